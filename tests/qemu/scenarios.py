"""QEMU scenario runner: boots the test image hv-test.efi once per scenario
file and judges it.

A scenario is a file tests/qemu/<name>.cfg: an hv.cfg (docs/config.md) whose
comment lines starting with '#!' are directives for this runner:

  #! expect: pass|fail|panic|timeout|config   what must happen (default pass)
  #! timeout: SECONDS                          per-boot limit (default 120)
  #! qemu: ARGS                                extra QEMU arguments
  #! devices: DEV [DEV ...]                    -device list (default: one edu)
  #! mem: SIZE   #! smp: N   #! cpu: MODEL     machine overrides
  #! image: hv.efi|hv-test.efi                  the image to boot (default the
                                               test image; hv.efi: the image
                                               for hardware, guests only)
  #! esp-file: NAME SRC [truncate=N] [patch=OFF:HEX] | NAME zeros=N
                                               a file made for the ESP (bad
                                               inputs): SRC under the build
                                               folder cut to N bytes and/or
                                               with HEX written at OFF, or N zeros
  #! expect-check: NAME                        this check must appear (PASS,
                                               or FAIL with expect: fail)
  #! expect-line: REGEX                        a serial line must match
  #! expect-guest: NAME OUTCOME                an @@ GUEST record must say so
  #! expect-metric: NAME OP N                  an @@ METRIC NAME must exist and
                                               compare so (OP: >= <= == != > <)
  #! nvme: SIZE [wr_off=N] [wr_len=N]          an NVMe disk of SIZE seeded random bytes
                                               (tools/nvme_disk.py); @NVME_SEED@,
                                               @NVME_WR_OFF@, @NVME_WR_LEN@ in the cfg
                                               are replaced; after QEMU exits the guest's
                                               SHA-256, its write check and the image
                                               file (pattern written, rest unchanged)
                                               are judged
  #! skip: REASON                              the scenario cannot run here
                                               (with a qemu condition, below)
  #! expect-digest: NAME ARGS...               the guest's "@@ DIGEST NAME hex" must
                                               equal what build/tools/snp-measure ARGS
                                               prints (image names resolve in
                                               build/guests/; --linux and --initrd
                                               files in build/linux/, then
                                               build/guests/)
  #! expect-attested: NAME                     Linux guest NAME's console line
                                               "@@ ATTEST-MEASUREMENT hex" (the MEASUREMENT
                                               of the report it got from the firmware
                                               model, tools/linux-init.sh) must equal its
                                               "@@ DIGEST NAME hex"
  #! xcheck-dump: TAG expect-clean|expect-violations [OPTIONS] [RULE/STRUCT/GPA...] [total=N]
                                               the hv.cfg has [hv] dump = on; the runner
                                               saves machine memory at the hypervisor's
                                               "@@ DUMP TAG" stop (QEMU monitor pmemsave)
                                               with the roots printed before it, and runs
                                               build/tools/xcheck-dump [OPTIONS] on them
                                               (e.g. --corrupt-npt NAME:GPA[:table],
                                               --no-ledger). expect-clean: exit 0, no
                                               violation. expect-violations: exit 1, and
                                               each RULE/STRUCT/GPA (I1/NPT/0x400000) is
                                               reported; total=N: exactly N violations.
                                               Several lines may name one TAG. Dumps are
                                               deleted after the check unless
                                               SNPV_KEEP_DUMPS=DIR (kept in DIR/<scenario>)

A directive may be conditional on the QEMU version: "#! qemu>=10 expect-metric:
..." applies only when QEMU is 10.0 or later ("qemu<10", "qemu>=10.2", "qemu==7.2"
likewise); elsewhere it is not checked, and the PASS line says so.

Every scenario runs on each test platform (run_all): qemu/NAME on the host's
QEMU ($QEMU, Debian 12's 7.2) and qemu11/NAME on QEMU 11.1 from
build/qemu-11 (tools/install-qemu11.sh; $QEMU11 overrides). A platform that is
not installed, or a "skip:" that applies, counts the scenario as skipped.

Judgement (docs/test-protocol.md):
  pass    @@ END seen, no failed check, no panic, hypervisor exit 0
  fail    @@ END seen with failed checks, hypervisor exit 1
  panic   @@ PANIC seen, hypervisor exit 2
  timeout QEMU still running at the time limit (killed)
  config  hypervisor exit 3 (bad configuration refused)
Anything else (a panic in a pass scenario, a hang, a triple fault of the
hypervisor, QEMU crashing) is a failure with the reason and the last lines.

Scenarios in tests/qemu/broken/ are deliberately wrong and only run with
BROKEN=1 (to see how a failure is reported).
"""
import concurrent.futures
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import qemu_run

