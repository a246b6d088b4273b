/* SEV-SNP hardware bring-up glue: facts in, plan out (snp/snp_hw_plan.c),
 * then the plan executed. Only CPUID/MSR/WBINVD, PCI config writes, MMIO
 * mapping and mailbox commands live here; every decision is in the plan.
 *
 * Order (APM vol 2 15.36.2; SNP ABI 56860 SNP_INIT/SNP_INIT_EX; Linux
 * snp_rmptable_init and __sev_snp_init_locked):
 *   1. iommu_init(): the IOMMU must be up before SNP_INIT (the firmware
 *      checks every IOMMU; Linux refuses SNP with the IOMMU off or in
 *      passthrough). It also enumerates PCI, which finds the PSP.
 *   2. CPUID 0x8000001F only when 0x80000000 covers it; MSRs only when it
 *      reports SNP (RDMSR of RMP_BASE raises #GP otherwise).
 *   3. plan; every refusal printed with the fact and what to do.
 *   4. RMP hardware backend (rmp_init_hw); PSP: memory decode + bus master,
 *      BAR2 mapped uncached, psp_mmio_phys_ops.
 *   5. SNP_PLATFORM_STATUS into an ordinary page (before init), firmware
 *      plan, VM_HSAVE_PA = 0, WBINVD, SNP_INIT_EX/SNP_INIT, WBINVD,
 *      SNP_DF_FLUSH, SNP_PLATFORM_STATUS again (Firmware page + reclaim).
 * Every CPU: the per-CPU facts (SYSCFG, VM_HSAVE_PA, RMP_BASE/END) are read
 * on each CPU of the MADT through smp_call_all (hv/arch/x86/smp.c); when SNP_EN is
 * clear the plan's preparation runs in Linux's order (snp_hw_prep_steps:
 * zero the RMP, WBINVD, MFDM, SNP_EN|VMPL_EN on all CPUs), and before
 * SNP_INIT VM_HSAVE_PA := 0 and WBINVD run on all CPUs, then every CPU is
 * read again and must be ready (snp_hw_cpus_ready). docs/hardware.md. */
#include "hv/platform/snp_hw.h"

#include <errno.h>
#include <string.h>

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/machine.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/arch/x86/paging.h"
#include "hv/mm/pmem.h"
#include "hv/arch/x86/smp.h"
#include "hv/platform/snp_host.h"
#include "iommu/iommu.h"
#include "snp/launch.h"
#include "snp/sev_fw.h"
#include "snp/snp_hw_plan.h"

static struct psp_mmio_phys psp_mmio;

#define SNP_HW_CPU_TIMEOUT_MS 5000 /* per smp_call_all; WBINVD of large caches included */

static struct snp_hw_cpu_facts cpu_facts[SMP_MAX_CPUS];
static bool cpu_done[SMP_MAX_CPUS];
static int cpu_ret[SMP_MAX_CPUS];

static inline void wbinvd(void)
{
	asm volatile("wbinvd" ::: "memory");
}

/* Highest RAM address + 1 as Linux's max_pfn counts it: every range the
 * firmware calls memory (not MMIO, not reserved). */
static u64 ram_end(void)
{
	u64 end = 0;

	for (u32 i = 0; i < hv.bi->nr_mem; i++) {
		const struct boot_mem_range *r = &hv.bi->mem[i];
		u64 e = r->base + r->pages * PAGE_SIZE;

		if (r->kind == BOOT_MEM_MMIO || r->kind == BOOT_MEM_RESERVED)
			continue;
		if (e > end)
			end = e;
	}
	return end;
}

/* ---- run on every CPU (smp_call_all: no printf, own slot only) ----------- */
static int cpu_read(unsigned cpu, void *arg)
{
	struct snp_hw_cpu_facts *c = &cpu_facts[cpu];

	c->syscfg = rdmsr(MSR_AMD64_SYSCFG);
	c->hsave_pa = rdmsr(MSR_VM_HSAVE_PA);
	c->rmp_base = rdmsr(MSR_AMD64_RMP_BASE);
	c->rmp_end = rdmsr(MSR_AMD64_RMP_END);
	return 0;
}

static int cpu_wbinvd(unsigned cpu, void *arg)
{
	wbinvd();
	return 0;
}

/* One preparation step on this CPU: the write snp_hw_cpu_write decides. */
static int cpu_step(unsigned cpu, void *arg)
{
	enum snp_hw_prep_step step = *(const enum snp_hw_prep_step *)arg;
	u32 msr = step == SNP_HW_PREP_HSAVE ? MSR_VM_HSAVE_PA : MSR_AMD64_SYSCFG;
	u64 v;

	if (!snp_hw_cpu_write(step, rdmsr(msr), &v))
		return 0;
	wrmsr(msr, v);
	return 1;
}

