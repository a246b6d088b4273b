#!/bin/sh
# Installs the Debian 12 packages snpvisor needs, only those that are missing.
# Idempotent: a second run with everything present does nothing and says so
# only when verbose (SNPV_VERBOSE=1). Must run as root to install.
set -eu
# package:file-or-command that proves it is installed
NEEDS="
qemu-system-x86:/usr/bin/qemu-system-x86_64
ovmf:/usr/share/OVMF/OVMF_CODE.fd
gnu-efi:/usr/lib/crt0-efi-x86_64.o
newlib-source:/usr/src/newlib
libcmocka-dev:/usr/include/cmocka.h
gcc:/usr/bin/gcc
make:/usr/bin/make
binutils:/usr/bin/objcopy
python3:/usr/bin/python3
python3-cryptography:/usr/lib/python3/dist-packages/cryptography
python3-matplotlib:/usr/lib/python3/dist-packages/matplotlib
clang:/usr/bin/clang
libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
xz-utils:/usr/bin/xz
texinfo:/usr/bin/makeinfo
gdb:/usr/bin/gdb
bear:/usr/bin/bear
"
# SNPV_DEPS_EXTRA adds entries (used by tests/host/install_deps.sh).
NEEDS="$NEEDS ${SNPV_DEPS_EXTRA:-}"
missing=""
for n in $NEEDS; do
  pkg=${n%%:*}; path=${n#*:}
  [ -e "$path" ] || missing="$missing $pkg"
done
if [ -z "$missing" ]; then
  [ "${SNPV_VERBOSE:-0}" = 1 ] && echo "install-deps: everything is installed"
  exit 0
fi
echo "install-deps: missing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: not root, cannot install. Run as root: apt-get install$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# An old or empty package list makes apt-get install fail: refresh it first.
apt-get update -q >/dev/null || { echo "install-deps: apt-get update failed" >&2; exit 1; }
apt-get install -y -q --no-install-recommends $missing \
  || { echo "install-deps: apt-get install$missing failed" >&2; exit 1; }
echo "install-deps: installed$missing"
