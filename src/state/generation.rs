//! A generation: the configuration in force, with what each target has
//! gathered over time.
//!
//! [`Setup`] is what the flags and the file say, plain data read afresh at
//! start and at every reload. A [`Generation`] is that setup once each
//! target has its history attached: its latency histogram (observations
//! since it appeared) and its last outcome (so that a failure is logged
//! once, when it starts, not at every scrape). A generation never changes
//! once built; a reload builds the next one, handing each target that
//! survives the history it had, so that a reload does not reset its
//! counts.

use std::sync::{Arc, Mutex};

use crate::config::Setup;
use crate::exposition::HistogramValue;
use crate::histogram::{BucketsError, Histogram};
use crate::log;
use crate::metrics;
use crate::probe::{Outcome, Report};
use crate::target::allow::Rule;
use crate::target::{Module, Target};
use crate::time::unix_now;

use super::lock;

/// The configuration in force: the targets, each with its history, and
/// `/probe`'s modules and allow-list. Never changed once built; a reload
/// builds the next.
pub struct Generation {
    /// Shared with the probe threads while a scrape runs.
    pub targets: Arc<[Target]>,
    /// Who `/probe` may probe; empty turns `/probe` off.
    pub allow: Vec<Rule>,
    /// The modules `/probe?module=NAME` may name.
    pub modules: Vec<Module>,
    /// One entry for each of `targets`, in the same order.
    histories: Vec<Arc<Mutex<TargetHistory>>>,
    /// Each target's labels as written, escaped once here rather than at
    /// every scrape.
    pub spelled_labels: Vec<String>,
    /// How many sections the configuration file held.
    file_sections: usize,
}

/// What a target has gathered over time, carried from one generation to
/// the next while the target stays the same.
struct TargetHistory {
    /// Every probe's duration since the target appeared; `None` for a
    /// target with `buckets = none`.
    latency: Option<Histogram>,
    /// How its last probe ended, so that only a change is logged.
    last_outcome: Option<Outcome>,
}

impl Generation {
    /// The setup's targets with their histories: each taken over from
    /// `previous` where a target of the same name, kind, address and
    /// buckets (classic and native) was there, new otherwise.
    pub fn new(setup: Setup, previous: Option<&Generation>) -> Result<Generation, BucketsError> {
        let started_at = unix_now();
        let histories = setup
            .targets
            .iter()
            .map(|target| match previous.and_then(|old| old.history_of(target)) {
                Some(history) => Ok(history),
                None => {
                    let latency = match &target.buckets {
                        Some(bounds) => Some(
                            Histogram::new(bounds.clone(), started_at)?
                                .with_native(target.native_schema),
                        ),
                        None => None,
                    };
                    Ok(Arc::new(Mutex::new(TargetHistory { latency, last_outcome: None })))
                }
            })
            .collect::<Result<_, BucketsError>>()?;
        Ok(Generation {
            spelled_labels: metrics::spell_target_labels(&setup.targets),
            file_sections: setup.file_sections,
            targets: setup.targets.into(),
            allow: setup.allow,
            modules: setup.modules,
            histories,
        })
    }

    /// The history of the target that `target` continues, if any.
    fn history_of(&self, target: &Target) -> Option<Arc<Mutex<TargetHistory>>> {
        let continues = |old: &Target| {
            old.name == target.name
                && old.kind == target.kind
                && old.address == target.address
                && old.buckets == target.buckets
                && old.native_schema == target.native_schema
        };
        let idx = self.targets.iter().position(continues)?;
        Some(Arc::clone(&self.histories[idx]))
    }

    /// How many sections the configuration file held; 0 without a file.
    pub fn file_sections(&self) -> usize {
        self.file_sections
    }

    /// How many of these targets kept the history they had in `older`.
    pub fn kept_from(&self, older: &Generation) -> usize {
        let kept = |history: &&Arc<Mutex<TargetHistory>>| {
            older.histories.iter().any(|old| Arc::ptr_eq(history, old))
        };
        self.histories.iter().filter(kept).count()
    }

