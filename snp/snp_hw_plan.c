/* SEV-SNP hardware bring-up decisions (see snp_hw_plan.h and docs/hardware.md). */
#include "snp/snp_hw_plan.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *name, *fact, *todo;
	int err;
} refusal[SNP_HW_R_COUNT] = {
    [SNP_HW_R_NO_SEV_LEAF] =
	{"no_sev_leaf",
	 "CPUID 0x8000001F is not reported (0x80000000.EAX below it): not an "
	 "SEV-capable AMD CPU, or a virtual CPU without SEV (QEMU)",
	 "run on an EPYC 7003 (Milan) or later host; under QEMU use snp = emulated", -ENODEV},
    [SNP_HW_R_NO_SNP] = {"no_snp", "CPUID 0x8000001F.EAX[4] (SEV-SNP) is clear",
			 "enable SEV-SNP in the BIOS (AMD CBS > CPU Common Options > SEV-SNP "
			 "Support); needs a Zen 3 or later EPYC",
			 -ENODEV},
    [SNP_HW_R_MEM_ENCRYPT] = {"mem_encrypt",
			      "SYSCFG (MSR 0xC0010010) bit 23 MEM_ENCRYPT (SMEE) is clear: memory "
			      "encryption is off",
			      "enable SME (\"SMEE\") and SEV in the BIOS", -ENODEV},
    [SNP_HW_R_SNP_EN] =
	{"snp_en",
	 "SYSCFG bit 24 SNP_EN is clear and no per-CPU facts were gathered: "
	 "SNP_EN must be set on EVERY CPU (with MFDM, after the RMP is zeroed)",
	 "let hv/platform/snp_hw.c gather every CPU through hv/arch/x86/smp.c (docs/smp.md)",
	 -ENODEV},
    [SNP_HW_R_VMPL_EN] = {"vmpl_en",
			  "SYSCFG bit 25 SNP_VMPL_EN is clear on a CPU where SNP_EN is already set "
			  "(a previous stage enabled SNP without VMPLs)",
			  "power-cycle so that snpvisor sets both bits itself (Linux sets them "
			  "together)",
			  -ENODEV},
    [SNP_HW_R_RMP_SEGMENTED] = {"rmp_segmented",
				"segmented RMP is in use (CPUID 0x8000001F.EAX[23] and RMP_CFG "
				"MSR 0xC0010136 bit 0)",
				"not supported by snpvisor: select a contiguous RMP in the BIOS if "
				"it offers one",
				-EOPNOTSUPP},
    [SNP_HW_R_RMP_UNSET] =
	{"rmp_unset",
	 "RMP_BASE (MSR 0xC0010132) / RMP_END (0xC0010133) are not programmed: "
	 "the firmware reserved no RMP",
	 "enable SEV-SNP and \"SNP Memory (RMP Table) Coverage\" = Enabled in the "
	 "BIOS",
	 -ENODEV},
    [SNP_HW_R_RMP_LAYOUT] = {"rmp_layout",
			     "RMP_BASE/RMP_END are malformed (bits outside 51:13, end not above "
			     "base, end+1 not 8K aligned, or no room past the 16 KiB bookkeeping)",
			     "reset the BIOS SNP settings to defaults; report the MSR values",
			     -ENODEV},
    [SNP_HW_R_RMP_COVERAGE] = {"rmp_coverage",
			       "the RMP does not cover all RAM and itself (16 bytes per 4 KiB "
			       "+ 16 KiB)",
			       "set \"SNP Memory (RMP Table) Coverage\" to cover all memory (not "
			       "a custom amount) in the BIOS",
			       -ENODEV},
    [SNP_HW_R_IOMMU_OFF] = {"iommu_off",
			    "the AMD IOMMU is not enabled (iommu_init failed or found none); SNP "
			    "needs the IOMMU up before SNP_INIT",
			    "enable the IOMMU in the BIOS (NBIO > IOMMU = Enabled) and check the "
			    "ACPI IVRS table",
			    -ENODEV},
    [SNP_HW_R_IOMMU_PASSTHROUGH] = {"iommu_passthrough",
				    "the IOMMU passes DMA through untranslated by default",
				    "use the blocking default (snpvisor's default)", -ENODEV},
    [SNP_HW_R_IOMMU_NO_SNP] = {"iommu_no_snp",
			       "the IOMMU's Extended Feature Register bit 63 (SNPSup) is clear",
			       "enable SEV-SNP in the BIOS; an IOMMU without SNPSup cannot check "
			       "DMA against the RMP",
			       -ENODEV},
    [SNP_HW_R_IOMMU_PARTIAL] = {"iommu_partial",
				"IVRS lists IOMMUs that are not driven (another PCI segment, or "
				"their bring-up failed); SNP_INIT needs every IOMMU enabled",
				"read the iommu: lines; IOMMUs off PCI segment 0 are not supported "
				"(docs/iommu.md)",
				-EOPNOTSUPP},
    [SNP_HW_R_NO_PCI] = {"no_pci", "no PCI enumeration (no MCFG or no ECAM window)",
			 "check the ACPI MCFG table", -ENODEV},
    [SNP_HW_R_NO_PSP] = {"no_psp",
			 "no PSP PCI device found: no function 1022:1456/1486/14ca/156e (the "
			 "AMD Platform Security Processor with a SEV mailbox)",
			 "enable the PSP/CCP device and SEV in the BIOS; on QEMU there is none "
			 "(use snp = emulated)",
			 -ENODEV},
    [SNP_HW_R_PSP_BAR] = {"psp_bar",
			  "the PSP's BAR2 (the SEV mailbox) is missing, not memory, unassigned or "
			  "smaller than the mailbox registers",
			  "the firmware did not assign the PSP's MMIO: check the BIOS PCI settings",
			  -ENODEV},
    [SNP_HW_R_AP_STARTUP] = {"ap_startup",
			     "a CPU the MADT lists is not running (or there is no MADT), but "
			     "SNP_INIT checks SYSCFG and VM_HSAVE_PA on every CPU",
			     "keep [hv] smp = on and read the smp: lines for the CPU that did not "
			     "come up (docs/smp.md)",
			     -ENODEV},
    [SNP_HW_R_CPU_MISMATCH] = {"cpu_mismatch",
			       "the CPUs disagree: RMP_BASE/RMP_END differ, or SNP_EN is set on "
			       "some CPUs only",
			       "reset the BIOS SNP settings; power-cycle (a previous stage left a "
			       "partial SNP state)",
			       -ENODEV},
};

