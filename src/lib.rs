//! probe_exporter: a Prometheus exporter that probes services which do not
//! speak Prometheus, at the moment Prometheus scrapes it.
//!
//! An exporter is a facade, not magic: on every scrape it asks a service,
//! and turns the answer into metrics. This crate does it with the standard
//! library alone, so every step is here to read. Follow one scrape:
//!
//! 1. [`server`] accepts the connection; [`server::connection_table`]
//!    admits it (closing the one that has waited longest at the cap), and
//!    [`pool`] gives it a thread.
//! 2. [`server::connection`] reads the request head with deadlines, and
//!    [`http`] parses it from bytes.
//! 3. [`routes`] picks the answer and works out the scrape's budget from
//!    Prometheus's timeout header; for the metrics path, [`scrape`] runs
//!    every probe of [`probe`] at once on long-lived probe threads, within
//!    that one deadline, on the targets [`exporter`] has loaded now.
//! 4. Each probe resolves, connects, reads and parses, each step timed; it
//!    uses [`json`] and [`time`] to read what
//!    services say.
//! 5. [`metrics`], the one list of every family the exporter writes
//!    ([`metrics::schema`]), turns ([`metrics::write`](mod@metrics::write)) the reports, the
//!    [`histogram`]s' snapshots (each with its [`histogram::native`]
//!    buckets), the [`telemetry`] counts and the [`process`] figures into
//!    families, and [`exposition`] writes them in the format
//!    [`exposition::negotiate`] chose from the `Accept` header, which
//!    [`gzip`] compresses when [`content_coding`] finds that the request
//!    accepts it;
//!    [`server::connection`] sends head and body in one write.
//!
//! Around them: [`config`] reads flags and the configuration file into
//! [`target`]s, modules and [`allow`] rules; [`exporter`] keeps what
//! outlives a scrape (histograms, outcomes, counts) and reloads the
//! configuration; [`limits`] says when the process runs out of
//! descriptors or threads; [`demo`] holds the two services of the talk;
//! [`log`] writes logfmt or JSON; [`version`] says what was built.
//! [`startup`] runs the lifecycle (start, reload, drain, stop) for `main`,
//! with the OS modules of [`os`] that std lacks: [`os::systemd`]
//! (sockets passed in, readiness), [`os::signals`] (`sigwait`),
//! [`os::file_limit`] (`setrlimit`) and [`os::poll`].

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod server;
pub mod pool;
pub mod http;
pub mod routes;
pub mod scrape;
pub mod probe;
pub mod json;
pub mod time;
pub mod exposition;
pub mod metrics;
pub mod content_coding;
pub mod gzip;

pub mod config;
pub mod target;
pub mod allow;
pub mod exporter;
pub mod histogram;
pub mod telemetry;
pub mod process;
pub mod os;
pub mod demo;
pub mod log;
pub mod limits;
pub mod version;
pub mod startup;
