//! The proleptic Gregorian calendar in UTC: days from 1970-01-01 and back,
//! month lengths, and the fields of an instant, for the parsers and the
//! formatters beside it. Howard Hinnant's `days_from_civil` and its inverse,
//! with no table and no loop.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds in a day of Unix time, which has no leap seconds.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// Abbreviated names as `asctime` and the HTTP `Date` header print them,
/// Sunday first.
pub const WEEKDAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Abbreviated names as `asctime` and the HTTP `Date` header print them,
/// January first.
pub const MONTH_NAMES: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The UTC calendar fields of an instant, which the formatters print.
pub struct CivilTime {
    days_since_epoch: i64,
    /// The year, which may be negative or above 9999.
    pub year: i64,
    /// 1-12.
    pub month: u32,
    /// 1-31.
    pub day: u32,
    /// 0-23.
    pub hour: u32,
    /// 0-59.
    pub minute: u32,
    /// 0-59.
    pub second: u32,
    /// The nanoseconds after the second.
    pub nanos: u32,
}

impl CivilTime {
    /// The fields of `time`, in UTC.
    pub fn from_system_time(time: SystemTime) -> CivilTime {
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
    pub fn weekday_name(&self) -> &'static str {
        // 1970-01-01, day zero, was a Thursday. The remainder is 0-6.
        WEEKDAY_NAMES[(self.days_since_epoch + 4).rem_euclid(7) as usize]
    }

    /// `Jan` to `Dec`.
    pub fn month_name(&self) -> &'static str {
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
pub fn is_leap_year(year: u32) -> bool {
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
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
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
}
