//! The configuration file: line-oriented, one section per target, and
//! one for the `/probe` allow-list.
//!
//! ```text
//! [target app]
//! kind = counter
//! address = 127.0.0.1:1111
//! timeout = 1s
//!
//! [probe]
//! allow = 10.0.0.0/8
//! ```
//!
//! Sections are collected whole before a target is built, so keys may come
//! in any order; every mistake names the line it is on.

use super::{add_target, check_name, parse_duration, ConfigError};
use crate::exposition::is_valid_metric_name;
use crate::histogram::native::parse_schema;
use crate::histogram::parse_buckets;
use crate::target::allow::Rule;
use std::time::Duration;

use crate::target::{Address, Kind, Module, Target, DEFAULT_TIMEOUT};
use crate::time::Offset;

/// What a configuration file holds.
#[derive(Debug, Default)]
pub struct FileConfig {
    /// The `[target NAME]` sections, in the file's order.
    pub targets: Vec<Target>,
    /// The `allow` rules of the `[probe]` section.
    pub allow: Vec<Rule>,
    /// The `[module NAME]` sections, for `/probe?module=NAME`.
    pub modules: Vec<Module>,
    /// How many sections the file holds, of any kind: none for an empty
    /// file, or one of comments only.
    pub sections: usize,
}

/// Parses the configuration file's text; `path` is only for messages.
///
/// ```text
/// file    = *( blank / comment / section / setting )
/// section = "[target " NAME "]" / "[module " NAME "]" / "[probe]"
/// setting = KEY *WSP "=" *WSP VALUE
/// ```
pub fn parse_file(text: &str, path: &str) -> Result<FileConfig, ConfigError> {
    let mut file = FileConfig::default();
    let mut section = Section::Outside;
    // Some editors (Windows Notepad among them) start a UTF-8 file with a
    // byte order mark; it is no part of the first line, and unseen in an
    // error message that quoted it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (idx, raw_line) in text.lines().enumerate() {
        let line_no = idx + 1;
        let at_line =
            |message: String| ConfigError::Line { path: path.to_string(), line: line_no, message };
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            finish_section(&mut file, std::mem::take(&mut section), path)?;
            section = parse_section_header(line, line_no).map_err(at_line)?;
            file.sections += 1;
            continue;
        }
        let (key, value) =
            line.split_once('=').map(|(key, value)| (key.trim(), value.trim())).ok_or_else(
                || at_line(format!("expected `key = value` or a `[section]`, found `{line}`")),
            )?;
        match &mut section {
            Section::Outside => return Err(at_line(format!("`{key}` is outside any section"))),
            Section::Probe => match key {
                "allow" => {
                    file.allow.push(Rule::parse(value).map_err(|err| at_line(err.to_string()))?)
                }
                _ => return Err(at_line(format!("unknown key `{key}` in [probe] (known: allow)"))),
            },
            Section::Probing(draft) => draft.set(key, value, line_no).map_err(at_line)?,
        }
    }
    finish_section(&mut file, section, path)?;
    Ok(file)
}

#[derive(Default)]
enum Section {
    /// Before the first section header.
    #[default]
    Outside,
    Probe,
    /// A `[target NAME]` or `[module NAME]` section.
    Probing(Draft),
}

fn parse_section_header(line: &str, line_no: usize) -> Result<Section, String> {
    let inner = line
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or_else(|| format!("a section header ends with `]`: `{line}`"))?
        .trim();
    if inner == "probe" {
        return Ok(Section::Probe);
    }
    let (word, name) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
    let of = match word {
        "target" => DraftOf::Target,
        "module" => DraftOf::Module,
        _ => {
            return Err(format!(
                "unknown section `[{inner}]` (known: [target NAME], [module NAME], [probe])"
            ))
        }
    };
    let name = name.trim();
    check_name(of.word(), name)?;
    Ok(Section::Probing(Draft { of, name: name.to_string(), line: line_no, settings: Vec::new() }))
}

