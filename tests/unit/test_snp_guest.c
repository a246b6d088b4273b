/* Unit tests of hv/svm/snp_guest.c on a fake guest: instruction decode, the
 * PVALIDATE emulation (through the #UD exit) against the RMP model, the
 * guest page-table walk through pt_lookup_xlate, VMGEXIT through VMMCALL,
 * the GHCB MSR protocol, the PSC NAE flow with a fake psc backend and the
 * MMIO NAE into the I/O APIC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/core/gmem.h"
#include "hv/svm/guest.h"
#include "hv/abi/hypercall.h"
#include "hv/arch/x86/msr.h"
#include "hv/svm/guest_msr.h"
#include "hv/svm/snp_guest.h"
#include "hv/svm/svm.h"
#include "hv/svm/vcpu.h"
#undef MSR_AMD64_SEV_ES_GHCB
#include "snp/ghcb.h"
#include "snp/guest_msg.h"
#include "snp/rmp.h"
#include "snp/sev_fw.h"
#include "hv/arch/host/host_env.h"

#define WIN_SIZE (4ULL << 20)
#define RAM_SPA	 (2ULL << 20) /* guest GPA 0 is SPA 2M */
#define MEM_SIZE (1ULL << 20)
#define GHCB_GPA 0xa000ULL
#define ASID	 3

static u8 window[WIN_SIZE] __attribute__((aligned(4096)));
static struct rmp rmp;
static struct vmcb vmcb;
static struct vcpu vcpu;
static struct guest guest;
static struct cfg_guest gcfg;
static unsigned psc_calls, psc_ranges;
static struct gmem_range last_range;

static u8 *ram(u64 ga)
{
	return window + RAM_SPA + ga;
}

static int fake_translate(struct guest *g, gpa_t a, spa_t *out, u64 *contig)
{
	(void)g;
	if (gpa_val(a) >= MEM_SIZE)
		return -EFAULT;
	*out = spa(RAM_SPA + gpa_val(a));
	*contig = PAGE_SIZE - (gpa_val(a) & (PAGE_SIZE - 1));
	return 0;
}

static const struct guest_mem_ops fake_mem = {.name = "fake", .translate = fake_translate};

static struct rmp *be_rmp(struct guest *g)
{
	(void)g;
	return &rmp;
}

static int be_psc(struct guest *g, const struct gmem_range *r, unsigned n)
{
	(void)g;
	psc_calls++;
	psc_ranges += n;
	last_range = r[n - 1];
	return 0;
}

static int be_is_shared(struct guest *g, gpa_t a)
{
	(void)g;
	return gpa_val(a) == GHCB_GPA ? 0 : -EPERM;
}

static const struct snp_backend fake_be = {
    .name = "fake",
    .rmp = be_rmp,
    .psc = be_psc,
    .is_shared = be_is_shared,
};

static void fake_host(u32 leaf, u32 sub, struct cpuid_res *r)
{
	(void)sub;
	memset(r, 0, sizeof(*r));
	if (leaf == 0x80000000)
		r->eax = 0x8000001e;
}

