//! Unix systems other than Linux: POSIX record locks (`F_SETLK`) and no wake-up primitive.
//!
//! Record locks die with their process, as the protocol needs, but belong to the process,
//! not to the open file: two opens of one region *in one process* do not exclude each other,
//! and closing any descriptor of the file drops all of the process's locks on it. macOS uses
//! them only for regions at a path (its named regions lock files of their own, see `macos`);
//! wake-ups there could come from `os_sync_wait_on_address` (macOS 14.4+).

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

/// No cross-process wake-up here: readers poll with a bounded sleep.
pub(in crate::shm) const HAS_WAKE: bool = false;

fn record(byte: u64, kind: libc::c_short) -> libc::flock {
    // SAFETY: `flock` is plain old data; all-zero is a valid value.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = kind;
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

/// Takes the write lock on `byte` without waiting: `Ok(false)` if another process holds it.
pub(in crate::shm) fn try_lock(file: &File, byte: u64) -> io::Result<bool> {
    match fcntl_lock(file, libc::F_SETLK, &mut record(byte, libc::F_WRLCK)) {
        Ok(()) => Ok(true),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EACCES)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Releases this process's lock on `byte`.
pub(in crate::shm) fn unlock(file: &File, byte: u64) -> io::Result<()> {
    fcntl_lock(file, libc::F_SETLK, &mut record(byte, libc::F_UNLCK))
}

/// Whether another process holds a lock on `byte`.
pub(in crate::shm) fn lock_held(file: &File, byte: u64) -> io::Result<bool> {
    let mut fl = record(byte, libc::F_WRLCK);
    fcntl_lock(file, libc::F_GETLK, &mut fl)?;
    Ok(fl.l_type != libc::F_UNLCK)
}

/// Sleeps a bounded 1 ms (or less, up to `timeout`): the caller polls.
pub(in crate::shm) fn wait(_word: &AtomicU32, _expected: u32, timeout: Duration) {
    std::thread::sleep(timeout.min(Duration::from_millis(1)));
}

/// Nothing to wake: readers poll.
pub(in crate::shm) fn wake_all(_word: &AtomicU32) {}
