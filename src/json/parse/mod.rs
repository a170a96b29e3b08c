//! The recursive-descent parser: one method per rule of RFC 8259's
//! grammar, each quoting its rule, so the code reads beside the RFC.
//! The rules inside a string, its escapes and UTF-8, are in `string.rs`.

mod string;

use std::borrow::Cow;
use std::collections::HashSet;

use super::{Error, ErrorKind, Number, Value};

/// How deeply arrays and objects may nest.
///
/// The parser recurses once per level, so this bound is what keeps a reply of
/// a hundred thousand `[` from exhausting the stack.
pub const MAX_DEPTH: usize = 64;

/// Parses one complete JSON text: a single value of any kind, with optional
/// whitespace around it and nothing else.
///
/// A byte order mark is not skipped: RFC 8259 section 8.1 forbids sending one.
///
/// # Errors
///
/// Returns the first violation of RFC 8259, of the duplicate-key rule or of
/// [`MAX_DEPTH`], together with its byte offset.
pub fn parse(input: &[u8]) -> Result<Value, Error> {
    let mut parser = Parser { input, pos: 0, depth: 0 };
    parser.parse_json_text()
}

/// A cursor over the input with one method per grammar rule.
///
/// Whitespace belongs to the structural characters (`begin-array = ws %x5B ws`
/// and so on), so each `parse_*` method starts at the first byte of its own
/// production and the callers skip the whitespace around it.
struct Parser<'a> {
    input: &'a [u8],
    /// Index of the next unread byte.
    pos: usize,
    /// How many arrays and objects enclose the cursor.
    depth: usize,
}

impl<'a> Parser<'a> {
    /// ```text
    /// JSON-text = ws value ws
    /// ```
    fn parse_json_text(&mut self) -> Result<Value, Error> {
        self.skip_ws();
        let value = self.parse_value()?;
        self.skip_ws();
        if self.pos < self.input.len() {
            return Err(self.error(ErrorKind::TrailingCharacters));
        }
        Ok(value)
    }

    /// ```text
    /// value = false / null / true / object / array / number / string
    /// ```
    fn parse_value(&mut self) -> Result<Value, Error> {
        match self.peek() {
            Some(b'{') => self.parse_object(),
            Some(b'[') => self.parse_array(),
            Some(b'"') => self.parse_string().map(|text| Value::String(text.into_owned())),
            Some(b'-' | b'0'..=b'9') => self.parse_number().map(Value::Number),
            Some(b't') => self.parse_literal(b"true", Value::Bool(true)),
            Some(b'f') => self.parse_literal(b"false", Value::Bool(false)),
            Some(b'n') => self.parse_literal(b"null", Value::Null),
            _ => Err(self.unexpected()),
        }
    }

    /// ```text
    /// false = %x66.61.6c.73.65   ; false
    /// null  = %x6e.75.6c.6c      ; null
    /// true  = %x74.72.75.65      ; true
    /// ```
    fn parse_literal(&mut self, word: &[u8], value: Value) -> Result<Value, Error> {
        for &byte in word {
            self.expect(byte)?;
        }
        Ok(value)
    }

    /// ```text
    /// object = begin-object [ member *( value-separator member ) ] end-object
    /// member = string name-separator value
    /// ```
    ///
    /// Example: `{"launched": "2020-11-04T17:57:42.448578", "requests": 2}`
    fn parse_object(&mut self) -> Result<Value, Error> {
        self.enter(b'{')?;
        let mut members: Vec<(String, Value)> = Vec::new();
        // The keys so far, so that a repeated one is found in constant time
        // (a scan of `members` would make many keys cost quadratic time).
        // Most keys borrow from the input, so keeping them costs no copy;
        // the std hasher is keyed at random, so a hostile reply cannot
        // choose keys that collide.
        let mut seen_keys: HashSet<Cow<'a, str>> = HashSet::new();
        if !self.eat(b'}') {
            loop {
                let key_offset = self.pos;
                let key = self.parse_string()?;
                if !seen_keys.insert(key.clone()) {
                    let kind = ErrorKind::DuplicateKey { key: key.into_owned() };
                    return Err(Error::new(kind, key_offset));
                }
                self.skip_ws();
                self.expect(b':')?;
                self.skip_ws();
                let value = self.parse_value()?;
                members.push((key.into_owned(), value));
                self.skip_ws();
                if self.eat(b'}') {
                    break;
                }
                self.parse_value_separator(b'}')?;
            }
        }
        self.depth -= 1;
        Ok(Value::Object(members))
    }

