//! gzip on the wire: a request that accepts it (RFC 9110 section 12.5.3)
//! gets `/metrics` and `/probe` compressed, with `Content-Encoding: gzip`
//! and `Vary: Accept-Encoding`; the system's `gzip -d` reads the bytes
//! back; a request that refuses gzip, a `HEAD`, a small answer and the
//! `--web.disable-compression` flag each get what they should.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::thread;

use crate::support::{Fixture, Request, Response, RunningExporter, DAYTIME_LINE};

/// What Prometheus 2.42 sends with every scrape.
const PROMETHEUS_ACCEPT_ENCODING: &str = "gzip";

/// An exporter probing `count` daytime targets, all on one fixture.
fn exporter_with_targets(count: usize, extra: &[&str]) -> (RunningExporter, Fixture) {
    let fixture = Fixture::replying(DAYTIME_LINE);
    let flags: Vec<String> = (0..count)
        .flat_map(|i| ["--target".to_string(), format!("t{i}=daytime://{}", fixture.addr)])
        .collect();
    let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
    args.extend_from_slice(extra);
    (RunningExporter::start(&args), fixture)
}

/// `GET path` with these extra header lines (each ending in CRLF).
fn get(exporter: &RunningExporter, path: &str, headers: &str) -> Response {
    exporter.request(&format!(
        "GET {path} HTTP/1.1\r\nHost: test\r\n{headers}Connection: close\r\n\r\n"
    ))
}

/// `bytes` through the system's `gzip -d`, which must accept them.
fn system_gunzip(bytes: &[u8]) -> String {
    let mut child = Command::new("gzip")
        .arg("-dc")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the system's gzip (install it to run this test)");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = bytes.to_vec();
    let writer = thread::spawn(move || stdin.write_all(&input));
    let mut output = Vec::new();
    child.stdout.take().expect("stdout is piped").read_to_end(&mut output).expect("read gzip");
    writer.join().expect("writer thread").expect("write to gzip");
    let status = child.wait_with_output().expect("gzip ends");
    assert!(status.status.success(), "gzip -d: {}", String::from_utf8_lossy(&status.stderr));
    String::from_utf8(output).expect("the body is text")
}

/// A body's lines with each sample's value cut off: what two scrapes of
/// the same targets have in common.
fn shape(body: &str) -> Vec<&str> {
    body.lines()
        .map(|line| {
            if line.starts_with('#') {
                line
            } else {
                line.rsplit_once(' ').map_or(line, |(series, _)| series)
            }
        })
        .collect()
}

#[track_caller]
fn assert_plain(response: &Response, vary: bool) {
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.header("content-encoding"), None, "{:?}", response.headers);
    let expected = vary.then_some("Accept-Encoding");
    assert_eq!(response.header("vary"), expected, "{:?}", response.headers);
    assert!(response.body.starts_with("# HELP "), "{}", response.body);
}

#[test]
fn a_scrape_of_100_targets_is_gzipped_and_the_system_gzip_reads_it_back() {
    let (exporter, _fixture) = exporter_with_targets(100, &[]);
    let _warm_up = get(&exporter, "/metrics", "");
    let plain = get(&exporter, "/metrics", "");
    assert_plain(&plain, true);
    let accept = format!("Accept-Encoding: {PROMETHEUS_ACCEPT_ENCODING}\r\n");
    let gzipped = get(&exporter, "/metrics", &accept);
    assert_eq!(gzipped.status, 200);
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"), "{:?}", gzipped.headers);
    assert_eq!(gzipped.header("vary"), Some("Accept-Encoding"));
    assert_eq!(gzipped.header("content-type"), plain.header("content-type"));
    assert_eq!(gzipped.bytes[..3], [0x1F, 0x8B, 8], "a gzip member of DEFLATE data");
    let body = system_gunzip(&gzipped.bytes);
    assert_eq!(shape(&body), shape(&plain.body), "the same families and series as plain");
    assert!(body.contains("\nprobe_success{target=\"t99\",kind=\"daytime\"} 1\n"));
    assert!(gzipped.bytes.len() * 5 < body.len(), "{} of {}", gzipped.bytes.len(), body.len());
}

