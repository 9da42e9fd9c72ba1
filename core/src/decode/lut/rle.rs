//! RLE images, parsed straight off the stream's slice by the rules written down in
//! `decode/rle.rs` (the oracle's interpreter; the equivalence and malformed-input tests hold
//! the two together), one stored row's output slice at a time.
//!
//! Two paths share the parser. The fast path takes runs, and absolute blocks that lie whole
//! in the stream, while 32-byte stores fit in the row: it checks that once per instruction,
//! then writes with unchecked stores ([`wide`]: a run's pixel broadcast over a register,
//! a block's pixels 8 entries a store), which may overshoot the instruction's end inside
//! the row: every pixel right of the current position is written again later (by a later
//! instruction, or by the palette entry 0 fill that ends the row), so the last write is the
//! one that stays. Everything else (escapes, instructions near the row's end or the
//! stream's end) takes the checked path, which writes exactly, absolute blocks of
//! [`KERNEL_MIN`] pixels or more through the palette row kernel of the decoder's level (the
//! one uncompressed 8-bit or 4-bit rows use). At the NEON and AVX-512 VBMI levels the fast
//! path leaves such blocks to that kernel too; at the scalar and AVX2 levels it writes them
//! itself, measured not slower (AMD Zen 3, interleaved, per-round median of the row kernel's
//! time ÷ this: `rle8_1600` 1.13-1.17 at AVX2, 1.01-1.15 scalar; `rle4_1600` 1.02 (RGBA)
//! and 1.15 (RGB) at AVX2, 1.03-1.11 scalar). On x86-64 with AVX2 the whole parser is
//! compiled a second time with AVX2 enabled.
//!
//! On several threads the image is cut into bands of stored rows. A stream has no index of
//! where a row starts, so a thread taking a band first walks the instructions from the
//! nearest band start already known (usually the one before, which another thread is
//! decoding) to its own: the same parser with its writes compiled out ([`parse`]'s
//! `WRITE`) and a fast path that only moves along ([`walk`]); every band start found is
//! shared. Measured (AMD Zen 3, `rle8_1600`, 2 threads, three runs): walking costs 0.17-0.19
//! of the time decoding takes, against 0.25-0.29 through the writing fast path with its
//! stores left out.

#[cfg(test)]
mod tests;
mod wide;

use std::ops::Range;
use std::sync::OnceLock;

use super::palette::{ordered, Palette8};
use super::row::{Row, RowKernel, Scratch};
use super::{threads, Kernels};
use crate::format::{palette, Layout, PixelFormat, PixelLayout};
use wide::{Portable, Wide};

/// Pixels one 32-byte store of a run advances by: an even number (so that RLE4's
/// alternating pixels keep their phase) of whole `n`-byte pixels.
const fn step(n: usize) -> usize {
    32 / n / 2 * 2
}

/// Absolute blocks at least this many pixels long may go to the row kernel (see the module
/// docs); shorter ones are written 8 pixels a store (fast path) or pixel by pixel.
const KERNEL_MIN: usize = 32;

/// Decodes an RLE8/RLE4 image into `out` in the layout `pixels`, absolute blocks through the
/// palette row kernel of level `kernels` (which this CPU must support), on up to `threads`
/// threads (see the module docs; small images on one).
pub(super) fn decode_rle(
    bmp: &[u8],
    layout: &Layout,
    pixels: PixelLayout,
    kernels: Kernels,
    out: &mut [u8],
    threads: usize,
) {
    let row_len = layout.output_row_len(pixels);
    let per = threads::rows_per_band(layout.height as usize, row_len, threads);
    decode::<true>(bmp, layout, pixels, kernels, out, per, threads);
}

