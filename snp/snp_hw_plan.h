/* snp/snp_hw_plan: every decision of the SEV-SNP hardware bring-up, as pure
 * code. The hypervisor glue (hv/platform/snp_hw.c) gathers facts (CPUID, MSRs, the
 * IOMMU's state, the enumerated PCI functions, SNP_PLATFORM_STATUS) and
 * executes the plan; this file says what to do or why not, and is
 * unit-tested against Milan/Genoa-like fact sets and every refusal
 * (tests/unit/test_snp_hw_plan.c).
 *
 * References: AMD APM vol 2 15.36.2-4 (enabling SNP, RMP), APM vol 3
 * appendix E (CPUID 0x8000001F); SNP firmware ABI 56860 (SNP_INIT,
 * SNP_INIT_EX, SNP_PLATFORM_STATUS, SNP_DF_FLUSH); AMD IOMMU 48882 3.4
 * (Extended Feature Register, SNPSup). Facts cross-checked with Linux
 * arch/x86/virt/svm/sev.c (snp_rmptable_init), drivers/crypto/ccp/sp-pci.c
 * (the SEV mailbox is in BAR2), sev-dev.c (__sev_snp_init_locked) and
 * drivers/iommu/amd/init.c (amd_iommu_snp_enable). See docs/hardware.md. */
#ifndef SNP_SNP_HW_PLAN_H
#define SNP_SNP_HW_PLAN_H

#include "hv/base/bits.h"
#include "hv/base/types.h"
#include "iommu/pci.h"
#include "snp/psp.h"
#include "snp/rmp.h"
#include "snp/sev_fw.h"

/* 48882 3.4 (MMIO offset 0x30, IOMMU Extended Feature Register) bit 63:
 * SNPSup (Linux FEATURE_SNP). Without it the IOMMU cannot enforce the RMP on DMA
 * and SNP_INIT refuses the platform. */
#define AMD_IOMMU_EFR_SNP_SUP BIT(63)

/* Linux sp-pci.c (struct sp_dev_vdata .bar = 2): every PSP generation with a SEV mailbox has it in
 * BAR 2. */
#define PSP_SEV_MAILBOX_BAR 2

/* Linux's minimum SNP firmware (SNP_MIN_API_MAJOR.MINOR) and the version
 * from which SNP_INIT_EX (with INIT_RMP) is used instead of SNP_INIT. */
#define SNP_HW_MIN_API_MAJOR	 1
#define SNP_HW_MIN_API_MINOR	 51
#define SNP_HW_INIT_EX_API_MINOR 52

/* What one CPU reports (hv/platform/snp_hw.c reads it on every CPU through
 * smp_call_all; [0] is the BSP). Meaningful only when up. */
struct snp_hw_cpu_facts {
	u32 apic_id;
	bool up; /* listed in the MADT and ran the reading function */
	u64 syscfg, hsave_pa, rmp_base, rmp_end;
};

/* Everything the decision needs; the glue fills it, tests build it. */
struct snp_hw_facts {
	/* CPUID (APM vol 3 appendix E). sev_eax is meaningful only when
	 * max_ext_leaf reaches 0x8000001F: QEMU's EPYC models stop at
	 * 0x8000001E and answer 0x8000001F with another leaf's data. */
	u32 max_ext_leaf;
	u32 sev_eax;
	/* MSRs: read only when CPUID reports SNP (else RDMSR of RMP_BASE
	 * raises #GP); msrs_valid says they were. */
	bool msrs_valid;
	u64 syscfg, rmp_base, rmp_end;
	u64 rmp_cfg; /* only read when CPUID reports segmented RMP */
	u64 hsave_pa;
	u64 mem_end; /* highest RAM address + 1 (firmware memory map) */
	/* IOMMU, after iommu_init() (the order "IOMMU before SNP"). */
	int iommu_err;		/* iommu_init()'s result */
	bool iommu_up;		/* enabled, every device blocked */
	bool iommu_passthrough; /* default DTEs pass DMA untranslated */
	u64 iommu_efr;
	unsigned iommu_count;  /* IOMMUs listed by IVRS */
	unsigned iommu_driven; /* IOMMUs this hypervisor enabled */
	/* PCI segment 0 as enumerated with BARs sized (iommu_pci_init). */
	int pci_err;
	const struct pci_dev *pci;
	unsigned npci;
	/* Every enabled CPU of the MADT, [0] the BSP (hv/arch/x86/smp.c). cpus_known:
	 * the MADT was read, so ncpus is every CPU the firmware will check at
	 * SNP_INIT. cpus == NULL: no per-CPU facts (the old single-CPU view:
	 * SNP_EN clear is then refused as snp_en). */
	bool cpus_known;
	const struct snp_hw_cpu_facts *cpus;
	unsigned ncpus;
};

