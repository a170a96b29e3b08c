//! Why a probe failed, step by step: the log of `/probe?…&debug=true`.
//!
//! blackbox_exporter answers a debug probe with the probe's own log lines,
//! then the metrics it would have returned, then the module's settings.
//! This writes the first part from a [`Report`]: one line per step reached,
//! in the same logfmt as the process's log, each carrying the module and
//! the target, and timed from the probe's start plus the steps before it.
//! The line of the read step shows the reply itself, as blackbox logs the
//! lines it reads: what an operator needs after "not a date in any known
//! daytime format". It writes the last part too, every setting of the
//! module in the form the configuration file takes.

use std::fmt::{Display, Write as _};
use std::time::Duration;

use super::{Phase, Report};
use crate::log::{self, Format, Level};
use crate::target::{Kind, Target};

/// The most bytes of a reply the trace shows: a daytime reply whole (its
/// cap is 512 bytes), and any counter reply of sensible size. A longer
/// one is shown to here and marked cut, with its length beside it.
pub const SHOWN_REPLY: usize = 1024;

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
            let reply = shown_reply(&report.reply_start, report.reply_bytes);
            let fields: [(&str, &dyn Display); 2] =
                [("bytes", &report.reply_bytes), ("reply", &reply)];
            trace.step_done("Read the reply", took, &fields);
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

/// The start of a reply as text, for a log field that escapes it: the log
/// writes a control character as `\r`, `\n` or `\u0007`, so the line stays
/// one line. A byte that is not UTF-8 shows as U+FFFD, `�`; a sequence cut
/// by the cap does not. A reply longer than its start ends in `…`.
fn shown_reply(start: &[u8], total: usize) -> String {
    let mut text = String::with_capacity(start.len() + 3);
    let mut chunks = start.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        text.push_str(chunk.valid());
        let cut_by_the_cap = chunks.peek().is_none() && start.len() < total;
        if !chunk.invalid().is_empty() && !cut_by_the_cap {
            text.push(char::REPLACEMENT_CHARACTER);
        }
    }
    if start.len() < total {
        text.push('…');
    }
    text
}

