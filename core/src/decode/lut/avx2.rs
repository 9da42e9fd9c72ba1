//! x86-64 AVX2 row kernels (SSSE3 byte shuffles, AVX2 gathers and arithmetic) for 16-, 24-
//! and 32-bit rows.
//!
//! Each kernel handles whole blocks and leaves the tail to the scalar kernel, so the scalar
//! code stays the single definition of what a pixel becomes.

use std::arch::x86_64::*;

use super::palette::{stride3, Palette8};
use super::row::Row;
use super::scalar;
use super::tables16::Scale16;

/// 16-bit rows through the 65,536-entry table (`Row::Table16`).
///
/// # Safety
/// The CPU must have AVX2.
pub(super) unsafe fn table16(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Table16(table) = row else {
        unreachable!("listed only for Row::Table16")
    };
    let (src, dst) = align_stores(row, src, dst);
    // SAFETY: the caller vouches for AVX2.
    unsafe { table16_avx2(table, src, dst) }
}

/// 16-bit rows of at most 8 bits a channel, scaled arithmetically (`Row::Bits16`).
///
/// # Safety
/// The CPU must have AVX2.
pub(super) unsafe fn bits16(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Bits16 { channels } = row else {
        unreachable!("listed only for Row::Bits16")
    };
    let (src, dst) = align_stores(row, src, dst);
    // SAFETY: the caller vouches for AVX2.
    let done = unsafe {
        if channels[3].max == 0 {
            bits16_avx2::<true>(channels, src, dst)
        } else {
            bits16_avx2::<false>(channels, src, dst)
        }
    };
    scalar::decode_row(row, &src[done * 2..], &mut dst[done * 4..]);
}

/// 16-bit rows of at most 8 bits a channel (`Row::Bits16`) straight into 3-byte pixels:
/// [`bits16`]'s arithmetic for red, green and blue, 32 pixels stored as three 32-byte
/// stores ([`bits16_to3_avx2`]).
///
/// # Safety
/// The CPU must have AVX2.
pub(super) unsafe fn bits16_to3(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Bits16 { channels } = row else {
        unreachable!("listed only for Row::Bits16")
    };
    // SAFETY: the caller vouches for AVX2.
    let done = unsafe { bits16_to3_avx2(channels, src, dst) };
    let mut px = [0u8; 4];
    for (d, s) in dst[done * 3..]
        .chunks_exact_mut(3)
        .zip(src[done * 2..].chunks_exact(2))
    {
        scalar::decode_row(row, s, &mut px);
        d.copy_from_slice(&px[..3]);
    }
}

/// 24-bit rows (`Row::Bgr24`).
///
/// # Safety
/// The CPU must have AVX2.
pub(super) unsafe fn bgr24(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Bgr24 { blue_first } = row else {
        unreachable!("listed only for Row::Bgr24")
    };
    let (src, dst) = align_stores(row, src, dst);
    // SAFETY: the caller vouches for AVX2.
    unsafe { bgr24_avx2(*blue_first, src, dst) }
}

/// 32-bit rows with the default masks (`Row::Bgra32`).
///
/// # Safety
/// The CPU must have AVX2.
pub(super) unsafe fn bgra32(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Bgra32 { alpha, blue_first } = row else {
        unreachable!("listed only for Row::Bgra32")
    };
    let (src, dst) = align_stores(row, src, dst);
    // SAFETY: the caller vouches for AVX2.
    unsafe { bgra32_avx2(*alpha, *blue_first, src, dst) }
}

/// 8-bit palette rows (`Row::Pal8`), 32 pixels a block, adaptively: a block whose indices
/// fall within two (or four) 16-entry chunks of the palette is looked up with two (or four)
/// byte shuffles per byte plane; any other block entry by entry, eight entries inserted into
/// a register and stored 32 bytes at a time; a row that misses [`GIVE_UP`] blocks in a row
/// stops probing. Measured here (AMD Zen 3, interleaved, loaded machine): a camera-like
/// frame 1.23× the write floor against the scalar loop's 2.09×; random indices 2.41×
/// against 2.51× (the insert path alone: 1.70× / 2.23×; `vpgatherdd` was slower than
/// scalar, 2.6× / 3.2×). Trying each block against the last two-chunk block's chunks before
/// ranging it, and not looking up a fourth plane that is the same in every entry, took the
/// seed picture from 504–575 µs to 430–448 µs (two runs of 900 interleaved, quiet). Keeping
/// that pair of chunks in registers until the base changes (each block broadcast six chunks
/// again, on the shuffle ports: by llvm-mca's Zen 3 model 25 operations a block on them
/// before, 17 now) took it from 427 to 370 µs p10 (452 to 399 p50; one process alternating
/// both, 300 rounds).
///
/// # Safety
/// The CPU must have AVX2.
pub(super) unsafe fn pal8(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Pal8(palette) = row else {
        unreachable!("listed only for Row::Pal8")
    };
    let (src, dst) = align_stores(row, src, dst);
    // SAFETY: the caller vouches for AVX2.
    let done = unsafe { pal8_avx2::<4>(palette, src, dst) };
    scalar::pal8(&palette.table, &src[done..], &mut dst[done * 4..]);
}

/// 8-bit palette rows (`Row::Pal8`) straight into 3-byte pixels (RGB or BGR, the table in
/// that order): [`pal8`]'s blocks, chunk-local ones from byte planes by [`store_rgb24`], the
/// others' 8-pixel registers packed to 24 bytes (as [`pack3`] does), instead of 4-byte
/// pixels through a scratch buffer.
///
/// # Safety
/// The CPU must have AVX2.
pub(super) unsafe fn pal8_to3(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Pal8(palette) = row else {
        unreachable!("listed only for Row::Pal8")
    };
    // SAFETY: the caller vouches for AVX2.
    let done = unsafe { pal8_avx2::<3>(palette, src, dst) };
    for (d, &i) in dst[done * 3..].chunks_exact_mut(3).zip(&src[done..]) {
        d.copy_from_slice(&palette.table[usize::from(i)].to_ne_bytes()[..3]);
    }
}

/// Misses in a row after which [`pal8`] stops probing a row for chunk-local blocks.
const GIVE_UP: u32 = 4;

/// The 32-pixel blocks of [`pal8`] (`N` = 4 bytes a pixel) and [`pal8_to3`] (`N` = 3);
/// returns the pixels written. The fourth plane is not looked up where every entry has the
/// same fourth byte, nor for 3-byte pixels (which drop it).
#[target_feature(enable = "avx2")]
unsafe fn pal8_avx2<const N: usize>(palette: &Palette8, src: &[u8], dst: &mut [u8]) -> usize {
    let fourth = if N == 3 { Some(0) } else { palette.fourth };
    // SAFETY (both arms): the caller vouches for AVX2.
    match fourth {
        Some(byte) => unsafe {
            pal8_blocks::<N, true>(palette, _mm256_set1_epi8(byte as i8), src, dst)
        },
        None => unsafe { pal8_blocks::<N, false>(palette, _mm256_setzero_si256(), src, dst) },
    }
}

