//! The oracle: one byte at a time through `std::io::Read`, one branch per pixel, no tables.
//!
//! Deliberately simple so that it is obviously right; every faster strategy is checked
//! against it.

use std::io::Read;

use super::rle;
use super::{layout_for, Decode, DecodeError, Dims, Limits, PixelLayout};
use crate::format::{palette, Layout, PixelFormat};

/// Byte-at-a-time reference decoder.
#[derive(Debug, Clone, Copy, Default)]
pub struct Naive;

/// Reads one byte, `None` at the end of the input.
fn read_u8<R: Read>(r: &mut R) -> Option<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b).ok().map(|()| b[0])
}

/// Reads one byte the layout guarantees to exist.
fn byte<R: Read>(r: &mut R) -> u8 {
    read_u8(r).expect("Layout guarantees the uncompressed pixel data is present")
}

/// Writes the canonical pixel `rgba` at (`x`, `row`) of `out`, in the layout `pixels`.
fn put(out: &mut [u8], layout: &Layout, pixels: PixelLayout, x: usize, row: usize, rgba: [u8; 4]) {
    let n = pixels.bytes_per_pixel();
    let at = (row * layout.width as usize + x) * n;
    out[at..at + n].copy_from_slice(&pixels.from_rgba(rgba)[..n]);
}

impl Decode for Naive {
    fn name(&self) -> &'static str {
        "naive"
    }

    fn decode_into_slice_as(
        &self,
        bmp: &[u8],
        limits: &Limits,
        pixels: PixelLayout,
        out: &mut [u8],
    ) -> Result<Dims, DecodeError> {
        let layout = layout_for(bmp, limits, pixels, out)?;
        let mut src = layout.pixel_data(bmp);
        let (w, h) = (layout.width as usize, layout.height as usize);
        match layout.format {
            PixelFormat::Rle8 | PixelFormat::Rle4 => {
                decode_rle(bmp, &layout, pixels, &mut src, out);
            }
            format => {
                for r in 0..h {
                    let row = layout.output_row(r);
                    let mut x = 0;
                    while x < w {
                        let rgba = match format {
                            PixelFormat::Indexed { bpp } => {
                                let b = byte(&mut src);
                                for k in 0..8 / bpp {
                                    if x < w {
                                        let shift = 8 - bpp * (k + 1);
                                        let index = (b >> shift) & ((1u16 << bpp) - 1) as u8;
                                        put(
                                            out,
                                            &layout,
                                            pixels,
                                            x,
                                            row,
                                            palette::entry(bmp, &layout, index as usize),
                                        );
                                        x += 1;
                                    }
                                }
                                continue;
                            }
                            PixelFormat::Bgr24 => {
                                let (b, g, r) = (byte(&mut src), byte(&mut src), byte(&mut src));
                                [r, g, b, 255]
                            }
                            PixelFormat::Bitfields { bpp, masks } => {
                                let mut px = 0u32;
                                for i in 0..u32::from(bpp) / 8 {
                                    px |= u32::from(byte(&mut src)) << (8 * i);
                                }
                                masks.rgba(px)
                            }
                            PixelFormat::Rle8 | PixelFormat::Rle4 => unreachable!(),
                        };
                        put(out, &layout, pixels, x, row, rgba);
                        x += 1;
                    }
                    if r + 1 < h {
                        for _ in layout.row_bytes..layout.stride {
                            byte(&mut src);
                        }
                    }
                }
            }
        }
        Ok(Dims {
            width: layout.width,
            height: layout.height,
        })
    }
}

/// Writes RLE pixels one at a time, looking each index up in the file's palette.
struct PixelSink<'a> {
    bmp: &'a [u8],
    layout: &'a Layout,
    pixels: PixelLayout,
    out: &'a mut [u8],
}

impl PixelSink<'_> {
    fn pixel(&mut self, row: usize, x: usize, index: u8) {
        let rgba = palette::entry(self.bmp, self.layout, usize::from(index));
        put(self.out, self.layout, self.pixels, x, row, rgba);
    }
}

impl rle::Sink for PixelSink<'_> {
    fn run(&mut self, row: usize, x: usize, count: usize, even: u8, odd: u8) {
        for i in 0..count {
            let index = if i % 2 == 0 { even } else { odd };
            self.pixel(row, x + i, index);
        }
    }

    fn literal(&mut self, row: usize, x: usize, indices: &[u8]) {
        for (i, &index) in indices.iter().enumerate() {
            self.pixel(row, x + i, index);
        }
    }
}

fn decode_rle<R: Read>(
    bmp: &[u8],
    layout: &Layout,
    pixels: PixelLayout,
    src: &mut R,
    out: &mut [u8],
) {
    let n = pixels.bytes_per_pixel();
    let fill = pixels.from_rgba(palette::entry(bmp, layout, 0));
    for px in out.chunks_exact_mut(n) {
        px.copy_from_slice(&fill[..n]);
    }
    let mut sink = PixelSink {
        bmp,
        layout,
        pixels,
        out,
    };
    rle::decode(layout, || read_u8(src), &mut sink);
}
