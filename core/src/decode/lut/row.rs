//! The row kinds of uncompressed images, their tables built once per image, and the one
//! table that gives each row kind its kernel at each level.

use std::sync::Arc;

use super::palette::{expand_bits, Palette8};
use super::scalar;
use super::tables16::{table16, ChannelLut, Scale16};
use super::Kernels;
#[cfg(target_arch = "x86_64")]
use super::{avx2, avx512};
use crate::format::{palette, Layout, Masks, PixelFormat};

/// Everything needed to turn one stored row into one output row, built once per image.
///
/// Tables live inline (up to 8 KiB) rather than boxed: one `Row` is built on the stack per
/// frame, and boxing would cost an allocation per frame in the shared-memory read loop.
#[allow(clippy::large_enum_variant)]
pub(super) enum Row {
    /// 8-bit indices.
    Pal8(Palette8),
    /// 1/2/4-bit indices: `per_byte` pixels for each of the 256 byte values.
    PalBits {
        per_byte: usize,
        expanded: [u32; 2048],
        palette: Palette8,
    },
    /// B, G, R bytes.
    Bgr24,
    /// B, G, R, X bytes (32-bit with the default masks); `alpha` keeps the fourth byte.
    Bgra32 { alpha: bool },
    /// Any 16-bit masks: one table over all 65,536 pixel values.
    Table16(Arc<[u32]>),
    /// 16-bit masks of at most 8 bits a channel, scaled arithmetically (SIMD kernels).
    Bits16 {
        masks: Masks,
        channels: [Scale16; 4],
    },
    /// Any other 32-bit masks.
    Masks32([ChannelLut; 4]),
}

/// Decodes one stored row (`row_bytes` long, no padding) into one output row (`width * 4`).
///
/// # Safety
/// The CPU must have the target features of the level the kernel is listed under in
/// [`Row::kernels`].
pub(super) type RowFn = unsafe fn(&Row, &[u8], &mut [u8]);

impl Row {
    /// The row kind of an uncompressed image (RLE images are not decoded row by row: `None`).
    pub(super) fn new(bmp: &[u8], layout: &Layout, kernels: Kernels) -> Option<Row> {
        Some(match layout.format {
            PixelFormat::Indexed { bpp: 8 } => {
                Row::Pal8(Palette8::new(palette::table(bmp, layout)))
            }
            PixelFormat::Indexed { bpp } => Row::pal_bits(palette::table(bmp, layout), bpp),
            PixelFormat::Bgr24 => Row::Bgr24,
            PixelFormat::Bitfields { bpp: 16, masks } => match Scale16::for_masks(&masks) {
                Some(channels) if kernels >= Kernels::Avx2 => Row::Bits16 { masks, channels },
                _ => Row::Table16(table16(masks)),
            },
            PixelFormat::Bitfields { masks, .. } => {
                let [r, g, b, _] = Masks::RGB888;
                let byte_aligned =
                    masks.r.mask() == r && masks.g.mask() == g && masks.b.mask() == b;
                if byte_aligned && (masks.a.is_absent() || masks.a.mask() == 0xff00_0000) {
                    Row::Bgra32 {
                        alpha: !masks.a.is_absent(),
                    }
                } else {
                    Row::Masks32([
                        ChannelLut::new(masks.r, 0),
                        ChannelLut::new(masks.g, 0),
                        ChannelLut::new(masks.b, 0),
                        ChannelLut::new(masks.a, 255),
                    ])
                }
            }
            PixelFormat::Rle8 | PixelFormat::Rle4 => return None,
        })
    }

    /// 1/2/4-bit (`bpp`) indices into `table`.
    pub(super) fn pal_bits(table: [u32; 256], bpp: u8) -> Row {
        Row::PalBits {
            per_byte: usize::from(8 / bpp),
            expanded: expand_bits(&table, bpp),
            palette: Palette8::new(table),
        }
    }

    /// This row kind's kernels above the scalar reference ([`scalar::decode_row`]), lowest
    /// level first: the one place where row kinds meet kernel levels. A level not listed
    /// runs the best kernel listed below it (measured not to be slower).
    pub(super) fn kernels(&self) -> &'static [(Kernels, RowFn)] {
        #[cfg(target_arch = "x86_64")]
        let simd: &'static [(Kernels, RowFn)] = match self {
            Row::Pal8(_) => &[(Kernels::Avx512Vbmi, avx512::pal8)],
            Row::PalBits { per_byte: 2, .. } => &[(Kernels::Avx512Vbmi, avx512::pal4)],
            Row::PalBits { per_byte: 8, .. } => &[(Kernels::Avx512Vbmi, avx512::pal1)],
            Row::Table16(_) => &[(Kernels::Avx2, avx2::table16)],
            Row::Bits16 { .. } => &[(Kernels::Avx2, avx2::bits16)],
            Row::Bgr24 => &[(Kernels::Avx2, avx2::bgr24)],
            Row::Bgra32 { .. } => &[(Kernels::Avx2, avx2::bgra32)],
            // Measured here (AMD EPYC, AVX2): an 8-lane gather per 8 indices is slower than
            // the scalar palette loop, which is bound by the same load ports; 2-bit
            // palettes are rare and fast enough by table; other 32-bit masks are rare.
            Row::PalBits { .. } | Row::Masks32(_) => &[],
        };
        #[cfg(not(target_arch = "x86_64"))]
        let simd: &'static [(Kernels, RowFn)] = &[];
        simd
    }
}

/// The kernel an image's rows go through, chosen once when the image is set up.
#[derive(Clone, Copy)]
pub(super) struct RowKernel {
    run: RowFn,
    level: Kernels,
}

impl RowKernel {
    /// The best kernel for `row` at or below `max`, which this CPU must support.
    pub(super) fn choose(row: &Row, max: Kernels) -> RowKernel {
        assert!(
            max.supported(),
            "kernel level {max:?} is not supported here"
        );
        row.kernels()
            .iter()
            .rev()
            .find(|(level, _)| *level <= max)
            .map(|&(level, run)| RowKernel { run, level })
            .unwrap_or(RowKernel {
                run: scalar::decode_row,
                level: Kernels::Scalar,
            })
    }

    /// The level of the chosen kernel.
    pub(super) fn level(&self) -> Kernels {
        self.level
    }

    /// Decodes one stored row of `row` into `dst`.
    #[inline]
    pub(super) fn run(&self, row: &Row, src: &[u8], dst: &mut [u8]) {
        // SAFETY: `choose` picked a kernel listed at a level no higher than `max`, which it
        // asserted this CPU supports (`Kernels::supported` asks `is_x86_feature_detected!`
        // for every feature the kernels of that level enable).
        unsafe { (self.run)(row, src, dst) }
    }
}
