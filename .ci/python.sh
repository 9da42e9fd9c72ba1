#!/usr/bin/env bash
# The Python package: builds and installs it the way the README says (`pip install ./python`)
# into the project's venv, beside pytest and the Python peers; prints how long each step took.
# `cargo test` then runs python/tests against it (tests/python.rs). Run it from anywhere:
#   bash .ci/python.sh            # venv at .venv (SHMBMP_VENV=DIR for another)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${SHMBMP_VENV:-.venv}"
pip=("$venv/bin/pip" install -q --disable-pip-version-check)

clock() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(clock)" 'BEGIN { printf "%.1f", b - a }'; }
timed() { # timed LABEL CMD...: runs CMD and prints LABEL with its wall time
    local label=$1 start
    shift
    start=$(clock)
    "$@"
    printf '%-44s %6s s\n' "$label" "$(since "$start")"
}

[ -x "$venv/bin/python" ] || timed "python3 -m venv $venv" python3 -m venv "$venv"
timed "pip install -r requirements.txt (peers)" "${pip[@]}" -r requirements.txt
# Wuffs (Google's memory-safe decoders) through its Python bindings: a peer in benches/peers.py.
timed "pip install pywuffs (peer)" "${pip[@]}" "pywuffs==2.0.1"
timed "pip install pytest" "${pip[@]}" "pytest>=7"
# The README's command; it builds the extension in release mode through maturin (the
# build backend pip fetches) in the workspace's target/ folder, so rebuilds are incremental.
timed "pip install ./python" "${pip[@]}" ./python
"$venv/bin/python" -c 'import shmbmp; print("shmbmp", shmbmp.__version__, "from", shmbmp.__file__, "decoders", shmbmp.decoders())'
