//! The Python package's pytest suite (`python/tests`), run against the package that
//! `bash .ci/python.sh` installs into the venv (`pip install ./python`), with this build's
//! `shmbmp` CLI for fixtures and round trips. Without that venv, or with an installed
//! package older than its sources, the test says SKIPPED on the terminal; under `CI` it
//! fails instead.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Why the suite cannot run: printed past libtest's output capture, so `cargo test` shows
/// it; a failure under `CI`.
fn skip(why: &str) {
    let fix = "run `bash .ci/python.sh` (it runs `pip install ./python` in .venv)";
    assert!(
        std::env::var_os("CI").is_none(),
        "{why}, and CI must not skip the Python tests: {fix}"
    );
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED python tests: {why}; {fix} ***\n"
    );
}

/// The venv's Python (`SHMBMP_PYTHON`, default `.venv/bin/python`).
fn python() -> PathBuf {
    std::env::var_os("SHMBMP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"))
}

/// Where the installed extension module is, if `shmbmp` and `pytest` import.
fn installed_extension(py: &Path) -> Option<PathBuf> {
    let out = Command::new(py)
        .args([
            "-c",
            "import pytest, shmbmp._shmbmp as m; print(m.__file__)",
        ])
        .current_dir(std::env::temp_dir())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// The newest modification time of `path`, or of the files under it.
fn newest(path: &Path) -> SystemTime {
    let own = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    if !path.is_dir() {
        return own;
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| newest(&entry.path()))
        .fold(own, SystemTime::max)
}

#[test]
fn pytest_suite() {
    let py = python();
    let Some(ext) = installed_extension(&py) else {
        return skip(&format!(
            "no Python with the shmbmp package and pytest at {}",
            py.display()
        ));
    };
    let built = std::fs::metadata(&ext)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let sources = [
        "python/src",
        "python/shmbmp",
        "python/Cargo.toml",
        "python/pyproject.toml",
        "core/src",
    ]
    .iter()
    .map(|d| newest(&repo().join(d)))
    .max()
    .unwrap();
    if sources > built {
        return skip(&format!(
            "the installed package ({}) is older than python/ or core/ sources",
            ext.display()
        ));
    }
    let out = Command::new(&py)
        .args(["-m", "pytest", "python/tests", "-q", "-rs"])
        .current_dir(repo())
        .env("SHMBMP_BIN", env!("CARGO_BIN_EXE_shmbmp"))
        .output()
        .expect("run pytest");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "pytest failed:\n{text}");
    // The summary line ("67 passed in 12.3s"), shown with --nocapture.
    println!("{}", text.lines().last().unwrap_or_default());
}
