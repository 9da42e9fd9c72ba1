#![warn(missing_docs)]
//! The shmbmp suite: the `shmbmp` command line, adapters over other BMP decoders, fixtures,
//! conformance checks, timing and reports, around the core crate [`shmbmp`].
//!
//! The core's modules are re-exported here so that the suite's tests and tools name one
//! crate; a program that only decodes frames depends on `shmbmp` alone.
//!
//! ```
//! use shmbmp_suite::{encode, Decode, Limits, Lut};
//!
//! let bmp = encode::seed_frame();
//! let frame = Lut::AUTO.decode(&bmp, &Limits::default()).unwrap();
//! assert_eq!((frame.width, frame.height), (1600, 1200));
//! assert_eq!(frame.rgba.len(), 1600 * 1200 * 4);
//! ```

// The README's Rust examples are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod check;
pub mod decode;
pub mod encode;
pub mod error;
pub mod report;
pub mod timing;

pub use decode::{
    by_name, every, kernel_levels, ours, registry, BmpCrate, Decoder, ImageCrate, Origin,
    UnknownDecoder, Zune,
};
pub use error::Error;
pub use shmbmp::{
    format, shm, Decode, DecodeError, Dims, Frame, Kernels, Layout, Limits, Lut, Naive, Threads,
};
