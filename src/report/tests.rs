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
    for (function, value, median) in [
        (Some("lut"), None, 1_000_000.0),
        (Some("lut_into"), None, 800_000.0),
        (None, Some("floor"), 250_000.0),
        (Some("fill"), None, 100_000.0),
        (Some("naive"), None, 4_000_000.0),
        (Some("zune"), None, 3_000_000.0),
        (Some("zune_to_rgba"), None, 500_000.0),
        (Some("image"), None, 6_000_000.0),
    ] {
        fake_bench(&crit, "decode/seed", function, value, median, Some(RGBA));
    }
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

const PEERS: &str = r#"{"schema":2,"python":"3.11.7","versions":{"numpy":"2.0.0","opencv":"4.10.0","pillow":"11.0.0"},
      "cpu":"Test CPU","cores":2,"date":"2026-01-02T03:04:05Z","quick":true,"allocator":"glibc malloc held steady (test)","results":[
      {"fixture":"seed","file":"seed.bmp","peer":"cv2.imdecode","iterations":20,"median_ns":500000,"min_ns":400000,"p90_ns":600000,
       "width":1600,"height":1200,"rgba_bytes":7680000,"output_bytes":5760000,"output_shape":[1200,1600,3],"output_format":"BGR8 ndarray","rgba_out":false,
       "agrees_with_pillow":true,"max_channel_delta":0,"error":null},
      {"fixture":"seed","file":"seed.bmp","peer":"cv2.cvtColor","converts":"cv2.imdecode","rgba_out":true,"output_bytes":7680000,"iterations":20,"median_ns":1500000,"min_ns":1400000,"p90_ns":1600000,
       "width":1600,"height":1200,"rgba_bytes":7680000,"agrees_with_pillow":true,"max_channel_delta":0,"error":null},
      {"fixture":"seed","file":"seed.bmp","peer":"pillow","iterations":20,"median_ns":10000000,"min_ns":9000000,"p90_ns":12000000,"rgba_out":true,
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
        bare_json: None,
        run_json: None,
        python_bench_json: None,
        threads_json: None,
        layouts_json: None,
        handoff_earlier: None,
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9 * b.abs().max(1.0))
}

#[test]
fn tables_ratios_order_and_conversions() {
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
            "fill",
            "floor",
            "zune_to_rgba",
            "cv2.imdecode",
            "lut_into",
            "lut",
            "cv2.cvtColor",
            "zune",
            "naive",
            "image",
            "pillow",
            "python.loop"
        ]
    );
    let lut = seed.row("lut").unwrap();
    assert_eq!(lut.kind, RowKind::Ours);
    assert!(close(lut.vs_floor, 4.0));
    assert!(close(lut.vs_fill, 10.0));
    assert!(close(lut.vs_lut, 1.0));
    assert!(close(lut.gb_per_s, 7.68));
    let floor = seed.row("floor").unwrap();
    assert_eq!(floor.kind, RowKind::Floor);
    assert!(close(floor.vs_floor, 1.0));
    assert!(close(floor.vs_lut, 0.25));
    assert_eq!(seed.row("fill").unwrap().kind, RowKind::WriteFloor);
    assert!(close(seed.row("naive").unwrap().vs_lut, 4.0));

    let zune = seed.row("zune").unwrap();
    assert_eq!(zune.kind, RowKind::RustCrate);
    assert!(
        !zune.rgba_out,
        "zune has a conversion row, so its output is not RGBA"
    );
    assert!(
        zune.note.as_deref().unwrap().contains("zune_to_rgba"),
        "{zune:?}"
    );
    let conv = seed.row("zune_to_rgba").unwrap();
    assert_eq!(conv.kind, RowKind::Conversion);
    assert_eq!(conv.converts.as_deref(), Some("zune"));
    assert!(
        seed.row("image").unwrap().rgba_out,
        "image has no conversion row"
    );

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
    let cvt = seed.row("cv2.cvtColor").unwrap();
    assert_eq!(cvt.kind, RowKind::PythonConversion);
    assert_eq!(cvt.converts.as_deref(), Some("cv2.imdecode"));

    let to_rgba: Vec<(String, f64)> = seed
        .to_rgba()
        .iter()
        .map(|p| (p.label(), p.total_ns))
        .collect();
    assert_eq!(
        to_rgba,
        [
            ("cv2.imdecode + cv2.cvtColor".to_string(), 2_000_000.0),
            ("zune + zune_to_rgba".to_string(), 3_500_000.0),
            ("image".to_string(), 6_000_000.0),
            ("pillow".to_string(), 10_000_000.0),
            ("python.loop".to_string(), 700_000_000.0),
        ]
    );

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
    assert_eq!(broken.error.as_deref(), Some("OSError: broken"));
    assert_eq!(pal1.rows.last().unwrap().decoder, "pillow", "failures last");

    let only = s.fixtures.iter().find(|t| t.fixture == "only_py").unwrap();
    assert!(close(only.row("pillow").unwrap().gb_per_s, 0.04));

    assert_eq!(s.other.len(), 1);
    assert_eq!(s.other[0].group, "shm/handoff");
    assert_eq!(s.other[0].bench, "write/1600x1200");

    let bgr = seed.row("cv2.imdecode").unwrap();
    assert!(!bgr.rgba_out);
    assert!(bgr
        .note
        .as_deref()
        .unwrap()
        .contains("BGR8 ndarray, not RGBA"));
    let h = s.headline.as_deref().unwrap();
    assert!(h.contains("`lut_into` decodes it in 800 µs"), "{h}");
    assert!(
        h.contains("3.20× the memcpy floor, 8.00× the write floor"),
        "{h}"
    );
    assert!(
        h.contains("2.00× faster than cv2.imdecode + cv2.cvtColor (2.00 ms)"),
        "the fastest peer to RGBA pays its conversion: {h}"
    );
    assert!(h.contains("700× faster than python.loop"), "{h}");

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
        assert!(text.contains("glibc malloc held steady (test)"));
        assert!(
            !text.contains("target/criterion/decode"),
            "no links into target/"
        );
    }
    assert!(html.find("id=\"fx-seed\"").unwrap() < html.find("id=\"fx-pal1\"").unwrap());
    assert!(!html.contains("<script"), "no JavaScript");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "works offline"
    );
    assert!(html.contains("<svg"));
    assert!(
        html.contains("<code>lut_into</code>"),
        "code spans become <code>"
    );
    assert!(
        md.contains("| lut | Rust, shmbmp | 1.00 ms | 7.68 | 4.00× | 10.0× | 1.00× | — |"),
        "{md}"
    );
    assert!(
        md.contains("| pillow | Python peer | error: OSError: broken |"),
        "{md}"
    );
    assert_links_resolve(&out);
}

