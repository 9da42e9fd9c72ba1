//! The row kinds of uncompressed images, their tables built once per image, and the one
//! table that gives each row kind its kernel at each level.

use std::sync::Arc;

#[cfg(target_arch = "aarch64")]
use super::neon;
use super::palette::{expand_bits, expand_bits3, ordered, Palette8};
use super::scalar;
use super::tables16::{table16, ChannelLut, Scale16};
use super::Kernels;
#[cfg(target_arch = "x86_64")]
use super::{avx2, avx512};
use crate::format::{palette, Layout, Masks, PixelFormat};

/// Everything needed to turn one stored row into one output row, built once per image.
///
/// Tables live inline (up to 18 KiB, a 1/2/4-bit palette's) rather than boxed: one `Row` is
/// built on the stack per frame, and boxing would cost an allocation per frame in the
/// shared-memory read loop.
#[allow(clippy::large_enum_variant)]
pub(super) enum Row {
    /// 8-bit indices.
    Pal8(Palette8),
    /// 1/2/4-bit indices: `per_byte` pixels for each of the 256 byte values, as 4-byte
    /// pixels (`expanded`) and as 3-byte ones (`expanded3`, [`stride3`](super::palette::stride3) bytes a byte value).
    PalBits {
        per_byte: usize,
        expanded: [u32; 2048],
        expanded3: [u8; 8192],
        palette: Palette8,
    },
    /// B, G, R bytes; written R, G, B, 255 (or B, G, R, 255 when `blue_first`).
    Bgr24 { blue_first: bool },
    /// B, G, R, X bytes (32-bit with the default masks); `alpha` keeps the fourth byte.
    Bgra32 { alpha: bool, blue_first: bool },
    /// Any 16-bit masks: one table over all 65,536 pixel values.
    Table16(Arc<[u32]>),
    /// 16-bit masks of at most 8 bits a channel, scaled arithmetically (SIMD kernels, and
    /// the scalar kernel for their heads and tails); `channels` in output order.
    Bits16 { channels: [Scale16; 4] },
    /// Any other 32-bit masks, one lookup per output byte in output order.
    Masks32([ChannelLut; 4]),
}

/// Decodes one stored row (`row_bytes` long, no padding) into one output row (`width * 4`).
///
/// # Safety
/// The CPU must have the target features of the level the kernel is listed under in
/// [`Row::kernels`].
pub(super) type RowFn = unsafe fn(&Row, &[u8], &mut [u8]);

impl Row {
    /// The row kind of an uncompressed image, its tables in the pixel order of the output
    /// (red first, or blue first when `blue_first`); RLE images are not decoded row by row:
    /// `None`.
    pub(super) fn new(
        bmp: &[u8],
        layout: &Layout,
        kernels: Kernels,
        blue_first: bool,
    ) -> Option<Row> {
        let swap = |[r, g, b, a]: [ChannelLut; 4]| {
            if blue_first {
                [b, g, r, a]
            } else {
                [r, g, b, a]
            }
        };
        Some(match layout.format {
            PixelFormat::Indexed { bpp: 8 } => Row::Pal8(Palette8::new(ordered(
                palette::table(bmp, layout),
                blue_first,
            ))),
            PixelFormat::Indexed { bpp } => {
                Row::pal_bits(ordered(palette::table(bmp, layout), blue_first), bpp)
            }
            PixelFormat::Bgr24 => Row::Bgr24 { blue_first },
            PixelFormat::Bitfields { bpp: 16, masks } => match Scale16::for_masks(&masks) {
                Some([r, g, b, a]) if kernels >= Kernels::Avx2 => Row::Bits16 {
                    channels: if blue_first {
                        [b, g, r, a]
                    } else {
                        [r, g, b, a]
                    },
                },
                _ => Row::Table16(table16(masks, blue_first)),
            },
            PixelFormat::Bitfields { masks, .. } => {
                let [r, g, b, _] = Masks::RGB888;
                let byte_aligned =
                    masks.r.mask() == r && masks.g.mask() == g && masks.b.mask() == b;
                if byte_aligned && (masks.a.is_absent() || masks.a.mask() == 0xff00_0000) {
                    Row::Bgra32 {
                        alpha: !masks.a.is_absent(),
                        blue_first,
                    }
                } else {
                    Row::Masks32(swap([
                        ChannelLut::new(masks.r, 0),
                        ChannelLut::new(masks.g, 0),
                        ChannelLut::new(masks.b, 0),
                        ChannelLut::new(masks.a, 255),
                    ]))
                }
            }
            PixelFormat::Rle8 | PixelFormat::Rle4 => return None,
        })
    }

