//! Buffers that decoded pixels are written into: sized once and reused, large ones asking
//! the kernel for huge pages.

/// Buffers at least this long ask for transparent huge pages (numpy's threshold for the
/// same advice on its arrays).
const HUGE_FROM: usize = 4 << 20;

/// The huge page size the advice aims at: 2 MiB, x86-64's and 4 KiB-granule aarch64's.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// Resizes `out` to `len` bytes, leaving its contents alone when it already has that length
/// (a frame decoded into the same buffer as the last one writes every byte anyway). When
/// `len` exceeds its capacity, `out` is replaced by an [`output_buffer`].
pub fn prepare_output(out: &mut Vec<u8>, len: usize) {
    if out.len() == len {
        return;
    }
    if out.capacity() < len {
        // Freed first, so that the old and the new buffer are never both held.
        *out = Vec::new();
        *out = output_buffer(len);
    } else {
        out.clear();
        out.resize(len, 0);
    }
}

/// A zeroed buffer of `len` bytes for decoded pixels.
///
/// On Linux, a buffer of 4 MiB or more asks for transparent huge pages
/// (`madvise(MADV_HUGEPAGE)` on the whole 2 MiB pages inside it, before its first write), as
/// numpy does for its large arrays: a 1600×1200 RGBA frame then needs 4 TLB entries instead
/// of 1,875. Measured on a Zen 3 VM (`lut` into the same buffer, 300 interleaved rounds):
/// seed frame settled 765 → 680 µs, in turn 1,035 → 875 µs; the write floor in turn
/// 716 → 462 µs. Where the kernel has huge pages off (`never`) the advice changes nothing;
/// elsewhere this is a plain zeroed `Vec`.
pub fn output_buffer(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    if len >= HUGE_FROM {
        advise_huge_pages(out.spare_capacity_mut().as_mut_ptr().cast(), len);
    }
    out.resize(len, 0);
    out
}

/// Asks for huge pages for the whole [`HUGE_PAGE`]s in `len` bytes from `start`.
#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *mut u8, len: usize) {
    let first = (start as usize).next_multiple_of(HUGE_PAGE);
    let end = (start as usize + len) / HUGE_PAGE * HUGE_PAGE;
    if end > first {
        // SAFETY: advice only: [first, end) lies inside the caller's allocation of `len`
        // bytes from `start` and is page-aligned; MADV_HUGEPAGE changes no contents and
        // unmaps nothing. A failure (a kernel without transparent huge pages) leaves the
        // memory as it was, so the result is ignored.
        unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE) };
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_start: *mut u8, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_output_sizes_zeroes_and_reuses() {
        let mut out = vec![7u8; 10];
        prepare_output(&mut out, 10);
        assert_eq!(out, [7; 10], "same length: contents left alone");
        prepare_output(&mut out, 4);
        assert_eq!(out, [0; 4], "shorter: zeroed");
        let ptr = out.as_ptr();
        prepare_output(&mut out, 8);
        assert_eq!(
            (out.as_ptr(), out.len()),
            (ptr, 8),
            "within capacity: same buffer"
        );
        prepare_output(&mut out, HUGE_FROM + 5);
        assert!(out.len() == HUGE_FROM + 5 && out.iter().all(|&b| b == 0));
    }

    /// The mapping holding a large buffer's first whole 2 MiB page carries the huge-page
    /// advice (`hg` in its `VmFlags`).
    #[cfg(target_os = "linux")]
    #[test]
    fn large_buffers_ask_for_huge_pages() {
        if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists() {
            crate::test_util::skipped("this kernel has no transparent huge pages");
            return;
        }
        let runner = "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER";
        if let (true, Ok(r)) = (cfg!(target_arch = "aarch64"), std::env::var(runner)) {
            // qemu-user takes madvise advice as a hint it may drop, and does; the native
            // run of this test checks it.
            crate::test_util::skipped(&format!("huge-page advice under {r} (qemu-user drops it)"));
            return;
        }
        let out = output_buffer(3 * HUGE_PAGE);
        let inside = (out.as_ptr() as usize).next_multiple_of(HUGE_PAGE);
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut current = None;
        let mut flags = None;
        for line in smaps.lines() {
            let range = line.split_once(' ').map(|(r, _)| r).unwrap_or("");
            if let Some((a, b)) = range.split_once('-') {
                if let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
                {
                    current = Some((a..b).contains(&inside));
                    continue;
                }
            }
            if let (Some(true), Some(f)) = (current, line.strip_prefix("VmFlags:")) {
                flags = Some(f.to_string());
            }
        }
        let flags = flags.expect("the buffer's mapping is listed");
        assert!(
            flags.split_whitespace().any(|f| f == "hg"),
            "VmFlags:{flags}"
        );
    }
}
