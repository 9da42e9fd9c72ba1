//! The consumer side: framed [`Reader`] (frames decoded in place under a lease, or copied
//! out; seqlock-validated either way; woken by the writer) and raw [`RawReader`].

use std::path::Path;
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::layout::{
    lease_lock_byte, split_latest, Geometry, FLAGS_AT, FLAG_LEASES, FLAG_WAKES, FRAME_AT,
    LATEST_AT, LEN_AT, MAGIC_FAMILY, REGION_HEADER_LEN, SEQ_AT, WAKE_AT, WRITTEN_NS_AT,
};
use super::region::{now_ns, Access, Location, Region};
use super::standby::{self, Pace};
use super::writer::writer_of;
use super::{layout, ShmError};
use crate::decode::{prepare_output, Threads};
use crate::format::{Limits, RawHeader};

/// Attempts at one frame before giving up with [`ShmError::Unstable`].
const MAX_ATTEMPTS: u32 = 10_000;
/// Longest single sleep on the wake word: flags are looked at again this often (a writer
/// that does not wake may have replaced one that did).
const MAX_SLEEP: Duration = Duration::from_millis(50);
/// How often a reader without a lease tries again to get one.
const LEASE_RETRY: Duration = Duration::from_secs(1);

/// What the slot header said about a frame handed over whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameInfo {
    /// Frame number (1, 2, 3, ...).
    pub frame: u64,
    /// BMP bytes of the frame.
    pub len: usize,
    /// The writer's clock when it published the frame (ns since the Unix epoch).
    pub written_ns: u64,
    /// The slot it was read from.
    pub slot: u32,
    /// Whether it was handed over in place (pinned slot) rather than copied out.
    pub in_place: bool,
}

/// One slot header as read (not validated: for display).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotHeader {
    /// Sequence counter (odd: being written).
    pub seq: u64,
    /// Frame number held.
    pub frame: u64,
    /// Payload length.
    pub len: u64,
    /// Publication time, ns since the Unix epoch.
    pub written_ns: u64,
}

/// One lease word as read (for display).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseInfo {
    /// The pid the holder wrote (0: never used).
    pub pid: u32,
    /// The slot it pins now, if any.
    pub pinned: Option<u32>,
    /// Whether a live process holds the lease's lock.
    pub held: bool,
}

/// Whether a writer holds a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriterStatus {
    /// A live process holds the writer lock; `pid` as the region header records it.
    Alive {
        /// The holder's pid, when recorded.
        pid: Option<u32>,
    },
    /// No process holds the writer lock.
    Gone,
}

/// Counters a reader keeps; a torn attempt is one rejected by the seqlock and retried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Frames handed to the caller.
    pub frames: u64,
    /// Of those, frames handed over in place (no copy).
    pub in_place: u64,
    /// Attempts that found the slot mid-write or changed while reading (never returned).
    pub torn: u64,
    /// Attempts whose slot already held a newer frame (the reader was lapped).
    pub overtaken: u64,
    /// Frames published but never returned by `next` (the reader was slower).
    pub skipped: u64,
    /// Sleeps on the writer's wake word.
    pub sleeps: u64,
    /// Polls (spins, yields, short sleeps) where the writer does not wake readers.
    pub polls: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lease {
    /// Not asked for yet, or none free when last asked (try again after this instant).
    None(Option<Instant>),
    /// Lease `i` is ours (its lock is held by our open file).
    Held(u32),
}

/// Takes whole frames out of a framed region: in place from a pinned slot when the writer
/// honours leases and one is free, else copied out; woken by the writer where it wakes
/// readers, else polling.
pub struct Reader {
    region: Arc<Region>,
    geometry: Geometry,
    last: u64,
    stats: ReadStats,
    max_frame: u64,
    lease: Lease,
    copy_only: bool,
    poll_only: bool,
    spins: u32,
    copy: Vec<u8>,
    /// The threads whose helpers wait with this reader ([`Reader::waking_helpers`]).
    helpers: Option<Threads>,
    pace: Pace,
    /// Names this reader's helper standbys.
    id: u64,
}

impl Reader {
    /// Opens the region named `name` ([`Location::named`]).
    pub fn open(name: &str) -> Result<Self, ShmError> {
        Self::open_at(&Location::named(name)?)
    }

