//! The Prometheus text formats, written by hand: text format 0.0.4, which
//! every Prometheus version accepts, and OpenMetrics 1.0, which newer ones
//! prefer. Callers gather their samples into [`Family`] values, and
//! a [`Writer`] writes each family as one contiguous group with its metadata
//! on top, because Prometheus rejects a family whose lines are split up.
//!
//! A scrape writes thousands of lines, so this file is built not to
//! allocate per line: families borrow their names, help texts and labels
//! from whoever built them, a state set is a bit for each of its states,
//! bucket bounds are spelled once when a histogram is made
//! ([`BucketBounds`]), and numbers are written straight into the output,
//! spelled as client_golang spells them ([`value`]).
//! Pure: no I/O, no clock, and nothing from the rest of the crate.

use std::borrow::Cow;
use std::sync::Arc;

mod native;
pub mod value;

pub use native::{BucketSpan, NativeBuckets};
pub use value::{format_value, write_integer, write_value};

/// The two text formats a scrape can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4: the default, understood by every
    /// Prometheus version and by `promtool check metrics`.
    Prometheus,
    /// OpenMetrics 1.0.0, which Prometheus 2.5 and later rank first.
    OpenMetrics,
}

impl Format {
    /// The `Content-Type` header for a body in this format. Prometheus 3
    /// fails a scrape whose content type is missing or unknown.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// The labels of one series, borrowed from whoever built the family.
/// They are written in this order, and the order must not change between
/// scrapes: Prometheus caches series by their exact text.
///
/// A scrape writes each target's labels on some thirty lines, so a caller
/// may spell them once ([`spell_labels`]) and hand the text in with the
/// pairs ([`Labels::spelled`]); the writer then copies it instead of
/// escaping every value again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Labels<'a> {
    pairs: &'a [(&'a str, &'a str)],
    /// The pairs as they are written between the braces, if spelled once.
    spelled: Option<&'a str>,
}

impl<'a> Labels<'a> {
    /// The pairs; the writer escapes each value where it writes it.
    pub const fn new(pairs: &'a [(&'a str, &'a str)]) -> Labels<'a> {
        Labels { pairs, spelled: None }
    }

    /// The pairs with `spelled`, which must be what [`spell_labels`] made
    /// of them.
    pub fn spelled(pairs: &'a [(&'a str, &'a str)], spelled: &'a str) -> Labels<'a> {
        debug_assert_eq!(spell_labels(pairs), spelled);
        Labels { pairs, spelled: Some(spelled) }
    }

    /// The (name, value) pairs, in the order they are written.
    pub fn pairs(&self) -> &'a [(&'a str, &'a str)] {
        self.pairs
    }

    /// Whether the series has no label of its own.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// The labels of a series that has none.
pub const NO_LABELS: Labels<'static> = Labels::new(&[]);

/// Spells [`Labels`] out where they are written: `labels(&[("target", "db:13")])`.
pub fn labels<'a>(pairs: &'a [(&'a str, &'a str)]) -> Labels<'a> {
    Labels::new(pairs)
}

/// The pairs as written between a series' braces: `target="a",kind="daytime"`,
/// each value escaped.
pub fn spell_labels(pairs: &[(&str, &str)]) -> String {
    let length: usize = pairs.iter().map(|(name, value)| name.len() + value.len() + 4).sum();
    let mut text = String::with_capacity(length);
    write_label_pairs(&mut text, pairs);
    text
}

/// One metric family: the series that share a name, a help text and a type.
#[derive(Clone, Debug, PartialEq)]
pub struct Family<'a> {
    /// The family name. For a counter this is the base name without
    /// `_total`, which both formats add to the sample name.
    pub name: &'a str,
    /// One line saying what the metric measures. An empty text writes no
    /// HELP line, since both formats make HELP optional.
    pub help: &'a str,
    /// The unit the name ends with, such as `"seconds"`. Only OpenMetrics
    /// announces it (`# UNIT`); text format 0.0.4 has no place for it.
    pub unit: Option<&'a str>,
    /// The series of the family, all of one type.
    pub samples: Samples<'a>,
}

