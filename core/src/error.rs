//! The one error type every decoder of this crate returns.

use thiserror::Error;

/// Why a BMP could not be decoded. Messages name the field, offset and value that was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before a structure it declares.
    #[error("truncated: the input has {len} bytes, but the {what} needs bytes {start}..{end}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// First byte needed.
        start: usize,
        /// One past the last byte needed.
        end: usize,
        /// Length of the input.
        len: usize,
    },
    /// The first two bytes are not `BM`.
    #[error(
        "not a BMP: the input starts with {}, where a BMP starts with 42 4d (\"BM\")",
        shown(found)
    )]
    BadMagic {
        /// The two bytes found.
        found: [u8; 2],
    },
    /// A header field holds a value the format does not allow.
    #[error("invalid {field} at offset {offset}: {value} ({reason})")]
    InvalidField {
        /// Name of the field.
        field: &'static str,
        /// Byte offset of the field in the file.
        offset: usize,
        /// The value found.
        value: i64,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A valid BMP variant this decoder does not handle.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The image is larger than the caller's [`Limits`](crate::Limits) allow.
    #[error("refused by limits: {what} is {value}, limit is {limit}")]
    LimitExceeded {
        /// Which limit.
        what: &'static str,
        /// The value the file asks for.
        value: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The caller's output slice is not the length the image decodes to.
    #[error(
        "wrong output size: the image decodes to {expected} bytes, the output slice has {actual}"
    )]
    OutputSize {
        /// `Layout::output_len()` of the image.
        expected: usize,
        /// Length of the slice given.
        actual: usize,
    },
}

impl DecodeError {
    /// Short classification used in matrices: `unsupported`, `refused by limits`, `panicked`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::Truncated { .. } => "truncated",
            DecodeError::BadMagic { .. } => "bad magic",
            DecodeError::InvalidField { .. } => "invalid",
            DecodeError::Unsupported(_) => "unsupported",
            DecodeError::LimitExceeded { .. } => "refused by limits",
            DecodeError::OutputSize { .. } => "wrong output size",
        }
    }
}

/// Two bytes in hex, and as text when both are printable ASCII: `53 48 ("SH")`.
fn shown(bytes: &[u8; 2]) -> String {
    let hex = format!("{:02x} {:02x}", bytes[0], bytes[1]);
    if bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("{hex} (\"{}{}\")", bytes[0] as char, bytes[1] as char)
    } else {
        hex
    }
}
