//! Malformed input, generated in code from valid files (no binary blobs).
//!
//! For every case, each decoder of ours (`shmbmp::decode::all()`: `naive`, `lut`, `lut_mt`,
//! and `lut` on every kernel level this CPU runs) answers
//! the same: the same typed error (variant and fields checked), or the same documented
//! lenient decode (rules at the top of `src/decode/rle.rs` and `src/format/palette.rs`),
//! and never panics. Oversized images are refused before the output is allocated, which a
//! counting global allocator in this test binary proves.

mod common;

use shmbmp_suite::encode::{self, Header, RawFile, Spec};
use shmbmp_suite::format::masks::scale;
use shmbmp_suite::{DecodeError, Frame, Limits};

// ---------------------------------------------------------------------------------------
// A global allocator that counts the bytes each thread asks for.

#[global_allocator]
static GLOBAL: common::alloc::Counting = common::alloc::Counting;

/// Runs `f` and returns its result with the bytes this thread allocated meanwhile.
fn allocated_during<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let (_, bytes, r) = common::alloc::during(f);
    (r, bytes)
}

// ---------------------------------------------------------------------------------------
// Decoders and agreement.

/// Decodes `bytes` with every decoder of ours, asserts they all answer the same, and
/// returns that answer. `case` names the input in failure messages.
fn decode_all(case: &str, bytes: &[u8], limits: &Limits) -> Result<Frame, DecodeError> {
    let mut first: Option<(&str, Result<Frame, DecodeError>)> = None;
    for d in shmbmp::decode::all() {
        let (name, got) = (d.name(), d.decode(bytes, limits));
        match &first {
            None => first = Some((name, got)),
            Some((n0, r0)) => match (r0, &got) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(
                        (a.width, a.height),
                        (b.width, b.height),
                        "{case}: {n0} and {name} disagree on dimensions"
                    );
                    if let Some(i) = a.rgba.iter().zip(&b.rgba).position(|(x, y)| x != y) {
                        panic!("{case}: {n0} and {name} differ first at RGBA byte {i}");
                    }
                }
                (a, b) => assert_eq!(
                    a.as_ref().err(),
                    b.as_ref().err(),
                    "{case}: {n0} and {name} disagree"
                ),
            },
        }
    }
    first.expect("at least one decoder").1
}

/// The error every decoder returns; fails if any succeeds.
#[track_caller]
fn error(case: &str, bytes: &[u8], limits: &Limits) -> DecodeError {
    match decode_all(case, bytes, limits) {
        Ok(f) => panic!("{case}: decoded {}x{} but should fail", f.width, f.height),
        Err(e) => e,
    }
}

/// The frame every decoder returns; fails if any errs.
#[track_caller]
fn frame(case: &str, bytes: &[u8], limits: &Limits) -> Frame {
    decode_all(case, bytes, limits).unwrap_or_else(|e| panic!("{case}: unexpected error: {e}"))
}

/// Asserts `e` is `InvalidField` for `field` at `offset` holding `value`.
#[track_caller]
fn assert_invalid(e: &DecodeError, field: &str, offset: usize, value: i64) {
    match e {
        DecodeError::InvalidField {
            field: f,
            offset: o,
            value: v,
            ..
        } => assert_eq!((*f, *o, *v), (field, offset, value), "{e}"),
        other => panic!("expected invalid {field} at {offset}, got {other:?}"),
    }
}

