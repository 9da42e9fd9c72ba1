//! Reading the Python peers' JSON written by `benches/peers.py` (and, in the same shape,
//! the rows of `python/bench.py`, read by [`super::python`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{read_json, PythonEnv, ReportError};

/// The whole file `peers.py` writes: its environment and one result per fixture and peer.
#[derive(Debug, Deserialize)]
pub(super) struct PeersJson {
    pub(super) python: String,
    #[serde(default)]
    pub(super) versions: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) cpu: Option<String>,
    #[serde(default)]
    pub(super) date: Option<String>,
    #[serde(default)]
    pub(super) quick: bool,
    /// What `peers.py` did to the allocator.
    #[serde(default)]
    pub(super) allocator: Option<String>,
    pub(super) results: Vec<PeerResult>,
}

/// One peer on one fixture: its timing, output size and pixel check, or its error.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct PeerResult {
    pub(super) fixture: String,
    pub(super) peer: String,
    #[serde(default)]
    pub(super) error: Option<String>,
    #[serde(default)]
    pub(super) iterations: Option<u64>,
    #[serde(default)]
    pub(super) median_ns: Option<f64>,
    #[serde(default)]
    pub(super) min_ns: Option<f64>,
    #[serde(default)]
    pub(super) p90_ns: Option<f64>,
    #[serde(default)]
    pub(super) width: Option<u64>,
    #[serde(default)]
    pub(super) height: Option<u64>,
    #[serde(default)]
    pub(super) rgba_bytes: Option<u64>,
    #[serde(default)]
    pub(super) agrees_with_pillow: Option<bool>,
    #[serde(default)]
    pub(super) max_channel_delta: Option<u64>,
    #[serde(default)]
    pub(super) output_bytes: Option<u64>,
    #[serde(default)]
    pub(super) output_shape: Option<Vec<u64>>,
    /// The native output's format in words (`BGR8 ndarray`, `PIL mode P`).
    #[serde(default)]
    pub(super) output_format: Option<String>,
    /// Whether the output is canonical RGBA.
    #[serde(default)]
    pub(super) rgba_out: Option<bool>,
    /// For a conversion row: the peer whose output it converts.
    #[serde(default)]
    pub(super) converts: Option<String>,
    #[serde(default)]
    pub(super) anchor: bool,
    #[serde(default)]
    pub(super) note: Option<String>,
}

impl PeersJson {
    /// What the file says about the Python it ran in.
    pub(super) fn env(&self) -> PythonEnv {
        PythonEnv {
            python: self.python.clone(),
            versions: self
                .versions
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            cpu: self.cpu.clone(),
            date: self.date.clone(),
            quick: self.quick,
            allocator: self.allocator.clone(),
        }
    }
}

/// The peers' JSON at `path`, with every median checked to be a positive number.
pub(super) fn read_peers(path: &Path) -> Result<PeersJson, ReportError> {
    let doc: PeersJson = read_json(path)?;
    check_medians(path, &doc.results)?;
    Ok(doc)
}

/// Every median in `results` (read from `path`) is a positive number.
pub(super) fn check_medians(path: &Path, results: &[PeerResult]) -> Result<(), ReportError> {
    for r in results {
        if let Some(m) = r.median_ns {
            if !m.is_finite() || m <= 0.0 {
                return Err(ReportError::Invalid {
                    path: path.to_path_buf(),
                    what: format!("{}/{}: median_ns is {m}", r.fixture, r.peer),
                });
            }
        }
    }
    Ok(())
}
