#!/bin/sh
# tools/install-deps.sh: silent and successful when everything is there
# (idempotent); a clear message and failure when something is missing and we
# are not root.
set -eu
fail() { echo "FAIL: $*"; exit 1; }
out=$(sh tools/install-deps.sh 2>&1) || fail "install-deps failed with everything installed: $out"
[ -z "$out" ] || fail "install-deps printed something with nothing to do: $out"
out=$(sh tools/install-deps.sh 2>&1) || fail "second run failed: $out"
command -v setpriv >/dev/null || { echo "setpriv missing: skipping the non-root half"; exit 0; }
if out=$(SNPV_DEPS_EXTRA="snpv-no-such-package:/nonexistent/snpv" setpriv --reuid=65534 --regid=65534 --clear-groups sh tools/install-deps.sh 2>&1); then
  fail "non-root run with a missing package succeeded: $out"
fi
echo "$out" | grep -q "not root, cannot install. Run as root: apt-get install snpv-no-such-package" \
  || fail "unclear non-root message: $out"
echo ok
