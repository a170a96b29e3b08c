//! The choices of `negotiate`, from the Accept headers real scrapers send
//! and the rules of RFC 9110 section 12.5.1.

use super::*;
use Format::{OpenMetrics, Prometheus};

#[track_caller]
fn check(accept: Option<&str>, expected: Format) {
    assert_eq!(negotiate(accept), expected, "Accept: {accept:?}");
}

#[test]
fn every_prometheus_version_gets_the_format_it_prefers() {
    // Prometheus 2.0 to 2.4.
    check(Some("text/plain;version=0.0.4;q=1,*/*;q=0.1"), Prometheus);
    // Prometheus 2.5 to 2.33.
    check(
        Some(
            "application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        ),
        OpenMetrics,
    );
    // Prometheus 2.34 to 2.48.
    check(
        Some("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
        OpenMetrics,
    );
    // Prometheus 2.49 to 2.55.
    check(
        Some("application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"),
        OpenMetrics,
    );
    // Prometheus 3.4 and later.
    check(
        Some("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"),
        OpenMetrics,
    );
}

#[test]
fn parameters_after_q_are_read_too() {
    // The shape of Prometheus 3.0 to 3.3: `escaping` after every entry.
    check(
        Some("application/openmetrics-text;version=1.0.0;q=0.5;escaping=allow-utf-8,text/plain;version=0.0.4;q=0.3;escaping=allow-utf-8,*/*;q=0.2;escaping=allow-utf-8"),
        OpenMetrics,
    );
    check(
        Some("text/plain;q=0.9;version=0.0.4,application/openmetrics-text;q=0.5;version=1.0.0"),
        Prometheus,
    );
}

#[test]
fn unsupported_entries_are_skipped() {
    // Protocol buffers, which Prometheus lists first for native histograms.
    check(
        Some("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.5"),
        OpenMetrics,
    );
    check(Some("text/plain;version=1.0.0;q=0.9,application/openmetrics-text;q=0.5"), OpenMetrics);
    check(Some("application/openmetrics-text;version=2.0.0;q=0.9,text/plain;q=0.5"), Prometheus);
    check(Some("application/openmetrics-text;version=2.0.0"), Prometheus);
    check(Some("application/json"), Prometheus);
    check(Some("text/html"), Prometheus);
}

#[test]
fn no_header_or_nothing_specific() {
    check(None, Prometheus);
    check(Some(""), Prometheus);
    check(Some("*/*"), Prometheus);
    check(Some("text/*"), Prometheus);
    check(Some("text/plain"), Prometheus);
    check(Some("text/plain; version=0.0.4; charset=utf-8"), Prometheus);
}

#[test]
fn openmetrics_without_version() {
    check(Some("application/openmetrics-text"), OpenMetrics);
    check(Some("application/*"), OpenMetrics);
}

#[test]
fn highest_q_wins_and_ties_go_to_the_earlier_entry() {
    check(Some("application/openmetrics-text;q=0.3,text/plain;q=0.5"), Prometheus);
    check(Some("text/plain;q=0.3,application/openmetrics-text;q=0.5"), OpenMetrics);
    check(Some("text/plain,application/openmetrics-text"), Prometheus);
    check(Some("application/openmetrics-text,text/plain"), OpenMetrics);
    check(Some("*/*;q=0.1,application/openmetrics-text;q=0.2"), OpenMetrics);
    check(Some("application/*;q=0.1,text/plain;q=0.2"), Prometheus);
    check(Some("*/*;q=0.5,application/openmetrics-text;q=0.4"), Prometheus);
    check(Some("text/*;q=0.5,application/openmetrics-text;q=0.4"), Prometheus);
}

#[test]
fn q_zero_means_not_acceptable() {
    check(Some("application/openmetrics-text;q=0"), Prometheus);
    check(Some("text/plain;q=0,application/openmetrics-text;q=0.001"), OpenMetrics);
}

#[test]
fn malformed_q_skips_the_entry() {
    check(Some("application/openmetrics-text;q=high,text/plain;q=0.1"), Prometheus);
    check(Some("application/openmetrics-text;q=1.5,text/plain;q=0.1"), Prometheus);
    check(Some("application/openmetrics-text;q=-0.5"), Prometheus);
    check(Some("application/openmetrics-text;q=NaN"), Prometheus);
    check(Some("application/openmetrics-text;q="), Prometheus);
    check(Some("text/plain;q=oops,application/openmetrics-text;q=0.1"), OpenMetrics);
}

#[test]
fn media_types_and_parameters_are_read_loosely() {
    check(Some("Application/OpenMetrics-Text; Version=1.0.0; Q=0.9"), OpenMetrics);
    check(Some("application/openmetrics-text;Q=0.1,text/plain;q=0.5"), Prometheus);
    check(Some("application/openmetrics-text;VERSION=2.0.0"), Prometheus);
    check(Some("  application/openmetrics-text ;version = 1.0.0 ; q = 0.5 "), OpenMetrics);
    check(Some(r#"application/openmetrics-text;version="1.0.0""#), OpenMetrics);
    check(Some("application/openmetrics-text;;version=1.0.0;flag"), OpenMetrics);
    check(Some("text/plain;version=0.0.4,,application/openmetrics-text;q=0.5,"), Prometheus);
}

#[test]
fn garbage_never_panics() {
    let garbage = [
        ";",
        ",",
        "=",
        "/",
        ";;,,==//",
        "q=1",
        "text",
        "/;q=1",
        "*/*;q",
        "*/*;=",
        "é/ü;q=ü",
        "text/plain;q=1e999",
        "\u{0}",
        "application/openmetrics-text;q=0.5;q=",
    ];
    for accept in garbage {
        check(Some(accept), Prometheus);
    }
}
