//! Shared-memory regions: the protocol under normal use, hostile and old-version regions,
//! one writer enforced (in process, across processes, racing creators), trust on reuse,
//! writers and readers killed, readers woken instead of polling, frames decoded where they
//! lie under a lease, and four readers against a writer process at full speed.
//!
//! Unix only: Windows named regions are tested in the core crate (`shm::windows_tests`, under
//! Wine in CI).

#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use std::path::Path;

use common::region::{KillOnDrop, TempRegion};
use shmbmp_suite::encode::{self, Header, Kind, Spec};
use shmbmp_suite::format::PixelLayout;
use shmbmp_suite::shm::{
    layout, remove, write_raw, CreateOptions, Geometry, HeaderError, Location, RawReader, Reader,
    ShmError, Writer, WriterStatus,
};
use shmbmp_suite::{Decode, Limits, Lut, Threads};

fn small_frames() -> Vec<Vec<u8>> {
    ["pal8", "rgb24", "rgb16_565", "rle8"]
        .iter()
        .map(|n| encode::encode(&encode::fixture(n).unwrap().spec))
        .collect()
}

/// Four distinct 64×64 frames: frame n of a looping writer must equal frame (n - 1) % 4.
fn distinct_frames() -> Vec<Vec<u8>> {
    [
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
    .map(|&kind| frame(kind, 64, 64))
    .collect()
}

/// A bottom-up BMP of `kind`, `width` × `height`, with a BITMAPINFOHEADER.
fn frame(kind: Kind, width: u32, height: u32) -> Vec<u8> {
    encode::encode(&Spec {
        width,
        height,
        header: Header::Info,
        kind,
        top_down: false,
    })
}

/// Writes each frame as `DIR/<i>.bmp` and returns the paths, for a writer process.
fn write_files(tag: &str, frames: &[Vec<u8>]) -> Vec<std::path::PathBuf> {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("shm-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
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

/// A `shmbmp write` process looping over `files` forever.
fn writer_process(name: &str, files: &[std::path::PathBuf], extra: &[&str]) -> KillOnDrop {
    let child = common::shmbmp_command()
        .args(["write", "--name", name, "--count", "0"])
        .args(extra)
        .args(files)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    KillOnDrop(child)
}

/// Opens the region once its writer has published a frame.
fn reader_when_ready(name: &str) -> Reader {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = Reader::open(name) {
            if r.latest_number() > 0 {
                return r;
            }
        }
        assert!(Instant::now() < deadline, "the writer never published");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn frames_round_trip_in_order_and_decode_identically_in_place() {
    let r = TempRegion::new("roundtrip");
    let frames = small_frames();
    let cap = frames.iter().map(Vec::len).max().unwrap() as u64;
    let mut w = Writer::create(&r.name, 3, cap).unwrap();
    let mut reader = Reader::open(&r.name).unwrap();
    let mut rgba = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(w.publish(f).unwrap(), i as u64 + 1);
        let (info, (bytes, dims)) = reader
            .next_with(Duration::from_secs(1), |b| {
                (
                    b.to_vec(),
                    Lut::AUTO.decode_into(b, &Limits::default(), &mut rgba),
                )
            })
            .unwrap();
        assert_eq!((info.frame, info.len), (i as u64 + 1, f.len()));
        assert!(info.in_place, "a lease was free: decoded where it lies");
        assert_eq!(&bytes, f);
        let dims = dims.unwrap();
        let want = Lut::AUTO.decode(f, &Limits::default()).unwrap();
        assert_eq!(
            (dims.width, dims.height, &rgba),
            (want.width, want.height, &want.rgba)
        );
        // The copying path hands over the same bytes.
        let mut copy = Vec::new();
        assert_eq!(reader.latest(&mut copy).unwrap().frame, i as u64 + 1);
        assert_eq!(&copy, f);
    }
    let s = reader.stats();
    assert_eq!((s.frames, s.in_place, s.torn), (8, 4, 0));
    assert_eq!(reader.lease(), Some(0));
}

/// A reader that never reads a frame whole while the writer keeps publishing (here a peer
/// announcing frames whose slots hold others, as a writer rewriting slots faster than the
/// reader copies them looks) times out saying so, not that the writer published nothing.
#[test]
fn a_reader_outpaced_by_its_writer_says_so() {
    let r = TempRegion::new("outpaced");
    let frame = &small_frames()[0];
    let mut w = Writer::create(&r.name, 3, frame.len() as u64).unwrap();
    // Every slot then holds a frame numbered above 900, newer than any announced below.
    for _ in 0..1000 {
        w.publish(frame).unwrap();
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(r.path())
        .unwrap();
    // Frame n "in slot 1", which already holds a newer one: overtaken, every time.
    let announce = move |n: u64| {
        std::os::unix::fs::FileExt::write_all_at(
            &file,
            &layout::latest_word(n, 1).to_le_bytes(),
            layout::LATEST_AT as u64,
        )
        .unwrap();
    };
    announce(2);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let announcer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            for n in 3u64..900 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
                announce(n);
            }
        })
    };
    for (reader, why) in [
        (
            Reader::open(&r.name).unwrap().copying(),
            "faster than this reader copies one out",
        ),
        (
            Reader::open(&r.name).unwrap(),
            "does it ignore this reader's pin?",
        ),
    ] {
        let mut reader = reader;
        let err = reader
            .next_with(Duration::from_millis(150), |_| ())
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, ShmError::Timeout { after: 0, .. }), "{text}");
        assert!(
            text.contains("published") && text.contains("frames meanwhile, but each of"),
            "{text}"
        );
        assert!(text.contains(why), "{text}");
        assert!(!text.contains("published nothing new"), "{text}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    announcer.join().unwrap();
}

