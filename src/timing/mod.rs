//! Drift-proof timing: the floors and every decoder run round by round, one of each per
//! round, so a machine whose speed moves during the run (a shared virtual machine whose
//! neighbours come and go) slows them all alike and the ratios between them hold.
//!
//! Used by `shmbmp bench` and by `cargo bench` (the interleaved columns in `reports/`).
//!
//! Every job runs [`RUNS_PER_ROUND`] times in a row each round. The first run finds the
//! caches as the other jobs left them ("in turn"), the second runs right after itself
//! ("repeated"), the last after as many ("settled": criterion's loop runs a job thousands of
//! times back to back, and that is the figure it should agree with). The in-turn figures
//! favour decoders that read less than the memcpy floor does (it reads its whole output
//! size, an 8-bit decode a quarter of that).
//!
//! Peers are timed as their users call them ([`Peer::call`], ending in the crate's own
//! output), and the conversion of that output to canonical RGBA as a job of its own.
//! Every path holds the allocator steady first ([`alloc::hold_steady`]).

pub mod alloc;
pub mod bare;
mod floor;
pub mod handed_over;
pub mod host_tail;
pub mod layouts;
mod text;

pub use floor::{memcpy_floor, write_floor, FloorBuffer};

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use bare::{Bare, BareRun};

use crate::decode::{kernel_levels, Native, Peer};
use crate::{registry, Decoder, Error, Kernels, Layout, Limits};

/// The decoders a full timing compares: the registry, then `lut` on each kernel level below
/// the one it picks on this CPU (`lut_scalar`, `lut_avx2`), to show what each level buys.
pub fn compared_decoders() -> Vec<&'static dyn Decoder> {
    let picked = Kernels::detect().lut_name();
    let lower = kernel_levels().take_while(|d| d.name() != picked);
    registry().iter().copied().chain(lower).collect()
}

/// Runs of each job back to back in a round: the first is "in turn", the second
/// "repeated", the last "settled".
///
/// Chosen from the warm-up measured here (Zen 3 VM, seed frame, 7.68 MB of output; medians
/// of 25 rounds, each job's k-th run after 40 MB of other writes): the memcpy floor took
/// 981, 642, 411, 356, 313, 303 µs in its first six runs and 263–302 µs from its 10th to its
/// 40th; the write floor 565, 232, 151, 135, 129, 128 µs, then 124–136; `lut_into` 812, 588,
/// 496, 480, 441, 438 µs, then 432–485. The sixth run is within about 10% of where a job
/// settles.
pub const RUNS_PER_ROUND: usize = 6;

/// A job's medians, nanoseconds: in its turn, repeated right after itself, and settled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Medians {
    /// First run of each round, after every other job's.
    pub turn_ns: f64,
    /// Second run of each round, right after the first.
    pub repeat_ns: f64,
    /// Last run of each round ([`RUNS_PER_ROUND`] in a row): the job warmed up.
    pub settled_ns: f64,
}

