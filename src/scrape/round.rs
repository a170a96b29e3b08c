//! Rounds of probes: every target at once, within one deadline, on
//! threads that outlive the scrape; and scrapes that come together share
//! one round.
//!
//! Pull-based means fresh: nothing is probed between scrapes and nothing is
//! cached. All targets of a [`Round`] are probed concurrently on the
//! [`ProbePool`], so a scrape of twenty targets that each answer in 100 ms
//! takes about 100 ms, not two seconds. Each probe gets its own timeout,
//! cut short by the round's deadline: a plain duration from the moment the
//! request was read, which the caller works out from what Prometheus says
//! it will wait ([`super::budget`]). Rounds know nothing of HTTP, and
//! turning the reports into families is [`crate::metrics`]'s work.
//!
//! The scrape's own thread does not probe. It waits for the reports,
//! looking at the monotonic clock at least every [`WAKE_EVERY`], and at the
//! deadline answers with what it has: a probe still running is reported as
//! a timeout in the step it had reached ([`Report::unfinished`]). So the
//! answer never waits on a target's socket, whose timers are the kernel's
//! and can run late.
//!
//! A round is shared: a `/metrics` scrape that arrives while a round of
//! the same targets is under way takes its reports, if that round ends
//! before the scrape must answer and gave its probes no less time than
//! the scrape would have ([`ProbePool::join_or_start`]). Forty clients
//! looping on `/metrics` then cost one round at a time, not forty, and
//! leave room for Prometheus.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::pool::ThreadPool;
use crate::probe::net::WAKE_EVERY;
use crate::probe::{self, Progress, Report};
use crate::target::Target;

/// The stack of a probe thread: half a worker's. A probe connects, reads
/// at most 64 KiB into the heap and parses it (JSON nested at most 64
/// deep); name lookups, which want more, run on threads of their own.
pub const PROBE_STACK_SIZE: usize = 128 * 1024;

/// The long-lived threads that probe, so that no thread is started per
/// scrape: at most `--scrape.concurrency`, started only when a round
/// first needs them, then kept; and the `/metrics` rounds under way.
pub struct ProbePool {
    pool: Mutex<ThreadPool>,
    concurrency: usize,
    rounds: Mutex<Vec<Arc<Round>>>,
    max_rounds: usize,
}

impl ProbePool {
    /// A pool whose rounds run at most `concurrency` probes at once each,
    /// with at most `max_rounds` `/metrics` rounds under way.
    pub fn new(concurrency: usize, max_rounds: usize) -> ProbePool {
        let concurrency = concurrency.max(1);
        let pool = ThreadPool::named("probe", concurrency).with_stack_size(PROBE_STACK_SIZE);
        ProbePool {
            pool: Mutex::new(pool),
            concurrency,
            rounds: Mutex::new(Vec::new()),
            max_rounds: max_rounds.max(1),
        }
    }

    /// How many probe threads have been started so far.
    pub fn thread_count(&self) -> usize {
        lock(&self.pool).thread_count()
    }

    /// Probes every target in a round of their own, and returns the
    /// reports in the order of `targets` by the deadline: `budget` after
    /// `started` or, without one, the longest of the targets' timeouts.
    /// Each report keeps the first `keep_reply` bytes of its reply.
    pub fn probe_all(
        &self,
        targets: &Arc<[Target]>,
        started: Instant,
        budget: Option<Duration>,
        keep_reply: usize,
    ) -> Arc<[Report]> {
        let schedule = Schedule::new(targets, started, budget);
        self.start_round(targets, schedule, keep_reply).wait(|_| ())
    }

    /// The round a `/metrics` scrape of `targets` takes its reports from:
    /// one under way that ends by the scrape's deadline and gave its
    /// probes no less time than the scrape would; else a new one, unless
    /// `max_rounds` are under way; then any round of these targets that
    /// ends in time, whatever it gave its probes. `None`: the scrape is
    /// refused.
    pub fn join_or_start(
        &self,
        targets: &Arc<[Target]>,
        started: Instant,
        budget: Option<Duration>,
    ) -> Option<Arc<Round>> {
        let wanted = Schedule::new(targets, started, budget);
        let mut rounds = lock(&self.rounds);
        rounds.retain(|round| !round.is_over(Instant::now()));
        if let Some(round) = rounds.iter().find(|round| round.serves(targets, &wanted)) {
            return Some(Arc::clone(round));
        }
        if rounds.len() >= self.max_rounds {
            return rounds.iter().find(|round| round.ends_in_time_for(targets, &wanted)).cloned();
        }
        let round = self.start_round(targets, wanted, 0);
        rounds.push(Arc::clone(&round));
        Some(round)
    }

