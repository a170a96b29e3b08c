//! The demo services: the two services of the talk, so that the exporter
//! has something real to probe the moment it is started.
//!
//! - A daytime service (RFC 867): to each connection it writes the current
//!   UTC time as `Sat Oct 31 18:15:12 2020` and a CRLF, then closes.
//! - A counter service: to each connection it writes
//!   `{"launched": "<its start time>", "requests": <connections so far>}`
//!   and closes. Restart it and the count starts again from 1, with a new
//!   launch time: the counter reset that `_created` makes visible.
//!
//! Each answer is a few dozen bytes written to a fresh socket, so both
//! services answer from their accepting thread, with a write timeout.
//!
//! The demo wires them to an exporter ([`run`]): both services on their
//! own ports, each a target and allowed to `/probe`, and a last log line
//! that says where to look. Each service also runs alone
//! (`daytime-server`, `counter-server`; [`run_service`]), and the
//! benches and tests use them as real services to probe.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime};

use super::{receive_signals, zoned_socket_addr, AfterStart, Error, Event};
use crate::config::{Config, DemoAddresses};
use crate::log;
use crate::os::signals::Signals;
use crate::server::Server;
use crate::target::allow::Rule;
use crate::target::{Address, CounterSpec, DaytimeSpec, Kind, Target};
use crate::time::format;

const WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// Starts the daytime service on `listener`, in a thread of its own.
pub fn spawn_daytime(listener: TcpListener) -> io::Result<JoinHandle<()>> {
    thread::Builder::new().name("daytime".to_string()).spawn(move || {
        serve_each(&listener, |_| format!("{}\r\n", format::format_ctime(SystemTime::now())))
    })
}

/// Starts the counter service on `listener`, in a thread of its own.
pub fn spawn_counter(listener: TcpListener) -> io::Result<JoinHandle<()>> {
    let launched = format::format_iso8601_micros(SystemTime::now());
    thread::Builder::new()
        .name("counter".to_string())
        .spawn(move || serve_each(&listener, |requests| counter_reply(&launched, requests)))
}

/// The counter service's reply, as the talk shows it.
pub fn counter_reply(launched: &str, requests: u64) -> String {
    format!("{{\"launched\": \"{launched}\", \"requests\": {requests}}}\n")
}

/// Writes `reply(n)` to the n-th connection (counting from 1), closes it.
fn serve_each(listener: &TcpListener, reply: impl Fn(u64) -> String) {
    let mut served = 0;
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                served += 1;
                if let Err(err) = answer(stream, &reply(served)) {
                    log::debug("demo service could not answer", &[("err", &err)]);
                }
            }
            Err(err) => {
                log::warn("demo service accept failed", &[("err", &err)]);
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

fn answer(mut stream: TcpStream, reply: &str) -> io::Result<()> {
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    stream.write_all(reply.as_bytes())?;
    stream.shutdown(std::net::Shutdown::Write)
}

/// One demo service alone, until a stop signal.
pub fn run_service(
    name: &str,
    address: &str,
    spawn: fn(TcpListener) -> io::Result<thread::JoinHandle<()>>,
    signals: Option<Signals>,
) -> Result<(), Error> {
    let listener = bind_demo(address)?;
    let bound =
        listener.local_addr().map_err(|err| Error::Bind { address: address.to_string(), err })?;
    let (events, stop) = mpsc::channel();
    receive_signals(signals, events)?;
    let _service = spawn(listener).map_err(Error::Thread)?;
    log::info("listening", &[("service", &name), ("address", &bound)]);
    // A service has nothing to drain or reload: the first stop ends it.
    while let Ok(Event::Reload) = stop.recv() {}
    log::info("exiting", &[]);
    Ok(())
}

/// Both demo services, and an exporter that probes them and lets
/// `/probe` reach them. The services' sockets are bound first, so their
/// addresses are known; their threads start after the exporter's
/// sockets are taken, because taking a socket from systemd must happen
/// while no other thread runs.
pub fn run(
    mut config: Config,
    addresses: &DemoAddresses,
    signals: Option<Signals>,
) -> Result<(), Error> {
    let daytime = bind_demo(&addresses.daytime)?;
    let counter = bind_demo(&addresses.counter)?;
    let demo_targets = [
        ("clock", Kind::Daytime(DaytimeSpec::default()), &daytime, &addresses.daytime),
        ("app", Kind::Counter(CounterSpec::default()), &counter, &addresses.counter),
    ];
    for (name, kind, listener, asked_for) in demo_targets {
        let bound =
            listener.local_addr().map_err(|err| Error::Bind { address: asked_for.clone(), err })?;
        let address = Address::new(&bound.ip().to_string(), bound.port());
        log::info("demo service listening", &[("service", &kind.name()), ("address", &address)]);
        config.allow.push(Rule::exactly(&address));
        config.targets.push(Target::new(name, kind, address));
    }
    let start_services: Vec<AfterStart> = vec![
        Box::new(move |_| spawn_daytime(daytime).map(drop)),
        Box::new(move |_| spawn_counter(counter).map(drop)),
    ];
    super::serve(config, start_services, announce_demo, signals)
}

/// The demo's last start-up line: where a newcomer finds the metrics.
fn announce_demo(server: &Server) {
    let url = format!("http://localhost:{}/metrics", server.local_addr().port());
    log::info("demo ready: open the metrics in a browser or with curl", &[("url", &url)]);
}

fn bind_demo(address: &str) -> Result<TcpListener, Error> {
    let zoned = zoned_socket_addr(address)
        .map_err(|err| Error::Bind { address: address.to_string(), err })?;
    match zoned {
        Some(addr) => TcpListener::bind(addr),
        None => TcpListener::bind(address),
    }
    .map_err(|err| Error::Bind { address: address.to_string(), err })
}
