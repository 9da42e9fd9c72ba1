//! Pixel layouts (issue 18): ours into BGRA, RGB and BGR against our RGBA decode of the same
//! fixture at the same kernel level, and against the fastest peer that produces the same
//! layout on the seed frame, from the interleaved runs `benches/cold.rs` leaves in
//! `target/layouts.json` ([`LayoutRun`]).

use std::fmt::Write as _;

use super::html::prose;
use super::markdown::md_cell;
use super::target::{targets_html, targets_md, Target, Unit};
use super::text::{fmt_ns, fmt_ratio};
use super::SEED_FIXTURE;
use crate::format::PixelLayout;
use crate::timing::layouts::LayoutRun;

/// A layout's decode ÷ the same decoder's RGBA decode, at most (issue 18: a layout costs
/// nothing extra).
pub const LAYOUT_LIMIT: f64 = 1.2;

/// Where `benches/cold.rs` leaves the runs, under the target folder.
pub const LAYOUTS_JSON: &str = "layouts.json";

/// The layouts beside RGBA, in the table's order.
const OTHERS: [PixelLayout; 3] = [PixelLayout::Bgra, PixelLayout::Rgb, PixelLayout::Bgr];

/// Ours ÷ the fastest peer in the same layout on the seed frame, at most, on the kernel level
/// `kernels` (issue 18: ≤ 0.3× on AVX-512 VBMI, ≤ 0.7× on AVX2-only and others).
pub fn peer_limit(kernels: &str) -> f64 {
    if kernels == crate::Kernels::Avx512Vbmi.name() {
        0.3
    } else {
        0.7
    }
}

/// One cell: a layout ÷ RGBA at one level, in turn and settled.
fn cell(run: &LayoutRun, decoder: &str, layout: PixelLayout) -> String {
    run.vs_rgba(decoder, layout).map_or("—".into(), |(t, s)| {
        format!("{} / {}", fmt_ratio(t), fmt_ratio(s))
    })
}

/// Every (fixture, decoder, layout) ratio to RGBA: in turn, settled.
fn ratios(runs: &[LayoutRun]) -> Vec<(&str, &str, PixelLayout, (f64, f64))> {
    let mut v = Vec::new();
    for run in runs {
        for d in run.our_decoders() {
            for l in OTHERS {
                if let Some(r) = run.vs_rgba(d, l) {
                    v.push((run.name.as_str(), d, l, r));
                }
            }
        }
    }
    v
}

/// The seed frame's comparisons with peers: per layout a peer's own call produces, ours
/// (`lut`), the fastest such peer, and the ratio.
fn seed_peers(runs: &[LayoutRun]) -> Vec<(PixelLayout, f64, String, f64)> {
    let Some(seed) = runs.iter().find(|r| r.name == SEED_FIXTURE) else {
        return Vec::new();
    };
    PixelLayout::ALL
        .iter()
        .filter_map(|&l| {
            let ours = seed.ours("lut", l)?;
            let (peer, t) = seed.fastest_peer(l)?;
            Some((l, ours.turn_ns, peer.to_string(), t.turn_ns))
        })
        .collect()
}

/// Issue 18's targets, each from the run that measured it: every layout within
/// [`LAYOUT_LIMIT`] of RGBA (in turn, and settled), the worst shown; on the seed frame, ours
/// against the fastest Rust peer in each layout one of them produces.
pub fn targets(runs: &[LayoutRun]) -> Vec<Target> {
    let all = ratios(runs);
    let mut v = Vec::new();
    for (which, pick) in [
        ("in turn", (|r: (f64, f64)| r.0) as fn((f64, f64)) -> f64),
        ("settled", |r: (f64, f64)| r.1),
    ] {
        let within = all.iter().filter(|x| pick(x.3) <= LAYOUT_LIMIT).count();
        if let Some((f, d, l, r)) = all.iter().max_by(|a, b| pick(a.3).total_cmp(&pick(b.3))) {
            v.push(Target {
                what: format!(
                    "every fixture × kernel level × layout, {which}: ours into the layout ÷ the same decoder into RGBA; the worst"
                ),
                detail: format!("{d} into {l} on {f}; {within} of {} within", all.len()),
                ratio: pick(*r),
                limit: LAYOUT_LIMIT,
                unit: Unit::Times,
            });
        }
    }
    let kernels = runs.first().map_or("", |r| r.kernels.as_str());
    for (l, ours, peer, theirs) in seed_peers(runs) {
        v.push(Target {
            what: format!(
                "seed frame, {l}, one thread, in turn: `lut` ÷ the fastest Rust peer whose own call gives {l}"
            ),
            detail: format!("{} ÷ {peer} {}", fmt_ns(ours), fmt_ns(theirs)),
            ratio: ours / theirs,
            limit: peer_limit(kernels),
            unit: Unit::Times,
        });
    }
    v
}

