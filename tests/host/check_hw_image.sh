#!/bin/sh
# tools/check-hw-image.sh must accept the hardware image build/hv.so and
# reject anything holding test code: the test image itself, and each of its
# three rules on its own. Run by tests/run_tests.py.
set -eu
B=${SNPV_BUILD:-build}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
chk() { sh tools/check-hw-image.sh "$@" 2>"$T/err"; }

for f in hv.map hv.so hv-test.map hv-test.so; do
  [ -r "$B/$f" ] || fail "$B/$f missing: run make"
done

# 1. The hardware image passes, and really is without the scenario objects.
chk "$B/hv.map" "$B/hv.so" || fail "the hardware image is rejected: $(cat "$T/err")"
if grep -q 'hv/scenarios/' "$B/hv.map"; then fail "hv.map names hv/scenarios objects"; fi
nm "$B/hv.so" | grep -qw scenario_find || fail "no scenario registry in hv.so?"
nm "$B/hv.so" | grep -qw guests_run || fail "no guests_run in hv.so: the production path is gone"

# 2. The test image is rejected, for all three reasons.
if chk "$B/hv-test.map" "$B/hv-test.so"; then fail "hv-test.so accepted as a hardware image"; fi
grep -q "test objects linked" "$T/err" || fail "no object message: $(cat "$T/err")"
grep -q "test symbols in .*scenario_boot" "$T/err" || fail "no symbol message: $(cat "$T/err")"
grep -q "hc_test_call comes from .*hv/scenarios/hc_test.o" "$T/err" ||
  fail "no stand-in message: $(cat "$T/err")"

# 3. Each rule alone: the hardware map with the test image's symbols ...
if chk "$B/hv.map" "$B/hv-test.so"; then fail "test symbols accepted"; fi
grep -q "test symbols in" "$T/err" || fail "no symbol message: $(cat "$T/err")"
grep -q "test objects linked" "$T/err" && fail "object message without test objects"
# ... and one scenario object named in an otherwise clean map.
sed 's#hv/svm/hc_test_none\.o#hv/scenarios/hc_test.o#' "$B/hv.map" >"$T/one.map"
if chk "$T/one.map" "$B/hv.so"; then fail "a map naming hv/scenarios/hc_test.o accepted"; fi
grep -q "test objects linked .*hc_test.o" "$T/err" || fail "no object message: $(cat "$T/err")"
grep -q "hc_test_call comes from .*hv/scenarios/hc_test.o" "$T/err" ||
  fail "no stand-in message: $(cat "$T/err")"
echo "ok"
