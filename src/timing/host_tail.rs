//! The host's own tail: a fixed job of register arithmetic (no memory traffic, so no cache
//! or memory effect of ours) run at a frame rate between sleeps, as a reader decodes frames
//! that arrive at that rate. Its spread is what the machine — timer ticks, the hypervisor,
//! other tenants — does to any job of that length; a decode's tail can be read beside it.
//! [`at_rate`] runs any job so, e.g. the same decode of a private copy of the frame.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// One step of the job: a multiply-add whose result feeds the next (a fixed dependency
/// chain, so the time is the core's clock and nothing else).
fn steps(n: u64, seed: u64) -> u64 {
    let mut x = seed;
    for i in 0..n {
        x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
    }
    x
}

/// Steps that take about `job` on this core, from the fastest of a few hot calibration runs.
fn steps_for(job: Duration) -> u64 {
    const PROBE: u64 = 2_000_000;
    let fastest = (0..5)
        .map(|_| {
            let t = Instant::now();
            black_box(steps(PROBE, 1));
            t.elapsed()
        })
        .min()
        .unwrap_or(Duration::from_millis(1));
    ((job.as_secs_f64() / fastest.as_secs_f64().max(1e-9)) * PROBE as f64).max(1.0) as u64
}

/// Runs a job calibrated to take `job` (hot) `rate_hz` times a second for `window`, asleep
/// between runs, and returns each run's wall time in µs, ascending.
pub fn fixed_job_at(rate_hz: f64, job: Duration, window: Duration) -> Vec<f64> {
    let n = steps_for(job);
    at_rate(rate_hz, window, |k| {
        black_box(steps(n, u64::from(k)));
    })
}

/// Runs `job` (given the run's number, from 1) `rate_hz` times a second for `window`,
/// asleep between runs, and returns each run's wall time in µs, ascending.
pub fn at_rate(rate_hz: f64, window: Duration, mut job: impl FnMut(u32)) -> Vec<f64> {
    let period = Duration::from_secs_f64(1.0 / rate_hz);
    let started = Instant::now();
    let mut times = Vec::new();
    for k in 1u32.. {
        let due = started + period * k;
        if due > started + window {
            break;
        }
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let t = Instant::now();
        job(k);
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    times
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_runs_at_the_rate_for_the_window_and_takes_about_its_length() {
        let t = fixed_job_at(
            100.0,
            Duration::from_micros(500),
            Duration::from_millis(200),
        );
        assert_eq!(t.len(), 20, "100/s for 0.2 s");
        assert!(t.windows(2).all(|w| w[0] <= w[1]), "ascending");
        // Calibrated hot; a loaded machine only makes runs longer, never 5× shorter.
        assert!(
            t[t.len() / 2] > 100.0,
            "median {} µs for a 500 µs job",
            t[t.len() / 2]
        );
    }
}
