//! Reading criterion's output directory: every benchmark's `new/benchmark.json` and
//! `new/estimates.json` (see the module docs of [`crate::report`] for the layout).

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{read_json, ReportError};

/// One criterion benchmark's last run.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bench {
    pub(super) group: String,
    pub(super) function: Option<String>,
    pub(super) value: Option<String>,
    pub(super) throughput_bytes: Option<u64>,
    pub(super) directory: String,
    pub(super) median_ns: f64,
    pub(super) median_ci: Option<(f64, f64)>,
}

impl Bench {
    /// `function`, `value`, or `function/value`.
    pub(super) fn id(&self) -> String {
        match (&self.function, &self.value) {
            (Some(f), Some(v)) => format!("{f}/{v}"),
            (Some(f), None) => f.clone(),
            (None, Some(v)) => v.clone(),
            (None, None) => String::new(),
        }
    }
}

#[derive(Deserialize)]
struct BenchmarkJson {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    throughput: Option<serde_json::Value>,
    directory_name: String,
}

#[derive(Deserialize)]
struct EstimatesJson {
    median: EstimateJson,
}

#[derive(Deserialize)]
struct EstimateJson {
    point_estimate: f64,
    confidence_interval: Option<IntervalJson>,
}

#[derive(Deserialize)]
struct IntervalJson {
    lower_bound: f64,
    upper_bound: f64,
}

/// Bytes per iteration from criterion's `throughput` (`{"Bytes": n}`, `{"BytesDecimal": n}`,
/// or `{"ElementsAndBytes": {"elements": e, "bytes": n}}`).
fn throughput_bytes(v: &serde_json::Value) -> Option<u64> {
    let obj = v.as_object()?;
    obj.get("Bytes")
        .or_else(|| obj.get("BytesDecimal"))
        .and_then(|b| b.as_u64())
        .or_else(|| obj.get("ElementsAndBytes")?.get("bytes")?.as_u64())
}

/// Every `.../new/benchmark.json` under `dir`, sorted; `report/` and `base/` are skipped.
fn find_benchmark_files(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), ReportError> {
    let entries = fs::read_dir(dir).map_err(|source| ReportError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ReportError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            subdirs.push(entry.path());
        }
    }
    subdirs.sort();
    for sub in subdirs {
        match sub.file_name().and_then(|n| n.to_str()) {
            Some("report") | Some("base") | Some("change") => {}
            Some("new") => {
                let file = sub.join("benchmark.json");
                if file.is_file() {
                    found.push(file);
                }
            }
            _ => find_benchmark_files(&sub, found)?,
        }
    }
    Ok(())
}

/// Every benchmark's last run under `dir`, or an error naming the file at fault.
pub(super) fn read_criterion(dir: &Path) -> Result<Vec<Bench>, ReportError> {
    let mut files = Vec::new();
    find_benchmark_files(dir, &mut files)?;
    if files.is_empty() {
        return Err(ReportError::NoBenchmarks {
            path: dir.to_path_buf(),
        });
    }
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let meta: BenchmarkJson = read_json(&file)?;
        let est_path = file.with_file_name("estimates.json");
        let est: EstimatesJson = read_json(&est_path)?;
        let m = est.median.point_estimate;
        if !m.is_finite() || m <= 0.0 {
            return Err(ReportError::Invalid {
                path: est_path,
                what: format!("median.point_estimate is {m}, expected a positive number of ns"),
            });
        }
        out.push(Bench {
            group: meta.group_id,
            function: meta.function_id,
            value: meta.value_str,
            throughput_bytes: meta.throughput.as_ref().and_then(throughput_bytes),
            directory: meta.directory_name,
            median_ns: m,
            median_ci: est
                .median
                .confidence_interval
                .map(|c| (c.lower_bound, c.upper_bound)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_is_read_from_each_shape() {
        assert_eq!(throughput_bytes(&serde_json::json!({"Bytes": 7})), Some(7));
        assert_eq!(
            throughput_bytes(&serde_json::json!({"ElementsAndBytes": {"elements": 1, "bytes": 9}})),
            Some(9)
        );
        assert_eq!(throughput_bytes(&serde_json::json!({"Elements": 7})), None);
    }
}
