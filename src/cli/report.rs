//! `shmbmp report` and `shmbmp fixtures`: the benchmark summary and its inputs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::CliResult;
use shmbmp::{encode, report};

/// Writes `reports/index.html` and `reports/summary.md` from criterion's output, the peers'
/// JSON, the handoff JSON and the interleaved JSON (each JSON only when it exists).
pub fn run(
    criterion: &Path,
    peers: &Path,
    handoff: &Path,
    interleaved: &Path,
    out: &Path,
) -> CliResult {
    let peers = peers.exists().then_some(peers);
    if peers.is_none() {
        eprintln!("note: no Python peers JSON; the report will say they were not measured");
    }
    let opts = report::Options {
        rustc: report::rustc_version(),
        handoff_json: handoff.exists().then(|| handoff.to_path_buf()),
        interleaved_json: interleaved.exists().then(|| interleaved.to_path_buf()),
        ..Default::default()
    };
    let summary = report::build_with(criterion, peers, out, &opts)?;
    for path in &summary.written {
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes every fixture (`--bench`: the 1600×1200 benchmark set) as `NAME.bmp` into `dir`.
pub fn fixtures(dir: &PathBuf, bench: bool) -> CliResult {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let list = if bench {
        encode::bench_fixtures()
    } else {
        encode::fixtures()
    };
    for f in &list {
        let path = dir.join(format!("{}.bmp", f.name));
        std::fs::write(&path, encode::encode(&f.spec))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!("wrote {} fixtures to {}", list.len(), dir.display());
    Ok(ExitCode::SUCCESS)
}
