/* Unit tests of hv/svm/vmsa.c (the SEV-ES/SNP VMSA and the boot-state builder)
 * and of snp-measure --vmsa-boot: the layout, the builder against the VMCB
 * state hv/svm/vcpu.c gives non-SNP guests, measurement sensitivity, golden
 * digests from the independent tests/measure/reference.py (which builds
 * the VMSA bytes itself), and live cross-checks of the tool against it
 * through popen (skipped without python3 or the tool). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hv/svm/svm.h"
#include "hv/svm/vcpu.h"
#include "snp/measure.h"
#include "hv/svm/vmsa.h"

/* reference.py --vmsa-boot 0x100000:0x1000 (SEV features default 1) */
#define GOLDEN_VMSA                                                                                \
	"8b2ff2a1c7dcf5e019886f47927c15be12d857cc8582c217"                                         \
	"3f4c318bd8631e4f3674c837ea43efc23b995f93d8a938ea"
/* reference.py --image tests/measure/sample.txt --load 0x100000 --vmsa-boot 0x100000:0x1000 */
#define GOLDEN_IMAGE_VMSA                                                                          \
	"7171ab97555f02810659db95d4ca23d5f1476e6f2dfa3327"                                         \
	"ed53f57dc6abe99c00ea9e440d3b80bb90e65f33837086e1"

static char tool[1024];
static const char *root;

static u64 rd64(const u8 *p, size_t off)
{
	u64 v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static void test_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct sev_es_save_area), 0x670);
	assert_int_equal(offsetof(struct sev_es_save_area, cs), 0x10);
	assert_int_equal(offsetof(struct sev_es_save_area, tr), 0x90);
	assert_int_equal(offsetof(struct sev_es_save_area, vmpl), 0xca);
	assert_int_equal(offsetof(struct sev_es_save_area, efer), 0xd0);
	assert_int_equal(offsetof(struct sev_es_save_area, cr4), 0x148);
	assert_int_equal(offsetof(struct sev_es_save_area, cr0), 0x158);
	assert_int_equal(offsetof(struct sev_es_save_area, rip), 0x178);
	assert_int_equal(offsetof(struct sev_es_save_area, rsp), 0x1d8);
	assert_int_equal(offsetof(struct sev_es_save_area, rax), 0x1f8);
	assert_int_equal(offsetof(struct sev_es_save_area, g_pat), 0x268);
	assert_int_equal(offsetof(struct sev_es_save_area, rcx), 0x308);
	assert_int_equal(offsetof(struct sev_es_save_area, rbx), 0x318);
	assert_int_equal(offsetof(struct sev_es_save_area, r15), 0x378);
	assert_int_equal(offsetof(struct sev_es_save_area, sev_features), 0x3b0);
	assert_int_equal(offsetof(struct sev_es_save_area, xcr0), 0x3e8);
	assert_int_equal(offsetof(struct sev_es_save_area, mxcsr), 0x408);
	assert_int_equal(offsetof(struct sev_es_save_area, x87_fcw), 0x410);
	assert_int_equal(offsetof(struct sev_es_save_area, fpreg_ymm) + 256, 0x670);
	/* the VMSA shares the first 0xa0 bytes (segments) with the VMCB save
	 * area, and efer..rip, rsp, rax..cr2 and g_pat at the same offsets */
	assert_int_equal(offsetof(struct vmcb_save_area, efer), 0xd0);
	assert_int_equal(offsetof(struct vmcb_save_area, g_pat), 0x268);
	assert_int_equal(SVM_SEV_FEAT_SNP_ACTIVE, 1);
}

/* Field by field: the builder's state is the VMCB state vmcb_init() gives,
 * plus RBX and the FPU reset of vcpu_init() (docs/guest-abi.md). */
