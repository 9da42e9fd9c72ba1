//! The `shmbmp` command line: inspect, decode and compare BMPs; move frames through shared memory.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("shmbmp: {e}");
            ExitCode::from(1)
        }
    }
}
