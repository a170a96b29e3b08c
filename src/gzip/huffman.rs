//! Huffman codes as DEFLATE wants them: no code longer than a limit (15
//! bits for literals and distances, 7 for the code of code lengths), and
//! canonical, so that a decoder rebuilds the codes from their lengths
//! alone (RFC 1951 section 3.2.2).
//!
//! The lengths come from a Huffman tree built the classic way, by merging
//! the two lightest nodes until one is left (two queues instead of a heap:
//! the leaves sorted once, and the merged nodes, which come out already in
//! order). When a rare symbol ends up deeper than the limit, the lengths
//! are repaired as zlib does: the too-deep leaves are hoisted to the limit,
//! and for each two of them a leaf above is pushed one level down, which
//! frees the room; then the lengths are dealt out again, the longest to
//! the rarest symbols. The result is not always the optimal limited code
//! (package-merge would find that), but it is within a fraction of a
//! percent of it, and it is only needed on skewed inputs.

/// The longest code any DEFLATE alphabet allows.
pub const MAX_BITS: usize = 15;

/// The most symbols an alphabet has: the literal/length alphabet's 288.
const MAX_SYMBOLS: usize = 288;

/// The code length of each symbol given its frequency: 0 for a symbol
/// that does not occur, and no length above `limit`. At least two
/// symbols get a code, even if fewer occur, so that every code is
/// complete (some decoders refuse a lone one-bit code).
pub fn code_lengths(frequencies: &[u32], limit: usize, lengths: &mut [u8]) {
    debug_assert!(limit <= MAX_BITS && frequencies.len() <= MAX_SYMBOLS.min(1 << limit));
    lengths.fill(0);
    let mut leaves = [(0u32, 0u16); MAX_SYMBOLS];
    let mut count = 0;
    for (symbol, &frequency) in frequencies.iter().enumerate() {
        if frequency > 0 {
            leaves[count] = (frequency, symbol as u16);
            count += 1;
        }
    }
    // Pad to two leaves with the first unused symbols, weighing nothing.
    for (symbol, _) in
        frequencies.iter().enumerate().filter(|&(_, &f)| f == 0).take(2 - count.min(2))
    {
        leaves[count] = (0, symbol as u16);
        count += 1;
    }
    let leaves = &mut leaves[..count];
    sort(leaves);
    let mut per_length = tree_depths(leaves);
    limit_lengths(&mut per_length, limit);
    // Deal the lengths out, the longest to the rarest symbols.
    let mut rarest_first = leaves.iter();
    for length in (1..=limit).rev() {
        for _ in 0..per_length[length] {
            if let Some(&(_, symbol)) = rarest_first.next() {
                lengths[usize::from(symbol)] = length as u8;
            }
        }
    }
}

/// Sorts the leaves lightest first, by insertion: an alphabet has at most
/// 288 symbols, and this is a few lines of code where the standard
/// library's sort would add kilobytes to the binary.
fn sort(leaves: &mut [(u32, u16)]) {
    for sorted in 1..leaves.len() {
        let mut at = sorted;
        while at > 0 && leaves[at - 1] > leaves[at] {
            leaves.swap(at - 1, at);
            at -= 1;
        }
    }
}

/// How many leaves of the Huffman tree of `leaves` (sorted lightest
/// first, at least two) sit at each depth.
fn tree_depths(leaves: &[(u32, u16)]) -> [u32; MAX_SYMBOLS] {
    let count = leaves.len();
    // Nodes 0..count are the leaves; node count + k is the k-th merge.
    let mut weight = [0u64; 2 * MAX_SYMBOLS];
    let mut parent = [0u16; 2 * MAX_SYMBOLS];
    for (node, &(frequency, _)) in leaves.iter().enumerate() {
        weight[node] = u64::from(frequency);
    }
    let (mut next_leaf, mut next_merged) = (0, count);
    for node in count..2 * count - 1 {
        let mut lightest = || {
            let take_leaf = next_leaf < count
                && (next_merged == node || weight[next_leaf] <= weight[next_merged]);
            let taken = if take_leaf { &mut next_leaf } else { &mut next_merged };
            *taken += 1;
            *taken - 1
        };
        let (a, b) = (lightest(), lightest());
        parent[a] = node as u16;
        parent[b] = node as u16;
        weight[node] = weight[a] + weight[b];
    }
    // A parent comes after its children, so depths follow from the root
    // down; depths reuse `weight`, whose work is done.
    let depth = &mut weight;
    depth[2 * count - 2] = 0;
    let mut per_depth = [0u32; MAX_SYMBOLS];
    for node in (0..2 * count - 2).rev() {
        depth[node] = depth[usize::from(parent[node])] + 1;
        if node < count {
            per_depth[depth[node] as usize] += 1;
        }
    }
    per_depth
}