/* Each missing fact, in the order checked. One bit per refusal in
 * snp_hw_plan.refused; snp_hw_refusal_fact()/_todo() give the text. */
enum snp_hw_refusal {
	SNP_HW_R_NO_SEV_LEAF,	    /* CPUID 0x8000001F not reported */
	SNP_HW_R_NO_SNP,	    /* 0x8000001F.EAX[4] clear */
	SNP_HW_R_MEM_ENCRYPT,	    /* SYSCFG[23] clear */
	SNP_HW_R_SNP_EN,	    /* SYSCFG[24] clear */
	SNP_HW_R_VMPL_EN,	    /* SYSCFG[25] clear */
	SNP_HW_R_RMP_SEGMENTED,	    /* RMP_CFG[0] set */
	SNP_HW_R_RMP_UNSET,	    /* RMP_BASE/RMP_END not programmed */
	SNP_HW_R_RMP_LAYOUT,	    /* base/end malformed or not 1 MiB aligned */
	SNP_HW_R_RMP_COVERAGE,	    /* the table covers less than RAM or itself */
	SNP_HW_R_IOMMU_OFF,	    /* iommu_init failed / IOMMU not enabled */
	SNP_HW_R_IOMMU_PASSTHROUGH, /* default passthrough */
	SNP_HW_R_IOMMU_NO_SNP,	    /* EFR.SNPSup clear */
	SNP_HW_R_IOMMU_PARTIAL,	    /* IVRS lists IOMMUs we do not drive */
	SNP_HW_R_NO_PCI,	    /* no PCI enumeration */
	SNP_HW_R_NO_PSP,	    /* no AMD function with a SEV mailbox */
	SNP_HW_R_PSP_BAR,	    /* BAR2 missing, I/O, too small or unassigned */
	SNP_HW_R_AP_STARTUP,	    /* a MADT CPU is not running (or no MADT) */
	SNP_HW_R_CPU_MISMATCH,	    /* CPUs disagree: RMP_BASE/END, SNP_EN on some only */
	SNP_HW_R_COUNT,
};

struct snp_hw_plan {
	u32 refused; /* BIT(SNP_HW_R_*); 0: go */
	int first;   /* lowest refusal, -1 when none */
	/* RMP (valid when no RMP refusal) */
	struct rmp_hw_layout rmp;
	/* PSP */
	unsigned psp_candidates;   /* AMD functions with a SEV mailbox */
	const struct pci_dev *psp; /* the one used: lowest BDF */
	const struct psp_sev_regs *regs;
	u8 bar_index; /* PSP_SEV_MAILBOX_BAR */
	u64 bar_addr, bar_size;
	u64 map_size; /* bytes to map uncached (>= the mailbox) */
	/* steps before SNP_INIT (snp_hw_prep_steps gives their order) */
	bool enable_snp;	  /* SNP_EN clear on every CPU: zero the RMP, WBINVD, MFDM,
				   * SNP_EN|VMPL_EN on all CPUs (Linux snp_rmptable_init) */
	u64 zero_base, zero_size; /* the whole RMP (bookkeeping + entries) to zero */
	unsigned need_mfdm, need_snp_en, need_hsave; /* CPUs that need the write */
	bool clear_hsave; /* VM_HSAVE_PA must be 0 on every CPU at SNP_INIT */
	u32 bad_apic_id;  /* first CPU behind ap_startup / cpu_mismatch */
};

