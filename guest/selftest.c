/* selftest: the guest-visible contract of the hypervisor (docs/guest-abi.md):
 * CPUID policy, MSR emulation and #GP, #UD delivery through the guest's own
 * IDT, the serial port, FPU/SSE state across exits, hypercalls. */
#include "hv/arch/x86/msr.h"
#include "lib/guest.h"

static void test_cpuid(bool snp)
{
	struct cpuid_out r = cpuid2(0x80000001, 0), h = cpuid2(0x40000000, 0), m;
	char sig[13];

	EXPECT("cpuid.svm_hidden", !(r.ecx & (1u << 2)));
	r = cpuid2(0x8000000a, 0);
	EXPECT("cpuid.svm_leaf_zero", (r.eax | r.ebx | r.ecx | r.edx) == 0);
	r = cpuid2(1, 0);
	EXPECT("cpuid.hypervisor_bit", r.ecx & (1u << 31));
	EXPECT("cpuid.xsave_hidden", !(r.ecx & (1u << 26)));
	memcpy(sig, &h.ebx, 4);
	memcpy(sig + 4, &h.ecx, 4);
	memcpy(sig + 8, &h.edx, 4);
	sig[12] = 0;
	guest_test("cpuid.vendor_leaf", !memcmp(sig, "snpvisor", 9) && h.eax >= 0x40000001,
		   "signature '%s' max 0x%x", sig, h.eax);
	r = cpuid2(0x40000001, 0);
	EXPECT_EQ("cpuid.abi_version", r.eax, HC_ABI_VERSION);
	m = cpuid2(0x80000000, 0);
	r = cpuid2(0x8000001f, 0);
	if (snp) {
		EXPECT("cpuid.sev_leaf_max", m.eax >= 0x8000001f);
		EXPECT_EQ("cpuid.sev_leaf_snp", r.eax & 0x1a, 0x1a);
		uint64_t cr3, *pml4, *pdpt, *pd, c;

		/* one C-bit everywhere: CPUID, the boot params (HC_GET_INFO),
		 * and the launched boot tables' entries (docs/guest-abi.md) */
		EXPECT_EQ("cpuid.cbit", r.ebx & 0x3f, boot_info()->cbit);
		c = 1ULL << (r.ebx & 0x3f);
		asm volatile("mov %%cr3, %0" : "=r"(cr3));
		pml4 = (uint64_t *)(uintptr_t)(cr3 & 0xffffffffff000ULL & ~c);
		pdpt = (uint64_t *)(uintptr_t)(pml4[0] & 0xffffffffff000ULL & ~c);
		pd = (uint64_t *)(uintptr_t)(pdpt[0] & 0xffffffffff000ULL & ~c);
		guest_test("boot_tables.cbit",
			   (pml4[0] & c) && (pdpt[0] & c) && (pd[0] & c) && (pd[511] & c),
			   "pml4e 0x%llx pdpte 0x%llx pde 0x%llx, C-bit %u",
			   (unsigned long long)pml4[0], (unsigned long long)pdpt[0],
			   (unsigned long long)pd[0], r.ebx & 0x3f);
	} else {
		EXPECT("cpuid.no_sev_leaf", m.eax < 0x8000001f && r.eax == 0);
	}
}

static void test_msr(bool snp)
{
	uint64_t v = 0;
	int vec;

	vec = rdmsr_safe(0x4b564d00, &v);
	EXPECT_EQ("msr.unknown_read_gp", vec, 13);
	vec = wrmsr_safe(0x12345, 1);
	EXPECT_EQ("msr.unknown_write_gp", vec, 13);
	vec = rdmsr_safe(MSR_AMD64_SEV, &v);
	EXPECT_EQ("msr.sev_status_readable", vec, 0);
	EXPECT_EQ("msr.sev_status", v, snp ? 7 : 0);
	vec = rdmsr_safe(MSR_EFER, &v);
	guest_test("msr.efer",
		   vec == 0 && (v & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA) &&
		       !(v & EFER_SVME),
		   "EFER 0x%llx (LME|LMA set, SVME hidden)", (unsigned long long)v);
	EXPECT_EQ("msr.pat_bad_type_gp", wrmsr_safe(MSR_IA32_CR_PAT, 0x0202020202020202ULL), 13);
	EXPECT_EQ("msr.pat_write", wrmsr_safe(MSR_IA32_CR_PAT, 0x0007040600070406ULL), 0);
}

static void test_exceptions(void)
{
	EXPECT_EQ("idt.ud_delivered", ud2_safe(), 6);
}

static void test_ports(void)
{
	EXPECT_EQ("io.lsr_tx_empty", inb(0x3fd) & 0x60, 0x60);
	EXPECT_EQ("io.unclaimed_read_ones", inb(0x2f8), 0xff);
	printf("selftest: serial output works\n");
}

/* Distinctive values in all 16 XMM registers and MXCSR, 1000 CPUID exits in
 * between, then compare: the hypervisor's own code (newlib) may use SSE. */