/// [`pal8_avx2`]'s loop; with `FIXED4` every pixel's fourth byte is `fourth`'s.
///
/// Each block is first tried against the chunks of the last two-chunk block, which stay in
/// registers (one subtract and test: neighbouring blocks of a picture mostly share them),
/// and only then ranged.
#[target_feature(enable = "avx2")]
unsafe fn pal8_blocks<const N: usize, const FIXED4: bool>(
    palette: &Palette8,
    fourth: __m256i,
    src: &[u8],
    dst: &mut [u8],
) -> usize {
    let mut n = (src.len() / 32).min(dst.len() / (32 * N));
    // A 3-byte block's last 32-byte store starts 72 bytes in and ends 8 bytes past the
    // block's 96: stop one block early where `dst` has no such 8 bytes.
    while N == 3 && n > 0 && (n - 1) * 96 + 104 > dst.len() {
        n -= 1;
    }
    let mut misses = 0u32;
    let masks = rgb_masks();
    // The last two-chunk block's chunks (base <= 14) and 16 × their base in every byte.
    // SAFETY: base 0 + 2 <= 16.
    let mut pair = unsafe { chunks::<2, N, FIXED4>(palette, 0) };
    let mut sub = _mm256_setzero_si256();
    for b in 0..n {
        // SAFETY: block b reads src[32b..32b+32] and writes dst[32Nb..32Nb+32N] (plus 8
        // bytes past it for N = 3, inside `dst` by the choice of n); b < n keeps both inside
        // the slices. Chunk bases: lo <= hi <= 15 and each arm clamps its base so that
        // base + chunks <= 16.
        unsafe {
            let s = src.as_ptr().add(32 * b);
            let out = dst.as_mut_ptr().add(32 * N * b);
            let mut local = false;
            if misses < GIVE_UP {
                let raw = _mm256_loadu_si256(s as *const __m256i);
                local = true;
                let x = _mm256_sub_epi8(raw, sub);
                if within_two(x) {
                    block_chunks::<2, N, FIXED4>(&pair, x, fourth, &masks, out);
                } else {
                    let (lo, hi) = chunk_range(raw);
                    if hi - lo < 2 {
                        let base = lo.min(14);
                        pair = chunks::<2, N, FIXED4>(palette, base);
                        sub = _mm256_set1_epi8((16 * base) as u8 as i8);
                        let x = _mm256_sub_epi8(raw, sub);
                        block_chunks::<2, N, FIXED4>(&pair, x, fourth, &masks, out);
                    } else if hi - lo < 4 {
                        let base = lo.min(12);
                        let x = _mm256_sub_epi8(raw, _mm256_set1_epi8((16 * base) as u8 as i8));
                        let quad = chunks::<4, N, FIXED4>(palette, base);
                        block_chunks::<4, N, FIXED4>(&quad, x, fourth, &masks, out);
                    } else {
                        misses += 1;
                        local = false;
                    }
                }
            }
            if local {
                misses = 0;
            } else {
                store::<N>(block_insert(&palette.table, s), out);
            }
        }
    }
    n * 32
}

/// Whether 32 indices less 16 × a base (wrapping) all fall in that base's two chunks.
#[target_feature(enable = "avx2")]
#[inline]
fn within_two(x: __m256i) -> bool {
    _mm256_testz_si256(x, _mm256_set1_epi8(-32)) == 1
}

/// The byte planes an 8-bit block looks up: the fourth only for 4-byte pixels (`n` = 4)
/// whose palette's fourth byte is not fixed.
const fn looked_up_planes(n: usize, fixed4: bool) -> usize {
    if n == 4 && !fixed4 {
        4
    } else {
        3
    }
}

/// The `S` 16-entry chunks from `base` of each byte plane that [`block_chunks`] looks up
/// (the fourth plane only for 4-byte pixels without `FIXED4`), each in both lanes.
///
/// # Safety
/// AVX2; `base + S <= 16`.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn chunks<const S: usize, const N: usize, const FIXED4: bool>(
    palette: &Palette8,
    base: usize,
) -> [[__m256i; S]; 4] {
    debug_assert!(base + S <= 16);
    let planes = looked_up_planes(N, FIXED4);
    std::array::from_fn(|k| {
        std::array::from_fn(|j| {
            if k >= planes {
                return _mm256_setzero_si256();
            }
            let p = palette.planes[k].as_ptr();
            // SAFETY: (base + j) * 16 + 16 <= 256: the 16 bytes of chunk base + j.
            unsafe {
                _mm256_broadcastsi128_si256(_mm_loadu_si128(
                    p.add(16 * (base + j)) as *const __m128i
                ))
            }
        })
    })
}

/// Looks up 32 indices whose chunks all lie in the `S` chunks of `chunks` (from
/// [`chunks`] at some base; `x` is the indices less 16 × that base) with `S` byte shuffles per
/// plane, and writes their pixels at `out` as [`store`] does (4-byte pixels) or exactly 96
/// bytes (3-byte): `adds_epu8(x - 16 j, 0x70)` has bit 7 clear exactly where the index falls
/// in chunk j, with its low nibble below, and a shuffle zeroes the other lanes, so OR-ing the
/// `S` shuffles gives the plane. With `FIXED4` the fourth plane is `fourth`, not looked up
/// (3-byte pixels never look it up).
///
/// # Safety
/// AVX2; `out` valid for writing 32 `N` bytes; `masks` from [`rgb_masks`].
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn block_chunks<const S: usize, const N: usize, const FIXED4: bool>(
    chunks: &[[__m256i; S]; 4],
    x: __m256i,
    fourth: __m256i,
    masks: &[[__m256i; 3]; 3],
    out: *mut u8,
) {
    // 3-byte pixels: lane 0 pixels 0-15 and lane 1 pixels 16-31, as `store_rgb24` takes them.
    let x = if N == 4 { split_lanes(x) } else { x };
    let bias = _mm256_set1_epi8(0x70);
    let keys: [__m256i; S] = std::array::from_fn(|j| {
        _mm256_adds_epu8(_mm256_sub_epi8(x, _mm256_set1_epi8((16 * j) as i8)), bias)
    });
    // A loop, not a closure: a closure does not inherit AVX2 and was not inlined.
    let mut p = [_mm256_setzero_si256(); 4];
    let planes = looked_up_planes(N, FIXED4);
    for (plane, chunk) in p.iter_mut().zip(chunks).take(planes) {
        for (c, key) in chunk.iter().zip(&keys) {
            *plane = _mm256_or_si256(*plane, _mm256_shuffle_epi8(*c, *key));
        }
    }
    let [r, g, b, a] = p;
    if N == 3 {
        // SAFETY: the caller vouches for 96 bytes at `out`.
        return unsafe { store_rgb24(masks, r, g, b, out) };
    }
    let a = if FIXED4 { fourth } else { a };
    // SAFETY: the caller vouches for 128 bytes at `out`.
    unsafe { store::<4>(interleave4(r, g, b, a), out) }
}

