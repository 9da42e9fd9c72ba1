//! Threads that pay (issue 17): `lut` and `lut_mt` timed call by call on every 1600×1200
//! benchmark fixture by `benches/cold.rs`, their tails (p50, p99, max) and the two
//! thread targets judged from the same run.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::html::{esc, prose};
use super::markdown::md_cell;
use super::target::{targets_html, targets_md, Target, Unit};
use super::text::{fmt_ns, fmt_ratio};
use super::{read_json, ReportError, SEED_FIXTURE};
use crate::timing::percentile;

/// `lut_mt` ÷ `lut` at p50 on the seed frame, at most (issue 17, with 2 idle cores).
pub const SEED_LIMIT: f64 = 0.6;

/// The least allowance for "not slower than `lut` beyond noise": `lut_mt`'s p50 may be this
/// many times `lut`'s, or more where `lut`'s own two halves land further apart
/// ([`ThreadsFixture::noise_limit`]).
pub const NOISE_FLOOR: f64 = 1.05;

/// Where `benches/cold.rs` leaves the run, under the target folder.
pub const THREADS_JSON: &str = "threads.json";

/// One decoder's single calls on one fixture: how they spread, nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tail {
    /// Calls timed.
    pub calls: usize,
    /// Median.
    pub p50_ns: f64,
    /// 99th percentile.
    pub p99_ns: f64,
    /// The slowest call.
    pub max_ns: f64,
}

impl Tail {
    /// The tail of `times` (any order), by [`percentile`]; NaN figures when empty.
    pub fn of(times: &[f64]) -> Tail {
        let mut sorted = times.to_vec();
        sorted.sort_by(f64::total_cmp);
        Tail {
            calls: sorted.len(),
            p50_ns: percentile(&sorted, 0.5),
            p99_ns: percentile(&sorted, 0.99),
            max_ns: percentile(&sorted, 1.0),
        }
    }

    fn times(&self) -> [f64; 3] {
        [self.p50_ns, self.p99_ns, self.max_ns]
    }
}

/// `lut` and `lut_mt` on one fixture, called alternately, each into a buffer of its own
/// reused from call to call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadsFixture {
    /// Fixture name ([`crate::encode::bench_fixtures`]).
    pub fixture: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `lut` (`Lut::AUTO`, one thread).
    pub lut: Tail,
    /// `lut_mt`.
    pub lut_mt: Tail,
    /// The medians of `lut`'s odd and of its even calls: the same decoder in two halves
    /// that saw the same machine, so their gap is this run's noise at p50.
    pub lut_halves_p50_ns: [f64; 2],
    /// The share of the machine's cores that other processes (and the hypervisor's steal)
    /// used while this fixture was timed, 0–1; `None` where it cannot be read.
    #[serde(default)]
    pub others_busy: Option<f64>,
}

impl ThreadsFixture {
    /// The row from each decoder's call times (`lut[i]` and `lut_mt[i]` timed one after
    /// the other).
    pub fn measured(
        fixture: &str,
        (width, height): (u32, u32),
        lut: &[f64],
        lut_mt: &[f64],
        others_busy: Option<f64>,
    ) -> ThreadsFixture {
        let half = |parity: usize| -> f64 {
            let h: Vec<f64> = lut.iter().skip(parity).step_by(2).copied().collect();
            Tail::of(&h).p50_ns
        };
        ThreadsFixture {
            fixture: fixture.to_string(),
            width,
            height,
            lut: Tail::of(lut),
            lut_mt: Tail::of(lut_mt),
            lut_halves_p50_ns: [half(0), half(1)],
            others_busy,
        }
    }

    /// `lut_mt` ÷ `lut` at p50.
    pub fn p50_ratio(&self) -> f64 {
        self.lut_mt.p50_ns / self.lut.p50_ns
    }

    /// `lut_mt` ÷ `lut` at p99.
    pub fn p99_ratio(&self) -> f64 {
        self.lut_mt.p99_ns / self.lut.p99_ns
    }

