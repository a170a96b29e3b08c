//! Probes: ask a service that does not speak Prometheus, within a deadline.
//!
//! This is the exporter's reason to exist. Each probe resolves the
//! target's name, connects, reads a bounded reply and makes sense of it,
//! and every one of those steps is bounded in time by one deadline and
//! every read in bytes by a cap, so a misbehaving target costs at most its
//! timeout. What went wrong is kept as data ([`ProbeError`]), because it
//! becomes metrics: `probe_success 0` and the outcome state set.
//!
//! Every probe walks the same four steps, each timed, in [`run`]:
//! resolve the name, connect, read the reply, parse it. The network steps
//! are in [`net`]; what differs between the two kinds of service (how
//! long a reply may be, when it ends, what it means) is in [`daytime`] and
//! [`counter`]. The steps' times are kept in the [`Report`], for the
//! `probe_dns_lookup_time_seconds` metric and for `/probe?debug=true`
//! ([`trace`]). The step a probe is at is also kept where another thread
//! can read it ([`Progress`]): a scrape that cannot wait any longer
//! reports a probe still running as a timeout in that step
//! ([`Report::unfinished`]).

pub mod net;
pub mod daytime;
pub mod counter;
pub mod trace;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::target::{Kind, Target};
use net::ReadUntil;

/// What one probe found, and how long it took.
#[derive(Debug)]
pub struct Report {
    /// Monotonic time around the whole exchange, name resolution included.
    pub duration: Duration,
    /// The time the probe was given.
    pub timeout: Duration,
    /// What the reply said, or why there was none that made sense.
    pub result: Result<Finding, ProbeError>,
    /// When the probe began, on the wall clock (for the debug trace).
    pub started_at: SystemTime,
    /// How long each step took; `None` for a step not reached.
    pub steps: Steps,
    /// The address connected to, or the first one tried.
    pub peer: Option<SocketAddr>,
    /// Whether the host was a name that had to be looked up.
    pub looked_up: bool,
    /// The length of the reply read, in bytes.
    pub reply_bytes: usize,
    /// The first bytes of the reply, at most [`trace::SHOWN_REPLY`], for
    /// the debug trace; empty unless the probe was run with a `keep` (see [`run_watched`]).
    pub reply_start: Vec<u8>,
}

/// The time each step of a probe took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Steps {
    /// Looking the host up (nearly nothing for an IP address).
    pub resolve: Option<Duration>,
    /// Connecting, over every address tried in turn.
    pub connect: Option<Duration>,
    /// Reading the reply, until its end or its cap.
    pub read: Option<Duration>,
    /// Making sense of the reply.
    pub parse: Option<Duration>,
}

impl Report {
    /// The name lookup's time in seconds: 0 for an IP address, which needs
    /// none (blackbox_exporter's `probe_dns_lookup_time_seconds`).
    pub fn dns_lookup_seconds(&self) -> f64 {
        match (self.looked_up, self.steps.resolve) {
            (true, Some(took)) => took.as_secs_f64(),
            _ => 0.0,
        }
    }

    /// The remote clock minus ours, in seconds: the time a daytime
    /// service sent, less our time at the midpoint of the exchange (from
    /// connecting to the end of the reply). `None` unless the reply was a
    /// date.
    pub fn clock_offset_seconds(&self) -> Option<f64> {
        let Ok(Finding::Daytime { remote_time: Some(remote), .. }) = &self.result else {
            return None;
        };
        let steps = self.steps;
        let exchange = steps.connect.unwrap_or_default() + steps.read.unwrap_or_default();
        let midpoint = self.started_at + steps.resolve.unwrap_or_default() + exchange / 2;
        let local = midpoint.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs_f64();
        Some(remote - local)
    }

    /// The report of a probe of `target` that was still running, or had
    /// not started, when the scrape had to answer: a timeout in the step
    /// it had reached, after `waited`; or, never started because no
    /// probe thread was free in time, the exporter's failure.
    pub fn unfinished(
        target: &Target,
        timeout: Duration,
        waited: Duration,
        at: Option<Phase>,
    ) -> Report {
        let result = match at {
            Some(phase) => Err(ProbeError::Timeout(phase)),
            None => {
                Err(ProbeError::Exporter("no probe thread was free before the deadline".into()))
            }
        };
        Report {
            duration: waited,
            timeout,
            result,
            started_at: SystemTime::now() - waited,
            steps: Steps::default(),
            peer: target.address.ip().map(|ip| SocketAddr::new(ip, target.address.port)),
            looked_up: target.address.ip().is_none(),
            reply_bytes: 0,
            reply_start: Vec::new(),
        }
    }

