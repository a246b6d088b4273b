/* Linux guests: loading the bzImage with the pure loader (hv/vm/linux_boot.c)
 * into a plain guest's memory, the boot page tables, GDT and ACPI tables,
 * and the 64-bit entry state (Linux Documentation/arch/x86/boot.rst,
 * "64-bit Boot Protocol"). docs/linux.md has the layout. */
#include "hv/vm/guest_linux.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "boot/boot_info.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/base/report.h"
#include "hv/svm/svm.h"
#include "hv/svm/vmsa.h"
#include "hv/vm/acpi_guest.h"
#include "hv/vm/guest_dev.h"
#include "hv/vm/linux_boot.h"
#include "hv/vm/linux_snp.h"
#include "snp/guest_msg.h"

/* GDT descriptors (APM vol 2, 4.8): flat 64-bit code (L = 1) and data. */
#define GDT_CODE64 0x00af9b000000ffffULL
#define GDT_DATA   0x00cf93000000ffffULL

#define LINUX_CMDLINE_MAX 512

struct lx {
	struct linux_image img;
	struct linux_mem_region mem[3];
	struct linux_boot_config cfg;
	struct linux_boot_plan plan;
	char cmdline[LINUX_CMDLINE_MAX];
	const void *initrd;
	struct linux_snp_layout *snp; /* SNP guests: the launch layout (until launched) */
	struct linux_setup_item cc_item;
};

static struct lx lxs[CFG_MAX_GUESTS];
static void *lx_snp_free; /* a layout left behind by a guest that failed early */

_Static_assert(LINUX_PT_GPA == SNP_BOOT_PT_GPA, "the identity tables are SNP's boot tables");
_Static_assert(LINUX_PT_GPA + SNP_BOOT_PT_PAGES * PAGE_SIZE <= LINUX_BOOT_AREA_GPA, "layout");
_Static_assert(LINUX_BOOT_AREA_GPA == LINUX_SNP_BOOT_GPA && LINUX_ACPI_GPA == LINUX_SNP_ACPI_GPA &&
		   LINUX_GDT_GPA == LINUX_SNP_GDT_GPA && LINUX_PT_GPA == LINUX_SNP_PT_GPA &&
		   LINUX_SNP_SECRETS_GPA == SNP_SECRETS_GPA,
	       "one layout for plain and SNP Linux guests");

static const struct boot_file *file_named(const struct boot_info *bi, const char *name)
{
	for (u32 i = 0; i < bi->nr_files; i++)
		if (!strcasecmp(bi->files[i].name, name))
			return &bi->files[i];
	return NULL;
}

