#!/bin/sh
# The experiment runner (tools/experiment.py) on a tiny sweep: two points of
# tools/experiments/smoke.toml through build/bench-host. Its CSV has one row
# per point with the run's metadata, one plot exists as PNG and SVG, and the
# report embeds the plot and the table. A broken experiment file is refused
# with a message naming it.
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
# a broken experiment file is refused, naming the file
mkdir -p "$t/bad"
if o=$($PY tools/experiment.py run no-such-experiment --out "$t/bad" 2>&1); then
  fail "an unknown experiment was accepted"; fi
echo "$o" | grep -q 'tools/experiments/no-such-experiment.toml' || fail "unclear refusal: $o"
echo "ok: $rows rows, plot and report"
