//! Unix systems other than Linux: POSIX record locks (`F_SETLK`) and no wake-up primitive.
//!
//! Record locks die with their process, as the protocol needs, but belong to the process,
//! not to the open file: two opens of one region *in one process* do not exclude each other,
//! and closing any descriptor of the file drops all of the process's locks on it. macOS uses
//! them only for regions at a path (its named regions lock files of their own, see `macos`);
//! wake-ups there could come from `os_sync_wait_on_address` (macOS 14.4+).

use std::fs::File;
use std::io;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use super::unix::RecordLocks;

/// No cross-process wake-up here: readers poll with a bounded sleep.
pub(in crate::shm) const HAS_WAKE: bool = false;

const LOCKS: RecordLocks = RecordLocks {
    set: libc::F_SETLK,
    get: libc::F_GETLK,
};

/// Takes the write lock on `byte` without waiting: `Ok(false)` if another process holds it.
pub(in crate::shm) fn try_lock(file: &File, byte: u64) -> io::Result<bool> {
    LOCKS.try_lock(file, byte)
}

/// Releases this process's lock on `byte`.
pub(in crate::shm) fn unlock(file: &File, byte: u64) -> io::Result<()> {
    LOCKS.unlock(file, byte)
}

/// Whether another process holds a lock on `byte`.
pub(in crate::shm) fn lock_held(file: &File, byte: u64) -> io::Result<bool> {
    LOCKS.lock_held(file, byte)
}

/// Sleeps a bounded 1 ms (or less, up to `timeout`): the caller polls.
pub(in crate::shm) fn wait(_word: &AtomicU32, _expected: u32, timeout: Duration) {
    std::thread::sleep(timeout.min(Duration::from_millis(1)));
}

/// Nothing to wake: readers poll.
pub(in crate::shm) fn wake_all(_word: &AtomicU32) {}
