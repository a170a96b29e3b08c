//! Bytes into a request head: the request line, the header lines, and the
//! checks that keep two servers from disagreeing on where a request ends or
//! which host it is for. Sans-IO: the caller owns the socket and the buffer.

use std::fmt;

use super::request::{Request, Version, MAX_HEADERS, MAX_HEADER_BYTES, MAX_REQUEST_LINE};
use super::response::Status;
use super::uri::{parse_host_port, parse_target};

/// What [`parse_request`] made of the bytes it was given.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole request head, and the number of bytes it took.
    Complete(Request, usize),
    /// The head is not complete yet; read more and call again.
    Partial,
}

/// Why a request head was rejected. Each kind maps to one status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The request line is not `method SP target SP version`.
    RequestLine,
    /// The request line is longer than [`MAX_REQUEST_LINE`].
    RequestLineTooLong,
    /// The request target is in none of the forms of RFC 9112 section 3.2
    /// (`metrics`, `%2Fmetrics`), or in one that its method may not use
    /// (`GET *`, `GET host:443`).
    RequestTarget,
    /// The headers are longer than [`MAX_HEADER_BYTES`] or [`MAX_HEADERS`].
    HeadersTooLarge,
    /// A header line is not `name: value`.
    Header,
    /// The version is well-formed but not HTTP/1.x.
    UnsupportedVersion,
    /// A `%` not followed by two hex digits, or a decoded path or query
    /// that is not UTF-8.
    PercentEncoding,
    /// An HTTP/1.1 request without a `Host` header (RFC 9112 section 3.2).
    MissingHost,
    /// Two `Host` header lines, or a `Host` that is not `host[:port]`
    /// (RFC 9112 section 3.2).
    BadHost,
    /// A `Content-Length` that is not a number, or two that disagree.
    ContentLength,
    /// A `Transfer-Encoding` whose last coding is not `chunked`, or one in
    /// an HTTP/1.0 request (RFC 9112 sections 6.3 and 6.1).
    TransferEncoding,
    /// Both `Transfer-Encoding` and `Content-Length` (RFC 9112 section 6.1).
    TransferEncodingWithContentLength,
}

impl ParseError {
    /// The status code that tells the client what was wrong.
    pub fn status(self) -> Status {
        match self {
            ParseError::RequestLineTooLong => Status::URI_TOO_LONG,
            ParseError::HeadersTooLarge => Status::HEADERS_TOO_LARGE,
            ParseError::UnsupportedVersion => Status::VERSION_NOT_SUPPORTED,
            ParseError::RequestLine
            | ParseError::RequestTarget
            | ParseError::Header
            | ParseError::PercentEncoding
            | ParseError::MissingHost
            | ParseError::BadHost
            | ParseError::ContentLength
            | ParseError::TransferEncoding
            | ParseError::TransferEncodingWithContentLength => Status::BAD_REQUEST,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            ParseError::RequestLine => "malformed request line",
            ParseError::RequestLineTooLong => "request line too long",
            ParseError::RequestTarget => "request target in no form its method may use",
            ParseError::HeadersTooLarge => "request headers too large",
            ParseError::Header => "malformed header line",
            ParseError::UnsupportedVersion => "unsupported HTTP version",
            ParseError::PercentEncoding => "malformed percent-encoding",
            ParseError::MissingHost => "HTTP/1.1 request without a Host header",
            ParseError::BadHost => "invalid or repeated Host header",
            ParseError::ContentLength => "malformed Content-Length",
            ParseError::TransferEncoding => {
                "Transfer-Encoding not ending in chunked, or in an HTTP/1.0 request"
            }
            ParseError::TransferEncodingWithContentLength => {
                "both Transfer-Encoding and Content-Length"
            }
        };
        f.write_str(text)
    }
}

impl std::error::Error for ParseError {}

