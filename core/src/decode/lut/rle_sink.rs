//! RLE images: runs and literal blocks written straight into the output by table.

use super::super::rle;
use super::palette::ordered;
use super::scalar;
use crate::format::{palette, Layout, PixelLayout};

/// Writes RLE runs as repeated table entries, `bytes` (4 or 3) a pixel.
struct TableSink<'a> {
    table: [u32; 256],
    width: usize,
    bytes: usize,
    out: &'a mut [u8],
}

impl rle::Sink for TableSink<'_> {
    fn run(&mut self, row: usize, x: usize, count: usize, even: u8, odd: u8) {
        let n = self.bytes;
        let at = (row * self.width + x) * n;
        let dst = &mut self.out[at..at + count * n];
        let e = self.table[usize::from(even)].to_ne_bytes();
        if even == odd {
            for d in dst.chunks_exact_mut(n) {
                d.copy_from_slice(&e[..n]);
            }
            return;
        }
        let o = self.table[usize::from(odd)].to_ne_bytes();
        for (i, d) in dst.chunks_exact_mut(n).enumerate() {
            d.copy_from_slice(if i % 2 == 0 { &e[..n] } else { &o[..n] });
        }
    }

    fn literal(&mut self, row: usize, x: usize, indices: &[u8]) {
        let n = self.bytes;
        let at = (row * self.width + x) * n;
        let dst = &mut self.out[at..at + indices.len() * n];
        if n == 4 {
            scalar::pal8(&self.table, indices, dst);
            return;
        }
        for (d, &i) in dst.chunks_exact_mut(n).zip(indices) {
            d.copy_from_slice(&self.table[usize::from(i)].to_ne_bytes()[..n]);
        }
    }
}

/// Decodes an RLE8/RLE4 image into `out` in the layout `pixels`; pixels the stream never
/// reaches are palette entry 0.
pub(super) fn decode_rle(bmp: &[u8], layout: &Layout, pixels: PixelLayout, out: &mut [u8]) {
    let table = ordered(palette::table(bmp, layout), pixels.blue_first());
    let n = pixels.bytes_per_pixel();
    let fill = table[0].to_ne_bytes();
    for d in out.chunks_exact_mut(n) {
        d.copy_from_slice(&fill[..n]);
    }
    let mut bytes = layout.pixel_data(bmp).iter().copied();
    let mut sink = TableSink {
        table,
        width: layout.width as usize,
        bytes: n,
        out,
    };
    rle::decode(layout, || bytes.next(), &mut sink);
}
