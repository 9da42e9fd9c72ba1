"""Bad input is a typed exception with the core's message, never a crash: truncated and
lying files, limits, wrong `out` arrays, unknown decoders."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path
from typing import Dict

import numpy as np
import pytest

import shmbmp


@pytest.fixture(scope="module")
def small(fixtures: Dict[str, Path]) -> bytes:
    return fixtures["small/pal8_w317"].read_bytes()


KINDS = ("truncated", "bad magic", "invalid", "unsupported", "refused by limits")


def rust_message(cli: Path, bmp: bytes, tmp: Path) -> str:
    """What the Rust CLI says about `bmp` (it must refuse it)."""
    path = tmp / "bad.bmp"
    path.write_bytes(bmp)
    p = subprocess.run([str(cli), "decode", str(path)], capture_output=True, text=True)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    return p.stderr


def test_decode_error_is_a_value_error_with_the_core_message(
    shmbmp_bin: Path, tmp_path: Path
) -> None:
    assert issubclass(shmbmp.DecodeError, ValueError)
    assert issubclass(shmbmp.ShmError, OSError)
    bad = b"PK\x03\x04" + b"\0" * 60
    with pytest.raises(shmbmp.DecodeError) as e:
        shmbmp.decode(bad)
    assert e.value.kind == "bad magic"
    assert str(e.value) in rust_message(shmbmp_bin, bad, tmp_path)
    assert '"BM"' in str(e.value)


@pytest.mark.parametrize("decoder", shmbmp.decoders())
def test_every_truncation_is_a_decode_error_or_a_lenient_decode(
    decoder: str, fixtures: Dict[str, Path]
) -> None:
    """Cut at every length up to the pixel data, then in coarser steps through it."""
    for key in ("small/pal8_w317", "small/rgb16_565_v4", "small/rle8", "small/rle4_short"):
        bmp = fixtures[key].read_bytes()
        data_offset = struct.unpack_from("<I", bmp, 10)[0]
        cuts = list(range(data_offset + 2)) + list(range(data_offset, len(bmp), 97))
        for n in cuts:
            try:
                shmbmp.decode(bmp[:n], decoder=decoder)
            except shmbmp.DecodeError as e:
                assert e.kind in ("truncated", "invalid", "bad magic"), (key, n, e)
            else:
                # Only RLE streams decode when cut short (documented lenient rule).
                assert "rle" in key, f"{key} cut to {n} bytes decoded"


def _patch(bmp: bytes, offset: int, fmt: str, value: int) -> bytes:
    b = bytearray(bmp)
    struct.pack_into(fmt, b, offset, value)
    return bytes(b)


LIES = {  # name: (offset of the field, struct format, the lie)
    "pixel data offset past the end": (10, "<I", 10**6),
    "pixel data offset inside the headers": (10, "<I", 20),
    "zero width": (18, "<i", 0),
    "negative width": (18, "<i", -5),
    "huge width": (18, "<i", 3_000_000),
    "height i32::MIN": (22, "<i", -(2**31)),
    "two planes": (26, "<H", 2),
    "bit depth 7": (28, "<H", 7),
    "JPEG compression": (30, "<I", 4),
    "header size 77": (14, "<I", 77),
}


@pytest.mark.parametrize("lie", LIES)
def test_lying_headers(lie: str, small: bytes, shmbmp_bin: Path, tmp_path: Path) -> None:
    """Refused by decode and info with the Rust library's own message and kind."""
    bad = _patch(small, *LIES[lie])
    rust = rust_message(shmbmp_bin, bad, tmp_path)
    for call in (shmbmp.decode, shmbmp.info):
        with pytest.raises(shmbmp.DecodeError) as e:
            call(bad)
        assert e.value.kind in KINDS
        assert str(e.value) in rust, (str(e.value), rust)
    if lie == "huge width":
        assert e.value.kind == "refused by limits"


def test_limits_refuse_before_allocating(fixtures: Dict[str, Path]) -> None:
    seed = fixtures["bench/seed"].read_bytes()
    with pytest.raises(shmbmp.DecodeError, match="refused by limits") as e:
        shmbmp.decode(seed, max_pixels=1600 * 1200 - 1)
    assert e.value.kind == "refused by limits"
    with pytest.raises(shmbmp.DecodeError, match="refused by limits"):
        shmbmp.decode(seed, max_bytes=1600 * 1200 * 4 - 1)
    assert shmbmp.decode(seed, max_pixels=1600 * 1200).shape == (1200, 1600, 4)
    # 2^31 x 2^31 pixels claimed by a 64-byte file: refused, nothing allocated.
    tiny = bytearray(64)
    tiny[0:2] = b"BM"
    struct.pack_into("<IiiHH", tiny, 14, 40, 2**31 - 1, 2**31 - 1, 1, 32)
    with pytest.raises(shmbmp.DecodeError, match="refused by limits"):
        shmbmp.decode(bytes(tiny))
    with pytest.raises(OverflowError):
        shmbmp.decode(seed, max_pixels=-1)


