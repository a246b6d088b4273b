/* The test scenarios, selected by `scenario =` in hv.cfg: the test table of
 * the test image hv-test.efi (hv/platform/scenario.h; "guests" itself is in
 * hv/platform/scenario.c, in both images). Each reports its checks through
 * hv/base/report.h; the QEMU test runner reads them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/arch/x86/console.h"
#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/cpufeat.h"
#include "hv/svm/guest.h"
#include "hv/arch/x86/heap.h"
#include "hv/arch/x86/machine.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/arch/x86/paging.h"
#include "hv/mm/pmem.h"
#include "hv/base/report.h"
#include "hv/scenarios/bench.h"
#include "hv/arch/x86/smp.h"
#include "hv/platform/scenario.h"
#include "hv/platform/snp_host.h"
#include "iommu/iommu.h"

/* The machine came up as the foundation promises. */
static void scenario_boot(void)
{
	struct pt_leaf leaf;
	u64 text = ALIGN_DOWN(hv.bi->text_start, PAGE_SIZE);
	u64 data = ALIGN_UP(hv.bi->data_start, PAGE_SIZE);
	void *p;
	int err;

	report_check(hv.bi->nr_mem > 0, "boot.memory_map", "%u ranges", hv.bi->nr_mem);
	report_check(pmem_total_pages() > 0, "boot.pmem", "%llu MiB usable",
		     (unsigned long long)(pmem_total_pages() >> 8));
	report_check(hv_file("hv.cfg") != NULL, "boot.esp_files", "%u file(s) loaded",
		     hv.bi->nr_files);
	p = malloc(100000);
	report_check(p != NULL && heap_used() >= 100000, "boot.heap",
		     "malloc via sbrk: %zu bytes used", heap_used());
	free(p);
	report_check(hv.acpi_ok && acpi_find(&hv.acpi, "APIC") != NULL, "boot.acpi",
		     "RSDP 0x%llx, %u tables", (unsigned long long)hv.bi->rsdp, hv.acpi.nr_tables);
	report_check(cpu.svm && cpu.npt, "boot.cpu_svm", "SVM rev %u, %u ASIDs, NPT %d",
		     cpu.svm_rev, cpu.nr_asids, cpu.npt);
	/* own page tables */
	report_check((read_cr3() & PAGE_MASK) == spa_val(hv.cr3), "paging.cr3_loaded", "CR3 0x%llx",
		     (unsigned long long)read_cr3());
	err = pt_lookup(&hv_pt, text, &leaf);
	report_check(!err && !(leaf.prot & PT_W) && (leaf.prot & PT_X), "paging.code_rx",
		     "code page 0x%llx prot 0x%x", (unsigned long long)text, err ? 0 : leaf.prot);
	err = pt_lookup(&hv_pt, data, &leaf);
	report_check(!err && (leaf.prot & PT_W) && !(leaf.prot & PT_X), "paging.data_nx",
		     "data page 0x%llx prot 0x%x", (unsigned long long)data, err ? 0 : leaf.prot);
	err = pt_lookup(&hv_pt, 0xFED80000, &leaf);
	report_check(!err && (leaf.prot & PT_UC), "paging.mmio_uc", "0xFED80000 prot 0x%x level %u",
		     err ? 0 : leaf.prot, err ? 0 : leaf.level);
	report_check(pt_lookup(&hv_pt, 0, &leaf) == -ENOENT, "paging.null_unmapped", "page 0");
	report_check((rdmsr(MSR_EFER) & EFER_NX) != 0, "paging.nxe", "EFER 0x%llx",
		     (unsigned long long)rdmsr(MSR_EFER));
	if (snp_host.enabled) {
		enum rmp_page_state tbl = rmp_page_state(&snp_host.rmp, snp_host.rmp_base);
		enum rmp_page_state heap = rmp_page_state(&snp_host.rmp, spa(hv.bi->data_start));

		/* The RMP model owns its table as firmware pages; the image is
		 * hypervisor memory (snp/rmp.h page states). Real firmware's state
		 * for the RMP's own pages is not asserted: only reported. */
		if (snp_host.hardware) {
			pr_info("boot: hardware RMP: table page %s, hypervisor data page %s\n",
				rmp_page_state_name(tbl), rmp_page_state_name(heap));
		} else {
			report_check(tbl == RMP_PS_FIRMWARE && heap == RMP_PS_HYPERVISOR,
				     "snp.rmp_model", "RMP table page %s, hypervisor data page %s",
				     rmp_page_state_name(tbl), rmp_page_state_name(heap));
			report_check(
			    rmp_check_host_write(&snp_host.rmp, snp_host.rmp_base) != 0 &&
				rmp_check_host_write(&snp_host.rmp, spa(hv.bi->data_start)) == 0,
			    "snp.host_write_rule", "a host write to the RMP table would fault");
		}
	}
	report_metric("paging.table_pages", pt_table_pages(&hv_pt), "pages");
	report_metric("boot.console_bytes", console_bytes_written(), "bytes");
}

