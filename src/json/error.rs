//! Why a text is not JSON: which rule it broke ([`ErrorKind`]) and the
//! byte offset where that became clear, so a message can point at it.

use std::fmt;

use super::MAX_DEPTH;

/// Why the input is not JSON, and the byte offset where that became clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    offset: usize,
}

impl Error {
    pub(super) fn new(kind: ErrorKind, offset: usize) -> Error {
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

#[cfg(test)]
mod tests {
    use crate::json::{parse, MAX_DEPTH};

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
