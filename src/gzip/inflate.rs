//! A DEFLATE and gzip reader for the tests, written from RFC 1951 and RFC
//! 1952 alone and sharing nothing with the encoder: its own bit reader,
//! its own tables (typed in from the RFC), and Huffman decoding one bit at
//! a time by counting codes per length, the slowest and plainest way. It
//! is strict where the RFCs are: a wrong NLEN, an over-subscribed code, a
//! distance before the start, a bad CRC or size is an error.

/// Why a stream could not be read.
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid(pub &'static str);

struct Bits<'a> {
    bytes: &'a [u8],
    position: usize,
    bit: u32,
}

impl Bits<'_> {
    fn bit(&mut self) -> Result<u32, Invalid> {
        let byte = *self.bytes.get(self.position).ok_or(Invalid("stream ends early"))?;
        let value = u32::from(byte >> self.bit) & 1;
        self.bit += 1;
        if self.bit == 8 {
            self.bit = 0;
            self.position += 1;
        }
        Ok(value)
    }

    /// `count` bits, the first read as the lowest.
    fn bits(&mut self, count: u32) -> Result<u32, Invalid> {
        let mut value = 0;
        for i in 0..count {
            value |= self.bit()? << i;
        }
        Ok(value)
    }

    fn skip_to_byte(&mut self) {
        if self.bit > 0 {
            self.bit = 0;
            self.position += 1;
        }
    }
}

/// A Huffman code as counts per length and symbols in code order.
struct Huffman {
    count: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Result<Huffman, Invalid> {
        let mut count = [0u16; 16];
        for &length in lengths {
            count[usize::from(length)] += 1;
        }
        count[0] = 0;
        let mut left: i32 = 1;
        for &n in &count[1..] {
            left = 2 * left - i32::from(n);
            if left < 0 {
                return Err(Invalid("over-subscribed code"));
            }
        }
        let mut symbols = Vec::new();
        for length in 1..16 {
            for (symbol, &l) in lengths.iter().enumerate() {
                if usize::from(l) == length {
                    symbols.push(symbol as u16);
                }
            }
        }
        Ok(Huffman { count, symbols })
    }

    /// Reads one symbol, the code's first bit being the highest.
    fn decode(&self, bits: &mut Bits) -> Result<usize, Invalid> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for length in 1..16 {
            code |= bits.bit()? as i32;
            let count = i32::from(self.count[length]);
            if code - count < first {
                return Ok(usize::from(self.symbols[(index + code - first) as usize]));
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err(Invalid("no such code"))
    }
}

const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u32; 29] =
    [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u32; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
const ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/// What the blocks of each kind were, counted while inflating.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BlockKinds {
    pub stored: usize,
    pub fixed: usize,
    pub dynamic: usize,
}

/// The bytes of a raw DEFLATE stream, the kinds of its blocks, and how
/// many bytes of `stream` it took.
pub fn inflate(stream: &[u8]) -> Result<(Vec<u8>, BlockKinds, usize), Invalid> {
    let mut bits = Bits { bytes: stream, position: 0, bit: 0 };
    let mut out = Vec::new();
    let mut kinds = BlockKinds::default();
    loop {
        let last = bits.bit()? == 1;
        match bits.bits(2)? {
            0 => {
                kinds.stored += 1;
                stored(&mut bits, &mut out)?;
            }
            1 => {
                kinds.fixed += 1;
                let mut lengths = [0u8; 288];
                lengths[..144].fill(8);
                lengths[144..256].fill(9);
                lengths[256..280].fill(7);
                lengths[280..].fill(8);
                let litlen = Huffman::new(&lengths)?;
                let distance = Huffman::new(&[5; 30])?;
                codes(&mut bits, &mut out, &litlen, &distance)?;
            }
            2 => {
                kinds.dynamic += 1;
                let (litlen, distance) = dynamic_codes(&mut bits)?;
                codes(&mut bits, &mut out, &litlen, &distance)?;
            }
            _ => return Err(Invalid("block type 3")),
        }
        if last {
            bits.skip_to_byte();
            return Ok((out, kinds, bits.position));
        }
    }
}

fn stored(bits: &mut Bits, out: &mut Vec<u8>) -> Result<(), Invalid> {
    bits.skip_to_byte();
    let length = bits.bits(16)?;
    let complement = bits.bits(16)?;
    if length != !complement & 0xFFFF {
        return Err(Invalid("NLEN is not the complement of LEN"));
    }
    for _ in 0..length {
        out.push(bits.bits(8)? as u8);
    }
    Ok(())
}

