//! RLE images, parsed straight off the stream's slice by the rules written down in
//! `decode/rle.rs` (the oracle's interpreter; the equivalence and malformed-input tests hold
//! the two together), one stored row's output slice at a time.
//!
//! Runs are written [`STEP`] pixels a store from a pattern laid out once per run, and may
//! overshoot their end inside the row: every pixel right of the current position is written
//! again later (by a later instruction, or by the palette entry 0 fill that ends the row), so
//! the last write is the one that stays. Absolute blocks of [`KERNEL_MIN`] pixels or more go
//! through the palette row kernel of the decoder's level (the one uncompressed 8-bit or 4-bit
//! rows use), shorter ones through a loop here. On x86-64 with AVX2 the whole parser is
//! compiled a second time with AVX2 enabled, so that a store is 32 bytes.

use super::palette::{ordered, Palette8};
use super::row::{Row, RowKernel, Scratch};
use super::Kernels;
use crate::format::{palette, Layout, PixelFormat, PixelLayout};

/// Pixels one run store writes.
const STEP: usize = 8;

/// Absolute blocks at least this many pixels long go to the row kernel (4-byte output).
const KERNEL_MIN: usize = 32;

/// Decodes an RLE8/RLE4 image into `out` in the layout `pixels`, absolute blocks through the
/// palette row kernel of level `kernels` (which this CPU must support).
pub(super) fn decode_rle(
    bmp: &[u8],
    layout: &Layout,
    pixels: PixelLayout,
    kernels: Kernels,
    out: &mut [u8],
) {
    let table = ordered(palette::table(bmp, layout), pixels.blue_first());
    let four = layout.format == PixelFormat::Rle4;
    let row = literal_row(four, table);
    let bytes = pixels.bytes_per_pixel();
    let mut lit = Literals {
        table,
        kernel: RowKernel::choose(&row, kernels, bytes),
        row: &row,
        scratch: Scratch::new(),
    };
    let data = layout.pixel_data(bmp);
    match (bytes, four) {
        (4, false) => parse_at::<4, false>(data, layout, &mut lit, out),
        (4, true) => parse_at::<4, true>(data, layout, &mut lit, out),
        (_, false) => parse_at::<3, false>(data, layout, &mut lit, out),
        (_, true) => parse_at::<3, true>(data, layout, &mut lit, out),
    }
}

/// The row kind of an RLE image's absolute blocks (4-bit indices when `four`).
fn literal_row(four: bool, table: [u32; 256]) -> Row {
    if four {
        Row::pal_bits(table, 4)
    } else {
        Row::Pal8(Palette8::new(table))
    }
}

/// The kernel level the RLE image `layout` runs at with `kernels`: that of the kernel its
/// absolute blocks go through.
pub(super) fn level(layout: &Layout, kernels: Kernels) -> Kernels {
    let row = literal_row(layout.format == PixelFormat::Rle4, [0; 256]);
    RowKernel::choose(&row, kernels, 4).level()
}

/// How absolute blocks are written.
struct Literals<'a> {
    table: [u32; 256],
    kernel: RowKernel,
    row: &'a Row,
    scratch: Scratch,
}

impl Literals<'_> {
    /// Writes the indices in `src` (one a byte, or two when `FOUR`, high nibble first) to
    /// `dst`, which holds `N`-byte pixels; `src` has exactly the bytes `dst` needs.
    #[inline(always)]
    fn write<const N: usize, const FOUR: bool>(&mut self, src: &[u8], dst: &mut [u8]) {
        if N == 4 && dst.len() < KERNEL_MIN * 4 {
            let t = &self.table;
            if FOUR {
                for (d, &b) in dst.chunks_mut(8).zip(src) {
                    d[..4].copy_from_slice(&t[usize::from(b >> 4)].to_ne_bytes());
                    if let Some(d) = d.get_mut(4..8) {
                        d.copy_from_slice(&t[usize::from(b & 0x0f)].to_ne_bytes());
                    }
                }
            } else {
                for (d, &i) in dst.chunks_exact_mut(4).zip(src) {
                    d.copy_from_slice(&t[usize::from(i)].to_ne_bytes());
                }
            }
            return;
        }
        self.kernel.run(self.row, src, dst, &mut self.scratch);
    }
}