/// Stores 32 pixels of 4 bytes (four registers of 8, in order) at `out`: as they are
/// (`N` = 4, 128 bytes), or with each pixel's fourth byte dropped (`N` = 3, 96 bytes, and
/// the 8 bytes after them overwritten).
///
/// # Safety
/// AVX2; `out` valid for writing 128 bytes (`N` = 4) or 104 (`N` = 3).
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn store<const N: usize>(px: [__m256i; 4], out: *mut u8) {
    let shuffle = _mm256_setr_epi8(
        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, //
        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
    );
    let join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
    for (k, v) in px.into_iter().enumerate() {
        // SAFETY: store k writes out[32Nk / 4..][..32]: at most out[0..128] for N = 4 and
        // out[0..104] for N = 3, which the caller vouches for; in order, so each 3-byte
        // store's last 8 bytes are overwritten by the next.
        unsafe {
            if N == 4 {
                _mm256_storeu_si256(out.add(32 * k) as *mut __m256i, v);
            } else {
                let packed = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, shuffle), join);
                _mm256_storeu_si256(out.add(24 * k) as *mut __m256i, packed);
            }
        }
    }
}

/// The lowest and highest 16-entry chunk (index / 16) among 32 indices.
#[target_feature(enable = "avx2")]
#[inline]
fn chunk_range(v: __m256i) -> (usize, usize) {
    // Minimum of 16 bytes: byte minima in 16-bit lanes, then `phminposuw`.
    let min16 = |x: __m128i| -> u32 {
        let m = _mm_min_epu8(x, _mm_srli_epi16::<8>(x));
        (_mm_cvtsi128_si32(_mm_minpos_epu16(m)) & 0xffff) as u32
    };
    let lo = _mm256_castsi256_si128(v);
    let hi = _mm256_extracti128_si256::<1>(v);
    let min = min16(_mm_min_epu8(lo, hi));
    // The maximum is 255 minus the minimum of the complements.
    let max = 255 - min16(_mm_xor_si128(_mm_max_epu8(lo, hi), _mm_set1_epi8(-1)));
    ((min >> 4) as usize, (max >> 4) as usize)
}

/// Looks up 32 indices entry by entry: eight entries inserted into each of four registers.
///
/// # Safety
/// AVX2; `src` valid for reading 32 bytes.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn block_insert(table: &[u32; 256], src: *const u8) -> [__m256i; 4] {
    let entry = |i: u8| table[usize::from(i)] as i32;
    std::array::from_fn(|k| {
        // SAFETY: src[8k..8k+8] lies inside the caller's 32 bytes.
        unsafe {
            let s = std::slice::from_raw_parts(src.add(8 * k), 8);
            let lo = _mm_cvtsi32_si128(entry(s[0]));
            let lo = _mm_insert_epi32::<1>(lo, entry(s[1]));
            let lo = _mm_insert_epi32::<2>(lo, entry(s[2]));
            let lo = _mm_insert_epi32::<3>(lo, entry(s[3]));
            let hi = _mm_cvtsi32_si128(entry(s[4]));
            let hi = _mm_insert_epi32::<1>(hi, entry(s[5]));
            let hi = _mm_insert_epi32::<2>(hi, entry(s[6]));
            let hi = _mm_insert_epi32::<3>(hi, entry(s[7]));
            _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(lo), hi)
        }
    })
}

/// 4-bit palette rows (`Row::PalBits` with 2 pixels a byte), 32 pixels an iteration: the
/// 16 entries' byte planes sit in four registers and one byte shuffle per plane looks up
/// 16 indices a lane; unpacks interleave the planes into pixels.
///
/// # Safety
/// The CPU must have AVX2.
pub(super) unsafe fn pal4(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::PalBits {
        per_byte: 2,
        expanded,
        palette,
        ..
    } = row
    else {
        unreachable!("listed only for 4-bit palette rows")
    };
    let (src, dst) = align_stores(row, src, dst);
    // SAFETY: the caller vouches for AVX2.
    let done = unsafe {
        if palette.fourth.is_some() {
            pal4_avx2::<true>(palette, src, dst)
        } else {
            pal4_avx2::<false>(palette, src, dst)
        }
    };
    scalar::pal_bits::<2>(expanded, &src[done / 2..], &mut dst[done * 4..]);
}

/// The 32-pixel blocks of [`pal4`]; returns the pixels written. One byte shuffle spreads
/// the 16 source bytes into the order [`split_lanes`] gives indices, and two masks take each
/// byte's nibbles (compiled: a broadcast, a shuffle and a shift a block, where splitting the
/// nibbles first took two inserts, two shuffles, an unpack and a shift): 4–7 % faster
/// in-process on the 1600×1200 fixture (Zen 3). With `FIXED4` (the palette has a `fourth`)
/// the fourth plane is that byte, not looked up.
#[target_feature(enable = "avx2")]
unsafe fn pal4_avx2<const FIXED4: bool>(palette: &Palette8, src: &[u8], dst: &mut [u8]) -> usize {
    let n = (src.len() / 16).min(dst.len() / 128);
    // SAFETY: each plane has 256 bytes; the loads read its first 16 (entries 0..16).
    let [tr, tg, tb, ta] = palette.planes.each_ref().map(|p| unsafe {
        _mm256_broadcastsi128_si256(_mm_loadu_si128(p.as_ptr() as *const __m128i))
    });
    let fixed = _mm256_set1_epi8(palette.fourth.unwrap_or(0) as i8);
    // Each source byte twice, in the order `split_lanes` gives pixels: lane 0 the bytes of
    // pixels 0-3, 8-11, 16-19, 24-27, lane 1 those of 4-7, 12-15, 20-23, 28-31.
    let spread = _mm256_setr_epi8(
        0, 0, 1, 1, 4, 4, 5, 5, 8, 8, 9, 9, 12, 12, 13, 13, //
        2, 2, 3, 3, 6, 6, 7, 7, 10, 10, 11, 11, 14, 14, 15, 15,
    );
    let (even, odd) = (_mm256_set1_epi16(0x000f), _mm256_set1_epi16(0x0f00));
    for i in 0..n {
        // SAFETY: block i reads src[16i..16i+16] and writes dst[128i..128i+128]; i < n keeps
        // both inside the slices.
        unsafe {
            let v = _mm_loadu_si128(src.as_ptr().add(i * 16) as *const __m128i);
            let w = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(v), spread);
            // Pixel order: the high nibble of each byte first (a word's low byte), then the
            // low nibble (its high byte).
            let idx = _mm256_or_si256(
                _mm256_and_si256(_mm256_srli_epi16::<4>(w), even),
                _mm256_and_si256(w, odd),
            );
            let [r, g, b] = [tr, tg, tb].map(|t| _mm256_shuffle_epi8(t, idx));
            let a = if FIXED4 {
                fixed
            } else {
                _mm256_shuffle_epi8(ta, idx)
            };
            store::<4>(interleave4(r, g, b, a), dst.as_mut_ptr().add(i * 128));
        }
    }
    n * 32
}

