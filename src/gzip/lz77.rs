//! LZ77, the first half of DEFLATE: the input as literal bytes and
//! back-references, "copy `length` bytes from `distance` bytes back"
//! (RFC 1951 section 2), found greedily with a hash chain.
//!
//! Every position is filed under a hash of the four bytes that start it,
//! in a table of chain heads; each position also remembers the previous
//! one with the same hash, so the places where the next bytes may have
//! been seen before form a chain, newest first. At each position the
//! matcher walks a few links of its chain (`MAX_CHAIN`), keeps the
//! longest match, stops early at one long enough (`NICE_LENGTH`), and
//! takes it at once, with no lazy look at the next position, as zlib's
//! fastest levels do too. An exposition repeats whole lines and names, so the first
//! good match is nearly always the one to take.
//!
//! The whole input is in memory, so the window is the input itself: no
//! bytes are copied. What is allocated is sized from the input: the chain
//! heads (2^10 to 2^14 of them, 64 KiB at most) and one two-byte link per
//! position of the window (32 KiB of them at most, reused in a ring): each
//! under the size at which an allocator maps fresh pages for every call.

/// How far back a match may reach: DEFLATE's 32 KiB window.
pub const WINDOW: usize = 32 * 1024;
/// The longest match DEFLATE codes.
pub const MAX_MATCH: usize = 258;
/// The bytes a hash covers, and so the shortest match this matcher takes.
/// DEFLATE's shortest is three, but a three-byte hash would find matches
/// of three bytes too, nearly all of them worth less than they cost.
const HASHED: usize = 4;
/// How many earlier positions are tried at most for a match.
const MAX_CHAIN: usize = 4;
/// A match this long is taken without looking for a longer one.
const NICE_LENGTH: usize = 32;
/// The positions inside a match longer than this are not filed, which
/// saves their hashing and would cost little: the next line's match starts
/// where this one starts, not in its middle.
const MAX_FILED_MATCH: usize = 4;
/// An empty chain.
const NONE: u32 = u32::MAX;
/// The most chain heads: more would take longer to clear than they save.
const MAX_HASH_BITS: u32 = 14;

/// A piece of the input: a byte as it is, or a copy of earlier bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symbol {
    /// One byte.
    Literal(u8),
    /// `length` bytes (3 to 258) copied from `distance` (1 to 32,768) back.
    Match {
        /// How many bytes are copied.
        length: u16,
        /// How far back the copy starts.
        distance: u16,
    },
}

/// The hash chains over one input.
pub struct Matcher {
    /// For each hash, the newest position filed under it, or [`NONE`].
    heads: Vec<u32>,
    /// For each position (modulo the ring's size), how far back the
    /// previous position with the same hash is; 0 for none in the window.
    links: Vec<u16>,
    /// `heads.len()` is 2^`hash_bits`.
    hash_bits: u32,
}

impl Matcher {
    /// Chains for an input of `length` bytes: about one head per byte of
    /// it, between 2^10 and 2^14, and a link per byte up to the window.
    pub fn new(length: usize) -> Matcher {
        let hash_bits = length.next_power_of_two().trailing_zeros().clamp(10, MAX_HASH_BITS);
        let ring = length.next_power_of_two().clamp(1, WINDOW);
        // Links need no clearing: a position's link is written when it is
        // filed, before any chain can lead to it.
        Matcher { heads: vec![NONE; 1 << hash_bits], links: vec![0; ring], hash_bits }
    }

    /// Appends the symbols of `input[start..]` to `symbols` until there are
    /// `max_symbols` or the input ends, and returns where it stopped.
    /// Earlier calls must have covered `input[..start]`, whose bytes
    /// matches may copy.
    pub fn parse(
        &mut self,
        input: &[u8],
        start: usize,
        symbols: &mut Vec<Symbol>,
        max_symbols: usize,
    ) -> usize {
        let last_hashed = input.len().saturating_sub(HASHED - 1);
        let mut position = start;
        while position < input.len() && symbols.len() < max_symbols {
            if position >= last_hashed {
                symbols.push(Symbol::Literal(input[position]));
                position += 1;
                continue;
            }
            let hash = self.hash(input, position);
            let (length, distance) = self.longest_match(input, position, hash);
            self.file(position, hash);
            if length < HASHED {
                symbols.push(Symbol::Literal(input[position]));
                position += 1;
                continue;
            }
            symbols.push(Symbol::Match { length: length as u16, distance: distance as u16 });
            if length <= MAX_FILED_MATCH {
                for inside in position + 1..(position + length).min(last_hashed) {
                    self.file(inside, self.hash(input, inside));
                }
            }
            position += length;
        }
        position
    }

    /// The hash of the four bytes at `position`: a multiplicative hash,
    /// whose top bits mix all of them.
    #[inline]
    fn hash(&self, input: &[u8], position: usize) -> usize {
        let mut word = [0u8; HASHED];
        word.copy_from_slice(&input[position..position + HASHED]);
        (u32::from_le_bytes(word).wrapping_mul(0x9E37_79B1) >> (32 - self.hash_bits)) as usize
    }

    /// Files `position` as the newest under `hash`.
    #[inline]
    fn file(&mut self, position: usize, hash: usize) {
        let ring = self.links.len() - 1;
        let head = self.heads[hash];
        let back = if head == NONE { 0 } else { position - head as usize };
        self.links[position & ring] = if back <= WINDOW { back as u16 } else { 0 };
        self.heads[hash] = position as u32;
    }

