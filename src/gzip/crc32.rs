//! CRC-32 (IEEE 802.3), the checksum in a gzip trailer (RFC 1952 section 8).
//!
//! The checksum is the remainder of the input, read as a polynomial over
//! GF(2) with the lowest bit of each byte first, divided by the generator
//! 0x04C11DB7 (0xEDB88320 bit-reversed), with the register started and
//! finished inverted. A table of the remainder of every byte value turns
//! eight steps of that division into one look-up; the compiler computes
//! it, so the binary carries 1 KiB of numbers and no code to make them.
//!
//! One look-up per byte still waits on the one before, so long inputs go
//! eight bytes at a time ("slicing by 8"): table `k` holds each byte's
//! remainder shifted through `k` more zero bytes, so the eight bytes'
//! contributions are looked up independently and combined with XOR. Those
//! seven more tables (7 KiB) are derived from the first on the stack, in
//! a few microseconds, for an input long enough to pay for them, rather
//! than carried in the binary or kept for the life of the process.

/// The generator polynomial, bit-reversed (lowest power in the top bit).
const POLYNOMIAL: u32 = 0xEDB8_8320;

/// The remainder of each byte value, shifted through the register.
const TABLE: [u32; 256] = byte_table();

/// How many bytes one step of [`crc32`]'s main loop takes.
const SLICE: usize = 8;

type Tables = [[u32; 256]; SLICE];

const fn byte_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut remainder = byte as u32;
        let mut bit = 0;
        while bit < 8 {
            remainder =
                if remainder & 1 == 1 { (remainder >> 1) ^ POLYNOMIAL } else { remainder >> 1 };
            bit += 1;
        }
        table[byte] = remainder;
        byte += 1;
    }
    table
}

/// Inputs at least this long are worth the slicing tables: building them
/// costs about what a kilobyte costs byte by byte.
const SLICING_WORTH: usize = 4096;

/// [`TABLE`], and each byte's remainder after one to seven more zero
/// bytes: one more byte through the register is one more look-up.
fn slicing_tables() -> Tables {
    let mut tables = [TABLE; SLICE];
    for k in 1..SLICE {
        let previous = tables[k - 1];
        for (entry, remainder) in tables[k].iter_mut().zip(previous) {
            *entry = (remainder >> 8) ^ TABLE[usize::from(remainder as u8)];
        }
    }
    tables
}

/// The CRC-32 of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut register = !0u32;
    let mut rest = bytes;
    if bytes.len() >= SLICING_WORTH {
        let tables = slicing_tables();
        let mut chunks = bytes.chunks_exact(SLICE);
        for chunk in &mut chunks {
            let low = register ^ u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let look = |k: usize, byte: u32| tables[k][(byte & 0xFF) as usize];
            register = look(7, low)
                ^ look(6, low >> 8)
                ^ look(5, low >> 16)
                ^ look(4, low >> 24)
                ^ look(3, u32::from(chunk[4]))
                ^ look(2, u32::from(chunk[5]))
                ^ look(1, u32::from(chunk[6]))
                ^ look(0, u32::from(chunk[7]));
        }
        rest = chunks.remainder();
    }
    for &byte in rest {
        register = (register >> 8) ^ TABLE[usize::from(register as u8 ^ byte)];
    }
    !register
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CRC one bit at a time, as the definition says.
    fn bitwise(bytes: &[u8]) -> u32 {
        let mut register = !0u32;
        for &byte in bytes {
            register ^= u32::from(byte);
            for _ in 0..8 {
                register =
                    if register & 1 == 1 { (register >> 1) ^ POLYNOMIAL } else { register >> 1 };
            }
        }
        !register
    }

    #[test]
    fn known_check_values() {
        // The "check" value of CRC-32/ISO-HDLC in every catalogue of CRCs.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"a"), 0xE8B7_BE43);
        assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
    }

    #[test]
    fn the_table_holds_the_generator_where_one_bit_is_set() {
        // 0x80 is x^0 in reflected order: eight shifts leave the generator itself.
        assert_eq!(TABLE[0x80], POLYNOMIAL);
        assert_eq!(TABLE[0], 0);
        assert_eq!(TABLE[1], 0x7707_3096);
    }

    #[test]
    fn eight_at_a_time_agrees_with_bit_by_bit_at_every_length() {
        let bytes: Vec<u8> = (0..5000u32).map(|i| (i * 167 + 13) as u8).collect();
        for length in (0..300).chain(SLICING_WORTH - 10..bytes.len()) {
            assert_eq!(crc32(&bytes[..length]), bitwise(&bytes[..length]), "length {length}");
        }
    }
}
