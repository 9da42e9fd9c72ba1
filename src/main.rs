//! The `shmbmp` command line: inspect, decode and compare BMPs; move frames through shared memory.

mod cli;

use std::io::{ErrorKind, Write};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    exit_on_output_errors();
    let args = cli::Cli::parse();
    if let Err(e) = shmbmp_suite::Kernels::from_env() {
        eprintln!("shmbmp: {e}");
        return ExitCode::from(2);
    }
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("shmbmp: {e}");
            ExitCode::from(1)
        }
    }
}

/// Makes a failed write to stdout or stderr end the process instead of panicking, in every
/// subcommand and thread: a closed pipe on stdout (`shmbmp check … | head -1`) exits quietly
/// with status 0, as `rg` and `fd` do; any other failure (a full disk, a closed stderr) exits
/// with status 1, saying why on stderr when stderr still takes it.
///
/// `println!` and `eprintln!` panic when they cannot write; the panic hook is the one place
/// every such failure passes through, whichever module printed.
fn exit_on_output_errors() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let Some((stream, why)) = payload_text(info.payload()).and_then(output_error) else {
            return default(info);
        };
        let kind = os_error_code(why).map(|c| std::io::Error::from_raw_os_error(c).kind());
        if stream == "stdout" && kind == Some(ErrorKind::BrokenPipe) {
            std::process::exit(0);
        }
        let _ = writeln!(std::io::stderr(), "shmbmp: cannot write to {stream}: {why}");
        std::process::exit(1);
    }));
}

/// A panic's message, when it is text.
fn payload_text(payload: &dyn std::any::Any) -> Option<&str> {
    let owned = payload.downcast_ref::<String>().map(String::as_str);
    owned.or_else(|| payload.downcast_ref::<&str>().copied())
}

/// For std's `failed printing to stdout: Broken pipe (os error 32)`: the stream and why.
fn output_error(message: &str) -> Option<(&str, &str)> {
    message
        .strip_prefix("failed printing to ")?
        .split_once(": ")
}

/// The OS error code at the end of an I/O error's text: `… (os error 32)`.
fn os_error_code(why: &str) -> Option<i32> {
    why.rsplit_once("(os error ")?
        .1
        .strip_suffix(')')?
        .parse()
        .ok()
}
