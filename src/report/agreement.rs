//! The agreement checks: the same call measured three ways in one run (criterion's loop, the
//! interleaved pass, the bare program) should give the same figure. A harness that adds work
//! shows as a ratio to the bare program (allocator held steady, as in the harness) above
//! [`BARE_LIMIT`]; criterion's and the interleaved settled ratios to the memcpy floor should
//! agree within [`INTERLEAVED_LIMIT`]. The interleaved job in turn and repeated, and the bare
//! program at the allocator's defaults, show what cache state and fresh pages cost.

use super::criterion::Bench;
use super::summary::DECODE_PREFIX;
use std::fmt::Write as _;

use super::text::{fmt_ns, fmt_ratio, interleaved_cell};
use super::{FixtureTable, InterleavedRatio};
use crate::timing::bare::{BareRun, BareTime, BARE_LIMIT, CRITERION_PREFIX};
use crate::timing::{Interleaved, JobTimes, RUNS_PER_ROUND};

/// How far criterion's and the interleaved ratios to the floor may differ, either way.
pub const INTERLEAVED_LIMIT: f64 = 1.5;

/// One call on one fixture, measured three ways in the same run.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    /// Fixture name.
    pub fixture: String,
    /// The criterion row (`lut_into`, `zune`, `zune_to_rgba`, ...).
    pub decoder: String,
    /// Criterion's median, nanoseconds.
    pub criterion_ns: f64,
    /// Criterion's median ÷ criterion's memcpy floor.
    pub criterion_x: Option<f64>,
    /// The interleaved medians, nanoseconds.
    pub interleaved: Option<JobTimes>,
    /// The same ÷ the interleaved memcpy floor's.
    pub interleaved_x: Option<InterleavedRatio>,
    /// The bare program's settled median of the same call, allocator held steady, timed in
    /// the rounds of the interleaved pass.
    pub bare_ns: Option<f64>,
    /// Criterion's median of the bare program's call, held steady, timed right after ours.
    pub bare_criterion_ns: Option<f64>,
    /// The bare program's settled median with the allocator at its defaults, timed in the
    /// same rounds.
    pub bare_defaults_ns: Option<f64>,
}

impl Agreement {
    /// Criterion's median ÷ criterion's median of the bare call, timed one after the other.
    pub fn criterion_vs_bare(&self) -> Option<f64> {
        self.bare_criterion_ns.map(|b| self.criterion_ns / b)
    }

    /// The interleaved settled median ÷ the bare program's, each the last of as many runs
    /// of the same call in a row, in the same rounds.
    pub fn interleaved_vs_bare(&self) -> Option<f64> {
        self.interleaved?
            .settled_ns
            .zip(self.bare_ns)
            .map(|(r, b)| r / b)
    }

    /// Whether both of ours are within [`BARE_LIMIT`] of the bare program, either way (when
    /// measured): slower means our harness adds work, faster that it skips some.
    pub fn bare_ok(&self) -> Option<bool> {
        let (c, i) = (self.criterion_vs_bare(), self.interleaved_vs_bare());
        (c.is_some() || i.is_some()).then(|| c.is_none_or(within_bare) && i.is_none_or(within_bare))
    }

    /// Criterion's ratio to the floor ÷ the interleaved settled one.
    pub fn criterion_vs_interleaved(&self) -> Option<f64> {
        self.criterion_x
            .zip(self.interleaved_x?.settled)
            .map(|(c, s)| c / s)
    }

    /// Whether criterion's and the interleaved settled ratios agree within
    /// [`INTERLEAVED_LIMIT`] (when both exist).
    pub fn interleaved_ok(&self) -> Option<bool> {
        self.criterion_vs_interleaved().map(within_interleaved)
    }

    /// The ratios to the memcpy floor side by side: criterion / in turn / repeated / settled.
    pub fn floor_ratios(&self) -> String {
        let c = self.criterion_x.map_or("—".into(), fmt_ratio);
        match self.interleaved_x {
            Some(_) => format!("{c} / {}", interleaved_cell(self.interleaved_x)),
            None => c,
        }
    }

