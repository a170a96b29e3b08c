//! Waiting for a client to connect, without a descriptor to accept with.
//!
//! When the process has no file descriptor left, `accept()` fails at once
//! with `EMFILE`, whether a client waits or not: the kernel takes the new
//! descriptor's number before it looks for a connection. The accept loop
//! then frees descriptors by closing an idle connection, but it should do
//! so only for a client that is there, or it would close connections for
//! nobody. `poll(2)` says whether one is, and needs no new descriptor to
//! say it. std has no call for it, so it is declared here: one of the OS
//! modules with `unsafe`.

use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::os::raw::{c_int, c_short, c_ulong};
use std::time::Duration;

/// `POLLIN`: there is something to read; on a listening socket, a
/// connection to accept.
const POLLIN: c_short = 0x1;

/// `struct pollfd`.
#[repr(C)]
struct PollFd {
    fd: c_int,
    events: c_short,
    revents: c_short,
}

#[allow(unsafe_code)]
extern "C" {
    /// `nfds_t` is an `unsigned long` with glibc and musl alike.
    fn poll(fds: *mut PollFd, nfds: c_ulong, timeout_ms: c_int) -> c_int;
}

/// Waits up to `timeout` (to the millisecond, rounded up) for `socket` to
/// be readable: for a listening socket, for a connection to wait in its
/// queue. False if the time ran out first, or a signal came.
#[allow(unsafe_code)]
pub fn wait_readable(socket: &impl AsFd, timeout: Duration) -> io::Result<bool> {
    let timeout_ms = c_int::try_from(timeout.as_micros().div_ceil(1000)).unwrap_or(c_int::MAX);
    let mut watched = PollFd { fd: socket.as_fd().as_raw_fd(), events: POLLIN, revents: 0 };
    // SAFETY: `watched` is one valid, writable `struct pollfd` for the
    // whole call, and nfds says one; its descriptor is borrowed from
    // `socket`, which is open for as long as the call lasts.
    let ready = unsafe { poll(&mut watched, 1, timeout_ms) };
    if ready < 0 {
        let err = io::Error::last_os_error();
        return if err.kind() == io::ErrorKind::Interrupted { Ok(false) } else { Err(err) };
    }
    Ok(watched.revents & POLLIN != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn a_listener_is_readable_once_a_client_waits_and_not_before() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        assert!(!wait_readable(&listener, Duration::from_millis(10)).unwrap(), "nobody waits");
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        assert!(wait_readable(&listener, Duration::from_secs(10)).unwrap(), "a client waits");
        let _accepted = listener.accept().unwrap();
        assert!(!wait_readable(&listener, Duration::ZERO).unwrap(), "it was accepted");
    }
}
