//! From criterion's benchmarks, the interleaved pass and the peers' results to the fixture
//! tables: rows, ratios, order and the headline.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::criterion::Bench;
use super::environment::header;
use super::peers::PeersJson;
use super::text::{fmt_ns, fmt_ratio};
use super::{
    Check, FixtureTable, InterleavedRatio, Options, OtherRow, Row, RowKind, RunFacts, Summary,
    SEED_FIXTURE,
};
use crate::timing::{Interleaved, JobTimes};
use crate::{by_name, Kernels, Origin};

/// Criterion group prefix for the decode matrix.
pub(super) const DECODE_PREFIX: &str = "decode/";

/// Suffix of a benchmark that times a peer's conversion to RGBA alone.
const TO_RGBA: &str = "_to_rgba";

/// The kind of a criterion row in a decode group, asked of the decoder registry: a decoder of
/// [`Origin::Ours`] or its `_into` benchmark is ours, an adapter is a Rust crate and its
/// `_to_rgba` benchmark our conversion of its output. `lut` forced onto one kernel level
/// (`lut_scalar`, `lut_avx2`, …) is ours too though the registry leaves it out
/// ([`crate::Lut::with_kernels`]).
fn rust_kind(decoder: &str) -> RowKind {
    match decoder {
        "floor" => return RowKind::Floor,
        "fill" => return RowKind::WriteFloor,
        _ => {}
    }
    if let Some(peer) = decoder.strip_suffix(TO_RGBA) {
        return match by_name(peer).map(|d| d.origin()) {
            Ok(Origin::Peer) => RowKind::Conversion,
            _ => RowKind::RustOther,
        };
    }
    let base = decoder.strip_suffix("_into").unwrap_or(decoder);
    match by_name(base).map(|d| d.origin()) {
        Ok(Origin::Ours) => RowKind::Ours,
        Ok(Origin::Peer) if base == decoder => RowKind::RustCrate,
        Err(_) if Kernels::ALL.iter().any(|k| k.lut_name() == base) => RowKind::Ours,
        _ => RowKind::RustOther,
    }
}

/// A row with only a name, a kind and a median.
fn row(decoder: &str, kind: RowKind, median_ns: Option<f64>) -> Row {
    Row {
        decoder: decoder.to_string(),
        kind,
        median_ns,
        gb_per_s: None,
        vs_floor: None,
        vs_fill: None,
        vs_lut: None,
        spread: None,
        interleaved: None,
        converts: None,
        check: Check::ByTests,
        rgba_out: true,
        error: None,
        note: None,
    }
}

pub(super) fn new_table(fixture: &str) -> FixtureTable {
    FixtureTable {
        fixture: fixture.to_string(),
        rgba_bytes: None,
        dims: None,
        rows: Vec::new(),
    }
}

/// The [`Summary`] of `benches`, `peers` and `interleaved`; `handoff`, `bare`, `agreement`,
/// `from_python`, `threads`, `layouts` and `written` are left empty.
pub(super) fn summarize(
    criterion_dir: &Path,
    benches: &[Bench],
    peers: Option<&PeersJson>,
    interleaved: &[Interleaved],
    opts: &Options,
    run: Option<RunFacts>,
) -> Summary {
    let mut tables: BTreeMap<String, FixtureTable> = BTreeMap::new();
    let mut other = Vec::new();

    for b in benches {
        let Some(fixture) = b.group.strip_prefix(DECODE_PREFIX) else {
            other.push(OtherRow {
                group: b.group.clone(),
                bench: b.id(),
                median_ns: b.median_ns,
                throughput_bytes: b.throughput_bytes,
            });
            continue;
        };
        let t = tables
            .entry(fixture.to_string())
            .or_insert_with(|| new_table(fixture));
        if t.rgba_bytes.is_none() {
            t.rgba_bytes = b.throughput_bytes;
        }
        let decoder = b.id();
        let kind = rust_kind(&decoder);
        let mut r = row(&decoder, kind, Some(b.median_ns));
        r.gb_per_s = b.throughput_bytes.map(|n| n as f64 / b.median_ns);
        r.spread = b
            .median_ci
            .map(|(lo, hi)| format!("95% CI {} – {}", fmt_ns(lo), fmt_ns(hi)));
        if kind == RowKind::Conversion {
            r.converts = decoder.strip_suffix(TO_RGBA).map(str::to_string);
        }
        t.rows.push(r);
    }

    for run in interleaved {
        let t = tables
            .entry(run.name.clone())
            .or_insert_with(|| new_table(&run.name));
        attach_interleaved(t, run);
    }

    let python = peers.map(PeersJson::env);

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
            t.rows.push(python_row(r, t.rgba_bytes));
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
    let floor_note = floor_note(&fixtures);

    let mut header = header(criterion_dir, opts, python);
    header.run = run;
    if header.run.is_none() {
        header.allocator = interleaved.iter().find_map(|r| r.allocator.clone());
    }
    Summary {
        header,
        headline,
        floor_note,
        fixtures,
        other,
        handoff: Vec::new(),
        handoff_yardstick: None,
        handoff_note: None,
        interleaved: Vec::new(),
        bare: Vec::new(),
        agreement: Vec::new(),
        from_python: None,
        threads: None,
        layouts: None,
        written: Vec::new(),
    }
}

