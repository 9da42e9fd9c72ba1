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

/// A palette as 256 packed RGBA entries and as four byte planes (all the R bytes, then G, B,
/// A), the form byte-permute kernels look up in.
pub(super) struct Palette8 {
    pub(super) table: [u32; 256],
    pub(super) planes: [[u8; 256]; 4],
}

impl Palette8 {
    pub(super) fn new(table: [u32; 256]) -> Self {
        let mut planes = [[0u8; 256]; 4];
        for (i, entry) in table.iter().enumerate() {
            for (plane, byte) in planes.iter_mut().zip(entry.to_ne_bytes()) {
                plane[i] = byte;
            }
        }
        Palette8 { table, planes }
    }
}
