//! A scrape: probe every target at once, within the scrape's deadline, and
//! turn the reports into metric families.
//!
//! Pull-based means fresh: nothing is probed between scrapes and nothing is
//! cached. All targets are probed concurrently on the [`ProbePool`], so a
//! scrape of twenty targets that each answer in 100 ms takes about 100 ms,
//! not two seconds. Each probe gets its own timeout, cut short by the time
//! Prometheus will wait: the `X-Prometheus-Scrape-Timeout-Seconds` header,
//! less a small offset so that the answer arrives before Prometheus gives up.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::exposition::{labels, Counter, Family, Labels, StateSet};
use crate::pool::ThreadPool;
use crate::probe::{self, Outcome, Reading, Report};
use crate::target::{Kind, Target};

/// The header in which Prometheus says how long it will wait, in seconds
/// (`10`, `0.5`, or `10.000000` from Prometheus before 2.28).
pub const TIMEOUT_HEADER: &str = "X-Prometheus-Scrape-Timeout-Seconds";

/// The share of Prometheus's timeout a scrape always keeps, however large
/// the offset: a quarter. With `--scrape.timeout-offset 500ms` this
/// applies to timeouts under 667 ms.
const MIN_BUDGET_SHARE: f64 = 0.25;

/// The time Prometheus leaves this scrape, given the value of its
/// [`TIMEOUT_HEADER`]: that timeout less `offset`, but never less than a
/// quarter of it, so that a timeout barely above the offset (or below it)
/// still leaves time to probe and the answer still arrives before
/// Prometheus gives up. `None` when there is no header (the request is
/// not from Prometheus) or it says nonsense.
pub fn budget(header: Option<&str>, offset: Duration) -> Option<Duration> {
    let seconds: f64 = header?.trim().parse().ok()?;
    if !seconds.is_finite() || seconds <= 0.0 {
        return None;
    }
    let usable = (seconds - offset.as_secs_f64()).max(seconds * MIN_BUDGET_SHARE);
    let budget = Duration::from_secs_f64(usable.min(86_400.0));
    // Less than a millisecond is no time to probe anything: nonsense.
    (budget >= Duration::from_millis(1)).then_some(budget)
}

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
        let pool = ThreadPool::named("probe", (concurrency - 1).max(1));
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
        let longest_timeout = targets.iter().map(|target| target.timeout).max().unwrap_or_default();
        let fanout = Arc::new(Fanout {
            targets: Arc::clone(targets),
            next: AtomicUsize::new(0),
            deadline: Instant::now() + budget.unwrap_or(longest_timeout),
        });
        let (report_tx, reports) = mpsc::channel();
        let helpers = self.concurrency.min(targets.len()).saturating_sub(1);
        for _ in 0..helpers {
            let (fanout, report_tx) = (Arc::clone(&fanout), report_tx.clone());
            let mut pool = self.lock();
            let Ok(thread) = pool.reserve() else { break };
            thread.run(move || fanout.probe_until_none_left(&report_tx));
        }
        fanout.probe_until_none_left(&report_tx);
        drop(report_tx);
        let mut slots: Vec<Option<Report>> = targets.iter().map(|_| None).collect();
        for (idx, report) in reports {
            slots[idx] = Some(report);
        }
        slots
            .into_iter()
            .map(|slot| slot.expect("every target index below len is probed exactly once"))
            .collect()
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
    fn probe_until_none_left(&self, reports: &mpsc::Sender<(usize, Report)>) {
        loop {
            let idx = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(target) = self.targets.get(idx) else { return };
            let time_left = self.deadline.saturating_duration_since(Instant::now());
            // The scrape waits for every report, so the receiver is there.
            let _ = reports.send((idx, probe::run(target, time_left.min(target.timeout))));
        }
    }
}

/// How targets are told apart in the families.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetLabels {
    /// `target` and `kind` labels: the configured targets on `/metrics`.
    Named,
    /// No labels: `/probe`, where Prometheus adds `instance` itself.
    Unlabelled,
}

/// The labels that say which target a series is about.
pub fn target_labels(target: &Target, mode: TargetLabels) -> Labels {
    match mode {
        TargetLabels::Named => labels(&[("target", &target.name), ("kind", target.kind.name())]),
        TargetLabels::Unlabelled => Vec::new(),
    }
}

/// One series for each target: its labels and `value` of its report.
fn per_target<V>(
    targets: &[Target],
    reports: &[Report],
    mode: TargetLabels,
    value: impl Fn(&Report) -> V,
) -> Vec<(Labels, V)> {
    targets
        .iter()
        .zip(reports)
        .map(|(target, report)| (target_labels(target, mode), value(report)))
        .collect()
}

