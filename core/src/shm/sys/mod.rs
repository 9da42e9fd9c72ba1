//! What the shared-memory layer needs from the operating system, behind one small interface
//! so that the protocol, the writer and the reader stay platform-neutral. Every platform
//! module provides the same items:
//!
//! - regions: `Object` (an open region, a file or a named object that is no file, carrying
//!   this process's locks on it), `named` (what a region name means here), `create_new`,
//!   `open_existing` (never following a symlink), `remove`, `check_trust` (owner and mode of
//!   a region about to receive frames), `size`, `set_len`, `sized_at_creation`, `held_only`,
//!   `map` into a `Map`, and `is_symlink_refusal`;
//! - locks on single bytes of the region that die with their holder: `try_lock`, `unlock`,
//!   `lock_held` (the writer's lock and the readers' leases);
//! - sleeping on a 32-bit word of the mapping until another process changes it: `has_wake`,
//!   `wait`, `bump_and_wake`; where there is no such primitive, readers poll with a bounded
//!   sleep.
//!
//! | platform | a region named `NAME` | locks | wake-ups |
//! | --- | --- | --- | --- |
//! | Linux (`files`, `unix`, `linux`) | the file `/dev/shm/NAME` | OFD locks on its bytes | shared futex |
//! | other Unix (`files`, `unix`, `other`) | the file `/dev/shm/NAME` | record locks on its bytes | polling |
//! | macOS (`macos`, `unix`, `other`) | the POSIX object `/NAME` | record locks on a lock file | polling |
//! | Windows (`windows`) | the named section `NAME` | named events that exist while held | two named events |
//!
//! A region at any path (`Location::path`) is that file everywhere, locked on its own bytes
//! (`LockFileEx` on Windows), with polling readers outside Linux.

#[cfg(unix)]
mod unix;

#[cfg(target_os = "linux")]
mod linux;

#[cfg(all(unix, not(target_os = "linux")))]
mod other;

#[cfg(all(unix, not(target_vendor = "apple")))]
mod files;
#[cfg(all(unix, not(target_vendor = "apple")))]
pub(super) use files::*;

#[cfg(target_vendor = "apple")]
mod macos;
#[cfg(target_vendor = "apple")]
pub(super) use macos::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(super) use windows::*;

/// Maps `len` bytes of a region file, shared, read-write when `writable` (the file was
/// opened so).
fn map_file(file: &std::fs::File, len: usize, writable: bool) -> std::io::Result<memmap2::MmapRaw> {
    let mut opts = memmap2::MmapOptions::new();
    // Page tables filled now (MAP_POPULATE on Linux), not by a fault on the first touch of
    // each page in the frame path.
    opts.len(len).populate();
    // SAFETY (both): the mapping is shared with other processes by design; the shm module
    // touches it only through raw pointers and atomics (see `Region`), and shmbmp writers
    // never shrink a region file (module docs), so accesses within `len` stay within the
    // file.
    if writable {
        opts.map_raw(file)
    } else {
        opts.map_raw_read_only(file)
    }
}
