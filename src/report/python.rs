//! The "From Python" table: `python/bench.py`'s JSON (the rows of `benches/peers.py`'s shape,
//! shmbmp's calls among them, timed in one Python process) read, and the seed frame's two
//! targets checked.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::peers::{check_medians, PeersJson};
use super::summary::{new_table, python_row};
use super::target::{Target, Unit};
use super::text::{fmt_ns, fmt_ratio};
use super::{read_json, FixtureTable, PythonEnv, ReportError, SEED_FIXTURE};

/// shmbmp's call into a reused array, the call both targets are about.
pub const DECODE_INTO: &str = "shmbmp.decode_into";

/// The peer the second target names: OpenCV's decode, to RGBA with its conversion.
pub const CV2: &str = "cv2.imdecode";

/// The binding may cost this much: `decode_into` from Python ÷ Rust's `lut_into`.
pub const BINDING_LIMIT: f64 = 1.3;

/// `decode_into` from Python ÷ `cv2.imdecode` + its conversion to RGBA, at most.
pub const CV2_LIMIT: f64 = 0.2;

/// The seed frame timed the way `shmbmp bench --decoder lut` times it (round by round
/// with the floors, each job run in a row: in turn, then repeated right after itself), in
/// Rust and in Python, alternating: medians of the runs, nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    /// The Rust CLI's memcpy floor, in turn.
    pub rust_floor_ns: f64,
    /// The Rust CLI's `lut` into a reused buffer, in turn.
    pub rust_decode_into_ns: f64,
    /// The same repeated, when recorded.
    #[serde(default)]
    pub rust_decode_into_repeat_ns: Option<f64>,
    /// Python's memcpy floor (`numpy.copyto` of the output's size), in turn.
    pub python_floor_ns: f64,
    /// `shmbmp.decode_into` from Python, in turn.
    pub python_decode_into_ns: f64,
    /// The same repeated, when recorded.
    #[serde(default)]
    pub python_decode_into_repeat_ns: Option<f64>,
}

impl Binding {
    /// Python ÷ Rust in turn, and repeated when both were recorded.
    pub fn ratios(&self) -> (f64, Option<f64>) {
        let repeat = self
            .python_decode_into_repeat_ns
            .zip(self.rust_decode_into_repeat_ns)
            .map(|(p, r)| p / r);
        (
            self.python_decode_into_ns / self.rust_decode_into_ns,
            repeat,
        )
    }

    fn times(&self) -> impl Iterator<Item = f64> {
        [
            Some(self.rust_floor_ns),
            Some(self.rust_decode_into_ns),
            self.rust_decode_into_repeat_ns,
            Some(self.python_floor_ns),
            Some(self.python_decode_into_ns),
            self.python_decode_into_repeat_ns,
        ]
        .into_iter()
        .flatten()
    }
}

/// The whole file `python/bench.py --out` writes.
#[derive(Debug, Deserialize)]
pub(super) struct PythonBenchJson {
    #[serde(flatten)]
    pub(super) peers: PeersJson,
    #[serde(default)]
    pub(super) seed_binding: Option<Binding>,
}

