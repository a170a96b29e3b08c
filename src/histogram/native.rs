//! Native histograms: latencies counted into exponential buckets that cover
//! every positive number, so no bucket bounds are chosen in advance and a
//! quantile is known to within a few per cent wherever the latencies lie.
//!
//! A schema `s` cuts every power of two into `2^s` buckets: the
//! bucket of index `i` holds the values in `(2^((i−1)·2^−s), 2^(i·2^−s)]`,
//! its upper bound included as with `le`. Values at or below a small
//! [`ZERO_THRESHOLD`] are counted in one zero bucket instead.
//!
//! Which bucket a value goes in must be what Prometheus computes, also for
//! a value that is exactly a bound: so the bounds are Prometheus's own
//! numbers ([`FRACTION_BOUNDS`]), and a value is placed as client_golang
//! places it, by splitting it into a fraction and a power of two and
//! searching the fraction among the bounds of one power of two. No
//! logarithm is taken, so no rounding can put a value on the wrong side of
//! a bound.
//!
//! Only the buckets from the lowest to the highest one populated are kept,
//! at most [`MAX_BUCKETS`] of them: past that, the schema drops by one and
//! each pair of buckets merges into one, as often as needed, so a target's
//! histogram never grows past a kilobyte or two whatever it observes.

use std::fmt;

use crate::exposition::{BucketSpan, NativeBuckets};

/// A native histogram's resolution: each power of two is cut into
/// `2^schema` buckets, from −4 (one bucket per factor of 65536) to 4 (16
/// buckets per power of two, each 4.4 % wider than the one below).
///
/// Prometheus knows schemas up to 8, but a finer one than 4 would need more
/// than [`MAX_BUCKETS`] for latencies that vary by a factor of 32: the
/// first slow or failed probe would halve it at once. Stopping at 4 keeps
/// the table of bounds at 16 numbers instead of 256.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schema(i8);

impl Schema {
    /// The coarsest schema: each bucket's upper bound is 2^16 times its lower.
    pub const COARSEST: Schema = Schema(-4);
    /// The finest schema kept: each bucket's upper bound is 2^(1/16) times
    /// its lower.
    pub const FINEST: Schema = Schema(FINEST_SCHEMA as i8);

    /// The schema of that number, if it is one (−4 to 4).
    pub fn new(schema: i32) -> Option<Schema> {
        let schema = i8::try_from(schema).ok()?;
        (Schema::COARSEST.0..=Schema::FINEST.0).contains(&schema).then_some(Schema(schema))
    }

    /// The schema as a number.
    pub fn value(self) -> i32 {
        i32::from(self.0)
    }

    /// The schema with buckets twice as wide, unless this is the coarsest.
    pub fn coarser(self) -> Option<Schema> {
        Schema::new(self.value() - 1)
    }
}

/// The schema of a latency histogram unless its target sets another: 8
/// buckets per power of two, each 2^(1/8) ≈ 1.09 times as wide as the one
/// below, so a quantile is placed within 9 %. Probe latencies lie between
/// some 50 µs (a service on the same host) and the timeout, some 17 powers
/// of two or 136 buckets: the finest schema at which that whole range fits
/// in [`MAX_BUCKETS`].
pub const DEFAULT_SCHEMA: Schema = Schema(3);

/// Observations at or below this many seconds, 2^−20 s (about 0.95 µs),
/// are counted in the zero bucket. Nothing that crosses a network answers
/// in under a microsecond: a probe that took less failed before it sent a
/// byte, and its latency says nothing of the service. Counting those
/// together keeps them from stretching the buckets down to nanoseconds and
/// costing resolution under the cap. 2^−20 is a bucket bound at every
/// schema from −2 up, so the zero bucket ends where a bucket begins (at −3
/// and −4 the bucket above it reaches below it, which the format allows).
pub const ZERO_THRESHOLD: f64 = 1.0 / 1_048_576.0;

/// The most buckets a native histogram keeps, counted from the lowest
/// populated bucket to the highest, empty ones between included (the
/// memory they take): 160 buckets of 8 bytes. At schema 3 they cover 20
/// powers of two, 1 µs to 1 s or 50 µs to 50 s.
pub const MAX_BUCKETS: usize = 160;

