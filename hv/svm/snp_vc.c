/* #VC delivery under the SNP emulation, as the processor does it (APM vol 2,
 * 8.9 "Long-Mode Interrupt Control Transfers", 8.9.4 "Interrupt Stack Table",
 * 15.35.5 "#VC Exception"): QEMU TCG pushes no error code for an injected
 * vector 29 (qemu-facts.md), so the hypervisor performs the whole control
 * transfer itself: IDT gate 29, the IST stack from the TSS if the gate names
 * one (else RSP0 on a privilege change, else the current stack), RSP aligned
 * down to 16, the frame SS, RSP, RFLAGS, CS, RIP of the faulting instruction
 * and the error code (the exit code), then CS:RIP from the gate, TF/NT/RF
 * cleared, IF cleared for an interrupt gate, CPL from the target code segment.
 *
 * The frame is written as the processor writes it, not through the
 * hypervisor's write path (guest_write refuses private pages): on SNP hardware
 * the CPU pushes the frame with the guest's own key through the guest's own
 * translation, so the RMP checks are those of a guest access. The emulation
 * applies exactly them (snp_vc_cpu_write): through a C=1 leaf the page must be
 * this guest's private, validated page at this GPA; through a C=0 leaf it
 * must be a shared (hypervisor-owned) page. Anything else would be an RMP
 * #NPF during delivery, which no hypervisor can resolve on hardware either:
 * the guest is terminated with the reason, nothing is written. */
#include "hv/svm/snp_vc.h"

#include <errno.h>
#include <string.h>

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/msr.h"
#include "hv/base/bits.h"
#include "hv/base/mem.h"
#include "hv/svm/guest.h"
#include "hv/svm/snp_guest.h"
#include "hv/svm/svm.h"
#include "hv/svm/vcpu.h"
#include "snp/rmp.h"

#define RFLAGS_TF BIT(8)
#define RFLAGS_IF BIT(9)
#define RFLAGS_NT BIT(14)
#define RFLAGS_RF BIT(16)
#define RFLAGS_VM BIT(17)

/* 64-bit IDT gate (APM vol 2, 4.8.4), 16 bytes. */
struct idt_gate64 {
	u16 off0;
	u16 sel;
	u8 ist;	  /* bits 2:0 */
	u8 attr;  /* type 3:0, DPL 6:5, P 7 */
	u16 off1;
	u32 off2;
	u32 rsvd;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate64) == 16, "IDT gate");
_Static_assert(__builtin_offsetof(struct idt_gate64, off2) == 8, "IDT gate offset 63:32");

#define GATE_TYPE_INT64	 0xe
#define GATE_TYPE_TRAP64 0xf
#define GATE_P		 BIT(7)

/* 64-bit TSS (APM vol 2, 12.2.5): RSP0 at 4, IST1..7 at 0x24. */
#define TSS_RSP0 0x04
#define TSS_IST1 0x24

static int va_gpa(struct vcpu *v, u64 va, u64 *ga, unsigned *cbits)
{
	const struct vmcb_save_area *s = &v->vmcb->save;

	if (!(s->cr0 & CR0_PG)) {
		*ga = va & 0xffffffffULL;
		*cbits = SNP_WALK_C_LEAF | SNP_WALK_C_TABLES;
		return 0;
	}
	if (!(s->efer & EFER_LMA) || (s->cr4 & BIT(12)))
		return -EOPNOTSUPP;
	return snp_guest_va_walk(v->guest, s->cr3, va, ga, cbits);
}

/* A processor read of guest memory (IDT, GDT, TSS): reads are not checked
 * against the page state by the emulation (the data are the guest's). */
static int cpu_read(struct vcpu *v, u64 va, void *buf, unsigned len)
{
	u8 *p = buf;

	while (len) {
		unsigned n = MIN(len, (unsigned)(PAGE_SIZE - (va & (PAGE_SIZE - 1))));
		unsigned cb;
		u64 ga;

		if (va_gpa(v, va, &ga, &cb) || guest_read(v->guest, gpa(ga), p, n))
			return -EFAULT;
		p += n;
		va += n;
		len -= n;
	}
	return 0;
}

/* The RMP check of a guest write through a leaf with (enc) or without the
 * C-bit (APM vol 2, 15.36.10): 0 or -EPERM. */
static int rmp_write_ok(struct guest *g, u64 ga, bool enc, spa_t *pa_out)
{
	struct snp_guest *s = snp_guest_of(g);
	struct rmp *r = s && s->be->rmp ? s->be->rmp(g) : NULL;
	struct rmp_info i;
	spa_t pa, epa;
	u64 contig;

	if (!g->mem_ops || g->mem_ops->translate(g, gpa(ga & PAGE_MASK), &pa, &contig))
		return -EFAULT;
	*pa_out = spa_add(pa, ga & (PAGE_SIZE - 1));
	if (!r)
		return -EPERM;
	if (rmp_lookup(r, pa, &i, &epa))
		return -EPERM;
	if (!enc)
		return i.assigned ? -EPERM : 0;
	if (!i.assigned || i.asid != g->asid || !i.validated || i.immutable ||
	    gpa_val(i.gpa) + (spa_val(pa) - spa_val(epa)) != (ga & PAGE_MASK))
		return -EPERM;
	return 0;
}

