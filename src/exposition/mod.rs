//! The Prometheus exposition formats, written by hand: text format 0.0.4,
//! which every Prometheus version accepts, OpenMetrics 1.0, which newer ones
//! prefer, and the protobuf format, the only one that carries native
//! histograms. One model, three encoders: callers gather their samples
//! into [`Family`] values, and a [`Writer`] writes each family as one
//! contiguous group with its metadata on top, because Prometheus rejects a
//! family whose lines are split up.
//!
//! One concept a file:
//!
//! - the model: `model.rs` (families and the value of each type),
//!   `labels.rs` (a series' labels, spelled once), `bounds.rs` (a
//!   histogram's bucket bounds), [`native`] (its native buckets);
//! - the encoders: `text.rs` (0.0.4), `openmetrics.rs`, and `lines.rs`,
//!   the sample lines those two share; [`protobuf`], on [`wire`]'s
//!   varints and lengths;
//! - what every encoder spells alike: [`value`] (numbers as client_golang
//!   writes them), [`escaping`] (Prometheus 3's name escaping), `names.rs`
//!   (which names are valid);
//! - the choice: [`negotiate`] reads the `Accept` header into a
//!   [`Format`] (`format.rs`), and [`write_body`] hands the [`Writer`] for
//!   it to the scrape. A fourth format is one more file and one more arm
//!   of the writer's `Sink`; a content encoding (gzip) belongs to
//!   the finished body, outside this module.
//!
//! A scrape writes thousands of lines, so this module is built not to
//! allocate per line: families borrow their names, help texts and labels
//! from whoever built them, a state set is a bit for each of its states,
//! bucket bounds are spelled once when a histogram is made
//! ([`BucketBounds`]), and numbers are written straight into the output,
//! spelled as client_golang spells them ([`value`]).
//! Pure: no I/O, no clock, and nothing from the rest of the crate.

mod model;
mod labels;
mod bounds;
pub mod native;
mod text;
mod openmetrics;
mod lines;
pub mod protobuf;
pub mod wire;
pub mod value;
pub mod escaping;
mod names;
pub mod negotiate;
mod format;
#[cfg(test)]
mod golden;

pub use bounds::BucketBounds;
pub use escaping::Escaping;
pub use format::{Format, TextFormat};
pub use labels::{labels, spell_labels, Labels, NO_LABELS};
pub use model::{CounterValue, Family, HistogramValue, Samples, Series, StateSetValue, MAX_STATES};
pub use names::{is_valid_label_name, is_valid_metric_name};
pub use native::{BucketSpan, NativeBuckets};
pub use value::{format_value, write_integer, write_value};

use names::{is_well_formed, label_names_lack_underscores};

/// Renders the families into a new string in a text format; see [`write()`].
pub fn render(families: &[Family], format: TextFormat) -> String {
    let mut out = String::new();
    write(&mut out, families, format);
    out
}

/// Appends the families to `out` in a text format, in the given order, each
/// as one contiguous group; see [`Writer`].
pub fn write(out: &mut String, families: &[Family], format: TextFormat) {
    let mut writer = Writer::new(out, format);
    for family in families {
        writer.family(family);
    }
    writer.finish();
}

/// Encodes the families in the protobuf format, in the given order.
pub fn render_protobuf(families: &[Family]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = Writer::protobuf(&mut out);
    for family in families {
        writer.family(family);
    }
    writer.finish();
    out
}

/// A whole body in `format`, written by `write` after what `buffer` holds
/// already (a recycled body is empty): the text formats fill the string,
/// and protobuf its bytes, which are the string's own, taken over without
/// a copy.
pub fn write_body(buffer: String, format: Format, write: impl FnOnce(Writer)) -> Vec<u8> {
    match format {
        Format::Text { format: text_format, .. } => {
            let mut text = buffer;
            write(Writer::text(&mut text, text_format, format.names()));
            text.into_bytes()
        }
        Format::Protobuf => {
            let mut bytes = buffer.into_bytes();
            write(Writer::protobuf(&mut bytes));
            bytes
        }
    }
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
    sink: Sink<'o>,
}

