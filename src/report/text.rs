//! Number formats and wording shared by the Markdown and HTML renderings.

use std::fmt::Write as _;

use super::{Check, Header, PEERS_SETUP};

/// What the handoff table measures.
pub(super) const HANDOFF_INTRO: &str = "## Shared-memory handoff\n\nA `shmbmp write` process publishes the 1600×1200 8-bit seed frame into a 3-slot framed region; this process takes each newest frame out whole (seqlock-validated copy) and decodes it with `lut` into reused buffers. Latency runs from the writer's `written_ns` to the end of the decode. Compare with the in-process `shm/seed` and `decode/seed` rows.";

/// What the interleaved table measures.
pub(super) const INTERLEAVED_INTRO: &str = "The same run, measured a second way: for each fixture the floor and every decoder's `decode_into` run round by round, one of each per round, and each cell is that decoder's median ÷ the floor's median. Host drift slows every column of a row alike, so these ratios hold where the criterion tables above, measured one benchmark after another, can move with the machine. Caches are colder here than in criterion's tight loops (each job runs after the others), which favours decoders that read less than the floor: its memcpy reads the whole output size, an 8-bit decode a quarter of it. Multi-threaded decoders also pay their thread start-up on cold caches here.";

/// The interleaved table as a header and rows of cells: fixture, floor, then one
/// `× floor` column per decoder (in the first fixture's order), `—` where a decoder failed.
pub(super) fn interleaved_cells(
    runs: &[crate::timing::Interleaved],
) -> (Vec<String>, Vec<Vec<String>>) {
    let decoders: Vec<&str> = runs
        .first()
        .map(|r| r.decoders.iter().map(|d| d.decoder.as_str()).collect())
        .unwrap_or_default();
    let mut header = vec!["fixture".to_string(), "floor".to_string()];
    header.extend(decoders.iter().map(|d| format!("{d} × floor")));
    let rows = runs
        .iter()
        .map(|r| {
            let mut row = vec![
                format!("{} ({}×{}, {} rounds)", r.name, r.width, r.height, r.rounds),
                fmt_ns(r.floor_ns),
            ];
            row.extend(decoders.iter().map(|d| {
                r.median_ns(d)
                    .map_or_else(|| "—".to_string(), |m| fmt_ratio(m / r.floor_ns))
            }));
            row
        })
        .collect();
    (header, rows)
}

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

/// `x` as a ratio: `4.00×`.
pub(super) fn fmt_ratio(x: f64) -> String {
    format!("{}×", sig3(x))
}

/// A time ratio `x` (theirs ÷ ours) as `N× faster` or `N× slower`.
pub(super) fn fmt_speedup(x: f64) -> String {
    if x >= 1.0 {
        format!("{} faster", fmt_ratio(x))
    } else {
        format!("{} slower", fmt_ratio(1.0 / x))
    }
}

/// GB/s, with more decimals for small values.
pub(super) fn fmt_gbps(x: f64) -> String {
    if x >= 0.1 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

/// The pixel check as a table cell.
pub(super) fn check_text(c: &Check) -> String {
    match c {
        Check::ByTests => "by tests".to_string(),
        Check::AgreesWithPillow => "= Pillow".to_string(),
        Check::DiffersFromPillow { max_delta: Some(d) } => format!("≠ Pillow (max Δ {d})"),
        Check::DiffersFromPillow { max_delta: None } => "≠ Pillow (shape)".to_string(),
        Check::Unknown => "unknown".to_string(),
    }
}

/// `f(x)`, or a dash when there is no value.
pub(super) fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map(f).unwrap_or_else(|| "—".to_string())
}

/// The environment as (label, text) lines, for the top of both files.
pub(super) fn header_lines(h: &Header) -> Vec<(String, String)> {
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
        ("lut kernels".to_string(), h.kernels.clone()),
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

/// How to read the fixture tables.
pub(super) const HOW_TO_READ: &str = "Median time of one decode from the BMP bytes in memory to RGBA8 (Rust: criterion's median estimate; Python: median of time.perf_counter_ns runs, one thread). GB/s = RGBA output bytes ÷ median time. × floor and × lut = this row's time ÷ that row's time in the same fixture (below 1 is faster). Rows are sorted fastest first.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_three_significant_figures() {
        assert_eq!(fmt_ns(97.57), "97.6 ns");
        assert_eq!(fmt_ns(1_234.0), "1.23 µs");
        assert_eq!(fmt_ns(745_154_000.0), "745 ms");
        assert_eq!(fmt_ns(2.5e9), "2.50 s");
    }
}
