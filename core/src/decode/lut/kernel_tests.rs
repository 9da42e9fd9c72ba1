//! Every SIMD kernel against the scalar reference, on random rows of awkward widths.

use super::palette::Palette8;
use super::row::{Row, RowKernel, Scratch};
use super::scalar;
use super::tables16::Scale16;
use super::test_data::{noise, words};
use super::Kernels;
use crate::test_util::skipped;

/// Runs the kernel `choose` picks for `row` at `level`, asserting it is that level's own.
fn run_at(level: Kernels, row: &Row, src: &[u8], dst: &mut [u8]) {
    let kernel = RowKernel::choose(row, level, 4);
    assert_eq!(kernel.level(), level, "a kernel of this level is listed");
    kernel.run(row, src, dst, &mut Scratch::new());
}

/// Every AVX2 kernel equals the scalar kernel on random rows of awkward widths and output
/// alignments, and writes nothing outside the row.
#[test]
fn avx2_kernels_match_scalar() {
    if !Kernels::Avx2.supported() {
        skipped("this CPU has no AVX2: the AVX2 kernels were not compared with scalar");
        return;
    }
    let bits16 = |raw: [u32; 4]| {
        let masks = crate::format::Masks::from_raw(raw, 16, 54).unwrap();
        let channels =
            Scale16::for_masks(&masks).expect("a multiplier exists for <= 8-bit channels");
        (Row::Bits16 { channels }, 16)
    };
    let rows = [
        bits16([0xf800, 0x07e0, 0x001f, 0]),
        bits16([0x7c00, 0x03e0, 0x001f, 0x8000]),
        bits16([0x0f00, 0x00f0, 0x000f, 0xf000]),
        bits16([0x0003, 0x01fc, 0xfe00, 0]),
        bits16([0x00ff, 0, 0xff00, 0]),
        (Row::Table16(words(9, 1 << 16).into()), 16),
        (Row::Bgr24 { blue_first: false }, 24),
        (Row::Bgr24 { blue_first: true }, 24),
        (
            Row::Bgra32 {
                alpha: false,
                blue_first: false,
            },
            32,
        ),
        (
            Row::Bgra32 {
                alpha: true,
                blue_first: false,
            },
            32,
        ),
        (
            Row::Bgra32 {
                alpha: true,
                blue_first: true,
            },
            32,
        ),
    ];
    for (k, (row, bpp)) in rows.iter().enumerate() {
        for width in [
            1usize, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 317, 1600,
        ] {
            let src = noise((k * 10_000 + width) as u64, width * bpp / 8);
            // Every start offset of the output modulo 32 bytes (the aligning head).
            for shift in 0..8 {
                let at = shift * 4;
                let mut want = vec![0xeeu8; at + width * 4 + 8];
                let mut got = want.clone();
                scalar::decode_row(row, &src, &mut want[at..at + width * 4]);
                run_at(Kernels::Avx2, row, &src, &mut got[at..at + width * 4]);
                assert_eq!(
                    want, got,
                    "kernel {k} ({bpp}-bit), width {width}, shift {shift}"
                );
            }
        }
    }
}

/// The AVX-512 palette kernels (8-, 4- and 1-bit) equal the scalar kernels on random
/// palettes and rows of awkward widths (shorter than a block, a block, blocks plus a
/// tail, a last byte only partly used), writing nothing past the row.
#[test]
fn avx512_palette_kernels_match_scalar() {
    if !Kernels::Avx512Vbmi.supported() {
        skipped("this CPU has no AVX-512 VBMI: the AVX-512 kernels were not compared with scalar");
        return;
    }
    palette_kernels_match_scalar(Kernels::Avx512Vbmi, &[8, 4, 1]);
}

