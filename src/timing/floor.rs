//! The two floors every timing compares with, and the buffers they run on.

use std::hint::black_box;
use std::ops::{Deref, DerefMut};

use shmbmp::decode::output_buffer;

/// Alignment of [`FloorBuffer`]s: a 4 KiB page.
const PAGE: usize = 4096;

/// A byte buffer that starts on a 4 KiB page boundary, for the floors' source and
/// destination.
///
/// Where two buffers start relative to each other moves `memcpy` a lot on some CPUs: on the
/// Zen 3 this suite was built on, copying 16 KiB took 175 ns with source and destination at
/// the same offset in their pages and 8.2 µs (47×) with the destination 16 bytes further on
/// (glibc's `rep movsb` path), which is where two `Vec`s from malloc happened to land. Both
/// floors start their buffers on a page boundary, the fast case, so the floor measures
/// the copy and not where malloc put it.
pub struct FloorBuffer {
    bytes: Vec<u8>,
    start: usize,
    len: usize,
}

impl FloorBuffer {
    /// `len` bytes of `fill`, starting on a page boundary, in the kind of buffer our decoders
    /// allocate for their output ([`output_buffer`]: huge pages where the OS offers them), so
    /// that a floor and a decode write through the same pages.
    pub fn new(len: usize, fill: u8) -> FloorBuffer {
        let mut bytes = output_buffer(len + PAGE);
        bytes.fill(fill);
        let start = bytes.as_ptr().align_offset(PAGE);
        FloorBuffer { bytes, start, len }
    }
}

impl Deref for FloorBuffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[self.start..self.start + self.len]
    }
}

impl DerefMut for FloorBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[self.start..self.start + self.len]
    }
}

/// The memcpy floor: copy `src` into `dst`, as the least a decoder reading its whole output
/// size would do.
pub fn memcpy_floor(src: &[u8], dst: &mut [u8]) {
    dst.copy_from_slice(black_box(src));
    black_box(dst);
}

/// The write floor: fill `dst` once, the least any decoder must do (every output byte
/// written once, nothing read).
pub fn write_floor(dst: &mut [u8]) {
    dst.fill(black_box(0x5a));
    black_box(dst);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_buffers_start_on_a_page_and_hold_what_was_asked() {
        for len in [0, 1, 16384, 100_000] {
            let (src, mut dst) = (FloorBuffer::new(len, 7), FloorBuffer::new(len, 0));
            assert_eq!(src.as_ptr() as usize % PAGE, 0);
            assert_eq!(dst.as_ptr() as usize % PAGE, 0);
            assert_eq!((src.len(), dst.len()), (len, len));
            memcpy_floor(&src, &mut dst);
            assert!(dst.iter().all(|&b| b == 7));
            write_floor(&mut dst);
            assert!(dst.iter().all(|&b| b == 0x5a));
        }
    }
}
