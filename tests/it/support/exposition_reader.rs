//! A reference reader of the two exposition formats, written from their
//! specifications, for the property tests to read back what the
//! exposition writer writes.
//!
//! The reader follows the Prometheus text format 0.0.4 documentation
//! ("Exposition formats": lines, `# HELP`/`# TYPE`, the escapes `\\`, `\"`
//! and `\n`, Go float syntax) and the OpenMetrics 1.0 ABNF (one space
//! between tokens, `# UNIT`, `# EOF` last, canonical `le`). Where 0.0.4
//! tolerates more (extra blanks, trailing commas, comments) the reader does
//! too; it is strict about everything a writer must get right, and asks
//! for a TYPE line above every sample, which both formats' writers promise.

use std::collections::HashSet;

use probe_exporter::exposition::TextFormat;

/// One sample line, as read.
#[derive(Clone, Debug)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
    /// The index in [`Exposition::types`] of the last `# TYPE` line above.
    pub family: Option<usize>,
}

/// What the reader found in an exposition.
#[derive(Debug, Default)]
pub struct Exposition {
    /// (name, type) of each `# TYPE` line.
    pub types: Vec<(String, String)>,
    /// (name, unescaped text) of each `# HELP` line.
    pub helps: Vec<(String, String)>,
    /// (name, unit) of each `# UNIT` line.
    pub units: Vec<(String, String)>,
    pub samples: Vec<Sample>,
}

pub fn read_exposition(text: &str, format: TextFormat) -> Result<Exposition, String> {
    let body = match format {
        TextFormat::Prometheus => text,
        TextFormat::OpenMetrics => {
            text.strip_suffix("# EOF\n").ok_or("the text does not end with `# EOF\\n`")?
        }
    };
    if !body.is_empty() && !body.ends_with('\n') {
        return Err("the last line does not end with a line feed".to_string());
    }
    let mut exposition = Exposition::default();
    for (idx, line) in body.split_terminator('\n').enumerate() {
        let mut reader = LineReader { rest: line, format };
        reader
            .read_line(&mut exposition)
            .map_err(|err| format!("line {}: {err}: {line:?}", idx + 1))?;
    }
    check_grouping(&exposition, format)?;
    Ok(exposition)
}

/// A cursor over one line, with a method for each piece of the grammar.
struct LineReader<'a> {
    rest: &'a str,
    format: TextFormat,
}

