//! macOS: a region named `NAME` is the POSIX shared-memory object `shm_open("/NAME")` (macOS
//! has no `/dev/shm`). Compile-checked only: no Mac ran this. What it relies on, from XNU's
//! `bsd/kern/posix_shm.c`:
//!
//! - names are at most 31 bytes with the `/` and the terminating NUL: 29 after the `/`;
//! - the descriptor is no file: `mmap`, `fstat` and `ftruncate` (once, on a new object) work;
//!   `read`/`write` and `flock`/`fcntl` locks do not;
//! - `fstat` gives the owner, the mode and the size rounded up to whole pages, but no file
//!   type.
//!
//! So the locks of a named region are `flock`s on the files of a lock folder,
//! `/tmp/.shmbmp-NAME.locks/BYTE`: held per open file (two opens in one process exclude each
//! other), released when the file is closed or its process dies. Asking whether a lock is
//! held takes it and gives it back at once. Regions at a path are files, locked on their own
//! bytes with record locks as on other Unix systems. No wake-ups: readers poll.

use std::ffi::CString;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::{other, unix};
use crate::shm::region::Place;

pub(in crate::shm) use memmap2::MmapRaw as Map;
pub(in crate::shm) use unix::is_symlink_refusal;

/// Longest name accepted (after the `/` the object's name starts with).
const MAX_NAME: usize = 29;

/// An open region: the file or shared-memory object, and for a named one its lock folder
/// and the locks this process holds there.
pub(in crate::shm) struct Object {
    file: File,
    locks: Option<LockDir>,
}

/// The lock folder of a named region.
struct LockDir {
    dir: PathBuf,
    /// Permission bits of new lock files: the region's.
    mode: u32,
    held: Mutex<Vec<(u64, File)>>,
}

/// The POSIX object behind region `name`, or why there is none.
pub(in crate::shm) fn named(name: &str) -> Result<Place, &'static str> {
    if name.contains('/') {
        return Err("contains '/'");
    }
    if name.len() > MAX_NAME {
        return Err("longer than 29 bytes (macOS limits POSIX shared-memory names to 31 bytes, counting the '/' and the NUL)");
    }
    Ok(Place::Named(format!("/{name}")))
}