    /// The larger of `lut`'s two half medians ÷ the smaller.
    pub fn halves_gap(&self) -> f64 {
        let [a, b] = self.lut_halves_p50_ns;
        a.max(b) / a.min(b)
    }

    /// The most [`p50_ratio`](Self::p50_ratio) may be for `lut_mt` not to be slower than
    /// `lut` beyond noise: [`NOISE_FLOOR`], or `lut`'s own [`halves_gap`](Self::halves_gap)
    /// where that is larger.
    pub fn noise_limit(&self) -> f64 {
        NOISE_FLOOR.max(self.halves_gap())
    }

    /// Whether `lut_mt` is within noise of `lut` or faster.
    pub fn not_slower(&self) -> bool {
        self.p50_ratio() <= self.noise_limit()
    }
}

/// `target/threads.json`, written by `benches/cold.rs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadsRun {
    /// `cargo bench -- --quick`: fewer calls.
    pub quick: bool,
    /// The threads `lut_mt` may use on this machine.
    pub threads: usize,
    /// Every 1600×1200 benchmark fixture, in [`crate::encode::bench_fixtures`] order.
    pub fixtures: Vec<ThreadsFixture>,
}

impl ThreadsRun {
    /// The fixture called `name`.
    pub fn fixture(&self, name: &str) -> Option<&ThreadsFixture> {
        self.fixtures.iter().find(|f| f.fixture == name)
    }
}

/// The run as the report shows it: the file's contents and when it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadsReport {
    /// The file's contents.
    pub run: ThreadsRun,
    /// The day the file was written (UTC), when known: `benches/cold.rs` may have run
    /// apart from the rest of the report.
    pub written: Option<String>,
}

/// `benches/cold.rs`'s JSON at `path`, every time positive and at least one fixture.
pub(super) fn read_threads(path: &Path) -> Result<ThreadsReport, ReportError> {
    let run: ThreadsRun = read_json(path)?;
    let invalid = |what: String| ReportError::Invalid {
        path: path.to_path_buf(),
        what,
    };
    if run.fixtures.is_empty() {
        return Err(invalid(
            "no fixtures (benches/cold.rs did not finish?)".into(),
        ));
    }
    for f in &run.fixtures {
        let times = f.lut.times().into_iter().chain(f.lut_mt.times());
        if times
            .chain(f.lut_halves_p50_ns)
            .any(|x| !x.is_finite() || x <= 0.0)
        {
            return Err(invalid(format!("{}: a time is not positive", f.fixture)));
        }
    }
    let written = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map(super::environment::date_utc);
    Ok(ThreadsReport { run, written })
}

/// Issue 17's two thread targets, each where its fixtures were measured: on the seed frame
/// `lut_mt` ≤ 0.6× `lut`; on every fixture `lut_mt` not slower than `lut` beyond noise
/// (the fixture furthest past its limit, or nearest to it, is the one shown).
pub fn targets(run: &ThreadsRun) -> Vec<Target> {
    let mut v = Vec::new();
    if let Some(f) = run.fixture(SEED_FIXTURE) {
        v.push(Target {
            what: format!(
                "seed frame, hot: `lut_mt` ÷ `lut` at p50 (`lut_mt` on {} threads)",
                run.threads
            ),
            detail: format!(
                "{} ÷ {}{}",
                fmt_ns(f.lut_mt.p50_ns),
                fmt_ns(f.lut.p50_ns),
                f.others_busy.map_or(String::new(), |b| format!(
                    "; others' CPU meanwhile {:.0} %",
                    b * 100.0
                ))
            ),
            ratio: f.p50_ratio(),
            limit: SEED_LIMIT,
            unit: Unit::Times,
        });
    }
    let worst = run.fixtures.iter().max_by(|a, b| {
        (a.p50_ratio() / a.noise_limit()).total_cmp(&(b.p50_ratio() / b.noise_limit()))
    });
    if let Some(w) = worst {
        let within = run.fixtures.iter().filter(|f| f.not_slower()).count();
        v.push(Target {
            what: "every fixture, hot: `lut_mt` not slower than `lut` beyond noise (`lut_mt` ÷ `lut` at p50 within its noise limit); the fixture nearest its limit".into(),
            detail: format!(
                "{}: {} ÷ {}; {within} of {} fixtures within",
                w.fixture,
                fmt_ns(w.lut_mt.p50_ns),
                fmt_ns(w.lut.p50_ns),
                run.fixtures.len()
            ),
            ratio: w.p50_ratio(),
            limit: w.noise_limit(),
            unit: Unit::Times,
        });
    }
    v
}

