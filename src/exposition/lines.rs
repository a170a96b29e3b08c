//! The sample lines both text formats write alike: a series' name and
//! labels, its value, a gauge's and a state set's series, a histogram's
//! buckets. What differs between the formats (metadata, `_created`, the
//! order of `_sum` and `_count`) is decided by [`text`](super::text) and
//! [`openmetrics`](super::openmetrics), or by the `format` passed in here.

use super::bounds::LE_INFINITY;
use super::labels::{write_label_pair, write_label_pairs};
use super::{
    write_integer, write_value, HistogramValue, Labels, StateSetValue, TextFormat, MAX_STATES,
};

/// Writes `<keyword><name><suffix> <text>` and a line feed.
pub(super) fn write_metadata_line(
    out: &mut String,
    keyword: &str,
    name: &str,
    suffix: &str,
    text: &str,
) {
    for part in [keyword, name, suffix, " ", text, "\n"] {
        out.push_str(part);
    }
}

pub(super) fn write_gauge_samples(out: &mut String, name: &str, series: &[(Labels, f64)]) {
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
pub(super) fn write_state_set_samples(
    out: &mut String,
    name: &str,
    series: &[(Labels, StateSetValue)],
) {
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
pub(super) fn write_histogram_series(
    out: &mut String,
    name: &str,
    labels: Labels,
    histogram: &HistogramValue,
    format: TextFormat,
) {
    let le = histogram.bounds.le(format);
    for (le, &cumulative_count) in le.iter().zip(&histogram.cumulative) {
        write_series_name(out, name, "_bucket", labels, Some(le));
        write_count_line(out, cumulative_count);
    }
    write_series_name(out, name, "_bucket", labels, Some(LE_INFINITY));
    write_count_line(out, histogram.count);
    match format {
        TextFormat::Prometheus => {
            write_series_name(out, name, "_sum", labels, None);
            write_value_line(out, histogram.sum);
            write_series_name(out, name, "_count", labels, None);
            write_count_line(out, histogram.count);
        }
        TextFormat::OpenMetrics => {
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
pub(super) fn write_series_name(
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

/// Writes ` <value>` and the line feed that end a sample line.
pub(super) fn write_value_line(out: &mut String, value: f64) {
    out.push(' ');
    write_value(out, value);
    out.push('\n');
}

/// Writes ` <count>` and the line feed: a bucket's or a histogram's count.
pub(super) fn write_count_line(out: &mut String, count: u64) {
    out.push(' ');
    write_integer(out, count);
    out.push('\n');
}
