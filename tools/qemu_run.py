#!/usr/bin/env python3
"""Boots hv.efi under QEMU/OVMF and reads the hypervisor's serial stream.

Used by `make run`, `make debug` and the QEMU scenario runner
(tests/qemu/scenarios.py). The ESP is a plain folder (QEMU's fat: driver):
EFI/BOOT/BOOTX64.EFI is hv.efi, and next to it hv.cfg and the guest images,
which the UEFI loader reads from the folder it was started from.

Exit status protocol (isa-debug-exit at 0xf4, qemu-facts.md): the hypervisor
writes v, QEMU exits with (v << 1) | 1. hv/platform.h lists the v values.
"""
import argparse
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OVMF_CODE_CANDIDATES = ["/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_CODE_4M.fd"]
OVMF_VARS_CANDIDATES = ["/usr/share/OVMF/OVMF_VARS.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"]

HV_STATUS = {0: "ok", 1: "a check failed", 2: "panic", 3: "bad configuration"}
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>c]")
RECORD_RE = re.compile(r"@@ (\w+)(?: (.*))?$")


def find_first(paths, what):
    for p in paths:
        if os.path.exists(p):
            return p
    raise SystemExit(f"qemu_run: {what} not found (tried {', '.join(paths)}); run: make deps")


def guest_images_in_cfg(cfg_text):
    return re.findall(r"^\s*image\s*=\s*\"?([^\"#\s]+)", cfg_text, re.M)


def prepare_esp(build, cfg_path, workdir):
    """Lays out the ESP folder; returns its path."""
    esp = os.path.join(workdir, "esp")
    boot = os.path.join(esp, "EFI", "BOOT")
    os.makedirs(boot, exist_ok=True)
    hv = os.path.join(build, "hv.efi")
    if not os.path.exists(hv):
        raise SystemExit(f"qemu_run: {hv} does not exist; run: make")
    shutil.copy(hv, os.path.join(boot, "BOOTX64.EFI"))
    with open(cfg_path) as f:
        cfg = f.read()
    # Scenario files carry runner directives in '#!' comment lines: fine in hv.cfg.
    with open(os.path.join(boot, "hv.cfg"), "w") as f:
        f.write(cfg)
    for img in guest_images_in_cfg(cfg):
        src = os.path.join(build, "guests", img)
        if not os.path.exists(src):
            src = os.path.join(os.path.dirname(os.path.abspath(cfg_path)), img)
        if os.path.exists(src):
            shutil.copy(src, os.path.join(boot, img))
        else:
            print(f"qemu_run: warning: image {img} named in {cfg_path} not found in "
                  f"{build}/guests or next to the config; the hypervisor will report it",
                  file=sys.stderr)
    return esp


