//! A small JSON parser (RFC 8259) for the replies of the counter service.
//!
//! It turns bytes into a [`Value`] tree, and tells a reader when the bytes
//! it has hold a whole value ([`ValueEnd`]); no writer, no streaming parse.
//! Numbers keep the exact text they were written as, so a counter is read
//! as an integer without a detour through `f64`. An object that names
//! the same key twice is rejected: an exporter must not guess which of two
//! `requests` counts is the true one. Nesting is capped at [`MAX_DEPTH`] so
//! hostile input ends in an error, never in a stack overflow.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// How deeply arrays and objects may nest.
///
/// The parser recurses once per level, so this bound is what keeps a reply of
/// a hundred thousand `[` from exhausting the stack.
pub const MAX_DEPTH: usize = 64;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, kept as written.
    Number(Number),
    /// A string with its escapes decoded.
    String(String),
    /// An array's elements in order.
    Array(Vec<Value>),
    /// An object's members in the order they were written; no key repeats.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// Returns the member named `key` if `self` is an object that has one.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => {
                members.iter().find(|(name, _)| name == key).map(|(_, value)| value)
            }
            _ => None,
        }
    }

    /// Names the kind of value, for messages like "expected a number, found a string".
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

/// A JSON number, kept as the exact text it was written as.
///
/// RFC 8259 sets no limit on the range or precision of numbers, so the parser
/// does not pick one: the caller asks for the reading it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    lexeme: String,
}

impl Number {
    /// The nearest `f64`; a number beyond the range of `f64` becomes infinite.
    pub fn as_f64(&self) -> f64 {
        // The parser builds a `Number` only from text that matches the JSON
        // `number` rule, and every such text is valid `f64` syntax.
        self.lexeme.parse().expect("a JSON number is valid f64 syntax")
    }

    /// The value as a `u64` when it is a whole number from 0 to
    /// `u64::MAX`, however it is written: `2`, `2.0`, `2e0`, `2.000` and
    /// `0.2e1` are all 2, and `-0` is 0. The text is read exactly, in
    /// decimal: `2.5` is a fraction even where `f64` would round it, and
    /// `1e400` is out of range, not infinite.
    pub fn as_u64(&self) -> Result<u64, IntegerError> {
        exact_u64(&self.lexeme)
    }

    /// The number exactly as it appeared in the input.
    pub fn as_str(&self) -> &str {
        &self.lexeme
    }
}

/// Why a [`Number`] is not a `u64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegerError {
    /// It has a fractional part: `2.5`, `25e-1`.
    Fraction,
    /// It is a whole number below 0 or above `u64::MAX`: `-1`, `1e400`.
    OutOfRange,
}

impl fmt::Display for IntegerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IntegerError::Fraction => "not a whole number",
            IntegerError::OutOfRange => "out of range",
        })
    }
}

impl std::error::Error for IntegerError {}

/// The exact value of a JSON number as a `u64`. A number is its digits,
/// integer part then fraction, times ten to the power of its exponent
/// less the fraction's length; zeros trimmed from both ends of the digits
/// leave the same value, and what is left is whole exactly when that
/// power is not negative.
fn exact_u64(lexeme: &str) -> Result<u64, IntegerError> {
    let (negative, unsigned) = match lexeme.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, lexeme),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, saturating_exponent(exponent)),
        None => (unsigned, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let Some(first) = digits.iter().position(|&digit| digit != b'0') else {
        return Ok(0); // All zeros, `-0` too: zero whatever the exponent.
    };
    let last = digits.iter().rposition(|&digit| digit != b'0').unwrap_or(first);
    let significant = &digits[first..=last];
    let trailing_zeros = digits.len() - 1 - last;
    // A reply is at most a few KiB long, so these lengths fit an `i64`
    // many times over; the exponent saturates instead.
    let power = exponent.saturating_sub(frac.len() as i64).saturating_add(trailing_zeros as i64);
    if power < 0 {
        return Err(IntegerError::Fraction);
    }
    if negative {
        return Err(IntegerError::OutOfRange);
    }
    let out_of_range = IntegerError::OutOfRange;
    // `u64::MAX` has 20 digits: anything longer is out of range.
    let power = u32::try_from(power)
        .ok()
        .filter(|&power| significant.len() as u64 + u64::from(power) <= 20)
        .ok_or(out_of_range)?;
    let value = significant.iter().try_fold(0u64, |value, &digit| {
        value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    });
    value.and_then(|value| value.checked_mul(10u64.checked_pow(power)?)).ok_or(out_of_range)
}

