//! The decoding strategies, each one `impl Decode`, and the registry that lists them.

mod bmp_rs;
mod image_rs;
mod lut;
mod naive;
mod peer;
mod rle;
mod zune;

use std::sync::OnceLock;

pub use crate::error::DecodeError;
pub use crate::format::Limits;
pub use bmp_rs::BmpCrate;
pub use image_rs::ImageCrate;
pub use lut::{Kernels, Lut};
pub use naive::Naive;
pub use zune::Zune;

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

/// Width and height of what [`Decode::decode_into`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Who wrote a decoder: this crate, or a third-party crate behind an adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// One of shmbmp's own strategies (must be identical to each other on every input).
    Ours,
    /// An adapter over another crate (differences are recorded, not hidden).
    Peer,
}

/// One way of turning the bytes of a whole BMP file into canonical RGBA.
pub trait Decode: Send + Sync {
    /// Short stable name used in the CLI, tests and reports (`naive`, `lut`, ...).
    fn name(&self) -> &'static str;

    /// Whether this is one of our strategies or a third-party adapter.
    fn origin(&self) -> Origin;

    /// Decodes `bmp` into `out`, resizing it to `width * height * 4` bytes.
    ///
    /// Allocation-free when `out` already has that capacity. On error `out` holds no
    /// meaningful pixels.
    fn decode_into(
        &self,
        bmp: &[u8],
        limits: &Limits,
        out: &mut Vec<u8>,
    ) -> Result<Dims, DecodeError>;

    /// Decodes `bmp` into a newly allocated [`Frame`].
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

/// Every decoder, ours first (`naive`, `lut`, `lut_mt`), then the `image`, `bmp` and `zune`
/// adapters.
pub fn registry() -> &'static [&'static dyn Decode] {
    static ALL: [&dyn Decode; 6] = [
        &Naive,
        &Lut::AUTO,
        &Lut::PARALLEL,
        &ImageCrate,
        &BmpCrate,
        &Zune,
    ];
    &ALL
}

/// The decoder called `name`, if there is one: a registry entry, or `lut` forced onto a
/// kernel level this CPU runs (`lut_scalar`, `lut_avx2`, `lut_avx512vbmi`).
pub fn by_name(name: &str) -> Option<&'static dyn Decode> {
    static LEVELS: OnceLock<Vec<Lut>> = OnceLock::new();
    let levels = LEVELS.get_or_init(Lut::every_level);
    let levels = levels.iter().map(|l| l as &'static dyn Decode);
    registry()
        .iter()
        .copied()
        .chain(levels)
        .find(|d| d.name() == name)
}

/// Resizes `out` to `len` bytes without touching its contents when it already has that length.
pub(crate) fn prepare_output(out: &mut Vec<u8>, len: usize) {
    if out.len() != len {
        out.clear();
        out.resize(len, 0);
    }
}
