//! Run-length content: a picture with holes, and the RLE4/RLE8 stream that writes it using
//! every escape.

use super::pattern::hash;

/// A cell no RLE instruction writes (skipped by delta, cut by end-of-line/-bitmap).
pub(super) const UNSET: u16 = 0x100;

/// The RLE picture in stored order (row 0 = bottom), `UNSET` where nothing is written.
pub(super) fn rle_cells(w: u32, h: u32, colors: u16) -> Vec<u16> {
    let c = u32::from(colors);
    let mut cells = Vec::with_capacity(w as usize * h as usize);
    for s in 0..h {
        let a = (s * 5 + 1) % c;
        let b = if c > 1 { (a + 1 + s % (c - 1)) % c } else { a };
        for x in 0..w {
            // The last row stops half way: end-of-bitmap leaves the rest unset.
            let eob = s == h - 1 && x >= w / 2;
            // Right half of row s, all of s + 1, left half of s + 2: one delta down two rows.
            let down = match s % 9 {
                4 => x >= w / 2,
                5 => true,
                6 => x <= w / 2,
                _ => false,
            };
            // A gap inside the row: delta right.
            let right = s % 5 == 1 && x >= 5 * w / 8 && x < 11 * w / 16;
            // The row's tail: end-of-line before the row's end.
            let eol = s % 6 == 2 && x >= 7 * w / 8;
            let hole = eob || down || right || eol;
            let v = if hole {
                UNSET
            } else if x < w / 4 {
                ((s / 3) % c) as u16 // long flat runs (split at 255 in wide images)
            } else if x < 3 * w / 8 {
                (if x % 2 == 0 { a } else { b }) as u16 // alternating pairs
            } else if x < 5 * w / 8 {
                (hash(x, s) % c) as u16 // noise: absolute blocks
            } else {
                // A ramp with sparse noise: medium runs broken now and then.
                let flip = u32::from(hash(x, s) & 15 == 0);
                ((x * c / w + flip).min(c - 1)) as u16
            };
            cells.push(v);
        }
    }
    cells
}

/// Counts of each RLE instruction written, to check that fixtures use every escape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct RleStats {
    runs: usize,
    full_runs: usize,
    pair_runs: usize,
    abs_odd: usize,
    abs_padded: usize,
    abs_even: usize,
    eol: usize,
    eol_early: usize,
    delta_row: usize,
    delta_down: usize,
    eob: usize,
    eob_early: usize,
}

/// Length (≤ 255) of the run starting at `v[0]`: equal values (RLE8) or a repeating pair (RLE4).
#[inline]
fn run_len(v: &[u16], four_bit: bool) -> usize {
    let max = v.len().min(255);
    let mut n = 1;
    while n < max && v[n] == if four_bit { v[n % 2] } else { v[0] } {
        n += 1;
    }
    n
}

/// Encodes one stretch of set pixels within a row.
fn rle_stretch(v: &[u16], four_bit: bool, out: &mut Vec<u8>, st: &mut RleStats) {
    let threshold = if four_bit { 4 } else { 3 };
    let run_byte = |v: &[u16], n: usize| -> u8 {
        if four_bit {
            let lo = if n > 1 { v[1] } else { 0 };
            ((v[0] << 4) | lo) as u8
        } else {
            v[0] as u8
        }
    };
    let mut i = 0;
    while i < v.len() {
        let n = run_len(&v[i..], four_bit);
        if n >= threshold {
            out.extend([n as u8, run_byte(&v[i..], n)]);
            st.runs += 1;
            st.full_runs += usize::from(n == 255);
            st.pair_runs += usize::from(four_bit && v[i] != v[i + 1]);
            i += n;
            continue;
        }
        let mut j = i;
        while j < v.len() && j - i < 255 && run_len(&v[j..], four_bit) < threshold {
            j += 1;
        }
        let block = &v[i..j];
        if block.len() < 3 {
            // Too short for absolute mode: one or two pixels as runs.
            if four_bit {
                out.extend([block.len() as u8, run_byte(block, block.len())]);
                st.pair_runs += usize::from(block.len() == 2 && block[0] != block[1]);
                st.runs += 1;
            } else {
                for &p in block {
                    out.extend([1, p as u8]);
                    st.runs += 1;
                }
            }
        } else {
            out.extend([0, block.len() as u8]);
            let start = out.len();
            if four_bit {
                for pair in block.chunks(2) {
                    let lo = pair.get(1).copied().unwrap_or(0);
                    out.push(((pair[0] << 4) | lo) as u8);
                }
            } else {
                out.extend(block.iter().map(|&p| p as u8));
            }
            let padded = (out.len() - start) % 2 == 1;
            if padded {
                out.push(0);
            }
            st.abs_padded += usize::from(padded);
            if block.len() % 2 == 1 {
                st.abs_odd += 1;
            } else {
                st.abs_even += 1;
            }
        }
        i = j;
    }
}

