"""Shared memory: round trips with the Rust CLI (framed and raw) and with a Python
`multiprocessing.shared_memory` writer of the post's raw layout; timeouts, Ctrl-C, errors."""

from __future__ import annotations

import inspect
import mmap
import os
import re
import signal
import subprocess
import sys
import threading
import time
from multiprocessing import shared_memory
from pathlib import Path
from typing import Dict

import numpy as np
import pytest

import shmbmp
from conftest import read_png, run


@pytest.fixture(scope="module")
def frames(fixtures: Dict[str, Path]) -> Dict[str, bytes]:
    keys = ("bench/seed", "small/pal8", "small/rgb24_w317", "small/rle8")
    return {k: fixtures[k].read_bytes() for k in keys}


def test_rust_cli_framed_writer_to_python_reader(
    shmbmp_bin: Path, fixtures: Dict[str, Path], region_name: str
) -> None:
    files = [fixtures["small/pal8"], fixtures["bench/seed"]]
    run(shmbmp_bin, "write", "--name", region_name, *files)
    with shmbmp.Reader(region_name) as r:
        # The CLI's default slot count is the Python Writer's (both the core's).
        assert r.slots == inspect.signature(shmbmp.Writer).parameters["slots"].default
        assert r.capacity >= files[1].stat().st_size
        latest = r.latest()
        assert np.array_equal(latest, shmbmp.decode(files[1].read_bytes()))
        assert r.last_frame is not None and r.last_frame["frame"] == 2
        with pytest.raises(TimeoutError, match="no frame newer than 2"):
            r.next(timeout=0.05)
        # A reused output array is filled and returned.
        out = np.zeros_like(latest)
        assert r.latest(out=out) is out and np.array_equal(out, latest)
    with pytest.raises(ValueError, match="closed"):
        r.latest()


def test_python_writer_to_rust_cli_reader(
    shmbmp_bin: Path, frames: Dict[str, bytes], region_name: str, tmp_path: Path
) -> None:
    seed = frames["bench/seed"]
    with shmbmp.Writer(region_name, capacity=len(seed)) as w:
        assert w.path == Path("/dev/shm") / region_name
        assert w.publish(frames["small/pal8"]) == 1
        assert w.publish(seed) == 2
    png = tmp_path / "last.png"
    out = run(shmbmp_bin, "read", "--name", region_name, "--count", "1", "-o", png)
    assert re.search(r"read 1 frames?\b", out), out
    assert np.array_equal(read_png(png), shmbmp.decode(seed))


def test_python_writer_to_python_reader_stream(
    frames: Dict[str, bytes], region_name: str
) -> None:
    """Frames arrive in order, each whole; a slow reader skips, never sees a torn frame."""
    payloads = list(frames.values())
    decoded = [shmbmp.decode(b) for b in payloads]
    cap = max(len(b) for b in payloads)
    with shmbmp.Writer(region_name, slots=2, capacity=cap) as w, shmbmp.Reader(region_name) as r:
        for n in range(1, 9):
            w.publish(payloads[n % len(payloads)])
            got = r.next(timeout=1.0)
            assert np.array_equal(got, decoded[n % len(payloads)])
            assert r.last_frame["frame"] == n  # type: ignore[index]
        for _ in range(3):
            w.publish(payloads[0])
        r.next(timeout=1.0)
        stats = r.stats
        assert (stats["frames"], stats["torn"], stats["skipped"]) == (9, 0, 2), stats
        w.unlink()
    assert not Path(f"/dev/shm/{region_name}").exists()


def test_frames_are_decoded_in_place_from_a_pinned_slot(
    frames: Dict[str, bytes], region_name: str
) -> None:
    """With the default 4 slots the writer honours 2 leases: the reader pins a slot and
    decodes from the region itself, into `out` or a new array, never copying the BMP."""
    seed, small = frames["bench/seed"], frames["small/pal8"]
    with shmbmp.Writer(region_name, capacity=len(seed)) as w, shmbmp.Reader(region_name) as r:
        w.publish(seed)
        first = r.next(timeout=1.0)
        assert np.array_equal(first, shmbmp.decode(seed))
        assert r.last_frame["in_place"]  # type: ignore[index]
        w.publish(seed)
        assert r.next(timeout=1.0, out=first) is first
        w.publish(small)
        assert np.array_equal(r.next(timeout=1.0), shmbmp.decode(small))
        stats = r.stats
        assert stats["frames"] == stats["in_place"] == 3, stats