HERE = os.path.dirname(os.path.abspath(__file__))


COND_RE = re.compile(r"^qemu(>=|<=|==|!=|>|<)(\d+(?:\.\d+){0,2})$")
METRIC_WANT_RE = re.compile(r"^(\S+?)\s*(>=|<=|==|!=|>|<)\s*(\d+)$")
OPS = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, "==": lambda a, b: a == b,
       "!=": lambda a, b: a != b, ">": lambda a, b: a > b, "<": lambda a, b: a < b}


def cond_holds(path, cond, version):
    m = COND_RE.match(cond)
    if not m:
        raise ValueError(f"{path}: cannot read the condition '{cond}' (e.g. qemu>=10)")
    want = tuple(int(x) for x in m.group(2).split("."))
    have = tuple(version[:len(want)])
    return OPS[m.group(1)](have, want)


def parse_directives(path, version=None):
    """version: (major, minor, micro) of the QEMU the scenario runs on; the
    conditional directives that do not hold for it (all, when None) land in
    d["not_here"] as (condition, directive, value)."""
    d = {"expect": "pass", "timeout": 120.0, "qemu": "", "devices": None, "mem": None,
         "smp": None, "cpu": None, "expect_check": [], "expect_line": [], "expect_guest": [],
         "expect_digest": [], "xcheck_dump": [], "image": qemu_run.TEST_IMAGE,
         "expect_metric": [], "skip": None, "not_here": [], "nvme": None,
         "expect_attested": []}
    with open(path) as f:
        for line in f:
            m = re.match(r"^#!\s*(?:(qemu\S+)\s+)?([a-z-]+)\s*:\s*(.*?)\s*$", line)
            if not m:
                continue
            cond, k, v = m.group(1), m.group(2), m.group(3)
            if cond and (version is None or not cond_holds(path, cond, version)):
                if version is None:
                    cond_holds(path, cond, (0, 0, 0))  # still reject a bad condition
                d["not_here"].append((cond, k, v))
                continue
            if k == "expect":
                if v not in ("pass", "fail", "panic", "timeout", "config"):
                    raise ValueError(f"{path}: unknown expect '{v}'")
                d["expect"] = v
            elif k == "timeout":
                d["timeout"] = float(v)
            elif k == "qemu":
                d["qemu"] = (d["qemu"] + " " + v).strip()
            elif k == "devices":
                d["devices"] = v.split()
            elif k in ("mem", "smp", "cpu"):
                d[k] = v
            elif k == "image":
                if v not in qemu_run.IMAGES:
                    raise ValueError(f"{path}: unknown image '{v}'")
                d["image"] = v
            elif k == "expect-check":
                d["expect_check"].append(v)
            elif k == "expect-line":
                d["expect_line"].append(v)
            elif k == "expect-guest":
                d["expect_guest"].append(v.split())
            elif k == "expect-digest":
                d["expect_digest"].append(v.split())
            elif k == "expect-attested":
                d["expect_attested"].append(v)
            elif k == "xcheck-dump":
                d["xcheck_dump"].append(parse_xcheck_dump(path, v))
            elif k == "expect-metric":
                mm = METRIC_WANT_RE.match(v)
                if not mm:
                    raise ValueError(f"{path}: expect-metric: want 'NAME OP N', got '{v}'")
                d["expect_metric"].append((mm.group(1), mm.group(2), int(mm.group(3))))
            elif k == "skip":
                d["skip"] = v or "skipped"
            elif k == "nvme":
                d["nvme"] = qemu_run.nvme_disk.parse(path, v)
            elif k == "esp-file":
                pass  # made by qemu_run.prepare_esp from the config text
            else:
                raise ValueError(f"{path}: unknown directive '{k}'")
    return d


