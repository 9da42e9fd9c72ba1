//! End-to-end tests of [`build`] and [`build_with`] on fake criterion trees and peers JSON.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::html::esc;
use super::*;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shmbmp-report-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Writes one benchmark as criterion 0.8 does: `<dir>/new/{benchmark,estimates}.json` and
/// `<dir>/report/index.html`, with `dir` sanitised from the full id.
fn fake_bench(
    crit: &Path,
    group: &str,
    function: Option<&str>,
    value: Option<&str>,
    median_ns: f64,
    bytes: Option<u64>,
) -> PathBuf {
    let sanitise = |s: &str| s.replace(['/', '?', ':', '*', '"', '<', '>', '|', '\\'], "_");
    let mut dir = sanitise(group);
    for part in [function, value].into_iter().flatten() {
        dir = format!("{dir}/{}", sanitise(part));
    }
    let q = |o: Option<&str>| o.map_or("null".to_string(), |s| format!("{s:?}"));
    let thr = bytes.map_or("null".to_string(), |b| format!("{{\"Bytes\":{b}}}"));
    let full: Vec<&str> = [Some(group), function, value]
        .into_iter()
        .flatten()
        .collect();
    let meta = format!(
        "{{\"group_id\":{group:?},\"function_id\":{},\"value_str\":{},\"throughput\":{thr},\"full_id\":{:?},\"directory_name\":{dir:?},\"title\":{:?}}}",
        q(function),
        q(value),
        full.join("/"),
        full.join("/"),
    );
    let est = format!(
        "{{\"mean\":{{\"confidence_interval\":{{\"confidence_level\":0.95,\"lower_bound\":{0},\"upper_bound\":{0}}},\"point_estimate\":{0},\"standard_error\":1.0}},\"median\":{{\"confidence_interval\":{{\"confidence_level\":0.95,\"lower_bound\":{1},\"upper_bound\":{2}}},\"point_estimate\":{0},\"standard_error\":1.0}},\"median_abs_dev\":null,\"slope\":null,\"std_dev\":null}}",
        median_ns,
        median_ns * 0.9,
        median_ns * 1.1
    );
    let b = crit.join(&dir);
    fs::create_dir_all(b.join("new")).unwrap();
    fs::create_dir_all(b.join("report")).unwrap();
    fs::write(b.join("new/benchmark.json"), meta).unwrap();
    fs::write(b.join("new/estimates.json"), est).unwrap();
    fs::write(b.join("report/index.html"), "<html></html>").unwrap();
    // criterion writes a group page when a group has more than one benchmark
    let group_report = crit.join(sanitise(group)).join("report");
    fs::create_dir_all(&group_report).unwrap();
    fs::write(group_report.join("index.html"), "<html></html>").unwrap();
    b
}

const RGBA: u64 = 1600 * 1200 * 4;

fn fake_tree(root: &Path) -> PathBuf {
    let crit = root.join("target/criterion");
    // bench_function("lut") style and BenchmarkId::from_parameter("floor") style
    fake_bench(
        &crit,
        "decode/seed",
        Some("lut"),
        None,
        1_000_000.0,
        Some(RGBA),
    );
    fake_bench(
        &crit,
        "decode/seed",
        None,
        Some("floor"),
        250_000.0,
        Some(RGBA),
    );
    fake_bench(
        &crit,
        "decode/seed",
        Some("naive"),
        None,
        4_000_000.0,
        Some(RGBA),
    );
    fake_bench(&crit, "decode/pal1", Some("lut"), None, 500.0, Some(1000));
    fake_bench(
        &crit,
        "decode/pal1",
        Some("zune"),
        None,
        2_000.0,
        Some(1000),
    );
    fake_bench(
        &crit,
        "shm/handoff",
        Some("write"),
        Some("1600x1200"),
        3_000.0,
        None,
    );
    crit
}

