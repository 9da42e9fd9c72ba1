//! Where a region lives and how its bytes are touched: a mapping accessed through atomics
//! and raw pointers, because another process may be writing the same bytes at the same time.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::time::Duration;

use super::{sys, ShmError};

/// Wraps an I/O error with what was being done to which region; a missing region while
/// opening is [`ShmError::NotFound`], a symlink refused by `O_NOFOLLOW` is
/// [`ShmError::Untrusted`].
pub(super) fn io_error<'a>(
    what: &'static str,
    loc: &'a Location,
) -> impl FnOnce(std::io::Error) -> ShmError + 'a {
    move |source| {
        if what == "opening" && source.kind() == std::io::ErrorKind::NotFound {
            loc.not_found()
        } else if sys::is_symlink_refusal(&source) {
            ShmError::Untrusted {
                path: loc.file().to_path_buf(),
                reason: "it is a symbolic link, and shmbmp never follows one to a region".into(),
            }
        } else {
            ShmError::Io {
                what,
                path: loc.file().to_path_buf(),
                source,
            }
        }
    }
}

/// What a [`Location`] points at: a file, or a named object of the operating system that is
/// no file (a Windows section, a macOS POSIX shared-memory object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Place {
    /// A file (on Linux, named regions are files under `/dev/shm`).
    File(PathBuf),
    /// The OS object of this name, as the platform spells it (`test1`, `Global\test1`,
    /// `/test1`).
    #[cfg(any(windows, target_vendor = "apple"))]
    Named(String),
}

/// Where a region lives: a named region (the file `/dev/shm/NAME` on Linux, the named
/// section `NAME` on Windows, the POSIX object `/NAME` on macOS), or any file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    place: Place,
    shown: PathBuf,
}

impl Location {
    /// The region `name`. Linux: the file `/dev/shm/NAME` (no `/`, NUL, `.`/`..`, at most 255
    /// bytes). Windows: the named section C#'s `MemoryMappedFile.CreateOrOpen(NAME, ..)`
    /// makes, in the session's namespace (`test1` is `Local\test1`) or, as `Global\NAME`, the
    /// machine's; it exists only while some process holds it open. macOS: the POSIX object
    /// `shm_open("/NAME")` (at most 29 bytes).
    pub fn named(name: &str) -> Result<Self, ShmError> {
        let bad = |reason| ShmError::InvalidName {
            name: name.to_string(),
            reason,
        };
        if name.is_empty() {
            return Err(bad("empty"));
        }
        if name.contains('\0') {
            return Err(bad("contains NUL"));
        }
        let place = sys::named(name).map_err(bad)?;
        let shown = match &place {
            Place::File(path) => path.clone(),
            #[cfg(any(windows, target_vendor = "apple"))]
            Place::Named(n) => PathBuf::from(n),
        };
        Ok(Location { place, shown })
    }

    /// A region at an explicit path (e.g. a file on another tmpfs), on any platform.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Location {
            place: Place::File(path.clone()),
            shown: path,
        }
    }

    /// The region's file; for a named region that is no file (Windows, macOS), its name as
    /// the operating system knows it, for messages.
    pub fn file(&self) -> &Path {
        &self.shown
    }

    pub(super) fn place(&self) -> &Place {
        &self.place
    }

    /// The error for "nothing there": on Windows a named section exists only while some
    /// process holds it, and the message says so.
    pub(super) fn not_found(&self) -> ShmError {
        ShmError::NotFound {
            path: self.shown.clone(),
            held_only: sys::held_only(&self.place),
        }
    }
}

/// A mapped region: the open file or named object (which carries this process's locks on
/// the region) and a shared mapping of it, touched only through raw pointers and atomics,
/// never through a reference to bytes another process may be writing (see PROTOCOL.md,
/// "Soundness").
pub(super) struct Region {
    // Declared before `object`: the mapping goes first.
    map: Option<sys::Map>,
    object: sys::Object,
    len: usize,
    writable: bool,
    loc: Location,
}