XD_OPTS_WITH_VALUE = ("--corrupt-npt",)
XD_WANT_RE = re.compile(r"^(I[1-7])/([A-Za-z]+)/(0x[0-9a-fA-F]+|\d+)$")


def parse_xcheck_dump(path, v):
    """'TAG expect-clean|expect-violations [--opt [value]]... [RULE/STRUCT/GPA]... [total=N]'"""
    t = v.split()
    if len(t) < 2 or t[1] not in ("expect-clean", "expect-violations"):
        raise ValueError(f"{path}: xcheck-dump: want 'TAG expect-clean|expect-violations ...', "
                         f"got '{v}'")
    spec = {"tag": t[0], "expect": t[1], "args": [], "want": [], "total": None, "text": v}
    i = 2
    while i < len(t):
        w = t[i]
        m = XD_WANT_RE.match(w)
        if w.startswith("--"):
            spec["args"].append(w)
            if w in XD_OPTS_WITH_VALUE:
                if i + 1 >= len(t):
                    raise ValueError(f"{path}: xcheck-dump: {w} needs a value")
                spec["args"].append(t[i + 1])
                i += 1
        elif m:
            spec["want"].append((m.group(1), m.group(2), int(m.group(3), 0)))
        elif re.fullmatch(r"total=\d+", w):
            spec["total"] = int(w[6:])
        else:
            raise ValueError(f"{path}: xcheck-dump: cannot read '{w}' in '{v}'")
        i += 1
    if spec["expect"] == "expect-clean" and (spec["want"] or spec["total"]):
        raise ValueError(f"{path}: xcheck-dump: expect-clean takes no violations")
    return spec


def run_xcheck_dump(build, spec, mem, roots):
    """Runs the offline checker; returns (exit status or None, output, seconds)."""
    tool = os.path.join(build, "tools", "xcheck-dump")
    t0 = time.time()
    try:
        p = subprocess.run([tool] + spec["args"] + [mem, roots], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=300)
        out, rc = p.stdout.decode(errors="replace"), p.returncode
    except (OSError, subprocess.TimeoutExpired) as e:
        out, rc = f"xcheck-dump did not run: {e}", None
    return rc, out, time.time() - t0


