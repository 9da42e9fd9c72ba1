//! The agreement checks: the same call measured three ways in one run (criterion's loop, the
//! interleaved pass, the bare program) should give the same figure. A harness that adds work
//! shows as a ratio to the bare program above [`BARE_LIMIT`]; criterion's and the
//! interleaved ratios to the memcpy floor should agree within [`INTERLEAVED_LIMIT`], and
//! where they do not, the interleaved job repeated right after itself says whether the
//! cache state explains it.

use super::text::fmt_ratio;
use super::FixtureTable;
use crate::timing::bare::{BareRun, BARE_LIMIT};
use crate::timing::Interleaved;

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
    /// Interleaved, in turn ÷ the floor in turn.
    pub turn_x: Option<f64>,
    /// Interleaved, repeated ÷ the floor repeated.
    pub repeat_x: Option<f64>,
    /// Interleaved repeated median, nanoseconds (what `shmbmp bench` compares with bare).
    pub repeat_ns: Option<f64>,
    /// The bare program's median of single runs of the same call, nanoseconds.
    pub bare_ns: Option<f64>,
    /// The bare program's median of batch means (criterion's statistic), nanoseconds.
    pub bare_batch_ns: Option<f64>,
}

impl Agreement {
    /// Criterion's median ÷ the bare program's, each a median of batch means.
    pub fn criterion_vs_bare(&self) -> Option<f64> {
        self.bare_batch_ns
            .or(self.bare_ns)
            .map(|b| self.criterion_ns / b)
    }

    /// The interleaved repeated median ÷ the bare program's, each a median of single runs.
    pub fn interleaved_vs_bare(&self) -> Option<f64> {
        self.repeat_ns.zip(self.bare_ns).map(|(r, b)| r / b)
    }

    /// Whether both of ours are within [`BARE_LIMIT`] of the bare program, either way (when
    /// measured): slower means our harness adds work, faster that it skips some.
    pub fn bare_ok(&self) -> Option<bool> {
        let c = self.criterion_vs_bare()?;
        Some(within_bare(c) && self.interleaved_vs_bare().is_none_or(within_bare))
    }

    /// Criterion's ratio to the floor ÷ the interleaved in-turn one.
    pub fn criterion_vs_turn(&self) -> Option<f64> {
        self.criterion_x.zip(self.turn_x).map(|(c, t)| c / t)
    }

    /// Criterion's ratio to the floor ÷ the interleaved repeated one.
    pub fn criterion_vs_repeat(&self) -> Option<f64> {
        self.criterion_x.zip(self.repeat_x).map(|(c, r)| c / r)
    }

    /// Whether criterion's and the interleaved in-turn ratios agree within
    /// [`INTERLEAVED_LIMIT`] (when both exist).
    pub fn interleaved_ok(&self) -> Option<bool> {
        self.criterion_vs_turn().map(within_interleaved)
    }

    /// The checks in words, with the figures that support them.
    pub fn verdict(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = self.criterion_vs_bare() {
            let i = self
                .interleaved_vs_bare()
                .map(|i| format!(", interleaved {}", fmt_ratio(i)))
                .unwrap_or_default();
            let slower = c.max(self.interleaved_vs_bare().unwrap_or(c)) > BARE_LIMIT;
            let ok = match self.bare_ok() {
                Some(true) => format!("within {BARE_LIMIT}×"),
                _ if slower => format!(
                    "OUTSIDE {BARE_LIMIT}×: our harness costs this call more than its users pay"
                ),
                _ => format!(
                    "OUTSIDE {BARE_LIMIT}×: faster than the call alone, so either the harness skips work or the machine moved"
                ),
            };
            parts.push(format!("bare call: criterion {}{i}, {ok}", fmt_ratio(c)));
        }
        if let Some(t) = self.criterion_vs_turn() {
            let repeat = self.criterion_vs_repeat();
            parts.push(match (within_interleaved(t), repeat) {
                (true, _) => format!("criterion and interleaved agree ({})", fmt_ratio(t)),
                (false, Some(r)) if within_interleaved(r) => format!(
                    "criterion ÷ interleaved in turn {}: cache state, since repeated right after itself it agrees ({})",
                    fmt_ratio(t),
                    fmt_ratio(r)
                ),
                (false, Some(r)) => format!(
                    "criterion ÷ interleaved in turn {}, repeated {}: they DISAGREE",
                    fmt_ratio(t),
                    fmt_ratio(r)
                ),
                (false, None) => format!(
                    "criterion ÷ interleaved in turn {}: they DISAGREE",
                    fmt_ratio(t)
                ),
            });
        }
        parts.join("; ")
    }

    /// Whether any check failed without an explanation: a bare ratio past its limit, or
    /// criterion and interleaved apart even when repeated.
    pub fn failed(&self) -> bool {
        let interleaved_failed = self.interleaved_ok() == Some(false)
            && !self.criterion_vs_repeat().is_some_and(within_interleaved);
        self.bare_ok() == Some(false) || interleaved_failed
    }
}

fn within_bare(x: f64) -> bool {
    (1.0 / BARE_LIMIT..=BARE_LIMIT).contains(&x)
}

