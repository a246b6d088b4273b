/* The virtual local APIC (hv/svm/vlapic.h): AMD APM vol 2, chapter 16; Intel
 * SDM vol 3A, chapter 11 for the TSC-deadline mode (11.5.4.1). */
#include "hv/svm/vlapic.h"

#include <errno.h>
#include <string.h>

#define LVT_TIMER 0
#define LVT_ERROR 5

static void set_bit256(u32 *map, u8 vec)
{
	map[vec / 32] |= 1u << (vec % 32);
}

static void clr_bit256(u32 *map, u8 vec)
{
	map[vec / 32] &= ~(1u << (vec % 32));
}

/* Highest set vector, or -1. */
static int highest(const u32 *map)
{
	for (int i = 7; i >= 0; i--)
		if (map[i])
			return i * 32 + 31 - __builtin_clz(map[i]);
	return -1;
}

void vlapic_reset(struct vlapic *l, u32 id)
{
	memset(l, 0, sizeof(*l));
	l->id = id;
	l->svr = VLAPIC_SPURIOUS_VEC;
	l->dfr = 0xffffffffu;
	for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
		l->lvt[i] = (u32)APIC_LVT_MASKED;
	l->apic_base = VLAPIC_BASE | APIC_BASE_ENABLE | APIC_BASE_BSP;
}

static bool sw_enabled(const struct vlapic *l)
{
	return l->svr & APIC_SVR_ENABLE;
}

static unsigned timer_mode(const struct vlapic *l)
{
	return (unsigned)FIELD_GET(APIC_LVT_TIMER_MASK, l->lvt[LVT_TIMER]);
}

/* TDCR bits 3, 1:0 (APM 16.4.1): 000 /2, 001 /4, 010 /8, 011 /16, 100 /32,
 * 101 /64, 110 /128, 111 /1. */
static u64 timer_divisor(const struct vlapic *l)
{
	unsigned v = (l->tdcr & 3) | ((l->tdcr >> 1) & 4);

	return v == 7 ? 1 : 2ULL << v;
}

static void timer_arm_count(struct vlapic *l, u64 now)
{
	l->timer_start = now;
	l->deadline = l->tmict ? now + (u64)l->tmict * timer_divisor(l) : 0;
}

u32 vlapic_ppr(const struct vlapic *l)
{
	int isr = highest(l->isr);
	u32 isrv = isr < 0 ? 0 : (u32)isr;

	return (l->tpr & 0xf0) >= (isrv & 0xf0) ? l->tpr & 0xff : isrv & 0xf0;
}

void vlapic_set_irq(struct vlapic *l, u8 vec)
{
	if (vec < 16) {
		l->esr |= BIT(6); /* received illegal vector */
		return;
	}
	set_bit256(l->irr, vec);
}

void vlapic_set_irq_trig(struct vlapic *l, u8 vec, bool level)
{
	if (vec < 16) {
		vlapic_set_irq(l, vec);
		return;
	}
	set_bit256(l->irr, vec);
	/* TMR records the trigger mode of an accepted interrupt (APM 16.6.2) */
	if (level)
		set_bit256(l->tmr, vec);
	else
		clr_bit256(l->tmr, vec);
}

int vlapic_pending(const struct vlapic *l)
{
	int vec = highest(l->irr);

	if (vec < 0 || !sw_enabled(l))
		return -1;
	if (((u32)vec & 0xf0) <= (vlapic_ppr(l) & 0xf0))
		return -1;
	return vec;
}

void vlapic_accept(struct vlapic *l, u8 vec)
{
	clr_bit256(l->irr, vec);
	set_bit256(l->isr, vec);
	l->injected++;
}

