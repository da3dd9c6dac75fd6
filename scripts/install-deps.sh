#!/bin/sh
# Install the Debian 12 packages Neurorack builds and tests with, only those missing.
# Build: compiler, libraries (-dev). Tests: jackd2 (the dummy backend), clang (libFuzzer corpus
# replay and fuzzing), sox (signal checks), python3 (scripts/soak.sh's OSC traffic). The LV2 plugin: lv2-dev (headers, lv2_validate), liblilv-dev
# (the test's host), lilv-utils (lv2info, lv2ls), sordi (sord_validate, which lv2_validate runs). The Pd
# external: puredata-dev (m_pd.h), puredata-core (pd -batch for its test). The plucks and textures data
# sets: libfluidsynth-dev (SoundFont notes rendered by `neurorack dataset --family`).
set -eu
PKGS="build-essential make git pkg-config clang libclang-rt-14-dev python3
libsndfile1-dev libfftw3-dev libopenblas-dev libsamplerate0-dev libzip-dev zlib1g-dev libcjson-dev
libjack-jackd2-dev jackd2 libasound2-dev liblo-dev libncurses-dev libpng-dev libgpiod-dev libi2c-dev
lv2-dev liblilv-dev lilv-utils sordi puredata-dev puredata-core libfluidsynth-dev"
# A package counts only when installed for this machine's architecture (or "all"): a foreign-arch copy
# (e.g. liblo-dev:arm64 on amd64) gives no pkg-config file.
arch=$(dpkg --print-architecture)
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Architecture} ${Status}\n' "$p" 2>/dev/null |
        grep -Eq "^($arch|all) install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing Debian packages:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
# jackd2 asks about realtime limits at install; answer from the defaults.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
