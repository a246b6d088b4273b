/* Guest lifecycle and the scheduler: guests are created from hv.cfg, run
 * round-robin with a preemption timer, and end with an outcome that is
 * compared with the configuration's `expect`. One vCPU per guest, one
 * physical CPU. A guest that misbehaves is destroyed and reported; the
 * others go on. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "boot/boot_info.h"
#include "hv/arch/x86/cpu.h"
#include "hv/vm/dump.h"
#include "hv/svm/guest.h"
#include "hv/vm/guest_dev.h"
#include "hv/arch/x86/cpufeat.h"
#include "hv/vm/guest_vpci.h"
#include "hv/vm/guest_gmem.h"
#include "hv/vm/guest_linux.h"
#include "hv/abi/hypercall.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/mm/pmem.h"
#include "hv/base/report.h"
#include "hv/svm/snp_guest.h"
#include "snp/platform.h"
#include "hv/svm/svm.h"
#include "hv/svm/vcpu.h"
#include "hv/svm/sev_vmcb.h"
#include "hv/svm/vmsa.h"

/* Time a guest may spend running (its own slices) before it is stopped
 * with outcome "timeout". */
#define DEFAULT_SLICE_US 10000

static struct guest guests[CFG_MAX_GUESTS];
static u32 nr_guests;
static u64 hv_time_limit_ms; /* [hv] time_limit_ms of the running configuration */

static void host_cpuid(u32 leaf, u32 sub, struct cpuid_res *out)
{
	struct cpuid_regs r = cpuid_count(leaf, sub);

	out->eax = r.eax;
	out->ebx = r.ebx;
	out->ecx = r.ecx;
	out->edx = r.edx;
}

static const struct boot_file *find_file(const struct boot_info *bi, const char *name)
{
	u32 i;

	for (i = 0; i < bi->nr_files; i++)
		if (!strcasecmp(bi->files[i].name, name))
			return &bi->files[i];
	return NULL;
}

/* A 4K page that is not 2M aligned (snp-facts.md: erratum on 2M-aligned
 * VMCB pages under a host large page). */
static int alloc_vmcb_page(u8 owner, spa_t *out)
{
	spa_t a, b;
	int ret = pmem_alloc(PMEM_ORDER_4K, owner, &a);

	if (ret || !IS_ALIGNED(spa_val(a), HUGE_SIZE)) {
		*out = a;
		return ret;
	}
	ret = pmem_alloc(PMEM_ORDER_4K, owner, &b);
	pmem_free(a, PMEM_ORDER_4K, owner);
	*out = b;
	return ret;
}

/* The VMCB an SNP guest runs from on SNP hardware: pointing at its
 * launched VMSA (hv/svm/sev_vmcb.c), checked against the model of VMRUN's
 * SEV-ES/SNP rules. min_sev_asid and syscfg are the platform's facts. */
static enum sev_vmrun_fault sev_es_vmcb_build(struct guest *g, struct vmcb *vmcb, u64 vmcb_pa,
					      u32 min_sev_asid, u64 syscfg)
{
	const struct sev_vmcb_params p = {
	    .asid = g->asid,
	    .nested_cr3 = spa_val(g->npt_root),
	    .iopm_pa = spa_val(svm_cpu.iopm_pa),
	    .msrpm_pa = spa_val(svm_cpu.msrpm_sev_es_pa),
	    .vmsa_pa = spa_val(guest_gmem_vmsa(g)),
	    .ghcb_msr = g->ghcb_msr,
	};
	const struct sev_vmrun_ctx ctx = {
	    .vmcb = vmcb,
	    .vmcb_pa = vmcb_pa,
	    .hsave_pa = spa_val(svm_cpu.hsave_pa),
	    .nr_asids = svm_cpu.nr_asids,
	    .min_sev_asid = min_sev_asid,
	    .ram_end = spa_val(pmem_span_end()),
	    .snp = true, /* the launched VMSA has SEV_FEATURES.SNP_ACTIVE */
	    .syscfg = syscfg,
	    .rmp = &g->plat->rmp,
	};

	sev_vmcb_prepare(vmcb, &p);
	return sev_vmrun_check(&ctx);
}

/* SNP hardware: the vCPU runs from that VMCB through the SEV-ES world
 * switch. 0, or -EINVAL with the broken rule logged. */
