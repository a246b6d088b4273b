/* hv/svm/sev_vmcb: the hardware side of an SEV-ES/SNP guest's VMCB, as pure
 * code the host tests run: the ASID pools (SEV-ES/SNP ASIDs below the
 * minimum SEV ASID, plain guests above the SEV range), the VMCB an SNP guest
 * runs from on hardware (nested_ctl NP|SEV|SEV-ES, vmsa_pa, intercepts an
 * SEV-ES guest can have, no register state in the save area), a model of
 * the consistency checks VMRUN makes for such a VMCB (each violation by
 * name), and the decode of the SNP bits of a nested page fault.
 *
 * Sources (facts only): AMD APM vol 2, 15.34 (SEV, CPUID 0x8000001F ASID
 * fields), 15.35 (SEV-ES: VMSA, VMSA_PA at VMCB 0x108, SEV_ES_ENABLE,
 * automatic vs non-automatic exits, write traps), 15.36 (SNP: RMP checks,
 * #NPF error bits, the VMSA page's RMP entry), appendix B (VMCB layout);
 * Linux arch/x86/kvm/svm/sev.c (sev_init_vmcb, sev_es_init_vmcb,
 * sev_hardware_setup: ASID ranges) and arch/x86/include/asm/svm.h
 * (SVM_NESTED_CTL_*, TRAP_*, PFERR_GUEST_*). Nothing here has run on an SNP
 * machine: docs/hardware.md lists what only hardware can confirm. */
#ifndef SNP_SEV_VMCB_H
#define SNP_SEV_VMCB_H

#include "hv/svm/svm.h"
#include "hv/base/types.h"

struct rmp;

/* ---- ASIDs (APM vol 2, 15.34.5 and 15.35.2; CPUID 0x8000001F) ----------
 * CPUID 0x8000001F ECX = the highest ASID usable by an SEV guest (Linux
 * max_sev_asid), EDX = the lowest ASID of an SEV guest *without* SEV-ES
 * (min_sev_asid). SEV-ES and SNP guests must use [1, min_sev_asid - 1];
 * plain SEV guests [min_sev_asid, max_sev_asid]; guests without SEV any
 * ASID above that, up to CPUID 0x8000000A EBX - 1. */
/* struct sev_asid_layout: hv/svm/svm.h */
/* nr_asids: CPUID 0x8000000A EBX. sev: the SEV leaf is reported (else the
 * whole range [1, nr_asids - 1] is for plain guests and the ES pool is
 * empty). 0 or -EINVAL for inconsistent CPUID values. */
int sev_asid_layout(u32 nr_asids, bool sev, u32 max_sev_asid, u32 min_sev_asid,
		    struct sev_asid_layout *out);

/* A bitmap over every ASID the processor can report (Genoa: 32768). */
#define SEV_ASID_SPACE 32768U
struct asid_space {
	u64 used[SEV_ASID_SPACE / 64];
};
/* Lowest free ASID in [first, last] (marked used), 0 when none is free or
 * the range is empty (first = 0). */
u32 asid_space_alloc(struct asid_space *s, u32 first, u32 last);
void asid_space_free(struct asid_space *s, u32 asid);
bool asid_space_used(const struct asid_space *s, u32 asid);

/* ---- the VMCB of an SEV-ES/SNP guest on hardware ------------------------- */
struct sev_vmcb_params {
	u32 asid;	/* from the ES pool */
	u64 nested_cr3; /* SPA of the NPT root */
	u64 iopm_pa;	/* SPA */
	u64 msrpm_pa;	/* SPA */
	u64 vmsa_pa;	/* SPA of the launched VMSA page (no C-bit: the CPU uses
			 * the guest's key for it, Linux sev_es_init_vmcb) */
	u64 ghcb_msr;	/* the guest's GHCB MSR at its first VMRUN: the SEV
			 * information response (56421 2.3.1.1), so the guest
			 * reads protocol range and C-bit without an exit */
};

/* Clears the whole VMCB and sets: nested_ctl NP|SEV|SEV_ES, vmsa_pa, ASID,
 * NPT root, IOPM/MSRPM, V_INTR_MASKING, TLB flush on the first run, clean
 * bits 0 (everything reloaded), ghcb_gpa = p->ghcb_msr (the processor loads the
 * guest's GHCB MSR from it at VMRUN), and the intercepts of
 * sev_vmcb_intercepts_on (not those of sev_vmcb_intercepts_off). The save
 * area stays all zero: the guest's registers live in the VMSA. */
void sev_vmcb_prepare(struct vmcb *vmcb, const struct sev_vmcb_params *p);

/* Intercept bits sev_vmcb_prepare sets / must leave clear (for the tests
 * and the docs). n receives the count. */
const unsigned *sev_vmcb_intercepts_on(unsigned *n);
const unsigned *sev_vmcb_intercepts_off(unsigned *n);

/* The MSR permission map of SEV-ES guests: base (SVM_MSRPM_SIZE bytes)
 * with the intercepts of the MSRs the processor switches itself (GHCB MSR,
 * EFER, PAT) cleared. 0 or negative errno. */
