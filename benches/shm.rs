//! Shared-memory handoff: the cost of taking a 1600×1200 8-bit frame out of a framed region
//! in-process (criterion), and a writer *process* feeding a reader that decodes every frame
//! with `lut` into reused buffers, as fast as it can and at 1000 and 60 frames/s.
//! Results: criterion's `shm/...` groups and `target/shm-handoff.json`, both in `reports/`.

mod support;

use std::hint::black_box;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use shmbmp_suite::report::HandoffRow;
use shmbmp_suite::shm::{now_ns, Reader, Writer};
use shmbmp_suite::{encode, Decode, Limits, Lut};

fn region_name(tag: &str) -> String {
    format!("shmbmp-bench-{tag}-{}", std::process::id())
}

fn in_process(c: &mut Criterion) {
    let seed = encode::seed_frame();
    let name = region_name("inproc");
    let _ = std::fs::remove_file(format!("/dev/shm/{name}"));
    let mut writer = Writer::create(&name, 3, seed.len() as u64).expect("create region");
    writer.publish(&seed).expect("publish");
    let mut reader = Reader::open(&name).expect("open region");
    let limits = Limits::default();
    let (mut bmp, mut rgba) = (Vec::new(), Vec::new());
    let mut group = c.benchmark_group("shm/seed");
    group.throughput(Throughput::Bytes(seed.len() as u64));
    support::configure(&mut group);
    group.bench_function("publish", |b| {
        b.iter(|| writer.publish(black_box(&seed)).unwrap())
    });
    group.bench_function("copy_out", |b| b.iter(|| reader.latest(&mut bmp).unwrap()));
    group.bench_function("copy_out_and_decode_lut", |b| {
        b.iter(|| {
            reader.latest(&mut bmp).unwrap();
            Lut::AUTO.decode_into(&bmp, &limits, &mut rgba).unwrap()
        })
    });
    group.finish();
    let _ = std::fs::remove_file(format!("/dev/shm/{name}"));
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// A `shmbmp write` process at `fps` (0: flat out) and this process reading and decoding.
fn handoff(fps: u32, seconds: f64, seed_file: &std::path::Path) -> HandoffRow {
    let name = region_name(&format!("handoff{fps}"));
    let _ = std::fs::remove_file(format!("/dev/shm/{name}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_shmbmp"))
        .args([
            "write",
            "--name",
            &name,
            "--count",
            "0",
            "--fps",
            &fps.to_string(),
        ])
        .arg(seed_file)
        .stdout(Stdio::null())
        .spawn()
        .expect("start shmbmp write");
    let mut reader = loop {
        if let Ok(r) = Reader::open(&name) {
            break r;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let limits = Limits::default();
    let mut rgba = Vec::new();
    let mut decode_next = |reader: &mut Reader| {
        reader
            .next_with(Duration::from_secs(5), |b| {
                Lut::AUTO.decode_into(b, &limits, &mut rgba)
            })
            .map(|(info, _)| info)
            .expect("frame")
    };
    // The first frame warms the buffers and is not counted.
    decode_next(&mut reader);
    let (first, start_stats) = (reader.latest_number(), reader.stats());
    let mut latencies_us = Vec::new();
    let started = Instant::now();
    while started.elapsed().as_secs_f64() < seconds {
        let info = decode_next(&mut reader);
        latencies_us.push(now_ns().saturating_sub(info.written_ns) as f64 / 1e3);
    }
    let secs = started.elapsed().as_secs_f64();
    let published = reader.latest_number() - first;
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(format!("/dev/shm/{name}"));
    latencies_us.sort_by(f64::total_cmp);
    let s = reader.stats();
    HandoffRow {
        mode: if fps == 0 {
            "as fast as possible".into()
        } else {
            format!("{fps} frames/s")
        },
        seconds: secs,
        published_per_s: published as f64 / secs,
        decoded_per_s: latencies_us.len() as f64 / secs,
        p50_us: percentile(&latencies_us, 0.5),
        p99_us: percentile(&latencies_us, 0.99),
        max_us: *latencies_us.last().unwrap(),
        skipped: s.skipped - start_stats.skipped,
        torn: s.torn - start_stats.torn,
        overtaken: s.overtaken - start_stats.overtaken,
        frames: latencies_us.len() as u64,
    }
}

fn main() {
    let mut c = support::criterion();
    in_process(&mut c);
    c.final_summary();
    if !support::benchmarking() {
        return;
    }
    let seed_file = support::fixtures_dir().join("seed.bmp");
    std::fs::write(&seed_file, encode::seed_frame()).expect("write seed.bmp");
    let seconds = if support::quick() { 1.0 } else { 4.0 };
    let rows: Vec<HandoffRow> = [0, 1000, 60]
        .iter()
        .map(|&fps| handoff(fps, seconds, &seed_file))
        .collect();
    for r in &rows {
        eprintln!(
            "handoff {:>20}: published {:>6.0}/s, decoded {:>6.0}/s, latency p50 {:>6.0} us p99 {:>6.0} us max {:>6.0} us, skipped {}, torn attempts {} (0 accepted)",
            r.mode, r.published_per_s, r.decoded_per_s, r.p50_us, r.p99_us, r.max_us, r.skipped, r.torn
        );
    }
    let json = serde_json::to_string_pretty(&rows).expect("serialize");
    std::fs::write(support::inputs().handoff, json).expect("write shm-handoff.json");
    support::write_report();
}