/// The AVX2 palette kernels (8-, 4- and 1-bit) equal the scalar kernels, as above.
#[test]
fn avx2_palette_kernels_match_scalar() {
    if !Kernels::Avx2.supported() {
        skipped("this CPU has no AVX2: the AVX2 palette kernels were not compared with scalar");
        return;
    }
    palette_kernels_match_scalar(Kernels::Avx2, &[8, 4, 1]);
}

/// `level`'s kernels for palettes of `depths` bits against scalar, on random palettes (and
/// the same made opaque, whose fourth plane the kernels may skip) and rows of awkward
/// widths, at every 4-byte output offset modulo 32 (the aligning head), writing nothing
/// past the row.
fn palette_kernels_match_scalar(level: Kernels, depths: &[usize]) {
    for seed in 0..4u64 {
        let random: [u32; 256] = words(seed, 256).try_into().expect("256 words");
        let opaque = random.map(|w| w | u32::from_ne_bytes([0, 0, 0, 255]));
        for (table, kind) in [(random, "random"), (opaque, "opaque")] {
            for &bpp in depths {
                let row = match bpp {
                    8 => Row::Pal8(Palette8::new(table)),
                    n => Row::pal_bits(table, n as u8),
                };
                for width in [
                    1usize, 7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 128, 129, 191, 317, 1600, 1663,
                ] {
                    let src = noise(seed * 10_000 + width as u64, (width * bpp).div_ceil(8));
                    for k in 0..8 {
                        let mut got = vec![0xeeu8; width * 4 + 96];
                        let mut want = got.clone();
                        let at = got.as_ptr().align_offset(32) + 4 * k;
                        scalar::decode_row(&row, &src, &mut want[at..at + width * 4]);
                        run_at(level, &row, &src, &mut got[at..at + width * 4]);
                        assert!(
                            want == got,
                            "{level:?} {bpp}-bit {kind} palette {seed}, width {width}, \
                             output offset {at}"
                        );
                    }
                }
            }
        }
    }
}

/// The AVX2 4-to-3-byte packer equals the scalar one at every length up to a few blocks,
/// writing nothing past the output.
#[test]
fn avx2_pack3_matches_scalar() {
    if !Kernels::Avx2.supported() {
        skipped("this CPU has no AVX2: the AVX2 packer was not compared with scalar");
        return;
    }
    for pixels in 0..80usize {
        let src = noise(pixels as u64 + 7, pixels * 4);
        let mut want = vec![0xeeu8; pixels * 3 + 40];
        let mut got = want.clone();
        scalar::pack3(&src, &mut want[..pixels * 3]);
        // SAFETY: AVX2 was checked above.
        unsafe { super::avx2::pack3(&src, &mut got[..pixels * 3]) };
        assert_eq!(want, got, "{pixels} pixels");
    }
}

/// The AVX2 8-bit palette kernel's chunk-local paths (indices within 2 or 4 sixteen-entry
/// chunks, the top chunks whose base is clamped, rows that switch between local and random
/// blocks so probing stops and resumes, ramps whose blocks move from chunk to chunk) equal
/// the scalar kernel, with a palette whose fourth bytes differ and with an opaque one (whose
/// fourth plane is not looked up).
#[test]
fn avx2_pal8_chunk_paths_match_scalar() {
    if !Kernels::Avx2.supported() {
        skipped("this CPU has no AVX2: the AVX2 8-bit palette paths were not compared with scalar");
        return;
    }
    let table: [u32; 256] = words(5, 256).try_into().expect("256 words");
    let opaque = table.map(|px| {
        let [r, g, b, _] = px.to_ne_bytes();
        u32::from_ne_bytes([r, g, b, 0xff])
    });
    for table in [table, opaque] {
        let palette = Palette8::new(table);
        assert_eq!(palette.fourth.is_some(), table == opaque);
        pal8_chunk_paths(&Row::Pal8(palette));
    }
}

