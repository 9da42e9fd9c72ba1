//! RLE images: runs and literal blocks written straight into the output by table.

use super::super::rle;
use super::palette::ordered;
use super::scalar;
use crate::format::{palette, Layout, PixelLayout};

/// Writes RLE runs as repeated table entries, `N` bytes (4 or 3) a pixel. Generic so that
/// every store has a size known at compile time (a run-time size cost a `memcpy` call a
/// pixel: 26 ms instead of about 1 ms for the 1600×1200 RLE8 fixture).
struct TableSink<'a, const N: usize> {
    table: [u32; 256],
    width: usize,
    out: &'a mut [u8],
}

/// Fills `dst` (whole `N`-byte pixels) with pixels alternating `even`, `odd`, starting with
/// `even`: eight pixels are laid out once, then copied a block at a time.
#[inline]
fn fill<const N: usize>(dst: &mut [u8], even: [u8; 4], odd: [u8; 4]) {
    let mut block = [0u8; 32];
    for (i, px) in block[..8 * N].chunks_exact_mut(N).enumerate() {
        px.copy_from_slice(&if i % 2 == 0 { even } else { odd }[..N]);
    }
    let mut blocks = dst.chunks_exact_mut(8 * N);
    for b in &mut blocks {
        b.copy_from_slice(&block[..8 * N]);
    }
    let tail = blocks.into_remainder();
    let len = tail.len();
    tail.copy_from_slice(&block[..len]);
}

impl<const N: usize> rle::Sink for TableSink<'_, N> {
    fn run(&mut self, row: usize, x: usize, count: usize, even: u8, odd: u8) {
        let at = (row * self.width + x) * N;
        let e = self.table[usize::from(even)].to_ne_bytes();
        let o = self.table[usize::from(odd)].to_ne_bytes();
        fill::<N>(&mut self.out[at..at + count * N], e, o);
    }

    fn skip(&mut self, row: usize, x: usize, count: usize) {
        self.run(row, x, count, 0, 0);
    }

    fn literal(&mut self, row: usize, x: usize, indices: &[u8]) {
        let at = (row * self.width + x) * N;
        let dst = &mut self.out[at..at + indices.len() * N];
        if N == 4 {
            scalar::pal8(&self.table, indices, dst);
            return;
        }
        for (d, &i) in dst.chunks_exact_mut(N).zip(indices) {
            d.copy_from_slice(&self.table[usize::from(i)].to_ne_bytes()[..N]);
        }
    }
}

/// Decodes an RLE8/RLE4 image into `out` in the layout `pixels`, writing each pixel once
/// (those the stream passes over are palette entry 0).
pub(super) fn decode_rle(bmp: &[u8], layout: &Layout, pixels: PixelLayout, out: &mut [u8]) {
    let table = ordered(palette::table(bmp, layout), pixels.blue_first());
    if pixels.bytes_per_pixel() == 4 {
        decode_rle_as::<4>(bmp, layout, table, out);
    } else {
        decode_rle_as::<3>(bmp, layout, table, out);
    }
}

fn decode_rle_as<const N: usize>(bmp: &[u8], layout: &Layout, table: [u32; 256], out: &mut [u8]) {
    let mut bytes = layout.pixel_data(bmp).iter().copied();
    let mut sink = TableSink::<N> {
        table,
        width: layout.width as usize,
        out,
    };
    rle::decode(layout, || bytes.next(), &mut sink);
}