const PEERS: &str = r#"{"schema":1,"python":"3.11.7","versions":{"numpy":"2.0.0","opencv":"4.10.0","pillow":"11.0.0"},
      "cpu":"Test CPU","cores":2,"date":"2026-01-02T03:04:05Z","quick":true,"results":[
      {"fixture":"seed","file":"seed.bmp","peer":"cv2.imdecode","iterations":20,"median_ns":500000,"min_ns":400000,"p90_ns":600000,
       "width":1600,"height":1200,"rgba_bytes":7680000,"output_bytes":5760000,"output_shape":[1200,1600,3],
       "agrees_with_pillow":true,"max_channel_delta":0,"error":null},
      {"fixture":"seed","file":"seed.bmp","peer":"cv2.imdecode+cvtColor","output_bytes":7680000,"iterations":20,"median_ns":2000000,"min_ns":1900000,"p90_ns":2500000,
       "width":1600,"height":1200,"rgba_bytes":7680000,"agrees_with_pillow":true,"max_channel_delta":0,"error":null},
      {"fixture":"seed","file":"seed.bmp","peer":"pillow","iterations":20,"median_ns":10000000,"min_ns":9000000,"p90_ns":12000000,
       "width":1600,"height":1200,"rgba_bytes":7680000,"agrees_with_pillow":true,"max_channel_delta":0,"error":null},
      {"fixture":"seed","file":"seed.bmp","peer":"python.loop","iterations":1,"median_ns":700000000,"min_ns":700000000,"p90_ns":700000000,
       "width":1600,"height":1200,"rgba_bytes":7680000,"agrees_with_pillow":true,"max_channel_delta":0,"error":null,"anchor":true},
      {"fixture":"pal1","file":"pal1.bmp","peer":"cv2.imdecode","iterations":5,"median_ns":4000,"min_ns":3000,"p90_ns":5000,
       "width":25,"height":10,"rgba_bytes":1000,"agrees_with_pillow":false,"max_channel_delta":255,"error":null},
      {"fixture":"pal1","file":"pal1.bmp","peer":"pillow","error":"OSError: broken"},
      {"fixture":"pal1","file":"pal1.bmp","peer":"numpy.lut","iterations":5,"median_ns":3000,"min_ns":3000,"p90_ns":3000,
       "rgba_bytes":996,"agrees_with_pillow":true,"max_channel_delta":0,"error":null},
      {"fixture":"only_py","file":"only_py.bmp","peer":"pillow","iterations":5,"median_ns":100,"min_ns":90,"p90_ns":120,
       "width":1,"height":1,"rgba_bytes":4,"agrees_with_pillow":true,"max_channel_delta":0,"error":null}]}"#;

fn opts() -> Options {
    Options {
        rustc: Some("rustc 1.88.0 (test)".into()),
        cargo_lock: None,
        date: Some("2026-01-02".into()),
        cpu: Some("Test CPU".into()),
        cores: Some(2),
        handoff_json: None,
        interleaved_json: None,
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9 * b.abs().max(1.0))
}