def test_reader_decodes_each_frame_in_the_layout_asked_for(
    frames: Dict[str, bytes], region_name: str
) -> None:
    """`next(layout=)` and `latest(layout=)` override the Reader's layout for one call: BGR
    is the RGBA decode reordered, (h, w, 3), what cv2.imdecode gives; `out` is checked
    against that layout's shape; the Reader's own layout is used again afterwards."""
    seed, small = frames["bench/seed"], frames["small/rgb24_w317"]
    rgba = {k: shmbmp.decode(b) for k, b in (("seed", seed), ("small", small))}
    with shmbmp.Writer(region_name, capacity=len(seed)) as w, shmbmp.Reader(region_name) as r:
        w.publish(seed)
        bgr = r.next(timeout=1.0, layout="BGR")
        assert bgr.shape == (1200, 1600, 3)
        assert np.array_equal(bgr, rgba["seed"][..., 2::-1])
        assert np.array_equal(r.latest(), rgba["seed"]), "the Reader's RGBA again"
        out = np.empty((1200, 1600, 4), np.uint8)
        assert r.latest(out=out, layout="bgra") is out
        assert np.array_equal(out, rgba["seed"][..., [2, 1, 0, 3]])
        with pytest.raises(ValueError, match=r"needs \(height, width, 3\)"):
            r.latest(out=out, layout="RGB")
        with pytest.raises(ValueError, match=r"needs \(1200, 1600, 3\)"):
            r.latest(out=np.empty((1600, 1200, 3), np.uint8), layout="RGB")
        with pytest.raises(ValueError, match="unknown pixel layout"):
            r.latest(layout="ARGB")
        w.publish(small)
        rgb = np.empty(rgba["small"].shape[:2] + (3,), np.uint8)
        assert r.next(timeout=1.0, out=rgb, layout="RGB") is rgb
        assert np.array_equal(rgb, rgba["small"][..., :3])
    with shmbmp.Reader(region_name, layout="BGR") as r:
        assert r.latest().shape[2] == 3
        assert np.array_equal(r.latest(layout="RGBA"), rgba["small"])


def test_out_that_does_not_fit_the_frame(frames: Dict[str, bytes], region_name: str) -> None:
    seed = frames["bench/seed"]
    with shmbmp.Writer(region_name, capacity=len(seed)) as w, shmbmp.Reader(region_name) as r:
        w.publish(seed)
        for bad, error in (
            (np.zeros((1600, 1200, 4), np.uint8), r"needs \(1200, 1600, 4\)"),
            (np.zeros((1200, 1600, 3), np.uint8), r"needs \(height, width, 4\)"),
            (np.zeros((1200, 1600, 4), np.float32), "dtype uint8"),
        ):
            with pytest.raises((ValueError, TypeError), match=error):
                r.latest(out=bad)
        w.publish(seed)
        with pytest.raises(ValueError, match=r"needs \(1200, 1600, 4\)"):
            r.next(timeout=1.0, out=np.zeros((10, 10, 4), np.uint8))
        assert r.last_frame["frame"] == 2  # type: ignore[index]  # that frame was taken
        with pytest.raises(TimeoutError):
            r.next(timeout=0.05)