    /// The checks in words, with the figures that support them.
    pub fn verdict(&self) -> String {
        let mut parts = Vec::new();
        let (c, i) = (self.criterion_vs_bare(), self.interleaved_vs_bare());
        if let Some(worst) = c.into_iter().chain(i).reduce(|w, x| w.max(x)) {
            let figures = [("criterion", c), ("interleaved settled", i)]
                .iter()
                .filter_map(|(what, x)| x.map(|x| format!("{what} {}", fmt_ratio(x))))
                .collect::<Vec<_>>()
                .join(", ");
            let ok = match self.bare_ok() {
                Some(true) => format!("within {BARE_LIMIT}×"),
                _ if worst > BARE_LIMIT => format!(
                    "OUTSIDE {BARE_LIMIT}×: our harness costs this call more than its users pay"
                ),
                _ => format!(
                    "OUTSIDE {BARE_LIMIT}×: faster than the call alone, so either the harness skips work or the machine moved"
                ),
            };
            parts.push(format!("bare call: {figures}, {ok}"));
            if let Some((d, b)) = self.bare_defaults_ns.zip(self.bare_ns) {
                parts.push(format!(
                    "with the allocator at its defaults the bare call takes {} settled ({} of held steady)",
                    fmt_ns(d),
                    fmt_ratio(d / b)
                ));
            }
        }
        if let Some(x) = self.criterion_vs_interleaved() {
            parts.push(if within_interleaved(x) {
                format!("criterion and interleaved settled agree ({})", fmt_ratio(x))
            } else {
                format!(
                    "criterion ÷ interleaved settled {}: they DISAGREE",
                    fmt_ratio(x)
                )
            });
        }
        if let Some(j) = self.interleaved {
            if let Some(settled) = j.settled_ns {
                parts.push(format!(
                    "in turn, on caches the other jobs left, it takes {} of its settled time",
                    fmt_ratio(j.turn_ns / settled)
                ));
            }
        }
        parts.join("; ")
    }

    /// Whether any check failed: a bare ratio past its limit, or criterion and the
    /// interleaved settled figure apart.
    pub fn failed(&self) -> bool {
        self.bare_ok() == Some(false) || self.interleaved_ok() == Some(false)
    }
}

fn within_bare(x: f64) -> bool {
    (1.0 / BARE_LIMIT..=BARE_LIMIT).contains(&x)
}

fn within_interleaved(x: f64) -> bool {
    (1.0 / INTERLEAVED_LIMIT..=INTERLEAVED_LIMIT).contains(&x)
}

/// Moves criterion's benchmarks of the bare program ([`CRITERION_PREFIX`]) out of `benches`
/// into `bare`, as each call's [`BareTime::criterion_ns`] on its fixture.
pub(super) fn take_bare_benches(benches: &mut Vec<Bench>, bare: &mut Vec<BareRun>) {
    benches.retain(|b| {
        let id = b.id();
        let (Some(fixture), Some(call)) = (
            b.group.strip_prefix(DECODE_PREFIX),
            id.strip_prefix(CRITERION_PREFIX),
        ) else {
            return true;
        };
        let run = match bare.iter().position(|r| r.name == fixture) {
            Some(i) => &mut bare[i],
            None => {
                bare.push(BareRun {
                    name: fixture.to_string(),
                    rounds: 0,
                    times: Vec::new(),
                    steady: true,
                    at_defaults: Vec::new(),
                });
                bare.last_mut().expect("just pushed")
            }
        };
        match run.times.iter_mut().find(|t| t.call == call) {
            Some(t) => t.criterion_ns = Some(b.median_ns),
            None => run.times.push(BareTime {
                call: call.to_string(),
                median_ns: None,
                criterion_ns: Some(b.median_ns),
                error: None,
            }),
        }
        false
    });
}

