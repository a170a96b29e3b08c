//! Date-times as the probed services write them, and Unix seconds.
//!
//! The counter service reports when it started as an ISO 8601 date-time with
//! no zone (`2020-11-04T17:57:42.448578`); [`parse_iso8601`] turns it into the
//! Unix seconds a `_created` sample needs. The formatters write the shapes
//! others expect: what the demo services send (that same ISO 8601 shape, and
//! the ctime line of a daytime server), the `ts=` of a log line, the HTTP
//! `Date` header, and the build date of `--version`. Only std: the calendar
//! is Howard Hinnant's `days_from_civil` and its inverse, and every date is
//! proleptic Gregorian in UTC.
//!
//! This module is a leaf: it uses nothing from the crate and does no I/O.
//! That is what lets `build.rs` compile this very file to stamp the build
//! date, so the calendar exists once; keep it that way.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

const SECONDS_PER_DAY: i64 = 86_400;

/// Abbreviated names as `asctime` and the HTTP `Date` header print them,
/// Sunday first.
pub const WEEKDAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Abbreviated names as `asctime` and the HTTP `Date` header print them,
/// January first.
pub const MONTH_NAMES: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

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

/// Formats `time` in UTC as `2020-11-04T17:57:42.448578`: six fraction
/// digits and no zone, the shape the counter service sends.
///
/// The microseconds are truncated, not rounded, so the text never names a
/// later instant than `time`. Instants before 1970 are formatted as well;
/// years outside 0000-9999 come out with a sign or a fifth digit, which
/// [`parse_iso8601`] does not read back.
pub fn format_iso8601_micros(time: SystemTime) -> String {
    let t = CivilTime::from_system_time(time);
    format!("{t}.{:06}", t.nanos / 1000)
}

/// Formats `time` in UTC as `2026-12-01T21:26:25.855Z`: RFC 3339 with
/// exactly three fraction digits and `Z`, the `ts=` of a Prometheus log line
/// (go-kit's `DefaultTimestampUTC`).
///
/// The milliseconds are truncated, as Go's `time.Format` does, so a line
/// never claims a later instant than the event's.
pub fn format_rfc3339_millis(time: SystemTime) -> String {
    let t = CivilTime::from_system_time(time);
    format!("{t}.{:03}Z", t.nanos / 1_000_000)
}

/// Formats `time` as the IMF-fixdate of RFC 9110 section 5.6.7,
/// `Sun, 06 Nov 1994 08:49:37 GMT`: the form an HTTP server must use in its
/// `Date` header. The day is two digits, and `GMT` means UTC here.
///
/// ```text
/// IMF-fixdate  = day-name "," SP date1 SP time-of-day SP GMT
/// date1        = day SP month SP year
///              ; e.g., 02 Jun 1982
/// ```
pub fn format_imf_fixdate(time: SystemTime) -> String {
    let mut text = String::with_capacity(29);
    write_imf_fixdate(&mut text, time);
    text
}

/// Appends `time` as [`format_imf_fixdate`] spells it: every response's
/// `Date`, so it is written digit by digit rather than through `format!`.
pub fn write_imf_fixdate(out: &mut String, time: SystemTime) {
    let t = CivilTime::from_system_time(time);
    out.push_str(t.weekday_name());
    out.push_str(", ");
    push_digits(out, u64::from(t.day), 2);
    out.push(' ');
    out.push_str(t.month_name());
    out.push(' ');
    // A year outside 0..=9999 cannot be an IMF-fixdate; it is clamped.
    push_digits(out, t.year.clamp(0, 9999) as u64, 4);
    out.push(' ');
    push_digits(out, u64::from(t.hour), 2);
    out.push(':');
    push_digits(out, u64::from(t.minute), 2);
    out.push(':');
    push_digits(out, u64::from(t.second), 2);
    out.push_str(" GMT");
}

