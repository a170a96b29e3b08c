//! DEFLATE (RFC 1951): the symbols of [`lz77`](super::lz77) written in
//! blocks, each in whichever of the format's three kinds is smallest:
//!
//! - **dynamic**: Huffman codes made for the block's own symbols, sent
//!   first as a list of code lengths (itself Huffman-coded and
//!   run-length shortened);
//! - **fixed**: the codes the RFC fixes, for blocks too small to pay for
//!   a code of their own;
//! - **stored**: the bytes as they are, for input that does not compress,
//!   which then grows by five bytes per 64 KiB and no more.
//!
//! A block ends after `BLOCK_SYMBOLS` symbols, so that each part of a
//! long input gets codes fitted to it and the symbols kept in memory are
//! bounded.

use super::bits::BitWriter;
use super::huffman::{self, MAX_BITS};
use super::lz77::{Matcher, Symbol};

/// Symbols per block at most (zlib's default buffer holds as many).
const BLOCK_SYMBOLS: usize = 16 * 1024;
/// The literal/length alphabet: 256 bytes, end of block, 29 length codes
/// (and two more that the fixed code counts but no block uses).
const LITLEN_SYMBOLS: usize = 288;
/// The distance alphabet.
const DISTANCE_SYMBOLS: usize = 30;
/// The code-length alphabet: lengths 0 to 15 and the three repeat codes.
const LENGTH_SYMBOLS: usize = 19;
/// The symbol that ends a block.
const END_OF_BLOCK: usize = 256;
/// The longest code of the code-length alphabet.
const MAX_LENGTH_BITS: usize = 7;
/// The order in which the code-length code's own lengths are sent.
const LENGTH_ORDER: [usize; LENGTH_SYMBOLS] =
    [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
/// The most bytes one stored block holds.
const STORED_MAX: usize = 65_535;

/// Appends the DEFLATE stream of `input` to `out`, ending on a byte
/// boundary.
pub fn deflate(input: &[u8], out: &mut Vec<u8>) {
    let mut matcher = Matcher::new(input.len());
    let mut symbols = Vec::with_capacity(BLOCK_SYMBOLS.min(input.len() + 1));
    let mut bits = BitWriter::new(out);
    // The input of blocks that are best stored, not written yet: stored
    // blocks go out 64 KiB at a time, however short the blocks they
    // stand for, so that incompressible input grows by 5 bytes per 64 KiB.
    let mut unstored = 0..0;
    let mut start = 0;
    loop {
        symbols.clear();
        let end = matcher.parse(input, start, &mut symbols, BLOCK_SYMBOLS);
        let last = end == input.len();
        match smallest_coding(&input[start..end], &symbols) {
            None => {
                unstored.end = end;
                let whole =
                    if last { unstored.len() } else { unstored.len() / STORED_MAX * STORED_MAX };
                write_stored(&mut bits, &input[unstored.start..unstored.start + whole], last);
                unstored.start += whole;
            }
            Some(coding) => {
                write_stored(&mut bits, &input[unstored], false);
                unstored = end..end;
                coding.write(&mut bits, &symbols, last);
            }
        }
        start = end;
        if last {
            break;
        }
    }
    bits.align();
}

/// How a block's symbols are coded: in the RFC's fixed code, or in codes
/// of their own sent first.
enum Coding {
    Fixed,
    Dynamic(Box<DynamicCodes>),
}

/// The coding that writes `symbols`, which stand for `bytes`, in the
/// fewest bits; `None` when storing the bytes as they are takes fewer.
fn smallest_coding(bytes: &[u8], symbols: &[Symbol]) -> Option<Coding> {
    let counts = Counts::of(symbols);
    let dynamic = DynamicCodes::fitted_to(&counts);
    let dynamic_bits = dynamic.header_bits() + counts.cost(&dynamic.litlen, &dynamic.distance);
    let fixed_bits = counts.cost(&Code::fixed_litlen(), &Code::fixed_distance());
    let stored_bits = 8 * (bytes.len() + 5 * bytes.len().div_ceil(STORED_MAX).max(1));
    if stored_bits < dynamic_bits.min(fixed_bits) {
        None
    } else if fixed_bits <= dynamic_bits {
        Some(Coding::Fixed)
    } else {
        Some(Coding::Dynamic(Box::new(dynamic)))
    }
}

impl Coding {
    /// Writes a block of `symbols` in this coding; `last` marks the
    /// final block.
    fn write(&self, bits: &mut BitWriter, symbols: &[Symbol], last: bool) {
        let last = u32::from(last);
        match self {
            Coding::Fixed => {
                bits.put(last | 0b01 << 1, 3);
                write_symbols(bits, symbols, &Code::fixed_litlen(), &Code::fixed_distance());
            }
            Coding::Dynamic(codes) => {
                bits.put(last | 0b10 << 1, 3);
                codes.write_header(bits);
                write_symbols(bits, symbols, &codes.litlen, &codes.distance);
            }
        }
    }
}

/// `bytes` as stored blocks of at most [`STORED_MAX`] bytes, each a block
/// header, padding to a byte, the length and its complement, the bytes;
/// `last` marks the final one. No bytes, no block, unless it is the last.
fn write_stored(bits: &mut BitWriter, bytes: &[u8], last: bool) {
    let mut rest = bytes;
    while !rest.is_empty() || last {
        let (chunk, after) = rest.split_at(rest.len().min(STORED_MAX));
        rest = after;
        bits.put(u32::from(last && rest.is_empty()), 3);
        bits.align();
        let length = chunk.len() as u16;
        bits.put_bytes(&length.to_le_bytes());
        bits.put_bytes(&(!length).to_le_bytes());
        bits.put_bytes(chunk);
        if rest.is_empty() {
            break;
        }
    }
}

/// The symbols in the codes given, then the end of the block.
fn write_symbols(bits: &mut BitWriter, symbols: &[Symbol], litlen: &Code, distance: &Code) {
    for symbol in symbols {
        match *symbol {
            Symbol::Literal(byte) => litlen.put(bits, usize::from(byte), 0, 0),
            Symbol::Match { length, distance: back } => {
                let (symbol, extra, extra_bits) = length_symbol(usize::from(length));
                litlen.put(bits, symbol, extra, extra_bits);
                let (symbol, extra, extra_bits) = distance_symbol(usize::from(back));
                distance.put(bits, symbol, extra, extra_bits);
            }
        }
    }
    litlen.put(bits, END_OF_BLOCK, 0, 0);
}

/// The length symbol (257 to 285) of a match length (3 to 258), with the
/// value of its extra bits and how many there are (RFC 1951 section
/// 3.2.5). Past the first eight lengths, each group of four symbols covers
/// twice the lengths of the group before, so the symbol follows from the
/// position of the highest set bit.
#[inline(never)] // Used twice per match; one copy of the code is enough.
fn length_symbol(length: usize) -> (usize, u32, u32) {
    let above_3 = length - 3;
    if length == 258 {
        return (285, 0, 0);
    }
    if above_3 < 8 {
        return (257 + above_3, 0, 0);
    }
    let magnitude = usize::BITS - 1 - above_3.leading_zeros();
    let extra_bits = magnitude - 2;
    let quarter = (above_3 >> extra_bits) & 3;
    let base = (4 + quarter) << extra_bits;
    (257 + 4 * (magnitude as usize - 1) + quarter, (above_3 - base) as u32, extra_bits)
}

/// The distance symbol (0 to 29) of a distance (1 to 32,768), with the
/// value and count of its extra bits: as for lengths, in pairs that
/// double.
#[inline(never)] // Used twice per match; one copy of the code is enough.
fn distance_symbol(distance: usize) -> (usize, u32, u32) {
    let above_1 = distance - 1;
    if above_1 < 4 {
        return (above_1, 0, 0);
    }
    let magnitude = usize::BITS - 1 - above_1.leading_zeros();
    let extra_bits = magnitude - 1;
    let half = (above_1 >> extra_bits) & 1;
    let base = (2 + half) << extra_bits;
    (2 * magnitude as usize + half, (above_1 - base) as u32, extra_bits)
}

/// How many extra bits follow a literal/length symbol.
fn litlen_extra_bits(symbol: usize) -> usize {
    if (265..285).contains(&symbol) {
        (symbol - 261) / 4
    } else {
        0
    }
}

/// How many extra bits follow a distance symbol.
fn distance_extra_bits(symbol: usize) -> usize {
    if symbol >= 4 {
        symbol / 2 - 1
    } else {
        0
    }
}

/// How often each symbol occurs in a block.
struct Counts {
    litlen: [u32; LITLEN_SYMBOLS],
    distance: [u32; DISTANCE_SYMBOLS],
}

impl Counts {
    fn of(symbols: &[Symbol]) -> Counts {
        let mut counts = Counts { litlen: [0; LITLEN_SYMBOLS], distance: [0; DISTANCE_SYMBOLS] };
        for symbol in symbols {
            match *symbol {
                Symbol::Literal(byte) => counts.litlen[usize::from(byte)] += 1,
                Symbol::Match { length, distance } => {
                    counts.litlen[length_symbol(usize::from(length)).0] += 1;
                    counts.distance[distance_symbol(usize::from(distance)).0] += 1;
                }
            }
        }
        counts.litlen[END_OF_BLOCK] = 1;
        counts
    }

    /// The bits of the block's symbols in these codes, and 3 for its header.
    fn cost(&self, litlen: &Code, distance: &Code) -> usize {
        let litlen_bits: usize = (0..LITLEN_SYMBOLS)
            .map(|s| {
                self.litlen[s] as usize * (usize::from(litlen.lengths[s]) + litlen_extra_bits(s))
            })
            .sum();
        let distance_bits: usize = (0..DISTANCE_SYMBOLS)
            .map(|s| {
                self.distance[s] as usize
                    * (usize::from(distance.lengths[s]) + distance_extra_bits(s))
            })
            .sum();
        3 + litlen_bits + distance_bits
    }
}

/// A prefix code: each symbol's length and its code, reversed for
/// [`BitWriter`]. Room for the largest alphabet, whatever the code's.
struct Code {
    lengths: [u8; LITLEN_SYMBOLS],
    codes: [u16; LITLEN_SYMBOLS],
}

impl Code {
    fn from_lengths(lengths: [u8; LITLEN_SYMBOLS]) -> Code {
        let mut codes = [0; LITLEN_SYMBOLS];
        huffman::canonical_codes(&lengths, &mut codes);
        Code { lengths, codes }
    }

    /// The Huffman code of `frequencies` with no code over `limit` bits.
    fn fitted(frequencies: &[u32], limit: usize) -> Code {
        let mut lengths = [0; LITLEN_SYMBOLS];
        huffman::code_lengths(frequencies, limit, &mut lengths[..frequencies.len()]);
        Code::from_lengths(lengths)
    }

    /// The fixed literal/length code (RFC 1951 section 3.2.6).
    fn fixed_litlen() -> Code {
        let mut lengths = [8; LITLEN_SYMBOLS];
        lengths[144..256].fill(9);
        lengths[256..280].fill(7);
        Code::from_lengths(lengths)
    }

    /// The fixed distance code: five bits each.
    fn fixed_distance() -> Code {
        let mut lengths = [0; LITLEN_SYMBOLS];
        lengths[..DISTANCE_SYMBOLS].fill(5);
        Code::from_lengths(lengths)
    }

    /// Writes `symbol`'s code and then `extra_bits` bits of `extra`.
    #[inline]
    fn put(&self, bits: &mut BitWriter, symbol: usize, extra: u32, extra_bits: u32) {
        let length = u32::from(self.lengths[symbol]);
        bits.put(u32::from(self.codes[symbol]) | extra << length, length + extra_bits);
    }

    /// How many leading symbols have a code, but at least `minimum`.
    fn used(&self, minimum: usize) -> usize {
        self.lengths.iter().rposition(|&length| length > 0).map_or(0, |last| last + 1).max(minimum)
    }
}

/// The codes of a dynamic block, and how its header describes them.
struct DynamicCodes {
    litlen: Code,
    distance: Code,
    /// The code lengths of both codes as the header sends them: each a
    /// code-length symbol and the value of its extra bits.
    runs: Vec<(u8, u8)>,
    /// The code of the code-length symbols.
    length_code: Code,
    /// How many of the code-length code's lengths are sent.
    length_code_sent: usize,
}

impl DynamicCodes {
    fn fitted_to(counts: &Counts) -> DynamicCodes {
        let litlen = Code::fitted(&counts.litlen, MAX_BITS);
        let distance = Code::fitted(&counts.distance, MAX_BITS);
        // Both codes' lengths in one list: runs may cross from one to the other.
        let (litlen_sent, distance_sent) = (litlen.used(257), distance.used(1));
        let mut sent = [0; LITLEN_SYMBOLS + DISTANCE_SYMBOLS];
        sent[..litlen_sent].copy_from_slice(&litlen.lengths[..litlen_sent]);
        sent[litlen_sent..][..distance_sent].copy_from_slice(&distance.lengths[..distance_sent]);
        let runs = run_lengths(&sent[..litlen_sent + distance_sent]);
        let mut frequencies = [0u32; LENGTH_SYMBOLS];
        for &(symbol, _) in &runs {
            frequencies[usize::from(symbol)] += 1;
        }
        let length_code = Code::fitted(&frequencies, MAX_LENGTH_BITS);
        let length_code_sent = LENGTH_ORDER
            .iter()
            .rposition(|&symbol| length_code.lengths[symbol] > 0)
            .map_or(0, |last| last + 1)
            .max(4);
        DynamicCodes { litlen, distance, runs, length_code, length_code_sent }
    }

    /// The size of the header after the block's first three bits.
    fn header_bits(&self) -> usize {
        let runs: usize = self
            .runs
            .iter()
            .map(|&(symbol, _)| {
                usize::from(self.length_code.lengths[usize::from(symbol)]) + repeat_bits(symbol)
            })
            .sum();
        5 + 5 + 4 + 3 * self.length_code_sent + runs
    }

    /// HLIT, HDIST, HCLEN, the code-length code, then both codes' lengths
    /// (RFC 1951 section 3.2.7).
    fn write_header(&self, bits: &mut BitWriter) {
        bits.put((self.litlen.used(257) - 257) as u32, 5);
        bits.put((self.distance.used(1) - 1) as u32, 5);
        bits.put((self.length_code_sent - 4) as u32, 4);
        for &symbol in &LENGTH_ORDER[..self.length_code_sent] {
            bits.put(u32::from(self.length_code.lengths[symbol]), 3);
        }
        for &(symbol, extra) in &self.runs {
            let symbol = usize::from(symbol);
            self.length_code.put(bits, symbol, u32::from(extra), repeat_bits(symbol as u8) as u32);
        }
    }
}

/// How many extra bits follow a code-length symbol: the repeat codes'
/// counts.
fn repeat_bits(symbol: u8) -> usize {
    match symbol {
        16 => 2,
        17 => 3,
        18 => 7,
        _ => 0,
    }
}

/// `lengths` in the code-length alphabet: a length as itself, 16 for the
/// previous length 3 to 6 times more, 17 and 18 for 3 to 10 and 11 to 138
/// zeros; each with the value of its extra bits.
fn run_lengths(lengths: &[u8]) -> Vec<(u8, u8)> {
    let mut runs = Vec::new();
    let mut rest = lengths;
    while let Some(&length) = rest.first() {
        let mut run = rest.iter().take_while(|&&l| l == length).count();
        rest = &rest[run..];
        if length == 0 {
            while run >= 11 {
                let taken = run.min(138);
                runs.push((18, (taken - 11) as u8));
                run -= taken;
            }
            if run >= 3 {
                runs.push((17, (run - 3) as u8));
                run = 0;
            }
        } else {
            runs.push((length, 0));
            run -= 1;
            while run >= 3 {
                let taken = run.min(6);
                runs.push((16, (taken - 3) as u8));
                run -= taken;
            }
        }
        runs.extend(std::iter::repeat_n((length, 0), run));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1951 section 3.2.5's table: (first length, symbol, extra bits).
    const LENGTH_TABLE: [(usize, usize, u32); 29] = [
        (3, 257, 0),
        (4, 258, 0),
        (5, 259, 0),
        (6, 260, 0),
        (7, 261, 0),
        (8, 262, 0),
        (9, 263, 0),
        (10, 264, 0),
        (11, 265, 1),
        (13, 266, 1),
        (15, 267, 1),
        (17, 268, 1),
        (19, 269, 2),
        (23, 270, 2),
        (27, 271, 2),
        (31, 272, 2),
        (35, 273, 3),
        (43, 274, 3),
        (51, 275, 3),
        (59, 276, 3),
        (67, 277, 4),
        (83, 278, 4),
        (99, 279, 4),
        (115, 280, 4),
        (131, 281, 5),
        (163, 282, 5),
        (195, 283, 5),
        (227, 284, 5),
        (258, 285, 0),
    ];

    /// The same section's distance table: (first distance, extra bits).
    const DISTANCE_TABLE: [(usize, u32); 30] = [
        (1, 0),
        (2, 0),
        (3, 0),
        (4, 0),
        (5, 1),
        (7, 1),
        (9, 2),
        (13, 2),
        (17, 3),
        (25, 3),
        (33, 4),
        (49, 4),
        (65, 5),
        (97, 5),
        (129, 6),
        (193, 6),
        (257, 7),
        (385, 7),
        (513, 8),
        (769, 8),
        (1025, 9),
        (1537, 9),
        (2049, 10),
        (3073, 10),
        (4097, 11),
        (6145, 11),
        (8193, 12),
        (12289, 12),
        (16385, 13),
        (24577, 13),
    ];

    #[test]
    fn every_length_gets_the_rfcs_symbol_and_extra_bits() {
        for length in 3..=258 {
            let row = LENGTH_TABLE.iter().rposition(|&(first, _, _)| first <= length).unwrap();
            let (first, symbol, extra_bits) = LENGTH_TABLE[row];
            // 258 has a symbol of its own, though 284's range reaches it.
            let expected = (symbol, (length - first) as u32, extra_bits);
            assert_eq!(length_symbol(length), expected, "length {length}");
            assert_eq!(litlen_extra_bits(symbol), extra_bits as usize);
        }
    }

    #[test]
    fn every_distance_gets_the_rfcs_symbol_and_extra_bits() {
        for distance in 1..=32_768 {
            let symbol = DISTANCE_TABLE.iter().rposition(|&(first, _)| first <= distance).unwrap();
            let (first, extra_bits) = DISTANCE_TABLE[symbol];
            let expected = (symbol, (distance - first) as u32, extra_bits);
            assert_eq!(distance_symbol(distance), expected, "distance {distance}");
            assert_eq!(distance_extra_bits(symbol), extra_bits as usize);
        }
    }

    #[test]
    fn runs_of_lengths_use_the_repeat_codes() {
        assert_eq!(run_lengths(&[8, 8]), [(8, 0), (8, 0)]);
        assert_eq!(run_lengths(&[8; 8]), [(8, 0), (16, 3), (8, 0)]);
        assert_eq!(run_lengths(&[5; 11]), [(5, 0), (16, 3), (16, 1)]);
        assert_eq!(run_lengths(&[0, 0]), [(0, 0), (0, 0)]);
        assert_eq!(run_lengths(&[0; 10]), [(17, 7)]);
        assert_eq!(run_lengths(&[0; 139]), [(18, 127), (0, 0)]);
        assert_eq!(run_lengths(&[0; 145]), [(18, 127), (17, 4)]);
        assert_eq!(run_lengths(&[0; 150]), [(18, 127), (18, 1)]);
        assert_eq!(run_lengths(&[3, 0, 0, 0, 7]), [(3, 0), (17, 0), (7, 0)]);
    }

    #[test]
    fn the_fixed_code_is_the_rfcs() {
        // Section 3.2.6: 0 is 00110000, 144 is 110010000, 256 is 0000000, 280 is 11000000.
        let fixed = Code::fixed_litlen();
        for (symbol, code, length) in
            [(0, 0b0011_0000, 8), (144, 0b1_1001_0000, 9), (256, 0, 7), (280, 0b1100_0000, 8)]
        {
            assert_eq!(fixed.lengths[symbol], length);
            assert_eq!(fixed.codes[symbol].reverse_bits() >> (16 - length), code, "{symbol}");
        }
    }
}
