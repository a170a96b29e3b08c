//! The name escaping schemes of Prometheus 3: since metric and label names
//! may be any UTF-8, a scraper says in its `Accept` header how the names it
//! cannot take are to be spelled (`escaping=underscores`), and a text
//! answer of version 1.0.0 says in its `Content-Type` which scheme it used.
//!
//! This exporter's names are all legacy names (`[a-zA-Z_:][a-zA-Z0-9_:]*`),
//! which `allow-utf-8`, `underscores` and `values` leave as they are; only
//! `dots` changes them, doubling every underscore, so that a name with
//! dots (`_dot_`) can be told from one with underscores.
//!
//! Specification: prometheus/docs, `docs/instrumenting/escaping_schemes.md`;
//! the legacy name passing `values` unchanged is prometheus/common's
//! `model.EscapeName`, which readers of `U__` names follow.

use std::borrow::Cow;
use std::fmt::Write as _;

/// How names outside the legacy character set are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escaping {
    /// `allow-utf-8`: names as they are, any UTF-8.
    AllowUtf8,
    /// `underscores`: each character outside the legacy set becomes `_`;
    /// the default when a scraper names none.
    Underscores,
    /// `dots`: `.` becomes `_dot_`, `_` becomes `__`, any other character
    /// outside the legacy set `_`.
    Dots,
    /// `values`: a name that needs escaping is prefixed `U__`, its `_`
    /// doubled and each other character outside the legacy set written as
    /// its code point in hexadecimal between underscores.
    Values,
}

impl Escaping {
    /// Every scheme, in the specification's order.
    pub const ALL: [Escaping; 4] =
        [Escaping::AllowUtf8, Escaping::Underscores, Escaping::Dots, Escaping::Values];

    /// The scheme named `name` in an `escaping=` parameter.
    pub fn parse(name: &str) -> Option<Escaping> {
        Escaping::ALL.into_iter().find(|scheme| scheme.name() == name)
    }

    /// The scheme's name in `escaping=`.
    pub fn name(self) -> &'static str {
        match self {
            Escaping::AllowUtf8 => "allow-utf-8",
            Escaping::Underscores => "underscores",
            Escaping::Dots => "dots",
            Escaping::Values => "values",
        }
    }

    /// Whether this scheme changes a legacy name: only `dots` does, for a
    /// name with an underscore.
    pub fn changes(self, name: &str) -> bool {
        match self {
            Escaping::Dots => name.contains(['_', '.']) || !is_legacy(name),
            Escaping::AllowUtf8 => false,
            Escaping::Underscores | Escaping::Values => !is_legacy(name),
        }
    }

    /// `name` escaped under this scheme; borrowed when it does not change.
    pub fn escape(self, name: &str) -> Cow<'_, str> {
        if !self.changes(name) {
            return Cow::Borrowed(name);
        }
        let mut escaped = String::with_capacity(name.len() + 8);
        if self == Escaping::Values {
            escaped.push_str("U__");
        }
        for (idx, c) in name.chars().enumerate() {
            match (self, c) {
                (Escaping::Dots | Escaping::Values, '_') => escaped.push_str("__"),
                (Escaping::Dots, '.') => escaped.push_str("_dot_"),
                (_, c) if is_legacy_char(c, idx) => escaped.push(c),
                (Escaping::Values, c) => {
                    let _ = write!(escaped, "_{:X}_", u32::from(c));
                }
                _ => escaped.push('_'),
            }
        }
        Cow::Owned(escaped)
    }
}

/// Whether `name` is a legacy metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn is_legacy(name: &str) -> bool {
    !name.is_empty() && name.chars().enumerate().all(|(idx, c)| is_legacy_char(c, idx))
}

/// Whether `c` may stand at position `idx` of a legacy name.
fn is_legacy_char(c: char, idx: usize) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':' || (c.is_ascii_digit() && idx > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specification_examples() {
        // escaping_schemes.md, one example per scheme.
        assert_eq!(
            Escaping::Underscores.escape("metric.name/with/slashes"),
            "metric_name_with_slashes"
        );
        assert_eq!(
            Escaping::Dots.escape("metric.name.with.dots"),
            "metric_dot_name_dot_with_dot_dots"
        );
        assert_eq!(Escaping::Values.escape("metric.name"), "U__metric_2E_name");
        assert_eq!(Escaping::AllowUtf8.escape("metric.name"), "metric.name");
    }

    #[test]
    fn dots_double_existing_underscores() {
        // "Existing underscores MUST be replaced with double underscores".
        assert_eq!(Escaping::Dots.escape("probe_success"), "probe__success");
        assert_eq!(Escaping::Dots.escape("my_metric.total"), "my__metric_dot_total");
        assert_eq!(Escaping::Dots.escape("a/b"), "a_b");
        assert_eq!(Escaping::Dots.escape("target"), "target");
    }

    #[test]
    fn legacy_names_pass_the_other_schemes_unchanged() {
        for name in ["probe_success", "process_cpu_seconds", "le", "a:b_c9"] {
            for scheme in [Escaping::AllowUtf8, Escaping::Underscores, Escaping::Values] {
                assert!(matches!(scheme.escape(name), Cow::Borrowed(_)), "{scheme:?} {name}");
            }
        }
        assert_eq!(Escaping::Values.escape("a_b.c"), "U__a__b_2E_c");
        assert_eq!(Escaping::Underscores.escape("9lives"), "_lives");
    }

    #[test]
    fn names_round_trip() {
        for scheme in Escaping::ALL {
            assert_eq!(Escaping::parse(scheme.name()), Some(scheme));
        }
        assert_eq!(Escaping::parse("allow-utf8"), None);
        assert_eq!(Escaping::parse("Dots"), None);
    }
}