/// What the tables measure.
pub(super) const LAYOUTS_INTRO: &str = "`benches/cold.rs` times ours into each layout beside our RGBA decode (`lut` on the level it picks and on each level below, into a reused buffer), on every benchmark fixture, and on the seed frame the Rust peers by their call nearest each layout, all interleaved round by round (the CLI's `shmbmp bench FILE --layout RGBA,BGRA,RGB,BGR`). Each cell: the layout's median ÷ the same decoder's RGBA median, in turn / settled. Python's BGR (cv2, Wuffs) is in the From Python table.";

/// What to run where the runs are missing.
pub(super) const LAYOUTS_MISSING: &str =
    "Not measured in this run: `cargo bench --bench cold` writes target/layouts.json.";

/// The matrix's header cells.
fn header() -> Vec<String> {
    let mut h = vec!["fixture".to_string(), "decoder".to_string()];
    h.extend(OTHERS.iter().map(|l| format!("{l} ÷ RGBA")));
    h
}

/// The matrix's rows.
fn rows(runs: &[LayoutRun]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for run in runs {
        for d in run.our_decoders() {
            let mut r = vec![run.name.clone(), format!("`{d}`")];
            r.extend(OTHERS.iter().map(|&l| cell(run, d, l)));
            out.push(r);
        }
    }
    out
}

/// The seed frame's peer table: layout, ours, the fastest peer, the ratio.
fn peer_rows(runs: &[LayoutRun]) -> Vec<[String; 4]> {
    seed_peers(runs)
        .into_iter()
        .map(|(l, ours, peer, theirs)| {
            [
                l.to_string(),
                fmt_ns(ours),
                format!("`{peer}` {}", fmt_ns(theirs)),
                fmt_ratio(ours / theirs),
            ]
        })
        .collect()
}

const PEER_HEADER: [&str; 4] = [
    "layout (seed frame)",
    "`lut`, in turn",
    "fastest Rust peer, its own call",
    "ours ÷ peer",
];

/// The section in Markdown, for `summary.md`.
pub(super) fn markdown(runs: Option<&[LayoutRun]>) -> String {
    let mut o = String::from("## Pixel layouts\n\n");
    let Some(runs) = runs else {
        let _ = writeln!(o, "{LAYOUTS_MISSING}\n");
        return o;
    };
    let _ = writeln!(o, "{LAYOUTS_INTRO}\n");
    let h = header();
    let _ = writeln!(o, "| {} |", h.join(" | "));
    let _ = writeln!(o, "|---|---|{}", "--:|".repeat(h.len() - 2));
    for r in rows(runs) {
        let cells: Vec<String> = r.iter().map(|c| md_cell(c)).collect();
        let _ = writeln!(o, "| {} |", cells.join(" | "));
    }
    o.push('\n');
    let peers = peer_rows(runs);
    if !peers.is_empty() {
        let _ = writeln!(o, "| {} |\n|---|--:|--:|--:|", PEER_HEADER.join(" | "));
        for r in peers {
            let _ = writeln!(o, "| {} |", r.map(|c| md_cell(&c)).join(" | "));
        }
        o.push('\n');
    }
    o.push_str(&targets_md("target (layouts)", &targets(runs)));
    o
}

