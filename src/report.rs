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
//! Group `decode/<fixture>` holds one benchmark per decoder (`naive`, `lut`, `lut_into`, `image`,
//! `bmp`, `zune`) plus `floor` (a memcpy of the RGBA output size), each with
//! `Throughput::Bytes(rgba_len)`. Other groups are listed in one generic table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

/// The command that prepares the Python peers, quoted wherever they are missing.
pub const PEERS_SETUP: &str =
    "python3 -m venv .venv && .venv/bin/pip install numpy opencv-python-headless pillow";

/// The name of the seed fixture, whose table comes first.
pub const SEED_FIXTURE: &str = "seed";

/// What the handoff table measures.
const HANDOFF_INTRO: &str = "## Shared-memory handoff\n\nA `shmbmp write` process publishes the 1600×1200 8-bit seed frame into a 3-slot framed region; this process takes each newest frame out whole (seqlock-validated copy) and decodes it with `lut` into reused buffers. Latency runs from the writer's `written_ns` to the end of the decode. Compare with the in-process `shm/seed` and `decode/seed` rows.";

/// Criterion group prefix for the decode matrix.
const DECODE_PREFIX: &str = "decode/";

/// Why a report could not be built. Every variant names the file concerned.
#[derive(Debug, Error)]
pub enum ReportError {
    /// A file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An output file or directory could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file is not what criterion or `peers.py` writes.
    #[error("malformed JSON in {}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What serde_json found wrong.
        #[source]
        source: serde_json::Error,
    },
    /// A JSON file parsed but holds a value that cannot be used.
    #[error("invalid value in {}: {what}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        what: String,
    },
    /// The criterion directory holds no benchmark results.
    #[error(
        "no criterion benchmarks under {} (expected <group>/<bench>/new/benchmark.json; run `cargo bench` first)",
        path.display()
    )]
    NoBenchmarks {
        /// The criterion directory given.
        path: PathBuf,
    },
}

impl ReportError {
    /// The file or directory the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ReportError::Read { path, .. }
            | ReportError::Write { path, .. }
            | ReportError::Json { path, .. }
            | ReportError::Invalid { path, .. }
            | ReportError::NoBenchmarks { path } => path,
        }
    }
}

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
    /// One of shmbmp's own strategies (`naive`, `lut`, `lut_into`).
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
    /// Fixture tables, the seed frame first, then by name.
    pub fixtures: Vec<FixtureTable>,
    /// Benchmarks outside `decode/`.
    pub other: Vec<OtherRow>,
    /// Cross-process shared-memory handoff runs (empty when not measured).
    pub handoff: Vec<HandoffRow>,
    /// The files written.
    pub written: Vec<PathBuf>,
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

// ------------------------------------------------------------------------------------------
// Reading criterion
// ------------------------------------------------------------------------------------------

/// One criterion benchmark's last run.
#[derive(Debug, Clone, PartialEq)]
struct Bench {
    group: String,
    function: Option<String>,
    value: Option<String>,
    throughput_bytes: Option<u64>,
    directory: String,
    median_ns: f64,
    median_ci: Option<(f64, f64)>,
}

impl Bench {
    /// `function`, `value`, or `function/value`.
    fn id(&self) -> String {
        match (&self.function, &self.value) {
            (Some(f), Some(v)) => format!("{f}/{v}"),
            (Some(f), None) => f.clone(),
            (None, Some(v)) => v.clone(),
            (None, None) => String::new(),
        }
    }
}

#[derive(Deserialize)]
struct BenchmarkJson {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    throughput: Option<serde_json::Value>,
    directory_name: String,
}

#[derive(Deserialize)]
struct EstimatesJson {
    median: EstimateJson,
}

#[derive(Deserialize)]
struct EstimateJson {
    point_estimate: f64,
    confidence_interval: Option<IntervalJson>,
}

#[derive(Deserialize)]
struct IntervalJson {
    lower_bound: f64,
    upper_bound: f64,
}

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

/// Bytes per iteration from criterion's `throughput` (`{"Bytes": n}`, `{"BytesDecimal": n}`,
/// or `{"ElementsAndBytes": {"elements": e, "bytes": n}}`).
fn throughput_bytes(v: &serde_json::Value) -> Option<u64> {
    let obj = v.as_object()?;
    obj.get("Bytes")
        .or_else(|| obj.get("BytesDecimal"))
        .and_then(|b| b.as_u64())
        .or_else(|| obj.get("ElementsAndBytes")?.get("bytes")?.as_u64())
}

/// Every `.../new/benchmark.json` under `dir`, sorted; `report/` and `base/` are skipped.
fn find_benchmark_files(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), ReportError> {
    let entries = fs::read_dir(dir).map_err(|source| ReportError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ReportError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            subdirs.push(entry.path());
        }
    }
    subdirs.sort();
    for sub in subdirs {
        match sub.file_name().and_then(|n| n.to_str()) {
            Some("report") | Some("base") | Some("change") => {}
            Some("new") => {
                let file = sub.join("benchmark.json");
                if file.is_file() {
                    found.push(file);
                }
            }
            _ => find_benchmark_files(&sub, found)?,
        }
    }
    Ok(())
}

fn read_criterion(dir: &Path) -> Result<Vec<Bench>, ReportError> {
    let mut files = Vec::new();
    find_benchmark_files(dir, &mut files)?;
    if files.is_empty() {
        return Err(ReportError::NoBenchmarks {
            path: dir.to_path_buf(),
        });
    }
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let meta: BenchmarkJson = read_json(&file)?;
        let est_path = file.with_file_name("estimates.json");
        let est: EstimatesJson = read_json(&est_path)?;
        let m = est.median.point_estimate;
        if !m.is_finite() || m <= 0.0 {
            return Err(ReportError::Invalid {
                path: est_path,
                what: format!("median.point_estimate is {m}, expected a positive number of ns"),
            });
        }
        out.push(Bench {
            group: meta.group_id,
            function: meta.function_id,
            value: meta.value_str,
            throughput_bytes: meta.throughput.as_ref().and_then(throughput_bytes),
            directory: meta.directory_name,
            median_ns: m,
            median_ci: est
                .median
                .confidence_interval
                .map(|c| (c.lower_bound, c.upper_bound)),
        });
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------
// Reading the peers
// ------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct PeersJson {
    python: String,
    #[serde(default)]
    versions: BTreeMap<String, String>,
    #[serde(default)]
    cpu: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    quick: bool,
    results: Vec<PeerResult>,
}

