//! Logging: one line per event on standard error, shaped as the Prometheus
//! components shape theirs.
//!
//! An exporter runs unattended under systemd or in a container, where
//! standard error is collected for it. The Prometheus 2.x components and
//! most exporters log through go-kit, in logfmt (`key=value` pairs), which
//! both people and `grep` can read; writing the same shape lets the same
//! tools and habits serve this exporter too:
//!
//! ```text
//! ts=2026-12-01T21:26:25.855Z level=info msg="listening" address=127.0.0.1:10013
//! ```
//!
//! Every line starts with `ts` (the instant in UTC, to the millisecond),
//! `level` (`debug`, `info`, `warn` or `error`) and `msg` (what happened),
//! then the event's own fields in the order given. For a log pipeline that
//! wants JSON, [`Format::Json`] writes the same keys in the same order as
//! one object a line, every value a string:
//!
//! ```text
//! {"ts":"2026-12-01T21:26:25.855Z","level":"info","msg":"listening","address":"127.0.0.1:10013"}
//! ```
//!
//! The minimum level and the format belong to the whole process: start-up
//! sets them once from `--log.level` and `--log.format` ([`set_level`],
//! [`set_format`]). They live in atomics, so any thread may log without
//! taking a lock to read them.
//!
//! [`format_line`] is the only formatter. [`log`] writes its line to
//! standard error; the probe page's debug output collects the lines of one
//! probe in its response instead, and they read the same. Each line is
//! formatted whole and then written with one `write_all` while standard
//! error is locked, so lines from different threads never mix.

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::SystemTime;

use crate::time::format;

/// One field of an event: its key, written as it is, and its value,
/// written with `Display` and quoted where the format needs it.
///
/// Keys are names chosen in the code (`address`, `err`), so they are never
/// escaped in logfmt: keep them to letters, digits and `_`.
pub type Field<'a> = (&'a str, &'a dyn fmt::Display);

/// How important an event is, least first, so that levels compare:
/// `Level::Debug < Level::Info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Detail for finding a problem; not written by default.
    Debug,
    /// The normal course of things, such as `listening`.
    Info,
    /// Something wrong that the exporter copes with.
    Warn,
    /// Something that failed.
    Error,
}

impl Level {
    /// The name written after `level=`, and read by [`Level::from_str`].
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads a `--log.level` value: `debug`, `info`, `warn` or `error`, in
/// lower case as the Prometheus components take it.
impl FromStr for Level {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Level, ParseError> {
        match text {
            "debug" => Ok(Level::Debug),
            "info" => Ok(Level::Info),
            "warn" => Ok(Level::Warn),
            "error" => Ok(Level::Error),
            _ => Err(ParseError::UnknownLevel(text.to_string())),
        }
    }
}

/// How a line is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `key=value` pairs, the default.
    Logfmt,
    /// One JSON object (RFC 8259) a line.
    Json,
}

