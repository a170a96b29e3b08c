//! README's recipes, run as written.
//!
//! A recipe in README.md sits between `<!-- recipe NAME: ... -->` and
//! `<!-- end recipe -->`. These tests read it from README.md itself (built
//! in with `include_str!`), so the text a reader copies and the text tested
//! are one text: a recipe that stops working, or a README that stops
//! saying what the binary does, fails here. Behaviour README only describes
//! in prose (what a stop does to connections) is checked here too.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::TempFile;
use crate::support::{self, Fixture, RunningExporter, DAYTIME_LINE, IO_TIMEOUT};

const README: &str = include_str!("../../README.md");

/// The text between the recipe's opening comment and `<!-- end recipe -->`.
fn recipe(name: &str) -> &'static str {
    let opening = format!("<!-- recipe {name}:");
    let start = README.find(&opening).unwrap_or_else(|| panic!("README.md has no {opening}"));
    let rest = &README[start..];
    let body = &rest[rest.find("-->").expect("the opening comment ends") + 3..];
    let end = body.find("<!-- end recipe -->").expect("the recipe ends");
    &body[..end]
}

/// The contents of the first fenced code block in `text`.
fn fenced_block(text: &str) -> &str {
    let start = text.find("```").expect("a fenced block");
    let from_fence = &text[start..];
    let body = &from_fence[from_fence.find('\n').expect("the fence line ends") + 1..];
    &body[..body.find("```").expect("the fenced block closes")]
}

/// A `console` block as command lines (`$ ...`), each with the lines it
/// printed.
fn console_session(block: &str) -> Vec<(&str, Vec<&str>)> {
    let mut session: Vec<(&str, Vec<&str>)> = Vec::new();
    for line in block.lines() {
        match (line.strip_prefix("$ "), session.last_mut()) {
            (Some(command), _) => session.push((command, Vec::new())),
            (None, Some((_, output))) => output.push(line),
            (None, None) => panic!("output before any command: {line}"),
        }
    }
    session
}

