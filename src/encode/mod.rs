//! Deterministic BMP writer: every variant the decoders handle, from one synthetic picture.
//!
//! A [`Spec`] names a variant (header, pixel kind, size, orientation); [`encode`] writes the
//! file and [`expected_rgba`] computes, straight from the same synthetic picture and without
//! any decoder, the canonical RGBA8 the file must decode to. [`fixtures`](fn@fixtures) and
//! [`bench_fixtures`] are the one registry that tests, benches and the CLI share.
//!
//! The picture is a pair of gradients with a disc, plus a cheap integer hash of `(x, y)` as
//! noise, so frames look a little like a camera's and do not compress trivially. Run-length
//! fixtures add long flat runs, alternating pairs, noisy stretches and holes, so that every
//! RLE escape (runs, absolute blocks of odd and even length, end-of-line, delta,
//! end-of-bitmap) occurs.

mod expected;
mod fixtures;
mod pattern;
mod rle;
mod write;

pub use expected::expected_rgba;
pub use fixtures::{bench_fixtures, fixture, fixtures, seed_frame, SEED};
pub use write::{encode, RawFile};

use pattern::channel;

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
