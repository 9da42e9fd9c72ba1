//! RLE images: runs and literal blocks written straight into the output by table.

use super::super::rle;
use super::scalar;
use crate::format::{palette, Layout};

/// Writes RLE runs as repeated table entries.
struct TableSink<'a> {
    table: [u32; 256],
    width: usize,
    out: &'a mut [u8],
}

impl rle::Sink for TableSink<'_> {
    fn run(&mut self, row: usize, x: usize, count: usize, even: u8, odd: u8) {
        let at = (row * self.width + x) * 4;
        let dst = &mut self.out[at..at + count * 4];
        let e = self.table[usize::from(even)].to_ne_bytes();
        if even == odd {
            for d in dst.chunks_exact_mut(4) {
                d.copy_from_slice(&e);
            }
            return;
        }
        let o = self.table[usize::from(odd)].to_ne_bytes();
        for (i, d) in dst.chunks_exact_mut(4).enumerate() {
            d.copy_from_slice(if i % 2 == 0 { &e } else { &o });
        }
    }

    fn literal(&mut self, row: usize, x: usize, indices: &[u8]) {
        let at = (row * self.width + x) * 4;
        scalar::pal8(
            &self.table,
            indices,
            &mut self.out[at..at + indices.len() * 4],
        );
    }
}

/// Decodes an RLE8/RLE4 image into `out`; pixels the stream never reaches are palette entry 0.
pub(super) fn decode_rle(bmp: &[u8], layout: &Layout, out: &mut [u8]) {
    let table = palette::table(bmp, layout);
    let fill = table[0].to_ne_bytes();
    for d in out.chunks_exact_mut(4) {
        d.copy_from_slice(&fill);
    }
    let mut bytes = layout.pixel_data(bmp).iter().copied();
    let mut sink = TableSink {
        table,
        width: layout.width as usize,
        out,
    };
    rle::decode(layout, || bytes.next(), &mut sink);
}
