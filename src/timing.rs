//! Drift-proof timing: the memcpy floor and every decoder run round by round, one of each per
//! round, so a machine whose speed moves during the run (a shared virtual machine whose
//! neighbours come and go) slows them all alike and the ratios between them hold.
//!
//! Used by `shmbmp bench` and by `cargo bench` (its "interleaved" table in `reports/`).
//!
//! Each job runs right after the others, so caches are cold for all of them. That favours
//! decoders that read less than the floor does: the floor's memcpy reads its whole output size
//! (7.68 MB for 1600×1200), an 8-bit decode reads a quarter of that.

use std::hint::black_box;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::decode::kernel_levels;
use crate::{registry, Decoder, Error, Kernels, Layout, Limits};

/// The decoders a full timing compares: the registry, then `lut` on each kernel level below
/// the one it picks on this CPU (`lut_scalar`, `lut_avx2`), to show what each level buys.
pub fn compared_decoders() -> Vec<&'static dyn Decoder> {
    let picked = Kernels::detect().lut_name();
    let lower = kernel_levels().take_while(|d| d.name() != picked);
    registry().iter().copied().chain(lower).collect()
}

/// Median wall time of each of `jobs`, in nanoseconds, after one warm-up run of each; the
/// timed runs are `rounds` rounds of one run of every job, in order.
pub fn interleaved_medians(rounds: usize, jobs: &mut [Box<dyn FnMut() + '_>]) -> Vec<f64> {
    let mut times = vec![Vec::with_capacity(rounds.max(1)); jobs.len()];
    for job in jobs.iter_mut() {
        job();
    }
    for _ in 0..rounds.max(1) {
        for (job, t) in jobs.iter_mut().zip(&mut times) {
            let start = Instant::now();
            job();
            t.push(start.elapsed().as_nanos() as f64);
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}

/// One decoder's result in an [`Interleaved`] measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecoderTime {
    /// Registry name.
    pub decoder: String,
    /// Median of `decode_into` a reused buffer, nanoseconds; `None` when it failed.
    pub median_ns: Option<f64>,
    /// Why it was not timed.
    pub error: Option<String>,
}

/// The floor and decoders on one BMP, timed interleaved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interleaved {
    /// Fixture or file name.
    pub name: String,
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Bytes of RGBA output.
    pub rgba_bytes: u64,
    /// Timed rounds.
    pub rounds: usize,
    /// Median of a memcpy of `rgba_bytes` into a reused buffer, nanoseconds.
    pub floor_ns: f64,
    /// Every decoder asked for, in the order given.
    pub decoders: Vec<DecoderTime>,
}

impl Interleaved {
    /// The median of `decoder`, if it was timed.
    pub fn median_ns(&self, decoder: &str) -> Option<f64> {
        self.decoders
            .iter()
            .find(|d| d.decoder == decoder)
            .and_then(|d| d.median_ns)
    }
}

/// Times the floor and each of `decoders` (`decode_into` a reused buffer) on `bmp`,
/// interleaved over `rounds` rounds. Decoders that fail on `bmp` are listed with their error,
/// not timed; an error here means the header itself was refused.
pub fn interleave_decoders(
    name: &str,
    bmp: &[u8],
    decoders: &[&dyn Decoder],
    limits: &Limits,
    rounds: usize,
) -> Result<Interleaved, Error> {
    let layout = Layout::parse(bmp, limits)?;
    let len = layout.output_len();
    let (src, mut dst) = (vec![0x5au8; len], vec![0u8; len]);
    // One untimed decode each into the buffer it will reuse: who fails is listed, not timed.
    let mut outs = vec![Vec::new(); decoders.len()];
    let errors: Vec<Option<String>> = decoders
        .iter()
        .zip(&mut outs)
        .map(|(d, out)| d.decode_into(bmp, limits, out).err().map(|e| e.to_string()))
        .collect();
    let mut jobs: Vec<Box<dyn FnMut() + '_>> =
        vec![Box::new(|| dst.copy_from_slice(black_box(&src)))];
    for ((d, out), _) in decoders
        .iter()
        .zip(&mut outs)
        .zip(&errors)
        .filter(|(_, e)| e.is_none())
    {
        jobs.push(Box::new(move || {
            let _ = black_box(d.decode_into(black_box(bmp), limits, out));
        }));
    }
    let mut medians = interleaved_medians(rounds, &mut jobs).into_iter();
    drop(jobs);
    let floor_ns = medians.next().unwrap_or(f64::NAN);
    let decoders = decoders
        .iter()
        .zip(errors)
        .map(|(d, error)| DecoderTime {
            decoder: d.name().to_string(),
            median_ns: if error.is_none() {
                medians.next()
            } else {
                None
            },
            error,
        })
        .collect();
    Ok(Interleaved {
        name: name.to_string(),
        width: layout.width,
        height: layout.height,
        rgba_bytes: len as u64,
        rounds: rounds.max(1),
        floor_ns,
        decoders,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn jobs_run_once_to_warm_up_then_in_rounds() {
        let log = RefCell::new(Vec::new());
        let mut jobs: Vec<Box<dyn FnMut() + '_>> = vec![
            Box::new(|| log.borrow_mut().push('a')),
            Box::new(|| {
                log.borrow_mut().push('b');
                std::thread::sleep(std::time::Duration::from_millis(2));
            }),
        ];
        let medians = interleaved_medians(3, &mut jobs);
        drop(jobs);
        assert_eq!(log.into_inner(), "abababab".chars().collect::<Vec<_>>());
        assert_eq!(medians.len(), 2);
        assert!(medians[1] >= 2e6 && medians[0] < medians[1], "{medians:?}");
    }

    #[test]
    fn failing_decoders_are_listed_not_timed() {
        // A 16-bit file: every decoder of ours decodes it; the `bmp` crate refuses it.
        let bmp = crate::encode::encode(&crate::encode::fixture("rgb16_565").unwrap().spec);
        let decoders: Vec<&dyn Decoder> = vec![&crate::Lut::AUTO, &crate::BmpCrate];
        let t = interleave_decoders("x", &bmp, &decoders, &Limits::default(), 2).unwrap();
        assert_eq!(t.rgba_bytes, u64::from(t.width * t.height * 4));
        assert!(t.floor_ns > 0.0);
        assert!(t.median_ns("lut").is_some_and(|m| m > 0.0));
        let bmp_crate = &t.decoders[1];
        assert_eq!(bmp_crate.decoder, "bmp");
        assert!(bmp_crate.median_ns.is_none() && bmp_crate.error.is_some());
        assert!(interleave_decoders("x", b"BM", &decoders, &Limits::default(), 1).is_err());
    }
}
