//! `shmbmp-bare FILE CALL...`: each decoder called directly, as a user's minimal program
//! calls it, with nothing of the suite in between (no adapter, no criterion, no allocator
//! settings of its own: the suite runs it once as it is and once with `GLIBC_TUNABLES`
//! holding glibc malloc steady as its own timings do): the reference the suite's own timings
//! are checked against (`cargo bench` and `shmbmp bench --bare` drive it; see
//! `shmbmp_suite::timing::bare`).
//!
//! It runs each CALL (`image`, `bmp`, `zune`, `stb`, `lut`, `lut_into`) until warm (3 runs
//! and 100 ms), printing `CALL error MESSAGE` for a call that fails, then `ready`. Then it
//! answers each line `CALL N` on its standard input by running CALL N times back to back and
//! printing `CALL NS`, the nanoseconds those N runs took together, or `CALL error MESSAGE`;
//! it ends at the end of its input. The suite asks for its runs in turn with its own, so
//! that both are timed on the same machine in the same seconds.

use std::hint::black_box;
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use shmbmp::{Decode, Limits, Lut};

/// One call: runs the decoder once on the file, or says why it failed.
type Call<'a> = Box<dyn FnMut() -> Result<(), String> + 'a>;

/// The call named `name` on `bmp`, if there is one by that name.
fn call<'a>(name: &str, bmp: &'a [u8], limits: &'a Limits) -> Option<Call<'a>> {
    Some(match name {
        "image" => Box::new(move || {
            let img = image::load_from_memory_with_format(bmp, image::ImageFormat::Bmp)
                .map_err(|e| e.to_string())?;
            black_box(img.into_rgba8());
            Ok(())
        }),
        "bmp" => Box::new(move || {
            let img =
                bmp::from_reader(&mut std::io::Cursor::new(bmp)).map_err(|e| e.to_string())?;
            black_box(img);
            Ok(())
        }),
        "zune" => Box::new(move || {
            let mut dec = zune_bmp::BmpDecoder::new(zune_core::bytestream::ZCursor::new(bmp));
            black_box(dec.decode().map_err(|e| format!("{e:?}"))?);
            Ok(())
        }),
        #[cfg(target_os = "linux")]
        "stb" => Box::new(move || {
            match stb_image::image::load_from_memory_with_depth(bmp, 4, false) {
                stb_image::image::LoadResult::ImageU8(img) => black_box(img),
                _ => return Err("stb refused the file".to_string()),
            };
            Ok(())
        }),
        "lut" => Box::new(move || {
            black_box(Lut::AUTO.decode(bmp, limits).map_err(|e| e.to_string())?);
            Ok(())
        }),
        "lut_into" => {
            let mut out = Vec::new();
            Box::new(move || {
                black_box(
                    Lut::AUTO
                        .decode_into(bmp, limits, &mut out)
                        .map_err(|e| e.to_string())?,
                );
                Ok(())
            })
        }
        _ => return None,
    })
}

/// Runs `call` until warm: 3 runs and 100 ms.
fn warm_up(call: &mut Call<'_>) -> Result<(), String> {
    let start = Instant::now();
    let mut runs = 0;
    while runs < 3 || start.elapsed() < Duration::from_millis(100) {
        call()?;
        runs += 1;
    }
    Ok(())
}

/// The answer to one request line `CALL N`.
fn answer(line: &str, calls: &mut [(String, Result<Call<'_>, String>)]) -> String {
    let mut words = line.split_whitespace();
    let (Some(name), Some(Ok(n)), None) = (
        words.next(),
        words.next().map(str::parse::<u64>),
        words.next(),
    ) else {
        return format!("request error expected `CALL N`, got {line:?}");
    };
    let Some((_, call)) = calls.iter_mut().find(|(c, _)| c == name) else {
        return format!("{name} error not among this program's calls");
    };
    let call = match call {
        Ok(call) => call,
        Err(e) => return format!("{name} error {e}"),
    };
    let start = Instant::now();
    for _ in 0..n {
        if let Err(e) = call() {
            return format!("{name} error {}", e.replace('\n', " "));
        }
    }
    format!("{name} {}", start.elapsed().as_nanos())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.first() else {
        eprintln!(
            "usage: shmbmp-bare FILE CALL...  (CALL: image, bmp, zune, stb, lut, lut_into), \
             then lines `CALL N` on standard input"
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
    let mut calls: Vec<(String, Result<Call<'_>, String>)> = args[1..]
        .iter()
        .map(|name| {
            let call = call(name, &bmp, &limits)
                .ok_or_else(|| format!("unknown call {name:?}"))
                .and_then(|mut c| warm_up(&mut c).map(|()| c));
            (name.clone(), call)
        })
        .collect();
    let mut stdout = std::io::stdout().lock();
    let mut say = |text: &str| {
        writeln!(stdout, "{text}")
            .and_then(|()| stdout.flush())
            .is_ok()
    };
    for (name, call) in &calls {
        if let Err(e) = call {
            if !say(&format!("{name} error {}", e.replace('\n', " "))) {
                return ExitCode::from(1);
            }
        }
    }
    if !say("ready") {
        return ExitCode::from(1);
    }
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else {
            return ExitCode::from(1);
        };
        if !say(&answer(&line, &mut calls)) {
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
