//! A histogram's bucket bounds, with the `le` label of each spelled once
//! for both text formats when the histogram is made: the bounds never
//! change, so no scrape formats them again.

use super::{format_value, TextFormat};

/// The upper bounds of a histogram's finite buckets, each with its `le`
/// label already spelled for both text formats (`le="0.005"`): a histogram's
/// bounds never change, so they are formatted once, when it is made, not
/// at every scrape.
#[derive(Debug, PartialEq)]
pub struct BucketBounds {
    values: Vec<f64>,
    prometheus: Vec<String>,
    openmetrics: Vec<String>,
}

/// The `le` label of the bucket that holds every observation.
pub(super) const LE_INFINITY: &str = "le=\"+Inf\"";

impl BucketBounds {
    /// The bounds `values`, which the caller keeps finite and increasing.
    pub fn new(values: Vec<f64>) -> BucketBounds {
        let spell = |format| {
            values.iter().map(|&bound| format!("le=\"{}\"", format_bound(bound, format))).collect()
        };
        BucketBounds {
            prometheus: spell(TextFormat::Prometheus),
            openmetrics: spell(TextFormat::OpenMetrics),
            values,
        }
    }

    /// The bounds, in increasing order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The `le="…"` label of each bound, in `format`'s spelling.
    pub(super) fn le(&self, format: TextFormat) -> &[String] {
        match format {
            TextFormat::Prometheus => &self.prometheus,
            TextFormat::OpenMetrics => &self.openmetrics,
        }
    }
}

/// Formats a bucket bound for `le`. Text format 0.0.4 gets the value form,
/// as client_golang writes it (`1`, `0.005`). OpenMetrics requires the
/// canonical form, which keeps a `.0` on whole numbers (`1.0`, `100000.0`,
/// `1e+06`), so the same bucket is always the same series.
fn format_bound(bound: f64, format: TextFormat) -> String {
    let value = format_value(bound);
    let looks_like_integer = bound.is_finite() && !value.contains(['.', 'e']);
    if format == TextFormat::OpenMetrics && looks_like_integer {
        value + ".0"
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_bound(bound: f64, expected_prometheus: &str, expected_openmetrics: &str) {
        assert_eq!(format_bound(bound, TextFormat::Prometheus), expected_prometheus);
        assert_eq!(format_bound(bound, TextFormat::OpenMetrics), expected_openmetrics);
    }

    #[test]
    fn bucket_bounds_per_format() {
        check_bound(0.005, "0.005", "0.005");
        check_bound(0.0, "0", "0.0");
        check_bound(1.0, "1", "1.0");
        check_bound(2.5, "2.5", "2.5");
        check_bound(10.0, "10", "10.0");
        check_bound(100000.0, "100000", "100000.0");
        check_bound(1e6, "1e+06", "1e+06");
        check_bound(1e-5, "1e-05", "1e-05");
        check_bound(f64::INFINITY, "+Inf", "+Inf");
    }
}
