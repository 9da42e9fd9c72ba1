import sys
from pathlib import Path
from types import TracebackType
from typing import List, Literal, Optional, Tuple, Type, TypedDict

import numpy as np
import numpy.typing as npt

if sys.version_info >= (3, 12):
    from collections.abc import Buffer
else:
    from typing_extensions import Buffer

__version__: str

RGBA = npt.NDArray[np.uint8]
"""An image: shape (height, width, 4) (3 for layout "RGB" or "BGR"), dtype uint8,
C-contiguous, top row first, RGBA unless `layout` says otherwise."""

PixelLayout = Literal["RGBA", "BGRA", "RGB", "BGR", "rgba", "bgra", "rgb", "bgr"]

class DecodeError(ValueError):
    """The bytes are not a BMP this package decodes; the message names field, offset, value."""

    kind: str
    """truncated, bad magic, invalid, unsupported, refused by limits or wrong output size."""

class ShmError(OSError):
    """A shared-memory region could not be created, opened or read."""

class Info(TypedDict):
    width: int
    height: int
    top_down: bool
    bits: int
    compression: int
    format: str
    masks: Optional[Tuple[int, int, int, int]]
    palette_size: int
    alpha: bool
    header: str
    data_offset: int
    file_size: int
    output_len: int

class Stats(TypedDict):
    frames: int
    in_place: int
    torn: int
    overtaken: int
    skipped: int
    sleeps: int
    polls: int

class FrameInfo(TypedDict):
    frame: int
    len: int
    written_ns: int
    in_place: bool

def decode(
    data: Buffer,
    *,
    decoder: str = "lut",
    threads: int = 1,
    layout: PixelLayout = "RGBA",
    max_pixels: Optional[int] = None,
    max_bytes: Optional[int] = None,
) -> RGBA:
    """Decodes a whole BMP file (any buffer, read in place) to a new array (RGBA unless `layout`).

    `threads`: at most this many threads for "lut" and its kernel levels (>= 1; default 1)."""

def decode_into(
    data: Buffer,
    out: RGBA,
    *,
    decoder: str = "lut",
    threads: int = 1,
    layout: PixelLayout = "RGBA",
    max_pixels: Optional[int] = None,
    max_bytes: Optional[int] = None,
) -> Tuple[int, int]:
    """Decodes into `out` (shape (height, width, 4 or 3), uint8); returns (width, height)."""

def info(
    data: Buffer, *, max_pixels: Optional[int] = None, max_bytes: Optional[int] = None
) -> Info:
    """The parsed headers of a BMP file."""

def decoders() -> List[str]:
    """The names `decoder=` accepts on this CPU."""

def read_raw(
    name: str,
    *,
    decoder: str = "lut",
    threads: int = 1,
    layout: PixelLayout = "RGBA",
    max_pixels: Optional[int] = None,
    max_bytes: Optional[int] = None,
) -> RGBA:
    """Decodes the BMP at offset 0 of the raw region /dev/shm/NAME (length from bfSize)."""

class Reader:
    """Takes whole, never torn frames out of the framed region /dev/shm/NAME.

    `threads`: at most this many threads for "lut" and its kernel levels on every frame;
    None (default): a frame the reader waited for on up to 2, one already there on 1. The
    helper threads wait with the reader, woken by the writer with it."""

    def __init__(
        self,
        name: str,
        *,
        decoder: str = "lut",
        threads: Optional[int] = None,
        layout: PixelLayout = "RGBA",
        max_pixels: Optional[int] = None,
        max_bytes: Optional[int] = None,
    ) -> None: ...
    def next(
        self,
        timeout: Optional[float] = 1.0,
        out: Optional[RGBA] = None,
        *,
        layout: Optional[PixelLayout] = None,
    ) -> RGBA:
        """The newest frame not yet returned (in `layout`, else the Reader's); TimeoutError after `timeout` seconds."""
    def latest(self, out: Optional[RGBA] = None, *, layout: Optional[PixelLayout] = None) -> RGBA:
        """The newest complete frame, even one returned before (in `layout`, else the Reader's)."""
    @property
    def stats(self) -> Stats: ...
    @property
    def last_frame(self) -> Optional[FrameInfo]: ...
    @property
    def slots(self) -> int: ...
    @property
    def capacity(self) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Reader": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None: ...

class Writer:
    """Publishes whole BMP files into the framed region /dev/shm/NAME."""

    def __init__(self, name: str, slots: int = 4, *, capacity: int) -> None: ...
    def publish(self, bmp: Buffer) -> int:
        """Publishes one BMP file as the next frame; returns its number."""
    @property
    def path(self) -> Path: ...
    @property
    def slots(self) -> int: ...
    @property
    def capacity(self) -> int: ...
    def close(self) -> None: ...
    def unlink(self) -> None: ...
    def __enter__(self) -> "Writer": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None: ...
