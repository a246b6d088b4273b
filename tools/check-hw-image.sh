#!/bin/sh
# The hardware image holds no test code (docs/ARCHITECTURE.md "Two images"):
#   check-hw-image.sh MAP SO
# MAP is ld's map of the image, SO the linked hv.so. Rejects the image when
#  1. the map names an object of hv/scenarios/ (test scenarios, test-only
#     hypercalls),
#  2. the symbol table holds a scenario or test-hypercall symbol: scenario_*
#     other than the registry's scenario_find/scenario_list, the test table
#     `scenarios`, the HC_DMA_PHASE implementation (hc_dma_phase and its
#     checksum state); the HC_BENCH_MARK case lives in hc_test_call, see 3,
#  3. hc_test_call or test_scenario_find is not the hardware stand-in's
#     (hv/svm/hc_test_none.o, hv/platform/scenario_none.o).
# Run when build/hv.so is linked and by tests/host/check_hw_image.sh.
set -eu
map=$1 so=$2
fail=0
say() { echo "check-hw-image: $*" >&2; fail=1; }

[ -r "$map" ] || { echo "check-hw-image: no map file $map" >&2; exit 2; }
[ -r "$so" ] || { echo "check-hw-image: no image $so" >&2; exit 2; }

objs=$(grep -oE '[^ ()]*hv/scenarios/[A-Za-z0-9_]+\.o' "$map" | sort -u || true)
[ -z "$objs" ] || say "test objects linked into $so: $(echo $objs)"

syms=$(nm "$so" | awk '{ print $NF }' | grep -E \
  '^(scenario_[A-Za-z0-9_]+|scenarios|hc_dma_phase|checksum_all|fill_targets|phases|sum_(before|after))$' \
  | grep -vxE 'scenario_find|scenario_list' | sort -u || true)
[ -z "$syms" ] || say "test symbols in $so: $(echo $syms)"

# The object that defines sym, from the map: the last input-section line
# naming an object before the symbol's line.
definer() {
  awk -v s="$1" '
    / 0x[0-9a-f]+ +0x[0-9a-f]+ [^ ]+\.o/ { o = $NF }
    $1 ~ /^0x/ && $2 == s && NF == 2 { print o; exit }' "$map"
}
for pair in hc_test_call:hv/svm/hc_test_none.o test_scenario_find:hv/platform/scenario_none.o; do
  sym=${pair%%:*} want=${pair#*:}
  got=$(definer "$sym")
  case "$got" in
  *"$want") ;;
  *) say "$sym comes from ${got:-nowhere}, not the hardware stand-in $want" ;;
  esac
done

[ $fail = 0 ] || { echo "check-hw-image: $so is not a hardware image (test code inside)" >&2; exit 1; }