    /// Opens the region at `loc` (read-write when permitted: leases are written; never
    /// through a symlink) and validates its header against the mapped size.
    pub fn open_at(loc: &Location) -> Result<Self, ShmError> {
        let region = Region::open(loc, Access::ReadWriteIfAllowed)?;
        let mut header = vec![0u8; region.len().min(REGION_HEADER_LEN)];
        if header.len() >= 8 {
            // The writer stores the magic last, released.
            region.u64_at(0).load(Ordering::Acquire);
        }
        region.load_bytes(0, &mut header);
        let geometry =
            Geometry::parse(&header, region.len()).map_err(|source| ShmError::Header {
                path: region.path().to_path_buf(),
                source,
            })?;
        Ok(Reader {
            region: Arc::new(region),
            geometry,
            last: 0,
            stats: ReadStats::default(),
            max_frame: Limits::default().max_bytes,
            lease: Lease::None(None),
            copy_only: false,
            poll_only: false,
            spins: 0,
            copy: Vec::new(),
            helpers: None,
            pace: Pace::default(),
            id: {
                static READERS: AtomicU64 = AtomicU64::new(1);
                READERS.fetch_add(1, Ordering::Relaxed)
            },
        })
    }

    /// Refuses frames longer than `bytes` before allocating for them (default: 1 GiB).
    pub fn with_max_frame_bytes(mut self, bytes: u64) -> Self {
        self.max_frame = bytes;
        self
    }

    /// Never reads in place: every frame is copied out first (to compare, or for a caller
    /// that must not hold up a slot).
    pub fn copying(mut self) -> Self {
        self.copy_only = true;
        self.release_lease();
        self
    }

    /// Never sleeps on the writer's wake word: polls as a reader of a writer that does not
    /// wake (to compare).
    pub fn polling(mut self) -> Self {
        self.poll_only = true;
        self
    }

