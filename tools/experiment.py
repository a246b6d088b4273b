#!/usr/bin/python3
"""The experiment runner: sweeps the parameters an experiment file declares,
runs each point, writes the results to CSV (with the commit, the QEMU version
and the machine), draws the plots (PNG and SVG, matplotlib) and a short
Markdown report with the plots and a table (docs/experiments.md).

    tools/experiment.py run NAME [--out DIR] [--set key=v1,v2 ...]
    tools/experiment.py report NAME [--out DIR]     (plots + report from the CSV)
    tools/experiment.py list

NAME is tools/experiments/NAME.toml; the results go to docs/experiments/NAME/
unless --out says otherwise. `make experiment NAME=...` runs one,
`make experiments` all of them (their reports are committed).

An experiment file (TOML):
    title = "..."              question = "..."           notes = "..."
    runner = "bench-host-one" | "bench-host-splinter" | "bench-host-iommu-pagesize" | "qemu"
    [sweep]                    parameter -> list of values (the cross product is run)
    [fixed]                    parameter -> value
    [[plot]]                   name, x, y (list), series (parameters that split lines),
                               title, xlabel, ylabel, logx, logy, kind = "line" | "bar",
                               legend = "below" (under the axes, for many series)
    table = [columns of the CSV shown in the report]

Runners:
    bench-host-one       build/bench-host --one SIZE PAGE MODE: one CSV row per point
    bench-host-splinter  build/bench-host --splinter SIZE MODE STEPS: one row per round
    bench-host-iommu-pagesize  build/bench-host --iommu-pagesize SIZE IOMMU ROUNDS: one row
    qemu                 boots a configuration (cfg: a path, and a template, with {param}
                         fields; other braces are left alone, so the scenario files of
                         tests/qemu serve as they are) with tools/qemu_run.py, which reads
                         its runner directives (#! nvme: makes the NVMe image and fills in
                         @NVME_SEED@ etc.). One row: every "@@ METRIC name value" line of
                         the hypervisor (column name), every key=value of a guest's
                         "[guest] ... @@ TAG ... key=value" line (column tag_key, lower
                         case, - as _: "@@ NVME-READ-END bytes=N cs=N" gives
                         nvme_read_end_bytes, nvme_read_end_cs) and run_s (QEMU's run,
                         host seconds). The run must end with status 0 and, with an NVMe
                         disk, pass the image checks. qemu_bin (optional parameter): the
                         point's QEMU ($QEMU for qemu_run.py): a command, a path relative
                         to the tree ({build}: the build folder) or a table {version =
                         binary} picked by the parameter qemu (whose version must then
                         start with it); the column qemu is the version that ran.
    [derive]                   column -> arithmetic over columns of the row (after the runner),
                               e.g. mib_s = "nvme_read_end_bytes / nvme_read_end_cs * 100 / 1048576"
This file runs with Debian's /usr/bin/python3 (python3-matplotlib).
"""
import argparse
import csv
import datetime
import io
import itertools
import os
import platform
import re
import subprocess
import sys
import tempfile
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXP_DIR = os.path.join(ROOT, "tools", "experiments")


def die(msg):
    print(f"experiment: {msg}", file=sys.stderr)
    sys.exit(1)


def load(name):
    path = os.path.join(EXP_DIR, name + ".toml")
    if not os.path.exists(path):
        die(f"no experiment {name}: expected {os.path.relpath(path, ROOT)} "
            f"(tools/experiment.py list shows them)")
    with open(path, "rb") as f:
        try:
            e = tomllib.load(f)
        except tomllib.TOMLDecodeError as err:
            die(f"{os.path.relpath(path, ROOT)}: {err}")
    for key in ("title", "runner", "sweep"):
        if key not in e:
            die(f"{os.path.relpath(path, ROOT)}: missing '{key}'")
    if e["runner"] not in RUNNERS:
        die(f"{os.path.relpath(path, ROOT)}: runner '{e['runner']}' unknown "
            f"(one of {', '.join(RUNNERS)})")
    e["name"] = name
    return e


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def qemu_version(qemu):
    qv = sh([qemu, "-version"]).stdout.splitlines()[:1] if sh(["which", qemu]).returncode == 0 \
        else []
    return qv[0].replace("QEMU emulator version ", "") if qv else "none"


