//! Region files on Unix: opened without following symlinks, created with an exact mode,
//! and trusted for writing only when this user owns them and their mode is no wider than asked.
//! (The sizing and mapping helpers serve the platforms whose regions are `File`s.)

use std::fs::{File, OpenOptions, Permissions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Creates `path` exclusively (failing if anything, even a dangling symlink, is there), with
/// exactly `mode` whatever the umask.
pub(in crate::shm) fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(mode))?;
    Ok(file)
}

/// Opens an existing region file for reading, and writing when `write`; a symlink is refused
/// (`ELOOP`), not followed.
pub(in crate::shm) fn open_existing(path: &Path, write: bool) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(write)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// Whether opening failed because the path is a symlink (`O_NOFOLLOW` gives `ELOOP`).
pub(in crate::shm) fn is_symlink_refusal(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// Why `file` must not receive frames for a writer that asked for `mode`, if it must not:
/// not a regular file, owned by another user, or readable/writable more widely than asked.
pub(in crate::shm) fn check_trust(file: &File, mode: u32) -> io::Result<Option<String>> {
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Ok(Some("it is not a regular file".into()));
    }
    Ok(check_owner(&meta, mode))
}

/// Why an object with metadata `meta` must not receive frames for a writer that asked for
/// `mode`, if it must not: owned by another user, or open more widely than asked.
pub(in crate::shm) fn check_owner(meta: &std::fs::Metadata, mode: u32) -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Some(format!(
            "it belongs to uid {}, not to this user (uid {me})",
            meta.uid()
        ));
    }
    let found = meta.mode() & 0o7777;
    if found & !mode != 0 {
        return Some(format!(
            "its mode {found:04o} is wider than the {mode:04o} asked for"
        ));
    }
    None
}

/// The file's size now.
pub(in crate::shm) fn size(file: &File) -> io::Result<u64> {
    Ok(file.metadata()?.len())
}

/// Sizes a new region file (writers never shrink one).
pub(in crate::shm) fn set_len(file: &File, len: u64) -> io::Result<()> {
    file.set_len(len)
}

/// Maps `len` bytes of the file, read-write when `writable`.
pub(in crate::shm) fn map(file: &File, len: usize, writable: bool) -> io::Result<memmap2::MmapRaw> {
    super::map_file(file, len, writable)
}

/// The `fcntl` commands of one kind of record lock: POSIX (`F_SETLK`/`F_GETLK`, owned by the
/// process) or, on Linux, open file description locks (`F_OFD_SETLK`/`F_OFD_GETLK`, owned
/// by the open file).
#[derive(Clone, Copy)]
pub(in crate::shm) struct RecordLocks {
    /// Takes or releases a lock without waiting.
    pub set: libc::c_int,
    /// Asks whether a lock would conflict.
    pub get: libc::c_int,
}

impl RecordLocks {
    /// Takes the write lock on `byte` of `file` without waiting: `Ok(false)` if another
    /// owner holds it.
    pub(in crate::shm) fn try_lock(self, file: &File, byte: u64) -> io::Result<bool> {
        match fcntl_lock(file, self.set, &mut record(byte, libc::F_WRLCK)) {
            Ok(()) => Ok(true),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EACCES)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Releases this owner's lock on `byte`.
    pub(in crate::shm) fn unlock(self, file: &File, byte: u64) -> io::Result<()> {
        fcntl_lock(file, self.set, &mut record(byte, libc::F_UNLCK))
    }

    /// Whether another owner holds a lock on `byte`, without taking it.
    pub(in crate::shm) fn lock_held(self, file: &File, byte: u64) -> io::Result<bool> {
        let mut fl = record(byte, libc::F_WRLCK);
        fcntl_lock(file, self.get, &mut fl)?;
        Ok(fl.l_type != record(byte, libc::F_UNLCK).l_type)
    }
}

/// A lock record on `byte`; `kind` is `F_WRLCK` or `F_UNLCK` (a `c_short` on some systems, a
/// `c_int` on others).
fn record(byte: u64, kind: impl Into<libc::c_int>) -> libc::flock {
    // SAFETY: `flock` is plain old data; all-zero is a valid value (and l_pid must be 0 for
    // OFD locks).
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = kind.into() as libc::c_short;
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