    /// Hands `targets` to at most `concurrency` probe threads. If not one
    /// can be had (no thread can be started), the first thread to wait
    /// for the round probes instead, so a scrape still ends.
    fn start_round(
        &self,
        targets: &Arc<[Target]>,
        schedule: Schedule,
        keep_reply: usize,
    ) -> Arc<Round> {
        let round = Arc::new(Round::new(targets, schedule, keep_reply));
        let mut helpers = 0;
        for _ in 0..self.concurrency.min(targets.len()) {
            let mut pool = lock(&self.pool);
            let Ok(thread) = pool.reserve() else { break };
            let round = Arc::clone(&round);
            thread.run(move || round.probe_until_none_left());
            helpers += 1;
        }
        if helpers == 0 && !targets.is_empty() {
            round.waiter_probes.store(true, Ordering::Release);
        }
        round
    }
}

/// When a round began and when it must end.
#[derive(Clone, Copy, Debug)]
struct Schedule {
    started: Instant,
    deadline: Instant,
}

impl Schedule {
    /// A round that starts at `started` and lasts `budget`, or without
    /// one the longest of the targets' timeouts.
    fn new(targets: &[Target], started: Instant, budget: Option<Duration>) -> Schedule {
        let deadline = started + budget.unwrap_or_else(|| longest_timeout(targets));
        Schedule { started, deadline }
    }

    fn budget(&self) -> Duration {
        self.deadline - self.started
    }
}

fn longest_timeout(targets: &[Target]) -> Duration {
    targets.iter().map(|target| target.timeout).max().unwrap_or_default()
}

/// How much less time a round may have given its probes than a scrape
/// that joins it would have: the jitter of reading the clock twice.
const JOIN_TOLERANCE: Duration = Duration::from_millis(1);

/// One round of probes of a set of targets: the probe threads each take
/// the next target not yet taken until none is left, and report here;
/// every scrape that waits on the round takes the same reports.
pub struct Round {
    targets: Arc<[Target]>,
    schedule: Schedule,
    longest_timeout: Duration,
    next: AtomicUsize,
    progress: Box<[Progress]>,
    /// How many bytes of each reply the reports keep.
    keep_reply: usize,
    /// No probe thread could be had: the first waiter probes.
    waiter_probes: AtomicBool,
    reports: Mutex<Reports>,
    arrived: Condvar,
}

/// The reports of a round: filled in as probes end, until the round is
/// closed, after which they are one shared list and late ones are dropped.
struct Reports {
    slots: Vec<Option<Report>>,
    missing: usize,
    closed: Option<Arc<[Report]>>,
}

impl Round {
    fn new(targets: &Arc<[Target]>, schedule: Schedule, keep_reply: usize) -> Round {
        Round {
            targets: Arc::clone(targets),
            schedule,
            longest_timeout: longest_timeout(targets),
            next: AtomicUsize::new(0),
            progress: targets.iter().map(|_| Progress::default()).collect(),
            keep_reply,
            waiter_probes: AtomicBool::new(false),
            reports: Mutex::new(Reports {
                slots: targets.iter().map(|_| None).collect(),
                missing: targets.len(),
                closed: None,
            }),
            arrived: Condvar::new(),
        }
    }

    /// The reports, in the order of the targets, once every probe has
    /// reported or the deadline has passed, whichever is first; a probe
    /// still running then is reported as unfinished. The thread that
    /// closes the round runs `on_close` on them, once for the round.
    pub fn wait(&self, on_close: impl FnOnce(&[Report])) -> Arc<[Report]> {
        if self.waiter_probes.swap(false, Ordering::AcqRel) {
            self.probe_until_none_left();
        }
        let mut reports = lock(&self.reports);
        loop {
            if let Some(closed) = &reports.closed {
                return Arc::clone(closed);
            }
            let now = Instant::now();
            if reports.missing == 0 || now >= self.schedule.deadline {
                break;
            }
            let nap = (self.schedule.deadline - now).min(WAKE_EVERY);
            reports = self.arrived.wait_timeout(reports, nap).unwrap_or_else(|p| p.into_inner()).0;
        }
        let closed = self.close(&mut reports);
        on_close(&closed);
        closed
    }

    /// Ends the round: what has arrived, and for each probe that has not,
    /// a report that says how far it got.
    fn close(&self, reports: &mut Reports) -> Arc<[Report]> {
        let waited = self.schedule.started.elapsed();
        let unfinished = |idx: usize| {
            let target = &self.targets[idx];
            let timeout = self.timeout_at(target, self.schedule.started);
            Report::unfinished(target, timeout, waited, self.progress[idx].phase())
        };
        let closed: Arc<[Report]> = reports
            .slots
            .iter_mut()
            .enumerate()
            .map(|(idx, slot)| slot.take().unwrap_or_else(|| unfinished(idx)))
            .collect();
        reports.closed = Some(Arc::clone(&closed));
        closed
    }

