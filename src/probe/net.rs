//! The network steps every probe takes, each bounded by one deadline.
//!
//! - [`resolve`]: std's resolver (`getaddrinfo`) has no timeout, so a name
//!   is resolved in a helper thread that the probe waits for until its
//!   deadline, then abandons. An abandoned lookup finishes on its own;
//!   how many may be under way at once is capped, so a resolver that
//!   hangs cannot pile up threads.
//! - [`connect`]: tries each address in turn with the time that remains.
//! - [`read_reply`]: reads in slices of at most [`WAKE_EVERY`], each cut
//!   to the time that remains, until the reply's end ([`ReadUntil`]) or a
//!   close, and fails once the reply passes a byte cap.
//!
//! One clock keeps every deadline: `Instant`, the monotonic clock. A
//! socket's read timeout is a kernel timer of its own, which on a busy or
//! virtual machine runs late against that clock (by over a second in 30 s);
//! so no read waits longer than [`WAKE_EVERY`] before the time left is
//! worked out again from `Instant`, and a late timer costs at most a few
//! milliseconds of its last slice. A name lookup is waited for in the same
//! slices. `connect` is the one wait not cut in slices, since a connect
//! cannot be resumed: std's `connect_timeout` waits in `poll`, whose timer
//! keeps the monotonic clock, and counts down from `Instant` when it wakes.

use std::io::{self, ErrorKind, Read};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::{Phase, ProbeError};
use crate::json::ValueEnd;
use crate::os::exhaustion;
use crate::target::Address;

/// Name lookups running at once, at most. Past it a probe fails at once
/// rather than start one more thread.
pub const MAX_PENDING_LOOKUPS: usize = 64;

static PENDING_LOOKUPS: AtomicUsize = AtomicUsize::new(0);

/// Resolves the address before the deadline. An IP address needs no
/// lookup and no thread, a link-local one with its zone neither.
pub fn resolve(address: &Address, deadline: Instant) -> Result<Vec<SocketAddr>, ProbeError> {
    if let Some(addr) = address.socket_addr() {
        return addr.map(|addr| vec![addr]).map_err(ProbeError::Resolve);
    }
    time_left(deadline, Phase::Resolve)?;
    if PENDING_LOOKUPS.fetch_add(1, Ordering::AcqRel) >= MAX_PENDING_LOOKUPS {
        PENDING_LOOKUPS.fetch_sub(1, Ordering::AcqRel);
        return Err(ProbeError::Exporter("too many name lookups under way".to_string()));
    }
    let (sender, receiver) = mpsc::channel();
    let host_and_port = (address.host.clone(), address.port);
    let spawned = thread::Builder::new()
        .name("resolve".to_string())
        .stack_size(crate::pool::STACK_SIZE)
        .spawn(move || {
            let result = host_and_port.to_socket_addrs().map(Iterator::collect::<Vec<_>>);
            PENDING_LOOKUPS.fetch_sub(1, Ordering::AcqRel);
            // The probe may have given up waiting; then nobody listens.
            let _ = sender.send(result);
        });
    if let Err(err) = spawned {
        PENDING_LOOKUPS.fetch_sub(1, Ordering::AcqRel);
        exhaustion::report_no_thread("resolving a probe's target", &err);
        return Err(ProbeError::Exporter(format!("cannot start a lookup: {err}")));
    }
    wait_for_lookup(&receiver, deadline)
}

/// The lookup's answer, waited for in slices until the deadline.
fn wait_for_lookup(
    answer: &mpsc::Receiver<io::Result<Vec<SocketAddr>>>,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, ProbeError> {
    loop {
        let slice = time_left(deadline, Phase::Resolve)?.min(WAKE_EVERY);
        return match answer.recv_timeout(slice) {
            Ok(Ok(addrs)) if addrs.is_empty() => Err(ProbeError::Resolve("no address".to_string())),
            Ok(Ok(addrs)) => Ok(addrs),
            Ok(Err(err)) => Err(ProbeError::Resolve(err.to_string())),
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(ProbeError::Resolve("the lookup failed".to_string()))
            }
        };
    }
}

/// Connects to the first address that accepts before the deadline.
pub fn connect(
    addrs: &[SocketAddr],
    deadline: Instant,
) -> Result<(TcpStream, SocketAddr), ProbeError> {
    let mut last_error = ProbeError::Resolve("no address".to_string());
    for addr in addrs {
        let remaining = time_left(deadline, Phase::Connect)?;
        match TcpStream::connect_timeout(addr, remaining) {
            Ok(stream) => return Ok((stream, *addr)),
            Err(err) => last_error = classify(err, Phase::Connect),
        }
    }
    Err(last_error)
}