/* Decide. Every independent check runs (so a refusal report lists all
 * missing facts that could be read); checks that need an earlier fact
 * (MSRs need the CPUID bit, BAR checks need a PSP) are skipped when it is
 * missing. Returns 0 (go), -ENODEV (hardware or firmware setup missing),
 * -EOPNOTSUPP (present but not supported here: segmented RMP, more IOMMUs
 * than driven) or -EINVAL (NULL arguments). Logs nothing. */
int snp_hw_plan_make(const struct snp_hw_facts *f, struct snp_hw_plan *p);

/* ---- per-CPU preparation (every CPU, before SNP_INIT) ----------------------
 * The order, after Linux snp_rmptable_init and __sev_snp_init_locked and the
 * SNP ABI 56860 SNP_INIT_EX requirements (MEM_ENCRYPT, SNP_EN, VMPL_EN,
 * MFDM set and VM_HSAVE_PA = 0 "across all cores"): */
enum snp_hw_prep_step {
	SNP_HW_PREP_ZERO_RMP,	 /* BSP: the whole table, write-back mapping */
	SNP_HW_PREP_WBINVD,	 /* all CPUs: the zeroes reach memory before SNP_EN */
	SNP_HW_PREP_MFDM,	 /* all CPUs: SYSCFG.MFDM (per thread, before SNP_EN) */
	SNP_HW_PREP_SNP_EN,	 /* all CPUs: SYSCFG.SNP_EN | SNP_VMPL_EN */
	SNP_HW_PREP_HSAVE,	 /* all CPUs: VM_HSAVE_PA := 0 */
	SNP_HW_PREP_WBINVD_INIT, /* all CPUs: WBINVD before the init command */
	SNP_HW_PREP_COUNT,
};

/* The steps the plan needs, in order, into out[] (room for
 * SNP_HW_PREP_COUNT); returns how many. The first four only when
 * p->enable_snp; HSAVE when some CPU has it set; WBINVD_INIT always. */
unsigned snp_hw_prep_steps(const struct snp_hw_plan *p, enum snp_hw_prep_step *out);
const char *snp_hw_prep_name(enum snp_hw_prep_step s);

/* On one CPU at one step: from the value it reports (SYSCFG for MFDM and
 * SNP_EN, VM_HSAVE_PA for HSAVE), the value to write. false: no write is
 * needed (already so) or the step writes no MSR. */
bool snp_hw_cpu_write(enum snp_hw_prep_step step, u64 cur, u64 *val);

/* After the preparation, re-read on every CPU: true when each listed CPU
 * is up with MEM_ENCRYPT, SNP_EN, VMPL_EN, MFDM and VM_HSAVE_PA = 0.
 * *bad gets the index of the first that is not. */
bool snp_hw_cpus_ready(const struct snp_hw_cpu_facts *cpus, unsigned n, unsigned *bad);

/* "CPUID 0x8000001F not reported ..." (what is missing) and "enable ..."
 * (what to do). Never NULL. */
const char *snp_hw_refusal_name(int r);
const char *snp_hw_refusal_fact(int r);
const char *snp_hw_refusal_todo(int r);

/* ---- after the mailbox is up: the firmware step -------------------------- */
struct snp_hw_fw_plan {
	u32 init_cmd;	   /* SEV_CMD_SNP_INIT_EX, SEV_CMD_SNP_INIT, 0: already INIT */
	u32 init_ex_flags; /* SNP_INIT_EX_* for INIT_EX */
	bool wbinvd;	   /* WBINVD before and after the init command */
	bool df_flush;	   /* SNP_DF_FLUSH after it (before the first guest) */
	const char *why;   /* refusal text, NULL when going */
};

/* From SNP_PLATFORM_STATUS read before SNP_INIT. 0, -EOPNOTSUPP (firmware
 * too old), -EBUSY (already INIT with guests alive), -EIO (unknown state),
 * -EINVAL. */
int snp_hw_plan_firmware(const struct sev_snp_platform_status *st, struct snp_hw_fw_plan *out);

#endif
