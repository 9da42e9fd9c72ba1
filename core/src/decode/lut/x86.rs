//! x86-64 row kernels (SSSE3 byte shuffles, AVX2 gathers and arithmetic, AVX-512 VBMI byte
//! permutes), chosen at run time.
//!
//! Each kernel handles whole blocks and leaves the tail to the scalar kernel, so the scalar
//! code stays the single definition of what a pixel becomes.

use std::arch::x86_64::*;

use super::{scalar, Kernels, Palette8, Row, Scale16};

/// Runs the `kernels` kernel for `row` if there is one; returns false to fall back to scalar.
pub(super) fn decode_row(kernels: Kernels, row: &Row, src: &[u8], dst: &mut [u8]) -> bool {
    debug_assert!(kernels.supported());
    let (src, dst) = align_stores(row, src, dst);
    // SAFETY: `kernels` is never above `Kernels::detect()` or a level `Lut::with_kernels`
    // checked with `Kernels::supported`, both of which ask `is_x86_feature_detected!` for
    // every target feature the kernels below enable (AVX2 and SSSE3; AVX-512 F, BW and VBMI).
    unsafe {
        match row {
            Row::Pal8(palette) if kernels >= Kernels::Avx512Vbmi => pal8_vbmi(palette, src, dst),
            Row::PalBits {
                per_byte: 2,
                expanded,
                palette,
            } if kernels >= Kernels::Avx512Vbmi => pal4_vbmi(palette, expanded, src, dst),
            Row::PalBits {
                per_byte: 8,
                expanded,
                palette,
            } if kernels >= Kernels::Avx512Vbmi => pal1_avx512(palette, expanded, src, dst),
            Row::Table16(table) => table16(table, src, dst),
            Row::Bits16 { channels, .. } => bits16(channels, src, dst),
            Row::Bgr24 => bgr24(src, dst),
            Row::Bgra32 { alpha } => bgra32(*alpha, src, dst),
            // Measured here (AMD EPYC, AVX2): an 8-lane gather per 8 indices is slower than the
            // scalar loop, which is bound by the same load ports, so without AVX-512 palettes
            // stay scalar (and 2-bit ones always do: rare, and fast enough by table).
            Row::Pal8(_) | Row::PalBits { .. } | Row::Masks32(_) => return false,
        }
    }
    true
}

/// A palette's byte planes in registers, for looking up 64 indices at a time: each plane sits
/// in four 64-byte registers, and two `vpermi2b` (the low and high 128 entries, by the low 7
/// bits of each index) plus a blend on bit 7 give 64 bytes of one channel. Interleaving R, G,
/// B, A with byte and word unpacks works within 128-bit lanes, so the indices are first
/// permuted (`order`) so that the unpacked lanes come out in pixel order.
struct Planes {
    planes: [[__m512i; 4]; 4],
    order: __m512i,
}

impl Planes {
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    fn new(palette: &Palette8) -> Self {
        // SAFETY: each plane is 256 bytes, so loads at 0, 64, 128 and 192 stay inside it.
        let quarters = |p: &[u8; 256]| unsafe {
            [0, 64, 128, 192].map(|q| _mm512_loadu_si512(p.as_ptr().add(q) as *const _))
        };
        Planes {
            planes: palette.planes.each_ref().map(quarters),
            // SAFETY: `ORDER` is 64 bytes.
            order: unsafe { _mm512_loadu_si512(Self::ORDER.as_ptr() as *const _) },
        }
    }

    /// After the unpacks, output register k, lane j holds the pixels at permuted positions
    /// 16j + 4k .. +4: so position 16j + 4k + i must hold index 16k + 4j + i.
    const ORDER: [u8; 64] = {
        let mut order = [0u8; 64];
        let mut pos = 0;
        while pos < 64 {
            let (j, k, i) = (pos / 16, pos / 4 % 4, pos % 4);
            order[pos] = (16 * k + 4 * j + i) as u8;
            pos += 1;
        }
        order
    };

