//! The decode matrix: every decoder of the registry on every benchmark fixture, beside the
//! memcpy and write floors; then the same interleaved, the bare program, the Python peers
//! and shmbmp from Python (when their venv exists), `reports/` and the README's results for
//! this CPU class.
//!
//! Ours are timed allocating their output (`lut`) and into a reused buffer (`lut_into`);
//! peers through their own API into their own output (`zune`), and the conversion of that
//! output to RGBA, ours, apart (`zune_to_rgba`). The allocator is held steady for all alike
//! ([`shmbmp_suite::timing::alloc`]). `cargo bench` runs it all; `cargo bench -- --quick`
//! is the short version.

mod support;

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use shmbmp_suite::timing::{self, bare, memcpy_floor, write_floor, FloorBuffer};
use shmbmp_suite::{encode, registry, Layout, Limits};

fn decode_matrix(c: &mut Criterion) {
    let limits = Limits::default();
    let files = support::write_fixture_files();
    for (fixture, path) in encode::bench_fixtures().iter().zip(&files) {
        let bmp = encode::encode(&fixture.spec);
        let out_len = Layout::parse(&bmp, &limits)
            .expect("bench fixtures are valid")
            .output_len();
        // The bare program, held steady, timed right after each of our calls it also makes.
        let mut bare = bare_server(fixture.name, path);
        let mut group = c.benchmark_group(format!("decode/{}", fixture.name));
        group.throughput(Throughput::Bytes(out_len as u64));
        support::configure(&mut group);

        let (src, mut dst) = (
            FloorBuffer::new(out_len, 0x5a),
            FloorBuffer::new(out_len, 0),
        );
        group.bench_function("floor", |b| b.iter(|| memcpy_floor(&src, &mut dst)));
        group.bench_function("fill", |b| b.iter(|| write_floor(&mut dst)));

        for d in registry() {
            if let Err(e) = d.decode(&bmp, &limits) {
                eprintln!("decode/{}: {} skipped: {e}", fixture.name, d.name());
                continue;
            }
            let Some(peer) = d.peer() else {
                group.bench_function(d.name(), |b| b.iter(|| d.decode(black_box(&bmp), &limits)));
                bench_bare(&mut group, bare.as_mut(), d.name());
                let mut out = Vec::new();
                let into = format!("{}_into", d.name());
                group.bench_function(&into, |b| {
                    b.iter(|| d.decode_into(black_box(&bmp), &limits, &mut out))
                });
                bench_bare(&mut group, bare.as_mut(), &into);
                continue;
            };
            group.bench_function(d.name(), |b| b.iter(|| peer.call(black_box(&bmp), &limits)));
            bench_bare(&mut group, bare.as_mut(), d.name());
            let native = peer.call(&bmp, &limits).expect("decoded above");
            if !native.is_rgba() {
                let mut out = Vec::new();
                group.bench_function(format!("{}_to_rgba", d.name()), |b| {
                    b.iter(|| native.write_rgba(&mut out))
                });
            }
        }
        group.finish();
    }
}

/// `shmbmp-bare` on the fixture `name` (written at `path`), held steady,
/// serving every call it knows that decodes the fixture; `None`, said, when it cannot run.
fn bare_server(name: &str, path: &std::path::Path) -> Option<bare::BareServer> {
    let program = std::path::Path::new(env!("CARGO_BIN_EXE_shmbmp-bare"));
    let tunables = timing::alloc::glibc_tunables();
    match bare::BareServer::start(program, path, &bare::BARE_CALLS, tunables.as_deref()) {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("decode/{name}: the bare program cannot run, no bare rows: {e}");
            None
        }
    }
}

/// Criterion's benchmark of the bare program's `call` ([`bare::CRITERION_PREFIX`]), timed
/// by the program itself, when it is one of its calls and decodes the fixture.
fn bench_bare(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    server: Option<&mut bare::BareServer>,
    call: &str,
) {
    let Some(server) = server else { return };
    if !bare::BARE_CALLS.contains(&call) || server.refused.iter().any(|(c, _)| c == call) {
        return;
    }
    group.bench_function(format!("{}{call}", bare::CRITERION_PREFIX), |b| {
        b.iter_custom(|iters| server.time(call, iters))
    });
    if let Some(e) = &server.failed {
        panic!("the bare program failed on {call}: {e}");
    }
}

/// The floors and every decoder on every fixture again, interleaved round by round
/// ([`shmbmp_suite::timing`]), so the report can give ratios that host drift cannot skew;
/// `lut` on its lower kernel levels joins here (cheap) rather than in criterion's matrix.
/// Then `shmbmp-bare` on each fixture, for the bare-call check.
fn interleaved_and_bare() {
    let limits = Limits::default();
    let rounds = if support::quick() { 5 } else { 25 };
    let decoders = timing::compared_decoders();
    let files = support::write_fixture_files();
    let mut runs = Vec::new();
    let mut bare_runs = Vec::new();
    for (f, path) in encode::bench_fixtures().iter().zip(&files) {
        let bmp = encode::encode(&f.spec);
        let program = std::path::Path::new(env!("CARGO_BIN_EXE_shmbmp-bare"));
        let mut servers = bare::Bare::start(program, path, &bare::calls_for(&decoders))
            .map_err(|e| eprintln!("bare {}: {e}", f.name))
            .ok();
        let (t, bare_run) = timing::interleave_beside_bare(
            f.name,
            &bmp,
            &decoders,
            &limits,
            rounds,
            servers.as_mut(),
        )
        .expect("bench fixtures are valid");
        eprintln!(
            "interleaved {:<20} memcpy floor {:>9}, write floor {:>9}, lut {:.2}x the memcpy floor",
            f.name,
            shmbmp_suite::report::fmt_ns(t.floor_ns),
            shmbmp_suite::report::fmt_ns(t.fill_ns.unwrap_or(f64::NAN)),
            t.median_ns("lut").unwrap_or(f64::NAN) / t.floor_ns
        );
        bare_runs.extend(bare_run);
        runs.push(t);
    }
    let inputs = support::inputs();
    let json = serde_json::to_string_pretty(&runs).expect("serialize");
    std::fs::write(inputs.interleaved, json).expect("write interleaved.json");
    let json = serde_json::to_string_pretty(&bare_runs).expect("serialize");
    std::fs::write(inputs.bare, json).expect("write bare.json");
}

fn main() {
    if support::benchmarking() {
        // The handoff table of an earlier `benches/shm.rs` run stays; the report says it is
        // older than this run's facts, and `benches/shm.rs` writes it anew in a full run.
        support::write_run_facts();
    }
    let mut c = support::criterion();
    decode_matrix(&mut c);
    c.final_summary();
    if support::benchmarking() {
        interleaved_and_bare();
        support::run_python_peers();
        support::run_python_bench();
        support::write_report();
    }
}
