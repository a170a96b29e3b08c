//! The exposition writer: generated families, rendered in both formats,
//! read back the same by the reference reader
//! ([`crate::support::exposition_reader`]), which must itself refuse what
//! the specifications forbid.

use std::collections::HashSet;

use probe_exporter::exposition::{
    self, CounterValue, Family, HistogramValue, Labels, Samples, StateSetValue, TextFormat,
};

use crate::support::exposition_reader::{parse_value, read_exposition, Exposition};
use crate::support::rng::{check_property, random_text, Rng, CASES};

// What a family must turn into, per the formats' specifications.

/// (metadata kind, name, text) and (name, sorted labels, value): the
/// comparable content of an exposition.
type Metadata = Vec<(&'static str, String, String)>;
type Series = Vec<(String, Vec<(String, String)>, f64)>;

fn expected_content(families: &[Family], format: TextFormat) -> (Metadata, Series) {
    let mut metadata = Metadata::new();
    let mut series = Series::new();
    for family in families {
        add_expected_family(family, format, &mut metadata, &mut series);
    }
    (metadata, series)
}

fn add_expected_family(
    family: &Family,
    format: TextFormat,
    metadata: &mut Metadata,
    series: &mut Series,
) {
    let name = family.name;
    let declare = |metadata: &mut Metadata, declared: &str, type_name: &str| {
        metadata.push(("TYPE", declared.to_string(), type_name.to_string()));
        if !family.help.is_empty() {
            let help = match format {
                // 0.0.4 cannot keep blanks at the start of a help text.
                TextFormat::Prometheus => family.help.trim_start_matches([' ', '\t']),
                TextFormat::OpenMetrics => family.help,
            };
            metadata.push(("HELP", declared.to_string(), help.to_string()));
        }
        if let (Some(unit), TextFormat::OpenMetrics) = (family.unit, format) {
            metadata.push(("UNIT", declared.to_string(), unit.to_string()));
        }
    };
    let mut add =
        |sample_name: String, labels: &Labels, extra: Option<(&str, String)>, value: f64| {
            let mut labels: Vec<(String, String)> = labels
                .pairs()
                .iter()
                .map(|&(name, value)| (name.to_string(), value.to_string()))
                .collect();
            labels.extend(extra.map(|(name, value)| (name.to_string(), value)));
            labels.sort();
            series.push((sample_name, labels, value));
        };
    let om = format == TextFormat::OpenMetrics;
    match &family.samples {
        Samples::Gauge(gauges) if !gauges.is_empty() => {
            declare(metadata, name, "gauge");
            for (labels, value) in gauges.iter() {
                add(name.to_string(), labels, None, *value);
            }
        }
        Samples::Counter(counters) if !counters.is_empty() => {
            let total = format!("{name}_total");
            declare(metadata, if om { name } else { &total }, "counter");
            let created = format!("{name}_created");
            if !om && counters.iter().any(|(_, counter)| counter.created.is_some()) {
                declare(metadata, &created, "gauge");
            }
            for (labels, counter) in counters.iter() {
                add(total.clone(), labels, None, counter.total);
                if let Some(seconds) = counter.created {
                    add(created.clone(), labels, None, seconds);
                }
            }
        }
        Samples::Histogram(histograms) if !histograms.is_empty() => {
            declare(metadata, name, "histogram");
            let created = format!("{name}_created");
            if !om && histograms.iter().any(|(_, histogram)| histogram.created.is_some()) {
                declare(metadata, &created, "gauge");
            }
            for (labels, histogram) in histograms.iter() {
                let buckets = histogram.bounds.values().iter().zip(&histogram.cumulative);
                for (&bound, &count) in buckets {
                    add(
                        format!("{name}_bucket"),
                        labels,
                        Some(("le", le_key(bound))),
                        count as f64,
                    );
                }
                let count = histogram.count as f64;
                add(format!("{name}_bucket"), labels, Some(("le", le_key(f64::INFINITY))), count);
                add(format!("{name}_count"), labels, None, count);
                add(format!("{name}_sum"), labels, None, histogram.sum);
                if let Some(seconds) = histogram.created {
                    add(created.clone(), labels, None, seconds);
                }
            }
        }
        Samples::StateSet(state_sets) if !state_sets.is_empty() => {
            // 0.0.4 has no state set; it becomes a gauge, as client_python writes it.
            declare(metadata, name, if om { "stateset" } else { "gauge" });
            for (labels, state_set) in state_sets.iter() {
                for (idx, state) in state_set.states().iter().enumerate() {
                    let value = if state_set.is_set(idx) { 1.0 } else { 0.0 };
                    add(name.to_string(), labels, Some((name, state.to_string())), value);
                }
            }
        }
        // A family without samples writes nothing at all.
        _ => {}
    }
}

/// The number a bucket bound stands for, as a comparable key: `le="1"` and
/// `le="1.0"` name the same bound.
fn le_key(bound: f64) -> String {
    // Both zeros are the same bound, written `0` (or `0.0`).
    let bound = if bound == 0.0 { 0.0 } else { bound };
    format!("{bound:?}")
}

/// The content the reader found, in the shape of [`expected_content`]:
/// `le` values become keys, and OpenMetrics wants them canonical.
fn read_content(exposition: &Exposition, format: TextFormat) -> Result<(Metadata, Series), String> {
    let mut metadata = Metadata::new();
    for (kind, lines) in
        [("TYPE", &exposition.types), ("HELP", &exposition.helps), ("UNIT", &exposition.units)]
    {
        metadata.extend(lines.iter().map(|(name, text)| (kind, name.clone(), text.clone())));
    }
    let mut series = Series::new();
    for sample in &exposition.samples {
        let mut labels = sample.labels.clone();
        if sample.name.ends_with("_bucket") {
            for (_, value) in labels.iter_mut().filter(|(name, _)| name == "le") {
                let bound = parse_value(value, format)?;
                let canonical = value.contains(['.', 'e']) || value == "+Inf";
                if format == TextFormat::OpenMetrics && !canonical {
                    return Err(format!("`le=\"{value}\"` is not canonical"));
                }
                *value = le_key(bound);
            }
        }
        labels.sort();
        series.push((sample.name.clone(), labels, sample.value));
    }
    Ok((metadata, series))
}

fn same_value(expected: f64, actual: f64) -> bool {
    // `==` also takes -0 for 0, which both formats may write as `0`.
    expected == actual || (expected.is_nan() && actual.is_nan())
}

// Generating families.

const UNITS: &[&str] = &["seconds", "bytes", "ratio", "celsius"];

/// Endings that OpenMetrics gives a meaning to; names avoid them so that a
/// sample name is never ambiguous between families.
const RESERVED_SUFFIXES: &[&str] =
    &["_total", "_created", "_bucket", "_sum", "_count", "_info", "_gcount", "_gsum"];

/// Metric names, `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn random_metric_name(rng: &mut Rng, with_colons: bool) -> String {
    const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:";
    const REST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:0123456789";
    let allowed = |c: u8| with_colons || c != b':';
    let mut name = String::new();
    while name.is_empty() {
        let first = *rng.pick(FIRST);
        if allowed(first) {
            name.push(char::from(first));
        }
    }
    for _ in 0..rng.below(16) {
        let c = *rng.pick(REST);
        if allowed(c) {
            name.push(char::from(c));
        }
    }
    name
}