    /// Records the reports of a scrape of these targets (in their order):
    /// latencies go into the histograms, and a change of outcome is logged.
    pub fn record(&self, reports: &[Report]) {
        for ((target, report), history) in self.targets.iter().zip(reports).zip(&self.histories) {
            let mut past = lock(history);
            if let Some(latency) = &mut past.latency {
                latency.observe(report.duration.as_secs_f64());
            }
            let outcome = Outcome::of(&report.result);
            if past.last_outcome != Some(outcome) {
                log_change(target, past.last_outcome, report);
                past.last_outcome = Some(outcome);
            }
        }
    }

    /// A snapshot of each target's latency histogram, in the targets'
    /// order; `None` for a target with `buckets = none`.
    pub fn latencies(&self) -> Vec<Option<HistogramValue>> {
        self.histories
            .iter()
            .map(|history| lock(history).latency.as_ref().map(Histogram::snapshot))
            .collect()
    }
}

/// Logs a target's change of outcome: a failure when it starts, and the
/// first success after one.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Address, DaytimeSpec, Kind};

    fn target(name: &str, port: u16) -> Target {
        Target::new(name, Kind::Daytime(DaytimeSpec::default()), Address::new("127.0.0.1", port))
    }

    #[test]
    fn a_target_that_survives_a_reload_keeps_its_history() {
        let before = Setup { targets: vec![target("a", 1), target("b", 2)], ..Setup::default() };
        let old = Generation::new(before, None).unwrap();
        lock(&old.histories[0]).latency.as_mut().unwrap().observe(0.1);
        // `a` stays as it was, `b` moves to another port, `c` is new.
        let after = Setup {
            targets: vec![target("c", 3), target("a", 1), target("b", 4)],
            ..Setup::default()
        };
        let new = Generation::new(after, Some(&old)).unwrap();
        assert!(Arc::ptr_eq(&new.histories[1], &old.histories[0]), "a kept its history");
        assert_eq!(lock(&new.histories[1]).latency.as_ref().unwrap().count(), 1);
        assert!(!Arc::ptr_eq(&new.histories[2], &old.histories[1]), "b is another target now");
        assert_eq!(lock(&new.histories[0]).latency.as_ref().unwrap().count(), 0);
    }

    #[test]
    fn the_native_histogram_is_read_and_survives_a_reload_unless_its_schema_changed() {
        let before = Setup { targets: vec![target("a", 1), target("b", 2)], ..Setup::default() };
        let old = Generation::new(before, None).unwrap();
        for history in &old.histories {
            lock(history).latency.as_mut().unwrap().observe(0.001);
        }
        let mut coarser = target("b", 2);
        coarser.native_schema = crate::histogram::Schema::new(0);
        let after = Setup { targets: vec![target("a", 1), coarser], ..Setup::default() };
        let new = Generation::new(after, Some(&old)).unwrap();
        let latencies = new.latencies();
        let native = |idx: usize| latencies[idx].as_ref().and_then(|l| l.native.clone()).unwrap();
        assert_eq!((native(0).schema, native(0).positive_deltas), (3, vec![1]), "a kept it");
        assert_eq!((native(1).schema, native(1).positive_deltas), (0, vec![]), "b starts afresh");
    }

    #[test]
    fn a_target_without_buckets_has_no_histogram_but_its_outcome_is_kept() {
        let mut bare = target("bare", 1);
        bare.buckets = None;
        let generation = Generation::new(
            Setup { targets: vec![bare, target("full", 2)], ..Setup::default() },
            None,
        )
        .unwrap();
        let report = crate::probe::run(&generation.targets[0], std::time::Duration::from_millis(1));
        generation.record(&[
            report,
            crate::probe::run(&generation.targets[1], std::time::Duration::ZERO),
        ]);
        let latencies = generation.latencies();
        assert!(latencies[0].is_none(), "{latencies:?}");
        assert_eq!(latencies[1].as_ref().map(|latency| latency.count), Some(1));
        assert!(lock(&generation.histories[0]).last_outcome.is_some());
    }
}
