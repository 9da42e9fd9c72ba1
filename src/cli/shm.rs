//! `shmbmp write | read | stat | rm`: frames through named shared memory.

use clap::Subcommand;

use super::CliResult;

/// Shared-memory subcommands.
#[derive(Debug, Subcommand)]
pub enum ShmCommand {
    /// Remove a named region.
    Rm {
        /// Region name.
        #[arg(long)]
        name: String,
    },
}

/// Runs one shared-memory subcommand.
pub fn run(cmd: ShmCommand) -> CliResult {
    match cmd {
        ShmCommand::Rm { name } => Err(format!("rm {name}: shared memory is not built yet").into()),
    }
}
