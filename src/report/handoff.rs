//! The shared-memory handoff (`benches/shm.rs`): a writer process publishing the seed frame,
//! readers in the bench process; and the targets its issue set, judged against decode times
//! of the same frame measured in the same run.

use serde::{Deserialize, Serialize};

use super::target::{Target, Unit};
use super::text::{fmt_ns, fmt_ratio};
use crate::timing::percentile;

/// One cross-process handoff run: a writer process publishing the seed frame, this process
/// reading every frame it can and decoding it with `lut` into reused buffers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoffRow {
    /// `as fast as possible` or `N frames/s`, and how the reader takes frames.
    pub mode: String,
    /// Length of the measured window.
    pub seconds: f64,
    /// Frames the writer published per second.
    pub published_per_s: f64,
    /// Frames the reader took and decoded per second.
    pub decoded_per_s: f64,
    /// Median latency from `written_ns` to decoded, in microseconds (0 when `frames` is 0,
    /// as are the two below).
    pub p50_us: f64,
    /// 99th percentile latency in microseconds.
    pub p99_us: f64,
    /// Largest latency in microseconds.
    pub max_us: f64,
    /// Frames decoded (0: the reader read none whole, outpaced by its writer).
    pub frames: u64,
    /// Frames published but never read (the reader was busy).
    pub skipped: u64,
    /// Read attempts the seqlock rejected (never handed out).
    pub torn: u64,
    /// Read attempts whose slot was already reused for a newer frame.
    pub overtaken: u64,
    /// Median of the reader's decode alone, in microseconds (0 when it does not decode).
    #[serde(default)]
    pub decode_p50_us: Option<f64>,
    /// The reader thread's CPU time over the window (with its `lut` helper threads' where
    /// the mode says `lut on N threads`), percent of one core.
    #[serde(default)]
    pub reader_cpu_pct: Option<f64>,
    /// The reader thread's context switches per second.
    #[serde(default)]
    pub switches_per_s: Option<f64>,
}

/// The words in a row's mode for the readers' default decode: `lut` with
/// [`shmbmp::Threads::for_frame`]'s threads, as `shmbmp read` and Python's `Reader` decode
/// unless given a thread count. The targets judge those rows.
pub const READERS_DEFAULT: &str = "lut on up to 2 threads for frames it waited for (the default)";

/// The words in a row's mode for a reader that only takes frames (its CPU is then the cost
/// of waiting and handing over).
pub const NO_DECODE: &str = "no decode";

impl HandoffRow {
    /// The row a headline quotes: one reader at 60 frames/s, woken and decoding every frame
    /// the default way (not the rows without decoding, the old polling reader, a fixed thread
    /// count, or one of several readers).
    pub fn is_one_reader_decoding_at_60(&self) -> bool {
        self.is_judged("60 ", true)
    }

    fn is_one_reader_waiting_at_60(&self) -> bool {
        self.is_judged("60 ", false)
    }

    fn is_one_reader_flat_out(&self) -> bool {
        self.is_judged("as fast", true)
    }

    /// A row the targets judge: the writer's rate starts the mode, one reader woken,
    /// decoding the readers' default way or not decoding at all.
    fn is_judged(&self, rate: &str, decoding: bool) -> bool {
        let m = &self.mode;
        self.frames > 0
            && m.starts_with(rate)
            && m.contains("woken")
            && !m.contains("reader ")
            && m.contains(if decoding { READERS_DEFAULT } else { NO_DECODE })
    }
}

/// `lut` decoding the seed frame into a reused buffer in the bench process, measured in the
/// same run as the handoff, microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Yardstick {
    /// As `shmbmp bench` times it, in turn (caches as other work left them: what a frame
    /// every 16 ms finds).
    pub lut_in_turn_us: f64,
    /// As `shmbmp bench` times it, settled (runs in a row: hot caches).
    pub lut_settled_us: f64,
    /// Median of runs back to back (hot), the flat-out yardstick.
    pub hot_lut_into_us: f64,
    /// Median of runs each on a copy another CPU had just written, in one process with no
    /// shared memory ([`crate::timing::handed_over`]): what a frame from another core costs
    /// here, beside which flat out is read (runs before it, or with one CPU, have none).
    #[serde(default)]
    pub handed_over_us: Option<f64>,
    /// The host's own tail at 60 runs/s, beside which the 60 frames/s tail is read (runs
    /// from before it was measured have none).
    #[serde(default)]
    pub host: Option<HostTail>,
    /// The 60 frames/s reader's decode of a private copy of the frame (no shared memory, no
    /// writer), at that rate for as long, right after the host's tail: the decode's own tail
    /// on this machine, beside which the handoff's is read (runs before it have none).
    #[serde(default)]
    pub private: Option<HostTail>,
    /// How each figure spread over the run when it is the median of several measurements
    /// ([`Yardstick::median_of`]; runs before that have none: one measurement at the start).
    #[serde(default)]
    pub spread: Option<Spread>,
}

