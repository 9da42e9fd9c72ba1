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

/// `rgba` with red and blue exchanged when `BLUE` (the layouts' own rule, fixed at compile
/// time).
#[inline]
fn order<const BLUE: bool>(rgba: [u8; 4]) -> [u8; 4] {
    let blue_first = if BLUE {
        PixelLayout::Bgra
    } else {
        PixelLayout::Rgba
    };
    blue_first.from_rgba(rgba)
}

/// Writes the canonical pixel `rgba` at (`x`, `row`) of `out`, `N` bytes a pixel (4 or 3),
/// blue first when `BLUE`. Generic so that each layout's loop is its own, with fixed-size
/// stores (a layout chosen per pixel cost the oracle 1.5× its time).
#[inline]
fn put<const N: usize, const BLUE: bool>(
    out: &mut [u8],
    layout: &Layout,
    x: usize,
    row: usize,
    rgba: [u8; 4],
) {
    let px = order::<BLUE>(rgba);
    let i = row * layout.width as usize + x;
    out[i * N..i * N + N].copy_from_slice(&px[..N]);
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
        match pixels {
            PixelLayout::Rgba => decode_as::<4, false>(bmp, &layout, out),
            PixelLayout::Bgra => decode_as::<4, true>(bmp, &layout, out),
            PixelLayout::Rgb => decode_as::<3, false>(bmp, &layout, out),
            PixelLayout::Bgr => decode_as::<3, true>(bmp, &layout, out),
        }
        Ok(Dims {
            width: layout.width,
            height: layout.height,
        })
    }
}

/// Decodes the image `layout` describes into `out`, `N` bytes a pixel, blue first when `BLUE`.
fn decode_as<const N: usize, const BLUE: bool>(bmp: &[u8], layout: &Layout, out: &mut [u8]) {
    let layout = *layout;
    let mut src = layout.pixel_data(bmp);
    let (w, h) = (layout.width as usize, layout.height as usize);
    match layout.format {
        PixelFormat::Rle8 | PixelFormat::Rle4 => {
            decode_rle::<_, N, BLUE>(bmp, &layout, &mut src, out);
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
                                    put::<N, BLUE>(
                                        out,
                                        &layout,
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
                    put::<N, BLUE>(out, &layout, x, row, rgba);
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
}

/// Writes RLE pixels one at a time, looking each index up in the file's palette.
struct PixelSink<'a, const N: usize, const BLUE: bool> {
    bmp: &'a [u8],
    layout: &'a Layout,
    out: &'a mut [u8],
}

impl<const N: usize, const BLUE: bool> PixelSink<'_, N, BLUE> {
    fn pixel(&mut self, row: usize, x: usize, index: u8) {
        let rgba = palette::entry(self.bmp, self.layout, usize::from(index));
        put::<N, BLUE>(self.out, self.layout, x, row, rgba);
    }
}

impl<const N: usize, const BLUE: bool> rle::Sink for PixelSink<'_, N, BLUE> {
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

    fn skip(&mut self, row: usize, x: usize, count: usize) {
        for i in 0..count {
            self.pixel(row, x + i, 0);
        }
    }
}

fn decode_rle<R: Read, const N: usize, const BLUE: bool>(
    bmp: &[u8],
    layout: &Layout,
    src: &mut R,
    out: &mut [u8],
) {
    let mut sink = PixelSink::<N, BLUE> { bmp, layout, out };
    rle::decode(layout, || read_u8(src), &mut sink);
}
