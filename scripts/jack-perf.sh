#!/bin/sh
# The instrument's live performance measurement (docs/instrument.md): a JACK dummy server at 48 kHz with
# 64-frame periods, realtime when allowed, 8 voices of MODEL playing scripts/perf-script.sh for SECONDS,
# then `neurorack play --report`. With cyclictest (Debian package rt-tests) present, it runs beside the
# performance and tells how often the machine itself woke a realtime thread later than one period: an
# xrun the callback's own time cannot explain shows up there. It also prints the steal time /proc/stat
# counted over the run (a virtual machine's CPUs held by its host). JACK_PERF_KEEP=DIR keeps the logs
# (jackd's, cyclictest's, the play report) in DIR.
# Usage: scripts/jack-perf.sh [SECONDS (600)] [MODEL (the default model)]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-600}
model=${2:-}
out=$(mktemp -d)
keep=${JACK_PERF_KEEP:-}
trap 'kill $jack_pid 2>/dev/null || true; if [ -n "$keep" ]; then mkdir -p "$keep" && cp "$out"/* "$keep"/; fi; rm -rf "$out"' EXIT
steal() { awk '/^cpu / { print $9 }' /proc/stat; }
steal0=$(steal)
sh scripts/perf-script.sh "$secs" > "$out/perf.txt"
server=neurorack-perf-$$
jackd -n "$server" -R -P 70 -d dummy -r 48000 -p 64 > "$out/jackd.log" 2>&1 &
jack_pid=$!
sleep 1
cyc=""
if command -v cyclictest > /dev/null 2>&1; then
    cyclictest -m -p 60 -t 1 -i 1000 -D "$secs" -q -h 20000 > "$out/cyclictest.txt" 2>&1 &
    cyc=$!
fi
./neurorack play --audio jack --jack-server "$server" ${model:+--model "$model"} --script "$out/perf.txt" \
    --report --headless > "$out/report.txt" 2>&1 || { cat "$out/report.txt"; exit 1; }
cat "$out/report.txt"
[ -n "$cyc" ] && wait "$cyc" || true
echo "jackd reported $(grep -c XRun "$out/jackd.log" || true) xrun(s)"
grep -i "real-time\|realtime" "$out/jackd.log" | head -3 | sed 's/^/jackd: /' || true
echo "steal time over the run (/proc/stat, all CPUs together): $(awk -v a="$steal0" -v b="$(steal)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f s", (b - a) / hz }')"
if [ -n "$cyc" ] && ! grep -q "^# Max Latencies" "$out/cyclictest.txt"; then
    echo "cyclictest gave no histogram (no reading): $(head -c 300 "$out/cyclictest.txt" | tr '\n' ' ')"
elif [ -n "$cyc" ]; then
    awk '/^# Max Latencies/ { max = $4 + 0 }
         /^[0-9]/ { if ($1 + 0 > 1333) late += $2 }
         END { printf "cyclictest (SCHED_FIFO 60, 1 ms timer, %s s): %d wake-ups later than one 64-frame period (1333 us), worst %d us\n", "'"$secs"'", late, max }' \
        "$out/cyclictest.txt"
fi
