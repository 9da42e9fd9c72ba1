//! `read_raw`, `Reader`, `Writer`: frames through named shared-memory regions, over the
//! core crate's `shmbmp::shm` (which knows bytes; decoding is `Options`' job).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use numpy::prelude::*;
use numpy::{PyArray1, PyArray3};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use shmbmp::shm::{self, layout::DEFAULT_SLOTS, FrameInfo, Location, RawReader, ShmError};

use crate::buffer::{bytes_of, out_array, OutSlice};
use crate::decode::{Failure, Options};
use crate::errors::shm_error;

// `Writer(name, slots=4, ...)`: the core's default slot count.
const _: () = assert!(DEFAULT_SLOTS == 4);

/// Longest wait with the GIL released before checking for signals (Ctrl-C) again.
const WAIT_SLICE: Duration = Duration::from_millis(20);

/// Decodes the BMP in the raw region `name` (the post's layout: one BMP at offset 0 of
/// /dev/shm/NAME, its length from its own bfSize) to a new array, as `decode` does
/// (`threads` included).
///
/// Raw mode has no protection against a writer changing the bytes meanwhile; the bytes are
/// copied out first, so a concurrent writer gives wrong pixels or DecodeError, never a
/// crash. Raises ShmError when the region is missing or its bfSize does not fit it.
#[pyfunction]
#[pyo3(signature = (
    name,
    *,
    decoder = "lut",
    threads = 1,
    layout = "RGBA",
    max_pixels = None,
    max_bytes = None,
))]
pub fn read_raw<'py>(
    py: Python<'py>,
    name: &str,
    decoder: &str,
    threads: i64,
    layout: &str,
    max_pixels: Option<u64>,
    max_bytes: Option<u64>,
) -> PyResult<Bound<'py, PyArray3<u8>>> {
    let opts = Options::new(decoder, threads, layout, max_pixels, max_bytes)?;
    let mut bmp = Vec::new();
    py.detach(|| RawReader::open(name)?.read(&mut bmp))
        .map_err(shm_error)?;
    opts.decode_to_array(py, &bmp)
}

fn closed(what: &str) -> PyErr {
    PyValueError::new_err(format!("I/O operation on a closed {what}"))
}

/// `f` of the open region of a Reader or Writer (`what`), or ValueError once it is closed.
/// Only called with `&self` from PyO3, which excludes `&mut self` meanwhile: the lock is
/// uncontended.
fn get<T, R>(inner: &Option<Mutex<T>>, what: &str, f: impl FnOnce(&T) -> R) -> PyResult<R> {
    let m = inner.as_ref().ok_or_else(|| closed(what))?;
    let guard = m.lock().unwrap_or_else(|e| e.into_inner());
    Ok(f(&guard))
}

/// The open region of a Reader or Writer (`what`), or ValueError once it is closed.
fn get_mut<'a, T>(inner: &'a mut Option<Mutex<T>>, what: &str) -> PyResult<&'a mut T> {
    let m = inner.as_mut().ok_or_else(|| closed(what))?;
    // Never locked, so never poisoned; a poisoned one would still hold a whole region.
    Ok(m.get_mut().unwrap_or_else(|e| e.into_inner()))
}

/// Takes whole frames out of the framed region `name` (/dev/shm/NAME) that a `Writer` (or
/// `shmbmp write`, or any peer of PROTOCOL.md) fills, and decodes them with `decoder` on
/// up to `threads` threads into the pixel `layout` within the limits, as `decode` does. The
/// decoder, its threads and the limits hold for every frame; `next` and `latest` may ask
/// for another layout. Without `threads`, "lut" and its kernel levels decode a frame the
/// reader waited for on up to 2 threads (its caches are cold, other cores idle) and one it
/// found already there (a writer faster than the reader) on 1; other decoders on 1. Helper
/// threads of a decode on more than one wait with the reader, woken by the writer with it.
///
/// A frame handed out is never torn: each slot is guarded by a sequence counter. Frames are
/// decoded in place, straight from a slot the reader pins (a lease the writer honours), or
/// from a copy when no lease is free. The GIL is released while waiting and decoding. One
/// Reader is for one thread at a time (another thread using it meanwhile gets
/// RuntimeError); open one per thread instead.
#[pyclass(module = "shmbmp")]
pub struct Reader {
    /// `Mutex` only makes the mapping `Sync` as `#[pyclass]` requires; PyO3's borrow flag
    /// already gives `&mut self` exclusive access, so it is only ever `get_mut`, never locked.
    inner: Option<Mutex<shm::Reader>>,
    opts: Options,
    last: Option<FrameInfo>,
}

/// A frame decoded: into the caller's array, or into a new buffer of this shape.
type Decoded = Result<Option<(Vec<u8>, [usize; 3])>, Failure>;

