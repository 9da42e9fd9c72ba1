//! The framed region's byte layout, protocol version 2 (see PROTOCOL.md): constants and
//! validation of the region header, as pure functions over bytes.
//!
//! ```text
//! region header (4096 bytes)              slot i at 4096 + i * (64 + slot_capacity)
//!  0  magic "SHMBMP02"                     0  seq u64 (odd while being written)
//!  8  slot_count u32 (1..=1024)            8  frame u64 (1, 2, 3, ...)
//! 12  lease_count u32 (<= slot_count - 2) 16  len u64 (BMP bytes in the payload)
//! 16  slot_capacity u64                   24  written_ns u64 (CLOCK_REALTIME)
//! 24  latest u64: frame << 16 | slot      32  reserved
//! 32  wake u32 (+1 after each publish)    64  payload: slot_capacity bytes, one BMP file
//! 36  flags u32 (WAKES, LEASES)
//! 40  writer_pid u32 (advisory)
//! 64  lease_count lease words u64: pid << 32 | (slot + 1), 0 = none pinned
//! ```

use std::fmt;

/// The 8 ASCII bytes every framed region of this version starts with.
pub const MAGIC: &[u8; 8] = b"SHMBMP02";
/// What every shmbmp framed region starts with, whatever its version (`SHMBMP0` + digit).
pub const MAGIC_FAMILY: &[u8; 7] = b"SHMBMP0";
/// Size of the region header; slot 0 starts here (a page boundary).
pub const REGION_HEADER_LEN: usize = 4096;
/// Size of each slot's header; its payload follows.
pub const SLOT_HEADER_LEN: usize = 64;
/// Offset of `slot_count` (u32) in the region header.
pub const SLOT_COUNT_AT: usize = 8;
/// Offset of `lease_count` (u32) in the region header.
pub const LEASE_COUNT_AT: usize = 12;
/// Offset of `slot_capacity` (u64) in the region header.
pub const SLOT_CAPACITY_AT: usize = 16;
/// Offset of `latest` (u64: `frame << 16 | slot`) in the region header.
pub const LATEST_AT: usize = 24;
/// Offset of `wake` (u32), the word readers sleep on, in the region header.
pub const WAKE_AT: usize = 32;
/// Offset of `flags` (u32) in the region header.
pub const FLAGS_AT: usize = 36;
/// Offset of `writer_pid` (u32) in the region header.
pub const WRITER_PID_AT: usize = 40;
/// Offset of the first lease word (u64) in the region header.
pub const LEASES_AT: usize = 64;
/// Offset of `seq` (u64) in a slot header.
pub const SEQ_AT: usize = 0;
/// Offset of `frame` (u64) in a slot header.
pub const FRAME_AT: usize = 8;
/// Offset of `len` (u64) in a slot header.
pub const LEN_AT: usize = 16;
/// Offset of `written_ns` (u64) in a slot header.
pub const WRITTEN_NS_AT: usize = 24;
/// `flags` bit: the writer bumps `wake` and wakes its sleepers after every publish.
pub const FLAG_WAKES: u32 = 1;
/// `flags` bit: the writer never writes a slot a lease word pins.
pub const FLAG_LEASES: u32 = 2;
/// Byte of the region file the writer's lock covers.
pub const WRITER_LOCK_BYTE: u64 = 0;
/// Default number of slots: two in-place readers at once.
pub const DEFAULT_SLOTS: u32 = 4;
/// Most slots a region may declare (bounds the header check of a hostile region).
pub const MAX_SLOTS: u32 = 1024;
/// Most lease words the region header has room for.
pub const MAX_LEASES: u32 = ((REGION_HEADER_LEN - LEASES_AT) / 8) as u32;
/// Slot capacities are multiples of this, so every slot header starts on a cache line.
pub const CAPACITY_ALIGN: u64 = 64;
/// Bits of `latest` that hold the slot index; the frame number is above them.
pub const LATEST_SLOT_BITS: u32 = 16;

