//! Every decoder the suite compares: the core crate's own, then adapters over other
//! crates, behind one [`Decoder`] trait, and the registry that lists them.

mod bmp_rs;
mod convert;
mod image_rs;
mod peer;
#[cfg(target_os = "linux")]
mod stb;
mod zune;

use std::sync::OnceLock;

pub use crate::error::Error;
pub use bmp_rs::BmpCrate;
pub use image_rs::ImageCrate;
pub use peer::{Native, Peer};
pub use shmbmp::decode::UnknownDecoder;
pub use shmbmp::{Decode, Dims, Frame, Kernels, Limits, Lut, Naive};
#[cfg(target_os = "linux")]
pub use stb::Stb;
pub use zune::Zune;

/// Who wrote a decoder: the core crate, or a third-party crate behind an adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// One of shmbmp's own strategies (must be identical to each other on every input).
    Ours,
    /// An adapter over another crate (differences are recorded, not hidden).
    Peer,
}

/// A decoder as the suite sees it: ours (any [`Decode`]) or a peer's adapter.
pub trait Decoder: Send + Sync {
    /// Short stable name used in the CLI, tests and reports (`naive`, `lut`, `image`, ...).
    fn name(&self) -> &'static str;

    /// Whether this is one of our strategies or a third-party adapter.
    fn origin(&self) -> Origin;

    /// Decodes `bmp` into `out` as canonical RGBA, resizing it to `width * height * 4`.
    /// A peer calls its crate ([`Peer::call`]), then converts the crate's own output.
    fn decode_into(&self, bmp: &[u8], limits: &Limits, out: &mut Vec<u8>) -> Result<Dims, Error>;

    /// The peer behind an adapter, to time its crate's own call and the conversion to
    /// RGBA apart; `None` for ours.
    fn peer(&self) -> Option<&dyn Peer> {
        None
    }

    /// Decodes `bmp` into a newly allocated [`Frame`].
    fn decode(&self, bmp: &[u8], limits: &Limits) -> Result<Frame, Error> {
        let mut rgba = Vec::new();
        let Dims { width, height } = self.decode_into(bmp, limits, &mut rgba)?;
        Ok(Frame {
            width,
            height,
            rgba,
        })
    }
}

impl<T: Decode + ?Sized> Decoder for T {
    fn name(&self) -> &'static str {
        Decode::name(self)
    }

    fn origin(&self) -> Origin {
        Origin::Ours
    }

    fn decode_into(&self, bmp: &[u8], limits: &Limits, out: &mut Vec<u8>) -> Result<Dims, Error> {
        Ok(Decode::decode_into(self, bmp, limits, out)?)
    }
}

/// Every decoder compared by default: the core crate's ([`shmbmp::decode::decoders`]:
/// `naive`, `lut`, `lut_mt`), then the `image`, `bmp`, `zune` and (on Linux) `stb` adapters.
pub fn registry() -> &'static [&'static dyn Decoder] {
    static ALL: OnceLock<Vec<&'static dyn Decoder>> = OnceLock::new();
    ALL.get_or_init(|| {
        let peers: &[&'static dyn Decoder] = &[
            &ImageCrate,
            &BmpCrate,
            &Zune,
            #[cfg(target_os = "linux")]
            &Stb,
        ];
        shmbmp::decode::decoders()
            .iter()
            .map(|d| d as &'static dyn Decoder)
            .chain(peers.iter().copied())
            .collect()
    })
}

/// `lut` forced onto each kernel level this CPU runs (`lut_scalar`, `lut_avx2`, ...).
pub fn kernel_levels() -> impl Iterator<Item = &'static dyn Decoder> {
    shmbmp::decode::kernel_levels()
        .iter()
        .map(|d| d as &'static dyn Decoder)
}

/// Every decoder of ours, each kernel level included: the one list equivalence,
/// malformed-input, allocation and fuzz-regression tests walk.
pub fn ours() -> impl Iterator<Item = &'static dyn Decoder> {
    registry()
        .iter()
        .copied()
        .filter(|d| d.origin() == Origin::Ours)
        .chain(kernel_levels())
}

/// Every decoder by name: the registry, then each kernel level.
pub fn every() -> impl Iterator<Item = &'static dyn Decoder> {
    registry().iter().copied().chain(kernel_levels())
}

/// The decoder called `name` (see [`every`]), or why there is none (a kernel level this CPU
/// lacks, or a name nobody has, with the names there are).
pub fn by_name(name: &str) -> Result<&'static dyn Decoder, UnknownDecoder> {
    every()
        .find(|d| d.name() == name)
        .ok_or_else(|| UnknownDecoder::new(name, every().map(|d| d.name())))
}
