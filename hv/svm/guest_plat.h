/* The virtual platform of a Linux guest (docs/linux.md "The virtual
 * platform"): its fixed resources, shared by the device models' wiring
 * (hv/svm/guest_plat.c) and the ACPI tables that describe them
 * (hv/vm/acpi_guest.c), and the entry points the exit handlers use. */
#ifndef HV_SVM_GUEST_PLAT_H
#define HV_SVM_GUEST_PLAT_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

/* The ACPI fixed-hardware power management blocks (ACPI 6.4, 4.8.3), named
 * by the FADT (hv/vm/acpi_guest.c): PM1a_EVT_BLK = PM1 status (2 bytes) +
 * PM1 enable (2 bytes), PM1a_CNT_BLK = PM1 control (2 bytes). No PM timer,
 * no GPE blocks, no PM1b/PM2. */
#define GUEST_PLAT_PM1_EVT_PORT 0x600
#define GUEST_PLAT_PM1_EVT_LEN	4
#define GUEST_PLAT_PM1_CNT_PORT 0x604
#define GUEST_PLAT_PM1_CNT_LEN	2
#define GUEST_PLAT_SCI_IRQ	9		/* SCI_INT: ISA IRQ 9, as on a PC; never raised */
#define ACPI_PM1_CNT_SCI_EN	BIT(0)		/* table 4.15: ACPI mode, reads 1 */
#define ACPI_PM1_CNT_SLP_TYP	GENMASK(12, 10) /* table 4.15 */
#define ACPI_PM1_CNT_SLP_EN	BIT(13)		/* write-only */
/* The SLP_TYP value of S5 (soft off) in the DSDT's \_S5 package. */
#define GUEST_PLAT_SLP_TYP_S5 5
#define GUEST_PLAT_WARN_MAX   8 /* bad accesses logged one by one */

struct guest;

/* A Linux guest's local APIC, I/O APIC and UART at reset, wired together. */
void guest_plat_reset(struct guest *g);
/* COM1 (0x3F8-0x3FF): false if port is not its; else the access is done
 * and a Linux guest's IRQ 4 line updated. */
bool guest_plat_uart_io(struct guest *g, u16 port, u8 size, bool in, u32 *val);
/* The PM1 registers of a Linux guest: false if port is not one of them.
 * SLP_EN with SLP_TYP = S5 in PM1 control finishes the guest as powered
 * off (pass); another sleep type is refused with a message (nothing
 * changes). */
bool guest_plat_pm1_io(struct guest *g, u16 port, u8 size, bool in, u32 *val);
/* 8254 counter 2 (0x42), its control word (0x43) and port B (0x61) of a
 * Linux guest (hv/svm/vpit.c), byte accesses: false if not one of them. */
bool guest_plat_pit_io(struct guest *g, u16 port, u8 size, bool in, u32 *val);
/* True when gpa is on the xAPIC or I/O APIC page of a Linux guest. */
bool guest_plat_mmio_claims(const struct guest *g, u64 gpa);
/* An aligned 32-bit access there: 0, -ENOENT not a platform page, -EINVAL
 * not a register (logged; reads 0, writes ignored). */
int guest_plat_mmio(struct guest *g, u64 gpa, bool write, u32 *val);

#endif
