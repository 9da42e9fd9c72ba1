//! Our conversions of peers' own outputs to canonical RGBA, timed apart from the peers'
//! calls: packed RGB (SSSE3 byte shuffles where the CPU has them, else 32-bit word
//! arithmetic), grey, grey and alpha, and the `bmp` crate's `Image`.

/// Packed RGB to RGBA with alpha 255; `dst` holds 4 bytes for every 3 of `src`.
pub(crate) fn rgb_to_rgba(src: &[u8], dst: &mut [u8]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("ssse3") {
        // SAFETY: the CPU has SSSE3, checked just above.
        let done = unsafe { x86::rgb_to_rgba(src, dst) };
        return rgb_to_rgba_words(&src[done * 3..], &mut dst[done * 4..]);
    }
    rgb_to_rgba_words(src, dst);
}

/// The portable path: four pixels (three 32-bit words in, four out) a step.
fn rgb_to_rgba_words(src: &[u8], dst: &mut [u8]) {
    let mut s = src.chunks_exact(12);
    let mut d = dst.chunks_exact_mut(16);
    for (s, d) in (&mut s).zip(&mut d) {
        let word = |i: usize| u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]);
        let (a, b, c) = (word(0), word(4), word(8));
        let opaque = 0xff00_0000;
        let px = [
            a | opaque,
            (a >> 24) | (b << 8) | opaque,
            (b >> 16) | (c << 16) | opaque,
            (c >> 8) | opaque,
        ];
        for (d, p) in d.chunks_exact_mut(4).zip(px) {
            d.copy_from_slice(&p.to_le_bytes());
        }
    }
    for (s, d) in s
        .remainder()
        .chunks_exact(3)
        .zip(d.into_remainder().chunks_exact_mut(4))
    {
        d.copy_from_slice(&[s[0], s[1], s[2], 255]);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m128i, _mm_loadu_si128, _mm_or_si128, _mm_set1_epi32, _mm_setr_epi8, _mm_shuffle_epi8,
        _mm_storeu_si128,
    };

    /// Converts whole groups of 4 pixels while 16 bytes can be loaded from `src` (the last
    /// group reads 4 bytes past its 12); returns the pixels converted.
    ///
    /// # Safety
    /// The CPU must have SSSE3.
    #[target_feature(enable = "ssse3")]
    pub(super) unsafe fn rgb_to_rgba(src: &[u8], dst: &mut [u8]) -> usize {
        let groups = (src.len().saturating_sub(4) / 12).min(dst.len() / 16);
        let take = _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1);
        let alpha = _mm_set1_epi32(0xff00_0000_u32 as i32);
        for g in 0..groups {
            // SAFETY: g < groups, so 12 * g + 16 <= src.len() and 16 * g + 16 <= dst.len();
            // both accesses are unaligned loads and stores, which SSE2 allows.
            unsafe {
                let v = _mm_loadu_si128(src.as_ptr().add(12 * g).cast::<__m128i>());
                let px = _mm_or_si128(_mm_shuffle_epi8(v, take), alpha);
                _mm_storeu_si128(dst.as_mut_ptr().add(16 * g).cast::<__m128i>(), px);
            }
        }
        groups * 4
    }
}

/// Grey to RGBA with alpha 255.
pub(crate) fn grey_to_rgba(src: &[u8], dst: &mut [u8]) {
    for (d, &v) in dst.chunks_exact_mut(4).zip(src) {
        d.copy_from_slice(&((u32::from(v) * 0x0001_0101) | 0xff00_0000).to_le_bytes());
    }
}

/// Grey and alpha to RGBA.
pub(crate) fn grey_alpha_to_rgba(src: &[u8], dst: &mut [u8]) {
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(2)) {
        d.copy_from_slice(&[s[0], s[0], s[0], s[1]]);
    }
}

/// The `bmp` crate's image to RGBA through `get_pixel`, its only pixel access; the crate
/// has no alpha, so alpha is 255.
pub(crate) fn bmp_to_rgba(img: &bmp::Image, dst: &mut [u8]) {
    let width = img.get_width() as usize;
    if width == 0 {
        return;
    }
    for (y, row) in (0u32..).zip(dst.chunks_exact_mut(width * 4)) {
        for (x, d) in (0u32..).zip(row.chunks_exact_mut(4)) {
            let p = img.get_pixel(x, y);
            d.copy_from_slice(&[p.r, p.g, p.b, 255]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgb_paths_agree_at_every_length_and_offset() {
        let rgb: Vec<u8> = (0..3 * 70).map(|i| (i * 37 % 256) as u8).collect();
        for pixels in 0..70 {
            for offset in 0..3 {
                let src = &rgb[offset * 3..(offset + pixels).min(70) * 3];
                let n = src.len() / 3;
                let want: Vec<u8> = src
                    .chunks_exact(3)
                    .flat_map(|p| [p[0], p[1], p[2], 255])
                    .collect();
                let mut fast = vec![7; n * 4];
                rgb_to_rgba(src, &mut fast);
                let mut words = vec![7; n * 4];
                rgb_to_rgba_words(src, &mut words);
                assert_eq!((fast == want, words == want), (true, true), "{n} px");
            }
        }
    }

    #[test]
    fn grey_expands_to_three_channels() {
        let mut out = vec![0; 8];
        grey_to_rgba(&[5, 200], &mut out);
        assert_eq!(out, [5, 5, 5, 255, 200, 200, 200, 255]);
        grey_alpha_to_rgba(&[3, 4, 9, 0], &mut out);
        assert_eq!(out, [3, 3, 3, 4, 9, 9, 9, 0]);
    }
}
