//! The command line and the configuration file, read into one [`Config`].
//!
//! Every mistake is reported before anything listens, naming the flag, or
//! the file and line, and saying what is wrong; the process then exits
//! with status 2. Nothing is silently ignored: an unknown flag or key is
//! an error, because a typo that is ignored becomes an outage later.
//!
//! Flags are read once, at start-up ([`flags`]). The configuration file
//! ([`file`](mod@file)) is read at start-up and again at every reload, by
//! [`load_setup`], which joins what it holds to what the flags gave.
//! Durations are read by [`duration`]; `--help` is [`usage`].

pub mod flags;
pub mod file;
pub mod duration;
pub mod usage;

use std::fmt;
use std::io::Read;
use std::time::Duration;

use crate::log;
use crate::target::allow::Rule;
use crate::target::{Module, Target};

pub use duration::parse_duration;
pub use file::{parse_file, FileConfig};
pub use flags::{parse_args, parse_target_flag};
pub use usage::USAGE;

/// The default port. The Prometheus default-port-allocations list covers
/// 9100-9999 and has no room left worth claiming there, so the port is
/// outside that range, where no registered exporter will collide with it.
pub const DEFAULT_PORT: u16 = 10013;

/// What the process was asked to do.
#[derive(Debug)]
pub enum Command {
    /// Run the exporter.
    Serve(Config),
    /// Read the flags and the configuration file, say what would be
    /// probed, and exit (`--config.check`).
    CheckConfig(Config),
    /// Run the built-in demo: both services and an exporter probing them.
    Demo(Config, DemoAddresses),
    /// Run only the RFC 867 daytime service.
    DaytimeServer {
        /// Where it listens (`--listen`), by default `127.0.0.1:1113`.
        listen: String,
    },
    /// Run only the JSON counter service.
    CounterServer {
        /// Where it listens (`--listen`), by default `127.0.0.1:1111`.
        listen: String,
    },
    /// Print the usage and exit (`--help`).
    Help,
    /// Print what was built and exit (`--version`).
    Version,
}

/// Where the demo's two services listen.
#[derive(Debug)]
pub struct DemoAddresses {
    /// The daytime service's address (`--daytime.listen`).
    pub daytime: String,
    /// The counter service's address (`--counter.listen`).
    pub counter: String,
}

/// Everything the exporter needs to run, as the flags set it.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen, e.g. `:10013` (all interfaces) or `127.0.0.1:0`;
    /// one listener each.
    pub listen_addresses: Vec<String>,
    /// Take the listening sockets from systemd (fd 3 on) instead.
    pub systemd_socket: bool,
    /// Answer in plain text even when the request accepts gzip
    /// (`--web.disable-compression`).
    pub disable_compression: bool,
    /// The path that answers with every target's metrics, `/metrics` by
    /// default.
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
    /// How long a stop waits for scrapes in flight; `None` for the
    /// longest probe timeout and a second.
    pub shutdown_timeout: Option<Duration>,
    /// Subtracted from Prometheus's scrape timeout so that the answer
    /// arrives before Prometheus gives up.
    pub timeout_offset: Duration,
    /// Probes of one scrape that run at the same time, at most.
    pub scrape_concurrency: usize,
    /// The file of `--config.file`, read at start and at every reload.
    pub config_file: Option<String>,
    /// Targets given by `--target` (or the demo), which a reload keeps.
    pub targets: Vec<Target>,
    /// Rules given by `--probe.allow` (or the demo), which a reload keeps.
    pub allow: Vec<Rule>,
    /// The least important log lines written (`--log.level`).
    pub log_level: log::Level,
    /// How log lines are written (`--log.format`).
    pub log_format: log::Format,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen_addresses: vec![format!(":{DEFAULT_PORT}")],
            systemd_socket: false,
            disable_compression: false,
            telemetry_path: "/metrics".to_string(),
            max_connections: 256,
            max_requests: 40,
            read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            shutdown_timeout: None,
            timeout_offset: Duration::from_millis(500),
            scrape_concurrency: 128,
            config_file: None,
            targets: Vec::new(),
            allow: Vec::new(),
            log_level: log::Level::Info,
            log_format: log::Format::Logfmt,
        }
    }
}

/// What the configuration file and the flags set up, read afresh at start
/// and at every reload: the targets of `/metrics`, the modules and allow
/// rules of `/probe`. Plain data; once the targets' histories are attached
/// it becomes the [`Generation`](crate::state::Generation) in force.
#[derive(Clone, Debug, PartialEq)]
pub struct Setup {
    /// The targets of `/metrics`: the file's, then the flags'.
    pub targets: Vec<Target>,
    /// Who `/probe` may probe; empty turns `/probe` off.
    pub allow: Vec<Rule>,
    /// The modules of `/probe?module=NAME`: the built-in ones, each
    /// replaced by the file's module of the same name, then the file's
    /// others.
    pub modules: Vec<Module>,
    /// How many sections the configuration file holds; 0 without a file.
    /// A reload compares it with the running configuration's to refuse a
    /// file caught empty mid-write.
    pub file_sections: usize,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            targets: Vec::new(),
            allow: Vec::new(),
            modules: Module::builtins(),
            file_sections: 0,
        }
    }
}

