//! One scrape, whole: from the generation in force and the terms the
//! request set, to the body ready to send.
//!
//! A `/metrics` scrape ([`Scraper::metrics`]), in order: claim a place in
//! a round of probes ([`round`]: one under way that serves it, or a new
//! one, within `--web.max-requests` rounds), read the process's own
//! figures while the probes run, wait for the reports until the deadline
//! ([`budget`]), record them in the generation's histories, then write
//! every family in the chosen format and coding ([`answer`]). A `/probe`
//! request ([`Scraper::probe_one`], in [`one`]) does the same for one
//! target, within a share of places of its own.
//!
//! Nothing here reads HTTP: the routes read the request and hand over
//! [`Terms`]; the server lends the spare bodies and the counts of
//! responses ([`Context`]). A failed probe is not a failed scrape: the
//! answer is still `200`, with `probe_success 0` in it.

pub mod round;
pub mod budget;
pub mod answer;
pub mod one;

pub use answer::{Coding, Terms};

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::config::Config;
use crate::http::Response;
use crate::metrics::{self, ScrapeData};
use crate::probe::net::MAX_PENDING_LOOKUPS;
use crate::process;
use crate::server::bodies::MAX_KEPT_BODY;
use crate::server::Context;
use crate::state::{Generation, ReloadStatus};
use one::ProbeShare;
use round::ProbePool;

/// What scrapes share across requests: the probe threads and the rounds
/// under way, the places of `/probe`, and the size of the last body.
pub struct Scraper {
    rounds: ProbePool,
    probes: ProbeShare,
    /// The size of the last `/metrics` body, to size the next one.
    last_size: AtomicUsize,
}

impl Scraper {
    /// Probe threads and places as the flags say: `--scrape.concurrency`
    /// probes at once, `--web.max-requests` rounds and as many `/probe`s.
    pub fn new(config: &Config) -> Scraper {
        Scraper {
            rounds: ProbePool::new(config.scrape_concurrency, config.max_requests),
            probes: ProbeShare::new(config.max_requests),
            last_size: AtomicUsize::new(0),
        }
    }

    /// The configured targets' metrics, then the exporter's own: the whole
    /// answer to a scrape of `generation`. A scrape that arrives while a
    /// round of probes of the same targets is under way may take its
    /// reports ([`round::ProbePool::join_or_start`]); one that finds no
    /// place gets `503`.
    pub fn metrics(
        &self,
        generation: &Generation,
        reload: ReloadStatus,
        terms: &Terms,
        server: &Context,
    ) -> Response {
        let targets = &generation.targets;
        let Some(round) = self.rounds.join_or_start(targets, terms.arrived, terms.budget) else {
            return answer::too_many_scrapes();
        };
        // The process's figures are read while the probes run.
        let process = process::read_self();
        let reports = round.wait(|reports| generation.record(reports));
        let scrape_duration = terms.arrived.elapsed();

        let latencies = generation.latencies();
        let counts = server.response_counts();
        let responses = counts.by_code();
        let scrape = ScrapeData {
            targets,
            spelled_labels: &generation.spelled_labels,
            reports: &reports,
            latencies: &latencies,
            scrape_duration,
            reload_successful: reload.successful,
            reload_success_at: reload.success_at,
            responses: &responses,
            counting_since: counts.since(),
            process,
        };
        let body = answer::write_body(terms, server.bodies(), self.size_hint(), |writer| {
            metrics::write_scrape(writer, &scrape)
        });
        self.remember_size(body.len());
        answer::respond(terms, server.bodies(), body)
    }

    /// The size the next `/metrics` body will likely have: the last one's,
    /// with a little headroom, since the next differs by a few digits.
    fn size_hint(&self) -> usize {
        self.last_size.load(Ordering::Relaxed)
    }

    /// Notes the size of a `/metrics` body just written, for
    /// [`size_hint`](Self::size_hint).
    fn remember_size(&self, size: usize) {
        let hint = (size + size / 16).min(MAX_KEPT_BODY);
        self.last_size.store(hint, Ordering::Relaxed);
    }
}

/// Descriptors that scrapes may hold at once, for fitting connections to
/// the limit on open files: a socket for each probe thread, and for each
/// waiter probing on its own worker when no probe thread can be started
/// (one per round or `/probe` in flight), and one per name lookup.
pub fn descriptors_at_most(config: &Config) -> usize {
    config.scrape_concurrency + 2 * config.max_requests + MAX_PENDING_LOOKUPS
}