/* pmem on the real memory map: exhaust 2M blocks, 4K frames, check scrubbing,
 * double-free detection and that everything returns. */
static void scenario_pmem(void)
{
	int o = pmem_owner_register("scenario-pmem");
	u64 free0 = pmem_free_pages(), blocks0 = pmem_free_2m_blocks(), n2m = 0, n4k = 0;
	spa_t pa, first = spa(0);
	spa_t *list;
	bool zero = true, aligned = true;

	report_check(o > 0, "pmem.owner", "id %d", o);
	list = malloc(sizeof(spa_t) * (free0 / 512 + 1));
	while (pmem_alloc(PMEM_ORDER_2M, (u8)o, &pa) == 0) {
		const u64 *w = phys_ptr(pa);

		aligned &= IS_ALIGNED(spa_val(pa), HUGE_SIZE);
		zero &= w[0] == 0 && w[HUGE_SIZE / 8 - 1] == 0;
		((u64 *)phys_ptr(pa))[7] = 0x5a5a5a5a; /* dirty it */
		list[n2m++] = pa;
	}
	report_check(n2m == blocks0 && n2m > 0, "pmem.2m_exhaust", "%llu of %llu free 2M blocks",
		     (unsigned long long)n2m, (unsigned long long)blocks0);
	report_check(aligned && zero, "pmem.2m_aligned_scrubbed", "aligned %d zero %d", aligned,
		     zero);
	report_check(pmem_owner_pages((u8)o) == n2m * 512, "pmem.accounting", "%llu pages",
		     (unsigned long long)pmem_owner_pages((u8)o));
	for (u64 i = 0; i < n2m; i++)
		pmem_free(list[i], PMEM_ORDER_2M, (u8)o);
	report_check(pmem_free_pages() == free0, "pmem.2m_all_back", "%llu free",
		     (unsigned long long)pmem_free_pages());
	while (pmem_alloc(PMEM_ORDER_4K, (u8)o, &pa) == 0) {
		if (!n4k)
			first = pa;
		n4k++;
	}
	report_check(n4k == free0, "pmem.4k_exhaust", "%llu frames", (unsigned long long)n4k);
	report_check(pmem_free(first, PMEM_ORDER_4K, (u8)o) == 0 &&
			 pmem_free(first, PMEM_ORDER_4K, (u8)o) == -EINVAL,
		     "pmem.double_free_detected", "frame 0x%llx",
		     (unsigned long long)spa_val(first));
	/* give everything back by walking the owner map */
	for (u64 a = spa_val(pmem_span_base()); a < spa_val(pmem_span_end()); a += PAGE_SIZE)
		if (pmem_owner_of(spa(a)) == o)
			pmem_free(spa(a), PMEM_ORDER_4K, (u8)o);
	report_check(pmem_free_pages() == free0 && pmem_free_2m_blocks() == blocks0,
		     "pmem.4k_all_back", "%llu free, %llu blocks",
		     (unsigned long long)pmem_free_pages(),
		     (unsigned long long)pmem_free_2m_blocks());
	free(list);
}

/* make run: the guests of guest/demo.cfg with a word on what to look for. */
static void scenario_demo(void)
{
	printf(
	    "\n"
	    "demo: every guest page comes from gmem, which applies each change to the RMP,\n"
	    "      the NPT and the guest's IOMMU domains as one transaction; the cross-checker\n"
	    "      (hv/core/xcheck.c) proves I1-I7 after every operation (xcheck = %s).\n"
	    "      SNP guests are launched and measured through the PSP %s; their page-state\n"
	    "      changes arrive through the GHCB and go to gmem, one invalidation round each.\n"
	    "      A trusted device's domain maps private memory, an untrusted one only "
	    "shared.\n"
	    "      A Linux SNP guest (guest/demo.cfg: linux) bounces its NVMe DMA through\n"
	    "      swiotlb buffers it made shared: watch its PSC requests and conversions.\n\n",
	    cfg_xcheck_name(hv.cfg.xcheck),
	    snp_host.hardware ? "firmware" : "firmware model (QEMU has no SNP)");
	guests_run(&hv.cfg, hv.bi, &snp_host);
}

/* A device or firmware that places a BAR badly (docs/devices.md "Which BAR
 * addresses are accepted"): before any guest exists, the first edu's BAR0 is
 * moved over the hypervisor image and the third edu's over BAR0 of the VGA
 * (QEMU's 1234:1111, a device no guest has), memory decode off on both; then
 * the guests of hv.cfg run. The guests given those two edus must be refused
 * with the BDF, the BAR and what it overlaps; the guest with the second edu
 * must pass. */
