"""The two tables of `make bench` (docs/bench.md), used by
tests/qemu/scenarios.py run_bench:

costs_table(runs)   guest-visible costs from tests/qemu/bench/costs.cfg
                    (scenario bench-costs + guest/costbench.c), one column per
                    boot: median [p10-p90] in microseconds and the ratio to
                    the bare VMRUN round trip measured in the same boot.
linux_bench(build)  the Debian kernel + initramfs to /init under snpvisor
                    (tests/qemu/linux-boot.cfg) and directly under the same
                    QEMU (tools/linux_direct.py), alternately, SNPV_BENCH_RUNS
                    times each (default 2); min/median and ratios; the exits
                    of each snpvisor boot per second and by reason (the
                    hypervisor's final table). NVMe throughput comes from
                    tests/qemu/linux-nvme.cfg when that scenario exists.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DETAIL_RE = re.compile(r"med=(\d+) p10=(\d+) p90=(\d+) n=(\d+) ops=(\d+) exits=([\d.]+)")

# (key, label, unit of one operation, pages per request for a per-page row)
COST_ROWS = [
    ("ref:bare_vmrun", "bare VMRUN round trip (reference)", "exit", 0),
    ("ref:cpuid_exit", "CPUID exit, full dispatch (plain guest)", "exit", 0),
    ("snp:vc_cpuid", "#VC round trip: SNP CPUID via #VC + GHCB", "CPUID", 0),
    ("snp:ghcb_hc", "GHCB hypercall (VMGEXIT, no #VC)", "call", 0),
    ("snp:pvalidate.4k", "PVALIDATE 4K (emulated)", "instr", 0),
    ("snp:pvalidate.2m", "PVALIDATE 2M (emulated)", "instr", 0),
    ("hv:iommu_inv", "IOMMU INVALIDATE_IOMMU_PAGES + COMPLETION_WAIT", "pair", 0),
    ("hv:iommu_wait", "IOMMU COMPLETION_WAIT alone", "command", 0),
    ("hv:dma_to_dev", "edu DMA 4095 B memory -> device via IOMMU", "transfer", 0),
    ("hv:dma_to_ram", "edu DMA 4095 B device -> memory via IOMMU", "transfer", 0),
]
for _g, _gl in (("snp", "576M"), ("snpsmall", "40M")):
    for _sz in ("4k", "2m"):
        for _n in (1, 16, 253):
            COST_ROWS.append((f"{_g}:psc.{_sz}.{_n}",
                              f"PSC {_n:>3} x {_sz.upper()} ({_gl} guest)", "request", _n))


def parse_costs(res):
    """{key: (med, p10, p90, n, exits)} in TSC ticks, and the TSC kHz."""
    out, khz, hv = {}, None, {}
    for kind, text in res.records:
        parts = text.split()
        if kind == "METRIC" and len(parts) >= 2:
            name, val = parts[0], int(parts[1])
            if name == "cost.tsc_khz":
                khz = val
            m = re.match(r"cost\.(\w+)\.(med|p10|p90|n)$", name)
            if m:
                hv.setdefault(m.group(1), {})[m.group(2)] = val
        elif kind == "CHECK" and len(parts) >= 3 and parts[0] == "PASS":
            m = re.match(r"(\w+):cost\.(\S+)$", parts[1])
            d = DETAIL_RE.search(text)
            if m and d:
                out[f"{m.group(1)}:{m.group(2)}"] = (int(d.group(1)), int(d.group(2)),
                                                     int(d.group(3)), int(d.group(4)),
                                                     float(d.group(6)))
    for k, v in hv.items():
        if {"med", "p10", "p90", "n"} <= v.keys():
            out["hv:" + k] = (v["med"], v["p10"], v["p90"], v["n"], 0.0)
    return out, khz


def _us(ticks, khz):
    return ticks / khz * 1000.0


def _fmt_us(us):
    if us >= 10000:
        return f"{us / 1000:.1f} ms"
    if us >= 100:
        return f"{us:.0f} us"
    return f"{us:.1f} us"


def costs_table(runs):
    """runs: list of (parsed, khz) per boot. Prints the table."""
    print("\n== guest-visible costs (QEMU TCG; each cell: median [p10-p90] per operation, "
          "x = median / bare VMRUN median of the SAME boot)")
    head = f"{'cost':<52} {'per':<9}"
    for i in range(len(runs)):
        head += f" | {'boot ' + str(i + 1):<34}"
    print(head)
    print("-" * len(head))
    for key, label, unit, pages in COST_ROWS:
        for per_page in ((False, True) if pages > 1 else (False,)):
            line = f"{label + (' per page' if per_page else ''):<52} " \
                   f"{('page' if per_page else unit):<9}"
            have = False
            for parsed, khz in runs:
                v, ref = parsed.get(key), parsed.get("ref:bare_vmrun")
                if not v or not khz or not ref:
                    line += f" | {'-':<34}"
                    continue
                have = True
                div = pages if per_page else 1
                med, lo, hi = (_us(x / div, khz) for x in v[:3])
                ratio = v[0] / div / ref[0]
                cell = f"{_fmt_us(med)} [{_fmt_us(lo)}-{_fmt_us(hi)}] x{ratio:.2f}"
                line += f" | {cell:<34}"
            if have:
                print(line)
    exits = [p.get("snp:psc.4k.253") for p, _ in runs if p.get("snp:psc.4k.253")]
    if exits:
        print(f"(a 253-entry request takes {exits[0][4]:g} VMGEXITs: the hypervisor handles "
              "at most SNP_PSC_ENTRIES_PER_EXIT entries per exit; edu's DMA time is QEMU's "
              "device model, which completes a transfer on a timer)")


# ---- Linux -----------------------------------------------------------------------------------

def _linux_boot_cfg():
    return os.path.join(ROOT, "tests", "qemu", "linux-boot.cfg")


def _cmdline_extra(cfg):
    """The kernel arguments linux-boot.cfg gives beyond linux_direct's own."""
    text = open(cfg).read()
    m = re.search(r'^cmdline\s*=\s*"([^"]*)"', text, re.M)
    own = {"console=ttyS0", "panic=-1", "loglevel=4", "rdinit=/init"}
    return " ".join(w for w in (m.group(1).split() if m else [])
                    if w not in own and not w.startswith("snpv.") and w != "reboot=t")


