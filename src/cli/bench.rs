//! `shmbmp bench FILE...`: a quick standalone timing of every decoder on a user's own frames.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use super::files::LimitArgs;
use super::CliResult;
use shmbmp::{by_name, registry, Decode, Layout};

/// Median wall time of `iters` runs of `f`, in milliseconds, after one warm-up run.
fn median_ms(iters: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..iters.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
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
        let floor = median_ms(iters, || dst.copy_from_slice(black_box(&src)));
        let mut rows = vec![("floor (memcpy)".to_string(), Ok(floor))];
        let mut lut = None;
        for d in &decoders {
            let mut out = Vec::new();
            let row = match d.decode_into(&bmp, &limits, &mut out) {
                Ok(_) => Ok(median_ms(iters, || {
                    let _ = black_box(d.decode_into(black_box(&bmp), &limits, &mut out));
                })),
                Err(e) => Err(e.to_string()),
            };
            if d.name() == "lut" {
                lut = row.as_ref().ok().copied();
            }
            rows.push((format!("{} (decode_into)", d.name()), row));
        }
        println!(
            "{}: {}x{}, {} bytes of RGBA, median of {iters} runs",
            file.display(),
            layout.width,
            layout.height,
            len
        );
        println!(
            "  {:<22} {:>10} {:>8} {:>9} {:>8}",
            "decoder", "ms", "GB/s", "/ floor", "/ lut"
        );
        for (name, row) in rows {
            match row {
                Ok(ms) => {
                    let vs_lut = lut.map_or("-".into(), |l| format!("{:.2}", ms / l));
                    let gbs = len as f64 / (ms * 1e6);
                    println!(
                        "  {name:<22} {ms:>10.3} {gbs:>8.2} {:>9.2} {vs_lut:>8}",
                        ms / floor
                    );
                }
                Err(e) => println!("  {name:<22} {e}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
