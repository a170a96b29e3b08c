//! An HTTP/1.1 server that knows only a [`Handler`]: the accept loops,
//! where every scrape enters, and where a stop begins.
//!
//! The server owns everything about connections: accepting and bounding
//! them, reading requests with deadlines ([`connection`]), writing each
//! response, refusing what it cannot serve ([`refusal`]), counting the
//! responses written ([`response_counts`]) and keeping sent bodies to be
//! written into again ([`bodies`]). What a response says is the
//! handler's business; it gets a [`Context`] with the one stop flag, the
//! spare bodies and the counts.
//!
//! One thread per listening socket accepts connections and hands each to
//! the one thread pool, after the one connection table has admitted it,
//! so that every listener shares the same limits. The table keeps no more
//! connections than the limit on open files has room for, beside what the
//! handler may hold ([`Settings::handler_descriptors`], see
//! [`exhaustion::FileBudget`]); fewer than `--web.max-connections` if need
//! be, which is said at start.
//!
//! A loop does not die of a passing failure of `accept()`. With no file
//! descriptor left (`EMFILE`, `ENFILE`), once a client waits it closes the
//! connection that has waited longest on its client, as at the cap, and
//! accepts again at once; if every connection is busy answering, it backs
//! off for them to finish instead of spinning. Either is logged at most
//! once per interval. Any other passing error is logged and the loop
//! pauses a moment and goes on.
//! An error that says the socket cannot accept at all (it does not listen)
//! would come back at every call, so it ends the loop, and the process
//! exits for its supervisor to restart it.
//!
//! A connection that cannot be served is refused with `503` by
//! [`refusal::Refuser`], which never makes the loop wait.
//!
//! [`Server::shutdown`] is the graceful stop: accept no more, close the
//! idle connections, let the requests in flight be answered (each of those
//! connections then closes), and join every thread, all within a drain
//! timeout. Dropping the [`Server`] stops at once; tests rely on this to
//! leave nothing behind.

pub mod handler;
pub mod connection_table;
pub mod connection;
pub mod refusal;
pub mod response_counts;
pub mod bodies;

pub use handler::{Context, Handler};

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::http::Status;
use crate::log;
use crate::os::exhaustion::{self, FileBudget};
use crate::os::file_limit::FileLimit;
use crate::os::poll;
use crate::pool::ThreadPool;
use crate::server::connection_table::{Admission, ConnectionTable};
use crate::server::refusal::{Refuser, DRAINING_AT_MOST};

/// How long the accept loop pauses when the process has no file
/// descriptor left and no connection to close, so that connections
/// finishing their answer can free some.
const FD_EXHAUSTED_BACKOFF: Duration = Duration::from_millis(100);

/// Descriptors kept spare beside everything counted: a configuration file
/// being read, the notify socket, a look at `/proc`.
const SPARE_DESCRIPTORS: usize = 8;

/// How long the accept loop pauses after another failed `accept()`, so
/// that an error which keeps coming back cannot make it spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(10);

/// How the server bounds its connections: plain numbers, from the flags.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Connections open at once, at most (`--web.max-connections`); fewer
    /// where the limit on open files has no room for them.
    pub max_connections: usize,
    /// How long a request head may take to arrive, from its first byte.
    pub read_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// Descriptors the handler may hold at once beside the connections
    /// (probes' sockets, lookups), for fitting connections to the limit
    /// on open files.
    pub handler_descriptors: usize,
}

/// A running server. Dropping it stops it at once.
pub struct Server {
    local_addrs: Vec<SocketAddr>,
    shared: Arc<Shared>,
    accept_threads: Vec<JoinHandle<()>>,
}

/// What the accept loops share.
struct Shared {
    handler: Arc<dyn Handler>,
    context: Context,
    settings: Settings,
    table: Arc<ConnectionTable>,
    pool: Mutex<ThreadPool>,
    refuser: Refuser,
}

/// How a graceful stop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drained {
    /// Every request in flight was answered and every thread joined.
    Completely,
    /// The drain timeout passed first; connections still open were cut.
    TimedOut {
        /// How many connections were still open when it passed.
        connections_left: usize,
    },
}

impl Server {
    /// Starts serving `handler` on every listener, each in an accept
    /// thread of its own. `on_stop` runs if an accept loop ever ends by
    /// itself (a bug), so that the process can exit and a supervisor
    /// restart it.
    pub fn start(
        listeners: Vec<TcpListener>,
        settings: Settings,
        handler: Arc<dyn Handler>,
        on_stop: impl Fn() + Send + Sync + 'static,
    ) -> io::Result<Server> {
        let max_connections = connections_within_file_limit(&settings);
        let shared = Arc::new(Shared {
            handler,
            context: Context::new(),
            settings,
            table: Arc::new(ConnectionTable::new(max_connections)),
            pool: Mutex::new(ThreadPool::new(max_connections)),
            refuser: Refuser::start()?,
        });
        let on_stop = Arc::new(on_stop);
        let mut server = Server { local_addrs: Vec::new(), shared, accept_threads: Vec::new() };
        for listener in listeners {
            server.local_addrs.push(listener.local_addr()?);
            let shared = Arc::clone(&server.shared);
            let on_stop = Arc::clone(&on_stop);
            let thread = thread::Builder::new().name("accept".to_string()).spawn(move || {
                accept_loop(&listener, &shared);
                if !shared.context.is_stopping() {
                    log::error("an accept loop stopped", &[]);
                    on_stop();
                }
            })?;
            server.accept_threads.push(thread);
        }
        Ok(server)
    }

