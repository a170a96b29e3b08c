//! The probes against fixture services that behave and misbehave.
//!
//! Each failure test starts a fixture on loopback that acts out one
//! behaviour (refusing, staying silent, dribbling, flooding, sending bad
//! JSON) and checks that the scrape still answers 200, whole, within the
//! target's timeout plus a margin, with `probe_success 0` and the outcome
//! that names the failure: a failed probe is data, not an HTTP error.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::{
    target_section, unresolvable_address, Fixture, Response, RunningExporter, TempFile,
    DAYTIME_LINE, IO_TIMEOUT,
};

/// The timeout of the target in the tests that wait for it to run out,
/// set in a configuration file since no flag sets it.
const SHORT_TIMEOUT: &str = "1s";

/// A scrape of a target with a 1 s timeout must answer within this: the
/// timeout, plus a margin for a busy machine.
const SHORT_SCRAPE_LIMIT: Duration = Duration::from_secs(3);

/// The timeout of a target whose reply is under test. The fixture answers
/// at once, but only once its thread runs, which on a busy machine can
/// take over a second: a short timeout would then run out first.
const REPLY_TIMEOUT: &str = "5s";

/// A scrape of a target with a 5 s timeout must answer within this.
const REPLY_SCRAPE_LIMIT: Duration = Duration::from_secs(7);

/// The reply the talk's counter service sends.
const COUNTER_REPLY: &[u8] = br#"{"launched": "2020-11-04T17:57:42.448578", "requests": 2}"#;

/// What a scrape answered, and how long it took to answer.
struct Scrape {
    response: Response,
    elapsed: Duration,
}

/// Sends `request` and times it, from the first byte out to the last in.
fn timed(exporter: &RunningExporter, request: &str) -> Scrape {
    let started = Instant::now();
    let response = exporter.request(request);
    Scrape { response, elapsed: started.elapsed() }
}

fn get_metrics(exporter: &RunningExporter) -> Scrape {
    timed(exporter, "GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
}

/// Starts an exporter whose only target is `t`, of `kind` at `address`
/// with `timeout`, and scrapes it once.
fn scrape_target(kind: &str, address: &str, timeout: &str) -> Scrape {
    let config = TempFile::new(&target_section("t", kind, address, timeout));
    let exporter = RunningExporter::start(&["--config.file", config.path()]);
    get_metrics(&exporter)
}

/// The series name of `metric` for target `t` of `kind`.
fn series(metric: &str, kind: &str) -> String {
    format!("{metric}{{target=\"t\",kind=\"{kind}\"}}")
}

/// The states of `probe_outcome` that are 1 for target `name`.
fn outcomes_set(response: &Response, name: &str, kind: &str) -> Vec<String> {
    let prefix = format!("probe_outcome{{target=\"{name}\",kind=\"{kind}\",probe_outcome=\"");
    response
        .body
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .filter_map(|rest| rest.split_once("\"} "))
        .filter(|(_, value)| *value == "1")
        .map(|(state, _)| state.to_string())
        .collect()
}

#[track_caller]
fn assert_whole_200(response: &Response) {
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(response.body.ends_with('\n'), "the body is cut short:\n{}", response.body);
}

/// Probes target `t` (of `kind` at `address`, timeout 1 s) and checks
/// that the scrape reports the failure as `outcome`, in time.
#[track_caller]
fn check_fails(kind: &str, address: &str, outcome: &str) {
    check_fails_within(kind, address, SHORT_TIMEOUT, SHORT_SCRAPE_LIMIT, outcome);
}

/// Like [`check_fails`], for a failure that the target's reply makes:
/// with a timeout that leaves the fixture time to answer.
#[track_caller]
fn check_reply_fails(kind: &str, address: &str, outcome: &str) {
    check_fails_within(kind, address, REPLY_TIMEOUT, REPLY_SCRAPE_LIMIT, outcome);
}

/// Like [`check_fails`], with the target's timeout and the time the
/// scrape may take given.
#[track_caller]
fn check_fails_within(kind: &str, address: &str, timeout: &str, limit: Duration, outcome: &str) {
    let Scrape { response, elapsed } = scrape_target(kind, address, timeout);
    assert!(elapsed < limit, "the scrape took {elapsed:?}, more than {limit:?}");
    assert_whole_200(&response);
    assert_eq!(response.sample(&series("probe_success", kind)), Some(0.0), "{}", response.body);
    assert_eq!(outcomes_set(&response, "t", kind), [outcome], "{}", response.body);
    // A failed counter probe exports no count: an old one would look current.
    let total = "service_requests_total{target=\"t\"";
    assert!(!response.body.lines().any(|line| line.starts_with(total)), "{}", response.body);
}

/// A loopback port where nothing listens: bound, then released.
fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("local address")
}