const char *snp_hw_refusal_name(int r)
{
	return r >= 0 && r < SNP_HW_R_COUNT ? refusal[r].name : "none";
}

const char *snp_hw_refusal_fact(int r)
{
	return r >= 0 && r < SNP_HW_R_COUNT ? refusal[r].fact : "no refusal";
}

const char *snp_hw_refusal_todo(int r)
{
	return r >= 0 && r < SNP_HW_R_COUNT ? refusal[r].todo : "";
}

static void refuse(struct snp_hw_plan *p, int r)
{
	p->refused |= (u32)BIT(r);
}

/* APM vol 2 15.36.2-3; SYSCFG and RMP MSRs; Linux snp_probe_rmptable_info. */
static void plan_cpu_rmp(const struct snp_hw_facts *f, struct snp_hw_plan *p)
{
	struct rmp_hw_facts rf;
	u64 size, npfns, covered;

	if (f->max_ext_leaf < CPUID_SEV_LEAF) {
		refuse(p, SNP_HW_R_NO_SEV_LEAF); /* sev_eax is garbage: ignore it */
		return;
	}
	if (!(f->sev_eax & CPUID_SEV_EAX_SNP)) {
		refuse(p, SNP_HW_R_NO_SNP);
		return;
	}
	if (!f->msrs_valid) {
		refuse(p, SNP_HW_R_RMP_UNSET);
		return;
	}
	if (!(f->syscfg & MSR_AMD64_SYSCFG_MEM_ENCRYPT))
		refuse(p, SNP_HW_R_MEM_ENCRYPT);
	/* SNP_EN and VMPL_EN: plan_cpus, once the RMP layout is known. */
	if ((f->sev_eax & CPUID_SEV_EAX_SEGMENTED_RMP) &&
	    (f->rmp_cfg & MSR_AMD64_SEG_RMP_ENABLED)) {
		refuse(p, SNP_HW_R_RMP_SEGMENTED);
		return;
	}
	if (!(f->rmp_base & RMP_ADDR_MASK) || !(f->rmp_end & RMP_ADDR_MASK)) {
		refuse(p, SNP_HW_R_RMP_UNSET);
		return;
	}
	if ((f->rmp_base & ~RMP_ADDR_MASK) || f->rmp_end <= f->rmp_base ||
	    !IS_ALIGNED(f->rmp_end + 1, KiB(8)) ||
	    f->rmp_end - f->rmp_base + 1 <= RMP_BOOKKEEPING_SIZE) {
		refuse(p, SNP_HW_R_RMP_LAYOUT);
		return;
	}
	size = f->rmp_end - f->rmp_base + 1;
	npfns = (size - RMP_BOOKKEEPING_SIZE) / RMP_ENTRY_SIZE;
	covered = npfns << PAGE_SHIFT;
	if (covered < f->mem_end || covered < f->rmp_end + 1) {
		refuse(p, SNP_HW_R_RMP_COVERAGE);
		return;
	}
	/* The shared parser agrees by construction; it fills the layout. Its
	 * SYSCFG checks are ours above, so pass the bits it wants. */
	memset(&rf, 0, sizeof(rf));
	rf.max_ext_leaf = f->max_ext_leaf;
	rf.sev_eax = f->sev_eax;
	rf.syscfg = f->syscfg | MSR_AMD64_SYSCFG_MEM_ENCRYPT | MSR_AMD64_SYSCFG_SNP_EN;
	rf.rmp_base = f->rmp_base;
	rf.rmp_end = f->rmp_end;
	rf.rmp_cfg = f->rmp_cfg;
	rf.mem_end = f->mem_end;
	if (rmp_hw_parse(&rf, &p->rmp))
		refuse(p, SNP_HW_R_RMP_LAYOUT);
}

