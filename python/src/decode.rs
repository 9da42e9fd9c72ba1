//! `decode`, `decode_into`, `info`, `decoders`: BMP bytes to RGBA arrays.

use std::num::NonZeroUsize;

use numpy::prelude::*;
use numpy::PyArray3;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use shmbmp::decode::output_buffer;
use shmbmp::format::PixelFormat;
use shmbmp::{Decode, DecodeError, Dims, Layout, Limits, Lut, PixelLayout, Threads};

use crate::buffer::{bytes_of, check_disjoint, out_array, OutSlice, WrongShape};
use crate::errors::decode_error;

/// How to decode: the decoder (on its threads), the pixel layout written and the limits
/// checked before anything is allocated.
#[derive(Clone, Copy)]
pub struct Options {
    decoder: Decoder,
    pub pixels: PixelLayout,
    pub limits: Limits,
}

/// The decoder `decoder=` and `threads=` chose: the registry's, or `lut` (or one of its
/// kernel levels) on more than one thread, or on as many as each frame calls for.
#[derive(Clone, Copy)]
enum Decoder {
    Registry(&'static dyn Decode),
    Threaded(Lut),
    /// A Reader's default for `lut` and its levels: [`Threads::for_frame`], decided by
    /// [`Options::for_frame`] (one thread until then).
    PerFrame(Lut),
}

impl Decoder {
    /// The decoder called `name` on at most `threads` threads (`ValueError` naming the
    /// choices otherwise). `lut` and its kernel levels split rows over any count; `naive`
    /// runs on one thread and `lut_mt` on every core, so they take only 1.
    fn new(name: &str, threads: i64) -> PyResult<Self> {
        let decoder = shmbmp::by_name(name).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let n = usize::try_from(threads)
            .ok()
            .and_then(NonZeroUsize::new)
            .ok_or_else(|| PyValueError::new_err(format!("threads must be >= 1, not {threads}")))?;
        if n.get() == 1 {
            return Ok(Decoder::Registry(decoder));
        }
        let lut = Lut::named(name).ok_or_else(|| {
                let why = if name == Lut::PARALLEL.name() {
                    format!("{name} splits rows over every core already: for at most {n} threads use decoder=\"lut\", threads={n}")
                } else {
                    format!("{name} decodes on one thread; threads= applies to lut and its kernel levels")
                };
                PyValueError::new_err(format!("threads={n}: {why}"))
            })?;
        Ok(Decoder::Threaded(lut.with_threads(Threads::AtMost(n))))
    }

    fn get(&self) -> &dyn Decode {
        match self {
            Decoder::Registry(d) => *d,
            Decoder::Threaded(lut) | Decoder::PerFrame(lut) => lut,
        }
    }
}

/// Why a decode with the GIL released gave no pixels.
pub enum Failure {
    Decode(DecodeError),
    Shape(WrongShape),
    Overlap(PyErr),
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        match f {
            Failure::Decode(e) => decode_error(e),
            Failure::Shape(e) => e.into(),
            Failure::Overlap(e) => e,
        }
    }
}

impl Options {
    /// The decoder called `decoder` on `threads` threads and the pixel layout called
    /// `layout` (`ValueError` naming the choices otherwise), and the core's default limits,
    /// lowered by `max_pixels` / `max_bytes` when given.
    pub fn new(
        decoder: &str,
        threads: i64,
        layout: &str,
        max_pixels: Option<u64>,
        max_bytes: Option<u64>,
    ) -> PyResult<Self> {
        Options {
            decoder: Decoder::new(decoder, threads)?,
            pixels: PixelLayout::Rgba,
            limits: limits(max_pixels, max_bytes),
        }
        .with_layout(layout)
    }

    /// As [`Options::new`], but `threads` `None` (a Reader's default) lets `lut` and its
    /// kernel levels take as many threads as each frame calls for ([`Options::for_frame`]);
    /// other decoders then run on one.
    pub fn per_frame(
        decoder: &str,
        threads: Option<i64>,
        layout: &str,
        max_pixels: Option<u64>,
        max_bytes: Option<u64>,
    ) -> PyResult<Self> {
        let opts = Options::new(decoder, threads.unwrap_or(1), layout, max_pixels, max_bytes)?;
        Ok(match (threads, Lut::named(decoder)) {
            (None, Some(lut)) => Options {
                decoder: Decoder::PerFrame(lut),
                ..opts
            },
            _ => opts,
        })
    }

    /// These options for a frame a Reader `waited` for or found already there: where the
    /// threads are chosen per frame, [`Threads::for_frame`]'s; otherwise unchanged.
    pub fn for_frame(self, waited: bool) -> Self {
        match self.decoder {
            Decoder::PerFrame(lut) => Options {
                decoder: Decoder::PerFrame(lut.with_threads(Threads::for_frame(waited))),
                ..self
            },
            _ => self,
        }
    }

