"""Wuffs (pywuffs, a Python peer in benches/peers.py) on BMP Suite (tests/data/bmpsuite, or
BMPSUITE_DIR): per folder g/, q/, b/, how many files it decoded, how many of those equal a
stored peer reference (ref-*/: Pillow, OpenCV, image, zune), how many it refused with an
error, and how many crashed it. The decodes run in a child process, so that a crash is
counted instead of ending the test run; the counts are recorded below and checked.

Also a script: python python/tests/test_bmpsuite_wuffs.py [DIR] prints the counts as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("g", "q", "b")

# The recorded counts (pywuffs 2.0.1, RGBA_NONPREMUL, BMP alone enabled).
WUFFS = {
    "g": {"files": 27, "decoded": 27, "= reference": 27, "refused": 0, "crashed": 0},
    "q": {"files": 43, "decoded": 38, "= reference": 33, "refused": 5, "crashed": 0},
    "b": {"files": 20, "decoded": 7, "= reference": 7, "refused": 13, "crashed": 0},
}


def suite_dir() -> Path:
    return Path(os.environ.get("BMPSUITE_DIR") or REPO / "tests" / "data" / "bmpsuite")


def count(suite: Path) -> Dict[str, Dict[str, int]]:
    """Decodes every file of g/, q/ and b/ with Wuffs to RGBA; one folder's counts each."""
    import numpy as np
    import pywuffs
    import pywuffs.aux
    from PIL import Image

    config = pywuffs.aux.ImageDecoderConfig()
    config.enabled_decoders = [pywuffs.ImageDecoderType.BMP]
    config.pixel_format = pywuffs.PixelFormat.RGBA_NONPREMUL
    decoder = pywuffs.aux.ImageDecoder(config)
    refs = sorted(p.name for p in suite.glob("ref-*"))
    counts = {}
    for folder in FOLDERS:
        c = {"files": 0, "decoded": 0, "= reference": 0, "refused": 0, "crashed": 0}
        for path in sorted((suite / folder).glob("*.bmp")):
            c["files"] += 1
            print(f"{folder}/{path.name}", file=sys.stderr, flush=True)  # the last one crashed
            result = decoder.decode(path.read_bytes())
            if result.error_message:
                c["refused"] += 1
                continue
            c["decoded"] += 1
            rgba = np.asarray(result.pixbuf)
            for ref in refs:
                png = suite / ref / folder / (path.stem + ".png")
                if png.is_file():
                    with Image.open(png) as im:
                        if np.array_equal(np.asarray(im.convert("RGBA")), rgba):
                            c["= reference"] += 1
                            break
        counts[folder] = c
    return counts


def test_wuffs_bmpsuite_counts() -> None:
    from conftest import missing

    suite = suite_dir()
    if not (suite / "g").is_dir():
        missing(f"BMP Suite folder {suite} (set BMPSUITE_DIR)")
    try:
        import pywuffs  # noqa: F401
    except ImportError:
        missing("pywuffs (bash .ci/python.sh installs it)")
    p = subprocess.run([sys.executable, __file__, str(suite)], capture_output=True, text=True)
    if p.returncode != 0:
        last = p.stderr.strip().splitlines()[-1:] or ["?"]
        raise AssertionError(f"Wuffs crashed (status {p.returncode}) on {last[0]}:\n{p.stderr}")
    counts = json.loads(p.stdout)
    print(json.dumps(counts))
    assert counts == WUFFS


if __name__ == "__main__":
    print(json.dumps(count(Path(sys.argv[1]) if len(sys.argv) > 1 else suite_dir())))
