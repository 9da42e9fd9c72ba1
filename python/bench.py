#!/usr/bin/env python3
"""shmbmp from Python, timed beside the usual Python ways, in one process.

From the repository root, with the package and the peers installed (bash .ci/python.sh)
and the Rust CLI built (cargo build --release --bin shmbmp):

    .venv/bin/python python/bench.py [--quick] [--out FILE.json]

Per built-in benchmark fixture (`shmbmp fixtures --bench`), steady state (warm-up, then
repeated calls on the file's bytes in memory), with the timing rules and peers of
benches/peers.py (cv2.imdecode, + cvtColor to RGBA, Pillow, the numpy palette lookup):

  shmbmp.decode       shmbmp.decode(b): a new (h, w, 4) array each call
  shmbmp.decode_into  shmbmp.decode_into(b, out): one array reused, the camera loop
  shmbmp.decode_into BGR  the same into (h, w, 3) BGR: what cv2.imdecode gives, unconverted

Then, on the seed frame, the binding's cost: the Rust CLI's `shmbmp bench --decoder lut`
(lut_into a reused buffer, interleaved round by round with a memcpy of the output, the
floor) run from here, and the same interleaved procedure in Python (numpy.copyto of the
output as the floor, then decode_into), alternating Rust and Python runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import numpy as np

HERE = Path(__file__).resolve().parent
# Python puts this script's folder first on sys.path, and python/shmbmp there is the source
# package without its compiled extension: time the installed one.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
import shmbmp  # noqa: E402

REPO = HERE.parent


def _load_peers():
    """benches/peers.py: the peers and the timing rules, in one place for both benches."""
    spec = importlib.util.spec_from_file_location("peers", REPO / "benches" / "peers.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peers = _load_peers()


def ours(b: bytes) -> List[Tuple[str, Callable[[bytes], np.ndarray], object]]:
    """shmbmp's calls for the file `b` (decode_into gets its reused array here), each with
    the converter of its output to RGBA for the agreement check (None: already RGBA)."""
    i = shmbmp.info(b)
    rgba = np.empty((i["height"], i["width"], 4), np.uint8)
    bgr = np.empty((i["height"], i["width"], 3), np.uint8)

    def decode_into(data: bytes) -> np.ndarray:
        shmbmp.decode_into(data, rgba)
        return rgba

    def decode_into_bgr(data: bytes) -> np.ndarray:
        shmbmp.decode_into(data, bgr, layout="BGR")
        return bgr

    return [
        ("shmbmp.decode", shmbmp.decode, None),
        ("shmbmp.decode_into", decode_into, None),
        ("shmbmp.decode_into BGR", decode_into_bgr, peers.cv2_to_rgba),
    ]


UNITS = {"ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}


def rust_lut_into(cli: Path, seed: Path, rounds: int) -> Tuple[float, float]:
    """(floor, lut) medians in ns from `shmbmp bench SEED --decoder lut`."""
    text = subprocess.run(
        [str(cli), "bench", str(seed), "--decoder", "lut", "--iters", str(rounds)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def median(label: str) -> float:
        m = re.search(rf"{re.escape(label)}\s+([\d.]+) (ns|µs|us|ms|s)\b", text)
        if not m:
            raise ValueError(f"no {label!r} row in:\n{text}")
        return float(m.group(1)) * UNITS[m.group(2)]

    return median("floor (memcpy)"), median("lut (decode_into)")


def python_interleaved(seed: bytes, rounds: int) -> Tuple[float, float]:
    """(floor, decode_into) medians in ns, timed as the Rust CLI does: one untimed run
    each, then per round the floor (a copy of the output's size) and one decode_into."""
    i = shmbmp.info(seed)
    out = np.empty((i["height"], i["width"], 4), np.uint8)
    src, dst = np.full(out.nbytes, 0x5A, np.uint8), np.empty(out.nbytes, np.uint8)
    jobs = [lambda: np.copyto(dst, src), lambda: shmbmp.decode_into(seed, out)]
    for job in jobs:
        job()
    samples: List[List[int]] = [[], []]
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for k, job in enumerate(jobs):
            t = clock()
            job()
            samples[k].append(clock() - t)
    return statistics.median(samples[0]), statistics.median(samples[1])


def main(argv: List[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", type=Path, default=REPO / "target" / "release" / "shmbmp")
    ap.add_argument("--fixtures", type=Path, help="folder of NAME.bmp (default: the CLI's)")
    ap.add_argument("--quick", action="store_true", help="few repetitions (seconds, not minutes)")
    ap.add_argument("--rounds", type=int, default=200, help="interleaved rounds on the seed")
    ap.add_argument("--out", type=Path, help="also write the results as JSON")
    args = ap.parse_args(argv)
    if not args.cli.is_file():
        ap.error(f"no Rust CLI at {args.cli}: cargo build --release --bin shmbmp")

    tmp = None
    fixtures = args.fixtures
    if fixtures is None:
        tmp = tempfile.TemporaryDirectory(prefix="shmbmp-bench-")
        fixtures = Path(tmp.name)
        subprocess.run([str(args.cli), "fixtures", "--bench", "--out", str(fixtures)],
                       check=True, stdout=subprocess.DEVNULL)
    files = sorted(fixtures.glob("*.bmp"), key=lambda p: (p.stem != "seed", p.name))

    peers.cv2.setNumThreads(1)  # one core for every peer, as benches/peers.py runs them
    budget = peers.Budget(args.quick)
    results: List[dict] = []
    for path in files:
        b = path.read_bytes()
        try:
            ref = peers.peer_pillow(b)
        except Exception:  # noqa: BLE001 - the pillow row records it
            ref = None
        rows = ours(b) + [(name, fn, conv) for name, fn, conv, ok in peers.PEERS if ok(b)]
        for name, fn, to_rgba in rows:
            row = peers.run_peer(name, fn, to_rgba, path.stem, path, b, ref, budget)
            results.append(row)
            print(peers._line(row), file=sys.stderr)

    seed = next(p for p in files if p.stem == "seed")
    rounds = 30 if args.quick else args.rounds
    pairs = []
    for _ in range(3):  # alternate, so drift on a shared machine hits both sides
        rust = rust_lut_into(args.cli, seed, rounds)
        py = python_interleaved(seed.read_bytes(), rounds)
        pairs.append({"rust_floor_ns": rust[0], "rust_lut_into_ns": rust[1],
                      "python_floor_ns": py[0], "python_decode_into_ns": py[1]})
    binding = {k: statistics.median(p[k] for p in pairs) for k in pairs[0]}

    print(table(results, binding))
    if args.out:
        doc = {"python": sys.version.split()[0], "shmbmp": shmbmp.__version__,
               "cpu": peers.cpu_model(), "quick": args.quick, "rounds": rounds,
               "results": results, "seed_binding": binding, "seed_binding_runs": pairs}
        args.out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    if tmp:
        tmp.cleanup()
    return 0


def table(results: List[dict], b: Dict[str, float]) -> str:
    """The Markdown tables: per fixture, then the seed frame's binding cost."""
    names = ["shmbmp.decode_into", "shmbmp.decode", "cv2.imdecode+cvtColor", "pillow",
             "numpy.lut", "shmbmp.decode_into BGR", "cv2.imdecode"]
    by: Dict[str, Dict[str, dict]] = {}
    for r in results:
        by.setdefault(r["fixture"], {})[r["peer"]] = r

    def cell(r: dict | None) -> str:
        if r is None:
            return ""
        if r["error"]:
            return "error"
        return f"{r['median_ns'] / 1e6:.3f}" + ("" if r.get("agrees_with_pillow") in (True, None) else "*")

    lines = [f"CPU: {peers.cpu_model()}; medians in ms, steady state, one thread "
             "(* = differs from Pillow: 16-bit rounding, or alpha dropped by BGR)", "",
             "| fixture | " + " | ".join(names) + " | decode_into / cv2+cvtColor |",
             "|---|" + "--:|" * (len(names) + 1)]
    for fixture, row in by.items():
        ours_ns, cv2_ns = row.get("shmbmp.decode_into"), row.get("cv2.imdecode+cvtColor")
        ratio = (f"{ours_ns['median_ns'] / cv2_ns['median_ns']:.2f}x"
                 if ours_ns and cv2_ns and not cv2_ns["error"] and not ours_ns["error"] else "")
        lines.append(f"| {fixture} | " + " | ".join(cell(row.get(n)) for n in names) + f" | {ratio} |")
    lines += ["", "Seed frame, interleaved with a memcpy floor (medians of 3 alternating runs):", "",
              "| | floor | lut_into / decode_into | / floor |", "|---|--:|--:|--:|",
              f"| Rust `shmbmp bench --decoder lut` | {b['rust_floor_ns'] / 1e3:.0f} µs | "
              f"{b['rust_lut_into_ns'] / 1e3:.0f} µs | {b['rust_lut_into_ns'] / b['rust_floor_ns']:.2f} |",
              f"| Python `shmbmp.decode_into` | {b['python_floor_ns'] / 1e3:.0f} µs | "
              f"{b['python_decode_into_ns'] / 1e3:.0f} µs | "
              f"{b['python_decode_into_ns'] / b['python_floor_ns']:.2f} |",
              "", f"Python decode_into / Rust lut_into: "
              f"{b['python_decode_into_ns'] / b['rust_lut_into_ns']:.2f}x"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