/* Linux amd_iommu_snp_enable: SNP needs the IOMMU on, not in passthrough,
 * with SNPSup; the SNP firmware checks every IOMMU at SNP_INIT. */
static void plan_iommu(const struct snp_hw_facts *f, struct snp_hw_plan *p)
{
	if (f->iommu_err || !f->iommu_up) {
		refuse(p, SNP_HW_R_IOMMU_OFF);
		return;
	}
	if (f->iommu_passthrough)
		refuse(p, SNP_HW_R_IOMMU_PASSTHROUGH);
	if (!(f->iommu_efr & AMD_IOMMU_EFR_SNP_SUP))
		refuse(p, SNP_HW_R_IOMMU_NO_SNP);
	if (f->iommu_count > f->iommu_driven)
		refuse(p, SNP_HW_R_IOMMU_PARTIAL);
}

static const struct pci_bar *find_bar(const struct pci_dev *d, u8 index)
{
	for (unsigned i = 0; i < d->nbars && i < PCI_DEV_MAX_BARS; i++)
		if (d->bars[i].index == index)
			return &d->bars[i];
	return NULL;
}

/* Linux sp-pci.c: the PSP functions with a SEV mailbox (sp_pci_table with
 * psp_vdata->sev), registers in BAR2. On multi-socket machines each socket
 * has one; the lowest BDF (socket 0's) is used, as the master PSP. */
static void plan_psp(const struct snp_hw_facts *f, struct snp_hw_plan *p)
{
	const struct pci_bar *bar;
	u64 need;

	if (f->pci_err || !f->pci || !f->npci) {
		refuse(p, SNP_HW_R_NO_PCI);
		refuse(p, SNP_HW_R_NO_PSP);
		return;
	}
	for (unsigned i = 0; i < f->npci; i++) {
		const struct pci_dev *d = &f->pci[i];
		const struct psp_sev_regs *regs;

		if (d->vendor != PCI_VENDOR_AMD || d->hdr_type != PCI_HEADER_TYPE_NORMAL)
			continue;
		regs = psp_sev_regs_for_pci(d->vendor, d->device);
		if (!regs)
			continue;
		p->psp_candidates++;
		if (!p->psp || d->bdf < p->psp->bdf) {
			p->psp = d;
			p->regs = regs;
		}
	}
	if (!p->psp) {
		refuse(p, SNP_HW_R_NO_PSP);
		return;
	}
	p->bar_index = PSP_SEV_MAILBOX_BAR;
	bar = find_bar(p->psp, PSP_SEV_MAILBOX_BAR);
	need = (u64)p->regs->cmdbuff_addr_hi + 4;
	if (p->regs->cmdresp + 4 > need)
		need = (u64)p->regs->cmdresp + 4;
	if (!bar || (bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64) || !bar->addr ||
	    bar->size < need || !IS_ALIGNED(bar->addr, PAGE_SIZE) ||
	    bar->addr + bar->size < bar->addr) {
		refuse(p, SNP_HW_R_PSP_BAR);
		return;
	}
	p->bar_addr = bar->addr;
	p->bar_size = bar->size;
	p->map_size = ALIGN_UP(bar->size, PAGE_SIZE);
}

