//! `shmbmp bench FILE...`: a quick standalone timing of every decoder on a user's own frames.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use super::files::LimitArgs;
use super::CliResult;
use shmbmp::{by_name, registry, Decode, Layout};

/// Median wall time in milliseconds of each of `jobs`, after one warm-up run of each. The
/// runs are interleaved (one of each job per round, `rounds` rounds) so that a machine whose
/// speed drifts during the run slows every job alike and the ratios between them hold.
fn interleaved_medians_ms(rounds: usize, jobs: &mut [Box<dyn FnMut() + '_>]) -> Vec<f64> {
    let mut times = vec![Vec::with_capacity(rounds.max(1)); jobs.len()];
    for job in jobs.iter_mut() {
        job();
    }
    for _ in 0..rounds.max(1) {
        for (job, t) in jobs.iter_mut().zip(&mut times) {
            let start = Instant::now();
            job();
            t.push(start.elapsed().as_secs_f64() * 1e3);
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

/// Times `decoder` (a registry name or `all`) on each file and prints a table per file.
pub fn run(files: &[PathBuf], decoder: &str, iters: usize, limits: &LimitArgs) -> CliResult {
    let decoders: Vec<&dyn Decode> = if decoder == "all" {
        registry().to_vec()
    } else {
        vec![by_name(decoder).ok_or_else(|| format!("unknown decoder {decoder:?}"))?]
    };
    let limits = limits.limits();
    for file in files {
        let bmp = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let layout =
            Layout::parse(&bmp, &limits).map_err(|e| format!("{}: {e}", file.display()))?;
        let len = layout.output_len();
        let (src, mut dst) = (vec![0x5au8; len], vec![0u8; len]);
        // Decoders that fail on this file are reported, not timed.
        let mut failed = Vec::new();
        let mut timed = Vec::new();
        for d in &decoders {
            match d.decode_into(&bmp, &limits, &mut Vec::new()) {
                Ok(_) => timed.push(*d),
                Err(e) => failed.push((d.name(), e.to_string())),
            }
        }
        let mut outs = vec![Vec::new(); timed.len()];
        let mut jobs: Vec<Box<dyn FnMut() + '_>> =
            vec![Box::new(|| dst.copy_from_slice(black_box(&src)))];
        for (d, out) in timed.iter().zip(&mut outs) {
            let (bmp, limits) = (&bmp, &limits);
            jobs.push(Box::new(move || {
                let _ = black_box(d.decode_into(black_box(bmp), limits, out));
            }));
        }
        let medians = interleaved_medians_ms(iters, &mut jobs);
        drop(jobs);
        let floor = medians[0];
        let lut = timed
            .iter()
            .zip(&medians[1..])
            .find(|(d, _)| d.name() == "lut")
            .map(|(_, &m)| m);
        let mut rows = vec![("floor (memcpy)".to_string(), Ok(floor))];
        for (d, &m) in timed.iter().zip(&medians[1..]) {
            rows.push((format!("{} (decode_into)", d.name()), Ok(m)));
        }
        for (name, e) in failed {
            rows.push((format!("{name} (decode_into)"), Err(e)));
        }
        println!(
            "{}: {}x{}, {} bytes of RGBA, median of {iters} interleaved rounds",
            file.display(),
            layout.width,
            layout.height,
            len
        );
        println!(
            "  {:<22} {:>10} {:>8} {:>9} {:>8}",
            "decoder", "median", "GB/s", "/ floor", "/ lut"
        );
        for (name, row) in rows {
            match row {
                Ok(ms) => {
                    let vs_lut = lut.map_or("-".into(), |l| format!("{:.2}", ms / l));
                    let gbs = len as f64 / (ms * 1e6);
                    println!(
                        "  {name:<22} {:>10} {gbs:>8.2} {:>9.2} {vs_lut:>8}",
                        shmbmp::report::fmt_ns(ms * 1e6),
                        ms / floor
                    );
                }
                Err(e) => println!("  {name:<22} {e}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
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
        let medians = interleaved_medians_ms(3, &mut jobs);
        drop(jobs);
        assert_eq!(log.into_inner(), "abababab".chars().collect::<Vec<_>>());
        assert_eq!(medians.len(), 2);
        assert!(medians[1] >= 2.0 && medians[0] < medians[1], "{medians:?}");
    }
}