/// The `p` quantile (0 ≤ p ≤ 1) of `sorted`, ascending: the value at the nearest rank
/// `round((n - 1) · p)` (`p = 0.5` is the upper median of an even count); NaN when empty.
/// The one percentile every timing, handoff and CLI figure uses.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let last = sorted.len().max(1) - 1;
    sorted
        .get((last as f64 * p).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

/// One job of the interleaved pass: runs once, and returns the time it took when it timed
/// itself (a run in another process, [`bare::BareServer`]); `None` and the pass times it.
pub type Job<'a> = Box<dyn FnMut() -> Option<Duration> + 'a>;

/// Medians of each of `jobs` after one warm-up run of each; the timed runs are `rounds`
/// rounds in which every job, in order, runs [`RUNS_PER_ROUND`] times in a row (see
/// [`Medians`]).
pub fn interleaved_medians(rounds: usize, jobs: &mut [Box<dyn FnMut() + '_>]) -> Vec<Medians> {
    let mut jobs: Vec<Job<'_>> = jobs
        .iter_mut()
        .map(|job| {
            Box::new(move || {
                job();
                None
            }) as Job<'_>
        })
        .collect();
    job_medians(rounds, &mut jobs)
}

/// [`interleaved_medians`] of jobs that may time themselves ([`Job`]).
pub fn job_medians(rounds: usize, jobs: &mut [Job<'_>]) -> Vec<Medians> {
    let rounds = rounds.max(1);
    let mut times = vec![[(); RUNS_PER_ROUND].map(|_| Vec::with_capacity(rounds)); jobs.len()];
    for job in jobs.iter_mut() {
        job();
    }
    for _ in 0..rounds {
        for (job, t) in jobs.iter_mut().zip(&mut times) {
            for slot in t.iter_mut() {
                let start = Instant::now();
                let own = job();
                let took = own.unwrap_or_else(|| start.elapsed());
                slot.push(took.as_nanos() as f64);
            }
        }
    }
    let median = |t: &mut Vec<f64>| {
        t.sort_by(f64::total_cmp);
        percentile(t, 0.5)
    };
    times
        .iter_mut()
        .map(|runs| Medians {
            turn_ns: median(&mut runs[0]),
            repeat_ns: median(&mut runs[1]),
            settled_ns: median(&mut runs[RUNS_PER_ROUND - 1]),
        })
        .collect()
}

/// One decoder's result in an [`Interleaved`] measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecoderTime {
    /// Registry name.
    pub decoder: String,
    /// Median in turn, nanoseconds: ours `decode_into` a reused buffer, a peer its crate's
    /// own call ([`Peer::call`]); `None` when it failed.
    pub median_ns: Option<f64>,
    /// Median repeated right after itself.
    #[serde(default)]
    pub repeat_ns: Option<f64>,
    /// Median settled, the last of [`RUNS_PER_ROUND`] runs in a row.
    #[serde(default)]
    pub settled_ns: Option<f64>,
    /// A peer's own output format ([`Native::format`]); `None` for ours (canonical RGBA).
    #[serde(default)]
    pub native: Option<String>,
    /// A peer whose output is not RGBA: its conversion to RGBA alone, in turn.
    #[serde(default)]
    pub to_rgba_ns: Option<f64>,
    /// The conversion repeated right after itself.
    #[serde(default)]
    pub to_rgba_repeat_ns: Option<f64>,
    /// The conversion settled.
    #[serde(default)]
    pub to_rgba_settled_ns: Option<f64>,
    /// Why it was not timed.
    pub error: Option<String>,
}

/// The floors and decoders on one BMP, timed interleaved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interleaved {
    /// Fixture or file name.
    pub name: String,
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Bytes of RGBA output.
    pub rgba_bytes: u64,
    /// Timed rounds.
    pub rounds: usize,
    /// The memcpy floor ([`memcpy_floor`]) in turn, nanoseconds.
    pub floor_ns: f64,
    /// The memcpy floor repeated.
    #[serde(default)]
    pub floor_repeat_ns: Option<f64>,
    /// The memcpy floor settled.
    #[serde(default)]
    pub floor_settled_ns: Option<f64>,
    /// The write floor ([`write_floor`]) in turn.
    #[serde(default)]
    pub fill_ns: Option<f64>,
    /// The write floor repeated.
    #[serde(default)]
    pub fill_repeat_ns: Option<f64>,
    /// The write floor settled.
    #[serde(default)]
    pub fill_settled_ns: Option<f64>,
    /// What was done to the allocator ([`alloc::hold_steady`]).
    #[serde(default)]
    pub allocator: Option<String>,
    /// Every decoder asked for, in the order given.
    pub decoders: Vec<DecoderTime>,
}

/// One job's medians as recorded, nanoseconds (files from before a figure was recorded lack
/// it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobTimes {
    /// In turn.
    pub turn_ns: f64,
    /// Repeated right after itself.
    pub repeat_ns: Option<f64>,
    /// Settled ([`RUNS_PER_ROUND`] runs in a row).
    pub settled_ns: Option<f64>,
}

