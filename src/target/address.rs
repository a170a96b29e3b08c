//! Where a target is: a host and a port, read as the resolver will read
//! them, so that what the allow-list compares is what a probe connects
//! to; and an IPv6 link-local address's zone, by name or by number.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

/// A host and a port. The host is a name, an IPv4 address or an IPv6
/// address (written in brackets: `[::1]:13`), a link-local one with its
/// zone (`[fe80::1%eth0]:13`).
///
/// The host is checked as a resolver would read it, so that what the
/// allow-list compares is what a probe connects to. A name is an RFC 1123
/// host name. An IPv4 address is four decimal numbers: `getaddrinfo`
/// also reads the older spellings of `inet_aton` (`0177.0.0.1` in octal,
/// `0x7f.1`, `2130706433`), and a host written so is refused, not
/// compared as text and then resolved to another address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// Without brackets, even for IPv6; with its zone, if any.
    pub host: String,
    /// The TCP port, 1 to 65535.
    pub port: u16,
    /// The host as an IP address (its zone aside), when it is one: read
    /// once, by [`Address::parse`] or [`Address::new`], so that a probe of
    /// an address needs neither a lookup nor a parse.
    ip: Option<IpAddr>,
    /// The zone of a link-local IPv6 address.
    zone: Option<Zone>,
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
    /// The host is written as a number, but not as four decimal numbers
    /// from 0 to 255.
    NotDottedDecimal,
    /// The host is no RFC 1123 host name (an empty label, a `-` at a
    /// label's edge, a last label of digits only, or over 253 characters).
    BadName,
    /// The zone of an IPv6 address is wrong: the message says how.
    BadZone(String),
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
            AddressError::NotDottedDecimal => {
                "the host is a number but not an IPv4 address as four decimal numbers from 0 to \
                 255 (a resolver reads other spellings in octal or hex)"
            }
            AddressError::BadName => {
                "the host is not a host name (RFC 1123: labels of letters, digits and `-` \
                 between dots, none empty or with `-` at an end, the last not all digits)"
            }
            AddressError::BadZone(message) => message,
        })
    }
}

impl std::error::Error for AddressError {}

impl Address {
    /// Parses `HOST:PORT`, e.g. `clock.example:13`, `127.0.0.1:13`,
    /// `[::1]:13` or `[fe80::1%eth0]:13`.
    pub fn parse(text: &str) -> Result<Address, AddressError> {
        if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or(AddressError::BadHost)?;
            let (ip, zone) = parse_ipv6_host(host)?;
            let port = after.strip_prefix(':').ok_or(AddressError::MissingPort)?;
            let port = parse_port(port)?;
            return Ok(Address { host: host.to_string(), port, ip: Some(IpAddr::V6(ip)), zone });
        }
        let (host, port) = text.rsplit_once(':').ok_or(AddressError::MissingPort)?;
        let ip = parse_name_or_ipv4(host)?.map(IpAddr::V4);
        Ok(Address { host: host.to_string(), port: parse_port(port)?, ip, zone: None })
    }

    /// The address of `host` (a name or an IP address, without brackets
    /// and without a zone) and `port`, for a host known to be good.
    pub fn new(host: &str, port: u16) -> Address {
        Address { host: host.to_string(), port, ip: host.parse().ok(), zone: None }
    }

    /// The host as an IP address, its zone aside, or `None` for a name to
    /// look up.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The socket address to connect to without a lookup, or `None` for a
    /// name. A link-local address carries its zone as the scope id (RFC
    /// 4007), which an `IpAddr` cannot: a zone that names an interface is
    /// read into its index now, as the system's resolver would.
    ///
    /// # Errors
    ///
    /// The zone names an interface that this host no longer has.
    pub fn socket_addr(&self) -> Option<Result<SocketAddr, String>> {
        let addr = match (self.ip?, &self.zone) {
            (IpAddr::V6(ip), Some(zone)) => zone
                .index()
                .map(|scope_id| SocketAddr::V6(SocketAddrV6::new(ip, self.port, 0, scope_id)))
                .map_err(|err| format!("`%{zone}`: {err}")),
            (ip, _) => Ok(SocketAddr::new(ip, self.port)),
        };
        Some(addr)
    }

    /// The host as an IP address with its zone, zoned or not; `None` for a
    /// name. What the allow-list compares.
    pub fn ip_and_zone(&self) -> Option<(IpAddr, Option<&Zone>)> {
        self.ip.map(|ip| (ip, self.zone.as_ref()))
    }
}

/// The zone of a link-local IPv6 address (RFC 4007 section 11): the
/// interface it is reached through, by name (`eth0`) or by index (`2`).
///
/// A zone is taken only on a link-local address (`fe80::/10`), the one
/// kind of address that needs it: on any other the kernel ignores it, and
/// the system's resolver reads an interface name only there. A name must
/// be an interface of this host when it is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Zone {
    /// An interface index, as `ip link` numbers them.
    Index(u32),
    /// An interface name, as `/sys/class/net` lists them.
    Name(String),
}