/// The module's settings, one `key = value` line each under its
/// `[module NAME]` heading, as the configuration file writes them: every
/// setting, defaults too, so that nothing the probe obeyed is hidden.
pub fn module_settings(module: &str, target: &Target) -> String {
    let mut text = format!("[module {module}]\n");
    let mut set = |key: &str, value: &dyn Display| {
        let _ = writeln!(text, "{key} = {value}");
    };
    set("kind", &target.kind.name());
    set("timeout", &format_args!("{:?}", target.timeout));
    match &target.kind {
        Kind::Daytime(spec) => {
            set("daytime_zone", &spec.zone);
            set("expect", &if spec.expect_date { "date" } else { "line" });
        }
        Kind::Counter(spec) => {
            set("metric", &spec.metric);
            set("requests_field", &spec.requests_field);
            set("launched_field", &spec.launched_field.as_deref().unwrap_or("none"));
            set("launched_offset", &spec.launched_offset);
        }
    }
    text
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
    use crate::probe::{Finding, ProbeError, Steps};
    use crate::target::{Address, CounterSpec, DaytimeSpec, Module};
    use crate::time::Offset;
    use std::time::UNIX_EPOCH;

    fn report(steps: Steps, result: Result<Finding, ProbeError>) -> Report {
        Report {
            duration: Duration::from_millis(3),
            timeout: Duration::from_secs(5),
            result,
            started_at: UNIX_EPOCH + Duration::from_secs(1_796_000_000),
            steps,
            peer: Some("127.0.0.1:13".parse().unwrap()),
            looked_up: false,
            reply_bytes: 26,
            reply_start: b"Sat Oct 31 18:15:12 2020\r\n".to_vec(),
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
        let line = Finding::Daytime { line, remote_time: None };
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
    /// The `reply=` field of the read step's line, as written.
    fn reply_field(reply: &[u8], total: usize) -> String {
        let steps = Steps { resolve: MS, connect: MS, read: MS, parse: MS };
        let mut report = report(steps, Err(ProbeError::Protocol("no".to_string())));
        (report.reply_start, report.reply_bytes) = (reply.to_vec(), total);
        let text = debug_log(&report, &target(), "daytime");
        let line = text.lines().find(|line| line.contains("msg=\"Read the reply\"")).unwrap();
        assert!(line.contains(&format!(" bytes={total} reply=")), "{line}");
        let field = line.split(" reply=").nth(1).unwrap();
        field.split(" duration_seconds=").next().unwrap().to_string()
    }

    #[test]
    fn the_reply_is_shown_escaped_on_one_line() {
        assert_eq!(reply_field(b"hello world\r\n", 13), r#""hello world\r\n""#);
        assert_eq!(reply_field(b"a\x07\"b\\", 5), r#""a\u0007\"b\\""#);
        assert_eq!(reply_field(br#"{"requests": 2.5}"#, 17), r#""{\"requests\": 2.5}""#);
        // Not UTF-8: a replacement character for each bad byte. (logfmt
        // quotes a value only when it must.)
        assert_eq!(reply_field(b"\xff\xfeok", 4), "\u{fffd}\u{fffd}ok");
        assert_eq!(reply_field(b"", 0), r#""""#);
    }

    #[test]
    fn a_long_reply_is_shown_to_the_cap_and_marked_cut() {
        let start = vec![b'x'; SHOWN_REPLY];
        let shown = reply_field(&start, 70_000);
        assert_eq!(shown, format!("{}…", "x".repeat(SHOWN_REPLY)));
        // A character cut in two by the cap is left out, not mangled.
        assert_eq!(reply_field("abcé".as_bytes().split_last().unwrap().1, 70_000), "abc…");
    }

    #[test]
    fn a_daytime_module_shows_every_setting_as_the_file_writes_it() {
        let spec = DaytimeSpec { zone: Offset::parse("+01:00").unwrap(), expect_date: true };
        let mut target = target();
        (target.kind, target.timeout) = (Kind::Daytime(spec), Duration::from_millis(2500));
        assert_eq!(
            module_settings("clock", &target),
            "[module clock]\nkind = daytime\ntimeout = 2.5s\ndaytime_zone = +01:00\nexpect = date\n"
        );
        assert!(module_settings("daytime", &self::target()).ends_with("expect = line\n"));
    }

    #[test]
    fn a_counter_module_shows_every_setting_as_the_file_writes_it() {
        let mut target = target();
        target.kind = Kind::Counter(CounterSpec { launched_field: None, ..CounterSpec::default() });
        assert_eq!(
            module_settings("app", &target),
            "[module app]\nkind = counter\ntimeout = 5s\nmetric = service_requests\n\
             requests_field = requests\nlaunched_field = none\nlaunched_offset = +00:00\n"
        );
    }

    #[test]
    fn the_settings_read_back_as_the_same_module() {
        let daytime = DaytimeSpec { zone: Offset::parse("-05:30").unwrap(), expect_date: true };
        let counter = CounterSpec {
            metric: "hits".to_string(),
            requests_field: "count".to_string(),
            launched_field: Some("started".to_string()),
            launched_offset: Offset::parse("+02:00").unwrap(),
        };
        for (kind, timeout) in [
            (Kind::Daytime(daytime), Duration::from_millis(1500)),
            (Kind::Counter(counter), Duration::from_secs(90)),
            (Kind::Daytime(DaytimeSpec::default()), Duration::from_millis(250)),
        ] {
            let module = Module { name: "m".to_string(), kind, timeout };
            let text = module_settings(&module.name, &module.target(Address::new("h", 1)));
            let file = crate::config::parse_file(&text, "debug").unwrap();
            assert_eq!(file.modules.iter().find(|m| m.name == "m"), Some(&module), "{text}");
        }
    }
}