static int guest_boot_sev_es(struct guest *g)
{
	struct vcpu *v = g->vcpu;
	enum sev_vmrun_fault f;

	v->sev_es = true;
	memset(&v->regs, 0, sizeof(v->regs)); /* unused: the GPRs are in the VMSA */
	f = sev_es_vmcb_build(g, v->vmcb, v->vmcb_pa, cpu.min_sev_asid, rdmsr(MSR_AMD64_SYSCFG));
	if (f) {
		pr_err(
		    "guest %s: the SEV-ES/SNP VMCB breaks VMRUN rule [%s] (asid %u, vmsa 0x%llx)\n",
		    g->name, sev_vmrun_fault_name(f), g->asid,
		    (unsigned long long)v->vmcb->control.vmsa_pa);
		return -EINVAL;
	}
	return 0;
}

/* Emulation: the same VMCB is built on a scratch page for the launched
 * guest and checked against the RMP model, with the modelled platform's
 * facts (SNP ASIDs 1..max_asid of the firmware model, SYSCFG after
 * SNP_INIT). It is never run: QEMU has no SEV-ES. */
static void sev_es_vmcb_model_check(struct guest *g)
{
	static struct vmcb scratch;
	char name[CFG_NAME_MAX + 24];
	enum sev_vmrun_fault f;

	f = sev_es_vmcb_build(g, &scratch, g->vcpu->vmcb_pa, g->plat->model.cfg.max_asid + 1,
			      MSR_AMD64_SYSCFG_MEM_ENCRYPT | MSR_AMD64_SYSCFG_SNP_EN |
				  MSR_AMD64_SYSCFG_SNP_VMPL_EN);
	snprintf(name, sizeof(name), "snp.%s.sev_vmcb", g->name);
	report_check(f == SEV_VMRUN_OK, name,
		     "hardware VMCB for ASID %u, VMSA 0x%llx against the VMRUN model: %s", g->asid,
		     (unsigned long long)scratch.control.vmsa_pa, sev_vmrun_fault_name(f));
}

/* Emulated SNP: the guest may write its C-bit into CR3 (Linux does), a
 * reserved bit for this processor (snp_cr3_write, docs/snp-guest.md "CR3"):
 * CR3 reads and writes exit and are emulated (hv/svm/exits.c). */
static void snp_emul_cr3_intercept(struct vcpu *v)
{
	v->cr3_emul = true;
	v->guest_cr3 = v->vmcb->save.cr3;
	v->phys_bits = cpu.phys_addr_bits;
	vmcb_set_intercept(&v->vmcb->control, INTERCEPT_CR3_READ);
	vmcb_set_intercept(&v->vmcb->control, INTERCEPT_CR3_WRITE);
}

static int guest_boot_vcpu(struct guest *g)
{
	struct vcpu_boot b = {
	    .entry = gpa_val(g->entry),
	    .boot_params = GUEST_BOOT_PARAMS_GPA,
	    .asid = g->asid,
	    .nested_cr3 = spa_val(g->npt_root),
	    .iopm_pa = spa_val(svm_cpu.iopm_pa),
	    .msrpm_pa = spa_val(svm_cpu.msrpm_pa),
	};

	if (g->snp && snp_platform_hw_guests(g->plat))
		return guest_boot_sev_es(g);
	if (g->snp) {
		/* emulation: a plain VMCB with the state of the launched VMSA
		 * (hv/vm/guest_gmem.c) */
		static u64 page[PAGE_SIZE / 8];

		if (g->is_linux) { /* the launched page: Linux's entry (hv/vm/linux_snp.c) */
			memcpy(page, phys_ptr(guest_gmem_vmsa(g)), PAGE_SIZE);
		} else {
			vmsa_page_build_boot64(page, gpa_val(g->entry), GUEST_BOOT_PARAMS_GPA,
					       SVM_SEV_FEAT_SNP_ACTIVE);
		}
		vcpu_init_from_vmsa(g->vcpu, &b, (const struct sev_es_save_area *)page);
		if (g->is_linux)
			guest_linux_boot_vcpu(g); /* the same state; the APIC reset */
		snp_emul_cr3_intercept(g->vcpu);
		return 0;
	}
	vcpu_init(g->vcpu, &b);
	if (g->is_linux)
		guest_linux_boot_vcpu(g);
	return 0;
}

