#!/bin/sh
# Train the shipped default model in one command: data/train-family.sh default (docs/training.md).
# Usage: data/train-default.sh [DATA [OUT_DIR]]   (defaults: data/build from data/recipe.sh, build/train)
# The result is OUT_DIR/default.safetensors; copy it to models/default.safetensors to ship it.
exec "$(dirname "$0")/train-family.sh" default "$@"
