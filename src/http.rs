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
//! HTTP/1.0 and HTTP/1.1 (a later HTTP/1.x is read as 1.1). Every limit is
//! an error with the status code that RFC 9110 gives for it, so a client
//! always learns why. Whatever could make two servers disagree on where a
//! request ends or which host it is for, such as a second `Host` or a
//! `Transfer-Encoding` next to a `Content-Length`, is refused, not guessed.

use std::fmt;
use std::io::{self, Write};
use std::net::Ipv6Addr;
use std::time::SystemTime;

use crate::timestamp;

/// The request line may be at most this long (answered with 414). Empty
/// lines before it count toward the limit, so that a client cannot send
/// them without end, and so that a head is judged the same however the
/// network split it into reads.
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// All header lines together may be at most this long (answered with 431).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// At most this many header lines (answered with 431).
pub const MAX_HEADERS: usize = 100;

/// A parsed request head. Everything is owned, so a request outlives the
/// buffer it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The method as sent, e.g. `GET`; methods are case-sensitive.
    pub method: String,
    /// The request target as sent, e.g. `/probe?target=a%3A1`.
    pub target: String,
    /// The percent-decoded path, e.g. `/probe`. Empty for the `*` of
    /// `OPTIONS *` and the `host:port` of `CONNECT`, which name no path.
    pub path: String,
    /// The percent-decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// The HTTP version of the request line.
    pub version: Version,
    /// The header lines as `(name, value)`, in order: names as sent, values
    /// with the white space around them trimmed.
    pub headers: Vec<(String, String)>,
}