/// The series of one family, each with its labels and value: a vector
/// built for the scrape, or borrowed, as a family of one series can be
/// from the stack.
pub type Series<'a, V> = Cow<'a, [(Labels<'a>, V)]>;

/// The series of a family, by metric type.
#[derive(Clone, Debug, PartialEq)]
pub enum Samples<'a> {
    /// Values that can go up and down, such as the last probe's latency.
    Gauge(Series<'a, f64>),
    /// Totals that only grow, with the time they started counting from.
    Counter(Series<'a, CounterValue>),
    /// Observations counted into buckets, such as probe latencies.
    Histogram(Series<'a, HistogramValue>),
    /// Named states of which each series reports which are set: an enum
    /// when exactly one is.
    StateSet(Series<'a, StateSetValue<'a>>),
}

/// The value of one counter series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CounterValue {
    /// The count so far; never negative, never NaN.
    pub total: f64,
    /// When counting started, in Unix seconds, written as `<name>_created`.
    pub created: Option<f64>,
}

/// The upper bounds of a histogram's finite buckets, each with its `le`
/// label already spelled for both formats (`le="0.005"`): a histogram's
/// bounds never change, so they are formatted once, when it is made, not
/// at every scrape.
#[derive(Debug, PartialEq)]
pub struct BucketBounds {
    values: Vec<f64>,
    prometheus: Vec<String>,
    openmetrics: Vec<String>,
}

/// The `le` label of the bucket that holds every observation.
const LE_INFINITY: &str = "le=\"+Inf\"";

impl BucketBounds {
    /// The bounds `values`, which the caller keeps finite and increasing.
    pub fn new(values: Vec<f64>) -> BucketBounds {
        let spell = |format| {
            values.iter().map(|&bound| format!("le=\"{}\"", format_bound(bound, format))).collect()
        };
        BucketBounds {
            prometheus: spell(Format::Prometheus),
            openmetrics: spell(Format::OpenMetrics),
            values,
        }
    }

    /// The bounds, in increasing order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The `le="…"` label of each bound, in `format`'s spelling.
    fn le(&self, format: Format) -> &[String] {
        match format {
            Format::Prometheus => &self.prometheus,
            Format::OpenMetrics => &self.openmetrics,
        }
    }
}

/// The value of one histogram series.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramValue {
    /// The finite bucket bounds; the `+Inf` bucket is not listed.
    pub bounds: Arc<BucketBounds>,
    /// For each bound, the observations less than or equal to it. The
    /// `+Inf` bucket's count is [`count`](Self::count).
    pub cumulative: Vec<u64>,
    /// The number of observations.
    pub count: u64,
    /// The sum of all observations.
    pub sum: f64,
    /// When observing started, in Unix seconds, written as `<name>_created`.
    pub created: Option<f64>,
    /// The native buckets, written only by the protobuf encoder.
    pub native: Option<NativeBuckets>,
}

impl HistogramValue {
    /// A histogram from (upper bound, cumulative count) pairs, as the
    /// specifications' examples list them.
    pub fn from_buckets(
        buckets: &[(f64, u64)],
        count: u64,
        sum: f64,
        created: Option<f64>,
    ) -> HistogramValue {
        let bounds = Arc::new(BucketBounds::new(buckets.iter().map(|&(bound, _)| bound).collect()));
        let cumulative = buckets.iter().map(|&(_, count)| count).collect();
        HistogramValue { bounds, cumulative, count, sum, created, native: None }
    }
}

/// The value of one state set series: its states, and which are set, one
/// bit each, so a state set has at most [`MAX_STATES`] states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateSetValue<'a> {
    /// The states in the order they are written.
    states: &'a [&'a str],
    /// Bit `i` is set when `states[i]` is.
    set: u64,
}

/// The most states a state set can have: one bit of a `u64` each.
pub const MAX_STATES: usize = 64;

