#!/bin/sh
# ThreadSanitizer over one voice of the original model split across a team of threads (--threads 2 and 3):
# renders with the binary built with -fsanitize=thread at blocks 64, 512 and 4096 on every kernel path this
# CPU has but the generic one (which keeps a voice on one thread), and fails on any report. The split's
# barriers are atomics, which the sanitizer follows, so a missing barrier shows as a data race even
# when the timing happened to be right (a render without the split barrier before the ring writes does).
# Usage: scripts/tsan-check.sh [TSAN_BUILD_DIR] (make tsan-check builds it first; make check runs it). Exit
# 0 pass, 77 skip (no ../shared model, or a kernel the sanitizer's runtime cannot start on), 1 fail.
set -u
BUILD=${1:-build-tsan}
here=$(cd "$(dirname "$0")" && pwd)
MODEL=${NR_SHARED:-$here/../../shared}/models/neurorack-nsf/model_nsf_sinc_ema_impacts_waveform_5.0.th
if [ ! -f "$MODEL" ]; then
    echo "tsan-check: SKIP: $MODEL absent (../shared beside the repository); nothing checked"
    exit 77
fi
bin=$BUILD/neurorack
[ -x "$bin" ] || { echo "tsan-check: FAIL: no $bin (make tsan-check builds it)"; exit 1; }
# The sanitizer's runtime refuses some kernels' address-space layouts before main (high mmap randomisation):
# that is the machine, not the program, so it is a skip, said as such.
if ! out=$("$bin" --help 2>&1); then
    if printf '%s' "$out" | grep -q "ThreadSanitizer"; then
        echo "tsan-check: SKIP: the ThreadSanitizer runtime does not start on this kernel: $(printf '%s' "$out" | grep -m1 ThreadSanitizer)"
        exit 77
    fi
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nr-tsan.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0 runs=0
for path in avx512 avx2 neon; do
    if ! NR_CPU=$path "$bin" info "$MODEL" >/dev/null 2>&1; then
        echo "tsan-check: skip path $path: not in this build or not on this CPU"
        continue
    fi
    for case in "2 512" "2 64" "2 4096" "3 512"; do
        set -- $case
        log=$tmp/$path-$1-$2.log
        if NR_CPU=$path TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$bin" render --model "$MODEL" --template impact \
            --frames 24 --threads "$1" --block "$2" -o "$tmp/out.wav" >"$log" 2>&1; then
            echo "tsan-check: ok   $path, $1 threads, block $2"
        else
            echo "tsan-check: FAIL $path, $1 threads, block $2:"
            sed -n '1,40p' "$log"
            fail=1
        fi
        runs=$((runs + 1))
    done
done
[ "$runs" -gt 0 ] || { echo "tsan-check: FAIL: no kernel path with a threaded split ran"; exit 1; }
exit $fail
