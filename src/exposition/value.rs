//! A sample's value, spelled as client_golang spells it, so that a number
//! reads the same from this exporter as from one written in Go.
//!
//! Go writes a float with `strconv.FormatFloat(v, 'g', -1, 64)`: the
//! shortest digits that read back as the same `f64`, plainly for decimal
//! exponents -4 to 5 (`0.0001`, `100000`) and with an exponent of at least
//! two digits otherwise (`1e-05`, `1.234567e+06`).
//!
//! Finding the shortest digits of any double is the work of Rust's float
//! formatter (Grisu, with Dragon4 where Grisu gives up), and it costs about
//! a thousand instructions a value. Most values an exporter writes are
//! simpler than that: whole numbers (counts, flags, bytes) and durations
//! measured in nanoseconds. They have at most 15 significant digits, and
//! for such a number the digits are found with one multiplication and
//! proven with one division (`fifteen_digits`). Only the others, such as
//! a sum of many float observations, go to the formatter.

use std::fmt::{self, Write as _};

/// Formats a sample value as client_golang does (see the module doc). NaN
/// and the infinities are spelled `NaN`, `+Inf` and `-Inf`, where Rust
/// would write `NaN`, `inf` and `-inf`.
pub fn format_value(value: f64) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// Appends `value` to `out` as [`format_value`] spells it, without
/// making a string of its own.
pub fn write_value(out: &mut String, value: f64) {
    if value.is_nan() {
        return out.push_str("NaN");
    }
    if value.is_infinite() {
        return out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
    }
    // client_golang writes `0` for both zeros: in Go, `-0 == 0` holds too.
    if value == 0.0 {
        return out.push('0');
    }
    if value < 0.0 {
        out.push('-');
    }
    let magnitude = value.abs();
    // Most samples: a flag, a count, a status code.
    if magnitude < 1e6 && magnitude.fract() == 0.0 {
        return write_integer(out, magnitude as u64);
    }
    let mut buffer = [0u8; DIGITS_ROOM];
    let decimal = match fifteen_digits(magnitude, &mut buffer) {
        Some(decimal) => decimal,
        None => shortest_digits(magnitude, &mut buffer),
    };
    write_go_form(out, &decimal);
}

/// Appends the decimal digits of `number`.
pub fn write_integer(out: &mut String, number: u64) {
    if number < 10 {
        return out.push(char::from(b'0' + number as u8));
    }
    let mut buffer = [0u8; DIGITS_ROOM];
    out.push_str(integer_digits(number, &mut buffer));
}

/// Room for the digits of any `u64` (20) or of any shortest `f64` (17).
const DIGITS_ROOM: usize = 20;

/// A positive number as significant digits and a decimal exponent:
/// `digits` `"15"` and `exponent` `-7` are 1.5 × 10⁻⁷.
#[derive(Debug, PartialEq)]
struct Decimal<'a> {
    /// No leading or trailing zero, and at least one digit.
    digits: &'a str,
    /// The power of ten of the first digit.
    exponent: i32,
}

impl<'a> Decimal<'a> {
    /// `mantissa` × 10^`scale`, for a `mantissa` above zero.
    fn new(mantissa: u64, scale: i32, buffer: &'a mut [u8; DIGITS_ROOM]) -> Decimal<'a> {
        let digits = integer_digits(mantissa, buffer);
        let exponent = digits.len() as i32 - 1 + scale;
        Decimal { digits: digits.trim_end_matches('0'), exponent }
    }
}

/// Below 2^53 every whole number is an `f64` of its own.
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

/// The powers of ten that an `f64` holds exactly: 10⁰ to 10²².
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The shortest digits of `magnitude` (finite, above zero) if they number
/// at most 15, found without the float formatter; `None` otherwise.
///
/// Whole numbers below 2^53 are their own digits. For the rest, the value
/// is scaled by a power of ten to just under 10¹⁵ and rounded to a whole
/// `mantissa`: the nearest number of 15 significant digits. If dividing
/// it back gives exactly `magnitude` (both operands are exact and IEEE
/// division rounds correctly, so that is the double nearest to the
/// decimal), these digits read back as the value. And they are the
/// shortest: another decimal of 15 digits or fewer differs from this one
/// by at least one unit of its 15th digit, at least 10⁻¹⁵ of the value,
/// which is more than the 2⁻⁵² of the value that all decimals reading
/// back as one double lie within. The rounding cannot pick the wrong mantissa either:
/// for a value that has such digits, the scaled value is within 0.2 of
/// the mantissa.
fn fifteen_digits(magnitude: f64, buffer: &mut [u8; DIGITS_ROOM]) -> Option<Decimal<'_>> {
    if magnitude.fract() == 0.0 && magnitude < EXACT_INTEGER_LIMIT {
        return Some(Decimal::new(magnitude as u64, 0, buffer));
    }
    let (scale, scaled) = scaled_below_1e15(magnitude)?;
    let power = POWERS_OF_TEN[scale];
    let mantissa = (scaled + 0.5) as u64;
    if mantissa == 0 || mantissa as f64 / power != magnitude {
        return None;
    }
    Some(Decimal::new(mantissa, -(scale as i32), buffer))
}

