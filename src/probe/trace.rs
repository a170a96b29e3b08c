//! Why a probe failed, step by step: the log of `/probe?…&debug=true`.
//!
//! blackbox_exporter answers a debug probe with the probe's own log lines,
//! then the metrics it would have returned, then the module's settings.
//! This writes the first part from a [`Report`]: one line per step reached,
//! in the same logfmt as the process's log, each carrying the module and
//! the target, and timed from the probe's start plus the steps before it.

use std::fmt::Display;
use std::time::Duration;

use super::{Phase, Report};
use crate::log::{self, Format, Level};
use crate::target::Target;

/// The "Logs for the probe:" section, ending in a newline.
pub fn debug_log(report: &Report, target: &Target, module: &str) -> String {
    let mut trace = Trace { report, target, module, elapsed: Duration::ZERO, text: String::new() };
    trace.text.push_str("Logs for the probe:\n");
    let timeout = report.timeout.as_secs_f64();
    trace.line(Level::Info, "Beginning probe", &[("timeout_seconds", &timeout)]);
    let steps = report.steps;
    if let Some(took) = steps.resolve {
        trace.line(Level::Info, "Resolving target address", &[("host", &target.address.host)]);
        trace.elapsed += took;
        if report.peer.is_some() {
            let ip = report.peer.map(|peer| peer.ip().to_string()).unwrap_or_default();
            trace.step_done("Resolved target address", took, &[("ip", &ip)]);
        }
    }
    if let Some(took) = steps.connect {
        trace.elapsed += took;
        if steps.read.is_some() {
            let peer = report.peer.map(|peer| peer.to_string()).unwrap_or_default();
            trace.step_done("Connected", took, &[("peer", &peer)]);
        }
    }
    if let Some(took) = steps.read {
        trace.elapsed += took;
        if steps.parse.is_some() {
            trace.step_done("Read the reply", took, &[("bytes", &report.reply_bytes)]);
        }
    }
    if let Some(took) = steps.parse {
        trace.elapsed += took;
        if report.result.is_ok() {
            trace.step_done("Parsed the reply", took, &[]);
        }
    }
    trace.elapsed = report.duration;
    let duration = report.duration.as_secs_f64();
    match &report.result {
        Ok(_) => trace.line(Level::Info, "Probe succeeded", &[("duration_seconds", &duration)]),
        Err(err) => {
            let phase: Phase = err.phase();
            trace.line(
                Level::Error,
                "Probe failed",
                &[("phase", &phase), ("err", err), ("duration_seconds", &duration)],
            );
        }
    }
    trace.text
}

/// The lines written so far, and the time into the probe of the next one.
struct Trace<'a> {
    report: &'a Report,
    target: &'a Target,
    module: &'a str,
    elapsed: Duration,
    text: String,
}

impl Trace<'_> {
    fn line(&mut self, level: Level, msg: &str, fields: &[(&str, &dyn Display)]) {
        let address = self.target.address.to_string();
        let mut all: Vec<(&str, &dyn Display)> =
            vec![("module", &self.module), ("target", &address)];
        all.extend_from_slice(fields);
        let time = self.report.started_at + self.elapsed;
        self.text.push_str(&log::format_line(Format::Logfmt, time, level, msg, &all));
    }

    fn step_done(&mut self, msg: &str, took: Duration, fields: &[(&str, &dyn Display)]) {
        let seconds = took.as_secs_f64();
        let mut all: Vec<(&str, &dyn Display)> = fields.to_vec();
        all.push(("duration_seconds", &seconds));
        self.line(Level::Info, msg, &all);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{ProbeError, Reading, Steps};
    use crate::target::DaytimeSpec;
    use crate::target::{Address, Kind};
    use std::time::UNIX_EPOCH;

    fn report(steps: Steps, result: Result<Reading, ProbeError>) -> Report {
        Report {
            duration: Duration::from_millis(3),
            timeout: Duration::from_secs(5),
            result,
            started_at: UNIX_EPOCH + Duration::from_secs(1_796_000_000),
            steps,
            peer: Some("127.0.0.1:13".parse().unwrap()),
            looked_up: false,
            reply_bytes: 26,
        }
    }

    fn target() -> Target {
        Target::new("t", Kind::Daytime(DaytimeSpec::default()), Address::new("127.0.0.1", 13))
    }

    const MS: Option<Duration> = Some(Duration::from_millis(1));

    #[test]
    fn a_success_has_a_line_per_step() {
        let steps = Steps { resolve: MS, connect: MS, read: MS, parse: MS };
        let line = "Sat Oct 31 18:15:12 2020".to_string();
        let line = Reading::Daytime { line, remote_time: None };
        let text = debug_log(&report(steps, Ok(line)), &target(), "daytime");
        let msgs: Vec<&str> = text
            .lines()
            .skip(1)
            .filter_map(|l| l.split("msg=\"").nth(1)?.split('"').next())
            .collect();
        assert_eq!(
            msgs,
            [
                "Beginning probe",
                "Resolving target address",
                "Resolved target address",
                "Connected",
                "Read the reply",
                "Parsed the reply",
                "Probe succeeded"
            ]
        );
        assert!(text.starts_with("Logs for the probe:\n"), "{text}");
        assert!(
            text.lines().skip(1).all(|l| l.contains("module=daytime target=127.0.0.1:13")),
            "{text}"
        );
        // 2026-11-30T00:53:20Z is Unix 1796000000; the last line is 3 ms in.
        assert!(
            text.lines().last().unwrap().starts_with("ts=2026-11-30T00:53:20.003Z level=info"),
            "{text}"
        );
    }

    #[test]
    fn a_failure_stops_at_its_step() {
        let steps = Steps { resolve: MS, connect: MS, read: None, parse: None };
        let text = debug_log(&report(steps, Err(ProbeError::Refused)), &target(), "daytime");
        assert!(!text.contains("Connected") && !text.contains("Read the reply"), "{text}");
        let last = text.lines().last().unwrap();
        assert!(last.contains("level=error msg=\"Probe failed\""), "{last}");
        assert!(last.contains("phase=connect err=\"connection refused\""), "{last}");
    }
}