/// 1-bit palette rows (`Row::PalBits` with 8 pixels a byte), 8 pixels a source byte: the
/// byte's bits become a lane mask that picks entry 0 or 1 for each 32-bit pixel.
///
/// # Safety
/// The CPU must have AVX2.
pub(super) unsafe fn pal1(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::PalBits {
        per_byte: 8,
        expanded,
        palette,
        ..
    } = row
    else {
        unreachable!("listed only for 1-bit palette rows")
    };
    // SAFETY: the caller vouches for AVX2.
    let done = unsafe { pal1_avx2(&palette.table, src, dst) };
    scalar::pal_bits::<8>(expanded, &src[done / 8..], &mut dst[done * 4..]);
}

/// The source bytes of [`pal1`], four at a time; returns the pixels written. Each byte is
/// shuffled into the top byte of eight dwords and shifted left by the pixel's place, so that
/// the pixel's bit is the dword's sign bit, which picks entry 0 or 1 (`blendv`): four
/// vector operations a store where a broadcast from a general register, a mask and a compare
/// took six (measured in-process, interleaved: 1600×1200 frame 373–394 → 256–283 µs).
#[target_feature(enable = "avx2")]
unsafe fn pal1_avx2(table: &[u32; 256], src: &[u8], dst: &mut [u8]) -> usize {
    let n = src.len().min(dst.len() / 32) / 4;
    let zero = _mm256_castsi256_ps(_mm256_set1_epi32(table[0] as i32));
    let one = _mm256_castsi256_ps(_mm256_set1_epi32(table[1] as i32));
    // Pixel k of a byte is bit 7 - k: shifted left by k it is bit 31.
    let place = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    // Byte k of the four into byte 3 of every dword, the other bytes zero.
    let top = |k: i8| {
        let (z, b) = (-1, k);
        _mm256_setr_epi8(
            z, z, z, b, z, z, z, b, z, z, z, b, z, z, z, b, //
            z, z, z, b, z, z, z, b, z, z, z, b, z, z, z, b,
        )
    };
    let tops = [top(0), top(1), top(2), top(3)];
    for i in 0..n {
        // SAFETY: group i reads src[4i..4i+4] and writes dst[128i..128i+128]; i < n keeps
        // both inside the slices (n counts whole groups of four bytes of the shorter one).
        unsafe {
            let four = src.as_ptr().add(4 * i).cast::<i32>().read_unaligned();
            let v = _mm256_set1_epi32(four);
            for (k, t) in tops.iter().enumerate() {
                let bits = _mm256_sllv_epi32(_mm256_shuffle_epi8(v, *t), place);
                let px = _mm256_blendv_ps(zero, one, _mm256_castsi256_ps(bits));
                _mm256_storeu_ps(dst.as_mut_ptr().add(128 * i + 32 * k).cast(), px);
            }
        }
    }
    n * 32
}

/// 4-bit palette rows (`Row::PalBits` with 2 pixels a byte) straight into 3-byte pixels,
/// 32 pixels an iteration: [`pal4`]'s plane lookups (red, green, blue), then each lane's 16
/// pixels interleaved to 48 bytes by three byte shuffles per 16 output bytes, three 32-byte
/// stores.
///
/// # Safety
/// The CPU must have AVX2.
pub(super) unsafe fn pal4_to3(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::PalBits {
        per_byte: 2,
        expanded3,
        palette,
        ..
    } = row
    else {
        unreachable!("listed only for 4-bit palette rows")
    };
    // SAFETY: the caller vouches for AVX2.
    let done = unsafe { pal4_to3_avx2(&palette.planes, src, dst) };
    scalar::bits_to3::<2, { stride3(2) }>(expanded3, &src[done / 2..], &mut dst[done * 3..]);
}

/// For output bytes `16 j..16 j + 16` of a lane's 48 (16 pixels of 3 bytes), the lane's
/// pixel whose channel `c` each byte is, or -1 (a zero from the shuffle) for the other
/// channels' bytes; both lanes alike.
const fn rgb_interleave(j: usize, c: usize) -> [i8; 32] {
    let mut m = [-1i8; 32];
    let mut k = 0;
    while k < 32 {
        let o = 16 * j + k % 16;
        if o % 3 == c {
            m[k] = (o / 3) as i8;
        }
        k += 1;
    }
    m
}

/// [`rgb_interleave`] for each 16-byte output chunk `j` and channel `c`: `[j][c]`.
const RGB_INTERLEAVE: [[[i8; 32]; 3]; 3] = {
    let mut m = [[[0i8; 32]; 3]; 3];
    let mut j = 0;
    while j < 3 {
        let mut c = 0;
        while c < 3 {
            m[j][c] = rgb_interleave(j, c);
            c += 1;
        }
        j += 1;
    }
    m
};

/// The 32-pixel blocks of [`pal4_to3`]; returns the pixels written.
#[target_feature(enable = "avx2")]
unsafe fn pal4_to3_avx2(planes: &[[u8; 256]; 4], src: &[u8], dst: &mut [u8]) -> usize {
    let n = (src.len() / 16).min(dst.len() / 96);
    // SAFETY: each plane has 256 bytes; the loads read its first 16 (entries 0..16).
    let [tr, tg, tb] = [0, 1, 2].map(|c| unsafe {
        _mm256_broadcastsi128_si256(_mm_loadu_si128(planes[c].as_ptr() as *const __m128i))
    });
    let masks = rgb_masks();
    let low = _mm_set1_epi8(0x0f);
    for i in 0..n {
        // SAFETY: block i reads src[16i..16i+16] and writes dst[96i..96i+96]; i < n keeps
        // both inside the slices.
        unsafe {
            let v = _mm_loadu_si128(src.as_ptr().add(i * 16) as *const __m128i);
            let hi = _mm_and_si128(_mm_srli_epi16::<4>(v), low);
            let lo = _mm_and_si128(v, low);
            let idx = _mm256_set_m128i(_mm_unpackhi_epi8(hi, lo), _mm_unpacklo_epi8(hi, lo));
            let [r, g, b] = [tr, tg, tb].map(|t| _mm256_shuffle_epi8(t, idx));
            store_rgb24(&masks, r, g, b, dst.as_mut_ptr().add(i * 96));
        }
    }
    n * 32
}

/// [`RGB_INTERLEAVE`] in registers.
#[target_feature(enable = "avx2")]
#[inline]
fn rgb_masks() -> [[__m256i; 3]; 3] {
    // SAFETY: each mask is 32 bytes.
    RGB_INTERLEAVE
        .map(|chunk| chunk.map(|m| unsafe { _mm256_loadu_si256(m.as_ptr() as *const __m256i) }))
}

