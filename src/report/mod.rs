//! Builds `reports/` (an offline `index.html` and a `summary.md`) from criterion's output,
//! the JSON files the benches write beside it (interleaved timings, the bare program, the
//! Python peers of `benches/peers.py`, `lut` against `lut_mt` call by call, the run's
//! facts), and the README's results for this CPU class ([`readme`]).
//!
//! The pages link only to each other and to anchors within them, never into `target/`, so
//! every link works in a fresh clone; criterion's own pages stay in `target/criterion/`.
//!
//! # Where criterion 0.8 puts things
//! Every benchmark has a directory `target/criterion/<directory_name>/` holding `new/` (the last
//! run: `benchmark.json`, `estimates.json`, `sample.json`, `tukey.json`), `base/` (the run
//! before, once there is one) and `report/index.html`. `directory_name` is the benchmark's full
//! id with characters unsafe in file names (`/ ? : * " < > | \`) replaced by `_`, so group
//! `decode/seed` with function `lut` lives in `decode_seed/lut/`, and `BenchmarkId::new("f", "x")`
//! adds one more level (`decode_seed/f/x/`). A group with more than one benchmark also gets
//! `<group dir>/report/index.html`. Names are therefore never guessed from directory names here:
//! `new/benchmark.json` says `group_id`, `function_id` (null for `BenchmarkId::from_parameter`),
//! `value_str`, `throughput` (`{"Bytes": n}`) and `directory_name`, and the median comes from
//! `new/estimates.json` (`median.point_estimate`, nanoseconds).
//!
//! # Conventions read here
//! Group `decode/<fixture>` holds one benchmark per registry decoder (`naive`, `lut`, `lut_mt`:
//! allocating their output; `image`, `bmp`, `zune`: the crate's own call into its own output),
//! a `<name>_into` benchmark for each of ours, a `<peer>_to_rgba` benchmark for each peer whose
//! output is not RGBA (the conversion alone), plus `floor` (a memcpy of the RGBA output size)
//! and `fill` (writing it once), each with `Throughput::Bytes(rgba_len)`. Other groups are
//! listed in one generic table.
//!
//! # Steps
//! [`build`] reads criterion's tree (`criterion`) and the peers' JSON (`peers`), computes the
//! tables (`summary`, with the run's facts from `environment`, the checks of `agreement`) and
//! renders them (`markdown`, `html`, sharing the wording of `text`).

mod agreement;
mod criterion;
mod environment;
mod error;
mod handoff;
mod html;
mod layouts;
mod markdown;
mod peers;
mod python;
pub mod readme;
mod summary;
mod target;
#[cfg(test)]
mod tests;
mod text;
mod threads;

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use agreement::Agreement;
pub use environment::rustc_version;
pub use error::ReportError;
pub use handoff::{HandoffFile, HandoffRow, HostTail, Yardstick, NO_DECODE, READERS_DEFAULT};
pub use html::render_html;
pub use layouts::{peer_limit, LAYOUT_LIMIT};
pub use markdown::render_markdown;
pub use python::{Binding, FromPython, FROM_PYTHON_SETUP};
pub use target::{Target, Unit};
pub use text::fmt_ns;
pub use threads::{Tail, ThreadsFixture, ThreadsReport, ThreadsRun};

use crate::timing::bare::BareRun;
use crate::timing::layouts::LayoutRun;
use crate::timing::{Interleaved, JobTimes};
use criterion::read_criterion;
use peers::read_peers;
use python::read_python_bench;
use summary::summarize;

/// The command that prepares the Python peers, quoted wherever they are missing.
pub const PEERS_SETUP: &str =
    "python3 -m venv .venv && .venv/bin/pip install numpy opencv-python-headless pillow";

/// The name of the seed fixture, whose table comes first.
pub const SEED_FIXTURE: &str = "seed";