    /// The addresses the server listens on, in the order given.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// The first address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addrs[0]
    }

    /// Stops gracefully: no new connection is accepted, idle ones are
    /// closed, and requests in flight get their whole answer, within
    /// `timeout`. Only a complete drain joins the workers; after a timeout
    /// they are left to the process's exit.
    pub fn shutdown(mut self, timeout: Duration) -> Drained {
        let deadline = Instant::now() + timeout;
        self.stop_accepting();
        let table = &self.shared.table;
        table.close_idle();
        while !table.is_empty() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        let connections_left = table.len();
        if connections_left > 0 {
            table.close_all();
            return Drained::TimedOut { connections_left };
        }
        lock(&self.shared.pool).join();
        Drained::Completely
    }

    /// Sets the stop flag and ends the accept loops. `accept()` has no
    /// timeout; a connection of our own wakes each loop so it sees the flag.
    fn stop_accepting(&mut self) {
        self.shared.context.begin_stop();
        for addr in &self.local_addrs {
            let _ = TcpStream::connect_timeout(&reachable(*addr), Duration::from_secs(1));
        }
        for thread in self.accept_threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.accept_threads.is_empty() {
            return; // Already stopped.
        }
        self.stop_accepting();
        self.shared.table.close_all();
        lock(&self.shared.pool).join();
    }
}

/// `--web.max-connections`, or fewer where the limit on open files has no
/// room for so many beside what the handler needs; then a warning says so.
fn connections_within_file_limit(settings: &Settings) -> usize {
    let wanted = settings.max_connections;
    let (Ok(limit), Some(in_use)) = (FileLimit::current(), exhaustion::open_descriptors()) else {
        return wanted; // Nothing known to fit it to.
    };
    let budget =
        FileBudget { limit: limit.soft, in_use, others: descriptors_besides_connections(settings) };
    let connections = budget.connections(wanted);
    if connections < wanted {
        log::warn(
            "the open files limit has no room for --web.max-connections; fewer are kept open",
            &[
                ("max_connections", &wanted),
                ("connections", &connections),
                ("open_files_limit", &limit.soft),
                ("needed", &budget.needed(wanted)),
            ],
        );
    }
    connections
}

/// What may hold a descriptor at once beside the connections: what the
/// handler holds, each refused connection being drained, and a few to
/// spare.
fn descriptors_besides_connections(settings: &Settings) -> u64 {
    let refusals = DRAINING_AT_MOST + 1; // Those queued, and the one being answered.
    let others = settings.handler_descriptors + refusals + SPARE_DESCRIPTORS;
    u64::try_from(others).unwrap_or(u64::MAX)
}

/// The pool is only ever locked to hand it a job or to join it; a panic
/// cannot happen in between.
fn lock(pool: &Mutex<ThreadPool>) -> MutexGuard<'_, ThreadPool> {
    pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The address to connect to in order to reach a listener: a listener on
/// all interfaces is reached on loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), v4.port())
        }
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), v6.port())
        }
        other => other,
    }
}

/// Accepts connections on one listener until the stop flag is set, or
/// until the socket cannot accept at all; a passing failure is met and
/// the loop goes on.
fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.context.is_stopping() {
            break;
        }
        let result = match stream {
            Ok(stream) => admit(stream, shared),
            Err(err) if cannot_ever_accept(&err) => {
                log::error("the listening socket cannot accept connections", &[("err", &err)]);
                break;
            }
            Err(err) => Err(err),
        };
        match result {
            Ok(()) => {}
            Err(err) if exhaustion::is_out_of_file_descriptors(&err) => {
                make_room(listener, shared, &err);
            }
            Err(err) => {
                log::warn("accept failed", &[("err", &err)]);
                thread::sleep(ACCEPT_ERROR_PAUSE);
            }
        }
    }
}

/// With no descriptor left to accept with: once a client waits (which
/// [`poll::wait_readable`] tells without a descriptor), makes room for it
/// as at the cap: closes the connection that has waited longest on its
/// client, or waits a moment for one already closing; then the loop
/// accepts again at once. If every connection is busy answering, backs
/// off while they do. No room is made for a client that is not there.
fn make_room(listener: &TcpListener, shared: &Shared, err: &io::Error) {
    let client_waits = match poll::wait_readable(listener, FD_EXHAUSTED_BACKOFF) {
        Ok(client_waits) => client_waits,
        Err(_) => {
            thread::sleep(FD_EXHAUSTED_BACKOFF);
            false
        }
    };
    if !client_waits {
        return; // `accept()` is tried again.
    }
    if shared.table.make_room() {
        exhaustion::report_out_of_fds("accepting; making room", err);
    } else {
        exhaustion::report_out_of_fds("accepting; no connection to close, backing off", err);
        thread::sleep(FD_EXHAUSTED_BACKOFF);
    }
}

