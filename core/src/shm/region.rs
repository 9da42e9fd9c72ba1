//! Where a region lives and how its bytes are touched: a mapping accessed only through
//! atomics, because another process may be writing the same bytes at the same time.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use memmap2::{Mmap, MmapMut};

use super::ShmError;

/// Longest region name accepted (a file name under `/dev/shm`).
const MAX_NAME: usize = 255;

/// Wraps an I/O error with what was being done to which file; a missing file while
/// opening is [`ShmError::NotFound`].
pub(super) fn io_error<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> ShmError + 'a {
    move |source| {
        if what == "opening" && source.kind() == std::io::ErrorKind::NotFound {
            ShmError::NotFound {
                path: path.to_path_buf(),
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

enum Backing {
    Read(#[allow(dead_code)] Mmap),
    Write(#[allow(dead_code)] MmapMut),
}

/// A mapped region. Every access goes through `AtomicU64`/`AtomicU8` views of the mapping.
pub(super) struct Region {
    _backing: Backing,
    ptr: *const u8,
    len: usize,
    path: PathBuf,
}

// SAFETY: `Region` owns its mapping; the raw pointer is only dereferenced as atomics within
// `len`, which is sound from any thread.
unsafe impl Send for Region {}

impl Region {
    /// Maps `file` writable, at its current size.
    pub(super) fn map_mut(file: &File, path: &Path) -> Result<Self, ShmError> {
        // SAFETY: the mapping is shared with other processes by design; this process only
        // touches it through atomics (see `u64_at`, `load_bytes`, `store_bytes`), and our
        // writers never shrink the file (module docs), so accesses stay within the file.
        let mut map = unsafe { MmapMut::map_mut(file) }.map_err(io_error("mapping", path))?;
        let (ptr, len) = (map.as_mut_ptr() as *const u8, map.len());
        Ok(Region {
            _backing: Backing::Write(map),
            ptr,
            len,
            path: path.to_path_buf(),
        })
    }

    /// Opens and maps `path` read-only, at its size now.
    pub(super) fn open_read(path: &Path) -> Result<Self, ShmError> {
        let file = File::open(path).map_err(io_error("opening", path))?;
        if file
            .metadata()
            .map_err(io_error("reading metadata of", path))?
            .len()
            == 0
        {
            return Err(ShmError::TooSmall { needed: 1, len: 0 });
        }
        // SAFETY: as in `map_mut`; a read-only mapping is only ever loaded from.
        let map = unsafe { Mmap::map(&file) }.map_err(io_error("mapping", path))?;
        let (ptr, len) = (map.as_ptr(), map.len());
        Ok(Region {
            _backing: Backing::Read(map),
            ptr,
            len,
            path: path.to_path_buf(),
        })
    }

    /// Bytes mapped.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The region's file.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The u64 at byte `off` (8-aligned, inside the mapping) as an atomic.
    pub(super) fn u64_at(&self, off: usize) -> &AtomicU64 {
        assert!(
            off.is_multiple_of(8) && off + 8 <= self.len,
            "u64 at {off} outside a {}-byte region",
            self.len
        );
        // SAFETY: in bounds (asserted); the mapping is page-aligned and `off` a multiple of 8,
        // so the address is aligned for `AtomicU64`, which has the layout of `u64`; the
        // reference lives no longer than `self`, which keeps the mapping alive.
        unsafe { &*(self.ptr.add(off) as *const AtomicU64) }
    }

    fn u8_at(&self, off: usize) -> &AtomicU8 {
        assert!(
            off < self.len,
            "byte {off} outside a {}-byte region",
            self.len
        );
        // SAFETY: in bounds (asserted); `AtomicU8` has the layout and alignment of `u8`.
        unsafe { &*(self.ptr.add(off) as *const AtomicU8) }
    }

    /// Copies `dst.len()` bytes from byte `off` (8-aligned) with relaxed atomic loads.
    pub(super) fn load_bytes(&self, off: usize, dst: &mut [u8]) {
        assert!(
            off.is_multiple_of(8) && off + dst.len() <= self.len,
            "read outside the region"
        );
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

    /// Copies `src` to byte `off` (8-aligned) with relaxed atomic stores; the mapping must be
    /// writable (regions opened with [`Region::map_mut`]).
    pub(super) fn store_bytes(&self, off: usize, src: &[u8]) {
        assert!(
            matches!(self._backing, Backing::Write(_)),
            "store into a read-only mapping"
        );
        assert!(
            off.is_multiple_of(8) && off + src.len() <= self.len,
            "write outside the region"
        );
        let mut words = src.chunks_exact(8);
        for (i, w) in (&mut words).enumerate() {
            let v = u64::from_ne_bytes(w.try_into().expect("8 bytes"));
            self.u64_at(off + i * 8).store(v, Ordering::Relaxed);
        }
        let tail = words.remainder();
        let start = off + src.len() - tail.len();
        for (i, &b) in tail.iter().enumerate() {
            self.u8_at(start + i).store(b, Ordering::Relaxed);
        }
    }
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
