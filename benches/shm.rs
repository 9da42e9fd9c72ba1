//! Shared-memory handoff of 1600×1200 8-bit frames (the seed frame).
//!
//! - In process (criterion, `shm/seed/...`): publishing, copying a frame out, copying out and
//!   decoding with `lut` (protocol 1's only way), decoding from the slot where it lies, and
//!   `lut` decoding from a plain buffer (the reference).
//! - Across processes: a `shmbmp write` process at 60 frames/s and flat out (and flat out
//!   but paced by its reader, `write --paced`: no faster than frames are taken), read by one
//!   reader polling and copying out (the old way) and by one reader woken and decoding in
//!   place (the new way) with `lut` on one thread, on two, and the readers' default (two for
//!   a frame it waited for, one for a frame already there: what the targets judge), then by
//!   four readers at once (one thread each); and the two ways without decoding,
//!   to show what waiting alone costs. Per reader: latency from publication to RGBA (p50,
//!   p99, max), decode time (p50), frames/s, its thread's CPU and context switches per
//!   second, from `/proc/thread-self` (Linux).
//! - Tails without the handoff: right after the 60 frames/s reader, an arithmetic job as long
//!   as its decode, then its decode of a private copy of the frame, each 60 times a second
//!   for as long (`timing::host_tail`), to read its p99 beside.
//! - The yardsticks (`lut` on the seed in this process, as `shmbmp bench` times it, back to
//!   back, and on a copy another CPU had just written) before the first row and after each:
//!   the targets take their medians.
//!
//! Results: criterion's `shm/...` groups; the handoff rows in `target/shm-handoff.json` (for
//! `reports/`) and, with CPU and context switches, on stderr.

mod support;

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use shmbmp_suite::report::{
    HandoffFile, HandoffRow, HostTail, Yardstick, NO_DECODE, READERS_DEFAULT,
};
use shmbmp_suite::shm::{now_ns, Reader, ShmError, Writer};
use shmbmp_suite::timing::{handed_over, host_tail, interleave_decoders, percentile};
use shmbmp_suite::{by_name, encode, Decode, Limits, Lut, Threads};

fn region_name(tag: &str) -> String {
    format!("shmbmp-bench-{tag}-{}", std::process::id())
}

fn in_process(c: &mut Criterion) {
    let seed = encode::seed_frame();
    let name = region_name("inproc");
    let _ = std::fs::remove_file(format!("/dev/shm/{name}"));
    let mut writer = Writer::create(&name, 4, seed.len() as u64).expect("create region");
    writer.publish(&seed).expect("publish");
    let mut reader = Reader::open(&name).expect("open region");
    let mut copier = Reader::open(&name).expect("open region").copying();
    let limits = Limits::default();
    let (mut bmp, mut rgba) = (Vec::new(), Vec::new());
    let mut group = c.benchmark_group("shm/seed");
    group.throughput(Throughput::Bytes(seed.len() as u64));
    support::configure(&mut group);
    group.bench_function("publish", |b| {
        b.iter(|| writer.publish(black_box(&seed)).unwrap())
    });
    group.bench_function("copy_out", |b| b.iter(|| copier.latest(&mut bmp).unwrap()));
    group.bench_function("copy_out_and_decode_lut", |b| {
        b.iter(|| {
            copier.latest(&mut bmp).unwrap();
            Lut::AUTO.decode_into(&bmp, &limits, &mut rgba).unwrap()
        })
    });
    group.bench_function("decode_from_slot_lut", |b| {
        b.iter(|| {
            let (info, dims) = reader
                .latest_with(|bmp| Lut::AUTO.decode_into(bmp, &limits, &mut rgba))
                .unwrap();
            assert!(info.in_place);
            dims.unwrap()
        })
    });
    group.bench_function("decode_lut", |b| {
        b.iter(|| {
            Lut::AUTO
                .decode_into(black_box(&seed), &limits, &mut rgba)
                .unwrap()
        })
    });
    group.finish();
    drop(writer);
    let _ = std::fs::remove_file(format!("/dev/shm/{name}"));
}

/// This thread's CPU time from the scheduler (`/proc/thread-self/schedstat`) and its context
/// switches (`status`); zeros without `/proc`. The scheduler updates the CPU time at ticks
/// and switches, so it is read only at the ends of a window of seconds, not around one decode.
struct ThreadClock {
    schedstat: Option<std::fs::File>,
}