/// [`parse`] compiled for the level of the literal kernel.
fn parse_at<const N: usize, const FOUR: bool>(
    data: &[u8],
    layout: &Layout,
    lit: &mut Literals,
    out: &mut [u8],
) {
    #[cfg(target_arch = "x86_64")]
    if lit.kernel.level() >= Kernels::Avx2 {
        // SAFETY: `RowKernel::choose` asserted that this CPU supports the level it was asked
        // for, and it chose a kernel at or below it: AVX2 or above, all of which need AVX2.
        return unsafe { parse_avx2::<N, FOUR>(data, layout, lit, out) };
    }
    parse::<N, FOUR>(data, layout, lit, out)
}

/// [`parse`] with AVX2 stores.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn parse_avx2<const N: usize, const FOUR: bool>(
    data: &[u8],
    layout: &Layout,
    lit: &mut Literals,
    out: &mut [u8],
) {
    parse::<N, FOUR>(data, layout, lit, out)
}

/// Eight `N`-byte pixels alternating `even` and `odd`, `even` first, in the first `8 * N`
/// bytes.
#[inline(always)]
fn pattern<const N: usize>(even: u32, odd: u32) -> [u8; 32] {
    let mut block = [0u8; 32];
    for (i, px) in block[..STEP * N].chunks_exact_mut(N).enumerate() {
        px.copy_from_slice(&if i % 2 == 0 { even } else { odd }.to_ne_bytes()[..N]);
    }
    block
}

/// Fills `dst` (whole `N`-byte pixels) with `block` repeated, exactly.
#[inline(always)]
fn fill<const N: usize>(dst: &mut [u8], block: &[u8; 32]) {
    let mut stores = dst.chunks_exact_mut(STEP * N);
    for s in &mut stores {
        s.copy_from_slice(&block[..STEP * N]);
    }
    // Fixed-size copies for the last pixels (a loop of pixel copies becomes a `memcpy` call).
    let tail = stores.into_remainder();
    let mut at = 0;
    for k in [4, 2, 1] {
        if tail.len() - at >= k * N {
            tail[at..at + k * N].copy_from_slice(&block[at..at + k * N]);
            at += k * N;
        }
    }
}

/// Writes up to `n` pixels of `block` at pixel `x` of `row` (`w` pixels), clipped at the
/// row's end; returns the new position. Runs that end near the row's end, where whole
/// stores do not fit.
#[inline(never)]
fn run_to_end<const N: usize>(
    row: &mut [u8],
    w: usize,
    x: usize,
    n: usize,
    block: &[u8; 32],
) -> usize {
    let end = (x + n).min(w);
    fill::<N>(&mut row[x * N..end * N], block);
    end
}

/// Fills stored rows `from..to` (clipped to the image) of `out` with `block`.
fn fill_rows<const N: usize>(
    out: &mut [u8],
    layout: &Layout,
    from: usize,
    to: usize,
    block: &[u8; 32],
) {
    let h = layout.height as usize;
    let to = to.min(h);
    if from >= to {
        return;
    }
    let row_len = layout.width as usize * N;
    let (first, last) = if layout.top_down {
        (from, to)
    } else {
        (h - to, h - from)
    };
    fill::<N>(&mut out[first * row_len..last * row_len], block);
}

/// What the parser does after an escape or an absolute block.
enum Next {
    /// Goes on in this row at the position given.
    Here(usize),
    /// Moves to the start of the next row (end-of-line).
    LineEnd,
    /// Moves down `dy` rows to position `x` (delta); the rest of this row is written.
    Down { dy: usize, x: usize },
    /// Stops at the position given on this row (end-of-bitmap, or the stream's end).
    Stop(usize),
}

