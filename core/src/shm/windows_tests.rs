//! Windows named regions, run under Wine in CI (`.ci/platforms-test.sh windows`): the raw
//! block of a program doing what the post's C# writer does (`tests/windows/seedwriter.c`,
//! path in `SEEDWRITER_EXE`), and framed frames between two processes (this test binary,
//! run again as the writer).

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use super::{
    layout, remove, write_raw, Location, RawReader, Reader, ShmError, Writer, WriterStatus,
};
use crate::{Decode, Limits, Lut, Naive};

/// A region name no other test process uses.
fn unique(tag: &str) -> String {
    format!("shmbmp-test-{tag}-{}", std::process::id())
}

/// Prints a loud notice where `cargo test` shows it; under `CI` a missing input fails.
fn missing(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} is missing, and CI must not skip this test"
    );
    crate::test_util::skipped(&format!("{what} is missing"));
}

/// A 1600×1200 8-bit palette BMP like the post's frames (1,921,078 bytes); `seed` varies
/// the pixels.
fn frame(seed: u8) -> Vec<u8> {
    let (w, h) = (1600u32, 1200u32);
    let off = 14 + 40 + 1024;
    let size = off + w * h;
    let mut b = Vec::with_capacity(size as usize);
    b.extend_from_slice(b"BM");
    for v in [size, 0, off, 40] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&w.to_le_bytes());
    b.extend_from_slice(&h.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&8u16.to_le_bytes());
    for v in [0u32, w * h, 2835, 2835, 256, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for i in 0..=255u8 {
        b.extend_from_slice(&[i, 255 - i, i.wrapping_mul(7), 0]);
    }
    b.extend((0..w * h).map(|i| (i % w * 7 + i / w * 3) as u8 ^ seed));
    b
}

/// The block `name` is gone, and the error says a Windows block lives only while held.
fn assert_gone(name: &str) {
    let gone = RawReader::open(name).err().unwrap();
    assert!(
        matches!(
            gone,
            ShmError::NotFound {
                held_only: true,
                ..
            }
        ),
        "{gone:?}"
    );
    assert!(
        gone.to_string().contains(&format!(
            "no block named {name} — on Windows it exists only while a writer holds it open"
        )),
        "{gone}"
    );
}

/// Reads lines from `child`'s stdout until one ends with `want` (libtest prints a test's
/// name before what the test prints, on the same line).
fn wait_for(child: &mut Child, want: &str) {
    let out = child.stdout.as_mut().expect("piped stdout");
    let mut lines = BufReader::new(out).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.trim_end().ends_with(want) => return,
            Some(Ok(_)) => {}
            other => panic!("the child ended before printing {want:?}: {other:?}"),
        }
    }
}

