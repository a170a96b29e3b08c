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
// Formats and negotiation: 0.0.4, OpenMetrics, histogram, enum.
mod formats;
// gzip when Accept-Encoding asks for it, read back by the system's gzip.
mod compression;
// The /probe endpoint and its allow-list.
mod probe_endpoint;
// Flags and the configuration file: mistakes exit 2 and say where.
mod cli;
// Hostile clients and targets: slow-loris, floods, resets.
mod hostile;
// The request-head rules of RFC 9110 and 9112: Host, framing, targets, versions.
mod rfc;
// Properties over generated input, with a small seeded generator.
mod properties;
// Socket activation and readiness notification.
mod systemd;
// Reload, graceful stop, signals, listeners, the log's shapes.
mod lifecycle;
