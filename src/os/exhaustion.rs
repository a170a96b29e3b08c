//! When the exporter itself runs out: of file descriptors, or of threads.
//!
//! Neither is a client's nor a target's fault, and both must be told
//! apart from those: a connection that cannot be served is answered `503`,
//! a probe that cannot get a socket has the outcome `exporter_error`, not
//! a network error of the target's. Running out can last for minutes, and
//! shows at every connection or probe while it does; a log line for each
//! would flood the log when the operator most needs to read it, so each
//! condition is logged once, then again only every ten seconds.
//!
//! Descriptors are also shared out before they run out. At start the soft
//! limit is raised to the hard one ([`raise_file_limit`]), and a
//! [`FileBudget`] says how many connections the limit has room for beside
//! what probes, lookups and refusals may hold at once; the server keeps no
//! more connections open than that, so that at its cap it closes an idle
//! connection to make room, as it does at `--web.max-connections`, rather
//! than finding no descriptor left to accept with.

use std::fs;
use std::io;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::log;
use crate::os::file_limit::FileLimit;

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

/// Each open connection holds two descriptors: its socket, and the clone
/// the connection table keeps to close it from the accepting thread.
pub const DESCRIPTORS_PER_CONNECTION: u64 = 2;

/// Raises the soft limit on open files to the hard one, as a program that
/// never calls `select(2)` should (see [`crate::os::file_limit`]). Where
/// the kernel refuses, the limit stays as it was, and the server fits its
/// connections to that.
pub fn raise_file_limit() {
    let Ok(before) = FileLimit::current() else { return };
    match FileLimit::raise_soft_to_hard() {
        Ok(after) if after.soft != before.soft => {
            log::debug(
                "raised the open files limit",
                &[("from", &before.soft), ("to", &after.soft)],
            );
        }
        Ok(_) => {}
        Err(err) => {
            log::debug(
                "cannot raise the open files limit",
                &[("limit", &before.soft), ("err", &err)],
            );
        }
    }
}

/// How many descriptors the process has open now: the entries of
/// `/proc/self/fd`, less the one that lists them.
pub fn open_descriptors() -> Option<u64> {
    let entries = fs::read_dir("/proc/self/fd").ok()?.count();
    u64::try_from(entries.saturating_sub(1)).ok()
}

/// How the limit on open files is shared out between connections and
/// everything else that takes a descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileBudget {
    /// The soft limit on open files.
    pub limit: u64,
    /// Descriptors open before the first connection: the standard
    /// streams, the listeners, `/proc/self/stat`.
    pub in_use: u64,
    /// Descriptors everything but the connections may hold at once:
    /// probes, name lookups, refused connections being drained, a
    /// configuration file being read.
    pub others: u64,
}

impl FileBudget {
    /// Descriptors needed with `connections` open and everything else at
    /// its bound.
    pub fn needed(&self, connections: usize) -> u64 {
        let connections = u64::try_from(connections).unwrap_or(u64::MAX);
        self.in_use
            .saturating_add(self.others)
            .saturating_add(connections.saturating_mul(DESCRIPTORS_PER_CONNECTION))
    }

    /// How many of `wanted` connections the limit has room for. Where it
    /// cannot hold them and the others too, the others get what they need
    /// but at most half of the descriptors free, and connections the rest:
    /// neither side can then starve the other. At least one connection.
    pub fn connections(&self, wanted: usize) -> usize {
        if self.needed(wanted) <= self.limit {
            return wanted;
        }
        let free = self.limit.saturating_sub(self.in_use);
        let for_connections = free - self.others.min(free / 2);
        let room = for_connections / DESCRIPTORS_PER_CONNECTION;
        usize::try_from(room).unwrap_or(usize::MAX).clamp(1, wanted.max(1))
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

    /// The defaults: `--web.max-connections 256`, 127 probe threads and 40
    /// scrapes probing, 64 lookups, 33 refusals draining and 8 to spare.
    const DEFAULT_OTHERS: u64 = 127 + 40 + 64 + 33 + 8;

    #[test]
    fn the_defaults_fit_the_common_soft_limit_of_1024() {
        let budget = FileBudget { limit: 1024, in_use: 5, others: DEFAULT_OTHERS };
        assert_eq!(budget.needed(256), 5 + DEFAULT_OTHERS + 512);
        assert!(budget.needed(256) <= 1024);
        assert_eq!(budget.connections(256), 256);
    }

    #[test]
    fn more_connections_than_the_limit_holds_are_cut_to_what_it_does() {
        // 1,019 free; the others take their 272, the connections the rest.
        let budget = FileBudget { limit: 1024, in_use: 5, others: DEFAULT_OTHERS };
        assert_eq!(budget.connections(1000), (1019 - 272) / 2);
        let needed = budget.needed(budget.connections(1000));
        assert!(needed <= 1024, "{needed} descriptors needed");
    }

    #[test]
    fn a_small_limit_is_shared_half_and_half() {
        // 59 free, fewer than the others would take: they get 29 of them,
        // the connections 30, two descriptors each.
        let budget = FileBudget { limit: 64, in_use: 5, others: DEFAULT_OTHERS };
        assert_eq!(budget.connections(256), 15);
        let budget = FileBudget { limit: 24, in_use: 5, others: DEFAULT_OTHERS };
        assert_eq!(budget.connections(256), 5);
    }

    #[test]
    fn at_least_one_connection_and_never_more_than_wanted() {
        let full = FileBudget { limit: 5, in_use: 9, others: DEFAULT_OTHERS };
        assert_eq!(full.connections(256), 1);
        let roomy = FileBudget { limit: 1 << 20, in_use: 5, others: DEFAULT_OTHERS };
        assert_eq!(roomy.connections(3), 3);
        let unlimited = FileBudget { limit: u64::MAX, in_use: 5, others: DEFAULT_OTHERS };
        assert_eq!(unlimited.connections(usize::MAX), usize::MAX);
    }

    #[test]
    fn reads_the_clock_itself() {
        let throttle = Throttle::new(Duration::from_secs(10));
        assert!(throttle.ready(), "the first event");
        assert!(!throttle.ready(), "a second one at once");
    }
}
