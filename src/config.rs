//! The command line and the configuration file, read into one [`Config`].
//!
//! Every mistake is reported before anything listens, naming the flag, or
//! the file and line, and saying what is wrong; the process then exits
//! with status 2. Nothing is silently ignored: an unknown flag or key is
//! an error, because a typo that is ignored becomes an outage later.
//!
//! The configuration file is line-oriented, one section per target:
//!
//! ```text
//! [target app]
//! kind = counter
//! address = 127.0.0.1:1111
//! timeout = 1s
//!
//! [probe]
//! allow = 10.0.0.0/8
//! ```

use std::fmt;
use std::time::Duration;

use crate::allow::Rule;
use crate::exposition::is_valid_metric_name;
use crate::histogram::parse_buckets;
use crate::target::{Address, Kind, Target};
use crate::timestamp::Offset;

/// The default port. The Prometheus default-port-allocations list covers
/// 9100-9999 and has no room left worth claiming there, so the port is
/// outside that range, where no registered exporter will collide with it.
pub const DEFAULT_PORT: u16 = 10013;

/// What the process was asked to do.
#[derive(Debug)]
pub enum Command {
    /// Run the exporter.
    Serve(Config),
    /// Run the built-in demo: both services and an exporter probing them.
    Demo(Config, DemoAddresses),
    /// Run only the RFC 867 daytime service.
    DaytimeServer {
        listen: String,
    },
    /// Run only the JSON counter service.
    CounterServer {
        listen: String,
    },
    Help,
    Version,
}

#[derive(Debug)]
pub struct DemoAddresses {
    pub daytime: String,
    pub counter: String,
}

/// Everything the exporter needs to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen, e.g. `:10013` (all interfaces) or `127.0.0.1:0`.
    pub listen_address: String,
    /// Take the listening socket from systemd (fd 3) instead.
    pub systemd_socket: bool,
    pub telemetry_path: String,
    /// Open connections at most; beyond, the longest-waiting idle one is
    /// closed, or the new one refused with 503.
    pub max_connections: usize,
    /// Scrapes (of `/metrics` or `/probe`) in flight at most; beyond, 503.
    pub max_requests: usize,
    /// The whole request head must arrive within this time.
    pub read_timeout: Duration,
    /// A kept-alive connection with no request for this long is closed.
    pub idle_timeout: Duration,
    /// Subtracted from Prometheus's scrape timeout so that the answer
    /// arrives before Prometheus gives up.
    pub timeout_offset: Duration,
    /// Probes of one scrape that run at the same time, at most.
    pub scrape_concurrency: usize,
    pub targets: Vec<Target>,
    /// Who `/probe` may probe; empty turns `/probe` off.
    pub allow: Vec<Rule>,
    pub debug_log: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen_address: format!(":{DEFAULT_PORT}"),
            systemd_socket: false,
            telemetry_path: "/metrics".to_string(),
            max_connections: 256,
            max_requests: 40,
            read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            timeout_offset: Duration::from_millis(500),
            scrape_concurrency: 128,
            targets: Vec::new(),
            allow: Vec::new(),
            debug_log: false,
        }
    }
}

/// A mistake on the command line or in the configuration file.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A flag that does not exist, lacks its value, or has a bad one.
    Flag { flag: String, message: String },
    /// A line of the configuration file that is wrong.
    Line { path: String, line: usize, message: String },
    /// The configuration file could not be read.
    Read { path: String, message: String },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Flag { flag, message } => write!(f, "flag {flag}: {message}"),
            ConfigError::Line { path, line, message } => write!(f, "{path}:{line}: {message}"),
            ConfigError::Read { path, message } => write!(f, "cannot read {path}: {message}"),
        }
    }
}

