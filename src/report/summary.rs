//! From criterion's benchmarks and the peers' results to the fixture tables: rows, ratios,
//! order and the headline.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::criterion::Bench;
use super::environment::header;
use super::links::encode_path;
use super::peers::PeersJson;
use super::text::{fmt_ns, fmt_ratio, fmt_speedup};
use super::{
    Check, FixtureTable, Options, OtherRow, PythonEnv, Row, RowKind, Summary, SEED_FIXTURE,
};
use crate::{by_name, Kernels, Origin};

/// Criterion group prefix for the decode matrix.
const DECODE_PREFIX: &str = "decode/";

/// The kind of a criterion row in a decode group, asked of the decoder registry: a decoder of
/// [`Origin::Ours`] or its `_into` benchmark is ours, an adapter is a Rust crate. `lut` forced
/// onto one kernel level (`lut_scalar`, `lut_avx2`, …) is ours too though the registry leaves
/// it out ([`crate::Lut::with_kernels`]).
fn rust_kind(decoder: &str) -> RowKind {
    if decoder == "floor" {
        return RowKind::Floor;
    }
    let base = decoder.strip_suffix("_into").unwrap_or(decoder);
    match by_name(base).map(|d| d.origin()) {
        Ok(Origin::Ours) => RowKind::Ours,
        Ok(Origin::Peer) if base == decoder => RowKind::RustCrate,
        Err(_) if Kernels::ALL.iter().any(|k| k.lut_name() == base) => RowKind::Ours,
        _ => RowKind::RustOther,
    }
}

/// The [`Summary`] of `benches` and `peers`, with links relative to the output directory
/// (`link_base` leads from it to `criterion_dir`); `handoff` and `written` are left empty.
pub(super) fn summarize(
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
    let floor_note = floor_note(&fixtures);

    Summary {
        header: header(criterion_dir, opts, python),
        headline,
        floor_note,
        fixtures,
        other,
        handoff: Vec::new(),
        interleaved: Vec::new(),
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
            group_link: None,
            rows: vec![Row {
                decoder: "floor".to_string(),
                kind: RowKind::Floor,
                median_ns: Some(floor_ns),
                gb_per_s: None,
                vs_floor: None,
                vs_lut: None,
                spread: None,
                link: None,
                check: Check::ByTests,
                rgba_out: true,
                note: None,
            }],
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
        for name in ["zune/a b?c", "image_into", "memcpy", "lut_mt_into_into", ""] {
            assert_eq!(rust_kind(name), RowKind::RustOther, "{name}");
        }
    }
}
