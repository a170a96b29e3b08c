//! The side-car counter: a service that reports its own request count.
//!
//! The service answers a TCP connection with one JSON object:
//!
//! ```text
//! {"launched": "2020-11-04T17:57:42.448578", "requests": 2}
//! ```
//!
//! The talk's reader takes what one `recv` brings and parses it, so a
//! service need not close after its reply; this reader stops as soon as
//! the bytes read hold one whole JSON value ([`crate::json::ValueEnd`]),
//! or at a close, the byte cap or the deadline, whichever comes first.
//! Bytes that came in the same read as the value's end are judged with
//! it (white space is fine, anything else is not JSON); what the service
//! sends later is never read. The count is a whole number however it is
//! written: a service that counts in floats sends `2.0`.
//!
//! The count becomes a counter, `<metric>_total`, and the launch time its
//! `<metric>_created`. A counter only goes up until its process restarts;
//! the launch time is what lets Prometheus tell a restart (a reset) from
//! a count that went down.

use super::{Finding, ProbeError};
use crate::json::{self, IntegerError, Value};
use crate::target::CounterSpec;
use crate::time;

/// A counter reply is one small object; 64 KiB is far more than enough.
pub const MAX_REPLY: usize = 64 * 1024;

/// The largest count a float holds exactly: 2^53, which itself counts.
/// Prometheus stores samples as floats, so a larger count would be
/// silently rounded.
pub const MAX_REQUESTS: u64 = 1 << 53;

/// Finds the count and the launch time in a reply.
pub fn parse_reply(reply: &[u8], spec: &CounterSpec) -> Result<Finding, ProbeError> {
    let protocol = ProbeError::Protocol;
    let value = json::parse(reply).map_err(|err| protocol(format!("invalid JSON: {err}")))?;
    if !matches!(value, Value::Object(_)) {
        return Err(protocol(format!("expected a JSON object, found {}", value.kind())));
    }
    let requests = field(&value, &spec.requests_field)?;
    let requests = match requests {
        Value::Number(number) => count(number).map_err(|why| {
            protocol(format!(
                "`{}` is {}, {why}",
                spec.requests_field,
                abbreviated(number.as_str())
            ))
        })?,
        other => {
            return Err(protocol(format!(
                "`{}` is {}, not a number",
                spec.requests_field,
                other.kind()
            )))
        }
    };
    let launched = match &spec.launched_field {
        Some(name) => Some(launch_time(&value, name, spec)?),
        None => None,
    };
    Ok(Finding::Counter { requests, launched })
}

/// The number as a count, a whole number from 0 to [`MAX_REQUESTS`]
/// however it is written; or why it is none, as the message ends.
fn count(number: &json::Number) -> Result<u64, &'static str> {
    match number.as_u64() {
        Ok(count) if count <= MAX_REQUESTS => Ok(count),
        Ok(_) | Err(IntegerError::OutOfRange) => Err("out of range (a count is from 0 to 2^53)"),
        Err(IntegerError::Fraction) => Err("not a whole number"),
    }
}

/// The most characters of a number a message quotes: enough for any
/// count, and a reply of 64 KiB of digits is not logged whole.
const QUOTED_NUMBER_CHARS: usize = 40;

/// `number` as a message quotes it: whole if short, else its start and
/// how long it is (`12345…(70000 characters)`). A JSON number is ASCII,
/// so any byte is a character boundary.
fn abbreviated(number: &str) -> std::borrow::Cow<'_, str> {
    if number.len() <= QUOTED_NUMBER_CHARS {
        return number.into();
    }
    format!("{}…({} characters)", &number[..QUOTED_NUMBER_CHARS], number.len()).into()
}

/// The launch time in field `name`, as Unix seconds.
fn launch_time(object: &Value, name: &str, spec: &CounterSpec) -> Result<f64, ProbeError> {
    match field(object, name)? {
        Value::String(text) => time::parse_iso8601(text, spec.launched_offset).map_err(|err| {
            ProbeError::Protocol(format!("`{name}` is not an ISO 8601 time: {err}"))
        }),
        other => Err(ProbeError::Protocol(format!("`{name}` is {}, not a string", other.kind()))),
    }
}

