#!/bin/sh
# Builds newlib (libc only) from Debian's newlib-source for a freestanding x86_64
# target, with the host gcc. Output: $OUT/install/x86_64-elf/{include,lib}.
# Cached: rebuilt only when the stamp (keyed on the flags and this script) changes.
# Facts used (../shared/docs/qemu-facts.md): the tarball unpacks to newlib-salsa/,
# no x86_64-elf cross compiler exists in Debian so the host gcc is named
# CC_FOR_TARGET, and syscalls are left to us (--disable-newlib-supplied-syscalls).
set -eu
OUT=${1:?usage: build-newlib.sh OUTDIR}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
TARBALL=${NEWLIB_TARBALL:-$(ls /usr/src/newlib/newlib-*.tar.* 2>/dev/null | head -n1)}
[ -n "$TARBALL" ] || { echo "build-newlib: no newlib tarball in /usr/src/newlib; run tools/install-deps.sh (package newlib-source)" >&2; exit 1; }

# -mno-red-zone: hypervisor code runs with interrupts/exceptions on its stack.
# -fpic: the UEFI image is relocated with R_X86_64_RELATIVE only.
# SSE is allowed inside newlib (its float code needs it); the hypervisor saves
# guest FPU/XMM state on every exit, and its own objects are built without SSE.
CFLAGS_T="-O2 -g -fpic -mno-red-zone -ffreestanding -fno-stack-protector -fno-builtin -fshort-wchar -D_POSIX_TIMERS=0"
CONF="--target=x86_64-elf --disable-newlib-supplied-syscalls --disable-multilib --disable-newlib-fvwrite-in-streamio --enable-newlib-io-long-long --enable-newlib-io-c99-formats --disable-newlib-wide-orient --enable-newlib-nano-formatted-io=no"
KEY=$(printf '%s\n%s\n%s\n' "$CFLAGS_T" "$CONF" "$(basename "$TARBALL")" | cat - "$0" | sha256sum | cut -c1-16)
STAMP="$OUT/stamp-$KEY"
if [ -f "$STAMP" ] && [ -f "$OUT/install/x86_64-elf/lib/libc.a" ]; then
  exit 0
fi
echo "build-newlib: building newlib from $TARBALL (about a minute; cached under $OUT)"
rm -rf "$OUT"
mkdir -p "$OUT/src" "$OUT/build"
tar -C "$OUT/src" -xf "$TARBALL"
SRC=$(ls -d "$OUT"/src/*/ | head -n1)
cd "$OUT/build"
"$SRC/configure" $CONF --prefix="$OUT/install" \
  CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld \
  RANLIB_FOR_TARGET=ranlib NM_FOR_TARGET=nm OBJCOPY_FOR_TARGET=objcopy \
  CFLAGS_FOR_TARGET="$CFLAGS_T" >"$OUT/configure.log" 2>&1 \
  || { echo "build-newlib: configure failed, see $OUT/configure.log" >&2; exit 1; }
make -j"$(nproc)" all-target-newlib >"$OUT/build.log" 2>&1 \
  || { echo "build-newlib: build failed, see $OUT/build.log" >&2; tail -20 "$OUT/build.log" >&2; exit 1; }
make install-target-newlib >"$OUT/install.log" 2>&1 \
  || { echo "build-newlib: install failed, see $OUT/install.log" >&2; exit 1; }
touch "$STAMP"
echo "build-newlib: done"
