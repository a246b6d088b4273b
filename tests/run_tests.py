#!/usr/bin/env python3
"""snpvisor test driver: host unit tests (cmocka, TAP output) and QEMU scenarios.

Prints one line per test and ends with the line `N passed, N failed` (plus
`, N skipped` when some were skipped). Exits 1 if anything failed.
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))

# cmocka TAP: "ok N - name", "not ok N - name", and for a skipped test
# "not ok N # SKIP name" (no " - ").
TAP_RE = re.compile(r"^(ok|not ok) (\d+)(?: - (.*?))?(\s*#\s*(SKIP|skip)\s*(.*))?$")


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []

    def add(self, status, name, why=""):
        if status == "PASS":
            self.passed += 1
        elif status == "SKIP":
            self.skipped += 1
        else:
            self.failed += 1
            self.failures.append((name, why))
        line = f"{status} {name}"
        if why:
            line += f": {why}"
        print(line, flush=True)

    def summary(self):
        s = f"{self.passed} passed, {self.failed} failed"
        if self.skipped:
            s += f", {self.skipped} skipped"
        return s


def run_unit(build, tally, pattern):
    unit_dir = os.path.join(build, "tests", "unit")
    if not os.path.isdir(unit_dir):
        tally.add("FAIL", "unit", f"no unit test binaries in {unit_dir}: run make host")
        return
    bins = sorted(f for f in os.listdir(unit_dir) if f.startswith("test_") and not f.endswith(".o")
                  and os.access(os.path.join(unit_dir, f), os.X_OK))
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    env.setdefault("SNPV_ROOT", ROOT)
    for b in bins:
        suite = b[len("test_"):]
        if pattern and not re.search(pattern, "unit/" + suite):
            continue
        path = os.path.join(unit_dir, b)
        t0 = time.time()
        try:
            p = subprocess.run([path], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=600)
            out = p.stdout.decode(errors="replace")
            rc = p.returncode
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode(errors="replace")
            rc = None
        seen = 0
        last_lines = []
        for line in out.splitlines():
            m = TAP_RE.match(line.strip())
            if m:
                seen += 1
                name = f"unit/{suite}/{m.group(3) or m.group(6) or m.group(2)}"
                if m.group(5):
                    tally.add("SKIP", name)
                elif m.group(1) == "ok":
                    tally.add("PASS", name)
                else:
                    detail = " | ".join(l.strip() for l in last_lines[-4:] if l.strip())
                    tally.add("FAIL", name, detail or "assertion failed")
                last_lines = []
            else:
                last_lines.append(line)
        tail = " | ".join(l.strip() for l in out.splitlines()[-6:] if l.strip())
        if rc is None:
            tally.add("FAIL", f"unit/{suite}", f"timed out after 600 s; last output: {tail}")
        elif seen == 0:
            tally.add("FAIL", f"unit/{suite}", f"ran no test (exit {rc}); output: {tail}")
        elif rc != 0 and rc != 1 or (rc == 1 and "not ok" not in out):
            # cmocka exits with the number of failures; anything else is a crash
            tally.add("FAIL", f"unit/{suite}", f"exited with status {rc} (crash or sanitizer report): {tail}")
        if os.environ.get("SNPV_VERBOSE"):
            print(out)
        dt = time.time() - t0
        if dt > 30:
            print(f"  note: unit/{suite} took {dt:.0f} s", flush=True)


def run_host_scripts(build, tally, pattern):
    """tests/host/*.sh: one test each, passes when it exits 0."""
    d = os.path.join(ROOT, "tests", "host")
    if not os.path.isdir(d):
        return
    env = dict(os.environ, SNPV_BUILD=build, SNPV_ROOT=ROOT)
    for f in sorted(os.listdir(d)):
        if not f.endswith(".sh"):
            continue
        name = "host/" + f[:-3]
        if pattern and not re.search(pattern, name):
            continue
        try:
            p = subprocess.run(["sh", os.path.join(d, f)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
            out, rc = p.stdout.decode(errors="replace"), p.returncode
        except subprocess.TimeoutExpired:
            out, rc = "timed out after 600 s", None
        if rc == 0:
            tally.add("PASS", name)
        else:
            tail = " | ".join(l.strip() for l in out.splitlines()[-6:] if l.strip())
            tally.add("FAIL", name, f"exit {rc}: {tail}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--unit-only", action="store_true")
    ap.add_argument("--qemu-only", action="store_true")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("-k", "--pattern", default=os.environ.get("T", ""),
                    help="run only tests whose name matches this regular expression")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    tally = Tally()
    t0 = time.time()
    if args.bench:
        import scenarios
        scenarios.run_bench(build)
        return 0
    if not args.qemu_only:
        run_unit(build, tally, args.pattern)
        run_host_scripts(build, tally, args.pattern)
    if not args.unit_only:
        import scenarios
        scenarios.run_all(build, tally, args.pattern)
    print(f"(took {time.time() - t0:.0f} s)")
    if tally.failures:
        print("failures:")
        for name, why in tally.failures:
            print(f"  {name}: {why}")
    print(tally.summary())
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