fn dynamic_codes(bits: &mut Bits) -> Result<(Huffman, Huffman), Invalid> {
    let litlen_count = bits.bits(5)? as usize + 257;
    let distance_count = bits.bits(5)? as usize + 1;
    let length_count = bits.bits(4)? as usize + 4;
    if litlen_count > 286 || distance_count > 30 {
        return Err(Invalid("too many codes"));
    }
    let mut length_lengths = [0u8; 19];
    for &symbol in &ORDER[..length_count] {
        length_lengths[symbol] = bits.bits(3)? as u8;
    }
    let length_code = Huffman::new(&length_lengths)?;
    let mut lengths = Vec::new();
    while lengths.len() < litlen_count + distance_count {
        let symbol = length_code.decode(bits)?;
        let (value, times) = match symbol {
            0..=15 => (symbol as u8, 1),
            16 => (*lengths.last().ok_or(Invalid("repeat with no length"))?, 3 + bits.bits(2)?),
            17 => (0, 3 + bits.bits(3)?),
            _ => (0, 11 + bits.bits(7)?),
        };
        lengths.extend(std::iter::repeat_n(value, times as usize));
    }
    if lengths.len() > litlen_count + distance_count {
        return Err(Invalid("lengths run past the codes"));
    }
    if lengths[256] == 0 {
        return Err(Invalid("no end-of-block code"));
    }
    let distance = Huffman::new(&lengths[litlen_count..])?;
    Ok((Huffman::new(&lengths[..litlen_count])?, distance))
}

fn codes(
    bits: &mut Bits,
    out: &mut Vec<u8>,
    litlen: &Huffman,
    distance: &Huffman,
) -> Result<(), Invalid> {
    loop {
        let symbol = litlen.decode(bits)?;
        if symbol < 256 {
            out.push(symbol as u8);
            continue;
        }
        if symbol == 256 {
            return Ok(());
        }
        let index = symbol - 257;
        if index >= 29 {
            return Err(Invalid("length symbol past 285"));
        }
        let length = usize::from(LENGTH_BASE[index]) + bits.bits(LENGTH_EXTRA[index])? as usize;
        let index = distance.decode(bits)?;
        if index >= 30 {
            return Err(Invalid("distance symbol past 29"));
        }
        let back = usize::from(DISTANCE_BASE[index]) + bits.bits(DISTANCE_EXTRA[index])? as usize;
        if back > out.len() {
            return Err(Invalid("distance before the start"));
        }
        for _ in 0..length {
            out.push(out[out.len() - back]);
        }
    }
}

/// The contents of a gzip member (RFC 1952), its CRC and size checked
/// with a bitwise CRC of its own; the header's optional fields are read
/// as flagged.
pub fn gunzip(member: &[u8]) -> Result<(Vec<u8>, BlockKinds), Invalid> {
    if member.len() < 18 || member[..3] != [0x1F, 0x8B, 8] {
        return Err(Invalid("not a gzip member"));
    }
    let flags = member[3];
    let mut at = 10;
    if flags & 4 != 0 {
        at += 2 + usize::from(u16::from_le_bytes([member[at], member[at + 1]]));
    }
    for flag in [8, 16] {
        if flags & flag != 0 {
            at += member[at..].iter().position(|&b| b == 0).ok_or(Invalid("unended field"))? + 1;
        }
    }
    if flags & 2 != 0 {
        at += 2;
    }
    let (data, kinds, used) = inflate(&member[at..])?;
    let trailer = member.get(at + used..).ok_or(Invalid("no trailer"))?;
    if trailer.len() != 8 {
        return Err(Invalid("trailer is not eight bytes"));
    }
    let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
    if crc != bitwise_crc32(&data) {
        return Err(Invalid("CRC mismatch"));
    }
    if size != data.len() as u32 {
        return Err(Invalid("ISIZE mismatch"));
    }
    Ok((data, kinds))
}

/// CRC-32 one bit at a time (RFC 1952 section 8's update_crc, without its table).
fn bitwise_crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_known_streams_from_other_encoders() {
        // `printf 'hello hello hello\n' | gzip -n -9 | xxd` (fixed Huffman, one match).
        let member = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9,
            0xc9, 0x57, 0xc8, 0x40, 0x90, 0x5c, 0x00, 0x3b, 0x7c, 0x8a, 0xdf, 0x12, 0x00, 0x00,
            0x00,
        ];
        let (data, kinds) = gunzip(&member).unwrap();
        assert_eq!(data, b"hello hello hello\n");
        assert_eq!(kinds, BlockKinds { stored: 0, fixed: 1, dynamic: 0 });
        // A stored block of "ab", final.
        let (data, kinds, used) = inflate(&[0x01, 2, 0, 0xFD, 0xFF, b'a', b'b']).unwrap();
        assert_eq!((data.as_slice(), kinds.stored, used), (&b"ab"[..], 1, 7));
    }

    #[test]
    fn refuses_what_the_rfcs_forbid() {
        assert_eq!(
            inflate(&[0x01, 2, 0, 0xFD, 0xFE]).unwrap_err(),
            Invalid("NLEN is not the complement of LEN")
        );
        assert_eq!(inflate(&[0x07]).unwrap_err(), Invalid("block type 3"));
        assert_eq!(gunzip(b"not gzip at all, no").unwrap_err(), Invalid("not a gzip member"));
    }
}
