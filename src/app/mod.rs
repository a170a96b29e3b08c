//! The entry points: the life of the process (start, reload, drain,
//! stop), the routes it serves ([`routes`]) and the demo ([`demo`]).
//!
//! This is the top floor. It wires the floors below together: the
//! [`Generations`] of the configuration, the [`Routes`] that answer with
//! them, and the [`Server`] that serves those routes; nothing below
//! imports from here.
//!
//! `main` blocks the signals and parses the flags, then calls [`run`];
//! everything that can fail after that is an [`Error`] that `main` prints
//! and turns into the exit code. For the exporter, in order:
//!
//! 1. **Start.** Load the configuration (a mistake exits 2 before anything
//!    listens), raise the soft limit on open files to the hard one, bind
//!    every listen address or take the sockets systemd passed, start
//!    every thread (signals, server, watchdog), then log
//!    `listening` per address (a caller that asked for port 0 reads the
//!    port there, and finds the process whole) and tell systemd `READY=1`.
//! 2. **Run.** The main thread waits for events: `SIGHUP` reloads the
//!    configuration (as `POST /-/reload` does from a worker);
//!    `SIGTERM` or `SIGINT` stops.
//! 3. **Drain.** Log the signal, tell systemd `STOPPING=1`, and let the
//!    server answer what is in flight within the drain timeout
//!    ([`Server::shutdown`]). A second signal meanwhile exits at once.
//! 4. **Stop.** Log `exiting`; exit 0.

pub mod routes;
pub mod demo;

use std::fmt;
use std::io;
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6, TcpListener};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::config::{self, Command, Config, ConfigError, Setup, USAGE};
use crate::histogram::BucketsError;
use crate::log;
use crate::os::exhaustion;
use crate::os::signals::{self, Signal, Signals};
use crate::os::systemd::{self, ActivationError, Notifier};
use crate::process;
use crate::scrape;
use crate::server::{self, Drained, Server, Settings};
use crate::state::Generations;
use crate::target::{Zone, DEFAULT_TIMEOUT};
use crate::version;
use routes::Routes;

/// Why the process could not start or keep running.
#[derive(Debug)]
pub enum Error {
    /// The configuration file, or a flag it clashes with, is wrong.
    Config(ConfigError),
    /// A listen address could not be bound.
    Bind {
        /// The address as given, e.g. `:10013`.
        address: String,
        /// Why the system refused it.
        err: io::Error,
    },
    /// `--web.systemd-socket` was given but systemd passed no socket, or
    /// a bad one.
    Activation(Option<ActivationError>),
    /// A target's histogram buckets are invalid.
    Buckets(BucketsError),
    /// A thread could not be started.
    Thread(io::Error),
    /// The server stopped, which it should never do by itself.
    Stopped,
    /// What `--help`, `--version` or `--config.check` prints could not be
    /// written.
    Output(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(err) => err.fmt(f),
            Error::Bind { address, err } => write!(f, "cannot listen on {address}: {err}"),
            Error::Activation(None) => {
                f.write_str("--web.systemd-socket: systemd passed no socket (LISTEN_FDS)")
            }
            Error::Activation(Some(err)) => write!(f, "--web.systemd-socket: {err}"),
            Error::Buckets(err) => write!(f, "bad histogram buckets: {err}"),
            Error::Thread(err) => write!(f, "cannot start a thread: {err}"),
            Error::Stopped => f.write_str("the server stopped by itself"),
            Error::Output(err) => write!(f, "cannot write to standard output: {err}"),
        }
    }
}

impl std::error::Error for Error {}

/// Something to do once the server serves, such as starting the demo's
/// services.
pub type AfterStart = Box<dyn FnOnce(&Server) -> io::Result<()>>;

/// What the main thread waits for while the exporter runs.
pub enum Event {
    /// `SIGHUP`: read the configuration file again.
    Reload,
    /// `SIGTERM` or `SIGINT`: drain and stop.
    Stop(Signal),
    /// An accept loop ended by itself: a bug.
    ServerStopped,
}

/// Runs the command until the process is stopped. `signals` are the
/// signals `main` blocked before any thread was started, if it could.
pub fn run(command: Command, signals: Option<Signals>) -> Result<(), Error> {
    match command {
        Command::Help => print_out(USAGE),
        Command::Version => print_out(&format!("{}\n", version::print_text())),
        Command::CheckConfig(config) => check_config(&config),
        Command::Serve(config) => serve(config, Vec::new(), |_| {}, signals),
        Command::DaytimeServer { listen } => {
            demo::run_service("daytime", &listen, demo::spawn_daytime, signals)
        }
        Command::CounterServer { listen } => {
            demo::run_service("counter", &listen, demo::spawn_counter, signals)
        }
        Command::Demo(config, addresses) => demo::run(config, &addresses, signals),
    }
}

