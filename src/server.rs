//! The accept loop: where every scrape enters.
//!
//! One thread accepts connections and hands each to the thread pool,
//! after the connection table has admitted it. The loop never dies of a
//! failed `accept()`: with no file descriptor left (`EMFILE`) it backs off
//! and logs, instead of spinning or exiting, and any other error is
//! logged and the loop goes on.
//!
//! Dropping the [`Server`] stops the loop, closes every connection and
//! joins every thread; tests rely on this to leave nothing behind.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::connection;
use crate::connection_table::{Admission, ConnectionTable};
use crate::exporter::Exporter;
use crate::http::{Delivery, Response, Status};
use crate::limits;
use crate::log;
use crate::pool::ThreadPool;

/// How long the accept loop pauses when the process has no file
/// descriptor left, so that finishing connections can free some.
const FD_EXHAUSTED_BACKOFF: Duration = Duration::from_millis(100);

/// A running server. Dropping it stops it.
pub struct Server {
    local_addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    accept_thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts serving on `listener` in a thread of its own.
    pub fn start(listener: TcpListener, exporter: Arc<Exporter>) -> io::Result<Server> {
        let local_addr = listener.local_addr()?;
        let stopping = Arc::new(AtomicBool::new(false));
        let accept_thread = thread::Builder::new().name("accept".to_string()).spawn({
            let stopping = Arc::clone(&stopping);
            move || accept_loop(&listener, &exporter, &stopping)
        })?;
        Ok(Server { local_addr, stopping, accept_thread: Some(accept_thread) })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Blocks for as long as the server runs: for ever, unless its
    /// accepting thread dies, which is a bug, returned as an error so the
    /// process exits with a failure and a supervisor restarts it. (A
    /// SIGTERM ends the whole process at once: std has no signal handling,
    /// and there is no state to save.)
    pub fn wait(mut self) -> io::Result<()> {
        let Some(thread) = self.accept_thread.take() else {
            return Ok(());
        };
        match thread.join() {
            Ok(()) => Err(io::Error::other("the accept loop stopped")),
            Err(_) => Err(io::Error::other("the accept loop panicked")),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let Some(thread) = self.accept_thread.take() else {
            return; // Already stopped.
        };
        self.stopping.store(true, Ordering::SeqCst);
        // `accept()` has no timeout; a connection of our own wakes it up
        // so it can see the flag.
        let _ = TcpStream::connect_timeout(&reachable(self.local_addr), Duration::from_secs(1));
        let _ = thread.join();
    }
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

fn accept_loop(listener: &TcpListener, exporter: &Arc<Exporter>, stopping: &AtomicBool) {
    let config = exporter.config();
    let table = Arc::new(ConnectionTable::new(config.max_connections));
    let mut pool = ThreadPool::new(config.max_connections);
    for stream in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        let result = stream.and_then(|stream| admit(stream, &table, &mut pool, exporter));
        match result {
            Ok(()) => {}
            Err(err) if limits::is_out_of_file_descriptors(&err) => {
                limits::report_out_of_fds("accepting; backing off", &err);
                thread::sleep(FD_EXHAUSTED_BACKOFF);
            }
            Err(err) => log::warn("accept failed", &[("err", &err)]),
        }
    }
    table.close_all();
    drop(pool); // Joins the workers, now that their connections are closed.
}

/// Hands an accepted connection to a worker, or answers 503 at once if
/// every connection is busy or no worker thread can be had. Fails if the
/// connection cannot be tracked (its socket cannot be cloned: no file
/// descriptor left); it is then answered 503 too.
fn admit(
    stream: TcpStream,
    table: &Arc<ConnectionTable>,
    pool: &mut ThreadPool,
    exporter: &Arc<Exporter>,
) -> io::Result<()> {
    let admission = match table.admit(&stream) {
        Ok(admission) => admission,
        Err(err) => {
            refuse(stream, "cannot take a connection now", exporter);
            return Err(err);
        }
    };
    let Admission::Admitted(registration) = admission else {
        log::debug("connection refused: every connection is busy", &[]);
        refuse(stream, "too many connections", exporter);
        return Ok(());
    };
    match pool.reserve() {
        Ok(thread) => {
            let exporter = Arc::clone(exporter);
            thread.run(move || connection::serve(stream, &exporter, registration));
        }
        Err(err) => {
            limits::report_no_thread("taking a connection; answering 503", &err);
            drop(registration);
            refuse(stream, "no worker thread can take the connection", exporter);
        }
    }
    Ok(())
}

/// Writes a 503 from the accepting thread, so that a refused client learns
/// why and when to retry instead of seeing a reset. It is a few hundred
/// bytes, which the socket's send buffer takes at once; the short timeout
/// only guards against the impossible.
fn refuse(mut stream: TcpStream, reason: &str, exporter: &Exporter) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
    let response =
        Response::text(Status::SERVICE_UNAVAILABLE, reason).with_header("Retry-After", "1");
    if response.write_to(&mut stream, Delivery::CLOSE).is_ok() {
        exporter.telemetry().count_response(Status::SERVICE_UNAVAILABLE);
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
    use crate::config::Config;
    use std::io::{Read, Write};

    #[test]
    fn dropping_the_server_closes_its_connections_and_stops_listening() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let exporter = Arc::new(Exporter::new(Config::default()).unwrap());
        let server = Server::start(listener, exporter).unwrap();
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
}