/// Facts about the run that the files cannot tell; everything left `None` is found out or
/// reported as unknown.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `rustc -V` of the toolchain that ran the benchmarks.
    pub rustc: Option<String>,
    /// The Cargo.lock to read crate versions from (default: `<criterion_dir>/../../Cargo.lock`,
    /// then `./Cargo.lock`).
    pub cargo_lock: Option<PathBuf>,
    /// The date to print (default: today, UTC, `YYYY-MM-DD`).
    pub date: Option<String>,
    /// CPU model (default: from `/proc/cpuinfo`).
    pub cpu: Option<String>,
    /// Logical core count (default: from `/proc/cpuinfo`, else `available_parallelism`).
    pub cores: Option<usize>,
    /// The shared-memory handoff results written by `benches/shm.rs`, if any.
    pub handoff_json: Option<PathBuf>,
    /// The interleaved floor-and-decoders timings written by `benches/decode.rs`, if any.
    pub interleaved_json: Option<PathBuf>,
    /// The bare program's timings written by `benches/decode.rs`, if any.
    pub bare_json: Option<PathBuf>,
    /// The run's facts ([`RunFacts`]) written by `benches/decode.rs`, if any.
    pub run_json: Option<PathBuf>,
    /// shmbmp and the Python peers timed from Python by `python/bench.py`, if any.
    pub python_bench_json: Option<PathBuf>,
    /// `lut` and `lut_mt` timed call by call by `benches/cold.rs` ([`ThreadsRun`]), if any.
    pub threads_json: Option<PathBuf>,
    /// Ours and the peers in each pixel layout, interleaved, by `benches/cold.rs`
    /// ([`crate::timing::layouts::LayoutRun`]s), if any.
    pub layouts_json: Option<PathBuf>,
    /// When the handoff results predate this run (a run of `benches/decode.rs` alone keeps
    /// the previous `benches/shm.rs` results): the date they were written, `YYYY-MM-DD`.
    pub handoff_earlier: Option<String>,
}

/// What a bench run records about itself for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFacts {
    /// `cargo bench -- --quick` (few samples) rather than the full `cargo bench`.
    pub quick: bool,
    /// What was done to the allocator ([`crate::timing::alloc::hold_steady`]).
    pub allocator: String,
}

impl RunFacts {
    /// The command that made this run.
    pub fn command(&self) -> &'static str {
        if self.quick {
            "cargo bench -- --quick"
        } else {
            "cargo bench"
        }
    }
}

/// The run's environment, as printed at the top of both files.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// CPU model.
    pub cpu: String,
    /// CPU family and model numbers (`family 25, model 1`), when known.
    pub cpu_id: Option<String>,
    /// Logical cores.
    pub cores: usize,
    /// Date of the report (UTC).
    pub date: String,
    /// `rustc -V`, when given.
    pub rustc: Option<String>,
    /// The run's facts, when recorded.
    pub run: Option<RunFacts>,
    /// What was done to the allocator, when the run's facts are missing but the interleaved
    /// timings say.
    pub allocator: Option<String>,
    /// The SIMD kernels `lut` runs on this machine ([`crate::Kernels::detect`]) and every
    /// level the CPU offers, e.g. `avx512vbmi (CPU offers scalar, avx2, avx512vbmi)`.
    pub kernels: String,
    /// Versions of the peer crates (`image`, `bmp`, `zune-bmp`) from Cargo.lock; empty when
    /// no Cargo.lock was found.
    pub crates: Vec<(String, String)>,
    /// The Python peers' environment, when their JSON was given.
    pub python: Option<PythonEnv>,
}

/// What `peers.py` says about its own environment.
#[derive(Debug, Clone, PartialEq)]
pub struct PythonEnv {
    /// Python version.
    pub python: String,
    /// Package versions (`numpy`, `opencv`, `pillow`).
    pub versions: Vec<(String, String)>,
    /// CPU model as Python saw it.
    pub cpu: Option<String>,
    /// When the peers ran.
    pub date: Option<String>,
    /// Whether `--quick` (few repetitions) was used.
    pub quick: bool,
    /// What `peers.py` did to the allocator, when it says.
    pub allocator: Option<String>,
}

/// Where a row's number comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// One of shmbmp's own strategies (registry origin [`Origin::Ours`](crate::Origin::Ours)):
    /// `naive`, `lut`, `lut_mt`, `lut_scalar`, and their `_into` benchmarks.
    Ours,
    /// A Rust crate's own call into its own output (`image`, `bmp`, `zune`).
    RustCrate,
    /// Our conversion of a Rust crate's output to RGBA, alone (`zune_to_rgba`).
    Conversion,
    /// The memcpy floor.
    Floor,
    /// The write floor: filling the output once.
    WriteFloor,
    /// Any other Rust benchmark in a decode group.
    RustOther,
    /// A Python peer from `peers.py`.
    Python,
    /// A Python library's conversion of a peer's output to RGBA, alone (`cv2.cvtColor`).
    PythonConversion,
    /// The pure-Python byte-at-a-time loop, run once (the historical anchor).
    PythonAnchor,
}

