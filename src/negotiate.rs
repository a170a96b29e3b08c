//! Content negotiation: reading a scrape's `Accept` header to choose between
//! Prometheus text (0.0.4, or 1.0.0 with its escaping stated), OpenMetrics
//! 1.0 and the protobuf format. Prometheus lists the formats it can parse
//! with a preference (`q`) for each; the exporter answers in the most
//! preferred one it can write, and otherwise in text 0.0.4, which every
//! Prometheus version accepts. The header is read loosely and never rejected:
//! a scrape that gets the default format still works.
//!
//! Prometheus 3 also says how names it cannot take are to be escaped
//! (`escaping=allow-utf-8`); a 1.0.0 text answer says which escaping it used
//! (`underscores` when none was asked for), and 0.0.4 and protobuf answers
//! say none (the specification: prometheus/docs,
//! `content_negotiation.md` and `escaping_schemes.md`).
//!
//! The answer is the [`Answer`] the writer takes: text 0.0.4 whenever the
//! header is absent, unclear or asks only for formats the exporter cannot
//! write. This leaf knows no other module but the writer's formats.

use crate::exposition::{Answer, Escaping, Format};

/// Chooses the format for a scrape from its `Accept` header (RFC 9110,
/// section 12.5.1):
///
/// ```text
/// Accept      = #( media-range [ weight ] )
/// media-range = ( "*/*" / ( type "/" "*" ) / ( type "/" subtype ) )
///               *( OWS ";" OWS parameter )
/// weight      = OWS ";" OWS "q=" qvalue
/// ```
///
/// Of the entries the exporter can serve, the one with the highest `q` wins,
/// and of equals the earliest. Prometheus 2.34 sends, for example,
/// `application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`,
/// which chooses OpenMetrics.
pub fn negotiate(accept: Option<&str>) -> Answer {
    const DEFAULT: Answer = Answer::text(Format::Prometheus);
    let Some(accept) = accept else {
        return DEFAULT;
    };
    let mut best: Option<(Answer, f64)> = None;
    for entry in accept.split(',') {
        let Some((range, quality)) = MediaRange::parse(entry) else {
            continue;
        };
        let Some(choice) = range.choice() else {
            continue;
        };
        // Only a strictly higher `q` wins, so ties keep the earlier entry and
        // `q=0`, which means "not acceptable", never wins at all.
        let best_quality = best.map_or(0.0, |(_, quality)| quality);
        if quality > best_quality {
            best = Some((choice, quality));
        }
    }
    best.map_or(DEFAULT, |(choice, _)| choice)
}

/// One entry of an `Accept` header, reduced to what the choice depends on.
struct MediaRange<'a> {
    /// `type/subtype` as written, such as `text/plain` or `*/*`.
    media_type: &'a str,
    /// The `version` parameter without quotes, if there is one.
    version: Option<&'a str>,
    /// The `escaping` parameter, if it names a scheme.
    escaping: Option<Escaping>,
    /// Whether the `proto` and `encoding` parameters name what the
    /// protobuf format needs: `io.prometheus.client.MetricFamily`, delimited.
    delimited_metric_families: bool,
}

impl<'a> MediaRange<'a> {
    /// Parses `type/subtype;name=value;...` with or without spaces around
    /// the separators, with parameters in any order and names in any case.
    /// Returns the range and its weight `q`, from 0 to 1 (1 if not given),
    /// or `None`, so the entry is skipped, when `q` is not a number from 0
    /// to 1.
    fn parse(entry: &'a str) -> Option<(MediaRange<'a>, f64)> {
        let mut parts = entry.split(';');
        let media_type = parts.next()?.trim();
        let mut range = MediaRange {
            media_type,
            version: None,
            escaping: None,
            delimited_metric_families: false,
        };
        let (mut proto, mut encoding) = (None, None);
        let mut quality = 1.0;
        for parameter in parts {
            // Other parameters, such as `charset`, do not change which
            // format fits, and a name without a value is noise.
            let Some((name, value)) = parameter.split_once('=') else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim().trim_matches('"'));
            let is = |expected: &str| name.eq_ignore_ascii_case(expected);
            if is("q") {
                quality = parse_quality(value)?;
            } else if is("version") {
                range.version = Some(value);
            } else if is("escaping") {
                // An unknown scheme is as good as none: the default applies.
                range.escaping = Escaping::parse(value);
            } else if is("proto") {
                proto = Some(value);
            } else if is("encoding") {
                encoding = Some(value);
            }
        }
        range.delimited_metric_families =
            proto == Some("io.prometheus.client.MetricFamily") && encoding == Some("delimited");
        Some((range, quality))
    }

    /// The answer this entry asks for, if the exporter can write it.
    fn choice(&self) -> Option<Answer> {
        let is = |media_type: &str| self.media_type.eq_ignore_ascii_case(media_type);
        let answer = |format, escaping| Some(Answer::Text { format, escaping });
        if is("application/openmetrics-text") {
            // Prometheus 2.5 to 2.33 ask for the 0.0.1 draft, but pick their
            // parser by media type alone, so they read 1.0.0 just as well;
            // 2.0.0 is another format, answered only when asked for.
            match self.version {
                None | Some("0.0.1" | "1.0.0") => answer(Format::OpenMetrics, self.escaping),
                Some(_) => None,
            }
        } else if is("text/plain") {
            // Version 1.0.0 is 0.0.4 with UTF-8 names allowed (quoted): with
            // legacy names the same text, its escaping stated.
            match self.version {
                None | Some("0.0.4") => answer(Format::Prometheus, None),
                Some("1.0.0") => {
                    let escaping = self.escaping.unwrap_or(Escaping::Underscores);
                    answer(Format::Prometheus, Some(escaping))
                }
                Some(_) => None,
            }
        } else if is("application/vnd.google.protobuf") {
            // Prometheus asks for the delimited stream of `MetricFamily`
            // messages; the text and compact-text encodings are for people.
            if self.delimited_metric_families {
                Some(Answer::Protobuf)
            } else {
                None
            }
        } else if is("*/*") || is("text/*") {
            answer(Format::Prometheus, None)
        } else if is("application/*") {
            // OpenMetrics is the `application/` type Prometheus prefers.
            answer(Format::OpenMetrics, None)
        } else {
            None
        }
    }
}

/// Reads a weight: RFC 9110 allows `0` to `1` with at most three decimals,
/// read here loosely as any number from 0 to 1.
fn parse_quality(text: &str) -> Option<f64> {
    let quality: f64 = text.parse().ok()?;
    (0.0..=1.0).contains(&quality).then_some(quality)
}

#[cfg(test)]
mod tests;
