//! The synthetic query: RFC 867, the daytime protocol.
//!
//! A daytime service sends the date and time as one line of text to
//! whoever connects, then closes; the client sends nothing. It is the
//! simplest service there is, which makes it the talk's example of an
//! exporter's judo: time a real exchange with the service, and whether it
//! worked and how long it took become the metrics.
//!
//! ```text
//! $ nc localhost 1113
//! Sat Oct 31 18:15:12 2020
//! ```
//!
//! RFC 867 fixes no format for the line, so any non-empty line of
//! printable text is a success; but when it is a date in one of the
//! formats [`crate::time::daytime`] reads, the remote host's clock is kept
//! too, and with `expect = date` a line that is no date fails the probe.

use super::{Finding, ProbeError};
use crate::target::DaytimeSpec;
use crate::time::daytime;

/// A daytime reply is one short line; anything longer is not one.
pub const MAX_REPLY: usize = 512;

/// The first line of the reply, and the time it names if it is a date.
pub fn parse_reply(mut reply: Vec<u8>, spec: &DaytimeSpec) -> Result<Finding, ProbeError> {
    let line = first_line(&reply)?;
    let remote_time = match daytime::parse(line, spec.zone) {
        Ok(time) => Some(time.unix_seconds),
        Err(err) if spec.expect_date => return Err(ProbeError::Protocol(err.to_string())),
        Err(_) => None,
    };
    // The line starts the reply: the reply's own buffer becomes it.
    reply.truncate(line.len());
    let line = String::from_utf8(reply)
        .map_err(|_| ProbeError::Protocol("the daytime line is not UTF-8 text".to_string()))?;
    Ok(Finding::Daytime { line, remote_time })
}

/// The first line of the reply, which must be non-empty printable text.
fn first_line(reply: &[u8]) -> Result<&str, ProbeError> {
    let line = reply.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = std::str::from_utf8(line)
        .map_err(|_| ProbeError::Protocol("the daytime line is not UTF-8 text".to_string()))?;
    if line.trim().is_empty() {
        return Err(ProbeError::Protocol("empty daytime reply".to_string()));
    }
    if line.chars().any(|c| c.is_control() && c != '\t') {
        return Err(ProbeError::Protocol("the daytime line has control characters".to_string()));
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(reply: &[u8], expected: Result<&str, &str>) {
        let parsed = first_line(reply).map_err(|err| err.to_string());
        assert_eq!(parsed.as_deref(), expected.map_err(str::to_string).as_deref());
    }

    #[test]
    fn reads_the_first_line() {
        check(b"Sat Oct 31 18:15:12 2020\r\n", Ok("Sat Oct 31 18:15:12 2020"));
        check(
            b"Tuesday, February 22, 1982 17:37:43-PST\n",
            Ok("Tuesday, February 22, 1982 17:37:43-PST"),
        );
        check(b"no line end", Ok("no line end"));
        check(b"first\r\nsecond\r\n", Ok("first"));
        check(b"", Err("bad reply: empty daytime reply"));
        check(b"\r\n", Err("bad reply: empty daytime reply"));
        check(b"\xff\xfe\r\n", Err("bad reply: the daytime line is not UTF-8 text"));
        check(b"a\x07b\r\n", Err("bad reply: the daytime line has control characters"));
    }

    #[test]
    fn a_date_is_read_as_the_remote_clock() {
        let any_line = DaytimeSpec::default();
        let finding = parse_reply(b"Wed Nov 25 15:45:48 2026\r\n".to_vec(), &any_line).unwrap();
        let Finding::Daytime { remote_time, .. } = finding else { panic!("{finding:?}") };
        assert_eq!(remote_time, Some(1_795_621_548.0));
        let finding = parse_reply(b"hello world\r\n".to_vec(), &any_line).unwrap();
        assert!(matches!(finding, Finding::Daytime { remote_time: None, .. }), "{finding:?}");

        let dates_only = DaytimeSpec { expect_date: true, ..DaytimeSpec::default() };
        let err = parse_reply(b"hello world\r\n".to_vec(), &dates_only).unwrap_err();
        assert_eq!(err.to_string(), "bad reply: not a date in any known daytime format");
    }
}
