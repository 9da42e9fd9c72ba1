//! Helper threads that live across frames, for splitting one decode over several cores.
//!
//! The caller hands each helper the same job and runs it too; the job takes work from a
//! shared counter, so whoever is awake does it. When the caller runs out of work it takes
//! back the job of any helper that has not started yet (a helper asleep on a halted core can
//! take a millisecond to wake on a VM) and waits, spinning, only for helpers already running.
//! Helpers spin for [`SPIN`] after a job before they sleep, so frames decoded back to back
//! find them awake. A caller that knows when its next job is near (a shared-memory reader
//! asleep until the writer wakes it) can put up a [`Standby`]: the helpers sleep in it
//! instead of their own park, so the event that wakes the caller wakes them too.
//!
//! Why not rayon: measured on a 2-vCPU VM (Zen 3), `rayon::in_place_scope` made the caller
//! sleep until a late worker had woken and finished, and wake again itself: a seed frame's
//! two halves ended at 333 and 342 µs and the call returned at 671 µs; in another call the
//! worker woke at 900 µs, after the caller had done every band alone.

use std::cell::UnsafeCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// How long a helper keeps looking for the next job before it sleeps: a frame decoded
/// within this of the last one finds it awake; at 60 frames/s it costs at most this much
/// CPU a frame.
const SPIN: Duration = Duration::from_micros(200);

/// No job posted (or taken back by the caller).
const IDLE: u8 = 0;
/// A job is posted and no helper has taken it.
const POSTED: u8 = 1;
/// The helper is running the job.
const RUNNING: u8 = 2;
/// The helper has finished the job.
const DONE: u8 = 3;
/// The job panicked on the helper.
const PANICKED: u8 = 4;

/// The job a caller shares with the helpers.
type Job<'a> = &'a (dyn Fn() + Sync);

/// One helper thread and its job slot.
struct Helper {
    /// Held by the one caller using this helper.
    taken: AtomicBool,
    state: AtomicU8,
    /// The posted job, its lifetime erased; read only between `POSTED` → `RUNNING` and
    /// `DONE` (see [`Handoff`]).
    job: UnsafeCell<Option<Job<'static>>>,
    thread: OnceLock<Thread>,
    /// Which helper this is (0-based).
    index: usize,
    /// Where the helper may run: kept off the caller's core (see [`away`]).
    away: away::Away,
}

// SAFETY: `job` is written only by the caller holding `taken`, while `state` is IDLE (no
// helper reads it then), and read by the helper only after it moved `state` from POSTED to
// RUNNING (acquiring the caller's release store); every other field is atomic or `Sync`.
unsafe impl Sync for Helper {}

/// Helper `i` (0-based; one per core the process may use, but the caller's), its thread
/// started on first use; `None` past the last core or if the thread could not start.
fn helper(i: usize) -> Option<&'static Helper> {
    static HELPERS: OnceLock<Vec<OnceLock<Option<&'static Helper>>>> = OnceLock::new();
    let slots = HELPERS.get_or_init(|| (1..most()).map(|_| OnceLock::new()).collect());
    *slots.get(i)?.get_or_init(|| {
        let helper: &'static Helper = Box::leak(Box::new(Helper {
            taken: AtomicBool::new(false),
            state: AtomicU8::new(IDLE),
            job: UnsafeCell::new(None),
            thread: OnceLock::new(),
            index: i,
            away: away::Away::new(),
        }));
        let handle = thread::Builder::new()
            .name(format!("shmbmp-lut-{}", i + 1))
            .spawn(move || helper.serve())
            .ok()?;
        let _ = helper.thread.set(handle.thread().clone());
        Some(helper)
    })
}

/// The most threads [`run`] can use on this machine: the caller and every helper.
pub(super) fn most() -> usize {
    // Asked once: the answer reads files (cgroup quotas) and so allocates.
    static MOST: OnceLock<usize> = OnceLock::new();
    *MOST.get_or_init(|| thread::available_parallelism().map_or(1, |n| n.get()))
}

impl Helper {
    /// The helper thread: waits for a posted job, runs it, says so; forever.
    fn serve(&self) {
        self.away.started();
        let mut seen = 0;
        loop {
            self.wait_for_post(&mut seen);
            if self
                .state
                .compare_exchange(POSTED, RUNNING, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                continue; // taken back before we got to it
            }
            // SAFETY: POSTED → RUNNING succeeded, so the caller stored the job before its
            // release store of POSTED and will not return (the job's borrow ends) before it
            // sees DONE or PANICKED (see `Handoff::drop`).
            let job = unsafe { (*self.job.get()).expect("a posted job") };
            let outcome = catch_unwind(AssertUnwindSafe(job));
            let end = if outcome.is_ok() { DONE } else { PANICKED };
            self.state.store(end, Ordering::Release);
        }
    }