/// Gaps of at most this many empty buckets do not end a span: the empty
/// buckets are sent as zero deltas, which costs less than a new span, as
/// client_golang does.
const MAX_GAP_IN_SPAN: i32 = 2;

/// The finest schema kept, as a number ([`Schema::FINEST`]).
const FINEST_SCHEMA: usize = 4;

/// How many bounds the finest schema has within one power of two.
const BOUNDS_PER_POWER: usize = 1 << FINEST_SCHEMA;

/// `2^(2^−s)` for `s` from 1: the factor from one bucket bound to the next
/// at schema `s`, as Go's `math.Exp2` computes it (the first is one unit in
/// the last place below the nearest double to √2). The bounds are built
/// from these numbers, as Prometheus's were, so that they come out the
/// same to the last bit.
// Not `SQRT_2`, which is one unit above the first.
#[allow(clippy::approx_constant)]
const FACTORS: [f64; FINEST_SCHEMA] =
    [1.414213562373095, 1.189207115002721, 1.0905077326652577, 1.0442737824274138];

/// The bucket bounds within one power of two, scaled to `[0.5, 1)`, at the
/// finest schema: entry `k` is `2^(k/16 − 1)`. Schema `s` uses every
/// `2^(4−s)`-th of them. They are built as Prometheus and client_golang
/// built theirs: a coarser schema's bounds are kept, and each bound added
/// between two of them is the one below times that schema's factor. The
/// rounding of those products leaves some bounds a unit or two in the last
/// place below the exact power of two; Prometheus uses the same numbers, so
/// the buckets agree.
pub const FRACTION_BOUNDS: [f64; BOUNDS_PER_POWER] = fraction_bounds();

const fn fraction_bounds() -> [f64; BOUNDS_PER_POWER] {
    let mut bounds = [0.0; BOUNDS_PER_POWER];
    bounds[0] = 0.5;
    let mut schema = 1;
    while schema <= FINEST_SCHEMA {
        let stride = BOUNDS_PER_POWER >> schema;
        // The odd multiples of `stride` are new at this schema; the even
        // ones are the coarser schema's.
        let mut k = stride;
        while k < BOUNDS_PER_POWER {
            bounds[k] = bounds[k - stride] * FACTORS[schema - 1];
            k += 2 * stride;
        }
        schema += 1;
    }
    bounds
}

/// The index of the bucket that holds `value` at `schema`: the `i` with
/// `2^((i−1)·2^−s) < value ≤ 2^(i·2^−s)`, with Prometheus's bounds. A
/// negative value gets the index of its absolute value, an infinity the
/// bucket after the one of the largest finite number, as client_golang
/// does. Meant for values above the zero bucket; zero and NaN get an index
/// that means nothing.
pub fn bucket_index(value: f64, schema: Schema) -> i32 {
    let value = value.abs();
    if value == f64::INFINITY {
        return bucket_index(f64::MAX, schema) + 1;
    }
    let (fraction, exponent) = frexp(value);
    let s = schema.value();
    if s > 0 {
        // The first bound at or above the fraction, among the finest
        // schema's, then among this schema's: every `stride`-th of those.
        let finest = FRACTION_BOUNDS.partition_point(|&bound| bound < fraction) as i32;
        let stride_log = Schema::FINEST.value() - s;
        let within = (finest + (1 << stride_log) - 1) >> stride_log;
        within + ((exponent - 1) << s)
    } else {
        // Whole powers of two: `value` is at most 2^exponent, or exactly
        // 2^(exponent−1) when the fraction is one half; then 2^−s of those
        // powers share a bucket.
        let power = if fraction == 0.5 { exponent - 1 } else { exponent };
        let powers_per_bucket_log = -s;
        (power + (1 << powers_per_bucket_log) - 1) >> powers_per_bucket_log
    }
}

/// The index, one schema coarser, of the bucket that bucket `index` merges
/// into: `⌈index / 2⌉`, since bucket `i` of the coarser schema holds buckets
/// `2i − 1` and `2i` of the finer.
pub fn coarser_index(index: i32) -> i32 {
    (index + 1) >> 1
}

