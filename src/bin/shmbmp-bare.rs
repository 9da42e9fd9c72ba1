//! `shmbmp-bare FILE ROUNDS NAME...`: each decoder called directly, as a user's minimal
//! program calls it, with nothing of the suite in between (no adapter, no criterion, no
//! allocator settings): the reference the suite's own timings are checked against
//! (`cargo bench` and `shmbmp bench --bare` run it; see `shmbmp_suite::timing::bare`).
//!
//! For each NAME (`image`, `bmp`, `zune`, `lut`, `lut_into`) it runs the call until warm
//! (3 runs and 100 ms), then ROUNDS timed runs in a row, and prints `NAME MEDIAN_NS` or
//! `NAME error MESSAGE`, one line each.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use shmbmp::{Decode, Limits, Lut};

/// The median of `rounds` timed runs of `call` after the warm-up, or the first error.
fn median_ns(rounds: usize, mut call: impl FnMut() -> Result<(), String>) -> Result<f64, String> {
    let start = Instant::now();
    let mut runs = 0;
    while runs < 3 || start.elapsed() < Duration::from_millis(100) {
        call()?;
        runs += 1;
    }
    let mut times: Vec<f64> = (0..rounds.max(1))
        .map(|_| {
            let t = Instant::now();
            let r = call();
            let ns = t.elapsed().as_nanos() as f64;
            r.map(|()| ns)
        })
        .collect::<Result<_, _>>()?;
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(file), Some(Ok(rounds))) = (args.first(), args.get(1).map(|r| r.parse())) else {
        eprintln!(
            "usage: shmbmp-bare FILE ROUNDS NAME...  (NAME: image, bmp, zune, lut, lut_into)"
        );
        return ExitCode::from(2);
    };
    let bmp = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("shmbmp-bare: {file}: {e}");
            return ExitCode::from(1);
        }
    };
    let limits = Limits::default();
    let mut out = Vec::new();
    for name in &args[2..] {
        let result = match name.as_str() {
            "image" => median_ns(rounds, || {
                let img = image::load_from_memory_with_format(&bmp, image::ImageFormat::Bmp)
                    .map_err(|e| e.to_string())?;
                black_box(img.into_rgba8());
                Ok(())
            }),
            "bmp" => median_ns(rounds, || {
                let img =
                    bmp::from_reader(&mut std::io::Cursor::new(&bmp)).map_err(|e| e.to_string())?;
                black_box(img);
                Ok(())
            }),
            "zune" => median_ns(rounds, || {
                let mut dec = zune_bmp::BmpDecoder::new(zune_core::bytestream::ZCursor::new(&bmp));
                black_box(dec.decode().map_err(|e| format!("{e:?}"))?);
                Ok(())
            }),
            "lut" => median_ns(rounds, || {
                black_box(Lut::AUTO.decode(&bmp, &limits).map_err(|e| e.to_string())?);
                Ok(())
            }),
            "lut_into" => median_ns(rounds, || {
                black_box(
                    Lut::AUTO
                        .decode_into(&bmp, &limits, &mut out)
                        .map_err(|e| e.to_string())?,
                );
                Ok(())
            }),
            other => Err(format!("unknown call {other:?}")),
        };
        match result {
            Ok(ns) => println!("{name} {ns}"),
            Err(e) => println!("{name} error {}", e.replace('\n', " ")),
        }
    }
    ExitCode::SUCCESS
}