#[test]
fn a_reader_before_any_writer_gets_clear_errors() {
    let r = TempRegion::new("early");
    let err = Reader::open(&r.name).err().unwrap();
    assert!(matches!(err, ShmError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("has the writer started"), "{err}");
    let w = Writer::create(&r.name, 3, 64).unwrap();
    let mut reader = Reader::open(&r.name).unwrap();
    let err = reader.latest(&mut Vec::new()).unwrap_err();
    assert!(matches!(err, ShmError::NoFrameYet { .. }), "{err}");
    assert!(err.to_string().contains("writer (pid"), "{err}");
    let err = reader
        .next(&mut Vec::new(), Duration::from_millis(30))
        .unwrap_err();
    assert!(matches!(err, ShmError::Timeout { after: 0, .. }), "{err}");
    assert!(
        err.to_string()
            .contains("is alive but published nothing new"),
        "{err}"
    );
    // Alive but idle, then gone: the reader tells them apart.
    assert!(matches!(
        reader.writer().unwrap(),
        WriterStatus::Alive { pid: Some(p) } if p == std::process::id()
    ));
    drop(w);
    assert_eq!(reader.writer().unwrap(), WriterStatus::Gone);
    let err = reader
        .next(&mut Vec::new(), Duration::from_millis(30))
        .unwrap_err();
    assert!(
        err.to_string().contains("no writer holds the region"),
        "{err}"
    );
}

fn write_file(path: &Path, bytes: &[u8]) {
    std::fs::File::create(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

fn header_error(r: &TempRegion) -> HeaderError {
    match Reader::open(&r.name) {
        Err(ShmError::Header { source, path }) => {
            assert_eq!(path, r.path());
            source
        }
        Err(e) => panic!("not a header error: {e}"),
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn hostile_and_foreign_regions_are_typed_errors() {
    let r = TempRegion::new("hostile");
    let g = Geometry::new(3, 64).unwrap();
    let good = g.header_bytes();
    let len = g.region_len().unwrap();

    let mut bad = vec![0u8; len];
    bad[..8].copy_from_slice(b"NOTSHMBM");
    write_file(&r.path(), &bad);
    assert!(matches!(header_error(&r), HeaderError::BadMagic { .. }));

    // The previous protocol version: refused by name, with what to do.
    let mut old = vec![0u8; 64 + 3 * 128];
    old[..8].copy_from_slice(b"SHMBMP01");
    write_file(&r.path(), &old);
    let e = Reader::open(&r.name).err().unwrap().to_string();
    assert!(
        e.contains("\"SHMBMP01\"") && e.contains("\"SHMBMP02\""),
        "{e}"
    );
    // A raw region: "use --raw"; and a framed one read as raw: "drop --raw".
    write_file(&r.path(), &encode::seed_frame());
    assert_eq!(header_error(&r), HeaderError::RawBmp);
    assert!(Reader::open(&r.name)
        .err()
        .unwrap()
        .to_string()
        .contains("--raw"));
    write_file(&r.path(), &good);
    let e = RawReader::open(&r.name)
        .unwrap()
        .read(&mut Vec::new())
        .unwrap_err();
    assert!(matches!(e, ShmError::Framed { .. }), "{e}");
    assert!(e.to_string().contains("drop --raw"), "{e}");
    write_file(&r.path(), b"");
    let e = RawReader::open(&r.name)
        .unwrap()
        .read(&mut Vec::new())
        .unwrap_err();
    assert!(e.to_string().contains("is empty"), "{e}");
    assert!(
        Reader::open(&r.name)
            .err()
            .unwrap()
            .to_string()
            .contains("header alone is 4096 bytes"),
        "an empty file names the header's size"
    );

    let mut short = good.clone();
    short.resize(len - 1, 0);
    write_file(&r.path(), &short);
    assert!(matches!(header_error(&r), HeaderError::TooSmall { .. }));

    write_file(&r.path(), &good[..40]);
    assert!(matches!(
        header_error(&r),
        HeaderError::TooSmall { needed: 4096, .. }
    ));

    let mut zero_slots = good.clone();
    zero_slots.resize(len, 0);
    zero_slots[8..12].copy_from_slice(&0u32.to_le_bytes());
    write_file(&r.path(), &zero_slots);
    assert!(matches!(header_error(&r), HeaderError::Field(_)));

    // The header claims more capacity than the file holds.
    let mut big_cap = good.clone();
    big_cap.resize(len, 0);
    big_cap[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes());
    write_file(&r.path(), &big_cap);
    assert!(matches!(header_error(&r), HeaderError::TooSmall { .. }));

    // A slot whose len exceeds the capacity while stable is corrupt, not a huge allocation,
    // in place as much as copied.
    let mut lying = good.clone();
    lying.resize(len, 0);
    lying[layout::LATEST_AT..][..8].copy_from_slice(&layout::latest_word(1, 0).to_le_bytes());
    lying[layout::FLAGS_AT..][..4].copy_from_slice(&layout::FLAG_LEASES.to_le_bytes());
    let slot = g.slot_at(0);
    lying[slot + 8..slot + 16].copy_from_slice(&1u64.to_le_bytes()); // frame 1
    lying[slot + 16..slot + 24].copy_from_slice(&u64::MAX.to_le_bytes()); // len
    write_file(&r.path(), &lying);
    let mut reader = Reader::open(&r.name).unwrap();
    let err = reader.latest(&mut Vec::new()).unwrap_err();
    assert!(
        matches!(err, ShmError::CorruptSlot { slot: 0, .. }),
        "{err}"
    );
    let err = reader.latest_with(|b| b.len()).unwrap_err();
    assert!(
        matches!(err, ShmError::CorruptSlot { slot: 0, .. }),
        "{err}"
    );

    // `latest` naming a slot the region does not have.
    lying[layout::LATEST_AT..][..8].copy_from_slice(&layout::latest_word(1, 9).to_le_bytes());
    write_file(&r.path(), &lying);
    let err = Reader::open(&r.name)
        .unwrap()
        .latest(&mut Vec::new())
        .unwrap_err();
    assert!(err.to_string().contains("slot 9"), "{err}");
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
fn a_second_writer_is_refused_and_racing_creators_leave_one_winner() {
    let r = TempRegion::new("two");
    let w = Writer::create(&r.name, 3, 1024).unwrap();
    let err = Writer::create(&r.name, 3, 1024).err().unwrap();
    assert!(matches!(err, ShmError::WriterRunning { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&r.name) && text.contains(&format!("pid {}", std::process::id())),
        "names the region and the holder: {text}"
    );
    // Another geometry is refused for the same reason first: the writer is alive.
    assert!(matches!(
        Writer::create(&r.name, 2, 4096),
        Err(ShmError::WriterRunning { .. })
    ));
    drop(w);
    Writer::create(&r.name, 3, 1024).expect("the lock went with the writer");

    for round in 0..20 {
        let r = TempRegion::new(&format!("race{round}"));
        let barrier = Arc::new(Barrier::new(6));
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let (name, barrier) = (r.name.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    Writer::create(&name, 3, 4096)
                })
            })
            .collect();
        // Winners are kept alive until every thread has answered.
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "round {round}: {winners} writers won");
        for e in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(
                matches!(e, ShmError::WriterRunning { .. }),
                "round {round}: {e}"
            );
        }
    }
}

#[test]
fn a_second_writer_process_is_refused_and_the_first_one_streams_on() {
    let r = TempRegion::new("twoproc");
    let frames = distinct_frames();
    let files = write_files("twoproc", &frames);
    let first = writer_process(&r.name, &files[..1], &["--fps", "200"]);
    let mut reader = reader_when_ready(&r.name);
    let out = common::shmbmp_command()
        .args(["write", "--name", &r.name, "--count", "0"])
        .arg(&files[1])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("already has a writer") && err.contains(&format!("pid {}", first.0.id())),
        "{err}"
    );
    let mut buf = Vec::new();
    for _ in 0..20 {
        reader.next(&mut buf, Duration::from_secs(5)).unwrap();
        assert!(buf == frames[0], "only the first writer's frame");
    }
    // And `rm` refuses while it runs.
    let loc = Location::named(&r.name).unwrap();
    let e = remove(&loc, false).unwrap_err();
    assert!(matches!(e, ShmError::InUse { .. }), "{e}");
    assert!(e.to_string().contains("--force"), "{e}");
    assert!(r.path().exists());
    remove(&loc, true).unwrap();
    assert!(!r.path().exists());
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
    drop(w);
    let err = reader
        .next(&mut buf, Duration::from_millis(30))
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("mid-write") && text.contains("no writer holds"),
        "{text}"
    );

    // One slot: the only frame is the torn one, and the reader says so instead of returning it.
    let r = TempRegion::new("dead1");
    let mut w = Writer::create(&r.name, 1, 64 * 1024).unwrap();
    w.publish(&frames[0]).unwrap();
    w.publish(&frames[1]).unwrap();
    w.begin_and_abandon(&frames[2]);
    drop(w);
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
fn a_writer_process_killed_at_full_speed_leaves_whole_frames_and_its_lock() {
    let r = TempRegion::new("killed");
    let frames = small_frames();
    let files = write_files("killed", &frames);
    let mut child = writer_process(&r.name, &files, &[]);
    let mut reader = reader_when_ready(&r.name);
    let mut buf = Vec::new();
    reader.next(&mut buf, Duration::from_secs(10)).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();
    let info = reader.latest(&mut buf).unwrap();
    assert_eq!(
        buf,
        frames[((info.frame - 1) % 4) as usize],
        "frame {} is not whole",
        info.frame
    );
    assert_eq!(reader.writer().unwrap(), WriterStatus::Gone);
    // The lock died with the process: a new writer starts at once and numbering continues.
    let cap = frames.iter().map(Vec::len).max().unwrap() as u64;
    let mut w = Writer::create(&r.name, layout::DEFAULT_SLOTS, cap).unwrap();
    assert_eq!(w.publish(&frames[0]).unwrap(), info.frame + 1);
}

#[test]
fn stale_regions_of_another_geometry_are_refused_or_recreated() {
    let r = TempRegion::new("stale");
    let loc = Location::named(&r.name).unwrap();
    let mut old = Writer::create(&r.name, 3, 1024).unwrap();
    old.publish(&[7u8; 1000]).unwrap();
    drop(old);
    let mut old_reader = Reader::open(&r.name).unwrap();
    let err = Writer::create(&r.name, 2, 4096).err().unwrap();
    assert!(matches!(err, ShmError::StaleGeometry { .. }), "{err}");
    assert!(err.to_string().contains("--recreate"), "{err}");
    // Same geometry: reused, numbering continues.
    let mut same = Writer::create(&r.name, 3, 1024).unwrap();
    assert_eq!(same.publish(&[8u8; 10]).unwrap(), 2);
    // Recreate is refused while a writer holds the region...
    let g = Geometry::new(2, 4096).unwrap();
    let recreate = CreateOptions {
        recreate: true,
        ..Default::default()
    };
    assert!(matches!(
        Writer::create_at(&loc, g, recreate),
        Err(ShmError::InUse { .. })
    ));
    drop(same);
    // ...and then makes a new file; the old mapping stays valid (never shrunk, no SIGBUS).
    let mut new = Writer::create_at(&loc, g, recreate).unwrap();
    assert_eq!(new.publish(&[9u8; 4000]).unwrap(), 1);
    let mut buf = Vec::new();
    assert_eq!(old_reader.latest(&mut buf).unwrap().frame, 2);
    assert_eq!(
        Reader::open(&r.name).unwrap().latest(&mut buf).unwrap().len,
        4000
    );
    // An old-version region is refused for reuse, and replaced by --recreate.
    drop(new);
    write_file(&r.path(), b"SHMBMP01 and the rest of an old region");
    let e = Writer::create(&r.name, 2, 4096).err().unwrap();
    assert!(e.to_string().contains("\"SHMBMP01\""), "{e}");
    Writer::create_at(&loc, g, recreate).unwrap();
}

#[test]
fn regions_are_private_by_default_and_planted_files_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let r = TempRegion::new("mode");
    let w = Writer::create(&r.name, 1, 8).unwrap();
    assert_eq!(
        std::fs::metadata(r.path()).unwrap().permissions().mode() & 0o777,
        0o600
    );
    drop(w);
    let r2 = TempRegion::new("mode644");
    let loc = Location::named(&r2.name).unwrap();
    let opts = CreateOptions {
        mode: 0o644,
        recreate: false,
    };
    let g = Geometry::new(1, 8).unwrap();
    drop(Writer::create_at(&loc, g, opts).unwrap());
    assert_eq!(
        std::fs::metadata(r2.path()).unwrap().permissions().mode() & 0o777,
        0o644
    );
    // A 0644 region is not reused by a writer asking for 0600: wider than asked.
    let e = Writer::create_at(&loc, g, CreateOptions::default())
        .err()
        .unwrap();
    assert!(matches!(e, ShmError::Untrusted { .. }), "{e}");
    assert!(e.to_string().contains("wider than"), "{e}");

    // A world-writable file planted under the name never receives frames.
    let planted = TempRegion::new("planted");
    write_file(&planted.path(), &[0u8; 8192]);
    std::fs::set_permissions(planted.path(), std::fs::Permissions::from_mode(0o666)).unwrap();
    let e = Writer::create(&planted.name, 1, 8).err().unwrap();
    assert!(e.to_string().contains("0666"), "{e}");
    let e = write_raw(
        &Location::named(&planted.name).unwrap(),
        &encode::seed_frame(),
        0o600,
    )
    .unwrap_err();
    assert!(matches!(e, ShmError::Untrusted { .. }), "{e}");
    assert_eq!(std::fs::read(planted.path()).unwrap(), vec![0u8; 8192]);

    // A symlink is never followed, by writers or readers.
    let target = TempRegion::new("target");
    write_file(&target.path(), b"precious");
    let link = TempRegion::new("link");
    std::os::unix::fs::symlink(target.path(), link.path()).unwrap();
    for e in [
        Writer::create(&link.name, 1, 8).err().unwrap(),
        write_raw(&Location::named(&link.name).unwrap(), b"BM", 0o600).unwrap_err(),
        Reader::open(&link.name).err().unwrap(),
    ] {
        assert!(matches!(e, ShmError::Untrusted { .. }), "{e}");
        assert!(e.to_string().contains("symbolic link"), "{e}");
    }
    assert_eq!(std::fs::read(target.path()).unwrap(), b"precious");

    // A file of another user is refused (needs root to plant one).
    let foreign = TempRegion::new("foreign");
    write_file(&foreign.path(), &[0u8; 8192]);
    std::fs::set_permissions(foreign.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
    match std::os::unix::fs::chown(foreign.path(), Some(4242), None) {
        Ok(()) => {
            let e = Writer::create(&foreign.name, 1, 8).err().unwrap();
            assert!(e.to_string().contains("uid 4242"), "{e}");
        }
        Err(_) => common::missing("root (to plant a region owned by another user)"),
    }
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
    let e = RawReader::open(&r.name)
        .unwrap()
        .read(&mut buf)
        .unwrap_err();
    assert!(matches!(e, ShmError::RawLength { .. }), "{e}");
    assert!(e.to_string().contains(&r.name), "{e}");
}

/// Reads this thread's CPU time (ns on CPU, from the scheduler) on Linux.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_waiting_reader_sleeps_until_the_writer_wakes_it() {
    let r = TempRegion::new("wake");
    let mut w = Writer::create(&r.name, 3, 64).unwrap();
    let name = r.name.clone();
    let waiter = std::thread::spawn(move || {
        let mut reader = Reader::open(&name).unwrap();
        let cpu = thread_cpu_ns();
        let started = Instant::now();
        let (info, _) = reader
            .next_with(Duration::from_secs(10), |b| b.len())
            .unwrap();
        let (waited, cpu) = (started.elapsed(), thread_cpu_ns() - cpu);
        (info.frame, waited, cpu, reader.stats())
    });
    std::thread::sleep(Duration::from_millis(500));
    w.publish(&[5u8; 64]).unwrap();
    let (frame, waited, cpu_ns, stats) = waiter.join().unwrap();
    assert_eq!(frame, 1);
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    if cfg!(target_os = "linux") {
        // Woken, never polled: at most one sleep per 50 ms slice (flags are looked at again).
        assert_eq!(stats.polls, 0, "{stats:?}");
        assert!(stats.sleeps <= 12, "{stats:?}");
        // Asleep for 0.5 s: a few hundred microseconds of CPU at most (3% would be 15 ms).
        println!("waiting reader: {stats:?}, {cpu_ns} ns of CPU in {waited:?}");
        assert!(cpu_ns < 15_000_000, "{cpu_ns} ns of CPU while waiting");
    }

    // `polling()` (and a writer that does not wake) still works, through bounded polls.
    let mut reader = Reader::open(&r.name).unwrap().polling();
    let publisher = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        w.publish(&[6u8; 64]).unwrap();
    });
    reader.latest(&mut Vec::new()).unwrap();
    let (info, _) = reader.next_with(Duration::from_secs(5), |b| b[0]).unwrap();
    publisher.join().unwrap();
    assert_eq!(info.frame, 2);
    assert!(reader.stats().polls > 0 && reader.stats().sleeps == 0);
}