    /// Spins for [`SPIN`], then sleeps, until a job is posted: in a [`Standby`] newer than
    /// `seen` (the number of the last one this helper ran) if one is up for it, else parked.
    fn wait_for_post(&self, seen: &mut u64) {
        let posted = || self.state.load(Ordering::Relaxed) == POSTED;
        loop {
            let start = Instant::now();
            let mut standby = None;
            while standby.is_none() && start.elapsed() < SPIN {
                for _ in 0..64 {
                    if posted() {
                        return;
                    }
                    std::hint::spin_loop();
                }
                standby = standby_for(self.index, seen);
            }
            if let Some(standby) = standby {
                // Ends when the job may be near; a panic only ends this standby.
                let _ = catch_unwind(AssertUnwindSafe(|| standby()));
                continue;
            }
            // `stand_by` unparks after numbering its standby, so a park here ends for it.
            while !posted() && !standby_newer(seen) {
                thread::park();
            }
            if posted() {
                return;
            }
        }
    }
}

/// What a helper runs instead of parking while a caller expects to post a job soon; it
/// returns when the job may be near (the caller's wake-up came, or is due).
pub(crate) type Standby = Arc<dyn Fn() + Send + Sync>;

/// The newest standby (`None` once withdrawn), who put it up, and for how many helpers.
struct Posted {
    owner: u64,
    helpers: usize,
    standby: Option<Standby>,
}

/// The newest [`Standby`]'s number (0: none yet); each helper runs each number at most once.
static STANDBY_NUMBER: AtomicU64 = AtomicU64::new(0);
static STANDBY: Mutex<Posted> = Mutex::new(Posted {
    owner: 0,
    helpers: 0,
    standby: None,
});

/// Has the helpers a call on `threads` threads would use (started now if need be) run
/// `standby` once each, the next time they would sleep, instead of parking: they are then
/// woken by what ends it, at the same time as the caller. `owner` names the caller for
/// [`stand_down`]. One standby is up at a time: a newer one replaces it.
pub(crate) fn stand_by(threads: super::Threads, owner: u64, standby: Standby) {
    let helpers = threads.max().min(most()).saturating_sub(1);
    {
        let mut posted = STANDBY.lock().unwrap_or_else(|e| e.into_inner());
        *posted = Posted {
            owner,
            helpers,
            standby: Some(standby),
        };
        STANDBY_NUMBER.fetch_add(1, Ordering::Release);
    }
    for helper in (0..helpers).map_while(helper) {
        if let Some(thread) = helper.thread.get() {
            thread.unpark();
        }
    }
}

/// Withdraws `owner`'s standby if it is still the newest (helpers running it finish it).
pub(crate) fn stand_down(owner: u64) {
    STANDBY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .withdraw(owner);
}

impl Posted {
    /// The standby for helper `index`, if any.
    fn for_helper(&self, index: usize) -> Option<Standby> {
        self.standby.clone().filter(|_| index < self.helpers)
    }

    /// Withdraws the standby if `owner` put it up.
    fn withdraw(&mut self, owner: u64) {
        if self.owner == owner {
            self.standby = None;
        }
    }
}

/// Whether a standby newer than `seen` was put up (for any helper).
fn standby_newer(seen: &u64) -> bool {
    STANDBY_NUMBER.load(Ordering::Acquire) != *seen
}

/// The newest standby if it is newer than `seen` and meant for helper `index`; marks it
/// seen either way.
fn standby_for(index: usize, seen: &mut u64) -> Option<Standby> {
    if !standby_newer(seen) {
        return None;
    }
    let posted = STANDBY.lock().unwrap_or_else(|e| e.into_inner());
    *seen = STANDBY_NUMBER.load(Ordering::Acquire);
    posted.for_helper(index)
}

/// The helpers a caller posted its job to; dropping it (normally or while unwinding) takes
/// back every job not yet started and waits for the rest, so the job's borrows outlive
/// every use.
struct Handoff {
    posted: Vec<&'static Helper>,
}