impl Zone {
    /// Parses the zone of `ip`, the text after its `%`.
    pub fn parse(ip: Ipv6Addr, text: &str) -> Result<Zone, AddressError> {
        let bad = |message: String| AddressError::BadZone(message);
        if !is_link_local(ip) {
            return Err(bad(format!(
                "a zone (`%{text}`) names the interface of a link-local address (fe80::/10); \
                 `{ip}` is reached without one"
            )));
        }
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return match text.parse::<u32>() {
                Ok(index) if index > 0 => Ok(Zone::Index(index)),
                _ => Err(bad(format!("`%{text}` is not an interface index (1 to 2^32 - 1)"))),
            };
        }
        let zone = Zone::Name(text.to_string());
        zone.index().map_err(|err| bad(format!("`%{text}`: {err}")))?;
        Ok(zone)
    }

    /// The interface's index: the number itself, or the named interface's
    /// as the kernel gives it now (`/sys/class/net/NAME/ifindex`; std has
    /// no `if_nametoindex`, and this needs no `unsafe`).
    pub fn index(&self) -> Result<u32, String> {
        let name = match self {
            Zone::Index(index) => return Ok(*index),
            Zone::Name(name) => name,
        };
        // IFNAMSIZ is 16 with the NUL; a `/` or `.` alone would leave the
        // directory the path is built in.
        let valid = (1..16).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_graphic() && b != b'/' && b != b'%')
            && name != "."
            && name != "..";
        if !valid {
            return Err("not an interface name".to_string());
        }
        let path = format!("/sys/class/net/{name}/ifindex");
        let text = std::fs::read_to_string(&path).map_err(|_| "no such interface".to_string())?;
        text.trim().parse().map_err(|_| format!("{path} holds no index"))
    }

    /// Whether two zones are the same interface: the same index, once the
    /// names are read.
    pub fn same_interface(&self, other: &Zone) -> bool {
        self == other || matches!((self.index(), other.index()), (Ok(a), Ok(b)) if a == b)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Index(index) => write!(f, "{index}"),
            Zone::Name(name) => f.write_str(name),
        }
    }
}

/// Whether `ip` is a link-local unicast address, `fe80::/10`.
fn is_link_local(ip: Ipv6Addr) -> bool {
    ip.segments()[0] & 0xffc0 == 0xfe80
}

/// The host of `[HOST]:PORT`: an IPv6 address, with a zone after `%` if
/// it is link-local.
fn parse_ipv6_host(host: &str) -> Result<(Ipv6Addr, Option<Zone>), AddressError> {
    let (ip, zone) = match host.split_once('%') {
        Some((ip, zone)) => (ip, Some(zone)),
        None => (host, None),
    };
    let ip: Ipv6Addr = ip.parse().map_err(|_| AddressError::BadHost)?;
    let zone = zone.map(|zone| Zone::parse(ip, zone)).transpose()?;
    Ok((ip, zone))
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

/// A host outside brackets: an IPv4 address in dotted decimal (`Some`),
/// or a host name (`None`). Anything else, a `:` in particular, is refused
/// here, so that a mistyped IPv6 address without brackets is an error.
fn parse_name_or_ipv4(host: &str) -> Result<Option<Ipv4Addr>, AddressError> {
    if host.is_empty() {
        return Err(AddressError::EmptyHost);
    }
    // std reads four decimal numbers and nothing else: no leading zeros,
    // no hex, no short forms.
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Ok(Some(ip));
    }
    if is_inet_aton_number(host) {
        return Err(AddressError::NotDottedDecimal);
    }
    check_host_name(host)?;
    Ok(None)
}

/// Whether `inet_aton` (which `getaddrinfo` consults before the DNS)
/// would read `host` as an IPv4 address: one to four parts, each decimal,
/// octal (`0177`) or hex (`0x7f`).
fn is_inet_aton_number(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let parts: Vec<&str> = host.split('.').collect();
    let is_number = |part: &str| match part.strip_prefix("0x").or(part.strip_prefix("0X")) {
        Some(hex) => hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()),
    };
    parts.len() <= 4 && parts.into_iter().all(is_number)
}