def _guest_mem(cfg):
    m = re.search(r"^memory\s*=\s*(\S+)", open(cfg).read(), re.M)
    return m.group(1) if m else "256M"


def _run_direct(build, mem, extra):
    with tempfile.TemporaryDirectory(prefix="snpv-bench-") as tmp:
        js = os.path.join(tmp, "direct.json")
        p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "linux_direct.py"),
                            "--build", build, "--mem", mem, "--append-extra", extra,
                            "--json", js], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.decode(errors="replace")
        if p.returncode != 0 or not os.path.exists(js):
            tail = " | ".join(out.strip().splitlines()[-4:])
            return None, f"linux_direct failed ({p.returncode}): {tail}"
        return json.load(open(js)), None


def _exit_table(lines, guest="linux"):
    """The hypervisor's final table: {reason: count} for guest."""
    for i, l in enumerate(lines):
        if l.startswith("guest ") and " exits " in l and " cpuid " in l:
            cols = l.split()
            for row in lines[i + 1:i + 8]:
                r = row.split()
                if r and r[0] == guest:
                    out = {}
                    for name, val in zip(cols[1:], r[1:]):
                        if name == "memory":
                            continue
                        if not val.isdigit():
                            break
                        out[name] = int(val)
                    return out
    return {}


def _run_snpv(build, cfg, scenarios, qemu_run):
    d = scenarios.parse_directives(cfg, qemu_run.qemu_version())
    stamps = {}
    t0 = time.monotonic()

    def on_line(text):
        now = time.monotonic() - t0
        if "@@ LINUX-INIT" in text and "init" not in stamps:
            stamps["init"] = now
            m = re.search(r"uptime_cs=(\d+)", text)
            if m:
                stamps["uptime"] = int(m.group(1)) / 100
        elif re.match(r"guest \w+: \d+ MiB, image ", text) and "guest" not in stamps:
            stamps["guest"] = now
        elif "NVME-READ-START" in text and "rs" not in stamps:
            stamps["rs"] = now
        elif "NVME-READ-END" in text:
            m = re.search(r"bytes=(\d+) cs=(\d+)", text)
            if m and int(m.group(2)) > 0:
                stamps["read_mib_s"] = int(m.group(1)) / (1 << 20) / (int(m.group(2)) / 100)

    res = qemu_run.boot(build, cfg, timeout=d["timeout"], extra=d["qemu"], mem=d["mem"],
                        cpu=d["cpu"], smp=d["smp"], devices=d["devices"], image=d["image"],
                        nvme=d["nvme"], on_line=on_line)
    ok, why, _ = scenarios.judge(d, res, build)
    if not ok:
        return None, why
    eps = None
    for kind, text in res.records:
        parts = text.split()
        if kind == "METRIC" and parts[0].endswith(".exits_per_s"):
            eps = int(parts[1])
    stamps["exits"] = _exit_table(res.lines)
    stamps["exits_per_s"] = eps
    return stamps, None


def _mm(v):
    v = [x for x in v if x is not None]
    if not v:
        return "-", "-"
    return f"{min(v):.2f}", f"{statistics.median(v):.2f}"


