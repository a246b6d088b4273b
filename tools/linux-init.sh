#!/bin/sh
# /init of the Linux guest's initramfs (tools/fetch-linux.sh, docs/linux.md).
# Prints result lines starting with "@@ " for tools/linux_direct.py and, later,
# the hypervisor's runner:
#   @@ LINUX-INIT uptime_cs=<n>                 /init started (kernel uptime, 1/100 s)
#   @@ LINUX-UNAME <release>                    uname -r
#   @@ LINUX-SERIAL <kernel line>               how the kernel registered ttyS0
#   @@ NVME-NONE                                no /dev/nvme0n1
#   @@ NVME-READ-START / NVME-READ-END bytes=<n> cs=<n>   <passes> full O_DIRECT reads
#   @@ NVME-SHA256 <hex> <bytes>                 the whole disk's SHA-256
#   @@ NVME-WRITE PASS|FAIL off=<n> len=<n> [why]
#   @@ ATTEST-MEASUREMENT <96 hex>              snpv.attest=1: MEASUREMENT of an SNP report
#   @@ ATTEST-REPORT bytes=<n> report_data=PASS|FAIL vmpl=<n>   (configfs-tsm)
#   @@ ATTEST-FAIL <why>
#   @@ LINUX-IRQ4 <line of /proc/interrupts>    IRQ 4 (the UART's) and its count
#   @@ LINUX-DONE                               then poweroff -f
# Parameters from the kernel command line: snpv.seed=<8 hex> (pattern tag),
# snpv.wr_off=<bytes>, snpv.wr_len=<bytes> (both multiples of 4096),
# snpv.read_passes=<n> (full reads timed, default 4).
#
# The lines go to /dev/console (ttyS0: the tty needs the UART's IRQ 4).
# snpv.out=kmsg: they go through /dev/kmsg at KERN_CRIT instead, i.e. the
# kernel's polled console, for a platform without IRQ 4 (docs/linux.md).
# snpv.mode=panic: crash the kernel on purpose (sysrq c) after LINUX-INIT.
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev 2>/dev/null || devtmpfs_failed=1
case " $(cat /proc/cmdline) " in
*" snpv.out=kmsg "*)
	exec >/dev/kmsg 2>&1
	echo() { command echo "<2>$*"; }
	;;
esac
read up _ </proc/uptime
echo "@@ LINUX-INIT uptime_cs=$(printf %s "$up" | tr -d .)"
mount -t sysfs sysfs /sys
[ -z "$devtmpfs_failed" ] || echo "@@ LINUX-WARN no devtmpfs"
case " $(cat /proc/cmdline) " in
*" snpv.mode=panic "*)
	echo "@@ LINUX-PANIC-NOW"
	printf c >/proc/sysrq-trigger
	;;
esac
echo "@@ LINUX-UNAME $(uname -r)"
echo "@@ LINUX-SERIAL $(dmesg | grep 'ttyS0 at' | head -n 1 | sed 's/^\[[^]]*\] *//')"

