#!/bin/sh
# Train the shipped default model (docs/training.md, "The model, in one command"): the 20,000-step run
# of nr-impact-2 (v2), its 3,000-step fine-tune with the click loss (v2c), then three fine-tunes that
# add the octave-band level loss and a heavier pitch loss (v2d: band 0.2, v2e: band 0.6, then 2,000
# steps with the click loss doubled: v2f), and 1,000 steps on curves whose onset pitch is settled (the
# shipped model, v2g). Each step resumes from its checkpoint if it was stopped (run the script again),
# and is skipped when its output exists. About 3 hours on a 2-core machine (measured step by step:
# 58.5 + 36.9 + 28 + 29 + 20 + 6.5 minutes, 2 h 59 min).
# Usage: data/train-default.sh [DATA [OUT_DIR]]   (defaults: data/build from data/recipe.sh, build/train)
# The result is OUT_DIR/default.safetensors; copy it to models/default.safetensors to ship it.
set -eu
cd "$(dirname "$0")/.."
data=${1:-data/build}
out=${2:-build/train}
[ -f "$data/manifest.tsv" ] || { echo "train-default: $data/manifest.tsv not found (run data/recipe.sh first)" >&2; exit 2; }
make -s -j2 build/neurorack
mkdir -p "$out"

# resume from CKPT if it exists, else start
step() {
    result=$1
    shift
    if [ -f "$result" ]; then
        echo "train-default: $result exists; skipped"
        return 0
    fi
    if [ -f "$result.ckpt" ]; then set -- "$@" --resume "$result.ckpt"; fi
    nice -n 10 build/neurorack train --data "$data" --out "$result" "$@"
}

step "$out/v2.safetensors" --steps 20000 --clip 2 --threads 2 --seed 1 --onset-pitch raw
step "$out/v2c.safetensors" --init "$out/v2.safetensors" --steps 3000 --clip 2 --threads 1 --click-weight 2 --seed 1
step "$out/v2d.safetensors" --init "$out/v2c.safetensors" --steps 3000 --clip 2 --threads 1 --seed 1 \
    --click-weight 2 --band-weight 0.2 --pitch-weight 3
step "$out/v2e.safetensors" --init "$out/v2d.safetensors" --steps 3000 --clip 2 --threads 1 --seed 1 \
    --click-weight 2 --band-weight 0.6 --pitch-weight 3
step "$out/v2f.safetensors" --init "$out/v2e.safetensors" --steps 2000 --clip 2 --threads 1 --seed 1 \
    --click-weight 4 --band-weight 0.6 --pitch-weight 3
step "$out/default.safetensors" --init "$out/v2f.safetensors" --steps 1000 --clip 2 --threads 1 --seed 1 \
    --click-weight 4 --band-weight 0.6 --pitch-weight 3 --lr 0.00025 --onset-pitch settle
echo "train-default: wrote $out/default.safetensors"
