#!/usr/bin/env python3
"""Traffic for scripts/soak.sh (standard library only).

  soak-traffic.py script SECONDS SEED         a random control script (gates, triggers, CVs) on stdout
  soak-traffic.py osc PORT SECONDS SEED       random OSC over UDP to 127.0.0.1:PORT for SECONDS, then a
                                              summary line "osc: N packets (...)" on stdout

The OSC traffic mixes valid messages (gates, triggers, CVs, encoder, push), values the instrument must
refuse (NaN, infinities, out-of-range CVs, unknown addresses, wrong types), malformed packets (random
bytes, cut messages, bundles whose sizes lie, bundles nested too deep), and every few seconds a bundle
that walks the menu to System > Reload model (a model reload), or to a Sound setting and changes it (a
settings save one second later), or saves a preset. A bundle's messages reach the menu in order, with
nothing between them, so each walk starts from wherever random traffic left the menu: two long pushes
always lead back to the page list."""
import math
import random
import socket
import struct
import sys
import time

GATES, CVS = 2, 4


def menu_pages():
    """The menu's page order, read from src/instrument/menu.h (NR_PAGE_SOUND, ...): a page added there
    moves the walks with it instead of sending them to the wrong item."""
    import os, re
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "instrument", "menu.h")
    with open(path) as f:
        names = re.findall(r"^\s*NR_PAGE_([A-Z_]+)\s*(?:=\s*0\s*)?,", f.read(), re.M)
    if "SOUND" not in names or "PRESETS" not in names or "SYSTEM" not in names:
        sys.exit("soak-traffic: cannot read the menu pages from %s" % path)
    return names


_PAGE_NAMES = menu_pages()
PAGES = len(_PAGE_NAMES)  # System is the last page
PAGE_SOUND, PAGE_PRESETS = _PAGE_NAMES.index("SOUND"), _PAGE_NAMES.index("PRESETS")
RELOAD_ITEM = 3    # System page: Neurorack, Model, Rate Hz, Reload model
SAVE_PRESET_ITEM = 2  # Presets page: Slot, Name, Save here
RATE_HZ = 200      # random packets per second
RELOAD_EVERY_S, SETTINGS_EVERY_S, PRESET_EVERY_S = 4.0, 2.5, 9.0


def pad(b):
    b += b"\0"
    return b + b"\0" * (-len(b) % 4)


def msg(path, *args):
    """args: (type, value) pairs; types i f d h T F s."""
    tags, data = ",", b""
    for t, v in args:
        tags += t
        if t == "i":
            data += struct.pack(">i", v)
        elif t == "f":
            data += struct.pack(">f", v)
        elif t == "d":
            data += struct.pack(">d", v)
        elif t == "h":
            data += struct.pack(">q", v)
        elif t == "s":
            data += pad(v.encode())
    return pad(path.encode()) + pad(tags.encode()) + data


def bundle(*elements):
    out = pad(b"#bundle") + struct.pack(">Q", 1)
    for e in elements:
        out += struct.pack(">i", len(e)) + e
    return out


def to_page(page):
    """Back to the page list from anywhere, onto `page`, into it."""
    return [msg("/neurorack/longpush"), msg("/neurorack/longpush"),
            msg("/neurorack/encoder", ("i", -20)), msg("/neurorack/encoder", ("i", page)) if page else None,
            msg("/neurorack/push")]


def walk(page, item, then):
    m = [x for x in to_page(page) if x]
    if item:
        m.append(msg("/neurorack/encoder", ("i", item)))
    return bundle(*(m + then))


def reload_model():
    return walk(_PAGE_NAMES.index("SYSTEM"), RELOAD_ITEM, [msg("/neurorack/push")])


def change_setting(rng):
    item = rng.randrange(0, 4)
    return walk(PAGE_SOUND, item, [msg("/neurorack/push"), msg("/neurorack/encoder", ("i", rng.choice([-2, -1, 1, 2]))),
                                   msg("/neurorack/push"), msg("/neurorack/longpush"), msg("/neurorack/longpush")])


def save_preset():
    return walk(PAGE_PRESETS, SAVE_PRESET_ITEM, [msg("/neurorack/push"), msg("/neurorack/longpush"),
                                                 msg("/neurorack/longpush")])


