//! The Accept header: the parser answers for any text and falls back to
//! the text format, and the format with the highest quality wins.

use std::collections::HashSet;

use probe_exporter::exposition::negotiate;
use probe_exporter::exposition::TextFormat;

use crate::support::rng::{check_property, hostile_input, Rng, CASES};

const ACCEPT_HEADERS: &[&[u8]] = &[
    b"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    b"text/plain;version=0.0.4;q=1,*/*;q=0.1",
    b"application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
];

#[test]
fn accept_parser_answers_for_any_text_and_falls_back_to_text() {
    check_property("negotiate::negotiate never panics", CASES, |rng| {
        let input = hostile_input(rng, ACCEPT_HEADERS);
        let header = String::from_utf8_lossy(&input);
        let chosen = negotiate::negotiate(Some(&header));
        // Only `application/openmetrics-text` or `application/*` admits
        // OpenMetrics; without either, the answer is the text format, the
        // fallback the content negotiation documentation asks for.
        if !header.to_ascii_lowercase().contains("application") {
            assert_eq!(chosen.text_format(), Some(TextFormat::Prometheus), "Accept: {header}");
        }
    });
}

/// One `Accept` entry the generator may write, and which format it admits.
struct AcceptEntry {
    media_type: &'static str,
    version: Option<&'static str>,
    admits: TextFormat,
}

/// Media ranges that admit exactly one of the two formats and overlap with
/// no other range for it, so RFC 9110's "most specific range wins" rule
/// never applies and the highest `q` alone decides.
const ACCEPT_ENTRIES: &[AcceptEntry] = &[
    AcceptEntry {
        media_type: "application/openmetrics-text",
        version: Some("1.0.0"),
        admits: TextFormat::OpenMetrics,
    },
    AcceptEntry {
        media_type: "Application/OpenMetrics-Text",
        version: None,
        admits: TextFormat::OpenMetrics,
    },
    AcceptEntry {
        media_type: "text/plain",
        version: Some("0.0.4"),
        admits: TextFormat::Prometheus,
    },
    AcceptEntry { media_type: "TEXT/PLAIN", version: None, admits: TextFormat::Prometheus },
];

#[test]
fn the_format_with_the_highest_quality_wins() {
    check_property("negotiate: highest q wins", CASES, |rng| {
        let mut entries = Vec::new();
        let mut best = [0.0f64; 2]; // The best q of OpenMetrics, then of text.
        let mut used = HashSet::new();
        for _ in 0..1 + rng.below(3) {
            let idx = rng.below(ACCEPT_ENTRIES.len());
            let entry = &ACCEPT_ENTRIES[idx];
            // The same range twice would be a conflict RFC 9110 leaves open.
            if !used.insert(entry.admits == TextFormat::OpenMetrics) {
                continue;
            }
            let q_thousandths =
                *rng.pick(&[None, Some(0), Some(1), Some(100), Some(500), Some(1000)]);
            let quality = q_thousandths.map_or(1.0, |q| f64::from(q) / 1000.0);
            best[usize::from(entry.admits == TextFormat::Prometheus)] = quality;
            entries.push(accept_entry_text(rng, entry, q_thousandths));
        }
        // Ranges for other types change nothing.
        if rng.one_in(3) {
            entries.insert(rng.below(entries.len() + 1), "application/json;q=1".to_string());
        }
        let header = entries.join(rng.pick_str(&[",", ", ", " ,"]));
        let [open_metrics, text] = best;
        let chosen = negotiate::negotiate(Some(&header));
        if open_metrics > text {
            assert_eq!(chosen.text_format(), Some(TextFormat::OpenMetrics), "Accept: {header}");
        } else if text > open_metrics || text == 0.0 {
            assert_eq!(chosen.text_format(), Some(TextFormat::Prometheus), "Accept: {header}");
        }
    });
}

/// Writes one entry with its parameters in a random order, with or without
/// spaces, the version quoted or not, and `q` as `0.5`, `0.500` and so on.
fn accept_entry_text(rng: &mut Rng, entry: &AcceptEntry, q_thousandths: Option<u32>) -> String {
    let mut parameters = Vec::new();
    if let Some(version) = entry.version {
        parameters.push(if rng.one_in(3) {
            format!("version=\"{version}\"")
        } else {
            format!("version={version}")
        });
    }
    if let Some(q) = q_thousandths {
        let q_text = match q {
            1000 => rng.pick(&["1", "1.0", "1.000"]).to_string(),
            0 => rng.pick(&["0", "0.0", "0.000"]).to_string(),
            _ => format!("0.{q:03}").trim_end_matches('0').to_string(),
        };
        parameters.push(format!("{}={q_text}", rng.pick_str(&["q", "Q"])));
    }
    if rng.one_in(3) {
        parameters.push("charset=utf-8".to_string());
    }
    for idx in (1..parameters.len()).rev() {
        parameters.swap(idx, rng.below(idx + 1));
    }
    let mut text = entry.media_type.to_string();
    for parameter in parameters {
        text.push_str(rng.pick_str(&[";", "; ", " ;"]));
        text.push_str(&parameter);
    }
    text
}
