//! Identical pixels across decoders: one stored snapshot per fixture, checked by every
//! decoder of ours, and a matrix recording what every peer did with every fixture.

mod common;

use std::collections::BTreeMap;

use common::{in_snapshots, write_mismatch, Summary};
use shmbmp::decode::all as ours;
use shmbmp::PixelLayout;
use shmbmp_suite::check::{check_all, ours_agree, Agreement, Outcome};
use shmbmp_suite::{encode, Decode, Frame, Limits, Origin};

fn expected(fixture: &encode::Fixture) -> Frame {
    Frame {
        width: fixture.spec.width,
        height: fixture.spec.height,
        rgba: encode::expected_rgba(&fixture.spec),
    }
}

/// Each decoder of ours asserts against the same snapshot name per fixture, so "identical"
/// is one stored answer checked once per decoder; the encoder's own intended pixels are
/// checked too.
#[test]
fn ours_match_one_snapshot_per_fixture() {
    let limits = Limits::default();
    let ours: Vec<_> = ours().collect();
    for fixture in encode::fixtures() {
        let bmp = encode::encode(&fixture.spec);
        let want = expected(&fixture);
        for d in &ours {
            let got = d
                .decode(&bmp, &limits)
                .unwrap_or_else(|e| panic!("{} on {}: {e}", d.name(), fixture.name));
            if got != want {
                let paths = write_mismatch(&format!("{}_{}", fixture.name, d.name()), &want, &got);
                panic!(
                    "{} on {}: {:?} against the encoder's pixels; images: {paths:?}",
                    d.name(),
                    fixture.name,
                    Agreement::of(&want, &got)
                );
            }
            in_snapshots(|| insta::assert_yaml_snapshot!(fixture.name, Summary::of(&got)));
        }
    }
}

/// Every other pixel layout equals canonical RGBA put through the scalar reference
/// reordering ([`PixelLayout::convert`]), for every fixture (the small ones and the
/// 1600×1200 benchmark ones), every decoder of ours and every kernel level, through both
/// the slice and the `Vec` API. The RGBA snapshots stay the one stored answer.
#[test]
fn every_pixel_layout_is_rgba_reordered() {
    let limits = Limits::default();
    let ours: Vec<_> = ours().collect();
    let all = encode::fixtures()
        .into_iter()
        .chain(encode::bench_fixtures());
    for fixture in all {
        let bmp = encode::encode(&fixture.spec);
        let rgba = expected(&fixture).rgba;
        let layout = shmbmp::Layout::parse(&bmp, &limits).unwrap();
        for pixels in PixelLayout::ALL {
            let want = pixels.convert(&rgba);
            assert_eq!(want.len(), layout.output_len_for(pixels));
            for d in &ours {
                let mut got = vec![0xa5; want.len()];
                d.decode_into_slice_as(&bmp, &limits, pixels, &mut got)
                    .unwrap_or_else(|e| panic!("{} {pixels} on {}: {e}", d.name(), fixture.name));
                if let Some(i) = got.iter().zip(&want).position(|(a, b)| a != b) {
                    panic!(
                        "{} {pixels} on {}: first difference at byte {i}",
                        d.name(),
                        fixture.name
                    );
                }
                let mut v = Vec::new();
                d.decode_into_as(&bmp, &limits, pixels, &mut v).unwrap();
                assert!(v == want, "{} {pixels} on {} (Vec)", d.name(), fixture.name);
            }
        }
    }
}

/// `lut` on 1, 2 and more threads than the image has rows, on the benchmark fixtures and
/// on wide images of 1 to 3 rows (rows split down to one a band), equals the encoder's
/// pixels.
#[test]
fn every_thread_count_decodes_alike() {
    use shmbmp::{Lut, Threads};
    let limits = Limits::default();
    let counts = [1usize, 2, 3, 5000].map(|n| Threads::AtMost(n.try_into().unwrap()));
    let wide = [1u32, 2, 3].map(|height| encode::Spec {
        width: 150_000,
        height,
        header: encode::Header::Info,
        kind: encode::Kind::Rgb24,
        top_down: false,
    });
    let specs = encode::bench_fixtures()
        .into_iter()
        .map(|f| f.spec)
        .chain(wide);
    for spec in specs {
        let bmp = encode::encode(&spec);
        let want = encode::expected_rgba(&spec);
        for threads in counts.into_iter().chain([Threads::AllCores]) {
            for lut in shmbmp::Lut::every_level().into_iter().chain([Lut::AUTO]) {
                let d = lut.with_threads(threads);
                let got = d.decode(&bmp, &limits).unwrap();
                assert!(got.rgba == want, "{} {threads:?} on {spec:?}", d.name());
            }
        }
    }
}

