//! The 32-byte stores of `lut`'s RLE fast path: a run's repeated pixel (or RLE4 pixel pair)
//! laid out across a register, and the pixels of 8 palette indices; portable, and with AVX2
//! on x86-64.

/// How the fast path builds and writes its 32-byte stores.
///
/// Every method is `unsafe`: an implementation may use target features the CPU must have
/// (the caller picks the implementation the CPU runs).
pub(super) trait Wide {
    /// 32 bytes in a register (or an array).
    type Block: Copy;

    /// Whether 3-byte runs are faster from [`Patterns3`] than built by [`Wide::splat1`] and
    /// [`Wide::splat2`] (then [`Wide::cached`] turns a pattern into a block).
    const CACHE3: bool = false;

    /// A block from 32 bytes built beforehand (used only where [`Wide::CACHE3`]).
    ///
    /// # Safety
    /// The CPU has the implementation's target features.
    unsafe fn cached(_bytes: &[u8; 32]) -> Self::Block {
        unreachable!("only implementations with CACHE3 are asked for cached blocks")
    }

    /// `px` (a packed table entry) as `N`-byte pixels repeated over the 32 bytes (the last
    /// one cut short when `N` is 3).
    ///
    /// # Safety
    /// The CPU has the implementation's target features.
    unsafe fn splat1<const N: usize>(px: u32) -> Self::Block;

    /// The two pixels `pair` (two packed table entries, the first in the lower address)
    /// as `N`-byte pixels alternating over the 32 bytes, the first one first.
    ///
    /// # Safety
    /// The CPU has the implementation's target features.
    unsafe fn splat2<const N: usize>(pair: [u32; 2]) -> Self::Block;

    /// Writes `block` at `dst`.
    ///
    /// # Safety
    /// The CPU has the implementation's target features; `dst` is valid for writing 32
    /// bytes.
    unsafe fn store(dst: *mut u8, block: Self::Block);

    /// Writes 8 pixels of an absolute block, read from `src` (8 indices, or 4 bytes of two
    /// 4-bit indices each, high nibble first, when `FOUR`), at `dst`, `N` bytes each: 32
    /// bytes for `N` = 4, 24 bytes and one byte after them overwritten for `N` = 3.
    /// `table` holds the packed entries, `pairs` (for `FOUR`) each byte's two pixels.
    ///
    /// # Safety
    /// The CPU has the implementation's target features; `src` is valid for reading 8
    /// bytes (4 when `FOUR`) and `dst` for writing 32.
    #[inline(always)]
    unsafe fn lit8<const N: usize, const FOUR: bool>(
        table: &[u32; 256],
        pairs: &[[u32; 2]; 256],
        src: *const u8,
        dst: *mut u8,
    ) {
        // SAFETY (all blocks below): the reads stay in the caller's 8 (or 4) bytes at
        // `src`, the writes in its 32 at `dst`.
        if FOUR {
            let b = unsafe { src.cast::<[u8; 4]>().read_unaligned() };
            for (k, &b) in b.iter().enumerate() {
                let [even, odd] = pairs[usize::from(b)];
                if N == 4 {
                    unsafe {
                        dst.add(8 * k)
                            .cast::<[u32; 2]>()
                            .write_unaligned([even, odd])
                    };
                } else {
                    // In order, each store's fourth byte overwritten by the next pixel.
                    unsafe {
                        dst.add(6 * k).cast::<u32>().write_unaligned(even);
                        dst.add(6 * k + 3).cast::<u32>().write_unaligned(odd);
                    }
                }
            }
        } else {
            let idx = unsafe { src.cast::<[u8; 8]>().read_unaligned() };
            let px = |k: usize| table[usize::from(idx[k])];
            for k in 0..if N == 4 { 4 } else { 8 } {
                if N == 4 {
                    let pair = [px(2 * k), px(2 * k + 1)];
                    unsafe { dst.add(8 * k).cast::<[u32; 2]>().write_unaligned(pair) };
                } else {
                    unsafe { dst.add(3 * k).cast::<u32>().write_unaligned(px(k)) };
                }
            }
        }
    }
}

/// Plain integer code (on x86-64, 16-byte stores: SSE2 is the baseline).
pub(super) struct Portable;

impl Portable {
    /// The pixels of [`Wide::splat2`], needing no target feature.
    #[inline(always)]
    pub(super) fn pattern<const N: usize>(even: u32, odd: u32) -> [u8; 32] {
        let mut block = [0u8; 32];
        if N == 4 {
            let mut pair = [0u8; 8];
            pair[..4].copy_from_slice(&even.to_ne_bytes());
            pair[4..].copy_from_slice(&odd.to_ne_bytes());
            for s in block.chunks_exact_mut(8) {
                s.copy_from_slice(&pair);
            }
        } else {
            // The 6-byte period `even[..3] odd[..3]` as a little-endian integer, and the
            // 8 bytes that start 0, 2 and 4 bytes into it (the stores are 8 bytes apart).
            let rgb = |px: u32| u64::from(u32::from_le_bytes(px.to_ne_bytes()) & 0xff_ffff);
            let period = rgb(even) | rgb(odd) << 24;
            let at = |phase: u32| {
                let r = (period >> (8 * phase) | period << (48 - 8 * phase)) & 0xffff_ffff_ffff;
                (r | r << 48).to_le_bytes()
            };
            for (s, phase) in block.chunks_exact_mut(8).zip([0, 2, 4, 0]) {
                s.copy_from_slice(&at(phase));
            }
        }
        block
    }
}

