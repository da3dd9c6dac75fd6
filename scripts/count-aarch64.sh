#!/bin/sh
# Guest instructions per second of audio of the aarch64 build (make cross-aarch64), counted under
# qemu-aarch64 (docs/raspberry-pi.md, "Budget"): one voice renders FRAMES_A and then FRAMES_B frames
# of the built-in 'impact' template in blocks of 256 samples on one thread; the difference of the two
# runs leaves out loading and start-up. Prints the total and the functions that take the most.
# usage: scripts/count-aarch64.sh MODEL [FRAMES_A FRAMES_B]   (default 4 8; a frame is 1/43.07 s)
set -eu
model=$1
fa=${2:-4}
fb=${3:-8}
bin=build-aarch64/neurorack
[ -x "$bin" ] || { echo "count-aarch64.sh: $bin missing; run make cross-aarch64 first" >&2; exit 1; }
out=build-aarch64/count
mkdir -p "$out"
${CC:-cc} -O2 -o "$out/qemu_icount" scripts/qemu_icount.c
aarch64-linux-gnu-nm -n --defined-only "$bin" > "$out/nm.txt"
run() {
    fifo="$out/log.fifo"
    rm -f "$fifo"
    mkfifo "$fifo"
    "$out/qemu_icount" "$out/nm.txt" < "$fifo" > "$out/count.$1.txt" &
    OPENBLAS_NUM_THREADS=1 qemu-aarch64 -d in_asm,exec,nochain -D "$fifo" "$bin" render --model "$model" \
        --frames "$1" --block 256 --threads 1 -o "$out/render.$1.wav" > /dev/null
    wait
    rm -f "$fifo"
}
run "$fa"
run "$fb"
# per second of audio: (B - A) * 43.066 / (fb - fa), per function and in total
awk -v fa="$fa" -v fb="$fb" '
    FNR == 1 { f++; if (f == 1) ta = $1; else tb = $1; next }
    { name = $0; sub(/^[0-9]+ /, "", name); c[name] += (f == 1 ? -$1 : $1) }
    END {
        k = 43.066 / (fb - fa); total = (tb - ta) * k
        printf "%.1f M instructions per second of audio\n", total / 1e6
        for (n in c) if (c[n] * k > total / 200) printf "%8.1f M %5.1f %%  %s\n", c[n] * k / 1e6, 100 * c[n] * k / total, n
    }' "$out/count.$fa.txt" "$out/count.$fb.txt" | sort -k1,1 -g -r
