//! The counter protocol read as the talk reads it: one JSON value is the
//! whole reply, whether the service then closes, stays silent or sends
//! more, and a whole number is a count however it is written.
//!
//! Every fixture here keeps its connection open after its reply unless
//! the test says otherwise, so a probe that waited for a close would run
//! into its 5 s timeout; each test asks for an answer well before it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::{BusyCores, Fixture, Response, RunningExporter, TempFile, IO_TIMEOUT};

/// The counter target's timeout: the time a probe would take if only a
/// close ended its reply.
const TIMEOUT: &str = "5s";

/// A scrape whose reply ends with its value answers within this: a fifth
/// of the timeout, and far more than loopback needs, even on a busy host.
const ANSWER_WITHIN: Duration = Duration::from_secs(1);

/// The reply the talk's counter service sends.
const COUNTER_REPLY: &str = r#"{"launched": "2020-11-04T17:57:42.448578", "requests": 2}"#;

const SUCCESS: &str = "probe_success{target=\"t\",kind=\"counter\"}";
const COUNT: &str = "service_requests_total{target=\"t\",kind=\"counter\"}";

/// Writes each of `parts` in turn, `pause` apart, then keeps the
/// connection open until the exporter hangs up (or [`IO_TIMEOUT`]).
fn writing_then_staying(parts: &[&str], pause: Duration) -> Fixture {
    let parts: Vec<String> = parts.iter().map(|part| part.to_string()).collect();
    Fixture::start(move |mut stream| {
        for part in &parts {
            if stream.write_all(part.as_bytes()).is_err() {
                return;
            }
            thread::sleep(pause);
        }
        stay_until_hung_up(&mut stream);
    })
}

/// Writes `reply` at once, then keeps the connection open.
fn staying_after(reply: &str) -> Fixture {
    writing_then_staying(&[reply], Duration::ZERO)
}

/// A reply whose `requests` field is written as `requests`.
fn reply_with_requests(requests: &str) -> String {
    format!(r#"{{"launched": "2020-11-04T17:57:42", "requests": {requests}}}"#)
}

/// Waits for the exporter to close the connection, reading whatever it
/// sends (nothing), for at most [`IO_TIMEOUT`].
fn stay_until_hung_up(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.read(&mut [0u8; 1]);
}

/// An exporter with one counter target `t` at `fixture`, timeout 5 s.
fn exporter_of(fixture: &Fixture) -> (RunningExporter, TempFile) {
    let config = TempFile::new(&format!(
        "[target t]\nkind = counter\naddress = {}\ntimeout = {TIMEOUT}\n",
        fixture.addr
    ));
    (RunningExporter::start(&["--config.file", config.path()]), config)
}

/// Scrapes `/metrics` once, and how long the answer took.
fn scrape(exporter: &RunningExporter) -> (Response, Duration) {
    let started = Instant::now();
    let response = exporter.get("/metrics");
    (response, started.elapsed())
}

/// Scrapes `fixture` through a new exporter: the count, within
/// [`ANSWER_WITHIN`].
#[track_caller]
fn assert_counts(fixture: &Fixture, expected: f64) {
    let (exporter, _config) = exporter_of(fixture);
    let (response, elapsed) = scrape(&exporter);
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.sample(SUCCESS), Some(1.0), "{}", response.body);
    assert_eq!(response.sample(COUNT), Some(expected), "{}", response.body);
    assert!(elapsed < ANSWER_WITHIN, "the scrape took {elapsed:?}, timeout {TIMEOUT}");
}

/// Scrapes `fixture` through a new exporter: a protocol error, within
/// [`ANSWER_WITHIN`], whose logged reason contains `why`.
#[track_caller]
fn assert_refused(fixture: &Fixture, why: &str) {
    let (exporter, _config) = exporter_of(fixture);
    let (response, elapsed) = scrape(&exporter);
    assert_eq!(response.sample(SUCCESS), Some(0.0), "{}", response.body);
    let state = "probe_outcome{target=\"t\",kind=\"counter\",probe_outcome=\"protocol_error\"}";
    assert_eq!(response.sample(state), Some(1.0), "{}", response.body);
    assert!(elapsed < ANSWER_WITHIN, "the scrape took {elapsed:?}, timeout {TIMEOUT}");
    let logged = exporter.log().next_line(IO_TIMEOUT).expect("a log line");
    assert!(logged.contains("msg=\"probe failed\"") && logged.contains(why), "{logged}");
}

#[test]
fn a_service_that_keeps_the_connection_open_is_read_at_once() {
    let fixture = staying_after(COUNTER_REPLY);
    assert_counts(&fixture, 2.0);
    // Where a late answer shows first: both cores kept busy.
    let _busy = BusyCores::start();
    assert_counts(&fixture, 2.0);
}

#[test]
fn a_reply_in_pieces_is_read_whole_wherever_it_is_split() {
    // Split inside a string, between a backslash and the quote it
    // escapes, inside a `\u` escape, and before the closing brace.
    const PIECES: &[&str] = &[
        r#"{"note": "a \"quo"#,
        r#"ted\"#,
        r#"" caf\u00"#,
        r#"e9", "launched": "2020-11-04T17:57:42.448578", "requests": 7"#,
        "}\n",
    ];
    let fixture = writing_then_staying(PIECES, Duration::from_millis(50));
    assert_counts(&fixture, 7.0);
}

#[test]
fn a_whole_number_counts_however_it_is_written() {
    for (requests, count) in [("2.0", 2.0), ("2e0", 2.0), ("0.2e1", 2.0), ("-0", 0.0)] {
        let fixture = staying_after(&reply_with_requests(requests));
        assert_counts(&fixture, count);
    }
}

#[test]
fn a_fraction_or_a_count_out_of_range_is_refused_with_its_reason() {
    for (requests, why) in [
        ("2.5", "`requests` is 2.5, not a whole number"),
        ("1e400", "`requests` is 1e400, out of range (a count is from 0 to 2^53)"),
        ("-1", "`requests` is -1, out of range (a count is from 0 to 2^53)"),
    ] {
        let fixture = staying_after(&reply_with_requests(requests));
        assert_refused(&fixture, why);
    }
}

#[test]
fn a_value_followed_by_junk_in_the_same_write_is_refused() {
    let fixture = staying_after(&format!(r#"{}, "and more""#, reply_with_requests("2")));
    assert_refused(&fixture, "trailing characters after the value");
}

#[test]
fn a_whole_reply_ends_the_read_while_the_service_trickles_more() {
    // The value, then a byte every 100 ms for as long as anyone listens:
    // neither a close nor the cap will come before the timeout.
    let fixture = Fixture::start(|mut stream| {
        let _ = stream.write_all(COUNTER_REPLY.as_bytes());
        thread::sleep(Duration::from_millis(100));
        while stream.write_all(b" ").is_ok() && stream.write_all(b"x").is_ok() {
            thread::sleep(Duration::from_millis(100));
        }
    });
    assert_counts(&fixture, 2.0);
}
