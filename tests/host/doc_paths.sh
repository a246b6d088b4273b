#!/bin/sh
# Every file path a document names in backquotes exists (tools/check-doc-paths.py):
# a moved or removed file cannot leave a stale document behind. The check
# itself is shown to catch a missing path on a document made here.
set -eu
fail() { echo "FAIL: $*"; exit 1; }
out=$(python3 tools/check-doc-paths.py .) || { echo "$out"; fail "documents name missing files"; }
echo "$out" | tail -1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
git init -q "$t"
mkdir -p "$t/hv/core" "$t/docs"
echo '/* gmem */' >"$t/hv/core/gmem.c"
printf 'See `hv/core/gmem.c` and `hv/core/gmem.{c,h}` and `hv/gmem.c`.\n' >"$t/docs/x.md"
git -C "$t" add -A
if o=$(python3 tools/check-doc-paths.py "$t"); then fail "a stale path passed: $o"; fi
echo "$o" | grep -q 'names hv/core/gmem.h, which does not exist' || fail "brace form not checked: $o"
echo "$o" | grep -q 'names hv/gmem.c, which does not exist' || fail "stale path not named: $o"
echo "$o" | grep -q 'names hv/core/gmem.c,' && fail "an existing path was reported: $o"
echo ok
