//! The state that outlives a scrape: the generation of the configuration
//! in force, and the reload that replaces it.
//!
//! Almost nothing outlives a scrape: an exporter asks its targets afresh
//! at every scrape and caches no answer. What does is what only exists
//! over time, and it lives in the [`Generation`] in force: each target's
//! latency histogram and last outcome. A reload (`SIGHUP` or
//! `POST /-/reload`) reads the configuration file again and swaps in the
//! next generation whole ([`Generations::reload`]). A scrape takes the
//! current one when it starts and keeps it to the end, so it never sees
//! half of each; a target that survives the reload keeps its history,
//! because the new generation shares it with the old.

pub mod generation;
pub mod reload;

pub use generation::Generation;
pub use reload::{ReloadError, ReloadStatus, ReloadSummary};

use std::sync::{Arc, Mutex, MutexGuard};

use crate::config::{self, Config, Setup};
use crate::histogram::BucketsError;
use crate::log;
use crate::os::systemd::Notifier;
use crate::time::unix_now;

/// The generation in force, and how to make the next: the flags (which a
/// reload does not change), the lock that keeps reloads one at a time,
/// and what systemd hears of them.
pub struct Generations {
    config: Config,
    current: Mutex<Arc<Generation>>,
    /// Held while a reload runs, so that two never interleave.
    reloading: Mutex<()>,
    /// The outcome of the last reload, apart from `reloading`: a scrape
    /// reads it, and must not wait while a reload reads the file.
    status: Mutex<ReloadStatus>,
    notifier: Notifier,
}

impl Generations {
    /// The first generation, of `setup` as `config` loaded it; `notifier`
    /// hears of reloads.
    pub fn new(
        config: Config,
        setup: Setup,
        notifier: Notifier,
    ) -> Result<Generations, BucketsError> {
        let first = Generation::new(setup, None)?;
        Ok(Generations {
            config,
            current: Mutex::new(Arc::new(first)),
            reloading: Mutex::new(()),
            status: Mutex::new(ReloadStatus { successful: true, success_at: unix_now() }),
            notifier,
        })
    }

    /// The flags' configuration, which a reload does not change.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The generation in force. A scrape keeps what it got here to its
    /// end, whatever a reload does meanwhile.
    pub fn current(&self) -> Arc<Generation> {
        Arc::clone(&lock(&self.current))
    }

    /// Whether the last configuration load (a reload, or the start)
    /// worked, and when one last did.
    pub fn reload_status(&self) -> ReloadStatus {
        *lock(&self.status)
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
                *lock(&self.status) = ReloadStatus { successful: true, success_at: unix_now() };
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
                lock(&self.status).successful = false;
                log::error("reload failed; the configuration is unchanged", &[("err", err)]);
            }
        }
        self.notifier.ready();
        result
    }

    /// Loads the configuration again into the next generation, and puts
    /// it in force unless the file was caught emptied.
    fn load_again(&self) -> Result<ReloadSummary, ReloadError> {
        let setup = config::load_setup(&self.config).map_err(ReloadError::Config)?;
        let old = self.current();
        if setup.file_sections == 0 && old.file_sections() > 0 {
            let path = self.config.config_file.clone().unwrap_or_default();
            return Err(ReloadError::Emptied { path, running: old.file_sections() });
        }
        let new = Generation::new(setup, Some(&old)).map_err(ReloadError::Buckets)?;
        let summary = ReloadSummary {
            targets: new.targets.len(),
            allow_rules: new.allow.len(),
            kept: new.kept_from(&old),
        };
        *lock(&self.current) = Arc::new(new);
        Ok(summary)
    }
}

/// Locks one of the state's mutexes. Behind each are whole values or
/// counts, changed in one step; a panic elsewhere cannot leave one
/// half-changed, so a poisoned lock is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generations(config: Config) -> Generations {
        Generations::new(config, Setup::default(), Notifier::disabled()).unwrap()
    }

    #[test]
    fn a_bad_file_changes_nothing() {
        let path =
            std::env::temp_dir().join(format!("probe_exporter_reload_{}.conf", std::process::id()));
        let path_text = path.to_string_lossy().into_owned();
        std::fs::write(&path, "[target a]\nkind = daytime\naddress = 127.0.0.1:13\n").unwrap();
        let config = Config { config_file: Some(path_text.clone()), ..Config::default() };
        let targets = config::load_setup(&config).unwrap();
        let generations = Generations::new(config, targets, Notifier::disabled()).unwrap();
        std::fs::write(&path, "[target a]\nkind = daytime\naddres = 127.0.0.1:13\n").unwrap();
        let err = generations.reload().unwrap_err();
        assert!(err.to_string().starts_with(&format!("{path_text}:3: ")), "{err}");
        assert_eq!(generations.current().targets.len(), 1, "the old target stays");
        assert!(!generations.reload_status().successful, "the failure shows");

        std::fs::write(&path, "[target b]\nkind = daytime\naddress = 127.0.0.1:13\n").unwrap();
        let summary = generations.reload().unwrap();
        assert_eq!(summary, ReloadSummary { targets: 1, allow_rules: 0, kept: 0 });
        assert_eq!(generations.current().targets[0].name, "b");
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
        let targets = config::load_setup(&config).unwrap();
        let generations = Generations::new(config, targets, Notifier::disabled()).unwrap();

        for emptied in ["", "# being rewritten\n"] {
            std::fs::write(&path, emptied).unwrap();
            let err = generations.reload().unwrap_err();
            assert!(matches!(err, ReloadError::Emptied { running: 1, .. }), "{err}");
            assert!(err.to_string().starts_with(&format!("{path_text} holds no section")), "{err}");
            assert_eq!(generations.current().targets.len(), 1, "the target stays");
            assert!(!generations.reload_status().successful, "the refusal shows");
        }

        std::fs::write(&path, "[probe]\n").unwrap();
        assert_eq!(generations.reload().unwrap().targets, 0, "nothing, said on purpose");

        // Started from an empty file, an empty file loses nothing.
        std::fs::write(&path, "").unwrap();
        let config = Config { config_file: Some(path_text), ..Config::default() };
        let targets = config::load_setup(&config).unwrap();
        let generations = Generations::new(config, targets, Notifier::disabled()).unwrap();
        assert_eq!(generations.reload().unwrap().targets, 0);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_scrape_reads_the_reload_status_while_a_reload_runs() {
        let generations = generations(Config::default());
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            // A reload under way: it holds its turn while it reads the
            // file (at least two reads, config::SETTLE_TIME apart).
            let turn = lock(&generations.reloading);
            scope.spawn(|| done.send(generations.reload_status()).unwrap());
            let status = finished.recv_timeout(std::time::Duration::from_secs(5));
            drop(turn);
            assert!(
                matches!(status, Ok(ReloadStatus { successful: true, .. })),
                "the scrape waited: {status:?}"
            );
        });
    }

    #[test]
    fn without_a_file_there_is_nothing_to_reload() {
        let generations = generations(Config::default());
        assert!(matches!(generations.reload(), Err(ReloadError::NoFile)));
        assert!(generations.reload_status().successful, "no reload failed");
    }
}