/// Every `href` of `dir/index.html` resolves: an anchor to an `id` of the page, or a file
/// relative to `dir` that exists; the page shows no raw Markdown.
fn assert_links_resolve(dir: &Path) {
    let html = fs::read_to_string(dir.join("index.html")).unwrap();
    let mut hrefs = 0;
    for part in html.split("href=\"").skip(1) {
        let href = &part[..part.find('"').unwrap()];
        hrefs += 1;
        match href.strip_prefix('#') {
            Some(id) => assert!(
                html.contains(&format!("id=\"{id}\"")),
                "{}: #{id} names no element",
                dir.display()
            ),
            None => {
                assert!(
                    !href.contains("://") && !href.starts_with('/'),
                    "{}: {href} leaves the folder",
                    dir.display()
                );
                let path = href.split('#').next().unwrap();
                assert!(
                    dir.join(path).is_file(),
                    "{}: {href} does not exist",
                    dir.display()
                );
            }
        }
    }
    assert!(hrefs > 0, "{}: no links at all?", dir.display());
    let text = html.replace("<code>", "").replace("</code>", "");
    assert!(
        !text.contains('`'),
        "{}: a backtick shows in the page",
        dir.display()
    );
    assert!(
        !text.contains("**"),
        "{}: Markdown bold shows in the page",
        dir.display()
    );
}

