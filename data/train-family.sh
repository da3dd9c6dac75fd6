#!/bin/sh
# Train a shipped model in one command (docs/training.md): the exact chain of runs that wrote
# models/default.safetensors, models/plucks.safetensors or models/textures.safetensors.
#   default:  the 20,000-step run of nr-impact-2 (v2), its fine-tune with the click loss (v2c), three
#             fine-tunes that add the octave-band level loss and a heavier pitch loss (v2d: band 0.2,
#             v2e: band 0.6, then 2,000 steps with the click loss doubled: v2f), 1,000 steps on
#             curves whose onset pitch is settled, with the moved descriptor of the perturbed clips
#             weighted 48 and tonelike, noisiness and brightness weighted 5, 2 and 3 (v2i), then v2i
#             with its inharmonic floor set (convert --inharm-floor: the weights unchanged). About 3
#             hours on a 2-core machine.
#   plucks:   3,200 steps with INDEX harmonics and pitch weight 4 (p1), 3,000 steps with the click loss
#             (p3), then the first 1,000 steps of a 2,000-step schedule on settled onset pitch.
#   textures: 1,000 steps with the defaults (t1), then 7,000 steps from them at the fine-tune rate.
# Each run resumes from its checkpoint if it was stopped (run the script again) and is skipped when its
# output exists. Every run is seeded and the trainer's sums do not depend on the thread count, so a run
# repeats bit for bit with the same build and the same data set files. The shipped files were written by
# the builds of their day (docs/training.md): with today's trainer the chain gives a model of the same
# recipe and quality, not the same bytes (docs/training.md, "One command per family").
# Usage: data/train-family.sh FAMILY [DATA [OUT_DIR]]
#   DATA defaults to data/recipe.sh's output for the family (data/build, data/build-plucks,
#   data/build-textures), OUT_DIR to build/train (default) or build/train-FAMILY.
#   The result is OUT_DIR/FAMILY.safetensors; copy it to models/ to ship it.
set -eu
cd "$(dirname "$0")/.."
family=${1:-}
case "$family" in
    default) data=${2:-data/build}; out=${3:-build/train} ;;
    plucks | textures) data=${2:-data/build-$family}; out=${3:-build/train-$family} ;;
    *) echo "usage: data/train-family.sh default|plucks|textures [DATA [OUT_DIR]]" >&2; exit 2 ;;
esac
[ -f "$data/manifest.tsv" ] || {
    echo "train-family: $data/manifest.tsv not found (run data/recipe.sh first)" >&2
    exit 2
}
make -s -j2 build/neurorack
mkdir -p "$out"

# step RESULT ARGS...: train RESULT, resuming from RESULT.ckpt if it exists
step() {
    result=$1
    shift
    if [ -f "$result" ]; then
        echo "train-family: $result exists; skipped"
        return 0
    fi
    if [ -f "$result.ckpt" ]; then set -- "$@" --resume "$result.ckpt"; fi
    nice -n 10 build/neurorack train --data "$data" --out "$result" "$@"
}

case "$family" in
default)
    step "$out/v2.safetensors" --steps 20000 --clip 2 --threads 2 --seed 1 --onset-pitch raw
    step "$out/v2c.safetensors" --init "$out/v2.safetensors" --steps 3000 --clip 2 --threads 1 \
        --click-weight 2 --seed 1
    step "$out/v2d.safetensors" --init "$out/v2c.safetensors" --steps 3000 --clip 2 --threads 1 --seed 1 \
        --click-weight 2 --band-weight 0.2 --pitch-weight 3
    step "$out/v2e.safetensors" --init "$out/v2d.safetensors" --steps 3000 --clip 2 --threads 1 --seed 1 \
        --click-weight 2 --band-weight 0.6 --pitch-weight 3
    step "$out/v2f.safetensors" --init "$out/v2e.safetensors" --steps 2000 --clip 2 --threads 1 --seed 1 \
        --click-weight 4 --band-weight 0.6 --pitch-weight 3
    step "$out/v2i.safetensors" --init "$out/v2f.safetensors" --steps 1000 --clip 2 --threads 2 \
        --seed 1 --click-weight 4 --band-weight 0.6 --desc-weights 4,1,5,2,1,3,3 --lr 0.00025 \
        --onset-pitch settle --perturb-weight 48
    # the inharmonic floor: v2i's weights, its partials under 2^-0.125 of the pitch silent (no training)
    [ -f "$out/default.safetensors" ] ||
        build/neurorack convert --inharm-floor -0.125 "$out/v2i.safetensors" "$out/default.safetensors"
    ;;
plucks)
    step "$out/p1.safetensors" --steps 3200 --clip 2 --threads 2 --seed 1 --harm-env index \
        --pitch-weight 4 --onset-pitch raw
    step "$out/p3.safetensors" --init "$out/p1.safetensors" --steps 3000 --clip 2 --threads 2 --seed 1 \
        --pitch-weight 4 --click-weight 2 --lr 0.00025
    step "$out/plucks.safetensors" --init "$out/p3.safetensors" --steps 2000 --stop-after 1000 --clip 2 \
        --threads 2 --seed 1 --pitch-weight 4 --click-weight 2 --lr 0.00025 --onset-pitch settle
    ;;
textures)
    step "$out/t1.safetensors" --steps 1000 --clip 2 --threads 2 --seed 1 --onset-pitch raw
    step "$out/textures.safetensors" --init "$out/t1.safetensors" --steps 7000 --clip 2 --threads 2 --seed 1
    ;;
esac
echo "train-family: wrote $out/$family.safetensors"