/// The per-probe families of a scrape, in a fixed order.
pub fn families(targets: &[Target], reports: &[Report], mode: TargetLabels) -> Vec<Family> {
    let outcome_names: Vec<&str> = Outcome::ALL.iter().map(|outcome| outcome.name()).collect();
    let mut families = vec![
        Family::gauge(
            "probe_success",
            "Whether the probe succeeded (1) or not (0).",
            per_target(
                targets,
                reports,
                mode,
                |report| if report.result.is_ok() { 1.0 } else { 0.0 },
            ),
        ),
        Family::gauge(
            "probe_duration_seconds",
            "How long the probe took, name lookup included: the synthetic query's latency.",
            per_target(targets, reports, mode, |report| report.duration.as_secs_f64()),
        )
        .with_unit("seconds"),
        Family::gauge(
            "probe_dns_lookup_time_seconds",
            "How long the name lookup took; 0 for an IP address (blackbox_exporter's name).",
            per_target(targets, reports, mode, probe::Report::dns_lookup_seconds),
        )
        .with_unit("seconds"),
        Family::gauge(
            "probe_ip_protocol",
            "The IP version of the address probed: 4 or 6, 0 before one was known.",
            per_target(targets, reports, mode, |report| f64::from(report.ip_protocol())),
        ),
        Family::gauge(
            "probe_timeout_seconds",
            "How long the probe was allowed to take.",
            per_target(targets, reports, mode, |report| report.timeout.as_secs_f64()),
        )
        .with_unit("seconds"),
        Family::state_set(
            "probe_outcome",
            "The outcome of the probe; exactly one state is 1.",
            per_target(targets, reports, mode, |report| {
                StateSet::one_of(&outcome_names, Outcome::of(&report.result).name())
            }),
        ),
    ];
    families.push(clock_offset_family(targets, reports, mode));
    families.extend(counter_families(targets, reports, mode));
    families
}

/// The remote clock's offset, for each daytime target whose reply was a
/// date this time.
fn clock_offset_family(targets: &[Target], reports: &[Report], mode: TargetLabels) -> Family {
    let series = targets
        .iter()
        .zip(reports)
        .filter_map(|(target, report)| {
            Some((target_labels(target, mode), report.clock_offset_seconds()?))
        })
        .collect();
    Family::gauge(
        "probe_daytime_clock_offset_seconds",
        "The daytime service's clock minus the exporter's, at the midpoint of the exchange.",
        series,
    )
    .with_unit("seconds")
}

/// One counter family for each metric name the counter targets use, in
/// the order of first use. A failed probe exports no sample at all: an
/// old value would look current.
fn counter_families(targets: &[Target], reports: &[Report], mode: TargetLabels) -> Vec<Family> {
    let mut by_metric: Vec<(&str, Vec<(Labels, Counter)>)> = Vec::new();
    for (target, report) in targets.iter().zip(reports) {
        let Kind::Counter(spec) = &target.kind else { continue };
        let idx = match by_metric.iter().position(|(metric, _)| *metric == spec.metric) {
            Some(idx) => idx,
            None => {
                by_metric.push((&spec.metric, Vec::new()));
                by_metric.len() - 1
            }
        };
        if let Ok(Reading::Counter { requests, launched }) = &report.result {
            let counter = Counter { total: *requests as f64, created: *launched };
            by_metric[idx].1.push((target_labels(target, mode), counter));
        }
    }
    by_metric
        .into_iter()
        .map(|(metric, series)| Family::counter(metric, COUNTER_HELP, series))
        .collect()
}

const COUNTER_HELP: &str =
    "Requests the service has served, as it reports them; _created is its launch time.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::DaytimeSpec;

    #[track_caller]
    fn check_budget(header: &str, expected: Option<f64>) {
        let value = header.strip_prefix(TIMEOUT_HEADER).and_then(|rest| rest.strip_prefix(": "));
        let budget = budget(value, Duration::from_millis(500));
        assert_eq!(
            budget.map(|b| (b.as_secs_f64() * 1000.0).round() / 1000.0),
            expected,
            "{header}"
        );
    }

    #[test]
    fn late_probes_get_only_the_time_left_before_the_scrape_deadline() {
        // A listener that never accepts: connections complete in the
        // backlog, and every read waits until its deadline.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address =
            crate::target::Address::parse(&silent.local_addr().unwrap().to_string()).unwrap();
        let budget = Duration::from_millis(300);
        let targets: Vec<Target> = (0..10)
            .map(|idx| {
                Target::new(
                    &format!("t{idx}"),
                    Kind::Daytime(DaytimeSpec::default()),
                    address.clone(),
                )
            })
            .collect();
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
    fn without_a_budget_the_longest_timeout_is_the_scrape_deadline() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address =
            crate::target::Address::parse(&silent.local_addr().unwrap().to_string()).unwrap();
        let timeout = Duration::from_millis(300);
        let targets: Vec<Target> = (0..10)
            .map(|idx| {
                let mut target = Target::new(
                    &format!("t{idx}"),
                    Kind::Daytime(DaytimeSpec::default()),
                    address.clone(),
                );
                target.timeout = timeout;
                target
            })
            .collect();
        let started = Instant::now();
        // One at a time and no header: ten probes one after the other
        // would take 3 s; the scrape's deadline is one timeout away.
        let reports = ProbePool::new(1).probe_all(&targets.into(), None);
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
        assert!(reports.iter().all(|report| report.timeout <= timeout), "{reports:?}");
    }

    #[test]
    fn budget_comes_from_the_prometheus_header() {
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 10", Some(9.5));
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 10.000000", Some(9.5));
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 0.75", Some(0.25));
        // Barely above the offset, or below it: a quarter of the timeout
        // is kept for probing, and the answer is still in time.
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 0.5000001", Some(0.125));
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 0.4", Some(0.1));
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 0", None);
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: -3", None);
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: NaN", None);
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 1e-300", None);
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: soon", None);
        check_budget("X-Other: 1", None);
    }
}