    /// Looks up the 64 indices in `idx` (pixel order) and writes their 256 RGBA bytes.
    ///
    /// # Safety
    /// `out` must be valid for writing 256 bytes.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    #[inline]
    unsafe fn store64(&self, idx: __m512i, out: *mut u8) {
        let idx = _mm512_permutexvar_epi8(self.order, idx);
        let high = _mm512_movepi8_mask(idx);
        let look = |t: &[__m512i; 4]| {
            let lo = _mm512_permutex2var_epi8(t[0], idx, t[1]);
            let hi = _mm512_permutex2var_epi8(t[2], idx, t[3]);
            _mm512_mask_blend_epi8(high, lo, hi)
        };
        let [r, g, b, a] = self.planes.each_ref().map(look);
        let (rg_lo, rg_hi) = (_mm512_unpacklo_epi8(r, g), _mm512_unpackhi_epi8(r, g));
        let (ba_lo, ba_hi) = (_mm512_unpacklo_epi8(b, a), _mm512_unpackhi_epi8(b, a));
        // SAFETY: the four stores cover out[0..256], which the caller vouches for.
        unsafe {
            _mm512_storeu_si512(out as *mut _, _mm512_unpacklo_epi16(rg_lo, ba_lo));
            _mm512_storeu_si512(out.add(64) as *mut _, _mm512_unpackhi_epi16(rg_lo, ba_lo));
            _mm512_storeu_si512(out.add(128) as *mut _, _mm512_unpacklo_epi16(rg_hi, ba_hi));
            _mm512_storeu_si512(out.add(192) as *mut _, _mm512_unpackhi_epi16(rg_hi, ba_hi));
        }
    }
}

/// 8-bit indices, 64 pixels an iteration through [`Planes`].
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
unsafe fn pal8_vbmi(palette: &Palette8, src: &[u8], dst: &mut [u8]) {
    let n = (src.len() / 64).min(dst.len() / 256);
    if n == 0 {
        return scalar::pal8(&palette.table, src, dst);
    }
    let planes = Planes::new(palette);
    for b in 0..n {
        // SAFETY: block b reads src[64b..64b+64] and writes dst[256b..256b+256]; b < n keeps
        // both inside the slices.
        unsafe {
            let idx = _mm512_loadu_si512(src.as_ptr().add(b * 64) as *const _);
            planes.store64(idx, dst.as_mut_ptr().add(b * 256));
        }
    }
    scalar::pal8(&palette.table, &src[n * 64..], &mut dst[n * 256..]);
}

/// 4-bit indices, 64 pixels (32 bytes) an iteration: each byte widens to a 16-bit lane
/// holding its high nibble in the low byte and its low nibble in the high byte (pixel order
/// in memory), then [`Planes`] looks the 64 indices up.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
unsafe fn pal4_vbmi(palette: &Palette8, expanded: &[u32; 2048], src: &[u8], dst: &mut [u8]) {
    let n = (src.len() / 32).min(dst.len() / 256);
    if n > 0 {
        let planes = Planes::new(palette);
        let low = _mm512_set1_epi16(0x0f);
        for b in 0..n {
            // SAFETY: block b reads src[32b..32b+32] and writes dst[256b..256b+256]; b < n
            // keeps both inside the slices.
            unsafe {
                let bytes = _mm256_loadu_si256(src.as_ptr().add(b * 32) as *const __m256i);
                let w = _mm512_cvtepu8_epi16(bytes);
                let hi = _mm512_srli_epi16::<4>(w);
                let lo = _mm512_slli_epi16::<8>(_mm512_and_si512(w, low));
                planes.store64(_mm512_or_si512(hi, lo), dst.as_mut_ptr().add(b * 256));
            }
        }
    }
    scalar::pal_bits::<2>(expanded, &src[n * 32..], &mut dst[n * 256..]);
}

/// 1-bit indices, 64 pixels (8 bytes) an iteration: the bits, most significant first in each
/// byte, become a 64-bit mask that picks entry 0 or 1 for each 32-bit pixel, 16 at a time.
#[target_feature(enable = "avx512f")]
unsafe fn pal1_avx512(palette: &Palette8, expanded: &[u32; 2048], src: &[u8], dst: &mut [u8]) {
    let n = (src.len() / 8).min(dst.len() / 256);
    let zero = _mm512_set1_epi32(palette.table[0] as i32);
    let one = _mm512_set1_epi32(palette.table[1] as i32);
    for (b, bytes) in src[..n * 8].chunks_exact(8).enumerate() {
        let bytes: [u8; 8] = bytes.try_into().expect("8 bytes");
        // Bit 8k + j of `bits` is pixel 8k + j: bit 7 - j of byte k.
        let bits = u64::from_le_bytes(bytes).swap_bytes().reverse_bits();
        for q in 0..4 {
            let px = _mm512_mask_blend_epi32((bits >> (16 * q)) as u16, zero, one);
            // SAFETY: block b writes dst[256b..256b+256]; b < n <= dst.len() / 256.
            unsafe { _mm512_storeu_si512(dst.as_mut_ptr().add(b * 256 + q * 64) as *mut _, px) };
        }
    }
    scalar::pal_bits::<8>(expanded, &src[n * 8..], &mut dst[n * 256..]);
}