    /// The threads a frame a Reader waited for decodes on: a Reader has their helpers wait
    /// with it ([`shmbmp::shm::Reader::waking_helpers`]).
    pub fn waited_threads(&self) -> Threads {
        match self.decoder {
            Decoder::Registry(_) => Threads::One,
            Decoder::Threaded(lut) => lut.threads(),
            Decoder::PerFrame(_) => Threads::for_frame(true),
        }
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

    /// Decodes `bmp` into `out` if it has the image's shape (else `Failure::Shape`). Needs
    /// no GIL: callers release it.
    pub fn decode_into_out(&self, bmp: &[u8], out: &mut OutSlice<'_>) -> Result<Dims, Failure> {
        let shape = self.shape(&Layout::parse(bmp, &self.limits).map_err(Failure::Decode)?);
        self.fill(bmp, out.fit(shape).map_err(Failure::Shape)?)
    }

    /// Decodes `bmp` into a new buffer, returned with the array shape it has. Needs no GIL.
    pub fn decode_new(&self, bmp: &[u8]) -> Result<(Vec<u8>, [usize; 3]), Failure> {
        let shape = self.shape(&Layout::parse(bmp, &self.limits).map_err(Failure::Decode)?);
        let mut pixels = output_buffer(shape.iter().product());
        self.fill(bmp, &mut pixels)?;
        Ok((pixels, shape))
    }

    fn fill(&self, bmp: &[u8], out: &mut [u8]) -> Result<Dims, Failure> {
        check_disjoint(bmp, out).map_err(Failure::Overlap)?;
        self.decoder
            .get()
            .decode_into_slice_as(bmp, &self.limits, self.pixels, out)
            .map_err(Failure::Decode)
    }

    /// Decodes `bmp` into a new `(height, width, 4)` array (3 for RGB and BGR), the GIL
    /// released meanwhile.
    pub fn decode_to_array<'py>(
        &self,
        py: Python<'py>,
        bmp: &[u8],
    ) -> PyResult<Bound<'py, PyArray3<u8>>> {
        let array = new_array(py, self.shape(&self.layout(bmp)?));
        let mut rw = array.readwrite();
        let mut out = OutSlice::of(&mut rw, self.pixels)?;
        py.detach(|| self.decode_into_out(bmp, &mut out))?;
        Ok(array)
    }
}

/// A new C-contiguous `uint8` array of shape `dims`, not zeroed: the decode writes every
/// byte (zeroing first cost 0.2 ms on the seed frame).
fn new_array(py: Python<'_>, dims: [usize; 3]) -> Bound<'_, PyArray3<u8>> {
    // SAFETY: `u8` has no invalid values and needs no drop. The memory comes from numpy's
    // allocator through FFI, so the compiler cannot treat it as uninitialised. The only
    // caller, `decode_to_array`, hands it straight to `decode_into_out`, whose decoder writes
    // every byte on success (the `Decode` contract; core's equivalence tests check it with dirty
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
///
/// `threads` is the most threads "lut" and its kernel levels split the rows over: the
/// caller's and helper threads that live across calls (small frames stay on one thread);
/// "naive" decodes on one and "lut_mt" on every core, so they take only 1. A count below 1
/// raises ValueError. The default, 1, costs one core's CPU time per frame; measured on a
/// 2-core machine, threads=2 decoded a 1600x1200 frame in 0.52-0.76x the time but used
/// 1.3-1.75x the CPU (the README's Python section; `python/bench.py --threads-only` measures
/// yours).
///
/// Raises DecodeError (a ValueError) naming the field, offset and value that was wrong.
#[pyfunction]
#[pyo3(signature = (
    data,
    *,
    decoder = "lut",
    threads = 1,
    layout = "RGBA",
    max_pixels = None,
    max_bytes = None,
))]
pub fn decode<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    decoder: &str,
    threads: i64,
    layout: &str,
    max_pixels: Option<u64>,
    max_bytes: Option<u64>,
) -> PyResult<Bound<'py, PyArray3<u8>>> {
    let opts = Options::new(decoder, threads, layout, max_pixels, max_bytes)?;
    let input = bytes_of(data)?;
    opts.decode_to_array(py, input.as_slice()?)
}

/// Decodes a whole BMP file into `out`, a writeable C-contiguous uint8 array of shape
/// (height, width, 4) (3 for `layout` "RGB" or "BGR"), and returns (width, height).
/// Allocates nothing: the loop a camera reader runs. A wrong shape or dtype raises
/// ValueError or TypeError before anything is written; on DecodeError `out` holds no
/// meaningful pixels. Otherwise as `decode` (`threads` included).
#[pyfunction]
#[pyo3(signature = (
    data,
    out,
    *,
    decoder = "lut",
    threads = 1,
    layout = "RGBA",
    max_pixels = None,
    max_bytes = None,
))]
#[allow(clippy::too_many_arguments)] // Python's keywords, each its own argument
pub fn decode_into<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    out: &Bound<'py, PyAny>,
    decoder: &str,
    threads: i64,
    layout: &str,
    max_pixels: Option<u64>,
    max_bytes: Option<u64>,
) -> PyResult<(u32, u32)> {
    let opts = Options::new(decoder, threads, layout, max_pixels, max_bytes)?;
    let input = bytes_of(data)?;
    let bmp = input.as_slice()?;
    // Shape checked here first, so a wrong `out` is refused naming the exact shape.
    let want = opts.shape(&opts.layout(bmp)?);
    let mut rw = out_array(out, Some(want), opts.pixels)?;
    let mut out = OutSlice::of(&mut rw, opts.pixels)?;
    let dims = py.detach(|| opts.decode_into_out(bmp, &mut out))?;
    Ok((dims.width, dims.height))
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
