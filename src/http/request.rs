//! A request head as the parser hands it over: method, target, decoded
//! path and query, version and header lines, all owned; and the limits a
//! head must keep.

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

/// Whether `method` is one that HTTP defines (RFC 9110 §9, and PATCH from
/// RFC 5789). A resource that does not allow a known method answers 405;
/// a method the server does not know at all is 501 (RFC 9110 §9.1).
pub fn is_known_method(method: &str) -> bool {
    const KNOWN: [&str; 9] =
        ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];
    KNOWN.contains(&method)
}
