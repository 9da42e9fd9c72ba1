//! The seed frame decoded cold, as a reader at 60 frames/s meets it, on each kernel level
//! this CPU runs, beside the memcpy and write floors under the same conditions: criterion
//! group `cold/seed`, one benchmark `JOB/CONDITION` each, where CONDITION is
//!
//! - `hot`: called again and again (criterion's usual loop), for comparison;
//! - `evicted`: 64 MiB written just before each call, untimed, so the frame, the output and
//!   the tables come from memory (dirty lines of that buffer are written back meanwhile, as
//!   they would be after another process's work);
//! - `asleep`: 16 ms asleep before each call (the gap between frames at 60 frames/s), the
//!   caches as the last call left them;
//! - `evicted_asleep`: both, in that order: the 60 frames/s reader's case.
//!
//! Only the call is timed (`iter_custom`); each sample is one call or a few. The group takes
//! about 10–15 s; `cargo bench --bench cold` runs it alone. The report lists it under "Other
//! benchmarks".
//!
//! Then, outside criterion, the tails of `lut` against `lut_mt` (issue 17: threads that pay,
//! "its p99 reported"): on every 1600×1200 benchmark fixture, hot, single calls alternating
//! `lut`, `lut_mt`, `lut`, … each into a buffer of its own reused from call to call, every call
//! timed; p50, p99 and max of each go to `target/threads.json` for the report's "Threads"
//! section ([`shmbmp_suite::report::ThreadsRun`]), with how busy other processes kept the
//! machine meanwhile. About 10–20 s (`--quick`: a quarter of the calls). Then ours in every
//! pixel layout beside RGBA, interleaved, on every fixture (and the Rust peers on the seed
//! frame) into `target/layouts.json` (about a minute). Then the report.

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use shmbmp::decode::output_buffer;
use shmbmp::{Decode, Layout, Limits};
use shmbmp_suite::encode;
use shmbmp_suite::format::PixelLayout;
use shmbmp_suite::report::{ThreadsFixture, ThreadsRun};
use shmbmp_suite::timing::layouts::{interleave_layouts, Lineup};
use shmbmp_suite::timing::{memcpy_floor, write_floor, FloorBuffer};

/// What each call finds before it runs.
#[derive(Clone, Copy)]
struct Condition {
    name: &'static str,
    evict: bool,
    sleep: bool,
}

const CONDITIONS: [Condition; 3] = [
    Condition {
        name: "evicted",
        evict: true,
        sleep: false,
    },
    Condition {
        name: "asleep",
        evict: false,
        sleep: true,
    },
    Condition {
        name: "evicted_asleep",
        evict: true,
        sleep: true,
    },
];

/// Bigger than any last-level cache this runs on (Zen 3: 32 MiB a CCX).
const EVICT_BYTES: usize = 64 << 20;

/// The gap between two frames at 60 frames/s.
const FRAME_GAP: Duration = Duration::from_millis(16);

/// Samples a benchmark: each one call (or a few), so this bounds the group's time.
const SAMPLES: usize = 30;

/// A timed job: its name and the call.
type Job<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// Writes all of `buf` with a byte that changes each time, so no write can be skipped.
fn evict(buf: &mut [u8], round: &mut u8) {
    *round = round.wrapping_add(1);
    buf.fill(black_box(*round));
    black_box(buf);
}

