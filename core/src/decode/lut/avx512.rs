//! x86-64 AVX-512 row kernels: 8-, 4- and 1-bit palettes through byte permutes (VBMI).
//!
//! Each kernel handles whole blocks and leaves the tail to the scalar kernel, so the scalar
//! code stays the single definition of what a pixel becomes.

use std::arch::x86_64::*;

use super::palette::Palette8;
use super::row::Row;
use super::scalar;

/// The palette kernels' view of a row: its palette and 1/2/4-bit expansion table.
fn palette_of(row: &Row) -> (&Palette8, Option<&[u32; 2048]>) {
    match row {
        Row::Pal8(palette) => (palette, None),
        Row::PalBits {
            palette, expanded, ..
        } => (palette, Some(expanded)),
        _ => unreachable!("palette kernels are listed only for palette rows"),
    }
}

/// 8-bit palette rows (`Row::Pal8`).
///
/// # Safety
/// The CPU must have AVX-512 F, BW and VBMI.
pub(super) unsafe fn pal8(row: &Row, src: &[u8], dst: &mut [u8]) {
    let (palette, _) = palette_of(row);
    // SAFETY: the caller vouches for the features `pal8_vbmi` enables.
    unsafe { pal8_vbmi(palette, src, dst) }
}

/// 4-bit palette rows (`Row::PalBits` with 2 pixels a byte).
///
/// # Safety
/// The CPU must have AVX-512 F, BW and VBMI.
pub(super) unsafe fn pal4(row: &Row, src: &[u8], dst: &mut [u8]) {
    let (palette, expanded) = palette_of(row);
    let expanded = expanded.expect("4-bit rows carry their expansion table");
    // SAFETY: the caller vouches for the features `pal4_vbmi` enables.
    unsafe { pal4_vbmi(palette, expanded, src, dst) }
}

/// 1-bit palette rows (`Row::PalBits` with 8 pixels a byte).
///
/// # Safety
/// The CPU must have AVX-512 F.
pub(super) unsafe fn pal1(row: &Row, src: &[u8], dst: &mut [u8]) {
    let (palette, expanded) = palette_of(row);
    let expanded = expanded.expect("1-bit rows carry their expansion table");
    // SAFETY: the caller vouches for the feature `pal1_avx512` enables.
    unsafe { pal1_avx512(palette, expanded, src, dst) }
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
