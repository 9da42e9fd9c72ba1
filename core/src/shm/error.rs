//! Errors of the shared-memory layer.

use std::path::PathBuf;

use thiserror::Error;

use super::layout::HeaderError;
use super::Geometry;
use crate::error::DecodeError;

/// What went wrong with a region; messages name the region and what was found.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ShmError {
    /// The region name cannot name a region on this platform.
    #[error("invalid region name {name:?}: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// No region exists there.
    #[error("{}", not_found(path, *held_only))]
    NotFound {
        /// Where it was looked for: the file, or the name of a region that is no file.
        path: PathBuf,
        /// Whether a region of this kind exists only while a process holds it open (a
        /// Windows named section), so that it vanishes when its writer exits.
        held_only: bool,
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
    /// The region's header was refused (wrong version, not a region, out-of-range fields).
    #[error("{}: {source}", path.display())]
    Header {
        /// The region's file.
        path: PathBuf,
        /// What is wrong with it.
        source: HeaderError,
    },
    /// Another process holds the region's writer lock.
    #[error("{} already has a writer{}: one writer per region (stop it first, or use another name)", path.display(), pid.map(|p| format!(" (pid {p}, as its header says)")).unwrap_or_default())]
    WriterRunning {
        /// The region's file.
        path: PathBuf,
        /// The holder's process id as the region header records it, when it does.
        pid: Option<u32>,
    },
    /// A writer holds the region that was to be removed.
    #[error("{} has a live writer{}: stop it first, or remove anyway with --force (the writer then goes on writing into a file no new reader can open)", path.display(), pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    InUse {
        /// The region's file.
        path: PathBuf,
        /// The writer's process id as the region header records it, when it does.
        pid: Option<u32>,
    },
    /// An existing file is not safe to publish frames into.
    #[error("refusing to use {}: {reason}; remove it (`shmbmp rm`) or pick another name", path.display())]
    Untrusted {
        /// The file.
        path: PathBuf,
        /// Who owns it or what its mode is.
        reason: String,
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
    #[error("no frame published yet{writer}")]
    NoFrameYet {
        /// Whether a writer holds the region, in words.
        writer: String,
    },
    /// No newer frame arrived in time.
    #[error("no frame newer than {after} within {waited_ms} ms{diagnosis}")]
    Timeout {
        /// The last frame returned (0 = none).
        after: u64,
        /// How long the reader waited.
        waited_ms: u64,
        /// Extra detail: whether the writer is alive, a slot left mid-write.
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
    /// A stable slot or the `latest` word holds impossible values.
    #[error("slot {slot} is corrupt: {reason}")]
    CorruptSlot {
        /// The slot.
        slot: u32,
        /// What is wrong.
        reason: String,
    },
    /// A raw-mode read of a framed region.
    #[error("{} is a framed region (it starts with \"{}\"), not a raw one: drop --raw", path.display(), magic.escape_ascii())]
    Framed {
        /// The region's file.
        path: PathBuf,
        /// Its first 8 bytes.
        magic: [u8; 8],
    },
    /// A raw-mode region that does not start with a BMP file.
    #[error("{} is not a raw region: it {found}; a raw region starts with a BMP file (\"BM\")", path.display())]
    NotRaw {
        /// The region's file.
        path: PathBuf,
        /// What it holds instead, in words (`is empty`, `starts with "..." (hex ..)`).
        found: String,
    },
    /// A raw-mode region's `bfSize` does not fit the mapping.
    #[error("{}: raw region's bfSize says {declared} bytes but {mapped} are mapped", path.display())]
    RawLength {
        /// The region's file.
        path: PathBuf,
        /// `bfSize` from the BMP header.
        declared: u64,
        /// The mapping's size.
        mapped: u64,
    },
    /// A frame was read whole but is not a decodable BMP.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

fn not_found(path: &std::path::Path, held_only: bool) -> String {
    if held_only {
        format!(
            "no block named {} — on Windows it exists only while a writer holds it open (has \
             the writer started, and is it still running?)",
            path.display()
        )
    } else {
        format!(
            "no region at {}: has the writer started? (create one with `shmbmp write --name ...`)",
            path.display()
        )
    }
}