/// Interleaves three planes of 32 pixels each (one byte a pixel, lane 0 = pixels 0-15,
/// lane 1 = pixels 16-31) into 96 bytes of 3-byte pixels at `out`: three byte shuffles per
/// 16 output bytes of each lane, then three 32-byte stores.
///
/// # Safety
/// `out` must be valid for writing 96 bytes; `masks` from [`rgb_masks`].
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn store_rgb24(masks: &[[__m256i; 3]; 3], r: __m256i, g: __m256i, b: __m256i, out: *mut u8) {
    // x[j]: output bytes 16j..16j+16 of each lane's 48.
    let [x0, x1, x2] = masks.map(|[mr, mg, mb]| {
        _mm256_or_si256(
            _mm256_or_si256(_mm256_shuffle_epi8(r, mr), _mm256_shuffle_epi8(g, mg)),
            _mm256_shuffle_epi8(b, mb),
        )
    });
    // SAFETY: the three stores cover out[0..96], which the caller vouches for.
    unsafe {
        let o = out as *mut __m256i;
        _mm256_storeu_si256(o, _mm256_permute2x128_si256::<0x20>(x0, x1));
        _mm256_storeu_si256(o.add(1), _mm256_permute2x128_si256::<0x30>(x2, x0));
        _mm256_storeu_si256(o.add(2), _mm256_permute2x128_si256::<0x31>(x1, x2));
    }
}

/// 32-bit rows (`Row::Bgra32`) straight into 3-byte pixels (RGB or BGR), 32 pixels an
/// iteration: each 8-pixel register shuffled in its lanes to 12 bytes a lane (red and blue
/// swapped for RGB), compacted to 24 bytes and rotated by one cross-lane permute, the four
/// blended into three 32-byte stores. Measured (Zen 3, rgb32_1600, a scratch harness
/// interleaving the kernels): 0.65-0.86× the 4-byte kernel, against 1.0-1.14× for that
/// kernel and the pack through a scratch buffer and 0.70-0.97× for one overlapping 32-byte
/// store each 8 pixels.
///
/// # Safety
/// The CPU must have AVX2.
pub(super) unsafe fn bgra32_to3(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Bgra32 { blue_first, .. } = row else {
        unreachable!("listed only for Row::Bgra32")
    };
    // SAFETY: the caller vouches for AVX2.
    let done = unsafe { bgra32_to3_avx2(*blue_first, src, dst) };
    scalar::bgra32_to3(row, &src[done * 4..], &mut dst[done * 3..]);
}

/// The 32-pixel blocks of [`bgra32_to3`]; returns the pixels written.
#[target_feature(enable = "avx2")]
unsafe fn bgra32_to3_avx2(blue_first: bool, src: &[u8], dst: &mut [u8]) -> usize {
    let n = (src.len() / 128).min(dst.len() / 96);
    let shuffle = if blue_first {
        _mm256_setr_epi8(
            0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, //
            0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
        )
    } else {
        _mm256_setr_epi8(
            2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, //
            2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
        )
    };
    for i in 0..n {
        // SAFETY: block i reads src[128i..128i+128] and writes dst[96i..96i+96]; i < n keeps
        // both inside the slices.
        unsafe {
            let s = src.as_ptr().add(128 * i) as *const __m256i;
            let px = [
                _mm256_loadu_si256(s),
                _mm256_loadu_si256(s.add(1)),
                _mm256_loadu_si256(s.add(2)),
                _mm256_loadu_si256(s.add(3)),
            ];
            store_packed3(shuffle, px, dst.as_mut_ptr().add(96 * i));
        }
    }
    n * 32
}

/// Stores 32 pixels of 4 bytes (four registers of 8, in order) at `out` as 96 bytes of
/// 3-byte pixels: `shuffle` leaves each lane's 12 bytes (of its 4 pixels) in its first 12,
/// one cross-lane permute a register joins its 24 bytes and rotates them to where the
/// stores want them, and blends make three 32-byte stores.
///
/// # Safety
/// AVX2; `out` valid for writing 96 bytes.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn store_packed3(shuffle: __m256i, px: [__m256i; 4], out: *mut u8) {
    // Register k's dword 0 at dword 6k mod 8 (its 24 bytes are dwords 0-2 and 4-6 after
    // the shuffle).
    let join = [
        _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7),
        _mm256_setr_epi32(2, 4, 5, 6, 3, 7, 0, 1),
        _mm256_setr_epi32(5, 6, 3, 7, 0, 1, 2, 4),
        _mm256_setr_epi32(3, 7, 0, 1, 2, 4, 5, 6),
    ];
    let a = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(px[0], shuffle), join[0]);
    let b = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(px[1], shuffle), join[1]);
    let c = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(px[2], shuffle), join[2]);
    let d = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(px[3], shuffle), join[3]);
    // In dwords: a0-a5 b0 b1 | b2-b5 c0-c3 | c4 c5 d0-d5.
    // SAFETY: the three stores cover out[0..96], which the caller vouches for.
    unsafe {
        let o = out as *mut __m256i;
        _mm256_storeu_si256(o, _mm256_blend_epi32::<0b1100_0000>(a, b));
        _mm256_storeu_si256(o.add(1), _mm256_blend_epi32::<0b1111_0000>(b, c));
        _mm256_storeu_si256(o.add(2), _mm256_blend_epi32::<0b1111_1100>(c, d));
    }
}

/// 24-bit rows (`Row::Bgr24`) into RGB (red and blue swapped; BGR is a row copy), 32
/// pixels a block, within 128-bit lanes only: output byte `p` is source byte `p - 2`, `p`
/// or `p + 2`, so each 16 output bytes are two byte shuffles of the source loaded 2 bytes
/// before and 2 bytes after them, OR-ed ([`SWAP24`]). Pixel 0 is swapped by the scalar
/// kernel so that the first load starts inside the row. Measured (Zen 3, rgb24_1600, a
/// scratch harness interleaving the kernels): 0.63-0.69× the 4-byte kernel, against
/// 0.88-0.96× for that kernel and the pack.
///
/// # Safety
/// The CPU must have AVX2.
pub(super) unsafe fn bgr24_to3(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Bgr24 { blue_first } = row else {
        unreachable!("listed only for Row::Bgr24")
    };
    if *blue_first {
        return scalar::bgr24_to3(true, src, dst);
    }
    let pixels = (src.len() / 3).min(dst.len() / 3);
    let head = pixels.min(1);
    scalar::bgr24_to3(false, &src[..3 * head], &mut dst[..3 * head]);
    // SAFETY: the caller vouches for AVX2.
    let done = head + unsafe { swap24_avx2(src, &mut dst[..3 * pixels], 3 * head) };
    scalar::bgr24_to3(false, &src[3 * done..], &mut dst[3 * done..3 * pixels]);
}

