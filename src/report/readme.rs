//! The README's results, written by the run: one section per CPU class between marker
//! comments (`<!-- shmbmp results avx2: begin -->` … `<!-- shmbmp results avx2: end -->`),
//! each rewritten only by a run on a CPU of that class with `lut` on that class's kernels,
//! so a reader finds the figures of a machine like theirs and no run overwrites another
//! class's.

use std::fmt::Write as _;
use std::path::Path;

use super::agreement::Agreement;
use super::markdown::{from_python, md_cell};
use super::text::{fmt_ns, fmt_ratio, interleaved_cell, opt};
use super::{layouts, threads};
use super::{ReportError, Summary, SEED_FIXTURE};
use crate::Kernels;

/// A class of CPU with a results section of its own in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuClass {
    /// x86-64 with AVX-512 VBMI: `lut` runs its byte-permute palette kernels.
    Avx512Vbmi,
    /// x86-64 with AVX2 but no AVX-512 VBMI (most desktops, laptops, Zen 2/3 servers).
    Avx2Only,
}

impl CpuClass {
    /// Every class, in the README's order.
    pub const ALL: [CpuClass; 2] = [CpuClass::Avx512Vbmi, CpuClass::Avx2Only];

    /// The class of this CPU (the best kernel level it offers), or `None` for a CPU
    /// without AVX2, which has no section.
    pub fn of_this_cpu() -> Option<CpuClass> {
        let best = Kernels::ALL.into_iter().rev().find(|k| k.supported())?;
        CpuClass::ALL.into_iter().find(|c| c.kernels() == best)
    }

    /// The kernel level `lut` runs on a CPU of this class.
    pub fn kernels(self) -> Kernels {
        match self {
            CpuClass::Avx512Vbmi => Kernels::Avx512Vbmi,
            CpuClass::Avx2Only => Kernels::Avx2,
        }
    }

    /// The class in words, as the section's heading says it.
    pub fn title(self) -> &'static str {
        match self {
            CpuClass::Avx512Vbmi => "AVX-512 VBMI",
            CpuClass::Avx2Only => "AVX2 only (no AVX-512)",
        }
    }

    /// The comment that opens this class's section.
    pub fn begin_marker(self) -> String {
        format!("<!-- shmbmp results {}: begin -->", self.kernels().name())
    }

    /// The comment that closes it.
    pub fn end_marker(self) -> String {
        format!("<!-- shmbmp results {}: end -->", self.kernels().name())
    }
}

/// The section for `class` from `s` (what goes between the markers), or `None` when the run
/// has no seed-frame table.
pub fn section(s: &Summary, class: CpuClass) -> Option<String> {
    let t = s.seed_table()?;
    let h = &s.header;
    let mut o = String::new();
    let run = h.run.as_ref();
    let _ = writeln!(
        o,
        "\n*Written by `{}` on {}{}, {} logical cores, {}; `lut` on its {} kernels; {}. \
         Edits here are overwritten by the next run on a CPU of this class.*\n",
        run.map_or("cargo bench", |r| r.command()),
        h.cpu,
        h.cpu_id
            .as_deref()
            .map(|id| format!(" ({id})"))
            .unwrap_or_default(),
        h.cores,
        h.date,
        class.kernels().name(),
        if run.is_some_and(|r| r.quick) {
            "a quick run: few samples, figures move more"
        } else {
            "a full run"
        }
    );
    if let Some(headline) = &s.headline {
        let _ = writeln!(o, "{headline}\n");
    }
    let seed_checks: Vec<&Agreement> = s
        .agreement
        .iter()
        .filter(|a| a.fixture == SEED_FIXTURE && a.bare_ns.is_some())
        .collect();
    if !seed_checks.is_empty() {
        let each: Vec<String> = seed_checks
            .iter()
            .filter_map(|a| {
                Some(format!(
                    "`{}` {}",
                    a.decoder,
                    fmt_ratio(a.criterion_vs_bare()?)
                ))
            })
            .collect();
        let _ = writeln!(
            o,
            "Each call against `shmbmp-bare`, a minimal program calling it directly, timed by \
             criterion right after ours (criterion ÷ bare; the suite flags beyond 1.3× either \
             way): {}.\n",
            each.join(", ")
        );
    }
    o.push_str(
        "| decoder | what | median | × memcpy floor | × write floor | interleaved × memcpy floor, in turn / repeated / settled |\n\
         |---|---|--:|--:|--:|--:|\n",
    );
    for r in t.rows.iter().filter(|r| r.median_ns.is_some()) {
        let _ = writeln!(
            o,
            "| `{}` | {} | {} | {} | {} | {} |",
            md_cell(&r.decoder),
            r.kind.label(),
            opt(r.median_ns, fmt_ns),
            opt(r.vs_floor, fmt_ratio),
            opt(r.vs_fill, fmt_ratio),
            interleaved_cell(r.interleaved),
        );
    }
    if let Some(h) = s.handoff.iter().find(|h| h.is_one_reader_decoding_at_60()) {
        let _ = writeln!(
            o,
            "\nAcross processes (`benches/shm.rs`): a writer publishing the seed frame at 60 frames/s \
             into a framed region, woken and decoded in place by `lut` as readers do by default (on up to {} threads for a frame it waited for) at {:.0} frames/s, {} to {} (p50 to p99) \
             from publish to RGBA; torn frames handed out: none ({} attempts rejected).{}",
            shmbmp::Threads::for_frame(true).max(),
            h.decoded_per_s,
            fmt_ns(h.p50_us * 1e3),
            fmt_ns(h.p99_us * 1e3),
            h.torn,
            s.handoff_note
                .as_ref()
                .map(|n| format!(" {n}"))
                .unwrap_or_default()
        );
    }
    o.push_str(&threads::readme(s.threads.as_ref()));
    o.push_str(&layouts::readme(s.layouts.as_deref()));
    o.push_str("\n**From Python** (`python/bench.py`; every fixture in the report):\n\n");
    o.push_str(&from_python(s.from_python.as_ref(), &h.cpu, true));
    let _ = writeln!(
        o,
        "Every fixture, the Python peers' spread and the agreement checks: [reports/index.html](reports/index.html) \
         (as Markdown: [reports/summary.md](reports/summary.md)).\n"
    );
    Some(o)
}

