//! Where a region lives and how its bytes are touched: a mapping accessed through atomics
//! and raw pointers, because another process may be writing the same bytes at the same time.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};

use memmap2::{MmapOptions, MmapRaw};

use super::{sys, ShmError};

/// Longest region name accepted (a file name under `/dev/shm`).
const MAX_NAME: usize = 255;

/// Wraps an I/O error with what was being done to which file; a missing file while
/// opening is [`ShmError::NotFound`], a symlink refused by `O_NOFOLLOW` is
/// [`ShmError::Untrusted`].
pub(super) fn io_error<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> ShmError + 'a {
    move |source| {
        if what == "opening" && source.kind() == std::io::ErrorKind::NotFound {
            ShmError::NotFound {
                path: path.to_path_buf(),
            }
        } else if sys::is_symlink_refusal(&source) {
            ShmError::Untrusted {
                path: path.to_path_buf(),
                reason: "it is a symbolic link, and shmbmp never follows one to a region".into(),
            }
        } else {
            ShmError::Io {
                what,
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// The file behind a region: `/dev/shm/NAME`, or any path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    path: PathBuf,
}

impl Location {
    /// The region `name` under `/dev/shm`; names with `/`, NUL, `.`/`..`, or more than 255
    /// bytes are refused.
    pub fn named(name: &str) -> Result<Self, ShmError> {
        let bad = |reason| ShmError::InvalidName {
            name: name.to_string(),
            reason,
        };
        if name.is_empty() {
            return Err(bad("empty"));
        }
        if name.len() > MAX_NAME {
            return Err(bad("longer than 255 bytes"));
        }
        if name.contains('/') || name.contains('\0') {
            return Err(bad("contains '/' or NUL"));
        }
        if name == "." || name == ".." {
            return Err(bad("'.' and '..' are not names"));
        }
        Ok(Location {
            path: Path::new("/dev/shm").join(name),
        })
    }

    /// A region at an explicit path (e.g. a file on another tmpfs).
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Location { path: path.into() }
    }

    /// The region's file.
    pub fn file(&self) -> &Path {
        &self.path
    }
}

/// A mapped region file: the open file (which carries this process's locks on the region)
/// and a shared mapping of it, touched only through raw pointers and atomics, never through
/// a reference to bytes another process may be writing (see PROTOCOL.md, "Soundness").
pub(super) struct Region {
    file: File,
    map: Option<MmapRaw>,
    len: usize,
    writable: bool,
    path: PathBuf,
}

impl Region {
    /// Opens the existing file at `path` (never through a symlink) as `access` says, and
    /// maps it at its size now.
    pub(super) fn open(path: &Path, access: Access) -> Result<Self, ShmError> {
        let denied = |e: &std::io::Error| {
            matches!(
                e.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            )
        };
        let (file, writable) = match sys::open_existing(path, access != Access::Read) {
            Ok(f) => (f, access != Access::Read),
            Err(e) if access == Access::ReadWriteIfAllowed && denied(&e) => (
                sys::open_existing(path, false).map_err(io_error("opening", path))?,
                false,
            ),
            Err(e) => return Err(io_error("opening", path)(e)),
        };
        Self::map(file, path, writable)
    }

    /// Maps an open region file at its size now; `writable`: it was opened for writing.
    pub(super) fn map(file: File, path: &Path, writable: bool) -> Result<Self, ShmError> {
        let meta = file
            .metadata()
            .map_err(io_error("reading metadata of", path))?;
        let len = usize::try_from(meta.len()).unwrap_or(usize::MAX);
        let map = if len == 0 {
            None
        } else {
            let mut opts = MmapOptions::new();
            // Page tables filled now (MAP_POPULATE on Linux), not by a fault on the first
            // touch of each page in the frame path.
            opts.len(len).populate();
            // SAFETY (both): the mapping is shared with other processes by design; this
            // process touches it only through raw pointers and atomics (see below), and
            // shmbmp writers never shrink a region file (module docs), so accesses within `len`
            // stay within the file.
            let m = if writable {
                opts.map_raw(&file)
            } else {
                opts.map_raw_read_only(&file)
            };
            Some(m.map_err(io_error("mapping", path))?)
        };
        Ok(Region {
            file,
            map,
            len,
            writable,
            path: path.to_path_buf(),
        })
    }

    /// Maps the same open file again, at its size now (after it grew).
    pub(super) fn remap(self) -> Result<Self, ShmError> {
        let Region {
            file,
            map,
            writable,
            path,
            ..
        } = self;
        drop(map);
        Self::map(file, &path, writable)
    }

    /// Bytes mapped.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The region's file.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The open file, for locks.
    pub(super) fn file(&self) -> &File {
        &self.file
    }

    /// Whether this process may store into the mapping (lease words, frames).
    pub(super) fn writable(&self) -> bool {
        self.writable
    }

    fn ptr(&self) -> *mut u8 {
        self.map
            .as_ref()
            .map_or(std::ptr::NonNull::dangling().as_ptr(), MmapRaw::as_mut_ptr)
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

#[cfg(test)]
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