impl LineReader<'_> {
    fn read_line(&mut self, exposition: &mut Exposition) -> Result<(), String> {
        if self.rest.trim_matches([' ', '\t']).is_empty() {
            return match self.format {
                TextFormat::Prometheus => Ok(()),
                TextFormat::OpenMetrics => Err("blank line".to_string()),
            };
        }
        if self.rest.starts_with('#') {
            return self.read_comment(exposition);
        }
        let mut sample = self.read_sample()?;
        sample.family = exposition.types.len().checked_sub(1);
        exposition.samples.push(sample);
        Ok(())
    }

    /// `# HELP name text`, `# TYPE name type`, `# UNIT name unit`, or, in
    /// 0.0.4 only, any other comment.
    fn read_comment(&mut self, exposition: &mut Exposition) -> Result<(), String> {
        self.rest = &self.rest[1..];
        let Ok(()) = self.separator() else {
            return self.other_comment();
        };
        let keyword = self.rest.split([' ', '\t']).next().unwrap_or_default();
        let keyword_found = match (keyword, self.format) {
            ("HELP" | "TYPE", _) | ("UNIT", TextFormat::OpenMetrics) => true,
            ("EOF", TextFormat::OpenMetrics) => return Err("data after `# EOF`".to_string()),
            _ => false,
        };
        if !keyword_found {
            return self.other_comment();
        }
        self.rest = &self.rest[keyword.len()..];
        self.separator()?;
        let name = self.metric_name()?;
        match keyword {
            "HELP" => {
                let help = self.help_text()?;
                exposition.helps.push((name, help));
            }
            "TYPE" => {
                self.separator()?;
                let type_name = self.rest.to_string();
                let known: &[&str] = match self.format {
                    TextFormat::Prometheus => {
                        &["counter", "gauge", "histogram", "summary", "untyped"]
                    }
                    TextFormat::OpenMetrics => &[
                        "counter",
                        "gauge",
                        "histogram",
                        "gaugehistogram",
                        "stateset",
                        "info",
                        "summary",
                        "unknown",
                    ],
                };
                if !known.contains(&type_name.as_str()) {
                    return Err(format!("unknown type `{type_name}`"));
                }
                exposition.types.push((name, type_name));
            }
            _ => {
                self.separator()?;
                let unit = self.rest.to_string();
                if !name.ends_with(&format!("_{unit}")) {
                    return Err(format!("unit `{unit}` is not a suffix of `{name}`"));
                }
                exposition.units.push((name, unit));
            }
        }
        Ok(())
    }

    fn other_comment(&self) -> Result<(), String> {
        match self.format {
            TextFormat::Prometheus => Ok(()),
            TextFormat::OpenMetrics => {
                Err("a comment other than TYPE, UNIT, HELP or EOF".to_string())
            }
        }
    }

    /// Blanks between tokens: one space in OpenMetrics, spaces and tabs
    /// in 0.0.4.
    fn separator(&mut self) -> Result<(), String> {
        let trimmed = match self.format {
            TextFormat::Prometheus => self.rest.trim_start_matches([' ', '\t']),
            TextFormat::OpenMetrics => self.rest.strip_prefix(' ').unwrap_or(self.rest),
        };
        if trimmed.len() == self.rest.len() {
            return Err("expected a space".to_string());
        }
        self.rest = trimmed;
        Ok(())
    }

    /// The rest of a HELP line, unescaped. In 0.0.4 the text starts after
    /// the blanks that follow the name and knows only `\\` and `\n`; in
    /// OpenMetrics it starts after one space and is escaped like a label
    /// value.
    fn help_text(&mut self) -> Result<String, String> {
        if self.rest.is_empty() {
            return Ok(String::new());
        }
        self.separator()?;
        let escapes: &[(char, char)] = match self.format {
            TextFormat::Prometheus => &[('\\', '\\'), ('n', '\n')],
            TextFormat::OpenMetrics => &[('\\', '\\'), ('n', '\n'), ('"', '"')],
        };
        let mut text = String::new();
        let mut chars = self.rest.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                text.push(c);
                continue;
            }
            let escaped = chars.next().ok_or("a backslash ends the help text")?;
            let &(_, decoded) = escapes
                .iter()
                .find(|(written, _)| *written == escaped)
                .ok_or(format!("invalid escape `\\{escaped}` in help text"))?;
            text.push(decoded);
        }
        self.rest = "";
        Ok(text)
    }

    /// `metric_name [ "{" label_name "=" '"' label_value '"' { "," ... } "}" ]
    /// value [ timestamp ]`
    fn read_sample(&mut self) -> Result<Sample, String> {
        let name = self.metric_name()?;
        let labels = if self.rest.starts_with('{') { self.label_set()? } else { Vec::new() };
        self.separator()?;
        let (value_text, timestamp) = match self.rest.split_once([' ', '\t']) {
            Some((value, timestamp)) => (value, Some(timestamp)),
            None => (self.rest, None),
        };
        let value = parse_value(value_text, self.format)?;
        if let Some(timestamp) = timestamp {
            self.timestamp(timestamp)?;
        }
        Ok(Sample { name, labels, value, family: None })
    }

    /// 0.0.4: an int64 of milliseconds; OpenMetrics: a number of seconds.
    fn timestamp(&self, text: &str) -> Result<(), String> {
        let text = match self.format {
            TextFormat::Prometheus => text.trim_matches([' ', '\t']),
            TextFormat::OpenMetrics => text,
        };
        let valid = match self.format {
            TextFormat::Prometheus => text.parse::<i64>().is_ok(),
            TextFormat::OpenMetrics => parse_value(text, self.format).is_ok_and(f64::is_finite),
        };
        valid.then_some(()).ok_or(format!("bad timestamp `{text}`"))
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    fn metric_name(&mut self) -> Result<String, String> {
        let is_first = |c: char| c.is_ascii_alphabetic() || c == '_' || c == ':';
        self.name(is_first, |c| is_first(c) || c.is_ascii_digit())
            .ok_or("expected a metric name".to_string())
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    fn label_name(&mut self) -> Result<String, String> {
        let is_first = |c: char| c.is_ascii_alphabetic() || c == '_';
        self.name(is_first, |c| is_first(c) || c.is_ascii_digit())
            .ok_or("expected a label name".to_string())
    }

    fn name(
        &mut self,
        is_first: impl Fn(char) -> bool,
        is_rest: impl Fn(char) -> bool,
    ) -> Option<String> {
        if !self.rest.starts_with(&is_first) {
            return None;
        }
        let end = self.rest.find(|c: char| !is_rest(c)).unwrap_or(self.rest.len());
        let (name, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(name.to_string())
    }

    fn label_set(&mut self) -> Result<Vec<(String, String)>, String> {
        self.expect('{')?;
        let mut labels: Vec<(String, String)> = Vec::new();
        loop {
            self.blanks_in_label_set();
            if self.rest.starts_with('}')
                && (labels.is_empty() || self.format == TextFormat::Prometheus)
            {
                break;
            }
            let name = self.label_name()?;
            if labels.iter().any(|(existing, _)| *existing == name) {
                return Err(format!("label `{name}` repeats"));
            }
            self.blanks_in_label_set();
            self.expect('=')?;
            self.blanks_in_label_set();
            let value = self.label_value()?;
            labels.push((name, value));
            self.blanks_in_label_set();
            if !self.rest.starts_with(',') {
                break;
            }
            self.expect(',')?;
        }
        self.expect('}')?;
        Ok(labels)
    }

    fn blanks_in_label_set(&mut self) {
        if self.format == TextFormat::Prometheus {
            self.rest = self.rest.trim_start_matches([' ', '\t']);
        }
    }

    /// `"` then characters, `\\`, `\"` or `\n`, then `"`.
    fn label_value(&mut self) -> Result<String, String> {
        self.expect('"')?;
        let mut value = String::new();
        let mut chars = self.rest.char_indices();
        while let Some((idx, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &self.rest[idx + 1..];
                    return Ok(value);
                }
                '\\' => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => return Err(format!("invalid escape in label value: {other:?}")),
                },
                c => value.push(c),
            }
        }
        Err("unterminated label value".to_string())
    }

    fn expect(&mut self, expected: char) -> Result<(), String> {
        self.rest = self.rest.strip_prefix(expected).ok_or(format!("expected `{expected}`"))?;
        Ok(())
    }
}