/// `readme` with the section of `class` replaced by `body`, or why it cannot be.
pub fn replace_section(readme: &str, class: CpuClass, body: &str) -> Result<String, String> {
    let (begin, end) = (class.begin_marker(), class.end_marker());
    let start = readme
        .find(&begin)
        .ok_or_else(|| format!("the README has no `{begin}` marker"))?
        + begin.len();
    let stop = readme[start..]
        .find(&end)
        .ok_or_else(|| format!("the README has `{begin}` but no `{end}` after it"))?
        + start;
    Ok(format!("{}{body}{}", &readme[..start], &readme[stop..]))
}

/// Rewrites the section of this CPU's class in the README at `path` from `s`, when this run
/// may: the CPU has a class, `lut` ran on that class's kernels (not capped by
/// `SHMBMP_SIMD`), and the run has a seed table. Returns what was done, in words.
pub fn rewrite(path: &Path, s: &Summary) -> Result<String, ReportError> {
    let Some(class) = CpuClass::of_this_cpu() else {
        return Ok("README not rewritten: this CPU has no AVX2, and the README has sections for AVX-512 VBMI and AVX2-only CPUs".into());
    };
    let ran = Kernels::detect();
    if ran != class.kernels() {
        return Ok(format!(
            "README not rewritten: lut ran on its {} kernels (SHMBMP_SIMD), not the {} kernels of this CPU's class ({})",
            ran.name(),
            class.kernels().name(),
            class.title()
        ));
    }
    let Some(body) = section(s, class) else {
        return Ok("README not rewritten: this run has no seed-frame table".into());
    };
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let new = match replace_section(&text, class, &body) {
        Ok(new) => new,
        Err(why) => return Ok(format!("README not rewritten: {why}")),
    };
    std::fs::write(path, new).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(format!(
        "README: the {} section rewritten from this run",
        class.title()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_classs_own_section_is_replaced() {
        let readme = format!(
            "intro\n{}\nold 512\n{}\nmiddle\n{}\nold avx2\n{}\ntail\n",
            CpuClass::Avx512Vbmi.begin_marker(),
            CpuClass::Avx512Vbmi.end_marker(),
            CpuClass::Avx2Only.begin_marker(),
            CpuClass::Avx2Only.end_marker(),
        );
        let new = replace_section(&readme, CpuClass::Avx2Only, "\nNEW\n").unwrap();
        assert!(
            new.contains("old 512") && !new.contains("old avx2"),
            "{new}"
        );
        assert!(new.contains(
            "<!-- shmbmp results avx2: begin -->\nNEW\n<!-- shmbmp results avx2: end -->"
        ));
        assert!(new.starts_with("intro\n") && new.ends_with("tail\n"));
        let again = replace_section(&new, CpuClass::Avx2Only, "\nNEW\n").unwrap();
        assert_eq!(again, new, "rewriting is idempotent");
        let err = replace_section("no markers", CpuClass::Avx2Only, "x").unwrap_err();
        assert!(
            err.contains("no `<!-- shmbmp results avx2: begin -->` marker"),
            "{err}"
        );
    }

    #[test]
    fn classes_follow_the_kernel_levels() {
        assert_eq!(CpuClass::Avx2Only.kernels(), Kernels::Avx2);
        match CpuClass::of_this_cpu() {
            Some(c) => assert!(c.kernels().supported()),
            None => assert!(!Kernels::Avx2.supported()),
        }
    }

    /// The committed README has one section per class, each with its markers once.
    #[test]
    fn the_readme_has_a_section_per_class() {
        let readme = include_str!("../../README.md");
        for class in CpuClass::ALL {
            for marker in [class.begin_marker(), class.end_marker()] {
                assert_eq!(readme.matches(&marker).count(), 1, "{marker}");
            }
            assert!(replace_section(readme, class, "x").is_ok());
        }
    }
}
