//! Palettes as the kernels want them: packed RGBA entries, byte planes, and for 1/2/4-bit
//! images all the pixels each source byte expands to.

/// A packed pixel (native-endian bytes R, G, B, A) with red and blue exchanged when
/// `blue_first`: the one place pixel order enters the tables.
#[inline]
pub(super) fn order(px: u32, blue_first: bool) -> u32 {
    let [r, g, b, a] = px.to_ne_bytes();
    u32::from_ne_bytes(if blue_first {
        [b, g, r, a]
    } else {
        [r, g, b, a]
    })
}

/// A palette table in the pixel order of the output (see [`order`]).
pub(super) fn ordered(table: [u32; 256], blue_first: bool) -> [u32; 256] {
    table.map(|px| order(px, blue_first))
}

/// For `bpp`-bit indices (1, 2 or 4), the `8 / bpp` pixels each of the 256 byte values
/// expands to, most significant bits first.
pub(super) fn expand_bits(table: &[u32; 256], bpp: u8) -> [u32; 2048] {
    let per_byte = usize::from(8 / bpp);
    let mask = (1u8 << bpp) - 1;
    let mut expanded = [0u32; 2048];
    for byte in 0..=255u8 {
        for k in 0..per_byte {
            let shift = 8 - usize::from(bpp) * (k + 1);
            expanded[usize::from(byte) * per_byte + k] = table[usize::from((byte >> shift) & mask)];
        }
    }
    expanded
}

/// Bytes a byte value's pixels take in [`expand_bits3`]'s table, for `per_byte` pixels a
/// byte (8, 4 or 2): the next power of two at or above their `3 * per_byte` bytes, so that
/// a kernel can copy an entry with one wide store that the next entry's store overwrites.
pub(super) const fn stride3(per_byte: usize) -> usize {
    (3 * per_byte).next_power_of_two()
}

/// [`expand_bits`]'s pixels in 3-byte form (each entry's first three bytes), [`stride3`]
/// bytes a byte value, the bytes past its `3 * per_byte` zero.
pub(super) fn expand_bits3(expanded: &[u32; 2048], bpp: u8) -> [u8; 8192] {
    let per_byte = usize::from(8 / bpp);
    let stride = stride3(per_byte);
    let mut out = [0u8; 8192];
    for (entry, pixels) in out
        .chunks_exact_mut(stride)
        .zip(expanded.chunks_exact(per_byte))
        .take(256)
    {
        for (d, px) in entry.chunks_exact_mut(3).zip(pixels) {
            d.copy_from_slice(&px.to_ne_bytes()[..3]);
        }
    }
    out
}

/// A palette as 256 packed RGBA entries and as four byte planes (all the R bytes, then G, B,
/// A), the form byte-permute kernels look up in.
pub(super) struct Palette8 {
    pub(super) table: [u32; 256],
    /// `table` with each entry's fourth byte zero.
    pub(super) table3: [u32; 256],
    pub(super) planes: [[u8; 256]; 4],
    /// The fourth byte when every entry has the same one (alpha 255 in almost every BMP),
    /// so that a kernel may skip looking up the fourth plane (the AVX2 kernels do).
    #[cfg(target_arch = "x86_64")]
    pub(super) fourth: Option<u8>,
}

impl Palette8 {
    pub(super) fn new(table: [u32; 256]) -> Self {
        let mut planes = [[0u8; 256]; 4];
        for (i, entry) in table.iter().enumerate() {
            for (plane, byte) in planes.iter_mut().zip(entry.to_ne_bytes()) {
                plane[i] = byte;
            }
        }
        let table3 = table.map(|px| {
            let [a, b, c, _] = px.to_ne_bytes();
            u32::from_ne_bytes([a, b, c, 0])
        });
        Palette8 {
            table,
            table3,
            #[cfg(target_arch = "x86_64")]
            fourth: Some(planes[3][0]).filter(|&a| planes[3].iter().all(|&b| b == a)),
            planes,
        }
    }
}
