//! The command line: `--name value` and `--name=value` flags, read once
//! at start-up into a [`Config`] and a [`Command`].
//!
//! Flags never touch the file system: `--config.file` is only noted here,
//! and read by [`super::load_setup`], so that start-up and reload read
//! it the same way.

use std::time::Duration;

use super::DemoAddresses;
use super::{add_target, check_name, parse_duration, Command, Config, ConfigError};
use crate::log;
use crate::target::allow::Rule;
use crate::target::{Address, AddressError, Kind, Target};

fn flag_error(flag: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Flag { flag: flag.to_string(), message: message.into() }
}

/// Reads the command line (without the program name).
pub fn parse_args(args: &[String]) -> Result<Command, ConfigError> {
    match args.first().map(String::as_str) {
        Some("daytime-server") => {
            Ok(Command::DaytimeServer { listen: parse_listen_only(&args[1..], "127.0.0.1:1113")? })
        }
        Some("counter-server") => {
            Ok(Command::CounterServer { listen: parse_listen_only(&args[1..], "127.0.0.1:1111")? })
        }
        Some("demo") => parse_demo(&args[1..]),
        _ => parse_serve(args),
    }
}

/// The flags of the exporter itself.
fn parse_serve(args: &[String]) -> Result<Command, ConfigError> {
    let mut config = Config { listen_addresses: Vec::new(), ..Config::default() };
    let mut check_only = false;
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next_flag()? {
        match flag.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--version" => return Ok(Command::Version),
            "--config.check" => check_only = true,
            "--config.file" => config.config_file = Some(flags.value(&flag)?),
            "--target" => {
                let target = parse_target_flag(&flags.value(&flag)?);
                let target = target.map_err(|message| flag_error(&flag, message))?;
                add_target(&mut config.targets, target).map_err(|m| flag_error(&flag, m))?;
            }
            "--probe.allow" => {
                let rule = Rule::parse(&flags.value(&flag)?)
                    .map_err(|e| flag_error(&flag, e.to_string()))?;
                config.allow.push(rule);
            }
            _ => apply_web_flag(&mut config, &flag, &mut flags)?,
        }
    }
    choose_listeners(&mut config)?;
    Ok(if check_only { Command::CheckConfig(config) } else { Command::Serve(config) })
}

/// Where to listen: systemd's sockets, or every `--web.listen-address`,
/// or without either the default port on every interface. Both flags
/// together are refused: systemd's socket unit says where to listen, and
/// an address given beside it would be silently dropped.
fn choose_listeners(config: &mut Config) -> Result<(), ConfigError> {
    if config.systemd_socket && !config.listen_addresses.is_empty() {
        return Err(flag_error(
            "--web.listen-address",
            "cannot be given with --web.systemd-socket, which takes the sockets systemd \
             passes (ListenStream= says where); give one or the other",
        ));
    }
    if config.listen_addresses.is_empty() {
        config.listen_addresses = Config::default().listen_addresses;
    }
    Ok(())
}

/// The flags every running exporter takes, the demo's included.
fn apply_web_flag(config: &mut Config, flag: &str, flags: &mut Flags) -> Result<(), ConfigError> {
    match flag {
        "--web.listen-address" => config.listen_addresses.push(listen_value(flag, flags)?),
        "--web.systemd-socket" => config.systemd_socket = true,
        "--web.disable-compression" => config.disable_compression = true,
        "--web.telemetry-path" => {
            let path = flags.value(flag)?;
            check_telemetry_path(&path).map_err(|message| flag_error(flag, message))?;
            config.telemetry_path = path;
        }
        "--web.max-connections" => config.max_connections = parse_count(flag, &flags.value(flag)?)?,
        "--web.max-requests" => config.max_requests = parse_count(flag, &flags.value(flag)?)?,
        "--web.read-timeout" => {
            config.read_timeout = parse_flag_duration(flag, &flags.value(flag)?)?
        }
        "--web.idle-timeout" => {
            config.idle_timeout = parse_flag_duration(flag, &flags.value(flag)?)?
        }
        "--scrape.timeout-offset" => {
            let value = flags.value(flag)?;
            config.timeout_offset =
                parse_duration(&value, true).map_err(|m| flag_error(flag, m))?;
        }
        "--scrape.concurrency" => {
            config.scrape_concurrency = parse_count(flag, &flags.value(flag)?)?
        }
        "--web.shutdown-timeout" => {
            config.shutdown_timeout = Some(parse_flag_duration(flag, &flags.value(flag)?)?)
        }
        "--log.level" => {
            config.log_level = flags
                .value(flag)?
                .parse()
                .map_err(|err: log::ParseError| flag_error(flag, err.to_string()))?
        }
        "--log.format" => {
            config.log_format = flags
                .value(flag)?
                .parse()
                .map_err(|err: log::ParseError| flag_error(flag, err.to_string()))?
        }
        _ => return Err(flag_error(flag, "unknown flag (see --help)")),
    }
    Ok(())
}

