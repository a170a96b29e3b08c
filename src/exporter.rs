//! The state an exporter keeps between scrapes, shared by every worker.
//!
//! Almost nothing: an exporter asks its targets afresh at every scrape and
//! caches no answer. What does outlive a scrape is what only exists over
//! time: the latency histogram of each target (observations since start),
//! the last outcome of each target (so a failure is logged once, when it
//! starts, not at every scrape), the count of responses, and how many
//! scrapes are running now (so that their number can be capped). And, to
//! save work, not answers: each target's labels as written, the size of
//! the last `/metrics` body, and a few sent bodies to write into again.
//!
//! The targets can change while the exporter runs: a reload (`SIGHUP` or
//! `POST /-/reload`) reads the configuration file again and swaps in a new
//! [`Loaded`] whole. A scrape takes the current one when it starts and
//! keeps it to the end, so it never sees half of each; a target that
//! survives the reload keeps its history, because the new `Loaded` shares
//! it with the old.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::allow::Rule;
use crate::config::{self, Config, ConfigError, Targets};
use crate::exposition::HistogramValue;
use crate::histogram::{BucketsError, Histogram};
use crate::log;
use crate::metrics;
use crate::os::systemd::Notifier;
use crate::probe::{Outcome, Report};
use crate::scrape::ProbePool;
use crate::target::{Module, Target};
use crate::telemetry::{unix_now, Telemetry};

/// The exporter's state: the flags, what is loaded now, and the counts.
pub struct Exporter {
    config: Config,
    telemetry: Telemetry,
    loaded: Mutex<Arc<Loaded>>,
    /// Held while a reload runs, so that two never interleave.
    reloading: Mutex<()>,
    /// The outcome of the last reload, apart from `reloading`: a scrape
    /// reads it, and must not wait while a reload reads the file.
    reloads: Mutex<ReloadStatus>,
    /// `/probe` requests probing now; `/metrics` scrapes are bounded
    /// apart, as rounds of the [`ProbePool`], so neither starves the other.
    probes_in_flight: AtomicUsize,
    stopping: AtomicBool,
    notifier: Notifier,
    probes: ProbePool,
    /// The size of the last `/metrics` body, to size the next one.
    last_scrape_size: AtomicUsize,
    /// Bodies of sent responses, kept to be written into again.
    spare_bodies: Mutex<Vec<Vec<u8>>>,
}

/// What the configuration loaded: the targets, each with its history, and
/// the `/probe` allow-list. Never changed once built; a reload builds
/// another.
pub struct Loaded {
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

struct TargetHistory {
    /// `None` for a target with `buckets = none`.
    latency: Option<Histogram>,
    last_outcome: Option<Outcome>,
}

/// How the last reload went, for the `config_last_reload_*` gauges.
struct ReloadStatus {
    successful: bool,
    /// Unix seconds of the last successful load, start-up included.
    success_at: f64,
}

/// What a reload changed, for its log line and its HTTP answer.
#[derive(Debug, PartialEq, Eq)]
pub struct ReloadSummary {
    /// Targets of `/metrics` after the reload.
    pub targets: usize,
    /// Allow rules of `/probe` after the reload.
    pub allow_rules: usize,
    /// Targets that kept their histories.
    pub kept: usize,
}

/// Why a reload changed nothing.
#[derive(Debug)]
pub enum ReloadError {
    /// There is no `--config.file`: nothing to read again.
    NoFile,
    /// The file (or a flag it clashes with) has a mistake.
    Config(ConfigError),
    /// The file holds no section, where the running configuration's held
    /// some: most likely a file caught between truncate and write.
    Emptied {
        /// The file's path, as given.
        path: String,
        /// The sections the running configuration's file held.
        running: usize,
    },
    /// A target's histogram buckets are invalid.
    Buckets(BucketsError),
}

impl std::fmt::Display for ReloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReloadError::NoFile => f.write_str("nothing to reload: no --config.file was given"),
            ReloadError::Config(err) => err.fmt(f),
            ReloadError::Emptied { path, running } => write!(
                f,
                "{path} holds no section, where the running configuration has {running}: \
                 taken for a file caught while it is written, and not loaded \
                 (to probe nothing, leave an empty [probe] section in it)"
            ),
            ReloadError::Buckets(err) => write!(f, "bad histogram buckets: {err}"),
        }
    }
}

impl std::error::Error for ReloadError {}

