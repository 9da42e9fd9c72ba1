//! The consumer side: framed [`Reader`] (seqlock-validated copies) and raw [`RawReader`].

use std::path::Path;
use std::sync::atomic::{fence, Ordering};
use std::time::{Duration, Instant};

use super::layout::{Geometry, FRAME_AT, HEADER_LEN, LATEST_AT, LEN_AT, SEQ_AT, WRITTEN_NS_AT};
use super::region::{Location, Region};
use super::ShmError;
use crate::error::DecodeError;
use crate::format::{Limits, RawHeader};

/// Attempts at one frame before giving up with [`ShmError::Unstable`].
const MAX_ATTEMPTS: u32 = 10_000;

/// What the slot header said about a frame that was copied out whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameInfo {
    /// Frame number (1, 2, 3, ...).
    pub frame: u64,
    /// BMP bytes copied into the caller's buffer.
    pub len: usize,
    /// The writer's clock when it published the frame (ns since the Unix epoch).
    pub written_ns: u64,
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

/// Counters a reader keeps; a torn attempt is one rejected by the seqlock and retried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Frames handed to the caller.
    pub frames: u64,
    /// Attempts that found the slot mid-write or changed while copying (never returned).
    pub torn: u64,
    /// Attempts whose slot already held a newer frame (the reader was lapped).
    pub overtaken: u64,
    /// Frames published but never returned by `next` (the reader was slower).
    pub skipped: u64,
}

/// Takes whole frames out of a framed region.
pub struct Reader {
    region: Region,
    geometry: Geometry,
    last: u64,
    stats: ReadStats,
    max_frame: u64,
}

impl Reader {
    /// Opens the region `/dev/shm/NAME`.
    pub fn open(name: &str) -> Result<Self, ShmError> {
        Self::open_at(&Location::named(name)?)
    }

    /// Opens the region at `loc` and validates its header against the mapped size.
    pub fn open_at(loc: &Location) -> Result<Self, ShmError> {
        let region = Region::open_read(loc.file())?;
        if region.len() < HEADER_LEN {
            return Err(ShmError::TooSmall {
                needed: HEADER_LEN as u64,
                len: region.len() as u64,
            });
        }
        let mut header = [0u8; HEADER_LEN];
        region.load_bytes(0, &mut header);
        let geometry = Geometry::parse(&header, region.len())?;
        Ok(Reader {
            region,
            geometry,
            last: 0,
            stats: ReadStats::default(),
            max_frame: Limits::default().max_bytes,
        })
    }

    /// Refuses frames longer than `bytes` before allocating for them (default: 1 GiB).
    pub fn with_max_frame_bytes(mut self, bytes: u64) -> Self {
        self.max_frame = bytes;
        self
    }

