//! The protobuf format, read back with the tests' own reader
//! (`protobuf_reader`): the families of a real `/metrics` and `/probe`
//! answer from the real binary, and hand-made families for the edges
//! (empty families, NaN, infinities, escapes, start timestamps, native
//! buckets).

use std::borrow::Cow;
use std::sync::Arc;

use probe_exporter::exposition::{
    self, labels, BucketBounds, BucketSpan, CounterValue, Family, HistogramValue, NativeBuckets,
    Samples, StateSetValue, NO_LABELS,
};

use crate::support::protobuf_reader::{metric_families, MetricFamily, COUNTER, GAUGE, HISTOGRAM};
use crate::support::{Request, RunningExporter};

const PROTOBUF: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// What Prometheus 3 sends with `scrape_native_histograms` on.
const PROMETHEUS_3_PROTOBUF_FIRST: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";

/// `GET path` with `accept`: the Content-Type and the body's bytes.
fn fetch(exporter: &RunningExporter, path: &str, accept: &str) -> (String, Vec<u8>) {
    let response = Request::get(path).header("Accept", accept).send(exporter.addr);
    assert_eq!(response.status, 200, "{response:?}");
    let content_type = response.header("Content-Type").expect("a Content-Type").to_string();
    (content_type, response.bytes)
}

fn families_of(body: &[u8]) -> Vec<MetricFamily> {
    metric_families(body).unwrap_or_else(|err| panic!("{err}: {body:?}"))
}

/// The (name, type) of each family in a text 0.0.4 page, without the
/// `_created` gauges that protobuf carries as start timestamps.
fn text_families(page: &str) -> Vec<(String, u64)> {
    page.lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_once(' '))
        .filter(|(name, _)| !name.ends_with("_created"))
        .map(|(name, kind)| {
            let kind = match kind {
                "counter" => COUNTER,
                "histogram" => HISTOGRAM,
                _ => GAUGE,
            };
            (name.to_string(), kind)
        })
        .collect()
}

/// The `_created` value of `series` in an OpenMetrics page, as
/// (seconds, nanoseconds) rounded to microseconds.
fn created_in(page: &str, series: &str) -> (i64, i32) {
    let value: f64 = page
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in\n{page}"))
        .parse()
        .unwrap();
    let micros = (value * 1e6).round() as i64;
    (micros.div_euclid(1_000_000), (micros.rem_euclid(1_000_000) * 1000) as i32)
}

#[test]
fn metrics_in_protobuf_has_every_family_of_the_text_answer() {
    let exporter = RunningExporter::demo();
    let (content_type, body) = fetch(&exporter, "/metrics", PROMETHEUS_3_PROTOBUF_FIRST);
    assert_eq!(content_type, PROTOBUF);
    let families = families_of(&body);
    let text = exporter.get("/metrics").body;
    let written: Vec<(String, u64)> =
        families.iter().map(|family| (family.name.clone(), family.kind.unwrap())).collect();
    assert_eq!(written, text_families(&text));
    for family in &families {
        assert!(!family.metrics.is_empty(), "{} has no metric", family.name);
        assert!(!family.help.is_empty(), "{} has no help", family.name);
        for metric in &family.metrics {
            let kinds =
                [metric.gauge.is_some(), metric.counter.is_some(), metric.histogram.is_some()];
            let expected = match family.kind {
                Some(GAUGE) => [true, false, false],
                Some(COUNTER) => [false, true, false],
                _ => [false, false, true],
            };
            assert_eq!(kinds, expected, "{family:?}");
            assert_eq!(metric.timestamp_ms, None);
        }
    }
    let family = |name: &str| families.iter().find(|family| family.name == name).unwrap();

    // Gauges and the state set, with the target's labels.
    for metric in &family("probe_success").metrics {
        assert_eq!(metric.gauge, Some(1.0), "{metric:?}");
        assert_eq!(metric.labels[0].0, "target");
        assert_eq!(metric.labels[1].0, "kind");
    }
    let outcome = family("probe_outcome");
    assert_eq!(outcome.metrics.len(), 16, "two targets, eight states each");
    let set: Vec<_> = outcome
        .metrics
        .iter()
        .filter(|metric| metric.gauge == Some(1.0))
        .map(|metric| metric.labels.clone())
        .collect();
    assert_eq!(set.len(), 2, "{outcome:?}");
    for labels in set {
        assert_eq!(labels[2], ("probe_outcome".to_string(), "success".to_string()));
    }
    assert_eq!(family("probe_latency_seconds").unit.as_deref(), Some("seconds"));

    // Counters carry their creation time, as OpenMetrics writes `_created`.
    let openmetrics = fetch(&exporter, "/metrics", "application/openmetrics-text;version=1.0.0").1;
    let openmetrics = String::from_utf8(openmetrics).unwrap();
    let requests = &family("service_requests_total").metrics[0];
    assert_eq!(
        requests.counter.as_ref().unwrap().start_timestamp,
        Some(created_in(&openmetrics, "service_requests_created{target=\"app\",kind=\"counter\"}"))
    );
    let responses = &family("probe_exporter_http_responses_total").metrics[0];
    let code = &responses.labels[0].1;
    assert_eq!(
        responses.counter.as_ref().unwrap().start_timestamp,
        Some(created_in(
            &openmetrics,
            &format!("probe_exporter_http_responses_created{{code=\"{code}\"}}")
        ))
    );
    assert!(family("process_cpu_seconds_total").metrics[0]
        .counter
        .as_ref()
        .unwrap()
        .start_timestamp
        .is_none());

    // The histogram: its classic buckets, the text's `le` bounds without
    // `+Inf` (which Prometheus adds from the count), and its start.
    for metric in &family("probe_latency_seconds").metrics {
        let histogram = metric.histogram.as_ref().unwrap();
        let target = &metric.labels[0].1;
        let kind = &metric.labels[1].1;
        let series =
            format!("probe_latency_seconds_created{{target=\"{target}\",kind=\"{kind}\"}}");
        assert_eq!(histogram.start_timestamp, Some(created_in(&openmetrics, &series)));
        let bounds: Vec<f64> = histogram.buckets.iter().map(|&(_, bound)| bound).collect();
        let text_bounds: Vec<f64> = text
            .lines()
            .filter_map(|line| {
                line.strip_prefix(&format!(
                    "probe_latency_seconds_bucket{{target=\"{target}\",kind=\"{kind}\",le=\""
                ))
            })
            .filter_map(|rest| rest.split('"').next())
            .filter(|le| *le != "+Inf")
            .map(|le| le.parse().unwrap())
            .collect();
        assert_eq!(bounds, text_bounds);
        assert!(histogram.sample_count >= 1);
        let counts: Vec<u64> = histogram.buckets.iter().map(|&(count, _)| count).collect();
        assert!(counts.windows(2).all(|pair| pair[0] <= pair[1]), "{counts:?}");
        assert!(counts.last().is_some_and(|&last| last <= histogram.sample_count));
    }
}