/// `demo` takes the exporter's web flags and the services' addresses.
fn parse_demo(args: &[String]) -> Result<Command, ConfigError> {
    let mut config = Config { listen_addresses: Vec::new(), ..Config::default() };
    let mut addresses = DemoAddresses {
        daytime: "127.0.0.1:1113".to_string(),
        counter: "127.0.0.1:1111".to_string(),
    };
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next_flag()? {
        match flag.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--daytime.listen" => addresses.daytime = listen_value(&flag, &mut flags)?,
            "--counter.listen" => addresses.counter = listen_value(&flag, &mut flags)?,
            _ => apply_web_flag(&mut config, &flag, &mut flags)?,
        }
    }
    choose_listeners(&mut config)?;
    Ok(Command::Demo(config, addresses))
}

fn parse_listen_only(args: &[String], default: &str) -> Result<String, ConfigError> {
    let mut listen = default.to_string();
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next_flag()? {
        match flag.as_str() {
            "--listen" => listen = listen_value(&flag, &mut flags)?,
            _ => return Err(flag_error(&flag, "unknown flag (the only flag is --listen ADDR)")),
        }
    }
    Ok(listen)
}

/// Walks `--name value` and `--name=value` flags.
struct Flags<'a> {
    args: &'a [String],
    idx: usize,
    /// The flag just returned and the value given with it after `=`,
    /// until [`Flags::value`] takes it.
    inline_value: Option<(String, String)>,
}

impl<'a> Flags<'a> {
    fn new(args: &'a [String]) -> Flags<'a> {
        Flags { args, idx: 0, inline_value: None }
    }

    fn next_flag(&mut self) -> Result<Option<String>, ConfigError> {
        if let Some((flag, value)) = self.inline_value.take() {
            return Err(flag_error(&flag, format!("takes no value, found `{value}`")));
        }
        let Some(arg) = self.args.get(self.idx) else {
            return Ok(None);
        };
        self.idx += 1;
        if !arg.starts_with('-') {
            return Err(flag_error(arg, "unexpected argument (flags start with --)"));
        }
        match arg.split_once('=') {
            Some((name, value)) => {
                self.inline_value = Some((name.to_string(), value.to_string()));
                Ok(Some(name.to_string()))
            }
            None => Ok(Some(arg.clone())),
        }
    }

    fn value(&mut self, flag: &str) -> Result<String, ConfigError> {
        if let Some((_, value)) = self.inline_value.take() {
            return Ok(value);
        }
        let value = self.args.get(self.idx).ok_or_else(|| flag_error(flag, "needs a value"))?;
        self.idx += 1;
        Ok(value.clone())
    }
}

/// The paths the exporter answers itself. A metrics path equal to one
/// would shadow it, or be shadowed: `/-/reload` answers `GET` with 405.
const OWN_PATHS: &[&str] = &["/", "/probe", "/-/healthy", "/-/ready", "/-/reload"];

/// The metrics path must be one a client sends as it is written, in the
/// landing page's link and in Prometheus's `metrics_path`: an absolute
/// path of RFC 3986 characters (section 3.3: `pchar` and `/`). A space,
/// `%`, `?`, `#` or any other byte could be requested only encoded
/// (`/m%20x`), and a `.` or `..` segment is removed by clients before they
/// send a path (section 5.2.4), so neither could be scraped as written.
fn check_telemetry_path(path: &str) -> Result<(), String> {
    let requestable = path.starts_with('/')
        && path.bytes().all(is_path_byte)
        && !path.split('/').any(|segment| segment == "." || segment == "..");
    if !requestable || OWN_PATHS.contains(&path) {
        return Err(format!(
            "`{path}` must start with `/`, hold only letters, digits, `/` and \
             -._~!$&'()*+,;=:@ (no space, `%`, `?` or `#`, no `.` or `..` segment), and not \
             be one of the exporter's own paths ({})",
            OWN_PATHS.join(", ")
        ));
    }
    Ok(())
}

/// A byte a path may hold as it is: `pchar` but for `%`, or `/`
/// (RFC 3986 section 3.3).
fn is_path_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&byte)
}

