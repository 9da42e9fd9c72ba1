//! The one error type of report building; every variant names the file concerned.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why a report could not be built. Every variant names the file concerned.
#[derive(Debug, Error)]
pub enum ReportError {
    /// A file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An output file or directory could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file is not what criterion or `peers.py` writes.
    #[error("malformed JSON in {}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What serde_json found wrong.
        #[source]
        source: serde_json::Error,
    },
    /// A JSON file parsed but holds a value that cannot be used.
    #[error("invalid value in {}: {what}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        what: String,
    },
    /// The criterion directory holds no benchmark results.
    #[error(
        "no criterion benchmarks under {} (expected <group>/<bench>/new/benchmark.json; run `cargo bench` first)",
        path.display()
    )]
    NoBenchmarks {
        /// The criterion directory given.
        path: PathBuf,
    },
}

impl ReportError {
    /// The file or directory the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ReportError::Read { path, .. }
            | ReportError::Write { path, .. }
            | ReportError::Json { path, .. }
            | ReportError::Invalid { path, .. }
            | ReportError::NoBenchmarks { path } => path,
        }
    }
}
