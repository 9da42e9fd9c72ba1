//! The `shmbmp` binary as a new user meets it: a closed pipe or a full disk on stdout ends it
//! quietly, and each error says what was wrong, where and what to do.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use shmbmp_suite::{encode, every, Kernels};

fn bin() -> Command {
    let mut c = common::shmbmp_command();
    c.env_remove("SHMBMP_SIMD");
    c
}

/// A fresh folder for one test.
fn scratch(tag: &str) -> PathBuf {
    let d =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `bytes` as `dir/name` and returns its path as a string.
fn file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_owned()
}

fn pal8() -> Vec<u8> {
    encode::encode(&encode::fixture("pal8").unwrap().spec)
}

/// The seed frame cut to its first 1,000 bytes: the headers and part of the palette.
fn truncated_seed() -> Vec<u8> {
    encode::seed_frame()[..1000].to_vec()
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

fn run(args: &[&str]) -> Run {
    bin().args(args).output().expect("run shmbmp").into()
}

fn assert_has(text: &str, words: &[&str]) {
    for w in words {
        assert!(text.contains(w), "{w:?} missing from:\n{text}");
    }
}

/// A criterion output folder with one benchmark, enough for `shmbmp report`.
fn tiny_criterion(dir: &Path) -> PathBuf {
    let crit = dir.join("criterion");
    let bench = crit.join("decode_seed/lut");
    std::fs::create_dir_all(bench.join("new")).unwrap();
    std::fs::write(
        bench.join("new/benchmark.json"),
        r#"{"group_id":"decode/seed","function_id":"lut","value_str":null,"throughput":{"Bytes":7680000},"full_id":"decode/seed/lut","directory_name":"decode_seed/lut","title":"decode/seed/lut"}"#,
    )
    .unwrap();
    let est = |v: f64| {
        format!(
            r#"{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{v},"upper_bound":{v}}},"point_estimate":{v},"standard_error":1.0}}"#
        )
    };
    std::fs::write(
        bench.join("new/estimates.json"),
        format!(
            r#"{{"mean":{},"median":{},"median_abs_dev":null,"slope":null,"std_dev":null}}"#,
            est(1e6),
            est(1e6)
        ),
    )
    .unwrap();
    crit
}

/// Every subcommand, each with arguments under which it prints to stdout, in an order in
/// which the shared-memory ones find the region the one before made.
fn every_subcommand(dir: &Path) -> Vec<Vec<String>> {
    let bmp = file(dir, "pal8.bmp", &pal8());
    let cut = file(dir, "cut.bmp", &truncated_seed());
    let crit = tiny_criterion(dir);
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let [region, raw, fixtures, out] =
        ["region", "raw", "fixtures", "out"].map(|n| s(&dir.join(n)));
    let crit = s(&crit);
    let cmds: Vec<Vec<&str>> = vec![
        vec!["--help"],
        vec!["--version"],
        vec!["info", &bmp],
        vec!["info", &cut],
        vec!["decode", &bmp],
        vec!["check", &bmp, &cut],
        vec!["bench", "--iters", "1", &bmp],
        vec!["fixtures", "--out", &fixtures],
        vec!["report", "--criterion", &crit, "--out", &out],
        vec!["write", "--path", &region, &bmp],
        vec!["read", "--path", &region, "--timeout-ms", "2000"],
        vec!["stat", "--path", &region],
        vec!["rm", "--path", &region],
        vec!["write", "--raw", "--path", &raw, &bmp],
        vec!["read", "--raw", "--path", &raw],
        vec!["rm", "--path", &raw],
    ];
    cmds.into_iter()
        .map(|c| c.into_iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn every_subcommand_exits_quietly_into_a_pipe_its_reader_closed() {
    let dir = scratch("pipe");
    for args in every_subcommand(&dir) {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader); // The reader is gone before the first line: every write fails.
        let r: Run = bin()
            .args(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap()
            .into();
        assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
        let notes = r.stderr.lines().all(|l| l.starts_with("note: "));
        assert!(notes, "{args:?}: {}", r.stderr);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_on_stdout_is_one_line_and_status_1() {
    let dir = scratch("full");
    let bmp = file(&dir, "pal8.bmp", &pal8());
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    for args in [vec!["info", &bmp], vec!["check", &bmp]] {
        let r: Run = bin()
            .args(&args)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap()
            .into();
        assert_eq!(r.code, Some(1), "{args:?}");
        assert_has(&r.stderr, &["cannot write to stdout", "No space left"]);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    }
}

#[test]
fn a_truncated_file_says_how_long_it_is_and_where_the_pixels_start() {
    let dir = scratch("truncated");
    let cut = file(&dir, "cut.bmp", &truncated_seed());
    let r = run(&["decode", &cut]);
    assert_eq!(r.code, Some(1));
    assert_has(
        &r.stderr,
        &[
            "cut.bmp",
            "truncated",
            "has 1000 bytes",
            "pixel data needs bytes 1078..",
            "cut short",
        ],
    );
    // `info` shows the headers it could read before the error.
    let r = run(&["info", &cut]);
    assert_eq!(r.code, Some(1));
    assert_has(
        &r.stdout,
        &[
            "1000 bytes",
            "BITMAPINFOHEADER",
            "1600 x 1200",
            "8 bits per pixel",
            "offset 1078",
        ],
    );
    assert_has(&r.stderr, &["truncated", "has 1000 bytes"]);
}

#[test]
fn not_a_bmp_shows_the_bytes_in_hex_and_as_text() {
    let dir = scratch("magic");
    let f = file(&dir, "region.bin", b"SHMBMP01 and more bytes than a header");
    let r = run(&["info", &f]);
    assert_eq!(r.code, Some(1));
    assert_has(
        &r.stderr,
        &[
            "region.bin",
            "not a BMP",
            "53 48 (\"SH\")",
            "42 4d (\"BM\")",
        ],
    );
    assert!(!r.stderr.contains("[53, 48]"), "{}", r.stderr);
}

#[test]
fn decoder_names_come_from_the_registry_with_the_reason_a_level_cannot_run() {
    // Words only: clap pads each possible value to the longest name.
    let help = run(&["decode", "--help"])
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for d in every() {
        assert_has(&help, &[d.name()]);
    }
    for k in Kernels::ALL {
        assert_has(&help, &[k.lut_name()]);
        if !k.supported() {
            assert_has(
                &help,
                &[&format!(
                    "{}: not on this CPU: needs {}",
                    k.lut_name(),
                    k.needs()
                )],
            );
            let r = run(&["decode", "--decoder", k.lut_name(), "x.bmp"]);
            assert_eq!(r.code, Some(2));
            assert_has(
                &r.stderr,
                &["not available on this CPU", k.needs(), "lut_scalar"],
            );
        }
    }
    for cmd in [
        &["decode", "x.bmp"][..],
        &["bench", "x.bmp"],
        &["read", "--name", "x"],
    ] {
        let r = bin()
            .args(cmd)
            .args(["--decoder", "nope"])
            .output()
            .unwrap();
        let r = Run::from(r);
        assert_ne!(r.code, Some(0), "{cmd:?}");
        assert_has(
            &r.stderr,
            &["unknown decoder \"nope\"", "lut_scalar", "zune"],
        );
    }
}

#[test]
fn a_bogus_simd_setting_is_refused_and_the_known_ones_run() {
    let dir = scratch("simd");
    let bmp = file(&dir, "pal8.bmp", &pal8());
    let r: Run = bin()
        .env("SHMBMP_SIMD", "bogus")
        .args(["decode", &bmp])
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, Some(2));
    assert_has(
        &r.stderr,
        &["SHMBMP_SIMD=\"bogus\"", "\"off\"", "\"avx2\"", "unset"],
    );
    for ok in ["off", "avx2", ""] {
        let r: Run = bin()
            .env("SHMBMP_SIMD", ok)
            .args(["decode", &bmp])
            .output()
            .unwrap()
            .into();
        assert_eq!(r.code, Some(0), "SHMBMP_SIMD={ok:?}: {}", r.stderr);
    }
}

#[test]
fn decode_labels_its_one_time_as_cold_and_points_at_bench() {
    let dir = scratch("decode");
    let bmp = file(&dir, "pal8.bmp", &pal8());
    let r = run(&["decode", &bmp]);
    assert_eq!(r.code, Some(0));
    assert_has(
        &r.stdout,
        &["decoded by lut", "first run, cold:", "shmbmp bench"],
    );
}

#[test]
fn report_without_benchmark_results_says_to_run_cargo_bench() {
    let dir = scratch("report");
    let missing = dir.join("no-such-criterion");
    let r = run(&[
        "report",
        "--criterion",
        missing.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(1));
    assert_has(
        &r.stderr,
        &["no benchmark results under", "run `cargo bench` first"],
    );
    assert!(!dir.join("out").exists());
}

#[test]
fn check_puts_a_peer_panic_in_its_files_row_and_ends_with_a_summary() {
    let dir = scratch("check");
    let bmp = file(&dir, "pal8.bmp", &pal8());
    let cut = file(&dir, "cut.bmp", &truncated_seed());
    let r = run(&["check", &bmp, &cut]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stderr, "", "panics belong in the rows, not on stderr");
    let lines: Vec<&str> = r.stdout.lines().collect();
    let heading = lines.iter().position(|l| l.ends_with("cut.bmp")).unwrap();
    let panicked: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("panicked: "))
        .collect();
    // BMP Suite and this file make the `bmp` crate panic (a peer's bug, caught).
    assert!(
        !panicked.is_empty(),
        "no peer panicked on the truncated seed:\n{}",
        r.stdout
    );
    for i in &panicked {
        assert!(
            *i > heading,
            "a panic row above its file's heading:\n{}",
            r.stdout
        );
        assert!(lines[*i].contains(" (at "), "{}", lines[*i]);
    }
    let last = lines.last().unwrap();
    assert_has(
        last,
        &[
            "checked 2 files",
            "ours agree on 2",
            "1 refused by all of ours",
            "disagree on 0",
            &format!("{} panicked", panicked.len()),
        ],
    );
}

#[test]
fn counts_of_one_are_singular() {
    let dir = scratch("grammar");
    let bmp = file(&dir, "pal8.bmp", &pal8());
    assert_has(&run(&["check", &bmp]).stdout, &["checked 1 file:"]);
    assert_has(
        &run(&["bench", "--iters", "1", "--decoder", "lut", &bmp]).stdout,
        &["medians of 1 interleaved round ("],
    );
}

/// `decode --layout` writes each layout of ours: RGB as a PNG, BGR and BGRA as raw bytes
/// equal to the RGBA answer reordered; a peer with a layout other than RGBA is refused.
#[test]
fn decode_writes_every_pixel_layout() {
    use shmbmp_suite::format::PixelLayout;
    let dir = scratch("layout");
    let spec = encode::fixture("rgb24_w317").unwrap().spec;
    let bmp = file(&dir, "in.bmp", &encode::encode(&spec));
    let rgba = encode::expected_rgba(&spec);
    for layout in [PixelLayout::Bgr, PixelLayout::Bgra] {
        let out = dir.join(format!("out.{layout}"));
        let r = run(&[
            "decode",
            &bmp,
            "--layout",
            layout.name(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_has(&r.stdout, &[&format!("raw {layout}"), "rows top-down"]);
        assert!(
            std::fs::read(&out).unwrap() == layout.convert(&rgba),
            "{layout}"
        );
    }
    let png = dir.join("out.png");
    let r = run(&[
        "decode",
        &bmp,
        "--layout",
        "rgb",
        "-o",
        png.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let img = image::open(&png).unwrap();
    assert_eq!(img.color(), image::ColorType::Rgb8);
    assert!(img.into_rgb8().into_raw() == PixelLayout::Rgb.convert(&rgba));
    let r = run(&["decode", &bmp, "--layout", "BGR", "--decoder", "zune"]);
    assert_eq!(r.code, Some(1));
    assert_has(&r.stderr, &["zune is a peer", "RGBA only", "lut"]);
}

/// `bench --layout` times ours in each layout beside our RGBA, each against the write floor
/// of its own size, and the peers by their call nearest the layout, a conversion of ours
/// on its own line where the call's output is not the layout.
#[test]
fn bench_times_every_layout_beside_rgba_and_labels_conversions() {
    let dir = scratch("bench-layout");
    let bmp = file(&dir, "pal8.bmp", &pal8());
    let r = run(&["bench", "--iters", "1", "--layout", "bgr,RGB", &bmp]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let line = |what: &str, layout: &str| -> String {
        r.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(what) && l.contains(&format!(" {layout} ")))
            .unwrap_or_else(|| panic!("no {what} {layout} line in:\n{}", r.stdout))
            .to_string()
    };
    assert!(line("write floor (4 bytes a pixel)", "4 B").contains("1.00"));
    assert!(line("write floor (3 bytes a pixel)", "3 B").contains("1.00"));
    for layout in ["RGBA", "BGR", "RGB"] {
        line("lut (decode_into)", layout);
        line("naive (decode_into)", layout);
    }
    // stb and image have an RGB call; zune's RGB8 is RGB already; BGR is ours to convert.
    line("stb (its call, RGB8)", "RGB");
    line("stb (its call, RGBA8)", "RGBA");
    line("stb (its call, RGB8)", "(BGR)");
    line("RGB8 → BGR (ours)", "BGR");
    line("call + conversion (sum of medians)", "BGR");
    line("bmp (its call, bmp::Image)", "(RGB)");
    assert!(!r.stdout.contains("BGRA"), "only the layouts asked for");
    // One of ours alone still gets lut as the reference; --bare is for RGBA only.
    let r = run(&[
        "bench",
        "--iters",
        "1",
        "--layout",
        "BGRA",
        "--decoder",
        "naive",
        &bmp,
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_has(
        &r.stdout,
        &["naive (decode_into)", "lut (decode_into)", "BGRA"],
    );
    assert!(!r.stdout.contains("its call"), "{}", r.stdout);
    let r = run(&["bench", "--layout", "BGR", "--bare", &bmp]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    let r = run(&["bench", "--layout", "ARGB", &bmp]);
    assert_eq!(r.code, Some(2));
    assert_has(&r.stderr, &["unknown pixel layout \"ARGB\"", "BGR"]);
}

/// `--threads N` splits lut's rows (the same pixels, named with its count), is refused for
/// decoders without a thread count and for 0, in `read` is chosen per frame when unset, and
/// in `bench` times lut on N threads beside lut on one.
#[test]
fn threads_split_lut_and_are_refused_where_they_cannot_apply() {
    let dir = scratch("threads");
    let seed = file(&dir, "seed.bmp", &encode::seed_frame());
    let hash = |out: &str| -> String {
        let at = out
            .find("xxh3 ")
            .unwrap_or_else(|| panic!("no hash in:\n{out}"));
        out[at..at + 21].to_string()
    };
    let one = run(&["decode", &seed]);
    assert_eq!(one.code, Some(0), "{}", one.stderr);
    for (decoder, n) in [("lut", "2"), ("lut", "5000"), ("lut_scalar", "3")] {
        let r = run(&["decode", &seed, "--decoder", decoder, "--threads", n]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_has(
            &r.stdout,
            &[
                &format!("decoded by {decoder} on {n} threads"),
                &format!("--decoder {decoder} --threads {n}"),
                &hash(&one.stdout),
            ],
        );
    }
    for (decoder, why) in [
        ("naive", "naive decodes on one thread"),
        ("lut_mt", "lut_mt splits rows over every core already"),
        ("zune", "zune is a peer"),
    ] {
        let r = run(&["decode", &seed, "--decoder", decoder, "--threads", "2"]);
        assert_eq!(r.code, Some(1), "{decoder}: {}", r.stderr);
        assert_has(&r.stderr, &["--threads 2: ", why]);
    }
    for bad in ["0", "-1", "two"] {
        let r = run(&["decode", &seed, &format!("--threads={bad}")]);
        assert_eq!(r.code, Some(2), "--threads {bad}: {}", r.stderr);
        assert_has(&r.stderr, &["--threads <N>", bad]);
    }

    let region = dir.join("region");
    let region = region.to_str().unwrap();
    let r = run(&["write", "--path", region, &seed]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for (threads, named) in [
        (&["--threads", "2"][..], "with lut on 2 threads:"),
        (&["--threads", "1"], "with lut:"),
        // Unset: as many as the frame calls for.
        (
            &[],
            "with lut (on up to 2 threads for frames it waited for):",
        ),
    ] {
        let r = run(&[&["read", "--path", region][..], threads].concat());
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_has(&r.stdout, &[named, &hash(&one.stdout)]);
    }
    let r = run(&[
        "read",
        "--path",
        region,
        "--decoder",
        "naive",
        "--threads",
        "2",
    ]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_has(&r.stderr, &["naive decodes on one thread"]);

    let bmp = file(&dir, "pal8.bmp", &pal8());
    let r = run(&[
        "bench",
        "--iters",
        "1",
        "--decoder",
        "lut",
        "--threads",
        "2",
        &bmp,
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_has(
        &r.stdout,
        &["lut (decode_into)", "lut on 2 threads (decode_into)"],
    );
    let r = run(&[
        "bench",
        "--iters",
        "1",
        "--decoder",
        "naive",
        "--threads",
        "2",
        &bmp,
    ]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_has(&r.stderr, &["only lut and its kernel levels", "naive"]);
    let r = run(&["bench", "--threads", "2", "--bare", &bmp]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
}

#[test]
fn bench_bare_times_the_bare_program_in_the_same_rounds() {
    if let Some(runner) = common::cross_runner() {
        // `shmbmp bench --bare` starts `shmbmp-bare` itself; under qemu-user without
        // binfmt_misc that child cannot start. The native run of this test covers it.
        return common::skipped(&format!(
            "bench --bare under {runner}: an emulated shmbmp cannot start shmbmp-bare (the native run of this test checks it)"
        ));
    }
    let d = scratch("bare");
    let bmp = file(&d, "pal8.bmp", &pal8());
    let r = run(&["bench", "--iters", "2", "--decoder", "zune", "--bare", &bmp]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains("zune (its call, RGB8)"))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    // in turn, repeated, settled, GB/s, 3 ratios, then bare, settled ÷ bare, bare defaults.
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert!(
        cells.len() >= 17 && !cells[cells.len() - 1].contains('-'),
        "no bare figures: {line}"
    );
    assert_has(&r.stdout, &["its runs taken in the same 2 rounds as ours"]);
}

#[test]
fn the_bare_program_answers_requests_and_says_what_it_cannot_do() {
    use std::io::Write;
    let d = scratch("bare-program");
    let bmp = file(&d, "pal8.bmp", &pal8());
    let mut child = common::target_command(env!("CARGO_BIN_EXE_shmbmp-bare"))
        .args([bmp.as_str(), "lut_into", "zune", "nope"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"lut_into 3\nzune 1\nnope 1\nzune many\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "nope error unknown call \"nope\"", "{text}");
    assert_eq!(lines[1], "ready", "{text}");
    for (line, call) in lines[2..4].iter().zip(["lut_into", "zune"]) {
        let ns = line
            .strip_prefix(&format!("{call} "))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(ns.parse::<u64>().unwrap() > 0, "{text}");
    }
    assert_eq!(lines[4], "nope error unknown call \"nope\"", "{text}");
    assert!(
        lines[5].starts_with("request error expected `CALL N`"),
        "{text}"
    );
    // A file no call can decode: every call says why before `ready`.
    let junk = file(&d, "junk.bmp", b"BM not a bitmap");
    let out = common::target_command(env!("CARGO_BIN_EXE_shmbmp-bare"))
        .args([junk.as_str(), "lut", "zune"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("lut error ")
            && text.contains("\nzune error ")
            && text.ends_with("ready\n"),
        "{text}"
    );
}
