//! How long a scrape may take: what Prometheus says it will wait, less a
//! margin for the answer to travel back.
//!
//! Prometheus sends its scrape timeout with every scrape, in the
//! [`TIMEOUT_HEADER`]; an exporter that answered after it would be marked
//! down however good its answer. So the scrape's deadline is that timeout
//! less `--scrape.timeout-offset`, counted from the moment the request was
//! read, as Prometheus counts from the moment it sent it. Without the
//! header (a person with curl), there is no budget and each probe keeps
//! its own timeout.

use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;

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
