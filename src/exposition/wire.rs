//! The protocol buffers wire format, as much of it as an exporter writes:
//! a message is a run of fields, each a key (field number and wire type)
//! and a value. Integers are varints, seven bits a byte, low bits first;
//! signed ones are zigzag-encoded first so that small negative numbers stay
//! short; doubles are eight little-endian bytes; strings and embedded
//! messages are their length as a varint, then their bytes.
//!
//! A length must precede its message, so [`message`] writes the message in
//! place behind a one-byte guess of its length and widens the length only
//! when the message turns out to be 128 bytes or more: no scratch buffer,
//! and no size worked out twice.
//!
//! Reference: <https://protobuf.dev/programming-guides/encoding/>.

/// How a field's value is laid out after its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum WireType {
    /// A varint: integers, booleans and enums.
    Varint = 0,
    /// Eight bytes, little-endian: a double.
    Fixed64 = 1,
    /// A length, then that many bytes: strings, messages, packed numbers.
    Len = 2,
}

/// Appends `value` as a varint: seven bits a byte, low bits first, the top
/// bit of each byte set when another follows. At most ten bytes.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Maps a signed number to an unsigned one with small magnitudes kept
/// small: 0, −1, 1, −2 become 0, 1, 2, 3 (the `sint32`/`sint64` types).
pub fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Appends a field's key: its number and wire type in one varint.
pub fn put_key(out: &mut Vec<u8>, field: u32, wire_type: WireType) {
    put_varint(out, u64::from(field) << 3 | wire_type as u64);
}

/// Appends an unsigned integer field (`uint32`, `uint64`, an enum).
pub fn put_uint(out: &mut Vec<u8>, field: u32, value: u64) {
    put_key(out, field, WireType::Varint);
    put_varint(out, value);
}

/// Appends a signed integer field of type `sint32` or `sint64`, zigzagged.
pub fn put_sint(out: &mut Vec<u8>, field: u32, value: i64) {
    put_uint(out, field, zigzag(value));
}

/// Appends a signed integer field of type `int32` or `int64`: two's
/// complement, so a negative number takes ten bytes.
pub fn put_int(out: &mut Vec<u8>, field: u32, value: i64) {
    put_uint(out, field, value as u64);
}

/// Appends a `double` field: eight bytes, little-endian. NaN and the
/// infinities travel as their IEEE 754 bits, like any other value.
pub fn put_double(out: &mut Vec<u8>, field: u32, value: f64) {
    put_key(out, field, WireType::Fixed64);
    out.extend_from_slice(&value.to_le_bytes());
}