/// `--config.check`: what would be probed, on standard output.
fn check_config(config: &Config) -> Result<(), Error> {
    let setup = config::load_setup(config).map_err(Error::Config)?;
    let mut text = format!(
        "configuration is valid: {} targets, {} modules, {} allow rules\n",
        setup.targets.len(),
        setup.modules.len(),
        setup.allow.len()
    );
    for target in &setup.targets {
        text.push_str(&format!(
            "target {}: {} {} (timeout {:?})\n",
            target.name,
            target.kind.name(),
            target.address,
            target.timeout
        ));
    }
    for module in &setup.modules {
        text.push_str(&format!(
            "module {}: {} (timeout {:?})\n",
            module.name,
            module.kind.name(),
            module.timeout
        ));
    }
    for rule in &setup.allow {
        text.push_str(&format!("/probe allows {rule}\n"));
    }
    print_out(&text)
}

/// Writes a command's output. `println!` would panic when it cannot; a
/// reader that went away (`--config.check | head`) is no failure, as for
/// any Unix tool: the rest is simply not wanted.
fn print_out(text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => Err(Error::Output(err)),
        _ => Ok(()),
    }
}

/// Starts the exporter, serves until a signal stops it, and drains.
/// `after_start` runs once the server serves (the demo's services), and
/// `announce` once everything has started, after the `listening` lines.
pub fn serve(
    config: Config,
    after_start: Vec<AfterStart>,
    announce: fn(&Server),
    signals: Option<Signals>,
) -> Result<(), Error> {
    log::set_level(config.log_level);
    log::set_format(config.log_format);
    let setup = config::load_setup(&config).map_err(Error::Config)?;
    log_start(&config, &setup);
    // Before anything counts on it: the server shares it out at start.
    exhaustion::raise_file_limit();
    let listeners = listen(&config)?;

    let notifier = Notifier::from_env();
    let settings = server_settings(&config);
    let generations =
        Arc::new(Generations::new(config, setup, notifier.clone()).map_err(Error::Buckets)?);
    let routes = Arc::new(Routes::new(Arc::clone(&generations)));
    process::prepare();
    // Every thread of the process is started before `listening` is
    // logged: a client that connects on that line must not find the
    // process still starting, or exiting because a thread could not be had.
    let (events, next_event) = mpsc::channel();
    receive_signals(signals, events.clone())?;
    let server = Server::start(listeners, settings, routes, move || {
        let _ = events.send(Event::ServerStopped);
    })
    .map_err(Error::Thread)?;
    for start in after_start {
        start(&server).map_err(Error::Thread)?;
    }
    start_watchdog(&notifier)?;
    for address in server.local_addrs() {
        log::info("listening", &[("address", address)]);
    }
    announce(&server);
    notifier.status(&format!("serving on {}", server.local_addr()));
    notifier.ready();

    let stop = loop {
        match next_event.recv() {
            Ok(Event::Reload) => {
                let _ = generations.reload(); // Logged, and answered, by reload.
            }
            Ok(Event::Stop(signal)) => break signal,
            Ok(Event::ServerStopped) | Err(_) => {
                notifier.stopping();
                return Err(Error::Stopped);
            }
        }
    };
    log::info("received a signal; stopping gracefully", &[("signal", &stop)]);
    notifier.stopping();
    drain(server, &generations);
    log::info("exiting", &[]);
    Ok(())
}

/// How the server bounds its connections, from the flags, with room for
/// the descriptors scrapes may hold.
fn server_settings(config: &Config) -> Settings {
    Settings {
        max_connections: config.max_connections,
        read_timeout: config.read_timeout,
        idle_timeout: config.idle_timeout,
        handler_descriptors: scrape::descriptors_at_most(config),
    }
}

/// Logs what is starting: the version, the build, what was loaded.
fn log_start(config: &Config, setup: &Setup) {
    log::info(
        "starting probe_exporter",
        &[("version", &version::info()), ("build_context", &version::build_context())],
    );
    let file = config.config_file.as_deref().unwrap_or("none");
    log::info(
        "loaded the configuration",
        &[("file", &file), ("targets", &setup.targets.len()), ("allow_rules", &setup.allow.len())],
    );
}

/// Lets the server finish what is in flight, within the drain timeout.
fn drain(server: Server, generations: &Generations) {
    let timeout = drain_timeout(generations);
    match server.shutdown(timeout) {
        Drained::Completely => {}
        Drained::TimedOut { connections_left } => log::warn(
            "the drain timed out; cutting the connections left",
            &[("timeout", &format!("{timeout:?}")), ("connections", &connections_left)],
        ),
    }
}

/// `--web.shutdown-timeout`, or by default a second more than the longest
/// probe can take, so that a scrape in flight is answered.
fn drain_timeout(generations: &Generations) -> Duration {
    if let Some(timeout) = generations.config().shutdown_timeout {
        return timeout;
    }
    let current = generations.current();
    let longest = current.targets.iter().map(|target| target.timeout).max();
    longest.unwrap_or(DEFAULT_TIMEOUT).max(DEFAULT_TIMEOUT) + Duration::from_secs(1)
}

