"""BMP frames from any buffer or shared-memory block to numpy RGBA arrays, at Rust speed.

>>> import shmbmp
>>> rgba = shmbmp.decode(open("frame.bmp", "rb").read())   # doctest: +SKIP
>>> rgba.shape, rgba.dtype                                  # doctest: +SKIP
((1200, 1600, 4), dtype('uint8'))

Every decode yields RGBA8, top row first, shape (height, width, 4), C-contiguous; the
bytes are read in place from any object with the buffer protocol and the GIL is released
while decoding. See the functions' docstrings and the repository's README.
"""

from ._shmbmp import (
    DecodeError,
    Reader,
    ShmError,
    Writer,
    __version__,
    decode,
    decode_into,
    decoders,
    info,
    read_raw,
)

__all__ = [
    "DecodeError",
    "Reader",
    "ShmError",
    "Writer",
    "__version__",
    "decode",
    "decode_into",
    "decoders",
    "info",
    "read_raw",
]
