/* vCPU state set-up and the small pure rules around VMRUN: the initial VMCB,
 * RIP advance, event injection, MSR and I/O permission maps.
 * AMD APM vol 2: 15.5 (VMRUN), 15.7 (#VMEXIT, next_rip), 15.10 (IOIO), 15.11
 * (MSR intercepts), 15.20 (event injection), 15.25 (nested paging). */
#include "hv/svm/vcpu.h"

#include <errno.h>
#include <string.h>

#include "hv/base/bits.h"
#include "hv/base/log.h"
#include "hv/svm/vmsa.h"

/* Exceptions the hypervisor wants to see: #UD for the PVALIDATE emulation. */
static const unsigned intercepts_on[] = {
    INTERCEPT_EXCEPTION_OFFSET + X86_VEC_UD,
    INTERCEPT_INTR, /* preemption tick */
    INTERCEPT_CPUID,
    INTERCEPT_HLT,
    INTERCEPT_IOIO_PROT,
    INTERCEPT_MSR_PROT,
    INTERCEPT_SHUTDOWN,
    INTERCEPT_INVD,
    /* SVM is hidden: every SVM instruction must exit (VMRUN is required by
     * the consistency checks; VMLOAD/VMSAVE would otherwise act on a
     * physical address chosen by the guest). */
    INTERCEPT_VMRUN,
    INTERCEPT_VMMCALL,
    INTERCEPT_VMLOAD,
    INTERCEPT_VMSAVE,
    INTERCEPT_STGI,
    INTERCEPT_CLGI,
    INTERCEPT_SKINIT,
    INTERCEPT_INVLPGA,
    /* XSAVE is hidden (only the FXSAVE area is swapped) */
    INTERCEPT_XSETBV,
    INTERCEPT_MONITOR,
    INTERCEPT_MWAIT,
    INTERCEPT_MWAIT_COND,
    INTERCEPT_RDPRU,
};

void vmcb_init(struct vmcb *vmcb, const struct vcpu_boot *b)
{
	struct sev_es_save_area boot;

	vmcb_init_common(vmcb, intercepts_on, ARRAY_SIZE(intercepts_on), b->asid, b->iopm_pa,
			 b->msrpm_pa, b->nested_cr3);

	/* The boot state (docs/guest-abi.md: flat 32-bit protected mode, paging
	 * off, RIP = entry) has one definition, the one an SNP guest's VMSA
	 * would carry (hv/svm/vmsa.c); SNP guests replace it with their launched
	 * 64-bit VMSA (vcpu_init_from_vmsa). */
	vmsa_build_boot(&boot, b->entry, b->boot_params, 0);
	vmcb_load_vmsa(vmcb, &boot);
}

/* An SNP guest's emulated VMCB: exactly the launched VMSA's register state
 * (tests/unit/test_vmsa.c compares them field by field). */
void vmcb_load_vmsa(struct vmcb *vmcb, const struct sev_es_save_area *v)
{
	struct vmcb_save_area *s = &vmcb->save;

	s->es = v->es;
	s->cs = v->cs;
	s->ss = v->ss;
	s->ds = v->ds;
	s->fs = v->fs;
	s->gs = v->gs;
	s->gdtr = v->gdtr;
	s->ldtr = v->ldtr;
	s->idtr = v->idtr;
	s->tr = v->tr;
	s->cpl = v->cpl;
	s->efer = v->efer;
	s->cr0 = v->cr0;
	s->cr3 = v->cr3;
	s->cr4 = v->cr4;
	s->dr6 = v->dr6;
	s->dr7 = v->dr7;
	s->rflags = v->rflags;
	s->rip = v->rip;
	s->rsp = v->rsp;
	s->rax = v->rax;
	s->g_pat = v->g_pat;
}

void vcpu_init_from_vmsa(struct vcpu *v, const struct vcpu_boot *b,
			 const struct sev_es_save_area *vmsa)
{
	vcpu_init(v, b);
	vmcb_load_vmsa(v->vmcb, vmsa);
	v->regs.rbx = vmsa->rbx;
}

void fpu_init_image(u8 *area)
{
	u16 fcw = 0x037f;
	u32 mxcsr = 0x1f80;

	/* FXSAVE layout (APM vol 5, FXSAVE): FCW at 0, MXCSR at 24 */
	memset(area, 0, VCPU_FPU_SIZE);
	memcpy(area + 0, &fcw, sizeof(fcw));
	memcpy(area + 24, &mxcsr, sizeof(mxcsr));
}

void vcpu_init(struct vcpu *v, const struct vcpu_boot *b)
{
	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.rbx = b->boot_params;
	fpu_init_image(v->guest_fpu);
	vmcb_init(v->vmcb, b);
	v->bench_mark = -1;
	v->bench_bare = v->bench_cached = false;
	v->cr3_emul = false;
}