    /// Has the helper threads that [`Lut`](crate::Lut) on `threads` decodes with wait with
    /// this reader: woken by the writer when it is, and at a steady pace looking for the
    /// frame from shortly (300 µs) before it is due, so a frame the reader waited for finds
    /// them running ([`Threads::for_frame`]). Costs the helpers' spin around each frame
    /// (up to 600 µs); nothing is changed where the writer does not wake readers.
    ///
    /// Measured on a 2-vCPU VM (Zen 3), seed frames at 60 frames/s decoded on two threads:
    /// without it the helper, woken by the reader, began 93-127 µs into the decode (a
    /// halted vCPU is slow to wake); with it 14-15 µs. `shmbmp read`, builds without and
    /// with it taking turns: p50 publish to RGBA 478-511 against 425-457 µs, the process's
    /// CPU 6.3-6.7 % against 6.3-6.6 % of a core.
    pub fn waking_helpers(mut self, threads: Threads) -> Self {
        self.helpers = (threads.max() > 1).then_some(threads);
        self
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
    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// The newest complete frame number (0 = none yet).
    pub fn latest_number(&self) -> u64 {
        split_latest(self.latest_word().load(Ordering::Acquire)).0
    }

    /// The region's `flags` now ([`layout::FLAG_WAKES`], [`layout::FLAG_LEASES`]).
    pub fn flags(&self) -> u32 {
        self.region.u32_at(FLAGS_AT).load(Ordering::Acquire)
    }

    /// The lease this reader holds, if any (taken at its first in-place read).
    pub fn lease(&self) -> Option<u32> {
        match self.lease {
            Lease::Held(i) => Some(i),
            Lease::None(_) => None,
        }
    }

    /// Whether a writer holds the region now, asked of the OS (its lock dies with it).
    pub fn writer(&self) -> Result<WriterStatus, ShmError> {
        Ok(match writer_of(&self.region)? {
            Some(pid) => WriterStatus::Alive { pid },
            None => WriterStatus::Gone,
        })
    }

    /// Every slot's header as it reads now (for display; nothing is validated).
    pub fn slot_headers(&self) -> Vec<SlotHeader> {
        (0..self.geometry.slot_count)
            .map(|i| {
                let at = self.geometry.slot_at(i);
                let get = |off| self.region.u64_at(at + off).load(Ordering::Acquire);
                SlotHeader {
                    seq: get(SEQ_AT),
                    frame: get(FRAME_AT),
                    len: get(LEN_AT),
                    written_ns: get(WRITTEN_NS_AT),
                }
            })
            .collect()
    }

    /// Every lease word as it reads now, and whether its lock is held (for display).
    pub fn leases(&self) -> Vec<LeaseInfo> {
        (0..self.geometry.lease_count)
            .map(|i| {
                let w = self.lease_word(i).load(Ordering::Acquire);
                let slot = (w & 0xffff_ffff) as u32;
                LeaseInfo {
                    pid: (w >> 32) as u32,
                    pinned: slot.checked_sub(1),
                    held: self.lease == Lease::Held(i)
                        || self.region.lock_held(lease_lock_byte(i)).unwrap_or(false),
                }
            })
            .collect()
    }

    /// Copies the newest complete frame into `buf`.
    pub fn latest(&mut self, buf: &mut Vec<u8>) -> Result<FrameInfo, ShmError> {
        self.read_loop(None, |r, n, slot| {
            Ok(r.attempt_copy(n, slot, buf)?.map(|i| (i, ())))
        })
        .map(|(i, ())| i)
    }

    /// Waits up to `timeout` for a frame newer than the last one returned and copies the
    /// newest such frame into `buf` (frames in between count as skipped).
    pub fn next(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<FrameInfo, ShmError> {
        self.read_loop(Some(timeout), |r, n, slot| {
            Ok(r.attempt_copy(n, slot, buf)?.map(|i| (i, ())))
        })
        .map(|(i, ())| i)
    }

    /// Hands the newest complete frame's bytes to `f` and returns what `f` returned.
    ///
    /// In place when the writer honours leases and this reader holds one: `f` reads the
    /// pinned slot itself (e.g. `|bmp| Lut::AUTO.decode_into(bmp, &limits, &mut rgba)`), no
    /// copy. Otherwise `f` reads a private copy. Either way the slot's `seq` is checked after
    /// `f` returns: if the frame changed meanwhile, what `f` returned is dropped and `f` runs
    /// again on a newer frame, so a result from a torn frame is never returned. `f` may
    /// therefore run more than once; this module knows bytes, not pixels.
    pub fn latest_with<T>(
        &mut self,
        mut f: impl FnMut(&[u8]) -> T,
    ) -> Result<(FrameInfo, T), ShmError> {
        self.read_loop(None, |r, n, slot| r.attempt_with(n, slot, &mut f))
    }

    /// [`Reader::latest_with`] for a frame newer than the last one returned, waiting up to
    /// `timeout` (asleep on the writer's wake word where it wakes readers).
    pub fn next_with<T>(
        &mut self,
        timeout: Duration,
        mut f: impl FnMut(&[u8]) -> T,
    ) -> Result<(FrameInfo, T), ShmError> {
        self.read_loop(Some(timeout), |r, n, slot| r.attempt_with(n, slot, &mut f))
    }

    /// [`Reader::next_with`], telling `f` whether this reader waited for the frame (slept or
    /// polled until it was published) rather than finding it there. A frame that finds its
    /// reader idle finds that reader's caches cold and, at a steady frame rate, the other
    /// cores mostly idle: the time to decode on more threads (measured in `benches/shm.rs`).
    pub fn next_with_waited<T>(
        &mut self,
        timeout: Duration,
        mut f: impl FnMut(&[u8], bool) -> T,
    ) -> Result<(FrameInfo, T), ShmError> {
        // Waited: slept or polled since this call began (`wait` counts each; it returns
        // without either when the frame came meanwhile).
        let waits = |s: &ReadStats| s.sleeps + s.polls;
        let before = waits(&self.stats);
        self.read_loop(Some(timeout), |r, n, slot| {
            let waited = waits(&r.stats) > before;
            r.attempt_with(n, slot, &mut |bmp: &[u8]| f(bmp, waited))
        })
    }

    fn latest_word(&self) -> &AtomicU64 {
        self.region.u64_at(LATEST_AT)
    }

    fn lease_word(&self, i: u32) -> &AtomicU64 {
        self.region.u64_at(self.geometry.lease_at(i))
    }

    fn seq(&self, slot: u32) -> &AtomicU64 {
        self.region.u64_at(self.geometry.slot_at(slot) + SEQ_AT)
    }

    /// Runs `attempt` on the latest frame until it succeeds. `timeout` `None`: any frame,
    /// at most [`MAX_ATTEMPTS`] attempts; `Some`: only a frame newer than the last returned,
    /// sleeping or polling until one comes or the time is up.
    fn read_loop<R>(
        &mut self,
        timeout: Option<Duration>,
        mut attempt: impl FnMut(&mut Self, u64, u32) -> Result<Option<(FrameInfo, R)>, ShmError>,
    ) -> Result<(FrameInfo, R), ShmError> {
        let started = Instant::now();
        let mut attempts = 0u32;
        // For a timeout's diagnosis: the newest frame when the wait began, and the failed
        // attempts before it.
        let mut first_n = None;
        let failed_before = self.stats.torn + self.stats.overtaken;
        loop {
            let word = self.latest_word().load(Ordering::Acquire);
            let (n, slot) = split_latest(word);
            let first_n = *first_n.get_or_insert(n);
            if slot >= self.geometry.slot_count {
                return Err(ShmError::CorruptSlot {
                    slot,
                    reason: format!(
                        "`latest` names slot {slot}, the region has {}",
                        self.geometry.slot_count
                    ),
                });
            }
            let wanted = match timeout {
                None => word != 0,
                Some(_) => n > self.last,
            };
            if wanted {
                if n == 0 {
                    return Err(ShmError::CorruptSlot {
                        slot,
                        reason: "`latest` names frame 0".into(),
                    });
                }
                if let Some(r) = attempt(self, n, slot)? {
                    return Ok(self.returned(r));
                }
            }
            let Some(timeout) = timeout else {
                if word == 0 {
                    return Err(ShmError::NoFrameYet {
                        writer: self.writer_words(),
                    });
                }
                attempts += 1;
                if attempts >= MAX_ATTEMPTS {
                    return Err(ShmError::Unstable {
                        frame: n,
                        slot,
                        seq: self.seq(slot).load(Ordering::Acquire),
                        attempts,
                    });
                }
                continue;
            };
            // Also when the announced slot keeps failing (torn, or left mid-write).
            let waited = started.elapsed();
            if waited >= timeout {
                let outpaced = Outpaced {
                    published: n.saturating_sub(first_n),
                    failed: self.stats.torn + self.stats.overtaken - failed_before,
                };
                return Err(ShmError::Timeout {
                    after: self.last,
                    waited_ms: waited.as_millis() as u64,
                    diagnosis: self.diagnose(outpaced),
                });
            }
            self.wait(word, timeout - waited);
        }
    }

    /// Sleeps until `latest` may differ from `seen`, at most `left`: on the wake word when
    /// the writer wakes readers, else a bounded poll.
    fn wait(&mut self, seen: u64, left: Duration) {
        let flags = self.region.u32_at(FLAGS_AT).load(Ordering::Acquire);
        if self.region.has_wake() && !self.poll_only && flags & FLAG_WAKES != 0 {
            let wake = self.region.u32_at(WAKE_AT);
            // The writer stores `latest`, then bumps `wake`, then wakes (all SeqCst): loading
            // `wake` before checking `latest` again means a publish after the check changes
            // `wake` and the sleep ends at once.
            let expected = wake.load(Ordering::SeqCst);
            if self.latest_word().load(Ordering::SeqCst) != seen {
                return;
            }
            self.stats.sleeps += 1;
            if let Some(threads) = self.helpers {
                // The helpers' own limit, not this sleep's: a caller waiting in short slices
                // (the Python reader) leaves them asleep on the same word between slices.
                let due = self.pace.next_due();
                let region = self.region.clone();
                let standby = standby::standby(region, WAKE_AT, expected, due, MAX_SLEEP);
                crate::decode::stand_by(threads, self.id, standby);
            }
            self.region.wait(wake, expected, left.min(MAX_SLEEP));
        } else {
            self.stats.polls += 1;
            backoff(&mut self.spins, left);
        }
    }

    /// Copies frame `n` out of `slot` into `buf` if it is there whole. `Ok(None)`: torn or
    /// overtaken this time (counted), try again.
    fn attempt_copy(
        &mut self,
        n: u64,
        slot: u32,
        buf: &mut Vec<u8>,
    ) -> Result<Option<FrameInfo>, ShmError> {
        let s1 = self.seq(slot).load(Ordering::Acquire);
        if s1 % 2 == 1 {
            self.stats.torn += 1;
            return Ok(None);
        }
        let Some((len, written_ns)) = check_slot(
            &self.region,
            &self.geometry,
            self.max_frame,
            &mut self.stats,
            (n, slot, s1),
        )?
        else {
            return Ok(None);
        };
        prepare_output(buf, len);
        self.region.load_bytes(self.geometry.payload_at(slot), buf);
        fence(Ordering::Acquire);
        if self.seq(slot).load(Ordering::Relaxed) != s1 {
            self.stats.torn += 1;
            return Ok(None);
        }
        Ok(Some(FrameInfo {
            frame: n,
            len,
            written_ns,
            slot,
            in_place: false,
        }))
    }

    /// Hands frame `n` to `f`, in place when possible, else through a private copy.
    fn attempt_with<T>(
        &mut self,
        n: u64,
        slot: u32,
        f: &mut impl FnMut(&[u8]) -> T,
    ) -> Result<Option<(FrameInfo, T)>, ShmError> {
        if self.flags() & FLAG_LEASES != 0 {
            if let Some(i) = self.take_lease() {
                return self.attempt_in_place(i, n, slot, f);
            }
        }
        let mut copy = std::mem::take(&mut self.copy);
        let got = self.attempt_copy(n, slot, &mut copy);
        let out = got.map(|o| o.map(|info| (info, f(&copy))));
        self.copy = copy;
        out
    }

    /// Pins `slot` with lease `lease`, checks it holds frame `n` stably, runs `f` on the
    /// payload where it lies, checks `seq` again, unpins (also if `f` panics).
    fn attempt_in_place<T>(
        &mut self,
        lease: u32,
        n: u64,
        slot: u32,
        f: &mut impl FnMut(&[u8]) -> T,
    ) -> Result<Option<(FrameInfo, T)>, ShmError> {
        struct Unpin<'a>(&'a AtomicU64);
        impl Drop for Unpin<'_> {
            fn drop(&mut self) {
                self.0.store(0, Ordering::Release);
            }
        }
        let (region, geometry) = (&self.region, &self.geometry);
        let word = region.u64_at(geometry.lease_at(lease));
        word.store(
            u64::from(std::process::id()) << 32 | (u64::from(slot) + 1),
            Ordering::SeqCst,
        );
        let _unpin = Unpin(word);
        let stats = &mut self.stats;
        let seq = region.u64_at(geometry.slot_at(slot) + SEQ_AT);
        // Pin stored, then `seq` loaded (both SeqCst): a writer that had not seen the pin
        // has already made `seq` odd, which this load sees (see `Writer::begin_slot`).
        let s1 = seq.load(Ordering::SeqCst);
        if s1 % 2 == 1 {
            stats.torn += 1;
            return Ok(None);
        }
        if region.u32_at(FLAGS_AT).load(Ordering::SeqCst) & FLAG_LEASES == 0 {
            // A writer that ignores pins took over: copy instead, next time.
            return Ok(None);
        }
        let Some((len, written_ns)) =
            check_slot(region, geometry, self.max_frame, stats, (n, slot, s1))?
        else {
            return Ok(None);
        };
        // SAFETY: the slot is pinned and was stable (even `seq`, frame `n`) after the pin
        // was visible; the region's writer honours leases (FLAG_LEASES), so it writes
        // neither this payload nor its header until we unpin. See PROTOCOL.md, "Soundness",
        // for what holds if a writer breaks that promise (the check below still rejects).
        let bytes = unsafe { region.bytes(geometry.payload_at(slot), len) };
        let out = f(bytes);
        fence(Ordering::Acquire);
        if seq.load(Ordering::Relaxed) != s1 {
            stats.torn += 1;
            return Ok(None);
        }
        Ok(Some((
            FrameInfo {
                frame: n,
                len,
                written_ns,
                slot,
                in_place: true,
            },
            out,
        )))
    }