    /// 4 or 6, the IP version of the address probed; 0 before an address
    /// was known (blackbox_exporter's `probe_ip_protocol`).
    pub fn ip_protocol(&self) -> u8 {
        match self.peer {
            Some(SocketAddr::V4(_)) => 4,
            Some(SocketAddr::V6(_)) => 6,
            None => 0,
        }
    }
}

/// What a successful probe found: what the service said, understood.
/// (The raw bytes are the reply; this is what was made of them.)
#[derive(Clone, Debug, PartialEq)]
pub enum Finding {
    /// The line a daytime service sent, e.g. `Sat Oct 31 18:15:12 2020`,
    /// and the instant it names in Unix seconds, if it is a date.
    Daytime {
        /// The line, without its line ending.
        line: String,
        /// The instant the line names, in Unix seconds; `None` if it is
        /// in none of the date formats known.
        remote_time: Option<f64>,
    },
    /// A counter service's request count and launch time (Unix seconds),
    /// if it reports one.
    Counter {
        /// How many requests the service has answered.
        requests: u64,
        /// When the service started, in Unix seconds; `None` unless the
        /// target names a launch field.
        launched: Option<f64>,
    },
}

/// Runs the probe that fits the target, within `timeout`: resolve,
/// connect, read, parse, each step timed and all bounded by one deadline.
pub fn run(target: &Target, timeout: Duration) -> Report {
    run_watched(target, timeout, &Progress::default(), 0)
}

/// [`run`], telling `progress` each step as it begins, and keeping at most
/// `keep` bytes of the reply in the report: `/probe?debug=true` shows them,
/// a copy no other probe needs to pay for.
pub fn run_watched(target: &Target, timeout: Duration, progress: &Progress, keep: usize) -> Report {
    let started = Instant::now();
    let mut report = Report {
        duration: Duration::ZERO,
        timeout,
        result: Err(ProbeError::Timeout(Phase::Resolve)),
        started_at: SystemTime::now(),
        steps: Steps::default(),
        peer: None,
        looked_up: target.address.ip().is_none(),
        reply_bytes: 0,
        reply_start: Vec::new(),
    };
    report.result = walk_the_steps(target, started + timeout, progress, keep, &mut report);
    report.duration = started.elapsed();
    report
}

/// The four steps in order, each timed into `report` as it ends; the
/// first that fails ends the walk, and its error is the probe's.
fn walk_the_steps(
    target: &Target,
    deadline: Instant,
    progress: &Progress,
    keep: usize,
    report: &mut Report,
) -> Result<Finding, ProbeError> {
    let steps = &mut report.steps;
    progress.enter(Phase::Resolve);
    let addrs = timed(&mut steps.resolve, || net::resolve(&target.address, deadline))?;
    report.peer = addrs.first().copied();
    progress.enter(Phase::Connect);
    let (mut stream, peer) = timed(&mut steps.connect, || net::connect(&addrs, deadline))?;
    report.peer = Some(peer);
    let (limit, until) = reply_shape(&target.kind);
    progress.enter(Phase::Read);
    let reply = timed(&mut steps.read, || net::read_reply(&mut stream, deadline, limit, until))?;
    report.reply_bytes = reply.len();
    report.reply_start = reply[..reply.len().min(keep)].to_vec();
    progress.enter(Phase::Parse);
    timed(&mut steps.parse, || parse(&target.kind, reply))
}

/// The step a probe running on another thread has reached, or `None`
/// before it starts: all a scrape can say of a probe it cannot wait for.
#[derive(Debug, Default)]
pub struct Progress(AtomicU8);

impl Progress {
    const STEPS: [Phase; 4] = [Phase::Resolve, Phase::Connect, Phase::Read, Phase::Parse];

