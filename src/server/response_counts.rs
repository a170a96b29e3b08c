//! The responses the server wrote, counted by status code: what
//! `probe_exporter_http_responses_total` reports (the talk's `hits`
//! counter). The server counts, because only it knows that a response
//! went out whole, refusals included; a scrape reads the counts through
//! the [`Context`](super::Context) it is handed. Like client_golang's
//! `promhttp_metric_handler_requests_total`, a response is counted once
//! written, so a scrape sees the responses before its own.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::http::Status;
use crate::time::unix_now;

/// The responses written so far, counted by status code.
pub struct ResponseCounts {
    /// Unix seconds at start-up: the `_created` of the counter.
    since: f64,
    by_code: Mutex<BTreeMap<u16, u64>>,
}

/// Codes that are exported from the start, even at zero, so that a rate
/// of errors is defined before the first error.
const PREINITIALISED_CODES: [u16; 3] = [200, 500, 503];

impl ResponseCounts {
    /// Counts from now, with 200, 500 and 503 exported at zero from the start.
    pub fn new() -> ResponseCounts {
        let by_code = PREINITIALISED_CODES.iter().map(|&code| (code, 0)).collect();
        ResponseCounts { since: unix_now(), by_code: Mutex::new(by_code) }
    }

    /// Counts one response that was written.
    pub fn count(&self, status: Status) {
        let mut by_code = self.by_code.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *by_code.entry(status.0).or_insert(0) += 1;
    }

    /// The responses written so far, by status code, in increasing order.
    pub fn by_code(&self) -> Vec<(u16, u64)> {
        let by_code = self.by_code.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        by_code.iter().map(|(&code, &count)| (code, count)).collect()
    }

    /// Unix seconds at start-up: when counting began.
    pub fn since(&self) -> f64 {
        self.since
    }
}

impl Default for ResponseCounts {
    fn default() -> ResponseCounts {
        ResponseCounts::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_responses_by_code() {
        let counts = ResponseCounts::new();
        counts.count(Status::OK);
        counts.count(Status::OK);
        counts.count(Status::NOT_FOUND);
        assert_eq!(counts.by_code(), [(200, 2), (404, 1), (500, 0), (503, 0)]);
    }
}