impl Exporter {
    /// An exporter for `config`, probing `targets`; `notifier` hears of
    /// reloads.
    pub fn new(
        config: Config,
        targets: Targets,
        notifier: Notifier,
    ) -> Result<Exporter, BucketsError> {
        let loaded = Loaded::new(targets, None)?;
        let probes = ProbePool::new(config.scrape_concurrency, config.max_requests);
        Ok(Exporter {
            probes,
            config,
            telemetry: Telemetry::new(),
            loaded: Mutex::new(Arc::new(loaded)),
            reloading: Mutex::new(()),
            reloads: Mutex::new(ReloadStatus { successful: true, success_at: unix_now() }),
            probes_in_flight: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
            notifier,
            last_scrape_size: AtomicUsize::new(0),
            spare_bodies: Mutex::new(Vec::new()),
        })
    }

    /// The flags' configuration, which a reload does not change.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The exporter's own counts, for its own metrics.
    pub fn telemetry(&self) -> &Telemetry {
        &self.telemetry
    }

    /// The threads that probe beside each scrape's own.
    pub fn probes(&self) -> &ProbePool {
        &self.probes
    }

    /// The targets and allow-list loaded now. A scrape keeps what it got
    /// here to its end, whatever a reload does meanwhile.
    pub fn loaded(&self) -> Arc<Loaded> {
        Arc::clone(&lock(&self.loaded))
    }

    /// Reads the configuration file again. A good file replaces the
    /// targets and the allow-list at once; a bad one changes nothing. Either
    /// way the outcome is logged, and systemd hears `RELOADING=1` before and
    /// `READY=1` after.
    ///
    /// A file with no section at all is bad when the running one had any:
    /// a writer that rewrites the file in place leaves it empty for a
    /// moment, and a reload then would silently drop every target and its
    /// history. An empty `[probe]` section says "nothing" on purpose.
    ///
    /// Without a file there is nothing to reload: that is said, and the
    /// status of the last reload is left as it was.
    pub fn reload(&self) -> Result<ReloadSummary, ReloadError> {
        if self.config.config_file.is_none() {
            log::warn("nothing to reload: no --config.file was given", &[]);
            return Err(ReloadError::NoFile);
        }
        let _turn = lock(&self.reloading);
        self.notifier.reloading();
        let result = self.load_again();
        match &result {
            Ok(summary) => {
                *lock(&self.reloads) = ReloadStatus { successful: true, success_at: unix_now() };
                log::info(
                    "reloaded the configuration",
                    &[
                        ("targets", &summary.targets),
                        ("allow_rules", &summary.allow_rules),
                        ("kept", &summary.kept),
                    ],
                );
            }
            Err(err) => {
                lock(&self.reloads).successful = false;
                log::error("reload failed; the configuration is unchanged", &[("err", err)]);
            }
        }
        self.notifier.ready();
        result
    }

    fn load_again(&self) -> Result<ReloadSummary, ReloadError> {
        let targets = config::load_targets(&self.config).map_err(ReloadError::Config)?;
        let old = self.loaded();
        if targets.file_sections == 0 && old.file_sections > 0 {
            let path = self.config.config_file.clone().unwrap_or_default();
            return Err(ReloadError::Emptied { path, running: old.file_sections });
        }
        let new = Loaded::new(targets, Some(&old)).map_err(ReloadError::Buckets)?;
        let summary = ReloadSummary {
            targets: new.targets.len(),
            allow_rules: new.allow.len(),
            kept: new
                .histories
                .iter()
                .filter(|h| old.histories.iter().any(|o| Arc::ptr_eq(h, o)))
                .count(),
        };
        *lock(&self.loaded) = Arc::new(new);
        Ok(summary)
    }

