"""Threads: decoding concurrently gives the same pixels, and the GIL is released while a
decode runs."""

from __future__ import annotations

import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict

import numpy as np

import shmbmp


def test_threads_decoding_concurrently(fixtures: Dict[str, Path]) -> None:
    keys = ["bench/seed", "bench/rgb24_1600", "bench/rle8_1600", "small/rgba32_v5", "small/pal4"]
    data = {k: fixtures[k].read_bytes() for k in keys}
    want = {k: shmbmp.decode(b) for k, b in data.items()}

    def work(i: int) -> int:
        k = keys[i % len(keys)]
        decoder = ("lut", "lut_mt", "naive", "lut_scalar")[i % 4]
        out = np.empty_like(want[k])
        for _ in range(5):
            shmbmp.decode_into(data[k], out, decoder=decoder)
            assert np.array_equal(out, want[k]), (k, decoder)
            assert np.array_equal(shmbmp.decode(data[k], decoder=decoder), want[k])
        return i

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert sorted(pool.map(work, range(16))) == list(range(16))


def _big_frame(width: int, height: int) -> bytes:
    """An 8-bit palettized BMP; `naive` takes a while on it."""
    palette = bytes(b for i in range(256) for b in (i, 255 - i, i // 2, 0))
    header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 0, 0, 0, 0, 256, 0)
    offset = 14 + 40 + len(palette)
    pixels = (np.arange(width * height, dtype=np.uint32) % 251).astype(np.uint8).tobytes()
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + header + palette + pixels


def test_decoding_releases_the_gil() -> None:
    """While `naive` decodes a large frame in one thread, a Python loop keeps running in
    another. With the GIL held through the decode, the loop could not run at all between
    the decode's start and end."""
    bmp = _big_frame(4000, 4000)
    out = np.empty((4000, 4000, 4), np.uint8)
    window = []

    def decode() -> None:
        t0 = time.perf_counter()
        shmbmp.decode_into(bmp, out, decoder="naive")
        window.extend((t0, time.perf_counter()))

    ticks = []
    worker = threading.Thread(target=decode)
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    t0, t1 = window
    during = sum(t0 < t < t1 for t in ticks)
    assert t1 - t0 > 0.02, f"the frame decoded in {(t1 - t0) * 1000:.1f} ms: too fast to tell"
    assert during >= 100, f"the loop ran {during} times during a {(t1 - t0) * 1000:.0f} ms decode"