/// `value` as `fraction · 2^exponent` with `fraction` in `[0.5, 1)`, as C's
/// and Go's `frexp` split it: exactly, read off the bits. `value` is
/// positive and finite; zero gives `(0, 0)`, as `frexp` does.
fn frexp(value: f64) -> (f64, i32) {
    const EXPONENT_BITS: u64 = 0x7ff << 52;
    const ONE_HALF_EXPONENT: u64 = 1022 << 52;
    if value == 0.0 {
        return (value, 0);
    }
    let bits = value.to_bits();
    let biased_exponent = ((bits & EXPONENT_BITS) >> 52) as i32;
    if biased_exponent == 0 {
        // Subnormal: scale into the normal range first, exactly.
        let (fraction, exponent) = frexp(value * 18_446_744_073_709_551_616.0);
        return (fraction, exponent - 64);
    }
    let fraction = f64::from_bits((bits & !EXPONENT_BITS) | ONE_HALF_EXPONENT);
    (fraction, biased_exponent - 1022)
}

/// The positive buckets and the zero bucket of one native histogram.
/// Shared the way the classic histogram beside it is, behind its target's
/// lock: `observe` holds it for a few comparisons and one increment.
#[derive(Clone, Debug, PartialEq)]
pub struct NativeHistogram {
    schema: Schema,
    zero_count: u64,
    /// The index of `counts[0]`; meaningless while `counts` is empty.
    first_index: i32,
    /// Observations per bucket from the lowest populated bucket to the
    /// highest, so both ends are always populated; at most [`MAX_BUCKETS`].
    counts: Vec<u64>,
}

impl NativeHistogram {
    /// An empty histogram at `schema`.
    pub fn new(schema: Schema) -> NativeHistogram {
        NativeHistogram { schema, zero_count: 0, first_index: 0, counts: Vec::new() }
    }

    /// The schema now: the one it was made with, or coarser if the cap on
    /// buckets was reached.
    pub fn schema(&self) -> Schema {
        self.schema
    }

    /// Counts one observation: in the zero bucket when it is at most
    /// [`ZERO_THRESHOLD`] from zero, else in its bucket, after halving the
    /// resolution as often as it takes to keep within [`MAX_BUCKETS`]. NaN
    /// is dropped, as client_golang drops it from native buckets, and so is
    /// a value below `−ZERO_THRESHOLD`: a latency is never negative, and
    /// this histogram has no negative buckets.
    pub fn observe(&mut self, value: f64) {
        if value.is_nan() || value < -ZERO_THRESHOLD {
            return;
        }
        if value <= ZERO_THRESHOLD {
            self.zero_count += 1;
            return;
        }
        let mut index = bucket_index(value, self.schema);
        // At the coarsest schema, everything from the zero bucket to +Inf
        // takes 67 buckets, so this ends within the cap.
        while self.width_with(index) > MAX_BUCKETS {
            let Some(coarser) = self.schema.coarser() else { break };
            self.halve_resolution(coarser);
            index = bucket_index(value, coarser);
        }
        self.add_to_bucket(index);
    }

    /// How many buckets would be kept with bucket `index` populated too.
    fn width_with(&self, index: i32) -> usize {
        if self.counts.is_empty() {
            return 1;
        }
        let first = self.first_index.min(index);
        let last = self.last_index().max(index);
        (last - first) as usize + 1
    }

    fn last_index(&self) -> i32 {
        self.first_index + self.counts.len() as i32 - 1
    }

    /// Merges each bucket into the one of the `coarser` schema that holds
    /// it; counts are only added, never split, so none is lost.
    fn halve_resolution(&mut self, coarser: Schema) {
        let first = coarser_index(self.first_index);
        let mut merged = vec![0; (coarser_index(self.last_index()) - first) as usize + 1];
        for (index, &count) in (self.first_index..).zip(&self.counts) {
            merged[(coarser_index(index) - first) as usize] += count;
        }
        self.schema = coarser;
        self.first_index = first;
        self.counts = merged;
    }

