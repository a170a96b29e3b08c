//! Prometheus text format 0.0.4, the format every Prometheus version
//! accepts (and, asked for as version 1.0.0, the same text with its
//! escaping stated). It knows neither `_created` samples nor state sets,
//! so these become gauge families, as client_python writes them.

use std::borrow::Cow;

use super::lines::{
    write_gauge_samples, write_histogram_series, write_metadata_line, write_series_name,
    write_state_set_samples, write_value_line,
};
use super::{Family, Labels, Samples, TextFormat};

/// Text format 0.0.4 knows neither `_created` nor state sets, so, as
/// client_python does, creation times become a gauge family of their own
/// after the counter or histogram, and a state set becomes a gauge.
pub(super) fn write_prometheus_family(out: &mut String, name: &str, family: &Family) {
    let help = family.help;
    match &family.samples {
        Samples::Gauge(series) => {
            write_prometheus_metadata(out, name, "", help, "gauge");
            write_gauge_samples(out, name, series);
        }
        Samples::Counter(series) => {
            write_prometheus_metadata(out, name, "_total", help, "counter");
            for &(labels, ref counter) in series.iter() {
                write_series_name(out, name, "_total", labels, None);
                write_value_line(out, counter.total);
            }
            let created = series.iter().map(|(labels, counter)| (*labels, counter.created));
            write_prometheus_created_family(out, name, help, created);
        }
        Samples::Histogram(series) => {
            write_prometheus_metadata(out, name, "", help, "histogram");
            for &(labels, ref histogram) in series.iter() {
                write_histogram_series(out, name, labels, histogram, TextFormat::Prometheus);
            }
            let created = series.iter().map(|(labels, histogram)| (*labels, histogram.created));
            write_prometheus_created_family(out, name, help, created);
        }
        Samples::StateSet(series) => {
            write_prometheus_metadata(out, name, "", help, "gauge");
            write_state_set_samples(out, name, series);
        }
    }
}

/// Writes `# HELP` and `# TYPE` for `name` + `suffix`, in the order the
/// Prometheus docs use.
fn write_prometheus_metadata(
    out: &mut String,
    name: &str,
    suffix: &str,
    help: &str,
    type_name: &str,
) {
    if !help.is_empty() {
        write_metadata_line(out, "# HELP ", name, suffix, &escape_help(help));
    }
    write_metadata_line(out, "# TYPE ", name, suffix, type_name);
}

/// Writes the `<name>_created` gauge family of the series that have a
/// creation time, with the same help text as the family it belongs to.
fn write_prometheus_created_family<'a>(
    out: &mut String,
    name: &str,
    help: &str,
    series: impl Iterator<Item = (Labels<'a>, Option<f64>)> + Clone,
) {
    if series.clone().all(|(_, created)| created.is_none()) {
        return;
    }
    write_prometheus_metadata(out, name, "_created", help, "gauge");
    for (labels, created) in series {
        if let Some(seconds) = created {
            write_series_name(out, name, "_created", labels, None);
            write_value_line(out, seconds);
        }
    }
}