    /// Bits a stored pixel takes.
    pub(super) fn bits_per_pixel(&self) -> usize {
        match self {
            Row::Pal8(_) => 8,
            Row::PalBits { per_byte, .. } => 8 / per_byte,
            Row::Bgr24 { .. } => 24,
            Row::Bgra32 { .. } | Row::Masks32(_) => 32,
            Row::Table16(_) | Row::Bits16 { .. } => 16,
        }
    }

    /// 1/2/4-bit (`bpp`) indices into `table`.
    pub(super) fn pal_bits(table: [u32; 256], bpp: u8) -> Row {
        let expanded = expand_bits(&table, bpp);
        Row::PalBits {
            per_byte: usize::from(8 / bpp),
            expanded3: expand_bits3(&expanded, bpp),
            expanded,
            palette: Palette8::new(table),
        }
    }

    /// This row kind's kernels above the scalar reference ([`scalar::decode_row`]), lowest
    /// level first: the one place where row kinds meet kernel levels. A level not listed
    /// runs the best kernel listed below it (measured not to be slower).
    pub(super) fn kernels(&self) -> &'static [(Kernels, RowFn)] {
        #[cfg(target_arch = "x86_64")]
        let simd: &'static [(Kernels, RowFn)] = match self {
            Row::Pal8(_) => &[
                (Kernels::Avx2, avx2::pal8),
                (Kernels::Avx512Vbmi, avx512::pal8),
            ],
            Row::PalBits { per_byte: 2, .. } => &[
                (Kernels::Avx2, avx2::pal4),
                (Kernels::Avx512Vbmi, avx512::pal4),
            ],
            Row::PalBits { per_byte: 8, .. } => &[
                (Kernels::Avx2, avx2::pal1),
                (Kernels::Avx512Vbmi, avx512::pal1),
            ],
            Row::Table16(_) => &[(Kernels::Avx2, avx2::table16)],
            Row::Bits16 { .. } => &[(Kernels::Avx2, avx2::bits16)],
            Row::Bgr24 { .. } => &[(Kernels::Avx2, avx2::bgr24)],
            Row::Bgra32 { .. } => &[(Kernels::Avx2, avx2::bgra32)],
            // 2-bit palettes are rare and fast enough by table; other 32-bit masks are rare.
            Row::PalBits { .. } | Row::Masks32(_) => &[],
        };
        #[cfg(target_arch = "aarch64")]
        let simd: &'static [(Kernels, RowFn)] = match self {
            Row::Pal8(_) => &[(Kernels::Neon, neon::pal8)],
            Row::PalBits { per_byte: 2, .. } => &[(Kernels::Neon, neon::pal4)],
            Row::PalBits { per_byte: 8, .. } => &[(Kernels::Neon, neon::pal1)],
            // Not written: no ARM hardware here to tell whether they would pay.
            _ => &[],
        };
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        let simd: &'static [(Kernels, RowFn)] = &[];
        simd
    }

    /// This row kind's kernels that write 3-byte pixels themselves (no 4-byte scratch and
    /// pack), lowest level first; chosen over the 4-byte kernels and [`Step::Pack3`] at a
    /// level no lower than theirs. Figures: RGB ÷ our RGBA decode at the same level, 1600×
    /// 1200 bench fixtures, AMD Zen 3 (AVX2), `shmbmp bench --layout RGBA,RGB,BGR`, median
    /// of 5-7 runs in turn, the decode and pack before in parentheses.
    fn kernels3(&self) -> &'static [(Kernels, RowFn)] {
        #[cfg(target_arch = "x86_64")]
        return match self {
            Row::Pal8(_) => &[
                (Kernels::Scalar, scalar::pal8_to3),
                (Kernels::Avx2, avx2::pal8_to3),
            ],
            // AVX2 0.86 (0.84-0.87), where the AVX2 4-byte kernel and pack measured 1.12
            // (1.08-1.15) in the same runs (`--iters 40`, median of 4).
            Row::Bgra32 { .. } => &[
                (Kernels::Scalar, scalar::bgra32_to3),
                (Kernels::Avx2, avx2::bgra32_to3),
            ],
            // Scalar 0.91 (2.2-2.4); AVX2 0.92 (1.1). A blend a source byte and the pack
            // in the register measured the same as the AVX2 table copy; the scalar copy
            // (16-byte moves) at the AVX2 level 0.97-1.00.
            Row::PalBits { per_byte: 8, .. } => &[
                (Kernels::Scalar, scalar::pal_bits_to3),
                (Kernels::Avx2, avx2::pal1_to3),
            ],
            // Scalar 0.81 (2.2); AVX2 0.93 (1.08), where the scalar kernel is slower (a
            // 60-row strip, in L2: 23 µs against 15).
            Row::PalBits { per_byte: 2, .. } => &[
                (Kernels::Scalar, scalar::pal_bits_to3),
                (Kernels::Avx2, avx2::pal4_to3),
            ],
            // 2-bit (a 1600×1200 frame made for this): scalar 0.91 (2.6), and at the AVX2
            // level, which has no 4-byte kernel for it, 0.84-0.91 (scalar and AVX2 pack
            // 1.4).
            Row::PalBits { .. } => &[(Kernels::Scalar, scalar::pal_bits_to3)],
            // Scalar 1.01 (1.4-1.9). At the AVX2 level too (the 5-6-5 fixture forced through
            // the table, our own harness, 10th percentile of 200 rounds): 0.93-1.00, where
            // the AVX2 gather with each 8 pixels packed in the register was 1.02-1.14 and
            // the gather and pack 1.16-1.33.
            Row::Table16(_) => &[
                (Kernels::Scalar, scalar::table16_to3),
                (Kernels::Avx2, scalar::table16_to3),
            ],
            // 32 pixels as three exact 32-byte stores: 0.84 (0.80-0.94), where each 4 pixels
            // as a 16-byte store 12 bytes after the last measured 1.21 (1.13-1.24) in the
            // same runs (`--iters 40`, median of 4). Also measured before: each 8 pixels
            // packed to 24 bytes by a cross-lane permute (1.17 in L2), planes interleaved for
            // aligned stores (1.40).
            Row::Bits16 { .. } => &[(Kernels::Avx2, avx2::bits16_to3)],
            // RGB (BGR is a row copy, see `RowKernel::choose`; the scalar swap is chosen
            // there at the scalar level): 0.69 (0.67-0.70), as fast as the BGR row copy,
            // where the AVX2 4-byte kernel and pack measured 1.11 (1.02-1.25).
            Row::Bgr24 { .. } => &[(Kernels::Avx2, avx2::bgr24_to3)],
            Row::Masks32(_) => &[],
        };
        #[cfg(not(target_arch = "x86_64"))]
        match self {
            Row::Pal8(_) => &[(Kernels::Scalar, scalar::pal8_to3)],
            Row::Bgra32 { .. } => &[(Kernels::Scalar, scalar::bgra32_to3)],
            Row::PalBits { .. } => &[(Kernels::Scalar, scalar::pal_bits_to3)],
            Row::Table16(_) => &[(Kernels::Scalar, scalar::table16_to3)],
            _ => &[],
        }
    }
}

