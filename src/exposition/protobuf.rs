//! The Prometheus protobuf format: each family a `MetricFamily` message of
//! `io.prometheus.client`, preceded by its length as a varint
//! (`encoding=delimited`). The third encoder of the one model: the same
//! [`Family`] values the text writers take, written as the messages of
//! `metrics.proto` with the field numbers below.
//!
//! It is the one format that carries what the text formats cannot: a
//! counter's or histogram's creation time as its `start_timestamp` (so no
//! `_created` families here), and a histogram's native buckets. Like 0.0.4
//! it has no state set: each state is a gauge series labelled with the
//! family's name, as the text format writes it and as client_golang writes
//! what has no protobuf type. Names and label values go as they are:
//! protobuf strings need no escaping.
//!
//! The bytes are written in place ([`wire::length_delimited`]), so a scrape
//! allocates nothing here beyond the body it fills.

use super::wire::{self, put_double, put_int, put_sint, put_string, put_uint};
use super::{CounterValue, Family, HistogramValue, Labels, NativeBuckets, Samples, StateSetValue};

/// The `Content-Type` of a body in this format.
pub const CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// `MetricType`, the values of `MetricFamily.type`.
mod metric_type {
    pub const COUNTER: u64 = 0;
    pub const GAUGE: u64 = 1;
    pub const HISTOGRAM: u64 = 4;
}

/// Field numbers of `MetricFamily`.
mod family_fields {
    pub const NAME: u32 = 1;
    pub const HELP: u32 = 2;
    pub const TYPE: u32 = 3;
    pub const METRIC: u32 = 4;
    pub const UNIT: u32 = 5;
}

/// Field numbers of `Metric`, of `LabelPair`, and of the one-value
/// messages `Gauge` and `Counter`.
mod metric_fields {
    pub const LABEL: u32 = 1;
    pub const GAUGE: u32 = 2;
    pub const COUNTER: u32 = 3;
    pub const HISTOGRAM: u32 = 7;
    pub const LABEL_NAME: u32 = 1;
    pub const LABEL_VALUE: u32 = 2;
    /// `Gauge.value` and `Counter.value`.
    pub const VALUE: u32 = 1;
    pub const COUNTER_START_TIMESTAMP: u32 = 3;
}

/// Field numbers of `Histogram`, `Bucket`, `BucketSpan` and `Timestamp`.
mod histogram_fields {
    pub const SAMPLE_COUNT: u32 = 1;
    pub const SAMPLE_SUM: u32 = 2;
    pub const BUCKET: u32 = 3;
    pub const SCHEMA: u32 = 5;
    pub const ZERO_THRESHOLD: u32 = 6;
    pub const ZERO_COUNT: u32 = 7;
    pub const POSITIVE_SPAN: u32 = 12;
    pub const POSITIVE_DELTA: u32 = 13;
    pub const START_TIMESTAMP: u32 = 15;
    pub const BUCKET_CUMULATIVE_COUNT: u32 = 1;
    pub const BUCKET_UPPER_BOUND: u32 = 2;
    pub const SPAN_OFFSET: u32 = 1;
    pub const SPAN_LENGTH: u32 = 2;
    pub const TIMESTAMP_SECONDS: u32 = 1;
    pub const TIMESTAMP_NANOS: u32 = 2;
}

/// Appends `family` as one length-prefixed `MetricFamily`; a family
/// without samples writes nothing, as in the text formats.
pub fn write_family(out: &mut Vec<u8>, family: &Family) {
    if family.samples.is_empty() {
        return;
    }
    wire::length_delimited(out, |out| write_metric_family(out, family));
}

fn write_metric_family(out: &mut Vec<u8>, family: &Family) {
    let name = family.name;
    match &family.samples {
        // A counter's series are named with `_total`, and the protobuf
        // family carries the series name: Prometheus adds no suffix.
        Samples::Counter(_) => put_string_parts(out, family_fields::NAME, &[name, "_total"]),
        _ => put_string(out, family_fields::NAME, name),
    }
    if !family.help.is_empty() {
        put_string(out, family_fields::HELP, family.help);
    }
    let type_value = match family.samples {
        Samples::Gauge(_) | Samples::StateSet(_) => metric_type::GAUGE,
        Samples::Counter(_) => metric_type::COUNTER,
        Samples::Histogram(_) => metric_type::HISTOGRAM,
    };
    put_uint(out, family_fields::TYPE, type_value);
    match &family.samples {
        Samples::Gauge(series) => {
            for &(labels, value) in series.iter() {
                wire::message(out, family_fields::METRIC, |out| {
                    write_gauge_metric(out, labels, None, value)
                });
            }
        }
        Samples::Counter(series) => {
            for (labels, counter) in series.iter() {
                wire::message(out, family_fields::METRIC, |out| {
                    write_counter_metric(out, *labels, counter)
                });
            }
        }
        Samples::Histogram(series) => {
            for (labels, histogram) in series.iter() {
                wire::message(out, family_fields::METRIC, |out| {
                    write_histogram_metric(out, *labels, histogram)
                });
            }
        }
        Samples::StateSet(series) => {
            for (labels, state_set) in series.iter() {
                write_state_set_metrics(out, name, *labels, state_set);
            }
        }
    }
    if let Some(unit) = family.unit {
        put_string(out, family_fields::UNIT, unit);
    }
}

/// Appends the series' labels, then `extra` (a state set's state), each a
/// `LabelPair`.
fn write_labels(out: &mut Vec<u8>, labels: Labels, extra: Option<(&str, &str)>) {
    for &(name, value) in labels.pairs().iter().chain(extra.as_ref()) {
        wire::message(out, metric_fields::LABEL, |out| {
            put_string(out, metric_fields::LABEL_NAME, name);
            put_string(out, metric_fields::LABEL_VALUE, value);
        });
    }
}