static int setup(void **state)
{
	(void)state;
	memset(window, 0, sizeof(window));
	host_phys_window(window, spa(0), WIN_SIZE);
	assert_int_equal(rmp_init_model(&rmp, spa(0), rmp_table_size(WIN_SIZE >> 12), WIN_SIZE), 0);
	memset(&vmcb, 0, sizeof(vmcb));
	memset(&vcpu, 0, sizeof(vcpu));
	memset(&guest, 0, sizeof(guest));
	memset(&gcfg, 0, sizeof(gcfg));
	strcpy(guest.name, "s1");
	guest.cfg = &gcfg;
	guest.snp = true;
	guest.asid = ASID;
	guest.mem_size = MEM_SIZE;
	guest.mem_ops = &fake_mem;
	guest.outcome = GUEST_RUNNING;
	guest.cpuid.host = fake_host;
	guest.cpuid.snp = true;
	vcpu.vmcb = &vmcb;
	vcpu.guest = &guest;
	guest.vcpu = &vcpu;
	vmcb.save.rip = 0x1000;
	vmcb.save.efer = EFER_SVME; /* paging off: VA = GPA */
	psc_calls = psc_ranges = 0;
	assert_int_equal(snp_guest_init(&guest, &fake_be), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	snp_guest_fini(&guest);
	return 0;
}

static void put_insn(u64 ga, const u8 *b, unsigned n)
{
	memcpy(ram(ga), b, n);
}

static const u8 pv[] = {0xf2, 0x0f, 0x01, 0xff}, vmgexit_b[] = {0xf3, 0x0f, 0x01, 0xd9},
		vmmcall_b[] = {0x0f, 0x01, 0xd9}, ud2[] = {0x0f, 0x0b};

static void test_decode(void **state)
{
	(void)state;
	assert_true(snp_insn_is_pvalidate(pv, 4));
	assert_false(snp_insn_is_pvalidate(pv, 3));
	assert_false(snp_insn_is_pvalidate(vmgexit_b, 4));
	assert_true(snp_insn_is_vmgexit(vmgexit_b, 4));
	assert_false(snp_insn_is_vmgexit(vmmcall_b, 3));
}

static enum exit_action exit_ud(u64 va, u64 size, u64 validate)
{
	vmcb.save.rip = 0x1000;
	vmcb.save.rax = va;
	vcpu.regs.rcx = size;
	vcpu.regs.rdx = validate;
	vmcb.control.event_inj = 0;
	vmcb.control.exit_code = SVM_EXIT_EXCP_UD;
	return svm_handle_exit(&vcpu);
}

static void assign(u64 ga)
{
	assert_int_equal(
	    rmp_make_private(&rmp, spa(RAM_SPA + ga), ASID, gpa(ga), RMP_PG_SIZE_4K, false), 0);
}

static void test_pvalidate(void **state)
{
	(void)state;
	put_insn(0x1000, pv, 4);
	assign(0x5000);
	assign(0);
	/* validate: 0, CF=0, RIP += 4 */
	assert_int_equal(exit_ud(0x5000, 0, 1), EXIT_RESUME);
	assert_int_equal(vmcb.save.rax, 0);
	assert_false(vmcb.save.rflags & 1);
	assert_int_equal(vmcb.save.rip, 0x1004);
	/* again: 0 with CF=1 */
	exit_ud(0x5000, 0, 1);
	assert_int_equal(vmcb.save.rax, 0);
	assert_true(vmcb.save.rflags & 1);
	/* rescind, then rescind again: CF 0 then 1 */
	exit_ud(0x5000, 0, 0);
	assert_false(vmcb.save.rflags & 1);
	exit_ud(0x5000, 0, 0);
	assert_true(vmcb.save.rflags & 1);
	/* 2M over a 4K entry: FAIL_SIZEMISMATCH; misaligned 2M: FAIL_INPUT; size 2: FAIL_INPUT */
	exit_ud(0, 1, 1);
	assert_int_equal(vmcb.save.rax, RMP_FAIL_SIZEMISMATCH);
	exit_ud(0x5000, 1, 1);
	assert_int_equal(vmcb.save.rax, RMP_FAIL_INPUT);
	exit_ud(0x5000, 2, 1);
	assert_int_equal(vmcb.save.rax, RMP_FAIL_INPUT);
	/* a page not assigned to the guest: #VC(0x400), RIP and RAX unchanged */
	exit_ud(0x6000, 0, 1);
	assert_int_equal(vmcb.save.rip, 0x1000);
	assert_int_equal(vmcb.save.rax, 0x6000);
	assert_int_equal(vmcb.control.event_inj & SVM_EVTINJ_VEC_MASK, X86_VEC_VC);
	assert_int_equal(vmcb.control.event_inj_err, SVM_EXIT_NPF);
	/* beyond guest memory: the same fault */
	exit_ud(MEM_SIZE + 0x1000, 0, 1);
	assert_int_equal(vmcb.control.event_inj & SVM_EVTINJ_VEC_MASK, X86_VEC_VC);
	/* CPL 3: #GP */
	vmcb.save.cpl = 3;
	exit_ud(0x5000, 0, 1);
	assert_int_equal(vmcb.control.event_inj & SVM_EVTINJ_VEC_MASK, X86_VEC_GP);
	vmcb.save.cpl = 0;
	/* another instruction: #UD goes back */
	put_insn(0x1000, ud2, 2);
	exit_ud(0x5000, 0, 1);
	assert_int_equal(vmcb.control.event_inj & SVM_EVTINJ_VEC_MASK, X86_VEC_UD);
	assert_int_equal(vmcb.save.rip, 0x1000);
}

/* The #UD exit of an SNP guest reaches the PVALIDATE emulation directly
 * (g->snp, no hook): emulated, nothing injected, RIP past the 4 bytes. The
 * same bytes in a plain guest are an ordinary #UD. */
static void test_ud_dispatch(void **state)
{
	(void)state;
	put_insn(0x1000, pv, 4);
	assign(0x5000);
	assert_int_equal(exit_ud(0x5000, 0, 1), EXIT_RESUME);
	assert_int_equal(vmcb.control.event_inj, 0);
	assert_int_equal(vmcb.save.rip, 0x1004);
	assert_int_equal(snp_guest_of(&guest)->st.pvalidate, 1);
	guest.snp = false;
	assert_int_equal(exit_ud(0x5000, 0, 1), EXIT_RESUME);
	assert_int_equal(vmcb.control.event_inj & SVM_EVTINJ_VEC_MASK, X86_VEC_UD);
	assert_int_equal(vmcb.save.rip, 0x1000);
	guest.snp = true;
	assert_int_equal(snp_guest_of(&guest)->st.pvalidate, 1);
}

/* 4-level tables in guest memory: VA 0x40201000 -> GPA 0x8000 (4K leaf),
 * VA 0x40400000 -> GPA 0 (2M leaf); A/D and AVL bits set as a guest may. */
static void test_guest_walk(void **state)
{
	u64 *pml4 = (u64 *)ram(0x10000), *pdpt = (u64 *)ram(0x11000), *pd = (u64 *)ram(0x12000),
	    *pt = (u64 *)ram(0x13000), out = 0;

	(void)state;
	pml4[0] = 0x11000 | 0x3 | 0x20;
	pdpt[1] = 0x12000 | 0x3 | 0xe00;
	pd[1] = 0x13000 | 0x7;
	pd[2] = 0x000000 | 0x83 | 0x60;
	pt[1] = 0x8000 | 0x63;
	assert_int_equal(snp_guest_va_to_gpa(&guest, 0x10000, 0x40201123, &out), 0);
	assert_int_equal(out, 0x8123);
	assert_int_equal(snp_guest_va_to_gpa(&guest, 0x10000, 0x40400000 + 0x5678, &out), 0);
	assert_int_equal(out, 0x5678);
	assert_int_equal(snp_guest_va_to_gpa(&guest, 0x10000, 0x80000000, &out), -EFAULT);
	pdpt[2] = 0x7ff00000 | 0x3; /* a table outside guest memory */
	assert_int_equal(snp_guest_va_to_gpa(&guest, 0x10000, 0x80000000, &out), -EIO);
	/* PVALIDATE in long mode with RIP and RAX through those tables */
	vmcb.save.efer = EFER_SVME | EFER_LMA | EFER_LME;
	vmcb.save.cr0 = (1ULL << 31) | 1;
	vmcb.save.cr3 = 0x10000;
	put_insn(0x5000 + 0x10, pv, 4); /* VA 0x40405010 */
	assign(0x8000);
	vmcb.save.rip = 0x40405010;
	vmcb.save.rax = 0x40201000;
	vcpu.regs.rcx = 0;
	vcpu.regs.rdx = 1;
	vmcb.control.exit_code = SVM_EXIT_EXCP_UD;
	assert_int_equal(svm_handle_exit(&vcpu), EXIT_RESUME);
	assert_int_equal(vmcb.save.rax, 0);
	assert_int_equal(vmcb.save.rip, 0x40405014);
	/* an unmapped VA in RAX: #PF with CR2 */
	vmcb.save.rip = 0x40405010;
	vmcb.save.rax = 0xc0000000;
	svm_handle_exit(&vcpu);
	assert_int_equal(vmcb.control.event_inj & SVM_EVTINJ_VEC_MASK, X86_VEC_PF);
	assert_int_equal(vmcb.save.cr2, 0xc0000000);
}

/* The C-bit (GUEST_CBIT, bit 52; APM vol 2 15.34.6) is not an address bit:
 * the walk strips it from every table and leaf address and reports where it
 * was. A PVALIDATE through a leaf without it is counted (snp.<guest>.cbit). */
static void test_guest_walk_cbit(void **state)
{
	const u64 c = 1ULL << 52;
	u64 *pml4 = (u64 *)ram(0x10000), *pdpt = (u64 *)ram(0x11000), *pd = (u64 *)ram(0x12000),
	    *pt = (u64 *)ram(0x13000), out = 0;
	unsigned cb = 0xff;
	struct snp_guest *sg = snp_guest_of(&guest);

	(void)state;
	assert_non_null(sg);
	pml4[0] = 0x11000 | c | 0x3;
	pdpt[1] = 0x12000 | c | 0x3;
	pd[1] = 0x13000 | c | 0x3;
	pd[2] = 0x000000 | c | 0x83;
	pt[1] = 0x8000 | c | 0x3;
	pt[2] = 0x9000 | 0x3; /* shared: C=0 */
	assert_int_equal(snp_guest_va_walk(&guest, 0x10000, 0x40201123, &out, &cb), 0);
	assert_int_equal(out, 0x8123);
	assert_int_equal(cb, SNP_WALK_C_LEAF | SNP_WALK_C_TABLES);
	assert_int_equal(snp_guest_va_walk(&guest, 0x10000, 0x40400000 + 0x5678, &out, &cb), 0);
	assert_int_equal(out, 0x5678);
	assert_int_equal(cb, SNP_WALK_C_LEAF | SNP_WALK_C_TABLES);
	assert_int_equal(snp_guest_va_walk(&guest, 0x10000, 0x40202000, &out, &cb), 0);
	assert_int_equal(out, 0x9000);
	assert_int_equal(cb, SNP_WALK_C_TABLES);
	pd[1] &= ~c; /* a table entry without it */
	assert_int_equal(snp_guest_va_walk(&guest, 0x10000, 0x40201000, &out, &cb), 0);
	assert_int_equal(out, 0x8000);
	assert_int_equal(cb, SNP_WALK_C_LEAF);
	pd[1] |= c;
	/* bit 51 is an address bit, not the C-bit: a table "above" guest memory */
	pd[3] = 0x13000 | (1ULL << 51) | 0x3;
	assert_int_equal(snp_guest_va_walk(&guest, 0x10000, 0x40600000, &out, &cb), -EIO);

	/* PVALIDATE: through C=1 it counts nothing, through C=0 it is done (as
	 * before) but counted */
	vmcb.save.efer = EFER_SVME | EFER_LMA | EFER_LME;
	vmcb.save.cr0 = (1ULL << 31) | 1;
	vmcb.save.cr3 = 0x10000;
	put_insn(0x5000 + 0x10, pv, 4); /* VA 0x40405010 */
	assign(0x8000);
	assign(0x9000);
	vmcb.save.rip = 0x40405010;
	vmcb.save.rax = 0x40201000;
	vcpu.regs.rcx = 0;
	vcpu.regs.rdx = 1;
	vmcb.control.exit_code = SVM_EXIT_EXCP_UD;
	assert_int_equal(svm_handle_exit(&vcpu), EXIT_RESUME);
	assert_int_equal(vmcb.save.rax, 0);
	assert_int_equal(sg->st.pv_cbit0, 0);
	vmcb.save.rip = 0x40405010;
	vmcb.save.rax = 0x40202000;
	assert_int_equal(svm_handle_exit(&vcpu), EXIT_RESUME);
	assert_int_equal(vmcb.save.rax, 0);
	assert_int_equal(vmcb.save.rip, 0x40405014);
	assert_int_equal(sg->st.pv_cbit0, 1);
	assert_int_equal(sg->st.pv_cbit0_tables, 0);
	sg->st.pv_cbit0 = 0; /* the teardown's snp.s1.cbit check stays green */
}

static enum exit_action exit_vmmcall(void)
{
	vmcb.save.rip = 0x1000;
	vmcb.control.exit_code = SVM_EXIT_VMMCALL;
	return svm_handle_exit(&vcpu);
}

static void test_msr_protocol(void **state)
{
	(void)state;
	put_insn(0x1000, vmgexit_b, 4);
	guest.ghcb_msr = GHCB_MSR_SEV_INFO_REQ;
	assert_int_equal(exit_vmmcall(), EXIT_RESUME);
	assert_int_equal(vmcb.save.rip, 0x1004);
	/* the emulation made it exit 0x403: counted so, not as VMMCALL */
	assert_int_equal(vcpu.last_exit, SVM_EXIT_VMGEXIT);
	assert_int_equal(vcpu.exit_counts[EXIT_STAT_VMGEXIT], 1);
	assert_int_equal(vcpu.exit_counts[EXIT_STAT_VMMCALL], 0);
	assert_int_equal(vmcb.control.ghcb_gpa, guest.ghcb_msr);
	assert_int_equal(guest.ghcb_msr & GHCB_MSR_INFO, GHCB_MSR_SEV_INFO_RESP);
	assert_int_equal(FIELD_GET(GHCB_MSR_SEV_INFO_CBIT, guest.ghcb_msr), 52);
	guest.ghcb_msr = ghcb_msr_cpuid_req(0x8000001f, GHCB_CPUID_EBX);
	exit_vmmcall();
	assert_int_equal(guest.ghcb_msr & GHCB_MSR_INFO, GHCB_MSR_CPUID_RESP);
	assert_int_equal((guest.ghcb_msr >> 32) & 0x3f, 52); /* the same bit as SEV info */
	/* registration: a private page is refused, the shared one accepted */
	guest.ghcb_msr = ghcb_msr_reg_gpa_req(0x5);
	exit_vmmcall();
	assert_int_equal(guest.ghcb_msr >> 12, GENMASK(51, 0));
	guest.ghcb_msr = ghcb_msr_reg_gpa_req(GHCB_GPA >> 12);
	exit_vmmcall();
	assert_int_equal(guest.ghcb_msr, ghcb_msr_reg_gpa_resp(GHCB_GPA >> 12));
	/* PSC: one range to the backend; out of range: error, no call */
	guest.ghcb_msr = ghcb_msr_psc_req(7, PSC_OP_SHARED);
	exit_vmmcall();
	assert_int_equal(guest.ghcb_msr, ghcb_msr_psc_resp(0));
	assert_int_equal(psc_calls, 1);
	assert_int_equal(gpa_val(last_range.gpa), 0x7000);
	assert_int_equal(last_range.to, GMEM_SHARED);
	guest.ghcb_msr = ghcb_msr_psc_req(MEM_SIZE >> 12, PSC_OP_PRIVATE);
	exit_vmmcall();
	assert_true(guest.ghcb_msr >> 32);
	assert_int_equal(psc_calls, 1);
	/* a plain VMMCALL raises #VC 0x81 as on hardware: RIP unchanged, RAX
	 * untouched, no hypercall ran */
	put_insn(0x1000, vmmcall_b, 3);
	vmcb.save.rax = HC_YIELD;
	assert_int_equal(exit_vmmcall(), EXIT_RESUME);
	assert_int_equal(vmcb.save.rip, 0x1000);
	assert_int_equal(vmcb.save.rax, HC_YIELD);
	assert_int_equal(vmcb.control.event_inj,
			 SVM_EVTINJ_VALID | SVM_EVTINJ_VALID_ERR | X86_VEC_VC |
			     FIELD_PREP(SVM_EVTINJ_TYPE_MASK, SVM_EVTINJ_TYPE_EXEPT));
	assert_int_equal(vmcb.control.event_inj_err, SVM_EXIT_VMMCALL);
	assert_int_equal(snp_guest_of(&guest)->st.vc_injected[SNP_VC_VMMCALL], 1);
	snp_guest_of(&guest)->st.vc_injected[SNP_VC_VMMCALL] = 0; /* never served here */
	vmcb.control.event_inj = 0;
	/* termination request ends the guest */
	put_insn(0x1000, vmgexit_b, 4);
	guest.ghcb_msr = ghcb_msr_term_req(0, 3);
	assert_int_equal(exit_vmmcall(), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_FAIL);
}

/* Exit 0x403 as hardware delivers it: the GHCB MSR value in
 * control.ghcb_gpa, the answer back there, RIP untouched (the processor's). */
static void test_vmgexit_hw(void **state)
{
	(void)state;
	vmcb.save.rip = 0x1000;
	guest.ghcb_msr = 0x5a5a; /* the emulated MSR is not used on this path */
	vmcb.control.ghcb_gpa = GHCB_MSR_SEV_INFO_REQ;
	vmcb.control.exit_code = SVM_EXIT_VMGEXIT;
	assert_int_equal(svm_handle_exit(&vcpu), EXIT_RESUME);
	assert_int_equal(vmcb.control.ghcb_gpa & GHCB_MSR_INFO, GHCB_MSR_SEV_INFO_RESP);
	assert_int_equal(vmcb.save.rip, 0x1000);
	assert_int_equal(guest.ghcb_msr, 0x5a5a);
	assert_int_equal(vcpu.exit_counts[EXIT_STAT_VMGEXIT], 1);
	/* NAE with an unregistered GHCB GPA kills the guest */
	vmcb.control.ghcb_gpa = GHCB_GPA;
	assert_int_equal(svm_handle_exit(&vcpu), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_KILLED);
}

static void register_ghcb(void)
{
	put_insn(0x1000, vmgexit_b, 4);
	guest.ghcb_msr = ghcb_msr_reg_gpa_req(GHCB_GPA >> 12);
	exit_vmmcall();
	guest.ghcb_msr = GHCB_GPA;
}

static struct ghcb *gh(void)
{
	return (struct ghcb *)ram(GHCB_GPA);
}

static u64 psc_nae(void)
{
	struct ghcb *g = gh();

	memset(&g->save, 0, sizeof(g->save));
	g->save.sw_exit_code = SVM_VMGEXIT_PSC;
	g->save.sw_scratch = GHCB_GPA + GHCB_SHARED_BUF_OFFSET;
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_code));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_info_1));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_info_2));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_scratch));
	assert_int_equal(exit_vmmcall(), EXIT_RESUME);
	return g->save.sw_exit_info_2;
}