/// Escapes HELP text for text format 0.0.4: backslash and line feed, and
/// nothing else. There `\"` is not an escape: older parsers reject it and
/// the Prometheus server shows it as written.
fn escape_help(text: &str) -> Cow<'_, str> {
    // `contains(char)` searches a word at a time; help texts are long.
    if !text.contains('\\') && !text.contains('\n') {
        return Cow::Borrowed(text);
    }
    // The backslash goes first, so the backslashes added next stay single.
    Cow::Owned(text.replace('\\', r"\\").replace('\n', r"\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposition::golden::{check, counter};
    use crate::exposition::{labels, HistogramValue, StateSetValue, NO_LABELS};

    #[track_caller]
    fn check_escape_help(text: &str, expected: &str) {
        assert_eq!(escape_help(text), expected);
    }

    #[test]
    fn help_escapes_backslash_and_newline_only() {
        check_escape_help("plain text", "plain text");
        check_escape_help(r"C:\DIR", r"C:\\DIR");
        check_escape_help("one\ntwo", r"one\ntwo");
        check_escape_help(r#"say "hi""#, r#"say "hi""#);
        check_escape_help("tab\tstays", "tab\tstays");
        check_escape_help(r"\n is not a newline", r"\\n is not a newline");
    }

    #[test]
    fn prometheus_counter_gets_a_created_gauge_family() {
        // client_python's output for Counter('cc', 'A counter'), values in Go style.
        let family =
            Family::counter("cc", "A counter", vec![(NO_LABELS, counter(1.0, Some(1.7e9)))]);
        check(
            &[family],
            TextFormat::Prometheus,
            r"# HELP cc_total A counter
# TYPE cc_total counter
cc_total 1
# HELP cc_created A counter
# TYPE cc_created gauge
cc_created 1.7e+09
",
        );
    }

    #[test]
    fn prometheus_counter_without_created_is_one_family() {
        // The documentation's example, without its timestamps.
        let family = Family::counter(
            "http_requests",
            "The total number of HTTP requests.",
            vec![
                (labels(&[("method", "post"), ("code", "200")]), counter(1027.0, None)),
                (labels(&[("method", "post"), ("code", "400")]), counter(3.0, None)),
            ],
        );
        check(
            &[family],
            TextFormat::Prometheus,
            r#"# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027
http_requests_total{method="post",code="400"} 3
"#,
        );
    }

    #[test]
    fn prometheus_created_family_lists_only_series_with_a_creation_time() {
        let family = Family::counter(
            "requests",
            "Requests served.",
            vec![
                (labels(&[("target", "a")]), counter(5.0, Some(1520430000.0))),
                (labels(&[("target", "b")]), counter(7.0, None)),
            ],
        );
        check(
            &[family],
            TextFormat::Prometheus,
            r#"# HELP requests_total Requests served.
# TYPE requests_total counter
requests_total{target="a"} 5
requests_total{target="b"} 7
# HELP requests_created Requests served.
# TYPE requests_created gauge
requests_created{target="a"} 1.52043e+09
"#,
        );
    }

    #[test]
    fn prometheus_gauges_with_and_without_labels() {
        let families = [
            Family::gauge("metric_without_timestamp_and_labels", "", vec![(NO_LABELS, 12.47)]),
            Family::gauge(
                "msdos_file_access_time_seconds",
                "",
                vec![(
                    labels(&[
                        ("path", r"C:\DIR\FILE.TXT"),
                        ("error", "Cannot find file:\n\"FILE.TXT\""),
                    ]),
                    1.458255915e9,
                )],
            )
            .with_unit("seconds"),
        ];
        // The documentation's examples; a unit changes nothing in 0.0.4.
        check(
            &families,
            TextFormat::Prometheus,
            r#"# TYPE metric_without_timestamp_and_labels gauge
metric_without_timestamp_and_labels 12.47
# TYPE msdos_file_access_time_seconds gauge
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e+09
"#,
        );
    }

    #[test]
    fn prometheus_help_does_not_escape_quotes() {
        let help = "A \"quoted\" C:\\path\nsecond line";
        let family = Family::gauge("x", help, vec![(NO_LABELS, 1.0)]);
        check(
            &[family],
            TextFormat::Prometheus,
            r#"# HELP x A "quoted" C:\\path\nsecond line
# TYPE x gauge
x 1
"#,
        );
    }

    #[test]
    fn prometheus_histogram_is_the_documented_example() {
        // The documentation's histogram: cumulative buckets, `le` after the
        // series' labels, `+Inf` equal to `_count`, then `_sum` and `_count`.
        let histogram =
            HistogramValue::from_buckets(&[(0.005, 0), (0.1, 3), (1.0, 7)], 8, 2.75, None);
        let family = Family::histogram(
            "x_seconds",
            "Request latency.",
            vec![(labels(&[("path", "/a")]), histogram)],
        )
        .with_unit("seconds");
        check(
            &[family],
            TextFormat::Prometheus,
            r#"# HELP x_seconds Request latency.
# TYPE x_seconds histogram
x_seconds_bucket{path="/a",le="0.005"} 0
x_seconds_bucket{path="/a",le="0.1"} 3
x_seconds_bucket{path="/a",le="1"} 7
x_seconds_bucket{path="/a",le="+Inf"} 8
x_seconds_sum{path="/a"} 2.75
x_seconds_count{path="/a"} 8
"#,
        );
    }

    #[test]
    fn prometheus_histogram_series_without_labels_and_created() {
        let histogram =
            |count, created| HistogramValue::from_buckets(&[(1.0, count)], count, 0.5, created);
        let family = Family::histogram(
            "probe_seconds",
            "Probe latency.",
            vec![
                (NO_LABELS, histogram(1, Some(1.7e9))),
                (labels(&[("target", "b")]), histogram(0, None)),
            ],
        );
        check(
            &[family],
            TextFormat::Prometheus,
            r#"# HELP probe_seconds Probe latency.
# TYPE probe_seconds histogram
probe_seconds_bucket{le="1"} 1
probe_seconds_bucket{le="+Inf"} 1
probe_seconds_sum 0.5
probe_seconds_count 1
probe_seconds_bucket{target="b",le="1"} 0
probe_seconds_bucket{target="b",le="+Inf"} 0
probe_seconds_sum{target="b"} 0.5
probe_seconds_count{target="b"} 0
# HELP probe_seconds_created Probe latency.
# TYPE probe_seconds_created gauge
probe_seconds_created 1.7e+09
"#,
        );
    }

    #[test]
    fn prometheus_state_set_is_a_gauge_labelled_with_its_own_name() {
        let family = Family::state_set(
            "probe_state",
            "The outcome of the last probe.",
            vec![
                (labels(&[("target", "a")]), StateSetValue::one_of(&["success", "timeout"], 0)),
                (labels(&[("target", "b")]), StateSetValue::one_of(&["success", "timeout"], 1)),
            ],
        );
        check(
            &[family],
            TextFormat::Prometheus,
            r#"# HELP probe_state The outcome of the last probe.
# TYPE probe_state gauge
probe_state{target="a",probe_state="success"} 1
probe_state{target="a",probe_state="timeout"} 0
probe_state{target="b",probe_state="success"} 0
probe_state{target="b",probe_state="timeout"} 1
"#,
        );
    }
}