    /// Notes that the probe begins `phase`.
    pub fn enter(&self, phase: Phase) {
        let number = Progress::STEPS.iter().position(|&step| step == phase).unwrap_or(0);
        // 0 is "not started", so the steps count from 1.
        self.0.store(number as u8 + 1, Ordering::Release);
    }

    /// The step the probe is at, or `None` if it has not started.
    pub fn phase(&self) -> Option<Phase> {
        let number = usize::from(self.0.load(Ordering::Acquire));
        number.checked_sub(1).and_then(|idx| Progress::STEPS.get(idx)).copied()
    }
}

/// Runs one step, and keeps how long it took, whether it worked or not.
fn timed<T>(took: &mut Option<Duration>, step: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = step();
    *took = Some(started.elapsed());
    result
}

/// How long a reply of this kind may be, and when it ends.
fn reply_shape(kind: &Kind) -> (usize, ReadUntil) {
    match kind {
        Kind::Daytime(_) => (daytime::MAX_REPLY, ReadUntil::LineEnd),
        Kind::Counter(_) => (counter::MAX_REPLY, ReadUntil::json_value()),
    }
}

/// What a reply of this kind says.
fn parse(kind: &Kind, reply: Vec<u8>) -> Result<Finding, ProbeError> {
    match kind {
        Kind::Daytime(spec) => daytime::parse_reply(reply, spec),
        Kind::Counter(spec) => counter::parse_reply(&reply, spec),
    }
}

/// The step a probe was at when it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Looking up the host's addresses.
    Resolve,
    /// Opening the TCP connection.
    Connect,
    /// Reading the reply.
    Read,
    /// Making sense of the reply.
    Parse,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Resolve => "resolve",
            Phase::Connect => "connect",
            Phase::Read => "read",
            Phase::Parse => "parse",
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
    TooLarge {
        /// The most bytes a reply of this kind may have.
        limit: usize,
    },
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

impl ProbeError {
    /// The step the probe failed at.
    pub fn phase(&self) -> Phase {
        match self {
            ProbeError::Resolve(_) => Phase::Resolve,
            ProbeError::Refused => Phase::Connect,
            ProbeError::Timeout(phase) | ProbeError::Reset(phase) | ProbeError::Io(phase, _) => {
                *phase
            }
            ProbeError::TooLarge { .. } => Phase::Read,
            ProbeError::Protocol(_) => Phase::Parse,
            // Out of descriptors at connect, of threads at resolve: the
            // message says which.
            ProbeError::Exporter(_) => Phase::Connect,
        }
    }
}

/// The outcome of a probe as one state of an enum: the talk's enum
/// metric. Exactly one state is set for each probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The reply was read and made sense.
    Success,
    /// The name did not resolve, or its lookup timed out.
    DnsFailure,
    /// The target refused the connection.
    Refused,
    /// The deadline passed after the name was resolved.
    Timeout,
    /// The target reset or aborted the connection.
    Reset,
    /// Any other network error.
    NetworkError,
    /// The reply was too long or did not say what it should.
    ProtocolError,
    /// The exporter lacked the resources to probe; not the target's fault.
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

    /// The state's name in `probe_outcome`.
    pub const fn name(self) -> &'static str {
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

    /// The state a probe's result falls in.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Address, DaytimeSpec};

    #[test]
    fn progress_tells_the_step_a_probe_has_reached() {
        let progress = Progress::default();
        assert_eq!(progress.phase(), None);
        for phase in Progress::STEPS {
            progress.enter(phase);
            assert_eq!(progress.phase(), Some(phase));
        }
    }

    #[test]
    fn an_unfinished_probe_is_a_timeout_in_its_step_or_the_exporters_failure() {
        let kind = Kind::Daytime(DaytimeSpec::default());
        let target = Target::new("a", kind, Address::new("127.0.0.1", 13));
        let (timeout, waited) = (Duration::from_secs(5), Duration::from_secs(2));
        let running = Report::unfinished(&target, timeout, waited, Some(Phase::Read));
        assert_eq!(Outcome::of(&running.result), Outcome::Timeout);
        assert_eq!(
            (running.duration, running.timeout, running.ip_protocol()),
            (waited, timeout, 4)
        );
        let never_started = Report::unfinished(&target, timeout, waited, None);
        assert_eq!(Outcome::of(&never_started.result), Outcome::ExporterError);
    }
}
