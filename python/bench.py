#!/usr/bin/env python3
"""shmbmp from Python, timed beside the usual Python ways, in one process.

From the repository root, with the package and the peers installed (bash .ci/python.sh)
and the Rust CLI built (cargo build --release --bin shmbmp):

    .venv/bin/python python/bench.py [--quick] [--out FILE.json]

Per built-in benchmark fixture (`shmbmp fixtures --bench`), steady state (warm-up, then
repeated calls on the file's bytes in memory), with the timing rules and peers of
benches/peers.py (each of its PEERS, e.g. cv2.imdecode, Pillow, the numpy palette lookup,
with its library's conversion to RGBA timed apart where its output is not RGBA):

  shmbmp.decode       shmbmp.decode(b): a new (h, w, 4) array each call
  shmbmp.decode_into  shmbmp.decode_into(b, out): one array reused, the camera loop
  shmbmp.decode_into BGR  the same into (h, w, 3) BGR: what cv2.imdecode gives, unconverted

Then, on the seed frame, the binding's cost: the Rust CLI's `shmbmp bench --decoder lut`
(lut_into a reused buffer, interleaved round by round with the memcpy and write floors,
each job several times in a row a round: the first in turn, the second repeated) run from
here, and the same procedure in
Python (numpy.copyto and ndarray.fill as the floors, then decode_into), alternating Rust
and Python runs; then decode_into on 1 and 2 threads, hot and paced at 60 frames/s.

--threads-only runs just that last part (seconds), e.g. to check `threads=`'s default on
another machine.

--out writes what benches/peers.py writes (its environment fields and one row per fixture
and call, same keys) plus `versions.shmbmp`, `rounds`, `seed_binding` (the medians of the
three alternating runs: {rust,python}_{floor,fill,decode_into}_ns in turn and the same
with _repeat_ns, repeated), `seed_binding_runs` (each run) and `seed_threads`
(decode_into on the seed frame with threads=1 and threads=2, hot and paced at 60 frames/s:
python_threads). `cargo bench` runs this script into
target/python-bench.json when the venv has the package, and the report renders its
"From Python" table.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import os
import platform
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


RGBA8 = peers._nd(lambda a: "RGBA8 ndarray")


def ours(b: bytes) -> List[Tuple[str, Callable[[bytes], np.ndarray], Callable, Callable]]:
    """shmbmp's calls for the file `b` (decode_into gets its reused array here), each as
    peers.run_peer takes them: name, call, converter to RGBA for the agreement check (BGR
    loses the alpha, so it differs from Pillow where the file has one), describer."""
    i = shmbmp.info(b)
    rgba = np.empty((i["height"], i["width"], 4), np.uint8)
    bgr = np.empty((i["height"], i["width"], 3), np.uint8)

    def decode_into(data: bytes) -> np.ndarray:
        shmbmp.decode_into(data, rgba)
        return rgba

    def decode_into_bgr(data: bytes) -> np.ndarray:
        shmbmp.decode_into(data, bgr, layout="BGR")
        return bgr

    same = lambda a: a  # noqa: E731
    return [
        ("shmbmp.decode", shmbmp.decode, same, RGBA8),
        ("shmbmp.decode_into", decode_into, same, RGBA8),
        ("shmbmp.decode_into BGR", decode_into_bgr, peers.cv2_to_rgba,
         peers._nd(lambda a: "BGR8 ndarray")),
    ]


def describe_any(out) -> tuple:
    """describe() of a conversion's output: an ndarray or a PIL image."""
    return RGBA8(out) if isinstance(out, np.ndarray) else peers._pil(out)


def time_fixture(path: Path, budget) -> List[dict]:
    """Every row of one fixture: ours, then each peer of benches/peers.py that applies, and
    its library's conversion to RGBA timed apart where its output is not RGBA (as peers.py
    runs them)."""
    b = path.read_bytes()
    try:
        ref = peers.pillow_reference(b)
    except Exception:  # noqa: BLE001 - the pillow row records it
        ref = None
    rows: List[dict] = []

    def run(name, fn, to_rgba, describe, arg):
        row, out = peers.run_peer(name, fn, to_rgba, describe, path.stem, path, arg, b, ref, budget)
        rows.append(row)
        print(peers._line(row), file=sys.stderr)
        return row, out

    for name, fn, to_rgba, describe in ours(b):
        run(name, fn, to_rgba, describe, b)
    for p in peers.PEERS:
        if not p.applies(b):
            continue
        _, out = run(p.name, p.call, p.rgba_check, p.describe, b)
        if out is None or p.conversion is None or not p.needs(out):
            continue
        conv_name, conv = p.conversion
        row, _ = run(conv_name, conv, np.asarray, describe_any, out)
        row["converts"] = p.name
    return rows


