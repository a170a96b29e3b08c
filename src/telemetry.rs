//! The exporter's own metrics: how it is doing, beside what it probes.
//!
//! - `probe_exporter_http_responses_total{code}`: responses by status
//!   code, the talk's `hits` counter. Like client_golang's
//!   `promhttp_metric_handler_requests_total`, a response is counted once
//!   written, so a scrape sees the responses before its own.
//! - `probe_exporter_build_info{version,revision,branch,rustversion}`:
//!   always 1; the build rides in labels so that it can be joined onto
//!   other series.
//! - The standard `process_*` metrics, read afresh from `/proc/self` at
//!   each scrape with the names the official client libraries use, and
//!   left out where there is no `/proc`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::exposition::{labels, Counter, Family};
use crate::http::Status;
use crate::process::{self, ProcessStats};
use crate::version;

pub struct Telemetry {
    /// Unix seconds at start-up: the `_created` of our counters.
    started_at: f64,
    responses: Mutex<BTreeMap<u16, u64>>,
}

/// Codes that are exported from the start, even at zero, so that a rate
/// of errors is defined before the first error.
const PREINITIALISED_CODES: [u16; 3] = [200, 500, 503];

impl Telemetry {
    pub fn new() -> Telemetry {
        let responses = PREINITIALISED_CODES.iter().map(|&code| (code, 0)).collect();
        Telemetry { started_at: unix_now(), responses: Mutex::new(responses) }
    }

    /// Counts one response that was written.
    pub fn count_response(&self, status: Status) {
        let mut responses = self.responses.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *responses.entry(status.0).or_insert(0) += 1;
    }

    /// The exporter's own families, gathered now.
    pub fn families(&self) -> Vec<Family> {
        let mut families = vec![self.responses_family(), build_info()];
        if let Some(stats) = process::read_self() {
            families.extend(process_families(&stats));
        }
        families
    }

    fn responses_family(&self) -> Family {
        let responses = self.responses.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let series = responses
            .iter()
            .map(|(code, count)| {
                let counter = Counter { total: *count as f64, created: Some(self.started_at) };
                (labels(&[("code", &code.to_string())]), counter)
            })
            .collect();
        Family::counter(
            "probe_exporter_http_responses",
            "HTTP responses written, by status code.",
            series,
        )
    }
}

impl Default for Telemetry {
    fn default() -> Telemetry {
        Telemetry::new()
    }
}

fn build_info() -> Family {
    Family::gauge(
        "probe_exporter_build_info",
        "A metric with a constant '1' value labeled by version, revision, branch, and rustversion from which probe_exporter was built.",
        vec![(labels(&version::build_info_labels()), 1.0)],
    )
}

fn process_families(stats: &ProcessStats) -> Vec<Family> {
    let gauge =
        |name: &str, help: &str, value: f64| Family::gauge(name, help, vec![(Vec::new(), value)]);
    let mut families = vec![
        Family::counter(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds.",
            vec![(Vec::new(), Counter { total: stats.cpu_seconds, created: None })],
        )
        .with_unit("seconds"),
        gauge("process_open_fds", "Number of open file descriptors.", stats.open_fds as f64),
    ];
    if let Some(max_fds) = stats.max_fds {
        families.push(gauge(
            "process_max_fds",
            "Maximum number of open file descriptors.",
            max_fds as f64,
        ));
    }
    families.extend([
        gauge(
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            stats.virtual_memory_bytes as f64,
        )
        .with_unit("bytes"),
        gauge(
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            stats.resident_memory_bytes as f64,
        )
        .with_unit("bytes"),
        gauge(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            stats.start_time_seconds,
        )
        .with_unit("seconds"),
    ]);
    families
}

/// The current time in Unix seconds.
pub fn unix_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|since| since.as_secs_f64()).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposition::{render, Format, Samples};

    #[test]
    fn counts_responses_by_code() {
        let telemetry = Telemetry::new();
        telemetry.count_response(Status::OK);
        telemetry.count_response(Status::OK);
        telemetry.count_response(Status::NOT_FOUND);
        let Samples::Counter(series) = telemetry.responses_family().samples else {
            panic!("not a counter")
        };
        let totals: Vec<(String, f64)> =
            series.iter().map(|(labels, c)| (labels[0].1.clone(), c.total)).collect();
        let expected = [("200", 2.0), ("404", 1.0), ("500", 0.0), ("503", 0.0)];
        assert_eq!(totals, expected.map(|(code, n)| (code.to_string(), n)).to_vec());
    }

    #[test]
    fn process_metrics_use_the_client_library_names() {
        let text = render(&Telemetry::new().families(), Format::Prometheus);
        for name in [
            "process_cpu_seconds_total ",
            "process_open_fds ",
            "process_max_fds ",
            "process_virtual_memory_bytes ",
            "process_resident_memory_bytes ",
            "process_start_time_seconds ",
            "probe_exporter_build_info{version=\"",
        ] {
            assert!(text.contains(&format!("\n{name}")), "{name} missing from\n{text}");
        }
    }
}
