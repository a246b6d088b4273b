/* The hardware side of an SEV-ES/SNP guest's VMCB (hv/svm/sev_vmcb.h): ASID
 * pools, the VMCB set-up, a model of VMRUN's SEV-ES/SNP checks and the SNP
 * #NPF decode. Pure; tests/unit/test_sev_vmcb.c. */
#include "hv/svm/sev_vmcb.h"

#include <errno.h>
#include <string.h>

#include "hv/arch/x86/msr.h"
#include "hv/base/bits.h"
#include "hv/svm/vcpu.h"
#include "snp/rmp.h"

/* ---- ASIDs ------------------------------------------------------------------ */

int sev_asid_layout(u32 nr_asids, bool sev, u32 max_sev_asid, u32 min_sev_asid,
		    struct sev_asid_layout *out)
{
	memset(out, 0, sizeof(*out));
	if (nr_asids < 2 || nr_asids > SEV_ASID_SPACE)
		return -EINVAL;
	if (!sev) {
		out->plain_first = 1;
		out->plain_last = nr_asids - 1;
		return 0;
	}
	/* min_sev_asid = 1: no SEV-ES ASIDs (BIOS "SEV-ES ASID Space Limit");
	 * max_sev_asid >= nr_asids - 1: no ASIDs left for plain guests. */
	if (!min_sev_asid || !max_sev_asid || min_sev_asid > max_sev_asid + 1 ||
	    max_sev_asid >= SEV_ASID_SPACE)
		return -EINVAL;
	if (min_sev_asid > 1) {
		out->es_first = 1;
		out->es_last = min_sev_asid - 1;
	}
	if (max_sev_asid + 1 < nr_asids) {
		out->plain_first = max_sev_asid + 1;
		out->plain_last = nr_asids - 1;
	}
	return 0;
}

bool asid_space_used(const struct asid_space *s, u32 asid)
{
	return asid < SEV_ASID_SPACE && (s->used[asid / 64] & BIT(asid % 64));
}

u32 asid_space_alloc(struct asid_space *s, u32 first, u32 last)
{
	u32 a;

	if (!first || last >= SEV_ASID_SPACE)
		return 0;
	for (a = first; a <= last; a++) {
		if (!asid_space_used(s, a)) {
			s->used[a / 64] |= BIT(a % 64);
			return a;
		}
	}
	return 0;
}

void asid_space_free(struct asid_space *s, u32 asid)
{
	if (asid && asid < SEV_ASID_SPACE)
		s->used[asid / 64] &= ~BIT(asid % 64);
}

/* ---- the VMCB ----------------------------------------------------------------
 * Intercepts of an SEV-ES guest (APM vol 2, 15.35.4, and Linux
 * sev_init_vmcb/sev_es_init_vmcb for what cannot be intercepted):
 * - non-automatic intercepts (CPUID, IOIO, MSR, VMMCALL, INVD, MONITOR, ...)
 *   do not exit: the guest takes #VC and asks through the GHCB. They stay
 *   set so that the guest never executes them natively;
 * - the write traps tell the hypervisor the guest's new EFER/CR0/CR4/CR8
 *   after the fact (it cannot emulate the write);
 * - VMGEXIT always exits (no intercept bit); NPF needs none. */
/* clang-format off */
static const unsigned intercepts_on[] = {
	INTERCEPT_INTR,		/* preemption tick: automatic exit */
	INTERCEPT_SHUTDOWN,
	INTERCEPT_HLT,
	/* non-automatic: #VC in the guest */
	INTERCEPT_CPUID,
	INTERCEPT_IOIO_PROT,
	INTERCEPT_MSR_PROT,
	INTERCEPT_INVD,
	INTERCEPT_VMRUN,	/* the consistency checks require it */
	INTERCEPT_VMMCALL,
	INTERCEPT_VMLOAD,
	INTERCEPT_VMSAVE,
	INTERCEPT_STGI,
	INTERCEPT_CLGI,
	INTERCEPT_SKINIT,
	INTERCEPT_INVLPGA,
	INTERCEPT_MONITOR,
	INTERCEPT_MWAIT,
	INTERCEPT_MWAIT_COND,
	INTERCEPT_RDPRU,
	/* DR7 stays intercepted (-> #VC) without the DebugSwap feature, as in
	 * Linux sev_es_init_vmcb: a guest arming a #DB on memory used to
	 * deliver #DB would loop forever. */
	INTERCEPT_DR0_READ + 7,
	INTERCEPT_DR0_WRITE + 7,
	/* write traps: automatic exits after the write */
	TRAP_EFER_WRITE,
	TRAP_CR0_WRITE,
	TRAP_CR4_WRITE,
	TRAP_CR8_WRITE,
};
/* clang-format on */

