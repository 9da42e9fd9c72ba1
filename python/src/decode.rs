//! `decode`, `decode_into`, `info`, `decoders`: BMP bytes to RGBA arrays.

use numpy::prelude::*;
use numpy::PyArray3;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use shmbmp::format::PixelFormat;
use shmbmp::{Decode, Layout, Limits, PixelLayout};

use crate::buffer::{bytes_of, check_disjoint, out_array};
use crate::errors::decode_error;

/// How to decode: the decoder, the pixel layout written and the limits checked before
/// anything is allocated.
#[derive(Clone, Copy)]
pub struct Options {
    pub decoder: &'static dyn Decode,
    pub pixels: PixelLayout,
    pub limits: Limits,
}

impl Options {
    /// The decoder called `decoder` and the pixel layout called `layout` (`ValueError` naming the
    /// choices otherwise), and the core's default limits, lowered by `max_pixels` /
    /// `max_bytes` when given.
    pub fn new(
        decoder: &str,
        layout: &str,
        max_pixels: Option<u64>,
        max_bytes: Option<u64>,
    ) -> PyResult<Self> {
        Options {
            decoder: shmbmp::by_name(decoder).map_err(|e| PyValueError::new_err(e.to_string()))?,
            pixels: PixelLayout::Rgba,
            limits: limits(max_pixels, max_bytes),
        }
        .with_layout(layout)
    }

    /// These options with the pixel layout called `layout` (`ValueError` naming the choices
    /// otherwise).
    pub fn with_layout(self, layout: &str) -> PyResult<Self> {
        Ok(Options {
            pixels: layout
                .parse()
                .map_err(|e: shmbmp::format::UnknownPixelLayout| {
                    PyValueError::new_err(e.to_string())
                })?,
            ..self
        })
    }

    /// The shape of the output array for the image `layout` describes.
    pub fn shape(&self, layout: &Layout) -> [usize; 3] {
        [
            layout.height as usize,
            layout.width as usize,
            self.pixels.bytes_per_pixel(),
        ]
    }

    /// Parses `bmp`'s headers (cheap) to size the output.
    pub fn layout(&self, bmp: &[u8]) -> PyResult<Layout> {
        Layout::parse(bmp, &self.limits).map_err(decode_error)
    }

    /// Decodes `bmp` into `out` with the GIL released.
    pub fn decode_into_slice(&self, py: Python<'_>, bmp: &[u8], out: &mut [u8]) -> PyResult<()> {
        check_disjoint(bmp, out)?;
        let Options {
            decoder,
            pixels,
            limits,
        } = *self;
        py.detach(|| decoder.decode_into_slice_as(bmp, &limits, pixels, out))
            .map_err(decode_error)?;
        Ok(())
    }

    /// Decodes `bmp` into `out` when given (checked against the image's shape), else into a
    /// new `(height, width, 4)` array.
    pub fn decode_to_array<'py>(
        &self,
        py: Python<'py>,
        bmp: &[u8],
        out: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArray3<u8>>> {
        let layout = self.layout(bmp)?;
        let array = match out {
            Some(out) => {
                let mut rw = out_array(out, Some(self.shape(&layout)), self.pixels)?;
                self.decode_into_slice(py, bmp, rw.as_slice_mut()?)?;
                return Ok(out.cast::<PyArray3<u8>>()?.clone());
            }
            None => new_array(py, self.shape(&layout)),
        };
        self.decode_into_slice(py, bmp, array.readwrite().as_slice_mut()?)?;
        Ok(array)
    }
}

/// A new C-contiguous `uint8` array of shape `dims`, not zeroed: the decode writes every
/// byte (zeroing first cost 0.2 ms on the seed frame).
fn new_array(py: Python<'_>, dims: [usize; 3]) -> Bound<'_, PyArray3<u8>> {
    // SAFETY: `u8` has no invalid values and needs no drop. The memory comes from numpy's
    // allocator through FFI, so the compiler cannot treat it as uninitialised. The only
    // caller, `decode_to_array`, hands it straight to `decode_into_slice`, which writes every
    // byte on success (the `Decode` contract; core's equivalence tests check it with dirty
    // buffers, and so does python/tests/test_fixtures.py); on failure the array is dropped
    // before Python can see it.
    unsafe { PyArray3::new(py, dims, false) }
}

fn limits(max_pixels: Option<u64>, max_bytes: Option<u64>) -> Limits {
    let mut limits = Limits::default();
    if let Some(n) = max_pixels {
        limits = limits.with_max_pixels(n);
    }
    if let Some(n) = max_bytes {
        limits = limits.with_max_bytes(n);
    }
    limits
}

/// Decodes a whole BMP file to a new array of shape (height, width, 4), uint8,
/// C-contiguous, top row first, RGBA (`layout` = "BGRA", or "RGB" / "BGR" for
/// (height, width, 3) without alpha, writes that layout directly).
///
/// `data` is any object with the buffer protocol (bytes, bytearray, memoryview, mmap.mmap,
/// a C-contiguous numpy array, SharedMemory.buf); it is read in place, never copied. The GIL
/// is released while decoding: bytes another thread or process writes meanwhile may give
/// wrong pixels or DecodeError (use a framed Reader for streams), never a crash.
/// `max_pixels` and `max_bytes` (the output's size) lower the default limits (2**28
/// pixels, 1 GiB), which are checked before anything is allocated.
/// Raises DecodeError (a ValueError) naming the field, offset and value that was wrong.
#[pyfunction]
#[pyo3(signature = (
    data,
    *,
    decoder = "lut",
    layout = "RGBA",
    max_pixels = None,
    max_bytes = None,
))]
pub fn decode<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    decoder: &str,
    layout: &str,
    max_pixels: Option<u64>,
    max_bytes: Option<u64>,
) -> PyResult<Bound<'py, PyArray3<u8>>> {
    let opts = Options::new(decoder, layout, max_pixels, max_bytes)?;
    let input = bytes_of(data)?;
    opts.decode_to_array(py, input.as_slice()?, None)
}

