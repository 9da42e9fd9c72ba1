//! The producer side: framed [`Writer`] and raw [`write_raw`].

use std::fs::{File, OpenOptions, Permissions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{fence, Ordering};

use super::layout::{Geometry, FRAME_AT, HEADER_LEN, LATEST_AT, LEN_AT, SEQ_AT, WRITTEN_NS_AT};
use super::region::{io_error, now_ns, Location, Region};
use super::ShmError;

/// How a region's file is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateOptions {
    /// Permission bits of a new file (default 0600: only this user).
    pub mode: u32,
    /// Replace an existing region whatever its geometry (unlink, then create anew).
    pub recreate: bool,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions {
            mode: 0o600,
            recreate: false,
        }
    }
}

/// Creates `path` exclusively with `mode` and `len` bytes (zeros).
fn create_file(path: &Path, mode: u32, len: u64) -> Result<File, ShmError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(io_error("creating", path))?;
    // The umask may have cleared bits of `mode`; set exactly what was asked.
    file.set_permissions(Permissions::from_mode(mode))
        .map_err(io_error("setting permissions of", path))?;
    file.set_len(len).map_err(io_error("sizing", path))?;
    Ok(file)
}

/// Publishes BMP frames into a framed region, one slot after another.
pub struct Writer {
    region: Region,
    geometry: Geometry,
    next: u64,
}

impl Writer {
    /// Creates (or reuses, when the geometry matches) the region `/dev/shm/NAME`.
    pub fn create(name: &str, slots: u32, capacity: u64) -> Result<Self, ShmError> {
        let geometry = Geometry::new(slots, capacity.next_multiple_of(8))?;
        Self::create_at(&Location::named(name)?, geometry, CreateOptions::default())
    }

    /// Creates the region at `loc`. An existing region with the same geometry is reused and
    /// numbering continues after its `latest`; another geometry is refused
    /// ([`ShmError::StaleGeometry`]) unless `opts.recreate`, which unlinks it first (mappings
    /// of the old file stay valid: it is never shrunk).
    pub fn create_at(
        loc: &Location,
        geometry: Geometry,
        opts: CreateOptions,
    ) -> Result<Self, ShmError> {
        let path = loc.file();
        if opts.recreate {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(io_error("removing", path)(e))
                }
                _ => {}
            }
        }
        let len = geometry.region_len()? as u64;
        match create_file(path, opts.mode, len) {
            Ok(file) => {
                let region = Region::map_mut(&file, path)?;
                region.store_bytes(0, &geometry.header_bytes());
                Ok(Writer {
                    region,
                    geometry,
                    next: 1,
                })
            }
            Err(ShmError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                Self::reuse(path, geometry)
            }
            Err(e) => Err(e),
        }
    }

    fn reuse(path: &Path, wanted: Geometry) -> Result<Self, ShmError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(io_error("opening", path))?;
        let region = Region::map_mut(&file, path)?;
        let mut header = [0u8; HEADER_LEN];
        if region.len() >= HEADER_LEN {
            region.load_bytes(0, &mut header);
        }
        let found = Geometry::parse(&header, region.len())?;
        if found != wanted {
            return Err(ShmError::StaleGeometry {
                path: path.to_path_buf(),
                found,
                wanted,
            });
        }
        let latest = region.u64_at(LATEST_AT).load(Ordering::Acquire);
        Ok(Writer {
            region,
            geometry: found,
            next: latest + 1,
        })
    }

    /// The region's shape.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// The region's file.
    pub fn path(&self) -> &Path {
        self.region.path()
    }

    /// Publishes one whole BMP file as the next frame and returns its number.
    ///
    /// `seq` goes odd, the payload and slot fields are written, `seq` goes even (release),
    /// then `latest` names the frame (release). A frame larger than a slot is an error.
    pub fn publish(&mut self, bmp: &[u8]) -> Result<u64, ShmError> {
        if bmp.len() as u64 > self.geometry.slot_capacity {
            return Err(ShmError::FrameTooLarge {
                len: bmp.len() as u64,
                capacity: self.geometry.slot_capacity,
            });
        }
        let n = self.next;
        let at = self.geometry.slot_at(self.geometry.slot_of(n));
        let seq = self.region.u64_at(at + SEQ_AT);
        let s = seq.load(Ordering::Relaxed);
        // Odd means a previous writer died mid-frame: move to a new odd value so readers
        // that saw the old one notice the change.
        let begin = if s.is_multiple_of(2) { s + 1 } else { s + 2 };
        seq.store(begin, Ordering::Relaxed);
        fence(Ordering::Release);
        self.region.store_bytes(at + HEADER_LEN, bmp);
        self.region
            .u64_at(at + LEN_AT)
            .store(bmp.len() as u64, Ordering::Relaxed);
        self.region
            .u64_at(at + FRAME_AT)
            .store(n, Ordering::Relaxed);
        self.region
            .u64_at(at + WRITTEN_NS_AT)
            .store(now_ns(), Ordering::Relaxed);
        seq.store(begin + 1, Ordering::Release);
        self.region.u64_at(LATEST_AT).store(n, Ordering::Release);
        self.next = n + 1;
        Ok(n)
    }

    /// Test hook: leaves the next frame's slot mid-write (`seq` odd), as a writer killed
    /// halfway through a frame would.
    #[doc(hidden)]
    pub fn begin_and_abandon(&mut self, bmp: &[u8]) {
        let at = self.geometry.slot_at(self.geometry.slot_of(self.next));
        let seq = self.region.u64_at(at + SEQ_AT);
        seq.store(seq.load(Ordering::Relaxed) | 1, Ordering::Release);
        let half = (bmp.len() / 2).min(self.geometry.slot_capacity as usize);
        self.region.store_bytes(at + HEADER_LEN, &bmp[..half]);
    }
}

/// Writes one BMP file at offset 0 of the region at `loc` (raw mode, as the seed's C#
/// program does). The file is created with `mode` if missing and grown if too small; it is
/// never shrunk, so a larger existing region keeps its size and its old tail bytes.
pub fn write_raw(loc: &Location, bmp: &[u8], mode: u32) -> Result<(), ShmError> {
    let path = loc.file();
    let file = match create_file(path, mode, bmp.len() as u64) {
        Ok(f) => f,
        Err(ShmError::Io { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => {
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(io_error("opening", path))?;
            let len = f
                .metadata()
                .map_err(io_error("reading metadata of", path))?
                .len();
            if len < bmp.len() as u64 {
                f.set_len(bmp.len() as u64)
                    .map_err(io_error("growing", path))?;
            }
            f
        }
        Err(e) => Err(e)?,
    };
    let region = Region::map_mut(&file, path)?;
    region.store_bytes(0, bmp);
    Ok(())
}
