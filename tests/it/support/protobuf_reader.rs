//! A protobuf reader for the tests, written from the wire format's rules and
//! the field numbers of `io/prometheus/client/metrics.proto`, not from the
//! exporter's encoder: a generic field reader (varints, wire types, lengths),
//! then the messages Prometheus's parser reads, field by field. It is strict:
//! an unknown field, a wrong wire type or a short message is an error, so a
//! stray byte in the encoder's output cannot pass unseen.

/// One field's value, by wire type: those metrics.proto uses.
#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
}

/// Reads a varint at `*pos`: at most ten bytes, low bits first.
pub fn read_varint(bytes: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let byte = *bytes.get(*pos).ok_or("varint runs past the end")?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint longer than ten bytes".into())
}

/// The fields of one message, in order.
pub fn fields(bytes: &[u8]) -> Result<Vec<(u32, Value<'_>)>, String> {
    let mut pos = 0;
    let mut fields = Vec::new();
    while pos < bytes.len() {
        let key = read_varint(bytes, &mut pos)?;
        let number = u32::try_from(key >> 3).map_err(|_| "field number too large")?;
        if number == 0 {
            return Err("field number 0".into());
        }
        let value = match key & 7 {
            0 => Value::Varint(read_varint(bytes, &mut pos)?),
            1 => Value::Fixed64(u64::from_le_bytes(take(bytes, &mut pos, 8)?.try_into().unwrap())),
            2 => {
                let length = read_varint(bytes, &mut pos)? as usize;
                Value::Bytes(take(bytes, &mut pos, length)?)
            }
            // 5 (fixed32: float, fixed32, sfixed32) is in no message here.
            other => return Err(format!("wire type {other}")),
        };
        fields.push((number, value));
    }
    Ok(fields)
}

fn take<'a>(bytes: &'a [u8], pos: &mut usize, length: usize) -> Result<&'a [u8], String> {
    let end = pos.checked_add(length).filter(|&end| end <= bytes.len());
    let end = end.ok_or(format!("{length} bytes at {pos} run past the end ({})", bytes.len()))?;
    let taken = &bytes[*pos..end];
    *pos = end;
    Ok(taken)
}

/// Splits a delimited stream into its messages: each preceded by its
/// length as a varint, which Prometheus reads only up to five bytes.
pub fn delimited(body: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut pos = 0;
    let mut messages = Vec::new();
    while pos < body.len() {
        let start = pos;
        let length = read_varint(body, &mut pos)? as usize;
        if pos - start > 5 {
            return Err("length prefix longer than five bytes".into());
        }
        messages.push(take(body, &mut pos, length)?);
    }
    Ok(messages)
}

fn varint(value: Value, what: &str) -> Result<u64, String> {
    match value {
        Value::Varint(value) => Ok(value),
        other => Err(format!("{what}: {other:?} is not a varint")),
    }
}

fn double(value: Value, what: &str) -> Result<f64, String> {
    match value {
        Value::Fixed64(bits) => Ok(f64::from_bits(bits)),
        other => Err(format!("{what}: {other:?} is not a double")),
    }
}

fn bytes<'a>(value: Value<'a>, what: &str) -> Result<&'a [u8], String> {
    match value {
        Value::Bytes(bytes) => Ok(bytes),
        other => Err(format!("{what}: {other:?} is not length-delimited")),
    }
}

fn string(value: Value, what: &str) -> Result<String, String> {
    String::from_utf8(bytes(value, what)?.to_vec()).map_err(|err| format!("{what}: {err}"))
}

/// Reverses zigzag: 0, 1, 2, 3 are 0, −1, 1, −2.
fn unzigzag(value: u64) -> i64 {
    (value >> 1) as i64 ^ -((value & 1) as i64)
}

/// `MetricType`.
pub const COUNTER: u64 = 0;
pub const GAUGE: u64 = 1;
pub const HISTOGRAM: u64 = 4;

#[derive(Debug, Default)]
pub struct MetricFamily {
    pub name: String,
    pub help: String,
    /// The type; `None` when the field is absent (proto2's COUNTER default).
    pub kind: Option<u64>,
    pub unit: Option<String>,
    pub metrics: Vec<Metric>,
}

#[derive(Debug, Default)]
pub struct Metric {
    pub labels: Vec<(String, String)>,
    pub gauge: Option<f64>,
    pub counter: Option<Counter>,
    pub histogram: Option<Histogram>,
    pub timestamp_ms: Option<i64>,
}

#[derive(Debug, Default)]
pub struct Counter {
    pub value: f64,
    pub start_timestamp: Option<(i64, i32)>,
}

#[derive(Debug, Default)]
pub struct Histogram {
    pub sample_count: u64,
    pub sample_sum: f64,
    /// (cumulative count, upper bound).
    pub buckets: Vec<(u64, f64)>,
    pub schema: Option<i32>,
    pub zero_threshold: Option<f64>,
    pub zero_count: Option<u64>,
    /// (offset, length).
    pub positive_spans: Vec<(i32, u32)>,
    pub positive_deltas: Vec<i64>,
    pub start_timestamp: Option<(i64, i32)>,
}

/// Every `MetricFamily` of a delimited body.
pub fn metric_families(body: &[u8]) -> Result<Vec<MetricFamily>, String> {
    delimited(body)?.into_iter().map(metric_family).collect()
}

