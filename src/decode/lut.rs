//! The fast strategy: whole rows as slices, every per-pixel decision made once up front.
//!
//! Palettes become a table of packed RGBA `u32`s (for 1/2/4-bit, a table per source byte
//! holding all the pixels that byte expands to), 16-bit pixels a 65,536-entry table,
//! 24/32-bit pixels straight byte swizzles. Safe scalar code.

use super::rle;
use super::{prepare_output, Decode, DecodeError, Dims, Limits, Origin};
use crate::format::{palette, Channel, Layout, Masks, PixelFormat};

/// Table-driven row decoder.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lut;

impl Decode for Lut {
    fn name(&self) -> &'static str {
        "lut"
    }

    fn origin(&self) -> Origin {
        Origin::Ours
    }

    fn decode_into(
        &self,
        bmp: &[u8],
        limits: &Limits,
        out: &mut Vec<u8>,
    ) -> Result<Dims, DecodeError> {
        let layout = Layout::parse(bmp, limits)?;
        prepare_output(out, layout.output_len());
        let rows = RowDecoder::new(bmp, &layout);
        match layout.format {
            PixelFormat::Rle8 | PixelFormat::Rle4 => decode_rle(bmp, &layout, out),
            _ => rows.decode_rows(bmp, &layout, out),
        }
        Ok(Dims {
            width: layout.width,
            height: layout.height,
        })
    }
}

/// One 8-bit channel lookup: `table[(px >> shift) & max]`, or the formula for wide channels.
#[derive(Debug, Clone)]
struct ChannelLut {
    channel: Channel,
    max: u32,
    table: Vec<u8>,
    absent: u8,
}

impl ChannelLut {
    fn new(channel: Channel, absent: u8) -> Self {
        let table = channel.table().unwrap_or_default();
        let max = if channel.bits == 0 {
            0
        } else {
            ((1u64 << channel.bits) - 1) as u32
        };
        ChannelLut {
            channel,
            max,
            table,
            absent,
        }
    }

    #[inline(always)]
    fn get(&self, px: u32) -> u8 {
        if self.channel.bits == 0 {
            self.absent
        } else if self.table.is_empty() {
            self.channel.extract(px, self.absent)
        } else {
            self.table[((px >> self.channel.shift) & self.max) as usize]
        }
    }
}

/// Everything needed to turn one stored row into one output row, built once per image.
enum RowDecoder {
    /// 8-bit indices.
    Pal8(Box<[u32; 256]>),
    /// 1/2/4-bit indices: `per_byte` pixels for each of the 256 byte values.
    PalBits { per_byte: usize, expanded: Vec<u32> },
    /// B, G, R bytes.
    Bgr24,
    /// B, G, R, X bytes (32-bit with the default masks); `alpha` keeps the fourth byte.
    Bgra32 { alpha: bool },
    /// Any 16-bit masks: one table over all 65,536 pixel values.
    Table16(Vec<u32>),
    /// Any other 32-bit masks.
    Masks32([ChannelLut; 4]),
    /// Run-length formats do not decode row by row.
    Rle,
}