def metadata(build):
    commit = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.strip() or "?"
    dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).stdout.strip()
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "commit": commit + ("+dirty" if dirty else ""),
        "qemu": qemu_version(os.environ.get("QEMU", "qemu-system-x86_64")),
        "machine": f"{cpu}, {os.cpu_count()} CPUs, {platform.machine()}",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# ---- runners: each returns a list of dicts (CSV rows) for one sweep point -------------

def bench_host(build):
    exe = os.path.join(build, "bench-host")
    if not os.access(exe, os.X_OK):
        die(f"{exe} is missing: run make {os.path.relpath(exe, ROOT)}")
    return exe


def run_csv(cmd):
    p = sh(cmd)
    if p.returncode:
        die(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip() or p.stdout[-400:]}")
    text = p.stdout
    i = text.find("size_mib,")
    if i < 0:
        die(f"{' '.join(cmd)} printed no CSV")
    return list(csv.DictReader(io.StringIO(text[i:])))


def run_bench_one(point, build):
    rows = run_csv([bench_host(build), "--one", str(point["size"]), str(point["page"]),
                    str(point["mode"]), "--csv", "-"])
    return rows[-1:]


def run_bench_splinter(point, build):
    return run_csv([bench_host(build), "--splinter", str(point["size"]), str(point["mode"]),
                    str(point.get("steps", 20)), "--csv", "-"])


def run_bench_iommu_pagesize(point, build):
    return run_csv([bench_host(build), "--iommu-pagesize", str(point["size"]),
                    str(point["iommu"]), str(point.get("rounds", 20)), "--csv", "-"])[-1:]


METRIC = re.compile(r"^@@ METRIC (\S+) (\S+)")
GUEST_REC = re.compile(r"^\[[\w.-]+\] .*?@@ ([A-Z][A-Z0-9-]*) (.*)$")
KEYVAL = re.compile(r"(?<!\S)(\w+)=(\S+)")
RUN_S = re.compile(r"^snpvisor run: .* after ([0-9.]+) s;")


def fill(text, point):
    """{param} -> the point's value, for the point's parameters only."""
    return re.sub(r"\{(\w+)\}", lambda m: str(point[m.group(1)]) if m.group(1) in point
                  else m.group(0), text)


def run_qemu(point, build):
    tmpl = point.get("cfg")
    if not tmpl:
        die("a qemu experiment needs a 'cfg' template in [fixed] or [sweep]")
    tmpl = fill(tmpl, point)
    with open(os.path.join(ROOT, tmpl)) as f:
        text = fill(f.read(), point)
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False, dir=build) as f:
        f.write(text)
        cfg = f.name
    env = dict(os.environ)
    qemu = point.get("qemu_bin")
    if isinstance(qemu, dict):  # {version: binary}, chosen by the point's qemu
        qemu = qemu.get(str(point.get("qemu")))
        if not qemu:
            die(f"qemu_bin names no QEMU for qemu = {point.get('qemu')}")
    if qemu:  # this point's QEMU ({build} is the build folder)
        qemu = fill(str(qemu), {**point, "build": build})
        env["QEMU"] = os.path.join(ROOT, qemu) if "/" in qemu else qemu
    try:
        p = sh(["python3", os.path.join(ROOT, "tools", "qemu_run.py"),
                "--build", build, "--cfg", cfg, "--timeout", str(point.get("timeout", 300))],
               env=env)
    finally:
        os.unlink(cfg)
    row, nvme_ok = qemu_row(p.stdout)
    row["qemu"] = qemu_version(env.get("QEMU", "qemu-system-x86_64"))
    if "qemu" in point and not row["qemu"].startswith(str(point["qemu"])):
        die(f"qemu = {point['qemu']} ran QEMU {row['qemu']}")
    if p.returncode or not row or not nvme_ok:
        die(f"the QEMU run of {tmpl} failed ({p.returncode}); last lines:\n"
            + "\n".join(p.stdout.splitlines()[-8:]))
    return [row]


