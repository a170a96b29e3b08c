//! The two exposition formats, and the `Accept` header that picks one.
//!
//! Prometheus parses text format 0.0.4 and OpenMetrics 1.0 differently
//! (a counter's family name, `# EOF`, the state set type), so each check
//! runs against the body in the format the header asked for, and the
//! histogram and the enum are read back the way Prometheus reads them.

use std::net::TcpListener;

use crate::support::{Fixture, Request, Response, RunningExporter};

const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
const OPENMETRICS: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores";

/// What Prometheus 2.34 and later send.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,\
     application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// The states of `probe_outcome`, as the specification lists them.
const OUTCOMES: [&str; 8] = [
    "success",
    "dns_failure",
    "refused",
    "timeout",
    "reset",
    "network_error",
    "protocol_error",
    "exporter_error",
];

/// Scrapes `/metrics`, with an `Accept` header if one is given.
fn scrape(exporter: &RunningExporter, accept: Option<&str>) -> Response {
    let request = Request::get("/metrics");
    let request = match accept {
        Some(accept) => request.header("Accept", accept),
        None => request,
    };
    request.send(exporter.addr)
}

#[test]
fn the_accept_header_chooses_the_format() {
    let exporter = RunningExporter::demo();
    #[track_caller]
    fn check(exporter: &RunningExporter, accept: Option<&str>, expected: &str) {
        let response = scrape(exporter, accept);
        assert_eq!(response.status, 200, "{accept:?}");
        assert_eq!(response.header("content-type"), Some(expected), "{accept:?}");
        let has_eof = response.body.ends_with("# EOF\n");
        assert_eq!(has_eof, expected == OPENMETRICS, "{accept:?}:\n{}", response.body);
    }
    check(&exporter, None, TEXT);
    check(&exporter, Some("*/*"), TEXT);
    check(&exporter, Some("text/plain;version=0.0.4"), TEXT);
    check(&exporter, Some(PROMETHEUS_ACCEPT), OPENMETRICS);
    check(&exporter, Some("application/openmetrics-text"), OPENMETRICS);
    check(
        &exporter,
        Some("application/openmetrics-text;version=1.0.0;q=0.4,text/plain;version=0.0.4;q=0.8"),
        TEXT,
    );
    check(&exporter, Some("application/json"), TEXT);
}

#[test]
fn a_counter_is_one_family_in_openmetrics_and_two_in_text() {
    let exporter = RunningExporter::demo();

    let openmetrics = scrape(&exporter, Some(PROMETHEUS_ACCEPT)).body;
    assert!(openmetrics.ends_with("# EOF\n"), "{openmetrics}");
    assert!(openmetrics.contains("\n# TYPE service_requests counter\n"), "{openmetrics}");
    assert!(openmetrics.contains("\nservice_requests_total{"), "{openmetrics}");
    assert!(openmetrics.contains("\nservice_requests_created{"), "{openmetrics}");

    let text = scrape(&exporter, None).body;
    assert!(!text.contains("# EOF"), "{text}");
    assert!(text.contains("\n# TYPE service_requests_total counter\n"), "{text}");
    assert!(text.contains("\n# TYPE service_requests_created gauge\n"), "{text}");
    assert!(!text.contains("# TYPE service_requests counter"), "{text}");
}

/// The `(le, count)` buckets of `probe_latency_seconds` for target
/// `name`, in the order written, and the series' `_count`.
fn latency_histogram(body: &str, name: &str) -> (Vec<(f64, f64)>, f64) {
    let labels = format!("{{target=\"{name}\",kind=\"daytime\"");
    let bucket_prefix = format!("probe_latency_seconds_bucket{labels},le=\"");
    let buckets = body
        .lines()
        .filter_map(|line| line.strip_prefix(&bucket_prefix))
        .map(|rest| {
            let (le, value) = rest.split_once("\"} ").expect("a bucket line ends with `\"} N`");
            let le = if le == "+Inf" { f64::INFINITY } else { le.parse().expect("le") };
            (le, value.parse().expect("a bucket count"))
        })
        .collect();
    let count_series = format!("probe_latency_seconds_count{labels}}} ");
    let count = body
        .lines()
        .find_map(|line| line.strip_prefix(&count_series))
        .map(|value| value.parse().expect("a count"))
        .unwrap_or_else(|| panic!("no _count for {name}:\n{body}"));
    (buckets, count)
}

