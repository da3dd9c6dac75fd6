#!/usr/bin/python3
"""Goldens for the analysis resampler (src/dsp/kaiser_resample.c): what librosa 0.9.2's load does to
a signal at another rate, librosa.resample(res_type='kaiser_best') = resampy.resample(filter=
'kaiser_best') padded with zeros to ceil(n * ratio) samples.

Needs Debian 12's python3-resampy (0.4.2), python3-numpy, python3-scipy, python3-soundfile; run with
/usr/bin/python3 from the repository root:  /usr/bin/python3 scripts/make-resampy-goldens.py

1. Checks that the filter design of src/dsp/kaiser_resample.h (a Kaiser-windowed sinc, 50 zero
   crossings, 2^13 steps each, rolloff 0.917347, beta 12.9846) computed with scipy's Kaiser window
   and numpy's sinc is resampy's shipped kaiser_best table (within 1e-7; it is exact here). With
   ../shared present it also shows which kaiser_best librosa.load used for the goldens there:
   this one, bit for bit, and not resampy <= 0.2.2's (64 crossings, 2^9 steps, rolloff
   0.9475937167399596, beta 14.769656459379492).
2. Writes tests/ref/resampy/: synth_<rate>.f32, the synthetic chirp + noise burst (made the same way
   by tests/test_resample_kaiser.c) resampled to 22050 Hz, full vectors; short.csv, very short
   inputs; and, with ../shared present, shared_48k.csv: statistics (not samples: the sounds stay in
   ../shared) of each ../shared FLAC taken to 48 kHz and back to 22050 Hz by resampy.
"""
import math
import os
import sys

import numpy as np
import resampy
import scipy.signal

OUT = "tests/ref/resampy"
SHARED = os.path.join("..", "shared")
TARGET = 22050
ZEROS, BITS, ROLLOFF, BETA = 50, 13, 0.917347, 12.9846
OLD = dict(zeros=64, bits=9, rolloff=0.9475937167399596, beta=14.769656459379492)
SYNTH_RATES = [44100, 48000, 8000, 16000, 96000]
SHORT_RATES = [44100, 48000, 8000]
SHORT_LENGTHS = [2, 3, 5, 7, 64]
N_BLOCKS = 32


def design(zeros, bits, rolloff, beta):
    """resampy's sinc_window with a symmetric Kaiser window: the right wing of the filter."""
    steps = 2 ** bits
    n = steps * zeros
    sinc = rolloff * np.sinc(rolloff * np.linspace(0, zeros, num=n + 1, endpoint=True))
    taper = scipy.signal.windows.kaiser(2 * n + 1, beta)[n:]
    return taper * sinc, steps, rolloff


def librosa_resample(x, sr, target, filt="kaiser_best"):
    """librosa 0.9.2's resample(res_type='kaiser_best', fix=True, scale=False)."""
    ratio = float(target) / sr
    n = int(np.ceil(x.shape[-1] * ratio))
    y = resampy.resample(x, sr, target, filter=filt, axis=-1)
    y = y[:n] if len(y) >= n else np.pad(y, (0, n - len(y)))
    return np.asarray(y, dtype=x.dtype)