/// The committed report (what a fresh clone shows before any bench) has no broken link and
/// no raw Markdown either.
#[test]
fn the_committed_report_links_only_to_what_a_clone_has() {
    assert_links_resolve(&Path::new(env!("CARGO_MANIFEST_DIR")).join("reports"));
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
    assert!(!h.contains("cv2"), "{h}");
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
    assert_links_resolve(&out);
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
fn odd_benchmark_ids_are_rows_too() {
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
    assert_eq!(z.kind, RowKind::RustOther);
    assert!(close(z.vs_lut, 2.0));
    assert_links_resolve(&tmp.0.join("out/deeper"));
}

fn interleaved_seed() -> crate::timing::Interleaved {
    use crate::timing::{DecoderTime, Interleaved};
    let time = |decoder: &str, median_ns: Option<f64>, native: Option<&str>| DecoderTime {
        decoder: decoder.to_string(),
        median_ns,
        repeat_ns: median_ns.map(|m| m * 0.5),
        settled_ns: median_ns.map(|m| m * 0.4),
        native: native.map(str::to_string),
        to_rgba_ns: native.filter(|n| *n != "RGBA8").map(|_| 500_000.0),
        to_rgba_repeat_ns: native.filter(|n| *n != "RGBA8").map(|_| 250_000.0),
        to_rgba_settled_ns: native.filter(|n| *n != "RGBA8").map(|_| 200_000.0),
        error: median_ns.is_none().then(|| "refused".to_string()),
    };
    Interleaved {
        name: "seed".into(),
        width: 1600,
        height: 1200,
        rgba_bytes: RGBA,
        rounds: 25,
        floor_ns: 400_000.0,
        floor_repeat_ns: Some(200_000.0),
        floor_settled_ns: Some(160_000.0),
        fill_ns: Some(100_000.0),
        fill_repeat_ns: Some(50_000.0),
        fill_settled_ns: Some(40_000.0),
        allocator: Some("held (test)".into()),
        decoders: vec![
            time("lut", Some(1_300_000.0), None),
            time("lut_scalar", Some(2_000_000.0), None),
            time("zune", Some(3_000_000.0), Some("RGB8")),
            time("bmp", None, Some("bmp::Image")),
        ],
    }
}

#[test]
fn interleaved_ratios_join_the_fixture_rows_and_the_checks() {
    use crate::timing::bare::{BareRun, BareTime};
    let tmp = TempDir::new("interleaved");
    let crit = fake_tree(&tmp.0);
    // Criterion's benchmarks of the bare program, beside ours in the same group.
    for (call, median) in [("bare_zune", 1_500_000.0), ("bare_lut_into", 800_000.0)] {
        fake_bench(&crit, "decode/seed", Some(call), None, median, Some(RGBA));
    }
    let runs = vec![interleaved_seed()];
    let json = tmp.0.join("interleaved.json");
    fs::write(&json, serde_json::to_string(&runs).unwrap()).unwrap();
    let bare = vec![BareRun {
        name: "seed".into(),
        rounds: 10,
        times: ["lut_into", "zune", "image"]
            .iter()
            .zip([600_000.0, 1_000_000.0, 6_000_000.0])
            .map(|(c, ns)| BareTime {
                call: c.to_string(),
                median_ns: Some(ns),
                criterion_ns: None,
                error: None,
            })
            .collect(),
        steady: true,
        at_defaults: vec![BareTime {
            call: "zune".into(),
            median_ns: Some(3_000_000.0),
            criterion_ns: None,
            error: None,
        }],
    }];
    let bare_json = tmp.0.join("bare.json");
    fs::write(&bare_json, serde_json::to_string(&bare).unwrap()).unwrap();
    let out = tmp.0.join("reports");
    let o = Options {
        interleaved_json: Some(json),
        bare_json: Some(bare_json),
        ..opts()
    };
    let s = build_with(&crit, None, &out, &o).unwrap();
    assert_eq!(s.interleaved, runs);
    let seed = &s.fixtures[0];
    let ratio = |name: &str| seed.row(name).unwrap().interleaved.unwrap();
    assert!(close(Some(ratio("lut_into").turn), 3.25));
    assert!(close(ratio("lut_into").repeat, 3.25));
    assert!(close(ratio("lut_into").settled, 3.25));
    assert!(close(Some(ratio("fill").turn), 0.25));
    assert!(close(Some(ratio("zune").turn), 7.5));
    assert!(close(Some(ratio("zune_to_rgba").turn), 1.25));
    let scalar = seed.row("lut_scalar_into").unwrap();
    assert_eq!((scalar.kind, scalar.median_ns), (RowKind::Ours, None));
    assert!(close(Some(scalar.interleaved.unwrap().turn), 5.0));
    assert!(seed.row("bmp").is_none(), "a refused decoder gets no row");
    assert!(
        seed.row("bare_zune").is_none(),
        "criterion's bare benchmarks are checks, not rows"
    );
    let zune_bare = s.bare[0].times.iter().find(|t| t.call == "zune").unwrap();
    assert_eq!(zune_bare.criterion_ns, Some(1_500_000.0));

    let check = |d: &str| s.agreement.iter().find(|a| a.decoder == d).unwrap();
    let lut = check("lut_into");
    assert!(close(lut.criterion_vs_bare(), 1.0));
    assert!(close(lut.interleaved_vs_bare(), 520_000.0 / 600_000.0));
    assert_eq!(lut.bare_ok(), Some(true));
    let zune = check("zune");
    assert!(
        close(zune.criterion_vs_bare(), 2.0),
        "criterion against criterion's benchmark of the bare call"
    );
    assert!(
        close(zune.interleaved_vs_bare(), 1.2),
        "interleaved settled against the bare call's settled runs"
    );
    assert!(
        zune.failed() && zune.verdict().contains("OUTSIDE 1.3×"),
        "{}",
        zune.verdict()
    );
    assert!(
        zune.verdict()
            .contains("defaults the bare call takes 3.00 ms settled (3.00× of held steady)"),
        "{}",
        zune.verdict()
    );
    assert!(
        check("image").interleaved_ok().is_none(),
        "image was not interleaved"
    );

    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("## Do the figures agree?"), "{md}");
    assert!(md.contains("| lut_into | Rust, shmbmp | 800 µs |"), "{md}");
    assert!(md.contains("| 3.25× / 3.25× / 3.25× |"), "{md}");
    assert!(md.contains("zune on seed (2.00× bare"), "{md}");
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("id=\"agreement\""));
    assert!(
        html.contains("<td class=\"n\">3.25× / 3.25× / 3.25×</td>"),
        "{html}"
    );
    assert_links_resolve(&out);
}

