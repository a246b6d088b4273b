#!/usr/bin/env python3
"""Writes the Linux guest's initramfs: an uncompressed "newc" cpio archive
(Linux Documentation/driver-api/early-userspace/buffer-format.rst: header
magic "070701", 13 eight-digit hex fields, name and data each padded to a
multiple of 4 bytes, ended by the entry "TRAILER!!!").

Contents: /bin/busybox (static), /bin/sh -> busybox, /init (the script),
/dev/console and /dev/null (so the kernel can open the console before devtmpfs
is mounted), empty /proc /sys /dev /tmp /mnt.

Deterministic: fixed mtimes, owners and inode numbers, so the same inputs give
the same bytes.
"""
import argparse
import os
import stat
import sys

MAGIC = b"070701"


class Cpio:
    def __init__(self):
        self.out = bytearray()
        self.ino = 1

    @staticmethod
    def _pad4(b):
        return b + b"\0" * (-len(b) % 4)

    def add(self, name, mode, data=b"", rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        fields = [
            self.ino,  # c_ino
            mode,  # c_mode
            0, 0,  # c_uid, c_gid
            2 if stat.S_ISDIR(mode) else 1,  # c_nlink
            0,  # c_mtime
            len(data),  # c_filesize
            0, 0,  # c_devmajor, c_devminor
            rdev[0], rdev[1],  # c_rdevmajor, c_rdevminor
            len(name_b),  # c_namesize
            0,  # c_check
        ]
        self.ino += 1
        hdr = MAGIC + b"".join(b"%08X" % f for f in fields)
        self.out += self._pad4(hdr + name_b)
        self.out += self._pad4(data)

    def trailer(self):
        self.ino = 0
        self.add("TRAILER!!!", 0)
        return bytes(self.out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--busybox", required=True)
    ap.add_argument("--init", required=True)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    busybox = open(a.busybox, "rb").read()
    if busybox[:4] != b"\x7fELF":
        sys.exit(f"{a.busybox} is not an ELF program")
    init = open(a.init, "rb").read()
    if not init.startswith(b"#!"):
        sys.exit(f"{a.init} does not start with #!")
    c = Cpio()
    for d in ("bin", "sbin", "dev", "proc", "sys", "tmp", "mnt", "usr", "usr/bin", "usr/sbin"):
        c.add(d, stat.S_IFDIR | 0o755)
    c.add("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    c.add("dev/null", stat.S_IFCHR | 0o666, rdev=(1, 3))
    c.add("bin/busybox", stat.S_IFREG | 0o755, busybox)
    c.add("bin/sh", stat.S_IFLNK | 0o777, b"busybox")
    c.add("init", stat.S_IFREG | 0o755, init)
    with open(a.output, "wb") as f:
        f.write(c.trailer())
    return 0


if __name__ == "__main__":
    sys.exit(main())
