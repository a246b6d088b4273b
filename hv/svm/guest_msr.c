/* Guest MSR emulation (APM vol 2, 15.11: MSR intercepts).
 *
 * Policy: the MSRs that the VMCB save area holds and VMLOAD/VMSAVE switch
 * (FS/GS/KernelGS bases, STAR/LSTAR/CSTAR/SFMASK, SYSENTER_*) pass through;
 * EFER and PAT are emulated on the VMCB copy (EFER.SVME stays set and is
 * hidden); SEV_STATUS reads the guest's SNP mode; the GHCB MSR of an SNP
 * guest is stored (the MSR protocol runs at VMGEXIT, hv/svm/snp_guest.c).
 * Any other MSR raises #GP in the guest. */
#include "hv/svm/guest_msr.h"

#include "hv/arch/x86/msr.h"

#include <errno.h>
#include <string.h>

#include "hv/svm/guest.h"
#include "hv/base/log.h"
#include "hv/svm/svm.h"
#include "hv/svm/vcpu.h"

static const u32 msr_passthrough[] = {
    MSR_IA32_SYSENTER_CS,
    MSR_IA32_SYSENTER_ESP,
    MSR_IA32_SYSENTER_EIP,
    MSR_STAR,
    MSR_LSTAR,
    MSR_CSTAR,
    MSR_SYSCALL_MASK,
    MSR_FS_BASE,
    MSR_GS_BASE,
    MSR_KERNEL_GS_BASE,
};

void msrpm_build(u8 *msrpm)
{
	unsigned i;

	memset(msrpm, 0xff, SVM_MSRPM_SIZE);
	for (i = 0; i < ARRAY_SIZE(msr_passthrough); i++)
		msrpm_set(msrpm, msr_passthrough[i], false, false);
}

/* PAT: eight types, each 0 (UC), 1 (WC), 4 (WT), 5 (WP), 6 (WB), 7 (UC-). */
static bool pat_valid(u64 pat)
{
	unsigned i;

	for (i = 0; i < 8; i++) {
		u8 t = (u8)(pat >> (i * 8));

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

int msr_guest_read(struct vcpu *v, u32 msr, u64 *val)
{
	struct vmcb_save_area *s = &v->vmcb->save;
	struct guest *g = v->guest;

	switch (msr) {
	case MSR_EFER:
		*val = s->efer & ~EFER_SVME;
		return 0;
	case MSR_IA32_CR_PAT:
		*val = s->g_pat;
		return 0;
	case MSR_AMD64_SEV:
		*val = g->snp ? (MSR_AMD64_SEV_ENABLED | MSR_AMD64_SEV_ES_ENABLED |
				 MSR_AMD64_SEV_SNP_ENABLED)
			      : 0;
		return 0;
	case MSR_AMD64_SEV_ES_GHCB:
		if (!g->snp)
			return -EPERM;
		*val = g->ghcb_msr;
		return 0;
	default:
		return -EPERM;
	}
}

int msr_guest_write(struct vcpu *v, u32 msr, u64 val)
{
	struct vmcb_save_area *s = &v->vmcb->save;
	struct guest *g = v->guest;
	const u64 efer_ok = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;

	switch (msr) {
	case MSR_EFER:
		if (val & ~efer_ok)
			return -EPERM;
		/* LMA is the processor's; SVME must stay set for VMRUN */
		s->efer = (val & ~EFER_LMA) | (s->efer & EFER_LMA) | EFER_SVME;
		return 0;
	case MSR_IA32_CR_PAT:
		if (!pat_valid(val))
			return -EPERM;
		s->g_pat = val;
		return 0;
	case MSR_AMD64_SEV_ES_GHCB:
		if (!g->snp)
			return -EPERM;
		g->ghcb_msr = val;
		return 0;
	default:
		return -EPERM;
	}
}
