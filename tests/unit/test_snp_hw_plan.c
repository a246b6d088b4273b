/* Unit tests of snp/snp_hw_plan: the SEV-SNP hardware bring-up decisions.
 * EPYC Milan- and Genoa-like fact sets that go, and every refusal path: no
 * leaf (and QEMU's garbage 0x8000001F), SNP bit clear, MEM_ENCRYPT/SNP_EN/
 * VMPL_EN clear, segmented RMP, RMP unset/malformed/not covering, IOMMU off/
 * passthrough/no SNPSup/partial, no PCI, no PSP, bad BAR2; then the firmware
 * step (SNP_INIT_EX vs SNP_INIT, already INIT, too old). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "snp/snp_hw_plan.h"

#define SYSCFG_MILAN  0x3FC0000ULL /* bits 18-25: MTRR/TOM2 bits, MFDM, SMEE, SNP_EN, VMPL_EN */
#define SEV_EAX_MILAN 0x0001B03FU  /* SME SEV PFLUSH SEV-ES SNP VMPL ... (no RMPREAD) */
#define SEV_EAX_TURIN (SEV_EAX_MILAN | CPUID_SEV_EAX_RMPREAD)
#define RAM_END_256G  0x4080000000ULL /* 256 GiB + the 2 GiB hole below 4 GiB */
#define RMP_BASE_64G  0x1000000000ULL
/* A table covering 512 GiB: (128 Mi entries << 4) + 16 KiB, rounded to 1 MiB. */
#define RMP_SIZE_512G (((512ULL << 30) >> 12 << 4) + MiB(1))
#define EFR_GENOA     0x800000000058f77aULL /* SNPSup (63) set */
#define EFR_QEMU72    0x29D3ULL

static struct pci_dev devs[8];

static struct pci_dev mkdev(u16 bdf, u16 vendor, u16 device)
{
	struct pci_dev d;

	memset(&d, 0, sizeof(d));
	d.bdf = bdf;
	d.vendor = vendor;
	d.device = device;
	d.parent = 0xFFFF;
	return d;
}

static void add_bar(struct pci_dev *d, u8 index, enum pci_bar_kind kind, u64 addr, u64 size)
{
	struct pci_bar *b = &d->bars[d->nbars++];

	b->index = index;
	b->kind = kind;
	b->addr = addr;
	b->size = size;
}

/* Milan-like: one socket, PSP 1022:1486 at 22:00.1 with BAR2 mem32 1 MiB. */
static void milan(struct snp_hw_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->max_ext_leaf = 0x80000023;
	f->sev_eax = SEV_EAX_MILAN;
	f->msrs_valid = true;
	f->syscfg = SYSCFG_MILAN;
	f->rmp_base = RMP_BASE_64G;
	f->rmp_end = RMP_BASE_64G + RMP_SIZE_512G - 1;
	f->mem_end = RAM_END_256G;
	f->iommu_up = true;
	f->iommu_efr = EFR_GENOA;
	f->iommu_count = 1;
	f->iommu_driven = 1;
	devs[0] = mkdev(0x0000, PCI_VENDOR_AMD, 0x1480); /* root complex */
	devs[1] = mkdev(0x0002, PCI_VENDOR_AMD, 0x164F); /* IOMMU */
	devs[2] = mkdev(0x2200, PCI_VENDOR_AMD, 0x148A); /* dummy function */
	devs[3] = mkdev(0x2201, PCI_VENDOR_AMD, 0x1486); /* PSP/CCP */
	add_bar(&devs[3], 2, PCI_BAR_MEM32, 0xF2000000, MiB(1));
	add_bar(&devs[3], 5, PCI_BAR_MEM32, 0xF2100000, KiB(8));
	devs[4] = mkdev(0x2300, 0x8086, 0x1486); /* same device id, not AMD */
	f->pci = devs;
	f->npci = 5;
}

/* Genoa-like: two sockets (two PSPs 1022:14CA, the second found first),
 * BAR2 64-bit above 4 GiB. */
static void genoa(struct snp_hw_facts *f)
{
	milan(f);
	f->max_ext_leaf = 0x80000028;
	f->iommu_count = 1;
	devs[0] = mkdev(0xC101, PCI_VENDOR_AMD, 0x14CA);
	add_bar(&devs[0], 2, PCI_BAR_MEM64, 0x30000000000ULL, MiB(1));
	devs[1] = mkdev(0x0101, PCI_VENDOR_AMD, 0x14CA);
	add_bar(&devs[1], 2, PCI_BAR_MEM64, 0x20000000000ULL, MiB(2));
	devs[2] = mkdev(0x0000, PCI_VENDOR_AMD, 0x14A4);
	f->npci = 3;
}