/// Where a reply ends, besides at a close: what [`read_reply`] asks after
/// each read, with the bytes that read brought.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadUntil {
    /// At the first line feed: a daytime line.
    LineEnd,
    /// At the end of the first JSON value: a counter's reply, whether or
    /// not the service closes after it. The search keeps its place from
    /// one read to the next, so each byte is looked at once.
    JsonValue(ValueEnd),
}

impl ReadUntil {
    /// The end of one JSON value, none of it read yet.
    pub fn json_value() -> ReadUntil {
        ReadUntil::JsonValue(ValueEnd::new())
    }

    /// Whether `chunk`, the bytes the latest read brought, ends the reply.
    fn is_reached_in(&mut self, chunk: &[u8]) -> bool {
        match self {
            ReadUntil::LineEnd => chunk.contains(&b'\n'),
            ReadUntil::JsonValue(end) => end.found_in(chunk),
        }
    }
}

/// What a reply's buffer starts with: a daytime line or a counter's JSON
/// fits, and small buffers are what allocators serve fastest.
const REPLY_CAPACITY: usize = 128;

/// How long a read timeout set on the socket is reused by the next read.
const TIMEOUT_KEPT_FOR: Duration = Duration::from_millis(1);

/// The longest any wait sleeps before it looks at the clock again: a
/// target that never answers costs five wake-ups a second, and a kernel
/// timer that runs late can only make the last slice late.
pub const WAKE_EVERY: Duration = Duration::from_millis(200);

/// Reads a reply of at most `limit` bytes before the deadline.
pub fn read_reply(
    stream: &mut TcpStream,
    deadline: Instant,
    limit: usize,
    mut until: ReadUntil,
) -> Result<Vec<u8>, ProbeError> {
    // Small: a daytime line or a counter's JSON fits, and the chunk is
    // zeroed at every probe.
    let mut chunk = [0u8; 512];
    let mut reply = Vec::with_capacity(REPLY_CAPACITY.min(limit));
    let mut timeout_set_at: Option<Instant> = None;
    loop {
        let slice = time_left(deadline, Phase::Read)?.min(WAKE_EVERY);
        // The socket's timeout counts from the start of each read, so it
        // is set again before each read, except a read that follows the
        // last setting within a millisecond (the end-of-file after a
        // reply, usually): one `setsockopt` saved per probe, for a
        // deadline kept to within that millisecond.
        let now = Instant::now();
        if timeout_set_at.is_none_or(|at| now - at > TIMEOUT_KEPT_FOR) {
            stream.set_read_timeout(Some(slice)).map_err(|err| classify(err, Phase::Read))?;
            timeout_set_at = Some(now);
        }
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Ok(reply),
            Ok(n) => n,
            // A slice ran out, or a signal came: the clock says whether
            // the deadline has passed.
            Err(err) if is_a_wake_up(&err) => continue,
            Err(err) => return Err(classify(err, Phase::Read)),
        };
        if reply.len() + n > limit {
            return Err(ProbeError::TooLarge { limit });
        }
        reply.extend_from_slice(&chunk[..n]);
        if until.is_reached_in(&chunk[..n]) {
            return Ok(reply);
        }
    }
}

/// A read that ended without data or error of the peer's: its timeout
/// (`WouldBlock` on Unix, `TimedOut` on Windows) or a signal.
fn is_a_wake_up(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted)
}

/// The time left before the deadline; none left is a timeout. (A zero
/// duration must never reach `set_read_timeout`, which rejects it.)
fn time_left(deadline: Instant, phase: Phase) -> Result<Duration, ProbeError> {
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        Err(ProbeError::Timeout(phase))
    } else {
        Ok(remaining)
    }
}