#[test]
fn tables_ratios_order_and_links() {
    let tmp = TempDir::new("tables");
    let crit = fake_tree(&tmp.0);
    let peers = tmp.0.join("peers.json");
    fs::write(&peers, PEERS).unwrap();
    let out = tmp.0.join("reports");
    let s = build_with(&crit, Some(&peers), &out, &opts()).unwrap();

    let names: Vec<&str> = s.fixtures.iter().map(|t| t.fixture.as_str()).collect();
    assert_eq!(
        names,
        ["seed", "only_py", "pal1"],
        "seed first, then by name"
    );

    let seed = &s.fixtures[0];
    assert_eq!(seed.rgba_bytes, Some(RGBA));
    assert_eq!(seed.dims, Some((1600, 1200)));
    let order: Vec<&str> = seed.rows.iter().map(|r| r.decoder.as_str()).collect();
    assert_eq!(
        order,
        [
            "floor",
            "cv2.imdecode",
            "lut",
            "cv2.imdecode+cvtColor",
            "naive",
            "pillow",
            "python.loop"
        ]
    );
    let lut = seed.row("lut").unwrap();
    assert_eq!(lut.kind, RowKind::Ours);
    assert!(close(lut.vs_floor, 4.0));
    assert!(close(lut.vs_lut, 1.0));
    assert!(close(lut.gb_per_s, 7.68));
    let floor = seed.row("floor").unwrap();
    assert_eq!(floor.kind, RowKind::Floor);
    assert!(close(floor.vs_floor, 1.0));
    assert!(close(floor.vs_lut, 0.25));
    assert!(close(seed.row("naive").unwrap().vs_lut, 4.0));
    let pil = seed.row("pillow").unwrap();
    assert_eq!(pil.kind, RowKind::Python);
    assert!(close(pil.vs_lut, 10.0));
    assert!(close(pil.vs_floor, 40.0));
    assert!(close(pil.gb_per_s, 0.768));
    assert_eq!(pil.check, Check::AgreesWithPillow);
    let anchor = seed.row("python.loop").unwrap();
    assert_eq!(anchor.kind, RowKind::PythonAnchor);
    assert!(close(anchor.vs_lut, 700.0));
    assert_eq!(anchor.spread.as_deref(), Some("1 run"));

    let pal1 = s.fixtures.iter().find(|t| t.fixture == "pal1").unwrap();
    assert!(
        pal1.row("zune").unwrap().vs_floor.is_none(),
        "no floor in pal1"
    );
    assert!(close(pal1.row("zune").unwrap().vs_lut, 4.0));
    assert_eq!(
        pal1.row("cv2.imdecode").unwrap().check,
        Check::DiffersFromPillow {
            max_delta: Some(255)
        }
    );
    let np = pal1.row("numpy.lut").unwrap();
    assert!(
        np.note.as_deref().unwrap().contains("not the same fixture"),
        "{np:?}"
    );
    assert!(
        close(np.gb_per_s, 996.0 / 3000.0),
        "a peer's GB/s uses its own output size"
    );
    let broken = pal1.row("pillow").unwrap();
    assert_eq!(broken.median_ns, None);
    assert_eq!(broken.note.as_deref(), Some("OSError: broken"));
    assert_eq!(pal1.rows.last().unwrap().decoder, "pillow", "failures last");

    let only = s.fixtures.iter().find(|t| t.fixture == "only_py").unwrap();
    assert!(close(only.row("pillow").unwrap().gb_per_s, 0.04));

    assert_eq!(s.other.len(), 1);
    assert_eq!(s.other[0].group, "shm/handoff");
    assert_eq!(s.other[0].bench, "write/1600x1200");
    assert_eq!(
        s.other[0].link,
        "../target/criterion/shm_handoff/write/1600x1200/report/index.html"
    );
    assert_eq!(
        lut.link.as_deref(),
        Some("../target/criterion/decode_seed/lut/report/index.html")
    );
    assert_eq!(
        seed.group_link.as_deref(),
        Some("../target/criterion/decode_seed/report/index.html")
    );

    let bgr = seed.row("cv2.imdecode").unwrap();
    assert!(!bgr.rgba_out);
    assert!(bgr
        .note
        .as_deref()
        .unwrap()
        .contains("[1200, 1600, 3], not RGBA"));
    assert!(seed.row("cv2.imdecode+cvtColor").unwrap().rgba_out);
    let h = s.headline.as_deref().unwrap();
    assert!(
        !h.contains("slower"),
        "BGR-only peers stay out of the headline: {h}"
    );
    assert!(h.contains("1.00 ms"), "{h}");
    assert!(h.contains("4.00× the time of the memcpy floor"), "{h}");
    assert!(h.contains("700× faster than python.loop"), "{h}");
    assert!(h.contains("2.00× faster than cv2.imdecode+cvtColor"), "{h}");

    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert_eq!(s.written, [out.join("index.html"), out.join("summary.md")]);
    for text in [&html, &md] {
        assert!(text.contains("Test CPU, 2 logical cores"));
        let kernels = format!("{} (CPU offers scalar", crate::Kernels::detect().name());
        assert!(text.contains(&kernels), "the kernels lut ran are named");
        assert!(text.contains("rustc 1.88.0 (test)"));
        assert!(text.contains("Python 3.11.7"));
        assert!(text.contains("opencv 4.10.0"));
        assert!(text.contains("../target/criterion/decode_seed/lut/report/index.html"));
    }
    assert!(html.find("id=\"fx-seed\"").unwrap() < html.find("id=\"fx-pal1\"").unwrap());
    assert!(!html.contains("<script"), "no JavaScript");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "works offline"
    );
    assert!(html.contains("<svg"));
    assert!(md.contains("| [lut](../target/criterion/decode_seed/lut/report/index.html) | Rust, shmbmp | 1.00 ms | 7.68 | 4.00× | 1.00× |"), "{md}");
    assert!(
        md.contains("| pillow | Python peer | error: OSError: broken |"),
        "{md}"
    );
}

