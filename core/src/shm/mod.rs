//! Named shared-memory regions that carry BMP frames between processes.
//!
//! This module knows bytes, not pixels: frames go in and come out as whole BMP files, and
//! any [`Decode`](crate::Decode) turns them into RGBA, where they lie or from a copy.
//!
//! - **Framed mode** ([`Writer`], [`Reader`]), protocol `SHMBMP02`: a 4096-byte header and
//!   `slot_count` slots, each guarded by a sequence counter (a seqlock), so a reader in
//!   another process never hands its caller a half-written frame. One writer per region,
//!   enforced by a lock on the region file that dies with its process. Readers sleep until
//!   the writer wakes them (a futex on Linux), and decode in place from a slot they pin
//!   with a lease that the writer never overwrites. The byte layout is in `PROTOCOL.md`.
//! - **Raw mode** ([`write_raw`], [`RawReader`]): one BMP file at offset 0 and nothing else,
//!   the way the original C# program fills a `MemoryMappedFile`; the length comes from the
//!   BMP's own `bfSize`. Raw mode has no protection against a concurrent writer.
//!
//! Where a region named `NAME` lives ([`Location::named`]):
//!
//! - **Linux**: the file `/dev/shm/NAME` (what POSIX `shm_open("/NAME")`, Python's
//!   `SharedMemory(name=NAME)` and Mono's `MemoryMappedFile.CreateFromFile` over that path
//!   all use). Symlinks are never followed, and a writer reuses an existing file only if
//!   this user owns it with a mode no wider than asked.
//! - **Windows**: the named section `NAME` that C#'s `MemoryMappedFile.CreateOrOpen(NAME,
//!   ..)` and Python's `mmap.mmap(-1, len, NAME)` make (`test1` is `Local\test1`, the
//!   session's; `Global\NAME` the machine's). It exists only while some process holds it
//!   open: a raw block vanishes when its writer exits.
//! - **macOS**: the POSIX object `shm_open("/NAME")` (compile-checked only).
//!
//! [`Location::path`] puts a region in any file, on every platform.
//!
//! What the operating system provides (regions, locks, sleeping and waking) sits behind the
//! small interface of the private `sys` module, one backend per platform; everything else
//! here is platform-neutral.
//!
//! **Shrinking.** A mapping whose file is truncated under it raises `SIGBUS` on the next
//! access beyond the new end; nothing in a mapping can prevent that. Our writers never
//! shrink a file: a region is sized once when created, reused only with the same geometry,
//! and replaced (`recreate`) by unlinking and creating a new file, which leaves mappings of
//! the old one intact. Readers never read beyond the size measured when they mapped.

mod error;
pub mod layout;
mod reader;
mod region;
mod standby;
mod sys;
#[cfg(all(test, windows))]
mod windows_tests;
mod writer;

pub use error::ShmError;
pub use layout::{Geometry, HeaderError};
pub use reader::{FrameInfo, LeaseInfo, RawReader, ReadStats, Reader, SlotHeader, WriterStatus};
pub use region::{now_ns, Location};
pub use writer::{remove, write_raw, CreateOptions, RawRegion, WriteStats, Writer};
