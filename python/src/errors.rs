//! The package's exceptions and how core errors become them.

use pyo3::create_exception;
use pyo3::exceptions::{PyOSError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use shmbmp::shm::ShmError as CoreShmError;

create_exception!(
    shmbmp,
    DecodeError,
    PyValueError,
    "The bytes are not a BMP this package decodes. The message names the field, offset and \
     value that was wrong; `kind` classifies it (`truncated`, `invalid`, `unsupported`, ...)."
);

create_exception!(
    shmbmp,
    ShmError,
    PyOSError,
    "A shared-memory region could not be created, opened or read. `errno` is set when the \
     operating system refused."
);

/// A core decode error as `shmbmp.DecodeError`, its message unchanged, with `kind` set.
pub fn decode_error(e: shmbmp::DecodeError) -> PyErr {
    let err = DecodeError::new_err(e.to_string());
    Python::attach(|py| {
        // Setting an attribute on a fresh exception instance cannot fail in practice; if it
        // did, the error without `kind` is still the right error.
        let _ = err.value(py).setattr("kind", e.kind());
    });
    err
}

/// A core shared-memory error: decode failures as `DecodeError`, a wait that ran out as
/// `TimeoutError`, the rest as `ShmError` (with `errno` where the OS gave one).
pub fn shm_error(e: CoreShmError) -> PyErr {
    let message = e.to_string();
    match e {
        CoreShmError::Decode(d) => decode_error(d),
        CoreShmError::Timeout { .. } => PyTimeoutError::new_err(message),
        CoreShmError::NotFound { .. } => ShmError::new_err((ENOENT, message)),
        CoreShmError::Io { source, .. } => match source.raw_os_error() {
            Some(errno) => ShmError::new_err((errno, message)),
            None => ShmError::new_err(message),
        },
        _ => ShmError::new_err(message),
    }
}

/// `errno` for a missing file (2 on Linux and every other Unix with `/dev/shm`).
const ENOENT: i32 = 2;
