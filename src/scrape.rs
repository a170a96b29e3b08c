//! A scrape's probing: every target at once, within one deadline, on
//! threads that outlive the scrape.
//!
//! Pull-based means fresh: nothing is probed between scrapes and nothing is
//! cached. All targets are probed concurrently on the [`ProbePool`], so a
//! scrape of twenty targets that each answer in 100 ms takes about 100 ms,
//! not two seconds. Each probe gets its own timeout, cut short by the
//! scrape's budget: a plain duration, which the caller works out from what
//! Prometheus says it will wait. Probing knows nothing of HTTP, and turning
//! the reports into families is [`crate::metrics`]'s work.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::pool::ThreadPool;
use crate::probe::{self, Report};
use crate::target::Target;

/// The stack of a probe thread: half a worker's. A probe connects, reads
/// at most 64 KiB into the heap and parses it (JSON nested at most 64
/// deep); name lookups, which want more, run on threads of their own.
pub const PROBE_STACK_SIZE: usize = 128 * 1024;

/// The long-lived threads that probe beside a scrape's own thread, so
/// that no thread is started per scrape: at most `--scrape.concurrency`
/// − 1, started only when a scrape first needs them, then kept.
pub struct ProbePool {
    pool: Mutex<ThreadPool>,
    concurrency: usize,
}

impl ProbePool {
    /// A pool for scrapes that run at most `concurrency` probes at once.
    pub fn new(concurrency: usize) -> ProbePool {
        let concurrency = concurrency.max(1);
        let pool =
            ThreadPool::named("probe", (concurrency - 1).max(1)).with_stack_size(PROBE_STACK_SIZE);
        ProbePool { pool: Mutex::new(pool), concurrency }
    }

    /// How many probe threads have been started so far.
    pub fn thread_count(&self) -> usize {
        self.lock().thread_count()
    }

    /// Probes every target, at most `concurrency` at a time, and returns
    /// the reports in the order of `targets`.
    ///
    /// The scrape has one deadline, the budget or, without one, the
    /// longest of the targets' timeouts: a probe that starts late, because
    /// the targets outnumber the threads, gets only the time left. The
    /// calling thread probes too, first of all, so a scrape of one target
    /// hands nothing over, and a scrape finishes even if no probe thread is
    /// free or can be started.
    pub fn probe_all(&self, targets: &Arc<[Target]>, budget: Option<Duration>) -> Vec<Report> {
        self.probe_all_and(targets, budget, || ()).0
    }

    /// Like [`ProbePool::probe_all`], and runs `meanwhile` on the calling
    /// thread once it has no target left to take, before it waits for the
    /// probe threads: the scrape's other work (reading the process's
    /// figures) then costs no time where a probe thread is still busy.
    pub fn probe_all_and<T>(
        &self,
        targets: &Arc<[Target]>,
        budget: Option<Duration>,
        meanwhile: impl FnOnce() -> T,
    ) -> (Vec<Report>, T) {
        let longest_timeout = targets.iter().map(|target| target.timeout).max().unwrap_or_default();
        let fanout = Arc::new(Fanout {
            targets: Arc::clone(targets),
            next: AtomicUsize::new(0),
            deadline: Instant::now() + budget.unwrap_or(longest_timeout),
        });
        // Room for every report: no send waits, and a bounded channel is
        // one small allocation where an unbounded one zeroes a block.
        let (report_tx, reports) = mpsc::sync_channel(targets.len());
        let helpers = self.concurrency.min(targets.len()).saturating_sub(1);
        for _ in 0..helpers {
            let (fanout, report_tx) = (Arc::clone(&fanout), report_tx.clone());
            let mut pool = self.lock();
            let Ok(thread) = pool.reserve() else { break };
            thread.run(move || fanout.probe_until_none_left(&report_tx));
        }
        fanout.probe_until_none_left(&report_tx);
        let also = meanwhile();
        drop(report_tx);
        let mut slots: Vec<Option<Report>> = targets.iter().map(|_| None).collect();
        for (idx, report) in reports {
            slots[idx] = Some(report);
        }
        let reports = slots
            .into_iter()
            .map(|slot| slot.expect("every target index below len is probed exactly once"))
            .collect();
        (reports, also)
    }

    /// The pool is locked only to hand it a job; nothing can panic then.
    fn lock(&self) -> MutexGuard<'_, ThreadPool> {
        self.pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One scrape's targets, shared by the threads that probe them: each takes
/// the next target not yet taken, until none is left.
struct Fanout {
    targets: Arc<[Target]>,
    next: AtomicUsize,
    deadline: Instant,
}

impl Fanout {
    /// The target's own timeout, cut to the time left before the
    /// deadline. A probe that starts within a millisecond of a whole
    /// timeout before the deadline keeps its own: without a budget, the
    /// first probes would otherwise report `probe_timeout_seconds
    /// 4.999993` for a timeout of 5 s, off by the microseconds spent
    /// before they started.
    fn timeout_for(&self, target: &Target) -> Duration {
        self.timeout_at(target, Instant::now())
    }

