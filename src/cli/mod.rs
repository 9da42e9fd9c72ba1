//! Subcommands of the `shmbmp` binary.

mod shm;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    #[command(flatten)]
    Shm(shm::ShmCommand),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Shm(cmd) => shm::run(cmd),
    }
}
