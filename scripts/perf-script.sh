#!/bin/sh
# A scripted performance for `neurorack play --script` (format: docs/instrument.md): every 125 ms a
# gate (1 and 2 in turn, 20 ms long), and 10 ms after it one CV (1..4 in turn) set to 4 sin(0.37 k) V,
# so all 8 voices stay busy and every CV keeps moving. Usage: scripts/perf-script.sh SECONDS > perf.txt
set -eu
awk -v secs="${1:-600}" 'BEGIN {
    printf "# %g-second performance: both gates, CV sweeps, 8 voices\n", secs
    for (k = 0; 0.05 + k * 0.125 < secs - 0.5; k++) {
        t = 0.05 + k * 0.125
        g = k % 2 + 1
        printf "%.3f gate %d 1\n%.3f cv %d %.3f\n%.3f gate %d 0\n", t, g, t + 0.01, k % 4 + 1, 4 * sin(0.37 * k), t + 0.02, g
    }
    printf "end %g\n", secs
}'