impl RowKind {
    /// Short label used in the tables.
    pub fn label(self) -> &'static str {
        match self {
            RowKind::Ours => "Rust, shmbmp",
            RowKind::RustCrate => "Rust crate",
            RowKind::Conversion => "to RGBA, ours",
            RowKind::Floor => "memcpy floor",
            RowKind::WriteFloor => "write floor",
            RowKind::RustOther => "Rust",
            RowKind::Python => "Python peer",
            RowKind::PythonConversion => "to RGBA, Python",
            RowKind::PythonAnchor => "Python anchor (1 run)",
        }
    }

    /// Whether the row was measured by criterion.
    pub fn is_rust(self) -> bool {
        !matches!(
            self,
            RowKind::Python | RowKind::PythonConversion | RowKind::PythonAnchor
        )
    }

    /// Whether the row times only a conversion to RGBA of another row's output.
    pub fn is_conversion(self) -> bool {
        matches!(self, RowKind::Conversion | RowKind::PythonConversion)
    }
}

/// Whether a row's pixels were checked here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Rust rows: checked by the equivalence tests, not by the report.
    ByTests,
    /// The peer's RGBA equals Pillow's.
    AgreesWithPillow,
    /// The peer's RGBA differs from Pillow's (`max_delta` when the shapes matched).
    DiffersFromPillow {
        /// Largest per-channel difference.
        max_delta: Option<u64>,
    },
    /// Not known (the peer failed, or Pillow did).
    Unknown,
}

/// One decoder's line in a fixture table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Decoder or peer name (`lut`, `cv2.imdecode`, ...).
    pub decoder: String,
    /// Where the number comes from.
    pub kind: RowKind,
    /// Median time of one decode, nanoseconds; `None` when it failed or was not timed by
    /// criterion (a kernel level timed interleaved only).
    pub median_ns: Option<f64>,
    /// RGBA output bytes per second / 1e9.
    pub gb_per_s: Option<f64>,
    /// Median ÷ the `floor` (memcpy) median of the same fixture.
    pub vs_floor: Option<f64>,
    /// Median ÷ the `fill` (write floor) median of the same fixture.
    pub vs_fill: Option<f64>,
    /// Median ÷ the `lut` median of the same fixture (below 1: faster than `lut`).
    pub vs_lut: Option<f64>,
    /// Spread: criterion's 95% interval of the median, or the Python min..p90.
    pub spread: Option<String>,
    /// The same job timed interleaved, as ratios to the interleaved memcpy floor.
    pub interleaved: Option<InterleavedRatio>,
    /// For a conversion row: the row whose output it converts.
    pub converts: Option<String>,
    /// The pixel check.
    pub check: Check,
    /// Whether the timed work ends in RGBA (false for `cv2.imdecode` alone, which yields BGR).
    pub rgba_out: bool,
    /// Why it has no time.
    pub error: Option<String>,
    /// A remark.
    pub note: Option<String>,
}

/// A job's interleaved medians as ratios to the interleaved memcpy floor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InterleavedRatio {
    /// In turn ÷ the floor in turn.
    pub turn: f64,
    /// Repeated ÷ the floor repeated, when recorded.
    pub repeat: Option<f64>,
    /// Settled ÷ the floor settled, when recorded.
    pub settled: Option<f64>,
}

impl InterleavedRatio {
    /// `job`'s medians ÷ the memcpy floor's of the same run.
    pub fn of(job: JobTimes, run: &Interleaved) -> InterleavedRatio {
        let r = job.over(&run.floor());
        InterleavedRatio {
            turn: r.turn_ns,
            repeat: r.repeat_ns,
            settled: r.settled_ns,
        }
    }
}

/// The table of one fixture (`decode/<fixture>`).
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureTable {
    /// Fixture name (the file stem for the Python peers).
    pub fixture: String,
    /// Bytes of RGBA output (from criterion's throughput, else from the peers).
    pub rgba_bytes: Option<u64>,
    /// Width × height, when the peers or the interleaved pass reported it.
    pub dims: Option<(u64, u64)>,
    /// Rows, fastest first; rows without a time last.
    pub rows: Vec<Row>,
}

impl Summary {
    /// The seed frame's table, when this run timed `lut` on it with criterion: what a report
    /// and the README's section are about. Without it (a run of `benches/shm.rs` alone on a
    /// fresh target folder) neither is worth rewriting.
    pub fn seed_table(&self) -> Option<&FixtureTable> {
        self.fixtures.iter().find(|t| {
            t.fixture == SEED_FIXTURE
                && t.rows
                    .iter()
                    .any(|r| r.kind == RowKind::Ours && r.median_ns.is_some())
        })
    }
}

