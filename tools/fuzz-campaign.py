#!/usr/bin/env python3
"""make fuzz-long: a libFuzzer campaign over the fuzz targets (docs/fuzzing.md).

Each target runs for --runs executions or --time seconds, whichever comes
first, in --fuzzers libFuzzer processes (default 1) that share its corpus
directory, which libFuzzer rereads, and split the executions between them;
--jobs processes at a time. Corpora are kept between campaigns in
BUILD/fuzz-corpus/<target> (seeds from tests/fuzz/seeds/<target> and, for
IVRS, the shared tables are read but never written). Per target the log goes
to BUILD/fuzz-campaign/<target>.log (<target>.<i>.log for fuzzer i of
several), failing inputs to BUILD/fuzz-campaign/artifacts/<target>/. The
figures (executions, exec/s, cov:/ft: from libFuzzer's last status line,
corpus size, crashes, invariant violations = crashes whose report is one of
the targets' own checks) go to BUILD/fuzz-campaign/summary.json and
summary.md, per target (executions, exec/s and violations summed over its
fuzzers; cov, ft and corpus the largest of them) and per fuzzer.
Exit status 1 when any target found a failing input or a fuzzer did not end
normally (killed, or it stopped with an error before its runs).
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
WRITTEN = re.compile(r"Test unit written to (\S+)")


def target_args(root, build, name, runs, secs, art, extra):
    corpus = os.path.join(build, "fuzz-corpus", name)
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(art, exist_ok=True)
    args = [os.path.join(build, "fuzz", name), f"-runs={runs}", f"-max_total_time={secs}",
            "-print_final_stats=1", f"-artifact_prefix={art}/", "-close_fd_mask=1", *extra, corpus]
    seeds = os.path.join(root, "tests", "fuzz", "seeds", name)
    if os.path.isdir(seeds):
        args.append(seeds)
    if name == "fuzz_ivrs":
        shared = os.path.join(root, "..", "shared", "testdata", "ivrs")
        args.append(shared if os.path.isdir(shared) else os.path.join(root, "tests", "data", "ivrs"))
    return args


def parse(log):
    r = {"executions": 0, "exec_per_s": 0, "cov": 0, "ft": 0, "corpus": 0, "crashes": 0,
         "violations": 0, "reports": []}
    found = set()  # failing inputs this run wrote (slow-unit files are none)
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
            m = WRITTEN.search(line)
            if m and os.path.basename(m[1]).split("-")[0] in ("crash", "leak", "timeout", "oom"):
                found.add(os.path.basename(m[1]))
    r["crashes"] = len(found)
    r["artifacts"] = sorted(found)
    return r


def split(runs, k):
    """runs executions over k fuzzers: the remainder goes to the first ones."""
    return [runs // k + (1 if i < runs % k else 0) for i in range(k)]


def combine(parts):
    """A target's figures from those of its fuzzers."""
    r = {"executions": sum(p["executions"] for p in parts),
         "exec_per_s": sum(p["exec_per_s"] for p in parts),
         "violations": sum(p["violations"] for p in parts),
         "seconds": max(p["seconds"] for p in parts),
         "exit": max((p["exit"] for p in parts), key=abs),
         "crashes": sum(p["crashes"] for p in parts),
         "artifacts": sorted(x for p in parts for x in p["artifacts"]),
         "reports": [x for p in parts for x in p["reports"]]}
    for k in ("cov", "ft", "corpus"):
        r[k] = max(p[k] for p in parts)
    if len(parts) > 1:
        r["fuzzers"] = parts
    return r


def report(who, r):
    print(f"fuzz-long: {who}: {r['executions']} executions in {r['seconds']}s "
          f"({r['exec_per_s']}/s), cov {r['cov']} ft {r['ft']}, corpus {r['corpus']}, "
          f"crashes {r['crashes']}, violations {r['violations']}", flush=True)