fn within_interleaved(x: f64) -> bool {
    (1.0 / INTERLEAVED_LIMIT..=INTERLEAVED_LIMIT).contains(&x)
}

/// Where `decoder` (a criterion row) appears in the interleaved pass and the bare program:
/// ours as `<name>` decoding into a reused buffer (`<name>_into`), a peer under its own name,
/// its conversion as `to_rgba`. Returns (turn, repeat) medians and the bare call's name.
fn counterparts<'a>(
    decoder: &'a str,
    run: Option<&Interleaved>,
) -> (Option<(f64, Option<f64>)>, Option<&'a str>) {
    let bare_call = crate::timing::bare::BARE_CALLS
        .contains(&decoder)
        .then_some(decoder);
    let Some(run) = run else {
        return (None, bare_call);
    };
    let times = if decoder == "fill" {
        run.fill_ns.map(|t| (t, run.fill_repeat_ns))
    } else if let Some(peer) = decoder.strip_suffix("_to_rgba") {
        run.decoder(peer)
            .and_then(|d| d.to_rgba_ns.map(|t| (t, d.to_rgba_repeat_ns)))
    } else {
        let ours = decoder.strip_suffix("_into");
        run.decoders
            .iter()
            .find(|d| match ours {
                Some(base) => d.native.is_none() && d.decoder == base,
                None => d.native.is_some() && d.decoder == decoder,
            })
            .and_then(|d| d.median_ns.map(|t| (t, d.repeat_ns)))
    };
    (times, bare_call)
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
            let (times, call) = counterparts(&r.decoder, run);
            let bare_ns = call.zip(bare_run).and_then(|(c, b)| b.median_ns(c));
            let bare_batch_ns = call.zip(bare_run).and_then(|(c, b)| b.batch_ns(c));
            if times.is_none() && bare_ns.is_none() {
                continue;
            }
            let floor_repeat = run.and_then(|r| r.floor_repeat_ns);
            out.push(Agreement {
                fixture: t.fixture.clone(),
                decoder: r.decoder.clone(),
                criterion_ns,
                criterion_x: r.vs_floor,
                turn_x: times.zip(run).map(|((t, _), run)| t / run.floor_ns),
                repeat_x: times
                    .and_then(|(_, rep)| rep)
                    .zip(floor_repeat)
                    .map(|(r, f)| r / f),
                repeat_ns: times.and_then(|(_, rep)| rep),
                bare_ns,
                bare_batch_ns,
            });
        }
    }
    out
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
    let explained = inter
        .iter()
        .filter(|a| a.interleaved_ok() == Some(false) && !a.failed())
        .count();
    let mut s = format!(
        "Over every fixture: {bare_ok} of {} calls within {BARE_LIMIT}× of the bare program; \
         criterion and interleaved agree within {INTERLEAVED_LIMIT}× for {inter_ok} of {}, \
         and for {explained} more once the interleaved job is repeated right after itself.",
        bare.len(),
        inter.len()
    );
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
            if let Some(r) = a.criterion_vs_repeat().or(a.criterion_vs_turn()) {
                if !within_interleaved(r) {
                    why.push(format!("criterion ÷ interleaved {}", fmt_ratio(r)));
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

    fn a(criterion_x: f64, turn_x: f64, repeat_x: f64, vs_bare: f64) -> Agreement {
        Agreement {
            fixture: "seed".into(),
            decoder: "zune".into(),
            criterion_ns: 1000.0 * vs_bare,
            criterion_x: Some(criterion_x),
            turn_x: Some(turn_x),
            repeat_x: Some(repeat_x),
            repeat_ns: Some(1000.0),
            bare_ns: Some(1000.0),
            bare_batch_ns: None,
        }
    }

    #[test]
    fn checks_pass_fail_and_explain() {
        let ok = a(10.0, 9.0, 10.0, 1.1);
        assert_eq!(
            (ok.bare_ok(), ok.interleaved_ok()),
            (Some(true), Some(true))
        );
        assert!(!ok.failed());
        assert!(ok.verdict().contains("within 1.3×"), "{}", ok.verdict());
        let cache = a(0.66, 1.02, 0.7, 1.0);
        assert_eq!(cache.interleaved_ok(), Some(false));
        assert!(!cache.failed(), "explained by the repeated run");
        assert!(
            cache.verdict().contains("cache state"),
            "{}",
            cache.verdict()
        );
        let slow = a(10.0, 10.0, 10.0, 2.0);
        assert!(slow.failed() && slow.verdict().contains("harness costs"));
        let fast = a(10.0, 10.0, 10.0, 0.5);
        assert!(
            fast.failed() && fast.verdict().contains("skips work"),
            "{}",
            fast.verdict()
        );
        let apart = a(10.0, 3.0, 3.0, 1.0);
        assert!(apart.failed() && apart.verdict().contains("DISAGREE"));
        let line = summary_line(&[ok, cache, slow]);
        assert!(line.contains("2 of 3 calls within 1.3×"), "{line}");
        assert!(line.contains("for 2 of 3, and for 1 more"), "{line}");
        assert!(
            line.contains("Outside the limits: zune on seed (2.00× bare)"),
            "{line}"
        );
    }
}