def synth(rate):
    """0.25 s: a chirp 100 Hz .. 0.49 rate at 0.5, plus from n/2 for n/8 samples a noise burst of
    0.25 from a 32-bit LCG; float64 then float32. tests/test_resample_kaiser.c: nt_synth()."""
    n = rate // 4
    t = np.arange(n, dtype=np.float64) / rate
    dur = n / rate
    f0, f1 = 100.0, 0.49 * rate
    k = (f1 - f0) / dur
    x = 0.5 * np.sin(2.0 * math.pi * (f0 * t + 0.5 * k * t * t))
    state = 12345
    for i in range(n // 2, n // 2 + n // 8):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        x[i] += 0.25 * ((state >> 8) / 8388608.0 - 1.0)
    return x.astype(np.float32)


def stats(y):
    """n, sum, sum of squares, peak and N_BLOCKS block RMS values of y (in double)."""
    y = y.astype(np.float64)
    blocks = np.array_split(y, N_BLOCKS)
    return [len(y), y.sum(), (y * y).sum(), np.abs(y).max()] + [math.sqrt(np.mean(b * b)) for b in blocks]


def main():
    d = np.load(os.path.join(os.path.dirname(resampy.__file__), "data", "kaiser_best.npz"))
    win, steps, rolloff = design(ZEROS, BITS, ROLLOFF, BETA)
    err = np.max(np.abs(win - d["half_window"])) if win.shape == d["half_window"].shape else math.inf
    print(f"resampy {resampy.__version__} kaiser_best: {len(d['half_window'])} entries, precision {int(d['precision'])},"
          f" rolloff {float(d['rolloff'])}; design {len(win)} entries: max |difference| {err:.3g}")
    if not (err <= 1e-7 and steps == int(d["precision"]) and rolloff == float(d["rolloff"])):
        sys.exit("the filter design is not resampy's kaiser_best")

    os.makedirs(OUT, exist_ok=True)
    for rate in SYNTH_RATES:
        y = librosa_resample(synth(rate), rate, TARGET)
        y.astype("<f4").tofile(os.path.join(OUT, f"synth_{rate}.f32"))
        print(f"synth {rate} Hz -> {TARGET} Hz: {len(y)} samples, peak {np.abs(y).max():.6f}")

    with open(os.path.join(OUT, "short.csv"), "w") as f:
        f.write("# resampy kaiser_best (librosa.resample) of the first n samples of synth(rate); rate,n,index,value\n")
        for rate in SHORT_RATES:
            x = synth(rate)
            for n in SHORT_LENGTHS:
                try:
                    y = librosa_resample(x[:n], rate, TARGET)
                except ValueError:
                    continue  # resampy refuses an input too short for one output
                for i, v in enumerate(y):
                    f.write(f"{rate},{n},{i},{float(v):.9e}\n")

    sounds = os.path.join(SHARED, "sounds")
    if not os.path.isdir(sounds):
        print("../shared absent: no shared_48k.csv and no check of the goldens' resampler")
        return
    import soundfile
    old = design(OLD["zeros"], OLD["bits"], OLD["rolloff"], OLD["beta"])
    with open(os.path.join(OUT, "shared_48k.csv"), "w") as f:
        f.write("# ../shared/sounds/FILE (mono mean, float32) 44100 -> 48000 -> 22050 Hz with librosa.resample"
                f" kaiser_best; file,n,sum,sumsq,peak,rms of {N_BLOCKS} equal blocks (numpy array_split)\n")
        for name in sorted(os.listdir(sounds)):
            if not name.endswith(".flac"):
                continue
            x, sr = soundfile.read(os.path.join(sounds, name), dtype="float32", always_2d=True)
            x = np.mean(x.T, axis=0)  # librosa.to_mono
            y48 = librosa_resample(x, sr, 48000)
            y = librosa_resample(y48, 48000, TARGET)
            f.write(name + "," + ",".join(f"{v:.12g}" for v in stats(y)) + "\n")
            g = os.path.join(SHARED, "reference", "neurorack", name[:-5] + "_audio.f32")
            if os.path.exists(g):
                g = np.fromfile(g, dtype="<f4")
                for label, filt in (("resampy 0.4.2 kaiser_best", "kaiser_best"), ("resampy <= 0.2.2 kaiser_best", lambda: old)):
                    z = librosa_resample(x, sr, TARGET, filt)
                    e = np.max(np.abs(z - g)) / np.max(np.abs(g)) if len(z) == len(g) else math.inf
                    print(f"{name}: {label} vs the librosa.load golden: max |difference| / peak {e:.3g}")


if __name__ == "__main__":
    main()
