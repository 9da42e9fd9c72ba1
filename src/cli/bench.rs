//! `shmbmp bench FILE...`: a quick standalone timing of every decoder on a user's own frames.

use std::path::PathBuf;
use std::process::ExitCode;

use super::files::LimitArgs;
use super::CliResult;
use shmbmp_suite::report::fmt_ns;
use shmbmp_suite::timing::{compared_decoders, interleave_decoders};
use shmbmp_suite::{by_name, Decoder};

/// Times `decoder` (a registry name or `all`) on each file and prints a table per file; the
/// floor and the decoders run interleaved, round by round ([`shmbmp_suite::timing`]).
pub fn run(files: &[PathBuf], decoder: &str, iters: usize, limits: &LimitArgs) -> CliResult {
    let decoders: Vec<&dyn Decoder> = if decoder == "all" {
        compared_decoders()
    } else {
        vec![by_name(decoder)?]
    };
    let limits = limits.limits();
    for file in files {
        let bmp = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let t = interleave_decoders(&file.display().to_string(), &bmp, &decoders, &limits, iters)
            .map_err(|e| super::files::file_error(file, &e))?;
        let lut = t.median_ns("lut");
        println!(
            "{}: {}x{}, {} bytes of RGBA, median of {}",
            t.name,
            t.width,
            t.height,
            t.rgba_bytes,
            super::count(t.rounds as u64, "interleaved round")
        );
        println!(
            "  {:<26} {:>10} {:>8} {:>9} {:>8}",
            "decoder", "median", "GB/s", "/ floor", "/ lut"
        );
        let floor = [("floor (memcpy)".to_string(), Ok(t.floor_ns))];
        let rows = t.decoders.iter().map(|d| {
            let name = format!("{} (decode_into)", d.decoder);
            (name, d.median_ns.ok_or(d.error.clone().unwrap_or_default()))
        });
        for (name, row) in floor.into_iter().chain(rows) {
            match row {
                Ok(ns) => {
                    let vs_lut = lut.map_or("-".into(), |l| format!("{:.2}", ns / l));
                    println!(
                        "  {name:<26} {:>10} {:>8.2} {:>9.2} {vs_lut:>8}",
                        fmt_ns(ns),
                        t.rgba_bytes as f64 / ns,
                        ns / t.floor_ns
                    );
                }
                Err(e) => println!("  {name:<26} {e}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
