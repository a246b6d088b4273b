# hv/vm: guests. Lifecycle and the round-robin scheduler, guest memory wired
# to gmem, the SNP launch sequence, device assignment (docs/svm.md,
# docs/devices.md), memory dumps for the offline checker (docs/xcheck-dump.md).
HV_SRCS += hv/vm/guest.c hv/vm/guest_gmem.c hv/vm/guest_dev.c hv/vm/dump.c hv/vm/guest_linux.c \
	hv/vm/guest_linux_snp.c hv/vm/guest_vpci.c
# Pure: the bzImage loader (64-bit boot protocol, docs/linux.md), the guest ACPI
# tables, the SNP launch layout of a Linux guest, the virtual PCI + MSI-X model
# (docs/devices.md).
PURE_SRCS += hv/vm/linux_boot.c hv/vm/acpi_guest.c hv/vm/linux_snp.c hv/vm/vpci.c
UNIT_TESTS += linux_boot acpi_guest vpci
FUZZ_TARGETS += linux_boot vpci
