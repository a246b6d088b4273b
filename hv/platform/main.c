/* hv_main: brings the hypervisor up after ExitBootServices and runs the
 * scenario named in hv.cfg, then ends with a status for the test runner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hv/arch/x86/console.h"
#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/cpufeat.h"
#include "hv/arch/x86/heap.h"
#include "hv/arch/x86/machine.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/arch/x86/paging.h"
#include "hv/arch/x86/platform.h"
#include "hv/mm/pmem.h"
#include "hv/base/report.h"
#include "hv/arch/x86/smp.h"
#include "hv/platform/scenario.h"
#include "hv/platform/snp_host.h"
#include "hv/vm/guest_dev.h"

#define HEAP_SIZE (16ULL << 20)
#define VERSION	  "0.1"

struct hv_state hv;

const struct boot_file *hv_file(const char *name)
{
	for (u32 i = 0; i < hv.bi->nr_files; i++)
		if (!strcasecmp(hv.bi->files[i].name, name))
			return &hv.bi->files[i];
	return NULL;
}

static const char *const kind_name[] = {
    [BOOT_MEM_USABLE] = "usable",   [BOOT_MEM_LOADER] = "loader/boot",
    [BOOT_MEM_RUNTIME] = "runtime", [BOOT_MEM_ACPI] = "acpi",
    [BOOT_MEM_MMIO] = "mmio",	    [BOOT_MEM_RESERVED] = "reserved",
};

static void memmap_init(void)
{
	static struct pmem_region usable[BOOT_MMAP_MAX];
	u64 bytes[BOOT_MEM_RESERVED + 1] = {0};
	unsigned n = 0;
	int err;

	for (u32 i = 0; i < hv.bi->nr_mem; i++) {
		const struct boot_mem_range *r = &hv.bi->mem[i];

		if (r->kind <= BOOT_MEM_RESERVED)
			bytes[r->kind] += r->pages * PAGE_SIZE;
		if (r->kind != BOOT_MEM_USABLE)
			continue;
		usable[n] = (struct pmem_region){spa(r->base), r->pages * PAGE_SIZE};
		/* Page 0 stays unmapped in our tables (a NULL dereference faults), so
		 * it can never be handed out: the OVMF of QEMU 11.1 (edk2 2025)
		 * reports it usable, and a page table placed there faulted. */
		if (!r->base) {
			usable[n].base = spa(PAGE_SIZE);
			usable[n].size -= MIN(usable[n].size, PAGE_SIZE);
		}
		n += usable[n].size != 0;
	}
	pr_info("memory map: %u ranges%s:", hv.bi->nr_mem,
		hv.bi->nr_mem == BOOT_MMAP_MAX ? " (truncated)" : "");
	for (unsigned k = BOOT_MEM_USABLE; k <= BOOT_MEM_RESERVED; k++)
		log_msg(LOG_INFO, " %s %llu KiB%s", kind_name[k],
			(unsigned long long)bytes[k] >> 10, k == BOOT_MEM_RESERVED ? "\n" : ",");
	for (u32 i = 0; i < hv.bi->nr_mem; i++) {
		const struct boot_mem_range *r = &hv.bi->mem[i];

		pr_debug("  0x%012llx-0x%012llx %-11s efi type %2u attr 0x%llx\n",
			 (unsigned long long)r->base,
			 (unsigned long long)(r->base + r->pages * PAGE_SIZE),
			 r->kind <= BOOT_MEM_RESERVED ? kind_name[r->kind] : "?", r->efi_type,
			 (unsigned long long)r->attr);
	}
	err = pmem_init(usable, n);
	if (err)
		panic("pmem: cannot start from the firmware memory map (%d)", err);
	hv.owner_hv = (u8)pmem_owner_register("hv-image+boot");
	/* The image and boot data are LoaderCode/LoaderData, never usable; the
	 * reservation below is a second line of defence should a firmware
	 * report them otherwise. */
	pmem_reserve(spa(hv.bi->image_base), hv.bi->image_size, hv.owner_hv);
	pmem_reserve(spa(hv.bi->boot_data_base), hv.bi->boot_data_pages * PAGE_SIZE, hv.owner_hv);
	for (u32 i = 0; i < hv.bi->nr_files; i++)
		pmem_reserve(spa(hv.bi->files[i].addr), hv.bi->files[i].size, hv.owner_hv);
	if (hv.bi->trampoline_base) /* the AP trampoline (docs/smp.md) */
		pmem_reserve(spa(hv.bi->trampoline_base), BOOT_TRAMPOLINE_PAGES * PAGE_SIZE,
			     hv.owner_hv);
}

