//! Portable row kernels: the reference every SIMD kernel is tested against.

use super::palette::order;
use super::Row;

/// Decodes one stored row into `dst` (`width * 4` bytes).
pub(super) fn decode_row(row: &Row, src: &[u8], dst: &mut [u8]) {
    match row {
        Row::Pal8(palette) => pal8(&palette.table, src, dst),
        Row::PalBits {
            per_byte, expanded, ..
        } => match per_byte {
            2 => pal_bits::<2>(expanded, src, dst),
            4 => pal_bits::<4>(expanded, src, dst),
            _ => pal_bits::<8>(expanded, src, dst),
        },
        Row::Bgr24 { blue_first } => bgr24(*blue_first, src, dst),
        Row::Bgra32 { alpha, blue_first } => bgra32(*alpha, *blue_first, src, dst),
        Row::Table16(table) => table16(table, src, dst),
        Row::Bits16 {
            masks, blue_first, ..
        } => {
            for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(2)) {
                let px =
                    u32::from_ne_bytes(masks.rgba(u32::from(u16::from_le_bytes([s[0], s[1]]))));
                d.copy_from_slice(&order(px, *blue_first).to_ne_bytes());
            }
        }
        Row::Masks32(ch) => {
            for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                let px = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
                d.copy_from_slice(&[ch[0].get(px), ch[1].get(px), ch[2].get(px), ch[3].get(px)]);
            }
        }
    }
}

/// 8-bit indices through a 256-entry table: 8 indices per load, two pixels per 8-byte store.
pub(super) fn pal8(table: &[u32; 256], src: &[u8], dst: &mut [u8]) {
    #[inline(always)]
    fn pair(table: &[u32; 256], a: u64, b: u64) -> [u8; 8] {
        let lo = u64::from(table[(a & 0xff) as usize]);
        let hi = u64::from(table[(b & 0xff) as usize]);
        if cfg!(target_endian = "little") {
            (lo | hi << 32).to_le_bytes()
        } else {
            (lo << 32 | hi).to_be_bytes()
        }
    }
    let mut d32 = dst.chunks_exact_mut(32);
    let mut s8 = src.chunks_exact(8);
    for (d, s) in (&mut d32).zip(&mut s8) {
        let i = u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]);
        d[0..8].copy_from_slice(&pair(table, i, i >> 8));
        d[8..16].copy_from_slice(&pair(table, i >> 16, i >> 24));
        d[16..24].copy_from_slice(&pair(table, i >> 32, i >> 40));
        d[24..32].copy_from_slice(&pair(table, i >> 48, i >> 56));
    }
    for (d, &i) in d32.into_remainder().chunks_exact_mut(4).zip(s8.remainder()) {
        d.copy_from_slice(&table[usize::from(i)].to_ne_bytes());
    }
}

/// 1/2/4-bit indices: each source byte expands to `PER` pixels copied from `expanded`.
pub(super) fn pal_bits<const PER: usize>(expanded: &[u32; 2048], src: &[u8], dst: &mut [u8]) {
    let mut full = dst.chunks_exact_mut(PER * 4);
    for (d, &b) in (&mut full).zip(src) {
        let pixels: &[u32; PER] = expanded[usize::from(b) * PER..][..PER]
            .try_into()
            .expect("PER entries");
        for (p, v) in d.chunks_exact_mut(4).zip(pixels) {
            p.copy_from_slice(&v.to_ne_bytes());
        }
    }
    let tail = full.into_remainder();
    if let (false, Some(&b)) = (tail.is_empty(), src.last()) {
        for (p, v) in tail
            .chunks_exact_mut(4)
            .zip(&expanded[usize::from(b) * PER..])
        {
            p.copy_from_slice(&v.to_ne_bytes());
        }
    }
}

/// B, G, R → R, G, B, 255 (B, G, R, 255 when `blue_first`).
pub(super) fn bgr24(blue_first: bool, src: &[u8], dst: &mut [u8]) {
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(3)) {
        let [r, b] = if blue_first {
            [s[0], s[2]]
        } else {
            [s[2], s[0]]
        };
        d.copy_from_slice(&[r, s[1], b, 255]);
    }
}

/// B, G, R, X → R, G, B, X (B, G, R, X when `blue_first`); X becomes 255 when the fourth
/// byte is not alpha.
pub(super) fn bgra32(alpha: bool, blue_first: bool, src: &[u8], dst: &mut [u8]) {
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
        let a = if alpha { s[3] } else { 255 };
        let [r, b] = if blue_first {
            [s[0], s[2]]
        } else {
            [s[2], s[0]]
        };
        d.copy_from_slice(&[r, s[1], b, a]);
    }
}

/// 24-bit rows (`Row::Bgr24`) straight into 3-byte output.
pub(super) fn bgr24_row_to3(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Bgr24 { blue_first } = row else {
        unreachable!("chosen only for Row::Bgr24")
    };
    bgr24_to3(*blue_first, src, dst);
}