/// Moves every leaf deeper than `limit` up to it, then pushes leaves
/// above it down until the code is complete again (Kraft's sum exactly 1).
fn limit_lengths(per_length: &mut [u32; MAX_SYMBOLS], limit: usize) {
    let too_deep: u32 = per_length[limit + 1..].iter().sum();
    per_length[limit + 1..].fill(0);
    per_length[limit] += too_deep;
    // Kraft's sum less one, in units of 2^-limit: what the hoisted
    // leaves took that was not free.
    let mut excess = (1..=limit)
        .map(|length| u64::from(per_length[length]) << (limit - length))
        .sum::<u64>()
        .saturating_sub(1 << limit);
    // The deepest leaf above the limit goes one level down, and a leaf
    // from the limit becomes its sibling: the same leaves, one unit less.
    while excess > 0 {
        let Some(length) = (1..limit).rev().find(|&length| per_length[length] > 0) else {
            break; // Cannot happen: an alphabet has at most 2^limit symbols.
        };
        per_length[length] -= 1;
        per_length[length + 1] += 2;
        per_length[limit] -= 1;
        excess -= 1;
    }
}

/// The canonical code of each symbol from its length (RFC 1951 section
/// 3.2.2), bit-reversed so that it can be written lowest bit first.
pub fn canonical_codes(lengths: &[u8], codes: &mut [u16]) {
    let mut per_length = [0u16; MAX_BITS + 1];
    for &length in lengths {
        per_length[usize::from(length)] += 1;
    }
    per_length[0] = 0;
    let mut next_code = [0u16; MAX_BITS + 1];
    let mut code = 0u16;
    for bits in 1..=MAX_BITS {
        code = (code + per_length[bits - 1]) << 1;
        next_code[bits] = code;
    }
    for (symbol, &length) in lengths.iter().enumerate() {
        if length > 0 {
            let code = &mut next_code[usize::from(length)];
            codes[symbol] = code.reverse_bits() >> (16 - length);
            *code += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lengths_of(frequencies: &[u32], limit: usize) -> Vec<u8> {
        let mut lengths = vec![0; frequencies.len()];
        code_lengths(frequencies, limit, &mut lengths);
        lengths
    }

    /// Kraft's sum of the code, in units of 2^-limit.
    fn kraft(lengths: &[u8], limit: usize) -> u64 {
        lengths.iter().filter(|&&l| l > 0).map(|&l| 1u64 << (limit - usize::from(l))).sum()
    }

    #[test]
    fn a_textbook_tree() {
        // Frequencies 1, 1, 2, 4: depths 3, 3, 2, 1.
        assert_eq!(lengths_of(&[4, 2, 1, 1], 15), [1, 2, 3, 3]);
        // RFC 1951's own example, ABCDEFGH with lengths (3, 3, 3, 3, 3, 2, 4, 4),
        // comes from frequencies that make such a tree.
        let lengths = lengths_of(&[4, 4, 4, 4, 4, 8, 2, 2], 15);
        assert_eq!(kraft(&lengths, 15), 1 << 15);
        assert_eq!(lengths, [3, 3, 3, 3, 3, 2, 4, 4]);
    }

    #[test]
    fn fewer_than_two_symbols_still_make_a_complete_code() {
        assert_eq!(lengths_of(&[0, 0, 7, 0], 15), [1, 0, 1, 0]);
        assert_eq!(lengths_of(&[0, 0, 0], 7), [1, 1, 0]);
    }

    #[test]
    fn fibonacci_frequencies_are_cut_to_the_limit_and_stay_complete() {
        // Fibonacci weights make the deepest possible tree: 30 symbols, 29 levels.
        let mut frequencies = vec![1u32, 1];
        while frequencies.len() < 30 {
            let n = frequencies.len();
            frequencies.push(frequencies[n - 1] + frequencies[n - 2]);
        }
        for limit in [7, 9, 15] {
            let lengths = lengths_of(&frequencies, limit);
            assert!(lengths.iter().all(|&l| (1..=limit as u8).contains(&l)), "{lengths:?}");
            assert_eq!(kraft(&lengths, limit), 1 << limit, "limit {limit}: {lengths:?}");
            // The more frequent symbol never has the longer code.
            assert!(lengths.windows(2).all(|w| w[0] >= w[1]), "{lengths:?}");
        }
    }

    #[test]
    fn many_skewed_alphabets_stay_complete_and_limited() {
        let mut seed = 0x9E37_79B9u32;
        for round in 0..200 {
            let size = 2 + round % 286;
            let frequencies: Vec<u32> = (0..size)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    // Mostly zero or tiny, a few huge: deep trees.
                    if seed % 3 == 0 {
                        0
                    } else {
                        1 << (seed % 24)
                    }
                })
                .collect();
            let lengths = lengths_of(&frequencies, 15);
            assert!(lengths.iter().all(|&l| l <= 15));
            assert_eq!(kraft(&lengths, 15), 1 << 15, "{frequencies:?} → {lengths:?}");
            let used = frequencies.iter().filter(|&&f| f > 0).count();
            for (f, l) in frequencies.iter().zip(&lengths) {
                assert_eq!(*f > 0 || used < 2 && *l > 0, *l > 0);
            }
        }
    }

    #[test]
    fn canonical_codes_follow_rfc_1951s_example() {
        // Section 3.2.2: lengths (3, 3, 3, 3, 3, 2, 4, 4) give the codes
        // 010, 011, 100, 101, 110, 00, 1110, 1111.
        let lengths = [3, 3, 3, 3, 3, 2, 4, 4];
        let mut codes = [0u16; 8];
        canonical_codes(&lengths, &mut codes);
        let expected = [0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111];
        for symbol in 0..8 {
            let reversed = codes[symbol].reverse_bits() >> (16 - lengths[symbol]);
            assert_eq!(reversed, expected[symbol], "symbol {symbol}");
        }
    }
}
