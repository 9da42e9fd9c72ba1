//! The bare-call check: each peer crate (and `lut`) timed by `shmbmp-bare`, a minimal
//! program of its own (`src/bin/shmbmp-bare.rs`) that calls the crate directly in a plain
//! loop, in its own process. It runs twice: with the allocator held steady as in every
//! timing path of the suite (through `GLIBC_TUNABLES`, [`alloc::glibc_tunables`]), the
//! like-for-like reference, and with the allocator at its defaults, as a user's minimal
//! program runs. The suite's figures for the same call, measured in the same run, should be
//! within [`BARE_LIMIT`] of the held-steady run; a harness that adds work (a copy, a wrapper)
//! shows up as a ratio above it. The run at defaults shows what fresh pages cost a program
//! that lets glibc hand freed blocks back to the kernel.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::{alloc, Interleaved};

/// How far the suite's median may stray from the bare program's, either way, before it is
/// flagged.
pub const BARE_LIMIT: f64 = 1.3;

/// The calls `shmbmp-bare` knows, by the suite's criterion names: the four peers' own
/// calls, `lut` (allocating its output) and `lut_into` (into a reused buffer).
pub const BARE_CALLS: [&str; 6] = ["lut", "lut_into", "image", "bmp", "zune", "stb"];

/// The bare program's medians for one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BareTime {
    /// The call, by its criterion name (see [`BARE_CALLS`]).
    pub call: String,
    /// Median of single timed runs, nanoseconds (the interleaved pass's statistic); `None`
    /// when the call failed.
    pub median_ns: Option<f64>,
    /// Median over batches of runs back to back of each batch's mean, nanoseconds
    /// (criterion's statistic; a run that loses its core lifts a batch's mean, not a median
    /// of single runs).
    #[serde(default)]
    pub batch_ns: Option<f64>,
    /// The call's error, when it failed.
    pub error: Option<String>,
}

/// The bare program's results on one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BareRun {
    /// Fixture or file name.
    pub name: String,
    /// Timed runs of each call.
    pub rounds: usize,
    /// One result per call asked for, the allocator held steady (where it can be; else at
    /// its defaults, as [`BareRun::steady`] says).
    pub times: Vec<BareTime>,
    /// Whether `times` ran with the allocator held steady.
    #[serde(default)]
    pub steady: bool,
    /// The same calls with the allocator at its defaults (empty when not run).
    #[serde(default)]
    pub at_defaults: Vec<BareTime>,
}

impl BareRun {
    /// The median of single runs of `call`, if it was timed.
    pub fn median_ns(&self, call: &str) -> Option<f64> {
        self.time(call).and_then(|t| t.median_ns)
    }

    /// The batch statistic of `call` (see [`BareTime::batch_ns`]), else its median.
    pub fn batch_ns(&self, call: &str) -> Option<f64> {
        self.time(call).and_then(|t| t.batch_ns.or(t.median_ns))
    }

    /// The batch statistic of `call` with the allocator at its defaults, if it was run so.
    pub fn defaults_batch_ns(&self, call: &str) -> Option<f64> {
        let t = self.at_defaults.iter().find(|t| t.call == call)?;
        t.batch_ns.or(t.median_ns)
    }

    /// The median of single runs of `call` with the allocator at its defaults, if run so.
    pub fn defaults_median_ns(&self, call: &str) -> Option<f64> {
        self.at_defaults
            .iter()
            .find(|t| t.call == call)
            .and_then(|t| t.median_ns)
    }

    fn time(&self, call: &str) -> Option<&BareTime> {
        self.times.iter().find(|t| t.call == call)
    }
}

/// The bare call that corresponds to `decoder` as the interleaved pass times it: a peer's
/// own call, or `lut` into a reused buffer (`lut_into`).
pub fn bare_call_of_interleaved(decoder: &str) -> Option<&'static str> {
    match decoder {
        "lut" => Some("lut_into"),
        d => BARE_CALLS.iter().copied().find(|c| *c == d && *c != "lut"),
    }
}

