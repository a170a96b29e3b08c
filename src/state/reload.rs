//! What a reload says of itself: what it changed ([`ReloadSummary`]), why
//! it changed nothing ([`ReloadError`]), and how the last one went
//! ([`ReloadStatus`], for the `config_last_reload_*` gauges).
//!
//! A reload either replaces the whole generation or changes nothing;
//! these are its answers, to the log, to `POST /-/reload` and to the
//! next scrape.

use crate::config::ConfigError;
use crate::histogram::BucketsError;

/// How the last load of the configuration (a reload, or the start) went,
/// for the `config_last_reload_*` gauges.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReloadStatus {
    /// Whether it worked.
    pub successful: bool,
    /// Unix seconds of the last successful load, start-up included.
    pub success_at: f64,
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
