//! HTTP/1.1, the part an exporter needs: requests in, responses out.
//!
//! The parser works on bytes, not on sockets. [`parse_request`] is handed
//! whatever has arrived so far and answers [`Parsed::Partial`] ("come back
//! with more") or [`Parsed::Complete`] with the request and how many bytes it
//! used, so whatever follows is the next, pipelined, request. The caller
//! owns the socket, the buffer and the clock; this module can be tested
//! (and fuzzed) without any of them.
//!
//! Only what a scraper sends is supported: `GET` and `HEAD` with no body,
//! HTTP/1.0 and HTTP/1.1 (a later HTTP/1.x is read as 1.1). Every limit is
//! an error with the status code that RFC 9110 gives for it, so a client
//! always learns why. Whatever could make two servers disagree on where a
//! request ends or which host it is for, such as a second `Host` or a
//! `Transfer-Encoding` next to a `Content-Length`, is refused, not guessed.
//!
//! One concept a file: [`request`] (what a request is), [`parse`] (bytes
//! into a request head), [`uri`] (the request target and the `Host`, by
//! RFC 3986's grammar), [`response`] (status codes and what goes back) and
//! [`content_coding`] (whether `Accept-Encoding` takes gzip).

pub mod request;
pub mod parse;
pub mod uri;
pub mod response;
pub mod content_coding;

pub use parse::{parse_request, ParseError, Parsed};
pub use request::{
    is_known_method, Request, Version, MAX_HEADERS, MAX_HEADER_BYTES, MAX_REQUEST_LINE,
};
pub use response::{Delivery, Response, Status, TEXT_HTML, TEXT_PLAIN};