#[test]
fn a_reader_says_whether_it_waited_for_its_frame() {
    let r = TempRegion::new("waited");
    let mut w = Writer::create(&r.name, 4, 64).unwrap();
    let mut reader = Reader::open(&r.name).unwrap();
    w.publish(&[1u8; 64]).unwrap();
    let (info, (waited, byte)) = reader
        .next_with_waited(Duration::from_secs(5), |b, waited| (waited, b[0]))
        .unwrap();
    assert_eq!(
        (info.frame, waited, byte),
        (1, false, 1),
        "the frame was there"
    );
    for polling in [false, true] {
        let mut reader = Reader::open(&r.name).unwrap();
        if polling {
            reader = reader.polling();
        }
        reader.latest(&mut Vec::new()).unwrap();
        // Nothing newer yet: the reader waits (asleep, or polling) until the next publish.
        let next = reader.latest_number() + 1;
        let handle = std::thread::spawn(move || {
            reader
                .next_with_waited(Duration::from_secs(5), |b, waited| (waited, b[0]))
                .map(|(info, got)| (info.frame, got))
        });
        std::thread::sleep(Duration::from_millis(100));
        w.publish(&[next as u8; 64]).unwrap();
        let (frame, (waited, byte)) = handle.join().unwrap().unwrap();
        assert_eq!(
            (frame, waited, byte),
            (next, true, next as u8),
            "published while it waited (polling: {polling})"
        );
    }
}

