//! Bounds checked before any allocation.

use crate::error::DecodeError;

/// Upper bounds on what a BMP may ask a decoder to allocate; checked before allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest accepted width in pixels.
    pub max_width: u32,
    /// Largest accepted height in pixels.
    pub max_height: u32,
    /// Largest accepted `width * height`.
    pub max_pixels: u64,
    /// Largest accepted output size in bytes (`width * height * 4`).
    pub max_bytes: u64,
}

impl Default for Limits {
    /// 2^28 pixels (1 GiB of RGBA), at most 2^20 pixels in either direction.
    fn default() -> Self {
        Limits {
            max_width: 1 << 20,
            max_height: 1 << 20,
            max_pixels: 1 << 28,
            max_bytes: 1 << 30,
        }
    }
}

impl Limits {
    /// No bounds beyond what the format itself allows (use with trusted input only).
    pub fn unlimited() -> Self {
        Limits {
            max_width: u32::MAX,
            max_height: u32::MAX,
            max_pixels: u64::MAX,
            max_bytes: u64::MAX,
        }
    }

    /// These limits with at most `n` pixels in a row.
    pub fn with_max_width(self, n: u32) -> Self {
        Limits {
            max_width: n,
            ..self
        }
    }

    /// These limits with at most `n` rows.
    pub fn with_max_height(self, n: u32) -> Self {
        Limits {
            max_height: n,
            ..self
        }
    }

    /// These limits with at most `n` pixels in all.
    pub fn with_max_pixels(self, n: u64) -> Self {
        Limits {
            max_pixels: n,
            ..self
        }
    }

    /// These limits with at most `n` bytes of RGBA output.
    pub fn with_max_bytes(self, n: u64) -> Self {
        Limits {
            max_bytes: n,
            ..self
        }
    }

    /// Checks a `width` × `height` RGBA8 image against every bound.
    pub fn check(&self, width: u32, height: u32) -> Result<(), DecodeError> {
        let pixels = u64::from(width) * u64::from(height);
        let checks = [
            ("width", u64::from(width), u64::from(self.max_width)),
            ("height", u64::from(height), u64::from(self.max_height)),
            ("pixel count", pixels, self.max_pixels),
            (
                "RGBA output size in bytes",
                pixels.saturating_mul(4),
                self.max_bytes,
            ),
        ];
        for (what, value, limit) in checks {
            if value > limit {
                return Err(DecodeError::LimitExceeded { what, value, limit });
            }
        }
        // Whatever the limits say, no `Vec` holds more than `isize::MAX` bytes (asking for
        // more panics with "capacity overflow" instead of returning an error).
        if pixels.saturating_mul(4) > isize::MAX as u64 {
            return Err(DecodeError::LimitExceeded {
                what: "RGBA output size in bytes",
                value: pixels.saturating_mul(4),
                limit: isize::MAX as u64,
            });
        }
        Ok(())
    }
}
