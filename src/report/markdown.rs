//! The `summary.md` rendering.

use std::fmt::Write as _;

use super::agreement::summary_line;
use super::handoff;
use super::python::{FROM_PYTHON_INTRO, TARGETS_INTRO};
use super::target::targets_md;
use super::text::{
    check_text, fmt_gbps, fmt_ns, fmt_ratio, header_lines, interleaved_cell, opt, python_env_text,
    AGREEMENT_INTRO, CRITERION_PAGES, HANDOFF_INTRO, HOW_TO_READ, INTERLEAVED_INTRO,
};
use super::{layouts, threads};
use super::{FromPython, Summary, FROM_PYTHON_SETUP, SEED_FIXTURE};

pub(super) fn md_cell(s: &str) -> String {
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
    if !s.interleaved.is_empty() {
        let _ = writeln!(o, "{INTERLEAVED_INTRO}\n");
    }
    let _ = writeln!(o, "{CRITERION_PAGES}\n");
    for t in &s.fixtures {
        let _ = write!(o, "## {}", t.fixture);
        if let Some((w, h)) = t.dims {
            let _ = write!(o, " ({w}×{h})");
        }
        o.push_str("\n\n");
        if let Some(n) = t.rgba_bytes {
            let _ = writeln!(o, "RGBA output: {n} bytes.\n");
        }
        o.push_str("| decoder | source | median | GB/s | × memcpy | × write | × lut | interleaved × memcpy, in turn / repeated / settled | pixels | spread / note |\n");
        o.push_str("|---|---|--:|--:|--:|--:|--:|--:|---|---|\n");
        for r in &t.rows {
            let median = match (&r.median_ns, &r.error) {
                (Some(m), _) => fmt_ns(*m),
                (None, Some(e)) => format!("error: {}", md_cell(e)),
                (None, None) => "—".to_string(),
            };
            let note: Vec<&str> = [r.spread.as_deref(), r.note.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            let _ = writeln!(
                o,
                "| {} | {} | {median} | {} | {} | {} | {} | {} | {} | {} |",
                md_cell(&r.decoder),
                r.kind.label(),
                opt(r.gb_per_s, fmt_gbps),
                opt(r.vs_floor, fmt_ratio),
                opt(r.vs_fill, fmt_ratio),
                opt(r.vs_lut, fmt_ratio),
                interleaved_cell(r.interleaved),
                check_text(&r.check),
                md_cell(&note.join(" · ")),
            );
        }
        o.push('\n');
    }
    if !s.agreement.is_empty() {
        let _ = writeln!(
            o,
            "## Do the figures agree?\n\n{AGREEMENT_INTRO}\n\n{}\n",
            summary_line(&s.agreement)
        );
        let seed: Vec<_> = s
            .agreement
            .iter()
            .filter(|a| a.fixture == SEED_FIXTURE)
            .collect();
        if !seed.is_empty() {
            o.push_str("| call (seed frame) | criterion | bare call | × memcpy: criterion / in turn / repeated / settled | verdict |\n|---|--:|--:|--:|---|\n");
            for a in seed {
                let xs = a.floor_ratios();
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {xs} | {} |",
                    md_cell(&a.decoder),
                    fmt_ns(a.criterion_ns),
                    opt(a.bare_ns, fmt_ns),
                    md_cell(&a.verdict()),
                );
            }
            o.push('\n');
        }
    }
    o.push_str("## From Python\n\n");
    o.push_str(&from_python(s.from_python.as_ref(), &s.header.cpu, false));
    if !s.handoff.is_empty() {
        o.push_str(HANDOFF_INTRO);
        if let Some(n) = &s.handoff_note {
            let _ = write!(o, "\n\n**{n}**");
        }
        let _ = writeln!(o, "\n\n| {} |", handoff::HEADER.join(" | "));
        let _ = writeln!(o, "|---|{}", "--:|".repeat(handoff::HEADER.len() - 1));
        for r in &s.handoff {
            let cells = handoff::cells(r).map(|c| md_cell(&c));
            let _ = writeln!(o, "| {} |", cells.join(" | "));
        }
        o.push('\n');
        let targets = handoff::targets(&s.handoff, s.handoff_yardstick.as_ref());
        if !targets.is_empty() {
            o.push_str(&targets_md("target (shared memory, seed frame)", &targets));
        }
        if let Some(r) = handoff::reading(s.handoff_yardstick.as_ref()) {
            let _ = writeln!(o, "{r}\n");
        }
    }
    o.push_str(&threads::markdown(s.threads.as_ref()));
    o.push_str(&layouts::markdown(s.layouts.as_deref()));
    if !s.other.is_empty() {
        o.push_str(
            "## Other benchmarks\n\n| group | benchmark | median | GB/s |\n|---|---|--:|--:|\n",
        );
        for r in &s.other {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                md_cell(&r.group),
                md_cell(&r.bench),
                fmt_ns(r.median_ns),
                opt(r.throughput_bytes.map(|b| b as f64 / r.median_ns), fmt_gbps),
            );
        }
        o.push('\n');
    }
    o
}

/// The "From Python" section's body in Markdown: its environment, the table (every fixture,
/// or the seed frame alone with `seed_only`) and the seed frame's targets; or how to measure
/// it when it was not. `cpu` is the report's, named again only where Python's differs.
pub(super) fn from_python(fp: Option<&FromPython>, cpu: &str, seed_only: bool) -> String {
    let Some(fp) = fp else {
        return format!("Not measured in this run: `{FROM_PYTHON_SETUP}`.\n\n");
    };
    let mut o = String::new();
    let _ = writeln!(o, "{FROM_PYTHON_INTRO}\n");
    let _ = writeln!(o, "{}.\n", python_env_text(&fp.env, cpu));
    let header = fp.header();
    let _ = writeln!(o, "| {} |", header.join(" | "));
    let _ = writeln!(o, "|---|{}", "--:|".repeat(header.len() - 1));
    for t in fp
        .fixtures
        .iter()
        .filter(|t| !seed_only || t.fixture == SEED_FIXTURE)
    {
        let cells: Vec<String> = fp.cells(t).iter().map(|c| md_cell(c)).collect();
        let _ = writeln!(o, "| {} |", cells.join(" | "));
    }
    o.push('\n');
    if fp.targets.is_empty() {
        o.push_str("No seed-frame targets: the file has no seed frame timings.\n\n");
        return o;
    }
    let _ = writeln!(o, "{TARGETS_INTRO}\n");
    o.push_str(&targets_md("target (seed frame)", &fp.targets));
    o
}
