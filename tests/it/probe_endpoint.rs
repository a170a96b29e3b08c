//! The `/probe` endpoint and the allow-list that guards it.
//!
//! `/probe?target=HOST:PORT` connects wherever its URL says, so the tests
//! check both halves: an admitted target is probed and reported without
//! labels, and a target outside the allow-list is refused with 403 before
//! any connection is made (its fixture sees nobody knock).

use std::sync::mpsc;
use std::time::Duration;

use crate::support::{connect, Fixture, Response, RunningExporter, DAYTIME_LINE, IO_TIMEOUT};

/// A daytime fixture, and an exporter whose allow-list admits it alone.
fn exporter_allowing_a_daytime_fixture() -> (RunningExporter, Fixture) {
    let fixture = Fixture::replying(DAYTIME_LINE);
    let exporter = RunningExporter::start(&["--probe.allow", &fixture.addr.to_string()]);
    (exporter, fixture)
}

#[track_caller]
fn check_status(response: &Response, expected: u16) {
    assert_eq!(response.status, expected, "{}", response.body);
}

#[test]
fn an_admitted_target_is_probed_without_labels() {
    let (exporter, fixture) = exporter_allowing_a_daytime_fixture();
    let response = exporter.get(&format!("/probe?target={}&module=daytime", fixture.addr));
    check_status(&response, 200);
    assert_eq!(response.sample("probe_success"), Some(1.0), "{}", response.body);
    assert!(!response.body.contains("target=\""), "{}", response.body);
}

#[test]
fn a_target_outside_the_allow_list_is_never_connected_to() {
    let (exporter, _admitted) = exporter_allowing_a_daytime_fixture();
    let (knocked, knocks) = mpsc::channel();
    let outside = Fixture::start(move |_stream| {
        let _ = knocked.send(());
    });

    let response = exporter.get(&format!("/probe?target={}&module=daytime", outside.addr));
    check_status(&response, 403);
    let knock = knocks.recv_timeout(Duration::from_millis(500));
    assert!(knock.is_err(), "the exporter connected to a target outside the allow-list");

    // The fixture does report a connection: the silence above means something.
    drop(connect(outside.addr));
    assert!(knocks.recv_timeout(IO_TIMEOUT).is_ok(), "the fixture missed a connection");
}

#[test]
fn a_missing_or_malformed_request_is_a_bad_request() {
    let (exporter, fixture) = exporter_allowing_a_daytime_fixture();
    #[track_caller]
    fn check(exporter: &RunningExporter, path: &str) {
        check_status(&exporter.get(path), 400);
    }
    check(&exporter, "/probe?module=daytime");
    check(&exporter, "/probe?target=nohost&module=daytime");
    check(&exporter, &format!("/probe?target={}&module=ntp", fixture.addr));
    check(&exporter, &format!("/probe?target={}", fixture.addr));
}

#[test]
fn without_an_allow_rule_the_endpoint_is_off() {
    let fixture = Fixture::replying(DAYTIME_LINE);
    let exporter = RunningExporter::start(&[]);
    let response = exporter.get(&format!("/probe?target={}&module=daytime", fixture.addr));
    check_status(&response, 403);
    assert!(response.body.contains("off"), "{}", response.body);
}

#[test]
fn a_counter_is_probed_through_the_endpoint() {
    let fixture =
        Fixture::replying(br#"{"launched": "2020-11-04T17:57:42.448578", "requests": 2}"#);
    let exporter =
        RunningExporter::start(&["--probe.allow", &format!("127.0.0.1:{}", fixture.addr.port())]);
    // Prometheus percent-encodes the `:` of the target parameter.
    let target = fixture.addr.to_string().replace(':', "%3A");
    let response = exporter.get(&format!("/probe?module=counter&target={target}"));
    check_status(&response, 200);
    assert_eq!(response.sample("probe_success"), Some(1.0), "{}", response.body);
    assert_eq!(response.sample("service_requests_total"), Some(2.0), "{}", response.body);
    // 2020-11-04T17:57:42.448578 UTC: 18570 days after 1970-01-01, and 17:57:42.
    let launched = 18_570.0 * 86_400.0 + 64_662.448578;
    let created = response.sample("service_requests_created").expect("a _created sample");
    assert!((created - launched).abs() < 1e-3, "_created is {created}, expected {launched}");
}

#[test]
fn debug_true_shows_the_steps_then_the_metrics() {
    let (exporter, fixture) = exporter_allowing_a_daytime_fixture();
    let response =
        exporter.get(&format!("/probe?target={}&module=daytime&debug=true", fixture.addr));
    check_status(&response, 200);
    assert!(response.header("Content-Type").is_some_and(|t| t.starts_with("text/plain;")));
    let body = &response.body;
    let logs = body.find("Logs for the probe:\n").expect(body);
    let metrics = body.find("\nMetrics that would have been returned:\n").expect(body);
    let module = body.find("\nModule configuration:\n").expect(body);
    assert!(logs < metrics && metrics < module, "{body}");
    for step in ["Resolving target address", "Connected", "Read the reply", "Probe succeeded"] {
        assert!(body[..metrics].contains(&format!("msg=\"{step}\"")), "no {step} in\n{body}");
    }
    assert!(body[metrics..module].contains("\nprobe_success 1\n"), "{body}");

    // A refused target shows why, and still obeys the allow-list.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    let refused = RunningExporter::start(&["--probe.allow", &closed_addr.to_string()]);
    let response = refused.get(&format!("/probe?target={closed_addr}&module=daytime&debug=true"));
    assert!(response.body.contains("msg=\"Probe failed\" module=daytime"), "{}", response.body);
    assert!(response.body.contains("phase=connect"), "{}", response.body);
    let outside = refused.get(&format!("/probe?target={}&module=daytime&debug=true", fixture.addr));
    check_status(&outside, 403);
}

#[test]
fn a_failed_probe_is_logged_at_debug() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    let exporter = RunningExporter::start(&[
        "--probe.allow",
        &closed_addr.to_string(),
        "--log.level",
        "debug",
    ]);
    exporter.get(&format!("/probe?target={closed_addr}&module=daytime"));
    let deadline = std::time::Instant::now() + IO_TIMEOUT;
    let line = loop {
        let line = exporter.log().next_line(IO_TIMEOUT).expect("a log line");
        if line.contains("probe failed") || std::time::Instant::now() > deadline {
            break line;
        }
    };
    assert!(line.contains("level=debug"), "{line}");
    for field in [format!("target={closed_addr}"), "module=daytime".into(), "phase=connect".into()]
    {
        assert!(line.contains(&field), "no {field} in {line}");
    }
}