#[test]
fn build_from_uses_the_json_files_that_exist() {
    let tmp = TempDir::new("inputs");
    let crit = fake_tree(&tmp.0);
    let inputs = Inputs::in_target(&tmp.0.join("target"));
    assert_eq!(inputs.criterion, crit);
    fs::write(&inputs.interleaved, "[]").unwrap();
    fs::write(&inputs.bare, "[]").unwrap();
    let facts = RunFacts {
        quick: true,
        allocator: "held (test)".into(),
    };
    fs::write(&inputs.run, serde_json::to_string(&facts).unwrap()).unwrap();
    let row = handoff_row(&format!("60 frames/s, woken, in place, {READERS_DEFAULT}"));
    fs::write(&inputs.handoff, serde_json::to_string(&[row]).unwrap()).unwrap();
    let out = tmp.0.join("reports");
    let s = build_from(&inputs, &out).unwrap();
    assert!(s.header.python.is_none(), "no peers.json: no Python peers");
    assert_eq!(s.handoff.len(), 1);
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("| reader CPU | reader switches/s | skipped |")
            && md.contains("| 2.5 % | 60 | 0 | 0 |"),
        "reader CPU, switches/s, skipped, torn"
    );
    assert!(s.interleaved.is_empty() && s.bare.is_empty());
    assert_eq!(s.header.run, Some(facts));
    fs::remove_file(&inputs.handoff).unwrap();
    fs::write(&inputs.peers, "not json").unwrap();
    assert!(
        build_from(&inputs, &out).is_err(),
        "a peers.json that exists is read"
    );
}

/// `python/bench.py --out` on two fixtures: shmbmp's calls, the peers of `peers.py` with
/// their conversions, a peer the reader has never heard of, and the seed's binding runs.
const PYTHON_BENCH: &str = r#"{"schema":1,"python":"3.11.7","versions":{"shmbmp":"0.2.0","numpy":"2.0.0","opencv":"4.10.0","pillow":"11.0.0"},
  "cpu":"Test CPU","cores":2,"date":"2026-01-02T03:04:05Z","quick":true,"allocator":"held (py test)","rounds":30,
  "results":[
   {"fixture":"pal4","peer":"shmbmp.decode_into","median_ns":900000,"width":1600,"height":1200,"rgba_bytes":7680000,"rgba_out":true,"agrees_with_pillow":true,"max_channel_delta":0,"error":null},
   {"fixture":"pal4","peer":"cv2.imdecode","median_ns":6000000,"rgba_out":false,"output_format":"BGR8 ndarray","agrees_with_pillow":true,"error":null},
   {"fixture":"pal4","peer":"cv2.cvtColor","converts":"cv2.imdecode","median_ns":1000000,"rgba_out":true,"agrees_with_pillow":true,"error":null},
   {"fixture":"seed","peer":"shmbmp.decode","median_ns":1100000,"width":1600,"height":1200,"rgba_bytes":7680000,"rgba_out":true,"agrees_with_pillow":true,"error":null},
   {"fixture":"seed","peer":"shmbmp.decode_into","median_ns":400000,"rgba_out":true,"agrees_with_pillow":true,"error":null},
   {"fixture":"seed","peer":"shmbmp.decode_into BGR","median_ns":500000,"rgba_out":false,"output_format":"BGR8 ndarray","agrees_with_pillow":false,"max_channel_delta":255,"error":null},
   {"fixture":"seed","peer":"cv2.imdecode","median_ns":1500000,"rgba_out":false,"output_format":"BGR8 ndarray","agrees_with_pillow":true,"error":null},
   {"fixture":"seed","peer":"cv2.cvtColor","converts":"cv2.imdecode","median_ns":500000,"rgba_out":true,"agrees_with_pillow":true,"error":null},
   {"fixture":"seed","peer":"pillow","median_ns":2000000,"rgba_out":false,"output_format":"PIL image, mode P","agrees_with_pillow":true,"error":null},
   {"fixture":"seed","peer":"pillow.convert","converts":"pillow","median_ns":700000,"rgba_out":true,"agrees_with_pillow":true,"error":null},
   {"fixture":"seed","peer":"numpy.lut","median_ns":3000000,"rgba_out":true,"agrees_with_pillow":true,"error":null},
   {"fixture":"seed","peer":"newpeer.decode","error":"RuntimeError: nope"}],
  "seed_binding":{"rust_floor_ns":250000,"rust_decode_into_ns":300000,"rust_decode_into_repeat_ns":200000,"rust_fill_ns":1,
    "python_floor_ns":260000,"python_decode_into_ns":330000,"python_decode_into_repeat_ns":210000},
  "seed_binding_runs":[]}"#;

