//! ISO 8601 date-times as the counter service writes them
//! (`2020-11-04T17:57:42.448578`), and the zone offsets they may carry,
//! read into Unix seconds: the instant a `_created` sample names.

use std::fmt;

use super::calendar::{days_from_civil, days_in_month, SECONDS_PER_DAY};

/// A fixed offset from UTC, such as the `+01:00` of `2020-11-04T18:57:42+01:00`;
/// UTC by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Offset {
    /// Local time minus UTC, so east of Greenwich is positive.
    seconds: i32,
}

impl Offset {
    /// Coordinated Universal Time, offset zero.
    pub const UTC: Offset = Offset { seconds: 0 };

    /// The offset of `hours` and `minutes` east of UTC (negative: west).
    pub const fn east(hours: i32, minutes: i32) -> Offset {
        Offset { seconds: hours * 3600 + minutes * 60 }
    }

    /// Local time minus UTC, in seconds.
    pub fn seconds(self) -> i32 {
        self.seconds
    }

    /// Parses `Z` (or `z`) for UTC, or a sign and hours 00-23 with optional
    /// minutes 00-59: `+hh:mm` (RFC 3339), `+hhmm` (what `strftime("%z")`
    /// writes) or `+hh`; the same forms [`parse_iso8601`] reads after a time.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidFormat`] for anything else, [`Error::OffsetOutOfRange`]
    /// for `+24:00` or `+01:60`.
    pub fn parse(text: &str) -> Result<Offset, Error> {
        let bytes = text.as_bytes();
        let (offset, end) = parse_time_offset(bytes, 0)?;
        expect_end(bytes, end)?;
        Ok(offset)
    }
}

