//! Linux: open file description locks (`F_OFD_SETLK`) on single bytes of the region file,
//! and a futex on a word of the shared mapping.
//!
//! OFD locks belong to the open file description, not to the process: two opens of one
//! region in one process exclude each other, and a lock is released when its file is closed
//! or its process dies (`kill -9` included), so a dead writer or reader never holds one.

use std::fs::File;
use std::io;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use super::unix::RecordLocks;

/// A futex is available: readers sleep until the writer wakes them.
pub(in crate::shm) const HAS_WAKE: bool = true;

const LOCKS: RecordLocks = RecordLocks {
    set: libc::F_OFD_SETLK,
    get: libc::F_OFD_GETLK,
};

/// Takes the write lock on `byte` of `file` without waiting: `Ok(false)` if another open
/// file description holds it. The lock lasts until [`unlock`] or until `file` is closed.
pub(in crate::shm) fn try_lock(file: &File, byte: u64) -> io::Result<bool> {
    LOCKS.try_lock(file, byte)
}

/// Releases this file's lock on `byte`.
pub(in crate::shm) fn unlock(file: &File, byte: u64) -> io::Result<()> {
    LOCKS.unlock(file, byte)
}

/// Whether another open file description holds a lock on `byte`, without taking it.
pub(in crate::shm) fn lock_held(file: &File, byte: u64) -> io::Result<bool> {
    LOCKS.lock_held(file, byte)
}

/// Sleeps while `word` holds `expected`, at most `timeout`; returns early when woken, when
/// the word differs already, or on a signal. The futex is shared (no `FUTEX_PRIVATE_FLAG`):
/// the word lives in a `MAP_SHARED` mapping other processes wait on and wake.
pub(in crate::shm) fn wait(word: &AtomicU32, expected: u32, timeout: Duration) {
    let ts = libc::timespec {
        tv_sec: timeout.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_nsec: libc::c_long::from(timeout.subsec_nanos() as i32),
    };
    // SAFETY: the address is a live, aligned u32 of the caller's mapping; the kernel only
    // reads it, and reads `ts` during the call. Errors (EAGAIN: the value changed;
    // ETIMEDOUT; EINTR) all mean "look again", which the caller does.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            &ts as *const libc::timespec,
            std::ptr::null::<u32>(),
            0u32,
        );
    }
}

/// Wakes every process sleeping in [`wait`] on `word`.
pub(in crate::shm) fn wake_all(word: &AtomicU32) {
    // SAFETY: the address is a live, aligned u32 of the caller's mapping; FUTEX_WAKE only
    // uses it as a key. A failure leaves sleepers to their timeout, which bounds the harm.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE,
            i32::MAX,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0u32,
        );
    }
}
