//! Deterministic BMP writer: every variant the decoders handle, from one synthetic picture.
//!
//! A [`Spec`] names a variant (header, pixel kind, size, orientation); [`encode`] writes the
//! file and [`expected_rgba`] computes, straight from the same synthetic picture and without
//! any decoder, the canonical RGBA8 the file must decode to. [`fixtures`] and
//! [`bench_fixtures`] are the one registry that tests, benches and the CLI share.
//!
//! The picture is a pair of gradients with a disc, plus a cheap integer hash of `(x, y)` as
//! noise, so frames look a little like a camera's and do not compress trivially. Run-length
//! fixtures add long flat runs, alternating pairs, noisy stretches and holes, so that every
//! RLE escape (runs, absolute blocks of odd and even length, end-of-line, delta,
//! end-of-bitmap) occurs.

use crate::format::masks::scale;
use crate::format::palette::MISSING;

/// The info header a [`Spec`] is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// OS/2 1.x `BITMAPCOREHEADER` (12 bytes): 16-bit dimensions, 3-byte palette entries,
    /// no compression field. Only full palettes (1, 4, 8 bits) and 24-bit pixels.
    Core,
    /// `BITMAPINFOHEADER` (40 bytes); BI_BITFIELDS masks (red, green, blue) follow it.
    Info,
    /// `BITMAPV3INFOHEADER` (56 bytes): red, green, blue and alpha masks inside the header.
    V3,
    /// `BITMAPV4HEADER` (108 bytes): masks inside, colour space `sRGB`.
    V4,
    /// `BITMAPV5HEADER` (124 bytes): as V4, plus rendering intent and (empty) profile fields.
    V5,
}

impl Header {
    /// The header's size in bytes, as written in its first field.
    pub fn size(self) -> u32 {
        match self {
            Header::Core => 12,
            Header::Info => 40,
            Header::V3 => 56,
            Header::V4 => 108,
            Header::V5 => 124,
        }
    }
}

/// How pixels are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Uncompressed palette indices (BI_RGB, 1, 2, 4 or 8 bits).
    Indexed {
        /// Bits per pixel: 1, 2, 4 or 8.
        bpp: u8,
        /// Palette entries written (1..=2^bpp); `biClrUsed` says so.
        colors: u16,
        /// When true, indices span all `2^bpp` values, so a short palette is overrun and
        /// those pixels read as opaque black; otherwise every index is below `colors`.
        stray: bool,
    },
    /// BI_RLE8 run-length coded 8-bit indices (bottom-up only).
    Rle8 {
        /// Palette entries written (1..=256); indices stay below it.
        colors: u16,
    },
    /// BI_RLE4 run-length coded 4-bit indices (bottom-up only).
    Rle4 {
        /// Palette entries written (1..=16); indices stay below it.
        colors: u16,
    },
    /// 16-bit BI_RGB: the implied 5-5-5 masks; the unused top bit holds noise.
    Rgb16,
    /// 16- or 32-bit BI_BITFIELDS with explicit `[r, g, b, a]` masks (alpha needs V3+).
    Bitfields {
        /// Bits per pixel: 16 or 32.
        bpp: u8,
        /// Contiguous, non-overlapping `[red, green, blue, alpha]` masks; alpha may be 0.
        masks: [u32; 4],
    },
    /// 24-bit B, G, R.
    Rgb24,
    /// 32-bit BI_RGB: B, G, R and a reserved byte holding noise (never 255), to be ignored.
    Rgb32,
}

/// 16-bit 5-6-5 masks (no alpha).
pub const MASKS_565: [u32; 4] = [0xf800, 0x07e0, 0x001f, 0];
/// 16-bit 4-4-4-4 masks with alpha in the top nibble.
pub const MASKS_4444: [u32; 4] = [0x0f00, 0x00f0, 0x000f, 0xf000];
/// 32-bit B, G, R, A bytes in memory (`0xAARRGGBB`).
pub const MASKS_BGRA: [u32; 4] = [0x00ff_0000, 0x0000_ff00, 0x0000_00ff, 0xff00_0000];
/// 32-bit B, G, R, X bytes in memory with no alpha mask.
pub const MASKS_BGRX: [u32; 4] = [0x00ff_0000, 0x0000_ff00, 0x0000_00ff, 0];
/// 32-bit A, B, G, R bytes in memory (`0xRRGGBBAA`): not the byte-aligned fast path.
pub const MASKS_RGBA: [u32; 4] = [0xff00_0000, 0x00ff_0000, 0x0000_ff00, 0x0000_00ff];

/// One BMP variant and size: everything [`encode`] and [`expected_rgba`] need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Width in pixels (≥ 1).
    pub width: u32,
    /// Height in pixels (≥ 1).
    pub height: u32,
    /// The info header written.
    pub header: Header,
    /// How pixels are stored.
    pub kind: Kind,
    /// Top-down row order (negative height); not allowed for RLE or the core header.
    pub top_down: bool,
}

/// A named [`Spec`]; names are short, snake_case and stable (snapshot file names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixture {
    /// Stable name, e.g. `pal8_w317`.
    pub name: &'static str,
    /// What to encode.
    pub spec: Spec,
}

// ---------------------------------------------------------------------------------------
// The synthetic picture.

