//! `shmbmp write | read | stat | rm`: frames through named shared memory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use super::files::LimitArgs;
use super::threads::{pick, Picked, ReaderThreadArgs};
use super::{count, CliResult};
use shmbmp_suite::format::{Layout, PixelLayout, RawHeader};
use shmbmp_suite::shm::{
    layout, now_ns, remove, write_raw, CreateOptions, Geometry, Location, RawReader, Reader,
    ShmError, Writer, WriterStatus,
};
use shmbmp_suite::timing::percentile;
use shmbmp_suite::{Decode, Decoder, Dims, Error, Limits, Lut, Threads};

/// Which region: a name, or an explicit file.
#[derive(Debug, Clone, Args)]
pub struct RegionArgs {
    /// Region name: the file /dev/shm/NAME on Linux; on Windows the named block C#'s
    /// MemoryMappedFile.CreateOrOpen(NAME, ..) makes (test1 = Local\test1; Global\NAME),
    /// which exists only while a process holds it open; /NAME (shm_open) on macOS.
    #[arg(long, required_unless_present = "path")]
    name: Option<String>,
    /// Use this file instead of a named region (e.g. on another tmpfs).
    #[arg(long, conflicts_with = "name")]
    path: Option<PathBuf>,
}

impl RegionArgs {
    fn location(&self) -> Result<Location, ShmError> {
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
    /// Publish BMP files into a region, looping over them (the only writer of the region
    /// while it runs).
    Write {
        #[command(flatten)]
        region: RegionArgs,
        /// BMP files to publish, in order, repeated until --count frames are written.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Slots in a new framed region (readers that decode in place at once: slots - 2).
        #[arg(long, default_value_t = layout::DEFAULT_SLOTS)]
        slots: u32,
        /// Frames per second (0: as fast as possible).
        #[arg(long, default_value_t = 0.0)]
        fps: f64,
        /// Publish no faster than readers take frames: before each frame, wait (at most
        /// 100 ms) while every reader decoding in place is still busy with an older frame
        /// than the latest, instead of writing frames no one will see. Readers that copy
        /// frames out (or peers without leases) do not pace the writer.
        #[arg(long)]
        paced: bool,
        /// Frames to write (0: forever; default: one per file).
        #[arg(long)]
        count: Option<u64>,
        /// Raw mode: one BMP alone at offset 0, written once, as the original C# program
        /// writes it.
        #[arg(long, conflicts_with_all = ["slots", "fps", "paced", "count", "recreate"])]
        raw: bool,
        /// Permission bits of a new region, octal; an existing one is reused only if its
        /// mode is no wider.
        #[arg(long, default_value = "600", value_parser = parse_mode)]
        mode: u32,
        /// Replace an existing region of another geometry or protocol version.
        #[arg(long)]
        recreate: bool,
        /// Publish files even if they do not parse as BMP.
        #[arg(long)]
        unchecked: bool,
    },
    /// Take frames out of a region, decode them and report hash and latency per frame.
    Read {
        #[command(flatten)]
        region: RegionArgs,
        /// Which decoder (`lut` runs the best kernels this CPU has).
        #[arg(long, default_value = "lut", value_parser = super::DecoderName { all: false })]
        decoder: String,
        #[command(flatten)]
        threads: ReaderThreadArgs,
        /// Frames to read (each newer than the last).
        #[arg(long, default_value_t = 1)]
        count: u64,
        /// Give up waiting for a frame after this many milliseconds.
        #[arg(long, default_value_t = 5000)]
        timeout_ms: u64,
        /// Write the last frame: a PNG for RGBA and RGB, raw bytes for BGRA and BGR.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Pixel layout to decode each frame into: RGBA (canonical), BGRA, RGB or BGR;
        /// other than RGBA, decoders of ours only.
        #[arg(long, default_value = "RGBA", value_parser = super::parse_layout)]
        layout: PixelLayout,
        /// Raw mode: one BMP at offset 0, its length from bfSize.
        #[arg(long)]
        raw: bool,
        /// Copy every frame out before decoding it (instead of decoding in place).
        #[arg(long, conflicts_with = "raw")]
        copy: bool,
        /// Poll for frames instead of sleeping until the writer wakes this reader.
        #[arg(long, conflicts_with = "raw")]
        poll: bool,
        /// Print only the summary line.
        #[arg(long)]
        quiet: bool,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Print a region's header, writer, leases and slots in words.
    Stat {
        #[command(flatten)]
        region: RegionArgs,
        /// The region is raw: one BMP at offset 0.
        #[arg(long)]
        raw: bool,
    },
    /// Remove a region (refused while a writer holds it, unless --force).
    Rm {
        #[command(flatten)]
        region: RegionArgs,
        /// Remove it even while a writer runs.
        #[arg(long)]
        force: bool,
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
            paced,
            count,
            raw,
            mode,
            recreate,
            unchecked,
        } => {
            let frames = read_frames(&files, unchecked)?;
            let loc = region.location()?;
            if raw {
                write_raw_once(&loc, &files, &frames, mode)
            } else {
                let plan = Plan {
                    slots,
                    fps,
                    paced,
                    count: count.unwrap_or(frames.len() as u64),
                };
                write(&loc, &frames, plan, CreateOptions { mode, recreate })
            }
        }
        ShmCommand::Read {
            region,
            decoder,
            threads,
            count,
            timeout_ms,
            output,
            layout,
            raw,
            copy,
            poll,
            quiet,
            limits,
        } => {
            let picked = pick(&decoder, threads.fixed())?;
            let d = Pixels::new(picked, layout, threads.per_frame(&decoder))?;
            let loc = region.location()?;
            if raw {
                read_raw(&loc, d, output, &limits)
            } else {
                let mut reader = Reader::open_at(&loc)?.with_max_frame_bytes(limits.max_bytes);
                if copy {
                    reader = reader.copying();
                }
                if poll {
                    reader = reader.polling();
                }
                if let Some(t) = threads.for_waited_frames(&decoder) {
                    reader = reader.waking_helpers(t);
                }
                let opts = ReadOptions {
                    count,
                    timeout: Duration::from_millis(timeout_ms),
                    quiet,
                };
                read(reader, d, opts, output, &limits.limits())
            }
        }
        ShmCommand::Stat { region, raw } => {
            let loc = region.location()?;
            if raw {
                stat_raw(&loc)
            } else {
                stat(&loc)
            }
        }
        ShmCommand::Rm { region, force } => {
            let loc = region.location()?;
            remove(&loc, force)?;
            println!("removed {}", loc.file().display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Reads every file and, unless `unchecked`, refuses one that is not a BMP a reader can
/// decode (empty, truncated, bad headers): a reader would fail on every such frame.
fn read_frames(files: &[PathBuf], unchecked: bool) -> Result<Vec<Vec<u8>>, String> {
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
            if bytes.is_empty() {
                return Err(format!(
                    "{}: the file is empty (0 bytes), not a BMP",
                    f.display()
                ));
            }
            if !unchecked {
                Layout::parse(&bytes, &Limits::default()).map_err(|e| {
                    format!(
                        "{}: not a BMP a reader could decode ({e}); nothing published (--unchecked publishes it anyway)",
                        f.display()
                    )
                })?;
            }
            Ok(bytes)
        })
        .collect()
}

fn write_raw_once(loc: &Location, files: &[PathBuf], frames: &[Vec<u8>], mode: u32) -> CliResult {
    let [bmp] = frames else {
        return Err(format!(
            "--raw writes one BMP once, but {} files were given: give one file (framed mode, without --raw, loops over several)",
            files.len()
        )
        .into());
    };
    let held = write_raw(loc, bmp, mode)?;
    println!(
        "wrote {} bytes (raw) to {}",
        bmp.len(),
        loc.file().display()
    );
    if held.exists_only_while_held() {
        println!(
            "holding {} open until this process is stopped (Ctrl-C): on Windows a named block exists only while a process holds it",
            loc.file().display()
        );
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What a framed writer does: its slots, rate, pacing by readers and frame count.
struct Plan {
    slots: u32,
    fps: f64,
    paced: bool,
    count: u64,
}

/// Longest wait of `write --paced` for a reader to take the latest frame (a reader stopped
/// while pinning a slot holds the writer back no longer than this per frame).
const PACE_MAX: Duration = Duration::from_millis(100);

fn write(loc: &Location, frames: &[Vec<u8>], plan: Plan, opts: CreateOptions) -> CliResult {
    let capacity = frames.iter().map(|f| f.len() as u64).max().unwrap_or(0);
    let geometry = Geometry::new(plan.slots, capacity).map_err(|source| ShmError::Header {
        path: loc.file().to_path_buf(),
        source,
    })?;
    let mut writer = Writer::create_at(loc, geometry, opts)?;
    let period = (plan.fps > 0.0).then(|| Duration::from_secs_f64(1.0 / plan.fps));
    let started = Instant::now();
    let mut written = 0u64;
    while plan.count == 0 || written < plan.count {
        if let Some(p) = period {
            let due = started + p.mul_f64(written as f64);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        if plan.paced {
            writer.wait_until_taken(PACE_MAX);
        }
        writer.publish(&frames[(written % frames.len() as u64) as usize])?;
        written += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    let g = writer.geometry();
    println!(
        "wrote {} to {}{}, {g}",
        count(written, "frame"),
        loc.file().display(),
        rate(written, secs),
    );
    Ok(ExitCode::SUCCESS)
}

/// ` in 1.234 s (56 frames/s)`, or only the time for fewer than two frames.
fn rate(frames: u64, secs: f64) -> String {
    if frames < 2 {
        format!(" in {secs:.3} s")
    } else {
        format!(
            " in {secs:.3} s ({:.0} frames/s)",
            frames as f64 / secs.max(1e-9)
        )
    }
}

struct ReadOptions {
    count: u64,
    timeout: Duration,
    quiet: bool,
}

/// A decoder and the layout it writes: any decoder for RGBA, one of ours for the others.
#[derive(Clone, Copy)]
struct Pixels {
    decoder: &'static dyn Decoder,
    ours: Option<&'static dyn Decode>,
    layout: PixelLayout,
    /// `lut` (or a kernel level) whose threads follow each frame ([`Threads::for_frame`]):
    /// used instead of the others when set.
    per_frame: Option<Lut>,
}

impl Pixels {
    fn new(picked: Picked, layout: PixelLayout, per_frame: Option<Lut>) -> Result<Self, String> {
        let ours = if layout == PixelLayout::Rgba {
            None
        } else {
            Some(super::files::ours_for_layout(picked, layout)?)
        };
        Ok(Pixels {
            decoder: picked.decoder,
            ours,
            layout,
            per_frame,
        })
    }

    fn name(&self) -> String {
        match self.per_frame {
            Some(lut) => format!(
                "{} (on up to {} threads for frames it waited for)",
                Decode::name(&lut),
                Threads::for_frame(true).max()
            ),
            None => self.decoder.name().to_string(),
        }
    }

    /// Decodes `bmp`, which the reader `waited` for or not, into `out` in this layout.
    fn decode_into(
        &self,
        bmp: &[u8],
        waited: bool,
        limits: &Limits,
        out: &mut Vec<u8>,
    ) -> Result<Dims, Error> {
        if let Some(lut) = self.per_frame {
            let lut = lut.with_threads(Threads::for_frame(waited));
            return Ok(lut.decode_into_as(bmp, limits, self.layout, out)?);
        }
        match self.ours {
            Some(d) => Ok(d.decode_into_as(bmp, limits, self.layout, out)?),
            None => self.decoder.decode_into(bmp, limits, out),
        }
    }
}

fn read(
    mut reader: Reader,
    d: Pixels,
    opts: ReadOptions,
    output: Option<PathBuf>,
    limits: &Limits,
) -> CliResult {
    let mut pixels = Vec::new();
    let mut latencies = Vec::with_capacity(opts.count.min(1 << 20) as usize);
    let started = Instant::now();
    let mut dims = None;
    for _ in 0..opts.count {
        let (info, decoded) = reader.next_with_waited(opts.timeout, |bmp, waited| {
            d.decode_into(bmp, waited, limits, &mut pixels)
        })?;
        let dm = decoded
            .map_err(|e| format!("frame {} of {}: {e}", info.frame, reader.path().display()))?;
        let latency_us = now_ns().saturating_sub(info.written_ns) as f64 / 1e3;
        latencies.push(latency_us);
        dims = Some(dm);
        if !opts.quiet {
            println!(
                "frame {} {}x{} {}xxh3 {:016x} latency {latency_us:.0} us{}",
                info.frame,
                dm.width,
                dm.height,
                layout_word(d.layout),
                xxhash_rust::xxh3::xxh3_64(&pixels),
                if info.in_place { "" } else { " (copied)" }
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let s = reader.stats();
    println!(
        "read {}{} with {}{}: latency p50 {:.0} us, p99 {:.0} us, max {:.0} us; decoded in place {}; torn attempts {} (none accepted), overtaken {}, skipped frames {}",
        count(s.frames, "frame"),
        rate(s.frames, secs),
        d.name(),
        match d.layout {
            PixelLayout::Rgba => String::new(),
            l => format!(" into {l}"),
        },
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN),
        s.in_place,
        s.torn,
        s.overtaken,
        s.skipped
    );
    if let (Some(out), Some(dm)) = (output, dims) {
        super::save_pixels(&out, &pixels, dm.width, dm.height, d.layout)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `BGR ` before a frame's hash when the layout is not RGBA (whose lines stay as they were).
fn layout_word(layout: PixelLayout) -> String {
    match layout {
        PixelLayout::Rgba => String::new(),
        l => format!("{l} "),
    }
}

fn read_raw(loc: &Location, d: Pixels, output: Option<PathBuf>, limits: &LimitArgs) -> CliResult {
    let reader = RawReader::open_at(loc)?;
    let mut bmp = Vec::new();
    let len = reader.read(&mut bmp)?;
    let mut pixels = Vec::new();
    let dims = d
        .decode_into(&bmp, false, &limits.limits(), &mut pixels)
        .map_err(|e| format!("{} (raw region): {e}", loc.file().display()))?;
    println!(
        "raw {} bytes {}x{} {}xxh3 {:016x} (decoded by {})",
        len,
        dims.width,
        dims.height,
        layout_word(d.layout),
        xxhash_rust::xxh3::xxh3_64(&pixels),
        d.name()
    );
    if let Some(out) = output {
        super::save_pixels(&out, &pixels, dims.width, dims.height, d.layout)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn ago(ns: u64, now: u64) -> String {
    format!("{:.3} s ago", now.saturating_sub(ns) as f64 / 1e9)
}

fn stat(loc: &Location) -> CliResult {
    let reader = Reader::open_at(loc)?;
    let g = reader.geometry();
    println!(
        "region:   {} (framed, {})",
        loc.file().display(),
        String::from_utf8_lossy(layout::MAGIC)
    );
    println!(
        "slots:    {} of {} bytes each; {} leases (readers decoding in place at once)",
        g.slot_count, g.slot_capacity, g.lease_count
    );
    println!("size:     {} bytes", region_len(&g, loc.file())?);
    let flags = reader.flags();
    println!(
        "writer:   {}; {}, {}",
        match reader.writer()? {
            WriterStatus::Alive { pid: Some(p) } => format!("alive (pid {p})"),
            WriterStatus::Alive { pid: None } => "alive".into(),
            WriterStatus::Gone => "none (no process holds the writer lock)".into(),
        },
        if flags & layout::FLAG_WAKES != 0 {
            "wakes readers"
        } else {
            "does not wake readers (they poll)"
        },
        if flags & layout::FLAG_LEASES != 0 {
            "honours leases"
        } else {
            "ignores leases (readers copy frames out)"
        }
    );
    match reader.latest_number() {
        0 => println!("latest:   none published yet"),
        n => println!("latest:   frame {n}"),
    }
    for (i, l) in reader.leases().iter().enumerate() {
        let state = match (l.held, l.pinned) {
            (false, None) => "free".to_string(),
            (false, Some(s)) => format!("free (stale pin of slot {s} left by dead pid {})", l.pid),
            (true, None) => format!("held by pid {}, pinning nothing", l.pid),
            (true, Some(s)) => format!("held by pid {}, pinning slot {s}", l.pid),
        };
        println!("lease {i}:  {state}");
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
            format!("written {}", ago(h.written_ns, now))
        };
        println!(
            "slot {i}:   seq {} ({state}), frame {}, {} bytes, {age}",
            h.seq, h.frame, h.len
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn region_len(g: &Geometry, path: &Path) -> Result<usize, ShmError> {
    g.region_len().map_err(|source| ShmError::Header {
        path: path.to_path_buf(),
        source,
    })
}

fn stat_raw(loc: &Location) -> CliResult {
    let reader = RawReader::open_at(loc)?;
    let mut bmp = Vec::new();
    let len = reader.read(&mut bmp)?;
    println!("region:   {} (raw)", loc.file().display());
    println!("size:     {} bytes mapped", reader.mapped_len());
    println!("bfSize:   {len} bytes (the BMP at offset 0)");
    match RawHeader::read(&bmp)
        .and_then(|h| Layout::parse(&bmp, &Limits::default()).map(|l| (h, l)))
    {
        Ok((h, l)) => println!(
            "image:    {}x{}, {} bits per pixel, {} header, pixel data at {}",
            l.width,
            l.height,
            l.bpp,
            h.header.describe(),
            l.data_offset
        ),
        Err(e) => println!("image:    not decodable: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}