static void eoi(struct vlapic *l)
{
	int vec = highest(l->isr);

	if (vec >= 0) {
		bool level = l->tmr[vec / 32] & (1u << (vec % 32));

		clr_bit256(l->isr, (u8)vec);
		clr_bit256(l->tmr, (u8)vec);
		/* A level-triggered interrupt's EOI is broadcast to the I/O APIC,
		 * which clears the entry's remote IRR (82093AA datasheet, 3.4.2). */
		if (level && l->level_eoi)
			l->level_eoi(l->level_eoi_ctx, (u8)vec);
	}
	l->eois++;
}

bool vlapic_tick(struct vlapic *l, u64 now)
{
	u32 lvt = l->lvt[LVT_TIMER];

	if (!l->deadline || now < l->deadline)
		return false;
	if (!(lvt & APIC_LVT_MASKED))
		vlapic_set_irq(l, (u8)FIELD_GET(APIC_LVT_VECTOR_MASK, lvt));
	l->timer_fired++;
	switch (timer_mode(l)) {
	case APIC_LVT_TIMER_PERIODIC:
		timer_arm_count(l, l->deadline > now ? l->deadline : now);
		break;
	case APIC_LVT_TIMER_TSCDEADLINE:
		l->tsc_deadline = 0; /* SDM 11.5.4.1: cleared when it fires */
		l->deadline = 0;
		break;
	default:
		l->deadline = 0;
		break;
	}
	return true;
}

u64 vlapic_next_event(const struct vlapic *l)
{
	return l->deadline;
}

void vlapic_write_tsc_deadline(struct vlapic *l, u64 val)
{
	if (timer_mode(l) != APIC_LVT_TIMER_TSCDEADLINE)
		return;
	l->tsc_deadline = val;
	l->deadline = val;
}

u64 vlapic_read_tsc_deadline(const struct vlapic *l)
{
	return timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE ? l->tsc_deadline : 0;
}

static u32 tmcct(const struct vlapic *l, u64 now)
{
	u64 div = timer_divisor(l), elapsed;

	if (timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE || !l->deadline || now >= l->deadline)
		return 0;
	elapsed = (now - l->timer_start) / div;
	return elapsed >= l->tmict ? 0 : l->tmict - (u32)elapsed;
}

int vlapic_read(struct vlapic *l, u32 off, u64 now, u32 *val)
{
	*val = 0;
	if (off >= APIC_REG_ISR && off < APIC_REG_ISR + 0x80 && !(off & 0xf)) {
		*val = l->isr[(off - APIC_REG_ISR) / 0x10];
		return 0;
	}
	if (off >= APIC_REG_TMR && off < APIC_REG_TMR + 0x80 && !(off & 0xf)) {
		*val = l->tmr[(off - APIC_REG_TMR) / 0x10];
		return 0;
	}
	if (off >= APIC_REG_IRR && off < APIC_REG_IRR + 0x80 && !(off & 0xf)) {
		*val = l->irr[(off - APIC_REG_IRR) / 0x10];
		return 0;
	}
	if (off >= APIC_REG_LVTT && off <= APIC_REG_LVTERR && !(off & 0xf)) {
		*val = l->lvt[(off - APIC_REG_LVTT) / 0x10];
		return 0;
	}
	switch (off) {
	case APIC_REG_ID:
		*val = l->id << 24;
		return 0;
	case APIC_REG_LVR: /* max LVT entry index in 23:16 */
		*val = VLAPIC_VERSION | ((VLAPIC_NR_LVT - 1) << 16);
		return 0;
	case APIC_REG_TPR:
		*val = l->tpr;
		return 0;
	case APIC_REG_APR:
	case APIC_REG_RRR:
	case APIC_REG_EOI:
		return 0;
	case APIC_REG_PPR:
		*val = vlapic_ppr(l);
		return 0;
	case APIC_REG_LDR:
		*val = l->ldr;
		return 0;
	case APIC_REG_DFR:
		*val = l->dfr;
		return 0;
	case APIC_REG_SVR:
		*val = l->svr;
		return 0;
	case APIC_REG_ESR:
		*val = l->esr;
		return 0;
	case APIC_REG_LVTCMCI:
		*val = (u32)APIC_LVT_MASKED;
		return 0;
	case APIC_REG_ICR_LO:
		return 0; /* delivery status idle */
	case APIC_REG_ICR_HI:
		*val = l->icr_hi;
		return 0;
	case APIC_REG_TMICT:
		*val = l->tmict;
		return 0;
	case APIC_REG_TMCCT:
		*val = tmcct(l, now);
		return 0;
	case APIC_REG_TDCR:
		*val = l->tdcr;
		return 0;
	default:
		l->bad_access++;
		return -EINVAL;
	}
}

