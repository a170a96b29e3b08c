//! The integration tests: the real binary, over real sockets on loopback.
//!
//! One test crate (so one link step), a module for each concern. Every
//! port is chosen by the kernel (port 0) and read back; every read has a
//! timeout; every process started is killed when its handle drops.

mod support;

// The HTTP server: routes, keep-alive, pipelining, limits, bad requests.
mod server;
// The probes against fixture services that behave and misbehave.
mod probes;
// The counter protocol: where a reply ends, and what a count is.
mod counter;
// Formats and negotiation: 0.0.4, OpenMetrics, histogram, enum.
mod formats;
// The protobuf format, read back with a reader of the tests' own.
mod protobuf;
// gzip when Accept-Encoding asks for it, read back by the system's gzip.
mod compression;
// The /probe endpoint and its allow-list.
mod probe_endpoint;
// What /probe?debug=true shows: the reply read and the module's settings.
mod debug_page;
// Flags and the configuration file: mistakes exit 2 and say where.
mod cli;
// What the configuration may say: hosts, allow rules, zones, --config.check.
mod config_check;
// Hostile clients and targets: slow-loris, floods, resets.
mod hostile;
// The request-head rules of RFC 9110 and 9112: Host, framing, targets, versions.
mod rfc;
// Properties over generated input, with a small seeded generator, one
// file a parser or writer.
mod properties;
// Socket activation and readiness notification.
mod systemd;
// Reload, graceful stop, signals, listeners, the log's shapes.
mod lifecycle;
// README's recipes and examples, run as written.
mod recipes;
// Deadlines on a busy host, /metrics beside /probe, HEAD without probing.
mod deadlines;
// A low limit on open files, running out of descriptors, fast refusals.
mod descriptors;
// README, ARCHITECTURE.md and docs/ name only files that exist.
mod docs;