/// Writes the offset as `+hh:mm`, so UTC reads `+00:00`.
impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.seconds < 0 { '-' } else { '+' };
        let minutes = self.seconds.unsigned_abs() / 60;
        write!(f, "{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

/// Why a date-time or offset was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The text does not have the expected shape: `expected` names what
    /// should have been at byte `at` (a field missing, a wrong separator,
    /// a non-ASCII digit, trailing text).
    InvalidFormat {
        /// What should have been there, e.g. `"digit after '.'"`.
        expected: &'static str,
        /// The byte offset into the text.
        at: usize,
    },
    /// A month outside 01-12.
    MonthOutOfRange {
        /// The month as written.
        month: u32,
    },
    /// A day the month does not have: day 00, February 29 in a common year,
    /// April 31.
    DayOutOfRange {
        /// The year as written.
        year: u32,
        /// The month as written, 1-12.
        month: u32,
        /// The day as written.
        day: u32,
    },
    /// An hour outside 00-23; `24:00:00` is not accepted for midnight.
    HourOutOfRange {
        /// The hour as written.
        hour: u32,
    },
    /// A minute outside 00-59.
    MinuteOutOfRange {
        /// The minute as written.
        minute: u32,
    },
    /// A second outside 00-59. This includes the leap second `60`, which
    /// Unix time has no number for.
    SecondOutOfRange {
        /// The second as written.
        second: u32,
    },
    /// A zone offset with hours above 23 or minutes above 59.
    OffsetOutOfRange {
        /// The offset's hours as written, without the sign.
        hours: u32,
        /// The offset's minutes as written.
        minutes: u32,
    },
    /// An ISO 8601 ordinal date, the year and the day of the year
    /// (`2020-309`), which is not supported: RFC 3339 leaves it out, no
    /// service we probe writes it, and Python's `datetime.fromisoformat`
    /// rejects it too (though `dateutil.parser.isoparse` reads it).
    OrdinalDate {
        /// The year as written.
        year: u32,
        /// The day of the year as written, e.g. 309.
        day_of_year: u32,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::InvalidFormat { expected, at } => write!(f, "expected {expected} at byte {at}"),
            Error::MonthOutOfRange { month } => {
                write!(f, "month {month:02} is out of range 01-12")
            }
            Error::DayOutOfRange { year, month, day } => {
                write!(f, "day {day:02} does not exist in {year:04}-{month:02}")
            }
            Error::HourOutOfRange { hour } => write!(f, "hour {hour:02} is out of range 00-23"),
            Error::MinuteOutOfRange { minute } => {
                write!(f, "minute {minute:02} is out of range 00-59")
            }
            Error::SecondOutOfRange { second } => write!(
                f,
                "second {second:02} is out of range 00-59 (leap seconds are not supported)"
            ),
            Error::OffsetOutOfRange { hours, minutes } => write!(
                f,
                "offset {hours:02}:{minutes:02} is out of range (hours 00-23, minutes 00-59)"
            ),
            Error::OrdinalDate { year, day_of_year } => write!(
                f,
                "{year:04}-{day_of_year:03} is an ordinal date (YYYY-DDD), which is not \
                 supported; write the date as YYYY-MM-DD"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Parses an RFC 3339 date-time into Unix seconds, with the liberties that
/// ISO 8601 writers take:
///
/// - the zone may be missing, and then `default_offset` applies (Python's
///   `datetime.isoformat()` writes naive times like `2020-11-04T17:57:42.448578`);
/// - `t` or a single space may stand for `T`, and `z` for `Z` (RFC 3339
///   section 5.6, notes below the grammar);
/// - the fraction may have any number of digits. Those after the ninth are
///   ignored: an `f64` of today's Unix time cannot resolve nanoseconds anyway;
/// - the offset may also be written `+hhmm` or `+hh`, as ISO 8601 allows.
///   `strftime("%z")` writes `+0100` even after an extended-format time such
///   as `17:57:42`; ISO 8601 would have both in the same format, but Python's
///   `datetime.fromisoformat` and `dateutil.parser.isoparse` read the mix,
///   and so does this.
///
/// An ordinal date (`2020-309`) is rejected with [`Error::OrdinalDate`]
/// rather than misread as month 30.
///
/// A leap second (`23:59:60`) is rejected, as Unix time skips it. Years run
/// from 0000 to 9999; those before 1970 give negative seconds.
///
/// The grammar, from RFC 3339 section 5.6; here `time-offset` is optional:
///
/// ```text
/// date-fullyear   = 4DIGIT
/// date-month      = 2DIGIT  ; 01-12
/// date-mday       = 2DIGIT  ; 01-28, 01-29, 01-30, 01-31 based on
///                           ; month/year
/// time-hour       = 2DIGIT  ; 00-23
/// time-minute     = 2DIGIT  ; 00-59
/// time-second     = 2DIGIT  ; 00-58, 00-59, 00-60 based on leap second
///                           ; rules
/// time-secfrac    = "." 1*DIGIT
/// time-numoffset  = ("+" / "-") time-hour [[":"] time-minute]
///                           ; RFC 3339 requires ":" time-minute
/// time-offset     = "Z" / time-numoffset
///
/// partial-time    = time-hour ":" time-minute ":" time-second
///                   [time-secfrac]
/// full-date       = date-fullyear "-" date-month "-" date-mday
/// full-time       = partial-time time-offset
///
/// date-time       = full-date "T" full-time
/// ```
///
/// # Errors
///
/// [`Error::InvalidFormat`] when the text does not match the grammar, and the
/// `*OutOfRange` variants when a field holds a value the calendar lacks.
pub fn parse_iso8601(text: &str, default_offset: Offset) -> Result<f64, Error> {
    // Example: 2020-11-04T17:57:42.448578+01:00
    //          0   4  7  10 13 16 19
    let b = text.as_bytes();
    let year = digits(b, 0, 4, "four-digit year")?;
    expect_byte(b, 4, b"-", "'-' after the year")?;
    if is_ordinal_date(b) {
        let day_of_year = digits(b, 5, 3, "three-digit day of the year")?;
        return Err(Error::OrdinalDate { year, day_of_year });
    }
    let month = two_digits(b, 5, "two-digit month")?;
    if !(1..=12).contains(&month) {
        return Err(Error::MonthOutOfRange { month });
    }
    expect_byte(b, 7, b"-", "'-' after the month")?;
    let day = two_digits(b, 8, "two-digit day")?;
    if day == 0 || day > days_in_month(year, month) {
        return Err(Error::DayOutOfRange { year, month, day });
    }
    expect_byte(b, 10, b"Tt ", "'T' between date and time")?;
    let hour = two_digits(b, 11, "two-digit hour")?;
    if hour > 23 {
        return Err(Error::HourOutOfRange { hour });
    }
    expect_byte(b, 13, b":", "':' after the hour")?;
    let minute = two_digits(b, 14, "two-digit minute")?;
    if minute > 59 {
        return Err(Error::MinuteOutOfRange { minute });
    }
    expect_byte(b, 16, b":", "':' after the minute")?;
    let second = two_digits(b, 17, "two-digit second")?;
    if second > 59 {
        return Err(Error::SecondOutOfRange { second });
    }
    let (nanos, after_fraction) = parse_secfrac(b, 19)?;
    let (offset, end) = if after_fraction == b.len() {
        (default_offset, after_fraction)
    } else {
        parse_time_offset(b, after_fraction)?
    };
    expect_end(b, end)?;

    let days = days_from_civil(i64::from(year), month, day);
    let local_seconds = days * SECONDS_PER_DAY + i64::from(hour * 3600 + minute * 60 + second);
    let unix_seconds = local_seconds - i64::from(offset.seconds);
    Ok(unix_seconds as f64 + f64::from(nanos) / 1e9)
}

/// Whether the date that starts `b` is an ordinal one, `YYYY-DDD`: three
/// digits after the year's `-`, then neither a fourth digit nor the `-` that
/// would end a month.
fn is_ordinal_date(b: &[u8]) -> bool {
    let three_digits = b.get(5..8).is_some_and(|day| day.iter().all(u8::is_ascii_digit));
    let then_no_digit_or_dash = !matches!(b.get(8), Some(b'0'..=b'9' | b'-'));
    three_digits && then_no_digit_or_dash
}

/// Reads the `time-secfrac` that may start at `at`, as nanoseconds.
///
/// ```text
/// time-secfrac    = "." 1*DIGIT
/// ```
///
/// Returns the nanoseconds and the index after the fraction; with no `.` at
/// `at` that is zero and `at` itself.
fn parse_secfrac(b: &[u8], at: usize) -> Result<(u32, usize), Error> {
    // Example: .448578
    if b.get(at) != Some(&b'.') {
        return Ok((0, at));
    }
    let digits_start = at + 1;
    let mut end = digits_start;
    let mut nanos = 0;
    // The place value of the next digit; it reaches zero after the ninth
    // digit, so any further digits are read but change nothing.
    let mut place = 100_000_000;
    while let Some(digit) = b.get(end).filter(|byte| byte.is_ascii_digit()) {
        nanos += u32::from(digit - b'0') * place;
        place /= 10;
        end += 1;
    }
    if end == digits_start {
        return Err(Error::InvalidFormat { expected: "digit after '.'", at: digits_start });
    }
    Ok((nanos, end))
}

/// Reads the `time-offset` that starts at `at`.
///
/// ```text
/// time-numoffset  = ("+" / "-") time-hour [[":"] time-minute]
/// time-offset     = "Z" / time-numoffset
/// ```
///
/// Returns the offset and the index after it.
fn parse_time_offset(b: &[u8], at: usize) -> Result<(Offset, usize), Error> {
    // Examples: +01:00, +0100, +01
    let sign = match b.get(at) {
        Some(b'Z' | b'z') => return Ok((Offset::UTC, at + 1)),
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(Error::InvalidFormat { expected: "'Z', '+hh:mm' or '-hh:mm'", at }),
    };
    let hours = two_digits(b, at + 1, "two-digit offset hour")?;
    let (minutes, end) = parse_offset_minutes(b, at + 3)?;
    if hours > 23 || minutes > 59 {
        return Err(Error::OffsetOutOfRange { hours, minutes });
    }
    // At most 23 * 3600 + 59 * 60 = 86_340, far inside `i32`.
    let magnitude = (hours * 3600 + minutes * 60) as i32;
    let offset = Offset { seconds: sign * magnitude };
    Ok((offset, end))
}

/// Reads the minutes of an offset, which start at `at` just after its hours:
/// `:mm`, `mm`, or nothing at all (`+hh`), which means zero minutes.
///
/// Returns the minutes and the index after them.
fn parse_offset_minutes(b: &[u8], at: usize) -> Result<(u32, usize), Error> {
    let expected = "two-digit offset minute";
    match b.get(at) {
        Some(b':') => Ok((two_digits(b, at + 1, expected)?, at + 3)),
        Some(byte) if byte.is_ascii_digit() => Ok((two_digits(b, at, expected)?, at + 2)),
        _ => Ok((0, at)),
    }
}

/// Reads the two ASCII digits at `at` and `at + 1`; `expected` names the
/// field for the error.
fn two_digits(b: &[u8], at: usize, expected: &'static str) -> Result<u32, Error> {
    digits(b, at, 2, expected)
}

/// Reads `count` ASCII digits starting at `at`. Other scripts' digits, such
/// as U+0662 ARABIC-INDIC DIGIT TWO, are rejected: here they are just bytes
/// outside `0`-`9`.
fn digits(b: &[u8], at: usize, count: usize, expected: &'static str) -> Result<u32, Error> {
    let mut value = 0;
    for index in at..at + count {
        match b.get(index) {
            Some(byte) if byte.is_ascii_digit() => value = value * 10 + u32::from(byte - b'0'),
            _ => return Err(Error::InvalidFormat { expected, at }),
        }
    }
    Ok(value)
}

/// Checks that the byte at `at` is one of `allowed`.
fn expect_byte(b: &[u8], at: usize, allowed: &[u8], expected: &'static str) -> Result<(), Error> {
    match b.get(at) {
        Some(byte) if allowed.contains(byte) => Ok(()),
        _ => Err(Error::InvalidFormat { expected, at }),
    }
}

/// Checks that nothing follows index `end`.
fn expect_end(b: &[u8], end: usize) -> Result<(), Error> {
    if end < b.len() {
        return Err(Error::InvalidFormat { expected: "end of text", at: end });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected: f64) {
        check_with_default(text, Offset::UTC, expected);
    }

    #[track_caller]
    fn check_with_default(text: &str, default_offset: Offset, expected: f64) {
        let actual = parse_iso8601(text, default_offset).unwrap();
        assert!((actual - expected).abs() < 1e-6, "{text}: expected {expected}, got {actual}");
    }

    #[track_caller]
    fn check_error(text: &str, expected: Error) {
        assert_eq!(parse_iso8601(text, Offset::UTC), Err(expected));
    }

    #[track_caller]
    fn check_format_error(text: &str, expected: &'static str, at: usize) {
        check_error(text, Error::InvalidFormat { expected, at });
    }

    #[track_caller]
    fn check_offset(text: &str, expected_seconds: i32) {
        assert_eq!(Offset::parse(text), Ok(Offset { seconds: expected_seconds }));
    }

    #[test]
    fn known_date_times_give_their_unix_seconds() {
        check("1970-01-01T00:00:00Z", 0.0);
        check("2000-02-29T12:00:00Z", 951_825_600.0);
        check("2020-11-04T17:57:42.448578", 1_604_512_662.448578);
        check("1969-12-31T23:59:59Z", -1.0);
        check("2038-01-19T03:14:08Z", 2_147_483_648.0);
        check("1900-03-01T00:00:00Z", -2_203_891_200.0);
        check("0000-01-01T00:00:00Z", -62_167_219_200.0);
        check("0001-01-01T00:00:00Z", -62_135_596_800.0);
        check("9999-12-31T23:59:59Z", 253_402_300_799.0);
    }

    #[test]
    fn february_29_exists_only_in_leap_years() {
        check("2000-02-29T00:00:00Z", 951_782_400.0);
        check("2020-02-29T00:00:00Z", 1_582_934_400.0);
        check("2096-02-29T23:59:59Z", 3_981_398_399.0);
        check_error("1900-02-29T00:00:00Z", Error::DayOutOfRange { year: 1900, month: 2, day: 29 });
        check_error("2021-02-29T00:00:00Z", Error::DayOutOfRange { year: 2021, month: 2, day: 29 });
        check_error("2020-02-30T00:00:00Z", Error::DayOutOfRange { year: 2020, month: 2, day: 30 });
    }

    #[test]
    fn offsets_are_subtracted_to_give_utc() {
        check("1970-01-01T01:00:00+01:00", 0.0);
        check("1969-12-31T23:00:00-01:00", 0.0);
        check("2020-11-04T18:57:42.448578+01:00", 1_604_512_662.448578);
        check("2020-11-04T12:27:42.448578-05:30", 1_604_512_662.448578);
        check("2020-11-05T05:57:42.448578+12:00", 1_604_512_662.448578);
        check("1970-01-01T00:00:00-00:00", 0.0);
        check("1970-01-01T00:00:00z", 0.0);
    }

    #[test]
    fn offsets_may_drop_the_colon_or_the_minutes() {
        // `strftime("%z")` writes +0000; Python's `fromisoformat` reads it.
        check("2020-11-04T17:57:42+0000", 1_604_512_662.0);
        check("2020-11-04T18:57:42+0100", 1_604_512_662.0);
        check("2020-11-04T12:27:42.448578-0530", 1_604_512_662.448578);
        // ISO 8601's hours-only offset; Python 3.11 reads it as well.
        check("2020-11-04T18:57:42+01", 1_604_512_662.0);
        check("2020-11-04T12:57:42-05", 1_604_512_662.0);
        check("2020-11-04T17:57:42.5+00", 1_604_512_662.5);
        check_error("2020-11-04T17:57:42+2400", Error::OffsetOutOfRange { hours: 24, minutes: 0 });
        check_error("2020-11-04T17:57:42+0160", Error::OffsetOutOfRange { hours: 1, minutes: 60 });
        check_error("2020-11-04T17:57:42+24", Error::OffsetOutOfRange { hours: 24, minutes: 0 });
    }

    #[test]
    fn ordinal_dates_are_named_not_misread_as_a_month() {
        let ordinal = |year, day_of_year| Error::OrdinalDate { year, day_of_year };
        check_error("2020-309T17:57:42", ordinal(2020, 309));
        check_error("2020-309t17:57:42Z", ordinal(2020, 309));
        check_error("2020-001", ordinal(2020, 1));
        check_error("2020-366 00:00:00", ordinal(2020, 366));
        // Calendar dates with a wrong digit count keep their own errors.
        check_format_error("2020-1104T17:57:42", "'-' after the month", 7);
        check_error("2020-30T17:57:42", Error::MonthOutOfRange { month: 30 });
    }

    #[test]
    fn default_offset_applies_only_without_a_zone() {
        let plus_one = Offset::parse("+01:00").unwrap();
        check_with_default("1970-01-01T01:00:00", plus_one, 0.0);
        check_with_default("1970-01-01T00:00:00Z", plus_one, 0.0);
        check_with_default("1970-01-01T00:00:00+00:00", plus_one, 0.0);
    }

    #[test]
    fn separators_and_fractions() {
        check("2020-11-04t17:57:42.448578", 1_604_512_662.448578);
        check("2020-11-04 17:57:42.448578", 1_604_512_662.448578);
        check("1970-01-01T00:00:00.5Z", 0.5);
        check("1970-01-01T00:00:00.000001Z", 0.000001);
        check("1970-01-01T00:00:00.123456789Z", 0.123456789);
        check("1970-01-01T00:00:00.1234567899999Z", 0.123456789);
        check("1969-12-31T23:59:59.25Z", -0.75);
    }

    #[test]
    fn rejects_fields_out_of_range() {
        check_error("2020-00-04T17:57:42", Error::MonthOutOfRange { month: 0 });
        check_error("2020-13-04T17:57:42", Error::MonthOutOfRange { month: 13 });
        check_error("2020-11-00T17:57:42", Error::DayOutOfRange { year: 2020, month: 11, day: 0 });
        check_error("2020-04-31T17:57:42", Error::DayOutOfRange { year: 2020, month: 4, day: 31 });
        check_error("2020-12-32T17:57:42", Error::DayOutOfRange { year: 2020, month: 12, day: 32 });
        check_error("2020-11-04T24:00:00", Error::HourOutOfRange { hour: 24 });
        check_error("2020-11-04T17:60:42", Error::MinuteOutOfRange { minute: 60 });
        check_error("2016-12-31T23:59:60Z", Error::SecondOutOfRange { second: 60 });
        check_error("2020-11-04T17:57:42+24:00", Error::OffsetOutOfRange { hours: 24, minutes: 0 });
        check_error("2020-11-04T17:57:42-01:60", Error::OffsetOutOfRange { hours: 1, minutes: 60 });
    }

    #[test]
    fn rejects_malformed_text() {
        check_format_error("", "four-digit year", 0);
        check_format_error("20-11-04T17:57:42", "four-digit year", 0);
        check_format_error("12020-11-04T17:57:42", "'-' after the year", 4);
        check_format_error("2020/11/04T17:57:42", "'-' after the year", 4);
        check_format_error("2020-1-04T17:57:42", "two-digit month", 5);
        check_format_error("2020-11-4T17:57:42", "two-digit day", 8);
        check_format_error("2020-11-04", "'T' between date and time", 10);
        check_format_error("2020-11-04_17:57:42", "'T' between date and time", 10);
        check_format_error("2020-11-04  17:57:42", "two-digit hour", 11);
        check_format_error("2020-11-04T17", "':' after the hour", 13);
        check_format_error("2020-11-04T17:57", "':' after the minute", 16);
        check_format_error("2020-11-04T17:57:", "two-digit second", 17);
        check_format_error("2020-11-04T17:57:42.", "digit after '.'", 20);
        check_format_error("2020-11-04T17:57:42.Z", "digit after '.'", 20);
        check_format_error("2020-11-04T17:57:42,5", "'Z', '+hh:mm' or '-hh:mm'", 19);
        check_format_error("2020-11-04T17:57:42 UTC", "'Z', '+hh:mm' or '-hh:mm'", 19);
        check_format_error("2020-11-04T17:57:42+1:00", "two-digit offset hour", 20);
        check_format_error("2020-11-04T17:57:42+01:", "two-digit offset minute", 23);
        check_format_error("2020-11-04T17:57:42+01:0", "two-digit offset minute", 23);
        check_format_error("2020-11-04T17:57:42+010", "two-digit offset minute", 22);
        check_format_error("2020-11-04T17:57:42+01:000", "end of text", 25);
        check_format_error("2020-11-04T17:57:42+01000", "end of text", 24);
        check_format_error("2020-110-04T17:57:42", "'-' after the month", 7);
        check_format_error("2020-11-04T17:57:42Z ", "end of text", 20);
        check_format_error("2020-11-04T17:57:42+01:00Z", "end of text", 25);
        check_format_error("2020-11-04T17:57:42\n", "'Z', '+hh:mm' or '-hh:mm'", 19);
    }

    #[test]
    fn rejects_non_ascii_digits() {
        // U+0662 and U+0660 are Arabic-Indic two and zero, U+FF12 a fullwidth two.
        check_format_error("\u{662}\u{660}20-11-04T17:57:42", "four-digit year", 0);
        check_format_error("2020-11-04T17:57:4\u{ff12}", "two-digit second", 17);
        check_format_error("2020-11-04T17:57:42.\u{662}", "digit after '.'", 20);
    }

    #[test]
    fn offsets_parse_from_z_or_plus_minus_hh_mm() {
        check_offset("Z", 0);
        check_offset("z", 0);
        check_offset("+00:00", 0);
        check_offset("-00:00", 0);
        check_offset("+01:00", 3600);
        check_offset("-05:30", -19_800);
        check_offset("+23:59", 86_340);
        let invalid = |at| Err(Error::InvalidFormat { expected: "'Z', '+hh:mm' or '-hh:mm'", at });
        assert_eq!(Offset::parse(""), invalid(0));
        assert_eq!(Offset::parse("UTC"), invalid(0));
        assert_eq!(Offset::parse("05:00"), invalid(0));
        let out_of_range = |hours, minutes| Err(Error::OffsetOutOfRange { hours, minutes });
        assert_eq!(Offset::parse("+24:00"), out_of_range(24, 0));
        assert_eq!(Offset::parse("+05:60"), out_of_range(5, 60));
        let trailing = Err(Error::InvalidFormat { expected: "end of text", at: 6 });
        assert_eq!(Offset::parse("+05:00 "), trailing);
    }

    #[test]
    fn offsets_parse_without_a_colon_or_without_minutes() {
        check_offset("+0000", 0);
        check_offset("+0100", 3600);
        check_offset("-0530", -19_800);
        check_offset("+2359", 86_340);
        check_offset("+01", 3600);
        check_offset("-05", -18_000);
        check_offset("+00", 0);
        let out_of_range = |hours, minutes| Err(Error::OffsetOutOfRange { hours, minutes });
        assert_eq!(Offset::parse("+2400"), out_of_range(24, 0));
        assert_eq!(Offset::parse("+0560"), out_of_range(5, 60));
        assert_eq!(Offset::parse("+24"), out_of_range(24, 0));
        let minute = |at| Err(Error::InvalidFormat { expected: "two-digit offset minute", at });
        assert_eq!(Offset::parse("+010"), minute(3));
        assert_eq!(Offset::parse("+01:"), minute(4));
        assert_eq!(
            Offset::parse("+1"),
            Err(Error::InvalidFormat { expected: "two-digit offset hour", at: 1 })
        );
        assert_eq!(Offset::parse("+0100").unwrap().to_string(), "+01:00");
        assert_eq!(Offset::parse("-05").unwrap().to_string(), "-05:00");
    }

    #[test]
    fn offsets_display_as_plus_minus_hh_mm() {
        assert_eq!(Offset::UTC.to_string(), "+00:00");
        assert_eq!(Offset::parse("Z").unwrap().to_string(), "+00:00");
        assert_eq!(Offset::parse("+01:00").unwrap().to_string(), "+01:00");
        assert_eq!(Offset::parse("-05:30").unwrap().to_string(), "-05:30");
        assert_eq!(Offset::parse("+23:59").unwrap().to_string(), "+23:59");
    }

    #[test]
    fn error_messages_say_what_was_expected_and_where() {
        let message = |text| parse_iso8601(text, Offset::UTC).unwrap_err().to_string();
        assert_eq!(message("2020-11-04T17:57"), "expected ':' after the minute at byte 16");
        assert_eq!(message("2021-02-29T00:00:00"), "day 29 does not exist in 2021-02");
        assert_eq!(message("2020-13-01T00:00:00"), "month 13 is out of range 01-12");
        assert_eq!(
            message("2016-12-31T23:59:60Z"),
            "second 60 is out of range 00-59 (leap seconds are not supported)"
        );
        assert_eq!(
            message("2020-11-04T17:57:42+24:00"),
            "offset 24:00 is out of range (hours 00-23, minutes 00-59)"
        );
        assert_eq!(
            message("2020-309T17:57:42"),
            "2020-309 is an ordinal date (YYYY-DDD), which is not supported; \
             write the date as YYYY-MM-DD"
        );
    }
}
