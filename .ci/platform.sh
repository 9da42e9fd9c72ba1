# shellcheck shell=bash
# .ci/platform.sh: toolchains for the other targets on Debian 12 (see ../shared/PLATFORMS.md):
# Windows (mingw-w64, run under Wine), aarch64 Linux (gcc cross linker, run under qemu-user)
# and macOS (cargo check only, clang for one C build script). Idempotent: a second run only
# checks (about a second).
#
#   . .ci/platform.sh [STATE_DIR]      # set up, then export the variables into this shell
#   bash .ci/platform.sh [STATE_DIR]   # set up and write STATE_DIR/platform.env; `.` it later
#
# STATE_DIR (default: target/platform of this checkout) receives:
#   wineprefix/    the Wine prefix (WINEPREFIX), with the bcryptprimitives.dll shim installed
#   bin/           bcryptprimitives.dll and seedwriter.exe, built from tests/windows/*.c
#   platform.env   the exports below and the platform_wine_reset/stop functions
#
# Knobs (environment): PLATFORM_SKIP_APT=1, PLATFORM_SKIP_RUSTUP=1, PLATFORM_SKIP_WINE=1,
#   PLATFORM_TOOLCHAIN=<rustup toolchain> (default: the one active here),
#   PLATFORM_SHIM=auto|force|off (auto: install the shim unless this Wine has its own DLL).
# Needs root (or passwordless sudo) only when packages are missing. Never reads stdin.

_platform_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

PLATFORM_PACKAGES=(
    gcc-mingw-w64-x86-64-win32 wine wine64 qemu-user
    gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross clang
)
PLATFORM_TARGETS=(x86_64-pc-windows-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin)

_platform_log() { printf 'platform: %s\n' "$*" >&2; }

# _platform_timed WHAT CMD...: runs CMD and logs how long it took.
_platform_timed() {
    local what=$1 t0 rc
    shift
    t0=$(date +%s.%N)
    "$@"
    rc=$?
    _platform_log "$(awk -v w="$what" -v a="$t0" -v b="$(date +%s.%N)" -v rc="$rc" \
        'BEGIN { printf "%-24s %6.1f s (exit %d)", w, b - a, rc }')"
    return $rc
}

_platform_installed() { # "install ok installed" only for fully installed packages
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

_platform_apt() {
    local missing=() p sudo=()
    for p in "${PLATFORM_PACKAGES[@]}"; do
        _platform_installed "$p" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        _platform_log "packages: all ${#PLATFORM_PACKAGES[@]} present"
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null && sudo -n true 2>/dev/null || {
            _platform_log "missing packages (${missing[*]}) and not root"
            return 1
        }
        sudo=(sudo -n)
    fi
    _platform_log "installing: ${missing[*]}"
    # --no-install-recommends: wine's recommends pull in X, Mesa and GStreamer.
    local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq
        -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
    _platform_timed "apt-get update" "${apt[@]}" update </dev/null >/dev/null || return 1
    _platform_timed "apt-get install" "${apt[@]}" install -y --no-install-recommends "${missing[@]}" \
        </dev/null >/dev/null || return 1
}

_platform_rustup() {
    command -v rustup >/dev/null || {
        _platform_log "rustup not found"
        return 1
    }
    local tc=() have missing=() t
    [ -n "${PLATFORM_TOOLCHAIN:-}" ] && tc=(--toolchain "$PLATFORM_TOOLCHAIN")
    have=$(cd "$_platform_root" && rustup target list --installed "${tc[@]}") || return 1
    for t in "${PLATFORM_TARGETS[@]}"; do
        grep -qx "$t" <<<"$have" || missing+=("$t")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        _platform_log "rustup targets: all present"
        return 0
    fi
    (cd "$_platform_root" && _platform_timed "rustup target add" rustup target add "${tc[@]}" "${missing[@]}" </dev/null)
}

# _platform_build SRC OUT FLAGS...: builds OUT with mingw unless it is newer than SRC.
# The flags follow SRC: libraries (-ladvapi32) must come after the objects that use them.
_platform_build() {
    local src=$1 out=$2
    shift 2
    [ "$out" -nt "$src" ] && return 0
    _platform_timed "build $(basename "$out")" x86_64-w64-mingw32-gcc -o "$out" "$src" "$@"
}

_platform_wine() {
    local state=$1 sys32 src="$_platform_root/tests/windows"
    export WINEPREFIX="$state/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
    mkdir -p "$state/bin"
    _platform_build "$src/bcryptprimitives.c" "$state/bin/bcryptprimitives.dll" -shared -O2 -s -ladvapi32 || return 1
    _platform_build "$src/seedwriter.c" "$state/bin/seedwriter.exe" -municode -O2 -s || return 1

    sys32="$WINEPREFIX/drive_c/windows/system32"
    if [ -f "$WINEPREFIX/system.reg" ] && [ -f "$sys32/kernel32.dll" ]; then
        _platform_log "wine prefix: present ($WINEPREFIX)"
    else
        # Headless: no X display is needed; errors show with WINEDEBUG unset.
        _platform_timed "wineboot -i" sh -c 'wineboot -i </dev/null >/dev/null 2>&1 && wineserver -w' || {
            _platform_log "wineboot failed; run 'WINEDEBUG= wineboot -i' to see why"
            return 1
        }
    fi

    # Rust's std imports ProcessPrng from bcryptprimitives.dll, which Wine has only from 8.13:
    # without the shim every Rust .exe exits with status 53 before main (tests/windows/).
    local shim="$state/bin/bcryptprimitives.dll" dst="$sys32/bcryptprimitives.dll"
    case "${PLATFORM_SHIM:-auto}" in
        off) ;;
        auto | force)
            if cmp -s "$shim" "$dst"; then
                :
            elif [ "${PLATFORM_SHIM:-auto}" = auto ] && grep -qs "Wine builtin DLL" "$dst"; then
                _platform_log "shim: this Wine has its own bcryptprimitives.dll; not installed"
            else
                cp "$shim" "$dst" || return 1
                _platform_log "shim: installed into $sys32"
            fi
            ;;
        *)
            _platform_log "PLATFORM_SHIM must be auto, force or off"
            return 1
            ;;
    esac
}

