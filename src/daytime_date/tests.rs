//! Examples from each format's own specification or documentation, and a
//! round trip of random instants through every format.

use super::*;

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

/// A small seeded generator (xorshift64*), so the test needs no crate and
/// fails the same way every time.
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// The civil fields of `unix_seconds`, by counting days (independent of
/// the parser's arithmetic): year, month 1-12, day, weekday 0-6 from
/// Sunday, and seconds of the day.
fn civil_fields(unix_seconds: i64) -> (i64, usize, i64, usize, i64) {
    let mut days = unix_seconds.div_euclid(86_400);
    let weekday = (days + 4).rem_euclid(7) as usize;
    let mut year = 1970;
    loop {
        let length = if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 { 366 } else { 365 };
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
            let parsed = parse(&line, Offset::UTC).unwrap_or_else(|err| panic!("{line}: {err}"));
            assert_eq!((parsed.unix_seconds, parsed.format), (instant as f64, format), "{line}");
        }
    }
    assert!(months.iter().all(|&n| n > 0), "a month never came up: {months:?}");
    assert!(weekdays.iter().all(|&n| n > 0), "a weekday never came up: {weekdays:?}");
}