impl ThreadClock {
    /// Opens the files of the calling thread.
    fn new() -> Self {
        ThreadClock {
            schedstat: std::fs::File::open("/proc/thread-self/schedstat").ok(),
        }
    }

    /// CPU time so far, ns (0 without `/proc`).
    #[cfg(not(unix))]
    fn cpu_ns(&self) -> u64 {
        self.schedstat.as_ref().map_or(0, |_| 0)
    }

    /// CPU time so far, ns.
    #[cfg(unix)]
    fn cpu_ns(&self) -> u64 {
        use std::os::unix::fs::FileExt;
        let mut buf = [0u8; 64];
        let Some(f) = &self.schedstat else { return 0 };
        let n = f.read_at(&mut buf, 0).unwrap_or(0);
        std::str::from_utf8(&buf[..n])
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    /// Voluntary and involuntary context switches so far.
    fn switches(&self) -> u64 {
        std::fs::read_to_string("/proc/thread-self/status")
            .map(|s| {
                s.lines()
                    .filter(|l| l.contains("ctxt_switches"))
                    .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                    .sum()
            })
            .unwrap_or(0)
    }
}

/// The CPU time of every thread of this process so far, ns (`/proc/self/task/*/schedstat`;
/// 0 without `/proc`).
fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// How a reader takes frames.
#[derive(Clone, Copy)]
struct Way {
    /// How it waits and reads: `polled, copied` or `woken, in place`.
    take: &'static str,
    poll_and_copy: bool,
    /// Decode each frame with `lut`; without, the reader only takes frames (its CPU is then
    /// the cost of waiting and handing over).
    decode: bool,
    /// Threads `lut` uses on every frame, or `None` for the readers' default,
    /// [`Threads::for_frame`] (more than one for a frame it waited for). Above one, the
    /// reader's CPU counts the lut helper threads too.
    threads: Option<Threads>,
}

const OLD: Way = Way {
    take: "polled, copied",
    poll_and_copy: true,
    decode: true,
    threads: Some(Threads::One),
};
const NEW: Way = Way {
    take: "woken, in place",
    poll_and_copy: false,
    decode: true,
    threads: Some(Threads::One),
};
/// The new way with `lut` on 2 threads (the caller and a helper that lives across frames)
/// for every frame.
const NEW2: Way = Way {
    threads: Some(Threads::AtMost(NonZeroUsize::new(2).unwrap())),
    ..NEW
};
/// The new way with the readers' default threads: [`Threads::for_frame`].
const DEFAULT: Way = Way {
    threads: None,
    ..NEW
};

impl Way {
    fn waiting_only(self) -> Way {
        Way {
            decode: false,
            ..self
        }
    }

    fn label(&self) -> String {
        match (self.decode, self.threads) {
            (false, _) => format!("{}, {NO_DECODE}", self.take),
            (true, None) => format!("{}, {READERS_DEFAULT}", self.take),
            (true, Some(t)) => format!(
                "{}, lut on {} thread{}",
                self.take,
                t.max(),
                if t.max() == 1 { "" } else { "s" }
            ),
        }
    }