#[derive(Debug, Clone, Deserialize)]
struct PeerResult {
    fixture: String,
    peer: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    iterations: Option<u64>,
    #[serde(default)]
    median_ns: Option<f64>,
    #[serde(default)]
    min_ns: Option<f64>,
    #[serde(default)]
    p90_ns: Option<f64>,
    #[serde(default)]
    width: Option<u64>,
    #[serde(default)]
    height: Option<u64>,
    #[serde(default)]
    rgba_bytes: Option<u64>,
    #[serde(default)]
    agrees_with_pillow: Option<bool>,
    #[serde(default)]
    max_channel_delta: Option<u64>,
    #[serde(default)]
    output_bytes: Option<u64>,
    #[serde(default)]
    output_shape: Option<Vec<u64>>,
    #[serde(default)]
    anchor: bool,
    #[serde(default)]
    note: Option<String>,
}

fn read_peers(path: &Path) -> Result<PeersJson, ReportError> {
    let doc: PeersJson = read_json(path)?;
    for r in &doc.results {
        if let Some(m) = r.median_ns {
            if !m.is_finite() || m <= 0.0 {
                return Err(ReportError::Invalid {
                    path: path.to_path_buf(),
                    what: format!("{}/{}: median_ns is {m}", r.fixture, r.peer),
                });
            }
        }
    }
    Ok(doc)
}

// ------------------------------------------------------------------------------------------
// Computing the tables
// ------------------------------------------------------------------------------------------

fn rust_kind(decoder: &str) -> RowKind {
    match decoder {
        "naive" | "lut" | "lut_into" => RowKind::Ours,
        "image" | "bmp" | "zune" => RowKind::RustCrate,
        "floor" => RowKind::Floor,
        _ => RowKind::RustOther,
    }
}

fn summarize(
    criterion_dir: &Path,
    link_base: &str,
    benches: &[Bench],
    peers: Option<&PeersJson>,
    opts: &Options,
) -> Summary {
    let bench_link = |dir: &str| format!("{link_base}/{}/report/index.html", encode_path(dir));
    let mut tables: BTreeMap<String, FixtureTable> = BTreeMap::new();
    let mut other = Vec::new();
    let new_table = |fixture: &str| FixtureTable {
        fixture: fixture.to_string(),
        rgba_bytes: None,
        dims: None,
        group_link: None,
        rows: Vec::new(),
    };

    for b in benches {
        let Some(fixture) = b.group.strip_prefix(DECODE_PREFIX) else {
            other.push(OtherRow {
                group: b.group.clone(),
                bench: b.id(),
                median_ns: b.median_ns,
                throughput_bytes: b.throughput_bytes,
                link: bench_link(&b.directory),
            });
            continue;
        };
        let t = tables
            .entry(fixture.to_string())
            .or_insert_with(|| new_table(fixture));
        if t.group_link.is_none() {
            // The group directory is the benchmark's directory less its id's levels.
            let levels = usize::from(b.function.is_some()) + usize::from(b.value.is_some());
            let group_dir = Path::new(&b.directory)
                .ancestors()
                .nth(levels)
                .and_then(|p| p.to_str())
                .unwrap_or("");
            if !group_dir.is_empty()
                && criterion_dir
                    .join(group_dir)
                    .join("report/index.html")
                    .is_file()
            {
                t.group_link = Some(bench_link(group_dir));
            }
        }
        if t.rgba_bytes.is_none() {
            t.rgba_bytes = b.throughput_bytes;
        }
        let decoder = b.id();
        t.rows.push(Row {
            kind: rust_kind(&decoder),
            decoder,
            median_ns: Some(b.median_ns),
            gb_per_s: b.throughput_bytes.map(|n| n as f64 / b.median_ns),
            vs_floor: None,
            vs_lut: None,
            spread: b
                .median_ci
                .map(|(lo, hi)| format!("95% CI {} – {}", fmt_ns(lo), fmt_ns(hi))),
            link: Some(bench_link(&b.directory)),
            check: Check::ByTests,
            rgba_out: true,
            note: None,
        });
    }

    let python = peers.map(|p| PythonEnv {
        python: p.python.clone(),
        versions: p
            .versions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        cpu: p.cpu.clone(),
        date: p.date.clone(),
        quick: p.quick,
    });

    if let Some(p) = peers {
        for r in &p.results {
            let t = tables
                .entry(r.fixture.clone())
                .or_insert_with(|| new_table(&r.fixture));
            if t.dims.is_none() {
                if let (Some(w), Some(h)) = (r.width, r.height) {
                    t.dims = Some((w, h));
                }
            }
            if t.rgba_bytes.is_none() {
                t.rgba_bytes = r.rgba_bytes;
            }
            let check = match (r.error.is_some(), r.agrees_with_pillow) {
                (true, _) | (false, None) => Check::Unknown,
                (false, Some(true)) => Check::AgreesWithPillow,
                (false, Some(false)) => Check::DiffersFromPillow {
                    max_delta: r.max_channel_delta,
                },
            };
            let median = if r.error.is_some() { None } else { r.median_ns };
            let mut note = r.error.clone().or_else(|| r.note.clone());
            let rgba_out = match (r.output_bytes, r.rgba_bytes) {
                (Some(out), Some(rgba)) => out == rgba,
                _ => true,
            };
            if !rgba_out && r.error.is_none() {
                let shape = r
                    .output_shape
                    .as_ref()
                    .map(|s| format!("{s:?}"))
                    .unwrap_or_else(|| format!("{} bytes", r.output_bytes.unwrap_or(0)));
                note = Some(format!(
                    "returns {shape}, not RGBA: the conversion is not timed (GB/s counts RGBA-equivalent bytes)"
                ));
            }
            if let (Some(py), Some(rust)) = (r.rgba_bytes, t.rgba_bytes) {
                if py != rust {
                    note = Some(format!(
                        "RGBA output is {py} bytes here but {rust} on the Rust side: not the same fixture?"
                    ));
                }
            }
            let spread = match (r.min_ns, r.p90_ns, r.iterations) {
                (_, _, Some(1)) => Some("1 run".to_string()),
                (Some(lo), Some(hi), Some(n)) => {
                    Some(format!("min {} · p90 {} · n={n}", fmt_ns(lo), fmt_ns(hi)))
                }
                _ => None,
            };
            t.rows.push(Row {
                decoder: r.peer.clone(),
                kind: if r.anchor {
                    RowKind::PythonAnchor
                } else {
                    RowKind::Python
                },
                median_ns: median,
                gb_per_s: median.zip(r.rgba_bytes).map(|(m, n)| n as f64 / m),
                vs_floor: None,
                vs_lut: None,
                spread,
                link: None,
                check,
                rgba_out,
                note,
            });
        }
    }

    let mut fixtures: Vec<FixtureTable> = tables.into_values().collect();
    for t in &mut fixtures {
        finish_table(t);
    }
    fixtures.sort_by(|a, b| {
        (a.fixture != SEED_FIXTURE, &a.fixture).cmp(&(b.fixture != SEED_FIXTURE, &b.fixture))
    });
    let headline = fixtures
        .iter()
        .find(|t| t.fixture == SEED_FIXTURE)
        .and_then(headline);

    Summary {
        header: header(criterion_dir, opts, python),
        headline,
        fixtures,
        other,
        handoff: Vec::new(),
        written: Vec::new(),
    }
}