static void test_psc_nae(void **state)
{
	struct psc_desc *d = (struct psc_desc *)gh()->shared_buffer;
	unsigned i;

	(void)state;
	register_ghcb();
	d->hdr.cur_entry = 0;
	d->hdr.end_entry = 99;
	for (i = 0; i < 100; i++)
		d->entries[i] = psc_entry(0x20 + i, PSC_OP_SHARED, false, 0);
	/* partial progress: 64 entries per exit, one backend request each */
	assert_int_equal(psc_nae(), 0);
	assert_int_equal(d->hdr.cur_entry, SNP_PSC_ENTRIES_PER_EXIT);
	assert_int_equal(psc_calls, 1);
	assert_int_equal(psc_ranges, SNP_PSC_ENTRIES_PER_EXIT);
	assert_int_equal(psc_nae(), 0);
	assert_int_equal(d->hdr.cur_entry, 100);
	assert_int_equal(psc_calls, 2);
	assert_int_equal(psc_ranges, 100);
	assert_int_equal(FIELD_GET(PSC_ENTRY_CUR_PAGE, d->entries[99]), 1);
	/* malformed: no backend call, documented error, header untouched */
	d->hdr.cur_entry = 0;
	d->hdr.end_entry = 253;
	assert_int_equal(psc_nae(), PSC_ERROR_INVALID_HDR);
	assert_int_equal(d->hdr.cur_entry, 0);
	d->hdr.end_entry = 0;
	d->entries[0] = psc_entry(MEM_SIZE >> 12, PSC_OP_SHARED, false, 0);
	assert_int_equal(psc_nae(), PSC_ERROR_INVALID_ENTRY);
	d->entries[0] = psc_entry(0x20, 7, false, 0);
	assert_int_equal(psc_nae(), PSC_ERROR_INVALID_ENTRY);
	assert_int_equal(psc_calls, 2);
	/* SW_SCRATCH outside the shared buffer */
	gh()->save.sw_scratch = GHCB_GPA;
	{
		struct ghcb *g = gh();

		g->save.sw_exit_code = SVM_VMGEXIT_PSC;
		exit_vmmcall();
		assert_int_equal(g->save.sw_exit_info_1, GHCB_HV_RESP_MALFORMED_INPUT);
	}
}