def judge_xcheck_dump(d, res):
    """Reasons the xcheck-dump directives failed (empty: all held), and a note with figures."""
    why, notes = [], []
    dumps = {x["tag"]: x for x in res.dumps}
    for i, spec in enumerate(d["xcheck_dump"]):
        tag, what = spec["tag"], f"xcheck-dump {spec['text']}"
        x = dumps.get(tag)
        if x is None:
            why.append(f"{what}: no '@@ DUMP {tag}' stop (is [hv] dump = on?)")
            continue
        if x["error"]:
            why.append(f"{what}: {x['error']}")
            continue
        rc, out, secs = (x["result"] or {}).get(i, (None, "not run", 0.0))
        viol = [l.strip() for l in out.splitlines() if re.search(r"\bI[1-7] guest \d+ ", l)]
        m = re.search(r"xcheck: (\d+) violation", out)
        total = int(m.group(1)) if m else None
        fig = re.search(r"checked (\d+) KiB mapped in ([0-9.]+) s \((\d+) us per MiB", out)
        if fig and not any(n.startswith(tag + ":") for n in notes):
            notes.append(f"{tag}: {x['bytes'] >> 20} MiB dumped in {x['pmemsave_seconds']:.1f} s, "
                         f"tool {secs:.1f} s, {int(fig.group(1)) >> 10} MiB mapped checked at "
                         f"{fig.group(3)} us/MiB")
        if rc not in (0, 1):
            tail_out = " | ".join(l for l in out.splitlines()[-4:] if l.strip())
            why.append(f"{what}: the tool failed (exit {rc}): {tail_out}")
        elif spec["expect"] == "expect-clean":
            if rc != 0 or total != 0:
                why.append(f"{what}: expected no violation, got exit {rc}, {total} violation(s): "
                           + "; ".join(viol[:4]))
        else:
            if rc != 1:
                why.append(f"{what}: expected violations (exit 1), got exit {rc}")
            for rule, st, gpa in spec["want"]:
                rx = re.compile(rf"\b{rule} guest \d+ {st}\b.*\bgpa 0x{gpa:x}\b", re.I)
                if not any(rx.search(l) for l in viol):
                    why.append(f"{what}: no {rule} {st} violation at GPA 0x{gpa:x}; got: "
                               + ("; ".join(viol[:4]) or "none"))
            if spec["total"] is not None and total != spec["total"]:
                why.append(f"{what}: expected {spec['total']} violation(s), got {total}: "
                           + "; ".join(viol[:4]))
    return why, "; ".join(notes)


def tail(res, n=8):
    lines = [l for l in res.lines if l.strip()]
    return " | ".join(lines[-n:])


def logged_cmdline(lines, name):
    """The command line the hypervisor gave Linux guest `name` (its log line
    'guest NAME: Linux ... cmdline "..."'; it appends tsc_early_khz=). Anchored
    at the line's start: the configuration echo 'config: guest NAME: Linux
    kernel ..., cmdline "..."' carries the command line without that suffix."""
    pat = re.compile(r'^guest ' + re.escape(name) + r': Linux .* cmdline "(.*)"\s*$')
    for ln in lines:
        m = pat.search(ln)
        if m:
            return m.group(1)
    return None