/// The seed scenario: a C program doing what the post's C# writer does holds the block
/// (`CreateFileMappingW(INVALID_HANDLE_VALUE, .., NAME)`, the BMP copied in); `RawReader`
/// reads it by its name and as `Local\NAME`, the view rounded up to pages, the bytes
/// exact and decoding as the oracle does; `Global\NAME` is another namespace; once the
/// writer exits the block is gone, and the error says why.
#[test]
fn raw_block_of_a_csharp_style_writer_reads_exactly_until_the_writer_exits() {
    let Some(exe) = std::env::var_os("SEEDWRITER_EXE") else {
        missing("SEEDWRITER_EXE (seedwriter.exe, built by .ci/platform.sh)");
        return;
    };
    let name = unique("seed");
    let bmp = frame(0);
    let file = std::env::temp_dir().join(format!("{name}.bmp"));
    std::fs::write(&file, &bmp).unwrap();
    let mut writer = Command::new(exe)
        .arg(&name)
        .arg(&file)
        .args(["60", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start seedwriter.exe");
    wait_for(&mut writer, "ready");

    for alias in [name.clone(), format!("Local\\{name}")] {
        let reader = RawReader::open(&alias).unwrap();
        assert_eq!(reader.mapped_len(), 1_925_120, "470 pages of 4096 bytes");
        let mut got = Vec::new();
        assert_eq!(reader.read(&mut got).unwrap(), bmp.len());
        assert!(got == bmp, "{alias}: the bytes differ");
        let want = Naive.decode(&bmp, &Limits::default()).unwrap();
        assert_eq!(Lut::AUTO.decode(&got, &Limits::default()).unwrap(), want);
    }
    let global = RawReader::open(&format!("Global\\{name}")).err().unwrap();
    assert!(matches!(global, ShmError::NotFound { .. }), "{global}");

    drop(writer.stdin.take());
    assert!(writer.wait().unwrap().success());
    assert_gone(&name);
    let _ = std::fs::remove_file(file);
}

/// Frames published by the writer child: 1, 2, 3, ... (the frame's number, mod 256, seeds
/// its pixels).
const CHILD_FRAMES: u64 = 40;

/// The writer process of the framed test: this binary run again with `SHMBMP_WIN_WRITER`.
/// It creates the region, prints `ready`, publishes [`CHILD_FRAMES`] frames 20 ms apart,
/// prints `done`, and holds the region until its stdin closes.
#[test]
fn framed_writer_child() {
    let Ok(name) = std::env::var("SHMBMP_WIN_WRITER") else {
        return;
    };
    let mut w = Writer::create(&name, 4, frame(0).len() as u64).unwrap();
    println!("ready");
    for n in 1..=CHILD_FRAMES {
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(w.publish(&frame(n as u8)).unwrap(), n);
    }
    println!("done");
    let _ = std::io::stdin().read_line(&mut String::new());
}

fn writer_child(name: &str) -> (Child, ChildStdin) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "shm::windows_tests::framed_writer_child"])
        .args(["--nocapture", "--test-threads=1"])
        .env("SHMBMP_WIN_WRITER", name)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    (child, stdin)
}

/// Framed mode between two Windows processes: frames decoded in place under a lease, in
/// order, each exactly what was published; readers sleep on the named events instead of
/// polling; a second writer is refused; when the writer is killed its lock goes with it (a
/// new writer takes over the section this process still holds), and once no process holds
/// the section its name is gone.
#[test]
fn framed_frames_between_two_processes() {
    let name = unique("framed");
    let (mut child, stdin) = writer_child(&name);
    wait_for(&mut child, "ready");
    let mut reader = Reader::open(&name).unwrap();
    assert_eq!(
        reader.flags(),
        layout::FLAG_LEASES | layout::FLAG_WAKES,
        "the writer honours leases and wakes readers"
    );
    assert!(matches!(
        reader.writer().unwrap(),
        WriterStatus::Alive { pid: Some(_) }
    ));
    let mut rgba = Vec::new();
    let mut last = 0;
    while last < CHILD_FRAMES {
        let (info, dims) = reader
            .next_with(Duration::from_secs(10), |bmp| {
                Lut::AUTO.decode_into(bmp, &Limits::default(), &mut rgba)
            })
            .unwrap();
        assert!(info.frame > last, "frames come in order");
        assert!(info.in_place, "decoded in place under a lease");
        dims.unwrap();
        let want = Naive
            .decode(&frame(info.frame as u8), &Limits::default())
            .unwrap();
        assert!(
            rgba == want.rgba,
            "frame {} decodes as published",
            info.frame
        );
        last = info.frame;
    }
    let stats = reader.stats();
    assert!(stats.sleeps > 0 && stats.polls == 0, "{stats:?}");
    assert!(stats.in_place == stats.frames, "{stats:?}");

    let second = Writer::create(&name, 4, frame(0).len() as u64)
        .err()
        .unwrap();
    assert!(matches!(second, ShmError::WriterRunning { .. }), "{second}");

    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    assert_eq!(reader.writer().unwrap(), WriterStatus::Gone);
    let mut w = Writer::create(&name, 4, frame(0).len() as u64)
        .expect("the dead writer's lock went with it; this process still holds the section");
    assert_eq!(w.publish(&frame(7)).unwrap(), CHILD_FRAMES + 1);
    let mut buf = Vec::new();
    assert_eq!(
        reader.next(&mut buf, Duration::from_secs(5)).unwrap().frame,
        CHILD_FRAMES + 1
    );
    assert!(buf == frame(7));

    let removed = remove(&Location::named(&name).unwrap(), true)
        .err()
        .unwrap();
    assert!(
        removed.to_string().contains("no name to remove"),
        "{removed}"
    );
    drop((w, reader));
    let gone = Reader::open(&name).err().unwrap();
    assert!(matches!(gone, ShmError::NotFound { .. }), "{gone}");
}

