//! A small HTTP/1.1 client over a real socket: connect with timeouts,
//! build a request (any method, any headers, kept alive or not), read one
//! response at a time, so that keep-alive and pipelining can be tested.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use super::IO_TIMEOUT;

/// A loopback connection whose every connect, read and write gives up
/// after [`IO_TIMEOUT`].
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(IO_TIMEOUT)).expect("set read timeout");
    stream.set_write_timeout(Some(IO_TIMEOUT)).expect("set write timeout");
    stream
}

/// One request: a method, a target and header lines. It asks the server
/// to close the connection after answering, unless it is kept alive.
pub struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    keep_alive: bool,
}

impl Request {
    pub fn new(method: &str, target: &str) -> Request {
        Request {
            method: method.to_string(),
            target: target.to_string(),
            headers: vec![("Host".to_string(), "test".to_string())],
            keep_alive: false,
        }
    }

    pub fn get(target: &str) -> Request {
        Request::new("GET", target)
    }

    pub fn head(target: &str) -> Request {
        Request::new("HEAD", target)
    }

    /// A `POST` with an empty body.
    pub fn post(target: &str) -> Request {
        Request::new("POST", target).header("Content-Length", "0")
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Leaves the connection open after the response.
    pub fn keep_alive(mut self) -> Request {
        self.keep_alive = true;
        self
    }

    /// The request's bytes, as they go on the wire.
    pub fn text(&self) -> String {
        let mut text = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        for (name, value) in &self.headers {
            text += &format!("{name}: {value}\r\n");
        }
        if !self.keep_alive {
            text += "Connection: close\r\n";
        }
        text + "\r\n"
    }

    /// Sends the request on a new connection and reads the response.
    pub fn send(&self, addr: SocketAddr) -> Response {
        self.send_on(&mut connect(addr))
    }

    /// Sends the request on an open connection and reads one response,
    /// without a body if the request was a `HEAD`.
    pub fn send_on(&self, stream: &mut TcpStream) -> Response {
        stream.write_all(self.text().as_bytes()).expect("write request");
        let response = match self.method.as_str() {
            "HEAD" => read_head_response(stream),
            _ => read_response(stream),
        };
        response.expect("read response")
    }
}

/// Sends raw bytes on a new connection and reads one response.
pub fn request(addr: SocketAddr, raw: &str) -> Response {
    exchange(&mut connect(addr), raw)
}

/// Writes raw bytes on a connection that stays open and reads one answer.
pub fn exchange(stream: &mut TcpStream, raw: &str) -> Response {
    stream.write_all(raw.as_bytes()).expect("write request");
    read_response(stream).expect("read response")
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