impl Handoff {
    /// Whether a helper panicked running the job.
    fn finish(&mut self) -> bool {
        let mut panicked = false;
        for helper in self.posted.drain(..) {
            let taken_back = helper
                .state
                .compare_exchange(POSTED, IDLE, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok();
            if !taken_back {
                let start = Instant::now();
                let end = loop {
                    let state = helper.state.load(Ordering::Acquire);
                    if state == DONE || state == PANICKED {
                        break state;
                    }
                    // A helper mid-job finishes within one share of the work; yield if
                    // its core was taken from it meanwhile.
                    if start.elapsed() > Duration::from_micros(50) {
                        thread::yield_now();
                    } else {
                        std::hint::spin_loop();
                    }
                };
                panicked |= end == PANICKED;
                helper.state.store(IDLE, Ordering::Relaxed);
            }
            // SAFETY: the helper no longer reads the slot: the job was taken back while
            // POSTED, or the helper stored DONE/PANICKED after its last use.
            unsafe { *helper.job.get() = None };
            helper.taken.store(false, Ordering::Release);
        }
        panicked
    }
}

impl Drop for Handoff {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Runs `job` on the calling thread and on up to `threads - 1` helpers at once, returning
/// when every run that started has ended. `job` must share its work out itself (each run
/// takes what is left); helpers that are asleep or in another caller's use are not waited
/// for. Panics if `job` panicked on a helper.
pub(super) fn run(threads: usize, job: &(dyn Fn() + Sync)) {
    let mut handoff = Handoff { posted: Vec::new() };
    for helper in (0..threads.saturating_sub(1)).map_while(helper) {
        if helper.taken.swap(true, Ordering::Acquire) {
            continue;
        }
        // SAFETY: the lifetime is erased for the slot only; `handoff` (dropped before this
        // function returns, even on unwinding) takes the job back or waits until the
        // helper is done with it, so the helper never calls it after `job`'s borrow ends.
        let erased: Job<'static> = unsafe { std::mem::transmute::<Job<'_>, Job<'static>>(job) };
        // SAFETY: we hold `taken` and the state is IDLE: the helper does not read the slot.
        unsafe { *helper.job.get() = Some(erased) };
        helper.away.keep_off_this_core();
        helper.state.store(POSTED, Ordering::Release);
        handoff.posted.push(helper);
        if let Some(thread) = helper.thread.get() {
            thread.unpark();
        }
    }
    job();
    if handoff.finish() {
        panic!("a row band panicked on a helper thread");
    }
}

/// Keeping a helper off its caller's core. Waking a sleeping thread on Linux may place it
/// on the waker's core and run it first: measured at 60 frames/s on a 2-vCPU VM, every
/// other frame the helper did all the work on the caller's core while the caller waited
/// for it and the other core idled (1.08–1.41 ms a frame against 0.52–0.58 ms).
#[cfg(target_os = "linux")]
mod away {
    use std::sync::atomic::{AtomicI32, Ordering};

    /// A helper thread's id and the core it was last kept off.
    pub(super) struct Away {
        tid: AtomicI32,
        off: AtomicI32,
    }

    impl Away {
        /// For a helper not started yet.
        pub(super) fn new() -> Self {
            Away {
                tid: AtomicI32::new(0),
                off: AtomicI32::new(-1),
            }
        }

        /// Called on the helper thread when it starts.
        pub(super) fn started(&self) {
            // SAFETY: gettid has no preconditions.
            self.tid.store(unsafe { libc::gettid() }, Ordering::Release);
        }

        /// Lets the helper run on every core the process may use but the caller's (a
        /// system call only when the caller has moved to another core).
        pub(super) fn keep_off_this_core(&self) {
            // SAFETY: sched_getcpu has no preconditions.
            let cpu = unsafe { libc::sched_getcpu() };
            let tid = self.tid.load(Ordering::Acquire);
            if cpu < 0 || tid == 0 || self.off.swap(cpu, Ordering::Relaxed) == cpu {
                return;
            }
            // SAFETY: a zeroed cpu_set_t is an empty set; the calls only read and write
            // `set`, which outlives them.
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                let size = std::mem::size_of::<libc::cpu_set_t>();
                if libc::sched_getaffinity(0, size, &mut set) != 0 {
                    return;
                }
                libc::CPU_CLR(cpu as usize, &mut set);
                if libc::CPU_COUNT(&set) > 0 {
                    libc::sched_setaffinity(tid, size, &set);
                }
            }
        }
    }
}

/// Elsewhere wake-ups are left to the OS.
#[cfg(not(target_os = "linux"))]
mod away {
    pub(super) struct Away;

