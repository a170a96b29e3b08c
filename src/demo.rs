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

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime};

use crate::log;
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
