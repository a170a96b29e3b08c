//! From a parsed command line to a running process.
//!
//! `main` parses flags and calls [`run`]; everything that can fail after
//! that is an [`Error`] that `main` prints and turns into the exit code.
//! The order of start-up matters: bind (or take the socket from systemd)
//! first, log the bound address, then tell systemd we are ready. A caller
//! that asked for port 0 reads the `msg="listening"` line to learn the
//! port (in the demo, the services' lines come first).

use std::fmt;
use std::io;
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;

use crate::allow::Rule;
use crate::config::{Command, Config, DemoAddresses, USAGE};
use crate::demo;
use crate::exporter::Exporter;
use crate::histogram::BucketsError;
use crate::log;
use crate::server::{self, Server};
use crate::systemd::{self, ActivationError, Notifier};
use crate::target::{Address, CounterSpec, Kind, Target};

/// Why the process could not start or keep running.
#[derive(Debug)]
pub enum Error {
    /// The listen address could not be bound.
    Bind { address: String, err: io::Error },
    /// `--web.systemd-socket` was given but systemd passed no socket, or
    /// a bad one.
    Activation(Option<ActivationError>),
    /// A target's histogram buckets are invalid.
    Buckets(BucketsError),
    /// A thread could not be started.
    Thread(io::Error),
    /// The server stopped, which it should never do by itself.
    Stopped(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Bind { address, err } => write!(f, "cannot listen on {address}: {err}"),
            Error::Activation(None) => {
                f.write_str("--web.systemd-socket: systemd passed no socket (LISTEN_FDS)")
            }
            Error::Activation(Some(err)) => write!(f, "--web.systemd-socket: {err}"),
            Error::Buckets(err) => write!(f, "bad histogram buckets: {err}"),
            Error::Thread(err) => write!(f, "cannot start a thread: {err}"),
            Error::Stopped(err) => write!(f, "the server stopped: {err}"),
        }
    }
}

impl std::error::Error for Error {}

/// Runs the command until the process is stopped.
pub fn run(command: Command) -> Result<(), Error> {
    match command {
        Command::Help => {
            print!("{USAGE}");
            Ok(())
        }
        Command::Version => {
            println!("probe_exporter {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Serve(config) => serve(config),
        Command::DaytimeServer { listen } => run_service("daytime", &listen, demo::spawn_daytime),
        Command::CounterServer { listen } => run_service("counter", &listen, demo::spawn_counter),
        Command::Demo(config, addresses) => run_demo(config, &addresses),
    }
}

/// Binds, starts the server, and serves until the process is stopped.
pub fn serve(config: Config) -> Result<(), Error> {
    let (server, notifier) = start(config)?;
    stop_when_done(server, &notifier)
}

/// Waits while the server runs; should it stop, tells systemd first.
fn stop_when_done(server: Server, notifier: &Notifier) -> Result<(), Error> {
    let result = server.wait().map_err(Error::Stopped);
    notifier.stopping();
    result
}

/// Binds and starts the server, logs where it listens, and tells systemd
/// (if it is watching) that the exporter is ready.
fn start(config: Config) -> Result<(Server, Notifier), Error> {
    log::set_level(if config.debug_log { log::Level::Debug } else { log::Level::Info });
    let listener = listen(&config)?;
    let exporter = Arc::new(Exporter::new(config).map_err(Error::Buckets)?);
    let server = Server::start(listener, exporter).map_err(Error::Thread)?;
    log::info("listening", &[("address", &server.local_addr())]);

    let notifier = Notifier::from_env();
    notifier.status(&format!("serving on {}", server.local_addr()));
    notifier.ready();
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
    Ok((server, notifier))
}

fn listen(config: &Config) -> Result<TcpListener, Error> {
    if config.systemd_socket {
        return match systemd::take_activated_listener() {
            Ok(Some(listener)) => Ok(listener),
            Ok(None) => Err(Error::Activation(None)),
            Err(err) => Err(Error::Activation(Some(err))),
        };
    }
    server::bind(&config.listen_address)
        .map_err(|err| Error::Bind { address: config.listen_address.clone(), err })
}

fn run_service(
    name: &str,
    address: &str,
    spawn: fn(TcpListener) -> io::Result<thread::JoinHandle<()>>,
) -> Result<(), Error> {
    let listener = TcpListener::bind(address)
        .map_err(|err| Error::Bind { address: address.to_string(), err })?;
    let bound =
        listener.local_addr().map_err(|err| Error::Bind { address: address.to_string(), err })?;
    let handle = spawn(listener).map_err(Error::Thread)?;
    log::info("listening", &[("service", &name), ("address", &bound)]);
    let _ = handle.join();
    Ok(())
}

/// Both demo services, and an exporter that probes them and lets
/// `/probe` reach them. The services' sockets are bound first, so their
/// addresses are known; their threads start after the exporter, because
/// taking a socket from systemd must happen while no other thread runs.
fn run_demo(mut config: Config, addresses: &DemoAddresses) -> Result<(), Error> {
    let daytime = bind_demo(&addresses.daytime)?;
    let counter = bind_demo(&addresses.counter)?;
    let demo_targets = [
        ("clock", Kind::Daytime, &daytime, &addresses.daytime),
        ("app", Kind::Counter(CounterSpec::default()), &counter, &addresses.counter),
    ];
    for (name, kind, listener, asked_for) in demo_targets {
        let bound =
            listener.local_addr().map_err(|err| Error::Bind { address: asked_for.clone(), err })?;
        let address = Address { host: bound.ip().to_string(), port: bound.port() };
        log::info("demo service listening", &[("service", &kind.name()), ("address", &address)]);
        config.allow.push(Rule::Host { pattern: address.host.clone(), port: Some(address.port) });
        config.targets.push(Target::new(name, kind, address));
    }
    let (server, notifier) = start(config)?;
    demo::spawn_daytime(daytime).map_err(Error::Thread)?;
    demo::spawn_counter(counter).map_err(Error::Thread)?;
    let url = format!("http://localhost:{}/metrics", server.local_addr().port());
    log::info("demo ready: open the metrics in a browser or with curl", &[("url", &url)]);
    stop_when_done(server, &notifier)
}

fn bind_demo(address: &str) -> Result<TcpListener, Error> {
    TcpListener::bind(address).map_err(|err| Error::Bind { address: address.to_string(), err })
}