/// For output bytes `32 k..32 k + 32` of a 96-byte block (32 pixels of 3 bytes, the block
/// starting on a pixel), the two byte shuffles of [`bgr24_to3`]: `[k][0]` picks from the
/// source loaded 2 bytes before them, `[k][1]` from the source loaded 2 bytes after, -1
/// (zero) where the other one picks.
const SWAP24: [[[i8; 32]; 2]; 3] = {
    let mut m = [[[-1i8; 32]; 2]; 3];
    let mut k = 0;
    while k < 3 {
        let mut i = 0;
        while i < 32 {
            // Channel c of its pixel takes the source's channel 2 - c, 2 - 2c bytes away;
            // `at` is that byte in the load 2 bytes before (its lane's 16 bytes).
            let c = (32 * k + i) % 3;
            let at = i % 16 + 4 - 2 * c;
            if at < 16 {
                m[k][0][i] = at as i8;
            } else {
                m[k][1][i] = (at - 4) as i8;
            }
            i += 1;
        }
        k += 1;
    }
    m
};

/// The 32-pixel blocks of [`bgr24_to3`] from byte `from` (`from >= 2`, on a pixel) of the
/// row; returns the pixels written.
#[target_feature(enable = "avx2")]
unsafe fn swap24_avx2(src: &[u8], dst: &mut [u8], from: usize) -> usize {
    debug_assert!(from >= 2 || dst.len() <= from);
    let len = src.len().min(dst.len());
    // A block reads from 2 bytes before it to 2 bytes after it.
    let n = len.saturating_sub(from + 2) / 96;
    // SAFETY: each mask is 32 bytes.
    let masks =
        SWAP24.map(|k| k.map(|m| unsafe { _mm256_loadu_si256(m.as_ptr() as *const __m256i) }));
    for b in 0..n {
        for (k, [before, after]) in masks.iter().enumerate() {
            let at = from + 96 * b + 32 * k;
            // SAFETY: block b reads src[at - 2..at + 34] for each k (at >= from >= 2, and
            // the last at + 34 = from + 96b + 98 <= from + 96n + 2 <= len), and writes
            // dst[at..at + 32], inside `dst` as well.
            unsafe {
                let x = _mm256_loadu_si256(src.as_ptr().add(at - 2) as *const __m256i);
                let y = _mm256_loadu_si256(src.as_ptr().add(at + 2) as *const __m256i);
                let v = _mm256_or_si256(
                    _mm256_shuffle_epi8(x, *before),
                    _mm256_shuffle_epi8(y, *after),
                );
                _mm256_storeu_si256(dst.as_mut_ptr().add(at) as *mut __m256i, v);
            }
        }
    }
    n * 32
}

/// 1-bit palette rows (`Row::PalBits` with 8 pixels a byte) straight into 3-byte pixels,
/// 32 pixels (four source bytes) an iteration, selected in packed form: each output byte
/// takes its pixel's source byte (a byte shuffle), tests the pixel's bit, and picks that
/// byte of entry 0 or entry 1 repeated as 3-byte pixels ([`PAL1_TO3`]); the tail goes
/// through [`scalar::bits_to3`].
///
/// # Safety
/// The CPU must have AVX2.
pub(super) unsafe fn pal1_to3(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::PalBits {
        per_byte: 8,
        expanded3,
        palette,
        ..
    } = row
    else {
        unreachable!("listed only for 1-bit palette rows")
    };
    // SAFETY: the caller vouches for AVX2.
    let done = unsafe { pal1_to3_avx2(&palette.table, src, dst) };
    scalar::bits_to3::<8, { stride3(8) }>(expanded3, &src[done / 8..], &mut dst[done * 3..]);
}

/// For each of the three 32-byte stores of 32 three-byte pixels (byte `o` of the 96 belongs
/// to pixel `o / 3`, channel `o % 3`): the pixel's source byte among four, its bit in that
/// byte (high bit first), and the channel.
const PAL1_TO3: [[[i8; 32]; 3]; 3] = {
    let mut t = [[[0i8; 32]; 3]; 3];
    let mut j = 0;
    while j < 3 {
        let mut b = 0;
        while b < 32 {
            let o = 32 * j + b;
            let p = o / 3;
            t[j][0][b] = (p / 8) as i8;
            t[j][1][b] = (0x80u8 >> (p % 8)) as i8;
            t[j][2][b] = (o % 3) as i8;
            b += 1;
        }
        j += 1;
    }
    t
};

/// The 32-pixel groups of [`pal1_to3`]; returns the pixels written.
#[target_feature(enable = "avx2")]
unsafe fn pal1_to3_avx2(table: &[u32; 256], src: &[u8], dst: &mut [u8]) -> usize {
    let n = (src.len() / 4).min(dst.len() / 96);
    let load = |a: &[i8; 32]| {
        // SAFETY: reads the 32 bytes of `a`.
        unsafe { _mm256_loadu_si256(a.as_ptr().cast()) }
    };
    let [c0, c1] = [table[0], table[1]].map(|c| _mm256_set1_epi32(c as i32));
    // Per store: which source byte, which bit, entry 0's and entry 1's bytes.
    let stores = PAL1_TO3.map(|[byte, bit, channel]| {
        let channel = load(&channel);
        (
            load(&byte),
            load(&bit),
            _mm256_shuffle_epi8(c0, channel),
            _mm256_shuffle_epi8(c1, channel),
        )
    });
    for i in 0..n {
        // SAFETY: group i reads src[4i..4i+4] and writes dst[96i..96i+96]; i < n keeps both
        // inside the slices.
        unsafe {
            let v = _mm256_set1_epi32(src.as_ptr().add(4 * i).cast::<i32>().read_unaligned());
            for (k, (byte, bit, zero, one)) in stores.iter().enumerate() {
                let set =
                    _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(v, *byte), *bit), *bit);
                let px = _mm256_blendv_epi8(*zero, *one, set);
                _mm256_storeu_si256(dst.as_mut_ptr().add(96 * i + 32 * k).cast(), px);
            }
        }
    }
    n * 32
}

/// 32 indices (one byte a pixel, in order) with dwords 0, 2, 4, 6 moved to lane 0 and 1, 3,
/// 5, 7 to lane 1, so that the planes looked up from them come out of [`interleave4`] as
/// four registers of 8 pixels in order: one lane-crossing permute a block instead of four
/// after the unpacks.
#[target_feature(enable = "avx2")]
#[inline]
fn split_lanes(idx: __m256i) -> __m256i {
    _mm256_permutevar8x32_epi32(idx, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7))
}

/// Four byte planes interleaved into 4-byte pixels within each 128-bit lane: from lane
/// bytes 0-3, 4-7, 8-11 and 12-15 of the planes, in that order.
#[target_feature(enable = "avx2")]
#[inline]
fn interleave4(r: __m256i, g: __m256i, b: __m256i, a: __m256i) -> [__m256i; 4] {
    let (rg_lo, rg_hi) = (_mm256_unpacklo_epi8(r, g), _mm256_unpackhi_epi8(r, g));
    let (ba_lo, ba_hi) = (_mm256_unpacklo_epi8(b, a), _mm256_unpackhi_epi8(b, a));
    [
        _mm256_unpacklo_epi16(rg_lo, ba_lo),
        _mm256_unpackhi_epi16(rg_lo, ba_lo),
        _mm256_unpacklo_epi16(rg_hi, ba_hi),
        _mm256_unpackhi_epi16(rg_hi, ba_hi),
    ]
}