static void expect_only(const struct snp_hw_facts *f, int r, int err)
{
	struct snp_hw_plan p;

	assert_int_equal(snp_hw_plan_make(f, &p), err);
	assert_int_equal(p.refused, BIT(r));
	assert_int_equal(p.first, r);
}

static void test_milan_goes(void **state)
{
	struct snp_hw_facts f;
	struct snp_hw_plan p;

	(void)state;
	milan(&f);
	assert_int_equal(snp_hw_plan_make(&f, &p), 0);
	assert_int_equal(p.refused, 0);
	assert_int_equal(p.first, -1);
	assert_int_equal(spa_val(p.rmp.base), RMP_BASE_64G);
	assert_int_equal(p.rmp.size, RMP_SIZE_512G);
	assert_int_equal(p.rmp.npfns, (RMP_SIZE_512G - RMP_BOOKKEEPING_SIZE) / 16);
	assert_false(p.rmp.has_rmpread);
	assert_ptr_equal(p.psp, &devs[3]);
	assert_int_equal(p.psp_candidates, 1);
	assert_ptr_equal(p.regs, &psp_sev_regs_v2);
	assert_int_equal(p.bar_index, 2);
	assert_int_equal(p.bar_addr, 0xF2000000);
	assert_int_equal(p.map_size, MiB(1));
	assert_false(p.clear_hsave);
}

static void test_genoa_two_sockets(void **state)
{
	struct snp_hw_facts f;
	struct snp_hw_plan p;

	(void)state;
	genoa(&f);
	f.sev_eax = SEV_EAX_TURIN; /* RMPREAD reported: used */
	f.hsave_pa = 0x12345000;
	assert_int_equal(snp_hw_plan_make(&f, &p), 0);
	assert_ptr_equal(p.psp, &devs[1]); /* lowest BDF: socket 0 */
	assert_int_equal(p.psp_candidates, 2);
	assert_int_equal(p.bar_addr, 0x20000000000ULL);
	assert_int_equal(p.map_size, MiB(2));
	assert_true(p.rmp.has_rmpread);
	assert_true(p.clear_hsave);
}

static void test_sev_v1_psp(void **state)
{
	struct snp_hw_facts f;
	struct snp_hw_plan p;

	(void)state;
	milan(&f);
	devs[3].device = 0x1456; /* Naples-era id: v1 registers */
	assert_int_equal(snp_hw_plan_make(&f, &p), 0);
	assert_ptr_equal(p.regs, &psp_sev_regs_v1);
}

/* QEMU -cpu EPYC: max extended leaf 0x8000001E, leaf 0x8000001F answered
 * with another leaf's data that may have bit 4 set; no PSP; EFR 0x29D3. */
static void test_qemu_garbage_leaf(void **state)
{
	struct snp_hw_facts f;
	struct snp_hw_plan p;

	(void)state;
	milan(&f);
	f.max_ext_leaf = 0x8000001E;
	f.sev_eax = 0xFFFFFFFF;
	f.msrs_valid = false;
	f.iommu_efr = EFR_QEMU72;
	devs[0] = mkdev(0x0000, 0x8086, 0x29C0);
	devs[1] = mkdev(0x0018, 0x1234, 0x11E8);
	f.npci = 2;
	assert_int_equal(snp_hw_plan_make(&f, &p), -ENODEV);
	assert_int_equal(p.first, SNP_HW_R_NO_SEV_LEAF);
	assert_int_equal(p.refused, BIT(SNP_HW_R_NO_SEV_LEAF) | BIT(SNP_HW_R_IOMMU_NO_SNP) |
					BIT(SNP_HW_R_NO_PSP));
	assert_null(p.psp);
}

static void test_no_leaf(void **state)
{
	struct snp_hw_facts f;

	(void)state;
	milan(&f);
	f.max_ext_leaf = 0x80000008;
	f.sev_eax = 0;
	f.msrs_valid = false;
	expect_only(&f, SNP_HW_R_NO_SEV_LEAF, -ENODEV);
}

static void test_snp_bit_clear(void **state)
{
	struct snp_hw_facts f;

	(void)state;
	milan(&f);
	f.sev_eax &= ~CPUID_SEV_EAX_SNP;
	f.msrs_valid = false; /* the glue reads no MSR then */
	expect_only(&f, SNP_HW_R_NO_SNP, -ENODEV);
	f.msrs_valid = true; /* even if it had: the CPUID bit decides */
	expect_only(&f, SNP_HW_R_NO_SNP, -ENODEV);
}