/// Sorts an I/O error into what the outcome metric tells apart. A read
/// timeout is `WouldBlock` on Unix and `TimedOut` on Windows. No file
/// descriptor left for the socket is the exporter's trouble, not the
/// target's.
fn classify(err: io::Error, phase: Phase) -> ProbeError {
    if exhaustion::is_out_of_file_descriptors(&err) {
        exhaustion::report_out_of_fds("probing", &err);
        return ProbeError::Exporter(format!("{phase}: {err}"));
    }
    match err.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => ProbeError::Timeout(phase),
        ErrorKind::ConnectionRefused => ProbeError::Refused,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            ProbeError::Reset(phase)
        }
        _ => ProbeError::Io(phase, err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    fn address(text: &str) -> Address {
        Address::parse(text).unwrap()
    }

    #[test]
    fn ip_addresses_need_no_lookup() {
        let addrs = resolve(&address("[::1]:13"), Instant::now() + Duration::from_secs(1)).unwrap();
        assert_eq!(addrs, vec!["[::1]:13".parse().unwrap()]);
    }

    #[test]
    fn a_link_local_address_needs_no_lookup_and_keeps_its_zone() {
        // No lookup, so not even a spent deadline stops it: the loopback
        // interface, 1 on Linux, becomes the scope id.
        let past = Instant::now();
        for text in ["[fe80::1%lo]:13", "[fe80::1%1]:13"] {
            let addrs = resolve(&address(text), past).unwrap();
            assert_eq!(addrs, vec!["[fe80::1%1]:13".parse().unwrap()], "{text}");
            let SocketAddr::V6(addr) = addrs[0] else { panic!("{text}: not IPv6") };
            assert_eq!(addr.scope_id(), 1, "{text}");
        }
    }

    #[test]
    fn a_passed_deadline_is_a_timeout() {
        let past = Instant::now();
        assert!(matches!(
            resolve(&address("localhost:13"), past),
            Err(ProbeError::Timeout(Phase::Resolve))
        ));
        // A listener that would accept: only the deadline can fail this.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addrs = [listener.local_addr().unwrap()];
        assert!(matches!(connect(&addrs, past), Err(ProbeError::Timeout(Phase::Connect))));
    }

    #[test]
    fn a_closed_port_is_refused() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let result = connect(&[addr], Instant::now() + Duration::from_secs(5));
        assert!(matches!(result, Err(ProbeError::Refused)), "{result:?}");
    }

    #[test]
    fn reads_stop_at_the_cap_and_at_a_line_end() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            // A hundred `[` open arrays that never close: no end in sight.
            for reply in [&b"line one\r\nline two\r\n"[..], &[b'['; 100][..]] {
                let (mut stream, _) = listener.accept().unwrap();
                stream.write_all(reply).unwrap();
            }
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let (mut first, peer) = connect(&[addr], deadline).unwrap();
        assert_eq!(peer, addr);
        let line = read_reply(&mut first, deadline, 512, ReadUntil::LineEnd).unwrap();
        assert!(line.starts_with(b"line one\r\n"));
        let (mut second, _) = connect(&[addr], deadline).unwrap();
        let result = read_reply(&mut second, deadline, 50, ReadUntil::json_value());
        assert!(matches!(result, Err(ProbeError::TooLarge { limit: 50 })), "{result:?}");
        server.join().unwrap();
    }

    #[test]
    fn a_json_reply_ends_with_its_value_while_the_peer_stays() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            // Split inside a string, and between a backslash and the
            // quote it escapes.
            for part in [&br#"{"s": "}\"#[..], br#""""#, br#", "n": 2}"#] {
                stream.write_all(part).unwrap();
                thread::sleep(Duration::from_millis(20));
            }
            // Stays until the reader hangs up: only the value can end it.
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = stream.read(&mut [0u8; 1]);
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        let (mut stream, _) = connect(&[addr], deadline).unwrap();
        let reply = read_reply(&mut stream, deadline, 512, ReadUntil::json_value()).unwrap();
        assert_eq!(reply, br#"{"s": "}\"", "n": 2}"#);
        drop(stream);
        server.join().unwrap();
    }

    #[test]
    fn a_silent_peer_is_waited_for_in_slices_until_the_deadline() {
        // A listener that never accepts: the connection completes in the
        // backlog and nothing is ever sent.
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let started = Instant::now();
        let deadline = started + Duration::from_millis(700);
        let (mut stream, _) = connect(&[silent.local_addr().unwrap()], deadline).unwrap();
        let result = read_reply(&mut stream, deadline, 512, ReadUntil::LineEnd);
        let elapsed = started.elapsed();
        assert!(matches!(result, Err(ProbeError::Timeout(Phase::Read))), "{result:?}");
        assert!(elapsed >= Duration::from_millis(700), "gave up early: {elapsed:?}");
        assert!(elapsed < Duration::from_millis(750), "late: {elapsed:?}");
        // No one sleep was longer than a slice: the kernel's timer was
        // never trusted with more than WAKE_EVERY.
        let last = stream.read_timeout().unwrap().unwrap();
        assert!(last <= WAKE_EVERY, "slept up to {last:?} at once");
    }
}