    /// Whether more than one thread may decode a frame (the reader's CPU then counts them).
    fn may_use_helpers(&self) -> bool {
        self.threads.is_none_or(|t| t.max() > 1)
    }
}

/// One reader's results over the measured window.
struct ReaderRun {
    latencies_us: Vec<f64>,
    decode_us: Vec<f64>,
    seconds: f64,
    cpu_s: f64,
    switches: u64,
    first: u64,
    last: u64,
    skipped: u64,
    torn: u64,
    overtaken: u64,
    in_place: u64,
    sleeps: u64,
}

/// Reads and decodes with `lut` for `seconds` after one warm-up frame.
fn read_for(name: &str, way: Way, seconds: f64, start: &Barrier) -> ReaderRun {
    let mut reader = Reader::open(name).expect("open region");
    if way.poll_and_copy {
        reader = reader.polling().copying();
    }
    if way.decode {
        reader = reader.waking_helpers(way.threads.unwrap_or(Threads::for_frame(true)));
    }
    let limits = Limits::default();
    let mut rgba = Vec::new();
    let clock = ThreadClock::new();
    // With helpers, the CPU of every thread of this process (the readers of a row run
    // alone, so that is this reader and its helpers).
    let cpu_ns = || {
        if way.may_use_helpers() {
            process_cpu_ns()
        } else {
            clock.cpu_ns()
        }
    };
    // `None`: no frame read whole within 5 s (a copying reader outpaced by a writer flat
    // out, which rewrites each slot before it is copied): the row then shows what was taken.
    let mut next = |reader: &mut Reader| {
        let got = reader.next_with_waited(Duration::from_secs(5), |b, waited| {
            if !way.decode {
                return 0.0;
            }
            let lut = Lut::AUTO.with_threads(way.threads.unwrap_or(Threads::for_frame(waited)));
            let t = Instant::now();
            lut.decode_into(b, &limits, &mut rgba).expect("decodes");
            t.elapsed().as_secs_f64() * 1e6
        });
        match got {
            Ok(got) => Some(got),
            Err(e @ ShmError::Timeout { .. }) => {
                eprintln!("reader ({}): {e}", way.label());
                None
            }
            Err(e) => panic!("frame: {e}"),
        }
    };
    next(&mut reader);
    start.wait();
    let base = reader.stats();
    let first = reader.latest_number();
    let (cpu0, sw0) = (cpu_ns(), clock.switches());
    let started = Instant::now();
    let (mut latencies_us, mut decode_us) = (Vec::new(), Vec::new());
    while started.elapsed().as_secs_f64() < seconds {
        let Some((info, d)) = next(&mut reader) else {
            break;
        };
        latencies_us.push(now_ns().saturating_sub(info.written_ns) as f64 / 1e3);
        decode_us.push(d);
    }
    let secs = started.elapsed().as_secs_f64();
    let (cpu1, sw1) = (cpu_ns(), clock.switches());
    let s = reader.stats();
    latencies_us.sort_by(f64::total_cmp);
    decode_us.sort_by(f64::total_cmp);
    ReaderRun {
        latencies_us,
        decode_us,
        seconds: secs,
        cpu_s: (cpu1 - cpu0) as f64 / 1e9,
        switches: sw1 - sw0,
        first,
        last: reader.latest_number(),
        skipped: s.skipped - base.skipped,
        torn: s.torn - base.torn,
        overtaken: s.overtaken - base.overtaken,
        in_place: s.in_place - base.in_place,
        sleeps: s.sleeps - base.sleeps,
    }
}

/// How the `shmbmp write` process publishes.
#[derive(Clone, Copy)]
enum Rate {
    /// This many frames/s.
    Fps(u32),
    /// As fast as it can.
    FlatOut,
    /// As fast as it can, but not while its in-place readers are all busy with older
    /// frames than the latest (`write --paced`).
    Paced,
}

/// A row's `shmbmp write` process and its region, killed and removed when the row ends,
/// also when a reader panics (a writer left flat out would take a core from every later
/// run: it once did, for 44 minutes).
struct WriterProcess {
    child: std::process::Child,
    region: std::path::PathBuf,
}

impl Drop for WriterProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.region);
    }
}

