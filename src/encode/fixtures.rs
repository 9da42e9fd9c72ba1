//! The named fixtures tests, benches and the CLI share, and the seed frame.

use super::{encode, Fixture, Header, Kind, Spec};
use super::{MASKS_4444, MASKS_565, MASKS_BGRA, MASKS_BGRX, MASKS_RGBA};

/// A bottom-up [`Spec`].
pub(super) const fn spec(width: u32, height: u32, header: Header, kind: Kind) -> Spec {
    Spec {
        width,
        height,
        header,
        kind,
        top_down: false,
    }
}

/// `s`, top-down.
pub(super) const fn top_down(s: Spec) -> Spec {
    Spec {
        top_down: true,
        ..s
    }
}

/// Uncompressed palette indices.
const fn pal(bpp: u8, colors: u16, stray: bool) -> Kind {
    Kind::Indexed { bpp, colors, stray }
}

/// A named [`Spec`].
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
        fx("rle4_1600", spec(w, h, Info, Kind::Rle4 { colors: 16 })),
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
}