/// A cheap, well-mixed 32-bit hash of a pixel position.
#[inline]
fn hash(x: u32, y: u32) -> u32 {
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

#[inline]
fn clamp8(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// The source colour at `(x, y)` (`y = 0` at the top): gradients, a disc, noise.
#[inline]
fn colour(x: u32, y: u32, w: u32, h: u32) -> [u8; 4] {
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

fn palette_rgba(len: u32) -> Vec<[u8; 4]> {
    (0..len)
        .map(|i| {
            let [r, g, b] = palette_rgb(i, len);
            [r, g, b, 255]
        })
        .collect()
}

/// The palette index of an uncompressed indexed pixel.
#[inline]
fn index_at(x: u32, y: u32, w: u32, h: u32, bpp: u8, colors: u16, stray: bool) -> u32 {
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
fn quantize(c: u8, bits: u32) -> u32 {
    let m = (1u64 << bits) - 1;
    ((u64::from(c) * m + 127) / 255) as u32
}

/// `(shift, bits)` of a contiguous mask; `(0, 0)` for an absent one.
fn channel(mask: u32) -> (u32, u32) {
    if mask == 0 {
        (0, 0)
    } else {
        let shift = mask.trailing_zeros();
        (shift, (mask >> shift).trailing_ones())
    }
}

// ---------------------------------------------------------------------------------------
// Run-length content: a picture with holes.

/// A cell no RLE instruction writes (skipped by delta, cut by end-of-line/-bitmap).
const UNSET: u16 = 0x100;

/// The RLE picture in stored order (row 0 = bottom), `UNSET` where nothing is written.
fn rle_cells(w: u32, h: u32, colors: u16) -> Vec<u16> {
    let c = u32::from(colors);
    let mut cells = Vec::with_capacity(w as usize * h as usize);
    for s in 0..h {
        let a = (s * 5 + 1) % c;
        let b = if c > 1 { (a + 1 + s % (c - 1)) % c } else { a };
        for x in 0..w {
            // The last row stops half way: end-of-bitmap leaves the rest unset.
            let eob = s == h - 1 && x >= w / 2;
            // Right half of row s, all of s + 1, left half of s + 2: one delta down two rows.
            let down = match s % 9 {
                4 => x >= w / 2,
                5 => true,
                6 => x <= w / 2,
                _ => false,
            };
            // A gap inside the row: delta right.
            let right = s % 5 == 1 && x >= 5 * w / 8 && x < 11 * w / 16;
            // The row's tail: end-of-line before the row's end.
            let eol = s % 6 == 2 && x >= 7 * w / 8;
            let hole = eob || down || right || eol;
            let v = if hole {
                UNSET
            } else if x < w / 4 {
                ((s / 3) % c) as u16 // long flat runs (split at 255 in wide images)
            } else if x < 3 * w / 8 {
                (if x % 2 == 0 { a } else { b }) as u16 // alternating pairs
            } else if x < 5 * w / 8 {
                (hash(x, s) % c) as u16 // noise: absolute blocks
            } else {
                // A ramp with sparse noise: medium runs broken now and then.
                let flip = u32::from(hash(x, s) & 15 == 0);
                ((x * c / w + flip).min(c - 1)) as u16
            };
            cells.push(v);
        }
    }
    cells
}

/// Counts of each RLE instruction written, to check that fixtures use every escape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct RleStats {
    runs: usize,
    full_runs: usize,
    pair_runs: usize,
    abs_odd: usize,
    abs_padded: usize,
    abs_even: usize,
    eol: usize,
    eol_early: usize,
    delta_row: usize,
    delta_down: usize,
    eob: usize,
    eob_early: usize,
}

/// Length (≤ 255) of the run starting at `v[0]`: equal values (RLE8) or a repeating pair (RLE4).
#[inline]
fn run_len(v: &[u16], four_bit: bool) -> usize {
    let max = v.len().min(255);
    let mut n = 1;
    while n < max && v[n] == if four_bit { v[n % 2] } else { v[0] } {
        n += 1;
    }
    n
}

/// Encodes one stretch of set pixels within a row.
fn rle_stretch(v: &[u16], four_bit: bool, out: &mut Vec<u8>, st: &mut RleStats) {
    let threshold = if four_bit { 4 } else { 3 };
    let run_byte = |v: &[u16], n: usize| -> u8 {
        if four_bit {
            let lo = if n > 1 { v[1] } else { 0 };
            ((v[0] << 4) | lo) as u8
        } else {
            v[0] as u8
        }
    };
    let mut i = 0;
    while i < v.len() {
        let n = run_len(&v[i..], four_bit);
        if n >= threshold {
            out.extend([n as u8, run_byte(&v[i..], n)]);
            st.runs += 1;
            st.full_runs += usize::from(n == 255);
            st.pair_runs += usize::from(four_bit && v[i] != v[i + 1]);
            i += n;
            continue;
        }
        let mut j = i;
        while j < v.len() && j - i < 255 && run_len(&v[j..], four_bit) < threshold {
            j += 1;
        }
        let block = &v[i..j];
        if block.len() < 3 {
            // Too short for absolute mode: one or two pixels as runs.
            if four_bit {
                out.extend([block.len() as u8, run_byte(block, block.len())]);
                st.pair_runs += usize::from(block.len() == 2 && block[0] != block[1]);
                st.runs += 1;
            } else {
                for &p in block {
                    out.extend([1, p as u8]);
                    st.runs += 1;
                }
            }
        } else {
            out.extend([0, block.len() as u8]);
            let start = out.len();
            if four_bit {
                for pair in block.chunks(2) {
                    let lo = pair.get(1).copied().unwrap_or(0);
                    out.push(((pair[0] << 4) | lo) as u8);
                }
            } else {
                out.extend(block.iter().map(|&p| p as u8));
            }
            let padded = (out.len() - start) % 2 == 1;
            if padded {
                out.push(0);
            }
            st.abs_padded += usize::from(padded);
            if block.len() % 2 == 1 {
                st.abs_odd += 1;
            } else {
                st.abs_even += 1;
            }
        }
        i = j;
    }
}

/// The RLE stream for `cells` (stored order), with the instruction counts.
fn rle_stream(cells: &[u16], w: usize, h: usize, four_bit: bool) -> (Vec<u8>, RleStats) {
    let mut out = Vec::with_capacity(cells.len() / 2 + 64);
    let mut st = RleStats::default();
    let (mut x, mut s) = (0usize, 0usize);
    loop {
        let at = s * w + x;
        if x < w && cells[at] != UNSET {
            let end = cells[at..s * w + w]
                .iter()
                .position(|&c| c == UNSET)
                .map_or(w, |p| x + p);
            rle_stretch(&cells[at..s * w + end], four_bit, &mut out, &mut st);
            x = end;
            continue;
        }
        // At a hole or the row's end: find the next pixel to write.
        let Some(next) = cells[at.min(cells.len())..]
            .iter()
            .position(|&c| c != UNSET)
            .map(|p| at + p)
        else {
            out.extend([0, 1]);
            st.eob += 1;
            st.eob_early += usize::from(at < w * h);
            return (out, st);
        };
        let (nx, ns) = (next % w, next / w);
        if ns == s {
            let dx = (nx - x).min(255);
            out.extend([0, 2, dx as u8, 0]);
            st.delta_row += 1;
            x += dx;
        } else if nx >= x && ns - s <= 255 {
            let dx = (nx - x).min(255);
            out.extend([0, 2, dx as u8, (ns - s) as u8]);
            st.delta_down += 1;
            x += dx;
            s = ns;
        } else {
            out.extend([0, 0]);
            st.eol += 1;
            st.eol_early += usize::from(x < w);
            x = 0;
            s += 1;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Writing files.

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Bits per pixel as written in the header.
fn bits_per_pixel(kind: Kind) -> u16 {
    match kind {
        Kind::Indexed { bpp, .. } | Kind::Bitfields { bpp, .. } => u16::from(bpp),
        Kind::Rle8 { .. } => 8,
        Kind::Rle4 { .. } => 4,
        Kind::Rgb16 => 16,
        Kind::Rgb24 => 24,
        Kind::Rgb32 => 32,
    }
}

/// Palette entries written (0 for formats without a palette).
fn palette_len(kind: Kind) -> u32 {
    match kind {
        Kind::Indexed { colors, .. } | Kind::Rle8 { colors } | Kind::Rle4 { colors } => {
            u32::from(colors)
        }
        _ => 0,
    }
}

/// Panics with a clear message when `spec` asks for something that is not a valid BMP.
fn check(spec: &Spec) {
    let bpp = bits_per_pixel(spec.kind);
    assert!(spec.width >= 1 && spec.height >= 1, "{spec:?}: empty image");
    assert!(
        spec.width <= i32::MAX as u32 && spec.height <= i32::MAX as u32,
        "{spec:?}: too large"
    );
    match spec.kind {
        Kind::Indexed { bpp, colors, .. } => {
            assert!(matches!(bpp, 1 | 2 | 4 | 8), "{spec:?}: bad bpp");
            assert!(
                colors >= 1 && u32::from(colors) <= 1 << bpp,
                "{spec:?}: bad colors"
            );
        }
        Kind::Rle8 { colors } | Kind::Rle4 { colors } => {
            assert!(
                colors >= 1 && u32::from(colors) <= 1 << bpp,
                "{spec:?}: bad colors"
            );
            assert!(!spec.top_down, "{spec:?}: RLE must be bottom-up");
        }
        Kind::Bitfields { bpp, masks } => {
            assert!(
                matches!(bpp, 16 | 32),
                "{spec:?}: bitfields need 16 or 32 bpp"
            );
            let mut seen = 0u32;
            for m in masks {
                let (shift, bits) = channel(m);
                assert!(m == 0 || (m >> shift) >> bits == 0, "{spec:?}: gappy mask");
                assert!(seen & m == 0, "{spec:?}: overlapping masks");
                assert!(bpp == 32 || m >> 16 == 0, "{spec:?}: mask beyond 16 bits");
                seen |= m;
            }
            assert!(
                masks[..3].iter().all(|&m| m != 0),
                "{spec:?}: missing colour mask"
            );
            assert!(
                spec.header != Header::Info || masks[3] == 0,
                "{spec:?}: an alpha mask needs a V3/V4/V5 header"
            );
        }
        Kind::Rgb16 | Kind::Rgb24 | Kind::Rgb32 => {}
    }
    if spec.header == Header::Core {
        assert!(
            matches!(spec.kind, Kind::Indexed { bpp: 1 | 4 | 8, colors, .. } if u32::from(colors) == 1 << bpp)
                || spec.kind == Kind::Rgb24,
            "{spec:?}: the core header takes full 1/4/8-bit palettes or 24-bit pixels"
        );
        assert!(
            !spec.top_down,
            "{spec:?}: the core header cannot be top-down"
        );
        assert!(
            spec.width <= 0xffff && spec.height <= 0xffff,
            "{spec:?}: too large for core"
        );
    }
}

/// Writes the uncompressed pixel rows (stored order, each padded to 4 bytes) into `out`.
fn write_rows(spec: &Spec, out: &mut Vec<u8>) {
    let (w, h) = (spec.width, spec.height);
    let bpp = u32::from(bits_per_pixel(spec.kind));
    let row_bytes = (w as usize * bpp as usize).div_ceil(8);
    let stride = (w as usize * bpp as usize).div_ceil(32) * 4;
    for s in 0..h {
        let y = if spec.top_down { s } else { h - 1 - s };
        let start = out.len();
        match spec.kind {
            Kind::Indexed { bpp, colors, stray } => {
                if bpp == 8 {
                    out.extend((0..w).map(|x| index_at(x, y, w, h, 8, colors, stray) as u8));
                } else {
                    let per_byte = 8 / u32::from(bpp);
                    for x0 in (0..w).step_by(per_byte as usize) {
                        let mut byte = 0u8;
                        for k in 0..per_byte.min(w - x0) {
                            let i = index_at(x0 + k, y, w, h, bpp, colors, stray) as u8;
                            byte |= i << (8 - u32::from(bpp) * (k + 1));
                        }
                        out.push(byte);
                    }
                }
            }
            Kind::Rgb16 => {
                for x in 0..w {
                    let [r, g, b, _] = colour(x, y, w, h);
                    let top = (hash(x, y) >> 20) & 1; // unused bit: noise to be ignored
                    let px = (top << 15)
                        | (quantize(r, 5) << 10)
                        | (quantize(g, 5) << 5)
                        | quantize(b, 5);
                    put16(out, px as u16);
                }
            }
            Kind::Bitfields { bpp, masks } => {
                let ch = masks.map(channel);
                for x in 0..w {
                    let c = colour(x, y, w, h);
                    let mut px = 0u32;
                    for (k, &(shift, bits)) in ch.iter().enumerate() {
                        if bits > 0 {
                            px |= quantize(c[k], bits) << shift;
                        }
                    }
                    if bpp == 16 {
                        put16(out, px as u16);
                    } else {
                        put32(out, px);
                    }
                }
            }
            Kind::Rgb24 => {
                for x in 0..w {
                    let [r, g, b, _] = colour(x, y, w, h);
                    out.extend([b, g, r]);
                }
            }
            Kind::Rgb32 => {
                for x in 0..w {
                    let [r, g, b, _] = colour(x, y, w, h);
                    let reserved = (hash(x, y) >> 24) as u8 & 0xfe; // never 255
                    out.extend([b, g, r, reserved]);
                }
            }
            Kind::Rle8 { .. } | Kind::Rle4 { .. } => unreachable!("RLE has no rows"),
        }
        debug_assert_eq!(out.len() - start, row_bytes);
        out.resize(start + stride, 0);
    }
}

/// Writes a complete BMP file for `spec`.
///
/// Header fields are computed, never assumed: `bfSize` is the file's length, `bfOffBits`
/// the end of headers, masks and palette, `biSizeImage` the pixel data's length (the RLE
/// stream's length for RLE), `biClrUsed` the palette length. Rows are padded to 4 bytes
/// with zeros. Masks go inside V3/V4/V5 headers, or after a 40-byte header (BI_BITFIELDS).
///
/// # Panics
/// When `spec` is not a valid BMP (e.g. top-down RLE, an alpha mask with a 40-byte header,
/// a short palette with the core header).
pub fn encode(spec: &Spec) -> Vec<u8> {
    check(spec);
    let (w, h) = (spec.width, spec.height);
    let bpp = bits_per_pixel(spec.kind);
    let pal_len = palette_len(spec.kind);
    let entry = if spec.header == Header::Core { 3 } else { 4 };
    let (compression, masks) = match spec.kind {
        Kind::Rle8 { .. } => (1u32, None),
        Kind::Rle4 { .. } => (2, None),
        Kind::Bitfields { masks, .. } => (3, Some(masks)),
        _ => (0, None),
    };
    let masks_after = if spec.header == Header::Info && masks.is_some() {
        12
    } else {
        0
    };
    let data_offset = 14 + spec.header.size() + masks_after + pal_len * entry;

    let rle = match spec.kind {
        Kind::Rle8 { colors } | Kind::Rle4 { colors } => {
            let cells = rle_cells(w, h, colors);
            let four_bit = matches!(spec.kind, Kind::Rle4 { .. });
            Some(rle_stream(&cells, w as usize, h as usize, four_bit).0)
        }
        _ => None,
    };
    let stride = (u64::from(w) * u64::from(bpp)).div_ceil(32) * 4;
    let image_size = match &rle {
        Some(stream) => stream.len() as u64,
        None => stride * u64::from(h),
    };
    let file_size = u64::from(data_offset) + image_size;
    let file_size32 = u32::try_from(file_size).expect("BMP larger than 4 GiB");

    let mut out = Vec::with_capacity(file_size as usize);
    out.extend_from_slice(b"BM");
    put32(&mut out, file_size32);
    put32(&mut out, 0); // reserved
    put32(&mut out, data_offset);

    put32(&mut out, spec.header.size());
    if spec.header == Header::Core {
        put16(&mut out, w as u16);
        put16(&mut out, h as u16);
        put16(&mut out, 1);
        put16(&mut out, bpp);
    } else {
        let height = if spec.top_down { -(h as i32) } else { h as i32 };
        put32(&mut out, w);
        put32(&mut out, height as u32);
        put16(&mut out, 1);
        put16(&mut out, bpp);
        put32(&mut out, compression);
        put32(&mut out, image_size as u32);
        put32(&mut out, 2835); // 72 dpi
        put32(&mut out, 2835);
        put32(&mut out, pal_len);
        put32(&mut out, 0); // all colours important
        let m = masks.unwrap_or([0; 4]);
        match spec.header {
            Header::Info => {
                if masks.is_some() {
                    m[..3].iter().for_each(|&v| put32(&mut out, v));
                }
            }
            Header::V3 | Header::V4 | Header::V5 => {
                m.iter().for_each(|&v| put32(&mut out, v));
                if spec.header != Header::V3 {
                    put32(&mut out, 0x7352_4742); // 'sRGB'
                    out.extend_from_slice(&[0; 36 + 12]); // endpoints, gamma
                }
                if spec.header == Header::V5 {
                    put32(&mut out, 4); // LCS_GM_IMAGES
                    put32(&mut out, 0); // profile data
                    put32(&mut out, 0); // profile size
                    put32(&mut out, 0); // reserved
                }
            }
            Header::Core => unreachable!(),
        }
    }
    for [r, g, b, _] in palette_rgba(pal_len) {
        out.extend_from_slice(&[b, g, r]);
        if entry == 4 {
            out.push(0);
        }
    }
    debug_assert_eq!(out.len(), data_offset as usize);
    match rle {
        Some(stream) => out.extend_from_slice(&stream),
        None => write_rows(spec, &mut out),
    }
    debug_assert_eq!(out.len() as u64, file_size);
    out
}

/// The canonical RGBA8 (`width * 4` bytes a row, top row first) that `encode(spec)` must
/// decode to, computed from the synthetic picture, not by decoding.
///
/// Rules applied: palette indices at or past the palette's length are opaque black; RLE
/// pixels no instruction writes are palette entry 0; alpha is 255 unless an alpha mask is
/// declared; n-bit channels scale with [`scale`].
pub fn expected_rgba(spec: &Spec) -> Vec<u8> {
    check(spec);
    let palette = palette_rgba(palette_len(spec.kind));
    let unset = palette.first().copied().unwrap_or(MISSING);
    expected_with_unset(spec, unset)
}

/// [`expected_rgba`] with RLE pixels that no instruction writes set to `unset`.
fn expected_with_unset(spec: &Spec, unset: [u8; 4]) -> Vec<u8> {
    let (w, h) = (spec.width, spec.height);
    let palette = palette_rgba(palette_len(spec.kind));
    let lookup = |i: u32| palette.get(i as usize).copied().unwrap_or(MISSING);
    let mut out = Vec::with_capacity(w as usize * h as usize * 4);
    match spec.kind {
        Kind::Rle8 { colors } | Kind::Rle4 { colors } => {
            let cells = rle_cells(w, h, colors);
            for row in cells.chunks_exact(w as usize).rev() {
                for &c in row {
                    let px = if c == UNSET {
                        unset
                    } else {
                        lookup(u32::from(c))
                    };
                    out.extend_from_slice(&px);
                }
            }
            return out;
        }
        _ => {}
    }
    for y in 0..h {
        for x in 0..w {
            let px = match spec.kind {
                Kind::Indexed { bpp, colors, stray } => {
                    lookup(index_at(x, y, w, h, bpp, colors, stray))
                }
                Kind::Rgb16 => {
                    let [r, g, b, _] = colour(x, y, w, h);
                    let s = |c: u8| scale(quantize(c, 5), 5);
                    [s(r), s(g), s(b), 255]
                }
                Kind::Bitfields { masks, .. } => {
                    let c = colour(x, y, w, h);
                    let mut px = [0, 0, 0, 255];
                    for (k, &m) in masks.iter().enumerate() {
                        let bits = m.count_ones(); // masks are contiguous (checked)
                        if bits > 0 {
                            px[k] = scale(quantize(c[k], bits), bits);
                        }
                    }
                    px
                }
                Kind::Rgb24 | Kind::Rgb32 => {
                    let [r, g, b, _] = colour(x, y, w, h);
                    [r, g, b, 255]
                }
                Kind::Rle8 { .. } | Kind::Rle4 { .. } => unreachable!(),
            };
            out.extend_from_slice(&px);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The registry.

const fn spec(width: u32, height: u32, header: Header, kind: Kind) -> Spec {
    Spec {
        width,
        height,
        header,
        kind,
        top_down: false,
    }
}

const fn top_down(s: Spec) -> Spec {
    Spec {
        top_down: true,
        ..s
    }
}

const fn pal(bpp: u8, colors: u16, stray: bool) -> Kind {
    Kind::Indexed { bpp, colors, stray }
}

const fn fx(name: &'static str, spec: Spec) -> Fixture {
    Fixture { name, spec }
}

/// The seed frame's spec: 1600×1200, 8-bit, `BITMAPINFOHEADER`, 256 colours, bottom-up.
pub const SEED: Spec = spec(1600, 1200, Header::Info, pal(8, 256, false));

/// The small fixtures that cover every variant, plus `seed` (1600×1200).
///
/// Palettes of 1/2/4/8 bits, full and short (some overrun by stray indices), RLE4 and RLE8
/// using every escape, 16-bit 5-5-5 / 5-6-5 / 4-4-4-4, 24-bit, 32-bit BI_RGB with noise in the
/// reserved byte, 32-bit bitfields with and without alpha, top-down variants, widths 1, 3,
/// 5 and 317, a 1×1, V3/V4/V5 headers and the OS/2 core header.
pub fn fixtures() -> Vec<Fixture> {
    use Header::*;
    let bf = |bpp, masks| Kind::Bitfields { bpp, masks };
    vec![
        fx("pal1", spec(64, 24, Info, pal(1, 2, false))),
        fx("pal1_w317", spec(317, 9, Info, pal(1, 2, false))),
        fx("pal1_short", spec(33, 7, Info, pal(1, 1, true))),
        fx("pal2", spec(5, 6, Info, pal(2, 4, false))),
        fx("pal2_short", spec(31, 9, Info, pal(2, 3, true))),
        fx("pal4", spec(3, 5, Info, pal(4, 16, false))),
        fx("pal4_short", spec(41, 13, Info, pal(4, 10, false))),
        fx("pal4_stray", spec(37, 11, Info, pal(4, 9, true))),
        fx("pal4_v5", spec(29, 8, V5, pal(4, 16, false))),
        fx("pal8", spec(64, 48, Info, pal(8, 256, false))),
        fx("pal8_w1", spec(1, 7, Info, pal(8, 256, false))),
        fx("pal8_1x1", spec(1, 1, Info, pal(8, 256, false))),
        fx("pal8_w317", spec(317, 11, Info, pal(8, 256, false))),
        fx("pal8_short", spec(45, 10, Info, pal(8, 100, false))),
        fx("pal8_stray", spec(61, 17, Info, pal(8, 100, true))),
        fx(
            "pal8_topdown",
            top_down(spec(5, 4, Info, pal(8, 256, false))),
        ),
        fx("pal8_v4", spec(23, 9, V4, pal(8, 256, false))),
        fx("core_pal1", spec(13, 5, Core, pal(1, 2, false))),
        fx("core_pal4", spec(3, 4, Core, pal(4, 16, false))),
        fx("core_pal8", spec(19, 6, Core, pal(8, 256, false))),
        fx("core_rgb24", spec(5, 3, Core, Kind::Rgb24)),
        fx("rle8", spec(64, 40, Info, Kind::Rle8 { colors: 256 })),
        fx("rle8_short", spec(57, 31, Info, Kind::Rle8 { colors: 20 })),
        fx(
            "rle8_w1100",
            spec(1100, 12, Info, Kind::Rle8 { colors: 256 }),
        ),
        fx("rle4", spec(64, 40, Info, Kind::Rle4 { colors: 16 })),
        fx("rle4_short", spec(45, 27, Info, Kind::Rle4 { colors: 7 })),
        fx(
            "rle4_w1100",
            spec(1100, 12, Info, Kind::Rle4 { colors: 16 }),
        ),
        fx("rgb16_555", spec(5, 7, Info, Kind::Rgb16)),
        fx("rgb16_555_topdown", top_down(spec(3, 4, Info, Kind::Rgb16))),
        fx("rgb16_565", spec(317, 9, Info, bf(16, MASKS_565))),
        fx("rgb16_565_v4", spec(7, 5, V4, bf(16, MASKS_565))),
        fx("rgba16_4444_v5", spec(9, 6, V5, bf(16, MASKS_4444))),
        fx("rgb24", spec(3, 5, Info, Kind::Rgb24)),
        fx("rgb24_w1", spec(1, 4, Info, Kind::Rgb24)),
        fx("rgb24_1x1", spec(1, 1, Info, Kind::Rgb24)),
        fx("rgb24_w317", spec(317, 7, Info, Kind::Rgb24)),
        fx("rgb24_topdown", top_down(spec(5, 6, Info, Kind::Rgb24))),
        fx("rgb24_v5", spec(6, 4, V5, Kind::Rgb24)),
        fx("rgb32", spec(7, 5, Info, Kind::Rgb32)),
        fx("rgb32_topdown", top_down(spec(3, 3, Info, Kind::Rgb32))),
        fx("rgb32_v5", spec(5, 4, V5, Kind::Rgb32)),
        fx("xrgb32_bitfields", spec(6, 5, Info, bf(32, MASKS_BGRX))),
        fx("rgba32_v3", spec(5, 5, V3, bf(32, MASKS_BGRA))),
        fx("rgba32_v4", spec(11, 7, V4, bf(32, MASKS_BGRA))),
        fx("rgba32_v5", spec(13, 6, V5, bf(32, MASKS_BGRA))),
        fx(
            "rgba32_v5_topdown",
            top_down(spec(4, 5, V5, bf(32, MASKS_BGRA))),
        ),
        fx("abgr32_v5", spec(7, 6, V5, bf(32, MASKS_RGBA))),
        fx("seed", SEED),
    ]
}

/// Benchmark fixtures: frames of 1600×1200 in the common variants, plus `pal8_64x64`.
pub fn bench_fixtures() -> Vec<Fixture> {
    use Header::*;
    let (w, h) = (1600, 1200);
    vec![
        fx("seed", SEED),
        fx("pal1_1600", spec(w, h, Info, pal(1, 2, false))),
        fx("pal4_1600", spec(w, h, Info, pal(4, 16, false))),
        fx("rle8_1600", spec(w, h, Info, Kind::Rle8 { colors: 256 })),
        fx(
            "rgb16_565_1600",
            spec(
                w,
                h,
                Info,
                Kind::Bitfields {
                    bpp: 16,
                    masks: MASKS_565,
                },
            ),
        ),
        fx("rgb24_1600", spec(w, h, Info, Kind::Rgb24)),
        fx("rgb32_1600", spec(w, h, Info, Kind::Rgb32)),
        fx(
            "rgba32_1600",
            spec(
                w,
                h,
                V4,
                Kind::Bitfields {
                    bpp: 32,
                    masks: MASKS_BGRA,
                },
            ),
        ),
        fx(
            "rgb24_topdown_1600",
            top_down(spec(w, h, Info, Kind::Rgb24)),
        ),
        fx("pal8_64x64", spec(64, 64, Info, pal(8, 256, false))),
    ]
}

/// The fixture called `name`, from [`fixtures`] or [`bench_fixtures`].
pub fn fixture(name: &str) -> Option<Fixture> {
    fixtures()
        .into_iter()
        .chain(bench_fixtures())
        .find(|f| f.name == name)
}

/// The seed frame: 1600×1200, 8-bit, `BITMAPINFOHEADER`, 256-colour palette, bottom-up,
/// 1,921,078 bytes (14 + 40 + 1024 + 1600 × 1200), like the frame of the post shmbmp
/// started from.
pub fn seed_frame() -> Vec<u8> {
    encode(&SEED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    /// The index of the first differing pixel, for readable failures.
    fn first_diff(a: &[u8], b: &[u8], width: u32) -> String {
        if a.len() != b.len() {
            return format!("lengths differ: {} vs {}", a.len(), b.len());
        }
        match a.chunks(4).zip(b.chunks(4)).position(|(p, q)| p != q) {
            None => "identical".into(),
            Some(i) => format!(
                "first difference at x={}, y={}: {:?} vs {:?}",
                i % width as usize,
                i / width as usize,
                &a[i * 4..i * 4 + 4],
                &b[i * 4..i * 4 + 4]
            ),
        }
    }

    #[test]
    fn seed_frame_is_the_posts_frame() {
        let b = seed_frame();
        assert_eq!(b.len(), 1_921_078);
        assert_eq!(&b[..2], b"BM");
        assert_eq!(u32_at(&b, 2), 1_921_078, "bfSize");
        assert_eq!(u32_at(&b, 6), 0, "reserved");
        assert_eq!(u32_at(&b, 10), 14 + 40 + 1024, "bfOffBits");
        assert_eq!(u32_at(&b, 14), 40, "biSize");
        assert_eq!(u32_at(&b, 18), 1600, "biWidth");
        assert_eq!(
            u32_at(&b, 22) as i32,
            1200,
            "biHeight (positive: bottom-up)"
        );
        assert_eq!(u16_at(&b, 26), 1, "biPlanes");
        assert_eq!(u16_at(&b, 28), 8, "biBitCount");
        assert_eq!(u32_at(&b, 30), 0, "biCompression BI_RGB");
        assert_eq!(u32_at(&b, 34), 1600 * 1200, "biSizeImage");
        assert_eq!(u32_at(&b, 46), 256, "biClrUsed");
        // The palette has 256 distinct entries and the frame uses most of them.
        let pal: std::collections::HashSet<_> = b[54..1078].chunks(4).collect();
        assert_eq!(pal.len(), 256);
        let used: std::collections::HashSet<_> = b[1078..].iter().collect();
        assert!(used.len() > 200, "only {} indices used", used.len());
    }

    #[test]
    fn names_are_unique_snake_case_and_found() {
        let mut seen = std::collections::HashMap::new();
        for f in fixtures().into_iter().chain(bench_fixtures()) {
            assert!(
                f.name
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'),
                "{}",
                f.name
            );
            // A name used in both lists (`seed`) must mean the same spec.
            if let Some(old) = seen.insert(f.name, f.spec) {
                assert_eq!(old, f.spec, "{} means two things", f.name);
            }
            assert_eq!(fixture(f.name), Some(f));
        }
        assert_eq!(fixture("no_such_fixture"), None);
    }

    /// Header fields every fixture must get right, checked against the bytes themselves.
    #[test]
    fn headers_are_consistent() {
        for f in fixtures() {
            let b = encode(&f.spec);
            let s = f.spec;
            assert_eq!(u32_at(&b, 2) as usize, b.len(), "{}: bfSize", f.name);
            let off = u32_at(&b, 10) as usize;
            let hsize = u32_at(&b, 14);
            assert_eq!(hsize, s.header.size(), "{}", f.name);
            let entry = if s.header == Header::Core { 3 } else { 4 };
            let masks = match (s.header, s.kind) {
                (Header::Info, Kind::Bitfields { .. }) => 12,
                _ => 0,
            };
            let pal = palette_len(s.kind) as usize;
            assert_eq!(off, 14 + hsize as usize + masks + pal * entry, "{}", f.name);
            if s.header != Header::Core {
                assert_eq!(
                    u32_at(&b, 34) as usize,
                    b.len() - off,
                    "{}: biSizeImage",
                    f.name
                );
                assert_eq!(u32_at(&b, 46) as usize, pal, "{}: biClrUsed", f.name);
                assert_eq!((u32_at(&b, 22) as i32) < 0, s.top_down, "{}", f.name);
            }
            if !matches!(s.kind, Kind::Rle8 { .. } | Kind::Rle4 { .. }) {
                let bits = s.width as usize * usize::from(bits_per_pixel(s.kind));
                let stride = bits.div_ceil(32) * 4;
                assert_eq!(stride % 4, 0);
                assert_eq!(b.len() - off, stride * s.height as usize, "{}", f.name);
            }
        }
    }

    fn rle_fixture_stats(f: &Fixture) -> RleStats {
        let (w, h) = (f.spec.width as usize, f.spec.height as usize);
        match f.spec.kind {
            Kind::Rle8 { colors } => {
                rle_stream(&rle_cells(w as u32, h as u32, colors), w, h, false).1
            }
            Kind::Rle4 { colors } => {
                rle_stream(&rle_cells(w as u32, h as u32, colors), w, h, true).1
            }
            _ => unreachable!(),
        }
    }

    #[test]
    fn rle_fixtures_use_every_escape() {
        let rle: Vec<_> = fixtures()
            .into_iter()
            .chain(bench_fixtures())
            .filter(|f| matches!(f.spec.kind, Kind::Rle8 { .. } | Kind::Rle4 { .. }))
            .collect();
        assert!(rle.len() >= 6);
        for f in &rle {
            let st = rle_fixture_stats(f);
            let four = matches!(f.spec.kind, Kind::Rle4 { .. });
            assert!(st.runs > 0, "{}: {st:?}", f.name);
            assert!(
                st.abs_odd > 0 && st.abs_even > 0 && st.abs_padded > 0,
                "{}: {st:?}",
                f.name
            );
            assert!(st.eol > 0 && st.eol_early > 0, "{}: {st:?}", f.name);
            assert!(st.delta_row > 0 && st.delta_down > 0, "{}: {st:?}", f.name);
            assert_eq!((st.eob, st.eob_early), (1, 1), "{}: {st:?}", f.name);
            assert!(!four || st.pair_runs > 0, "{}: {st:?}", f.name);
            if f.spec.width > 1024 {
                assert!(st.full_runs > 0, "{}: no run split at 255: {st:?}", f.name);
            }
        }
        // The expected image has unset pixels, and they are palette entry 0, not black.
        let f = fixture("rle8").unwrap();
        let e = expected_rgba(&f.spec);
        let p0 = palette_rgba(256)[0];
        assert_ne!(p0, MISSING);
        let unset = rle_cells(f.spec.width, f.spec.height, 256)
            .iter()
            .filter(|&&c| c == UNSET)
            .count();
        assert!(unset > 0);
        assert!(e.chunks(4).filter(|p| *p == p0).count() >= unset);
    }

    #[test]
    fn short_palettes_are_overrun_where_promised() {
        for f in fixtures() {
            if let Kind::Indexed { bpp, colors, stray } = f.spec.kind {
                let (w, h) = (f.spec.width, f.spec.height);
                let max = (0..h)
                    .flat_map(|y| (0..w).map(move |x| (x, y)))
                    .map(|(x, y)| index_at(x, y, w, h, bpp, colors, stray))
                    .max()
                    .unwrap();
                let e = expected_rgba(&f.spec);
                let black = e.chunks(4).filter(|p| *p == MISSING).count();
                if stray && u32::from(colors) < 1 << bpp {
                    assert!(max >= u32::from(colors), "{}: no stray index", f.name);
                    assert!(black > 0, "{}", f.name);
                } else {
                    assert!(max < u32::from(colors), "{}", f.name);
                    assert_eq!(black, 0, "{}: palettes have no black entry", f.name);
                }
            }
        }
    }

    #[test]
    fn orientation_does_not_change_the_picture() {
        let a = spec(5, 6, Header::Info, Kind::Rgb24);
        assert_eq!(expected_rgba(&a), expected_rgba(&top_down(a)));
        assert_ne!(encode(&a), encode(&top_down(a)));
    }

    /// The `image` crate's reading of a fixture: ours, except where its rules differ.
    fn image_crate_expectation(spec: &Spec) -> Vec<u8> {
        match spec.kind {
            // image 0.25 (codecs/bmp/decoder.rs, `read_rle_data`) zero-fills pixels skipped
            // by delta and left by early end-of-line / end-of-bitmap ("IE and the windows
            // image preview seems to replace them with black pixels"); the output is RGB8,
            // so they become opaque black. Our rule is palette entry 0, which these fixtures
            // make non-black, so exactly the unset pixels differ.
            Kind::Rle8 { .. } | Kind::Rle4 { .. } => expected_with_unset(spec, MISSING),
            // Everything else agrees: short palettes are padded with black entries
            // (`read_palette`), 32-bit BI_RGB ignores the fourth byte, alpha comes only from
            // an alpha mask, and the 4/5/6/8-bit channel tables equal exact rounding.
            _ => expected_rgba(spec),
        }
    }

    #[test]
    fn image_crate_decodes_every_fixture_as_expected() {
        for f in fixtures() {
            let bytes = encode(&f.spec);
            let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Bmp)
                .unwrap_or_else(|e| panic!("{}: image crate: {e}", f.name))
                .into_rgba8();
            assert_eq!(
                img.dimensions(),
                (f.spec.width, f.spec.height),
                "{}",
                f.name
            );
            let want = image_crate_expectation(&f.spec);
            assert!(
                img.as_raw() == &want,
                "{}: {}",
                f.name,
                first_diff(img.as_raw(), &want, f.spec.width)
            );
        }
    }

    #[test]
    fn rle_unset_pixels_are_where_image_and_we_differ() {
        for name in ["rle8", "rle4"] {
            let s = fixture(name).unwrap().spec;
            let ours = expected_rgba(&s);
            let theirs = image_crate_expectation(&s);
            let differ = ours.chunks(4).zip(theirs.chunks(4)).filter(|(a, b)| a != b);
            let unset = rle_cells(s.width, s.height, palette_len(s.kind) as u16)
                .iter()
                .filter(|&&c| c == UNSET)
                .count();
            assert_eq!(differ.count(), unset, "{name}");
        }
    }
}
