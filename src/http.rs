//! HTTP/1.1, the part an exporter needs: requests in, responses out.
//!
//! The parser works on bytes, not on sockets. [`parse_request`] is handed
//! whatever has arrived so far and answers [`Parse::Partial`] ("come back
//! with more") or [`Parse::Complete`] with the request and how many bytes it
//! used, so whatever follows is the next, pipelined, request. The caller
//! owns the socket, the buffer and the clock; this file can be tested (and
//! fuzzed) without any of them.
//!
//! Only what a scraper sends is supported: `GET` and `HEAD` with no body,
//! HTTP/1.0 and HTTP/1.1. Every limit is an error with the status code
//! that RFC 9110 gives for it, so a client always learns why.

use std::fmt;
use std::io::{self, Write};

/// The request line may be at most this long (answered with 414).
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// All header lines together may be at most this long (answered with 431).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// At most this many header lines (answered with 431).
pub const MAX_HEADERS: usize = 100;

/// A parsed request head. Everything is owned, so a request outlives the
/// buffer it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The request target as sent, e.g. `/probe?target=a%3A1`.
    pub target: String,
    /// The percent-decoded path, e.g. `/probe`.
    pub path: String,
    /// The percent-decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    pub version: Version,
    pub headers: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

impl Request {
    /// The first header of that name; names compare case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The first query parameter of that name.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// Whether the client wants the connection kept open after the
    /// response: the default in HTTP/1.1 unless it says `close`, and in
    /// HTTP/1.0 only when it asks for `keep-alive` (RFC 9112 section 9.3).
    pub fn wants_keep_alive(&self) -> bool {
        let has_option = |option: &str| {
            self.headers
                .iter()
                .filter(|(key, _)| key.eq_ignore_ascii_case("connection"))
                .flat_map(|(_, value)| value.split(','))
                .any(|token| token.trim().eq_ignore_ascii_case(option))
        };
        match self.version {
            Version::Http11 => !has_option("close"),
            Version::Http10 => has_option("keep-alive"),
        }
    }

    /// Whether a body follows the head. We never read request bodies, so a
    /// connection whose request has one cannot be reused: where the next
    /// request would start is unknown.
    pub fn has_body(&self) -> bool {
        let content_length = self.header("content-length").map(str::trim);
        self.header("transfer-encoding").is_some() || content_length.is_some_and(|len| len != "0")
    }
}

/// What [`parse_request`] made of the bytes it was given.
#[derive(Debug, PartialEq, Eq)]
pub enum Parse {
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
    /// The headers are longer than [`MAX_HEADER_BYTES`] or [`MAX_HEADERS`].
    HeadersTooLarge,
    /// A header line is not `name: value`.
    Header,
    /// The version is well-formed but not HTTP/1.0 or HTTP/1.1.
    UnsupportedVersion,
    /// A `%` not followed by two hex digits, or a decoded path or query
    /// that is not UTF-8.
    PercentEncoding,
    /// An HTTP/1.1 request without a `Host` header (RFC 9112 section 3.2).
    MissingHost,
    /// A `Content-Length` that is not a number, or two that disagree.
    ContentLength,
}