def qemu_command(esp, vars_copy, mem=None, cpu=None, smp=None, extra="", debug=False,
                 devices=None):
    qemu = os.environ.get("QEMU", "qemu-system-x86_64")
    mem = mem or os.environ.get("MEM", "512M")
    cpu = cpu or os.environ.get("CPU", "EPYC")
    smp = smp or os.environ.get("SMP", "1")
    code = find_first(OVMF_CODE_CANDIDATES, "OVMF_CODE")
    cmd = [qemu, "-machine", "q35", "-accel", "tcg", "-cpu", cpu, "-m", mem, "-smp", str(smp),
           "-nographic", "-no-reboot", "-net", "none",
           "-drive", f"if=pflash,format=raw,readonly=on,file={code}",
           "-drive", f"if=pflash,format=raw,file={vars_copy}",
           "-drive", f"format=raw,file=fat:rw:{esp}",
           "-device", "amd-iommu",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    for d in (devices if devices is not None else ["edu,dma_mask=0xffffffffff"]):
        cmd += ["-device", d]
    if debug:
        cmd += ["-s", "-S"]
    extra = extra if extra is not None else ""
    extra = (extra + " " + os.environ.get("QEMU_EXTRA", "")).strip()
    if extra:
        cmd += extra.split()
    return cmd


class Result:
    def __init__(self):
        self.lines = []          # serial lines, escape sequences removed
        self.records = []        # (kind, text) of "@@" lines
        self.qemu_status = None  # QEMU's exit status (None if killed)
        self.timed_out = False
        self.elapsed = 0.0
        self.stderr = ""

    @property
    def hv_status(self):
        s = self.qemu_status
        if s is not None and s > 0 and s & 1:
            return s >> 1
        return None

    def describe_exit(self):
        if self.timed_out:
            return "timed out (QEMU killed)"
        hs = self.hv_status
        if hs is not None:
            return f"hypervisor exit {hs} ({HV_STATUS.get(hs, 'unknown')})"
        if self.qemu_status == 0:
            return "QEMU exited with status 0 without the hypervisor's exit (reset, triple fault or shutdown)"
        return f"QEMU failed with status {self.qemu_status}: {self.stderr.strip()[-300:]}"


def boot(build, cfg_path, timeout=120, echo=False, extra=None, mem=None, cpu=None, smp=None,
         devices=None, debug=False, on_line=None):
    """Boots once; returns a Result. echo=True copies the serial stream to stdout."""
    res = Result()
    with tempfile.TemporaryDirectory(prefix="snpv-") as work:
        esp = prepare_esp(build, cfg_path, work)
        vars_copy = os.path.join(work, "OVMF_VARS.fd")
        shutil.copy(find_first(OVMF_VARS_CANDIDATES, "OVMF_VARS"), vars_copy)
        cmd = qemu_command(esp, vars_copy, mem, cpu, smp, extra, debug, devices)
        if echo:
            print("qemu_run: " + " ".join(cmd), flush=True)
        t0 = time.time()
        try:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL if not debug else None,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 start_new_session=True)
        except FileNotFoundError:
            raise SystemExit(f"qemu_run: {cmd[0]} not found; run: make deps")
        buf = b""
        deadline = t0 + timeout if timeout else None
        streams = [p.stdout, p.stderr]
        err = b""
        while streams:
            wait = None if deadline is None else max(0.0, deadline - time.time())
            r, _, _ = select.select(streams, [], [], wait)
            if not r:
                res.timed_out = True
                os.killpg(p.pid, signal.SIGKILL)
                break
            for s in r:
                chunk = os.read(s.fileno(), 65536)
                if not chunk:
                    streams.remove(s)
                    continue
                if s is p.stderr:
                    err += chunk
                    continue
                buf += chunk
                while b"\n" in buf:
                    raw, buf = buf.split(b"\n", 1)
                    _line(res, raw, echo, on_line)
        if buf:
            _line(res, buf, echo, on_line)
        p.wait()
        res.qemu_status = None if res.timed_out else p.returncode
        res.elapsed = time.time() - t0
        res.stderr = err.decode(errors="replace")
    return res


def _line(res, raw, echo, on_line):
    text = ANSI_RE.sub("", raw.decode(errors="replace")).replace("\r", "")
    res.lines.append(text)
    if echo:
        print(text, flush=True)
    i = text.find("@@ ")
    if i >= 0:
        m = RECORD_RE.match(text[i:])
        if m:
            res.records.append((m.group(1), m.group(2) or ""))
    if on_line:
        on_line(text)


def main():
    ap = argparse.ArgumentParser(description="Boot hv.efi under QEMU with a config file")
    ap.add_argument("--build", default="build")
    ap.add_argument("--cfg", default="guest/demo.cfg")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--debug", action="store_true",
                    help="start QEMU halted with its gdb stub on :1234")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    if args.debug:
        gdbinit = os.path.join(build, "gdbinit")
        with open(gdbinit, "w") as f:
            f.write(GDB_SCRIPT.format(so=os.path.join(build, "hv.so")))
        print(f"qemu_run: QEMU waits for gdb on :1234. In another terminal:\n"
              f"  gdb -x {gdbinit}\n  (gdb) snpv-load 0x<image base printed by the hypervisor>\n",
              flush=True)
    res = boot(build, args.cfg, timeout=None if args.debug else args.timeout, echo=True,
               debug=args.debug)
    print_summary(res)
    hs = res.hv_status
    return hs if hs is not None else 100


GDB_SCRIPT = """\
# snpvisor: attach to QEMU's gdb stub and load hv.so at the image base the
# hypervisor prints ("image base 0x...").
set pagination off
target remote :1234
define snpv-load
  add-symbol-file {so} -o $arg0
end
document snpv-load
Load the hypervisor's symbols: snpv-load <image base>.
end
echo snpvisor: continue with 'c', then 'snpv-load <image base>' once it is printed\\n
"""


def print_summary(res):
    checks = [r for r in res.records if r[0] == "CHECK"]
    failed = [r for r in checks if r[1].startswith("FAIL")]
    guests = [r for r in res.records if r[0] == "GUEST"]
    print("=" * 72)
    print(f"snpvisor run: {res.describe_exit()} after {res.elapsed:.1f} s; "
          f"{len(checks) - len(failed)} checks passed, {len(failed)} failed")
    for g in guests:
        print(f"  guest {g[1]}")
    for f in failed:
        print(f"  FAILED {f[1][5:]}")
    panics = [r for r in res.records if r[0] == "PANIC"]
    for p in panics:
        print(f"  PANIC {p[1]}")


if __name__ == "__main__":
    sys.exit(main())
