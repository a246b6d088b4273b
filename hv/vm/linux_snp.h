/* The SNP launch of a Linux guest as a list of measured ranges (pure: the
 * hypervisor launches them, tools/snp-measure measures the same list).
 * docs/linux.md "Linux as an SNP guest" has the layout and the reasons. */
#ifndef HV_VM_LINUX_SNP_H
#define HV_VM_LINUX_SNP_H

#include "hv/base/types.h"
#include "hv/vm/acpi_guest.h"
#include "hv/vm/linux_boot.h"

#define LINUX_SNP_GDT_GPA     0x1000ULL /* = LINUX_GDT_GPA */
#define LINUX_SNP_PT_GPA      0x2000ULL /* = SNP_BOOT_PT_GPA, 6 pages */
#define LINUX_SNP_SECRETS_GPA 0x8000ULL /* = SNP_SECRETS_GPA */
#define LINUX_SNP_CPUID_GPA   0x9000ULL /* SNP_PAGE_TYPE_CPUID */
#define LINUX_SNP_CCBLOB_GPA  0xa000ULL /* struct linux_cc_blob, NORMAL */
#define LINUX_SNP_BOOT_GPA    0x10000ULL /* = LINUX_BOOT_AREA_GPA */
#define LINUX_SNP_BOOT_LEN    0x10000ULL
#define LINUX_SNP_ACPI_GPA    0x9f000ULL /* = LINUX_ACPI_GPA */
#define LINUX_SETUP_CC_BLOB   7		 /* setup_data type SETUP_CC_BLOB */
#define LINUX_BOOT_CS_SEL     0x10	 /* boot.rst __BOOT_CS */
#define LINUX_BOOT_DS_SEL     0x18

/* Linux struct cc_blob_sev_info (arch/x86/include/asm/sev.h). */
#define LINUX_CC_BLOB_MAGIC 0x45444d41u /* "AMDE" */
struct linux_cc_blob {
	u32 magic;
	u16 version;
	u16 reserved;
	u64 secrets_phys;
	u32 secrets_len;
	u32 rsvd1;
	u64 cpuid_phys;
	u32 cpuid_len;
	u32 rsvd2;
} __attribute__((packed));
_Static_assert(sizeof(struct linux_cc_blob) == 40, "cc_blob_sev_info");
_Static_assert(__builtin_offsetof(struct linux_cc_blob, cpuid_phys) == 24, "cpuid_phys");

/* Range kinds: SNP page types (snp/measure.h) or LINUX_SNP_HOLE (private,
 * not validated, not measured: outside every e820 RAM/ACPI region). */
#define LINUX_SNP_HOLE 0

struct linux_snp_seg {
	u64 gpa, len; /* page-aligned start; len rounded up to pages when launched */
	unsigned type;
	const void *src; /* NULL: no contents (ZERO, SECRETS, ...) */
	u64 src_len;
};

#define LINUX_SNP_MAX_SEGS 16

struct linux_snp_layout {
	struct linux_snp_seg seg[LINUX_SNP_MAX_SEGS];
	unsigned n;
	u64 mem_size;
	const struct linux_mem_region *mem;
	unsigned nr_mem;
	u32 cc_blob_gpa; /* the setup_data payload */
	u64 gdt[4];
	struct linux_cc_blob cc;
	u8 acpi[ACPI_GUEST_SIZE];
	u8 boot_area[LINUX_SNP_BOOT_LEN];
	u8 tables[6 * 4096];
	u8 vmsa[4096];
};

/* The guest's e820 map and boot config (hv/vm/guest_linux.c, the same for
 * plain and SNP guests): RAM [0, 0x9f000), ACPI [0x9f000, 0xa0000), RAM
 * [1 MiB, mem_size); boot area at 0x10000, RSDP at 0x9f000, initrd below
 * min(mem_size, 4 GiB). */
#define LINUX_SNP_LOW_RAM_END 0xa0000ULL
#define LINUX_SNP_HIGH_RAM    0x100000ULL
void linux_guest_boot_config(struct linux_boot_config *cfg, struct linux_mem_region mem[3],
			     u64 mem_size, const char *cmdline, u64 initrd_size);

/* The setup_data item naming the CC blob (type 7, u32 GPA): to be put into
 * the boot config before linux_boot_plan. L->cc_blob_gpa is set here. */
void linux_snp_setup_item(struct linux_snp_layout *L, struct linux_setup_item *it);

/* Builds every measured range of the launch: GDT, identity tables with the
 * C-bit `cbit`, secrets page, CPUID page (contents `cpuid`, 4 KiB, may be
 * NULL for measuring: its contents are not measured), CC blob, boot area
 * (zero page, command line, setup_data), ACPI tables, kernel and initrd
 * (pointers into the files), and the VMSA (Linux's 64-bit entry state, SNP
 * active). 0 or a negative errno with the reason in why. */
int linux_snp_layout_build(struct linux_snp_layout *L, const struct linux_image *img,
			   const struct linux_boot_config *cfg, const struct linux_boot_plan *plan,
			   const void *initrd, const void *cpuid, unsigned cbit, u64 mem_size,
			   bool pci_bus, char *why);

/* Calls fn for [0, mem_size) in ascending GPA order: the ranges of the
 * layout, ZERO for every other page of an e820 RAM/ACPI region (validated at
 * launch: Linux without EFI has no unaccepted memory), LINUX_SNP_HOLE for the
 * rest. Stops at the first non-zero return. */
typedef int (*linux_snp_range_fn)(void *ctx, const struct linux_snp_seg *r);
int linux_snp_walk(const struct linux_snp_layout *L, linux_snp_range_fn fn, void *ctx);

#endif
