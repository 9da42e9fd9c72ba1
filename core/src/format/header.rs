//! Every BMP header variant parsed and validated into one [`Layout`].
//!
//! This is the only place that knows where BMP fields live. Decoders get a `Layout`
//! and never look at header bytes themselves.

use super::limits::Limits;
use super::masks::Masks;
use super::pixel_layout::PixelLayout;
use crate::error::DecodeError;

/// Size of the `BITMAPFILEHEADER` that starts every BMP file.
pub const FILE_HEADER_LEN: usize = 14;

/// Byte offsets of header fields from the start of the file: the one place they are written
/// down (the parser, the encoder, the adapters' guard and the tests all use these).
pub mod offset {
    /// `bfType`: the magic `BM`.
    pub const MAGIC: usize = 0;
    /// `bfSize`: the file's length as the writer declared it (u32).
    pub const FILE_SIZE: usize = 2;
    /// `bfOffBits`: where the pixel data starts (u32).
    pub const DATA_OFFSET: usize = 10;
    /// The info header's size, its first field (u32): which header this is.
    pub const HEADER_SIZE: usize = 14;
    /// `biWidth` (i32; u16 `bcWidth` in the 12-byte core header).
    pub const WIDTH: usize = 18;
    /// `biHeight` (i32, negative for top-down).
    pub const HEIGHT: usize = 22;
    /// `biPlanes` (u16).
    pub const PLANES: usize = 26;
    /// `biBitCount` (u16).
    pub const BIT_COUNT: usize = 28;
    /// `biCompression` (u32).
    pub const COMPRESSION: usize = 30;
    /// `biSizeImage` (u32).
    pub const IMAGE_SIZE: usize = 34;
    /// `biClrUsed` (u32): palette entries.
    pub const COLORS_USED: usize = 46;
    /// Where masks follow a 40-byte `BITMAPINFOHEADER` (BI_BITFIELDS), or where the masks
    /// of V2+ headers sit inside theirs.
    pub const MASKS: usize = 54;
    /// `bcHeight` of the 12-byte OS/2 core header (u16).
    pub const CORE_HEIGHT: usize = 20;
    /// `bcPlanes` of the core header (u16).
    pub const CORE_PLANES: usize = 22;
    /// `bcBitCount` of the core header (u16).
    pub const CORE_BIT_COUNT: usize = 24;
}

/// Which info header the file carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKind {
    /// OS/2 1.x `BITMAPCOREHEADER` (12 bytes): 16-bit dimensions, 3-byte palette entries.
    Core,
    /// OS/2 2.x `BITMAPINFOHEADER2` (16 to 64 bytes, possibly truncated).
    Os2 {
        /// The header size the file declares.
        size: u32,
    },
    /// Windows `BITMAPINFOHEADER` (40 bytes).
    Info,
    /// `BITMAPV2INFOHEADER` (52 bytes): RGB masks in the header.
    V2,
    /// `BITMAPV3INFOHEADER` (56 bytes): RGBA masks in the header.
    V3,
    /// `BITMAPV4HEADER` (108 bytes).
    V4,
    /// `BITMAPV5HEADER` (124 bytes).
    V5,
}

impl HeaderKind {
    fn from_size(size: u32) -> Option<Self> {
        Some(match size {
            12 => HeaderKind::Core,
            40 => HeaderKind::Info,
            52 => HeaderKind::V2,
            56 => HeaderKind::V3,
            108 => HeaderKind::V4,
            124 => HeaderKind::V5,
            16..=64 => HeaderKind::Os2 { size },
            _ => return None,
        })
    }

    /// Human name of the header, e.g. `BITMAPINFOHEADER (40 bytes)`.
    pub fn describe(&self) -> String {
        match self {
            HeaderKind::Core => "OS/2 BITMAPCOREHEADER (12 bytes)".into(),
            HeaderKind::Os2 { size } => format!("OS/2 BITMAPINFOHEADER2 ({size} bytes)"),
            HeaderKind::Info => "BITMAPINFOHEADER (40 bytes)".into(),
            HeaderKind::V2 => "BITMAPV2INFOHEADER (52 bytes)".into(),
            HeaderKind::V3 => "BITMAPV3INFOHEADER (56 bytes)".into(),
            HeaderKind::V4 => "BITMAPV4HEADER (108 bytes)".into(),
            HeaderKind::V5 => "BITMAPV5HEADER (124 bytes)".into(),
        }
    }
}

