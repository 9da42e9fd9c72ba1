//! The framed region's byte layout (see PROTOCOL.md): constants and validation of the
//! region header, as pure functions over bytes.
//!
//! ```text
//! region header (64 bytes)          slot i at 64 + i * (64 + slot_capacity)
//!  0  magic "SHMBMP01"               0  seq u64 (odd while being written)
//!  8  slot_count u32 (>= 1)          8  frame u64 (1, 2, 3, ...)
//! 12  reserved u32 = 0              16  len u64 (BMP bytes in the payload)
//! 16  slot_capacity u64             24  written_ns u64 (CLOCK_REALTIME)
//! 24  latest u64 (0 = none yet)     32  reserved
//! 32  reserved                      64  payload: slot_capacity bytes, one BMP file
//! ```

use super::ShmError;

/// The 8 ASCII bytes every framed region starts with.
pub const MAGIC: &[u8; 8] = b"SHMBMP01";
/// Size of the region header and of each slot header.
pub const HEADER_LEN: usize = 64;
/// Offset of `slot_count` (u32) in the region header.
pub const SLOT_COUNT_AT: usize = 8;
/// Offset of `slot_capacity` (u64) in the region header.
pub const SLOT_CAPACITY_AT: usize = 16;
/// Offset of `latest` (u64) in the region header.
pub const LATEST_AT: usize = 24;
/// Offset of `seq` (u64) in a slot header.
pub const SEQ_AT: usize = 0;
/// Offset of `frame` (u64) in a slot header.
pub const FRAME_AT: usize = 8;
/// Offset of `len` (u64) in a slot header.
pub const LEN_AT: usize = 16;
/// Offset of `written_ns` (u64) in a slot header.
pub const WRITTEN_NS_AT: usize = 24;
/// Default number of slots.
pub const DEFAULT_SLOTS: u32 = 3;
/// Most slots a region may declare (bounds the header check of a hostile region).
pub const MAX_SLOTS: u32 = 1024;

/// The shape of a framed region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Number of slots (frames in flight).
    pub slot_count: u32,
    /// Most BMP bytes one slot holds; a multiple of 8 so every slot header stays aligned.
    pub slot_capacity: u64,
}

impl std::fmt::Display for Geometry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} slots of {} bytes",
            self.slot_count, self.slot_capacity
        )
    }
}

impl Geometry {
    /// Checks the geometry and returns it; capacity must be a non-zero multiple of 8.
    pub fn new(slot_count: u32, slot_capacity: u64) -> Result<Self, ShmError> {
        if slot_count == 0 || slot_count > MAX_SLOTS {
            return Err(ShmError::BadHeader(format!(
                "slot_count is {slot_count}; it must be 1..={MAX_SLOTS}"
            )));
        }
        if slot_capacity == 0 || !slot_capacity.is_multiple_of(8) {
            return Err(ShmError::BadHeader(format!(
                "slot_capacity is {slot_capacity}; it must be a non-zero multiple of 8"
            )));
        }
        let g = Geometry {
            slot_count,
            slot_capacity,
        };
        g.region_len()?;
        Ok(g)
    }

    /// Bytes from one slot header to the next (for a geometry [`Geometry::new`] accepted).
    pub fn slot_stride(&self) -> u64 {
        HEADER_LEN as u64 + self.slot_capacity
    }

    /// Offset of slot `i`'s header.
    pub fn slot_at(&self, i: u32) -> usize {
        HEADER_LEN + i as usize * self.slot_stride() as usize
    }

    /// The slot frame `n` (1-based) goes into: `(n - 1) % slot_count`.
    pub fn slot_of(&self, frame: u64) -> u32 {
        ((frame - 1) % u64::from(self.slot_count)) as u32
    }

    /// Total region size in bytes, or an error if it does not fit in memory.
    pub fn region_len(&self) -> Result<usize, ShmError> {
        self.slot_capacity
            .checked_add(HEADER_LEN as u64)
            .and_then(|stride| stride.checked_mul(u64::from(self.slot_count)))
            .and_then(|n| n.checked_add(HEADER_LEN as u64))
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or_else(|| {
                ShmError::BadHeader(format!(
                    "{} slots of {} bytes do not fit in the address space",
                    self.slot_count, self.slot_capacity
                ))
            })
    }

    /// Validates a region header read from a mapping of `mapped_len` bytes.
    pub fn parse(header: &[u8], mapped_len: usize) -> Result<Self, ShmError> {
        if header.len() < HEADER_LEN || mapped_len < HEADER_LEN {
            return Err(ShmError::TooSmall {
                needed: HEADER_LEN as u64,
                len: mapped_len as u64,
            });
        }
        if &header[..8] != MAGIC {
            return Err(ShmError::BadMagic {
                found: header[..8].try_into().expect("8 bytes"),
            });
        }
        let slot_count = u32::from_le_bytes(
            header[SLOT_COUNT_AT..SLOT_COUNT_AT + 4]
                .try_into()
                .expect("4 bytes"),
        );
        let cap = u64::from_le_bytes(
            header[SLOT_CAPACITY_AT..SLOT_CAPACITY_AT + 8]
                .try_into()
                .expect("8 bytes"),
        );
        let g = Geometry::new(slot_count, cap)?;
        let needed = g.region_len()?;
        if mapped_len < needed {
            return Err(ShmError::TooSmall {
                needed: needed as u64,
                len: mapped_len as u64,
            });
        }
        Ok(g)
    }

    /// The 64-byte region header for this geometry, with `latest = 0`.
    pub fn header_bytes(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        h[SLOT_COUNT_AT..SLOT_COUNT_AT + 4].copy_from_slice(&self.slot_count.to_le_bytes());
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
        let g = Geometry::new(3, 1_921_080).unwrap();
        let h = g.header_bytes();
        assert_eq!(Geometry::parse(&h, g.region_len().unwrap()).unwrap(), g);
        assert_eq!(g.slot_at(0), 64);
        assert_eq!(g.slot_at(2), 64 + 2 * (64 + 1_921_080));
        assert_eq!((g.slot_of(1), g.slot_of(3), g.slot_of(4)), (0, 2, 0));
    }

    #[test]
    fn hostile_headers_are_typed_errors() {
        let g = Geometry::new(3, 64).unwrap();
        let mut h = g.header_bytes();
        assert!(matches!(
            Geometry::parse(&h, 100),
            Err(ShmError::TooSmall { .. })
        ));
        assert!(matches!(
            Geometry::parse(&h[..10], 1000),
            Err(ShmError::TooSmall { .. })
        ));
        h[0] = b'X';
        assert!(matches!(
            Geometry::parse(&h, 1 << 20),
            Err(ShmError::BadMagic { .. })
        ));
        let mut h = g.header_bytes();
        h[8..12].copy_from_slice(&0u32.to_le_bytes());
        assert!(matches!(
            Geometry::parse(&h, 1 << 20),
            Err(ShmError::BadHeader(_))
        ));
        let mut h = g.header_bytes();
        h[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(Geometry::parse(&h, 1 << 20).is_err());
        h[16..24].copy_from_slice(&(u64::MAX - 7).to_le_bytes());
        assert!(Geometry::parse(&h, 1 << 20).is_err());
    }
}