/// The range of each yardstick figure over the measurements of one run, µs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// How many measurements: one before the first handoff row and one after each.
    pub samples: u32,
    /// Least and most of [`Yardstick::lut_in_turn_us`].
    pub in_turn_us: [f64; 2],
    /// Least and most of [`Yardstick::lut_settled_us`].
    pub settled_us: [f64; 2],
    /// Least and most of [`Yardstick::hot_lut_into_us`].
    pub hot_us: [f64; 2],
    /// Least and most of [`Yardstick::handed_over_us`] where measured.
    #[serde(default)]
    pub handed_over_us: Option<[f64; 2]>,
}

impl Yardstick {
    /// Each figure's median over `samples` (measured between the handoff rows, so the
    /// rows are judged against the machine as it was over the whole run, not at one
    /// moment), with their ranges; the host's tail from none of them. `None` when empty.
    pub fn median_of(samples: &[Yardstick]) -> Option<Yardstick> {
        // Each figure over the samples that measured it, ascending.
        let sorted = |f: fn(&Yardstick) -> Option<f64>| {
            let mut v: Vec<f64> = samples.iter().filter_map(f).collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let (turn, settled, hot, handed_over) = (
            sorted(|y| Some(y.lut_in_turn_us)),
            sorted(|y| Some(y.lut_settled_us)),
            sorted(|y| Some(y.hot_lut_into_us)),
            sorted(|y| y.handed_over_us),
        );
        let range = |v: &[f64]| [v[0], v[v.len() - 1]];
        let measured = !handed_over.is_empty();
        (!samples.is_empty()).then(|| Yardstick {
            lut_in_turn_us: percentile(&turn, 0.5),
            lut_settled_us: percentile(&settled, 0.5),
            hot_lut_into_us: percentile(&hot, 0.5),
            handed_over_us: measured.then(|| percentile(&handed_over, 0.5)),
            host: None,
            private: None,
            spread: Some(Spread {
                samples: samples.len() as u32,
                in_turn_us: range(&turn),
                settled_us: range(&settled),
                hot_us: range(&hot),
                handed_over_us: measured.then(|| range(&handed_over)),
            }),
        })
    }
}

/// A job run 60 times a second between sleeps in the same run
/// ([`crate::timing::host_tail`]): register arithmetic as long as the 60 frames/s reader's
/// decode p50 (what this machine does to any job of that length), or that reader's decode of
/// a private copy of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HostTail {
    /// The job's length hot, µs (calibrated, or the median of a few runs back to back).
    pub job_us: f64,
    /// Median of its runs, µs.
    pub p50_us: f64,
    /// 99th percentile of its runs, µs.
    pub p99_us: f64,
    /// How many runs.
    pub runs: u64,
}

impl HostTail {
    /// From the runs' wall times in µs, ascending.
    pub fn from_sorted(job_us: f64, sorted: &[f64]) -> Self {
        HostTail {
            job_us,
            p50_us: percentile(sorted, 0.5),
            p99_us: percentile(sorted, 0.99),
            runs: sorted.len() as u64,
        }
    }
}

/// `target/shm-handoff.json`: the rows and the yardstick (files from before the yardstick
/// are a list of rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HandoffFile {
    /// Rows and yardstick.
    Run {
        /// Every reader of every run.
        rows: Vec<HandoffRow>,
        /// The decode times to judge them by.
        yardstick: Yardstick,
    },
    /// Rows alone (older files).
    Rows(Vec<HandoffRow>),
}