    /// Our lease, claiming a free one if we have none (at most once per [`LEASE_RETRY`]).
    fn take_lease(&mut self) -> Option<u32> {
        match self.lease {
            Lease::Held(i) => return Some(i),
            Lease::None(Some(at)) if at.elapsed() < LEASE_RETRY => return None,
            Lease::None(_) => {}
        }
        if self.copy_only || !self.region.writable() {
            self.lease = Lease::None(Some(Instant::now()));
            return None;
        }
        for i in 0..self.geometry.lease_count {
            if self.region.try_lock(lease_lock_byte(i)).unwrap_or(false) {
                // A dead holder's pin may linger: the lease is ours now, clear it.
                self.lease_word(i).store(0, Ordering::SeqCst);
                self.lease = Lease::Held(i);
                return Some(i);
            }
        }
        self.lease = Lease::None(Some(Instant::now()));
        None
    }

    fn release_lease(&mut self) {
        if let Lease::Held(i) = self.lease {
            self.lease_word(i).store(0, Ordering::Release);
            let _ = self.region.unlock(lease_lock_byte(i));
            self.lease = Lease::None(None);
        }
    }

    fn returned<R>(&mut self, (info, r): (FrameInfo, R)) -> (FrameInfo, R) {
        if self.last > 0 && info.frame > self.last + 1 {
            self.stats.skipped += info.frame - self.last - 1;
        }
        self.last = info.frame;
        self.pace.took(info.frame, info.written_ns);
        self.stats.frames += 1;
        self.stats.in_place += u64::from(info.in_place);
        self.spins = 0;
        (info, r)
    }