/// [`decode_rle`] in bands of `per` stored rows on up to `threads` threads, a band's start
/// walked to from the nearest one known (see the module docs), or (`per` `None`) on the
/// calling thread alone; with the fast path only when `FAST` (the checked path alone is
/// what the fast path is tested against).
fn decode<const FAST: bool>(
    bmp: &[u8],
    layout: &Layout,
    pixels: PixelLayout,
    kernels: Kernels,
    out: &mut [u8],
    per: Option<usize>,
    threads: usize,
) {
    let (four, table) = literal_table(bmp, layout, pixels);
    let row = literal_row(four, table);
    let data = layout.pixel_data(bmp);
    let mut lit = Literals::new::<FAST>(data, four, table, &row, kernels, pixels);
    let h = layout.height as usize;
    let Some(per) = per else {
        let mut band = Band::new(layout, pixels, out, 0..h);
        parse_at::<FAST, true>(layout, &mut lit, &mut band, At::START);
        return;
    };
    // starts[j]: where parsing stands when band j (stored rows j per..) begins.
    let starts: Vec<OnceLock<At>> = (0..h.div_ceil(per)).map(|_| OnceLock::new()).collect();
    let _ = starts[0].set(At::START);
    let row_len = layout.output_row_len(pixels);
    // Bands are cut in stored order: band j holds stored rows j per..
    let bands = |j: usize, out: &mut [u8]| {
        let y0 = j * per;
        let mut lit = lit.clone();
        // Bands are taken in order, so band 0's start is known and the walk is short.
        let known = (0..=j)
            .rev()
            .find(|&k| starts[k].get().is_some())
            .unwrap_or(0);
        let mut at = starts[known].get().copied().unwrap_or(At::START);
        for k in known..j {
            let mut none = Band::new(layout, pixels, &mut [], k * per..(k + 1) * per);
            at = parse_at::<FAST, false>(layout, &mut lit, &mut none, at);
            let _ = starts[k + 1].set(at);
        }
        let rows = y0..y0 + out.len() / row_len;
        let mut band = Band::new(layout, pixels, out, rows);
        let end = parse_at::<FAST, true>(layout, &mut lit, &mut band, at);
        if let Some(next) = starts.get(j + 1) {
            let _ = next.set(end);
        }
    };
    threads::split_rows(out, row_len, Some(per), threads, !layout.top_down, bands);
}

/// Whether the image is RLE4, and its palette's packed entries in the output's order.
fn literal_table(bmp: &[u8], layout: &Layout, pixels: PixelLayout) -> (bool, [u32; 256]) {
    let four = layout.format == PixelFormat::Rle4;
    (
        four,
        ordered(palette::table(bmp, layout), pixels.blue_first()),
    )
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

/// How absolute blocks are written (and runs' pixels found).
struct Literals<'a> {
    /// The stream.
    data: &'a [u8],
    /// Whether the image is RLE4.
    four: bool,
    /// The palette, packed entries in the output's pixel order.
    table: [u32; 256],
    /// For RLE4, the two pixels of each byte (high nibble first).
    pairs: [[u32; 2]; 256],
    /// Each byte's 3-byte run pattern (see [`wide::Patterns3`]), built by [`parse_at`] when
    /// its fast path is the portable one, which takes runs from it.
    patterns3: Option<Box<wide::Patterns3>>,
    /// Whether the fast path leaves blocks of [`KERNEL_MIN`] pixels or more to `kernel`.
    long_by_kernel: bool,
    kernel: RowKernel,
    row: &'a Row,
    scratch: Scratch,
}

impl Clone for Literals<'_> {
    /// The same tables and kernel, with a scratch buffer of its own (for another thread).
    fn clone(&self) -> Self {
        Literals {
            data: self.data,
            four: self.four,
            table: self.table,
            pairs: self.pairs,
            patterns3: self.patterns3.clone(),
            long_by_kernel: self.long_by_kernel,
            kernel: self.kernel,
            row: self.row,
            scratch: Scratch::new(),
        }
    }
}

impl<'a> Literals<'a> {
    /// The literal writer for palette `table` (in the output's order), `row` its row kind
    /// ([`literal_row`]), at level `kernels` into `pixels`.
    fn new<const FAST: bool>(
        data: &'a [u8],
        four: bool,
        table: [u32; 256],
        row: &'a Row,
        kernels: Kernels,
        pixels: PixelLayout,
    ) -> Self {
        let bytes = pixels.bytes_per_pixel();
        let kernel = RowKernel::choose(row, kernels, bytes);
        let mut lit = Literals {
            data,
            four,
            table,
            patterns3: None,
            long_by_kernel: !matches!(kernel.level(), Kernels::Scalar | Kernels::Avx2),
            pairs: std::array::from_fn(|b| [table[b >> 4], table[b & 0x0f]]),
            kernel,
            row,
            scratch: Scratch::new(),
        };
        if FAST && bytes == 3 && Portable::CACHE3 && !lit.avx2() {
            let patterns: wide::Patterns3 = std::array::from_fn(|c| {
                let [even, odd] = if four { lit.pairs[c] } else { [table[c]; 2] };
                Portable::pattern::<3>(even, odd)
            });
            lit.patterns3 = Some(Box::new(patterns));
        }
        lit
    }

