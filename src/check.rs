//! Running every decoder on one input and saying how each compares with `naive`, the oracle.

use std::fmt;

use crate::decode::{registry, Decode, Frame, Origin};
use crate::error::DecodeError;
use crate::format::Limits;

/// How one decoder's output compares with a reference frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agreement {
    /// Same size and the same RGBA bytes.
    Identical,
    /// Same size, different pixels.
    Differs {
        /// Pixels with at least one differing channel.
        pixels: usize,
        /// Largest absolute difference of any channel.
        max_delta: u8,
    },
    /// Different width or height.
    SizeDiffers {
        /// Width and height of the frame compared against the reference.
        got: (u32, u32),
    },
}

impl Agreement {
    /// Compares `got` with `want`.
    pub fn of(want: &Frame, got: &Frame) -> Self {
        if (want.width, want.height) != (got.width, got.height) {
            return Agreement::SizeDiffers {
                got: (got.width, got.height),
            };
        }
        let mut pixels = 0;
        let mut max_delta = 0;
        for (a, b) in want.rgba.chunks_exact(4).zip(got.rgba.chunks_exact(4)) {
            if a != b {
                pixels += 1;
                for (x, y) in a.iter().zip(b) {
                    max_delta = max_delta.max(x.abs_diff(*y));
                }
            }
        }
        if pixels == 0 {
            Agreement::Identical
        } else {
            Agreement::Differs { pixels, max_delta }
        }
    }
}

/// What one decoder did with one input, relative to the oracle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Decoded; compared with the oracle's frame (or `None` when the oracle failed).
    Decoded(Option<Agreement>),
    /// Returned an error (including caught panics and refusals by limits).
    Failed(DecodeError),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Decoded(Some(Agreement::Identical)) => write!(f, "identical"),
            Outcome::Decoded(Some(Agreement::Differs { pixels, max_delta })) => {
                write!(
                    f,
                    "differs ({pixels} pixels, max channel delta {max_delta})"
                )
            }
            Outcome::Decoded(Some(Agreement::SizeDiffers { got })) => {
                write!(f, "differs (size {}x{})", got.0, got.1)
            }
            Outcome::Decoded(None) => write!(f, "decoded (oracle failed)"),
            Outcome::Failed(DecodeError::Unsupported(what)) => write!(f, "unsupported: {what}"),
            Outcome::Failed(e @ (DecodeError::Panicked { .. } | DecodeError::TimedOut { .. })) => {
                write!(f, "{}", e.kind())
            }
            Outcome::Failed(e) => write!(f, "error: {e}"),
        }
    }
}

/// One row of an agreement table.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The decoder's registry name.
    pub decoder: &'static str,
    /// Ours or a peer.
    pub origin: Origin,
    /// What happened.
    pub outcome: Outcome,
    /// The decoded frame, when there was one.
    pub frame: Option<Frame>,
}

/// Runs every decoder in the registry on `bmp` and compares each with `naive`.
pub fn check_all(bmp: &[u8], limits: &Limits) -> Vec<Checked> {
    let results: Vec<(&dyn Decode, Result<Frame, DecodeError>)> = registry()
        .iter()
        .map(|d| (*d, d.decode(bmp, limits)))
        .collect();
    let oracle = results
        .iter()
        .find(|(d, _)| d.name() == "naive")
        .and_then(|(_, r)| r.as_ref().ok())
        .cloned();
    results
        .into_iter()
        .map(|(d, r)| {
            let (outcome, frame) = match r {
                Ok(frame) => (
                    Outcome::Decoded(oracle.as_ref().map(|o| Agreement::of(o, &frame))),
                    Some(frame),
                ),
                Err(e) => (Outcome::Failed(e), None),
            };
            Checked {
                decoder: d.name(),
                origin: d.origin(),
                outcome,
                frame,
            }
        })
        .collect()
}

/// True when every decoder of ours decoded `bmp` identically, or all of them failed alike.
pub fn ours_agree(rows: &[Checked]) -> bool {
    let ours: Vec<&Checked> = rows.iter().filter(|c| c.origin == Origin::Ours).collect();
    let all_identical = ours
        .iter()
        .all(|c| c.outcome == Outcome::Decoded(Some(Agreement::Identical)));
    let all_failed_alike = ours
        .windows(2)
        .all(|w| match (&w[0].outcome, &w[1].outcome) {
            (Outcome::Failed(a), Outcome::Failed(b)) => a == b,
            _ => false,
        })
        && ours.iter().all(|c| matches!(c.outcome, Outcome::Failed(_)));
    all_identical || all_failed_alike
}
