//! Time as the probed services write it, and as others expect to read it.
//!
//! The counter service reports when it started as an ISO 8601 date-time
//! with no zone ([`iso8601`]); a daytime server's line names the remote
//! clock in one of a handful of formats ([`daytime`]); the demo services, the
//! log, the HTTP `Date` header and `--version` write instants in theirs
//! ([`mod@format`]). All of it rests on one proleptic Gregorian [`calendar`] in
//! UTC.
//!
//! This module is a leaf: it uses nothing from the rest of the crate and
//! does no I/O. That is what lets `build.rs` compile this very folder to
//! stamp the build date, so the calendar exists once; keep it that way.

pub mod iso8601;
pub mod daytime;
pub mod format;
pub mod calendar;

pub use iso8601::{parse_iso8601, Offset};

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time in Unix seconds, to the millisecond: what Prometheus
/// keeps of a timestamp, and a number of 13 digits, which the exposition
/// writes without the float formatter. (Reading the clock is the one
/// thing here that is not pure arithmetic.)
pub fn unix_now() -> f64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    since_epoch.as_millis() as f64 / 1000.0
}
