//! The NEON kernels against the scalar reference, on random palettes and rows of awkward
//! widths (run under qemu-user in CI: correctness only, no speed).

use super::palette::Palette8;
use super::row::{Row, RowKernel, Scratch};
use super::scalar;
use super::test_data::{noise, words};
use super::Kernels;

/// The NEON palette kernels (8-, 4- and 1-bit) equal the scalar kernels on random palettes
/// and rows shorter than a block, of whole blocks, and of blocks plus a tail (a last byte
/// only partly used included), at every output offset modulo 16, writing nothing outside
/// the row; and `choose` picks them at the Neon level.
#[test]
fn neon_palette_kernels_match_scalar() {
    assert!(
        Kernels::Neon.supported(),
        "every aarch64 CPU this crate targets has NEON"
    );
    for seed in 0..4u64 {
        let table: [u32; 256] = words(seed, 256).try_into().expect("256 words");
        let rows = [
            (Row::Pal8(Palette8::new(table)), 8),
            (Row::pal_bits(table, 4), 4),
            (Row::pal_bits(table, 1), 1),
        ];
        for (row, bpp) in &rows {
            let kernel = RowKernel::choose(row, Kernels::Neon, 4);
            assert_eq!(kernel.level(), Kernels::Neon, "{bpp}-bit has a NEON kernel");
            for width in [
                1usize, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 317, 1600,
            ] {
                let src = noise(seed * 10_000 + width as u64, (width * bpp).div_ceil(8));
                for shift in [0, 1, 3, 4, 15] {
                    let mut want = vec![0xeeu8; shift + width * 4 + 64];
                    let mut got = want.clone();
                    scalar::decode_row(row, &src, &mut want[shift..shift + width * 4]);
                    let dst = &mut got[shift..shift + width * 4];
                    kernel.run(row, &src, dst, &mut Scratch::new());
                    assert_eq!(
                        want, got,
                        "{bpp}-bit palette {seed}, width {width}, shift {shift}"
                    );
                }
            }
        }
    }
}
