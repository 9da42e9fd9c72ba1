//! Helpers shared by the integration tests: snapshot settings, frame summaries, diff images.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde::Serialize;
use shmbmp_suite::Frame;

/// Runs `f` with insta pointed at the top-level `snapshots/` folder.
pub fn in_snapshots<R>(f: impl FnOnce() -> R) -> R {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(f)
}

/// What a snapshot stores about one decoded image.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub width: u32,
    pub height: u32,
    /// xxh3-64 of the RGBA bytes, hex.
    pub xxh3: String,
    /// A few pixels by name: corners and centre, `[r, g, b, a]`.
    pub samples: Vec<(String, [u8; 4])>,
}

impl Summary {
    pub fn of(frame: &Frame) -> Self {
        let (w, h) = (frame.width as usize, frame.height as usize);
        let at = |x: usize, y: usize| {
            let i = (y * w + x) * 4;
            let p = &frame.rgba[i..i + 4];
            [p[0], p[1], p[2], p[3]]
        };
        let points = [
            ("top_left", 0, 0),
            ("top_right", w - 1, 0),
            ("centre", w / 2, h / 2),
            ("bottom_left", 0, h - 1),
            ("bottom_right", w - 1, h - 1),
        ];
        Summary {
            width: frame.width,
            height: frame.height,
            xxh3: format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&frame.rgba)),
            samples: points
                .iter()
                .map(|&(name, x, y)| (format!("{name} ({x},{y})"), at(x, y)))
                .collect(),
        }
    }
}

/// Writes expected, actual and a diff image under `target/mismatch/` and returns their paths.
pub fn write_mismatch(name: &str, want: &Frame, got: &Frame) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/mismatch");
    std::fs::create_dir_all(&dir).expect("create target/mismatch");
    let mut paths = Vec::new();
    let mut save = |suffix: &str, f: &Frame| {
        let p = dir.join(format!("{name}.{suffix}.png"));
        image::save_buffer(&p, &f.rgba, f.width, f.height, image::ColorType::Rgba8)
            .expect("write PNG");
        paths.push(p);
    };
    save("expected", want);
    save("actual", got);
    if (want.width, want.height) == (got.width, got.height) {
        let diff: Vec<u8> = want
            .rgba
            .chunks_exact(4)
            .zip(got.rgba.chunks_exact(4))
            .flat_map(|(a, b)| {
                if a == b {
                    [a[0] / 4, a[1] / 4, a[2] / 4, 255]
                } else {
                    [255, 0, 255, 255]
                }
            })
            .collect();
        let d = Frame {
            width: want.width,
            height: want.height,
            rgba: diff,
        };
        save("diff", &d);
    }
    paths
}

/// Fails the test when `CI` is set (CI installs every optional input), otherwise prints a
/// loud notice; for optional inputs such as the Python venv or Mono.
pub fn missing(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing, and CI must not skip this test");
    }
    skipped(&format!("{what} is missing"));
}

/// Prints `*** SKIPPED: why ***` where `cargo test` shows it: straight to the process's
/// stderr, which libtest does not capture (it captures only `print!`/`eprint!`), so the
/// notice appears in the normal output even when the test passes.
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "\n*** SKIPPED: {why} ***\n");
}
/// A command that runs `program`, a binary built for the target these tests run on (the
/// `shmbmp` binary, or this test binary again). On aarch64 Linux, when
/// `CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER` is set (cross-running under qemu-user,
/// as `.ci/platform.sh` exports it), it goes through that runner like this test does:
/// without binfmt_misc an emulated process cannot start another aarch64 binary (it gets
/// exit status 127 and no output).
pub fn target_command(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let runner = cross_runner().unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(runner) => {
            let mut cmd = std::process::Command::new(runner);
            cmd.args(words).arg(program);
            cmd
        }
        None => std::process::Command::new(program),
    }
}

/// The runner these tests are cross-run under (qemu-user on aarch64 Linux, see
/// [`target_command`]), if any: a process started through it cannot start another binary of
/// the target by itself.
pub fn cross_runner() -> Option<String> {
    if cfg!(all(target_arch = "aarch64", target_os = "linux")) {
        std::env::var("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER")
            .ok()
            .filter(|r| !r.trim().is_empty())
    } else {
        None
    }
}

/// [`target_command`] for the `shmbmp` binary.
pub fn shmbmp_command() -> std::process::Command {
    target_command(env!("CARGO_BIN_EXE_shmbmp"))
}

pub mod alloc;
pub mod region;