/// One Python peer's result as a row.
pub(super) fn python_row(r: &super::peers::PeerResult, rgba_bytes: Option<u64>) -> Row {
    let check = match (r.error.is_some(), r.agrees_with_pillow) {
        (true, _) | (false, None) => Check::Unknown,
        (false, Some(true)) => Check::AgreesWithPillow,
        (false, Some(false)) => Check::DiffersFromPillow {
            max_delta: r.max_channel_delta,
        },
    };
    let kind = match (r.anchor, &r.converts) {
        (true, _) => RowKind::PythonAnchor,
        (false, Some(_)) => RowKind::PythonConversion,
        (false, None) => RowKind::Python,
    };
    let median = if r.error.is_some() { None } else { r.median_ns };
    let mut out = row(&r.peer, kind, median);
    out.check = check;
    out.converts = r.converts.clone();
    out.error = r.error.clone();
    out.note = r.note.clone();
    out.gb_per_s = median.zip(r.rgba_bytes).map(|(m, n)| n as f64 / m);
    out.rgba_out = match (r.rgba_out, r.output_bytes, r.rgba_bytes) {
        (Some(rgba_out), _, _) => rgba_out,
        (None, Some(o), Some(rgba)) => o == rgba,
        _ => true,
    };
    if !out.rgba_out && r.error.is_none() {
        let shape = r
            .output_format
            .clone()
            .or_else(|| r.output_shape.as_ref().map(|s| format!("{s:?}")))
            .unwrap_or_else(|| format!("{} bytes", r.output_bytes.unwrap_or(0)));
        out.note = Some(format!(
            "returns {shape}, not RGBA; its conversion is a row of its own (GB/s counts RGBA-equivalent bytes)"
        ));
    }
    if let (Some(py), Some(rust)) = (r.rgba_bytes, rgba_bytes) {
        if py != rust {
            out.note = Some(format!(
                "RGBA output is {py} bytes here but {rust} on the Rust side: not the same fixture?"
            ));
        }
    }
    out.spread = match (r.min_ns, r.p90_ns, r.iterations) {
        (_, _, Some(1)) => Some("1 run".to_string()),
        (Some(lo), Some(hi), Some(n)) => {
            Some(format!("min {} · p90 {} · n={n}", fmt_ns(lo), fmt_ns(hi)))
        }
        _ => None,
    };
    out
}

/// Adds the interleaved ratios of `run` to the rows of `t`: the floors, ours as `<name>_into`
/// (they ran `decode_into` a reused buffer), peers under their own name and their conversion
/// as `<name>_to_rgba`. A decoder criterion did not time (a lower kernel level) gets a row of
/// its own with no criterion median.
fn attach_interleaved(t: &mut FixtureTable, run: &Interleaved) {
    if t.dims.is_none() {
        t.dims = Some((u64::from(run.width), u64::from(run.height)));
    }
    if t.rgba_bytes.is_none() {
        t.rgba_bytes = Some(run.rgba_bytes);
    }
    let ratio = |job: Option<JobTimes>| job.map(|j| InterleavedRatio::of(j, run));
    let put = |t: &mut FixtureTable, name: String, kind: RowKind, r: Option<InterleavedRatio>| {
        let Some(r) = r else { return };
        match t.rows.iter_mut().find(|row| row.decoder == name) {
            Some(row) => row.interleaved = Some(r),
            None => {
                let mut new = row(&name, kind, None);
                new.interleaved = Some(r);
                new.note = Some("timed interleaved only".into());
                t.rows.push(new);
            }
        }
    };
    put(t, "floor".into(), RowKind::Floor, ratio(Some(run.floor())));
    put(t, "fill".into(), RowKind::WriteFloor, ratio(run.fill()));
    for d in &run.decoders {
        match &d.native {
            None => put(
                t,
                format!("{}_into", d.decoder),
                RowKind::Ours,
                ratio(d.times()),
            ),
            Some(format) => {
                put(t, d.decoder.clone(), RowKind::RustCrate, ratio(d.times()));
                put(
                    t,
                    format!("{}{TO_RGBA}", d.decoder),
                    RowKind::Conversion,
                    ratio(d.to_rgba_times()),
                );
                if let Some(r) = t.rows.iter_mut().find(|r| r.decoder == d.decoder) {
                    r.note = Some(format!("its own output: {format}"));
                }
            }
        }
    }
}

