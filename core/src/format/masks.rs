//! Bitfield masks: how an n-bit channel is located in a pixel and scaled to 8 bits.
//!
//! The scaling rule lives here and nowhere else: an n-bit value `v` with `m = 2^n - 1`
//! becomes `(v * 255 + m / 2) / m` (exact rounding, what the `image` crate does).
//! Channels of 8 bits pass through unchanged; a zero mask reads as 0.

use crate::error::DecodeError;

/// One colour channel of a bitfield pixel: a contiguous run of `bits` bits at `shift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Channel {
    /// Position of the lowest bit of the mask.
    pub shift: u32,
    /// Number of bits in the mask (0 means the channel is absent).
    pub bits: u32,
}

/// Scales an n-bit channel value to 8 bits by exact rounding: `(v * 255 + m / 2) / m`.
///
/// `bits` must be 1..=32 and `v <= 2^bits - 1`.
#[inline]
pub const fn scale(v: u32, bits: u32) -> u8 {
    let m = (1u64 << bits) - 1;
    ((v as u64 * 255 + m / 2) / m) as u8
}

impl Channel {
    /// Builds a channel from a mask, rejecting masks whose set bits are not contiguous.
    pub fn from_mask(field: &'static str, mask: u32, offset: usize) -> Result<Self, DecodeError> {
        if mask == 0 {
            return Ok(Channel::default());
        }
        let shift = mask.trailing_zeros();
        let bits = (mask >> shift).trailing_ones();
        // `bits` is 32 for a full mask: `checked_shr` keeps the shift in range.
        if (mask >> shift).checked_shr(bits).unwrap_or(0) != 0 {
            return Err(DecodeError::InvalidField {
                field,
                offset,
                value: i64::from(mask),
                reason: "mask bits are not contiguous",
            });
        }
        Ok(Channel { shift, bits })
    }

    /// True when the mask is zero.
    pub fn is_absent(&self) -> bool {
        self.bits == 0
    }

    /// The channel's mask within a pixel.
    pub fn mask(&self) -> u32 {
        if self.bits == 0 {
            0
        } else {
            (((1u64 << self.bits) - 1) as u32) << self.shift
        }
    }

    /// The raw n-bit value of this channel in `pixel`.
    #[inline]
    pub fn raw(&self, pixel: u32) -> u32 {
        (pixel & self.mask()) >> self.shift
    }

    /// The channel of `pixel` scaled to 8 bits (`absent` when the mask is zero).
    #[inline]
    pub fn extract(&self, pixel: u32, absent: u8) -> u8 {
        if self.bits == 0 {
            absent
        } else {
            scale(self.raw(pixel), self.bits)
        }
    }

    /// Every scaled value of this channel indexed by raw value, when it has at most 16 bits.
    pub fn table(&self) -> Option<Vec<u8>> {
        (self.bits <= 16).then(|| {
            if self.bits == 0 {
                return vec![0];
            }
            (0..1u32 << self.bits)
                .map(|v| scale(v, self.bits))
                .collect()
        })
    }
}

/// The four channels of a bitfield pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Masks {
    /// Red channel.
    pub r: Channel,
    /// Green channel.
    pub g: Channel,
    /// Blue channel.
    pub b: Channel,
    /// Alpha channel; absent means every pixel is opaque.
    pub a: Channel,
}

impl Masks {
    /// The masks a 16-bit BI_RGB file implies: 5 bits each, 5-5-5.
    pub const RGB555: [u32; 4] = [0x7c00, 0x03e0, 0x001f, 0];
    /// The masks a 32-bit BI_RGB file implies: 8 bits each, alpha byte ignored.
    pub const RGB888: [u32; 4] = [0x00ff_0000, 0x0000_ff00, 0x0000_00ff, 0];

