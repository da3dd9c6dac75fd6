#!/usr/bin/python3
"""Independent reference for the listener metrics of neurorack eval (src/eval/metrics.c).

Writes a few short synthetic WAV files (16-bit, 22050 Hz) into tests/ref/listen/ and the values that
numpy/scipy compute for them into tests/ref/listen/expected.tsv; tests/test_eval.c reads both.
Regenerate (Debian's numpy and scipy: apt-get install python3-numpy python3-scipy):

    /usr/bin/python3 tests/ref/listen_metrics.py
"""
import os
import wave

import numpy as np
from scipy.ndimage import median_filter

RATE = 22050
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "listen")


def click_frames(x, sr=RATE):
    """Per frame: e (high-band dB), its running median, L (whole-frame dB)."""
    n_fft, hop = 256, 64
    w = np.hanning(n_fft)  # symmetric: 0.5 - 0.5 cos(2 pi n / (N - 1))
    frames = 1 + (len(x) - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    p = np.abs(np.fft.rfft(x[idx] * w, axis=1)) ** 2
    f = np.fft.rfftfreq(n_fft, 1.0 / sr)
    e = 10 * np.log10(p[:, f >= 3000].sum(axis=1) + 1e-12)
    level = 10 * np.log10(p.sum(axis=1) + 1e-12)
    med = median_filter(e, size=33, mode="nearest")
    return e, med, level


def clicks(x, sr=RATE):
    if len(x) < 256:
        return 0
    e, med, level = click_frames(x, sr)
    peak = (e - med > 10) & (e > level.max() - 60)
    starts = peak & ~np.concatenate([[False], peak[:-1]])
    return int(starts.sum())


def band_levels(x, sr=RATE):
    n = len(x)
    p = np.abs(np.fft.rfft(x)) ** 2 / float(n) ** 2
    k = np.arange(len(p))
    out = []
    for b in range(8):
        lo = (44 << b) * n  # band edges in integers: lo <= k * sr / n < 2 lo
        sel = (k >= 1) & (k * sr >= lo) & (k * sr < 2 * lo)
        out.append(10 * np.log10(p[sel].sum() + 1e-12))
    return np.array(out)


def band_error(render, ref):
    a, b = band_levels(render), band_levels(ref)
    keep = b >= b.max() - 60
    return float(np.abs(a - b)[keep].mean())


def excess(render, ref, sr=RATE):
    return max(0, clicks(render) - clicks(ref)) / (len(ref) / sr)


def make_signals():
    rng = np.random.default_rng(20261202)
    n = int(1.5 * RATE)
    t = np.arange(n) / RATE
    env = np.exp(-t / 0.4)
    noise = rng.standard_normal(n)
    sig = {}
    sig["sine"] = env * (0.5 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 880 * t))
    x = 0.2 * env * noise
    for k, pos in enumerate([2000, 7000, 12000, 17000, 22000, 27000, 31000]):
        x[pos] += 0.9 - 0.1 * k  # 7 impulses, louder to softer
    sig["noise_clicks"] = x
    x = sig["sine"].copy()
    for pos in [5000, 15000, 25000]:
        x[pos] += 0.5
    sig["sine_clicks"] = x
    # a darker noise (one-pole low-pass) with a high tone: other band levels
    y = np.zeros(n)
    acc = 0.0
    for i in range(n):
        acc = 0.97 * acc + 0.03 * noise[i]
        y[i] = acc
    sig["dark"] = env * (2.0 * y + 0.05 * np.sin(2 * np.pi * 7000 * t))
    # a click train in a quiet tail: the 60 dB floor decides which count
    x = 0.5 * np.exp(-t / 0.05) * noise
    for k in range(10):
        x[3000 + 3000 * k] += 10 ** (-(k * 10) / 20) * 0.3
    sig["floor"] = x
    return {k: np.round(np.clip(v, -1, 1) * 32767) / 32768 for k, v in sig.items()}


def write_wav(path, x):
    pcm = np.round(x * 32768).astype("<i2")
    with wave.open(path, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes(pcm.tobytes())


def main():
    os.makedirs(HERE, exist_ok=True)
    sig = make_signals()
    for k, v in sig.items():
        write_wav(os.path.join(HERE, k + ".wav"), v)
    pairs = [("noise_clicks", "sine"), ("sine_clicks", "noise_clicks"), ("sine", "sine_clicks"),
             ("dark", "sine"), ("noise_clicks", "dark"), ("floor", "sine"), ("sine", "sine")]
    with open(os.path.join(HERE, "expected.tsv"), "w") as f:
        f.write("# written by tests/ref/listen_metrics.py (numpy %s, scipy median_filter); do not edit\n"
                % np.__version__)
        for k, v in sig.items():
            f.write("clicks\t%s.wav\t%d\n" % (k, clicks(v)))
            e, med, level = click_frames(v)
            f.write("frames\t%s.wav\t%d\t%.9f\t%.9f\t%.9f\n" % (k, len(e), e.sum(), med.sum(), level.max()))
            f.write("bands\t%s.wav\t%s\n" % (k, "\t".join("%.9f" % d for d in band_levels(v))))
        for a, b in pairs:
            f.write("pair\t%s.wav\t%s.wav\t%.9f\t%.9f\n" % (a, b, excess(sig[a], sig[b]), band_error(sig[a], sig[b])))


if __name__ == "__main__":
    main()
