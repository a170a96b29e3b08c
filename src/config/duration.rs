//! Durations as the flags and the file write them: `500ms`, `2s`, `1.5s`,
//! `5m`, `1h`. Prometheus's own flags use the same units.

use std::time::Duration;

/// Parses a duration such as `500ms`, `2s`, `1.5s`, `5m` or `1h`.
pub fn parse_duration(text: &str, allow_zero: bool) -> Result<Duration, String> {
    let unit_start = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(unit_start);
    let seconds_per_unit = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("`{text}` is not a duration like 500ms, 2s, 1.5s, 5m or 1h")),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 500ms, 2s, 1.5s, 5m or 1h"))?;
    let seconds = value * seconds_per_unit;
    if !(0.0..=86_400.0).contains(&seconds) {
        return Err(format!("`{text}` is out of range (1ms to 1 day)"));
    }
    // Checked after the conversion: a tiny value rounds to zero, and a
    // zero timeout would make every read fail at once.
    let duration = Duration::from_secs_f64(seconds);
    if !allow_zero && duration < Duration::from_millis(1) {
        return Err(format!("`{text}` is out of range (1ms to 1 day)"));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_number_and_a_unit() {
        assert_eq!(parse_duration("500ms", false), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s", false), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("5m", false), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h", false), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0s", true), Ok(Duration::ZERO));
        for bad in ["", "5", "s", "0s", "0.0000001s", "-1s", "1d", "1.2.3s", "2S", "1e3s"] {
            assert!(parse_duration(bad, false).is_err(), "{bad}");
        }
    }
}