/// Fills in GB/s and the ratios, then sorts fastest first.
fn finish_table(t: &mut FixtureTable) {
    let floor = t.row("floor").and_then(|r| r.median_ns);
    let lut = t.row("lut").and_then(|r| r.median_ns);
    let rgba = t.rgba_bytes;
    for r in &mut t.rows {
        let Some(m) = r.median_ns else { continue };
        if r.gb_per_s.is_none() {
            r.gb_per_s = rgba.map(|n| n as f64 / m);
        }
        r.vs_floor = floor.map(|f| m / f);
        r.vs_lut = lut.map(|l| m / l);
    }
    t.rows.sort_by(|a, b| match (a.median_ns, b.median_ns) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.decoder.cmp(&b.decoder),
    });
}

/// "On the seed frame lut takes X: N× cv2..., M× Pillow, K× the Python loop."
fn headline(t: &FixtureTable) -> Option<String> {
    let lut = t.row("lut")?.median_ns?;
    let mut parts = Vec::new();
    for r in &t.rows {
        if r.kind.is_rust() || !r.rgba_out {
            continue;
        }
        if let Some(m) = r.median_ns {
            parts.push(format!("{} than {}", fmt_speedup(m / lut), r.decoder));
        }
    }
    let floor = t
        .row("lut")
        .and_then(|r| r.vs_floor)
        .map(|x| format!(" ({} the time of the memcpy floor)", fmt_ratio(x)))
        .unwrap_or_default();
    let mut s = format!("Seed frame: `lut` decodes it in {}{floor}", fmt_ns(lut));
    if parts.is_empty() {
        s.push('.');
    } else {
        let _ = write!(s, "; that is {}.", parts.join(", "));
    }
    Some(s)
}

// ------------------------------------------------------------------------------------------
// Environment
// ------------------------------------------------------------------------------------------

fn header(criterion_dir: &Path, opts: &Options, python: Option<PythonEnv>) -> Header {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = opts.cpu.clone().unwrap_or_else(|| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with("model name") || l.starts_with("Hardware"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unknown CPU".to_string())
    });
    let cores = opts.cores.unwrap_or_else(|| {
        let n = cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count();
        if n > 0 {
            n
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    });
    let lock = opts.cargo_lock.clone().or_else(|| {
        [
            criterion_dir.join("../../Cargo.lock"),
            PathBuf::from("Cargo.lock"),
        ]
        .into_iter()
        .find(|p| p.is_file())
    });
    let crates = lock
        .and_then(|p| fs::read_to_string(p).ok())
        .map(|text| crate_versions(&text, &["image", "bmp", "zune-bmp"]))
        .unwrap_or_default();
    Header {
        cpu,
        cores,
        date: opts.date.clone().unwrap_or_else(today_utc),
        rustc: opts.rustc.clone(),
        crates,
        python,
    }
}

/// Versions of `names` in a Cargo.lock, in the order asked; a crate locked at several
/// versions lists them all.
fn crate_versions(lock: &str, names: &[&str]) -> Vec<(String, String)> {
    let mut found: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut name: Option<String> = None;
    for line in lock.lines().map(str::trim) {
        if line == "[[package]]" {
            name = None;
        } else if let Some(v) = line.strip_prefix("name = ") {
            name = Some(v.trim_matches('"').to_string());
        } else if let Some(v) = line.strip_prefix("version = ") {
            if let Some(n) = names.iter().find(|n| Some(**n) == name.as_deref()) {
                found
                    .entry(n)
                    .or_default()
                    .push(v.trim_matches('"').to_string());
            }
        }
    }
    names
        .iter()
        .filter_map(|n| found.get(n).map(|v| (n.to_string(), v.join(", "))))
        .collect()
}

/// Today's date in UTC as `YYYY-MM-DD`, from the system clock.
fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

// ------------------------------------------------------------------------------------------
// Paths and links
// ------------------------------------------------------------------------------------------

/// `to` as a `/`-separated path relative to the directory `from` (both resolved first when they
/// exist, so `reports/` and `target/criterion` give `../target/criterion`). Falls back to the
/// absolute path of `to` when no relative path exists.
fn relative_path(from: &Path, to: &Path) -> String {
    let abs = |p: &Path| {
        fs::canonicalize(p).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        })
    };
    let (from, to) = (abs(from), abs(to));
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return to.to_string_lossy().replace('\\', "/");
    }
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        encode_path(&parts.join("/"))
    }
}

/// Percent-encodes what may not stand in a URL path (criterion keeps spaces, `#`, `%`, ...).
fn encode_path(p: &str) -> String {
    let mut s = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            s.push(b as char);
        } else {
            let _ = write!(s, "%{b:02X}");
        }
    }
    s
}

// ------------------------------------------------------------------------------------------
// Formatting
// ------------------------------------------------------------------------------------------

/// 3 significant figures with a unit: `97.6 ns`, `1.23 µs`, `4.56 ms`, `0.745 s` → `745 ms`.
pub fn fmt_ns(ns: f64) -> String {
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", sig3(v))
}

