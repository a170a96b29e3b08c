//! What a scrape's answer looks like on the wire: the format and content
//! coding the request chose, the body written in it, and the head a `HEAD`
//! gets without probing.
//!
//! The routes read the request and fill in [`Terms`]; everything below
//! them writes by those terms, so that a fourth format changes only
//! [`crate::exposition`], and another content coding only this file and
//! [`crate::http::content_coding`], never a scrape.

use std::time::{Duration, Instant};

use crate::exposition::{self, Format, Writer};
use crate::gzip;
use crate::http::{Response, Status};
use crate::server::bodies::SpareBodies;

/// What a request asks of a scrape, read from it by the routes.
#[derive(Clone, Copy, Debug)]
pub struct Terms {
    /// When the request was read: the budget counts from here.
    pub arrived: Instant,
    /// How long the scrape may take, from Prometheus's timeout header
    /// ([`super::budget`]); `None` without one.
    pub budget: Option<Duration>,
    /// The format (and escaping of names) that `Accept` chose.
    pub format: Format,
    /// Whether the body may be gzipped.
    pub coding: Coding,
}

/// How a body may be encoded, as the flags and `Accept-Encoding` allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// `--web.disable-compression`: always as written, and no `Vary`.
    PlainOnly,
    /// The request does not accept gzip: as written, with
    /// `Vary: Accept-Encoding`, since another request could get gzip.
    Plain,
    /// The request accepts gzip: gzipped if long enough, with `Vary`.
    Gzip,
}

/// Bodies shorter than this are sent plain: with the head, they fit one
/// TCP segment (1,460 bytes on Ethernet) either way, so compressing them
/// saves no packet, only a few bytes, for the CPU and the 18 bytes of
/// gzip's frame. Every scrape answer is longer (a scrape of no target is
/// about 4 KB, one probe about 2 KB).
pub const MIN_GZIP_BODY: usize = 1024;

/// The body `write` fills in the terms' format, in a spare buffer made
/// room for `expected` bytes, so it is not grown step by step; not yet
/// encoded.
pub fn write_body(
    terms: &Terms,
    bodies: &SpareBodies,
    expected: usize,
    write: impl FnOnce(Writer),
) -> Vec<u8> {
    exposition::write_body(bodies.take(expected), terms.format, write)
}

/// The `200` that carries `body`, gzipped when the terms allow it and the
/// body is long enough. The plain body goes back to `bodies` once
/// compressed.
pub fn respond(terms: &Terms, bodies: &SpareBodies, body: Vec<u8>) -> Response {
    let response = Response::new(Status::OK, terms.format.content_type(), body);
    if terms.coding == Coding::PlainOnly {
        return response;
    }
    let mut response = response.with_header("Vary", "Accept-Encoding");
    if terms.coding == Coding::Plain || response.body.len() < MIN_GZIP_BODY {
        return response;
    }
    // A scrape compresses about tenfold; the buffer grows if it must.
    let mut gzipped = bodies.take(response.body.len() / 8).into_bytes();
    gzip::gzip(&response.body, &mut gzipped);
    bodies.give_back(std::mem::replace(&mut response.body, gzipped));
    response.with_header("Content-Encoding", "gzip")
}

/// The answer to `HEAD` of an exposition: its status, content type and
/// content coding, without probing. Its length is known only once the
/// targets have been probed, so no `Content-Length` is sent rather than a
/// wrong one; every exposition is longer than [`MIN_GZIP_BODY`], so it
/// would be gzipped.
pub fn head(terms: &Terms) -> Response {
    let response = Response::head_without_body(Status::OK, terms.format.content_type());
    match terms.coding {
        Coding::PlainOnly => response,
        Coding::Plain => response.with_header("Vary", "Accept-Encoding"),
        Coding::Gzip => {
            response.with_header("Vary", "Accept-Encoding").with_header("Content-Encoding", "gzip")
        }
    }
}

/// The answer when no place is left for another scrape or probe.
pub fn too_many_scrapes() -> Response {
    Response::text(Status::SERVICE_UNAVAILABLE, "too many scrapes in flight (--web.max-requests)")
        .with_header("Retry-After", "1")
}