/// Parses one request head from the start of `buf`.
///
/// ```text
/// HTTP-message = start-line CRLF *( field-line CRLF ) CRLF   (RFC 9112 §2.1)
/// request-line = method SP request-target SP HTTP-version    (RFC 9112 §3)
/// field-line   = field-name ":" OWS field-value OWS          (RFC 9112 §5)
/// ```
///
/// Example: `GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n`.
///
/// A bare LF is accepted as a line ending, and empty lines before the
/// request line are skipped, as RFC 9112 section 2.2 allows.
///
/// The limits are checked on partial input too, so a caller that reads
/// until this returns `Complete` or an error never buffers more than
/// [`MAX_REQUEST_LINE`] + [`MAX_HEADER_BYTES`] and one read. A limit gives
/// the same answer however the input is split: a prefix of a head that
/// fits never exceeds one.
pub fn parse_request(buf: &[u8]) -> Result<Parsed, ParseError> {
    let Some((request_line, mut lines)) = find_request_line(buf)? else {
        return Ok(Parsed::Partial);
    };
    let (method, target, version) = parse_request_line(request_line)?;
    let Some(headers) = parse_headers(&mut lines)? else {
        return Ok(Parsed::Partial);
    };
    let (path, query) = parse_target(method, target)?;
    let request = Request {
        method: method.to_string(),
        target: target.to_string(),
        path,
        query,
        version,
        headers,
    };
    check_host(&request)?;
    check_framing(&request)?;
    Ok(Parsed::Complete(request, lines.pos))
}

/// Iterates over lines ending in LF, without the line ending (and
/// without a CR before the LF).
struct Lines<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Lines<'a> {
    /// The next whole line, or `None` if no LF has arrived yet.
    fn next_line(&mut self) -> Option<&'a [u8]> {
        let rest = &self.buf[self.pos..];
        let newline = rest.iter().position(|&b| b == b'\n')?;
        self.pos += newline + 1;
        let line = &rest[..newline];
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
}

/// Skips the empty lines before the request line and returns it, with the
/// lines that follow it; `None` until its LF has arrived.
///
/// RFC 9112 section 2.2: "a server that is expecting to receive and parse
/// a request-line SHOULD ignore at least one empty line (CRLF) received
/// prior to the request-line". The skipped bytes count toward
/// [`MAX_REQUEST_LINE`] whether they arrive with the request line or
/// before it: without them, 5,000 CRLFs and a request line would pass in
/// one read and fail in two.
fn find_request_line(buf: &[u8]) -> Result<Option<(&[u8], Lines<'_>)>, ParseError> {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(buf.len());
    let mut lines = Lines { buf, pos: start };
    let Some(request_line) = lines.next_line() else {
        // No LF yet: all of `buf` is empty lines and the start of the
        // request line, perhaps with the CR of its CRLF, which is no more
        // part of the line than the LF will be.
        if buf.strip_suffix(b"\r").unwrap_or(buf).len() > MAX_REQUEST_LINE {
            return Err(ParseError::RequestLineTooLong);
        }
        return Ok(None);
    };
    if start + request_line.len() > MAX_REQUEST_LINE {
        return Err(ParseError::RequestLineTooLong);
    }
    Ok(Some((request_line, lines)))
}

/// `request-line = method SP request-target SP HTTP-version`
fn parse_request_line(line: &[u8]) -> Result<(&str, &str, Version), ParseError> {
    let line = std::str::from_utf8(line).map_err(|_| ParseError::RequestLine)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::RequestLine);
    };
    if !is_token(method) || target.is_empty() || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ParseError::RequestLine);
    }
    Ok((method, target, parse_version(version)?))
}

/// `HTTP-version = HTTP-name "/" DIGIT "." DIGIT`
///
/// A later minor version of HTTP/1 is read as HTTP/1.1. RFC 9110 section
/// 2.5: a recipient of "a minor version number higher than what it
/// implements SHOULD process the message as if it were in the highest
/// minor version within that major version to which the recipient is
/// conformant". Another major version is 505.
fn parse_version(text: &str) -> Result<Version, ParseError> {
    let Some(&[major, b'.', minor]) = text.strip_prefix("HTTP/").map(str::as_bytes) else {
        return Err(ParseError::RequestLine);
    };
    if !major.is_ascii_digit() || !minor.is_ascii_digit() {
        return Err(ParseError::RequestLine);
    }
    match (major, minor) {
        (b'1', b'0') => Ok(Version::Http10),
        (b'1', _) => Ok(Version::Http11),
        _ => Err(ParseError::UnsupportedVersion),
    }
}

