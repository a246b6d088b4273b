/* bench-costs (make bench, tests/qemu/bench/costs.cfg; smoke:
 * tests/qemu/bench-costs-smoke.cfg; docs/bench.md): the hypervisor-side
 * costs, then the guests of hv.cfg (guest/costbench.c: the bare VMRUN round
 * trip, CPUID exits, #VC, PSC, PVALIDATE), all in one boot so that every
 * cost sits beside the bare VMRUN round trip of the same run.
 *
 * Hypervisor side, each timed with RDTSC over many short batches, reported as
 * METRIC cost.<row>.{med,p10,p90} (TSC ticks per operation) and
 * cost.<row>.n (batches):
 *   iommu_inv   INVALIDATE_IOMMU_PAGES (one 4K page of a test domain with a
 *               device attached) + COMPLETION_WAIT, on QEMU's amd-iommu;
 *   iommu_wait  COMPLETION_WAIT alone (amdvi_sync on an empty queue);
 *   dma_to_ram, dma_to_dev  one edu DMA of 4095 bytes (QEMU 7.2's edu moves
 *               at most 0xFFF from buffer offset 0) through the IOMMU,
 *               translated by the test domain; the data is checked.
 * METRIC cost.tsc_khz lets the runner print nanoseconds.
 * Hardware access: MMIO (edu, AMD-Vi), RDTSC (HV_SRCS). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/machine.h"
#include "hv/arch/x86/tsc.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/base/report.h"
#include "hv/mm/pmem.h"
#include "hv/platform/snp_host.h"
#include "hv/scenarios/bench.h"
#include "hv/scenarios/test_domain.h"
#include "hv/svm/guest.h"
#include "iommu/edu.h"
#include "iommu/iommu.h"

#define COST_BATCHES 32
#define COST_DMA_LEN 0xFFFu
#define COST_IOVA    0x10000000ULL

static u64 samples[COST_BATCHES];

static void sort(u64 *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			u64 t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static void cost_report(const char *row, unsigned n)
{
	char name[48];

	sort(samples, n);
#define MET(what, v)                                                                               \
	do {                                                                                       \
		snprintf(name, sizeof(name), "cost.%s.%s", row, what);                             \
		report_metric(name, (v), "ticks");                                                 \
	} while (0)
	MET("med", samples[n / 2]);
	MET("p10", samples[n / 10]);
	MET("p90", samples[n - 1 - n / 10]);
#undef MET
	snprintf(name, sizeof(name), "cost.%s.n", row);
	report_metric(name, n, "batches");
}

static void fill(u8 *p, u32 len, u8 seed)
{
	for (u32 i = 0; i < len; i++)
		p[i] = (u8)(seed + i * 7 + (i >> 8));
}

/* Times ops calls of one operation per batch; 0 or the first error. */
#define TIME_BATCHES(nbatch, ops, call)                                                            \
	({                                                                                         \
		int __err = 0;                                                                     \
		for (unsigned __b = 0; __b <= (nbatch) && !__err; __b++) {                         \
			u64 __t0 = rdtsc();                                                        \
			for (unsigned __i = 0; __i < (ops) && !__err; __i++)                       \
				__err = (call);                                                    \
			if (__b)                                                                   \
				samples[__b - 1] = (rdtsc() - __t0) / (ops);                       \
		}                                                                                  \
		__err;                                                                             \
	})

static void iommu_costs(void)
{
	const struct pci_dev *d = iommu_pci_find(EDU_VENDOR, EDU_DEVICE, 0);
	struct test_domain *dom = NULL;
	spa_t src = spa(0), dst = spa(0);
	u8 owner = (u8)pmem_owner_register("bench-costs");
	struct edu e;
	int ret = d ? edu_probe(&e, &iommu.pci, d, tsc_khz()) : -ENODEV;

	if (!ret)
		ret = iommu_pci_enable_master(d->bdf);
	if (!report_check(ret == 0, "cost.edu", "edu found and enabled (%d)", ret))
		return;
	dom = test_domain_alloc(4);
	ret = dom ? 0 : -ENOMEM;
	if (!ret)
		ret = pmem_alloc(PMEM_ORDER_4K, owner, &src);
	if (!ret)
		ret = pmem_alloc(PMEM_ORDER_4K, owner, &dst);
	if (!ret)
		ret = test_domain_map(dom, COST_IOVA, src, PAGE_SIZE, PT_R | PT_W);
	if (!ret)
		ret = test_domain_map(dom, COST_IOVA + PAGE_SIZE, dst, PAGE_SIZE, PT_R | PT_W);
	if (!ret)
		ret = test_domain_flush(dom);
	if (!ret)
		ret = test_domain_attach(e.bdf, dom);
	if (!report_check(ret == 0, "cost.domain", "edu in domain %u, IOVA 0x%llx..+8K (%d)",
			  dom ? dom->id : 0, (unsigned long long)COST_IOVA, ret))
		goto out;

	ret = TIME_BATCHES(COST_BATCHES, 16,
			   amdvi_inv_pages(&iommu.hw, dom->id, COST_IOVA, PAGE_SIZE));
	if (report_check(ret == 0, "cost.iommu_inv", "INVALIDATE_IOMMU_PAGES + COMPLETION_WAIT (%d)",
			 ret))
		cost_report("iommu_inv", COST_BATCHES);
	ret = TIME_BATCHES(COST_BATCHES, 16, amdvi_sync(&iommu.hw));
	if (report_check(ret == 0, "cost.iommu_wait", "COMPLETION_WAIT alone (%d)", ret))
		cost_report("iommu_wait", COST_BATCHES);

	/* edu: RAM (src) -> device, then device -> RAM (dst), data checked */
	fill(phys_ptr(src), COST_DMA_LEN, 0x5c);
	memset(phys_ptr(dst), 0, PAGE_SIZE);
	ret = TIME_BATCHES(8, 1, edu_to_device(&e, COST_IOVA, 0, COST_DMA_LEN));
	if (report_check(ret == 0, "cost.dma_to_dev", "edu reads %u bytes at IOVA 0x%llx (%d)",
			 COST_DMA_LEN, (unsigned long long)COST_IOVA, ret))
		cost_report("dma_to_dev", 8);
	ret = TIME_BATCHES(8, 1, edu_to_ram(&e, COST_IOVA + PAGE_SIZE, 0, COST_DMA_LEN));
	if (report_check(ret == 0 && !memcmp(phys_ptr(src), phys_ptr(dst), COST_DMA_LEN),
			 "cost.dma_to_ram", "edu wrote %u bytes at IOVA 0x%llx, same as read (%d)",
			 COST_DMA_LEN, (unsigned long long)(COST_IOVA + PAGE_SIZE), ret))
		cost_report("dma_to_ram", 8);
out:
	test_domain_block(e.bdf);
	if (dom)
		test_domain_free(dom);
	if (spa_val(src))
		pmem_free(src, PMEM_ORDER_4K, owner);
	if (spa_val(dst))
		pmem_free(dst, PMEM_ORDER_4K, owner);
}

void scenario_bench_costs(void)
{
	int ret = iommu_init();

	report_metric("cost.tsc_khz", tsc_khz(), "kHz");
	if (report_check(ret == 0, "iommu.init", "iommu_init() = %d", ret))
		iommu_costs();
	guests_run(&hv.cfg, hv.bi, &snp_host);
}