static void test_syscfg_bits(void **state)
{
	struct snp_hw_facts f;

	(void)state;
	milan(&f);
	f.syscfg &= ~MSR_AMD64_SYSCFG_MEM_ENCRYPT;
	expect_only(&f, SNP_HW_R_MEM_ENCRYPT, -ENODEV);
	milan(&f);
	f.syscfg &= ~MSR_AMD64_SYSCFG_SNP_EN;
	expect_only(&f, SNP_HW_R_SNP_EN, -ENODEV);
	milan(&f);
	f.syscfg &= ~MSR_AMD64_SYSCFG_SNP_VMPL_EN;
	expect_only(&f, SNP_HW_R_VMPL_EN, -ENODEV);
}

/* A fresh UEFI boot seen without per-CPU facts (the old single-CPU view):
 * SNP_EN must be set on every CPU, which cannot be planned: snp_en (VMPL_EN
 * is not refused: it is set together with SNP_EN). */
static void test_fresh_boot_lists_all(void **state)
{
	struct snp_hw_facts f;
	struct snp_hw_plan p;

	(void)state;
	milan(&f);
	f.syscfg &=
	    ~(MSR_AMD64_SYSCFG_SNP_EN | MSR_AMD64_SYSCFG_SNP_VMPL_EN | MSR_AMD64_SYSCFG_MFDM);
	f.iommu_err = -ENODEV;
	f.iommu_up = false;
	assert_int_equal(snp_hw_plan_make(&f, &p), -ENODEV);
	assert_int_equal(p.refused, BIT(SNP_HW_R_SNP_EN) | BIT(SNP_HW_R_IOMMU_OFF));
	assert_int_equal(p.first, SNP_HW_R_SNP_EN);
	assert_non_null(p.psp); /* independent checks still ran */
	assert_false(p.enable_snp);
}

/* ---- every CPU (hv/arch/x86/smp.c gathers them) ----------------------------------- */
#define SYSCFG_FRESH                                                                               \
	(SYSCFG_MILAN &                                                                            \
	 ~(MSR_AMD64_SYSCFG_SNP_EN | MSR_AMD64_SYSCFG_SNP_VMPL_EN | MSR_AMD64_SYSCFG_MFDM))

static struct snp_hw_cpu_facts cpus[4];

/* Milan on a fresh boot with 4 CPUs, all up, all agreeing. */
static void milan_cpus(struct snp_hw_facts *f, u64 syscfg)
{
	milan(f);
	f->syscfg = syscfg;
	for (unsigned i = 0; i < 4; i++)
		cpus[i] = (struct snp_hw_cpu_facts){.apic_id = 2 * i,
						    .up = true,
						    .syscfg = syscfg,
						    .hsave_pa = 0,
						    .rmp_base = f->rmp_base,
						    .rmp_end = f->rmp_end};
	f->cpus_known = true;
	f->cpus = cpus;
	f->ncpus = 4;
}