UNITS = {"ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}


def rust_lut_into(cli: Path, seed: Path, rounds: int) -> Tuple[Dict[str, float], int]:
    """`shmbmp bench SEED --decoder lut`'s medians in ns, in turn and repeated: the memcpy
    floor, the write floor and lut into a reused buffer (keys as python_interleaved's); and
    how many times in a row it ran each job a round (from its header)."""
    text = subprocess.run(
        [str(cli), "bench", str(seed), "--decoder", "lut", "--iters", str(rounds)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    unit = r"([\d.]+) (ns|µs|us|ms|s)"
    out = {}
    for key, label in (("floor", "memcpy floor"), ("fill", "write floor"),
                       ("decode_into", "lut (decode_into)")):
        m = re.search(rf"^\s*{re.escape(label)}.*?\s{unit}\s+{unit}\s", text, re.M)
        if not m:
            raise ValueError(f"no {label!r} row with two times (in turn, repeated) in:\n{text}")
        out[f"{key}_ns"] = float(m.group(1)) * UNITS[m.group(2)]
        out[f"{key}_repeat_ns"] = float(m.group(3)) * UNITS[m.group(4)]
    runs = re.search(r"the last of (\d+) in a row", text)
    if not runs:
        raise ValueError(f"no runs a round ('the last of N in a row') in:\n{text}")
    return out, int(runs.group(1))


def median(samples: List[int]) -> float:
    """The median as the Rust side takes it (src/timing: nearest rank, the upper of two)."""
    s = sorted(samples)
    return float(s[round((len(s) - 1) * 0.5)])


def python_interleaved(seed: bytes, rounds: int, runs_per_round: int) -> Dict[str, float]:
    """Medians in ns, timed as `shmbmp bench` does (src/timing::interleaved_medians): one
    untimed run of each job, then per round each job runs_per_round times in a row: the
    memcpy floor (a copy of the output's size), the write floor (filling it once),
    decode_into; the first run of a job is "in turn", the second "repeated"."""
    i = shmbmp.info(seed)
    out = np.empty((i["height"], i["width"], 4), np.uint8)
    src, dst = np.full(out.nbytes, 0x5A, np.uint8), np.empty(out.nbytes, np.uint8)
    fill = np.empty(out.nbytes, np.uint8)
    jobs = {"floor": lambda: np.copyto(dst, src), "fill": lambda: fill.fill(0x5A),
            "decode_into": lambda: shmbmp.decode_into(seed, out)}
    for job in jobs.values():
        job()
    samples: Dict[str, List[List[int]]] = {k: [[] for _ in range(max(runs_per_round, 2))] for k in jobs}
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for key, job in jobs.items():
            for slot in samples[key]:
                t = clock()
                job()
                slot.append(clock() - t)
    res = {}
    for key, runs in samples.items():
        res[f"{key}_ns"], res[f"{key}_repeat_ns"] = median(runs[0]), median(runs[1])
    return res


FRAME_GAP_S = 1 / 60
"""The gap between frames at 60 frames/s."""

HELPERS_PARKED_S = 0.002
"""Long enough for lut's helper threads to stop spinning after a call and park."""


def python_threads(seed: bytes, rounds: int, counts=(1, 2)) -> Dict[str, Dict[str, float]]:
    """decode_into the seed frame on each thread count in `counts`, interleaved round by
    round, medians in ns, keyed by the count: "hot_ns" (each count twice in a row, the
    second run timed, as "repeated" above), "hot_cpu_ns" (the CPU time that run took, every
    thread of the process counted), and "paced_ns" / "paced_cpu_ns" (the same after a
    frame's gap at 60 frames/s asleep, as a 60 fps reader meets it). The evidence behind
    `threads=`'s default."""
    i = shmbmp.info(seed)
    out = np.empty((i["height"], i["width"], 4), np.uint8)
    keys = ("hot_ns", "hot_cpu_ns", "paced_ns", "paced_cpu_ns")
    samples = {n: {k: [] for k in keys} for n in counts}
    wall, cpu = time.perf_counter_ns, time.process_time_ns

    def timed(n: int, kind: str) -> None:
        c, t = cpu(), wall()
        shmbmp.decode_into(seed, out, threads=n)
        t = wall() - t
        # A helper thread's CPU time reaches the process clock when it stops running: wait
        # until it has spun its last (200 µs) and parked, so its share, spin included, counts.
        time.sleep(HELPERS_PARKED_S)
        c = cpu() - c
        samples[n][f"{kind}_ns"].append(t)
        samples[n][f"{kind}_cpu_ns"].append(c)

    for n in counts:  # warm-up: the pool's workers start on first use
        shmbmp.decode_into(seed, out, threads=n)
    for _ in range(rounds):
        for n in counts:
            shmbmp.decode_into(seed, out, threads=n)
            timed(n, "hot")
        for n in counts:
            time.sleep(FRAME_GAP_S)
            timed(n, "paced")
    return {str(n): {k: median(v) for k, v in samples[n].items()} for n in counts}


def threads_line(t: Dict[str, Dict[str, float]], rounds: int) -> str:
    """python_threads' result in words: each count's medians, wall and CPU, and its wall
    time's ratio to one thread's."""
    one = t["1"]
    parts = [f"threads={n}: hot {v['hot_ns'] / 1e3:.0f} µs ({v['hot_ns'] / one['hot_ns']:.2f}x, "
             f"CPU {v['hot_cpu_ns'] / 1e3:.0f} µs), paced {v['paced_ns'] / 1e3:.0f} µs "
             f"({v['paced_ns'] / one['paced_ns']:.2f}x, CPU {v['paced_cpu_ns'] / 1e3:.0f} µs)"
             for n, v in t.items()]
    return (f"seed, decode_into by thread count, medians of {rounds} interleaved rounds "
            f"(paced: {FRAME_GAP_S * 1e3:.1f} ms asleep before each call): " + "; ".join(parts))


def main(argv: List[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", type=Path, default=REPO / "target" / "release" / "shmbmp")
    ap.add_argument("--fixtures", type=Path, help="folder of NAME.bmp (default: the CLI's)")
    ap.add_argument("--quick", action="store_true", help="few repetitions (seconds, not minutes)")
    ap.add_argument("--rounds", type=int, default=200, help="interleaved rounds on the seed")
    ap.add_argument("--out", type=Path, help="also write the results as JSON")
    ap.add_argument("--threads-only", action="store_true",
                    help="only decode_into on 1 and 2 threads, hot and paced (seed frame)")
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
    files = sorted(fixtures.glob("*.bmp"), key=lambda p: (p.stem != peers.SEED_FIXTURE, p.name))
    seed = next((p for p in files if p.stem == peers.SEED_FIXTURE), None)
    if seed is None:
        ap.error(f"no {peers.SEED_FIXTURE}.bmp in {fixtures}")
    rounds = 30 if args.quick else args.rounds
    if args.threads_only:
        print(f"CPU: {peers.cpu_model()}, {os.cpu_count()} cores")
        print(threads_line(python_threads(seed.read_bytes(), rounds), rounds))
        if tmp:
            tmp.cleanup()
        return 0

    # as benches/peers.py runs its peers: the allocator held steady, one core, OpenCV quiet
    allocator = peers.hold_allocator_steady()
    peers.cv2.setNumThreads(1)
    try:
        peers.cv2.utils.logging.setLogLevel(peers.cv2.utils.logging.LOG_LEVEL_SILENT)
    except AttributeError:
        pass
    budget = peers.Budget(args.quick)
    results = [row for path in files for row in time_fixture(path, budget)]

    pairs = []
    for _ in range(3):  # alternate, so drift on a shared machine hits both sides
        rust, runs_per_round = rust_lut_into(args.cli, seed, rounds)
        py = python_interleaved(seed.read_bytes(), rounds, runs_per_round)
        pairs.append({**{f"rust_{k}": v for k, v in rust.items()},
                      **{f"python_{k}": v for k, v in py.items()}})
    binding = {k: statistics.median(p[k] for p in pairs) for k in pairs[0]}
    print(seed_lines(results, binding))
    seed_threads = python_threads(seed.read_bytes(), rounds)
    print(threads_line(seed_threads, rounds))

    if args.out:
        doc = {
            "schema": 1,
            "python": platform.python_version(),
            "versions": {"shmbmp": shmbmp.__version__, "numpy": np.__version__,
                         "opencv": peers.cv2.__version__, "pillow": peers.PIL.__version__},
            "cpu": peers.cpu_model(),
            "cores": os.cpu_count(),
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "quick": args.quick,
            "allocator": allocator,
            "rounds": rounds,
            "results": results,
            "seed_binding": binding,
            "seed_binding_runs": pairs,
            "seed_threads": seed_threads,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    if tmp:
        tmp.cleanup()
    return 0


def seed_lines(results: List[dict], b: Dict[str, float]) -> str:
    """The seed frame's two ratios in words (the report renders the tables from --out)."""
    seed = {r["peer"]: r for r in results if r["fixture"] == peers.SEED_FIXTURE and not r["error"]}
    into = seed.get("shmbmp.decode_into")
    cv2_ns = [seed[n]["median_ns"] for n in ("cv2.imdecode", "cv2.cvtColor") if n in seed]
    lines = [f"CPU: {peers.cpu_model()}",
             f"seed, interleaved as `shmbmp bench` times it, medians of 3 alternating runs, "
             f"in turn / repeated: Rust lut_into {b['rust_decode_into_ns'] / 1e3:.0f} / "
             f"{b['rust_decode_into_repeat_ns'] / 1e3:.0f} µs (memcpy floor "
             f"{b['rust_floor_ns'] / 1e3:.0f} µs), Python decode_into "
             f"{b['python_decode_into_ns'] / 1e3:.0f} / {b['python_decode_into_repeat_ns'] / 1e3:.0f} µs "
             f"(floor {b['python_floor_ns'] / 1e3:.0f} µs): "
             f"{b['python_decode_into_ns'] / b['rust_decode_into_ns']:.2f}x / "
             f"{b['python_decode_into_repeat_ns'] / b['rust_decode_into_repeat_ns']:.2f}x "
             "(target <= 1.3x)"]
    if into and len(cv2_ns) == 2:
        lines.append(f"seed, steady state: decode_into {into['median_ns'] / 1e3:.0f} µs, "
                     f"cv2.imdecode + cvtColor {sum(cv2_ns) / 1e3:.0f} µs: "
                     f"{into['median_ns'] / sum(cv2_ns):.2f}x (target <= 0.2x)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