/// Which kind of section a [`Draft`] is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum DraftOf {
    /// `[target NAME]`: probed at every scrape of `/metrics`.
    #[default]
    Target,
    /// `[module NAME]`: a way to probe, for `/probe?module=NAME`.
    Module,
}

impl DraftOf {
    fn word(self) -> &'static str {
        match self {
            DraftOf::Target => "target",
            DraftOf::Module => "module",
        }
    }

    fn keys(self) -> &'static [&'static str] {
        match self {
            DraftOf::Target => TARGET_KEYS,
            DraftOf::Module => MODULE_KEYS,
        }
    }
}

/// The settings of one `[target NAME]` or `[module NAME]` section,
/// collected first so that they may come in any order.
#[derive(Default)]
struct Draft {
    of: DraftOf,
    name: String,
    /// The line of the section header.
    line: usize,
    /// Key, value and line number of each setting.
    settings: Vec<(String, String, usize)>,
}

const TARGET_KEYS: &[&str] = &[
    "kind",
    "address",
    "timeout",
    "buckets",
    "native_buckets",
    "metric",
    "requests_field",
    "launched_field",
    "launched_offset",
    "daytime_zone",
    "expect",
];
/// A module is a target without an address, and without a histogram:
/// `/probe` keeps nothing between requests.
const MODULE_KEYS: &[&str] = &[
    "kind",
    "timeout",
    "metric",
    "requests_field",
    "launched_field",
    "launched_offset",
    "daytime_zone",
    "expect",
];
const COUNTER_ONLY_KEYS: &[&str] =
    &["metric", "requests_field", "launched_field", "launched_offset"];
const DAYTIME_ONLY_KEYS: &[&str] = &["daytime_zone", "expect"];

impl Draft {
    /// `[target NAME]` or `[module NAME]`, for messages.
    fn section(&self) -> String {
        format!("[{} {}]", self.of.word(), self.name)
    }

    fn set(&mut self, key: &str, value: &str, line: usize) -> Result<(), String> {
        let keys = self.of.keys();
        if !keys.contains(&key) {
            return Err(format!(
                "unknown key `{key}` in {} (known: {})",
                self.section(),
                keys.join(", ")
            ));
        }
        if let Some((_, _, first)) = self.settings.iter().find(|(existing, _, _)| existing == key) {
            return Err(format!(
                "`{key}` is set twice in {} (first on line {first})",
                self.section()
            ));
        }
        self.settings.push((key.to_string(), value.to_string(), line));
        Ok(())
    }

    fn get(&self, key: &str) -> Option<(&str, usize)> {
        self.settings
            .iter()
            .find(|(existing, _, _)| existing == key)
            .map(|(_, value, line)| (value.as_str(), *line))
    }

    /// Builds the target; an error names the line it comes from.
    fn build_target(&self) -> Result<Target, (usize, String)> {
        let (address, address_line) = self
            .get("address")
            .ok_or((self.line, format!("{} has no `address`", self.section())))?;
        let address = Address::parse(address)
            .map_err(|err| (address_line, format!("address `{address}`: {err}")))?;
        let (kind, timeout) = self.build_probing()?;
        let mut target = Target::new(&self.name, kind, address);
        target.timeout = timeout;
        match self.get("buckets") {
            Some(("none", _)) => target.buckets = None,
            Some((buckets, line)) => {
                let bounds = parse_buckets(buckets).map_err(|err| (line, err.to_string()))?;
                target.buckets = Some(bounds);
            }
            None => {}
        }
        if let Some((schema, line)) = self.get("native_buckets") {
            target.native_schema = parse_schema(schema).map_err(|err| (line, err.to_string()))?;
            if target.native_schema.is_some() && target.buckets.is_none() {
                let message = "`native_buckets` is kept beside the classic buckets, and `buckets = none` keeps no histogram";
                return Err((line, message.to_string()));
            }
        }
        Ok(target)
    }

    /// Builds the module; an error names the line it comes from.
    fn build_module(&self) -> Result<Module, (usize, String)> {
        let (kind, timeout) = self.build_probing()?;
        Ok(Module { name: self.name.clone(), kind, timeout })
    }

