//! Bits into bytes, as DEFLATE packs them (RFC 1951 section 3.1.1): each
//! value starts at the lowest free bit of the current byte, lowest bit
//! first. (Huffman codes, which the format wants highest bit first, are
//! stored reversed by [`huffman`](super::huffman), so that they too go in
//! lowest bit first.)

/// Appends bits to a byte vector, 32 at a time.
pub struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Bits not yet written, the oldest in the lowest position.
    pending: u64,
    /// How many bits of `pending` are in use (under 32 between calls).
    count: u32,
}

impl<'a> BitWriter<'a> {
    /// A writer that appends to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> BitWriter<'a> {
        BitWriter { out, pending: 0, count: 0 }
    }

    /// Writes the low `count` bits of `bits` (at most 32; the bits above
    /// them must be zero).
    #[inline]
    pub fn put(&mut self, bits: u32, count: u32) {
        debug_assert!(count <= 32 && u64::from(bits) >> count == 0);
        self.pending |= u64::from(bits) << self.count;
        self.count += count;
        if self.count >= 32 {
            self.write_32();
        }
    }

    /// Moves the 32 oldest pending bits to the output. Kept out of line:
    /// `put` is inlined everywhere, and this part need not be.
    #[inline(never)]
    fn write_32(&mut self) {
        self.out.extend_from_slice(&(self.pending as u32).to_le_bytes());
        self.pending >>= 32;
        self.count -= 32;
    }

    /// Pads with zero bits to the next byte boundary and writes what is
    /// pending, as a stored block's length and the end of the stream need.
    pub fn align(&mut self) {
        let bytes = self.count.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.pending.to_le_bytes()[..bytes]);
        self.pending = 0;
        self.count = 0;
    }

    /// Appends whole bytes; only right after [`align`](Self::align).
    pub fn put_bytes(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.count, 0);
        self.out.extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fill_each_byte_from_its_lowest_bit() {
        let mut out = Vec::new();
        let mut bits = BitWriter::new(&mut out);
        bits.put(0b1, 1);
        bits.put(0b01, 2);
        bits.put(0b10110, 5);
        bits.put(0xABCD, 16);
        bits.put(0x1234_5678, 32);
        bits.put(0b101, 3);
        bits.align();
        // 1, then 01, then 10110: 0b10110_01_1 = 0xB3.
        assert_eq!(out, [0xB3, 0xCD, 0xAB, 0x78, 0x56, 0x34, 0x12, 0b101]);
    }

    #[test]
    fn align_on_a_boundary_writes_nothing_more() {
        let mut out = Vec::new();
        let mut bits = BitWriter::new(&mut out);
        bits.put(0xFF, 8);
        bits.align();
        bits.align();
        bits.put_bytes(b"ab");
        assert_eq!(out, [0xFF, b'a', b'b']);
    }
}
