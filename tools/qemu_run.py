#!/usr/bin/env python3
"""Boots the hypervisor under QEMU/OVMF and reads its serial stream.

Used by `make run`, `make debug` and the QEMU scenario runner
(tests/qemu/scenarios.py). The image booted is the test image hv-test.efi
(every scenario; --image hv.efi boots the image for hardware, which runs only
the guests of hv.cfg). The ESP is a plain folder (QEMU's fat: driver):
EFI/BOOT/BOOTX64.EFI is that image, and next to it hv.cfg and the guest
images, which the UEFI loader reads from the folder it was started from.

Exit status protocol (isa-debug-exit at 0xf4, qemu-facts.md): the hypervisor
writes v, QEMU exits with (v << 1) | 1. hv/arch/x86/platform.h lists the v values.

Memory dumps (docs/xcheck-dump.md): with dump_dir (--dump-dir, or DUMP_DIR in
the environment for `make run`), QEMU gets its HMP monitor on a unix socket
and the serial console on stdio with stdin as a pipe. When the hypervisor
([hv] dump = on, hv/vm/dump.c) prints "@@ ROOTS tag", roots lines and
"@@ DUMP tag", the runner writes the roots to DIR/tag.roots, sends `stop`,
`pmemsave 0 <RAM size> DIR/tag.mem` and `cont` over the monitor (each waits
for the monitor's prompt), then one character to the serial console so that
the hypervisor goes on.
"""
import argparse
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import nvme_disk

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OVMF_CODE_CANDIDATES = ["/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_CODE_4M.fd"]
OVMF_VARS_CANDIDATES = ["/usr/share/OVMF/OVMF_VARS.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"]

# The second test platform (tools/install-qemu11.sh, `make qemu11`): its wrapper
# script, relative to the build folder.
QEMU11_REL = os.path.join("qemu-11", "qemu-system-x86_64")

HV_STATUS = {0: "ok", 1: "a check failed", 2: "panic", 3: "bad configuration"}
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>c]")
RECORD_RE = re.compile(r"@@ (\w+)(?: (.*))?$")


def find_first(paths, what):
    for p in paths:
        if os.path.exists(p):
            return p
    raise SystemExit(f"qemu_run: {what} not found (tried {', '.join(paths)}); run: make deps")


_versions = {}


