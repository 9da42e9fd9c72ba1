//! Unix systems whose named regions are files: `NAME` is `/dev/shm/NAME` (what glibc's
//! `shm_open("/NAME")` opens). Locks and wake-ups are Linux's (`linux`) or, elsewhere,
//! record locks and polling (`other`).

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

#[cfg(target_os = "linux")]
use super::linux as locks;
#[cfg(not(target_os = "linux"))]
use super::other as locks;
use super::unix;
use crate::shm::region::Place;

pub(in crate::shm) use locks::{lock_held, try_lock, unlock};
pub(in crate::shm) use memmap2::MmapRaw as Map;
pub(in crate::shm) use unix::{check_trust, is_symlink_refusal, map, set_len, size};

/// An open region file (its locks are this open file's).
pub(in crate::shm) type Object = File;

/// Longest region name accepted (a file name under `/dev/shm`).
const MAX_NAME: usize = 255;

/// The file behind region `name`, or why there is none.
pub(in crate::shm) fn named(name: &str) -> Result<Place, &'static str> {
    if name.len() > MAX_NAME {
        return Err("longer than 255 bytes");
    }
    if name.contains('/') {
        return Err("contains '/'");
    }
    if name == "." || name == ".." {
        return Err("'.' and '..' are not names");
    }
    Ok(Place::File(Path::new("/dev/shm").join(name)))
}

/// Creates the region file exclusively with exactly `mode`, empty (the writer sizes it
/// once it holds the lock).
pub(in crate::shm) fn create_new(place: &Place, mode: u32, _len: usize) -> io::Result<File> {
    let Place::File(path) = place;
    unix::create_new(path, mode)
}

/// Opens an existing region file, for writing too when `write`.
pub(in crate::shm) fn open_existing(place: &Place, write: bool) -> io::Result<File> {
    let Place::File(path) = place;
    unix::open_existing(path, write)
}

/// Unlinks the region file (mappings of it stay valid).
pub(in crate::shm) fn remove(place: &Place) -> io::Result<()> {
    let Place::File(path) = place;
    std::fs::remove_file(path)
}

/// Files are created empty.
pub(in crate::shm) fn sized_at_creation(_object: &File) -> bool {
    false
}

/// A file outlives its writer.
pub(in crate::shm) fn held_only(_place: &Place) -> bool {
    false
}

/// Whether readers can sleep until the writer wakes them (a futex on Linux).
pub(in crate::shm) fn has_wake(_object: &File) -> bool {
    locks::HAS_WAKE
}

/// Sleeps while `word` holds `expected`, at most `timeout`.
pub(in crate::shm) fn wait(_object: &File, word: &AtomicU32, expected: u32, timeout: Duration) {
    locks::wait(word, expected, timeout)
}

/// Adds one to `word` and wakes every process sleeping on it.
pub(in crate::shm) fn bump_and_wake(_object: &File, word: &AtomicU32) {
    word.fetch_add(1, Ordering::SeqCst);
    locks::wake_all(word)
}