#[test]
fn probe_in_protobuf_has_the_probe_families_without_labels() {
    let exporter = RunningExporter::demo();
    // The demo's landing page lists its targets and their addresses.
    let landing = exporter.get("/").body;
    let address = landing
        .split("counter at <code>")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the counter target on the landing page")
        .to_string();
    let path = format!("/probe?target={address}&module=counter");
    let (content_type, body) = fetch(&exporter, &path, PROTOBUF);
    assert_eq!(content_type, PROTOBUF);
    let families = families_of(&body);
    let names: Vec<&str> = families.iter().map(|family| family.name.as_str()).collect();
    let text = String::from_utf8(fetch(&exporter, &path, "text/plain").1).unwrap();
    let expected: Vec<String> = text_families(&text).into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, expected);
    assert!(names.contains(&"service_requests_total"), "{names:?}");
    for family in &families {
        for metric in &family.metrics {
            let own: Vec<_> =
                metric.labels.iter().filter(|(name, _)| name != &family.name).collect();
            assert!(own.is_empty(), "{family:?}");
        }
    }
    let requests = &families.iter().find(|family| family.name == "service_requests_total").unwrap();
    assert!(requests.metrics[0].counter.as_ref().unwrap().start_timestamp.is_some());
}

fn decode(families: &[Family]) -> Vec<MetricFamily> {
    families_of(&exposition::render_protobuf(families))
}

#[test]
fn empty_families_write_nothing() {
    let families = [
        Family::gauge("empty", "No samples.", vec![]),
        Family::counter("empty_counter", "No samples.", vec![]),
        Family::histogram("empty_histogram", "No samples.", vec![]),
    ];
    assert!(exposition::render_protobuf(&families).is_empty());
    assert!(exposition::render_protobuf(&[]).is_empty());
    let families =
        [Family::gauge("empty", "", vec![]), Family::gauge("one", "", vec![(NO_LABELS, 1.0)])];
    let decoded = decode(&families);
    assert_eq!(decoded.len(), 1);
    assert_eq!(decoded[0].name, "one");
    assert_eq!(decoded[0].help, "", "an empty help text is left out");
}