/// `shmbmp-bare` beside the running executable (where `cargo build` and `cargo install`
/// put it), or the reason it cannot be found.
pub fn program_beside_current_exe() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let bare = exe.with_file_name(format!("shmbmp-bare{}", std::env::consts::EXE_SUFFIX));
    if bare.is_file() {
        Ok(bare)
    } else {
        Err(format!(
            "{} not found: build it with `cargo build --release --bins` (or install both \
             programs with `cargo install --path . --locked`)",
            bare.display()
        ))
    }
}

/// Runs `program` (`shmbmp-bare`) on `file` for `calls`, `rounds` timed runs each: at the
/// allocator's defaults, then held steady.
pub fn run(
    program: &Path,
    name: &str,
    file: &Path,
    rounds: usize,
    calls: &[&str],
) -> Result<BareRun, String> {
    let at_defaults = run_once(program, file, rounds, calls, None)?;
    let tunables = alloc::glibc_tunables();
    let times = match &tunables {
        Some(t) => run_once(program, file, rounds, calls, Some(t))?,
        None => at_defaults.clone(),
    };
    Ok(BareRun {
        name: name.to_string(),
        rounds: rounds.max(1),
        times,
        steady: tunables.is_some(),
        at_defaults,
    })
}

/// One run of `program`, with `GLIBC_TUNABLES` set to `tunables` when given.
fn run_once(
    program: &Path,
    file: &Path,
    rounds: usize,
    calls: &[&str],
    tunables: Option<&str>,
) -> Result<Vec<BareTime>, String> {
    let mut cmd = Command::new(program);
    cmd.arg(file).arg(rounds.max(1).to_string()).args(calls);
    if let Some(t) = tunables {
        cmd.env("GLIBC_TUNABLES", t);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            program.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse(&String::from_utf8_lossy(&out.stdout))
}

/// `NAME MEDIAN_NS BATCH_NS` and `NAME error MESSAGE` lines, as `shmbmp-bare` prints them.
fn parse(text: &str) -> Result<Vec<BareTime>, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let (call, rest) = line
                .split_once(' ')
                .ok_or_else(|| format!("unexpected line from shmbmp-bare: {line:?}"))?;
            let unexpected = || format!("unexpected line from shmbmp-bare: {line:?}");
            if let Some(e) = rest.strip_prefix("error ") {
                return Ok(BareTime {
                    call: call.to_string(),
                    median_ns: None,
                    batch_ns: None,
                    error: Some(e.to_string()),
                });
            }
            let mut numbers = rest.split(' ').map(|n| n.parse::<f64>());
            let median_ns = numbers.next().and_then(Result::ok).ok_or_else(unexpected)?;
            let batch_ns = numbers.next().transpose().map_err(|_| unexpected())?;
            Ok(BareTime {
                call: call.to_string(),
                median_ns: Some(median_ns),
                batch_ns,
                error: None,
            })
        })
        .collect()
}

/// The calls to ask the bare program for on a file the interleaved pass `t` timed: the
/// bare counterpart of every decoder that decoded it.
pub fn calls_for(t: &Interleaved) -> Vec<&'static str> {
    t.decoders
        .iter()
        .filter(|d| d.median_ns.is_some())
        .filter_map(|d| bare_call_of_interleaved(&d.decoder))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_into_times_and_errors() {
        let got = parse("image 3200000 3300000\nbmp error bad header here\n\n").unwrap();
        assert_eq!(got[0].median_ns, Some(3.2e6));
        assert_eq!(got[0].batch_ns, Some(3.3e6));
        assert_eq!(parse("zune 5").unwrap()[0].batch_ns, None);
        assert!(parse("zune 5 x").is_err());
        assert_eq!(got[1].error.as_deref(), Some("bad header here"));
        assert!(parse("image fast").is_err());
        assert!(parse("nothing").is_err());
    }

    #[test]
    fn interleaved_names_map_to_bare_calls() {
        assert_eq!(bare_call_of_interleaved("lut"), Some("lut_into"));
        assert_eq!(bare_call_of_interleaved("zune"), Some("zune"));
        assert_eq!(bare_call_of_interleaved("lut_mt"), None);
        assert_eq!(bare_call_of_interleaved("naive"), None);
    }
}