/// The RLE stream for `cells` (stored order), with the instruction counts.
pub(super) fn rle_stream(cells: &[u16], w: usize, h: usize, four_bit: bool) -> (Vec<u8>, RleStats) {
    let mut out = Vec::with_capacity(cells.len() / 2 + 64);
    let mut st = RleStats::default();
    let (mut x, mut s) = (0usize, 0usize);
    loop {
        let at = s * w + x;
        if x < w && cells[at] != UNSET {
            let end = cells[at..s * w + w]
                .iter()
                .position(|&c| c == UNSET)
                .map_or(w, |p| x + p);
            rle_stretch(&cells[at..s * w + end], four_bit, &mut out, &mut st);
            x = end;
            continue;
        }
        // At a hole or the row's end: find the next pixel to write.
        let Some(next) = cells[at.min(cells.len())..]
            .iter()
            .position(|&c| c != UNSET)
            .map(|p| at + p)
        else {
            out.extend([0, 1]);
            st.eob += 1;
            st.eob_early += usize::from(at < w * h);
            return (out, st);
        };
        let (nx, ns) = (next % w, next / w);
        if ns == s {
            let dx = (nx - x).min(255);
            out.extend([0, 2, dx as u8, 0]);
            st.delta_row += 1;
            x += dx;
        } else if nx >= x && ns - s <= 255 {
            let dx = (nx - x).min(255);
            out.extend([0, 2, dx as u8, (ns - s) as u8]);
            st.delta_down += 1;
            x += dx;
            s = ns;
        } else {
            out.extend([0, 0]);
            st.eol += 1;
            st.eol_early += usize::from(x < w);
            x = 0;
            s += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::pattern::palette_rgba;
    use crate::encode::{bench_fixtures, expected_rgba, fixture, fixtures, Fixture, Kind};
    use crate::format::palette::MISSING;

    fn rle_fixture_stats(f: &Fixture) -> RleStats {
        let (w, h) = (f.spec.width as usize, f.spec.height as usize);
        match f.spec.kind {
            Kind::Rle8 { colors } => {
                rle_stream(&rle_cells(w as u32, h as u32, colors), w, h, false).1
            }
            Kind::Rle4 { colors } => {
                rle_stream(&rle_cells(w as u32, h as u32, colors), w, h, true).1
            }
            _ => unreachable!(),
        }
    }

    #[test]
    fn rle_fixtures_use_every_escape() {
        let rle: Vec<_> = fixtures()
            .into_iter()
            .chain(bench_fixtures())
            .filter(|f| matches!(f.spec.kind, Kind::Rle8 { .. } | Kind::Rle4 { .. }))
            .collect();
        assert!(rle.len() >= 6);
        for f in &rle {
            let st = rle_fixture_stats(f);
            let four = matches!(f.spec.kind, Kind::Rle4 { .. });
            assert!(st.runs > 0, "{}: {st:?}", f.name);
            assert!(
                st.abs_odd > 0 && st.abs_even > 0 && st.abs_padded > 0,
                "{}: {st:?}",
                f.name
            );
            assert!(st.eol > 0 && st.eol_early > 0, "{}: {st:?}", f.name);
            assert!(st.delta_row > 0 && st.delta_down > 0, "{}: {st:?}", f.name);
            assert_eq!((st.eob, st.eob_early), (1, 1), "{}: {st:?}", f.name);
            assert!(!four || st.pair_runs > 0, "{}: {st:?}", f.name);
            if f.spec.width > 1024 {
                assert!(st.full_runs > 0, "{}: no run split at 255: {st:?}", f.name);
            }
        }
        // The expected image has unset pixels, and they are palette entry 0, not black.
        let f = fixture("rle8").unwrap();
        let e = expected_rgba(&f.spec);
        let p0 = palette_rgba(256)[0];
        assert_ne!(p0, MISSING);
        let unset = rle_cells(f.spec.width, f.spec.height, 256)
            .iter()
            .filter(|&&c| c == UNSET)
            .count();
        assert!(unset > 0);
        assert!(e.chunks(4).filter(|p| *p == p0).count() >= unset);
    }
}