    /// Claims a place for one `/probe` request, or `None` if
    /// `--web.max-requests` are already probing. The place is freed when
    /// dropped. `/metrics` has a share of its own: at most as many rounds
    /// of probes ([`ProbePool::join_or_start`]).
    pub fn begin_probe(&self) -> Option<ProbeSlot<'_>> {
        let max = self.config.max_requests;
        let claimed = self
            .probes_in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1))
            .is_ok();
        // `then`, not `then_some`: the slot must exist only if the claim
        // succeeded, because dropping a slot releases a place.
        claimed.then(|| ProbeSlot { in_flight: &self.probes_in_flight })
    }

    /// How many `/probe` requests are probing now.
    pub fn probes_in_flight(&self) -> usize {
        self.probes_in_flight.load(Ordering::Acquire)
    }

    /// Marks the exporter as stopping: `/-/ready` answers 503 from now on,
    /// and connections close after their response.
    pub fn begin_stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Whether a stop has begun ([`Exporter::begin_stop`]).
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Whether the last configuration load (a reload, or the start)
    /// worked, and when one last did, in Unix seconds.
    pub fn reload_status(&self) -> (bool, f64) {
        let status = lock(&self.reloads);
        (status.successful, status.success_at)
    }

    /// An empty buffer for a response body of about `expected` bytes: one
    /// a sent response gave back, or a new one, made room for `expected`
    /// bytes (up to [`MAX_KEPT_OUTPUT`]) so that the body is not grown and
    /// copied step by step.
    pub fn output_buffer(&self, expected: usize) -> String {
        let spare = lock(&self.spare_bodies).pop();
        // A recycled body is empty, so it is valid UTF-8.
        let mut body = spare.and_then(|body| String::from_utf8(body).ok()).unwrap_or_default();
        body.reserve(expected.min(MAX_KEPT_OUTPUT));
        body
    }

    /// The size the next `/metrics` body will likely have: the last one's,
    /// with a little headroom, since the next differs by a few digits.
    pub fn scrape_size_hint(&self) -> usize {
        self.last_scrape_size.load(Ordering::Relaxed)
    }

    /// Notes the size of a `/metrics` body just written, for
    /// [`scrape_size_hint`](Self::scrape_size_hint).
    pub fn remember_scrape_size(&self, size: usize) {
        let hint = (size + size / 16).min(MAX_KEPT_OUTPUT);
        self.last_scrape_size.store(hint, Ordering::Relaxed);
    }

    /// Takes back the body of a response that has been sent, to be the
    /// next [`output_buffer`](Self::output_buffer). At most
    /// [`MAX_SPARE_BODIES`] are kept, none larger than [`MAX_KEPT_OUTPUT`]
    /// (a burst of large scrapes leaves nothing of its peak behind) and
    /// none smaller than [`MIN_KEPT_OUTPUT`] (the few bytes of a health
    /// check would only have to grow again).
    pub fn recycle_body(&self, mut body: Vec<u8>) {
        if !(MIN_KEPT_OUTPUT..=MAX_KEPT_OUTPUT).contains(&body.capacity()) {
            return;
        }
        body.clear();
        let mut spare = lock(&self.spare_bodies);
        if spare.len() < MAX_SPARE_BODIES {
            spare.push(body);
        }
    }
}

/// How many sent bodies are kept for reuse: about the scrapes that run at
/// once in a steady state (each Prometheus server scrapes one at a time).
pub const MAX_SPARE_BODIES: usize = 8;

/// The largest body kept for reuse, and the most room a buffer is made
/// for: past this, a body grows as it is written, as any `String` does,
/// and is freed once sent.
pub const MAX_KEPT_OUTPUT: usize = 1 << 20;

/// The smallest body kept for reuse: about a scrape of one target.
pub const MIN_KEPT_OUTPUT: usize = 4 << 10;

