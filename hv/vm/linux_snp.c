/* The SNP launch of a Linux guest as measured ranges (hv/vm/linux_snp.h).
 * Pure: the hypervisor (hv/vm/guest_gmem.c) launches the ranges through the
 * firmware, tools/snp-measure --linux measures the same ranges. Page types
 * per the SNP firmware ABI (56860 8.17 SNP_LAUNCH_UPDATE). */
#include "hv/vm/linux_snp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/svm/vmsa.h"
#include "hv/vm/guest_dev.h"
#include "snp/measure.h"

#define GDT_CODE64 0x00af9b000000ffffULL
#define GDT_DATA   0x00cf93000000ffffULL

void linux_guest_boot_config(struct linux_boot_config *cfg, struct linux_mem_region mem[3],
			     u64 mem_size, const char *cmdline, u64 initrd_size)
{
	mem[0] = (struct linux_mem_region){gpa(0), LINUX_SNP_ACPI_GPA, LINUX_E820_RAM};
	mem[1] = (struct linux_mem_region){gpa(LINUX_SNP_ACPI_GPA),
					   LINUX_SNP_LOW_RAM_END - LINUX_SNP_ACPI_GPA, LINUX_E820_ACPI};
	mem[2] = (struct linux_mem_region){gpa(LINUX_SNP_HIGH_RAM), mem_size - LINUX_SNP_HIGH_RAM,
					   LINUX_E820_RAM};
	*cfg = (struct linux_boot_config){
	    .mem = mem,
	    .nr_mem = 3,
	    .boot_area = gpa(LINUX_SNP_BOOT_GPA),
	    .boot_area_size = LINUX_SNP_BOOT_LEN,
	    .cmdline = cmdline,
	    .initrd_size = initrd_size,
	    .initrd_limit = MIN(mem_size, GiB(4)),
	    .acpi_rsdp = gpa(LINUX_SNP_ACPI_GPA),
	};
}

void linux_snp_setup_item(struct linux_snp_layout *L, struct linux_setup_item *it)
{
	L->cc_blob_gpa = (u32)LINUX_SNP_CCBLOB_GPA;
	*it = (struct linux_setup_item){
	    .type = LINUX_SETUP_CC_BLOB, .len = sizeof(L->cc_blob_gpa), .data = &L->cc_blob_gpa};
}

struct stage {
	struct linux_snp_layout *L;
	int err;
	char *why;
};

static int add(struct linux_snp_layout *L, u64 gpa, u64 len, unsigned type, const void *src,
	       u64 src_len)
{
	if (L->n == LINUX_SNP_MAX_SEGS || (gpa & (PAGE_SIZE - 1)))
		return -EINVAL;
	L->seg[L->n++] = (struct linux_snp_seg){gpa, len, type, src, src_len};
	return 0;
}

/* linux_boot_write's callback: the boot area is staged in L->boot_area; the
 * kernel and initrd stay in their files (src lives as long as the files). */
static int stage_write(void *ctx, gpa_t a, const void *src, u64 len)
{
	struct stage *st = ctx;
	u64 g = gpa_val(a);

	if (g >= LINUX_SNP_BOOT_GPA && g + len <= LINUX_SNP_BOOT_GPA + LINUX_SNP_BOOT_LEN) {
		memcpy(st->L->boot_area + (g - LINUX_SNP_BOOT_GPA), src, len);
		return 0;
	}
	return add(st->L, g, len, SNP_PAGE_TYPE_NORMAL, src, len);
}

static void seg_set(struct vmcb_seg *s, u16 sel, u16 attrib)
{
	s->selector = sel;
	s->attrib = attrib;
	s->limit = 0xffffffff;
	s->base = 0;
}