static void guest_destroy(struct guest *g)
{
	if (g->is_linux)
		guest_linux_report(g);
	if (g->vcpu) {
		const struct vcpu *v = g->vcpu;

		if (v->bench_tsc[2] > v->bench_tsc[1] && v->bench_tsc[1] > v->bench_tsc[0] &&
		    v->bench_tsc[0]) {
			g->bench_full_per_s = (v->bench_exits[1] - v->bench_exits[0]) *
					      svm_cpu.tsc_khz * 1000 /
					      (v->bench_tsc[1] - v->bench_tsc[0]);
			g->bench_bare_per_s = v->bench_bare_n * svm_cpu.tsc_khz * 1000 /
					      (v->bench_tsc[2] - v->bench_tsc[1]);
		}
		g->exits_total = g->vcpu->exits;
		memcpy(g->exit_counts, g->vcpu->exit_counts, sizeof(g->exit_counts));
	}
	if (g->mem_ops && g->mem_ops->report)
		g->mem_ops->report(g);
	guest_gmem_xcheck_all(g->name);
	guest_dev_detach(g); /* devices blocked and invalidated before memory moves */
	snp_guest_fini(g);   /* page states back to the hypervisor first */
	if (g->mem_ops)
		g->mem_ops->destroy(g);
	guest_dev_put(g);
	if (spa_val(g->vmcb_pa))
		pmem_free(g->vmcb_pa, PMEM_ORDER_4K, g->owner);
	if (g->vcpu)
		pmem_free(virt_to_phys(hva_from_ptr(g->vcpu)), PMEM_ORDER_4K, g->owner);
	svm_asid_free(g->asid);
	g->vmcb_pa = spa(0);
	g->vcpu = NULL;
	g->asid = 0;
	g->mem_ops = NULL;
}

