//! Conformance on BMP Suite (vendored in `tests/data/bmpsuite`, public domain; or
//! `BMPSUITE_DIR`): our decoders against
//! the peers' stored decodes, and every decoder's outcome on every file.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{in_snapshots, missing};
use shmbmp_suite::check::{check_all, Agreement, Outcome};
use shmbmp_suite::{Frame, Limits, Origin};

const REFS: [&str; 4] = ["pillow", "opencv", "image", "zune"];

fn suite_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("BMPSUITE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bmpsuite"));
    if dir.join("g").is_dir() {
        Some(dir)
    } else {
        missing(&format!(
            "BMP Suite folder {} (set BMPSUITE_DIR)",
            dir.display()
        ));
        None
    }
}

fn files(dir: &Path, folder: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join(folder))
        .unwrap_or_else(|e| panic!("read {folder}/: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bmp"))
        .collect();
    v.sort();
    v
}

fn reference(dir: &Path, peer: &str, folder: &str, file: &Path) -> Option<Frame> {
    let stem = file.file_stem()?.to_str()?;
    let png = dir.join(format!("ref-{peer}/{folder}/{stem}.png"));
    let img = image::open(&png).ok()?.into_rgba8();
    let (width, height) = img.dimensions();
    Some(Frame {
        width,
        height,
        rgba: img.into_raw(),
    })
}

/// Every file of `g/` decodes with `naive` and `lut`, identically; where the peers' stored
/// decodes all agree, ours equals them; the rest is recorded per file in a snapshot.
#[test]
fn good_files_match_the_peers_where_they_agree() {
    let Some(dir) = suite_dir() else { return };
    let mut record = BTreeMap::new();
    let mut failures = Vec::new();
    for file in files(&dir, "g") {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&file).unwrap();
        let rows = check_all(&bytes, &Limits::default());
        let ours = |n: &str| rows.iter().find(|r| r.decoder == n).unwrap();
        let (naive, lut) = (ours("naive"), ours("lut"));
        let Some(frame) = naive.frame.clone() else {
            failures.push(format!("{name}: naive failed: {}", naive.outcome));
            continue;
        };
        if lut.outcome != Outcome::Decoded(Some(Agreement::Identical)) {
            failures.push(format!("{name}: lut {}", lut.outcome));
        }
        let refs: Vec<(&str, Frame)> = REFS
            .iter()
            .filter_map(|p| reference(&dir, p, "g", &file).map(|f| (*p, f)))
            .collect();
        let refs_agree = refs.windows(2).all(|w| w[0].1 == w[1].1);
        let mut verdicts = BTreeMap::new();
        for (peer, r) in &refs {
            let a = Agreement::of(r, &frame);
            verdicts.insert(*peer, Outcome::Decoded(Some(a.clone())).to_string());
            if refs_agree && a != Agreement::Identical {
                let paths = common::write_mismatch(&format!("g_{name}_{peer}"), r, &frame);
                failures.push(format!(
                    "{name}: every peer agrees, ours {a:?} vs {peer}; see {paths:?}"
                ));
            }
        }
        record.insert(name, verdicts);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(record.len(), 27, "BMP Suite g/ should hold 27 files");
    in_snapshots(|| insta::assert_yaml_snapshot!("bmpsuite_g_vs_peer_references", record));
}

/// Every decoder on every file of `g/`, `q/`, `b/` and `x/`: what it did, compared with `naive`.
/// No decoder of ours panics; `naive` and `lut` always agree.
#[test]
fn matrix_over_every_file() {
    let Some(dir) = suite_dir() else { return };
    let mut matrix: BTreeMap<String, BTreeMap<&str, String>> = BTreeMap::new();
    let mut counts: BTreeMap<String, BTreeMap<&str, usize>> = BTreeMap::new();
    for folder in ["g", "q", "b", "x"] {
        for file in files(&dir, folder) {
            let bytes = std::fs::read(&file).unwrap();
            let rows = check_all(&bytes, &Limits::default());
            assert!(
                shmbmp_suite::check::ours_agree(&rows),
                "{}: naive and lut disagree: {:?}",
                file.display(),
                rows.iter()
                    .map(|r| (r.decoder, r.outcome.to_string()))
                    .collect::<Vec<_>>()
            );
            let key = format!("{folder}/{}", file.file_name().unwrap().to_string_lossy());
            let refs: Vec<(&str, Frame)> = REFS
                .iter()
                .filter_map(|p| reference(&dir, p, folder, &file).map(|f| (*p, f)))
                .collect();
            for r in &rows {
                if r.origin == Origin::Ours {
                    assert!(!matches!(
                        r.outcome,
                        Outcome::Failed(shmbmp_suite::Error::Panicked { .. })
                    ));
                }
                let kind = match &r.outcome {
                    Outcome::Decoded(_) => "decoded",
                    Outcome::Unstable => "decoded, differs from run to run",
                    Outcome::Failed(e) => e.kind(),
                };
                let tally = counts.entry(format!("{folder} {}", r.decoder)).or_default();
                *tally.entry(kind).or_default() += 1;
                let mut cell = r.outcome.to_string();
                if let Some(frame) = &r.frame {
                    let same: Vec<&str> = refs
                        .iter()
                        .filter(|(_, f)| f == frame)
                        .map(|(p, _)| *p)
                        .collect();
                    if !same.is_empty() {
                        *tally.entry("identical to a peer reference").or_default() += 1;
                    }
                    cell = format!("{cell}; = refs {same:?}");
                }
                matrix
                    .entry(key.clone())
                    .or_default()
                    .insert(r.decoder, cell);
            }
        }
    }
    in_snapshots(|| {
        insta::assert_yaml_snapshot!("bmpsuite_matrix", matrix);
        insta::assert_yaml_snapshot!("bmpsuite_counts", counts);
    });
}
