//! One connection, from its first byte to its close.
//!
//! A worker thread runs [`serve`] for each accepted connection: read a
//! request head, answer it, and, if the connection is kept alive, wait for
//! the next one. Requests that arrived together (pipelined) are answered
//! in order, because whatever follows a parsed head stays in the buffer.
//!
//! Three clocks bound a connection. While no byte of a request has
//! arrived, the idle timeout runs; once one has, the whole head must
//! arrive within the read timeout, so a client sending one byte a second
//! is cut off however patient it is. And a response must be taken by the
//! client within the write timeout: one deadline for the whole response,
//! and for a backlog of pipelined requests answered one after the other,
//! so that a client reading a few bytes at a time cannot restart it. A
//! client that is that slow to read is also, like an idle one, evictable
//! at the connection cap while it keeps the worker waiting.
//!
//! What the answer says is the [`Handler`]'s; how it goes out is
//! [`Response::write_to`]'s, the one writer of responses, here through a
//! socket whose every write ends by the response's deadline.

use std::io::{self, ErrorKind, IoSlice, Read, Write};
use std::net::TcpStream;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::http::{self, Delivery, Parsed, Request, Response, Status};
use crate::log;
use crate::server::connection_table::Registration;
use crate::server::{Context, Handler, Settings};

/// How much is read from a socket at once.
const READ_CHUNK: usize = 4096;

/// A response, or a backlog of pipelined responses, must be taken by the
/// client within this time.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// What every connection is served with.
pub struct Served<'a> {
    /// What answers each request.
    pub handler: &'a dyn Handler,
    /// What the server lends the handler, and the stop flag.
    pub context: &'a Context,
    /// The read and idle timeouts.
    pub settings: &'a Settings,
}

/// Serves requests on `stream` until either side closes it.
///
/// `stream` is dropped, and its descriptor closed, before `serve` returns:
/// the caller drops the registration after it, so that a connection the
/// table closed counts as closing until its descriptor is free.
pub fn serve(mut stream: TcpStream, served: &Served, registration: &Registration) {
    let context = served.context;
    // Responses are written whole, in one call; there is nothing for
    // Nagle's algorithm to gather, only latency to add.
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    // Room for a typical request head at once: growing a buffer byte by
    // byte for a slow client would churn the allocator's small blocks.
    let mut buffer = Vec::with_capacity(READ_CHUNK);
    // Where each read lands first: zeroed once per connection, not once
    // per request.
    let mut chunk = [0u8; READ_CHUNK];
    let mut read_timeout = ReadTimeout::default();
    let mut write_deadline = WriteDeadline::new();
    loop {
        // Idle first, then the stop flag: a graceful stop sets the flag,
        // then closes the idle connections, so no connection slips by both.
        registration.idle();
        if context.is_stopping() {
            return;
        }
        let timeouts = served.settings;
        let request =
            match read_request(&mut stream, &mut buffer, &mut chunk, &mut read_timeout, timeouts) {
                Ok(Some(request)) => request,
                Ok(None) => return,
                Err(status) => {
                    let response = Response::text(status, status.reason());
                    if write_deadline
                        .send(&mut stream, &response, Delivery::CLOSE, registration)
                        .is_ok()
                    {
                        context.response_counts().count(status);
                        linger(&mut stream);
                    }
                    return;
                }
            };
        registration.busy();
        // A body we do not read would be taken for the next request.
        // Stopping, the connection ends after this answer.
        let keep_alive =
            request.wants_keep_alive() && !request.has_body() && !context.is_stopping();
        let response = respond_or_500(&request, served);
        let delivery = Delivery { head_only: request.method == "HEAD", keep_alive };
        // Requests still in the buffer were pipelined: their responses
        // share the deadline of this one.
        let backlog_continues = !buffer.is_empty();
        if write_deadline.send(&mut stream, &response, delivery, registration).is_err() {
            return; // The client went away or would not read; nothing is owed to it.
        }
        if !backlog_continues {
            write_deadline.backlog_done();
        }
        context.response_counts().count(response.status);
        context.bodies().give_back(response.body);
        if request.has_body() {
            linger(&mut stream);
        }
        if !keep_alive {
            return;
        }
    }
}

/// The deadline responses are sent by: each goes out whole or not at all
/// within [`WRITE_TIMEOUT`], which runs from the first response of a
/// pipelined backlog. What writes them is [`Response::write_to`].
struct WriteDeadline {
    /// When the backlog being answered must have been taken.
    deadline: Option<Instant>,
    /// The write timeout the socket has now, to set it only when needed.
    socket_timeout: Duration,
}

impl WriteDeadline {
    fn new() -> WriteDeadline {
        WriteDeadline { deadline: None, socket_timeout: WRITE_TIMEOUT }
    }

    /// The next response starts a backlog of its own.
    fn backlog_done(&mut self) {
        self.deadline = None;
    }

    /// Writes the response with [`Response::write_to`], the head and the
    /// body in one system call where the socket takes them at once, which
    /// is almost always. While it writes, the connection waits on its
    /// client, so it is marked as waiting: a client slow to read may be
    /// evicted at the cap like an idle one. (A blocking write returns only
    /// once all is sent or its timeout passes, so no partial write would
    /// tell one earlier.)
    fn send(
        &mut self,
        stream: &mut TcpStream,
        response: &Response,
        delivery: Delivery,
        registration: &Registration,
    ) -> io::Result<()> {
        let deadline = *self.deadline.get_or_insert_with(|| Instant::now() + WRITE_TIMEOUT);
        registration.writing();
        let mut socket =
            UntilDeadline { stream, deadline, socket_timeout: &mut self.socket_timeout };
        response.write_to(&mut socket, delivery)
    }
}

