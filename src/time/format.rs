//! Instants written as others expect them: the two shapes the demo
//! services send (ISO 8601 with microseconds, and the ctime line of a
//! daytime server), the `ts=` of a log line, the HTTP `Date` header, and the
//! build date of `--version`. All in UTC.

use std::time::SystemTime;

use super::calendar::CivilTime;

/// Formats `time` in UTC as `2020-11-04T17:57:42.448578`: six fraction
/// digits and no zone, the shape the counter service sends.
///
/// The microseconds are truncated, not rounded, so the text never names a
/// later instant than `time`. Instants before 1970 are formatted as well;
/// years outside 0000-9999 come out with a sign or a fifth digit, which
/// [`parse_iso8601`](super::iso8601::parse_iso8601) does not read back.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::iso8601::{parse_iso8601, Offset};
    use std::time::{Duration, UNIX_EPOCH};

    /// The instant `seconds` (negative before 1970) plus `nanos` after the epoch.
    fn instant(seconds: i64, nanos: u32) -> SystemTime {
        let whole = Duration::from_secs(seconds.unsigned_abs());
        let start = if seconds < 0 { UNIX_EPOCH - whole } else { UNIX_EPOCH + whole };
        start + Duration::from_nanos(nanos.into())
    }

    #[track_caller]
    fn check_round_trip(seconds: i64, micros: u32) {
        let time = instant(seconds, micros * 1000);
        let text = format_iso8601_micros(time);
        let expected = seconds as f64 + f64::from(micros) / 1e6;
        let actual = parse_iso8601(&text, Offset::UTC).unwrap();
        assert!((actual - expected).abs() < 1e-6, "{text}: expected {expected}, got {actual}");
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
}
