//! `shmbmp bench FILE...`: a quick standalone timing of every decoder on a user's own frames.

use std::path::PathBuf;
use std::process::ExitCode;

use super::files::LimitArgs;
use super::layouts::{self, Lineup};
use super::CliResult;
use shmbmp_suite::format::PixelLayout;
use shmbmp_suite::timing::{bare, compared_decoders, interleave_decoders};
use shmbmp_suite::{by_name, Decoder};

/// Times `decoder` (a registry name or `all`) on each file and prints a table per file; the
/// floors and the decoders run interleaved, round by round ([`shmbmp_suite::timing`]). With
/// `with_bare`, `shmbmp-bare` times the same calls in a process of its own for comparison.
/// With `layouts`, the layout table instead ([`layouts::table`]).
pub fn run(
    files: &[PathBuf],
    decoder: &str,
    iters: usize,
    with_bare: bool,
    layouts: &[PixelLayout],
    limits: &LimitArgs,
) -> CliResult {
    let decoders: Vec<&'static dyn Decoder> = if decoder == "all" {
        compared_decoders()
    } else {
        vec![by_name(decoder)?]
    };
    if !layouts.is_empty() {
        let lineup = Lineup::of(&decoders);
        for file in files {
            let bmp = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let name = file.display().to_string();
            let t = layouts::table(&name, &bmp, &lineup, layouts, &limits.limits(), iters)
                .map_err(|e| super::files::file_error(file, &e))?;
            print!("{t}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let program = if with_bare {
        Some(bare::program_beside_current_exe()?)
    } else {
        None
    };
    let limits = limits.limits();
    for file in files {
        let bmp = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let name = file.display().to_string();
        let t = interleave_decoders(&name, &bmp, &decoders, &limits, iters)
            .map_err(|e| super::files::file_error(file, &e))?;
        let run = match &program {
            Some(p) => Some(bare::run(p, &name, file, iters, &bare::calls_for(&t))?),
            None => None,
        };
        print!("{}", t.table(run.as_ref()));
    }
    Ok(ExitCode::SUCCESS)
}
