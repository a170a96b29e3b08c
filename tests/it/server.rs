//! The HTTP server as a client sees it: routes, keep-alive, pipelining,
//! the answers to bad requests, and the limits that keep one client from
//! locking Prometheus out.
//!
//! Most tests start an exporter with no target, so a scrape is quick and
//! only the server is under test. Those about busy scrapes probe a fixture
//! that accepts and never answers, which holds a scrape open on demand.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::{
    assert_closed, connect, exchange, read_response, Fixture, Request, Response, RunningExporter,
    TempFile, IO_TIMEOUT,
};

/// The content type of the Prometheus text format, version 0.0.4.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A generous bound for a scrape that nothing should delay. A scrape held
/// up by another client would wait for that client's read timeout (10 s
/// by default) or longer.
const PROMPT: Duration = Duration::from_secs(5);

/// One keep-alive HTTP/1.1 request for `path`.
fn get(path: &str) -> String {
    Request::get(path).keep_alive().text()
}

/// `raw`, sent on a new connection, is answered `status` and the
/// connection closed; the exporter still serves a new one.
#[track_caller]
fn check_answered_then_closed(exporter: &RunningExporter, raw: &[u8], status: u16) {
    let mut stream = exporter.connect();
    stream.write_all(raw).unwrap();
    assert_eq!(read_response(&mut stream).unwrap().status, status, "{raw:?}");
    assert_closed(&mut stream);
    assert_still_serving(exporter);
}

/// The exporter still answers a scrape on a new connection.
#[track_caller]
fn assert_still_serving(exporter: &RunningExporter) {
    assert_eq!(exporter.get("/metrics").status, 200, "a scrape after a bad request");
}

#[test]
fn metrics_are_served_in_the_prometheus_text_format() {
    let exporter = RunningExporter::start(&[]);
    let response = exporter.get("/metrics");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Content-Type"), Some(PROMETHEUS_TEXT));
    assert!(response.body.ends_with('\n'), "the exposition ends with a line feed");
    assert!(response.body.contains("\nprobe_exporter_build_info{"), "{}", response.body);
}

#[test]
fn head_sends_the_headers_without_the_body() {
    let exporter = RunningExporter::start(&[]);
    let mut stream = exporter.connect();
    let head = Request::head("/metrics").keep_alive().send_on(&mut stream);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Type"), Some(PROMETHEUS_TEXT));
    // The length is known only once the targets are probed, which a HEAD
    // does not do: it is left out rather than sent wrong.
    assert_eq!(head.header("Content-Length"), None, "{head:?}");
    // Had any body byte followed the head, it would be read as the start
    // of this answer, and the status line would not parse.
    let response = exchange(&mut stream, &get("/metrics"));
    assert_eq!(response.status, 200);
    assert!(response.body.contains("probe_exporter_build_info"), "{}", response.body);
}

#[test]
fn http_1_1_keeps_the_connection_alive_between_requests() {
    let exporter = RunningExporter::start(&[]);
    let mut stream = exporter.connect();
    assert_eq!(exchange(&mut stream, &get("/-/healthy")).status, 200);
    assert_eq!(exchange(&mut stream, &get("/metrics")).status, 200);
}

#[test]
fn http_1_0_without_keep_alive_is_closed_after_the_response() {
    let exporter = RunningExporter::start(&[]);
    let mut stream = exporter.connect();
    let response = exchange(&mut stream, "GET /-/healthy HTTP/1.0\r\n\r\n");
    assert_eq!(response.status, 200);
    let mut byte = [0u8; 1];
    assert_eq!(stream.read(&mut byte).unwrap(), 0, "the server closes the connection");
}