#[test]
fn the_latency_histogram_is_cumulative_in_both_formats() {
    let exporter = RunningExporter::demo();
    scrape(&exporter, None);
    for accept in [None, Some(PROMETHEUS_ACCEPT)] {
        let body = scrape(&exporter, accept).body;
        let (buckets, count) = latency_histogram(&body, "clock");
        assert!(buckets.len() >= 2, "{body}");
        for pair in buckets.windows(2) {
            let [(le_a, count_a), (le_b, count_b)] = pair else { unreachable!() };
            assert!(le_a < le_b, "bounds out of order: {buckets:?}");
            assert!(count_a <= count_b, "counts not cumulative: {buckets:?}");
        }
        let (last_le, last_count) = buckets[buckets.len() - 1];
        assert_eq!(last_le, f64::INFINITY, "{buckets:?}");
        assert_eq!(last_count, count, "the +Inf bucket and _count differ");
        assert!(count >= 2.0, "after two scrapes, _count is {count}");
    }
}

/// For target `name`, the states of `probe_outcome` in the order written,
/// with their values.
fn outcome_states(body: &str, name: &str, kind: &str) -> Vec<(String, String)> {
    let prefix = format!("probe_outcome{{target=\"{name}\",kind=\"{kind}\",probe_outcome=\"");
    body.lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .filter_map(|rest| rest.split_once("\"} "))
        .map(|(state, value)| (state.to_string(), value.to_string()))
        .collect()
}

