#!/bin/sh
# The layer check (tools/check-layers.py, docs/ARCHITECTURE.md "Layers"):
# the tree has no include against the layer table and no include cycle
# between folders; and the check catches each kind of mistake, shown on small
# trees made here: an upward include, an include cycle between two folders,
# guest code including a hypervisor header, gmem including xcheck.
set -eu
fail() { echo "FAIL: $*"; exit 1; }
chk=tools/check-layers.py
out=$(python3 "$chk" .) || { echo "$out"; fail "the tree breaks the layer table"; }
echo "$out" | tail -1
# docs/ARCHITECTURE.md shows the table the script enforces, row for row.
python3 "$chk" --markdown | while IFS= read -r row; do
  grep -qxF -- "$row" docs/ARCHITECTURE.md || fail "docs/ARCHITECTURE.md lacks the row: $row"
done
# Every folder of the table says what lives there.
for d in $(python3 "$chk" --folders); do
  [ -f "$d/README.md" ] || fail "$d has no README.md saying what lives there"
done

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mk() { mkdir -p "$t/$1/$(dirname "$2")"; printf '%s\n' "$3" >"$t/$1/$2"; }
expect_bad() { # case, expected text
  if o=$(python3 "$chk" "$t/$1"); then fail "case $1 passed the check:
$o"; fi
  echo "$o" | grep -q "$2" || fail "case $1: no line with '$2' in:
$o"
  echo "caught ($1): $(echo "$o" | head -1)"
}
# A clean tree passes.
mk ok hv/base/types.h '/* types */'
mk ok hv/mm/pt.h '#include "hv/base/types.h"'
python3 "$chk" "$t/ok" >/dev/null || fail "a clean tree fails the check"
# Upward include: the page-table engine reaching into the guest lifecycle.
mk up hv/vm/guest.h '/* guests */'
mk up hv/mm/pt.c '#include "hv/vm/guest.h"'
expect_bad up "hv/mm may not include hv/vm"
# A cycle between two folders is named as such (besides its upward include).
mk cyc hv/svm/a.h '#include "hv/vm/b.h"'
mk cyc hv/vm/b.h '#include "hv/svm/c.h"'
mk cyc hv/svm/c.h '/* c */'
expect_bad cyc "include cycle between folders: hv/svm <-> hv/vm"
# Guest code sees only the guest ABI and the SNP codec.
mk guest guest/lib/x.c '#include "snp/rmp.h"'
mk guest snp/rmp.h '/* the RMP: hypervisor side of the snp library */'
expect_bad guest "guest code includes only"
# xcheck depends on gmem, not the reverse.
mk gx hv/core/gmem.c '#include "hv/core/xcheck.h"'
mk gx hv/core/xcheck.h '/* xcheck */'
expect_bad gx "gmem does not depend on xcheck"
echo ok
