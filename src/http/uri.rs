//! The request target and the `Host` header, by the grammar of RFC 3986
//! and the forms RFC 9112 section 3.2 lets each method use: which path and
//! query a request names, and whether a host is a host at all.

use std::net::Ipv6Addr;

use super::parse::ParseError;

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
pub(super) fn parse_target(method: &str, target: &str) -> Result<PathAndQuery, ParseError> {
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
pub(super) fn parse_host_port(text: &str) -> Option<(&str, Option<&str>)> {
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
