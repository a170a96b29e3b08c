//! The format of an exposition: one of the two text formats, with the
//! escaping a 1.0.0 answer states, or protobuf; and the `Content-Type` that
//! says which. [`negotiate`](super::negotiate) chooses the format from the
//! `Accept` header, and the [`Writer`](super::Writer) writes in it.

use super::protobuf;
use super::Escaping;

/// The two text formats a scrape can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFormat {
    /// Prometheus text format 0.0.4: the default, understood by every
    /// Prometheus version and by `promtool check metrics`. Asked for as
    /// version 1.0.0, the same text with its escaping stated.
    Prometheus,
    /// OpenMetrics 1.0.0, which Prometheus 2.5 and later rank first.
    OpenMetrics,
}

impl TextFormat {
    /// The `Content-Type` header for a body in this format, as answered
    /// when no escaping was asked for. Prometheus 3 fails a scrape whose
    /// content type is missing or unknown.
    pub fn content_type(self) -> &'static str {
        Format::text(self).content_type()
    }
}

/// The format of an exposition: a text format with its escaping, or
/// protobuf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A text format. `escaping` is the scheme a 1.0.0 answer states in
    /// its `Content-Type`: text 0.0.4 has none, and text asked for as
    /// version 1.0.0 has one; OpenMetrics is always 1.0.0 and, when none
    /// was asked for, states the default, `underscores`.
    Text {
        /// Which text format.
        format: TextFormat,
        /// The escaping asked for, if any.
        escaping: Option<Escaping>,
    },
    /// The protobuf format, delimited: what Prometheus asks for first when
    /// it scrapes native histograms. Its strings need no escaping.
    Protobuf,
}

impl Format {
    /// The text format `format`, with no escaping asked for.
    pub const fn text(format: TextFormat) -> Format {
        Format::Text { format, escaping: None }
    }

    /// The text format, or `None` for protobuf.
    pub fn text_format(self) -> Option<TextFormat> {
        match self {
            Format::Text { format, .. } => Some(format),
            Format::Protobuf => None,
        }
    }

    /// The escaping the names are written with: none for text 0.0.4 and
    /// protobuf, the default for OpenMetrics when none was asked for.
    pub fn names(self) -> Escaping {
        match self {
            Format::Text { format: TextFormat::OpenMetrics, escaping: None } => {
                Escaping::Underscores
            }
            Format::Text { escaping: Some(escaping), .. } => escaping,
            Format::Text { escaping: None, .. } | Format::Protobuf => Escaping::AllowUtf8,
        }
    }

    /// The `Content-Type` header for a body in this format.
    pub fn content_type(self) -> &'static str {
        use Escaping::{AllowUtf8, Dots, Underscores, Values};
        let Format::Text { format, escaping } = self else {
            return protobuf::CONTENT_TYPE;
        };
        match (format, escaping) {
            (TextFormat::Prometheus, None) => "text/plain; version=0.0.4; charset=utf-8",
            (TextFormat::Prometheus, Some(AllowUtf8)) => {
                "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
            }
            (TextFormat::Prometheus, Some(Underscores)) => {
                "text/plain; version=1.0.0; charset=utf-8; escaping=underscores"
            }
            (TextFormat::Prometheus, Some(Dots)) => {
                "text/plain; version=1.0.0; charset=utf-8; escaping=dots"
            }
            (TextFormat::Prometheus, Some(Values)) => {
                "text/plain; version=1.0.0; charset=utf-8; escaping=values"
            }
            (TextFormat::OpenMetrics, Some(AllowUtf8)) => {
                "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
            }
            (TextFormat::OpenMetrics, None | Some(Underscores)) => {
                "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"
            }
            (TextFormat::OpenMetrics, Some(Dots)) => {
                "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=dots"
            }
            (TextFormat::OpenMetrics, Some(Values)) => {
                "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=values"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_name_the_format_version_and_charset() {
        assert_eq!(
            TextFormat::Prometheus.content_type(),
            "text/plain; version=0.0.4; charset=utf-8"
        );
        // A 1.0.0 answer states its escaping, `underscores` when none was
        // asked for (escaping_schemes.md, "Default Behavior").
        assert_eq!(
            TextFormat::OpenMetrics.content_type(),
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"
        );
        assert_eq!(
            Format::Protobuf.content_type(),
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
        );
    }
}
