//! Reading the caller's bytes in place and checking the caller's output array.
//!
//! The stable ABI (abi3) has no buffer API before Python 3.11, so input bytes are viewed
//! through numpy's `PyArray_FromBuffer` (what `numpy.frombuffer` does): a one-dimensional
//! `uint8` array over the object's own memory, no copy, holding the object's buffer export
//! (so a `bytearray` cannot be resized nor an `mmap` closed) until the view is dropped.
//!
//! The GIL is released while the decoder reads that memory, so another thread (or, for a
//! shared block, another process) may write it meanwhile. The length cannot change and every
//! read is bounds-checked against it, so the decode then mixes old and new bytes (wrong
//! pixels, or `DecodeError` when the header changed between the sizing parse and the
//! decoder's own), never reads out of bounds; that is raw mode's contract too. Streams that
//! need whole frames use `Reader`, whose seqlock hands out only untorn copies.

use numpy::npyffi::PY_ARRAY_API;
use numpy::prelude::*;
use numpy::{dtype, PyArray1, PyArray3, PyReadonlyArray1, PyReadwriteArray3, PyUntypedArray};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use shmbmp::PixelLayout;

/// A read-only `uint8` view of any object with the buffer protocol: `bytes`, `bytearray`,
/// `memoryview`, `mmap.mmap`, a C-contiguous numpy array, `SharedMemory.buf`, ...
pub fn bytes_of<'py>(data: &Bound<'py, PyAny>) -> PyResult<PyReadonlyArray1<'py, u8>> {
    let py = data.py();
    // SAFETY: `data` is a live object; `PyArray_FromBuffer` steals the dtype reference that
    // `into_dtype_ptr` hands over and returns a new reference, or NULL with an exception set
    // (a `TypeError` for objects without the buffer protocol).
    let view = unsafe {
        let ptr = PY_ARRAY_API.PyArray_FromBuffer(
            py,
            data.as_ptr(),
            dtype::<u8>(py).into_dtype_ptr(),
            -1,
            0,
        );
        Bound::from_owned_ptr_or_err(py, ptr)?
    };
    let view = view.cast_into::<PyArray1<u8>>()?;
    Ok(view.try_readonly()?)
}

/// Checks that `out` is a writeable C-contiguous `uint8` array of `pixels` pixels — of shape
/// `want` (height, width, bytes a pixel) when given, else of any height and width — and
/// borrows it for writing.
pub fn out_array<'py>(
    out: &Bound<'py, PyAny>,
    want: Option<[usize; 3]>,
    pixels: PixelLayout,
) -> PyResult<PyReadwriteArray3<'py, u8>> {
    let channels = pixels.bytes_per_pixel();
    let array = out.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "out must be a numpy.ndarray of shape {} and dtype uint8, not {}",
            needs(want, pixels),
            type_name(out)
        ))
    })?;
    let dtype = array.dtype();
    if !dtype.is_equiv_to(&numpy::dtype::<u8>(out.py())) {
        return Err(PyTypeError::new_err(format!(
            "out must have dtype uint8, not {dtype}"
        )));
    }
    let shape = array.shape();
    let fits = match want {
        Some(want) => shape == want,
        None => shape.len() == 3 && shape[2] == channels,
    };
    if !fits {
        return Err(WrongShape {
            got: shape.to_vec(),
            want,
            pixels,
        }
        .into());
    }
    if !array.is_c_contiguous() {
        return Err(PyValueError::new_err(
            "out must be C-contiguous (e.g. numpy.empty((h, w, 4), numpy.uint8))",
        ));
    }
    let array = out.cast::<PyArray3<u8>>()?;
    array.try_readwrite().map_err(|e| {
        PyValueError::new_err(format!(
            "out cannot be written: {e} (a read-only array, or one already borrowed)"
        ))
    })
}

/// A borrowed output array as bytes and shape: what a decode writes into with the GIL
/// released, once the image's shape is known.
pub struct OutSlice<'a> {
    bytes: &'a mut [u8],
    shape: [usize; 3],
    pixels: PixelLayout,
}

impl<'a> OutSlice<'a> {
    /// The bytes of `array`, an array `out_array` checked for `pixels`.
    pub fn of(array: &'a mut PyReadwriteArray3<'_, u8>, pixels: PixelLayout) -> PyResult<Self> {
        let [h, w, c] = array.shape() else {
            unreachable!("a PyArray3 has three dimensions")
        };
        let shape = [*h, *w, *c];
        Ok(OutSlice {
            bytes: array.as_slice_mut()?,
            shape,
            pixels,
        })
    }

    /// The bytes, if the array has the shape `want` the image needs.
    pub fn fit(&mut self, want: [usize; 3]) -> Result<&mut [u8], WrongShape> {
        if self.shape != want {
            return Err(WrongShape {
                got: self.shape.to_vec(),
                want: Some(want),
                pixels: self.pixels,
            });
        }
        Ok(self.bytes)
    }
}

/// `out` has the wrong shape: `want` is the image's (height, width, bytes a pixel) when known.
#[derive(Debug)]
pub struct WrongShape {
    got: Vec<usize>,
    want: Option<[usize; 3]>,
    pixels: PixelLayout,
}

impl From<WrongShape> for PyErr {
    fn from(e: WrongShape) -> PyErr {
        PyValueError::new_err(format!(
            "out has shape {:?}, the image needs {} (height, width, {})",
            e.got,
            needs(e.want, e.pixels),
            e.pixels
        ))
    }
}

/// The shape an output needs, e.g. `(1200, 1600, 4)`, or `(height, width, 4)` before the
/// image is known.
fn needs(want: Option<[usize; 3]>, pixels: PixelLayout) -> String {
    match want {
        Some([h, w, c]) => format!("({h}, {w}, {c})"),
        None => format!("(height, width, {})", pixels.bytes_per_pixel()),
    }
}

/// Refuses an output that shares memory with the input: the decoder would read what it has
/// just overwritten (and Rust forbids the aliasing).
pub fn check_disjoint(input: &[u8], out: &[u8]) -> PyResult<()> {
    let (a, b) = (input.as_ptr_range(), out.as_ptr_range());
    if a.start < b.end && b.start < a.end {
        return Err(PyValueError::new_err(
            "out shares memory with the input data; decode into a separate array",
        ));
    }
    Ok(())
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an unknown type".into())
}
