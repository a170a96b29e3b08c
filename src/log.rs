//! Logging: one logfmt line per event on standard error.
//!
//! An exporter runs unattended under systemd or in a container, where
//! standard error is collected for it. logfmt (`key=value` pairs) is what
//! the Prometheus projects write, and both people and `grep` can read it:
//!
//! ```text
//! level=info msg="listening" address=127.0.0.1:10013
//! ```
//!
//! Each line is formatted whole, then written with one call, so lines from
//! different threads never mix.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

/// How important an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

static DEBUG_ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns debug lines on or off for the whole process (`--log.level=debug`).
pub fn set_debug(enabled: bool) {
    DEBUG_ENABLED.store(enabled, Ordering::Relaxed);
}

/// Writes one event: `level`, `msg`, then the given fields in order.
pub fn log(level: Level, msg: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    if level == Level::Debug && !DEBUG_ENABLED.load(Ordering::Relaxed) {
        return;
    }
    let line = format_line(level, msg, fields);
    // A closed or full standard error must not take the exporter down, so
    // a failed write is ignored: there is nowhere left to report it.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

pub fn info(msg: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    log(Level::Info, msg, fields);
}

pub fn warn(msg: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    log(Level::Warn, msg, fields);
}

pub fn error(msg: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    log(Level::Error, msg, fields);
}

pub fn debug(msg: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    log(Level::Debug, msg, fields);
}

fn format_line(level: Level, msg: &str, fields: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut line = format!("level={} msg={}", level.as_str(), quote(msg));
    for (key, value) in fields {
        let _ = write!(line, " {}={}", key, logfmt_value(&value.to_string()));
    }
    line.push('\n');
    line
}

/// A value is written bare when it has no space, quote or `=`; otherwise
/// it is quoted, so that `key=value` pairs always split unambiguously.
fn logfmt_value(value: &str) -> String {
    let needs_quotes = value.is_empty()
        || value.chars().any(|c| c == ' ' || c == '"' || c == '=' || c == '\\' || c.is_control());
    if needs_quotes {
        quote(value)
    } else {
        value.to_string()
    }
}

fn quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(quoted, "\\u{{{:x}}}", c as u32);
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(level: Level, msg: &str, fields: &[(&str, &dyn std::fmt::Display)], expected: &str) {
        assert_eq!(format_line(level, msg, fields), expected);
    }

    #[test]
    fn lines_are_logfmt() {
        check(
            Level::Info,
            "listening",
            &[("address", &"127.0.0.1:9")],
            "level=info msg=\"listening\" address=127.0.0.1:9\n",
        );
        check(
            Level::Warn,
            "probe failed",
            &[("target", &"clock"), ("err", &"connection refused")],
            "level=warn msg=\"probe failed\" target=clock err=\"connection refused\"\n",
        );
        check(Level::Error, "x", &[("v", &"")], "level=error msg=\"x\" v=\"\"\n");
        check(Level::Error, "x", &[("v", &"a\"b\nc")], "level=error msg=\"x\" v=\"a\\\"b\\nc\"\n");
        check(Level::Debug, "x", &[("n", &42)], "level=debug msg=\"x\" n=42\n");
    }
}