impl std::error::Error for ConfigError {}

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
    let mut config = Config::default();
    let mut flag_targets = Vec::new();
    let mut config_file = None;
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next_flag()? {
        match flag.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--version" => return Ok(Command::Version),
            "--config.file" => config_file = Some(flags.value(&flag)?),
            "--target" => flag_targets
                .push(parse_target_flag(&flags.value(&flag)?).map_err(|m| flag_error(&flag, m))?),
            "--probe.allow" => {
                let rule = Rule::parse(&flags.value(&flag)?)
                    .map_err(|e| flag_error(&flag, e.to_string()))?;
                config.allow.push(rule);
            }
            _ => apply_web_flag(&mut config, &flag, &mut flags)?,
        }
    }
    if let Some(path) = config_file {
        let text = std::fs::read_to_string(&path)
            .map_err(|err| ConfigError::Read { path: path.clone(), message: err.to_string() })?;
        let file = parse_file(&text, &path)?;
        config.targets = file.targets;
        config.allow.extend(file.allow);
    }
    for target in flag_targets {
        add_target(&mut config.targets, target).map_err(|m| flag_error("--target", m))?;
    }
    Ok(Command::Serve(config))
}

/// The flags every running exporter takes, the demo's included.
fn apply_web_flag(config: &mut Config, flag: &str, flags: &mut Flags) -> Result<(), ConfigError> {
    match flag {
        "--web.listen-address" => config.listen_address = flags.value(flag)?,
        "--web.systemd-socket" => config.systemd_socket = true,
        "--web.telemetry-path" => {
            let path = flags.value(flag)?;
            if !path.starts_with('/') || path == "/" || path == "/probe" || path == "/-/healthy" {
                return Err(flag_error(
                    flag,
                    format!(
                        "`{path}` must start with `/` and not be `/`, `/probe` or `/-/healthy`"
                    ),
                ));
            }
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
        "--log.level" => {
            config.debug_log = match flags.value(flag)?.as_str() {
                "debug" => true,
                "info" => false,
                other => {
                    return Err(flag_error(flag, format!("`{other}` is not `info` or `debug`")))
                }
            }
        }
        _ => return Err(flag_error(flag, "unknown flag (see --help)")),
    }
    Ok(())
}

/// `demo` takes the exporter's web flags and the services' addresses.
fn parse_demo(args: &[String]) -> Result<Command, ConfigError> {
    let mut config = Config::default();
    let mut addresses = DemoAddresses {
        daytime: "127.0.0.1:1113".to_string(),
        counter: "127.0.0.1:1111".to_string(),
    };
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next_flag()? {
        match flag.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--daytime.listen" => addresses.daytime = flags.value(&flag)?,
            "--counter.listen" => addresses.counter = flags.value(&flag)?,
            _ => apply_web_flag(&mut config, &flag, &mut flags)?,
        }
    }
    Ok(Command::Demo(config, addresses))
}

fn parse_listen_only(args: &[String], default: &str) -> Result<String, ConfigError> {
    let mut listen = default.to_string();
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next_flag()? {
        match flag.as_str() {
            "--listen" => listen = flags.value(&flag)?,
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

fn parse_count(flag: &str, value: &str) -> Result<usize, ConfigError> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 && value.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(flag_error(flag, format!("`{value}` is not a whole number above zero"))),
    }
}

fn parse_flag_duration(flag: &str, value: &str) -> Result<Duration, ConfigError> {
    parse_duration(value, false).map_err(|m| flag_error(flag, m))
}

/// Parses a duration such as `500ms`, `2s`, `1.5s`, `5m` or `1h`.
pub fn parse_duration(text: &str, allow_zero: bool) -> Result<Duration, String> {
    let unit_start = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(unit_start);
    let seconds_per_unit = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("`{text}` is not a duration like 500ms, 2s, 1.5s, 5m or 1h")),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 500ms, 2s, 1.5s, 5m or 1h"))?;
    let seconds = value * seconds_per_unit;
    if !(0.0..=86_400.0).contains(&seconds) {
        return Err(format!("`{text}` is out of range (1ms to 1 day)"));
    }
    // Checked after the conversion: a tiny value rounds to zero, and a
    // zero timeout would make every read fail at once.
    let duration = Duration::from_secs_f64(seconds);
    if !allow_zero && duration < Duration::from_millis(1) {
        return Err(format!("`{text}` is out of range (1ms to 1 day)"));
    }
    Ok(duration)
}

