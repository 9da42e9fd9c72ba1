//! Writing a [`Spec`] as the bytes of a BMP file: file and info headers, masks, palette,
//! then padded rows or the RLE stream.

use super::pattern::{channel, colour, hash, index_at, palette_rgba, quantize};
use super::rle::{rle_cells, rle_stream};
use super::{bits_per_pixel, check, palette_len, Header, Kind, Spec};
use shmbmp::format::FILE_HEADER_LEN;

/// Appends `v` little-endian.
fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends `v` little-endian.
fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Writes the uncompressed pixel rows (stored order, each padded to 4 bytes) into `out`.
fn write_rows(spec: &Spec, out: &mut Vec<u8>) {
    let (w, h) = (spec.width, spec.height);
    let bpp = u32::from(bits_per_pixel(spec.kind));
    let row_bytes = (w as usize * bpp as usize).div_ceil(8);
    let stride = (w as usize * bpp as usize).div_ceil(32) * 4;
    for s in 0..h {
        let y = if spec.top_down { s } else { h - 1 - s };
        let start = out.len();
        match spec.kind {
            Kind::Indexed { bpp, colors, stray } => {
                if bpp == 8 {
                    out.extend((0..w).map(|x| index_at(x, y, w, h, 8, colors, stray) as u8));
                } else {
                    let per_byte = 8 / u32::from(bpp);
                    for x0 in (0..w).step_by(per_byte as usize) {
                        let mut byte = 0u8;
                        for k in 0..per_byte.min(w - x0) {
                            let i = index_at(x0 + k, y, w, h, bpp, colors, stray) as u8;
                            byte |= i << (8 - u32::from(bpp) * (k + 1));
                        }
                        out.push(byte);
                    }
                }
            }
            Kind::Rgb16 => {
                for x in 0..w {
                    let [r, g, b, _] = colour(x, y, w, h);
                    let top = (hash(x, y) >> 20) & 1; // unused bit: noise to be ignored
                    let px = (top << 15)
                        | (quantize(r, 5) << 10)
                        | (quantize(g, 5) << 5)
                        | quantize(b, 5);
                    put16(out, px as u16);
                }
            }
            Kind::Bitfields { bpp, masks } => {
                let ch = masks.map(channel);
                for x in 0..w {
                    let c = colour(x, y, w, h);
                    let mut px = 0u32;
                    for (k, &(shift, bits)) in ch.iter().enumerate() {
                        if bits > 0 {
                            px |= quantize(c[k], bits) << shift;
                        }
                    }
                    if bpp == 16 {
                        put16(out, px as u16);
                    } else {
                        put32(out, px);
                    }
                }
            }
            Kind::Rgb24 => {
                for x in 0..w {
                    let [r, g, b, _] = colour(x, y, w, h);
                    out.extend([b, g, r]);
                }
            }
            Kind::Rgb32 => {
                for x in 0..w {
                    let [r, g, b, _] = colour(x, y, w, h);
                    let reserved = (hash(x, y) >> 24) as u8 & 0xfe; // never 255
                    out.extend([b, g, r, reserved]);
                }
            }
            Kind::Rle8 { .. } | Kind::Rle4 { .. } => unreachable!("RLE has no rows"),
        }
        debug_assert_eq!(out.len() - start, row_bytes);
        out.resize(start + stride, 0);
    }
}

