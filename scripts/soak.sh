#!/bin/sh
# Soak test: `scripts/soak.sh MINUTES` runs the instrument (`neurorack play`) for MINUTES under random
# control scripts and random OSC traffic on loopback (malformed packets and NaN values included), with a
# model reload every 4 s (walked to through the menu over OSC), a settings change every 2.5 s (saved 1 s
# later) and a preset save every 9 s, while the model file is replaced under it (now and then by a cut
# copy: that reload must fail and keep the old model). It runs on the file sink paced to the clock
# (--realtime) and, when jackd is installed, half of the time on `jackd -d dummy`.
#
# Every second it samples VmRSS and VmHWM from /proc. It reports, per run: the exit status, sanitizer
# output, xruns, events dropped, voice faults, reloads done and refused, settings saves (the play report's
# counts; and the changes of the file seen from outside), and whether the
# resident size is flat: the median of the last quarter of the samples against the median of the second
# quarter (the first is warm-up), allowed to grow by SOAK_RSS_SLACK_KB (default 4096) — more is a leak.
# Exits non-zero on a fault (exit status, a signal, sanitizer output, a voice fault), memory growth, or a
# run in which no reload or no settings save happened (the traffic did not reach the instrument).
#
# NR_BIN: the program (default build/neurorack; build-asan/neurorack for an ASan soak). SOAK_KEEP=1 keeps
# the work folder. `make soak` runs it for SOAK_MINUTES (30); `make check` for SOAK_CHECK_MINUTES (1).
set -u
minutes=${1:?usage: scripts/soak.sh MINUTES}
bin=${NR_BIN:-build/neurorack}
slack=${SOAK_RSS_SLACK_KB:-4096}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
traffic="$here/soak-traffic.py"
[ -x "$bin" ] || { echo "soak: $bin not built (make $bin)"; exit 2; }
command -v python3 >/dev/null || { echo "soak: python3 is needed for the OSC traffic"; exit 2; }
model_src=${NEURORACK_MODEL:-$root/models/default.safetensors}
[ -f "$model_src" ] || { echo "soak: no model at $model_src"; exit 2; }
total_s=$(awk -v m="$minutes" 'BEGIN { s = int(m * 60 + 0.5); if (s < 20) { print "soak: MINUTES gives under 20 s" > "/dev/stderr"; exit 1 } print s }') || exit 2

work=$(mktemp -d /tmp/nr-soak.XXXXXX)
jack_pid=
cleanup() {
    [ -n "$jack_pid" ] && kill "$jack_pid" 2>/dev/null
    [ "${SOAK_KEEP:-0}" = 1 ] && echo "soak: work folder kept: $work" || rm -rf "$work"
}
trap cleanup EXIT INT TERM
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp}
# Under AddressSanitizer freed memory waits in a quarantine before reuse (use-after-free detection): the
# resident size grows until that is full. A small quarantine, and the slack raised by its size.
ASAN_QUARANTINE_MB=4
if grep -q __asan_init "$bin" 2>/dev/null; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=$ASAN_QUARANTINE_MB:thread_local_quarantine_size_kb=256}
    slack=$((slack + ASAN_QUARANTINE_MB * 1024 + 2048))
    echo "soak: an AddressSanitizer build: $ASAN_OPTIONS; slack raised to $slack KB"
fi

if command -v jackd >/dev/null 2>&1; then runs="file jack"; run_s=$((total_s / 2)); else runs="file"; run_s=$total_s; fi
echo "soak: $bin for $total_s s: $runs ($run_s s each); RSS sampled every second, slack $slack KB"

