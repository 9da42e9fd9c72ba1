//! The RGBA8 a fixture must decode to, computed from the synthetic picture, never by decoding.

use super::pattern::{colour, index_at, palette_rgba, quantize};
use super::rle::{rle_cells, UNSET};
use super::{check, palette_len, Kind, Spec};
use crate::format::masks::scale;
use crate::format::palette::MISSING;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::fixtures::{spec, top_down};
    use crate::encode::{encode, fixture, fixtures, Header};

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
