//! The BI_RLE8 / BI_RLE4 stream: the rules every decoder of ours follows, and the oracle's
//! interpreter of them, a byte at a time. `lut` parses the stream off its slice by the same
//! rules (`lut/rle.rs`), for speed; tests hold the two to the same output.
//!
//! Rules (lenient, as Pillow, OpenCV and zune-bmp are on BMP Suite's `q/` files):
//! - a run or absolute block that passes the row's end is clipped at the row's end;
//! - end-of-line moves to the start of the next stored row; delta moves right and down;
//! - decoding stops at end-of-bitmap, when the position passes the last row, or when the
//!   stream ends (also mid-escape or mid-block);
//! - pixels never written are palette entry 0: the stream's gaps (the rest of a row at
//!   end-of-line, what a delta jumps over, everything after end-of-bitmap or the stream's
//!   end) go to [`Sink::skip`], so every output pixel is written exactly once.

use crate::format::{Layout, PixelFormat};

/// Receives decoded pixels; rows are output rows (0 = top), runs are already clipped.
pub(crate) trait Sink {
    /// `count` pixels starting at `x`; pixel `i` has index `even` when `i` is even, else `odd`.
    fn run(&mut self, row: usize, x: usize, count: usize, even: u8, odd: u8);
    /// The pixels of an absolute block starting at `x`, one index each (RLE4 nibbles already
    /// split), clipped to the row; never empty.
    fn literal(&mut self, row: usize, x: usize, indices: &[u8]);
    /// `count` pixels starting at `x` that the stream passes over: palette entry 0.
    fn skip(&mut self, row: usize, x: usize, count: usize);
}

/// Sends the pixels from stored position (`x0`, `y0`) up to (`x1`, `y1`), exclusive, in
/// stored order, to [`Sink::skip`], one call a row; positions past the row's end or the
/// last row are clipped.
fn pass_over<S: Sink>(
    layout: &Layout,
    sink: &mut S,
    (x0, y0): (usize, usize),
    (x1, y1): (usize, usize),
) {
    let (w, h) = (layout.width as usize, layout.height as usize);
    let mut y = y0;
    let mut x = x0;
    while y < h && (y < y1 || (y == y1 && x < x1)) {
        let end = if y < y1 { w } else { x1.min(w) };
        if x < end {
            sink.skip(layout.output_row(y), x, end - x);
        }
        y += 1;
        x = 0;
    }
}

/// Interprets the RLE stream whose bytes `next` yields, sending pixels to `sink`.
pub(crate) fn decode<S: Sink>(layout: &Layout, mut next: impl FnMut() -> Option<u8>, sink: &mut S) {
    let four_bit = layout.format == PixelFormat::Rle4;
    let (w, h) = (layout.width as usize, layout.height as usize);
    let (mut x, mut y) = (0usize, 0usize);
    // Wherever decoding stops, the rest of the image is passed over.
    let finish = |x: usize, y: usize, sink: &mut S| pass_over(layout, sink, (x, y), (0, h));
    while y < h {
        let (Some(n), Some(c)) = (next(), next()) else {
            return finish(x, y, sink);
        };
        if n > 0 {
            let n = usize::from(n);
            if x < w {
                let (even, odd) = if four_bit { (c >> 4, c & 0x0f) } else { (c, c) };
                sink.run(layout.output_row(y), x, n.min(w - x), even, odd);
            }
            x += n;
            continue;
        }
        match c {
            0 => {
                pass_over(layout, sink, (x, y), (0, y + 1));
                x = 0;
                y += 1;
            }
            1 => return finish(x, y, sink),
            2 => {
                let (Some(dx), Some(dy)) = (next(), next()) else {
                    return finish(x, y, sink);
                };
                let to = (x + usize::from(dx), y + usize::from(dy));
                pass_over(layout, sink, (x, y), to);
                (x, y) = to;
            }
            count => {
                let count = usize::from(count);
                let bytes = if four_bit { count.div_ceil(2) } else { count };
                let mut indices = [0u8; 255];
                let (mut got, mut ended) = (0, false);
                for _ in 0..bytes {
                    let Some(b) = next() else {
                        ended = true;
                        break;
                    };
                    if four_bit {
                        indices[got] = b >> 4;
                        if got + 1 < count {
                            indices[got + 1] = b & 0x0f;
                        }
                        got = (got + 2).min(count);
                    } else {
                        indices[got] = b;
                        got += 1;
                    }
                }
                // The pixels read, even when the stream ended inside the block.
                let shown = got.min(w.saturating_sub(x));
                if shown > 0 {
                    sink.literal(layout.output_row(y), x, &indices[..shown]);
                }
                if ended || (bytes % 2 == 1 && next().is_none()) {
                    return finish(x + shown, y, sink);
                }
                x += count;
            }
        }
    }
}