/// 24-bit B, G, R rows straight into 3-byte output: a row copy for BGR, a swap for RGB.
pub(super) fn bgr24_to3(blue_first: bool, src: &[u8], dst: &mut [u8]) {
    if blue_first {
        let n = dst.len().min(src.len());
        dst[..n].copy_from_slice(&src[..n]);
        return;
    }
    for (d, s) in dst.chunks_exact_mut(3).zip(src.chunks_exact(3)) {
        d.copy_from_slice(&[s[2], s[1], s[0]]);
    }
}

/// Four 4-byte pixels (each a little-endian word) as twelve bytes: their first three bytes.
#[inline(always)]
fn merge3(a: u32, b: u32, c: u32, e: u32) -> [[u8; 4]; 3] {
    [
        ((a & 0x00ff_ffff) | (b << 24)).to_le_bytes(),
        (((b >> 8) & 0xffff) | (c << 16)).to_le_bytes(),
        (((c >> 16) & 0xff) | (e << 8)).to_le_bytes(),
    ]
}

/// Stores [`merge3`]'s twelve bytes.
#[inline(always)]
fn store3(d: &mut [u8], words: [[u8; 4]; 3]) {
    d[0..4].copy_from_slice(&words[0]);
    d[4..8].copy_from_slice(&words[1]);
    d[8..12].copy_from_slice(&words[2]);
}

/// 4-byte pixels into 3-byte ones (the fourth byte dropped): four pixels as three word
/// stores, since byte moves one at a time cost several times the 4-byte decode they follow.
pub(super) fn pack3(src: &[u8], dst: &mut [u8]) {
    let mut d12 = dst.chunks_exact_mut(12);
    let mut s16 = src.chunks_exact(16);
    for (d, s) in (&mut d12).zip(&mut s16) {
        let word = |i: usize| u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]);
        store3(d, merge3(word(0), word(4), word(8), word(12)));
    }
    for (d, s) in d12
        .into_remainder()
        .chunks_exact_mut(3)
        .zip(s16.remainder().chunks_exact(4))
    {
        d.copy_from_slice(&s[..3]);
    }
}

/// 8-bit palette rows (`Row::Pal8`) straight into 3-byte pixels (the table in the output's
/// order): four entries merged into three word stores, no 4-byte scratch and pack.
pub(super) fn pal8_to3(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Pal8(palette) = row else {
        unreachable!("listed only for Row::Pal8")
    };
    let table = &palette.table;
    let entry = |i: u8| u32::from_le_bytes(table[usize::from(i)].to_ne_bytes());
    let mut d12 = dst.chunks_exact_mut(12);
    let mut s4 = src.chunks_exact(4);
    for (d, s) in (&mut d12).zip(&mut s4) {
        store3(
            d,
            merge3(entry(s[0]), entry(s[1]), entry(s[2]), entry(s[3])),
        );
    }
    for (d, &i) in d12.into_remainder().chunks_exact_mut(3).zip(s4.remainder()) {
        d.copy_from_slice(&entry(i).to_le_bytes()[..3]);
    }
}

/// 32-bit rows (`Row::Bgra32`: B, G, R, A/X) straight into 3-byte output: BGR keeps each
/// pixel's first three bytes (a pack), RGB swaps red and blue in the same word pass.
pub(super) fn bgra32_to3(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Bgra32 { blue_first, .. } = row else {
        unreachable!("listed only for Row::Bgra32")
    };
    if *blue_first {
        return pack3(src, dst);
    }
    let rgb = |s: &[u8]| {
        let w = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        ((w >> 16) & 0xff) | (w & 0xff00) | ((w & 0xff) << 16)
    };
    let mut d12 = dst.chunks_exact_mut(12);
    let mut s16 = src.chunks_exact(16);
    for (d, s) in (&mut d12).zip(&mut s16) {
        store3(
            d,
            merge3(
                rgb(&s[0..4]),
                rgb(&s[4..8]),
                rgb(&s[8..12]),
                rgb(&s[12..16]),
            ),
        );
    }
    for (d, s) in d12
        .into_remainder()
        .chunks_exact_mut(3)
        .zip(s16.remainder().chunks_exact(4))
    {
        d.copy_from_slice(&rgb(s).to_le_bytes()[..3]);
    }
}

/// 16-bit pixels through the 65,536-entry table.
pub(super) fn table16(table: &[u32], src: &[u8], dst: &mut [u8]) {
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(2)) {
        let px = u16::from_le_bytes([s[0], s[1]]);
        d.copy_from_slice(&table[usize::from(px)].to_ne_bytes());
    }
}

#[cfg(test)]
mod tests {
    /// The word-at-a-time `pack3` keeps the first three bytes of every pixel, for every
    /// length (whole groups of four and the rest), and writes nothing past its output.
    #[test]
    fn pack3_keeps_three_bytes_of_each_pixel() {
        for pixels in 0..40usize {
            let src: Vec<u8> = (0..pixels * 4).map(|i| (i * 37 + 11) as u8).collect();
            let want: Vec<u8> = src
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect();
            let mut got = vec![0xa5u8; pixels * 3 + 5];
            super::pack3(&src, &mut got[..pixels * 3]);
            assert_eq!(&got[..pixels * 3], &want[..], "{pixels} pixels");
            assert!(
                got[pixels * 3..].iter().all(|&b| b == 0xa5),
                "{pixels} pixels"
            );
        }
    }
}
