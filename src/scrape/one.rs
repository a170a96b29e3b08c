//! `/probe`: one target, named by the request, probed as a scrape is,
//! within a share of places of its own.
//!
//! This is blackbox_exporter's multi-target pattern: Prometheus names the
//! target in the query, and the answer holds that one target's families.
//! The routes have already checked the target against the allow-list;
//! here it is probed in a round of its own, and answered in the chosen
//! format, or, with `debug=true`, as the page blackbox_exporter shows:
//! the probe's log, the metrics, the module's settings.
//!
//! `/probe` requests take places of their own, at most
//! `--web.max-requests` at once ([`ProbeShare`]), apart from the rounds of
//! `/metrics`: forty clients looping on `/probe` of a silent address fill
//! this share, never Prometheus's scrape of `/metrics`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::{answer, Scraper, Terms};
use crate::exposition::{TextFormat, Writer};
use crate::http::{self, Response, Status};
use crate::log;
use crate::metrics;
use crate::probe::{trace, Report};
use crate::server::Context;
use crate::target::Target;

/// About the size of a `/probe` answer: a counter target's, in OpenMetrics.
const PROBE_BODY_SIZE: usize = 2 << 10;

impl Scraper {
    /// Probes `target`, which `/probe?module=module` named, and answers
    /// with its families, or with the debug page; `503` when every place
    /// of `/probe` is taken.
    pub fn probe_one(
        &self,
        target: Target,
        module: &str,
        debug: bool,
        terms: &Terms,
        server: &Context,
    ) -> Response {
        let Some(_place) = self.probes.claim() else {
            return answer::too_many_scrapes();
        };
        let targets: Arc<[Target]> = Arc::new([target]);
        let keep_reply = if debug { trace::SHOWN_REPLY } else { 0 };
        let reports = self.rounds.probe_all(&targets, terms.arrived, terms.budget, keep_reply);
        let (target, report) = (&targets[0], &reports[0]);
        if let Err(err) = &report.result {
            log::debug(
                "probe failed",
                &[
                    ("target", &target.address),
                    ("module", &module),
                    ("phase", &err.phase()),
                    ("err", err),
                ],
            );
        }
        if debug {
            return debug_page(report, target, module);
        }
        let body = answer::write_body(terms, server.bodies(), PROBE_BODY_SIZE, |writer| {
            metrics::write_probe(writer, target, report)
        });
        answer::respond(terms, server.bodies(), body)
    }
}

/// What blackbox_exporter answers a debug probe with, in plain text: the
/// probe's log, the metrics it would have returned, and the module's
/// settings, each section headed by a sentence.
fn debug_page(report: &Report, target: &Target, module: &str) -> Response {
    let mut page = trace::debug_log(report, target, module);
    page.push_str("\n\n\nMetrics that would have been returned:\n");
    metrics::write_probe(Writer::new(&mut page, TextFormat::Prometheus), target, report);
    page.push_str("\n\n\nModule configuration:\n");
    page.push_str(&trace::module_settings(module, target));
    Response::new(Status::OK, http::TEXT_PLAIN, page)
}

/// The places of `/probe` requests: at most so many probing at once.
pub struct ProbeShare {
    in_flight: AtomicUsize,
    max: usize,
}

impl ProbeShare {
    /// Room for `max` `/probe` requests at once.
    pub fn new(max: usize) -> ProbeShare {
        ProbeShare { in_flight: AtomicUsize::new(0), max }
    }

    /// Claims a place for one `/probe` request, or `None` if every place
    /// is taken. The place is freed when dropped.
    pub fn claim(&self) -> Option<Place<'_>> {
        let claimed = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.max).then_some(n + 1))
            .is_ok();
        // `then`, not `then_some`: the place must exist only if the claim
        // succeeded, because dropping a place releases it.
        claimed.then(|| Place { in_flight: &self.in_flight })
    }

    /// How many `/probe` requests are probing now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }
}

/// One running `/probe` request's place; dropping it frees the place.
pub struct Place<'a> {
    in_flight: &'a AtomicUsize,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_probes_in_flight() {
        let share = ProbeShare::new(2);
        let first = share.claim();
        let second = share.claim();
        assert!(first.is_some() && second.is_some());
        assert!(share.claim().is_none());
        drop(first);
        assert!(share.claim().is_some());
    }

    #[test]
    fn a_refused_probe_frees_no_place() {
        let share = ProbeShare::new(1);
        let running = share.claim();
        assert!(running.is_some());
        assert!(share.claim().is_none(), "the cap is 1");
        assert_eq!(share.in_flight(), 1, "the refusal released the running probe");
        drop(running);
        assert_eq!(share.in_flight(), 0, "idle after the refusal");
        for _ in 0..3 {
            let place = share.claim();
            assert!(place.is_some(), "a probe after a refusal is refused");
            assert!(share.claim().is_none(), "the cap is still enforced");
        }
        assert_eq!(share.in_flight(), 0);
    }
}