#[test]
fn from_python_table_targets_and_renderings() {
    let tmp = TempDir::new("frompython");
    let crit = fake_tree(&tmp.0);
    let json = tmp.0.join("python-bench.json");
    fs::write(&json, PYTHON_BENCH).unwrap();
    let out = tmp.0.join("reports");
    let o = Options {
        python_bench_json: Some(json),
        ..opts()
    };
    let s = build_with(&crit, None, &out, &o).unwrap();
    let fp = s.from_python.as_ref().unwrap();
    assert_eq!(fp.env.python, "3.11.7");
    assert!(fp.env.quick);
    assert_eq!(
        fp.columns,
        [
            "shmbmp.decode_into",
            "cv2.imdecode",
            "shmbmp.decode",
            "shmbmp.decode_into BGR",
            "pillow",
            "numpy.lut",
            "newpeer.decode"
        ],
        "first seen first; conversions share their call's column; unknown peers too"
    );
    let names: Vec<&str> = fp.fixtures.iter().map(|t| t.fixture.as_str()).collect();
    assert_eq!(names, ["seed", "pal4"]);
    assert_eq!(fp.header()[2], "`cv2.imdecode` (+ `cv2.cvtColor`)");
    assert_eq!(fp.header()[5], "`pillow` (+ `pillow.convert`)");
    let seed = fp.cells(&fp.fixtures[0]);
    assert_eq!(
        seed,
        [
            "seed (1600×1200)",
            "400 µs",
            "1.50 ms + 500 µs = 2.00 ms",
            "1.10 ms",
            "500 µs (Δ255)",
            "2.00 ms + 700 µs = 2.70 ms",
            "3.00 ms",
            "error",
            "0.20×"
        ]
    );
    let pal4 = fp.cells(&fp.fixtures[1]);
    assert_eq!(pal4[3], "—", "a call the file did not time");
    assert_eq!(pal4.last().unwrap(), "0.13×");

    assert_eq!(fp.targets.len(), 2);
    let binding = &fp.targets[0];
    assert!(close(Some(binding.ratio), 1.1));
    assert!(binding.met() && binding.verdict().starts_with("met (target ≤ 1.30×)"));
    assert_eq!(
        binding.detail,
        "in turn 330 µs ÷ 300 µs = 1.10×; repeated 210 µs ÷ 200 µs = 1.05×"
    );
    let cv2 = &fp.targets[1];
    assert!(close(Some(cv2.ratio), 0.2));
    assert!(cv2.met(), "0.2× is within ≤ 0.2×");
    assert!(
        cv2.what.contains("`cv2.imdecode + cv2.cvtColor`"),
        "{}",
        cv2.what
    );

    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    let row = "| seed (1600×1200) | 400 µs | 1.50 ms + 500 µs = 2.00 ms | 1.10 ms | 500 µs (Δ255) | 2.00 ms + 700 µs = 2.70 ms | 3.00 ms | error | 0.20× |";
    assert!(md.contains("## From Python"), "{md}");
    assert!(md.contains(row), "{md}");
    assert!(
        md.contains("| in turn 330 µs ÷ 300 µs = 1.10×; repeated 210 µs ÷ 200 µs = 1.05× | 1.10× | met (target ≤ 1.30×) |"),
        "{md}"
    );
    assert!(md.contains("Python 3.11.7, numpy 2.0.0"), "{md}");
    assert!(md.contains("shmbmp 0.2.0"), "{md}");
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<h2 id=\"from-python\">From Python</h2>"));
    assert!(
        html.contains("<td class=\"n\">1.50 ms + 500 µs = 2.00 ms</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td class=\"ok\">met (target ≤ 0.20×)</td>"),
        "{html}"
    );
    assert_links_resolve(&out);

    let readme = readme::section(&s, readme::CpuClass::Avx2Only).unwrap();
    assert!(readme.contains("**From Python**"), "{readme}");
    assert!(readme.contains(row), "{readme}");
    assert!(
        !readme.contains("| pal4"),
        "the README shows the seed frame only"
    );
    assert!(
        readme.contains("| 1.10× | met (target ≤ 1.30×) |"),
        "{readme}"
    );
}