#[test]
fn the_outcome_is_an_enum_in_both_formats() {
    let daytime = Fixture::replying(b"Sat Oct 31 18:15:12 2020\r\n");
    let refused = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port");
    let counter =
        Fixture::replying(br#"{"launched": "2020-11-04T17:57:42.448578", "requests": 2}"#);
    let garbage = Fixture::replying(b"<html>not JSON</html>");
    let targets = [
        ("clock", "daytime", daytime.addr, "success"),
        ("gone", "daytime", refused, "refused"),
        ("app", "counter", counter.addr, "success"),
        ("broken", "counter", garbage.addr, "protocol_error"),
    ];
    let flags: Vec<String> = targets
        .iter()
        .flat_map(|(name, kind, addr, _)| {
            ["--target".to_string(), format!("{name}={kind}://{addr}")]
        })
        .collect();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let exporter = RunningExporter::start(&flags);

    for (accept, family_type) in [(None, "gauge"), (Some(PROMETHEUS_ACCEPT), "stateset")] {
        let body = scrape(&exporter, accept).body;
        assert!(body.contains(&format!("\n# TYPE probe_outcome {family_type}\n")), "{body}");
        for (name, kind, _, expected) in targets {
            let states = outcome_states(&body, name, kind);
            let mut names: Vec<&str> = states.iter().map(|(state, _)| state.as_str()).collect();
            names.sort_unstable();
            let mut all = OUTCOMES;
            all.sort_unstable();
            assert_eq!(names, all, "every state, once, for {name}:\n{body}");
            let set: Vec<&str> =
                states.iter().filter(|(_, value)| value == "1").map(|(s, _)| s.as_str()).collect();
            assert_eq!(set, [expected], "{name}:\n{body}");
            assert!(states.iter().all(|(_, value)| value == "0" || value == "1"), "{body}");
        }
    }
}

/// The metric names of the README's metrics table, in its order: every
/// name in backticks in the first column of the table under `## Metrics`.
fn readme_metric_names() -> Vec<String> {
    let readme = include_str!("../../README.md");
    let section = readme.split("\n## Metrics\n").nth(1).expect("a Metrics section");
    let table = section
        .split("\n\n")
        .map(str::trim_start)
        .find(|block| block.starts_with("| metric |"))
        .expect("the table");
    table
        .lines()
        .skip(2)
        .filter_map(|row| row.split('|').nth(1))
        .flat_map(|cell| cell.split('`').skip(1).step_by(2).map(str::to_string).collect::<Vec<_>>())
        .collect()
}

#[test]
fn the_readme_metrics_table_and_the_output_name_the_same_families() {
    let body = RunningExporter::demo().get("/metrics").body;
    // Family names in the 0.0.4 output, in order; a `_created` family of
    // a counter or histogram belongs to it, as OpenMetrics writes it.
    let written: Vec<&str> =
        body.lines().filter_map(|line| line.strip_prefix("# TYPE ")?.split(' ').next()).collect();
    let documented = readme_metric_names();
    let is_documented = |name: &str| {
        documented.iter().any(|listed| listed == name)
            || name.strip_suffix("_created").is_some_and(|base| {
                documented
                    .iter()
                    .any(|listed| listed == base || listed.strip_suffix("_total") == Some(base))
            })
    };
    for name in &written {
        assert!(is_documented(name), "`{name}` is written but not in the README's table");
    }
    for name in &documented {
        assert!(
            written.contains(&name.as_str()),
            "`{name}` is in the README's table but not written"
        );
    }
    // And in the same order: the table reads as a scrape does.
    let order: Vec<&str> = written
        .iter()
        .copied()
        .filter(|name| documented.iter().any(|listed| listed == name))
        .collect();
    let process_first = documented.iter().position(|name| name.starts_with("process_")).unwrap();
    assert_eq!(order[..process_first], documented[..process_first], "the README's order differs");
}

/// Prometheus 3's default `Accept`, as its `scrape/scrape_test.go` asserts it.
const PROMETHEUS_3_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

#[test]
fn a_1_0_0_text_answer_states_its_escaping_and_dots_doubles_underscores() {
    let exporter = RunningExporter::demo();
    let response = scrape(&exporter, Some(PROMETHEUS_3_ACCEPT));
    assert_eq!(
        response.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8")
    );
    assert!(response.body.ends_with("# EOF\n"), "{}", response.body);
    assert!(response.body.starts_with("# TYPE probe_success gauge\n"), "{}", response.body);

    let response = scrape(&exporter, Some("text/plain;version=1.0.0;escaping=allow-utf-8"));
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8")
    );
    assert!(response.body.contains("\n# TYPE probe_success gauge\n"), "{}", response.body);

    // escaping_schemes.md: under `dots`, existing underscores become `__`
    // in metric and label names; label values stay as they are.
    let response = scrape(&exporter, Some("text/plain;version=1.0.0;escaping=dots"));
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; version=1.0.0; charset=utf-8; escaping=dots")
    );
    let body = &response.body;
    for line in [
        "# TYPE probe__success gauge",
        "probe__success{target=\"app\",kind=\"counter\"} 1",
        "probe__outcome{target=\"app\",kind=\"counter\",probe__outcome=\"success\"} 1",
        "probe__outcome{target=\"app\",kind=\"counter\",probe__outcome=\"dns_failure\"} 0",
        "# TYPE service__requests_total counter",
    ] {
        assert!(body.contains(&format!("\n{line}\n")), "no `{line}` in\n{body}");
    }
    // Every name starts with `probe_`, `service_` or `process_`: none may
    // keep its first underscore single.
    let single = body.lines().find(|line| {
        let line = line.strip_prefix("# TYPE ").or(line.strip_prefix("# HELP ")).unwrap_or(line);
        ["probe_", "service_", "process_"]
            .iter()
            .any(|prefix| line.starts_with(prefix) && !line[prefix.len()..].starts_with('_'))
    });
    assert_eq!(single, None, "a name with a single underscore in\n{body}");
}
