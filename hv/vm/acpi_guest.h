/* The ACPI tables a Linux guest gets (ACPI 6.4, 5.2): an RSDP (revision 2),
 * an XSDT with one entry, and a MADT describing one processor with its local
 * APIC at 0xFEE00000 and no I/O APIC (5.2.12). No FADT/DSDT: the guest has
 * no ACPI hardware (PM1 blocks, SCI); Linux takes the processor and APIC
 * from the MADT at boot (docs/linux.md). Pure: built into a caller's buffer
 * for a given GPA. */
#ifndef HV_VM_ACPI_GUEST_H
#define HV_VM_ACPI_GUEST_H

#include "hv/base/types.h"

#define ACPI_GUEST_SIZE	     0x100 /* bytes the tables take */
#define ACPI_GUEST_XSDT_OFF  0x40
#define ACPI_GUEST_MADT_OFF  0x80
#define ACPI_GUEST_OEM_ID    "SNPVSR"
#define ACPI_GUEST_OEM_TABLE "SNPVISOR"

/* Fills buf (size >= ACPI_GUEST_SIZE, zeroed first) with the tables as they
 * must lie at GPA base (16-byte aligned, below 4 GiB): RSDP at base, XSDT at
 * base + 0x40, MADT at base + 0x80 with one Processor Local APIC (UID 0,
 * APIC ID apic_id, enabled) and lapic_addr. 0, or -EINVAL for a bad base or
 * size. */
int acpi_guest_build(void *buf, u64 size, u64 base, u8 apic_id, u32 lapic_addr);

#endif
