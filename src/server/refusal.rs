//! Refusing a connection with `503`, without slowing the accept loop.
//!
//! When every connection is busy answering, or no worker thread can be
//! had, the accepting thread answers the new connection itself: `503` and
//! `Retry-After`, so that the client learns why and when to retry instead
//! of seeing a reset. The answer is a few hundred bytes, which a new
//! socket's send buffer takes at once, so writing it never waits.
//!
//! Closing a socket whose peer's bytes are unread makes the kernel send a
//! reset, and a reset can cost the client the `503`: some systems discard
//! what the client has not read yet when one arrives, and a segment lost
//! on the way is never sent again. So our side is shut first, and what
//! the client sends is read and dropped before the close: what has
//! arrived already, at once, on the accepting thread; what comes in the
//! next `DRAIN_TIME`, on a thread of its own. That thread holds at most
//! [`DRAINING_AT_MOST`] sockets. The accepting thread never waits for it:
//! a socket it has no room for is closed at once, which risks a reset
//! only if its client writes after that.

use std::io::{self, ErrorKind, Read};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::http::{Delivery, Response, Status};

/// Refused sockets waiting to be drained and closed, at most; each holds a
/// descriptor meanwhile.
pub const DRAINING_AT_MOST: usize = 32;

/// How long a refused client's request is waited for, to be read and
/// dropped before the close.
const DRAIN_TIME: Duration = Duration::from_millis(50);

/// How much of a refused client's bytes is read and dropped, at most:
/// a request head is far smaller, and a client sending more is not
/// sending a request.
const DRAIN_BYTES: usize = 64 * 1024;

/// The draining thread needs little stack: one buffer and a loop.
const DRAINER_STACK_SIZE: usize = 64 * 1024;

/// Answers refused connections with `503`, and drains them on a thread of
/// its own. Dropping it drains what is queued and joins the thread.
pub struct Refuser {
    queue: Option<SyncSender<Draining>>,
    drainer: Option<JoinHandle<()>>,
}

/// A refused socket, shut for writing, to be drained until `until`.
struct Draining {
    stream: TcpStream,
    until: Instant,
}

/// What [`drain_arrived`] found.
#[derive(Debug, PartialEq, Eq)]
enum Peer {
    /// The client may still send: nothing says it is done.
    MaySend,
    /// The client closed its side, or the connection is gone, or it sent
    /// more than a request: nothing more is owed to it.
    Done,
}

impl Refuser {
    /// Starts the draining thread.
    pub fn start() -> io::Result<Refuser> {
        let (queue, refused) = mpsc::sync_channel(DRAINING_AT_MOST);
        let drainer = thread::Builder::new()
            .name("refusals".to_string())
            .stack_size(DRAINER_STACK_SIZE)
            .spawn(move || drain_each(&refused))?;
        Ok(Refuser { queue: Some(queue), drainer: Some(drainer) })
    }

    /// Answers `503` with `reason` and `Retry-After: 1`, shuts our side,
    /// and leaves the rest to the draining thread. Never waits. Returns
    /// whether the `503` was sent whole.
    pub fn refuse(&self, stream: TcpStream, reason: &str) -> bool {
        let sent = send_503(&stream, reason).is_ok();
        let _ = stream.shutdown(Shutdown::Write);
        if drain_arrived(&stream) == Peer::MaySend {
            if let Some(queue) = &self.queue {
                // Full, the socket comes back in the error and is closed.
                let _ = queue.try_send(Draining { stream, until: Instant::now() + DRAIN_TIME });
            }
        }
        sent
    }
}

impl Drop for Refuser {
    fn drop(&mut self) {
        drop(self.queue.take()); // The drainer ends once the queue is empty.
        if let Some(drainer) = self.drainer.take() {
            let _ = drainer.join();
        }
    }
}

/// Writes the `503` without waiting: a new socket's send buffer takes it
/// whole, and a socket that would make us wait gets nothing more.
fn send_503(mut stream: &TcpStream, reason: &str) -> io::Result<()> {
    stream.set_nonblocking(true)?;
    let response =
        Response::text(Status::SERVICE_UNAVAILABLE, reason).with_header("Retry-After", "1");
    response.write_to(&mut stream, Delivery::CLOSE)
}

