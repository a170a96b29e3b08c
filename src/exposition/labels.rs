//! The labels of a series, and how the text formats spell them:
//! `name="value"` pairs, each value escaped. A caller may spell a series'
//! labels once ([`spell_labels`]) and hand the text in with the pairs, so
//! a scrape does not escape the same values on every line.

use std::borrow::Cow;

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
    pub(super) pairs: &'a [(&'a str, &'a str)],
    /// The pairs as they are written between the braces, if spelled once.
    pub(super) spelled: Option<&'a str>,
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

/// Writes `name="value",...`, each value escaped.
pub(super) fn write_label_pairs(out: &mut String, pairs: &[(&str, &str)]) {
    for (idx, &(label, value)) in pairs.iter().enumerate() {
        if idx > 0 {
            out.push(',');
        }
        write_label_pair(out, label, value);
    }
}

/// Writes `name="value"`, the value escaped.
pub(super) fn write_label_pair(out: &mut String, label: &str, value: &str) {
    out.push_str(label);
    out.push_str("=\"");
    out.push_str(&escape_label_value(value));
    out.push('"');
}

/// Escapes a label value, and HELP text in OpenMetrics: backslash, double
/// quote and line feed, and nothing else, since parsers reject any other
/// escape sequence (such as `\t`).
pub(super) fn escape_label_value(text: &str) -> Cow<'_, str> {
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
    fn check_escape_label_value(text: &str, expected: &str) {
        assert_eq!(escape_label_value(text), expected);
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
}