/// A reader whose `lut` helpers wait with it (woken by the writer, looking for frames at
/// a steady pace) hands over frames in order, those it waited for decoded on two threads as
/// one thread decodes them; dropped, it leaves the helpers to other callers.
#[test]
fn a_reader_with_helpers_waiting_decodes_as_one_thread_does() {
    let r = TempRegion::new("helpers");
    // 1024×512 RGBA is 2 MiB: enough rows for the decode to be split into bands.
    let frames: Vec<Vec<u8>> = [
        Kind::Rgb24,
        Kind::Indexed {
            bpp: 8,
            colors: 256,
            stray: false,
        },
    ]
    .iter()
    .map(|&kind| frame(kind, 1024, 512))
    .collect();
    let cap = frames.iter().map(Vec::len).max().unwrap() as u64;
    let mut w = Writer::create(&r.name, 4, cap).unwrap();
    let two = Threads::for_frame(true);
    let mut reader = Reader::open(&r.name).unwrap().waking_helpers(two);
    let count = 24u64;
    let writing = {
        let frames = frames.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            for n in 0..count {
                w.publish(&frames[n as usize % frames.len()]).unwrap();
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let limits = Limits::default();
    let (mut rgba, mut last, mut waited_for) = (Vec::new(), 0, 0);
    // A slow machine (qemu-user) may skip frames: each one taken is checked, to the last.
    while last < count {
        let (info, waited) = reader
            .next_with_waited(Duration::from_secs(5), |b, waited| {
                let lut = Lut::AUTO.with_threads(Threads::for_frame(waited));
                lut.decode_into(b, &limits, &mut rgba).unwrap();
                waited
            })
            .unwrap();
        let n = info.frame;
        assert!(n > last && n <= count, "frame {n} after {last}");
        (last, waited_for) = (n, waited_for + u64::from(waited));
        let want = Lut::AUTO.decode(&frames[(n - 1) as usize % frames.len()], &limits);
        assert_eq!(rgba, want.unwrap().rgba, "frame {n} (waited for: {waited})");
    }
    writing.join().unwrap();
    // The first frame came 50 ms after the reader began waiting for it.
    assert!(waited_for >= 1, "waited for none of {count} frames");
    drop(reader);
    // The helpers serve other callers after it.
    let f = &frames[0];
    let mut out = Vec::new();
    Lut::AUTO
        .with_threads(two)
        .decode_into(f, &limits, &mut out)
        .unwrap();
    assert_eq!(out, Lut::AUTO.decode(f, &limits).unwrap().rgba);
}

#[test]
fn a_pinned_slot_is_never_written_while_it_is_decoded() {
    let r = TempRegion::new("pin");
    let frames = distinct_frames();
    let cap = frames.iter().map(Vec::len).max().unwrap() as u64;
    // 4 slots: 2 leases; the writer never waits.
    let mut w = Writer::create(&r.name, 4, cap).unwrap();
    w.publish(&frames[0]).unwrap();
    let mut reader = Reader::open(&r.name).unwrap();
    let (info, unchanged) = reader
        .latest_with(|bytes| {
            let before = bytes.to_vec();
            // 12 more frames while this one is pinned: the writer goes round the 3 others.
            for i in 1..=12 {
                w.publish(&frames[i % 4]).unwrap();
            }
            bytes == before.as_slice() && before == frames[0]
        })
        .unwrap();
    assert!(info.in_place && unchanged, "the pinned slot changed");
    assert_eq!((info.frame, reader.stats().torn), (1, 0));
    assert!(w.stats().pinned_skips >= 3, "{:?}", w.stats());
    // Readers beyond the leases copy instead (and still get whole frames).
    let mut second = Reader::open(&r.name).unwrap();
    let mut third = Reader::open(&r.name).unwrap();
    let (a, _) = second.latest_with(|b| b.len()).unwrap();
    let (b, len) = third.latest_with(|b| b.len()).unwrap();
    assert!(a.in_place && !b.in_place, "{a:?} {b:?}");
    assert_eq!((second.lease(), third.lease()), (Some(1), None));
    assert_eq!(len, frames[12 % 4].len());
    // A decode that panics leaves no pin behind.
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        second.latest_with(|_| panic!("a decoder bug")).unwrap()
    }));
    assert!(panicked.is_err());
    assert!(second.leases().iter().all(|l| l.pinned.is_none()));
}