impl RowDecoder {
    fn new(bmp: &[u8], layout: &Layout) -> Self {
        match layout.format {
            PixelFormat::Indexed { bpp: 8 } => {
                RowDecoder::Pal8(Box::new(palette::table(bmp, layout)))
            }
            PixelFormat::Indexed { bpp } => {
                let table = palette::table(bmp, layout);
                let per_byte = usize::from(8 / bpp);
                let mask = (1u8 << bpp) - 1;
                let mut expanded = Vec::with_capacity(256 * per_byte);
                for byte in 0..=255u8 {
                    for k in 0..per_byte {
                        let shift = 8 - bpp as usize * (k + 1);
                        expanded.push(table[usize::from((byte >> shift) & mask)]);
                    }
                }
                RowDecoder::PalBits { per_byte, expanded }
            }
            PixelFormat::Bgr24 => RowDecoder::Bgr24,
            PixelFormat::Bitfields { bpp: 16, masks } => {
                let table = (0..=u16::MAX)
                    .map(|px| u32::from_ne_bytes(masks.rgba(u32::from(px))))
                    .collect();
                RowDecoder::Table16(table)
            }
            PixelFormat::Bitfields { masks, .. } => {
                let [r, g, b, _] = Masks::RGB888;
                let byte_aligned =
                    masks.r.mask() == r && masks.g.mask() == g && masks.b.mask() == b;
                if byte_aligned && (masks.a.is_absent() || masks.a.mask() == 0xff00_0000) {
                    RowDecoder::Bgra32 {
                        alpha: !masks.a.is_absent(),
                    }
                } else {
                    RowDecoder::Masks32([
                        ChannelLut::new(masks.r, 0),
                        ChannelLut::new(masks.g, 0),
                        ChannelLut::new(masks.b, 0),
                        ChannelLut::new(masks.a, 255),
                    ])
                }
            }
            PixelFormat::Rle8 | PixelFormat::Rle4 => RowDecoder::Rle,
        }
    }

    /// Decodes every stored row of an uncompressed image into `out`.
    fn decode_rows(&self, bmp: &[u8], layout: &Layout, out: &mut [u8]) {
        let data = layout.pixel_data(bmp);
        let out_row = layout.width as usize * 4;
        for r in 0..layout.height as usize {
            let src = &data[r * layout.stride..][..layout.row_bytes];
            let at = layout.output_row(r) * out_row;
            self.decode_row(src, &mut out[at..at + out_row]);
        }
    }

    /// Decodes one stored row (`row_bytes` long, no padding) into `dst` (`width * 4` long).
    #[inline]
    fn decode_row(&self, src: &[u8], dst: &mut [u8]) {
        match self {
            RowDecoder::Pal8(table) => {
                for (d, &i) in dst.chunks_exact_mut(4).zip(src) {
                    d.copy_from_slice(&table[usize::from(i)].to_ne_bytes());
                }
            }
            RowDecoder::PalBits { per_byte, expanded } => {
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
            RowDecoder::Bgr24 => {
                for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(3)) {
                    d.copy_from_slice(&[s[2], s[1], s[0], 255]);
                }
            }
            RowDecoder::Bgra32 { alpha } => {
                for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                    let a = if *alpha { s[3] } else { 255 };
                    d.copy_from_slice(&[s[2], s[1], s[0], a]);
                }
            }
            RowDecoder::Table16(table) => {
                for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(2)) {
                    let px = u16::from_le_bytes([s[0], s[1]]);
                    d.copy_from_slice(&table[usize::from(px)].to_ne_bytes());
                }
            }
            RowDecoder::Masks32(ch) => {
                for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                    let px = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
                    d.copy_from_slice(&[
                        ch[0].get(px),
                        ch[1].get(px),
                        ch[2].get(px),
                        ch[3].get(px),
                    ]);
                }
            }
            RowDecoder::Rle => unreachable!("RLE images are not decoded row by row"),
        }
    }
}

/// Writes RLE runs as repeated table entries.
struct TableSink<'a> {
    table: [u32; 256],
    width: usize,
    out: &'a mut [u8],
}

impl rle::Sink for TableSink<'_> {
    fn run(&mut self, row: usize, x: usize, count: usize, even: u8, odd: u8) {
        let at = (row * self.width + x) * 4;
        let (e, o) = (
            self.table[usize::from(even)].to_ne_bytes(),
            self.table[usize::from(odd)].to_ne_bytes(),
        );
        for (i, d) in self.out[at..at + count * 4].chunks_exact_mut(4).enumerate() {
            d.copy_from_slice(if i % 2 == 0 { &e } else { &o });
        }
    }

    fn pixel(&mut self, row: usize, x: usize, index: u8) {
        let at = (row * self.width + x) * 4;
        self.out[at..at + 4].copy_from_slice(&self.table[usize::from(index)].to_ne_bytes());
    }
}

fn decode_rle(bmp: &[u8], layout: &Layout, out: &mut [u8]) {
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