/// How pixels are stored after the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// Palette indices of 1, 2, 4 or 8 bits, most significant bits first.
    Indexed {
        /// Bits per pixel.
        bpp: u8,
    },
    /// BI_RLE8 run-length coded 8-bit indices.
    Rle8,
    /// BI_RLE4 run-length coded 4-bit indices.
    Rle4,
    /// 24-bit B, G, R bytes.
    Bgr24,
    /// 16- or 32-bit little-endian pixels split by masks (BI_RGB 16/32 use the default masks).
    Bitfields {
        /// Bits per pixel: 16 or 32.
        bpp: u8,
        /// The validated channel masks.
        masks: Masks,
    },
}

impl PixelFormat {
    /// True for formats whose pixels are palette indices.
    pub fn uses_palette(&self) -> bool {
        matches!(
            self,
            PixelFormat::Indexed { .. } | PixelFormat::Rle8 | PixelFormat::Rle4
        )
    }
}

/// Where the colour table is in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PaletteRange {
    /// Offset of the first entry.
    pub offset: usize,
    /// Bytes per entry: 3 (core header) or 4.
    pub entry_size: usize,
    /// Entries present in the file (at most 256; indices past it read as opaque black).
    pub len: usize,
}

/// A validated BMP: everything a decoder needs, nothing it must re-check.
///
/// Guarantees: `width`, `height` ≥ 1 and within the [`Limits`] used to parse;
/// for uncompressed formats `data_offset + stride * (height - 1) + row_bytes <= data_end
/// <= input length`; the palette range lies inside the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The info header variant.
    pub header: HeaderKind,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// True when the first stored row is the top row (negative height).
    pub top_down: bool,
    /// Bits per pixel as declared.
    pub bpp: u16,
    /// The compression field as declared (0 for core headers).
    pub compression: u32,
    /// How the pixel data is stored.
    pub format: PixelFormat,
    /// The colour table (empty for formats without one).
    pub palette: PaletteRange,
    /// True when the file declares an alpha channel (alpha mask with BI_BITFIELDS or
    /// BI_ALPHABITFIELDS); otherwise every output alpha is 255.
    pub has_alpha: bool,
    /// Offset of the pixel data (`bfOffBits`).
    pub data_offset: usize,
    /// End of the pixel data used: the input length for RLE, the last row's end otherwise.
    pub data_end: usize,
    /// Bytes per stored row including padding to 4 bytes (0 for RLE).
    pub stride: usize,
    /// Bytes per stored row without padding (0 for RLE).
    pub row_bytes: usize,
    /// `bfSize`: the file size the file header declares (not trusted for decoding).
    pub declared_file_size: u32,
}

/// BMP compression codes.
pub mod compression {
    /// Uncompressed.
    pub const RGB: u32 = 0;
    /// 8-bit run-length.
    pub const RLE8: u32 = 1;
    /// 4-bit run-length.
    pub const RLE4: u32 = 2;
    /// Channel masks (Windows); Huffman 1D for OS/2 2.x headers.
    pub const BITFIELDS: u32 = 3;
    /// Embedded JPEG (Windows); RLE24 for OS/2 2.x headers.
    pub const JPEG: u32 = 4;
    /// Embedded PNG.
    pub const PNG: u32 = 5;
    /// Channel masks including alpha.
    pub const ALPHABITFIELDS: u32 = 6;
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn need(bytes: &[u8], what: &'static str, start: usize, end: usize) -> Result<(), DecodeError> {
    if end > bytes.len() {
        return Err(DecodeError::Truncated {
            what,
            start,
            end,
            len: bytes.len(),
        });
    }
    Ok(())
}

fn invalid(field: &'static str, offset: usize, value: i64, reason: &'static str) -> DecodeError {
    DecodeError::InvalidField {
        field,
        offset,
        value,
        reason,
    }
}

/// The raw fields of the file and info headers, before validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawHeader {
    /// The info header variant.
    pub header: HeaderKind,
    /// `bfSize`.
    pub file_size: u32,
    /// `bfOffBits`.
    pub data_offset: u32,
    /// Width as stored (sign-extended for core headers).
    pub width: i32,
    /// Height as stored (negative means top-down).
    pub height: i32,
    /// `biPlanes`.
    pub planes: u16,
    /// `biBitCount`.
    pub bpp: u16,
    /// `biCompression` (0 when the header has no such field).
    pub compression: u32,
    /// `biClrUsed` (0 when the header has no such field).
    pub colors_used: u32,
}