/// Parses `NAME=KIND://HOST:PORT`, e.g. `clock=daytime://127.0.0.1:1113`.
pub fn parse_target_flag(text: &str) -> Result<Target, String> {
    let usage = || format!("expected NAME=KIND://HOST:PORT, found `{text}`");
    let (name, url) = text.split_once('=').ok_or_else(usage)?;
    let (kind, address) = url.split_once("://").ok_or_else(usage)?;
    check_target_name(name)?;
    let kind = Kind::from_name(kind)
        .ok_or_else(|| format!("unknown kind `{kind}` (daytime or counter)"))?;
    let address = Address::parse(address).map_err(|err| format!("address `{address}`: {err}"))?;
    Ok(Target::new(name, kind, address))
}

fn check_target_name(name: &str) -> Result<(), String> {
    let valid =
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(format!("target name `{name}` must be letters, digits, `_`, `.` or `-`"))
    }
}

fn add_target(targets: &mut Vec<Target>, target: Target) -> Result<(), String> {
    if targets.iter().any(|existing| existing.name == target.name) {
        return Err(format!("target name `{}` is used twice", target.name));
    }
    targets.push(target);
    Ok(())
}

/// What a configuration file holds.
#[derive(Debug, Default)]
pub struct FileConfig {
    pub targets: Vec<Target>,
    pub allow: Vec<Rule>,
}

/// Parses the configuration file's text; `path` is only for messages.
///
/// ```text
/// file    = *( blank / comment / section / setting )
/// section = "[target " NAME "]" / "[probe]"
/// setting = KEY *WSP "=" *WSP VALUE
/// ```
pub fn parse_file(text: &str, path: &str) -> Result<FileConfig, ConfigError> {
    let mut file = FileConfig::default();
    let mut section = Section::Outside;
    for (idx, raw_line) in text.lines().enumerate() {
        let line_no = idx + 1;
        let at_line =
            |message: String| ConfigError::Line { path: path.to_string(), line: line_no, message };
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            finish_section(&mut file, std::mem::take(&mut section), path)?;
            section = parse_section_header(line, line_no).map_err(at_line)?;
            continue;
        }
        let (key, value) =
            line.split_once('=').map(|(key, value)| (key.trim(), value.trim())).ok_or_else(
                || at_line(format!("expected `key = value` or a `[section]`, found `{line}`")),
            )?;
        match &mut section {
            Section::Outside => return Err(at_line(format!("`{key}` is outside any section"))),
            Section::Probe => match key {
                "allow" => {
                    file.allow.push(Rule::parse(value).map_err(|err| at_line(err.to_string()))?)
                }
                _ => return Err(at_line(format!("unknown key `{key}` in [probe] (known: allow)"))),
            },
            Section::Target(draft) => draft.set(key, value, line_no).map_err(at_line)?,
        }
    }
    finish_section(&mut file, section, path)?;
    Ok(file)
}

#[derive(Default)]
enum Section {
    /// Before the first section header.
    #[default]
    Outside,
    Probe,
    Target(TargetDraft),
}

fn parse_section_header(line: &str, line_no: usize) -> Result<Section, String> {
    let inner = line
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or_else(|| format!("a section header ends with `]`: `{line}`"))?
        .trim();
    if inner == "probe" {
        return Ok(Section::Probe);
    }
    match inner.strip_prefix("target") {
        Some(name) if name.starts_with(char::is_whitespace) => {
            let name = name.trim();
            check_target_name(name)?;
            Ok(Section::Target(TargetDraft {
                name: name.to_string(),
                line: line_no,
                settings: Vec::new(),
            }))
        }
        _ => Err(format!("unknown section `[{inner}]` (known: [target NAME], [probe])")),
    }
}

/// The settings of one `[target NAME]` section, collected first so that
/// they may come in any order.
#[derive(Default)]
struct TargetDraft {
    name: String,
    /// The line of the section header.
    line: usize,
    /// Key, value and line number of each setting.
    settings: Vec<(String, String, usize)>,
}