def test_concurrent_rust_writer_frames_are_never_torn(
    shmbmp_bin: Path, fixtures: Dict[str, Path], region_name: str
) -> None:
    """A Rust writer publishes two alternating frames as fast as it can into 2 slots while
    Python decodes 40 frames: every one equals one of the two decodes."""
    files = [fixtures["small/pal8_w317"], fixtures["small/rgb24_w317"]]
    want = [shmbmp.decode(f.read_bytes()) for f in files]
    args = [str(shmbmp_bin), "write", "--name", region_name, "--slots", "2", "--count", "0"]
    writer = subprocess.Popen(args + [str(f) for f in files], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/dev/shm/{region_name}").exists():
            assert time.monotonic() < deadline, "the writer never created its region"
            time.sleep(0.01)
        time.sleep(0.05)
        with shmbmp.Reader(region_name) as r:
            for _ in range(40):
                got = r.next(timeout=2.0)
                assert any(got.shape == x.shape and np.array_equal(got, x) for x in want)
            assert r.stats["frames"] == 40
    finally:
        writer.kill()
        writer.wait()


def test_rust_cli_raw_writer_to_read_raw(
    shmbmp_bin: Path, fixtures: Dict[str, Path], region_name: str
) -> None:
    seed = fixtures["bench/seed"]
    run(shmbmp_bin, "write", "--raw", "--name", region_name, seed)
    assert np.array_equal(shmbmp.read_raw(region_name), shmbmp.decode(seed.read_bytes()))


def test_python_shared_memory_writer_of_the_posts_raw_layout(
    shmbmp_bin: Path, frames: Dict[str, bytes], region_name: str, tmp_path: Path
) -> None:
    """The post's producer side in Python: one BMP at offset 0 of SharedMemory(name),
    read by read_raw, by decode over the SharedMemory's own buffer, by decode over an mmap
    of /dev/shm/NAME (the post's reader), and by the Rust CLI."""
    seed = frames["bench/seed"]
    want = shmbmp.decode(seed)
    # A block larger than the frame, as a producer sized for its largest frame leaves it.
    block = shared_memory.SharedMemory(name=region_name, create=True, size=len(seed) + 4096)
    try:
        block.buf[: len(seed)] = seed
        assert np.array_equal(shmbmp.read_raw(region_name), want)
        assert np.array_equal(shmbmp.decode(block.buf[: len(seed)]), want)
        with open(f"/dev/shm/{region_name}", "rb") as f:
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                assert np.array_equal(shmbmp.decode(m[: len(seed)]), want)
                size = int.from_bytes(m[2:6], "little")  # bfSize, as read_raw does
                assert np.array_equal(shmbmp.decode(memoryview(m)[:size]), want)
        png = tmp_path / "raw.png"
        run(shmbmp_bin, "read", "--raw", "--name", region_name, "-o", png)
        assert np.array_equal(read_png(png), want)
        # A second frame overwrites the first in place.
        small = frames["small/pal8"]
        block.buf[: len(small)] = small
        assert np.array_equal(shmbmp.read_raw(region_name), shmbmp.decode(small))
    finally:
        block.close()
        block.unlink()


def test_raw_region_lying_about_its_size(region_name: str, frames: Dict[str, bytes]) -> None:
    seed = bytearray(frames["bench/seed"])
    seed[2:6] = (len(seed) * 2).to_bytes(4, "little")  # bfSize past the block
    block = shared_memory.SharedMemory(name=region_name, create=True, size=len(seed))
    try:
        block.buf[: len(seed)] = seed
        with pytest.raises(shmbmp.ShmError, match="bfSize says"):
            shmbmp.read_raw(region_name)
        block.buf[:2] = b"XX"
        with pytest.raises(shmbmp.ShmError, match="not a raw region"):
            shmbmp.read_raw(region_name)
    finally:
        block.close()
        block.unlink()


def test_missing_and_foreign_regions(region_name: str, frames: Dict[str, bytes]) -> None:
    for open_it in (shmbmp.Reader, shmbmp.read_raw):
        with pytest.raises(shmbmp.ShmError, match="no region at") as e:
            open_it(region_name)
        assert e.value.errno == 2
    # A raw block is not a framed region.
    block = shared_memory.SharedMemory(name=region_name, create=True, size=4096)
    try:
        block.buf[:2] = b"BM"
        with pytest.raises(shmbmp.ShmError, match="not a framed region"):
            shmbmp.Reader(region_name)
    finally:
        block.close()
        block.unlink()
    with pytest.raises(shmbmp.ShmError, match="invalid region name"):
        shmbmp.Reader("a/b")


def test_writer_errors(region_name: str, frames: Dict[str, bytes]) -> None:
    with shmbmp.Writer(region_name, capacity=1024) as w:
        assert w.capacity == 1024 and w.slots == 4
        with pytest.raises(shmbmp.ShmError, match="does not fit a slot of 1024 bytes"):
            w.publish(frames["bench/seed"])
        with pytest.raises(shmbmp.ShmError, match="already has a writer"):
            shmbmp.Writer(region_name, capacity=1024)  # one writer per region
        with pytest.raises(TypeError):
            w.publish("not bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="closed"):
        w.publish(b"BM")
    # Closed, the writer's lock is gone: the region may be reused, in its own shape only.
    with shmbmp.Writer(region_name, capacity=1024) as again:
        assert again.publish(frames["small/pal8"][:1000]) == 1
    with pytest.raises(shmbmp.ShmError, match="already exists"):
        shmbmp.Writer(region_name, capacity=2048)
    with pytest.raises(TypeError):
        shmbmp.Writer(region_name)  # type: ignore[call-arg]  # capacity is required
    with pytest.raises(shmbmp.ShmError, match="slot_count"):
        shmbmp.Writer(region_name + "-0", 0, capacity=1024)


def test_latest_before_any_frame_and_timeouts(region_name: str) -> None:
    with shmbmp.Writer(region_name, capacity=64), shmbmp.Reader(region_name) as r:
        with pytest.raises(shmbmp.ShmError, match="no frame published yet"):
            r.latest()
        for timeout in (0.0, 0.3):
            t = time.monotonic()
            with pytest.raises(TimeoutError, match="no frame newer than 0"):
                r.next(timeout=timeout)
            waited = time.monotonic() - t
            assert timeout <= waited < timeout + 0.25, waited
        with pytest.raises(ValueError, match="timeout"):
            r.next(timeout=-1)


def test_next_answers_ctrl_c_within_100_ms(region_name: str) -> None:
    """SIGINT while `next` waits (here for ever) raises KeyboardInterrupt within 100 ms."""
    code = f"""
import os, signal, sys, threading, time, shmbmp
w = shmbmp.Writer({region_name!r}, capacity=64)
r = shmbmp.Reader({region_name!r})
sent = []
def interrupt():
    time.sleep(0.31)  # mid-way through a 20 ms wait slice, not on its boundary
    sent.append(time.monotonic())
    os.kill(os.getpid(), signal.SIGINT)
threading.Thread(target=interrupt).start()
try:
    r.next(timeout=None)
except KeyboardInterrupt:
    print(f"{{(time.monotonic() - sent[0]) * 1000:.1f}}")
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    latency_ms = float(p.stdout)
    assert latency_ms < 100, f"KeyboardInterrupt came {latency_ms} ms after SIGINT"


def test_waiting_releases_the_gil(region_name: str) -> None:
    """While one thread waits in `next`, Python code keeps running in another."""
    with shmbmp.Writer(region_name, capacity=64), shmbmp.Reader(region_name) as r:
        waiter = threading.Thread(target=lambda: pytest.raises(TimeoutError, r.next, 0.5))
        ticks = []
        waiter.start()
        end = time.monotonic() + 0.4
        while time.monotonic() < end:
            ticks.append(time.monotonic())
        waiter.join()
        gaps = np.diff(ticks)
        assert len(ticks) > 1000 and gaps.max() < 0.1, (len(ticks), gaps.max())


def test_a_reader_is_for_one_thread_at_a_time(region_name: str) -> None:
    with shmbmp.Writer(region_name, capacity=64), shmbmp.Reader(region_name) as r:
        errors = []

        def wait() -> None:
            try:
                r.next(timeout=0.5)
            except BaseException as e:  # noqa: BLE001 - collected and checked below
                errors.append(e)

        threads = [threading.Thread(target=wait) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        kinds = sorted(type(e).__name__ for e in errors)
        assert kinds == ["RuntimeError", "TimeoutError"], errors


def test_the_reader_sees_signals_handlers_run(region_name: str) -> None:
    """A Python signal handler that raises ends the wait with its exception."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread")

    class Stop(Exception):
        pass

    def handler(signum: int, frame: object) -> None:
        raise Stop()

    old = signal.signal(signal.SIGALRM, handler)
    try:
        with shmbmp.Writer(region_name, capacity=64), shmbmp.Reader(region_name) as r:
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            t = time.monotonic()
            with pytest.raises(Stop):
                r.next(timeout=5)
            assert time.monotonic() - t < 0.2 + 0.1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)