#[test]
fn a_missed_target_says_so() {
    let slow = PYTHON_BENCH
        .replace(
            "\"python_decode_into_ns\":330000",
            "\"python_decode_into_ns\":400000",
        )
        .replace(
            "\"python_decode_into_repeat_ns\":210000",
            "\"python_decode_into_repeat_ns\":400000",
        )
        .replace(
            "\"peer\":\"shmbmp.decode_into\",\"median_ns\":400000",
            "\"peer\":\"shmbmp.decode_into\",\"median_ns\":800000",
        );
    let tmp = TempDir::new("missed");
    let crit = fake_tree(&tmp.0);
    let json = tmp.0.join("python-bench.json");
    fs::write(&json, slow).unwrap();
    let out = tmp.0.join("reports");
    let o = Options {
        python_bench_json: Some(json),
        ..opts()
    };
    let s = build_with(&crit, None, &out, &o).unwrap();
    let t = &s.from_python.as_ref().unwrap().targets;
    assert!(
        close(Some(t[0].ratio), 2.0) && !t[0].met(),
        "the larger of in turn (1.33×) and repeated (2×)"
    );
    assert!(close(Some(t[1].ratio), 0.4) && !t[1].met());
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("| 2.00× | NOT met (target ≤ 1.30×) |"), "{md}");
    assert!(md.contains("| 0.40× | NOT met (target ≤ 0.20×) |"), "{md}");
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<td class=\"bad\">NOT met (target ≤ 1.30×)</td>"));
}

#[test]
fn from_python_missing_empty_or_malformed() {
    let tmp = TempDir::new("pymissing");
    fake_tree(&tmp.0);
    let inputs = Inputs::in_target(&tmp.0.join("target"));
    let out = tmp.0.join("reports");
    let s = build_from(&inputs, &out).unwrap();
    assert!(s.from_python.is_none(), "no file: not measured");
    for f in ["index.html", "summary.md"] {
        let text = fs::read_to_string(out.join(f)).unwrap();
        assert!(text.contains("From Python"), "{f}");
        assert!(text.contains("Not measured in this run: "), "{f}");
        assert!(text.contains("bash .ci/python.sh"), "{f}");
    }
    let readme = readme::section(&s, readme::CpuClass::Avx2Only).unwrap();
    assert!(readme.contains("**From Python**") && readme.contains("Not measured in this run"));

    fs::write(&inputs.python_bench, "").unwrap();
    let err = build_from(&inputs, &out).unwrap_err();
    assert!(matches!(err, ReportError::Invalid { .. }), "{err:?}");
    assert_eq!(err.path(), inputs.python_bench);
    assert!(err.to_string().contains("the file is empty"), "{err}");

    fs::write(&inputs.python_bench, "{\"python\": \"3.11\"}").unwrap();
    let err = build_from(&inputs, &out).unwrap_err();
    assert!(matches!(err, ReportError::Json { .. }), "{err:?}");
    assert_eq!(err.path(), inputs.python_bench);

    let negative = PYTHON_BENCH.replace("\"median_ns\":400000", "\"median_ns\":-1");
    fs::write(&inputs.python_bench, negative).unwrap();
    let err = build_from(&inputs, &out).unwrap_err();
    assert!(
        err.to_string()
            .contains("seed/shmbmp.decode_into: median_ns is -1"),
        "{err}"
    );

    let no_results = r#"{"python":"3.11.7","results":[]}"#;
    fs::write(&inputs.python_bench, no_results).unwrap();
    let s = build_from(&inputs, &out).unwrap();
    let fp = s.from_python.as_ref().unwrap();
    assert!(fp.fixtures.is_empty() && fp.targets.is_empty());
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("No seed-frame targets"), "{md}");
}

