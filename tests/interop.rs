//! Real peers on the shared-memory protocol (version 2): Python (mmap + cv2, and the seed's
//! `multiprocessing.shared_memory` style) and C# on Mono (the seed's raw writer and a framed
//! writer that honours leases). Each side's writer lock refuses the other's second writer,
//! and an old-version region is refused by name. Missing interpreters are a loud skip locally
//! and a failure under `CI`.
//!
//! Unix only (the peers run on Linux; Windows named regions are tested in the core crate).

#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::missing;
use common::region::TempRegion;
use shmbmp_suite::shm::{write_raw, Location, Reader, Writer, WriterStatus};
use shmbmp_suite::{encode, Decode, Frame, Limits, Lut};

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

fn scratch(tag: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("interop-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The venv's Python with numpy and cv2 (`SHMBMP_PYTHON`, default `.venv/bin/python`).
fn python() -> Option<PathBuf> {
    let py = std::env::var_os("SHMBMP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    let ok = Command::new(&py)
        .args(["-c", "import numpy, cv2"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(py)
    } else {
        missing(&format!("Python with numpy and cv2 at {} (python3 -m venv .venv && .venv/bin/pip install -r requirements.txt)", py.display()));
        None
    }
}

/// Compiles a C# peer with `mcs` into the test's scratch folder, `with_client`: together with
/// the drop-in writer `clients/csharp/ShmbmpWriter.cs` (unsafe code); `None` without Mono.
fn csharp(source: &str, with_client: bool) -> Option<PathBuf> {
    let have = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("mcs") || !have("mono") {
        missing("Mono (apt-get install mono-mcs mono-runtime)");
        return None;
    }
    // A folder per call: tests run in parallel, and one must never run an .exe that
    // another's mcs is still writing (mono then exits silently).
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let exe = scratch(&format!("cs{n}")).join(source.replace(".cs", ".exe"));
    let mut cmd = Command::new("mcs");
    if with_client {
        cmd.arg("-unsafe")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/csharp/ShmbmpWriter.cs"));
    }
    let out = cmd
        .arg(format!("-out:{}", exe.display()))
        .arg(interop_dir().join(source))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mcs {source}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    Some(exe)
}

/// Runs `cmd`, expecting it to fail with `code`; returns its stderr.
fn run_failing(cmd: &mut Command, code: i32) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{cmd:?}: {err}");
    err
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

fn decode(bmp: &[u8]) -> Frame {
    Lut::AUTO.decode(bmp, &Limits::default()).unwrap()
}

/// Our RGBA as the RGB bytes cv2 gives after BGR→RGB.
fn rgb(frame: &Frame) -> Vec<u8> {
    frame
        .rgba
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

/// Fixture files cv2 decodes exactly as we do (palettes and 24-bit; its 16-bit scaling differs).
fn fixture_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    ["pal8", "rgb24", "pal4", "seed"]
        .iter()
        .map(|n| {
            let bytes = encode::encode(&encode::fixture(n).unwrap().spec);
            let p = dir.join(format!("{n}.bmp"));
            std::fs::write(&p, &bytes).unwrap();
            (p, bytes)
        })
        .collect()
}

#[test]
fn python_writer_rust_reader() {
    let Some(py) = python() else { return };
    let r = TempRegion::new("pywrite");
    let files = fixture_files(&scratch("pywrite"));
    let out = run(Command::new(&py)
        .arg(interop_dir().join("py_writer.py"))
        .arg(&r.name)
        .args(files.iter().map(|f| &f.0)));
    assert!(out.contains("published 4 frames"), "{out}");
    let mut reader = Reader::open(&r.name).unwrap();
    assert_eq!(
        reader.flags(),
        0,
        "Python neither wakes readers nor honours leases"
    );
    assert_eq!(reader.writer().unwrap(), WriterStatus::Gone);
    let (info, bmp) = reader.latest_with(|b| b.to_vec()).unwrap();
    assert_eq!(info.frame, 4);
    assert!(
        !info.in_place,
        "frames of a writer without leases are copied out"
    );
    assert_eq!(bmp, files[3].1, "the frame Python published");
    assert_eq!(decode(&bmp), decode(&files[3].1));
}

#[test]
fn one_writer_across_languages() {
    let Some(py) = python() else { return };
    let r = TempRegion::new("pytwo");
    let files = fixture_files(&scratch("pytwo"));
    let seed = &files[3];
    let w = Writer::create(&r.name, 3, seed.1.len() as u64).unwrap();
    let err = run_failing(
        Command::new(&py)
            .arg(interop_dir().join("py_writer.py"))
            .arg(&r.name)
            .arg(&seed.0),
        3,
    );
    assert!(
        err.contains("already has a writer") && err.contains(&std::process::id().to_string()),
        "{err}"
    );
    if let Some(exe) = csharp("FramedWriter.cs", true) {
        let err = run_failing(Command::new("mono").arg(&exe).arg(&r.name).arg(&seed.0), 3);
        assert!(err.contains("already has a writer"), "{err}");
    }
    drop(w);
    std::fs::remove_file(r.path()).unwrap();
    // And the other way round: a Python writer holds the lock while it lives.
    let mut child = Command::new(&py)
        .arg("-c")
        .arg(format!(
            "import sys, time; sys.path.insert(0, {:?}); from shmbmp_region import Writer; \
             w = Writer({:?}, 3, 64); print('ready', flush=True); time.sleep(30)",
            interop_dir(),
            r.name
        ))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "ready");
    let e = Writer::create(&r.name, 3, 64).err().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(e.to_string().contains("already has a writer"), "{e}");
    Writer::create(&r.name, 3, 64).expect("the lock died with the Python writer");
}

#[test]
fn an_old_version_region_is_refused_by_the_python_reader() {
    let Some(py) = python() else { return };
    let r = TempRegion::new("pyold");
    let mut old = vec![0u8; 64 + 3 * 128];
    old[..8].copy_from_slice(b"SHMBMP01");
    std::fs::write(r.path(), &old).unwrap();
    let err = run_failing(
        Command::new(&py)
            .arg(interop_dir().join("py_reader.py"))
            .arg(&r.name)
            .arg(scratch("pyold").join("out.rgb")),
        1,
    );
    assert!(
        err.contains("'SHMBMP01'") && err.contains("'SHMBMP02'"),
        "{err}"
    );
}

#[test]
fn rust_writer_python_reader_decodes_identically_with_cv2() {
    let Some(py) = python() else { return };
    let r = TempRegion::new("pyread");
    let dir = scratch("pyread");
    for (_, bytes) in fixture_files(&dir) {
        let mut w = Writer::create(&r.name, 3, bytes.len() as u64).unwrap();
        w.publish(&bytes).unwrap();
        let out_file = dir.join("out.rgb");
        let out = run(Command::new(&py)
            .arg(interop_dir().join("py_reader.py"))
            .arg(&r.name)
            .arg(&out_file));
        let theirs = std::fs::read(&out_file).unwrap();
        assert!(
            theirs == rgb(&decode(&bytes)),
            "cv2 pixels differ from ours ({out})"
        );
        drop(w);
        std::fs::remove_file(r.path()).unwrap();
    }
}

#[test]
fn rust_raw_region_read_the_seeds_python_way() {
    let Some(py) = python() else { return };
    let r = TempRegion::new("pyraw");
    let seed = encode::seed_frame();
    write_raw(&Location::named(&r.name).unwrap(), &seed, 0o600).unwrap();
    let out_file = scratch("pyraw").join("out.rgb");
    let out = run(Command::new(&py)
        .arg(interop_dir().join("py_raw_reader.py"))
        .arg(&r.name)
        .arg(&out_file));
    assert!(out.contains("raw 1921078 bytes 1600x1200"), "{out}");
    assert!(
        std::fs::read(&out_file).unwrap() == rgb(&decode(&seed)),
        "SharedMemory + cv2 pixels differ"
    );
    assert!(
        r.path().exists(),
        "Python's resource tracker unlinked the writer's region"
    );
}

#[test]
fn csharp_seed_raw_writer_read_by_shmbmp() {
    let Some(exe) = csharp("RawWriter.cs", false) else {
        return;
    };
    let r = TempRegion::new("csraw");
    let dir = scratch("csraw");
    let seed = dir.join("seed.bmp");
    std::fs::write(&seed, encode::seed_frame()).unwrap();
    run(Command::new("mono").arg(&exe).arg(&r.name).arg(&seed));
    assert_eq!(
        std::fs::read(r.path()).unwrap(),
        encode::seed_frame(),
        "byte-identical block"
    );
    let png = dir.join("seed.png");
    let out = run(common::shmbmp_command()
        .args(["read", "--raw", "--name", &r.name, "-o"])
        .arg(&png));
    let want = format!(
        "xxh3 {:016x}",
        xxhash_rust::xxh3::xxh3_64(&decode(&encode::seed_frame()).rgba)
    );
    assert!(out.contains(&want), "shmbmp read --raw: {out}");
    let back = image::open(&png).unwrap().into_rgba8().into_raw();
    assert!(back == decode(&encode::seed_frame()).rgba);
}

#[test]
fn csharp_framed_writer_read_by_rust() {
    let Some(exe) = csharp("FramedWriter.cs", true) else {
        return;
    };
    let r = TempRegion::new("csframed");
    let files = fixture_files(&scratch("csframed"));
    run(Command::new("mono")
        .arg(&exe)
        .arg(&r.name)
        .args(files.iter().map(|f| &f.0)));
    let mut reader = Reader::open(&r.name).unwrap();
    let (info, (bmp, frame)) = reader.latest_with(|b| (b.to_vec(), decode(b))).unwrap();
    assert_eq!(info.frame, 4);
    assert!(
        info.in_place,
        "the C# writer honours leases: decoded where it lies"
    );
    assert_eq!(bmp, files[3].1);
    assert_eq!(frame, decode(&files[3].1));
    assert_eq!(
        std::fs::metadata(r.path()).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// The drop-in C# writer (`clients/csharp/ShmbmpWriter.cs`) as the post's program would use
/// it: alive and publishing a frame every 15 ms while a Rust reader takes them, in order and
/// in place, each byte-identical to what was published; no second writer while it lives;
/// none left once it exits (and the region, a file on Linux, stays readable).
#[test]
fn csharp_drop_in_writer_streams_to_a_rust_reader() {
    let Some(exe) = csharp("FramedWriter.cs", true) else {
        return;
    };
    let r = TempRegion::new("csdropin");
    let files = fixture_files(&scratch("csdropin"));
    let mut child = Command::new("mono")
        .arg(&exe)
        .args([r.name.as_str(), "--every", "15"])
        .args(files.iter().map(|f| &f.0))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert_eq!(line.trim(), "ready");

    let mut reader = Reader::open(&r.name).unwrap();
    assert!(matches!(
        reader.writer().unwrap(),
        WriterStatus::Alive { pid: Some(_) }
    ));
    let mut last = 0;
    for _ in 0..12 {
        let (info, bmp) = reader
            .next_with(std::time::Duration::from_secs(5), |b| b.to_vec())
            .unwrap();
        assert!(info.frame > last, "in order: {} after {last}", info.frame);
        assert!(info.in_place, "the drop-in honours leases");
        assert!(
            bmp == files[((info.frame - 1) % 4) as usize].1,
            "frame {}",
            info.frame
        );
        last = info.frame;
    }
    let err = Writer::create(&r.name, 4, files[3].1.len() as u64)
        .err()
        .expect("the C# writer holds the region");
    assert!(err.to_string().contains("already has a writer"), "{err}");

    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    assert_eq!(reader.writer().unwrap(), WriterStatus::Gone);
    let mut buf = Vec::new();
    assert!(reader.latest(&mut buf).unwrap().frame >= last);
}

/// The drop-in C# writer trusts a region as the Rust writer does: a file open to others, or
/// a symlink, never receives frames, and the target is left untouched.
#[test]
fn csharp_drop_in_writer_refuses_what_it_cannot_trust() {
    let Some(exe) = csharp("FramedWriter.cs", true) else {
        return;
    };
    let files = fixture_files(&scratch("csdropin-trust"));
    let wide = TempRegion::new("cswide");
    std::fs::write(wide.path(), [0u8; 8192]).unwrap();
    std::fs::set_permissions(wide.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused =
        |name: &str| run_failing(Command::new("mono").arg(&exe).arg(name).arg(&files[0].0), 4);
    let err = refused(&wide.name);
    assert!(err.contains("mode 644 is wider than 600"), "{err}");
    assert_eq!(std::fs::read(wide.path()).unwrap(), vec![0u8; 8192]);

    let target = TempRegion::new("cstarget");
    let link = TempRegion::new("cslink");
    std::fs::write(target.path(), b"precious").unwrap();
    std::os::unix::fs::symlink(target.path(), link.path()).unwrap();
    let err = refused(&link.name);
    assert!(err.contains("not a regular file"), "{err}");
    assert_eq!(std::fs::read(target.path()).unwrap(), b"precious");
}
