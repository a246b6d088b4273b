#!/bin/sh
# The experiment runner (tools/experiment.py) on a tiny sweep: two points of
# tools/experiments/smoke.toml through build/bench-host. Its CSV has one row
# per point with the run's metadata, one plot exists as PNG and SVG, and the
# report embeds the plot and the table. The qemu runner's template filling,
# output parsing and [derive] on a canned output. A broken experiment file is
# refused with a message naming it.
set -eu
fail() { echo "FAIL: $*"; exit 1; }
PY=/usr/bin/python3 # Debian's, with python3-matplotlib (tools/install-deps.sh)
build=${BUILD:-build}
[ -x "$build/bench-host" ] || fail "$build/bench-host missing: make"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
$PY tools/experiment.py run smoke --build "$build" --out "$t/smoke" >"$t/log" 2>&1 \
  || { cat "$t/log"; fail "the smoke experiment failed"; }
csv="$t/smoke/results.csv"
rows=$(($(wc -l <"$csv") - 1))
[ "$rows" -eq 2 ] || fail "$rows CSV rows, expected 2"
head -1 "$csv" | grep -q 'table_pages' || fail "no table_pages column"
head -1 "$csv" | grep -q 'commit,qemu,machine' || fail "no commit/qemu/machine columns"
for m in npt-only duplicated; do grep -q ",$m," "$csv" || fail "no row for mode $m"; done
# the duplicated mode has its own IOMMU table: more table pages than npt-only
$PY - "$csv" <<'PYEOF' || fail "duplicated has no more table pages than npt-only"
import csv, sys
r = {x["mode"]: int(x["table_pages"]) for x in csv.DictReader(open(sys.argv[1]))}
sys.exit(0 if r["duplicated"] > r["npt-only"] > 0 else 1)
PYEOF
for ext in png svg; do [ -s "$t/smoke/tables.$ext" ] || fail "no tables.$ext"; done
head -c 8 "$t/smoke/tables.png" | od -An -c | grep -q 'P   N   G' || fail "tables.png is no PNG"
grep -q '(tables.svg)' "$t/smoke/README.md" || fail "the report does not embed the plot"
grep -q '^| p_mode |' "$t/smoke/README.md" || fail "the report has no table"
# the qemu runner's parts without QEMU: a cfg with {param} fields and other
# braces, a qemu_run.py output (hypervisor METRIC lines, a guest's @@ lines
# through kmsg, the summary, the NVMe verdict) and [derive]
$PY - <<'PYEOF' || fail "the qemu runner's template, row or derive is wrong"
import sys
sys.path.insert(0, "tools")
import experiment as x
p = {"guest": "linux-snp-nvme", "rep": 2}
assert x.fill("tests/qemu/{guest}.cfg [0-9a-f]{64} {nope} {rep}", p) == \
    "tests/qemu/linux-snp-nvme.cfg [0-9a-f]{64} {nope} 2"
out = """[linux] [    2.130000] @@ LINUX-INIT uptime_cs=213
[linux] @@ NVME-READ-END bytes=67108864 cs=50
[linux] @@ NVME-WRITE PASS off=4096 len=8192
@@ METRIC gmem.linux.conversions 17560 pages
@@ METRIC dev.linux.00:03.0.private_mapped 0 pages
guest linux: the line @@ NOT-A-GUEST x=1 is the hypervisor's
snpvisor run: hypervisor exit 0 after 98.5 s; 12 checks passed, 0 failed
nvme: image checks passed
"""
row, ok = x.qemu_row(out)
assert ok, row
want = {"linux_init_uptime_cs": "213", "nvme_read_end_bytes": "67108864", "nvme_read_end_cs": "50",
        "nvme_write_off": "4096", "gmem.linux.conversions": "17560",
        "dev.linux.00:03.0.private_mapped": "0", "run_s": "98.5"}
assert all(row.get(k) == v for k, v in want.items()) and "not_a_guest_x" not in row, row
assert not x.qemu_row(out.replace("image checks passed", "written region differs"))[1]
x.derive({"derive": {"mib_s": "nvme_read_end_bytes / (nvme_read_end_cs / 100) / 1048576",
                     "bad": "no_such_column + 1"}}, row)
assert row["mib_s"] == "128" and row["bad"] == "", row
PYEOF
# a broken experiment file is refused, naming the file
mkdir -p "$t/bad"
if o=$($PY tools/experiment.py run no-such-experiment --out "$t/bad" 2>&1); then
  fail "an unknown experiment was accepted"; fi
echo "$o" | grep -q 'tools/experiments/no-such-experiment.toml' || fail "unclear refusal: $o"
echo "ok: $rows rows, plot and report"
