//! Zero allocations per frame: the shared-memory read loop decoding with `lut` into reused
//! buffers, and `decode_into` on every benchmark fixture once its buffer is warm.

mod common;

use std::time::Duration;

use common::region::TempRegion;
use shmbmp_suite::shm::{Reader, Writer};
use shmbmp_suite::{encode, Decode, Limits, Lut};

#[global_allocator]
static GLOBAL: common::alloc::Counting = common::alloc::Counting;

/// Allocations made by this thread while `f` runs.
fn allocations_in<R>(f: impl FnOnce() -> R) -> (u64, R) {
    let (n, _, r) = common::alloc::during(f);
    (n, r)
}

#[test]
fn shm_read_loop_allocates_nothing_per_frame() {
    let r = TempRegion::new("alloc");
    let seed = encode::seed_frame();
    let mut writer = Writer::create(&r.name, 3, seed.len() as u64).unwrap();
    let mut reader = Reader::open(&r.name).unwrap();
    let mut rgba = Vec::new();
    let limits = Limits::default();
    let timeout = Duration::from_secs(1);
    writer.publish(&seed).unwrap();
    reader
        .next_with(timeout, |b| Lut::AUTO.decode_into(b, &limits, &mut rgba))
        .unwrap()
        .1
        .unwrap();
    for _ in 0..20 {
        writer.publish(&seed).unwrap();
        let (n, res) = allocations_in(|| {
            reader.next_with(timeout, |b| Lut::AUTO.decode_into(b, &limits, &mut rgba))
        });
        let (info, dims) = res.unwrap();
        let dims = dims.unwrap();
        assert_eq!(n, 0, "frame {} allocated {n} times", info.frame);
        assert_eq!((dims.width, dims.height), (1600, 1200));
    }
}

#[test]
fn decode_into_a_warm_buffer_allocates_nothing() {
    let limits = Limits::default();
    for fixture in encode::bench_fixtures() {
        let bmp = encode::encode(&fixture.spec);
        // `lut_mt` starts threads, which allocate; every single-thread decoder must not.
        for d in shmbmp::decode::all().filter(|d| d.name() != "lut_mt") {
            let mut out = Vec::new();
            let (cold, res) = allocations_in(|| d.decode_into(&bmp, &limits, &mut out));
            res.unwrap();
            assert!(
                cold >= 1,
                "the counter sees the first decode's output allocation"
            );
            let (n, res) = allocations_in(|| d.decode_into(&bmp, &limits, &mut out));
            res.unwrap();
            assert_eq!(n, 0, "{} on {} allocated {n} times", d.name(), fixture.name);
        }
    }
}
