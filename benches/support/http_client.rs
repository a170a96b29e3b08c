//! An HTTP/1.1 client that keeps its connection: requests go out as
//! written, responses are read by their `Content-Length` through a buffer
//! that keeps whatever arrived beyond one.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};

use super::IO_TIMEOUT;

/// A connection with [`IO_TIMEOUT`] on the connect and on every read and
/// write.
pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(stream)
}

/// A response as the client saw it.
pub struct Response {
    pub status: u16,
    /// The server said `Connection: close`.
    pub closes: bool,
    /// Its `Content-Encoding`, if it has one (`gzip`).
    pub encoding: Option<String>,
    pub body: String,
    /// The body as sent, for one that is not text (gzip).
    pub bytes: Vec<u8>,
}

/// One kept-alive connection.
pub struct Client {
    pub stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    /// Connects as [`connect`] does, and without Nagle's delay.
    pub fn connect(addr: SocketAddr) -> io::Result<Client> {
        let stream = connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Client { stream, buffer: Vec::with_capacity(16 * 1024) })
    }

    /// `GET path`, the connection kept alive.
    pub fn get(&mut self, path: &str) -> io::Result<Response> {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").as_bytes())
    }

    /// A GET that must answer 200; returns the body.
    pub fn get_ok(&mut self, path: &str) -> io::Result<String> {
        let response = self.get(path)?;
        if response.status == 200 {
            Ok(response.body)
        } else {
            Err(io::Error::other(format!("GET {path}: {}:\n{}", response.status, response.body)))
        }
    }

    /// Writes `request` as it is and reads one response.
    pub fn send(&mut self, request: &[u8]) -> io::Result<Response> {
        self.stream.write_all(request)?;
        self.read_response()
    }

    /// Reads one response: the head, then `Content-Length` bytes of body
    /// (none without the header).
    pub fn read_response(&mut self) -> io::Result<Response> {
        let head_end = self.fill_until(|buffer| find(buffer, b"\r\n\r\n").map(|at| at + 4))?;
        let head = String::from_utf8_lossy(&self.buffer[..head_end]).to_ascii_lowercase();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| io::Error::other(format!("bad status line in {head:?}")))?;
        let header = |name: &str| {
            head.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':').map(str::trim))
        };
        let length: usize = header("content-length").and_then(|n| n.parse().ok()).unwrap_or(0);
        let closes = header("connection") == Some("close");
        let encoding = header("content-encoding").map(str::to_string);
        self.fill_until(|buffer| (buffer.len() >= head_end + length).then_some(0))?;
        let bytes = self.buffer[head_end..head_end + length].to_vec();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        self.buffer.drain(..head_end + length);
        Ok(Response { status, closes, encoding, body, bytes })
    }

    /// Reads until `complete` finds what it needs in the buffer; returns
    /// what `complete` returned.
    fn fill_until(&mut self, complete: impl Fn(&[u8]) -> Option<usize>) -> io::Result<usize> {
        let mut chunk = [0; 64 * 1024];
        loop {
            if let Some(found) = complete(&self.buffer) {
                return Ok(found);
            }
            let read = self.stream.read(&mut chunk)?;
            if read == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection mid-response",
                ));
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }
}

/// Where `needle` first starts in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}
