#!/usr/bin/env python3
"""mkcpio.py OUT BUSYBOX INIT: a newc ("070701") initramfs, written without
root: /dev/console is a device node in the archive, not on disk. The
kernel opens it for init's stdin/stdout before anything is mounted."""
import sys

def entry(name, mode, data=b"", rdev=(0, 0), ino=[1]):
    ino[0] += 1
    fields = [ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = hdr + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out

def main(out, busybox, init):
    arc = b""
    for d in ("bin", "dev", "proc", "sys", "tmp"):
        arc += entry(d, 0o40755)
    arc += entry("dev/console", 0o20600, rdev=(5, 1))
    arc += entry("bin/busybox", 0o100755, open(busybox, "rb").read())
    arc += entry("init", 0o100755, open(init, "rb").read())
    arc += entry("TRAILER!!!", 0)
    arc += b"\0" * (-len(arc) % 512)
    open(out, "wb").write(arc)

main(*sys.argv[1:])