/// What `command` printed in `session`, which must have run it.
fn printed<'a>(session: &'a [(&str, Vec<&'a str>)], command: &str) -> &'a [&'a str] {
    let found = session.iter().find(|(run, _)| *run == command);
    &found.unwrap_or_else(|| panic!("the session does not run `{command}`: {session:?}")).1
}

#[test]
fn the_bad_config_example_prints_what_the_binary_prints() {
    let session = console_session(fenced_block(recipe("bad-config")));
    let file_text = printed(&session, "cat bad.conf").join("\n") + "\n";
    let expected_line = printed(&session, "probe_exporter --config.file bad.conf").join("\n");
    let expected_status: i32 = printed(&session, "echo $?").join("").parse().expect("a status");

    let config = TempFile::new(&file_text);
    let output = assert_cmd::Command::cargo_bin("probe_exporter")
        .expect("the binary is built")
        .args(["--config.file", config.path()])
        .timeout(IO_TIMEOUT)
        .output()
        .expect("run probe_exporter");
    assert_eq!(output.status.code(), Some(expected_status), "{output:?}");
    // The binary names the file as it was given; README gives it as bad.conf.
    let stderr = String::from_utf8_lossy(&output.stderr).replace(config.path(), "bad.conf");
    assert_eq!(stderr, format!("{expected_line}\n"), "README.md's bad.conf example is stale");
    assert!(output.stdout.is_empty(), "{output:?}");
}

/// Says why a check was skipped. Written to stderr directly, which the
/// test harness does not capture (it captures `eprintln!`), so that a
/// skipped check is seen in every run.
fn say_skipped(reason: &str) {
    let _ = writeln!(std::io::stderr(), "skipped: {reason}");
}

/// xinetd, started in the foreground with one configuration file; killed
/// when dropped.
struct Xinetd {
    child: Child,
    log: TempFile,
}

impl Xinetd {
    fn start(program: &Path, config: &TempFile) -> Xinetd {
        // A file of our own for its log, which otherwise goes to syslog.
        let log = TempFile::new("");
        let child = Command::new(program)
            .args(["-dontfork", "-stayalive", "-filelog", log.path(), "-f", config.path()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn xinetd");
        Xinetd { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Waits, boundedly, until `addr` accepts a connection.
    fn wait_serving(&mut self, addr: SocketAddr) {
        let deadline = Instant::now() + IO_TIMEOUT;
        while TcpStream::connect_timeout(&addr, IO_TIMEOUT).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("xinetd exited ({status}); its log:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "xinetd never listened; its log:\n{}", self.log());
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Xinetd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where xinetd is installed: on `PATH`, or in the `sbin` directories a
/// user's `PATH` may leave out.
fn find_xinetd() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain(["/usr/sbin".into(), "/sbin".into()]);
    dirs.map(|dir| dir.join("xinetd")).find(|candidate| candidate.is_file())
}

/// A loopback port free a moment ago: bound on port 0, read back, released
/// for a program that takes a port number only.
fn free_loopback_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("the bound address").port()
}

/// The value of `key = value` in an xinetd service section.
fn xinetd_setting<'a>(config: &'a str, key: &str) -> Option<&'a str> {
    config.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim() == key).then(|| value.trim())
    })
}

/// The recipe's configuration with its `port` set to `port`.
fn with_port(config: &str, port: u16) -> String {
    let lines = config.lines().map(|line| match line.split_once('=') {
        Some((name, _)) if name.trim() == "port" => format!("{name}= {port}"),
        _ => line.to_string(),
    });
    lines.map(|line| line + "\n").collect()
}

#[test]
fn the_xinetd_recipe_serves_daytime_to_the_exporter() {
    let Some(xinetd) = find_xinetd() else {
        say_skipped("xinetd is not installed (.ci/run installs it)");
        return;
    };
    let block = fenced_block(recipe("xinetd"));
    let (_, after_heredoc) = block.split_once("<<'CONF'\n").expect("the recipe writes a file");
    let (config, _) = after_heredoc.split_once("\nCONF\n").expect("the file's text ends");
    let command = block.lines().find_map(|line| line.strip_prefix("probe_exporter "));
    let command = command.expect("the recipe runs probe_exporter");
    let readme_port = xinetd_setting(config, "port").expect("the recipe sets a port");
    let readme_target = format!(":{readme_port}");
    assert!(command.ends_with(&readme_target), "`{command}` does not probe port {readme_port}");

    let port = free_loopback_port();
    let config = TempFile::new(&with_port(config, port));
    let mut xinetd = Xinetd::start(&xinetd, &config);
    xinetd.wait_serving(SocketAddr::from(([127, 0, 0, 1], port)));

    let command = command.replace(&readme_target, &format!(":{port}"));
    let args: Vec<&str> = command.split_whitespace().collect();
    let target = args.iter().find_map(|arg| arg.split_once("=daytime://")).expect("a target").0;
    let exporter = RunningExporter::start(&args);
    let scrape = exporter.get("/metrics");
    let series = |family: &str| format!("{family}{{target=\"{target}\",kind=\"daytime\"}}");
    let context = || format!("{}\nxinetd's log:\n{}", scrape.body, xinetd.log());
    assert_eq!(scrape.status, 200, "{}", context());
    assert_eq!(scrape.sample(&series("probe_success")), Some(1.0), "{}", context());
    // xinetd's `07 DEC 2026 02:23:33 UTC` is read as a date, as README says.
    let offset = scrape.sample(&series("probe_daytime_clock_offset_seconds"));
    assert!(offset.is_some_and(|seconds| seconds.abs() < 5.0), "{}", context());
}

/// README's table of builds: the start of each row, and where under the
/// target directory that build puts its binary.
const BUILDS: [(&str, &str); 4] = [
    ("musl, x86-64", "x86_64-unknown-linux-musl/static/probe_exporter"),
    ("musl, aarch64", "aarch64-unknown-linux-musl/static/probe_exporter"),
    ("glibc static-pie, x86-64", "x86_64-unknown-linux-gnu/static/probe_exporter"),
    ("glibc, dynamic", "release/probe_exporter"),
];

/// The bound README's table of builds gives the build in `row` ("under N
/// MB"), in bytes.
fn readme_size_bound(row: &str) -> u64 {
    let line = README.lines().find(|line| line.starts_with(&format!("| {row} ")));
    let line = line.unwrap_or_else(|| panic!("README.md's table of builds has no row {row}"));
    let size = line.split('|').nth(2).expect("a size cell").trim();
    let megabytes = size.strip_prefix("under ").and_then(|size| size.strip_suffix(" MB"));
    let megabytes: u64 = megabytes.and_then(|n| n.parse().ok()).unwrap_or_else(|| {
        panic!("the size of {row} is `{size}`, not `under N MB`");
    });
    megabytes * 1_000_000
}

#[test]
fn every_build_already_made_is_within_the_size_readme_gives() {
    // The debug binary under test is in <target>/debug/.
    let binary = assert_cmd::cargo::cargo_bin("probe_exporter");
    let target_dir = binary.parent().and_then(Path::parent).expect("a target directory");
    for (row, path) in BUILDS {
        let bound = readme_size_bound(row);
        let Ok(metadata) = std::fs::metadata(target_dir.join(path)) else {
            say_skipped(&format!("no {row} build in {path}"));
            continue;
        };
        assert!(metadata.len() < bound, "{path} is {} bytes: over README's {row}", metadata.len());
    }
}

/// A daytime fixture that answers each probe only when the test lets it.
fn held_daytime() -> (Fixture, mpsc::Receiver<()>, mpsc::Sender<()>) {
    let (probed_tx, probed) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let released = Mutex::new(released);
    let fixture = Fixture::start(move |mut stream| {
        let _ = probed_tx.send(());
        let _ = released.lock().map(|released| released.recv_timeout(IO_TIMEOUT));
        let _ = stream.write_all(DAYTIME_LINE);
    });
    (fixture, probed, release)
}

#[test]
fn a_stop_refuses_new_connections_closes_idle_ones_and_answers_the_scrape_in_flight() {
    let (slow, probed, release) = held_daytime();
    let config = TempFile::new(&format!(
        "[target slow]\nkind = daytime\naddress = {}\ntimeout = 20s\n",
        slow.addr
    ));
    let exporter = RunningExporter::start(&["--config.file", config.path()]);
    let mut idle = exporter.connect();
    idle.write_all(b"GET /-/ready HTTP/1.1\r\nHost: t\r\n\r\n").expect("ask /-/ready");
    assert_eq!(support::read_response(&mut idle).expect("an answer").status, 200);
    let addr = exporter.addr;
    let scrape = thread::spawn(move || {
        let mut stream = support::connect(addr);
        stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")?;
        support::read_response(&mut stream)
    });
    probed.recv_timeout(IO_TIMEOUT).expect("the scrape probes the held target");

    exporter.signal("TERM");
    // The idle connection is closed rather than answered...
    support::assert_closed(&mut idle);
    // ...and by then the listener is gone: a readiness check cannot connect.
    let refused = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map(|mut stream| {
        let _ = stream.write_all(b"GET /-/ready HTTP/1.1\r\nHost: t\r\n\r\n");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    });
    assert!(
        refused.as_ref().is_err_and(|err| err.kind() == std::io::ErrorKind::ConnectionRefused),
        "a new connection during the stop: {refused:?}"
    );
    assert!(!scrape.is_finished(), "the scrape in flight is still held");

    release.send(()).expect("release the held probe");
    let response = scrape.join().expect("the scrape thread").expect("the scrape's answer");
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.sample("probe_success{target=\"slow\",kind=\"daytime\"}"), Some(1.0));
}
