"""Every built-in fixture: equal to the Rust decode, with every decoder; equal to Pillow
where Pillow decodes it; `info` agrees with the decode."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import numpy as np
import pytest

import shmbmp
from conftest import missing


def test_decoders_lists_the_core_decoders() -> None:
    names = shmbmp.decoders()
    assert names[:3] == ["naive", "lut", "lut_mt"]
    assert "lut_scalar" in names
    assert isinstance(shmbmp.__version__, str) and shmbmp.__version__.count(".") == 2


@pytest.mark.parametrize("decoder", shmbmp.decoders())
def test_every_fixture_equals_the_rust_decode(
    decoder: str, fixtures: Dict[str, Path], rust_rgba: Dict[str, np.ndarray]
) -> None:
    differ = []
    for key, path in fixtures.items():
        got = shmbmp.decode(path.read_bytes(), decoder=decoder)
        assert got.dtype == np.uint8 and got.ndim == 3 and got.shape[2] == 4
        assert got.flags.c_contiguous and got.flags.writeable
        if not np.array_equal(got, rust_rgba[key]):
            differ.append(key)
    assert not differ, f"{decoder} differs from the Rust decode on {differ}"


def test_decode_into_equals_decode(fixtures: Dict[str, Path]) -> None:
    for key, path in fixtures.items():
        bmp = path.read_bytes()
        want = shmbmp.decode(bmp)
        out = np.full_like(want, 0xAB)  # dirty: every byte must be written
        assert shmbmp.decode_into(bmp, out) == (want.shape[1], want.shape[0]), key
        assert np.array_equal(out, want), key


ORDER = {"RGBA": [0, 1, 2, 3], "BGRA": [2, 1, 0, 3], "RGB": [0, 1, 2], "BGR": [2, 1, 0]}


@pytest.mark.parametrize("name", ORDER)
def test_every_pixel_layout_is_the_rgba_decode_reordered(
    name: str, fixtures: Dict[str, Path]
) -> None:
    for key, path in fixtures.items():
        bmp = path.read_bytes()
        want = np.ascontiguousarray(shmbmp.decode(bmp)[..., ORDER[name]])
        got = shmbmp.decode(bmp, layout=name.lower())
        assert got.shape == want.shape and np.array_equal(got, want), (key, name)
        out = np.full_like(want, 0xAB)
        shmbmp.decode_into(bmp, out, layout=name)
        assert np.array_equal(out, want), (key, name)


def test_bgr_is_what_opencv_decodes(fixtures: Dict[str, Path]) -> None:
    """OpenCV users get its own layout directly (cv2 is one of the Python peers)."""
    try:
        import cv2
    except ImportError:
        missing("OpenCV (pip install -r requirements.txt)")
    for key in ("bench/seed", "bench/rgb24_1600", "small/pal4", "small/rgb32"):
        bmp = fixtures[key].read_bytes()
        bgr = cv2.imdecode(np.frombuffer(bmp, np.uint8), cv2.IMREAD_COLOR)
        assert np.array_equal(shmbmp.decode(bmp, layout="BGR"), bgr), key


def _pillow(path: Path) -> "np.ndarray | None":
    try:
        from PIL import Image
    except ImportError:
        missing("Pillow (pip install -r requirements.txt)")
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGBA"))
    except (OSError, ValueError):  # 2-bit, 4444 bitfields: Pillow refuses them
        return None


def test_every_fixture_equals_pillow_where_pillow_decodes_it(
    fixtures: Dict[str, Path],
) -> None:
    compared, refused, differ = [], [], []
    for key, path in fixtures.items():
        if shmbmp.info(path.read_bytes())["format"] in ("rle8", "rle4"):
            # Pillow 13 refuses these files and Pillow 11 stops early in them; the Rust
            # suite compares RLE with OpenCV and zune-bmp (README, "Support").
            refused.append(key)
            continue
        pil = _pillow(path)
        if pil is None:
            refused.append(key)
            continue
        compared.append(key)
        ours = shmbmp.decode(path.read_bytes())
        assert ours.shape == pil.shape, key
        if shmbmp.info(path.read_bytes())["bits"] == 16:
            # 5- and 6-bit channels: we round exactly, Pillow floors (README, "The canonical
            # output"); they differ by at most 1 in colour, never in alpha.
            d = np.abs(ours.astype(int) - pil.astype(int))
            assert d[..., :3].max() <= 1 and d[..., 3].max() == 0, key
        elif not np.array_equal(ours, pil):
            differ.append(key)
    assert not differ, f"differ from Pillow: {differ}"
    assert len(compared) >= 45, (compared, refused)


def test_info_agrees_with_the_decode(fixtures: Dict[str, Path]) -> None:
    for key, path in fixtures.items():
        bmp = path.read_bytes()
        i = shmbmp.info(bmp)
        rgba = shmbmp.decode(bmp)
        assert rgba.shape == (i["height"], i["width"], 4), key
        assert i["output_len"] == rgba.nbytes, key
        assert i["bits"] in (1, 2, 4, 8, 16, 24, 32), key
        assert i["format"] in ("indexed", "rle8", "rle4", "bgr24", "bitfields"), key
        assert (i["masks"] is not None) == (i["format"] == "bitfields"), key
        if not i["alpha"]:
            assert (rgba[..., 3] == 255).all(), key


def test_info_of_the_seed_frame(fixtures: Dict[str, Path]) -> None:
    i = shmbmp.info(fixtures["bench/seed"].read_bytes())
    assert i == {
        "width": 1600,
        "height": 1200,
        "top_down": False,
        "bits": 8,
        "compression": 0,
        "format": "indexed",
        "masks": None,
        "palette_size": 256,
        "alpha": False,
        "header": "BITMAPINFOHEADER (40 bytes)",
        "data_offset": 1078,
        "file_size": 1921078,
        "output_len": 7680000,
    }