    /// Adds one to bucket `index`, widening the kept range to reach it.
    fn add_to_bucket(&mut self, index: i32) {
        if self.counts.is_empty() {
            self.first_index = index;
            self.counts.push(0);
        } else if index < self.first_index {
            let mut widened = vec![0; (self.first_index - index) as usize];
            widened.extend_from_slice(&self.counts);
            self.counts = widened;
            self.first_index = index;
        } else if index > self.last_index() {
            self.counts.resize((index - self.first_index) as usize + 1, 0);
        }
        self.counts[(index - self.first_index) as usize] += 1;
    }

    /// The buckets as the protobuf format carries them: the populated ones
    /// as spans and deltas, one empty span when there are none.
    pub fn snapshot(&self) -> NativeBuckets {
        let (positive_spans, positive_deltas) = spans_and_deltas(self.first_index, &self.counts);
        NativeBuckets {
            schema: self.schema.value(),
            zero_threshold: ZERO_THRESHOLD,
            zero_count: self.zero_count,
            positive_spans,
            positive_deltas,
        }
    }
}

/// Spans and deltas for the buckets `counts`, the first of index
/// `first_index`. Empty buckets are left out, but a gap of up to
/// [`MAX_GAP_IN_SPAN`] of them stays inside a span, as zero counts; a
/// longer one starts a new span whose offset is the gap. With no bucket
/// populated, one empty span `(0, 0)`, which tells Prometheus that the
/// histogram is native.
fn spans_and_deltas(first_index: i32, counts: &[u64]) -> (Vec<BucketSpan>, Vec<i64>) {
    let mut spans: Vec<BucketSpan> = Vec::new();
    let mut deltas = Vec::with_capacity(counts.len());
    let mut previous_count = 0;
    // The index after the last bucket sent; the first span's offset is its
    // index, so the first gap counts from 0.
    let mut next_index = 0;
    for (index, &count) in (first_index..).zip(counts) {
        if count == 0 {
            continue;
        }
        let gap = index - next_index;
        let sent_from = match spans.last_mut() {
            Some(span) if gap <= MAX_GAP_IN_SPAN => {
                span.length += gap as u32 + 1;
                next_index
            }
            _ => {
                spans.push(BucketSpan { offset: gap, length: 1 });
                index
            }
        };
        // The empty buckets of a short gap, then this one.
        let sent = &counts[(sent_from - first_index) as usize..=(index - first_index) as usize];
        for &count in sent {
            // A count of observations never reaches 2^63.
            deltas.push(count as i64 - previous_count);
            previous_count = count as i64;
        }
        next_index = index + 1;
    }
    if spans.is_empty() {
        spans.push(BucketSpan { offset: 0, length: 0 });
    }
    (spans, deltas)
}

/// A `native_buckets` setting that is neither a schema nor `none`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError {
    /// The setting as written.
    text: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "native schema `{}` is neither a whole number from -4 to 4 nor `none`", self.text)
    }
}

impl std::error::Error for SchemaError {}