static void scenario_dev_bar_moved(void)
{
	const struct pci_dev *e0 = NULL, *e2 = NULL, *vga = NULL;
	u64 over_image = ALIGN_DOWN(hv.bi->image_base, MiB(1));
	char b[8], c[8];

	if (!iommu_pci_init()) {
		e0 = iommu_pci_find(0x1234, 0x11e8, 0);
		e2 = iommu_pci_find(0x1234, 0x11e8, 2);
		vga = iommu_pci_find(0x1234, 0x1111, 0);
	}
	if (!e0 || !e2 || !vga || !e0->nbars || !vga->nbars || e0->bars[0].index ||
	    vga->bars[0].index || e0->bars[0].size != MiB(1) ||
	    !IS_ALIGNED(vga->bars[0].addr, MiB(1))) {
		report_check(false, "dev.bar_moved.setup",
			     "three edus with a 1M BAR0 and QEMU's VGA are needed");
		return;
	}
	pci_command_update(&iommu.pci, e0->bdf, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
	pci_write32(&iommu.pci, e0->bdf, PCI_BAR0, (u32)over_image);
	pr_info("dev-bar-moved: %s BAR0 0x%llx -> 0x%llx (over the hypervisor image at 0x%llx)\n",
		pci_bdf_str(e0->bdf, b), (unsigned long long)e0->bars[0].addr,
		(unsigned long long)pci_read32(&iommu.pci, e0->bdf, PCI_BAR0),
		(unsigned long long)hv.bi->image_base);
	pci_command_update(&iommu.pci, e2->bdf, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
	pci_write32(&iommu.pci, e2->bdf, PCI_BAR0, (u32)vga->bars[0].addr);
	pr_info("dev-bar-moved: %s BAR0 0x%llx -> 0x%llx (over BAR0 of %s)\n",
		pci_bdf_str(e2->bdf, b), (unsigned long long)e2->bars[0].addr,
		(unsigned long long)pci_read32(&iommu.pci, e2->bdf, PCI_BAR0),
		pci_bdf_str(vga->bdf, c));
	guests_run(&hv.cfg, hv.bi, &snp_host);
}

/* For the runner's own tests: a failing check, a panic, a hang. */
static void scenario_fail(void)
{
	report_check(false, "selftest.fail", "this scenario fails on purpose");
}
static void scenario_panic(void)
{
	panic("this scenario panics on purpose");
}

static void scenario_hang(void)
{
	pr_info("hanging on purpose\n");
	for (;;)
		cpu_relax();
}

static const struct scenario scenarios[] = {
    {"boot", "foundation checks: memory map, pmem, heap, ACPI, CPU, own page tables",
     scenario_boot},
    {"demo", "make run: the guests of hv.cfg with the RMP/NPT/IOMMU report", scenario_demo},
    {"pmem", "pmem over the real memory map: exhaustion, scrubbing, double free", scenario_pmem},
    {"iommu-bringup", "PCI via MCFG, IVRS, AMD IOMMU enabled, all blocked, completion wait",
     scenario_iommu_bringup},
    {"iommu-dma", "edu DMA through an IOMMU v1 domain (pt engine), scattered frames, two domains",
     scenario_iommu_dma},
    {"iommu-invalidate", "unmap without/with invalidation: stale IOTLB, blocked DMA, remap",
     scenario_iommu_invalidate},
    {"iommu-blocked", "a blocked edu cannot read or write hypervisor memory or other frames",
     scenario_iommu_blocked},
    {"iommu-modes", "bench: gmem with a trusted device, duplicated vs shared IOMMU table",
     scenario_iommu_modes},
    {"bench-costs", "bench: IOMMU invalidation and edu DMA costs, then the guests of hv.cfg",
     scenario_bench_costs},
    {"iommu-shared", "edu DMA through a shared-mode guest NPT (trusted), untrusted own table",
     scenario_iommu_shared},
    {"dev-bar-moved",
     "guests of hv.cfg after edu BAR0s were moved over the hypervisor image "
     "and over the VGA's BAR0",
     scenario_dev_bar_moved},
    {"smp", "APs from the MADT: each up once with its APIC ID, smp_call_all on every CPU",
     scenario_smp},
    {"smp-x2apic", "smp after switching the BSP and every AP to x2APIC mode", scenario_smp_x2apic},
    {"selftest-fail", "fails a check on purpose (runner self-test)", scenario_fail},
    {"selftest-panic", "panics on purpose (runner self-test)", scenario_panic},
    {"selftest-hang", "never ends (runner self-test of the timeout)", scenario_hang},
};

const bool hv_test_image = true;

const struct scenario *test_scenario_find(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(scenarios); i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

void test_scenario_list(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(scenarios); i++)
		pr_info("  %-16s %s\n", scenarios[i].name, scenarios[i].what);
}