/// A run of `benches/shm.rs` alone on a fresh target folder has no seed-frame table: the
/// bench writes neither reports/ nor the README from it ([`Summary::seed_table`]); a run of
/// `benches/decode.rs` alone keeps the previous handoff table and says it is older.
#[test]
fn partial_runs_are_recognised() {
    let tmp = TempDir::new("partial");
    let crit = tmp.0.join("target/criterion");
    fake_bench(&crit, "shm/handoff", Some("write"), None, 3_000.0, None);
    let inputs = Inputs::in_target(&tmp.0.join("target"));
    let s = summarize_from(&inputs).unwrap();
    assert!(s.seed_table().is_none());
    assert!(readme::section(&s, readme::CpuClass::Avx2Only).is_none());
    assert!(s.written.is_empty(), "summarize_from writes nothing");
    assert!(!tmp.0.join("reports").exists());

    let crit = fake_tree(&tmp.0);
    assert_eq!(crit, inputs.criterion);
    let s = summarize_from(&inputs).unwrap();
    assert_eq!(s.seed_table().unwrap().fixture, "seed");

    let row = handoff_row(&format!("60 frames/s, woken, in place, {READERS_DEFAULT}"));
    fs::write(&inputs.handoff, serde_json::to_string(&[row]).unwrap()).unwrap();
    let facts = RunFacts {
        quick: true,
        allocator: "held (test)".into(),
    };
    fs::write(&inputs.run, serde_json::to_string(&facts).unwrap()).unwrap();
    let set = |p: &Path, secs: u64| {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    set(&inputs.handoff, 1_767_225_600); // 2026-01-01
    set(&inputs.run, 1_767_312_000); // 2026-01-02
    let out = tmp.0.join("reports");
    let s = build_from(&inputs, &out).unwrap();
    assert_eq!(s.handoff.len(), 1, "the earlier handoff is kept");
    let note = s.handoff_note.as_deref().unwrap();
    assert!(
        note.contains("earlier run") && note.contains("2026-01-01"),
        "{note}"
    );
    for f in ["index.html", "summary.md"] {
        let text = fs::read_to_string(out.join(f)).unwrap();
        assert!(text.contains("(written 2026-01-01), not this one"), "{f}");
    }
    let readme = readme::section(&s, readme::CpuClass::Avx2Only).unwrap();
    assert!(readme.contains("not this one"), "{readme}");
    assert_links_resolve(&out);

    set(&inputs.handoff, 1_767_398_400); // 2026-01-03: written after the run began
    let s = summarize_from(&inputs).unwrap();
    assert!(s.handoff_note.is_none(), "this run's handoff");
}

/// The README's cross-process headline quotes one reader woken and decoding at 60 frames/s
/// the readers' default way, not a row without decoding, the old polling reader, a fixed
/// thread count or one of four readers.
#[test]
fn headline_handoff_row_is_one_reader_decoding_at_60() {
    let default = format!("woken, in place, {READERS_DEFAULT}");
    for (mode, want) in [
        ("60 frames/s, polled, copied, no decode".to_string(), false),
        ("60 frames/s, woken, in place, no decode".into(), false),
        ("60 frames/s, polled, copied".into(), false),
        (
            "60 frames/s, woken, in place, lut on 1 thread".into(),
            false,
        ),
        (
            "60 frames/s, woken, in place, lut on 2 threads".into(),
            false,
        ),
        (format!("60 frames/s, {default}"), true),
        (format!("60 frames/s, {default}, reader 1 of 4"), false),
        (format!("as fast as possible, {default}"), false),
    ] {
        assert_eq!(
            handoff_row(&mode).is_one_reader_decoding_at_60(),
            want,
            "{mode}"
        );
    }
}

/// One reader's handoff row at 60 frames/s: p50 2 ms, p99 3 ms, nothing torn.
fn handoff_row(mode: &str) -> HandoffRow {
    HandoffRow {
        mode: mode.into(),
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
        decode_p50_us: Some(1500.0),
        reader_cpu_pct: Some(2.5),
        switches_per_s: Some(60.0),
    }
}

/// `benches/cold.rs`'s `target/threads.json`, by hand: the seed frame where two threads pay,
/// a fixture where `lut_mt` is slower than `lut` beyond noise, and one where it is 8% slower
/// but `lut`'s own halves land 10% apart (within noise).
const THREADS: &str = r#"{"quick":false,"threads":2,"fixtures":[
  {"fixture":"seed","width":1600,"height":1200,
   "lut":{"calls":400,"p50_ns":700000,"p99_ns":900000,"max_ns":1500000},
   "lut_mt":{"calls":400,"p50_ns":400000,"p99_ns":1100000,"max_ns":3000000},
   "lut_halves_p50_ns":[699000,702000],"others_busy":0.03},
  {"fixture":"rgb24_1600","width":1600,"height":1200,
   "lut":{"calls":400,"p50_ns":2000000,"p99_ns":2400000,"max_ns":2600000},
   "lut_mt":{"calls":400,"p50_ns":2400000,"p99_ns":3600000,"max_ns":5000000},
   "lut_halves_p50_ns":[1990000,2010000],"others_busy":0.4},
  {"fixture":"rle8_1600","width":1600,"height":1200,
   "lut":{"calls":400,"p50_ns":1000000,"p99_ns":1200000,"max_ns":1300000},
   "lut_mt":{"calls":400,"p50_ns":1080000,"p99_ns":1250000,"max_ns":1400000},
   "lut_halves_p50_ns":[1000000,1100000]}]}"#;

