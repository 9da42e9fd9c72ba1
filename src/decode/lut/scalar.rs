//! Portable row kernels: the reference every SIMD kernel is tested against.

use super::Row;

/// Decodes one stored row into `dst` (`width * 4` bytes).
pub(super) fn decode_row(row: &Row, src: &[u8], dst: &mut [u8]) {
    match row {
        Row::Pal8(table) => pal8(table, src, dst),
        Row::PalBits { per_byte, expanded } => {
            let chunk = per_byte * 4;
            let mut full = dst.chunks_exact_mut(chunk);
            for (d, &b) in (&mut full).zip(src) {
                let pixels = &expanded[usize::from(b) * per_byte..][..*per_byte];
                for (p, &v) in d.chunks_exact_mut(4).zip(pixels) {
                    p.copy_from_slice(&v.to_ne_bytes());
                }
            }
            let tail = full.into_remainder();
            if !tail.is_empty() {
                let b = src[src.len() - 1];
                let pixels = &expanded[usize::from(b) * per_byte..];
                for (p, &v) in tail.chunks_exact_mut(4).zip(pixels) {
                    p.copy_from_slice(&v.to_ne_bytes());
                }
            }
        }
        Row::Bgr24 => bgr24(src, dst),
        Row::Bgra32 { alpha } => bgra32(*alpha, src, dst),
        Row::Table16(table) => table16(table, src, dst),
        Row::Masks32(ch) => {
            for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                let px = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
                d.copy_from_slice(&[ch[0].get(px), ch[1].get(px), ch[2].get(px), ch[3].get(px)]);
            }
        }
    }
}

/// 8-bit indices through a 256-entry table, two pixels per 8-byte store.
pub(super) fn pal8(table: &[u32; 256], src: &[u8], dst: &mut [u8]) {
    let mut d8 = dst.chunks_exact_mut(8);
    let mut s2 = src.chunks_exact(2);
    for (d, s) in (&mut d8).zip(&mut s2) {
        let lo = u64::from(table[usize::from(s[0])]);
        let hi = u64::from(table[usize::from(s[1])]);
        let pair = if cfg!(target_endian = "little") {
            lo | hi << 32
        } else {
            lo << 32 | hi
        };
        d.copy_from_slice(&pair.to_ne_bytes());
    }
    for (d, &i) in d8.into_remainder().chunks_exact_mut(4).zip(s2.remainder()) {
        d.copy_from_slice(&table[usize::from(i)].to_ne_bytes());
    }
}

/// B, G, R → R, G, B, 255.
pub(super) fn bgr24(src: &[u8], dst: &mut [u8]) {
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(3)) {
        d.copy_from_slice(&[s[2], s[1], s[0], 255]);
    }
}

/// B, G, R, X → R, G, B, X (or 255 when the fourth byte is not alpha).
pub(super) fn bgra32(alpha: bool, src: &[u8], dst: &mut [u8]) {
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
        let a = if alpha { s[3] } else { 255 };
        d.copy_from_slice(&[s[2], s[1], s[0], a]);
    }
}

/// 16-bit pixels through the 65,536-entry table.
pub(super) fn table16(table: &[u32], src: &[u8], dst: &mut [u8]) {
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(2)) {
        let px = u16::from_le_bytes([s[0], s[1]]);
        d.copy_from_slice(&table[usize::from(px)].to_ne_bytes());
    }
}
