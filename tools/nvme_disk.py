"""The NVMe disk of a Linux scenario ("#! nvme: SIZE [wr_off=N] [wr_len=N]",
docs/linux.md): the runner creates a raw image of seeded pseudo-random bytes
(tools/linux_direct.py's make_disk), gives it to QEMU as
-drive ...,if=none,id=nvm0 -device nvme,serial=snpv<seed>,drive=nvm0,
replaces @NVME_SEED@, @NVME_WR_OFF@ and @NVME_WR_LEN@ in the hv.cfg it puts
on the ESP (the guest's command line), and after QEMU exits judges the run:
the guest's "@@ NVME-SHA256" equals the image's hash and size, its write
check passed, the region it wrote holds the pattern in the image file and
every other byte is unchanged."""
import hashlib
import os
import random
import re

import linux_direct


def parse(path, v):
    words = v.split()
    if not words:
        raise ValueError(f"{path}: nvme: want 'SIZE [wr_off=N] [wr_len=N]'")
    m = re.fullmatch(r"(\d+)([KMG]?)", words[0].upper())
    if not m:
        raise ValueError(f"{path}: nvme: cannot read the size '{words[0]}'")
    size = int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]
    spec = {"size": size, "wr_off": 1 << 20, "wr_len": 64 << 10}
    for w in words[1:]:
        k, _, val = w.partition("=")
        if k not in ("wr_off", "wr_len") or not val:
            raise ValueError(f"{path}: nvme: unknown option '{w}'")
        spec[k] = int(val, 0)
    if spec["wr_off"] % 4096 or spec["wr_len"] % 4096 or spec["wr_len"] <= 0 or \
            spec["wr_off"] + spec["wr_len"] > size:
        raise ValueError(f"{path}: nvme: wr_off/wr_len must be multiples of 4096 inside the disk")
    return spec


def prepare(spec, workdir):
    """Creates the image; returns the state judge() needs (with the QEMU
    arguments in "args" and the hv.cfg substitutions in "subst")."""
    tag = "%08x" % random.SystemRandom().getrandbits(32)
    path = os.path.join(workdir, "nvme.img")
    sha = linux_direct.make_disk(path, spec["size"], int(tag, 16))
    st = dict(spec, tag=tag, path=path, sha=sha)
    st["args"] = ["-drive", f"file={path},format=raw,if=none,id=nvm0,cache=writeback",
                  "-device", f"nvme,serial=snpv{tag},drive=nvm0"]
    st["subst"] = {"@NVME_SEED@": tag, "@NVME_WR_OFF@": str(spec["wr_off"]),
                   "@NVME_WR_LEN@": str(spec["wr_len"])}
    return st


def _find(lines, prefix):
    for line in lines:
        i = line.find("@@ " + prefix)
        if i >= 0:
            return line[i + 3 + len(prefix):].strip()
    return None


def judge(st, lines):
    """Reads the image file (QEMU has exited); returns (reasons it failed,
    note with the figures)."""
    why = []
    with open(st["path"], "rb") as f:
        after = f.read()
    before = random.Random(int(st["tag"], 16)).randbytes(st["size"])
    got = (_find(lines, "NVME-SHA256") or "").split()
    if got != [st["sha"], str(st["size"])]:
        why.append(f"nvme: guest SHA-256 {' '.join(got) or 'missing'} != image "
                   f"{st['sha']} {st['size']}")
    wr = _find(lines, "NVME-WRITE")
    if not wr or not wr.startswith("PASS"):
        why.append(f"nvme: guest write check: {wr or 'no NVME-WRITE line'}")
    o, n = st["wr_off"], st["wr_len"]
    if after[o:o + n] != linux_direct.pattern(st["tag"], n):
        why.append(f"nvme: the image's {n} bytes at {o} do not hold the pattern "
                   f"(first bytes {after[o:o + 16]!r})")
    if len(after) != len(before) or after[:o] != before[:o] or after[o + n:] != before[o + n:]:
        why.append("nvme: bytes outside the written region changed in the image")
    note = ""
    rd = _find(lines, "NVME-READ-END")
    m = re.match(r"bytes=(\d+) cs=(\d+)", rd or "")
    if m and int(m.group(2)):
        note = (f"nvme read {int(m.group(1)) >> 20} MiB in {int(m.group(2)) / 100:.2f} s "
                f"guest time ({int(m.group(1)) / (int(m.group(2)) / 100) / 2**20:.0f} MiB/s)")
    return why, note