/// Parses a schema from the configuration file: a whole number from −4 to
/// 4, or `none` (`Ok(None)`) for no native histogram.
///
/// # Errors
///
/// When the text is neither `none` nor such a number.
pub fn parse_schema(text: &str) -> Result<Option<Schema>, SchemaError> {
    let text = text.trim();
    if text == "none" {
        return Ok(None);
    }
    let schema = text.parse().ok().and_then(Schema::new);
    schema.map(Some).ok_or_else(|| SchemaError { text: text.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_random::Random;

    fn schema(s: i32) -> Schema {
        Schema::new(s).unwrap()
    }

    fn all_schemas() -> impl Iterator<Item = Schema> {
        (-4..=4).map(schema)
    }

    /// `2^exponent` for any exponent a double reaches, subnormals included.
    fn power_of_two(exponent: i32) -> f64 {
        if exponent < -1022 {
            return power_of_two(exponent + 64) / 18_446_744_073_709_551_616.0;
        }
        f64::from_bits(((exponent + 1023) as u64) << 52)
    }

    fn next_up(value: f64) -> f64 {
        f64::from_bits(value.to_bits() + 1)
    }

    fn next_down(value: f64) -> f64 {
        f64::from_bits(value.to_bits() - 1)
    }

    /// The upper bound of bucket `index`, as Prometheus's own bound
    /// function computes it (`getBound` in its `model/histogram`): for a
    /// positive schema, one of the fraction bounds times a power of two;
    /// else a power of two. `f64::MAX` stands for the bucket of `2^1024`.
    fn upper_bound(index: i32, schema: Schema) -> f64 {
        let s = schema.value();
        if s <= 0 {
            let exponent = index << -s;
            return if exponent >= 1024 { f64::MAX } else { power_of_two(exponent) };
        }
        let within = (index & ((1 << s) - 1)) as usize;
        let exponent = (index >> s) + 1;
        let fraction = FRACTION_BOUNDS[within << (Schema::FINEST.value() - s)];
        if exponent == 1025 && within == 0 {
            return f64::MAX;
        }
        // Two steps, so neither factor leaves the range of a double.
        fraction * power_of_two(exponent / 2) * power_of_two(exponent - exponent / 2)
    }

    /// Any positive finite double, every exponent equally likely.
    fn any_positive(random: &mut Random) -> f64 {
        loop {
            let value = f64::from_bits(random.next() >> 1);
            if value.is_finite() && value > 0.0 {
                return value;
            }
        }
    }

    /// A latency between 1 µs and 100 s, spread evenly on a log scale.
    fn latency(random: &mut Random) -> f64 {
        let uniform = (random.next() >> 11) as f64 / (1u64 << 53) as f64;
        1e-6 * 1e8f64.powf(uniform)
    }

    #[track_caller]
    fn check_index(value: f64, s: i32, expected: i32) {
        assert_eq!(bucket_index(value, schema(s)), expected, "bucket of {value:e} at schema {s}");
    }

    #[test]
    fn the_bounds_are_prometheus_numbers() {
        // Entries of client_golang's published tables for schemas 1, 3 and
        // 4, among them bounds a unit or two in the last place below the
        // nearest double to the exact power of two (0.70710678118654757,
        // 0.87812608018664965, 0.95760328069857370).
        assert_eq!(FRACTION_BOUNDS[8], 0.7071067811865475);
        assert_eq!(FRACTION_BOUNDS[2], 0.5452538663326288);
        assert_eq!(FRACTION_BOUNDS[14], 0.9170040432046711);
        assert_eq!(FRACTION_BOUNDS[1], 0.5221368912137069);
        assert_eq!(FRACTION_BOUNDS[11], 0.805245165974627);
        assert_eq!(FRACTION_BOUNDS[13], 0.8781260801866495);
        assert_eq!(FRACTION_BOUNDS[15], 0.9576032806985735);
    }

    #[test]
    fn every_bound_is_within_three_units_in_the_last_place_of_the_exact_power() {
        let unit = f64::EPSILON / 2.0; // of a number in [0.5, 1)
        for (k, &bound) in FRACTION_BOUNDS.iter().enumerate() {
            let exact = 2f64.powf(k as f64 / 16.0 - 1.0);
            assert!((bound - exact).abs() <= 3.0 * unit, "bound {k}: {bound} against {exact}");
        }
        assert!(FRACTION_BOUNDS.windows(2).all(|pair| pair[0] < pair[1]), "increasing");
    }

    #[test]
    fn frexp_splits_exactly_also_subnormals() {
        assert_eq!(frexp(1.0), (0.5, 1));
        assert_eq!(frexp(0.75), (0.75, 0));
        assert_eq!(frexp(3.0), (0.75, 2));
        assert_eq!(frexp(f64::MAX), (1.0 - f64::EPSILON / 2.0, 1024));
        assert_eq!(frexp(f64::MIN_POSITIVE), (0.5, -1021));
        assert_eq!(frexp(power_of_two(-1074)), (0.5, -1073));
        assert_eq!(frexp(3.0 * power_of_two(-1074)), (0.75, -1072));
    }

    #[test]
    fn a_power_of_two_is_the_upper_bound_of_its_bucket_at_every_schema() {
        for s in -4..=4 {
            for exponent in -1074..=1023 {
                let value = power_of_two(exponent);
                // Bucket `i` ends at 2^(i·2^−s); for a negative schema the
                // power is rounded up to the bucket that holds it.
                let expected = if s >= 0 {
                    exponent << s
                } else {
                    (exponent + (1 << -s) - 1).div_euclid(1 << -s)
                };
                check_index(value, s, expected);
                // Among subnormals a step of one unit crosses buckets.
                if exponent >= -1022 {
                    let bound_of_its_bucket = s >= 0 || exponent % (1 << -s) == 0;
                    check_index(next_up(value), s, expected + i32::from(bound_of_its_bucket));
                    check_index(next_down(value), s, expected);
                }
            }
        }
        check_index(1.0, 3, 0);
        check_index(2.0, 3, 8);
        check_index(0.5, 3, -8);
        check_index(next_up(1.0), 0, 1);
        check_index(next_down(1.0), 0, 0);
        check_index(1.0, -1, 0);
        check_index(next_up(1.0), -1, 1);
        check_index(4.0, -1, 1);
        check_index(next_up(4.0), -1, 2);
    }

    #[test]
    fn every_bound_of_the_table_is_inclusive_at_every_schema() {
        for s in 1..=4 {
            let schema = schema(s);
            for exponent in [-1021, -20, -1, 0, 1, 7, 1023] {
                for within in 0..(1 << s) {
                    let index = within + ((exponent - 1) << s);
                    let bound = upper_bound(index, schema);
                    assert_eq!(bucket_index(bound, schema), index, "{bound:e} at {s}");
                    assert_eq!(bucket_index(next_up(bound), schema), index + 1, "above {bound:e}");
                    assert_eq!(bucket_index(next_down(bound), schema), index, "below {bound:e}");
                }
            }
        }
    }

    #[test]
    fn the_extremes_go_where_client_golang_puts_them() {
        // f64::MAX is in the bucket ending at 2^1024; +Inf in the next one.
        check_index(f64::MAX, 3, 1024 << 3);
        check_index(f64::INFINITY, 3, (1024 << 3) + 1);
        check_index(f64::MAX, 4, 1024 << 4);
        check_index(f64::INFINITY, 4, (1024 << 4) + 1);
        check_index(f64::MAX, 0, 1024);
        check_index(f64::INFINITY, 0, 1025);
        check_index(f64::MAX, -4, 64);
        check_index(f64::INFINITY, -4, 65);
        // The smallest subnormal, 2^−1074, ends its bucket.
        check_index(power_of_two(-1074), 4, -1074 << 4);
        check_index(power_of_two(-1074), 0, -1074);
        check_index(power_of_two(-1074), -4, -67);
        check_index(3.0 * power_of_two(-1074), 0, -1072);
    }

    #[test]
    fn every_value_lies_within_prometheus_bounds_of_its_bucket() {
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        for round in 0..200_000 {
            let value =
                if round % 2 == 0 { any_positive(&mut random) } else { latency(&mut random) };
            if value < f64::MIN_POSITIVE {
                continue; // Bounds among subnormals round; see the powers of two.
            }
            let schema = schema((random.next() % 9) as i32 - 4);
            let index = bucket_index(value, schema);
            assert!(upper_bound(index - 1, schema) < value, "{value:e} above bucket {index}");
            assert!(value <= upper_bound(index, schema), "{value:e} in bucket {index}");
        }
    }

    #[test]
    fn every_value_agrees_with_a_slow_reference_away_from_the_bounds() {
        // The reference computes bounds with `powf`, which may differ from
        // Prometheus's in the last few places: where a value is that close
        // to a bound, the two may pick neighbours; nowhere else.
        let reference_bound = |index: i32, s: i32| 2f64.powf(index as f64 * 2f64.powi(-s));
        let mut random = Random(0x2545_f491_4f6c_dd1d);
        let mut close_calls = 0;
        for _ in 0..100_000 {
            let value = latency(&mut random);
            let s = (random.next() % 9) as i32 - 4;
            let mut reference = (value.log2() * 2f64.powi(s)).ceil() as i32;
            while reference_bound(reference - 1, s) >= value {
                reference -= 1;
            }
            while reference_bound(reference, s) < value {
                reference += 1;
            }
            let index = bucket_index(value, schema(s));
            if index != reference {
                let between = reference_bound(index.min(reference), s);
                let distance = (value - between).abs() / between;
                assert!(distance < 1e-14, "{value:e} at {s}: {index} against {reference}");
                close_calls += 1;
            }
        }
        assert!(close_calls < 10, "{close_calls} values next to a bound");
    }

    #[test]
    fn a_coarser_schema_merges_bucket_pairs_into_the_ceiling_of_half() {
        for (index, merged) in [(-3, -1), (-2, -1), (-1, 0), (0, 0), (1, 1), (2, 1), (3, 2), (4, 2)]
        {
            assert_eq!(coarser_index(index), merged, "{index}");
        }
        // client_golang's spelling: add one to a positive index, then
        // divide by two truncating towards zero.
        for index in -1000..=1000 {
            let golang = if index > 0 { (index + 1) / 2 } else { index / 2 };
            assert_eq!(coarser_index(index), golang, "{index}");
        }
        // And a value's bucket one schema coarser is the merge of its bucket.
        let mut random = Random(7);
        for _ in 0..50_000 {
            let value = any_positive(&mut random);
            let s = (random.next() % 8) as i32 - 3;
            let finer = bucket_index(value, schema(s));
            assert_eq!(coarser_index(finer), bucket_index(value, schema(s - 1)), "{value:e} {s}");
        }
        for s in -3..=4 {
            let infinity = bucket_index(f64::INFINITY, schema(s));
            assert_eq!(coarser_index(infinity), bucket_index(f64::INFINITY, schema(s - 1)));
        }
    }

    #[track_caller]
    fn check_snapshot(s: i32, observations: &[f64], spans: &[(i32, u32)], deltas: &[i64]) {
        let mut histogram = NativeHistogram::new(schema(s));
        for &value in observations {
            histogram.observe(value);
        }
        let snapshot = histogram.snapshot();
        let expected: Vec<BucketSpan> =
            spans.iter().map(|&(offset, length)| BucketSpan { offset, length }).collect();
        assert_eq!(snapshot.positive_spans, expected, "spans of {observations:?}");
        assert_eq!(snapshot.positive_deltas, deltas, "deltas of {observations:?}");
    }

    #[test]
    fn an_empty_histogram_reads_as_one_empty_span() {
        let snapshot = NativeHistogram::new(DEFAULT_SCHEMA).snapshot();
        assert_eq!(
            snapshot,
            NativeBuckets {
                schema: 3,
                zero_threshold: ZERO_THRESHOLD,
                zero_count: 0,
                positive_spans: vec![BucketSpan { offset: 0, length: 0 }],
                positive_deltas: vec![],
            }
        );
    }

    #[test]
    fn spans_join_gaps_of_two_empty_buckets_and_break_at_three() {
        // Schema 0: 1 is in bucket 0, 2 in 1, 16 in 4, 1024 in 10.
        check_snapshot(0, &[1.0], &[(0, 1)], &[1]);
        check_snapshot(0, &[1.0, 2.0, 2.0], &[(0, 2)], &[1, 1]);
        // Buckets 2 and 3 empty: one span, with zero counts for them.
        check_snapshot(0, &[1.0, 2.0, 2.0, 16.0], &[(0, 5)], &[1, 1, -2, 0, 1]);
        // Buckets 5 to 9 empty: a new span 5 buckets on.
        check_snapshot(0, &[1.0, 2.0, 2.0, 16.0, 1024.0], &[(0, 5), (5, 1)], &[1, 1, -2, 0, 1, 0]);
        // Three empty buckets (1, 2, 3) break the span.
        check_snapshot(0, &[1.0, 16.0], &[(0, 1), (3, 1)], &[1, 0]);
        // The first span starts at its index, below zero too.
        check_snapshot(0, &[0.25, 0.25, 0.5], &[(-2, 2)], &[2, -1]);
        check_snapshot(3, &[0.001], &[(-79, 1)], &[1]);
    }

    #[test]
    fn the_zero_bucket_holds_what_is_at_most_the_threshold() {
        let mut histogram = NativeHistogram::new(DEFAULT_SCHEMA);
        for value in [0.0, -0.0, ZERO_THRESHOLD, next_down(ZERO_THRESHOLD), 5e-324, -1e-9] {
            histogram.observe(value);
        }
        assert_eq!(histogram.snapshot().zero_count, 6);
        assert_eq!(histogram.snapshot().positive_spans, vec![BucketSpan { offset: 0, length: 0 }]);
        // Just above the threshold: the first bucket above it, −20·8 + 1.
        histogram.observe(next_up(ZERO_THRESHOLD));
        assert_eq!(
            histogram.snapshot().positive_spans,
            vec![BucketSpan { offset: -159, length: 1 }]
        );
        assert_eq!(histogram.snapshot().zero_count, 6);
    }

    #[test]
    fn nan_and_negative_latencies_are_dropped() {
        let mut histogram = NativeHistogram::new(DEFAULT_SCHEMA);
        histogram.observe(f64::NAN);
        histogram.observe(-1.0);
        histogram.observe(f64::NEG_INFINITY);
        assert_eq!(histogram, NativeHistogram::new(DEFAULT_SCHEMA));
    }

    fn total(snapshot: &NativeBuckets) -> i64 {
        let mut count = 0;
        snapshot
            .positive_deltas
            .iter()
            .map(|delta| {
                count += delta;
                count
            })
            .sum::<i64>()
            + snapshot.zero_count as i64
    }

    #[test]
    fn at_the_cap_the_schema_drops_and_no_observation_is_lost() {
        let mut random = Random(42);
        let mut histogram = NativeHistogram::new(Schema::FINEST);
        let mut observations = Vec::new();
        for _ in 0..5_000 {
            let value = latency(&mut random);
            histogram.observe(value);
            observations.push(value);
            assert!(histogram.counts.len() <= MAX_BUCKETS, "{}", histogram.counts.len());
            assert!(histogram.counts.first() != Some(&0) && histogram.counts.last() != Some(&0));
        }
        // 1 µs to 100 s is 27 powers of two: schema 2 keeps 108 buckets,
        // schema 3 would need 216.
        assert_eq!(histogram.schema(), schema(2));
        assert_eq!(total(&histogram.snapshot()), 5_000);
        // The merged buckets are those a histogram made at schema 2 fills.
        let mut direct = NativeHistogram::new(schema(2));
        for &value in &observations {
            direct.observe(value);
        }
        assert_eq!(histogram.snapshot(), direct.snapshot());
    }

    #[test]
    fn one_infinite_observation_coarsens_until_it_fits() {
        let mut histogram = NativeHistogram::new(DEFAULT_SCHEMA);
        histogram.observe(0.001);
        histogram.observe(f64::INFINITY);
        // From bucket −10 to 2^1024's next, 1035 powers of two apart: at
        // schema −3, eight powers per bucket, that is 131 buckets.
        assert_eq!(histogram.schema(), schema(-3));
        let snapshot = histogram.snapshot();
        assert_eq!(
            snapshot.positive_spans,
            vec![BucketSpan { offset: -1, length: 1 }, BucketSpan { offset: 129, length: 1 },]
        );
        assert_eq!(snapshot.positive_deltas, vec![1, 0]);
        assert_eq!(bucket_index(f64::INFINITY, schema(-3)), 129);
    }

    #[test]
    fn at_the_coarsest_schema_everything_fits_under_the_cap() {
        let mut histogram = NativeHistogram::new(Schema::COARSEST);
        for value in [next_up(ZERO_THRESHOLD), 1.0, f64::MAX, f64::INFINITY] {
            histogram.observe(value);
        }
        assert_eq!(histogram.schema(), Schema::COARSEST);
        assert_eq!(histogram.counts.len(), 67);
        assert!(histogram.counts.len() <= MAX_BUCKETS);
    }

    #[test]
    fn schemas_parse_from_minus_four_to_four_or_none() {
        assert_eq!(parse_schema("3"), Ok(Some(schema(3))));
        assert_eq!(parse_schema(" -4 "), Ok(Some(schema(-4))));
        assert_eq!(parse_schema("4"), Ok(Some(schema(4))));
        assert_eq!(parse_schema("none"), Ok(None));
        for wrong in ["5", "8", "-5", "99999999999", "1.5", "", "three"] {
            let err = parse_schema(wrong).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "native schema `{wrong}` is neither a whole number from -4 to 4 nor `none`"
                )
            );
        }
        assert!(all_schemas().all(|s| Schema::new(s.value()) == Some(s)));
        assert_eq!(Schema::new(5), None);
        assert_eq!(Schema::COARSEST.coarser(), None);
    }
}
