//! The decode matrix: every decoder of the registry on every benchmark fixture, beside the
//! memcpy floor, then the Python peers (when their venv exists) and the `reports/` summary.
//!
//! `cargo bench` runs it all; `cargo bench -- --quick` is the short version.

mod support;

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use shmbmp_suite::{encode, registry, timing, Layout, Limits, Origin};

fn decode_matrix(c: &mut Criterion) {
    let limits = Limits::default();
    for fixture in encode::bench_fixtures() {
        let bmp = encode::encode(&fixture.spec);
        let out_len = Layout::parse(&bmp, &limits)
            .expect("bench fixtures are valid")
            .output_len();
        let mut group = c.benchmark_group(format!("decode/{}", fixture.name));
        group.throughput(Throughput::Bytes(out_len as u64));
        support::configure(&mut group);

        let src = vec![0x5au8; out_len];
        let mut dst = vec![0u8; out_len];
        group.bench_function("floor", |b| b.iter(|| dst.copy_from_slice(black_box(&src))));

        for d in registry() {
            if let Err(e) = d.decode(&bmp, &limits) {
                eprintln!("decode/{}: {} skipped: {e}", fixture.name, d.name());
                continue;
            }
            group.bench_function(d.name(), |b| b.iter(|| d.decode(black_box(&bmp), &limits)));
            if d.origin() == Origin::Ours {
                let mut out = Vec::new();
                group.bench_function(format!("{}_into", d.name()), |b| {
                    b.iter(|| d.decode_into(black_box(&bmp), &limits, &mut out))
                });
            }
        }
        group.finish();
    }
}

/// The floor and every decoder on every fixture again, interleaved round by round
/// ([`shmbmp_suite::timing`]), so the report can give ratios that host drift cannot skew; `lut` on
/// its lower kernel levels joins here (cheap) rather than in criterion's matrix.
fn interleaved_matrix() {
    let limits = Limits::default();
    let rounds = if support::quick() { 5 } else { 25 };
    let decoders = timing::compared_decoders();
    let results: Vec<_> = encode::bench_fixtures()
        .iter()
        .map(|f| {
            let bmp = encode::encode(&f.spec);
            let t = timing::interleave_decoders(f.name, &bmp, &decoders, &limits, rounds)
                .expect("bench fixtures are valid");
            eprintln!(
                "interleaved {:<20} floor {:>9}, lut {:.2}x the floor",
                f.name,
                shmbmp_suite::report::fmt_ns(t.floor_ns),
                t.median_ns("lut").unwrap_or(f64::NAN) / t.floor_ns
            );
            t
        })
        .collect();
    let json = serde_json::to_string_pretty(&results).expect("serialize");
    std::fs::write(support::inputs().interleaved, json).expect("write interleaved.json");
}

fn main() {
    if support::benchmarking() {
        // The handoff table belongs to this run only: `benches/shm.rs` writes it again.
        let _ = std::fs::remove_file(support::inputs().handoff);
    }
    let mut c = support::criterion();
    decode_matrix(&mut c);
    c.final_summary();
    if support::benchmarking() {
        interleaved_matrix();
        support::run_python_peers();
        support::write_report();
    }
}