/// The exponent of a number (`+3`, `-12`, `400`), saturated at the bounds
/// of `i64` rather than overflowing: a reply may write any number of digits.
fn saturating_exponent(text: &str) -> i64 {
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    digits.bytes().fold(0i64, |value, digit| {
        value.saturating_mul(10).saturating_add(sign * i64::from(digit - b'0'))
    })
}

/// Why the input is not JSON, and the byte offset where that became clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    offset: usize,
}

impl Error {
    fn new(kind: ErrorKind, offset: usize) -> Error {
        Error { kind, offset }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The byte offset into the input where the problem starts.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

/// The ways input can fail to be JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input ended in the middle of a value, or held no value at all.
    UnexpectedEnd,
    /// A byte that no grammar rule allows here, such as the `+` of `+1`,
    /// the `N` of `NaN` or a single quote.
    UnexpectedByte {
        /// The byte found.
        byte: u8,
    },
    /// A comma right before the `]` or `}` that closes an array or object.
    TrailingComma,
    /// A backslash escape that RFC 8259 does not define, or a `\u` that is
    /// not followed by four hex digits.
    InvalidEscape,
    /// A `\u` escape of a UTF-16 surrogate that is not part of a high-low pair.
    LoneSurrogate,
    /// A number with a superfluous leading zero, such as `01` or `-01`.
    LeadingZero,
    /// A raw control character (U+0000 to U+001F) inside a string, where it
    /// must be escaped.
    ControlCharacter {
        /// The control character's byte.
        byte: u8,
    },
    /// Bytes inside a string that are not valid UTF-8.
    InvalidUtf8,
    /// Something other than whitespace after the value.
    TrailingCharacters,
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// An object that has the same key twice.
    DuplicateKey {
        /// The repeated key, its escapes decoded.
        key: String,
    },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::UnexpectedEnd => write!(f, "unexpected end of input"),
            ErrorKind::UnexpectedByte { byte } if byte.is_ascii_graphic() => {
                write!(f, "unexpected character {:?}", char::from(*byte))
            }
            ErrorKind::UnexpectedByte { byte } => write!(f, "unexpected byte 0x{byte:02x}"),
            ErrorKind::TrailingComma => write!(f, "trailing comma"),
            ErrorKind::InvalidEscape => write!(f, "invalid escape sequence"),
            ErrorKind::LoneSurrogate => write!(f, "unpaired utf-16 surrogate in \\u escape"),
            ErrorKind::LeadingZero => write!(f, "number has a leading zero"),
            ErrorKind::ControlCharacter { byte } => {
                write!(f, "unescaped control character 0x{byte:02x} in string")
            }
            ErrorKind::InvalidUtf8 => write!(f, "invalid utf-8 in string"),
            ErrorKind::TrailingCharacters => write!(f, "trailing characters after the value"),
            ErrorKind::TooDeep => write!(f, "nesting deeper than {MAX_DEPTH} levels"),
            ErrorKind::DuplicateKey { key } => write!(f, "duplicate key {key:?}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)
    }
}

impl std::error::Error for Error {}

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
    /// string = quotation-mark *char quotation-mark
    /// char = unescaped / escape ( ... )
    /// quotation-mark = %x22      ; "
    /// ```
    ///
    /// Example: `"View from 15th Floor"`
    fn parse_string(&mut self) -> Result<Cow<'a, str>, Error> {
        self.expect(b'"')?;
        // A string without escapes is a slice of the input; the first
        // escape turns it into an owned copy.
        let mut text = Cow::Borrowed("");
        loop {
            text += self.parse_unescaped()?;
            let offset = self.pos;
            match self.bump() {
                Some(b'"') => return Ok(text),
                Some(b'\\') => text.to_mut().push(self.parse_escape(offset)?),
                Some(byte) => {
                    let kind = ErrorKind::ControlCharacter { byte };
                    return Err(Error::new(kind, offset));
                }
                None => return Err(self.error(ErrorKind::UnexpectedEnd)),
            }
        }
    }

    /// Consumes the longest run of unescaped characters and checks that it is UTF-8.
    ///
    /// ```text
    /// unescaped = %x20-21 / %x23-5B / %x5D-10FFFF
    /// ```
    fn parse_unescaped(&mut self) -> Result<&'a str, Error> {
        let start = self.pos;
        while let Some(byte) = self.peek() {
            if byte == b'"' || byte == b'\\' || byte < 0x20 {
                break;
            }
            self.pos += 1;
        }
        // A run stops only at ASCII bytes, which never occur inside a
        // multi-byte UTF-8 sequence, so each run can be checked on its own.
        std::str::from_utf8(&self.input[start..self.pos])
            .map_err(|err| Error::new(ErrorKind::InvalidUtf8, start + err.valid_up_to()))
    }

    /// Decodes the escape whose backslash, already consumed, is at `start`.
    ///
    /// ```text
    /// escape (
    ///     %x22 /          ; "    quotation mark  U+0022
    ///     %x5C /          ; \    reverse solidus U+005C
    ///     %x2F /          ; /    solidus         U+002F
    ///     %x62 /          ; b    backspace       U+0008
    ///     %x66 /          ; f    form feed       U+000C
    ///     %x6E /          ; n    line feed       U+000A
    ///     %x72 /          ; r    carriage return U+000D
    ///     %x74 /          ; t    tab             U+0009
    ///     %x75 4HEXDIG )  ; uXXXX                U+XXXX
    /// escape = %x5C              ; \
    /// ```
    fn parse_escape(&mut self, start: usize) -> Result<char, Error> {
        let decoded = match self.bump() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{08}',
            Some(b'f') => '\u{0c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.parse_unicode_escape(start),
            Some(_) => return Err(Error::new(ErrorKind::InvalidEscape, start)),
            None => return Err(self.error(ErrorKind::UnexpectedEnd)),
        };
        Ok(decoded)
    }

    /// Decodes the `XXXX` of `\uXXXX`, joining a UTF-16 surrogate pair written
    /// as two escapes into one character: RFC 8259 section 7 writes U+1D11E
    /// as `"\uD834\uDD1E"`.
    fn parse_unicode_escape(&mut self, start: usize) -> Result<char, Error> {
        let lone_surrogate = Error::new(ErrorKind::LoneSurrogate, start);
        let first = self.parse_hex4(start)?;
        let code_point = if (0xD800..=0xDBFF).contains(&first) {
            // A high surrogate means nothing alone: the low half must follow
            // at once, as another `\u` escape.
            if !self.input[self.pos..].starts_with(b"\\u") {
                return Err(lone_surrogate);
            }
            self.pos += 2;
            let second = self.parse_hex4(self.pos - 2)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return Err(lone_surrogate);
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        // `char::from_u32` refuses exactly the surrogates, so a low surrogate
        // without a high one ends up here.
        char::from_u32(code_point).ok_or(lone_surrogate)
    }

    /// Reads the four hex digits of the `\u` escape at `start`.
    ///
    /// ```text
    /// HEXDIG = DIGIT / "A" / "B" / "C" / "D" / "E" / "F"  ; RFC 5234, any case
    /// ```
    fn parse_hex4(&mut self, start: usize) -> Result<u32, Error> {
        let mut value = 0;
        for _ in 0..4 {
            let Some(byte) = self.bump() else {
                return Err(self.error(ErrorKind::UnexpectedEnd));
            };
            let Some(digit) = char::from(byte).to_digit(16) else {
                return Err(Error::new(ErrorKind::InvalidEscape, start));
            };
            value = value * 16 + digit;
        }
        Ok(value)
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
        Ok(Number { lexeme })
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

/// Where the first JSON value in a stream of bytes ends, found a read at a
/// time: a reader asks it after each read whether the bytes so far hold a
/// whole value, and can stop reading there, before the peer closes.
///
/// Each byte is looked at once, so a reply that arrives a byte at a time
/// costs what it costs in one piece; parsing the bytes so far after every
/// read would cost time quadratic in their length. It tracks only what
/// decides where a value ends: whether the cursor is in a string, whether
/// the byte before was a backslash, and how deeply arrays and objects
/// nest. Whether the value is valid is for [`parse`] to say afterwards;
/// a first byte that can begin no value ends the search at once too, as
/// nothing after it can make the text JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValueEnd {
    state: ScanState,
    /// How many arrays and objects enclose the cursor.
    depth: usize,
}

/// Where the cursor of a [`ValueEnd`] is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum ScanState {
    /// In the whitespace before the value.
    #[default]
    Before,
    /// In a number or `true`, `false` or `null` at the top level, which
    /// ends only at a byte that cannot continue it: `2` may become `23`.
    Bare,
    /// In a string; `escaped` just after its backslash.
    InString { escaped: bool },
    /// In an array or object, outside any string.
    Nested,
    /// Past the end of the value, or past a byte that begins none.
    Ended,
}

