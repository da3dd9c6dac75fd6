#!/bin/sh
# Plays neurorack.lv2 in Ardour, headless: a fresh 48 kHz session on the Dummy backend (no display, no
# JACK) with a MIDI track whose instrument is Neurorack (MIDI), three notes at 0.5, 1.5, 2.5 s (velocities
# 127, 80, 40) from a Lua sequencer in front of it, exported to a float WAV; then checks the file:
# sound starts within ONSET_TOL of each note, silence before the first, no NaN or Inf, peak below 0 dBFS.
# The session is saved with "Offset brightness" at 1.25, reloaded, checked, and exported again: the two
# exports must be equal.
# Usage: scripts/ardour-check.sh [BUILD_DIR]   (make ardour-check). Exit 0 pass, 77 skip (no ardour7-lua),
# 1 fail. Needs python3 (standard library only) to read the WAV.
set -u
BUILD=${1:-build}
LUA=${ARDOUR_LUA:-ardour7-lua}
URI=urn:neurorack:lv2:synth-midi
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v "$LUA" >/dev/null 2>&1; then
    echo "ardour-check: SKIP: $LUA not found (Debian: apt-get install ardour); nothing checked"
    exit 77
fi
bundle=$(cd "$BUILD/neurorack.lv2" 2>/dev/null && pwd) || { echo "ardour-check: FAIL: no $BUILD/neurorack.lv2 (make $BUILD/neurorack.lv2/manifest.ttl)"; exit 1; }
grep -q "<$URI>" "$bundle/manifest.ttl" || { echo "ardour-check: FAIL: $bundle/manifest.ttl lists no $URI"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nr-ardour.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
# LV2_PATH: a folder holding only the bundle (a link), so lilv scans nothing else.
mkdir -p "$tmp/lv2" "$tmp/config/ardour7/scripts" "$tmp/config/ardour7/export" "$tmp/export"
ln -s "$bundle" "$tmp/lv2/neurorack.lv2"
cp "$here/ardour/neurorack_check_notes.lua" "$tmp/config/ardour7/scripts/"
# Export preset: the shipped "BWAV 32float" format (session rate, float, no dither, no normalising).
cat > "$tmp/config/ardour7/export/neurorack-check.preset" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<ExportPreset id="8f2d1c0e-6a4b-4f5e-9a7d-3c1b2e4f5a60" name="neurorack check: float WAV">
  <ExportFormat id="20b4ab09-6452-4cb3-bd66-b921cdbd2942"/>
  <ExportFilename>
    <Folder relative="1" path="export"/>
    <Field name="label" enabled="0"/>
    <Field name="session" enabled="0"/>
    <Field name="snapshot" enabled="0"/>
    <Field name="timespan" enabled="1"/>
    <Field name="revision" enabled="0"/>
    <Field name="time" enabled="0" value="T_None"/>
    <Field name="date" enabled="0" value="D_None"/>
  </ExportFilename>
</ExportPreset>
XML

run() { # MODE
    start=$(date +%s.%N)
    if ! env LV2_PATH="$tmp/lv2" XDG_CONFIG_HOME="$tmp/config" HOME="$tmp" NR_MODE="$1" NR_SESSION_DIR="$tmp/session" \
        NR_EXPORT_DIR="$tmp/export" NR_PLUGIN_URI="$URI" timeout 300 nice -n 5 "$LUA" "$here/ardour/check.lua" \
        > "$tmp/$1.log" 2>&1 || ! grep -q "^OK $1" "$tmp/$1.log"; then
        grep -v "has no known data type" "$tmp/$1.log" | tail -20
        echo "ardour-check: FAIL: the Ardour session ($1) did not finish (log above)"
        exit 1
    fi
    grep -E "^(plugin:|Offset|export:)" "$tmp/$1.log" | sed "s/^/  $1: /"
    echo "  $1: $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s in all"
}
"$LUA" --version 2>/dev/null | head -1
run create
run reload

python3 - "$tmp/export" <<'PY' || exit 1
import glob, math, struct, sys
RATE, NOTES = 48000, [(0.5, 127), (1.5, 80), (2.5, 40)]   # as in neurorack_check_notes.lua
ONSET_TOL = 0.005      # s: sound must start this close after each note
SILENT = 1e-6          # |x| below this before the first note (float export: plain zeros expected)
SOUND = 1e-3           # first sample above this after a note = its onset
ATTACK = 1.5           # a note over a sounding one: its first ONSET_TOL must peak this much above the tail
def read(path):        # float32 WAV / BWF: walk the chunks to fmt and data
    b = open(path, "rb").read()
    if b[:4] != b"RIFF" or b[8:12] != b"WAVE": sys.exit(f"ardour-check: FAIL: {path}: not a WAV file")
    i, fmt, data = 12, None, None
    while i + 8 <= len(b):
        cid, n = b[i:i+4], struct.unpack("<I", b[i+4:i+8])[0]
        if cid == b"fmt ": fmt = struct.unpack("<HHIIHH", b[i+8:i+24])
        if cid == b"data": data = b[i+8:i+8+n]
        i += 8 + n + (n & 1)
    if not fmt or data is None or fmt[0] not in (3, 0xFFFE) or fmt[5] != 32 or fmt[2] != RATE:
        sys.exit(f"ardour-check: FAIL: {path}: want 32-bit float at {RATE} Hz, fmt {fmt}")
    ch = fmt[1]
    x = struct.unpack(f"<{len(data)//4}f", data[:len(data)//4*4])
    return [max(x[k:k+ch], key=abs) for k in range(0, len(x) - ch + 1, ch)], ch
files = {}
for f in sorted(glob.glob(sys.argv[1] + "/*.wav")):
    files[f.rsplit("/", 1)[1]] = read(f)
if sorted(files) != ["create.wav", "reload.wav"]: sys.exit(f"ardour-check: FAIL: exports {sorted(files)}, want create.wav, reload.wav")
ok = True
for name, (x, ch) in files.items():
    bad = sum(1 for v in x if not math.isfinite(v))
    peak = max(abs(v) for v in x)
    first = int(NOTES[0][0] * RATE)
    pre = max((abs(v) for v in x[:first]), default=0.0)
    print(f"  {name}: {ch} ch, {len(x)/RATE:.3f} s, peak {20*math.log10(peak) if peak > 0 else -999:.1f} dBFS, "
          f"before the first note {pre:.2e}, non-finite {bad}")
    if bad or peak >= 1.0 or peak < SOUND or pre > SILENT: ok = False
    for t, vel in NOTES:
        a = int(t * RATE)
        on = next((k for k in range(a, min(len(x), a + RATE // 4)) if abs(x[k]) > SOUND), None)
        w = int(ONSET_TOL * RATE)
        before = max((abs(v) for v in x[a - w:a]), default=0.0)   # the previous note's tail
        after = max((abs(v) for v in x[a:a + w]), default=0.0)    # this note's attack
        print(f"    note at {t:.3f} s (velocity {vel}): sound at " +
              (f"+{(on - a) / RATE * 1000:.2f} ms" if on is not None else "never") +
              f", peak in the {ONSET_TOL*1000:.0f} ms before {before:.3f}, after {after:.3f}")
        if on is None or on - a > w or after < ATTACK * before: ok = False
a, b = files["create.wav"][0], files["reload.wav"][0]
diff = max(abs(p - q) for p, q in zip(a, b)) if len(a) == len(b) else float("inf")
print(f"  create.wav vs reload.wav (same session after save and reload): max difference {diff:.2e}")
if diff > 1e-6: ok = False
sys.exit(0 if ok else "ardour-check: FAIL (numbers above)")
PY
echo "ardour-check: PASS"