static void test_nae_unregistered(void **state)
{
	(void)state;
	put_insn(0x1000, vmgexit_b, 4);
	guest.ghcb_msr = GHCB_GPA;
	assert_int_equal(exit_vmmcall(), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_KILLED);
}

/* RMP #NPF: one handler for hardware exits and the PVALIDATE emulation. */

/* Emulated SNP: the exits SNP hardware turns into #VC inject #VC 29 with
 * the exit code as error code, RIP unchanged; MSRs the processor does not
 * intercept for an SEV-ES guest are still handled. */
static void expect_vc(u32 code, u64 want_count, enum snp_vc_reason r)
{
	vmcb.save.rip = 0x2000;
	vmcb.control.event_inj = 0;
	vmcb.control.exit_code = code;
	assert_int_equal(svm_handle_exit(&vcpu), EXIT_RESUME);
	assert_int_equal(vmcb.save.rip, 0x2000);
	assert_int_equal(FIELD_GET(SVM_EVTINJ_VEC_MASK, vmcb.control.event_inj), X86_VEC_VC);
	assert_true(vmcb.control.event_inj & SVM_EVTINJ_VALID_ERR);
	assert_int_equal(vmcb.control.event_inj_err, code);
	assert_int_equal(snp_guest_of(&guest)->st.vc_injected[r], want_count);
}

static void test_vc_injection(void **state)
{
	struct snp_guest *s = snp_guest_of(&guest);

	(void)state;
	vmcb.save.rax = 0x40000000;
	expect_vc(SVM_EXIT_CPUID, 1, SNP_VC_CPUID);
	assert_int_equal(vmcb.save.rax, 0x40000000); /* not executed */
	vcpu.regs.rcx = 0x4b564d00;		     /* an MSR hardware intercepts */
	expect_vc(SVM_EXIT_MSR, 1, SNP_VC_MSR);
	vmcb.control.exit_info_1 = (0x3f8ULL << 16) | BIT(4); /* OUT DX, AL */
	expect_vc(SVM_EXIT_IOIO, 1, SNP_VC_IOIO);
	/* SEV_STATUS, the GHCB MSR, EFER, PAT: no #VC on hardware, handled */
	vmcb.control.event_inj = 0;
	vmcb.control.exit_info_1 = 0;
	vcpu.regs.rcx = MSR_AMD64_SEV;
	vmcb.control.exit_code = SVM_EXIT_MSR;
	vmcb.save.rip = 0x2000;
	assert_int_equal(svm_handle_exit(&vcpu), EXIT_RESUME);
	assert_int_equal(vmcb.control.event_inj, 0);
	assert_int_equal(vmcb.save.rax, 7);
	assert_int_equal(vmcb.save.rip, 0x2002);
	assert_int_equal(s->st.vc_injected[SNP_VC_MSR], 1);
	/* the IOIO NAE that answers the pending #VC counts as served */
	register_ghcb();
	memset(&gh()->save, 0, sizeof(gh()->save));
	gh()->save.sw_exit_code = SVM_EXIT_CPUID;
	gh()->save.rax = 0;
	ghcb_set_field_valid(gh(), GHCB_FIELD_BIT(sw_exit_code));
	ghcb_set_field_valid(gh(), GHCB_FIELD_BIT(sw_exit_info_1));
	ghcb_set_field_valid(gh(), GHCB_FIELD_BIT(sw_exit_info_2));
	ghcb_set_field_valid(gh(), GHCB_FIELD_BIT(rax));
	ghcb_set_field_valid(gh(), GHCB_FIELD_BIT(rcx));
	s->vc_pending = SVM_EXIT_CPUID;
	assert_int_equal(exit_vmmcall(), EXIT_RESUME);
	assert_int_equal(s->st.vc_served[SNP_VC_CPUID], 1);
	assert_int_equal(s->vc_pending, 0);
	/* the teardown's vc_served check: every injection answered */
	s->st.vc_served[SNP_VC_MSR] = s->st.vc_injected[SNP_VC_MSR];
	s->st.vc_served[SNP_VC_IOIO] = s->st.vc_injected[SNP_VC_IOIO];
}

/* The VMMCALL NAE (exit code 0x81): RAX, CPL, RBX, RCX, RDX, RSI from the
 * GHCB, RAX back; GPA arguments only in shared pages. */
#define PRIV_GPA 0x9000 /* private in the fake backend */
/* ---- SNP Guest Request NAE (56421 4.1.8) --------------------------------- */

#define REQ_GPA	 0xb000ULL
#define RESP_GPA 0xc000ULL
#define CERT_GPA 0xe000ULL
static unsigned greq_calls;
static int greq_ret;
static u32 greq_fw;
static u8 greq_seen[PAGE_SIZE];

static int greq_is_shared(struct guest *g, gpa_t a)
{
	u64 pg = gpa_val(a) & ~(PAGE_SIZE - 1);

	(void)g;
	return pg == GHCB_GPA || pg == REQ_GPA || pg == RESP_GPA || pg == CERT_GPA ? 0 : -EPERM;
}

/* The firmware's part, faked: records the request, answers a pattern. */
static int greq_fake(struct guest *g, const void *req, void *resp, u32 *fw)
{
	(void)g;
	greq_calls++;
	memcpy(greq_seen, req, PAGE_SIZE);
	memset(resp, 0xC5, PAGE_SIZE);
	*fw = greq_fw;
	return greq_ret;
}

static const struct snp_backend greq_be = {.name = "greq",
					   .rmp = be_rmp,
					   .psc = be_psc,
					   .is_shared = greq_is_shared,
					   .guest_request = greq_fake};
static const struct snp_backend greq_none_be = {
    .name = "greq-none", .rmp = be_rmp, .psc = be_psc, .is_shared = greq_is_shared};

/* One NAE; returns SW_EXITINFO2, *info1 = SW_EXITINFO1. */
static u64 greq_nae(u64 rq, u64 rs, u64 *info1)
{
	struct ghcb *g = gh();

	memset(&g->save, 0, sizeof(g->save));
	g->save.sw_exit_code = SVM_VMGEXIT_GUEST_REQUEST;
	g->save.sw_exit_info_1 = rq;
	g->save.sw_exit_info_2 = rs;
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_code));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_info_1));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_info_2));
	assert_int_equal(exit_vmmcall(), EXIT_RESUME);
	*info1 = g->save.sw_exit_info_1;
	return g->save.sw_exit_info_2;
}

static bool page_is(u64 ga, u8 v)
{
	for (u64 k = 0; k < PAGE_SIZE; k++)
		if (ram(ga)[k] != v)
			return false;
	return true;
}

