//! The suite's own outcome type: a decoder's error, or what only a harness sees.

use thiserror::Error;

pub use shmbmp::DecodeError;

/// Why a decoder in the suite gave no frame: the decoder's own [`DecodeError`], or an
/// outcome only the harness sees (a peer's error, a caught panic, a timeout).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The decoder refused the input with a typed error.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A third-party decoder returned an error.
    #[error("{decoder}: {message}")]
    Peer {
        /// The adapter's name.
        decoder: &'static str,
        /// The peer's own message.
        message: String,
    },
    /// A third-party decoder panicked; the panic was caught.
    #[error("{decoder} panicked: {message}")]
    Panicked {
        /// The adapter's name.
        decoder: &'static str,
        /// The panic payload, when it was a string.
        message: String,
    },
    /// A third-party decoder did not return within its time budget.
    #[error("{decoder} timed out after {millis} ms")]
    TimedOut {
        /// The adapter's name.
        decoder: &'static str,
        /// The budget that ran out.
        millis: u64,
    },
}

impl Error {
    /// Short classification used in matrices: `unsupported`, `refused by limits`, `panicked`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Decode(e) => e.kind(),
            Error::Peer { .. } => "error",
            Error::Panicked { .. } => "panicked",
            Error::TimedOut { .. } => "timed out",
        }
    }
}