#[test]
fn special_values_travel_as_their_bits() {
    let family = Family::gauge(
        "special",
        "NaN and the infinities.",
        vec![
            (labels(&[("v", "nan")]), f64::NAN),
            (labels(&[("v", "inf")]), f64::INFINITY),
            (labels(&[("v", "-inf")]), f64::NEG_INFINITY),
            (labels(&[("v", "-0")]), -0.0),
            (labels(&[("v", "tiny")]), f64::MIN_POSITIVE),
        ],
    );
    let decoded = decode(&[family]);
    let values: Vec<f64> = decoded[0].metrics.iter().map(|metric| metric.gauge.unwrap()).collect();
    assert!(values[0].is_nan());
    assert_eq!(values[1], f64::INFINITY);
    assert_eq!(values[2], f64::NEG_INFINITY);
    assert!(values[3] == 0.0 && values[3].is_sign_negative());
    assert_eq!(values[4], f64::MIN_POSITIVE);
    assert_eq!(decoded[0].kind, Some(GAUGE));
}

#[test]
fn label_values_need_no_escaping() {
    let value = "back\\slash \"quoted\"\nnew line\ttab é ✓ \u{0}";
    let help = "Help with \\ and \"quotes\"\nand a line.";
    let pairs = [("v", value)];
    let family = Family::gauge("escapes", help, vec![(labels(&pairs), 1.0)]);
    let decoded = decode(&[family]);
    assert_eq!(decoded[0].help, help);
    assert_eq!(decoded[0].metrics[0].labels, [("v".to_string(), value.to_string())]);
}

#[test]
fn counters_are_named_with_total_and_start_at_their_creation() {
    let family = Family::counter(
        "requests",
        "Requests.",
        vec![
            (
                labels(&[("target", "a")]),
                CounterValue { total: 17.0, created: Some(1520430000.123) },
            ),
            (labels(&[("target", "b")]), CounterValue { total: 0.0, created: None }),
            (labels(&[("target", "c")]), CounterValue { total: 3.0, created: Some(1.7e9) }),
            (labels(&[("target", "d")]), CounterValue { total: 1.0, created: Some(-1.5) }),
            (labels(&[("target", "e")]), CounterValue { total: 1.0, created: Some(f64::NAN) }),
        ],
    );
    let decoded = decode(&[family]);
    assert_eq!(decoded[0].name, "requests_total");
    assert_eq!(decoded[0].kind, Some(COUNTER));
    let counters: Vec<_> =
        decoded[0].metrics.iter().map(|metric| metric.counter.as_ref().unwrap()).collect();
    assert_eq!(counters[0].value, 17.0);
    assert_eq!(counters[0].start_timestamp, Some((1520430000, 123_000_000)));
    assert_eq!(counters[1].value, 0.0);
    assert_eq!(counters[1].start_timestamp, None);
    assert_eq!(counters[2].start_timestamp, Some((1_700_000_000, 0)));
    // google.protobuf.Timestamp: nanos are never negative.
    assert_eq!(counters[3].start_timestamp, Some((-2, 500_000_000)));
    assert_eq!(counters[4].start_timestamp, None, "a time that is not one is left out");
}

#[test]
fn a_state_set_is_a_gauge_per_state() {
    let states = ["up", "down", "unknown"];
    let family = Family::state_set(
        "state",
        "",
        vec![(labels(&[("target", "a")]), StateSetValue::one_of(&states, 1))],
    );
    let decoded = decode(&[family]);
    assert_eq!(decoded[0].kind, Some(GAUGE));
    let series: Vec<(String, f64)> = decoded[0]
        .metrics
        .iter()
        .map(|metric| (metric.labels[1].1.clone(), metric.gauge.unwrap()))
        .collect();
    assert_eq!(
        series,
        [("up".to_string(), 0.0), ("down".to_string(), 1.0), ("unknown".to_string(), 0.0)]
    );
    assert_eq!(decoded[0].metrics[0].labels[1].0, "state");
}

fn histogram_value(native: Option<NativeBuckets>) -> HistogramValue {
    HistogramValue {
        bounds: Arc::new(BucketBounds::new(vec![0.005, 0.1, 1.0])),
        cumulative: vec![1, 5, 6],
        count: 7,
        sum: 12.5,
        created: Some(1.7e9 + 0.25),
        native,
    }
}

fn decode_histogram(value: HistogramValue) -> crate::support::protobuf_reader::Histogram {
    let family = Family::histogram("latency_seconds", "Latency.", vec![(NO_LABELS, value)])
        .with_unit("seconds");
    let mut decoded = decode(&[family]);
    assert_eq!(decoded[0].kind, Some(HISTOGRAM));
    assert_eq!(decoded[0].unit.as_deref(), Some("seconds"));
    decoded.remove(0).metrics.remove(0).histogram.unwrap()
}

#[test]
fn a_classic_histogram_has_its_finite_buckets_and_no_native_fields() {
    let histogram = decode_histogram(histogram_value(None));
    assert_eq!(histogram.sample_count, 7);
    assert_eq!(histogram.sample_sum, 12.5);
    assert_eq!(histogram.buckets, [(1, 0.005), (5, 0.1), (6, 1.0)]);
    assert_eq!(histogram.start_timestamp, Some((1_700_000_000, 250_000_000)));
    assert_eq!(histogram.schema, None);
    assert_eq!(histogram.zero_threshold, None);
    assert_eq!(histogram.zero_count, None);
    assert!(histogram.positive_spans.is_empty() && histogram.positive_deltas.is_empty());
}