impl RawHeader {
    /// Reads the file header and the info header's fixed fields; checks only that they exist.
    pub fn read(bytes: &[u8]) -> Result<Self, DecodeError> {
        need(bytes, "file header", 0, FILE_HEADER_LEN + 4)?;
        if &bytes[offset::MAGIC..offset::MAGIC + 2] != b"BM" {
            return Err(DecodeError::BadMagic {
                found: [bytes[0], bytes[1]],
            });
        }
        let size = u32_at(bytes, offset::HEADER_SIZE);
        let header = HeaderKind::from_size(size).ok_or_else(|| {
            invalid(
                "info header size",
                offset::HEADER_SIZE,
                i64::from(size),
                "not 12, 16..=64, 108 or 124",
            )
        })?;
        let header_end = FILE_HEADER_LEN + size as usize;
        need(bytes, "info header", FILE_HEADER_LEN, header_end)?;
        let field = |off: usize| -> u32 {
            if off + 4 <= header_end {
                u32_at(bytes, off)
            } else {
                0
            }
        };
        let (width, height, planes, bpp) = if header == HeaderKind::Core {
            (
                i32::from(u16_at(bytes, offset::WIDTH)),
                i32::from(u16_at(bytes, offset::CORE_HEIGHT)),
                u16_at(bytes, offset::CORE_PLANES),
                u16_at(bytes, offset::CORE_BIT_COUNT),
            )
        } else {
            (
                u32_at(bytes, offset::WIDTH) as i32,
                u32_at(bytes, offset::HEIGHT) as i32,
                u16_at(bytes, offset::PLANES),
                u16_at(bytes, offset::BIT_COUNT),
            )
        };
        let (compression, colors_used) = if header == HeaderKind::Core {
            (0, 0)
        } else {
            (field(offset::COMPRESSION), field(offset::COLORS_USED))
        };
        Ok(RawHeader {
            header,
            file_size: u32_at(bytes, offset::FILE_SIZE),
            data_offset: u32_at(bytes, offset::DATA_OFFSET),
            width,
            height,
            planes,
            bpp,
            compression,
            colors_used,
        })
    }

    /// Width and height as unsigned sizes, rejecting zero, negative and `i32::MIN` values.
    pub fn dimensions(&self) -> Result<(u32, u32), DecodeError> {
        if self.width <= 0 {
            return Err(invalid(
                "width",
                offset::WIDTH,
                i64::from(self.width),
                "must be at least 1",
            ));
        }
        let hoff = if self.header == HeaderKind::Core {
            offset::CORE_HEIGHT
        } else {
            offset::HEIGHT
        };
        if self.height == 0 || self.height == i32::MIN {
            return Err(invalid(
                "height",
                hoff,
                i64::from(self.height),
                "must be non-zero and above i32::MIN",
            ));
        }
        Ok((self.width as u32, self.height.unsigned_abs()))
    }
}