def measure(build, args, lines=(), name=None):
    """Runs tools/snp-measure; returns (digest or None, error). For a Linux
    guest, --cmdline-from-log becomes --cmdline with the logged command line
    and --linux/--initrd files are looked up in build/linux, then build/guests
    (the nosev test kernel, guest/nosev/)."""
    tool = os.path.join(build, "tools", "snp-measure")
    out = []
    for i, a in enumerate(args):
        if i > 0 and args[i - 1] == "--image" and not os.path.isabs(a):
            a = os.path.join(build, "guests", a)
        if i > 0 and args[i - 1] in ("--linux", "--initrd") and not os.path.isabs(a):
            cands = [os.path.join(build, d, a) for d in ("linux", "guests")]
            a = next((c for c in cands if os.path.isfile(c)), cands[0])
        if a == "--cmdline-from-log":
            cl = logged_cmdline(lines, name)
            if cl is None:
                return None, f"no logged command line for guest {name}"
            out += ["--cmdline", cl]
            continue
        out.append(a)
    try:
        p = subprocess.run([tool] + out, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"snp-measure did not run: {e}"
    if p.returncode != 0:
        return None, "snp-measure failed: " + p.stderr.decode(errors="replace").strip()
    return p.stdout.decode().strip(), ""


def judge(d, res, build=None):
    """Returns (ok, reason)."""
    kinds = [k for k, _ in res.records]
    checks = [t for k, t in res.records if k == "CHECK"]
    failed = [t[5:] for t in checks if t.startswith("FAIL")]
    panics = [t for k, t in res.records if k == "PANIC"]
    ended = "END" in kinds
    exp = d["expect"]
    hs = res.hv_status
    why = []
    if exp == "pass":
        if res.timed_out:
            why.append(f"timed out after {d['timeout']:.0f} s (hang?)")
        if panics:
            why.append("panic: " + panics[0])
        if failed:
            why.append("failed checks: " + "; ".join(failed))
        if not ended and not res.timed_out and not panics:
            why.append("no @@ END record")
        if hs != 0 and not why:
            why.append(res.describe_exit())
        if not checks and not why:
            why.append("the scenario reported no check")
    elif exp == "fail":
        if not failed:
            why.append("expected a failed check, none failed")
        if hs != 1:
            why.append(f"expected hypervisor exit 1, got: {res.describe_exit()}")
    elif exp == "panic":
        if not panics:
            why.append("expected a panic, none reported")
        if hs != 2:
            why.append(f"expected hypervisor exit 2, got: {res.describe_exit()}")
    elif exp == "timeout":
        if not res.timed_out:
            why.append(f"expected a timeout, got: {res.describe_exit()}")
    elif exp == "config":
        if hs != 3:
            why.append(f"expected the configuration to be refused (exit 3), got: {res.describe_exit()}")
    for name in d["expect_check"]:
        want = "FAIL" if exp == "fail" else "PASS"
        if not any(t.split()[:2] == [want, name] for t in checks):
            why.append(f"check {name} did not {want}")
    for rx in d["expect_line"]:
        if not any(re.search(rx, l) for l in res.lines):
            why.append(f"no line matches /{rx}/")
    guests = [t.split() for k, t in res.records if k == "GUEST"]
    for name, outcome in d["expect_guest"]:
        if not any(g[:2] == [name, outcome] for g in guests):
            seen = [g[:2] for g in guests if g and g[0] == name]
            why.append(f"guest {name} should end {outcome}, got {seen or 'no record'}")
    metrics = {}
    for k, t in res.records:
        if k == "METRIC" and len(t.split()) >= 2 and re.fullmatch(r"-?\d+", t.split()[1]):
            metrics[t.split()[0]] = int(t.split()[1])
    for name, op, want in d["expect_metric"]:
        if name not in metrics:
            why.append(f"no @@ METRIC {name} (wanted {op} {want})")
        elif not OPS[op](metrics[name], want):
            why.append(f"metric {name} = {metrics[name]}, wanted {op} {want}")
    digests = dict(t.split()[:2] for k, t in res.records if k == "DIGEST" and len(t.split()) >= 2)
    for spec in d["expect_digest"]:
        name, args = spec[0], spec[1:]
        want, err = measure(build, args, res.lines, name)
        if err:
            why.append(err)
        elif name not in digests:
            why.append(f"no @@ DIGEST record for guest {name}")
        elif digests[name] != want:
            why.append(f"guest {name}: hypervisor digest {digests[name]} != snp-measure {want}")
    for name in d["expect_attested"]:
        rx = re.compile(r"^\[" + re.escape(name) + r"\] .*@@ ATTEST-MEASUREMENT ([0-9a-f]{96})\s*$")
        got = [m.group(1) for m in map(rx.match, res.lines) if m]
        if not got:
            why.append(f"guest {name} printed no @@ ATTEST-MEASUREMENT line")
        elif name not in digests:
            why.append(f"no @@ DIGEST record for guest {name}")
        elif any(g != digests[name] for g in got):
            why.append(f"guest {name}: attested MEASUREMENT {got[0]} != launch digest "
                       f"{digests[name]}")
    if d["xcheck_dump"]:
        xwhy, _ = judge_xcheck_dump(d, res)
        why += xwhy
    if d.get("nvme"):
        why += res.nvme_why
    if why and exp == "pass" and not res.timed_out:
        why.append("last lines: " + tail(res))
    return (not why), "; ".join(why), len(checks)


def scenario_files(pattern, broken, prefix="qemu"):
    files = sorted(glob.glob(os.path.join(HERE, "*.cfg")))
    # the make run demo is a scenario too (qemu/demo)
    demo = os.path.join(os.path.dirname(os.path.dirname(HERE)), "guest", "demo.cfg")
    if os.path.exists(demo):
        files.append(demo)
    if broken:
        files += sorted(glob.glob(os.path.join(HERE, "broken", "*.cfg")))
    out = []
    for f in files:
        rel = os.path.relpath(f, HERE)[:-4] if f.startswith(HERE) else os.path.basename(f)[:-4]
        name = prefix + "/" + rel
        if pattern and not re.search(pattern, name):
            continue
        out.append((name, f))
    return out


def boot_with_dumps(build, name, path, d, qemu=None):
    """Boots a scenario with xcheck-dump directives: each dump is checked while
    QEMU is stopped, then deleted (or kept under $SNPV_KEEP_DUMPS/<name>)."""
    keep = os.environ.get("SNPV_KEEP_DUMPS")
    tmp = None
    if keep:
        ddir = os.path.join(os.path.abspath(keep), name.replace("/", "_"))
    else:
        tmp = tempfile.mkdtemp(prefix="snpv-dump-")
        ddir = tmp
    tags = {s["tag"] for s in d["xcheck_dump"]}

    def on_dump(tag, mem, roots):
        out = {i: run_xcheck_dump(build, s, mem, roots)
               for i, s in enumerate(d["xcheck_dump"]) if s["tag"] == tag}
        if not keep:
            os.unlink(mem)
        return out

    try:
        return qemu_run.boot(build, path, timeout=d["timeout"], extra=d["qemu"], mem=d["mem"],
                             cpu=d["cpu"], smp=d["smp"], devices=d["devices"], dump_dir=ddir,
                             dump_tags=tags, on_dump=on_dump, image=d["image"], qemu=qemu)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def not_here_note(d, version):
    """What the runner did not check on this QEMU (conditional directives)."""
    # QEMU 7.2's "no event at all" is no loss elsewhere: not worth a note
    left = [x for x in d["not_here"] if not re.fullmatch(r"iommu\.events\.total\s*==\s*0", x[2])]
    if not left:
        return ""
    ver = qemu_run.version_str(version[:2])
    if any("iommu.events" in v for _, _, v in left):
        rest = len([1 for _, _, v in left if "iommu.events" not in v])
        return (f"event log not checked on QEMU {ver} (7.2 never writes it)"
                + (f", {rest} more directive(s) not for this QEMU" if rest else ""))
    conds = sorted({c for c, _, _ in left})
    return f"{len(left)} directive(s) for {', '.join(conds)} not checked on QEMU {ver}"


def run_one(build, name, path, qemu=None, version=None):
    """Returns (name, status PASS/FAIL/SKIP, why, checks, seconds, note)."""
    try:
        d = parse_directives(path, version)
    except ValueError as e:
        return name, "FAIL", str(e), 0, 0.0, ""
    if d["skip"]:
        return name, "SKIP", d["skip"], 0, 0.0, ""
    if d["xcheck_dump"]:
        res = boot_with_dumps(build, name, path, d, qemu)
    else:
        res = qemu_run.boot(build, path, timeout=d["timeout"], extra=d["qemu"], mem=d["mem"],
                            cpu=d["cpu"], smp=d["smp"], devices=d["devices"],
                            image=d["image"], qemu=qemu, nvme=d["nvme"])
    if os.environ.get("SNPV_VERBOSE"):
        print("\n".join(res.lines))
    ok, why, nchecks = judge(d, res, build)
    if ok:
        nchecks += len(d["expect_digest"]) + len(d["expect_metric"]) + len(d["expect_attested"])
    notes = []
    if d["xcheck_dump"]:
        if ok:
            nchecks += len(d["xcheck_dump"])
        notes.append(judge_xcheck_dump(d, res)[1])
    if d["nvme"]:
        notes.append(res.nvme_note)
    notes.append(not_here_note(d, version or res.qemu_version or (0, 0, 0)))
    return name, "PASS" if ok else "FAIL", why, nchecks, res.elapsed, "; ".join(n for n in notes if n)


def platforms(build):
    """The test platforms: (prefix, QEMU binary, version, reason it cannot run)."""
    out = []
    host = os.environ.get("QEMU", "qemu-system-x86_64")
    q11 = os.environ.get("QEMU11") or os.path.join(build, qemu_run.QEMU11_REL)
    for prefix, qemu, missing in (
            ("qemu", host, "run: make deps"),
            ("qemu11", q11, f"QEMU 11.1 is not installed in {os.path.dirname(q11)} "
                            "(make qemu11; see its error)")):
        try:
            out.append((prefix, qemu, qemu_run.qemu_version(qemu), ""))
        except SystemExit as e:
            out.append((prefix, qemu, None, missing if not shutil.which(qemu) else str(e)))
    return out


def run_all(build, tally, pattern=""):
    broken = os.environ.get("BROKEN") == "1"
    jobs = int(os.environ.get("SNPV_JOBS", "2"))
    todo = []
    for prefix, qemu, ver, missing in platforms(build):
        for n, p in scenario_files(pattern, broken, prefix):
            todo.append((n, p, qemu, ver, missing))
    if todo:
        for prefix, qemu, ver, missing in platforms(build):
            print(f"{prefix}/: " + (f"QEMU {qemu_run.version_str(ver)} ({qemu})" if ver
                                    else f"not run: {missing}"), flush=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        futs = [ex.submit(run_one, build, n, p, q, v) if v else None
                for n, p, q, v, _ in todo]
        for (n, _, _, _, missing), fu in zip(todo, futs):
            if fu is None:
                tally.add("SKIP", n, missing)
                continue
            name, status, why, nchecks, elapsed, note = fu.result()
            if status == "PASS":
                tally.add("PASS", f"{name} ({nchecks} checks, {elapsed:.1f} s"
                          + (f"; {note}" if note else "") + ")")
            else:
                tally.add(status, name, why)


def run_bench(build):
    """`make bench`: boots tests/qemu/bench/*.cfg and prints their METRIC lines;
    costs.cfg boots SNPV_BENCH_RUNS times (default 2) and ends in the table of
    guest-visible costs, then the Linux boot comparison (tools/bench_tables.py,
    docs/bench.md)."""
    import bench_tables
    runs = max(1, int(os.environ.get("SNPV_BENCH_RUNS", "2")))
    files = sorted(glob.glob(os.path.join(HERE, "bench", "*.cfg")))
    if not files:
        print("bench: no benchmark scenarios in tests/qemu/bench/")
        return
    print("bench: figures measured under QEMU TCG (software emulation). They compare "
          "snpvisor's own paths with each other; they are NOT hardware figures.")
    costs = []
    for f in files:
        d = parse_directives(f, qemu_run.qemu_version())
        name = os.path.basename(f)[:-4]
        for i in range(runs if name == "costs" else 1):
            res = qemu_run.boot(build, f, timeout=d["timeout"], extra=d["qemu"], mem=d["mem"],
                                cpu=d["cpu"], smp=d["smp"], devices=d["devices"],
                                image=d["image"])
            ok, why, _ = judge(d, res, build)
            print(f"== {name}{' boot ' + str(i + 1) if name == 'costs' else ''}: "
                  f"{'ok' if ok else 'FAILED: ' + why}")
            if name == "costs":
                if ok:
                    costs.append(bench_tables.parse_costs(res))
                continue
            for k, t in res.records:
                if k == "METRIC":
                    parts = t.split()
                    print(f"  {parts[0]:<40} {parts[1]:>14} {' '.join(parts[2:])}")
    if costs:
        bench_tables.costs_table(costs)
    bench_tables.linux_bench(build, sys.modules[__name__], qemu_run, runs)