static void test_builder_matches_vmcb(void **state)
{
	static struct vmcb vmcb;
	struct vcpu_boot b = {.entry = 0x123000, .boot_params = 0x1000, .asid = 1};
	struct sev_es_save_area v;
	const struct vmcb_save_area *s = &vmcb.save;
	u8 fpu[VCPU_FPU_SIZE];
	u16 fcw;
	u32 mxcsr;

	(void)state;
	memset(&v, 0xa5, sizeof(v));
	vmsa_build_boot(&v, b.entry, b.boot_params, SVM_SEV_FEAT_SNP_ACTIVE);
	vmcb_init(&vmcb, &b);
	/* the ten segment registers, byte for byte */
	assert_memory_equal(&v, s, offsetof(struct sev_es_save_area, pl0_ssp));
	assert_int_equal(v.cpl, s->cpl);
	assert_int_equal(v.vmpl, 0);
	assert_int_equal(v.efer, s->efer);
	assert_int_equal(v.efer, 0x1000); /* SVME only: LME/LMA/NXE clear */
	assert_int_equal(v.cr0, s->cr0);
	assert_int_equal(v.cr0, 0x31);
	assert_int_equal(v.cr3, s->cr3);
	assert_int_equal(v.cr4, s->cr4);
	assert_int_equal(v.dr6, s->dr6);
	assert_int_equal(v.dr7, s->dr7);
	assert_int_equal(v.rflags, s->rflags);
	assert_int_equal(v.rip, 0x123000);
	assert_int_equal(v.rip, s->rip);
	assert_int_equal(v.rsp, 0);
	assert_int_equal(v.rax, 0);
	assert_int_equal(v.g_pat, s->g_pat);
	assert_int_equal(v.cs.selector, 0x08);
	assert_int_equal(v.cs.attrib, 0xc9b);
	assert_int_equal(v.ss.attrib, 0xc93);
	assert_int_equal(v.ds.limit, 0xffffffff);
	assert_int_equal(v.gdtr.limit, 0);
	assert_int_equal(v.idtr.limit, 0);
	assert_int_equal(v.tr.attrib, 0x8b);
	/* GPRs: EBX = boot params, all others zero */
	assert_int_equal(v.rbx, 0x1000);
	assert_int_equal(v.rcx | v.rdx | v.rbp | v.rsi | v.rdi | v.r8 | v.r9 | v.r10 | v.r11 |
			     v.r12 | v.r13 | v.r14 | v.r15,
			 0);
	assert_int_equal(v.sev_features, SVM_SEV_FEAT_SNP_ACTIVE);
	assert_int_equal(v.xcr0, 1);
	fpu_init_image(fpu);
	memcpy(&fcw, fpu + 0, sizeof(fcw));
	memcpy(&mxcsr, fpu + 24, sizeof(mxcsr));
	assert_int_equal(v.x87_fcw, fcw);
	assert_int_equal(v.mxcsr, mxcsr);
	assert_int_equal(v.x87_ftw, 0);
	/* nothing else is set: the exit, interrupt and reserved fields are 0 */
	assert_int_equal(v.guest_exit_code | v.guest_exit_info_1 | v.event_inj | v.vintr_ctrl |
			     v.virtual_tom | v.xss | v.u_cet | v.pkru,
			 0);
}

/* SNP guests: the 64-bit boot VMSA and the emulated VMCB built from it
 * (hv/svm/vcpu.c vmcb_load_vmsa) agree field by field; the boot page tables map
 * [0, 4 GiB) one to one. */
static void test_builder64_matches_vmcb(void **state)
{
	static struct vmcb vmcb;
	static struct vcpu vcpu;
	static u8 page[PAGE_SIZE], tables[SNP_BOOT_PT_PAGES * PAGE_SIZE];
	struct vcpu_boot b = {.entry = 0x123000, .boot_params = 0x1000, .asid = 1};
	const struct sev_es_save_area *v = (const struct sev_es_save_area *)page;
	const struct vmcb_save_area *s;
	const u64 *t = (const u64 *)tables;

	(void)state;
	memset(page, 0xa5, sizeof(page));
	vmsa_page_build_boot64(page, b.entry, b.boot_params, SVM_SEV_FEAT_SNP_ACTIVE);
	for (size_t i = sizeof(*v); i < PAGE_SIZE; i++)
		assert_int_equal(page[i], 0);
	vcpu.vmcb = &vmcb;
	vcpu_init_from_vmsa(&vcpu, &b, v);
	s = &vmcb.save;
	assert_memory_equal(v, s, offsetof(struct sev_es_save_area, pl0_ssp));
	assert_int_equal(v->cpl, s->cpl);
	assert_int_equal(v->efer, s->efer);
	assert_int_equal(v->efer, 0x1500); /* LME | LMA | SVME */
	assert_int_equal(v->cr0, s->cr0);
	assert_int_equal(v->cr0, 0x80010033);
	assert_int_equal(v->cr3, s->cr3);
	assert_int_equal(v->cr3, SNP_BOOT_PT_GPA);
	assert_int_equal(v->cr4, s->cr4);
	assert_int_equal(v->cr4, 0x620);
	assert_int_equal(v->dr6, s->dr6);
	assert_int_equal(v->dr7, s->dr7);
	assert_int_equal(v->rflags, s->rflags);
	assert_int_equal(v->rip, 0x123000 + SNP_ENTRY64_OFFSET);
	assert_int_equal(v->rip, s->rip);
	assert_int_equal(v->rsp, s->rsp);
	assert_int_equal(v->rax, s->rax);
	assert_int_equal(v->g_pat, s->g_pat);
	assert_int_equal(v->cs.attrib, 0xa9b);
	assert_int_equal(v->ss.attrib, 0xc93);
	assert_int_equal(v->rbx, 0x1000);
	assert_int_equal(vcpu.regs.rbx, v->rbx);
	assert_int_equal(v->sev_features, SVM_SEV_FEAT_SNP_ACTIVE);
	/* the emulation's intercepts and NPT set-up are those of vcpu_init */
	assert_int_equal(vmcb.control.asid, 1);
	assert_int_equal(vmcb.control.nested_ctl, SVM_NESTED_CTL_NP_ENABLE);

	/* no C-bit (cbit 0): P|RW tables, P|RW|PS 2M leaves */
	snp_boot_tables_build(tables, 0);
	assert_int_equal(t[0], (SNP_BOOT_PT_GPA + 0x1000) | 3);
	for (int i = 0; i < 4; i++)
		assert_int_equal(t[512 + i], (SNP_BOOT_PT_GPA + 0x2000 + 0x1000ULL * i) | 3);
	assert_int_equal(t[512 + 4], 0);
	for (u64 i = 0; i < 2048; i++)
		assert_int_equal(t[1024 + i], (i << 21) | 0x83);
	/* C-bit 52 and 47: in every present entry, tables and leaves (APM vol 2
	 * 15.34.6); empty entries stay zero */
	snp_boot_tables_build(tables, 52);
	assert_int_equal(t[0], 0x0010000000003003ULL);
	assert_int_equal(t[512 + 3], 0x0010000000007003ULL);
	assert_int_equal(t[512 + 4], 0);
	assert_int_equal(t[1], 0);
	assert_int_equal(t[1024], 0x0010000000000083ULL);
	assert_int_equal(t[1024 + 2047], 0x00100000ffe00083ULL);
	snp_boot_tables_build(tables, 47);
	assert_int_equal(t[0], 0x0000800000003003ULL);
	assert_int_equal(t[1024 + 5], 0x0000800000a00083ULL);
	/* out of range: no C-bit rather than a corrupt entry */
	snp_boot_tables_build(tables, 63);
	assert_int_equal(t[1024 + 1], 0x200083);
	snp_boot_tables_build(tables, 7);
	assert_int_equal(t[0], (SNP_BOOT_PT_GPA + 0x1000) | 3);
}

