//! What every third-party adapter shares: the [`Peer`] call as the crate's users make it,
//! its [`Native`] output, the conversion of that output to canonical RGBA (ours, timed
//! apart), the limits gate and panic catching.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::convert::{bmp_to_rgba, grey_alpha_to_rgba, grey_to_rgba, rgb_to_rgba};
use super::{Dims, Error, Frame, Limits};
use shmbmp::decode::prepare_output;
use shmbmp::format::{PixelLayout, RawHeader};
use shmbmp::DecodeError;

/// A third-party decoder called as its own users call it: [`Peer::call`] ends in the crate's
/// own output; turning that into canonical RGBA ([`Native::write_rgba`]) is ours and is
/// timed as a step of its own.
pub trait Peer: Send + Sync {
    /// The adapter's registry name (`image`, `bmp`, `zune`).
    fn name(&self) -> &'static str;

    /// The crate's API as called, in words, for reports (`bmp::from_reader`, ...).
    fn api(&self) -> &'static str;

    /// The crate's own call on `bmp`, behind the limits gate and `catch_unwind`.
    fn call(&self, bmp: &[u8], limits: &Limits) -> Result<Native, Error>;

    /// The crate's own call whose output comes nearest `layout` (its 3-byte RGB for RGB and
    /// BGR where it has one); by default [`Peer::call`]. Whether the output *is* `layout`
    /// is [`Native::layout`]'s to say; converting it is ours ([`Native::write_layout`]).
    fn call_as(&self, bmp: &[u8], limits: &Limits, layout: PixelLayout) -> Result<Native, Error> {
        let _ = layout;
        self.call(bmp, limits)
    }
}

/// [`Peer::call`], then [`Native::into_rgba`]: a peer's `Decoder::decode_into`.
pub(crate) fn decode_into(
    peer: &dyn Peer,
    bmp: &[u8],
    limits: &Limits,
    out: &mut Vec<u8>,
) -> Result<Dims, Error> {
    peer.call(bmp, limits)?.into_rgba(peer.name(), out)
}

/// A peer's output as its crate returns it.
#[derive(Debug, Clone)]
pub enum Native {
    /// Canonical RGBA8 already (the `image` crate's `into_rgba8`): taken as is, no copy.
    Rgba(Frame),
    /// Top-down packed pixels of `channels` bytes: 1 grey, 2 grey and alpha, 3 RGB.
    Packed {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Bytes a pixel.
        channels: usize,
        /// `width * height * channels` bytes.
        pixels: Vec<u8>,
    },
    /// The `bmp` crate's `Image`, whose pixels are reached through `get_pixel`.
    Bmp(bmp::Image),
}

impl Native {
    /// `pixels` as a peer returned them, `channels` bytes a pixel: RGBA (4) becomes
    /// [`Native::Rgba`]; a length that does not match the dimensions is the peer's error.
    pub fn packed(
        name: &'static str,
        width: u32,
        height: u32,
        channels: usize,
        pixels: Vec<u8>,
    ) -> Result<Native, Error> {
        let want = (width as usize * height as usize).checked_mul(channels);
        if !(1..=4).contains(&channels) || want != Some(pixels.len()) {
            return Err(Error::Peer {
                decoder: name,
                message: format!(
                    "returned {} bytes for {width}x{height} with {channels} channels",
                    pixels.len()
                ),
            });
        }
        Ok(if channels == 4 {
            Native::Rgba(Frame {
                width,
                height,
                rgba: pixels,
            })
        } else {
            Native::Packed {
                width,
                height,
                channels,
                pixels,
            }
        })
    }

    /// Width and height.
    pub fn dims(&self) -> Dims {
        let (width, height) = match self {
            Native::Rgba(f) => (f.width, f.height),
            Native::Packed { width, height, .. } => (*width, *height),
            Native::Bmp(img) => (img.get_width(), img.get_height()),
        };
        Dims { width, height }
    }