    /// Whether the parser runs with AVX2 stores (x86-64, kernel level AVX2 or above).
    fn avx2(&self) -> bool {
        cfg!(target_arch = "x86_64") && self.kernel.level() >= Kernels::Avx2
    }

    /// The two pixels a run of byte `c` alternates: RLE4's pair, RLE8's pixel twice.
    #[inline(always)]
    fn run_pair<const FOUR: bool>(&self, c: u8) -> [u32; 2] {
        if FOUR {
            self.pairs[usize::from(c)]
        } else {
            [self.table[usize::from(c)]; 2]
        }
    }

    /// Writes the indices in `src` (one a byte, or two when `FOUR`, high nibble first) to
    /// `dst`, which holds `N`-byte pixels; `src` has exactly the bytes `dst` needs.
    #[inline(always)]
    fn write<const N: usize, const FOUR: bool>(&mut self, src: &[u8], dst: &mut [u8]) {
        if dst.len() < KERNEL_MIN * N {
            let t = &self.table;
            let put =
                |d: &mut [u8], i: u8| d.copy_from_slice(&t[usize::from(i)].to_ne_bytes()[..N]);
            if FOUR {
                for (d, &b) in dst.chunks_mut(2 * N).zip(src) {
                    put(&mut d[..N], b >> 4);
                    if let Some(d) = d.get_mut(N..2 * N) {
                        put(d, b & 0x0f);
                    }
                }
            } else {
                for (d, &i) in dst.chunks_exact_mut(N).zip(src) {
                    put(d, i);
                }
            }
            return;
        }
        self.kernel.run(self.row, src, dst, &mut self.scratch);
    }
}

/// [`parse`] from `at` over `band`, compiled for the level of the literal kernel and the
/// layout's pixel size; returns where it stopped.
fn parse_at<const FAST: bool, const WRITE: bool>(
    layout: &Layout,
    lit: &mut Literals,
    band: &mut Band,
    at: At,
) -> At {
    match (band.bytes, lit.four) {
        (4, false) => parse_level::<4, false, FAST, WRITE>(layout, lit, band, at),
        (4, true) => parse_level::<4, true, FAST, WRITE>(layout, lit, band, at),
        (_, false) => parse_level::<3, false, FAST, WRITE>(layout, lit, band, at),
        (_, true) => parse_level::<3, true, FAST, WRITE>(layout, lit, band, at),
    }
}

/// [`parse`] with the stores of the literal kernel's level.
fn parse_level<const N: usize, const FOUR: bool, const FAST: bool, const WRITE: bool>(
    layout: &Layout,
    lit: &mut Literals,
    band: &mut Band,
    at: At,
) -> At {
    #[cfg(target_arch = "x86_64")]
    if lit.avx2() {
        // SAFETY: `RowKernel::choose` asserted that this CPU supports the level it was asked
        // for, and it chose a kernel at or below it: AVX2 or above, all of which need AVX2.
        return unsafe { parse_avx2::<N, FOUR, FAST, WRITE>(layout, lit, band, at) };
    }
    // SAFETY: the portable stores need no target feature.
    unsafe { parse::<N, FOUR, FAST, WRITE, Portable>(layout, lit, band, at) }
}

/// [`parse`] with AVX2 stores.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn parse_avx2<const N: usize, const FOUR: bool, const FAST: bool, const WRITE: bool>(
    layout: &Layout,
    lit: &mut Literals,
    band: &mut Band,
    at: At,
) -> At {
    // SAFETY: the caller vouches for AVX2, all `wide::Avx2` needs.
    unsafe { parse::<N, FOUR, FAST, WRITE, wide::Avx2>(layout, lit, band, at) }
}

/// `N`-byte pixels alternating `even` and `odd`, `even` first, over 32 bytes (the last one
/// cut short when `N` is 3).
#[inline(always)]
fn pattern<const N: usize>(even: u32, odd: u32) -> [u8; 32] {
    Portable::pattern::<N>(even, odd)
}