fn field<'a>(object: &'a Value, name: &str) -> Result<&'a Value, ProbeError> {
    object.get(name).ok_or_else(|| ProbeError::Protocol(format!("no `{name}` field")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(reply: &str, expected: Result<(u64, f64), &str>) {
        let parsed = parse_reply(reply.as_bytes(), &CounterSpec::default());
        match (parsed, expected) {
            (Ok(Finding::Counter { requests, launched }), Ok((want_requests, want_launched))) => {
                assert_eq!(requests, want_requests);
                let launched = launched.expect("a launch time");
                assert!((launched - want_launched).abs() < 1e-6, "{launched} != {want_launched}");
            }
            (Err(err), Err(want)) => assert_eq!(err.to_string(), want),
            (got, want) => panic!("{reply}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn reads_the_talks_reply() {
        // 2020-11-04T17:57:42.448578 UTC is 1604512662.448578 Unix seconds.
        check(
            r#"{"launched": "2020-11-04T17:57:42.448578", "requests": 2}"#,
            Ok((2, 1604512662.448578)),
        );
        check(
            r#"{"requests": 0, "launched": "1970-01-01T00:00:00Z", "extra": [1, {"a": null}]}"#,
            Ok((0, 0.0)),
        );
        check(
            r#"{"requests": 9007199254740992, "launched": "2020-01-01T01:00:00+01:00"}"#,
            Ok((1 << 53, 1577836800.0)),
        );
    }

    #[test]
    fn a_whole_number_is_a_count_however_it_is_written() {
        let with = |requests: &str| {
            format!(r#"{{"requests": {requests}, "launched": "1970-01-01T00:00:00"}}"#)
        };
        for two in ["2", "2.0", "2e0", "2.000", "0.2e1", "20E-1"] {
            check(&with(two), Ok((2, 0.0)));
        }
        // -0 is zero, as JSON reads it, and a count may be zero.
        check(&with("-0"), Ok((0, 0.0)));
        check(&with("-0.0"), Ok((0, 0.0)));
        // 2^53 itself is exact in a float, however it is written.
        check(&with("9007199254740992"), Ok((1 << 53, 0.0)));
        check(&with("9.007199254740992e15"), Ok((1 << 53, 0.0)));
    }

    #[test]
    fn a_service_without_a_launch_time_has_none() {
        let spec = CounterSpec { launched_field: None, ..CounterSpec::default() };
        let finding = parse_reply(br#"{"requests": 7}"#, &spec).unwrap();
        assert_eq!(finding, Finding::Counter { requests: 7, launched: None });
    }

    #[test]
    fn rejects_what_is_not_a_count() {
        let with = |requests: &str| {
            format!(r#"{{"launched": "2020-11-04T17:57:42", "requests": {requests}}}"#)
        };
        let range = "out of range (a count is from 0 to 2^53)";
        check(&with("-1"), Err(&format!("bad reply: `requests` is -1, {range}")));
        check(&with("2.5"), Err("bad reply: `requests` is 2.5, not a whole number"));
        check(&with("-2.5"), Err("bad reply: `requests` is -2.5, not a whole number"));
        check(&with("1e-400"), Err("bad reply: `requests` is 1e-400, not a whole number"));
        check(
            &with("9007199254740993"),
            Err(&format!("bad reply: `requests` is 9007199254740993, {range}")),
        );
        check(&with("1e400"), Err(&format!("bad reply: `requests` is 1e400, {range}")));
        let digits = "9".repeat(70_000);
        let quoted = format!("{}…(70000 characters)", &digits[..40]);
        check(&with(&digits), Err(&format!("bad reply: `requests` is {quoted}, {range}")));
        check(&with("\"2\""), Err("bad reply: `requests` is string, not a number"));
        check(r#"{"launched": "2020-11-04T17:57:42"}"#, Err("bad reply: no `requests` field"));
        check("[1, 2]", Err("bad reply: expected a JSON object, found array"));
        check(
            r#"{"requests": 1, "launched": 5}"#,
            Err("bad reply: `launched` is number, not a string"),
        );
        assert!(parse_reply(
            br#"{"requests": 1, "launched": "2020-13-01T00:00:00"}"#,
            &CounterSpec::default()
        )
        .is_err());
        assert!(parse_reply(br#"{"requests": 1, "#, &CounterSpec::default()).is_err());
    }
}