#[test]
fn native_buckets_are_spans_and_deltas_beside_the_classic_ones() {
    // Schema 3: buckets of 2^(1/8). Populated: indices -2, -1 (span 1),
    // then a gap of 3 and index 3 (span 2), with counts 1, 3, 0... as deltas.
    let native = NativeBuckets {
        schema: 3,
        zero_threshold: 2f64.powi(-128),
        zero_count: 2,
        positive_spans: vec![
            BucketSpan { offset: -2, length: 2 },
            BucketSpan { offset: 3, length: 1 },
        ],
        positive_deltas: vec![1, 2, -3],
    };
    let histogram = decode_histogram(histogram_value(Some(native)));
    assert_eq!(histogram.schema, Some(3));
    assert_eq!(histogram.zero_threshold, Some(2f64.powi(-128)));
    assert_eq!(histogram.zero_count, Some(2));
    assert_eq!(histogram.positive_spans, [(-2, 2), (3, 1)]);
    assert_eq!(histogram.positive_deltas, [1, 2, -3]);
    assert_eq!(histogram.buckets.len(), 3, "the classic buckets stay");
    assert_eq!(histogram.start_timestamp, Some((1_700_000_000, 250_000_000)));

    let negative_schema = NativeBuckets {
        schema: -4,
        zero_threshold: 0.0,
        zero_count: 0,
        positive_spans: vec![BucketSpan { offset: i32::MIN, length: u32::MAX }],
        positive_deltas: vec![i64::MIN, i64::MAX],
    };
    let histogram = decode_histogram(histogram_value(Some(negative_schema)));
    assert_eq!(histogram.schema, Some(-4));
    assert_eq!(histogram.positive_spans, [(i32::MIN, u32::MAX)]);
    assert_eq!(histogram.positive_deltas, [i64::MIN, i64::MAX]);
}

#[test]
fn an_empty_native_histogram_has_one_empty_span() {
    // Prometheus knows a histogram is native by a span, a zero threshold
    // or a zero count: with no observation, one span (0, 0) says so.
    let empty = NativeBuckets {
        schema: 0,
        zero_threshold: 0.0,
        zero_count: 0,
        positive_spans: vec![BucketSpan { offset: 0, length: 0 }],
        positive_deltas: vec![],
    };
    let mut value = histogram_value(Some(empty));
    value.cumulative = vec![0, 0, 0];
    value.count = 0;
    value.sum = 0.0;
    let histogram = decode_histogram(value);
    assert_eq!(histogram.schema, Some(0));
    assert_eq!(histogram.positive_spans, [(0, 0)]);
    assert!(histogram.positive_deltas.is_empty());
    assert_eq!(histogram.sample_count, 0);
}

#[test]
fn long_families_get_long_length_prefixes() {
    // Thousands of series: a family of more than 16 KiB, a three-byte
    // length, between two small families.
    let values: Vec<String> = (0..2000).map(|idx| format!("target-{idx}")).collect();
    let pairs: Vec<[(&str, &str); 1]> =
        values.iter().map(|value| [("target", value.as_str())]).collect();
    let series = pairs.iter().enumerate().map(|(idx, pairs)| (labels(pairs), idx as f64)).collect();
    let families = [
        Family::gauge("before", "", vec![(NO_LABELS, 1.0)]),
        Family::new("many", "Many series.", Samples::Gauge(Cow::Owned(series))),
        Family::gauge("after", "", vec![(NO_LABELS, 2.0)]),
    ];
    let body = exposition::render_protobuf(&families);
    assert!(body.len() > 40_000, "{}", body.len());
    let decoded = decode(&families);
    let names: Vec<&str> = decoded.iter().map(|family| family.name.as_str()).collect();
    assert_eq!(names, ["before", "many", "after"]);
    assert_eq!(decoded[1].metrics.len(), 2000);
    assert_eq!(decoded[1].metrics[1999].labels[0].1, "target-1999");
    assert_eq!(decoded[1].metrics[1999].gauge, Some(1999.0));
    assert_eq!(decoded[2].metrics[0].gauge, Some(2.0));
}

#[test]
fn the_reader_rejects_what_is_not_a_delimited_stream() {
    // The reader's own check: a truncated body does not decode.
    let body = exposition::render_protobuf(&[Family::gauge("x", "", vec![(NO_LABELS, 1.0)])]);
    assert!(metric_families(&body[..body.len() - 1]).is_err());
    assert!(metric_families(&[0x05, 0x0a]).is_err());
}
