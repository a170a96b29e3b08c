//! OpenMetrics 1.0, the text format Prometheus 2.5 and later rank first:
//! every sample of a series kept together (a counter's `_created` right
//! after its `_total`), a `# UNIT` line, state sets as such, and a body
//! that ends with `# EOF` ([`Writer::finish`](super::Writer::finish)).

use super::labels::escape_label_value;
use super::lines::{
    write_gauge_samples, write_histogram_series, write_metadata_line, write_series_name,
    write_state_set_samples, write_value_line,
};
use super::{Family, Samples, TextFormat};

/// OpenMetrics keeps every sample of a series together: a counter's
/// `_created` follows its `_total`, and a histogram's follows its `_sum`.
pub(super) fn write_openmetrics_family(out: &mut String, name: &str, family: &Family) {
    let type_name = match family.samples {
        Samples::Gauge(_) => "gauge",
        Samples::Counter(_) => "counter",
        Samples::Histogram(_) => "histogram",
        Samples::StateSet(_) => "stateset",
    };
    write_openmetrics_metadata(out, name, family, type_name);
    match &family.samples {
        Samples::Gauge(series) => write_gauge_samples(out, name, series),
        Samples::Counter(series) => {
            for &(labels, ref counter) in series.iter() {
                write_series_name(out, name, "_total", labels, None);
                write_value_line(out, counter.total);
                if let Some(seconds) = counter.created {
                    write_series_name(out, name, "_created", labels, None);
                    write_value_line(out, seconds);
                }
            }
        }
        Samples::Histogram(series) => {
            for &(labels, ref histogram) in series.iter() {
                write_histogram_series(out, name, labels, histogram, TextFormat::OpenMetrics);
            }
        }
        Samples::StateSet(series) => write_state_set_samples(out, name, series),
    }
}

/// Writes `# TYPE`, `# UNIT` and `# HELP`, in the order the OpenMetrics
/// specification recommends. HELP is escaped like a label value there.
fn write_openmetrics_metadata(out: &mut String, name: &str, family: &Family, type_name: &str) {
    write_metadata_line(out, "# TYPE ", name, "", type_name);
    if let Some(unit) = family.unit {
        write_metadata_line(out, "# UNIT ", name, "", unit);
    }
    if !family.help.is_empty() {
        write_metadata_line(out, "# HELP ", name, "", &escape_label_value(family.help));
    }
}

#[cfg(test)]
mod tests {
    use crate::exposition::golden::{check, counter};
    use crate::exposition::{labels, Family, HistogramValue, StateSetValue, TextFormat, NO_LABELS};

    #[test]
    fn openmetrics_gauge_ends_with_eof() {
        let family = Family::gauge("foo", "", vec![(NO_LABELS, 17.0)]);
        check(
            &[family],
            TextFormat::OpenMetrics,
            r"# TYPE foo gauge
foo 17
# EOF
",
        );
    }

    #[test]
    fn openmetrics_counter_with_unit_keeps_each_series_together() {
        let family = Family::counter(
            "foo_seconds",
            "Total time spent.",
            vec![
                (labels(&[("target", "a")]), counter(17.0, Some(1520430000.123))),
                (labels(&[("target", "b")]), counter(3.0, None)),
            ],
        )
        .with_unit("seconds");
        check(
            &[family],
            TextFormat::OpenMetrics,
            r#"# TYPE foo_seconds counter
# UNIT foo_seconds seconds
# HELP foo_seconds Total time spent.
foo_seconds_total{target="a"} 17
foo_seconds_created{target="a"} 1.520430000123e+09
foo_seconds_total{target="b"} 3
# EOF
"#,
        );
    }

    #[test]
    fn openmetrics_help_escapes_quotes_too() {
        let help = "A \"quoted\" C:\\path\nsecond line";
        let family = Family::gauge("x", help, vec![(NO_LABELS, 1.0)]);
        check(
            &[family],
            TextFormat::OpenMetrics,
            r#"# TYPE x gauge
# HELP x A \"quoted\" C:\\path\nsecond line
x 1
# EOF
"#,
        );
    }

    #[test]
    fn openmetrics_histogram_uses_canonical_le() {
        // The specification's histogram example.
        let bounds = [0.0, 1e-5, 0.0001, 0.1, 1.0, 10.0, 100000.0, 1e6, 1e23, 1.1e23];
        let cumulative_counts = [0, 0, 5, 8, 10, 11, 11, 15, 16, 17];
        let buckets: Vec<(f64, u64)> = bounds.into_iter().zip(cumulative_counts).collect();
        let histogram = HistogramValue::from_buckets(&buckets, 17, 324789.3, Some(1520430000.123));
        let family = Family::histogram("foo", "", vec![(NO_LABELS, histogram)]);
        check(
            &[family],
            TextFormat::OpenMetrics,
            r#"# TYPE foo histogram
foo_bucket{le="0.0"} 0
foo_bucket{le="1e-05"} 0
foo_bucket{le="0.0001"} 5
foo_bucket{le="0.1"} 8
foo_bucket{le="1.0"} 10
foo_bucket{le="10.0"} 11
foo_bucket{le="100000.0"} 11
foo_bucket{le="1e+06"} 15
foo_bucket{le="1e+23"} 16
foo_bucket{le="1.1e+23"} 17
foo_bucket{le="+Inf"} 17
foo_count 17
foo_sum 324789.3
foo_created 1.520430000123e+09
# EOF
"#,
        );
    }

    #[test]
    fn openmetrics_state_set_is_the_specification_example() {
        // The specification's state set example.
        let states = |set: &[bool]| {
            let bits = set.iter().rev().fold(0, |bits, &is_set| bits << 1 | u64::from(is_set));
            StateSetValue::new(&["a", "bb", "ccc"], bits)
        };
        let family = Family::state_set(
            "foo",
            "",
            vec![
                (labels(&[("entity", "controller")]), states(&[true, false, false])),
                (labels(&[("entity", "replica")]), states(&[true, false, true])),
            ],
        );
        check(
            &[family],
            TextFormat::OpenMetrics,
            r#"# TYPE foo stateset
foo{entity="controller",foo="a"} 1
foo{entity="controller",foo="bb"} 0
foo{entity="controller",foo="ccc"} 0
foo{entity="replica",foo="a"} 1
foo{entity="replica",foo="bb"} 0
foo{entity="replica",foo="ccc"} 1
# EOF
"#,
        );
    }
}