impl JobTimes {
    /// The medians as recorded, when the job was timed at all (`turn_ns`).
    fn recorded(
        turn_ns: Option<f64>,
        repeat_ns: Option<f64>,
        settled_ns: Option<f64>,
    ) -> Option<JobTimes> {
        turn_ns.map(|turn_ns| JobTimes {
            turn_ns,
            repeat_ns,
            settled_ns,
        })
    }

    /// Each of `self`'s medians ÷ the same of `floor`.
    pub fn over(&self, floor: &JobTimes) -> JobTimes {
        let div = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a / b);
        JobTimes {
            turn_ns: self.turn_ns / floor.turn_ns,
            repeat_ns: div(self.repeat_ns, floor.repeat_ns),
            settled_ns: div(self.settled_ns, floor.settled_ns),
        }
    }
}

impl DecoderTime {
    /// Its own call's medians, if it was timed.
    pub fn times(&self) -> Option<JobTimes> {
        JobTimes::recorded(self.median_ns, self.repeat_ns, self.settled_ns)
    }

    /// Its conversion to RGBA's medians, if it had one.
    pub fn to_rgba_times(&self) -> Option<JobTimes> {
        JobTimes::recorded(
            self.to_rgba_ns,
            self.to_rgba_repeat_ns,
            self.to_rgba_settled_ns,
        )
    }
}

impl Interleaved {
    /// The memcpy floor's medians.
    pub fn floor(&self) -> JobTimes {
        JobTimes {
            turn_ns: self.floor_ns,
            repeat_ns: self.floor_repeat_ns,
            settled_ns: self.floor_settled_ns,
        }
    }

    /// The write floor's medians, if recorded.
    pub fn fill(&self) -> Option<JobTimes> {
        JobTimes::recorded(self.fill_ns, self.fill_repeat_ns, self.fill_settled_ns)
    }

    /// The job that corresponds to a criterion row of the decode matrix: `floor`, `fill`,
    /// ours as `<name>_into` (the interleaved pass runs `decode_into` a reused buffer), a
    /// peer's own call under its name, its conversion as `<peer>_to_rgba`.
    pub fn job(&self, row: &str) -> Option<JobTimes> {
        match row {
            "floor" => Some(self.floor()),
            "fill" => self.fill(),
            _ => {
                if let Some(peer) = row.strip_suffix("_to_rgba") {
                    return self.decoder(peer)?.to_rgba_times();
                }
                let ours = row.strip_suffix("_into");
                self.decoders
                    .iter()
                    .find(|d| match ours {
                        Some(base) => d.native.is_none() && d.decoder == base,
                        None => d.native.is_some() && d.decoder == row,
                    })?
                    .times()
            }
        }
    }

    /// The result for `decoder`, if it was asked for.
    pub fn decoder(&self, decoder: &str) -> Option<&DecoderTime> {
        self.decoders.iter().find(|d| d.decoder == decoder)
    }

    /// The in-turn median of `decoder`, if it was timed.
    pub fn median_ns(&self, decoder: &str) -> Option<f64> {
        self.decoder(decoder).and_then(|d| d.median_ns)
    }
}

/// What an untimed first call left for a decoder's timed jobs.
enum Prepared<'a> {
    /// Ours: a buffer of the right size to decode into.
    Ours(Vec<u8>),
    /// A peer, with one output of its own (for the conversion job) and a buffer for RGBA.
    Peer(&'a dyn Peer, Native, Vec<u8>),
}

/// Times the floors and each of `decoders` on `bmp`, interleaved over `rounds` rounds, after
/// holding the allocator steady. Ours run `decode_into` a reused buffer; peers their crate's
/// own call, and the conversion of its output to RGBA as a job of its own when that output
/// is not RGBA. Decoders that fail on `bmp` are listed with their error, not timed; an error
/// here means the header itself was refused.
pub fn interleave_decoders(
    name: &str,
    bmp: &[u8],
    decoders: &[&dyn Decoder],
    limits: &Limits,
    rounds: usize,
) -> Result<Interleaved, Error> {
    interleave_beside_bare(name, bmp, decoders, limits, rounds, None).map(|(t, _)| t)
}

