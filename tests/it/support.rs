//! What every integration test needs: the real binary, started on port 0,
//! and a small HTTP client over a real socket.
//!
//! [`Exporter::start`] spawns `probe_exporter` (found by `assert_cmd`),
//! reads its first log lines until the one naming the bound address, and
//! kills the process when dropped, so a failing test leaves nothing behind.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Every read in the tests gives up after this long, so nothing hangs.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A running exporter process.
pub struct Exporter {
    child: Child,
    pub addr: SocketAddr,
    /// Log lines after the `listening` one, as they arrive.
    pub log: mpsc::Receiver<String>,
}

impl Exporter {
    /// Starts `probe_exporter --web.listen-address 127.0.0.1:0 ARGS...`.
    pub fn start(args: &[&str]) -> Exporter {
        let mut all_args = vec!["--web.listen-address", "127.0.0.1:0"];
        all_args.extend_from_slice(args);
        Exporter::start_raw(&all_args)
    }

    /// Starts the binary with exactly these arguments; it must log a
    /// `listening` line with its address.
    pub fn start_raw(args: &[&str]) -> Exporter {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("probe_exporter"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn probe_exporter");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (addr, log) = read_listening_address(stderr);
        match addr {
            Some(addr) => Exporter { child, addr, log },
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("probe_exporter {args:?} did not log a listening address");
            }
        }
    }

    /// Sends one `GET path` on a new connection and reads the response.
    pub fn get(&self, path: &str) -> Response {
        self.request(&format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"))
    }

    /// Sends raw bytes on a new connection and reads one response.
    pub fn request(&self, raw: &str) -> Response {
        let mut stream = self.connect();
        stream.write_all(raw.as_bytes()).expect("write request");
        read_response(&mut stream).expect("read response")
    }

    pub fn connect(&self) -> TcpStream {
        connect(self.addr)
    }

    /// The process id, for sending the exporter a signal.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads stderr lines until `msg="listening" address=...` (the exporter's,
/// not a demo service's); later lines keep flowing into the receiver.
fn read_listening_address(stderr: ChildStderr) -> (Option<SocketAddr>, mpsc::Receiver<String>) {
    let (addr_tx, addr_rx) = mpsc::channel();
    let (log_tx, log_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut addr_tx = Some(addr_tx);
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("msg=\"listening\"") && !line.contains("service=") {
                if let Some(tx) = addr_tx.take() {
                    let addr = line.rsplit("address=").next().and_then(|a| a.trim().parse().ok());
                    let _ = tx.send(addr);
                    continue;
                }
            }
            if addr_tx.is_none() {
                let _ = log_tx.send(line);
            }
        }
    });
    (addr_rx.recv_timeout(IO_TIMEOUT).ok().flatten(), log_rx)
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(IO_TIMEOUT)).expect("set read timeout");
    stream.set_write_timeout(Some(IO_TIMEOUT)).expect("set write timeout");
    stream
}

/// The server closed the connection: a read sees end-of-file, or a reset
/// when the server closed with some of our bytes unread.
#[track_caller]
pub fn assert_closed(stream: &mut TcpStream) {
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => {}
        Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("expected the connection to be closed, got {other:?}"),
    }
}

/// A response as the test saw it.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body as sent, for one that is not text (gzip).
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The value of the first sample line that starts with `series`
    /// followed by a space, e.g. `probe_success{target="a",kind="daytime"}`.
    pub fn sample(&self, series: &str) -> Option<f64> {
        self.body.lines().find_map(|line| {
            let value = line.strip_prefix(series)?.strip_prefix(' ')?;
            value.split(' ').next()?.parse().ok()
        })
    }
}

/// Reads one response (head, then `Content-Length` bytes of body) from a
/// stream that may carry more responses after it.
pub fn read_response(stream: &mut TcpStream) -> std::io::Result<Response> {
    read_response_to(stream, false)
}

/// Like [`read_response`], for the answer to a `HEAD` request: no body
/// follows, whatever `Content-Length` says.
pub fn read_head_response(stream: &mut TcpStream) -> std::io::Result<Response> {
    read_response_to(stream, true)
}

fn read_response_to(stream: &mut TcpStream, head_only: bool) -> std::io::Result<Response> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        // assert_cmd's timeouts install a SIGCHLD handler, so a child
        // exiting anywhere in the test binary can interrupt this read.
        let n = match stream.read(&mut byte) {
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            other => other?,
        };
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed before a whole head",
            ));
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; if head_only { 0 } else { length }];
    stream.read_exact(&mut body)?; // read_exact retries interrupted reads itself.
    Ok(Response { status, headers, body: String::from_utf8_lossy(&body).into_owned(), bytes: body })
}

/// A fixture service on 127.0.0.1:0 that runs `serve` for each accepted
/// connection, each on its own thread; for targets that misbehave.
pub struct Fixture {
    pub addr: SocketAddr,
}

impl Fixture {
    pub fn start(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> Fixture {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fixture");
        let addr = listener.local_addr().expect("fixture address");
        let serve = std::sync::Arc::new(serve);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let serve = std::sync::Arc::clone(&serve);
                thread::spawn(move || serve(stream));
            }
        });
        Fixture { addr }
    }

    /// A fixture that writes `reply` and closes.
    pub fn replying(reply: &'static [u8]) -> Fixture {
        Fixture::start(move |mut stream| {
            let _ = stream.write_all(reply);
        })
    }
}
