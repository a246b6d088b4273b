/* The boot VMSA of an SEV-ES/SNP guest (hv/svm/vmsa.h): the register state
 * docs/guest-abi.md promises, in the save-area layout of APM vol 2, table
 * B-4. Must stay equal, field for field, to hv/svm/vcpu.c vmcb_init() plus
 * vcpu_init()'s RBX and FPU reset (tests/unit/test_vmsa.c compares them). */
#include "hv/svm/vmsa.h"

#include <string.h>

static void seg(struct vmcb_seg *s, u16 sel, u16 attrib, u32 limit)
{
	s->selector = sel;
	s->attrib = attrib;
	s->limit = limit;
	s->base = 0;
}

void vmsa_build_boot(struct sev_es_save_area *v, u64 entry_gpa, u64 boot_params_gpa,
		     u64 sev_features)
{
	memset(v, 0, sizeof(*v));
	seg(&v->cs, VMSA_BOOT_CS, VMSA_SEG_CODE32, 0xffffffff);
	seg(&v->ds, VMSA_BOOT_DS, VMSA_SEG_DATA32, 0xffffffff);
	seg(&v->es, VMSA_BOOT_DS, VMSA_SEG_DATA32, 0xffffffff);
	seg(&v->ss, VMSA_BOOT_DS, VMSA_SEG_DATA32, 0xffffffff);
	seg(&v->fs, VMSA_BOOT_DS, VMSA_SEG_DATA32, 0xffffffff);
	seg(&v->gs, VMSA_BOOT_DS, VMSA_SEG_DATA32, 0xffffffff);
	seg(&v->gdtr, 0, 0, 0);
	seg(&v->idtr, 0, 0, 0);
	seg(&v->ldtr, 0, VMSA_SEG_LDT, 0xffff);
	seg(&v->tr, 0, VMSA_SEG_TSS32_BUSY, 0xffff);
	v->vmpl = 0;
	v->cpl = 0;
	v->efer = EFER_SVME; /* VMRUN's consistency check; see docs/measure.md */
	v->cr0 = VMSA_CR0_BOOT;
	v->dr6 = VMSA_DR6_INIT;
	v->dr7 = VMSA_DR7_INIT;
	v->rflags = VMSA_RFLAGS_INIT;
	v->rip = entry_gpa;
	v->rbx = boot_params_gpa;
	v->g_pat = VMSA_PAT_INIT;
	v->sev_features = sev_features;
	v->xcr0 = VMSA_XCR0_INIT;
	v->mxcsr = VMSA_MXCSR_INIT;
	v->x87_fcw = VMSA_FCW_INIT;
}

void vmsa_page_build_boot(void *page, u64 entry_gpa, u64 boot_params_gpa, u64 sev_features)
{
	memset(page, 0, PAGE_SIZE);
	vmsa_build_boot(page, entry_gpa, boot_params_gpa, sev_features);
}

/* Long-mode paging entries (APM vol 2, 5.3.3) */
#define BOOT_PTE_P  BIT(0)
#define BOOT_PTE_RW BIT(1)
#define BOOT_PTE_PS BIT(7)

void snp_boot_tables_build(void *tables, unsigned cbit)
{
	u64 *t = tables, *pml4 = t, *pdpt = t + 512, *pd = t + 1024;
	u64 c = cbit >= SNP_CBIT_MIN && cbit <= SNP_CBIT_MAX ? BIT(cbit) : 0;

	memset(tables, 0, SNP_BOOT_PT_PAGES * PAGE_SIZE);
	pml4[0] = (SNP_BOOT_PT_GPA + PAGE_SIZE) | c | BOOT_PTE_P | BOOT_PTE_RW;
	for (u64 i = 0; i < 4; i++)
		pdpt[i] = (SNP_BOOT_PT_GPA + (2 + i) * PAGE_SIZE) | c | BOOT_PTE_P | BOOT_PTE_RW;
	for (u64 i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | c | BOOT_PTE_P | BOOT_PTE_RW | BOOT_PTE_PS;
}

void vmsa_build_boot64(struct sev_es_save_area *v, u64 rip, u64 boot_params_gpa, u64 cr3,
		       u64 sev_features)
{
	vmsa_build_boot(v, rip, boot_params_gpa, sev_features);
	seg(&v->cs, VMSA_BOOT_CS, VMSA_SEG_CODE64, 0xffffffff);
	v->efer = VMSA_EFER_BOOT64;
	v->cr0 = VMSA_CR0_BOOT64;
	v->cr3 = cr3;
	v->cr4 = VMSA_CR4_BOOT64;
}

void vmsa_page_build_boot64(void *page, u64 entry_gpa, u64 boot_params_gpa, u64 sev_features)
{
	memset(page, 0, PAGE_SIZE);
	vmsa_build_boot64(page, entry_gpa + SNP_ENTRY64_OFFSET, boot_params_gpa, SNP_BOOT_PT_GPA,
			  sev_features);
}
