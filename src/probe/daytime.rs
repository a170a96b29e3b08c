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
//! printable text is a success.

use super::ProbeError;

/// A daytime reply is one short line; anything longer is not one.
pub const MAX_REPLY: usize = 512;

/// The first line of the reply, which must be non-empty printable text.
pub fn parse_reply(reply: &[u8]) -> Result<String, ProbeError> {
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
    Ok(line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(reply: &[u8], expected: Result<&str, &str>) {
        let parsed = parse_reply(reply).map_err(|err| err.to_string());
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
}