static int guest_create(struct guest *g, const struct cfg_guest *c, u32 id,
			const struct boot_info *bi, struct snp_platform *snp)
{
	const struct boot_file *f = c->kernel[0] ? NULL : find_file(bi, c->image);
	struct boot_file none = {.addr = 0, .size = 0};
	struct hc_info info;
	spa_t pa;
	int ret;

	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", c->name);
	g->id = id;
	g->cfg = c;
	g->plat = snp;
	g->snp = c->snp;
	g->mem_size = c->memory;
	g->load = c->load;
	g->entry = c->entry;
	g->outcome = GUEST_RUNNING;
	g->cpuid.snp = c->snp;
	if (g->snp)
		g->ghcb_msr = snp_sev_info(); /* 56421 2.3.1.1: at launch */
	g->cpuid.host = host_cpuid;
	if (c->kernel[0]) {
		/* a Linux guest: checked and placed before anything is allocated */
		ret = guest_linux_prepare(g, c, bi);
		if (ret)
			return ret;
		f = &none;
	} else if (!f) {
		guest_finish(g, GUEST_KILLED, "image %s is not on the ESP", c->image);
		return -ENOENT;
	}
	if (!g->is_linux)
		g->image_size = f->size;
	if (g->is_linux) {
		/* placed by the loader (guest_linux_prepare) */
	} else if (gpa_val(g->load) < GUEST_BOOT_PARAMS_GPA + PAGE_SIZE ||
		   gpa_val(g->load) + f->size > g->mem_size || gpa_val(g->entry) >= g->mem_size) {
		guest_finish(
		    g, GUEST_KILLED,
		    "image %s (%llu bytes at 0x%llx, entry 0x%llx) does not fit in %llu MiB "
		    "above the boot-params page",
		    c->image, (unsigned long long)f->size, (unsigned long long)gpa_val(g->load),
		    (unsigned long long)gpa_val(g->entry), (unsigned long long)(g->mem_size >> 20));
		return -EINVAL;
	}
	ret = pmem_owner_register(g->name);
	if (ret < 0)
		goto fail;
	g->owner = (u8)ret;
	/* SNP guests on hardware run SEV-ES/SNP: their ASID must come from
	 * below the minimum SEV ASID, and SNP_ACTIVATE binds exactly this one
	 * (hv/vm/guest_gmem.c -> snp_launch_begin). Emulated SNP guests keep the
	 * plain pool (the firmware model accepts any ASID up to its max_asid). */
	g->asid = svm_asid_alloc(g->snp && snp_platform_hw_guests(g->plat));
	if (!g->asid) {
		pr_err("guest %s: no free ASID in the %s pool\n", g->name,
		       g->snp && snp_platform_hw_guests(g->plat) ? "SEV-ES/SNP" : "plain");
		ret = -ENOSPC;
		goto fail;
	}
	g->mem_ops = &guest_mem_gmem;
	ret = g->mem_ops->create(g, g->is_linux ? NULL : phys_ptr(spa(f->addr)), f->size);
	if (ret) {
		g->mem_ops = NULL;
		goto fail;
	}
	if (g->is_linux) {
		ret = guest_linux_load(g);
		if (ret)
			goto fail;
	} else if (!g->mem_loaded) {
		ret = guest_write(g, g->load, phys_ptr(spa(f->addr)), f->size);
		if (ret)
			goto fail;
		guest_fill_info(g, &info);
		ret = guest_write(g, gpa(GUEST_BOOT_PARAMS_GPA), &info, sizeof(info));
		if (ret)
			goto fail;
	}
	ret = guest_dev_assign(g);
	if (ret)
		goto fail;
	if (g->snp) {
		snp_clock = svm_rdtsc;
		snp_clock_khz = svm_cpu.tsc_khz;
		ret = snp_guest_init(g, &snp_gmem_backend);
		if (ret)
			goto fail;
	}
	ret = pmem_alloc(PMEM_ORDER_4K, g->owner, &pa);
	if (ret)
		goto fail;
	g->vcpu = phys_ptr(pa);
	memset(g->vcpu, 0, sizeof(*g->vcpu));
	ret = alloc_vmcb_page(g->owner, &g->vmcb_pa);
	if (ret)
		goto fail;
	g->vcpu->vmcb = phys_ptr(g->vmcb_pa);
	g->vcpu->vmcb_pa = spa_val(g->vmcb_pa);
	g->vcpu->host_vmcb_pa = spa_val(svm_cpu.host_vmcb_pa);
	g->vcpu->hsave_pa = spa_val(svm_cpu.hsave_pa);
	g->vcpu->guest = g;
	g->vcpu->nrips = svm_cpu.nrips;
	ret = guest_boot_vcpu(g);
	if (ret)
		goto fail;
	if (g->snp && !g->vcpu->sev_es)
		sev_es_vmcb_model_check(g);
	pr_info("guest %s: %llu MiB, image %s (%llu bytes) at 0x%llx, entry 0x%llx, ASID %u, "
		"NPT root 0x%llx, SNP %s\n",
		g->name, (unsigned long long)(g->mem_size >> 20),
		g->is_linux ? c->kernel : c->image,
		(unsigned long long)(g->is_linux ? g->image_size : f->size),
		(unsigned long long)gpa_val(g->load), (unsigned long long)gpa_val(g->entry),
		g->asid, (unsigned long long)spa_val(g->npt_root),
		!g->snp		  ? "off"
		: g->vcpu->sev_es ? "hardware (SEV-ES world switch)"
				  : "emulated");
	return 0;
fail:
	guest_finish(g, GUEST_KILLED, "creation failed (%d)", ret);
	guest_destroy(g);
	return ret;
}

/* A failed VMRUN overwrote the save area with host state (qemu-facts.md):
 * log what the processor refused and leave a clean VMCB behind. */
static void vmrun_failed(struct guest *g)
{
	const struct vmcb *vmcb = g->vcpu->vmcb;
	const struct vmcb_save_area *s = &vmcb->save;

	if (g->vcpu->sev_es) {
		/* Nothing to rebuild: the guest's state is its launched VMSA. */
		pr_err("guest %s: VMRUN of the SEV-ES/SNP VMCB failed (exit code 0x%x): asid %u "
		       "nested_ctl 0x%llx vmsa 0x%llx\n",
		       g->name, vmcb->control.exit_code, vmcb->control.asid,
		       (unsigned long long)vmcb->control.nested_ctl,
		       (unsigned long long)vmcb->control.vmsa_pa);
		return;
	}
	pr_err("guest %s: VMRUN failed (exit code 0x%x): efer 0x%llx cr0 0x%llx cr3 0x%llx cr4 "
	       "0x%llx dr6 0x%llx dr7 0x%llx rflags 0x%llx rip 0x%llx cs %04x/%04x ss %04x/%04x "
	       "event_inj 0x%x/0x%x int_ctl 0x%x asid %u\n",
	       g->name, vmcb->control.exit_code, (unsigned long long)s->efer,
	       (unsigned long long)s->cr0, (unsigned long long)s->cr3, (unsigned long long)s->cr4,
	       (unsigned long long)s->dr6, (unsigned long long)s->dr7,
	       (unsigned long long)s->rflags, (unsigned long long)s->rip, s->cs.selector,
	       s->cs.attrib, s->ss.selector, s->ss.attrib, vmcb->control.event_inj,
	       vmcb->control.event_inj_err, vmcb->control.int_ctl, vmcb->control.asid);
	guest_boot_vcpu(g);
}

