//! How many threads a [`Lut`](super::Lut) uses, and the split of an image's rows among them.

use std::num::NonZeroUsize;

/// How many threads a [`Lut`] splits an image's rows across.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Threads {
    /// The calling thread only.
    One,
    /// At most this many (small images use fewer: a thread must have enough work to pay).
    AtMost(NonZeroUsize),
    /// At most one per core the process may use.
    AllCores,
}

impl Threads {
    /// The most threads this setting allows on this machine.
    pub fn max(self) -> usize {
        match self {
            Threads::One => 1,
            Threads::AtMost(n) => n.get(),
            Threads::AllCores => rayon::current_num_threads(),
        }
    }
}

/// The least output a band of rows must have to be worth handing to another thread: waking
/// a pool worker and joining it costs a few microseconds, writing 256 KiB about 30-60 µs.
const MIN_BAND_BYTES: usize = 256 << 10;

/// Bands per thread: more bands than threads let a thread that finishes early (or a core
/// that is free while another is busy) take more of the work.
const BANDS_PER_THREAD: usize = 4;

/// Runs `rows(first_row, band)` over `out` (rows of `row_len` bytes), split into bands of
/// whole rows on up to `threads` threads of rayon's pool (workers that live across frames;
/// the caller's thread works too). Small images, and `threads == 1`, run on the caller's
/// thread alone.
pub(super) fn split_rows<F>(out: &mut [u8], row_len: usize, threads: usize, rows: F)
where
    F: Fn(usize, &mut [u8]) + Sync,
{
    use rayon::prelude::*;
    let h = out.len() / row_len.max(1);
    // With the whole pool, several bands a thread balance the load; with fewer threads than
    // the pool has, one band a thread keeps at most `threads` of them busy.
    let wanted = if threads >= rayon::current_num_threads() {
        threads * BANDS_PER_THREAD
    } else {
        threads
    };
    let bands = wanted.min(out.len() / MIN_BAND_BYTES).min(h);
    if threads <= 1 || bands <= 1 {
        rows(0, out);
        return;
    }
    let per = h.div_ceil(bands);
    out.par_chunks_mut(per * row_len)
        .enumerate()
        .for_each(|(t, band)| rows(t * per, band));
}