static void test_page_and_digest(void **state)
{
	static u8 page[PAGE_SIZE], page2[PAGE_SIZE];
	struct snp_measure a, b;
	char hex[SNP_DIGEST_HEX_LEN + 1];

	(void)state;
	memset(page, 0xff, sizeof(page));
	vmsa_page_build_boot(page, 0x100000, 0x1000, SVM_SEV_FEAT_SNP_ACTIVE);
	for (size_t i = sizeof(struct sev_es_save_area); i < PAGE_SIZE; i++)
		assert_int_equal(page[i], 0);
	assert_int_equal(rd64(page, 0x178), 0x100000);
	assert_int_equal(rd64(page, 0x318), 0x1000);
	assert_int_equal(rd64(page, 0x3b0), 1);

	snp_measure_init(&a);
	snp_measure_page(&a, SNP_VMSA_GPA, SNP_PAGE_TYPE_VMSA, page, 0, 0, 0, 0);
	snp_measure_hex(&a, hex);
	assert_string_equal(hex, GOLDEN_VMSA);

	/* another entry point, another boot-params GPA, other SEV features:
	 * each gives another digest */
	vmsa_page_build_boot(page2, 0x100010, 0x1000, SVM_SEV_FEAT_SNP_ACTIVE);
	snp_measure_init(&b);
	snp_measure_page(&b, SNP_VMSA_GPA, SNP_PAGE_TYPE_VMSA, page2, 0, 0, 0, 0);
	assert_memory_not_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	vmsa_page_build_boot(page2, 0x100000, 0x2000, SVM_SEV_FEAT_SNP_ACTIVE);
	snp_measure_init(&b);
	snp_measure_page(&b, SNP_VMSA_GPA, SNP_PAGE_TYPE_VMSA, page2, 0, 0, 0, 0);
	assert_memory_not_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	vmsa_page_build_boot(page2, 0x100000, 0x1000,
			     SVM_SEV_FEAT_SNP_ACTIVE | SVM_SEV_FEAT_DEBUG_SWAP);
	snp_measure_init(&b);
	snp_measure_page(&b, SNP_VMSA_GPA, SNP_PAGE_TYPE_VMSA, page2, 0, 0, 0, 0);
	assert_memory_not_equal(a.digest, b.digest, SNP_DIGEST_SIZE);
	/* the same state again: the same digest (no hidden inputs) */
	vmsa_page_build_boot(page2, 0x100000, 0x1000, SVM_SEV_FEAT_SNP_ACTIVE);
	assert_memory_equal(page, page2, PAGE_SIZE);
}

/* ---- the tool and reference.py --------------------------------------- */