/// Every criterion row of `fixtures` that the interleaved pass or the bare program also
/// timed, with its figures.
pub(super) fn check(
    fixtures: &[FixtureTable],
    interleaved: &[Interleaved],
    bare: &[BareRun],
) -> Vec<Agreement> {
    let mut out = Vec::new();
    for t in fixtures {
        let run = interleaved.iter().find(|r| r.name == t.fixture);
        let bare_run = bare.iter().find(|b| b.name == t.fixture);
        for r in t.rows.iter().filter(|r| r.kind.is_rust()) {
            let Some(criterion_ns) = r.median_ns else {
                continue;
            };
            if r.decoder == "floor" {
                continue;
            }
            let times = run.and_then(|run| run.job(&r.decoder));
            let call = crate::timing::bare::BARE_CALLS
                .contains(&r.decoder.as_str())
                .then_some(r.decoder.as_str());
            let bare_ns = call.zip(bare_run).and_then(|(c, b)| b.median_ns(c));
            if times.is_none() && bare_ns.is_none() {
                continue;
            }
            out.push(Agreement {
                fixture: t.fixture.clone(),
                decoder: r.decoder.clone(),
                criterion_ns,
                criterion_x: r.vs_floor,
                interleaved: times,
                interleaved_x: times.zip(run).map(|(j, run)| InterleavedRatio::of(j, run)),
                bare_ns,
                bare_criterion_ns: call.zip(bare_run).and_then(|(c, b)| b.criterion_ns(c)),
                bare_defaults_ns: call
                    .zip(bare_run)
                    .and_then(|(c, b)| b.defaults_median_ns(c)),
            });
        }
    }
    out
}

/// Per fixture, the median of criterion ÷ interleaved settled over its calls: how far the
/// host's speed moved, for every call alike, between criterion's group and the interleaved
/// pass.
fn fixture_shifts(rows: &[Agreement]) -> Vec<(&str, f64)> {
    let mut fixtures: Vec<&str> = rows.iter().map(|a| a.fixture.as_str()).collect();
    fixtures.dedup();
    fixtures
        .into_iter()
        .filter_map(|f| {
            let mut r: Vec<f64> = rows
                .iter()
                .filter(|a| a.fixture == f)
                .filter_map(Agreement::criterion_vs_interleaved)
                .collect();
            r.sort_by(f64::total_cmp);
            (!r.is_empty()).then(|| (f, crate::timing::percentile(&r, 0.5)))
        })
        .collect()
}