/// The writer lock of a named region belongs to no thread: a writer dropped on another
/// thread frees the region at once; two writers in one process exclude each other.
#[test]
fn a_writer_dropped_on_another_thread_releases_the_region() {
    let name = unique("thread");
    let first = Writer::create(&name, 3, 4096).unwrap();
    let again = Writer::create(&name, 3, 4096).err().unwrap();
    assert!(matches!(again, ShmError::WriterRunning { .. }), "{again}");
    // Keeps the section alive: only the lock goes with the writer.
    let holder = RawReader::open(&name).unwrap();
    std::thread::spawn(move || drop(first)).join().unwrap();
    Writer::create(&name, 3, 4096).expect("free again");
    drop(holder);
}

/// A region at a path works as on Linux (a file, `LockFileEx` locks), its readers polling.
#[test]
fn a_region_at_a_path_is_a_locked_file() {
    let path = std::env::temp_dir().join(unique("file"));
    let _ = std::fs::remove_file(&path);
    let loc = Location::path(&path);
    let geometry = super::Geometry::new(4, 4096).unwrap();
    let mut w = Writer::create_at(&loc, geometry, Default::default()).unwrap();
    let again = Writer::create_at(&loc, geometry, Default::default())
        .err()
        .unwrap();
    assert!(matches!(again, ShmError::WriterRunning { .. }), "{again}");
    let bytes = b"BM-not-decoded-here".to_vec();
    w.publish(&bytes).unwrap();
    let mut r = Reader::open_at(&loc).unwrap();
    assert_eq!(r.flags(), layout::FLAG_LEASES, "no wake-ups for files here");
    let mut buf = Vec::new();
    r.latest(&mut buf).unwrap();
    assert_eq!(buf, bytes);
    assert!(std::fs::read(&path).is_ok(), "the locks block no read");
    drop((w, r));
    remove(&loc, false).unwrap();
    assert!(!path.exists());
}

/// Names as Windows spells them: a `Local\` or `Global\` prefix and no other backslash.
#[test]
fn windows_names() {
    for ok in ["test1", "Local\\test1", "Global\\test1", "a/b", "x.y"] {
        assert_eq!(Location::named(ok).unwrap().file().to_str(), Some(ok));
    }
    for bad in ["", "Local\\", "Global\\", "a\\b", "Local\\a\\b", "a\0b"] {
        assert!(
            matches!(Location::named(bad), Err(ShmError::InvalidName { .. })),
            "{bad:?}"
        );
    }
}

/// `write_raw` to a named block: readable while the returned region is held, gone after.
#[test]
fn a_raw_block_lives_while_its_writer_holds_it() {
    let name = unique("rawhold");
    let loc = Location::named(&name).unwrap();
    let bmp = frame(3);
    let held = write_raw(&loc, &bmp, 0o600).unwrap();
    assert!(held.exists_only_while_held());
    let mut got = Vec::new();
    RawReader::open(&name).unwrap().read(&mut got).unwrap();
    assert!(got == bmp);
    let small = write_raw(&loc, &bmp[..100], 0o600).expect("a smaller frame fits");
    let grow = write_raw(&loc, &[bmp.clone(), bmp.clone()].concat(), 0o600)
        .err()
        .unwrap();
    assert!(grow.to_string().contains("cannot grow"), "{grow}");
    drop((held, small));
    assert_gone(&name);
}