def qemu_row(out):
    """The row of one tools/qemu_run.py output, and whether no NVMe image check failed."""
    row = {}
    nvme_ok = True
    for line in out.splitlines():
        line = line.strip()
        m = METRIC.match(line)
        if m:
            row[m.group(1)] = m.group(2)
        m = GUEST_REC.match(line)
        if m:
            tag = m.group(1).lower().replace("-", "_")
            for k, v in KEYVAL.findall(m.group(2)):
                row[f"{tag}_{k}"] = v
        m = RUN_S.match(line)
        if m:
            row["run_s"] = m.group(1)
        if line.startswith("nvme: ") and not line.startswith("nvme: image checks passed"):
            nvme_ok = False
    return row, nvme_ok


def derive(e, row):
    """[derive] column = expression over the row's numeric columns (names that are
    identifiers); a column it cannot compute stays empty."""
    names = {k: num(v) for k, v in row.items() if k.isidentifier() and num(v) is not None}
    for col, expr in e.get("derive", {}).items():
        try:
            v = eval(expr, {"__builtins__": {}}, names)  # the experiment file's own arithmetic
        except (NameError, ZeroDivisionError, TypeError):
            v = ""
        row[col] = f"{v:.4g}" if isinstance(v, float) else v
        if v != "":
            names[col] = v


RUNNERS = {"bench-host-one": run_bench_one, "bench-host-splinter": run_bench_splinter,
           "bench-host-iommu-pagesize": run_bench_iommu_pagesize, "qemu": run_qemu}


def points(e, overrides):
    sweep = dict(e["sweep"])
    for o in overrides:
        k, _, v = o.partition("=")
        if not v:
            die(f"--set {o}: use key=v1,v2")
        sweep[k] = v.split(",")
    keys = list(sweep)
    for combo in itertools.product(*(sweep[k] for k in keys)):
        p = dict(e.get("fixed", {}))
        p.update(zip(keys, combo))
        yield p


def run(e, out, build, overrides):
    os.makedirs(out, exist_ok=True)
    meta = metadata(build)
    rows = []
    pts = list(points(e, overrides))
    for i, p in enumerate(pts, 1):
        desc = ", ".join(f"{k}={v}" for k, v in p.items() if k in e["sweep"] or k in
                         [o.partition("=")[0] for o in overrides])
        print(f"experiment {e['name']}: point {i}/{len(pts)}: {desc}", flush=True)
        for r in RUNNERS[e["runner"]](p, build):
            row = {f"p_{k}": v for k, v in p.items() if not isinstance(v, (dict, list))}
            row.update(meta)
            row.update(r)  # a qemu runner's row names the QEMU it ran
            derive(e, row)
            rows.append(row)
    fields = []
    for r in rows:
        for k in r:
            if k not in fields:
                fields.append(k)
    path = os.path.join(out, "results.csv")
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    print(f"experiment {e['name']}: {len(rows)} rows -> {os.path.relpath(path, ROOT)}")
    return path


# ---- report --------------------------------------------------------------------------