fn cold(c: &mut Criterion) {
    let limits = Limits::default();
    let bmp = encode::seed_frame();
    let out_len = Layout::parse(&bmp, &limits)
        .expect("the seed frame is valid")
        .output_len();
    let src = FloorBuffer::new(out_len, 0x5a);
    let (mut dst, mut fill) = (FloorBuffer::new(out_len, 0), FloorBuffer::new(out_len, 0));
    let mut outs: Vec<Vec<u8>> = shmbmp::decode::kernel_levels()
        .iter()
        .map(|_| output_buffer(out_len))
        .collect();
    let mut trash = vec![0u8; EVICT_BYTES];
    let mut round = 0u8;

    let mut group = c.benchmark_group("cold/seed");
    group
        .throughput(Throughput::Bytes(out_len as u64))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(SAMPLES);
    // Each job as a closure over its own buffers.
    let mut jobs: Vec<Job> = vec![
        ("floor", Box::new(|| memcpy_floor(&src, &mut dst))),
        ("fill", Box::new(|| write_floor(&mut fill))),
    ];
    for (d, out) in shmbmp::decode::kernel_levels().iter().zip(&mut outs) {
        let bmp = &bmp;
        let limits = &limits;
        jobs.push((
            d.name(),
            Box::new(move || {
                black_box(d.decode_into_slice(black_box(bmp), limits, out)).expect("decodes");
            }),
        ));
    }
    for (name, job) in &mut jobs {
        group
            .warm_up_time(Duration::from_millis(100))
            .measurement_time(Duration::from_millis(300));
        group.bench_function(BenchmarkId::new(*name, "hot"), |b| b.iter(&mut *job));
        // Criterion sizes samples from the timed part alone, which is far shorter than the
        // eviction and the sleep: the shortest times it allows keep samples to one call.
        group
            .warm_up_time(Duration::from_millis(1))
            .measurement_time(Duration::from_millis(1));
        for cond in CONDITIONS {
            group.bench_function(BenchmarkId::new(*name, cond.name), |b| {
                b.iter_custom(|iters| {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        if cond.evict {
                            evict(&mut trash, &mut round);
                        }
                        if cond.sleep {
                            std::thread::sleep(FRAME_GAP);
                        }
                        let t = Instant::now();
                        job();
                        timed += t.elapsed();
                    }
                    timed
                })
            });
        }
    }
    group.finish();
}

/// Calls of each decoder before the timed ones.
const TAIL_WARM_UP: usize = 20;

/// The machine's busy and total CPU time (every core, `/proc/stat`) and this process's own
/// (every thread, `/proc/self/stat`), in clock ticks; `None` off Linux.
fn cpu_ticks() -> Option<[u64; 3]> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    // cpu  user nice system idle iowait irq softirq steal (guest time is within user)
    let all: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let total: u64 = all.iter().sum();
    let busy = total - all.get(3)? - all.get(4)?;
    let own = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name: state is field 3, utime field 14, stime field 15.
    let fields: Vec<&str> = own.rsplit_once(')')?.1.split_whitespace().collect();
    let own: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some([busy, total, own])
}

/// The share of the machine's cores that other processes (and steal) used between two
/// [`cpu_ticks`] readings, 0–1.
fn others_busy(before: Option<[u64; 3]>, after: Option<[u64; 3]>) -> Option<f64> {
    let ([b0, t0, o0], [b1, t1, o1]) = (before?, after?);
    let others = (b1 - b0).saturating_sub(o1 - o0);
    (t1 > t0).then(|| (others as f64 / (t1 - t0) as f64).clamp(0.0, 1.0))
}

