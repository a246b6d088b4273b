/* The virtual I/O APIC (hv/svm/vioapic.h): Intel 82093AA datasheet,
 * section 3 (registers) and 3.4 ("Interrupt delivery": edge inputs are
 * latched on the rising edge, a level input is sent again after the EOI
 * while it stays asserted). */
#include "hv/svm/vioapic.h"

#include <errno.h>
#include <string.h>

void vioapic_reset(struct vioapic *io, u8 id, void (*deliver)(void *, u8, bool), void *ctx)
{
	memset(io, 0, sizeof(*io));
	io->id = (u32)FIELD_PREP(IOAPIC_ID_MASK, id);
	for (unsigned i = 0; i < VIOAPIC_PINS; i++)
		io->rte[i] = IOAPIC_RTE_MASKED;
	io->deliver = deliver;
	io->ctx = ctx;
}

static bool reaches_apic(const struct vioapic *io, u64 rte)
{
	u8 dest = (u8)FIELD_GET(IOAPIC_RTE_DEST, rte);

	if (rte & IOAPIC_RTE_DESTMODE)
		return (dest & io->apic_logical) != 0; /* flat logical model */
	return dest == io->apic_id || dest == 0xff;
}

/* Sends pin's message (datasheet 3.2.4): a level entry sets remote IRR
 * until the EOI. Returns true if it reached the local APIC. */
static bool send(struct vioapic *io, unsigned pin)
{
	u64 rte = io->rte[pin];
	unsigned mode = (unsigned)FIELD_GET(IOAPIC_RTE_DELMODE, rte);
	u8 vec = (u8)FIELD_GET(IOAPIC_RTE_VECTOR, rte);
	bool level = rte & IOAPIC_RTE_LEVEL;

	if ((mode != IOAPIC_DELMODE_FIXED && mode != IOAPIC_DELMODE_LOWPRI) || vec < 16 ||
	    !reaches_apic(io, rte) || !io->deliver) {
		io->bad_delivery++;
		return false;
	}
	if (level)
		io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
	io->delivered[pin]++;
	io->deliver(io->ctx, vec, level);
	return true;
}

/* A level entry that is asserted, unmasked and not waiting for its EOI. */
static void level_check(struct vioapic *io, unsigned pin)
{
	u64 rte = io->rte[pin];

	if ((rte & IOAPIC_RTE_LEVEL) && !(rte & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR)) &&
	    (io->level & (1u << pin)))
		send(io, pin);
}

static u32 reg_read(struct vioapic *io, u8 reg, bool *ok)
{
	unsigned pin;

	*ok = true;
	switch (reg) {
	case IOAPIC_REG_ID:
		return io->id;
	case IOAPIC_REG_VER:
		return (u32)(FIELD_PREP(IOAPIC_VER_VERSION, VIOAPIC_VERSION) |
			     FIELD_PREP(IOAPIC_VER_MAXREDIR, VIOAPIC_PINS - 1));
	case IOAPIC_REG_ARB: /* the arbitration ID is loaded from the ID (3.2.3) */
		return io->id;
	}
	if (reg >= IOAPIC_REG_REDTBL && reg < IOAPIC_REG_REDTBL + 2 * VIOAPIC_PINS) {
		pin = (reg - IOAPIC_REG_REDTBL) / 2;
		return (reg & 1) ? (u32)(io->rte[pin] >> 32) : (u32)io->rte[pin];
	}
	*ok = false;
	return 0;
}

static bool reg_write(struct vioapic *io, u8 reg, u32 val)
{
	unsigned pin;
	u64 old, rte;

	if (reg == IOAPIC_REG_ID) {
		io->id = val & (u32)IOAPIC_ID_MASK;
		return true;
	}
	if (reg == IOAPIC_REG_VER || reg == IOAPIC_REG_ARB)
		return true; /* read-only */
	if (reg < IOAPIC_REG_REDTBL || reg >= IOAPIC_REG_REDTBL + 2 * VIOAPIC_PINS)
		return false;
	pin = (reg - IOAPIC_REG_REDTBL) / 2;
	old = io->rte[pin];
	if (reg & 1)
		rte = (old & 0xffffffffULL) | ((u64)val << 32);
	else
		rte = (old & ~0xffffffffULL) | val;
	rte = (rte & ~(IOAPIC_RTE_RO | IOAPIC_RTE_RESERVED)) | (old & IOAPIC_RTE_RO);
	/* An edge entry has no remote IRR (3.2.4: "undefined for edge"). */
	if (!(rte & IOAPIC_RTE_LEVEL))
		rte &= ~IOAPIC_RTE_REMOTE_IRR;
	io->rte[pin] = rte;
	level_check(io, pin); /* unmasked while asserted: delivered now */
	return true;
}

int vioapic_read(struct vioapic *io, u32 off, u32 *val)
{
	bool ok = true;

	if (off == IOAPIC_MMIO_REGSEL)
		*val = io->regsel;
	else if (off == IOAPIC_MMIO_WIN)
		*val = reg_read(io, io->regsel, &ok);
	else
		ok = false, *val = 0;
	if (!ok) {
		io->bad_access++;
		return -EINVAL;
	}
	return 0;
}

int vioapic_write(struct vioapic *io, u32 off, u32 val)
{
	bool ok = true;

	if (off == IOAPIC_MMIO_REGSEL)
		io->regsel = (u8)val; /* bits 31:8 reserved */
	else if (off == IOAPIC_MMIO_WIN)
		ok = reg_write(io, io->regsel, val);
	else
		ok = false;
	if (!ok) {
		io->bad_access++;
		return -EINVAL;
	}
	return 0;
}

int vioapic_set_irq(struct vioapic *io, unsigned pin, bool level)
{
	u32 bit;
	bool was;

	if (pin >= VIOAPIC_PINS)
		return -EINVAL;
	bit = 1u << pin;
	was = io->level & bit;
	if (level)
		io->level |= bit;
	else
		io->level &= ~bit;
	if (io->rte[pin] & IOAPIC_RTE_LEVEL)
		level_check(io, pin);
	else if (level && !was && !(io->rte[pin] & IOAPIC_RTE_MASKED))
		send(io, pin);
	return 0;
}

void vioapic_eoi(struct vioapic *io, u8 vec)
{
	io->eois++;
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		u64 rte = io->rte[pin];

		if (!(rte & IOAPIC_RTE_LEVEL) || !(rte & IOAPIC_RTE_REMOTE_IRR) ||
		    FIELD_GET(IOAPIC_RTE_VECTOR, rte) != vec)
			continue;
		io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
		level_check(io, pin);
	}
}
