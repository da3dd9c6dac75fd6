#!/bin/sh
# Install what `make cross-aarch64` and `make test-aarch64` need on a Debian 12 x86-64 host, only what
# is missing: the aarch64 cross compiler, qemu's user-mode emulator (runs the aarch64 test programs),
# and the arm64 (multiarch) -dev packages of every library the build links (libc6:arm64 is also the
# loader qemu-aarch64 runs the test programs with).
set -eu
# liblo-dev is not Multi-Arch: same (its arm64 copy would replace the native build's): the cross build takes
# the runtime liblo7:arm64 and the host's headers (the Makefile writes a liblo.pc for it).
ARCH_LIBS="libc6-dev libsndfile1-dev libfftw3-dev libopenblas-dev libsamplerate0-dev libzip-dev zlib1g-dev libcjson-dev
libjack-jackd2-dev libasound2-dev liblo7 libncurses-dev libpng-dev libgpiod-dev libi2c-dev"
HOST_PKGS="crossbuild-essential-arm64 qemu-user pkg-config liblo-dev"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "adding the arm64 architecture to dpkg (multiarch)"
    $SUDO dpkg --add-architecture arm64
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
fi
missing=""
for p in $HOST_PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
for p in $ARCH_LIBS; do
    dpkg-query -W -f='${Status}' "$p:arm64" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p:arm64"
done
[ -z "$missing" ] && exit 0
echo "installing Debian packages:$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