    /// The output's format in words: `RGBA8`, `RGB8`, `grey8`, `grey+alpha8`, `bmp::Image`.
    pub fn format(&self) -> &'static str {
        match self {
            Native::Rgba(_) => "RGBA8",
            Native::Packed { channels: 1, .. } => "grey8",
            Native::Packed { channels: 2, .. } => "grey+alpha8",
            Native::Packed { .. } => "RGB8",
            Native::Bmp(_) => "bmp::Image",
        }
    }

    /// The layout of ours this output already is: RGBA8 is [`PixelLayout::Rgba`], RGB8
    /// [`PixelLayout::Rgb`]; `None` for grey and the `bmp` crate's `Image`.
    pub fn layout(&self) -> Option<PixelLayout> {
        match self {
            Native::Rgba(_) => Some(PixelLayout::Rgba),
            Native::Packed { channels: 3, .. } => Some(PixelLayout::Rgb),
            _ => None,
        }
    }

    /// Writes the pixels in `layout` into `out` (resized to `width * height *
    /// layout.bytes_per_pixel()`): the conversion, ours, that a peer not producing `layout`
    /// needs, timed apart from its call. RGBA goes through [`Native::write_rgba`]; the other
    /// layouts are each pixel reordered ([`PixelLayout::from_rgba`]), alpha dropped for the
    /// 3-byte ones.
    pub fn write_layout(&self, layout: PixelLayout, out: &mut Vec<u8>) -> Dims {
        if layout == PixelLayout::Rgba {
            return self.write_rgba(out);
        }
        let dims = self.dims();
        let n = layout.bytes_per_pixel();
        prepare_output(out, dims.width as usize * dims.height as usize * n);
        match self {
            Native::Rgba(f) => reorder::<4>(&f.rgba, layout, out, |p| [p[0], p[1], p[2], p[3]]),
            Native::Packed {
                channels, pixels, ..
            } => match channels {
                1 => reorder::<1>(pixels, layout, out, |p| [p[0], p[0], p[0], 255]),
                2 => reorder::<2>(pixels, layout, out, |p| [p[0], p[0], p[0], p[1]]),
                _ => reorder::<3>(pixels, layout, out, |p| [p[0], p[1], p[2], 255]),
            },
            Native::Bmp(_) => {
                // The `bmp` crate's pixels are reached one `get_pixel` at a time anyway.
                let mut rgba = Vec::new();
                self.write_rgba(&mut rgba);
                reorder::<4>(&rgba, layout, out, |p| [p[0], p[1], p[2], p[3]]);
            }
        }
        dims
    }

    /// Whether this already is canonical RGBA, so that [`Native::into_rgba`] only moves it.
    pub fn is_rgba(&self) -> bool {
        matches!(self, Native::Rgba(_))
    }

    /// Writes canonical RGBA into `out` (resized to `width * height * 4`), reusing it: the
    /// conversion step that the reports time apart from the peer's call.
    pub fn write_rgba(&self, out: &mut Vec<u8>) -> Dims {
        let dims = self.dims();
        prepare_output(out, dims.width as usize * dims.height as usize * 4);
        match self {
            Native::Rgba(f) => out.copy_from_slice(&f.rgba),
            Native::Packed {
                channels, pixels, ..
            } => match channels {
                1 => grey_to_rgba(pixels, out),
                2 => grey_alpha_to_rgba(pixels, out),
                _ => rgb_to_rgba(pixels, out),
            },
            Native::Bmp(img) => bmp_to_rgba(img, out),
        }
        dims
    }

    /// Canonical RGBA in `out`: an RGBA output is moved there (its buffer replaces `out`'s),
    /// any other is written by [`Native::write_rgba`].
    pub fn into_rgba(self, name: &'static str, out: &mut Vec<u8>) -> Result<Dims, Error> {
        match self {
            Native::Rgba(f) => {
                if f.rgba.len() != f.width as usize * f.height as usize * 4 {
                    return Err(Error::Peer {
                        decoder: name,
                        message: format!(
                            "returned {} bytes of RGBA for {}x{}",
                            f.rgba.len(),
                            f.width,
                            f.height
                        ),
                    });
                }
                *out = f.rgba;
                Ok(Dims {
                    width: f.width,
                    height: f.height,
                })
            }
            other => Ok(other.write_rgba(out)),
        }
    }
}

/// Runs `decode` for the peer `name` only once our own header reading has shown the
/// image fits `limits`; turns a panic into [`Error::Panicked`].
///
/// Peers are never handed bytes whose dimensions we could not read or that exceed the
/// limits: measured here, the `bmp` crate aborts the process allocating for BMP Suite's
/// `b/reallybig.bmp`, which `catch_unwind` cannot catch.
pub(crate) fn guarded<T, F>(
    name: &'static str,
    bmp: &[u8],
    limits: &Limits,
    decode: F,
) -> Result<T, Error>
where
    F: FnOnce() -> Result<T, Error>,
{
    let raw = RawHeader::read(bmp)?;
    let (width, height) = raw.dimensions()?;
    limits.check(width, height)?;
    if u64::from(raw.colors_used) > bmp.len() as u64 {
        return Err(Error::Decode(DecodeError::InvalidField {
            field: "colours used",
            offset: 46,
            value: i64::from(raw.colors_used),
            reason: "more palette entries than the input has bytes; not handed to the peer",
        }));
    }
    catch_unwind(AssertUnwindSafe(decode)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".into());
        Err(Error::Panicked {
            decoder: name,
            message,
        })
    })
}

