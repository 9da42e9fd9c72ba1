//! The producer side: framed [`Writer`] (one per region, enforced by a lock that dies with
//! its process), raw [`write_raw`], and [`remove`].

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::layout::{
    latest_word, lease_lock_byte, split_latest, Geometry, HeaderError, FLAGS_AT, FLAG_LEASES,
    FLAG_WAKES, FRAME_AT, LATEST_AT, LEN_AT, MAGIC, REGION_HEADER_LEN, SEQ_AT, WAKE_AT,
    WRITER_LOCK_BYTE, WRITER_PID_AT, WRITTEN_NS_AT,
};
use super::region::{io_error, now_ns, Access, Location, Region};
use super::{sys, ShmError};

/// How a region's file is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateOptions {
    /// Permission bits of a new file (default 0600: only this user). An existing region is
    /// reused only if its mode is no wider. Windows has no modes: a new file or named
    /// section gets the default security descriptor (the creating user, administrators
    /// and SYSTEM may open it).
    pub mode: u32,
    /// Replace an existing region whatever its geometry (unlink, then create anew), unless a
    /// writer holds it. A Windows named section cannot be unlinked: it is replaced only once
    /// no process holds it.
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

/// Counters a writer keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Frames published.
    pub frames: u64,
    /// Slots passed over because a reader pinned them.
    pub pinned_skips: u64,
    /// Pins of dead readers cleared.
    pub reclaimed: u64,
}

/// Publishes after this many publishes with one pin unchanged, the writer asks the OS
/// whether its reader is still alive.
const STALE_AFTER: u32 = 8;

/// How often [`Writer::wait_until_taken`] asks whether the pinning readers still live.
const PACE_RECLAIM: Duration = Duration::from_millis(10);

/// Publishes BMP frames into a framed region; the only writer of it while it lives.
pub struct Writer {
    region: Region,
    geometry: Geometry,
    next: u64,
    cursor: u32,
    flags: u32,
    /// Per lease: the pin last seen and for how many publishes it has not changed.
    pins_seen: Vec<(u64, u32)>,
    stats: WriteStats,
}

impl Writer {
    /// Creates (or reuses, when the geometry matches and no writer holds it) the region
    /// named `name` ([`Location::named`]) with `slots` slots of at least `capacity` bytes.
    pub fn create(name: &str, slots: u32, capacity: u64) -> Result<Self, ShmError> {
        let loc = Location::named(name)?;
        let geometry = Geometry::new(slots, capacity).map_err(|source| ShmError::Header {
            path: loc.file().to_path_buf(),
            source,
        })?;
        Self::create_at(&loc, geometry, CreateOptions::default())
    }

