//! JSON: the parser answers for any bytes, and generated values written
//! as text parse back equal.

use probe_exporter::json::{self, Value};

use crate::support::rng::{check_property, hostile_input, random_text, Rng, CASES};

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