/// The power of ten `scale` (10⁰ to 10²²) that brings `magnitude` to
/// between 10¹⁴ and 10¹⁵, and the scaled value; `None` for magnitudes no
/// exact power of ten brings there.
///
/// The decimal exponent comes from the binary one: a double is 1.f × 2^e,
/// so its decimal exponent is e × log₁₀2 or one more, and 1233 / 4096 is
/// log₁₀2 to five digits, exact enough for every e (about -27 to 50) that
/// a scale from 10⁰ to 10²² can serve. Where the guess is one low, the
/// scaled value reaches 10¹⁵, and one power of ten less is right. A wrong
/// guess could only send a value to the formatter: the division in
/// [`fifteen_digits`] alone proves the digits.
fn scaled_below_1e15(magnitude: f64) -> Option<(usize, f64)> {
    let binary_exponent = ((magnitude.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let decimal_exponent = (binary_exponent * 1233) >> 12;
    let mut scale = usize::try_from(14 - decimal_exponent).ok()?;
    let mut scaled = magnitude * *POWERS_OF_TEN.get(scale)?;
    if scaled >= 1e15 {
        scale = scale.checked_sub(1)?;
        scaled = magnitude * POWERS_OF_TEN[scale];
    }
    (scaled < 1e15).then_some((scale, scaled))
}

/// The shortest digits of `magnitude` (finite, above zero) from Rust's
/// float formatter, whose `{:e}` writes them as `1.2345e-7`.
fn shortest_digits(magnitude: f64, buffer: &mut [u8; DIGITS_ROOM]) -> Decimal<'_> {
    let mut text = StackText::default();
    // 17 digits, a point, `e-324`: always room.
    let _ = write!(text, "{magnitude:e}");
    let (mantissa, exponent) = text.as_str().split_once('e').unwrap_or((text.as_str(), "0"));
    let mut len = 0;
    for digit in mantissa.bytes().filter(u8::is_ascii_digit).take(DIGITS_ROOM) {
        buffer[len] = digit;
        len += 1;
    }
    // Only ASCII digits were copied.
    let digits = std::str::from_utf8(&buffer[..len]).unwrap_or_default();
    Decimal { digits: digits.trim_end_matches('0'), exponent: exponent.parse().unwrap_or(0) }
}

/// Writes the digits as Go's `'g'` does: plainly for the exponents -4 to
/// 5, else as a mantissa with a signed exponent of at least two digits.
fn write_go_form(out: &mut String, decimal: &Decimal) {
    let Decimal { digits, exponent } = *decimal;
    if (-4..6).contains(&exponent) {
        write_plain(out, digits, exponent);
    } else {
        write_with_exponent(out, digits, exponent);
    }
}

/// `0.000123`, `12.5`, `100000`.
fn write_plain(out: &mut String, digits: &str, exponent: i32) {
    if exponent < 0 {
        out.push_str("0.");
        (exponent + 1..0).for_each(|_| out.push('0'));
        return out.push_str(digits);
    }
    let whole_digits = exponent as usize + 1;
    if digits.len() <= whole_digits {
        out.push_str(digits);
        (digits.len()..whole_digits).for_each(|_| out.push('0'));
    } else {
        out.push_str(&digits[..whole_digits]);
        out.push('.');
        out.push_str(&digits[whole_digits..]);
    }
}

/// `1e+06`, `1.5e-07`, `5e-324`.
fn write_with_exponent(out: &mut String, digits: &str, exponent: i32) {
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    out.push_str(if exponent < 0 { "e-" } else { "e+" });
    if exponent.unsigned_abs() < 10 {
        out.push('0');
    }
    write_integer(out, u64::from(exponent.unsigned_abs()));
}

/// The decimal digits of `number`, written into the end of `buffer`.
fn integer_digits(mut number: u64, buffer: &mut [u8; DIGITS_ROOM]) -> &str {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (number % 10) as u8;
        number /= 10;
        if number == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    std::str::from_utf8(&buffer[start..]).unwrap_or_default()
}

/// A few bytes on the stack for `write!` to fill: room for any `f64` in
/// `{:e}` form, so the slow path allocates nothing either.
#[derive(Default)]
struct StackText {
    bytes: [u8; 32],
    len: usize,
}

impl StackText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let end = self.len + text.len();
        self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_random::Random;
    use std::time::Duration;

    #[track_caller]
    fn check_value(value: f64, expected: &str) {
        assert_eq!(format_value(value), expected, "format_value({value:?})");
    }

    #[test]
    fn format_value_follows_go_g_formatting() {
        check_value(1.0, "1");
        check_value(0.0, "0");
        check_value(-0.0, "0");
        check_value(-1.0, "-1");
        check_value(0.5, "0.5");
        check_value(0.1, "0.1");
        check_value(2.75, "2.75");
        check_value(12.47, "12.47");
        check_value(1027.0, "1027");
        check_value(0.0001, "0.0001");
        check_value(1e-5, "1e-05");
        check_value(1e-10, "1e-10");
        check_value(-1.5e-7, "-1.5e-07");
        check_value(100000.0, "100000");
        check_value(324789.3, "324789.3");
        check_value(1e6, "1e+06");
        check_value(1234567.0, "1.234567e+06");
        check_value(-1234567.0, "-1.234567e+06");
        check_value(1.7560473e7, "1.7560473e+07");
        check_value(1.458255915e9, "1.458255915e+09");
        check_value(1.7e9, "1.7e+09");
        // Whole numbers take integer arithmetic; Go writes them the same.
        check_value(276738048.0, "2.76738048e+08");
        check_value(-2.5e6, "-2.5e+06");
        check_value(1e15, "1e+15");
        check_value(9007199254740991.0, "9.007199254740991e+15");
        check_value(999999.0, "999999");
        // Either side of the two edges of the plain form.
        check_value(9.999999999999999e-5, "9.999999999999999e-05");
        check_value(999999.9999999999, "999999.9999999999");
        check_value(1000000.5, "1.0000005e+06");
        check_value(-0.000123, "-0.000123");
        check_value(1.1e23, "1.1e+23");
        check_value(1e100, "1e+100");
        check_value(5e-324, "5e-324");
        check_value(f64::MAX, "1.7976931348623157e+308");
        check_value(f64::NAN, "NaN");
        check_value(f64::INFINITY, "+Inf");
        check_value(f64::NEG_INFINITY, "-Inf");
    }

    #[test]
    fn values_of_fifteen_digits_or_fewer_skip_the_float_formatter() {
        let digits = |value: f64| {
            let mut buffer = [0u8; DIGITS_ROOM];
            fifteen_digits(value, &mut buffer).map(|decimal| decimal.digits.to_string())
        };
        assert_eq!(digits(0.000123456), Some("123456".into()), "a duration in nanoseconds");
        assert_eq!(digits(1764653045.25), Some("176465304525".into()));
        assert_eq!(digits(0.1), Some("1".into()));
        assert_eq!(digits(123456789012345.6), None, "16 digits");
        assert_eq!(digits(1.0 / 3.0), None, "17 digits");
        assert_eq!(digits(1e-300), None, "no power of ten scales it exactly");
        assert_eq!(digits(5e-324), None, "the smallest subnormal");
    }

    /// Go's `'g'` form, derived from Rust's shortest formatting alone: the
    /// `{:e}` digits and exponent decide, and the plain range is `{}`.
    fn reference(value: f64) -> String {
        if value == 0.0 {
            return "0".into();
        }
        let scientific = format!("{value:e}");
        let (mantissa, exponent) = scientific.split_once('e').unwrap();
        let exponent: i32 = exponent.parse().unwrap();
        if (-4..6).contains(&exponent) {
            format!("{value}")
        } else {
            let sign = if exponent < 0 { '-' } else { '+' };
            format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
        }
    }

    #[test]
    fn every_value_is_spelled_as_the_shortest_formatter_spells_it() {
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let mut checked = 0;
        let mut check = |value: f64| {
            if value.is_finite() {
                assert_eq!(format_value(value), reference(value), "{value:?}");
                checked += 1;
            }
        };
        let mut sum = 0.0;
        for _ in 0..100_000 {
            // Any bit pattern: every exponent, mostly 17 digits.
            check(f64::from_bits(random.next()));
            // Decimals of 1 to 17 digits at any scale a double has.
            let digits = 1 + random.below(17) as u32;
            let mantissa = random.below(10u64.pow(digits)) as f64;
            let scale = random.below(60) as i32 - 30;
            check(mantissa * 10f64.powi(scale));
            check(mantissa / 10f64.powi(scale));
            // Durations, as probes measure them, and their running sum.
            let duration = Duration::from_nanos(random.below(20_000_000_000));
            check(duration.as_secs_f64());
            sum += duration.as_secs_f64();
            check(sum);
            // Neighbours of powers of ten, where the estimate of the
            // scale is least sure.
            let power = 10f64.powi(random.below(40) as i32 - 20);
            check(power);
            check(f64::from_bits(power.to_bits() + 1));
            check(f64::from_bits(power.to_bits() - 1));
        }
        assert!(checked > 700_000, "{checked} values checked");
    }
}
