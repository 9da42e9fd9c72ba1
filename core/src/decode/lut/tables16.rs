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
/// `((px >> shift) & max) * mul + add) >> post`. `mul`, `add` and `post` are searched for
/// when the decoder is built and kept only if they reproduce the exact rounding rule of
/// [`crate::format::masks::scale`] for every channel value; an absent channel is
/// `max = 0, add = its constant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Scale16 {
    pub(super) shift: u16,
    pub(super) max: u16,
    pub(super) mul: u16,
    pub(super) add: u16,
    pub(super) post: u16,
}

impl Scale16 {
    /// Parameters for all four channels, or `None` when a channel is wider than 8 bits or
    /// no parameters reproduce the exact rule.
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
        if c.bits > 8 {
            return None;
        }
        let max = (1u32 << c.bits) - 1;
        let exact = |s: &Scale16| {
            (0..=max).all(|v| s.apply(v as u16) == Some(crate::format::masks::scale(v, c.bits)))
        };
        (0..=8u32).find_map(|post| {
            let ideal = (255u32 << post) / max;
            (ideal.saturating_sub(2)..=ideal + 2).find_map(|mul| {
                (0..=(1u32 << post)).find_map(|add| {
                    let s = Scale16 {
                        shift: c.shift as u16,
                        max: max as u16,
                        mul: u16::try_from(mul).ok()?,
                        add: u16::try_from(add).ok()?,
                        post: post as u16,
                    };
                    exact(&s).then_some(s)
                })
            })
        })
    }

    /// The scaled value of raw channel value `v`, `None` if the 16-bit lane would overflow.
    fn apply(&self, v: u16) -> Option<u8> {
        let x = u32::from(v) * u32::from(self.mul) + u32::from(self.add);
        (x <= 0xffff).then(|| (x >> self.post) as u8)
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
        let t: Arc<[u32]> = (0..=u16::MAX)
            .map(|px| order(u32::from_ne_bytes(masks.rgba(u32::from(px))), blue_first))
            .collect();
        *cached = Some((masks, Arc::clone(&t)));
        t
    })
}