static bool rmp_refused(const struct snp_hw_plan *p)
{
	return p->refused &
	       (BIT(SNP_HW_R_NO_SEV_LEAF) | BIT(SNP_HW_R_NO_SNP) | BIT(SNP_HW_R_RMP_SEGMENTED) |
		BIT(SNP_HW_R_RMP_UNSET) | BIT(SNP_HW_R_RMP_LAYOUT) | BIT(SNP_HW_R_RMP_COVERAGE));
}

static void refuse_cpu(struct snp_hw_plan *p, int r, u32 apic_id)
{
	if (!(p->refused & (BIT(SNP_HW_R_AP_STARTUP) | BIT(SNP_HW_R_CPU_MISMATCH))))
		p->bad_apic_id = apic_id;
	refuse(p, r);
}

/* Every CPU (Linux snp_rmptable_init, SNP ABI 56860 SNP_INIT_EX): the BSP's
 * SNP_EN decides, as in Linux, whether SNP is enabled here (clear: zero the
 * RMP, WBINVD, MFDM and SNP_EN|VMPL_EN everywhere) or already was (a
 * previous stage; then VMPL_EN must be set too). Either way every listed
 * CPU must run (SNP_INIT checks them all) and agree with the BSP. */
static void plan_cpus(const struct snp_hw_facts *f, struct snp_hw_plan *p)
{
	bool bsp_en = f->syscfg & MSR_AMD64_SYSCFG_SNP_EN;
	u64 v;

	if (!f->msrs_valid || rmp_refused(p))
		return;
	if (!f->cpus || !f->ncpus) {
		if (!bsp_en)
			refuse(p, SNP_HW_R_SNP_EN);
		else if (!(f->syscfg & MSR_AMD64_SYSCFG_SNP_VMPL_EN))
			refuse(p, SNP_HW_R_VMPL_EN);
		return;
	}
	if (!f->cpus_known)
		refuse_cpu(p, SNP_HW_R_AP_STARTUP, f->cpus[0].apic_id);
	for (unsigned i = 0; i < f->ncpus; i++) {
		const struct snp_hw_cpu_facts *c = &f->cpus[i];

		if (!c->up) {
			refuse_cpu(p, SNP_HW_R_AP_STARTUP, c->apic_id);
			continue;
		}
		if (c->rmp_base != f->rmp_base || c->rmp_end != f->rmp_end ||
		    !!(c->syscfg & MSR_AMD64_SYSCFG_SNP_EN) != bsp_en)
			refuse_cpu(p, SNP_HW_R_CPU_MISMATCH, c->apic_id);
		if (!(c->syscfg & MSR_AMD64_SYSCFG_MEM_ENCRYPT))
			refuse(p, SNP_HW_R_MEM_ENCRYPT);
		if (bsp_en && !(c->syscfg & MSR_AMD64_SYSCFG_SNP_VMPL_EN))
			refuse(p, SNP_HW_R_VMPL_EN);
		p->need_mfdm += !bsp_en && snp_hw_cpu_write(SNP_HW_PREP_MFDM, c->syscfg, &v);
		p->need_snp_en += !bsp_en && snp_hw_cpu_write(SNP_HW_PREP_SNP_EN, c->syscfg, &v);
		p->need_hsave += snp_hw_cpu_write(SNP_HW_PREP_HSAVE, c->hsave_pa, &v);
	}
	p->enable_snp = !bsp_en;
	if (p->enable_snp) {
		/* Linux zeroes the whole table (bookkeeping and entries) */
		p->zero_base = f->rmp_base;
		p->zero_size = f->rmp_end - f->rmp_base + 1;
	}
}

int snp_hw_plan_make(const struct snp_hw_facts *f, struct snp_hw_plan *p)
{
	if (!f || !p)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->first = -1;
	plan_cpu_rmp(f, p);
	plan_cpus(f, p);
	plan_iommu(f, p);
	plan_psp(f, p);
	/* Linux __sev_snp_init_locked: SNP_INIT needs VM_HSAVE_PA = 0. */
	p->clear_hsave = f->msrs_valid && (f->hsave_pa != 0 || p->need_hsave);
	if (p->refused)
		p->enable_snp = false;
	for (int r = 0; r < SNP_HW_R_COUNT; r++)
		if (p->refused & BIT(r)) {
			p->first = r;
			return refusal[r].err;
		}
	return 0;
}

/* SNP ABI 56860: SNP_PLATFORM_STATUS before init (an ordinary page, as
 * Linux's snp_get_platform_data), then SNP_INIT_EX from API 1.52 (Linux
 * sets INIT_RMP and passes reserved ranges to become HV-Fixed; snpvisor
 * passes no list: it never hands firmware-reserved memory to guests), else
 * SNP_INIT; WBINVD before and after it, SNP_DF_FLUSH after. */
