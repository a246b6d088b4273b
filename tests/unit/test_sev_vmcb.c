/* Unit tests of hv/svm/sev_vmcb.c: ASID pools from CPUID facts, the SEV-ES/SNP
 * VMCB, the model of VMRUN's SEV-ES/SNP checks against a VMSA launched
 * through the real PSP driver and the SNP firmware model (one violation at a
 * time, each reported by name), automatic exits and the SNP #NPF decode. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/base/mem.h"
#include "hv/svm/vcpu.h"
#include "snp/launch.h"
#include "snp/psp.h"
#include "snp/psp_model.h"
#include "snp/rmp.h"
#include "snp/sev_fw.h"
#include "hv/svm/sev_vmcb.h"
#include "hv/svm/vmsa.h"
#include "hv/arch/host/host_env.h"
#include "tests/unit/snp_env.h"

/* 56421 2.3.1.1: max 2, min 1, C-bit 51, SEV information response (0x001) */
#define SEV_INFO 0x0002000133000001ULL

/* ---- ASIDs ---- */

static void test_asid_layout(void **state)
{
	struct sev_asid_layout l;

	(void)state;
	/* Milan-like: 32768 ASIDs, SEV 100..509, so SEV-ES/SNP 1..99 */
	assert_int_equal(sev_asid_layout(32768, true, 509, 100, &l), 0);
	assert_int_equal(l.es_first, 1);
	assert_int_equal(l.es_last, 99);
	assert_int_equal(l.plain_first, 510);
	assert_int_equal(l.plain_last, 32767);
	/* no SEV leaf (QEMU): everything for plain guests, no ES pool */
	assert_int_equal(sev_asid_layout(16, false, 0, 0, &l), 0);
	assert_int_equal(l.es_first, 0);
	assert_int_equal(l.plain_first, 1);
	assert_int_equal(l.plain_last, 15);
	/* BIOS left no SEV-ES ASIDs (min SEV ASID 1) */
	assert_int_equal(sev_asid_layout(32768, true, 509, 1, &l), 0);
	assert_int_equal(l.es_first, 0);
	assert_int_equal(l.plain_first, 510);
	/* SEV range reaches the top: no plain ASIDs */
	assert_int_equal(sev_asid_layout(16, true, 15, 8, &l), 0);
	assert_int_equal(l.es_last, 7);
	assert_int_equal(l.plain_first, 0);
	/* inconsistent facts */
	assert_int_equal(sev_asid_layout(16, true, 0, 1, &l), -EINVAL);
	assert_int_equal(sev_asid_layout(16, true, 5, 8, &l), -EINVAL);
	assert_int_equal(sev_asid_layout(1, false, 0, 0, &l), -EINVAL);
}

static void test_asid_space(void **state)
{
	static struct asid_space s;
	u32 a, b, c, p;

	(void)state;
	memset(&s, 0, sizeof(s));
	a = asid_space_alloc(&s, 1, 2);
	b = asid_space_alloc(&s, 1, 2);
	c = asid_space_alloc(&s, 1, 2);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	assert_int_equal(c, 0); /* pool exhausted */
	p = asid_space_alloc(&s, 510, 32767);
	assert_int_equal(p, 510); /* the other pool is independent */
	assert_true(asid_space_used(&s, 510));
	asid_space_free(&s, 1);
	assert_false(asid_space_used(&s, 1));
	assert_int_equal(asid_space_alloc(&s, 1, 2), 1);
	assert_int_equal(asid_space_alloc(&s, 0, 5), 0);     /* empty pool */
	assert_int_equal(asid_space_alloc(&s, 1, 40000), 0); /* beyond the space */
	asid_space_free(&s, 0);				     /* harmless */
	assert_int_equal(asid_space_alloc(&s, 32767, 32767), 32767);
}

/* ---- a launched VMSA on the firmware model ---- */

#define GCTX	 (WIN_BASE + 0x101000)
#define VMCB_PA	 (WIN_BASE + 0x102000)
#define HSAVE_PA (WIN_BASE + 0x103000)
#define NCR3	 (WIN_BASE + 0x104000)
#define VMSA_PA	 (WIN_BASE + 0x205000) /* not 2M-aligned (erratum) */
#define ASID	 5
#define MIN_SEV	 10 /* SEV-ES/SNP ASIDs 1..9 */
#define POLICY	 (SNP_POLICY_RSVD_MBO | SNP_POLICY_SMT)

