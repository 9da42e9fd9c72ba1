//! The oracle against the fast strategy: when both succeed the pixels are identical, when
//! one fails the other fails with the same error. Also checks that `decode_into` a reused,
//! dirty buffer of the right size gives the same pixels (no pixel is left unwritten).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shmbmp::{Decode, Lut, Naive};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let naive = Naive.decode(data, &limits);
    let lut = Lut::AUTO.decode(data, &limits);
    match (&naive, &lut) {
        (Ok(n), Ok(l)) => {
            common::check_frame(n, &limits);
            assert_eq!(
                (n.width, n.height),
                (l.width, l.height),
                "dimensions differ"
            );
            if let Some(i) = n.rgba.iter().zip(&l.rgba).position(|(x, y)| x != y) {
                let p = i / 4;
                panic!(
                    "naive and lut differ first at pixel {p} (x {}, y {}): {:?} vs {:?}",
                    p % n.width as usize,
                    p / n.width as usize,
                    &n.rgba[p * 4..p * 4 + 4],
                    &l.rgba[p * 4..p * 4 + 4],
                );
            }
            // A dirty buffer of exactly the right length is reused as is: every byte must
            // still be overwritten.
            let mut dirty = vec![0xa5u8; n.rgba.len()];
            Lut::AUTO
                .decode_into(data, &limits, &mut dirty)
                .expect("decode_into fails where decode succeeded");
            assert!(
                dirty == n.rgba,
                "lut decode_into a dirty buffer left stale bytes"
            );
            dirty.fill(0x5a);
            Naive
                .decode_into(data, &limits, &mut dirty)
                .expect("decode_into fails where decode succeeded");
            assert!(
                dirty == n.rgba,
                "naive decode_into a dirty buffer left stale bytes"
            );
        }
        (n, l) => assert_eq!(n.as_ref().err(), l.as_ref().err(), "naive and lut disagree"),
    }
});