/// The value of a flag that names where to listen, checked here so that
/// a malformed one is a flag mistake (and `--config.check` finds it), not
/// a failure to bind after start-up.
fn listen_value(flag: &str, flags: &mut Flags) -> Result<String, ConfigError> {
    let value = flags.value(flag)?;
    check_listen_address(&value).map_err(|message| flag_error(flag, message))?;
    Ok(value)
}

/// A listen address is `HOST:PORT` or `:PORT` (every interface), HOST as
/// a target's (a name, an IPv4 address or a bracketed IPv6 address, a
/// link-local one with its zone: `[fe80::1%eth0]:9100`) and PORT from 0
/// (any free port) to 65535. A name that does not resolve is still only
/// found when binding.
fn check_listen_address(text: &str) -> Result<(), String> {
    let usage = || format!("`{text}` is not HOST:PORT or :PORT");
    let (host, port) = text.rsplit_once(':').ok_or_else(usage)?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u16>().is_err()
    {
        return Err(format!("`{text}`: the port is not a number from 0 to 65535"));
    }
    // Any valid port stands in for the one given, which may be 0.
    match Address::parse(&format!("{host}:1")) {
        _ if host.is_empty() => Ok(()),
        Ok(_) => Ok(()),
        Err(err @ (AddressError::BadZone(_) | AddressError::NotDottedDecimal)) => {
            Err(format!("`{text}`: {err}"))
        }
        Err(_) => Err(usage()),
    }
}

fn parse_count(flag: &str, value: &str) -> Result<usize, ConfigError> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 && value.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(flag_error(flag, format!("`{value}` is not a whole number above zero"))),
    }
}

fn parse_flag_duration(flag: &str, value: &str) -> Result<Duration, ConfigError> {
    parse_duration(value, false).map_err(|m| flag_error(flag, m))
}

