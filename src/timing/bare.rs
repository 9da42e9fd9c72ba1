//! The bare-call check: each peer crate (and `lut`) timed by `shmbmp-bare`, a minimal
//! program of its own (`src/bin/shmbmp-bare.rs`) that calls the crate directly, in its own
//! process. It runs twice: with the allocator held steady as in every timing path of the
//! suite (through `GLIBC_TUNABLES`, [`alloc::glibc_tunables`]), the like-for-like reference,
//! and with the allocator at its defaults, as a user's minimal program runs.
//!
//! The program answers requests for timed runs ([`BareServer`]), so its runs are taken in
//! turn with the suite's own, in the same seconds: as jobs of the interleaved pass (its
//! settled median beside ours) and as a criterion benchmark right after ours
//! ([`CRITERION_PREFIX`]). On a host whose speed drifts by half within minutes, figures taken
//! minutes apart cannot be compared; taken together, they can. The suite's figures for a
//! call should be within [`BARE_LIMIT`] of the held-steady program's; a harness that adds
//! work (a copy, a wrapper) shows up as a ratio above it. The run at defaults shows what
//! fresh pages cost a program that lets glibc hand freed blocks back to the kernel.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{alloc, Medians};
use crate::Decoder;

/// How far the suite's median may stray from the bare program's, either way, before it is
/// flagged.
pub const BARE_LIMIT: f64 = 1.3;

/// The calls `shmbmp-bare` knows, by the suite's criterion names: the four peers' own
/// calls, `lut` (allocating its output) and `lut_into` (into a reused buffer).
pub const BARE_CALLS: [&str; 6] = ["lut", "lut_into", "image", "bmp", "zune", "stb"];

/// The prefix of the criterion benchmark that times a bare call (`bare_zune`), right after
/// the suite's own benchmark of the same call in the same group.
pub const CRITERION_PREFIX: &str = "bare_";

/// The bare program's figures for one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BareTime {
    /// The call, by its criterion name (see [`BARE_CALLS`]).
    pub call: String,
    /// Median of single runs, nanoseconds, each the last of [`RUNS_PER_ROUND`] in a row in
    /// the rounds of the suite's interleaved pass (settled, as the suite's own); `None` when
    /// the call failed.
    ///
    /// [`RUNS_PER_ROUND`]: super::RUNS_PER_ROUND
    pub median_ns: Option<f64>,
    /// Criterion's median for the call ([`CRITERION_PREFIX`]), measured right after the
    /// suite's own benchmark of it; the report fills it in from criterion's results.
    #[serde(default)]
    pub criterion_ns: Option<f64>,
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
    /// The settled median of single runs of `call` (see [`BareTime::median_ns`]), if it was
    /// timed.
    pub fn median_ns(&self, call: &str) -> Option<f64> {
        self.time(call).and_then(|t| t.median_ns)
    }

    /// Criterion's median for `call` (see [`BareTime::criterion_ns`]), if it was timed so.
    pub fn criterion_ns(&self, call: &str) -> Option<f64> {
        self.time(call).and_then(|t| t.criterion_ns)
    }

    /// The same with the allocator at its defaults, if it was run so.
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

/// A running `shmbmp-bare` on one file, answering requests for timed runs of its calls,
/// so that its runs can be interleaved with the suite's own (see the program's docs).
pub struct BareServer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The calls that failed when warming up, with their errors; they are not served.
    pub refused: Vec<(String, String)>,
    /// The first error after warm-up (the process died, a call failed): every later request
    /// answers zero and the run reports this error for every call.
    pub failed: Option<String>,
}

impl BareServer {
    /// Starts `program` on `file` for `calls`, with `GLIBC_TUNABLES` set to `tunables` when
    /// given, and waits until it has warmed every call up.
    pub fn start(
        program: &Path,
        file: &Path,
        calls: &[&str],
        tunables: Option<&str>,
    ) -> Result<Self, String> {
        let mut cmd = Command::new(program);
        cmd.arg(file)
            .args(calls)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        if let Some(t) = tunables {
            cmd.env("GLIBC_TUNABLES", t);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            unreachable!("both piped above");
        };
        let mut server = BareServer {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            refused: Vec::new(),
            failed: None,
        };
        loop {
            let line = server
                .read_line()
                .map_err(|e| format!("{} ended before it was ready: {e}", program.display()))?;
            if line == "ready" {
                return Ok(server);
            }
            match parse_line(&line)? {
                (call, Err(e)) => server.refused.push((call.to_string(), e)),
                (_, Ok(_)) => return Err(unexpected(&line)),
            }
        }
    }

