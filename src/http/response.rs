//! What goes back: status codes with their reasons, and a response's head
//! and body as bytes, with the `Date` and `Content-Length` every answer
//! carries.

use std::io::{self, ErrorKind, IoSlice, Write};
use std::time::SystemTime;

use crate::time::format;

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
    /// 414: the request line is longer than [`MAX_REQUEST_LINE`](super::MAX_REQUEST_LINE).
    pub const URI_TOO_LONG: Status = Status(414);
    /// 431: the headers exceed [`MAX_HEADER_BYTES`](super::MAX_HEADER_BYTES) or [`MAX_HEADERS`](super::MAX_HEADERS).
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
    /// Whether `Content-Length` is sent: not for the answer to a `HEAD`
    /// made without making the body, whose length nobody knows (RFC 9110
    /// section 9.3.2 lets a field found only by making the body be left
    /// out). Such a response must go out head only.
    pub length_known: bool,
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
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
            length_known: true,
        }
    }

    /// The answer to a `HEAD` whose body was not made: the status and
    /// headers a `GET` would get, less `Content-Length`.
    pub fn head_without_body(status: Status, content_type: &'static str) -> Response {
        Response { length_known: false, ..Response::new(status, content_type, Vec::new()) }
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

    /// Writes the response: the head and the body in one vectored write
    /// where `out` takes them at once, which a socket almost always does;
    /// the body is not copied. A head and a body sent in two writes would
    /// meet Nagle's algorithm and the client's delayed ACK, and cost a
    /// scrape 40 ms. `Content-Length` is sent whenever the length is
    /// known, and for a `HEAD` request it is the length the body would
    /// have had. The one writer of responses: the server's connections
    /// and refusals both write through it.
    pub fn write_to(&self, out: &mut impl Write, delivery: Delivery) -> io::Result<()> {
        let head = self.head(delivery.keep_alive);
        let body = if delivery.head_only { &[][..] } else { &self.body[..] };
        let mut parts = [IoSlice::new(head.as_bytes()), IoSlice::new(body)];
        let mut unsent = &mut parts[..];
        IoSlice::advance_slices(&mut unsent, 0);
        while !unsent.is_empty() {
            match out.write_vectored(unsent) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut unsent, n),
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        out.flush()
    }

    /// The status line and headers, ending in the empty line.
    /// Every response carries `Date`, the time it was written, as RFC 9110
    /// section 6.6.1 asks of an origin server with a clock, and
    /// `X-Content-Type-Options: nosniff`: an error body quotes what the
    /// request asked for, and a browser must read it as the plain text it
    /// is labelled, never guess it to be HTML (Fetch standard, "X-Content-
    /// Type-Options header"). Every response, so that none is forgotten.
    pub fn head(&self, keep_alive: bool) -> String {
        let mut head = String::with_capacity(160);
        head.push_str("HTTP/1.1 ");
        push_number(&mut head, usize::from(self.status.0));
        head.push(' ');
        head.push_str(self.status.reason());
        head.push_str("\r\nContent-Type: ");
        head.push_str(self.content_type);
        head.push_str("\r\nX-Content-Type-Options: nosniff\r\n");
        if self.length_known {
            head.push_str("Content-Length: ");
            push_number(&mut head, self.body.len());
            head.push_str("\r\n");
        }
        for (name, value) in &self.headers {
            for part in [name, ": ", value.as_str(), "\r\n"] {
                head.push_str(part);
            }
        }
        head.push_str("Date: ");
        format::write_imf_fixdate(&mut head, SystemTime::now());
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
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 10\r\nX-A: b\r\nConnection: keep-alive\r\n\r\nnot found\n"
        );
        let mut head_only = Vec::new();
        response.write_to(&mut head_only, Delivery { head_only: true, keep_alive: false }).unwrap();
        let head_only = String::from_utf8(head_only).unwrap();
        assert!(head_only.ends_with("Connection: close\r\n\r\n"), "{head_only}");
        assert!(head_only.contains("Content-Length: 10\r\n"));
    }
}
