//! `shmbmp write | read | stat | rm`: frames through named shared memory.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use super::files::LimitArgs;
use super::CliResult;
use shmbmp_suite::shm::{
    layout, now_ns, write_raw, CreateOptions, Geometry, Location, RawReader, Reader, Writer,
};
use shmbmp_suite::{by_name, Decoder};

/// Which region: a name under /dev/shm, or an explicit file.
#[derive(Debug, Clone, Args)]
pub struct RegionArgs {
    /// Region name (the file /dev/shm/NAME).
    #[arg(long, required_unless_present = "path")]
    name: Option<String>,
    /// Use this file instead of /dev/shm/NAME (e.g. on another tmpfs).
    #[arg(long, conflicts_with = "name")]
    path: Option<PathBuf>,
}

impl RegionArgs {
    fn location(&self) -> Result<Location, shmbmp_suite::shm::ShmError> {
        match (&self.path, &self.name) {
            (Some(p), _) => Ok(Location::path(p)),
            (None, Some(n)) => Location::named(n),
            (None, None) => unreachable!("clap requires --name or --path"),
        }
    }
}

/// Shared-memory subcommands.
#[derive(Debug, Subcommand)]
pub enum ShmCommand {
    /// Publish BMP files into a region, looping over them.
    Write {
        #[command(flatten)]
        region: RegionArgs,
        /// BMP files to publish, in order, repeated until --count frames are written.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Slots in a new framed region.
        #[arg(long, default_value_t = layout::DEFAULT_SLOTS)]
        slots: u32,
        /// Frames per second (0: as fast as possible).
        #[arg(long, default_value_t = 0.0)]
        fps: f64,
        /// Frames to write (0: forever; default: one per file).
        #[arg(long)]
        count: Option<u64>,
        /// Raw mode: the BMP alone at offset 0, as the original C# program writes it.
        #[arg(long)]
        raw: bool,
        /// Permission bits of a new region, octal.
        #[arg(long, default_value = "600", value_parser = parse_mode)]
        mode: u32,
        /// Replace an existing region of another geometry.
        #[arg(long)]
        recreate: bool,
    },
    /// Take frames out of a region, decode them and report hash and latency per frame.
    Read {
        #[command(flatten)]
        region: RegionArgs,
        /// Decoder: naive, lut, lut_mt, image, bmp or zune.
        #[arg(long, default_value = "lut")]
        decoder: String,
        /// Frames to read (each newer than the last).
        #[arg(long, default_value_t = 1)]
        count: u64,
        /// Give up waiting for a frame after this many milliseconds.
        #[arg(long, default_value_t = 5000)]
        timeout_ms: u64,
        /// Write the last frame as PNG.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Raw mode: one BMP at offset 0, its length from bfSize.
        #[arg(long)]
        raw: bool,
        /// Print only the summary line.
        #[arg(long)]
        quiet: bool,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Print a framed region's header and slots in words.
    Stat {
        #[command(flatten)]
        region: RegionArgs,
    },
    /// Remove a region.
    Rm {
        #[command(flatten)]
        region: RegionArgs,
    },
}

fn parse_mode(s: &str) -> Result<u32, String> {
    u32::from_str_radix(s, 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .ok_or_else(|| format!("{s:?} is not an octal mode like 600 or 644"))
}

/// Runs one shared-memory subcommand.
pub fn run(cmd: ShmCommand) -> CliResult {
    match cmd {
        ShmCommand::Write {
            region,
            files,
            slots,
            fps,
            count,
            raw,
            mode,
            recreate,
        } => write(
            &region.location()?,
            &files,
            slots,
            fps,
            count,
            raw,
            CreateOptions { mode, recreate },
        ),
        ShmCommand::Read {
            region,
            decoder,
            count,
            timeout_ms,
            output,
            raw,
            quiet,
            limits,
        } => {
            let d = by_name(&decoder)?;
            let loc = region.location()?;
            let timeout = Duration::from_millis(timeout_ms);
            if raw {
                read_raw(&loc, d, output, &limits)
            } else {
                read(&loc, d, count, timeout, output, quiet, &limits)
            }
        }
        ShmCommand::Stat { region } => stat(&region.location()?),
        ShmCommand::Rm { region } => {
            let loc = region.location()?;
            std::fs::remove_file(loc.file())
                .map_err(|e| format!("{}: {e}", loc.file().display()))?;
            println!("removed {}", loc.file().display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn write(
    loc: &Location,
    files: &[PathBuf],
    slots: u32,
    fps: f64,
    count: Option<u64>,
    raw: bool,
    opts: CreateOptions,
) -> CliResult {
    let frames: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).map_err(|e| format!("{}: {e}", f.display())))
        .collect::<Result<_, _>>()?;
    if raw {
        write_raw(loc, &frames[frames.len() - 1], opts.mode)?;
        println!(
            "wrote {} bytes (raw) to {}",
            frames[frames.len() - 1].len(),
            loc.file().display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let capacity = frames
        .iter()
        .map(|f| f.len() as u64)
        .max()
        .unwrap_or(8)
        .next_multiple_of(8);
    let mut writer = Writer::create_at(loc, Geometry::new(slots, capacity)?, opts)?;
    let count = count.unwrap_or(frames.len() as u64);
    let period = (fps > 0.0).then(|| Duration::from_secs_f64(1.0 / fps));
    let started = Instant::now();
    let mut written = 0u64;
    while count == 0 || written < count {
        if let Some(p) = period {
            let due = started + p.mul_f64(written as f64);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        writer.publish(&frames[(written % frames.len() as u64) as usize])?;
        written += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "wrote {written} frames to {} in {secs:.3} s ({:.0} frames/s), {} slots of {capacity} bytes",
        loc.file().display(),
        written as f64 / secs.max(1e-9),
        writer.geometry().slot_count
    );
    Ok(ExitCode::SUCCESS)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() - 1) as f64 * p).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

fn read(
    loc: &Location,
    d: &dyn Decoder,
    count: u64,
    timeout: Duration,
    output: Option<PathBuf>,
    quiet: bool,
    limits: &LimitArgs,
) -> CliResult {
    let mut reader = Reader::open_at(loc)?.with_max_frame_bytes(limits.max_bytes);
    let limits = limits.limits();
    let (mut bmp, mut rgba) = (Vec::new(), Vec::new());
    let mut latencies = Vec::with_capacity(count.min(1 << 20) as usize);
    let started = Instant::now();
    let mut dims = None;
    for _ in 0..count {
        let info = reader.next(&mut bmp, timeout)?;
        let dm = d.decode_into(&bmp, &limits, &mut rgba)?;
        let latency_us = now_ns().saturating_sub(info.written_ns) as f64 / 1e3;
        latencies.push(latency_us);
        dims = Some(dm);
        if !quiet {
            println!(
                "frame {} {}x{} xxh3 {:016x} latency {latency_us:.0} us",
                info.frame,
                dm.width,
                dm.height,
                xxhash_rust::xxh3::xxh3_64(&rgba)
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let s = reader.stats();
    println!(
        "read {} frames in {secs:.3} s ({:.0} frames/s) with {}: latency p50 {:.0} us, p99 {:.0} us, max {:.0} us; torn attempts {} (none accepted), overtaken {}, skipped frames {}",
        s.frames,
        s.frames as f64 / secs.max(1e-9),
        d.name(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN),
        s.torn,
        s.overtaken,
        s.skipped
    );
    if let (Some(out), Some(dm)) = (output, dims) {
        super::save_png(&out, &rgba, dm.width, dm.height)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn read_raw(
    loc: &Location,
    d: &dyn Decoder,
    output: Option<PathBuf>,
    limits: &LimitArgs,
) -> CliResult {
    let reader = RawReader::open_at(loc)?;
    let mut bmp = Vec::new();
    let len = reader.read(&mut bmp)?;
    let frame = d
        .decode(&bmp, &limits.limits())
        .map_err(|e| format!("{}: {e}", loc.file().display()))?;
    println!(
        "raw {} bytes {}x{} xxh3 {:016x} (decoded by {})",
        len,
        frame.width,
        frame.height,
        xxhash_rust::xxh3::xxh3_64(&frame.rgba),
        d.name()
    );
    if let Some(out) = output {
        super::save_png(&out, &frame.rgba, frame.width, frame.height)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn stat(loc: &Location) -> CliResult {
    let reader = Reader::open_at(loc)?;
    let g = reader.geometry();
    println!("region:   {}", loc.file().display());
    println!(
        "slots:    {} of {} bytes each",
        g.slot_count, g.slot_capacity
    );
    println!("size:     {} bytes", g.region_len()?);
    match reader.latest_number() {
        0 => println!("latest:   none published yet"),
        n => println!("latest:   frame {n} (slot {})", g.slot_of(n)),
    }
    let now = now_ns();
    for (i, h) in reader.slot_headers().iter().enumerate() {
        let state = if h.seq % 2 == 1 {
            "MID-WRITE"
        } else {
            "stable"
        };
        let age = if h.written_ns == 0 {
            "never written".to_string()
        } else {
            format!(
                "written {:.3} s ago",
                now.saturating_sub(h.written_ns) as f64 / 1e9
            )
        };
        println!(
            "slot {i}:   seq {} ({state}), frame {}, {} bytes, {age}",
            h.seq, h.frame, h.len
        );
    }
    Ok(ExitCode::SUCCESS)
}