/// `latest` for frame `frame` in slot `slot`.
pub fn latest_word(frame: u64, slot: u32) -> u64 {
    (frame << LATEST_SLOT_BITS) | u64::from(slot)
}

/// `(frame, slot)` of a `latest` word; frame 0 means none published yet.
pub fn split_latest(word: u64) -> (u64, u32) {
    (
        word >> LATEST_SLOT_BITS,
        (word & ((1 << LATEST_SLOT_BITS) - 1)) as u32,
    )
}

/// The byte of the region file a reader locks while it holds lease `i`.
pub fn lease_lock_byte(i: u32) -> u64 {
    (LEASES_AT + 8 * i as usize) as u64
}

/// Why a region header was refused; the caller adds the region's path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// Fewer bytes than the header or than the slots it declares.
    TooSmall {
        /// Bytes needed.
        needed: u64,
        /// Bytes there are.
        len: u64,
    },
    /// A shmbmp framed region of another protocol version.
    Version {
        /// The magic found (`SHMBMP01`, ...).
        found: [u8; 8],
    },
    /// A raw-mode region: a BMP file at offset 0.
    RawBmp,
    /// Neither a framed region nor a BMP.
    BadMagic {
        /// The first 8 bytes found.
        found: [u8; 8],
    },
    /// A field out of range.
    Field(String),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::TooSmall { needed, len } if *needed == REGION_HEADER_LEN as u64 => write!(
                f,
                "it is {len} bytes, and a framed region's header alone is {REGION_HEADER_LEN} bytes (is its writer still starting?)"
            ),
            HeaderError::TooSmall { needed, len } => write!(
                f,
                "it is {len} bytes, but its header declares slots needing {needed}"
            ),
            HeaderError::Version { found } => write!(
                f,
                "it speaks shmbmp protocol \"{}\", this shmbmp speaks \"{}\": run a writer and readers of one version (recreate the region with `shmbmp write --recreate`)",
                found.escape_ascii(),
                MAGIC.escape_ascii()
            ),
            HeaderError::RawBmp => write!(
                f,
                "it holds a raw BMP at offset 0 (starts with \"BM\"), not a framed region: use --raw"
            ),
            HeaderError::BadMagic { found } => write!(
                f,
                "not a shmbmp region: it starts with \"{}\" (hex {}), expected \"{}\" (framed) or \"BM\" (raw)",
                found.escape_ascii(),
                hex(found),
                MAGIC.escape_ascii()
            ),
            HeaderError::Field(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for HeaderError {}

/// Bytes as space-separated hex pairs, for messages.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The shape of a framed region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Number of slots (frames in flight).
    pub slot_count: u32,
    /// Lease words: readers that may decode in place at once (at most `slot_count - 2`).
    pub lease_count: u32,
    /// Most BMP bytes one slot holds; a multiple of 64 so every slot header starts a cache line.
    pub slot_capacity: u64,
}

impl fmt::Display for Geometry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} slots of {} bytes, {} leases",
            self.slot_count, self.slot_capacity, self.lease_count
        )
    }
}

/// Most leases `slot_count` slots allow: the writer needs a slot that is neither pinned nor
/// the latest.
pub fn max_leases(slot_count: u32) -> u32 {
    slot_count.saturating_sub(2).min(MAX_LEASES)
}

impl Geometry {
    /// `slot_count` slots of at least `capacity` bytes (rounded up to a multiple of 64),
    /// with as many leases as the slots allow.
    pub fn new(slot_count: u32, capacity: u64) -> Result<Self, HeaderError> {
        let slot_capacity = capacity
            .checked_next_multiple_of(CAPACITY_ALIGN)
            .ok_or_else(|| HeaderError::Field(format!("slot capacity {capacity} is too large")))?;
        Self::exact(slot_count, max_leases(slot_count), slot_capacity)
    }

