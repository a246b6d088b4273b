/* Unit tests of the pure SVM pieces: VMCB layout (APM vol 2, appendix B),
 * the initial VMCB, MSRPM/IOPM bit computation, RIP advance rules, IOIO and
 * NPF decoding, the guest CPUID policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include "hv/svm/cpuid.h"
#include "hv/abi/hypercall.h"
#include "hv/arch/x86/msr.h"
#include "hv/svm/guest_msr.h"
#include "hv/svm/svm.h"
#include "hv/svm/vcpu.h"

static void test_vmcb_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct vmcb), 4096);
	assert_int_equal(offsetof(struct vmcb, control.intercepts), 0x000);
	assert_int_equal(offsetof(struct vmcb, control.iopm_base_pa), 0x040);
	assert_int_equal(offsetof(struct vmcb, control.msrpm_base_pa), 0x048);
	assert_int_equal(offsetof(struct vmcb, control.tsc_offset), 0x050);
	assert_int_equal(offsetof(struct vmcb, control.asid), 0x058);
	assert_int_equal(offsetof(struct vmcb, control.tlb_ctl), 0x05c);
	assert_int_equal(offsetof(struct vmcb, control.int_ctl), 0x060);
	assert_int_equal(offsetof(struct vmcb, control.exit_code), 0x070);
	assert_int_equal(offsetof(struct vmcb, control.exit_info_1), 0x078);
	assert_int_equal(offsetof(struct vmcb, control.exit_info_2), 0x080);
	assert_int_equal(offsetof(struct vmcb, control.exit_int_info), 0x088);
	assert_int_equal(offsetof(struct vmcb, control.nested_ctl), 0x090);
	assert_int_equal(offsetof(struct vmcb, control.event_inj), 0x0a8);
	assert_int_equal(offsetof(struct vmcb, control.nested_cr3), 0x0b0);
	assert_int_equal(offsetof(struct vmcb, control.clean), 0x0c0);
	assert_int_equal(offsetof(struct vmcb, control.next_rip), 0x0c8);
	assert_int_equal(offsetof(struct vmcb, control.insn_len), 0x0d0);
	assert_int_equal(offsetof(struct vmcb, control.insn_bytes), 0x0d1);
	assert_int_equal(offsetof(struct vmcb, save.es), 0x400);
	assert_int_equal(offsetof(struct vmcb, save.cs), 0x410);
	assert_int_equal(offsetof(struct vmcb, save.tr), 0x490);
	assert_int_equal(offsetof(struct vmcb, save.cpl), 0x4cb);
	assert_int_equal(offsetof(struct vmcb, save.efer), 0x4d0);
	assert_int_equal(offsetof(struct vmcb, save.cr4), 0x548);
	assert_int_equal(offsetof(struct vmcb, save.cr3), 0x550);
	assert_int_equal(offsetof(struct vmcb, save.cr0), 0x558);
	assert_int_equal(offsetof(struct vmcb, save.dr7), 0x560);
	assert_int_equal(offsetof(struct vmcb, save.dr6), 0x568);
	assert_int_equal(offsetof(struct vmcb, save.rflags), 0x570);
	assert_int_equal(offsetof(struct vmcb, save.rip), 0x578);
	assert_int_equal(offsetof(struct vmcb, save.rsp), 0x5d8);
	assert_int_equal(offsetof(struct vmcb, save.rax), 0x5f8);
	assert_int_equal(offsetof(struct vmcb, save.star), 0x600);
	assert_int_equal(offsetof(struct vmcb, save.kernel_gs_base), 0x620);
	assert_int_equal(offsetof(struct vmcb, save.cr2), 0x640);
	assert_int_equal(offsetof(struct vmcb, save.g_pat), 0x668);
}

static void test_intercept_bits(void **state)
{
	struct vmcb_control_area c;

	(void)state;
	/* Linux/APM numbering: CPUID is word 3 bit 18, VMRUN word 4 bit 0 */
	assert_int_equal(INTERCEPT_CPUID, 96 + 18);
	assert_int_equal(INTERCEPT_HLT, 96 + 24);
	assert_int_equal(INTERCEPT_IOIO_PROT, 96 + 27);
	assert_int_equal(INTERCEPT_MSR_PROT, 96 + 28);
	assert_int_equal(INTERCEPT_SHUTDOWN, 96 + 31);
	assert_int_equal(INTERCEPT_VMMCALL, 128 + 1);
	assert_int_equal(INTERCEPT_XSETBV, 128 + 13);
	memset(&c, 0, sizeof(c));
	vmcb_set_intercept(&c, INTERCEPT_VMRUN);
	vmcb_set_intercept(&c, INTERCEPT_EXCEPTION_OFFSET + X86_VEC_UD);
	assert_int_equal(c.intercepts[4], 1);
	assert_int_equal(c.intercepts[2], 1u << 6);
	assert_true(vmcb_is_intercept(&c, INTERCEPT_VMRUN));
	vmcb_clr_intercept(&c, INTERCEPT_VMRUN);
	assert_false(vmcb_is_intercept(&c, INTERCEPT_VMRUN));
}