/// `*( field-line CRLF ) CRLF`: the header lines up to the empty line
/// that ends the head; `None` until it has arrived.
fn parse_headers(lines: &mut Lines<'_>) -> Result<Option<Vec<(String, String)>>, ParseError> {
    let start = lines.pos;
    let mut headers = Vec::new();
    loop {
        let Some(line) = lines.next_line() else {
            if lines.buf.len() - start > MAX_HEADER_BYTES {
                return Err(ParseError::HeadersTooLarge);
            }
            return Ok(None);
        };
        if lines.pos - start > MAX_HEADER_BYTES {
            return Err(ParseError::HeadersTooLarge);
        }
        if line.is_empty() {
            return Ok(Some(headers));
        }
        if headers.len() == MAX_HEADERS {
            return Err(ParseError::HeadersTooLarge);
        }
        headers.push(parse_header_line(line)?);
    }
}

/// `field-line = field-name ":" OWS field-value OWS`
///
/// No white space is allowed between the name and the colon, and a line
/// that starts with white space (the obsolete line folding) is rejected:
/// RFC 9112 section 5 asks for a 400 in both cases.
fn parse_header_line(line: &[u8]) -> Result<(String, String), ParseError> {
    let colon = line.iter().position(|&b| b == b':').ok_or(ParseError::Header)?;
    let name = std::str::from_utf8(&line[..colon]).map_err(|_| ParseError::Header)?;
    if !is_token(name) {
        return Err(ParseError::Header);
    }
    let value = trim_ows(&line[colon + 1..]);
    if value.iter().any(|&b| b.is_ascii_control() && b != b'\t') {
        return Err(ParseError::Header);
    }
    Ok((name.to_string(), String::from_utf8_lossy(value).into_owned()))
}

fn trim_ows(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// `token = 1*tchar`, where
/// `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
///          "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA` (RFC 9110 §5.6.2)
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// RFC 9112 section 3.2: "A server MUST respond with a 400 (Bad Request)
/// status code to any HTTP/1.1 request message that lacks a Host header
/// field and to any request message that contains more than one Host
/// header field line or a Host header field with an invalid field value."
/// An HTTP/1.0 request may leave `Host` out.
fn check_host(request: &Request) -> Result<(), ParseError> {
    let mut hosts = request.header_values("host");
    match (hosts.next(), hosts.next()) {
        (None, _) if request.version == Version::Http11 => Err(ParseError::MissingHost),
        (None, _) => Ok(()),
        (Some(host), None) if parse_host_port(host).is_some() => Ok(()),
        _ => Err(ParseError::BadHost),
    }
}

/// Rejects every head whose end of body two servers could place apart,
/// which is how requests are smuggled past a proxy: a `Content-Length`
/// that is not one number, and a `Transfer-Encoding` that is not plainly
/// chunked (RFC 9112 section 6).
fn check_framing(request: &Request) -> Result<(), ParseError> {
    check_content_length(request)?;
    if request.header("transfer-encoding").is_none() {
        return Ok(());
    }
    // RFC 9112 section 6.1: a server "that receives an HTTP/1.0 message
    // containing a Transfer-Encoding header field MUST treat the message as
    // if the framing is faulty, even if a Content-Length is present".
    // Faulty framing is answered as in section 6.3: 400, then close.
    if request.version == Version::Http10 {
        return Err(ParseError::TransferEncoding);
    }
    // RFC 9112 section 6.1: "A server MAY reject a request that contains
    // both Content-Length and Transfer-Encoding or process such a request
    // in accordance with the Transfer-Encoding alone." We reject it: a
    // proxy in front that went by the Content-Length would see a different
    // request end than we do.
    if request.header("content-length").is_some() {
        return Err(ParseError::TransferEncodingWithContentLength);
    }
    // RFC 9112 section 6.3: "If a Transfer-Encoding header field is present
    // in a request and the chunked transfer coding is not the final
    // encoding, the message body length cannot be determined reliably; the
    // server MUST respond with the 400 (Bad Request) status code and then
    // close the connection." Codings listed on several lines form one list
    // (RFC 9110 section 5.3), whose empty elements do not count (§5.6.1).
    let final_coding = request
        .header_values("transfer-encoding")
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|coding| !coding.is_empty())
        .last();
    if !final_coding.is_some_and(|coding| coding.eq_ignore_ascii_case("chunked")) {
        return Err(ParseError::TransferEncoding);
    }
    Ok(())
}