/// Accepts, sends nothing, and returns once the exporter hangs up.
fn silent() -> Fixture {
    Fixture::start(|mut stream| {
        let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
        let _ = io::copy(&mut stream, &mut io::sink());
    })
}

/// Sends one byte every 200 ms, and no line end, for as long as the
/// exporter listens; a write to the closed connection fails and ends it.
fn dribbling() -> Fixture {
    Fixture::start(|mut stream| {
        while stream.write_all(b"x").is_ok() {
            thread::sleep(Duration::from_millis(200));
        }
    })
}

/// Sends bytes without end, and no line end, until the exporter hangs up.
fn flooding() -> Fixture {
    Fixture::start(|mut stream| {
        let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
        let chunk = [b'x'; 4096];
        while stream.write_all(&chunk).is_ok() {}
    })
}

/// Opens a JSON string and fills it without end, until the exporter hangs
/// up: only the byte cap can end this reply.
fn flooding_json() -> Fixture {
    Fixture::start(|mut stream| {
        let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
        let chunk = [b'x'; 4096];
        if stream.write_all(br#"{"padding": ""#).is_ok() {
            while stream.write_all(&chunk).is_ok() {}
        }
    })
}

/// A counter service whose `requests` field holds `requests`.
fn counter_with_requests(requests: &'static str) -> Fixture {
    Fixture::start(move |mut stream| {
        let reply =
            format!(r#"{{"launched": "2020-11-04T17:57:42.448578", "requests": {requests}}}"#);
        let _ = stream.write_all(reply.as_bytes());
    })
}

#[test]
fn a_refused_connection_is_refused() {
    check_fails("daytime", &closed_port().to_string(), "refused");
}

#[test]
fn a_silent_target_times_out() {
    check_fails("daytime", &silent().addr.to_string(), "timeout");
    check_fails("counter", &silent().addr.to_string(), "timeout");
}

#[test]
fn a_dribbling_target_is_cut_by_the_deadline() {
    check_fails("daytime", &dribbling().addr.to_string(), "timeout");
}

#[test]
fn an_endless_daytime_reply_is_cut_by_the_byte_cap() {
    // With a 10 s timeout, an answer within half of it shows that the
    // 512-byte cap ended the probe, not the deadline.
    let limit = Duration::from_secs(5);
    check_fails_within("daytime", &flooding().addr.to_string(), "10s", limit, "protocol_error");
}

#[test]
fn an_endless_counter_reply_is_cut_by_the_byte_cap() {
    // The counter's cap is 64 KiB, still far short of 10 s of loopback.
    let limit = Duration::from_secs(5);
    check_fails_within(
        "counter",
        &flooding_json().addr.to_string(),
        "10s",
        limit,
        "protocol_error",
    );
}

#[test]
fn a_reply_closed_mid_json_is_a_protocol_error() {
    let fixture = Fixture::replying(br#"{"launched": "2020-11-04T17:57:42.448578", "requ"#);
    check_reply_fails("counter", &fixture.addr.to_string(), "protocol_error");
}

#[test]
fn invalid_json_is_a_protocol_error() {
    let fixture = Fixture::replying(br#"{launched: 2020-11-04, requests: 2}"#);
    check_reply_fails("counter", &fixture.addr.to_string(), "protocol_error");
}

#[test]
fn a_missing_count_is_a_protocol_error() {
    let fixture = Fixture::replying(br#"{"launched": "2020-11-04T17:57:42.448578"}"#);
    check_reply_fails("counter", &fixture.addr.to_string(), "protocol_error");
}

#[test]
fn a_count_that_is_not_a_whole_number_to_2_pow_53_is_a_protocol_error() {
    // 9007199254740994 is 2^53 + 2: a float holds it, but not every
    // count near it, so the exporter cannot promise it is exact.
    for requests in ["-1", "2.5", "9007199254740994"] {
        check_reply_fails(
            "counter",
            &counter_with_requests(requests).addr.to_string(),
            "protocol_error",
        );
    }
}

#[test]
fn a_launch_time_in_month_13_is_a_protocol_error() {
    let fixture =
        Fixture::replying(br#"{"launched": "2020-13-04T17:57:42.448578", "requests": 2}"#);
    check_reply_fails("counter", &fixture.addr.to_string(), "protocol_error");
}

#[test]
fn a_name_that_does_not_resolve_is_a_dns_failure() {
    check_fails("daytime", &unresolvable_address(), "dns_failure");
}

#[test]
fn a_daytime_line_is_a_success() {
    let fixture = Fixture::replying(DAYTIME_LINE);
    let Scrape { response, elapsed } =
        scrape_target("daytime", &fixture.addr.to_string(), REPLY_TIMEOUT);
    assert!(elapsed < REPLY_SCRAPE_LIMIT, "the scrape took {elapsed:?}");
    assert_whole_200(&response);
    assert_eq!(
        response.sample(&series("probe_success", "daytime")),
        Some(1.0),
        "{}",
        response.body
    );
    assert_eq!(outcomes_set(&response, "t", "daytime"), ["success"]);
}

#[test]
fn a_counter_reply_becomes_a_counter_and_its_creation_time() {
    let fixture = Fixture::replying(COUNTER_REPLY);
    let Scrape { response, .. } =
        scrape_target("counter", &fixture.addr.to_string(), REPLY_TIMEOUT);
    assert_whole_200(&response);
    assert_eq!(
        response.sample(&series("probe_success", "counter")),
        Some(1.0),
        "{}",
        response.body
    );
    assert_eq!(response.sample(&series("service_requests_total", "counter")), Some(2.0));

    // 2020-11-04T17:57:42.448578 UTC in Unix seconds: the days from
    // 1970-01-01 to 2020-01-01 (50 years, 12 of them leap years), then
    // January to October 2020 (305 days) and 3 more, then the time of day.
    let days = 50 * 365 + 12 + 305 + 3;
    let launched = f64::from(days * 86_400 + 17 * 3600 + 57 * 60 + 42) + 0.448578;
    let created = response.sample(&series("service_requests_created", "counter"));
    let created = created.unwrap_or_else(|| panic!("no _created sample:\n{}", response.body));
    assert!((created - launched).abs() < 1e-3, "_created is {created}, expected {launched}");
}

#[test]
fn twenty_slow_targets_are_probed_at_once() {
    let slow = Fixture::start(|mut stream| {
        thread::sleep(Duration::from_millis(300));
        let _ = stream.write_all(DAYTIME_LINE);
    });
    let flags: Vec<String> = (0..20)
        .flat_map(|idx| ["--target".to_string(), format!("t{idx}=daytime://{}", slow.addr)])
        .collect();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let exporter = RunningExporter::start(&flags);

    // One after another, twenty probes of 300 ms would take 6 s.
    let Scrape { response, elapsed } = get_metrics(&exporter);
    assert!(elapsed < Duration::from_secs(3), "the scrape took {elapsed:?}");
    assert_whole_200(&response);
    for idx in 0..20 {
        let success = format!("probe_success{{target=\"t{idx}\",kind=\"daytime\"}}");
        assert_eq!(response.sample(&success), Some(1.0), "{}", response.body);
    }
}

#[test]
fn the_scrape_timeout_header_caps_every_probe() {
    let fixture = silent();
    let mut config = String::new();
    for name in ["a", "b"] {
        config.push_str(&target_section(name, "daytime", fixture.addr, "5s"));
    }
    let config = TempFile::new(&config);
    let exporter = RunningExporter::start(&["--config.file", config.path()]);

    // Prometheus will wait 1.5 s; less the default 0.5 s offset, each
    // probe gets 1 s of its 5 s. Uncapped, the scrape would take 5 s.
    let Scrape { response, elapsed } = timed(
        &exporter,
        "GET /metrics HTTP/1.1\r\nHost: test\r\nX-Prometheus-Scrape-Timeout-Seconds: 1.5\r\n\
         Connection: close\r\n\r\n",
    );
    assert!(elapsed < Duration::from_secs(4), "the scrape took {elapsed:?}");
    assert_whole_200(&response);
    for name in ["a", "b"] {
        let labels = format!("{{target=\"{name}\",kind=\"daytime\"}}");
        let timeout = response.sample(&format!("probe_timeout_seconds{labels}"));
        let timeout =
            timeout.unwrap_or_else(|| panic!("no probe_timeout_seconds:\n{}", response.body));
        // The budget caps it exactly; a probe thread that starts late on
        // a busy machine gets only the time left, so less, but not as
        // little as 0.5 s, the offset taken twice.
        assert!(timeout <= 1.0, "probe_timeout_seconds is {timeout}, more than the 1 s budget");
        assert!(timeout > 0.75, "probe_timeout_seconds is {timeout}, well short of 1 s");
        assert_eq!(response.sample(&format!("probe_success{labels}")), Some(0.0));
        assert_eq!(outcomes_set(&response, name, "daytime"), ["timeout"]);
    }
}

#[test]
fn a_failure_is_logged_once_not_at_every_scrape() {
    // Fails twice (an empty reply), then answers: the third scrape logs
    // "probe succeeded again", which marks the end of what the first two
    // logged, so no quiet period has to be waited out.
    let n_connections = AtomicUsize::new(0);
    let flaky = Fixture::start(move |mut stream| {
        let reply = if n_connections.fetch_add(1, Ordering::SeqCst) < 2 {
            &b"\r\n"[..]
        } else {
            DAYTIME_LINE
        };
        let _ = stream.write_all(reply);
    });
    let exporter = RunningExporter::start(&["--target", &format!("t=daytime://{}", flaky.addr)]);
    for expected_success in [0.0, 0.0, 1.0] {
        let response = get_metrics(&exporter).response;
        assert_eq!(response.sample(&series("probe_success", "daytime")), Some(expected_success));
    }

    let mut log = String::new();
    loop {
        let line = exporter.log().next_line(IO_TIMEOUT).unwrap_or_else(|| {
            panic!("no \"probe succeeded again\" line within {IO_TIMEOUT:?}; the log:\n{log}")
        });
        if line.contains("msg=\"probe succeeded again\"") {
            break;
        }
        let _ = writeln!(log, "{line}");
    }
    let failures: Vec<&str> =
        log.lines().filter(|line| line.contains("msg=\"probe failed\"")).collect();
    assert_eq!(failures.len(), 1, "the log:\n{log}");
    assert!(failures[0].contains("target=t "), "{}", failures[0]);
}

// ---------------------------------------------------------------------------
// The remote clock, from daytime replies

/// The time `ahead` of ours, as a daytime server of each kind writes it.
/// Built from the library's formatters (ctime, IMF-fixdate, ISO 8601),
/// which are tested against their specifications; the others rearrange
/// their fields.
fn daytime_lines(ahead: Duration) -> Vec<(&'static str, String)> {
    use probe_exporter::time::format;
    let then = std::time::SystemTime::now() + ahead;
    let ctime = format::format_ctime(then);
    let iso = format::format_iso8601_micros(then);
    let words: Vec<&str> = ctime.split_whitespace().collect();
    let [_, month, day, time, year] = words[..] else { panic!("{ctime}") };
    let xinetd = format!("{day:0>2} {} {year} {time} UTC", month.to_ascii_uppercase());
    let unix_days = then.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 86_400;
    let nist = format!("{} {} {time} 00 0 0 50.0 UTC(NIST) *", unix_days + 40_587, &iso[2..10]);
    vec![
        ("ctime", ctime),
        ("xinetd", xinetd),
        ("imf-fixdate", format::format_imf_fixdate(then)),
        ("iso8601", format!("{}Z", &iso[..19])),
        ("nist", nist),
    ]
}

#[test]
fn a_daytime_clock_ten_seconds_ahead_reads_as_an_offset_of_ten() {
    let formats = daytime_lines(Duration::ZERO).len();
    for idx in 0..formats {
        // Each line is made when the probe connects, as a daytime server
        // makes it: made before the exporter starts, it would lag by the
        // start-up, which takes over a second on a busy machine.
        let (lines_tx, lines) = mpsc::channel();
        let clock = Fixture::start(move |mut stream| {
            let (format, line) = daytime_lines(Duration::from_secs(10)).swap_remove(idx);
            let _ = stream.write_all(format!("{line}\r\n").as_bytes());
            let _ = lines_tx.send(format!("{format} `{line}`"));
        });
        let exporter =
            RunningExporter::start(&["--target", &format!("t=daytime://{}", clock.addr)]);
        let response = exporter.get("/metrics");
        let served = lines.recv_timeout(IO_TIMEOUT).expect("the scrape probes the clock");
        let series = "probe_daytime_clock_offset_seconds{target=\"t\",kind=\"daytime\"}";
        let offset = response.sample(series);
        // One-second resolution: the remote's second began up to 1 s before.
        assert!(offset.is_some_and(|offset| (offset - 10.0).abs() <= 1.0), "{served}: {offset:?}");
    }
}

#[test]
fn expect_date_fails_a_line_that_is_no_date() {
    let clock = Fixture::replying(b"hello world\r\n");
    let config = TempFile::new(&format!(
        "[target t]\nkind = daytime\naddress = {}\nexpect = date\n",
        clock.addr
    ));
    let exporter = RunningExporter::start(&["--config.file", config.path()]);
    let response = exporter.get("/metrics");
    assert_eq!(
        response.sample(&series("probe_success", "daytime")),
        Some(0.0),
        "{}",
        response.body
    );
    assert_eq!(outcomes_set(&response, "t", "daytime"), ["protocol_error"], "{}", response.body);
    let logged = exporter.log().next_line(IO_TIMEOUT).expect("a log line");
    assert!(logged.contains("probe failed") && logged.contains("not a date"), "{logged}");
    // Without `expect = date`, any line of text is a daytime reply.
    let lenient = RunningExporter::start(&["--target", &format!("t=daytime://{}", clock.addr)]);
    let response = lenient.get("/metrics");
    assert_eq!(
        response.sample(&series("probe_success", "daytime")),
        Some(1.0),
        "{}",
        response.body
    );
    assert!(!response.body.contains("probe_daytime_clock_offset_seconds{"), "{}", response.body);
}
