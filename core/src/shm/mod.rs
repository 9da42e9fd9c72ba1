//! Named shared-memory regions that carry BMP frames between processes, over `memmap2`.
//!
//! This module knows bytes, not pixels: frames go in and come out as whole BMP files, and
//! any [`Decode`](crate::Decode) turns them into RGBA afterwards.
//!
//! - **Framed mode** ([`Writer`], [`Reader`]): a 64-byte header and `slot_count` slots,
//!   each guarded by a sequence counter (a seqlock), so a reader in another process never
//!   hands its caller a half-written frame. The byte layout is in `PROTOCOL.md`.
//! - **Raw mode** ([`write_raw`], [`RawReader`]): one BMP file at offset 0 and nothing else,
//!   the way the original C# program fills a `MemoryMappedFile`; the length comes from the
//!   BMP's own `bfSize`. Raw mode has no protection against a concurrent writer.
//!
//! A region named `NAME` is the file `/dev/shm/NAME` (what POSIX `shm_open("/NAME")`,
//! Python's `SharedMemory(name=NAME)` and Mono's `MemoryMappedFile.CreateFromFile` over that
//! path all use); [`Location::path`] puts it anywhere else.
//!
//! **Shrinking.** A mapping whose file is truncated under it raises `SIGBUS` on the next
//! access beyond the new end; `memmap2` cannot prevent that. Our writers never shrink a
//! file: a region is sized once when created, reused only with the same geometry, and
//! replaced (`recreate`) by unlinking and creating a new file, which leaves mappings of the
//! old one intact. Readers never read beyond the size measured when they mapped.

mod error;
pub mod layout;
mod reader;
mod region;
mod writer;

pub use error::ShmError;
pub use layout::Geometry;
pub use reader::{FrameInfo, RawReader, ReadStats, Reader, SlotHeader};
pub use region::{now_ns, Location};
pub use writer::{write_raw, CreateOptions, Writer};
