//! The fast strategy: whole rows as slices, every per-pixel decision made once up front.
//!
//! Palettes become a table of packed RGBA `u32`s (for 1/2/4-bit, a table per source byte
//! holding all the pixels that byte expands to), 16-bit pixels a 65,536-entry table
//! (cached per thread, keyed by the masks) or SIMD arithmetic, 24/32-bit pixels byte
//! swizzles. Each image gets one row kernel, chosen once for its row kind and the kernel
//! level ([`Kernels`]): `scalar.rs` is the reference, `avx2.rs` and `avx512.rs` the x86-64
//! kernels, and `row.rs` the one table that lists them. `SHMBMP_SIMD=off` or
//! [`Lut::scalar`] forces the scalar path, `SHMBMP_SIMD=avx2` stops below AVX-512.
//!
//! Modules: `level` (which kernels this CPU runs), `threads` (how rows are split) and
//! `helpers` (the threads that take them), `row` (row kinds and the kernel table), `palette`
//! and `tables16` (the tables kernels read), `rle` (RLE images), and the kernels.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod helpers;
#[cfg(all(test, target_arch = "x86_64"))]
mod kernel_tests;
mod level;
#[cfg(target_arch = "aarch64")]
mod neon;
#[cfg(all(test, target_arch = "aarch64"))]
mod neon_tests;
mod palette;
mod prefetch;
mod rle;
mod row;
mod scalar;
mod tables16;
#[cfg(all(test, any(target_arch = "x86_64", target_arch = "aarch64")))]
mod test_data;
mod threads;

pub(crate) use helpers::{stand_by, stand_down, Standby};
pub use level::Kernels;
pub use threads::Threads;

use super::{layout_for, Decode, DecodeError, Dims, Limits, PixelLayout};
use crate::format::Layout;
use row::{Row, RowKernel, Scratch};

/// Table-driven row decoder; more than one thread splits rows into bands shared with helper
/// threads that live across frames.
#[derive(Debug, Clone, Copy)]
pub struct Lut {
    kernels: Option<Kernels>,
    threads: Threads,
}

impl Default for Lut {
    fn default() -> Self {
        Lut::AUTO
    }
}

impl Lut {
    /// Best kernels for this CPU, one thread: the registry's `lut`.
    pub const AUTO: Lut = Lut {
        kernels: None,
        threads: Threads::One,
    };
    /// Best kernels, rows split over every available core: the registry's `lut_mt`.
    pub const PARALLEL: Lut = Lut {
        kernels: None,
        threads: Threads::AllCores,
    };

    /// The scalar reference kernels, one thread, whatever the CPU offers.
    pub fn scalar() -> Lut {
        Lut {
            kernels: Some(Kernels::Scalar),
            threads: Threads::One,
        }
    }

    /// One thread on the given kernels, or `None` when this CPU cannot run them (for
    /// comparing kernel levels on one machine; [`Lut::AUTO`] picks the best by itself).
    pub fn with_kernels(kernels: Kernels) -> Option<Lut> {
        kernels.supported().then_some(Lut {
            kernels: Some(kernels),
            threads: Threads::One,
        })
    }

    /// One single-thread decoder per kernel level this CPU runs, scalar first: what the
    /// equivalence tests check beside the registry.
    pub fn every_level() -> Vec<Lut> {
        Kernels::ALL
            .into_iter()
            .filter_map(Lut::with_kernels)
            .collect()
    }

    /// The one-thread `lut` (`"lut"`) or kernel level (`"lut_avx2"`, ...) called `name`, if
    /// this CPU runs it: the decoders a thread count applies to (`lut_mt` is `None`, as it
    /// takes every core already).
    pub fn named(name: &str) -> Option<Lut> {
        std::iter::once(Lut::AUTO)
            .chain(Lut::every_level())
            .find(|l| l.name() == name)
    }

    /// The kernels this decoder runs on this machine.
    pub fn kernels(&self) -> Kernels {
        self.kernels.unwrap_or_else(Kernels::detect)
    }

    /// The kernel level whose row kernel this decoder runs for `bmp` (a row kind without a
    /// faster kernel runs a lower level's, RLE images that of their absolute blocks).
    pub fn level_for(&self, bmp: &[u8], limits: &Limits) -> Result<Kernels, DecodeError> {
        let layout = Layout::parse(bmp, limits)?;
        let kernels = self.kernels();
        Ok(Row::new(bmp, &layout, kernels, false).map_or_else(
            || rle::level(&layout, kernels),
            |row| RowKernel::choose(&row, kernels, 4).level(),
        ))
    }