/// Fills in GB/s, the ratios and what each peer's output is, then sorts fastest first.
fn finish_table(t: &mut FixtureTable) {
    let floor = t.row("floor").and_then(|r| r.median_ns);
    let fill = t.row("fill").and_then(|r| r.median_ns);
    let lut = t.row("lut").and_then(|r| r.median_ns);
    let rgba = t.rgba_bytes;
    let converted: Vec<String> = t.rows.iter().filter_map(|r| r.converts.clone()).collect();
    for r in &mut t.rows {
        if r.kind == RowKind::Conversion {
            if let Some(of) = &r.converts {
                r.note = Some(format!("converts the output of {of}; ours"));
            }
        }
        if r.kind == RowKind::RustCrate && converted.contains(&r.decoder) {
            r.rgba_out = false;
            let own = r.note.take().unwrap_or_else(|| "its own output".into());
            r.note = Some(format!(
                "{own}, not RGBA; RGBA costs the {}{TO_RGBA} row more",
                r.decoder
            ));
        }
        let Some(m) = r.median_ns else { continue };
        if r.gb_per_s.is_none() {
            r.gb_per_s = rgba.map(|n| n as f64 / m);
        }
        r.vs_floor = floor.map(|f| m / f);
        r.vs_fill = fill.map(|f| m / f);
        r.vs_lut = lut.map(|l| m / l);
    }
    t.rows.sort_by(|a, b| match (a.median_ns, b.median_ns) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => (a.error.is_some(), &a.decoder).cmp(&(b.error.is_some(), &b.decoder)),
    });
}

/// A peer's way to canonical RGBA: its own call, plus the conversion of its output when
/// that is not RGBA, each measured on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct ToRgba {
    /// The peer's row.
    pub peer: String,
    /// The conversion's row, when one is needed.
    pub conversion: Option<String>,
    /// The sum of both medians, nanoseconds.
    pub total_ns: f64,
}

impl ToRgba {
    /// `cv2.imdecode + cv2.cvtColor`, or the peer alone.
    pub fn label(&self) -> String {
        match &self.conversion {
            Some(c) => format!("{} + {c}", self.peer),
            None => self.peer.clone(),
        }
    }
}

impl FixtureTable {
    /// Every peer's way to RGBA, fastest first; a peer whose output is not RGBA and has no
    /// conversion row is left out.
    pub fn to_rgba(&self) -> Vec<ToRgba> {
        let mut v: Vec<ToRgba> = self
            .rows
            .iter()
            .filter(|r| {
                matches!(
                    r.kind,
                    RowKind::RustCrate | RowKind::Python | RowKind::PythonAnchor
                )
            })
            .filter_map(|r| {
                let m = r.median_ns?;
                if r.rgba_out {
                    return Some(ToRgba {
                        peer: r.decoder.clone(),
                        conversion: None,
                        total_ns: m,
                    });
                }
                let c = self
                    .rows
                    .iter()
                    .find(|c| c.converts.as_deref() == Some(r.decoder.as_str()))?;
                Some(ToRgba {
                    peer: r.decoder.clone(),
                    conversion: Some(c.decoder.clone()),
                    total_ns: m + c.median_ns?,
                })
            })
            .collect();
        v.sort_by(|a, b| a.total_ns.total_cmp(&b.total_ns));
        v
    }
}

