#!/usr/bin/env python3
"""A fuzz target's throughput in CPU time on a fixed corpus (docs/fuzzing.md,
Throughput): wall-clock exec/s varies with the load of a shared machine, the
CPU seconds of the same executions do not (much).

  tools/fuzz-cpu.py BIN DIR... [--repeat R]   file mode: libFuzzer runs every
      file of the DIRs R times (no feature collection: the target's own cost)
  tools/fuzz-cpu.py BIN DIR... --replay       every input once with -runs=0,
      as a campaign's first pass (libFuzzer's feature collection included)
  tools/fuzz-cpu.py --random N MAXLEN SEED OUTDIR
      writes N files of random bytes (lengths uniform in [1, MAXLEN]) from a
      fixed seed: the same corpus on every machine

Prints the inputs, executions, user+sys CPU seconds and executions per CPU
second; exit status 1 if the target failed on an input.
"""
import argparse
import os
import random
import resource
import subprocess
import sys


def make_random(n, maxlen, seed, out):
    os.makedirs(out, exist_ok=True)
    r = random.Random(seed)
    for i in range(n):
        data = bytes(r.getrandbits(8) for _ in range(r.randint(1, maxlen)))
        with open(os.path.join(out, "r%05d" % i), "wb") as f:
            f.write(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--random", nargs=4, metavar=("N", "MAXLEN", "SEED", "OUTDIR"))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--replay", action="store_true")
    ap.add_argument("args", nargs="*", help="BIN DIR...")
    a = ap.parse_args()
    if a.random:
        make_random(int(a.random[0]), int(a.random[1]), int(a.random[2]), a.random[3])
        return 0
    if len(a.args) < 2:
        ap.error("BIN and at least one corpus directory")
    binary, dirs = a.args[0], a.args[1:]
    files = sorted(os.path.join(root, f) for d in dirs for root, _, fs in os.walk(d) for f in fs)
    art = os.path.join(os.environ.get("TMPDIR", "/tmp"), "fuzz-cpu-artifacts")
    os.makedirs(art, exist_ok=True)
    common = [f"-artifact_prefix={art}/", "-report_slow_units=1000000"]
    if a.replay:
        cmd, execs = [binary, "-runs=0"] + common + dirs, len(files)
    else:
        cmd, execs = [binary, f"-runs={a.repeat}"] + common + files, len(files) * a.repeat
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, errors="replace")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print("%s: %d inputs, %d executions (%s), %.2f CPU s -> %.0f executions per CPU second" %
          (os.path.basename(binary), len(files), execs,
           "replay" if a.replay else "file mode x%d" % a.repeat, cpu, execs / cpu if cpu else 0))
    if p.returncode:
        sys.stderr.write(p.stderr[-2000:])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