impl Loaded {
    /// The targets with their histories: each taken over from `previous`
    /// where a target of the same name, kind, address and buckets (classic
    /// and native) was
    /// there, new otherwise.
    fn new(targets: Targets, previous: Option<&Loaded>) -> Result<Loaded, BucketsError> {
        let started_at = unix_now();
        let histories = targets
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
        Ok(Loaded {
            spelled_labels: metrics::spell_target_labels(&targets.targets),
            file_sections: targets.file_sections,
            targets: targets.targets.into(),
            allow: targets.allow,
            modules: targets.modules,
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

    /// The reading of each target's latency histogram, in the targets'
    /// order; `None` for a target with `buckets = none`.
    pub fn latencies(&self) -> Vec<Option<HistogramValue>> {
        self.histories
            .iter()
            .map(|history| lock(history).latency.as_ref().map(Histogram::snapshot))
            .collect()
    }
}

/// Everything behind these locks holds only counts and whole values; a
/// panic elsewhere cannot leave it inconsistent, so a poisoned lock is
/// still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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

/// One running `/probe` request; dropping it ends it.
pub struct ProbeSlot<'a> {
    in_flight: &'a AtomicUsize,
}

impl Drop for ProbeSlot<'_> {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::DaytimeSpec;
    use crate::target::{Address, Kind};

    fn exporter(config: Config) -> Exporter {
        Exporter::new(config, Targets::default(), Notifier::disabled()).unwrap()
    }

    #[test]
    fn caps_probes_in_flight() {
        let exporter = exporter(Config { max_requests: 2, ..Config::default() });
        let first = exporter.begin_probe();
        let second = exporter.begin_probe();
        assert!(first.is_some() && second.is_some());
        assert!(exporter.begin_probe().is_none());
        drop(first);
        assert!(exporter.begin_probe().is_some());
    }

    #[test]
    fn a_refused_scrape_frees_no_place() {
        let exporter = exporter(Config { max_requests: 1, ..Config::default() });
        let running = exporter.begin_probe();
        assert!(running.is_some());
        assert!(exporter.begin_probe().is_none(), "the cap is 1");
        assert_eq!(exporter.probes_in_flight(), 1, "the refusal released the running probe");
        drop(running);
        assert_eq!(exporter.probes_in_flight(), 0, "idle after the refusal");
        for _ in 0..3 {
            let slot = exporter.begin_probe();
            assert!(slot.is_some(), "a probe after a refusal is refused");
            assert!(exporter.begin_probe().is_none(), "the cap is still enforced");
        }
        assert_eq!(exporter.probes_in_flight(), 0);
    }

    fn target(name: &str, port: u16) -> Target {
        Target::new(name, Kind::Daytime(DaytimeSpec::default()), Address::new("127.0.0.1", port))
    }

    #[test]
    fn a_target_that_survives_a_reload_keeps_its_history() {
        let before =
            Targets { targets: vec![target("a", 1), target("b", 2)], ..Targets::default() };
        let old = Loaded::new(before, None).unwrap();
        lock(&old.histories[0]).latency.as_mut().unwrap().observe(0.1);
        // `a` stays as it was, `b` moves to another port, `c` is new.
        let after = Targets {
            targets: vec![target("c", 3), target("a", 1), target("b", 4)],
            ..Targets::default()
        };
        let new = Loaded::new(after, Some(&old)).unwrap();
        assert!(Arc::ptr_eq(&new.histories[1], &old.histories[0]), "a kept its history");
        assert_eq!(lock(&new.histories[1]).latency.as_ref().unwrap().count(), 1);
        assert!(!Arc::ptr_eq(&new.histories[2], &old.histories[1]), "b is another target now");
        assert_eq!(lock(&new.histories[0]).latency.as_ref().unwrap().count(), 0);
    }

    #[test]
    fn the_native_histogram_is_read_and_survives_a_reload_unless_its_schema_changed() {
        let before =
            Targets { targets: vec![target("a", 1), target("b", 2)], ..Targets::default() };
        let old = Loaded::new(before, None).unwrap();
        for history in &old.histories {
            lock(history).latency.as_mut().unwrap().observe(0.001);
        }
        let mut coarser = target("b", 2);
        coarser.native_schema = crate::histogram::Schema::new(0);
        let after = Targets { targets: vec![target("a", 1), coarser], ..Targets::default() };
        let new = Loaded::new(after, Some(&old)).unwrap();
        let latencies = new.latencies();
        let native = |idx: usize| latencies[idx].as_ref().and_then(|l| l.native.clone()).unwrap();
        assert_eq!((native(0).schema, native(0).positive_deltas), (3, vec![1]), "a kept it");
        assert_eq!((native(1).schema, native(1).positive_deltas), (0, vec![]), "b starts afresh");
    }

    #[test]
    fn a_target_without_buckets_has_no_histogram_but_its_outcome_is_kept() {
        let mut bare = target("bare", 1);
        bare.buckets = None;
        let loaded = Loaded::new(
            Targets { targets: vec![bare, target("full", 2)], ..Targets::default() },
            None,
        )
        .unwrap();
        let report = crate::probe::run(&loaded.targets[0], std::time::Duration::from_millis(1));
        loaded.record(&[report, crate::probe::run(&loaded.targets[1], std::time::Duration::ZERO)]);
        let latencies = loaded.latencies();
        assert!(latencies[0].is_none(), "{latencies:?}");
        assert_eq!(latencies[1].as_ref().map(|latency| latency.count), Some(1));
        assert!(lock(&loaded.histories[0]).last_outcome.is_some());
    }

    #[test]
    fn a_bad_file_changes_nothing() {
        let path =
            std::env::temp_dir().join(format!("probe_exporter_reload_{}.conf", std::process::id()));
        let path_text = path.to_string_lossy().into_owned();
        std::fs::write(&path, "[target a]\nkind = daytime\naddress = 127.0.0.1:13\n").unwrap();
        let config = Config { config_file: Some(path_text.clone()), ..Config::default() };
        let targets = config::load_targets(&config).unwrap();
        let exporter = Exporter::new(config, targets, Notifier::disabled()).unwrap();
        std::fs::write(&path, "[target a]\nkind = daytime\naddres = 127.0.0.1:13\n").unwrap();
        let err = exporter.reload().unwrap_err();
        assert!(err.to_string().starts_with(&format!("{path_text}:3: ")), "{err}");
        assert_eq!(exporter.loaded().targets.len(), 1, "the old target stays");
        assert!(!exporter.reload_status().0, "the failure shows");

        std::fs::write(&path, "[target b]\nkind = daytime\naddress = 127.0.0.1:13\n").unwrap();
        let summary = exporter.reload().unwrap();
        assert_eq!(summary, ReloadSummary { targets: 1, allow_rules: 0, kept: 0 });
        assert_eq!(exporter.loaded().targets[0].name, "b");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn an_emptied_file_keeps_the_targets_and_an_empty_probe_section_is_taken() {
        let path = std::env::temp_dir()
            .join(format!("probe_exporter_emptied_{}.conf", std::process::id()));
        let path_text = path.to_string_lossy().into_owned();
        let section = "[target a]\nkind = daytime\naddress = 127.0.0.1:13\n";
        std::fs::write(&path, section).unwrap();
        let config = Config { config_file: Some(path_text.clone()), ..Config::default() };
        let targets = config::load_targets(&config).unwrap();
        let exporter = Exporter::new(config, targets, Notifier::disabled()).unwrap();

        for emptied in ["", "# being rewritten\n"] {
            std::fs::write(&path, emptied).unwrap();
            let err = exporter.reload().unwrap_err();
            assert!(matches!(err, ReloadError::Emptied { running: 1, .. }), "{err}");
            assert!(err.to_string().starts_with(&format!("{path_text} holds no section")), "{err}");
            assert_eq!(exporter.loaded().targets.len(), 1, "the target stays");
            assert!(!exporter.reload_status().0, "the refusal shows");
        }

        std::fs::write(&path, "[probe]\n").unwrap();
        assert_eq!(exporter.reload().unwrap().targets, 0, "nothing, said on purpose");

        // Started from an empty file, an empty file loses nothing.
        std::fs::write(&path, "").unwrap();
        let config = Config { config_file: Some(path_text), ..Config::default() };
        let targets = config::load_targets(&config).unwrap();
        let exporter = Exporter::new(config, targets, Notifier::disabled()).unwrap();
        assert_eq!(exporter.reload().unwrap().targets, 0);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_scrape_reads_the_reload_status_while_a_reload_runs() {
        let exporter = exporter(Config::default());
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            // A reload under way: it holds its turn while it reads the
            // file (at least two reads, config::SETTLE_TIME apart).
            let turn = lock(&exporter.reloading);
            scope.spawn(|| done.send(exporter.reload_status()).unwrap());
            let status = finished.recv_timeout(std::time::Duration::from_secs(5));
            drop(turn);
            assert!(matches!(status, Ok((true, _))), "the scrape waited: {status:?}");
        });
    }

    #[test]
    fn without_a_file_there_is_nothing_to_reload() {
        let exporter = exporter(Config::default());
        assert!(matches!(exporter.reload(), Err(ReloadError::NoFile)));
        assert!(exporter.reload_status().0, "no reload failed");
    }

    #[test]
    fn sent_bodies_are_reused_but_no_large_one_nor_too_many() {
        let exporter =
            Exporter::new(Config::default(), Targets::default(), Notifier::disabled()).unwrap();
        let mut body = exporter.output_buffer(MIN_KEPT_OUTPUT).into_bytes();
        body.extend_from_slice(b"# EOF\n");
        let capacity = body.capacity();
        exporter.recycle_body(body);
        let reused = exporter.output_buffer(0);
        assert!(reused.is_empty() && reused.capacity() == capacity, "{}", reused.capacity());

        exporter.recycle_body(Vec::with_capacity(MAX_KEPT_OUTPUT + 1));
        exporter.recycle_body(b"Healthy\n".to_vec());
        assert_eq!(lock(&exporter.spare_bodies).len(), 0, "a large or a tiny body is freed");
        for _ in 0..MAX_SPARE_BODIES + 3 {
            exporter.recycle_body(Vec::with_capacity(MIN_KEPT_OUTPUT));
        }
        assert_eq!(lock(&exporter.spare_bodies).len(), MAX_SPARE_BODIES);
        // A spare is made room for what the caller expects.
        assert!(exporter.output_buffer(100_000).capacity() >= 100_000);
    }
}
