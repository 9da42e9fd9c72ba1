//! The decode matrix: every decoder of the registry on every benchmark fixture, beside the
//! memcpy floor, then the Python peers (when their venv exists) and the `reports/` summary.
//!
//! `cargo bench` runs it all; `cargo bench -- --quick` is the short version.

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use shmbmp::{encode, registry, Layout, Limits, Origin};

fn decode_matrix(c: &mut Criterion) {
    let limits = Limits::default();
    for fixture in encode::bench_fixtures() {
        let bmp = encode::encode(&fixture.spec);
        let out_len = Layout::parse(&bmp, &limits)
            .expect("bench fixtures are valid")
            .output_len();
        let mut group = c.benchmark_group(format!("decode/{}", fixture.name));
        group.throughput(Throughput::Bytes(out_len as u64));
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(20);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(2));

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

fn main() {
    let mut c = Criterion::default().configure_from_args();
    decode_matrix(&mut c);
    c.final_summary();
    if support::benchmarking() {
        support::run_python_peers();
        support::write_report();
    }
}
