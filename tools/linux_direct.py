#!/usr/bin/env python3
"""Boots the Linux guest kernel + initramfs DIRECTLY under QEMU (no snpvisor)
with a passed-through NVMe disk, and checks what /init reports
(tools/linux-init.sh, docs/linux.md):

  - the `uname -r` line equals the release of the bzImage's header
    (build/linux/vmlinuz.release);
  - the disk's SHA-256 printed by the guest equals the hash of the raw image,
    computed here before the boot (the image holds seeded pseudo-random bytes);
  - after QEMU exits, the region the guest wrote holds the pattern, and the
    rest of the image is unchanged.

Prints the time to /init (QEMU start -> `@@ LINUX-INIT`), the total time and
the NVMe read throughput, and with --json a machine-readable summary for
`make bench` (the baseline of Linux under snpvisor). Exit 0 when every check
held, 1 otherwise.
"""
import argparse
import hashlib
import json
import os
import random
import re
import selectors
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pattern(seed, length):
    """What /init writes: 16-byte blocks "SNPV" <8 hex> "-WR\\n", repeated."""
    block = b"SNPV%s-WR\n" % seed.encode()
    assert len(block) == 16
    return (block * (length // 16 + 1))[:length]


def make_disk(path, size, seed):
    rnd = random.Random(seed)
    data = rnd.randbytes(size)
    with open(path, "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


def run_qemu(cmd, timeout, log):
    """Runs QEMU, returns (exit code or None on timeout, [(t, line)]) with t the
    seconds since the start at which each console line arrived."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    lines, buf = [], b""
    rc = None
    while True:
        left = timeout - (time.monotonic() - t0)
        if left <= 0:
            p.kill()
            p.wait()
            break
        if not sel.select(min(left, 1.0)):
            if p.poll() is not None:
                rc = p.returncode
                break
            continue
        chunk = os.read(p.stdout.fileno(), 65536)
        now = time.monotonic() - t0
        if not chunk:
            rc = p.wait()
            break
        buf += chunk
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            line = raw.decode(errors="replace").replace("\r", "")
            lines.append((now, line))
            if log:
                log.write(line + "\n")
                log.flush()
    if buf:
        lines.append((time.monotonic() - t0, buf.decode(errors="replace")))
    return rc, lines, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--kernel", help="bzImage (default BUILD/linux/vmlinuz)")
    ap.add_argument("--initrd", help="initramfs (default BUILD/linux/initramfs.cpio)")
    ap.add_argument("--release", help="expected uname -r (default BUILD/linux/vmlinuz.release)")
    ap.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    ap.add_argument("--mem", default="512M")
    ap.add_argument("--cpu", default="EPYC")
    ap.add_argument("--disk-mib", type=int, default=32)
    ap.add_argument("--seed", type=lambda s: int(s, 0), default=None,
                    help="disk content and pattern seed (default: random)")
    ap.add_argument("--wr-off", type=int, default=MiB(3) + 4096 * 5)
    ap.add_argument("--wr-len", type=int, default=64 * 1024)
    ap.add_argument("--append-extra", default="",
                    help="more kernel arguments (make bench: the ones linux-boot.cfg passes)")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--log", help="write the console here")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo the console")
    a = ap.parse_args()

    lin = os.path.join(a.build, "linux")
    kernel = a.kernel or os.path.join(lin, "vmlinuz")
    initrd = a.initrd or os.path.join(lin, "initramfs.cpio")
    for f in (kernel, initrd):
        if not os.path.isfile(f):
            sys.exit(f"linux_direct: {f} is missing: run 'make linux-assets' "
                     f"(or sh tools/fetch-linux.sh {lin})")
    release = a.release
    if release is None:
        rf = os.path.join(lin, "vmlinuz.release")
        if not a.kernel and os.path.isfile(rf):
            release = open(rf).read().strip()
    size = a.disk_mib * MiB(1)
    if a.wr_off % 4096 or a.wr_len % 4096 or a.wr_len <= 0 or a.wr_off + a.wr_len > size:
        sys.exit("linux_direct: --wr-off/--wr-len must be multiples of 4096 inside the disk")
    seed = a.seed if a.seed is not None else random.SystemRandom().getrandbits(32)
    tag = "%08x" % (seed & 0xFFFFFFFF)

    failures = []

    def check(ok, name, detail):
        print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail else ""), flush=True)
        if not ok:
            failures.append(name)

    with tempfile.TemporaryDirectory(prefix="snpv-linux-") as tmp:
        disk = os.path.join(tmp, "nvme.img")
        want = make_disk(disk, size, seed)
        before = open(disk, "rb").read()
        append = ("console=ttyS0 panic=-1 loglevel=4 rdinit=/init "
                  f"snpv.seed={tag} snpv.wr_off={a.wr_off} snpv.wr_len={a.wr_len}")
        if a.append_extra:
            append += " " + a.append_extra
        cmd = [a.qemu, "-machine", "q35", "-accel", "tcg", "-cpu", a.cpu, "-m", a.mem,
               "-smp", "1", "-nographic", "-no-reboot", "-net", "none",
               "-kernel", kernel, "-initrd", initrd, "-append", append,
               "-drive", f"file={disk},format=raw,if=none,id=nvm0,cache=writeback",
               "-device", f"nvme,serial=snpv{tag},drive=nvm0"]
        print("linux_direct: " + " ".join(cmd), flush=True)
        log = open(a.log, "w") if a.log else (sys.stdout if a.verbose else None)
        rc, lines, total = run_qemu(cmd, a.timeout, log)
        after = open(disk, "rb").read()

    def find(prefix):
        for t, line in lines:
            i = line.find("@@ " + prefix)
            if i >= 0:
                return t, line[i + 3 + len(prefix):].strip()
        return None, None

    tail = " | ".join(l for _, l in lines[-8:])
    check(rc is not None, "qemu-exit", f"rc={rc}" if rc is not None else
          f"still running after {a.timeout:.0f} s; last lines: {tail}")
    t_init, init = find("LINUX-INIT")
    check(t_init is not None, "init", f"{t_init:.2f} s after start" if t_init else
          f"no '@@ LINUX-INIT' line; last lines: {tail}")
    _, uname = find("LINUX-UNAME")
    if release:
        check(uname == release, "uname", f"guest '{uname}', bzImage header '{release}'")
    else:
        check(bool(uname), "uname", f"guest '{uname}' (no expected release given)")
    _, sha = find("NVME-SHA256")
    got = sha.split() if sha else []
    check(len(got) == 2 and got[0] == want and got[1] == str(size), "nvme-sha256",
          f"guest {' '.join(got) or 'printed nothing'}, image {want} {size}")
    _, wr = find("NVME-WRITE")
    check(bool(wr) and wr.startswith("PASS"), "nvme-write-guest", wr or "no NVME-WRITE line")
    region = after[a.wr_off:a.wr_off + a.wr_len]
    check(region == pattern(tag, a.wr_len), "nvme-write-image",
          f"{a.wr_len} bytes at {a.wr_off} in the image file "
          + ("hold the pattern" if region == pattern(tag, a.wr_len) else
             f"do not hold the pattern (first bytes {region[:16]!r})"))
    rest_same = (len(after) == len(before) and after[:a.wr_off] == before[:a.wr_off]
                 and after[a.wr_off + a.wr_len:] == before[a.wr_off + a.wr_len:])
    check(rest_same, "nvme-rest-unchanged", "the rest of the image is unchanged" if rest_same
          else "bytes outside the written region changed")
    _, done = find("LINUX-DONE")
    check(done is not None, "done", "" if done is not None else "no '@@ LINUX-DONE'")

    t_rs, _ = find("NVME-READ-START")
    t_re, rend = find("NVME-READ-END")
    figures = {"kernel": kernel, "release": uname, "seed": tag, "disk_bytes": size,
               "time_to_init_s": t_init, "total_s": total}
    m = re.search(r"uptime_cs=(\d+)", init or "")
    if m:  # the kernel's own clock at /init (from its start, firmware excluded)
        figures["guest_uptime_at_init_s"] = int(m.group(1)) / 100
    if rend:
        m = re.search(r"bytes=(\d+) cs=(\d+)", rend)
        if m:
            figures["read_bytes"] = int(m.group(1))
        if m and int(m.group(2)) > 0:
            figures["read_mib_s_guest"] = int(m.group(1)) / MiB(1) / (int(m.group(2)) / 100)
        if m and t_rs is not None and t_re > t_rs:
            figures["read_mib_s_host"] = int(m.group(1)) / MiB(1) / (t_re - t_rs)
    print("linux_direct: time to /init %s s (guest uptime %s s), total %.2f s, NVMe read %s MiB/s (guest clock) "
          "%s MiB/s (host clock, incl. console latency)" % (
              "%.2f" % t_init if t_init else "-",
              "%.2f" % figures["guest_uptime_at_init_s"] if "guest_uptime_at_init_s" in figures
              else "-", total,
              "%.1f" % figures["read_mib_s_guest"] if "read_mib_s_guest" in figures else "-",
              "%.1f" % figures["read_mib_s_host"] if "read_mib_s_host" in figures else "-"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(figures, f, indent=1)
    if failures:
        print("linux_direct: FAILED: " + ", ".join(failures))
        return 1
    print("linux_direct: all checks passed")
    return 0


def MiB(n):
    return n << 20


if __name__ == "__main__":
    sys.exit(main())
