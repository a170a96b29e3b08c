//! The remote clock in a daytime reply: which date formats real servers
//! send, and the instant each one names.
//!
//! RFC 867 fixes no syntax for the daytime line ("there is no specific
//! syntax for the daytime"), but a handful of formats cover what servers
//! send, and reading them gives the one fact a daytime service has to
//! give: the remote host's clock, so that its offset from ours can be
//! watched on legacy devices that run nothing but inetd.
//!
//! | format | example | zone |
//! |---|---|---|
//! | ctime, as inetd writes it | `Wed Nov 25 15:45:48 2026` | none |
//! | xinetd's | `25 NOV 2026 15:45:48 UTC` | a name |
//! | RFC 5322 / IMF-fixdate | `Wed, 25 Nov 2026 15:45:48 +0000` | numeric or a name |
//! | ISO 8601 / RFC 3339 | `2026-11-25T15:45:48Z` | optional |
//! | NIST ACTS | `61369 26-11-25 15:45:48 00 0 0 50.0 UTC(NIST) *` | UTC |
//!
//! All have one-second resolution but ISO 8601 with a fraction. A reply
//! without a zone is read at the offset the caller gives. A weekday that
//! does not match the date is an error: such a line is not a date. A leap
//! second (`:60`) is read as the second after `:59`, as POSIX time has
//! no leap seconds. This file is a pure leaf: it reads text, nothing else.

use std::fmt;

use super::calendar::{days_from_civil, days_in_month, MONTH_NAMES, WEEKDAY_NAMES};
use super::iso8601::{parse_iso8601, Offset};

/// The formats this file reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `Wed Nov 25 15:45:48 2026`, as inetd writes it; no zone.
    Ctime,
    /// `25 NOV 2026 15:45:48 UTC`, as xinetd writes it.
    Xinetd,
    /// `Wed, 25 Nov 2026 15:45:48 +0000`, RFC 5322 and IMF-fixdate.
    Rfc5322,
    /// `2026-11-25T15:45:48Z`, ISO 8601 and RFC 3339; the zone is optional.
    Iso8601,
    /// `61369 26-11-25 15:45:48 00 0 0 50.0 UTC(NIST) *`, NIST's ACTS; UTC.
    NistActs,
}

impl Format {
    /// The format's name in lower case, e.g. `nist_acts`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Ctime => "ctime",
            Format::Xinetd => "xinetd",
            Format::Rfc5322 => "rfc5322",
            Format::Iso8601 => "iso8601",
            Format::NistActs => "nist_acts",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The instant a daytime line names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RemoteTime {
    /// Unix seconds (with a fraction only from ISO 8601).
    pub unix_seconds: f64,
    /// The format the line was in.
    pub format: Format,
}

/// Why a line is not a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The line has the shape of none of the formats.
    Unknown,
    /// It has a format's shape, but a field is wrong: what, and which.
    Field(&'static str, String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unknown => f.write_str("not a date in any known daytime format"),
            Error::Field(what, value) => write!(f, "bad {what} `{value}`"),
        }
    }
}

impl std::error::Error for Error {}

/// Reads the date in `line`; a line with no zone is read at `zone`.
pub fn parse(line: &str, zone: Offset) -> Result<RemoteTime, Error> {
    let line = line.trim();
    // The formats have at most six words, or (NIST's) are told by their
    // first three: seven slots on the stack tell every case apart.
    let mut slots = [""; 7];
    let mut count = 0;
    for (slot, word) in slots.iter_mut().zip(line.split_whitespace()) {
        *slot = word;
        count += 1;
    }
    let (seconds, format) = match &slots[..count] {
        [mjd, date, time, ..] if is_acts(mjd, date) => {
            (nist_acts(mjd, date, time)?, Format::NistActs)
        }
        [first, ..] if looks_iso(first) => return iso8601(line, zone),
        [weekday, month, day, time, year] if is_name(weekday) => {
            (civil(Some(weekday), year, month, day, time, zone)?, Format::Ctime)
        }
        [weekday, day, month, year, time, zone_name] if weekday.ends_with(',') => {
            let weekday = weekday.trim_end_matches(',');
            let zone = named_zone(zone_name)?;
            (civil(Some(weekday), year, month, day, time, zone)?, Format::Rfc5322)
        }
        [day, month, year, time, zone_name] => {
            let seconds = civil(None, year, month, day, time, named_zone(zone_name)?)?;
            let shouted = month.bytes().all(|b| b.is_ascii_uppercase());
            (seconds, if shouted { Format::Xinetd } else { Format::Rfc5322 })
        }
        _ => return Err(Error::Unknown),
    };
    Ok(RemoteTime { unix_seconds: seconds as f64, format })
}

