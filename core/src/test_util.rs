//! Helpers for this crate's unit tests.

/// Prints `*** SKIPPED: why ***` straight to stderr, which libtest does not capture, so the
/// notice shows in the normal `cargo test` output.
pub(crate) fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "\n*** SKIPPED: {why} ***\n");
}