    /// "; a writer (pid N) holds the region" or "; no writer holds the region".
    fn writer_words(&self) -> String {
        match self.writer() {
            Ok(WriterStatus::Alive { pid }) => format!("; its writer{} is alive", pid_words(pid)),
            Ok(WriterStatus::Gone) => "; no writer holds the region".into(),
            Err(_) => String::new(),
        }
    }

    /// Why no newer frame came: a writer that kept publishing but rewrote each frame's slot
    /// before this reader had read it whole, an idle writer, none at all, or a slot left
    /// mid-write.
    fn diagnose(&self, outpaced: Outpaced) -> String {
        let mut out = match self.writer() {
            Ok(WriterStatus::Alive { pid }) if outpaced.published > 0 && outpaced.failed > 0 => {
                let why = if self.copy_only || self.lease().is_none() {
                    "it rewrites a slot faster than this reader copies one out (read in place under a lease, which needs slots >= readers + 2, or publish more slowly)"
                } else {
                    "does it ignore this reader's pin?"
                };
                return format!(
                    "; the writer{} published {} frames meanwhile, but each of {} attempts found its slot mid-write or already rewritten: {why}",
                    pid_words(pid),
                    outpaced.published,
                    outpaced.failed
                );
            }
            Ok(WriterStatus::Alive { pid }) => format!(
                "; the writer{} is alive but published nothing new",
                pid_words(pid)
            ),
            Ok(WriterStatus::Gone) => {
                let newest = self
                    .slot_headers()
                    .iter()
                    .map(|h| h.written_ns)
                    .max()
                    .unwrap_or(0);
                if newest == 0 {
                    "; no writer holds the region".into()
                } else {
                    format!(
                        "; no writer holds the region (its last frame was written {:.1} s ago)",
                        now_ns().saturating_sub(newest) as f64 / 1e9
                    )
                }
            }
            Err(_) => String::new(),
        };
        for (slot, h) in self.slot_headers().iter().enumerate() {
            if h.seq % 2 == 1 {
                out.push_str(&format!(
                    "; slot {slot} is mid-write (seq {} odd): the writer stopped mid-frame",
                    h.seq
                ));
            }
        }
        out
    }
}