/// Appends a `string` field: its length, then its UTF-8 bytes.
pub fn put_string(out: &mut Vec<u8>, field: u32, text: &str) {
    put_key(out, field, WireType::Len);
    put_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// Appends an embedded message field: its key, its length, and what
/// `write` appends.
pub fn message(out: &mut Vec<u8>, field: u32, write: impl FnOnce(&mut Vec<u8>)) {
    put_key(out, field, WireType::Len);
    length_delimited(out, write);
}

/// Appends what `write` appends, preceded by its length as a varint: the
/// body of a length-delimited field, and the frame of each `MetricFamily`
/// in the delimited stream.
pub fn length_delimited(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    let length_at = open_length(out);
    write(out);
    close_length(out, length_at);
}

/// Holds one byte for a length that is not known yet, and returns where.
/// Most of the small messages (labels, buckets, spans) fit it.
fn open_length(out: &mut Vec<u8>) -> usize {
    out.push(0);
    out.len() - 1
}

/// Writes the length of what follows the byte held at `length_at`. When
/// it needs more than that byte, the bytes already written are moved up
/// to make room: the prefix goes at the end, then is rotated round to the
/// front of the message.
fn close_length(out: &mut Vec<u8>, length_at: usize) {
    let length = out.len() - length_at - 1;
    if length < 0x80 {
        out[length_at] = length as u8;
        return;
    }
    let mut prefix = [0u8; 10];
    let prefix = varint_bytes(length as u64, &mut prefix);
    out.extend_from_slice(&prefix[1..]);
    out[length_at..].rotate_right(prefix.len() - 1);
    out[length_at..length_at + prefix.len()].copy_from_slice(prefix);
}

/// Appends a `repeated sint64` field, packed: one length, then the
/// zigzagged varints back to back.
pub fn put_packed_sint(out: &mut Vec<u8>, field: u32, values: &[i64]) {
    if values.is_empty() {
        return;
    }
    put_key(out, field, WireType::Len);
    let length_at = open_length(out);
    for &value in values {
        put_varint(out, zigzag(value));
    }
    close_length(out, length_at);
}

/// The varint of `value`, in `buffer`.
fn varint_bytes(value: u64, buffer: &mut [u8; 10]) -> &[u8] {
    let (mut value, mut len) = (value, 0);
    while value >= 0x80 {
        buffer[len] = value as u8 | 0x80;
        value >>= 7;
        len += 1;
    }
    buffer[len] = value as u8;
    &buffer[..=len]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        put_varint(&mut out, value);
        out
    }

    #[test]
    fn varints_are_the_encoding_guide_examples() {
        // protobuf.dev, "Base 128 Varints": 1 is 01, 150 is 96 01.
        assert_eq!(varint(1), [0x01]);
        assert_eq!(varint(150), [0x96, 0x01]);
        assert_eq!(varint(0), [0x00]);
        assert_eq!(varint(127), [0x7f]);
        assert_eq!(varint(128), [0x80, 0x01]);
        assert_eq!(varint(u64::MAX).len(), 10);
        assert_eq!(*varint(u64::MAX).last().unwrap(), 0x01);
    }

    #[test]
    fn zigzag_is_the_encoding_guide_table() {
        // protobuf.dev, "Signed Integers": 0, -1, 1, -2, 0x7fffffff, -0x80000000.
        assert_eq!(zigzag(0), 0);
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
        assert_eq!(zigzag(-2), 3);
        assert_eq!(zigzag(0x7fff_ffff), 0xffff_fffe);
        assert_eq!(zigzag(-0x8000_0000), 0xffff_ffff);
        assert_eq!(zigzag(i64::MIN), u64::MAX);
    }

    #[test]
    fn a_key_is_field_number_and_wire_type() {
        // protobuf.dev: field 1, varint 150 is `08 96 01`; field 2, the
        // string "testing" is `12 07 74 65 73 74 69 6e 67`.
        let mut out = Vec::new();
        put_uint(&mut out, 1, 150);
        assert_eq!(out, [0x08, 0x96, 0x01]);
        out.clear();
        put_string(&mut out, 2, "testing");
        assert_eq!(out, b"\x12\x07testing");
    }

    #[test]
    fn doubles_are_little_endian() {
        let mut out = Vec::new();
        put_double(&mut out, 1, 1.0);
        assert_eq!(out, [0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
    }

    #[test]
    fn a_long_message_gets_a_longer_length_and_keeps_its_bytes() {
        for length in [0, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            let body: Vec<u8> = (0..length).map(|idx| (idx % 251) as u8).collect();
            let mut out = vec![0xaa];
            message(&mut out, 3, |out| out.extend_from_slice(&body));
            let mut expected = vec![0xaa, 0x1a];
            expected.extend(varint(length as u64));
            expected.extend(&body);
            assert!(out == expected, "length {length}");
        }
    }

    #[test]
    fn packed_numbers_share_one_length() {
        let mut out = Vec::new();
        put_packed_sint(&mut out, 13, &[1, -1, 2]);
        assert_eq!(out, [0x6a, 0x03, 0x02, 0x01, 0x04]);
        out.clear();
        put_packed_sint(&mut out, 13, &[]);
        assert!(out.is_empty());
    }
}