impl ValueEnd {
    /// A search that has seen no byte yet.
    pub fn new() -> ValueEnd {
        ValueEnd::default()
    }

    /// Looks at `more`, the bytes that followed those seen before, and
    /// says whether the value has ended (and stays ended).
    pub fn found_in(&mut self, more: &[u8]) -> bool {
        let mut rest = more;
        while self.state != ScanState::Ended {
            // Most bytes of a reply change nothing: the text of a string,
            // the numbers and names between brackets. They are skipped in
            // one search; only the others step the state.
            let Some(at) = rest.iter().position(|&byte| self.may_change(byte)) else { break };
            self.state = self.after(rest[at]);
            rest = &rest[at + 1..];
        }
        self.state == ScanState::Ended
    }

    /// Whether `byte` may change the state: inside a string only a quote
    /// or a backslash can, in an array or object only a quote or a bracket.
    fn may_change(&self, byte: u8) -> bool {
        match self.state {
            ScanState::InString { escaped: false } => matches!(byte, b'"' | b'\\'),
            ScanState::Nested => matches!(byte, b'"' | b'[' | b']' | b'{' | b'}'),
            _ => true,
        }
    }

    /// The state after `byte`.
    fn after(&mut self, byte: u8) -> ScanState {
        match (self.state, byte) {
            (ScanState::Before, b' ' | b'\t' | b'\n' | b'\r') => ScanState::Before,
            (ScanState::Before | ScanState::Nested, b'"') => ScanState::InString { escaped: false },
            (ScanState::Before | ScanState::Nested, b'[' | b'{') => {
                self.depth += 1;
                ScanState::Nested
            }
            (ScanState::Before, b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => ScanState::Bare,
            (ScanState::Before, _) => ScanState::Ended,
            (ScanState::Bare, byte) if is_bare_byte(byte) => ScanState::Bare,
            (ScanState::Bare, _) => ScanState::Ended,
            (ScanState::InString { escaped: false }, b'\\') => {
                ScanState::InString { escaped: true }
            }
            (ScanState::InString { escaped: false }, b'"') => self.closed(),
            (ScanState::InString { .. }, _) => ScanState::InString { escaped: false },
            (ScanState::Nested, b']' | b'}') => {
                self.depth -= 1;
                self.closed()
            }
            (ScanState::Nested, _) => ScanState::Nested,
            (ScanState::Ended, _) => ScanState::Ended,
        }
    }

    /// The state after a string, array or object closes: the value has
    /// ended if nothing encloses it.
    fn closed(&self) -> ScanState {
        if self.depth == 0 {
            ScanState::Ended
        } else {
            ScanState::Nested
        }
    }
}

/// A byte that can continue a number or a literal: `1.5e-3`, `true`.
fn is_bare_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'+' | b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: Value) {
        assert_eq!(parse(input.as_bytes()), Ok(expected));
    }

    #[track_caller]
    fn check_string(input: &str, expected: &str) {
        check(input, Value::String(expected.to_string()));
    }

    #[track_caller]
    fn check_number(input: &str, as_f64: f64, as_u64: Option<u64>) {
        let Ok(Value::Number(number)) = parse(input.as_bytes()) else {
            panic!("{input:?} did not parse as a number");
        };
        assert_eq!(number.as_str(), input);
        assert_eq!(number.as_f64(), as_f64);
        assert_eq!(number.as_u64().ok(), as_u64);
    }

    #[track_caller]
    fn check_error(input: &[u8], kind: ErrorKind, offset: usize) {
        assert_eq!(parse(input), Err(Error { kind, offset }));
    }

    #[track_caller]
    fn unexpected(input: &[u8], byte: u8, offset: usize) {
        check_error(input, ErrorKind::UnexpectedByte { byte }, offset);
    }

    fn number(lexeme: &str) -> Value {
        Value::Number(Number { lexeme: lexeme.to_string() })
    }

    fn string(text: &str) -> Value {
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
    fn the_counter_reply_yields_its_fields() {
        let reply = br#"{"launched": "2020-11-04T17:57:42.448578", "requests": 2}"#;
        let value = parse(reply).unwrap();
        assert_eq!(value.get("launched"), Some(&string("2020-11-04T17:57:42.448578")));
        let Some(Value::Number(requests)) = value.get("requests") else { panic!("no requests") };
        assert_eq!(requests.as_u64(), Ok(2));
        assert_eq!(value.get("missing"), None);
        assert_eq!(number("2").get("requests"), None);
    }

    #[test]
    fn kinds_are_named_as_rfc_8259_names_them() {
        assert_eq!(Value::Null.kind(), "null");
        assert_eq!(Value::Bool(true).kind(), "boolean");
        assert_eq!(number("1").kind(), "number");
        assert_eq!(string("").kind(), "string");
        assert_eq!(Value::Array(Vec::new()).kind(), "array");
        assert_eq!(Value::Object(Vec::new()).kind(), "object");
    }

    #[test]
    fn escapes_decode_to_their_characters() {
        check_string(r#""\"""#, "\"");
        check_string(r#""\\""#, "\\");
        check_string(r#""\/""#, "/");
        check_string(r#""\b\f\n\r\t""#, "\u{8}\u{c}\n\r\t");
        check_string(r#""\u0041\u00e9\u00E9""#, "Aéé");
        check_string(r#""\u0000""#, "\0");
        check_string(r#""\uD834\uDD1E""#, "\u{1D11E}");
        check_string(r#""a\u0062c""#, "abc");
    }

    #[test]
    fn raw_characters_in_strings() {
        check_string("\"é 𝄞\"", "é 𝄞");
        check_string("\"\u{7f}\"", "\u{7f}");
        check_string("\" !#[]~\"", " !#[]~");
    }

    #[test]
    fn numbers_keep_their_text_and_convert_exactly() {
        check_number("0", 0.0, Some(0));
        check_number("-0", -0.0, Some(0));
        check_number("2", 2.0, Some(2));
        check_number("2.0", 2.0, Some(2));
        check_number("2e0", 2.0, Some(2));
        check_number("1E+2", 100.0, Some(100));
        check_number("-1.5e-3", -0.0015, None);
        check_number("0.5", 0.5, None);
        check_number("18446744073709551615", 2f64.powi(64), Some(u64::MAX));
        check_number("18446744073709551616", 2f64.powi(64), None);
        check_number("1e400", f64::INFINITY, None);
    }

    #[track_caller]
    fn check_u64(lexeme: &str, expected: Result<u64, IntegerError>) {
        let Ok(Value::Number(number)) = parse(lexeme.as_bytes()) else {
            panic!("{lexeme:?} did not parse as a number");
        };
        assert_eq!(number.as_u64(), expected, "{lexeme}");
    }

    #[test]
    fn a_whole_number_is_one_however_it_is_written() {
        for two in ["2", "2.0", "2.000", "2e0", "2E+0", "0.2e1", "20e-1", "200.0e-2", "0.00002e5"] {
            check_u64(two, Ok(2));
        }
        for zero in ["0", "-0", "0.0", "-0.0", "0e5", "0e-99999999999999999999999", "-0E+3"] {
            check_u64(zero, Ok(0));
        }
        check_u64("1e3", Ok(1000));
        check_u64("10.5e1", Ok(105));
        check_u64("9007199254740992", Ok(1 << 53));
        check_u64("9.007199254740993e15", Ok((1 << 53) + 1));
        check_u64("18446744073709551615", Ok(u64::MAX));
        check_u64("1.8446744073709551615e19", Ok(u64::MAX));
    }

    #[test]
    fn a_fraction_or_a_number_out_of_range_is_no_u64() {
        use IntegerError::{Fraction, OutOfRange};
        for fraction in ["2.5", "0.5", "25e-1", "2.0000000000000000001", "1e-400", "-2.5", "5e-1"] {
            check_u64(fraction, Err(Fraction));
        }
        // A fraction of any size: the exponent saturates, it never wraps.
        check_u64("1e-99999999999999999999999", Err(Fraction));
        for too_large in ["18446744073709551616", "1e20", "2e19", "1e400", "1.5e400"] {
            check_u64(too_large, Err(OutOfRange));
        }
        check_u64("1e99999999999999999999999", Err(OutOfRange));
        for negative in ["-1", "-1e3", "-0.1e1"] {
            check_u64(negative, Err(OutOfRange));
        }
        assert_eq!(Fraction.to_string(), "not a whole number");
        assert_eq!(OutOfRange.to_string(), "out of range");
    }

    /// Where [`ValueEnd`] says the value ends when fed `text` one byte at
    /// a time: the length of the shortest prefix that holds it, if any.
    fn end_of_value(text: &[u8]) -> Option<usize> {
        let mut end = ValueEnd::new();
        (0..text.len()).find(|&at| end.found_in(&text[at..=at])).map(|at| at + 1)
    }

    #[test]
    fn a_value_ends_at_its_last_byte_and_not_before() {
        let reply = br#"{"launched": "2020-11-04T17:57:42.448578", "requests": 2}"#;
        assert_eq!(end_of_value(reply), Some(reply.len()));
        // Braces and quotes inside strings, escaped quotes and backslashes.
        let tricky = br#" {"a}": "\"}]", "b\\": ["\\", {"c": "{["}], "d": "\u0022"} "#;
        assert_eq!(end_of_value(tricky), Some(tricky.len() - 1));
        assert_eq!(end_of_value(b"[[], {}, [[1]]]"), Some(15));
        assert_eq!(end_of_value(br#""a string\" still""#), Some(18));
        // A number or a literal ends only at a byte that cannot continue it.
        assert_eq!(end_of_value(b"23"), None);
        assert_eq!(end_of_value(b"23 "), Some(3));
        assert_eq!(end_of_value(b"-1.5e+3,"), Some(8));
        assert_eq!(end_of_value(b"true\n"), Some(5));
        // Not yet whole: inside a string, an escape, an object.
        for open in [&br#"{"a": "}"#[..], br#"{"a": "\"#, br#"{"a": "\""#, b"{", b"[{}", b"  "] {
            assert_eq!(end_of_value(open), None, "{}", String::from_utf8_lossy(open));
        }
        // A byte that begins no value ends the search: nothing can mend it.
        assert_eq!(end_of_value(b"} x"), Some(1));
        assert_eq!(end_of_value(b"HTTP/1.1 200 OK"), Some(1));
    }

    #[test]
    fn a_value_ends_where_it_ends_however_the_reads_split_it() {
        let reply = br#"{"s": "a\\\"b\u00e9", "n": [1, 2.0, {"x": null}], "t": true} trailing"#;
        let whole = end_of_value(reply).expect("the value ends");
        assert_eq!(reply[..whole].strip_suffix(b"}"), reply.strip_suffix(b"} trailing"));
        for first in 0..reply.len() {
            for second in first..reply.len() {
                let mut end = ValueEnd::new();
                let parts = [&reply[..first], &reply[first..second], &reply[second..]];
                // The read in which the value ends: the first whose end
                // lies at or past it.
                let ended_in = parts.iter().position(|part| end.found_in(part));
                let expected = if whole <= first {
                    0
                } else if whole <= second {
                    1
                } else {
                    2
                };
                assert_eq!(ended_in, Some(expected), "split at {first} and {second}");
            }
        }
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
    fn rejects_malformed_strings() {
        unexpected(b"'a'", b'\'', 0);
        unexpected(b"{'a': 1}", b'\'', 1);
        check_error(b"\"abc", ErrorKind::UnexpectedEnd, 4);
        check_error(b"\"a\nb\"", ErrorKind::ControlCharacter { byte: b'\n' }, 2);
        check_error(b"\"\x00\"", ErrorKind::ControlCharacter { byte: 0x00 }, 1);
        check_error(b"\"\x1f\"", ErrorKind::ControlCharacter { byte: 0x1f }, 1);
        check_error(b"\"\t\"", ErrorKind::ControlCharacter { byte: b'\t' }, 1);
    }

    #[test]
    fn rejects_invalid_escapes() {
        check_error(br#""\x""#, ErrorKind::InvalidEscape, 1);
        check_error(br#""\'""#, ErrorKind::InvalidEscape, 1);
        check_error(br#""\U0041""#, ErrorKind::InvalidEscape, 1);
        check_error(br#""ab\u12G4""#, ErrorKind::InvalidEscape, 3);
        check_error(br#""\uD834\uDDxE""#, ErrorKind::InvalidEscape, 7);
        check_error(br#""\u12"#, ErrorKind::UnexpectedEnd, 5);
        check_error(br#""\"#, ErrorKind::UnexpectedEnd, 2);
    }

    #[test]
    fn rejects_lone_surrogates() {
        check_error(br#""\uD800""#, ErrorKind::LoneSurrogate, 1);
        check_error(br#""\uDC00""#, ErrorKind::LoneSurrogate, 1);
        check_error(br#""x\uD834x""#, ErrorKind::LoneSurrogate, 2);
        check_error(br#""\uD834\u0041""#, ErrorKind::LoneSurrogate, 1);
        check_error(br#""\uD834\uD834""#, ErrorKind::LoneSurrogate, 1);
        check_error(br#""\uDD1E\uD834""#, ErrorKind::LoneSurrogate, 1);
    }

    #[test]
    fn rejects_invalid_utf8() {
        check_error(b"\"\xff\"", ErrorKind::InvalidUtf8, 1);
        check_error(b"\"a\xc3\"", ErrorKind::InvalidUtf8, 2);
        check_error(b"\"\xc0\xaf\"", ErrorKind::InvalidUtf8, 1);
        check_error(b"\"ok\xed\xa0\x80\"", ErrorKind::InvalidUtf8, 3);
        unexpected(b"\xff", 0xff, 0);
        unexpected(b"\xef\xbb\xbf1", 0xef, 0);
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

    #[test]
    fn error_messages_name_the_offset() {
        let message = |input: &[u8]| parse(input).unwrap_err().to_string();
        assert_eq!(message(b"[1, 2, x]"), "unexpected character 'x' at byte 7");
        assert_eq!(message(b"'a'"), r"unexpected character '\'' at byte 0");
        assert_eq!(message(b"\xef\xbb\xbf{}"), "unexpected byte 0xef at byte 0");
        assert_eq!(message(b"[1"), "unexpected end of input at byte 2");
        assert_eq!(
            message(br#"{"requests": 1, "requests": 2}"#),
            r#"duplicate key "requests" at byte 16"#
        );
        assert_eq!(message(b"\"\x01\""), "unescaped control character 0x01 in string at byte 1");
        let too_deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(message(too_deep.as_bytes()), "nesting deeper than 64 levels at byte 64");
    }
}