/* Must stay clear: the hypervisor cannot read or write the guest's CRs,
 * XCR0 or decode its instructions (Linux sev_es_init_vmcb: CR read/write
 * and selective CR0 intercepts cleared, XSETBV not intercepted;
 * sev_init_vmcb: #UD and #GP not intercepted). The PVALIDATE emulation's
 * #UD intercept is for emulated SNP only: on hardware PVALIDATE executes. */
/* clang-format off */
static const unsigned intercepts_off[] = {
	INTERCEPT_CR0_READ,
	INTERCEPT_CR3_READ,
	INTERCEPT_CR4_READ,
	INTERCEPT_CR8_READ,
	INTERCEPT_CR0_WRITE,
	INTERCEPT_CR3_WRITE,
	INTERCEPT_CR4_WRITE,
	INTERCEPT_CR8_WRITE,
	INTERCEPT_SELECTIVE_CR0,
	INTERCEPT_XSETBV,
	INTERCEPT_EXCEPTION_OFFSET + X86_VEC_UD,
	INTERCEPT_EXCEPTION_OFFSET + X86_VEC_GP,
};
/* clang-format on */

const unsigned *sev_vmcb_intercepts_on(unsigned *n)
{
	*n = ARRAY_SIZE(intercepts_on);
	return intercepts_on;
}

const unsigned *sev_vmcb_intercepts_off(unsigned *n)
{
	*n = ARRAY_SIZE(intercepts_off);
	return intercepts_off;
}

void sev_vmcb_prepare(struct vmcb *vmcb, const struct sev_vmcb_params *p)
{
	struct vmcb_control_area *c = &vmcb->control;

	vmcb_init_common(vmcb, intercepts_on, ARRAY_SIZE(intercepts_on), p->asid, p->iopm_pa,
			 p->msrpm_pa, p->nested_cr3);
	/* APM vol 2, 15.35.3 (SEV-ES) / 15.34 (SEV): SEV-ES needs SEV needs NP */
	c->nested_ctl |= SVM_NESTED_CTL_SEV_ENABLE | SVM_NESTED_CTL_SEV_ES_ENABLE;
	c->vmsa_pa = p->vmsa_pa;
	/* The guest's GHCB MSR: loaded from here at VMRUN, stored here at
	 * VMGEXIT (APM vol 2, 15.35.6); its first value is the SEV information. */
	c->ghcb_gpa = p->ghcb_msr;
	c->clean = 0; /* APM vol 2, 15.15.3: nothing cached, reload every field */
}

/* MSRs the processor switches itself for an SEV-ES guest (Linux
 * sev_es_init_vmcb / sev_es_recalc_msr_intercepts: "context switched by
 * hardware"): an intercept would turn the guest's own access into #VC, and
 * for the GHCB MSR make the GHCB protocol impossible. */
static const u32 sev_es_msrs_passthrough[] = {
    MSR_AMD64_SEV_ES_GHCB,
    MSR_EFER,
    MSR_IA32_CR_PAT,
};

