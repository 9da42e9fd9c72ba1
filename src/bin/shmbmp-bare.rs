//! `shmbmp-bare FILE ROUNDS NAME...`: each decoder called directly, as a user's minimal
//! program calls it, with nothing of the suite in between (no adapter, no criterion, no
//! allocator settings of its own: the suite runs it once as it is and once with
//! `GLIBC_TUNABLES` holding glibc malloc steady as its own timings do): the reference the
//! suite's own timings are checked against (`cargo bench` and `shmbmp bench --bare` run it;
//! see `shmbmp_suite::timing::bare`).
//!
//! For each NAME (`image`, `bmp`, `zune`, `stb`, `lut`, `lut_into`) it runs the call until warm
//! (3 runs and 100 ms), then ROUNDS timed runs one by one, then 8 batches of about 25 ms of
//! runs back to back, and prints `NAME MEDIAN_NS BATCH_NS` (the median of the single runs,
//! and the median over the batches of each batch's mean, the statistic criterion reports) or
//! `NAME error MESSAGE`, one line each.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use shmbmp::{Decode, Limits, Lut};

/// Batches timed for the batch statistic, and the time each aims at.
const BATCHES: usize = 8;
const BATCH: Duration = Duration::from_millis(25);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The median of `rounds` single timed runs of `call` after the warm-up, and the median
/// of [`BATCHES`] batch means; or the first error.
fn medians(
    rounds: usize,
    mut call: impl FnMut() -> Result<(), String>,
) -> Result<(f64, f64), String> {
    let start = Instant::now();
    let mut runs = 0;
    while runs < 3 || start.elapsed() < Duration::from_millis(100) {
        call()?;
        runs += 1;
    }
    let singles: Vec<f64> = (0..rounds.max(1))
        .map(|_| {
            let t = Instant::now();
            let r = call();
            let ns = t.elapsed().as_nanos() as f64;
            r.map(|()| ns)
        })
        .collect::<Result<_, _>>()?;
    let single = median(singles);
    let per_batch = ((BATCH.as_nanos() as f64 / single) as usize).max(1);
    let batches: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_batch {
                call()?;
            }
            Ok(t.elapsed().as_nanos() as f64 / per_batch as f64)
        })
        .collect::<Result<_, String>>()?;
    Ok((single, median(batches)))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(file), Some(Ok(rounds))) = (args.first(), args.get(1).map(|r| r.parse())) else {
        eprintln!(
            "usage: shmbmp-bare FILE ROUNDS NAME...  (NAME: image, bmp, zune, stb, lut, lut_into)"
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
            "image" => medians(rounds, || {
                let img = image::load_from_memory_with_format(&bmp, image::ImageFormat::Bmp)
                    .map_err(|e| e.to_string())?;
                black_box(img.into_rgba8());
                Ok(())
            }),
            "bmp" => medians(rounds, || {
                let img =
                    bmp::from_reader(&mut std::io::Cursor::new(&bmp)).map_err(|e| e.to_string())?;
                black_box(img);
                Ok(())
            }),
            "zune" => medians(rounds, || {
                let mut dec = zune_bmp::BmpDecoder::new(zune_core::bytestream::ZCursor::new(&bmp));
                black_box(dec.decode().map_err(|e| format!("{e:?}"))?);
                Ok(())
            }),
            #[cfg(target_os = "linux")]
            "stb" => medians(rounds, || {
                match stb_image::image::load_from_memory_with_depth(&bmp, 4, false) {
                    stb_image::image::LoadResult::ImageU8(img) => black_box(img),
                    _ => return Err("stb refused the file".to_string()),
                };
                Ok(())
            }),
            "lut" => medians(rounds, || {
                black_box(Lut::AUTO.decode(&bmp, &limits).map_err(|e| e.to_string())?);
                Ok(())
            }),
            "lut_into" => medians(rounds, || {
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
            Ok((single, batch)) => println!("{name} {single} {batch}"),
            Err(e) => println!("{name} error {}", e.replace('\n', " ")),
        }
    }
    ExitCode::SUCCESS
}
