//! The allow-list of the `/probe` endpoint.
//!
//! `/probe?target=HOST:PORT` connects wherever its URL says, which makes an
//! exporter an open proxy into the network it sits in. So the endpoint
//! probes only targets that a rule of the configuration admits, and is off
//! when there is no rule at all. A refused target is never resolved nor
//! connected to.
//!
//! Two kinds of rule:
//! - `HOST:PORT` patterns: `clock.example.com:13`, `*.example.com:13`
//!   (any name below `example.com`), `10.1.2.3:*` (any port);
//! - CIDR ranges: `10.0.0.0/8`, `::1/128`, for targets written as IP
//!   addresses, on any port.
//!
//! A CIDR range never admits a host *name*: deciding by the address a name
//! resolves to would need a DNS query for every refused request, and the
//! answer could change between the check and the connection.

use std::fmt;
use std::net::IpAddr;

use crate::target::Address;

/// One rule of the allow-list: which targets `/probe` may probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A host pattern (exact, or `*.suffix`) and a port (`None` for `*`).
    Host {
        /// The host or `*.domain`, in lower case, an IPv6 address without
        /// its brackets.
        pattern: String,
        /// The one port admitted, or `None` for any.
        port: Option<u16>,
    },
    /// An address range.
    Cidr {
        /// The range's address, as written; bits past the prefix are
        /// ignored.
        network: IpAddr,
        /// How many leading bits an address must share with `network`.
        prefix_len: u8,
    },
}

/// Why a rule could not be parsed: a message naming the mistake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError(String);

impl fmt::Display for Rule {
    /// The rule as the configuration writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Host { pattern, port: Some(port) } if pattern.contains(':') => {
                write!(f, "[{pattern}]:{port}")
            }
            Rule::Host { pattern, port: Some(port) } => write!(f, "{pattern}:{port}"),
            Rule::Host { pattern, port: None } => write!(f, "{pattern}:*"),
            Rule::Cidr { network, prefix_len } => write!(f, "{network}/{prefix_len}"),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RuleError {}

impl Rule {
    /// Parses one rule, e.g. `*.example.com:13` or `10.0.0.0/8`.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        if let Some((network, prefix_len)) = text.split_once('/') {
            return parse_cidr(network, prefix_len);
        }
        let (host, port) = text.rsplit_once(':').ok_or_else(|| {
            RuleError(format!("expected HOST:PORT or a CIDR range, found `{text}`"))
        })?;
        let port = match port {
            "*" => None,
            digits => Some(
                Address::parse(&format!("x:{digits}"))
                    .map_err(|_| RuleError(format!("`{port}` is not a port number or `*`")))?
                    .port,
            ),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = host.strip_prefix("*.").unwrap_or(host);
        if name.is_empty() || name.contains('*') {
            return Err(RuleError(format!("`{host}` is not a host or a `*.domain` pattern")));
        }
        Ok(Rule::Host { pattern: host.to_ascii_lowercase(), port })
    }

    /// Whether this rule admits the address.
    pub fn admits(&self, address: &Address) -> bool {
        match self {
            Rule::Host { pattern, port } => {
                port.is_none_or(|port| port == address.port) && host_matches(pattern, &address.host)
            }
            Rule::Cidr { network, prefix_len } => match address.ip() {
                Some(ip) => in_range(ip, *network, *prefix_len),
                None => false,
            },
        }
    }
}

/// Whether any rule admits the address. An empty list admits nothing.
pub fn admits(rules: &[Rule], address: &Address) -> bool {
    rules.iter().any(|rule| rule.admits(address))
}

fn host_matches(pattern: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(domain) => {
            host.strip_suffix(domain).is_some_and(|label| label.ends_with('.') && label.len() > 1)
        }
        None => host == pattern,
    }
}

fn parse_cidr(network: &str, prefix_len: &str) -> Result<Rule, RuleError> {
    let network: IpAddr =
        network.parse().map_err(|_| RuleError(format!("`{network}` is not an IP address")))?;
    let max_len = if network.is_ipv4() { 32 } else { 128 };
    let prefix_len = match prefix_len.parse::<u8>() {
        Ok(len) if len <= max_len && prefix_len.bytes().all(|b| b.is_ascii_digit()) => len,
        _ => {
            return Err(RuleError(format!(
                "`/{prefix_len}` is not a prefix length from 0 to {max_len}"
            )))
        }
    };
    Ok(Rule::Cidr { network, prefix_len })
}

fn in_range(ip: IpAddr, network: IpAddr, prefix_len: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(network)) => {
            same_prefix(u32::from(ip).into(), u32::from(network).into(), prefix_len, 32)
        }
        (IpAddr::V6(ip), IpAddr::V6(network)) => {
            same_prefix(u128::from(ip), u128::from(network), prefix_len, 128)
        }
        _ => false,
    }
}

/// Whether the first `prefix_len` of `width` bits of `a` and `b` agree.
fn same_prefix(a: u128, b: u128, prefix_len: u8, width: u32) -> bool {
    let ignored_bits = width - u32::from(prefix_len);
    a.checked_shr(ignored_bits).unwrap_or(0) == b.checked_shr(ignored_bits).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(rule: &str, target: &str, expected: bool) {
        let rule = Rule::parse(rule).unwrap();
        let address = Address::parse(target).unwrap();
        assert_eq!(rule.admits(&address), expected, "{rule:?} and {target}");
    }

    #[test]
    fn host_rules_match_names_and_ports_and_wildcards_match_subdomains() {
        check("clock.example.com:13", "clock.example.com:13", true);
        check("clock.example.com:13", "CLOCK.example.com:13", true);
        check("clock.example.com:13", "clock.example.com:14", false);
        check("clock.example.com:*", "clock.example.com:14", true);
        check("*.example.com:13", "a.example.com:13", true);
        check("*.example.com:13", "a.b.example.com:13", true);
        check("*.example.com:13", "example.com:13", false);
        check("*.example.com:13", "badexample.com:13", false);
        check("127.0.0.1:1113", "127.0.0.1:1113", true);
        check("[::1]:13", "[::1]:13", true);
    }

    #[test]
    fn cidr_rules_admit_only_addresses_inside_the_range() {
        check("10.0.0.0/8", "10.200.3.4:13", true);
        check("10.0.0.0/8", "11.0.0.1:13", false);
        check("127.0.0.1/32", "127.0.0.1:1", true);
        check("0.0.0.0/0", "192.0.2.1:13", true);
        check("::1/128", "[::1]:13", true);
        check("fd00::/8", "[fd12::1]:13", true);
        check("fd00::/8", "[fe80::1]:13", false);
        check("10.0.0.0/8", "[::1]:13", false);
        check("10.0.0.0/8", "ten.example:13", false);
    }

    #[test]
    fn an_empty_list_admits_nothing() {
        assert!(!admits(&[], &Address::parse("127.0.0.1:13").unwrap()));
    }

    #[test]
    fn rejects_malformed_rules() {
        for rule in [
            "example.com",
            "10.0.0.0/33",
            "::/129",
            "nope/8",
            "a:b",
            "*:13",
            "a*.b:13",
            ":13",
            "10.0.0.0/+8",
        ] {
            assert!(Rule::parse(rule).is_err(), "{rule}");
        }
    }
}