const TARGET_KEYS: &[&str] = &[
    "kind",
    "address",
    "timeout",
    "buckets",
    "metric",
    "requests_field",
    "launched_field",
    "launched_offset",
];
const COUNTER_ONLY_KEYS: &[&str] =
    &["metric", "requests_field", "launched_field", "launched_offset"];

impl TargetDraft {
    fn set(&mut self, key: &str, value: &str, line: usize) -> Result<(), String> {
        if !TARGET_KEYS.contains(&key) {
            return Err(format!(
                "unknown key `{key}` in [target {}] (known: {})",
                self.name,
                TARGET_KEYS.join(", ")
            ));
        }
        if let Some((_, _, first)) = self.settings.iter().find(|(existing, _, _)| existing == key) {
            return Err(format!(
                "`{key}` is set twice in [target {}] (first on line {first})",
                self.name
            ));
        }
        self.settings.push((key.to_string(), value.to_string(), line));
        Ok(())
    }

    fn get(&self, key: &str) -> Option<(&str, usize)> {
        self.settings
            .iter()
            .find(|(existing, _, _)| existing == key)
            .map(|(_, value, line)| (value.as_str(), *line))
    }

    /// Builds the target; an error names the line it comes from.
    fn build(&self) -> Result<Target, (usize, String)> {
        let section = format!("[target {}]", self.name);
        let (kind_name, kind_line) =
            self.get("kind").ok_or((self.line, format!("{section} has no `kind`")))?;
        let mut kind = Kind::from_name(kind_name)
            .ok_or((kind_line, format!("unknown kind `{kind_name}` (daytime or counter)")))?;
        let (address, address_line) =
            self.get("address").ok_or((self.line, format!("{section} has no `address`")))?;
        let address = Address::parse(address)
            .map_err(|err| (address_line, format!("address `{address}`: {err}")))?;
        let mut target = Target::new(&self.name, kind.clone(), address);

        for (key, value, line) in &self.settings {
            let at = |message: String| (*line, message);
            match (key.as_str(), &mut kind) {
                ("kind" | "address", _) => {}
                ("timeout", _) => target.timeout = parse_duration(value, false).map_err(at)?,
                ("buckets", _) => {
                    target.buckets = parse_buckets(value).map_err(|err| at(err.to_string()))?
                }
                ("metric", Kind::Counter(spec)) => {
                    check_counter_name(value).map_err(at)?;
                    spec.metric = value.clone();
                }
                ("requests_field", Kind::Counter(spec)) => spec.requests_field = value.clone(),
                ("launched_field", Kind::Counter(spec)) => spec.launched_field = value.clone(),
                ("launched_offset", Kind::Counter(spec)) => {
                    spec.launched_offset =
                        Offset::parse(value).map_err(|err| at(err.to_string()))?;
                }
                (key, _) if COUNTER_ONLY_KEYS.contains(&key) => {
                    return Err(at(format!("`{key}` applies only to counter targets")));
                }
                (key, _) => return Err(at(format!("unknown key `{key}`"))),
            }
        }
        target.kind = kind;
        Ok(target)
    }
}

/// Prefixes of the families the exporter writes itself, and of those
/// Prometheus reserves: a counter named like one of them would give a
/// family two TYPE lines, and Prometheus would reject the whole scrape.
const RESERVED_PREFIXES: &[&str] = &["probe_", "process_", "scrape_"];

/// A counter's base name: a valid metric name, without the `_total` and
/// `_created` that the writer adds, and clear of reserved prefixes.
fn check_counter_name(name: &str) -> Result<(), String> {
    if !is_valid_metric_name(name) || name.ends_with("_total") || name.ends_with("_created") {
        return Err(format!(
            "`{name}` is not a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*, without `_total`)"
        ));
    }
    if let Some(prefix) = RESERVED_PREFIXES.iter().find(|prefix| name.starts_with(*prefix)) {
        return Err(format!(
            "`{name}` starts with `{prefix}`, which the exporter's own metrics use"
        ));
    }
    Ok(())
}