/// " (pid N)" when the writer's pid is known, else nothing.
fn pid_words(pid: Option<u32>) -> String {
    pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
}

/// What happened while a reader waited in vain: frames the writer published meanwhile, and
/// attempts at them that failed (torn or overtaken).
#[derive(Debug, Clone, Copy)]
struct Outpaced {
    published: u64,
    failed: u64,
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.release_lease();
        if self.helpers.is_some() {
            crate::decode::stand_down(self.id);
        }
    }
}

/// Validates slot `slot`'s header for frame `n` given its even `seq` `s1`: `Ok(None)` for a
/// retry (counted in `stats`), the payload's length and time otherwise.
fn check_slot(
    region: &Region,
    geometry: &Geometry,
    max_frame: u64,
    stats: &mut ReadStats,
    (n, slot, s1): (u64, u32, u64),
) -> Result<Option<(usize, u64)>, ShmError> {
    let at = geometry.slot_at(slot);
    let frame = region.u64_at(at + FRAME_AT).load(Ordering::Relaxed);
    let len = region.u64_at(at + LEN_AT).load(Ordering::Relaxed);
    let written_ns = region.u64_at(at + WRITTEN_NS_AT).load(Ordering::Relaxed);
    let stable = || region.u64_at(at + SEQ_AT).load(Ordering::Acquire) == s1;
    if frame != n {
        if stable() && frame < n {
            // `latest` names a frame its slot does not hold, and nobody is writing it.
            return Err(ShmError::CorruptSlot {
                slot,
                reason: format!("holds frame {frame}, `latest` says {n}"),
            });
        }
        stats.overtaken += 1;
        return Ok(None);
    }
    if len > geometry.slot_capacity {
        if !stable() {
            stats.torn += 1;
            return Ok(None);
        }
        return Err(ShmError::CorruptSlot {
            slot,
            reason: format!("len {len} exceeds slot_capacity {}", geometry.slot_capacity),
        });
    }
    if len > max_frame {
        return Err(ShmError::ReaderLimit {
            len,
            limit: max_frame,
        });
    }
    Ok(Some((len as usize, written_ns)))
}