impl HandoffFile {
    /// The rows and the yardstick, when recorded.
    pub fn into_parts(self) -> (Vec<HandoffRow>, Option<Yardstick>) {
        match self {
            HandoffFile::Run { rows, yardstick } => (rows, Some(yardstick)),
            HandoffFile::Rows(rows) => (rows, None),
        }
    }
}

/// Reader CPU while waiting for frames at 60 frames/s, percent of a core.
const WAITING_CPU_LIMIT: f64 = 3.0;
/// p50 publish→RGBA ÷ the decode of the frame.
const LATENCY_LIMIT: f64 = 1.15;
/// p99 ÷ p50.
const TAIL_LIMIT: f64 = 2.0;
/// p50 publish→RGBA ÷ the hot decode (cold frames).
const COLD_LIMIT: f64 = 2.0;
/// Flat out, decoded frames/s at least this share of 1 ÷ the hot decode.
const FLAT_OUT_SHARE: f64 = 0.9;

/// The shared-memory issue's targets, each where its rows (and yardstick) were measured.
pub(super) fn targets(rows: &[HandoffRow], y: Option<&Yardstick>) -> Vec<Target> {
    let mut v = Vec::new();
    if let Some((r, cpu)) = rows
        .iter()
        .find(|r| r.is_one_reader_waiting_at_60())
        .and_then(|r| Some((r, r.reader_cpu_pct?)))
    {
        v.push(Target {
            what: "reader CPU while waiting for frames at 60 frames/s (woken, no decode)".into(),
            detail: format!(
                "{:.0} context switches/s",
                r.switches_per_s.unwrap_or(f64::NAN)
            ),
            ratio: cpu,
            limit: WAITING_CPU_LIMIT,
            unit: Unit::Percent,
        });
    }
    if let Some(r) = rows.iter().find(|r| r.is_one_reader_decoding_at_60()) {
        if let Some(y) = y {
            for (how, lut) in [
                ("in turn, caches as other work left them", y.lut_in_turn_us),
                ("settled, hot caches", y.lut_settled_us),
            ] {
                v.push(quotient(
                    format!("p50 publish→RGBA at 60 frames/s ÷ `lut`'s decode of the frame as `shmbmp bench` times it, {how}"),
                    r.p50_us,
                    lut,
                    LATENCY_LIMIT,
                ));
            }
            v.push(quotient(
                "p50 publish→RGBA at 60 frames/s ÷ hot `lut_into` (runs back to back): what cold frames cost".into(),
                r.p50_us,
                y.hot_lut_into_us,
                COLD_LIMIT,
            ));
        }
        if let Some(d) = r.decode_p50_us.filter(|d| *d > 0.0) {
            v.push(quotient(
                "p50 publish→RGBA at 60 frames/s ÷ the reader's own decode of those frames (p50): what the handoff adds".into(),
                r.p50_us,
                d,
                LATENCY_LIMIT,
            ));
        }
        let mut tail = quotient(
            format!(
                "p99 ÷ p50 publish→RGBA at 60 frames/s ({} frames)",
                r.frames
            ),
            r.p99_us,
            r.p50_us,
            TAIL_LIMIT,
        );
        for (tail_of, h) in [
            (
                "the host's own, a fixed arithmetic job",
                y.and_then(|y| y.host),
            ),
            (
                "the same decode of a private copy, no handoff,",
                y.and_then(|y| y.private),
            ),
        ] {
            if let Some(h) = h {
                tail.detail += &format!(
                    "; {tail_of} of {} at 60/s ({} runs): {} ÷ {} = {}",
                    fmt_ns(h.job_us * 1e3),
                    h.runs,
                    fmt_ns(h.p99_us * 1e3),
                    fmt_ns(h.p50_us * 1e3),
                    fmt_ratio(h.p99_us / h.p50_us)
                );
            }
        }
        v.push(tail);
    }
    if let (Some(r), Some(y)) = (rows.iter().find(|r| r.is_one_reader_flat_out()), y) {
        let per_frame_us = 1e6 / r.decoded_per_s;
        let handed_over = y.handed_over_us.map_or(String::new(), |h| {
            format!(
                "; `lut_into` of a copy another CPU had just written (no shared memory): {} = {} the hot decode, and flat out {} that",
                fmt_ns(h * 1e3),
                fmt_ratio(h / y.hot_lut_into_us),
                fmt_ratio(per_frame_us / h)
            )
        });
        v.push(Target {
            what: format!(
                "flat out, time per decoded frame ÷ hot `lut_into` (frames/s at least {FLAT_OUT_SHARE} × 1 ÷ the hot decode)"
            ),
            detail: format!(
                "{:.0} frames/s = {} a frame ÷ {}{handed_over}",
                r.decoded_per_s,
                fmt_ns(per_frame_us * 1e3),
                fmt_ns(y.hot_lut_into_us * 1e3)
            ),
            ratio: per_frame_us / y.hot_lut_into_us,
            limit: 1.0 / FLAT_OUT_SHARE,
            unit: Unit::Times,
        });
    }
    v
}