#[test]
fn openmetrics_is_gzipped_too_and_keeps_its_eof() {
    let (exporter, _fixture) = exporter_with_targets(3, &[]);
    let headers = "Accept: application/openmetrics-text;version=1.0.0\r\n\
                   Accept-Encoding: deflate, gzip;q=0.8, br\r\n";
    let response = get(&exporter, "/metrics", headers);
    assert_eq!(response.header("content-encoding"), Some("gzip"), "{:?}", response.headers);
    assert!(system_gunzip(&response.bytes).ends_with("\n# EOF\n"));
}

#[test]
fn a_request_that_refuses_gzip_or_does_not_ask_gets_plain_text() {
    let (exporter, _fixture) = exporter_with_targets(3, &[]);
    for header in [
        "",
        "Accept-Encoding: gzip;q=0\r\n",
        "Accept-Encoding: identity\r\n",
        "Accept-Encoding: *;q=0\r\n",
        "Accept-Encoding: br, deflate\r\n",
        "Accept-Encoding: *, gzip;q=0\r\n",
        "Accept-Encoding: gzip;q=0.5, identity\r\n",
    ] {
        let response = get(&exporter, "/metrics", header);
        assert_plain(&response, true);
    }
    let wildcard = get(&exporter, "/metrics", "Accept-Encoding: *\r\n");
    assert_eq!(wildcard.header("content-encoding"), Some("gzip"), "{:?}", wildcard.headers);
    system_gunzip(&wildcard.bytes);
}

#[test]
fn head_gets_the_head_a_get_would_get_and_no_body() {
    let (exporter, _fixture) = exporter_with_targets(3, &[]);
    let mut stream = exporter.connect();
    let request = |method: &str| {
        Request::new(method, "/metrics").header("Accept-Encoding", "gzip").keep_alive()
    };
    let head = request("HEAD").send_on(&mut stream);
    assert_eq!(head.header("content-encoding"), Some("gzip"), "{:?}", head.headers);
    assert_eq!(head.header("vary"), Some("Accept-Encoding"));
    // HEAD probes nothing, so the length of a body never made is not sent
    // (RFC 9110 section 9.3.2), rather than a wrong one.
    assert_eq!(head.header("content-length"), None, "{:?}", head.headers);
    // Had the HEAD answer carried a body, this GET's answer would not parse.
    let get = request("GET").send_on(&mut stream);
    assert_eq!(get.status, 200);
    assert_eq!(get.header("content-encoding"), Some("gzip"));
    assert_eq!(get.header("vary"), Some("Accept-Encoding"));
    system_gunzip(&get.bytes);
}

#[test]
fn the_probe_endpoint_is_gzipped_and_small_answers_are_not() {
    let fixture = Fixture::replying(DAYTIME_LINE);
    let exporter = RunningExporter::start(&["--probe.allow", &fixture.addr.to_string()]);
    let accept = "Accept-Encoding: gzip\r\n";
    let probe = get(&exporter, &format!("/probe?target={}&module=daytime", fixture.addr), accept);
    assert_eq!(probe.status, 200);
    assert_eq!(probe.header("content-encoding"), Some("gzip"), "{:?}", probe.headers);
    assert_eq!(probe.header("vary"), Some("Accept-Encoding"));
    assert!(system_gunzip(&probe.bytes).contains("\nprobe_success 1\n"));
    // Not an exposition: not negotiated, no Vary.
    let healthy = get(&exporter, "/-/healthy", accept);
    assert_eq!((healthy.header("content-encoding"), healthy.header("vary")), (None, None));
    assert_eq!(healthy.body, "Healthy\n");
}

#[test]
fn the_flag_turns_compression_off() {
    let (exporter, _fixture) = exporter_with_targets(3, &["--web.disable-compression"]);
    let response = get(&exporter, "/metrics", "Accept-Encoding: gzip\r\n");
    assert_plain(&response, false);
}
