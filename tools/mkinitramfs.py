#!/usr/bin/env python3
"""Writes the Linux guest's initramfs: an uncompressed "newc" cpio archive
(Linux Documentation/driver-api/early-userspace/buffer-format.rst: header
magic "070701", 13 eight-digit hex fields, name and data each padded to a
multiple of 4 bytes, ended by the entry "TRAILER!!!").

Contents: /bin/busybox (static), /bin/sh -> busybox, /init (the script),
/dev/console and /dev/null (so the kernel can open the console before devtmpfs
is mounted), empty /proc /sys /dev /tmp /mnt.

--modules DIR NAME...: kernel modules from DIR (the kernel package's
lib/modules/<release>, .ko or .ko.xz), decompressed (busybox insmod takes a
plain .ko) into /lib/modules/NAME.ko with every module they depend on (the
"depends=" of their .modinfo; the package has no modules.dep, depmod writes
it at install), and /lib/modules/order: one name a line, dependencies first
(the order /init loads them in, docs/linux.md "Attestation from Linux").

Deterministic: fixed mtimes, owners and inode numbers, so the same inputs give
the same bytes.
"""
import argparse
import lzma
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


def module_files(root):
    """Module name (as the kernel spells it: '-' -> '_') -> path under root."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            for ext in (".ko.xz", ".ko"):
                if f.endswith(ext):
                    out[f[:-len(ext)].replace("-", "_")] = os.path.join(d, f)
    return out


def module_bytes(path):
    data = open(path, "rb").read()
    if path.endswith(".xz"):
        data = lzma.decompress(data)
    if data[:4] != b"\x7fELF":
        sys.exit(f"{path} is not an ELF module")
    return data


def modinfo_depends(data):
    """The "depends=" string of a module's .modinfo (NUL-separated key=value
    strings): names of the modules it needs, comma-separated, maybe empty."""
    at = data.find(b"\0depends=")
    if at < 0:
        return []
    v = data[at + 9:data.index(b"\0", at + 9)].decode()
    return [n.replace("-", "_") for n in v.split(",") if n]


def modules_closure(root, names):
    """[(name, bytes)] for names and their dependencies, dependencies first."""
    files = module_files(root)
    order, seen, stack = [], {}, []

    def visit(n):
        n = n.replace("-", "_")
        if seen.get(n) == "done":
            return
        if seen.get(n) == "open":
            sys.exit(f"module dependency cycle: {' -> '.join(stack + [n])}")
        if n not in files:
            sys.exit(f"module {n} not found under {root}")
        seen[n] = "open"
        stack.append(n)
        data = module_bytes(files[n])
        for dep in modinfo_depends(data):
            visit(dep)
        stack.pop()
        seen[n] = "done"
        order.append((n, data))

    for n in names:
        visit(n)
    return order


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--busybox", required=True)
    ap.add_argument("--init", required=True)
    ap.add_argument("--modules", nargs="+", metavar=("DIR", "NAME"),
                    help="module tree, then the modules to include (with their dependencies)")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    mods = modules_closure(a.modules[0], a.modules[1:]) if a.modules else []
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
    if mods:
        c.add("lib", stat.S_IFDIR | 0o755)
        c.add("lib/modules", stat.S_IFDIR | 0o755)
        for n, data in mods:
            c.add(f"lib/modules/{n}.ko", stat.S_IFREG | 0o644, data)
        c.add("lib/modules/order", stat.S_IFREG | 0o644,
              "".join(n + "\n" for n, _ in mods).encode())
    with open(a.output, "wb") as f:
        f.write(c.trailer())
    return 0


if __name__ == "__main__":
    sys.exit(main())
