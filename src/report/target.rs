//! A target an issue set, measured: what is compared, the figures, the ratio and the verdict;
//! and the one table both renderings give a list of them in.

use std::fmt::Write as _;

use super::html::{esc, prose};
use super::markdown::md_cell;
use super::text::fmt_ratio;

/// What a target's figure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A ratio of two times (`1.10×`).
    Times,
    /// A share of one core's time (`0.2 %`).
    Percent,
}

/// One target, measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// What is divided by what, in words (Markdown code spans).
    pub what: String,
    /// The figures it comes from, in words.
    pub detail: String,
    /// The measured figure.
    pub ratio: f64,
    /// The most it may be.
    pub limit: f64,
    /// What the figure is.
    pub unit: Unit,
}

impl Target {
    /// Whether the figure is within its limit.
    pub fn met(&self) -> bool {
        self.ratio <= self.limit
    }

    /// The figure in its unit.
    pub fn figure(&self) -> String {
        fmt_value(self.ratio, self.unit)
    }

    /// `met (target ≤ 1.30×)` or `NOT met (target ≤ 0.20×)`.
    pub fn verdict(&self) -> String {
        let limit = fmt_value(self.limit, self.unit);
        if self.met() {
            format!("met (target ≤ {limit})")
        } else {
            format!("NOT met (target ≤ {limit})")
        }
    }
}

fn fmt_value(x: f64, unit: Unit) -> String {
    match unit {
        Unit::Times => fmt_ratio(x),
        Unit::Percent => format!("{x:.1} %"),
    }
}

/// The targets as a Markdown table whose first column is headed `first`.
pub(super) fn targets_md(first: &str, targets: &[Target]) -> String {
    let mut o = format!("| {first} | figures | measured | verdict |\n|---|--:|--:|---|\n");
    for t in targets {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            md_cell(&t.what),
            md_cell(&t.detail),
            t.figure(),
            t.verdict()
        );
    }
    o.push('\n');
    o
}

/// The same as an HTML table.
pub(super) fn targets_html(first: &str, targets: &[Target]) -> String {
    let mut o = format!("<table><thead><tr><th>{}</th><th class=\"n\">figures</th><th class=\"n\">measured</th><th>verdict</th></tr></thead><tbody>\n", esc(first));
    for t in targets {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"{}\">{}</td></tr>",
            prose(&t.what),
            prose(&t.detail),
            t.figure(),
            if t.met() { "ok" } else { "bad" },
            esc(&t.verdict()),
        );
    }
    o.push_str("</tbody></table>\n");
    o
}