    /// The kind with its settings, and the timeout: what a target and a
    /// module have in common.
    fn build_probing(&self) -> Result<(Kind, Duration), (usize, String)> {
        let (kind_name, kind_line) =
            self.get("kind").ok_or((self.line, format!("{} has no `kind`", self.section())))?;
        let mut kind = Kind::from_name(kind_name)
            .ok_or((kind_line, format!("unknown kind `{kind_name}` (daytime or counter)")))?;
        let mut timeout = DEFAULT_TIMEOUT;
        for (key, value, line) in &self.settings {
            let at = |message: String| (*line, message);
            match (key.as_str(), &mut kind) {
                ("kind" | "address" | "buckets" | "native_buckets", _) => {}
                ("timeout", _) => timeout = parse_duration(value, false).map_err(at)?,
                ("metric", Kind::Counter(spec)) => {
                    check_counter_name(value).map_err(at)?;
                    spec.metric = value.clone();
                }
                ("requests_field", Kind::Counter(spec)) => spec.requests_field = value.clone(),
                ("launched_field", Kind::Counter(spec)) => {
                    // `none`: the service reports no launch time.
                    spec.launched_field = (value != "none").then(|| value.clone());
                }
                ("launched_offset", Kind::Counter(spec)) => {
                    spec.launched_offset =
                        Offset::parse(value).map_err(|err| at(err.to_string()))?;
                }
                ("daytime_zone", Kind::Daytime(spec)) => {
                    spec.zone = Offset::parse(value).map_err(|err| at(err.to_string()))?;
                }
                ("expect", Kind::Daytime(spec)) => match value.as_str() {
                    "date" => spec.expect_date = true,
                    "line" => spec.expect_date = false,
                    other => {
                        return Err(at(format!("`expect` is `date` or `line`, not `{other}`")))
                    }
                },
                (key, _) if DAYTIME_ONLY_KEYS.contains(&key) => {
                    return Err(at(format!("`{key}` applies only to daytime {}s", self.of.word())));
                }
                (key, _) if COUNTER_ONLY_KEYS.contains(&key) => {
                    return Err(at(format!("`{key}` applies only to counter {}s", self.of.word())));
                }
                (key, _) => return Err(at(format!("unknown key `{key}`"))),
            }
        }
        Ok((kind, timeout))
    }
}

/// Prefixes of the families the exporter writes itself, and of those
/// Prometheus reserves: a counter named like one of them would give a
/// family two TYPE lines, and Prometheus would reject the whole scrape.
const RESERVED_PREFIXES: &[&str] = &["probe_", "process_", "scrape_"];

/// A counter's base name: a valid metric name, without the `_total` and
/// `_created` that the writer adds, and clear of reserved prefixes. A
/// colon is valid in a metric name but reserved for recording rules;
/// `promtool check metrics` fails an exposition that has one.
fn check_counter_name(name: &str) -> Result<(), String> {
    let valid = is_valid_metric_name(name) && !name.contains(':');
    if !valid || name.ends_with("_total") || name.ends_with("_created") {
        return Err(format!(
            "`{name}` is not a metric name ([a-zA-Z_][a-zA-Z0-9_]*, without `_total`)"
        ));
    }
    if let Some(prefix) = RESERVED_PREFIXES.iter().find(|prefix| name.starts_with(*prefix)) {
        return Err(format!(
            "`{name}` starts with `{prefix}`, which the exporter's own metrics use"
        ));
    }
    Ok(())
}

