//! What the writers' golden tests share: a whole body, written from
//! families made by hand, compared with the text the specification gives.

use super::{render, CounterValue, Family, TextFormat};

/// Asserts that `families` written in `format` are exactly `expected`.
#[track_caller]
pub fn check(families: &[Family], format: TextFormat, expected: &str) {
    assert_eq!(render(families, format), expected);
}

/// A counter's value, `created` being its `_created` time.
pub fn counter(total: f64, created: Option<f64>) -> CounterValue {
    CounterValue { total, created }
}