fn finish_section(file: &mut FileConfig, section: Section, path: &str) -> Result<(), ConfigError> {
    let Section::Target(draft) = section else {
        return Ok(());
    };
    let at_line =
        |line: usize, message: String| ConfigError::Line { path: path.to_string(), line, message };
    let target = draft.build().map_err(|(line, message)| at_line(line, message))?;
    add_target(&mut file.targets, target).map_err(|message| at_line(draft.line, message))
}

/// The text of `--help`.
pub const USAGE: &str = "\
probe_exporter: a Prometheus exporter that probes RFC 867 daytime and JSON
counter services at scrape time.

Usage:
  probe_exporter [FLAGS]                  run the exporter
  probe_exporter demo [FLAGS]             run both demo services and an exporter probing them
  probe_exporter daytime-server [--listen ADDR]   an RFC 867 daytime service (default 127.0.0.1:1113)
  probe_exporter counter-server [--listen ADDR]   a JSON counter service (default 127.0.0.1:1111)

Targets:
  --target NAME=KIND://HOST:PORT  probe this target at every scrape (repeatable);
                                  KIND is daytime or counter, e.g. clock=daytime://127.0.0.1:1113
  --config.file PATH              read targets and the /probe allow-list from PATH
  --probe.allow RULE              let /probe reach HOST:PORT, *.domain:PORT, HOST:* or a CIDR range (repeatable)

Web:
  --web.listen-address ADDR       where to listen (default :10013, all interfaces)
  --web.systemd-socket            use the socket systemd passes in (socket activation)
  --web.telemetry-path PATH       the metrics path (default /metrics)
  --web.max-connections N         open connections at most (default 256)
  --web.max-requests N            scrapes in flight at most, then 503 (default 40)
  --web.read-timeout DURATION     a whole request head must arrive within this (default 10s)
  --web.idle-timeout DURATION     close a kept-alive connection idle this long (default 5m)

Scrapes:
  --scrape.timeout-offset DURATION  answer this long before Prometheus's timeout (default 500ms)
  --scrape.concurrency N            probes of one scrape running at once (default 128)

Other:
  --log.level info|debug          (default info)
  --help, --version

Demo:
  --daytime.listen ADDR, --counter.listen ADDR  (defaults 127.0.0.1:1113, 127.0.0.1:1111)
";

#[cfg(test)]
mod tests {
    use super::*;

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

    #[track_caller]
    fn check_file_error(text: &str, expected: &str) {
        let err = parse_file(text, "x.conf").expect_err(text);
        assert_eq!(err.to_string(), expected);
    }

    #[test]
    fn without_flags_the_defaults_apply() {
        let config = serve("");
        assert_eq!(config.listen_address, ":10013");
        assert_eq!(config.telemetry_path, "/metrics");
        assert!(config.targets.is_empty() && config.allow.is_empty());
    }

    #[test]
    fn flags_take_values_both_ways() {
        let config = serve(
            "--web.listen-address 127.0.0.1:0 --web.max-connections=4 --web.read-timeout 1.5s",
        );
        assert_eq!(config.listen_address, "127.0.0.1:0");
        assert_eq!(config.max_connections, 4);
        assert_eq!(config.read_timeout, Duration::from_millis(1500));
    }

    #[test]
    fn target_flags_become_targets_in_order() {
        let config =
            serve("--target clock=daytime://127.0.0.1:1113 --target app=counter://[::1]:1111");
        assert_eq!(config.targets.len(), 2);
        assert_eq!(config.targets[0].kind, Kind::Daytime);
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
            "--probe.allow 10.0.0.0/40",
            "flag --probe.allow: `/40` is not a prefix length from 0 to 32",
        );
    }

    #[test]
    fn durations_need_a_number_and_a_unit() {
        assert_eq!(parse_duration("500ms", false), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s", false), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("5m", false), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h", false), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0s", true), Ok(Duration::ZERO));
        for bad in ["", "5", "s", "0s", "0.0000001s", "-1s", "1d", "1.2.3s", "2S", "1e3s"] {
            assert!(parse_duration(bad, false).is_err(), "{bad}");
        }
    }

    const EXAMPLE: &str = "\
# Two targets and an allow-list.
[target clock]
kind = daytime
address = 127.0.0.1:13
timeout = 2s

