#![warn(missing_docs)]
//! shmbmp: from a BMP frame in shared memory to RGBA pixels, the fastest correct way.
//!
//! Every strategy implements [`Decode`] and yields the same canonical output: RGBA8,
//! rows top-down, `width * 4` bytes a row.
//!
//! ```
//! use shmbmp::{encode, Decode, Limits, Lut};
//!
//! let bmp = encode::seed_frame();
//! let frame = Lut::AUTO.decode(&bmp, &Limits::default()).unwrap();
//! assert_eq!((frame.width, frame.height), (1600, 1200));
//! assert_eq!(frame.rgba.len(), 1600 * 1200 * 4);
//! ```

pub mod check;
pub mod decode;
pub mod encode;
pub mod error;
pub mod format;
pub mod report;
pub mod shm;
pub mod timing;

pub use decode::{
    by_name, registry, BmpCrate, Decode, Dims, Frame, ImageCrate, Kernels, Lut, Naive, Origin, Zune,
};
pub use error::DecodeError;
pub use format::{Layout, Limits};
