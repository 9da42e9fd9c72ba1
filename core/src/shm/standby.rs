//! Waking `lut`'s helper threads with a [`Reader`](super::Reader): while a reader that
//! decodes on more than one thread sleeps for a frame, the helpers sleep on the same wake
//! word, so the writer's wake-up reaches them too; at a steady pace they wake a little
//! before the frame is due and look for it, so its decode finds them running.
//!
//! Why: a helper woken by the reader once the reader itself was awake started its first
//! band ~100 µs into the decode of a seed frame at 60 frames/s, on a 2-vCPU VM (Zen 3) where
//! a halted vCPU takes that long to wake; the reader took the helper's bands meanwhile.
//! Frame by frame on one writer (a scratch reader alternating): the helper's first band
//! began 14-15 µs into the decode with a [`Standby`] that wakes early, 30-41 µs with one
//! woken only by the writer, 93-127 µs without.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::region::{now_ns, Region};
use crate::decode::Standby;

/// How long before a frame is due the helpers wake to look for it: more than the writer's
/// usual lateness at 60 frames/s here (p50 20-30 µs, p90 50-110 µs from its schedule).
const EARLY: Duration = Duration::from_micros(300);
/// How long past its due time they keep looking before they sleep on the wake word again.
const LATE: Duration = Duration::from_micros(300);
/// The pace is the median of this many gaps between frames.
const GAPS: usize = 3;

/// When the writer's next frame is due, from the frames this reader took.
#[derive(Debug, Default, Clone)]
pub(super) struct Pace {
    /// The last frame taken: its number and the writer's clock when it was published.
    last: Option<(u64, u64)>,
    /// The latest gaps between frames (ns a frame), a ring.
    gaps: [u64; GAPS],
    /// Gaps measured since the pace was last lost.
    measured: usize,
}

impl Pace {
    /// Notes frame `frame`, published at `written_ns`.
    pub(super) fn took(&mut self, frame: u64, written_ns: u64) {
        match self.last {
            Some((f, w)) if frame > f && written_ns > w => {
                self.gaps[self.measured % GAPS] = (written_ns - w) / (frame - f);
                self.measured += 1;
            }
            // A new writer, or its clock stepped back.
            Some(_) => self.measured = 0,
            None => {}
        }
        self.last = Some((frame, written_ns));
    }

    /// When the next frame is due (ns since the Unix epoch): the last one's time plus the
    /// median gap, once [`GAPS`] gaps were measured.
    pub(super) fn next_due(&self) -> Option<u64> {
        let (_, written_ns) = self.last?;
        if self.measured < GAPS {
            return None;
        }
        let mut gaps = self.gaps;
        gaps.sort_unstable();
        Some(written_ns.saturating_add(gaps[GAPS / 2]))
    }
}

/// What the helpers run while a reader sleeps on `region`'s wake word at `wake_at` (which
/// held `expected`), for at most `max`: they sleep on the word too, but from [`EARLY`]
/// before `due` to [`LATE`] after it they spin on it instead.
pub(super) fn standby(
    region: Arc<Region>,
    wake_at: usize,
    expected: u32,
    due: Option<u64>,
    max: Duration,
) -> Standby {
    Arc::new(move || {
        let word = region.u32_at(wake_at);
        let end = Instant::now() + max;
        let left = || end.saturating_duration_since(Instant::now());
        let now = now_ns();
        if let Some(due) = due.filter(|&due| now < due.saturating_add(nanos(LATE))) {
            let early = due.saturating_sub(nanos(EARLY));
            if now < early {
                region.wait(
                    word,
                    expected,
                    Duration::from_nanos(early - now).min(left()),
                );
            }
            let looking =
                Duration::from_nanos(due.saturating_add(nanos(LATE)).saturating_sub(now_ns()));
            let stop = Instant::now() + looking.min(left());
            while word.load(Ordering::Acquire) == expected && Instant::now() < stop {
                std::hint::spin_loop();
            }
        }
        region.wait(word, expected, left());
    })
}

fn nanos(d: Duration) -> u64 {
    d.as_nanos() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pace_is_the_median_gap_once_measured() {
        let mut pace = Pace::default();
        pace.took(1, 1_000);
        assert_eq!(pace.next_due(), None);
        pace.took(2, 2_000);
        pace.took(4, 4_400); // skipped frame 3: 1,200 a frame
        assert_eq!(pace.next_due(), None, "two gaps are not a pace yet");
        pace.took(5, 9_400); // one late frame
        assert_eq!(pace.next_due(), Some(9_400 + 1_200));
        pace.took(1, 10_000); // a new writer: measured again from here
        assert_eq!(pace.next_due(), None);
    }
}