fn pal8_chunk_paths(row: &Row) {
    let width = 1600 + 37;
    let noise = noise(99, width);
    /// An index at column x from the noise byte there.
    type Pattern = Box<dyn Fn(usize, u8) -> u8>;
    let patterns: [(&str, Pattern); 8] = [
        ("one chunk", Box::new(|_, n| 0x30 + (n & 15))),
        ("two chunks", Box::new(|_, n| 0x38 + (n & 15))),
        ("four chunks", Box::new(|_, n| 0x50 + (n & 63))),
        ("top chunk", Box::new(|_, n| 0xf0 | (n & 15))),
        ("top two", Box::new(|_, n| 0xe8 + (n & 15))),
        (
            "ramp up",
            Box::new(|x, n| ((x / 5) as u8).wrapping_add(n & 7)),
        ),
        (
            "ramp down",
            Box::new(|x, n| (255 - (x / 6) as u8).wrapping_sub(n & 15)),
        ),
        (
            "local then random, in stretches",
            Box::new(|x, n| {
                if (x / 160) % 2 == 0 {
                    0x20 + (n & 31)
                } else {
                    n
                }
            }),
        ),
    ];
    for (name, f) in &patterns {
        let src: Vec<u8> = noise.iter().enumerate().map(|(x, &n)| f(x, n)).collect();
        for shift in 0..8 {
            let at = shift * 4;
            let mut want = vec![0xeeu8; at + width * 4 + 64];
            let mut got = want.clone();
            scalar::decode_row(row, &src, &mut want[at..at + width * 4]);
            run_at(Kernels::Avx2, row, &src, &mut got[at..at + width * 4]);
            assert_eq!(want, got, "{name}, output offset {at}");
        }
    }
}

/// Rows of every kind that has kernels writing 3-byte pixels, with bits a stored pixel
/// and a name: random palettes (1/2/4/8-bit), a random 16-bit table, 16-bit masks scaled
/// arithmetically (red or blue first), 24-bit rows and 32-bit rows (with or without
/// alpha), red or blue first.
fn rows3() -> Vec<(String, Row, usize)> {
    let mut rows = Vec::new();
    for seed in 0..2u64 {
        let table: [u32; 256] = words(seed + 40, 256).try_into().expect("256 words");
        rows.push((
            format!("8-bit palette {seed}"),
            Row::Pal8(Palette8::new(table)),
            8,
        ));
        for bpp in [1usize, 2, 4] {
            rows.push((
                format!("{bpp}-bit palette {seed}"),
                Row::pal_bits(table, bpp as u8),
                bpp,
            ));
        }
    }
    for blue_first in [false, true] {
        rows.push((
            format!("24-bit blue first {blue_first}"),
            Row::Bgr24 { blue_first },
            24,
        ));
    }
    for alpha in [false, true] {
        for blue_first in [false, true] {
            rows.push((
                format!("32-bit alpha {alpha} blue first {blue_first}"),
                Row::Bgra32 { alpha, blue_first },
                32,
            ));
        }
    }
    rows.push((
        "16-bit table".into(),
        Row::Table16(words(11, 1 << 16).into()),
        16,
    ));
    for raw in [
        [0xf800, 0x07e0, 0x001f, 0],
        [0x7c00, 0x03e0, 0x001f, 0x8000],
        [0x0f00, 0x00f0, 0x000f, 0xf000],
        [0x0003, 0x01fc, 0xfe00, 0],
    ] {
        let masks = crate::format::Masks::from_raw(raw, 16, 54).unwrap();
        let channels = Scale16::for_masks(&masks).expect("<= 8-bit channels");
        for blue_first in [false, true] {
            let channels = if blue_first {
                [channels[2], channels[1], channels[0], channels[3]]
            } else {
                channels
            };
            rows.push((
                format!("16-bit masks {raw:x?} blue first {blue_first}"),
                Row::Bits16 { channels },
                16,
            ));
        }
    }
    rows
}

/// A row kernel into 3-byte pixels, as the tests call it.
type Run3<'a> = dyn FnMut(&Row, &[u8], &mut [u8]) + 'a;