int snp_hw_plan_firmware(const struct sev_snp_platform_status *st, struct snp_hw_fw_plan *out)
{
	if (!st || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (st->api_major < SNP_HW_MIN_API_MAJOR ||
	    (st->api_major == SNP_HW_MIN_API_MAJOR && st->api_minor < SNP_HW_MIN_API_MINOR)) {
		out->why = "SNP firmware API older than 1.51 (Linux's minimum): update the BIOS "
			   "(it carries the SEV firmware)";
		return -EOPNOTSUPP;
	}
	switch (st->state) {
	case SNP_PSTATE_UNINIT:
		if (st->api_major > SNP_HW_MIN_API_MAJOR ||
		    st->api_minor >= SNP_HW_INIT_EX_API_MINOR) {
			out->init_cmd = SEV_CMD_SNP_INIT_EX;
			out->init_ex_flags = SNP_INIT_EX_INIT_RMP;
		} else {
			out->init_cmd = SEV_CMD_SNP_INIT;
		}
		out->wbinvd = true;
		out->df_flush = true;
		return 0;
	case SNP_PSTATE_INIT:
		if (st->guest_count) {
			out->why = "the SNP firmware is already initialised with live guests (a "
				   "previous OS did not shut SNP down): power-cycle the machine";
			return -EBUSY;
		}
		/* A previous stage ran SNP_INIT: keep it, flush before guests. */
		out->wbinvd = true;
		out->df_flush = true;
		return 0;
	default:
		out->why = "SNP_PLATFORM_STATUS reports an unknown platform state";
		return -EIO;
	}
}

/* ---- per-CPU preparation ---------------------------------------------------- */

unsigned snp_hw_prep_steps(const struct snp_hw_plan *p, enum snp_hw_prep_step *out)
{
	unsigned n = 0;

	if (p->enable_snp) {
		out[n++] = SNP_HW_PREP_ZERO_RMP;
		out[n++] = SNP_HW_PREP_WBINVD;
		out[n++] = SNP_HW_PREP_MFDM;
		out[n++] = SNP_HW_PREP_SNP_EN;
	}
	if (p->clear_hsave)
		out[n++] = SNP_HW_PREP_HSAVE;
	out[n++] = SNP_HW_PREP_WBINVD_INIT;
	return n;
}

const char *snp_hw_prep_name(enum snp_hw_prep_step s)
{
	static const char *const names[SNP_HW_PREP_COUNT] = {
	    [SNP_HW_PREP_ZERO_RMP] = "zero the RMP",
	    [SNP_HW_PREP_WBINVD] = "WBINVD on every CPU",
	    [SNP_HW_PREP_MFDM] = "SYSCFG.MFDM on every CPU",
	    [SNP_HW_PREP_SNP_EN] = "SYSCFG.SNP_EN|SNP_VMPL_EN on every CPU",
	    [SNP_HW_PREP_HSAVE] = "VM_HSAVE_PA := 0 on every CPU",
	    [SNP_HW_PREP_WBINVD_INIT] = "WBINVD on every CPU before SNP_INIT",
	};

	return (unsigned)s < SNP_HW_PREP_COUNT ? names[s] : "?";
}

bool snp_hw_cpu_write(enum snp_hw_prep_step step, u64 cur, u64 *val)
{
	const u64 en = MSR_AMD64_SYSCFG_SNP_EN | MSR_AMD64_SYSCFG_SNP_VMPL_EN;

	switch (step) {
	case SNP_HW_PREP_MFDM:
		*val = cur | MSR_AMD64_SYSCFG_MFDM;
		return !(cur & MSR_AMD64_SYSCFG_MFDM);
	case SNP_HW_PREP_SNP_EN:
		*val = cur | en;
		return (cur & en) != en;
	case SNP_HW_PREP_HSAVE:
		*val = 0;
		return cur != 0;
	default:
		*val = cur;
		return false;
	}
}

bool snp_hw_cpus_ready(const struct snp_hw_cpu_facts *cpus, unsigned n, unsigned *bad)
{
	const u64 need = MSR_AMD64_SYSCFG_MEM_ENCRYPT | MSR_AMD64_SYSCFG_SNP_EN |
			 MSR_AMD64_SYSCFG_SNP_VMPL_EN | MSR_AMD64_SYSCFG_MFDM;

	for (unsigned i = 0; i < n; i++)
		if (!cpus[i].up || (cpus[i].syscfg & need) != need || cpus[i].hsave_pa) {
			if (bad)
				*bad = i;
			return false;
		}
	return n > 0;
}
