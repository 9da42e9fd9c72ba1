//! Any input through the table-driven decoder, with the CPU's best kernels and with the
//! scalar reference kernels: both answer, never panic, and answer the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shmbmp::{Decode, Lut};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let auto = Lut::AUTO.decode(data, &limits);
    let scalar = Lut::scalar().decode(data, &limits);
    if let Ok(frame) = &auto {
        common::check_frame(frame, &limits);
    }
    // Compare without printing megabytes of pixels on a mismatch.
    match (&auto, &scalar) {
        (Ok(a), Ok(s)) => {
            assert_eq!(
                (a.width, a.height),
                (s.width, s.height),
                "dimensions differ"
            );
            if let Some(i) = a.rgba.iter().zip(&s.rgba).position(|(x, y)| x != y) {
                panic!(
                    "lut ({:?}) and lut_scalar differ first at byte {i} (pixel {})",
                    Lut::AUTO.kernels(),
                    i / 4
                );
            }
        }
        (a, s) => assert_eq!(
            a.as_ref().err(),
            s.as_ref().err(),
            "lut and lut_scalar disagree on success"
        ),
    }
});