fn write_gauge_metric(out: &mut Vec<u8>, labels: Labels, extra: Option<(&str, &str)>, value: f64) {
    write_labels(out, labels, extra);
    wire::message(out, metric_fields::GAUGE, |out| put_double(out, metric_fields::VALUE, value));
}

/// One gauge `Metric` per state, 1 when set: `probe_outcome{…,probe_outcome="timeout"}`.
fn write_state_set_metrics(
    out: &mut Vec<u8>,
    name: &str,
    labels: Labels,
    state_set: &StateSetValue,
) {
    for (idx, &state) in state_set.states().iter().enumerate() {
        let value = if state_set.is_set(idx) { 1.0 } else { 0.0 };
        wire::message(out, family_fields::METRIC, |out| {
            write_gauge_metric(out, labels, Some((name, state)), value)
        });
    }
}

fn write_counter_metric(out: &mut Vec<u8>, labels: Labels, counter: &CounterValue) {
    write_labels(out, labels, None);
    wire::message(out, metric_fields::COUNTER, |out| {
        put_double(out, metric_fields::VALUE, counter.total);
        if let Some(seconds) = counter.created {
            write_timestamp(out, metric_fields::COUNTER_START_TIMESTAMP, seconds);
        }
    });
}

/// A histogram: its count and sum, its finite classic buckets (Prometheus
/// adds `+Inf` from the count), its native buckets if it has them, and
/// when it started.
fn write_histogram_metric(out: &mut Vec<u8>, labels: Labels, value: &HistogramValue) {
    write_labels(out, labels, None);
    wire::message(out, metric_fields::HISTOGRAM, |out| {
        put_uint(out, histogram_fields::SAMPLE_COUNT, value.count);
        put_double(out, histogram_fields::SAMPLE_SUM, value.sum);
        for (&bound, &cumulative) in value.bounds.values().iter().zip(&value.cumulative) {
            wire::message(out, histogram_fields::BUCKET, |out| {
                put_uint(out, histogram_fields::BUCKET_CUMULATIVE_COUNT, cumulative);
                put_double(out, histogram_fields::BUCKET_UPPER_BOUND, bound);
            });
        }
        if let Some(native) = &value.native {
            write_native_buckets(out, native);
        }
        if let Some(seconds) = value.created {
            write_timestamp(out, histogram_fields::START_TIMESTAMP, seconds);
        }
    });
}

/// The native part of a histogram: schema, zero bucket, and the positive
/// buckets as spans and deltas. An empty one still has its span (0, 0).
fn write_native_buckets(out: &mut Vec<u8>, native: &NativeBuckets) {
    put_sint(out, histogram_fields::SCHEMA, i64::from(native.schema));
    put_double(out, histogram_fields::ZERO_THRESHOLD, native.zero_threshold);
    put_uint(out, histogram_fields::ZERO_COUNT, native.zero_count);
    for span in &native.positive_spans {
        wire::message(out, histogram_fields::POSITIVE_SPAN, |out| {
            put_sint(out, histogram_fields::SPAN_OFFSET, i64::from(span.offset));
            put_uint(out, histogram_fields::SPAN_LENGTH, u64::from(span.length));
        });
    }
    wire::put_packed_sint(out, histogram_fields::POSITIVE_DELTA, &native.positive_deltas);
}

/// A `google.protobuf.Timestamp` of Unix `seconds`. An `f64` holds today's
/// times to about a quarter of a microsecond, so the fraction is rounded to
/// whole microseconds: `1520430000.123` is 123 000 000 nanoseconds, not
/// 122 999 906. A time that is not finite is left out.
fn write_timestamp(out: &mut Vec<u8>, field: u32, seconds: f64) {
    let Some((whole, nanos)) = timestamp_parts(seconds) else {
        return;
    };
    wire::message(out, field, |out| {
        put_int(out, histogram_fields::TIMESTAMP_SECONDS, whole);
        put_int(out, histogram_fields::TIMESTAMP_NANOS, i64::from(nanos));
    });
}

/// Whole seconds (rounded down) and the nanoseconds after them, 0 to
/// 999 999 999, at microsecond precision.
fn timestamp_parts(seconds: f64) -> Option<(i64, i32)> {
    if !seconds.is_finite() || seconds.abs() > 1e15 {
        return None;
    }
    let whole = seconds.floor();
    let micros = ((seconds - whole) * 1e6).round() as i32;
    Some(if micros >= 1_000_000 { (whole as i64 + 1, 0) } else { (whole as i64, micros * 1000) })
}

/// A string field made of `parts`, written without joining them first.
fn put_string_parts(out: &mut Vec<u8>, field: u32, parts: &[&str]) {
    wire::put_key(out, field, wire::WireType::Len);
    wire::put_varint(out, parts.iter().map(|part| part.len() as u64).sum());
    for part in parts {
        out.extend_from_slice(part.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_whole_microseconds() {
        assert_eq!(timestamp_parts(1520430000.123), Some((1520430000, 123_000_000)));
        assert_eq!(timestamp_parts(1.7e9), Some((1_700_000_000, 0)));
        assert_eq!(timestamp_parts(0.9999999), Some((1, 0)));
        assert_eq!(timestamp_parts(-1.5), Some((-2, 500_000_000)));
        assert_eq!(timestamp_parts(f64::NAN), None);
        assert_eq!(timestamp_parts(f64::INFINITY), None);
    }
}
