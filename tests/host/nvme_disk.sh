#!/bin/sh
# The runner's NVMe judge (tools/nvme_disk.py, docs/linux.md "The passed-through
# NVMe disk"), without QEMU: an image is made, a guest's result lines and the
# image file are faked, and the judge must accept the honest run and reject a
# wrong hash, a failed write check, a missing pattern and a changed byte
# outside the written region; bad directives are refused.
set -eu
python3 - <<'PY'
import os, sys, tempfile
sys.path.insert(0, "tools")
import linux_direct, nvme_disk

spec = nvme_disk.parse("t.cfg", "1M wr_off=0x10000 wr_len=0x2000")
for bad in ("", "1Q", "1M wr_off=3", "1M wr_len=0x200000", "1M foo=1"):
    try:
        nvme_disk.parse("t.cfg", bad)
        sys.exit(f"FAIL: nvme: '{bad}' accepted")
    except ValueError:
        pass

def run(case):
    with tempfile.TemporaryDirectory() as w:
        st = nvme_disk.prepare(spec, w)
        assert st["subst"]["@NVME_SEED@"] == st["tag"] and "-device" in st["args"]
        with open(st["path"], "r+b") as f:
            if case != "no-pattern":
                f.seek(spec["wr_off"])
                f.write(linux_direct.pattern(st["tag"], spec["wr_len"]))
            if case == "outside":
                f.seek(5)
                f.write(b"\x00\x01")
        sha = st["sha"] if case != "sha" else "0" * 64
        wr = "PASS" if case != "write" else "FAIL off=65536 len=8192 read back differs"
        lines = [f"[linux] [ 1.0] @@ NVME-READ-END bytes=4194304 cs=10",
                 f"[linux] [ 1.1] @@ NVME-SHA256 {sha} {spec['size']}",
                 f"[linux] [ 1.2] @@ NVME-WRITE {wr}"]
        return nvme_disk.judge(st, lines)

why, note = run("good")
if why or "MiB/s" not in note:
    sys.exit(f"FAIL: an honest run was rejected: {why} {note}")
for case, word in (("sha", "SHA-256"), ("write", "write check"), ("no-pattern", "pattern"),
                   ("outside", "outside")):
    why, _ = run(case)
    if not any(word in w for w in why):
        sys.exit(f"FAIL: case {case}: expected a reason naming '{word}', got {why}")
print("PASS nvme_disk: honest run accepted; wrong hash, failed write, missing pattern, "
      "changed byte and bad directives rejected")
PY
