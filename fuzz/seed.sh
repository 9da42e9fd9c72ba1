#!/bin/sh
# Fills fuzz/corpus/<target>/ with seeds: every encoder fixture plus BMP Suite's g/, q/ and
# b/ files for the decoder targets, and framed regions holding small fixtures for `shm`.
# Run from anywhere; the corpora are gitignored (regenerate them, never commit them).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
suite=${BMPSUITE:-/work/shared/bmpsuite}
seeds="$root/fuzz/corpus/seeds"
shm_seeds="$root/fuzz/corpus/seeds_shm"
rm -rf "$seeds" "$shm_seeds"
(cd "$root" && cargo run --quiet --example fuzz_seeds -- "$seeds" "$shm_seeds")
for d in g q b; do
    for f in "$suite/$d"/*.bmp; do
        [ -e "$f" ] && cp "$f" "$seeds/bmpsuite_${d}_$(basename "$f")"
    done
done
for t in naive lut differential; do
    mkdir -p "$root/fuzz/corpus/$t"
    cp "$seeds"/* "$root/fuzz/corpus/$t/"
done
mkdir -p "$root/fuzz/corpus/shm"
cp "$shm_seeds"/* "$root/fuzz/corpus/shm/"
echo "seeded $(ls "$seeds" | wc -l) files into fuzz/corpus/{naive,lut,differential}," \
    "$(ls "$shm_seeds" | wc -l) into fuzz/corpus/shm"