def test_empty_input_is_truncated() -> None:
    for empty in (b"", bytearray(), memoryview(b""), np.zeros(0, np.uint8)):
        with pytest.raises(shmbmp.DecodeError) as e:
            shmbmp.decode(empty)
        assert e.value.kind == "truncated"


def test_unknown_decoder_names_the_choices(small: bytes) -> None:
    with pytest.raises(ValueError, match="choose one of naive, lut") as e:
        shmbmp.decode(small, decoder="fast")
    assert not isinstance(e.value, shmbmp.DecodeError)


class TestOut:
    """decode_into's `out` is checked before anything is written."""

    def test_wrong_shapes(self, small: bytes) -> None:
        h, w = shmbmp.decode(small).shape[:2]
        for shape in [(w, h, 4), (h, w, 3), (h, w), (h * w * 4,), (h, w, 4, 1), (h + 1, w, 4)]:
            out = np.zeros(shape, np.uint8)
            with pytest.raises(ValueError, match=rf"needs \({h}, {w}, 4\)"):
                shmbmp.decode_into(small, out)
            assert not out.any()

    def test_out_for_another_pixel_layout(self, small: bytes) -> None:
        h, w = shmbmp.decode(small).shape[:2]
        with pytest.raises(ValueError, match=rf"needs \({h}, {w}, 3\) \(height, width, BGR\)"):
            shmbmp.decode_into(small, np.zeros((h, w, 4), np.uint8), layout="BGR")
        with pytest.raises(ValueError, match="choose one of RGBA, BGRA, RGB, BGR"):
            shmbmp.decode(small, layout="ARGB")

    def test_wrong_dtype(self, small: bytes) -> None:
        h, w = shmbmp.decode(small).shape[:2]
        for dtype in (np.int8, np.uint16, np.float32):
            with pytest.raises(TypeError, match="dtype uint8"):
                shmbmp.decode_into(small, np.zeros((h, w, 4), dtype))

    def test_not_an_array(self, small: bytes) -> None:
        h, w = shmbmp.decode(small).shape[:2]
        for out in (None, bytearray(h * w * 4), [[0] * 4] * (h * w)):
            with pytest.raises(TypeError, match="numpy.ndarray"):
                shmbmp.decode_into(small, out)  # type: ignore[arg-type]

    def test_not_c_contiguous(self, small: bytes) -> None:
        h, w = shmbmp.decode(small).shape[:2]
        f_order = np.zeros((h, w, 4), np.uint8, order="F")
        strided = np.zeros((h, w * 2, 4), np.uint8)[:, ::2]
        for out in (f_order, strided):
            with pytest.raises(ValueError, match="C-contiguous"):
                shmbmp.decode_into(small, out)

    def test_read_only(self, small: bytes) -> None:
        out = np.zeros_like(shmbmp.decode(small))
        out.flags.writeable = False
        with pytest.raises(ValueError, match="cannot be written"):
            shmbmp.decode_into(small, out)

    def test_out_sharing_memory_with_the_input(self, small: bytes) -> None:
        """Refused, whether numpy's borrow tracking sees it (one base array) or only the
        address ranges show it (two memoryviews of one bytearray)."""
        h, w = shmbmp.decode(small).shape[:2]
        n = len(small)
        arena = np.zeros(n + h * w * 4, np.uint8)
        arena[:n] = np.frombuffer(small, np.uint8)
        block = bytearray(arena.tobytes())
        cases = [
            (arena[:n], arena[n - 4 : n - 4 + h * w * 4]),
            (memoryview(block)[:n], np.frombuffer(memoryview(block), np.uint8)[n - 4 : -4]),
        ]
        for data, overlapping in cases:
            with pytest.raises(ValueError, match="shares memory|already borrowed"):
                shmbmp.decode_into(data, overlapping.reshape(h, w, 4))
        disjoint = arena[n:].reshape(h, w, 4)
        shmbmp.decode_into(arena[:n], disjoint)
        assert np.array_equal(disjoint, shmbmp.decode(small))

    def test_decode_error_leaves_shape_checks_first(self, small: bytes) -> None:
        """A file that fails to parse raises DecodeError whatever `out` is."""
        with pytest.raises(shmbmp.DecodeError):
            shmbmp.decode_into(small[:30], np.zeros((1, 1, 4), np.uint8))