#[test]
fn a_paced_writer_waits_only_while_its_in_place_readers_are_behind() {
    let r = TempRegion::new("paced");
    let frames = distinct_frames();
    let cap = frames.iter().map(Vec::len).max().unwrap() as u64;
    let mut w = Writer::create(&r.name, 4, cap).unwrap();
    w.publish(&frames[0]).unwrap();
    // No reader: nothing to wait for.
    assert!(!w.latest_untaken());
    assert!(w.wait_until_taken(Duration::from_secs(5)));
    let mut reader = Reader::open(&r.name).unwrap();
    let (info, ()) = reader
        .latest_with(|_| {
            // The reader holds the latest frame: the next one may be written meanwhile.
            assert!(!w.latest_untaken());
            w.publish(&frames[1]).unwrap();
            // Now it decodes an older frame than the latest, which no one has taken.
            assert!(w.latest_untaken());
            let t = Instant::now();
            assert!(!w.wait_until_taken(Duration::from_millis(30)));
            assert!(t.elapsed() >= Duration::from_millis(30));
        })
        .unwrap();
    assert!(info.in_place && info.frame == 1, "{info:?}");
    // Done and unpinned: the writer goes on at once.
    assert!(!w.latest_untaken());
    let t = Instant::now();
    assert!(w.wait_until_taken(Duration::from_secs(5)));
    assert!(t.elapsed() < Duration::from_secs(1));
    // A copying reader never holds a writer back.
    let mut copier = Reader::open(&r.name).unwrap().copying();
    let (info, untaken) = copier.latest_with(|_| w.latest_untaken()).unwrap();
    assert!(!info.in_place && !untaken);
    // A pin whose reader is gone (its lease lock free, as after `kill -9`) is reclaimed
    // while the writer waits, and does not hold it back for long.
    drop(reader);
    let pin = (u64::from(std::process::id()) << 32) | 1; // slot 0, frame 1's
    std::os::unix::fs::FileExt::write_all_at(
        &std::fs::OpenOptions::new()
            .write(true)
            .open(r.path())
            .unwrap(),
        &pin.to_le_bytes(),
        layout::LEASES_AT as u64,
    )
    .unwrap();
    assert!(w.latest_untaken());
    assert!(w.wait_until_taken(Duration::from_secs(5)));
    assert_eq!(w.stats().reclaimed, 1, "{:?}", w.stats());
}