def linux_bench(build, scenarios, qemu_run, runs):
    cfg = _linux_boot_cfg()
    lin = os.path.join(build, "linux")
    if not all(os.path.isfile(os.path.join(lin, f)) for f in ("vmlinuz", "initramfs.cpio")):
        print("\n== linux: SKIPPED: build/linux/vmlinuz or initramfs.cpio missing "
              "(make linux-assets)")
        return
    mem, extra = _guest_mem(cfg), _cmdline_extra(cfg)
    direct, snpv, errors = [], [], []
    for i in range(runs):  # alternate, so that a noisy minute hits both
        r, err = _run_direct(build, mem, extra)
        (direct.append(r) if r else errors.append("direct: " + err))
        r, err = _run_snpv(build, cfg, scenarios, qemu_run)
        (snpv.append(r) if r else errors.append("snpvisor: " + err))
    ver = ".".join(str(x) for x in qemu_run.qemu_version())
    print(f"\n== linux: Debian kernel + initramfs to /init, QEMU {ver} TCG, {mem} guest, "
          f"{runs} boots each, alternating (seconds)")
    for e in errors:
        print("  FAILED " + e)
    rows = [
        ("direct: QEMU start -> /init", [r.get("time_to_init_s") for r in direct]),
        ("direct: kernel uptime at /init", [r.get("guest_uptime_at_init_s") for r in direct]),
        ("snpvisor: QEMU start -> /init", [r.get("init") for r in snpv]),
        ("snpvisor: guest start -> /init (wall)",
         [r["init"] - r["guest"] if "init" in r and "guest" in r else None for r in snpv]),
        ("snpvisor: kernel uptime at /init", [r.get("uptime") for r in snpv]),
    ]
    print(f"  {'':<40} {'each boot':<24} {'min':>7} {'median':>7}")
    for label, vals in rows:
        each = " ".join("-" if v is None else f"{v:.2f}" for v in vals)
        lo, med = _mm(vals)
        print(f"  {label:<40} {each:<24} {lo:>7} {med:>7}")

    def ratio(a, b):
        a = [x for x in a if x is not None]
        b = [x for x in b if x is not None]
        if not a or not b:
            return "-"
        return f"x{min(a) / min(b):.2f} (min) x{statistics.median(a) / statistics.median(b):.2f} (median)"

    print("  ratio snpvisor / direct, kernel uptime at /init: "
          + ratio(rows[4][1], rows[1][1]))
    print("  ratio snpvisor / direct, wall from kernel start (snpvisor: guest start; direct: "
          "QEMU start, firmware included): " + ratio(rows[3][1], rows[0][1]))
    print("  ratio snpvisor / direct, QEMU start -> /init (OVMF + hypervisor vs SeaBIOS): "
          + ratio(rows[2][1], rows[0][1]))
    if snpv:
        print(f"\n  exits during the snpvisor boots (whole guest run: boot, /init, power-off)")
        reasons = [k for k in snpv[0]["exits"] if k != "exits"]
        print(f"  {'reason':<10} " + " ".join(f"{'boot ' + str(i + 1) + ' count':>14} {'/s':>8} "
                                              f"{'share':>6}" for i in range(len(snpv))))
        for k in ["exits"] + reasons:
            line = f"  {('total' if k == 'exits' else k):<10} "
            for r in snpv:
                n, tot, eps = r["exits"].get(k, 0), r["exits"].get("exits", 0), r["exits_per_s"]
                per_s = n * eps / tot if tot and eps else 0
                share = 100.0 * n / tot if tot else 0
                line += f" {n:>14} {per_s:>8.0f} {share:>5.1f}%"
            print(line)
    nvme = os.path.join(ROOT, "tests", "qemu", "linux-nvme.cfg")
    dread = [r.get("read_mib_s_guest") for r in direct]
    if os.path.exists(nvme):
        vals = []
        for i in range(runs):
            r, err = _run_snpv(build, nvme, scenarios, qemu_run)
            vals.append(r.get("read_mib_s") if r else None)
            if err:
                print("  FAILED linux-nvme: " + err)
        print(f"\n  NVMe read in the guest (MiB/s, guest clock): snpvisor linux-nvme "
              f"{' '.join('-' if v is None else f'{v:.1f}' for v in vals)}, direct "
              f"{' '.join('-' if v is None else f'{v:.1f}' for v in dread)}")
    else:
        # without tests/qemu/linux-nvme.cfg (a trimmed tree): when
        # tests/qemu/linux-nvme.cfg exists its NVME-READ-END lines are compared
        # with the direct boots' read rate above.
        print("\n  NVMe read in the guest: NOT MEASURED under snpvisor: tests/qemu/linux-nvme.cfg "
              "does not exist yet (hook in tools/bench_tables.py); direct boots: "
              f"{' '.join('-' if v is None else f'{v:.1f}' for v in dread)} MiB/s (guest clock)")