static u8 *win;
static struct rmp rmp;
static struct psp_model model;
static struct psp psp;
static struct snp_launch L;
static struct vmcb vmcb;
static struct sev_vmrun_ctx ctx;

static int setup(void **state)
{
	static u64 page[PAGE_SIZE / 8];

	(void)state;
	if (snp_env_setup(&win, 0, &rmp, &model, &psp))
		return -1;
	/* the launch snpvisor does for a guest's vCPU (hv/vm/guest_gmem.c) */
	vmsa_page_build_boot64(page, 0x10000, 0x1000, SVM_SEV_FEAT_SNP_ACTIVE);
	if (snp_launch_begin(&L, &psp, &rmp, spa(GCTX), ASID, POLICY) ||
	    snp_launch_vmsa(&L, spa(VMSA_PA), page) || snp_launch_finish(&L, (const u8[32]){0}))
		return -1;
	sev_vmcb_prepare(&vmcb, &(struct sev_vmcb_params){.asid = ASID,
							  .nested_cr3 = NCR3,
							  .iopm_pa = WIN_BASE + 0x110000,
							  .msrpm_pa = WIN_BASE + 0x114000,
							  .vmsa_pa = VMSA_PA,
							  .ghcb_msr = SEV_INFO});
	ctx = (struct sev_vmrun_ctx){
	    .vmcb = &vmcb,
	    .vmcb_pa = VMCB_PA,
	    .hsave_pa = HSAVE_PA,
	    .nr_asids = 16,
	    .min_sev_asid = MIN_SEV,
	    .ram_end = COVERED,
	    .snp = true,
	    .syscfg = MSR_AMD64_SYSCFG_MEM_ENCRYPT | MSR_AMD64_SYSCFG_SNP_EN |
		      MSR_AMD64_SYSCFG_SNP_VMPL_EN,
	    .rmp = &rmp,
	};
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	snp_env_teardown(&win);
	return 0;
}

static void test_prepare(void **state)
{
	const struct vmcb_control_area *c = &vmcb.control;
	static const u8 zero[sizeof(vmcb.save)];
	const unsigned *bits;
	unsigned n, i;

	(void)state;
	assert_int_equal(c->nested_ctl, SVM_NESTED_CTL_NP_ENABLE | SVM_NESTED_CTL_SEV_ENABLE |
					    SVM_NESTED_CTL_SEV_ES_ENABLE);
	assert_int_equal(c->nested_ctl, 0x7); /* bits 0, 1, 2 (APM vol 2, B-1 offset 0x90) */
	assert_int_equal(c->vmsa_pa, VMSA_PA);
	assert_int_equal(*(const u64 *)((const u8 *)&vmcb + 0x108), VMSA_PA);
	assert_int_equal(c->asid, ASID);
	assert_int_equal(c->nested_cr3, NCR3);
	assert_int_equal(c->ghcb_gpa, SEV_INFO); /* the GHCB MSR at the first VMRUN */
	assert_int_equal(c->clean, 0);
	assert_int_equal(c->tlb_ctl, TLB_CONTROL_FLUSH_ALL_ASID);
	assert_true(c->int_ctl & V_INTR_MASKING_MASK);
	/* no guest register state in the VMCB: the save area is all zero */
	assert_memory_equal(&vmcb.save, zero, sizeof(zero));
	bits = sev_vmcb_intercepts_on(&n);
	for (i = 0; i < n; i++)
		assert_true(vmcb_is_intercept(c, bits[i]));
	assert_true(vmcb_is_intercept(c, INTERCEPT_VMRUN));
	assert_true(vmcb_is_intercept(c, TRAP_EFER_WRITE));
	assert_true(vmcb_is_intercept(c, TRAP_CR4_WRITE));
	/* word 4 bit 15 = EFER write trap, bit 16 = CR0 write trap */
	assert_true(c->intercepts[4] & (1u << 15));
	assert_true(c->intercepts[4] & (1u << 16));
	bits = sev_vmcb_intercepts_off(&n);
	for (i = 0; i < n; i++)
		assert_false(vmcb_is_intercept(c, bits[i]));
	assert_int_equal(c->intercepts[0], 0); /* no CR read/write intercepts */
	assert_int_equal(c->intercepts[1], (1u << 7) | (1u << 23)); /* DR7 read/write only */
	assert_false(vmcb_is_intercept(c, INTERCEPT_XSETBV));
}