impl<'a> StateSetValue<'a> {
    /// All `states`, of which those whose bit is 1 in `set` are set.
    ///
    /// # Panics
    ///
    /// With more than [`MAX_STATES`] states, or a bit set past the last:
    /// a mistake in the caller's code, not in any input.
    pub fn new(states: &'a [&'a str], set: u64) -> StateSetValue<'a> {
        assert!(states.len() <= MAX_STATES, "{} states: at most {MAX_STATES}", states.len());
        assert!(states.len() == MAX_STATES || set >> states.len() == 0, "a bit past the states");
        StateSetValue { states, set }
    }

    /// An enum: all `states`, of which only the one at `current` is set.
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new), and when `current` is not a state's index.
    pub fn one_of(states: &'a [&'a str], current: usize) -> StateSetValue<'a> {
        assert!(current < states.len(), "state {current} of {}", states.len());
        StateSetValue::new(states, 1 << current)
    }

    /// The states, in the order they are written.
    pub fn states(&self) -> &'a [&'a str] {
        self.states
    }

    /// Whether the state at `idx` is set.
    pub fn is_set(&self, idx: usize) -> bool {
        idx < MAX_STATES && self.set & (1 << idx) != 0
    }
}

impl<'a> Family<'a> {
    /// A gauge family.
    pub fn gauge(name: &'a str, help: &'a str, series: Vec<(Labels<'a>, f64)>) -> Family<'a> {
        Family::new(name, help, Samples::Gauge(series.into()))
    }

    /// A counter family; `name` is the base name, without `_total`.
    pub fn counter(
        name: &'a str,
        help: &'a str,
        series: Vec<(Labels<'a>, CounterValue)>,
    ) -> Family<'a> {
        Family::new(name, help, Samples::Counter(series.into()))
    }

    /// A histogram family.
    pub fn histogram(
        name: &'a str,
        help: &'a str,
        series: Vec<(Labels<'a>, HistogramValue)>,
    ) -> Family<'a> {
        Family::new(name, help, Samples::Histogram(series.into()))
    }

    /// A state set family.
    pub fn state_set(
        name: &'a str,
        help: &'a str,
        series: Vec<(Labels<'a>, StateSetValue<'a>)>,
    ) -> Family<'a> {
        Family::new(name, help, Samples::StateSet(series.into()))
    }

    /// Declares the unit the name ends with:
    /// `Family::gauge("probe_duration_seconds", ..).with_unit("seconds")`.
    pub fn with_unit(self, unit: &'a str) -> Family<'a> {
        Family { unit: Some(unit), ..self }
    }

    /// A family of `samples`, without a unit.
    pub fn new(name: &'a str, help: &'a str, samples: Samples<'a>) -> Family<'a> {
        Family { name, help, unit: None, samples }
    }
}

impl Samples<'_> {
    /// How many series there are, whatever the type.
    pub fn len(&self) -> usize {
        match self {
            Samples::Gauge(series) => series.len(),
            Samples::Counter(series) => series.len(),
            Samples::Histogram(series) => series.len(),
            Samples::StateSet(series) => series.len(),
        }
    }

    /// Whether there is no series at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The labels of the series at `idx`, whatever the type.
    fn labels_at(&self, idx: usize) -> Labels<'_> {
        match self {
            Samples::Gauge(series) => series[idx].0,
            Samples::Counter(series) => series[idx].0,
            Samples::Histogram(series) => series[idx].0,
            Samples::StateSet(series) => series[idx].0,
        }
    }
}

/// Renders the families into a new string; see [`write()`].
pub fn render(families: &[Family], format: Format) -> String {
    let mut out = String::new();
    write(&mut out, families, format);
    out
}

/// Appends the families to `out` in the given order, each as one
/// contiguous group; see [`Writer`].
pub fn write(out: &mut String, families: &[Family], format: Format) {
    let mut writer = Writer::new(out, format);
    for family in families {
        writer.family(family);
    }
    writer.finish();
}

/// Writes families into a body one at a time, as they are made, so that
/// a scrape keeps no list of them; [`finish`](Writer::finish) ends the body.
///
/// A family without samples writes nothing at all. An OpenMetrics body ends
/// with `# EOF`, without which Prometheus rejects the whole scrape. Names are
/// not checked here: they come from code or from configuration validated at
/// start-up with [`is_valid_metric_name`], so a bad one is a bug.
#[must_use = "a body is complete only after `finish`"]
pub struct Writer<'o> {
    out: &'o mut String,
    format: Format,
}