/// 4-byte pixels packed to 3 bytes (the fourth byte dropped), 8 pixels an iteration: a
/// shuffle gathers 12 bytes in each 128-bit lane, a cross-lane permute joins them into 24,
/// and a 32-byte store writes them (its last 8 bytes are overwritten by the next store, so
/// the loop stops while 32 bytes of `dst` remain; the scalar kernel packs the tail).
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn pack3(src: &[u8], dst: &mut [u8]) {
    let pixels = (src.len() / 4).min(dst.len() / 3);
    let mut n = pixels / 8;
    while n > 0 && (n - 1) * 24 + 32 > dst.len() {
        n -= 1;
    }
    let shuffle = _mm256_setr_epi8(
        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, //
        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
    );
    let join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
    for i in 0..n {
        // SAFETY: block i reads src[32i..32i+32] (i < n <= pixels / 8) and writes
        // dst[24i..24i+32], inside `dst` by the choice of n.
        unsafe {
            let v = _mm256_loadu_si256(src.as_ptr().add(i * 32) as *const __m256i);
            let packed = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, shuffle), join);
            _mm256_storeu_si256(dst.as_mut_ptr().add(i * 24) as *mut __m256i, packed);
        }
    }
    scalar::pack3(&src[n * 32..], &mut dst[n * 24..]);
}

/// Decodes the first few pixels of a row with the scalar kernel so that the rest of `dst`
/// starts on a 32-byte boundary for the 32-byte stores, and returns the rest (both unchanged
/// where no whole number of source bytes gets there). A large `Vec` from malloc starts 16
/// bytes past a page, so without this every other store straddles two cache lines: measured
/// here on 32-bit rows, 1.13–1.68× the floor unaligned against 0.93–1.23× aligned (same
/// runs).
fn align_stores<'s, 'd>(row: &Row, src: &'s [u8], dst: &'d mut [u8]) -> (&'s [u8], &'d mut [u8]) {
    let bits = row.bits_per_pixel();
    let pixels = (src.len() * 8 / bits).min(dst.len() / 4);
    let mut head = (dst.as_ptr().align_offset(32) / 4).min(pixels);
    if !(head * bits).is_multiple_of(8) {
        head = 0;
    }
    let (src_head, src) = src.split_at(head * bits / 8);
    let (dst_head, dst) = dst.split_at_mut(head * 4);
    scalar::decode_row(row, src_head, dst_head);
    (src, dst)
}

/// Number of whole 8-pixel blocks in a row of `pixels`.
fn blocks(pixels: usize) -> usize {
    pixels / 8
}

/// 16-bit pixels: one gather from the 65,536-entry table per 8 pixels.
#[target_feature(enable = "avx2")]
unsafe fn table16_avx2(table: &[u32], src: &[u8], dst: &mut [u8]) {
    assert_eq!(
        table.len(),
        1 << 16,
        "16-bit tables cover every pixel value"
    );
    let n = blocks((src.len() / 2).min(dst.len() / 4));
    for i in 0..n {
        // SAFETY: block i reads src[16i..16i+16] and writes dst[32i..32i+32], in bounds as
        // i < n; indices are u16 values and the table has 65,536 entries (asserted above).
        unsafe {
            let v = _mm_loadu_si128(src.as_ptr().add(i * 16) as *const __m128i);
            let px =
                _mm256_i32gather_epi32::<4>(table.as_ptr() as *const i32, _mm256_cvtepu16_epi32(v));
            _mm256_storeu_si256(dst.as_mut_ptr().add(i * 32) as *mut __m256i, px);
        }
    }
    scalar::table16(table, &src[n * 16..], &mut dst[n * 32..]);
}

/// One channel's [`Scale16`] parameters as vectors, built once per row.
#[derive(Clone, Copy)]
struct Lanes16 {
    shift: __m128i,
    max: __m256i,
    mul: __m256i,
    add: __m256i,
    post: __m128i,
}

impl Lanes16 {
    #[target_feature(enable = "avx2")]
    fn new(c: &Scale16) -> Self {
        Lanes16 {
            shift: _mm_cvtsi32_si128(i32::from(c.shift)),
            max: _mm256_set1_epi16(c.max as i16),
            mul: _mm256_set1_epi16(c.mul as i16),
            add: _mm256_set1_epi16(c.add as i16),
            post: _mm_cvtsi32_si128(i32::from(c.post)),
        }
    }

    /// This channel of 16 pixels, scaled, one value per 16-bit lane (no lane overflows:
    /// `Scale16` checked `max * mul + add <= 0xffff`).
    #[target_feature(enable = "avx2")]
    #[inline]
    fn scale(&self, px: __m256i) -> __m256i {
        let v = _mm256_and_si256(_mm256_srl_epi16(px, self.shift), self.max);
        let x = _mm256_add_epi16(_mm256_mullo_epi16(v, self.mul), self.add);
        _mm256_srl_epi16(x, self.post)
    }
}

/// 16-bit pixels with channels of at most 8 bits: shifts, masks and a multiply per channel,
/// 16 pixels an iteration, no table; with `FIXED4` (no alpha mask) the fourth byte is the
/// channel's constant, not computed. The load's 64-bit quarters are reordered first so that
/// the two unpacks give pixels 0-7 and 8-15 in order. Returns the pixels written; the caller
/// decodes the tail with the scalar kernel. Measured here (Zen 3, 5-6-5 frame, in-process
/// interleaved): both changes 4–6% faster; fewer instructions buy little more (a 5-6-5-only
/// version with immediate shifts: 4%), as the frame's time goes to memory, not arithmetic.
#[target_feature(enable = "avx2")]
unsafe fn bits16_avx2<const FIXED4: bool>(ch: &[Scale16; 4], src: &[u8], dst: &mut [u8]) -> usize {
    let n = (src.len() / 2).min(dst.len() / 4) / 16;
    let lanes = [
        Lanes16::new(&ch[0]),
        Lanes16::new(&ch[1]),
        Lanes16::new(&ch[2]),
        Lanes16::new(&ch[3]),
    ];
    let fixed = _mm256_set1_epi16(((ch[3].add >> ch[3].post) << 8) as i16);
    for i in 0..n {
        // SAFETY: block i reads src[32i..32i+32] and writes dst[64i..64i+64]; i < n keeps
        // both inside the slices (n counts whole 16-pixel blocks of the shorter one).
        unsafe {
            let px = _mm256_loadu_si256(src.as_ptr().add(i * 32) as *const __m256i);
            let px = _mm256_permute4x64_epi64::<0b11_01_10_00>(px);
            let (r, g, b) = (lanes[0].scale(px), lanes[1].scale(px), lanes[2].scale(px));
            let rg = _mm256_or_si256(r, _mm256_slli_epi16::<8>(g));
            let ba = if FIXED4 {
                _mm256_or_si256(b, fixed)
            } else {
                _mm256_or_si256(b, _mm256_slli_epi16::<8>(lanes[3].scale(px)))
            };
            let out = dst.as_mut_ptr().add(i * 64);
            _mm256_storeu_si256(out as *mut __m256i, _mm256_unpacklo_epi16(rg, ba));
            _mm256_storeu_si256(out.add(32) as *mut __m256i, _mm256_unpackhi_epi16(rg, ba));
        }
    }
    n * 16
}