/// Each byte's 3-byte run pattern, built once an image: RLE8's repeated pixel or RLE4's
/// pixel pair ([`Portable::pattern`]).
pub(super) type Patterns3 = [[u8; 32]; 256];

impl Wide for Portable {
    type Block = [u8; 32];

    const CACHE3: bool = true;

    #[inline(always)]
    unsafe fn cached(bytes: &[u8; 32]) -> [u8; 32] {
        *bytes
    }

    #[inline(always)]
    unsafe fn splat1<const N: usize>(px: u32) -> [u8; 32] {
        Portable::pattern::<N>(px, px)
    }

    #[inline(always)]
    unsafe fn splat2<const N: usize>([even, odd]: [u32; 2]) -> [u8; 32] {
        Portable::pattern::<N>(even, odd)
    }

    #[inline(always)]
    unsafe fn store(dst: *mut u8, block: [u8; 32]) {
        // SAFETY: the caller vouches for 32 bytes at `dst`.
        unsafe { dst.cast::<[u8; 32]>().write_unaligned(block) }
    }
}

/// AVX2: a broadcast (and for 3-byte pixels one byte shuffle) per run, one 32-byte store.
#[cfg(target_arch = "x86_64")]
pub(super) struct Avx2;

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{Avx2, Wide};

    /// For 3-byte pixels: byte `i` of a store is byte `i % 3` of pixel `i / 3`, taken from a
    /// lane holding pixel pairs in bytes 0..8 (pixel `k` from bytes `4 (k % 2)..`; from
    /// bytes `0..3` when `SAME`).
    const fn shuffle3<const SAME: bool>() -> [u8; 32] {
        let mut s = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            s[i] = (if SAME { 0 } else { (i / 3) % 2 * 4 } + i % 3) as u8;
            i += 1;
        }
        s
    }
    const ONE3: [u8; 32] = shuffle3::<true>();
    const TWO3: [u8; 32] = shuffle3::<false>();

    impl Wide for Avx2 {
        type Block = __m256i;

        #[inline(always)]
        unsafe fn splat1<const N: usize>(px: u32) -> __m256i {
            // SAFETY: the caller vouches for AVX2; ONE3 has 32 bytes.
            unsafe {
                let v = _mm256_set1_epi32(px as i32);
                if N == 4 {
                    v
                } else {
                    _mm256_shuffle_epi8(v, _mm256_loadu_si256(ONE3.as_ptr().cast()))
                }
            }
        }

        #[inline(always)]
        unsafe fn splat2<const N: usize>(pair: [u32; 2]) -> __m256i {
            // SAFETY: the caller vouches for AVX2; TWO3 has 32 bytes. (x86-64 is
            // little-endian: `pair[0]` in the lower bytes.)
            unsafe {
                let v = _mm256_set1_epi64x((u64::from(pair[0]) | u64::from(pair[1]) << 32) as i64);
                if N == 4 {
                    v
                } else {
                    _mm256_shuffle_epi8(v, _mm256_loadu_si256(TWO3.as_ptr().cast()))
                }
            }
        }

        #[inline(always)]
        unsafe fn store(dst: *mut u8, block: __m256i) {
            // SAFETY: the caller vouches for AVX2 and 32 bytes at `dst`.
            unsafe { _mm256_storeu_si256(dst.cast(), block) }
        }

        #[inline(always)]
        unsafe fn lit8<const N: usize, const FOUR: bool>(
            table: &[u32; 256],
            pairs: &[[u32; 2]; 256],
            src: *const u8,
            dst: *mut u8,
        ) {
            if FOUR {
                // SAFETY: as the caller vouches; the portable code needs no features.
                return unsafe { super::Portable::lit8::<N, FOUR>(table, pairs, src, dst) };
            }
            // SAFETY: the caller vouches for AVX2, 8 bytes at `src` and 32 at `dst`.
            unsafe {
                // Eight entries inserted into a register, as `avx2::block_insert` does.
                let idx = src.cast::<[u8; 8]>().read_unaligned();
                let e = |k: usize| table[usize::from(idx[k])] as i32;
                let lo = _mm_cvtsi32_si128(e(0));
                let lo = _mm_insert_epi32::<1>(lo, e(1));
                let lo = _mm_insert_epi32::<2>(lo, e(2));
                let lo = _mm_insert_epi32::<3>(lo, e(3));
                let hi = _mm_cvtsi32_si128(e(4));
                let hi = _mm_insert_epi32::<1>(hi, e(5));
                let hi = _mm_insert_epi32::<2>(hi, e(6));
                let hi = _mm_insert_epi32::<3>(hi, e(7));
                let v = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(lo), hi);
                if N == 4 {
                    _mm256_storeu_si256(dst.cast(), v);
                } else {
                    // Each lane's 4 pixels packed to its first 12 bytes, then the lanes'
                    // 12-byte runs joined (as `avx2::store` does).
                    let shuffle = _mm256_setr_epi8(
                        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, //
                        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
                    );
                    let join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
                    let packed = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, shuffle), join);
                    _mm256_storeu_si256(dst.cast(), packed);
                }
            }
        }
    }
}