/// Turns signals into events on a thread of their own: `SIGHUP` reloads,
/// `SIGTERM` and `SIGINT` stop, and a second stop signal exits at once.
pub fn receive_signals(signals: Option<Signals>, events: Sender<Event>) -> Result<(), Error> {
    let Some(signals) = signals else {
        log::warn("signals could not be blocked; SIGHUP and SIGTERM act as the OS default", &[]);
        return Ok(());
    };
    let mut stopping = false;
    signals::spawn_receiver(signals, move |signal| match signal {
        Signal::Hangup => {
            let _ = events.send(Event::Reload);
        }
        Signal::Terminate | Signal::Interrupt if stopping => exit_at_once(signal),
        Signal::Terminate | Signal::Interrupt => {
            stopping = true;
            let _ = events.send(Event::Stop(signal));
        }
    })
    .map_err(Error::Thread)?;
    Ok(())
}

/// The second stop signal: no more waiting. The exit status is the one a
/// shell reports for a process the signal killed (128 + its number).
fn exit_at_once(signal: Signal) -> ! {
    log::warn("received a second signal; exiting at once", &[("signal", &signal)]);
    std::process::exit(128 + signal.number());
}

/// Tells systemd, every half of its `WatchdogSec=`, that the process is
/// alive, on a thread of its own; nothing without a watchdog.
fn start_watchdog(notifier: &Notifier) -> Result<(), Error> {
    if let Some(interval) = notifier.watchdog_interval() {
        let notifier = notifier.clone();
        thread::Builder::new()
            .name("watchdog".to_string())
            .spawn(move || loop {
                notifier.watchdog();
                thread::sleep(interval);
            })
            .map_err(Error::Thread)?;
    }
    Ok(())
}

/// The sockets systemd passed, or one bound for each listen address.
fn listen(config: &Config) -> Result<Vec<TcpListener>, Error> {
    if config.systemd_socket {
        return match systemd::take_activated_listeners() {
            Ok(listeners) if listeners.is_empty() => Err(Error::Activation(None)),
            Ok(listeners) => Ok(listeners),
            Err(err) => Err(Error::Activation(Some(err))),
        };
    }
    config
        .listen_addresses
        .iter()
        .map(|address| bind(address).map_err(|err| Error::Bind { address: address.clone(), err }))
        .collect()
}

/// Binds a listen address the flags checked: a zoned one here, with the
/// interface's index read now (std reads only a numeric zone, and only
/// in a socket address), any other as the server binds it.
fn bind(address: &str) -> io::Result<TcpListener> {
    match zoned_socket_addr(address)? {
        Some(addr) => TcpListener::bind(addr),
        None => server::bind(address),
    }
}

/// `[fe80::1%eth0]:PORT` or `[fe80::1%2]:PORT` as a socket address whose
/// scope is the interface's index; `None` for an address without a zone.
pub fn zoned_socket_addr(address: &str) -> io::Result<Option<SocketAddr>> {
    let invalid = |message: String| io::Error::new(io::ErrorKind::InvalidInput, message);
    let Some((host, port)) = address.strip_prefix('[').and_then(|rest| rest.split_once("]:"))
    else {
        return Ok(None);
    };
    let Some((ip, zone)) = host.split_once('%') else {
        return Ok(None);
    };
    let ip: Ipv6Addr = ip.parse().map_err(|_| invalid(format!("`{ip}` is not an IPv6 address")))?;
    let zone = Zone::parse(ip, zone).map_err(|err| invalid(err.to_string()))?;
    let index = zone.index().map_err(|err| invalid(format!("`%{zone}`: {err}")))?;
    let port = port.parse().map_err(|_| invalid(format!("`{port}` is not a port")))?;
    Ok(Some(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, index))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zoned_listen_address_binds_with_the_interfaces_index() {
        let scoped = |text: &str| match zoned_socket_addr(text) {
            Ok(Some(SocketAddr::V6(addr))) => Some((addr.ip().to_string(), addr.scope_id())),
            other => panic!("{text}: {other:?}"),
        };
        // `lo` is interface 1 on Linux.
        assert_eq!(scoped("[fe80::1%lo]:9"), Some(("fe80::1".to_string(), 1)));
        assert_eq!(scoped("[fe80::1%7]:9"), Some(("fe80::1".to_string(), 7)));
        for unzoned in ["[::1]:9", "127.0.0.1:9", ":9", "localhost:9"] {
            assert!(matches!(zoned_socket_addr(unzoned), Ok(None)), "{unzoned}");
        }
        assert!(zoned_socket_addr("[fe80::1%no-such-if]:9").is_err());
    }
}
