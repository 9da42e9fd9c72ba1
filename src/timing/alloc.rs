//! The allocator held steady for every decoder alike.
//!
//! By default glibc malloc serves a block of 128 KiB or more with `mmap`, raises that
//! threshold as such blocks are freed, and hands freed memory at the top of the heap back to
//! the kernel. In a long benchmark process that mixes sizes, the decoders that allocate their
//! output every call (every peer, and `lut` without `_into`) then keep getting fresh pages
//! and pay a page fault for each 4 KiB of output, while a decoder writing into a reused
//! buffer pays nothing: on a 1600×1200 frame that tripled the `image` crate's time here.
//! A user's program that decodes frame after frame reaches a steady state in which freed
//! blocks are reused; [`hold_steady`] puts every timing process there from the start.

use std::sync::OnceLock;

/// Largest block glibc accepts as its mmap threshold on 64-bit (`DEFAULT_MMAP_THRESHOLD_MAX`):
/// blocks up to this size come from the heap and are reused once freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 32 << 20;

/// Freed memory at the top of the heap is kept up to this size instead of being trimmed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = libc::c_int::MAX;

/// Keeps freed large blocks mapped for the rest of the process (once; later calls only
/// return the same answer) and says what was done, in words for reports.
///
/// On glibc: `mallopt(M_MMAP_THRESHOLD, 32 MiB)` and `mallopt(M_TRIM_THRESHOLD, 2 GiB)`. Every
/// timing path calls it (criterion's benches, the interleaved pass, `shmbmp bench`), so ours
/// and the peers run under the same allocator; `benches/peers.py` does the same for Python.
pub fn hold_steady() -> &'static str {
    static DONE: OnceLock<String> = OnceLock::new();
    DONE.get_or_init(hold_steady_once)
}

/// The same two settings as glibc tunables for another process (`GLIBC_TUNABLES`'s value),
/// so that a program of its own (`shmbmp-bare`) can run held steady too; `None` where
/// [`hold_steady`] does nothing.
pub fn glibc_tunables() -> Option<String> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    return Some(format!(
        "glibc.malloc.mmap_threshold={MMAP_THRESHOLD}:glibc.malloc.trim_threshold={TRIM_THRESHOLD}"
    ));
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    return None;
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn hold_steady_once() -> String {
    // SAFETY: mallopt only changes two tunables of glibc malloc under its arena lock; it
    // reads no pointer of ours and may be called at any time from any thread.
    let (mmap, trim) = unsafe {
        (
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD),
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD),
        )
    };
    if mmap == 1 && trim == 1 {
        "glibc malloc held steady: mallopt(M_MMAP_THRESHOLD, 32 MiB) and \
         mallopt(M_TRIM_THRESHOLD, 2 GiB), so freed blocks up to 32 MiB stay mapped and are \
         reused, for every decoder alike"
            .to_string()
    } else {
        format!(
            "glibc malloc left at its defaults: mallopt refused (M_MMAP_THRESHOLD: {mmap}, \
             M_TRIM_THRESHOLD: {trim}); decoders that allocate their output may pay page faults"
        )
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn hold_steady_once() -> String {
    "the system allocator at its defaults (not glibc: no mallopt); decoders that allocate \
     their output may pay page faults"
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_it_did_and_does_it_once() {
        let first = hold_steady();
        assert!(
            first.contains("malloc") || first.contains("allocator"),
            "{first}"
        );
        assert!(std::ptr::eq(first, hold_steady()));
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        assert!(first.starts_with("glibc malloc held steady"), "{first}");
    }
}
