//! A small seeded generator for the property tests, the runner that gives
//! each case a generator of its own, and the random inputs every property
//! shares: bytes that mean something to a parser, mutations of a valid
//! input, text from every corner of Unicode.
//!
//! The seed is fixed, so a run repeats exactly; a failure prints the seed,
//! and `PROPERTIES_SEED=N` runs from another one.

use std::panic::{self, AssertUnwindSafe};

/// Cases per property: enough to reach odd corners, few enough that every
/// property together takes a few seconds in a debug build.
pub const CASES: usize = 3_000;

/// The seed of every run unless `PROPERTIES_SEED` names another.
const DEFAULT_SEED: u64 = 0x5EED_0F0F_9E0B;

/// SplitMix64 (Steele, Lea and Flood, 2014): a generator whose whole state
/// is one number, so that one number reproduces a case.
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; `n` must be above zero.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u32, high: u32) -> u32 {
        low + self.below((high - low + 1) as usize) as u32
    }

    /// True once in `n` times, on average.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }
}

/// Runs `property` on `cases` cases, each with a generator of its own, and
/// prints how many it tried. A failing case names its seed.
pub fn check_property(name: &str, cases: usize, property: impl Fn(&mut Rng)) {
    let run_seed = std::env::var("PROPERTIES_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let mut seeds = Rng::new(run_seed);
    for case in 0..cases {
        let case_seed = seeds.next_u64();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| property(&mut Rng::new(case_seed))));
        if let Err(payload) = outcome {
            eprintln!(
                "property `{name}` failed on case {case} (case seed {case_seed:#x}); \
                 PROPERTIES_SEED={run_seed} repeats the run"
            );
            panic::resume_unwind(payload);
        }
    }
    println!("property `{name}`: {cases} cases passed (PROPERTIES_SEED={run_seed})");
}

/// Bytes that mean something to at least one of the parsers.
pub const INTERESTING_BYTES: &[u8] =
    b"\r\n\t :;,=\"'\\%+-./?&#[]{}0123456789eETZ:\x00\x7f\x80\xbf\xc3\xed\xf0\xff";

pub fn random_byte(rng: &mut Rng) -> u8 {
    if rng.one_in(2) {
        rng.next_u64() as u8
    } else {
        *rng.pick(INTERESTING_BYTES)
    }
}

pub fn random_bytes(rng: &mut Rng, max_len: usize) -> Vec<u8> {
    let len = rng.below(max_len + 1);
    (0..len).map(|_| random_byte(rng)).collect()
}

/// A non-empty range `start..end` inside `0..len`, where `len` is above zero.
pub fn random_range(rng: &mut Rng, len: usize) -> (usize, usize) {
    let start = rng.below(len);
    let end = start + 1 + rng.below(len - start);
    (start, end)
}

/// Changes `bytes` in one to four ways: flips a bit, overwrites a byte,
/// inserts bytes, deletes a range, or duplicates a range elsewhere.
pub fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        let len = bytes.len();
        match rng.below(5) {
            0 if len > 0 => {
                let idx = rng.below(len);
                bytes[idx] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let idx = rng.below(len);
                bytes[idx] = random_byte(rng);
            }
            2 => {
                let at = rng.below(len + 1);
                let inserted = random_bytes(rng, 8);
                bytes.splice(at..at, inserted);
            }
            3 if len > 0 => {
                let (start, end) = random_range(rng, len);
                bytes.drain(start..end);
            }
            4 if len > 0 => {
                let (start, end) = random_range(rng, len);
                let copy = bytes[start..end].to_vec();
                let at = rng.below(len + 1);
                bytes.splice(at..at, copy);
            }
            _ => {}
        }
    }
}

/// Half the time random bytes, half the time a valid input, mutated.
pub fn hostile_input(rng: &mut Rng, valid_inputs: &[&[u8]]) -> Vec<u8> {
    if rng.one_in(2) {
        return random_bytes(rng, 200);
    }
    let mut input = rng.pick(valid_inputs).to_vec();
    mutate(rng, &mut input);
    input
}

/// A string of characters from every corner of Unicode: ASCII, the
/// characters formats escape, controls, and multi-byte ones.
pub fn random_text(rng: &mut Rng, max_len: usize) -> String {
    let len = rng.below(max_len + 1);
    (0..len).map(|_| random_char(rng)).collect()
}

pub fn random_char(rng: &mut Rng) -> char {
    match rng.below(6) {
        0 | 1 => char::from(rng.between(0x20, 0x7e) as u8),
        2 => *rng.pick(&['"', '\\', '\n', '\r', '\t', ' ', '#', '{', '}', '=', ',', '\0']),
        3 => char::from(rng.between(0, 0x1f) as u8),
        4 => *rng.pick(&['é', 'ß', '€', '✓', '\u{7ff}', '\u{800}', '\u{fffd}', '\u{feff}']),
        _ => {
            // Any scalar value; surrogates are not characters and are skipped.
            let code_point = rng.between(0x80, 0x10_ffff);
            char::from_u32(code_point).unwrap_or('\u{10ffff}')
        }
    }
}