/// Writes a complete BMP file for `spec`.
///
/// Header fields are computed, never assumed: `bfSize` is the file's length, `bfOffBits`
/// the end of headers, masks and palette, `biSizeImage` the pixel data's length (the RLE
/// stream's length for RLE), `biClrUsed` the palette length. Rows are padded to 4 bytes
/// with zeros. Masks go inside V3/V4/V5 headers, or after a 40-byte header (BI_BITFIELDS).
///
/// # Panics
/// When `spec` is not a valid BMP (e.g. top-down RLE, an alpha mask with a 40-byte header,
/// a short palette with the core header).
pub fn encode(spec: &Spec) -> Vec<u8> {
    check(spec);
    let (w, h) = (spec.width, spec.height);
    let (compression, masks) = match spec.kind {
        Kind::Rle8 { .. } => (1u32, None),
        Kind::Rle4 { .. } => (2, None),
        Kind::Bitfields { masks, .. } => (3, Some(masks)),
        _ => (0, None),
    };
    let data = match spec.kind {
        Kind::Rle8 { colors } | Kind::Rle4 { colors } => {
            let cells = rle_cells(w, h, colors);
            let four_bit = matches!(spec.kind, Kind::Rle4 { .. });
            rle_stream(&cells, w as usize, h as usize, four_bit).0
        }
        _ => {
            let mut rows = Vec::new();
            write_rows(spec, &mut rows);
            rows
        }
    };
    let palette = palette_rgba(palette_len(spec.kind));
    RawFile {
        header: spec.header,
        width: w as i32,
        height: if spec.top_down { -(h as i32) } else { h as i32 },
        bpp: bits_per_pixel(spec.kind),
        compression,
        masks,
        palette: &palette,
        data: &data,
    }
    .encode()
}

/// A BMP file from its parts as given, for inputs the fixtures never produce (hand-made RLE
/// streams, hostile masks, lying fields patched in afterwards). [`encode`] writes every
/// fixture through it, so there is one BMP writer.
#[derive(Debug, Clone, Copy)]
pub struct RawFile<'a> {
    /// The info header written.
    pub header: Header,
    /// `biWidth` (written as u16 in the core header).
    pub width: i32,
    /// `biHeight`: negative for top-down (written as u16 in the core header).
    pub height: i32,
    /// `biBitCount`.
    pub bpp: u16,
    /// `biCompression` (not written in the core header).
    pub compression: u32,
    /// `[red, green, blue, alpha]` masks: after a 40-byte header the first three follow it,
    /// V3/V4/V5 headers hold all four; `None` writes none (zeros inside V3+ headers).
    pub masks: Option<[u32; 4]>,
    /// Palette entries as RGBA (written B, G, R and a zero byte, or B, G, R in the core
    /// header); `biClrUsed` is their count.
    pub palette: &'a [[u8; 4]],
    /// The pixel data, written right after the palette; `biSizeImage` is its length.
    pub data: &'a [u8],
}

