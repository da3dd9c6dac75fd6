#!/bin/sh
# Build the training data set of one-shot impacts (docs/data.md):
# 1. builds the program (the build dependencies come from scripts/install-deps.sh),
# 2. installs the Debian packages the sounds come from, only those missing (`neurorack dataset
#    --packages` lists them: drum kits and SoundFonts, and the sound effects of seven games; 0ad-data
#    (1.4 GB) and redeclipse-data (0.9 GB) are the big downloads: 3.3 GB in all, 5.5 GB installed),
#    with root or sudo,
# 3. runs `neurorack dataset`, which reuses what the output folder already holds (cache.tsv, audio/,
#    curves/): a second run only does what is new or changed, e.g. curves once the analysis exists.
# Usage: data/recipe.sh [neurorack dataset options]   (default output: data/build/, git-ignored)
#        data/recipe.sh --family plucks --out DIR        (plucked and struck notes rendered from SoundFonts)
#        data/recipe.sh --family textures --out DIR      (held notes and recorded ambiences)
# Environment: NR_DATA_NO_INSTALL=1 skips step 2.
set -eu
cd "$(dirname "$0")/.."

if ! make -s -j2 build/neurorack; then
    sh scripts/install-deps.sh
    make -s -j2 build/neurorack
fi

# --family F (plucks, textures; default impacts) chooses the sources, and so the packages.
family=impacts
prev=""
for a in "$@"; do
    [ "$prev" = --family ] && family="$a"
    prev="$a"
done

if [ "${NR_DATA_NO_INSTALL:-0}" != 1 ]; then
    missing=""
    for p in $(build/neurorack dataset --family "$family" --packages); do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        echo "installing Debian packages:$missing"
        SUDO=""
        [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
    fi
fi

has_out=0
for a in "$@"; do [ "$a" = --out ] && has_out=1; done
if [ "$has_out" != 1 ]; then
    if [ "$family" = impacts ]; then set -- --out data/build "$@"; else set -- --out "data/build-$family" "$@"; fi
fi
# nice: the machine stays usable while it runs.
exec nice -n 10 build/neurorack dataset "$@"