/// The table's header cells, matching [`cells`].
pub(super) const HEADER: [&str; 12] = [
    "fixture",
    "`lut` p50",
    "`lut` p99",
    "`lut` max",
    "`lut_mt` p50",
    "`lut_mt` p99",
    "`lut_mt` max",
    "`lut_mt` ÷ `lut` p50",
    "`lut_mt` ÷ `lut` p99",
    "noise limit (`lut` halves)",
    "not slower?",
    "others' CPU",
];

/// One fixture's cells under [`HEADER`].
pub(super) fn cells(f: &ThreadsFixture) -> [String; 12] {
    [
        f.fixture.clone(),
        fmt_ns(f.lut.p50_ns),
        fmt_ns(f.lut.p99_ns),
        fmt_ns(f.lut.max_ns),
        fmt_ns(f.lut_mt.p50_ns),
        fmt_ns(f.lut_mt.p99_ns),
        fmt_ns(f.lut_mt.max_ns),
        fmt_ratio(f.p50_ratio()),
        fmt_ratio(f.p99_ratio()),
        format!(
            "{} ({})",
            fmt_ratio(f.noise_limit()),
            fmt_ratio(f.halves_gap())
        ),
        if f.not_slower() { "yes" } else { "NO" }.into(),
        f.others_busy
            .map_or("—".into(), |b| format!("{:.0} %", b * 100.0)),
    ]
}

/// What the table measures and the rule its verdicts follow.
pub(super) const THREADS_INTRO: &str = "`benches/cold.rs` times `lut` (`Lut::AUTO`, one thread) and `lut_mt` (the registry's multi-thread decoder) on every 1600×1200 benchmark fixture, hot: after a warm-up, single calls alternating `lut`, `lut_mt`, `lut`, … so that host drift hits both alike, each decoding into a buffer of its own reused from call to call; p50, p99 and max of each (nearest rank). Not slower beyond noise: `lut_mt`'s p50 is at most `lut`'s × the noise limit, which is 1.05× or, where larger, the gap between the medians of `lut`'s odd and even calls (the same decoder in two halves that saw the same machine; given in brackets). Others' CPU: the share of the machine's cores that other processes (and the hypervisor's steal) used while the fixture was timed, from `/proc/stat` less this process's own time; the issue's targets ask for idle cores.";

/// What to run where the table is missing.
pub(super) const THREADS_MISSING: &str = "Not measured in this run: `cargo bench --bench cold` writes target/threads.json (a run of the other benches alone leaves it out).";

/// The run in words (no full stop): how many calls, how many threads, when, how busy the
/// machine was.
fn reading(t: &ThreadsReport) -> String {
    let r = &t.run;
    let calls = r.fixtures.first().map_or(0, |f| f.lut.calls);
    let mut s = format!(
        "{calls} calls of each a fixture, `lut_mt` on up to {} threads{}",
        r.threads,
        if r.quick {
            " (`--quick`: fewer calls)"
        } else {
            ""
        }
    );
    if let Some(d) = &t.written {
        let _ = write!(s, "; written {d}");
    }
    let busy: Vec<f64> = r.fixtures.iter().filter_map(|f| f.others_busy).collect();
    if let (Some(lo), Some(hi)) = (
        busy.iter().copied().reduce(f64::min),
        busy.iter().copied().reduce(f64::max),
    ) {
        let _ = write!(
            s,
            "; other processes used {:.0}–{:.0} % of the machine's cores meanwhile",
            lo * 100.0,
            hi * 100.0
        );
    }
    s
}

