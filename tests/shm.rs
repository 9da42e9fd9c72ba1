//! Shared-memory regions: the protocol under normal use, hostile regions, dead writers,
//! stale regions, and a writer process at full speed against a validating reader.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::region::{KillOnDrop, TempRegion};
use shmbmp_suite::encode::{self, Header, Kind, Spec};
use shmbmp_suite::shm::{
    layout, write_raw, CreateOptions, Geometry, Location, RawReader, Reader, ShmError, Writer,
};
use shmbmp_suite::{Decode, Limits, Lut};

fn small_frames() -> Vec<Vec<u8>> {
    ["pal8", "rgb24", "rgb16_565", "rle8"]
        .iter()
        .map(|n| encode::encode(&encode::fixture(n).unwrap().spec))
        .collect()
}

/// Writes each frame as `DIR/<i>.bmp` and returns the paths, for a writer process.
fn write_files(dir: &std::path::Path, frames: &[Vec<u8>]) -> Vec<std::path::PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let p = dir.join(format!("{i}.bmp"));
            std::fs::write(&p, f).unwrap();
            p
        })
        .collect()
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_shmbmp")
}

#[test]
fn frames_round_trip_in_order_and_decode_identically() {
    let r = TempRegion::new("roundtrip");
    let frames = small_frames();
    let cap = frames.iter().map(Vec::len).max().unwrap() as u64;
    let mut w = Writer::create(&r.name, 3, cap).unwrap();
    let mut reader = Reader::open(&r.name).unwrap();
    let (mut bmp, mut rgba) = (Vec::new(), Vec::new());
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(w.publish(f).unwrap(), i as u64 + 1);
        let (info, dims) = reader
            .next_decoded(Duration::from_secs(1), &mut bmp, |b| {
                Lut::AUTO.decode_into(b, &Limits::default(), &mut rgba)
            })
            .unwrap();
        assert_eq!((info.frame, info.len), (i as u64 + 1, f.len()));
        assert_eq!(&bmp, f);
        let want = Lut::AUTO.decode(f, &Limits::default()).unwrap();
        assert_eq!(
            (dims.width, dims.height, &rgba),
            (want.width, want.height, &want.rgba)
        );
    }
    assert_eq!(reader.stats().frames, 4);
    assert_eq!(reader.stats().torn, 0);
}

