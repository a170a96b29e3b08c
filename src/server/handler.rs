//! What the server serves: a [`Handler`] turns a request into a response,
//! and knows nothing of sockets; the server knows nothing of what the
//! responses say.
//!
//! A handler is given a [`Context`]: what the server keeps across requests
//! and lends to whoever answers them. The one stop flag (so that `/-/ready`
//! can answer `503` while a stop drains), the spare bodies of sent
//! responses to write into again, and the count of responses written (so
//! that a scrape can report it).

use std::sync::atomic::{AtomicBool, Ordering};

use crate::http::{Request, Response};
use crate::server::bodies::SpareBodies;
use crate::server::response_counts::ResponseCounts;

/// Turns a request into a response. Called on a worker thread, one call
/// per request, many at once; a panic costs that one request a `500`.
pub trait Handler: Send + Sync + 'static {
    /// The answer to `request`.
    fn respond(&self, request: &Request, context: &Context) -> Response;
}

/// A plain function or closure is a handler too, as in the server's tests.
impl<F> Handler for F
where
    F: Fn(&Request, &Context) -> Response + Send + Sync + 'static,
{
    fn respond(&self, request: &Request, context: &Context) -> Response {
        self(request, context)
    }
}

/// What the server keeps across requests and lends to its handler.
#[derive(Default)]
pub struct Context {
    stopping: AtomicBool,
    bodies: SpareBodies,
    responses: ResponseCounts,
}

impl Context {
    /// Not stopping, no spare body, no response counted yet.
    pub fn new() -> Context {
        Context::default()
    }

    /// Whether a stop has begun: no new connection is accepted, and every
    /// connection closes after its current answer.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Sets the stop flag, as the server does when a stop begins; it is
    /// never cleared.
    pub(crate) fn begin_stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Buffers to write response bodies into.
    pub fn bodies(&self) -> &SpareBodies {
        &self.bodies
    }

    /// The responses written so far.
    pub fn response_counts(&self) -> &ResponseCounts {
        &self.responses
    }
}