def qemu_version(qemu=None):
    """(major, minor, micro) of `qemu -version`, cached per binary; raises
    SystemExit when it does not run."""
    qemu = qemu or os.environ.get("QEMU", "qemu-system-x86_64")
    if qemu not in _versions:
        try:
            p = subprocess.run([qemu, "-version"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=60)
            out = p.stdout.decode(errors="replace")
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SystemExit(f"qemu_run: {qemu} -version failed: {e}; run: make deps")
        m = re.search(r"version (\d+)\.(\d+)(?:\.(\d+))?", out)
        if p.returncode != 0 or not m:
            raise SystemExit(f"qemu_run: cannot read the version of {qemu}: {out.strip()[:200]}")
        _versions[qemu] = tuple(int(x or 0) for x in m.groups())
    return _versions[qemu]


def qemu_machine(qemu=None):
    """What a QEMU needs to run the hypervisor, by version and location:
    {"qemu", "version", "iommu" (the -device value), "code", "vars"}.
    - amd-iommu translates DMA from QEMU 10.0 on only with dma-remap=on;
      without it every device bypasses the IOMMU (qemu-facts.md).
    - a QEMU with OVMF_CODE_4M.fd/OVMF_VARS_4M.fd beside it (the prefix of
      tools/install-qemu11.sh) boots that firmware, others the system's
      (OVMF_CODE/OVMF_VARS in the environment override both)."""
    qemu = qemu or os.environ.get("QEMU", "qemu-system-x86_64")
    ver = qemu_version(qemu)
    iommu = "amd-iommu" + (",dma-remap=on" if ver >= (10, 0) else "")
    path = shutil.which(qemu) or qemu
    here = os.path.dirname(os.path.abspath(path))
    code_c, vars_c = OVMF_CODE_CANDIDATES, OVMF_VARS_CANDIDATES
    if os.path.exists(os.path.join(here, "OVMF_CODE_4M.fd")):
        code_c = [os.path.join(here, "OVMF_CODE_4M.fd")]
        vars_c = [os.path.join(here, "OVMF_VARS_4M.fd")]
    code = os.environ.get("OVMF_CODE") or find_first(code_c, "OVMF_CODE")
    vars_ = os.environ.get("OVMF_VARS") or find_first(vars_c, "OVMF_VARS")
    return {"qemu": qemu, "version": ver, "iommu": iommu, "code": code, "vars": vars_}


def version_str(ver):
    return ".".join(str(x) for x in ver)


def guest_images_in_cfg(cfg_text):
    """ESP files a config names: image, kernel and initrd values."""
    return re.findall(r"^\s*(?:image|kernel|initrd)\s*=\s*\"?([^\"#\s]+)", cfg_text, re.M)


def esp_files_in_cfg(cfg_text):
    """'#! esp-file: NAME SRC [truncate=BYTES] [patch=OFF:HEX]' or '#! esp-file: NAME
    zeros=BYTES': a file made for the ESP (bad-input scenarios): SRC (a path under
    the build folder) cut to BYTES and/or with the bytes HEX written at offset
    OFF, or BYTES zero bytes."""
    out = []
    for m in re.finditer(r"^#!\s*esp-file\s*:\s*(.*?)\s*$", cfg_text, re.M):
        words = m.group(1).split()
        opts = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        srcs = [w for w in words[1:] if "=" not in w]
        out.append((words[0], srcs[0] if srcs else None, opts))
    return out


def find_esp_source(build, cfg_path, img):
    """build/guests/IMG, then next to the config, then build/linux/IMG (the
    Linux guest's vmlinuz and initramfs.cpio from make linux-assets)."""
    for d in (os.path.join(build, "guests"), os.path.dirname(os.path.abspath(cfg_path)),
              os.path.join(build, "linux")):
        src = os.path.join(d, img)
        if os.path.isfile(src):
            return src
    return None


TEST_IMAGE = "hv-test.efi"   # every scenario (hv/scenarios linked in)
IMAGES = (TEST_IMAGE, "hv.efi")  # hv.efi: the image for hardware, guests only


def prepare_esp(build, cfg_path, workdir, image=TEST_IMAGE, subst=None):
    """Lays out the ESP folder with build/<image> as BOOTX64.EFI; returns its path.
    subst: {token: value} replaced in the hv.cfg copy (tools/nvme_disk.py)."""
    esp = os.path.join(workdir, "esp")
    boot = os.path.join(esp, "EFI", "BOOT")
    os.makedirs(boot, exist_ok=True)
    if image not in IMAGES:
        raise SystemExit(f"qemu_run: unknown image {image} (one of {', '.join(IMAGES)})")
    hv = os.path.join(build, image)
    if not os.path.exists(hv):
        raise SystemExit(f"qemu_run: {hv} does not exist; run: make")
    shutil.copy(hv, os.path.join(boot, "BOOTX64.EFI"))
    with open(cfg_path) as f:
        cfg = f.read()
    # Scenario files carry runner directives in '#!' comment lines: fine in hv.cfg.
    for k, v in (subst or {}).items():
        cfg = cfg.replace(k, v)
    with open(os.path.join(boot, "hv.cfg"), "w") as f:
        f.write(cfg)
    made = set()
    for name, src, opts in esp_files_in_cfg(cfg):
        if "zeros" in opts:
            data = bytes(int(opts["zeros"], 0))
        else:
            with open(os.path.join(build, src), "rb") as f:
                data = f.read()
            if "truncate" in opts:
                data = data[:int(opts["truncate"], 0)]
            if "patch" in opts:
                off, hexb = opts["patch"].split(":", 1)
                off, pb = int(off, 0), bytes.fromhex(hexb)
                if off + len(pb) > len(data):
                    raise SystemExit(f"qemu_run: esp-file {name}: patch past the end of {src}")
                data = data[:off] + pb + data[off + len(pb):]
        with open(os.path.join(boot, name), "wb") as f:
            f.write(data)
        made.add(name)
    for img in guest_images_in_cfg(cfg):
        if img in made:
            continue
        src = find_esp_source(build, cfg_path, img)
        if src:
            shutil.copy(src, os.path.join(boot, img))
        else:
            print(f"qemu_run: warning: file {img} named in {cfg_path} not found in "
                  f"{build}/guests, next to the config or in {build}/linux (make "
                  f"linux-assets); the hypervisor will report it", file=sys.stderr)
    return esp


def mem_bytes(mem):
    """QEMU's -m value ("512M", "1G", "2048") in bytes."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)B?\s*", mem.upper())
    if not m:
        raise SystemExit(f"qemu_run: cannot read memory size {mem!r}")
    return int(m.group(1)) << {"": 20, "K": 10, "M": 20, "G": 30, "T": 40}[m.group(2)]


def qemu_command(esp, vars_copy, mem=None, cpu=None, smp=None, extra="", debug=False,
                 devices=None, monitor=None, machine=None):
    machine = machine or qemu_machine()
    qemu = machine["qemu"]
    mem = mem or os.environ.get("MEM", "512M")
    cpu = cpu or os.environ.get("CPU", "EPYC")
    smp = smp or os.environ.get("SMP", "1")
    code = machine["code"]
    cmd = [qemu, "-machine", "q35", "-accel", "tcg", "-cpu", cpu, "-m", mem, "-smp", str(smp),
           "-nographic", "-no-reboot", "-net", "none",
           "-drive", f"if=pflash,format=raw,readonly=on,file={code}",
           "-drive", f"if=pflash,format=raw,file={vars_copy}",
           "-drive", f"format=raw,file=fat:rw:{esp}",
           "-device", machine["iommu"],
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    for d in (devices if devices is not None else ["edu,dma_mask=0xffffffffff"]):
        cmd += ["-device", d]
    if monitor:
        # An explicit -monitor: -nographic then puts COM1 alone on stdio (no
        # mux, so no Ctrl-A escapes), and stdin (a pipe) feeds COM1's receiver.
        cmd += ["-serial", "stdio", "-monitor", f"unix:{monitor},server=on,wait=off"]
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
        self.nvme_why, self.nvme_note = [], ""  # tools/nvme_disk.py
        self.dumps = []          # one dict per "@@ DUMP" stop (see Dumper)
        self.qemu_version = None  # (major, minor, micro) of the QEMU that ran

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


class Monitor:
    """QEMU's human monitor (HMP) on a unix socket: one command at a time,
    each complete when the "(qemu) " prompt comes back."""
    PROMPT = b"(qemu) "

    def __init__(self, path, timeout=30):
        self.sock = None
        t_end = time.time() + timeout
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                self.sock = s
                break
            except OSError:
                s.close()
                if time.time() > t_end:
                    raise
                time.sleep(0.1)
        self._read_prompt(timeout)

    def _read_prompt(self, timeout):
        data = b""
        self.sock.settimeout(timeout)
        while not data.endswith(self.PROMPT):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("monitor closed")
            data += chunk
        return ANSI_RE.sub("", data[:-len(self.PROMPT)].decode(errors="replace")).replace("\r", "")

    def cmd(self, line, timeout=300):
        """Runs one command; returns what it printed (the echoed command removed)."""
        self.sock.sendall(line.encode() + b"\n")
        out = self._read_prompt(timeout)
        lines = [l for l in out.split("\n") if l.strip()]
        if lines and lines[0].strip().endswith(line):
            lines = lines[1:]
        return "\n".join(lines).strip()

    def close(self):
        if self.sock:
            self.sock.close()


def dump_file_name(tag):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", tag)


class Dumper:
    """Answers the hypervisor's "@@ DUMP tag" stops (hv/vm/dump.c).

    tags: the tags to save (None: all); others are answered at once.
    on_dump(tag, mem_path, roots_path): called while QEMU is stopped, after
    pmemsave (e.g. to run tools/xcheck-dump and delete the dump); returns a
    value stored in the dump's record as "result"."""

    def __init__(self, dump_dir, monitor_path, ram_bytes, tags=None, on_dump=None, echo=False):
        self.dir = dump_dir
        self.monitor_path = monitor_path
        self.ram = ram_bytes
        self.tags = tags
        self.on_dump = on_dump
        self.echo = echo
        self.mon = None
        self.roots = None   # lines since "@@ ROOTS", or None
        self.stdin = None   # QEMU's stdin pipe

    def line(self, text, res):
        """Returns the seconds spent (QEMU stopped) so the caller can extend its deadline."""
        i = text.find("@@ ")
        rec = RECORD_RE.match(text[i:]) if i >= 0 else None
        if rec and rec.group(1) == "ROOTS":
            self.roots = []
            return 0.0
        if rec and rec.group(1) == "DUMP":
            return self._dump((rec.group(2) or "").split()[0] if rec.group(2) else "", res)
        if self.roots is not None:
            self.roots.append(text)
        return 0.0

    def _say(self, msg):
        if self.echo:
            print("qemu_run: " + msg, flush=True)

    def _dump(self, tag, res):
        t0 = time.time()
        d = {"tag": tag, "roots": None, "mem": None, "bytes": 0, "seconds": 0.0, "error": "",
             "result": None}
        base = os.path.join(self.dir, dump_file_name(tag) or "untagged")
        d["roots"] = base + ".roots"
        with open(d["roots"], "w") as f:
            f.write("\n".join(self.roots or []) + "\n")
        self.roots = None
        if self.tags is None or tag in self.tags:
            stopped = False
            try:
                if self.mon is None:
                    self.mon = Monitor(self.monitor_path)
                out = self.mon.cmd("stop")
                stopped = True
                t1 = time.time()
                mem = base + ".mem"
                if os.path.exists(mem):
                    os.unlink(mem)
                # quoted: HMP reads "SIZE /path" as a division
                out += self.mon.cmd(f'pmemsave 0 {self.ram} "{mem}"')
                d["pmemsave_seconds"] = time.time() - t1
                if not os.path.exists(mem):
                    raise OSError(f"pmemsave wrote nothing: {out}")
                d["mem"] = mem
                d["bytes"] = os.path.getsize(mem)
                self._say(f"dump {tag}: {d['bytes'] >> 20} MiB in {d['pmemsave_seconds']:.2f} s "
                          f"-> {mem} (roots {d['roots']})")
                if self.on_dump:
                    d["result"] = self.on_dump(tag, mem, d["roots"])
            except (OSError, socket.timeout) as e:
                d["error"] = f"dump {tag} failed: {e}"
                self._say(d["error"])
            if stopped:
                try:
                    self.mon.cmd("cont")
                except (OSError, socket.timeout) as e:
                    d["error"] = (d["error"] + "; " if d["error"] else "") + f"cont failed: {e}"
        try:
            self.stdin.write(b"g")
            self.stdin.flush()
        except (OSError, ValueError) as e:
            d["error"] = (d["error"] + "; " if d["error"] else "") + f"cannot answer: {e}"
        d["seconds"] = time.time() - t0
        res.dumps.append(d)
        return d["seconds"]

    def close(self):
        if self.mon:
            self.mon.close()


def boot(build, cfg_path, timeout=120, echo=False, extra=None, mem=None, cpu=None, smp=None,
         devices=None, debug=False, on_line=None, dump_dir=None, dump_tags=None, on_dump=None,
         image=TEST_IMAGE, qemu=None, nvme=None):
    """Boots build/<image> once; returns a Result. echo=True copies the serial
    stream to stdout. qemu: the QEMU binary (default: $QEMU or
    qemu-system-x86_64); what its version needs is added (qemu_machine).

    dump_dir: answer the hypervisor's dump stops (class Dumper); the time they
    take (QEMU stopped) does not count against timeout.

    nvme: a "#! nvme:" spec (tools/nvme_disk.py): an NVMe disk image is made
    and judged after QEMU exits (res.nvme_why, res.nvme_note)."""
    res = Result()
    with tempfile.TemporaryDirectory(prefix="snpv-") as work:
        disk = nvme_disk.prepare(nvme, work) if nvme else None
        esp = prepare_esp(build, cfg_path, work, image, disk["subst"] if disk else None)
        if disk:
            extra = ((extra or "") + " " + " ".join(disk["args"])).strip()
        machine = qemu_machine(qemu)
        res.qemu_version = machine["version"]
        vars_copy = os.path.join(work, "OVMF_VARS.fd")
        shutil.copy(machine["vars"], vars_copy)
        dumper = None
        if dump_dir:
            os.makedirs(dump_dir, exist_ok=True)
            mon = os.path.join(work, "monitor.sock")
            dumper = Dumper(dump_dir, mon, mem_bytes(mem or os.environ.get("MEM", "512M")),
                            dump_tags, on_dump, echo)
        cmd = qemu_command(esp, vars_copy, mem, cpu, smp, extra, debug, devices,
                           monitor=dumper.monitor_path if dumper else None, machine=machine)
        if echo:
            print("qemu_run: " + " ".join(cmd), flush=True)
        t0 = time.time()
        if dumper:
            stdin = subprocess.PIPE
        else:
            stdin = subprocess.DEVNULL if not debug else None
        try:
            p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 start_new_session=True)
        except FileNotFoundError:
            raise SystemExit(f"qemu_run: {cmd[0]} not found; run: make deps")
        if dumper:
            dumper.stdin = p.stdin
            inner = on_line

            def on_line(text, _inner=inner):
                nonlocal deadline
                spent = dumper.line(text, res)
                if spent and deadline is not None:
                    deadline += spent
                if _inner:
                    _inner(text)
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
        if dumper:
            dumper.close()
            try:
                p.stdin.close()
            except OSError:
                pass
        res.qemu_status = None if res.timed_out else p.returncode
        res.elapsed = time.time() - t0
        res.stderr = err.decode(errors="replace")
        if disk:
            res.nvme_why, res.nvme_note = nvme_disk.judge(disk, res.lines)
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
    ap = argparse.ArgumentParser(description="Boot the hypervisor under QEMU with a config file")
    ap.add_argument("--build", default="build")
    ap.add_argument("--cfg", default="guest/demo.cfg")
    ap.add_argument("--image", default=TEST_IMAGE, choices=IMAGES,
                    help="the image in build/ to boot (default: the test image)")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--debug", action="store_true",
                    help="start QEMU halted with its gdb stub on :1234")
    ap.add_argument("--dump-dir", default=os.environ.get("DUMP_DIR") or None,
                    help="answer the hypervisor's memory-dump stops ([hv] dump = on): save "
                         "DIR/<tag>.mem and DIR/<tag>.roots for tools/xcheck-dump "
                         "(environment: DUMP_DIR)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    if args.debug:
        gdbinit = os.path.join(build, "gdbinit")
        with open(gdbinit, "w") as f:
            f.write(GDB_SCRIPT.format(so=os.path.join(build, args.image[:-4] + ".so")))
        print(f"qemu_run: QEMU waits for gdb on :1234. In another terminal:\n"
              f"  gdb -x {gdbinit}\n  (gdb) snpv-load 0x<image base printed by the hypervisor>\n",
              flush=True)
    # The cfg's runner directives (tests/qemu/scenarios.py) choose the machine
    # for make run too: e.g. guest/demo.cfg asks for two edu devices.
    sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
    import scenarios
    d = scenarios.parse_directives(args.cfg, qemu_version())
    res = boot(build, args.cfg, timeout=None if args.debug else args.timeout, echo=True,
               debug=args.debug, dump_dir=os.path.abspath(args.dump_dir) if args.dump_dir else None,
               extra=d["qemu"], mem=d["mem"], cpu=d["cpu"], smp=d["smp"], devices=d["devices"],
               image=args.image if args.image != TEST_IMAGE else d["image"], nvme=d["nvme"])
    print_summary(res)
    if d["nvme"]:
        print("nvme: " + ("; ".join(res.nvme_why) or "image checks passed")
              + (f"; {res.nvme_note}" if res.nvme_note else ""))
    hs = res.hv_status
    return hs if hs is not None else 100


GDB_SCRIPT = """\
# snpvisor: attach to QEMU's gdb stub and load the image's .so at the image base the
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
    for d in res.dumps:
        if d["mem"]:
            print(f"  dump {d['tag']}: {d['bytes'] >> 20} MiB in {d['pmemsave_seconds']:.2f} s: "
                  f"build/tools/xcheck-dump {d['mem']} {d['roots']}")
        else:
            print(f"  dump {d['tag']}: {d['error'] or 'not saved'} (roots {d['roots']})")


if __name__ == "__main__":
    sys.exit(main())
