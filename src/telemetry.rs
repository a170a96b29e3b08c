//! The exporter's own counts: the responses it wrote, by status code,
//! which [`crate::metrics`] writes as `probe_exporter_http_responses_total`
//! (the talk's `hits` counter). Like client_golang's
//! `promhttp_metric_handler_requests_total`, a response is counted once
//! written, so a scrape sees the responses before its own.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::http::Status;

/// The responses written so far, counted by status code.
pub struct Telemetry {
    /// Unix seconds at start-up: the `_created` of our counters.
    started_at: f64,
    responses: Mutex<BTreeMap<u16, u64>>,
}

/// Codes that are exported from the start, even at zero, so that a rate
/// of errors is defined before the first error.
const PREINITIALISED_CODES: [u16; 3] = [200, 500, 503];

impl Telemetry {
    /// Counts from now, with 200, 500 and 503 exported at zero from the start.
    pub fn new() -> Telemetry {
        let responses = PREINITIALISED_CODES.iter().map(|&code| (code, 0)).collect();
        Telemetry { started_at: unix_now(), responses: Mutex::new(responses) }
    }

    /// Counts one response that was written.
    pub fn count_response(&self, status: Status) {
        let mut responses = self.responses.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *responses.entry(status.0).or_insert(0) += 1;
    }

    /// The responses written so far, by status code, in increasing order.
    pub fn responses(&self) -> Vec<(u16, u64)> {
        let responses = self.responses.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        responses.iter().map(|(&code, &count)| (code, count)).collect()
    }

    /// Unix seconds at start-up: when counting began.
    pub fn started_at(&self) -> f64 {
        self.started_at
    }
}

impl Default for Telemetry {
    fn default() -> Telemetry {
        Telemetry::new()
    }
}

/// The current time in Unix seconds, to the millisecond: what Prometheus
/// keeps of a timestamp, and a number of 13 digits, which is written
/// without the float formatter (see [`crate::exposition::write_value`]).
pub fn unix_now() -> f64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    since_epoch.as_millis() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_responses_by_code() {
        let telemetry = Telemetry::new();
        telemetry.count_response(Status::OK);
        telemetry.count_response(Status::OK);
        telemetry.count_response(Status::NOT_FOUND);
        assert_eq!(telemetry.responses(), [(200, 2), (404, 1), (500, 0), (503, 0)]);
    }
}