/// Not a test of its own: the pinning reader `a_reader_killed_holding_a_pin_...` starts
/// in a child process (this test binary again, with `SHMBMP_PIN` set). It pins the latest
/// frame, says so, and sleeps inside the decode until it is killed.
#[test]
fn pinning_reader_child() {
    let Some(name) = std::env::var_os("SHMBMP_PIN") else {
        return;
    };
    let mut reader = Reader::open(name.to_str().unwrap()).unwrap();
    reader
        .latest_with(|_| {
            println!("pinned");
            std::io::stdout().flush().unwrap();
            std::thread::sleep(Duration::from_secs(60));
        })
        .unwrap();
}

#[test]
fn a_reader_killed_holding_a_pin_never_blocks_the_writer_and_its_hold_is_reclaimed() {
    let r = TempRegion::new("deadpin");
    let frames = distinct_frames();
    let cap = frames.iter().map(Vec::len).max().unwrap() as u64;
    // 3 slots, 1 lease: with the lease stuck, the writer has exactly one free slot left.
    let mut w = Writer::create(&r.name, 3, cap).unwrap();
    w.publish(&frames[0]).unwrap();
    let child = common::target_command(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "pinning_reader_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SHMBMP_PIN", &r.name)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut line = String::new();
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    while !line.contains("pinned") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the child ended");
    }
    let observer = Reader::open(&r.name).unwrap();
    let lease = observer.leases()[0];
    assert_eq!((lease.pinned, lease.held), (Some(0), true), "{lease:?}");
    // While it lives, its slot is kept: frames alternate between the two others.
    for i in 1..=10 {
        w.publish(&frames[i % 4]).unwrap();
    }
    assert_eq!(observer.slot_headers()[0].frame, 1);
    child.0.kill().unwrap(); // SIGKILL, mid-decode
    child.0.wait().unwrap();
    // Dead: its pin stays in the header, but the writer notices within a few frames.
    let lease = observer.leases()[0];
    assert_eq!((lease.pinned, lease.held), (Some(0), false), "{lease:?}");
    for i in 0..20 {
        w.publish(&frames[i % 4]).unwrap();
    }
    assert_eq!(w.stats().reclaimed, 1, "{:?}", w.stats());
    assert_eq!(observer.leases()[0].pinned, None);
    assert!(
        observer.slot_headers()[0].frame > 1,
        "slot 0 is in use again"
    );
    // And the lease is free for the next reader, who decodes in place.
    let mut next = Reader::open(&r.name).unwrap();
    let (info, _) = next.latest_with(|b| b.len()).unwrap();
    assert!(info.in_place);
}