static void heap_setup(void)
{
	spa_t base;
	int err;

	hv.owner_heap = (u8)pmem_owner_register("hv-heap");
	err = pmem_alloc_blocks(HEAP_SIZE / HUGE_SIZE, hv.owner_heap, &base);
	if (err)
		panic("heap: cannot allocate %llu MiB of contiguous memory (%d)",
		      (unsigned long long)(HEAP_SIZE >> 20), err);
	heap_init(phys_ptr(base), HEAP_SIZE);
}

static void config_load(void)
{
	const struct boot_file *f = hv_file("hv.cfg");
	struct config_error err;

	config_defaults(&hv.cfg);
	if (!f) {
		pr_warn("config: no hv.cfg next to hv.efi; using the defaults\n");
		hv.cfg_ok = true;
		return;
	}
	if (config_parse((const char *)(uintptr_t)f->addr, f->size, &hv.cfg, &err)) {
		config_report(&err, "hv.cfg");
		pr_err("config: hv.cfg is invalid; fix it (format: docs/config.md). No guest is "
		       "started.\n");
		config_defaults(&hv.cfg);
		return;
	}
	hv.cfg_ok = true;
	log_level_max = hv.cfg.log;
}

void hv_main(struct boot_info *bi)
{
	const struct scenario *sc;
	unsigned failed;
	int snp_err = 0;

	console_init();
	cpu_features_read();
	hv.bi = bi;
	printf("\nsnpvisor " VERSION ": a research hypervisor for confidential-computing I/O\n");
	if (bi->magic != BOOT_INFO_MAGIC)
		panic("boot_info has a bad magic 0x%llx", (unsigned long long)bi->magic);
	/* For `make debug`: gdb loads build/hv.so at this offset. */
	pr_info("image base 0x%llx size 0x%llx (text 0x%llx-0x%llx)\n",
		(unsigned long long)bi->image_base, (unsigned long long)bi->image_size,
		(unsigned long long)bi->text_start, (unsigned long long)bi->text_end);
	pr_info("firmware: %s rev 0x%x; ExitBootServices after %u attempt(s); %u file(s) from the "
		"ESP\n",
		bi->fw_vendor, bi->fw_revision, bi->exit_bs_tries, bi->nr_files);
	for (u32 i = 0; i < bi->nr_files; i++)
		pr_info("  file %-20s %8llu bytes at 0x%llx\n", bi->files[i].name,
			(unsigned long long)bi->files[i].size,
			(unsigned long long)bi->files[i].addr);

	memmap_init();
	heap_setup();
	paging_init();
	config_load();
	config_print(&hv.cfg);
	cpu_report();
	hv.acpi_ok = acpi_scan(spa(bi->rsdp), &hv.acpi) == 0;
	if (hv.acpi_ok)
		acpi_report(&hv.acpi);

	sc = scenario_find(hv.cfg.scenario);
	if (!hv.cfg_ok) {
		report_begin("config");
		report_check(false, "config.valid", "hv.cfg has errors (see above)");
		report_end();
		hv_exit(HV_EXIT_CONFIG);
	}
	if (!sc) {
		if (hv_test_image)
			pr_err("scenario \"%s\" does not exist; the built-in scenarios are:\n",
			       hv.cfg.scenario);
		else
			pr_err("scenario \"%s\" is not in this image: hv.efi, the image for "
			       "hardware, runs only the scenarios below; the test scenarios are in "
			       "the test image hv-test.efi\n",
			       hv.cfg.scenario);
		scenario_list();
		report_begin(hv.cfg.scenario);
		report_check(false, "scenario.exists", "unknown scenario %s", hv.cfg.scenario);
		report_end();
		hv_exit(HV_EXIT_CONFIG);
	}
	smp_init();
	snp_err = snp_host_init();
	pr_info("scenario %s: %s\n", sc->name, sc->what);
	report_begin(sc->name);
	if (snp_err)
		report_check(false, "snp.platform",
			     "SNP mode %s cannot be had here (%d); see above",
			     cfg_snp_mode_name(hv.cfg.snp), snp_err);
	else
		sc->run();
	guest_dev_events_report();
	pmem_report();
	failed = report_end();
	printf("snpvisor: scenario %s %s\n", sc->name, failed ? "FAILED" : "passed");
	hv_exit(failed ? HV_EXIT_FAIL : HV_EXIT_OK);
}
