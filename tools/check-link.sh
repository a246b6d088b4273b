#!/bin/sh
# Link checks for hv.so (issue: foundation, item 6):
#  1. no undefined symbols (ld --no-undefined catches most; dynamic ones here),
#  2. only R_X86_64_RELATIVE relocations: gnu-efi's _relocate silently skips
#     every other type (qemu-facts.md),
#  3. no SSE/AVX instructions in the hypervisor's own objects (newlib may use
#     SSE: guest FPU state is saved on every exit).
set -eu
so=$1; shift
fail=0
und=$(nm -D --undefined-only "$so" 2>/dev/null || true)
if [ -n "$und" ]; then
  echo "check-link: undefined symbols in $so:" >&2; echo "$und" >&2; fail=1
fi
bad=$(readelf -rW "$so" | awk '/^[0-9a-f]+ +[0-9a-f]+ +R_X86_64_/ { if ($3 != "R_X86_64_RELATIVE") print }')
if [ -n "$bad" ]; then
  echo "check-link: relocations other than R_X86_64_RELATIVE in $so (gnu-efi would skip them):" >&2
  echo "$bad" | head -20 >&2; fail=1
fi
for o in "$@"; do
  sse=$(objdump -d --no-show-raw-insn "$o" | grep -E '%[xyz]mm[0-9]|\b(movaps|movups|movdqa|movdqu|pxor|xorps|cvt[a-z0-9]+|ldmxcsr|stmxcsr)\b' | grep -vE '\b(fxsave|fxrstor|xsave|xrstor)' | head -5 || true)
  if [ -n "$sse" ]; then
    echo "check-link: SSE/AVX instructions in hypervisor object $o:" >&2; echo "$sse" >&2; fail=1
  fi
done
[ $fail = 0 ] || { echo "check-link: $so rejected" >&2; exit 1; }
