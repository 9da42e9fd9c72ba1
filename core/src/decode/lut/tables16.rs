//! Channel tables for bitfield pixels: 8-bit lookups per channel (32-bit masks), the
//! 65,536-entry RGBA table for 16-bit masks (cached per thread), and the table-free 16-bit
//! scaling the SIMD kernels use.

use std::cell::RefCell;
use std::sync::Arc;

use super::palette::order;
use crate::format::{Channel, Masks};

/// One 8-bit channel lookup: `table[(px >> shift) & max]`, or the formula for wide channels.
#[derive(Debug, Clone)]
pub(super) struct ChannelLut {
    channel: Channel,
    max: u32,
    table: [u8; 256],
    absent: u8,
}

impl ChannelLut {
    pub(super) fn new(channel: Channel, absent: u8) -> Self {
        let mut table = [0u8; 256];
        if (1..=8).contains(&channel.bits) {
            for (v, slot) in table.iter_mut().enumerate().take(1 << channel.bits) {
                *slot = crate::format::masks::scale(v as u32, channel.bits);
            }
        }
        let max = ((1u64 << channel.bits) - 1) as u32;
        ChannelLut {
            channel,
            max,
            table,
            absent,
        }
    }

    #[inline(always)]
    pub(super) fn get(&self, px: u32) -> u8 {
        match self.channel.bits {
            0 => self.absent,
            1..=8 => self.table[((px >> self.channel.shift) & self.max) as usize],
            _ => self.channel.extract(px, self.absent),
        }
    }
}

/// One channel of a 16-bit pixel scaled without a table, in 16-bit arithmetic:
/// `((px >> shift) & max) * mul + add) >> post`, with `mul`, `add` and `post` from
/// [`SCALE_PARAMS`] (found when this crate is compiled, reproducing the exact rounding rule
/// of [`crate::format::masks::scale`] for every channel value); an absent channel is
/// `max = 0, add = its constant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Scale16 {
    pub(super) shift: u16,
    pub(super) max: u16,
    pub(super) mul: u16,
    pub(super) add: u16,
    pub(super) post: u16,
}

/// `(mul, add, post)` for channels of 1 to 8 bits (index = bits; 0 unused): the first found
/// with `post` from 0 to 8, `mul` within 2 of `(255 << post) / max` and `add` up to
/// `1 << post` that gives `scale(v, bits)` for every `v` without overflowing 16 bits.
/// Searched at compile time: searched on each decode it took ~22 µs a frame here.
pub(super) const SCALE_PARAMS: [Option<(u16, u16, u16)>; 9] = {
    let mut out = [None; 9];
    let mut bits = 1;
    while bits <= 8 {
        out[bits] = search_params(bits as u32);
        bits += 1;
    }
    out
};

const fn search_params(bits: u32) -> Option<(u16, u16, u16)> {
    let max = (1u32 << bits) - 1;
    let mut post = 0;
    while post <= 8 {
        let ideal = (255u32 << post) / max;
        let mut mul = ideal.saturating_sub(2);
        while mul <= ideal + 2 {
            let mut add = 0;
            while add <= 1u32 << post {
                if reproduces(bits, mul, add, post) {
                    return Some((mul as u16, add as u16, post as u16));
                }
                add += 1;
            }
            mul += 1;
        }
        post += 1;
    }
    None
}

/// Whether `(v * mul + add) >> post` is `scale(v, bits)` for every `bits`-bit `v`, within
/// 16 bits.
const fn reproduces(bits: u32, mul: u32, add: u32, post: u32) -> bool {
    let mut v = 0;
    while v < 1 << bits {
        let x = v * mul + add;
        if x > 0xffff || x >> post != crate::format::masks::scale(v, bits) as u32 {
            return false;
        }
        v += 1;
    }
    true
}

impl Scale16 {
    /// Parameters for all four channels, or `None` when a channel is wider than 8 bits.
    pub(super) fn for_masks(masks: &Masks) -> Option<[Scale16; 4]> {
        Some([
            Self::for_channel(masks.r, 0)?,
            Self::for_channel(masks.g, 0)?,
            Self::for_channel(masks.b, 0)?,
            Self::for_channel(masks.a, 255)?,
        ])
    }

    fn for_channel(c: Channel, absent: u8) -> Option<Scale16> {
        if c.bits == 0 {
            return Some(Scale16 {
                shift: 0,
                max: 0,
                mul: 0,
                add: u16::from(absent),
                post: 0,
            });
        }
        let (mul, add, post) = (*SCALE_PARAMS.get(c.bits as usize)?)?;
        Some(Scale16 {
            shift: c.shift as u16,
            max: ((1u32 << c.bits) - 1) as u16,
            mul,
            add,
            post,
        })
    }

    /// This channel of pixel `px`, scaled.
    #[inline(always)]
    pub(super) fn get(&self, px: u32) -> u8 {
        let v = (px >> self.shift) & u32::from(self.max);
        ((v * u32::from(self.mul) + u32::from(self.add)) >> self.post) as u8
    }
}

/// A 16-bit table with the masks it was built for.
type Cached16 = Option<(Masks, Arc<[u32]>)>;

thread_local! {
    /// The last 16-bit table built on this thread for each pixel order (red first, blue
    /// first), with the masks it was built for: a program that decodes the same stream to
    /// RGBA and to BGR in turn does not rebuild a table each frame.
    static TABLE16: RefCell<[Cached16; 2]> = const { RefCell::new([None, None]) };
}

/// The 65,536-entry table for 16-bit `masks` (RGBA, or BGRA when `blue_first`), reused
/// while the masks stay the same.
pub(super) fn table16(masks: Masks, blue_first: bool) -> Arc<[u32]> {
    TABLE16.with(|cell| {
        let cached = &mut cell.borrow_mut()[usize::from(blue_first)];
        if let Some((m, t)) = cached.as_ref() {
            if *m == masks {
                return Arc::clone(t);
            }
        }
        // The multipliers where every channel has them (they give `scale`'s results, see
        // the tests); a division per channel and pixel cost ~0.7-1.1 ms a table.
        fn build(rgba: impl Fn(u32) -> [u8; 4], blue_first: bool) -> Arc<[u32]> {
            (0..=u16::MAX)
                .map(|px| order(u32::from_ne_bytes(rgba(u32::from(px))), blue_first))
                .collect()
        }
        let t = match Scale16::for_masks(&masks) {
            Some(channels) => build(move |px| channels.map(|c| c.get(px)), blue_first),
            None => build(|px| masks.rgba(px), blue_first),
        };
        *cached = Some((masks, Arc::clone(&t)));
        t
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::masks::scale;

    /// Every channel width of 1 to 8 bits has parameters, and they give `scale` for every
    /// value at any shift.
    #[test]
    fn scale_params_reproduce_the_rounding_rule() {
        for bits in 1..=8u32 {
            for shift in [0, 3, 16 - bits] {
                let c = Scale16::for_channel(Channel { shift, bits }, 0)
                    .unwrap_or_else(|| panic!("{bits}-bit channels have parameters"));
                for v in 0..1u32 << bits {
                    assert_eq!(c.get(v << shift), scale(v, bits), "{bits} bits, value {v}");
                }
            }
        }
        assert!(Scale16::for_channel(Channel { shift: 0, bits: 9 }, 0).is_none());
    }
}
