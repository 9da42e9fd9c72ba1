//! The `summary.md` rendering.

use std::fmt::Write as _;

use super::text::{
    check_text, fmt_gbps, fmt_ns, fmt_ratio, header_lines, interleaved_cells, opt, HANDOFF_INTRO,
    HOW_TO_READ, INTERLEAVED_INTRO,
};
use super::Summary;

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
    if let Some(n) = &s.floor_note {
        let _ = writeln!(o, "{n}\n");
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
    if !s.interleaved.is_empty() {
        let (header, rows) = interleaved_cells(&s.interleaved);
        let _ = writeln!(
            o,
            "## Interleaved ratios to the floor\n\n{INTERLEAVED_INTRO}\n"
        );
        let _ = writeln!(o, "| {} |", header.join(" | "));
        let _ = writeln!(o, "|---|{}", "--:|".repeat(header.len() - 1));
        for row in rows {
            let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
            let _ = writeln!(o, "| {} |", cells.join(" | "));
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
