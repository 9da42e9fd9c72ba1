//! The run's environment for the report header: CPU, cores, date, crate versions.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::{Header, Options, PythonEnv};
use crate::Kernels;

/// The header facts: `opts` first, then `/proc/cpuinfo`, Cargo.lock and the clock.
pub(super) fn header(criterion_dir: &Path, opts: &Options, python: Option<PythonEnv>) -> Header {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = opts.cpu.clone().unwrap_or_else(|| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with("model name") || l.starts_with("Hardware"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unknown CPU".to_string())
    });
    let cores = opts.cores.unwrap_or_else(|| {
        let n = cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count();
        if n > 0 {
            n
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    });
    let lock = opts.cargo_lock.clone().or_else(|| {
        [
            criterion_dir.join("../../Cargo.lock"),
            PathBuf::from("Cargo.lock"),
        ]
        .into_iter()
        .find(|p| p.is_file())
    });
    let crates = lock
        .and_then(|p| fs::read_to_string(p).ok())
        .map(|text| crate_versions(&text, &["image", "bmp", "zune-bmp", "stb_image"]))
        .unwrap_or_default();
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|l| l.split(':').next().map(str::trim) == Some(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let cpu_id = match (field("cpu family"), field("model")) {
        (Some(f), Some(m)) if opts.cpu.is_none() => Some(format!("family {f}, model {m}")),
        _ => None,
    };
    Header {
        cpu,
        cpu_id,
        cores,
        date: opts.date.clone().unwrap_or_else(today_utc),
        rustc: opts.rustc.clone(),
        run: None,
        allocator: None,
        kernels: kernels(),
        crates,
        python,
    }
}

/// The kernels `lut` picks here and the levels this CPU runs.
fn kernels() -> String {
    let offered: Vec<&str> = Kernels::ALL
        .into_iter()
        .filter(|k| k.supported())
        .map(Kernels::name)
        .collect();
    format!(
        "{} (CPU offers {})",
        Kernels::detect().name(),
        offered.join(", ")
    )
}

/// Versions of `names` in a Cargo.lock, in the order asked; a crate locked at several
/// versions lists them all.
fn crate_versions(lock: &str, names: &[&str]) -> Vec<(String, String)> {
    let mut found: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut name: Option<String> = None;
    for line in lock.lines().map(str::trim) {
        if line == "[[package]]" {
            name = None;
        } else if let Some(v) = line.strip_prefix("name = ") {
            name = Some(v.trim_matches('"').to_string());
        } else if let Some(v) = line.strip_prefix("version = ") {
            if let Some(n) = names.iter().find(|n| Some(**n) == name.as_deref()) {
                found
                    .entry(n)
                    .or_default()
                    .push(v.trim_matches('"').to_string());
            }
        }
    }
    names
        .iter()
        .filter_map(|n| found.get(n).map(|v| (n.to_string(), v.join(", "))))
        .collect()
}

/// Today's date in UTC as `YYYY-MM-DD`, from the system clock.
fn today_utc() -> String {
    date_utc(std::time::SystemTime::now())
}

/// The date of `t` in UTC as `YYYY-MM-DD`.
pub(super) fn date_utc(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `rustc -V` of the toolchain on the PATH, when there is one.
pub fn rustc_version() -> Option<String> {
    let out = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_crate_versions() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        let lock = "version = 4\n\n[[package]]\nname = \"bmp\"\nversion = \"0.5.0\"\n\n[[package]]\nname = \"image\"\nversion = \"0.25.6\"\n\n[[package]]\nname = \"image\"\nversion = \"0.24.9\"\n\n[[package]]\nname = \"other\"\nversion = \"1.0.0\"\n";
        assert_eq!(
            crate_versions(lock, &["image", "bmp", "zune-bmp"]),
            [
                ("image".to_string(), "0.25.6, 0.24.9".to_string()),
                ("bmp".to_string(), "0.5.0".to_string())
            ]
        );
    }
}