static void test_guest_request_nae(void **state)
{
	struct snp_guest *sg = snp_guest_of(&guest);
	u64 i1;

	(void)state;
	register_ghcb();
	sg->be = &greq_be;
	memset(ram(REQ_GPA), 0x3A, PAGE_SIZE);
	memset(ram(RESP_GPA), 0, PAGE_SIZE);

	/* success: the request page reaches the firmware, the answer comes back */
	greq_calls = 0;
	greq_ret = 0;
	greq_fw = 0;
	assert_int_equal(greq_nae(REQ_GPA, RESP_GPA, &i1), 0);
	assert_int_equal(i1, 0);
	assert_int_equal(greq_calls, 1);
	assert_int_equal(greq_seen[0], 0x3A);
	assert_int_equal(greq_seen[PAGE_SIZE - 1], 0x3A);
	assert_true(page_is(RESP_GPA, 0xC5));

	/* a firmware error: its status in SW_EXITINFO2[31:0], no response */
	memset(ram(RESP_GPA), 0, PAGE_SIZE);
	greq_ret = -EIO;
	greq_fw = SEV_RET_BAD_SIGNATURE;
	assert_int_equal(greq_nae(REQ_GPA, RESP_GPA, &i1), SEV_RET_BAD_SIGNATURE);
	assert_int_equal(i1, 0);
	assert_true(page_is(RESP_GPA, 0));

	/* a hypervisor failure: SW_EXITINFO2[63:32] */
	greq_ret = -ENOMEM;
	greq_fw = 0;
	assert_int_equal(greq_nae(REQ_GPA, RESP_GPA, &i1), (u64)SNP_GUEST_VMM_ERR_GENERIC << 32);
	assert_true(page_is(RESP_GPA, 0));

	/* pages that are not shared, not aligned, or the same: GHCB error,
	 * the firmware is not asked */
	greq_calls = 0;
	greq_ret = 0;
	assert_int_equal(greq_nae(0xd000, RESP_GPA, &i1), GHCB_ERR_INVALID_INPUT);
	assert_int_equal(i1, GHCB_HV_RESP_MALFORMED_INPUT);
	assert_int_equal(greq_nae(REQ_GPA, 0xd000, &i1), GHCB_ERR_INVALID_INPUT);
	assert_int_equal(greq_nae(REQ_GPA + 8, RESP_GPA, &i1), GHCB_ERR_INVALID_INPUT);
	assert_int_equal(greq_nae(REQ_GPA, RESP_GPA + 0x10, &i1), GHCB_ERR_INVALID_INPUT);
	assert_int_equal(greq_nae(REQ_GPA, REQ_GPA, &i1), GHCB_ERR_INVALID_INPUT);
	assert_int_equal(greq_nae(REQ_GPA, MEM_SIZE + 0x1000, &i1), GHCB_ERR_INVALID_INPUT);
	/* the response into the GHCB: the GHCB's write-back would overwrite it */
	assert_int_equal(greq_nae(REQ_GPA, GHCB_GPA, &i1), GHCB_ERR_INVALID_INPUT);
	assert_int_equal(greq_calls, 0);
	assert_true(page_is(RESP_GPA, 0));

	/* the extended request: an empty certificate table (the zero
	 * terminator) into a buffer of shared pages; a buffer that holds the
	 * GHCB is refused (the GHCB's write-back would overwrite it) */
	{
		struct ghcb *g = gh();

		memset(ram(CERT_GPA), 0xEE, 64);
		memset(&g->save, 0, sizeof(g->save));
		g->save.sw_exit_code = SVM_VMGEXIT_EXT_GUEST_REQUEST;
		g->save.sw_exit_info_1 = REQ_GPA;
		g->save.sw_exit_info_2 = RESP_GPA;
		g->save.rax = CERT_GPA;
		g->save.rbx = 1;
		ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_code));
		ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_info_1));
		ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_info_2));
		ghcb_set_field_valid(g, GHCB_FIELD_BIT(rax));
		ghcb_set_field_valid(g, GHCB_FIELD_BIT(rbx));
		greq_calls = 0;
		assert_int_equal(exit_vmmcall(), EXIT_RESUME);
		assert_int_equal(g->save.sw_exit_info_2, 0);
		assert_int_equal(greq_calls, 1);
		assert_int_equal(ram(CERT_GPA)[0], 0);
		assert_int_equal(ram(CERT_GPA)[23], 0);
		assert_int_equal(ram(CERT_GPA)[24], 0xEE);
		g->save.sw_exit_info_1 = REQ_GPA;
		g->save.sw_exit_info_2 = RESP_GPA;
		g->save.rax = GHCB_GPA;
		assert_int_equal(exit_vmmcall(), EXIT_RESUME);
		assert_int_equal(g->save.sw_exit_info_1, GHCB_HV_RESP_MALFORMED_INPUT);
		assert_int_equal(g->save.sw_exit_info_2, GHCB_ERR_INVALID_INPUT);
		assert_int_equal(greq_calls, 1);
	}

	/* no firmware behind the backend */
	sg->be = &greq_none_be;
	assert_int_equal(greq_nae(REQ_GPA, RESP_GPA, &i1), (u64)SNP_GUEST_VMM_ERR_GENERIC << 32);
	assert_int_equal(i1, 0);
	sg->be = &fake_be;
}

static enum exit_action last_act;

static u64 hc_nae(u64 nr, u64 a1, u64 a2, u64 a3, u8 cpl, bool all_valid)
{
	struct ghcb *g = gh();

	memset(&g->save, 0, sizeof(g->save));
	g->save.sw_exit_code = SVM_EXIT_VMMCALL;
	g->save.rax = nr;
	g->save.rbx = a1;
	g->save.rcx = a2;
	g->save.rdx = a3;
	g->save.cpl = cpl;
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_code));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_info_1));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_info_2));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(rax));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(cpl));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(rbx));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(rcx));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(rdx));
	if (all_valid)
		ghcb_set_field_valid(g, GHCB_FIELD_BIT(rsi));
	last_act = exit_vmmcall();
	return g->save.rax;
}

/* HC_SNP_ATTESTED: the report's MEASUREMENT against the printed digest. */
static void test_attested_hypercall(void **state)
{
	u64 buf = GHCB_GPA + GHCB_SHARED_BUF_OFFSET;
	u8 *m = ram(buf);

	(void)state;
	register_ghcb();
	snp_guest_of(&guest)->be = &greq_be; /* shared pages by page */
	for (unsigned k = 0; k < 48; k++) {
		m[k] = (u8)(0xF0 + k);
		snprintf(guest.mem.digest + 2 * k, 3, "%02x", m[k]);
	}
	assert_int_equal(hc_nae(HC_SNP_ATTESTED, buf, 48, 0, 0, true), 0);
	m[47] ^= 1; /* one bit off */
	assert_int_equal(hc_nae(HC_SNP_ATTESTED, buf, 48, 0, 0, true), 1);
	m[47] ^= 1;
	guest.mem.digest[0] = '\0'; /* no digest printed: nothing can match */
	assert_int_equal(hc_nae(HC_SNP_ATTESTED, buf, 48, 0, 0, true), 1);
	/* private memory, wrong length */
	assert_int_equal(hc_nae(HC_SNP_ATTESTED, 0x20000, 48, 0, 0, true), (u64)HC_EFAULT);
	assert_int_equal(hc_nae(HC_SNP_ATTESTED, buf, 32, 0, 0, true), (u64)HC_EFAULT);
	assert_int_equal(snp_guest_of(&guest)->st.attested, 5);
	snp_guest_of(&guest)->be = &fake_be;
}