impl RawFile<'_> {
    /// The bytes of the file.
    pub fn encode(&self) -> Vec<u8> {
        let core = self.header == Header::Core;
        let entry = if core { 3 } else { 4 };
        let masks_after = if self.header == Header::Info && self.masks.is_some() {
            12
        } else {
            0
        };
        let pal_len = self.palette.len() as u32;
        let data_offset =
            FILE_HEADER_LEN as u32 + self.header.size() + masks_after + pal_len * entry;
        let file_size = u64::from(data_offset) + self.data.len() as u64;
        let file_size32 = u32::try_from(file_size).expect("BMP larger than 4 GiB");

        let mut out = Vec::with_capacity(file_size as usize);
        out.extend_from_slice(b"BM");
        put32(&mut out, file_size32);
        put32(&mut out, 0); // reserved
        put32(&mut out, data_offset);

        put32(&mut out, self.header.size());
        if core {
            put16(&mut out, self.width as u16);
            put16(&mut out, self.height as u16);
            put16(&mut out, 1);
            put16(&mut out, self.bpp);
        } else {
            put32(&mut out, self.width as u32);
            put32(&mut out, self.height as u32);
            put16(&mut out, 1);
            put16(&mut out, self.bpp);
            put32(&mut out, self.compression);
            put32(&mut out, self.data.len() as u32);
            put32(&mut out, 2835); // 72 dpi
            put32(&mut out, 2835);
            put32(&mut out, pal_len);
            put32(&mut out, 0); // all colours important
            let m = self.masks.unwrap_or([0; 4]);
            match self.header {
                Header::Info => {
                    if self.masks.is_some() {
                        m[..3].iter().for_each(|&v| put32(&mut out, v));
                    }
                }
                Header::V3 | Header::V4 | Header::V5 => {
                    m.iter().for_each(|&v| put32(&mut out, v));
                    if self.header != Header::V3 {
                        put32(&mut out, 0x7352_4742); // 'sRGB'
                        out.extend_from_slice(&[0; 36 + 12]); // endpoints, gamma
                    }
                    if self.header == Header::V5 {
                        put32(&mut out, 4); // LCS_GM_IMAGES
                        put32(&mut out, 0); // profile data
                        put32(&mut out, 0); // profile size
                        put32(&mut out, 0); // reserved
                    }
                }
                Header::Core => unreachable!("handled above"),
            }
        }
        for [r, g, b, _] in self.palette {
            out.extend_from_slice(&[*b, *g, *r]);
            if entry == 4 {
                out.push(0);
            }
        }
        debug_assert_eq!(out.len(), data_offset as usize);
        out.extend_from_slice(self.data);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{fixtures, seed_frame};

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    #[test]
    fn seed_frame_is_the_posts_frame() {
        let b = seed_frame();
        assert_eq!(b.len(), 1_921_078);
        assert_eq!(&b[..2], b"BM");
        assert_eq!(u32_at(&b, 2), 1_921_078, "bfSize");
        assert_eq!(u32_at(&b, 6), 0, "reserved");
        assert_eq!(u32_at(&b, 10), 14 + 40 + 1024, "bfOffBits");
        assert_eq!(u32_at(&b, 14), 40, "biSize");
        assert_eq!(u32_at(&b, 18), 1600, "biWidth");
        assert_eq!(
            u32_at(&b, 22) as i32,
            1200,
            "biHeight (positive: bottom-up)"
        );
        assert_eq!(u16_at(&b, 26), 1, "biPlanes");
        assert_eq!(u16_at(&b, 28), 8, "biBitCount");
        assert_eq!(u32_at(&b, 30), 0, "biCompression BI_RGB");
        assert_eq!(u32_at(&b, 34), 1600 * 1200, "biSizeImage");
        assert_eq!(u32_at(&b, 46), 256, "biClrUsed");
        // The palette has 256 distinct entries and the frame uses most of them.
        let pal: std::collections::HashSet<_> = b[54..1078].chunks(4).collect();
        assert_eq!(pal.len(), 256);
        let used: std::collections::HashSet<_> = b[1078..].iter().collect();
        assert!(used.len() > 200, "only {} indices used", used.len());
    }

    /// Header fields every fixture must get right, checked against the bytes themselves.
    #[test]
    fn headers_are_consistent() {
        for f in fixtures() {
            let b = encode(&f.spec);
            let s = f.spec;
            assert_eq!(u32_at(&b, 2) as usize, b.len(), "{}: bfSize", f.name);
            let off = u32_at(&b, 10) as usize;
            let hsize = u32_at(&b, 14);
            assert_eq!(hsize, s.header.size(), "{}", f.name);
            let entry = if s.header == Header::Core { 3 } else { 4 };
            let masks = match (s.header, s.kind) {
                (Header::Info, Kind::Bitfields { .. }) => 12,
                _ => 0,
            };
            let pal = palette_len(s.kind) as usize;
            assert_eq!(off, 14 + hsize as usize + masks + pal * entry, "{}", f.name);
            if s.header != Header::Core {
                assert_eq!(
                    u32_at(&b, 34) as usize,
                    b.len() - off,
                    "{}: biSizeImage",
                    f.name
                );
                assert_eq!(u32_at(&b, 46) as usize, pal, "{}: biClrUsed", f.name);
                assert_eq!((u32_at(&b, 22) as i32) < 0, s.top_down, "{}", f.name);
            }
            if !matches!(s.kind, Kind::Rle8 { .. } | Kind::Rle4 { .. }) {
                let bits = s.width as usize * usize::from(bits_per_pixel(s.kind));
                let stride = bits.div_ceil(32) * 4;
                assert_eq!(stride % 4, 0);
                assert_eq!(b.len() - off, stride * s.height as usize, "{}", f.name);
            }
        }
    }
}