impl<'o> Writer<'o> {
    /// A writer that appends to `out` in `format`.
    pub fn new(out: &'o mut String, format: Format) -> Writer<'o> {
        Writer { out, format }
    }

    /// Writes one family, as one contiguous group with its metadata on top.
    pub fn family(&mut self, family: &Family) {
        debug_assert!(is_well_formed(family), "invalid metric, label or unit name in {family:?}");
        if family.samples.is_empty() {
            return;
        }
        match self.format {
            Format::Prometheus => write_prometheus_family(self.out, family),
            Format::OpenMetrics => write_openmetrics_family(self.out, family),
        }
    }

    /// Ends the body: `# EOF` in OpenMetrics, nothing in text format 0.0.4.
    pub fn finish(self) {
        if self.format == Format::OpenMetrics {
            self.out.push_str("# EOF\n");
        }
    }
}

/// Whether the family's names obey the data model: a valid metric name, a
/// unit that is the name's last `_` segment, and valid label names.
fn is_well_formed(family: &Family) -> bool {
    let unit_fits = match family.unit {
        Some(unit) => family.name.strip_suffix(unit).is_some_and(|rest| rest.ends_with('_')),
        None => true,
    };
    let samples = &family.samples;
    let labels_valid = (0..samples.len())
        .flat_map(|idx| samples.labels_at(idx).pairs())
        .all(|(name, _)| is_valid_label_name(name));
    // A state set's states are labelled with the family's own name.
    let state_label_valid =
        !matches!(family.samples, Samples::StateSet(_)) || is_valid_label_name(family.name);
    is_valid_metric_name(family.name) && unit_fits && labels_valid && state_label_valid
}

/// Text format 0.0.4 knows neither `_created` nor state sets, so, as
/// client_python does, creation times become a gauge family of their own
/// after the counter or histogram, and a state set becomes a gauge.
fn write_prometheus_family(out: &mut String, family: &Family) {
    let (name, help) = (family.name, family.help);
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
                write_histogram_series(out, name, labels, histogram, Format::Prometheus);
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

/// Writes `<keyword><name><suffix> <text>` and a line feed.
fn write_metadata_line(out: &mut String, keyword: &str, name: &str, suffix: &str, text: &str) {
    for part in [keyword, name, suffix, " ", text, "\n"] {
        out.push_str(part);
    }
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

/// OpenMetrics keeps every sample of a series together: a counter's
/// `_created` follows its `_total`, and a histogram's follows its `_sum`.
fn write_openmetrics_family(out: &mut String, family: &Family) {
    let name = family.name;
    let type_name = match family.samples {
        Samples::Gauge(_) => "gauge",
        Samples::Counter(_) => "counter",
        Samples::Histogram(_) => "histogram",
        Samples::StateSet(_) => "stateset",
    };
    write_openmetrics_metadata(out, family, type_name);
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
                write_histogram_series(out, name, labels, histogram, Format::OpenMetrics);
            }
        }
        Samples::StateSet(series) => write_state_set_samples(out, name, series),
    }
}

/// Writes `# TYPE`, `# UNIT` and `# HELP`, in the order the OpenMetrics
/// specification recommends. HELP is escaped like a label value there.
fn write_openmetrics_metadata(out: &mut String, family: &Family, type_name: &str) {
    let name = family.name;
    write_metadata_line(out, "# TYPE ", name, "", type_name);
    if let Some(unit) = family.unit {
        write_metadata_line(out, "# UNIT ", name, "", unit);
    }
    if !family.help.is_empty() {
        write_metadata_line(out, "# HELP ", name, "", &escape_label_value(family.help));
    }
}

fn write_gauge_samples(out: &mut String, name: &str, series: &[(Labels, f64)]) {
    for &(labels, ref value) in series.iter() {
        write_series_name(out, name, "", labels, None);
        write_value_line(out, *value);
    }
}

/// Writes one series per state, labelled with the family name itself
/// (`probe_state{probe_state="timeout"} 1`), as client_python writes an Enum.
///
/// The series of a family share their states, so each state's label is
/// spelled once for the family ([`StateLabels`]), not on every line.
fn write_state_set_samples(out: &mut String, name: &str, series: &[(Labels, StateSetValue)]) {
    let mut state_labels = StateLabels::new();
    for &(labels, ref state_set) in series.iter() {
        state_labels.spell(name, state_set.states);
        for idx in 0..state_set.states.len() {
            let label = state_labels.get(idx);
            write_series_name(out, name, "", labels, Some(label));
            out.push_str(if state_set.is_set(idx) { " 1\n" } else { " 0\n" });
        }
    }
}

