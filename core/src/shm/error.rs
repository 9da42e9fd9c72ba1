//! Errors of the shared-memory layer.

use std::path::PathBuf;

use thiserror::Error;

use super::Geometry;
use crate::error::DecodeError;

/// What went wrong with a region; messages name the region and what was found.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ShmError {
    /// The region name cannot be used as a file name under `/dev/shm`.
    #[error("invalid region name {name:?}: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// No region exists at the path.
    #[error("no region at {}: has the writer started? (create one with `shmbmp write --name ...`)", path.display())]
    NotFound {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The operating system refused an operation on the region's file.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done (`creating`, `opening`, `mapping`, ...).
        what: &'static str,
        /// The region's file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The region does not start with `SHMBMP01`.
    #[error("not a framed shmbmp region: magic is {found:02x?}, expected \"SHMBMP01\" (a raw-mode region? use --raw)")]
    BadMagic {
        /// The first 8 bytes found.
        found: [u8; 8],
    },
    /// A header field is out of range.
    #[error("bad region header: {0}")]
    BadHeader(String),
    /// The mapping is smaller than the header says it must be.
    #[error("region too small: its header needs {needed} bytes, the mapping has {len}")]
    TooSmall {
        /// Bytes the header implies.
        needed: u64,
        /// Bytes mapped.
        len: u64,
    },
    /// A region with another geometry already exists under the name.
    #[error("a region with {found} already exists at {} (wanted {wanted}); remove it with `shmbmp rm` or create with --recreate", path.display())]
    StaleGeometry {
        /// The region's file.
        path: PathBuf,
        /// What is there.
        found: Geometry,
        /// What was asked for.
        wanted: Geometry,
    },
    /// A frame is larger than a slot (never truncated).
    #[error("frame of {len} bytes does not fit a slot of {capacity} bytes")]
    FrameTooLarge {
        /// The frame's size.
        len: u64,
        /// The slot capacity.
        capacity: u64,
    },
    /// The reader's own bound on frame size refused a frame before allocating for it.
    #[error("frame of {len} bytes exceeds the reader's limit of {limit} bytes")]
    ReaderLimit {
        /// The frame's size.
        len: u64,
        /// The reader's limit.
        limit: u64,
    },
    /// The writer has not published any frame yet.
    #[error("no frame published yet (latest = 0)")]
    NoFrameYet,
    /// No newer frame arrived in time.
    #[error("no frame newer than {after} within {waited_ms} ms{diagnosis}")]
    Timeout {
        /// The last frame returned (0 = none).
        after: u64,
        /// How long the reader waited.
        waited_ms: u64,
        /// Extra detail, e.g. a slot left mid-write.
        diagnosis: String,
    },
    /// A slot stayed mid-write (odd `seq`) or kept changing through every attempt.
    #[error("frame {frame} in slot {slot} could not be read whole after {attempts} attempts (seq {seq}{})", if seq % 2 == 1 { ", odd: mid-write; did the writer die mid-frame?" } else { "" })]
    Unstable {
        /// The frame wanted.
        frame: u64,
        /// Its slot.
        slot: u32,
        /// The last `seq` seen.
        seq: u64,
        /// Attempts made.
        attempts: u32,
    },
    /// A stable slot holds impossible values.
    #[error("slot {slot} is corrupt: {reason}")]
    CorruptSlot {
        /// The slot.
        slot: u32,
        /// What is wrong.
        reason: String,
    },
    /// A raw-mode region's `bfSize` does not fit the mapping.
    #[error("raw region: bfSize says {declared} bytes but {mapped} are mapped")]
    RawLength {
        /// `bfSize` from the BMP header.
        declared: u64,
        /// The mapping's size.
        mapped: u64,
    },
    /// A frame was read whole but is not a decodable BMP.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}