/// `python/bench.py`'s JSON at `path`; an empty file (a run cut short) is an error that says so.
pub(super) fn read_python_bench(path: &Path) -> Result<PythonBenchJson, ReportError> {
    let invalid = |what: String| ReportError::Invalid {
        path: path.to_path_buf(),
        what,
    };
    let len = std::fs::metadata(path)
        .map_err(|source| ReportError::Read {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if len == 0 {
        return Err(invalid(
            "the file is empty (python/bench.py did not finish?)".into(),
        ));
    }
    let doc: PythonBenchJson = read_json(path)?;
    check_medians(path, &doc.peers.results)?;
    if let Some(b) = doc.seed_binding {
        if b.times().any(|x| !x.is_finite() || x <= 0.0) {
            return Err(invalid(format!(
                "seed_binding has a non-positive time: {b:?}"
            )));
        }
    }
    Ok(doc)
}

/// The "From Python" section: per fixture, shmbmp's calls and every Python peer timed in one
/// process, and the seed frame's targets.
#[derive(Debug, Clone, PartialEq)]
pub struct FromPython {
    /// The Python it ran in.
    pub env: PythonEnv,
    /// The calls, one column each, in the order the file first names them; a conversion to
    /// RGBA shares the column of the call whose output it converts.
    pub columns: Vec<String>,
    /// Per fixture, the rows read (seed first, then by name); ratios are not filled in.
    pub fixtures: Vec<FixtureTable>,
    /// The seed frame timed like the Rust CLI times it, when measured.
    pub binding: Option<Binding>,
    /// The seed frame's targets that could be computed.
    pub targets: Vec<Target>,
}

impl FromPython {
    /// The section from the file's contents.
    pub(super) fn new(doc: &PythonBenchJson) -> FromPython {
        let mut tables: BTreeMap<String, FixtureTable> = BTreeMap::new();
        let mut columns: Vec<String> = Vec::new();
        for r in &doc.peers.results {
            let t = tables
                .entry(r.fixture.clone())
                .or_insert_with(|| new_table(&r.fixture));
            if t.dims.is_none() {
                t.dims = r.width.zip(r.height);
            }
            if t.rgba_bytes.is_none() {
                t.rgba_bytes = r.rgba_bytes;
            }
            if r.converts.is_none() && !columns.contains(&r.peer) {
                columns.push(r.peer.clone());
            }
            t.rows.push(python_row(r, None));
        }
        let mut fixtures: Vec<FixtureTable> = tables.into_values().collect();
        fixtures.sort_by_key(|t| t.fixture != SEED_FIXTURE);
        let mut s = FromPython {
            env: doc.peers.env(),
            columns,
            fixtures,
            binding: doc.seed_binding,
            targets: Vec::new(),
        };
        s.targets = s.seed_targets();
        s
    }

    /// The fixture called `name`.
    pub fn fixture(&self, name: &str) -> Option<&FixtureTable> {
        self.fixtures.iter().find(|t| t.fixture == name)
    }

    /// The two targets on the seed frame, each when its times are there.
    fn seed_targets(&self) -> Vec<Target> {
        let mut v = Vec::new();
        if let Some(b) = self.binding {
            let (turn, repeat) = b.ratios();
            let mut detail = format!(
                "in turn {} ÷ {}",
                fmt_ns(b.python_decode_into_ns),
                fmt_ns(b.rust_decode_into_ns)
            );
            if let (Some(p), Some(r), Some(x)) = (
                b.python_decode_into_repeat_ns,
                b.rust_decode_into_repeat_ns,
                repeat,
            ) {
                detail = format!(
                    "{detail} = {}; repeated {} ÷ {} = {}",
                    fmt_ratio(turn),
                    fmt_ns(p),
                    fmt_ns(r),
                    fmt_ratio(x)
                );
            }
            v.push(Target {
                what: format!(
                    "`{DECODE_INTO}` from Python ÷ Rust `lut_into`, both timed as `shmbmp bench --decoder lut` times them (the larger of in turn and repeated)"
                ),
                detail,
                ratio: repeat.map_or(turn, |r| r.max(turn)),
                limit: BINDING_LIMIT,
                unit: Unit::Times,
            });
        }
        if let Some(seed) = self.fixture(SEED_FIXTURE) {
            let into = seed.row(DECODE_INTO).and_then(|r| r.median_ns);
            let cv2 = seed.to_rgba().into_iter().find(|p| p.peer == CV2);
            if let (Some(into), Some(cv2)) = (into, cv2) {
                v.push(Target {
                    what: format!("`{DECODE_INTO}` ÷ `{}`, steady state", cv2.label()),
                    detail: format!("{} ÷ {}", fmt_ns(into), fmt_ns(cv2.total_ns)),
                    ratio: into / cv2.total_ns,
                    limit: CV2_LIMIT,
                    unit: Unit::Times,
                });
            }
        }
        v
    }

    /// The table's header cells: the fixture, each call (with the conversion that follows it
    /// where its output is not RGBA), and the ratio the second target is about.
    pub fn header(&self) -> Vec<String> {
        let mut h = vec!["fixture".to_string()];
        for c in &self.columns {
            let conv = self
                .fixtures
                .iter()
                .flat_map(|t| &t.rows)
                .find(|r| r.converts.as_deref() == Some(c.as_str()));
            h.push(match conv {
                Some(conv) => format!("`{c}` (+ `{}`)", conv.decoder),
                None => format!("`{c}`"),
            });
        }
        h.push(format!("`{DECODE_INTO}` ÷ `{CV2}` to RGBA"));
        h
    }

    /// The cells of fixture `t` under [`FromPython::header`]: the median of each call, or
    /// `own + conversion = total` where a conversion to RGBA follows it; `Δn` where its
    /// pixels made RGBA differ from Pillow's by up to `n`; `—` where the call does not apply.
    pub fn cells(&self, t: &FixtureTable) -> Vec<String> {
        let mut v = vec![match t.dims {
            Some((w, h)) => format!("{} ({w}×{h})", t.fixture),
            None => t.fixture.clone(),
        }];
        for c in &self.columns {
            let Some(r) = t.row(c) else {
                v.push("—".into());
                continue;
            };
            let Some(m) = r.median_ns else {
                v.push("error".into());
                continue;
            };
            let conv = t
                .rows
                .iter()
                .find(|x| x.converts.as_deref() == Some(c.as_str()))
                .and_then(|x| x.median_ns);
            let mut cell = match conv {
                Some(x) => format!("{} + {} = {}", fmt_ns(m), fmt_ns(x), fmt_ns(m + x)),
                None => fmt_ns(m),
            };
            if let super::Check::DiffersFromPillow { max_delta } = &r.check {
                match max_delta {
                    Some(d) => cell.push_str(&format!(" (Δ{d})")),
                    None => cell.push_str(" (≠)"),
                }
            }
            v.push(cell);
        }
        let into = t.row(DECODE_INTO).and_then(|r| r.median_ns);
        let cv2 = t.to_rgba().into_iter().find(|p| p.peer == CV2);
        v.push(match (into, cv2) {
            (Some(i), Some(c)) => fmt_ratio(i / c.total_ns),
            _ => "—".into(),
        });
        v
    }
}

/// What the table shows, for the text above it.
pub(super) const FROM_PYTHON_INTRO: &str = "Measured from Python by `python/bench.py`, in one process: per fixture, shmbmp's calls (`shmbmp.decode`: a new array; `shmbmp.decode_into`: one array reused; `shmbmp.decode_into BGR`: the same into BGR, what `cv2.imdecode` gives) beside every peer of `benches/peers.py`, with its timing rules (steady state from the file's bytes in memory, one thread, the allocator held steady; medians). A peer whose output is not RGBA shows its own call + its library's conversion to RGBA = the total. (Δn): its pixels made RGBA differ from Pillow's by up to n per channel (16-bit rounding; BGR has no alpha). —: the call does not apply to that file.";

/// What the targets measure.
pub(super) const TARGETS_INTRO: &str = "The seed frame's targets: the binding costs little (`shmbmp.decode_into` from Python within 1.3× of Rust's `lut_into`, both timed as `shmbmp bench` times them: round by round with the memcpy and write floors, each job's first run of a round (in turn) and second (repeated); the Rust CLI and Python alternating three times, so drift hits both alike), and from Python shmbmp takes at most 0.2× what OpenCV takes to RGBA.";

/// The setup that makes the table, quoted where it is missing.
pub const FROM_PYTHON_SETUP: &str =
    "bash .ci/python.sh (builds the package into .venv), then cargo bench, or .venv/bin/python python/bench.py --out target/python-bench.json";