/// Appends the last `width` decimal digits of `number`, zero-padded.
fn push_digits(out: &mut String, number: u64, width: u32) {
    for place in (0..width).rev() {
        let digit = (number / 10u64.pow(place)) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

/// Formats `time` in UTC as `20230409-09:57:40`, the build date that the
/// Prometheus components print for `--version` (Go's `20060102-15:04:05`).
pub fn format_build_date(time: SystemTime) -> String {
    let t = CivilTime::from_system_time(time);
    format!("{:04}{:02}{:02}-{:02}:{:02}:{:02}", t.year, t.month, t.day, t.hour, t.minute, t.second)
}

/// Formats `time` in UTC as C's `asctime` does, without its trailing newline:
/// `Sun Nov  6 08:49:37 1994`, the day of the month padded with a space.
///
/// This is the line a daytime server (RFC 867) customarily sends; the RFC
/// itself leaves the format open. Instants before 1970 are formatted as well.
pub fn format_ctime(time: SystemTime) -> String {
    let t = CivilTime::from_system_time(time);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        t.weekday_name(),
        t.month_name(),
        t.day,
        t.hour,
        t.minute,
        t.second,
        t.year
    )
}

/// The UTC calendar fields of an instant, which the formatters print.
struct CivilTime {
    days_since_epoch: i64,
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
}

impl CivilTime {
    fn from_system_time(time: SystemTime) -> CivilTime {
        let (unix_seconds, nanos) = unix_seconds_and_nanos(time);
        let days_since_epoch = unix_seconds.div_euclid(SECONDS_PER_DAY);
        // Below 86_400, so the casts cannot truncate.
        let second_of_day = unix_seconds.rem_euclid(SECONDS_PER_DAY) as u32;
        let (year, month, day) = civil_from_days(days_since_epoch);
        CivilTime {
            days_since_epoch,
            year,
            month,
            day,
            hour: second_of_day / 3600,
            minute: second_of_day / 60 % 60,
            second: second_of_day % 60,
            nanos,
        }
    }

    /// `Sun` to `Sat`.
    fn weekday_name(&self) -> &'static str {
        // 1970-01-01, day zero, was a Thursday. The remainder is 0-6.
        WEEKDAY_NAMES[(self.days_since_epoch + 4).rem_euclid(7) as usize]
    }

    /// `Jan` to `Dec`.
    fn month_name(&self) -> &'static str {
        MONTH_NAMES[self.month as usize - 1]
    }
}

/// Writes the date and the time to the second as ISO 8601 does,
/// `2020-11-04T17:57:42`, for the formatters to add a fraction and a zone.
impl fmt::Display for CivilTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Splits an instant into whole Unix seconds, rounded toward the past, and
/// the nanoseconds after them.
///
/// Rounding down rather than toward zero keeps instants before 1970 right:
/// 1.5 s before the epoch is -2 s plus 500 ms, that is 1969-12-31T23:59:58.5.
fn unix_seconds_and_nanos(time: SystemTime) -> (i64, u32) {
    // `SystemTime` holds no more than `i64` seconds on the platforms we run
    // on; saturating covers any that could.
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => {
            let seconds = i64::try_from(after.as_secs()).unwrap_or(i64::MAX);
            (seconds, after.subsec_nanos())
        }
        Err(err) => {
            let before = err.duration();
            let seconds = -i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            match before.subsec_nanos() {
                0 => (seconds, 0),
                nanos => (seconds - 1, 1_000_000_000 - nanos),
            }
        }
    }
}

/// The Gregorian rule: every fourth year, except centuries, except every
/// fourth century. So 2000 was a leap year and 1900 was not.
fn is_leap_year(year: u32) -> bool {
    match (year % 4, year % 100, year % 400) {
        (_, _, 0) => true,
        (_, 0, _) => false,
        (0, _, _) => true,
        _ => false,
    }
}

