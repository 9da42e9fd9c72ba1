//! A frame another core has just written: the part of a cross-process handoff that is the
//! hardware's, timed without any shared memory.
//!
//! A reader decoding in place reads a slot the writer's core wrote moments before, so the
//! frame's cache lines come from that core's caches, not its own. On a virtual machine that
//! cost depends on where the host placed the two virtual CPUs: measured on the Zen 3 VM here
//! (one process, a thread on each CPU, 300 decodes alternating, p50), `lut` on the seed
//! frame took 391 → 386 µs in some minutes and 395–445 → 489–512 µs in others (hot → right
//! after the other CPU rewrote it), and a plain read of the 1.92 MB then took 157 µs against
//! 24 µs hot. [`after_other_cpu_wrote`] measures it in the same run as the handoff it explains.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Barrier, Mutex};
use std::time::Instant;

use super::percentile;

/// Median µs of `runs` calls of `job` on a copy of `frame` that a thread pinned to another
/// CPU rewrote right before each call (`job` runs pinned to a CPU of its own). `None` with
/// fewer than two CPUs to run on, or where threads cannot be pinned.
pub fn after_other_cpu_wrote(
    frame: &[u8],
    runs: usize,
    mut job: impl FnMut(&[u8]) + Send,
) -> Option<f64> {
    let cores = core_affinity::get_core_ids()?;
    let [mine, other, ..] = cores[..] else {
        return None;
    };
    let copy = Mutex::new(frame.to_vec());
    // Twice a run: the writer starts, then the reader takes the copy it wrote.
    let turn = Barrier::new(2);
    let (copy, turn) = (&copy, &turn);
    let (mut times, pinned) = std::thread::scope(|s| {
        let writer = s.spawn(move || {
            let pinned = core_affinity::set_for_current(other);
            for _ in 0..runs {
                turn.wait();
                copy.lock()
                    .expect("the copy's lock is never poisoned")
                    .copy_from_slice(frame);
                turn.wait();
            }
            pinned
        });
        let reader = s.spawn(move || {
            let pinned = core_affinity::set_for_current(mine);
            let (mut times, mut panicked) = (Vec::with_capacity(runs), None);
            for _ in 0..runs {
                turn.wait();
                turn.wait();
                if panicked.is_some() {
                    continue; // Keep step with the writer, which would wait forever.
                }
                let copy = copy.lock().expect("the copy's lock is never poisoned");
                let t = Instant::now();
                match panic::catch_unwind(AssertUnwindSafe(|| job(&copy))) {
                    Ok(()) => times.push(t.elapsed().as_secs_f64() * 1e6),
                    Err(e) => panicked = Some(e),
                }
            }
            if let Some(e) = panicked {
                panic::resume_unwind(e);
            }
            (times, pinned)
        });
        let write_pinned = writer.join().expect("the writer thread");
        let (times, read_pinned) = match reader.join() {
            Ok(r) => r,
            Err(e) => panic::resume_unwind(e), // `job` panicked.
        };
        (times, read_pinned && write_pinned)
    });
    times.sort_by(f64::total_cmp);
    (pinned && !times.is_empty()).then(|| percentile(&times, 0.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_run_sees_the_frame_the_other_cpu_wrote() {
        let frame: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let (mut seen, mut same) = (0, 0);
        let median = after_other_cpu_wrote(&frame, 5, |copy| {
            seen += 1;
            same += usize::from(copy == &frame[..]);
        });
        let cpus = core_affinity::get_core_ids().map_or(0, |c| c.len());
        if cpus < 2 {
            assert_eq!(median, None);
            eprintln!("one CPU: no other core to write the frame (checked: None)");
            return;
        }
        assert_eq!((seen, same), (5, 5));
        assert!(median.is_some_and(|m| m >= 0.0), "{median:?}");
    }
}