static void test_vmmcall_nae(void **state)
{
	struct snp_guest *s = snp_guest_of(&guest);
	u64 buf = GHCB_GPA + GHCB_SHARED_BUF_OFFSET;
	struct hc_info *info = (struct hc_info *)ram(buf);

	(void)state;
	register_ghcb();
	/* HC_GET_INFO into the shared page: written, size returned */
	assert_int_equal(hc_nae(HC_GET_INFO, buf, sizeof(*info), 0, 0, true), sizeof(*info));
	assert_int_equal(gh()->save.sw_exit_info_1, 0);
	assert_true(ghcb_field_valid(gh(), GHCB_FIELD_BIT(rax)));
	assert_int_equal(info->mem_size, MEM_SIZE);
	assert_string_equal(info->name, "s1");
	/* into a private page: HC_EFAULT, nothing written */
	memset(ram(PRIV_GPA), 0xa5, PAGE_SIZE);
	assert_int_equal(hc_nae(HC_GET_INFO, PRIV_GPA, sizeof(*info), 0, 0, true), (u64)HC_EFAULT);
	assert_int_equal(ram(PRIV_GPA)[0], 0xa5);
	assert_int_equal(ram(PRIV_GPA)[sizeof(*info) - 1], 0xa5);
	assert_int_equal(s->st.hc_gpa_refused, 1);
	/* a buffer starting in the shared page and running into the next
	 * (private) page is refused as a whole */
	assert_int_equal(hc_nae(HC_GET_INFO, GHCB_GPA + PAGE_SIZE - 8, 64, 0, 0, true),
			 (u64)HC_EFAULT);
	assert_int_equal(s->st.hc_gpa_refused, 2);
	/* a test result whose name lies in private memory: HC_EFAULT */
	strcpy((char *)ram(PRIV_GPA), "t");
	assert_int_equal(hc_nae(HC_TEST_RESULT, PRIV_GPA, 1, 0, 0, true), (u64)HC_EFAULT);
	strcpy((char *)ram(buf), "nae.ok");
	assert_int_equal(hc_nae(HC_TEST_RESULT, buf, 1, 0, 0, true), 0);
	assert_int_equal(guest.checks_passed, 1);
	/* a missing valid bit (RSI): MISSING_INPUT, RAX unchanged */
	assert_int_equal(hc_nae(HC_YIELD, 0, 0, 0, 0, false), HC_YIELD);
	assert_int_equal(gh()->save.sw_exit_info_1, GHCB_HV_RESP_MALFORMED_INPUT);
	assert_int_equal(gh()->save.sw_exit_info_2, GHCB_ERR_MISSING_INPUT);
	/* CPL 3: refused */
	assert_int_equal(hc_nae(HC_YIELD, 0, 0, 0, 3, true), (u64)HC_EPERM);
	/* HC_YIELD ends the slice; HC_EXIT ends the guest */
	assert_int_equal(hc_nae(HC_YIELD, 0, 0, 0, 0, true), 0);
	assert_int_equal(last_act, EXIT_YIELD);
	assert_int_equal(s->st.hc_nae, 7);
	hc_nae(HC_EXIT, 0, 0, 0, 0, true);
	assert_int_equal(last_act, EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_PASS);
	/* a plain (non-SNP) guest: GPAs are not checked for sharing */
	guest.snp = false;
	assert_int_equal(snp_hc_gpa_check(&guest, HC_PUTS, PRIV_GPA, 8), -EFAULT);
	guest.snp = true;
}

/* ---- MMIO NAE (56421 4.1.5) ------------------------------------------------ */

/* One MMIO NAE of len bytes at ga, data at scratch; returns SW_EXITINFO2
 * (0 or the GHCB error). */
static u64 mmio_nae(bool write, u64 ga, u64 len, u64 scratch)
{
	struct ghcb *g = gh();

	memset(&g->save, 0, sizeof(g->save));
	g->save.sw_exit_code = write ? SVM_VMGEXIT_MMIO_WRITE : SVM_VMGEXIT_MMIO_READ;
	g->save.sw_exit_info_1 = ga;
	g->save.sw_exit_info_2 = len;
	g->save.sw_scratch = scratch;
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_code));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_info_1));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_exit_info_2));
	ghcb_set_field_valid(g, GHCB_FIELD_BIT(sw_scratch));
	assert_int_equal(exit_vmmcall(), EXIT_RESUME);
	return g->save.sw_exit_info_2;
}

/* What Linux's io_apic_read does as an SNP guest: IOREGSEL <- 1 through
 * the GHCB's shared buffer, then IOWIN read back into that same buffer. The
 * read's value must survive the GHCB write-back at the end of the exit
 * (it once did not: Linux read back its own 1, "version 1, GSI 0-0"). */
static void test_mmio_nae_ioapic(void **state)
{
	struct snp_guest *s = snp_guest_of(&guest);
	u64 buf = GHCB_GPA + GHCB_SHARED_BUF_OFFSET;
	const u32 ver = VIOAPIC_VERSION | (VIOAPIC_PINS - 1) << 16;
	u32 *d = (u32 *)ram(buf);

	(void)state;
	register_ghcb();
	guest.is_linux = true;
	guest_plat_reset(&guest);
	*d = IOAPIC_REG_VER;
	assert_int_equal(mmio_nae(true, VIOAPIC_BASE + IOAPIC_MMIO_REGSEL, 4, buf), 0);
	assert_int_equal(gh()->save.sw_exit_info_1, 0);
	assert_int_equal(guest.ioapic.regsel, IOAPIC_REG_VER);
	assert_int_equal(mmio_nae(false, VIOAPIC_BASE + IOAPIC_MMIO_WIN, 4, buf), 0);
	assert_int_equal(*d, ver);
	/* IOREGSEL read into the shared buffer's last four bytes */
	assert_int_equal(mmio_nae(false, VIOAPIC_BASE + IOAPIC_MMIO_REGSEL, 4,
				  buf + GHCB_SHARED_BUF_SIZE - 4),
			 0);
	assert_int_equal(*(u32 *)ram(buf + GHCB_SHARED_BUF_SIZE - 4), IOAPIC_REG_VER);
	/* a redirection entry written and read back through the buffer */
	*d = IOAPIC_REG_REDTBL + 2 * 4;
	assert_int_equal(mmio_nae(true, VIOAPIC_BASE + IOAPIC_MMIO_REGSEL, 4, buf), 0);
	*d = 0x10030;
	assert_int_equal(mmio_nae(true, VIOAPIC_BASE + IOAPIC_MMIO_WIN, 4, buf), 0);
	*d = 0;
	assert_int_equal(mmio_nae(false, VIOAPIC_BASE + IOAPIC_MMIO_WIN, 4, buf), 0);
	assert_int_equal(*d, 0x10030);
	assert_int_equal(guest.ioapic.rte[4] & 0xffffffffULL, 0x10030);
	/* in the GHCB's page but outside its shared buffer (the save area,
	 * past the buffer's end): refused, nothing written there */
	gh()->reserved_0xff0[0] = 0x5a;
	assert_int_equal(mmio_nae(false, VIOAPIC_BASE + IOAPIC_MMIO_WIN, 4, GHCB_GPA + 0x10),
			 GHCB_ERR_INVALID_SCRATCH);
	assert_int_equal(gh()->save.sw_exit_info_1, GHCB_HV_RESP_MALFORMED_INPUT);
	assert_int_equal(mmio_nae(false, VIOAPIC_BASE + IOAPIC_MMIO_WIN, 4,
				  buf + GHCB_SHARED_BUF_SIZE - 2),
			 GHCB_ERR_INVALID_SCRATCH);
	assert_int_equal(gh()->reserved_0xff0[0], 0x5a);
	/* a private page: refused */
	assert_int_equal(mmio_nae(false, VIOAPIC_BASE + IOAPIC_MMIO_WIN, 4, PRIV_GPA),
			 GHCB_ERR_INVALID_SCRATCH);
	/* another shared page: written there directly */
	s->be = &greq_be;
	memset(ram(REQ_GPA), 0, 8);
	*(u32 *)ram(REQ_GPA + 4) = IOAPIC_REG_VER;
	assert_int_equal(mmio_nae(true, VIOAPIC_BASE + IOAPIC_MMIO_REGSEL, 4, REQ_GPA + 4), 0);
	assert_int_equal(mmio_nae(false, VIOAPIC_BASE + IOAPIC_MMIO_WIN, 4, REQ_GPA), 0);
	assert_int_equal(*(u32 *)ram(REQ_GPA), ver);
	s->be = &fake_be;
	assert_int_equal(guest.ioapic.bad_access, 0);
}

static unsigned split_calls;
static u64 split_gpa;

static int be_split(struct guest *g, gpa_t a)
{
	(void)g;
	split_calls++;
	split_gpa = gpa_val(a);
	return psmash(&rmp, spa(RAM_SPA + gpa_val(a))) == 0 ? 0 : -EIO;
}

static const struct snp_backend split_be = {
    .name = "fake-split",
    .rmp = be_rmp,
    .psc = be_psc,
    .split = be_split,
    .is_shared = be_is_shared,
};

static enum exit_action exit_npf(u64 info1, u64 gpa_)
{
	vmcb.control.exit_code = SVM_EXIT_NPF;
	vmcb.control.exit_info_1 = info1;
	vmcb.control.exit_info_2 = gpa_;
	return svm_handle_exit(&vcpu);
}

