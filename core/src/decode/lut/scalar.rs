//! Portable row kernels: the reference every SIMD kernel is tested against.

use super::palette::stride3;
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
        Row::Bits16 { channels } => {
            for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(2)) {
                let px = u32::from(u16::from_le_bytes([s[0], s[1]]));
                d.copy_from_slice(&channels.map(|c| c.get(px)));
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
/// order, fourth bytes zero), 16 pixels a block from two 8-byte index loads: two entries
/// merged into one 8-byte store 6 bytes after the last, whose last 2 bytes the next store
/// overwrites, so a block writes 2 bytes past its 48 and the loop stops a block early where
/// `dst` has no such bytes; the rest entry by entry, exactly. Measured (Zen 3, the seed
/// frame, `shmbmp bench --decoder lut_scalar --layout RGBA,RGB,BGR --iters 40`, median of 6
/// runs): RGB 0.97× our scalar RGBA, against 1.05× for each entry stored whole (4 bytes) 3
/// bytes after the last and 1.24× for four entries merged into three word stores.
pub(super) fn pal8_to3(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Pal8(palette) = row else {
        unreachable!("listed only for Row::Pal8")
    };
    let table = &palette.table3;
    let entry = |i: u64| u64::from(u32::from_le_bytes(table[(i & 0xff) as usize].to_ne_bytes()));
    let pixels = src.len().min(dst.len() / 3);
    let blocks = (pixels / 16).min(dst.len().saturating_sub(2) / 48);
    for (s, b) in src.chunks_exact(16).zip(0..blocks) {
        let d = &mut dst[48 * b..][..50];
        for (half, s) in s.chunks_exact(8).enumerate() {
            let i = u64::from_le_bytes(s.try_into().expect("8 bytes"));
            for k in 0..4 {
                let pair = entry(i >> (16 * k)) | entry(i >> (16 * k + 8)) << 24;
                d[24 * half + 6 * k..][..8].copy_from_slice(&pair.to_le_bytes());
            }
        }
    }
    for (d, &i) in dst[blocks * 48..pixels * 3]
        .chunks_exact_mut(3)
        .zip(&src[blocks * 16..pixels])
    {
        d.copy_from_slice(&entry(u64::from(i)).to_le_bytes()[..3]);
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

/// 1/2/4-bit palette rows (`Row::PalBits`) straight into 3-byte pixels: each source byte's
/// pixels copied from the table of them in 3-byte form ([`bits_to3`]).
pub(super) fn pal_bits_to3(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::PalBits {
        per_byte,
        expanded3,
        ..
    } = row
    else {
        unreachable!("listed only for Row::PalBits")
    };
    match per_byte {
        2 => bits_to3::<2, { stride3(2) }>(expanded3, src, dst),
        4 => bits_to3::<4, { stride3(4) }>(expanded3, src, dst),
        _ => bits_to3::<8, { stride3(8) }>(expanded3, src, dst),
    }
}

/// `PER` pixels a source byte into 3-byte output from `expanded3` (`S` = [`stride3`] bytes
/// an entry): for 2 and 4 pixels a byte, whole 24-byte groups first ([`merged24`]); then
/// one `S`-byte copy a source byte, each overlapping the start of the next byte's (whose
/// copy overwrites it), exact copies where fewer than `S` bytes of `dst` remain; the last
/// source byte may be used only in part.
#[inline(always)]
pub(super) fn bits_to3<const PER: usize, const S: usize>(
    expanded3: &[u8; 8192],
    src: &[u8],
    dst: &mut [u8],
) {
    let each = 3 * PER;
    let done = if PER < 8 {
        merged24::<PER, S>(expanded3, src, dst)
    } else {
        0
    };
    let (src, dst) = (&src[done..], &mut dst[done * each..]);
    let entry = |b: u8| &expanded3[usize::from(b) * S..][..S];
    let whole = (dst.len() / each).min(src.len());
    // Source bytes whose S-byte copy ends inside `dst`.
    let wide = (dst.len().saturating_sub(S) / each + usize::from(dst.len() >= S)).min(whole);
    for (i, &b) in src[..wide].iter().enumerate() {
        dst[i * each..][..S].copy_from_slice(entry(b));
    }
    for (i, &b) in src[..whole].iter().enumerate().skip(wide) {
        dst[i * each..][..each].copy_from_slice(&entry(b)[..each]);
    }
    let rest = &mut dst[whole * each..];
    if let (false, Some(&b)) = (rest.is_empty(), src.get(whole)) {
        let n = rest.len().min(each);
        rest[..n].copy_from_slice(&entry(b)[..n]);
    }
}

/// The source bytes of [`bits_to3`] (`PER` = 2 or 4 pixels a byte) whose pixels fill whole
/// 24-byte groups of `dst` (4 source bytes, or 2): their entries merged into three 8-byte
/// stores; returns the source bytes done. With one overlapping copy a source byte instead,
/// 4-bit rows in L2 took 1.5x the 4-byte kernel's time (Zen 3), with this 0.99x.
#[inline(always)]
fn merged24<const PER: usize, const S: usize>(
    expanded3: &[u8; 8192],
    src: &[u8],
    dst: &mut [u8],
) -> usize {
    // Bytes `at..at + 8` of byte value `b`'s entry, little-endian (those past its
    // `3 * PER` bytes are zero).
    let word = |b: u8, at: usize| {
        let bytes = &expanded3[usize::from(b) * S + at..][..8];
        u64::from_le_bytes(bytes.try_into().expect("8 bytes"))
    };
    let group = 8 / PER;
    let mut done = 0;
    for (d, s) in dst.chunks_exact_mut(24).zip(src.chunks_exact(group)) {
        let words = if PER == 2 {
            // Six bytes an entry (the two after them zero).
            let [a, b, c, e] = [0, 1, 2, 3].map(|k| word(s[k], 0));
            [a | b << 48, b >> 16 | c << 32, c >> 32 | e << 16]
        } else {
            // Twelve bytes an entry (the four after them zero).
            let (a, b) = (word(s[0], 0), word(s[1], 0));
            [a, word(s[0], 8) | b << 32, b >> 32 | word(s[1], 8) << 32]
        };
        for (d, w) in d.chunks_exact_mut(8).zip(words) {
            d.copy_from_slice(&w.to_le_bytes());
        }
        done += group;
    }
    done
}

/// 16-bit rows through the 65,536-entry table (`Row::Table16`) straight into 3-byte
/// pixels: four entries merged into three word stores.
pub(super) fn table16_to3(row: &Row, src: &[u8], dst: &mut [u8]) {
    let Row::Table16(table) = row else {
        unreachable!("listed only for Row::Table16")
    };
    let entry = |s: &[u8]| {
        let px = table[usize::from(u16::from_le_bytes([s[0], s[1]]))];
        u32::from_le_bytes(px.to_ne_bytes())
    };
    let mut d12 = dst.chunks_exact_mut(12);
    let mut s8 = src.chunks_exact(8);
    for (d, s) in (&mut d12).zip(&mut s8) {
        store3(
            d,
            merge3(
                entry(&s[0..2]),
                entry(&s[2..4]),
                entry(&s[4..6]),
                entry(&s[6..8]),
            ),
        );
    }
    for (d, s) in d12
        .into_remainder()
        .chunks_exact_mut(3)
        .zip(s8.remainder().chunks_exact(2))
    {
        d.copy_from_slice(&entry(s).to_le_bytes()[..3]);
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
