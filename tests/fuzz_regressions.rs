//! Inputs that once crashed, hung or misbehaved in a decoder or parser of ours, minimised,
//! kept as regression tests. Each says how it was found and what was wrong.
//!
//! Run with `cargo test --test fuzz_regressions`. New crashes from `cargo fuzz`: minimise
//! with `cargo fuzz tmin`, then add the bytes here (see fuzz/README.md).

use std::sync::mpsc;
use std::time::Duration;

use shmbmp_suite::encode::{Header, RawFile};
use shmbmp_suite::shm::{layout, Geometry, Location, Reader};
use shmbmp_suite::{DecodeError, Limits};

use shmbmp::decode::all as ours;

/// A 40-byte-header BMP: `w` × `h`, `bpp`, `compression`, the 12 bytes of BI_BITFIELDS
/// masks when given, then `data` at the offset right after.
fn bmp(
    w: i32,
    h: i32,
    bpp: u16,
    compression: u32,
    masks: Option<[u32; 3]>,
    data: &[u8],
) -> Vec<u8> {
    RawFile {
        header: Header::Info,
        width: w,
        height: h,
        bpp,
        compression,
        masks: masks.map(|[r, g, b]| [r, g, b, 0]),
        palette: &[],
        data,
    }
    .encode()
}

/// Found reading `format/masks.rs` while writing tests/malformed.rs (the fuzzers had not
/// reached it yet): a 32-bit BI_BITFIELDS file whose red mask is 0xffffffff.
/// `Channel::from_mask` computed `(mask >> 0) >> 32`: a shift-overflow panic with debug
/// assertions, and in release a wrapped shift that refused the valid mask.
/// Fixed in `src/format/masks.rs` with `checked_shr`.
#[test]
fn full_32_bit_red_mask() {
    let b = bmp(
        1,
        1,
        32,
        3,
        Some([u32::MAX, 0, 0]),
        &0x8000_0000u32.to_le_bytes(),
    );
    for d in ours() {
        let name = d.name();
        let f = d
            .decode(&b, &Limits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(f.rgba, [128, 0, 0, 255], "{name}");
    }
}

/// Found reading `format/limits.rs`: with `Limits::unlimited()`, a 64-byte RLE8 file
/// claiming (2^31 - 1) × (2^31 - 1) pixels passed the header checks (RLE has no pixel-data
/// size to check), and every decoder panicked with "capacity overflow" resizing the output:
/// w·h·4 is below `usize::MAX` but above `isize::MAX`, the most a `Vec` holds. Fixed in
/// `src/format/limits.rs`: the output size is capped at `isize::MAX`.
#[test]
fn rle_output_over_isize_max_without_limits() {
    let mut b = bmp(i32::MAX, i32::MAX, 8, 1, None, &[0, 1]);
    b.resize(64, 0);
    for d in ours() {
        let name = d.name();
        let e = d.decode(&b, &Limits::unlimited()).expect_err(name);
        assert!(
            matches!(e, DecodeError::LimitExceeded { what: "RGBA output size in bytes", limit, .. } if limit == isize::MAX as u64),
            "{name}: {e:?}"
        );
    }
}

/// Found reading `shm/reader.rs` for the `shm` fuzz target: a framed region whose latest
/// slot stays torn (odd `seq`, e.g. a writer that died mid-frame) makes `Reader::next` spin
/// forever: it checks its timeout only while no newer frame is announced, and a frame that
/// is announced but never readable kept it in the retry branch. Fixed: the timeout is
/// checked on every poll.
#[test]
fn reader_next_returns_within_its_timeout_on_a_torn_slot() {
    let g = Geometry::new(1, 64).unwrap();
    let mut region = vec![0u8; g.region_len().unwrap()];
    region[..layout::REGION_HEADER_LEN].copy_from_slice(&g.header_bytes());
    region[layout::LATEST_AT..][..8].copy_from_slice(&layout::latest_word(1, 0).to_le_bytes());
    let slot = g.slot_at(0);
    region[slot + layout::SEQ_AT..][..8].copy_from_slice(&1u64.to_le_bytes()); // odd: torn
    region[slot + layout::FRAME_AT..][..8].copy_from_slice(&1u64.to_le_bytes());
    let path = std::env::temp_dir().join(format!("shmbmp-torn-{}", std::process::id()));
    std::fs::write(&path, &region).unwrap();
    let mut reader = Reader::open_at(&Location::path(path.clone())).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let r = reader.next(&mut buf, Duration::from_millis(50));
        let _ = tx.send(r.is_err());
    });
    let answered = rx.recv_timeout(Duration::from_secs(3));
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        answered,
        Ok(true),
        "Reader::next did not return within 3 s (timeout 50 ms)"
    );
}
