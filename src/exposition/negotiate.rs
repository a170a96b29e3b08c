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
//! The choice is the [`Format`] the writer takes: text 0.0.4 whenever the
//! header is absent, unclear or asks only for formats the exporter cannot
//! write. This leaf knows no other module but the writer's formats.

use super::{Escaping, Format, TextFormat};

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
    const DEFAULT: Format = Format::text(TextFormat::Prometheus);
    let Some(accept) = accept else {
        return DEFAULT;
    };
    let mut best: Option<(Format, f64)> = None;
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

    /// The format this entry asks for, if the exporter can write it.
    fn choice(&self) -> Option<Format> {
        let is = |media_type: &str| self.media_type.eq_ignore_ascii_case(media_type);
        let text = |format, escaping| Some(Format::Text { format, escaping });
        if is("application/openmetrics-text") {
            // Prometheus 2.5 to 2.33 ask for the 0.0.1 draft, but pick their
            // parser by media type alone, so they read 1.0.0 just as well;
            // 2.0.0 is another format, answered only when asked for.
            match self.version {
                None | Some("0.0.1" | "1.0.0") => text(TextFormat::OpenMetrics, self.escaping),
                Some(_) => None,
            }
        } else if is("text/plain") {
            // Version 1.0.0 is 0.0.4 with UTF-8 names allowed (quoted): with
            // legacy names the same text, its escaping stated.
            match self.version {
                None | Some("0.0.4") => text(TextFormat::Prometheus, None),
                Some("1.0.0") => {
                    let escaping = self.escaping.unwrap_or(Escaping::Underscores);
                    text(TextFormat::Prometheus, Some(escaping))
                }
                Some(_) => None,
            }
        } else if is("application/vnd.google.protobuf") {
            // Prometheus asks for the delimited stream of `MetricFamily`
            // messages; the text and compact-text encodings are for people.
            if self.delimited_metric_families {
                Some(Format::Protobuf)
            } else {
                None
            }
        } else if is("*/*") || is("text/*") {
            text(TextFormat::Prometheus, None)
        } else if is("application/*") {
            // OpenMetrics is the `application/` type Prometheus prefers.
            text(TextFormat::OpenMetrics, None)
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
mod tests {
    //! The choices of `negotiate`, from the Accept headers real scrapers send
    //! and the rules of RFC 9110 section 12.5.1; the Content-Type of each
    //! answer from prometheus/docs `content_negotiation.md` (media types and
    //! versions) and `escaping_schemes.md` (the `escaping` a 1.0.0 text answer
    //! states, `underscores` by default).

    use super::*;
    use TextFormat::{OpenMetrics, Prometheus};

    /// Checks which text format answers, whatever its escaping.
    #[track_caller]
    fn check(accept: Option<&str>, expected: TextFormat) {
        assert_eq!(negotiate(accept).text_format(), Some(expected), "Accept: {accept:?}");
    }

    /// Checks the whole format, escaping too, by the `Content-Type` it is sent with.
    #[track_caller]
    fn check_type(accept: &str, expected: &str) {
        assert_eq!(negotiate(Some(accept)).content_type(), expected, "Accept: {accept}");
    }

    const TEXT_0_0_4: &str = "text/plain; version=0.0.4; charset=utf-8";
    const PROTOBUF: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

    /// Prometheus 3's `acceptHeader()`, as `scrape/scrape_test.go`
    /// (`TestAcceptHeader`) asserts it: default protocols, and protobuf first
    /// (`scrape_native_histograms`), each with no escaping (`allow-utf-8`, the
    /// default) and with `underscores` or `dots` configured.
    const PROMETHEUS_3: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
    const PROMETHEUS_3_PROTOBUF_FIRST: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
    const PROMETHEUS_3_UNDERSCORES: &str = "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
    const PROMETHEUS_3_PROTOBUF_FIRST_DOTS: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=dots;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=dots;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
    /// Prometheus 2.40 to 2.55 with `--enable-feature=native-histograms`.
    const PROMETHEUS_2_PROTOBUF_FIRST: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

    #[test]
    fn prometheus_3_gets_openmetrics_with_the_escaping_it_asked_for() {
        check_type(
            PROMETHEUS_3,
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8",
        );
        check_type(
            PROMETHEUS_3_UNDERSCORES,
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores",
        );
    }

    #[test]
    fn prometheus_asking_for_protobuf_first_gets_protobuf() {
        check_type(PROMETHEUS_3_PROTOBUF_FIRST, PROTOBUF);
        check_type(PROMETHEUS_3_PROTOBUF_FIRST_DOTS, PROTOBUF);
        check_type(PROMETHEUS_2_PROTOBUF_FIRST, PROTOBUF);
    }

    #[test]
    fn protobuf_must_be_the_delimited_metric_family_stream() {
        let protobuf = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily";
        check_type(&format!("{protobuf};encoding=delimited"), PROTOBUF);
        check_type(&format!("{protobuf}; encoding=delimited; q=0.9,text/plain;q=0.5"), PROTOBUF);
        // The text encodings of protobuf, and other messages, are not served.
        check(Some(&format!("{protobuf};encoding=text,text/plain;q=0.5")), Prometheus);
        check(Some(&format!("{protobuf};encoding=compact-text")), Prometheus);
        check(Some(&format!("{protobuf},application/openmetrics-text;q=0.5")), OpenMetrics);
        check(
        Some("application/vnd.google.protobuf;proto=io.prometheus.client.MetricSet;encoding=delimited"),
        Prometheus,
    );
        check(Some("application/vnd.google.protobuf"), Prometheus);
    }

    #[test]
    fn text_1_0_0_states_its_escaping() {
        for scheme in ["allow-utf-8", "underscores", "dots", "values"] {
            check_type(
                &format!("text/plain;version=1.0.0;escaping={scheme}"),
                &format!("text/plain; version=1.0.0; charset=utf-8; escaping={scheme}"),
            );
            check_type(
                &format!("application/openmetrics-text;version=1.0.0;escaping={scheme}"),
                &format!(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping={scheme}"
                ),
            );
        }
        // "If no escaping scheme is specified in the Accept header,
        // `underscores` escaping SHOULD be used", and an unknown one is none.
        check_type(
            "text/plain;version=1.0.0",
            "text/plain; version=1.0.0; charset=utf-8; escaping=underscores",
        );
        check_type(
            "text/plain;version=1.0.0;escaping=allow-utf8",
            "text/plain; version=1.0.0; charset=utf-8; escaping=underscores",
        );
        check_type(
            "application/openmetrics-text;version=0.0.1",
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores",
        );
        check_type(
            "application/openmetrics-text",
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores",
        );
    }

    #[test]
    fn text_0_0_4_states_no_escaping() {
        check_type("text/plain;version=0.0.4", TEXT_0_0_4);
        check_type("text/plain;version=0.0.4;escaping=allow-utf-8", TEXT_0_0_4);
        check_type("text/plain", TEXT_0_0_4);
        check_type("*/*", TEXT_0_0_4);
        assert_eq!(negotiate(None).content_type(), TEXT_0_0_4);
    }

    #[test]
    fn the_escaping_reaches_the_writer() {
        let format = negotiate(Some("text/plain;version=1.0.0;escaping=dots"));
        assert_eq!(format.names(), Escaping::Dots);
        let format = negotiate(Some(PROMETHEUS_3_PROTOBUF_FIRST_DOTS));
        assert_eq!(format.names(), Escaping::AllowUtf8, "protobuf names are not escaped");
        let format = negotiate(Some("application/openmetrics-text"));
        assert_eq!(format.names(), Escaping::Underscores);
    }

    #[test]
    fn every_prometheus_version_gets_the_format_it_prefers() {
        // Prometheus 2.0 to 2.4.
        check(Some("text/plain;version=0.0.4;q=1,*/*;q=0.1"), Prometheus);
        // Prometheus 2.5 to 2.33.
        check(
        Some(
            "application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        ),
        OpenMetrics,
    );
        // Prometheus 2.34 to 2.48.
        check(
        Some("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
        OpenMetrics,
    );
        // Prometheus 2.49 to 2.55.
        check(
        Some("application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"),
        OpenMetrics,
    );
        // Prometheus 3.4 and later.
        check(Some(PROMETHEUS_3), OpenMetrics);
        assert_eq!(negotiate(Some(PROMETHEUS_3_PROTOBUF_FIRST)), Format::Protobuf);
    }

    #[test]
    fn parameters_after_q_are_read_too() {
        // The shape of Prometheus 3.0 to 3.3: `escaping` after every entry.
        check(
        Some("application/openmetrics-text;version=1.0.0;q=0.5;escaping=allow-utf-8,text/plain;version=0.0.4;q=0.3;escaping=allow-utf-8,*/*;q=0.2;escaping=allow-utf-8"),
        OpenMetrics,
    );
        check(
            Some("text/plain;q=0.9;version=0.0.4,application/openmetrics-text;q=0.5;version=1.0.0"),
            Prometheus,
        );
    }

    #[test]
    fn unsupported_entries_are_skipped() {
        // OpenMetrics 2.0.0 is answered only by a server that writes it.
        check(
            Some("application/openmetrics-text;version=2.0.0;q=0.9,text/plain;q=0.5"),
            Prometheus,
        );
        check(
        Some("application/openmetrics-text;version=2.0.0,application/openmetrics-text;version=1.0.0;q=0.5"),
        OpenMetrics,
    );
        check(
            Some("text/plain;version=2.0.0;q=0.9,application/openmetrics-text;q=0.5"),
            OpenMetrics,
        );
        check(Some("application/openmetrics-text;version=2.0.0"), Prometheus);
        check(Some("application/json"), Prometheus);
        check(Some("text/html"), Prometheus);
    }

    #[test]
    fn no_header_or_nothing_specific() {
        check(None, Prometheus);
        check(Some(""), Prometheus);
        check(Some("*/*"), Prometheus);
        check(Some("text/*"), Prometheus);
        check(Some("text/plain"), Prometheus);
        check(Some("text/plain; version=0.0.4; charset=utf-8"), Prometheus);
    }

    #[test]
    fn openmetrics_without_version() {
        check(Some("application/openmetrics-text"), OpenMetrics);
        check(Some("application/*"), OpenMetrics);
    }

    #[test]
    fn highest_q_wins_and_ties_go_to_the_earlier_entry() {
        check(Some("application/openmetrics-text;q=0.3,text/plain;q=0.5"), Prometheus);
        check(Some("text/plain;q=0.3,application/openmetrics-text;q=0.5"), OpenMetrics);
        check(Some("text/plain,application/openmetrics-text"), Prometheus);
        check(Some("application/openmetrics-text,text/plain"), OpenMetrics);
        check(Some("*/*;q=0.1,application/openmetrics-text;q=0.2"), OpenMetrics);
        check(Some("application/*;q=0.1,text/plain;q=0.2"), Prometheus);
        check(Some("*/*;q=0.5,application/openmetrics-text;q=0.4"), Prometheus);
        check(Some("text/*;q=0.5,application/openmetrics-text;q=0.4"), Prometheus);
    }

    #[test]
    fn q_zero_means_not_acceptable() {
        check(Some("application/openmetrics-text;q=0"), Prometheus);
        check(Some("text/plain;q=0,application/openmetrics-text;q=0.001"), OpenMetrics);
    }

    #[test]
    fn malformed_q_skips_the_entry() {
        check(Some("application/openmetrics-text;q=high,text/plain;q=0.1"), Prometheus);
        check(Some("application/openmetrics-text;q=1.5,text/plain;q=0.1"), Prometheus);
        check(Some("application/openmetrics-text;q=-0.5"), Prometheus);
        check(Some("application/openmetrics-text;q=NaN"), Prometheus);
        check(Some("application/openmetrics-text;q="), Prometheus);
        check(Some("text/plain;q=oops,application/openmetrics-text;q=0.1"), OpenMetrics);
    }

    #[test]
    fn media_types_and_parameters_are_read_loosely() {
        check(Some("Application/OpenMetrics-Text; Version=1.0.0; Q=0.9"), OpenMetrics);
        check(Some("application/openmetrics-text;Q=0.1,text/plain;q=0.5"), Prometheus);
        check(Some("application/openmetrics-text;VERSION=2.0.0"), Prometheus);
        check(Some("  application/openmetrics-text ;version = 1.0.0 ; q = 0.5 "), OpenMetrics);
        check(Some(r#"application/openmetrics-text;version="1.0.0""#), OpenMetrics);
        check(Some("application/openmetrics-text;;version=1.0.0;flag"), OpenMetrics);
        check(Some("text/plain;version=0.0.4,,application/openmetrics-text;q=0.5,"), Prometheus);
    }

    #[test]
    fn garbage_never_panics() {
        let garbage = [
            ";",
            ",",
            "=",
            "/",
            ";;,,==//",
            "q=1",
            "text",
            "/;q=1",
            "*/*;q",
            "*/*;=",
            "é/ü;q=ü",
            "text/plain;q=1e999",
            "\u{0}",
            "application/openmetrics-text;q=0.5;q=",
        ];
        for accept in garbage {
            check(Some(accept), Prometheus);
        }
    }
}