/// For the rows whose AVX2 kernels store 32 bytes at a time, decodes the first few pixels
/// with the scalar kernel so that the rest of `dst` starts on a 32-byte boundary, and returns
/// the rest. A large `Vec` from malloc starts 16 bytes past a page, so without this every
/// other store straddles two cache lines: measured here on 32-bit rows, 1.13–1.68× the
/// floor unaligned against 0.93–1.23× aligned (same runs). Other rows are returned whole.
fn align_stores<'s, 'd>(row: &Row, src: &'s [u8], dst: &'d mut [u8]) -> (&'s [u8], &'d mut [u8]) {
    let bytes_per_pixel = match row {
        Row::Bgr24 => 3,
        Row::Bgra32 { .. } => 4,
        Row::Bits16 { .. } | Row::Table16(_) => 2,
        Row::Pal8(_) | Row::PalBits { .. } | Row::Masks32(_) => return (src, dst),
    };
    let pixels = (src.len() / bytes_per_pixel).min(dst.len() / 4);
    let head = (dst.as_ptr().align_offset(32) / 4).min(pixels);
    let (src_head, src) = src.split_at(head * bytes_per_pixel);
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
unsafe fn table16(table: &[u32], src: &[u8], dst: &mut [u8]) {
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
/// 16 pixels an iteration, no table.
#[target_feature(enable = "avx2")]
unsafe fn bits16(ch: &[Scale16; 4], src: &[u8], dst: &mut [u8]) {
    let n = (src.len() / 2).min(dst.len() / 4) / 16;
    let lanes = [
        Lanes16::new(&ch[0]),
        Lanes16::new(&ch[1]),
        Lanes16::new(&ch[2]),
        Lanes16::new(&ch[3]),
    ];
    for i in 0..n {
        // SAFETY: block i reads src[32i..32i+32] and writes dst[64i..64i+64]; i < n keeps
        // both inside the slices (n counts whole 16-pixel blocks of the shorter one).
        unsafe {
            let px = _mm256_loadu_si256(src.as_ptr().add(i * 32) as *const __m256i);
            let (r, g) = (lanes[0].scale(px), lanes[1].scale(px));
            let (b, a) = (lanes[2].scale(px), lanes[3].scale(px));
            let rg = _mm256_or_si256(r, _mm256_slli_epi16::<8>(g));
            let ba = _mm256_or_si256(b, _mm256_slli_epi16::<8>(a));
            // unpack works within 128-bit lanes: lo = pixels 0-3 | 8-11, hi = 4-7 | 12-15.
            let lo = _mm256_unpacklo_epi16(rg, ba);
            let hi = _mm256_unpackhi_epi16(rg, ba);
            let out = dst.as_mut_ptr().add(i * 64);
            _mm256_storeu_si256(
                out as *mut __m256i,
                _mm256_permute2x128_si256::<0x20>(lo, hi),
            );
            _mm256_storeu_si256(
                out.add(32) as *mut __m256i,
                _mm256_permute2x128_si256::<0x31>(lo, hi),
            );
        }
    }
    for (d, s) in dst[n * 64..]
        .chunks_exact_mut(4)
        .zip(src[n * 32..].chunks_exact(2))
    {
        let px = u16::from_le_bytes([s[0], s[1]]);
        d.copy_from_slice(&ch.map(|c| c.pixel(px)));
    }
}

/// B, G, R → R, G, B, 255: two 12-byte groups per 256-bit shuffle, 8 pixels an iteration.
#[target_feature(enable = "avx2")]
unsafe fn bgr24(src: &[u8], dst: &mut [u8]) {
    let pixels = (src.len() / 3).min(dst.len() / 4);
    // The second 16-byte load of a block starts at byte 12 and reads up to byte 28 of the
    // block's 24, so a block needs 4 bytes beyond itself: stop one block early if short.
    let mut n = blocks(pixels);
    while n > 0 && n * 24 + 4 > src.len() {
        n -= 1;
    }
    let shuffle = _mm256_setr_epi8(
        2, 1, 0, -1, 5, 4, 3, -1, 8, 7, 6, -1, 11, 10, 9, -1, //
        2, 1, 0, -1, 5, 4, 3, -1, 8, 7, 6, -1, 11, 10, 9, -1,
    );
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
    scalar::bgr24(&src[n * 24..], &mut dst[n * 32..]);
}

/// B, G, R, X → R, G, B, X or 255: one 256-bit shuffle per 8 pixels.
#[target_feature(enable = "avx2")]
unsafe fn bgra32(keep_alpha: bool, src: &[u8], dst: &mut [u8]) {
    let n = blocks((src.len() / 4).min(dst.len() / 4));
    let shuffle = _mm256_setr_epi8(
        2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15, //
        2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15,
    );
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
    scalar::bgra32(keep_alpha, &src[n * 32..], &mut dst[n * 32..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random bytes (xorshift64*).
    fn noise(seed: u64, n: usize) -> Vec<u8> {
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

    fn words(seed: u64, n: usize) -> Vec<u32> {
        noise(seed, n * 4)
            .chunks_exact(4)
            .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    /// Every AVX2 kernel equals the scalar kernel on random rows of awkward widths and output
    /// alignments, and writes nothing outside the row.
    #[test]
    fn avx2_kernels_match_scalar() {
        if !Kernels::Avx2.supported() {
            eprintln!("*** SKIPPED: this CPU has no AVX2 ***");
            return;
        }
        let bits16 = |raw: [u32; 4]| {
            let masks = crate::format::Masks::from_raw(raw, 16, 54).unwrap();
            let channels =
                Scale16::for_masks(&masks).expect("a multiplier exists for <= 8-bit channels");
            (Row::Bits16 { masks, channels }, 16)
        };
        let rows = [
            bits16([0xf800, 0x07e0, 0x001f, 0]),
            bits16([0x7c00, 0x03e0, 0x001f, 0x8000]),
            bits16([0x0f00, 0x00f0, 0x000f, 0xf000]),
            bits16([0x0003, 0x01fc, 0xfe00, 0]),
            bits16([0x00ff, 0, 0xff00, 0]),
            (Row::Table16(words(9, 1 << 16).into()), 16),
            (Row::Bgr24, 24),
            (Row::Bgra32 { alpha: false }, 32),
            (Row::Bgra32 { alpha: true }, 32),
        ];
        for (k, (row, bpp)) in rows.iter().enumerate() {
            for width in [
                1usize, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 317, 1600,
            ] {
                let src = noise((k * 10_000 + width) as u64, width * bpp / 8);
                // Every start offset of the output modulo 32 bytes (the aligning head).
                for shift in 0..8 {
                    let at = shift * 4;
                    let mut want = vec![0xeeu8; at + width * 4 + 8];
                    let mut got = want.clone();
                    scalar::decode_row(row, &src, &mut want[at..at + width * 4]);
                    assert!(decode_row(
                        Kernels::Avx2,
                        row,
                        &src,
                        &mut got[at..at + width * 4]
                    ));
                    assert_eq!(
                        want, got,
                        "kernel {k} ({bpp}-bit), width {width}, shift {shift}"
                    );
                }
            }
        }
    }

    /// The AVX-512 palette kernels (8-, 4- and 1-bit) equal the scalar kernels on random
    /// palettes and rows of awkward widths (shorter than a block, a block, blocks plus a
    /// tail, a last byte only partly used), writing nothing past the row.
    #[test]
    fn avx512_palette_kernels_match_scalar() {
        if !Kernels::Avx512Vbmi.supported() {
            eprintln!("*** SKIPPED: this CPU has no AVX-512 VBMI ***");
            return;
        }
        for seed in 0..4u64 {
            let table: [u32; 256] = words(seed, 256).try_into().expect("256 words");
            let rows = [
                (Row::Pal8(Palette8::new(table)), 8),
                (Row::pal_bits(table, 4), 4),
                (Row::pal_bits(table, 1), 1),
            ];
            for (row, bpp) in &rows {
                for width in [
                    1usize, 7, 8, 9, 63, 64, 65, 127, 128, 129, 191, 317, 1600, 1663,
                ] {
                    let src = noise(seed * 10_000 + width as u64, (width * bpp).div_ceil(8));
                    let mut want = vec![0xeeu8; width * 4 + 64];
                    let mut got = want.clone();
                    scalar::decode_row(row, &src, &mut want[..width * 4]);
                    let dst = &mut got[..width * 4];
                    assert!(decode_row(Kernels::Avx512Vbmi, row, &src, dst));
                    assert_eq!(want, got, "{bpp}-bit palette {seed} at width {width}");
                }
            }
        }
    }
}