/// Reads and drops what the client has sent so far, without waiting.
fn drain_arrived(mut stream: &TcpStream) -> Peer {
    if stream.set_nonblocking(true).is_err() {
        return Peer::Done;
    }
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < DRAIN_BYTES {
        match stream.read(&mut sink) {
            Ok(0) => return Peer::Done,
            Ok(n) => drained += n,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) if err.kind() == ErrorKind::WouldBlock => return Peer::MaySend,
            Err(_) => return Peer::Done,
        }
    }
    Peer::Done
}

/// The draining thread: each refused socket in turn, until its own time
/// is up. They come in the order they were refused, so their times run
/// out in that order too, and waiting for one is waiting for the ones
/// behind it: a socket never waits much past its time, however many came.
fn drain_each(refused: &Receiver<Draining>) {
    for Draining { stream, until } in refused.iter() {
        drain_until(&stream, until);
    }
}

/// Reads and drops what the client sends until `until`, or until it
/// closes its side; then the socket is closed by the caller.
fn drain_until(mut stream: &TcpStream, until: Instant) {
    if stream.set_nonblocking(false).is_err() {
        return;
    }
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < DRAIN_BYTES {
        let remaining = until.saturating_duration_since(Instant::now());
        // A zero timeout would mean "block for ever": the time is up, so
        // what has arrived meanwhile is read without waiting, and that is all.
        if remaining.is_zero() {
            drain_arrived(stream);
            return;
        }
        if stream.set_read_timeout(Some(remaining)).is_err() {
            return;
        }
        match stream.read(&mut sink) {
            Ok(0) => return,
            Ok(n) => drained += n,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(_) => return, // The time is up (WouldBlock), or the connection is gone.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    /// A connected pair of sockets on loopback: (client, server side).
    fn pair(listener: &TcpListener) -> (TcpStream, TcpStream) {
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        client.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        (client, server)
    }

    fn read_all(mut client: &TcpStream) -> String {
        let mut text = String::new();
        client.read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn silent_clients_get_their_503_without_the_refusals_waiting_for_them() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let refuser = Refuser::start().unwrap();
        let pairs: Vec<(TcpStream, TcpStream)> = (0..20).map(|_| pair(&listener)).collect();
        let started = Instant::now();
        let mut clients = Vec::new();
        for (client, server) in pairs {
            assert!(refuser.refuse(server, "too many connections"));
            clients.push(client);
        }
        // A refusal that waited out the drain time for a silent client's
        // request would take twice this, for twenty of them.
        let refused_in = started.elapsed();
        assert!(refused_in < DRAIN_TIME * 10, "20 refusals took {refused_in:?}");
        for client in &clients {
            let text = read_all(client);
            assert!(text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{text:?}");
            assert!(text.contains("\r\nRetry-After: 1\r\n"), "{text:?}");
            assert!(text.ends_with("too many connections\n"), "{text:?}");
        }
    }

    #[test]
    fn a_request_that_arrives_after_the_refusal_is_drained_not_reset() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let refuser = Refuser::start().unwrap();
        let (mut client, server) = pair(&listener);
        assert!(refuser.refuse(server, "too many connections"));
        thread::sleep(DRAIN_TIME / 5);
        // The server's side is still open for reading: the request is
        // taken, and the connection then ends with a FIN, not a reset.
        client.write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let text = read_all(&client);
        assert!(text.starts_with("HTTP/1.1 503 "), "{text:?}");
    }

    #[test]
    fn refusals_beyond_what_the_drainer_holds_get_their_503_too() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let refuser = Refuser::start().unwrap();
        let clients: Vec<TcpStream> = (0..DRAINING_AT_MOST * 3)
            .map(|_| {
                let (client, server) = pair(&listener);
                assert!(refuser.refuse(server, "too many connections"));
                client
            })
            .collect();
        for client in &clients {
            assert!(read_all(client).starts_with("HTTP/1.1 503 "));
        }
        let started = Instant::now();
        drop(refuser);
        // Every socket queued waits out its own time at most, and those
        // times ran while the test read the answers.
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    }
}