/* fn on every online CPU; -ETIMEDOUT (named by hv/arch/x86/smp.c) if one missed. */
static int on_all(smp_fn fn, void *arg, const char *what)
{
	int err = smp_call_all(fn, arg, SNP_HW_CPU_TIMEOUT_MS, cpu_done, cpu_ret);

	if (err)
		pr_err("snp: hardware: %s did not finish on every CPU (%d)\n", what, err);
	return err;
}

/* Per-CPU facts of every enabled MADT CPU ([0] the BSP): up = it ran. */
static void gather_cpus(struct snp_hw_facts *f)
{
	memset(cpu_facts, 0, sizeof(cpu_facts));
	memset(cpu_done, 0, sizeof(cpu_done));
	smp_call_all(cpu_read, NULL, SNP_HW_CPU_TIMEOUT_MS, cpu_done, cpu_ret);
	for (unsigned i = 0; i < smp.ncpus; i++) {
		cpu_facts[i].apic_id = smp.cpu[i].apic_id;
		cpu_facts[i].up = cpu_done[i];
	}
	f->cpus_known = smp.madt_ok;
	f->cpus = cpu_facts;
	f->ncpus = smp.ncpus;
}

static void gather(struct snp_hw_facts *f)
{
	struct iommu_snp_facts isf;
	struct cpuid_regs r;

	memset(f, 0, sizeof(*f));
	/* Step 1: IOMMU before SNP. */
	f->iommu_err = iommu_init();
	f->iommu_up = iommu.up;
	f->iommu_passthrough = false; /* iommu_init: every DTE is the blocking form */
	iommu_snp_facts(&isf);
	f->iommu_efr = isf.efr_common; /* AND over every driven IOMMU: SNPSup on all */
	f->iommu_count = isf.in_ivrs;
	f->iommu_driven = isf.driven;
	if (isf.first_missing != 0xFFFF)
		pr_info("snp: hardware: IOMMU %02x:%02x.%x is not driven or lacks SNPSup\n",
			pci_bdf_bus(isf.first_missing), pci_bdf_dev(isf.first_missing),
			pci_bdf_fn(isf.first_missing));
	f->pci_err = iommu_pci_init();
	f->pci = iommu.devs;
	f->npci = iommu.pci_ok ? iommu.ndevs : 0;

	/* Step 2: CPUID and MSRs, each only when the previous fact allows. */
	r = cpuid(0x80000000U);
	f->max_ext_leaf = r.eax;
	f->mem_end = ram_end();
	if (f->max_ext_leaf < CPUID_SEV_LEAF)
		return;
	r = cpuid(CPUID_SEV_LEAF);
	f->sev_eax = r.eax;
	if (!(f->sev_eax & CPUID_SEV_EAX_SNP))
		return;
	f->msrs_valid = true;
	f->syscfg = rdmsr(MSR_AMD64_SYSCFG);
	f->rmp_base = rdmsr(MSR_AMD64_RMP_BASE);
	f->rmp_end = rdmsr(MSR_AMD64_RMP_END);
	if (f->sev_eax & CPUID_SEV_EAX_SEGMENTED_RMP)
		f->rmp_cfg = rdmsr(MSR_AMD64_RMP_CFG);
	f->hsave_pa = rdmsr(MSR_VM_HSAVE_PA);
	gather_cpus(f);
}

