/* The plain hand-over from the UEFI loader (boot/efi_main.c) to hv_main.
 * No UEFI types: everything after ExitBootServices reads only this. All
 * addresses are system physical (UEFI identity-maps memory, and so do we). */
#ifndef BOOT_BOOT_INFO_H
#define BOOT_BOOT_INFO_H

#include "hv/base/types.h"

#define BOOT_INFO_MAGIC	   0x534e5056424f4f54ULL /* "SNPVBOOT" */
#define BOOT_MMAP_MAX	   512
#define BOOT_FILES_MAX	   24
#define BOOT_FILE_NAME_MAX 64

/* Pages below 1 MiB reserved for the AP start-up trampoline (docs/smp.md):
 * page 0 holds the real-mode code (the SIPI vector is its address >> 12),
 * the others the bridge page tables the APs use to reach long mode. */
#define BOOT_TRAMPOLINE_PAGES 8
#define BOOT_TRAMPOLINE_LIMIT 0x9FFFFULL /* below the EBDA / VGA hole */

/* Memory range kinds, folded from the UEFI memory types (UEFI 2.9, 7.2). */
enum boot_mem_kind {
	BOOT_MEM_USABLE = 1,   /* EfiConventionalMemory: pmem may hand it out */
	BOOT_MEM_LOADER = 2,   /* loader/boot-services code and data (ours, firmware's) */
	BOOT_MEM_RUNTIME = 3,  /* runtime services code/data: never touch */
	BOOT_MEM_ACPI = 4,     /* ACPI reclaim / NVS */
	BOOT_MEM_MMIO = 5,     /* memory-mapped I/O declared by firmware */
	BOOT_MEM_RESERVED = 6, /* reserved, unusable, persistent, unknown */
};

struct boot_mem_range {
	u64 base;
	u64 pages;    /* 4 KiB pages */
	u32 kind;     /* enum boot_mem_kind */
	u32 efi_type; /* the original UEFI type, for the report */
	u64 attr;     /* UEFI attributes (EFI_MEMORY_UC, ...) */
};

struct boot_file {
	char name[BOOT_FILE_NAME_MAX]; /* ASCII, as on the ESP */
	u64 addr;		       /* SPA of the contents, page aligned */
	u64 size;		       /* bytes */
};

struct boot_info {
	u64 magic;
	u64 image_base, image_size;	     /* the loaded hv.efi */
	u64 text_start, text_end;	     /* code, to be mapped read-only + executable */
	u64 data_start, data_end;	     /* data, read-write, not executable */
	u64 rsdp;			     /* ACPI RSDP (2.0+ preferred), 0 if none */
	u64 boot_data_base, boot_data_pages; /* this struct (LoaderData) */
	u32 fw_revision;
	char fw_vendor[48];
	u32 exit_bs_tries;   /* ExitBootServices attempts */
	u64 trampoline_base; /* BOOT_TRAMPOLINE_PAGES LoaderData pages below
			      * 1 MiB, page aligned; 0 if UEFI had none */
	u32 nr_mem;
	struct boot_mem_range mem[BOOT_MMAP_MAX];
	u32 nr_files;
	struct boot_file files[BOOT_FILES_MAX];
};

/* The hypervisor proper. Never returns. */
void hv_main(struct boot_info *bi) __noreturn;

#endif