static void test_fpu(void)
{
	static uint64_t in[32] __attribute__((aligned(16))), out[32] __attribute__((aligned(16)));
	uint32_t mx_in = 0x7f80, mx_out = 0; /* round toward zero, all masked */
	int bad = -1;

	for (int i = 0; i < 32; i++)
		in[i] = 0x0123456789abcdefULL * (uint64_t)(i + 1) ^ 0x5a5a000000000000ULL;
	asm volatile("ldmxcsr %[mi]\n\t"
		     "movdqa 0x00(%[in]), %%xmm0\n\t movdqa 0x10(%[in]), %%xmm1\n\t"
		     "movdqa 0x20(%[in]), %%xmm2\n\t movdqa 0x30(%[in]), %%xmm3\n\t"
		     "movdqa 0x40(%[in]), %%xmm4\n\t movdqa 0x50(%[in]), %%xmm5\n\t"
		     "movdqa 0x60(%[in]), %%xmm6\n\t movdqa 0x70(%[in]), %%xmm7\n\t"
		     "movdqa 0x80(%[in]), %%xmm8\n\t movdqa 0x90(%[in]), %%xmm9\n\t"
		     "movdqa 0xa0(%[in]), %%xmm10\n\t movdqa 0xb0(%[in]), %%xmm11\n\t"
		     "movdqa 0xc0(%[in]), %%xmm12\n\t movdqa 0xd0(%[in]), %%xmm13\n\t"
		     "movdqa 0xe0(%[in]), %%xmm14\n\t movdqa 0xf0(%[in]), %%xmm15\n\t"
		     "mov $1000, %%r8d\n"
		     "1:\tmov $1, %%eax\n\t xor %%ecx, %%ecx\n\t cpuid\n\t dec %%r8d\n\t jnz 1b\n\t"
		     "movdqa %%xmm0, 0x00(%[out])\n\t movdqa %%xmm1, 0x10(%[out])\n\t"
		     "movdqa %%xmm2, 0x20(%[out])\n\t movdqa %%xmm3, 0x30(%[out])\n\t"
		     "movdqa %%xmm4, 0x40(%[out])\n\t movdqa %%xmm5, 0x50(%[out])\n\t"
		     "movdqa %%xmm6, 0x60(%[out])\n\t movdqa %%xmm7, 0x70(%[out])\n\t"
		     "movdqa %%xmm8, 0x80(%[out])\n\t movdqa %%xmm9, 0x90(%[out])\n\t"
		     "movdqa %%xmm10, 0xa0(%[out])\n\t movdqa %%xmm11, 0xb0(%[out])\n\t"
		     "movdqa %%xmm12, 0xc0(%[out])\n\t movdqa %%xmm13, 0xd0(%[out])\n\t"
		     "movdqa %%xmm14, 0xe0(%[out])\n\t movdqa %%xmm15, 0xf0(%[out])\n\t"
		     "stmxcsr %[mo]"
		     : [mo] "=m"(mx_out)
		     : [in] "r"(in), [out] "r"(out), [mi] "m"(mx_in)
		     : "rax", "rbx", "rcx", "rdx", "r8", "memory", "xmm0", "xmm1", "xmm2", "xmm3",
		       "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
		       "xmm13", "xmm14", "xmm15");
	for (int i = 0; i < 32 && bad < 0; i++)
		if (in[i] != out[i])
			bad = i;
	guest_test("fpu.xmm_survive_1000_exits", bad < 0, "first differing qword %d", bad);
	EXPECT_EQ("fpu.mxcsr_survives", mx_out, mx_in);
}

static void test_hypercalls(void)
{
	static struct hc_info info;
	static const char msg[] = "selftest: hello through HC_PUTS\n";
	const struct hc_info *bp = boot_info();
	int64_t r;

	r = hc_get_info(&info);
	EXPECT_EQ("hc.get_info_size", r, sizeof(info));
	EXPECT("hc.get_info_matches_boot_params", !memcmp(&info, bp, sizeof(info)));
	EXPECT("hc.get_info_name", info.name[0] != 0);
	EXPECT_EQ("hc.puts", hc_puts(msg, sizeof(msg) - 1), sizeof(msg) - 1);
	EXPECT_EQ("hc.puts_bad_gpa", hc_puts((const char *)(uintptr_t)(info.mem_size - 4), 64),
		  (uint64_t)HC_EFAULT);
	EXPECT_EQ("hc.puts_huge_gpa", hc_puts((const char *)~0ULL, 8), (uint64_t)HC_EFAULT);
	EXPECT_EQ("hc.puts_too_long", hc_puts(msg, HC_PUTS_MAX + 1), (uint64_t)HC_EINVAL);
	EXPECT_EQ("hc.get_info_bad_gpa",
		  hypercall(HC_GET_INFO, info.mem_size - 8, sizeof(info), 0, 0),
		  (uint64_t)HC_EFAULT);
	EXPECT_EQ("hc.test_result_bad_name", hypercall(HC_TEST_RESULT, 1ULL << 40, 1, 0, 0),
		  (uint64_t)HC_EFAULT);
	EXPECT_EQ("hc.unknown", hypercall(0x777, 0, 0, 0, 0), (uint64_t)HC_ENOSYS);
	EXPECT_EQ("hc.yield", hc_yield(), 0);
}

int main(void)
{
	bool snp = boot_info()->flags & HC_INFO_F_SNP;

	printf("selftest: guest %s, SNP %s\n", boot_info()->name, snp ? "on" : "off");
	test_ports();
	test_cpuid(snp);
	test_msr(snp);
	test_exceptions();
	test_fpu();
	test_hypercalls();
	printf("selftest: %u failed\n", guest_tests_failed());
	return 0;
}