/// Label names, `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`.
fn random_label_name(rng: &mut Rng) -> String {
    loop {
        let name = random_metric_name(rng, false);
        if !name.starts_with("__") {
            return name;
        }
    }
}

/// Floats of every kind: NaN, the infinities, both zeros, subnormals, the
/// extremes, short decimals, and arbitrary bit patterns.
fn random_float(rng: &mut Rng) -> f64 {
    let sign = if rng.one_in(2) { -1.0 } else { 1.0 };
    match rng.below(9) {
        0 => *rng.pick(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0]),
        1 => sign * f64::from_bits(rng.next_u64() & ((1 << 52) - 1)), // Subnormal.
        2 => *rng.pick(&[f64::MIN_POSITIVE, f64::MAX, f64::MIN, f64::EPSILON, 5e-324]),
        3 => sign * rng.below(1_000_000) as f64,
        4 => sign * rng.below(100_000) as f64 / 10f64.powi(rng.below(8) as i32),
        5 => sign * 10f64.powi(rng.below(600) as i32 - 300),
        _ => loop {
            let value = f64::from_bits(rng.next_u64());
            if !value.is_nan() {
                break value;
            }
        },
    }
}

/// Finite and not negative: what a counter may hold.
fn random_count(rng: &mut Rng) -> f64 {
    loop {
        let value = random_float(rng).abs();
        if value.is_finite() {
            return value;
        }
    }
}

