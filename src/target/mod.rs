//! What to probe: a target is a name, a kind of probe and an address.
//!
//! Targets come from `--target NAME=KIND://HOST:PORT` flags, from sections
//! of the configuration file, and, for one request, from the `/probe`
//! endpoint. All three end up as the plain data in this file, so the
//! probes never care where a target was written down. Where it is, an
//! [`Address`], is a concept of its own: what the allow-list compares and
//! a probe connects to, read as a resolver reads it; and who may be probed
//! through `/probe` is another, the rules of [`allow`].

pub mod address;
pub mod allow;

pub use address::{check_host_name, Address, AddressError, Zone};

use std::time::Duration;

use crate::histogram::DEFAULT_BUCKETS;
use crate::time::Offset;

/// The timeout of a probe unless its target sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The counter a counter target exports unless it names another.
pub const DEFAULT_COUNTER_METRIC: &str = "service_requests";

/// One thing to probe: a name, an address, and how to probe it.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The value of the `target` label.
    pub name: String,
    /// Where the service listens.
    pub address: Address,
    /// How long a probe may take, [`DEFAULT_TIMEOUT`] unless set.
    pub timeout: Duration,
    /// Which probe to run, with its settings.
    pub kind: Kind,
    /// Upper bounds of the latency histogram's buckets, in seconds; `None`
    /// (`buckets = none`) for no histogram at all.
    pub buckets: Option<Vec<f64>>,
    /// The schema of the native histogram kept beside those buckets;
    /// `None` (`native_buckets = none`) for none.
    pub native_schema: Option<crate::histogram::Schema>,
}

impl Target {
    /// A target with the default timeout and latency buckets, classic and
    /// native.
    pub fn new(name: &str, kind: Kind, address: Address) -> Target {
        Target {
            name: name.to_string(),
            address,
            timeout: DEFAULT_TIMEOUT,
            kind,
            buckets: Some(DEFAULT_BUCKETS.to_vec()),
            native_schema: Some(crate::histogram::native::DEFAULT_SCHEMA),
        }
    }
}

/// The kinds of probe, one for each example of the talk.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// RFC 867: connect, read one line, close. The synthetic query.
    Daytime(DaytimeSpec),
    /// A service that answers with a JSON object holding a request count
    /// and its launch time. The side-car counter.
    Counter(CounterSpec),
}

impl Kind {
    /// The name used in `--target` URLs, the `kind` label and `module=`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Daytime(_) => "daytime",
            Kind::Counter(_) => "counter",
        }
    }

    /// The kind of that name, with default settings.
    pub fn from_name(name: &str) -> Option<Kind> {
        match name {
            "daytime" => Some(Kind::Daytime(DaytimeSpec::default())),
            "counter" => Some(Kind::Counter(CounterSpec::default())),
            _ => None,
        }
    }
}

/// How to read a daytime service's line as the remote host's clock.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DaytimeSpec {
    /// The zone of a date written without one (`daytime_zone`).
    pub zone: Offset,
    /// Whether a line that is no date fails the probe (`expect = date`);
    /// otherwise any line of text succeeds, as RFC 867 allows.
    pub expect_date: bool,
}

/// Where a counter service keeps its numbers, and what to call them.
#[derive(Clone, Debug, PartialEq)]
pub struct CounterSpec {
    /// The exported counter: `<metric>_total` and `<metric>_created`.
    pub metric: String,
    /// The JSON field with the request count.
    pub requests_field: String,
    /// The JSON field with the launch time, an ISO 8601 date-time; `None`
    /// (`launched_field = none`) for a service that reports none, whose
    /// counter then has no `_created`.
    pub launched_field: Option<String>,
    /// The zone of a launch time written without one.
    pub launched_offset: Offset,
}

impl Default for CounterSpec {
    fn default() -> CounterSpec {
        CounterSpec {
            metric: DEFAULT_COUNTER_METRIC.to_string(),
            requests_field: "requests".to_string(),
            launched_field: Some("launched".to_string()),
            launched_offset: Offset::UTC,
        }
    }
}

/// A named way to probe, for `/probe?module=NAME`: a kind with its
/// settings and a timeout, as blackbox_exporter's modules are. The
/// configuration file defines them in `[module NAME]` sections.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    /// The value `module=` takes.
    pub name: String,
    /// The probe to run, with its settings.
    pub kind: Kind,
    /// How long a probe of this module may take.
    pub timeout: Duration,
}

impl Module {
    /// `daytime` and `counter`, each with its kind's defaults; a file may
    /// redefine them.
    pub fn builtins() -> Vec<Module> {
        ["daytime", "counter"]
            .into_iter()
            .filter_map(|name| {
                let kind = Kind::from_name(name)?;
                Some(Module { name: name.to_string(), kind, timeout: DEFAULT_TIMEOUT })
            })
            .collect()
    }

    /// A target of this module at `address`, named after it.
    pub fn target(&self, address: Address) -> Target {
        let mut target = Target::new(&address.to_string(), self.kind.clone(), address);
        target.timeout = self.timeout;
        target
    }
}
