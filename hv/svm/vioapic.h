/* A virtual I/O APIC for a Linux guest: the Intel 82093AA register set
 * (82093AA I/O Advanced Programmable Interrupt Controller datasheet, order
 * no. 290566-001, section 3 "Register Description"): IOREGSEL at base + 0x00
 * and IOWIN at base + 0x10, the ID, version and arbitration registers and 24
 * redirection entries, edge and level inputs, remote IRR cleared by the
 * local APIC's EOI of a level-triggered vector.
 *
 * Pure: input pins are driven by device models (the COM1 UART on pin 4,
 * hv/svm/vuart.c) through vioapic_set_irq(); a message goes to the local
 * APIC through the deliver callback; the local APIC's EOI comes back in
 * through vioapic_eoi(). One vCPU: the destination is checked against that
 * one APIC (physical ID or 0xFF broadcast, logical flat mask); a message
 * that reaches nobody, or uses a delivery mode other than fixed / lowest
 * priority, is counted in bad_delivery and dropped. */
#ifndef HV_SVM_VIOAPIC_H
#define HV_SVM_VIOAPIC_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

#define VIOAPIC_BASE	  0xfec00000ULL /* the 82093AA's default (datasheet 3.0) */
#define VIOAPIC_PAGE_SIZE 0x1000ULL
#define VIOAPIC_PINS	  24
#define VIOAPIC_ID	  0    /* the platform's I/O APIC ID (MADT entry and IOAPICID) */
#define VIOAPIC_VERSION	  0x11 /* 82093AA (IOAPICVER bits 7:0, datasheet 3.2.2) */

/* Memory-mapped registers (datasheet 3.1, table 2): offsets in the page */
#define IOAPIC_MMIO_REGSEL 0x00 /* IOREGSEL: bits 7:0 select the register */
#define IOAPIC_MMIO_WIN	   0x10 /* IOWIN: the selected register, 32 bits */

/* Indirect registers (datasheet 3.2, table 3) */
#define IOAPIC_REG_ID	  0x00
#define IOAPIC_REG_VER	  0x01
#define IOAPIC_REG_ARB	  0x02
#define IOAPIC_REG_REDTBL 0x10 /* entry n: low dword 0x10 + 2n, high 0x11 + 2n */

#define IOAPIC_ID_MASK	    GENMASK(27, 24) /* IOAPICID, IOAPICARB bits 27:24 */
#define IOAPIC_VER_VERSION  GENMASK(7, 0)
#define IOAPIC_VER_MAXREDIR GENMASK(23, 16)

/* Redirection table entry (datasheet 3.2.4), a u64 */
#define IOAPIC_RTE_VECTOR     GENMASK(7, 0)
#define IOAPIC_RTE_DELMODE    GENMASK(10, 8) /* 000 fixed, 001 lowest priority */
#define IOAPIC_RTE_DESTMODE   BIT(11)	     /* 1 = logical */
#define IOAPIC_RTE_DELIVS     BIT(12)	     /* delivery status, read-only */
#define IOAPIC_RTE_POLARITY   BIT(13)	     /* 1 = active low */
#define IOAPIC_RTE_REMOTE_IRR BIT(14)	     /* read-only */
#define IOAPIC_RTE_LEVEL      BIT(15)	     /* trigger mode: 1 = level */
#define IOAPIC_RTE_MASKED     BIT(16)
#define IOAPIC_RTE_DEST	      GENMASK(63, 56)
/* bits the guest may write: everything but delivery status and remote IRR */
#define IOAPIC_RTE_RO	    (IOAPIC_RTE_DELIVS | IOAPIC_RTE_REMOTE_IRR)
#define IOAPIC_RTE_RESERVED GENMASK(55, 17)

#define IOAPIC_DELMODE_FIXED  0
#define IOAPIC_DELMODE_LOWPRI 1

struct vioapic {
	u8 regsel;
	u32 id; /* IOAPICID bits 27:24 as a register value */
	u64 rte[VIOAPIC_PINS];
	u32 level; /* the input pins as driven (bit n = pin n asserted) */
	/* the one local APIC behind it: its ID and LDR decide who a message
	 * reaches; deliver(ctx, vector, level-triggered) raises it there */
	u8 apic_id;
	u8 apic_logical; /* the LAPIC's LDR bits 31:24 (flat model) */
	void (*deliver)(void *ctx, u8 vec, bool level);
	void *ctx;
	/* statistics */
	u64 delivered[VIOAPIC_PINS];
	u64 bad_delivery, bad_access, eois;
};

/* Reset state (datasheet 3.2.4: every entry masked; ID 0). */
void vioapic_reset(struct vioapic *io, u8 id, void (*deliver)(void *, u8, bool), void *ctx);

/* An aligned 32-bit access at offset off of the register page. Reads of
 * other offsets return 0 and writes are ignored, counted in bad_access, and
 * -EINVAL returned (the access still completes). Writes to read-only
 * registers (VER, ARB) and read-only bits are ignored; an unknown register
 * index reads 0 (also bad_access, -EINVAL). */
int vioapic_read(struct vioapic *io, u32 off, u32 *val);
int vioapic_write(struct vioapic *io, u32 off, u32 val);

/* Drives input pin (0-23) to level (true = asserted, after the entry's
 * polarity: the device's active state). An edge entry delivers on the
 * inactive->active transition; a level entry delivers while asserted with
 * remote IRR clear. -EINVAL for a pin out of range. */
int vioapic_set_irq(struct vioapic *io, unsigned pin, bool level);

/* The local APIC's EOI of a level-triggered vec: clears remote IRR of every
 * level entry with that vector and delivers again those still asserted. */
void vioapic_eoi(struct vioapic *io, u8 vec);

/* The whole entry of pin, for reports and tests. */
static inline u64 vioapic_rte(const struct vioapic *io, unsigned pin)
{
	return pin < VIOAPIC_PINS ? io->rte[pin] : 0;
}

#endif