/// Spins briefly, then yields, then sleeps up to 1 ms between polls (never past `left`).
fn backoff(spins: &mut u32, left: Duration) {
    *spins += 1;
    match *spins {
        0..=64 => std::hint::spin_loop(),
        65..=256 => std::thread::yield_now(),
        n => std::thread::sleep(Duration::from_micros(u64::from((n - 256).min(1000))).min(left)),
    }
}

/// Reads a raw-mode region: one BMP at offset 0, its length from its own `bfSize`.
pub struct RawReader {
    region: Region,
}

impl RawReader {
    /// Opens the raw region named `name` ([`Location::named`]): on Windows the block the
    /// post's C# program leaves with `MemoryMappedFile.CreateOrOpen("test1", ..)`.
    pub fn open(name: &str) -> Result<Self, ShmError> {
        Self::open_at(&Location::named(name)?)
    }

    /// Opens the raw region at `loc` (never through a symlink).
    pub fn open_at(loc: &Location) -> Result<Self, ShmError> {
        Ok(RawReader {
            region: Region::open(loc, Access::Read)?,
        })
    }

    /// The region's file.
    pub fn path(&self) -> &Path {
        self.region.path()
    }

    /// Bytes mapped (on Windows and macOS the size rounded up to whole pages).
    pub fn mapped_len(&self) -> usize {
        self.region.len()
    }

    /// Copies the BMP into `buf`: `bfSize` bytes, checked against the mapping's size.
    /// Nothing guards against a writer changing the bytes meanwhile (that is raw mode).
    pub fn read(&self, buf: &mut Vec<u8>) -> Result<usize, ShmError> {
        let mapped = self.region.len();
        let mut head = vec![0u8; mapped.min(14 + 124)];
        self.region.load_bytes(0, &mut head);
        let path = || self.region.path().to_path_buf();
        if head.starts_with(MAGIC_FAMILY) {
            return Err(ShmError::Framed {
                path: path(),
                magic: head[..8].try_into().unwrap_or([0; 8]),
            });
        }
        if !head.starts_with(b"BM") {
            let first = &head[..head.len().min(8)];
            return Err(ShmError::NotRaw {
                path: path(),
                found: if first.is_empty() {
                    "is empty (0 bytes)".into()
                } else {
                    format!(
                        "starts with \"{}\" (hex {})",
                        first.escape_ascii(),
                        layout::hex(first)
                    )
                },
            });
        }
        let declared = RawHeader::read(&head)?.file_size as usize;
        if declared < 14 || declared > mapped {
            return Err(ShmError::RawLength {
                path: path(),
                declared: declared as u64,
                mapped: mapped as u64,
            });
        }
        prepare_output(buf, declared);
        self.region.load_bytes(0, buf);
        Ok(declared)
    }
}
