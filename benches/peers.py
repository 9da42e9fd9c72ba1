#!/usr/bin/env python3
"""Python peers for the shmbmp benchmark: time the usual Python ways of turning a BMP into RGBA.

Environment (once, from the repo root; `.venv/` is gitignored):

    python3 -m venv .venv && .venv/bin/pip install numpy opencv-python-headless pillow

Run:

    .venv/bin/python benches/peers.py --fixtures DIR --out FILE.json [--quick] [--seed-loop]

Every `*.bmp` in DIR is a fixture, named by its file stem (names are opaque here). For each one
these peers are timed from the file's bytes in memory (no disk I/O in the timed region), each as
its users call it, into its own output; where that output is not RGBA, the library's conversion
to RGBA is timed apart, on an output decoded beforehand (a row with `converts`):

  cv2.imdecode           cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_UNCHANGED): BGR(A)/grey
  cv2.cvtColor           converts cv2.imdecode's output: cv2.cvtColor to RGBA (GRAY2RGBA /
                         BGR2RGBA / BGRA2RGBA)
  pillow                 Image.open(BytesIO(b)) and load(): a PIL image in the file's own mode
                         (P for palettes, RGB, RGBA, ...)
  pillow.convert         converts pillow's output unless it is RGBA already: im.convert("RGBA")
  numpy.lut              8-bit palettized BI_RGB files only: header parsed with struct,
                         palette -> (256, 4) table, table.take(indices, axis=0) -> (h, w, 4) uint8

and, each straight to one pixel layout (row key `layout`), to be compared like for like with
shmbmp decoding to that layout:

  cv2.imdecode BGR       cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR): (h, w, 3) BGR,
                         OpenCV's usual call, no conversion
  pillow RGB             Image.open(BytesIO(b)).convert("RGB"): a PIL image, mode RGB
  wuffs RGBA_NONPREMUL   pywuffs (Google's Wuffs): aux.ImageDecoder(config).decode(b).pixbuf, the
  wuffs BGRA_NONPREMUL   config's pixel_format RGBA_NONPREMUL, BGRA_NONPREMUL or BGR and its
  wuffs BGR              enabled_decoders [BMP]; one decoder per format, made once, reused;
                         (h, w, 4 or 3) ndarray, allocated by each call
  python.loop            --seed-loop, fixture `seed` only, run once: the widely copied
                         byte-at-a-time loop over a colour table (the historical anchor)

The process first keeps glibc malloc steady (mallopt M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD
2 GiB), as the Rust side does, so large freed blocks are reused rather than mapped afresh.

Each peer's output is converted to RGBA (outside the timed region) and compared with Pillow's;
`agrees_with_pillow` and `max_channel_delta` are recorded, never hidden. A peer that raises is
recorded with an `error` string.

Without pywuffs installed (bash .ci/python.sh installs it) the wuffs rows are left out, and
stderr says so.

Output JSON:

    {"schema": 2, "python": "3.11.7",
     "versions": {"numpy": .., "opencv": .., "pillow": .., "pywuffs": .. or null},
     "cpu": "...", "cores": 2, "date": "...Z", "quick": false, "allocator": "...",
     "results": [{"fixture": "seed", "file": "seed.bmp", "file_bytes": .., "peer": "cv2.imdecode",
                  "width": .., "height": .., "iterations": .., "median_ns": .., "min_ns": ..,
                  "p90_ns": .., "rgba_bytes": .., "output_bytes": .., "output_shape": [..],
                  "output_format": "BGR8 ndarray", "rgba_out": false, "converts": null,
                  "layout": null (the file's own) or "RGBA" / "BGRA" / "RGB" / "BGR",
                  "agrees_with_pillow": true, "max_channel_delta": 0, "error": null}, ...]}
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as _dt
import json
import os
import platform
import struct
import sys
import time
from io import BytesIO
from pathlib import Path

import cv2
import numpy as np
import PIL
from PIL import Image

try:
    import pywuffs
    import pywuffs.aux
except ImportError:  # the wuffs rows are left out, and main() says so
    pywuffs = None

SCHEMA = 2
SEED_FIXTURE = "seed"


# --------------------------------------------------------------------------------------------
# BMP header, parsed with explicit little-endian fixed-size formats ('<I' is 4 bytes everywhere;
# native 'l' would be 8 bytes on Linux and silently misread every field after it).
# --------------------------------------------------------------------------------------------


class BmpHeader:
    """The fields of a BMP header that a palette lookup needs."""

    __slots__ = (
        "off_bits",
        "width",
        "height",
        "top_down",
        "bpp",
        "compression",
        "palette",
        "stride",
    )

    def __init__(self, b: bytes):
        if len(b) < 26 or b[0:2] != b"BM":
            raise ValueError("not a BMP: missing 'BM' magic or shorter than 26 bytes")
        (off_bits,) = struct.unpack_from("<I", b, 10)
        (dib_size,) = struct.unpack_from("<I", b, 14)
        if dib_size == 12:  # BITMAPCOREHEADER: unsigned 16-bit dims, 3-byte palette entries
            width, height, _planes, bpp = struct.unpack_from("<HHHH", b, 18)
            compression, clr_used, entry = 0, 0, 3
        elif dib_size >= 40:  # BITMAPINFOHEADER and its V2..V5 extensions
            if len(b) < 14 + 40:
                raise ValueError("truncated BITMAPINFOHEADER")
            width, height = struct.unpack_from("<ii", b, 18)
            _planes, bpp = struct.unpack_from("<HH", b, 26)
            (compression,) = struct.unpack_from("<I", b, 30)
            (clr_used,) = struct.unpack_from("<I", b, 46)
            entry = 4
        else:
            raise ValueError(f"unsupported DIB header size {dib_size}")
        if width <= 0 or height == 0:
            raise ValueError(f"bad dimensions {width}x{height}")
        self.top_down = height < 0
        self.width, self.height = width, abs(height)
        self.bpp, self.compression, self.off_bits = bpp, compression, off_bits
        self.stride = ((width * bpp + 31) // 32) * 4
        self.palette = b""
        if bpp <= 8:
            pal_start = 14 + dib_size
            if dib_size == 40 and compression in (3, 6):  # masks follow a plain INFOHEADER
                pal_start += 12 if compression == 3 else 16
            declared = clr_used if 0 < clr_used <= (1 << bpp) else (1 << bpp)
            room = max(0, (off_bits - pal_start) // entry)
            n = min(declared, room)
            raw = b[pal_start : pal_start + n * entry]
            # normalise to BGRX, 4 bytes an entry
            if entry == 3:
                raw = b"".join(raw[i : i + 3] + b"\0" for i in range(0, len(raw), 3))
            self.palette = raw

    def need(self, b: bytes) -> None:
        end = self.off_bits + self.stride * self.height
        if len(b) < end:
            raise ValueError(f"truncated pixel data: needs {end} bytes, file has {len(b)}")


def is_pal8_uncompressed(b: bytes) -> bool:
    try:
        h = BmpHeader(b)
    except (ValueError, struct.error):
        return False
    return h.bpp == 8 and h.compression == 0


# --------------------------------------------------------------------------------------------
# The peers. Each takes the file's bytes and returns an ndarray.
# --------------------------------------------------------------------------------------------


def peer_cv2(b: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError("cv2.imdecode returned None (OpenCV could not decode the file)")
    return img


_CVT = {1: cv2.COLOR_GRAY2RGBA, 3: cv2.COLOR_BGR2RGBA, 4: cv2.COLOR_BGRA2RGBA}


def cv2_to_rgba(img: np.ndarray) -> np.ndarray:
    ch = 1 if img.ndim == 2 else img.shape[2]
    if img.dtype != np.uint8:
        raise ValueError(f"cv2 returned dtype {img.dtype}, not uint8")
    return cv2.cvtColor(img, _CVT[ch])


def cv2_format(img: np.ndarray) -> str:
    ch = 1 if img.ndim == 2 else img.shape[2]
    return {1: "grey8", 3: "BGR8", 4: "BGRA8"}.get(ch, f"{ch}-channel") + " ndarray"


def peer_pillow(b: bytes) -> Image.Image:
    im = Image.open(BytesIO(b))
    im.load()
    return im


def pillow_to_rgba(im: Image.Image) -> Image.Image:
    return im.convert("RGBA")


def pillow_reference(b: bytes) -> np.ndarray:
    with Image.open(BytesIO(b)) as im:
        return np.asarray(im.convert("RGBA"))


def peer_numpy_lut(b: bytes) -> np.ndarray:
    h = BmpHeader(b)
    if h.bpp != 8 or h.compression != 0:
        raise ValueError(f"numpy.lut handles 8-bit BI_RGB only, not {h.bpp}-bit compression {h.compression}")
    h.need(b)
    # Palette as RGBA bytes; indices past the palette map to opaque black (as Pillow does).
    lut = np.zeros((256, 4), np.uint8)
    lut[:, 3] = 255
    n = len(h.palette) // 4
    if n:
        bgrx = np.frombuffer(h.palette, np.uint8).reshape(n, 4)
        lut[:n, 0] = bgrx[:, 2]
        lut[:n, 1] = bgrx[:, 1]
        lut[:n, 2] = bgrx[:, 0]
    rows = np.frombuffer(b, np.uint8, count=h.stride * h.height, offset=h.off_bits)
    idx = rows.reshape(h.height, h.stride)[:, : h.width]
    if not h.top_down:
        idx = idx[::-1]
    # take() along axis 0 was ~2x faster than indexing a uint32 view of the table and ~14x faster
    # than lut[idx] on the seed frame; it yields a fresh contiguous (h, w, 4) array.
    return lut.take(idx, axis=0)


def peer_python_loop(b: bytes) -> np.ndarray:
    """The historical way: a byte-at-a-time loop with a colour table, header parsed correctly."""
    h = BmpHeader(b)
    if h.bpp != 8 or h.compression != 0:
        raise ValueError("python.loop handles 8-bit BI_RGB only")
    h.need(b)
    pal = h.palette
    table = []
    for i in range(256):
        if 4 * i + 4 <= len(pal):
            blue, green, red = pal[4 * i], pal[4 * i + 1], pal[4 * i + 2]
            table.append((red, green, blue, 255))
        else:
            table.append((0, 0, 0, 255))
    out = bytearray()
    rows = range(h.height) if h.top_down else range(h.height - 1, -1, -1)
    for y in rows:
        start = h.off_bits + y * h.stride
        for x in range(h.width):
            r, g, bl, a = table[b[start + x]]
            out.append(r)
            out.append(g)
            out.append(bl)
            out.append(a)
    return np.frombuffer(bytes(out), np.uint8).reshape(h.height, h.width, 4)


def peer_cv2_bgr(b: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError("cv2.imdecode returned None (OpenCV could not decode the file)")
    return img


def peer_pillow_rgb(b: bytes) -> Image.Image:
    return Image.open(BytesIO(b)).convert("RGB")


def wuffs_peer(pixel_format: str):
    """pywuffs' call for `pixel_format` (a pywuffs.PixelFormat name): one ImageDecoder, made
    once with BMP alone enabled, decodes each file into a new ndarray."""
    config = pywuffs.aux.ImageDecoderConfig()
    config.enabled_decoders = [pywuffs.ImageDecoderType.BMP]
    config.pixel_format = getattr(pywuffs.PixelFormat, pixel_format)
    decoder = pywuffs.aux.ImageDecoder(config)

    def call(b: bytes) -> np.ndarray:
        result = decoder.decode(b)
        if result.error_message:
            raise ValueError(f"wuffs: {result.error_message}")
        return result.pixbuf

    return call


_TO_RGBA = {  # a layout's ndarray as RGBA, for the agreement check (untimed)
    "RGBA": lambda a: a,
    "BGRA": lambda a: cv2.cvtColor(a, cv2.COLOR_BGRA2RGBA),
    "RGB": lambda a: cv2.cvtColor(np.asarray(a), cv2.COLOR_RGB2RGBA),
    "BGR": lambda a: cv2.cvtColor(a, cv2.COLOR_BGR2RGBA),
}


class Peer:
    """A peer: its own call, what its output is, and its library's conversion to RGBA."""

    def __init__(self, name, call, applies, describe, rgba_check, conversion=None, needs=None, layout=None):
        self.name, self.call, self.applies = name, call, applies
        self.layout = layout  # the pixel layout its output always is; None: the file's own
        self.describe = describe  # output -> (format in words, bytes, shape)
        self.rgba_check = rgba_check  # output -> RGBA ndarray for the agreement check (untimed)
        self.conversion = conversion  # (name, output -> RGBA), timed apart
        self.needs = needs or (lambda out: True)  # whether this output needs the conversion