    /// Whether the round is closed or past its deadline: nobody can join
    /// it any more, and it holds no place among the rounds under way.
    fn is_over(&self, now: Instant) -> bool {
        now >= self.schedule.deadline || lock(&self.reports).closed.is_some()
    }

    /// Whether a scrape of `targets` that `wanted` this schedule may take
    /// this round's reports: they are ready by its deadline, and no probe
    /// had less time than the scrape would have given it.
    fn serves(&self, targets: &Arc<[Target]>, wanted: &Schedule) -> bool {
        let as_long = wanted.budget().min(self.longest_timeout);
        self.ends_in_time_for(targets, wanted) && self.schedule.budget() + JOIN_TOLERANCE >= as_long
    }

    /// Whether this round probes `targets` and ends by `wanted`'s deadline.
    fn ends_in_time_for(&self, targets: &Arc<[Target]>, wanted: &Schedule) -> bool {
        Arc::ptr_eq(&self.targets, targets) && self.schedule.deadline <= wanted.deadline
    }

    /// The target's own timeout, cut to the time left before the
    /// deadline. A probe that starts within a millisecond of a whole
    /// timeout before the deadline keeps its own: without a budget, the
    /// first probes would otherwise report `probe_timeout_seconds
    /// 4.999993` for a timeout of 5 s, off by the microseconds spent
    /// before they started.
    fn timeout_at(&self, target: &Target, now: Instant) -> Duration {
        let time_left = self.schedule.deadline.saturating_duration_since(now);
        if time_left + Duration::from_millis(1) >= target.timeout {
            target.timeout
        } else {
            time_left
        }
    }

    /// Takes targets and probes them until none is left, or until the
    /// deadline has passed and no report would be read.
    fn probe_until_none_left(&self) {
        loop {
            let now = Instant::now();
            if now >= self.schedule.deadline {
                return;
            }
            let idx = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(target) = self.targets.get(idx) else { return };
            let report = probe::run_watched(
                target,
                self.timeout_at(target, now),
                &self.progress[idx],
                self.keep_reply,
            );
            self.deliver(idx, report);
        }
    }

    /// Keeps a report, unless the round is closed; the last one wakes the
    /// waiters.
    fn deliver(&self, idx: usize, report: Report) {
        let mut reports = lock(&self.reports);
        if reports.closed.is_some() {
            return;
        }
        reports.slots[idx] = Some(report);
        reports.missing -= 1;
        if reports.missing == 0 {
            self.arrived.notify_all();
        }
    }
}