impl FixtureTable {
    /// The row called `decoder`.
    pub fn row(&self, decoder: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.decoder == decoder)
    }
}

/// A benchmark outside the `decode/` groups.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherRow {
    /// Criterion group id.
    pub group: String,
    /// Function id and/or value.
    pub bench: String,
    /// Median, nanoseconds.
    pub median_ns: f64,
    /// Bytes per iteration, when the benchmark declared it.
    pub throughput_bytes: Option<u64>,
}

/// Everything the report shows, as computed numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The environment.
    pub header: Header,
    /// One line answering the project's question for the seed frame, when it can be said.
    pub headline: Option<String>,
    /// How much the floor moved between same-sized fixtures: the run's noise, when measurable.
    pub floor_note: Option<String>,
    /// Fixture tables, the seed frame first, then by name.
    pub fixtures: Vec<FixtureTable>,
    /// Benchmarks outside `decode/`.
    pub other: Vec<OtherRow>,
    /// Cross-process shared-memory handoff runs (empty when not measured).
    pub handoff: Vec<HandoffRow>,
    /// The decode times the handoff is judged against, from the same run.
    pub handoff_yardstick: Option<Yardstick>,
    /// Set when the handoff runs come from an earlier bench run: when, in words.
    pub handoff_note: Option<String>,
    /// Interleaved floor-and-decoders timings per fixture (empty when not measured).
    pub interleaved: Vec<Interleaved>,
    /// The bare program's timings per fixture (empty when not measured).
    pub bare: Vec<BareRun>,
    /// The agreement checks: criterion, interleaved and bare figures of the same call.
    pub agreement: Vec<Agreement>,
    /// shmbmp from Python beside the Python peers (`None` when not measured).
    pub from_python: Option<FromPython>,
    /// `lut` against `lut_mt` call by call, their tails (`None` when not measured).
    pub threads: Option<ThreadsReport>,
    /// Ours and the peers in each pixel layout (`None` when not measured).
    pub layouts: Option<Vec<LayoutRun>>,
    /// The files written.
    pub written: Vec<PathBuf>,
}

/// Where a benchmark run leaves what the report is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// Criterion's output folder.
    pub criterion: PathBuf,
    /// The Python peers' timings (`benches/peers.py`).
    pub peers: PathBuf,
    /// The shared-memory handoff runs (`benches/shm.rs`).
    pub handoff: PathBuf,
    /// The interleaved floor-and-decoders timings (`benches/decode.rs`).
    pub interleaved: PathBuf,
    /// The bare program's timings (`benches/decode.rs`).
    pub bare: PathBuf,
    /// The run's facts (`benches/decode.rs`).
    pub run: PathBuf,
    /// shmbmp timed from Python (`python/bench.py`).
    pub python_bench: PathBuf,
    /// `lut` and `lut_mt` call by call (`benches/cold.rs`).
    pub threads: PathBuf,
    /// Ours and the peers in each pixel layout (`benches/cold.rs`).
    pub layouts: PathBuf,
}

impl Inputs {
    /// The locations `cargo bench` writes to under the target folder `target`.
    pub fn in_target(target: &Path) -> Inputs {
        Inputs {
            criterion: target.join("criterion"),
            peers: target.join("peers.json"),
            handoff: target.join("shm-handoff.json"),
            interleaved: target.join("interleaved.json"),
            bare: target.join("bare.json"),
            run: target.join("bench-run.json"),
            python_bench: target.join("python-bench.json"),
            threads: target.join(threads::THREADS_JSON),
            layouts: target.join(layouts::LAYOUTS_JSON),
        }
    }
}

/// [`summarize_from`] and [`write`]: what `shmbmp report` runs.
pub fn build_from(inputs: &Inputs, out_dir: &Path) -> Result<Summary, ReportError> {
    let mut summary = summarize_from(inputs)?;
    write(&mut summary, out_dir)?;
    Ok(summary)
}