impl Region {
    /// Opens the existing region at `loc` (never through a symlink) as `access` says, and
    /// maps it at its size now.
    pub(super) fn open(loc: &Location, access: Access) -> Result<Self, ShmError> {
        let denied = |e: &std::io::Error| {
            matches!(
                e.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            )
        };
        let (object, writable) = match sys::open_existing(loc.place(), access != Access::Read) {
            Ok(f) => (f, access != Access::Read),
            Err(e) if access == Access::ReadWriteIfAllowed && denied(&e) => (
                sys::open_existing(loc.place(), false).map_err(io_error("opening", loc))?,
                false,
            ),
            Err(e) => return Err(io_error("opening", loc)(e)),
        };
        Self::map(object, loc, writable)
    }

    /// Maps an open region at its size now; `writable`: it was opened for writing.
    pub(super) fn map(
        object: sys::Object,
        loc: &Location,
        writable: bool,
    ) -> Result<Self, ShmError> {
        let len = sys::size(&object).map_err(io_error("reading metadata of", loc))?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let map = if len == 0 {
            None
        } else {
            Some(sys::map(&object, len, writable).map_err(io_error("mapping", loc))?)
        };
        Ok(Region {
            map,
            object,
            len,
            writable,
            loc: loc.clone(),
        })
    }

    /// Maps the same open region again, at its size now (after it grew).
    pub(super) fn remap(self) -> Result<Self, ShmError> {
        let Region {
            map,
            object,
            writable,
            loc,
            ..
        } = self;
        drop(map);
        Self::map(object, &loc, writable)
    }

    /// Bytes mapped.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Where the region lives.
    pub(super) fn location(&self) -> &Location {
        &self.loc
    }

    /// The region's file (or name), for messages.
    pub(super) fn path(&self) -> &Path {
        self.loc.file()
    }

    /// The open file or named object, for what [`sys`] does with it.
    pub(super) fn object(&self) -> &sys::Object {
        &self.object
    }

    /// Takes lock `byte` of the region without waiting: `Ok(false)` if another holder has
    /// it. It lasts until [`Region::unlock`] or until this region is dropped.
    pub(super) fn try_lock(&self, byte: u64) -> Result<bool, ShmError> {
        sys::try_lock(&self.object, byte).map_err(io_error("locking", &self.loc))
    }

    /// Releases this region's lock `byte`.
    pub(super) fn unlock(&self, byte: u64) -> Result<(), ShmError> {
        sys::unlock(&self.object, byte).map_err(io_error("unlocking", &self.loc))
    }

    /// Whether another holder has lock `byte`.
    pub(super) fn lock_held(&self, byte: u64) -> Result<bool, ShmError> {
        sys::lock_held(&self.object, byte).map_err(io_error("asking for the lock of", &self.loc))
    }

    /// Whether readers of this region can sleep until a writer wakes them.
    pub(super) fn has_wake(&self) -> bool {
        sys::has_wake(&self.object)
    }

    /// Sleeps while `word` (of this region) holds `expected`, at most `timeout`.
    pub(super) fn wait(&self, word: &AtomicU32, expected: u32, timeout: Duration) {
        sys::wait(&self.object, word, expected, timeout)
    }

    /// Adds one to `word` (of this region) and wakes every reader sleeping on it.
    pub(super) fn bump_and_wake(&self, word: &AtomicU32) {
        sys::bump_and_wake(&self.object, word)
    }

    /// Whether this process may store into the mapping (lease words, frames).
    pub(super) fn writable(&self) -> bool {
        self.writable
    }

    fn ptr(&self) -> *mut u8 {
        self.map
            .as_ref()
            .map_or(std::ptr::NonNull::dangling().as_ptr(), sys::Map::as_mut_ptr)
    }

    fn check(&self, off: usize, len: usize, align: usize) {
        assert!(
            off.is_multiple_of(align) && off.checked_add(len).is_some_and(|end| end <= self.len),
            "{len} bytes at {off} outside a {}-byte region",
            self.len
        );
    }