static void expect_steps(const struct snp_hw_plan *p, const enum snp_hw_prep_step *want, unsigned n)
{
	enum snp_hw_prep_step got[SNP_HW_PREP_COUNT];

	assert_int_equal(snp_hw_prep_steps(p, got), n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
}

/* The case this is for: SNP_EN clear everywhere, every CPU up: no refusal;
 * Linux's order: zero the whole RMP, WBINVD, MFDM, SNP_EN|VMPL_EN on all,
 * then HSAVE_PA := 0 on all, WBINVD before SNP_INIT. */
static void test_fresh_boot_all_cpus(void **state)
{
	static const enum snp_hw_prep_step order[] = {
	    SNP_HW_PREP_ZERO_RMP, SNP_HW_PREP_WBINVD, SNP_HW_PREP_MFDM,
	    SNP_HW_PREP_SNP_EN,	  SNP_HW_PREP_HSAVE,  SNP_HW_PREP_WBINVD_INIT,
	};
	struct snp_hw_facts f;
	struct snp_hw_plan p;

	(void)state;
	milan_cpus(&f, SYSCFG_FRESH);
	cpus[1].hsave_pa = 0x7f000000; /* a firmware leftover on two APs */
	cpus[3].hsave_pa = 0x7f100000;
	cpus[2].syscfg |= MSR_AMD64_SYSCFG_MFDM; /* one thread already has MFDM */
	assert_int_equal(snp_hw_plan_make(&f, &p), 0);
	assert_int_equal(p.refused, 0);
	assert_true(p.enable_snp);
	assert_int_equal(p.zero_base, RMP_BASE_64G);
	assert_int_equal(p.zero_size, RMP_SIZE_512G); /* bookkeeping + entries */
	assert_int_equal(p.need_mfdm, 3);
	assert_int_equal(p.need_snp_en, 4);
	assert_int_equal(p.need_hsave, 2);
	assert_true(p.clear_hsave);
	expect_steps(&p, order, ARRAY_SIZE(order));
	/* no HSAVE_PA set anywhere: that step is left out */
	cpus[1].hsave_pa = cpus[3].hsave_pa = 0;
	assert_int_equal(snp_hw_plan_make(&f, &p), 0);
	assert_false(p.clear_hsave);
	{
		static const enum snp_hw_prep_step o2[] = {SNP_HW_PREP_ZERO_RMP, SNP_HW_PREP_WBINVD,
							   SNP_HW_PREP_MFDM, SNP_HW_PREP_SNP_EN,
							   SNP_HW_PREP_WBINVD_INIT};

		expect_steps(&p, o2, ARRAY_SIZE(o2));
	}
}

/* A listed CPU that did not start (or smp = off): ap_startup, named. */
static void test_ap_not_started(void **state)
{
	struct snp_hw_facts f;
	struct snp_hw_plan p;

	(void)state;
	milan_cpus(&f, SYSCFG_FRESH);
	cpus[2].up = false;
	expect_only(&f, SNP_HW_R_AP_STARTUP, -ENODEV);
	assert_int_equal(snp_hw_plan_make(&f, &p), -ENODEV);
	assert_int_equal(p.bad_apic_id, 4);
	assert_false(p.enable_snp);
	/* also when SNP is already enabled: SNP_INIT checks HSAVE_PA everywhere */
	milan_cpus(&f, SYSCFG_MILAN);
	cpus[3].up = false;
	expect_only(&f, SNP_HW_R_AP_STARTUP, -ENODEV);
	/* no MADT: the set of CPUs is unknown */
	milan_cpus(&f, SYSCFG_FRESH);
	f.cpus_known = false;
	f.ncpus = 1;
	expect_only(&f, SNP_HW_R_AP_STARTUP, -ENODEV);
}

static void test_cpu_mismatch(void **state)
{
	struct snp_hw_facts f;
	struct snp_hw_plan p;

	(void)state;
	milan_cpus(&f, SYSCFG_FRESH);
	cpus[3].rmp_end += MiB(1);
	expect_only(&f, SNP_HW_R_CPU_MISMATCH, -ENODEV);
	assert_int_equal(snp_hw_plan_make(&f, &p), -ENODEV);
	assert_int_equal(p.bad_apic_id, 6);
	milan_cpus(&f, SYSCFG_FRESH);
	cpus[1].rmp_base = 0;
	expect_only(&f, SNP_HW_R_CPU_MISMATCH, -ENODEV);
	/* SNP_EN on some CPUs only: a partial state, not fixed up */
	milan_cpus(&f, SYSCFG_FRESH);
	cpus[2].syscfg |= MSR_AMD64_SYSCFG_SNP_EN | MSR_AMD64_SYSCFG_SNP_VMPL_EN;
	expect_only(&f, SNP_HW_R_CPU_MISMATCH, -ENODEV);
	milan_cpus(&f, SYSCFG_MILAN);
	cpus[1].syscfg = SYSCFG_FRESH; /* also lacks VMPL_EN: both named */
	assert_int_equal(snp_hw_plan_make(&f, &p), -ENODEV);
	assert_int_equal(p.refused, BIT(SNP_HW_R_VMPL_EN) | BIT(SNP_HW_R_CPU_MISMATCH));
	assert_int_equal(p.bad_apic_id, 2);
	/* MEM_ENCRYPT off on one AP */
	milan_cpus(&f, SYSCFG_FRESH);
	cpus[3].syscfg &= ~MSR_AMD64_SYSCFG_MEM_ENCRYPT;
	expect_only(&f, SNP_HW_R_MEM_ENCRYPT, -ENODEV);
}

/* SNP_EN already set on every CPU (Linux: kexec): nothing to enable, the
 * RMP is not zeroed; VMPL_EN missing on one CPU is refused. */
static void test_already_enabled(void **state)
{
	static const enum snp_hw_prep_step order[] = {SNP_HW_PREP_HSAVE, SNP_HW_PREP_WBINVD_INIT};
	struct snp_hw_facts f;
	struct snp_hw_plan p;

	(void)state;
	milan_cpus(&f, SYSCFG_MILAN);
	cpus[0].hsave_pa = f.hsave_pa = 0x1000;
	assert_int_equal(snp_hw_plan_make(&f, &p), 0);
	assert_false(p.enable_snp);
	assert_int_equal(p.zero_size, 0);
	assert_int_equal(p.need_snp_en, 0);
	assert_int_equal(p.need_hsave, 1);
	expect_steps(&p, order, ARRAY_SIZE(order));
	milan_cpus(&f, SYSCFG_MILAN);
	cpus[2].syscfg &= ~MSR_AMD64_SYSCFG_SNP_VMPL_EN;
	expect_only(&f, SNP_HW_R_VMPL_EN, -ENODEV);
}

/* The per-CPU decision on its own. */
static void test_cpu_write(void **state)
{
	u64 v;

	(void)state;
	assert_true(snp_hw_cpu_write(SNP_HW_PREP_MFDM, SYSCFG_FRESH, &v));
	assert_int_equal(v, SYSCFG_FRESH | MSR_AMD64_SYSCFG_MFDM);
	assert_false(snp_hw_cpu_write(SNP_HW_PREP_MFDM, SYSCFG_FRESH | MSR_AMD64_SYSCFG_MFDM, &v));
	assert_true(snp_hw_cpu_write(SNP_HW_PREP_SNP_EN, SYSCFG_FRESH, &v));
	assert_int_equal(v, SYSCFG_FRESH | MSR_AMD64_SYSCFG_SNP_EN | MSR_AMD64_SYSCFG_SNP_VMPL_EN);
	assert_true(
	    snp_hw_cpu_write(SNP_HW_PREP_SNP_EN, SYSCFG_FRESH | MSR_AMD64_SYSCFG_SNP_EN, &v));
	assert_int_equal(v, SYSCFG_FRESH | MSR_AMD64_SYSCFG_SNP_EN | MSR_AMD64_SYSCFG_SNP_VMPL_EN);
	assert_false(snp_hw_cpu_write(SNP_HW_PREP_SNP_EN, SYSCFG_MILAN, &v));
	assert_true(snp_hw_cpu_write(SNP_HW_PREP_HSAVE, 0x12345000, &v));
	assert_int_equal(v, 0);
	assert_false(snp_hw_cpu_write(SNP_HW_PREP_HSAVE, 0, &v));
	assert_false(snp_hw_cpu_write(SNP_HW_PREP_WBINVD, SYSCFG_FRESH, &v));
	assert_int_equal(v, SYSCFG_FRESH);
	assert_false(snp_hw_cpu_write(SNP_HW_PREP_ZERO_RMP, 0, &v));
	assert_string_equal(snp_hw_prep_name(SNP_HW_PREP_MFDM), "SYSCFG.MFDM on every CPU");
	assert_string_equal(snp_hw_prep_name(SNP_HW_PREP_COUNT), "?");
}

static void test_cpus_ready(void **state)
{
	struct snp_hw_facts f;
	unsigned bad = 99;

	(void)state;
	milan_cpus(&f, SYSCFG_MILAN);
	assert_true(snp_hw_cpus_ready(cpus, 4, &bad));
	assert_int_equal(bad, 99);
	cpus[2].syscfg &= ~MSR_AMD64_SYSCFG_MFDM;
	assert_false(snp_hw_cpus_ready(cpus, 4, &bad));
	assert_int_equal(bad, 2);
	milan_cpus(&f, SYSCFG_MILAN);
	cpus[3].hsave_pa = 0x1000;
	assert_false(snp_hw_cpus_ready(cpus, 4, &bad));
	assert_int_equal(bad, 3);
	milan_cpus(&f, SYSCFG_MILAN);
	cpus[1].up = false;
	assert_false(snp_hw_cpus_ready(cpus, 4, &bad));
	assert_int_equal(bad, 1);
	milan_cpus(&f, SYSCFG_FRESH);
	assert_false(snp_hw_cpus_ready(cpus, 4, &bad));
	assert_int_equal(bad, 0);
	assert_false(snp_hw_cpus_ready(cpus, 0, NULL));
}

static void test_segmented_rmp(void **state)
{
	struct snp_hw_facts f;
	struct snp_hw_plan p;

	(void)state;
	milan(&f);
	f.sev_eax |= CPUID_SEV_EAX_SEGMENTED_RMP;
	f.rmp_cfg = MSR_AMD64_SEG_RMP_ENABLED;
	expect_only(&f, SNP_HW_R_RMP_SEGMENTED, -EOPNOTSUPP);
	/* supported but not enabled: contiguous table, fine */
	f.rmp_cfg = 0;
	assert_int_equal(snp_hw_plan_make(&f, &p), 0);
	/* RMP_CFG set but CPUID does not report the feature: ignored */
	f.sev_eax &= ~CPUID_SEV_EAX_SEGMENTED_RMP;
	f.rmp_cfg = MSR_AMD64_SEG_RMP_ENABLED;
	assert_int_equal(snp_hw_plan_make(&f, &p), 0);
}

static void test_rmp_unset(void **state)
{
	struct snp_hw_facts f;

	(void)state;
	milan(&f);
	f.rmp_base = 0;
	f.rmp_end = 0;
	expect_only(&f, SNP_HW_R_RMP_UNSET, -ENODEV);
	milan(&f);
	f.rmp_end = 0x1FFF; /* below bit 13 only */
	expect_only(&f, SNP_HW_R_RMP_UNSET, -ENODEV);
	milan(&f);
	f.msrs_valid = false; /* SNP reported but the MSRs were not read */
	expect_only(&f, SNP_HW_R_RMP_UNSET, -ENODEV);
}

static void test_rmp_layout(void **state)
{
	struct snp_hw_facts f;

	(void)state;
	milan(&f);
	f.rmp_base |= 0x1000; /* bit 12: below the address field */
	expect_only(&f, SNP_HW_R_RMP_LAYOUT, -ENODEV);
	milan(&f);
	f.rmp_base |= BIT(52);
	expect_only(&f, SNP_HW_R_RMP_LAYOUT, -ENODEV);
	milan(&f);
	f.rmp_end = f.rmp_base - 1; /* end below base */
	expect_only(&f, SNP_HW_R_RMP_LAYOUT, -ENODEV);
	milan(&f);
	f.rmp_end -= 0x1000; /* end + 1 not 8K aligned */
	expect_only(&f, SNP_HW_R_RMP_LAYOUT, -ENODEV);
	milan(&f);
	f.rmp_end = f.rmp_base + RMP_BOOKKEEPING_SIZE - 1; /* no entries */
	expect_only(&f, SNP_HW_R_RMP_LAYOUT, -ENODEV);
}

static void test_rmp_coverage(void **state)
{
	struct snp_hw_facts f;

	(void)state;
	/* RAM beyond the table's reach (BIOS "custom" coverage too small) */
	milan(&f);
	f.mem_end = 1ULL << 40;
	expect_only(&f, SNP_HW_R_RMP_COVERAGE, -ENODEV);
	/* a table covering 64 GiB of a 256 GiB machine */
	milan(&f);
	f.rmp_base = MiB(64);
	f.rmp_end = MiB(64) + ((64ULL << 30) >> 12 << 4) + MiB(1) - 1;
	expect_only(&f, SNP_HW_R_RMP_COVERAGE, -ENODEV);
	/* covers RAM but not itself */
	milan(&f);
	f.mem_end = MiB(512);
	f.rmp_base = 0x100000000000ULL; /* 16 TiB */
	f.rmp_end = f.rmp_base + ((1ULL << 40) >> 12 << 4) + MiB(1) - 1;
	expect_only(&f, SNP_HW_R_RMP_COVERAGE, -ENODEV);
}

static void test_iommu(void **state)
{
	struct snp_hw_facts f;

	(void)state;
	milan(&f);
	f.iommu_err = -ENODEV;
	f.iommu_up = false;
	f.iommu_efr = 0;
	expect_only(&f, SNP_HW_R_IOMMU_OFF, -ENODEV);
	milan(&f);
	f.iommu_up = false; /* no error but not up: same */
	expect_only(&f, SNP_HW_R_IOMMU_OFF, -ENODEV);
	milan(&f);
	f.iommu_passthrough = true;
	expect_only(&f, SNP_HW_R_IOMMU_PASSTHROUGH, -ENODEV);
	milan(&f);
	f.iommu_efr &= ~AMD_IOMMU_EFR_SNP_SUP;
	expect_only(&f, SNP_HW_R_IOMMU_NO_SNP, -ENODEV);
	milan(&f);
	f.iommu_count = 4; /* Genoa: one per IOHC, only the first driven */
	expect_only(&f, SNP_HW_R_IOMMU_PARTIAL, -EOPNOTSUPP);
}

static void test_no_pci(void **state)
{
	struct snp_hw_facts f;
	struct snp_hw_plan p;

	(void)state;
	milan(&f);
	f.pci_err = -ENODEV;
	assert_int_equal(snp_hw_plan_make(&f, &p), -ENODEV);
	assert_int_equal(p.refused, BIT(SNP_HW_R_NO_PCI) | BIT(SNP_HW_R_NO_PSP));
	milan(&f);
	f.npci = 0;
	assert_int_equal(snp_hw_plan_make(&f, &p), -ENODEV);
	assert_int_equal(p.first, SNP_HW_R_NO_PCI);
}

static void test_no_psp(void **state)
{
	struct snp_hw_facts f;

	(void)state;
	milan(&f);
	f.npci = 3; /* without the PSP */
	expect_only(&f, SNP_HW_R_NO_PSP, -ENODEV);
	/* a client PSP without SEV mailbox (Linux: no .sev vdata) */
	milan(&f);
	devs[3].device = 0x15DF;
	expect_only(&f, SNP_HW_R_NO_PSP, -ENODEV);
	/* the right id on another vendor is not a PSP */
	milan(&f);
	devs[3].vendor = 0x1234;
	expect_only(&f, SNP_HW_R_NO_PSP, -ENODEV);
	/* a bridge header with a PSP id is not a PSP */
	milan(&f);
	devs[3].hdr_type = PCI_HEADER_TYPE_BRIDGE;
	expect_only(&f, SNP_HW_R_NO_PSP, -ENODEV);
}

static void test_psp_bar(void **state)
{
	struct snp_hw_facts f;

	(void)state;
	milan(&f);
	devs[3].bars[0].index = 0; /* the mailbox BAR is not BAR2 */
	expect_only(&f, SNP_HW_R_PSP_BAR, -ENODEV);
	milan(&f);
	devs[3].bars[0].kind = PCI_BAR_IO;
	expect_only(&f, SNP_HW_R_PSP_BAR, -ENODEV);
	milan(&f);
	devs[3].bars[0].addr = 0; /* unassigned */
	expect_only(&f, SNP_HW_R_PSP_BAR, -ENODEV);
	milan(&f);
	devs[3].bars[0].size = 0x10000; /* smaller than 0x109e4 + 4 (v2) */
	expect_only(&f, SNP_HW_R_PSP_BAR, -ENODEV);
	milan(&f);
	devs[3].bars[0].size = 0x109e8; /* exactly the v2 registers: enough, mapped 4K-rounded */
	{
		struct snp_hw_plan p;

		assert_int_equal(snp_hw_plan_make(&f, &p), 0);
		assert_int_equal(p.map_size, 0x11000);
	}
	milan(&f);
	devs[3].bars[0].kind = PCI_BAR_MEM64;
	devs[3].bars[0].addr = ~0ULL - 0xFFFFF; /* wraps */
	devs[3].bars[0].size = MiB(2);
	expect_only(&f, SNP_HW_R_PSP_BAR, -ENODEV);
}

static void test_refusal_texts(void **state)
{
	(void)state;
	for (int r = 0; r < SNP_HW_R_COUNT; r++) {
		assert_non_null(snp_hw_refusal_name(r));
		assert_true(strlen(snp_hw_refusal_fact(r)) > 10);
		assert_true(strlen(snp_hw_refusal_todo(r)) > 10);
		assert_string_not_equal(snp_hw_refusal_name(r), "none");
		for (int q = 0; q < r; q++)
			assert_string_not_equal(snp_hw_refusal_name(r), snp_hw_refusal_name(q));
	}
	assert_string_equal(snp_hw_refusal_name(-1), "none");
	assert_string_equal(snp_hw_refusal_name(SNP_HW_R_COUNT), "none");
	assert_non_null(strstr(snp_hw_refusal_fact(SNP_HW_R_NO_PSP), "no PSP PCI device found"));
}

static void test_null_args(void **state)
{
	struct snp_hw_facts f;
	struct snp_hw_plan p;
	struct sev_snp_platform_status st = {0};
	struct snp_hw_fw_plan fp;

	(void)state;
	milan(&f);
	assert_int_equal(snp_hw_plan_make(NULL, &p), -EINVAL);
	assert_int_equal(snp_hw_plan_make(&f, NULL), -EINVAL);
	assert_int_equal(snp_hw_plan_firmware(NULL, &fp), -EINVAL);
	assert_int_equal(snp_hw_plan_firmware(&st, NULL), -EINVAL);
}

static struct sev_snp_platform_status status(u8 major, u8 minor, u8 state, u32 guests)
{
	struct sev_snp_platform_status st;

	memset(&st, 0, sizeof(st));
	st.api_major = major;
	st.api_minor = minor;
	st.state = state;
	st.guest_count = guests;
	return st;
}

static void test_firmware_plan(void **state)
{
	struct sev_snp_platform_status st;
	struct snp_hw_fw_plan fp;

	(void)state;
	/* Genoa firmware 1.55: SNP_INIT_EX with INIT_RMP */
	st = status(1, 55, SNP_PSTATE_UNINIT, 0);
	assert_int_equal(snp_hw_plan_firmware(&st, &fp), 0);
	assert_int_equal(fp.init_cmd, SEV_CMD_SNP_INIT_EX);
	assert_int_equal(fp.init_ex_flags, SNP_INIT_EX_INIT_RMP);
	assert_true(fp.wbinvd);
	assert_true(fp.df_flush);
	assert_null(fp.why);
	st = status(1, 52, SNP_PSTATE_UNINIT, 0);
	assert_int_equal(snp_hw_plan_firmware(&st, &fp), 0);
	assert_int_equal(fp.init_cmd, SEV_CMD_SNP_INIT_EX);
	st = status(2, 0, SNP_PSTATE_UNINIT, 0);
	assert_int_equal(snp_hw_plan_firmware(&st, &fp), 0);
	assert_int_equal(fp.init_cmd, SEV_CMD_SNP_INIT_EX);
	/* 1.51: plain SNP_INIT (no buffer) */
	st = status(1, 51, SNP_PSTATE_UNINIT, 0);
	assert_int_equal(snp_hw_plan_firmware(&st, &fp), 0);
	assert_int_equal(fp.init_cmd, SEV_CMD_SNP_INIT);
	assert_int_equal(fp.init_ex_flags, 0);
	assert_true(fp.df_flush);
	/* too old */
	st = status(1, 50, SNP_PSTATE_UNINIT, 0);
	assert_int_equal(snp_hw_plan_firmware(&st, &fp), -EOPNOTSUPP);
	assert_non_null(fp.why);
	st = status(0, 99, SNP_PSTATE_UNINIT, 0);
	assert_int_equal(snp_hw_plan_firmware(&st, &fp), -EOPNOTSUPP);
	/* already INIT by a previous stage, no guests: no init, still flush */
	st = status(1, 55, SNP_PSTATE_INIT, 0);
	assert_int_equal(snp_hw_plan_firmware(&st, &fp), 0);
	assert_int_equal(fp.init_cmd, 0);
	assert_true(fp.df_flush);
	/* already INIT with guests: refused */
	st = status(1, 55, SNP_PSTATE_INIT, 3);
	assert_int_equal(snp_hw_plan_firmware(&st, &fp), -EBUSY);
	assert_non_null(fp.why);
	/* unknown state */
	st = status(1, 55, 7, 0);
	assert_int_equal(snp_hw_plan_firmware(&st, &fp), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_milan_goes),	    cmocka_unit_test(test_genoa_two_sockets),
	    cmocka_unit_test(test_sev_v1_psp),	    cmocka_unit_test(test_qemu_garbage_leaf),
	    cmocka_unit_test(test_no_leaf),	    cmocka_unit_test(test_snp_bit_clear),
	    cmocka_unit_test(test_syscfg_bits),	    cmocka_unit_test(test_fresh_boot_lists_all),
	    cmocka_unit_test(test_segmented_rmp),   cmocka_unit_test(test_rmp_unset),
	    cmocka_unit_test(test_rmp_layout),	    cmocka_unit_test(test_rmp_coverage),
	    cmocka_unit_test(test_iommu),	    cmocka_unit_test(test_no_pci),
	    cmocka_unit_test(test_no_psp),	    cmocka_unit_test(test_psp_bar),
	    cmocka_unit_test(test_refusal_texts),   cmocka_unit_test(test_null_args),
	    cmocka_unit_test(test_firmware_plan),   cmocka_unit_test(test_fresh_boot_all_cpus),
	    cmocka_unit_test(test_ap_not_started),  cmocka_unit_test(test_cpu_mismatch),
	    cmocka_unit_test(test_already_enabled), cmocka_unit_test(test_cpu_write),
	    cmocka_unit_test(test_cpus_ready),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