/// The HTTP version of a request, which decides the keep-alive default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0: the connection closes after the response unless the
    /// client asks for `keep-alive`.
    Http10,
    /// HTTP/1.1, and any later HTTP/1.x: RFC 9110 section 2.5 has a
    /// recipient read a higher minor version as the highest it implements.
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

    /// The values of every header line of that name, in order.
    pub fn header_values(&self, name: &'static str) -> impl Iterator<Item = &str> {
        self.headers
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
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
            self.header_values("connection")
                .flat_map(|value| value.split(','))
                .any(|token| token.trim().eq_ignore_ascii_case(option))
        };
        match self.version {
            Version::Http11 => !has_option("close"),
            Version::Http10 => has_option("keep-alive"),
        }
    }

    /// Whether a body follows the head: a chunked one, or a
    /// `Content-Length` other than 0. We never read request bodies, so a
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
pub fn parse_request(buf: &[u8]) -> Result<Parse, ParseError> {
    let Some((request_line, mut lines)) = find_request_line(buf)? else {
        return Ok(Parse::Partial);
    };
    let (method, target, version) = parse_request_line(request_line)?;
    let Some(headers) = parse_headers(&mut lines)? else {
        return Ok(Parse::Partial);
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

/// A decoded path and its query pairs.
type PathAndQuery = (String, Vec<(String, String)>);

/// Decodes the request target into its path and query pairs.
///
/// ```text
/// request-target = origin-form / absolute-form / authority-form / asterisk-form
/// ```
///
/// RFC 9112 section 3.2 also says who may use which form: any method
/// origin-form (`/metrics?a=1`) and absolute-form
/// (`http://example.com:9/metrics`), but authority-form (`example.com:443`)
/// "is only used for CONNECT requests" (§3.2.3) and asterisk-form (`*`)
/// "is only used for a server-wide OPTIONS request" (§3.2.4). Anything
/// else is not a request target: `%2Fmetrics` is not decoded into
/// `/metrics`, or a server would serve a path the client never sent.
fn parse_target(method: &str, target: &str) -> Result<PathAndQuery, ParseError> {
    if target.starts_with('/') {
        return split_path_and_query(target);
    }
    if let Some(path_and_query) = strip_http_authority(target) {
        return split_path_and_query(path_and_query);
    }
    let no_path = (String::new(), Vec::new());
    match method {
        "OPTIONS" if target == "*" => Ok(no_path),
        "CONNECT" if is_authority_form(target) => Ok(no_path),
        _ => Err(ParseError::RequestTarget),
    }
}

/// Splits `absolute-path [ "?" query ]` into the decoded path and query
/// pairs; an empty path, as `http://host?a=1` has, is `/`.
///
/// A fragment (`#…`) is no part of a request target: neither a path nor a
/// query may hold `#` (RFC 3986 sections 3.3 and 3.4), and the target URI
/// "excludes the reference's fragment component, if any, since fragment
/// identifiers are reserved for client-side processing" (RFC 9110 section
/// 7.1). A target with one is refused, not served as another path.
fn split_path_and_query(target: &str) -> Result<PathAndQuery, ParseError> {
    if target.contains('#') {
        return Err(ParseError::RequestTarget);
    }
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

/// The path and query of an `absolute-form` target (RFC 9112 §3.2.2) with
/// one of the schemes this server is: `http://example.com:9/metrics?a=1`
/// gives `/metrics?a=1`. `None` for any other target.
///
/// The authority must name a host, and no user. RFC 9110 section 4.2.1:
/// "A sender MUST NOT generate an "http" URI with an empty host
/// identifier. A recipient that processes such a URI reference MUST reject
/// it as invalid." Section 4.2.4: "A recipient SHOULD parse for userinfo
/// and treat its presence as an error".
fn strip_http_authority(target: &str) -> Option<&str> {
    let rest = strip_prefix_ignore_case(target, "http://")
        .or_else(|| strip_prefix_ignore_case(target, "https://"))?;
    // The path starts at the first `/` or `?` after the authority.
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(authority_end);
    let (host, _port) = parse_host_port(authority)?;
    (!host.is_empty()).then_some(path_and_query)
}

/// `text` without `prefix`, which it starts with in any case: URI schemes
/// compare case-insensitively (RFC 3986 section 3.1).
fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// `authority-form = uri-host ":" port` (RFC 9112 §3.2.3), e.g.
/// `example.com:443`. CONNECT has no default port (RFC 9110 §9.3.6), so
/// both the host and the port must be there.
fn is_authority_form(target: &str) -> bool {
    matches!(parse_host_port(target), Some((host, Some(port))) if !host.is_empty() && !port.is_empty())
}

/// Checks `uri-host [ ":" port ]`, the value of `Host` (RFC 9110 §7.2) and
/// the authority of a request target, and splits it into the host and,
/// after a colon, the port. Nothing is decoded.
///
/// ```text
/// uri-host = IP-literal / IPv4address / reg-name   (RFC 3986 §3.2.2)
/// port     = *DIGIT                                (RFC 3986 §3.2.3)
/// ```
///
/// Example: `[::1]:9100` gives `[::1]` and `9100`. The port may be empty
/// (`a:`) and so may a reg-name: RFC 9110 section 7.2 has a client send an
/// empty `Host` when the target URI has no authority.
fn parse_host_port(text: &str) -> Option<(&str, Option<&str>)> {
    // Only an IP-literal may hold a colon, and it ends at its `]`.
    let host_end = if text.starts_with('[') {
        text.find(']')? + 1
    } else {
        text.find(':').unwrap_or(text.len())
    };
    let (host, rest) = text.split_at(host_end);
    let port = match rest.strip_prefix(':') {
        Some(port) => Some(port),
        None if rest.is_empty() => None,
        None => return None,
    };
    let port_is_digits = port.is_none_or(|port| port.bytes().all(|b| b.is_ascii_digit()));
    (is_uri_host(host) && port_is_digits).then_some((host, port))
}

/// ```text
/// host       = IP-literal / IPv4address / reg-name
/// IP-literal = "[" ( IPv6address / IPvFuture ) "]"
/// ```
///
/// An IPv4address is made of digits and dots, so it is a reg-name too and
/// needs no test of its own.
fn is_uri_host(host: &str) -> bool {
    match host.strip_prefix('[').and_then(|inner| inner.strip_suffix(']')) {
        Some(literal) => literal.parse::<Ipv6Addr>().is_ok() || is_ipv_future(literal),
        None => is_reg_name(host),
    }
}

/// `IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )`
fn is_ipv_future(text: &str) -> bool {
    let Some((version, address)) = text.strip_prefix(['v', 'V']).and_then(|t| t.split_once('.'))
    else {
        return false;
    };
    let is_address_byte = |b: u8| is_unreserved(b) || is_sub_delim(b) || b == b':';
    !version.is_empty()
        && version.bytes().all(|b| b.is_ascii_hexdigit())
        && !address.is_empty()
        && address.bytes().all(is_address_byte)
}

/// `reg-name = *( unreserved / pct-encoded / sub-delims )`, where
/// `pct-encoded = "%" HEXDIG HEXDIG`.
fn is_reg_name(host: &str) -> bool {
    let bytes = host.as_bytes();
    let mut idx = 0;
    while idx < bytes.len() {
        match bytes[idx] {
            b'%' => {
                let hex = bytes.get(idx + 1..idx + 3);
                if !hex.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
                    return false;
                }
                idx += 3;
            }
            byte if is_unreserved(byte) || is_sub_delim(byte) => idx += 1,
            _ => return false,
        }
    }
    true
}

/// `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"` (RFC 3986 §2.3)
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~".contains(&byte)
}

/// `sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="`
/// (RFC 3986 §2.2)
fn is_sub_delim(byte: u8) -> bool {
    b"!$&'()*+,;=".contains(&byte)
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

/// Whether `method` is one that HTTP defines (RFC 9110 §9, and PATCH from
/// RFC 5789). A resource that does not allow a known method answers 405;
/// a method the server does not know at all is 501 (RFC 9110 §9.1).
pub fn is_known_method(method: &str) -> bool {
    const KNOWN: [&str; 9] =
        ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];
    KNOWN.contains(&method)
}

/// An HTTP status code with its reason phrase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Status(pub u16);

impl Status {
    /// 200: here is the answer.
    pub const OK: Status = Status(200);
    /// 400: the request is malformed, or its parameters are.
    pub const BAD_REQUEST: Status = Status(400);
    /// 403: `/probe` is off, or its target is not in the allow-list.
    pub const FORBIDDEN: Status = Status(403);
    /// 404: no such path.
    pub const NOT_FOUND: Status = Status(404);
    /// 405: a known method this path does not take; sent with `Allow`.
    pub const METHOD_NOT_ALLOWED: Status = Status(405);
    /// 408: the client sent its request head too slowly.
    pub const REQUEST_TIMEOUT: Status = Status(408);
    /// 414: the request line is longer than [`MAX_REQUEST_LINE`].
    pub const URI_TOO_LONG: Status = Status(414);
    /// 431: the headers exceed [`MAX_HEADER_BYTES`] or [`MAX_HEADERS`].
    pub const HEADERS_TOO_LARGE: Status = Status(431);
    /// 500: a bug (a panic) or a failed reload.
    pub const INTERNAL_SERVER_ERROR: Status = Status(500);
    /// 501: a method HTTP does not define.
    pub const NOT_IMPLEMENTED: Status = Status(501);
    /// 503: too busy or stopping; try again later.
    pub const SERVICE_UNAVAILABLE: Status = Status(503);
    /// 505: a well-formed version that is not HTTP/1.x.
    pub const VERSION_NOT_SUPPORTED: Status = Status(505);

    /// The reason phrase of the status line, e.g. `Not Found`.
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
            501 => "Not Implemented",
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
    /// The status code.
    pub status: Status,
    /// The `Content-Type` header's value, e.g. [`TEXT_PLAIN`].
    pub content_type: &'static str,
    /// Extra headers, e.g. `Allow` or `Retry-After`.
    pub headers: Vec<(&'static str, String)>,
    /// The body; its length is sent as `Content-Length`.
    pub body: Vec<u8>,
}

/// How a response goes out: with its body or, answering `HEAD`, without;
/// and whether the connection stays open after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Whether to leave the body out, answering `HEAD`.
    pub head_only: bool,
    /// Whether the connection stays open for another request; sent as
    /// `Connection: keep-alive` or `Connection: close`.
    pub keep_alive: bool,
}

impl Delivery {
    /// The whole response, then the connection is closed.
    pub const CLOSE: Delivery = Delivery { head_only: false, keep_alive: false };
}

/// The content type of plain-text answers, such as errors.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
/// The content type of the landing page.
pub const TEXT_HTML: &str = "text/html; charset=utf-8";

impl Response {
    /// A response with no extra headers.
    pub fn new(status: Status, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response { status, content_type, headers: Vec::new(), body: body.into() }
    }

    /// A short plain-text answer, e.g. for an error: the reason phrase, or
    /// a more precise sentence.
    pub fn text(status: Status, text: &str) -> Response {
        Response::new(status, TEXT_PLAIN, format!("{text}\n"))
    }

    /// The same response with one more header.
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
    /// Every response carries `Date`, the time it was written, as RFC 9110
    /// section 6.6.1 asks of an origin server with a clock.
    pub fn head(&self, keep_alive: bool) -> String {
        let mut head = String::with_capacity(160);
        head.push_str("HTTP/1.1 ");
        push_number(&mut head, usize::from(self.status.0));
        head.push(' ');
        head.push_str(self.status.reason());
        head.push_str("\r\nContent-Type: ");
        head.push_str(self.content_type);
        head.push_str("\r\nContent-Length: ");
        push_number(&mut head, self.body.len());
        head.push_str("\r\n");
        for (name, value) in &self.headers {
            for part in [name, ": ", value.as_str(), "\r\n"] {
                head.push_str(part);
            }
        }
        head.push_str("Date: ");
        timestamp::write_imf_fixdate(&mut head, SystemTime::now());
        head.push_str("\r\n");
        head.push_str(if keep_alive {
            "Connection: keep-alive\r\n"
        } else {
            "Connection: close\r\n"
        });
        head.push_str("\r\n");
        head
    }
}

/// Appends the decimal digits of `number`.
fn push_number(out: &mut String, number: usize) {
    let first_digits = number / 10;
    if first_digits > 0 {
        push_number(out, first_digits);
    }
    out.push(char::from(b'0' + (number % 10) as u8));
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
    fn parse_in_two_reads(input: &[u8], split: usize) -> Result<Parse, ParseError> {
        match parse_request(&input[..split]) {
            Ok(Parse::Partial) => parse_request(input),
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

    /// The response without its `Date` line, and the date.
    fn without_date(response: &str) -> (String, String) {
        let start = response.find("\r\nDate: ").expect("a Date header") + 2;
        let end = start + response[start..].find("\r\n").expect("the end of the line") + 2;
        let date = response[start + "Date: ".len()..end - 2].to_string();
        (format!("{}{}", &response[..start], &response[end..]), date)
    }

    #[test]
    fn writes_responses_with_content_length() {
        let response = Response::text(Status::NOT_FOUND, "not found").with_header("X-A", "b");
        let mut out = Vec::new();
        response.write_to(&mut out, Delivery { head_only: false, keep_alive: true }).unwrap();
        let (text, date) = without_date(&String::from_utf8(out).unwrap());
        // IMF-fixdate (RFC 9110 section 5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
        let shape: Vec<usize> = date.split(' ').map(str::len).collect();
        assert_eq!(shape, [4, 2, 3, 4, 8, 3], "{date}");
        assert!(date.ends_with(" GMT") && date.as_bytes()[3] == b',', "{date}");
        assert_eq!(
            text,
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\nX-A: b\r\nConnection: keep-alive\r\n\r\nnot found\n"
        );
        let mut head_only = Vec::new();
        response.write_to(&mut head_only, Delivery { head_only: true, keep_alive: false }).unwrap();
        let head_only = String::from_utf8(head_only).unwrap();
        assert!(head_only.ends_with("Connection: close\r\n\r\n"), "{head_only}");
        assert!(head_only.contains("Content-Length: 10\r\n"));
    }
}