#[test]
fn the_blackbox_parity_metrics_say_how_the_address_was_found() {
    let fixture = Fixture::replying(DAYTIME_LINE);
    let port = fixture.addr.port();
    let exporter = RunningExporter::start(&[
        "--probe.allow",
        &format!("127.0.0.1:{port}"),
        "--probe.allow",
        &format!("localhost:{port}"),
    ]);
    let by_ip = exporter.get(&format!("/probe?target=127.0.0.1:{port}&module=daytime"));
    assert_eq!(by_ip.sample("probe_dns_lookup_time_seconds"), Some(0.0), "{}", by_ip.body);
    assert_eq!(by_ip.sample("probe_ip_protocol"), Some(4.0), "{}", by_ip.body);
    // localhost is looked up (in /etc/hosts, no network), and may come
    // back as ::1 first, where nothing listens; only the lookup matters.
    let by_name = exporter.get(&format!("/probe?target=localhost:{port}&module=daytime"));
    let lookup = by_name.sample("probe_dns_lookup_time_seconds");
    assert!(lookup.is_some_and(|seconds| seconds > 0.0), "{}", by_name.body);

    let Ok(v6) = std::net::TcpListener::bind("[::1]:0") else {
        println!("no IPv6 loopback here; the probe_ip_protocol 6 case is not run");
        return;
    };
    let v6_addr = v6.local_addr().unwrap();
    std::thread::spawn(move || {
        use std::io::Write;
        if let Ok((mut stream, _)) = v6.accept() {
            let _ = stream.write_all(DAYTIME_LINE);
        }
    });
    let exporter = RunningExporter::start(&["--probe.allow", &v6_addr.to_string()]);
    let response = exporter.get(&format!("/probe?target={v6_addr}&module=daytime"));
    assert_eq!(response.sample("probe_ip_protocol"), Some(6.0), "{}", response.body);
    assert_eq!(response.sample("probe_success"), Some(1.0), "{}", response.body);
}

#[test]
fn a_module_of_the_file_names_the_fields_its_service_uses() {
    let renamed = Fixture::replying(br#"{"hits": 41, "booted": "2020-11-04T17:57:42Z"}"#);
    let no_launch = Fixture::replying(br#"{"hits": 7}"#);
    let config = crate::support::TempFile::new(
        "[module sidecar]\nkind = counter\nmetric = sidecar_hits\nrequests_field = hits\nlaunched_field = booted\n\n\
         [module bare]\nkind = counter\nrequests_field = hits\nlaunched_field = none\n\n\
         [probe]\nallow = 127.0.0.1:*\n",
    );
    let exporter = RunningExporter::start(&["--config.file", config.path()]);

    let response = exporter.get(&format!("/probe?module=sidecar&target={}", renamed.addr));
    check_status(&response, 200);
    assert_eq!(response.sample("sidecar_hits_total"), Some(41.0), "{}", response.body);
    // 2020-11-04T17:57:42Z: 18570 days after 1970-01-01, and 17:57:42.
    assert_eq!(response.sample("sidecar_hits_created"), Some(18_570.0 * 86_400.0 + 64_662.0));

    let response = exporter.get(&format!("/probe?module=bare&target={}", no_launch.addr));
    assert_eq!(response.sample("probe_success"), Some(1.0), "{}", response.body);
    assert_eq!(response.sample("service_requests_total"), Some(7.0), "{}", response.body);
    let created = response.body.contains("service_requests_created");
    assert!(!created, "no launch time, no _created:\n{}", response.body);

    // The built-in modules are still there.
    let response = exporter.get(&format!("/probe?module=counter&target={}", no_launch.addr));
    assert_eq!(response.sample("probe_success"), Some(0.0), "the default needs `launched`");

    let unknown = exporter.get(&format!("/probe?module=nope&target={}", renamed.addr));
    check_status(&unknown, 400);
    assert!(
        unknown.body.contains("unknown module `nope` (known: daytime, counter, sidecar, bare)"),
        "{}",
        unknown.body
    );
}
