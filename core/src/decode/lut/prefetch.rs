//! Software prefetch of source rows the hardware prefetchers do not see coming.
//!
//! A bottom-up image whose rows are decoded with the output front to back walks its source
//! backwards, a row at a time: each row is read upwards, then the walk jumps back two rows.
//! The hardware prefetchers follow the rising addresses within a row but not the jump, so
//! every row starts with misses. From a hot private buffer that costs little; from a frame
//! another core has just written (a shared-memory slot read in place) each miss waits for a
//! transfer from that core's cache. Touching the first [`HEAD_BYTES`] of the row a little
//! ahead starts the stream early; the hardware takes the rest of the row from there.
//!
//! Measured on Zen 3 AVX2 (seed frame; one `shmbmp write` process; the reader decoding in
//! place, alternating frame by frame without and with the prefetch, p50): at 60 frames/s
//! 795 → 680 µs (400 frames each); flat out 705 → 553; writer paced by the reader
//! 751 → 587. Prefetching whole rows bought the same (680 → 698, 553 → 589, 587 → 610), two
//! lines nothing. Hot, from a private buffer (300 rounds): seed 458 → 442 µs, 4-bit palettes
//! 256 → 244, 1-bit 195 → 198. Sources walked forwards (top-down images; 16-, 24- and 32-bit
//! rows, decoded with the source forwards) are left to the hardware: prefetching them cost
//! 8–15 % hot.

/// How much of a row ahead is prefetched: its first four cache lines.
const HEAD_BYTES: usize = 256;

/// How far ahead of the row being decoded the prefetched row lies, at least: a little more
/// than a row of the seed frame (1,600 bytes); rows 1, 2 and 4 ahead measured alike there.
/// On a copy another CPU had just written, in minutes when that cost ~100 µs more than hot
/// (five, 300 decodes each, p50): 2 rows ahead 489–512 µs, none 597–636, 8 rows 477–514,
/// 16 rows 488–515, 32 rows 490–541, whole rows 8 ahead 502–532.
const LEAD_BYTES: usize = 2048;

/// Rows ahead to prefetch for rows of `row_bytes` bytes (at least 1).
pub(super) fn rows_ahead(row_bytes: usize) -> usize {
    LEAD_BYTES.div_ceil(row_bytes.max(1))
}

/// Asks the CPU to bring the start of `row` into its caches (a hint: never faults, changes
/// nothing).
pub(super) fn prefetch_row(row: &[u8]) {
    for line in row[..row.len().min(HEAD_BYTES)].chunks(64) {
        prefetch_line(line);
    }
}

#[cfg(target_arch = "x86_64")]
fn prefetch_line(line: &[u8]) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: a prefetch is a hint that reads nothing the program can observe and never
    // faults; the address lies inside `line` anyway. SSE is baseline on x86-64.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
}

/// No prefetch elsewhere (not measured there).
#[cfg(not(target_arch = "x86_64"))]
fn prefetch_line(_line: &[u8]) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_ahead_covers_the_lead() {
        assert_eq!(rows_ahead(1600), 2, "the seed frame's 8-bit rows");
        assert_eq!(rows_ahead(800), 3);
        assert_eq!(rows_ahead(200), 11);
        assert_eq!(rows_ahead(4096), 1);
        assert_eq!(rows_ahead(0), 2048, "no division by zero");
    }
}