    /// Creates the region at `loc` and takes its writer lock.
    ///
    /// An existing region is reused only if no writer holds it
    /// ([`ShmError::WriterRunning`]), this user owns it with a mode no wider than
    /// `opts.mode` ([`ShmError::Untrusted`]), and its geometry is `geometry`
    /// ([`ShmError::StaleGeometry`], unless `opts.recreate`, which unlinks it first; mappings
    /// of the old file stay valid: it is never shrunk). Numbering continues after its
    /// `latest`. Two writers racing to create one region: one wins, the other gets
    /// [`ShmError::WriterRunning`].
    pub fn create_at(
        loc: &Location,
        geometry: Geometry,
        opts: CreateOptions,
    ) -> Result<Self, ShmError> {
        let path = loc.file();
        let len = geometry.region_len().map_err(|source| ShmError::Header {
            path: path.to_path_buf(),
            source,
        })?;
        if opts.recreate {
            remove(loc, false).or_else(|e| match e {
                ShmError::NotFound { .. } => Ok(()),
                e => Err(e),
            })?;
        }
        // A file unlinked between our failed create and our open: try again.
        for _ in 0..3 {
            match sys::create_new(loc.place(), opts.mode, len) {
                Ok(object) => return Self::take(Region::map(object, loc, true)?, geometry),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_error("creating", loc)(e)),
            }
            let object = match sys::open_existing(loc.place(), true) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_error("opening", loc)(e)),
            };
            if let Some(reason) =
                sys::check_trust(&object, opts.mode).map_err(io_error("checking", loc))?
            {
                return Err(ShmError::Untrusted {
                    path: path.to_path_buf(),
                    reason,
                });
            }
            return Self::take(Region::map(object, loc, true)?, geometry);
        }
        Err(ShmError::Io {
            what: "creating",
            path: path.to_path_buf(),
            source: std::io::Error::other("the file kept appearing and disappearing"),
        })
    }

    /// Takes the writer lock of a mapped region, then initialises it (blank: new, or
    /// created by a racing writer that lost the lock) or checks it for reuse.
    fn take(region: Region, wanted: Geometry) -> Result<Self, ShmError> {
        let path = region.path().to_path_buf();
        if !region.try_lock(WRITER_LOCK_BYTE)? {
            return Err(ShmError::WriterRunning {
                pid: recorded_pid(&region),
                path,
            });
        }
        // Files are created empty; a Windows section is created at its size, all zeros.
        let blank = region.len() == 0
            || (sys::sized_at_creation(region.object())
                && region.u64_at(0).load(Ordering::Acquire) == 0);
        let (region, next, cursor) = if blank {
            let len = wanted.region_len().map_err(|source| ShmError::Header {
                path: path.clone(),
                source,
            })?;
            let region = if region.len() == 0 {
                sys::set_len(region.object(), len as u64)
                    .map_err(io_error("sizing", region.location()))?;
                // Remap at the new size; the lock stays with the open file.
                region.remap()?
            } else if region.len() < len {
                return Err(ShmError::Header {
                    path,
                    source: HeaderError::TooSmall {
                        needed: len as u64,
                        len: region.len() as u64,
                    },
                });
            } else {
                region
            };
            let header = wanted.header_bytes();
            region.store_bytes(8, &header[8..]);
            // The magic last, released: a reader that sees it sees the geometry.
            region
                .u64_at(0)
                .store(u64::from_ne_bytes(*MAGIC), Ordering::Release);
            (region, 1, 0)
        } else {
            let mut header = vec![0u8; region.len().min(REGION_HEADER_LEN)];
            region.load_bytes(0, &mut header);
            let found =
                Geometry::parse(&header, region.len()).map_err(|source| ShmError::Header {
                    path: path.clone(),
                    source,
                })?;
            if found != wanted {
                return Err(ShmError::StaleGeometry {
                    path,
                    found,
                    wanted,
                });
            }
            let (frame, slot) = split_latest(region.u64_at(LATEST_AT).load(Ordering::Acquire));
            (region, frame + 1, (slot + 1) % found.slot_count)
        };
        let flags = FLAG_LEASES | if region.has_wake() { FLAG_WAKES } else { 0 };
        region
            .u32_at(WRITER_PID_AT)
            .store(std::process::id(), Ordering::Relaxed);
        region.u32_at(FLAGS_AT).store(flags, Ordering::SeqCst);
        Ok(Writer {
            region,
            geometry: wanted,
            next,
            cursor,
            flags,
            pins_seen: vec![(0, 0); wanted.lease_count as usize],
            stats: WriteStats::default(),
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

    /// The counters so far.
    pub fn stats(&self) -> WriteStats {
        self.stats
    }

    /// Publishes one whole BMP file as the next frame and returns its number.
    ///
    /// The frame goes into a slot that holds neither the latest frame nor a reader's pin;
    /// `seq` goes odd, the payload and slot fields are written, `seq` goes even (release),
    /// `latest` names frame and slot, and sleeping readers are woken. A frame larger than a
    /// slot is an error. Never waits for readers (with at most `slot_count - 2` leases a free
    /// slot always exists).
    pub fn publish(&mut self, bmp: &[u8]) -> Result<u64, ShmError> {
        if bmp.len() as u64 > self.geometry.slot_capacity {
            return Err(ShmError::FrameTooLarge {
                len: bmp.len() as u64,
                capacity: self.geometry.slot_capacity,
            });
        }
        let n = self.next;
        let (slot, begin) = self.begin_slot();
        let at = self.geometry.slot_at(slot);
        self.region.store_bytes(self.geometry.payload_at(slot), bmp);
        self.region
            .u64_at(at + LEN_AT)
            .store(bmp.len() as u64, Ordering::Relaxed);
        self.region
            .u64_at(at + FRAME_AT)
            .store(n, Ordering::Relaxed);
        self.region
            .u64_at(at + WRITTEN_NS_AT)
            .store(now_ns(), Ordering::Relaxed);
        self.seq(slot).store(begin + 1, Ordering::Release);
        self.region
            .u64_at(LATEST_AT)
            .store(latest_word(n, slot), Ordering::SeqCst);
        if self.flags & FLAG_WAKES != 0 {
            self.region.bump_and_wake(self.region.u32_at(WAKE_AT));
        }
        self.next = n + 1;
        self.cursor = (slot + 1) % self.geometry.slot_count;
        self.stats.frames += 1;
        Ok(n)
    }

    /// Whether the newest frame is still untaken while readers are busy: at least one lease
    /// pins a slot, and none pins the latest frame's. Publishing now would most likely
    /// replace that frame before any of them sees it.
    ///
    /// Only readers that decode in place (under a lease) count; copying readers and peers
    /// without leases never make this true.
    pub fn latest_untaken(&self) -> bool {
        let (frame, slot) = split_latest(self.region.u64_at(LATEST_AT).load(Ordering::Relaxed));
        let mut busy = false;
        for i in 0..self.geometry.lease_count {
            let pin = self
                .region
                .u64_at(self.geometry.lease_at(i))
                .load(Ordering::Acquire)
                & 0xffff_ffff;
            if pin == u64::from(slot) + 1 {
                return false;
            }
            busy |= pin != 0;
        }
        frame != 0 && busy
    }

    /// Waits while [`Writer::latest_untaken`], at most `max`: a producer that has its next
    /// frame ready at once (flat out) calls this before [`Writer::publish`] to publish only
    /// as fast as the fastest in-place reader takes frames, instead of writing frames no one
    /// will see. Returns whether a reader took the latest frame (or none was busy) within
    /// `max`; a reader that died pinning is reclaimed meanwhile.
    ///
    /// The reader takes the latest frame the moment it finishes the previous one, so the
    /// next frame is written while it decodes and is usually there when it is done. Spins,
    /// yielding the core now and then (no reader wakes a writer): a writer flat out keeps its
    /// core busy either way, but reads lease words instead of writing frames no one takes,
    /// which leaves the memory bandwidth to the readers.
    pub fn wait_until_taken(&mut self, max: Duration) -> bool {
        let started = Instant::now();
        let mut reclaimed = Duration::ZERO;
        let mut polls = 0u32;
        while self.latest_untaken() {
            let waited = started.elapsed();
            if waited >= max {
                return false;
            }
            if waited >= reclaimed + PACE_RECLAIM {
                // A reader that died pinning never unpins: ask the OS about the holders.
                self.reclaim(true);
                reclaimed = waited;
            }
            polls = polls.wrapping_add(1);
            if polls.is_multiple_of(16) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        true
    }

    fn seq(&self, slot: u32) -> &AtomicU64 {
        self.region.u64_at(self.geometry.slot_at(slot) + SEQ_AT)
    }

    /// Whether a lease word pins `slot` (loads in `order`).
    fn pinned(&self, slot: u32, order: Ordering) -> bool {
        (0..self.geometry.lease_count).any(|i| {
            let w = self.region.u64_at(self.geometry.lease_at(i)).load(order);
            w & 0xffff_ffff == u64::from(slot) + 1
        })
    }

    /// Picks the next slot that is neither the latest nor pinned and marks it odd; returns
    /// it with its odd `seq`.
    ///
    /// Against a reader pinning the slot at the same moment: the writer stores the odd `seq`
    /// and then loads the pins, the reader stores its pin and then loads `seq` (all
    /// sequentially consistent), so at least one sees the other. A writer that sees a pin
    /// restores the slot's old `seq` (no byte of it was written) and moves on.
    fn begin_slot(&mut self) -> (u32, u64) {
        self.note_pins();
        let count = self.geometry.slot_count;
        let latest = self.region.u64_at(LATEST_AT).load(Ordering::Relaxed);
        let (latest_frame, latest_slot) = split_latest(latest);
        loop {
            for k in 0..count {
                let slot = (self.cursor + k) % count;
                if count > 1 && latest_frame != 0 && slot == latest_slot {
                    continue;
                }
                if self.pinned(slot, Ordering::Relaxed) {
                    self.stats.pinned_skips += 1;
                    continue;
                }
                let seq = self.seq(slot);
                let s0 = seq.load(Ordering::Relaxed);
                // Odd means a previous writer died mid-frame: move to a new odd value so that
                // readers which saw the old one notice the change.
                let begin = if s0.is_multiple_of(2) { s0 + 1 } else { s0 + 2 };
                seq.swap(begin, Ordering::SeqCst);
                if self.pinned(slot, Ordering::SeqCst) {
                    seq.store(s0, Ordering::SeqCst);
                    self.stats.pinned_skips += 1;
                    continue;
                }
                return (slot, begin);
            }
            // Only a reader moving its pin while we looked can get here: reclaim the dead
            // ones' pins and look again.
            self.reclaim(true);
            std::thread::yield_now();
        }
    }

    /// Counts how long each pin has stayed the same, and reclaims those that stayed long.
    fn note_pins(&mut self) {
        let mut stale = false;
        for i in 0..self.geometry.lease_count {
            let w = self
                .region
                .u64_at(self.geometry.lease_at(i))
                .load(Ordering::Relaxed);
            let seen = &mut self.pins_seen[i as usize];
            if w != 0 && w == seen.0 {
                seen.1 += 1;
                stale |= seen.1 >= STALE_AFTER;
            } else {
                *seen = (w, 0);
            }
        }
        if stale {
            self.reclaim(false);
        }
    }

    /// Clears the pins of leases whose reader no longer holds its lock (it died); `all`:
    /// every pinned lease, not only those unchanged for [`STALE_AFTER`] publishes.
    fn reclaim(&mut self, all: bool) {
        for i in 0..self.geometry.lease_count {
            let (w, age) = self.pins_seen[i as usize];
            let word = self.region.u64_at(self.geometry.lease_at(i));
            let w = if all { word.load(Ordering::Relaxed) } else { w };
            if w == 0 || (!all && age < STALE_AFTER) {
                continue;
            }
            self.pins_seen[i as usize].1 = 0;
            // An error asking is taken as "alive": a pin is only ever cleared for certain.
            if self.region.lock_held(lease_lock_byte(i)).unwrap_or(true) {
                continue;
            }
            if word
                .compare_exchange(w, 0, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
            {
                self.stats.reclaimed += 1;
            }
        }
    }

    /// Test hook: leaves the next frame's slot mid-write (`seq` odd), as a writer killed
    /// halfway through a frame would.
    #[doc(hidden)]
    pub fn begin_and_abandon(&mut self, bmp: &[u8]) {
        let (slot, _) = self.begin_slot();
        let half = (bmp.len() / 2).min(self.geometry.slot_capacity as usize);
        self.region
            .store_bytes(self.geometry.payload_at(slot), &bmp[..half]);
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // The lock goes with the file; clear the advisory pid first.
        let pid = self.region.u32_at(WRITER_PID_AT);
        let _ = pid.compare_exchange(std::process::id(), 0, Ordering::Relaxed, Ordering::Relaxed);
    }
}

/// The writer pid a region's header records, if the file is a mapped region of this version.
fn recorded_pid(region: &Region) -> Option<u32> {
    if region.len() < REGION_HEADER_LEN
        || region.u64_at(0).load(Ordering::Acquire) != u64::from_ne_bytes(*MAGIC)
    {
        return None;
    }
    Some(region.u32_at(WRITER_PID_AT).load(Ordering::Relaxed)).filter(|&p| p != 0)
}

/// Whether a writer holds the region's lock, and the pid its header records.
pub(super) fn writer_of(region: &Region) -> Result<Option<Option<u32>>, ShmError> {
    let held = region.lock_held(WRITER_LOCK_BYTE)?;
    Ok(held.then(|| recorded_pid(region)))
}

/// Removes the region at `loc`, refusing while a writer holds it unless `force` (the writer
/// then goes on writing into a file no one can open any more; readers that have it mapped
/// keep reading). A Windows named section has no name to remove (it vanishes with the last
/// process that holds it): an error says so.
pub fn remove(loc: &Location, force: bool) -> Result<(), ShmError> {
    let path = loc.file();
    match Region::open(loc, Access::Read) {
        Ok(region) => {
            if let Some(pid) = writer_of(&region)? {
                if !force {
                    return Err(ShmError::InUse {
                        path: path.to_path_buf(),
                        pid,
                    });
                }
            }
        }
        // A symlink is removed itself, never followed.
        Err(ShmError::Untrusted { .. }) => {}
        Err(e) => return Err(e),
    }
    sys::remove(loc.place()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            loc.not_found()
        } else {
            io_error("removing", loc)(e)
        }
    })
}

/// A raw region [`write_raw`] wrote, held open while this value lives.
pub struct RawRegion {
    region: Region,
}

impl std::fmt::Debug for RawRegion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRegion")
            .field("at", &self.region.path())
            .field("len", &self.region.len())
            .finish()
    }
}