    /// [`Fanout::timeout_for`] for a probe that starts at `now`.
    fn timeout_at(&self, target: &Target, now: Instant) -> Duration {
        let time_left = self.deadline.saturating_duration_since(now);
        if time_left + Duration::from_millis(1) >= target.timeout {
            target.timeout
        } else {
            time_left
        }
    }

    fn probe_until_none_left(&self, reports: &mpsc::SyncSender<(usize, Report)>) {
        loop {
            let idx = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(target) = self.targets.get(idx) else { return };
            let timeout = self.timeout_for(target);
            // The scrape waits for every report, so the receiver is there.
            let _ = reports.send((idx, probe::run(target, timeout)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Address, DaytimeSpec, Kind};
    use std::net::{SocketAddr, TcpListener};

    /// `count` daytime targets `t0`, `t1`, … that all probe `addr`.
    fn daytime_targets(addr: SocketAddr, count: usize) -> Vec<Target> {
        let address = Address::parse(&addr.to_string()).unwrap();
        (0..count)
            .map(|idx| {
                let kind = Kind::Daytime(DaytimeSpec::default());
                Target::new(&format!("t{idx}"), kind, address.clone())
            })
            .collect()
    }

    /// A port where nothing listens: every probe of it is refused at once.
    fn closed_port() -> SocketAddr {
        TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
    }

    #[test]
    fn late_probes_get_only_the_time_left_before_the_scrape_deadline() {
        // A listener that never accepts: connections complete in the
        // backlog, and every read waits until its deadline.
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let budget = Duration::from_millis(300);
        let targets = daytime_targets(silent.local_addr().unwrap(), 10);
        let started = Instant::now();
        // One probe at a time: without one deadline for the scrape, the
        // ten would take 10 × 300 ms = 3 s one after the other.
        let reports = ProbePool::new(1).probe_all(&targets.into(), Some(budget));
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
        for report in &reports {
            assert!(report.timeout <= budget, "{report:?}");
            assert!(matches!(report.result, Err(probe::ProbeError::Timeout(_))), "{report:?}");
        }
    }

    #[test]
    fn probes_that_start_with_the_scrape_keep_their_own_timeout() {
        let targets = daytime_targets(closed_port(), 3);
        let own_timeout = targets[0].timeout;
        // Without a budget the deadline is the longest timeout away, which
        // is the time left minus the microseconds spent before a probe.
        // On a busy machine a probe thread can start milliseconds late, and
        // then rightly gets only the time left; so the rule is checked at
        // given instants, and the scrape only for what it reports.
        let scrape_start = Instant::now();
        let fanout = Fanout {
            targets: targets.clone().into(),
            next: AtomicUsize::new(0),
            deadline: scrape_start + own_timeout,
        };
        let target = &targets[0];
        for microseconds in [0, 20, 1000] {
            let start = scrape_start + Duration::from_micros(microseconds);
            assert_eq!(fanout.timeout_at(target, start), own_timeout, "{microseconds} µs late");
        }
        let late = scrape_start + Duration::from_millis(5);
        assert_eq!(fanout.timeout_at(target, late), own_timeout - Duration::from_millis(5));

        let started = Instant::now();
        let reports = ProbePool::new(4).probe_all(&targets.into(), None);
        let elapsed = started.elapsed();
        for report in reports {
            assert!(report.timeout <= own_timeout, "{report:?}");
            assert!(report.timeout >= own_timeout.saturating_sub(elapsed), "{report:?}");
        }
    }

    #[test]
    fn the_other_work_of_a_scrape_runs_once_beside_the_probes() {
        let targets = daytime_targets(closed_port(), 5);
        let mut runs = 0;
        let (reports, answer) = ProbePool::new(3).probe_all_and(&targets.into(), None, || {
            runs += 1;
            42
        });
        assert_eq!((runs, answer), (1, 42));
        assert_eq!(reports.len(), 5, "{reports:?}");
        for report in &reports {
            assert!(matches!(report.result, Err(probe::ProbeError::Refused)), "{report:?}");
        }
    }

    #[test]
    fn without_a_budget_the_longest_timeout_is_the_scrape_deadline() {
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let timeout = Duration::from_millis(300);
        let mut targets = daytime_targets(silent.local_addr().unwrap(), 10);
        targets.iter_mut().for_each(|target| target.timeout = timeout);
        let started = Instant::now();
        // One at a time and no header: ten probes one after the other
        // would take 3 s; the scrape's deadline is one timeout away.
        let reports = ProbePool::new(1).probe_all(&targets.into(), None);
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
        assert!(reports.iter().all(|report| report.timeout <= timeout), "{reports:?}");
    }
}