#[test]
fn a_reader_before_any_writer_gets_clear_errors() {
    let r = TempRegion::new("early");
    let err = Reader::open(&r.name).err().unwrap();
    assert!(matches!(err, ShmError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("has the writer started"), "{err}");
    let _w = Writer::create(&r.name, 3, 64).unwrap();
    let mut reader = Reader::open(&r.name).unwrap();
    assert!(matches!(
        reader.latest(&mut Vec::new()),
        Err(ShmError::NoFrameYet)
    ));
    let err = reader
        .next(&mut Vec::new(), Duration::from_millis(30))
        .unwrap_err();
    assert!(matches!(err, ShmError::Timeout { after: 0, .. }), "{err}");
}

fn write_file(path: &std::path::Path, bytes: &[u8]) {
    std::fs::File::create(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

#[test]
fn hostile_regions_are_typed_errors() {
    let r = TempRegion::new("hostile");
    let g = Geometry::new(3, 64).unwrap();
    let good = g.header_bytes();
    let len = g.region_len().unwrap();

    let mut bad = vec![0u8; len];
    bad[..8].copy_from_slice(b"NOTSHMBM");
    write_file(&r.path(), &bad);
    assert!(matches!(
        Reader::open(&r.name),
        Err(ShmError::BadMagic { .. })
    ));

    let mut short = good.to_vec();
    short.resize(len - 1, 0);
    write_file(&r.path(), &short);
    assert!(matches!(
        Reader::open(&r.name),
        Err(ShmError::TooSmall { .. })
    ));

    write_file(&r.path(), &good[..40]);
    assert!(matches!(
        Reader::open(&r.name),
        Err(ShmError::TooSmall { .. })
    ));

    let mut zero_slots = good.to_vec();
    zero_slots.resize(len, 0);
    zero_slots[8..12].copy_from_slice(&0u32.to_le_bytes());
    write_file(&r.path(), &zero_slots);
    assert!(matches!(Reader::open(&r.name), Err(ShmError::BadHeader(_))));

    // The header claims more capacity than the file holds.
    let mut big_cap = good.to_vec();
    big_cap.resize(len, 0);
    big_cap[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes());
    write_file(&r.path(), &big_cap);
    assert!(matches!(
        Reader::open(&r.name),
        Err(ShmError::TooSmall { .. })
    ));

    // A slot whose len exceeds the capacity while stable is corrupt, not a huge allocation.
    let mut lying = good.to_vec();
    lying.resize(len, 0);
    lying[24..32].copy_from_slice(&1u64.to_le_bytes()); // latest = 1
    let slot = g.slot_at(0);
    lying[slot + 8..slot + 16].copy_from_slice(&1u64.to_le_bytes()); // frame 1
    lying[slot + 16..slot + 24].copy_from_slice(&u64::MAX.to_le_bytes()); // len
    write_file(&r.path(), &lying);
    let err = Reader::open(&r.name)
        .unwrap()
        .latest(&mut Vec::new())
        .unwrap_err();
    assert!(
        matches!(err, ShmError::CorruptSlot { slot: 0, .. }),
        "{err}"
    );
}

#[test]
fn oversized_frames_and_reader_limits_are_refused() {
    let r = TempRegion::new("sizes");
    let mut w = Writer::create(&r.name, 2, 64).unwrap();
    let err = w.publish(&[0u8; 65]).unwrap_err();
    assert!(
        matches!(
            err,
            ShmError::FrameTooLarge {
                len: 65,
                capacity: 64
            }
        ),
        "{err}"
    );
    w.publish(&[1u8; 64]).unwrap();
    let mut reader = Reader::open(&r.name).unwrap().with_max_frame_bytes(32);
    assert!(matches!(
        reader.latest(&mut Vec::new()),
        Err(ShmError::ReaderLimit { len: 64, limit: 32 })
    ));
}

#[test]
fn a_writer_dead_mid_frame_is_never_read_and_is_diagnosed() {
    let frames = small_frames();
    // Three slots: the last whole frame stays readable; the next one never arrives.
    let r = TempRegion::new("dead3");
    let mut w = Writer::create(&r.name, 3, 64 * 1024).unwrap();
    w.publish(&frames[0]).unwrap();
    w.begin_and_abandon(&frames[1]);
    let mut reader = Reader::open(&r.name).unwrap();
    let mut buf = Vec::new();
    assert_eq!(reader.latest(&mut buf).unwrap().frame, 1);
    assert_eq!(buf, frames[0]);
    let err = reader
        .next(&mut buf, Duration::from_millis(30))
        .unwrap_err();
    assert!(err.to_string().contains("mid-write"), "{err}");

    // One slot: the only frame is the torn one, and the reader says so instead of returning it.
    let r = TempRegion::new("dead1");
    let mut w = Writer::create(&r.name, 1, 64 * 1024).unwrap();
    w.publish(&frames[0]).unwrap();
    w.publish(&frames[1]).unwrap();
    w.begin_and_abandon(&frames[2]);
    let mut reader = Reader::open(&r.name).unwrap();
    let err = reader.latest(&mut buf).unwrap_err();
    assert!(matches!(err, ShmError::Unstable { .. }), "{err}");
    assert!(
        err.to_string().contains("did the writer die mid-frame"),
        "{err}"
    );
    assert!(reader.stats().torn > 0);
    assert_eq!(reader.stats().frames, 0);

    // A new writer on the same region recovers it and numbering continues.
    let mut w = Writer::create(&r.name, 1, 64 * 1024).unwrap();
    assert_eq!(w.publish(&frames[3]).unwrap(), 3);
    assert_eq!(reader.latest(&mut buf).unwrap().frame, 3);
    assert_eq!(buf, frames[3]);
}

#[test]
fn a_writer_process_killed_at_full_speed_leaves_only_whole_frames() {
    let r = TempRegion::new("killed");
    let dir = std::env::temp_dir().join(format!("shmbmp-killed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let frames = small_frames();
    let files = write_files(&dir, &frames);
    let child = Command::new(bin())
        .args(["write", "--name", &r.name, "--count", "0"])
        .args(&files)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut buf = Vec::new();
    let mut reader = loop {
        if let Ok(mut rd) = Reader::open(&r.name) {
            if rd.next(&mut buf, Duration::from_secs(10)).is_ok() {
                break rd;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    std::thread::sleep(Duration::from_millis(50));
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let info = reader.latest(&mut buf).unwrap();
    assert_eq!(
        buf,
        frames[((info.frame - 1) % 4) as usize],
        "frame {} is not whole",
        info.frame
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stale_regions_of_another_geometry_are_refused_or_recreated() {
    let r = TempRegion::new("stale");
    let loc = Location::named(&r.name).unwrap();
    let mut old = Writer::create(&r.name, 3, 1024).unwrap();
    old.publish(&[7u8; 1000]).unwrap();
    let mut old_reader = Reader::open(&r.name).unwrap();
    let err = Writer::create(&r.name, 2, 4096).err().unwrap();
    assert!(matches!(err, ShmError::StaleGeometry { .. }), "{err}");
    assert!(err.to_string().contains("--recreate"), "{err}");
    // Same geometry: reused, numbering continues.
    let mut same = Writer::create(&r.name, 3, 1024).unwrap();
    assert_eq!(same.publish(&[8u8; 10]).unwrap(), 2);
    // Recreate: a new file; the old mapping stays valid (never shrunk, no SIGBUS).
    let g = Geometry::new(2, 4096).unwrap();
    let mut new = Writer::create_at(
        &loc,
        g,
        CreateOptions {
            recreate: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(new.publish(&[9u8; 4000]).unwrap(), 1);
    let mut buf = Vec::new();
    assert_eq!(old_reader.latest(&mut buf).unwrap().frame, 2);
    assert_eq!(
        Reader::open(&r.name).unwrap().latest(&mut buf).unwrap().len,
        4000
    );
}

#[test]
fn regions_are_private_by_default() {
    use std::os::unix::fs::PermissionsExt;
    let r = TempRegion::new("mode");
    let _w = Writer::create(&r.name, 1, 8).unwrap();
    assert_eq!(
        std::fs::metadata(r.path()).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let r2 = TempRegion::new("mode644");
    let loc = Location::named(&r2.name).unwrap();
    let opts = CreateOptions {
        mode: 0o644,
        recreate: false,
    };
    let _w = Writer::create_at(&loc, Geometry::new(1, 8).unwrap(), opts).unwrap();
    assert_eq!(
        std::fs::metadata(r2.path()).unwrap().permissions().mode() & 0o777,
        0o644
    );
}

#[test]
fn raw_mode_reads_the_seed_layout_and_checks_bfsize() {
    let r = TempRegion::new("raw");
    let loc = Location::named(&r.name).unwrap();
    let seed = encode::seed_frame();
    write_raw(&loc, &seed, 0o600).unwrap();
    let mut buf = Vec::new();
    assert_eq!(
        RawReader::open(&r.name).unwrap().read(&mut buf).unwrap(),
        1_921_078
    );
    assert_eq!(buf, seed);
    // A larger region (C#'s capacity) holds the BMP at offset 0; bfSize gives the length.
    let small = encode::encode(&Spec {
        width: 3,
        height: 2,
        header: Header::Info,
        kind: Kind::Rgb24,
        top_down: false,
    });
    write_raw(&loc, &small, 0o600).unwrap();
    assert_eq!(
        RawReader::open(&r.name).unwrap().read(&mut buf).unwrap(),
        small.len()
    );
    assert_eq!(
        std::fs::metadata(r.path()).unwrap().len(),
        1_921_078,
        "never shrunk"
    );
    // bfSize larger than the mapping is refused.
    let mut lying = small.clone();
    lying[2..6].copy_from_slice(&5_000_000u32.to_le_bytes());
    write_raw(&loc, &lying, 0o600).unwrap();
    assert!(matches!(
        RawReader::open(&r.name).unwrap().read(&mut buf),
        Err(ShmError::RawLength { .. })
    ));
}

/// A writer process at full speed, a reader validating every frame: at least 10,000
/// frames, none torn; the counts are printed (`cargo test -- --nocapture` shows them).
#[test]
fn ten_thousand_frames_at_full_speed_none_torn() {
    let r = TempRegion::new("stress");
    let dir = std::env::temp_dir().join(format!("shmbmp-stress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Four distinct 64×64 frames; frame n must equal file (n - 1) % 4 exactly.
    let frames: Vec<Vec<u8>> = [
        Kind::Rgb24,
        Kind::Rgb32,
        Kind::Rle8 { colors: 256 },
        Kind::Indexed {
            bpp: 8,
            colors: 256,
            stray: false,
        },
    ]
    .iter()
    .map(|&kind| {
        encode::encode(&Spec {
            width: 64,
            height: 64,
            header: Header::Info,
            kind,
            top_down: false,
        })
    })
    .collect();
    let files = write_files(&dir, &frames);
    let child = Command::new(bin())
        .args([
            "write",
            "--name",
            &r.name,
            "--count",
            "0",
            "--slots",
            &layout::DEFAULT_SLOTS.to_string(),
        ])
        .args(&files)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _child = KillOnDrop(child);
    let mut buf = Vec::new();
    let mut reader = loop {
        if let Ok(rd) = Reader::open(&r.name) {
            break rd;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let mut validated = 0u64;
    while validated < 10_000 {
        let info = reader.next(&mut buf, Duration::from_secs(10)).unwrap();
        let want = &frames[((info.frame - 1) % 4) as usize];
        assert!(buf == *want, "frame {} accepted but not whole", info.frame);
        validated += 1;
    }
    let s = reader.stats();
    println!("stress: {validated} frames validated, torn attempts {} (0 accepted), overtaken {}, skipped {}", s.torn, s.overtaken, s.skipped);
    std::fs::remove_dir_all(&dir).unwrap();
}