fn is_name(word: &str) -> bool {
    word.len() == 3 && word.bytes().all(|b| b.is_ascii_alphabetic())
}

fn looks_iso(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() >= 10 && b[4] == b'-' && b[7] == b'-' && b[..4].iter().all(u8::is_ascii_digit)
}

fn is_acts(mjd: &str, date: &str) -> bool {
    mjd.len() == 5
        && mjd.bytes().all(|b| b.is_ascii_digit())
        && date.len() == 8
        && date.as_bytes()[2] == b'-'
}

/// ISO 8601 with `T` or a space between date and time.
fn iso8601(line: &str, zone: Offset) -> Result<RemoteTime, Error> {
    let text = match line.as_bytes().get(10) {
        Some(b' ') => format!("{}T{}", &line[..10], line[11..].trim_start()),
        _ => line.to_string(),
    };
    let unix_seconds =
        parse_iso8601(&text, zone).map_err(|err| Error::Field("ISO 8601 time", err.to_string()))?;
    Ok(RemoteTime { unix_seconds, format: Format::Iso8601 })
}

/// `JJJJJ YR-MO-DA HH:MM:SS …`: the Modified Julian Date names the day
/// (MJD 40587 is 1970-01-01), so the two-digit year needs no guess; the
/// date must agree with it in one of the centuries the MJD can mean.
fn nist_acts(mjd: &str, date: &str, time: &str) -> Result<i64, Error> {
    let mjd: i64 =
        mjd.parse().map_err(|_| Error::Field("Modified Julian Date", mjd.to_string()))?;
    let days = mjd - 40_587;
    let [yy, mm, dd] = numbers(date, '-').ok_or_else(|| Error::Field("date", date.to_string()))?;
    let agrees = [1900, 2000, 2100]
        .iter()
        .any(|century| days_from_civil(century + i64::from(yy), mm, dd) == days);
    if !agrees {
        return Err(Error::Field("date for its Modified Julian Date", date.to_string()));
    }
    Ok(days * 86_400 + seconds_of_day(time)?)
}

/// A date of day, month name and year, a time of day, at `zone`, in Unix
/// seconds; a weekday, if given, must be the one the date falls on.
fn civil(
    weekday: Option<&str>,
    year: &str,
    month: &str,
    day: &str,
    time: &str,
    zone: Offset,
) -> Result<i64, Error> {
    let year: u32 = number(year, 4).ok_or_else(|| Error::Field("year", year.to_string()))?;
    let month_number = MONTH_NAMES
        .iter()
        .position(|name| name.eq_ignore_ascii_case(month))
        .ok_or_else(|| Error::Field("month", month.to_string()))?;
    let month_number = month_number as u32 + 1;
    let day_number: u32 = day.parse().map_err(|_| Error::Field("day", day.to_string()))?;
    if !(1..=days_in_month(year, month_number)).contains(&day_number) {
        return Err(Error::Field("day", day.to_string()));
    }
    let days = days_from_civil(i64::from(year), month_number, day_number);
    if let Some(weekday) = weekday {
        check_weekday(weekday, days)?;
    }
    Ok(days * 86_400 + seconds_of_day(time)? - i64::from(zone.seconds()))
}

/// `hh:mm:ss` or `hh:mm`, in seconds since midnight.
fn seconds_of_day(time: &str) -> Result<i64, Error> {
    let bad = || Error::Field("time", time.to_string());
    let (hours, minutes, seconds) = match numbers::<3>(time, ':') {
        Some([h, m, s]) => (h, m, s),
        None => numbers::<2>(time, ':').map(|[h, m]| (h, m, 0)).ok_or_else(bad)?,
    };
    if hours > 23 || minutes > 59 || seconds > 60 {
        return Err(bad());
    }
    Ok(i64::from(hours * 3600 + minutes * 60 + seconds))
}

/// The zones RFC 5322 section 4.3 names, `UTC`, and `±hhmm`.
fn named_zone(name: &str) -> Result<Offset, Error> {
    let hours = match name.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        _ => return numeric_zone(name),
    };
    Ok(Offset::east(hours, 0))
}

