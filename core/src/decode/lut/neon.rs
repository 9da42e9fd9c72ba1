//! aarch64 NEON row kernels: 8-, 4- and 1-bit palettes through table lookups (`TBL`/`TBX`)
//! over the palette's byte planes, 16 pixels a store (`ST4` interleaves the planes to RGBA).
//!
//! Each kernel handles whole blocks and leaves the tail to the scalar kernel, so the scalar
//! code stays the single definition of what a pixel becomes. Tested against it under
//! qemu-user; no speed was measured on ARM hardware.

use std::arch::aarch64::*;

use super::palette::Palette8;
use super::row::Row;
use super::scalar;

/// 8-bit palette rows (`Row::Pal8`).
///
/// # Safety
/// The CPU must have NEON.
pub(super) unsafe fn pal8(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Pal8(palette) = row else {
        unreachable!("pal8 is listed only for 8-bit palette rows")
    };
    // SAFETY: the caller vouches for NEON.
    unsafe { pal8_tbl(palette, src, dst) }
}

/// 4-bit palette rows (`Row::PalBits` with 2 pixels a byte).
///
/// # Safety
/// The CPU must have NEON.
pub(super) unsafe fn pal4(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::PalBits {
        palette, expanded, ..
    } = row
    else {
        unreachable!("pal4 is listed only for 4-bit palette rows")
    };
    // SAFETY: the caller vouches for NEON.
    unsafe { pal4_tbl(palette, expanded, src, dst) }
}

/// 1-bit palette rows (`Row::PalBits` with 8 pixels a byte).
///
/// # Safety
/// The CPU must have NEON.
pub(super) unsafe fn pal1(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::PalBits {
        palette, expanded, ..
    } = row
    else {
        unreachable!("pal1 is listed only for 1-bit palette rows")
    };
    // SAFETY: the caller vouches for NEON.
    unsafe { pal1_bsl(palette, expanded, src, dst) }
}

/// Stores 16 pixels, one register per output byte (R, G, B, A planes), interleaved.
///
/// # Safety
/// `out` must be valid for writing 64 bytes.
#[target_feature(enable = "neon")]
#[inline]
unsafe fn store16(out: *mut u8, planes: [uint8x16_t; 4]) {
    let [r, g, b, a] = planes;
    // SAFETY: ST4 writes out[0..64], which the caller vouches for.
    unsafe { vst4q_u8(out, uint8x16x4_t(r, g, b, a)) }
}

/// 8-bit indices, 16 pixels an iteration: each plane is four 64-byte tables; `TBL` looks
/// indices 0..64 up in the first (others give 0), and `TBX` on the index minus 64, 128, 192
/// fills in the entries of the other three (an index out of a table's range leaves the byte).
#[target_feature(enable = "neon")]
unsafe fn pal8_tbl(palette: &Palette8, src: &[u8], dst: &mut [u8]) {
    let n = (src.len() / 16).min(dst.len() / 64);
    // SAFETY: each plane is 256 bytes, so 64-byte loads at 0, 64, 128 and 192 stay inside it.
    let quarters =
        |p: &[u8; 256]| [0, 64, 128, 192].map(|q| unsafe { vld1q_u8_x4(p.as_ptr().add(q)) });
    let tables = palette.planes.each_ref().map(quarters);
    let (k64, k128, k192) = (vdupq_n_u8(64), vdupq_n_u8(128), vdupq_n_u8(192));
    for b in 0..n {
        // SAFETY: block b reads src[16b..16b+16]; b < n <= src.len() / 16.
        let idx = unsafe { vld1q_u8(src.as_ptr().add(b * 16)) };
        let (i1, i2, i3) = (vsubq_u8(idx, k64), vsubq_u8(idx, k128), vsubq_u8(idx, k192));
        let look = |t: &[uint8x16x4_t; 4]| {
            let v = vqtbl4q_u8(t[0], idx);
            let v = vqtbx4q_u8(v, t[1], i1);
            let v = vqtbx4q_u8(v, t[2], i2);
            vqtbx4q_u8(v, t[3], i3)
        };
        // SAFETY: block b writes dst[64b..64b+64]; b < n <= dst.len() / 64.
        unsafe { store16(dst.as_mut_ptr().add(b * 64), tables.each_ref().map(look)) };
    }
    scalar::pal8(&palette.table, &src[n * 16..], &mut dst[n * 64..]);
}

/// 4-bit indices, 32 pixels (16 bytes) an iteration: the nibbles, high first, are zipped
/// into pixel order and looked up in the first 16 entries of each plane (one `TBL` each).
#[target_feature(enable = "neon")]
unsafe fn pal4_tbl(palette: &Palette8, expanded: &[u32; 2048], src: &[u8], dst: &mut [u8]) {
    let n = (src.len() / 16).min(dst.len() / 128);
    // SAFETY: each plane is 256 bytes; the load reads its first 16.
    let tables = palette
        .planes
        .each_ref()
        .map(|p| unsafe { vld1q_u8(p.as_ptr()) });
    let low = vdupq_n_u8(0x0f);
    for b in 0..n {
        // SAFETY: block b reads src[16b..16b+16]; b < n <= src.len() / 16.
        let bytes = unsafe { vld1q_u8(src.as_ptr().add(b * 16)) };
        let (hi, lo) = (vshrq_n_u8::<4>(bytes), vandq_u8(bytes, low));
        for (k, idx) in [vzip1q_u8(hi, lo), vzip2q_u8(hi, lo)]
            .into_iter()
            .enumerate()
        {
            let px = tables.map(|t| vqtbl1q_u8(t, idx));
            // SAFETY: block b writes dst[128b..128b+128]; b < n <= dst.len() / 128.
            unsafe { store16(dst.as_mut_ptr().add(b * 128 + k * 64), px) };
        }
    }
    scalar::pal_bits::<2>(expanded, &src[n * 16..], &mut dst[n * 128..]);
}

/// 1-bit indices, 16 pixels (2 bytes) an iteration: each byte is spread over 8 lanes, `CMTST`
/// against one bit per lane (most significant first) gives a mask, and `BSL` picks entry 1
/// or entry 0 of each plane.
#[target_feature(enable = "neon")]
unsafe fn pal1_bsl(palette: &Palette8, expanded: &[u32; 2048], src: &[u8], dst: &mut [u8]) {
    const BITS: [u8; 16] = [128, 64, 32, 16, 8, 4, 2, 1, 128, 64, 32, 16, 8, 4, 2, 1];
    let n = (src.len() / 2).min(dst.len() / 64);
    let zero = palette.planes.map(|p| vdupq_n_u8(p[0]));
    let one = palette.planes.map(|p| vdupq_n_u8(p[1]));
    // SAFETY: BITS is 16 bytes.
    let bits = unsafe { vld1q_u8(BITS.as_ptr()) };
    for (b, pair) in src[..n * 2].chunks_exact(2).enumerate() {
        let spread = vcombine_u8(vdup_n_u8(pair[0]), vdup_n_u8(pair[1]));
        let set = vtstq_u8(spread, bits);
        let px = [0, 1, 2, 3].map(|p| vbslq_u8(set, one[p], zero[p]));
        // SAFETY: block b writes dst[64b..64b+64]; b < n <= dst.len() / 64.
        unsafe { store16(dst.as_mut_ptr().add(b * 64), px) };
    }
    scalar::pal_bits::<8>(expanded, &src[n * 2..], &mut dst[n * 64..]);
}