/// The section in HTML, for `index.html` (anchor `layouts`).
pub(super) fn html(runs: Option<&[LayoutRun]>) -> String {
    let mut o = String::from("<h2 id=\"layouts\">Pixel layouts</h2>\n");
    let Some(runs) = runs else {
        let _ = writeln!(o, "<p>{}</p>", prose(LAYOUTS_MISSING));
        return o;
    };
    let _ = writeln!(o, "<p class=\"howto\">{}</p>", prose(LAYOUTS_INTRO));
    let table = |o: &mut String, header: &[String], rows: &[Vec<String>]| {
        o.push_str("<table><thead><tr>");
        for (i, h) in header.iter().enumerate() {
            let class = if i < 2 { "" } else { " class=\"n\"" };
            let _ = write!(o, "<th{class}>{}</th>", prose(h));
        }
        o.push_str("</tr></thead><tbody>\n");
        for r in rows {
            o.push_str("<tr>");
            for (i, c) in r.iter().enumerate() {
                let class = if i < 2 { "" } else { " class=\"n\"" };
                let _ = write!(o, "<td{class}>{}</td>", prose(c));
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody></table>\n");
    };
    table(&mut o, &header(), &rows(runs));
    let peers: Vec<Vec<String>> = peer_rows(runs).into_iter().map(Vec::from).collect();
    if !peers.is_empty() {
        let h: Vec<String> = PEER_HEADER.iter().map(|s| s.to_string()).collect();
        table(&mut o, &h, &peers);
    }
    o.push_str(&targets_html("target (layouts)", &targets(runs)));
    o
}

/// The README's lines: the targets, with a link to the matrix.
pub(super) fn readme(runs: Option<&[LayoutRun]>) -> String {
    let Some(runs) = runs else {
        return format!("\n**Pixel layouts**: {LAYOUTS_MISSING}\n");
    };
    let mut o = String::from(
        "\n**Pixel layouts** (`benches/cold.rs`, interleaved: ours into each layout ÷ the same \
         decoder into RGBA, every fixture and kernel level; the seed frame against the Rust \
         peers; every cell: [reports/index.html](reports/index.html#layouts)):\n\n",
    );
    o.push_str(&targets_md("target (layouts)", &targets(runs)));
    o.truncate(o.trim_end().len());
    o.push('\n');
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::layouts::{LayoutJob, LayoutRow};
    use crate::timing::Medians;

    fn row(job: LayoutJob, layout: &str, turn: f64, settled: f64) -> LayoutRow {
        LayoutRow {
            what: format!("{job:?}"),
            layout: layout.into(),
            job,
            times: Some(Medians {
                turn_ns: turn,
                repeat_ns: turn,
                settled_ns: settled,
            }),
            error: None,
        }
    }

    fn seed() -> LayoutRun {
        let ours = |d: &str| LayoutJob::Ours(d.into());
        let call = |p: &str, native| LayoutJob::Call {
            peer: p.into(),
            native,
        };
        LayoutRun {
            name: SEED_FIXTURE.into(),
            width: 2,
            height: 2,
            rounds: 3,
            allocator: "test".into(),
            kernels: "avx2".into(),
            rows: vec![
                row(LayoutJob::Floor, "RGBA", 50.0, 40.0),
                row(ours("lut"), "RGBA", 100.0, 80.0),
                row(ours("lut"), "RGB", 105.0, 85.0),
                row(ours("lut"), "BGR", 110.0, 100.0),
                row(ours("lut_scalar"), "RGBA", 200.0, 200.0),
                row(ours("lut_scalar"), "RGB", 250.0, 210.0),
                row(call("image", true), "RGBA", 300.0, 300.0),
                row(call("image", true), "RGB", 350.0, 350.0),
                row(call("zune", true), "RGB", 400.0, 400.0),
                row(call("zune", false), "BGR", 100.0, 100.0),
                row(LayoutJob::Conversion("zune".into()), "BGR", 50.0, 50.0),
            ],
        }
    }

    #[test]
    fn targets_take_the_worst_layout_and_the_fastest_native_peer() {
        let t = targets(&[seed()]);
        assert_eq!(t.len(), 4, "{t:#?}");
        assert!((t[0].ratio - 1.25).abs() < 1e-9 && !t[0].met(), "{t:#?}");
        assert!(t[0]
            .detail
            .contains("lut_scalar into RGB on seed; 2 of 3 within"));
        assert!((t[1].ratio - 1.25).abs() < 1e-9, "settled: lut into BGR");
        assert!(t[1].detail.contains("lut into BGR"), "{}", t[1].detail);
        // RGBA: image 300; RGB: image 350 beats zune 400; BGR: no peer gives it natively.
        assert!((t[2].ratio - 100.0 / 300.0).abs() < 1e-9 && t[2].met());
        assert!(t[3].detail.contains("image 350 ns") && (t[3].ratio - 0.3).abs() < 1e-9);
        assert_eq!(t[3].limit, 0.7);
        assert_eq!(peer_limit("avx512vbmi"), 0.3);
        let md = markdown(Some(&[seed()]));
        assert!(
            md.contains("| seed | `lut` | — | 1.05× / 1.06× | 1.10× / 1.25× |"),
            "{md}"
        );
        assert!(
            md.contains("| RGB | 105 ns | `image` 350 ns | 0.30× |"),
            "{md}"
        );
        assert!(markdown(None).contains(LAYOUTS_MISSING));
        assert!(html(Some(&[seed()])).contains("id=\"layouts\""));
    }
}