/// An RFC 1123 host name (section 2.1): labels of letters, digits and
/// `-`, none empty and none starting or ending with `-`, at most 253
/// characters in all, and a last label that is not all digits ("a valid
/// host name can never have the dotted-decimal form"). One final `.` (the
/// root) is allowed, and so is `_`, which container names use and
/// resolvers accept. A label longer than DNS carries (63 bytes) is left
/// to the lookup, which fails at once, without a query.
pub fn check_host_name(host: &str) -> Result<(), AddressError> {
    let name = host.strip_suffix('.').unwrap_or(host);
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let last_is_number = labels.last().is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()));
    if name.len() > 253 || !labels.iter().all(label_ok) || last_is_number {
        return Err(if host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)) {
            AddressError::BadName
        } else {
            AddressError::BadHost
        });
    }
    Ok(())
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
    fn a_host_is_a_host_name_or_an_ip_address_as_a_resolver_reads_it() {
        check("300.1.1.1:13", Err(AddressError::NotDottedDecimal));
        // inet_aton's spellings of 127.0.0.1, which getaddrinfo accepts.
        for legacy in
            ["0177.0.0.1", "127.1", "2130706433", "0x7f.0.0.1", "0x7f000001", "127.0.0.01"]
        {
            check(&format!("{legacy}:13"), Err(AddressError::NotDottedDecimal));
        }
        check("127.0.0.1.:13", Err(AddressError::NotDottedDecimal));
        check("a.0.1:13", Err(AddressError::BadName));
        check("-a.example:13", Err(AddressError::BadName));
        check("a-.example:13", Err(AddressError::BadName));
        check("a..example:13", Err(AddressError::BadName));
        check(&format!("{}:13", "a".repeat(254)), Err(AddressError::BadName));
        check(" 127.0.0.1:13", Err(AddressError::BadHost));
        check("a b:13", Err(AddressError::BadHost));
        check("example.com.:13", Ok(("example.com.", 13)));
        check("my_service:13", Ok(("my_service", 13)));
        check("0xdead.example:13", Ok(("0xdead.example", 13)));
        check(
            &format!("{}.example:13", "a".repeat(63)),
            Ok((&format!("{}.example", "a".repeat(63)), 13)),
        );
    }

    #[test]
    fn a_link_local_address_takes_a_zone_by_name_or_by_number() {
        let named = Address::parse("[fe80::1%lo]:13").unwrap();
        assert_eq!(
            (named.host.as_str(), named.to_string()),
            ("fe80::1%lo", "[fe80::1%lo]:13".into())
        );
        assert_eq!(named.ip(), Some("fe80::1".parse().unwrap()));
        let (ip, zone) = named.ip_and_zone().unwrap();
        assert_eq!((ip.to_string(), zone), ("fe80::1".to_string(), Some(&Zone::Name("lo".into()))));
        // The loopback interface is 1 on Linux.
        assert_eq!(zone.unwrap().index(), Ok(1));
        let numbered = Address::parse("[fe80::1%1]:13").unwrap();
        assert_eq!(numbered.ip_and_zone().unwrap().1, Some(&Zone::Index(1)));
        assert!(Zone::Name("lo".into()).same_interface(&Zone::Index(1)));
        assert!(!Zone::Index(1).same_interface(&Zone::Index(2)));
        assert_eq!(Address::parse("[::1]:13").unwrap().ip(), Some("::1".parse().unwrap()));
    }

    #[test]
    fn a_link_local_address_is_a_socket_address_with_its_zone_as_scope() {
        let socket_addr = |text: &str| Address::parse(text).unwrap().socket_addr();
        // The loopback interface is 1 on Linux, by name or by number.
        let scoped = SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 13, 0, 1));
        assert_eq!(socket_addr("[fe80::1%lo]:13"), Some(Ok(scoped)));
        assert_eq!(socket_addr("[fe80::1%1]:13"), Some(Ok(scoped)));
        assert_eq!(socket_addr("[::1]:13"), Some(Ok("[::1]:13".parse().unwrap())));
        assert_eq!(socket_addr("127.0.0.1:13"), Some(Ok("127.0.0.1:13".parse().unwrap())));
        assert_eq!(socket_addr("localhost:13"), None, "a name is looked up");
        // An interface gone since the address was read is an error, not
        // a scope of 0 that the kernel would refuse.
        let mut gone = Address::parse("[fe80::1%lo]:13").unwrap();
        gone.zone = Some(Zone::Name("no-such-if".into()));
        assert_eq!(gone.socket_addr(), Some(Err("`%no-such-if`: no such interface".into())));
    }

    #[test]
    fn a_zone_is_refused_where_it_means_nothing_or_names_no_interface() {
        for (text, says) in [
            ("[::1%1]:13", "link-local"),
            ("[::1%lo]:13", "link-local"),
            ("[2001:db8::1%1]:13", "link-local"),
            ("[fe80::1%no-such-if]:13", "no such interface"),
            ("[fe80::1%]:13", "not an interface name"),
            ("[fe80::1%..]:13", "not an interface name"),
            ("[fe80::1%a/b]:13", "not an interface name"),
            ("[fe80::1%0]:13", "not an interface index"),
            ("[fe80::1%4294967296]:13", "not an interface index"),
        ] {
            let err = Address::parse(text).unwrap_err();
            assert!(matches!(&err, AddressError::BadZone(m) if m.contains(says)), "{text}: {err}");
        }
        check("127.0.0.1%1:13", Err(AddressError::BadHost));
    }

    #[test]
    fn displays_ipv6_in_brackets() {
        for text in ["[::1]:13", "127.0.0.1:13", "example.com:9", "[fe80::1%1]:13"] {
            assert_eq!(Address::parse(text).unwrap().to_string(), text);
        }
    }
}
