//! When the exporter itself runs out: of file descriptors, or of threads.
//!
//! Neither is a client's nor a target's fault, and both must be told
//! apart from those: a connection that cannot be served is answered `503`,
//! a probe that cannot get a socket has the outcome `exporter_error`, not
//! a network error of the target's. Running out can last for minutes, and
//! shows at every connection or probe while it does; a log line for each
//! would flood the log when the operator most needs to read it, so each
//! condition is logged once, then again only every ten seconds.

use std::io;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::log;

/// How often a lasting shortage is logged again.
const REPEAT_EVERY: Duration = Duration::from_secs(10);

static OUT_OF_FDS: Throttle = Throttle::new(REPEAT_EVERY);
static NO_THREAD: Throttle = Throttle::new(REPEAT_EVERY);

/// `EMFILE` (per process) and `ENFILE` (system-wide): std has no
/// `ErrorKind` for them, so the Linux numbers are compared.
pub fn is_out_of_file_descriptors(err: &io::Error) -> bool {
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    matches!(err.raw_os_error(), Some(ENFILE | EMFILE))
}

/// Logs, at most once per interval, that no file descriptor was left for
/// `what` (e.g. "accepting", "probing").
pub fn report_out_of_fds(what: &str, err: &io::Error) {
    if OUT_OF_FDS.ready() {
        log::error("out of file descriptors", &[("while", &what), ("err", err)]);
    }
}

/// Logs, at most once per interval, that no thread could be started for
/// `what`.
pub fn report_no_thread(what: &str, err: &io::Error) {
    if NO_THREAD.ready() {
        log::error("cannot start a thread", &[("while", &what), ("err", err)]);
    }
}

/// Lets an event through at most once per interval.
struct Throttle {
    interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl Throttle {
    /// A throttle that lets the first event through, then one per `interval`.
    const fn new(interval: Duration) -> Throttle {
        Throttle { interval, last: Mutex::new(None) }
    }

    /// Whether this event should be reported: the first one, or the first
    /// since the interval passed.
    fn ready(&self) -> bool {
        self.ready_at(Instant::now())
    }

    /// [`Throttle::ready`] for an event at `now`. An instant a thread read
    /// before another's, but stored after it, counts as within the
    /// interval: `duration_since` saturates at zero.
    fn ready_at(&self, now: Instant) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.is_some_and(|at| now.duration_since(at) < self.interval) {
            return false;
        }
        *last = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lets_one_event_through_per_interval() {
        // The instants are given, not slept for: with a short interval
        // and real time, a busy machine could hold the test between two
        // calls for longer than the interval.
        let interval = Duration::from_secs(10);
        let throttle = Throttle::new(interval);
        let start = Instant::now();
        assert!(throttle.ready_at(start), "the first event");
        assert!(!throttle.ready_at(start), "a second one at once");
        let just_before = start + interval - Duration::from_millis(1);
        assert!(!throttle.ready_at(just_before), "one just before the interval ends");
        assert!(throttle.ready_at(start + interval), "the first after the interval");
        assert!(!throttle.ready_at(start + interval), "the interval starts again from it");
    }

    #[test]
    fn reads_the_clock_itself() {
        let throttle = Throttle::new(Duration::from_secs(10));
        assert!(throttle.ready(), "the first event");
        assert!(!throttle.ready(), "a second one at once");
    }
}
