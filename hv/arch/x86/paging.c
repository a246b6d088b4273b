/* The hypervisor's own identity map (AMD APM vol 2, 5.3 long-mode paging).
 *
 * Layout:
 *  - page 0 is not mapped (a NULL dereference faults);
 *  - [0, 4 GiB): RAM ranges of the firmware map write-back, everything else
 *    (the PCI hole with the LAPIC, IOAPIC, IOMMU, ECAM, BARs) uncached;
 *  - above 4 GiB: RAM ranges write-back, firmware MMIO ranges uncached;
 *  - the hypervisor's code (_text.._etext) read-only and executable, every
 *    other page not executable (EFER.NXE), so data cannot be run and code
 *    cannot be written.
 * Large leaves (2M, and 1G when CPUID says so) are used wherever alignment
 * allows; the engine splits them around the image. */
#include "hv/arch/x86/paging.h"

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/cpufeat.h"
#include "hv/arch/x86/machine.h"
#include "hv/base/log.h"
#include "hv/mm/pmem.h"

struct pt hv_pt;

static int pt_page_alloc(void *ctx, spa_t *out)
{
	return pmem_alloc(PMEM_ORDER_4K, hv.owner_pt, out);
}

static void pt_page_free(void *ctx, spa_t pa)
{
	/* Only before CR3 is loaded or after a full flush (callers flush). */
	if (pmem_free(pa, PMEM_ORDER_4K, hv.owner_pt))
		panic("paging: freeing table page 0x%llx failed", (unsigned long long)spa_val(pa));
}

static u32 leaf_sizes(void)
{
	return PT_SZ_4K | PT_SZ_2M | (cpu.gbpages ? PT_SZ_1G : 0);
}

static void map_or_die(u64 base, u64 size, u32 prot, const char *what)
{
	int err;

	if (!size)
		return;
	err = pt_map(&hv_pt, base, spa(base), size, prot, leaf_sizes(), NULL);
	if (err)
		panic("paging: mapping %s 0x%llx+0x%llx failed (%d)", what,
		      (unsigned long long)base, (unsigned long long)size, err);
}

static bool is_ram(u32 kind)
{
	return kind != BOOT_MEM_MMIO && kind != BOOT_MEM_RESERVED;
}

void paging_init(void)
{
	const struct pt_mm mm = {pt_page_alloc, pt_page_free, NULL};
	const struct boot_info *bi = hv.bi;
	const u32 ram = PT_R | PT_W | PT_GLOBAL, mmio = PT_R | PT_W | PT_UC | PT_GLOBAL;
	u64 text_lo = ALIGN_DOWN(bi->text_start, PAGE_SIZE),
	    text_hi = ALIGN_UP(bi->text_end, PAGE_SIZE);
	int err;

	if (!cpu.nx)
		panic("paging: the CPU has no NX bit; snpvisor needs it for W^X");
	hv.owner_pt = (u8)pmem_owner_register("hv-pagetables");
	err = pt_init(&hv_pt, &pt_fmt_x86, 4, &mm);
	if (err)
		panic("paging: pt_init failed (%d)", err);

	/* Below 4 GiB: uncached first, then RAM over it (map replaces). */
	map_or_die(0, GiB(4), mmio, "low 4G");
	for (u32 i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_range *r = &bi->mem[i];
		u64 sz = r->pages * PAGE_SIZE;

		if (is_ram(r->kind))
			map_or_die(r->base, sz, ram, "RAM");
		else if (r->base >= GiB(4))
			map_or_die(r->base, sz, mmio, "MMIO");
	}
	/* Code: read-only and executable; the rest stays NX. */
	err = pt_protect(&hv_pt, text_lo, text_hi - text_lo, PT_R | PT_X | PT_GLOBAL, NULL);
	if (err)
		panic("paging: protecting the code failed (%d)", err);
	err = pt_unmap(&hv_pt, 0, PAGE_SIZE, NULL);
	if (err)
		panic("paging: unmapping page 0 failed (%d)", err);

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NX);
	write_cr4(read_cr4() | CR4_PGE);
	hv.cr3 = pt_root(&hv_pt);
	write_cr3(spa_val(hv.cr3));
	flush_tlb_all();
	hv.paging_tables = pt_table_pages(&hv_pt);
	pr_info("paging: own identity map loaded, CR3 0x%llx, %llu table pages; code 0x%llx-0x%llx "
		"read-only\n",
		(unsigned long long)spa_val(hv.cr3), (unsigned long long)hv.paging_tables,
		(unsigned long long)text_lo, (unsigned long long)text_hi);
}

int paging_map_mmio(spa_t pa, u64 size)
{
	u64 lo = ALIGN_DOWN(spa_val(pa), PAGE_SIZE), hi = ALIGN_UP(spa_val(pa) + size, PAGE_SIZE);
	struct pt_change chg = {0};
	int err = pt_map(&hv_pt, lo, spa(lo), hi - lo, PT_R | PT_W | PT_UC | PT_GLOBAL,
			 leaf_sizes(), &chg);

	if (err)
		pr_err("paging: cannot map MMIO 0x%llx+0x%llx (%d)\n", (unsigned long long)lo,
		       (unsigned long long)(hi - lo), err);
	if (chg.flags)
		flush_tlb_all();
	return err;
}