int snp_vc_cpu_write(struct vcpu *v, u64 va, const void *buf, unsigned len, u64 *bad_gpa)
{
	const u8 *p = buf;
	struct {
		spa_t pa;
		unsigned n;
	} part[2];
	unsigned k = 0, done = 0;

	/* check everything first: nothing is written if any page refuses */
	while (done < len) {
		u64 a = va + done, ga;
		unsigned n = MIN(len - done, (unsigned)(PAGE_SIZE - (a & (PAGE_SIZE - 1)))), cb;
		int ret;

		if (k == ARRAY_SIZE(part) || va_gpa(v, a, &ga, &cb))
			return -EFAULT;
		*bad_gpa = ga;
		ret = rmp_write_ok(v->guest, ga, cb & SNP_WALK_C_LEAF, &part[k].pa);
		if (ret)
			return ret;
		part[k++].n = n;
		done += n;
	}
	for (unsigned i = 0; i < k; i++) {
		memcpy(phys_ptr(part[i].pa), p, part[i].n);
		p += part[i].n;
	}
	return 0;
}

int snp_vc_deliver(struct vcpu *v, u32 code, char *why, size_t why_len)
{
	struct vmcb_save_area *s = &v->vmcb->save;
	struct idt_gate64 gate;
	u64 desc, handler, rsp, frame[6], bad = 0;
	unsigned cpl = s->cpl & 3, new_cpl;
	int ret;

	if (!(s->efer & EFER_LMA) || !(s->cs.attrib & SVM_SEG_L)) {
		snprintf(why, why_len, "#VC outside 64-bit mode is not delivered by the emulation");
		return -EOPNOTSUPP;
	}
	if (s->idtr.limit < X86_VEC_VC * 16 + 15) {
		snprintf(why, why_len, "IDT (base 0x%llx limit 0x%x) has no gate 29",
			 (unsigned long long)s->idtr.base, s->idtr.limit);
		return -ENOENT;
	}
	if (cpu_read(v, s->idtr.base + X86_VEC_VC * 16, &gate, sizeof(gate))) {
		snprintf(why, why_len, "IDT gate 29 at 0x%llx cannot be read",
			 (unsigned long long)(s->idtr.base + X86_VEC_VC * 16));
		return -EFAULT;
	}
	if (!(gate.attr & GATE_P)) {
		snprintf(why, why_len, "IDT gate 29 not present (0x%02x)", gate.attr);
		return -ENOENT;
	}
	if ((gate.attr & 0xf) != GATE_TYPE_INT64 && (gate.attr & 0xf) != GATE_TYPE_TRAP64) {
		snprintf(why, why_len, "IDT gate 29 is not a 64-bit gate (0x%02x)", gate.attr);
		return -EINVAL;
	}
	handler = gate.off0 | ((u64)gate.off1 << 16) | ((u64)gate.off2 << 32);
	/* target code segment from the GDT (no LDT selectors) */
	if ((gate.sel & 4) || (gate.sel | 7) > s->gdtr.limit ||
	    cpu_read(v, s->gdtr.base + (gate.sel & ~7u), &desc, sizeof(desc)) ||
	    !(desc & BIT(47)) || !(desc & BIT(53)) || !(desc & BIT(43))) {
		snprintf(why, why_len, "gate 29 selector 0x%x is not a present 64-bit code segment",
			 gate.sel);
		return -EINVAL;
	}
	new_cpl = (unsigned)((desc >> 45) & 3);
	if (desc & BIT(42)) /* conforming: stays at the current CPL */
		new_cpl = cpl;
	rsp = s->rsp;
	if ((gate.ist & 7) || new_cpl != cpl) {
		u32 off = (gate.ist & 7) ? TSS_IST1 + 8 * ((gate.ist & 7) - 1u)
					 : TSS_RSP0 + 8 * new_cpl;

		if (off + 8 > s->tr.limit + 1u || cpu_read(v, s->tr.base + off, &rsp, 8)) {
			snprintf(why, why_len, "TSS at 0x%llx has no %s", (unsigned long long)s->tr.base,
				 (gate.ist & 7) ? "IST entry" : "RSP0");
			return -EFAULT;
		}
	}
	rsp &= ~0xfULL;
	frame[0] = code;		    /* error code */
	frame[1] = s->rip;		    /* the faulting instruction */
	frame[2] = s->cs.selector;
	frame[3] = s->rflags;
	frame[4] = s->rsp;
	frame[5] = s->ss.selector;
	rsp -= sizeof(frame);
	ret = snp_vc_cpu_write(v, rsp, frame, sizeof(frame), &bad);
	if (ret) {
		snprintf(why, why_len,
			 "#VC frame at 0x%llx (gpa 0x%llx) %s: an RMP #NPF during delivery",
			 (unsigned long long)rsp, (unsigned long long)bad,
			 ret == -EFAULT ? "is not mapped" : "is not a page the guest may write");
		return ret;
	}
	if (new_cpl != cpl) { /* 64-bit mode: SS becomes the null selector with RPL = CPL */
		s->ss.selector = (u16)new_cpl;
		s->ss.attrib = (u16)(0x93 | SVM_SEG_DB | ((new_cpl & 3) << 5) | SVM_SEG_G);
		s->ss.base = 0;
		s->ss.limit = 0xffffffff;
	}
	s->cs.selector = (u16)((gate.sel & ~3u) | new_cpl);
	s->cs.attrib = (u16)(((desc >> 40) & 0xff) | (((desc >> 52) & 0xf) << 8));
	s->cs.base = 0;
	s->cs.limit = 0xffffffff;
	s->cpl = (u8)new_cpl;
	s->rsp = rsp;
	s->rip = handler;
	s->rflags &= ~(u64)(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	if ((gate.attr & 0xf) == GATE_TYPE_INT64)
		s->rflags &= ~(u64)RFLAGS_IF;
	v->vmcb->control.int_state &= ~(u32)SVM_INTERRUPT_SHADOW_MASK;
	return 0;
}
