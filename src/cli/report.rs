//! `shmbmp report` and `shmbmp fixtures`: the benchmark summary and its inputs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::CliResult;
use shmbmp_suite::{encode, report};

/// Writes `reports/index.html` and `reports/summary.md` from `inputs` (each JSON only when
/// it exists), and with `readme` that README's results section for this CPU's class.
pub fn run(inputs: &report::Inputs, out: &Path, readme: Option<&Path>) -> CliResult {
    if !inputs.criterion.is_dir() {
        return Err(format!(
            "no benchmark results under {}: run `cargo bench` first, from the project folder \
             (`cargo bench -- --quick` is the short run; either writes reports/ itself), or \
             point --criterion at criterion's output folder",
            inputs.criterion.display()
        )
        .into());
    }
    if !inputs.peers.exists() {
        eprintln!("note: no Python peers JSON; the report will say they were not measured");
    }
    let summary = report::build_from(inputs, out)?;
    for path in &summary.written {
        println!("wrote {}", path.display());
    }
    if let Some(readme) = readme {
        let what = report::readme::rewrite(readme, &summary)
            .map_err(|e| format!("{}: not rewritten: {e}", readme.display()))?;
        println!("{what}");
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
    println!(
        "wrote {} to {}",
        super::count(list.len() as u64, "fixture"),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
