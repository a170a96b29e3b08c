//! The targets the exporter probes in the tests: fixture services on
//! loopback that behave or misbehave as a test asks, addresses that fail,
//! and the configuration section that names a target.

use std::fmt::Display;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

/// A daytime reply, as RFC 867 servers customarily write it (and the
/// talk's daytime service sends).
pub const DAYTIME_LINE: &[u8] = b"Sat Oct 31 18:15:12 2020\r\n";

/// A fixture service on 127.0.0.1:0 that runs `serve` for each accepted
/// connection, each on its own thread; for targets that misbehave.
pub struct Fixture {
    pub addr: SocketAddr,
}

impl Fixture {
    pub fn start(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> Fixture {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fixture");
        let addr = listener.local_addr().expect("fixture address");
        let serve = Arc::new(serve);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let serve = Arc::clone(&serve);
                thread::spawn(move || serve(stream));
            }
        });
        Fixture { addr }
    }

    /// A fixture that writes `reply` and closes.
    pub fn replying(reply: impl AsRef<[u8]> + Send + Sync + 'static) -> Fixture {
        Fixture::start(move |mut stream| {
            let _ = stream.write_all(reply.as_ref());
        })
    }
}

/// A host and port whose name no resolver can look up: a label may be at
/// most 63 bytes long (RFC 1035, section 2.3.4), so the lookup fails
/// before any query is sent, and the test stays off the network. The
/// `.invalid` top-level domain (RFC 6761, section 6.4) never resolves
/// anyway.
pub fn unresolvable_address() -> String {
    format!("{}.invalid:13", "x".repeat(64))
}

/// One `[target NAME]` section of a configuration file.
pub fn target_section(name: &str, kind: &str, address: impl Display, timeout: &str) -> String {
    format!("[target {name}]\nkind = {kind}\naddress = {address}\ntimeout = {timeout}\n\n")
}