/// A `shmbmp write` process at `rate` and `readers` reader threads here.
fn handoff(
    rate: Rate,
    way: Way,
    readers: usize,
    seconds: f64,
    seed_file: &std::path::Path,
) -> Vec<HandoffRow> {
    let (fps, paced) = match rate {
        Rate::Fps(f) => (f, false),
        Rate::FlatOut => (0, false),
        Rate::Paced => (0, true),
    };
    let name = region_name(&format!("handoff{fps}{paced}-{readers}"));
    let _ = std::fs::remove_file(format!("/dev/shm/{name}"));
    let slots = (readers + 2).max(4).to_string();
    let writer = WriterProcess {
        child: Command::new(env!("CARGO_BIN_EXE_shmbmp"))
            .args(["write", "--name", &name, "--count", "0", "--slots", &slots])
            .args(["--fps", &fps.to_string()])
            .args(paced.then_some("--paced"))
            .arg(seed_file)
            .stdout(Stdio::null())
            .spawn()
            .expect("start shmbmp write"),
        region: format!("/dev/shm/{name}").into(),
    };
    while Reader::open(&name).map_or(true, |r| r.latest_number() == 0) {
        std::thread::sleep(Duration::from_millis(2));
    }
    let start = Arc::new(Barrier::new(readers));
    let runs: Vec<ReaderRun> = (0..readers)
        .map(|_| {
            let (name, start) = (name.clone(), start.clone());
            std::thread::spawn(move || read_for(&name, way, seconds, &start))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().expect("reader"))
        .collect();
    drop(writer);
    let rate = match rate {
        Rate::Fps(f) => format!("{f} frames/s"),
        Rate::FlatOut => "as fast as possible".to_string(),
        Rate::Paced => "as fast as taken (write --paced)".to_string(),
    };
    runs.iter()
        .enumerate()
        .map(|(i, r)| {
            let frames = r.latencies_us.len() as u64;
            let mode = if readers == 1 {
                format!("{rate}, {}", way.label())
            } else {
                format!("{rate}, {}, reader {} of {readers}", way.label(), i + 1)
            };
            // A reader that took no frame (outpaced) has no latencies: 0, shown as "—".
            let (p50, p99, max) = match r.latencies_us.last() {
                Some(&max) => (
                    percentile(&r.latencies_us, 0.5),
                    percentile(&r.latencies_us, 0.99),
                    max,
                ),
                None => (0.0, 0.0, 0.0),
            };
            let decode_p50 = (frames > 0).then(|| percentile(&r.decode_us, 0.5));
            eprintln!(
                "handoff {mode:>50}: published {:>5.0}/s, taken {:>5.0}/s, p50 {p50:>5.0} us p99 {p99:>6.0} us max {max:>6.0} us (decode p50 {:>5.0} us), reader CPU {:>5.1}%, {:>5.0} context switches/s, in place {}/{frames}, skipped {}, torn attempts {} (0 accepted), {} sleeps",
                (r.last - r.first) as f64 / r.seconds,
                frames as f64 / r.seconds,
                decode_p50.unwrap_or(0.0),
                100.0 * r.cpu_s / r.seconds,
                r.switches as f64 / r.seconds,
                r.in_place,
                r.skipped,
                r.torn,
                r.sleeps,
            );
            HandoffRow {
                mode,
                seconds: r.seconds,
                published_per_s: (r.last - r.first) as f64 / r.seconds,
                decoded_per_s: frames as f64 / r.seconds,
                p50_us: p50,
                p99_us: p99,
                max_us: max,
                skipped: r.skipped,
                torn: r.torn,
                overtaken: r.overtaken,
                frames,
                decode_p50_us: decode_p50,
                reader_cpu_pct: Some(100.0 * r.cpu_s / r.seconds),
                switches_per_s: Some(r.switches as f64 / r.seconds),
            }
        })
        .collect()
}

/// Right after the 60 frames/s reader (whose decode p50 was `job_us`), at its rate for as
/// long: a register-only job of that length (the host's own tail), then the reader's
/// default decode of a private copy of `seed` (the decode's own tail, no handoff).
fn tails_at(fps: f64, job_us: f64, window: f64, seed: &[u8]) -> (HostTail, HostTail) {
    let window = Duration::from_secs_f64(window);
    let times = host_tail::fixed_job_at(fps, Duration::from_secs_f64(job_us / 1e6), window);
    let host = HostTail::from_sorted(job_us, &times);
    // Every frame at 60 frames/s is one the reader waited for.
    let lut = Lut::AUTO.with_threads(Threads::for_frame(true));
    let (limits, mut rgba) = (Limits::default(), Vec::new());
    let mut decode = || {
        lut.decode_into(seed, &limits, &mut rgba).expect("decodes");
    };
    let hot_us = median_us(6, &mut decode);
    let times = host_tail::at_rate(fps, window, |_| decode());
    let private = HostTail::from_sorted(hot_us, &times);
    for (what, t) in [
        (format!("a {job_us:.0} us arithmetic job"), host),
        ("the same decode of a private copy".into(), private),
    ] {
        eprintln!(
            "tail at {fps}/s without the handoff, {what}: {} runs, p50 {:.0} us, p99 {:.0} us ({:.2}x)",
            t.runs,
            t.p50_us,
            t.p99_us,
            t.p99_us / t.p50_us
        );
    }
    (host, private)
}

/// Median of `lut` decoding the seed frame into a warm buffer, in µs (the targets' yardstick).
fn hot_lut_us(seed: &[u8]) -> f64 {
    let (limits, mut rgba) = (Limits::default(), Vec::new());
    median_us(100, || {
        Lut::AUTO.decode_into(seed, &limits, &mut rgba).unwrap();
    })
}

/// Median of `lut` (one thread, as a reader flat out) decoding a copy of the seed frame that
/// another CPU had just written, in µs (`None` with one CPU).
fn handed_over_lut_us(seed: &[u8]) -> Option<f64> {
    let (limits, mut rgba) = (Limits::default(), Vec::new());
    handed_over::after_other_cpu_wrote(seed, 40, |frame| {
        Lut::AUTO.decode_into(frame, &limits, &mut rgba).unwrap();
    })
}

/// Median of `runs` calls of `job` back to back, in µs.
fn median_us(runs: usize, mut job: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            job();
            s.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    percentile(&t, 0.5)
}

fn main() {
    let mut c = support::criterion();
    in_process(&mut c);
    c.final_summary();
    if !support::benchmarking() {
        return;
    }
    let seed = encode::seed_frame();
    let seed_file = support::fixtures_dir().join("seed.bmp");
    std::fs::write(&seed_file, &seed).expect("write seed.bmp");
    // 60 frames/s runs long enough for a p99 of some frames (600: the 7th slowest).
    let (seconds, seconds_at60) = if support::quick() {
        (1.5, 1.5)
    } else {
        (4.0, 10.0)
    };
    // Measured before the first row and after each; the targets take each figure's median.
    let rounds = if support::quick() { 3 } else { 8 };
    let mut samples = vec![yardstick(&seed, rounds)];
    let (mut host, mut private) = (None, None);
    let mut rows = Vec::new();
    let at60 = Rate::Fps(60);
    for (rate, way, readers) in [
        (at60, OLD.waiting_only(), 1),
        (at60, NEW.waiting_only(), 1),
        (at60, OLD, 1),
        (at60, NEW, 1),
        (at60, DEFAULT, 1),
        (at60, NEW2, 1),
        (Rate::FlatOut, OLD, 1),
        (Rate::FlatOut, NEW, 1),
        (Rate::FlatOut, DEFAULT, 1),
        (Rate::FlatOut, NEW2, 1),
        (Rate::Paced, DEFAULT, 1),
        // One thread each: several readers share the helpers, and a reader's CPU is its
        // own thread's.
        (at60, NEW, 4),
        (Rate::FlatOut, NEW, 4),
    ] {
        let window = match rate {
            Rate::Fps(_) => seconds_at60,
            _ => seconds,
        };
        rows.extend(handoff(rate, way, readers, window, &seed_file));
        let just_run = rows.last().filter(|r| r.is_one_reader_decoding_at_60());
        if let (None, Rate::Fps(fps), Some(r)) = (host, rate, just_run) {
            let job_us = r.decode_p50_us.unwrap_or(r.p50_us);
            let (h, p) = tails_at(f64::from(fps), job_us, window, &seed);
            host = Some(h);
            private = Some(p);
        }
        samples.push(yardstick(&seed, rounds));
    }
    let yardstick = Yardstick {
        host,
        private,
        ..Yardstick::median_of(&samples).expect("measured before the first row")
    };
    let file = HandoffFile::Run { rows, yardstick };
    let json = serde_json::to_string_pretty(&file).expect("serialize");
    std::fs::write(support::inputs().handoff, json).expect("write shm-handoff.json");
    support::write_report();
}

/// `lut` on the seed frame as `shmbmp bench` times it (interleaved with the floors, in turn
/// and settled) and back to back: what the handoff is judged against, in this run.
fn yardstick(seed: &[u8], rounds: usize) -> Yardstick {
    let lut = by_name("lut").expect("lut is registered");
    let t = interleave_decoders("seed", seed, &[lut], &Limits::default(), rounds)
        .expect("the seed frame decodes");
    let times = t.decoder("lut").and_then(|d| d.times()).expect("lut timed");
    let y = Yardstick {
        lut_in_turn_us: times.turn_ns / 1e3,
        lut_settled_us: times.settled_ns.unwrap_or(f64::NAN) / 1e3,
        hot_lut_into_us: hot_lut_us(seed),
        handed_over_us: handed_over_lut_us(seed),
        host: None,
        private: None,
        spread: None,
    };
    eprintln!(
        "lut on the seed frame as shmbmp bench times it: in turn {:.0} us, settled {:.0} us; back to back {:.0} us; on a copy another CPU had just written {}",
        y.lut_in_turn_us,
        y.lut_settled_us,
        y.hot_lut_into_us,
        y.handed_over_us.map_or("(not measured: one CPU)".into(), |h| format!("{h:.0} us"))
    );
    y
}
