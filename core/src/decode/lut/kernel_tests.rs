//! Every SIMD kernel against the scalar reference, on random rows of awkward widths.

use super::palette::Palette8;
use super::row::{Row, RowKernel, Scratch};
use super::scalar;
use super::tables16::Scale16;
use super::test_data::{noise, words};
use super::Kernels;

/// Runs the kernel `choose` picks for `row` at `level`, asserting it is that level's own.
fn run_at(level: Kernels, row: &Row, src: &[u8], dst: &mut [u8]) {
    let kernel = RowKernel::choose(row, level, 4);
    assert_eq!(kernel.level(), level, "a kernel of this level is listed");
    kernel.run(row, src, dst, &mut Scratch::new());
}

/// Prints `*** SKIPPED: why ***` straight to stderr, which libtest does not capture, so the
/// notice shows in the normal `cargo test` output.
fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "\n*** SKIPPED: {why} ***\n");
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
        (
            Row::Bits16 {
                masks,
                channels,
                blue_first: false,
            },
            16,
        )
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

/// `level`'s kernels for palettes of `depths` bits against scalar, on random palettes and
/// rows of awkward widths, writing nothing past the row.
fn palette_kernels_match_scalar(level: Kernels, depths: &[usize]) {
    for seed in 0..4u64 {
        let table: [u32; 256] = words(seed, 256).try_into().expect("256 words");
        for &bpp in depths {
            let row = match bpp {
                8 => Row::Pal8(Palette8::new(table)),
                n => Row::pal_bits(table, n as u8),
            };
            for width in [
                1usize, 7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 128, 129, 191, 317, 1600, 1663,
            ] {
                let src = noise(seed * 10_000 + width as u64, (width * bpp).div_ceil(8));
                let mut want = vec![0xeeu8; width * 4 + 64];
                let mut got = want.clone();
                scalar::decode_row(&row, &src, &mut want[..width * 4]);
                run_at(level, &row, &src, &mut got[..width * 4]);
                assert_eq!(
                    want, got,
                    "{level:?} {bpp}-bit palette {seed} at width {width}"
                );
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
/// blocks so probing stops and resumes) equal the scalar kernel.
#[test]
fn avx2_pal8_chunk_paths_match_scalar() {
    if !Kernels::Avx2.supported() {
        skipped("this CPU has no AVX2: the AVX2 8-bit palette paths were not compared with scalar");
        return;
    }
    let table: [u32; 256] = words(5, 256).try_into().expect("256 words");
    let row = Row::Pal8(Palette8::new(table));
    let width = 1600 + 37;
    let noise = noise(99, width);
    /// An index at column x from the noise byte there.
    type Pattern = Box<dyn Fn(usize, u8) -> u8>;
    let patterns: [(&str, Pattern); 6] = [
        ("one chunk", Box::new(|_, n| 0x30 + (n & 15))),
        ("two chunks", Box::new(|_, n| 0x38 + (n & 15))),
        ("four chunks", Box::new(|_, n| 0x50 + (n & 63))),
        ("top chunk", Box::new(|_, n| 0xf0 | (n & 15))),
        ("top two", Box::new(|_, n| 0xe8 + (n & 15))),
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
            scalar::decode_row(&row, &src, &mut want[at..at + width * 4]);
            run_at(Kernels::Avx2, &row, &src, &mut got[at..at + width * 4]);
            assert_eq!(want, got, "{name}, output offset {at}");
        }
    }
}