/// Where a [`Writer`] writes: text into a string, protobuf into bytes.
enum Sink<'o> {
    Text { out: &'o mut String, format: TextFormat, names: Escaping },
    Protobuf(&'o mut Vec<u8>),
}

impl<'o> Writer<'o> {
    /// A writer that appends to `out` in a text `format`, names as they are.
    pub fn new(out: &'o mut String, format: TextFormat) -> Writer<'o> {
        Writer::text(out, format, Escaping::AllowUtf8)
    }

    /// A writer that appends to `out` in a text `format`, its metric and
    /// label names escaped as `names` says.
    pub fn text(out: &'o mut String, format: TextFormat, names: Escaping) -> Writer<'o> {
        Writer { sink: Sink::Text { out, format, names } }
    }

    /// A writer that appends length-delimited `MetricFamily` messages to `out`.
    pub fn protobuf(out: &'o mut Vec<u8>) -> Writer<'o> {
        Writer { sink: Sink::Protobuf(out) }
    }

    /// Writes one family, as one contiguous group with its metadata on top.
    pub fn family(&mut self, family: &Family) {
        debug_assert!(is_well_formed(family), "invalid metric, label or unit name in {family:?}");
        if family.samples.is_empty() {
            return;
        }
        match &mut self.sink {
            Sink::Protobuf(out) => protobuf::write_family(out, family),
            Sink::Text { out, format, names } => {
                debug_assert!(
                    *names != Escaping::Dots || label_names_lack_underscores(family),
                    "a label name with an underscore, which `dots` would have to escape"
                );
                write_text_family(out, *format, &names.escape(family.name), family)
            }
        }
    }

    /// Ends the body: `# EOF` in OpenMetrics, nothing in the other formats.
    pub fn finish(self) {
        if let Sink::Text { out, format: TextFormat::OpenMetrics, .. } = self.sink {
            out.push_str("# EOF\n");
        }
    }
}

/// Writes `family` in a text format under `name`: its own, or as escaped
/// for the scraper. Only `dots` escapes a legacy name (doubling its
/// underscores); the suffixes a type adds (`_total`, `_bucket`) follow the
/// escaped name, as client_golang adds them. Label names are written as
/// they are: none of this exporter's has an underscore for `dots` to
/// double (the state set's label is the family's name, escaped with it).
fn write_text_family(out: &mut String, format: TextFormat, name: &str, family: &Family) {
    match format {
        TextFormat::Prometheus => text::write_prometheus_family(out, name, family),
        TextFormat::OpenMetrics => openmetrics::write_openmetrics_family(out, name, family),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposition::golden::{check, counter};

    #[test]
    fn dots_escaping_doubles_the_underscores_of_metric_names() {
        // escaping_schemes.md: under `dots`, "existing underscores MUST be
        // replaced with double underscores"; the suffixes a type adds
        // (`_total`, `_bucket`) follow the escaped name.
        let states = ["up_ok", "down"];
        let families = [
            Family::counter(
                "http_requests",
                "Requests.",
                vec![(labels(&[("code", "2_00")]), counter(3.0, Some(1.5)))],
            ),
            Family::state_set(
                "probe_state",
                "",
                vec![(labels(&[("target", "a_b")]), StateSetValue::one_of(&states, 0))],
            ),
            Family::histogram(
                "latency_seconds",
                "",
                vec![(NO_LABELS, HistogramValue::from_buckets(&[(1.0, 1)], 2, 3.0, None))],
            )
            .with_unit("seconds"),
        ];
        let mut text = String::new();
        let mut writer = Writer::text(&mut text, TextFormat::OpenMetrics, Escaping::Dots);
        for family in &families {
            writer.family(family);
        }
        writer.finish();
        assert_eq!(
            text,
            r#"# TYPE http__requests counter
# HELP http__requests Requests.
http__requests_total{code="2_00"} 3
http__requests_created{code="2_00"} 1.5
# TYPE probe__state stateset
probe__state{target="a_b",probe__state="up_ok"} 1
probe__state{target="a_b",probe__state="down"} 0
# TYPE latency__seconds histogram
# UNIT latency__seconds seconds
latency__seconds_bucket{le="1.0"} 1
latency__seconds_bucket{le="+Inf"} 2
latency__seconds_count 2
latency__seconds_sum 3
# EOF
"#
        );
        // The other schemes leave legacy names as they are.
        for names in [Escaping::AllowUtf8, Escaping::Underscores, Escaping::Values] {
            let mut escaped = String::new();
            let mut writer = Writer::text(&mut escaped, TextFormat::Prometheus, names);
            for family in &families {
                writer.family(family);
            }
            writer.finish();
            assert_eq!(escaped, render(&families, TextFormat::Prometheus), "{names:?}");
        }
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
            TextFormat::Prometheus,
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
        check(&empty, TextFormat::Prometheus, "");
        check(&empty, TextFormat::OpenMetrics, "# EOF\n");
        check(&[], TextFormat::OpenMetrics, "# EOF\n");
    }
}
