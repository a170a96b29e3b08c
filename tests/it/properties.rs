//! Properties over generated input, checked with a small seeded generator.
//!
//! Examples show that a parser handles the cases someone thought of. Here
//! thousands of random and mutated inputs go into every parser, which must
//! answer `Ok` or `Err` and never panic; and what the exposition writer
//! writes, a reader built in this file from the specification must read
//! back to the same names, labels and values. The seed is fixed, so a run
//! repeats exactly; a failure prints the seed, and `PROPERTIES_SEED=N`
//! runs from another one.

use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};

use probe_exporter::config::{self, ConfigError};
use probe_exporter::exposition::negotiate;
use probe_exporter::exposition::{
    self, CounterValue, Family, Format, HistogramValue, Labels, Samples, StateSetValue,
};
use probe_exporter::http::{self, Parsed};
use probe_exporter::json::{self, Value};
use probe_exporter::time::{self, Offset};

/// Cases per property: enough to reach odd corners, few enough that every
/// property together takes a few seconds in a debug build.
const CASES: usize = 3_000;

/// The seed of every run unless `PROPERTIES_SEED` names another.
const DEFAULT_SEED: u64 = 0x5EED_0F0F_9E0B;

// ---------------------------------------------------------------------------
// The generator and the runner

/// SplitMix64 (Steele, Lea and Flood, 2014): a generator whose whole state
/// is one number, so that one number reproduces a case.
struct Rng {
    state: u64,
}

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; `n` must be above zero.
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u32, high: u32) -> u32 {
        low + self.below((high - low + 1) as usize) as u32
    }

    /// True once in `n` times, on average.
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }
}

/// Runs `property` on `cases` cases, each with a generator of its own, and
/// prints how many it tried. A failing case names its seed.
fn check_property(name: &str, cases: usize, property: impl Fn(&mut Rng)) {
    let run_seed = std::env::var("PROPERTIES_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let mut seeds = Rng::new(run_seed);
    for case in 0..cases {
        let case_seed = seeds.next_u64();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| property(&mut Rng::new(case_seed))));
        if let Err(payload) = outcome {
            eprintln!(
                "property `{name}` failed on case {case} (case seed {case_seed:#x}); \
                 PROPERTIES_SEED={run_seed} repeats the run"
            );
            panic::resume_unwind(payload);
        }
    }
    println!("property `{name}`: {cases} cases passed (PROPERTIES_SEED={run_seed})");
}

/// Bytes that mean something to at least one of the parsers.
const INTERESTING_BYTES: &[u8] =
    b"\r\n\t :;,=\"'\\%+-./?&#[]{}0123456789eETZ:\x00\x7f\x80\xbf\xc3\xed\xf0\xff";

fn random_byte(rng: &mut Rng) -> u8 {
    if rng.one_in(2) {
        rng.next_u64() as u8
    } else {
        *rng.pick(INTERESTING_BYTES)
    }
}

fn random_bytes(rng: &mut Rng, max_len: usize) -> Vec<u8> {
    let len = rng.below(max_len + 1);
    (0..len).map(|_| random_byte(rng)).collect()
}

/// A non-empty range `start..end` inside `0..len`, where `len` is above zero.
fn random_range(rng: &mut Rng, len: usize) -> (usize, usize) {
    let start = rng.below(len);
    let end = start + 1 + rng.below(len - start);
    (start, end)
}

/// Changes `bytes` in one to four ways: flips a bit, overwrites a byte,
/// inserts bytes, deletes a range, or duplicates a range elsewhere.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        let len = bytes.len();
        match rng.below(5) {
            0 if len > 0 => {
                let idx = rng.below(len);
                bytes[idx] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let idx = rng.below(len);
                bytes[idx] = random_byte(rng);
            }
            2 => {
                let at = rng.below(len + 1);
                let inserted = random_bytes(rng, 8);
                bytes.splice(at..at, inserted);
            }
            3 if len > 0 => {
                let (start, end) = random_range(rng, len);
                bytes.drain(start..end);
            }
            4 if len > 0 => {
                let (start, end) = random_range(rng, len);
                let copy = bytes[start..end].to_vec();
                let at = rng.below(len + 1);
                bytes.splice(at..at, copy);
            }
            _ => {}
        }
    }
}

/// Half the time random bytes, half the time a valid input, mutated.
fn hostile_input(rng: &mut Rng, valid_inputs: &[&[u8]]) -> Vec<u8> {
    if rng.one_in(2) {
        return random_bytes(rng, 200);
    }
    let mut input = rng.pick(valid_inputs).to_vec();
    mutate(rng, &mut input);
    input
}

/// A string of characters from every corner of Unicode: ASCII, the
/// characters formats escape, controls, and multi-byte ones.
fn random_text(rng: &mut Rng, max_len: usize) -> String {
    let len = rng.below(max_len + 1);
    (0..len).map(|_| random_char(rng)).collect()
}

fn random_char(rng: &mut Rng) -> char {
    match rng.below(6) {
        0 | 1 => char::from(rng.between(0x20, 0x7e) as u8),
        2 => *rng.pick(&['"', '\\', '\n', '\r', '\t', ' ', '#', '{', '}', '=', ',', '\0']),
        3 => char::from(rng.between(0, 0x1f) as u8),
        4 => *rng.pick(&['é', 'ß', '€', '✓', '\u{7ff}', '\u{800}', '\u{fffd}', '\u{feff}']),
        _ => {
            // Any scalar value; surrogates are not characters and are skipped.
            let code_point = rng.between(0x80, 0x10_ffff);
            char::from_u32(code_point).unwrap_or('\u{10ffff}')
        }
    }
}

// ---------------------------------------------------------------------------
// HTTP request heads

/// Valid request heads, one each.
const HTTP_HEADS: &[&[u8]] = &[
    b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.0\r\n\r\n",
    b"HEAD /-/healthy HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"GET /probe?target=127.0.0.1%3A13&module=daytime HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET http://a:10013/metrics?x=1+2 HTTP/1.1\r\nHost: a\r\nAccept: text/plain\r\n\r\n",
    b"POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n",
    b"GET /metrics HTTP/1.1\nHost: a\nX-Prometheus-Scrape-Timeout-Seconds: 10\n\n",
];

