#!/usr/bin/env python3
"""make fuzz-long: a libFuzzer campaign over the fuzz targets (docs/fuzzing.md).

Each target runs for --runs executions or --time seconds, whichever comes
first, --jobs targets at a time. Corpora are kept between campaigns in
BUILD/fuzz-corpus/<target> (seeds from tests/fuzz/seeds/<target> and, for
IVRS, the shared tables are read but never written). Per target the log goes
to BUILD/fuzz-campaign/<target>.log, failing inputs to
BUILD/fuzz-campaign/artifacts/<target>/. The figures (executions, exec/s,
cov:/ft: from libFuzzer's last status line, corpus size, crashes,
invariant violations = crashes whose report is one of the targets' own
checks) go to BUILD/fuzz-campaign/summary.json and summary.md.
Exit status 1 when any target found a failing input.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

STATUS = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)")
STAT = re.compile(r"^stat::(\w+):\s+(\d+)")
# the targets' own checks (die() in tests/fuzz/*.c): invariant violations
OWN_CHECK = re.compile(r"^fuzz_\w+: ")


def target_args(root, build, name, runs, secs, art):
    corpus = os.path.join(build, "fuzz-corpus", name)
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(art, exist_ok=True)
    args = [os.path.join(build, "fuzz", name), f"-runs={runs}", f"-max_total_time={secs}",
            "-print_final_stats=1", f"-artifact_prefix={art}/", "-close_fd_mask=1", corpus]
    seeds = os.path.join(root, "tests", "fuzz", "seeds", name)
    if os.path.isdir(seeds):
        args.append(seeds)
    if name == "fuzz_ivrs":
        shared = os.path.join(root, "..", "shared", "testdata", "ivrs")
        args.append(shared if os.path.isdir(shared) else os.path.join(root, "tests", "data", "ivrs"))
    return args


def parse(log, art):
    r = {"executions": 0, "exec_per_s": 0, "cov": 0, "ft": 0, "corpus": 0, "crashes": 0,
         "violations": 0, "reports": []}
    with open(log, errors="replace") as f:
        for line in f:
            m = STATUS.match(line)
            if m:
                r["cov"], r["ft"], r["corpus"] = int(m[2]), int(m[3]), int(m[4])
            m = STAT.match(line)
            if m and m[1] == "number_of_executed_units":
                r["executions"] = int(m[2])
            elif m and m[1] == "average_exec_per_sec":
                r["exec_per_s"] = int(m[2])
            if OWN_CHECK.match(line):
                r["violations"] += 1
                r["reports"].append(line.strip())
            elif line.startswith("SUMMARY:"):
                r["reports"].append(line.strip())
    found = [f for f in os.listdir(art) if f.split("-")[0] in ("crash", "leak", "timeout", "oom")]
    r["crashes"] = len(found)
    r["artifacts"] = sorted(found)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=10_000_000)
    ap.add_argument("--time", type=int, default=3600)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", help="logs and summary (default BUILD/fuzz-campaign); give each "
                    "campaign that runs at the same time its own")
    ap.add_argument("targets", nargs="+", help="names (gmem) or fuzz_gmem")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = a.out or os.path.join(a.build, "fuzz-campaign")
    os.makedirs(out, exist_ok=True)
    names = [t if t.startswith("fuzz_") else "fuzz_" + t for t in a.targets]
    pending, running, results = list(names), {}, {}
    start = time.time()
    while pending or running:
        while pending and len(running) < a.jobs:
            n = pending.pop(0)
            art = os.path.join(out, "artifacts", n)
            log = open(os.path.join(out, n + ".log"), "w")
            p = subprocess.Popen(target_args(root, a.build, n, a.runs, a.time, art),
                                 stdout=log, stderr=subprocess.STDOUT)
            running[n] = (p, log, art, time.time())
            print(f"fuzz-long: {n} started (runs {a.runs}, at most {a.time}s)", flush=True)
        for n, (p, log, art, t0) in list(running.items()):
            if p.poll() is None:
                continue
            log.close()
            r = parse(os.path.join(out, n + ".log"), art)
            r["seconds"] = round(time.time() - t0)
            r["exit"] = p.returncode
            results[n] = r
            del running[n]
            print(f"fuzz-long: {n}: {r['executions']} executions in {r['seconds']}s "
                  f"({r['exec_per_s']}/s), cov {r['cov']} ft {r['ft']}, corpus {r['corpus']}, "
                  f"crashes {r['crashes']}, violations {r['violations']}", flush=True)
        time.sleep(1)
    summary = {"runs_goal": a.runs, "time_limit_s": a.time, "jobs": a.jobs,
               "wall_s": round(time.time() - start), "targets": results}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("| target | executions | seconds | exec/s | cov | ft | corpus | crashes | "
                "violations |\n|---|---|---|---|---|---|---|---|---|\n")
        for n in names:
            r = results[n]
            f.write(f"| {n} | {r['executions']} | {r['seconds']} | {r['exec_per_s']} | "
                    f"{r['cov']} | {r['ft']} | {r['corpus']} | {r['crashes']} | "
                    f"{r['violations']} |\n")
    print(f"fuzz-long: summary in {out}/summary.md", flush=True)
    return 1 if any(r["crashes"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