    /// The time `runs` runs of `call` back to back took in the bare program, as it timed
    /// them; zero once the program has failed (see [`BareServer::failed`]).
    pub fn time(&mut self, call: &str, runs: u64) -> Duration {
        if self.failed.is_some() {
            return Duration::ZERO;
        }
        let answer = writeln!(self.stdin, "{call} {runs}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("shmbmp-bare stopped answering: {e}"))
            .and_then(|()| self.read_line())
            .and_then(|line| match parse_line(&line)? {
                (c, Ok(ns)) if c == call => Ok(Duration::from_nanos(ns)),
                (_, Err(e)) => Err(e),
                _ => Err(unexpected(&line)),
            });
        answer.unwrap_or_else(|e| {
            self.failed = Some(e);
            Duration::ZERO
        })
    }

    fn read_line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("shmbmp-bare ended".to_string()),
            Ok(_) => Ok(line.trim_end().to_string()),
            Err(e) => Err(format!("cannot read from shmbmp-bare: {e}")),
        }
    }
}

impl Drop for BareServer {
    fn drop(&mut self) {
        // The end of its input ends it; a program stuck in a call is killed.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unexpected(line: &str) -> String {
    format!("unexpected line from shmbmp-bare: {line:?}")
}

/// `CALL NS` or `CALL error MESSAGE`, as `shmbmp-bare` answers.
fn parse_line(line: &str) -> Result<(&str, Result<u64, String>), String> {
    let (call, rest) = line.split_once(' ').ok_or_else(|| unexpected(line))?;
    if let Some(e) = rest.strip_prefix("error ") {
        return Ok((call, Err(e.to_string())));
    }
    let ns = rest.parse::<u64>().map_err(|_| unexpected(line))?;
    Ok((call, Ok(ns)))
}

/// The bare program twice on one file: with the allocator held steady (where it can be) and
/// at its defaults, both serving the same calls.
pub struct Bare {
    /// Held steady through `GLIBC_TUNABLES` ([`alloc::glibc_tunables`]); `None` where the
    /// allocator has no such settings, and then `defaults` is the only reference.
    pub steady: Option<BareServer>,
    /// The allocator at its defaults, as a user's minimal program runs.
    pub defaults: BareServer,
    calls: Vec<&'static str>,
}

impl Bare {
    /// Starts both programs on `file` for `calls`.
    pub fn start(program: &Path, file: &Path, calls: &[&'static str]) -> Result<Self, String> {
        let steady = alloc::glibc_tunables()
            .map(|t| BareServer::start(program, file, calls, Some(&t)))
            .transpose()?;
        let defaults = BareServer::start(program, file, calls, None)?;
        Ok(Bare {
            steady,
            defaults,
            calls: calls.to_vec(),
        })
    }

    /// The calls the programs warmed up without an error (both run the same calls on the
    /// same file; the one at the defaults is asked).
    pub fn served(&self) -> Vec<&'static str> {
        let refused = |c: &str| self.defaults.refused.iter().any(|(r, _)| r == c);
        self.calls.iter().copied().filter(|c| !refused(c)).collect()
    }

    /// The results as a [`BareRun`] on `name`: `steady` and `defaults` hold the medians
    /// (settled) of each server's runs in the same order as [`Bare::served`].
    pub fn run(
        &self,
        name: &str,
        rounds: usize,
        steady: &[Medians],
        defaults: &[Medians],
    ) -> BareRun {
        let served = self.served();
        let times = |server: &BareServer, medians: &[Medians]| -> Vec<BareTime> {
            let mut m = medians.iter();
            self.calls
                .iter()
                .map(|c| {
                    let settled = served.contains(c).then(|| m.next()).flatten();
                    let error = (server.refused.iter())
                        .find(|(r, _)| r == c)
                        .map(|(_, e)| e.clone())
                        .or_else(|| server.failed.clone());
                    BareTime {
                        call: c.to_string(),
                        median_ns: settled.map(|x| x.settled_ns).filter(|_| error.is_none()),
                        criterion_ns: None,
                        error,
                    }
                })
                .collect()
        };
        let at_defaults = times(&self.defaults, defaults);
        BareRun {
            name: name.to_string(),
            rounds: rounds.max(1),
            times: match &self.steady {
                Some(s) => times(s, steady),
                None => at_defaults.clone(),
            },
            steady: self.steady.is_some(),
            at_defaults,
        }
    }
}

/// The calls to ask the bare program for beside `decoders`: the bare counterpart of each.
pub fn calls_for(decoders: &[&dyn Decoder]) -> Vec<&'static str> {
    decoders
        .iter()
        .filter_map(|d| bare_call_of_interleaved(d.name()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_into_times_and_errors() {
        assert_eq!(
            parse_line("image 3200000").unwrap(),
            ("image", Ok(3_200_000))
        );
        assert_eq!(
            parse_line("bmp error bad header here").unwrap(),
            ("bmp", Err("bad header here".to_string()))
        );
        assert!(parse_line("zune 5 x").is_err());
        assert!(parse_line("image fast").is_err());
        assert!(parse_line("image -3").is_err());
        assert!(parse_line("nothing").is_err());
    }

    #[test]
    fn interleaved_names_map_to_bare_calls() {
        assert_eq!(bare_call_of_interleaved("lut"), Some("lut_into"));
        assert_eq!(bare_call_of_interleaved("zune"), Some("zune"));
        assert_eq!(bare_call_of_interleaved("lut_mt"), None);
        assert_eq!(bare_call_of_interleaved("naive"), None);
    }
}
