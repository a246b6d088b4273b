#!/bin/sh
# tools/fetch-linux.sh [OUT]: the Linux guest assets (docs/linux.md).
#
#   OUT/vmlinuz          the bzImage (a Debian kernel, never installed on the host)
#   OUT/vmlinuz.release  its release (what `uname -r` prints in the guest)
#   OUT/vmlinuz.source   where it came from (package and version, or the file named)
#   OUT/initramfs.cpio   newc archive: busybox + /init (tools/linux-init.sh)
#   OUT/busybox.version  the busybox-static package version
#
# OUT defaults to build/linux. Everything is cached behind OUT/.stamp: a
# second run with the same inputs does nothing.
#
# Environment:
#   LINUX_KERNEL=/path   use this kernel instead of the package: a Debian
#                        linux-image-*.deb or a bzImage file (vmlinuz-*)
#   LINUX_PKG=name       the kernel package (default linux-image-6.12-cloud-amd64)
#   LINUX_PKG_VERSION=v  pin that package version (default: apt's candidate)
#   BUSYBOX_PKG=name     default busybox-static
set -eu

OUT=${1:-${LINUX_OUT:-build/linux}}
LINUX_PKG=${LINUX_PKG:-linux-image-6.12-cloud-amd64}
LINUX_PKG_VERSION=${LINUX_PKG_VERSION:-}
BUSYBOX_PKG=${BUSYBOX_PKG:-busybox-static}
LINUX_KERNEL=${LINUX_KERNEL:-}
HERE=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "fetch-linux: error: $*" >&2
	exit 1
}
say() { echo "fetch-linux: $*"; }

for t in python3 dpkg-deb sha256sum; do
	command -v "$t" >/dev/null || die "$t not found: run 'make deps' (or apt-get install $t)"
done

# ---- the stamp: inputs that change the result ------------------------------
if [ -n "$LINUX_KERNEL" ]; then
	[ -f "$LINUX_KERNEL" ] || die "LINUX_KERNEL=$LINUX_KERNEL is not a file: name a linux-image-*.deb or a bzImage (e.g. /boot/vmlinuz-...)"
	LINUX_KERNEL=$(cd "$(dirname "$LINUX_KERNEL")" && pwd)/$(basename "$LINUX_KERNEL")
	ksrc="file:$LINUX_KERNEL:$(sha256sum "$LINUX_KERNEL" | cut -d' ' -f1)"
else
	ksrc="apt:$LINUX_PKG${LINUX_PKG_VERSION:+=$LINUX_PKG_VERSION}"
