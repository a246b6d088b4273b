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

/* ---- a Linux guest's MSRs (docs/svm.md "MSR policy of Linux guests") ----
 * IA32_APIC_BASE and IA32_TSC_DEADLINE belong to the virtual APIC
 * (hv/svm/vlapic.c). A short list of model-specific MSRs Linux reads
 * without a fault handler on AMD family 17h reads as the value below and
 * ignores writes; every other MSR raises #GP as for any guest. */
#define MSR_IA32_TSC_DEADLINE 0x000006e0
#define MSR_AMD64_PATCH_LEVEL 0x0000008b
#define MSR_K8_SYSCFG	      0xc0010010
#define MSR_K7_HWCR	      0xc0010015
#define MSR_K7_HWCR_TSC_P0    BIT(24) /* the TSC counts at the P0 frequency */
#define MSR_AMD64_OSVW_ID_LEN 0xc0010140
#define MSR_AMD64_OSVW_STATUS 0xc0010141
#define MSR_AMD64_LS_CFG      0xc0011020
#define MSR_AMD64_DE_CFG      0xc0011029

static const struct {
	u32 msr;
	u64 val;
} linux_msr_fixed[] = {
    {MSR_AMD64_PATCH_LEVEL, 0}, {MSR_K8_SYSCFG, 0},	    {MSR_K7_HWCR, MSR_K7_HWCR_TSC_P0},
    {MSR_AMD64_OSVW_ID_LEN, 0}, {MSR_AMD64_OSVW_STATUS, 0}, {MSR_AMD64_LS_CFG, 0},
    {MSR_AMD64_DE_CFG, 0},
};

/* 1 = not a Linux-platform MSR (fall through to the common policy). */
static int linux_msr(struct guest *g, u32 msr, bool write, u64 *val)
{
	unsigned i;

	switch (msr) {
	case MSR_IA32_APICBASE:
		if (!write) {
			*val = g->lapic.apic_base;
			return 0;
		}
		/* no relocation, no x2APIC (EXTD), no disabling */
		return *val == g->lapic.apic_base ? 0 : -EPERM;
	case MSR_IA32_TSC_DEADLINE:
		if (write)
			vlapic_write_tsc_deadline(&g->lapic, *val);
		else
			*val = vlapic_read_tsc_deadline(&g->lapic);
		return 0;
	default:
		break;
	}
	for (i = 0; i < ARRAY_SIZE(linux_msr_fixed); i++) {
		if (linux_msr_fixed[i].msr != msr)
			continue;
		if (!write)
			*val = linux_msr_fixed[i].val;
		return 0;
	}
	return 1;
}

int msr_guest_read(struct vcpu *v, u32 msr, u64 *val)
{
	struct vmcb_save_area *s = &v->vmcb->save;
	struct guest *g = v->guest;
	int ret = g->is_linux ? linux_msr(g, msr, false, val) : 1;

	if (ret <= 0)
		return ret;
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
		/* snp_test = sev-status-unsupported: a feature this guest
		 * does not get, which Linux must refuse (it terminates) */
		if (g->snp && g->cfg && g->cfg->snp_test == CFG_SNP_TEST_SEV_STATUS_UNSUPPORTED)
			*val |= MSR_AMD64_SNP_REFLECT_VC;
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
	int ret = g->is_linux ? linux_msr(g, msr, true, &val) : 1;

	if (ret <= 0)
		return ret;
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