_platform_write_env() {
    local state=$1 env="$1/platform.env"
    {
        echo "# written by .ci/platform.sh; source it"
        if [ -z "${PLATFORM_SKIP_WINE:-}" ]; then
            printf 'export WINEPREFIX=%q WINEDEBUG=-all WINEDLLOVERRIDES=%q\n' "$state/wineprefix" "mscoree,mshtml="
            printf 'export SEEDWRITER_EXE=%q\n' "$state/bin/seedwriter.exe"
        fi
        cat <<'EOF'
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
# A CPU without SVE: with qemu's default (max), glibc picks an SVE memcpy that qemu runs slowly.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -cpu neoverse-n1 -L /usr/aarch64-linux-gnu"
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
# stb_image (a Linux-only peer of the suite) is compiled as C++.
export CXX_aarch64_unknown_linux_gnu=aarch64-linux-gnu-g++
# The same settings for a bare `qemu-aarch64 prog`.
export QEMU_CPU=neoverse-n1 QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
# macOS check: one dev-dependency (criterion -> alloca) compiles C; no SDK, so freestanding.
export CC_x86_64_apple_darwin=clang CC_aarch64_apple_darwin=clang
export CFLAGS_x86_64_apple_darwin=-ffreestanding CFLAGS_aarch64_apple_darwin=-ffreestanding
# A clean wineserver for this prefix, kept up (nothing stale holds a name). The first Wine
# process starts Wine's services, which inherit its stdout/stderr and live as long as the
# server: start them here on /dev/null, or `... | tee` never sees end of file.
platform_wine_reset() {
    wineserver -k 2>/dev/null || true
    wineserver -p
    wine cmd /c exit 0 </dev/null >/dev/null 2>&1 || true
}
platform_wine_stop() { wineserver -k 2>/dev/null || true; }
EOF
    } >"$env.tmp" && mv "$env.tmp" "$env"
}

_platform_main() {
    local state=${1:-$_platform_root/target/platform}
    mkdir -p "$state" && state=$(cd "$state" && pwd) || return 1
    [ -n "${PLATFORM_SKIP_APT:-}" ] || _platform_apt || return 1
    [ -n "${PLATFORM_SKIP_RUSTUP:-}" ] || _platform_rustup || return 1
    [ -n "${PLATFORM_SKIP_WINE:-}" ] || _platform_wine "$state" || return 1
    _platform_write_env "$state" || return 1
    _platform_log "ready: . $state/platform.env"
    echo "$state/platform.env"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    # Sourced: set up in a subshell (no shell options leak into the caller), then export.
    if _platform_env=$( (set -uo pipefail; _platform_main "$@") ); then
        # shellcheck disable=SC1090
        . "$_platform_env"
        unset _platform_env
    else
        unset _platform_env
        _platform_log "FAILED"
        return 1
    fi
else
    set -uo pipefail
    _platform_main "$@" || {
        _platform_log "FAILED"
        exit 1
    }
fi
