//! The colour table: one entry read on demand, or the whole table as packed RGBA.
//!
//! Rules, shared by every decoder of ours: entries are stored B, G, R (and a reserved
//! byte that is ignored); alpha is 255; an index at or past the palette's length
//! (short palettes, corrupt indices) reads as opaque black, as Pillow and OpenCV do.

use super::header::Layout;

/// The colour used for an index the palette does not cover.
pub const MISSING: [u8; 4] = [0, 0, 0, 255];

/// RGBA of palette entry `index`, or [`MISSING`] when the palette is shorter.
#[inline]
pub fn entry(bytes: &[u8], layout: &Layout, index: usize) -> [u8; 4] {
    let p = &layout.palette;
    if index >= p.len {
        return MISSING;
    }
    let at = p.offset + index * p.entry_size;
    [bytes[at + 2], bytes[at + 1], bytes[at], 255]
}

/// All 256 possible indices as RGBA packed into native-endian `u32`s (write them with
/// `to_ne_bytes`), missing entries opaque black.
pub fn table(bytes: &[u8], layout: &Layout) -> [u32; 256] {
    let mut t = [u32::from_ne_bytes(MISSING); 256];
    for (i, slot) in t.iter_mut().enumerate().take(layout.palette.len) {
        *slot = u32::from_ne_bytes(entry(bytes, layout, i));
    }
    t
}
