//! probe_exporter: a Prometheus exporter that probes services which do not
//! speak Prometheus, at the moment Prometheus scrapes it.
//!
//! An exporter is a facade, not magic: on every scrape it asks a service,
//! and turns the answer into metrics. This crate does it with the standard
//! library alone, so every step is here to read. Follow one scrape: each
//! step calls into modules its caller imports, but for one turn, where the
//! server calls the routes it was given through its [`server::Handler`]
//! and imports nothing of theirs:
//!
//! 1. [`app`] starts the process: it loads the configuration into the
//!    [`state`]'s first generation and gives the [`server`] its
//!    [`app::routes`] to serve.
//! 2. [`server`] accepts the connection; [`server::connection_table`]
//!    admits it (closing the one that has waited longest at the cap), and
//!    [`pool`] gives it a thread. [`server::connection`] reads the request
//!    head with deadlines, and [`http`] parses it from bytes.
//! 3. [`app::routes`], the server's [`server::Handler`], reads the request
//!    and chooses: for the metrics path, the [`scrape::Terms`] (the
//!    [`scrape::budget`] from Prometheus's timeout header, the format
//!    [`exposition::negotiate`] reads from `Accept`, the coding
//!    [`http::content_coding`] reads from `Accept-Encoding`), and the
//!    generation of the [`state`] in force.
//! 4. [`scrape`] does the whole scrape: a place in a [`scrape::round`] of
//!    probes on long-lived threads, every [`probe`] at once within one
//!    deadline; each resolves, connects, reads and parses, each step
//!    timed, with [`json`] and [`time`] to read what services say. The
//!    reports go into the generation's [`histogram`]s (with their
//!    [`histogram::native`] buckets where a target keeps them). A
//!    `/probe` request takes the same way for one target
//!    ([`scrape::one`]).
//! 5. [`metrics`] declares every family the exporter writes, once
//!    ([`metrics::schema`]), and turns the reports, the histograms, the
//!    server's [`server::response_counts`] and the [`process`] figures
//!    into those families ([`metrics::write`](mod@metrics::write)). In
//!    [`scrape::answer`], [`exposition`] writes them in the chosen format,
//!    and [`gzip`] compresses the body when the request accepts it.
//! 6. [`server::connection`] sends head and body in one write
//!    ([`http::Response::write_to`]), and keeps the body in
//!    [`server::bodies`] to write the next one into.
//!
//! Around them: [`config`] reads flags and the configuration file into
//! [`target`]s, modules and [`target::allow`] rules; [`state`] keeps what
//! outlives a scrape (histories, outcomes) and reloads the configuration;
//! [`log`] writes logfmt or JSON; [`version`] says what was built. The OS
//! modules of [`os`] do what std lacks: [`os::systemd`] (sockets passed
//! in, readiness), [`os::signals`] (`sigwait`), [`os::file_limit`]
//! (`setrlimit`), [`os::poll`], and [`os::exhaustion`] says when the
//! process runs out of descriptors or threads.
//!
//! The modules stand on three floors, declared below in this order: the
//! entry points, the middle, the leaves. None imports from a floor above
//! its own, and no two of them import each other.

#![deny(unsafe_code)]
#![warn(missing_docs)]

// The entry points: the lifecycle, the routes, the demo.
pub mod app;

// The middle floors: the server, a scrape and what it writes, the state
// across scrapes, what is probed and how it is configured.
pub mod server;
pub mod scrape;
pub mod state;
pub mod probe;
pub mod metrics;
pub mod config;
pub mod target;

// The leaves: each one concept, importing only other leaves; the only
// I/O is the OS modules', `/proc` for `process` and standard error for
// `log`.
pub mod pool;
pub mod http;
pub mod json;
pub mod time;
pub mod histogram;
pub mod process;
pub mod exposition;
pub mod gzip;
pub mod os;
pub mod log;
pub mod version;

#[cfg(test)]
mod test_random;
