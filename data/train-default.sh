#!/bin/sh
# Train the shipped default model (docs/training.md, "The model, in two commands") in one command:
# the 20,000-step run of nr-impact-2 (v2), then its 3,000-step fine-tune with the click loss (v2c).
# Each step resumes from its checkpoint if it was stopped (run the script again), and is skipped when
# its output exists. About 95 minutes on a 2-core machine.
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

step "$out/v2.safetensors" --steps 20000 --clip 2 --threads 2 --seed 1
step "$out/default.safetensors" --init "$out/v2.safetensors" --steps 3000 --clip 2 --threads 1 --click-weight 2 --seed 1
echo "train-default: wrote $out/default.safetensors"
