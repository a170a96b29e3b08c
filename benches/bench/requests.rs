//! The requests the figures repeat, and what their answers must hold.

use crate::support::http_client::Client;
use crate::support::Result;

impl Client {
    /// A scrape in which each of `targets` probes succeeded, so that no
    /// figure is the cost of a failure.
    pub fn scrape(&mut self, path: &str, targets: usize) -> Result<String> {
        let body = self.get_ok(path)?;
        let succeeded = count_successes(&body);
        if succeeded == targets {
            Ok(body)
        } else {
            Err(format!("GET {path}: {succeeded} of {targets} probes succeeded").into())
        }
    }

    /// A `/probe` that succeeded.
    pub fn probe(&mut self, path: &str) -> Result<String> {
        let body = self.get_ok(path)?;
        if body.contains("\nprobe_success 1\n") {
            Ok(body)
        } else {
            Err(format!("GET {path}: no probe_success 1 in:\n{body}").into())
        }
    }
}

/// The `probe_success{...} 1` samples of a `/metrics` body.
pub fn count_successes(body: &str) -> usize {
    body.lines().filter(|line| line.starts_with("probe_success{") && line.ends_with("} 1")).count()
}
