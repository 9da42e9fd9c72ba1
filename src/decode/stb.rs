//! Adapter over the `stb_image` crate: `stb_image.h` (v2.28, the C source the crate carries)
//! through `stb_image::image::load_from_memory_with_depth`.

use std::ffi::CStr;

use shmbmp::PixelLayout;
use stb_image::image::{load_from_memory_with_depth, LoadResult};

use super::peer::{guarded, peer_decoder, Native, Peer};
use super::{Error, Limits};

/// stb_image's decoder, asked for 4 channels: it writes RGBA in its decode loop, taken as is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stb;

impl Stb {
    /// `load_from_memory_with_depth(bmp, channels, false)`: stb writes `channels` (3 or 4)
    /// bytes a pixel itself; the crate then copies stb's buffer into a `Vec`.
    fn load(bmp: &[u8], limits: &Limits, channels: usize) -> Result<Native, Error> {
        guarded("stb", bmp, limits, || {
            match load_from_memory_with_depth(bmp, channels, false) {
                LoadResult::ImageU8(img) => Native::packed(
                    "stb",
                    u32::try_from(img.width).unwrap_or(u32::MAX),
                    u32::try_from(img.height).unwrap_or(u32::MAX),
                    img.depth,
                    img.data,
                ),
                LoadResult::ImageF32(_) => Err(Error::Peer {
                    decoder: "stb",
                    message: "returned floating-point (HDR) pixels".into(),
                }),
                LoadResult::Error(e) => Err(Error::Peer {
                    decoder: "stb",
                    message: format!("{e}: {}", failure_reason()),
                }),
            }
        })
    }
}

/// stb's own word for its last failure on this thread (`stbi_failure_reason`).
fn failure_reason() -> String {
    // SAFETY: `stbi_failure_reason` takes nothing and returns NULL or a pointer to a static,
    // NUL-terminated C string literal (stb keeps the last reason per thread).
    let reason = unsafe { stb_image::stb_image::stbi_failure_reason() };
    if reason.is_null() {
        return "no reason given".into();
    }
    // SAFETY: non-NULL, so a NUL-terminated string literal that lives for the whole program.
    unsafe { CStr::from_ptr(reason) }
        .to_string_lossy()
        .into_owned()
}

impl Peer for Stb {
    fn name(&self) -> &'static str {
        "stb"
    }

    fn api(&self) -> &'static str {
        "stb_image::image::load_from_memory_with_depth(.., 4, false) (stb_image.h v2.28)"
    }

    fn call(&self, bmp: &[u8], limits: &Limits) -> Result<Native, Error> {
        Self::load(bmp, limits, 4)
    }

    /// Three channels (stb's RGB) for the 3-byte layouts, four (RGBA) for the others.
    fn call_as(&self, bmp: &[u8], limits: &Limits, layout: PixelLayout) -> Result<Native, Error> {
        Self::load(bmp, limits, layout.bytes_per_pixel())
    }
}

peer_decoder!(Stb);