#[test]
fn http_1_0_with_keep_alive_stays_open() {
    let exporter = RunningExporter::start(&[]);
    let mut stream = exporter.connect();
    let keep_alive = "GET /-/healthy HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    assert_eq!(exchange(&mut stream, keep_alive).status, 200);
    assert_eq!(exchange(&mut stream, keep_alive).status, 200);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let exporter = RunningExporter::start(&[]);
    let mut stream = exporter.connect();
    let both = format!("{}{}", get("/-/healthy"), get("/nope"));
    stream.write_all(both.as_bytes()).unwrap();
    assert_eq!(read_response(&mut stream).unwrap().status, 200);
    assert_eq!(read_response(&mut stream).unwrap().status, 404);
}

#[test]
fn unknown_path_is_404_and_the_server_keeps_serving() {
    let exporter = RunningExporter::start(&[]);
    assert_eq!(exporter.get("/nope").status, 404);
    assert_still_serving(&exporter);
}

#[test]
fn post_is_405_with_allow_and_the_server_keeps_serving() {
    let exporter = RunningExporter::start(&[]);
    let response = exporter.request(
        "POST /metrics HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(response.status, 405);
    assert_eq!(response.header("Allow"), Some("GET, HEAD"));
    assert_still_serving(&exporter);
}

#[test]
fn an_unknown_method_is_501_and_a_known_one_405() {
    // RFC 9110 section 9.1: "An origin server that receives a request
    // method that is unrecognized or not implemented SHOULD respond with
    // the 501 (Not Implemented) status code"; 405 is for a method the
    // server knows but the resource does not allow.
    let exporter = RunningExporter::start(&[]);
    let unknown =
        exporter.request("BREW /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    assert_eq!(unknown.status, 501);
    let known =
        exporter.request("DELETE /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    assert_eq!(known.status, 405);
    assert_still_serving(&exporter);
}

#[test]
fn garbage_bytes_are_400_and_the_server_keeps_serving() {
    let exporter = RunningExporter::start(&[]);
    // The start of a TLS handshake, as a client that expected HTTPS sends.
    check_answered_then_closed(&exporter, b"\x16\x03\x01 hello\r\n\r\n", 400);
}

#[test]
fn huge_headers_are_431_and_the_server_keeps_serving() {
    let exporter = RunningExporter::start(&[]);
    let huge = "a".repeat(17 * 1024);
    let response = exporter.request(&format!(
        "GET /metrics HTTP/1.1\r\nHost: test\r\nX-Huge: {huge}\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(response.status, 431);
    assert_still_serving(&exporter);
}

#[test]
fn huge_request_line_is_414_and_the_server_keeps_serving() {
    let exporter = RunningExporter::start(&[]);
    let long_path = format!("/{}", "a".repeat(9 * 1024));
    let response = exporter.get(&long_path);
    assert_eq!(response.status, 414);
    assert_still_serving(&exporter);
}

#[test]
fn http_2_0_is_505_and_the_server_keeps_serving() {
    let exporter = RunningExporter::start(&[]);
    check_answered_then_closed(&exporter, b"GET /metrics HTTP/2.0\r\nHost: test\r\n\r\n", 505);
}

#[test]
fn landing_page_is_html_that_links_to_the_metrics() {
    let exporter = RunningExporter::start(&[]);
    let response = exporter.get("/");
    assert_eq!(response.status, 200);
    let content_type = response.header("Content-Type").unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(response.body.contains("<a href=\"/metrics\">"), "{}", response.body);
}

#[test]
fn health_endpoint_answers_200() {
    let exporter = RunningExporter::start(&[]);
    assert_eq!(exporter.get("/-/healthy").status, 200);
}

#[test]
fn idle_kept_alive_connections_do_not_delay_a_scrape() {
    let exporter = RunningExporter::start(&[]);
    let mut idle: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut stream = exporter.connect();
            assert_eq!(exchange(&mut stream, &get("/-/healthy")).status, 200);
            stream
        })
        .collect();
    let started = Instant::now();
    let response = exporter.get("/metrics");
    assert_eq!(response.status, 200);
    assert!(started.elapsed() < PROMPT, "the scrape took {:?}", started.elapsed());
    // Far below the default limit, no idle connection had to make room.
    assert_eq!(exchange(&mut idle[0], &get("/-/healthy")).status, 200);
}

#[test]
fn silent_connections_at_the_cap_do_not_lock_out_a_scrape() {
    let exporter = RunningExporter::start(&["--web.max-connections", "4"]);
    let _silent: Vec<TcpStream> = (0..4).map(|_| exporter.connect()).collect();
    assert_eq!(exporter.get("/metrics").status, 200);
}

#[test]
fn busy_connections_at_the_cap_refuse_a_new_one_with_503() {
    let silent = SilentTarget::start();
    let config = silent.config_file();
    let exporter =
        RunningExporter::start(&["--config.file", config.path(), "--web.max-connections", "2"]);
    let first = scrape_in_background(exporter.addr);
    silent.wait_for_probe();
    // Not one that could share the first one's probes: it probes too.
    let second = hurried_scrape_in_background(exporter.addr);
    silent.wait_for_probe();

    let refused = exporter.get("/metrics");
    assert_eq!(refused.status, 503);
    assert!(refused.header("Retry-After").is_some(), "{refused:?}");
    assert_eq!(first.join().unwrap().status, 200);
    assert_eq!(second.join().unwrap().status, 200);
}

#[test]
fn a_slow_client_does_not_delay_another_clients_scrape() {
    let exporter = RunningExporter::start(&[]);
    let trickle = Trickle::start(exporter.connect(), &get("/metrics"), Duration::from_millis(200));
    let started = Instant::now();
    let response = exporter.get("/metrics");
    assert_eq!(response.status, 200);
    assert!(started.elapsed() < PROMPT, "the scrape took {:?}", started.elapsed());
    trickle.stop();
}

#[test]
fn a_request_head_slower_than_the_read_timeout_is_answered_408_and_closed() {
    let exporter = RunningExporter::start(&["--web.read-timeout", "1s"]);
    let mut stream = exporter.connect();
    let started = Instant::now();
    let trickle =
        Trickle::start(stream.try_clone().unwrap(), &get("/metrics"), Duration::from_millis(300));
    assert_eq!(read_response(&mut stream).unwrap().status, 408);
    assert_closed(&mut stream);
    let elapsed = started.elapsed();
    trickle.stop();
    assert!(elapsed >= Duration::from_secs(1), "cut off before the read timeout: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "closed only after {elapsed:?}");
}

#[test]
fn scrapes_beyond_max_requests_are_answered_503_with_retry_after() {
    let silent = SilentTarget::start();
    let config = silent.config_file();
    let exporter =
        RunningExporter::start(&["--config.file", config.path(), "--web.max-requests", "1"]);
    let first = scrape_in_background(exporter.addr);
    silent.wait_for_probe();

    // A scrape that must answer before the one under way cannot share
    // its probes, and the one place is taken.
    let refused = hurried_scrape().send(exporter.addr);
    assert_eq!(refused.status, 503);
    assert!(refused.header("Retry-After").is_some(), "{refused:?}");
    let first = first.join().unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(first.sample("probe_success{target=\"silent\",kind=\"daytime\"}"), Some(0.0));
}

#[test]
fn scrapes_after_a_503_from_max_requests_are_answered_again() {
    let silent = SilentTarget::start();
    let config = silent.config_file();
    let exporter =
        RunningExporter::start(&["--config.file", config.path(), "--web.max-requests", "1"]);
    // Two slow scrapes at once that cannot share a round: one runs, the
    // other is refused.
    let first = scrape_in_background(exporter.addr);
    silent.wait_for_probe();
    let second = hurried_scrape_in_background(exporter.addr);
    let statuses = [first.join().unwrap().status, second.join().unwrap().status];
    assert!(statuses.contains(&200) && statuses.contains(&503), "{statuses:?}");
    // The refusal must not have freed a place it never held, nor taken one.
    for attempt in 0..3 {
        let response = exporter.get("/metrics");
        assert_eq!(response.status, 200, "scrape {attempt} after the 503: {response:?}");
    }
}

#[test]
fn responses_are_counted_by_status_code() {
    let exporter = RunningExporter::start(&[]);
    let mut stream = exporter.connect();
    let not_found = "GET /nope HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
    assert_eq!(exchange(&mut stream, not_found).status, 404);
    // A response is counted once it is written, which may be after the
    // client has read it; the server closes only after counting.
    assert_closed(&mut stream);
    let response = exporter.get("/metrics");
    assert_eq!(response.sample("probe_exporter_http_responses_total{code=\"404\"}"), Some(1.0));
}

/// Runs `GET /metrics` on a thread of its own, for a scrape that takes a
/// while; the caller joins it for the response.
fn scrape_in_background(addr: SocketAddr) -> thread::JoinHandle<Response> {
    thread::spawn(move || {
        let mut stream = connect(addr);
        let close = "GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
        exchange(&mut stream, close)
    })
}

/// A scrape with a second and a half of budget: it must answer before a
/// scrape of the silent target started earlier ends, so it cannot share
/// its probes.
fn hurried_scrape() -> Request {
    Request::get("/metrics").header("X-Prometheus-Scrape-Timeout-Seconds", "1.5")
}

/// A [`hurried_scrape`] on a thread of its own.
fn hurried_scrape_in_background(addr: SocketAddr) -> thread::JoinHandle<Response> {
    thread::spawn(move || hurried_scrape().send(addr))
}

/// A daytime target that accepts and never says anything, so that a scrape
/// of it lasts its whole timeout; it reports every probe as it starts.
struct SilentTarget {
    fixture: Fixture,
    probes: Receiver<()>,
}

impl SilentTarget {
    /// How long a probe of the silent target waits for an answer.
    const TIMEOUT: &'static str = "2s";

    fn start() -> SilentTarget {
        let (probe_tx, probes) = mpsc::channel();
        let fixture = Fixture::start(move |mut stream| {
            let _ = probe_tx.send(());
            // Hold the connection until the probe gives up and closes it.
            let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
            let _ = stream.read(&mut [0u8; 1]);
        });
        SilentTarget { fixture, probes }
    }

    /// Returns once a probe has connected: its scrape is under way.
    fn wait_for_probe(&self) {
        self.probes.recv_timeout(IO_TIMEOUT).expect("the exporter probes the silent target");
    }

    /// A configuration file with this target alone, named `silent`.
    fn config_file(&self) -> TempFile {
        let text = format!(
            "[target silent]\nkind = daytime\naddress = {}\ntimeout = {}\n",
            self.fixture.addr,
            SilentTarget::TIMEOUT
        );
        TempFile::new(&text)
    }
}

/// A client that sends a request one byte at a time, on a thread of its
/// own, until told to stop, the request is sent, or the server hangs up.
struct Trickle {
    stop: Sender<()>,
    thread: thread::JoinHandle<()>,
}

impl Trickle {
    /// Returns once the first byte is sent, so the request has begun.
    fn start(mut stream: TcpStream, request: &str, interval: Duration) -> Trickle {
        let request = request.as_bytes().to_vec();
        let (stop, stop_rx) = mpsc::channel();
        let (started_tx, started) = mpsc::channel();
        let _ = stream.set_nodelay(true);
        let thread = thread::spawn(move || {
            for (idx, byte) in request.iter().enumerate() {
                if stream.write_all(&[*byte]).is_err() {
                    return;
                }
                if idx == 0 {
                    let _ = started_tx.send(());
                }
                if stop_rx.recv_timeout(interval) != Err(RecvTimeoutError::Timeout) {
                    return;
                }
            }
        });
        started.recv_timeout(IO_TIMEOUT).expect("the first byte is sent");
        Trickle { stop, thread }
    }

    fn stop(self) {
        let _ = self.stop.send(());
        self.thread.join().unwrap();
    }
}