/// Each `S`-byte pixel of `src`, read as RGBA by `rgba`, written to `dst` in `layout`
/// (one loop per layout, so that the compiler sees fixed sizes and a fixed order).
fn reorder<const S: usize>(
    src: &[u8],
    layout: PixelLayout,
    dst: &mut [u8],
    rgba: impl Fn(&[u8; S]) -> [u8; 4],
) {
    fn each<const S: usize, const N: usize>(
        src: &[u8],
        dst: &mut [u8],
        px: impl Fn(&[u8; S]) -> [u8; 4],
    ) {
        for (s, d) in src.chunks_exact(S).zip(dst.chunks_exact_mut(N)) {
            let s: &[u8; S] = s.try_into().expect("chunks of S bytes");
            d.copy_from_slice(&px(s)[..N]);
        }
    }
    let bgra = |p: &[u8; S]| PixelLayout::Bgra.from_rgba(rgba(p));
    match layout {
        PixelLayout::Bgra => each::<S, 4>(src, dst, bgra),
        PixelLayout::Bgr => each::<S, 3>(src, dst, bgra),
        PixelLayout::Rgb => each::<S, 3>(src, dst, &rgba),
        _ => each::<S, 4>(src, dst, &rgba),
    }
}

/// `impl Decoder` for a [`Peer`]: its name, `Origin::Peer`, [`decode_into`] (its call, then
/// the conversion to canonical RGBA) and itself as the peer. (A blanket impl would overlap
/// the one for the core crate's decoders.)
macro_rules! peer_decoder {
    ($peer:ty) => {
        impl $crate::decode::Decoder for $peer {
            fn name(&self) -> &'static str {
                $crate::decode::Peer::name(self)
            }

            fn origin(&self) -> $crate::decode::Origin {
                $crate::decode::Origin::Peer
            }

            fn decode_into(
                &self,
                bmp: &[u8],
                limits: &$crate::decode::Limits,
                out: &mut Vec<u8>,
            ) -> Result<$crate::decode::Dims, $crate::decode::Error> {
                $crate::decode::peer::decode_into(self, bmp, limits, out)
            }

            fn peer(&self) -> Option<&dyn $crate::decode::Peer> {
                Some(self)
            }
        }
    };
}
pub(super) use peer_decoder;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_pixels_become_rgba_at_every_width() {
        for width in [1u32, 7, 8, 9, 17, 33] {
            let n = width as usize * 3;
            let rgb: Vec<u8> = (0..n * 3).map(|i| (i * 7 % 251) as u8).collect();
            let native = Native::packed("t", width, 3, 3, rgb.clone()).unwrap();
            assert_eq!(native.format(), "RGB8");
            let mut out = vec![9; 5];
            let dims = native.write_rgba(&mut out);
            assert_eq!((dims.width, dims.height), (width, 3));
            let want: Vec<u8> = rgb
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect();
            assert_eq!(out, want, "width {width}");
        }
        let grey = Native::packed("t", 2, 1, 1, vec![5, 6]).unwrap();
        assert_eq!(
            grey.write_rgba(&mut Vec::new()),
            Dims {
                width: 2,
                height: 1
            }
        );
        let mut out = Vec::new();
        grey.write_rgba(&mut out);
        assert_eq!(out, [5, 5, 5, 255, 6, 6, 6, 255]);
        let mut out = Vec::new();
        Native::packed("t", 1, 1, 2, vec![3, 4])
            .unwrap()
            .write_rgba(&mut out);
        assert_eq!(out, [3, 3, 3, 4]);
    }

    #[test]
    fn rgba_is_moved_not_copied_and_bad_lengths_are_the_peers_error() {
        let rgba = vec![1, 2, 3, 4, 5, 6, 7, 8];
        let ptr = rgba.as_ptr();
        let native = Native::packed("t", 2, 1, 4, rgba).unwrap();
        assert!(native.is_rgba());
        let mut out = vec![0; 8];
        native.into_rgba("t", &mut out).unwrap();
        assert_eq!(out.as_ptr(), ptr, "the peer's buffer is taken as is");
        assert!(Native::packed("t", 2, 2, 3, vec![0; 11]).is_err());
        assert!(Native::packed("t", 1, 1, 5, vec![0; 5]).is_err());
    }
}