/// The target `what`: one time over another (both µs), at most `limit`.
fn quotient(what: String, num_us: f64, den_us: f64, limit: f64) -> Target {
    Target {
        what,
        detail: format!("{} ÷ {}", fmt_ns(num_us * 1e3), fmt_ns(den_us * 1e3)),
        ratio: num_us / den_us,
        limit,
        unit: Unit::Times,
    }
}

/// The table's cells for one row (mode, published/s, decoded/s, p50, p99, max, decode p50,
/// reader CPU, the reader thread's context switches/s, skipped, torn).
pub(super) fn cells(r: &HandoffRow) -> [String; 11] {
    // No frame taken: no latencies.
    let us = |x: f64| {
        if r.frames == 0 {
            "—".into()
        } else {
            fmt_ns(x * 1e3)
        }
    };
    [
        r.mode.clone(),
        format!("{:.0}", r.published_per_s),
        format!("{:.0}", r.decoded_per_s),
        us(r.p50_us),
        us(r.p99_us),
        us(r.max_us),
        r.decode_p50_us.filter(|d| *d > 0.0).map_or("—".into(), us),
        r.reader_cpu_pct.map_or("—".into(), |c| format!("{c:.1} %")),
        r.switches_per_s.map_or("—".into(), |s| format!("{s:.0}")),
        r.skipped.to_string(),
        r.torn.to_string(),
    ]
}

/// The header cells matching [`cells`].
pub(super) const HEADER: [&str; 11] = [
    "writer, reader",
    "published/s",
    "decoded/s",
    "p50",
    "p99",
    "max",
    "decode p50",
    "reader CPU",
    "reader switches/s",
    "skipped",
    "torn attempts (accepted: 0)",
];

