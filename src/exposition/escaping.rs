//! The name escaping schemes of Prometheus 3: since metric and label names
//! may be any UTF-8, a scraper says in its `Accept` header how the names it
//! cannot take are to be spelled (`escaping=underscores`), and a text
//! answer of version 1.0.0 says in its `Content-Type` which scheme it used.
//!
//! This exporter's names are all legacy names (`[a-zA-Z_:][a-zA-Z0-9_:]*`,
//! checked where they are made: in code, or in the configuration at start),
//! so the rules for other characters have nothing to act on, and
//! `allow-utf-8`, `underscores` and `values` leave every name as it is. Only
//! `dots` changes them: it doubles every underscore, so that a name with
//! dots (`_dot_`) can be told from one with underscores.
//!
//! Specification: prometheus/docs, `docs/instrumenting/escaping_schemes.md`;
//! that `values` leaves a legacy name unchanged is prometheus/common's
//! `model.EscapeName`, which readers of `U__` names follow.

use std::borrow::Cow;

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

    /// Whether this scheme changes the legacy name `name`: only `dots`
    /// does, when the name has an underscore.
    pub fn changes(self, name: &str) -> bool {
        self == Escaping::Dots && name.contains('_')
    }

    /// The legacy name `name` escaped under this scheme: under `dots`,
    /// "existing underscores MUST be replaced with double underscores";
    /// borrowed when it does not change.
    pub fn escape(self, name: &str) -> Cow<'_, str> {
        if self.changes(name) {
            Cow::Owned(name.replace('_', "__"))
        } else {
            Cow::Borrowed(name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_double_existing_underscores() {
        // escaping_schemes.md: "Existing underscores MUST be replaced with
        // double underscores".
        assert_eq!(Escaping::Dots.escape("probe_success"), "probe__success");
        assert_eq!(Escaping::Dots.escape("a__b_"), "a____b__");
        assert_eq!(Escaping::Dots.escape("target"), "target");
        assert!(matches!(Escaping::Dots.escape("target"), Cow::Borrowed(_)));
    }

    #[test]
    fn legacy_names_pass_the_other_schemes_unchanged() {
        for name in ["probe_success", "process_cpu_seconds", "le", "a:b_c9"] {
            for scheme in [Escaping::AllowUtf8, Escaping::Underscores, Escaping::Values] {
                assert!(!scheme.changes(name), "{scheme:?} {name}");
                assert!(matches!(scheme.escape(name), Cow::Borrowed(_)), "{scheme:?} {name}");
            }
        }
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