int sev_es_msrpm_build(u8 *msrpm, const u8 *base)
{
	unsigned i;
	int ret;

	memcpy(msrpm, base, SVM_MSRPM_SIZE);
	for (i = 0; i < ARRAY_SIZE(sev_es_msrs_passthrough); i++) {
		ret = msrpm_set(msrpm, sev_es_msrs_passthrough[i], false, false);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- VMRUN's checks ----------------------------------------------------------- */

static const char *const fault_names[SEV_VMRUN_FAULT_NR] = {
    [SEV_VMRUN_OK] = "ok",
    [SEV_VMRUN_NO_VMRUN_INTERCEPT] = "no_vmrun_intercept",
    [SEV_VMRUN_ASID_ZERO] = "asid_zero",
    [SEV_VMRUN_ASID_RANGE] = "asid_range",
    [SEV_VMRUN_NP_DISABLED] = "np_disabled",
    [SEV_VMRUN_SEV_DISABLED] = "sev_disabled",
    [SEV_VMRUN_ES_DISABLED] = "es_disabled",
    [SEV_VMRUN_ASID_NOT_SEV_ES] = "asid_not_sev_es",
    [SEV_VMRUN_NCR3_BAD] = "ncr3_bad",
    [SEV_VMRUN_VMSA_UNALIGNED] = "vmsa_unaligned",
    [SEV_VMRUN_VMSA_OUTSIDE_RAM] = "vmsa_outside_ram",
    [SEV_VMRUN_VMSA_ALIAS] = "vmsa_alias",
    [SEV_VMRUN_SNP_DISABLED] = "snp_disabled",
    [SEV_VMRUN_VMSA_NOT_COVERED] = "vmsa_not_covered",
    [SEV_VMRUN_VMSA_NOT_ASSIGNED] = "vmsa_not_assigned",
    [SEV_VMRUN_VMSA_NOT_4K] = "vmsa_not_4k",
    [SEV_VMRUN_VMSA_WRONG_ASID] = "vmsa_wrong_asid",
    [SEV_VMRUN_VMSA_NOT_VALIDATED] = "vmsa_not_validated",
    [SEV_VMRUN_VMSA_NO_VMSA_BIT] = "vmsa_no_vmsa_bit",
    [SEV_VMRUN_VMCB_NOT_HV_OWNED] = "vmcb_not_hv_owned",
};

const char *sev_vmrun_fault_name(enum sev_vmrun_fault f)
{
	return (unsigned)f < SEV_VMRUN_FAULT_NR ? fault_names[f] : "?";
}

/* The VMSA page's RMP entry for an SNP guest (APM vol 2, 15.36: VMRUN
 * requires the VMSA to be a guest page of the VMCB's ASID, validated, with
 * the VMSA bit, in a 4K entry; SNP_LAUNCH_UPDATE type VMSA leaves it so). */
static enum sev_vmrun_fault check_vmsa_rmp(const struct sev_vmrun_ctx *c, u64 vmsa_pa)
{
	struct rmp_info info;

	if (!c->rmp || !rmp_covers(c->rmp, spa(vmsa_pa)) ||
	    rmp_lookup(c->rmp, spa(vmsa_pa), &info, NULL))
		return SEV_VMRUN_VMSA_NOT_COVERED;
	if (!info.assigned)
		return SEV_VMRUN_VMSA_NOT_ASSIGNED;
	if (info.pagesize != RMP_PG_SIZE_4K)
		return SEV_VMRUN_VMSA_NOT_4K;
	if (info.asid != c->vmcb->control.asid)
		return SEV_VMRUN_VMSA_WRONG_ASID;
	if (!info.validated)
		return SEV_VMRUN_VMSA_NOT_VALIDATED;
	if (!info.vmsa)
		return SEV_VMRUN_VMSA_NO_VMSA_BIT;
	return SEV_VMRUN_OK;
}

enum sev_vmrun_fault sev_vmrun_check(const struct sev_vmrun_ctx *c)
{
	const struct vmcb_control_area *v = &c->vmcb->control;
	u64 ncr3 = v->nested_cr3, vmsa = v->vmsa_pa;
	struct rmp_info info;
	enum sev_vmrun_fault f;

	if (!vmcb_is_intercept(v, INTERCEPT_VMRUN))
		return SEV_VMRUN_NO_VMRUN_INTERCEPT;
	if (!v->asid)
		return SEV_VMRUN_ASID_ZERO;
	if (v->asid >= c->nr_asids)
		return SEV_VMRUN_ASID_RANGE;
	if (!(v->nested_ctl & SVM_NESTED_CTL_NP_ENABLE))
		return SEV_VMRUN_NP_DISABLED;
	if (!(v->nested_ctl & SVM_NESTED_CTL_SEV_ENABLE))
		return SEV_VMRUN_SEV_DISABLED;
	if (!(v->nested_ctl & SVM_NESTED_CTL_SEV_ES_ENABLE))
		return SEV_VMRUN_ES_DISABLED;
	if (v->asid >= c->min_sev_asid)
		return SEV_VMRUN_ASID_NOT_SEV_ES;
	if (!ncr3 || !IS_ALIGNED(ncr3, PAGE_SIZE) || ncr3 >= c->ram_end)
		return SEV_VMRUN_NCR3_BAD;
	if (!vmsa || !IS_ALIGNED(vmsa, PAGE_SIZE))
		return SEV_VMRUN_VMSA_UNALIGNED;
	if (vmsa >= c->ram_end)
		return SEV_VMRUN_VMSA_OUTSIDE_RAM;
	if (vmsa == c->vmcb_pa || vmsa == c->hsave_pa)
		return SEV_VMRUN_VMSA_ALIAS;
	if (!c->snp)
		return SEV_VMRUN_OK;
	if (!(c->syscfg & MSR_AMD64_SYSCFG_SNP_EN))
		return SEV_VMRUN_SNP_DISABLED;
	f = check_vmsa_rmp(c, vmsa);
	if (f)
		return f;
	/* The VMCB is the hypervisor's page (SNP: VMRUN reads and writes it
	 * with the host's key; an assigned page would RMP-fault). */
	if (c->rmp && rmp_covers(c->rmp, spa(c->vmcb_pa)) &&
	    !rmp_lookup(c->rmp, spa(c->vmcb_pa), &info, NULL) && info.assigned)
		return SEV_VMRUN_VMCB_NOT_HV_OWNED;
	return SEV_VMRUN_OK;
}

/* ---- exits ---------------------------------------------------------------------- */

bool sev_es_exit_is_automatic(u32 code)
{
	switch (code) {
	case SVM_EXIT_EXCP_BASE + 18: /* #MC */
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
	case SVM_EXIT_INIT:
	case SVM_EXIT_VINTR:
	case SVM_EXIT_PAUSE:
	case SVM_EXIT_HLT:
	case SVM_EXIT_SHUTDOWN:
	case SVM_EXIT_EFER_WRITE_TRAP:
	case SVM_EXIT_NPF:
	case SVM_EXIT_AVIC_INCOMPLETE_IPI:
	case SVM_EXIT_AVIC_UNACCELERATED_ACCESS:
	case SVM_EXIT_VMGEXIT:
	case SVM_EXIT_ERR:
		return true;
	default:
		return code >= SVM_EXIT_CR0_WRITE_TRAP && code <= SVM_EXIT_CR15_WRITE_TRAP;
	}
}

/* ---- #NPF ------------------------------------------------------------------------ */

static const char *const npf_names[] = {
    [SEV_NPF_NOT_RMP] = "not an RMP fault",
    [SEV_NPF_RMP_SIZEM] = "RMP size mismatch (4K access on a 2M entry)",
    [SEV_NPF_RMP_VMPL] = "RMP VMPL permission",
    [SEV_NPF_RMP_PRIVATE_ON_SHARED] = "private access to a page that is not the guest's",
    [SEV_NPF_RMP_SHARED_ON_PRIVATE] = "shared access to the guest's private page",
};

const char *sev_npf_kind_name(enum sev_npf_kind k)
{
	return (unsigned)k < ARRAY_SIZE(npf_names) ? npf_names[k] : "?";
}

/* APM vol 2, 15.36.10: bit 31 RMP check failed, 34 the access was a private
 * (encrypted, C=1) one, 35 page-size mismatch, 36 VMPL; bits 32/33 final
 * GPA / guest page walk as for every NPF. */
struct sev_npf sev_npf_decode(u64 info1, u64 info2)
{
	struct sev_npf f = {
	    .enc = info1 & PFERR_GUEST_ENC_MASK,
	    .npf = svm_npf_decode(info1, info2),
	};

	if (!(info1 & PFERR_GUEST_RMP_MASK))
		f.kind = SEV_NPF_NOT_RMP;
	else if (info1 & PFERR_GUEST_SIZEM_MASK)
		f.kind = SEV_NPF_RMP_SIZEM;
	else if (info1 & PFERR_GUEST_VMPL_MASK)
		f.kind = SEV_NPF_RMP_VMPL;
	else if (f.enc)
		f.kind = SEV_NPF_RMP_PRIVATE_ON_SHARED;
	else
		f.kind = SEV_NPF_RMP_SHARED_ON_PRIVATE;
	return f;
}
