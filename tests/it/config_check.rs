//! What the configuration may say, through the real binary: hosts read as
//! a resolver reads them, allow rules that compare addresses, zoned IPv6
//! addresses for listening and for targets, and `--config.check`, which
//! refuses what could never work and lists what would be probed in the
//! form the file takes.

use std::io::Write;
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6, TcpListener};
use std::process::Output;
use std::thread;
use std::time::Duration;

use assert_cmd::Command;

use crate::support::{ExporterCommand, RunningExporter, TempFile, DAYTIME_LINE};

/// A process that exits by itself does so well within this.
const EXIT_WITHIN: Duration = Duration::from_secs(10);

/// Runs the binary with `args`; it must exit with `code` by itself.
fn run(args: &[&str], code: i32) -> Output {
    let mut command = Command::cargo_bin("probe_exporter").expect("the binary is built");
    command.args(args).timeout(EXIT_WITHIN).assert().code(code).get_output().clone()
}

/// `args` must be refused with exit 2 and one line on standard error
/// that contains each of `mentions`.
#[track_caller]
fn check_refused(args: &[&str], mentions: &[&str]) {
    let output = run(args, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{args:?}:\n{stderr}");
    for mention in mentions {
        assert!(stderr.contains(mention), "{args:?}: `{mention}` is not in:\n{stderr}");
    }
    assert!(output.stdout.is_empty(), "{args:?}");
}

/// A daytime service on `addr` (port 0 for any), answering every
/// connection; its thread ends with the test process.
fn daytime_on(addr: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind(addr).expect("bind the daytime fixture");
    let bound = listener.local_addr().expect("the fixture's address");
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(DAYTIME_LINE);
        }
    });
    bound
}

#[test]
fn config_check_refuses_an_address_that_is_no_host() {
    for (address, says) in [
        ("300.1.1.1:13", "not an IPv4 address as four decimal numbers"),
        ("0177.0.0.1:13", "octal or hex"),
        ("a.0.1:13", "not a host name"),
        ("[::1%1]:13", "link-local"),
        ("[fe80::1%no-such-if]:13", "no such interface"),
    ] {
        let config = TempFile::new(&format!("[target t]\nkind = daytime\naddress = {address}\n"));
        let at_line = format!("{}:3: address `{address}`: ", config.path());
        check_refused(&["--config.file", config.path(), "--config.check"], &[&at_line, says]);
    }
}

#[test]
fn config_check_refuses_a_path_that_cannot_be_requested_and_conflicting_listeners() {
    check_refused(
        &["--web.telemetry-path", "/m etrics", "--config.check"],
        &["flag --web.telemetry-path: `/m etrics` must"],
    );
    check_refused(
        &["--web.telemetry-path", "/a/../metrics", "--config.check"],
        &["flag --web.telemetry-path: "],
    );
    check_refused(
        &["--web.systemd-socket", "--web.listen-address", "127.0.0.1:0", "--config.check"],
        &["flag --web.listen-address: cannot be given with --web.systemd-socket"],
    );
}

#[test]
fn a_rule_with_stray_whitespace_or_junk_is_refused_with_the_rule_quoted() {
    for rule in [" 127.0.0.1:21301", "127.0.0.1:21301 ", "*.0.1:21301", "0177.0.0.1:*"] {
        let quoted = format!("flag --probe.allow: `{rule}`: ");
        check_refused(&["--probe.allow", rule, "--config.check"], &[&quoted]);
        // And at start, before anything listens.
        check_refused(&["--web.listen-address", "127.0.0.1:0", "--probe.allow", rule], &[&quoted]);
    }
    let config = TempFile::new("[probe]\nallow = ::1:13\n");
    let at_line = format!("{}:2: `::1:13`: ", config.path());
    check_refused(&["--config.file", config.path(), "--config.check"], &[&at_line]);
}

#[test]
fn config_check_lists_modules_and_rules_as_the_file_writes_them() {
    let config = TempFile::new(
        "[target clock]\nkind = daytime\naddress = 127.0.0.1:13\n\n\
         [module sidecar]\nkind = counter\ntimeout = 1s\n\n\
         [probe]\nallow = [::1]:*\nallow = [0:0:0:0:0:0:0:1]:13\nallow = *.Example.com:13\n\
         allow = [fe80::1%lo]:13\nallow = fd00::/8\n",
    );
    let output = run(&["--config.file", config.path(), "--config.check"], 0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "configuration is valid: 1 targets, 3 modules, 5 allow rules",
            "target clock: daytime 127.0.0.1:13 (timeout 5s)",
            "module daytime: daytime (timeout 5s)",
            "module counter: counter (timeout 5s)",
            "module sidecar: counter (timeout 1s)",
            "/probe allows [::1]:*",
            "/probe allows [::1]:13",
            "/probe allows *.example.com:13",
            "/probe allows [fe80::1%lo]:13",
            "/probe allows fd00::/8",
        ],
        "{stdout}"
    );
}

