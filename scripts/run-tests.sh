#!/bin/sh
# Run test programs, print each one's output, and end with the summed line "N passed, N failed, N skipped".
# Usage: run-tests.sh BUILD_DIR test-binary...   (results also go to BUILD_DIR/test-results.txt)
set -u
build=$1
shift
pass=0 fail=0 skip=0 broken=""
: > "$build/test-results.txt"
for t in "$@"; do
    name=$(basename "$t")
    t0=$(date +%s)
    out=$("$t" 2>&1)
    rc=$?
    printf '%s\n' "$out" | sed "s/^/[$name] /"
    echo "[$name] $(( $(date +%s) - t0 )) s"
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' | tail -n 1)
    if [ -z "$line" ]; then
        broken="$broken $name(exit $rc)"
        fail=$((fail + 1))
        continue
    fi
    p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}'); s=$(echo "$line" | awk '{print $5}')
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && { broken="$broken $name(exit $rc)"; f=1; }
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
done
[ -n "$broken" ] && echo "test programs that crashed or exited badly:$broken"
echo "$pass $fail $skip" > "$build/test-results.txt"
echo "$build: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
