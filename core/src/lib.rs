#![warn(missing_docs)]
//! shmbmp: from a BMP frame in shared memory to RGBA pixels, the fastest correct way.
//!
//! - [`format`](mod@format): what a BMP *is*: headers parsed into one validated [`Layout`], palettes,
//!   bitfield masks, and the [`Limits`] checked before anything is allocated.
//! - [`decode`]: the [`Decode`] trait and this crate's decoders, [`Naive`] (the oracle)
//!   and [`Lut`] (tables and SIMD row kernels, optionally threads). Every decoder yields the
//!   same canonical output: RGBA8, rows top-down, `width * 4` bytes a row.
//! - [`shm`]: named shared-memory regions that carry whole BMP files between processes
//!   (bytes, not pixels).
//!
//! ```
//! use shmbmp::{Decode, Layout, Limits, Lut};
//!
//! # fn main() -> Result<(), shmbmp::DecodeError> {
//! # let bmp = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pal8.bmp")).unwrap();
//! let limits = Limits::default();
//! // Parse once to size the output, then decode into any slice of that length.
//! let layout = Layout::parse(&bmp, &limits)?;
//! let mut rgba = vec![0u8; layout.output_len()];
//! let dims = Lut::AUTO.decode_into_slice(&bmp, &limits, &mut rgba)?;
//! assert_eq!(rgba.len(), dims.width as usize * dims.height as usize * 4);
//! # Ok(())
//! # }
//! ```

// The README's examples are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod decode;
pub mod error;
pub mod format;
pub mod shm;
#[cfg(test)]
mod test_util;

pub use decode::{by_name, decoders, Decode, Dims, Frame, Kernels, Lut, Naive, Threads};
pub use error::DecodeError;
pub use format::{Layout, Limits, PixelLayout};