/* make bench, bare-VMRUN phase: a CPUID exit is answered from the result of
 * the first one (handled in full) and the guest re-entered at once, without
 * the dispatcher, statistics or checks. The difference to the full phase is
 * what the exit dispatch costs. */
static bool bench_bare_exit(struct vcpu *v)
{
	struct vmcb *vmcb = v->vmcb;

	if (vmcb->control.exit_code != SVM_EXIT_CPUID || !v->bench_cached)
		return false;
	vmcb->save.rax = v->bench_regs[0];
	v->regs.rbx = v->bench_regs[1];
	v->regs.rcx = v->bench_regs[2];
	v->regs.rdx = v->bench_regs[3];
	vmcb->save.rip += 2; /* CPUID is 0F A2 */
	v->bench_bare_n++;
	return true;
}

static void bench_mark(struct vcpu *v)
{
	unsigned m = (unsigned)v->bench_mark;

	v->bench_mark = -1;
	v->bench_tsc[m] = svm_rdtsc();
	v->bench_exits[m] = v->exits;
	v->bench_bare = m == 1;
	v->bench_cached = false;
}

/* Runs g until its slice ends, it yields or it finishes. */
static void guest_slice(struct guest *g, u64 slice_us, u64 max_exits)
{
	struct vcpu *v = g->vcpu;
	const u64 limit_ms = hv_time_limit_ms ? hv_time_limit_ms : 10000;
	const u64 limit = limit_ms * svm_cpu.tsc_khz;
	u64 t0 = svm_rdtsc();
	enum exit_action a;

	svm_timer_arm(slice_us);
	for (;;) {
		if (g->is_linux) {
			guest_vpci_poll(); /* device MSIs taken since the last exit */
			g->now = svm_rdtsc();
			guest_irq_sync(v, g->now);
		}
		if (v->sev_es) {
			svm_sev_es_host_state();
			__svm_sev_es_vcpu_run(v);
		} else {
			__svm_vcpu_run(v);
		}
		v->vmcb->control.tlb_ctl = TLB_CONTROL_DO_NOTHING;
		if (v->bench_bare && bench_bare_exit(v))
			continue;
		if (v->vmcb->control.exit_code == SVM_EXIT_INTR)
			svm_host_intr_ack();
		g->now = svm_rdtsc();
		a = svm_handle_exit(v);
		if (v->bench_mark >= 0)
			bench_mark(v);
		else if (v->bench_bare && !v->bench_cached &&
			 v->vmcb->control.exit_code == SVM_EXIT_CPUID) {
			v->bench_regs[0] = (u32)v->vmcb->save.rax;
			v->bench_regs[1] = (u32)v->regs.rbx;
			v->bench_regs[2] = (u32)v->regs.rcx;
			v->bench_regs[3] = (u32)v->regs.rdx;
			v->bench_cached = true;
		}
		if (v->vmcb->control.exit_code == SVM_EXIT_ERR)
			vmrun_failed(g);
		if (a == EXIT_STOP || guest_done(g)) /* e.g. ACPI S5 inside an NAE */
			break;
		if (max_exits && v->exits >= max_exits) {
			guest_finish(g, GUEST_KILLED, "exit limit %llu reached",
				     (unsigned long long)max_exits);
			break;
		}
		if (g->run_ticks + (svm_rdtsc() - t0) > limit) {
			guest_finish(g, GUEST_TIMEOUT, "ran %u ms without finishing, rip 0x%llx",
				     (unsigned)limit_ms, (unsigned long long)v->vmcb->save.rip);
			break;
		}
		if (a == EXIT_YIELD)
			break;
	}
	svm_timer_disarm();
	svm_host_intr_ack(); /* a tick that fired after the last exit */
	g->run_ticks += svm_rdtsc() - t0;
	g->slices++;
}