def _nd(fmt):
    """describe() of an ndarray output: (format, bytes, shape, whether it is RGBA)."""

    def describe(out):
        f = fmt(out)
        return f, int(out.nbytes), [int(x) for x in out.shape], f.startswith("RGBA8")

    return describe


def _pil(im):
    """describe() of a PIL image output."""
    bands = len(im.getbands())
    return f"PIL image, mode {im.mode}", im.width * im.height * bands, [im.height, im.width, bands], im.mode == "RGBA"


PEERS = [
    Peer("cv2.imdecode", peer_cv2, lambda b: True, _nd(cv2_format), cv2_to_rgba,
         ("cv2.cvtColor", cv2_to_rgba)),
    Peer("pillow", peer_pillow, lambda b: True, _pil, lambda im: np.asarray(im.convert("RGBA")),
         ("pillow.convert", pillow_to_rgba), lambda im: im.mode != "RGBA"),
    Peer("numpy.lut", peer_numpy_lut, is_pal8_uncompressed, _nd(lambda a: "RGBA8 ndarray"), lambda a: a),
    Peer("cv2.imdecode BGR", peer_cv2_bgr, lambda b: True, _nd(cv2_format), _TO_RGBA["BGR"], layout="BGR"),
    Peer("pillow RGB", peer_pillow_rgb, lambda b: True, _pil, _TO_RGBA["RGB"], layout="RGB"),
]
if pywuffs is not None:
    for _fmt, _layout in (("RGBA_NONPREMUL", "RGBA"), ("BGRA_NONPREMUL", "BGRA"), ("BGR", "BGR")):
        PEERS.append(Peer(f"wuffs {_fmt}", wuffs_peer(_fmt), lambda b: True,
                          _nd(lambda a, f=_layout: f"{f}8 ndarray"), _TO_RGBA[_layout], layout=_layout))


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


