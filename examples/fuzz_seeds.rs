//! Writes every encoder fixture as a `.bmp` into a directory: seeds for the fuzzers.
//!
//! `cargo run --example fuzz_seeds -- fuzz/corpus/seeds` (see `fuzz/README.md`).

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(
        std::env::args_os()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus/seeds".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let mut n = 0;
    for f in shmbmp::encode::fixtures() {
        std::fs::write(
            dir.join(format!("fixture_{}.bmp", f.name)),
            shmbmp::encode::encode(&f.spec),
        )?;
        n += 1;
    }
    println!("wrote {n} fixtures to {}", dir.display());
    Ok(())
}