/// `lut` and `lut_mt` on every 1600×1200 benchmark fixture, call by call alternating, hot;
/// their tails written to `target/threads.json`.
fn threads_tail() {
    let limits = Limits::default();
    let calls = if support::quick() { 100 } else { 400 };
    let pair = ["lut", "lut_mt"].map(|n| shmbmp_suite::by_name(n).expect("in the registry"));
    let mut fixtures = Vec::new();
    for f in encode::bench_fixtures() {
        let bmp = encode::encode(&f.spec);
        let layout = Layout::parse(&bmp, &limits).expect("bench fixtures are valid");
        if (layout.width, layout.height) != (1600, 1200) {
            continue;
        }
        let mut outs = [Vec::new(), Vec::new()];
        let mut times = [Vec::with_capacity(calls), Vec::with_capacity(calls)];
        let mut both = |times: Option<&mut [Vec<f64>; 2]>| {
            let mut ns = [0.0; 2];
            for ((d, out), ns) in pair.iter().zip(&mut outs).zip(&mut ns) {
                let start = Instant::now();
                black_box(d.decode_into(black_box(&bmp), &limits, out)).expect("decodes");
                *ns = start.elapsed().as_nanos() as f64;
            }
            if let Some([lut, mt]) = times {
                lut.push(ns[0]);
                mt.push(ns[1]);
            }
        };
        for _ in 0..TAIL_WARM_UP {
            both(None);
        }
        let before = cpu_ticks();
        for _ in 0..calls {
            both(Some(&mut times));
        }
        let busy = others_busy(before, cpu_ticks());
        let [lut, mt] = &times;
        let row = ThreadsFixture::measured(f.name, (layout.width, layout.height), lut, mt, busy);
        eprintln!(
            "threads {:<20} lut p50 {:>9} p99 {:>9} · lut_mt p50 {:>9} p99 {:>9} · lut_mt ÷ lut {:.2}× p50, {:.2}× p99{}",
            row.fixture,
            shmbmp_suite::report::fmt_ns(row.lut.p50_ns),
            shmbmp_suite::report::fmt_ns(row.lut.p99_ns),
            shmbmp_suite::report::fmt_ns(row.lut_mt.p50_ns),
            shmbmp_suite::report::fmt_ns(row.lut_mt.p99_ns),
            row.p50_ratio(),
            row.p99_ratio(),
            busy.map(|b| format!(" · others' CPU {:.0} %", b * 100.0))
                .unwrap_or_default()
        );
        fixtures.push(row);
    }
    let run = ThreadsRun {
        quick: support::quick(),
        threads: shmbmp::Lut::PARALLEL.threads().max(),
        fixtures,
    };
    let json = serde_json::to_string_pretty(&run).expect("serialize");
    std::fs::write(support::inputs().threads, json).expect("write threads.json");
}

/// Ours (`lut` on its level and each level below, one thread) into every pixel layout beside
/// RGBA on every benchmark fixture, and on the seed frame the Rust peers by their call
/// nearest each layout, interleaved; written to `target/layouts.json` for the report's
/// "Pixel layouts" section.
fn layouts_matrix() {
    let limits = Limits::default();
    let rounds = if support::quick() { 3 } else { 25 };
    let compared = shmbmp_suite::timing::compared_decoders();
    let ours_one_thread = |d: &&dyn shmbmp_suite::Decoder| {
        d.peer().is_none() && !matches!(d.name(), "naive" | "lut_mt")
    };
    let mut runs = Vec::new();
    for f in encode::bench_fixtures() {
        let bmp = encode::encode(&f.spec);
        let seed = f.name == shmbmp_suite::report::SEED_FIXTURE;
        let decoders: Vec<&'static dyn shmbmp_suite::Decoder> = compared
            .iter()
            .copied()
            .filter(|d| ours_one_thread(d) || (seed && d.peer().is_some()))
            .collect();
        let run = interleave_layouts(
            f.name,
            &bmp,
            &Lineup::of(&decoders),
            &PixelLayout::ALL,
            &limits,
            rounds,
        )
        .expect("bench fixtures are valid");
        for d in run.our_decoders() {
            let cells: Vec<String> = [PixelLayout::Bgra, PixelLayout::Rgb, PixelLayout::Bgr]
                .iter()
                .filter_map(|&l| run.vs_rgba(d, l).map(|(t, s)| format!("{l} {t:.2}/{s:.2}")))
                .collect();
            eprintln!(
                "layouts {:<20} {d:<12} ÷ RGBA in turn/settled: {}",
                f.name,
                cells.join(", ")
            );
        }
        runs.push(run);
    }
    let json = serde_json::to_string_pretty(&runs).expect("serialize");
    std::fs::write(support::inputs().layouts, json).expect("write layouts.json");
}

fn main() {
    // No plots: they took about 3 s a benchmark here, and the report reads the numbers.
    let mut c = support::criterion().without_plots();
    cold(&mut c);
    c.final_summary();
    if support::benchmarking() {
        threads_tail();
        layouts_matrix();
        support::write_report();
    }
}
