//! A JSON number as the exact text it was written as, and the exact
//! reading of that text as a whole number.
//!
//! A counter reads `2.0` or `2e0` as 2 and `9007199254740993` as itself,
//! which a detour through `f64` would round: the digits are read in
//! decimal, the exponent applied to them, and only what is whole and fits
//! a `u64` is a `u64`.

use std::fmt;

/// A JSON number, kept as the exact text it was written as.
///
/// RFC 8259 sets no limit on the range or precision of numbers, so the parser
/// does not pick one: the caller asks for the reading it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    lexeme: String,
}

impl Number {
    /// A number of the text `lexeme`, which the parser has checked
    /// matches the JSON `number` rule.
    pub(super) fn from_lexeme(lexeme: String) -> Number {
        Number { lexeme }
    }

    /// The nearest `f64`; a number beyond the range of `f64` becomes infinite.
    pub fn as_f64(&self) -> f64 {
        // The parser builds a `Number` only from text that matches the JSON
        // `number` rule, and every such text is valid `f64` syntax.
        self.lexeme.parse().expect("a JSON number is valid f64 syntax")
    }

    /// The value as a `u64` when it is a whole number from 0 to
    /// `u64::MAX`, however it is written: `2`, `2.0`, `2e0`, `2.000` and
    /// `0.2e1` are all 2, and `-0` is 0. The text is read exactly, in
    /// decimal: `2.5` is a fraction even where `f64` would round it, and
    /// `1e400` is out of range, not infinite.
    pub fn as_u64(&self) -> Result<u64, IntegerError> {
        exact_u64(&self.lexeme)
    }

    /// The number exactly as it appeared in the input.
    pub fn as_str(&self) -> &str {
        &self.lexeme
    }
}

/// Why a [`Number`] is not a `u64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegerError {
    /// It has a fractional part: `2.5`, `25e-1`.
    Fraction,
    /// It is a whole number below 0 or above `u64::MAX`: `-1`, `1e400`.
    OutOfRange,
}

impl fmt::Display for IntegerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IntegerError::Fraction => "not a whole number",
            IntegerError::OutOfRange => "out of range",
        })
    }
}

impl std::error::Error for IntegerError {}

/// The exact value of a JSON number as a `u64`. A number is its digits,
/// integer part then fraction, times ten to the power of its exponent
/// less the fraction's length; zeros trimmed from both ends of the digits
/// leave the same value, and what is left is whole exactly when that
/// power is not negative.
fn exact_u64(lexeme: &str) -> Result<u64, IntegerError> {
    let (negative, unsigned) = match lexeme.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, lexeme),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, saturating_exponent(exponent)),
        None => (unsigned, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let Some(first) = digits.iter().position(|&digit| digit != b'0') else {
        return Ok(0); // All zeros, `-0` too: zero whatever the exponent.
    };
    let last = digits.iter().rposition(|&digit| digit != b'0').unwrap_or(first);
    let significant = &digits[first..=last];
    let trailing_zeros = digits.len() - 1 - last;
    // A reply is at most a few KiB long, so these lengths fit an `i64`
    // many times over; the exponent saturates instead.
    let power = exponent.saturating_sub(frac.len() as i64).saturating_add(trailing_zeros as i64);
    if power < 0 {
        return Err(IntegerError::Fraction);
    }
    if negative {
        return Err(IntegerError::OutOfRange);
    }
    let out_of_range = IntegerError::OutOfRange;
    // `u64::MAX` has 20 digits: anything longer is out of range.
    let power = u32::try_from(power)
        .ok()
        .filter(|&power| significant.len() as u64 + u64::from(power) <= 20)
        .ok_or(out_of_range)?;
    let value = significant.iter().try_fold(0u64, |value, &digit| {
        value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    });
    value.and_then(|value| value.checked_mul(10u64.checked_pow(power)?)).ok_or(out_of_range)
}

/// The exponent of a number (`+3`, `-12`, `400`), saturated at the bounds
/// of `i64` rather than overflowing: a reply may write any number of digits.
fn saturating_exponent(text: &str) -> i64 {
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    digits.bytes().fold(0i64, |value, digit| {
        value.saturating_mul(10).saturating_add(sign * i64::from(digit - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Value};

    #[track_caller]
    fn check_number(input: &str, as_f64: f64, as_u64: Option<u64>) {
        let Ok(Value::Number(number)) = parse(input.as_bytes()) else {
            panic!("{input:?} did not parse as a number");
        };
        assert_eq!(number.as_str(), input);
        assert_eq!(number.as_f64(), as_f64);
        assert_eq!(number.as_u64().ok(), as_u64);
    }

    #[test]
    fn numbers_keep_their_text_and_convert_exactly() {
        check_number("0", 0.0, Some(0));
        check_number("-0", -0.0, Some(0));
        check_number("2", 2.0, Some(2));
        check_number("2.0", 2.0, Some(2));
        check_number("2e0", 2.0, Some(2));
        check_number("1E+2", 100.0, Some(100));
        check_number("-1.5e-3", -0.0015, None);
        check_number("0.5", 0.5, None);
        check_number("18446744073709551615", 2f64.powi(64), Some(u64::MAX));
        check_number("18446744073709551616", 2f64.powi(64), None);
        check_number("1e400", f64::INFINITY, None);
    }

    #[track_caller]
    fn check_u64(lexeme: &str, expected: Result<u64, IntegerError>) {
        let Ok(Value::Number(number)) = parse(lexeme.as_bytes()) else {
            panic!("{lexeme:?} did not parse as a number");
        };
        assert_eq!(number.as_u64(), expected, "{lexeme}");
    }

    #[test]
    fn a_whole_number_is_one_however_it_is_written() {
        for two in ["2", "2.0", "2.000", "2e0", "2E+0", "0.2e1", "20e-1", "200.0e-2", "0.00002e5"] {
            check_u64(two, Ok(2));
        }
        for zero in ["0", "-0", "0.0", "-0.0", "0e5", "0e-99999999999999999999999", "-0E+3"] {
            check_u64(zero, Ok(0));
        }
        check_u64("1e3", Ok(1000));
        check_u64("10.5e1", Ok(105));
        check_u64("9007199254740992", Ok(1 << 53));
        check_u64("9.007199254740993e15", Ok((1 << 53) + 1));
        check_u64("18446744073709551615", Ok(u64::MAX));
        check_u64("1.8446744073709551615e19", Ok(u64::MAX));
    }

    #[test]
    fn a_fraction_or_a_number_out_of_range_is_no_u64() {
        use IntegerError::{Fraction, OutOfRange};
        for fraction in ["2.5", "0.5", "25e-1", "2.0000000000000000001", "1e-400", "-2.5", "5e-1"] {
            check_u64(fraction, Err(Fraction));
        }
        // A fraction of any size: the exponent saturates, it never wraps.
        check_u64("1e-99999999999999999999999", Err(Fraction));
        for too_large in ["18446744073709551616", "1e20", "2e19", "1e400", "1.5e400"] {
            check_u64(too_large, Err(OutOfRange));
        }
        check_u64("1e99999999999999999999999", Err(OutOfRange));
        for negative in ["-1", "-1e3", "-0.1e1"] {
            check_u64(negative, Err(OutOfRange));
        }
        assert_eq!(Fraction.to_string(), "not a whole number");
        assert_eq!(OutOfRange.to_string(), "out of range");
    }
}
