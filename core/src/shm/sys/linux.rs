//! Linux: open file description locks (`F_OFD_SETLK`) on single bytes of the region file,
//! and a futex on a word of the shared mapping.
//!
//! OFD locks belong to the open file description, not to the process: two opens of one
//! region in one process exclude each other, and a lock is released when its file is closed
//! or its process dies (`kill -9` included), so a dead writer or reader never holds one.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

/// A futex is available: readers sleep until the writer wakes them.
pub(in crate::shm) const HAS_WAKE: bool = true;

fn record(byte: u64, kind: libc::c_int) -> libc::flock {
    // SAFETY: `flock` is plain old data; all-zero is a valid value (and l_pid must be 0 for
    // OFD locks).
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = kind as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = byte as libc::off_t;
    fl.l_len = 1;
    fl
}

fn fcntl_lock(file: &File, cmd: libc::c_int, fl: &mut libc::flock) -> io::Result<()> {
    // SAFETY: `fl` is a valid, exclusively borrowed `flock` for the duration of the call, and
    // the descriptor is open (borrowed from `file`).
    let r = unsafe { libc::fcntl(file.as_raw_fd(), cmd, fl as *mut libc::flock) };
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Takes the write lock on `byte` of `file` without waiting: `Ok(false)` if another open
/// file description holds it. The lock lasts until [`unlock`] or until `file` is closed.
pub(in crate::shm) fn try_lock(file: &File, byte: u64) -> io::Result<bool> {
    match fcntl_lock(file, libc::F_OFD_SETLK, &mut record(byte, libc::F_WRLCK)) {
        Ok(()) => Ok(true),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EACCES)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Releases this file's lock on `byte`.
pub(in crate::shm) fn unlock(file: &File, byte: u64) -> io::Result<()> {
    fcntl_lock(file, libc::F_OFD_SETLK, &mut record(byte, libc::F_UNLCK))
}

/// Whether another open file description holds a lock on `byte`, without taking it.
pub(in crate::shm) fn lock_held(file: &File, byte: u64) -> io::Result<bool> {
    let mut fl = record(byte, libc::F_WRLCK);
    fcntl_lock(file, libc::F_OFD_GETLK, &mut fl)?;
    Ok(fl.l_type != libc::F_UNLCK as libc::c_short)
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
