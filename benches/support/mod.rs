//! What every bench binary does after criterion: the Python peers (decode bench only) and
//! the `reports/` summary, so that `cargo bench` alone leaves a page to open.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode};
use shmbmp_suite::{encode, report};

/// True when the binary runs as a benchmark (`cargo bench`), not as a test (`cargo test --benches`).
pub fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// True for `cargo bench -- --quick`.
pub fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

/// Criterion configured from the command line; `--quick` also skips criterion's plots
/// (rendering them took about 3 s a benchmark here, most of a quick run) and resamples less.
pub fn criterion() -> Criterion {
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

/// Times cv2, Pillow, numpy and (once) the seed's Python loop on the benchmark fixtures with
/// `benches/peers.py`, when the venv exists (`SHMBMP_PYTHON` or `.venv/bin/python`).
pub fn run_python_peers() {
    let json = inputs().peers;
    let _ = std::fs::remove_file(&json);
    let python = std::env::var_os("SHMBMP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"));
    if !python.exists() {
        eprintln!(
            "\nPython peers not measured: {} not found. {}",
            python.display(),
            report::PEERS_SETUP
        );
        return;
    }
    let dir = fixtures_dir();
    for f in encode::bench_fixtures() {
        std::fs::write(dir.join(format!("{}.bmp", f.name)), encode::encode(&f.spec))
            .expect("write fixture");
    }
    let mut cmd = Command::new(&python);
    cmd.arg(root().join("benches/peers.py"))
        .arg("--fixtures")
        .arg(&dir)
        .arg("--out")
        .arg(&json)
        .arg("--seed-loop");
    if quick() {
        cmd.arg("--quick");
    }
    eprintln!("\nPython peers: {cmd:?}");
    match cmd.status() {
        Ok(s) if s.success() => {}
        other => {
            eprintln!(
                "Python peers failed ({other:?}); the report will say they were not measured"
            );
            let _ = std::fs::remove_file(&json);
        }
    }
}

/// Writes `reports/index.html` and `reports/summary.md` from everything this run measured.
pub fn write_report() {
    match report::build_from(&inputs(), &root().join("reports")) {
        Ok(s) => {
            for p in &s.written {
                eprintln!("report: {}", p.display());
            }
        }
        Err(e) => eprintln!("report not written: {e}"),
    }
}
