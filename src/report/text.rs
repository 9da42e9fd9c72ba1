//! Number formats and wording shared by the Markdown and HTML renderings.

use std::fmt::Write as _;

use super::{Check, Header, InterleavedRatio, PythonEnv, PEERS_SETUP};

/// An interleaved job's ratio to the floor, in turn / repeated / settled:
/// `1.02× / 0.70× / 0.65×` (the figures recorded).
pub(super) fn interleaved_cell(r: Option<InterleavedRatio>) -> String {
    match r {
        None => "—".to_string(),
        Some(r) => std::iter::once(r.turn)
            .chain(r.repeat)
            .chain(r.settled)
            .map(fmt_ratio)
            .collect::<Vec<_>>()
            .join(" / "),
    }
}

/// Where criterion's own pages are: never linked, since `target/` is not in the repository.
pub(super) const CRITERION_PAGES: &str = "Criterion's own pages for this run (distributions, plots) are under target/criterion/ on the machine that ran it, starting at target/criterion/report/index.html; a full `cargo bench` writes them, `cargo bench -- --quick` skips the plots. These pages link to nothing outside reports/.";

/// What the handoff table measures.
pub(super) const HANDOFF_INTRO: &str = "## Shared-memory handoff\n\nA `shmbmp write` process publishes the 1600×1200 8-bit seed frame into a framed region (readers + 2 slots, at least 4); reader threads in the bench process take each newest frame and decode it with `lut` into a reused buffer, either the old way (polling, and copying the frame out whole under the seqlock before decoding) or the new way (woken by the writer, decoding the frame where it lies in a leased slot, the sequence checked after). Latency runs from the writer's `written_ns` to the end of the decode; decode p50 is the reader's decode alone; reader CPU is the reader thread's CPU time over the window (`/proc/thread-self/schedstat`), and where the reader runs `lut on 2 threads` that of every thread of the bench process (`/proc/self/task/*/schedstat`: the reader and its helper); reader switches/s are the reader thread's voluntary and involuntary context switches a second (`/proc/thread-self/status`). Compare with the in-process `shm/seed` and `decode/seed` rows.";

/// What the interleaved columns measure.
pub(super) const INTERLEAVED_INTRO: &str = "The interleaved column is the same run measured a second way: for each fixture the two floors and every job (ours `decode_into` a reused buffer, a peer's own call, a conversion) run round by round, six times in a row a round, and each figure is that job's median ÷ the memcpy floor's (its source and destination each start on a page boundary, in both ways of timing). Host drift slows every job of a round alike, so these ratios hold where criterion's, measured one benchmark after another, can move with the machine. The first run of a round (in turn) finds the caches as the other jobs left them, as a frame that arrives now and then does; the second (repeated) runs right after itself; the sixth (settled) is where criterion's loop, thousands of runs back to back, should agree. On the machine this suite was built on (Zen 3 VM) a job on a 7.68 MB output needs about six runs in a row to settle: the memcpy floor took 981, 642, 411, 356, 313, 303 µs in its first six runs and 263–302 µs from its 10th to its 40th, `lut_into` 812, 588, 496, 480, 441, 438 µs, then 432–485 µs. In turn favours decoders that read less than the floor (its memcpy reads the whole output size, an 8-bit decode a quarter of it) and costs multi-threaded decoders their start-up.";

/// What the agreement section checks.
pub(super) const AGREEMENT_INTRO: &str = "The same call measured three ways in this run should give the same figure. `shmbmp-bare` (src/bin/shmbmp-bare.rs) calls each crate directly, in a process of its own, as a user's minimal program would; it runs twice, once with glibc malloc held steady as every timing of the suite holds it (`GLIBC_TUNABLES` with the same two settings) and once with the allocator at its defaults. Its runs are taken in turn with ours, timed by itself: in criterion, its call is a benchmark of its own (`bare_zune`, …) right after ours; in the interleaved pass, its calls are jobs of the same rounds. On this shared host the same call's speed drifts by up to half within minutes, so only figures taken in the same seconds are compared. Criterion's median should be within 1.3× of criterion's median of the bare call, and the interleaved settled median within 1.3× of the bare call's settled median, either way, or our harness adds work (or skips some); the settled median at the allocator's defaults shows what a program pays that lets glibc hand its freed blocks back to the kernel (fresh pages every call). Criterion's and the interleaved settled ratios to the memcpy floor should agree within 1.5×; the in-turn figure shows what cold caches cost the call. `shmbmp bench FILE --bare` runs the interleaved check on any file.";

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
            match &h.cpu_id {
                Some(id) => format!("{} ({id}), {} logical cores", h.cpu, h.cores),
                None => format!("{}, {} logical cores", h.cpu, h.cores),
            },
        ),
        (
            "rustc".to_string(),
            h.rustc
                .clone()
                .unwrap_or_else(|| "not recorded".to_string()),
        ),
        ("lut kernels".to_string(), h.kernels.clone()),
        (
            "Run".to_string(),
            match &h.run {
                Some(r) if r.quick => format!("`{}`: few samples, figures move more", r.command()),
                Some(r) => format!("`{}`", r.command()),
                None => "not recorded".to_string(),
            },
        ),
        (
            "Allocator".to_string(),
            h.run
                .as_ref()
                .map(|r| r.allocator.clone())
                .or_else(|| h.allocator.clone())
                .unwrap_or_else(|| "not recorded".to_string()),
        ),
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
        Some(p) => python_env_text(p, &h.cpu),
        None => format!(
            "Python peers were not measured in this run (create the venv: `{PEERS_SETUP}`, then run `.venv/bin/python benches/peers.py --fixtures DIR --out peers.json --seed-loop`)."
        ),
    };
    v.push(("Python peers".to_string(), py));
    v
}

/// A Python environment in words: version, packages, when, `--quick`, the allocator, and
/// its CPU where it is not `cpu`.
pub(super) fn python_env_text(p: &PythonEnv, cpu: &str) -> String {
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
    if let Some(a) = &p.allocator {
        let _ = write!(s, "; {a}");
    }
    if let Some(c) = &p.cpu {
        if c != cpu {
            let _ = write!(s, " on {c}");
        }
    }
    s
}

/// How to read the fixture tables.
pub(super) const HOW_TO_READ: &str = "Median time of one call from the BMP bytes in memory (Rust: criterion's median estimate; Python: median of time.perf_counter_ns runs, one thread). Ours end in canonical RGBA8: `lut` allocates its output, `lut_into` writes into a reused buffer. A peer is timed as its users call it, into its own output (`image`: RGBA8 from `into_rgba8`; `zune`: RGB8; `bmp`: its `Image`; cv2: BGR; Pillow: its own mode); where that is not RGBA, the conversion to RGBA is a row of its own (`zune_to_rgba`, ours; `cv2.cvtColor`, Python's), and a user who needs RGBA pays both. Two floors: a memcpy of the output size (`floor`: read and write) and filling the output once (`fill`: the least any decoder must do). The allocator is held steady for every decoder alike (see Allocator above): no figure includes fresh pages from the kernel, which only a process's first frames pay. GB/s = RGBA output bytes ÷ median time. × memcpy, × write and × lut = this row's time ÷ that row's time in the same fixture (below 1 is faster). Rows are sorted fastest first.";

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