/// The `name="state"` labels of a state set's states, spelled into one
/// string, and the states they were spelled for.
struct StateLabels<'a> {
    states: Option<&'a [&'a str]>,
    text: String,
    /// Where each state's label ends in `text`.
    ends: [usize; MAX_STATES],
}

impl<'a> StateLabels<'a> {
    fn new() -> StateLabels<'a> {
        StateLabels { states: None, text: String::new(), ends: [0; MAX_STATES] }
    }

    /// Spells the labels of `states`, unless they are the ones spelled last.
    fn spell(&mut self, name: &str, states: &'a [&'a str]) {
        if self.states.is_some_and(|spelled| std::ptr::eq(spelled, states)) {
            return;
        }
        self.text.clear();
        self.text.reserve(states.iter().map(|state| name.len() + state.len() + 3).sum());
        for (end, state) in self.ends.iter_mut().zip(states) {
            write_label_pair(&mut self.text, name, state);
            *end = self.text.len();
        }
        self.states = Some(states);
    }

    /// The label of the state at `idx`.
    fn get(&self, idx: usize) -> &str {
        let start = if idx == 0 { 0 } else { self.ends[idx - 1] };
        &self.text[start..self.ends[idx]]
    }
}

/// Writes one histogram series. Both formats want the cumulative buckets in
/// increasing order and then `le="+Inf"`, which holds every observation; they
/// differ in how `le` is spelled and in the order of `_sum` and `_count`.
fn write_histogram_series(
    out: &mut String,
    name: &str,
    labels: Labels,
    histogram: &HistogramValue,
    format: Format,
) {
    let le = histogram.bounds.le(format);
    for (le, &cumulative_count) in le.iter().zip(&histogram.cumulative) {
        write_series_name(out, name, "_bucket", labels, Some(le));
        write_count_line(out, cumulative_count);
    }
    write_series_name(out, name, "_bucket", labels, Some(LE_INFINITY));
    write_count_line(out, histogram.count);
    match format {
        Format::Prometheus => {
            write_series_name(out, name, "_sum", labels, None);
            write_value_line(out, histogram.sum);
            write_series_name(out, name, "_count", labels, None);
            write_count_line(out, histogram.count);
        }
        Format::OpenMetrics => {
            write_series_name(out, name, "_count", labels, None);
            write_count_line(out, histogram.count);
            write_series_name(out, name, "_sum", labels, None);
            write_value_line(out, histogram.sum);
            if let Some(seconds) = histogram.created {
                write_series_name(out, name, "_created", labels, None);
                write_value_line(out, seconds);
            }
        }
    }
}

/// Writes `<name><suffix>{label="value",...}`: the sample name and its
/// labels, without the braces when there are none. `extra` is one more
/// label, already spelled, written after the series' own: a bucket's
/// `le="0.005"` or a state set's `name="state"`.
fn write_series_name(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: Labels,
    extra: Option<&str>,
) {
    out.push_str(name);
    out.push_str(suffix);
    if labels.is_empty() && extra.is_none() {
        return;
    }
    out.push('{');
    match labels.spelled {
        Some(spelled) => out.push_str(spelled),
        None => write_label_pairs(out, labels.pairs),
    }
    if let Some(extra) = extra {
        if !labels.is_empty() {
            out.push(',');
        }
        out.push_str(extra);
    }
    out.push('}');
}

/// Writes `name="value",...`, each value escaped.
fn write_label_pairs(out: &mut String, pairs: &[(&str, &str)]) {
    for (idx, &(label, value)) in pairs.iter().enumerate() {
        if idx > 0 {
            out.push(',');
        }
        write_label_pair(out, label, value);
    }
}

/// Writes `name="value"`, the value escaped.
fn write_label_pair(out: &mut String, label: &str, value: &str) {
    out.push_str(label);
    out.push_str("=\"");
    out.push_str(&escape_label_value(value));
    out.push('"');
}

