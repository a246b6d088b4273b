/* SNP platform bring-up in the hypervisor.
 *
 * Hardware (CPUID 0x8000001F SNP, SYSCFG.SNP_EN set by firmware): the RMP
 * hardware backend reads RMP_BASE/RMP_END. The PSP mailbox on real machines
 * is found by its PCI id (snp/psp.h, psp_sev_regs_for_pci); that path cannot
 * run under QEMU and is not wired here yet: snp = hardware is refused with a
 * message saying so.
 * Emulation (QEMU): the RMP model (snp/rmp_model.c) keeps a table in the raw
 * Zen 3/4 format in pmem memory covering all of pmem's span, and the PSP
 * firmware model (snp/psp_model.c) sits behind the real mailbox driver
 * (snp/psp.c) through a register-file ops table, so the launch code drives
 * the same driver it would on hardware. */
#include "hv/snp_host.h"

#include <errno.h>

#include "hv/cpufeat.h"
#include "hv/hv.h"
#include "hv/log.h"
#include "hv/pmem.h"
#include "snp/launch.h"

struct snp_host snp_host;

static int init_emulated(void)
{
	struct snp_host *s = &snp_host;
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
	pr_info("snp: emulated: RMP model at 0x%llx (%llu KiB for %llu MiB of memory), PSP firmware model "
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
		pr_err("snp: hardware SNP %s; the hardware PSP path is not wired into the hypervisor "
		       "yet (docs/snp.md). Use snp = emulated.\n",
		       hw ? "reported by CPUID" : "not reported by CPUID");
		return -ENODEV;
	}
	return init_emulated();
}
