//! Links from the output directory to criterion's pages.

use std::fmt::Write as _;
use std::fs;
use std::path::{Component, Path};

/// `to` as a `/`-separated path relative to the directory `from` (both resolved first when they
/// exist, so `reports/` and `target/criterion` give `../target/criterion`). Falls back to the
/// absolute path of `to` when no relative path exists.
pub(super) fn relative_path(from: &Path, to: &Path) -> String {
    let abs = |p: &Path| {
        fs::canonicalize(p).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        })
    };
    let (from, to) = (abs(from), abs(to));
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return to.to_string_lossy().replace('\\', "/");
    }
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        encode_path(&parts.join("/"))
    }
}

/// Percent-encodes what may not stand in a URL path (criterion keeps spaces, `#`, `%`, ...).
pub(super) fn encode_path(p: &str) -> String {
    let mut s = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            s.push(b as char);
        } else {
            let _ = write!(s, "%{b:02X}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode_path("a b/c#d%"), "a%20b/c%23d%25");
    }
}