fn sig3(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn fmt_ratio(x: f64) -> String {
    format!("{}×", sig3(x))
}

fn fmt_speedup(x: f64) -> String {
    if x >= 1.0 {
        format!("{} faster", fmt_ratio(x))
    } else {
        format!("{} slower", fmt_ratio(1.0 / x))
    }
}

fn fmt_gbps(x: f64) -> String {
    if x >= 0.1 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

fn check_text(c: &Check) -> String {
    match c {
        Check::ByTests => "by tests".to_string(),
        Check::AgreesWithPillow => "= Pillow".to_string(),
        Check::DiffersFromPillow { max_delta: Some(d) } => format!("≠ Pillow (max Δ {d})"),
        Check::DiffersFromPillow { max_delta: None } => "≠ Pillow (shape)".to_string(),
        Check::Unknown => "unknown".to_string(),
    }
}

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map(f).unwrap_or_else(|| "—".to_string())
}

fn header_lines(h: &Header) -> Vec<(String, String)> {
    let mut v = vec![
        ("Date".to_string(), format!("{} (UTC)", h.date)),
        (
            "CPU".to_string(),
            format!("{}, {} logical cores", h.cpu, h.cores),
        ),
        (
            "rustc".to_string(),
            h.rustc
                .clone()
                .unwrap_or_else(|| "not recorded".to_string()),
        ),
        (
            "Rust peer crates".to_string(),
            if h.crates.is_empty() {
                "versions unknown (no Cargo.lock found)".to_string()
            } else {
                h.crates
                    .iter()
                    .map(|(n, v)| format!("{n} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
    ];
    let py = match &h.python {
        Some(p) => {
            let mut s = format!("Python {}", p.python);
            for (n, ver) in &p.versions {
                let _ = write!(s, ", {n} {ver}");
            }
            if let Some(d) = &p.date {
                let _ = write!(s, "; measured {d}");
            }
            if p.quick {
                s.push_str(" with --quick (few repetitions)");
            }
            if let Some(c) = &p.cpu {
                if c != &h.cpu {
                    let _ = write!(s, " on {c}");
                }
            }
            s
        }
        None => format!(
            "Python peers were not measured in this run (create the venv: `{PEERS_SETUP}`, then run `.venv/bin/python benches/peers.py --fixtures DIR --out peers.json --seed-loop`)."
        ),
    };
    v.push(("Python peers".to_string(), py));
    v
}

const HOW_TO_READ: &str = "Median time of one decode from the BMP bytes in memory to RGBA8 (Rust: criterion's median estimate; Python: median of time.perf_counter_ns runs, one thread). GB/s = RGBA output bytes ÷ median time. × floor and × lut = this row's time ÷ that row's time in the same fixture (below 1 is faster). Rows are sorted fastest first.";

// ------------------------------------------------------------------------------------------
// Markdown
// ------------------------------------------------------------------------------------------

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The `summary.md` text.
pub fn render_markdown(s: &Summary) -> String {
    let mut o = String::new();
    o.push_str("# shmbmp benchmark summary\n\n");
    for (k, v) in header_lines(&s.header) {
        let _ = writeln!(o, "- **{k}:** {v}");
    }
    o.push('\n');
    if let Some(h) = &s.headline {
        let _ = writeln!(o, "**{h}**\n");
    }
    let _ = writeln!(o, "{HOW_TO_READ}\n");
    for t in &s.fixtures {
        let _ = write!(o, "## {}", t.fixture);
        if let Some((w, h)) = t.dims {
            let _ = write!(o, " ({w}×{h})");
        }
        o.push_str("\n\n");
        if let Some(n) = t.rgba_bytes {
            let _ = writeln!(o, "RGBA output: {n} bytes.\n");
        }
        o.push_str("| decoder | source | median | GB/s | × floor | × lut | pixels | spread |\n");
        o.push_str("|---|---|--:|--:|--:|--:|---|---|\n");
        for r in &t.rows {
            let name = match &r.link {
                Some(l) => format!("[{}]({l})", md_cell(&r.decoder)),
                None => md_cell(&r.decoder),
            };
            let median = match (&r.median_ns, &r.note) {
                (Some(m), _) => fmt_ns(*m),
                (None, Some(e)) => format!("error: {}", md_cell(e)),
                (None, None) => "—".to_string(),
            };
            let _ = writeln!(
                o,
                "| {name} | {} | {median} | {} | {} | {} | {} | {} |",
                r.kind.label(),
                opt(r.gb_per_s, fmt_gbps),
                opt(r.vs_floor, fmt_ratio),
                opt(r.vs_lut, fmt_ratio),
                check_text(&r.check),
                md_cell(&match (&r.median_ns, &r.spread, &r.note) {
                    (Some(_), Some(sp), Some(n)) => format!("{sp} · {n}"),
                    (Some(_), None, Some(n)) => n.clone(),
                    (_, Some(sp), _) => sp.clone(),
                    _ => String::new(),
                }),
            );
        }
        o.push('\n');
    }
    if !s.handoff.is_empty() {
        o.push_str(HANDOFF_INTRO);
        o.push_str("\n\n| writer | published/s | decoded/s | p50 | p99 | max | skipped | torn attempts (accepted: 0) |\n|---|--:|--:|--:|--:|--:|--:|--:|\n");
        for r in &s.handoff {
            let _ = writeln!(
                o,
                "| {} | {:.0} | {:.0} | {:.0} µs | {:.0} µs | {:.0} µs | {} | {} |",
                md_cell(&r.mode),
                r.published_per_s,
                r.decoded_per_s,
                r.p50_us,
                r.p99_us,
                r.max_us,
                r.skipped,
                r.torn
            );
        }
        o.push('\n');
    }
    if !s.other.is_empty() {
        o.push_str(
            "## Other benchmarks\n\n| group | benchmark | median | GB/s |\n|---|---|--:|--:|\n",
        );
        for r in &s.other {
            let _ = writeln!(
                o,
                "| {} | [{}]({}) | {} | {} |",
                md_cell(&r.group),
                md_cell(&r.bench),
                r.link,
                fmt_ns(r.median_ns),
                opt(r.throughput_bytes.map(|b| b as f64 / r.median_ns), fmt_gbps),
            );
        }
        o.push('\n');
    }
    o
}

// ------------------------------------------------------------------------------------------
// HTML
// ------------------------------------------------------------------------------------------

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn kind_class(k: RowKind) -> &'static str {
    match k {
        RowKind::Ours => "ours",
        RowKind::RustCrate => "crate",
        RowKind::Floor => "floor",
        RowKind::RustOther => "rust",
        RowKind::Python => "py",
        RowKind::PythonAnchor => "anchor",
    }
}

const CSS: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#1d1d1f;background:#fff}
h1{font-size:1.6em;margin-bottom:.3em}h2{font-size:1.25em;margin:1.8em 0 .4em;border-bottom:1px solid #ddd;padding-bottom:.2em}
dl.env{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;margin:0 0 1em}dl.env dt{font-weight:600;color:#555}dl.env dd{margin:0}
.headline{font-size:1.1em;background:#eef6ee;border-left:4px solid #2e7d32;padding:.6em .9em;margin:1em 0}
.howto{color:#555;font-size:.9em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em;font-size:.92em}
th,td{padding:.3em .6em;border-bottom:1px solid #e6e6e6;text-align:left;vertical-align:top}
th{background:#f6f6f6;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.note{color:#666;font-size:.9em}td.c{white-space:nowrap}tr.err td{color:#a00}
.tag{display:inline-block;padding:0 .45em;border-radius:.7em;font-size:.85em;white-space:nowrap}
.tag.ours{background:#d7ecff}.tag.crate{background:#e8e0f8}.tag.floor{background:#e5e5e5}.tag.rust{background:#d7ecff}.tag.py{background:#fff0c2}.tag.anchor{background:#ffd6d1}
.ok{color:#2e7d32}.bad{color:#b00020;font-weight:600}
svg .ours{fill:#1e73be}svg .crate{fill:#7b5cc4}svg .floor{fill:#9e9e9e}svg .rust{fill:#1e73be}svg .py{fill:#e0a100}svg .anchor{fill:#d84315}
svg text{font:12px system-ui,sans-serif;fill:#222}svg text.v{fill:#444}
.legend span{margin-right:1em;font-size:.85em}.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-1px;border-radius:2px}
.legend i.ours,.legend i.rust{background:#1e73be}.legend i.crate{background:#7b5cc4}.legend i.floor{background:#9e9e9e}.legend i.py{background:#e0a100}.legend i.anchor{background:#d84315}.legend i.notrgba{background:#e0a100;opacity:.4}
svg rect.notrgba{opacity:.4}
a{color:#0b57d0}
";

fn bar_chart(t: &FixtureTable) -> String {
    let rows: Vec<&Row> = t.rows.iter().filter(|r| r.gb_per_s.is_some()).collect();
    if rows.is_empty() {
        return String::new();
    }
    let max = rows
        .iter()
        .filter_map(|r| r.gb_per_s)
        .fold(0.0_f64, f64::max);
    let (label_w, bar_w, value_w, row_h) = (190.0, 640.0, 190.0, 22.0);
    let width = label_w + bar_w + value_w;
    let height = row_h * rows.len() as f64 + 24.0;
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg role=\"img\" aria-label=\"GB/s of RGBA output for {}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">",
        esc(&t.fixture)
    );
    for (i, r) in rows.iter().enumerate() {
        let g = r.gb_per_s.unwrap_or(0.0);
        let y = i as f64 * row_h + 2.0;
        let w = if max > 0.0 {
            (g / max * bar_w).max(1.5)
        } else {
            1.5
        };
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect class=\"{}{}\" x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" rx=\"2\"><title>{}: {} GB/s</title></rect><text class=\"v\" x=\"{}\" y=\"{}\">{} GB/s · {}{}</text>",
            label_w - 8.0,
            y + 14.0,
            esc(&r.decoder),
            kind_class(r.kind),
            if r.rgba_out { "" } else { " notrgba" },
            row_h - 6.0,
            esc(&r.decoder),
            fmt_gbps(g),
            label_w + w + 6.0,
            y + 14.0,
            fmt_gbps(g),
            r.median_ns.map(fmt_ns).unwrap_or_default(),
            if r.rgba_out { "" } else { " · not RGBA" },
        );
    }
    let axis_y = rows.len() as f64 * row_h + 16.0;
    let _ = write!(
        o,
        "<text class=\"v\" x=\"{label_w}\" y=\"{axis_y}\">0</text><text class=\"v\" x=\"{}\" y=\"{axis_y}\" text-anchor=\"end\">{} GB/s of RGBA output (linear; longer is faster)</text></svg>",
        label_w + bar_w,
        fmt_gbps(max)
    );
    o
}

/// The `index.html` text: one self-contained page, inline CSS and SVG, no scripts.
pub fn render_html(s: &Summary) -> String {
    let mut o = String::new();
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>shmbmp benchmark report</title><style>");
    o.push_str(CSS);
    o.push_str("</style></head><body>\n<h1>shmbmp benchmark report</h1>\n<dl class=\"env\">");
    for (k, v) in header_lines(&s.header) {
        let _ = write!(o, "<dt>{}</dt><dd>{}</dd>", esc(&k), esc(&v));
    }
    o.push_str("</dl>\n");
    if let Some(h) = &s.headline {
        let _ = writeln!(
            o,
            "<p class=\"headline\">{}</p>",
            esc(h).replace("`lut`", "<code>lut</code>")
        );
    }
    let _ = writeln!(o, "<p class=\"howto\">{}</p>", esc(HOW_TO_READ));
    o.push_str("<p class=\"legend\">");
    for (class, label) in [
        ("ours", "shmbmp (Rust)"),
        ("crate", "Rust crates"),
        ("floor", "memcpy floor"),
        ("py", "Python peers"),
        ("anchor", "pure-Python loop"),
        ("notrgba", "stops before RGBA (conversion not timed)"),
    ] {
        let _ = write!(o, "<span><i class=\"{class}\"></i>{label}</span>");
    }
    o.push_str("</p>\n");
    if !s.fixtures.is_empty() {
        o.push_str("<p>Fixtures: ");
        let links: Vec<String> = s
            .fixtures
            .iter()
            .map(|t| format!("<a href=\"#fx-{0}\">{0}</a>", esc(&t.fixture)))
            .collect();
        o.push_str(&links.join(" · "));
        if !s.other.is_empty() {
            o.push_str(" · <a href=\"#other\">other benchmarks</a>");
        }
        o.push_str("</p>\n");
    }
    for t in &s.fixtures {
        let _ = write!(o, "<h2 id=\"fx-{0}\">{0}", esc(&t.fixture));
        if let Some((w, h)) = t.dims {
            let _ = write!(o, " <small>({w}×{h})</small>");
        }
        o.push_str("</h2>\n<p class=\"howto\">");
        if let Some(n) = t.rgba_bytes {
            let _ = write!(o, "RGBA output: {n} bytes. ");
        }
        match &t.group_link {
            Some(l) => {
                let _ = write!(o, "<a href=\"{}\">criterion's group report</a>", esc(l));
            }
            None => o.push_str("no criterion group page"),
        }
        o.push_str("</p>\n");
        o.push_str(&bar_chart(t));
        o.push_str("\n<table><thead><tr><th>decoder</th><th>source</th><th class=\"n\">median</th><th class=\"n\">GB/s</th><th class=\"n\">× floor</th><th class=\"n\">× lut</th><th>pixels</th><th>spread / note</th></tr></thead><tbody>\n");
        for r in &t.rows {
            let name = match &r.link {
                Some(l) => format!("<a href=\"{}\">{}</a>", esc(l), esc(&r.decoder)),
                None => esc(&r.decoder),
            };
            let check = match &r.check {
                Check::AgreesWithPillow => {
                    format!("<span class=\"ok\">{}</span>", esc(&check_text(&r.check)))
                }
                Check::DiffersFromPillow { .. } => {
                    format!("<span class=\"bad\">{}</span>", esc(&check_text(&r.check)))
                }
                c => esc(&check_text(c)),
            };
            let note = match (&r.median_ns, &r.note, &r.spread) {
                (None, Some(e), _) => format!("error: {}", esc(e)),
                (_, Some(n), Some(sp)) => format!("{} · {}", esc(sp), esc(n)),
                (_, Some(n), None) => esc(n),
                (_, None, Some(sp)) => esc(sp),
                (_, None, None) => String::new(),
            };
            let _ = writeln!(
                o,
                "<tr{}><td>{name}</td><td><span class=\"tag {}\">{}</span></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"c\">{check}</td><td class=\"note\">{note}</td></tr>",
                if r.median_ns.is_none() { " class=\"err\"" } else { "" },
                kind_class(r.kind),
                r.kind.label(),
                opt(r.median_ns, fmt_ns),
                opt(r.gb_per_s, fmt_gbps),
                opt(r.vs_floor, fmt_ratio),
                opt(r.vs_lut, fmt_ratio),
            );
        }
        o.push_str("</tbody></table>\n");
    }
    if !s.handoff.is_empty() {
        let intro = HANDOFF_INTRO.trim_start_matches("## Shared-memory handoff\n\n");
        o.push_str("<h2 id=\"handoff\">Shared-memory handoff</h2>\n<p>");
        o.push_str(&esc(intro));
        o.push_str("</p>\n<table><thead><tr><th>writer</th><th class=\"n\">published/s</th><th class=\"n\">decoded/s</th><th class=\"n\">p50</th><th class=\"n\">p99</th><th class=\"n\">max</th><th class=\"n\">skipped</th><th class=\"n\">torn attempts (accepted: 0)</th></tr></thead><tbody>\n");
        for r in &s.handoff {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td class=\"n\">{:.0}</td><td class=\"n\">{:.0}</td><td class=\"n\">{:.0} µs</td><td class=\"n\">{:.0} µs</td><td class=\"n\">{:.0} µs</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&r.mode), r.published_per_s, r.decoded_per_s, r.p50_us, r.p99_us, r.max_us, r.skipped, r.torn
            );
        }
        o.push_str("</tbody></table>\n");
    }
    if !s.other.is_empty() {
        o.push_str("<h2 id=\"other\">Other benchmarks</h2>\n<table><thead><tr><th>group</th><th>benchmark</th><th class=\"n\">median</th><th class=\"n\">GB/s</th></tr></thead><tbody>\n");
        for r in &s.other {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td><a href=\"{}\">{}</a></td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&r.group),
                esc(&r.link),
                esc(&r.bench),
                fmt_ns(r.median_ns),
                opt(r.throughput_bytes.map(|b| b as f64 / r.median_ns), fmt_gbps),
            );
        }
        o.push_str("</tbody></table>\n");
    }
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "shmbmp-report-{name}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// Writes one benchmark as criterion 0.8 does: `<dir>/new/{benchmark,estimates}.json` and
    /// `<dir>/report/index.html`, with `dir` sanitised from the full id.
    fn fake_bench(
        crit: &Path,
        group: &str,
        function: Option<&str>,
        value: Option<&str>,
        median_ns: f64,
        bytes: Option<u64>,
    ) -> PathBuf {
        let sanitise = |s: &str| s.replace(['/', '?', ':', '*', '"', '<', '>', '|', '\\'], "_");
        let mut dir = sanitise(group);
        for part in [function, value].into_iter().flatten() {
            dir = format!("{dir}/{}", sanitise(part));
        }
        let q = |o: Option<&str>| o.map_or("null".to_string(), |s| format!("{s:?}"));
        let thr = bytes.map_or("null".to_string(), |b| format!("{{\"Bytes\":{b}}}"));
        let full: Vec<&str> = [Some(group), function, value]
            .into_iter()
            .flatten()
            .collect();
        let meta = format!(
            "{{\"group_id\":{group:?},\"function_id\":{},\"value_str\":{},\"throughput\":{thr},\"full_id\":{:?},\"directory_name\":{dir:?},\"title\":{:?}}}",
            q(function),
            q(value),
            full.join("/"),
            full.join("/"),
        );
        let est = format!(
            "{{\"mean\":{{\"confidence_interval\":{{\"confidence_level\":0.95,\"lower_bound\":{0},\"upper_bound\":{0}}},\"point_estimate\":{0},\"standard_error\":1.0}},\"median\":{{\"confidence_interval\":{{\"confidence_level\":0.95,\"lower_bound\":{1},\"upper_bound\":{2}}},\"point_estimate\":{0},\"standard_error\":1.0}},\"median_abs_dev\":null,\"slope\":null,\"std_dev\":null}}",
            median_ns,
            median_ns * 0.9,
            median_ns * 1.1
        );
        let b = crit.join(&dir);
        fs::create_dir_all(b.join("new")).unwrap();
        fs::create_dir_all(b.join("report")).unwrap();
        fs::write(b.join("new/benchmark.json"), meta).unwrap();
        fs::write(b.join("new/estimates.json"), est).unwrap();
        fs::write(b.join("report/index.html"), "<html></html>").unwrap();
        // criterion writes a group page when a group has more than one benchmark
        let group_report = crit.join(sanitise(group)).join("report");
        fs::create_dir_all(&group_report).unwrap();
        fs::write(group_report.join("index.html"), "<html></html>").unwrap();
        b
    }

    const RGBA: u64 = 1600 * 1200 * 4;

    fn fake_tree(root: &Path) -> PathBuf {
        let crit = root.join("target/criterion");
        // bench_function("lut") style and BenchmarkId::from_parameter("floor") style
        fake_bench(
            &crit,
            "decode/seed",
            Some("lut"),
            None,
            1_000_000.0,
            Some(RGBA),
        );
        fake_bench(
            &crit,
            "decode/seed",
            None,
            Some("floor"),
            250_000.0,
            Some(RGBA),
        );
        fake_bench(
            &crit,
            "decode/seed",
            Some("naive"),
            None,
            4_000_000.0,
            Some(RGBA),
        );
        fake_bench(&crit, "decode/pal1", Some("lut"), None, 500.0, Some(1000));
        fake_bench(
            &crit,
            "decode/pal1",
            Some("zune"),
            None,
            2_000.0,
            Some(1000),
        );
        fake_bench(
            &crit,
            "shm/handoff",
            Some("write"),
            Some("1600x1200"),
            3_000.0,
            None,
        );
        crit
    }

    const PEERS: &str = r#"{"schema":1,"python":"3.11.7","versions":{"numpy":"2.0.0","opencv":"4.10.0","pillow":"11.0.0"},
      "cpu":"Test CPU","cores":2,"date":"2026-01-02T03:04:05Z","quick":true,"results":[
      {"fixture":"seed","file":"seed.bmp","peer":"cv2.imdecode","iterations":20,"median_ns":500000,"min_ns":400000,"p90_ns":600000,
       "width":1600,"height":1200,"rgba_bytes":7680000,"output_bytes":5760000,"output_shape":[1200,1600,3],
       "agrees_with_pillow":true,"max_channel_delta":0,"error":null},
      {"fixture":"seed","file":"seed.bmp","peer":"cv2.imdecode+cvtColor","output_bytes":7680000,"iterations":20,"median_ns":2000000,"min_ns":1900000,"p90_ns":2500000,
       "width":1600,"height":1200,"rgba_bytes":7680000,"agrees_with_pillow":true,"max_channel_delta":0,"error":null},
      {"fixture":"seed","file":"seed.bmp","peer":"pillow","iterations":20,"median_ns":10000000,"min_ns":9000000,"p90_ns":12000000,
       "width":1600,"height":1200,"rgba_bytes":7680000,"agrees_with_pillow":true,"max_channel_delta":0,"error":null},
      {"fixture":"seed","file":"seed.bmp","peer":"python.loop","iterations":1,"median_ns":700000000,"min_ns":700000000,"p90_ns":700000000,
       "width":1600,"height":1200,"rgba_bytes":7680000,"agrees_with_pillow":true,"max_channel_delta":0,"error":null,"anchor":true},
      {"fixture":"pal1","file":"pal1.bmp","peer":"cv2.imdecode","iterations":5,"median_ns":4000,"min_ns":3000,"p90_ns":5000,
       "width":25,"height":10,"rgba_bytes":1000,"agrees_with_pillow":false,"max_channel_delta":255,"error":null},
      {"fixture":"pal1","file":"pal1.bmp","peer":"pillow","error":"OSError: broken"},
      {"fixture":"pal1","file":"pal1.bmp","peer":"numpy.lut","iterations":5,"median_ns":3000,"min_ns":3000,"p90_ns":3000,
       "rgba_bytes":996,"agrees_with_pillow":true,"max_channel_delta":0,"error":null},
      {"fixture":"only_py","file":"only_py.bmp","peer":"pillow","iterations":5,"median_ns":100,"min_ns":90,"p90_ns":120,
       "width":1,"height":1,"rgba_bytes":4,"agrees_with_pillow":true,"max_channel_delta":0,"error":null}]}"#;

    fn opts() -> Options {
        Options {
            rustc: Some("rustc 1.88.0 (test)".into()),
            cargo_lock: None,
            date: Some("2026-01-02".into()),
            cpu: Some("Test CPU".into()),
            cores: Some(2),
            handoff_json: None,
        }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9 * b.abs().max(1.0))
    }

    #[test]
    fn tables_ratios_order_and_links() {
        let tmp = TempDir::new("tables");
        let crit = fake_tree(&tmp.0);
        let peers = tmp.0.join("peers.json");
        fs::write(&peers, PEERS).unwrap();
        let out = tmp.0.join("reports");
        let s = build_with(&crit, Some(&peers), &out, &opts()).unwrap();

        let names: Vec<&str> = s.fixtures.iter().map(|t| t.fixture.as_str()).collect();
        assert_eq!(
            names,
            ["seed", "only_py", "pal1"],
            "seed first, then by name"
        );

        let seed = &s.fixtures[0];
        assert_eq!(seed.rgba_bytes, Some(RGBA));
        assert_eq!(seed.dims, Some((1600, 1200)));
        let order: Vec<&str> = seed.rows.iter().map(|r| r.decoder.as_str()).collect();
        assert_eq!(
            order,
            [
                "floor",
                "cv2.imdecode",
                "lut",
                "cv2.imdecode+cvtColor",
                "naive",
                "pillow",
                "python.loop"
            ]
        );
        let lut = seed.row("lut").unwrap();
        assert_eq!(lut.kind, RowKind::Ours);
        assert!(close(lut.vs_floor, 4.0));
        assert!(close(lut.vs_lut, 1.0));
        assert!(close(lut.gb_per_s, 7.68));
        let floor = seed.row("floor").unwrap();
        assert_eq!(floor.kind, RowKind::Floor);
        assert!(close(floor.vs_floor, 1.0));
        assert!(close(floor.vs_lut, 0.25));
        assert!(close(seed.row("naive").unwrap().vs_lut, 4.0));
        let pil = seed.row("pillow").unwrap();
        assert_eq!(pil.kind, RowKind::Python);
        assert!(close(pil.vs_lut, 10.0));
        assert!(close(pil.vs_floor, 40.0));
        assert!(close(pil.gb_per_s, 0.768));
        assert_eq!(pil.check, Check::AgreesWithPillow);
        let anchor = seed.row("python.loop").unwrap();
        assert_eq!(anchor.kind, RowKind::PythonAnchor);
        assert!(close(anchor.vs_lut, 700.0));
        assert_eq!(anchor.spread.as_deref(), Some("1 run"));

        let pal1 = s.fixtures.iter().find(|t| t.fixture == "pal1").unwrap();
        assert!(
            pal1.row("zune").unwrap().vs_floor.is_none(),
            "no floor in pal1"
        );
        assert!(close(pal1.row("zune").unwrap().vs_lut, 4.0));
        assert_eq!(
            pal1.row("cv2.imdecode").unwrap().check,
            Check::DiffersFromPillow {
                max_delta: Some(255)
            }
        );
        let np = pal1.row("numpy.lut").unwrap();
        assert!(
            np.note.as_deref().unwrap().contains("not the same fixture"),
            "{np:?}"
        );
        assert!(
            close(np.gb_per_s, 996.0 / 3000.0),
            "a peer's GB/s uses its own output size"
        );
        let broken = pal1.row("pillow").unwrap();
        assert_eq!(broken.median_ns, None);
        assert_eq!(broken.note.as_deref(), Some("OSError: broken"));
        assert_eq!(pal1.rows.last().unwrap().decoder, "pillow", "failures last");

        let only = s.fixtures.iter().find(|t| t.fixture == "only_py").unwrap();
        assert!(close(only.row("pillow").unwrap().gb_per_s, 0.04));

        assert_eq!(s.other.len(), 1);
        assert_eq!(s.other[0].group, "shm/handoff");
        assert_eq!(s.other[0].bench, "write/1600x1200");
        assert_eq!(
            s.other[0].link,
            "../target/criterion/shm_handoff/write/1600x1200/report/index.html"
        );
        assert_eq!(
            lut.link.as_deref(),
            Some("../target/criterion/decode_seed/lut/report/index.html")
        );
        assert_eq!(
            seed.group_link.as_deref(),
            Some("../target/criterion/decode_seed/report/index.html")
        );

        let bgr = seed.row("cv2.imdecode").unwrap();
        assert!(!bgr.rgba_out);
        assert!(bgr
            .note
            .as_deref()
            .unwrap()
            .contains("[1200, 1600, 3], not RGBA"));
        assert!(seed.row("cv2.imdecode+cvtColor").unwrap().rgba_out);
        let h = s.headline.as_deref().unwrap();
        assert!(
            !h.contains("slower"),
            "BGR-only peers stay out of the headline: {h}"
        );
        assert!(h.contains("1.00 ms"), "{h}");
        assert!(h.contains("4.00× the time of the memcpy floor"), "{h}");
        assert!(h.contains("700× faster than python.loop"), "{h}");
        assert!(h.contains("2.00× faster than cv2.imdecode+cvtColor"), "{h}");

        let html = fs::read_to_string(out.join("index.html")).unwrap();
        let md = fs::read_to_string(out.join("summary.md")).unwrap();
        assert_eq!(s.written, [out.join("index.html"), out.join("summary.md")]);
        for text in [&html, &md] {
            assert!(text.contains("Test CPU, 2 logical cores"));
            assert!(text.contains("rustc 1.88.0 (test)"));
            assert!(text.contains("Python 3.11.7"));
            assert!(text.contains("opencv 4.10.0"));
            assert!(text.contains("../target/criterion/decode_seed/lut/report/index.html"));
        }
        assert!(html.find("id=\"fx-seed\"").unwrap() < html.find("id=\"fx-pal1\"").unwrap());
        assert!(!html.contains("<script"), "no JavaScript");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "works offline"
        );
        assert!(html.contains("<svg"));
        assert!(md.contains("| [lut](../target/criterion/decode_seed/lut/report/index.html) | Rust, shmbmp | 1.00 ms | 7.68 | 4.00× | 1.00× |"), "{md}");
        assert!(
            md.contains("| pillow | Python peer | error: OSError: broken |"),
            "{md}"
        );
    }

    #[test]
    fn missing_peers_are_said_plainly() {
        let tmp = TempDir::new("nopeers");
        let crit = fake_tree(&tmp.0);
        let out = tmp.0.join("reports");
        let s = build_with(&crit, None, &out, &opts()).unwrap();
        assert!(s.header.python.is_none());
        assert!(s.fixtures[0].rows.iter().all(|r| r.kind.is_rust()));
        let h = s.headline.unwrap();
        assert!(!h.contains("faster than"), "{h}");
        for f in ["index.html", "summary.md"] {
            let text = fs::read_to_string(out.join(f)).unwrap();
            assert!(
                text.contains("Python peers were not measured in this run (create the venv: "),
                "{f}"
            );
            let setup = if f == "index.html" {
                esc(PEERS_SETUP)
            } else {
                PEERS_SETUP.to_string()
            };
            assert!(text.contains(&setup), "{f}");
        }
    }

    #[test]
    fn malformed_estimates_name_the_file() {
        let tmp = TempDir::new("malformed");
        let crit = fake_tree(&tmp.0);
        let bad = crit.join("decode_pal1/zune/new/estimates.json");
        fs::write(&bad, "{\"median\": {\"point_estimate\": ").unwrap();
        let err = build_with(&crit, None, &tmp.0.join("reports"), &opts()).unwrap_err();
        assert!(matches!(err, ReportError::Json { .. }), "{err:?}");
        assert_eq!(err.path(), bad);
        assert!(
            err.to_string()
                .contains("decode_pal1/zune/new/estimates.json"),
            "{err}"
        );

        fs::write(&bad, "{\"mean\": {}}").unwrap();
        let err = build(&crit, None, &tmp.0.join("reports")).unwrap_err();
        assert!(
            matches!(err, ReportError::Json { .. }),
            "missing median: {err:?}"
        );
        assert_eq!(err.path(), bad);

        fs::write(&bad, "{\"median\": {\"point_estimate\": -1.0}}").unwrap();
        let err = build(&crit, None, &tmp.0.join("reports")).unwrap_err();
        assert!(matches!(err, ReportError::Invalid { .. }), "{err:?}");
        assert_eq!(err.path(), bad);
    }

    #[test]
    fn malformed_peers_json_names_the_file() {
        let tmp = TempDir::new("badpeers");
        let crit = fake_tree(&tmp.0);
        let peers = tmp.0.join("peers.json");
        fs::write(&peers, "{\"python\": \"3.11\"}").unwrap();
        let err = build(&crit, Some(&peers), &tmp.0.join("reports")).unwrap_err();
        assert!(matches!(err, ReportError::Json { .. }), "{err:?}");
        assert_eq!(err.path(), peers);
        let missing = tmp.0.join("nope.json");
        let err = build(&crit, Some(&missing), &tmp.0.join("reports")).unwrap_err();
        assert!(matches!(err, ReportError::Read { .. }), "{err:?}");
        assert_eq!(err.path(), missing);
    }

    #[test]
    fn empty_or_missing_criterion_dir_is_an_error() {
        let tmp = TempDir::new("empty");
        let err = build(&tmp.0, None, &tmp.0.join("reports")).unwrap_err();
        assert!(matches!(err, ReportError::NoBenchmarks { .. }), "{err:?}");
        let err = build(&tmp.0.join("absent"), None, &tmp.0.join("reports")).unwrap_err();
        assert!(matches!(err, ReportError::Read { .. }), "{err:?}");
    }

    #[test]
    fn sanitised_names_and_odd_ids_link_correctly() {
        let tmp = TempDir::new("odd");
        let crit = tmp.0.join("crit");
        fake_bench(
            &crit,
            "decode/x",
            Some("zune"),
            Some("a b?c"),
            10.0,
            Some(40),
        );
        fake_bench(&crit, "decode/x", Some("lut"), None, 5.0, Some(40));
        let s = build_with(&crit, None, &tmp.0.join("out/deeper"), &opts()).unwrap();
        let t = &s.fixtures[0];
        assert_eq!(t.fixture, "x");
        let z = t.row("zune/a b?c").unwrap();
        assert_eq!(
            z.link.as_deref(),
            Some("../../crit/decode_x/zune/a%20b_c/report/index.html")
        );
        assert!(close(z.vs_lut, 2.0));
        assert_eq!(
            t.group_link.as_deref(),
            Some("../../crit/decode_x/report/index.html")
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        let lock = "version = 4\n\n[[package]]\nname = \"bmp\"\nversion = \"0.5.0\"\n\n[[package]]\nname = \"image\"\nversion = \"0.25.6\"\n\n[[package]]\nname = \"image\"\nversion = \"0.24.9\"\n\n[[package]]\nname = \"other\"\nversion = \"1.0.0\"\n";
        assert_eq!(
            crate_versions(lock, &["image", "bmp", "zune-bmp"]),
            [
                ("image".to_string(), "0.25.6, 0.24.9".to_string()),
                ("bmp".to_string(), "0.5.0".to_string())
            ]
        );
        assert_eq!(fmt_ns(97.57), "97.6 ns");
        assert_eq!(fmt_ns(1_234.0), "1.23 µs");
        assert_eq!(fmt_ns(745_154_000.0), "745 ms");
        assert_eq!(fmt_ns(2.5e9), "2.50 s");
        assert_eq!(encode_path("a b/c#d%"), "a%20b/c%23d%25");
        assert_eq!(throughput_bytes(&serde_json::json!({"Bytes": 7})), Some(7));
        assert_eq!(
            throughput_bytes(&serde_json::json!({"ElementsAndBytes": {"elements": 1, "bytes": 9}})),
            Some(9)
        );
        assert_eq!(throughput_bytes(&serde_json::json!({"Elements": 7})), None);
    }
}