/// The socket as a response is written to it: before each write, its
/// write timeout is made to end at the deadline, so that no write, and no
/// string of partial writes, outlasts it.
struct UntilDeadline<'a> {
    stream: &'a mut TcpStream,
    deadline: Instant,
    /// The write timeout the socket has now, to set it only when needed.
    socket_timeout: &'a mut Duration,
}

impl UntilDeadline<'_> {
    /// Makes the socket's write timeout end at the deadline. The system
    /// call is saved when the timeout the socket has is within `SLACK` of
    /// it, as it is for the first write of every fresh deadline.
    fn limit(&mut self) -> io::Result<()> {
        const SLACK: Duration = Duration::from_millis(100);
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        if remaining.abs_diff(*self.socket_timeout) > SLACK {
            self.stream.set_write_timeout(Some(remaining))?;
            *self.socket_timeout = remaining;
        }
        Ok(())
    }
}

impl Write for UntilDeadline<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.limit()?;
        self.stream.write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.limit()?;
        self.stream.write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// Answers the request; a panic on the way is a bug, answered with 500
/// so that it costs one request, not the connection's worker.
fn respond_or_500(request: &Request, served: &Served) -> Response {
    let respond = || served.handler.respond(request, served.context);
    panic::catch_unwind(AssertUnwindSafe(respond)).unwrap_or_else(|_| {
        log::error("panic while answering a request", &[("path", &request.path)]);
        Response::text(Status::INTERNAL_SERVER_ERROR, "internal error")
    })
}

/// Reads until `buffer` starts with a whole request head, and returns it.
/// `Ok(None)` means the connection is over: closed by the peer, or idle
/// for too long. `Err` is the status to answer before closing.
fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    chunk: &mut [u8; READ_CHUNK],
    read_timeout: &mut ReadTimeout,
    config: &Settings,
) -> Result<Option<Request>, Status> {
    let idle_deadline = Instant::now() + config.idle_timeout;
    let mut head_deadline = (!buffer.is_empty()).then(|| Instant::now() + config.read_timeout);
    loop {
        match http::parse_request(buffer) {
            Ok(Parsed::Complete(request, used)) => {
                buffer.drain(..used);
                return Ok(Some(request));
            }
            Ok(Parsed::Partial) => {}
            Err(err) => {
                log::debug("bad request", &[("err", &err)]);
                return Err(err.status());
            }
        }
        let deadline = head_deadline.unwrap_or(idle_deadline);
        let remaining = deadline.saturating_duration_since(Instant::now());
        // A zero timeout means "block forever" to the OS, so it must not
        // be set: the deadline has passed.
        if remaining.is_zero() || read_timeout.set(stream, remaining).is_err() {
            return timed_out(head_deadline.is_some());
        }
        match stream.read(chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => {
                buffer.extend_from_slice(&chunk[..n]);
                head_deadline.get_or_insert_with(|| Instant::now() + config.read_timeout);
            }
            // Unix reports a read timeout as WouldBlock, Windows as TimedOut.
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return timed_out(head_deadline.is_some());
            }
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Ok(None),
        }
    }
}

/// The read timeout the socket has now, so that it is set only when it
/// must change.
#[derive(Default)]
struct ReadTimeout {
    current: Option<Duration>,
}

impl ReadTimeout {
    /// Makes the next read give up after `remaining`. The kernel counts a
    /// read timeout from the start of each read, so a timeout within a
    /// millisecond of the one set already is kept: a kept-alive connection
    /// waiting for its next request, with the idle timeout already set,
    /// needs no `setsockopt` for it.
    fn set(&mut self, stream: &TcpStream, remaining: Duration) -> io::Result<()> {
        let close_enough = self
            .current
            .is_some_and(|current| current.abs_diff(remaining) <= Duration::from_millis(1));
        if !close_enough {
            stream.set_read_timeout(Some(remaining))?;
            self.current = Some(remaining);
        }
        Ok(())
    }
}

/// Prepares to close a connection whose client may still be sending. Closing a
/// socket with unread bytes makes the kernel send a reset, which can make
/// the client lose the error response it has not read yet; so our side is
/// shut first, and what the client still sends is read and dropped for a
/// moment, as web servers do in a "lingering close".
fn linger(stream: &mut TcpStream) {
    const LINGER_TIME: Duration = Duration::from_millis(500);
    const LINGER_BYTES: usize = 64 * 1024;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(LINGER_TIME));
    let deadline = Instant::now() + LINGER_TIME;
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < LINGER_BYTES && Instant::now() < deadline {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(n) => drained += n,
        }
    }
}

/// A connection that was idle is closed quietly; one that was sending a
/// request too slowly is told so with 408.
fn timed_out(request_started: bool) -> Result<Option<Request>, Status> {
    if request_started {
        Err(Status::REQUEST_TIMEOUT)
    } else {
        Ok(None)
    }
}