    /// ```text
    /// array = begin-array [ value *( value-separator value ) ] end-array
    /// ```
    ///
    /// Example: `[116, 943, 234, 38793]`
    fn parse_array(&mut self) -> Result<Value, Error> {
        self.enter(b'[')?;
        let mut elements = Vec::new();
        if !self.eat(b']') {
            loop {
                elements.push(self.parse_value()?);
                self.skip_ws();
                if self.eat(b']') {
                    break;
                }
                self.parse_value_separator(b']')?;
            }
        }
        self.depth -= 1;
        Ok(Value::Array(elements))
    }

    /// Consumes `open` (`{` or `[`) and the whitespace after it, one level deeper.
    ///
    /// ```text
    /// begin-array  = ws %x5B ws  ; [ left square bracket
    /// begin-object = ws %x7B ws  ; { left curly bracket
    /// ```
    fn enter(&mut self, open: u8) -> Result<(), Error> {
        if self.depth == MAX_DEPTH {
            return Err(self.error(ErrorKind::TooDeep));
        }
        self.expect(open)?;
        self.depth += 1;
        self.skip_ws();
        Ok(())
    }

    /// Consumes a comma and the whitespace after it; the next byte must begin
    /// another element rather than `close` the array or object.
    ///
    /// ```text
    /// value-separator = ws %x2C ws  ; , comma
    /// ```
    fn parse_value_separator(&mut self, close: u8) -> Result<(), Error> {
        let comma_offset = self.pos;
        self.expect(b',')?;
        self.skip_ws();
        if self.peek() == Some(close) {
            return Err(Error::new(ErrorKind::TrailingComma, comma_offset));
        }
        Ok(())
    }

    /// ```text
    /// number = [ minus ] int [ frac ] [ exp ]
    /// minus = %x2D               ; -
    /// ```
    ///
    /// Example: `-122.026020`
    fn parse_number(&mut self) -> Result<Number, Error> {
        let start = self.pos;
        self.eat(b'-');
        self.parse_int()?;
        if self.peek() == Some(b'.') {
            self.parse_frac()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.parse_exp()?;
        }
        // Every byte of the rule is ASCII, so each one is a whole `char`.
        let lexeme = self.input[start..self.pos].iter().map(|&byte| char::from(byte)).collect();
        Ok(Number::from_lexeme(lexeme))
    }

    /// ```text
    /// int = zero / ( digit1-9 *DIGIT )
    /// zero = %x30                ; 0
    /// ```
    fn parse_int(&mut self) -> Result<(), Error> {
        let zero_offset = self.pos;
        if self.eat(b'0') {
            // The grammar would end the number here and then trip over the
            // next digit; naming the leading zero is the more useful message.
            if let Some(b'0'..=b'9') = self.peek() {
                return Err(Error::new(ErrorKind::LeadingZero, zero_offset));
            }
            return Ok(());
        }
        self.parse_digits()
    }

    /// ```text
    /// frac = decimal-point 1*DIGIT
    /// decimal-point = %x2E       ; .
    /// ```
    fn parse_frac(&mut self) -> Result<(), Error> {
        self.expect(b'.')?;
        self.parse_digits()
    }

    /// ```text
    /// exp = e [ minus / plus ] 1*DIGIT
    /// e = %x65 / %x45            ; e E
    /// plus = %x2B                ; +
    /// ```
    fn parse_exp(&mut self) -> Result<(), Error> {
        if !self.eat(b'e') {
            self.expect(b'E')?;
        }
        if !self.eat(b'-') {
            self.eat(b'+');
        }
        self.parse_digits()
    }

