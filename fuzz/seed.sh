#!/bin/sh
# Fills fuzz/corpus/<target>/ with seeds: every encoder fixture plus BMP Suite's g/, q/ and
# b/ files. Run from anywhere; the corpora are gitignored (regenerate them, never commit).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
suite=${BMPSUITE:-/work/shared/bmpsuite}
seeds="$root/fuzz/corpus/seeds"
rm -rf "$seeds"
(cd "$root" && cargo run --quiet --example fuzz_seeds -- "$seeds")
for d in g q b; do
    for f in "$suite/$d"/*.bmp; do
        [ -e "$f" ] && cp "$f" "$seeds/bmpsuite_${d}_$(basename "$f")"
    done
done
for t in naive lut differential ${EXTRA_TARGETS:-}; do
    mkdir -p "$root/fuzz/corpus/$t"
    cp "$seeds"/* "$root/fuzz/corpus/$t/"
done
echo "seeded $(ls "$seeds" | wc -l) files into fuzz/corpus/{naive,lut,differential${EXTRA_TARGETS:+,$EXTRA_TARGETS}}"
