//! How many threads a [`Lut`](super::Lut) uses, and the split of an image's rows among them.

use std::num::NonZeroUsize;
use std::sync::OnceLock;

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
        // `available_parallelism` reads cgroup files on Linux (tens of microseconds): ask once.
        static CORES: OnceLock<usize> = OnceLock::new();
        match self {
            Threads::One => 1,
            Threads::AtMost(n) => n.get(),
            Threads::AllCores => {
                *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            }
        }
    }
}

/// Runs `rows(first_row, chunk)` over `out` (rows of `row_len` bytes) on up to `threads`
/// scoped threads, each given a contiguous band of rows; one thread runs on the caller's.
pub(super) fn split_rows<F>(out: &mut [u8], row_len: usize, threads: usize, rows: F)
where
    F: Fn(usize, &mut [u8]) + Sync,
{
    let h = out.len() / row_len.max(1);
    // A thread costs tens of microseconds to start: give each at least 1 MiB of output.
    let threads = threads.min(out.len() / (1 << 20)).clamp(1, h.max(1));
    if threads == 1 {
        rows(0, out);
        return;
    }
    let per = h.div_ceil(threads);
    std::thread::scope(|s| {
        for (t, chunk) in out.chunks_mut(per * row_len).enumerate() {
            let rows = &rows;
            s.spawn(move || rows(t * per, chunk));
        }
    });
}