impl ParseError {
    /// The status code that tells the client what was wrong.
    pub fn status(self) -> Status {
        match self {
            ParseError::RequestLineTooLong => Status::URI_TOO_LONG,
            ParseError::HeadersTooLarge => Status::HEADERS_TOO_LARGE,
            ParseError::UnsupportedVersion => Status::VERSION_NOT_SUPPORTED,
            ParseError::RequestLine
            | ParseError::Header
            | ParseError::PercentEncoding
            | ParseError::MissingHost
            | ParseError::ContentLength => Status::BAD_REQUEST,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            ParseError::RequestLine => "malformed request line",
            ParseError::RequestLineTooLong => "request line too long",
            ParseError::HeadersTooLarge => "request headers too large",
            ParseError::Header => "malformed header line",
            ParseError::UnsupportedVersion => "unsupported HTTP version",
            ParseError::PercentEncoding => "malformed percent-encoding",
            ParseError::MissingHost => "HTTP/1.1 request without a Host header",
            ParseError::ContentLength => "malformed Content-Length",
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
/// [`MAX_REQUEST_LINE`] + [`MAX_HEADER_BYTES`] and one read.
pub fn parse_request(buf: &[u8]) -> Result<Parse, ParseError> {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(buf.len());
    let mut lines = Lines { buf, pos: start };

    let Some(request_line) = lines.next_line() else {
        // Skipped empty lines count too, or a stream of CRLFs would be
        // "partial" for ever.
        if buf.len() > MAX_REQUEST_LINE {
            return Err(ParseError::RequestLineTooLong);
        }
        return Ok(Parse::Partial);
    };
    if request_line.len() > MAX_REQUEST_LINE {
        return Err(ParseError::RequestLineTooLong);
    }
    let (method, target, version) = parse_request_line(request_line)?;

    let headers_start = lines.pos;
    let mut headers = Vec::new();
    loop {
        let Some(line) = lines.next_line() else {
            if buf.len() - headers_start > MAX_HEADER_BYTES {
                return Err(ParseError::HeadersTooLarge);
            }
            return Ok(Parse::Partial);
        };
        if lines.pos - headers_start > MAX_HEADER_BYTES {
            return Err(ParseError::HeadersTooLarge);
        }
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err(ParseError::HeadersTooLarge);
        }
        headers.push(parse_header_line(line)?);
    }

    let (path, query) = split_target(target)?;
    let request = Request {
        method: method.to_string(),
        target: target.to_string(),
        path,
        query,
        version,
        headers,
    };
    check_framing(&request)?;
    Ok(Parse::Complete(request, lines.pos))
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

/// `HTTP-version = "HTTP/" DIGIT "." DIGIT`
fn parse_version(text: &str) -> Result<Version, ParseError> {
    match text {
        "HTTP/1.1" => Ok(Version::Http11),
        "HTTP/1.0" => Ok(Version::Http10),
        _ => {
            let digits = text.strip_prefix("HTTP/").map(str::as_bytes);
            match digits {
                Some([major, b'.', minor]) if major.is_ascii_digit() && minor.is_ascii_digit() => {
                    Err(ParseError::UnsupportedVersion)
                }
                _ => Err(ParseError::RequestLine),
            }
        }
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

/// Splits `origin-form = absolute-path [ "?" query ]` into the decoded
/// path and query pairs. The `absolute-form` that proxies send
/// (`http://host/path`) is reduced to its path first.
fn split_target(target: &str) -> Result<(String, Vec<(String, String)>), ParseError> {
    let target = strip_scheme_and_authority(target);
    let (raw_path, raw_query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let path = if raw_path.is_empty() { "/".to_string() } else { percent_decode(raw_path, false)? };
    let query = match raw_query {
        Some(query) => parse_query(query)?,
        None => Vec::new(),
    };
    Ok((path, query))
}

fn strip_scheme_and_authority(target: &str) -> &str {
    let lower_starts_with = |prefix: &str| {
        target.len() >= prefix.len() && target[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    for scheme in ["http://", "https://"] {
        if lower_starts_with(scheme) {
            let rest = &target[scheme.len()..];
            // The path starts at the first `/` or `?` after the authority;
            // an empty path means `/` (RFC 9112 section 3.2.2).
            return rest.find(['/', '?']).map_or("", |idx| &rest[idx..]);
        }
    }
    target
}

/// Splits `a=1&b=2` into pairs, decoding `%XX` and `+` (a space, as HTML
/// forms encode it). A key without `=` has an empty value.
fn parse_query(query: &str) -> Result<Vec<(String, String)>, ParseError> {
    let mut pairs = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        pairs.push((percent_decode(key, true)?, percent_decode(value, true)?));
    }
    Ok(pairs)
}

/// Decodes `%XX` escapes (RFC 3986 section 2.1); with `plus_is_space`,
/// also `+` as a space.
pub fn percent_decode(text: &str, plus_is_space: bool) -> Result<String, ParseError> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut idx = 0;
    while idx < bytes.len() {
        match bytes[idx] {
            b'%' => {
                let hex = bytes.get(idx + 1..idx + 3).ok_or(ParseError::PercentEncoding)?;
                let high = hex_value(hex[0]).ok_or(ParseError::PercentEncoding)?;
                let low = hex_value(hex[1]).ok_or(ParseError::PercentEncoding)?;
                decoded.push(high * 16 + low);
                idx += 3;
            }
            b'+' if plus_is_space => {
                decoded.push(b' ');
                idx += 1;
            }
            byte => {
                decoded.push(byte);
                idx += 1;
            }
        }
    }
    String::from_utf8(decoded).map_err(|_| ParseError::PercentEncoding)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Rejects what would make the end of the request ambiguous: a missing
/// `Host` in HTTP/1.1, and a `Content-Length` that is not one number.
fn check_framing(request: &Request) -> Result<(), ParseError> {
    if request.version == Version::Http11 && request.header("host").is_none() {
        return Err(ParseError::MissingHost);
    }
    let mut lengths = request
        .headers
        .iter()
        .filter(|(key, _)| key.eq_ignore_ascii_case("content-length"))
        .map(|(_, value)| value.trim());
    if let Some(first) = lengths.next() {
        let is_number = !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit());
        if !is_number || lengths.any(|other| other != first) {
            return Err(ParseError::ContentLength);
        }
    }
    Ok(())
}

/// An HTTP status code with its reason phrase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Status(pub u16);

impl Status {
    pub const OK: Status = Status(200);
    pub const BAD_REQUEST: Status = Status(400);
    pub const FORBIDDEN: Status = Status(403);
    pub const NOT_FOUND: Status = Status(404);
    pub const METHOD_NOT_ALLOWED: Status = Status(405);
    pub const REQUEST_TIMEOUT: Status = Status(408);
    pub const URI_TOO_LONG: Status = Status(414);
    pub const HEADERS_TOO_LARGE: Status = Status(431);
    pub const INTERNAL_SERVER_ERROR: Status = Status(500);
    pub const SERVICE_UNAVAILABLE: Status = Status(503);
    pub const VERSION_NOT_SUPPORTED: Status = Status(505);

    pub fn reason(self) -> &'static str {
        match self.0 {
            200 => "OK",
            400 => "Bad Request",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            414 => "URI Too Long",
            431 => "Request Header Fields Too Large",
            500 => "Internal Server Error",
            503 => "Service Unavailable",
            505 => "HTTP Version Not Supported",
            _ => "Unknown",
        }
    }
}

/// A response as plain data: handlers build one and the connection loop
/// writes it, so handlers are tested without sockets.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status: Status,
    pub content_type: &'static str,
    /// Extra headers, e.g. `Allow` or `Retry-After`.
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// How a response goes out: with its body or, answering `HEAD`, without;
/// and whether the connection stays open after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub head_only: bool,
    pub keep_alive: bool,
}

impl Delivery {
    /// The whole response, then the connection is closed.
    pub const CLOSE: Delivery = Delivery { head_only: false, keep_alive: false };
}

pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
pub const TEXT_HTML: &str = "text/html; charset=utf-8";

impl Response {
    pub fn new(status: Status, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response { status, content_type, headers: Vec::new(), body: body.into() }
    }

    /// A short plain-text answer, e.g. for an error: the reason phrase, or
    /// a more precise sentence.
    pub fn text(status: Status, text: &str) -> Response {
        Response::new(status, TEXT_PLAIN, format!("{text}\n"))
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    /// Writes the response in one `write_all`: a head and a body sent in
    /// two writes would meet Nagle's algorithm and the client's delayed
    /// ACK, and cost a scrape 40 ms. `Content-Length` is always sent, and
    /// for a `HEAD` request it is the length the body would have had.
    pub fn write_to(&self, out: &mut impl Write, delivery: Delivery) -> io::Result<()> {
        let mut bytes = self.head(delivery.keep_alive).into_bytes();
        if !delivery.head_only {
            bytes.extend_from_slice(&self.body);
        }
        out.write_all(&bytes)?;
        out.flush()
    }

    /// The status line and headers, ending in the empty line.
    pub fn head(&self, keep_alive: bool) -> String {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            self.status.0,
            self.status.reason(),
            self.content_type,
            self.body.len()
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(if keep_alive {
            "Connection: keep-alive\r\n"
        } else {
            "Connection: close\r\n"
        });
        head.push_str("\r\n");
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(input: &[u8]) -> (Request, usize) {
        match parse_request(input) {
            Ok(Parse::Complete(request, used)) => (request, used),
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
            Ok(Parse::Partial),
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
    fn rejects_other_versions_with_505() {
        check_error(b"GET / HTTP/2.0\r\n\r\n", ParseError::UnsupportedVersion);
        check_error(b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", ParseError::UnsupportedVersion);
        check_error(b"GET / HTTP/0.9\r\n\r\n", ParseError::UnsupportedVersion);
        assert_eq!(ParseError::UnsupportedVersion.status(), Status(505));
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
        // unsupported major version is 505.
        check_status(ParseError::RequestLine, 400);
        check_status(ParseError::RequestLineTooLong, 414);
        check_status(ParseError::HeadersTooLarge, 431);
        check_status(ParseError::Header, 400);
        check_status(ParseError::UnsupportedVersion, 505);
        check_status(ParseError::PercentEncoding, 400);
        check_status(ParseError::MissingHost, 400);
        check_status(ParseError::ContentLength, 400);
    }

    #[test]
    fn writes_responses_with_content_length() {
        let response = Response::text(Status::NOT_FOUND, "not found").with_header("X-A", "b");
        let mut out = Vec::new();
        response.write_to(&mut out, Delivery { head_only: false, keep_alive: true }).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\nX-A: b\r\nConnection: keep-alive\r\n\r\nnot found\n"
        );
        let mut head_only = Vec::new();
        response.write_to(&mut head_only, Delivery { head_only: true, keep_alive: false }).unwrap();
        let head_only = String::from_utf8(head_only).unwrap();
        assert!(head_only.ends_with("Connection: close\r\n\r\n"), "{head_only}");
        assert!(head_only.contains("Content-Length: 10\r\n"));
    }
}