/// A writer process at full speed, four readers decoding in place (six slots: four leases)
/// and validating every frame they get: at least 2,500 frames each, none torn; the counts
/// are printed (`cargo test -- --nocapture` shows them).
#[test]
fn four_readers_at_full_speed_none_torn() {
    let r = TempRegion::new("four");
    let frames = Arc::new(distinct_frames());
    let files = write_files("four", &frames);
    let _child = writer_process(&r.name, &files, &["--slots", "6"]);
    drop(reader_when_ready(&r.name));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (name, frames) = (r.name.clone(), frames.clone());
            std::thread::spawn(move || {
                let mut reader = Reader::open(&name).unwrap();
                let mut validated = 0u64;
                while validated < 2_500 {
                    let (info, whole) = reader
                        .next_with(Duration::from_secs(10), |b| {
                            // The frame number is known only afterwards: compare with all.
                            frames.iter().position(|f| f.as_slice() == b)
                        })
                        .unwrap();
                    assert_eq!(
                        whole,
                        Some(((info.frame - 1) % 4) as usize),
                        "frame {} handed over but not whole",
                        info.frame
                    );
                    validated += 1;
                }
                reader.stats()
            })
        })
        .collect();
    for (i, h) in readers.into_iter().enumerate() {
        let s = h.join().unwrap();
        println!("reader {i}: {s:?}");
        assert!(s.in_place > 0, "reader {i} never decoded in place: {s:?}");
    }
}