    /// The region's shape.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// The counters so far.
    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// The newest complete frame number (0 = none yet).
    pub fn latest_number(&self) -> u64 {
        self.region.u64_at(LATEST_AT).load(Ordering::Acquire)
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

    /// Copies the newest complete frame into `buf`.
    pub fn latest(&mut self, buf: &mut Vec<u8>) -> Result<FrameInfo, ShmError> {
        for _ in 0..MAX_ATTEMPTS {
            let n = self.latest_number();
            if n == 0 {
                return Err(ShmError::NoFrameYet);
            }
            match self.read(n, buf)? {
                Some(info) => return Ok(self.returned(info)),
                None => continue,
            }
        }
        let n = self.latest_number();
        Err(self.unstable(n))
    }

    /// Waits up to `timeout` for a frame newer than the last one returned and copies the
    /// newest such frame into `buf` (frames in between count as skipped).
    pub fn next(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<FrameInfo, ShmError> {
        let started = Instant::now();
        let mut spins = 0u32;
        loop {
            let n = self.latest_number();
            if n > self.last {
                if let Some(info) = self.read(n, buf)? {
                    return Ok(self.returned(info));
                }
            }
            // Also when the announced slot keeps failing (torn, or left mid-write).
            if started.elapsed() >= timeout {
                return Err(ShmError::Timeout {
                    after: self.last,
                    waited_ms: started.elapsed().as_millis() as u64,
                    diagnosis: self.diagnose(),
                });
            }
            backoff(&mut spins);
        }
    }

    /// Copies frame `n` into `buf` if its slot holds it whole. `Ok(None)`: torn or
    /// overtaken this time (counted), try again.
    fn read(&mut self, n: u64, buf: &mut Vec<u8>) -> Result<Option<FrameInfo>, ShmError> {
        let slot = self.geometry.slot_of(n);
        let at = self.geometry.slot_at(slot);
        let seq = self.region.u64_at(at + SEQ_AT);
        let s1 = seq.load(Ordering::Acquire);
        if s1 % 2 == 1 {
            self.stats.torn += 1;
            return Ok(None);
        }
        let frame = self.region.u64_at(at + FRAME_AT).load(Ordering::Relaxed);
        let len = self.region.u64_at(at + LEN_AT).load(Ordering::Relaxed);
        let written_ns = self
            .region
            .u64_at(at + WRITTEN_NS_AT)
            .load(Ordering::Relaxed);
        if frame != n {
            let stable = seq.load(Ordering::Acquire) == s1;
            if stable && frame < n {
                // `latest` names a frame its slot does not hold although nobody is writing it.
                return Err(ShmError::CorruptSlot {
                    slot,
                    reason: format!("holds frame {frame}, latest is {n}"),
                });
            }
            self.stats.overtaken += 1;
            return Ok(None);
        }
        if len > self.geometry.slot_capacity {
            if seq.load(Ordering::Acquire) != s1 {
                self.stats.torn += 1;
                return Ok(None);
            }
            return Err(ShmError::CorruptSlot {
                slot,
                reason: format!(
                    "len {len} exceeds slot_capacity {}",
                    self.geometry.slot_capacity
                ),
            });
        }
        if len > self.max_frame {
            return Err(ShmError::ReaderLimit {
                len,
                limit: self.max_frame,
            });
        }
        let len = len as usize;
        if buf.len() != len {
            buf.resize(len, 0);
        }
        self.region.load_bytes(at + HEADER_LEN, buf);
        fence(Ordering::Acquire);
        if seq.load(Ordering::Relaxed) != s1 {
            self.stats.torn += 1;
            return Ok(None);
        }
        Ok(Some(FrameInfo {
            frame,
            len,
            written_ns,
        }))
    }

    fn returned(&mut self, info: FrameInfo) -> FrameInfo {
        if self.last > 0 && info.frame > self.last + 1 {
            self.stats.skipped += info.frame - self.last - 1;
        }
        self.last = info.frame;
        self.stats.frames += 1;
        info
    }

    fn unstable(&self, n: u64) -> ShmError {
        let slot = self.geometry.slot_of(n.max(1));
        let seq = self
            .region
            .u64_at(self.geometry.slot_at(slot) + SEQ_AT)
            .load(Ordering::Acquire);
        ShmError::Unstable {
            frame: n,
            slot,
            seq,
            attempts: MAX_ATTEMPTS,
        }
    }

    /// Why no newer frame came: a slot left mid-write means the writer died mid-frame.
    fn diagnose(&self) -> String {
        let next = self.latest_number() + 1;
        let slot = self.geometry.slot_of(next);
        let seq = self
            .region
            .u64_at(self.geometry.slot_at(slot) + SEQ_AT)
            .load(Ordering::Acquire);
        if seq % 2 == 1 {
            format!("; slot {slot} (frame {next}) is mid-write (seq {seq} odd): the writer stopped mid-frame")
        } else {
            "; the writer published nothing new".into()
        }
    }

    /// Copies the next frame (as [`Reader::next`]) into `bmp` and hands it to `decode`
    /// (e.g. `|b| Lut::AUTO.decode_into(b, &limits, &mut rgba)`); with reused buffers a
    /// steady stream allocates nothing. This module knows bytes, not pixels: the decoder is
    /// the caller's.
    pub fn next_decoded<T>(
        &mut self,
        timeout: Duration,
        bmp: &mut Vec<u8>,
        decode: impl FnOnce(&[u8]) -> Result<T, DecodeError>,
    ) -> Result<(FrameInfo, T), ShmError> {
        let info = self.next(bmp, timeout)?;
        let decoded = decode(bmp)?;
        Ok((info, decoded))
    }
}

/// Spins briefly, then yields, then sleeps up to 1 ms between polls.
fn backoff(spins: &mut u32) {
    *spins += 1;
    match *spins {
        0..=64 => std::hint::spin_loop(),
        65..=256 => std::thread::yield_now(),
        n => std::thread::sleep(Duration::from_micros(u64::from((n - 256).min(1000)))),
    }
}

/// Reads a raw-mode region: one BMP at offset 0, its length from its own `bfSize`.
pub struct RawReader {
    region: Region,
}

impl RawReader {
    /// Opens the raw region `/dev/shm/NAME`.
    pub fn open(name: &str) -> Result<Self, ShmError> {
        Self::open_at(&Location::named(name)?)
    }

    /// Opens the raw region at `loc`.
    pub fn open_at(loc: &Location) -> Result<Self, ShmError> {
        Ok(RawReader {
            region: Region::open_read(loc.file())?,
        })
    }

    /// The region's file.
    pub fn path(&self) -> &Path {
        self.region.path()
    }

    /// Copies the BMP into `buf`: `bfSize` bytes, checked against the mapping's size.
    /// Nothing guards against a writer changing the bytes meanwhile (that is raw mode).
    pub fn read(&self, buf: &mut Vec<u8>) -> Result<usize, ShmError> {
        let mapped = self.region.len();
        let mut head = vec![0u8; mapped.min(14 + 124)];
        self.region.load_bytes(0, &mut head);
        let declared = RawHeader::read(&head)?.file_size as usize;
        if declared < 14 || declared > mapped {
            return Err(ShmError::RawLength {
                declared: declared as u64,
                mapped: mapped as u64,
            });
        }
        if buf.len() != declared {
            buf.resize(declared, 0);
        }
        self.region.load_bytes(0, buf);
        Ok(declared)
    }
}