    impl Away {
        pub(super) fn new() -> Self {
            Away
        }
        pub(super) fn started(&self) {}
        pub(super) fn keep_off_this_core(&self) {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Every unit of work is done once, whichever threads are awake, call after call (back
    /// to back, and after the helpers have gone to sleep), and from several callers at once.
    #[test]
    fn work_is_done_once_by_whoever_is_awake() {
        let check = |threads: usize| {
            let next = AtomicUsize::new(0);
            let done: Vec<AtomicUsize> = (0..64).map(|_| AtomicUsize::new(0)).collect();
            run(threads, &|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = done.get(i) else { break };
                slot.fetch_add(1, Ordering::Relaxed);
                std::hint::black_box((0..2000).sum::<u64>());
            });
            assert!(done.iter().all(|d| d.load(Ordering::Relaxed) == 1));
        };
        for threads in [1, 2, 3, 8] {
            for _ in 0..50 {
                check(threads);
            }
            thread::sleep(SPIN * 5);
            check(threads);
        }
        thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..50).for_each(|_| check(4)));
            }
        });
    }

    /// A standby runs on a helper, once per posting, and the helper still takes jobs after.
    #[test]
    fn a_standby_runs_once_on_a_helper() {
        if helper(0).is_none() {
            crate::test_util::skipped("one core: no helper thread to stand by");
            return;
        }
        static OWNER: AtomicU64 = AtomicU64::new(1 << 40);
        let two = super::super::Threads::AtMost(std::num::NonZeroUsize::new(2).unwrap());
        // Other tests may replace the standby before a helper takes it: try until one ran.
        let ran_once = (0..100).any(|_| {
            let owner = OWNER.fetch_add(1, Ordering::Relaxed);
            let runs = Arc::new(AtomicUsize::new(0));
            let on_helper = Arc::new(AtomicBool::new(false));
            let (r, h) = (runs.clone(), on_helper.clone());
            stand_by(
                two,
                owner,
                Arc::new(move || {
                    // Where it ran is stored before the run is counted (released), so a
                    // count seen (acquired) comes with it, however slowly this thread runs.
                    let name = thread::current().name().map(str::to_owned);
                    h.store(
                        name.is_some_and(|n| n.starts_with("shmbmp-lut")),
                        Ordering::Relaxed,
                    );
                    r.fetch_add(1, Ordering::Release);
                }),
            );
            let t = Instant::now();
            while runs.load(Ordering::Acquire) == 0 && t.elapsed() < SPIN * 500 {
                thread::sleep(SPIN / 4);
            }
            thread::sleep(SPIN * 5);
            stand_down(owner);
            let n = runs.load(Ordering::Acquire);
            assert!(n <= 1, "one standby ran {n} times");
            assert!(
                n == 0 || on_helper.load(Ordering::Relaxed),
                "ran off the helpers"
            );
            n == 1
        });
        assert!(ran_once, "no helper ran the standby in 100 tries");
        let ran = AtomicUsize::new(0);
        run(2, &|| {
            ran.fetch_add(1, Ordering::Relaxed);
        });
        assert!(ran.load(Ordering::Relaxed) >= 1);
    }

    /// A standby goes to the helpers it was put up for, and to none once withdrawn.
    #[test]
    fn a_standby_is_for_its_helpers_until_withdrawn() {
        let mut posted = Posted {
            owner: 7,
            helpers: 2,
            standby: Some(Arc::new(|| {})),
        };
        assert!(posted.for_helper(0).is_some() && posted.for_helper(1).is_some());
        assert!(posted.for_helper(2).is_none());
        posted.withdraw(8);
        assert!(posted.for_helper(0).is_some(), "withdrawn by another owner");
        posted.withdraw(7);
        assert!(posted.for_helper(0).is_none());
    }

    /// A panic on a helper reaches the caller, and the helper serves the next job.
    #[test]
    fn a_helper_panic_reaches_the_caller() {
        if helper(0).is_none() {
            crate::test_util::skipped("one core: no helper thread to panic on");
            return;
        }
        let caller = thread::current().id();
        // Other tests may hold the helper: try until it runs the job.
        let helper_ran = (0..100).any(|_| {
            let started = AtomicBool::new(false);
            let result = catch_unwind(AssertUnwindSafe(|| {
                run(2, &|| {
                    if thread::current().id() != caller {
                        started.store(true, Ordering::Release);
                        panic!("helper job");
                    }
                    let t = Instant::now();
                    while !started.load(Ordering::Acquire) && t.elapsed() < SPIN * 100 {
                        std::hint::spin_loop();
                    }
                })
            }));
            let started = started.load(Ordering::Acquire);
            assert_eq!(
                result.is_err(),
                started,
                "a helper's panic was lost or made up"
            );
            started
        });
        assert!(helper_ran, "the helper never ran the job in 100 tries");
        let ran = AtomicUsize::new(0);
        run(2, &|| {
            ran.fetch_add(1, Ordering::Relaxed);
        });
        assert!(ran.load(Ordering::Relaxed) >= 1);
    }
}
