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
import pytest

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


# `threads=`: lut and its kernel levels split rows over up to that many threads.

LUTS = ["lut"] + [d for d in shmbmp.decoders() if d.startswith("lut_") and d != "lut_mt"]
"""The decoders that take a thread count: lut and each kernel level this CPU runs."""

COUNTS = (2, 3, 4, 5000)
"""Thread counts beside 1: two, odd, more than this machine's cores, more than any
fixture's rows."""


def _wide_frame(width: int, height: int) -> bytes:
    """An 8-bit palettized BMP of few, long rows (`height` < 0: stored top-down), split into
    one band a row (a band needs 256 KiB of output), so that counts above its row count have
    more threads than rows. `width` is a multiple of 4 (no row padding)."""
    palette = bytes(b for i in range(256) for b in (i, 255 - i, i // 2, 0))
    header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 0, 0, 0, 0, 256, 0)
    offset = 14 + 40 + len(palette)
    n = width * abs(height)
    pixels = ((np.arange(n, dtype=np.uint64) * 7919) % 256).astype(np.uint8).tobytes()
    return b"BM" + struct.pack("<IHHI", offset + n, 0, 0, offset) + header + palette + pixels


@pytest.mark.parametrize("decoder", LUTS)
def test_every_thread_count_gives_the_same_pixels(
    decoder: str, fixtures: Dict[str, Path]
) -> None:
    """Every fixture (the 1600x1200 benchmark ones split into up to 29 bands), and frames of
    3 and 1 rows, top-down and bottom-up: the same pixels on 1, 2, 3, 4 and 5000 threads as
    `naive`'s, through decode and decode_into, RGBA and BGR."""
    files = {k: p.read_bytes() for k, p in fixtures.items()}
    for height in (3, -3, 1):
        files[f"wide{height}"] = _wide_frame(100_000, height)
    for key, data in files.items():
        want = shmbmp.decode(data, decoder="naive")
        out = np.empty_like(want)
        for n in (1,) + COUNTS:
            got = shmbmp.decode(data, decoder=decoder, threads=n)
            assert np.array_equal(got, want), (key, n)
            out.fill(0x5A)
            assert shmbmp.decode_into(data, out, decoder=decoder, threads=n) == want.shape[1::-1]
            assert np.array_equal(out, want), (key, n)
        if key.startswith(("bench/", "wide")):
            bgr = shmbmp.decode(data, decoder=decoder, threads=2, layout="BGR")
            assert np.array_equal(bgr, want[..., 2::-1]), key


def test_the_reader_and_read_raw_take_a_thread_count(
    fixtures: Dict[str, Path], region_name: str
) -> None:
    seed = fixtures["bench/seed"].read_bytes()
    want = shmbmp.decode(seed)
    with shmbmp.Writer(region_name, capacity=len(seed)) as w:
        w.publish(seed)
        # None (the default): lut's threads follow each frame, waited for or not.
        for n in (None, 1, 2, 5000):
            with shmbmp.Reader(region_name, threads=n) as r:
                assert np.array_equal(r.latest(), want), n
                out = np.zeros_like(want)
                assert r.latest(out=out) is out and np.array_equal(out, want), n
                w.publish(seed)
                assert np.array_equal(r.next(timeout=1.0, layout="BGR"), want[..., 2::-1]), n
        for bad in (0, -1):
            with pytest.raises(ValueError, match=f"threads must be >= 1, not {bad}"):
                shmbmp.Reader(region_name, threads=bad)
        with pytest.raises(ValueError, match="naive decodes on one thread"):
            shmbmp.Reader(region_name, decoder="naive", threads=2)
        # Decoders without a thread count of their own decode on one by default.
        with shmbmp.Reader(region_name, decoder="naive") as r:
            assert np.array_equal(r.latest(), want)
    raw = f"/dev/shm/{region_name}"
    with open(raw, "wb") as f:  # raw mode: the BMP alone at offset 0
        f.write(seed)
    assert np.array_equal(shmbmp.read_raw(region_name, threads=2), want)
    with pytest.raises(ValueError, match="threads must be >= 1, not 0"):
        shmbmp.read_raw(region_name, threads=0)


@pytest.mark.parametrize(
    "call",
    [
        lambda b, **kw: shmbmp.decode(b, **kw),
        lambda b, **kw: shmbmp.decode_into(b, np.empty((1, 1, 4), np.uint8), **kw),
    ],
    ids=["decode", "decode_into"],
)
def test_bad_thread_counts_are_refused_naming_the_value(call, fixtures: Dict[str, Path]) -> None:
    data = fixtures["small/pal8"].read_bytes()
    for bad in (0, -1, -(2**40)):
        with pytest.raises(ValueError, match=rf"threads must be >= 1, not {bad}$"):
            call(data, threads=bad)
    for wrong_type in (2.0, "2", None):
        with pytest.raises(TypeError):
            call(data, threads=wrong_type)
    with pytest.raises(ValueError, match="threads=2: naive decodes on one thread"):
        call(data, decoder="naive", threads=2)
    with pytest.raises(
        ValueError, match=r'threads=3: lut_mt splits rows over every core already.*decoder="lut", threads=3'
    ):
        call(data, decoder="lut_mt", threads=3)
    # Their own count is fine (the default), and a known decoder is still checked first.
    assert shmbmp.decode(data, decoder="lut_mt", threads=1).shape[2] == 4
    with pytest.raises(ValueError, match="unknown decoder"):
        call(data, decoder="fast", threads=2)