def valid(rng):
    k = rng.randrange(7)
    if k == 0:
        return msg("/neurorack/gate/%d" % rng.randint(1, GATES), ("i", rng.randint(0, 1)))
    if k == 1:
        return msg("/neurorack/gate/%d" % rng.randint(1, GATES))
    if k == 2:
        return msg("/neurorack/cv/%d" % rng.randint(1, CVS), ("f", rng.uniform(-10, 10)))
    if k == 3:
        return msg("/neurorack/cv/%d" % rng.randint(1, CVS), ("d", rng.uniform(-5, 5)))
    if k == 4:
        return msg("/neurorack/gate/%d" % rng.randint(1, GATES), (rng.choice("TF"), None))
    if k == 5:  # the model by name: "" (the default) or one not installed (plays the default, with a notice);
        # never another file, so that the reloads keep reading the model file soak.sh replaces
        return msg("/neurorack/model", ("s", rng.choice(["", "not-installed"])))
    return bundle(*[msg("/neurorack/cv/%d" % rng.randint(1, CVS), ("f", rng.uniform(-3, 3))) for _ in range(3)])


def refused(rng):
    bad = [float("nan"), float("inf"), -float("inf"), 1e30, -11.0]
    k = rng.randrange(9)
    if k == 0:
        return msg("/neurorack/cv/%d" % rng.randint(1, CVS), ("f", rng.choice(bad)))
    if k == 7:
        return msg("/neurorack/model", ("i", 1))
    if k == 8:
        return msg("/neurorack/model", ("s", rng.choice(["a/b", "x" * 40, "two words"])))
    if k == 1:
        return msg("/neurorack/gate/%d" % rng.randint(1, GATES), ("d", float("nan")))
    if k == 2:
        return msg("/neurorack/encoder", ("f", rng.choice(bad + [0.5])))
    if k == 3:
        return msg("/neurorack/gate/%d" % rng.choice([0, 3, 9]), ("i", 1))
    if k == 4:
        return msg("/neurorack/cv/1", ("s", "loud"))
    if k == 5:
        return msg("/neurorack/nothing", ("i", 1))
    return msg("/neurorack/cv/2", ("f", 1.0), ("f", 2.0), ("f", 3.0), ("f", 4.0), ("f", 5.0))


def malformed(rng):
    k = rng.randrange(5)
    if k == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    if k == 1:
        m = valid(rng)
        return m[:rng.randint(1, max(1, len(m) - 1))]
    if k == 2:
        b = bundle(msg("/neurorack/push"))
        return b[:16] + struct.pack(">i", 4096) + b[20:]
    if k == 3:
        b = msg("/neurorack/push")
        for _ in range(8):
            b = bundle(b)
        return b
    return b"#bundle\0" + bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))


def script(seconds, seed):
    rng = random.Random(seed)
    t, lines = 0.0, ["# random control script from scripts/soak-traffic.py, seed %d" % seed]
    while True:
        t += rng.expovariate(8.0)
        if t >= seconds:
            break
        k = rng.randrange(4)
        if k == 0:
            lines.append("%.4f trig %d" % (t, rng.randint(1, GATES)))
        elif k == 1:
            lines.append("%.4f gate %d %d" % (t, rng.randint(1, GATES), rng.randint(0, 1)))
        else:
            lines.append("%.4f cv %d %.3f" % (t, rng.randint(1, CVS), rng.uniform(-10, 10)))
    lines.append("end %.3f" % seconds)
    print("\n".join(lines))


def osc(port, seconds, seed):
    rng = random.Random(seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    counts = {"valid": 0, "refused": 0, "malformed": 0, "reload": 0, "setting": 0, "preset": 0}
    start = time.monotonic()
    next_reload, next_setting, next_preset = start + 1.5, start + 1.0, start + 3.0
    while True:
        now = time.monotonic()
        if now - start >= seconds:
            break
        if now >= next_reload:
            kind, pkt, next_reload = "reload", reload_model(), now + RELOAD_EVERY_S
        elif now >= next_setting:
            kind, pkt, next_setting = "setting", change_setting(rng), now + SETTINGS_EVERY_S
        elif now >= next_preset:
            kind, pkt, next_preset = "preset", save_preset(), now + PRESET_EVERY_S
        else:
            r = rng.random()
            kind = "valid" if r < 0.6 else "refused" if r < 0.8 else "malformed"
            pkt = {"valid": valid, "refused": refused, "malformed": malformed}[kind](rng)
        try:
            s.sendto(pkt, ("127.0.0.1", port))
            counts[kind] += 1
        except OSError:
            pass  # the instrument not (yet, or any more) listening
        time.sleep(rng.expovariate(RATE_HZ))
    print("osc: %d packets (%s)" % (sum(counts.values()), ", ".join("%s %d" % kv for kv in counts.items())))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "script":
        script(float(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "osc":
        osc(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