/// All `Content-Length` lines must hold the same number.
fn check_content_length(request: &Request) -> Result<(), ParseError> {
    let mut lengths = request.header_values("content-length").map(str::trim);
    if let Some(first) = lengths.next() {
        let is_number = !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit());
        if !is_number || lengths.any(|other| other != first) {
            return Err(ParseError::ContentLength);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(input: &[u8]) -> (Request, usize) {
        match parse_request(input) {
            Ok(Parsed::Complete(request, used)) => (request, used),
            other => panic!(
                "expected a complete request from {:?}, got {other:?}",
                String::from_utf8_lossy(input)
            ),
        }
    }

    #[track_caller]
    fn check_error(input: &[u8], expected: ParseError) {
        assert_eq!(
            parse_request(input),
            Err(expected),
            "input: {:?}",
            String::from_utf8_lossy(input)
        );
    }

    #[track_caller]
    fn check_partial(input: &[u8]) {
        assert_eq!(
            parse_request(input),
            Ok(Parsed::Partial),
            "input: {:?}",
            String::from_utf8_lossy(input)
        );
    }

    #[test]
    fn parses_a_scrape() {
        let input = b"GET /metrics HTTP/1.1\r\nHost: localhost:9\r\nAccept: text/plain;version=0.0.4\r\n\r\n";
        let (request, used) = complete(input);
        assert_eq!(used, input.len());
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/metrics");
        assert_eq!(request.version, Version::Http11);
        assert_eq!(request.header("accept"), Some("text/plain;version=0.0.4"));
        assert_eq!(request.header("HOST"), Some("localhost:9"));
        assert!(request.wants_keep_alive());
        assert!(!request.has_body());
    }

    #[test]
    fn reports_the_bytes_used_so_a_pipelined_request_can_follow() {
        let first = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
        let mut input = first.to_vec();
        input.extend_from_slice(b"GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
        let (request, used) = complete(&input);
        assert_eq!((request.path.as_str(), used), ("/a", first.len()));
        let (second, _) = complete(&input[used..]);
        assert_eq!(second.path, "/b");
    }

    #[test]
    fn waits_for_more_bytes() {
        check_partial(b"");
        check_partial(b"GET /metr");
        check_partial(b"GET /metrics HTTP/1.1\r\n");
        check_partial(b"GET /metrics HTTP/1.1\r\nHost: a\r\n");
        check_partial(b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r");
        check_partial(b"\r\n\r\n");
    }

    #[test]
    fn accepts_bare_lf_and_leading_empty_lines() {
        let (request, _) = complete(b"\r\nGET / HTTP/1.0\n\n");
        assert_eq!(request.version, Version::Http10);
        assert!(!request.wants_keep_alive());
    }

    #[test]
    fn keep_alive_follows_version_and_connection_header() {
        let keep = |input: &[u8]| complete(input).0.wants_keep_alive();
        assert!(!keep(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
        assert!(!keep(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n"));
        assert!(keep(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
        assert!(!keep(b"GET / HTTP/1.0\r\n\r\n"));
    }

    #[test]
    fn decodes_path_and_query() {
        let (request, _) = complete(b"GET /probe?target=%5B%3A%3A1%5D%3A13&module=daytime&x&a+b=c+d HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(request.path, "/probe");
        assert_eq!(request.query_param("target"), Some("[::1]:13"));
        assert_eq!(request.query_param("module"), Some("daytime"));
        assert_eq!(request.query_param("x"), Some(""));
        assert_eq!(request.query_param("a b"), Some("c d"));
        assert_eq!(request.query_param("missing"), None);
        let (absolute, _) =
            complete(b"GET http://example.com:9/metrics?a=1 HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!((absolute.path.as_str(), absolute.query_param("a")), ("/metrics", Some("1")));
    }

    #[test]
    fn detects_a_body() {
        assert!(complete(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n").0.has_body());
        assert!(complete(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
            .0
            .has_body());
        assert!(!complete(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").0.has_body());
    }

    #[test]
    fn rejects_malformed_request_lines() {
        check_error(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n", ParseError::RequestLine);
        check_error(b"GET\r\n\r\n", ParseError::RequestLine);
        check_error(b"GET /metrics\r\n\r\n", ParseError::RequestLine);
        check_error(b"GET  /metrics HTTP/1.1\r\n\r\n", ParseError::RequestLine);
        check_error(b"GET /metrics HTTP/1.1 x\r\n\r\n", ParseError::RequestLine);
        check_error(b"G(T / HTTP/1.1\r\n\r\n", ParseError::RequestLine);
        check_error(b"GET /a\x7fb HTTP/1.1\r\n\r\n", ParseError::RequestLine);
        check_error(b"GET / HTTP/x\r\n\r\n", ParseError::RequestLine);
        check_error(b"GET / http/1.1\r\n\r\n", ParseError::RequestLine);
    }

    #[test]
    fn rejects_other_major_versions_with_505() {
        // RFC 9110 section 15.6.6: 505 means "the server does not support,
        // or refuses to support, the major version of HTTP".
        check_error(b"GET / HTTP/2.0\r\n\r\n", ParseError::UnsupportedVersion);
        check_error(b"GET / HTTP/3.0\r\n\r\n", ParseError::UnsupportedVersion);
        check_error(b"GET / HTTP/0.9\r\n\r\n", ParseError::UnsupportedVersion);
        assert_eq!(ParseError::UnsupportedVersion.status(), Status(505));
    }

    #[test]
    fn later_minor_versions_of_http_1_are_read_as_1_1() {
        // RFC 9110 section 2.5: "A recipient that receives a message with a
        // major version number that it implements and a minor version
        // number higher than what it implements SHOULD process the message
        // as if it were in the highest minor version within that major
        // version to which the recipient is conformant."
        for version in ["HTTP/1.2", "HTTP/1.9"] {
            let input = format!("GET /-/healthy {version}\r\nHost: a\r\n\r\n");
            let (request, _) = complete(input.as_bytes());
            assert_eq!(request.version, Version::Http11, "{version}");
            assert!(request.wants_keep_alive(), "{version} keeps alive, as 1.1 does");
        }
        // As in 1.1, Host is required.
        check_error(b"GET / HTTP/1.2\r\n\r\n", ParseError::MissingHost);
    }

    /// A request for `/` with these header lines, each ending in CRLF.
    fn get_with(version: &str, header_lines: &str) -> Vec<u8> {
        format!("GET / {version}\r\n{header_lines}\r\n").into_bytes()
    }

    #[track_caller]
    fn check_host_accepted(host: &str) {
        let (request, _) = complete(&get_with("HTTP/1.1", &format!("Host: {host}\r\n")));
        assert_eq!(request.header("host"), Some(host));
    }

    #[track_caller]
    fn check_host_rejected(host: &str) {
        check_error(&get_with("HTTP/1.1", &format!("Host: {host}\r\n")), ParseError::BadHost);
    }

    #[test]
    fn host_is_one_uri_host_with_an_optional_port() {
        // RFC 9112 section 3.2: "A server MUST respond with a 400 (Bad
        // Request) status code to any HTTP/1.1 request message that lacks
        // a Host header field and to any request message that contains
        // more than one Host header field line or a Host header field with
        // an invalid field value." RFC 9110 section 7.2:
        // `Host = uri-host [ ":" port ]`, with the rules of RFC 3986.
        check_host_accepted("a");
        check_host_accepted("localhost:9");
        check_host_accepted("127.0.0.1:10013");
        check_host_accepted("[::1]:10013");
        check_host_accepted("[::ffff:127.0.0.1]");
        check_host_accepted("[v1.fe:80]");
        check_host_accepted("example.com");
        check_host_accepted("Example.COM:80");
        // RFC 3986 section 3.2.3: `port = *DIGIT`, so it may be empty.
        check_host_accepted("a:");
        // reg-name = *( unreserved / pct-encoded / sub-delims )
        check_host_accepted("a-b.c_d~e");
        check_host_accepted("%41%7e");
        check_host_accepted("!$&'()*+,;=");
        // RFC 9110 section 7.2: "If the target URI does not include an
        // authority component, then a client MUST send a Host header field
        // with an empty field value."
        check_host_accepted("");

        check_host_rejected("a b");
        check_host_rejected("a.test/x");
        check_host_rejected("a.test:http");
        check_host_rejected("a:1:2");
        // RFC 9110 section 4.2.4: userinfo is deprecated, and a recipient
        // "SHOULD parse for userinfo and treat its presence as an error".
        check_host_rejected("user@a.test");
        check_host_rejected("%4");
        check_host_rejected("%zz.test");
        check_host_rejected("[::1");
        check_host_rejected("[::1]x");
        check_host_rejected("[::1]:x");
        check_host_rejected("[a.test]");
        check_host_rejected("::1");
        check_host_rejected("é.test");
        check_error(&get_with("HTTP/1.1", "Host: a\r\nHost: a\r\n"), ParseError::BadHost);
        check_error(&get_with("HTTP/1.1", "Host: a\r\nhost: b\r\n"), ParseError::BadHost);
    }

    #[test]
    fn http_1_0_may_omit_host_but_not_send_a_bad_one() {
        // RFC 9112 section 3.2 requires Host of HTTP/1.1 only, but rejects
        // a repeated or invalid one in "any request message".
        assert_eq!(complete(&get_with("HTTP/1.0", "")).0.header("host"), None);
        assert_eq!(complete(&get_with("HTTP/1.0", "Host: a:1\r\n")).0.header("host"), Some("a:1"));
        check_error(&get_with("HTTP/1.0", "Host: a b\r\n"), ParseError::BadHost);
        check_error(&get_with("HTTP/1.0", "Host: a\r\nHost: b\r\n"), ParseError::BadHost);
    }

    /// A request with this method and target, HTTP/1.1 and a valid Host.
    fn with_request_line(method_and_target: &str) -> Vec<u8> {
        format!("{method_and_target} HTTP/1.1\r\nHost: a\r\n\r\n").into_bytes()
    }

    #[track_caller]
    fn check_target(method_and_target: &str, path: &str) {
        let (request, _) = complete(&with_request_line(method_and_target));
        assert_eq!(request.path, path, "{method_and_target}");
    }

    #[track_caller]
    fn check_bad_target(method_and_target: &str) {
        check_error(&with_request_line(method_and_target), ParseError::RequestTarget);
    }

    #[test]
    fn request_targets_are_in_a_form_their_method_may_use() {
        // RFC 9112 section 3.2: origin-form and absolute-form serve any
        // method; "The "authority-form" of request-target is only used for
        // CONNECT requests" (§3.2.3) and "The "asterisk-form" of
        // request-target is only used for a server-wide OPTIONS request"
        // (§3.2.4). Section 3: "Recipients of an invalid request-line
        // SHOULD respond with either a 400 (Bad Request) error or a 301
        // (Moved Permanently) redirect".
        check_bad_target("GET *");
        check_bad_target("HEAD *");
        check_bad_target("GET host:443");
        check_bad_target("GET metrics");
        check_bad_target("GET %2Fmetrics");
        check_bad_target("GET ftp://a/metrics");
        check_bad_target("OPTIONS a:443");
        check_bad_target("CONNECT *");
        // CONNECT has no default port (RFC 9110 section 9.3.6).
        check_bad_target("CONNECT a");
        check_bad_target("CONNECT a:");
        // A fragment is not sent (RFC 9110 section 7.1).
        check_bad_target("GET /metrics#top");
        check_bad_target("GET /probe?target=a#b");
        check_bad_target("GET http://a/metrics#top");

        check_target("OPTIONS *", "");
        check_target("CONNECT a.test:443", "");
        check_target("CONNECT [::1]:443", "");
        check_target("OPTIONS /metrics", "/metrics");
        check_target("GET /%2Fmetrics", "//metrics");
    }

    #[test]
    fn absolute_form_names_a_host_and_no_user() {
        check_target("GET http://a", "/");
        check_target("GET HTTPS://a:9/x?b=1", "/x");
        check_target("GET http://[::1]:9/x", "/x");
        check_target("GET http://a?b=1", "/");
        // RFC 9110 section 4.2.1: "A sender MUST NOT generate an "http"
        // URI with an empty host identifier. A recipient that processes
        // such a URI reference MUST reject it as invalid."
        check_bad_target("GET http:///metrics");
        check_bad_target("GET http://:9/metrics");
        // RFC 9110 section 4.2.4: a recipient "SHOULD parse for userinfo
        // and treat its presence as an error".
        check_bad_target("GET http://u@a/metrics");
        check_bad_target("GET http://a:x/metrics");
    }

    #[test]
    fn transfer_encoding_must_end_in_chunked() {
        // RFC 9112 section 6.3: "If a Transfer-Encoding header field is
        // present in a request and the chunked transfer coding is not the
        // final encoding, the message body length cannot be determined
        // reliably; the server MUST respond with the 400 (Bad Request)
        // status code and then close the connection." (Every ParseError
        // closes the connection.)
        let post = |lines: &str| format!("POST / HTTP/1.1\r\nHost: a\r\n{lines}\r\n");
        let reject =
            |lines: &str| check_error(post(lines).as_bytes(), ParseError::TransferEncoding);
        reject("Transfer-Encoding: gzip\r\n");
        reject("Transfer-Encoding: chunked, gzip\r\n");
        reject("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n");
        reject("Transfer-Encoding: chunked;x=1\r\n");
        reject("Transfer-Encoding: xchunked\r\n");
        reject("Transfer-Encoding:\r\n");
        reject("Transfer-Encoding: ,\r\n");

        let has_body = |lines: &str| complete(post(lines).as_bytes()).0.has_body();
        assert!(has_body("Transfer-Encoding: chunked\r\n"));
        assert!(has_body("Transfer-Encoding: Chunked\r\n"));
        assert!(has_body("Transfer-Encoding: gzip, chunked\r\n"));
        assert!(has_body("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"));
        // RFC 9110 section 5.6.1: empty list elements do not count.
        assert!(has_body("Transfer-Encoding: chunked, \r\n"));
    }

    #[test]
    fn transfer_encoding_with_content_length_is_rejected() {
        // RFC 9112 section 6.1: "A server MAY reject a request that
        // contains both Content-Length and Transfer-Encoding or process
        // such a request in accordance with the Transfer-Encoding alone."
        // We reject it, so that no proxy in front can disagree with us on
        // where the request ends.
        let input = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n";
        check_error(input, ParseError::TransferEncodingWithContentLength);
        let reversed = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n";
        check_error(reversed, ParseError::TransferEncodingWithContentLength);
    }

    #[test]
    fn transfer_encoding_in_http_1_0_is_faulty_framing() {
        // RFC 9112 section 6.1: "A server or client that receives an
        // HTTP/1.0 message containing a Transfer-Encoding header field MUST
        // treat the message as if the framing is faulty, even if a
        // Content-Length is present, and close the connection after
        // processing the message."
        let input = b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n";
        check_error(input, ParseError::TransferEncoding);
        let with_length =
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n";
        check_error(with_length, ParseError::TransferEncoding);
    }

    /// What a connection makes of `input` when it arrives in two reads,
    /// split at `split`: the first part alone, and then, if that was
    /// partial, all of it.
    fn parse_in_two_reads(input: &[u8], split: usize) -> Result<Parsed, ParseError> {
        match parse_request(&input[..split]) {
            Ok(Parsed::Partial) => parse_request(input),
            answer => answer,
        }
    }

    /// `n_empty` CRLFs, then a request line of `line_len` bytes and a head.
    fn head_after_empty_lines(n_empty: usize, line_len: usize) -> Vec<u8> {
        let padding = "a".repeat(line_len - "GET / HTTP/1.1".len());
        let head = format!("GET /{padding} HTTP/1.1\r\nHost: a\r\n\r\n");
        ["\r\n".repeat(n_empty), head].concat().into_bytes()
    }

    #[test]
    fn empty_lines_before_the_request_line_count_however_the_head_is_split() {
        // RFC 9112 section 2.2: a server "SHOULD ignore at least one empty
        // line (CRLF) received prior to the request-line". Skipped or not,
        // they count toward MAX_REQUEST_LINE, in one read as in two.
        let too_many = head_after_empty_lines(5_000, 20);
        let fits = head_after_empty_lines(2_000, MAX_REQUEST_LINE - 4_000);
        let one_over = head_after_empty_lines(2_000, MAX_REQUEST_LINE - 4_000 + 1);
        for (input, fits) in [(too_many, false), (fits, true), (one_over, false)] {
            let whole = parse_request(&input);
            assert_eq!(whole.is_ok(), fits, "{whole:?}");
            let end_of_line = input.len() - "\r\nHost: a\r\n\r\n".len();
            for split in [1, 4_000, 10_000, end_of_line - 1, end_of_line, end_of_line + 1] {
                let split = split.min(input.len());
                assert_eq!(parse_in_two_reads(&input, split), whole, "split at {split}");
            }
        }
        assert_eq!(
            parse_request(&head_after_empty_lines(5_000, 20)),
            Err(ParseError::RequestLineTooLong)
        );
    }

    #[test]
    fn rejects_malformed_headers() {
        check_error(b"GET / HTTP/1.1\r\nHost a\r\n\r\n", ParseError::Header);
        check_error(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", ParseError::Header);
        check_error(b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", ParseError::Header);
        check_error(b"GET / HTTP/1.1\r\n: a\r\n\r\n", ParseError::Header);
        check_error(b"GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n", ParseError::Header);
        check_error(b"GET / HTTP/1.1\r\n\r\n", ParseError::MissingHost);
        check_error(
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
            ParseError::ContentLength,
        );
        check_error(
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            ParseError::ContentLength,
        );
        check_error(b"GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", ParseError::PercentEncoding);
        check_error(b"GET /?a=%ff HTTP/1.1\r\nHost: a\r\n\r\n", ParseError::PercentEncoding);
        check_error(b"GET /?a=% HTTP/1.1\r\nHost: a\r\n\r\n", ParseError::PercentEncoding);
    }

    #[test]
    fn enforces_size_limits() {
        let long_target =
            format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(MAX_REQUEST_LINE));
        check_error(long_target.as_bytes(), ParseError::RequestLineTooLong);
        // Too long even before its end has arrived.
        check_error("a".repeat(MAX_REQUEST_LINE + 1).as_bytes(), ParseError::RequestLineTooLong);
        check_partial("a".repeat(MAX_REQUEST_LINE).as_bytes());
        // Empty lines before the request line are skipped, but not without end.
        check_error("\r\n".repeat(MAX_REQUEST_LINE).as_bytes(), ParseError::RequestLineTooLong);

        let big_header =
            format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n", "b".repeat(MAX_HEADER_BYTES));
        check_error(big_header.as_bytes(), ParseError::HeadersTooLarge);
        let unfinished = format!("GET / HTTP/1.1\r\nX: {}", "b".repeat(MAX_HEADER_BYTES + 1));
        check_error(unfinished.as_bytes(), ParseError::HeadersTooLarge);

        let many = format!("GET / HTTP/1.1\r\nHost: a\r\n{}\r\n", "X: y\r\n".repeat(MAX_HEADERS));
        check_error(many.as_bytes(), ParseError::HeadersTooLarge);
        let just_enough =
            format!("GET / HTTP/1.1\r\n{}Host: a\r\n\r\n", "X: y\r\n".repeat(MAX_HEADERS - 1));
        assert_eq!(complete(just_enough.as_bytes()).0.headers.len(), MAX_HEADERS);
    }

    #[track_caller]
    fn check_status(error: ParseError, expected: u16) {
        assert_eq!(error.status(), Status(expected), "{error:?}");
        assert!(!error.to_string().is_empty(), "{error:?} has no message");
    }

    #[test]
    fn every_error_has_the_status_the_rfcs_give_it_and_a_message() {
        // RFC 9112 section 3 and 3.2: a malformed request line or header
        // field, or an HTTP/1.1 request without Host, is 400. RFC 9110
        // section 15.5.15: a target too long is 414; RFC 6585 section 5:
        // header fields too large are 431; RFC 9110 section 15.6.6: an
        // unsupported major version is 505. RFC 9112 section 3.2: a bad or
        // repeated Host is 400, and so is a target in a form its method may
        // not use (section 3: "Recipients of an invalid request-line SHOULD
        // respond with either a 400 (Bad Request) error or a 301"). RFC
        // 9112 section 6.3: a Transfer-Encoding not ending in chunked is
        // 400; section 6.1 lets us reject one next to a Content-Length.
        check_status(ParseError::RequestLine, 400);
        check_status(ParseError::RequestLineTooLong, 414);
        check_status(ParseError::RequestTarget, 400);
        check_status(ParseError::HeadersTooLarge, 431);
        check_status(ParseError::Header, 400);
        check_status(ParseError::UnsupportedVersion, 505);
        check_status(ParseError::PercentEncoding, 400);
        check_status(ParseError::MissingHost, 400);
        check_status(ParseError::BadHost, 400);
        check_status(ParseError::ContentLength, 400);
        check_status(ParseError::TransferEncoding, 400);
        check_status(ParseError::TransferEncodingWithContentLength, 400);
    }
}