int linux_snp_layout_build(struct linux_snp_layout *L, const struct linux_image *img,
			   const struct linux_boot_config *cfg, const struct linux_boot_plan *plan,
			   const void *initrd, const void *cpuid, unsigned cbit, u64 mem_size,
			   bool pci_bus, char *why)
{
	struct stage st = {L, 0, why};
	struct sev_es_save_area *v = (void *)L->vmsa;
	int r;

	L->n = 0;
	L->mem_size = mem_size;
	L->mem = cfg->mem;
	L->nr_mem = cfg->nr_mem;
	if (gpa_val(cfg->boot_area) != LINUX_SNP_BOOT_GPA || cfg->boot_area_size > LINUX_SNP_BOOT_LEN) {
		snprintf(why, 96, "boot area not at 0x%llx", (unsigned long long)LINUX_SNP_BOOT_GPA);
		return -EINVAL;
	}
	L->gdt[0] = L->gdt[1] = 0;
	L->gdt[2] = GDT_CODE64;
	L->gdt[3] = GDT_DATA;
	snp_boot_tables_build(L->tables, cbit);
	L->cc = (struct linux_cc_blob){.magic = LINUX_CC_BLOB_MAGIC,
				       .version = 1,
				       .secrets_phys = LINUX_SNP_SECRETS_GPA,
				       .secrets_len = PAGE_SIZE,
				       .cpuid_phys = LINUX_SNP_CPUID_GPA,
				       .cpuid_len = PAGE_SIZE};
	/* a PCI root bridge in the DSDT only for a guest with devices, with
	 * the window guest_dev.c places their BARs in (hv/vm/guest_linux.c) */
	u64 win_lo = 0, win_hi = 0;
	if (pci_bus)
		guest_bar_window(mem_size, &win_lo, &win_hi);
	r = acpi_guest_build(L->acpi, sizeof(L->acpi), LINUX_SNP_ACPI_GPA, 0, 0xfee00000u, win_lo,
			     win_hi);
	if (r) {
		snprintf(why, 96, "ACPI tables (%d)", r);
		return r;
	}
	memset(L->boot_area, 0, sizeof(L->boot_area));
	r = add(L, LINUX_SNP_GDT_GPA, sizeof(L->gdt), SNP_PAGE_TYPE_NORMAL, L->gdt, sizeof(L->gdt));
	r = r ?: add(L, LINUX_SNP_PT_GPA, sizeof(L->tables), SNP_PAGE_TYPE_NORMAL, L->tables,
		     sizeof(L->tables));
	r = r ?: add(L, LINUX_SNP_SECRETS_GPA, PAGE_SIZE, SNP_PAGE_TYPE_SECRETS, NULL, 0);
	r = r ?: add(L, LINUX_SNP_CPUID_GPA, PAGE_SIZE, SNP_PAGE_TYPE_CPUID, cpuid,
		     cpuid ? PAGE_SIZE : 0);
	r = r ?: add(L, LINUX_SNP_CCBLOB_GPA, PAGE_SIZE, SNP_PAGE_TYPE_NORMAL, &L->cc, sizeof(L->cc));
	r = r ?: add(L, LINUX_SNP_BOOT_GPA, LINUX_SNP_BOOT_LEN, SNP_PAGE_TYPE_NORMAL, L->boot_area,
		     sizeof(L->boot_area));
	r = r ?: add(L, LINUX_SNP_ACPI_GPA, PAGE_SIZE, SNP_PAGE_TYPE_NORMAL, L->acpi, sizeof(L->acpi));
	r = r ?: linux_boot_write(img, cfg, plan, initrd, stage_write, &st);
	if (r) {
		snprintf(why, 96, "too many or unaligned ranges (%d)", r);
		return r;
	}
	/* ascending GPA, no overlaps */
	for (unsigned i = 1; i < L->n; i++)
		for (unsigned j = i; j && L->seg[j].gpa < L->seg[j - 1].gpa; j--) {
			struct linux_snp_seg t = L->seg[j];

			L->seg[j] = L->seg[j - 1];
			L->seg[j - 1] = t;
		}
	for (unsigned i = 0; i < L->n; i++) {
		u64 end = L->seg[i].gpa + ALIGN_UP(L->seg[i].len, PAGE_SIZE);

		if (end > mem_size || (i + 1 < L->n && end > L->seg[i + 1].gpa)) {
			snprintf(why, 96, "range 0x%llx+0x%llx overlaps or leaves memory",
				 (unsigned long long)L->seg[i].gpa, (unsigned long long)L->seg[i].len);
			return -EINVAL;
		}
	}
	/* The VMSA: boot.rst's 64-bit entry, SNP active (what the vCPU starts with) */
	memset(L->vmsa, 0, sizeof(L->vmsa));
	vmsa_build_boot64(v, gpa_val(plan->entry64), 0, LINUX_SNP_PT_GPA, SVM_SEV_FEAT_SNP_ACTIVE);
	seg_set(&v->cs, LINUX_BOOT_CS_SEL, VMSA_SEG_CODE64);
	seg_set(&v->ds, LINUX_BOOT_DS_SEL, VMSA_SEG_DATA32);
	seg_set(&v->es, LINUX_BOOT_DS_SEL, VMSA_SEG_DATA32);
	seg_set(&v->ss, LINUX_BOOT_DS_SEL, VMSA_SEG_DATA32);
	seg_set(&v->fs, LINUX_BOOT_DS_SEL, VMSA_SEG_DATA32);
	seg_set(&v->gs, LINUX_BOOT_DS_SEL, VMSA_SEG_DATA32);
	v->gdtr.base = LINUX_SNP_GDT_GPA;
	v->gdtr.limit = sizeof(L->gdt) - 1;
	v->rbx = 0;
	v->rsi = gpa_val(plan->zero_page);
	return 0;
}

static bool ram_at(const struct linux_snp_layout *L, u64 a, u64 *end)
{
	u64 next = L->mem_size;

	for (unsigned i = 0; i < L->nr_mem; i++) {
		u64 b = gpa_val(L->mem[i].base), e = b + L->mem[i].size;

		if (a >= b && a < e) {
			*end = MIN(e, L->mem_size);
			return true;
		}
		if (b > a && b < next)
			next = b;
	}
	*end = next;
	return false;
}

static int gap(const struct linux_snp_layout *L, u64 a, u64 b, linux_snp_range_fn fn, void *ctx)
{
	while (a < b) {
		u64 e;
		bool ram = ram_at(L, a, &e);
		struct linux_snp_seg r = {a, MIN(e, b) - a, ram ? SNP_PAGE_TYPE_ZERO : LINUX_SNP_HOLE,
					  NULL, 0};
		int ret = fn(ctx, &r);

		if (ret)
			return ret;
		a += r.len;
	}
	return 0;
}

int linux_snp_walk(const struct linux_snp_layout *L, linux_snp_range_fn fn, void *ctx)
{
	u64 at = 0;
	int ret;

	for (unsigned i = 0; i < L->n; i++) {
		ret = gap(L, at, L->seg[i].gpa, fn, ctx);
		if (!ret)
			ret = fn(ctx, &L->seg[i]);
		if (ret)
			return ret;
		at = L->seg[i].gpa + ALIGN_UP(L->seg[i].len, PAGE_SIZE);
	}
	return gap(L, at, L->mem_size, fn, ctx);
}