static enum sev_vmrun_fault check(void)
{
	return sev_vmrun_check(&ctx);
}

static void set_vmsa_entry(void (*change)(struct rmp_info *))
{
	struct rmp_info info;

	assert_int_equal(rmp_lookup(&rmp, spa(VMSA_PA), &info, NULL), 0);
	change(&info);
	assert_int_equal(rmp_model_fw_write(&rmp, spa(VMSA_PA), &info), 0);
}

static void unvalidate(struct rmp_info *i)
{
	i->validated = false;
}
static void other_asid(struct rmp_info *i)
{
	i->asid = ASID + 1;
}
static void unassign(struct rmp_info *i)
{
	memset(i, 0, sizeof(*i));
}

/* Each rule broken alone is reported by its name; the launched set-up passes. */
static void test_vmrun_checks(void **state)
{
	struct vmcb saved;
	struct rmp_info info;

	(void)state;
	/* the firmware model left the VMSA page as VMRUN wants it */
	assert_int_equal(rmp_lookup(&rmp, spa(VMSA_PA), &info, NULL), 0);
	assert_true(info.assigned && info.validated && info.vmsa);
	assert_int_equal(info.asid, ASID);
	assert_int_equal(check(), SEV_VMRUN_OK);
	assert_string_equal(sev_vmrun_fault_name(check()), "ok");
	saved = vmcb;

#define EXPECT(what, f)                                                                            \
	do {                                                                                       \
		what;                                                                              \
		assert_int_equal(check(), f);                                                      \
		vmcb = saved;                                                                      \
		assert_int_equal(check(), SEV_VMRUN_OK);                                           \
	} while (0)

	EXPECT(vmcb_clr_intercept(&vmcb.control, INTERCEPT_VMRUN), SEV_VMRUN_NO_VMRUN_INTERCEPT);
	EXPECT(vmcb.control.asid = 0, SEV_VMRUN_ASID_ZERO);
	EXPECT(vmcb.control.asid = 16, SEV_VMRUN_ASID_RANGE);
	EXPECT(vmcb.control.nested_ctl &= ~SVM_NESTED_CTL_NP_ENABLE, SEV_VMRUN_NP_DISABLED);
	EXPECT(vmcb.control.nested_ctl &= ~SVM_NESTED_CTL_SEV_ENABLE, SEV_VMRUN_SEV_DISABLED);
	EXPECT(vmcb.control.nested_ctl &= ~SVM_NESTED_CTL_SEV_ES_ENABLE, SEV_VMRUN_ES_DISABLED);
	EXPECT(vmcb.control.asid = MIN_SEV, SEV_VMRUN_ASID_NOT_SEV_ES); /* a plain SEV ASID */
	EXPECT(vmcb.control.nested_cr3 = 0, SEV_VMRUN_NCR3_BAD);
	EXPECT(vmcb.control.nested_cr3 = NCR3 + 8, SEV_VMRUN_NCR3_BAD);
	EXPECT(vmcb.control.vmsa_pa = 0, SEV_VMRUN_VMSA_UNALIGNED);
	EXPECT(vmcb.control.vmsa_pa = VMSA_PA + 0x10, SEV_VMRUN_VMSA_UNALIGNED);
	EXPECT(vmcb.control.vmsa_pa = COVERED, SEV_VMRUN_VMSA_OUTSIDE_RAM);
	EXPECT(vmcb.control.vmsa_pa = VMCB_PA, SEV_VMRUN_VMSA_ALIAS);
	EXPECT(vmcb.control.vmsa_pa = HSAVE_PA, SEV_VMRUN_VMSA_ALIAS);
	/* a hypervisor page as VMSA: not assigned */
	EXPECT(vmcb.control.vmsa_pa = WIN_BASE + 0x300000, SEV_VMRUN_VMSA_NOT_ASSIGNED);
	ctx.syscfg &= ~MSR_AMD64_SYSCFG_SNP_EN;
	assert_int_equal(check(), SEV_VMRUN_SNP_DISABLED);
	ctx.syscfg |= MSR_AMD64_SYSCFG_SNP_EN;
	ctx.ram_end = COVERED * 2;
	EXPECT(vmcb.control.vmsa_pa = COVERED + 0x5000, SEV_VMRUN_VMSA_NOT_COVERED);
	ctx.ram_end = COVERED;
#undef EXPECT

	/* the RMP entry, one field at a time (as the firmware could leave it) */
	set_vmsa_entry(unvalidate);
	assert_int_equal(check(), SEV_VMRUN_VMSA_NOT_VALIDATED);
	assert_string_equal(sev_vmrun_fault_name(check()), "vmsa_not_validated");
	set_vmsa_entry(unassign);
	assert_int_equal(check(), SEV_VMRUN_VMSA_NOT_ASSIGNED);
	/* a guest page of the right ASID, validated, without the VMSA bit */
	assert_int_equal(
	    rmp_make_private(&rmp, spa(VMSA_PA), ASID, gpa(0x5000), RMP_PG_SIZE_4K, false), 0);
	set_vmsa_entry(unvalidate);
	assert_int_equal(check(), SEV_VMRUN_VMSA_NOT_VALIDATED);
	{
		bool cf;

		assert_int_equal(rmp_model_pvalidate(&rmp, ASID, gpa(0x5000), spa(VMSA_PA),
						     RMP_PG_SIZE_4K, true, &cf),
				 0);
	}
	assert_int_equal(check(), SEV_VMRUN_VMSA_NO_VMSA_BIT);
	set_vmsa_entry(other_asid);
	assert_int_equal(check(), SEV_VMRUN_VMSA_WRONG_ASID);
	/* a 2M guest entry covering the VMSA page */
	assert_int_equal(rmp_make_shared(&rmp, spa(VMSA_PA), RMP_PG_SIZE_4K), 0);
	assert_int_equal(rmp_make_private(&rmp, spa(WIN_BASE + 0x200000), ASID, gpa(0x200000),
					  RMP_PG_SIZE_2M, false),
			 0);
	assert_int_equal(check(), SEV_VMRUN_VMSA_NOT_4K);
	assert_int_equal(rmp_make_shared(&rmp, spa(WIN_BASE + 0x200000), RMP_PG_SIZE_2M), 0);
	/* back to the launched state, then the VMCB page assigned to a guest */
	{
		struct rmp_info i = {.assigned = true,
				     .validated = true,
				     .vmsa = true,
				     .asid = ASID,
				     .gpa = gpa(SNP_VMSA_GPA)};

		assert_int_equal(rmp_model_fw_write(&rmp, spa(VMSA_PA), &i), 0);
	}
	assert_int_equal(check(), SEV_VMRUN_OK);
	assert_int_equal(
	    rmp_make_private(&rmp, spa(VMCB_PA), ASID, gpa(0x7000), RMP_PG_SIZE_4K, false), 0);
	assert_int_equal(check(), SEV_VMRUN_VMCB_NOT_HV_OWNED);
	assert_string_equal(sev_vmrun_fault_name(check()), "vmcb_not_hv_owned");
	/* plain SEV-ES (no SNP): the RMP is not consulted */
	ctx.snp = false;
	assert_int_equal(check(), SEV_VMRUN_OK);
}