pub fn metric_family(message: &[u8]) -> Result<MetricFamily, String> {
    let mut family = MetricFamily::default();
    for (number, value) in fields(message)? {
        match number {
            1 => family.name = string(value, "MetricFamily.name")?,
            2 => family.help = string(value, "MetricFamily.help")?,
            3 => family.kind = Some(varint(value, "MetricFamily.type")?),
            4 => family.metrics.push(metric(bytes(value, "MetricFamily.metric")?)?),
            5 => family.unit = Some(string(value, "MetricFamily.unit")?),
            other => return Err(format!("MetricFamily has no field {other}")),
        }
    }
    Ok(family)
}

fn metric(message: &[u8]) -> Result<Metric, String> {
    let mut metric = Metric::default();
    for (number, value) in fields(message)? {
        match number {
            1 => metric.labels.push(label_pair(bytes(value, "Metric.label")?)?),
            2 => metric.gauge = Some(single_double(bytes(value, "Metric.gauge")?, "Gauge")?),
            3 => metric.counter = Some(counter(bytes(value, "Metric.counter")?)?),
            6 => metric.timestamp_ms = Some(varint(value, "Metric.timestamp_ms")? as i64),
            7 => metric.histogram = Some(histogram(bytes(value, "Metric.histogram")?)?),
            other => return Err(format!("Metric field {other} is not one the exporter writes")),
        }
    }
    Ok(metric)
}

fn label_pair(message: &[u8]) -> Result<(String, String), String> {
    let (mut name, mut label_value) = (String::new(), String::new());
    for (number, value) in fields(message)? {
        match number {
            1 => name = string(value, "LabelPair.name")?,
            2 => label_value = string(value, "LabelPair.value")?,
            other => return Err(format!("LabelPair has no field {other}")),
        }
    }
    Ok((name, label_value))
}

/// `Gauge` or `Untyped`: one `double value = 1`.
fn single_double(message: &[u8], what: &str) -> Result<f64, String> {
    let mut result = 0.0;
    for (number, value) in fields(message)? {
        match number {
            1 => result = double(value, what)?,
            other => return Err(format!("{what} has no field {other}")),
        }
    }
    Ok(result)
}

fn counter(message: &[u8]) -> Result<Counter, String> {
    let mut counter = Counter::default();
    for (number, value) in fields(message)? {
        match number {
            1 => counter.value = double(value, "Counter.value")?,
            3 => counter.start_timestamp = Some(timestamp(bytes(value, "Counter.start")?)?),
            other => return Err(format!("Counter field {other} is not one the exporter writes")),
        }
    }
    Ok(counter)
}

fn timestamp(message: &[u8]) -> Result<(i64, i32), String> {
    let (mut seconds, mut nanos) = (0, 0);
    for (number, value) in fields(message)? {
        match number {
            1 => seconds = varint(value, "Timestamp.seconds")? as i64,
            2 => nanos = varint(value, "Timestamp.nanos")? as i64 as i32,
            other => return Err(format!("Timestamp has no field {other}")),
        }
    }
    Ok((seconds, nanos))
}

fn histogram(message: &[u8]) -> Result<Histogram, String> {
    let mut histogram = Histogram::default();
    for (number, value) in fields(message)? {
        match number {
            1 => histogram.sample_count = varint(value, "Histogram.sample_count")?,
            2 => histogram.sample_sum = double(value, "Histogram.sample_sum")?,
            3 => histogram.buckets.push(bucket(bytes(value, "Histogram.bucket")?)?),
            5 => histogram.schema = Some(unzigzag(varint(value, "Histogram.schema")?) as i32),
            6 => histogram.zero_threshold = Some(double(value, "Histogram.zero_threshold")?),
            7 => histogram.zero_count = Some(varint(value, "Histogram.zero_count")?),
            12 => histogram.positive_spans.push(span(bytes(value, "Histogram.positive_span")?)?),
            13 => match value {
                // Packed, or (as Prometheus also accepts) one varint a field.
                Value::Bytes(packed) => {
                    let mut pos = 0;
                    while pos < packed.len() {
                        histogram.positive_deltas.push(unzigzag(read_varint(packed, &mut pos)?));
                    }
                }
                other => histogram.positive_deltas.push(unzigzag(varint(other, "delta")?)),
            },
            15 => histogram.start_timestamp = Some(timestamp(bytes(value, "Histogram.start")?)?),
            other => return Err(format!("Histogram field {other} is not one the exporter writes")),
        }
    }
    Ok(histogram)
}

fn bucket(message: &[u8]) -> Result<(u64, f64), String> {
    let (mut count, mut bound) = (0, 0.0);
    for (number, value) in fields(message)? {
        match number {
            1 => count = varint(value, "Bucket.cumulative_count")?,
            2 => bound = double(value, "Bucket.upper_bound")?,
            other => return Err(format!("Bucket field {other} is not one the exporter writes")),
        }
    }
    Ok((count, bound))
}

fn span(message: &[u8]) -> Result<(i32, u32), String> {
    let (mut offset, mut length) = (0, 0);
    for (number, value) in fields(message)? {
        match number {
            1 => offset = unzigzag(varint(value, "BucketSpan.offset")?) as i32,
            2 => length = varint(value, "BucketSpan.length")? as u32,
            other => return Err(format!("BucketSpan has no field {other}")),
        }
    }
    Ok((offset, length))
}