/// A sample value: `NaN`, `+Inf`, `-Inf`, or a decimal number with an
/// optional exponent. Go's `ParseFloat` (0.0.4) and the OpenMetrics ABNF
/// agree on these; neither takes hex, `_` separators or Rust's `inf`, and
/// OpenMetrics spells the specials in any case.
pub fn parse_value(text: &str, format: TextFormat) -> Result<f64, String> {
    let special = |word: &str| match format {
        TextFormat::Prometheus => text == word,
        TextFormat::OpenMetrics => text.eq_ignore_ascii_case(word),
    };
    if special("NaN") {
        return Ok(f64::NAN);
    }
    if special("+Inf") || special("Inf") {
        return Ok(f64::INFINITY);
    }
    if special("-Inf") {
        return Ok(f64::NEG_INFINITY);
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (unsigned, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let mantissa_valid = all_digits(int_part)
        && all_digits(frac_part)
        && !(int_part.is_empty() && frac_part.is_empty());
    let exponent_valid = exponent.is_none_or(|exponent| {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        !digits.is_empty() && all_digits(digits)
    });
    if !mantissa_valid || !exponent_valid {
        return Err(format!("`{text}` is not a number"));
    }
    text.parse().map_err(|err| format!("`{text}`: {err}"))
}

/// Every family is one contiguous group: each sample belongs to the
/// family of the `# TYPE` line above it, by name or by a suffix its type
/// has, and no name has two metadata lines of one kind. Both writers
/// promise a TYPE line for every family, so a sample without one is an
/// error here, although 0.0.4 would read it as untyped.
fn check_grouping(exposition: &Exposition, format: TextFormat) -> Result<(), String> {
    for lines in [&exposition.types, &exposition.helps, &exposition.units] {
        let mut seen = HashSet::new();
        if let Some((name, _)) = lines.iter().find(|(name, _)| !seen.insert(name)) {
            return Err(format!("two metadata lines of one kind for `{name}`"));
        }
    }
    for sample in &exposition.samples {
        let (family, type_name) = sample
            .family
            .map(|idx| &exposition.types[idx])
            .ok_or(format!("sample `{}` comes before any TYPE line", sample.name))?;
        let belongs = sample_suffixes(type_name, format)
            .iter()
            .any(|suffix| sample.name.strip_suffix(suffix) == Some(family.as_str()));
        if !belongs {
            return Err(format!("sample `{}` is not of family `{family}` above it", sample.name));
        }
    }
    Ok(())
}

/// The endings a sample name adds to its family name, by type.
fn sample_suffixes(type_name: &str, format: TextFormat) -> &'static [&'static str] {
    match (type_name, format) {
        ("histogram", TextFormat::Prometheus) => &["_bucket", "_sum", "_count"],
        ("histogram", TextFormat::OpenMetrics) => &["_bucket", "_sum", "_count", "_created"],
        ("counter", TextFormat::OpenMetrics) => &["_total", "_created"],
        _ => &[""],
    }
}
