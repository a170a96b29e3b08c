//! Where a reply's JSON value ends, found as the bytes arrive.
//!
//! The counter service may keep its connection open after the reply, so
//! the reader cannot wait for the peer to close: it stops at the value's
//! last byte. This scanner says where that is without parsing, a read at a
//! time; [`parse`](super::parse()) then reads the value whole.

/// Where the first JSON value in a stream of bytes ends, found a read at a
/// time: a reader asks it after each read whether the bytes so far hold a
/// whole value, and can stop reading there, before the peer closes.
///
/// Each byte is looked at once, so a reply that arrives a byte at a time
/// costs what it costs in one piece; parsing the bytes so far after every
/// read would cost time quadratic in their length. It tracks only what
/// decides where a value ends: whether the cursor is in a string, whether
/// the byte before was a backslash, and how deeply arrays and objects
/// nest. Whether the value is valid is for [`parse`](super::parse()) to
/// say afterwards; a first byte that can begin no value ends the search
/// at once too, as nothing after it can make the text JSON.
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
}