class Budget:
    def __init__(self, quick: bool):
        if quick:
            self.warm_min, self.warm_ns = 1, 20_000_000
            self.min_iter, self.max_iter, self.measure_ns = 5, 200, 150_000_000
        else:
            self.warm_min, self.warm_ns = 3, 300_000_000
            self.min_iter, self.max_iter, self.measure_ns = 20, 2000, 2_000_000_000


def time_peer(fn, b: bytes, budget: Budget):
    """Warm up, then time repeated runs. Returns (samples_ns, last_output)."""
    clock = time.perf_counter_ns
    t0 = clock()
    n = 0
    out = None
    while n < budget.warm_min or clock() - t0 < budget.warm_ns:
        out = fn(b)
        n += 1
    samples = []
    t_start = clock()
    while len(samples) < budget.max_iter and (
        len(samples) < budget.min_iter or clock() - t_start < budget.measure_ns
    ):
        s = clock()
        out = fn(b)
        samples.append(clock() - s)
    return samples, out


def stats(samples: list[int]) -> dict:
    s = sorted(samples)
    n = len(s)
    mid = n // 2
    median = s[mid] if n % 2 else (s[mid - 1] + s[mid]) // 2
    p90 = s[min(n - 1, max(0, -(-9 * n // 10) - 1))]  # nearest-rank 90th percentile
    return {"iterations": n, "median_ns": int(median), "min_ns": int(s[0]), "p90_ns": int(p90)}


def compare(rgba, ref) -> dict:
    if ref is None:
        return {"agrees_with_pillow": None, "max_channel_delta": None, "note": "Pillow failed on this file"}
    if rgba.shape != ref.shape:
        return {
            "agrees_with_pillow": False,
            "max_channel_delta": None,
            "note": f"shape {list(rgba.shape)} differs from Pillow's {list(ref.shape)}",
        }
    delta = int(np.max(np.abs(rgba.astype(np.int16) - ref.astype(np.int16)))) if rgba.size else 0
    out = {"agrees_with_pillow": delta == 0, "max_channel_delta": delta}
    if delta:
        out["differing_bytes"] = int(np.count_nonzero(rgba != ref))
    return out


def error_string(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


def run_peer(name, fn, to_rgba, describe, fixture, path, arg, b, ref, budget, once=False):
    """Times fn(arg); returns the row and the last output (None when fn raised)."""
    row = {"fixture": fixture, "file": path.name, "file_bytes": len(b), "peer": name, "error": None}
    try:
        if once:
            s = time.perf_counter_ns()
            out = fn(arg)
            samples = [time.perf_counter_ns() - s]
        else:
            samples, out = time_peer(fn, arg, budget)
    except Exception as e:  # noqa: BLE001 - a peer that raises is a result, not a crash
        row["error"] = error_string(e)
        return row, None
    row.update(stats(samples))
    try:
        rgba = np.ascontiguousarray(to_rgba(out))
        row["width"], row["height"] = int(rgba.shape[1]), int(rgba.shape[0])
        row["rgba_bytes"] = int(rgba.shape[0]) * int(rgba.shape[1]) * 4
        fmt, nbytes, shape, is_rgba = describe(out)
        row["output_format"], row["output_bytes"], row["output_shape"] = fmt, nbytes, shape
        row["rgba_out"] = is_rgba
        row.update(compare(rgba, ref))
    except Exception as e:  # noqa: BLE001
        row["agrees_with_pillow"] = None
        row["max_channel_delta"] = None
        row["note"] = "could not convert output to RGBA for the check: " + error_string(e)
    return row, out


def hold_allocator_steady() -> str:
    """glibc malloc keeps freed large blocks for reuse, as the Rust side's timing does."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return "allocator at its defaults (no mallopt here)"
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    m_trim_threshold, m_mmap_threshold = -1, -3
    mmap = mallopt(m_mmap_threshold, 32 << 20)
    trim = mallopt(m_trim_threshold, 2**31 - 1)
    if mmap == 1 and trim == 1:
        return "glibc malloc held steady (mallopt M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 2 GiB)"
    return f"glibc malloc at its defaults: mallopt refused ({mmap}, {trim})"


# --------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fixtures", required=True, type=Path, help="directory of NAME.bmp files")
    ap.add_argument("--out", required=True, type=Path, help="JSON file to write")
    ap.add_argument("--quick", action="store_true", help="few repetitions: done in well under a minute")
    ap.add_argument("--seed-loop", action="store_true", help="also run the pure-Python loop once on seed.bmp")
    args = ap.parse_args(argv)

    files = sorted(p for p in args.fixtures.iterdir() if p.suffix.lower() == ".bmp" and p.is_file())
    if not files:
        print(f"peers.py: no *.bmp in {args.fixtures}", file=sys.stderr)
        return 2
    # the seed frame first, then the rest by name
    files.sort(key=lambda p: (p.stem != SEED_FIXTURE, p.name))
    budget = Budget(args.quick)
    allocator = hold_allocator_steady()
    if pywuffs is None:
        print("peers.py: pywuffs is not installed: the wuffs rows are left out "
              "(bash .ci/python.sh installs it)", file=sys.stderr)
    cv2.setNumThreads(1)
    try:  # a file OpenCV rejects is recorded as an error row; keep its C++ log off stderr
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    except AttributeError:
        pass  # one core for every peer; the Rust side is single-threaded too

    results = []
    for path in files:
        b = path.read_bytes()
        fixture = path.stem
        try:
            ref = pillow_reference(b)
        except Exception:  # noqa: BLE001 - recorded by the pillow row itself
            ref = None
        for p in PEERS:
            if not p.applies(b):
                continue
            row, out = run_peer(p.name, p.call, p.rgba_check, p.describe, fixture, path, b, b, ref, budget)
            row["layout"] = p.layout
            results.append(row)
            print(_line(row), file=sys.stderr)
            if out is None or p.conversion is None or not p.needs(out):
                continue
            conv_name, conv = p.conversion
            row, _ = run_peer(conv_name, conv, np.asarray, _nd(lambda a: "RGBA8 ndarray") if conv is cv2_to_rgba else _pil,
                              fixture, path, out, b, ref, budget)
            row["converts"] = p.name
            results.append(row)
            print(_line(row), file=sys.stderr)
        if args.seed_loop and fixture == SEED_FIXTURE:
            row, _ = run_peer("python.loop", peer_python_loop, lambda a: a, _nd(lambda a: "RGBA8 ndarray"),
                              fixture, path, b, b, ref, budget, once=True)
            row["anchor"] = True
            results.append(row)
            print(_line(row), file=sys.stderr)

    if args.seed_loop and not any(p.stem == SEED_FIXTURE for p in files):
        print(f"peers.py: --seed-loop given but no {SEED_FIXTURE}.bmp in {args.fixtures}", file=sys.stderr)

    doc = {
        "schema": SCHEMA,
        "python": platform.python_version(),
        "versions": versions(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": bool(args.quick),
        "allocator": allocator,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return 0


def versions() -> dict:
    """Each peer library's version; pywuffs' is null when it is not installed."""
    from importlib import metadata

    try:
        wuffs = metadata.version("pywuffs")
    except metadata.PackageNotFoundError:
        wuffs = None
    return {"numpy": np.__version__, "opencv": cv2.__version__, "pillow": PIL.__version__,
            "pywuffs": wuffs}


def _line(row: dict) -> str:
    if row["error"]:
        return f"{row['fixture']:>16} {row['peer']:<22} ERROR {row['error']}"
    agree = row.get("agrees_with_pillow")
    mark = "=" if agree else ("?" if agree is None else f"!= (max delta {row.get('max_channel_delta')})")
    return (
        f"{row['fixture']:>16} {row['peer']:<22} median {row['median_ns'] / 1e6:9.3f} ms "
        f"x{row['iterations']:<5} pillow{mark}"
    )


if __name__ == "__main__":
    sys.exit(main())
