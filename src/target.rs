//! What to probe: a target is a name, a kind of probe and an address.
//!
//! Targets come from `--target NAME=KIND://HOST:PORT` flags, from sections
//! of the configuration file, and, for one request, from the `/probe`
//! endpoint. All three end up as the plain data in this file, so the
//! probes never care where a target was written down.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use crate::histogram::DEFAULT_BUCKETS;
use crate::timestamp::Offset;

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
    pub native_schema: Option<crate::native_histogram::Schema>,
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
            native_schema: Some(crate::native_histogram::DEFAULT_SCHEMA),
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

/// A host and a port. The host is a name, an IPv4 address or an IPv6
/// address (written in brackets: `[::1]:13`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// Without brackets, even for IPv6.
    pub host: String,
    /// The TCP port, 1 to 65535.
    pub port: u16,
    /// The host as an IP address, when it is one: read once, by
    /// [`Address::new`], so that a probe of an address needs neither a
    /// lookup nor a parse.
    ip: Option<IpAddr>,
}

/// Why [`Address::parse`] refused a `HOST:PORT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddressError {
    /// There is no `:PORT`.
    MissingPort,
    /// The port is not plain digits from 1 to 65535.
    BadPort,
    /// Nothing comes before the `:PORT`.
    EmptyHost,
    /// The host is not a name or an IPv4 address, nor a valid IPv6 address
    /// in brackets.
    BadHost,
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressError::MissingPort => "expected HOST:PORT, found no port",
            AddressError::BadPort => "the port is not a number from 1 to 65535",
            AddressError::EmptyHost => "the host is empty",
            AddressError::BadHost => {
                "the host is not a name, an IPv4 address or a bracketed IPv6 address"
            }
        })
    }
}

impl std::error::Error for AddressError {}

impl Address {
    /// Parses `HOST:PORT`, e.g. `clock.example:13`, `127.0.0.1:13` or
    /// `[::1]:13`.
    pub fn parse(text: &str) -> Result<Address, AddressError> {
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or(AddressError::BadHost)?;
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(AddressError::BadHost);
            }
            let port = after.strip_prefix(':').ok_or(AddressError::MissingPort)?;
            (host, port)
        } else {
            let (host, port) = text.rsplit_once(':').ok_or(AddressError::MissingPort)?;
            if !is_host_name_or_ipv4(host) {
                return Err(if host.is_empty() {
                    AddressError::EmptyHost
                } else {
                    AddressError::BadHost
                });
            }
            (host, port)
        };
        Ok(Address::new(host, parse_port(port)?))
    }

    /// The address of `host` (a name or an IP address, without brackets)
    /// and `port`.
    pub fn new(host: &str, port: u16) -> Address {
        Address { host: host.to_string(), port, ip: host.parse().ok() }
    }

    /// The host as an IP address, or `None` for a name to look up.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }
}

/// A port is plain digits from 1 to 65535 (`u16::from_str` alone would
/// also take a leading `+`).
fn parse_port(text: &str) -> Result<u16, AddressError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AddressError::BadPort);
    }
    match text.parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(AddressError::BadPort),
    }
}

/// A host name (RFC 1123 letters, digits, `-` and `.`, `_` tolerated) or
/// a dotted IPv4 address. Anything else, a `:` in particular, is refused
/// here so that a mistyped IPv6 address without brackets is an error.
fn is_host_name_or_ipv4(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected: Result<(&str, u16), AddressError>) {
        let parsed = Address::parse(text);
        let parsed = parsed.as_ref().map(|address| (address.host.as_str(), address.port));
        assert_eq!(parsed, expected.as_ref().map(|pair| *pair), "{text}");
    }

    #[test]
    fn addresses_are_host_and_port_with_ipv6_in_brackets() {
        check("127.0.0.1:13", Ok(("127.0.0.1", 13)));
        check("clock.example.com:1113", Ok(("clock.example.com", 1113)));
        check("[::1]:13", Ok(("::1", 13)));
        check("[2001:db8::7]:65535", Ok(("2001:db8::7", 65535)));
        check("localhost", Err(AddressError::MissingPort));
        check(":13", Err(AddressError::EmptyHost));
        check("host:0", Err(AddressError::BadPort));
        check("host:65536", Err(AddressError::BadPort));
        check("host:+13", Err(AddressError::BadPort));
        check("host:x", Err(AddressError::BadPort));
        check("::1:13", Err(AddressError::BadHost));
        check("[::1]", Err(AddressError::MissingPort));
        check("[nope]:13", Err(AddressError::BadHost));
        check("a b:13", Err(AddressError::BadHost));
    }

    #[test]
    fn displays_ipv6_in_brackets() {
        for text in ["[::1]:13", "127.0.0.1:13", "example.com:9"] {
            assert_eq!(Address::parse(text).unwrap().to_string(), text);
        }
    }
}
