/* The ACPI tables a Linux guest gets (ACPI 6.4, 5.2): an RSDP (revision 2),
 * an XSDT with two entries, a MADT describing one processor with its local
 * APIC at 0xFEE00000, one I/O APIC at 0xFEC00000 (GSIs 0-23) and an
 * interrupt source override for ISA IRQ 4 (COM1) to GSI 4 (5.2.12); a FADT
 * (5.2.9) whose only fixed hardware is the PM1a event and control blocks in
 * I/O space (hv/svm/guest_plat.h), an empty FACS (5.2.10), and a DSDT of
 * hand-assembled AML with the \_S5 package (soft off) and, for a guest with
 * a virtual PCI bus, the PCI root bridge \_SB.PCI0 (PNP0A03) with its
 * resources (docs/linux.md "ACPI"). Pure: built into a caller's buffer for a given GPA. */
#ifndef HV_VM_ACPI_GUEST_H
#define HV_VM_ACPI_GUEST_H

#include "hv/base/types.h"

#define ACPI_GUEST_SIZE	     0x400 /* bytes the tables take */
#define ACPI_GUEST_XSDT_OFF  0x40
#define ACPI_GUEST_MADT_OFF  0x80
#define ACPI_GUEST_FADT_OFF  0x100
#define ACPI_GUEST_DSDT_OFF  0x240
#define ACPI_GUEST_FACS_OFF  0x3c0
#define ACPI_GUEST_OEM_ID    "SNPVSR"
#define ACPI_GUEST_OEM_TABLE "SNPVISOR"

/* Fills buf (size >= ACPI_GUEST_SIZE, zeroed first) with the tables as they
 * must lie at GPA base (16-byte aligned, below 4 GiB): RSDP at base, XSDT at
 * base + 0x40, MADT at base + 0x80 with one Processor Local APIC (UID 0,
 * APIC ID apic_id, enabled) and lapic_addr, the I/O APIC and the override;
 * FADT at base + 0x100, DSDT at base + 0x240, FACS at base + 0x3C0. pci_win_lo < pci_win_hi: the
 * memory window [lo, hi) of the virtual PCI bus 0 goes into PCI0's _CRS;
 * both 0: no PCI root bridge (the guest has no virtual PCI). 0, or -EINVAL
 * for a bad base, size or window. */
int acpi_guest_build(void *buf, u64 size, u64 base, u8 apic_id, u32 lapic_addr, u64 pci_win_lo,
		     u64 pci_win_hi);

#endif
