//! Builds `reports/` (an offline `index.html` and a `summary.md`) from criterion's output and
//! the Python peers' JSON written by `benches/peers.py`.
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
//! Group `decode/<fixture>` holds one benchmark per registry decoder (`naive`, `lut`, `lut_mt`,
//! `image`, `bmp`, `zune`), a `<name>_into` benchmark for each of ours, plus `floor` (a memcpy
//! of the RGBA output size), each with `Throughput::Bytes(rgba_len)`. Other groups are listed
//! in one generic table.
//!
//! # Steps
//! [`build`] reads criterion's tree (`criterion`) and the peers' JSON (`peers`), computes the
//! tables (`summary`, with the run's facts from `environment`) and renders them (`markdown`,
//! `html`, sharing the wording of `text`).

mod criterion;
mod environment;
mod error;
mod html;
mod links;
mod markdown;
mod peers;
mod summary;
#[cfg(test)]
mod tests;
mod text;

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use environment::rustc_version;
pub use error::ReportError;
pub use html::render_html;
pub use markdown::render_markdown;
pub use text::fmt_ns;

use criterion::read_criterion;
use links::relative_path;
use peers::read_peers;
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
}

/// One cross-process handoff run: a writer process publishing the seed frame, this process
/// reading and decoding every frame it can with `lut` into reused buffers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
pub struct HandoffRow {
    /// `as fast as possible` or `N frames/s`.
    pub mode: String,
    /// Length of the measured window.
    pub seconds: f64,
    /// Frames the writer published per second.
    pub published_per_s: f64,
    /// Frames the reader copied out whole and decoded per second.
    pub decoded_per_s: f64,
    /// Median latency from `written_ns` to decoded, in microseconds.
    pub p50_us: f64,
    /// 99th percentile latency in microseconds.
    pub p99_us: f64,
    /// Largest latency in microseconds.
    pub max_us: f64,
    /// Frames decoded.
    pub frames: u64,
    /// Frames published but never read (the reader was busy).
    pub skipped: u64,
    /// Read attempts the seqlock rejected (never handed out).
    pub torn: u64,
    /// Read attempts whose slot was already reused for a newer frame.
    pub overtaken: u64,
}

/// The run's environment, as printed at the top of both files.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// CPU model.
    pub cpu: String,
    /// Logical cores.
    pub cores: usize,
    /// Date of the report (UTC).
    pub date: String,
    /// `rustc -V`, when given.
    pub rustc: Option<String>,
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
}

/// Where a row's number comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// One of shmbmp's own strategies (registry origin [`Origin::Ours`](crate::Origin::Ours)):
    /// `naive`, `lut`, `lut_mt`, `lut_scalar`, and their `_into` benchmarks.
    Ours,
    /// A Rust crate behind an adapter (`image`, `bmp`, `zune`).
    RustCrate,
    /// The memcpy floor.
    Floor,
    /// Any other Rust benchmark in a decode group.
    RustOther,
    /// A Python peer from `peers.py`.
    Python,
    /// The pure-Python byte-at-a-time loop, run once (the historical anchor).
    PythonAnchor,
}

impl RowKind {
    /// Short label used in the tables.
    pub fn label(self) -> &'static str {
        match self {
            RowKind::Ours => "Rust, shmbmp",
            RowKind::RustCrate => "Rust crate",
            RowKind::Floor => "memcpy floor",
            RowKind::RustOther => "Rust",
            RowKind::Python => "Python peer",
            RowKind::PythonAnchor => "Python anchor (1 run)",
        }
    }

    /// Whether the row was measured by criterion.
    pub fn is_rust(self) -> bool {
        !matches!(self, RowKind::Python | RowKind::PythonAnchor)
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
    /// Median time of one decode, nanoseconds; `None` when the peer failed.
    pub median_ns: Option<f64>,
    /// RGBA output bytes per second / 1e9.
    pub gb_per_s: Option<f64>,
    /// Median ÷ the `floor` median of the same fixture.
    pub vs_floor: Option<f64>,
    /// Median ÷ the `lut` median of the same fixture (below 1: faster than `lut`).
    pub vs_lut: Option<f64>,
    /// Spread: criterion's 95% interval of the median, or the Python min..p90.
    pub spread: Option<String>,
    /// Link to criterion's page for this benchmark, relative to the output directory.
    pub link: Option<String>,
    /// The pixel check.
    pub check: Check,
    /// Whether the timed work ends in RGBA (false for `cv2.imdecode` alone, which yields BGR).
    pub rgba_out: bool,
    /// An error message, or another remark.
    pub note: Option<String>,
}

/// The table of one fixture (`decode/<fixture>`).
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureTable {
    /// Fixture name (the file stem for the Python peers).
    pub fixture: String,
    /// Bytes of RGBA output (from criterion's throughput, else from the peers).
    pub rgba_bytes: Option<u64>,
    /// Width × height, when the peers reported it.
    pub dims: Option<(u64, u64)>,
    /// Link to criterion's group page, relative to the output directory, when it exists.
    pub group_link: Option<String>,
    /// Rows, fastest first; rows without a time last.
    pub rows: Vec<Row>,
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
    /// Link to criterion's page, relative to the output directory.
    pub link: String,
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
    /// Interleaved floor-and-decoders timings per fixture (empty when not measured).
    pub interleaved: Vec<crate::timing::Interleaved>,
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
}

impl Inputs {
    /// The locations `cargo bench` writes to under the target folder `target`.
    pub fn in_target(target: &Path) -> Inputs {
        Inputs {
            criterion: target.join("criterion"),
            peers: target.join("peers.json"),
            handoff: target.join("shm-handoff.json"),
            interleaved: target.join("interleaved.json"),
        }
    }
}

/// [`build_with`] from `inputs`, each JSON file used only when it exists, with the `rustc`
/// on the PATH: what `cargo bench` and `shmbmp report` both run.
pub fn build_from(inputs: &Inputs, out_dir: &Path) -> Result<Summary, ReportError> {
    let existing = |p: &PathBuf| p.exists().then(|| p.clone());
    let opts = Options {
        rustc: rustc_version(),
        handoff_json: existing(&inputs.handoff),
        interleaved_json: existing(&inputs.interleaved),
        ..Default::default()
    };
    build_with(
        &inputs.criterion,
        existing(&inputs.peers).as_deref(),
        out_dir,
        &opts,
    )
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
    let benches = read_criterion(criterion_dir)?;
    let peers = peers_json.map(read_peers).transpose()?;
    fs::create_dir_all(out_dir).map_err(|source| ReportError::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let link_base = relative_path(out_dir, criterion_dir);
    let mut summary = summarize(criterion_dir, &link_base, &benches, peers.as_ref(), opts);
    if let Some(path) = &opts.handoff_json {
        summary.handoff = read_json(path)?;
    }
    if let Some(path) = &opts.interleaved_json {
        summary.interleaved = read_json(path)?;
    }

    let html_path = out_dir.join("index.html");
    let md_path = out_dir.join("summary.md");
    for (path, text) in [
        (&html_path, render_html(&summary)),
        (&md_path, render_markdown(&summary)),
    ] {
        fs::write(path, text).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
    }
    summary.written = vec![html_path, md_path];
    Ok(summary)
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