fn numeric_zone(text: &str) -> Result<Offset, Error> {
    let bad = || Error::Field("zone", text.to_string());
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => return Err(bad()),
    };
    let hhmm: u32 = number(digits, 4).ok_or_else(bad)?;
    let (hours, minutes) = (hhmm / 100, hhmm % 100);
    if hours > 23 || minutes > 59 {
        return Err(bad());
    }
    Ok(Offset::east(sign * hours as i32, sign * minutes as i32))
}

/// A weekday name must be the day the date falls on, `days` after
/// 1970-01-01 (the date as written, not moved to UTC).
fn check_weekday(name: &str, days: i64) -> Result<(), Error> {
    let bad = || Error::Field("weekday", name.to_string());
    let given =
        WEEKDAY_NAMES.iter().position(|day| day.eq_ignore_ascii_case(name)).ok_or_else(bad)?;
    // 1970-01-01 was a Thursday, day 4 counting from Sunday.
    let actual = (days + 4).rem_euclid(7) as usize;
    if given == actual {
        Ok(())
    } else {
        Err(bad())
    }
}

/// Exactly `width` digits.
fn number(text: &str, width: usize) -> Option<u32> {
    (text.len() == width && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
}

/// `N` numbers of one or two digits separated by `separator`.
fn numbers<const N: usize>(text: &str, separator: char) -> Option<[u32; N]> {
    let mut parts = text.split(separator);
    let mut values = [0; N];
    for value in &mut values {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *value = part.parse().ok()?;
    }
    parts.next().is_none().then_some(values)
}

#[cfg(test)]
mod tests {
    //! Examples from each format's own specification or documentation, and a
    //! round trip of random instants through every format.

    use super::*;
    use crate::test_random::Random;

    #[track_caller]
    fn check(line: &str, unix_seconds: f64, format: Format) {
        let parsed = parse(line, Offset::UTC).unwrap_or_else(|err| panic!("{line}: {err}"));
        assert_eq!((parsed.unix_seconds, parsed.format), (unix_seconds, format), "{line}");
    }

    #[track_caller]
    fn check_error(line: &str) {
        assert!(parse(line, Offset::UTC).is_err(), "{line} was read as a date");
    }

    #[test]
    fn ctime_as_its_manual_prints_it() {
        // ctime(3): "Wed Jun 30 21:49:08 1993\n".
        check("Wed Jun 30 21:49:08 1993\n", 741_476_948.0, Format::Ctime);
        check("Wed Nov 25 15:45:48 2026", 1_795_621_548.0, Format::Ctime);
        // The day of the month is padded with a space.
        check("Sun Nov  1 00:00:00 2026", 1_793_491_200.0, Format::Ctime);
        // Zone-less: read at the offset given, here an hour east of UTC.
        let at = parse("Wed Nov 25 16:45:48 2026", Offset::east(1, 0)).unwrap();
        assert_eq!(at.unix_seconds, 1_795_621_548.0);
    }

    #[test]
    fn xinetd_writes_an_upper_case_month_and_utc() {
        check("25 NOV 2026 15:45:48 UTC", 1_795_621_548.0, Format::Xinetd);
    }

    #[test]
    fn rfc_5322_and_imf_fixdate() {
        // RFC 9110 section 5.6.7, the preferred format.
        check("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777.0, Format::Rfc5322);
        // RFC 5322 appendix A.1.1.
        check("Fri, 21 Nov 1997 09:55:06 -0600", 880_127_706.0, Format::Rfc5322);
        // RFC 5322 appendix A.5, an odd zone and a date before 1970.
        check("Thu, 13 Feb 1969 23:32:54 -0330", -27_723_426.0, Format::Rfc5322);
        // Obsolete zone names (RFC 5322 section 4.3), and no weekday.
        check("21 Nov 1997 10:55:06 CDT", 880_127_706.0, Format::Rfc5322);
    }

    #[test]
    fn iso_8601_as_rfc_3339_gives_it() {
        // RFC 3339 section 5.8.
        check("1985-04-12T23:20:50.52Z", 482_196_050.52, Format::Iso8601);
        check("1996-12-19T16:39:57-08:00", 851_042_397.0, Format::Iso8601);
        check("2026-11-25 15:45:48", 1_795_621_548.0, Format::Iso8601);
    }

    #[test]
    fn nist_acts_starts_with_the_modified_julian_date() {
        // NIST's daytime format: JJJJJ YR-MO-DA HH:MM:SS TT L H msADV UTC(NIST) OTM.
        check("61369 26-11-25 15:45:48 00 0 0 50.0 UTC(NIST) *", 1_795_621_548.0, Format::NistActs);
        // The two-digit date must agree with the MJD.
        check_error("61368 26-11-25 15:45:48 00 0 0 50.0 UTC(NIST) *");
    }

    #[test]
    fn what_is_not_a_date_is_refused() {
        check_error("hello world");
        check_error("");
        check_error("Mon Nov 25 15:45:48 2026"); // 2026-11-25 is a Wednesday.
        check_error("Wed Feb 30 15:45:48 2026");
        check_error("Wed Nov 25 24:00:00 2026");
        check_error("25 NOV 2026 15:45:48 XYZ");
        check_error("2026-13-01T00:00:00Z");
        assert_eq!(
            parse("hello world", Offset::UTC).unwrap_err().to_string(),
            "not a date in any known daytime format"
        );
    }

    /// The civil fields of `unix_seconds`, by counting days (independent of
    /// the parser's arithmetic): year, month 1-12, day, weekday 0-6 from
    /// Sunday, and seconds of the day.
    fn civil_fields(unix_seconds: i64) -> (i64, usize, i64, usize, i64) {
        let mut days = unix_seconds.div_euclid(86_400);
        let weekday = (days + 4).rem_euclid(7) as usize;
        let mut year = 1970;
        loop {
            let length =
                if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 { 366 } else { 365 };
            if days < length {
                break;
            }
            days -= length;
            year += 1;
        }
        let mut month = 0;
        loop {
            let length = i64::from(days_in_month(year as u32, month as u32 + 1));
            if days < length {
                break;
            }
            days -= length;
            month += 1;
        }
        (year, month + 1, days + 1, weekday, unix_seconds.rem_euclid(86_400))
    }

    /// `unix_seconds` written in `format`, as a server of that kind writes it.
    fn write(format: Format, unix_seconds: i64) -> String {
        let (year, month, day, weekday, seconds) = civil_fields(unix_seconds);
        let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
        let (wday, mon) = (WEEKDAY_NAMES[weekday], MONTH_NAMES[month - 1]);
        match format {
            Format::Ctime => format!("{wday} {mon} {day:>2} {h:02}:{m:02}:{s:02} {year}"),
            Format::Xinetd => {
                format!("{day:02} {} {year} {h:02}:{m:02}:{s:02} UTC", mon.to_ascii_uppercase())
            }
            Format::Rfc5322 => format!("{wday}, {day:02} {mon} {year} {h:02}:{m:02}:{s:02} +0000"),
            Format::Iso8601 => format!("{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z"),
            Format::NistActs => format!(
                "{} {:02}-{month:02}-{day:02} {h:02}:{m:02}:{s:02} 00 0 0 50.0 UTC(NIST) *",
                unix_seconds.div_euclid(86_400) + 40_587,
                year % 100
            ),
        }
    }

    #[test]
    fn random_instants_read_back_exactly_in_every_format() {
        const FORMATS: [Format; 5] =
            [Format::Ctime, Format::Xinetd, Format::Rfc5322, Format::Iso8601, Format::NistActs];
        // 1970-01-01 to the end of 2099.
        const END: u64 = 4_102_444_800;
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let (mut months, mut weekdays) = ([0; 12], [0; 7]);
        for _ in 0..2_000 {
            let instant = random.below(END) as i64;
            let (_, month, _, weekday, _) = civil_fields(instant);
            months[month - 1] += 1;
            weekdays[weekday] += 1;
            for format in FORMATS {
                let line = write(format, instant);
                let parsed =
                    parse(&line, Offset::UTC).unwrap_or_else(|err| panic!("{line}: {err}"));
                assert_eq!(
                    (parsed.unix_seconds, parsed.format),
                    (instant as f64, format),
                    "{line}"
                );
            }
        }
        assert!(months.iter().all(|&n| n > 0), "a month never came up: {months:?}");
        assert!(weekdays.iter().all(|&n| n > 0), "a weekday never came up: {weekdays:?}");
    }
}