#[test]
fn http_parser_answers_ok_or_err_for_any_bytes() {
    let mut valid_inputs = HTTP_HEADS.to_vec();
    let pipelined = [HTTP_HEADS[0], HTTP_HEADS[2]].concat();
    valid_inputs.push(&pipelined);
    check_property("http::parse_request never panics", CASES, |rng| {
        let input = hostile_input(rng, &valid_inputs);
        match http::parse_request(&input) {
            Ok(Parsed::Complete(_, used)) => {
                assert!(used <= input.len(), "used {used} of {} bytes", input.len());
                assert_eq!(input[used - 1], b'\n', "a head ends with a line feed");
                // The head alone is the same request: nothing after it counted.
                let head_alone = http::parse_request(&input[..used]);
                assert!(matches!(head_alone, Ok(Parsed::Complete(_, n)) if n == used));
            }
            Ok(Parsed::Partial) => {}
            Err(err) => assert!((400..600).contains(&err.status().0), "{err:?}"),
        }
    });
}

#[test]
fn http_heads_are_partial_until_their_last_byte_whatever_follows() {
    check_property("http::parse_request: prefixes and followers", CASES, |rng| {
        let head = *rng.pick(HTTP_HEADS);
        // Incomplete input is not invalid: every proper prefix asks for more.
        let cut = rng.below(head.len());
        assert_eq!(http::parse_request(&head[..cut]), Ok(Parsed::Partial), "{cut} bytes");
        // A whole head is complete, and what follows it (the next pipelined
        // request, or garbage) changes nothing about it.
        let mut input = head.to_vec();
        input.extend(random_bytes(rng, 64));
        let Ok(Parsed::Complete(request, used)) = http::parse_request(&input) else {
            panic!("{:?} is not complete", String::from_utf8_lossy(&input));
        };
        assert_eq!(used, head.len());
        assert_eq!(http::parse_request(head), Ok(Parsed::Complete(request, used)));
    });
}

// ---------------------------------------------------------------------------
// JSON

const JSON_TEXTS: &[&[u8]] = &[
    br#"{"launched": "2020-11-04T17:57:42.448578", "requests": 2}"#,
    br#"[1, -0.5e+3, true, false, null, "\u00e9\ud83d\ude00\n", {"a": []}]"#,
    br#"{"deep": [[[[{"x": [0, 1E9, 12.25]}]]]], "s": "\"\\\/\b\f\r\t"}"#,
    b"  \"plain\"  ",
];

#[test]
fn json_parser_answers_ok_or_err_for_any_bytes() {
    check_property("json::parse never panics", CASES, |rng| {
        let input = hostile_input(rng, JSON_TEXTS);
        if let Err(err) = json::parse(&input) {
            assert!(err.offset() <= input.len(), "{err} in {} bytes", input.len());
        }
    });
}

/// A JSON value as the generator builds it; numbers keep their text.
#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

fn random_json(rng: &mut Rng, depth: usize) -> Json {
    let kinds = if depth == 0 { 4 } else { 6 };
    match rng.below(kinds) {
        0 => Json::Null,
        1 => Json::Bool(rng.one_in(2)),
        2 => Json::Number(random_json_number(rng)),
        3 => Json::String(random_text(rng, 12)),
        4 => Json::Array((0..rng.below(5)).map(|_| random_json(rng, depth - 1)).collect()),
        _ => {
            let mut members: Vec<(String, Json)> = Vec::new();
            for _ in 0..rng.below(5) {
                let key = random_text(rng, 6);
                if members.iter().all(|(existing, _)| *existing != key) {
                    members.push((key, random_json(rng, depth - 1)));
                }
            }
            Json::Object(members)
        }
    }
}

/// `number = [ minus ] int [ frac ] [ exp ]` (RFC 8259 section 6).
fn random_json_number(rng: &mut Rng) -> String {
    let mut text = String::new();
    if rng.one_in(3) {
        text.push('-');
    }
    if rng.one_in(4) {
        text.push('0');
    } else {
        text.push(char::from(b'1' + rng.below(9) as u8));
        push_digits(rng, &mut text, 0, 12);
    }
    if rng.one_in(3) {
        text.push('.');
        push_digits(rng, &mut text, 1, 12);
    }
    if rng.one_in(3) {
        text.push(*rng.pick(&['e', 'E']));
        text.push_str(rng.pick_str(&["", "+", "-"]));
        push_digits(rng, &mut text, 1, 4);
    }
    text
}

fn push_digits(rng: &mut Rng, text: &mut String, min: u32, max: u32) {
    for _ in 0..rng.between(min, max) {
        text.push(char::from(b'0' + rng.below(10) as u8));
    }
}

/// Writes `value` as JSON text with random insignificant whitespace and a
/// random choice among the spellings of each string character.
fn render_json(rng: &mut Rng, value: &Json, out: &mut String) {
    out.push_str(rng.pick_str(&["", "", " ", "\n", "\t", "\r\n  "]));
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Number(text) => out.push_str(text),
        Json::String(text) => render_json_string(rng, text, out),
        Json::Array(elements) => {
            out.push('[');
            for (idx, element) in elements.iter().enumerate() {
                if idx > 0 {
                    out.push(',');
                }
                render_json(rng, element, out);
            }
            out.push_str(rng.pick_str(&["", " "]));
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (idx, (key, member)) in members.iter().enumerate() {
                if idx > 0 {
                    out.push(',');
                }
                out.push_str(rng.pick_str(&["", " "]));
                render_json_string(rng, key, out);
                out.push_str(rng.pick_str(&[":", " : ", ":\n"]));
                render_json(rng, member, out);
            }
            out.push_str(rng.pick_str(&["", "\n"]));
            out.push('}');
        }
    }
    out.push_str(rng.pick_str(&["", "", " "]));
}