#[test]
fn missing_peers_are_said_plainly() {
    let tmp = TempDir::new("nopeers");
    let crit = fake_tree(&tmp.0);
    let out = tmp.0.join("reports");
    let s = build_with(&crit, None, &out, &opts()).unwrap();
    assert!(s.header.python.is_none());
    assert!(s.fixtures[0].rows.iter().all(|r| r.kind.is_rust()));
    let h = s.headline.unwrap();
    assert!(!h.contains("faster than"), "{h}");
    for f in ["index.html", "summary.md"] {
        let text = fs::read_to_string(out.join(f)).unwrap();
        assert!(
            text.contains("Python peers were not measured in this run (create the venv: "),
            "{f}"
        );
        let setup = if f == "index.html" {
            esc(PEERS_SETUP)
        } else {
            PEERS_SETUP.to_string()
        };
        assert!(text.contains(&setup), "{f}");
    }
}

#[test]
fn malformed_estimates_name_the_file() {
    let tmp = TempDir::new("malformed");
    let crit = fake_tree(&tmp.0);
    let bad = crit.join("decode_pal1/zune/new/estimates.json");
    fs::write(&bad, "{\"median\": {\"point_estimate\": ").unwrap();
    let err = build_with(&crit, None, &tmp.0.join("reports"), &opts()).unwrap_err();
    assert!(matches!(err, ReportError::Json { .. }), "{err:?}");
    assert_eq!(err.path(), bad);
    assert!(
        err.to_string()
            .contains("decode_pal1/zune/new/estimates.json"),
        "{err}"
    );

    fs::write(&bad, "{\"mean\": {}}").unwrap();
    let err = build(&crit, None, &tmp.0.join("reports")).unwrap_err();
    assert!(
        matches!(err, ReportError::Json { .. }),
        "missing median: {err:?}"
    );
    assert_eq!(err.path(), bad);

    fs::write(&bad, "{\"median\": {\"point_estimate\": -1.0}}").unwrap();
    let err = build(&crit, None, &tmp.0.join("reports")).unwrap_err();
    assert!(matches!(err, ReportError::Invalid { .. }), "{err:?}");
    assert_eq!(err.path(), bad);
}

#[test]
fn malformed_peers_json_names_the_file() {
    let tmp = TempDir::new("badpeers");
    let crit = fake_tree(&tmp.0);
    let peers = tmp.0.join("peers.json");
    fs::write(&peers, "{\"python\": \"3.11\"}").unwrap();
    let err = build(&crit, Some(&peers), &tmp.0.join("reports")).unwrap_err();
    assert!(matches!(err, ReportError::Json { .. }), "{err:?}");
    assert_eq!(err.path(), peers);
    let missing = tmp.0.join("nope.json");
    let err = build(&crit, Some(&missing), &tmp.0.join("reports")).unwrap_err();
    assert!(matches!(err, ReportError::Read { .. }), "{err:?}");
    assert_eq!(err.path(), missing);
}

#[test]
fn empty_or_missing_criterion_dir_is_an_error() {
    let tmp = TempDir::new("empty");
    let err = build(&tmp.0, None, &tmp.0.join("reports")).unwrap_err();
    assert!(matches!(err, ReportError::NoBenchmarks { .. }), "{err:?}");
    let err = build(&tmp.0.join("absent"), None, &tmp.0.join("reports")).unwrap_err();
    assert!(matches!(err, ReportError::Read { .. }), "{err:?}");
}

