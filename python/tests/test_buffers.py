"""Every kind of buffer is read in place: bytes, bytearray, memoryview, mmap.mmap, numpy
arrays, SharedMemory.buf; the output is exactly what the bytes decode to."""

from __future__ import annotations

import mmap
import tracemalloc
from multiprocessing import shared_memory
from pathlib import Path
from typing import Callable, Dict, Iterator

import numpy as np
import pytest

import shmbmp


@pytest.fixture(scope="module")
def seed(fixtures: Dict[str, Path]) -> bytes:
    return fixtures["bench/seed"].read_bytes()


@pytest.fixture(scope="module")
def want(seed: bytes) -> np.ndarray:
    return shmbmp.decode(seed)


def _file_mmap(tmp_path: Path, data: bytes, access: int) -> mmap.mmap:
    p = tmp_path / "frame.bmp"
    p.write_bytes(data)
    with open(p, "r+b") as f:
        return mmap.mmap(f.fileno(), 0, access=access)


def _anon_mmap(data: bytes) -> mmap.mmap:
    m = mmap.mmap(-1, len(data))
    m[:] = data
    return m


BUFFERS: Dict[str, Callable[[bytes, Path], object]] = {
    "bytes": lambda b, _: b,
    "bytearray": lambda b, _: bytearray(b),
    "memoryview": lambda b, _: memoryview(b),
    "memoryview of a slice": lambda b, _: memoryview(b"xyz" + b)[3:],
    "mmap, file, read-only": lambda b, t: _file_mmap(t, b, mmap.ACCESS_READ),
    "mmap, file, writeable": lambda b, t: _file_mmap(t, b, mmap.ACCESS_WRITE),
    "mmap, anonymous": lambda b, _: _anon_mmap(b),
    "numpy uint8": lambda b, _: np.frombuffer(b, np.uint8).copy(),
    "numpy uint8, read-only": lambda b, _: np.frombuffer(b, np.uint8),
    "numpy uint8 slice": lambda b, _: np.frombuffer(b"\0" * 7 + b, np.uint8)[7:],
}


@pytest.mark.parametrize("kind", BUFFERS)
def test_every_buffer_type(kind: str, seed: bytes, want: np.ndarray, tmp_path: Path) -> None:
    data = BUFFERS[kind](seed, tmp_path)
    assert np.array_equal(shmbmp.decode(data), want)
    out = np.zeros_like(want)
    assert shmbmp.decode_into(data, out) == (1600, 1200)
    assert np.array_equal(out, want)
    assert shmbmp.info(data)["width"] == 1600
    if isinstance(data, mmap.mmap):
        data.close()  # no buffer export is left behind (close refuses while one is)


@pytest.fixture
def shared(seed: bytes) -> Iterator[shared_memory.SharedMemory]:
    shm = shared_memory.SharedMemory(create=True, size=len(seed))
    try:
        yield shm
    finally:
        shm.close()
        shm.unlink()


def test_shared_memory_buf(
    shared: shared_memory.SharedMemory, seed: bytes, want: np.ndarray
) -> None:
    shared.buf[: len(seed)] = seed
    assert np.array_equal(shmbmp.decode(shared.buf), want)
    out = np.empty_like(want)
    shmbmp.decode_into(shared.buf, out)
    assert np.array_equal(out, want)


def test_the_input_is_read_in_place_not_copied(seed: bytes, want: np.ndarray) -> None:
    """tracemalloc sees numpy's and Python's allocations: a copy of the 1.9 MB input (or a
    new output) would show; decode_into into a reused array allocates next to nothing."""
    out = np.empty_like(want)
    for data in (seed, bytearray(seed), memoryview(seed), _anon_mmap(seed)):
        shmbmp.decode_into(data, out)  # warm up
        tracemalloc.start()
        try:
            shmbmp.decode_into(data, out)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 64 * 1024, f"{type(data).__name__}: {peak} bytes allocated"


def test_the_view_sees_changes_to_the_buffer(seed: bytes) -> None:
    """In place: a changed palette entry in a writeable mapping shows in the next decode."""
    m = _anon_mmap(seed)
    first = shmbmp.decode(m)
    index = seed[1078 + 1199 * 1600]  # top-left pixel: last stored row (bottom-up)
    entry = 54 + 4 * index
    m[entry : entry + 3] = bytes([1, 2, 3])  # B, G, R
    assert shmbmp.decode(m)[0, 0].tolist() == [3, 2, 1, 255]
    assert not np.array_equal(first[0, 0], [3, 2, 1, 255])
    m.close()


def test_objects_without_the_buffer_protocol_are_a_type_error() -> None:
    for bad in ("BM", 12, None, [66, 77], np.zeros((4, 4), np.uint8).T):
        with pytest.raises((TypeError, ValueError)):
            shmbmp.decode(bad)  # type: ignore[arg-type]


def test_a_non_contiguous_buffer_is_refused(seed: bytes) -> None:
    strided = memoryview(seed + seed)[::2]
    with pytest.raises((TypeError, ValueError, BufferError)):
        shmbmp.decode(strided)
