//! What every bench binary shares: criterion's settings with the allocator held steady, and
//! what comes after criterion (the fixture files, the Python peers, shmbmp timed from
//! Python, `reports/` and the README's results), so that `cargo bench` alone leaves a page
//! to open.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode};
use shmbmp_suite::{encode, report, timing};

/// True when the binary runs as a benchmark (`cargo bench`), not as a test (`cargo test --benches`).
pub fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// True for `cargo bench -- --quick`.
pub fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

/// Criterion configured from the command line, after holding the allocator steady for every
/// benchmark alike ([`timing::alloc::hold_steady`]); `--quick` also skips criterion's plots
/// (rendering them took about 3 s a benchmark here, most of a quick run) and resamples less.
pub fn criterion() -> Criterion {
    eprintln!("allocator: {}", timing::alloc::hold_steady());
    let c = Criterion::default().configure_from_args();
    if quick() {
        c.without_plots().nresamples(10_000)
    } else {
        c
    }
}

/// The sampling every criterion group here uses: 20 flat samples; criterion's `--quick` still
/// warms up and may measure up to the full time on a noisy machine, so the short run asks for
/// less time.
pub fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    let (warm_up, measurement) = if quick() {
        (Duration::from_millis(100), Duration::from_millis(400))
    } else {
        (Duration::from_millis(500), Duration::from_secs(2))
    };
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(warm_up)
        .measurement_time(measurement);
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Where the benchmark fixtures are written as files (for the Python peers and the writer).
pub fn fixtures_dir() -> PathBuf {
    let d = target().join("bench-fixtures");
    std::fs::create_dir_all(&d).expect("create target/bench-fixtures");
    d
}

/// Where this run's results go (criterion's folder and the JSON files the report reads).
pub fn inputs() -> report::Inputs {
    report::Inputs::in_target(&target())
}

/// Writes every benchmark fixture as `NAME.bmp` into [`fixtures_dir`] (for the bare program,
/// the Python peers and the writer) and returns their paths, in [`encode::bench_fixtures`]
/// order.
pub fn write_fixture_files() -> Vec<PathBuf> {
    let dir = fixtures_dir();
    encode::bench_fixtures()
        .iter()
        .map(|f| {
            let path = dir.join(format!("{}.bmp", f.name));
            std::fs::write(&path, encode::encode(&f.spec)).expect("write fixture");
            path
        })
        .collect()
}

/// The venv's Python: `SHMBMP_PYTHON`, else `.venv/bin/python`.
fn python() -> PathBuf {
    std::env::var_os("SHMBMP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"))
}

/// Runs `cmd` (a Python script writing `json`), saying what it runs; on failure removes
/// `json` so the report says `what` was not measured.
fn run_python(mut cmd: Command, json: &std::path::Path, what: &str) {
    if quick() {
        cmd.arg("--quick");
    }
    eprintln!("\n{what}: {cmd:?}");
    match cmd.status() {
        Ok(s) if s.success() => {}
        other => {
            eprintln!("{what} failed ({other:?}); the report will say they were not measured");
            let _ = std::fs::remove_file(json);
        }
    }
}

/// Times cv2, Pillow, numpy and (once) the seed's Python loop on the benchmark fixtures with
/// `benches/peers.py`, when the venv exists (`SHMBMP_PYTHON` or `.venv/bin/python`).
pub fn run_python_peers() {
    let json = inputs().peers;
    let _ = std::fs::remove_file(&json);
    let python = python();
    if !python.exists() {
        eprintln!(
            "\nPython peers not measured: {} not found. {}",
            python.display(),
            report::PEERS_SETUP
        );
        return;
    }
    let dir = fixtures_dir();
    write_fixture_files();
    let mut cmd = Command::new(&python);
    cmd.arg(root().join("benches/peers.py"))
        .arg("--fixtures")
        .arg(&dir)
        .arg("--out")
        .arg(&json)
        .arg("--seed-loop");
    run_python(cmd, &json, "Python peers");
}

/// Times shmbmp from Python beside the same peers with `python/bench.py` (the report's
/// "From Python" table), when the venv has the `shmbmp` package; the Rust side of its
/// binding check is this build's `shmbmp` CLI.
pub fn run_python_bench() {
    let json = inputs().python_bench;
    let _ = std::fs::remove_file(&json);
    let python = python();
    let has_package = Command::new(&python)
        .args(["-c", "import shmbmp"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_package {
        eprintln!(
            "\nFrom Python not measured: {} has no shmbmp package. {}",
            python.display(),
            report::FROM_PYTHON_SETUP
        );
        return;
    }
    let dir = fixtures_dir();
    write_fixture_files();
    let mut cmd = Command::new(&python);
    cmd.arg(root().join("python/bench.py"))
        .arg("--cli")
        .arg(env!("CARGO_BIN_EXE_shmbmp"))
        .arg("--fixtures")
        .arg(&dir)
        .arg("--out")
        .arg(&json);
    run_python(cmd, &json, "From Python");
}

/// Records what this run is (`--quick` or not, the allocator) for the report.
pub fn write_run_facts() {
    let facts = report::RunFacts {
        quick: quick(),
        allocator: timing::alloc::hold_steady().to_string(),
    };
    let json = serde_json::to_string_pretty(&facts).expect("serialize");
    std::fs::write(inputs().run, json).expect("write bench-run.json");
}

/// Writes `reports/index.html` and `reports/summary.md` from everything this run measured,
/// then the README's results section for this CPU's class ([`report::readme::rewrite`]);
/// neither when the run has no seed-frame table (a part of the benches on a fresh target
/// folder), so a partial run never replaces a whole report with a stub.
pub fn write_report() {
    let mut s = match report::summarize_from(&inputs()) {
        Ok(s) => s,
        Err(e) => return eprintln!("report not written: {e}"),
    };
    if s.seed_table().is_none() {
        return eprintln!(
            "reports/ and README not rewritten: this run has no seed-frame table (criterion's \
             decode/seed, from `cargo bench --bench decode`); the previous report stays"
        );
    }
    if let Err(e) = report::write(&mut s, &root().join("reports")) {
        return eprintln!("report not written: {e}");
    }
    for p in &s.written {
        eprintln!("report: {}", p.display());
    }
    if let Some(note) = &s.handoff_note {
        eprintln!("report: handoff table kept: {note}");
    }
    match report::readme::rewrite(&root().join("README.md"), &s) {
        Ok(what) => eprintln!("{what}"),
        Err(e) => eprintln!("README not rewritten: {e}"),
    }
}
