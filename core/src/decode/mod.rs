//! The decoders of this crate, each one `impl Decode`, and the list of them.
//!
//! [`Naive`] is the oracle (a byte at a time through `std::io::Read`); [`Lut`] is the fast
//! one (tables and SIMD row kernels, optionally threads). Both yield the same canonical
//! output, byte for byte.

mod lut;
mod naive;
mod output;
mod rle;

use std::sync::OnceLock;

pub use crate::error::DecodeError;
pub use crate::format::{Layout, Limits, PixelLayout};
pub(crate) use lut::{stand_by, stand_down, Standby};
pub use lut::{Kernels, Lut, Threads};
pub use naive::Naive;
pub use output::{output_buffer, prepare_output};

/// A decoded image in canonical form: RGBA8, rows top-down, `width * 4` bytes a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes of RGBA.
    pub rgba: Vec<u8>,
}

/// Width and height of what a decoder wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// One way of turning the bytes of a whole BMP file into pixels: canonical RGBA, or any
/// other [`PixelLayout`].
///
/// The core method writes into any caller-provided slice of exactly
/// [`Layout::output_len_for`] bytes (a numpy array, a second mapping, a staging buffer), as
/// `png`'s `next_frame` and zune-bmp's `decode_into` do; the `Vec` and [`Frame`] forms
/// are conveniences over it.
pub trait Decode: Send + Sync {
    /// Short stable name used in the CLI, tests and reports (`naive`, `lut`, ...).
    fn name(&self) -> &'static str;

    /// Decodes `bmp` into `out` in the layout `pixels`; `out` must be exactly
    /// `Layout::parse(bmp, limits)?.output_len_for(pixels)` bytes long
    /// ([`DecodeError::OutputSize`] otherwise).
    ///
    /// Every byte of `out` is written on success. On error `out` holds no meaningful pixels.
    fn decode_into_slice_as(
        &self,
        bmp: &[u8],
        limits: &Limits,
        pixels: PixelLayout,
        out: &mut [u8],
    ) -> Result<Dims, DecodeError>;

    /// Decodes `bmp` into `out` as canonical RGBA; `out` must be exactly
    /// `Layout::parse(bmp, limits)?.output_len()` bytes long.
    fn decode_into_slice(
        &self,
        bmp: &[u8],
        limits: &Limits,
        out: &mut [u8],
    ) -> Result<Dims, DecodeError> {
        self.decode_into_slice_as(bmp, limits, PixelLayout::Rgba, out)
    }

    /// Decodes `bmp` into `out` in the layout `pixels`, resizing `out` to fit.
    ///
    /// Allocation-free when `out` already has that capacity.
    fn decode_into_as(
        &self,
        bmp: &[u8],
        limits: &Limits,
        pixels: PixelLayout,
        out: &mut Vec<u8>,
    ) -> Result<Dims, DecodeError> {
        let layout = Layout::parse(bmp, limits)?;
        prepare_output(out, layout.output_len_for(pixels));
        self.decode_into_slice_as(bmp, limits, pixels, out)
    }

    /// Decodes `bmp` into `out` as canonical RGBA, resizing it to `width * height * 4` bytes.
    ///
    /// Allocation-free when `out` already has that capacity.
    fn decode_into(
        &self,
        bmp: &[u8],
        limits: &Limits,
        out: &mut Vec<u8>,
    ) -> Result<Dims, DecodeError> {
        self.decode_into_as(bmp, limits, PixelLayout::Rgba, out)
    }

    /// Decodes `bmp` into a newly allocated canonical RGBA [`Frame`].
    fn decode(&self, bmp: &[u8], limits: &Limits) -> Result<Frame, DecodeError> {
        let mut rgba = Vec::new();
        let Dims { width, height } = self.decode_into(bmp, limits, &mut rgba)?;
        Ok(Frame {
            width,
            height,
            rgba,
        })
    }
}

impl<D: Decode + ?Sized> Decode for &D {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn decode_into_slice_as(
        &self,
        bmp: &[u8],
        limits: &Limits,
        pixels: PixelLayout,
        out: &mut [u8],
    ) -> Result<Dims, DecodeError> {
        (**self).decode_into_slice_as(bmp, limits, pixels, out)
    }
}

/// Parses `bmp` and checks that `out` is exactly as long as its output in `pixels`.
pub(crate) fn layout_for(
    bmp: &[u8],
    limits: &Limits,
    pixels: PixelLayout,
    out: &[u8],
) -> Result<Layout, DecodeError> {
    let layout = Layout::parse(bmp, limits)?;
    let expected = layout.output_len_for(pixels);
    if out.len() != expected {
        return Err(DecodeError::OutputSize {
            expected,
            actual: out.len(),
        });
    }
    Ok(layout)
}

/// The decoders of this crate: `naive` (the oracle), `lut` (one thread, the best kernels
/// this CPU runs) and `lut_mt` (rows over every core).
pub fn decoders() -> &'static [&'static dyn Decode] {
    static ALL: [&dyn Decode; 3] = [&Naive, &Lut::AUTO, &Lut::PARALLEL];
    &ALL
}

/// `lut` forced onto each kernel level this CPU runs (`lut_scalar`, `lut_avx2`, ...),
/// slowest first: for comparing levels on one machine.
pub fn kernel_levels() -> &'static [&'static dyn Decode] {
    static LEVELS: OnceLock<Vec<Lut>> = OnceLock::new();
    static ALL: OnceLock<Vec<&'static dyn Decode>> = OnceLock::new();
    ALL.get_or_init(|| {
        let levels = LEVELS.get_or_init(Lut::every_level);
        levels.iter().map(|l| l as &dyn Decode).collect()
    })
}

/// Every decoder of this crate by name: [`decoders`], then [`kernel_levels`]. The one
/// list that tests, benchmarks, the CLI and the Python package walk.
pub fn all() -> impl Iterator<Item = &'static dyn Decode> {
    decoders().iter().chain(kernel_levels()).copied()
}

/// Why [`by_name`] found no decoder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnknownDecoder {
    /// A kernel level this crate has, which this CPU cannot run.
    #[error("decoder {name:?} is not available on this CPU: it needs {needs}; this CPU runs {available}")]
    NotOnThisCpu {
        /// The name asked for.
        name: String,
        /// What the CPU lacks, in words.
        needs: &'static str,
        /// The decoders this CPU does run.
        available: String,
    },
    /// No decoder has that name.
    #[error("unknown decoder {name:?}; choose one of {available}")]
    NoSuchName {
        /// The name asked for.
        name: String,
        /// The decoders there are.
        available: String,
    },
}

/// The decoder of this crate called `name` (see [`all`]), or why there is none.
pub fn by_name(name: &str) -> Result<&'static dyn Decode, UnknownDecoder> {
    all()
        .find(|d| d.name() == name)
        .ok_or_else(|| UnknownDecoder::new(name, all().map(|d| d.name())))
}

impl UnknownDecoder {
    /// Why `name` is not among `available`: a kernel level this CPU lacks, or a name
    /// nobody has.
    pub fn new<'a>(name: &str, available: impl IntoIterator<Item = &'a str>) -> Self {
        let available = available.into_iter().collect::<Vec<_>>().join(", ");
        match Kernels::ALL.into_iter().find(|k| k.lut_name() == name) {
            Some(k) => UnknownDecoder::NotOnThisCpu {
                name: name.into(),
                needs: k.needs(),
                available,
            },
            None => UnknownDecoder::NoSuchName {
                name: name.into(),
                available,
            },
        }
    }
}