/// The 32-pixel blocks of [`bits16_to3`]: [`bits16_avx2`]'s arithmetic for red, green
/// and blue on 16 pixels a load (its 64-bit quarters reordered first, so that the two
/// unpacks give pixels 0-7 and 8-15 in order), and the four registers of 8 pixels stored
/// as 96 bytes by [`store_packed3`]; returns the pixels written.
#[target_feature(enable = "avx2")]
unsafe fn bits16_to3_avx2(ch: &[Scale16; 4], src: &[u8], dst: &mut [u8]) -> usize {
    let n = (src.len() / 64).min(dst.len() / 96);
    let lanes = [
        Lanes16::new(&ch[0]),
        Lanes16::new(&ch[1]),
        Lanes16::new(&ch[2]),
    ];
    let shuffle = _mm256_setr_epi8(
        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, //
        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
    );
    // 16 pixels as two registers of 8 4-byte pixels (the fourth byte zero), in order.
    let pixels = |px: __m256i| {
        let px = _mm256_permute4x64_epi64::<0b11_01_10_00>(px);
        let (r, g, b) = (lanes[0].scale(px), lanes[1].scale(px), lanes[2].scale(px));
        let rg = _mm256_or_si256(r, _mm256_slli_epi16::<8>(g));
        (_mm256_unpacklo_epi16(rg, b), _mm256_unpackhi_epi16(rg, b))
    };
    for i in 0..n {
        // SAFETY: block i reads src[64i..64i+64] and writes dst[96i..96i+96]; i < n keeps
        // both inside the slices.
        unsafe {
            let s = src.as_ptr().add(64 * i) as *const __m256i;
            let (a, b) = pixels(_mm256_loadu_si256(s));
            let (c, d) = pixels(_mm256_loadu_si256(s.add(1)));
            store_packed3(shuffle, [a, b, c, d], dst.as_mut_ptr().add(96 * i));
        }
    }
    n * 32
}

/// B, G, R → R, G, B, 255 (or B, G, R, 255): two 12-byte groups per 256-bit shuffle, 8
/// pixels an iteration.
#[target_feature(enable = "avx2")]
unsafe fn bgr24_avx2(blue_first: bool, src: &[u8], dst: &mut [u8]) {
    let pixels = (src.len() / 3).min(dst.len() / 4);
    // The second 16-byte load of a block starts at byte 12 and reads up to byte 28 of the
    // block's 24, so a block needs 4 bytes beyond itself: stop one block early if short.
    let mut n = blocks(pixels);
    while n > 0 && n * 24 + 4 > src.len() {
        n -= 1;
    }
    let shuffle = if blue_first {
        _mm256_setr_epi8(
            0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1, //
            0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1,
        )
    } else {
        _mm256_setr_epi8(
            2, 1, 0, -1, 5, 4, 3, -1, 8, 7, 6, -1, 11, 10, 9, -1, //
            2, 1, 0, -1, 5, 4, 3, -1, 8, 7, 6, -1, 11, 10, 9, -1,
        )
    };
    let alpha = _mm256_set1_epi32(0xff00_0000u32 as i32);
    for i in 0..n {
        // SAFETY: the loads read src[24i..24i+16] and src[24i+12..24i+28]; 24i+28 <= 24n+4
        // <= src.len() by the choice of n. The store writes dst[32i..32i+32] <= 4 * pixels.
        unsafe {
            let p = src.as_ptr().add(i * 24);
            let lo = _mm_loadu_si128(p as *const __m128i);
            let hi = _mm_loadu_si128(p.add(12) as *const __m128i);
            let v = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(lo), hi);
            let px = _mm256_or_si256(_mm256_shuffle_epi8(v, shuffle), alpha);
            _mm256_storeu_si256(dst.as_mut_ptr().add(i * 32) as *mut __m256i, px);
        }
    }
    scalar::bgr24(blue_first, &src[n * 24..], &mut dst[n * 32..]);
}

/// B, G, R, X → R, G, B, X (or B, G, R, X), X or 255: one 256-bit shuffle per 8 pixels.
#[target_feature(enable = "avx2")]
unsafe fn bgra32_avx2(keep_alpha: bool, blue_first: bool, src: &[u8], dst: &mut [u8]) {
    let n = blocks((src.len() / 4).min(dst.len() / 4));
    let shuffle = if blue_first {
        _mm256_setr_epi8(
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, //
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        )
    } else {
        _mm256_setr_epi8(
            2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15, //
            2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15,
        )
    };
    let alpha = _mm256_set1_epi32(if keep_alpha { 0 } else { 0xff00_0000u32 as i32 });
    for i in 0..n {
        // SAFETY: block i reads src[32i..32i+32] and writes dst[32i..32i+32]; i < n keeps
        // both within the shorter of the two slices.
        unsafe {
            let v = _mm256_loadu_si256(src.as_ptr().add(i * 32) as *const __m256i);
            let px = _mm256_or_si256(_mm256_shuffle_epi8(v, shuffle), alpha);
            _mm256_storeu_si256(dst.as_mut_ptr().add(i * 32) as *mut __m256i, px);
        }
    }
    scalar::bgra32(keep_alpha, blue_first, &src[n * 32..], &mut dst[n * 32..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `pal8_to3` equals `pal8` with each pixel's fourth byte dropped, on rows that take the
    /// chunk paths, the insert path and both, at every width up to 200 and from any offset.
    #[test]
    fn pal8_to3_is_pal8_packed() {
        if !is_x86_feature_detected!("avx2") {
            crate::test_util::skipped("no AVX2 on this CPU");
            return;
        }
        let table: [u32; 256] = std::array::from_fn(|i| (i as u32).wrapping_mul(0x9e37_79b9));
        let row = Row::Pal8(Palette8::new(table));
        let mut seed = 7u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        };
        let rows: [Vec<u8>; 3] = [
            (0..240).map(|_| next() % 24).collect(),
            (0..240).map(|_| next()).collect(),
            (0..240)
                .map(|i| if i < 120 { next() % 16 } else { next() })
                .collect(),
        ];
        for src in &rows {
            for offset in [0, 1, 5] {
                for width in 0..200 {
                    let s = &src[offset..offset + width];
                    let mut four = vec![0u8; width * 4];
                    // SAFETY: AVX2 checked above.
                    unsafe { pal8(&row, s, &mut four) };
                    let want: Vec<u8> = four.chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
                    let mut three = vec![0xa5u8; width * 3];
                    // SAFETY: as above.
                    unsafe { pal8_to3(&row, s, &mut three) };
                    assert!(three == want, "width {width} offset {offset}");
                }
            }
        }
    }
}
