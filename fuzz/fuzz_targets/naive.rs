//! Any input through the oracle: a frame or a typed error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shmbmp::{Decode, Naive};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    if let Ok(frame) = Naive.decode(data, &limits) {
        common::check_frame(&frame, &limits);
    }
});
