//! The `index.html` rendering: one self-contained page, inline CSS and SVG bar charts.

use std::fmt::Write as _;

use super::agreement::summary_line;
use super::handoff;
use super::python::{FROM_PYTHON_INTRO, TARGETS_INTRO};
use super::target::targets_html;
use super::text::{
    check_text, fmt_gbps, fmt_ns, fmt_ratio, header_lines, interleaved_cell, opt, python_env_text,
    AGREEMENT_INTRO, CRITERION_PAGES, HANDOFF_INTRO, HOW_TO_READ, INTERLEAVED_INTRO,
};
use super::{layouts, threads};
use super::{Check, FixtureTable, Row, RowKind, Summary, FROM_PYTHON_SETUP, SEED_FIXTURE};

/// `s` escaped for HTML text and attribute values.
pub(super) fn esc(s: &str) -> String {
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
        RowKind::Conversion | RowKind::PythonConversion => "conv",
        RowKind::Floor | RowKind::WriteFloor => "floor",
        RowKind::RustOther => "rust",
        RowKind::Python => "py",
        RowKind::PythonAnchor => "anchor",
    }
}

const CSS: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1340px;padding:0 1em;color:#1d1d1f;background:#fff}
h1{font-size:1.6em;margin-bottom:.3em}h2{font-size:1.25em;margin:1.8em 0 .4em;border-bottom:1px solid #ddd;padding-bottom:.2em}
dl.env{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;margin:0 0 1em}dl.env dt{font-weight:600;color:#555}dl.env dd{margin:0}
.headline{font-size:1.1em;background:#eef6ee;border-left:4px solid #2e7d32;padding:.6em .9em;margin:1em 0}
.howto{color:#555;font-size:.9em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em;font-size:.92em}
th,td{padding:.3em .6em;border-bottom:1px solid #e6e6e6;text-align:left;vertical-align:top}
th{background:#f6f6f6;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.note{color:#666;font-size:.9em}code{font-size:.92em;background:#f3f3f3;padding:0 .2em;border-radius:3px}td.c{white-space:nowrap}tr.err td{color:#a00}
.tag{display:inline-block;padding:0 .45em;border-radius:.7em;font-size:.85em;white-space:nowrap}
.tag.ours{background:#d7ecff}.tag.crate{background:#e8e0f8}.tag.conv{background:#e0f2e9}.tag.floor{background:#e5e5e5}.tag.rust{background:#d7ecff}.tag.py{background:#fff0c2}.tag.anchor{background:#ffd6d1}
.ok{color:#2e7d32}.bad{color:#b00020;font-weight:600}
svg .ours{fill:#1e73be}svg .crate{fill:#7b5cc4}svg .conv{fill:#4caf80}svg .floor{fill:#9e9e9e}svg .rust{fill:#1e73be}svg .py{fill:#e0a100}svg .anchor{fill:#d84315}
svg text{font:12px system-ui,sans-serif;fill:#222}svg text.v{fill:#444}
.legend span{margin-right:1em;font-size:.85em}.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-1px;border-radius:2px}
.legend i.ours,.legend i.rust{background:#1e73be}.legend i.crate{background:#7b5cc4}.legend i.conv{background:#4caf80}.legend i.floor{background:#9e9e9e}.legend i.py{background:#e0a100}.legend i.anchor{background:#d84315}.legend i.notrgba{background:#e0a100;opacity:.4}
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

/// `s` escaped for HTML, with its `code` spans (backticks, as in the Markdown wording
/// shared with `summary.md`) turned into `<code>` elements: no raw Markdown in the page.
pub(super) fn prose(s: &str) -> String {
    let mut o = String::new();
    for (i, part) in esc(s).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(o, "<code>{part}</code>");
        } else {
            o.push_str(part);
        }
    }
    o
}

fn check_cell(c: &Check) -> String {
    match c {
        Check::AgreesWithPillow => format!("<span class=\"ok\">{}</span>", esc(&check_text(c))),
        Check::DiffersFromPillow { .. } => {
            format!("<span class=\"bad\">{}</span>", esc(&check_text(c)))
        }
        c => esc(&check_text(c)),
    }
}

fn fixture_table(o: &mut String, t: &FixtureTable) {
    let _ = write!(o, "<h2 id=\"fx-{0}\">{0}", esc(&t.fixture));
    if let Some((w, h)) = t.dims {
        let _ = write!(o, " <small>({w}×{h})</small>");
    }
    o.push_str("</h2>\n");
    if let Some(n) = t.rgba_bytes {
        let _ = writeln!(o, "<p class=\"howto\">RGBA output: {n} bytes.</p>");
    }
    o.push_str(&bar_chart(t));
    o.push_str("\n<table><thead><tr><th>decoder</th><th>source</th><th class=\"n\">median</th><th class=\"n\">GB/s</th><th class=\"n\">× memcpy</th><th class=\"n\">× write</th><th class=\"n\">× lut</th><th class=\"n\">interleaved × memcpy<br>in turn / repeated / settled</th><th>pixels</th><th>spread / note</th></tr></thead><tbody>\n");
    for r in &t.rows {
        let mut note: Vec<String> = Vec::new();
        if let Some(e) = &r.error {
            note.push(format!("error: {}", esc(e)));
        }
        if let Some(sp) = &r.spread {
            note.push(esc(sp));
        }
        if let Some(n) = &r.note {
            note.push(prose(n));
        }
        let _ = writeln!(
            o,
            "<tr{}><td>{}</td><td><span class=\"tag {}\">{}</span></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"c\">{}</td><td class=\"note\">{}</td></tr>",
            if r.error.is_some() { " class=\"err\"" } else { "" },
            esc(&r.decoder),
            kind_class(r.kind),
            r.kind.label(),
            opt(r.median_ns, fmt_ns),
            opt(r.gb_per_s, fmt_gbps),
            opt(r.vs_floor, fmt_ratio),
            opt(r.vs_fill, fmt_ratio),
            opt(r.vs_lut, fmt_ratio),
            interleaved_cell(r.interleaved),
            check_cell(&r.check),
            note.join(" · "),
        );
    }
    o.push_str("</tbody></table>\n");
}

fn agreement_section(o: &mut String, s: &Summary) {
    let _ = writeln!(
        o,
        "<h2 id=\"agreement\">Do the figures agree?</h2>\n<p>{}</p>\n<p>{}</p>",
        prose(AGREEMENT_INTRO),
        prose(&summary_line(&s.agreement))
    );
    let seed: Vec<_> = s
        .agreement
        .iter()
        .filter(|a| a.fixture == SEED_FIXTURE)
        .collect();
    if seed.is_empty() {
        return;
    }
    let _ = writeln!(o, "<p>The seed frame, call by call:</p>");
    o.push_str("<table><thead><tr><th>call</th><th class=\"n\">criterion</th><th class=\"n\">bare call</th><th class=\"n\">× memcpy: criterion / in turn / repeated / settled</th><th>verdict</th></tr></thead><tbody>\n");
    for a in seed {
        let xs = a.floor_ratios();
        let _ = writeln!(
            o,
            "<tr{}><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{xs}</td><td class=\"note\">{}</td></tr>",
            if a.failed() { " class=\"err\"" } else { "" },
            esc(&a.decoder),
            fmt_ns(a.criterion_ns),
            opt(a.bare_ns, fmt_ns),
            esc(&a.verdict()),
        );
    }
    o.push_str("</tbody></table>\n");
}

fn from_python_section(o: &mut String, s: &Summary) {
    o.push_str("<h2 id=\"from-python\">From Python</h2>\n");
    let Some(fp) = &s.from_python else {
        let _ = writeln!(
            o,
            "<p>Not measured in this run: <code>{}</code>.</p>",
            esc(FROM_PYTHON_SETUP)
        );
        return;
    };
    let _ = writeln!(
        o,
        "<p class=\"howto\">{}</p>\n<p class=\"howto\">{}.</p>",
        prose(FROM_PYTHON_INTRO),
        esc(&python_env_text(&fp.env, &s.header.cpu))
    );
    o.push_str("<table><thead><tr>");
    for (i, h) in fp.header().iter().enumerate() {
        let class = if i == 0 { "" } else { " class=\"n\"" };
        let _ = write!(o, "<th{class}>{}</th>", prose(h));
    }
    o.push_str("</tr></thead><tbody>\n");
    for t in &fp.fixtures {
        o.push_str("<tr>");
        for (i, c) in fp.cells(t).iter().enumerate() {
            let class = if i == 0 { "" } else { " class=\"n\"" };
            let _ = write!(o, "<td{class}>{}</td>", esc(c));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table>\n");
    if fp.targets.is_empty() {
        o.push_str("<p>No seed-frame targets: the file has no seed frame timings.</p>\n");
        return;
    }
    let _ = writeln!(o, "<p>{}</p>", prose(TARGETS_INTRO));
    o.push_str(&targets_html("target (seed frame)", &fp.targets));
}

/// The `index.html` text: one self-contained page, inline CSS and SVG, no scripts, links
/// only to its own anchors and to `summary.md` beside it.
pub fn render_html(s: &Summary) -> String {
    let mut o = String::new();
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>shmbmp benchmark report</title><style>");
    o.push_str(CSS);
    o.push_str("</style></head><body>\n<h1>shmbmp benchmark report</h1>\n<dl class=\"env\">");
    for (k, v) in header_lines(&s.header) {
        let _ = write!(o, "<dt>{}</dt><dd>{}</dd>", esc(&k), prose(&v));
    }
    o.push_str("</dl>\n");
    if let Some(h) = &s.headline {
        let _ = writeln!(o, "<p class=\"headline\">{}</p>", prose(h));
    }
    if let Some(n) = &s.floor_note {
        let _ = writeln!(o, "<p class=\"howto\">{}</p>", esc(n));
    }
    let _ = writeln!(o, "<p class=\"howto\">{}</p>", prose(HOW_TO_READ));
    if !s.interleaved.is_empty() {
        let _ = writeln!(o, "<p class=\"howto\">{}</p>", prose(INTERLEAVED_INTRO));
    }
    let _ = writeln!(
        o,
        "<p class=\"howto\">{} The same tables as Markdown: <a href=\"summary.md\">summary.md</a>.</p>",
        prose(CRITERION_PAGES)
    );
    o.push_str("<p class=\"legend\">");
    for (class, label) in [
        ("ours", "shmbmp (Rust)"),
        ("crate", "Rust crates, their own output"),
        ("conv", "conversions to RGBA"),
        ("floor", "floors"),
        ("py", "Python peers"),
        ("anchor", "pure-Python loop"),
        (
            "notrgba",
            "stops before RGBA (its conversion is its own row)",
        ),
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
        if !s.agreement.is_empty() {
            o.push_str(" · <a href=\"#agreement\">do the figures agree?</a>");
        }
        o.push_str(" · <a href=\"#from-python\">from Python</a>");
        if !s.handoff.is_empty() {
            o.push_str(" · <a href=\"#handoff\">shared-memory handoff</a>");
        }
        o.push_str(" · <a href=\"#threads\">threads</a>");
        o.push_str(" · <a href=\"#layouts\">pixel layouts</a>");
        if !s.other.is_empty() {
            o.push_str(" · <a href=\"#other\">other benchmarks</a>");
        }
        o.push_str("</p>\n");
    }
    for t in &s.fixtures {
        fixture_table(&mut o, t);
    }
    if !s.agreement.is_empty() {
        agreement_section(&mut o, s);
    }
    from_python_section(&mut o, s);
    if !s.handoff.is_empty() {
        let intro = HANDOFF_INTRO.trim_start_matches("## Shared-memory handoff\n\n");
        o.push_str("<h2 id=\"handoff\">Shared-memory handoff</h2>\n<p>");
        o.push_str(&prose(intro));
        if let Some(n) = &s.handoff_note {
            let _ = write!(o, "</p>\n<p class=\"bad\">{}", prose(n));
        }
        o.push_str("</p>\n<table><thead><tr>");
        for (i, h) in handoff::HEADER.iter().enumerate() {
            let class = if i == 0 { "" } else { " class=\"n\"" };
            let _ = write!(o, "<th{class}>{}</th>", esc(h));
        }
        o.push_str("</tr></thead><tbody>\n");
        for r in &s.handoff {
            o.push_str("<tr>");
            for (i, c) in handoff::cells(r).iter().enumerate() {
                let class = if i == 0 { "" } else { " class=\"n\"" };
                let _ = write!(o, "<td{class}>{}</td>", esc(c));
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody></table>\n");
        let targets = handoff::targets(&s.handoff, s.handoff_yardstick.as_ref());
        if !targets.is_empty() {
            o.push_str(&targets_html(
                "target (shared memory, seed frame)",
                &targets,
            ));
        }
        if let Some(r) = handoff::reading(s.handoff_yardstick.as_ref()) {
            let _ = writeln!(o, "<p>{}</p>", prose(&r));
        }
    }
    o.push_str(&threads::html(s.threads.as_ref()));
    o.push_str(&layouts::html(s.layouts.as_deref()));
    if !s.other.is_empty() {
        o.push_str("<h2 id=\"other\">Other benchmarks</h2>\n<table><thead><tr><th>group</th><th>benchmark</th><th class=\"n\">median</th><th class=\"n\">GB/s</th></tr></thead><tbody>\n");
        for r in &s.other {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&r.group),
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
