//! The rules inside a JSON string: the characters that may stand as
//! they are, the escapes and the UTF-16 surrogate pairs that `\u` writes,
//! and the check that the bytes are UTF-8.

use std::borrow::Cow;

use super::Parser;
use crate::json::{Error, ErrorKind};

impl<'a> Parser<'a> {
    /// ```text
    /// string = quotation-mark *char quotation-mark
    /// char = unescaped / escape ( ... )
    /// quotation-mark = %x22      ; "
    /// ```
    ///
    /// Example: `"View from 15th Floor"`
    pub(super) fn parse_string(&mut self) -> Result<Cow<'a, str>, Error> {
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
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, check_error, string, unexpected};
    use crate::json::ErrorKind;

    #[track_caller]
    fn check_string(input: &str, expected: &str) {
        check(input, string(expected));
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
}
