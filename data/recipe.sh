#!/bin/sh
# Build the training data set of one-shot impacts (docs/data.md).
# 1. installs the Debian packages the sounds come from (only those missing; root or sudo),
# 2. builds the program, 3. runs `neurorack dataset`, which reuses everything already in the output
# folder (cache.tsv, audio/, curves/), so a second run only does what is new or changed.
# Usage: data/recipe.sh [--out DIR] [other `neurorack dataset` options]   (default DIR: data/build)
# Environment: NR_DATA_NO_INSTALL=1 skips step 1.
set -eu
cd "$(dirname "$0")/.."

# Sounds (docs/data.md lists what each holds and its licence). 0ad-data is large (1.4 GB download):
# it brings the metal/wood/stone impact and destruction recordings.
PKGS="hydrogen-drumkits sonic-pi-samples lmms-common 0ad-data avldrums.lv2-soundfont fluid-soundfont-gm
timgm6mb-soundfont"

if [ "${NR_DATA_NO_INSTALL:-0}" != 1 ]; then
    missing=""
    for p in $PKGS; do
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

[ -x build/neurorack ] || { sh scripts/install-deps.sh && make -j2 build/neurorack; }
make -s -j2 build/neurorack

# The defaults write into data/build/ (git-ignored); nice keeps the machine usable meanwhile.
has_out=0
for a in "$@"; do [ "$a" = --out ] && has_out=1; done
if [ "$has_out" = 1 ]; then
    exec nice -n 10 build/neurorack dataset "$@"
else
    exec nice -n 10 build/neurorack dataset --out data/build "$@"
fi
