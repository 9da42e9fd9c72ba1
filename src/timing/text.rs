//! [`Interleaved`] as the plain-text table `shmbmp bench` prints.

use std::fmt::Write as _;

use super::bare::{bare_call_of_interleaved, BareRun, BARE_LIMIT};
use super::{Interleaved, JobTimes, RUNS_PER_ROUND};
use crate::report::fmt_ns;

/// One printed line: what was timed, its medians, and its bare counterpart's name.
struct Line {
    what: String,
    times: Option<JobTimes>,
    bare: Option<&'static str>,
    error: Option<String>,
}

impl Interleaved {
    /// The table `shmbmp bench` prints for this file: both floors, every decoder (a peer's
    /// own call, then its conversion to RGBA on a line of its own), medians in turn and
    /// repeated, GB/s and ratios of the in-turn medians; with `bare`, the bare program's
    /// median for each call and the repeated median ÷ it, flagged past [`BARE_LIMIT`].
    pub fn table(&self, bare: Option<&BareRun>) -> String {
        let mut lines = vec![
            Line {
                what: "memcpy floor".into(),
                times: Some(self.floor()),
                bare: None,
                error: None,
            },
            Line {
                what: "write floor (fill once)".into(),
                times: self.fill(),
                bare: None,
                error: None,
            },
        ];
        for d in &self.decoders {
            let what = match &d.native {
                Some(format) => format!("{} (its call, {format})", d.decoder),
                None => format!("{} (decode_into)", d.decoder),
            };
            lines.push(Line {
                what,
                times: d.times(),
                bare: bare_call_of_interleaved(&d.decoder),
                error: d.error.clone(),
            });
            if d.to_rgba_ns.is_some() {
                lines.push(Line {
                    what: format!(
                        "  {} → RGBA (ours)",
                        d.native.as_deref().unwrap_or(&d.decoder)
                    ),
                    times: d.to_rgba_times(),
                    bare: None,
                    error: None,
                });
            }
        }
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{}: {}x{}, {} bytes of RGBA, medians of {} interleaved round{} (in turn; repeated right after itself; settled, the last of {RUNS_PER_ROUND} in a row); GB/s and ratios of the in-turn medians",
            self.name,
            self.width,
            self.height,
            self.rgba_bytes,
            self.rounds,
            if self.rounds == 1 { "" } else { "s" }
        );
        let _ = write!(
            o,
            "  {:<30} {:>9} {:>9} {:>9} {:>7} {:>8} {:>8} {:>7}",
            "what", "in turn", "repeated", "settled", "GB/s", "× memcpy", "× write", "× lut"
        );
        if bare.is_some() {
            let _ = write!(
                o,
                " {:>9} {:>14} {:>13}",
                "bare", "settled ÷ bare", "bare defaults"
            );
        }
        o.push('\n');
        let lut = self.median_ns("lut");
        let ratio = |x: f64, of: Option<f64>| of.map_or("-".into(), |f| format!("{:.2}", x / f));
        let mut outside = Vec::new();
        for l in &lines {
            let Some(JobTimes {
                turn_ns: turn,
                repeat_ns,
                settled_ns,
            }) = l.times
            else {
                let _ = writeln!(o, "  {:<30} {}", l.what, l.error.as_deref().unwrap_or("-"));
                continue;
            };
            let _ = write!(
                o,
                "  {:<30} {:>9} {:>9} {:>9} {:>7.2} {:>8} {:>8} {:>7}",
                l.what,
                fmt_ns(turn),
                repeat_ns.map_or("-".into(), fmt_ns),
                settled_ns.map_or("-".into(), fmt_ns),
                self.rgba_bytes as f64 / turn,
                ratio(turn, Some(self.floor_ns)),
                ratio(turn, self.fill_ns),
                ratio(turn, lut),
            );
            if let Some(run) = bare {
                let b = l.bare.and_then(|c| run.median_ns(c));
                let vs = settled_ns.zip(b).map(|(r, b)| r / b);
                let flag = match vs {
                    Some(v) if !(1.0 / BARE_LIMIT..=BARE_LIMIT).contains(&v) => {
                        outside.push(format!("{} {v:.2}×", l.what));
                        " !"
                    }
                    _ => "",
                };
                let _ = write!(
                    o,
                    " {:>9} {:>14} {:>13}",
                    b.map_or("-".into(), fmt_ns),
                    vs.map_or("-".into(), |v| format!("{v:.2}{flag}")),
                    l.bare
                        .and_then(|c| run.defaults_median_ns(c))
                        .map_or("-".into(), fmt_ns)
                );
            }
            o.push('\n');
        }
        if let Some(run) = bare {
            let _ = writeln!(
                o,
                "  bare: shmbmp-bare called each crate directly in a process of its own, its runs taken in the same {} round{} as ours (settled medians), {}; {}",
                run.rounds,
                if run.rounds == 1 { "" } else { "s" },
                if run.steady {
                    "the allocator held steady as here (and again at its defaults: the last column)"
                } else {
                    "the allocator at its defaults"
                },
                if outside.is_empty() {
                    format!("every call within {BARE_LIMIT}× of it")
                } else {
                    format!("more than {BARE_LIMIT}× apart from it: {}", outside.join(", "))
                }
            );
        }
        if let Some(a) = &self.allocator {
            let _ = writeln!(o, "  allocator: {a}");
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::super::bare::BareTime;
    use super::super::DecoderTime;
    use super::*;

    #[test]
    fn peers_conversions_and_bare_ratios_are_printed_apart() {
        let t = Interleaved {
            name: "f.bmp".into(),
            width: 2,
            height: 1,
            rgba_bytes: 8,
            rounds: 3,
            floor_ns: 100.0,
            floor_repeat_ns: Some(90.0),
            floor_settled_ns: Some(85.0),
            fill_ns: Some(50.0),
            fill_repeat_ns: Some(40.0),
            fill_settled_ns: Some(35.0),
            allocator: Some("held".into()),
            decoders: vec![DecoderTime {
                decoder: "zune".into(),
                median_ns: Some(400.0),
                repeat_ns: Some(320.0),
                settled_ns: Some(300.0),
                native: Some("RGB8".into()),
                to_rgba_ns: Some(200.0),
                to_rgba_repeat_ns: Some(150.0),
                to_rgba_settled_ns: Some(140.0),
                error: None,
            }],
        };
        let bare = BareRun {
            name: "f.bmp".into(),
            rounds: 5,
            times: vec![BareTime {
                call: "zune".into(),
                median_ns: Some(200.0),
                criterion_ns: None,
                error: None,
            }],
            steady: true,
            at_defaults: Vec::new(),
        };
        let text = t.table(Some(&bare));
        assert!(text.contains("zune (its call, RGB8)"), "{text}");
        assert!(text.contains("RGB8 → RGBA (ours)"), "{text}");
        assert!(text.contains("1.50 !"), "{text}");
        assert!(
            text.contains("more than 1.3× apart from it: zune"),
            "{text}"
        );
        assert!(text.contains("allocator: held"), "{text}");
        assert!(!t.table(None).contains("bare"));
    }
}
