//! How many threads a [`Lut`](super::Lut) uses, and the split of an image's rows among them.

use std::num::NonZeroUsize;

/// How many threads a [`Lut`](super::Lut) splits an image's rows across.
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
            Threads::AllCores => super::helpers::most(),
        }
    }

    /// For a frame a shared-memory reader takes ([`crate::shm::Reader::next_with_waited`]):
    /// up to [`Threads::WHEN_WAITED`] when the reader waited for it, one when it found it
    /// already there.
    ///
    /// A frame the reader waited for finds its caches cold and, at a steady frame rate, the
    /// other cores mostly idle, so a helper takes half the memory traffic. A frame already
    /// there means a writer faster than the reader, busy on another core: a helper would
    /// compete with it. Measured on 2 cores (Zen 3, `benches/shm.rs`), the seed frame at 60
    /// frames/s: p50 publish to RGBA 507-563 µs against 640-765 on one thread; flat out,
    /// one thread's frame rate, where two threads on every frame lose 15-26 %. A reader
    /// that decodes this way has the helpers wait with it,
    /// [`Reader::waking_helpers`](crate::shm::Reader::waking_helpers)`(Threads::for_frame(true))`.
    pub fn for_frame(waited: bool) -> Threads {
        if waited {
            Threads::WHEN_WAITED
        } else {
            Threads::One
        }
    }

    /// [`Threads::for_frame`]'s threads for a frame the reader waited for: two, the most
    /// measured (fewer where the machine has fewer cores).
    pub const WHEN_WAITED: Threads = Threads::AtMost(NonZeroUsize::new(2).unwrap());
}

/// The least output a band of rows must have to be worth handing to another thread: waking
/// a pool worker and joining it costs a few microseconds, writing 256 KiB about 30-60 µs.
const MIN_BAND_BYTES: usize = 256 << 10;

/// Bands per thread: more bands than threads let a thread that finishes early (or a core
/// that is free while another is busy) take more of the work.
const BANDS_PER_THREAD: usize = 4;

/// How many rows each band of an image of `h` rows of `row_len` bytes gets on up to
/// `threads` threads (at most [`BANDS_PER_THREAD`] bands a thread, each at least
/// [`MIN_BAND_BYTES`]); `None` where the caller's thread alone should do it all.
pub(super) fn rows_per_band(h: usize, row_len: usize, threads: usize) -> Option<usize> {
    let threads = threads.min(super::helpers::most());
    let bands = (threads * BANDS_PER_THREAD)
        .min(h * row_len / MIN_BAND_BYTES)
        .min(h);
    (threads > 1 && bands > 1).then(|| h.div_ceil(bands))
}

/// Runs `rows(i, band)` for each band `i` of `out` (rows of `row_len` bytes): bands of `per`
/// rows counted from the top, or from the bottom when `from_bottom` (band `i` holds rows
/// `i * per..` counted that way; the last band is shorter where `per` does not divide the
/// rows), on up to `threads` threads: the caller's and `threads - 1` of this crate's helper
/// threads (which live across frames, see [`helpers`](super::helpers)). `per` `None`: one
/// band, the whole of `out`, on the caller's thread (what [`rows_per_band`] says for small
/// images). Every thread takes the next band not yet taken until none is left, so the
/// caller starts at once and a helper that wakes late (a busy or halted core) takes fewer
/// bands, or none, instead of holding the frame up; the call returns when every band is
/// written.
///
/// Measured on a 2-vCPU VM (Zen 3): handing every band to rayon's pool and blocking the
/// caller (`par_chunks_mut` from outside the pool) made two threads slower than one on a
/// 7.68 MB frame (criterion 503 µs against 432 µs), as each frame paid two wake-ups; the
/// caller taking bands too, inside `rayon::in_place_scope`, still slept until the worker
/// was done.
pub(super) fn split_rows<F>(
    out: &mut [u8],
    row_len: usize,
    per: Option<usize>,
    threads: usize,
    from_bottom: bool,
    rows: F,
) where
    F: Fn(usize, &mut [u8]) + Sync,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let Some(per) = per else {
        return rows(0, out);
    };
    let band = per.max(1) * row_len.max(1);
    // Each band is taken once: the counter hands out indices, the mutex the band itself.
    let bands: Vec<Mutex<Option<&mut [u8]>>> = if from_bottom {
        out.rchunks_mut(band).map(|b| Mutex::new(Some(b))).collect()
    } else {
        out.chunks_mut(band).map(|b| Mutex::new(Some(b))).collect()
    };
    let next = AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(slot) = bands.get(i) else { break };
        let band = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(band) = band {
            rows(i, band);
        }
    };
    super::helpers::run(threads, &work);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_written_once_with_its_index() {
        for (rows, row_len) in [(40, 64 << 10), (3, 1 << 20), (1, 8), (1000, 4096)] {
            for (threads, from_bottom) in [1, 2, 3, 8, 2000]
                .into_iter()
                .flat_map(|t| [(t, false), (t, true)])
            {
                let mut out = vec![0u8; rows * row_len];
                let per = rows_per_band(rows, row_len, threads);
                split_rows(&mut out, row_len, per, threads, from_bottom, |i, band| {
                    let n = band.len() / row_len;
                    let per = per.unwrap_or(rows);
                    let first = if from_bottom {
                        rows - i * per - n
                    } else {
                        i * per
                    };
                    for (i, row) in band.chunks_exact_mut(row_len).enumerate() {
                        for b in row.iter_mut() {
                            *b += 1 + ((first + i) % 251) as u8;
                        }
                    }
                });
                for (y, row) in out.chunks_exact(row_len).enumerate() {
                    let want = 1 + (y % 251) as u8;
                    assert!(
                        row.iter().all(|&b| b == want),
                        "{rows} rows of {row_len}, {threads} threads, from bottom {from_bottom}: row {y}"
                    );
                }
            }
        }
    }
}