/// One paragraph over all of `rows`: how many pass each check, and which fail, each with
/// the figure that fails it (the seed frame's table gives every verdict in full).
pub(super) fn summary_line(rows: &[Agreement]) -> String {
    let bare: Vec<&Agreement> = rows.iter().filter(|a| a.bare_ok().is_some()).collect();
    let bare_ok = bare.iter().filter(|a| a.bare_ok() == Some(true)).count();
    let inter: Vec<&Agreement> = rows
        .iter()
        .filter(|a| a.interleaved_ok().is_some())
        .collect();
    let inter_ok = inter
        .iter()
        .filter(|a| a.interleaved_ok() == Some(true))
        .count();
    let mut s = format!(
        "Over every fixture: {bare_ok} of {} calls within {BARE_LIMIT}× of the bare program \
         (allocator held steady in both); criterion and the interleaved settled figure (the \
         last of {RUNS_PER_ROUND} runs in a row) agree within {INTERLEAVED_LIMIT}× for \
         {inter_ok} of {}.",
        bare.len(),
        inter.len()
    );
    let shifts = fixture_shifts(rows);
    let shift_of = |a: &Agreement| {
        shifts
            .iter()
            .find(|(f, _)| *f == a.fixture)
            .map(|(_, m)| *m)
    };
    let residual_ok = inter
        .iter()
        .filter(|a| {
            a.criterion_vs_interleaved()
                .zip(shift_of(a))
                .is_some_and(|(r, m)| within_interleaved(r / m))
        })
        .count();
    let _ = write!(
        s,
        " With each fixture's common shift taken out (the median of criterion ÷ interleaved over \
         its calls: the host ran at another speed while criterion timed that group than during \
         the interleaved pass, and every call moved alike), {residual_ok} of {} agree.",
        inter.len()
    );
    let moved: Vec<String> = shifts
        .iter()
        .filter(|(_, m)| !within_bare(*m))
        .map(|(f, m)| format!("{f} {}", fmt_ratio(*m)))
        .collect();
    if !moved.is_empty() {
        let _ = write!(
            s,
            " Fixtures whose calls all moved by more than {BARE_LIMIT}×: {}.",
            moved.join(", ")
        );
    }
    let failed: Vec<String> = rows
        .iter()
        .filter(|a| a.failed())
        .map(|a| {
            let mut why = Vec::new();
            if a.bare_ok() == Some(false) {
                let worst = a
                    .criterion_vs_bare()
                    .into_iter()
                    .chain(a.interleaved_vs_bare())
                    .filter(|x| !within_bare(*x))
                    .fold(
                        1.0,
                        |w: f64, x| if x.ln().abs() > w.ln().abs() { x } else { w },
                    );
                why.push(format!("{} bare", fmt_ratio(worst)));
            }
            if let Some(r) = a.criterion_vs_interleaved() {
                if !within_interleaved(r) {
                    let common = shift_of(a).map_or(String::new(), |m| {
                        format!(
                            " = the fixture's shift {} × {}",
                            fmt_ratio(m),
                            fmt_ratio(r / m)
                        )
                    });
                    why.push(format!("criterion ÷ interleaved {}{common}", fmt_ratio(r)));
                }
            }
            format!("{} on {} ({})", a.decoder, a.fixture, why.join(", "))
        })
        .collect();
    if failed.is_empty() {
        s.push_str(" No check failed.");
    } else {
        s.push_str(&format!(" Outside the limits: {}.", failed.join("; ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(criterion_x: f64, settled_x: f64, vs_bare: f64) -> Agreement {
        Agreement {
            fixture: "seed".into(),
            decoder: "zune".into(),
            criterion_ns: 1000.0 * vs_bare,
            criterion_x: Some(criterion_x),
            interleaved: Some(JobTimes {
                turn_ns: 2000.0,
                repeat_ns: Some(1500.0),
                settled_ns: Some(1000.0),
            }),
            interleaved_x: Some(InterleavedRatio {
                turn: settled_x * 1.5,
                repeat: Some(settled_x * 1.2),
                settled: Some(settled_x),
            }),
            bare_ns: Some(1000.0),
            bare_criterion_ns: Some(1000.0),
            bare_defaults_ns: None,
        }
    }

    #[test]
    fn checks_pass_fail_and_explain() {
        let ok = a(10.0, 9.0, 1.1);
        assert_eq!(
            (ok.bare_ok(), ok.interleaved_ok()),
            (Some(true), Some(true))
        );
        assert!(!ok.failed());
        let v = ok.verdict();
        assert!(
            v.contains("within 1.3×") && v.contains("agree (1.11×)"),
            "{v}"
        );
        assert!(v.contains("it takes 2.00× of its settled time"), "{v}");
        assert_eq!(ok.floor_ratios(), "10.0× / 13.5× / 10.8× / 9.00×");
        let slow = a(10.0, 10.0, 2.0);
        assert!(slow.failed() && slow.verdict().contains("harness costs"));
        let fast = a(10.0, 10.0, 0.5);
        assert!(
            fast.failed() && fast.verdict().contains("skips work"),
            "{}",
            fast.verdict()
        );
        let apart = a(10.0, 3.0, 1.0);
        assert!(apart.failed() && apart.verdict().contains("DISAGREE"));
        let mut defaults = a(10.0, 9.0, 1.0);
        defaults.bare_defaults_ns = Some(2000.0);
        assert!(
            defaults
                .verdict()
                .contains("defaults the bare call takes 2.00 µs settled (2.00× of held steady)"),
            "{}",
            defaults.verdict()
        );
        let line = summary_line(&[ok.clone(), apart.clone(), slow.clone()]);
        assert!(line.contains("taken out"), "{line}");
        assert!(line.contains("), 2 of 3 agree."), "{line}");
        // Every call of a fixture moved alike: the shift explains it, each call agrees.
        let moved: Vec<Agreement> = [a(20.0, 9.0, 1.0), a(22.0, 10.0, 1.0)].into();
        let all_moved = summary_line(&moved);
        assert!(
            all_moved.contains("), 2 of 2 agree.")
                && all_moved.contains("all moved by more than 1.3×: seed 2.22×"),
            "{all_moved}"
        );
        assert!(line.contains("2 of 3 calls within 1.3×"), "{line}");
        assert!(line.contains("agree within 1.5× for 2 of 3"), "{line}");
        assert!(
            line.contains(
                "Outside the limits: zune on seed (criterion ÷ interleaved 3.33× = the fixture's shift 1.11× × 3.00×)"
            ),
            "{line}"
        );
    }
}
