//! The requests the figures repeat, and what their answers must hold.

use std::process::Command;

use crate::gzip::filter;
use crate::protobuf_reader::metric_families;
use crate::support::http_client::Client;
use crate::support::Result;

impl Client {
    /// A scrape in which each of `targets` probes succeeded, so that no
    /// figure is the cost of a failure.
    pub fn scrape(&mut self, path: &str, targets: usize) -> Result<String> {
        let body = self.get_ok(path)?;
        let succeeded = count_successes(&body);
        if succeeded == targets {
            Ok(body)
        } else {
            Err(format!("GET {path}: {succeeded} of {targets} probes succeeded").into())
        }
    }

    /// A `/probe` that succeeded.
    pub fn probe(&mut self, path: &str) -> Result<String> {
        let body = self.get_ok(path)?;
        if body.contains("\nprobe_success 1\n") {
            Ok(body)
        } else {
            Err(format!("GET {path}: no probe_success 1 in:\n{body}").into())
        }
    }
}

/// The `probe_success{...} 1` samples of a `/metrics` body.
pub fn count_successes(body: &str) -> usize {
    body.lines().filter(|line| line.starts_with("probe_success{") && line.ends_with("} 1")).count()
}

/// A format a scrape can ask for by its `Accept` header.
#[derive(Clone, Copy, PartialEq)]
pub enum Wire {
    /// Prometheus text 0.0.4, what a scrape without `Accept` gets.
    Text,
    /// OpenMetrics 1.0.0.
    OpenMetrics,
    /// Delimited `MetricFamily` messages.
    Protobuf,
}

impl Wire {
    pub const ALL: [Wire; 3] = [Wire::Text, Wire::OpenMetrics, Wire::Protobuf];

    pub fn name(self) -> &'static str {
        match self {
            Wire::Text => "text",
            Wire::OpenMetrics => "OpenMetrics",
            Wire::Protobuf => "protobuf",
        }
    }

    /// The `Accept` header that asks for this format alone.
    fn accept(self) -> &'static str {
        match self {
            Wire::Text => "text/plain;version=0.0.4",
            Wire::OpenMetrics => "application/openmetrics-text;version=1.0.0",
            Wire::Protobuf => {
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
            }
        }
    }

    /// The `probe_success` samples of value 1 in a body of this format;
    /// an error if the body is not of this format.
    pub fn successes(self, body: &[u8]) -> Result<usize> {
        match self {
            Wire::Text | Wire::OpenMetrics => self.text_successes(body),
            Wire::Protobuf => protobuf_successes(body),
        }
    }

    /// A text body: OpenMetrics ends in `# EOF`, text 0.0.4 does not.
    fn text_successes(self, body: &[u8]) -> Result<usize> {
        let ends_in_eof = body.ends_with(b"# EOF\n");
        if ends_in_eof != (self == Wire::OpenMetrics) {
            let how = if ends_in_eof { "ending in" } else { "without" };
            return Err(format!("a {} answer {how} `# EOF`", self.name()).into());
        }
        Ok(count_successes(&String::from_utf8_lossy(body)))
    }
}

/// The `probe_success` gauges at 1 of a delimited protobuf body, as the
/// tests' reader reads it (strictly: a stray byte is an error).
fn protobuf_successes(body: &[u8]) -> Result<usize> {
    let families = metric_families(body)?;
    let Some(success) = families.iter().find(|family| family.name == "probe_success") else {
        return Ok(0);
    };
    Ok(success.metrics.iter().filter(|metric| metric.gauge == Some(1.0)).count())
}

/// What a scrape asks for: a format, plain or gzipped.
#[derive(Clone, Copy)]
pub struct Ask {
    pub wire: Wire,
    pub gzip: bool,
}

impl Ask {
    /// `text`, `protobuf gzip`, ...
    pub fn name(self) -> String {
        format!("{}{}", self.wire.name(), if self.gzip { " gzip" } else { "" })
    }

    fn request(self) -> String {
        let encoding = if self.gzip { "gzip" } else { "identity" };
        format!(
            "GET /metrics HTTP/1.1\r\nHost: bench\r\nAccept: {}\r\nAccept-Encoding: {encoding}\r\n\r\n",
            self.wire.accept()
        )
    }
}

impl Client {
    /// `GET /metrics` as `ask` says; the body as sent, which must come
    /// back 200 in the coding asked for. That is all it checks, alike for
    /// every format and coding, so that figures comparing their CPU ask
    /// the same little of the client; what one answer holds is checked by
    /// [`Client::scrape_checked`].
    pub fn scrape_as(&mut self, ask: Ask) -> Result<Vec<u8>> {
        let response = self.send(ask.request().as_bytes())?;
        let gzipped = response.encoding.as_deref() == Some("gzip");
        if response.status != 200 || gzipped != ask.gzip {
            return Err(format!(
                "asked for {}, got {} with Content-Encoding {:?}",
                ask.name(),
                response.status,
                response.encoding
            )
            .into());
        }
        Ok(response.bytes)
    }

    /// As [`Client::scrape_as`], and the answer, read back by the system's
    /// `gzip -d` if gzipped, must be in the format asked for and hold
    /// `targets` successful probes.
    pub fn scrape_checked(&mut self, ask: Ask, targets: usize) -> Result<Vec<u8>> {
        let body = self.scrape_as(ask)?;
        let plain = if ask.gzip { gunzip(&body)? } else { body.clone() };
        check_successes(ask.wire, &plain, targets)?;
        Ok(body)
    }
}

fn check_successes(wire: Wire, body: &[u8], targets: usize) -> Result<()> {
    let succeeded = wire.successes(body)?;
    if succeeded == targets {
        Ok(())
    } else {
        Err(format!("{}: {succeeded} of {targets} probes succeeded", wire.name()).into())
    }
}

/// `body` inflated by the system's `gzip -d`.
pub fn gunzip(body: &[u8]) -> Result<Vec<u8>> {
    filter(Command::new("gzip").arg("-dc"), body)
}