static int run(const char *cmd, char *out, size_t outsz)
{
	FILE *p = popen(cmd, "r");
	size_t n;
	int st;

	assert_non_null(p);
	n = fread(out, 1, outsz - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool have_python(void)
{
	return system("python3 -c pass >/dev/null 2>&1") == 0;
}

static void tool_digest(const char *args, char *out, size_t outsz)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "'%s' %s 2>/dev/null", tool, args);
	assert_int_equal(run(cmd, out, outsz), 0);
	assert_int_equal(strlen(out), SNP_DIGEST_HEX_LEN + 1);
	out[SNP_DIGEST_HEX_LEN] = '\0';
}

/* --vmsa-boot appends one VMSA page in command-line order: the golden
 * digests, the C API, and (with python3) reference.py agree. */
static void test_tool_vmsa_boot(void **state)
{
	static u8 page[PAGE_SIZE];
	static const char *const cases[] = {
	    "--vmsa-boot 0x100000:0x1000",
	    "--vmsa-boot 0x100000:0x1000:0x21",
	    "--image '%1$s/tests/measure/sample.txt' --load 0x100000 --vmsa-boot 0x100000:0x1000",
	    "--vmsa-boot 0x200000:0x1000 --layout '%1$s/tests/measure/basic.layout'",
	    "--vmsa-boot 0x100000:0x1000 --vmsa-boot 0x100000:0x1000:1",
	};
	char args[2048], cmd[4096], got[512], want[512];
	struct snp_measure m;
	char hex[SNP_DIGEST_HEX_LEN + 1];

	(void)state;
	if (access(tool, X_OK))
		skip();
	tool_digest("--vmsa-boot 0x100000:0x1000", got, sizeof(got));
	assert_string_equal(got, GOLDEN_VMSA);
	tool_digest("--vmsa-boot 0x100000:4096:1", got, sizeof(got));
	assert_string_equal(got, GOLDEN_VMSA);
	snprintf(args, sizeof(args),
		 "--image '%s/tests/measure/sample.txt' --load 0x100000 --vmsa-boot "
		 "0x100000:0x1000",
		 root);
	tool_digest(args, got, sizeof(got));
	assert_string_equal(got, GOLDEN_IMAGE_VMSA);

	/* the C API: SEV features 0x21 (SNP_ACTIVE | DEBUG_SWAP) */
	vmsa_page_build_boot(page, 0x100000, 0x1000, 0x21);
	snp_measure_init(&m);
	snp_measure_page(&m, 0, SNP_PAGE_TYPE_VMSA, page, 0, 0, 0, 0);
	snp_measure_hex(&m, hex);
	tool_digest("--vmsa-boot 0x100000:0x1000:0x21", got, sizeof(got));
	assert_string_equal(got, hex);

	if (!have_python())
		return;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(args, sizeof(args), cases[i], root);
		tool_digest(args, got, sizeof(got));
		snprintf(cmd, sizeof(cmd), "python3 '%s/tests/measure/reference.py' %s", root,
			 args);
		assert_int_equal(run(cmd, want, sizeof(want)), 0);
		want[SNP_DIGEST_HEX_LEN] = '\0';
		if (strcmp(got, want))
			fail_msg("%s: tool %s, reference %s", args, got, want);
	}
}

static void test_tool_vmsa_boot_errors(void **state)
{
	static const char *const bad[] = {
	    "--vmsa-boot 0x100000",
	    "--vmsa-boot 0x100000:",
	    "--vmsa-boot x:0x1000",
	    "--vmsa-boot 0x100000000:0x1000",
	    "--vmsa-boot 0x1000:0x100000000",
	    "--vmsa-boot 0x1000:0x1000:z",
	    "--vmsa-boot 1:2:3:4",
	    "--vmsa-boot",
	};
	char cmd[2048], out[4096];

	(void)state;
	if (access(tool, X_OK))
		skip();
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", tool, bad[i]);
		assert_int_equal(run(cmd, out, sizeof(out)), 2);
		if (!strstr(out, "snp-measure: error: --vmsa-boot"))
			fail_msg("%s: %s", bad[i], out);
	}
}

static int setup(void **state)
{
	char self[900];
	ssize_t n;

	(void)state;
	root = getenv("SNPV_ROOT");
	if (!root)
		root = ".";
	/* <build>/tests/unit/test_vmsa -> <build>/tools/snp-measure */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		snprintf(tool, sizeof(tool), "%s/../../tools/snp-measure", self);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_builder_matches_vmcb),
	    cmocka_unit_test(test_builder64_matches_vmcb),
	    cmocka_unit_test(test_page_and_digest),
	    cmocka_unit_test(test_tool_vmsa_boot),
	    cmocka_unit_test(test_tool_vmsa_boot_errors),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