/// Parses `NAME=KIND://HOST:PORT`, e.g. `clock=daytime://127.0.0.1:1113`.
pub fn parse_target_flag(text: &str) -> Result<Target, String> {
    let usage = || format!("expected NAME=KIND://HOST:PORT, found `{text}`");
    let (name, url) = text.split_once('=').ok_or_else(usage)?;
    let (kind, address) = url.split_once("://").ok_or_else(usage)?;
    check_name("target", name)?;
    let kind = Kind::from_name(kind)
        .ok_or_else(|| format!("unknown kind `{kind}` (daytime or counter)"))?;
    let address = Address::parse(address).map_err(|err| format!("address `{address}`: {err}"))?;
    Ok(Target::new(name, kind, address))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::DaytimeSpec;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    fn serve(text: &str) -> Config {
        match parse_args(&args(text)) {
            Ok(Command::Serve(config)) => config,
            other => panic!("expected a serve config from `{text}`, got {other:?}"),
        }
    }

    #[track_caller]
    fn check_flag_error(text: &str, expected: &str) {
        let err = parse_args(&args(text)).expect_err(text);
        assert_eq!(err.to_string(), expected);
    }

    #[test]
    fn without_flags_the_defaults_apply() {
        let config = serve("");
        assert_eq!(config.listen_addresses, [":10013"]);
        assert_eq!(config.telemetry_path, "/metrics");
        assert!(config.targets.is_empty() && config.allow.is_empty());
    }

    #[test]
    fn compression_is_on_unless_a_flag_turns_it_off() {
        assert!(!serve("").disable_compression);
        assert!(serve("--web.disable-compression").disable_compression);
        check_flag_error(
            "--web.disable-compression=true",
            "flag --web.disable-compression: takes no value, found `true`",
        );
    }

    #[test]
    fn flags_take_values_both_ways() {
        let config = serve(
            "--web.listen-address 127.0.0.1:0 --web.max-connections=4 --web.read-timeout 1.5s",
        );
        assert_eq!(config.listen_addresses, ["127.0.0.1:0"]);
        assert_eq!(config.max_connections, 4);
        assert_eq!(config.read_timeout, Duration::from_millis(1500));
    }

    #[test]
    fn the_metrics_path_is_one_a_request_can_ask_for_and_no_other_endpoint() {
        assert_eq!(
            serve("--web.telemetry-path /exporter/metrics").telemetry_path,
            "/exporter/metrics"
        );
        for good in ["/metrics", "/a/b-c_d.e~f/metrics:x@y", "/m+s", "/metrics/"] {
            assert_eq!(check_telemetry_path(good), Ok(()), "{good}");
        }
        for bad in [
            "metrics",
            "/m etrics",
            "/m\tx",
            "/métrics",
            "/a/../metrics",
            "/./metrics",
            "/m/..",
            "/m\"x",
            "/m<x>",
            "/",
            "/probe",
            "/-/healthy",
            "/-/ready",
            "/-/reload",
            "/m?x",
            "/m#x",
            "/m%20x",
        ] {
            assert!(check_telemetry_path(bad).is_err(), "{bad}");
        }
        check_flag_error(
            "--web.telemetry-path /-/reload",
            "flag --web.telemetry-path: `/-/reload` must start with `/`, hold only letters, digits, `/` and -._~!$&'()*+,;=:@ (no space, `%`, `?` or `#`, no `.` or `..` segment), and not be one of the exporter's own paths (/, /probe, /-/healthy, /-/ready, /-/reload)",
        );
    }

    #[test]
    fn listen_addresses_are_host_and_port_or_only_a_port() {
        let good = [":10013", ":0", "127.0.0.1:0", "[::1]:65535", "localhost:1", "[::]:9"];
        // A link-local address names its interface by index or by name.
        for good in good.into_iter().chain(["[fe80::1%2]:9100", "[fe80::1%lo]:0"]) {
            assert_eq!(check_listen_address(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            ":",
            "127.0.0.1",
            "127.0.0.1:",
            "[::1]",
            "::1:9",
            "a b:1",
            "h:+1",
            "h:65536",
            " 127.0.0.1:9",
            "0177.0.0.1:9",
            "[::1%1]:9",
            "[fe80::1%no-such-if]:9",
        ] {
            assert!(check_listen_address(bad).is_err(), "{bad}");
        }
        check_flag_error(
            "--web.listen-address [::1%1]:0",
            "flag --web.listen-address: `[::1%1]:0`: a zone (`%1`) names the interface of a link-local address (fe80::/10); `::1` is reached without one",
        );
        check_flag_error(
            "demo --daytime.listen 127.0.0.1",
            "flag --daytime.listen: `127.0.0.1` is not HOST:PORT or :PORT",
        );
        check_flag_error(
            "counter-server --listen :x",
            "flag --listen: `:x`: the port is not a number from 0 to 65535",
        );
    }

    #[test]
    fn systemd_sockets_and_listen_addresses_are_one_or_the_other() {
        let config = serve("--web.systemd-socket");
        assert!(config.systemd_socket);
        for both in [
            "--web.systemd-socket --web.listen-address 127.0.0.1:0",
            "--web.listen-address 127.0.0.1:0 --web.systemd-socket",
            "demo --web.systemd-socket --web.listen-address :0",
        ] {
            let err = parse_args(&args(both)).expect_err(both).to_string();
            assert!(
                err.starts_with(
                    "flag --web.listen-address: cannot be given with --web.systemd-socket"
                ),
                "{err}"
            );
        }
    }

    #[test]
    fn listen_addresses_repeat_and_replace_the_default() {
        let config = serve("--web.listen-address 127.0.0.1:1 --web.listen-address=[::1]:2");
        assert_eq!(config.listen_addresses, ["127.0.0.1:1", "[::1]:2"]);
    }

    #[test]
    fn the_prometheus_log_flags_are_taken() {
        let config = serve("--log.level warn --log.format json");
        assert_eq!((config.log_level, config.log_format), (log::Level::Warn, log::Format::Json));
        let config = serve("--log.level=error");
        assert_eq!(config.log_level, log::Level::Error);
        assert!(matches!(
            parse_args(&args("--config.file x.conf --config.check")),
            Ok(Command::CheckConfig(config)) if config.config_file.as_deref() == Some("x.conf")
        ));
        check_flag_error(
            "--log.format xml",
            "flag --log.format: `xml` is not a log format (logfmt or json)",
        );
    }

    #[test]
    fn target_flags_become_targets_in_order() {
        let config =
            serve("--target clock=daytime://127.0.0.1:1113 --target app=counter://[::1]:1111");
        assert_eq!(config.targets.len(), 2);
        assert_eq!(config.targets[0].kind, Kind::Daytime(DaytimeSpec::default()));
        assert_eq!(config.targets[1].address.to_string(), "[::1]:1111");
        assert!(
            matches!(&config.targets[1].kind, Kind::Counter(spec) if spec.metric == "service_requests")
        );
    }

    #[test]
    fn flag_errors_name_the_flag() {
        check_flag_error("--nope", "flag --nope: unknown flag (see --help)");
        check_flag_error("--web.listen-address", "flag --web.listen-address: needs a value");
        check_flag_error(
            "--web.max-connections=0",
            "flag --web.max-connections: `0` is not a whole number above zero",
        );
        check_flag_error(
            "--web.read-timeout=soon",
            "flag --web.read-timeout: `soon` is not a duration like 500ms, 2s, 1.5s, 5m or 1h",
        );
        check_flag_error(
            "--web.systemd-socket=yes",
            "flag --web.systemd-socket: takes no value, found `yes`",
        );
        check_flag_error(
            "--target clock",
            "flag --target: expected NAME=KIND://HOST:PORT, found `clock`",
        );
        check_flag_error(
            "--target clock=ntp://a:1",
            "flag --target: unknown kind `ntp` (daytime or counter)",
        );
        check_flag_error(
            "--target clock=daytime://a",
            "flag --target: address `a`: expected HOST:PORT, found no port",
        );
        check_flag_error(
            "--target a=daytime://h:1 --target a=counter://h:2",
            "flag --target: target name `a` is used twice",
        );
        check_flag_error("stray", "flag stray: unexpected argument (flags start with --)");
        check_flag_error(
            "--web.listen-address 127.0.0.1:99999",
            "flag --web.listen-address: `127.0.0.1:99999`: the port is not a number from 0 to 65535",
        );
        check_flag_error(
            "--web.listen-address --config.check",
            "flag --web.listen-address: `--config.check` is not HOST:PORT or :PORT",
        );
        check_flag_error(
            "--probe.allow 10.0.0.0/40",
            "flag --probe.allow: `10.0.0.0/40`: `/40` is not a prefix length from 0 to 32",
        );
    }

    #[test]
    fn subcommands_are_recognised_with_their_flags() {
        assert!(
            matches!(parse_args(&args("daytime-server --listen 127.0.0.1:0")), Ok(Command::DaytimeServer { listen }) if listen == "127.0.0.1:0")
        );
        assert!(
            matches!(parse_args(&args("counter-server")), Ok(Command::CounterServer { listen }) if listen == "127.0.0.1:1111")
        );
        assert!(
            matches!(parse_args(&args("demo --web.listen-address 127.0.0.1:0")), Ok(Command::Demo(config, _)) if config.listen_addresses == ["127.0.0.1:0"])
        );
        assert!(matches!(parse_args(&args("--help")), Ok(Command::Help)));
        assert!(matches!(parse_args(&args("--version")), Ok(Command::Version)));
    }
}