fn render_json_string(rng: &mut Rng, text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        let short_escape = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\u{08}' => Some("\\b"),
            '\u{0c}' => Some("\\f"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '/' if rng.one_in(2) => Some("\\/"),
            _ => None,
        };
        match short_escape {
            Some(escape) if rng.one_in(4) || c == '"' || c == '\\' || c < ' ' => {
                if c < ' ' && rng.one_in(2) {
                    push_unicode_escape(c, out);
                } else {
                    out.push_str(escape);
                }
            }
            _ if c < ' ' || rng.one_in(8) => push_unicode_escape(c, out),
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// `\uXXXX`, as a surrogate pair for characters beyond the BMP.
fn push_unicode_escape(c: char, out: &mut String) {
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        out.push_str(&format!("\\u{unit:04X}"));
    }
}

#[track_caller]
fn assert_same_json(expected: &Json, actual: &Value) {
    match (expected, actual) {
        (Json::Null, Value::Null) => {}
        (Json::Bool(a), Value::Bool(b)) => assert_eq!(a, b),
        (Json::Number(text), Value::Number(number)) => assert_eq!(number.as_str(), text),
        (Json::String(a), Value::String(b)) => assert_eq!(a, b),
        (Json::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "array length");
            a.iter().zip(b).for_each(|(a, b)| assert_same_json(a, b));
        }
        (Json::Object(a), Value::Object(b)) => {
            assert_eq!(a.len(), b.len(), "object size");
            for ((key_a, a), (key_b, b)) in a.iter().zip(b) {
                assert_eq!(key_a, key_b);
                assert_same_json(a, b);
            }
        }
        _ => panic!("expected {expected:?}, parsed {actual:?}"),
    }
}

#[test]
fn json_values_written_as_text_parse_back_equal() {
    check_property("json: value -> text -> same value", CASES, |rng| {
        let value = random_json(rng, 4);
        let mut text = String::new();
        render_json(rng, &value, &mut text);
        match json::parse(text.as_bytes()) {
            Ok(parsed) => assert_same_json(&value, &parsed),
            Err(err) => panic!("{err} in {text:?}"),
        }
    });
}

// ---------------------------------------------------------------------------
// Date-times

const DATE_TIMES: &[&[u8]] = &[
    b"2020-11-04T17:57:42.448578",
    b"2020-11-04T17:57:42Z",
    b"1999-12-31t23:59:59.999999999999-08:00",
    b"2000-02-29 00:00:00+14:00",
    b"0000-01-01T00:00:00.5z",
];

#[test]
fn time_parser_answers_ok_or_err_for_any_text() {
    check_property("time::parse_iso8601 never panics", CASES, |rng| {
        let input = hostile_input(rng, DATE_TIMES);
        let text = String::from_utf8_lossy(&input);
        if let Ok(seconds) = time::parse_iso8601(&text, Offset::UTC) {
            assert!(seconds.is_finite(), "{text:?} gave {seconds}");
        }
        // An offset that parses is written `+hh:mm` or `-hh:mm`, which
        // parses back to the same offset.
        if let Ok(offset) = Offset::parse(&text) {
            assert_eq!(Offset::parse(&offset.to_string()), Ok(offset), "{text:?}");
        }
    });
}

