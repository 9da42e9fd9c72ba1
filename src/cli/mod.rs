//! Subcommands of the `shmbmp` binary.

mod bench;
mod files;
mod layouts;
mod report;
mod shm;
mod threads;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Parser, Subcommand};
use shmbmp_suite::format::PixelLayout;
use shmbmp_suite::{by_name, every, Kernels, Origin};

use files::LimitArgs;
use threads::ThreadArgs;

/// Errors reach `main` as one line of text.
pub type CliResult = Result<ExitCode, Box<dyn std::error::Error>>;

/// shmbmp: the fastest correct way from a BMP frame in shared memory to RGBA pixels.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the parsed layout of a BMP file in words.
    Info {
        /// The BMP file.
        file: PathBuf,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Decode a BMP file with one strategy and optionally write it as PNG.
    Decode {
        /// The BMP file.
        file: PathBuf,
        /// Which decoder (`lut` runs the best kernels this CPU has).
        #[arg(long, default_value = "lut", value_parser = DecoderName { all: false })]
        decoder: String,
        /// Write the result to this file: a PNG for RGBA and RGB, raw bytes for BGRA and BGR
        /// (rows top-down, width × 4 or 3 bytes a row; PNG has no blue-first layouts).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Pixel layout to decode into: RGBA (canonical), BGRA (Windows, .NET), RGB
        /// (numpy, PIL) or BGR (OpenCV); other than RGBA, decoders of ours only.
        #[arg(long, default_value = "RGBA", value_parser = parse_layout)]
        layout: PixelLayout,
        #[command(flatten)]
        threads: ThreadArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Run every decoder on each file and print how each compares with naive.
    ///
    /// Exits with status 2 when naive and lut disagree.
    Check {
        /// BMP files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Time decoders on your own frames: median per decoder, the memcpy floor, ratios.
    Bench {
        /// BMP files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// A decoder name (as for `decode`), or `all`.
        #[arg(long, default_value = "all", value_parser = DecoderName { all: true })]
        decoder: String,
        /// Timed rounds; each round runs the floors and every decoder six times in a row, interleaved.
        #[arg(long, default_value_t = 20)]
        iters: usize,
        /// Also time each call with `shmbmp-bare` (the crate called directly, in a process of
        /// its own) and print how far ours is from it.
        #[arg(long, conflicts_with_all = ["layout", "threads"])]
        bare: bool,
        /// Pixel layouts, comma-separated (RGBA, BGRA, RGB, BGR): ours into each beside our
        /// RGBA, and each peer by its call nearest the layout, plus our conversion where its
        /// output is not that layout, all in one interleaved run.
        #[arg(long, value_delimiter = ',', value_parser = parse_layout, conflicts_with = "threads")]
        layout: Vec<PixelLayout>,
        /// Time lut and each kernel level timed (and only those) also on up to N threads,
        /// each as `NAME on N threads`, interleaved with the rest.
        #[arg(long, value_name = "N")]
        threads: Option<std::num::NonZeroUsize>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Build reports/index.html and reports/summary.md from the last `cargo bench`.
    Report {
        /// Criterion's output folder.
        #[arg(long, default_value_os_t = default_inputs().criterion)]
        criterion: PathBuf,
        /// The Python peers' timings (written by `cargo bench` when the venv exists).
        #[arg(long, default_value_os_t = default_inputs().peers)]
        peers: PathBuf,
        /// The shared-memory handoff results (written by `cargo bench --bench shm`).
        #[arg(long, default_value_os_t = default_inputs().handoff)]
        handoff: PathBuf,
        /// The interleaved timings (written by `cargo bench --bench decode`).
        #[arg(long, default_value_os_t = default_inputs().interleaved)]
        interleaved: PathBuf,
        /// Where to write the report.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// Also rewrite this README's results section for this CPU's class (as `cargo bench`
        /// does), e.g. after fixing the report's code without re-running the benchmarks.
        #[arg(long)]
        readme: Option<PathBuf>,
    },
    /// Write the built-in fixtures as BMP files (e.g. for your own tools or the Python peers).
    Fixtures {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// The 1600×1200 benchmark fixtures instead of the small equivalence fixtures.
        #[arg(long)]
        bench: bool,
    },
    #[command(flatten)]
    Shm(shm::ShmCommand),
}

/// The value of `--decoder`: a name from the one registry ([`shmbmp_suite::every`]).
///
/// `--help` lists every name, the kernel levels this CPU lacks included and marked; a name
/// that cannot run here is refused with the registry's reason ([`shmbmp_suite::by_name`]).
#[derive(Debug, Clone, Copy)]
pub struct DecoderName {
    /// Whether `all` (every decoder, for `bench`) is a choice too.
    pub all: bool,
}

impl TypedValueParser for DecoderName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let all = self.all;
        let check = move |name: &str| -> Result<String, String> {
            match by_name(name) {
                Ok(d) => Ok(d.name().into()),
                Err(_) if all && name == "all" => Ok(name.into()),
                Err(e) if all => Err(format!("{e}, or all")),
                Err(e) => Err(e.to_string()),
            }
        };
        check.parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let level = |name: &str| Kernels::ALL.into_iter().find(|k| k.lut_name() == name);
        let here = every().map(move |d| {
            let help = match (level(d.name()), d.origin()) {
                (Some(k), _) => format!("lut on the {} kernels only", k.name()),
                (None, Origin::Ours) if d.name() == "naive" => "ours: the oracle".into(),
                (None, Origin::Ours) => "ours".into(),
                (None, Origin::Peer) => "another crate's decoder, for comparison".into(),
            };
            PossibleValue::new(d.name()).help(help)
        });
        let elsewhere = Kernels::ALL
            .into_iter()
            .filter(|k| !k.supported())
            .map(|k| {
                PossibleValue::new(k.lut_name())
                    .help(format!("not on this CPU: needs {}", k.needs()))
            });
        let all = self.all.then(|| {
            PossibleValue::new("all").help("every decoder, and lut on each level below the best")
        });
        Some(Box::new(here.chain(elsewhere).chain(all)))
    }
}

/// `1 frame`, `2 frames`: `n` and `noun`, in the plural unless `n` is 1.
pub fn count(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Where `cargo bench` leaves its results, run from the project folder.
fn default_inputs() -> shmbmp_suite::report::Inputs {
    shmbmp_suite::report::Inputs::in_target(std::path::Path::new("target"))
}

/// Writes pixels of `layout` to `path`: a PNG where PNG has that layout (RGBA, RGB), else
/// the raw bytes.
fn save_pixels(
    path: &std::path::Path,
    pixels: &[u8],
    width: u32,
    height: u32,
    layout: PixelLayout,
) -> Result<(), String> {
    let colour = match layout {
        PixelLayout::Rgba => Some(image::ColorType::Rgba8),
        PixelLayout::Rgb => Some(image::ColorType::Rgb8),
        _ => None,
    };
    let failed = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    match colour {
        Some(c) => {
            image::save_buffer_with_format(path, pixels, width, height, c, image::ImageFormat::Png)
                .map_err(|e| failed(&e))?;
            println!("wrote {} ({layout} PNG)", path.display());
        }
        None => {
            std::fs::write(path, pixels).map_err(|e| failed(&e))?;
            println!(
                "wrote {} ({} bytes of raw {layout}: {height} rows top-down, {} bytes a row; PNG has no {layout})",
                path.display(),
                pixels.len(),
                width as usize * layout.bytes_per_pixel()
            );
        }
    }
    Ok(())
}

/// Parses `--layout`: RGBA, BGRA, RGB or BGR, in any case.
fn parse_layout(s: &str) -> Result<PixelLayout, String> {
    s.parse()
        .map_err(|e: shmbmp_suite::format::UnknownPixelLayout| e.to_string())
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Info { file, limits } => files::info(&file, &limits),
        Command::Decode {
            file,
            decoder,
            output,
            layout,
            threads,
            limits,
        } => files::decode(&file, &decoder, threads, layout, output.as_ref(), &limits),
        Command::Check { files: f, limits } => files::check(&f, &limits),
        Command::Bench {
            files: f,
            decoder,
            iters,
            bare,
            layout,
            threads,
            limits,
        } => bench::run(&f, &decoder, iters, bare, &layout, threads, &limits),
        Command::Report {
            criterion,
            peers,
            handoff,
            interleaved,
            out,
            readme,
        } => {
            let inputs = shmbmp_suite::report::Inputs {
                criterion,
                peers,
                handoff,
                interleaved,
                ..default_inputs()
            };
            report::run(&inputs, &out, readme.as_deref())
        }
        Command::Fixtures { out, bench } => report::fixtures(&out, bench),
        Command::Shm(cmd) => shm::run(cmd),
    }
}