int snp_cr3_write(u64 val, bool lma, bool pcide, unsigned phys_bits, unsigned cbit, u64 *guest_cr3,
		  u64 *hw_cr3)
{
	u64 reserved = 0;

	if (!lma) {
		val &= 0xffffffffULL;
	} else {
		if (pcide)
			val &= ~BIT(63);
		if (phys_bits < 64)
			reserved = ~0ULL << phys_bits;
		if (cbit < 64)
			reserved &= ~BIT(cbit);
		if (val & reserved)
			return -EINVAL;
	}
	*guest_cr3 = val;
	*hw_cr3 = cbit < 64 ? val & ~BIT(cbit) : val;
	return 0;
}

int svm_next_rip(const struct vmcb *vmcb, bool nrips, u64 *next)
{
	const struct vmcb_control_area *c = &vmcb->control;
	u64 rip = vmcb->save.rip;

	if (nrips && c->next_rip) {
		*next = c->next_rip;
		return 0;
	}
	switch (c->exit_code) {
	case SVM_EXIT_IOIO:
		*next = c->exit_info_2; /* APM vol 2, 15.10.2 */
		return 0;
	case SVM_EXIT_CPUID:
	case SVM_EXIT_MSR:   /* RDMSR 0F 32, WRMSR 0F 30 */
	case SVM_EXIT_RDTSC: /* 0F 31 */
	case SVM_EXIT_INVD:  /* 0F 08 */
		*next = rip + 2;
		return 0;
	case SVM_EXIT_VMMCALL: /* 0F 01 D9 */
		*next = rip + 3;
		return 0;
	case SVM_EXIT_HLT: /* F4 */
		*next = rip + 1;
		return 0;
	default:
		return -EINVAL;
	}
}

int vcpu_skip_insn(struct vcpu *v)
{
	u64 next;
	int ret = svm_next_rip(v->vmcb, v->nrips, &next);

	if (ret) {
		pr_err("svm: no instruction length for exit 0x%x\n", v->vmcb->control.exit_code);
		return ret;
	}
	v->vmcb->save.rip = next;
	v->vmcb->control.int_state &= ~(u32)SVM_INTERRUPT_SHADOW_MASK;
	return 0;
}

void vcpu_inject_exception(struct vcpu *v, u8 vector, s64 err)
{
	u32 ev = (u32)(FIELD_PREP(SVM_EVTINJ_VEC_MASK, vector) |
		       FIELD_PREP(SVM_EVTINJ_TYPE_MASK, SVM_EVTINJ_TYPE_EXEPT) | SVM_EVTINJ_VALID);

	if (err >= 0) {
		ev |= (u32)SVM_EVTINJ_VALID_ERR;
		v->vmcb->control.event_inj_err = (u32)err;
	}
	v->vmcb->control.event_inj = ev;
}

/* MSRPM (APM vol 2, 15.11): three 2 KiB vectors, 2 bits per MSR
 * (read intercept, then write intercept). */
static const struct {
	u32 first;
	u32 byte;
} msrpm_ranges[] = {
    {0x00000000, 0x0000},
    {0xc0000000, 0x0800},
    {0xc0010000, 0x1000},
};
#define MSRPM_RANGE_MSRS 0x2000

int msrpm_offset(u32 msr, u32 *byte, unsigned *bit)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(msrpm_ranges); i++) {
		u32 idx = msr - msrpm_ranges[i].first;

		if (msr >= msrpm_ranges[i].first && idx < MSRPM_RANGE_MSRS) {
			*byte = msrpm_ranges[i].byte + idx / 4;
			*bit = (idx % 4) * 2;
			return 0;
		}
	}
	return -ERANGE;
}

int msrpm_set(u8 *msrpm, u32 msr, bool rd, bool wr)
{
	u32 byte;
	unsigned bit;
	int ret = msrpm_offset(msr, &byte, &bit);

	if (ret)
		return ret;
	msrpm[byte] &= (u8) ~(3u << bit);
	msrpm[byte] |= (u8)(((rd ? 1u : 0u) | (wr ? 2u : 0u)) << bit);
	return 0;
}

bool msrpm_test(const u8 *msrpm, u32 msr, bool write)
{
	u32 byte;
	unsigned bit;

	/* MSRs outside the map always exit (APM vol 2, 15.11) */
	if (msrpm_offset(msr, &byte, &bit))
		return true;
	return msrpm[byte] & (1u << (bit + (write ? 1 : 0)));
}

void iopm_set(u8 *iopm, u16 port, bool intercept)
{
	if (intercept)
		iopm[port / 8] |= (u8)(1u << (port % 8));
	else
		iopm[port / 8] &= (u8) ~(1u << (port % 8));
}

bool iopm_test(const u8 *iopm, u16 port)
{
	return iopm[port / 8] & (1u << (port % 8));
}