/// Days from 1970-01-01 to the date, counted one year and one month at a
/// time: slow, and plainly the Gregorian calendar.
fn days_since_epoch(year: i64, month: u32, day: u32) -> i64 {
    let year_days = |year: i64| if is_leap_year(year) { 366 } else { 365 };
    let mut days: i64 = if year >= 1970 {
        (1970..year).map(year_days).sum()
    } else {
        -(year..1970).map(year_days).sum::<i64>()
    };
    days += (1..month).map(|m| i64::from(days_in_month(year, m))).sum::<i64>();
    days + i64::from(day) - 1
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[test]
fn valid_date_times_parse_to_the_seconds_the_calendar_gives() {
    check_property("time: date-time -> Unix seconds", CASES, |rng| {
        let year = rng.between(0, 9999);
        let month = rng.between(1, 12);
        let day = rng.between(1, days_in_month(i64::from(year), month));
        let (hour, minute, second) = (rng.between(0, 23), rng.between(0, 59), rng.between(0, 59));
        let mut text = format!("{year:04}-{month:02}-{day:02}");
        text.push(*rng.pick(&['T', 't', ' ']));
        text.push_str(&format!("{hour:02}:{minute:02}:{second:02}"));
        // Digits after the ninth are read but ignored.
        let mut nanos = 0;
        if rng.one_in(2) {
            text.push('.');
            for place in 0..rng.between(1, 12) {
                let digit = rng.below(10) as u32;
                text.push(char::from(b'0' + digit as u8));
                if place < 9 {
                    nanos += digit * 10u32.pow(8 - place);
                }
            }
        }
        let default_offset_minutes = rng.between(0, 23 * 60 + 59) as i64 * *rng.pick(&[1, -1]);
        let offset_minutes = match rng.below(3) {
            0 => default_offset_minutes,
            1 => {
                text.push(*rng.pick(&['Z', 'z']));
                0
            }
            _ => {
                let minutes = rng.between(0, 23 * 60 + 59) as i64 * *rng.pick(&[1, -1]);
                text.push_str(&offset_text(minutes));
                minutes
            }
        };
        let default_offset = Offset::parse(&offset_text(default_offset_minutes)).unwrap();

        let local = days_since_epoch(i64::from(year), month, day) * 86_400
            + i64::from(hour * 3600 + minute * 60 + second);
        let expected = (local - offset_minutes * 60) as f64 + f64::from(nanos) * 1e-9;
        let parsed = time::parse_iso8601(&text, default_offset)
            .unwrap_or_else(|err| panic!("{text:?}: {err}"));
        // A few ulps: an f64 near year 9999 resolves only tens of µs.
        let tolerance = (expected.abs() * 4.0 * f64::EPSILON).max(1e-6);
        assert!((parsed - expected).abs() <= tolerance, "{text:?}: {parsed} != {expected}");
    });
}

/// `+hh:mm` or `-hh:mm` for an offset in minutes.
fn offset_text(minutes: i64) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let minutes = minutes.abs();
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

// ---------------------------------------------------------------------------
// The configuration file

const CONFIG_FILE: &str = include_str!("../../dist/probe_exporter.conf");

/// Pieces of configuration lines, valid and not, to assemble files from.
const CONFIG_PIECES: &[&str] = &[
    "[target a]",
    "[target b.c-d_e]",
    "[probe]",
    "[target]",
    "[targets x]",
    "[target a",
    "kind = daytime",
    "kind = counter",
    "kind = gopher",
    "address = 127.0.0.1:13",
    "address = [::1]:1111",
    "address = host.example:0",
    "address = ::1:13",
    "timeout = 1s",
    "timeout = 0s",
    "timeout = 1.5ms",
    "timeout = -1s",
    "metric = service_requests",
    "metric = bad-name",
    "requests_field = requests",
    "launched_field = launched",
    "launched_offset = +01:00",
    "launched_offset = +24:00",
    "buckets = 0.1, 1, 10",
    "buckets = 1, 0.1",
    "buckets = NaN",
    "allow = 10.0.0.0/8",
    "allow = 127.0.0.1:13",
    "allow = 300.0.0.0/99",
    "# a comment",
    "",
    "   ",
    "=",
    "key",
];

#[test]
fn config_parser_answers_ok_or_err_for_any_text() {
    check_property("config::parse_file never panics", CASES, |rng| {
        let text = if rng.one_in(2) {
            let mut bytes = CONFIG_FILE.as_bytes().to_vec();
            mutate(rng, &mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            let n_lines = rng.below(16);
            let mut lines: Vec<String> =
                (0..n_lines).map(|_| rng.pick(CONFIG_PIECES).to_string()).collect();
            if let Some(line) = lines.iter_mut().find(|_| rng.one_in(4)) {
                line.push_str(&random_text(rng, 8));
            }
            lines.join(rng.pick_str(&["\n", "\r\n"]))
        };
        if let Err(err) = config::parse_file(&text, "fuzz.conf") {
            let message = err.to_string();
            assert!(message.starts_with("fuzz.conf:"), "{message}");
            if let ConfigError::Line { line, .. } = err {
                assert!(line >= 1 && line <= text.lines().count(), "{message}");
            }
        }
    });
}

#[test]
fn generated_config_files_load_the_targets_they_name() {
    check_property("config: file -> targets", CASES, |rng| {
        let mut text = String::new();
        let mut expected = Vec::new();
        for idx in 0..rng.below(6) {
            let name = format!("{}{idx}", random_target_name(rng));
            let kind = rng.pick_str(&["daytime", "counter"]);
            let address = *rng.pick(&["127.0.0.1:13", "[::1]:1111", "clock.example:65535"]);
            let timeout_ms = rng.between(1, 60_000);
            let mut settings = vec![
                format!("kind = {kind}"),
                format!("address{}={}{address}", spaces(rng), spaces(rng)),
                format!("timeout = {timeout_ms}ms"),
            ];
            if kind == "counter" && rng.one_in(2) {
                settings.push("metric = app_requests".to_string());
            }
            // Settings may come in any order, with comments and blanks between.
            for idx in (1..settings.len()).rev() {
                settings.swap(idx, rng.below(idx + 1));
            }
            text.push_str(&format!("{}[target {name}]\n", spaces(rng)));
            for setting in settings {
                text.push_str(rng.pick_str(&["", "\n", "# note\n", "  \t\n"]));
                text.push_str(&format!("{}{setting}{}\n", spaces(rng), spaces(rng)));
            }
            expected.push((name, kind, address.to_string(), timeout_ms));
        }
        let file =
            config::parse_file(&text, "gen.conf").unwrap_or_else(|err| panic!("{err} in\n{text}"));
        let loaded: Vec<_> = file
            .targets
            .iter()
            .map(|t| {
                let timeout_ms = t.timeout.as_millis() as u32;
                (t.name.clone(), t.kind.name(), t.address.to_string(), timeout_ms)
            })
            .collect();
        assert_eq!(loaded, expected, "in\n{text}");
    });
}

fn random_target_name(rng: &mut Rng) -> String {
    const NAME_BYTES: &[u8] = b"abcxyzABCXYZ0189_.-";
    let len = 1 + rng.below(10);
    (0..len).map(|_| char::from(*rng.pick(NAME_BYTES))).collect()
}

fn spaces(rng: &mut Rng) -> &'static str {
    rng.pick_str(&["", " ", "  ", "\t"])
}

// ---------------------------------------------------------------------------
// The Accept header

const ACCEPT_HEADERS: &[&[u8]] = &[
    b"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    b"text/plain;version=0.0.4;q=1,*/*;q=0.1",
    b"application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
];

#[test]
fn accept_parser_answers_for_any_text_and_falls_back_to_text() {
    check_property("negotiate::negotiate never panics", CASES, |rng| {
        let input = hostile_input(rng, ACCEPT_HEADERS);
        let header = String::from_utf8_lossy(&input);
        let chosen = negotiate::negotiate(Some(&header));
        // Only `application/openmetrics-text` or `application/*` admits
        // OpenMetrics; without either, the answer is the text format, the
        // fallback the content negotiation documentation asks for.
        if !header.to_ascii_lowercase().contains("application") {
            assert_eq!(chosen.text_format(), Some(Format::Prometheus), "Accept: {header}");
        }
    });
}

/// One `Accept` entry the generator may write, and which format it admits.
struct AcceptEntry {
    media_type: &'static str,
    version: Option<&'static str>,
    admits: Format,
}

/// Media ranges that admit exactly one of the two formats and overlap with
/// no other range for it, so RFC 9110's "most specific range wins" rule
/// never applies and the highest `q` alone decides.
const ACCEPT_ENTRIES: &[AcceptEntry] = &[
    AcceptEntry {
        media_type: "application/openmetrics-text",
        version: Some("1.0.0"),
        admits: Format::OpenMetrics,
    },
    AcceptEntry {
        media_type: "Application/OpenMetrics-Text",
        version: None,
        admits: Format::OpenMetrics,
    },
    AcceptEntry { media_type: "text/plain", version: Some("0.0.4"), admits: Format::Prometheus },
    AcceptEntry { media_type: "TEXT/PLAIN", version: None, admits: Format::Prometheus },
];

#[test]
fn the_format_with_the_highest_quality_wins() {
    check_property("negotiate: highest q wins", CASES, |rng| {
        let mut entries = Vec::new();
        let mut best = [0.0f64; 2]; // The best q of OpenMetrics, then of text.
        let mut used = HashSet::new();
        for _ in 0..1 + rng.below(3) {
            let idx = rng.below(ACCEPT_ENTRIES.len());
            let entry = &ACCEPT_ENTRIES[idx];
            // The same range twice would be a conflict RFC 9110 leaves open.
            if !used.insert(entry.admits == Format::OpenMetrics) {
                continue;
            }
            let q_thousandths =
                *rng.pick(&[None, Some(0), Some(1), Some(100), Some(500), Some(1000)]);
            let quality = q_thousandths.map_or(1.0, |q| f64::from(q) / 1000.0);
            best[usize::from(entry.admits == Format::Prometheus)] = quality;
            entries.push(accept_entry_text(rng, entry, q_thousandths));
        }
        // Ranges for other types change nothing.
        if rng.one_in(3) {
            entries.insert(rng.below(entries.len() + 1), "application/json;q=1".to_string());
        }
        let header = entries.join(rng.pick_str(&[",", ", ", " ,"]));
        let [open_metrics, text] = best;
        let chosen = negotiate::negotiate(Some(&header));
        if open_metrics > text {
            assert_eq!(chosen.text_format(), Some(Format::OpenMetrics), "Accept: {header}");
        } else if text > open_metrics || text == 0.0 {
            assert_eq!(chosen.text_format(), Some(Format::Prometheus), "Accept: {header}");
        }
    });
}

/// Writes one entry with its parameters in a random order, with or without
/// spaces, the version quoted or not, and `q` as `0.5`, `0.500` and so on.
fn accept_entry_text(rng: &mut Rng, entry: &AcceptEntry, q_thousandths: Option<u32>) -> String {
    let mut parameters = Vec::new();
    if let Some(version) = entry.version {
        parameters.push(if rng.one_in(3) {
            format!("version=\"{version}\"")
        } else {
            format!("version={version}")
        });
    }
    if let Some(q) = q_thousandths {
        let q_text = match q {
            1000 => rng.pick(&["1", "1.0", "1.000"]).to_string(),
            0 => rng.pick(&["0", "0.0", "0.000"]).to_string(),
            _ => format!("0.{q:03}").trim_end_matches('0').to_string(),
        };
        parameters.push(format!("{}={q_text}", rng.pick_str(&["q", "Q"])));
    }
    if rng.one_in(3) {
        parameters.push("charset=utf-8".to_string());
    }
    for idx in (1..parameters.len()).rev() {
        parameters.swap(idx, rng.below(idx + 1));
    }
    let mut text = entry.media_type.to_string();
    for parameter in parameters {
        text.push_str(rng.pick_str(&[";", "; ", " ;"]));
        text.push_str(&parameter);
    }
    text
}

// ---------------------------------------------------------------------------
// The exposition writer, and a reference reader for what it writes
//
// The reader follows the Prometheus text format 0.0.4 documentation
// ("Exposition formats": lines, `# HELP`/`# TYPE`, the escapes `\\`, `\"`
// and `\n`, Go float syntax) and the OpenMetrics 1.0 ABNF (one space
// between tokens, `# UNIT`, `# EOF` last, canonical `le`). Where 0.0.4
// tolerates more (extra blanks, trailing commas, comments) the reader does
// too; it is strict about everything a writer must get right, and asks
// for a TYPE line above every sample, which both formats' writers promise.

/// One sample line, as read.
#[derive(Clone, Debug)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
    /// The index in [`Exposition::types`] of the last `# TYPE` line above.
    family: Option<usize>,
}

/// What the reader found in an exposition.
#[derive(Debug, Default)]
struct Exposition {
    /// (name, type) of each `# TYPE` line.
    types: Vec<(String, String)>,
    /// (name, unescaped text) of each `# HELP` line.
    helps: Vec<(String, String)>,
    /// (name, unit) of each `# UNIT` line.
    units: Vec<(String, String)>,
    samples: Vec<Sample>,
}

fn read_exposition(text: &str, format: Format) -> Result<Exposition, String> {
    let body = match format {
        Format::Prometheus => text,
        Format::OpenMetrics => {
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
    format: Format,
}

impl LineReader<'_> {
    fn read_line(&mut self, exposition: &mut Exposition) -> Result<(), String> {
        if self.rest.trim_matches([' ', '\t']).is_empty() {
            return match self.format {
                Format::Prometheus => Ok(()),
                Format::OpenMetrics => Err("blank line".to_string()),
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
            ("HELP" | "TYPE", _) | ("UNIT", Format::OpenMetrics) => true,
            ("EOF", Format::OpenMetrics) => return Err("data after `# EOF`".to_string()),
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
                    Format::Prometheus => &["counter", "gauge", "histogram", "summary", "untyped"],
                    Format::OpenMetrics => &[
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
            Format::Prometheus => Ok(()),
            Format::OpenMetrics => Err("a comment other than TYPE, UNIT, HELP or EOF".to_string()),
        }
    }

    /// Blanks between tokens: one space in OpenMetrics, spaces and tabs
    /// in 0.0.4.
    fn separator(&mut self) -> Result<(), String> {
        let trimmed = match self.format {
            Format::Prometheus => self.rest.trim_start_matches([' ', '\t']),
            Format::OpenMetrics => self.rest.strip_prefix(' ').unwrap_or(self.rest),
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
            Format::Prometheus => &[('\\', '\\'), ('n', '\n')],
            Format::OpenMetrics => &[('\\', '\\'), ('n', '\n'), ('"', '"')],
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
            Format::Prometheus => text.trim_matches([' ', '\t']),
            Format::OpenMetrics => text,
        };
        let valid = match self.format {
            Format::Prometheus => text.parse::<i64>().is_ok(),
            Format::OpenMetrics => parse_value(text, self.format).is_ok_and(f64::is_finite),
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
                && (labels.is_empty() || self.format == Format::Prometheus)
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
        if self.format == Format::Prometheus {
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
fn parse_value(text: &str, format: Format) -> Result<f64, String> {
    let special = |word: &str| match format {
        Format::Prometheus => text == word,
        Format::OpenMetrics => text.eq_ignore_ascii_case(word),
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
fn check_grouping(exposition: &Exposition, format: Format) -> Result<(), String> {
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
fn sample_suffixes(type_name: &str, format: Format) -> &'static [&'static str] {
    match (type_name, format) {
        ("histogram", Format::Prometheus) => &["_bucket", "_sum", "_count"],
        ("histogram", Format::OpenMetrics) => &["_bucket", "_sum", "_count", "_created"],
        ("counter", Format::OpenMetrics) => &["_total", "_created"],
        _ => &[""],
    }
}

// What a family must turn into, per the formats' specifications.

/// (metadata kind, name, text) and (name, sorted labels, value): the
/// comparable content of an exposition.
type Metadata = Vec<(&'static str, String, String)>;
type Series = Vec<(String, Vec<(String, String)>, f64)>;

fn expected_content(families: &[Family], format: Format) -> (Metadata, Series) {
    let mut metadata = Metadata::new();
    let mut series = Series::new();
    for family in families {
        add_expected_family(family, format, &mut metadata, &mut series);
    }
    (metadata, series)
}

fn add_expected_family(
    family: &Family,
    format: Format,
    metadata: &mut Metadata,
    series: &mut Series,
) {
    let name = family.name;
    let declare = |metadata: &mut Metadata, declared: &str, type_name: &str| {
        metadata.push(("TYPE", declared.to_string(), type_name.to_string()));
        if !family.help.is_empty() {
            let help = match format {
                // 0.0.4 cannot keep blanks at the start of a help text.
                Format::Prometheus => family.help.trim_start_matches([' ', '\t']),
                Format::OpenMetrics => family.help,
            };
            metadata.push(("HELP", declared.to_string(), help.to_string()));
        }
        if let (Some(unit), Format::OpenMetrics) = (family.unit, format) {
            metadata.push(("UNIT", declared.to_string(), unit.to_string()));
        }
    };
    let mut add =
        |sample_name: String, labels: &Labels, extra: Option<(&str, String)>, value: f64| {
            let mut labels: Vec<(String, String)> = labels
                .pairs()
                .iter()
                .map(|&(name, value)| (name.to_string(), value.to_string()))
                .collect();
            labels.extend(extra.map(|(name, value)| (name.to_string(), value)));
            labels.sort();
            series.push((sample_name, labels, value));
        };
    let om = format == Format::OpenMetrics;
    match &family.samples {
        Samples::Gauge(gauges) if !gauges.is_empty() => {
            declare(metadata, name, "gauge");
            for (labels, value) in gauges.iter() {
                add(name.to_string(), labels, None, *value);
            }
        }
        Samples::Counter(counters) if !counters.is_empty() => {
            let total = format!("{name}_total");
            declare(metadata, if om { name } else { &total }, "counter");
            let created = format!("{name}_created");
            if !om && counters.iter().any(|(_, counter)| counter.created.is_some()) {
                declare(metadata, &created, "gauge");
            }
            for (labels, counter) in counters.iter() {
                add(total.clone(), labels, None, counter.total);
                if let Some(seconds) = counter.created {
                    add(created.clone(), labels, None, seconds);
                }
            }
        }
        Samples::Histogram(histograms) if !histograms.is_empty() => {
            declare(metadata, name, "histogram");
            let created = format!("{name}_created");
            if !om && histograms.iter().any(|(_, histogram)| histogram.created.is_some()) {
                declare(metadata, &created, "gauge");
            }
            for (labels, histogram) in histograms.iter() {
                let buckets = histogram.bounds.values().iter().zip(&histogram.cumulative);
                for (&bound, &count) in buckets {
                    add(
                        format!("{name}_bucket"),
                        labels,
                        Some(("le", le_key(bound))),
                        count as f64,
                    );
                }
                let count = histogram.count as f64;
                add(format!("{name}_bucket"), labels, Some(("le", le_key(f64::INFINITY))), count);
                add(format!("{name}_count"), labels, None, count);
                add(format!("{name}_sum"), labels, None, histogram.sum);
                if let Some(seconds) = histogram.created {
                    add(created.clone(), labels, None, seconds);
                }
            }
        }
        Samples::StateSet(state_sets) if !state_sets.is_empty() => {
            // 0.0.4 has no state set; it becomes a gauge, as client_python writes it.
            declare(metadata, name, if om { "stateset" } else { "gauge" });
            for (labels, state_set) in state_sets.iter() {
                for (idx, state) in state_set.states().iter().enumerate() {
                    let value = if state_set.is_set(idx) { 1.0 } else { 0.0 };
                    add(name.to_string(), labels, Some((name, state.to_string())), value);
                }
            }
        }
        // A family without samples writes nothing at all.
        _ => {}
    }
}

/// The number a bucket bound stands for, as a comparable key: `le="1"` and
/// `le="1.0"` name the same bound.
fn le_key(bound: f64) -> String {
    // Both zeros are the same bound, written `0` (or `0.0`).
    let bound = if bound == 0.0 { 0.0 } else { bound };
    format!("{bound:?}")
}

/// The content the reader found, in the shape of [`expected_content`]:
/// `le` values become keys, and OpenMetrics wants them canonical.
fn read_content(exposition: &Exposition, format: Format) -> Result<(Metadata, Series), String> {
    let mut metadata = Metadata::new();
    for (kind, lines) in
        [("TYPE", &exposition.types), ("HELP", &exposition.helps), ("UNIT", &exposition.units)]
    {
        metadata.extend(lines.iter().map(|(name, text)| (kind, name.clone(), text.clone())));
    }
    let mut series = Series::new();
    for sample in &exposition.samples {
        let mut labels = sample.labels.clone();
        if sample.name.ends_with("_bucket") {
            for (_, value) in labels.iter_mut().filter(|(name, _)| name == "le") {
                let bound = parse_value(value, format)?;
                let canonical = value.contains(['.', 'e']) || value == "+Inf";
                if format == Format::OpenMetrics && !canonical {
                    return Err(format!("`le=\"{value}\"` is not canonical"));
                }
                *value = le_key(bound);
            }
        }
        labels.sort();
        series.push((sample.name.clone(), labels, sample.value));
    }
    Ok((metadata, series))
}

fn same_value(expected: f64, actual: f64) -> bool {
    // `==` also takes -0 for 0, which both formats may write as `0`.
    expected == actual || (expected.is_nan() && actual.is_nan())
}

// Generating families.

const UNITS: &[&str] = &["seconds", "bytes", "ratio", "celsius"];

/// Endings that OpenMetrics gives a meaning to; names avoid them so that a
/// sample name is never ambiguous between families.
const RESERVED_SUFFIXES: &[&str] =
    &["_total", "_created", "_bucket", "_sum", "_count", "_info", "_gcount", "_gsum"];

/// Metric names, `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn random_metric_name(rng: &mut Rng, with_colons: bool) -> String {
    const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:";
    const REST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:0123456789";
    let allowed = |c: u8| with_colons || c != b':';
    let mut name = String::new();
    while name.is_empty() {
        let first = *rng.pick(FIRST);
        if allowed(first) {
            name.push(char::from(first));
        }
    }
    for _ in 0..rng.below(16) {
        let c = *rng.pick(REST);
        if allowed(c) {
            name.push(char::from(c));
        }
    }
    name
}

/// Label names, `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`.
fn random_label_name(rng: &mut Rng) -> String {
    loop {
        let name = random_metric_name(rng, false);
        if !name.starts_with("__") {
            return name;
        }
    }
}

/// Floats of every kind: NaN, the infinities, both zeros, subnormals, the
/// extremes, short decimals, and arbitrary bit patterns.
fn random_float(rng: &mut Rng) -> f64 {
    let sign = if rng.one_in(2) { -1.0 } else { 1.0 };
    match rng.below(9) {
        0 => *rng.pick(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0]),
        1 => sign * f64::from_bits(rng.next_u64() & ((1 << 52) - 1)), // Subnormal.
        2 => *rng.pick(&[f64::MIN_POSITIVE, f64::MAX, f64::MIN, f64::EPSILON, 5e-324]),
        3 => sign * rng.below(1_000_000) as f64,
        4 => sign * rng.below(100_000) as f64 / 10f64.powi(rng.below(8) as i32),
        5 => sign * 10f64.powi(rng.below(600) as i32 - 300),
        _ => loop {
            let value = f64::from_bits(rng.next_u64());
            if !value.is_nan() {
                break value;
            }
        },
    }
}

/// Finite and not negative: what a counter may hold.
fn random_count(rng: &mut Rng) -> f64 {
    loop {
        let value = random_float(rng).abs();
        if value.is_finite() {
            return value;
        }
    }
}

/// Makes generated text live as long as the test process, as the
/// borrowed families of the exposition want: what the cases leak is freed
/// when the process ends.
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// The labels, either as pairs the writer escapes or spelled once, as a
/// scrape hands them over: both must write the same text.
fn leak_labels(labels: Vec<(String, String)>, spell_once: bool) -> Labels<'static> {
    let pairs: Vec<(&str, &str)> =
        labels.into_iter().map(|(name, value)| (leak(name), leak(value))).collect();
    let pairs: &[(&str, &str)] = Box::leak(pairs.into_boxed_slice());
    if spell_once {
        Labels::spelled(pairs, leak(exposition::spell_labels(pairs)))
    } else {
        Labels::new(pairs)
    }
}

fn random_labels(rng: &mut Rng, reserved: &[&str]) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = Vec::new();
    for _ in 0..rng.below(4) {
        let name = random_label_name(rng);
        if !reserved.contains(&name.as_str())
            && labels.iter().all(|(existing, _)| *existing != name)
        {
            labels.push((name, random_text(rng, 10)));
        }
    }
    labels
}

/// `n` series of one family, each with label values no other has: a
/// family never has the same series twice.
fn random_series<T>(
    rng: &mut Rng,
    reserved_labels: &[&str],
    value: impl Fn(&mut Rng) -> T,
) -> Vec<(Labels<'static>, T)> {
    let label_names: Vec<String> =
        random_labels(rng, reserved_labels).into_iter().map(|(name, _)| name).collect();
    let mut series: Vec<(Vec<(String, String)>, T)> = Vec::new();
    for _ in 0..rng.below(4) {
        let labels: Vec<(String, String)> =
            label_names.iter().map(|name| (name.clone(), random_text(rng, 10))).collect();
        if series.iter().all(|(existing, _)| *existing != labels) {
            let value = value(rng);
            series.push((labels, value));
        }
    }
    series.into_iter().map(|(labels, value)| (leak_labels(labels, rng.one_in(2)), value)).collect()
}

fn random_histogram(rng: &mut Rng) -> HistogramValue {
    let mut bounds: Vec<f64> = (0..1 + rng.below(5))
        .map(|_| random_float(rng))
        .filter(|bound| bound.is_finite())
        .collect();
    bounds.sort_by(f64::total_cmp);
    bounds.dedup_by(|a, b| a == b);
    let mut cumulative = 0u64;
    let buckets: Vec<(f64, u64)> = bounds
        .into_iter()
        .map(|bound| {
            // Counts stay below 2^53, where an f64 (the reader's value) is exact.
            cumulative += rng.next_u64() % (1 << 40);
            (bound, cumulative)
        })
        .collect();
    let count = cumulative + rng.next_u64() % (1 << 40);
    let created = rng.one_in(2).then(|| random_count(rng));
    let sum = loop {
        let sum = random_float(rng);
        if sum.is_finite() {
            break sum;
        }
    };
    HistogramValue::from_buckets(&buckets, count, sum, created)
}

fn random_family(rng: &mut Rng, taken: &mut HashSet<String>) -> Family<'static> {
    loop {
        let kind = rng.below(4);
        let unit = (kind != 3 && rng.one_in(4)).then(|| *rng.pick(UNITS));
        let mut name = random_metric_name(rng, kind != 3);
        if let Some(unit) = unit {
            name = format!("{name}_{unit}");
        }
        let sample_names: Vec<String> = ["", "_total", "_created", "_bucket", "_sum", "_count"]
            .iter()
            .map(|suffix| format!("{name}{suffix}"))
            .collect();
        let clashes = RESERVED_SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
            || name.starts_with("__")
            || sample_names.iter().any(|sample| taken.contains(sample));
        if clashes {
            continue;
        }
        taken.extend(sample_names);
        let help = if rng.one_in(4) { String::new() } else { random_text(rng, 20) };
        let samples = match kind {
            0 => Samples::Gauge(random_series(rng, &[], random_float).into()),
            1 => Samples::Counter(
                random_series(rng, &[], |rng| CounterValue {
                    total: random_count(rng),
                    created: rng.one_in(2).then(|| random_count(rng)),
                })
                .into(),
            ),
            2 => Samples::Histogram(random_series(rng, &["le"], random_histogram).into()),
            _ => {
                let states: Vec<&str> = random_state_names(rng).into_iter().map(leak).collect();
                let states: &[&str] = Box::leak(states.into_boxed_slice());
                Samples::StateSet(
                    random_series(rng, &[name.as_str()], |rng| {
                        StateSetValue::new(states, rng.next_u64() & ((1 << states.len()) - 1))
                    })
                    .into(),
                )
            }
        };
        let family = Family { name: leak(name), help: leak(help), unit: None, samples };
        return match unit {
            Some(unit) => family.with_unit(unit),
            None => family,
        };
    }
}

fn random_state_names(rng: &mut Rng) -> Vec<String> {
    let mut states: Vec<String> = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let state = random_text(rng, 8);
        if !states.contains(&state) {
            states.push(state);
        }
    }
    states
}

#[track_caller]
fn check_round_trip(families: &[Family], format: Format) {
    let text = exposition::render(families, format);
    let (mut metadata, mut series) = read_exposition(&text, format)
        .and_then(|read| read_content(&read, format))
        .unwrap_or_else(|err| panic!("{format:?}: {err}\n{text}"));
    let (mut expected_metadata, mut expected_series) = expected_content(families, format);
    metadata.sort();
    expected_metadata.sort();
    assert_eq!(metadata, expected_metadata, "{format:?} metadata of\n{text}");
    let key =
        |(name, labels, _): &(String, Vec<(String, String)>, f64)| (name.clone(), labels.clone());
    series.sort_by_key(key);
    expected_series.sort_by_key(key);
    let names = |series: &Series| series.iter().map(key).collect::<Vec<_>>();
    assert_eq!(names(&series), names(&expected_series), "{format:?} series of\n{text}");
    for ((name, _, actual), (_, _, expected)) in series.iter().zip(&expected_series) {
        assert!(
            same_value(*expected, *actual),
            "{format:?} `{name}`: wrote {expected:?}, read {actual:?}\n{text}"
        );
    }
}

#[test]
fn rendered_families_read_back_the_same_in_both_formats() {
    check_property("exposition: families -> text -> same families", CASES, |rng| {
        let mut taken = HashSet::new();
        let families: Vec<Family> =
            (0..rng.below(5)).map(|_| random_family(rng, &mut taken)).collect();
        check_round_trip(&families, Format::Prometheus);
        check_round_trip(&families, Format::OpenMetrics);
    });
}

#[test]
fn the_reference_reader_rejects_what_the_specification_forbids() {
    // The reader is what the round trip trusts, so it must be able to say no.
    #[track_caller]
    fn check_rejected(text: &str, format: Format) {
        let read = read_exposition(text, format).and_then(|e| read_content(&e, format));
        assert!(read.is_err(), "{format:?} accepted {text:?}");
    }
    use Format::{OpenMetrics, Prometheus};
    check_rejected("# TYPE x gauge\nx 1", Prometheus);
    check_rejected("# TYPE x gauge\nx 1\n", OpenMetrics);
    check_rejected("# TYPE x gauge\nx inf\n", Prometheus);
    check_rejected("# TYPE x gauge\nx 0x10\n", Prometheus);
    check_rejected("# TYPE x gauge\nx 1_000\n", Prometheus);
    check_rejected("# TYPE x gauge\nx{a=\"\\t\"} 1\n", Prometheus);
    check_rejected("# TYPE x gauge\nx{a=\"b\",a=\"c\"} 1\n", Prometheus);
    check_rejected("# TYPE x gauge\nx{a=\"b\",} 1\n# EOF\n", OpenMetrics);
    check_rejected("# TYPE x gauge\nx  1\n# EOF\n", OpenMetrics);
    check_rejected("# TYPE x gauge\n\nx 1\n# EOF\n", OpenMetrics);
    check_rejected("# HELP x a \\\"b\\\"\n# TYPE x gauge\nx 1\n", Prometheus);
    check_rejected("# TYPE x gauge\nx 1\n# EOF\n# TYPE y gauge\ny 1\n# EOF\n", OpenMetrics);
    check_rejected("# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx 2\n", Prometheus);
    check_rejected("# TYPE x gauge\nx 1\n# TYPE x gauge\n", Prometheus);
    check_rejected("y 1\n", Prometheus);
    check_rejected("# TYPE x histogram\nx_bucket{le=\"1\"} 1\n# EOF\n", OpenMetrics);
    check_rejected(
        "# TYPE x_seconds gauge\n# UNIT x_seconds bytes\nx_seconds 1\n# EOF\n",
        OpenMetrics,
    );
    // And it reads what the documentation shows.
    let documented = "# HELP http_requests_total The total number of HTTP requests.\n\
        # TYPE http_requests_total counter\n\
        http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n\
        \n\
        # A normal comment.\n\
        # TYPE msdos_file_access_time_seconds gauge\n\
        msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n";
    let read = read_exposition(documented, Prometheus).unwrap();
    assert_eq!(read.samples.len(), 2);
    assert_eq!(read.samples[1].labels[1].1, "Cannot find file:\n\"FILE.TXT\"");
    assert_eq!(read.samples[1].value, 1.458255915e9);
}