/// Reads `--config.file` (if any) and joins it to the targets and rules
/// the flags gave. Called at start-up and at every reload; a mistake
/// names the file and line, or the flag.
pub fn load_setup(config: &Config) -> Result<Setup, ConfigError> {
    let mut setup = match &config.config_file {
        Some(path) => {
            let text = read_file(path)?;
            let file = parse_file(&text, path)?;
            let mut modules = Module::builtins();
            for module in file.modules {
                match modules.iter_mut().find(|builtin| builtin.name == module.name) {
                    Some(builtin) => *builtin = module,
                    None => modules.push(module),
                }
            }
            Setup {
                targets: file.targets,
                allow: file.allow,
                modules,
                file_sections: file.sections,
            }
        }
        None => Setup::default(),
    };
    for target in &config.targets {
        add_target(&mut setup.targets, target.clone())
            .map_err(|message| ConfigError::Flag { flag: "--target".to_string(), message })?;
    }
    setup.allow.extend(config.allow.iter().cloned());
    Ok(setup)
}

/// A configuration file is a few dozen lines; one larger than this is
/// some other file named by mistake.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// How long apart the configuration file is read twice: a file read the
/// same both times was not being written meanwhile.
pub const SETTLE_TIME: Duration = Duration::from_millis(10);

/// Reads of a changing file, at most, before a load gives up on it.
const MAX_READS: usize = 5;

/// Reads the configuration file until two reads, [`SETTLE_TIME`] apart,
/// agree. A writer that rewrites the file in place (`>` in a shell, most
/// editors' plain save) leaves it empty or half-written for a moment; a
/// load that read it then would take a few targets, or none, for the
/// whole configuration. Reading twice catches a writer in the middle of
/// its work; the moment between truncating and the first write, when the
/// file is empty and unchanging, is left to the reload's own rule (see
/// [`Generations::reload`](crate::state::Generations::reload)).
fn read_file(path: &str) -> Result<String, ConfigError> {
    let bytes = read_settled(|| read_once(path), SETTLE_TIME)
        .map_err(|message| ConfigError::Read { path: path.to_string(), message })?;
    String::from_utf8(bytes)
        .map_err(|_| ConfigError::Read { path: path.to_string(), message: "not UTF-8 text".into() })
}

/// Calls `read` until two calls, `pause` apart, give the same bytes.
fn read_settled(
    mut read: impl FnMut() -> Result<Vec<u8>, String>,
    pause: Duration,
) -> Result<Vec<u8>, String> {
    let mut last = read()?;
    for _ in 1..MAX_READS {
        std::thread::sleep(pause);
        let again = read()?;
        if again == last {
            return Ok(last);
        }
        last = again;
    }
    Err(format!("it changed at each of {MAX_READS} reads; it is being written, try again"))
}

/// Reads the configuration file once. It must be a regular file of at
/// most [`MAX_FILE_BYTES`]. Anything else is refused before it is read: a
/// FIFO would block until a writer comes, and a device such as
/// `/dev/zero` never ends, either of which would hang or exhaust a reload.
///
/// The file is opened without blocking (a FIFO's open would wait for a
/// writer) and then checked, so that what is checked is what is read,
/// even if the path is replaced meanwhile.
fn read_once(path: &str) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::OpenOptionsExt;
    // Linux's O_NONBLOCK, on every architecture we build for.
    const O_NONBLOCK: i32 = 0o4000;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)
        .map_err(|err| err.to_string())?;
    let metadata = file.metadata().map_err(|err| err.to_string())?;
    if !metadata.is_file() {
        return Err("not a regular file".to_string());
    }
    // The cap is on what is read, not on the size `fstat` gave: the file
    // may grow meanwhile. A regular file's reads never block.
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|err| err.to_string())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("larger than {} KiB", MAX_FILE_BYTES / 1024));
    }
    Ok(bytes)
}

/// A mistake on the command line or in the configuration file.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A flag that does not exist, lacks its value, or has a bad one.
    Flag {
        /// The flag, e.g. `--web.max-connections`.
        flag: String,
        /// What is wrong with it.
        message: String,
    },
    /// A line of the configuration file that is wrong.
    Line {
        /// The file's path, as given.
        path: String,
        /// The line's number, counted from 1.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The configuration file could not be read.
    Read {
        /// The file's path, as given.
        path: String,
        /// The error the system gave.
        message: String,
    },
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

/// A target or module name (`of` says which), as `--target`, `[target
/// NAME]` and `[module NAME]` take it.
fn check_name(of: &str, name: &str) -> Result<(), String> {
    let valid =
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(format!("{of} name `{name}` must be letters, digits, `_`, `.` or `-`"))
    }
}

/// Adds a target, unless its name is taken.
fn add_target(targets: &mut Vec<Target>, target: Target) -> Result<(), String> {
    if targets.iter().any(|existing| existing.name == target.name) {
        return Err(format!("target name `{}` is used twice", target.name));
    }
    targets.push(target);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that gives each of `texts` in turn, then the last again.
    fn reads<'a>(texts: &'a [&'a str]) -> impl FnMut() -> Result<Vec<u8>, String> + 'a {
        let mut next = 0;
        move || {
            let text = texts[next.min(texts.len() - 1)];
            next += 1;
            Ok(text.as_bytes().to_vec())
        }
    }

    #[test]
    fn a_file_is_taken_once_two_reads_agree() {
        let whole = "[target a]\nkind = daytime\naddress = h:1\n";
        // Caught empty, then half-written, then whole.
        let caught = ["", "[target a]\n", whole];
        assert_eq!(read_settled(reads(&caught), Duration::ZERO), Ok(whole.as_bytes().to_vec()));
        assert_eq!(read_settled(reads(&[whole]), Duration::ZERO), Ok(whole.as_bytes().to_vec()));
    }

    #[test]
    fn a_file_that_keeps_changing_is_refused() {
        let mut n = 0;
        let changing = || {
            n += 1;
            Ok(format!("# version {n}\n").into_bytes())
        };
        let err = read_settled(changing, Duration::ZERO).unwrap_err();
        assert!(err.contains("being written"), "{err}");
    }
}
