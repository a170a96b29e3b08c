//! Probes: ask a service that does not speak Prometheus, within a deadline.
//!
//! This is the exporter's reason to exist. Each probe resolves the
//! target's name, connects, reads a bounded reply and makes sense of it,
//! and every one of those steps is bounded in time by one deadline and
//! every read in bytes by a cap, so a misbehaving target costs at most its
//! timeout. What went wrong is kept as data ([`ProbeError`]), because it
//! becomes metrics: `probe_success 0` and the outcome state set.
//!
//! The probes themselves are in [`daytime`] and [`counter`]; the network
//! steps they share are in [`net`].

pub mod counter;
pub mod daytime;
pub mod net;

use std::fmt;
use std::io;
use std::time::{Duration, Instant};

use crate::target::{Kind, Target};

/// What one probe found, and how long it took.
#[derive(Debug)]
pub struct Report {
    /// Monotonic time around the whole exchange, name resolution included.
    pub duration: Duration,
    /// The time the probe was given.
    pub timeout: Duration,
    pub result: Result<Reading, ProbeError>,
}

/// What a successful probe read.
#[derive(Clone, Debug, PartialEq)]
pub enum Reading {
    /// The line a daytime service sent, e.g. `Sat Oct 31 18:15:12 2020`.
    Daytime { line: String },
    /// A counter service's request count and launch time (Unix seconds).
    Counter { requests: u64, launched: f64 },
}

/// Runs the probe that fits the target, within `timeout`.
pub fn run(target: &Target, timeout: Duration) -> Report {
    let started = Instant::now();
    let deadline = started + timeout;
    let result = match &target.kind {
        Kind::Daytime => daytime::probe(&target.address, deadline),
        Kind::Counter(spec) => counter::probe(&target.address, spec, deadline),
    };
    Report { duration: started.elapsed(), timeout, result }
}

/// The step a probe was at when it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Resolve,
    Connect,
    Read,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Resolve => "resolve",
            Phase::Connect => "connect",
            Phase::Read => "read",
        })
    }
}

/// Why a probe failed.
#[derive(Debug)]
pub enum ProbeError {
    /// The name did not resolve, or resolved to no address.
    Resolve(String),
    /// The deadline passed during this phase.
    Timeout(Phase),
    /// The target actively refused the connection.
    Refused,
    /// The target reset or aborted the connection.
    Reset(Phase),
    /// Any other network error.
    Io(Phase, io::Error),
    /// The reply was longer than a reply of this kind can be.
    TooLarge { limit: usize },
    /// The reply arrived but does not say what it should.
    Protocol(String),
    /// The exporter itself could not run the probe: it has no file
    /// descriptor or thread left, or too many lookups under way. Not the
    /// target's fault.
    Exporter(String),
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Resolve(reason) => write!(f, "cannot resolve: {reason}"),
            ProbeError::Timeout(phase) => write!(f, "timeout during {phase}"),
            ProbeError::Refused => f.write_str("connection refused"),
            ProbeError::Reset(phase) => write!(f, "connection reset during {phase}"),
            ProbeError::Io(phase, err) => write!(f, "{phase} failed: {err}"),
            ProbeError::TooLarge { limit } => write!(f, "reply longer than {limit} bytes"),
            ProbeError::Protocol(reason) => write!(f, "bad reply: {reason}"),
            ProbeError::Exporter(reason) => write!(f, "the exporter could not probe: {reason}"),
        }
    }
}

impl std::error::Error for ProbeError {}

/// The outcome of a probe as one state of an enum: the talk's enum
/// metric. Exactly one state is set for each probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    DnsFailure,
    Refused,
    Timeout,
    Reset,
    NetworkError,
    ProtocolError,
    ExporterError,
}

impl Outcome {
    /// Every state, in the order they are exported.
    pub const ALL: [Outcome; 8] = [
        Outcome::Success,
        Outcome::DnsFailure,
        Outcome::Refused,
        Outcome::Timeout,
        Outcome::Reset,
        Outcome::NetworkError,
        Outcome::ProtocolError,
        Outcome::ExporterError,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::DnsFailure => "dns_failure",
            Outcome::Refused => "refused",
            Outcome::Timeout => "timeout",
            Outcome::Reset => "reset",
            Outcome::NetworkError => "network_error",
            Outcome::ProtocolError => "protocol_error",
            Outcome::ExporterError => "exporter_error",
        }
    }

    pub fn of<T>(result: &Result<T, ProbeError>) -> Outcome {
        match result {
            Ok(_) => Outcome::Success,
            Err(ProbeError::Resolve(_)) | Err(ProbeError::Timeout(Phase::Resolve)) => {
                Outcome::DnsFailure
            }
            Err(ProbeError::Timeout(_)) => Outcome::Timeout,
            Err(ProbeError::Refused) => Outcome::Refused,
            Err(ProbeError::Reset(_)) => Outcome::Reset,
            Err(ProbeError::Io(..)) => Outcome::NetworkError,
            Err(ProbeError::TooLarge { .. }) | Err(ProbeError::Protocol(_)) => {
                Outcome::ProtocolError
            }
            Err(ProbeError::Exporter(_)) => Outcome::ExporterError,
        }
    }
}