/// Pixels a 3-byte output row is decoded in at a time: four bytes each into a scratch
/// buffer small enough for L1, then packed to three (a multiple of 8, so that 1/2/4-bit
/// source rows split on whole bytes).
const CHUNK: usize = 256;

/// Per-thread scratch space for 3-byte output rows.
#[repr(align(32))]
pub(super) struct Scratch([u8; CHUNK * 4]);

impl Scratch {
    pub(super) fn new() -> Self {
        Scratch([0; CHUNK * 4])
    }
}

/// What happens between the row kernel and the output row.
#[derive(Clone, Copy)]
enum Step {
    /// The kernel writes the output row itself.
    Direct,
    /// The kernel writes 4-byte pixels in chunks; each chunk is packed to 3 bytes.
    Pack3,
}

/// Packs 4-byte pixels into 3-byte ones.
///
/// # Safety
/// The CPU must have the target features of the level it is listed under in [`packers`].
type PackFn = unsafe fn(&[u8], &mut [u8]);

/// The 4-to-3-byte packers above the scalar one, lowest level first.
fn packers() -> &'static [(Kernels, PackFn)] {
    #[cfg(target_arch = "x86_64")]
    return &[(Kernels::Avx2, avx2::pack3)];
    #[cfg(not(target_arch = "x86_64"))]
    return &[];
}