#[test]
fn config_check_takes_zones_by_name_and_by_number() {
    let config = TempFile::new(
        "[target by_name]\nkind = daytime\naddress = [fe80::1%lo]:13\n\n\
         [target by_number]\nkind = daytime\naddress = [fe80::1%1]:13\n",
    );
    let args = ["--config.file", config.path(), "--web.listen-address", "[fe80::1%lo]:0"];
    let output = run(&[&args[..], &["--config.check"]].concat(), 0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("target by_name: daytime [fe80::1%lo]:13"), "{stdout}");
    assert!(stdout.contains("target by_number: daytime [fe80::1%1]:13"), "{stdout}");
    check_refused(
        &["--web.listen-address", "[fe80::1%no-such-if]:0", "--config.check"],
        &["flag --web.listen-address: `[fe80::1%no-such-if]:0`: ", "no such interface"],
    );
}

#[test]
fn an_ipv6_rule_admits_its_address_in_any_spelling() {
    let daytime = daytime_on("[::1]:0".parse().unwrap());
    let rule = format!("[::1]:{}", daytime.port());
    let exporter = RunningExporter::start(&["--probe.allow", &rule]);
    let long = format!("[0:0:0:0:0:0:0:1]:{}", daytime.port());
    let response = exporter.get(&format!("/probe?module=daytime&target={long}"));
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.sample("probe_success"), Some(1.0), "{}", response.body);
    // Another address on the same port is still refused.
    let other = exporter.get(&format!("/probe?module=daytime&target=[::2]:{}", daytime.port()));
    assert_eq!(other.status, 403, "{}", other.body);
}

#[test]
fn a_legacy_numeric_spelling_is_no_target_and_every_answer_says_nosniff() {
    let exporter = RunningExporter::start(&["--probe.allow", "*.example.com:13"]);
    let refused = exporter.get("/probe?module=daytime&target=0177.0.0.1:13");
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("`0177.0.0.1:13`"), "{}", refused.body);
    // The body quotes the request: a browser must not take it for HTML.
    let echo = exporter.get("/probe?module=daytime&target=%3Cscript%3E:13");
    assert_eq!(echo.status, 400, "{}", echo.body);
    assert!(echo.body.contains("<script>"), "{}", echo.body);
    for response in [refused, echo, exporter.get("/metrics"), exporter.get("/nope")] {
        assert_eq!(response.header("X-Content-Type-Options"), Some("nosniff"), "{response:?}");
    }
}

/// A link-local IPv6 address of this host that can be bound, with its
/// interface's name and index, from `/proc/net/if_inet6`; `None` where
/// the host has none (no IPv6, or only loopback).
fn link_local_address() -> Option<(Ipv6Addr, String, u32)> {
    let table = std::fs::read_to_string("/proc/net/if_inet6").ok()?;
    table.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [hex, index, _prefix, scope, flags, name] = fields[..] else { return None };
        let flags = u32::from_str_radix(flags, 16).ok()?;
        // Link scope, and neither tentative (0x40) nor failed (0x08).
        if scope != "20" || flags & 0x48 != 0 {
            return None;
        }
        let ip = Ipv6Addr::from(u128::from_str_radix(hex, 16).ok()?);
        Some((ip, name.to_string(), u32::from_str_radix(index, 16).ok()?))
    })
}

#[test]
fn a_link_local_address_serves_and_is_probed_by_interface_name_and_number() {
    let Some((ip, name, index)) = link_local_address() else {
        eprintln!("no link-local IPv6 address on this host: zones are checked by the other tests");
        return;
    };
    let daytime = daytime_on(SocketAddr::V6(SocketAddrV6::new(ip, 0, 0, index)));
    let by_name = format!("[{ip}%{name}]:{}", daytime.port());
    let by_number = format!("[{ip}%{index}]:{}", daytime.port());
    let listen = format!("[{ip}%{name}]:0");
    let target = format!("ll=daytime://{by_name}");
    let exporter = ExporterCommand::exactly(&[
        "--web.listen-address",
        &listen,
        "--target",
        &target,
        "--probe.allow",
        &by_name,
    ])
    .start();
    match exporter.addr {
        SocketAddr::V6(addr) => assert_eq!((*addr.ip(), addr.scope_id()), (ip, index)),
        other => panic!("listening on {other}"),
    }
    let metrics = exporter.get("/metrics");
    assert_eq!(
        metrics.sample("probe_success{target=\"ll\",kind=\"daytime\"}"),
        Some(1.0),
        "{}",
        metrics.body
    );
    // An address with its zone is no name: nothing was looked up.
    let lookup = "probe_dns_lookup_time_seconds{target=\"ll\",kind=\"daytime\"}";
    assert_eq!(metrics.sample(lookup), Some(0.0), "{}", metrics.body);
    // The rule names the interface; the target, its index: one interface.
    let encoded = by_number.replace('%', "%25");
    let probed = exporter.get(&format!("/probe?module=daytime&target={encoded}"));
    assert_eq!(probed.status, 200, "{}", probed.body);
    assert_eq!(probed.sample("probe_success"), Some(1.0), "{}", probed.body);
    assert_eq!(probed.sample("probe_dns_lookup_time_seconds"), Some(0.0), "{}", probed.body);
}
