#!/usr/bin/env bash
# .ci/platforms-test.sh: the checks on the other targets, after .ci/platform.sh has set up the
# toolchains (it is run first, idempotently, from here). Prints each step's wall and CPU time.
#
#   .ci/platforms-test.sh [STEP...]     steps: darwin windows windows-cli aarch64 (default: all)
#
# darwin       cargo clippy --all-targets -D warnings for x86_64- and aarch64-apple-darwin
#              (nothing runs: no macOS here)
# windows      cargo clippy -D warnings and cargo test of the core crate for
#              x86_64-pc-windows-gnu, the tests under Wine (they include seedwriter.exe holding
#              `test1` and a framed writer in a second process)
# windows-cli  the post's scenario with the CLI: seedwriter.exe (what the C# writer does) holds
#              `test1`, `wine shmbmp.exe read --raw --name test1` must print the xxh3 of the
#              RGBA that the native naive decoder gives; then a framed write/read between two
#              Wine processes, the errors for another namespace and a vanished block, and
#              shmbmp.exe holding a raw block of its own
# aarch64      cargo clippy -D warnings and the whole workspace's cargo test under qemu-user
#              (but the Python package's pytest run, which tests the host's build)
#
# Cost, measured 2026-11-26 on the 2-core CI kind of machine (AMD EPYC Zen 3) while other
# builds shared it (load 4 to 13), with a fresh target dir (cold) and again warm:
#   darwin   cold 22.6 min wall, ~560 s CPU (x86_64 also builds the host's build scripts and
#            proc macros; aarch64-apple-darwin then took 4 min); warm 1 to 68 s
#   windows  cold 5.0 min wall, 75 s CPU, plus 6.4 s for the core crate's clippy (measured
#            apart); warm 7 to 86 s
#   windows-cli  shmbmp.exe's build and the scenario: 3.6 min wall, 228 s CPU (nearly cold:
#            an interrupted run had built a few dependencies); warm 5 to 84 s. The native
#            shmbmp it also needs is built by .ci/run's cargo test before
#   aarch64  cold 12.7 min wall, 563 s CPU (clippy 2.7 min, test build 7.5 min, the run under
#            qemu ~2.5 min, of which tests/equivalence.rs 108 s); warm 230 s (equivalence
#            159 s) to 680 s under load
# Nothing is skipped for speed: the test profile (opt-level 1, dependencies 2) is fast
# enough under qemu.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}" INSTA_UPDATE=no CARGO_TERM_COLOR=never

# shellcheck source=platform.sh
. .ci/platform.sh "${PLATFORM_STATE:-target/platform}"
work=$(mktemp -d)
trap 'platform_wine_stop; rm -rf "$work"' EXIT

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
# CPU seconds (user + system) of this shell's finished children, into $cpu: on a shared
# machine the wall time says little, the CPU time divided by the cores a little more.
cpu_now() {
    times >"$work/times" # in this shell: a subshell would count its own children
    cpu=$(awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); printf "%.1f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/times")
}
step() {
    local t0 c0 cpu
    t0=$(date +%s.%N)
    cpu_now
    c0=$cpu
    printf '\n=== platform: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"
    "$@"
    cpu_now
    printf '=== platform: %s took %s (CPU %.1f s)\n' "$1" "$(elapsed "$t0")" "$(awk -v a="$c0" -v b="$cpu" 'BEGIN { print b - a }')"
}

darwin() {
    local t
    for t in x86_64-apple-darwin aarch64-apple-darwin; do
        echo "--- cargo clippy --workspace --all-targets --target $t -- -D warnings"
        cargo clippy --workspace --all-targets --target "$t" -- -D warnings
    done
}

windows() {
    local t=x86_64-pc-windows-gnu
    # The core crate holds all of the Windows code (the suite's has none of its own).
    echo "--- cargo clippy -p shmbmp --all-targets --target $t -- -D warnings"
    cargo clippy -p shmbmp --all-targets --target "$t" -- -D warnings
    platform_wine_reset
    echo "--- cargo test -p shmbmp --target $t (runner: wine)"
    cargo test -p shmbmp --target "$t"
    platform_wine_stop
}

# The last line of FILE that starts with "ready", waited for up to 60 s.
wait_ready() {
    local _
    for _ in $(seq 600); do
        grep -q '^ready' "$1" && return 0
        sleep 0.1
    done
    echo "no 'ready' from the writer:"
    cat "$1"
    return 1
}

