/* Linux guests (hv.cfg `kernel =`, docs/linux.md): an unmodified bzImage
 * booted as a plain guest through the 64-bit boot protocol, on the small
 * virtual platform of hv/svm (xAPIC page, ACPI MADT, legacy ports absent). */
#ifndef HV_VM_GUEST_LINUX_H
#define HV_VM_GUEST_LINUX_H

#include "hv/svm/guest.h"

struct boot_info;

/* Guest-physical layout (below the loader's 1 MiB floor for the kernel). */
#define LINUX_GDT_GPA	    0x1000ULL  /* flat code 0x10, data 0x18 */
#define LINUX_PT_GPA	    0x2000ULL  /* identity tables, 6 pages (SNP_BOOT_PT_GPA) */
#define LINUX_BOOT_AREA_GPA 0x10000ULL /* zero page, command line, setup_data */
#define LINUX_BOOT_AREA_LEN 0x10000ULL
#define LINUX_ACPI_GPA	    0x9f000ULL /* e820 type ACPI up to 0xA0000 */
#define LINUX_LOW_RAM_END   0xa0000ULL
#define LINUX_HIGH_RAM	    0x100000ULL
#define LINUX_BOOT_CS	    0x10 /* boot.rst: __BOOT_CS */
#define LINUX_BOOT_DS	    0x18 /* __BOOT_DS */

/* Checks the kernel and initrd files and computes the placement, before
 * anything is allocated. On error the guest is finished (killed) with the
 * reason and a negative errno is returned. */
int guest_linux_prepare(struct guest *g, const struct cfg_guest *c, const struct boot_info *bi);
/* Writes kernel, zero page, command line, initrd, GDT, page tables and ACPI
 * tables into the guest's (shared, plain) memory. */
int guest_linux_load(struct guest *g);
/* After vcpu_init: the 64-bit entry state of boot.rst ("64-bit Boot
 * Protocol"): long mode, identity paging, CS 0x10, DS/ES/SS 0x18, RSI =
 * zero page, RIP = kernel + 0x200, interrupts off. */
void guest_linux_boot_vcpu(struct guest *g);
struct linux_snp_layout;
/* SNP: builds the launch layout (hv/vm/linux_snp.c) with the CPUID page
 * contents `cpuid` and the C-bit `cbit`; *out stays valid until
 * guest_linux_snp_done. 0 or a negative errno with the reason in why. */
int guest_linux_snp_layout(struct guest *g, const void *cpuid, unsigned cbit,
			   struct linux_snp_layout **out, char *why);
void guest_linux_snp_done(struct guest *g);
/* The CPUID page (SNP_PAGE_TYPE_CPUID) of an SNP Linux guest: the leaves
 * Linux reads, standard maximum capped at 0xB (hv/vm/guest_linux_snp.c).
 * t must be the start of a whole 4 KiB page: all of it is written. */
struct snp_cpuid_table;
void guest_linux_cpuid_page(struct guest *g, struct snp_cpuid_table *t);
/* One log line with the platform's counters when the guest ends. */
void guest_linux_report(const struct guest *g);

#endif
