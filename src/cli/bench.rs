//! `shmbmp bench FILE...`: a quick standalone timing of every decoder on a user's own frames.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use super::files::LimitArgs;
use super::layouts;
use super::threads::threaded;
use super::CliResult;
use shmbmp_suite::format::PixelLayout;
use shmbmp_suite::timing::layouts::{interleave_layouts, Lineup};
use shmbmp_suite::timing::{bare, compared_decoders, interleave_beside_bare};
use shmbmp_suite::{by_name, Decoder};

/// Times `decoder` (a registry name or `all`) on each file and prints a table per file; the
/// floors and the decoders run interleaved, round by round ([`shmbmp_suite::timing`]). With
/// `with_bare`, `shmbmp-bare` times the same calls in a process of its own, its runs in the
/// same rounds, for comparison.
/// With `layouts`, the layout table instead ([`layouts::render`]). With `threads`, `lut`
/// and each kernel level among them are timed on that many threads too.
pub fn run(
    files: &[PathBuf],
    decoder: &str,
    iters: usize,
    with_bare: bool,
    layouts: &[PixelLayout],
    threads: Option<NonZeroUsize>,
    limits: &LimitArgs,
) -> CliResult {
    let mut decoders: Vec<&'static dyn Decoder> = if decoder == "all" {
        compared_decoders()
    } else {
        vec![by_name(decoder)?]
    };
    if let Some(n) = threads.filter(|n| n.get() > 1) {
        decoders = with_threads(&decoders, n)?;
    }
    if !layouts.is_empty() {
        let lineup = Lineup::of(&decoders);
        for file in files {
            let bmp = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let name = file.display().to_string();
            let run = interleave_layouts(&name, &bmp, &lineup, layouts, &limits.limits(), iters)
                .map_err(|e| super::files::file_error(file, &e))?;
            print!("{}", layouts::render(&run));
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
        let mut servers = match &program {
            Some(p) => Some(bare::Bare::start(p, file, &bare::calls_for(&decoders))?),
            None => None,
        };
        let (t, run) =
            interleave_beside_bare(&name, &bmp, &decoders, &limits, iters, servers.as_mut())
                .map_err(|e| super::files::file_error(file, &e))?;
        print!("{}", t.table(run.as_ref()));
    }
    Ok(ExitCode::SUCCESS)
}

/// `decoders`, each that takes a thread count followed by itself on `threads` threads;
/// an error when none does.
fn with_threads(
    decoders: &[&'static dyn Decoder],
    threads: NonZeroUsize,
) -> Result<Vec<&'static dyn Decoder>, String> {
    let mut out = Vec::with_capacity(decoders.len() * 2);
    for d in decoders {
        out.push(*d);
        if let Some(t) = threaded(d.name(), threads) {
            out.push(t);
        }
    }
    if out.len() == decoders.len() {
        return Err(format!(
            "--threads {threads}: only lut and its kernel levels take a thread count, and none of {} is timed",
            decoders.iter().map(|d| d.name()).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(out)
}