int guest_linux_prepare(struct guest *g, const struct cfg_guest *c, const struct boot_info *bi)
{
	struct lx *x = &lxs[g->id];
	const struct boot_file *k = file_named(bi, c->kernel);
	const struct boot_file *rd = c->initrd[0] ? file_named(bi, c->initrd) : NULL;
	char why[LINUX_BOOT_ERR_LEN] = "";
	int ret;

	memset(x, 0, sizeof(*x));
	g->is_linux = true;
	g->cpuid.lapic = true;
	if (!k || (c->initrd[0] && !rd)) {
		guest_finish(g, GUEST_KILLED, "%s %s is not on the ESP", k ? "initrd" : "kernel",
			     k ? c->initrd : c->kernel);
		return -ENOENT;
	}
	ret = linux_image_parse(phys_ptr(spa(k->addr)), k->size, &x->img, why);
	if (ret) {
		guest_finish(g, GUEST_KILLED, "kernel %s refused: %s", c->kernel, why);
		return ret;
	}
	snprintf(x->cmdline, sizeof(x->cmdline), "%s%stsc_early_khz=%llu", c->cmdline,
		 c->cmdline[0] ? " " : "", (unsigned long long)svm_cpu.tsc_khz);
	linux_guest_boot_config(&x->cfg, x->mem, g->mem_size, x->cmdline, rd ? rd->size : 0);
	x->initrd = rd ? phys_ptr(spa(rd->addr)) : NULL;
	if (c->snp) { /* the CC blob in setup_data (docs/linux.md "Linux as an SNP guest") */
		free(lx_snp_free);
		lx_snp_free = NULL;
		x->snp = calloc(1, sizeof(*x->snp));
		if (!x->snp) {
			guest_finish(g, GUEST_KILLED, "no memory for the SNP launch layout");
			return -ENOMEM;
		}
		linux_snp_setup_item(x->snp, &x->cc_item);
		x->cfg.setup = &x->cc_item;
		x->cfg.nr_setup = c->snp_test == CFG_SNP_TEST_NO_CC_BLOB ? 0 : 1;
	}
	ret = linux_boot_plan(&x->img, &x->cfg, &x->plan, why);
	if (ret) {
		guest_finish(g, GUEST_KILLED, "kernel %s cannot be placed in %llu MiB: %s",
			     c->kernel, (unsigned long long)(g->mem_size >> 20), why);
		return ret;
	}
	g->load = x->plan.kernel_load;
	g->entry = x->plan.entry64;
	g->image_size = k->size;
	pr_info(
	    "guest %s: Linux %s, kernel at 0x%llx (+0x%llx), entry 0x%llx, zero page 0x%llx, "
	    "initrd %llu bytes at 0x%llx, cmdline \"%s\"\n",
	    g->name, x->img.version[0] ? x->img.version : "(no version string)",
	    (unsigned long long)gpa_val(x->plan.kernel_load),
	    (unsigned long long)x->plan.kernel_span, (unsigned long long)gpa_val(x->plan.entry64),
	    (unsigned long long)gpa_val(x->plan.zero_page), (unsigned long long)x->plan.initrd_size,
	    (unsigned long long)gpa_val(x->plan.initrd), x->cmdline);
	return 0;
}

static int write_cb(void *ctx, gpa_t a, const void *src, u64 len)
{
	return guest_write(ctx, a, src, len);
}

int guest_linux_snp_layout(struct guest *g, const void *cpuid, unsigned cbit,
			   struct linux_snp_layout **out, char *why)
{
	struct lx *x = &lxs[g->id];

	if (!x->snp) {
		snprintf(why, 96, "not an SNP Linux guest");
		return -EINVAL;
	}
	*out = x->snp;
	return linux_snp_layout_build(x->snp, &x->img, &x->cfg, &x->plan, x->initrd, cpuid, cbit,
				      g->mem_size, g->cfg->n_devices != 0, why);
}

void guest_linux_snp_done(struct guest *g)
{
	struct lx *x = &lxs[g->id];

	free(x->snp);
	x->snp = NULL;
}

int guest_linux_load(struct guest *g)
{
	struct lx *x = &lxs[g->id];
	static u64 tables[SNP_BOOT_PT_PAGES * PAGE_SIZE / 8];
	static u8 acpi[ACPI_GUEST_SIZE];
	const u64 gdt[4] = {0, 0, GDT_CODE64, GDT_DATA};
	u64 win_lo = 0, win_hi = 0;
	int ret;

	_Static_assert(LINUX_BOOT_CS == 2 * 8 && LINUX_BOOT_DS == 3 * 8, "GDT slots");
	if (g->snp)
		return 0; /* launched with its memory (hv/vm/guest_gmem.c, linux_snp.c) */
	ret = linux_boot_write(&x->img, &x->cfg, &x->plan, x->initrd, write_cb, g);
	if (ret)
		return ret;
	ret = guest_write(g, gpa(LINUX_GDT_GPA), gdt, sizeof(gdt));
	if (ret)
		return ret;
	snp_boot_tables_build(tables, 0); /* identity [0, 4 GiB), 2 MiB pages, no C-bit */
	ret = guest_write(g, gpa(LINUX_PT_GPA), tables, sizeof(tables));
	if (ret)
		return ret;
	/* a PCI root bridge in the DSDT only when there is a virtual PCI bus */
	if (g->cfg->n_devices)
		guest_dev_bar_window(g, &win_lo, &win_hi);
	ret = acpi_guest_build(acpi, sizeof(acpi), LINUX_ACPI_GPA, 0, (u32)VLAPIC_BASE, win_lo,
			       win_hi);
	if (ret)
		return ret;
	return guest_write(g, gpa(LINUX_ACPI_GPA), acpi, sizeof(acpi));
}