#[pymethods]
impl Reader {
    #[new]
    #[pyo3(signature = (
        name,
        *,
        decoder = "lut",
        threads = None,
        layout = "RGBA",
        max_pixels = None,
        max_bytes = None,
    ))]
    fn new(
        name: &str,
        decoder: &str,
        threads: Option<i64>,
        layout: &str,
        max_pixels: Option<u64>,
        max_bytes: Option<u64>,
    ) -> PyResult<Self> {
        let opts = Options::per_frame(decoder, threads, layout, max_pixels, max_bytes)?;
        let inner = shm::Reader::open(name).map_err(shm_error)?;
        Ok(Reader {
            inner: Some(Mutex::new(inner.waking_helpers(opts.waited_threads()))),
            opts,
            last: None,
        })
    }

    /// Waits up to `timeout` seconds (None: for ever) for a frame newer than the last one
    /// returned and decodes the newest such frame into `out` (a (height, width, 4 or 3)
    /// uint8 array, returned) or a new array. Frames in between count as skipped.
    /// `layout` ("RGBA", "BGRA", "RGB", "BGR") overrides the Reader's for this call.
    ///
    /// Raises TimeoutError when none comes in time; checks for signals every 20 ms, so
    /// Ctrl-C interrupts the wait.
    #[pyo3(signature = (timeout = 1.0, out = None, *, layout = None))]
    fn next<'py>(
        slf: PyRefMut<'py, Self>,
        py: Python<'py>,
        timeout: Option<f64>,
        out: Option<&Bound<'py, PyAny>>,
        layout: Option<&str>,
    ) -> PyResult<Bound<'py, PyArray3<u8>>> {
        let timeout = timeout.map(seconds).transpose()?;
        Self::take(slf, py, Some(timeout), out, layout)
    }

    /// Decodes the newest complete frame (even one returned before) into `out` or a new
    /// array, in `layout` when given (else the Reader's). Raises ShmError when nothing has
    /// been published yet.
    #[pyo3(signature = (out = None, *, layout = None))]
    fn latest<'py>(
        slf: PyRefMut<'py, Self>,
        py: Python<'py>,
        out: Option<&Bound<'py, PyAny>>,
        layout: Option<&str>,
    ) -> PyResult<Bound<'py, PyArray3<u8>>> {
        Self::take(slf, py, None, out, layout)
    }

    /// Counters so far: frames (handed out), in_place (of those, decoded straight from the
    /// region, no copy), torn (attempts rejected mid-write and retried), overtaken (the slot
    /// already held a newer frame), skipped (published but never returned by `next`, the
    /// reader being slower), sleeps (waits woken by the writer), polls (waits polling a
    /// writer that does not wake readers).
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = get(&self.inner, "Reader", shm::Reader::stats)?;
        let d = PyDict::new(py);
        d.set_item("frames", s.frames)?;
        d.set_item("in_place", s.in_place)?;
        d.set_item("torn", s.torn)?;
        d.set_item("overtaken", s.overtaken)?;
        d.set_item("skipped", s.skipped)?;
        d.set_item("sleeps", s.sleeps)?;
        d.set_item("polls", s.polls)?;
        Ok(d)
    }

    /// The last frame returned, as {"frame": number, "len": BMP bytes, "written_ns": the
    /// writer's clock (ns since the Unix epoch) when it published, "in_place": decoded
    /// straight from the region}, or None before the first.
    #[getter]
    fn last_frame<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.last
            .map(|info| {
                let d = PyDict::new(py);
                d.set_item("frame", info.frame)?;
                d.set_item("len", info.len)?;
                d.set_item("written_ns", info.written_ns)?;
                d.set_item("in_place", info.in_place)?;
                Ok(d)
            })
            .transpose()
    }

    /// Number of slots in the region.
    #[getter]
    fn slots(&self) -> PyResult<u32> {
        Ok(self.geometry()?.slot_count)
    }

    /// Most BMP bytes one slot holds.
    #[getter]
    fn capacity(&self) -> PyResult<u64> {
        Ok(self.geometry()?.slot_capacity)
    }

    /// Unmaps the region (and frees the reader's lease); further calls raise ValueError.
    /// Closing twice is allowed.
    fn close(&mut self) {
        self.inner = None;
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&mut self, _args: &Bound<'_, PyTuple>) {
        self.close();
    }
}

impl Reader {
    fn geometry(&self) -> PyResult<shm::Geometry> {
        get(&self.inner, "Reader", shm::Reader::geometry)
    }

