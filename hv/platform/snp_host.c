/* SNP platform bring-up in the hypervisor.
 *
 * Hardware (snp = hardware, or auto when CPUID 0x8000001F reports SNP):
 * hv/platform/snp_hw.c enables the IOMMU first, gathers CPUID/MSR/PCI facts, lets
 * snp/snp_hw_plan.c decide, then brings up the RMP hardware backend and the
 * real PSP mailbox (BAR2, found by PCI id) through SNP_INIT_EX/SNP_INIT and
 * SNP_DF_FLUSH. Every refusal names the missing fact and what to do
 * (docs/hardware.md). After a successful bring-up (hardware = true) SNP
 * guests are enabled and run as SEV-ES/SNP guests: an ASID below the
 * minimum SEV ASID, a VMCB pointing at the launched VMSA (hv/svm/sev_vmcb.c),
 * the SEV-ES world switch (hv/svm/vmrun_sev_es.S), exit 0x403 with the real
 * GHCB and RMP #NPFs (hv/svm/exits.c, hv/svm/snp_guest.c). None of that has run on
 * an SNP machine: one warning says so.
 * Emulation (QEMU): the RMP model (snp/rmp_model.c) keeps a table in the raw
 * Zen 3/4 format in pmem memory covering all of pmem's span, and the PSP
 * firmware model (snp/psp_model.c) sits behind the real mailbox driver
 * (snp/psp.c) through a register-file ops table, so the launch code drives
 * the same driver it would on hardware. */
#include "hv/platform/snp_host.h"

#include <errno.h>
#include <string.h>

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/cpufeat.h"
#include "hv/svm/cpuid.h"
#include "hv/arch/x86/machine.h"
#include "hv/base/log.h"
#include "hv/mm/pmem.h"
#include "hv/platform/snp_hw.h"
#include "snp/launch.h"

/* RDRAND (APM vol 3): CF = 1 when a value was delivered; retried as the APM
 * advises for a transiently empty generator. */
static bool rdrand64(u64 *v)
{
	for (int tries = 0; tries < 10; tries++) {
		u8 ok;

		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok)::"cc");
		if (ok)
			return true;
	}
	return false;
}

/* The firmware model's keys (VMPCKs) come from its seed: mix in 384 bits of
 * RDRAND when the CPU has it (the model mixes the TSC on its own). */
/* The emulated SNP platform's CPUID, which the firmware model checks CPUID
 * pages against: the host CPU as this hypervisor presents it to SNP guests
 * (hv/svm/cpuid.c with the SEV leaf 0x8000001F and the Linux platform's
 * APIC bits). On hardware the firmware checks against the real CPU. */
static void host_leaf(u32 leaf, u32 sub, struct cpuid_res *out)
{
	struct cpuid_regs r = cpuid_count(leaf, sub);

	*out = (struct cpuid_res){r.eax, r.ebx, r.ecx, r.edx};
}

static void model_platform_cpuid(u32 fn, u32 idx, u32 out[4])
{
	const struct cpuid_policy p = {.snp = true, .lapic = true, .host = host_leaf};
	struct cpuid_res r;

	cpuid_guest(&p, fn, idx, &r);
	out[0] = r.eax;
	out[1] = r.ebx;
	out[2] = r.ecx;
	out[3] = r.edx;
}

static void model_entropy(struct psp_model *m)
{
	u64 r[6];
	unsigned n = 0;

	if (!cpu.rdrand) {
		pr_warn("snp: no RDRAND: the firmware model's keys are seeded from the TSC only\n");
		return;
	}
	while (n < ARRAY_SIZE(r) && rdrand64(&r[n]))
		n++;
	psp_model_add_entropy(m, r, n * sizeof(r[0]));
	pr_info("snp: firmware model seeded with %u bits from RDRAND\n", n * 64);
	memset(r, 0, sizeof(r));
}

struct snp_platform snp_host;

static int init_emulated(void)
{
	struct snp_platform *s = &snp_host;
	u64 covered = spa_val(pmem_span_end());
	u64 size = rmp_table_size(covered >> PAGE_SHIFT);
	u64 blocks = ALIGN_UP(size, HUGE_SIZE) / HUGE_SIZE;
	spa_t cmdbuf;
	u32 fw = 0;
	int err;

	s->owner = (u8)pmem_owner_register("snp-rmp+psp");
	err = pmem_alloc_blocks(blocks, s->owner, &s->rmp_base);
	if (err) {
		pr_err("snp: no %llu MiB of contiguous memory for the RMP model (%d)\n",
		       (unsigned long long)(blocks * 2), err);
		return err;
	}
	s->rmp_size = blocks * HUGE_SIZE;
	err = rmp_init_model(&s->rmp, s->rmp_base, s->rmp_size, covered);
	if (err) {
		pr_err("snp: RMP model init failed (%d)\n", err);
		return err;
	}
	err = psp_model_init(&s->model, &s->rmp, NULL, NULL);
	if (!err)
		model_entropy(&s->model);
	s->model.platform_cpuid = model_platform_cpuid;
	if (!err)
		err = pmem_alloc(PMEM_ORDER_4K, s->owner, &cmdbuf);
	if (!err)
		err = psp_init(&s->psp, &psp_model_mmio_ops, &s->model, s->model.regs, cmdbuf, 0);
	if (!err)
		err = snp_platform_init(&s->psp, &fw);
	if (err) {
		pr_err("snp: PSP model bring-up failed (%d, firmware status 0x%x)\n", err, fw);
		return err;
	}
	s->enabled = true;
	pr_info("snp: emulated: RMP model at 0x%llx (%llu KiB for %llu MiB of memory), PSP "
		"firmware model "
		"behind the %s mailbox registers, SNP_INIT done\n",
		(unsigned long long)spa_val(s->rmp_base), (unsigned long long)(size >> 10),
		(unsigned long long)(covered >> 20), s->model.regs->name);
	return 0;
}

int snp_host_init(void)
{
	enum cfg_snp_mode mode = hv.cfg.snp;
	bool hw = cpu.snp; /* CPUID 0x8000001F EAX[4], read only when reported */

	if (mode == CFG_SNP_OFF) {
		pr_info("snp: off (hv.cfg snp = off)\n");
		return 0;
	}
	if (mode == CFG_SNP_HARDWARE || (mode == CFG_SNP_AUTO && hw)) {
		int err;

		pr_info("snp: hardware path (hv.cfg snp = %s; CPUID %s SNP)\n",
			cfg_snp_mode_name(mode), hw ? "reports" : "does not report");
		err = snp_hw_init(&snp_host);
		if (err)
			return err;
		snp_host.enabled = true;
		guest_cbit_pos = cpu.cbit; /* launched tables and CPUID: the processor's C-bit */
		pr_info("snp: hardware: SNP guests use the processor's C-bit %u\n", guest_cbit_pos);
		pr_warn(
		    "snp: hardware: platform up (RMP %#llx, %llu MiB; PSP INIT); SNP guests will "
		    "run through the SEV-ES world switch (hv/svm/vmrun_sev_es.S), which has NEVER run "
		    "on hardware (docs/hardware.md, \"Guests on hardware\")\n",
		    (unsigned long long)spa_val(snp_host.rmp_base),
		    (unsigned long long)(snp_host.rmp_size >> 20));
		return 0;
	}
	return init_emulated();
}