/// "Seed frame: `lut_into` X, N× the memcpy floor and M× the write floor; to RGBA, `lut` is
/// K× faster than the fastest peer (…), …"
fn headline(t: &FixtureTable) -> Option<String> {
    let into = t.row("lut_into").or_else(|| t.row("lut"))?;
    let into_ns = into.median_ns?;
    let mut s = format!(
        "Seed frame: `{}` decodes it in {}",
        into.decoder,
        fmt_ns(into_ns)
    );
    let floors: Vec<String> = [
        (into.vs_floor, "the memcpy floor"),
        (into.vs_fill, "the write floor"),
    ]
    .into_iter()
    .filter_map(|(x, what)| x.map(|x| format!("{} {what}", fmt_ratio(x))))
    .collect();
    if !floors.is_empty() {
        let _ = write!(s, " ({})", floors.join(", "));
    }
    let lut = t.row("lut").and_then(|r| r.median_ns);
    let peers = t.to_rgba();
    match (lut, peers.first()) {
        (Some(lut), Some(_)) => {
            let parts: Vec<String> = peers
                .iter()
                .map(|p| {
                    let x = p.total_ns / lut;
                    let (x, word) = if x >= 1.0 {
                        (x, "faster")
                    } else {
                        (1.0 / x, "slower")
                    };
                    format!(
                        "{} {word} than {} ({})",
                        fmt_ratio(x),
                        p.label(),
                        fmt_ns(p.total_ns)
                    )
                })
                .collect();
            let _ = write!(
                s,
                "; to RGBA, `lut`, allocating its output as every peer does, takes {} and is {}.",
                fmt_ns(lut),
                parts.join(", ")
            );
        }
        _ => s.push('.'),
    }
    Some(s)
}

/// How far the `floor` moved between fixtures with the same output size in this run: the
/// same memcpy timed again, so its spread is the machine's noise, which every ratio carries.
fn floor_note(fixtures: &[FixtureTable]) -> Option<String> {
    let mut floors: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for t in fixtures {
        if let (Some(n), Some(f)) = (t.rgba_bytes, t.row("floor").and_then(|r| r.median_ns)) {
            floors.entry(n).or_default().push(f);
        }
    }
    let (bytes, times) = floors.into_iter().max_by_key(|(_, v)| v.len())?;
    if times.len() < 2 {
        return None;
    }
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    let max = times.iter().copied().fold(0.0, f64::max);
    Some(format!(
        "Machine noise: the floor, the same memcpy of {bytes} bytes, measured {} to {} \
         ({} apart) across the {} fixtures of that size in this run; every ratio to the \
         floor carries that noise.",
        fmt_ns(min),
        fmt_ns(max),
        fmt_ratio(max / min),
        times.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry;

    fn table(fixture: &str, rgba_bytes: u64, floor_ns: f64) -> FixtureTable {
        FixtureTable {
            fixture: fixture.to_string(),
            rgba_bytes: Some(rgba_bytes),
            dims: None,
            rows: vec![row("floor", RowKind::Floor, Some(floor_ns))],
        }
    }

    #[test]
    fn floor_note_gives_the_spread_of_same_sized_floors() {
        let one = [table("a", 100, 1_000.0), table("b", 7, 5_000.0)];
        assert_eq!(floor_note(&one), None, "no two floors of one size");
        let three = [
            table("a", 100, 1_000_000.0),
            table("b", 100, 1_500_000.0),
            table("c", 100, 1_200_000.0),
            table("small", 7, 50.0),
        ];
        let note = floor_note(&three).unwrap();
        assert!(note.contains("1.00 ms to 1.50 ms (1.50× apart)"), "{note}");
        assert!(
            note.contains("100 bytes") && note.contains("the 3 fixtures"),
            "{note}"
        );
    }

    #[test]
    fn every_decoder_of_ours_and_its_into_variant_is_ours() {
        for name in ["naive", "lut", "lut_mt", "lut_scalar"] {
            assert_eq!(rust_kind(name), RowKind::Ours, "{name}");
            let into = format!("{name}_into");
            assert_eq!(rust_kind(&into), RowKind::Ours, "{into}");
        }
        for d in registry() {
            let want = match d.origin() {
                Origin::Ours => RowKind::Ours,
                Origin::Peer => RowKind::RustCrate,
            };
            assert_eq!(rust_kind(d.name()), want, "{}", d.name());
        }
        for name in ["image", "bmp", "zune"] {
            assert_eq!(rust_kind(name), RowKind::RustCrate, "{name}");
        }
        assert_eq!(rust_kind("floor"), RowKind::Floor);
        assert_eq!(rust_kind("fill"), RowKind::WriteFloor);
        assert_eq!(rust_kind("zune_to_rgba"), RowKind::Conversion);
        assert_eq!(rust_kind("bmp_to_rgba"), RowKind::Conversion);
        for name in [
            "zune/a b?c",
            "image_into",
            "memcpy",
            "lut_mt_into_into",
            "lut_to_rgba",
            "",
        ] {
            assert_eq!(rust_kind(name), RowKind::RustOther, "{name}");
        }
    }
}