    /// `next` (`wait` = Some(timeout)) or `latest` (`wait` = None), in `layout` when given:
    /// the frame's bytes are
    /// decoded where the core hands them over (the pinned slot, or its copy), with the GIL
    /// released, into `out` or a new buffer that becomes the returned array without a copy.
    fn take<'py>(
        mut slf: PyRefMut<'py, Self>,
        py: Python<'py>,
        wait: Option<Option<Duration>>,
        out: Option<&Bound<'py, PyAny>>,
        layout: Option<&str>,
    ) -> PyResult<Bound<'py, PyArray3<u8>>> {
        let this = &mut *slf;
        let opts = match layout {
            Some(l) => this.opts.with_layout(l)?,
            None => this.opts,
        };
        let inner = get_mut(&mut this.inner, "Reader")?;
        let mut rw = out.map(|o| out_array(o, None, opts.pixels)).transpose()?;
        let mut target = rw
            .as_mut()
            .map(|a| OutSlice::of(a, opts.pixels))
            .transpose()?;
        // A slice of the wait that ran out: the frame that comes later was waited for even
        // if the next slice finds it there.
        let slice_ran_out = AtomicBool::new(false);
        // Runs with the GIL released, once per attempt at a frame (again after a torn one).
        let mut decode = |bmp: &[u8], waited: bool| -> Decoded {
            let opts = opts.for_frame(waited || slice_ran_out.load(Ordering::Relaxed));
            match target.as_mut() {
                Some(out) => opts.decode_into_out(bmp, out).map(|_| None),
                None => opts.decode_new(bmp).map(Some),
            }
        };
        let started = Instant::now();
        let (info, decoded) = loop {
            let attempt = match wait {
                None => py.detach(|| inner.latest_with(|bmp| decode(bmp, false))),
                Some(timeout) => {
                    let left = timeout.map_or(WAIT_SLICE, |t| t.saturating_sub(started.elapsed()));
                    py.detach(|| inner.next_with_waited(left.min(WAIT_SLICE), &mut decode))
                }
            };
            match attempt {
                Ok(done) => break done,
                Err(ShmError::Timeout {
                    after, diagnosis, ..
                }) => {
                    if let Some(Some(t)) = wait {
                        if started.elapsed() >= t {
                            return Err(shm_error(ShmError::Timeout {
                                after,
                                waited_ms: started.elapsed().as_millis() as u64,
                                diagnosis,
                            }));
                        }
                    }
                    slice_ran_out.store(true, Ordering::Relaxed);
                    py.check_signals()?;
                }
                Err(e) => return Err(shm_error(e)),
            }
        };
        this.last = Some(info);
        match decoded? {
            None => Ok(out
                .expect("decoded into out")
                .cast::<PyArray3<u8>>()?
                .clone()),
            Some((pixels, shape)) => PyArray1::from_vec(py, pixels).reshape(shape),
        }
    }
}

/// Publishes whole BMP files into the framed region `name` (/dev/shm/NAME), `slots` frames
/// in flight of at most `capacity` bytes each (rounded up to a multiple of 8).
///
/// One writer per region: while one is open (in any process), another raises ShmError. An
/// existing region of the same shape is reused and numbering continues; another shape
/// raises ShmError. Readers are woken when a frame is published, and up to `slots - 2` of
/// them decode in place from slots they pin. The region stays after `close` (readers may
/// still hold it): `unlink` removes it.
#[pyclass(module = "shmbmp")]
pub struct Writer {
    /// As in `Reader`: `Mutex` for `Sync` only, never locked.
    inner: Option<Mutex<shm::Writer>>,
    path: PathBuf,
}

#[pymethods]
impl Writer {
    #[new]
    // A literal, so Python's help shows `slots=4`; the assertion below keeps it the core's.
    #[pyo3(signature = (name, slots = 4, *, capacity))]
    fn new(name: &str, slots: u32, capacity: u64) -> PyResult<Self> {
        let inner = shm::Writer::create(name, slots, capacity).map_err(shm_error)?;
        Ok(Writer {
            path: inner.path().to_path_buf(),
            inner: Some(Mutex::new(inner)),
        })
    }

    /// Publishes one whole BMP file (any buffer: bytes, bytearray, memoryview, numpy
    /// array, ...) as the next frame and returns its number (1, 2, 3, ...). The bytes are
    /// not decoded. A frame larger than a slot raises ShmError, never truncated.
    fn publish(&mut self, py: Python<'_>, bmp: &Bound<'_, PyAny>) -> PyResult<u64> {
        let inner = get_mut(&mut self.inner, "Writer")?;
        let input = bytes_of(bmp)?;
        let bytes = input.as_slice()?;
        py.detach(|| inner.publish(bytes)).map_err(shm_error)
    }

    /// The region's file, e.g. /dev/shm/NAME.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Number of slots in the region.
    #[getter]
    fn slots(&self) -> PyResult<u32> {
        Ok(self.geometry()?.slot_count)
    }

    /// Most BMP bytes one slot holds.
    #[getter]
    fn capacity(&self) -> PyResult<u64> {
        Ok(self.geometry()?.slot_capacity)
    }

    /// Unmaps the region (it stays for readers); further publishes raise ValueError.
    fn close(&mut self) {
        self.inner = None;
    }

    /// Removes the region's file (never following a symlink); readers that mapped it keep
    /// their mapping. Missing is fine.
    fn unlink(&self) -> PyResult<()> {
        match shm::remove(&Location::path(&self.path), true) {
            Err(ShmError::NotFound { .. }) => Ok(()),
            r => r.map_err(shm_error),
        }
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&mut self, _args: &Bound<'_, PyTuple>) {
        self.close();
    }
}

impl Writer {
    fn geometry(&self) -> PyResult<shm::Geometry> {
        get(&self.inner, "Writer", shm::Writer::geometry)
    }
}

/// A timeout in seconds as a Duration; negative, NaN or huge values raise ValueError.
fn seconds(s: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| PyValueError::new_err(format!("timeout must be >= 0 seconds, not {s}")))
}