windows_cli() {
    cargo build --bin shmbmp
    cargo build --bin shmbmp --target x86_64-pc-windows-gnu
    local t=${CARGO_TARGET_DIR:-target}
    local native=$t/debug/shmbmp exe=$t/x86_64-pc-windows-gnu/debug/shmbmp.exe
    local wpid out want got
    "$native" fixtures --bench --out "$work" >/dev/null
    want=$("$native" read --raw --path "$work/seed.bmp" --decoder naive | grep -o 'xxh3 [0-9a-f]*')
    echo "native naive decode of seed.bmp (1600x1200, 8-bit): $want"

    platform_wine_reset
    # The C# writer's block: seedwriter holds `test1` until its stdin (a FIFO) closes.
    mkfifo "$work/in"
    wine "$SEEDWRITER_EXE" test1 "$work/seed.bmp" 300 --stdin <"$work/in" >"$work/writer.out" 2>&1 &
    wpid=$!
    exec 3>"$work/in"
    wait_ready "$work/writer.out"
    grep seedwriter "$work/writer.out" || true
    for name in 'test1' 'Local\test1'; do
        out=$(wine "$exe" read --raw --name "$name" -o "$work/out.png")
        echo "wine shmbmp.exe read --raw --name $name: $out"
        got=$(grep -o 'xxh3 [0-9a-f]*' <<<"$out")
        [ "$got" = "$want" ] || { echo "FAIL: $name decoded to $got, want $want"; return 1; }
    done
    if out=$(wine "$exe" read --raw --name 'Global\test1' 2>&1); then
        echo "FAIL: Global\\test1 is another namespace, yet it opened: $out"
        return 1
    fi
    echo "Global\\test1 (another namespace): $out"
    exec 3>&-
    wait "$wpid"
    if out=$(wine "$exe" read --raw --name test1 2>&1); then
        echo "FAIL: test1 still opens after its writer exited: $out"
        return 1
    fi
    echo "test1 after the writer exited: $out"
    grep -q 'only while a writer holds it open' <<<"$out" || { echo "FAIL: the error does not say why"; return 1; }

    # Framed, between two Wine processes: a writer at 50 frames/s, a reader of 5 frames.
    wine "$exe" write --name shmbmp-ci-framed "$work/seed.bmp" --count 0 --fps 50 >"$work/framed.out" 2>&1 &
    wpid=$!
    out=""
    for _ in $(seq 100); do
        out=$(wine "$exe" read --name shmbmp-ci-framed --count 5 --timeout-ms 5000 2>&1) && break
        out=""
        sleep 0.2
    done
    kill "$wpid" 2>/dev/null || true
    wait "$wpid" 2>/dev/null || true
    echo "$out"
    [ "$(grep -c "$want" <<<"$out")" = 5 ] || { echo "FAIL: 5 framed frames with $want expected"; return 1; }

    # shmbmp.exe as the raw writer: it holds the block until it is stopped.
    wine "$exe" write --raw --name shmbmp-ci-raw "$work/seed.bmp" >"$work/raw.out" 2>&1 &
    wpid=$!
    for _ in $(seq 300); do
        grep -q '^holding' "$work/raw.out" && break
        sleep 0.1
    done
    cat "$work/raw.out"
    out=$(wine "$exe" read --raw --name shmbmp-ci-raw)
    kill "$wpid" 2>/dev/null || true
    wait "$wpid" 2>/dev/null || true
    echo "wine shmbmp.exe read --raw --name shmbmp-ci-raw: $out"
    [ "$(grep -o 'xxh3 [0-9a-f]*' <<<"$out")" = "$want" ] || { echo "FAIL: raw block of shmbmp.exe"; return 1; }
    platform_wine_stop
}

aarch64() {
    local t=aarch64-unknown-linux-gnu
    echo "--- cargo clippy --workspace --all-targets --target $t -- -D warnings"
    cargo clippy --workspace --all-targets --target "$t" -- -D warnings
    echo "--- cargo test --workspace --target $t (runner: $CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER)"
    # Not pytest_suite: it tests the Python package the venv holds, which is the host's
    # (x86-64) build, with this target's CLI, which the host's Python cannot start; .ci/run
    # runs it natively.
    cargo test --workspace --target "$t" -- --skip pytest_suite
}

t0=$(date +%s.%N)
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(darwin windows windows-cli aarch64)
for s in "${steps[@]}"; do
    case "$s" in
        darwin | windows | aarch64) step "$s" ;;
        windows-cli) step windows_cli ;;
        *)
            echo "unknown step $s (darwin, windows, windows-cli, aarch64)"
            exit 2
            ;;
    esac
done
printf '\n=== platform: all steps (%s) took %s\n' "${steps[*]}" "$(elapsed "$t0")"