/// One line on what the ratio to the in-turn decode means, for under the targets.
pub(super) fn reading(y: Option<&Yardstick>) -> Option<String> {
    let y = y?;
    let range = |r: [f64; 2]| format!(" ({}–{})", fmt_ns(r[0] * 1e3), fmt_ns(r[1] * 1e3));
    let (turn, settled, hot) = y.spread.map_or_else(Default::default, |s| {
        (range(s.in_turn_us), range(s.settled_us), range(s.hot_us))
    });
    let handed_over = y.handed_over_us.map_or(String::new(), |h| {
        let spread = y
            .spread
            .and_then(|s| s.handed_over_us)
            .map_or(String::new(), range);
        format!(
            ", and on a copy another CPU had just written {}{spread}",
            fmt_ns(h * 1e3)
        )
    });
    Some(format!(
        "Yardsticks from this run, the seed frame decoded by `lut` in the bench process: in turn {}{turn} and settled {}{settled} (`shmbmp bench`'s way, {} apart), back to back {}{hot}{handed_over}{}. A frame every 16 ms finds the caches as the in-turn figure does, so that is the decode the handoff is judged against; the settled ratio is given as well. The targets are judged on the rows whose reader decodes the readers' default way (`shmbmp read` and Python's `Reader` without a thread count): `lut` on up to {} threads for a frame it waited for (cold caches, idle cores), on one for a frame already there (a writer faster than the reader); the rows on 1 and on 2 threads for every frame are given beside them.{}",
        fmt_ns(y.lut_in_turn_us * 1e3),
        fmt_ns(y.lut_settled_us * 1e3),
        fmt_ratio(y.lut_in_turn_us / y.lut_settled_us),
        fmt_ns(y.hot_lut_into_us * 1e3),
        y.spread.map_or(String::new(), |s| format!(
            "; each the median of {} measurements, one before the first row and one after each (their range in brackets: the machine drifts that much within a run)",
            s.samples
        )),
        shmbmp::Threads::for_frame(true).max(),
        if y.handed_over_us.is_some() {
            " A reader flat out decodes frames the writer's CPU has just written, as the copy another CPU wrote is decoded (two threads of the bench, each pinned to a CPU of its own, no shared memory): how much slower that is than back to back depends on where the host put the two virtual CPUs (`timing::handed_over`)."
        } else {
            ""
        },
    ) + &y.host.map_or(String::new(), |h| format!(
        " Right after the 60 frames/s reader, a job of register arithmetic as long as its decode ({}) ran 60 times a second for as long: p50 {}, p99 {} ({} its p50). It touches no memory, so that spread is the machine's own (timer ticks, the hypervisor, other tenants), and every job of that length here shares it.",
        fmt_ns(h.job_us * 1e3),
        fmt_ns(h.p50_us * 1e3),
        fmt_ns(h.p99_us * 1e3),
        fmt_ratio(h.p99_us / h.p50_us),
    )) + &y.private.map_or(String::new(), |h| format!(
        " Then the same decode of a private copy of the frame (no shared memory, no writer; {} hot), 60 times a second for as long: p50 {}, p99 {} ({} its p50): the decode's own tail here, beside which the handoff's is read.",
        fmt_ns(h.job_us * 1e3),
        fmt_ns(h.p50_us * 1e3),
        fmt_ns(h.p99_us * 1e3),
        fmt_ratio(h.p99_us / h.p50_us),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mode: &str, p50_us: f64, p99_us: f64, decoded_per_s: f64) -> HandoffRow {
        HandoffRow {
            mode: mode.into(),
            seconds: 4.0,
            published_per_s: 60.0,
            decoded_per_s,
            p50_us,
            p99_us,
            max_us: p99_us * 1.5,
            frames: 240,
            skipped: 0,
            torn: 0,
            overtaken: 0,
            decode_p50_us: Some(p50_us * 0.9),
            reader_cpu_pct: Some(0.4),
            switches_per_s: Some(61.0),
        }
    }

    #[test]
    fn targets_judge_the_rows_against_the_same_run() {
        let default = |rate: &str| format!("{rate}, woken, in place, {READERS_DEFAULT}");
        let rows = [
            row(
                "60 frames/s, polled, copied, no decode",
                500.0,
                1600.0,
                60.0,
            ),
            row("60 frames/s, woken, in place, no decode", 40.0, 90.0, 60.0),
            row(
                "60 frames/s, woken, in place, lut on 1 thread",
                1300.0,
                2500.0,
                60.0,
            ),
            row(&default("60 frames/s"), 1000.0, 2500.0, 60.0),
            row(
                "60 frames/s, woken, in place, lut on 2 threads",
                700.0,
                1200.0,
                60.0,
            ),
            row(
                &format!("{}, reader 1 of 4", default("60 frames/s")),
                9000.0,
                9900.0,
                60.0,
            ),
            row(
                "as fast as possible, woken, in place, lut on 1 thread",
                700.0,
                1300.0,
                1500.0,
            ),
            row(&default("as fast as possible"), 800.0, 1300.0, 1250.0),
        ];
        let y = Yardstick {
            lut_in_turn_us: 900.0,
            lut_settled_us: 500.0,
            hot_lut_into_us: 750.0,
            handed_over_us: Some(900.0),
            host: Some(HostTail::from_sorted(900.0, &[880.0, 900.0, 950.0, 1980.0])),
            private: Some(HostTail::from_sorted(
                400.0,
                &[1000.0, 1000.0, 1100.0, 2300.0],
            )),
            spread: None,
        };
        let t = targets(&rows, Some(&y));
        let figure = |what: &str| {
            let t = t.iter().find(|t| t.what.contains(what)).unwrap();
            (t.figure(), t.met())
        };
        assert_eq!(figure("CPU while waiting"), ("0.4 %".into(), true));
        assert_eq!(figure("in turn"), ("1.11×".into(), true));
        assert_eq!(figure("settled"), ("2.00×".into(), false));
        assert_eq!(figure("reader's own decode"), ("1.11×".into(), true));
        assert_eq!(figure("p99 ÷ p50"), ("2.50×".into(), false));
        let tail = t.iter().find(|t| t.what.contains("p99 ÷ p50")).unwrap();
        assert!(
            tail.detail.contains(
                "arithmetic job of 900 µs at 60/s (4 runs): 1.98 ms ÷ 950 µs = 2.08×; the same decode of a private copy, no handoff, of 400 µs at 60/s (4 runs): 2.30 ms ÷ 1.10 ms = 2.09×"
            ),
            "{}",
            tail.detail
        );
        assert_eq!(figure("flat out"), ("1.07×".into(), true));
        let flat = t.iter().find(|t| t.what.contains("flat out")).unwrap();
        assert!(
            flat.detail.ends_with("just written (no shared memory): 900 µs = 1.20× the hot decode, and flat out 0.89× that"),
            "{}",
            flat.detail
        );
        assert_eq!(figure("what cold frames cost"), ("1.33×".into(), true));
        assert_eq!(t.len(), 7);
        let without = targets(&rows, None);
        assert_eq!(without.len(), 3, "no yardstick: only the row-only targets");
    }

    #[test]
    fn the_default_rows_name_the_threads_the_core_gives_a_frame_it_waited_for() {
        let n = shmbmp::Threads::for_frame(true).max();
        assert!(READERS_DEFAULT.contains(&format!(" up to {n} threads ")));
        assert_eq!(shmbmp::Threads::for_frame(false).max(), 1);
    }

    #[test]
    fn the_yardstick_is_each_figure_s_median_over_the_run() {
        let y = |t: f64, s: f64, h: f64, o: Option<f64>| Yardstick {
            lut_in_turn_us: t,
            lut_settled_us: s,
            hot_lut_into_us: h,
            handed_over_us: o,
            host: None,
            private: None,
            spread: None,
        };
        assert_eq!(Yardstick::median_of(&[]), None);
        let m = Yardstick::median_of(&[
            y(900.0, 500.0, 680.0, Some(600.0)),
            y(700.0, 520.0, 480.0, None),
            y(800.0, 510.0, 470.0, Some(500.0)),
            y(800.0, 510.0, 470.0, Some(520.0)),
        ])
        .unwrap();
        assert_eq!(
            (m.lut_in_turn_us, m.lut_settled_us, m.hot_lut_into_us),
            (800.0, 510.0, 480.0)
        );
        assert_eq!(
            m.handed_over_us,
            Some(520.0),
            "the median of those measured"
        );
        let s = m.spread.unwrap();
        assert_eq!(
            (s.samples, s.hot_us, s.in_turn_us, s.handed_over_us),
            (4, [470.0, 680.0], [700.0, 900.0], Some([500.0, 600.0]))
        );
        let none = Yardstick::median_of(&[y(1.0, 1.0, 1.0, None)]).unwrap();
        assert_eq!(
            (none.handed_over_us, none.spread.unwrap().handed_over_us),
            (None, None)
        );
        let text = reading(Some(&m)).unwrap();
        assert!(
            text.contains("back to back 480 µs (470 µs–680 µs), and on a copy another CPU had just written 520 µs (500 µs–600 µs); each the median of 4"),
            "{text}"
        );
    }

    #[test]
    fn old_files_are_a_list_of_rows() {
        let r = row("60 frames/s, woken, in place", 1000.0, 2500.0, 60.0);
        let old = serde_json::to_string(&[&r]).unwrap();
        let (rows, y) = serde_json::from_str::<HandoffFile>(&old)
            .unwrap()
            .into_parts();
        assert_eq!((rows.len(), y), (1, None));
        let new = HandoffFile::Run {
            rows: vec![r],
            yardstick: Yardstick {
                lut_in_turn_us: 1.0,
                lut_settled_us: 1.0,
                hot_lut_into_us: 1.0,
                handed_over_us: None,
                host: None,
                private: None,
                spread: None,
            },
        };
        let text = serde_json::to_string(&new).unwrap();
        let (rows, y) = serde_json::from_str::<HandoffFile>(&text)
            .unwrap()
            .into_parts();
        assert_eq!((rows.len(), y.is_some()), (1, true));
    }
}