    /// ```text
    /// 1*DIGIT
    /// ```
    fn parse_digits(&mut self) -> Result<(), Error> {
        let Some(b'0'..=b'9') = self.peek() else {
            return Err(self.unexpected());
        };
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        Ok(())
    }

    /// ```text
    /// ws = *( %x20 / %x09 / %x0A / %x0D )
    /// ```
    fn skip_ws(&mut self) {
        // Not `u8::is_ascii_whitespace`: that also accepts form feed (0x0C),
        // which JSON does not count as whitespace.
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The byte under the cursor, if any.
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// Consumes and returns the byte under the cursor, if any.
    fn bump(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    /// Consumes `byte` if it is under the cursor.
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Consumes `byte`, which the grammar requires here.
    fn expect(&mut self, byte: u8) -> Result<(), Error> {
        if self.eat(byte) {
            return Ok(());
        }
        Err(self.unexpected())
    }

    /// The error for whatever is under the cursor when no rule accepts it:
    /// the byte itself, or the end of the input.
    fn unexpected(&self) -> Error {
        match self.peek() {
            Some(byte) => self.error(ErrorKind::UnexpectedByte { byte }),
            None => self.error(ErrorKind::UnexpectedEnd),
        }
    }

    /// An error at the cursor.
    fn error(&self, kind: ErrorKind) -> Error {
        Error::new(kind, self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    pub(super) fn check(input: &str, expected: Value) {
        assert_eq!(parse(input.as_bytes()), Ok(expected));
    }

    #[track_caller]
    pub(super) fn check_error(input: &[u8], kind: ErrorKind, offset: usize) {
        assert_eq!(parse(input), Err(Error::new(kind, offset)));
    }

    #[track_caller]
    pub(super) fn unexpected(input: &[u8], byte: u8, offset: usize) {
        check_error(input, ErrorKind::UnexpectedByte { byte }, offset);
    }

    fn number(lexeme: &str) -> Value {
        Value::Number(Number::from_lexeme(lexeme.to_string()))
    }

    pub(super) fn string(text: &str) -> Value {
        Value::String(text.to_string())
    }

    /// Follows a dotted path of object keys, such as `Image.Thumbnail.Url`.
    #[track_caller]
    fn check_path(value: &Value, path: &str, expected: Value) {
        let found = path.split('.').try_fold(value, |value, key| value.get(key));
        assert_eq!(found, Some(&expected), "at {path}");
    }

    #[test]
    fn rfc_8259_section_13_image_object() {
        let text = r#"
            {
              "Image": {
                  "Width":  800,
                  "Height": 600,
                  "Title":  "View from 15th Floor",
                  "Thumbnail": {
                      "Url":    "http://www.example.com/image/481989943",
                      "Height": 125,
                      "Width":  100
                  },
                  "Animated" : false,
                  "IDs": [116, 943, 234, 38793]
                }
            }"#;
        let value = parse(text.as_bytes()).unwrap();
        check_path(&value, "Image.Width", number("800"));
        check_path(&value, "Image.Height", number("600"));
        check_path(&value, "Image.Title", string("View from 15th Floor"));
        let url = "http://www.example.com/image/481989943";
        check_path(&value, "Image.Thumbnail.Url", string(url));
        check_path(&value, "Image.Thumbnail.Height", number("125"));
        check_path(&value, "Image.Thumbnail.Width", number("100"));
        check_path(&value, "Image.Animated", Value::Bool(false));
        let ids = ["116", "943", "234", "38793"].map(number).to_vec();
        check_path(&value, "Image.IDs", Value::Array(ids));
    }

    #[test]
    fn rfc_8259_section_13_array_of_two_objects() {
        let text = r#"
            [
              {
                 "precision": "zip",
                 "Latitude":  37.7668,
                 "Longitude": -122.3959,
                 "Address":   "",
                 "City":      "SAN FRANCISCO",
                 "State":     "CA",
                 "Zip":       "94107",
                 "Country":   "US"
              },
              {
                 "precision": "zip",
                 "Latitude":  37.371991,
                 "Longitude": -122.026020,
                 "Address":   "",
                 "City":      "SUNNYVALE",
                 "State":     "CA",
                 "Zip":       "94085",
                 "Country":   "US"
              }
            ]"#;
        let Value::Array(places) = parse(text.as_bytes()).unwrap() else {
            panic!("not an array");
        };
        assert_eq!(places.len(), 2);
        let keys =
            ["precision", "Latitude", "Longitude", "Address", "City", "State", "Zip", "Country"];
        for place in &places {
            let Value::Object(members) = place else { panic!("not an object") };
            let names: Vec<&str> = members.iter().map(|(name, _)| name.as_str()).collect();
            assert_eq!(names, keys);
        }
        check_path(&places[0], "Latitude", number("37.7668"));
        check_path(&places[0], "Longitude", number("-122.3959"));
        check_path(&places[0], "Address", string(""));
        check_path(&places[0], "City", string("SAN FRANCISCO"));
        check_path(&places[0], "Zip", string("94107"));
        check_path(&places[1], "Latitude", number("37.371991"));
        // The trailing zero survives because numbers keep their text.
        check_path(&places[1], "Longitude", number("-122.026020"));
        check_path(&places[1], "City", string("SUNNYVALE"));
    }

    #[test]
    fn any_value_may_stand_at_the_top_level() {
        check(r#""Hello world!""#, string("Hello world!"));
        check("42", number("42"));
        check("true", Value::Bool(true));
        check("false", Value::Bool(false));
        check("null", Value::Null);
        check(" \t\r\n[ ] \t\r\n", Value::Array(Vec::new()));
        check("{ }", Value::Object(Vec::new()));
        check("[[], {}]", Value::Array(vec![Value::Array(Vec::new()), Value::Object(Vec::new())]));
    }

    #[test]
    fn rejects_malformed_numbers() {
        check_error(b"01", ErrorKind::LeadingZero, 0);
        check_error(b"-01", ErrorKind::LeadingZero, 1);
        check_error(b"00", ErrorKind::LeadingZero, 0);
        check_error(b"[1, 02]", ErrorKind::LeadingZero, 4);
        unexpected(b"+1", b'+', 0);
        unexpected(b".5", b'.', 0);
        check_error(b"1.", ErrorKind::UnexpectedEnd, 2);
        unexpected(b"1.e5", b'e', 2);
        check_error(b"1e", ErrorKind::UnexpectedEnd, 2);
        check_error(b"1e+", ErrorKind::UnexpectedEnd, 3);
        check_error(b"-", ErrorKind::UnexpectedEnd, 1);
        unexpected(b"-a", b'a', 1);
        unexpected(b"NaN", b'N', 0);
        unexpected(b"Infinity", b'I', 0);
        unexpected(b"-Infinity", b'I', 1);
        unexpected(b"[0x1F]", b'x', 2);
    }

    #[test]
    fn rejects_bad_structure() {
        check_error(b"", ErrorKind::UnexpectedEnd, 0);
        check_error(b"  ", ErrorKind::UnexpectedEnd, 2);
        check_error(b"[1,]", ErrorKind::TrailingComma, 2);
        check_error(b"[1 , ]", ErrorKind::TrailingComma, 3);
        check_error(br#"{"a": 1,}"#, ErrorKind::TrailingComma, 7);
        unexpected(b"[,]", b',', 1);
        unexpected(b"[1,,2]", b',', 3);
        unexpected(b"[1 2]", b'2', 3);
        unexpected(b"[1,}", b'}', 3);
        check_error(b"[1", ErrorKind::UnexpectedEnd, 2);
        check_error(br#"{"a""#, ErrorKind::UnexpectedEnd, 4);
        unexpected(br#"{"a" 1}"#, b'1', 5);
        unexpected(b"{1: 2}", b'1', 1);
        unexpected(br#"{"a": 1 "b": 2}"#, b'"', 8);
        check_error(b"nul", ErrorKind::UnexpectedEnd, 3);
        unexpected(b"[nulL]", b'L', 4);
    }

    #[test]
    fn whitespace_is_exactly_four_bytes() {
        unexpected(b"\x0c1", 0x0c, 0);
        unexpected(b"[1,\x0b2]", 0x0b, 3);
        check(" \t\n\r1 \t\n\r", number("1"));
    }

    #[test]
    fn rejects_trailing_characters() {
        check_error(b"1 2", ErrorKind::TrailingCharacters, 2);
        check_error(b"{} x", ErrorKind::TrailingCharacters, 3);
        check_error(b"truex", ErrorKind::TrailingCharacters, 4);
        check_error(b"[]]", ErrorKind::TrailingCharacters, 2);
        check_error(b"\"a\"\x00", ErrorKind::TrailingCharacters, 3);
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_an_error() {
        let arrays = |depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(arrays(MAX_DEPTH).as_bytes()).is_ok());
        check_error(arrays(MAX_DEPTH + 1).as_bytes(), ErrorKind::TooDeep, MAX_DEPTH);
        let objects = r#"{"a":"#.repeat(MAX_DEPTH + 1);
        check_error(objects.as_bytes(), ErrorKind::TooDeep, 5 * MAX_DEPTH);
        let unclosed = "[".repeat(100_000);
        check_error(unclosed.as_bytes(), ErrorKind::TooDeep, MAX_DEPTH);
    }

    fn duplicate(key: &str) -> ErrorKind {
        ErrorKind::DuplicateKey { key: key.to_string() }
    }

    #[test]
    fn rejects_duplicate_keys() {
        check_error(br#"{"requests": 1, "requests": 2}"#, duplicate("requests"), 16);
        check_error(br#"{"requests": 1, "requests": 1}"#, duplicate("requests"), 16);
        check_error(br#"{"a": 1, "\u0061": 2}"#, duplicate("a"), 9);
        let nested = parse(br#"{"a": {"a": 1}}"#).unwrap();
        check_path(&nested, "a.a", number("1"));
    }

    #[test]
    fn an_object_of_many_keys_keeps_them_all_and_finds_a_late_repeat() {
        // Each key is checked against all before it; with ten thousand
        // keys, a set is what keeps that from taking quadratic time.
        let members: Vec<String> = (0..10_000).map(|idx| format!(r#""k{idx}": {idx}"#)).collect();
        let text = format!("{{{}}}", members.join(", "));
        let value = parse(text.as_bytes()).unwrap();
        let Value::Object(parsed) = &value else { panic!("not an object") };
        assert_eq!(parsed.len(), 10_000);
        for (idx, (key, member)) in parsed.iter().enumerate() {
            assert_eq!(key, &format!("k{idx}"));
            assert_eq!(member, &number(&idx.to_string()));
        }
        check_path(&value, "k9999", number("9999"));

        // The first key again, last: the error is at the repeated key.
        let repeat = r#""k0": 0}"#;
        let with_repeat = format!("{{{}, {repeat}", members.join(", "));
        let offset = with_repeat.len() - repeat.len();
        check_error(with_repeat.as_bytes(), duplicate("k0"), offset);
        // An escaped key repeats the key it decodes to.
        let escaped = format!("{{{}, {}}}", members.join(", "), r#""\u006b42": 0"#);
        let offset = escaped.len() - r#""\u006b42": 0}"#.len();
        check_error(escaped.as_bytes(), duplicate("k42"), offset);
    }

    #[test]
    fn a_repeated_key_is_reported_before_anything_after_it() {
        // The key is checked as soon as it is read, so neither its value
        // nor the rest of the input changes the answer.
        check_error(br#"{"a": 1, "a": "#, duplicate("a"), 9);
        check_error(br#"{"a": 1, "a": {"b": 1, "b": 2}}"#, duplicate("a"), 9);
        check_error(br#"{"b": 1, "a": 2, "a": 3, "b": 4}"#, duplicate("a"), 17);
    }
}