    /// Validates raw `[r, g, b, a]` masks for a pixel of `bpp` bits.
    ///
    /// `offset` is where the masks were read (for error messages). Masks must be
    /// contiguous, fit within `bpp` bits and not overlap one another.
    pub fn from_raw(raw: [u32; 4], bpp: u16, offset: usize) -> Result<Self, DecodeError> {
        const NAMES: [&str; 4] = ["red mask", "green mask", "blue mask", "alpha mask"];
        let mut seen = 0u32;
        for (i, &m) in raw.iter().enumerate() {
            let field = NAMES[i];
            if bpp < 32 && m >> bpp != 0 {
                return Err(DecodeError::InvalidField {
                    field,
                    offset: offset + 4 * i,
                    value: i64::from(m),
                    reason: "mask has bits beyond the pixel size",
                });
            }
            if seen & m != 0 {
                return Err(DecodeError::InvalidField {
                    field,
                    offset: offset + 4 * i,
                    value: i64::from(m),
                    reason: "mask overlaps another channel's mask",
                });
            }
            seen |= m;
        }
        Ok(Masks {
            r: Channel::from_mask(NAMES[0], raw[0], offset)?,
            g: Channel::from_mask(NAMES[1], raw[1], offset + 4)?,
            b: Channel::from_mask(NAMES[2], raw[2], offset + 8)?,
            a: Channel::from_mask(NAMES[3], raw[3], offset + 12)?,
        })
    }

    /// The canonical RGBA of one pixel: alpha 255 when the alpha mask is absent.
    #[inline]
    pub fn rgba(&self, pixel: u32) -> [u8; 4] {
        [
            self.r.extract(pixel, 0),
            self.g.extract(pixel, 0),
            self.b.extract(pixel, 0),
            self.a.extract(pixel, 255),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_bit_scaling_rounds_exactly() {
        let got: Vec<u8> = (0..6).map(|v| scale(v, 5)).collect();
        assert_eq!(got, [0, 8, 16, 25, 33, 41]);
        assert_eq!(scale(31, 5), 255);
        assert_eq!(scale(63, 6), 255);
        assert_eq!(scale(1, 1), 255);
    }

    #[test]
    fn eight_bits_pass_through_and_wide_channels_round() {
        for v in 0..=255 {
            assert_eq!(scale(v, 8), v as u8);
        }
        assert_eq!(scale(1023, 10), 255);
        assert_eq!(scale(512, 10), 128);
        assert_eq!(scale(u32::MAX, 32), 255);
    }

    #[test]
    fn masks_are_validated() {
        let m = Masks::from_raw([0xf800, 0x07e0, 0x001f, 0], 16, 54).unwrap();
        assert_eq!((m.r.shift, m.r.bits, m.g.bits, m.b.bits), (11, 5, 6, 5));
        assert_eq!(m.rgba(0xffff), [255, 255, 255, 255]);
        assert!(Masks::from_raw([0xf0f0, 0, 0, 0], 16, 54).is_err());
        assert!(Masks::from_raw([0xff00, 0x0ff0, 0, 0], 16, 54).is_err());
        assert!(Masks::from_raw([0x1_0000, 0, 0, 0], 16, 54).is_err());
        // A full 32-bit mask is one contiguous channel (its check once overflowed the shift).
        let full = Channel::from_mask("red mask", u32::MAX, 54).unwrap();
        assert_eq!((full.shift, full.bits, full.mask()), (0, 32, u32::MAX));
        assert!(Channel::from_mask("red mask", 0xffff_fffe, 54).is_ok());
        assert!(Channel::from_mask("red mask", 0x7fff_fffd, 54).is_err());
    }

    #[test]
    fn tables_match_the_formula() {
        let c = Channel { shift: 5, bits: 6 };
        let t = c.table().unwrap();
        assert_eq!(t.len(), 64);
        for v in 0..64u32 {
            assert_eq!(t[v as usize], c.extract(v << 5, 0));
        }
        assert!(Channel { shift: 0, bits: 17 }.table().is_none());
    }
}
