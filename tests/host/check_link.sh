#!/bin/sh
# tools/check-link.sh must reject what gnu-efi cannot load or what breaks the
# no-SSE rule, and accept the real hv.so. Run by tests/run_tests.py.
set -eu
B=${SNPV_BUILD:-build}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. The real image passes.
sh tools/check-link.sh "$B/hv.so" || fail "check-link rejects the real hv.so"
sh tools/check-link.sh "$B/hv-test.so" || fail "check-link rejects the real hv-test.so"

# 2. An object with SSE instructions is rejected.
printf 'double f(double a, double b) { return a * b + 1.0; }\n' > "$T/sse.c"
gcc -O2 -c "$T/sse.c" -o "$T/sse.o"
if sh tools/check-link.sh "$B/hv.so" "$T/sse.o" 2>"$T/err"; then fail "SSE object accepted"; fi
grep -q "SSE/AVX instructions" "$T/err" || fail "no SSE message: $(cat "$T/err")"

# 3. The same code built the hypervisor's way is accepted.
gcc -O2 -mgeneral-regs-only -c "$T/sse.c" -o "$T/gpr.o" 2>/dev/null && fail "float code compiled without SSE?"
printf 'long g(long a, long b) { return a * b + 1; }\n' > "$T/gpr.c"
gcc -O2 -mgeneral-regs-only -c "$T/gpr.c" -o "$T/gpr.o"
sh tools/check-link.sh "$B/hv.so" "$T/gpr.o" || fail "integer object rejected"

# 4. A shared object with an absolute (non-RELATIVE) relocation is rejected.
printf 'extern int ext; int *p = &ext;\n' > "$T/rel.c"
gcc -fpic -c "$T/rel.c" -o "$T/rel.o"
ld -shared "$T/rel.o" -o "$T/rel.so"
if sh tools/check-link.sh "$T/rel.so" 2>"$T/err"; then fail "non-RELATIVE relocation accepted"; fi
grep -q "relocations other than R_X86_64_RELATIVE" "$T/err" || fail "no relocation message: $(cat "$T/err")"
echo "ok"