/* A Linux guest halted with IF = 1: runnable again once its APIC has an
 * interrupt for it. Else *wake becomes the earliest TSC deadline among the
 * sleepers; one with nothing armed can never wake and is finished. */
static bool linux_wakes(struct guest *g, u64 *wake)
{
	u64 next;

	guest_vpci_poll();
	g->now = svm_rdtsc();
	vlapic_tick(&g->lapic, g->now);
	if (vlapic_pending(&g->lapic) >= 0) {
		g->halted = false;
		return true;
	}
	next = vlapic_next_event(&g->lapic);
	if (!next && guest_vpci_can_wake(g)) /* its device may still interrupt */
		next = g->now + 100 * svm_cpu.tsc_khz;
	if (!next) {
		guest_finish(g, GUEST_KILLED,
			     "HLT with interrupts on but no timer armed: it can never wake "
			     "(rip 0x%llx)",
			     (unsigned long long)g->vcpu->vmcb->save.rip);
		pr_info("guest %s: finished: killed after %llu exits\n", g->name,
			(unsigned long long)g->vcpu->exits);
		guest_destroy(g);
		return false;
	}
	if (!*wake || next < *wake)
		*wake = next;
	return false;
}

static void schedule(const struct hv_config *cfg)
{
	u64 slice = cfg->timeslice_us ? cfg->timeslice_us : DEFAULT_SLICE_US;
	bool any;
	u32 i;

	do {
		u64 wake = 0;
		bool ran = false;

		any = false;
		for (i = 0; i < nr_guests; i++) {
			struct guest *g = &guests[i];

			if (guest_done(g))
				continue;
			any = true;
			if (g->halted && !linux_wakes(g, &wake))
				continue;
			ran = true;
			guest_slice(g, slice, cfg->max_exits);
			if (guest_done(g)) {
				pr_info("guest %s: finished: %s after %llu exits\n", g->name,
					guest_outcome_name(g->outcome),
					(unsigned long long)g->vcpu->exits);
				dump_point("end", g->name, guests, nr_guests, g->plat);
				guest_destroy(g);
			}
		}
		if (any && !ran && wake)
			svm_host_idle_until(wake); /* every guest sleeps in HLT */
	} while (any);
}

static void report_table(void)
{
	static const char *const hdr[EXIT_STAT_NR] = {
	    "cpuid", "msr",  "ioio", "hlt",    "vmmcall", "vmgexit",
	    "npf",   "intr", "excp", "shutdn", "other",
	};
	u32 i, k;

	printf("\n%-15s %7s %8s", "guest", "memory", "exits");
	for (k = 0; k < EXIT_STAT_NR; k++)
		printf(" %7s", hdr[k]);
	printf("  %-12s %-12s %s\n", "result", "expected", "detail");
	for (i = 0; i < nr_guests; i++) {
		const struct guest *g = &guests[i];

		printf("%-15s %6lluM %8llu", g->name, (unsigned long long)(g->mem_size >> 20),
		       (unsigned long long)g->exits_total);
		for (k = 0; k < EXIT_STAT_NR; k++)
			printf(" %7llu", (unsigned long long)g->exit_counts[k]);
		printf("  %-12s %-12s %s\n", guest_outcome_name(g->outcome),
		       cfg_expect_name(g->cfg->expect), g->detail);
	}
	printf("\n");
}