/// Fills `dst` (whole `N`-byte pixels) with `block` repeated, exactly.
#[inline(always)]
fn fill<const N: usize>(dst: &mut [u8], block: &[u8; 32]) {
    let whole = step(N) * N;
    let mut stores = dst.chunks_exact_mut(whole);
    for s in &mut stores {
        s.copy_from_slice(&block[..whole]);
    }
    // Fixed-size copies for the last pixels (a loop of pixel copies becomes a `memcpy` call).
    let tail = stores.into_remainder();
    let mut at = 0;
    for k in [8, 4, 2, 1] {
        if k * N < whole && tail.len() - at >= k * N {
            tail[at..at + k * N].copy_from_slice(&block[at..at + k * N]);
            at += k * N;
        }
    }
}

/// Writes up to `n` pixels of the run `n, c` at pixel `x` of `row`, clipped at the row's
/// end; returns the new position: the checked path for runs.
#[inline(never)]
fn run_to_end<const N: usize, const FOUR: bool, const WRITE: bool>(
    row: &mut [u8],
    x: usize,
    n: usize,
    c: u8,
    lit: &Literals,
) -> usize {
    let end = (x + n).min(row.len() / N);
    if WRITE {
        let [even, odd] = lit.run_pair::<FOUR>(c);
        fill::<N>(&mut row[x * N..end * N], &pattern::<N>(even, odd));
    }
    end
}

/// Where parsing stands: the next instruction at byte `p` of the stream, at pixel `x` of
/// stored row `y`; `stopped` once end-of-bitmap or the stream's end was met there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct At {
    p: usize,
    x: usize,
    y: usize,
    stopped: bool,
}

impl At {
    /// The first instruction, at the first stored row's first pixel.
    const START: At = At {
        p: 0,
        x: 0,
        y: 0,
        stopped: false,
    };
}

/// The stored rows `rows` of an image one call of [`parse`] decodes, and their output
/// (empty when it only walks the stream).
struct Band<'o, 'l> {
    out: &'o mut [u8],
    rows: Range<usize>,
    layout: &'l Layout,
    /// The output row (0 = top) of `out`'s first row.
    first: usize,
    /// Bytes a pixel, a row.
    bytes: usize,
    row_len: usize,
}

impl<'o, 'l> Band<'o, 'l> {
    /// Stored rows `rows` of `layout` in `pixels`, their output in `out` (top row first).
    fn new(layout: &'l Layout, pixels: PixelLayout, out: &'o mut [u8], rows: Range<usize>) -> Self {
        let bytes = pixels.bytes_per_pixel();
        let (first, _) = Band::output_rows(layout, &rows);
        Band {
            out,
            rows,
            layout,
            first,
            bytes,
            row_len: layout.output_row_len(pixels),
        }
    }

    /// The output rows (0 = top) that stored rows `rows` land in, as `first..last`.
    fn output_rows(layout: &Layout, rows: &Range<usize>) -> (usize, usize) {
        if rows.is_empty() {
            return (0, 0);
        }
        let (a, b) = (
            layout.output_row(rows.start),
            layout.output_row(rows.end - 1),
        );
        (a.min(b), a.max(b) + 1)
    }

    /// The output of stored row `y` (one of `rows`).
    fn row(&mut self, y: usize) -> &mut [u8] {
        let at = (self.layout.output_row(y) - self.first) * self.row_len;
        &mut self.out[at..at + self.row_len]
    }