def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def plot(e, rows, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    for pl in e.get("plot", []):
        x = pl["x"]
        ys = pl["y"] if isinstance(pl["y"], list) else [pl["y"]]
        series = pl.get("series", [])
        fig, axes = plt.subplots(1, len(ys), figsize=(5.2 * len(ys), 3.8), squeeze=False)
        for ax, y in zip(axes[0], ys):
            groups = {}
            for r in rows:
                key = tuple(r.get(s, "") for s in series)
                xv, yv = num(r.get(x)), num(r.get(y))
                if xv is None or yv is None:
                    continue
                groups.setdefault(key, []).append((xv, yv))
            if not groups:
                die(f"plot {pl['name']}: no numeric {x}/{y} in the results")
            cats = sorted({p[0] for pts in groups.values() for p in pts})
            width = 0.8 / len(groups)
            for gi, (key, pts) in enumerate(sorted(groups.items())):
                pts.sort()
                label = " ".join(key) if key else y
                if pl.get("kind") == "bar":  # grouped: one bar per series at each x
                    ax.bar([cats.index(p[0]) + (gi - (len(groups) - 1) / 2) * width for p in pts],
                           [p[1] for p in pts], width=width, label=label)
                    ax.set_xticks(range(len(cats)), [f"{c:g}" for c in cats])
                else:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
            if pl.get("logx"):
                ax.set_xscale("log", base=2)
            if pl.get("logy"):
                ax.set_yscale("log")
            ax.set_xlabel(pl.get("xlabel", x))
            ax.set_ylabel(pl.get("ylabels", {}).get(y, y))
            ax.grid(True, alpha=0.3)
            if pl.get("legend") == "below":  # many series: keep the bars visible
                ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
            elif len(groups) > 1 or series:
                ax.legend(fontsize=8)
        fig.suptitle(pl.get("title", e["title"]), fontsize=11)
        fig.tight_layout()
        for ext in ("png", "svg"):
            fig.savefig(os.path.join(out, f"{pl['name']}.{ext}"), dpi=110)
        plt.close(fig)
        made.append(pl)
    return made


def report(e, out):
    path = os.path.join(out, "results.csv")
    if not os.path.exists(path):
        die(f"{os.path.relpath(path, ROOT)} is missing: run tools/experiment.py run {e['name']}")
    with open(path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        die(f"{os.path.relpath(path, ROOT)} has no rows")
    made = plot(e, rows, out)
    cols = e.get("table") or [k for k in rows[0] if k not in ("commit", "qemu", "machine", "date")]
    md = [f"# {e['title']}", ""]
    if e.get("question"):
        md += [e["question"].strip(), ""]
    r0 = rows[0]
    qemus = "; ".join(dict.fromkeys(r.get("qemu", "?") for r in rows))  # the qemu runner's vary
    md += [f"Run: commit `{r0.get('commit', '?')}`, {r0.get('date', '?')}, {r0.get('machine', '?')}; "
           f"QEMU {qemus}. Runner `{e['runner']}`; "
           f"regenerate with `make experiment NAME={e['name']}`.", ""]
    sweep = ", ".join(f"`{k}` in {{{', '.join(map(str, v))}}}" for k, v in e["sweep"].items())
    md += [f"Sweep: {sweep}.", ""]
    if e.get("notes"):
        md += [e["notes"].strip(), ""]
    for pl in made:
        md += [f"![{pl.get('title', pl['name'])}]({pl['name']}.svg)", ""]
    md += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        md.append("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
    md += ["", f"Data: [`results.csv`](results.csv) ({len(rows)} rows)."]
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print(f"experiment {e['name']}: report -> {os.path.relpath(os.path.join(out, 'README.md'), ROOT)}"
          f" with {len(made)} plot(s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cmd", choices=["run", "report", "list"])
    ap.add_argument("name", nargs="?")
    ap.add_argument("--out")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--set", action="append", default=[], help="override a sweep: key=v1,v2")
    a = ap.parse_args()
    if a.cmd == "list":
        for f in sorted(os.listdir(EXP_DIR)):
            if f.endswith(".toml"):
                e = load(f[:-5])
                print(f"{e['name']:24} {e['title']}")
        return 0
    if not a.name:
        die("name an experiment (tools/experiment.py list)")
    e = load(a.name)
    out = a.out or os.path.join(ROOT, "docs", "experiments", a.name)
    if a.cmd == "run":
        run(e, out, a.build, a.set)
    report(e, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