fi
gen=$(cat "$HERE/fetch-linux.sh" "$HERE/linux-init.sh" "$HERE/mkinitramfs.py" | sha256sum | cut -d' ' -f1)
key="kernel=$ksrc busybox=$BUSYBOX_PKG gen=$gen"
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$key" ] &&
	[ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initramfs.cpio" ]; then
	say "up to date: $(cat "$OUT/vmlinuz.source") ($(cat "$OUT/vmlinuz.release"))"
	exit 0
fi

mkdir -p "$OUT"
rm -f "$OUT/.stamp"
DEBS=$OUT/debs
mkdir -p "$DEBS"

# apt-get download NAME[=VERSION] into $DEBS; prints the .deb's path.
# Refreshes the package lists once when apt does not know the package.
fetch_deb() {
	spec=$1
	log=$OUT/apt.log
	if ! (cd "$DEBS" && apt-get download "$spec") >"$log" 2>&1; then
		if [ "$(id -u)" = 0 ]; then
			say "apt-get download $spec failed; running apt-get update once" >&2
			apt-get update >>"$log" 2>&1 || die "apt-get update failed (see $log): check /etc/apt/sources.list and that the Debian archive is reachable"
			(cd "$DEBS" && apt-get download "$spec") >>"$log" 2>&1 ||
				die "apt-get download $spec failed (see $log). The kernel package is in bookworm-security: add 'deb http://deb.debian.org/debian-security bookworm-security main' to the apt sources, or pin an available version with LINUX_PKG_VERSION= (apt-cache policy ${spec%%=*}), or name a kernel file with LINUX_KERNEL=/path"
		else
			die "apt-get download $spec failed (see $log) and we are not root, so the package lists cannot be refreshed: run 'apt-get update' as root, or name a kernel file with LINUX_KERNEL=/path"
		fi
	fi
	name=${spec%%=*}
	# The newest matching file (apt names it NAME_VERSION_ARCH.deb with ':' as %3a).
	f=$(ls -t "$DEBS/${name}"_*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] || die "apt-get download $spec left no ${name}_*.deb in $DEBS"
	echo "$f"
}

# ---- the kernel --------------------------------------------------------------
KROOT=$OUT/kernel-root
rm -rf "$KROOT"
kdeb=
if [ -z "$LINUX_KERNEL" ]; then
	spec=$LINUX_PKG${LINUX_PKG_VERSION:+=$LINUX_PKG_VERSION}
	rm -f "$DEBS/${LINUX_PKG}"_*.deb
	kdeb=$(fetch_deb "$spec")
elif dpkg-deb -f "$LINUX_KERNEL" Package >/dev/null 2>&1; then
	kdeb=$LINUX_KERNEL
fi
# A meta package (linux-image-6.12-cloud-amd64 is one) holds no kernel but
# depends on the versioned image package with "(= version)": follow it.
hops=0
while [ -n "$kdeb" ] && [ -z "$LINUX_KERNEL" ] && ! dpkg-deb -c "$kdeb" | grep '/boot/vmlinuz-' >/dev/null; do
	dep=$(dpkg-deb -f "$kdeb" Depends | tr ',' '\n' |
		sed -n 's/^ *\(linux-image-[^ ]*\) *(= *\([^)]*\)).*/\1=\2/p' | head -n 1)
	[ -n "$dep" ] && [ $hops -lt 2 ] ||
		die "$kdeb holds no boot/vmlinuz-* and depends on no exact linux-image-* version: name the real linux-image-<release> package with LINUX_PKG="
	say "$(dpkg-deb -f "$kdeb" Package) is a meta package: fetching $dep"
	rm -f "$DEBS/${dep%%=*}"_*.deb
	kdeb=$(fetch_deb "$dep")
	hops=$((hops + 1))
done
if [ -n "$kdeb" ]; then
	kpkg=$(dpkg-deb -f "$kdeb" Package)
	kver=$(dpkg-deb -f "$kdeb" Version)
	case $kpkg in
	linux-image-*) ;;
	*) die "$kdeb is package $kpkg, not a linux-image-* kernel package" ;;
	esac
	dpkg-deb -x "$kdeb" "$KROOT"
	set -- "$KROOT"/boot/vmlinuz-*
	[ -f "$1" ] || die "$kdeb ($kpkg $kver) holds no boot/vmlinuz-*: is it a signed-image wrapper or a meta package? Name the real linux-image-<release> package"
	[ $# -eq 1 ] || die "$kdeb holds several kernels: $*"
	cp "$1" "$OUT/vmlinuz.tmp"
	echo "$kpkg $kver" >"$OUT/vmlinuz.source.tmp"
else
	cp "$LINUX_KERNEL" "$OUT/vmlinuz.tmp"
	echo "file $LINUX_KERNEL" >"$OUT/vmlinuz.source.tmp"
fi
# The release string of the setup header (boot.rst: kernel_version at 0x20E
# points, minus 0x200, to a NUL-terminated string whose first word is the
# release).
rel=$(python3 - "$OUT/vmlinuz.tmp" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read(65536)
if len(b) < 0x270 or b[0x202:0x206] != b"HdrS":
    sys.exit("not a bzImage (no 'HdrS' at 0x202)")
ver, = struct.unpack_from("<H", b, 0x206)
if ver < 0x20c:
    sys.exit("boot protocol %d.%02d < 2.12: no 64-bit entry" % (ver >> 8, ver & 0xff))
ptr, = struct.unpack_from("<H", b, 0x20e)
s = b[ptr + 0x200:ptr + 0x300].split(b"\0")[0].decode("ascii", "replace")
if not s:
    sys.exit("no kernel_version string")
print(s.split()[0])
EOF
) || die "$(cat "$OUT/vmlinuz.source.tmp") is not a usable 64-bit bzImage (see the message above); name another kernel with LINUX_KERNEL=/path"
mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
mv "$OUT/vmlinuz.source.tmp" "$OUT/vmlinuz.source"
echo "$rel" >"$OUT/vmlinuz.release"
say "kernel: $(cat "$OUT/vmlinuz.source"), release $rel -> $OUT/vmlinuz"

# ---- busybox -------------------------------------------------------------------
BROOT=$OUT/busybox-root
rm -rf "$BROOT"
rm -f "$DEBS/${BUSYBOX_PKG}"_*.deb
bdeb=$(fetch_deb "$BUSYBOX_PKG")
dpkg-deb -x "$bdeb" "$BROOT"
[ -x "$BROOT/bin/busybox" ] || die "$bdeb holds no bin/busybox"
# The top-level Makefile includes every *.d under build/ as a dependency
# file: drop the packages' *.d folders and files (conf-hooks.d, postinst.d).
mkdir -p "$KROOT"
find "$KROOT" "$BROOT" -depth -name '*.d' -exec rm -rf {} +
dpkg-deb -f "$bdeb" Version >"$OUT/busybox.version"
say "busybox: $BUSYBOX_PKG $(cat "$OUT/busybox.version")"

# ---- initramfs -------------------------------------------------------------------
# The modules /init loads for snpv.attest=1 (docs/linux.md "Attestation from
# Linux"), in load order: the AES-GCM template and GHASH, which sev-guest's
# probe asks the crypto API for ("gcm(aes)"; there is no modprobe to load
# them on demand), then configfs-tsm and the SNP guest driver. mkinitramfs.py
# adds their dependencies and decompresses them. Only from a kernel package (a bare
# bzImage comes without modules: /init then reports ATTEST-FAIL).
ATTEST_MODULES="gcm ghash-generic tsm sev-guest"
set --
if [ -d "$KROOT/lib/modules/$rel" ]; then
	set -- --modules "$KROOT/lib/modules/$rel" $ATTEST_MODULES
	say "initramfs modules: $ATTEST_MODULES (and their dependencies)"
fi
python3 "$HERE/mkinitramfs.py" --busybox "$BROOT/bin/busybox" --init "$HERE/linux-init.sh" \
	"$@" -o "$OUT/initramfs.cpio.tmp" || die "building the initramfs failed"
mv "$OUT/initramfs.cpio.tmp" "$OUT/initramfs.cpio"
say "initramfs: $OUT/initramfs.cpio ($(wc -c <"$OUT/initramfs.cpio") bytes)"

echo "$key" >"$OUT/.stamp"