/// Checks `run` (a row into 3-byte pixels) against the scalar reference (4-byte pixels,
/// the fourth byte dropped) on random rows of every width from 1 to 67 pixels (every tail
/// of every block size) and a few long ones, at output offsets 0 to 7, writing nothing
/// outside the row.
fn check3(name: &str, row: &Row, bpp: usize, run: &mut Run3) {
    for width in (1..=67usize).chain([95, 96, 97, 1600, 1663]) {
        let src = noise(width as u64 * 31 + bpp as u64, (width * bpp).div_ceil(8));
        let mut four = vec![0u8; width * 4];
        scalar::decode_row(row, &src, &mut four);
        for at in 0..8 {
            let mut want = vec![0xeeu8; at + width * 3 + 40];
            for (d, p) in want[at..].chunks_exact_mut(3).zip(four.chunks_exact(4)) {
                d.copy_from_slice(&p[..3]);
            }
            let mut got = vec![0xeeu8; want.len()];
            run(row, &src, &mut got[at..at + width * 3]);
            assert!(want == got, "{name}: width {width}, output offset {at}");
        }
    }
}

/// The scalar 3-byte kernels for 1/2/4/8-bit palettes, the 16-bit table, 24-bit and 32-bit
/// rows equal the scalar 4-byte reference with the fourth byte dropped.
#[test]
fn scalar_3_byte_kernels_match_reference() {
    for (name, row, bpp) in rows3() {
        let run: fn(&Row, &[u8], &mut [u8]) = match row {
            Row::Pal8(_) => scalar::pal8_to3,
            Row::Bgr24 { .. } => scalar::bgr24_row_to3,
            Row::Bgra32 { .. } => scalar::bgra32_to3,
            Row::PalBits { .. } => scalar::pal_bits_to3,
            Row::Table16(_) => scalar::table16_to3,
            _ => continue,
        };
        check3(&name, &row, bpp, &mut |r, s, d| run(r, s, d));
    }
}

/// Every AVX2 3-byte kernel equals the scalar 4-byte reference with the fourth byte dropped.
#[test]
fn avx2_3_byte_kernels_match_reference() {
    if !Kernels::Avx2.supported() {
        skipped("this CPU has no AVX2: the AVX2 3-byte kernels were not compared with scalar");
        return;
    }
    use super::avx2;
    for (name, row, bpp) in rows3() {
        let run: super::row::RowFn = match row {
            Row::Pal8(_) => avx2::pal8_to3,
            Row::Bgr24 { .. } => avx2::bgr24_to3,
            Row::Bgra32 { .. } => avx2::bgra32_to3,
            Row::PalBits { per_byte: 2, .. } => avx2::pal4_to3,
            Row::PalBits { per_byte: 8, .. } => avx2::pal1_to3,
            Row::Bits16 { .. } => avx2::bits16_to3,
            _ => continue,
        };
        // SAFETY: AVX2 was checked above.
        check3(&name, &row, bpp, &mut |r, s, d| unsafe { run(r, s, d) });
    }
}

/// Whatever `RowKernel::choose` picks for 3-byte output at each level this CPU runs (a
/// 3-byte kernel, or a 4-byte kernel and the pack) equals the reference.
#[test]
fn chosen_3_byte_kernels_match_reference() {
    for (name, row, bpp) in rows3() {
        for level in Kernels::ALL.into_iter().filter(|k| k.supported()) {
            if matches!(row, Row::Bits16 { .. }) && level < Kernels::Avx2 {
                continue; // built only at AVX2 and above
            }
            let kernel = RowKernel::choose(&row, level, 3);
            let mut scratch = Scratch::new();
            check3(
                &format!("{name} at {level:?}"),
                &row,
                bpp,
                &mut |r, s, d| kernel.run(r, s, d, &mut scratch),
            );
        }
    }
}
