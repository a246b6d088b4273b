/* A virtual local APIC for one vCPU, in xAPIC mode (the 4 KiB register page
 * at 0xFEE00000): AMD APM vol 2, chapter 16 ("Advanced Programmable Interrupt
 * Controller"), Intel SDM vol 3A, chapter 11 (the same register layout).
 *
 * Pure: registers, IRR/ISR/TMR, TPR/PPR, EOI, SVR, the LVT timer in
 * one-shot, periodic and TSC-deadline mode (MSR IA32_TSC_DEADLINE 0x6E0),
 * self-IPIs. Time comes in as TSC values from the caller; the timer input
 * clock is the TSC divided by TDCR. Interrupt sources outside the APIC (a
 * passed-through device's MSI, later) enter through vlapic_set_irq(). The
 * exit handlers (hv/svm/exits.c) feed it the decoded MMIO accesses and
 * inject what vlapic_pending() returns. */
#ifndef HV_SVM_VLAPIC_H
#define HV_SVM_VLAPIC_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

#define VLAPIC_BASE	    0xfee00000ULL /* IA32_APIC_BASE reset value, APM 16.3.1 */
#define VLAPIC_PAGE_SIZE    0x1000ULL
#define VLAPIC_VERSION	    0x14 /* integrated APIC (>= 0x10) */
#define VLAPIC_NR_LVT	    6	 /* timer, thermal, perf, LINT0, LINT1, error */
#define VLAPIC_SPURIOUS_VEC 0xff

/* Register offsets (APM vol 2, table 16-2) */
#define APIC_REG_ID	 0x020
#define APIC_REG_LVR	 0x030
#define APIC_REG_TPR	 0x080
#define APIC_REG_APR	 0x090
#define APIC_REG_PPR	 0x0a0
#define APIC_REG_EOI	 0x0b0
#define APIC_REG_RRR	 0x0c0
#define APIC_REG_LDR	 0x0d0
#define APIC_REG_DFR	 0x0e0
#define APIC_REG_SVR	 0x0f0
#define APIC_REG_ISR	 0x100 /* 8 registers, 0x10 apart */
#define APIC_REG_TMR	 0x180
#define APIC_REG_IRR	 0x200
#define APIC_REG_ESR	 0x280
#define APIC_REG_LVTCMCI 0x2f0
#define APIC_REG_ICR_LO	 0x300
#define APIC_REG_ICR_HI	 0x310
#define APIC_REG_LVTT	 0x320
#define APIC_REG_LVTTHMR 0x330
#define APIC_REG_LVTPC	 0x340
#define APIC_REG_LVT0	 0x350
#define APIC_REG_LVT1	 0x360
#define APIC_REG_LVTERR	 0x370
#define APIC_REG_TMICT	 0x380
#define APIC_REG_TMCCT	 0x390
#define APIC_REG_TDCR	 0x3e0

#define APIC_SVR_ENABLE		   BIT(8)
#define APIC_LVT_VECTOR_MASK	   GENMASK(7, 0)
#define APIC_LVT_MASKED		   BIT(16)
#define APIC_LVT_TIMER_MASK	   GENMASK(18, 17)
#define APIC_LVT_TIMER_ONESHOT	   0
#define APIC_LVT_TIMER_PERIODIC	   1
#define APIC_LVT_TIMER_TSCDEADLINE 2
#define APIC_ICR_VECTOR_MASK	   GENMASK(7, 0)
#define APIC_ICR_DM_MASK	   GENMASK(10, 8)  /* 0 = fixed */
#define APIC_ICR_SHORT_MASK	   GENMASK(19, 18) /* 0 none, 1 self, 2 all, 3 all but self */
#define APIC_ICR_DEST_MASK	   GENMASK(31, 24) /* in ICR_HI */

/* IA32_APIC_BASE (MSR 0x1B, APM 16.3.1) */
#define APIC_BASE_BSP	 BIT(8)
#define APIC_BASE_EXTD	 BIT(10)
#define APIC_BASE_ENABLE BIT(11)
#define APIC_BASE_ADDR	 GENMASK(51, 12)

struct vlapic {
	u32 id; /* APIC ID (bits 31:24 of the ID register) */
	u32 tpr, svr, ldr, dfr, esr, icr_hi;
	u32 lvt[VLAPIC_NR_LVT]; /* in register order from LVTT */
	u32 irr[8], isr[8], tmr[8];
	u32 tdcr, tmict;
	u64 timer_start;  /* TSC when TMICT was written (one-shot, periodic) */
	u64 deadline;	  /* TSC at which the timer fires next; 0 = not armed */
	u64 tsc_deadline; /* IA32_TSC_DEADLINE as the guest wrote it */
	u64 apic_base;	  /* IA32_APIC_BASE */
	/* Called on the EOI of a vector whose TMR bit is set (a level-triggered
	 * interrupt from the I/O APIC, hv/svm/vioapic.c); NULL = nobody. Set
	 * after vlapic_reset, which clears it. */
	void (*level_eoi)(void *ctx, u8 vec);
	void *level_eoi_ctx;
	/* statistics */
	u64 timer_fired, injected, eois, bad_access;
};

/* Reset state (APM 16.3.2): ID, LVTs masked, SVR 0xFF (software disabled),
 * base 0xFEE00000 enabled, BSP. */
void vlapic_reset(struct vlapic *l, u32 id);

/* An aligned 32-bit access at offset off of the register page (other sizes
 * and offsets are refused by the caller). now is the TSC. Reads of
 * write-only or absent registers return 0; writes to read-only ones are
 * ignored. Returns 0, or -EINVAL for an offset that is not a register
 * (counted in bad_access; the access still completes as 0 / ignored). */
int vlapic_read(struct vlapic *l, u32 off, u64 now, u32 *val);
int vlapic_write(struct vlapic *l, u32 off, u32 val, u64 now);

/* IA32_TSC_DEADLINE (MSR 0x6E0): ignored unless the LVT timer is in
 * TSC-deadline mode; 0 disarms (Intel SDM vol 3A, 11.5.4.1). */
void vlapic_write_tsc_deadline(struct vlapic *l, u64 val);
u64 vlapic_read_tsc_deadline(const struct vlapic *l);

/* Fires the timer if its deadline has passed (IRR bit of the LVT vector
 * unless masked; periodic mode re-arms). True if it fired. */
bool vlapic_tick(struct vlapic *l, u64 now);
/* The next TSC value at which something happens; 0 = nothing armed. */
u64 vlapic_next_event(const struct vlapic *l);

/* Raises a fixed interrupt (self-IPI, device MSI later). Vectors 0-15 are
 * illegal (ESR "received illegal vector") and dropped. */
void vlapic_set_irq(struct vlapic *l, u8 vec);
/* The same from the I/O APIC: level = level-triggered (sets the vector's
 * TMR bit, so that its EOI calls level_eoi), else edge (clears it). */
void vlapic_set_irq_trig(struct vlapic *l, u8 vec, bool level);
/* The highest pending vector that PPR lets through, or -1. */
int vlapic_pending(const struct vlapic *l);
/* The vCPU accepted vec (injected): IRR -> ISR. */
void vlapic_accept(struct vlapic *l, u8 vec);
/* PPR (APM 16.6.3): max(TPR, the priority class of the highest ISR bit). */
u32 vlapic_ppr(const struct vlapic *l);

#endif