impl Layout {
    /// Parses and validates every header of `bytes` against `limits`. Allocates nothing.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Self, DecodeError> {
        let raw = RawHeader::read(bytes)?;
        let (width, height) = raw.dimensions()?;
        let header = raw.header;
        let is_os2 = matches!(header, HeaderKind::Core | HeaderKind::Os2 { .. });
        let planes_off = if header == HeaderKind::Core {
            offset::CORE_PLANES
        } else {
            offset::PLANES
        };
        if raw.planes != 1 {
            return Err(invalid(
                "planes",
                planes_off,
                i64::from(raw.planes),
                "must be 1",
            ));
        }
        let bpp_off = planes_off + 2;
        if !is_os2 {
            // Embedded JPEG/PNG files declare 0 bits per pixel; name the real reason.
            match raw.compression {
                compression::JPEG => return Err(DecodeError::Unsupported("embedded JPEG".into())),
                compression::PNG => return Err(DecodeError::Unsupported("embedded PNG".into())),
                _ => {}
            }
        }
        match raw.bpp {
            1 | 2 | 4 | 8 | 16 | 24 | 32 => {}
            64 => return Err(DecodeError::Unsupported("64 bits per pixel".into())),
            n => {
                return Err(invalid(
                    "bits per pixel",
                    bpp_off,
                    i64::from(n),
                    "must be 1, 2, 4, 8, 16, 24 or 32",
                ))
            }
        }
        limits.check(width, height)?;

        let header_end = FILE_HEADER_LEN + u32_at(bytes, offset::HEADER_SIZE) as usize;
        let (format, masks_end, has_alpha) =
            Self::pixel_format(bytes, &raw, header_end, is_os2, bpp_off)?;

        let data_offset = raw.data_offset as usize;
        if data_offset < masks_end {
            return Err(invalid(
                "pixel data offset",
                offset::DATA_OFFSET,
                i64::from(raw.data_offset),
                "points inside the headers",
            ));
        }
        let rle = matches!(format, PixelFormat::Rle8 | PixelFormat::Rle4);
        if rle && data_offset >= bytes.len() {
            // A run-length stream needs at least one byte; rows are checked whole below.
            return Err(DecodeError::Truncated {
                what: "pixel data",
                start: data_offset,
                end: data_offset.saturating_add(1),
                len: bytes.len(),
            });
        }

        let palette = if format.uses_palette() {
            let entry_size = if header == HeaderKind::Core { 3 } else { 4 };
            let max = 1usize << raw.bpp;
            let declared = match raw.colors_used as usize {
                0 => max,
                n => n.min(max),
            };
            let room = (data_offset - masks_end) / entry_size;
            PaletteRange {
                offset: masks_end,
                entry_size,
                len: declared.min(room),
            }
        } else {
            PaletteRange::default()
        };

        let (stride, row_bytes, data_end) = match format {
            PixelFormat::Rle8 | PixelFormat::Rle4 => (0, 0, bytes.len()),
            _ => {
                let bits = u64::from(width) * u64::from(raw.bpp);
                let row_bytes = bits.div_ceil(8);
                let stride = bits.div_ceil(32) * 4;
                let end = data_offset as u64 + stride * (u64::from(height) - 1) + row_bytes;
                if end > bytes.len() as u64 {
                    return Err(DecodeError::Truncated {
                        what: "pixel data",
                        start: data_offset,
                        end: usize::try_from(end).unwrap_or(usize::MAX),
                        len: bytes.len(),
                    });
                }
                (stride as usize, row_bytes as usize, end as usize)
            }
        };