[target app]
address = [::1]:1111
kind = counter
metric = app_requests
requests_field = hits
launched_field = started
launched_offset = +01:00
buckets = 0.001, 0.01, 0.1

[probe]
allow = 127.0.0.1:13
allow = 10.0.0.0/8
";

    #[test]
    fn parses_the_example_file() {
        let file = parse_file(EXAMPLE, "x.conf").unwrap();
        assert_eq!(file.targets.len(), 2);
        assert_eq!(file.targets[0].timeout, Duration::from_secs(2));
        assert_eq!(file.targets[1].buckets, vec![0.001, 0.01, 0.1]);
        let Kind::Counter(spec) = &file.targets[1].kind else { panic!("not a counter") };
        assert_eq!(
            (spec.metric.as_str(), spec.requests_field.as_str(), spec.launched_field.as_str()),
            ("app_requests", "hits", "started")
        );
        assert_eq!(spec.launched_offset.to_string(), "+01:00");
        assert_eq!(file.allow.len(), 2);
    }

    #[test]
    fn file_errors_name_the_line() {
        check_file_error("kind = daytime", "x.conf:1: `kind` is outside any section");
        check_file_error("[target a]\nkind = daytime\naddress = h:1\ncolour = red", "x.conf:4: unknown key `colour` in [target a] (known: kind, address, timeout, buckets, metric, requests_field, launched_field, launched_offset)");
        check_file_error("[target a]\nkind = daytime", "x.conf:1: [target a] has no `address`");
        check_file_error(
            "[target a]\nkind = ftp\naddress = h:1",
            "x.conf:2: unknown kind `ftp` (daytime or counter)",
        );
        check_file_error(
            "[target a]\n\nkind = daytime\naddress = h:1\nmetric = x",
            "x.conf:5: `metric` applies only to counter targets",
        );
        check_file_error(
            "[target a]\nkind = counter\naddress = h:1\nmetric = 9lives",
            "x.conf:4: `9lives` is not a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*, without `_total`)",
        );
        check_file_error(
            "[target a]\nkind = daytime\nkind = counter",
            "x.conf:3: `kind` is set twice in [target a] (first on line 2)",
        );
        check_file_error(
            "[targets]",
            "x.conf:1: unknown section `[targets]` (known: [target NAME], [probe])",
        );
        check_file_error(
            "[target a b]",
            "x.conf:1: target name `a b` must be letters, digits, `_`, `.` or `-`",
        );
        check_file_error(
            "[probe]\ndeny = x",
            "x.conf:2: unknown key `deny` in [probe] (known: allow)",
        );
        check_file_error(
            "[target a]\nkind = daytime\naddress = h:1\n[target a]\nkind = daytime\naddress = h:2",
            "x.conf:4: target name `a` is used twice",
        );
        check_file_error(
            "[target a]\nkind = daytime\naddress = h:1\ntimeout = 0s",
            "x.conf:4: `0s` is out of range (1ms to 1 day)",
        );
        check_file_error(
            "[target a]\nkind = counter\naddress = h:1\nmetric = probe_success",
            "x.conf:4: `probe_success` starts with `probe_`, which the exporter's own metrics use",
        );
        check_file_error(
            "[target a]\njust words",
            "x.conf:2: expected `key = value` or a `[section]`, found `just words`",
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
            matches!(parse_args(&args("demo --web.listen-address 127.0.0.1:0")), Ok(Command::Demo(config, _)) if config.listen_address == "127.0.0.1:0")
        );
        assert!(matches!(parse_args(&args("--help")), Ok(Command::Help)));
        assert!(matches!(parse_args(&args("--version")), Ok(Command::Version)));
    }
}