    /// Checks every field as a header would carry them.
    pub fn exact(
        slot_count: u32,
        lease_count: u32,
        slot_capacity: u64,
    ) -> Result<Self, HeaderError> {
        if slot_count == 0 || slot_count > MAX_SLOTS {
            return Err(HeaderError::Field(format!(
                "slot_count is {slot_count}; it must be 1..={MAX_SLOTS}"
            )));
        }
        if lease_count > max_leases(slot_count) {
            return Err(HeaderError::Field(format!(
                "lease_count is {lease_count}; {slot_count} slots allow at most {}",
                max_leases(slot_count)
            )));
        }
        if slot_capacity == 0 || !slot_capacity.is_multiple_of(CAPACITY_ALIGN) {
            return Err(HeaderError::Field(format!(
                "slot_capacity is {slot_capacity}; it must be a non-zero multiple of {CAPACITY_ALIGN}"
            )));
        }
        let g = Geometry {
            slot_count,
            lease_count,
            slot_capacity,
        };
        g.region_len()?;
        Ok(g)
    }

    /// Bytes from one slot header to the next (for a geometry [`Geometry::exact`] accepted).
    pub fn slot_stride(&self) -> u64 {
        SLOT_HEADER_LEN as u64 + self.slot_capacity
    }

    /// Offset of slot `i`'s header.
    pub fn slot_at(&self, i: u32) -> usize {
        REGION_HEADER_LEN + i as usize * self.slot_stride() as usize
    }

    /// Offset of slot `i`'s payload.
    pub fn payload_at(&self, i: u32) -> usize {
        self.slot_at(i) + SLOT_HEADER_LEN
    }

    /// Offset of lease word `i`.
    pub fn lease_at(&self, i: u32) -> usize {
        LEASES_AT + 8 * i as usize
    }

    /// Total region size in bytes, or an error if it does not fit in memory.
    pub fn region_len(&self) -> Result<usize, HeaderError> {
        self.slot_capacity
            .checked_add(SLOT_HEADER_LEN as u64)
            .and_then(|stride| stride.checked_mul(u64::from(self.slot_count)))
            .and_then(|n| n.checked_add(REGION_HEADER_LEN as u64))
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or_else(|| {
                HeaderError::Field(format!(
                    "{} slots of {} bytes do not fit in the address space",
                    self.slot_count, self.slot_capacity
                ))
            })
    }

