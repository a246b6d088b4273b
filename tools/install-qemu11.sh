#!/bin/sh
# Fetches QEMU 11.1 and its OVMF from Debian trixie-backports into a private
# prefix (default build/qemu-11) without touching the host's packages or apt
# state: own apt Dir, empty dpkg status, --download-only, dpkg-deb -x.
# Leaves PREFIX/qemu-system-x86_64, a wrapper that runs the prefix's QEMU
# through the prefix's own loader, libraries, modules and firmware, so
# QEMU=PREFIX/qemu-system-x86_64 works from any folder.
# Cached behind PREFIX/.stamp (delete it, or the prefix, to fetch again).
# Recipe measured in shared/docs/qemu-facts.md ("A newer QEMU (11.1)").
set -eu
PREFIX=${1:-build/qemu-11}
MIRROR=${SNPV_DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
PKGS="qemu-system-x86 ovmf"
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
STAMP=$PREFIX/.stamp
WRAP=$PREFIX/qemu-system-x86_64
if [ -f "$STAMP" ] && [ -x "$WRAP" ]; then
  [ "${SNPV_VERBOSE:-0}" = 1 ] && echo "install-qemu11: $(cat "$STAMP") in $PREFIX"
  exit 0
fi
fail() {
  echo "install-qemu11: $*" >&2
  echo "install-qemu11: QEMU 11.1 is not installed; the qemu11/ scenarios will be skipped" \
       "(retry: rm -rf $PREFIX; make qemu11)" >&2
  exit 1
}
[ -r "$KEYRING" ] || fail "no $KEYRING (apt-get install debian-archive-keyring)"
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || fail "needs apt-get and dpkg-deb"

A=$PREFIX/apt
R=$PREFIX/root
rm -rf "$A" "$R"
mkdir -p "$A/etc/apt/apt.conf.d" "$A/etc/apt/preferences.d" "$A/etc/apt/sources.list.d" \
         "$A/etc/apt/trusted.gpg.d" "$A/state/lists/partial" "$A/cache/archives/partial" \
         "$A/dpkg" "$R"
: > "$A/dpkg/status"
cat > "$A/etc/apt/sources.list" <<SRC
deb [signed-by=$KEYRING] $MIRROR trixie main
deb [signed-by=$KEYRING] $MIRROR trixie-backports main
SRC
# Every path apt reads or writes lies under $A: host configuration, lists,
# cache and dpkg database are neither read nor changed.
cat > "$A/apt.conf" <<CONF
Dir "$A/";
Dir::Etc "$A/etc/apt/";
Dir::Etc::main "$A/etc/apt/apt.conf";
Dir::Etc::parts "$A/etc/apt/apt.conf.d/";
Dir::State "$A/state/";
Dir::State::status "$A/dpkg/status";
Dir::Cache "$A/cache/";
Dir::Log "$A/log/";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Get::Assume-Yes "true";
APT::Install-Recommends "false";
Debug::NoLocking "true";
Acquire::Languages "none";
CONF
export APT_CONFIG="$A/apt.conf"
echo "install-qemu11: fetching $PKGS from trixie-backports into $PREFIX"
apt-get -q update > "$A/update.log" 2>&1 \
  || fail "apt-get update of trixie + trixie-backports failed (network? mirror $MIRROR): $(tail -n 3 "$A/update.log" | tr '\n' ' ')"
apt-get -q install --download-only -t trixie-backports $PKGS > "$A/install.log" 2>&1 \
  || fail "apt-get --download-only $PKGS failed: $(tail -n 3 "$A/install.log" | tr '\n' ' ')"
n=0
for deb in "$A"/cache/archives/*.deb; do
  [ -f "$deb" ] || continue
  dpkg-deb -x "$deb" "$R" || fail "dpkg-deb -x $deb failed"
  n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "apt-get downloaded no package"
BIN=$R/usr/bin/qemu-system-x86_64
LD=$R/usr/lib64/ld-linux-x86-64.so.2
[ -x "$BIN" ] || fail "no $BIN in the downloaded packages"
[ -e "$LD" ] || fail "no loader $LD in the downloaded packages"
for f in OVMF_CODE_4M.fd OVMF_VARS_4M.fd; do
  [ -f "$R/usr/share/OVMF/$f" ] || fail "no $R/usr/share/OVMF/$f"
done
cat > "$WRAP" <<W
#!/bin/sh
# QEMU from trixie-backports, run through its own loader and libraries
# (tools/install-qemu11.sh). Firmware: \$(dirname \$0)/OVMF_CODE_4M.fd, OVMF_VARS_4M.fd
R=\$(dirname "\$(readlink -f "\$0")")/root
export QEMU_MODULE_DIR="\$R/usr/lib/x86_64-linux-gnu/qemu"
exec "\$R/usr/lib64/ld-linux-x86-64.so.2" --library-path "\$R/usr/lib/x86_64-linux-gnu:\$R/lib/x86_64-linux-gnu" \\
  "\$R/usr/bin/qemu-system-x86_64" -L "\$R/usr/share/qemu" -L "\$R/usr/share/seabios" "\$@"
W
chmod +x "$WRAP"
ln -sf root/usr/share/OVMF/OVMF_CODE_4M.fd "$PREFIX/OVMF_CODE_4M.fd"
ln -sf root/usr/share/OVMF/OVMF_VARS_4M.fd "$PREFIX/OVMF_VARS_4M.fd"
ver=$("$WRAP" -version 2>&1 | head -n 1) || fail "the installed QEMU does not run: $ver"
# keep only the logs and the configuration: lists and caches are ~140 MB
rm -rf "$A/cache" "$A/state/lists"
echo "$ver ($n packages)" > "$STAMP"
echo "install-qemu11: $ver in $PREFIX ($n packages, $(du -sm "$PREFIX" | cut -f1) MB)"
