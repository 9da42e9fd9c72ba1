//! Deterministic pseudo-random inputs for the kernel tests of every CPU level.

/// Deterministic pseudo-random bytes (xorshift64*).
pub(super) fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            (s.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// Deterministic pseudo-random words (palette entries, 16-bit tables).
pub(super) fn words(seed: u64, n: usize) -> Vec<u32> {
    noise(seed, n * 4)
        .chunks_exact(4)
        .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