def row(name, r):
    return (f"| {name} | {r['executions']} | {r['seconds']} | {r['exec_per_s']} | {r['cov']} | "
            f"{r['ft']} | {r['corpus']} | {r['crashes']} | {r['violations']} |\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=10_000_000)
    ap.add_argument("--time", type=int, default=3600)
    ap.add_argument("--jobs", type=int, default=2, help="libFuzzer processes at a time")
    ap.add_argument("--fuzzers", type=int, default=1, help="processes per target, sharing its "
                    "corpus and splitting --runs (at most --jobs)")
    ap.add_argument("--out", help="logs and summary (default BUILD/fuzz-campaign); give each "
                    "campaign that runs at the same time its own")
    ap.add_argument("--libfuzzer-arg", action="append", default=[], metavar="ARG",
                    help="one more libFuzzer flag for every fuzzer, e.g. -use_value_profile=1")
    ap.add_argument("targets", nargs="+", help="names (gmem) or fuzz_gmem")
    a = ap.parse_args()
    if a.jobs < 1 or not 1 <= a.fuzzers <= a.jobs:
        ap.error(f"--fuzzers {a.fuzzers} with --jobs {a.jobs}: need 1 <= fuzzers <= jobs "
                 "(the fuzzers of one target run at the same time)")
    if a.runs < a.fuzzers:
        ap.error(f"--runs {a.runs} cannot be split over {a.fuzzers} fuzzers")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = a.out or os.path.join(a.build, "fuzz-campaign")
    os.makedirs(out, exist_ok=True)
    names = [t if t.startswith("fuzz_") else "fuzz_" + t for t in a.targets]
    k = a.fuzzers
    # (target, fuzzer index): a target's fuzzers start together, so that they
    # share the corpus while they run
    pending, running, parts, results = list(names), {}, {}, {}
    start = time.time()
    while pending or running:
        while pending and len(running) + k <= a.jobs:
            n = pending.pop(0)
            art = os.path.join(out, "artifacts", n)
            parts[n] = [None] * k
            for i, runs in enumerate(split(a.runs, k)):
                logname = os.path.join(out, n + (f".{i + 1}" if k > 1 else "") + ".log")
                log = open(logname, "w")
                p = subprocess.Popen(target_args(root, a.build, n, runs, a.time, art, a.libfuzzer_arg),
                                     stdout=log, stderr=subprocess.STDOUT)
                who = f"{n} fuzzer {i + 1}/{k}" if k > 1 else n
                running[(n, i)] = (p, log, logname, who, time.time())
                print(f"fuzz-long: {who} started (runs {runs}, at most {a.time}s)", flush=True)
        for (n, i), (p, log, logname, who, t0) in list(running.items()):
            if p.poll() is None:
                continue
            log.close()
            r = parse(logname)
            r["seconds"] = round(time.time() - t0)
            r["exit"] = p.returncode
            parts[n][i] = r
            del running[(n, i)]
            report(who, r)
            if all(parts[n]):
                results[n] = combine(parts[n])
                if k > 1:
                    report(f"{n}, its {k} fuzzers together", results[n])
        time.sleep(1)
    summary = {"runs_goal": a.runs, "time_limit_s": a.time, "jobs": a.jobs, "fuzzers": k,
               "wall_s": round(time.time() - start), "targets": results}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("| target | executions | seconds | exec/s | cov | ft | corpus | crashes | "
                "violations |\n|---|---|---|---|---|---|---|---|---|\n")
        for n in names:
            f.write(row(n, results[n]))
            for i, r in enumerate(results[n].get("fuzzers", [])):
                f.write(row(f"{n} fuzzer {i + 1}", r))
    print(f"fuzz-long: summary in {out}/summary.md", flush=True)
    bad = [n for n, r in results.items() if r["crashes"] or r["exit"]]
    for n in bad:
        r = results[n]
        print(f"fuzz-long: {n} FAILED: {r['crashes']} failing inputs {r['artifacts']}, "
              f"exit status {r['exit']}; " + "; ".join(r["reports"][:3]), flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
