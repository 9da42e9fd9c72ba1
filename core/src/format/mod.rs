//! What a BMP *is*: header parsing, palettes and masks as pure functions over `&[u8]`.

pub mod header;
pub mod limits;
pub mod masks;
pub mod palette;
pub mod pixel_layout;

pub use header::{
    offset, HeaderKind, Layout, PaletteRange, PixelFormat, RawHeader, FILE_HEADER_LEN,
};
pub use limits::Limits;
pub use masks::{Channel, Masks};
pub use pixel_layout::{PixelLayout, UnknownPixelLayout};