static void seg(struct vmcb_seg *s, u16 sel, u16 attrib)
{
	s->selector = sel;
	s->attrib = attrib;
	s->limit = 0xffffffff;
	s->base = 0;
}

void guest_linux_boot_vcpu(struct guest *g)
{
	const struct lx *x = &lxs[g->id];
	struct vcpu *v = g->vcpu;
	struct vmcb_save_area *s = &v->vmcb->save;

	seg(&s->cs, LINUX_BOOT_CS, VMSA_SEG_CODE64);
	seg(&s->ds, LINUX_BOOT_DS, VMSA_SEG_DATA32);
	seg(&s->es, LINUX_BOOT_DS, VMSA_SEG_DATA32);
	seg(&s->ss, LINUX_BOOT_DS, VMSA_SEG_DATA32);
	seg(&s->fs, LINUX_BOOT_DS, VMSA_SEG_DATA32);
	seg(&s->gs, LINUX_BOOT_DS, VMSA_SEG_DATA32);
	s->gdtr.base = LINUX_GDT_GPA;
	s->gdtr.limit = 4 * 8 - 1;
	s->efer = VMSA_EFER_BOOT64;
	s->cr0 = VMSA_CR0_BOOT64;
	s->cr3 = LINUX_PT_GPA;
	s->cr4 = VMSA_CR4_BOOT64;
	s->rip = gpa_val(x->plan.entry64);
	s->rsp = 0;
	s->rflags = VMSA_RFLAGS_INIT; /* IF = 0 */
	s->rax = 0;
	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.rsi = gpa_val(x->plan.zero_page);
	guest_plat_reset(g);
	vrtc_reset(&g->rtc);
	g->rtc.tsc_khz = svm_cpu.tsc_khz;
	vpit_reset(&g->pit, svm_cpu.tsc_khz);
	g->halted = false;
}

void guest_linux_report(const struct guest *g)
{
	const struct vlapic *l = &g->lapic;

	const struct vioapic *io = &g->ioapic;
	char name[64];

	pr_info("guest %s: Linux platform: %llu APIC page accesses, %llu interrupts injected, "
		"%llu timer expiries, %llu EOIs, %llu MSR #GPs, %llu ignored port accesses, "
		"%llu refused 8254 commands\n",
		g->name, (unsigned long long)g->mmio_exits, (unsigned long long)g->irqs_injected,
		(unsigned long long)l->timer_fired, (unsigned long long)l->eois,
		(unsigned long long)g->msr_gp,
		(unsigned long long)(g->vcpu ? g->vcpu->ignored_io : 0),
		(unsigned long long)g->pit.bad);
	pr_info("guest %s: I/O APIC: COM1 IRQ %u raised %llu times, %llu delivered on pin %u "
		"(entry 0x%016llx), %llu level EOIs, %llu undeliverable, %llu bad accesses; "
		"UART sent %llu bytes\n",
		g->name, VUART_COM1_IRQ, (unsigned long long)g->uart_irqs,
		(unsigned long long)io->delivered[VUART_COM1_IRQ], VUART_COM1_IRQ,
		(unsigned long long)vioapic_rte(io, VUART_COM1_IRQ), (unsigned long long)io->eois,
		(unsigned long long)io->bad_delivery, (unsigned long long)io->bad_access,
		(unsigned long long)g->uart.tx_bytes);
	snprintf(name, sizeof(name), "uart.%s.irqs", g->name);
	report_metric(name, g->uart_irqs, "interrupts");
	snprintf(name, sizeof(name), "ioapic.%s.pin4.delivered", g->name);
	report_metric(name, io->delivered[VUART_COM1_IRQ], "interrupts");
}
