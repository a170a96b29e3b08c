//! A native histogram's buckets as the protobuf format carries them: an
//! exponential schema, a zero bucket, and the populated positive buckets as
//! sparse spans and count deltas. The data model only; the bucket arithmetic
//! lives with the histogram that observes, and the bytes with the encoder.

/// A run of consecutive populated buckets: `offset` is the index of its first
/// bucket for the first span, and the gap after the previous span for later
/// ones; `length` is how many buckets it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketSpan {
    /// Start index (first span) or gap after the previous span (later spans).
    pub offset: i32,
    /// Number of consecutive buckets in the span.
    pub length: u32,
}

/// The native part of a histogram snapshot (no negative buckets: latencies
/// are never negative).
#[derive(Clone, Debug, PartialEq)]
pub struct NativeBuckets {
    /// The resolution: bucket `i` has upper bound `2^(i · 2^-schema)`; −4 to 8.
    pub schema: i32,
    /// Observations with absolute value at most this go to the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: u64,
    /// The populated positive buckets; one empty span (0, 0) when there are
    /// none, since Prometheus needs a span to know the histogram is native.
    pub positive_spans: Vec<BucketSpan>,
    /// Each populated bucket's count minus the previous one's (the first
    /// against 0), in bucket order.
    pub positive_deltas: Vec<i64>,
}
