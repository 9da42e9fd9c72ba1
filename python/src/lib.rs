//! The extension module `shmbmp._shmbmp` behind the Python package `shmbmp`: a thin layer
//! over the core crate. Python users import `shmbmp`; `python/shmbmp/__init__.py` re-exports
//! everything defined here.

mod buffer;
mod decode;
mod errors;
mod shm;

use pyo3::prelude::*;

/// BMP frames from any buffer or shared-memory region to numpy RGBA arrays.
#[pymodule]
fn _shmbmp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DecodeError", py.get_type::<errors::DecodeError>())?;
    m.add("ShmError", py.get_type::<errors::ShmError>())?;
    m.add_function(wrap_pyfunction!(decode::decode, m)?)?;
    m.add_function(wrap_pyfunction!(decode::decode_into, m)?)?;
    m.add_function(wrap_pyfunction!(decode::info, m)?)?;
    m.add_function(wrap_pyfunction!(decode::decoders, m)?)?;
    m.add_function(wrap_pyfunction!(shm::read_raw, m)?)?;
    m.add_class::<shm::Reader>()?;
    m.add_class::<shm::Writer>()?;
    Ok(())
}