static void test_rmp_npf(void **state)
{
	struct snp_guest *sg;

	(void)state;
	snp_guest_fini(&guest);
	assert_int_equal(snp_guest_init(&guest, &split_be), 0);
	sg = snp_guest_of(&guest);
	split_calls = 0;
	/* the guest's memory as one 2M private entry */
	assert_int_equal(rmp_make_private(&rmp, spa(RAM_SPA), ASID, gpa(0), RMP_PG_SIZE_2M, false),
			 0);
	/* hardware: RMP|SIZEM|ENC|FINAL at a 4K GPA inside it: split, resume */
	assert_int_equal(exit_npf(BIT(31) | BIT(34) | BIT(35) | BIT(32), 0x7000), EXIT_RESUME);
	assert_int_equal(split_calls, 1);
	assert_int_equal(split_gpa, 0);
	assert_int_equal(sg->st.npf_sizem, 1);
	assert_int_equal(guest.outcome, GUEST_RUNNING);
	/* one 2M entry again */
	for (u64 a = 0; a < HUGE_SIZE; a += PAGE_SIZE)
		assert_int_equal(rmp_make_shared(&rmp, spa(RAM_SPA + a), RMP_PG_SIZE_4K), 0);
	assert_int_equal(rmp_make_private(&rmp, spa(RAM_SPA), ASID, gpa(0), RMP_PG_SIZE_2M, false),
			 0);
	/* PVALIDATE 4K inside it: the model's SIZEM #NPF takes the same path */
	put_insn(0x1000, pv, 4);
	assert_int_equal(exit_ud(0x5000, 0, 1), EXIT_RESUME);
	assert_int_equal(split_calls, 2);
	assert_int_equal(vmcb.save.rax, 0);
	assert_int_equal(vmcb.save.rip, 0x1004);
	assert_int_equal(sg->st.npf_sizem, 2);
	/* SIZEM on what is already 4K: PSMASH fails, the guest is killed */
	assert_int_equal(exit_npf(BIT(31) | BIT(34) | BIT(35) | BIT(32), 0x7000), EXIT_STOP);
	assert_int_equal(split_calls, 3);
	assert_int_equal(sg->st.npf_sizem, 2);
	assert_int_equal(guest.outcome, GUEST_KILLED);
	assert_non_null(strstr(guest.detail, "cannot be split"));
}

static void test_rmp_npf_state(void **state)
{
	(void)state;
	/* private (C=1) access to the shared GHCB page: no implicit conversion */
	assert_int_equal(exit_npf(BIT(31) | BIT(34) | BIT(32) | PFERR_WRITE_MASK, GHCB_GPA),
			 EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_KILLED);
	assert_non_null(strstr(guest.detail, "gpa 0xa000"));
	assert_non_null(strstr(guest.detail, "private access to a shared page"));
	/* shared (C=0) access to a private page */
	setup(NULL);
	assert_int_equal(exit_npf(BIT(31) | BIT(32), 0x5000), EXIT_STOP);
	assert_non_null(strstr(guest.detail, "shared access to a private page"));
	snp_guest_fini(&guest);
	/* VMPL: killed with the decode */
	setup(NULL);
	assert_int_equal(exit_npf(BIT(31) | BIT(36), 0x5000), EXIT_STOP);
	assert_non_null(strstr(guest.detail, "VMPL"));
	snp_guest_fini(&guest);
	/* not an RMP fault: the ordinary NPF outcome */
	setup(NULL);
	assert_int_equal(exit_npf(BIT(32), 0x5000), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_NPF);
}

/* ---- a stateful backend: page states, conversions in GPA order that can
 * stop part-way (as gmem_convert_batch does when an RMP step fails) ---- */
#define ST_MEM (4ULL << 20) /* room for 2M entries (the PSC path reads no RAM) */
static u8 st_private[ST_MEM >> 12];
static long st_budget; /* pages the backend converts before failing; < 0: no limit */

static int st_cmp(const void *a, const void *b)
{
	const struct gmem_range *x = a, *y = b;

	return gpa_val(x->gpa) < gpa_val(y->gpa) ? -1 : gpa_val(x->gpa) > gpa_val(y->gpa);
}

static int st_psc(struct guest *g, const struct gmem_range *r, unsigned n)
{
	struct gmem_range s[PSC_MAX_ENTRIES];

	(void)g;
	psc_calls++;
	memcpy(s, r, n * sizeof(*r));
	qsort(s, n, sizeof(*s), st_cmp);
	for (unsigned i = 0; i < n; i++)
		for (u64 a = gpa_val(s[i].gpa); a < gpa_val(s[i].gpa) + s[i].size; a += PAGE_SIZE) {
			u8 want = s[i].to == GMEM_PRIVATE;

			if (st_private[a >> 12] == want)
				continue;
			if (!st_budget)
				return -EIO; /* what was converted stays converted */
			if (st_budget > 0)
				st_budget--;
			st_private[a >> 12] = want;
		}
	return 0;
}

static int st_is_shared(struct guest *g, gpa_t a)
{
	(void)g;
	if (gpa_val(a) >= ST_MEM)
		return -EFAULT;
	return st_private[gpa_val(a) >> 12] ? -EPERM : 0;
}

static u64 st_fingerprint(struct guest *g)
{
	u64 h = 1469598103934665603ULL;

	(void)g;
	for (unsigned k = 0; k < sizeof(st_private); k++)
		h = (h ^ st_private[k]) * 1099511628211ULL;
	return h;
}

static const struct snp_backend st_be = {.name = "stateful",
					 .rmp = be_rmp,
					 .psc = st_psc,
					 .is_shared = st_is_shared,
					 .fingerprint = st_fingerprint};

static struct psc_desc *st_setup(void)
{
	memset(st_private, 0, sizeof(st_private));
	st_budget = -1;
	snp_guest_of(&guest)->be = &st_be;
	register_ghcb();
	memset(gh()->shared_buffer, 0, sizeof(gh()->shared_buffer));
	return (struct psc_desc *)gh()->shared_buffer;
}

static unsigned cur_page(const struct psc_desc *d, unsigned k)
{
	return (unsigned)FIELD_GET(PSC_ENTRY_CUR_PAGE, d->entries[k]);
}

/* Item 2: a PSC through the GHCB that would make the GHCB itself private is
 * refused (PSC_ERROR_INVALID_ENTRY, nothing converted): the hypervisor's
 * answer lands in a page that is still shared. */
static void test_psc_ghcb_private_refused(void **state)
{
	struct psc_desc *d = st_setup();
	struct snp_guest *sg = snp_guest_of(&guest);

	(void)state;
	d->hdr.end_entry = 1;
	d->entries[0] = psc_entry(0x20, PSC_OP_PRIVATE, false, 0);
	d->entries[1] = psc_entry(GHCB_GPA >> 12, PSC_OP_PRIVATE, false, 0);
	assert_int_equal(psc_nae(), PSC_ERROR_INVALID_ENTRY);
	assert_int_equal(gh()->save.sw_exit_info_1, 0);
	assert_int_equal(st_private[GHCB_GPA >> 12], 0);
	assert_int_equal(st_private[0x20], 0); /* the whole request refused */
	assert_int_equal(psc_calls, 0);
	assert_int_equal(d->hdr.cur_entry, 0);
	assert_int_equal(sg->st.psc_protected, 1);
	assert_int_equal(sg->st.hv_write_refused, 0);
	assert_int_equal(guest.outcome, GUEST_RUNNING);
	/* a 2M entry over the GHCB too (ST_MEM lets it be in memory) */
	guest.mem_size = ST_MEM;
	d->hdr.cur_entry = 0;
	d->hdr.end_entry = 0;
	d->entries[0] = psc_entry(0, PSC_OP_PRIVATE, true, 0);
	assert_int_equal(psc_nae(), PSC_ERROR_INVALID_ENTRY);
	assert_int_equal(st_private[GHCB_GPA >> 12], 0);
	/* to shared is fine, and the GHCB keeps working */
	d->entries[0] = psc_entry(GHCB_GPA >> 12, PSC_OP_SHARED, false, 0);
	assert_int_equal(psc_nae(), 0);
	assert_int_equal(d->hdr.cur_entry, 1);
	/* the secrets page may not become shared (VMPCKs), through either protocol */
	st_private[SNP_SECRETS_GPA >> 12] = 1;
	d->hdr.cur_entry = 0;
	d->entries[0] = psc_entry(SNP_SECRETS_GPA >> 12, PSC_OP_SHARED, false, 0);
	assert_int_equal(psc_nae(), PSC_ERROR_INVALID_ENTRY);
	assert_int_equal(st_private[SNP_SECRETS_GPA >> 12], 1);
	guest.ghcb_msr = ghcb_msr_psc_req(SNP_SECRETS_GPA >> 12, PSC_OP_SHARED);
	put_insn(0x1000, vmgexit_b, 4);
	exit_vmmcall();
	assert_int_equal(guest.ghcb_msr >> 32, 1);
	assert_int_equal(st_private[SNP_SECRETS_GPA >> 12], 1);
	assert_int_equal(sg->st.psc_protected, 4);
	guest.mem_size = MEM_SIZE;
}