/// Writes ` <value>` and the line feed that end a sample line.
fn write_value_line(out: &mut String, value: f64) {
    out.push(' ');
    write_value(out, value);
    out.push('\n');
}

/// Writes ` <count>` and the line feed: a bucket's or a histogram's count.
fn write_count_line(out: &mut String, count: u64) {
    out.push(' ');
    write_integer(out, count);
    out.push('\n');
}

/// Whether `name` is a metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`. Colons are
/// reserved for recording rules, so exporters should not use them anyway.
pub fn is_valid_metric_name(name: &str) -> bool {
    let is_first = |c: char| c.is_ascii_alphabetic() || c == '_' || c == ':';
    let is_rest = |c: char| is_first(c) || c.is_ascii_digit();
    matches_name_pattern(name, is_first, is_rest)
}

/// Whether `name` is a label name an exporter may write:
/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`, which Prometheus keeps
/// for its own labels such as `__name__`.
pub fn is_valid_label_name(name: &str) -> bool {
    let is_first = |c: char| c.is_ascii_alphabetic() || c == '_';
    let is_rest = |c: char| is_first(c) || c.is_ascii_digit();
    !name.starts_with("__") && matches_name_pattern(name, is_first, is_rest)
}

/// Whether `name` has a first character `is_first` accepts, followed by
/// characters `is_rest` accepts.
fn matches_name_pattern(
    name: &str,
    is_first: impl Fn(char) -> bool,
    is_rest: impl Fn(char) -> bool,
) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_first) && chars.all(is_rest)
}

/// Formats a bucket bound for `le`. Text format 0.0.4 gets the value form,
/// as client_golang writes it (`1`, `0.005`). OpenMetrics requires the
/// canonical form, which keeps a `.0` on whole numbers (`1.0`, `100000.0`,
/// `1e+06`), so the same bucket is always the same series.
fn format_bound(bound: f64, format: Format) -> String {
    let value = format_value(bound);
    let looks_like_integer = bound.is_finite() && !value.contains(['.', 'e']);
    if format == Format::OpenMetrics && looks_like_integer {
        value + ".0"
    } else {
        value
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

/// Escapes a label value, and HELP text in OpenMetrics: backslash, double
/// quote and line feed, and nothing else, since parsers reject any other
/// escape sequence (such as `\t`).
fn escape_label_value(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(|byte| matches!(byte, b'\\' | b'"' | b'\n')) {
        return Cow::Borrowed(text);
    }
    // The backslash goes first, so the backslashes added next stay single.
    Cow::Owned(text.replace('\\', r"\\").replace('"', r#"\""#).replace('\n', r"\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(families: &[Family], format: Format, expected: &str) {
        assert_eq!(render(families, format), expected);
    }

    #[track_caller]
    fn check_bound(bound: f64, expected_prometheus: &str, expected_openmetrics: &str) {
        assert_eq!(format_bound(bound, Format::Prometheus), expected_prometheus);
        assert_eq!(format_bound(bound, Format::OpenMetrics), expected_openmetrics);
    }

    #[track_caller]
    fn check_escape_help(text: &str, expected: &str) {
        assert_eq!(escape_help(text), expected);
    }

    #[track_caller]
    fn check_escape_label_value(text: &str, expected: &str) {
        assert_eq!(escape_label_value(text), expected);
    }

    #[track_caller]
    fn check_metric_name(name: &str, expected: bool) {
        assert_eq!(is_valid_metric_name(name), expected, "metric name {name:?}");
    }

    #[track_caller]
    fn check_label_name(name: &str, expected: bool) {
        assert_eq!(is_valid_label_name(name), expected, "label name {name:?}");
    }

    fn counter(total: f64, created: Option<f64>) -> CounterValue {
        CounterValue { total, created }
    }

    #[test]
    fn content_types_name_the_format_version_and_charset() {
        assert_eq!(Format::Prometheus.content_type(), "text/plain; version=0.0.4; charset=utf-8");
        assert_eq!(
            Format::OpenMetrics.content_type(),
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
        );
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
    fn label_values_escape_backslash_quote_and_newline() {
        check_escape_label_value("plain", "plain");
        check_escape_label_value(r"C:\DIR\FILE.TXT", r"C:\\DIR\\FILE.TXT");
        check_escape_label_value(r#"say "hi""#, r#"say \"hi\""#);
        check_escape_label_value("one\ntwo", r"one\ntwo");
        check_escape_label_value("tab\tstays", "tab\tstays");
        check_escape_label_value("héllo ✓", "héllo ✓");
        check_escape_label_value(r#"\""#, r#"\\\""#);
    }

    #[test]
    fn metric_names_match_the_data_model_pattern() {
        check_metric_name("probe_success", true);
        check_metric_name("_hidden", true);
        check_metric_name(":recorded:rule", true);
        check_metric_name("http2_requests", true);
        check_metric_name("ProbeSuccess", true);
        check_metric_name("", false);
        check_metric_name("2xx_responses", false);
        check_metric_name("probe-success", false);
        check_metric_name("probe.success", false);
        check_metric_name("probe success", false);
        check_metric_name("latenz_µs", false);
    }

    #[test]
    fn label_names_match_the_pattern_and_avoid_reserved_ones() {
        check_label_name("target", true);
        check_label_name("_private", true);
        check_label_name("code2", true);
        check_label_name("", false);
        check_label_name("__name__", false);
        check_label_name("__meta", false);
        check_label_name("2xx", false);
        check_label_name("a:b", false);
        check_label_name("a-b", false);
    }

    #[test]
    fn state_set_one_of_sets_only_the_named_state() {
        let states = ["success", "timeout", "refused"];
        let state_set = StateSetValue::one_of(&states, 1);
        let set: Vec<bool> = (0..states.len()).map(|idx| state_set.is_set(idx)).collect();
        assert_eq!(set, [false, true, false]);
    }

    #[test]
    #[should_panic(expected = "at most 64")]
    fn a_state_set_holds_at_most_64_states() {
        let states = [""; MAX_STATES + 1];
        let _ = StateSetValue::new(&states, 1);
    }

    #[test]
    fn prometheus_counter_gets_a_created_gauge_family() {
        // client_python's output for Counter('cc', 'A counter'), values in Go style.
        let family =
            Family::counter("cc", "A counter", vec![(NO_LABELS, counter(1.0, Some(1.7e9)))]);
        check(
            &[family],
            Format::Prometheus,
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
            Format::Prometheus,
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
            Format::Prometheus,
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
            Format::Prometheus,
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
            Format::Prometheus,
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
            Format::Prometheus,
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
            Format::Prometheus,
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
            Format::Prometheus,
            r#"# HELP probe_state The outcome of the last probe.
# TYPE probe_state gauge
probe_state{target="a",probe_state="success"} 1
probe_state{target="a",probe_state="timeout"} 0
probe_state{target="b",probe_state="success"} 0
probe_state{target="b",probe_state="timeout"} 1
"#,
        );
    }

    #[test]
    fn families_stay_in_order_and_empty_ones_vanish() {
        let families = [
            Family::gauge("b_first", "First.", vec![(NO_LABELS, 1.0)]),
            Family::gauge("empty", "No samples.", vec![]),
            Family::counter("empty_counter", "No samples.", vec![]),
            Family::gauge("a_second", "Second.", vec![(NO_LABELS, 2.0)]),
        ];
        check(
            &families,
            Format::Prometheus,
            r"# HELP b_first First.
# TYPE b_first gauge
b_first 1
# HELP a_second Second.
# TYPE a_second gauge
a_second 2
",
        );
    }

    #[test]
    fn nothing_to_render_is_empty_text_or_a_lone_eof() {
        let empty = [Family::gauge("empty", "No samples.", vec![])];
        check(&empty, Format::Prometheus, "");
        check(&empty, Format::OpenMetrics, "# EOF\n");
        check(&[], Format::OpenMetrics, "# EOF\n");
    }

    #[test]
    fn openmetrics_gauge_ends_with_eof() {
        let family = Family::gauge("foo", "", vec![(NO_LABELS, 17.0)]);
        check(
            &[family],
            Format::OpenMetrics,
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
            Format::OpenMetrics,
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
            Format::OpenMetrics,
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
            Format::OpenMetrics,
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
            Format::OpenMetrics,
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