/// Whether `accept()` failed because of the socket itself, which no retry
/// changes: `EBADF`, `ENOTSOCK`, `EINVAL` (it does not listen). Linux
/// numbers, accept(2). Not `EOPNOTSUPP`: on TCP, accept(2) counts it among
/// the errors of one new connection that "should be treated like EAGAIN
/// by retrying", and a socket of the wrong type is refused at start.
fn cannot_ever_accept(err: &io::Error) -> bool {
    const EBADF: i32 = 9;
    const EINVAL: i32 = 22;
    const ENOTSOCK: i32 = 88;
    matches!(err.raw_os_error(), Some(EBADF | EINVAL | ENOTSOCK))
}

/// Hands an accepted connection to a worker, or answers 503 at once if
/// every connection is busy or no worker thread can be had. Fails if the
/// connection cannot be tracked (its socket cannot be cloned: no file
/// descriptor left); it is then answered 503 too.
fn admit(stream: TcpStream, shared: &Arc<Shared>) -> io::Result<()> {
    let admission = match shared.table.admit(&stream) {
        Ok(admission) => admission,
        Err(err) => {
            refuse(stream, "cannot take a connection now", shared);
            return Err(err);
        }
    };
    let Admission::Admitted(registration) = admission else {
        log::debug("connection refused: every connection is busy", &[]);
        refuse(stream, "too many connections", shared);
        return Ok(());
    };
    let mut pool = lock(&shared.pool);
    match pool.reserve() {
        Ok(thread) => {
            let shared = Arc::clone(shared);
            // The registration outlives the socket, which `serve` drops.
            thread.run(move || {
                let served = connection::Served {
                    handler: &*shared.handler,
                    context: &shared.context,
                    settings: &shared.settings,
                };
                connection::serve(stream, &served, &registration);
            });
        }
        Err(err) => {
            exhaustion::report_no_thread("taking a connection; answering 503", &err);
            drop(registration);
            refuse(stream, "no worker thread can take the connection", shared);
        }
    }
    Ok(())
}

/// Answers `503` and closes, without waiting on the client.
fn refuse(stream: TcpStream, reason: &str, shared: &Shared) {
    if shared.refuser.refuse(stream, reason) {
        shared.context.response_counts().count(Status::SERVICE_UNAVAILABLE);
    }
}

/// Binds the listen address. `:PORT` means every interface: IPv6 and,
/// through it, IPv4; or IPv4 alone where the host has no IPv6.
pub fn bind(address: &str) -> io::Result<TcpListener> {
    match address.strip_prefix(':') {
        Some(port) if !port.contains(':') => {
            let port: u16 = port.parse().map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidInput, format!("bad port in `{address}`"))
            })?;
            TcpListener::bind((Ipv6Addr::UNSPECIFIED, port))
                .or_else(|_| TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)))
        }
        _ => TcpListener::bind(address),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Request, Response};
    use std::io::{Read, Write};

    fn settings() -> Settings {
        Settings {
            max_connections: 16,
            read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            handler_descriptors: 0,
        }
    }

    /// A handler that answers every request `Healthy`.
    fn healthy() -> Arc<dyn Handler> {
        Arc::new(|_: &Request, _: &Context| Response::text(Status::OK, "Healthy"))
    }

    #[test]
    fn dropping_the_server_closes_its_connections_and_stops_listening() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = Server::start(vec![listener], settings(), healthy(), || {}).unwrap();
        let addr = server.local_addr();

        // A kept-alive connection that has been answered and now waits,
        // holding a worker in `read()`.
        let mut idle = TcpStream::connect(addr).unwrap();
        idle.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        idle.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
        let mut response = [0u8; 1024];
        let n = idle.read(&mut response).unwrap();
        assert!(response[..n].starts_with(b"HTTP/1.1 200 OK\r\n"));

        drop(server); // Returns only once every thread has been joined.

        assert_eq!(idle.read(&mut response).unwrap_or(0), 0, "the idle connection is closed");
        assert!(TcpStream::connect(addr).is_err(), "nothing listens any more");
    }

    #[test]
    fn a_socket_that_cannot_accept_ends_its_loop_instead_of_spinning() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let connected = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        // A connected socket in a listener's place: every `accept()` on it
        // fails at once with `EINVAL`.
        let not_listening = TcpListener::from(std::os::fd::OwnedFd::from(connected));
        let (stopped, on_stop) = std::sync::mpsc::channel();
        let server = Server::start(vec![not_listening], settings(), healthy(), move || {
            let _ = stopped.send(());
        })
        .unwrap();
        assert!(on_stop.recv_timeout(Duration::from_secs(5)).is_ok(), "the loop never ended");
        drop(server);
    }
}
