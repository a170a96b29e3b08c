//! Date-times: the parser answers for any text, and valid ISO 8601 texts
//! parse to the seconds the civil calendar gives.

use probe_exporter::time::{self, Offset};

use crate::support::rng::{check_property, hostile_input, CASES};

const DATE_TIMES: &[&[u8]] = &[
    b"2020-11-04T17:57:42.448578",
    b"2020-11-04T17:57:42Z",
    b"1999-12-31t23:59:59.999999999999-08:00",
    b"2000-02-29 00:00:00+14:00",
    b"0000-01-01T00:00:00.5z",
];

#[test]
fn time_parser_answers_ok_or_err_for_any_text() {
    check_property("time::parse_iso8601 never panics", CASES, |rng| {
        let input = hostile_input(rng, DATE_TIMES);
        let text = String::from_utf8_lossy(&input);
        if let Ok(seconds) = time::parse_iso8601(&text, Offset::UTC) {
            assert!(seconds.is_finite(), "{text:?} gave {seconds}");
        }
        // An offset that parses is written `+hh:mm` or `-hh:mm`, which
        // parses back to the same offset.
        if let Ok(offset) = Offset::parse(&text) {
            assert_eq!(Offset::parse(&offset.to_string()), Ok(offset), "{text:?}");
        }
    });
}

/// Days from 1970-01-01 to the date, counted one year and one month at a
/// time: slow, and plainly the Gregorian calendar.
fn days_since_epoch(year: i64, month: u32, day: u32) -> i64 {
    let year_days = |year: i64| if is_leap_year(year) { 366 } else { 365 };
    let mut days: i64 = if year >= 1970 {
        (1970..year).map(year_days).sum()
    } else {
        -(year..1970).map(year_days).sum::<i64>()
    };
    days += (1..month).map(|m| i64::from(days_in_month(year, m))).sum::<i64>();
    days + i64::from(day) - 1
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[test]
fn valid_date_times_parse_to_the_seconds_the_calendar_gives() {
    check_property("time: date-time -> Unix seconds", CASES, |rng| {
        let year = rng.between(0, 9999);
        let month = rng.between(1, 12);
        let day = rng.between(1, days_in_month(i64::from(year), month));
        let (hour, minute, second) = (rng.between(0, 23), rng.between(0, 59), rng.between(0, 59));
        let mut text = format!("{year:04}-{month:02}-{day:02}");
        text.push(*rng.pick(&['T', 't', ' ']));
        text.push_str(&format!("{hour:02}:{minute:02}:{second:02}"));
        // Digits after the ninth are read but ignored.
        let mut nanos = 0;
        if rng.one_in(2) {
            text.push('.');
            for place in 0..rng.between(1, 12) {
                let digit = rng.below(10) as u32;
                text.push(char::from(b'0' + digit as u8));
                if place < 9 {
                    nanos += digit * 10u32.pow(8 - place);
                }
            }
        }
        let default_offset_minutes = rng.between(0, 23 * 60 + 59) as i64 * *rng.pick(&[1, -1]);
        let offset_minutes = match rng.below(3) {
            0 => default_offset_minutes,
            1 => {
                text.push(*rng.pick(&['Z', 'z']));
                0
            }
            _ => {
                let minutes = rng.between(0, 23 * 60 + 59) as i64 * *rng.pick(&[1, -1]);
                text.push_str(&offset_text(minutes));
                minutes
            }
        };
        let default_offset = Offset::parse(&offset_text(default_offset_minutes)).unwrap();

        let local = days_since_epoch(i64::from(year), month, day) * 86_400
            + i64::from(hour * 3600 + minute * 60 + second);
        let expected = (local - offset_minutes * 60) as f64 + f64::from(nanos) * 1e-9;
        let parsed = time::parse_iso8601(&text, default_offset)
            .unwrap_or_else(|err| panic!("{text:?}: {err}"));
        // A few ulps: an f64 near year 9999 resolves only tens of µs.
        let tolerance = (expected.abs() * 4.0 * f64::EPSILON).max(1e-6);
        assert!((parsed - expected).abs() <= tolerance, "{text:?}: {parsed} != {expected}");
    });
}

/// `+hh:mm` or `-hh:mm` for an offset in minutes.
fn offset_text(minutes: i64) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let minutes = minutes.abs();
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}
