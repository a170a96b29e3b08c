//! The unit tests' random numbers: a small seeded generator (xorshift64*),
//! so a property test needs no crate and fails the same way every time.
//! The integration tests have their own beside their harness.

/// xorshift64*, seeded by the test.
pub struct Random(pub u64);

impl Random {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number from 0 to `n` − 1.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