/// Asserts `e` is `InvalidField` for `field` and its reason mentions `reason`.
#[track_caller]
fn assert_invalid_reason(e: &DecodeError, field: &str, offset: usize, reason: &str) {
    match e {
        DecodeError::InvalidField {
            field: f,
            offset: o,
            reason: r,
            ..
        } => {
            assert_eq!((*f, *o), (field, offset), "{e}");
            assert!(r.contains(reason), "reason {r:?} lacks {reason:?}");
        }
        other => panic!("expected invalid {field} ({reason}), got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Valid files to break, and byte surgery.

const BF_SIZE: usize = 2;
const OFF_BITS: usize = 10;
const HEADER_SIZE: usize = 14;
const WIDTH: usize = 18;
const HEIGHT: usize = 22;
const PLANES: usize = 26;
const BPP: usize = 28;
const COMPRESSION: usize = 30;
const CLR_USED: usize = 46;
const MASKS: usize = 54;

fn fixture(name: &str) -> (Spec, Vec<u8>) {
    let f = encode::fixture(name).unwrap_or_else(|| panic!("no fixture {name}"));
    (f.spec, encode::encode(&f.spec))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn with32(b: &[u8], at: usize, v: u32) -> Vec<u8> {
    let mut b = b.to_vec();
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    b
}

fn with16(b: &[u8], at: usize, v: u16) -> Vec<u8> {
    let mut b = b.to_vec();
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    b
}

fn limits() -> Limits {
    Limits::default()
}

/// Small limits for sweeps where a corrupted dimension may ask for a legitimately huge image.
fn sweep_limits() -> Limits {
    Limits::default()
        .with_max_pixels(1 << 16)
        .with_max_bytes(1 << 18)
}

/// An independent reading of an 8-bit BI_RGB file (bottom-up, 4-byte palette entries):
/// `pal_len` entries at `pal_off`, rows at `data_off`; indices past the palette are black.
fn reference_pal8(
    b: &[u8],
    w: usize,
    h: usize,
    pal_off: usize,
    pal_len: usize,
    data_off: usize,
) -> Vec<u8> {
    let stride = w.div_ceil(4) * 4;
    let mut out = Vec::with_capacity(w * h * 4);
    for y in 0..h {
        let row = data_off + (h - 1 - y) * stride;
        for x in 0..w {
            let i = usize::from(b[row + x]);
            if i < pal_len {
                let e = pal_off + 4 * i;
                out.extend_from_slice(&[b[e + 2], b[e + 1], b[e], 255]);
            } else {
                out.extend_from_slice(&[0, 0, 0, 255]);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Truncation.

/// Small files of every header and pixel kind, uncompressed.
const UNCOMPRESSED: &[&str] = &[
    "pal1_short",
    "pal2",
    "pal4",
    "pal8_w1",
    "pal8_topdown",
    "core_pal4",
    "core_rgb24",
    "rgb16_555",
    "rgb16_565",
    "rgb16_565_v4",
    "rgba16_4444_v5",
    "rgb24",
    "rgb24_topdown",
    "rgb32",
    "xrgb32_bitfields",
    "rgba32_v3",
    "abgr32_v5",
];

/// What a prefix of `n` bytes of the valid uncompressed file `full` must fail with.
fn expected_truncation(full: &[u8], spec: &Spec, n: usize) -> Option<DecodeError> {
    let header_end = 14 + u32_at(full, HEADER_SIZE) as usize;
    let data_off = u32_at(full, OFF_BITS) as usize;
    let info_masks = u32_at(full, HEADER_SIZE) == 40 && u32_at(full, COMPRESSION) == 3;
    let bpp_at = if spec.header == encode::Header::Core {
        24
    } else {
        BPP
    };
    let bpp = u64::from(u16::from_le_bytes([full[bpp_at], full[bpp_at + 1]]));
    let bits = u64::from(spec.width) * bpp;
    let data_end =
        data_off as u64 + bits.div_ceil(32) * 4 * (u64::from(spec.height) - 1) + bits.div_ceil(8);
    let truncated = |what, start, end| DecodeError::Truncated {
        what,
        start,
        end,
        len: n,
    };
    if n < 18 {
        Some(truncated("file header", 0, 18))
    } else if n < header_end {
        Some(truncated("info header", 14, header_end))
    } else if info_masks && n < MASKS + 12 {
        Some(truncated("bitfield masks", MASKS, MASKS + 12))
    } else if (n as u64) < data_end {
        Some(truncated("pixel data", data_off, data_end as usize))
    } else {
        None
    }
}

#[test]
fn truncation_at_every_byte_offset_of_uncompressed_files() {
    for name in UNCOMPRESSED {
        let (spec, full) = fixture(name);
        let whole = frame(name, &full, &limits());
        for n in 0..full.len() {
            let case = format!("{name} cut to {n} of {} bytes", full.len());
            let got = decode_all(&case, &full[..n], &limits());
            match expected_truncation(&full, &spec, n) {
                Some(want) => assert_eq!(got.as_ref().err(), Some(&want), "{case}"),
                // Only the last row's padding is missing: nothing needed is.
                None => assert_eq!(got.as_ref().ok(), Some(&whole), "{case}"),
            }
        }
    }
}

#[test]
fn truncation_mid_row_names_the_pixel_data_range() {
    let (spec, full) = fixture("pal8_w317");
    let data_off = u32_at(&full, OFF_BITS) as usize;
    let stride = 320;
    let cut = data_off + 5 * stride + 100;
    let e = error("pal8_w317 cut mid-row", &full[..cut], &limits());
    assert_eq!(
        e,
        DecodeError::Truncated {
            what: "pixel data",
            start: data_off,
            end: data_off + stride * (spec.height as usize - 1) + 317,
            len: cut,
        }
    );
    assert!(e.to_string().contains("pixel data needs bytes"), "{e}");
}

#[test]
fn truncated_rle_files_fail_in_the_headers_and_decode_leniently_after() {
    for name in ["rle8_short", "rle4_short"] {
        let (_, full) = fixture(name);
        let data_off = u32_at(&full, OFF_BITS) as usize;
        let whole = frame(name, &full, &limits());
        for n in 0..full.len() {
            let case = format!("{name} cut to {n} of {} bytes", full.len());
            let got = decode_all(&case, &full[..n], &limits());
            if n <= data_off {
                let e = got.expect_err(&case);
                let named = matches!(e, DecodeError::Truncated { .. });
                assert!(named, "{case}: {e:?}");
            } else {
                // The stream just ends early: rows not reached keep palette entry 0.
                let f = got.unwrap_or_else(|e| panic!("{case}: {e}"));
                assert_eq!((f.width, f.height), (whole.width, whole.height), "{case}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Header fields.

#[test]
fn zero_negative_and_minimal_dimensions_are_refused() {
    let (_, b) = fixture("rgb24");
    let cases: [(usize, i32, &str); 6] = [
        (WIDTH, 0, "width"),
        (WIDTH, -1, "width"),
        (WIDTH, -5, "width"),
        (WIDTH, i32::MIN, "width"),
        (HEIGHT, 0, "height"),
        (HEIGHT, i32::MIN, "height"),
    ];
    for (at, v, field) in cases {
        let e = error(
            &format!("{field} = {v}"),
            &with32(&b, at, v as u32),
            &limits(),
        );
        assert_invalid(&e, field, at, i64::from(v));
    }
    // Core header: 16-bit unsigned dimensions at 18 and 20.
    let (_, c) = fixture("core_rgb24");
    assert_invalid(
        &error("core width 0", &with16(&c, 18, 0), &limits()),
        "width",
        18,
        0,
    );
    assert_invalid(
        &error("core height 0", &with16(&c, 20, 0), &limits()),
        "height",
        20,
        0,
    );
}

#[test]
fn negative_height_means_top_down_even_for_rle() {
    let (spec, b) = fixture("rgb24");
    let flipped = with32(&b, HEIGHT, (-(spec.height as i32)) as u32);
    let up = frame("rgb24", &b, &limits());
    let down = frame("rgb24 top-down", &flipped, &limits());
    let row = spec.width as usize * 4;
    let rev: Vec<u8> = up.rgba.chunks(row).rev().flatten().copied().collect();
    assert_eq!(down.rgba, rev);
    // Top-down RLE is not in the specification; ours all read it the same way.
    let (spec, r) = fixture("rle8_short");
    frame(
        "rle8 top-down",
        &with32(&r, HEIGHT, (-(spec.height as i32)) as u32),
        &limits(),
    );
}

#[test]
fn impossible_bit_depths_are_invalid_and_64_is_unsupported() {
    let (_, b) = fixture("rgb24");
    for bpp in [0u16, 3, 5, 7, 9, 12, 15, 31, 33, 48, 0xffff] {
        let e = error(&format!("bpp {bpp}"), &with16(&b, BPP, bpp), &limits());
        assert_invalid(&e, "bits per pixel", BPP, i64::from(bpp));
    }
    let e = error("bpp 64", &with16(&b, BPP, 64), &limits());
    assert!(
        matches!(e, DecodeError::Unsupported(ref m) if m.contains("64")),
        "{e:?}"
    );
    let (_, c) = fixture("core_pal4");
    assert_invalid(
        &error("core bpp 3", &with16(&c, 24, 3), &limits()),
        "bits per pixel",
        24,
        3,
    );
}

#[test]
fn planes_other_than_one_are_invalid() {
    let (_, b) = fixture("pal8_w1");
    for planes in [0u16, 2, 3, 0xffff] {
        let e = error(
            &format!("planes {planes}"),
            &with16(&b, PLANES, planes),
            &limits(),
        );
        assert_invalid(&e, "planes", PLANES, i64::from(planes));
    }
    let (_, c) = fixture("core_pal1");
    assert_invalid(
        &error("core planes 0", &with16(&c, 22, 0), &limits()),
        "planes",
        22,
        0,
    );
}

#[test]
fn bad_magic_and_bad_info_header_sizes() {
    let (_, b) = fixture("rgb24");
    for magic in [*b"BN", *b"MB", [0, 0], [0xff, 0xff]] {
        let mut x = b.clone();
        x[..2].copy_from_slice(&magic);
        assert_eq!(
            error("magic", &x, &limits()),
            DecodeError::BadMagic { found: magic }
        );
    }
    for size in [
        0u32,
        1,
        11,
        13,
        15,
        65,
        100,
        107,
        109,
        123,
        125,
        0xffff_ffff,
    ] {
        let e = error(
            &format!("header size {size}"),
            &with32(&b, HEADER_SIZE, size),
            &limits(),
        );
        assert_invalid(&e, "info header size", HEADER_SIZE, i64::from(size));
    }
}

#[test]
fn compression_that_does_not_fit_the_depth_or_is_unknown() {
    let cases: [(&str, u32); 5] = [
        ("rgb24", 1), // RLE8 on 24 bits
        ("rgb24", 2), // RLE4 on 24 bits
        ("pal8", 2),  // RLE4 on 8 bits
        ("pal4", 1),  // RLE8 on 4 bits
        ("rgb24", 3), // bitfields on 24 bits
    ];
    for (name, comp) in cases {
        let (_, b) = fixture(name);
        let e = error(
            &format!("{name} comp {comp}"),
            &with32(&b, COMPRESSION, comp),
            &limits(),
        );
        assert_invalid(&e, "compression", COMPRESSION, i64::from(comp));
    }
    let (_, b) = fixture("rgb24");
    for (comp, what) in [
        (4u32, "JPEG"),
        (5, "PNG"),
        (7, "type 7"),
        (0xffff_ffff, "4294967295"),
    ] {
        let e = error(
            &format!("comp {comp}"),
            &with32(&b, COMPRESSION, comp),
            &limits(),
        );
        assert!(
            matches!(e, DecodeError::Unsupported(ref m) if m.contains(what)),
            "{e:?}"
        );
    }
}

#[test]
fn pixel_data_offset_past_the_end_or_inside_the_headers() {
    for name in ["rgb24", "pal8_w1", "rgb16_565", "rle8_short"] {
        let (_, b) = fixture(name);
        let len = b.len() as u32;
        for off in [len, len + 1, u32::MAX] {
            let e = error(
                &format!("{name} offset {off}"),
                &with32(&b, OFF_BITS, off),
                &limits(),
            );
            assert!(
                matches!(e, DecodeError::Truncated { what: "pixel data", start, len: n, .. }
                    if start == off as usize && n == b.len()),
                "{name} offset {off}: {e:?}"
            );
        }
        let end_of_headers = if name == "rgb16_565" { 66 } else { 54 };
        for off in [0u32, 1, 14, 53, end_of_headers - 1] {
            let e = error(
                &format!("{name} offset {off}"),
                &with32(&b, OFF_BITS, off),
                &limits(),
            );
            assert_invalid_reason(&e, "pixel data offset", OFF_BITS, "inside the headers");
        }
    }
}

#[test]
fn pixel_data_offset_inside_the_palette_shortens_the_palette() {
    let (spec, b) = fixture("pal8");
    let (w, h) = (spec.width as usize, spec.height as usize);
    for entries in [0usize, 1, 16, 255] {
        let off = 54 + 4 * entries;
        let x = with32(&b, OFF_BITS, off as u32);
        let f = frame(
            &format!("pal8 offset after {entries} entries"),
            &x,
            &limits(),
        );
        assert_eq!(
            f.rgba,
            reference_pal8(&x, w, h, 54, entries, off),
            "{entries}"
        );
    }
}

#[test]
fn colours_used_past_the_depth_is_clamped_and_short_counts_read_black() {
    for name in [
        "pal8",
        "pal4",
        "pal1_short",
        "rle8_short",
        "rgb24",
        "rgb16_565",
    ] {
        let (_, b) = fixture(name);
        let whole = frame(name, &b, &limits());
        for used in [257u32, 0x1_0000, 0x8000_0000, 0xffff_ffff] {
            let f = frame(
                &format!("{name} clrUsed {used}"),
                &with32(&b, CLR_USED, used),
                &limits(),
            );
            // The palette never extends past the pixel data offset, so nothing changes.
            assert_eq!(f, whole, "{name} clrUsed {used}");
        }
    }
    // pal4 has 16 entries: 17 or more clamps to 16 (nothing changes).
    let (_, b) = fixture("pal4");
    let whole = frame("pal4", &b, &limits());
    assert_eq!(
        frame("pal4 clrUsed 17", &with32(&b, CLR_USED, 17), &limits()),
        whole
    );
    // Fewer colours than the pixels use: those pixels are opaque black.
    let (spec, b) = fixture("pal8");
    for used in [1u32, 2, 100] {
        let x = with32(&b, CLR_USED, used);
        let f = frame(&format!("pal8 clrUsed {used}"), &x, &limits());
        let want = reference_pal8(
            &x,
            spec.width as usize,
            spec.height as usize,
            54,
            used as usize,
            54 + 1024,
        );
        assert_eq!(f.rgba, want, "clrUsed {used}");
    }
}

#[test]
fn a_lying_file_size_is_ignored() {
    for name in [
        "pal8",
        "rgb24",
        "rle8_short",
        "rle4_short",
        "rgba32_v3",
        "core_pal8",
    ] {
        let (_, b) = fixture(name);
        let whole = frame(name, &b, &limits());
        let len = b.len() as u32;
        for size in [0u32, 1, 14, len - 1, len + 1, len * 2, u32::MAX] {
            let x = with32(&b, BF_SIZE, size);
            assert_eq!(
                frame(&format!("{name} bfSize {size}"), &x, &limits()),
                whole
            );
            let layout = shmbmp_suite::Layout::parse(&x, &limits()).unwrap();
            assert_eq!(layout.declared_file_size, size);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Bitfield masks.

#[test]
fn zero_overlapping_noncontiguous_and_oversized_masks() {
    // 16-bit 5-6-5 with the masks after a 40-byte header at 54, 58, 62.
    let (_, b) = fixture("rgb16_565");
    let masks = |r: u32, g: u32, bl: u32| {
        with32(&with32(&with32(&b, MASKS, r), MASKS + 4, g), MASKS + 8, bl)
    };
    let e = error("all masks zero", &masks(0, 0, 0), &limits());
    assert_invalid_reason(&e, "red mask", MASKS, "all zero");
    let e = error(
        "green overlaps red",
        &masks(0xf800, 0x1800, 0x1f),
        &limits(),
    );
    assert_invalid(&e, "green mask", MASKS + 4, 0x1800);
    let e = error(
        "blue overlaps green",
        &masks(0xf800, 0x07e0, 0x0020),
        &limits(),
    );
    assert_invalid_reason(&e, "blue mask", MASKS + 8, "overlaps");
    let e = error(
        "red not contiguous",
        &masks(0xa000, 0x07e0, 0x1f),
        &limits(),
    );
    assert_invalid_reason(&e, "red mask", MASKS, "not contiguous");
    let e = error(
        "blue past 16 bits",
        &masks(0xf800, 0x07e0, 0x1_0000),
        &limits(),
    );
    assert_invalid_reason(&e, "blue mask", MASKS + 8, "beyond the pixel size");

    // One zero mask is allowed: that channel reads 0.
    let whole = frame("rgb16_565", &b, &limits());
    let f = frame("green mask zero", &masks(0xf800, 0, 0x1f), &limits());
    for (p, q) in f.rgba.chunks(4).zip(whole.rgba.chunks(4)) {
        assert_eq!(p, [q[0], 0, q[2], 255]);
    }

    // V3: four masks inside the header at 54..70; an alpha mask overlapping blue.
    let (_, v3) = fixture("rgba32_v3");
    let e = error(
        "alpha overlaps blue",
        &with32(&v3, MASKS + 12, 0x0000_00ff),
        &limits(),
    );
    assert_invalid(&e, "alpha mask", MASKS + 12, 0xff);
    let e = error(
        "alpha not contiguous",
        &with32(&v3, MASKS + 12, 0xf100_0000),
        &limits(),
    );
    assert_invalid_reason(&e, "alpha mask", MASKS + 12, "not contiguous");
    // Only alpha: red, green and blue all zero.
    let only_alpha = with32(&with32(&with32(&v3, MASKS, 0), MASKS + 4, 0), MASKS + 8, 0);
    assert_invalid_reason(
        &error("only alpha", &only_alpha, &limits()),
        "red mask",
        MASKS,
        "all zero",
    );
}

#[test]
fn a_full_32_bit_mask_is_one_contiguous_channel() {
    // Red takes all 32 bits, green and blue are absent. Found by reading masks.rs:
    // `(mask >> shift) >> bits` with bits == 32 overflowed the shift.
    let (spec, b) = fixture("xrgb32_bitfields");
    let x = with32(
        &with32(&with32(&b, MASKS, u32::MAX), MASKS + 4, 0),
        MASKS + 8,
        0,
    );
    let f = frame("red mask 0xffffffff", &x, &limits());
    let data = u32_at(&x, OFF_BITS) as usize;
    let (w, h) = (spec.width as usize, spec.height as usize);
    for y in 0..h {
        for xx in 0..w {
            let px = u32_at(&x, data + ((h - 1 - y) * w + xx) * 4);
            let got = &f.rgba[(y * w + xx) * 4..][..4];
            assert_eq!(got, [scale(px, 32), 0, 0, 255], "pixel ({xx}, {y})");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Run-length streams, hand-made.

/// Palette entry `i` of the hand-made RLE files: distinct for every index.
fn colour(i: u8) -> [u8; 4] {
    [i, 255 - i, i.wrapping_mul(7) ^ 0x55, 255]
}

/// A BI_RLE8 (`bpp` 8) or BI_RLE4 (`bpp` 4) file of `w` × `h` (negative: top-down) with
/// a full palette of [`colour`]s and `stream` as its pixel data.
fn rle_file(bpp: u16, w: i32, h: i32, stream: &[u8]) -> Vec<u8> {
    let palette: Vec<[u8; 4]> = (0..1usize << bpp).map(|i| colour(i as u8)).collect();
    RawFile {
        header: Header::Info,
        width: w,
        height: h,
        bpp,
        compression: if bpp == 8 { 1 } else { 2 },
        masks: None,
        palette: &palette,
        data: stream,
    }
    .encode()
}

/// The RGBA for stored rows of indices (`None`: never written, so palette entry 0),
/// given bottom row first as in a bottom-up file.
fn rle_expected(stored_rows: &[&[Option<u8>]]) -> Vec<u8> {
    stored_rows
        .iter()
        .rev()
        .flat_map(|row| row.iter().flat_map(|p| colour(p.unwrap_or(0))))
        .collect()
}

#[test]
fn rle8_runs_deltas_and_ends_follow_the_documented_rules() {
    const N: Option<u8> = None;
    let s = Some;
    type Case<'a> = (&'a str, &'a [u8], [[Option<u8>; 4]; 3]);
    let cases: [Case; 13] = [
        (
            "run clipped at the row end",
            &[10, 5, 0, 0, 2, 6, 0, 1],
            [[s(5); 4], [s(6), s(6), N, N], [N; 4]],
        ),
        (
            "runs after an overrun are dropped",
            &[6, 5, 2, 7, 0, 0, 1, 8, 0, 1],
            [[s(5); 4], [s(8), N, N, N], [N; 4]],
        ),
        (
            "absolute block clipped",
            &[0, 6, 1, 2, 3, 4, 5, 6, 0, 1],
            [[s(1), s(2), s(3), s(4)], [N; 4], [N; 4]],
        ),
        (
            "odd absolute block is padded",
            &[0, 3, 1, 2, 3, 0, 1, 9, 0, 1],
            [[s(1), s(2), s(3), s(9)], [N; 4], [N; 4]],
        ),
        (
            "delta right and down",
            &[0, 2, 1, 1, 1, 7, 0, 1],
            [[N; 4], [N, s(7), N, N], [N; 4]],
        ),
        (
            "delta past the image stops",
            &[0, 2, 200, 200, 1, 7, 0, 1],
            [[N; 4]; 3],
        ),
        (
            "delta past the row end then a run",
            &[0, 2, 10, 0, 2, 7, 0, 0, 1, 8, 0, 1],
            [[N; 4], [s(8), N, N, N], [N; 4]],
        ),
        (
            "no end-of-bitmap",
            &[2, 5],
            [[s(5), s(5), N, N], [N; 4], [N; 4]],
        ),
        (
            "truncated absolute block",
            &[0, 5, 1, 2],
            [[s(1), s(2), N, N], [N; 4], [N; 4]],
        ),
        (
            "truncated delta",
            &[1, 3, 0, 2, 1],
            [[s(3), N, N, N], [N; 4], [N; 4]],
        ),
        (
            "lone escape byte",
            &[1, 3, 0],
            [[s(3), N, N, N], [N; 4], [N; 4]],
        ),
        (
            "end-of-lines past the last row",
            &[0, 0, 0, 0, 0, 0, 0, 0, 1, 5],
            [[N; 4]; 3],
        ),
        (
            "data after end-of-bitmap is ignored",
            &[0, 1, 4, 9],
            [[N; 4]; 3],
        ),
    ];
    for (case, stream, rows) in cases {
        let f = frame(case, &rle_file(8, 4, 3, stream), &limits());
        let rows: Vec<&[Option<u8>]> = rows.iter().map(|r| &r[..]).collect();
        assert_eq!(f.rgba, rle_expected(&rows), "{case}");
    }
}

#[test]
fn rle4_runs_alternate_nibbles_and_clip() {
    const N: Option<u8> = None;
    let s = Some;
    type Case<'a> = (&'a str, &'a [u8], [[Option<u8>; 5]; 2]);
    let cases: [Case; 5] = [
        (
            "run of 7 clipped to 5",
            &[7, 0x12, 0, 1],
            [[s(1), s(2), s(1), s(2), s(1)], [N; 5]],
        ),
        (
            "absolute 3 (2 bytes, no pad)",
            &[0, 3, 0x34, 0x50, 2, 0xee, 0, 1],
            [[s(3), s(4), s(5), s(14), s(14)], [N; 5]],
        ),
        (
            "absolute 5 (3 bytes + pad)",
            &[0, 5, 0x12, 0x34, 0x56, 0, 0, 0, 1, 0x70],
            [[s(1), s(2), s(3), s(4), s(5)], [s(7), N, N, N, N]],
        ),
        (
            "absolute 8 clipped",
            &[0, 8, 0x12, 0x34, 0x56, 0x78],
            [[s(1), s(2), s(3), s(4), s(5)], [N; 5]],
        ),
        (
            "truncated absolute",
            &[0, 6, 0xab],
            [[s(10), s(11), N, N, N], [N; 5]],
        ),
    ];
    for (case, stream, rows) in cases {
        let f = frame(case, &rle_file(4, 5, 2, stream), &limits());
        let rows: Vec<&[Option<u8>]> = rows.iter().map(|r| &r[..]).collect();
        assert_eq!(f.rgba, rle_expected(&rows), "{case}");
    }
}

#[test]
fn rle_indices_past_a_short_palette_are_black() {
    // 8-bit RLE with clrUsed 16: index 200 reads as opaque black, index 3 as entry 3.
    let b = with32(&rle_file(8, 2, 1, &[1, 200, 1, 3, 0, 1]), CLR_USED, 16);
    let f = frame("rle8 index past the palette", &b, &limits());
    assert_eq!(f.rgba, [[0, 0, 0, 255], colour(3)].concat());
}

#[test]
fn random_rle_streams_agree_and_never_panic() {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    for i in 0..3000 {
        let len = (next() % 64) as usize + 1;
        // Bias towards escapes (0) and small counts so every branch is taken.
        let stream: Vec<u8> = (0..len)
            .map(|_| match next() % 4 {
                0 => 0,
                1 => (next() % 4) as u8,
                _ => next() as u8,
            })
            .collect();
        let bpp = if i % 2 == 0 { 8 } else { 4 };
        let w = (next() % 9) as i32 + 1;
        let h = (next() % 5) as i32 + 1;
        let h = if i % 7 == 0 { -h } else { h };
        let b = rle_file(bpp, w, h, &stream);
        decode_all(&format!("random rle {i}: {stream:?}"), &b, &limits())
            .unwrap_or_else(|e| panic!("random rle {i}: {e}"));
    }
}

/// Wide rows and long streams: runs that end near the row's end (where `lut` writes whole
/// 8-pixel stores past a run's end only when the row has room), absolute blocks long enough
/// for the row kernels, deltas and ends anywhere, in every pixel layout: every decoder of
/// ours writes what `naive` writes, into a slice of exactly the output's size.
#[test]
fn wide_random_rle_streams_agree_in_every_layout() {
    use shmbmp_suite::format::PixelLayout;
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let naive: &dyn shmbmp::Decode = &shmbmp::Naive;
    for i in 0..400 {
        let bpp = if i % 2 == 0 { 8 } else { 4 };
        let w = (next() % 300) as i32 + 1;
        let h = (next() % 6) as i32 + 1;
        let mut stream = Vec::new();
        for _ in 0..(next() % 40) {
            match next() % 8 {
                // Runs, short and long.
                0..=3 => stream.extend([(next() % 40) as u8 + 1, next() as u8]),
                4 => stream.extend([next() as u8, next() as u8]),
                // Absolute blocks (padded to 16 bits), up to 255 pixels.
                5 => {
                    let count = (next() % 253) as u8 + 3;
                    let bytes = if bpp == 8 {
                        usize::from(count)
                    } else {
                        usize::from(count).div_ceil(2)
                    };
                    stream.extend([0, count]);
                    stream.extend((0..bytes + bytes % 2).map(|_| next() as u8));
                }
                // End-of-line and deltas.
                6 => stream.extend([0, 0]),
                _ => stream.extend([0, 2, (next() % 64) as u8, (next() % 2) as u8]),
            }
        }
        // An empty stream is refused (tested above); sometimes cut anywhere after byte 1.
        stream.extend([0, 1]);
        if i % 3 == 0 {
            stream.truncate((next() as usize) % stream.len() + 1);
        }
        let b = rle_file(bpp, w, h, &stream);
        let limits = limits();
        for pixels in PixelLayout::ALL {
            let len = w as usize * h as usize * pixels.bytes_per_pixel();
            let mut want = vec![0x5a; len];
            naive
                .decode_into_slice_as(&b, &limits, pixels, &mut want)
                .unwrap_or_else(|e| panic!("wide rle {i} {pixels}: {e}"));
            for d in shmbmp::decode::all() {
                let mut got = vec![0xa5; len];
                d.decode_into_slice_as(&b, &limits, pixels, &mut got)
                    .unwrap_or_else(|e| panic!("wide rle {i} {pixels} {}: {e}", d.name()));
                if let Some(at) = got.iter().zip(&want).position(|(a, b)| a != b) {
                    panic!(
                        "wide rle {i} ({w}x{h}, {bpp} bits) {pixels}: {} differs from naive \
                         first at byte {at}; stream {stream:?}",
                        d.name()
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Limits and allocation.

#[test]
fn dimensions_over_the_limits_are_refused_naming_the_limit() {
    let (_, b) = fixture("pal8"); // 64 × 48
    let base = Limits::default();
    let cases = [
        (base.with_max_width(63), "width", 64, 63),
        (base.with_max_height(47), "height", 48, 47),
        (
            base.with_max_pixels(64 * 48 - 1),
            "pixel count",
            64 * 48,
            64 * 48 - 1,
        ),
        (
            base.with_max_bytes(64 * 48 * 4 - 1),
            "RGBA output size in bytes",
            64 * 48 * 4,
            64 * 48 * 4 - 1,
        ),
    ];
    for (lim, what, value, limit) in cases {
        let e = error(what, &b, &lim);
        assert_eq!(e, DecodeError::LimitExceeded { what, value, limit });
        assert!(e.to_string().contains(&format!("limit is {limit}")), "{e}");
    }
    // Exactly at the limits is fine.
    let exact = Limits::unlimited()
        .with_max_width(64)
        .with_max_height(48)
        .with_max_pixels(64 * 48)
        .with_max_bytes(64 * 48 * 4);
    frame("at the limits", &b, &exact);
}

/// A 64-byte file (headers, 2 bytes of "pixels") that claims `w` × `h` pixels.
fn tiny_claim(w: i32, h: i32, bpp: u16, compression: u32) -> Vec<u8> {
    let mut b = rle_file(8, w, h, &[]);
    b.truncate(54);
    b = with16(&b, BPP, bpp);
    b = with32(&b, COMPRESSION, compression);
    b = with32(&b, CLR_USED, 0);
    b = with32(&b, OFF_BITS, 62);
    b.resize(64, 0);
    b = with32(&b, BF_SIZE, 64);
    b
}

#[test]
fn a_64_byte_file_claiming_2_31_squared_pixels_is_refused_before_allocation() {
    let huge = i32::MAX; // 2^31 - 1, the largest a BMP can declare
    for (bpp, comp) in [(24u16, 0u32), (8, 1), (32, 0)] {
        for h in [huge, -huge] {
            let b = tiny_claim(huge, h, bpp, comp);
            assert_eq!(b.len(), 64);
            for d in shmbmp::decode::all() {
                let name = d.name();
                // Default limits: refused on the width, named with its limit.
                let (r, bytes) = allocated_during(|| d.decode(&b, &Limits::default()));
                let e = r.expect_err(name);
                assert_eq!(
                    e,
                    DecodeError::LimitExceeded {
                        what: "width",
                        value: huge as u64,
                        limit: 1 << 20,
                    },
                    "{name}"
                );
                assert!(e.to_string().contains("limit is 1048576"), "{e}");
                assert!(
                    bytes < 1024,
                    "{name} allocated {bytes} bytes before refusing"
                );

                // Width and height allowed, the pixel count not.
                let lim = Limits::default()
                    .with_max_width(u32::MAX)
                    .with_max_height(u32::MAX);
                let (r, bytes) = allocated_during(|| d.decode(&b, &lim));
                let e = r.expect_err(name);
                assert!(
                    matches!(e, DecodeError::LimitExceeded { what: "pixel count", limit, .. } if limit == 1 << 28),
                    "{name}: {e:?}"
                );
                assert!(
                    bytes < 1024,
                    "{name} allocated {bytes} bytes before refusing"
                );
            }
        }
    }
}

#[test]
fn output_larger_than_any_vec_is_refused_even_without_limits() {
    // (2^31 - 1)^2 * 4 bytes fits a u64 and (on 64-bit) a usize, but no Vec can hold more
    // than isize::MAX bytes; the run-length file has no pixel data size to check, so only
    // the limits stand between it and the allocation.
    let huge = i32::MAX;
    let b = tiny_claim(huge, huge, 8, 1);
    for d in shmbmp::decode::all() {
        let name = d.name();
        let (r, bytes) = allocated_during(|| d.decode(&b, &Limits::unlimited()));
        let e = r.expect_err(name);
        assert!(
            matches!(
                e,
                DecodeError::LimitExceeded {
                    what: "RGBA output size in bytes",
                    limit,
                    ..
                } if limit == isize::MAX as u64
            ),
            "{name}: {e:?}"
        );
        assert!(
            bytes < 1024,
            "{name} allocated {bytes} bytes before refusing"
        );
    }
    // Uncompressed: the pixel data it claims is missing.
    let b = tiny_claim(huge, 3, 24, 0);
    let e = error("24-bit, unlimited", &b, &Limits::unlimited());
    assert!(
        matches!(
            e,
            DecodeError::Truncated {
                what: "pixel data",
                ..
            }
        ),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------
// A cheap deterministic sweep: every byte of small files set to a few values.

#[test]
fn every_single_byte_corruption_of_small_files_gets_one_answer() {
    let names = [
        "pal1_short",
        "pal4",
        "pal8_1x1",
        "core_pal4",
        "rgb16_555",
        "rgb16_565",
        "rgb24_1x1",
        "rgb32",
        "rgba32_v3",
        "rle8_short",
        "rle4_short",
    ];
    for name in names {
        let (_, b) = fixture(name);
        // Headers, palette and the first bytes of pixel data are where decisions are made.
        let end = (u32_at(&b, OFF_BITS) as usize + 16).min(b.len());
        for at in 0..end {
            for v in [0x00u8, 0x01, 0x80, 0xff] {
                let mut x = b.clone();
                x[at] = v;
                let _ = decode_all(&format!("{name}[{at}] = {v:#x}"), &x, &sweep_limits());
            }
        }
    }
}
