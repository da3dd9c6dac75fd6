#!/bin/sh
# Sum the result files of several test runs into the closing line of the suite.
pass=0 fail=0 skip=0
for f in "$@"; do
    read -r p fa s < "$f" || { echo "missing results: $f"; exit 1; }
    pass=$((pass + p)); fail=$((fail + fa)); skip=$((skip + s))
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
