//! Writes seeds for the fuzzers: every encoder fixture as a `.bmp` into `DIR`, and, when
//! `SHM_DIR` is given, framed shared-memory regions (header + slots) holding the small ones.
//!
//! `cargo run --example fuzz_seeds -- DIR [SHM_DIR]` (run by `fuzz/seed.sh`; see
//! `fuzz/README.md`).

use std::path::PathBuf;

use shmbmp_suite::shm::{layout, Geometry};

/// A framed region of two slots, frame 1 (holding `bmp`) published in slot 0.
fn region(bmp: &[u8]) -> Vec<u8> {
    let g = Geometry::new(2, bmp.len() as u64).expect("a small geometry");
    let mut r = vec![0u8; g.region_len().expect("fits")];
    r[..layout::REGION_HEADER_LEN].copy_from_slice(&g.header_bytes());
    r[layout::LATEST_AT..][..8].copy_from_slice(&layout::latest_word(1, 0).to_le_bytes());
    let at = g.slot_at(0);
    r[at + layout::SEQ_AT..][..8].copy_from_slice(&2u64.to_le_bytes());
    r[at + layout::FRAME_AT..][..8].copy_from_slice(&1u64.to_le_bytes());
    r[at + layout::LEN_AT..][..8].copy_from_slice(&(bmp.len() as u64).to_le_bytes());
    r[g.payload_at(0)..][..bmp.len()].copy_from_slice(bmp);
    r
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "fuzz/corpus/seeds".into()));
    let shm_dir = args.next().map(PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    if let Some(d) = &shm_dir {
        std::fs::create_dir_all(d)?;
    }
    let (mut n, mut m) = (0, 0);
    for f in shmbmp_suite::encode::fixtures() {
        let bmp = shmbmp_suite::encode::encode(&f.spec);
        std::fs::write(dir.join(format!("fixture_{}.bmp", f.name)), &bmp)?;
        n += 1;
        if let Some(d) = &shm_dir {
            if bmp.len() <= 4096 {
                std::fs::write(d.join(format!("region_{}.bin", f.name)), region(&bmp))?;
                std::fs::write(d.join(format!("raw_{}.bmp", f.name)), &bmp)?;
                m += 1;
            }
        }
    }
    println!("wrote {n} fixtures to {}", dir.display());
    if let Some(d) = &shm_dir {
        println!(
            "wrote {m} framed regions (and raw copies) to {}",
            d.display()
        );
    }
    Ok(())
}