seed=00000000
wr_off=1048576
wr_len=65536
passes=4
attest=0
for a in $(cat /proc/cmdline); do
	case $a in
	snpv.attest=*) attest=${a#snpv.attest=} ;;
	snpv.seed=*) seed=${a#snpv.seed=} ;;
	snpv.wr_off=*) wr_off=${a#snpv.wr_off=} ;;
	snpv.wr_len=*) wr_len=${a#snpv.wr_len=} ;;
	snpv.read_passes=*) passes=${a#snpv.read_passes=} ;;
	esac
done

cs() { read u _ </proc/uptime; printf %s "$u" | tr -d .; }

# snpv.attest=1 (SNP guests, docs/linux.md "Attestation from Linux"): load
# the modules of /lib/modules/order (configfs, tsm, sev-guest and the GCM
# crypto the driver seals requests with), ask configfs-tsm for a report with
# 64 bytes of REPORT_DATA, print its MEASUREMENT (SNP firmware ABI 56860,
# Table 23 "ATTESTATION_REPORT": 48 bytes at 0x90) and check REPORT_DATA
# (0x50, 64 bytes) and VMPL (0x30). busybox cannot issue the /dev/sev-guest
# ioctl, so without configfs-tsm this says so and stops.
attest_report() {
	for m in $(cat /lib/modules/order 2>/dev/null); do
		insmod /lib/modules/$m.ko 2>/tmp/insmod.err ||
			{ echo "@@ ATTEST-FAIL insmod $m: $(tail -n 1 /tmp/insmod.err)"; return; }
	done
	mkdir -p /sys/kernel/config
	mount -t configfs configfs /sys/kernel/config 2>/dev/null
	t=/sys/kernel/config/tsm/report
	[ -d $t ] || { echo "@@ ATTEST-FAIL no configfs-tsm ($t)"; return; }
	mkdir $t/snpv 2>/tmp/mk.err || { echo "@@ ATTEST-FAIL mkdir $t/snpv: $(cat /tmp/mk.err)"; return; }
	printf '%-64s' "snpv-attest-$seed" >/tmp/inblob
	cat /tmp/inblob >$t/snpv/inblob 2>/tmp/in.err ||
		{ echo "@@ ATTEST-FAIL inblob: $(cat /tmp/in.err)"; return; }
	cat $t/snpv/outblob >/tmp/report 2>/tmp/out.err ||
		{ echo "@@ ATTEST-FAIL outblob ($(cat $t/snpv/provider 2>/dev/null)): $(cat /tmp/out.err)"; return; }
	n=$(wc -c </tmp/report)
	[ "$n" -ge 1184 ] || { echo "@@ ATTEST-FAIL outblob has $n bytes, a report has 1184"; return; }
	rd=FAIL
	dd if=/tmp/report of=/tmp/rd bs=16 skip=5 count=4 2>/dev/null
	cmp -s /tmp/rd /tmp/inblob && rd=PASS
	vmpl=$(od -An -tu4 -j48 -N4 /tmp/report | tr -d ' ')
	echo "@@ ATTEST-REPORT bytes=$n report_data=$rd vmpl=$vmpl provider=$(cat $t/snpv/provider)"
	echo "@@ ATTEST-MEASUREMENT $(od -An -tx1 -j144 -N48 /tmp/report | tr -d ' \n')"
}
[ "$attest" = 1 ] && attest_report

# The NVMe driver probes asynchronously: wait up to 5 s for the namespace.
d=/dev/nvme0n1
i=0
while [ ! -b $d ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done

if [ -b $d ]; then
	bytes=$(blockdev --getsize64 $d)
	echo "@@ NVME-READ-START bytes=$((bytes * passes))"
	t0=$(cs)
	p=0
	while [ $p -lt "$passes" ]; do
		dd if=$d of=/dev/null bs=1M iflag=direct 2>/dev/null
		p=$((p + 1))
	done
	t1=$(cs)
	echo "@@ NVME-READ-END bytes=$((bytes * passes)) cs=$((t1 - t0))"
	sum=$(sha256sum $d | cut -d' ' -f1)
	echo "@@ NVME-SHA256 $sum $bytes"

	# The pattern: 16-byte blocks "SNPV" <seed> "-WR\n", repeated.
	printf 'SNPV%s-WR\n' "$seed" >/tmp/pat
	while [ "$(wc -c </tmp/pat)" -lt "$wr_len" ]; do
		cat /tmp/pat /tmp/pat >/tmp/pat2
		mv /tmp/pat2 /tmp/pat
	done
	head -c "$wr_len" /tmp/pat >/tmp/pat2
	mv /tmp/pat2 /tmp/pat
	why=
	if ! dd if=/tmp/pat of=$d bs=4096 seek=$((wr_off / 4096)) oflag=direct conv=notrunc,fsync \
		2>/tmp/dd.err; then
		why="write: $(tail -n 1 /tmp/dd.err)"
	fi
	sync
	printf 3 >/proc/sys/vm/drop_caches
	dd if=$d of=/tmp/back bs=4096 skip=$((wr_off / 4096)) count=$((wr_len / 4096)) \
		iflag=direct 2>/dev/null
	if [ -z "$why" ] && ! cmp -s /tmp/pat /tmp/back; then
		why="read back differs"
	fi
	if [ -z "$why" ]; then
		echo "@@ NVME-WRITE PASS off=$wr_off len=$wr_len"
	else
		echo "@@ NVME-WRITE FAIL off=$wr_off len=$wr_len $why"
	fi
else
	echo "@@ NVME-NONE"
fi
echo "@@ LINUX-IRQ4 $(grep '^ *4:' /proc/interrupts | tr -s ' ' | sed 's/^ //')"
echo "@@ LINUX-DONE"
poweroff -f