/// How many days `month` (1-12) of `year` has, February 29 included in
/// a leap year.
pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (negative
/// before it), for `month` in 1-12 and `day` in 1-31.
///
/// Howard Hinnant's `days_from_civil`
/// (<https://howardhinnant.github.io/date_algorithms.html>): the year is
/// taken to start on March 1 so that the leap day falls at its end, and days
/// are counted in 400-year eras of 146 097 days each.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    // Ranges: year_of_era 0-399, day_of_year 0-365, day_of_era 0-146_096.
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date `days` after 1970-01-01, as (year, month, day).
///
/// Howard Hinnant's `civil_from_days`, the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Count from 0000-03-01, the start of an era.
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    // Ranges: day_of_era 0-146_096, year_of_era 0-399, day_of_year 0-365,
    // month_from_march 0-11, day 1-31.
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = era * 400 + year_of_era + i64::from(month <= 2);
    // Month and day are within the ranges above, so the casts cannot truncate.
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The instant `seconds` (negative before 1970) plus `nanos` after the epoch.
    fn instant(seconds: i64, nanos: u32) -> SystemTime {
        let whole = Duration::from_secs(seconds.unsigned_abs());
        let start = if seconds < 0 { UNIX_EPOCH - whole } else { UNIX_EPOCH + whole };
        start + Duration::from_nanos(nanos.into())
    }

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

    #[track_caller]
    fn check_round_trip(seconds: i64, micros: u32) {
        let time = instant(seconds, micros * 1000);
        let text = format_iso8601_micros(time);
        let expected = seconds as f64 + f64::from(micros) / 1e6;
        check(&text, expected);
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
    fn format_iso8601_micros_known_instants() {
        let format = |seconds, nanos| format_iso8601_micros(instant(seconds, nanos));
        assert_eq!(format(0, 0), "1970-01-01T00:00:00.000000");
        assert_eq!(format(1_604_512_662, 448_578_000), "2020-11-04T17:57:42.448578");
        assert_eq!(format(951_825_600, 0), "2000-02-29T12:00:00.000000");
        assert_eq!(format(0, 999_999_999), "1970-01-01T00:00:00.999999");
        assert_eq!(format(-2, 500_000_000), "1969-12-31T23:59:58.500000");
        assert_eq!(format(-1, 0), "1969-12-31T23:59:59.000000");
        assert_eq!(format(253_402_300_799, 0), "9999-12-31T23:59:59.000000");
    }

    #[test]
    fn format_then_parse_round_trips() {
        check_round_trip(0, 0);
        check_round_trip(1_604_512_662, 448_578);
        check_round_trip(951_825_600, 123_456);
        check_round_trip(1_582_934_400, 999_999);
        check_round_trip(2_147_483_647, 999_999);
        check_round_trip(2_147_483_648, 1);
        check_round_trip(3_981_398_399, 500_000);
        check_round_trip(-2, 500_000);
        check_round_trip(-2_203_891_200, 250_000);
    }

    #[test]
    fn format_ctime_known_instants() {
        let format = |seconds| format_ctime(instant(seconds, 0));
        assert_eq!(format(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(format(784_111_777), "Sun Nov  6 08:49:37 1994");
        assert_eq!(format(1_604_168_112), "Sat Oct 31 18:15:12 2020");
        assert_eq!(format(-1), "Wed Dec 31 23:59:59 1969");
        assert_eq!(format(4_102_444_800), "Fri Jan  1 00:00:00 2100");
        assert_eq!(format_ctime(instant(-1, 999_999_999)), "Wed Dec 31 23:59:59 1969");
    }

    #[test]
    fn format_rfc3339_millis_known_instants() {
        let format = |seconds, nanos| format_rfc3339_millis(instant(seconds, nanos));
        // The `ts=` of the blackbox_exporter log lines in the research notes;
        // `date -u -d 2026-12-01T21:26:25Z +%s` gives the seconds.
        assert_eq!(format(1_796_160_385, 855_000_000), "2026-12-01T21:26:25.855Z");
        assert_eq!(format(0, 0), "1970-01-01T00:00:00.000Z");
        // Truncated, never rounded up into the next second.
        assert_eq!(format(0, 999_999_999), "1970-01-01T00:00:00.999Z");
        assert_eq!(format(0, 1_000_000), "1970-01-01T00:00:00.001Z");
        assert_eq!(format(0, 999_999), "1970-01-01T00:00:00.000Z");
        assert_eq!(format(-2, 500_000_000), "1969-12-31T23:59:58.500Z");
        assert_eq!(format(951_782_400, 0), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn format_imf_fixdate_known_instants() {
        let format = |seconds| format_imf_fixdate(instant(seconds, 0));
        // RFC 9110 section 5.6.7's example, and section 6.6.1's `Date`.
        assert_eq!(format(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(format(784_887_151), "Tue, 15 Nov 1994 08:12:31 GMT");
        // The `Date` of the research notes.
        assert_eq!(format(1_796_160_386), "Tue, 01 Dec 2026 21:26:26 GMT");
        assert_eq!(format(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(format(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(format_imf_fixdate(instant(-1, 999_999_999)), "Wed, 31 Dec 1969 23:59:59 GMT");
    }

    #[test]
    fn format_build_date_known_instants() {
        let format = |seconds| format_build_date(instant(seconds, 0));
        // blackbox_exporter 0.23.0's `build date:` in the research notes.
        assert_eq!(format(1_681_034_260), "20230409-09:57:40");
        assert_eq!(format(1_796_160_385), "20261201-21:26:25");
        assert_eq!(format(0), "19700101-00:00:00");
    }

    #[test]
    fn days_from_civil_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(0, 3, 1), -719_468);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
    }

    #[test]
    fn civil_from_days_walks_the_calendar_one_day_at_a_time() {
        // From 0000-01-01 to 9999-12-31, each day must follow the one before
        // by the month lengths of `days_in_month`, and map back to itself.
        let first = days_from_civil(0, 1, 1);
        let last = days_from_civil(9999, 12, 31);
        let mut expected = (0, 1, 1);
        for days in first..=last {
            assert_eq!(civil_from_days(days), expected);
            assert_eq!(days_from_civil(expected.0, expected.1, expected.2), days);
            let (year, month, day) = expected;
            expected = if day < days_in_month(year as u32, month) {
                (year, month, day + 1)
            } else if month < 12 {
                (year, month + 1, 1)
            } else {
                (year + 1, 1, 1)
            };
        }
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