static void test_vmcb_init(void **state)
{
	static struct vmcb vmcb;
	struct vcpu_boot b = {.entry = 0x100000,
			      .boot_params = 0x1000,
			      .asid = 3,
			      .nested_cr3 = 0x7000,
			      .iopm_pa = 0x10000,
			      .msrpm_pa = 0x20000};
	unsigned must[] = {
	    INTERCEPT_CPUID,	INTERCEPT_HLT,	    INTERCEPT_IOIO_PROT,
	    INTERCEPT_MSR_PROT, INTERCEPT_SHUTDOWN, INTERCEPT_VMRUN,
	    INTERCEPT_VMMCALL,	INTERCEPT_INTR,	    INTERCEPT_VMLOAD,
	    INTERCEPT_VMSAVE,	INTERCEPT_XSETBV,   INTERCEPT_EXCEPTION_OFFSET + X86_VEC_UD};

	(void)state;
	memset(&vmcb, 0xaa, sizeof(vmcb));
	vmcb_init(&vmcb, &b);
	for (unsigned i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		assert_true(vmcb_is_intercept(&vmcb.control, must[i]));
	assert_int_equal(vmcb.control.asid, 3);
	assert_int_equal(vmcb.control.nested_ctl, SVM_NESTED_CTL_NP_ENABLE);
	assert_int_equal(vmcb.control.nested_cr3, 0x7000);
	assert_int_equal(vmcb.control.iopm_base_pa, 0x10000);
	assert_int_equal(vmcb.control.msrpm_base_pa, 0x20000);
	assert_int_equal(vmcb.control.int_ctl, V_INTR_MASKING_MASK);
	assert_int_equal(vmcb.control.event_inj, 0);
	assert_int_equal(vmcb.save.rip, 0x100000);
	assert_int_equal(vmcb.save.efer, EFER_SVME);
	assert_int_equal(vmcb.save.cr0 & 1, 1);	  /* protected mode */
	assert_int_equal(vmcb.save.cr0 >> 31, 0); /* paging off */
	assert_int_equal(vmcb.save.cs.attrib, 0xc9b);
	assert_int_equal(vmcb.save.ds.attrib, 0xc93);
	assert_int_equal(vmcb.save.cs.limit, 0xffffffff);
	assert_int_equal(vmcb.save.rflags, 2);
	assert_int_equal(vmcb.save.g_pat, 0x0007040600070406ULL);
	assert_int_equal(vmcb.save.reserved_0xa0[0], 0); /* reserved fields cleared */
}

static void test_msrpm_offsets(void **state)
{
	u32 byte;
	unsigned bit;

	(void)state;
	assert_int_equal(msrpm_offset(0, &byte, &bit), 0);
	assert_int_equal(byte, 0);
	assert_int_equal(bit, 0);
	assert_int_equal(msrpm_offset(0x1fff, &byte, &bit), 0);
	assert_int_equal(byte, 0x7ff);
	assert_int_equal(bit, 6);
	assert_int_equal(msrpm_offset(0xc0000000, &byte, &bit), 0);
	assert_int_equal(byte, 0x800);
	assert_int_equal(bit, 0);
	assert_int_equal(msrpm_offset(0xc0000080, &byte, &bit), 0); /* EFER */
	assert_int_equal(byte, 0x820);
	assert_int_equal(bit, 0);
	assert_int_equal(msrpm_offset(0xc0000101, &byte, &bit), 0);
	assert_int_equal(byte, 0x840);
	assert_int_equal(bit, 2);
	assert_int_equal(msrpm_offset(0xc0010131, &byte, &bit), 0); /* SEV_STATUS */
	assert_int_equal(byte, 0x104c);
	assert_int_equal(bit, 2);
	assert_int_equal(msrpm_offset(0xc0011fff, &byte, &bit), 0);
	assert_int_equal(byte, 0x17ff);
	assert_int_equal(bit, 6);
	assert_int_equal(msrpm_offset(0x2000, &byte, &bit), -ERANGE);
	assert_int_equal(msrpm_offset(0xbfffffff, &byte, &bit), -ERANGE);
	assert_int_equal(msrpm_offset(0xc0002000, &byte, &bit), -ERANGE);
	assert_int_equal(msrpm_offset(0xc0012000, &byte, &bit), -ERANGE);
	assert_int_equal(msrpm_offset(0xffffffff, &byte, &bit), -ERANGE);
}

static void test_msrpm_build(void **state)
{
	static u8 pm[SVM_MSRPM_SIZE];

	(void)state;
	memset(pm, 0, sizeof(pm));
	assert_int_equal(msrpm_set(pm, 0xc0000080, true, false), 0);
	assert_int_equal(pm[0x820], 0x1);
	assert_int_equal(msrpm_set(pm, 0xc0000080, false, true), 0);
	assert_int_equal(pm[0x820], 0x2);
	assert_int_equal(msrpm_set(pm, 0x3000, true, true), -ERANGE);
	msrpm_build(pm);
	assert_true(msrpm_test(pm, MSR_EFER, false));
	assert_true(msrpm_test(pm, MSR_EFER, true));
	assert_true(msrpm_test(pm, 0x10, false)); /* TSC */
	assert_true(msrpm_test(pm, MSR_AMD64_SEV, false));
	assert_false(msrpm_test(pm, MSR_FS_BASE, false));
	assert_false(msrpm_test(pm, MSR_FS_BASE, true));
	assert_false(msrpm_test(pm, MSR_KERNEL_GS_BASE, true));
	assert_false(msrpm_test(pm, MSR_IA32_SYSENTER_EIP, false));
	assert_true(msrpm_test(pm, 0x80000000, false)); /* outside: always exits */
	assert_int_equal(pm[0x1800], 0xff);		/* reserved tail all ones */
}

static void test_iopm(void **state)
{
	static u8 io[SVM_IOPM_SIZE];

	(void)state;
	memset(io, 0, sizeof(io));
	iopm_set(io, 0x3f8, true);
	assert_int_equal(io[0x7f], 1);
	assert_true(iopm_test(io, 0x3f8));
	assert_false(iopm_test(io, 0x3f9));
	iopm_set(io, 0xffff, true);
	assert_int_equal(io[0x1fff], 0x80);
	iopm_set(io, 0x3f8, false);
	assert_false(iopm_test(io, 0x3f8));
}

static void test_next_rip(void **state)
{
	static struct vmcb vmcb;
	u64 next;

	(void)state;
	memset(&vmcb, 0, sizeof(vmcb));
	vmcb.save.rip = 0x1000;
	vmcb.control.exit_code = SVM_EXIT_CPUID;
	assert_int_equal(svm_next_rip(&vmcb, false, &next), 0);
	assert_int_equal(next, 0x1002);
	vmcb.control.exit_code = SVM_EXIT_VMMCALL;
	assert_int_equal(svm_next_rip(&vmcb, false, &next), 0);
	assert_int_equal(next, 0x1003);
	vmcb.control.exit_code = SVM_EXIT_HLT;
	assert_int_equal(svm_next_rip(&vmcb, false, &next), 0);
	assert_int_equal(next, 0x1001);
	vmcb.control.exit_code = SVM_EXIT_MSR;
	assert_int_equal(svm_next_rip(&vmcb, false, &next), 0);
	assert_int_equal(next, 0x1002);
	vmcb.control.exit_code = SVM_EXIT_IOIO;
	vmcb.control.exit_info_2 = 0x1001;
	assert_int_equal(svm_next_rip(&vmcb, false, &next), 0);
	assert_int_equal(next, 0x1001);
	vmcb.control.exit_code = SVM_EXIT_NPF;
	assert_int_equal(svm_next_rip(&vmcb, false, &next), -EINVAL);
	/* NRIP save present: next_rip wins; absent (0) falls back */
	vmcb.control.exit_code = SVM_EXIT_CPUID;
	vmcb.control.next_rip = 0x1005;
	assert_int_equal(svm_next_rip(&vmcb, true, &next), 0);
	assert_int_equal(next, 0x1005);
	assert_int_equal(svm_next_rip(&vmcb, false, &next), 0);
	assert_int_equal(next, 0x1002);
	vmcb.control.next_rip = 0;
	assert_int_equal(svm_next_rip(&vmcb, true, &next), 0);
	assert_int_equal(next, 0x1002);
}

static void test_ioio_decode(void **state)
{
	struct svm_ioio io;

	(void)state;
	/* in al, dx with dx = 0x3fd: port<<16 | SZ8 | A16? | TYPE */
	io = svm_ioio_decode(0x03fd0011);
	assert_int_equal(io.port, 0x3fd);
	assert_int_equal(io.size, 1);
	assert_true(io.in);
	assert_false(io.str);
	/* out dx, eax to 0xcf8 */
	io = svm_ioio_decode(0x0cf80040);
	assert_int_equal(io.port, 0xcf8);
	assert_int_equal(io.size, 4);
	assert_false(io.in);
	/* rep outsw, 64-bit addresses */
	io = svm_ioio_decode(0x00800000ULL | 0x20 | 0x8 | 0x4 | 0x200);
	assert_int_equal(io.port, 0x80);
	assert_int_equal(io.size, 2);
	assert_true(io.str);
	assert_true(io.rep);
	assert_int_equal(svm_ioio_decode(0x10000070).size, 0); /* two sizes: invalid */
	assert_int_equal(svm_ioio_encode(0xf4, 1, false), 0x00f40010);
	assert_int_equal(svm_ioio_encode(0x3fd, 1, true), 0x03fd0011);
}

static void test_npf_decode(void **state)
{
	struct svm_npf f;

	(void)state;
	f = svm_npf_decode(PFERR_GUEST_FINAL_MASK | PFERR_WRITE_MASK | PFERR_USER_MASK, 0x40000000);
	assert_int_equal(f.gpa, 0x40000000);
	assert_true(f.final);
	assert_false(f.in_walk);
	assert_true(f.write);
	assert_false(f.present);
	f = svm_npf_decode(PFERR_GUEST_PAGE_MASK | PFERR_WRITE_MASK | PFERR_PRESENT_MASK, 0x5000);
	assert_true(f.in_walk);
	assert_false(f.final);
	assert_true(f.present);
	f = svm_npf_decode(PFERR_GUEST_FINAL_MASK | PFERR_FETCH_MASK, 0x123456000ULL);
	assert_true(f.fetch);
	assert_int_equal(f.gpa, 0x123456000ULL);
}

/* ---- CPUID policy against a fake EPYC-like host ---- */
static u32 fake_max_ext = 0x8000001e;

static void fake_host(u32 leaf, u32 sub, struct cpuid_res *r)
{
	(void)sub;
	memset(r, 0, sizeof(*r));
	switch (leaf) {
	case 0:
		r->eax = 0x10;
		r->ebx = 0x68747541; /* "Auth" */
		break;
	case 1:
		r->eax = 0x00830f10;
		r->ebx = 0x00040800;
		r->ecx = 0x7ed8320b | CPUID_1_ECX_XSAVE | CPUID_1_ECX_AVX;
		r->edx = 0x178bfbff;
		break;
	case 7:
		r->ebx = 0x219c91a9;
		break;
	case 0xd:
		r->eax = 7;
		break;
	case 0x80000000:
		r->eax = fake_max_ext;
		break;
	case 0x80000001:
		r->ecx = 0x75c237ff; /* SVM bit 2 set */
		break;
	case 0x80000008:
		r->eax = 0x3028;
		break;
	case 0x8000000a:
		r->eax = 1;
		r->ebx = 16;
		r->edx = 1;
		break;
	default: /* like QEMU beyond the max: another leaf's data */
		r->eax = 0x1234567;
		break;
	}
}

static void test_cpuid_policy(void **state)
{
	struct cpuid_policy p = {.snp = false, .host = fake_host};
	struct cpuid_res r;

	(void)state;
	cpuid_guest(&p, 0, 0, &r);
	assert_int_equal(r.eax, 0xd);
	assert_int_equal(r.ebx, 0x68747541);
	cpuid_guest(&p, 1, 0, &r);
	assert_true(r.ecx & CPUID_1_ECX_HYPERVISOR);
	assert_false(r.ecx & CPUID_1_ECX_XSAVE);
	assert_false(r.ecx & CPUID_1_ECX_AVX);
	assert_false(r.edx & CPUID_1_EDX_APIC);
	assert_int_equal(r.eax, 0x00830f10);
	cpuid_guest(&p, 7, 0, &r);
	assert_false(r.ebx & CPUID_7_EBX_AVX2);
	cpuid_guest(&p, 0xd, 0, &r);
	assert_int_equal(r.eax, 0);
	cpuid_guest(&p, 0xe, 0, &r); /* beyond the guest's max basic leaf */
	assert_int_equal(r.eax, 0);
	cpuid_guest(&p, 0x80000001, 0, &r);
	assert_false(r.ecx & BIT(2));
	assert_int_equal(r.ecx, 0x75c237ff & ~4u);
	cpuid_guest(&p, 0x8000000a, 0, &r);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	cpuid_guest(&p, 0x80000008, 0, &r);
	assert_int_equal(r.eax, 0x3028);
	cpuid_guest(&p, 0x80000000, 0, &r);
	assert_int_equal(r.eax, 0x8000001e);
	cpuid_guest(&p, 0x8000001f, 0, &r);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	cpuid_guest(&p, HC_CPUID_BASE, 0, &r);
	assert_int_equal(r.eax, HC_CPUID_INFO);
	assert_memory_equal(&r.ebx, "snpv", 4);
	assert_memory_equal(&r.ecx, "isor", 4);
	assert_int_equal(r.edx, 0);
	cpuid_guest(&p, HC_CPUID_INFO, 0, &r);
	assert_int_equal(r.eax, HC_ABI_VERSION);
	assert_int_equal(r.ebx, 0);
	cpuid_guest(&p, 0x40000002, 0, &r);
	assert_int_equal(r.eax, 0);
}

static void test_cpuid_snp(void **state)
{
	struct cpuid_policy p = {.snp = true, .host = fake_host};
	struct cpuid_res r;

	(void)state;
	cpuid_guest(&p, 0x80000000, 0, &r);
	assert_int_equal(r.eax, 0x8000001f);
	cpuid_guest(&p, 0x8000001f, 0, &r);
	assert_int_equal(r.eax, CPUID_SEV_EAX_SEV | CPUID_SEV_EAX_SEV_ES | CPUID_SEV_EAX_SNP);
	assert_int_equal(r.ebx & 0x3f, GUEST_CBIT);
	assert_int_equal(r.ebx, 52); /* the emulated C-bit, docs/guest-abi.md "C-bit" */
	/* on the hardware platform the processor's position is reported */
	guest_cbit_pos = 51;
	cpuid_guest(&p, 0x8000001f, 0, &r);
	assert_int_equal(r.ebx & 0x3f, 51);
	guest_cbit_pos = GUEST_CBIT;
	cpuid_guest(&p, HC_CPUID_INFO, 0, &r);
	assert_int_equal(r.ebx, HC_INFO_F_SNP);
	/* a host with a lower maximum: leaves in between read as zeros */
	fake_max_ext = 0x80000008;
	cpuid_guest(&p, 0x80000010, 0, &r);
	assert_int_equal(r.eax, 0);
	cpuid_guest(&p, 0x8000001f, 0, &r);
	assert_int_equal(r.ebx, 52); /* the emulated C-bit, docs/guest-abi.md "C-bit" */
	p.snp = false;
	cpuid_guest(&p, 0x80000000, 0, &r);
	assert_int_equal(r.eax, 0x80000008);
	fake_max_ext = 0x8000001e;
}

/* MOV to CR3 under the SNP emulation: the C-bit (52) is legal although it
 * lies above the 40-bit physical address width; other high bits #GP. */
static void test_snp_cr3_write(void **state)
{
	const u64 c = 1ULL << 52;
	u64 g = 0, hw = 0;

	(void)state;
	/* Linux's startup_64: early_top_pgt | sme_me_mask */
	assert_int_equal(snp_cr3_write(0x47bc000 | c, true, false, 40, 52, &g, &hw), 0);
	assert_true(g == (0x47bc000 | c));
	assert_true(hw == 0x47bc000);
	/* without the C-bit (native_flush_tlb_local writes back what it read) */
	assert_int_equal(snp_cr3_write(0x2000, true, false, 40, 52, &g, &hw), 0);
	assert_true(g == 0x2000 && hw == 0x2000);
	/* reserved bits: 40, 51, 53, 63 without PCIDE */
	assert_int_equal(snp_cr3_write(1ULL << 40, true, false, 40, 52, &g, &hw), -EINVAL);
	assert_int_equal(snp_cr3_write(1ULL << 51, true, false, 40, 52, &g, &hw), -EINVAL);
	assert_int_equal(snp_cr3_write(1ULL << 53, true, false, 40, 52, &g, &hw), -EINVAL);
	assert_int_equal(snp_cr3_write(1ULL << 63, true, false, 40, 52, &g, &hw), -EINVAL);
	assert_true(g == 0x2000 && hw == 0x2000); /* unchanged on #GP */
	/* PCIDE: bit 63 is the no-flush hint, not stored; PCID bits kept */
	assert_int_equal(snp_cr3_write((1ULL << 63) | c | 0x3000 | 5, true, true, 40, 52, &g, &hw),
			 0);
	assert_true(g == (c | 0x3000 | 5) && hw == (0x3000 | 5));
	/* outside long mode: 32 bits, nothing above is looked at */
	assert_int_equal(snp_cr3_write(c | 0x1000, false, false, 40, 52, &g, &hw), 0);
	assert_true(g == 0x1000 && hw == 0x1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vmcb_layout), cmocka_unit_test(test_intercept_bits),
	    cmocka_unit_test(test_vmcb_init),	cmocka_unit_test(test_msrpm_offsets),
	    cmocka_unit_test(test_msrpm_build), cmocka_unit_test(test_iopm),
	    cmocka_unit_test(test_next_rip),	cmocka_unit_test(test_ioio_decode),
	    cmocka_unit_test(test_npf_decode),	cmocka_unit_test(test_cpuid_policy),
	    cmocka_unit_test(test_cpuid_snp),	cmocka_unit_test(test_snp_cr3_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