/* Fixed-delivery IPIs to this APIC (self, all, or its own ID); one vCPU, so
 * every other destination has no receiver. */
static void icr_write(struct vlapic *l, u32 lo)
{
	unsigned shorthand = (unsigned)FIELD_GET(APIC_ICR_SHORT_MASK, lo);
	u32 dest = (u32)FIELD_GET(APIC_ICR_DEST_MASK, l->icr_hi);
	bool to_me = shorthand == 1 || shorthand == 2 || (shorthand == 0 && dest == l->id);

	if (FIELD_GET(APIC_ICR_DM_MASK, lo) == 0 && to_me)
		vlapic_set_irq(l, (u8)FIELD_GET(APIC_ICR_VECTOR_MASK, lo));
}

static void lvt_write(struct vlapic *l, unsigned i, u32 val, u64 now)
{
	unsigned old_mode = timer_mode(l);

	if (!sw_enabled(l))
		val |= (u32)APIC_LVT_MASKED; /* APM 16.4.7: masked while disabled */
	l->lvt[i] = val;
	if (i == LVT_TIMER && timer_mode(l) != old_mode) {
		/* a mode change disarms (SDM 11.5.4.1) */
		l->deadline = 0;
		l->tsc_deadline = 0;
		l->tmict = 0;
	}
	(void)now;
}

int vlapic_write(struct vlapic *l, u32 off, u32 val, u64 now)
{
	if (off >= APIC_REG_LVTT && off <= APIC_REG_LVTERR && !(off & 0xf)) {
		lvt_write(l, (off - APIC_REG_LVTT) / 0x10, val, now);
		return 0;
	}
	switch (off) {
	case APIC_REG_ID:
		l->id = val >> 24;
		return 0;
	case APIC_REG_TPR:
		l->tpr = val & 0xff;
		return 0;
	case APIC_REG_EOI:
		eoi(l);
		return 0;
	case APIC_REG_LDR:
		l->ldr = val & 0xff000000u;
		return 0;
	case APIC_REG_DFR:
		l->dfr = val | 0x0fffffffu;
		return 0;
	case APIC_REG_SVR:
		l->svr = val & 0x3ff;
		if (!sw_enabled(l))
			for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
				l->lvt[i] |= (u32)APIC_LVT_MASKED;
		return 0;
	case APIC_REG_ESR: /* a write latches the errors into the readable copy */
		l->esr = 0;
		return 0;
	case APIC_REG_ICR_HI:
		l->icr_hi = val;
		return 0;
	case APIC_REG_ICR_LO:
		icr_write(l, val);
		return 0;
	case APIC_REG_TMICT:
		if (timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE)
			return 0; /* ignored in TSC-deadline mode */
		l->tmict = val;
		timer_arm_count(l, now);
		return 0;
	case APIC_REG_TDCR:
		l->tdcr = val & 0xb;
		return 0;
	case APIC_REG_LVR:
	case APIC_REG_APR:
	case APIC_REG_PPR:
	case APIC_REG_RRR:
	case APIC_REG_TMCCT:
	case APIC_REG_LVTCMCI:
		return 0; /* read-only or absent: ignored */
	default:
		if ((off >= APIC_REG_ISR && off < APIC_REG_IRR + 0x80 && !(off & 0xf)))
			return 0; /* ISR/TMR/IRR are read-only */
		l->bad_access++;
		return -EINVAL;
	}
}