/// Makes generated text live as long as the test process, as the
/// borrowed families of the exposition want: what the cases leak is freed
/// when the process ends.
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// The labels, either as pairs the writer escapes or spelled once, as a
/// scrape hands them over: both must write the same text.
fn leak_labels(labels: Vec<(String, String)>, spell_once: bool) -> Labels<'static> {
    let pairs: Vec<(&str, &str)> =
        labels.into_iter().map(|(name, value)| (leak(name), leak(value))).collect();
    let pairs: &[(&str, &str)] = Box::leak(pairs.into_boxed_slice());
    if spell_once {
        Labels::spelled(pairs, leak(exposition::spell_labels(pairs)))
    } else {
        Labels::new(pairs)
    }
}

fn random_labels(rng: &mut Rng, reserved: &[&str]) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = Vec::new();
    for _ in 0..rng.below(4) {
        let name = random_label_name(rng);
        if !reserved.contains(&name.as_str())
            && labels.iter().all(|(existing, _)| *existing != name)
        {
            labels.push((name, random_text(rng, 10)));
        }
    }
    labels
}

/// `n` series of one family, each with label values no other has: a
/// family never has the same series twice.
fn random_series<T>(
    rng: &mut Rng,
    reserved_labels: &[&str],
    value: impl Fn(&mut Rng) -> T,
) -> Vec<(Labels<'static>, T)> {
    let label_names: Vec<String> =
        random_labels(rng, reserved_labels).into_iter().map(|(name, _)| name).collect();
    let mut series: Vec<(Vec<(String, String)>, T)> = Vec::new();
    for _ in 0..rng.below(4) {
        let labels: Vec<(String, String)> =
            label_names.iter().map(|name| (name.clone(), random_text(rng, 10))).collect();
        if series.iter().all(|(existing, _)| *existing != labels) {
            let value = value(rng);
            series.push((labels, value));
        }
    }
    series.into_iter().map(|(labels, value)| (leak_labels(labels, rng.one_in(2)), value)).collect()
}

fn random_histogram(rng: &mut Rng) -> HistogramValue {
    let mut bounds: Vec<f64> = (0..1 + rng.below(5))
        .map(|_| random_float(rng))
        .filter(|bound| bound.is_finite())
        .collect();
    bounds.sort_by(f64::total_cmp);
    bounds.dedup_by(|a, b| a == b);
    let mut cumulative = 0u64;
    let buckets: Vec<(f64, u64)> = bounds
        .into_iter()
        .map(|bound| {
            // Counts stay below 2^53, where an f64 (the reader's value) is exact.
            cumulative += rng.next_u64() % (1 << 40);
            (bound, cumulative)
        })
        .collect();
    let count = cumulative + rng.next_u64() % (1 << 40);
    let created = rng.one_in(2).then(|| random_count(rng));
    let sum = loop {
        let sum = random_float(rng);
        if sum.is_finite() {
            break sum;
        }
    };
    HistogramValue::from_buckets(&buckets, count, sum, created)
}

fn random_family(rng: &mut Rng, taken: &mut HashSet<String>) -> Family<'static> {
    loop {
        let kind = rng.below(4);
        let unit = (kind != 3 && rng.one_in(4)).then(|| *rng.pick(UNITS));
        let mut name = random_metric_name(rng, kind != 3);
        if let Some(unit) = unit {
            name = format!("{name}_{unit}");
        }
        let sample_names: Vec<String> = ["", "_total", "_created", "_bucket", "_sum", "_count"]
            .iter()
            .map(|suffix| format!("{name}{suffix}"))
            .collect();
        let clashes = RESERVED_SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
            || name.starts_with("__")
            || sample_names.iter().any(|sample| taken.contains(sample));
        if clashes {
            continue;
        }
        taken.extend(sample_names);
        let help = if rng.one_in(4) { String::new() } else { random_text(rng, 20) };
        let samples = match kind {
            0 => Samples::Gauge(random_series(rng, &[], random_float).into()),
            1 => Samples::Counter(
                random_series(rng, &[], |rng| CounterValue {
                    total: random_count(rng),
                    created: rng.one_in(2).then(|| random_count(rng)),
                })
                .into(),
            ),
            2 => Samples::Histogram(random_series(rng, &["le"], random_histogram).into()),
            _ => {
                let states: Vec<&str> = random_state_names(rng).into_iter().map(leak).collect();
                let states: &[&str] = Box::leak(states.into_boxed_slice());
                Samples::StateSet(
                    random_series(rng, &[name.as_str()], |rng| {
                        StateSetValue::new(states, rng.next_u64() & ((1 << states.len()) - 1))
                    })
                    .into(),
                )
            }
        };
        let family = Family { name: leak(name), help: leak(help), unit: None, samples };
        return match unit {
            Some(unit) => family.with_unit(unit),
            None => family,
        };
    }
}

