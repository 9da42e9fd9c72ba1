//! Adapter over the `image` crate (`image::load_from_memory_with_format`, then RGBA8).

use super::peer::{guarded, to_rgba};
use super::{Decoder, Dims, Error, Limits, Origin};

/// The `image` crate's BMP decoder, converted with `to_rgba8`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImageCrate;

impl Decoder for ImageCrate {
    fn name(&self) -> &'static str {
        "image"
    }

    fn origin(&self) -> Origin {
        Origin::Peer
    }

    fn decode_into(&self, bmp: &[u8], limits: &Limits, out: &mut Vec<u8>) -> Result<Dims, Error> {
        guarded(self.name(), bmp, limits, || {
            let img =
                image::load_from_memory_with_format(bmp, image::ImageFormat::Bmp).map_err(|e| {
                    Error::Peer {
                        decoder: "image",
                        message: e.to_string(),
                    }
                })?;
            let rgba = img.into_rgba8();
            let (w, h) = rgba.dimensions();
            to_rgba(self.name(), rgba.as_raw(), 4, w, h, out)
        })
    }
}