fn shm_open(name: &str, flags: libc::c_int, mode: u32) -> io::Result<File> {
    let c = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `c` is NUL-terminated and outlives the call; the mode goes as the variadic
    // argument's promoted type.
    let fd = unsafe { libc::shm_open(c.as_ptr(), flags, mode as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    let file = unsafe { File::from_raw_fd(fd) };
    // SAFETY: an open descriptor; FD_CLOEXEC keeps it out of child processes.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(file)
}

fn lock_dir(name: &str, mode: u32) -> LockDir {
    LockDir {
        dir: PathBuf::from(format!(
            "/tmp/.shmbmp-{}.locks",
            name.trim_start_matches('/')
        )),
        mode: mode & 0o666,
        held: Mutex::new(Vec::new()),
    }
}

/// Creates the region exclusively, empty, with `mode` (a named one: narrowed by the umask).
pub(in crate::shm) fn create_new(place: &Place, mode: u32, _len: usize) -> io::Result<Object> {
    Ok(match place {
        Place::File(path) => Object {
            file: unix::create_new(path, mode)?,
            locks: None,
        },
        Place::Named(name) => Object {
            file: shm_open(name, libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, mode)?,
            locks: Some(lock_dir(name, mode)),
        },
    })
}

/// Opens an existing region, for writing too when `write`.
pub(in crate::shm) fn open_existing(place: &Place, write: bool) -> io::Result<Object> {
    Ok(match place {
        Place::File(path) => Object {
            file: unix::open_existing(path, write)?,
            locks: None,
        },
        Place::Named(name) => {
            let flags = if write { libc::O_RDWR } else { libc::O_RDONLY };
            let file = shm_open(name, flags, 0)?;
            let mode = file.metadata()?.mode();
            Object {
                file,
                locks: Some(lock_dir(name, mode)),
            }
        }
    })
}

/// Unlinks the region (mappings stay valid) and a named region's lock folder.
pub(in crate::shm) fn remove(place: &Place) -> io::Result<()> {
    match place {
        Place::File(path) => std::fs::remove_file(path),
        Place::Named(name) => {
            let c = CString::new(name.as_str())
                .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
            // SAFETY: `c` is NUL-terminated and outlives the call.
            if unsafe { libc::shm_unlink(c.as_ptr()) } == -1 {
                return Err(io::Error::last_os_error());
            }
            match std::fs::remove_dir_all(lock_dir(name, 0).dir) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        }
    }
}

/// Why the region must not receive frames, if it must not (a named object has no file type
/// to check: only its owner and mode).
pub(in crate::shm) fn check_trust(object: &Object, mode: u32) -> io::Result<Option<String>> {
    match object.locks {
        None => unix::check_trust(&object.file, mode),
        Some(_) => Ok(unix::check_owner(&object.file.metadata()?, mode)),
    }
}

/// The region's size (a named object's: rounded up to whole pages).
pub(in crate::shm) fn size(object: &Object) -> io::Result<u64> {
    unix::size(&object.file)
}

/// Sizes a new region (`ftruncate`, which a POSIX object allows once).
pub(in crate::shm) fn set_len(object: &Object, len: u64) -> io::Result<()> {
    unix::set_len(&object.file, len)
}

/// Regions are created empty and sized by their writer.
pub(in crate::shm) fn sized_at_creation(_object: &Object) -> bool {
    false
}

/// A POSIX object outlives its writer until it is unlinked.
pub(in crate::shm) fn held_only(_place: &Place) -> bool {
    false
}

/// Maps `len` bytes of the region.
pub(in crate::shm) fn map(object: &Object, len: usize, writable: bool) -> io::Result<Map> {
    unix::map(&object.file, len, writable)
}

/// `flock(LOCK_NB | op)`: `Ok(false)` when another open file holds the lock.
fn flock(file: &File, op: libc::c_int) -> io::Result<bool> {
    // SAFETY: an open descriptor; flock has no other preconditions.
    if unsafe { libc::flock(file.as_raw_fd(), op | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

impl LockDir {
    /// Opens (creating when `create`) the lock file of `byte`, never through a symlink.
    fn file(&self, byte: u64, create: bool) -> io::Result<File> {
        if create {
            // Folders need x where files have r.
            let dir_mode = self.mode | (self.mode & 0o444) >> 2;
            match DirBuilder::new().mode(dir_mode).create(&self.dir) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
        }
        OpenOptions::new()
            .read(true)
            .create(create)
            .mode(self.mode)
            .custom_flags(libc::O_NOFOLLOW)
            .open(self.dir.join(byte.to_string()))
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Vec<(u64, File)>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Takes lock `byte` without waiting: `Ok(false)` if another holder has it.
pub(in crate::shm) fn try_lock(object: &Object, byte: u64) -> io::Result<bool> {
    match &object.locks {
        None => other::try_lock(&object.file, byte),
        Some(locks) => {
            let file = locks.file(byte, true)?;
            let got = flock(&file, libc::LOCK_EX)?;
            if got {
                locks.held().push((byte, file));
            }
            Ok(got)
        }
    }
}

/// Releases this region's lock `byte`.
pub(in crate::shm) fn unlock(object: &Object, byte: u64) -> io::Result<()> {
    match &object.locks {
        None => other::unlock(&object.file, byte),
        Some(locks) => {
            // Closing the lock file releases its flock.
            locks.held().retain(|(b, _)| *b != byte);
            Ok(())
        }
    }
}

/// Whether another holder has lock `byte`.
pub(in crate::shm) fn lock_held(object: &Object, byte: u64) -> io::Result<bool> {
    match &object.locks {
        None => other::lock_held(&object.file, byte),
        Some(locks) => {
            if locks.held().iter().any(|(b, _)| *b == byte) {
                return Ok(false);
            }
            let file = match locks.file(byte, false) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
                Err(e) => return Err(e),
            };
            // Free if we can take it; closing the file gives it back.
            Ok(!flock(&file, libc::LOCK_EX)?)
        }
    }
}

/// No cross-process wake-up here: readers poll.
pub(in crate::shm) fn has_wake(_object: &Object) -> bool {
    other::HAS_WAKE
}

/// A bounded sleep: the caller polls.
pub(in crate::shm) fn wait(_object: &Object, word: &AtomicU32, expected: u32, timeout: Duration) {
    other::wait(word, expected, timeout)
}

/// Adds one to `word` (nobody sleeps on it here).
pub(in crate::shm) fn bump_and_wake(_object: &Object, word: &AtomicU32) {
    word.fetch_add(1, Ordering::SeqCst);
    other::wake_all(word)
}