fn random_state_names(rng: &mut Rng) -> Vec<String> {
    let mut states: Vec<String> = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let state = random_text(rng, 8);
        if !states.contains(&state) {
            states.push(state);
        }
    }
    states
}

#[track_caller]
fn check_round_trip(families: &[Family], format: TextFormat) {
    let text = exposition::render(families, format);
    let (mut metadata, mut series) = read_exposition(&text, format)
        .and_then(|read| read_content(&read, format))
        .unwrap_or_else(|err| panic!("{format:?}: {err}\n{text}"));
    let (mut expected_metadata, mut expected_series) = expected_content(families, format);
    metadata.sort();
    expected_metadata.sort();
    assert_eq!(metadata, expected_metadata, "{format:?} metadata of\n{text}");
    let key =
        |(name, labels, _): &(String, Vec<(String, String)>, f64)| (name.clone(), labels.clone());
    series.sort_by_key(key);
    expected_series.sort_by_key(key);
    let names = |series: &Series| series.iter().map(key).collect::<Vec<_>>();
    assert_eq!(names(&series), names(&expected_series), "{format:?} series of\n{text}");
    for ((name, _, actual), (_, _, expected)) in series.iter().zip(&expected_series) {
        assert!(
            same_value(*expected, *actual),
            "{format:?} `{name}`: wrote {expected:?}, read {actual:?}\n{text}"
        );
    }
}

#[test]
fn rendered_families_read_back_the_same_in_both_formats() {
    check_property("exposition: families -> text -> same families", CASES, |rng| {
        let mut taken = HashSet::new();
        let families: Vec<Family> =
            (0..rng.below(5)).map(|_| random_family(rng, &mut taken)).collect();
        check_round_trip(&families, TextFormat::Prometheus);
        check_round_trip(&families, TextFormat::OpenMetrics);
    });
}

#[test]
fn the_reference_reader_rejects_what_the_specification_forbids() {
    // The reader is what the round trip trusts, so it must be able to say no.
    #[track_caller]
    fn check_rejected(text: &str, format: TextFormat) {
        let read = read_exposition(text, format).and_then(|e| read_content(&e, format));
        assert!(read.is_err(), "{format:?} accepted {text:?}");
    }
    use TextFormat::{OpenMetrics, Prometheus};
    check_rejected("# TYPE x gauge\nx 1", Prometheus);
    check_rejected("# TYPE x gauge\nx 1\n", OpenMetrics);
    check_rejected("# TYPE x gauge\nx inf\n", Prometheus);
    check_rejected("# TYPE x gauge\nx 0x10\n", Prometheus);
    check_rejected("# TYPE x gauge\nx 1_000\n", Prometheus);
    check_rejected("# TYPE x gauge\nx{a=\"\\t\"} 1\n", Prometheus);
    check_rejected("# TYPE x gauge\nx{a=\"b\",a=\"c\"} 1\n", Prometheus);
    check_rejected("# TYPE x gauge\nx{a=\"b\",} 1\n# EOF\n", OpenMetrics);
    check_rejected("# TYPE x gauge\nx  1\n# EOF\n", OpenMetrics);
    check_rejected("# TYPE x gauge\n\nx 1\n# EOF\n", OpenMetrics);
    check_rejected("# HELP x a \\\"b\\\"\n# TYPE x gauge\nx 1\n", Prometheus);
    check_rejected("# TYPE x gauge\nx 1\n# EOF\n# TYPE y gauge\ny 1\n# EOF\n", OpenMetrics);
    check_rejected("# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx 2\n", Prometheus);
    check_rejected("# TYPE x gauge\nx 1\n# TYPE x gauge\n", Prometheus);
    check_rejected("y 1\n", Prometheus);
    check_rejected("# TYPE x histogram\nx_bucket{le=\"1\"} 1\n# EOF\n", OpenMetrics);
    check_rejected(
        "# TYPE x_seconds gauge\n# UNIT x_seconds bytes\nx_seconds 1\n# EOF\n",
        OpenMetrics,
    );
    // And it reads what the documentation shows.
    let documented = "# HELP http_requests_total The total number of HTTP requests.\n\
        # TYPE http_requests_total counter\n\
        http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n\
        \n\
        # A normal comment.\n\
        # TYPE msdos_file_access_time_seconds gauge\n\
        msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n";
    let read = read_exposition(documented, Prometheus).unwrap();
    assert_eq!(read.samples.len(), 2);
    assert_eq!(read.samples[1].labels[1].1, "Cannot find file:\n\"FILE.TXT\"");
    assert_eq!(read.samples[1].value, 1.458255915e9);
}