    /// Fills stored rows `from..to` (clipped to `rows`) with `block`.
    fn fill_rows<const N: usize>(&mut self, from: usize, to: usize, block: &[u8; 32]) {
        let rows = from.max(self.rows.start)..to.min(self.rows.end);
        if rows.is_empty() {
            return;
        }
        let (first, last) = Band::output_rows(self.layout, &rows);
        let (first, last) = (first - self.first, last - self.first);
        fill::<N>(
            &mut self.out[first * self.row_len..last * self.row_len],
            block,
        );
    }
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
/// position `x` of `row`: the checked path.
#[inline(always)]
fn escape<const N: usize, const FOUR: bool, const WRITE: bool>(
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
            if WRITE {
                fill::<N>(&mut row[x * N..], zero);
            }
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
                if WRITE {
                    fill::<N>(&mut row[x * N..to * N], zero);
                }
                return Next::Here(to);
            }
            if WRITE {
                fill::<N>(&mut row[x * N..], zero);
            }
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
            if WRITE && shown > 0 {
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

/// Interprets the RLE stream from `at` until a stored row at or past `band.rows.end` begins
/// (or the stream stops), writing `band`'s rows when `WRITE` (`at.y` is then at or past
/// `band.rows.start`; rows a delta jumped over before it are filled); `N` bytes a pixel,
/// `FOUR` for RLE4; with the fast path when `FAST`, its stores built and written by `W`.
/// Returns where it stopped.
///
/// # Safety
/// The CPU has the target features `W` needs.
#[inline(always)]
unsafe fn parse<const N: usize, const FOUR: bool, const FAST: bool, const WRITE: bool, W: Wide>(
    layout: &Layout,
    lit: &mut Literals,
    band: &mut Band,
    at: At,
) -> At {
    let data = lit.data;
    let row_len = layout.width as usize * N;
    // A 32-byte store at pixel x lies inside the row exactly when x < wide_end, and then
    // x + step(N) <= w and x + 8 <= w (32 / N >= both).
    let wide_end = if FAST && row_len >= 32 {
        (row_len - 32) / N + 1
    } else {
        0
    };
    let t0 = lit.table[0];
    let zero = pattern::<N>(t0, t0);
    let end = band.rows.end;
    if WRITE {
        band.fill_rows::<N>(band.rows.start, at.y, &zero);
    }
    // Position in the stream, and in the stored image; `x` is clipped to `w` (past the
    // row's end nothing more is written on that row, wherever past it the stream is).
    let At {
        mut p,
        mut x,
        mut y,
        mut stopped,
    } = at;
    // A walk's row: only its length is used.
    let mut walked = if WRITE { Vec::new() } else { vec![0; row_len] };
    'rows: while y < end && !stopped {
        let row: &mut [u8] = if WRITE { band.row(y) } else { &mut walked };
        // What a delta down jumped over.
        if WRITE {
            fill::<N>(&mut row[..x * N], &zero);
        }
        loop {
            (p, x) = if WRITE {
                // SAFETY: the caller vouches for W's target features.
                unsafe { fast::<N, FOUR, W>(data, p, row, x, wide_end, lit) }
            } else {
                walk::<FOUR>(data, p, x, row.len() / N)
            };
            // The instruction the fast path left, by the checked path.
            let Some(&[n, c]) = data.get(p..p + 2) else {
                stopped = true;
                break 'rows;
            };
            p += 2;
            if n > 0 {
                x = run_to_end::<N, FOUR, WRITE>(row, x, usize::from(n), c, lit);
                continue;
            }
            match escape::<N, FOUR, WRITE>(c, data, &mut p, row, x, lit, &zero) {
                Next::Here(to) => x = to,
                Next::LineEnd => {
                    (x, y) = (0, y + 1);
                    continue 'rows;
                }
                Next::Down { dy, x: to } => {
                    if WRITE {
                        band.fill_rows::<N>(y + 1, y + dy, &zero);
                    }
                    (x, y) = (to, y + dy);
                    continue 'rows;
                }
                Next::Stop(at) => {
                    x = at;
                    stopped = true;
                    break 'rows;
                }
            }
        }
    }
    // Decoding stopped on row `y` at `x` (end-of-bitmap or the stream's end): the rest of
    // the band is passed over.
    if WRITE && stopped && y < end {
        if y >= band.rows.start {
            fill::<N>(&mut band.row(y)[x * N..], &zero);
        }
        band.fill_rows::<N>(y + 1, end, &zero);
    }
    At { p, x, y, stopped }
}

/// The fast path, from instruction `p` at pixel `x` of `row`: runs, and absolute blocks that
/// lie whole in the stream (only those shorter than [`KERNEL_MIN`] when
/// `lit.long_by_kernel`), written with 32-byte stores that start before `wide_end`. Returns
/// the position of the first instruction it leaves to the checked path (or of the stream's
/// end) and the pixel reached.
///
/// # Safety
/// The CPU has the target features `W` needs; `wide_end` is `row`'s (see [`parse`]).
#[inline(always)]
unsafe fn fast<const N: usize, const FOUR: bool, W: Wide>(
    data: &[u8],
    mut p: usize,
    row: &mut [u8],
    mut x: usize,
    wide_end: usize,
    lit: &Literals,
) -> (usize, usize) {
    let len = data.len();
    let src = data.as_ptr();
    let cached = if N == 3 && W::CACHE3 {
        lit.patterns3.as_deref()
    } else {
        None
    };
    let run = |c: u8| {
        // SAFETY (here and below): the caller vouches for W's target features.
        unsafe {
            if let Some(p) = cached {
                W::cached(&p[usize::from(c)])
            } else if FOUR {
                W::splat2::<N>(lit.pairs[usize::from(c)])
            } else {
                W::splat1::<N>(lit.table[usize::from(c)])
            }
        }
    };
    while p + 2 <= len {
        // SAFETY: p + 2 <= len.
        let (n, c) = unsafe { (*src.add(p), *src.add(p + 1)) };
        let n = usize::from(n);
        if n > 0 {
            if x >= wide_end {
                break;
            }
            let block = run(c);
            // SAFETY (stores): each starts at a pixel below wide_end, so its 32 bytes lie
            // in `row`.
            debug_assert!(x * N + 32 <= row.len());
            unsafe { W::store(row.as_mut_ptr().add(x * N), block) };
            if n > step(N) {
                // A long run: more stores while they fit, the rest by the checked path.
                let stop = x + n;
                let mut s = x + step(N);
                while s < stop && s < wide_end {
                    debug_assert!(s * N + 32 <= row.len());
                    unsafe { W::store(row.as_mut_ptr().add(s * N), block) };
                    s += step(N);
                }
                x = if s < stop {
                    run_to_end::<N, FOUR, true>(row, s, stop - s, c, lit)
                } else {
                    stop
                };
            } else {
                // x < wide_end gives x + step(N) <= w.
                x += n;
            }
            p += 2;
            continue;
        }
        let count = usize::from(c);
        if count < 3 || (count >= KERNEL_MIN && lit.long_by_kernel) {
            break;
        }
        // An absolute block: 8 pixels a store from 8 bytes read (4 for RLE4); the bytes
        // read cover the block and its padding.
        let stores = count.div_ceil(8);
        let per = if FOUR { 4 } else { 8 };
        if x + 8 * (stores - 1) >= wide_end || p + 2 + per * stores > len {
            break;
        }
        for k in 0..stores {
            debug_assert!((x + 8 * k) * N + 32 <= row.len() && p + 2 + per * (k + 1) <= len);
            // SAFETY: reads src[p + 2 + per k..][..per], inside `data` by the check above;
            // writes 32 bytes at pixel x + 8k < wide_end; W's features as above.
            unsafe {
                W::lit8::<N, FOUR>(
                    &lit.table,
                    &lit.pairs,
                    src.add(p + 2 + per * k),
                    row.as_mut_ptr().add((x + 8 * k) * N),
                )
            };
        }
        // The last store starts below wide_end, so x + 8 stores <= w.
        x += count;
        let bytes = if FOUR { count.div_ceil(2) } else { count };
        p += 2 + bytes + bytes % 2;
    }
    (p, x)
}

/// [`fast`] for a walk (nothing written), from instruction `p` at pixel `x` of a `w`-pixel
/// row: runs, and absolute blocks that lie whole in the stream, only moving along; returns
/// the position of the first instruction it leaves to the checked path (or of the stream's
/// end) and the pixel reached. `x` is clipped once at the end: clipping at `w` after each
/// step gives the same as clipping the sum (the steps are never negative).
#[inline(always)]
fn walk<const FOUR: bool>(data: &[u8], mut p: usize, mut x: usize, w: usize) -> (usize, usize) {
    while let Some(&[n, c]) = data.get(p..p + 2) {
        if n > 0 {
            x += usize::from(n);
            p += 2;
            continue;
        }
        let count = usize::from(c);
        let bytes = if FOUR { count.div_ceil(2) } else { count };
        // Escapes, and blocks the stream cuts short (or ends right after, unpadded).
        if count < 3 || p + 2 + bytes + bytes % 2 > data.len() {
            break;
        }
        x += count;
        p += 2 + bytes + bytes % 2;
    }
    (p, x.min(w))
}