/* Item 2: every hypervisor write into an SNP guest goes through guest_write,
 * which checks the page state at the moment of the write. */
static void test_hv_write_checked(void **state)
{
	struct snp_guest *sg;
	u8 pat[16];
	u64 before;

	(void)state;
	st_setup();
	sg = snp_guest_of(&guest);
	memset(pat, 0x77, sizeof(pat));
	memset(ram(0x20000), 0x11, PAGE_SIZE);
	st_private[0x20] = 1;
	assert_int_equal(guest_write(&guest, gpa(0x20000), pat, sizeof(pat)), -EPERM);
	assert_true(page_is(0x20000, 0x11));
	/* crossing from a shared page into a private one: nothing written */
	assert_int_equal(guest_write(&guest, gpa(0x1fff8), pat, sizeof(pat)), -EPERM);
	assert_int_equal(ram(0x1fff8)[0], 0);
	assert_int_equal(hc_write(&guest, HC_GET_INFO, 0x20000, pat, 8), HC_EFAULT);
	assert_true(page_is(0x20000, 0x11));
	/* past the end of memory */
	assert_int_equal(guest_write(&guest, gpa(MEM_SIZE - 8), pat, sizeof(pat)), -EFAULT);
	/* shared now: written */
	st_private[0x20] = 0;
	assert_int_equal(guest_write(&guest, gpa(0x20000), pat, sizeof(pat)), 0);
	assert_int_equal(ram(0x20000)[0], 0x77);
	assert_int_equal(sg->st.hv_write_refused, 3);
	/* The GHCB made private through the MSR protocol (allowed: the answer
	 * goes in the MSR); the next NAE neither reads nor writes it. */
	guest.ghcb_msr = ghcb_msr_psc_req(GHCB_GPA >> 12, PSC_OP_PRIVATE);
	put_insn(0x1000, vmgexit_b, 4);
	exit_vmmcall();
	assert_int_equal(guest.ghcb_msr >> 32, 0);
	assert_int_equal(st_private[GHCB_GPA >> 12], 1);
	guest.ghcb_msr = GHCB_GPA;
	before = gh()->save.sw_exit_info_2 = 0x1234;
	gh()->save.sw_exit_code = SVM_VMGEXIT_HV_FEATURES;
	assert_int_equal(exit_vmmcall(), EXIT_STOP);
	assert_int_equal(guest.outcome, GUEST_KILLED);
	assert_int_equal(gh()->save.sw_exit_info_2, before);
}

/* Item 4: a request the backend stops part-way reports its progress as
 * 56421 4.1.6 defines it: complete entries passed (cur_entry), the 4K steps
 * of a 2M entry in its cur_page. */
static void test_psc_partial_progress(void **state)
{
	struct psc_desc *d = st_setup();
	struct snp_guest *sg = snp_guest_of(&guest);

	(void)state;
	guest.mem_size = ST_MEM;
	/* three 4K entries, the backend stops after two pages */
	d->hdr.end_entry = 2;
	d->entries[0] = psc_entry(0x20, PSC_OP_PRIVATE, false, 0);
	d->entries[1] = psc_entry(0x21, PSC_OP_PRIVATE, false, 0);
	d->entries[2] = psc_entry(0x30, PSC_OP_PRIVATE, false, 0);
	st_budget = 2;
	assert_int_equal(psc_nae(), PSC_ERROR_GENERIC);
	assert_int_equal(d->hdr.cur_entry, 2);
	assert_int_equal(cur_page(d, 0), 1);
	assert_int_equal(cur_page(d, 1), 1);
	assert_int_equal(cur_page(d, 2), 0);
	assert_int_equal(sg->st.psc_partial, 1);
	/* the guest sends it again: only the rest is done */
	st_budget = -1;
	assert_int_equal(psc_nae(), 0);
	assert_int_equal(d->hdr.cur_entry, 3);
	assert_int_equal(cur_page(d, 2), 1);
	assert_int_equal(st_private[0x30], 1);

	/* a 2M entry after a 4K one: stopped 100 pages into the 2M entry */
	memset(d, 0, sizeof(*d));
	d->hdr.end_entry = 1;
	d->entries[0] = psc_entry(0x40, PSC_OP_PRIVATE, false, 0);
	d->entries[1] = psc_entry(0x200, PSC_OP_PRIVATE, true, 0);
	st_budget = 101;
	assert_int_equal(psc_nae(), PSC_ERROR_GENERIC);
	assert_int_equal(d->hdr.cur_entry, 1);
	assert_int_equal(cur_page(d, 0), 1);
	assert_int_equal(cur_page(d, 1), 100);
	/* again, from cur_page 100: stopped after 50 more */
	st_budget = 50;
	assert_int_equal(psc_nae(), PSC_ERROR_GENERIC);
	assert_int_equal(d->hdr.cur_entry, 1);
	assert_int_equal(cur_page(d, 1), 150);
	st_budget = -1;
	assert_int_equal(psc_nae(), 0);
	assert_int_equal(d->hdr.cur_entry, 2);
	assert_int_equal(cur_page(d, 1), 512);
	for (unsigned k = 0; k < 512; k++)
		assert_int_equal(st_private[0x200 + k], 1);

	/* entry order is not GPA order: the backend (GPA order) reached entry
	 * 1's page only; entry 0 is where the request stands, entry 1 is left
	 * as it was (sending it again is harmless) */
	memset(d, 0, sizeof(*d));
	d->hdr.end_entry = 1;
	d->entries[0] = psc_entry(0x60, PSC_OP_PRIVATE, false, 0);
	d->entries[1] = psc_entry(0x50, PSC_OP_PRIVATE, false, 0);
	st_budget = 1;
	assert_int_equal(psc_nae(), PSC_ERROR_GENERIC);
	assert_int_equal(d->hdr.cur_entry, 0);
	assert_int_equal(cur_page(d, 0), 0);
	assert_int_equal(st_private[0x50], 1);
	st_budget = -1;
	assert_int_equal(psc_nae(), 0);
	assert_int_equal(d->hdr.cur_entry, 2);

	/* nothing done at all: header untouched */
	memset(d, 0, sizeof(*d));
	d->entries[0] = psc_entry(0x70, PSC_OP_PRIVATE, false, 0);
	st_budget = 0;
	assert_int_equal(psc_nae(), PSC_ERROR_GENERIC);
	assert_int_equal(d->hdr.cur_entry, 0);
	assert_int_equal(cur_page(d, 0), 0);
	guest.mem_size = MEM_SIZE;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test_setup_teardown(test_pvalidate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ud_dispatch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guest_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guest_walk_cbit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_msr_protocol, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_psc_nae, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nae_unregistered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vmgexit_hw, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vc_injection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vmmcall_nae, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guest_request_nae, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_attested_hypercall, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rmp_npf, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rmp_npf_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_psc_ghcb_private_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hv_write_checked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_psc_partial_progress, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mmio_nae_ioapic, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
