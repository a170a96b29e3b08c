//! The state an exporter keeps between scrapes, shared by every worker.
//!
//! Almost nothing: an exporter asks its targets afresh at every scrape and
//! caches no answer. What does outlive a scrape is what only exists over
//! time: the latency histogram of each target (observations since start),
//! the last outcome of each target (so a failure is logged once, when it
//! starts, not at every scrape), the count of responses, and how many
//! scrapes are running now (so that their number can be capped).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::config::Config;
use crate::exposition::{self, Family};
use crate::histogram::{BucketsError, Histogram};
use crate::log;
use crate::probe::{Outcome, Report};
use crate::scrape::{target_labels, TargetLabels};
use crate::target::Target;
use crate::telemetry::{unix_now, Telemetry};

pub struct Exporter {
    config: Config,
    telemetry: Telemetry,
    /// One entry for each of `config.targets`, in the same order.
    history: Mutex<Vec<TargetHistory>>,
    scrapes_in_flight: AtomicUsize,
}

struct TargetHistory {
    latency: Histogram,
    last_outcome: Option<Outcome>,
}

impl Exporter {
    pub fn new(config: Config) -> Result<Exporter, BucketsError> {
        let started_at = unix_now();
        let history = config
            .targets
            .iter()
            .map(|target| {
                let latency = Histogram::new(target.buckets.clone(), started_at)?;
                Ok(TargetHistory { latency, last_outcome: None })
            })
            .collect::<Result<_, BucketsError>>()?;
        Ok(Exporter {
            config,
            telemetry: Telemetry::new(),
            history: Mutex::new(history),
            scrapes_in_flight: AtomicUsize::new(0),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn telemetry(&self) -> &Telemetry {
        &self.telemetry
    }

    /// Claims a place for one scrape, or `None` if `--web.max-requests`
    /// scrapes are already running. The place is freed when dropped.
    pub fn begin_scrape(&self) -> Option<ScrapeSlot<'_>> {
        let max = self.config.max_requests;
        let claimed = self
            .scrapes_in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1))
            .is_ok();
        // `then`, not `then_some`: the slot must exist only if the claim
        // succeeded, because dropping a slot releases a place.
        claimed.then(|| ScrapeSlot { in_flight: &self.scrapes_in_flight })
    }

    /// How many scrapes are running now.
    pub fn scrapes_in_flight(&self) -> usize {
        self.scrapes_in_flight.load(Ordering::Acquire)
    }

    /// Records the reports of a scrape of the configured targets (in the
    /// order of `config.targets`): their latencies go into the
    /// histograms, and a change of outcome is logged.
    pub fn record(&self, reports: &[Report]) {
        let mut history = self.lock_history();
        for ((target, report), past) in
            self.config.targets.iter().zip(reports).zip(history.iter_mut())
        {
            past.latency.observe(report.duration.as_secs_f64());
            let outcome = Outcome::of(&report.result);
            if past.last_outcome != Some(outcome) {
                log_change(target, past.last_outcome, report);
                past.last_outcome = Some(outcome);
            }
        }
    }

    /// The latency histograms of the configured targets.
    pub fn latency_family(&self) -> Family {
        let history = self.lock_history();
        let series = self
            .config
            .targets
            .iter()
            .zip(history.iter())
            .map(|(target, past)| {
                let histogram = exposition::Histogram {
                    buckets: past.latency.cumulative(),
                    count: past.latency.count(),
                    sum: past.latency.sum(),
                    created: Some(past.latency.created()),
                };
                (target_labels(target, TargetLabels::Named), histogram)
            })
            .collect();
        Family::histogram(
            "probe_latency_seconds",
            "Latency of every probe of the target since the exporter started.",
            series,
        )
        .with_unit("seconds")
    }

    /// The history holds only counts; a panic elsewhere cannot leave it
    /// inconsistent, so a poisoned lock is still usable.
    fn lock_history(&self) -> MutexGuard<'_, Vec<TargetHistory>> {
        self.history.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn log_change(target: &Target, before: Option<Outcome>, report: &Report) {
    match &report.result {
        Err(err) => log::warn(
            "probe failed",
            &[
                ("target", &target.name),
                ("kind", &target.kind.name()),
                ("address", &target.address),
                ("err", err),
            ],
        ),
        Ok(_) if before.is_some() => log::info(
            "probe succeeded again",
            &[
                ("target", &target.name),
                ("kind", &target.kind.name()),
                ("address", &target.address),
            ],
        ),
        Ok(_) => {}
    }
}

/// One running scrape; dropping it ends it.
pub struct ScrapeSlot<'a> {
    in_flight: &'a AtomicUsize,
}

impl Drop for ScrapeSlot<'_> {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_scrapes_in_flight() {
        let config = Config { max_requests: 2, ..Config::default() };
        let exporter = Exporter::new(config).unwrap();
        let first = exporter.begin_scrape();
        let second = exporter.begin_scrape();
        assert!(first.is_some() && second.is_some());
        assert!(exporter.begin_scrape().is_none());
        drop(first);
        assert!(exporter.begin_scrape().is_some());
    }

    #[test]
    fn a_refused_scrape_frees_no_place() {
        let config = Config { max_requests: 1, ..Config::default() };
        let exporter = Exporter::new(config).unwrap();
        let running = exporter.begin_scrape();
        assert!(running.is_some());
        assert!(exporter.begin_scrape().is_none(), "the cap is 1");
        assert_eq!(exporter.scrapes_in_flight(), 1, "the refusal released the running scrape");
        drop(running);
        assert_eq!(exporter.scrapes_in_flight(), 0, "idle after the refusal");
        for _ in 0..3 {
            let slot = exporter.begin_scrape();
            assert!(slot.is_some(), "a scrape after a refusal is refused");
            assert!(exporter.begin_scrape().is_none(), "the cap is still enforced");
        }
        assert_eq!(exporter.scrapes_in_flight(), 0);
    }
}