/// A slice of the wrong length is refused with the length each layout needs.
#[test]
fn a_wrong_output_slice_is_refused_naming_both_lengths() {
    let bmp = encode::encode(&encode::fixture("pal8").unwrap().spec);
    let limits = Limits::default();
    for pixels in PixelLayout::ALL {
        let need = shmbmp::Layout::parse(&bmp, &limits)
            .unwrap()
            .output_len_for(pixels);
        for d in ours() {
            let mut out = vec![0; need + 1];
            let e = d
                .decode_into_slice_as(&bmp, &limits, pixels, &mut out)
                .unwrap_err();
            assert_eq!(
                e,
                shmbmp::DecodeError::OutputSize {
                    expected: need,
                    actual: need + 1
                }
            );
            assert!(e.to_string().contains(&need.to_string()), "{e}");
        }
    }
}

/// The 1600×1200 benchmark fixtures decode to the encoder's intended pixels with every
/// decoder of ours (the benchmark times only correct decoders).
#[test]
fn bench_fixtures_decode_as_intended() {
    let limits = Limits::default();
    let ours: Vec<_> = ours().collect();
    let list = encode::bench_fixtures();
    assert_eq!(list.len(), 11);
    for fixture in list {
        let bmp = encode::encode(&fixture.spec);
        let want = expected(&fixture);
        for d in &ours {
            let got = d.decode(&bmp, &limits).unwrap();
            assert!(
                got == want,
                "{} on {}: {:?}",
                d.name(),
                fixture.name,
                Agreement::of(&want, &got)
            );
        }
    }
}

/// decoder × fixture → identical / differs / error, for every decoder in the registry.
#[test]
fn decoder_matrix_over_fixtures() {
    let mut matrix: BTreeMap<&str, BTreeMap<&str, String>> = BTreeMap::new();
    for fixture in encode::fixtures() {
        let bmp = encode::encode(&fixture.spec);
        let rows = check_all(&bmp, &Limits::default());
        assert!(ours_agree(&rows), "{}: our decoders disagree", fixture.name);
        for r in rows {
            if r.origin == Origin::Ours {
                assert_eq!(
                    r.outcome,
                    Outcome::Decoded(Some(Agreement::Identical)),
                    "{} on {}",
                    r.decoder,
                    fixture.name
                );
            }
            matrix
                .entry(fixture.name)
                .or_default()
                .insert(r.decoder, r.outcome.to_string());
        }
    }
    in_snapshots(|| insta::assert_yaml_snapshot!("decoder_matrix", matrix));
}

/// `decode_into` reuses the caller's buffer: same pixels, same allocation.
#[test]
fn decode_into_reuses_the_buffer() {
    let bmp = encode::seed_frame();
    let limits = Limits::default();
    for d in ours() {
        let fresh = d.decode(&bmp, &limits).unwrap();
        let mut out = Vec::with_capacity(fresh.rgba.len());
        let ptr = out.as_ptr();
        d.decode_into(&bmp, &limits, &mut out).unwrap();
        d.decode_into(&bmp, &limits, &mut out).unwrap();
        assert_eq!(out.as_ptr(), ptr, "{} reallocated", d.name());
        assert_eq!(out, fresh.rgba, "{}", d.name());
    }
}

/// `decode_into` a buffer of the right size full of garbage overwrites every byte, on every
/// fixture and on RLE streams cut short (pixels the stream never reaches are palette entry
/// 0, written by the decoder, not left over from the buffer).
#[test]
fn decode_into_a_dirty_buffer_writes_every_byte() {
    let limits = Limits::default();
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for fixture in encode::fixtures() {
        let bmp = encode::encode(&fixture.spec);
        if fixture.name.starts_with("rle") {
            let data = shmbmp_suite::Layout::parse(&bmp, &limits)
                .unwrap()
                .data_offset;
            for cut in [data + 2, data + (bmp.len() - data) / 3, bmp.len() - 3] {
                inputs.push((
                    format!("{} cut at {cut}", fixture.name),
                    bmp[..cut].to_vec(),
                ));
            }
        }
        inputs.push((fixture.name.to_string(), bmp));
    }
    let ours: Vec<_> = ours().collect();
    for (name, bmp) in &inputs {
        for d in &ours {
            let Ok(fresh) = d.decode(bmp, &limits) else {
                continue;
            };
            for garbage in [0x00, 0xa5, 0xff] {
                let mut out = vec![garbage; fresh.rgba.len()];
                d.decode_into(bmp, &limits, &mut out).unwrap();
                assert!(
                    out == fresh.rgba,
                    "{} on {name} kept bytes of {garbage:#x}",
                    d.name()
                );
            }
        }
    }
}
