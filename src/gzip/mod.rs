//! gzip, written by hand: what a scrape answer looks like compressed.
//!
//! Prometheus asks every target for gzip, and a scrape body compresses
//! about tenfold: it repeats metric names, label sets and help texts line
//! after line. A gzip file (RFC 1952) is a ten-byte header, a DEFLATE
//! stream (RFC 1951), and a trailer with the CRC-32 and the length of the
//! original. The parts, one a file:
//!
//! - [`lz77`] finds repeats: literal bytes and back-references;
//! - [`huffman`] makes length-limited canonical prefix codes;
//! - [`deflate`](mod@deflate) writes the symbols in blocks, dynamic, fixed or stored,
//!   whichever is smallest, through [`bits`];
//! - [`crc32`] checks the whole.
//!
//! Like zlib's fastest level, it looks for repeats greedily on a short
//! hash chain: a scrape answer costs little more CPU compressed than
//! plain, and comes within a few percent of zlib's size (`make bench`
//! prints both). Memory is sized from the input and dropped after it: at
//! most 64 KiB of chain heads, 64 KiB of links and 96 KiB of symbols.
//! No I/O here, and nothing else of the crate.

pub mod lz77;
pub mod huffman;
pub mod deflate;
pub mod bits;
pub mod crc32;

#[cfg(test)]
pub(crate) mod inflate;

pub use deflate::deflate;

/// The gzip header: magic, method 8 (DEFLATE), no flags (no name, no
/// comment), modification time 0 ("none", so the same body always gives
/// the same bytes), no extra flags, and operating system 255 ("unknown":
/// the bytes do not depend on where they were made).
const HEADER: [u8; 10] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255];

/// Appends `input`, compressed as one gzip member, to `out`.
pub fn gzip(input: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&HEADER);
    deflate(input, out);
    out.extend_from_slice(&crc32::crc32(input).to_le_bytes());
    // ISIZE: the input's length modulo 2^32.
    out.extend_from_slice(&(input.len() as u32).to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::inflate::{gunzip, inflate, BlockKinds};
    use super::*;

    /// `input` compressed, checked to read back the same, and the kinds
    /// of blocks it was written in.
    #[track_caller]
    fn round_trip(input: &[u8]) -> (Vec<u8>, BlockKinds) {
        let mut member = Vec::new();
        gzip(input, &mut member);
        let (data, kinds) = gunzip(&member).unwrap_or_else(|err| panic!("{err:?}"));
        assert!(data == input, "read back {} bytes, not the {} given", data.len(), input.len());
        (member, kinds)
    }

    /// Bytes from a small xorshift generator: no repeats DEFLATE can use.
    fn random_bytes(count: usize, mut seed: u64) -> Vec<u8> {
        (0..count)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 32) as u8
            })
            .collect()
    }

    /// A body shaped like a scrape of `targets` targets, with numbers that vary.
    fn scrape_like(targets: usize) -> Vec<u8> {
        let mut body = String::new();
        let families = ["probe_success", "probe_duration_seconds", "probe_connect_seconds"];
        for (f, family) in families.iter().enumerate() {
            body.push_str(&format!("# HELP {family} What the probe saw.\n# TYPE {family} gauge\n"));
            for target in 0..targets {
                let value = (target * 7919 + f * 104_729) % 1_000_003;
                body.push_str(&format!(
                    "{family}{{target=\"t{target}\",kind=\"daytime\"}} 0.000{value}\n"
                ));
            }
        }
        body.into_bytes()
    }

    #[test]
    fn the_header_says_deflate_with_no_name_and_no_time() {
        let (member, _) = round_trip(b"");
        assert_eq!(member[..10], [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255]);
        // Empty input: one fixed block holding only its end, then CRC 0 and size 0.
        assert_eq!(member[10..], [0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn one_byte_and_every_byte_value_read_back() {
        round_trip(b"x");
        round_trip(&[0]);
        let all: Vec<u8> = (0..=255).collect();
        round_trip(&all);
        let twice: Vec<u8> =
            all.iter().chain(all.iter().rev()).copied().cycle().take(10_000).collect();
        round_trip(&twice);
    }

    #[test]
    fn long_runs_read_back_through_overlapping_matches() {
        for length in [2, 3, 4, 5, 258, 259, 1000, 100_000] {
            let (member, _) = round_trip(&vec![b'a'; length]);
            assert!(member.len() < 18 + 16 + length / 100, "{length} bytes: {}", member.len());
        }
        let mut stripes = Vec::new();
        for i in 0..5_000 {
            stripes.extend(std::iter::repeat_n(b'0' + (i % 10) as u8, i % 17));
        }
        round_trip(&stripes);
    }

    #[test]
    fn a_megabyte_of_scrape_text_reads_back_much_smaller() {
        let body = scrape_like(6_000);
        assert!(body.len() > 1 << 20, "{}", body.len());
        let (member, kinds) = round_trip(&body);
        assert!(member.len() * 4 < body.len(), "{} of {}", member.len(), body.len());
        // Past 32 KiB and past one block's symbols: several dynamic blocks.
        assert!(kinds.dynamic > 1, "{kinds:?}");
    }

    #[test]
    fn incompressible_input_is_stored_and_grows_by_a_few_bytes() {
        for length in [100, 65_535, 65_536, 200_000] {
            let input = random_bytes(length, length as u64 + 1);
            let (member, kinds) = round_trip(&input);
            // Five bytes per stored block of up to 64 KiB, and the gzip frame.
            let blocks = length.div_ceil(65_535);
            assert_eq!(member.len(), 18 + length + 5 * blocks, "{length}");
            assert_eq!(kinds, BlockKinds { stored: blocks, fixed: 0, dynamic: 0 }, "{length}");
        }
    }

    #[test]
    fn repeats_across_the_window_and_block_boundaries_read_back() {
        // Random text repeated at distances near 32 KiB and past it, and
        // mixed with runs, so that blocks end in the middle of all of it.
        let piece = random_bytes(30_000, 7);
        let mut input = Vec::new();
        for round in 0..6 {
            input.extend_from_slice(&piece[round * 1000..]);
            input.extend(std::iter::repeat_n(b'z', 3 * round + 2));
            input.extend_from_slice(&scrape_like(20 + round));
        }
        assert!(input.len() > 150_000);
        let (_, kinds) = round_trip(&input);
        assert!(kinds.stored + kinds.fixed + kinds.dynamic > 1, "{kinds:?}");
    }

    #[test]
    fn a_raw_stream_ends_on_a_byte_and_is_read_whole() {
        for input in [&b""[..], b"a", b"abcabcabcabcabc", &scrape_like(3)] {
            let mut stream = Vec::new();
            deflate(input, &mut stream);
            let (data, _, used) = inflate(&stream).unwrap();
            assert_eq!((data.as_slice(), used), (input, stream.len()));
        }
    }
}