static void test_msrpm(void **state)
{
	static u8 base[SVM_MSRPM_SIZE], m[SVM_MSRPM_SIZE];
	static struct vmcb v;

	(void)state;
	memset(base, 0xff, sizeof(base)); /* everything intercepted */
	assert_int_equal(sev_es_msrpm_build(m, base), 0);
	assert_false(msrpm_test(m, 0xc0010130, false));
	assert_false(msrpm_test(m, 0xc0010130, true));
	assert_false(msrpm_test(m, 0xc0000080, true));
	assert_false(msrpm_test(m, 0x277, false));
	assert_true(msrpm_test(m, 0xc0010131, false)); /* SEV_STATUS: still #VC */
	assert_true(msrpm_test(m, 0xc0000081, true));
	assert_true(msrpm_test(base, 0xc0010130, true)); /* base untouched */
	/* DR7 read/write stay intercepted in the VMCB (no DebugSwap) */
	sev_vmcb_prepare(&v, &(struct sev_vmcb_params){.asid = 1});
	assert_true(vmcb_is_intercept(&v.control, INTERCEPT_DR0_READ + 7));
	assert_true(vmcb_is_intercept(&v.control, INTERCEPT_DR0_WRITE + 7));
	assert_false(vmcb_is_intercept(&v.control, INTERCEPT_DR0_READ));
}

