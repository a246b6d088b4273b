#!/bin/sh
# tests/data/ivrs is a copy of ../shared/testdata/ivrs (tests/data/README.md):
# identical when the shared folder is beside the checkout; otherwise every
# copied table must at least be an IVRS table whose length field is its size.
set -eu
fail() { echo "FAIL: $*"; exit 1; }
copy=tests/data/ivrs
[ -d "$copy" ] || fail "$copy is missing"
if [ -d ../shared/testdata/ivrs ]; then
  diff -r ../shared/testdata/ivrs "$copy" >/dev/null \
    || fail "$copy differs from ../shared/testdata/ivrs: cp ../shared/testdata/ivrs/* $copy/"
fi
n=0
for f in "$copy"/*.bin; do
  [ "$(head -c 4 "$f")" = IVRS ] || fail "$f has no IVRS signature"
  len=$(od -An -t u4 -j 4 -N 4 "$f" | tr -d ' ')
  [ "$len" -eq "$(wc -c <"$f")" ] || fail "$f: length field $len, file $(wc -c <"$f") bytes"
  n=$((n + 1))
done
[ "$n" -ge 13 ] || fail "only $n tables in $copy"
echo ok
