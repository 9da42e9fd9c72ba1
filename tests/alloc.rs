//! Zero allocations per frame: the shared-memory read loop decoding with `lut` into reused
//! buffers, and `decode_into` on every benchmark fixture once its buffer is warm.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use common::region::TempRegion;
use shmbmp_suite::shm::{Reader, Writer};
use shmbmp_suite::{encode, Decode, Limits, Lut};

/// Counts, per thread, allocations made while that thread switched counting on.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by this thread while `f` runs.
fn allocations_in<R>(f: impl FnOnce() -> R) -> (u64, R) {
    let before = ALLOCATIONS.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    let r = f();
    COUNTING.with(|c| c.set(false));
    (ALLOCATIONS.with(Cell::get) - before, r)
}

#[test]
fn shm_read_loop_allocates_nothing_per_frame() {
    let r = TempRegion::new("alloc");
    let seed = encode::seed_frame();
    let mut writer = Writer::create(&r.name, 3, seed.len() as u64).unwrap();
    let mut reader = Reader::open(&r.name).unwrap();
    let (mut bmp, mut rgba) = (Vec::new(), Vec::new());
    let limits = Limits::default();
    let timeout = Duration::from_secs(1);
    writer.publish(&seed).unwrap();
    reader
        .next_decoded(timeout, &mut bmp, |b| {
            Lut::AUTO.decode_into(b, &limits, &mut rgba)
        })
        .unwrap();
    for _ in 0..20 {
        writer.publish(&seed).unwrap();
        let (n, res) = allocations_in(|| {
            reader.next_decoded(timeout, &mut bmp, |b| {
                Lut::AUTO.decode_into(b, &limits, &mut rgba)
            })
        });
        let (info, dims) = res.unwrap();
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