/// A writer process at full speed, a reader validating every frame: at least 10,000
/// frames, none torn; the counts are printed (`cargo test -- --nocapture` shows them).
#[test]
fn ten_thousand_frames_at_full_speed_none_torn() {
    let r = TempRegion::new("stress");
    let frames = distinct_frames();
    let files = write_files("stress", &frames);
    let _child = writer_process(&r.name, &files, &[]);
    let mut reader = reader_when_ready(&r.name);
    let mut buf = Vec::new();
    let mut validated = 0u64;
    while validated < 10_000 {
        // Alternate copying out and in place.
        let info = if validated.is_multiple_of(2) {
            reader.next(&mut buf, Duration::from_secs(10)).unwrap()
        } else {
            let (info, bytes) = reader
                .next_with(Duration::from_secs(10), |b| b.to_vec())
                .unwrap();
            buf = bytes;
            info
        };
        let want = &frames[((info.frame - 1) % 4) as usize];
        assert!(buf == *want, "frame {} accepted but not whole", info.frame);
        validated += 1;
    }
    let s = reader.stats();
    println!("stress: {validated} frames validated, {s:?}");
}

/// Runs `shmbmp ARGS` and returns (status code, stdout + stderr).
fn shmbmp(args: &[&str]) -> (Option<i32>, String) {
    let out = common::shmbmp_command().args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn the_cli_says_what_was_wrong_where_and_what_to_do() {
    let frames = small_frames();
    let files = write_files("cli", &frames);
    let dir = files[0].parent().unwrap();
    let empty = dir.join("empty.bmp");
    std::fs::write(&empty, b"").unwrap();
    let cut = dir.join("cut.bmp");
    std::fs::write(&cut, &encode::seed_frame()[..1000]).unwrap();
    let (f0, f1) = (files[0].to_str().unwrap(), files[1].to_str().unwrap());
    let r = TempRegion::new("cli");
    let name = r.name.as_str();

    let (code, out) = shmbmp(&["write", "--name", name, empty.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("empty.bmp: the file is empty (0 bytes)"),
        "{out}"
    );
    let (code, out) = shmbmp(&["write", "--name", name, cut.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("cut.bmp") && out.contains("nothing published"),
        "{out}"
    );
    assert!(
        !r.path().exists(),
        "nothing was created for a refused input"
    );
    let (code, out) = shmbmp(&["write", "--raw", "--name", name, f0, f1]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("--raw writes one BMP once, but 2 files"),
        "{out}"
    );
    let (code, out) = shmbmp(&["write", "--raw", "--name", name, f0, "--count", "3"]);
    assert_eq!(code, Some(2), "clap refuses --count with --raw: {out}");

    // A raw region: stat --raw describes it, stat and read without --raw say to use it.
    let (code, out) = shmbmp(&["write", "--raw", "--name", name, f0]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = shmbmp(&["stat", "--raw", "--name", name]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("(raw)") && out.contains("64x48"), "{out}");
    for cmd in ["stat", "read"] {
        let (code, out) = shmbmp(&[cmd, "--name", name]);
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains(name) && out.contains("use --raw"),
            "{cmd}: {out}"
        );
    }
    // A framed region read with --raw names the region and says it is framed.
    let (code, out) = shmbmp(&["write", "--name", name, "--recreate", f0]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("wrote 1 frame to") && !out.contains("frames/s"),
        "{out}"
    );
    let (code, out) = shmbmp(&["read", "--raw", "--name", name]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(name) && out.contains("framed region") && out.contains("drop --raw"),
        "{out}"
    );
    let (code, out) = shmbmp(&["read", "--name", name]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("read 1 frame in") && out.contains("decoded in place 1"),
        "{out}"
    );
    // Each frame in a layout of ours: the RGBA answer reordered, saved as raw BGR.
    let bgr = dir.join("frame.bgr");
    let (code, out) = shmbmp(&[
        "read",
        "--name",
        name,
        "--layout",
        "BGR",
        "-o",
        bgr.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{out}");
    let want = PixelLayout::Bgr.convert(
        &Lut::AUTO
            .decode(&frames[0], &Limits::default())
            .unwrap()
            .rgba,
    );
    assert!(
        out.contains(&format!(
            "BGR xxh3 {:016x}",
            xxhash_rust::xxh3::xxh3_64(&want)
        )),
        "{out}"
    );
    assert!(
        out.contains("with lut (on up to 2 threads for frames it waited for) into BGR"),
        "{out}"
    );
    assert!(std::fs::read(&bgr).unwrap() == want);
    let (code, out) = shmbmp(&[
        "read",
        "--name",
        name,
        "--layout",
        "RGB",
        "--decoder",
        "zune",
    ]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("zune is a peer"), "{out}");
    // An empty file: the header's size.
    let (code, out) = shmbmp(&["stat", "--path", empty.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("header alone is 4096 bytes"), "{out}");
}
