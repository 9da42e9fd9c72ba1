"""Shared fixtures: the Rust CLI, the built-in BMP fixtures it writes, its decodes of them,
and named shared-memory regions that are removed after each test.

Run from the repository root with the package installed (bash .ci/python.sh):
    .venv/bin/python -m pytest python/tests
`cargo test` does this (tests/python.rs) and passes the CLI's path in SHMBMP_BIN.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path
from typing import Dict, Iterator, List

import numpy as np
import pytest

import shmbmp

REPO = Path(__file__).resolve().parents[2]


def missing(what: str) -> None:
    """Skips the test loudly, or fails it under CI (where nothing may be skipped)."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing, and CI must not skip this test")
    pytest.skip(f"{what} is missing")


def pytest_report_header(config: pytest.Config) -> List[str]:
    return [f"shmbmp {shmbmp.__version__} from {Path(shmbmp.__file__).parent}"]


def pytest_sessionstart(session: pytest.Session) -> None:
    # `python -m pytest` run inside python/ would import the source folder, which has no
    # compiled extension; the installed package must be what is tested.
    if Path(shmbmp.__file__).resolve().parent == REPO / "python" / "shmbmp":
        raise pytest.UsageError(
            "testing the source folder python/shmbmp, not the installed package: run "
            "pytest from the repository root (bash .ci/python.sh installs the package)"
        )


@pytest.fixture(scope="session")
def shmbmp_bin() -> Path:
    """The Rust CLI `shmbmp` (SHMBMP_BIN, else target/{debug,release}/shmbmp)."""
    candidates = [os.environ.get("SHMBMP_BIN")] if os.environ.get("SHMBMP_BIN") else []
    candidates += [str(REPO / "target" / p / "shmbmp") for p in ("debug", "release")]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    missing("the Rust CLI (cargo build --bin shmbmp, or SHMBMP_BIN)")
    raise AssertionError("unreachable")


def run(*args: object) -> str:
    """Runs a command, returns its stdout; a failure shows its output."""
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    assert p.returncode == 0, f"{args} failed ({p.returncode}):\n{p.stdout}{p.stderr}"
    return p.stdout


@pytest.fixture(scope="session")
def fixtures(shmbmp_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """Every built-in fixture as a file: "small/NAME" (the 48 equivalence fixtures) and
    "bench/NAME" (the 1600x1200 benchmark ones, incl. the seed frame)."""
    root = tmp_path_factory.mktemp("fixtures")
    run(shmbmp_bin, "fixtures", "--out", root / "small")
    run(shmbmp_bin, "fixtures", "--bench", "--out", root / "bench")
    found = {f"{p.parent.name}/{p.stem}": p for p in sorted(root.glob("*/*.bmp"))}
    assert len(found) >= 58, f"expected 48 + 11 fixtures, found {sorted(found)}"
    return found


def read_png(path: Path) -> np.ndarray:
    """A PNG as an RGBA array (through Pillow; PNG is lossless)."""
    try:
        from PIL import Image
    except ImportError:
        missing("Pillow (pip install -r requirements.txt)")
    with Image.open(path) as im:
        assert im.mode == "RGBA", f"{path}: {im.mode}"
        return np.asarray(im)


@pytest.fixture(scope="session")
def rust_rgba(
    fixtures: Dict[str, Path], shmbmp_bin: Path, tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, np.ndarray]:
    """Each fixture decoded by the Rust CLI with `naive` (the oracle), saved as PNG."""
    out = tmp_path_factory.mktemp("rust")
    decoded = {}
    for key, path in fixtures.items():
        png = out / f"{key.replace('/', '-')}.png"
        run(shmbmp_bin, "decode", path, "--decoder", "naive", "-o", png)
        decoded[key] = read_png(png)
    return decoded


_names = itertools.count()


@pytest.fixture
def region_name() -> Iterator[str]:
    """A fresh region name; /dev/shm/NAME is removed after the test."""
    name = f"shmbmp-pytest-{os.getpid()}-{next(_names)}"
    yield name
    try:
        os.unlink(f"/dev/shm/{name}")
    except FileNotFoundError:
        pass