/// Decodes a whole BMP file into `out`, a writeable C-contiguous uint8 array of shape
/// (height, width, 4) (3 for `layout` "RGB" or "BGR"), and returns (width, height).
/// Allocates nothing: the loop a camera reader runs. A wrong shape or dtype raises
/// ValueError or TypeError before anything is written; on DecodeError `out` holds no
/// meaningful pixels. Otherwise as `decode`.
#[pyfunction]
#[pyo3(signature = (
    data,
    out,
    *,
    decoder = "lut",
    layout = "RGBA",
    max_pixels = None,
    max_bytes = None,
))]
pub fn decode_into<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    out: &Bound<'py, PyAny>,
    decoder: &str,
    layout: &str,
    max_pixels: Option<u64>,
    max_bytes: Option<u64>,
) -> PyResult<(u32, u32)> {
    let opts = Options::new(decoder, layout, max_pixels, max_bytes)?;
    let input = bytes_of(data)?;
    let bmp = input.as_slice()?;
    let header = opts.layout(bmp)?;
    let mut out = out_array(out, Some(opts.shape(&header)), opts.pixels)?;
    opts.decode_into_slice(py, bmp, out.as_slice_mut()?)?;
    Ok((header.width, header.height))
}

/// The parsed headers as a dict: width, height, top_down, bits (per pixel), compression
/// (the field as declared), format ("indexed", "rle8", "rle4", "bgr24" or "bitfields"),
/// masks ((r, g, b, a) for bitfields, else None), palette_size (entries in the file),
/// alpha (True when the file declares an alpha channel), header (its name and size),
/// data_offset, file_size (bfSize as declared) and output_len (bytes of RGBA).
/// Raises DecodeError as `decode` does.
#[pyfunction]
#[pyo3(signature = (data, *, max_pixels = None, max_bytes = None))]
pub fn info<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    max_pixels: Option<u64>,
    max_bytes: Option<u64>,
) -> PyResult<Bound<'py, PyDict>> {
    let input = bytes_of(data)?;
    let l =
        Layout::parse(input.as_slice()?, &limits(max_pixels, max_bytes)).map_err(decode_error)?;
    let (format, masks) = match l.format {
        PixelFormat::Indexed { .. } => ("indexed", None),
        PixelFormat::Rle8 => ("rle8", None),
        PixelFormat::Rle4 => ("rle4", None),
        PixelFormat::Bgr24 => ("bgr24", None),
        PixelFormat::Bitfields { masks, .. } => (
            "bitfields",
            Some((
                masks.r.mask(),
                masks.g.mask(),
                masks.b.mask(),
                masks.a.mask(),
            )),
        ),
    };
    let d = PyDict::new(py);
    d.set_item("width", l.width)?;
    d.set_item("height", l.height)?;
    d.set_item("top_down", l.top_down)?;
    d.set_item("bits", l.bpp)?;
    d.set_item("compression", l.compression)?;
    d.set_item("format", format)?;
    d.set_item("masks", masks)?;
    d.set_item("palette_size", l.palette.len)?;
    d.set_item("alpha", l.has_alpha)?;
    d.set_item("header", l.header.describe())?;
    d.set_item("data_offset", l.data_offset)?;
    d.set_item("file_size", l.declared_file_size)?;
    d.set_item("output_len", l.output_len())?;
    Ok(d)
}

/// The names `decoder=` accepts on this CPU: "naive" (the byte-at-a-time oracle), "lut"
/// (the fast one), "lut_mt" (rows over every core), then "lut" forced onto each kernel
/// level this CPU runs ("lut_scalar", "lut_avx2", ...).
#[pyfunction]
pub fn decoders() -> Vec<&'static str> {
    shmbmp::decode::all().map(|d| d.name()).collect()
}