fn finish_section(file: &mut FileConfig, section: Section, path: &str) -> Result<(), ConfigError> {
    let Section::Probing(draft) = section else {
        return Ok(());
    };
    let at_line =
        |line: usize, message: String| ConfigError::Line { path: path.to_string(), line, message };
    match draft.of {
        DraftOf::Target => {
            let target = draft.build_target().map_err(|(line, message)| at_line(line, message))?;
            add_target(&mut file.targets, target).map_err(|message| at_line(draft.line, message))
        }
        DraftOf::Module => {
            let module = draft.build_module().map_err(|(line, message)| at_line(line, message))?;
            if file.modules.iter().any(|existing| existing.name == module.name) {
                let message = format!("module name `{}` is used twice", module.name);
                return Err(at_line(draft.line, message));
            }
            file.modules.push(module);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_file_error(text: &str, expected: &str) {
        let err = parse_file(text, "x.conf").expect_err(text);
        assert_eq!(err.to_string(), expected);
    }

    const EXAMPLE: &str = "\
# Two targets and an allow-list.
[target clock]
kind = daytime
address = 127.0.0.1:13
timeout = 2s

[target app]
address = [::1]:1111
kind = counter
metric = app_requests
requests_field = hits
launched_field = started
launched_offset = +01:00
buckets = 0.001, 0.01, 0.1

[probe]
allow = 127.0.0.1:13
allow = 10.0.0.0/8
";

    #[test]
    fn sections_are_counted_and_an_empty_file_has_none() {
        assert_eq!(parse_file(EXAMPLE, "x.conf").unwrap().sections, 3);
        assert_eq!(parse_file("", "x.conf").unwrap().sections, 0);
        assert_eq!(parse_file("# only a comment\n\n", "x.conf").unwrap().sections, 0);
        assert_eq!(parse_file("[probe]\n", "x.conf").unwrap().sections, 1);
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let file = parse_file(&format!("\u{feff}{EXAMPLE}"), "x.conf").unwrap();
        let names: Vec<&str> = file.targets.iter().map(|target| target.name.as_str()).collect();
        assert_eq!(names, ["clock", "app"]);
    }

    #[test]
    fn parses_the_example_file() {
        let file = parse_file(EXAMPLE, "x.conf").unwrap();
        assert_eq!(file.targets.len(), 2);
        assert_eq!(file.targets[0].timeout, Duration::from_secs(2));
        assert_eq!(file.targets[1].buckets, Some(vec![0.001, 0.01, 0.1]));
        let Kind::Counter(spec) = &file.targets[1].kind else { panic!("not a counter") };
        assert_eq!(
            (spec.metric.as_str(), spec.requests_field.as_str(), spec.launched_field.as_deref()),
            ("app_requests", "hits", Some("started"))
        );
        assert_eq!(spec.launched_offset.to_string(), "+01:00");
        assert_eq!(file.allow.len(), 2);
    }

    #[test]
    fn native_buckets_set_the_schema_or_none() {
        use crate::histogram::native::{Schema, DEFAULT_SCHEMA};
        let target = |settings: &str| {
            let text = format!("[target a]\nkind = daytime\naddress = h:1\n{settings}");
            parse_file(&text, "x.conf").map(|file| file.targets[0].native_schema)
        };
        assert_eq!(target("").unwrap(), Some(DEFAULT_SCHEMA));
        assert_eq!(target("native_buckets = 4").unwrap(), Schema::new(4));
        assert_eq!(target("native_buckets = -4").unwrap(), Schema::new(-4));
        assert_eq!(target("native_buckets = none").unwrap(), None);
        assert_eq!(target("buckets = none\nnative_buckets = none").unwrap(), None);
        check_file_error(
            "[target a]\nkind = daytime\naddress = h:1\nnative_buckets = 9",
            "x.conf:4: native schema `9` is neither a whole number from -4 to 4 nor `none`",
        );
        check_file_error(
            "[target a]\nkind = daytime\naddress = h:1\nnative_buckets = fine",
            "x.conf:4: native schema `fine` is neither a whole number from -4 to 4 nor `none`",
        );
        check_file_error(
            "[target a]\nkind = daytime\naddress = h:1\nbuckets = none\nnative_buckets = 3",
            "x.conf:5: `native_buckets` is kept beside the classic buckets, and `buckets = none` keeps no histogram",
        );
        let module = parse_file("[module m]\nkind = daytime\nnative_buckets = 3", "x.conf");
        assert!(module.is_err(), "a module keeps no histogram");
    }

    #[test]
    fn modules_take_a_kind_and_its_settings_but_no_address() {
        let text = "[module sidecar]\nkind = counter\ntimeout = 1s\nrequests_field = hits\nlaunched_field = none\n\n[module daytime]\nkind = daytime\ntimeout = 2s\n";
        let file = parse_file(text, "x.conf").unwrap();
        assert_eq!(file.modules.len(), 2);
        assert_eq!(file.modules[0].timeout, Duration::from_secs(1));
        let Kind::Counter(spec) = &file.modules[0].kind else { panic!("not a counter") };
        assert_eq!((spec.requests_field.as_str(), spec.launched_field.as_deref()), ("hits", None));
        assert_eq!(
            (file.modules[1].name.as_str(), file.modules[1].timeout),
            ("daytime", Duration::from_secs(2))
        );
        check_file_error(
            "[module m]\nkind = daytime\naddress = h:1",
            "x.conf:3: unknown key `address` in [module m] (known: kind, timeout, metric, requests_field, launched_field, launched_offset, daytime_zone, expect)",
        );
        check_file_error(
            "[module m]\nkind = daytime\nmetric = x",
            "x.conf:3: `metric` applies only to counter modules",
        );
        check_file_error("[module m]\ntimeout = 1s", "x.conf:1: [module m] has no `kind`");
        check_file_error(
            "[module m]\nkind = daytime\n[module m]\nkind = counter",
            "x.conf:3: module name `m` is used twice",
        );
    }

    #[test]
    fn file_errors_name_the_line() {
        check_file_error("kind = daytime", "x.conf:1: `kind` is outside any section");
        check_file_error("[target a]\nkind = daytime\naddress = h:1\ncolour = red", "x.conf:4: unknown key `colour` in [target a] (known: kind, address, timeout, buckets, native_buckets, metric, requests_field, launched_field, launched_offset, daytime_zone, expect)");
        check_file_error("[target a]\nkind = daytime", "x.conf:1: [target a] has no `address`");
        check_file_error(
            "[target a]\nkind = ftp\naddress = h:1",
            "x.conf:2: unknown kind `ftp` (daytime or counter)",
        );
        check_file_error(
            "[target a]\n\nkind = daytime\naddress = h:1\nmetric = x",
            "x.conf:5: `metric` applies only to counter targets",
        );
        check_file_error(
            "[target a]\nkind = counter\naddress = h:1\nmetric = 9lives",
            "x.conf:4: `9lives` is not a metric name ([a-zA-Z_][a-zA-Z0-9_]*, without `_total`)",
        );
        check_file_error(
            "[target a]\nkind = daytime\nkind = counter",
            "x.conf:3: `kind` is set twice in [target a] (first on line 2)",
        );
        check_file_error(
            "[targets]",
            "x.conf:1: unknown section `[targets]` (known: [target NAME], [module NAME], [probe])",
        );
        check_file_error(
            "[target a b]",
            "x.conf:1: target name `a b` must be letters, digits, `_`, `.` or `-`",
        );
        check_file_error(
            "[probe]\ndeny = x",
            "x.conf:2: unknown key `deny` in [probe] (known: allow)",
        );
        check_file_error(
            "[target a]\nkind = daytime\naddress = h:1\n[target a]\nkind = daytime\naddress = h:2",
            "x.conf:4: target name `a` is used twice",
        );
        check_file_error(
            "[target a]\nkind = daytime\naddress = h:1\ntimeout = 0s",
            "x.conf:4: `0s` is out of range (1ms to 1 day)",
        );
        check_file_error(
            "[target a]\nkind = counter\naddress = h:1\nmetric = app:requests",
            "x.conf:4: `app:requests` is not a metric name ([a-zA-Z_][a-zA-Z0-9_]*, without `_total`)",
        );
        check_file_error(
            "[target a]\nkind = counter\naddress = h:1\nmetric = probe_success",
            "x.conf:4: `probe_success` starts with `probe_`, which the exporter's own metrics use",
        );
        check_file_error(
            "[module a b]\nkind = daytime",
            "x.conf:1: module name `a b` must be letters, digits, `_`, `.` or `-`",
        );
        check_file_error(
            "[target a]\njust words",
            "x.conf:2: expected `key = value` or a `[section]`, found `just words`",
        );
    }
}