/// The section in Markdown, for `summary.md`.
pub(super) fn markdown(t: Option<&ThreadsReport>) -> String {
    let mut o = String::from("## Threads: `lut_mt` against `lut`\n\n");
    let Some(t) = t else {
        let _ = writeln!(o, "{THREADS_MISSING}\n");
        return o;
    };
    let _ = writeln!(o, "{THREADS_INTRO}\n\n{}.\n", reading(t));
    let _ = writeln!(o, "| {} |", HEADER.join(" | "));
    let _ = writeln!(o, "|---|{}", "--:|".repeat(HEADER.len() - 1));
    for f in &t.run.fixtures {
        let _ = writeln!(o, "| {} |", cells(f).map(|c| md_cell(&c)).join(" | "));
    }
    o.push('\n');
    o.push_str(&targets_md("target (threads)", &targets(&t.run)));
    o
}

/// The section in HTML, for `index.html` (anchor `threads`).
pub(super) fn html(t: Option<&ThreadsReport>) -> String {
    let mut o = String::from(
        "<h2 id=\"threads\">Threads: <code>lut_mt</code> against <code>lut</code></h2>\n",
    );
    let Some(t) = t else {
        let _ = writeln!(o, "<p>{}</p>", prose(THREADS_MISSING));
        return o;
    };
    let _ = writeln!(
        o,
        "<p class=\"howto\">{}</p>\n<p>{}.</p>",
        prose(THREADS_INTRO),
        prose(&reading(t))
    );
    o.push_str("<table><thead><tr>");
    for (i, h) in HEADER.iter().enumerate() {
        let class = if i == 0 { "" } else { " class=\"n\"" };
        let _ = write!(o, "<th{class}>{}</th>", prose(h));
    }
    o.push_str("</tr></thead><tbody>\n");
    for f in &t.run.fixtures {
        o.push_str(if f.not_slower() {
            "<tr>"
        } else {
            "<tr class=\"err\">"
        });
        for (i, c) in cells(f).iter().enumerate() {
            let class = if i == 0 { "" } else { " class=\"n\"" };
            let _ = write!(o, "<td{class}>{}</td>", esc(c));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table>\n");
    o.push_str(&targets_html("target (threads)", &targets(&t.run)));
    o
}

/// The README's lines: the seed frame's tails and both targets.
pub(super) fn readme(t: Option<&ThreadsReport>) -> String {
    let Some(t) = t else {
        return format!("\n**Threads**: {THREADS_MISSING}\n");
    };
    let mut o = String::from("\n**Threads** (`benches/cold.rs`: `lut` and `lut_mt` alternating call by call, hot, into reused buffers");
    let _ = write!(o, "; {})", reading(t));
    if let Some(f) = t.run.fixture(SEED_FIXTURE) {
        let _ = write!(
            o,
            ": on the seed frame `lut` {} p50, {} p99; `lut_mt` {} p50, {} p99 ({} and {} of `lut`)",
            fmt_ns(f.lut.p50_ns),
            fmt_ns(f.lut.p99_ns),
            fmt_ns(f.lut_mt.p50_ns),
            fmt_ns(f.lut_mt.p99_ns),
            fmt_ratio(f.p50_ratio()),
            fmt_ratio(f.p99_ratio()),
        );
    }
    o.push_str(". Every fixture: [reports/index.html](reports/index.html#threads).\n\n");
    o.push_str(&targets_md("target (threads)", &targets(&t.run)));
    o.truncate(o.trim_end().len());
    o.push('\n');
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_use_the_one_percentile() {
        let times: Vec<f64> = (1..=200).rev().map(f64::from).collect();
        let t = Tail::of(&times);
        assert_eq!(
            (t.calls, t.p50_ns, t.p99_ns, t.max_ns),
            (200, 101.0, 198.0, 200.0)
        );
        let f = ThreadsFixture::measured("x", (1, 1), &[10.0, 30.0, 12.0, 31.0], &[5.0; 4], None);
        assert_eq!(f.lut_halves_p50_ns, [12.0, 31.0]);
        assert!((f.halves_gap() - 31.0 / 12.0).abs() < 1e-12);
        assert_eq!(f.noise_limit(), f.halves_gap());
    }
}
