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
//!   addresses, on any port (a link-local one whatever its zone).
//!
//! Addresses are compared as addresses, never as text: `[::1]:13` admits
//! `[0:0:0:0:0:0:0:1]:13`, and a target is read as a resolver would read
//! it before any rule sees it (`0177.0.0.1`, which a resolver reads in
//! octal, is no target at all). A name rule, a wildcard among them, admits
//! only names; a CIDR range or an address rule, only addresses: deciding
//! by the address a name resolves to would need a DNS query for every
//! refused request, and the answer could change between the check and the
//! connection.

use std::fmt;
use std::net::IpAddr;

use crate::target::{check_host_name, Address, Zone};

/// One rule of the allow-list: which targets `/probe` may probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// One host by name, `clock.example.com:13`; names compare without
    /// regard to case.
    Name {
        /// The host name, in lower case.
        name: String,
        /// The one port admitted, or `None` for any.
        port: Option<u16>,
    },
    /// Every name below a domain, `*.example.com:13`. Never an address:
    /// `*.0.1` would otherwise admit whatever a resolver reads `a.0.1` as.
    Domain {
        /// The domain, in lower case, without the `*.`.
        domain: String,
        /// The one port admitted, or `None` for any.
        port: Option<u16>,
    },
    /// One IP address, however the target spells it: `[::1]:13` admits
    /// `[0:0:0:0:0:0:0:1]:13`. A link-local address's zone must name the
    /// same interface. An IPv4-mapped IPv6 address is another address
    /// than the IPv4 one it maps.
    Ip {
        /// The address.
        ip: IpAddr,
        /// The zone of a link-local address.
        zone: Option<Zone>,
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

/// Why a rule could not be parsed: a message quoting the rule and naming
/// the mistake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError(String);

/// A rule's port, as the configuration writes it.
struct Port(Option<u16>);

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(port) => write!(f, "{port}"),
            None => f.write_str("*"),
        }
    }
}

impl fmt::Display for Rule {
    /// The rule as the configuration writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Name { name, port } => write!(f, "{name}:{}", Port(*port)),
            Rule::Domain { domain, port } => write!(f, "*.{domain}:{}", Port(*port)),
            Rule::Ip { ip: IpAddr::V4(ip), port, .. } => write!(f, "{ip}:{}", Port(*port)),
            Rule::Ip { ip: IpAddr::V6(ip), zone: None, port } => {
                write!(f, "[{ip}]:{}", Port(*port))
            }
            Rule::Ip { ip: IpAddr::V6(ip), zone: Some(zone), port } => {
                write!(f, "[{ip}%{zone}]:{}", Port(*port))
            }
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
    /// Parses one rule, e.g. `*.example.com:13`, `[::1]:*` or
    /// `10.0.0.0/8`. Hosts are read as targets' are, so a rule can name
    /// only what a target can be; nothing around the rule is trimmed.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let error = |why: String| RuleError(format!("`{text}`: {why}"));
        if let Some((network, prefix_len)) = text.split_once('/') {
            return parse_cidr(network, prefix_len).map_err(error);
        }
        let (host, port) = text
            .rsplit_once(':')
            .ok_or_else(|| error("expected HOST:PORT, HOST:* or a CIDR range".to_string()))?;
        let port = match port {
            "*" => None,
            digits => Some(
                Address::parse(&format!("x:{digits}"))
                    .map_err(|_| error(format!("`{port}` is not a port number or `*`")))?
                    .port,
            ),
        };
        if let Some(domain) = host.strip_prefix("*.") {
            check_host_name(domain).map_err(|err| {
                error(format!("a wildcard matches host names below a domain; `{domain}`: {err}"))
            })?;
            return Ok(Rule::Domain { domain: domain.to_ascii_lowercase(), port });
        }
        // Any valid port stands in for `*`, to read the host as a target's.
        let address = Address::parse(&format!("{host}:1")).map_err(|err| error(err.to_string()))?;
        Ok(match address.ip_and_zone() {
            Some((ip, zone)) => Rule::Ip { ip, zone: zone.cloned(), port },
            None => Rule::Name { name: host.to_ascii_lowercase(), port },
        })
    }

    /// The rule that admits exactly `address`.
    pub fn exactly(address: &Address) -> Rule {
        let port = Some(address.port);
        match address.ip_and_zone() {
            Some((ip, zone)) => Rule::Ip { ip, zone: zone.cloned(), port },
            None => Rule::Name { name: address.host.to_ascii_lowercase(), port },
        }
    }

    /// Whether this rule admits the address.
    pub fn admits(&self, address: &Address) -> bool {
        let port_admitted = |port: &Option<u16>| port.is_none_or(|port| port == address.port);
        match (self, address.ip_and_zone()) {
            (Rule::Name { name, port }, None) => {
                port_admitted(port) && address.host.eq_ignore_ascii_case(name)
            }
            (Rule::Domain { domain, port }, None) => {
                port_admitted(port) && is_below(&address.host, domain)
            }
            (Rule::Ip { ip, zone, port }, Some((target_ip, target_zone))) => {
                port_admitted(port) && *ip == target_ip && same_zone(zone.as_ref(), target_zone)
            }
            (Rule::Cidr { network, prefix_len }, Some((ip, _))) => {
                in_range(ip, *network, *prefix_len)
            }
            // A name rule never admits an address, nor an address rule a
            // name: deciding by what a name resolves to would need a
            // lookup for every refused request, and the answer could
            // change between the check and the connection.
            _ => false,
        }
    }
}

