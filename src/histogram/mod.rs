//! Latency histograms: observations counted into buckets, so a scrape shows
//! how probe durations are spread out and not only how long the last one took.
//! Each bucket keeps its own count and `observe` touches just one of them; the
//! cumulative counts the text formats want are summed up only when asked for.
//! Bucket bounds come from code ([`DEFAULT_BUCKETS`]) or from the
//! configuration file ([`parse_buckets`]); their `le` labels are spelled
//! once, when the histogram is made ([`BucketBounds`]). Beside the classic
//! buckets a histogram may keep a native one ([`NativeHistogram`]), fed the
//! same observations, for the protobuf format. Here is the histogram that
//! counts into both; [`bounds`] holds the classic bounds and [`native`] the
//! exponential buckets.

pub mod bounds;
pub mod native;

use std::sync::Arc;

pub use bounds::{parse_buckets, BucketsError, DEFAULT_BUCKETS};
pub use native::{NativeHistogram, Schema};

use crate::exposition::{BucketBounds, HistogramValue};
use bounds::check_bounds;

/// A histogram of observations, such as probe latencies in seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// The upper bounds of the finite buckets: finite and strictly
    /// increasing, shared with every snapshot.
    bounds: Arc<BucketBounds>,
    /// Observations per bucket, not cumulative, with one more entry than
    /// `bounds` for the `+Inf` bucket.
    counts: Vec<u64>,
    /// The sum of all observations.
    sum: f64,
    /// When the histogram started observing, in Unix seconds.
    created: f64,
    /// The same observations in exponential buckets, if kept.
    native: Option<NativeHistogram>,
}

impl Histogram {
    /// Creates an empty histogram with the given finite bucket bounds; the
    /// `+Inf` bucket is added here. `created` is the time now, in Unix seconds.
    ///
    /// # Errors
    ///
    /// When `bounds` is empty, holds NaN or an infinity, or does not strictly
    /// increase.
    pub fn new(bounds: Vec<f64>, created: f64) -> Result<Histogram, BucketsError> {
        check_bounds(&bounds)?;
        let counts = vec![0; bounds.len() + 1];
        let bounds = Arc::new(BucketBounds::new(bounds));
        Ok(Histogram { bounds, counts, sum: 0.0, created, native: None })
    }

    /// The histogram keeping also a native histogram at `schema`, or none
    /// for `None`.
    pub fn with_native(self, schema: Option<Schema>) -> Histogram {
        Histogram { native: schema.map(NativeHistogram::new), ..self }
    }

    /// Records one observation in the first bucket whose bound is greater
    /// than or equal to it, since `le` means "less than or equal", or else in
    /// the `+Inf` bucket. NaN is dropped: it belongs in no bucket, and it
    /// would turn the sum into NaN for good.
    pub fn observe(&mut self, value: f64) {
        if value.is_nan() {
            return;
        }
        let bounds = self.bounds.values();
        let bucket_idx = bounds.iter().position(|&bound| value <= bound).unwrap_or(bounds.len());
        self.counts[bucket_idx] += 1;
        self.sum += value;
        if let Some(native) = &mut self.native {
            native.observe(value);
        }
    }