/// Locked only to hand over a job or a report, or to look at the rounds;
/// nothing can panic then, so a poisoned lock is still sound.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Outcome, Phase, ProbeError};
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

    /// How late an answer may be: what the deadline promises.
    const LATE: Duration = Duration::from_millis(50);

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
        let reports = ProbePool::new(1, 1).probe_all(&targets.into(), started, Some(budget), 0);
        let elapsed = started.elapsed();
        assert!(elapsed < budget + LATE, "took {elapsed:?}");
        assert_eq!(Outcome::of(&reports[0].result), Outcome::Timeout, "{:?}", reports[0]);
        for report in reports.iter() {
            assert!(report.timeout <= budget, "{report:?}");
            // The rest found no thread free before the deadline.
            let outcome = Outcome::of(&report.result);
            assert!([Outcome::Timeout, Outcome::ExporterError].contains(&outcome), "{report:?}");
        }
    }

    #[test]
    fn probes_that_start_with_the_scrape_keep_their_own_timeout() {
        let targets: Arc<[Target]> = daytime_targets(closed_port(), 3).into();
        let own_timeout = targets[0].timeout;
        // Without a budget the deadline is the longest timeout away, which
        // is the time left minus the microseconds spent before a probe.
        // On a busy machine a probe thread can start milliseconds late, and
        // then rightly gets only the time left; so the rule is checked at
        // given instants, and the scrape only for what it reports.
        let scrape_start = Instant::now();
        let round = Round::new(&targets, Schedule::new(&targets, scrape_start, None), 0);
        let target = &targets[0];
        for microseconds in [0, 20, 1000] {
            let start = scrape_start + Duration::from_micros(microseconds);
            assert_eq!(round.timeout_at(target, start), own_timeout, "{microseconds} µs late");
        }
        let late = scrape_start + Duration::from_millis(5);
        assert_eq!(round.timeout_at(target, late), own_timeout - Duration::from_millis(5));

        let started = Instant::now();
        let reports = ProbePool::new(4, 1).probe_all(&targets, started, None, 0);
        let elapsed = started.elapsed();
        for report in reports.iter() {
            assert!(report.timeout <= own_timeout, "{report:?}");
            assert!(report.timeout >= own_timeout.saturating_sub(elapsed), "{report:?}");
            assert!(matches!(report.result, Err(ProbeError::Refused)), "{report:?}");
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
        let reports = ProbePool::new(1, 1).probe_all(&targets.into(), started, None, 0);
        let elapsed = started.elapsed();
        assert!(elapsed < timeout + LATE, "took {elapsed:?}");
        assert!(reports.iter().all(|report| report.timeout <= timeout), "{reports:?}");
    }

    #[test]
    fn a_round_answers_at_its_deadline_with_what_it_has() {
        // No probe thread takes these targets: one "is reading", the
        // other never started. The round must not wait for either.
        let targets: Arc<[Target]> = daytime_targets(closed_port(), 2).into();
        let budget = Duration::from_millis(400);
        let started = Instant::now();
        let round = Round::new(&targets, Schedule::new(&targets, started, Some(budget)), 0);
        round.progress[0].enter(Phase::Read);
        let reports = round.wait(|_| ());
        let elapsed = started.elapsed();
        assert!(elapsed >= budget && elapsed < budget + LATE, "answered after {elapsed:?}");
        assert!(matches!(reports[0].result, Err(ProbeError::Timeout(Phase::Read))), "{reports:?}");
        assert_eq!(Outcome::of(&reports[1].result), Outcome::ExporterError, "{reports:?}");
    }

    #[test]
    fn every_waiter_takes_the_same_reports_and_one_closes_the_round() {
        let targets: Arc<[Target]> = daytime_targets(closed_port(), 3).into();
        let pool = ProbePool::new(4, 1);
        let round = pool.join_or_start(&targets, Instant::now(), None).unwrap();
        let closes = AtomicUsize::new(0);
        let count_close = |_: &[Report]| {
            closes.fetch_add(1, Ordering::Relaxed);
        };
        let (first, second) = (round.wait(count_close), round.wait(count_close));
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(closes.load(Ordering::Relaxed), 1);
        assert!(first.iter().all(|report| matches!(report.result, Err(ProbeError::Refused))));
    }

    #[test]
    fn a_scrape_joins_a_round_that_serves_it_and_starts_one_otherwise() {
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let targets: Arc<[Target]> = daytime_targets(silent.local_addr().unwrap(), 2).into();
        let pool = ProbePool::new(4, 2);
        let budget = Some(Duration::from_secs(2));
        let now = Instant::now();
        let first = pool.join_or_start(&targets, now, budget).unwrap();
        // Later, with as long: it ends in time, so it is joined.
        let later = now + Duration::from_millis(10);
        let joined = pool.join_or_start(&targets, later, budget).unwrap();
        assert!(Arc::ptr_eq(&first, &joined));
        // A deadline before the round's: a round of its own.
        let hurried = pool.join_or_start(&targets, later, Some(Duration::from_secs(1))).unwrap();
        assert!(!Arc::ptr_eq(&first, &hurried));
        // The same targets loaded again are another set: another round,
        // but two are under way, the most there may be, and the scrape
        // is refused rather than probe beyond the cap.
        let reloaded: Arc<[Target]> = targets.iter().cloned().collect::<Vec<_>>().into();
        assert!(pool.join_or_start(&reloaded, later, budget).is_none());
        // At the cap, a scrape joins any round that ends in time, even
        // one that gave its probes less than it would have.
        let patient = pool.join_or_start(&targets, later, Some(Duration::from_secs(3))).unwrap();
        assert!(Arc::ptr_eq(&patient, &first) || Arc::ptr_eq(&patient, &hurried));
    }

    #[test]
    fn a_round_that_gave_its_probes_less_time_is_not_joined() {
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let targets: Arc<[Target]> = daytime_targets(silent.local_addr().unwrap(), 1).into();
        let pool = ProbePool::new(2, 4);
        let now = Instant::now();
        let short = pool.join_or_start(&targets, now, Some(Duration::from_millis(500))).unwrap();
        // Its deadline is later than the short round's, but the short
        // round cut a 5 s probe to 0.5 s: a scrape with 3 s probes anew.
        let longer = pool.join_or_start(&targets, now, Some(Duration::from_secs(3))).unwrap();
        assert!(!Arc::ptr_eq(&short, &longer));
    }
}
