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

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use shmbmp::{Decode, Layout, Limits};
use shmbmp_suite::encode;
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
        .map(|_| vec![0u8; out_len])
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

fn main() {
    // No plots: they took about 3 s a benchmark here, and the report reads the numbers.
    let mut c = support::criterion().without_plots();
    cold(&mut c);
    c.final_summary();
}