    /// What the text formats write: for each finite bound, the number of
    /// observations less than or equal to it, and the count, sum and
    /// creation time; and the native buckets, if kept, for the protobuf
    /// format.
    pub fn snapshot(&self) -> HistogramValue {
        let mut running_count = 0;
        // `bounds` is one shorter than `counts`: the `+Inf` count is left out.
        let cumulative = self.counts[..self.bounds.values().len()]
            .iter()
            .map(|&count| {
                running_count += count;
                running_count
            })
            .collect();
        HistogramValue {
            bounds: Arc::clone(&self.bounds),
            cumulative,
            count: self.count(),
            sum: self.sum,
            created: Some(self.created),
            native: self.native.as_ref().map(NativeHistogram::snapshot),
        }
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The sum of all observations.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// When the histogram started observing, in Unix seconds.
    pub fn created(&self) -> f64 {
        self.created
    }

    /// The finite bucket bounds.
    pub fn bounds(&self) -> &[f64] {
        self.bounds.values()
    }

    /// The native histogram kept beside the classic buckets, if any.
    pub fn native(&self) -> Option<&NativeHistogram> {
        self.native.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposition::BucketSpan;
    use crate::histogram::native::DEFAULT_SCHEMA;

    fn cumulative(histogram: &Histogram) -> Vec<(f64, u64)> {
        let snapshot = histogram.snapshot();
        snapshot.bounds.values().iter().copied().zip(snapshot.cumulative).collect()
    }

    #[track_caller]
    fn check(
        bounds: &[f64],
        observations: &[f64],
        expected_cumulative: &[(f64, u64)],
        expected_count: u64,
    ) {
        let mut histogram = Histogram::new(bounds.to_vec(), 0.0).unwrap();
        for &value in observations {
            histogram.observe(value);
        }
        assert_eq!(
            cumulative(&histogram),
            expected_cumulative,
            "cumulative after {observations:?}"
        );
        assert_eq!(histogram.count(), expected_count, "count after {observations:?}");
    }

    #[track_caller]
    fn check_new_error(bounds: &[f64], expected: BucketsError) {
        assert_eq!(Histogram::new(bounds.to_vec(), 0.0), Err(expected));
    }

    #[test]
    fn a_value_on_a_bound_falls_in_that_bucket() {
        check(&[0.1, 1.0], &[], &[(0.1, 0), (1.0, 0)], 0);
        check(&[0.1, 1.0], &[0.1], &[(0.1, 1), (1.0, 1)], 1);
        check(&[0.1, 1.0], &[1.0], &[(0.1, 0), (1.0, 1)], 1);
        check(&[0.1, 1.0], &[0.100001], &[(0.1, 0), (1.0, 1)], 1);
        check(&[0.1, 1.0], &[0.0], &[(0.1, 1), (1.0, 1)], 1);
        check(&[0.1, 1.0], &[-1.0], &[(0.1, 1), (1.0, 1)], 1);
    }

    #[test]
    fn values_above_every_bound_count_only_in_inf() {
        check(&[0.1, 1.0], &[1.5], &[(0.1, 0), (1.0, 0)], 1);
        check(&[0.1, 1.0], &[f64::INFINITY], &[(0.1, 0), (1.0, 0)], 1);
    }

    #[test]
    fn buckets_are_cumulative() {
        // The buckets of the documentation's example: 0 at or below 0.005,
        // 3 at or below 0.1, 7 at or below 1, 8 in all.
        let observations = [0.1, 0.0625, 0.03125, 0.5, 1.0, 0.25, 0.75, 2.0];
        check(&[0.005, 0.1, 1.0], &observations, &[(0.005, 0), (0.1, 3), (1.0, 7)], 8);
    }

    #[test]
    fn nan_is_dropped() {
        let mut histogram = Histogram::new(vec![1.0], 0.0).unwrap();
        histogram.observe(f64::NAN);
        assert_eq!(histogram.count(), 0);
        assert_eq!(histogram.sum(), 0.0);
    }

    #[test]
    fn sum_adds_every_observation_and_bounds_and_created_are_kept() {
        let mut histogram = Histogram::new(vec![0.5, 1.0], 1.7e9).unwrap();
        histogram.observe(0.25);
        histogram.observe(0.5);
        histogram.observe(4.0);
        assert_eq!(histogram.sum(), 4.75);
        assert_eq!(histogram.created(), 1.7e9);
        assert_eq!(histogram.bounds(), &[0.5, 1.0]);
    }

    #[test]
    fn new_rejects_bad_bounds() {
        check_new_error(&[], BucketsError::Empty);
        check_new_error(&[1.0, 1.0], BucketsError::NotIncreasing { previous: 1.0, next: 1.0 });
        check_new_error(&[0.1, 1.0, 0.5], BucketsError::NotIncreasing { previous: 1.0, next: 0.5 });
        check_new_error(&[0.1, f64::INFINITY], BucketsError::NotFinite(f64::INFINITY));
        check_new_error(&[f64::NEG_INFINITY, 0.1], BucketsError::NotFinite(f64::NEG_INFINITY));
        let nan = Histogram::new(vec![0.1, f64::NAN], 0.0);
        assert!(matches!(nan, Err(BucketsError::NotFinite(bound)) if bound.is_nan()), "{nan:?}");
    }

    #[test]
    fn a_native_histogram_sees_what_the_classic_buckets_see() {
        let plain = Histogram::new(DEFAULT_BUCKETS.to_vec(), 0.0).unwrap();
        let mut both = plain.clone().with_native(Some(DEFAULT_SCHEMA));
        assert_eq!(plain.snapshot().native, None, "no native histogram unless asked for");
        for value in [0.001, 0.001, 0.25, f64::NAN] {
            both.observe(value);
        }
        let snapshot = both.snapshot();
        assert_eq!(snapshot.count, 3, "NaN is dropped from both");
        assert_eq!(snapshot.cumulative[2], 2, "the classic buckets are as before");
        let native = snapshot.native.expect("kept");
        // At schema 3, 0.001 is in bucket −79 and 0.25 = 2^−2 ends bucket −16.
        assert_eq!(native.schema, 3);
        assert_eq!(
            native.positive_spans,
            vec![BucketSpan { offset: -79, length: 1 }, BucketSpan { offset: 62, length: 1 }]
        );
        assert_eq!(native.positive_deltas, vec![2, -1]);
        assert_eq!(both.native().map(NativeHistogram::schema), Some(DEFAULT_SCHEMA));
        assert!(Histogram::new(vec![1.0], 0.0).unwrap().with_native(None).native().is_none());
    }

    #[test]
    fn the_text_formats_write_the_classic_buckets_alone() {
        use crate::exposition::{Family, Labels, TextFormat, Writer};
        let text = |histogram: &Histogram, format| {
            let family = Family::histogram(
                "probe_latency_seconds",
                "Latency.",
                vec![(Labels::new(&[]), histogram.snapshot())],
            );
            let mut out = String::new();
            let mut writer = Writer::new(&mut out, format);
            writer.family(&family);
            writer.finish();
            out
        };
        let mut plain = Histogram::new(DEFAULT_BUCKETS.to_vec(), 1.7e9).unwrap();
        let mut both = plain.clone().with_native(Some(DEFAULT_SCHEMA));
        for value in [0.00005, 0.002, 0.002, 3.0] {
            plain.observe(value);
            both.observe(value);
        }
        assert!(both.snapshot().native.is_some());
        for format in [TextFormat::Prometheus, TextFormat::OpenMetrics] {
            assert_eq!(text(&both, format), text(&plain, format), "{format:?}");
        }
    }
}