/// [`summarize`](build_with) `inputs`, each JSON file used only when it exists, with the
/// `rustc` on the PATH, writing nothing. Handoff results older than the run's facts are
/// kept and said to be from an earlier run.
pub fn summarize_from(inputs: &Inputs) -> Result<Summary, ReportError> {
    let existing = |p: &PathBuf| p.exists().then(|| p.clone());
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let handoff_earlier = match (modified(&inputs.handoff), modified(&inputs.run)) {
        (Some(h), Some(r)) if h < r => Some(environment::date_utc(h)),
        _ => None,
    };
    let opts = Options {
        rustc: rustc_version(),
        handoff_json: existing(&inputs.handoff),
        interleaved_json: existing(&inputs.interleaved),
        bare_json: existing(&inputs.bare),
        run_json: existing(&inputs.run),
        python_bench_json: existing(&inputs.python_bench),
        threads_json: existing(&inputs.threads),
        layouts_json: existing(&inputs.layouts),
        handoff_earlier,
        ..Default::default()
    };
    summarize_with(&inputs.criterion, existing(&inputs.peers).as_deref(), &opts)
}

/// Builds the report from `criterion_dir` (usually `target/criterion`) and the optional
/// peers JSON, writing `out_dir/index.html` and `out_dir/summary.md`.
pub fn build(
    criterion_dir: &Path,
    peers_json: Option<&Path>,
    out_dir: &Path,
) -> Result<Summary, ReportError> {
    build_with(criterion_dir, peers_json, out_dir, &Options::default())
}

/// [`build`] with facts passed in (rustc version, Cargo.lock, date, ...).
pub fn build_with(
    criterion_dir: &Path,
    peers_json: Option<&Path>,
    out_dir: &Path,
    opts: &Options,
) -> Result<Summary, ReportError> {
    let mut summary = summarize_with(criterion_dir, peers_json, opts)?;
    write(&mut summary, out_dir)?;
    Ok(summary)
}

/// Everything [`build_with`] reads, as a [`Summary`]; nothing is written.
pub fn summarize_with(
    criterion_dir: &Path,
    peers_json: Option<&Path>,
    opts: &Options,
) -> Result<Summary, ReportError> {
    let mut benches = read_criterion(criterion_dir)?;
    let peers = peers_json.map(read_peers).transpose()?;
    let interleaved: Vec<Interleaved> = read_optional(&opts.interleaved_json)?.unwrap_or_default();
    let mut bare: Vec<BareRun> = read_optional(&opts.bare_json)?.unwrap_or_default();
    agreement::take_bare_benches(&mut benches, &mut bare);
    let run: Option<RunFacts> = read_optional(&opts.run_json)?;
    let from_python = opts
        .python_bench_json
        .as_deref()
        .map(read_python_bench)
        .transpose()?;
    let mut summary = summarize(
        criterion_dir,
        &benches,
        peers.as_ref(),
        &interleaved,
        opts,
        run,
    );
    summary.agreement = agreement::check(&summary.fixtures, &interleaved, &bare);
    summary.interleaved = interleaved;
    summary.bare = bare;
    summary.from_python = from_python.as_ref().map(FromPython::new);
    summary.threads = opts
        .threads_json
        .as_deref()
        .map(threads::read_threads)
        .transpose()?;
    summary.layouts = read_optional(&opts.layouts_json)?;
    if let Some(path) = &opts.handoff_json {
        let file: HandoffFile = read_json(path)?;
        (summary.handoff, summary.handoff_yardstick) = file.into_parts();
        summary.handoff_note = opts.handoff_earlier.as_ref().map(|d| {
            format!("From an earlier run of `benches/shm.rs` (written {d}), not this one: this run did not time the handoff.")
        });
    }
    Ok(summary)
}

/// Writes `out_dir/index.html` and `out_dir/summary.md` from `summary` and records them in
/// its `written`.
pub fn write(summary: &mut Summary, out_dir: &Path) -> Result<(), ReportError> {
    fs::create_dir_all(out_dir).map_err(|source| ReportError::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let html_path = out_dir.join("index.html");
    let md_path = out_dir.join("summary.md");
    for (path, text) in [
        (&html_path, render_html(summary)),
        (&md_path, render_markdown(summary)),
    ] {
        fs::write(path, text).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
    }
    summary.written = vec![html_path, md_path];
    Ok(())
}

/// [`read_json`] of `path`, when there is one.
fn read_optional<T: for<'de> Deserialize<'de>>(
    path: &Option<PathBuf>,
) -> Result<Option<T>, ReportError> {
    path.as_deref().map(read_json).transpose()
}

/// The JSON file at `path`, read and parsed, or an error naming it.
fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ReportError> {
    let text = fs::read_to_string(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| ReportError::Json {
        path: path.to_path_buf(),
        source,
    })
}