free_port() { python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The model file is replaced every 7 s while the instrument runs, every third time by a copy cut in half.
swap_model() { # $1 = path, $2 = seconds
    i=0
    end=$(( $(date +%s) + $2 ))
    while [ "$(date +%s)" -lt "$end" ]; do
        sleep 7
        i=$((i + 1))
        if [ $((i % 3)) = 0 ]; then
            head -c $(( $(wc -c < "$model_src") / 2 )) "$model_src" > "$1.tmp"
            mv "$1.tmp" "$1"; sleep 5
        fi
        cp "$model_src" "$1.tmp" && mv "$1.tmp" "$1"
    done
}

fail=0
seed=$(date +%s)
for kind in $runs; do
    d="$work/$kind"
    mkdir -p "$d"
    port=$(free_port)
    cp "$model_src" "$d/model.safetensors"
    python3 "$traffic" script "$run_s" "$seed" > "$d/script.txt"
    if [ "$kind" = jack ]; then
        server="nrsoak$$"
        jackd -n "$server" -d dummy -r 48000 -p 256 > "$d/jackd.log" 2>&1 &
        jack_pid=$!
        sleep 2
        audio="--audio jack --jack-server $server"
    else
        audio="--audio file:$d/out.flac --realtime"
    fi
    # shellcheck disable=SC2086
    "$bin" play $audio --headless --report --osc "$port" --model "$d/model.safetensors" --settings "$d/settings.nrs" \
        --script "$d/script.txt" --duration "$run_s" > "$d/report.txt" 2> "$d/stderr.txt" < /dev/null &
    pid=$!
    python3 "$traffic" osc "$port" "$run_s" $((seed + 1)) > "$d/osc.txt" 2>&1 &
    osc_pid=$!
    swap_model "$d/model.safetensors" "$((run_s - 8))" &
    swap_pid=$!
    t=0 changes=0 last_crc=
    : > "$d/rss.txt"
    while kill -0 "$pid" 2>/dev/null; do
        rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
        hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
        [ -n "$rss" ] && echo "$t $rss $hwm" >> "$d/rss.txt"
        crc=$(head -n 1 "$d/settings.nrs" 2>/dev/null)
        if [ -n "$crc" ] && [ "$crc" != "$last_crc" ]; then changes=$((changes + 1)); last_crc=$crc; fi
        sleep 1
        t=$((t + 1))
        if [ "$t" -gt $((run_s + 60)) ]; then echo "soak: $kind run still going after $t s; stopped"; kill "$pid"; fi
    done
    wait "$pid"
    status=$?
    wait "$osc_pid"
    kill "$swap_pid" 2>/dev/null; wait "$swap_pid" 2>/dev/null
    if [ -n "$jack_pid" ]; then kill "$jack_pid" 2>/dev/null; wait "$jack_pid" 2>/dev/null; jack_pid=; fi

    # the report's numbers
    xruns=$(sed -n 's/^  xruns *\([0-9]*\) .*/\1/p' "$d/report.txt")
    dropped=$(sed -n 's/.*events dropped \([0-9]*\).*/\1/p' "$d/report.txt")
    faults=$(sed -n 's/.*, faults \([0-9]*\),.*/\1/p' "$d/report.txt")
    sdrop=$(sed -n 's/.*script events dropped by a full queue: \([0-9]*\).*/\1/p' "$d/report.txt")
    reloads=$(sed -n 's/.*model reloads \([0-9]*\) .*/\1/p' "$d/report.txt")
    refused=$(sed -n 's/.*model reloads [0-9]* (\([0-9]*\) refused.*/\1/p' "$d/report.txt")
    saves=$(sed -n 's/.*settings saves \([0-9]*\) .*/\1/p' "$d/report.txt")
    save_fail=$(sed -n 's/.*settings saves [0-9]* (\([0-9]*\) failed.*/\1/p' "$d/report.txt")
    san=$(grep -c -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$d/stderr.txt")
    # flat: median VmRSS of the last quarter against the second quarter
    mem=$(awk -v slack="$slack" '{ r[NR] = $2; h = $3 } END {
        n = NR; if (n < 8) { print "too-few-samples 0 0 0 " h; exit }
        q = int(n / 4);
        a = med(r, q + 1, 2 * q); b = med(r, n - q + 1, n);
        printf "%s %d %d %d %d\n", (b - a > slack ? "GROWING" : "flat"), a, b, b - a, h }
        function med(x, i, j,   k, m, t, y) { m = 0; for (k = i; k <= j; k++) y[++m] = x[k];
            for (k = 1; k <= m; k++) for (t = k + 1; t <= m; t++) if (y[t] < y[k]) { v = y[k]; y[k] = y[t]; y[t] = v }
            return y[int((m + 1) / 2)] }' "$d/rss.txt")
    set -- $mem
    verdict=ok
    [ "$status" -ne 0 ] && verdict=FAULT
    [ "$san" -gt 0 ] && verdict=FAULT
    [ "${faults:-0}" -gt 0 ] && verdict=FAULT
    [ "$1" = GROWING ] && verdict="$verdict+GROWTH"
    [ "${reloads:-0}" -eq 0 ] || [ "${saves:-0}" -lt 2 ] && verdict="$verdict+NO-TRAFFIC"
    [ "${save_fail:-0}" -gt 0 ] && verdict="$verdict+SAVE-FAILED"
    [ "$verdict" != ok ] && fail=1
    echo "soak $kind: $verdict"
    echo "  exit status $status; sanitizer reports $san; voice faults ${faults:-?}"
    echo "  RSS $1: median $2 KB in the second quarter, $3 KB in the last (growth $4 KB); peak (VmHWM) $5 KB; $(wc -l < "$d/rss.txt") samples"
    echo "  xruns ${xruns:-?}; events dropped ${dropped:-?}; script events dropped ${sdrop:-0}"
    echo "  model reloads ${reloads:-?}, refused ${refused:-?} (the model file cut or mid-swap); settings saves ${saves:-?} (${save_fail:-?} failed), file changes seen $changes"
    echo "  $(cat "$d/osc.txt")"
    grep -v -E 'model reloaded|reload failed|^neurorack play: (jack|file)' "$d/stderr.txt" | sort | uniq -c | sort -rn | head -n 5 | sed 's/^/  stderr: /'
    awk 'NR % 10 == 1 { printf "%s%d:%d", (n++ ? " " : "  RSS KB by second: "), $1, $2 } END { print "" }' "$d/rss.txt"
    [ "$status" -ne 0 ] || [ "$san" -gt 0 ] && tail -n 30 "$d/stderr.txt"
done
[ "$fail" = 0 ] && echo "soak: passed" || echo "soak: FAILED"
exit "$fail"
