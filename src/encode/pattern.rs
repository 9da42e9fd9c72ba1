//! The synthetic picture every fixture is drawn from: gradients, a disc, hash noise, and the
//! palette, levels and channel quantisation that turn it into stored pixels.

/// A cheap, well-mixed 32-bit hash of a pixel position.
#[inline]
pub(super) fn hash(x: u32, y: u32) -> u32 {
    let mut v = x.wrapping_mul(0x9e37_79b1) ^ y.wrapping_mul(0x85eb_ca77) ^ 0x27d4_eb2f;
    v ^= v >> 15;
    v = v.wrapping_mul(0x2c1b_3c6d);
    v ^= v >> 12;
    v = v.wrapping_mul(0x297a_2d39);
    v ^ (v >> 15)
}

/// True inside a disc left of centre: an "object" in the frame.
#[inline]
fn in_disc(x: u32, y: u32, w: u32, h: u32) -> bool {
    let (dx, dy) = (
        i64::from(x) - i64::from(w / 3),
        i64::from(y) - i64::from(h / 2),
    );
    let r = i64::from(w.min(h) / 4);
    dx * dx + dy * dy < r * r
}

/// `v` clamped to a byte.
#[inline]
fn clamp8(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// The source colour at `(x, y)` (`y = 0` at the top): gradients, a disc, noise.
#[inline]
pub(super) fn colour(x: u32, y: u32, w: u32, h: u32) -> [u8; 4] {
    let n = hash(x, y);
    let gx = (u64::from(x) * 255 / u64::from((w - 1).max(1))) as i32;
    let gy = (u64::from(y) * 255 / u64::from((h - 1).max(1))) as i32;
    let noise = |k: u32| ((n >> k) & 31) as i32 - 16;
    let mid = (gx + gy) / 2;
    let b = if in_disc(x, y, w, h) { 255 - mid } else { mid };
    [
        clamp8(gx + noise(0)),
        clamp8(gy + noise(5)),
        clamp8(b + noise(10)),
        clamp8(gx + 2 * noise(15)),
    ]
}

/// A dithered gradient level in `0..n` at `(x, y)` (`y = 0` at the top), `n` ≤ 256.
#[inline]
fn level(x: u32, y: u32, w: u32, h: u32, n: u32) -> u32 {
    let gx = u64::from(x) * 65535 / u64::from((w - 1).max(1));
    let gy = u64::from(y) * 65535 / u64::from((h - 1).max(1));
    let mut g = (gx + gy) / 2;
    if in_disc(x, y, w, h) {
        g = 65535 - g;
    }
    let n32 = hash(x, y);
    // Dither: g * (n - 1) + noise < 65536 * n, so the level is at most n - 1.
    let v = ((g * u64::from(n - 1) + u64::from(n32 & 0xffff)) >> 16) as i32;
    if n < 16 {
        return v as u32;
    }
    // Sensor-like grain of a few levels on deep palettes.
    (v + ((n32 >> 16) & 7) as i32 - 4).clamp(0, n as i32 - 1) as u32
}

/// Palette entry `i` of a palette of `len` entries, as R, G, B (never black).
#[inline]
fn palette_rgb(i: u32, len: u32) -> [u8; 3] {
    let t = i * 255 / (len - 1).max(1);
    [t as u8, (t * 3 / 4 + 40) as u8, (255 - t / 2) as u8]
}

/// The whole palette of `len` entries as opaque RGBA.
pub(super) fn palette_rgba(len: u32) -> Vec<[u8; 4]> {
    (0..len)
        .map(|i| {
            let [r, g, b] = palette_rgb(i, len);
            [r, g, b, 255]
        })
        .collect()
}

/// The palette index of an uncompressed indexed pixel.
#[inline]
pub(super) fn index_at(x: u32, y: u32, w: u32, h: u32, bpp: u8, colors: u16, stray: bool) -> u32 {
    let n = 1u32 << bpp;
    let v = level(x, y, w, h, n);
    if stray {
        v
    } else {
        v * u32::from(colors) / n
    }
}

/// An n-bit channel value for an 8-bit colour `c` (nearest), for a mask of `bits` bits.
#[inline]
pub(super) fn quantize(c: u8, bits: u32) -> u32 {
    let m = (1u64 << bits) - 1;
    ((u64::from(c) * m + 127) / 255) as u32
}

/// `(shift, bits)` of a contiguous mask; `(0, 0)` for an absent one.
pub(super) fn channel(mask: u32) -> (u32, u32) {
    if mask == 0 {
        (0, 0)
    } else {
        let shift = mask.trailing_zeros();
        (shift, (mask >> shift).trailing_ones())
    }
}