static void report_facts(const struct snp_hw_facts *f)
{
	pr_info("snp: hardware: CPUID 0x80000000.EAX %#x, 0x8000001F.EAX %#x%s\n", f->max_ext_leaf,
		f->sev_eax,
		f->max_ext_leaf < CPUID_SEV_LEAF ? " (leaf not reported: ignored)" : "");
	if (f->msrs_valid)
		pr_info(
		    "snp: hardware: SYSCFG %#llx (MEM_ENCRYPT %d SNP_EN %d VMPL_EN %d), RMP_BASE "
		    "%#llx RMP_END %#llx RMP_CFG %#llx, VM_HSAVE_PA %#llx, RAM end %#llx\n",
		    (unsigned long long)f->syscfg, !!(f->syscfg & MSR_AMD64_SYSCFG_MEM_ENCRYPT),
		    !!(f->syscfg & MSR_AMD64_SYSCFG_SNP_EN),
		    !!(f->syscfg & MSR_AMD64_SYSCFG_SNP_VMPL_EN), (unsigned long long)f->rmp_base,
		    (unsigned long long)f->rmp_end, (unsigned long long)f->rmp_cfg,
		    (unsigned long long)f->hsave_pa, (unsigned long long)f->mem_end);
	if (f->msrs_valid) {
		unsigned up = 0, same = 0;

		for (unsigned i = 0; i < f->ncpus; i++) {
			up += f->cpus[i].up;
			same += f->cpus[i].up && f->cpus[i].syscfg == f->syscfg &&
				f->cpus[i].hsave_pa == f->hsave_pa &&
				f->cpus[i].rmp_base == f->rmp_base &&
				f->cpus[i].rmp_end == f->rmp_end;
		}
		pr_info("snp: hardware: %u CPU(s) in the MADT%s, %u read, %u with the BSP's "
			"SYSCFG/VM_HSAVE_PA/RMP_BASE/RMP_END\n",
			f->ncpus, f->cpus_known ? "" : " (no MADT: unknown)", up, same);
		for (unsigned i = 0; i < f->ncpus; i++)
			pr_debug("  cpu %u APIC ID %u: %s SYSCFG %#llx VM_HSAVE_PA %#llx RMP "
				 "%#llx-%#llx\n",
				 i, f->cpus[i].apic_id, f->cpus[i].up ? "up" : "DOWN",
				 (unsigned long long)f->cpus[i].syscfg,
				 (unsigned long long)f->cpus[i].hsave_pa,
				 (unsigned long long)f->cpus[i].rmp_base,
				 (unsigned long long)f->cpus[i].rmp_end);
	}
	pr_info("snp: hardware: IOMMU %s (%d), EFR %#llx (SNPSup %d), %u in IVRS, %u driven; "
		"%u PCI functions enumerated\n",
		f->iommu_up ? "enabled, all devices blocked" : "NOT enabled", f->iommu_err,
		(unsigned long long)f->iommu_efr, !!(f->iommu_efr & AMD_IOMMU_EFR_SNP_SUP),
		f->iommu_count, f->iommu_driven, f->npci);
}

static void report_refusals(const struct snp_hw_plan *p)
{
	for (int r = 0; r < SNP_HW_R_COUNT; r++)
		if (p->refused & BIT(r))
			pr_err("snp: hardware: refused [%s]: %s. To do: %s\n",
			       snp_hw_refusal_name(r), snp_hw_refusal_fact(r),
			       snp_hw_refusal_todo(r));
	if (p->refused & (BIT(SNP_HW_R_AP_STARTUP) | BIT(SNP_HW_R_CPU_MISMATCH)))
		pr_err("snp: hardware: the first CPU concerned has APIC ID %u\n", p->bad_apic_id);
}

/* Linux snp_rmptable_init: when SNP_EN is clear, zero the whole RMP through
 * a write-back mapping, WBINVD on every CPU so the zeroes reach memory,
 * then MFDM and SNP_EN|VMPL_EN on every CPU. */
static int enable_snp(const struct snp_hw_plan *p)
{
	enum snp_hw_prep_step steps[SNP_HW_PREP_COUNT];
	unsigned n = snp_hw_prep_steps(p, steps);
	struct pt_change chg = {0};
	int err = 0;

	for (unsigned i = 0; i < n && !err; i++) {
		switch (steps[i]) {
		case SNP_HW_PREP_ZERO_RMP:
			err = pt_map(&hv_pt, p->zero_base, spa(p->zero_base), p->zero_size,
				     PT_R | PT_W | PT_GLOBAL, PT_SZ_4K | PT_SZ_2M, &chg);
			flush_tlb_all();
			if (err) {
				pr_err("snp: hardware: cannot map the RMP to zero it (%d)\n", err);
				break;
			}
			memset(phys_ptr(spa(p->zero_base)), 0, p->zero_size);
			break;
		case SNP_HW_PREP_WBINVD:
			err = on_all(cpu_wbinvd, NULL, snp_hw_prep_name(steps[i]));
			break;
		case SNP_HW_PREP_MFDM:
		case SNP_HW_PREP_SNP_EN:
			err = on_all(cpu_step, &steps[i], snp_hw_prep_name(steps[i]));
			break;
		default: /* HSAVE and the last WBINVD: firmware_up, before SNP_INIT */
			continue;
		}
		if (!err)
			pr_info("snp: hardware: %s done\n", snp_hw_prep_name(steps[i]));
	}
	return err;
}

