//! The exporter's log as a test reads it: every line of standard error,
//! drained on a thread of its own so that a full pipe never blocks the
//! exporter, handed out with a deadline on every wait.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::ChildStderr;
use std::sync::mpsc::{self, Receiver};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// The lines an exporter writes to standard error, in order.
pub struct ExporterLog {
    lines: Receiver<String>,
    /// Every line handed out so far, for a test that wants them all.
    read: Mutex<Vec<String>>,
}

impl ExporterLog {
    /// Reads `stderr` to its end on a thread of its own.
    pub fn follow(stderr: ChildStderr) -> ExporterLog {
        let (line_tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = line_tx.send(line);
            }
        });
        ExporterLog { lines, read: Mutex::new(Vec::new()) }
    }

    /// The next line, if one comes within `patience`.
    pub fn next_line(&self, patience: Duration) -> Option<String> {
        let line = self.lines.recv_timeout(patience).ok()?;
        self.read.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(line.clone());
        Some(line)
    }

    /// The first line containing `text` within `patience`.
    pub fn wait_for(&self, text: &str, patience: Duration) -> Option<String> {
        self.lines_until(text, patience).pop().filter(|line| line.contains(text))
    }

    /// The lines that arrive within `patience`, until one contains `text`
    /// (included), or all of them if none does.
    pub fn lines_until(&self, text: &str, patience: Duration) -> Vec<String> {
        let deadline = Instant::now() + patience;
        let mut lines = Vec::new();
        while let Some(line) = self.next_line(deadline.saturating_duration_since(Instant::now())) {
            let found = line.contains(text);
            lines.push(line);
            if found {
                break;
            }
        }
        lines
    }

    /// The lines to the end of the log, when the process has closed its
    /// standard error (it exited), or as far as `patience` lets.
    pub fn to_end(&self, patience: Duration) -> Vec<String> {
        let deadline = Instant::now() + patience;
        let mut lines = Vec::new();
        while let Some(line) = self.next_line(deadline.saturating_duration_since(Instant::now())) {
            lines.push(line);
        }
        lines
    }

    /// The lines that come until none has for `pause`.
    pub fn until_quiet(&self, pause: Duration) -> Vec<String> {
        std::iter::from_fn(|| self.next_line(pause)).collect()
    }

    /// Every line read so far, by any of the above.
    pub fn read_so_far(&self) -> Vec<String> {
        self.read.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// The addresses of the first `count` `listening` lines within
    /// `patience`; `None` if fewer came.
    pub fn listening_addresses(&self, count: usize, patience: Duration) -> Option<Vec<SocketAddr>> {
        let deadline = Instant::now() + patience;
        let mut addrs = Vec::new();
        while addrs.len() < count {
            let line = self.next_line(deadline.saturating_duration_since(Instant::now()))?;
            addrs.extend(listening_address(&line));
        }
        Some(addrs)
    }
}

/// The address of the exporter's `listening` line, in either log format
/// (a demo service's, which names its `service`, is not the exporter's).
pub fn listening_address(line: &str) -> Option<SocketAddr> {
    let listening = line.contains("msg=\"listening\"") || line.contains("\"msg\":\"listening\"");
    if !listening || line.contains("service") {
        return None;
    }
    let value = line.split("address").nth(1)?;
    let value = value.trim_start_matches(['=', '"', ':']);
    value.split(['"', ' ', '}']).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::listening_address;

    #[test]
    fn the_listening_line_gives_its_address_in_both_formats() {
        let logfmt = "ts=2026-12-01T21:26:25.855Z level=info msg=\"listening\" address=[::1]:9";
        assert_eq!(listening_address(logfmt), Some("[::1]:9".parse().unwrap()));
        let json = "{\"ts\":\"2026-12-01T21:26:25.855Z\",\"level\":\"info\",\"msg\":\"listening\",\
                    \"address\":\"127.0.0.1:9\"}";
        assert_eq!(listening_address(json), Some("127.0.0.1:9".parse().unwrap()));
        let demo = "level=info msg=\"listening\" service=daytime address=127.0.0.1:13";
        assert_eq!(listening_address(demo), None);
    }
}