        Ok(Layout {
            header,
            width,
            height,
            top_down: raw.height < 0,
            bpp: raw.bpp,
            compression: raw.compression,
            format,
            palette,
            has_alpha,
            data_offset,
            data_end,
            stride,
            row_bytes,
            declared_file_size: raw.file_size,
        })
    }

    /// Works out the pixel format, where the masks (if any) end, and whether alpha is declared.
    fn pixel_format(
        bytes: &[u8],
        raw: &RawHeader,
        header_end: usize,
        is_os2: bool,
        bpp_off: usize,
    ) -> Result<(PixelFormat, usize, bool), DecodeError> {
        use compression as c;
        let comp = raw.compression;
        let bpp = raw.bpp;
        let bad_combo = || {
            invalid(
                "compression",
                offset::COMPRESSION,
                i64::from(comp),
                "does not fit the bits per pixel",
            )
        };
        if is_os2 && (comp == c::BITFIELDS || comp == c::JPEG) {
            let what = if comp == c::BITFIELDS {
                "OS/2 Huffman 1D"
            } else {
                "OS/2 RLE24"
            };
            return Err(DecodeError::Unsupported(format!("{what} compression")));
        }
        match comp {
            c::RGB => {
                let format = match bpp {
                    1 | 2 | 4 | 8 => PixelFormat::Indexed { bpp: bpp as u8 },
                    24 => PixelFormat::Bgr24,
                    16 => PixelFormat::Bitfields {
                        bpp: 16,
                        masks: Masks::from_raw(Masks::RGB555, 16, bpp_off)?,
                    },
                    _ => PixelFormat::Bitfields {
                        bpp: 32,
                        masks: Masks::from_raw(Masks::RGB888, 32, bpp_off)?,
                    },
                };
                Ok((format, header_end, false))
            }
            c::RLE8 if bpp == 8 => Ok((PixelFormat::Rle8, header_end, false)),
            c::RLE4 if bpp == 4 => Ok((PixelFormat::Rle4, header_end, false)),
            c::RLE8 | c::RLE4 => Err(bad_combo()),
            c::BITFIELDS | c::ALPHABITFIELDS if bpp == 16 || bpp == 32 => {
                // Masks sit inside V2+ headers; after a 40-byte header they follow it.
                let in_header = !matches!(raw.header, HeaderKind::Info);
                let count = if in_header {
                    if matches!(raw.header, HeaderKind::V2) {
                        3
                    } else {
                        4
                    }
                } else if comp == c::ALPHABITFIELDS {
                    4
                } else {
                    3
                };
                let at = FILE_HEADER_LEN + 40;
                need(bytes, "bitfield masks", at, at + 4 * count)?;
                let mut m = [0u32; 4];
                for (i, slot) in m.iter_mut().take(count).enumerate() {
                    *slot = u32_at(bytes, at + 4 * i);
                }
                if m[..3].iter().all(|&v| v == 0) {
                    return Err(invalid(
                        "red mask",
                        at,
                        0,
                        "red, green and blue masks are all zero",
                    ));
                }
                let masks = Masks::from_raw(m, bpp, at)?;
                let masks_end = if in_header {
                    header_end
                } else {
                    at + 4 * count
                };
                Ok((
                    PixelFormat::Bitfields {
                        bpp: bpp as u8,
                        masks,
                    },
                    masks_end,
                    !masks.a.is_absent(),
                ))
            }
            c::BITFIELDS | c::ALPHABITFIELDS => Err(bad_combo()),
            c::JPEG => Err(DecodeError::Unsupported("embedded JPEG".into())),
            c::PNG => Err(DecodeError::Unsupported("embedded PNG".into())),
            other => Err(DecodeError::Unsupported(format!(
                "compression type {other}"
            ))),
        }
    }

    /// Bytes of canonical RGBA output: `width * height * 4`.
    pub fn output_len(&self) -> usize {
        self.output_len_for(PixelLayout::Rgba)
    }

    /// Bytes of output in `pixels`: `height` rows of [`output_row_len`](Self::output_row_len).
    pub fn output_len_for(&self, pixels: PixelLayout) -> usize {
        self.height as usize * self.output_row_len(pixels)
    }

    /// Bytes of one output row in `pixels`: `width * pixels.bytes_per_pixel()`.
    pub fn output_row_len(&self, pixels: PixelLayout) -> usize {
        self.width as usize * pixels.bytes_per_pixel()
    }

    /// The output row (0 = top) that stored row `r` (0 = first in the file) lands in.
    #[inline]
    pub fn output_row(&self, r: usize) -> usize {
        if self.top_down {
            r
        } else {
            self.height as usize - 1 - r
        }
    }

    /// The pixel data bytes (`data_offset..data_end`).
    pub fn pixel_data<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        &bytes[self.data_offset..self.data_end]
    }
}
