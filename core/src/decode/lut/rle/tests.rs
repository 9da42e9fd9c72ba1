//! The fast path against the checked path alone and against the oracle (`naive`), on seeded
//! random RLE streams built to land on the fast path's edges.

use super::{decode, literal_row, literal_table, parse_at, At, Band, Literals};
use crate::decode::{Decode, Naive};
use crate::format::{Layout, Limits, PixelLayout};
use crate::Kernels;

/// xorshift64: deterministic, seeded.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A bottom-up BI_RLE8 (`four` false) or BI_RLE4 file of `w` × `h` with a full palette of
/// distinct colours and `stream` as its pixel data.
fn rle_file(four: bool, w: u32, h: u32, stream: &[u8]) -> Vec<u8> {
    let entries = if four { 16 } else { 256 };
    let offset = 14 + 40 + 4 * entries;
    let mut b = Vec::new();
    b.extend_from_slice(b"BM");
    b.extend_from_slice(&((offset + stream.len()) as u32).to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&(offset as u32).to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&w.to_le_bytes());
    b.extend_from_slice(&h.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&(if four { 4u16 } else { 8 }).to_le_bytes());
    b.extend_from_slice(&(if four { 2u32 } else { 1 }).to_le_bytes());
    b.extend_from_slice(&(stream.len() as u32).to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&(entries as u32).to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    for i in (0..entries).map(|i| i as u8) {
        b.extend_from_slice(&[i, 255 - i, i.wrapping_mul(7) ^ 0x55, 0]);
    }
    b.extend_from_slice(stream);
    b
}

/// A random stream for a `w`-pixel-wide image: runs and absolute blocks that end exactly at
/// the row's end, just before or past it, or near where whole stores stop fitting, short and
/// long ones, odd RLE4 counts, deltas, end-of-line, an early end-of-bitmap, and sometimes
/// cut anywhere.
fn stream(rng: &mut Rng, four: bool, w: usize) -> Vec<u8> {
    let mut s = Vec::new();
    let mut x = 0usize;
    for _ in 0..rng.below(200) {
        let left = w.saturating_sub(x);
        let count = match rng.below(8) {
            0 => left,
            1 => left + 1,
            2 => left.saturating_sub(rng.below(12)),
            3 => rng.below(12) + 1,
            4 => rng.below(40) + 1,
            _ => rng.below(255) + 1,
        }
        .clamp(1, 255);
        match rng.below(16) {
            0..=6 => s.extend([count as u8, rng.next() as u8]),
            7..=12 if count >= 3 => {
                s.extend([0, count as u8]);
                let bytes = if four { count.div_ceil(2) } else { count };
                s.extend((0..bytes + bytes % 2).map(|_| rng.next() as u8));
            }
            13 => {
                s.extend([0, 0]);
                x = 0;
                continue;
            }
            14 => {
                let (dx, dy) = (rng.below(20), rng.below(3));
                s.extend([0, 2, dx as u8, dy as u8]);
                x = if dy > 0 { dx } else { x + dx };
                continue;
            }
            15 if rng.below(8) == 0 => s.extend([0, 1]),
            _ => continue,
        }
        x += count;
        if x >= w && rng.below(2) == 0 {
            s.extend([0, 0]);
            x = 0;
        }
    }
    if rng.below(3) == 0 && !s.is_empty() {
        s.truncate(rng.below(s.len()) + 1);
    }
    s
}

/// Decodes each band of `per` stored rows on its own, its start walked to from the
/// stream's start (what a thread does that knows no band start but the first).
fn each_band_walked(
    bmp: &[u8],
    layout: &Layout,
    pixels: PixelLayout,
    level: Kernels,
    out: &mut [u8],
    per: usize,
) {
    let (four, table) = literal_table(bmp, layout, pixels);
    let row = literal_row(four, table);
    let data = layout.pixel_data(bmp);
    let mut lit = Literals::new::<true>(data, four, table, &row, level, pixels);
    let h = layout.height as usize;
    let row_len = layout.output_row_len(pixels);
    for y0 in (0..h).step_by(per) {
        let rows = y0..(y0 + per).min(h);
        let mut at = At::START;
        let mut none = Band::new(layout, pixels, &mut [], 0..y0);
        at = parse_at::<true, false>(layout, &mut lit, &mut none, at);
        let (first, last) = Band::output_rows(layout, &rows);
        let band_out = &mut out[first * row_len..last * row_len];
        let mut band = Band::new(layout, pixels, band_out, rows);
        parse_at::<true, true>(layout, &mut lit, &mut band, at);
    }
}

#[test]
fn fast_path_writes_what_the_checked_path_and_naive_write() {
    let mut rng = Rng(0x5eed_0f2c_1e5a_u64);
    let limits = Limits::default();
    let levels: Vec<Kernels> = Kernels::ALL.into_iter().filter(|k| k.supported()).collect();
    // Fewer under Miri (which checks the unsafe stores and reads), all of them otherwise.
    for i in 0..if cfg!(miri) { 24 } else { 600 } {
        let four = i % 2 == 1;
        // Narrow rows (no whole store fits in 3-byte rows below 11 pixels, in 4-byte rows
        // below 8) and wide ones.
        let w = match i % 3 {
            0 => rng.below(16) + 1,
            1 => rng.below(80) + 1,
            _ => rng.below(700) + 1,
        };
        let h = rng.below(6) + 1;
        let s = stream(&mut rng, four, w);
        if s.is_empty() {
            continue;
        }
        let bmp = rle_file(four, w as u32, h as u32, &s);
        let layout = Layout::parse(&bmp, &limits).unwrap();
        for pixels in PixelLayout::ALL {
            let len = w * h * pixels.bytes_per_pixel();
            let mut want = vec![0x5a; len];
            Naive
                .decode_into_slice_as(&bmp, &limits, pixels, &mut want)
                .unwrap();
            for &level in &levels {
                let mut checked = vec![0xa5; len];
                decode::<false>(&bmp, &layout, pixels, level, &mut checked, None, 1);
                let mut fast = vec![0x3c; len];
                decode::<true>(&bmp, &layout, pixels, level, &mut fast, None, 1);
                let what = format!("stream {i} ({w}x{h}, four {four}) {pixels} {level:?}: {s:?}");
                assert!(checked == want, "checked path differs from naive: {what}");
                assert!(fast == want, "fast path differs from naive: {what}");
                // In bands, each band's start walked to (on one thread: from the band
                // before; on more: from wherever another thread got to).
                for per in 1..=h {
                    let mut walked = vec![0x66; len];
                    each_band_walked(&bmp, &layout, pixels, level, &mut walked, per);
                    assert!(walked == want, "bands of {per} rows, each walked to from the start, differ from naive: {what}");
                }
                for (per, threads) in [(1, 1), (2, 1), (1, 2), (2, 3), (h, 2)] {
                    let mut banded = vec![0x77; len];
                    decode::<true>(
                        &bmp,
                        &layout,
                        pixels,
                        level,
                        &mut banded,
                        Some(per),
                        threads,
                    );
                    assert!(
                        banded == want,
                        "bands of {per} rows on {threads} threads differ from naive: {what}"
                    );
                }
            }
        }
    }
}