    /// Validates a region header read from a mapping of `mapped_len` bytes (`header` may be
    /// shorter than [`REGION_HEADER_LEN`] when the mapping is).
    pub fn parse(header: &[u8], mapped_len: usize) -> Result<Self, HeaderError> {
        let magic: Option<[u8; 8]> = header.get(..8).and_then(|m| m.try_into().ok());
        if let Some(m) = magic {
            if &m != MAGIC && m.starts_with(MAGIC_FAMILY) {
                return Err(HeaderError::Version { found: m });
            }
        }
        if header.len() < REGION_HEADER_LEN || mapped_len < REGION_HEADER_LEN {
            return Err(HeaderError::TooSmall {
                needed: REGION_HEADER_LEN as u64,
                len: mapped_len.min(header.len()) as u64,
            });
        }
        let magic = magic.expect("8 bytes");
        if &magic != MAGIC {
            return Err(if magic.starts_with(b"BM") {
                HeaderError::RawBmp
            } else {
                HeaderError::BadMagic { found: magic }
            });
        }
        let u32_at = |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().expect("4"));
        let cap = u64::from_le_bytes(
            header[SLOT_CAPACITY_AT..SLOT_CAPACITY_AT + 8]
                .try_into()
                .expect("8 bytes"),
        );
        let g = Geometry::exact(u32_at(SLOT_COUNT_AT), u32_at(LEASE_COUNT_AT), cap)?;
        let needed = g.region_len()?;
        if mapped_len < needed {
            return Err(HeaderError::TooSmall {
                needed: needed as u64,
                len: mapped_len as u64,
            });
        }
        Ok(g)
    }

    /// The region header for this geometry: magic, sizes, `latest = 0`, no flags, no leases.
    pub fn header_bytes(&self) -> Vec<u8> {
        let mut h = vec![0u8; REGION_HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        h[SLOT_COUNT_AT..SLOT_COUNT_AT + 4].copy_from_slice(&self.slot_count.to_le_bytes());
        h[LEASE_COUNT_AT..LEASE_COUNT_AT + 4].copy_from_slice(&self.lease_count.to_le_bytes());
        h[SLOT_CAPACITY_AT..SLOT_CAPACITY_AT + 8]
            .copy_from_slice(&self.slot_capacity.to_le_bytes());
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_offsets_follow_the_protocol() {
        let g = Geometry::new(4, 1_921_078).unwrap();
        assert_eq!((g.slot_capacity, g.lease_count), (1_921_088, 2));
        let h = g.header_bytes();
        assert_eq!(Geometry::parse(&h, g.region_len().unwrap()).unwrap(), g);
        assert_eq!(g.slot_at(0), 4096);
        assert_eq!(g.slot_at(2), 4096 + 2 * (64 + 1_921_088));
        assert_eq!(g.payload_at(1), 4096 + 64 + 1_921_088 + 64);
        assert_eq!((g.lease_at(0), g.lease_at(3)), (64, 88));
        assert_eq!(split_latest(latest_word(7, 3)), (7, 3));
        assert_eq!(latest_word(1, 0), 1 << 16);
        assert_eq!(MAX_LEASES, 504);
        assert_eq!(Geometry::new(1, 8).unwrap().lease_count, 0);
        assert_eq!(Geometry::new(1000, 8).unwrap().lease_count, 504);
    }

    #[test]
    fn hostile_headers_are_typed_errors() {
        let g = Geometry::new(3, 64).unwrap();
        let len = g.region_len().unwrap();
        let h = g.header_bytes();
        assert!(matches!(
            Geometry::parse(&h, len - 1),
            Err(HeaderError::TooSmall { .. })
        ));
        assert!(matches!(
            Geometry::parse(&h[..10], 1000),
            Err(HeaderError::TooSmall { needed: 4096, .. })
        ));
        assert!(Geometry::parse(&[], 0)
            .unwrap_err()
            .to_string()
            .contains("header alone is 4096 bytes"));
        let mut bad = h.clone();
        bad[0] = b'X';
        assert!(matches!(
            Geometry::parse(&bad, 1 << 20),
            Err(HeaderError::BadMagic { .. })
        ));
        bad[..2].copy_from_slice(b"BM");
        assert_eq!(Geometry::parse(&bad, 1 << 20), Err(HeaderError::RawBmp));
        let mut old = h.clone();
        old[..8].copy_from_slice(b"SHMBMP01");
        let e = Geometry::parse(&old[..64], 64).unwrap_err();
        assert!(matches!(e, HeaderError::Version { .. }), "{e}");
        assert!(e.to_string().contains("\"SHMBMP01\""), "{e}");
        let mut zero = h.clone();
        zero[8..12].copy_from_slice(&0u32.to_le_bytes());
        assert!(matches!(
            Geometry::parse(&zero, 1 << 20),
            Err(HeaderError::Field(_))
        ));
        let mut leases = h.clone();
        leases[12..16].copy_from_slice(&2u32.to_le_bytes());
        assert!(
            Geometry::parse(&leases, 1 << 20).is_err(),
            "3 slots allow 1 lease"
        );
        let mut cap = h.clone();
        cap[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(Geometry::parse(&cap, 1 << 20).is_err());
        cap[16..24].copy_from_slice(&(u64::MAX - 63).to_le_bytes());
        assert!(Geometry::parse(&cap, 1 << 20).is_err());
        cap[16..24].copy_from_slice(&100u64.to_le_bytes());
        assert!(
            Geometry::parse(&cap, 1 << 20).is_err(),
            "not a multiple of 64"
        );
    }
}