impl Format {
    /// The name `--log.format` takes, and [`Format::from_str`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Logfmt => "logfmt",
            Format::Json => "json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads a `--log.format` value: `logfmt` or `json`.
impl FromStr for Format {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Format, ParseError> {
        match text {
            "logfmt" => Ok(Format::Logfmt),
            "json" => Ok(Format::Json),
            _ => Err(ParseError::UnknownFormat(text.to_string())),
        }
    }
}

/// Why a level or format name was rejected; each variant holds the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not one of `debug`, `info`, `warn`, `error`.
    UnknownLevel(String),
    /// Not `logfmt` or `json`.
    UnknownFormat(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnknownLevel(text) => {
                write!(f, "`{text}` is not a log level (debug, info, warn or error)")
            }
            ParseError::UnknownFormat(text) => {
                write!(f, "`{text}` is not a log format (logfmt or json)")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// The least important level that is written, as `Level as u8`.
static MINIMUM_LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

/// Whether lines are JSON rather than logfmt.
static JSON_LINES: AtomicBool = AtomicBool::new(false);

/// Writes events at `minimum` and above from now on, for the whole process
/// (`--log.level`); the default is [`Level::Info`].
pub fn set_level(minimum: Level) {
    MINIMUM_LEVEL.store(minimum as u8, Ordering::Relaxed);
}

/// Whether an event at `level` would be written: to skip work that only a
/// debug line needs.
pub fn enabled(level: Level) -> bool {
    level as u8 >= MINIMUM_LEVEL.load(Ordering::Relaxed)
}

/// Writes lines in `format` from now on, for the whole process
/// (`--log.format`); the default is [`Format::Logfmt`].
pub fn set_format(format: Format) {
    JSON_LINES.store(format == Format::Json, Ordering::Relaxed);
}

fn current_format() -> Format {
    if JSON_LINES.load(Ordering::Relaxed) {
        Format::Json
    } else {
        Format::Logfmt
    }
}

/// Writes one event to standard error, unless `level` is below the minimum:
/// `ts`, `level`, `msg`, then the given fields in order.
pub fn log(level: Level, msg: &str, fields: &[Field<'_>]) {
    if !enabled(level) {
        return;
    }
    let line = format_line(current_format(), SystemTime::now(), level, msg, fields);
    // A closed standard error, or one on a full disk, must not take the
    // exporter down, so a failed write is ignored: there is nowhere left to
    // report it. (Rust ignores SIGPIPE, so a reader that went away is an
    // error here, not a signal.)
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Logs an event at [`Level::Debug`].
pub fn debug(msg: &str, fields: &[Field<'_>]) {
    log(Level::Debug, msg, fields);
}

/// Logs an event at [`Level::Info`].
pub fn info(msg: &str, fields: &[Field<'_>]) {
    log(Level::Info, msg, fields);
}

/// Logs an event at [`Level::Warn`].
pub fn warn(msg: &str, fields: &[Field<'_>]) {
    log(Level::Warn, msg, fields);
}

/// Logs an event at [`Level::Error`].
pub fn error(msg: &str, fields: &[Field<'_>]) {
    log(Level::Error, msg, fields);
}

/// Formats one event that happened at `time` as a whole line in `format`,
/// newline included, whatever the minimum level: the text [`log`] writes,
/// for callers that keep lines themselves.
pub fn format_line(
    format: Format,
    time: SystemTime,
    level: Level,
    msg: &str,
    fields: &[Field<'_>],
) -> String {
    let ts = format::format_rfc3339_millis(time);
    let mut line = String::with_capacity(80);
    match format {
        Format::Logfmt => push_logfmt(&mut line, &ts, level, msg, fields),
        Format::Json => push_json(&mut line, &ts, level, msg, fields),
    }
    line.push('\n');
    line
}

/// `ts=… level=info msg="…" key=value…`. The message is always quoted, as
/// go-kit's logfmt quotes any with a space, so `msg="listening"` is one
/// text to search for whatever the message.
fn push_logfmt(line: &mut String, ts: &str, level: Level, msg: &str, fields: &[Field<'_>]) {
    let _ = write!(line, "ts={ts} level={level} msg=");
    push_quoted(line, msg);
    for (key, value) in fields {
        let _ = write!(line, " {key}=");
        push_logfmt_value(line, &value.to_string());
    }
}

/// A value is written bare when it has no space, quote, `=` or backslash;
/// otherwise it is quoted, so that `key=value` pairs always split
/// unambiguously. An empty value is quoted so that it is seen.
fn push_logfmt_value(line: &mut String, value: &str) {
    let needs_quotes = value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '=' | '\\'));
    if needs_quotes {
        push_quoted(line, value);
    } else {
        line.push_str(value);
    }
}

/// `{"ts":"…","level":"info","msg":"…","key":"value"…}`: every value is a
/// string, as go-kit's JSON logger writes any value with a `String` method.
fn push_json(line: &mut String, ts: &str, level: Level, msg: &str, fields: &[Field<'_>]) {
    let _ = write!(line, "{{\"ts\":\"{ts}\",\"level\":\"{level}\",\"msg\":");
    push_quoted(line, msg);
    for (key, value) in fields {
        line.push(',');
        push_quoted(line, key);
        line.push(':');
        push_quoted(line, &value.to_string());
    }
    line.push('}');
}

/// Appends `value` in double quotes, escaped as a JSON string is (RFC 8259
/// section 7): a backslash before `"` and `\`, the short escapes `\n`, `\r`
/// and `\t`, and `\u00XX` for every other control character. logfmt has no
/// standard of its own, and these escapes keep a value on one line there
/// too, so both formats share them.
fn push_quoted(line: &mut String, value: &str) {
    line.push('"');
    for c in value.chars() {
        match c {
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            // Control characters end at U+009F, so four hex digits suffice.
            c if c.is_control() => {
                let _ = write!(line, "\\u{:04x}", u32::from(c));
            }
            c => line.push(c),
        }
    }
    line.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{self, Value};
    use std::time::{Duration, UNIX_EPOCH};

    /// 2026-12-01T21:26:25.855Z, the `ts` of the blackbox_exporter lines in
    /// the research notes (`date -u -d 2026-12-01T21:26:25Z +%s`).
    fn sample_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(1_796_160_385_855)
    }

    #[track_caller]
    fn check(level: Level, msg: &str, fields: &[Field<'_>], expected: &str) {
        assert_eq!(format_line(Format::Logfmt, sample_time(), level, msg, fields), expected);
    }

    #[track_caller]
    fn check_json(level: Level, msg: &str, fields: &[Field<'_>], expected: &str) {
        assert_eq!(format_line(Format::Json, sample_time(), level, msg, fields), expected);
    }

    #[test]
    fn lines_are_logfmt() {
        check(
            Level::Info,
            "listening",
            &[("address", &"127.0.0.1:9")],
            "ts=2026-12-01T21:26:25.855Z level=info msg=\"listening\" address=127.0.0.1:9\n",
        );
        check(
            Level::Warn,
            "probe failed",
            &[("target", &"clock"), ("err", &"connection refused")],
            "ts=2026-12-01T21:26:25.855Z level=warn msg=\"probe failed\" target=clock \
             err=\"connection refused\"\n",
        );
        check(
            Level::Error,
            "x",
            &[("v", &"")],
            "ts=2026-12-01T21:26:25.855Z level=error msg=\"x\" v=\"\"\n",
        );
        check(
            Level::Error,
            "x",
            &[("v", &"a\"b\nc")],
            "ts=2026-12-01T21:26:25.855Z level=error msg=\"x\" v=\"a\\\"b\\nc\"\n",
        );
        check(
            Level::Debug,
            "x",
            &[("n", &42)],
            "ts=2026-12-01T21:26:25.855Z level=debug msg=\"x\" n=42\n",
        );
    }

    #[test]
    fn logfmt_quotes_exactly_the_values_that_would_not_split() {
        let line = |value: &str| {
            let line =
                format_line(Format::Logfmt, sample_time(), Level::Info, "m", &[("v", &value)]);
            line.trim_end().rsplit_once(" v=").unwrap().1.to_string()
        };
        assert_eq!(line("plain-value_1.5/x:y"), "plain-value_1.5/x:y");
        assert_eq!(line("héllo"), "héllo");
        assert_eq!(line("a=b"), "\"a=b\"");
        assert_eq!(line("C:\\dir"), "\"C:\\\\dir\"");
        assert_eq!(line("tab\there"), "\"tab\\there\"");
        assert_eq!(line("no\u{a0}break"), "\"no\u{a0}break\"");
        assert_eq!(line("bell\u{7}"), "\"bell\\u0007\"");
        assert_eq!(line("esc\u{1b}[0m"), "\"esc\\u001b[0m\"");
        assert_eq!(line("del\u{7f}"), "\"del\\u007f\"");
        assert_eq!(line("cr\r"), "\"cr\\r\"");
    }

    #[test]
    fn lines_are_json_objects_with_the_same_keys_in_order() {
        check_json(
            Level::Info,
            "listening",
            &[("address", &"127.0.0.1:10013")],
            "{\"ts\":\"2026-12-01T21:26:25.855Z\",\"level\":\"info\",\"msg\":\"listening\",\
             \"address\":\"127.0.0.1:10013\"}\n",
        );
        // Numbers are strings too, as go-kit writes a value with a String method.
        check_json(
            Level::Debug,
            "x",
            &[("n", &42)],
            "{\"ts\":\"2026-12-01T21:26:25.855Z\",\"level\":\"debug\",\"msg\":\"x\",\"n\":\"42\"}\n",
        );
        check_json(
            Level::Error,
            "say \"hi\"",
            &[("v", &"a\\b\nc\u{1}")],
            "{\"ts\":\"2026-12-01T21:26:25.855Z\",\"level\":\"error\",\"msg\":\"say \\\"hi\\\"\",\
             \"v\":\"a\\\\b\\nc\\u0001\"}\n",
        );
        check_json(
            Level::Warn,
            "no fields",
            &[],
            "{\"ts\":\"2026-12-01T21:26:25.855Z\",\"level\":\"warn\",\"msg\":\"no fields\"}\n",
        );
    }

    #[test]
    fn json_lines_parse_back_to_the_strings_that_were_logged() {
        let awkward = "quote \" backslash \\ newline \n tab \t nul \u{0} esc \u{1b} del \u{7f} \
                       line sep \u{2028} é 😀";
        let line =
            format_line(Format::Json, sample_time(), Level::Warn, awkward, &[("v", &awkward)]);
        assert!(line.ends_with("}\n") && !line[..line.len() - 1].contains('\n'), "{line:?}");
        let parsed = json::parse(line.trim_end().as_bytes()).unwrap();
        let string = |text: &str| Value::String(text.to_string());
        let expected = Value::Object(vec![
            ("ts".to_string(), string("2026-12-01T21:26:25.855Z")),
            ("level".to_string(), string("warn")),
            ("msg".to_string(), string(awkward)),
            ("v".to_string(), string(awkward)),
        ]);
        assert_eq!(parsed, expected);
    }

    #[test]
    fn levels_are_ordered_and_parse_from_their_names() {
        assert!(Level::Debug < Level::Info);
        assert!(Level::Info < Level::Warn);
        assert!(Level::Warn < Level::Error);
        for level in [Level::Debug, Level::Info, Level::Warn, Level::Error] {
            assert_eq!(level.to_string().parse::<Level>(), Ok(level));
        }
        assert_eq!("warn".parse::<Level>(), Ok(Level::Warn));
        assert_eq!("INFO".parse::<Level>(), Err(ParseError::UnknownLevel("INFO".to_string())));
        assert_eq!(
            "warning".parse::<Level>().unwrap_err().to_string(),
            "`warning` is not a log level (debug, info, warn or error)"
        );
        assert_eq!(
            "".parse::<Level>().unwrap_err().to_string(),
            "`` is not a log level (debug, info, warn or error)"
        );
    }

    #[test]
    fn formats_parse_from_their_names() {
        assert_eq!("logfmt".parse::<Format>(), Ok(Format::Logfmt));
        assert_eq!("json".parse::<Format>(), Ok(Format::Json));
        assert_eq!(Format::Json.to_string(), "json");
        assert_eq!(
            "JSON".parse::<Format>().unwrap_err().to_string(),
            "`JSON` is not a log format (logfmt or json)"
        );
    }

    #[test]
    fn the_minimum_level_and_the_format_are_process_wide() {
        // The only test that changes them; it puts the defaults back.
        set_level(Level::Warn);
        assert!(!enabled(Level::Debug) && !enabled(Level::Info));
        assert!(enabled(Level::Warn) && enabled(Level::Error));
        set_level(Level::Debug);
        assert!(enabled(Level::Debug));
        set_level(Level::Info);
        assert!(!enabled(Level::Debug) && enabled(Level::Info));

        set_format(Format::Json);
        assert_eq!(current_format(), Format::Json);
        set_format(Format::Logfmt);
        assert_eq!(current_format(), Format::Logfmt);
    }
}
