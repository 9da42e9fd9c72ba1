// Shared by every fuzz target (included with `#[path]`, not a crate module).

use shmbmp::{Frame, Limits};

/// Small limits so that legitimately huge images do not slow the fuzzer down:
/// 2^22 pixels (16 MiB of RGBA), at most 2^16 in either direction.
pub fn limits() -> Limits {
    Limits::unlimited()
        .with_max_width(1 << 16)
        .with_max_height(1 << 16)
        .with_max_pixels(1 << 22)
        .with_max_bytes(1 << 24)
}

/// What every `Ok` must satisfy whatever the decoder: dimensions within the limits and
/// exactly `width * height * 4` bytes of RGBA.
pub fn check_frame(frame: &Frame, limits: &Limits) {
    assert!(
        frame.width >= 1 && frame.height >= 1,
        "empty frame {}x{}",
        frame.width,
        frame.height
    );
    assert!(frame.width <= limits.max_width && frame.height <= limits.max_height);
    let pixels = u64::from(frame.width) * u64::from(frame.height);
    assert!(pixels <= limits.max_pixels);
    assert_eq!(frame.rgba.len() as u64, pixels * 4, "RGBA length");
}