impl RawRegion {
    /// Whether the region exists only while some process holds it open (a Windows named
    /// block): dropping this may delete it, so a writer that leaves a frame for readers keeps
    /// it (the post's C# program keeps its `MemoryMappedFile`).
    pub fn exists_only_while_held(&self) -> bool {
        sys::held_only(self.region.location().place())
    }
}

/// Writes one BMP file at offset 0 of the region at `loc` (raw mode, as the seed's C#
/// program does), and returns it held open. The file is created with `mode` if missing and
/// grown if too small; it is never shrunk, so a larger existing region keeps its size and its
/// old tail bytes. An existing file must belong to this user with a mode no wider than
/// `mode`; symlinks are refused. A Windows named block is created at the BMP's size (an
/// existing one cannot grow), and vanishes once no process holds it: keep the returned
/// [`RawRegion`] while readers need the frame.
pub fn write_raw(loc: &Location, bmp: &[u8], mode: u32) -> Result<RawRegion, ShmError> {
    let path = loc.file();
    let object = match sys::create_new(loc.place(), mode, bmp.len()) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let f = sys::open_existing(loc.place(), true).map_err(io_error("opening", loc))?;
            if let Some(reason) = sys::check_trust(&f, mode).map_err(io_error("checking", loc))? {
                return Err(ShmError::Untrusted {
                    path: path.to_path_buf(),
                    reason,
                });
            }
            f
        }
        Err(e) => return Err(io_error("creating", loc)(e)),
    };
    let len = sys::size(&object).map_err(io_error("reading metadata of", loc))?;
    if len < bmp.len() as u64 {
        sys::set_len(&object, bmp.len() as u64).map_err(io_error("growing", loc))?;
    }
    let region = Region::map(object, loc, true)?;
    region.store_bytes(0, bmp);
    Ok(RawRegion { region })
}
