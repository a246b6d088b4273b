#!/bin/sh
# Boots the Debian kernel of build/linux DIRECTLY under QEMU (no snpvisor)
# with an NVMe disk of seeded random bytes: the guest's uname line, the disk
# hash it prints and the region it writes are checked by tools/linux_direct.py
# (docs/linux.md). The assets come from tools/fetch-linux.sh (a no-op when
# they are up to date).
set -eu
B=${SNPV_BUILD:-build}
fail() { echo "FAIL: $*"; exit 1; }
sh tools/fetch-linux.sh "$B/linux" || fail "tools/fetch-linux.sh failed (see above)"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
# Cached: a second run touches nothing.
m0=$(stat -c %Y.%s "$B/linux/vmlinuz" "$B/linux/initramfs.cpio")
out=$(sh tools/fetch-linux.sh "$B/linux") || fail "second fetch-linux.sh run failed: $out"
echo "$out" | grep -q "up to date" || fail "second fetch-linux.sh run was not a no-op: $out"
[ "$m0" = "$(stat -c %Y.%s "$B/linux/vmlinuz" "$B/linux/initramfs.cpio")" ] ||
	fail "second fetch-linux.sh run rewrote the assets"
python3 tools/linux_direct.py --build "$B" --disk-mib 16 --log "$T/console" --json "$T/fig.json" ||
	{ tail -n 20 "$T/console"; fail "direct boot checks failed"; }
# The runner must fail when the guest's hash cannot match: a wrong expected
# release is one failure it has to report.
if python3 tools/linux_direct.py --build "$B" --disk-mib 8 --release not-this-release \
	>"$T/neg" 2>&1; then
	fail "linux_direct.py passed with a wrong expected release"
fi
grep -q "FAIL uname" "$T/neg" || fail "no 'FAIL uname' line: $(tail -n 3 "$T/neg")"
echo ok