#[test]
fn sanitised_names_and_odd_ids_link_correctly() {
    let tmp = TempDir::new("odd");
    let crit = tmp.0.join("crit");
    fake_bench(
        &crit,
        "decode/x",
        Some("zune"),
        Some("a b?c"),
        10.0,
        Some(40),
    );
    fake_bench(&crit, "decode/x", Some("lut"), None, 5.0, Some(40));
    let s = build_with(&crit, None, &tmp.0.join("out/deeper"), &opts()).unwrap();
    let t = &s.fixtures[0];
    assert_eq!(t.fixture, "x");
    let z = t.row("zune/a b?c").unwrap();
    assert_eq!(
        z.link.as_deref(),
        Some("../../crit/decode_x/zune/a%20b_c/report/index.html")
    );
    assert!(close(z.vs_lut, 2.0));
    assert_eq!(
        t.group_link.as_deref(),
        Some("../../crit/decode_x/report/index.html")
    );
}

#[test]
fn interleaved_ratios_get_their_own_table() {
    use crate::timing::{DecoderTime, Interleaved};
    let tmp = TempDir::new("interleaved");
    let crit = fake_tree(&tmp.0);
    let time = |decoder: &str, median_ns: Option<f64>| DecoderTime {
        decoder: decoder.to_string(),
        median_ns,
        error: median_ns.is_none().then(|| "refused".to_string()),
    };
    let runs = vec![Interleaved {
        name: "seed".into(),
        width: 1600,
        height: 1200,
        rgba_bytes: RGBA,
        rounds: 25,
        floor_ns: 400_000.0,
        decoders: vec![time("lut", Some(524_000.0)), time("bmp", None)],
    }];
    let json = tmp.0.join("interleaved.json");
    fs::write(&json, serde_json::to_string(&runs).unwrap()).unwrap();
    let out = tmp.0.join("reports");
    let o = Options {
        interleaved_json: Some(json),
        ..opts()
    };
    let s = build_with(&crit, None, &out, &o).unwrap();
    assert_eq!(s.interleaved, runs);
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("## Interleaved ratios to the floor"), "{md}");
    assert!(
        md.contains("| fixture | floor | lut × floor | bmp × floor |"),
        "{md}"
    );
    assert!(
        md.contains("| seed (1600×1200, 25 rounds) | 400 µs | 1.31× | — |"),
        "{md}"
    );
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("id=\"interleaved\""));
    assert!(
        html.contains("<td class=\"n\">1.31×</td><td class=\"n\">—</td>"),
        "{html}"
    );
}

#[test]
fn build_from_uses_the_json_files_that_exist() {
    let tmp = TempDir::new("inputs");
    let crit = fake_tree(&tmp.0);
    let inputs = Inputs::in_target(&tmp.0.join("target"));
    assert_eq!(inputs.criterion, crit);
    fs::write(&inputs.interleaved, "[]").unwrap();
    let row = HandoffRow {
        mode: "60 frames/s".into(),
        seconds: 1.0,
        published_per_s: 60.0,
        decoded_per_s: 60.0,
        p50_us: 2000.0,
        p99_us: 3000.0,
        max_us: 3500.0,
        frames: 60,
        skipped: 0,
        torn: 0,
        overtaken: 0,
    };
    fs::write(&inputs.handoff, serde_json::to_string(&[row]).unwrap()).unwrap();
    let out = tmp.0.join("reports");
    let s = build_from(&inputs, &out).unwrap();
    assert!(s.header.python.is_none(), "no peers.json: no Python peers");
    assert_eq!(s.handoff.len(), 1);
    assert!(s.interleaved.is_empty());
    fs::remove_file(&inputs.handoff).unwrap();
    fs::write(&inputs.peers, "not json").unwrap();
    assert!(
        build_from(&inputs, &out).is_err(),
        "a peers.json that exists is read"
    );
}