/* Per guest: what gmem held when the guest ended (RMP / NPT / IOMMU). */
static void report_mem_table(void)
{
	u32 i;

	u64 leaked = 0;

	printf("%-15s %9s %9s %8s %8s %7s %7s %8s %7s %7s %-8s %s\n", "guest", "private", "shared",
	       "rmp-4k", "rmp-2m", "npt-pt", "iom-pt", "convert", "inv", "leaked", "xcheck",
	       "launch digest");
	for (i = 0; i < nr_guests; i++) {
		const struct guest_mem_summary *m = &guests[i].mem;

		if (!m->valid)
			continue;
		printf("%-15s %9llu %9llu %8llu %8llu %7llu %7llu %8llu %7llu %7llu %-8s %.16s%s\n",
		       guests[i].name, (unsigned long long)m->private_pages,
		       (unsigned long long)m->shared_pages, (unsigned long long)m->rmp_4k,
		       (unsigned long long)m->rmp_2m, (unsigned long long)m->npt_tables,
		       (unsigned long long)m->iommu_tables, (unsigned long long)m->conversions,
		       (unsigned long long)m->inv_rounds, (unsigned long long)m->leaked_pages,
		       m->xcheck_clean ? "clean" : "VIOLATED", m->digest[0] ? m->digest : "-",
		       m->digest[0] ? "..." : "");
		leaked += m->leaked_pages;
	}
	printf("(pages are 4 KiB; private/shared from gmem's ledger, rmp-* entries assigned to the "
	       "guest's ASID, *-pt page-table pages, inv = invalidation rounds, leaked = kept at "
	       "teardown, never reused)\n");
	if (leaked)
		printf("leaked %llu pages (RMP state not hypervisor)\n",
		       (unsigned long long)leaked);
	printf("\n");
}

int guests_run(const struct hv_config *cfg, const struct boot_info *bi, struct snp_platform *snp)
{
	u32 i, mismatches = 0;
	u64 t0, ms;
	int ret;

	if (!cfg->n_guests) {
		pr_info("guests: none configured\n");
		return 0;
	}
	ret = svm_enable();
	if (ret) {
		report_check(false, "svm.enable", "SVM could not be enabled (%d)", ret);
		return ret;
	}
	nr_guests = cfg->n_guests;
	for (i = 0; i < nr_guests; i++)
		guest_create(&guests[i], &cfg->guests[i], i, bi, snp);
	guest_gmem_xcheck_all("all guests created");
	dump_point("created", NULL, guests, nr_guests, snp);
	t0 = svm_rdtsc();
	hv_time_limit_ms = cfg->time_limit_ms;
	schedule(cfg);
	ms = (svm_rdtsc() - t0) / svm_cpu.tsc_khz;
	report_table();
	report_mem_table();
	for (i = 0; i < nr_guests; i++) {
		struct guest *g = &guests[i];
		bool ok = (int)g->outcome == (int)g->cfg->expect;
		char name[CFG_NAME_MAX + 16];

		report_guest(g->name, guest_outcome_name(g->outcome), g->exits_total, g->detail);
		snprintf(name, sizeof(name), "guest.%s", g->name);
		report_check(ok, name, "outcome %s, expected %s", guest_outcome_name(g->outcome),
			     cfg_expect_name(g->cfg->expect));
		mismatches += !ok;
		if (g->exit_counts[EXIT_STAT_CPUID] >= 1000 && g->run_ticks) {
			snprintf(name, sizeof(name), "guest.%s.exits_per_s", g->name);
			report_metric(name, g->exits_total * svm_cpu.tsc_khz * 1000 / g->run_ticks,
				      "exits/s");
		}
	}
	for (i = 0; i < nr_guests; i++) {
		const struct guest *g = &guests[i];
		char name[CFG_NAME_MAX + 32];

		if (!g->bench_full_per_s)
			continue;
		snprintf(name, sizeof(name), "bench.%s.cpuid_exit_round_trips_per_s", g->name);
		report_metric(name, g->bench_full_per_s, "per_s");
		snprintf(name, sizeof(name), "bench.%s.bare_vmrun_round_trips_per_s", g->name);
		report_metric(name, g->bench_bare_per_s, "per_s");
		/* Under TCG the two rates can cross (VMRUN itself dominates); a
		 * negative share is not a figure: say so instead of wrapping. */
		if (g->bench_bare_per_s > g->bench_full_per_s) {
			snprintf(name, sizeof(name), "bench.%s.dispatch_share", g->name);
			report_metric(name, 100 - g->bench_full_per_s * 100 / g->bench_bare_per_s,
				      "percent");
		} else {
			pr_info(
			    "bench %s: full dispatch %llu/s is not slower than bare VMRUN %llu/s: "
			    "the dispatch cost is below this run's noise\n",
			    g->name, (unsigned long long)g->bench_full_per_s,
			    (unsigned long long)g->bench_bare_per_s);
		}
	}
	report_metric("guests.wall_ms", ms, "ms");
	return (int)mismatches;
}
