//! Signals, received on one thread of their own, with std alone.
//!
//! std has no signal API, so this is one of the OS modules with
//! `unsafe`. It uses the simplest safe pattern there
//! is, and no signal handler at all:
//!
//! 1. [`block`], in `main` while it is still the only thread, blocks
//!    `SIGHUP`, `SIGTERM` and `SIGINT`. Threads inherit the mask of the
//!    thread that starts them, so no thread is ever interrupted by these
//!    signals and their default actions (ending the process) never run.
//! 2. [`spawn_receiver`] starts one thread that waits in `sigwait(3)` and
//!    takes each signal as a plain value, then calls ordinary code.
//!
//! Nothing runs in signal context, so none of the rules of
//! async-signal-safety apply. `SIGPIPE` stays ignored, as Rust's runtime
//! sets it. The libc functions are declared here; std links libc already.

use std::fmt;
use std::io;
use std::os::raw::c_int;
use std::panic::{self, AssertUnwindSafe};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::log;

/// The Linux numbers of the signals taken (signal(7)).
const SIGHUP: c_int = 1;
const SIGINT: c_int = 2;
const SIGTERM: c_int = 15;
/// `how` for `pthread_sigmask`: add the set to the blocked signals.
const SIG_BLOCK: c_int = 0;
/// `EINTR`: sigwait may return it; then it is simply called again.
const EINTR: c_int = 4;

/// `sigset_t`: 1024 bits, 128 bytes, with glibc and musl alike on Linux.
/// Only `sigemptyset` and `sigaddset` write it, so its layout stays theirs.
#[repr(C)]
#[derive(Clone, Copy)]
struct SigSet {
    bits: [u64; 16],
}

#[allow(unsafe_code)]
extern "C" {
    fn sigemptyset(set: *mut SigSet) -> c_int;
    fn sigaddset(set: *mut SigSet, signal: c_int) -> c_int;
    fn pthread_sigmask(how: c_int, set: *const SigSet, old: *mut SigSet) -> c_int;
    fn sigwait(set: *const SigSet, signal: *mut c_int) -> c_int;
}

/// A signal the exporter acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// `SIGHUP`: reload the configuration.
    Hangup,
    /// `SIGINT` (Ctrl-C): stop gracefully.
    Interrupt,
    /// `SIGTERM` (what systemd and `kill` send): stop gracefully.
    Terminate,
}

impl Signal {
    /// The name, as `kill -l` and the logs write it.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Hangup => "SIGHUP",
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The Linux number of the signal.
    pub fn number(self) -> i32 {
        match self {
            Signal::Hangup => SIGHUP,
            Signal::Interrupt => SIGINT,
            Signal::Terminate => SIGTERM,
        }
    }

    fn from_number(number: c_int) -> Option<Signal> {
        [Signal::Hangup, Signal::Interrupt, Signal::Terminate]
            .into_iter()
            .find(|signal| signal.number() == number)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The blocked signals, to be waited for.
pub struct Signals {
    set: SigSet,
}

/// Blocks `SIGHUP`, `SIGINT` and `SIGTERM` in the calling thread, and in
/// every thread it starts from now on. Call it first thing in `main`,
/// before any thread exists: a thread started earlier would keep the
/// default actions, and a signal delivered to it would end the process.
#[allow(unsafe_code)]
pub fn block() -> io::Result<Signals> {
    let mut set = SigSet { bits: [0; 16] };
    // SAFETY: `set` is a valid, writable sigset_t-sized value that lives
    // through the calls; sigemptyset and sigaddset only write into it.
    let filled = unsafe {
        sigemptyset(&mut set) == 0
            && [SIGHUP, SIGINT, SIGTERM].iter().all(|&signal| sigaddset(&mut set, signal) == 0)
    };
    if !filled {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `set` was filled by sigemptyset/sigaddset; a null `old` asks
    // for no copy of the previous mask, which pthread_sigmask allows.
    let result = unsafe { pthread_sigmask(SIG_BLOCK, &set, std::ptr::null_mut()) };
    if result != 0 {
        return Err(io::Error::from_raw_os_error(result));
    }
    Ok(Signals { set })
}

impl Signals {
    /// Waits until one of the blocked signals is pending, and takes it.
    #[allow(unsafe_code)]
    pub fn wait(&self) -> io::Result<Signal> {
        loop {
            let mut number: c_int = 0;
            // SAFETY: `self.set` was filled by `block`, and `number` is a
            // valid place for sigwait to write the signal it took.
            let result = unsafe { sigwait(&self.set, &mut number) };
            if result == EINTR {
                continue;
            }
            if result != 0 {
                return Err(io::Error::from_raw_os_error(result));
            }
            if let Some(signal) = Signal::from_number(number) {
                return Ok(signal);
            }
        }
    }
}

/// Starts the thread that takes the signals and hands each to
/// `on_signal`. The thread never ends the process by itself: a panic in
/// `on_signal` is caught and logged, and a failing `sigwait` is logged
/// and tried again a second later.
pub fn spawn_receiver(
    signals: Signals,
    mut on_signal: impl FnMut(Signal) + Send + 'static,
) -> io::Result<JoinHandle<()>> {
    thread::Builder::new().name("signals".to_string()).spawn(move || loop {
        match signals.wait() {
            Ok(signal) => {
                if panic::catch_unwind(AssertUnwindSafe(|| on_signal(signal))).is_err() {
                    log::error("a panic while handling a signal", &[("signal", &signal)]);
                }
            }
            Err(err) => {
                log::error("waiting for signals failed", &[("err", &err)]);
                thread::sleep(Duration::from_secs(1));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(unsafe_code)]
    extern "C" {
        fn pthread_self() -> usize;
        fn pthread_kill(thread: usize, signal: c_int) -> c_int;
    }

    /// `how` for `pthread_sigmask`: remove the set from the blocked signals.
    const SIG_UNBLOCK: c_int = 1;

    #[test]
    #[allow(unsafe_code)]
    fn a_blocked_signal_is_taken_by_wait() {
        // The test runs on a thread of the test harness, whose other
        // threads do not block the signal; so the signal is sent to this
        // thread alone, and the mask restored afterwards.
        let signals = block().unwrap();
        // SAFETY: pthread_self names the calling thread, alive throughout,
        // and SIGHUP is blocked in it, so it stays pending until taken.
        assert_eq!(unsafe { pthread_kill(pthread_self(), SIGHUP) }, 0);
        assert_eq!(signals.wait().unwrap(), Signal::Hangup);
        // SAFETY: as in `block`; this undoes it for this thread.
        unsafe { pthread_sigmask(SIG_UNBLOCK, &signals.set, std::ptr::null_mut()) };
    }

    #[test]
    fn signals_have_their_names_and_numbers() {
        assert_eq!(Signal::Terminate.to_string(), "SIGTERM");
        assert_eq!(Signal::Interrupt.name(), "SIGINT");
        assert_eq!(Signal::Hangup.number(), 1);
        assert_eq!(Signal::from_number(15), Some(Signal::Terminate));
        assert_eq!(Signal::from_number(9), None);
    }
}