#[test]
fn threads_table_tails_and_targets() {
    let tmp = TempDir::new("threads");
    let crit = fake_tree(&tmp.0);
    let json = tmp.0.join("threads.json");
    fs::write(&json, THREADS).unwrap();
    let out = tmp.0.join("reports");
    let o = Options {
        threads_json: Some(json),
        ..opts()
    };
    let s = build_with(&crit, None, &out, &o).unwrap();
    let t = s.threads.as_ref().unwrap();
    assert_eq!(t.run.fixtures.len(), 3);
    assert!(t.written.is_some(), "the file's date");
    let seed = t.run.fixture("seed").unwrap();
    assert!((seed.p50_ratio() - 4.0 / 7.0).abs() < 1e-12);
    assert!((seed.p99_ratio() - 11.0 / 9.0).abs() < 1e-12);
    assert_eq!(seed.noise_limit(), threads::NOISE_FLOOR);
    let rle = t.run.fixture("rle8_1600").unwrap();
    assert!(rle.not_slower(), "1.08× is within lut's own 1.10× gap");
    assert!((rle.noise_limit() - 1.1).abs() < 1e-12);
    assert!(!t.run.fixture("rgb24_1600").unwrap().not_slower());

    let targets = threads::targets(&t.run);
    let got: Vec<(String, bool)> = targets.iter().map(|t| (t.figure(), t.met())).collect();
    assert_eq!(got, [("0.57×".into(), true), ("1.20×".into(), false)]);
    assert!(targets[0].what.contains("seed frame"));
    assert_eq!(
        targets[0].detail,
        "400 µs ÷ 700 µs; others' CPU meanwhile 3 %"
    );
    assert!(targets[1].detail.contains("rgb24_1600") && targets[1].detail.contains("2 of 3"));
    assert_eq!(targets[1].verdict(), "NOT met (target ≤ 1.05×)");

    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("## Threads: `lut_mt` against `lut`"), "{md}");
    assert!(
        md.contains("| seed | 700 µs | 900 µs | 1.50 ms | 400 µs | 1.10 ms | 3.00 ms | 0.57× | 1.22× | 1.05× (1.00×) | yes | 3 % |"),
        "{md}"
    );
    assert!(
        md.contains("| rgb24_1600 | 2.00 ms | 2.40 ms | 2.60 ms | 2.40 ms | 3.60 ms | 5.00 ms | 1.20× | 1.50× | 1.05× (1.01×) | NO | 40 % |"),
        "{md}"
    );
    assert!(md.contains("| 1.10× (1.10×) | yes | — |"), "{md}");
    assert!(md.contains("met (target ≤ 0.60×)"), "{md}");
    assert!(md.contains("other processes used 3–40 %"), "{md}");
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<h2 id=\"threads\">"), "{html}");
    assert!(html.contains("<td class=\"n\">0.57×</td>"), "{html}");
    assert!(
        html.contains("<tr class=\"err\"><td>rgb24_1600</td>"),
        "{html}"
    );
    assert!(!html.contains('`'), "no raw Markdown in the page");
    assert_links_resolve(&out);
    let readme = readme::section(&s, readme::CpuClass::Avx2Only).unwrap();
    assert!(
        readme.contains("`lut_mt` 400 µs p50, 1.10 ms p99 (0.57× and 1.22× of `lut`)"),
        "{readme}"
    );
    assert!(readme.contains("NOT met (target ≤ 1.05×)"), "{readme}");
}

#[test]
fn threads_missing_or_malformed() {
    let tmp = TempDir::new("nothreads");
    let crit = fake_tree(&tmp.0);
    let out = tmp.0.join("reports");
    let s = build_with(&crit, None, &out, &opts()).unwrap();
    assert!(s.threads.is_none());
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("## Threads: `lut_mt` against `lut`\n\nNot measured in this run: `cargo bench --bench cold`"),
        "{md}"
    );
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<h2 id=\"threads\">"), "{html}");
    assert!(html.contains("Not measured in this run: <code>cargo bench --bench cold</code>"));
    let readme = readme::section(&s, readme::CpuClass::Avx2Only).unwrap();
    assert!(readme.contains("**Threads**: Not measured"), "{readme}");

    let json = tmp.0.join("threads.json");
    let o = Options {
        threads_json: Some(json.clone()),
        ..opts()
    };
    let zero = THREADS.replace("\"p99_ns\":900000", "\"p99_ns\":0");
    for (text, says) in [
        (r#"{"quick":true,"threads":2,"fixtures":[]}"#, "no fixtures"),
        (zero.as_str(), "seed: a time is not positive"),
        ("{", "EOF"),
    ] {
        fs::write(&json, text).unwrap();
        let e = build_with(&crit, None, &out, &o).unwrap_err().to_string();
        assert!(e.contains("threads.json") && e.contains(says), "{e}");
    }
}
