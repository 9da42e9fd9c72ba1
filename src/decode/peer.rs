//! What every third-party adapter shares: the limits gate, panic catching and conversion
//! of the peer's native pixels to canonical RGBA.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{Dims, Error, Limits};
use shmbmp::format::RawHeader;
use shmbmp::DecodeError;

/// Runs `decode` for the peer `name` only once our own header reading has shown the
/// image fits `limits`; turns a panic into [`Error::Panicked`].
///
/// Peers are never handed bytes whose dimensions we could not read or that exceed the
/// limits: measured here, the `bmp` crate aborts the process allocating for BMP Suite's
/// `b/reallybig.bmp`, which `catch_unwind` cannot catch.
pub(crate) fn guarded<F>(
    name: &'static str,
    bmp: &[u8],
    limits: &Limits,
    decode: F,
) -> Result<Dims, Error>
where
    F: FnOnce() -> Result<Dims, Error>,
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

/// Copies `src`, `channels` bytes a pixel (1 = grey, 2 = grey+alpha, 3 = RGB, 4 = RGBA),
/// into `out` as canonical RGBA.
pub(crate) fn to_rgba(
    name: &'static str,
    src: &[u8],
    channels: usize,
    width: u32,
    height: u32,
    out: &mut Vec<u8>,
) -> Result<Dims, Error> {
    let pixels = width as usize * height as usize;
    if !(1..=4).contains(&channels) || src.len() != pixels * channels {
        return Err(Error::Peer {
            decoder: name,
            message: format!(
                "returned {} bytes for {width}x{height} with {channels} channels",
                src.len()
            ),
        });
    }
    prepare_output(out, pixels * 4);
    for (d, s) in out.chunks_exact_mut(4).zip(src.chunks_exact(channels)) {
        let rgba = match *s {
            [v] => [v, v, v, 255],
            [v, a] => [v, v, v, a],
            [r, g, b] => [r, g, b, 255],
            [r, g, b, a] => [r, g, b, a],
            _ => unreachable!("chunks_exact yields `channels` bytes"),
        };
        d.copy_from_slice(&rgba);
    }
    Ok(Dims { width, height })
}

/// Resizes `out` to `len` bytes without touching its contents when it already has that length.
pub(crate) fn prepare_output(out: &mut Vec<u8>, len: usize) {
    if out.len() != len {
        out.clear();
        out.resize(len, 0);
    }
}
