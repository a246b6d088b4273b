/* Where a device's BAR may lie before it is mapped into a guest: the pure
 * decision behind device assignment (hv/vm/guest_dev.c), docs/devices.md
 * "Which BAR addresses are accepted".
 *
 * A policy holds windows (address ranges a passed-through memory BAR may use:
 * the PCI holes the memory map leaves, bar_policy_holes) and owned ranges
 * (everything the hypervisor or firmware owns: RAM of any kind, the image,
 * ACPI tables, ECAM, IOMMU and PSP MMIO, LAPIC, IOAPIC...), each with a name
 * for the refusal message. bar_check accepts a BAR only when it lies wholly
 * inside one window, touches no owned range and no other memory BAR of any
 * enumerated function. bar_enable_decode turns memory decode on and re-reads
 * the BAR: a device that moved it is refused and left with decode off.
 *
 * Specs: PCI Local Bus 3.0, 6.2.5.1 (BARs: naturally aligned power-of-two
 * ranges, type bits read-only); PCIe Base 5.0, 7.5.1.2.1 (BARs), 7.5.1.1.3
 * (Command: Memory Space Enable); UEFI 2.9, 7.2 (memory types). */
#ifndef IOMMU_BAR_POLICY_H
#define IOMMU_BAR_POLICY_H

#include "hv/base/types.h"
#include "iommu/pci.h"

#define BAR_POLICY_MAX_WIN   8
#define BAR_POLICY_MAX_OWNED 704 /* BOOT_MMAP_MAX + ACPI tables + the fixed ones */
#define BAR_WHAT_LEN	     40

/* The 32-bit PCI hole ends where the chipset's fixed ranges begin (IOAPIC at
 * 0xFEC00000, HPET, LAPIC/MSI at 0xFEE00000, boot flash below 4 GiB). */
#define BAR_HOLE32_END 0xFEC00000ULL

struct bar_range {
	u64 base, end; /* [base, end) */
	bool ram;      /* RAM of some kind: bounds the PCI holes (bar_policy_holes) */
	char what[BAR_WHAT_LEN];
};

struct bar_policy {
	unsigned nwin, nowned;
	bool overflow; /* an add did not fit: bar_check refuses everything */
	struct bar_range win[BAR_POLICY_MAX_WIN];
	struct bar_range owned[BAR_POLICY_MAX_OWNED];
};

void bar_policy_init(struct bar_policy *p);
/* [base, base + size) is the hypervisor's or firmware's; `what` names it in
 * refusals (truncated to BAR_WHAT_LEN - 1). ram: RAM of any kind. -EINVAL for
 * an empty or wrapping range (ignored), -ENOSPC when full (p->overflow). */
int bar_policy_own(struct bar_policy *p, u64 base, u64 size, bool ram, const char *what);
/* [base, base + size) is a window BARs may use. -EINVAL, -ENOSPC as above. */
int bar_policy_window(struct bar_policy *p, u64 base, u64 size, const char *what);
/* Adds the PCI holes as windows: 32-bit [top of RAM below 4 GiB rounded up to
 * 1 MiB, BAR_HOLE32_END) and 64-bit [max(4 GiB, top of all RAM rounded up to
 * 1 GiB), 2^phys_bits) (phys_bits clamped to 32..52), each when not empty.
 * RAM = the owned ranges added with ram = true. Returns windows added. */
int bar_policy_holes(struct bar_policy *p, unsigned phys_bits);

/* The verdict on one memory BAR of function bdf, at the address bar->addr
 * (the caller reads it live: bar_read). 0 when it may be mapped; else a
 * negative errno and why[] names the BAR and the problem, checked in this
 * order (so that a BAR over the hypervisor says so rather than "outside"):
 *   -EINVAL  not a memory BAR, size not a power of two >= 4 KiB, address 0,
 *            not aligned to its size, or wrapping
 *   -EEXIST  overlaps an owned range ("overlaps the hypervisor image
 *            [0x.., 0x..)"; the first one added that it touches), then
 *            another memory BAR of devs[] ("overlaps BAR2 of 00:04.0 [..)"),
 *            the same function's other BARs included
 *   -ERANGE  not wholly inside one window
 *   -ENOSPC  the policy overflowed when it was built
 * devs[] is the enumeration (pci_enumerate); I/O BARs and size 0 are not
 * memory and are skipped. */
int bar_check(const struct bar_policy *p, const struct pci_dev *devs, unsigned ndevs, u16 bdf,
	      const struct pci_bar *bar, char *why, size_t len);

/* The BAR `sized` (from pci_size_bars) as its registers read now: *now is
 * sized with addr from the current register(s). -EIO when the type bits no
 * longer match (I/O vs memory, 32 vs 64 bits): firmware or the device
 * changed it since sizing. Reads only. */
int bar_read(const struct pci_access *pa, u16 bdf, const struct pci_bar *sized,
	     struct pci_bar *now);

/* Memory Space Enable on bdf, then the BAR is read again: 0 when it still
 * reads `validated` (same kind and address). Else decode (memory, I/O, bus
 * master) is turned off again, why[] says what it reads now, -EIO. */
int bar_enable_decode(const struct pci_access *pa, u16 bdf, const struct pci_bar *validated,
		      char *why, size_t len);

#endif
