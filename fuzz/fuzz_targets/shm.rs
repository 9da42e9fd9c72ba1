//! The shared-memory layer's parsers on hostile bytes: the framed region header
//! (`Geometry::parse`), the framed reader's slot validation (`Reader::latest` copying out,
//! `Reader::latest_with` in place under a lease when the flags say the writer honours them,
//! `slot_headers`, `leases`) and the raw reader (`RawReader::read`, length from `bfSize`),
//! each on a file holding the fuzz input, then the frame through the decoders. Typed errors
//! only.
//!
//! `Reader::next` is not called: it waits for a newer frame, which no input ever publishes.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shmbmp::shm::{Geometry, Location, RawReader, Reader};
use shmbmp::{Decode, Lut, Naive};

#[path = "common.rs"]
mod common;

/// One file per fuzzing process on tmpfs, rewritten for every input.
fn region_file() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("shmbmp-fuzz-{}", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    // The pure header check: a geometry it accepts fits the bytes it was given.
    if let Ok(g) = Geometry::parse(data, data.len()) {
        let len = g
            .region_len()
            .expect("parse accepted a geometry without a length");
        assert!(
            len <= data.len(),
            "geometry {g} needs {len} bytes, have {}",
            data.len()
        );
        let last = g.payload_at(g.slot_count - 1) + g.slot_capacity as usize;
        assert!(last <= len, "last slot ends at {last}, region is {len}");
    }

    // The readers over a real mapping of the same bytes (never resized while mapped).
    let path = region_file();
    std::fs::write(path, data).expect("write the region file");
    let loc = Location::path(path.clone());
    let limits = common::limits();
    let mut bmp = Vec::new();
    if let Ok(reader) = Reader::open_at(&loc) {
        let mut reader = reader.with_max_frame_bytes(1 << 20);
        let _ = reader.slot_headers();
        let _ = reader.leases();
        let in_place = reader.latest_with(|b| (b.len(), Lut::AUTO.decode(b, &limits)));
        if let Ok((info, (len, _))) = &in_place {
            assert_eq!(info.len, *len);
            assert!(*len as u64 <= reader.geometry().slot_capacity);
        }
        if let Ok(info) = reader.latest(&mut bmp) {
            if let Ok((_, (_, decoded))) = &in_place {
                let copied = Lut::AUTO.decode(&bmp, &limits);
                assert!(
                    *decoded == copied,
                    "decoding in place and from a copy disagree"
                );
            }
            assert_eq!(info.len, bmp.len());
            assert!(bmp.len() as u64 <= reader.geometry().slot_capacity);
            let n = Naive.decode(&bmp, &limits);
            let l = Lut::AUTO.decode(&bmp, &limits);
            assert!(
                n == l,
                "naive and lut disagree on a frame read from a region"
            );
            if let Ok(frame) = &n {
                common::check_frame(frame, &limits);
            }
        }
    }
    if let Ok(raw) = RawReader::open_at(&loc) {
        if let Ok(len) = raw.read(&mut bmp) {
            assert!(len >= 14 && len <= data.len() && bmp.len() == len);
            let _ = Naive.decode(&bmp, &limits);
        }
    }
    // Readers are dropped (unmapped): remove the file so that no run leaves one behind.
    let _ = std::fs::remove_file(path);
});
