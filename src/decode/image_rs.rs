//! Adapter over the `image` crate: `load_from_memory_with_format`, then `into_rgba8`.

use shmbmp::PixelLayout;

use super::peer::{guarded, peer_decoder, Native, Peer};
use super::{Error, Frame, Limits};

/// The `image` crate's BMP decoder; `into_rgba8` already yields canonical RGBA, whose
/// buffer is taken as is.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImageCrate;

impl ImageCrate {
    /// `load_from_memory_with_format(.., Bmp)`, then `into_rgb8` (`rgb`) or `into_rgba8`.
    fn load(bmp: &[u8], limits: &Limits, rgb: bool) -> Result<Native, Error> {
        guarded("image", bmp, limits, || {
            let img =
                image::load_from_memory_with_format(bmp, image::ImageFormat::Bmp).map_err(|e| {
                    Error::Peer {
                        decoder: "image",
                        message: e.to_string(),
                    }
                })?;
            if rgb {
                let rgb = img.into_rgb8();
                let (width, height) = rgb.dimensions();
                return Native::packed("image", width, height, 3, rgb.into_raw());
            }
            let rgba = img.into_rgba8();
            let (width, height) = rgba.dimensions();
            Ok(Native::Rgba(Frame {
                width,
                height,
                rgba: rgba.into_raw(),
            }))
        })
    }
}

impl Peer for ImageCrate {
    fn name(&self) -> &'static str {
        "image"
    }

    fn api(&self) -> &'static str {
        "image::load_from_memory_with_format(.., Bmp)?.into_rgba8()"
    }

    fn call(&self, bmp: &[u8], limits: &Limits) -> Result<Native, Error> {
        Self::load(bmp, limits, false)
    }

    /// `into_rgb8` for the 3-byte layouts.
    fn call_as(&self, bmp: &[u8], limits: &Limits, layout: PixelLayout) -> Result<Native, Error> {
        Self::load(bmp, limits, layout.bytes_per_pixel() == 3)
    }
}

peer_decoder!(ImageCrate);