int sev_es_msrpm_build(u8 *msrpm, const u8 *base);

/* ---- VMRUN's consistency checks for an SEV-ES/SNP VMCB (model) ----------- */
enum sev_vmrun_fault {
	SEV_VMRUN_OK = 0,
	SEV_VMRUN_NO_VMRUN_INTERCEPT, /* 15.5.1: VMRUN intercept clear */
	SEV_VMRUN_ASID_ZERO,	      /* 15.5.1: ASID 0 is the host's */
	SEV_VMRUN_ASID_RANGE,	      /* ASID >= CPUID 0x8000000A EBX */
	SEV_VMRUN_NP_DISABLED,	      /* 15.34: SEV requires nested paging */
	SEV_VMRUN_SEV_DISABLED,	      /* SEV_ES_ENABLE without SEV_ENABLE */
	SEV_VMRUN_ES_DISABLED,	      /* an SNP/SEV-ES VMCB without SEV_ES_ENABLE */
	SEV_VMRUN_ASID_NOT_SEV_ES,    /* 15.35: ASID >= min SEV ASID (CPUID 0x8000001F EDX) */
	SEV_VMRUN_NCR3_BAD,	      /* NPT root 0, unaligned or beyond RAM */
	SEV_VMRUN_VMSA_UNALIGNED,     /* VMSA_PA 0 or not 4K-aligned */
	SEV_VMRUN_VMSA_OUTSIDE_RAM,   /* VMSA_PA beyond RAM / the address width */
	SEV_VMRUN_VMSA_ALIAS,	      /* VMSA_PA = the VMCB or the host save area */
	SEV_VMRUN_SNP_DISABLED,	      /* 15.36: SYSCFG.SNP_EN clear */
	SEV_VMRUN_VMSA_NOT_COVERED,   /* the VMSA page is beyond the RMP */
	SEV_VMRUN_VMSA_NOT_ASSIGNED,  /* 15.36: VMSA RMP entry not assigned */
	SEV_VMRUN_VMSA_NOT_4K,	      /* governed by a 2M RMP entry */
	SEV_VMRUN_VMSA_WRONG_ASID,    /* RMP ASID != VMCB ASID */
	SEV_VMRUN_VMSA_NOT_VALIDATED, /* Validated bit clear */
	SEV_VMRUN_VMSA_NO_VMSA_BIT,   /* VMSA bit clear */
	SEV_VMRUN_VMCB_NOT_HV_OWNED,  /* the VMCB page is assigned in the RMP */
	SEV_VMRUN_FAULT_NR
};

struct sev_vmrun_ctx {
	const struct vmcb *vmcb;
	u64 vmcb_pa, hsave_pa;
	u32 nr_asids;	  /* CPUID 0x8000000A EBX */
	u32 min_sev_asid; /* CPUID 0x8000001F EDX */
	u64 ram_end;	  /* highest RAM address + 1 */
	bool snp;	  /* the VMSA has SEV_FEATURES.SNP_ACTIVE */
	u64 syscfg;	  /* MSR SYSCFG (SNP_EN) */
	struct rmp *rmp;  /* SNP: the RMP the checks read */
};

/* The first rule the VMCB breaks (in the order of enum sev_vmrun_fault), or
 * SEV_VMRUN_OK. Hardware answers a violation with exit code
 * SVM_EXIT_ERR (VMEXIT_INVALID); the order among several violations is
 * the model's, not the processor's. */
enum sev_vmrun_fault sev_vmrun_check(const struct sev_vmrun_ctx *c);
const char *sev_vmrun_fault_name(enum sev_vmrun_fault f);

/* ---- exits of an SEV-ES guest (APM vol 2, 15.35.4) ------------------------
 * Automatic exits (AE) reach the hypervisor with the guest's state in the
 * VMSA; the processor handles RIP. Every other intercept becomes a #VC
 * inside the guest, which then asks through the GHCB and VMGEXIT. true for
 * the exit codes an SEV-ES guest of snpvisor can produce as AE. */
bool sev_es_exit_is_automatic(u32 exit_code);

/* ---- SNP #NPF (APM vol 2, 15.36.10; Linux PFERR_GUEST_*) ----------------- */
enum sev_npf_kind {
	SEV_NPF_NOT_RMP,	       /* an ordinary nested page fault */
	SEV_NPF_RMP_SIZEM,	       /* 4K access/PVALIDATE on a 2M RMP entry: PSMASH */
	SEV_NPF_RMP_VMPL,	       /* VMPL permission check failed */
	SEV_NPF_RMP_PRIVATE_ON_SHARED, /* private (C=1) access, page not the guest's */
	SEV_NPF_RMP_SHARED_ON_PRIVATE, /* shared (C=0) access to an assigned page */
};

struct sev_npf {
	enum sev_npf_kind kind;
	bool enc;	    /* bit 34: the access was private (C=1) */
	struct svm_npf npf; /* the bits every NPF has (svm_npf_decode) */
};

struct sev_npf sev_npf_decode(u64 exit_info_1, u64 exit_info_2);
const char *sev_npf_kind_name(enum sev_npf_kind k);

#endif