    /// The u64 at byte `off` (8-aligned, inside the mapping) as an atomic.
    pub(super) fn u64_at(&self, off: usize) -> &AtomicU64 {
        self.check(off, 8, 8);
        // SAFETY: in bounds (checked); the mapping is page-aligned and `off` a multiple of 8,
        // so the address is aligned for `AtomicU64`, which has the layout of `u64`; the
        // reference lives no longer than `self`, which keeps the mapping alive. Atomics may
        // alias memory other processes change: that is what they are for.
        unsafe { &*(self.ptr().add(off) as *const AtomicU64) }
    }

    /// The u32 at byte `off` (4-aligned, inside the mapping) as an atomic.
    pub(super) fn u32_at(&self, off: usize) -> &AtomicU32 {
        self.check(off, 4, 4);
        // SAFETY: as in `u64_at`, for a 4-aligned `AtomicU32`.
        unsafe { &*(self.ptr().add(off) as *const AtomicU32) }
    }

    fn u8_at(&self, off: usize) -> &AtomicU8 {
        self.check(off, 1, 1);
        // SAFETY: in bounds (checked); `AtomicU8` has the layout and alignment of `u8`.
        unsafe { &*(self.ptr().add(off) as *const AtomicU8) }
    }

    /// Copies `dst.len()` bytes from byte `off` (8-aligned) with relaxed atomic loads: the
    /// bytes may be changing (the caller validates with the slot's `seq` afterwards).
    pub(super) fn load_bytes(&self, off: usize, dst: &mut [u8]) {
        self.check(off, dst.len(), 8);
        let len = dst.len();
        let mut words = dst.chunks_exact_mut(8);
        for (i, w) in (&mut words).enumerate() {
            w.copy_from_slice(
                &self
                    .u64_at(off + i * 8)
                    .load(Ordering::Relaxed)
                    .to_ne_bytes(),
            );
        }
        let tail = words.into_remainder();
        let start = off + len - tail.len();
        for (i, b) in tail.iter_mut().enumerate() {
            *b = self.u8_at(start + i).load(Ordering::Relaxed);
        }
    }

    /// Copies `src` to byte `off` with a plain `memcpy` through a raw pointer.
    ///
    /// Only the holder of the writer lock stores payloads, into a slot it has marked odd
    /// (and, under leases, that no reader pins): no thread of this process reads those bytes
    /// meanwhile, and other processes read them only with atomic copies validated by `seq`.
    pub(super) fn store_bytes(&self, off: usize, src: &[u8]) {
        assert!(self.writable, "store into a read-only mapping");
        self.check(off, src.len(), 1);
        // SAFETY: in bounds (checked) of a writable mapping that outlives the call; `src` is
        // this process's own memory, so the ranges cannot overlap.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), self.ptr().add(off), src.len()) }
    }

    /// Borrows `len` bytes at `off` as a slice.
    ///
    /// # Safety
    /// No one may write these bytes while the slice lives: the caller pins the slot under a
    /// writer that honours leases (`FLAG_LEASES`), see PROTOCOL.md, "Soundness".
    pub(super) unsafe fn bytes(&self, off: usize, len: usize) -> &[u8] {
        self.check(off, len, 1);
        // SAFETY: in bounds (checked) of a mapping that outlives `&self`; immutability for
        // the borrow is the caller's obligation (above).
        unsafe { std::slice::from_raw_parts(self.ptr().add(off), len) }
    }
}

/// How a region file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// Read-only.
    Read,
    /// Read-write, or read-only if writing is not permitted (readers: leases need writing).
    ReadWriteIfAllowed,
}

/// Nanoseconds since the Unix epoch on the system clock (CLOCK_REALTIME), as `written_ns`.
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

#[cfg(all(test, unix, not(target_vendor = "apple")))]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert_eq!(
            Location::named("test1").unwrap().file(),
            Path::new("/dev/shm/test1")
        );
        for bad in ["", ".", "..", "a/b", "../x", "a\0b"] {
            assert!(
                matches!(Location::named(bad), Err(ShmError::InvalidName { .. })),
                "{bad:?}"
            );
        }
        assert!(Location::named(&"x".repeat(256)).is_err());
        assert!(Location::named(&"x".repeat(255)).is_ok());
    }
}