static int psp_up(struct snp_platform *s, const struct snp_hw_plan *p)
{
	char bdf[8];
	spa_t cmdbuf;
	int err;

	pci_bdf_str(p->psp->bdf, bdf);
	pr_info("snp: hardware: PSP %s %04x:%04x (%u with a SEV mailbox), %s registers in BAR%u "
		"%#llx/%#llx\n",
		bdf, p->psp->vendor, p->psp->device, p->psp_candidates, p->regs->name, p->bar_index,
		(unsigned long long)p->bar_addr, (unsigned long long)p->bar_size);
	/* Linux sp_pci_probe: memory decode and bus mastering. The PSP reads
	 * command buffers by SPA (Linux passes __pa()), not through the IOMMU. */
	pci_command_update(&iommu.pci, p->psp->bdf, 0, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	err = paging_map_mmio(spa(p->bar_addr), p->map_size);
	if (err) {
		pr_err("snp: hardware: cannot map the PSP's BAR%u uncached (%d)\n", p->bar_index,
		       err);
		return err;
	}
	psp_mmio.base = spa(p->bar_addr);
	err = pmem_alloc(PMEM_ORDER_4K, s->owner, &cmdbuf);
	if (err) {
		pr_err("snp: hardware: no page for the PSP command buffer (%d)\n", err);
		return err;
	}
	return psp_init(&s->psp, &psp_mmio_phys_ops, &psp_mmio, p->regs, cmdbuf, 0);
}

static void print_status(const char *when, const struct sev_snp_platform_status *st)
{
	pr_info("snp: hardware: SNP_PLATFORM_STATUS %s: API %u.%u build %u, state %s, RMP %s, "
		"%u guests, TCB current %#llx reported %#llx\n",
		when, st->api_major, st->api_minor, st->build_id,
		st->state == SNP_PSTATE_INIT	 ? "INIT"
		: st->state == SNP_PSTATE_UNINIT ? "UNINIT"
						 : "?",
		st->flags & SNP_STATUS_RMP_INIT ? "initialised" : "not initialised",
		st->guest_count, (unsigned long long)st->current_tcb_version,
		(unsigned long long)st->reported_tcb_version);
}

/* SNP ABI 56860 SNP_INIT(_EX): VM_HSAVE_PA = 0 on every CPU (Linux
 * __sev_snp_init_locked), WBINVD on every CPU, then every CPU read again
 * and checked for MEM_ENCRYPT, SNP_EN, VMPL_EN, MFDM and HSAVE_PA = 0. */
static int prepare_cpus_for_init(const struct snp_hw_plan *p, const struct snp_hw_fw_plan *fp)
{
	const enum snp_hw_prep_step hsave = SNP_HW_PREP_HSAVE;
	struct snp_hw_facts again;
	unsigned bad = 0;
	int err;

	if (p->clear_hsave) {
		err = on_all(cpu_step, (void *)&hsave, snp_hw_prep_name(hsave));
		if (err)
			return err;
		pr_info("snp: hardware: VM_HSAVE_PA cleared on every CPU for SNP_INIT\n");
	}
	if (fp->wbinvd && (err = on_all(cpu_wbinvd, NULL, "WBINVD before SNP_INIT")))
		return err;
	memset(&again, 0, sizeof(again));
	gather_cpus(&again);
	if (!snp_hw_cpus_ready(again.cpus, again.ncpus, &bad)) {
		pr_err("snp: hardware: CPU %u (APIC ID %u) is not ready for SNP_INIT: %s, SYSCFG "
		       "%#llx (MEM_ENCRYPT, SNP_EN, VMPL_EN and MFDM needed), VM_HSAVE_PA %#llx\n",
		       bad, again.cpus[bad].apic_id, again.cpus[bad].up ? "up" : "not answering",
		       (unsigned long long)again.cpus[bad].syscfg,
		       (unsigned long long)again.cpus[bad].hsave_pa);
		return -EIO;
	}
	pr_info("snp: hardware: all %u CPU(s) ready for SNP_INIT (SYSCFG, VM_HSAVE_PA)\n",
		again.ncpus);
	return 0;
}

static int firmware_up(struct snp_platform *s, const struct snp_hw_plan *p)
{
	struct sev_snp_platform_status st;
	struct sev_data_snp_addr addr;
	struct sev_data_snp_init_ex ex;
	struct snp_hw_fw_plan fp;
	spa_t page;
	u32 fw = 0;
	int err;

	err = pmem_alloc(PMEM_ORDER_4K, s->owner, &page);
	if (err)
		return err;
	/* Before SNP_INIT the status page is an ordinary hypervisor page. */
	addr.address = spa_val(page);
	err = psp_cmd(&s->psp, SEV_CMD_SNP_PLATFORM_STATUS, &addr, sizeof(addr), &fw);
	if (err) {
		pr_err("snp: hardware: SNP_PLATFORM_STATUS failed (%d, firmware status %#x %s): "
		       "the PSP does not answer SNP commands; check SEV-SNP in the BIOS\n",
		       err, fw, sev_ret_name(fw));
		return err;
	}
	memcpy(&st, phys_ptr(page), sizeof(st));
	print_status("before init", &st);
	err = snp_hw_plan_firmware(&st, &fp);
	if (err) {
		pr_err("snp: hardware: refused [firmware]: %s (%d)\n", fp.why, err);
		return err;
	}
	err = prepare_cpus_for_init(p, &fp);
	if (err)
		return err;
	if (fp.init_cmd == SEV_CMD_SNP_INIT_EX) {
		memset(&ex, 0, sizeof(ex));
		ex.flags = fp.init_ex_flags;
		err = psp_cmd(&s->psp, fp.init_cmd, &ex, sizeof(ex), &fw);
	} else if (fp.init_cmd) {
		err = psp_cmd(&s->psp, fp.init_cmd, NULL, 0, &fw);
	}
	if (err) {
		pr_err(
		    "snp: hardware: %s failed (%d, firmware status %#x %s): check that SNP_EN, "
		    "VMPL_EN and MFDM are set and VM_HSAVE_PA is 0 on EVERY CPU, that every IOMMU "
		    "is enabled and that the RMP covers all memory (docs/hardware.md)\n",
		    fp.init_cmd == SEV_CMD_SNP_INIT_EX ? "SNP_INIT_EX" : "SNP_INIT", err, fw,
		    sev_ret_name(fw));
		return err;
	}
	if (fp.wbinvd && (err = on_all(cpu_wbinvd, NULL, "WBINVD after SNP_INIT")))
		return err;
	if (fp.df_flush) {
		err = psp_cmd(&s->psp, SEV_CMD_SNP_DF_FLUSH, NULL, 0, &fw);
		if (err) {
			pr_err("snp: hardware: SNP_DF_FLUSH failed (%d, firmware status %#x %s)\n",
			       err, fw, sev_ret_name(fw));
			return err;
		}
	}
	pr_info("snp: hardware: %s done, WBINVD, SNP_DF_FLUSH done\n",
		fp.init_cmd == SEV_CMD_SNP_INIT_EX ? "SNP_INIT_EX (INIT_RMP)"
		: fp.init_cmd			   ? "SNP_INIT"
						   : "platform already INIT: no SNP_INIT");
	/* After init the status page must be a Firmware page (then reclaimed). */
	err = snp_platform_status(&s->psp, &s->rmp, page, &st, &fw);
	if (err) {
		pr_err("snp: hardware: SNP_PLATFORM_STATUS after init failed (%d, firmware status "
		       "%#x %s)\n",
		       err, fw, sev_ret_name(fw));
		return err;
	}
	print_status("after init", &st);
	return 0;
}

int snp_hw_init(struct snp_platform *s)
{
	struct snp_hw_facts f;
	struct snp_hw_plan p;
	int err;

	pr_info("snp: hardware: step 1: IOMMU before SNP (iommu_init), then CPUID/MSR/PCI facts\n");
	gather(&f);
	report_facts(&f);
	err = snp_hw_plan_make(&f, &p);
	if (err) {
		report_refusals(&p);
		pr_err("snp: hardware: SNP platform not brought up (%d); the hypervisor goes on "
		       "without SNP guests\n",
		       err);
		return err;
	}
	s->owner = (u8)pmem_owner_register("snp-psp");
	if (p.enable_snp) {
		pr_info("snp: hardware: SNP_EN is clear: enabling SNP on all %u CPU(s) (%u need "
			"MFDM, %u SNP_EN|VMPL_EN; RMP %#llx+%#llx zeroed)\n",
			f.ncpus, p.need_mfdm, p.need_snp_en, (unsigned long long)p.zero_base,
			(unsigned long long)p.zero_size);
		err = enable_snp(&p);
		if (err) {
			pr_err("snp: hardware: enabling SNP on every CPU failed (%d)\n", err);
			return err;
		}
	}
	err = rmp_init_hw(&s->rmp, f.mem_end);
	if (err) {
		pr_err("snp: hardware: RMP hardware backend refused (%d)\n", err);
		return err;
	}
	s->rmp_base = s->rmp.base;
	s->rmp_size = s->rmp.size;
	err = psp_up(s, &p);
	if (!err)
		err = firmware_up(s, &p);
	if (err) {
		pr_err("snp: hardware: SNP platform not brought up (%d); the hypervisor goes on "
		       "without SNP guests\n",
		       err);
		return err;
	}
	s->hardware = true;
	return 0;
}