/// [`interleave_decoders`], and with `bare`, the bare program's calls ([`Bare::served`], held
/// steady and at the allocator's defaults) as jobs of the same rounds, timed by the program
/// itself: their settled medians as a [`BareRun`], measured in the same seconds as ours.
pub fn interleave_beside_bare(
    name: &str,
    bmp: &[u8],
    decoders: &[&dyn Decoder],
    limits: &Limits,
    rounds: usize,
    mut bare: Option<&mut Bare>,
) -> Result<(Interleaved, Option<BareRun>), Error> {
    let allocator = alloc::hold_steady().to_string();
    let layout = Layout::parse(bmp, limits)?;
    let len = layout.output_len();
    let (src, mut dst) = (FloorBuffer::new(len, 0x5a), FloorBuffer::new(len, 0));
    let mut fill = FloorBuffer::new(len, 0);
    // One untimed call each: who fails is listed, not timed.
    let mut prepared: Vec<Result<Prepared, String>> = decoders
        .iter()
        .map(|d| match d.peer() {
            None => {
                let mut out = Vec::new();
                d.decode_into(bmp, limits, &mut out)
                    .map(|_| Prepared::Ours(out))
                    .map_err(|e| e.to_string())
            }
            Some(p) => p
                .call(bmp, limits)
                .map(|n| Prepared::Peer(p, n, Vec::new()))
                .map_err(|e| e.to_string()),
        })
        .collect();
    let served = bare.as_ref().map(|b| b.served()).unwrap_or_default();
    let medians = {
        // Declared before the jobs that borrow them, so that they outlive the jobs.
        let servers = bare.as_mut().map(|b| {
            let b = &mut **b;
            [b.steady.as_mut(), Some(&mut b.defaults)].map(|s| s.map(RefCell::new))
        });
        let mut jobs: Vec<Job<'_>> = vec![
            Box::new(|| {
                memcpy_floor(&src, &mut dst);
                None
            }),
            Box::new(|| {
                write_floor(&mut fill);
                None
            }),
        ];
        for (d, p) in decoders.iter().zip(&mut prepared) {
            match p {
                Err(_) => {}
                Ok(Prepared::Ours(out)) => jobs.push(Box::new(move || {
                    let _ = black_box(d.decode_into(black_box(bmp), limits, out));
                    None
                })),
                Ok(Prepared::Peer(peer, native, out)) => {
                    let peer = *peer;
                    jobs.push(Box::new(move || {
                        let _ = black_box(peer.call(black_box(bmp), limits));
                        None
                    }));
                    if !native.is_rgba() {
                        let native = &*native;
                        jobs.push(Box::new(move || {
                            black_box(native.write_rgba(out));
                            None
                        }));
                    }
                }
            }
        }
        for server in servers.iter().flatten().flatten() {
            for &call in &served {
                jobs.push(Box::new(move || Some(server.borrow_mut().time(call, 1))));
            }
        }
        job_medians(rounds, &mut jobs)
    };
    let mut m = medians.into_iter();
    let (floor, fill_m) = (m.next(), m.next());
    let decoders = decoders
        .iter()
        .zip(prepared)
        .map(|(d, p)| {
            let mut t = DecoderTime {
                decoder: d.name().to_string(),
                median_ns: None,
                repeat_ns: None,
                settled_ns: None,
                native: None,
                to_rgba_ns: None,
                to_rgba_repeat_ns: None,
                to_rgba_settled_ns: None,
                error: None,
            };
            match p {
                Err(e) => t.error = Some(e),
                Ok(p) => {
                    let main = m.next();
                    t.median_ns = main.map(|x| x.turn_ns);
                    t.repeat_ns = main.map(|x| x.repeat_ns);
                    t.settled_ns = main.map(|x| x.settled_ns);
                    if let Prepared::Peer(_, native, _) = p {
                        t.native = Some(native.format().to_string());
                        if !native.is_rgba() {
                            let conv = m.next();
                            t.to_rgba_ns = conv.map(|x| x.turn_ns);
                            t.to_rgba_repeat_ns = conv.map(|x| x.repeat_ns);
                            t.to_rgba_settled_ns = conv.map(|x| x.settled_ns);
                        }
                    }
                }
            }
            t
        })
        .collect();
    let bare_run = bare.map(|b| {
        let steady: Vec<Medians> = match b.steady {
            Some(_) => m.by_ref().take(served.len()).collect(),
            None => Vec::new(),
        };
        let defaults: Vec<Medians> = m.by_ref().take(served.len()).collect();
        b.run(name, rounds, &steady, &defaults)
    });
    let t = Interleaved {
        name: name.to_string(),
        width: layout.width,
        height: layout.height,
        rgba_bytes: len as u64,
        rounds: rounds.max(1),
        floor_ns: floor.map_or(f64::NAN, |x| x.turn_ns),
        floor_repeat_ns: floor.map(|x| x.repeat_ns),
        floor_settled_ns: floor.map(|x| x.settled_ns),
        fill_ns: fill_m.map(|x| x.turn_ns),
        fill_repeat_ns: fill_m.map(|x| x.repeat_ns),
        fill_settled_ns: fill_m.map(|x| x.settled_ns),
        allocator: Some(allocator),
        decoders,
    };
    Ok((t, bare_run))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn jobs_warm_up_once_then_run_in_a_row_each_round() {
        let log = RefCell::new(String::new());
        let mut jobs: Vec<Box<dyn FnMut() + '_>> = vec![
            Box::new(|| log.borrow_mut().push('a')),
            Box::new(|| {
                log.borrow_mut().push('b');
                std::thread::sleep(std::time::Duration::from_millis(2));
            }),
        ];
        let medians = interleaved_medians(3, &mut jobs);
        drop(jobs);
        let round = "a".repeat(RUNS_PER_ROUND) + &"b".repeat(RUNS_PER_ROUND);
        assert_eq!(log.into_inner(), format!("ab{}", round.repeat(3)));
        assert_eq!(medians.len(), 2);
        let b = medians[1];
        assert!(b.turn_ns >= 2e6 && b.repeat_ns >= 2e6 && b.settled_ns >= 2e6);
        assert!(medians[0].turn_ns < medians[1].turn_ns, "{medians:?}");
    }

    #[test]
    fn failing_decoders_are_listed_not_timed() {
        // A 16-bit file: every decoder of ours decodes it; the `bmp` crate refuses it.
        let bmp = crate::encode::encode(&crate::encode::fixture("rgb16_565").unwrap().spec);
        let decoders: Vec<&dyn Decoder> = vec![&crate::Lut::AUTO, &crate::BmpCrate];
        let t = interleave_decoders("x", &bmp, &decoders, &Limits::default(), 2).unwrap();
        assert_eq!(t.rgba_bytes, u64::from(t.width * t.height * 4));
        assert!(t.floor_ns > 0.0 && t.fill_ns.is_some_and(|f| f > 0.0));
        assert!(t.median_ns("lut").is_some_and(|m| m > 0.0));
        let bmp_crate = &t.decoders[1];
        assert_eq!(bmp_crate.decoder, "bmp");
        assert!(bmp_crate.median_ns.is_none() && bmp_crate.error.is_some());
        assert!(interleave_decoders("x", b"BM", &decoders, &Limits::default(), 1).is_err());
    }

    #[test]
    fn peers_are_timed_as_called_and_their_conversion_apart() {
        let bmp = crate::encode::seed_frame();
        let decoders: Vec<&dyn Decoder> = vec![&crate::ImageCrate, &crate::Zune];
        let t = interleave_decoders("seed", &bmp, &decoders, &Limits::default(), 1).unwrap();
        let image = t.decoder("image").unwrap();
        assert_eq!(image.native.as_deref(), Some("RGBA8"));
        assert!(image.median_ns.is_some() && image.to_rgba_ns.is_none());
        let zune = t.decoder("zune").unwrap();
        assert_eq!(zune.native.as_deref(), Some("RGB8"));
        assert!(zune.median_ns.is_some() && zune.to_rgba_ns.is_some());
    }
}