    /// This decoder with its rows split over `threads`.
    pub fn with_threads(self, threads: Threads) -> Lut {
        Lut { threads, ..self }
    }

    /// How this decoder splits rows over threads.
    pub fn threads(&self) -> Threads {
        self.threads
    }
}

impl Decode for Lut {
    fn name(&self) -> &'static str {
        match (self.threads, self.kernels) {
            (Threads::One, None) => "lut",
            (_, None) => "lut_mt",
            (_, Some(kernels)) => kernels.lut_name(),
        }
    }

    fn decode_into_slice_as(
        &self,
        bmp: &[u8],
        limits: &Limits,
        pixels: PixelLayout,
        out: &mut [u8],
    ) -> Result<Dims, DecodeError> {
        let layout = layout_for(bmp, limits, pixels, out)?;
        let kernels = self.kernels();
        match Row::new(bmp, &layout, kernels, pixels.blue_first()) {
            None => rle::decode_rle(bmp, &layout, pixels, kernels, out, self.threads.max()),
            Some(row) => {
                let kernel = RowKernel::choose(&row, kernels, pixels.bytes_per_pixel());
                let out_row = layout.output_row_len(pixels);
                decode_rows(&row, kernel, bmp, &layout, out_row, out, self.threads.max());
            }
        }
        Ok(Dims {
            width: layout.width,
            height: layout.height,
        })
    }
}

/// Decodes every stored row of an uncompressed image into `out` (rows of `out_row` bytes)
/// through `kernel`, on up to `threads` threads.
fn decode_rows(
    row: &Row,
    kernel: RowKernel,
    bmp: &[u8],
    layout: &Layout,
    out_row: usize,
    out: &mut [u8],
    threads: usize,
) {
    let data = layout.pixel_data(bmp);
    // Output row y comes from stored row `layout.output_row(y)` (the mapping is its own
    // inverse). In a bottom-up image one of the two walks backwards row by row, so the
    // source goes front to back unless it is at most a quarter of the output. Measured on
    // Zen 3 AVX2 (bottom-up 1600×1200 into RGBA, one process alternating both orders, p50):
    // rows written front to back took 1-bit palettes 240 → 190 µs and 4-bit 274 → 255
    // (scalar kernels: 380 → 334, 675 → 611), 8-bit even (456/455); a source walked backwards
    // costs 16-, 24- and 32-bit rows 3–7 % (an earlier run: ~1.4× for 32-bit). 8-bit rows
    // read forwards instead (output backwards) were tried on the seed frame: settled 1–7 %
    // faster (`shmbmp bench`, four turns), ~90 µs faster on a copy another CPU had just
    // written when the host had placed the CPUs apart, but a reader beside a writer flat out
    // took 2–15 % fewer frames/s (`shmbmp read`, five turns), so they stay backwards.
    let output_forward = layout.top_down || 4 * layout.row_bytes <= out_row;
    // The source walked backwards: its next rows are prefetched (see `prefetch`).
    let ahead =
        (!layout.top_down && output_forward).then(|| prefetch::rows_ahead(layout.row_bytes));
    let source_row = |y: usize| {
        let r = layout.output_row(y);
        &data[r * layout.stride..][..layout.row_bytes]
    };
    let rows = |first: usize, chunk: &mut [u8]| {
        let band_rows = chunk.len() / out_row;
        let each = chunk.chunks_exact_mut(out_row).enumerate();
        let mut scratch = Scratch::new();
        let mut decode = |(i, dst): (usize, &mut [u8])| {
            if let Some(ahead) = ahead.filter(|a| i + a < band_rows) {
                prefetch::prefetch_row(source_row(first + i + ahead));
            }
            kernel.run(row, source_row(first + i), dst, &mut scratch);
        };
        if output_forward {
            each.for_each(&mut decode);
        } else {
            each.rev().for_each(&mut decode);
        }
    };
    let per = threads::rows_per_band(layout.height as usize, out_row, threads);
    threads::split_rows(out, out_row, per, threads, false, |i, band| {
        rows(i * per.unwrap_or(0), band)
    });
}
