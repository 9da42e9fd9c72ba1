//! `shmbmp info | decode | check`: one BMP file at a time.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::threads::{pick, Picked, ThreadArgs};
use super::CliResult;
use shmbmp_suite::check::{check_all, ours_agree, Tally};
use shmbmp_suite::format::{Layout, PixelFormat, PixelLayout, RawHeader};
use shmbmp_suite::{Decode, DecodeError, Dims, Error, Limits};

/// Bounds applied before any allocation (see `shmbmp_suite::Limits`).
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Refuse images with more pixels than this.
    #[arg(long, default_value_t = Limits::default().max_pixels)]
    pub max_pixels: u64,
    /// Refuse images whose RGBA output needs more bytes than this.
    #[arg(long, default_value_t = Limits::default().max_bytes)]
    pub max_bytes: u64,
}

impl LimitArgs {
    /// The limits these flags describe.
    pub fn limits(&self) -> Limits {
        Limits::default()
            .with_max_pixels(self.max_pixels)
            .with_max_bytes(self.max_bytes)
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `FILE: error`, and what to do about it where the CLI knows.
pub(super) fn file_error(file: &Path, e: &Error) -> String {
    let hint = match e {
        Error::Decode(DecodeError::Truncated { .. }) => {
            "; the file was cut short: copy or write it again"
        }
        Error::Decode(DecodeError::LimitExceeded { .. }) => {
            "; if you trust the file, raise --max-pixels / --max-bytes"
        }
        _ => "",
    };
    format!("{}: {e}{hint}", file.display())
}

/// `shmbmp info FILE`: the parsed layout in words; for a file that does not parse, the
/// headers it could read, then why it does not.
pub fn info(file: &Path, limits: &LimitArgs) -> CliResult {
    let bytes = read(file)?;
    let l = match Layout::parse(&bytes, &limits.limits()) {
        Ok(l) => l,
        Err(e) => {
            print_raw(file, &bytes);
            return Err(file_error(file, &e.into()).into());
        }
    };
    let format = match l.format {
        PixelFormat::Indexed { bpp } => format!("{bpp}-bit palette indices"),
        PixelFormat::Rle8 => "RLE8 (8-bit run-length)".into(),
        PixelFormat::Rle4 => "RLE4 (4-bit run-length)".into(),
        PixelFormat::Bgr24 => "24-bit BGR".into(),
        PixelFormat::Bitfields { bpp, masks } => format!(
            "{bpp}-bit bitfields, masks R {:#010x} G {:#010x} B {:#010x} A {:#010x}",
            masks.r.mask(),
            masks.g.mask(),
            masks.b.mask(),
            masks.a.mask()
        ),
    };
    println!(
        "file:        {} ({} bytes, bfSize says {})",
        file.display(),
        bytes.len(),
        l.declared_file_size
    );
    println!("header:      {}", l.header.describe());
    println!(
        "size:        {} x {} ({})",
        l.width,
        l.height,
        if l.top_down { "top-down" } else { "bottom-up" }
    );
    println!("pixels:      {format}, compression field {}", l.compression);
    if l.format.uses_palette() {
        println!(
            "palette:     {} entries of {} bytes at offset {}",
            l.palette.len, l.palette.entry_size, l.palette.offset
        );
    }
    println!(
        "alpha:       {}",
        if l.has_alpha {
            "declared by an alpha mask"
        } else {
            "none (opaque)"
        }
    );
    println!("pixel data:  offset {}..{}", l.data_offset, l.data_end);
    if l.stride > 0 {
        println!(
            "rows:        {} bytes of pixels + {} padding = stride {}",
            l.row_bytes,
            l.stride - l.row_bytes,
            l.stride
        );
    }
    println!("RGBA output: {} bytes", l.output_len());
    Ok(ExitCode::SUCCESS)
}

/// What [`info`] can say of a file whose headers do not validate: the fields as stored.
fn print_raw(file: &Path, bytes: &[u8]) {
    let Ok(raw) = RawHeader::read(bytes) else {
        println!("file:        {} ({} bytes)", file.display(), bytes.len());
        return;
    };
    println!(
        "file:        {} ({} bytes, bfSize says {})",
        file.display(),
        bytes.len(),
        raw.file_size
    );
    println!("header:      {}", raw.header.describe());
    println!("size:        {} x {} as stored", raw.width, raw.height);
    println!(
        "pixels:      {} bits per pixel, planes {}, compression field {}",
        raw.bpp, raw.planes, raw.compression
    );
    println!("pixel data:  offset {}", raw.data_offset);
}

/// The decoder of ours `picked`, for a `layout` other than RGBA: other layouts are written
/// directly by decoders of ours, and peers give RGBA only.
pub(super) fn ours_for_layout(
    picked: Picked,
    layout: PixelLayout,
) -> Result<&'static dyn Decode, String> {
    picked.ours.ok_or_else(|| {
        format!(
            "--layout {layout}: {} is a peer that decodes to RGBA only; choose one of ours: {}",
            picked.decoder.name(),
            shmbmp::decode::all()
                .map(|d| d.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// `shmbmp decode FILE [--decoder NAME] [--threads N] [-o OUT.png]`.
pub fn decode(
    file: &Path,
    decoder: &str,
    threads: ThreadArgs,
    layout: PixelLayout,
    output: Option<&PathBuf>,
    limits: &LimitArgs,
) -> CliResult {
    let picked = pick(decoder, threads.threads)?;
    let d = picked.decoder;
    let bytes = read(file)?;
    let limits = limits.limits();
    let started = std::time::Instant::now();
    let (dims, pixels) = if layout == PixelLayout::Rgba {
        let frame = d
            .decode(&bytes, &limits)
            .map_err(|e| file_error(file, &e))?;
        let dims = Dims {
            width: frame.width,
            height: frame.height,
        };
        (dims, frame.rgba)
    } else {
        let ours = ours_for_layout(picked, layout)?;
        let mut out = Vec::new();
        let dims = ours
            .decode_into_as(&bytes, &limits, layout, &mut out)
            .map_err(|e| file_error(file, &e.into()))?;
        (dims, out)
    };
    let took = started.elapsed();
    println!(
        "{}: {}x{} decoded by {}, {layout} xxh3 {:016x}",
        file.display(),
        dims.width,
        dims.height,
        d.name(),
        xxhash_rust::xxh3::xxh3_64(&pixels)
    );
    println!(
        "first run, cold: {:.3} ms; for a median of warm runs: shmbmp bench {} --decoder {decoder}{}",
        took.as_secs_f64() * 1e3,
        file.display(),
        match threads.threads.get() {
            1 => String::new(),
            n => format!(" --threads {n}"),
        }
    );
    if let Some(out) = output {
        super::save_pixels(out, &pixels, dims.width, dims.height, layout)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `shmbmp check FILE...`: every decoder on every file; fails when `naive` and `lut` disagree.
pub fn check(files: &[PathBuf], limits: &LimitArgs) -> CliResult {
    let mut tally = Tally::default();
    for file in files {
        let bytes = read(file)?;
        let rows = check_all(&bytes, &limits.limits());
        println!("{}", file.display());
        for r in &rows {
            println!("  {:<6} {}", r.decoder, r.outcome.detailed());
        }
        if !ours_agree(&rows) {
            println!("  !! naive and lut disagree");
        }
        tally.add(&rows);
    }
    println!("{tally}");
    if tally.disagree > 0 {
        eprintln!(
            "shmbmp: naive and lut disagree on {}: a bug in shmbmp; please report it with \
             the file",
            super::count(tally.disagree as u64, "file")
        );
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