    /// The longest match for `position` among the first [`MAX_CHAIN`]
    /// positions of its chain, as (length, distance); a length under
    /// [`HASHED`] means none.
    fn longest_match(&self, input: &[u8], position: usize, hash: usize) -> (usize, usize) {
        let longest = MAX_MATCH.min(input.len() - position);
        let oldest = position.saturating_sub(WINDOW);
        let ring = self.links.len() - 1;
        let (mut best_length, mut best_distance) = (0, 0);
        let mut candidate = self.heads[hash];
        for _ in 0..MAX_CHAIN {
            let earlier = candidate as usize;
            if candidate == NONE || earlier < oldest {
                break;
            }
            // A candidate can beat the best only if it agrees at the
            // best's last byte: one comparison rejects most of them.
            if input[earlier + best_length] == input[position + best_length] {
                let length = common_prefix(&input[earlier..], &input[position..], longest);
                if length > best_length {
                    (best_length, best_distance) = (length, position - earlier);
                    if length >= NICE_LENGTH.min(longest) {
                        break;
                    }
                }
            }
            // Every link within the window is intact: the ring reuses a
            // position's slot only once it is a window behind.
            let back = self.links[earlier & ring];
            if back == 0 {
                break;
            }
            candidate -= u32::from(back);
        }
        (best_length, best_distance)
    }
}

/// How many leading bytes `a` and `b` share, up to `limit` (which neither
/// may be shorter than), compared eight at a time.
#[inline]
fn common_prefix(a: &[u8], b: &[u8], limit: usize) -> usize {
    let mut length = 0;
    while length + 8 <= limit {
        let difference = load_u64(&a[length..]) ^ load_u64(&b[length..]);
        if difference != 0 {
            return length + (difference.trailing_zeros() / 8) as usize;
        }
        length += 8;
    }
    while length < limit && a[length] == b[length] {
        length += 1;
    }
    length
}

/// The first eight bytes of `bytes`, little-endian.
#[inline]
fn load_u64(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbols_of(input: &[u8]) -> Vec<Symbol> {
        let mut symbols = Vec::new();
        let end = Matcher::new(input.len()).parse(input, 0, &mut symbols, usize::MAX);
        assert_eq!(end, input.len());
        symbols
    }

    /// The input the symbols stand for, copying byte by byte as a decoder does.
    fn expand(symbols: &[Symbol]) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        for symbol in symbols {
            match *symbol {
                Symbol::Literal(byte) => out.push(byte),
                Symbol::Match { length, distance } => {
                    assert!((3..=258).contains(&length) && (1..=32768).contains(&distance));
                    for _ in 0..length {
                        out.push(out[out.len() - usize::from(distance)]);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn a_repeated_line_becomes_one_match() {
        let line = b"probe_success{target=\"t1\"} 1\n";
        let input = [&line[..], &line[..]].concat();
        let symbols = symbols_of(&input);
        assert_eq!(symbols.len(), line.len() + 1, "{symbols:?}");
        assert_eq!(
            symbols[line.len()],
            Symbol::Match { length: line.len() as u16, distance: line.len() as u16 }
        );
    }

    #[test]
    fn a_run_is_a_literal_and_overlapping_matches_at_distance_one() {
        let input = vec![b'a'; 1000];
        let symbols = symbols_of(&input);
        assert_eq!(symbols[0], Symbol::Literal(b'a'));
        assert_eq!(symbols[1], Symbol::Match { length: 258, distance: 1 });
        assert_eq!(expand(&symbols), input);
    }

    #[test]
    fn matches_never_reach_past_the_window() {
        // A pattern that repeats every 40,000 bytes: only nearer copies of
        // its 4-byte pieces may be used.
        let mut state = 1u32;
        let block: Vec<u8> = (0..40_000)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (state >> 24) as u8
            })
            .collect();
        let input = [&block[..], &block[..], &block[..100]].concat();
        let symbols = symbols_of(&input);
        assert_eq!(expand(&symbols), input);
        assert!(symbols.iter().all(|s| match s {
            Symbol::Match { distance, .. } => usize::from(*distance) <= WINDOW,
            Symbol::Literal(_) => true,
        }));
    }

    #[test]
    fn parsing_in_pieces_stops_at_the_symbol_budget_and_resumes() {
        let input: Vec<u8> = b"abcdefgh".iter().cycle().take(5000).copied().collect();
        let mut matcher = Matcher::new(input.len());
        let mut symbols = Vec::new();
        let mut position = 0;
        while position < input.len() {
            let before = symbols.len();
            position = matcher.parse(&input, position, &mut symbols, before + 5);
            assert!(symbols.len() <= before + 5);
        }
        assert_eq!(expand(&symbols), input);
    }

    #[test]
    fn short_inputs_are_literals() {
        assert_eq!(symbols_of(b""), []);
        assert_eq!(symbols_of(b"x"), [Symbol::Literal(b'x')]);
        assert_eq!(expand(&symbols_of(b"abcabcabc")), b"abcabcabc");
    }

    #[test]
    fn common_prefix_counts_to_the_first_difference() {
        let a = b"0123456789abcdefXYZ";
        let b = b"0123456789abcdefXYz";
        assert_eq!(common_prefix(a, b, 19), 18);
        assert_eq!(common_prefix(a, b, 10), 10);
        assert_eq!(common_prefix(b"abcdefgh", b"abcdeFgh", 8), 5);
    }
}