/// Whether any rule admits the address. An empty list admits nothing.
pub fn admits(rules: &[Rule], address: &Address) -> bool {
    rules.iter().any(|rule| rule.admits(address))
}

/// Whether `host` is a name below `domain` (in lower case), by at least
/// one label.
fn is_below(host: &str, domain: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host.strip_suffix(domain).is_some_and(|label| label.ends_with('.') && label.len() > 1)
}

/// Whether a rule's zone and a target's are the same: both absent, or
/// the same interface.
fn same_zone(rule: Option<&Zone>, target: Option<&Zone>) -> bool {
    match (rule, target) {
        (None, None) => true,
        (Some(rule), Some(target)) => rule.same_interface(target),
        _ => false,
    }
}

fn parse_cidr(network: &str, prefix_len: &str) -> Result<Rule, String> {
    let network: IpAddr =
        network.parse().map_err(|_| format!("`{network}` is not an IP address"))?;
    let max_len = if network.is_ipv4() { 32 } else { 128 };
    let prefix_len = match prefix_len.parse::<u8>() {
        Ok(len) if len <= max_len && prefix_len.bytes().all(|b| b.is_ascii_digit()) => len,
        _ => return Err(format!("`/{prefix_len}` is not a prefix length from 0 to {max_len}")),
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
    fn addresses_compare_as_addresses_in_any_spelling() {
        check("[::1]:13", "[0:0:0:0:0:0:0:1]:13", true);
        check("[::1]:13", "[0000::0001]:13", true);
        check("[2001:DB8::1]:*", "[2001:db8:0:0::1]:9", true);
        check("[::ffff:127.0.0.1]:13", "[::ffff:7f00:1]:13", true);
        // An IPv4-mapped address is not the IPv4 address it maps.
        check("127.0.0.1:13", "[::ffff:127.0.0.1]:13", false);
        check("127.0.0.0/8", "[::ffff:127.0.0.1]:13", false);
        check("[::1]:13", "[::2]:13", false);
        check("[::1]:13", "[::1]:14", false);
        // A name is never an address, nor an address a name.
        check("localhost:13", "127.0.0.1:13", false);
        check("127.0.0.1:13", "localhost:13", false);
    }

    #[test]
    fn a_wildcard_matches_names_and_never_an_address() {
        assert!(Rule::parse("*.0.1:13").is_err(), "no host name ends in a number");
        check("*.example:13", "127.0.0.1:13", false);
        // Spellings a resolver would read as 127.0.0.1 are no targets at all.
        for legacy in ["0177.0.0.1:13", "0x7f.0.0.1:13", "127.1:13", "2130706433:13"] {
            assert!(Address::parse(legacy).is_err(), "{legacy}");
        }
    }

    #[test]
    fn a_zoned_address_needs_a_rule_of_the_same_interface() {
        check("[fe80::1%lo]:13", "[fe80::1%1]:13", true);
        check("[fe80::1%1]:13", "[fe80::1%lo]:13", true);
        check("[fe80::1%2]:13", "[fe80::1%lo]:13", false);
        check("[fe80::1]:13", "[fe80::1%lo]:13", false);
        check("[fe80::1%lo]:13", "[fe80::1]:13", false);
        check("fe80::/10", "[fe80::1%lo]:13", true);
    }

    #[test]
    fn rules_display_as_the_configuration_writes_them() {
        for rule in [
            "clock.example.com:13",
            "*.example.com:*",
            "127.0.0.1:1113",
            "[::1]:13",
            "[::1]:*",
            "[fe80::1%lo]:13",
            "10.0.0.0/8",
            "::1/128",
        ] {
            assert_eq!(Rule::parse(rule).unwrap().to_string(), rule);
        }
        assert_eq!(Rule::parse("[0:0::1]:*").unwrap().to_string(), "[::1]:*");
        assert_eq!(Rule::parse("Clock.Example:13").unwrap().to_string(), "clock.example:13");
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
            " 127.0.0.1:21301",
            "127.0.0.1:21301 ",
            "127.0.0.1 :13",
            "::1:13",
            "[::1:13",
            "300.1.1.1:13",
            "0177.0.0.1:13",
            "*.0.1:13",
            "*.:13",
            "[::1%1]:13",
            "fe80::1%1/64",
            "a.b:0",
        ] {
            assert!(Rule::parse(rule).is_err(), "{rule}");
        }
        let err = Rule::parse(" 127.0.0.1:21301").unwrap_err().to_string();
        assert!(err.starts_with("` 127.0.0.1:21301`: "), "{err}");
    }
}
