//! Content negotiation: reading a scrape's `Accept` header to choose between
//! Prometheus text 0.0.4 and OpenMetrics 1.0. Prometheus lists the formats it
//! can parse with a preference (`q`) for each; the exporter answers in the
//! most preferred one it can write, and otherwise in text 0.0.4, which every
//! Prometheus version accepts. The header is read loosely and never rejected:
//! a scrape that gets the default format still works.
//!
//! The answer is the [`Format`] the writer takes: text 0.0.4 whenever the
//! header is absent, unclear or asks only for formats the exporter cannot
//! write. This leaf knows no other module but the writer's format.

use crate::exposition::Format;

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
pub fn negotiate(accept: Option<&str>) -> Format {
    let Some(accept) = accept else {
        return Format::Prometheus;
    };
    let mut best: Option<(Format, f64)> = None;
    for entry in accept.split(',') {
        let Some(range) = MediaRange::parse(entry) else {
            continue;
        };
        let Some(choice) = range.choice() else {
            continue;
        };
        // Only a strictly higher `q` wins, so ties keep the earlier entry and
        // `q=0`, which means "not acceptable", never wins at all.
        let best_quality = best.map_or(0.0, |(_, quality)| quality);
        if range.quality > best_quality {
            best = Some((choice, range.quality));
        }
    }
    best.map_or(Format::Prometheus, |(choice, _)| choice)
}

/// One entry of an `Accept` header, reduced to what the choice depends on.
struct MediaRange<'a> {
    /// `type/subtype` as written, such as `text/plain` or `*/*`.
    media_type: &'a str,
    /// The `version` parameter without quotes, if there is one.
    version: Option<&'a str>,
    /// The weight `q`, from 0 to 1, where 1 is the default.
    quality: f64,
}

impl<'a> MediaRange<'a> {
    /// Parses `type/subtype;name=value;...` with or without spaces around
    /// the separators, with parameters in any order and names in any case.
    /// Returns `None`, so the entry is skipped, when `q` is not a number
    /// from 0 to 1.
    fn parse(entry: &'a str) -> Option<MediaRange<'a>> {
        let mut parts = entry.split(';');
        let media_type = parts.next()?.trim();
        let mut range = MediaRange { media_type, version: None, quality: 1.0 };
        for parameter in parts {
            // Other parameters, such as `charset` and `escaping`, do not
            // change which format fits, and a name without a value is noise.
            let Some((name, value)) = parameter.split_once('=') else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim().trim_matches('"'));
            if name.eq_ignore_ascii_case("q") {
                range.quality = parse_quality(value)?;
            } else if name.eq_ignore_ascii_case("version") {
                range.version = Some(value);
            }
        }
        Some(range)
    }

    /// The format this entry asks for, if the exporter can write it.
    fn choice(&self) -> Option<Format> {
        let is = |media_type: &str| self.media_type.eq_ignore_ascii_case(media_type);
        if is("application/openmetrics-text") {
            // Prometheus 2.5 to 2.33 ask for the 0.0.1 draft, but pick their
            // parser by media type alone, so they read 1.0.0 just as well.
            let version_fits = matches!(self.version, None | Some("0.0.1" | "1.0.0"));
            version_fits.then_some(Format::OpenMetrics)
        } else if is("text/plain") {
            // text/plain version 1.0.0 is the UTF-8 names format of
            // Prometheus 3, which this exporter does not write.
            let version_fits = matches!(self.version, None | Some("0.0.4"));
            version_fits.then_some(Format::Prometheus)
        } else if is("*/*") || is("text/*") {
            Some(Format::Prometheus)
        } else if is("application/*") {
            // OpenMetrics is the one `application/` type the exporter writes.
            Some(Format::OpenMetrics)
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
