//! Subcommands of the `shmbmp` binary.

mod bench;
mod files;
mod report;
mod shm;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use files::LimitArgs;

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
        /// Which decoder: naive, lut, lut_mt, image, bmp or zune (or lut_scalar, lut_avx2,
        /// lut_avx512vbmi: lut on one kernel level).
        #[arg(long, default_value = "lut")]
        decoder: String,
        /// Write the RGBA result to this PNG file.
        #[arg(short, long)]
        output: Option<PathBuf>,
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
        /// A decoder name (as for `decode`), or `all` (the registry, plus lut on every
        /// lower kernel level this CPU runs).
        #[arg(long, default_value = "all")]
        decoder: String,
        /// Timed rounds; each round runs the floor and every decoder once, interleaved.
        #[arg(long, default_value_t = 20)]
        iters: usize,
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

/// Where `cargo bench` leaves its results, run from the project folder.
fn default_inputs() -> shmbmp_suite::report::Inputs {
    shmbmp_suite::report::Inputs::in_target(std::path::Path::new("target"))
}

/// Writes RGBA pixels as a PNG file and says so.
fn save_png(path: &std::path::Path, rgba: &[u8], width: u32, height: u32) -> Result<(), String> {
    image::save_buffer(path, rgba, width, height, image::ColorType::Rgba8)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Info { file, limits } => files::info(&file, &limits),
        Command::Decode {
            file,
            decoder,
            output,
            limits,
        } => files::decode(&file, &decoder, output.as_ref(), &limits),
        Command::Check { files: f, limits } => files::check(&f, &limits),
        Command::Bench {
            files: f,
            decoder,
            iters,
            limits,
        } => bench::run(&f, &decoder, iters, &limits),
        Command::Report {
            criterion,
            peers,
            handoff,
            interleaved,
            out,
        } => {
            let inputs = shmbmp_suite::report::Inputs {
                criterion,
                peers,
                handoff,
                interleaved,
            };
            report::run(&inputs, &out)
        }
        Command::Fixtures { out, bench } => report::fixtures(&out, bench),
        Command::Shm(cmd) => shm::run(cmd),
    }
}