/// The kernel an image's rows go through, chosen once when the image is set up.
#[derive(Clone, Copy)]
pub(super) struct RowKernel {
    run: RowFn,
    level: Kernels,
    step: Step,
    pack: PackFn,
}

impl RowKernel {
    /// The best kernel for `row` at or below `max` (which this CPU must support), for
    /// output pixels of `bytes` bytes (4, or 3 for RGB/BGR).
    pub(super) fn choose(row: &Row, max: Kernels, bytes: usize) -> RowKernel {
        assert!(
            max.supported(),
            "kernel level {max:?} is not supported here"
        );
        let pack = best(packers(), max).map_or(scalar::pack3 as PackFn, |(_, f)| f);
        if bytes == 3 {
            // BGR rows into BGR output: a straight row copy. RGB output: a per-pixel swap at
            // the scalar level, else the SIMD 3-byte kernel below; measured (Zen 3, same
            // runs) the swap was 1.15× our scalar RGBA but 4-10× our AVX2 RGBA, the AVX2
            // 4-byte kernel and pack 1.15× and the scalar kernel and pack 2.6×.
            let simd = best(row.kernels(), max).is_some();
            if matches!(row, Row::Bgr24 { blue_first } if *blue_first || !simd) {
                return RowKernel {
                    run: scalar::bgr24_row_to3,
                    level: Kernels::Scalar,
                    step: Step::Direct,
                    pack,
                };
            }
        }
        let (level, run) =
            best(row.kernels(), max).unwrap_or((Kernels::Scalar, scalar::decode_row));
        if bytes == 3 {
            if let Some((level3, run)) = best(row.kernels3(), max).filter(|(l, _)| *l >= level) {
                return RowKernel {
                    run,
                    level: level3,
                    step: Step::Direct,
                    pack,
                };
            }
        }
        let step = if bytes == 3 {
            Step::Pack3
        } else {
            Step::Direct
        };
        RowKernel {
            run,
            level,
            step,
            pack,
        }
    }

    /// The level of the chosen kernel.
    pub(super) fn level(&self) -> Kernels {
        self.level
    }

    /// Decodes one stored row of `row` into the output row `dst`.
    #[inline]
    pub(super) fn run(&self, row: &Row, src: &[u8], dst: &mut [u8], scratch: &mut Scratch) {
        match self.step {
            // SAFETY: `choose` picked a kernel listed at a level no higher than `max`, which
            // it asserted this CPU supports (`Kernels::supported` asks
            // `is_x86_feature_detected!` for every feature that level's kernels enable).
            Step::Direct => unsafe { (self.run)(row, src, dst) },
            Step::Pack3 => {
                let bits = row.bits_per_pixel();
                let pixels = dst.len() / 3;
                let mut p = 0;
                while p < pixels {
                    let n = CHUNK.min(pixels - p);
                    let from = p * bits / 8;
                    let to = if p + n == pixels {
                        src.len()
                    } else {
                        (p + n) * bits / 8
                    };
                    let four = &mut scratch.0[..n * 4];
                    // SAFETY: as above; `pack` was chosen the same way.
                    unsafe {
                        (self.run)(row, &src[from..to], four);
                        (self.pack)(four, &mut dst[p * 3..(p + n) * 3]);
                    }
                    p += n;
                }
            }
        }
    }
}

/// The entry of `listed` (lowest level first) at the highest level no higher than `max`.
fn best<F: Copy>(listed: &[(Kernels, F)], max: Kernels) -> Option<(Kernels, F)> {
    listed
        .iter()
        .rev()
        .find(|(level, _)| *level <= max)
        .copied()
}