static void test_exits(void **state)
{
	(void)state;
	assert_true(sev_es_exit_is_automatic(SVM_EXIT_VMGEXIT));
	assert_true(sev_es_exit_is_automatic(SVM_EXIT_NPF));
	assert_true(sev_es_exit_is_automatic(SVM_EXIT_INTR));
	assert_true(sev_es_exit_is_automatic(SVM_EXIT_HLT));
	assert_true(sev_es_exit_is_automatic(SVM_EXIT_EFER_WRITE_TRAP));
	assert_true(sev_es_exit_is_automatic(SVM_EXIT_CR4_WRITE_TRAP));
	assert_true(sev_es_exit_is_automatic(SVM_EXIT_ERR));
	/* non-automatic: #VC in the guest, never a #VMEXIT */
	assert_false(sev_es_exit_is_automatic(SVM_EXIT_CPUID));
	assert_false(sev_es_exit_is_automatic(SVM_EXIT_MSR));
	assert_false(sev_es_exit_is_automatic(SVM_EXIT_IOIO));
	assert_false(sev_es_exit_is_automatic(SVM_EXIT_VMMCALL));
	assert_false(sev_es_exit_is_automatic(SVM_EXIT_EXCP_UD));
	assert_false(sev_es_exit_is_automatic(SVM_EXIT_WRITE_CR0));
}

static void test_npf_decode(void **state)
{
	struct sev_npf f;

	(void)state;
	f = sev_npf_decode(PFERR_GUEST_FINAL_MASK | PFERR_WRITE_MASK, 0x1234000);
	assert_int_equal(f.kind, SEV_NPF_NOT_RMP);
	assert_true(f.npf.write && f.npf.final);
	assert_int_equal(f.npf.gpa, 0x1234000);
	/* bits 31 + 35 (+ 34): PSMASH */
	f = sev_npf_decode(BIT(31) | BIT(34) | BIT(35) | PFERR_GUEST_FINAL_MASK, 0x200000);
	assert_int_equal(f.kind, SEV_NPF_RMP_SIZEM);
	assert_true(f.enc);
	f = sev_npf_decode(BIT(31) | BIT(36), 0);
	assert_int_equal(f.kind, SEV_NPF_RMP_VMPL);
	/* C=1 access to a shared page: an implicit conversion to private */
	f = sev_npf_decode(BIT(31) | BIT(34) | PFERR_WRITE_MASK, 0x5000);
	assert_int_equal(f.kind, SEV_NPF_RMP_PRIVATE_ON_SHARED);
	/* C=0 access to a private page: an implicit conversion to shared */
	f = sev_npf_decode(BIT(31) | PFERR_FETCH_MASK, 0x6000);
	assert_int_equal(f.kind, SEV_NPF_RMP_SHARED_ON_PRIVATE);
	assert_true(f.npf.fetch && !f.enc);
	assert_string_equal(sev_npf_kind_name(SEV_NPF_RMP_SIZEM),
			    "RMP size mismatch (4K access on a 2M entry)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_asid_layout),
	    cmocka_unit_test(test_asid_space),
	    cmocka_unit_test_setup_teardown(test_prepare, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vmrun_checks, setup, teardown),
	    cmocka_unit_test(test_msrpm),
	    cmocka_unit_test(test_exits),
	    cmocka_unit_test(test_npf_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