/// Interprets the escape or absolute block `0, c` whose operands start at `data[*p]`, at
/// position `x` of `row`.
#[inline(always)]
fn escape<const N: usize, const FOUR: bool>(
    c: u8,
    data: &[u8],
    p: &mut usize,
    row: &mut [u8],
    x: usize,
    lit: &mut Literals,
    zero: &[u8; 32],
) -> Next {
    let w = row.len() / N;
    match c {
        // End of line.
        0 => {
            fill::<N>(&mut row[x * N..], zero);
            Next::LineEnd
        }
        // End of bitmap.
        1 => Next::Stop(x),
        // Delta.
        2 => {
            let (Some(&dx), Some(&dy)) = (data.get(*p), data.get(*p + 1)) else {
                return Next::Stop(x);
            };
            *p += 2;
            let to = (x + usize::from(dx)).min(w);
            if dy == 0 {
                fill::<N>(&mut row[x * N..to * N], zero);
                return Next::Here(to);
            }
            fill::<N>(&mut row[x * N..], zero);
            Next::Down {
                dy: usize::from(dy),
                x: to,
            }
        }
        // Absolute block.
        count => {
            let count = usize::from(count);
            let bytes = if FOUR { count.div_ceil(2) } else { count };
            let rest = &data[*p..];
            let took = bytes.min(rest.len());
            let got = if FOUR { (2 * took).min(count) } else { took };
            let shown = got.min(w - x);
            if shown > 0 {
                let src = &rest[..if FOUR { shown.div_ceil(2) } else { shown }];
                lit.write::<N, FOUR>(src, &mut row[x * N..(x + shown) * N]);
            }
            *p += took;
            // A block ends on a 16-bit boundary; the stream may end first.
            if took < bytes || (bytes % 2 == 1 && *p >= data.len()) {
                return Next::Stop(x + shown);
            }
            *p += bytes % 2;
            Next::Here((x + count).min(w))
        }
    }
}

/// Interprets the RLE stream `data` into `out`, `N` bytes a pixel; `FOUR` for RLE4.
#[inline(always)]
fn parse<const N: usize, const FOUR: bool>(
    data: &[u8],
    layout: &Layout,
    lit: &mut Literals,
    out: &mut [u8],
) {
    let (w, h) = (layout.width as usize, layout.height as usize);
    let row_len = w * N;
    let t0 = lit.table[0];
    let zero = pattern::<N>(t0, t0);
    // Position in the stream, and in the stored image; `x` is clipped to `w` (past the
    // row's end nothing more is written on that row, wherever past it the stream is).
    let mut p = 0usize;
    let (mut x, mut y) = (0usize, 0usize);
    'rows: while y < h {
        let at = layout.output_row(y) * row_len;
        let row = &mut out[at..at + row_len];
        // What a delta down jumped over.
        fill::<N>(&mut row[..x * N], &zero);
        loop {
            let (Some(&n), Some(&c)) = (data.get(p), data.get(p + 1)) else {
                break 'rows;
            };
            p += 2;
            if n > 0 {
                let n = usize::from(n);
                let (even, odd) = if FOUR {
                    (usize::from(c >> 4), usize::from(c & 0x0f))
                } else {
                    (usize::from(c), usize::from(c))
                };
                let block = pattern::<N>(lit.table[even], lit.table[odd]);
                // Whole stores, past the run's end when the row has room for them.
                let stores = n.div_ceil(STEP);
                if let Some(dst) = row.get_mut(x * N..(x + stores * STEP) * N) {
                    // Most runs take one store: it goes first, outside the loop.
                    let (first, more) = dst.split_at_mut(STEP * N);
                    first.copy_from_slice(&block[..STEP * N]);
                    for s in more.chunks_exact_mut(STEP * N) {
                        s.copy_from_slice(&block[..STEP * N]);
                    }
                    x += n;
                } else {
                    x = run_to_end::<N>(row, w, x, n, &block);
                }
                continue;
            }
            match escape::<N, FOUR>(c, data, &mut p, row, x, lit, &zero) {
                Next::Here(to) => x = to,
                Next::LineEnd => {
                    (x, y) = (0, y + 1);
                    continue 'rows;
                }
                Next::Down { dy, x: to } => {
                    fill_rows::<N>(out, layout, y + 1, y + dy, &zero);
                    (x, y) = (to, y + dy);
                    continue 'rows;
                }
                Next::Stop(at) => {
                    x = at;
                    break 'rows;
                }
            }
        }
    }
    // Decoding stopped on row `y` at `x` (end-of-bitmap or the stream's end): the rest of
    // the image is passed over.
    if y < h {
        let at = layout.output_row(y) * row_len;
        fill::<N>(&mut out[at + x * N..at + row_len], &zero);
        fill_rows::<N>(out, layout, y + 1, h, &zero);
    }
}
