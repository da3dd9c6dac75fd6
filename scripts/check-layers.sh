#!/bin/sh
# The architecture check: every quoted #include in src/ and include/ must point to the same layer or a
# lower one. Layers, lowest first (a folder of src/, or a public header of include/nr/):
#
#   0  core dsp io formats   errors, curves as data, kernels, files    nr/core.h tensors.h audio_file.h curves.h
#   1  analysis curves       sound -> descriptor curves, built-ins     nr/analysis.h templates.h
#   2  models                curves -> audio                           nr/model.h model_templates.h latent.h
#   3  engine synth          offline render; the synth (patch +       nr/engine.h patch.h synth.h neurorack.h
#                            events -> audio, no UI, files, devices)
#   4  eval dataset train    measuring, data, training                 nr/eval.h dataset.h train.h
#   5  instrument            the module host around the synth: settings nr/instrument.h
#                            and presets, model reload, control queues,
#                            the menu and the OLED frame
#   6  control ui audio hw   the hosts and sources on top: MIDI, OSC,
#                            scripts; the terminal panel; audio devices
#                            (JACK, ALSA, file sink); the hardware
#   7  apps plugins          the neurorack program; the plugins (LV2, Pd), hosts of the synth
#
# So the synth and everything under it never include control/, ui/, audio/, hw/ or instrument/, and
# the module host never includes control/, ui/, audio/ or hw/ (ui/ depends on it, never the reverse).
# Usage: scripts/check-layers.sh [ROOT]   (ROOT: the repository, default the one holding this script)
# Prints each violation as FILE:LINE: ... and exits 1 when there is one.
set -eu
root=${1:-$(dirname "$0")/..}
cd "$root"

find src include -name '*.[ch]' | sort | xargs grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' /dev/null |
awk '
function folder_layer(f) {
    if (f ~ /^(core|dsp|io|formats)$/) return 0
    if (f ~ /^(analysis|curves)$/) return 1
    if (f == "models") return 2
    if (f ~ /^(engine|synth)$/) return 3
    if (f ~ /^(eval|dataset|train)$/) return 4
    if (f == "instrument") return 5
    if (f ~ /^(control|ui|audio|hw)$/) return 6
    if (f ~ /^(apps|plugins)$/) return 7
    return -1
}
function header_layer(h) {
    if (h ~ /^(core|tensors|audio_file|curves)\.h$/) return 0
    if (h ~ /^(analysis|templates)\.h$/) return 1
    if (h ~ /^(model|model_templates|latent)\.h$/) return 2
    if (h ~ /^(engine|patch|synth)\.h$/) return 3
    if (h ~ /^(eval|dataset|train)\.h$/) return 4
    if (h == "instrument.h") return 5
    return -1
}
# The layer of a file by its path (src/FOLDER/..., include/nr/H, include/neurorack.h).
function file_layer(p,   a) {
    n = split(p, a, "/")
    if (a[1] == "src") return folder_layer(a[2])
    if (p == "include/neurorack.h") return 3
    if (a[1] == "include" && a[2] == "nr") return header_layer(a[3])
    return -1
}
{
    # grep -n output: FILE:LINE:#include "TARGET"
    file = $0; sub(/:.*/, "", file)
    rest = substr($0, length(file) + 2)
    line = rest; sub(/:.*/, "", line)
    target = rest; sub(/^[^"]*"/, "", target); sub(/".*/, "", target)
    from = file_layer(file)
    if (from < 0) { printf "%s:%s: folder not in the layer table (scripts/check-layers.sh)\n", file, line; bad = 1; next }
    if (target == "neurorack.h") to = 3
    else if (target ~ /^nr\//) to = header_layer(substr(target, 4))
    else if (target ~ /\//) {
        split(target, t, "/")
        if (t[1] == "..") to = from          # a relative path inside the same folder tree
        else to = folder_layer(t[1])
    } else to = from                         # a header beside the file
    if (to < 0) { printf "%s:%s: #include \"%s\": not in the layer table (scripts/check-layers.sh)\n", file, line, target; bad = 1; next }
    if (to > from) {
        printf "%s:%s: #include \"%s\": layer %d includes layer %d (higher)\n", file, line, target, from, to
        bad = 1
    }
}
END { exit bad }
' || { echo "check-layers: a lower layer includes a higher one (table at the top of scripts/check-layers.sh)"; exit 1; }
echo "check-layers: ok"
