/* Unit tests of snp/ghcb: layout, MSR protocol golden encodings, NAE codes,
 * and the PSC validator on good and malformed buffers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "snp/ghcb.h"

#define MEM (64ULL << 20) /* guest memory for the PSC tests */

static struct psc_desc d;
static struct psc_range r[PSC_MAX_ENTRIES];
static unsigned nr;
static u64 info2;

static int reset(void **state)
{
	(void)state;
	memset(&d, 0, sizeof(d));
	nr = 77;
	info2 = 77;
	return 0;
}

static int validate(void)
{
	return psc_validate(&d, sizeof(d), MEM, r, &nr, &info2);
}

/* Expect an error code and no side effect on the buffer. */
static void expect_err(u64 code)
{
	struct psc_desc copy = d;

	assert_int_equal(validate(), -EINVAL);
	assert_int_equal(info2, code);
	assert_int_equal(nr, 0);
	assert_memory_equal(&copy, &d, sizeof(d));
}

static void test_layout_and_valid_bitmap(void **state)
{
	struct ghcb g;

	(void)state;
	assert_int_equal(sizeof(struct ghcb), 4096);
	assert_int_equal(offsetof(struct ghcb, shared_buffer), 0x800);
	assert_int_equal(GHCB_FIELD_BIT(rax), 0x1f8 / 8);
	assert_int_equal(GHCB_FIELD_BIT(sw_exit_code), 0x390 / 8);
	assert_int_equal(GHCB_FIELD_BIT(x87_state_gpa), 128);
	memset(&g, 0, sizeof(g));
	ghcb_set_field_valid(&g, GHCB_FIELD_BIT(rax));
	ghcb_set_field_valid(&g, GHCB_FIELD_BIT(sw_exit_info_2));
	assert_int_equal(g.save.valid_bitmap[7], 0x80);
	assert_true(ghcb_field_valid(&g, GHCB_FIELD_BIT(rax)));
	assert_true(ghcb_field_valid(&g, GHCB_FIELD_BIT(sw_exit_info_2)));
	assert_false(ghcb_field_valid(&g, GHCB_FIELD_BIT(rbx)));
	assert_false(ghcb_field_valid(&g, 128)); /* out of the bitmap */
	ghcb_clear_valid(&g);
	assert_false(ghcb_field_valid(&g, GHCB_FIELD_BIT(rax)));
	/* shared buffer bounds */
	assert_true(ghcb_scratch_in_shared_buffer(0x5000, 0x5800, GHCB_SHARED_BUF_SIZE));
	assert_true(ghcb_scratch_in_shared_buffer(0x5000, 0x5fe8, 8));
	assert_false(ghcb_scratch_in_shared_buffer(0x5000, 0x5fe9, 8));
	assert_false(ghcb_scratch_in_shared_buffer(0x5000, 0x57f8, 8));
	assert_false(ghcb_scratch_in_shared_buffer(0x5001, 0x5800, 8));
	assert_false(ghcb_scratch_in_shared_buffer(0x5000, ~0ULL - 4, 8));
}

static void test_msr_protocol_golden(void **state)
{
	u32 fn;
	unsigned reg, op, set, code;
	u64 gfn;

	(void)state;
	/* SEV info: max 2, min 1, C-bit 51 */
	assert_int_equal(ghcb_msr_sev_info_resp(2, 1, 51), 0x0002000133000001ULL);
	/* CPUID 0x8000001F, EBX */
	assert_int_equal(ghcb_msr_cpuid_req(0x8000001F, GHCB_CPUID_EBX), 0x8000001F40000004ULL);
	assert_int_equal(ghcb_msr_cpuid_req_decode(0x8000001F40000004ULL, &fn, &reg), 0);
	assert_int_equal(fn, 0x8000001F);
	assert_int_equal(reg, 1);
	assert_int_equal(ghcb_msr_cpuid_req_decode(0x8000001F40001004ULL, &fn, &reg), -EINVAL);
	assert_int_equal(ghcb_msr_cpuid_req_decode(0x8000001F40000005ULL, &fn, &reg), -EINVAL);
	assert_int_equal(ghcb_msr_cpuid_resp(0x0000B3EF, GHCB_CPUID_EDX), 0x0000B3EFC0000005ULL);
	/* GHCB GPA registration of GFN 0x12345 */
	assert_int_equal(ghcb_msr_reg_gpa_req(0x12345), 0x12345012ULL);
	assert_int_equal(ghcb_msr_reg_gpa_req_decode(0x12345012ULL, &gfn), 0);
	assert_int_equal(gfn, 0x12345);
	assert_int_equal(ghcb_msr_reg_gpa_resp(0x12345), 0x12345013ULL);
	/* PSC: GFN 0xABCDE shared; private; response error */
	assert_int_equal(ghcb_msr_psc_req(0xABCDE, PSC_OP_SHARED), 0x00200000ABCDE014ULL);
	assert_int_equal(ghcb_msr_psc_req(0xFFFFFFFFFFULL, PSC_OP_PRIVATE), 0x001FFFFFFFFFF014ULL);
	assert_int_equal(ghcb_msr_psc_req_decode(0x00200000ABCDE014ULL, &gfn, &op), 0);
	assert_int_equal(gfn, 0xABCDE);
	assert_int_equal(op, 2);
	assert_int_equal(ghcb_msr_psc_req_decode(0x00300000ABCDE014ULL, &gfn, &op), -EINVAL);
	assert_int_equal(ghcb_msr_psc_req_decode(0x01200000ABCDE014ULL, &gfn, &op), -EINVAL);
	assert_int_equal(ghcb_msr_psc_resp(0), 0x15);
	assert_int_equal(ghcb_msr_psc_resp(1), 0x0000000100000015ULL);
	/* termination: set 1, code 2 */
	assert_int_equal(ghcb_msr_term_req(1, 2), 0x21100ULL);
	assert_int_equal(ghcb_msr_term_decode(0x21100ULL, &set, &code), 0);
	assert_int_equal(set, 1);
	assert_int_equal(code, 2);
	assert_int_equal(ghcb_msr_term_decode(0x21101ULL, &set, &code), -EINVAL);
	assert_int_equal(ghcb_msr_info(0x21100ULL), GHCB_MSR_TERM_REQ);
}

static void test_nae_codes(void **state)
{
	(void)state;
	assert_int_equal(SVM_VMGEXIT_PSC, 0x80000010ULL);
	assert_int_equal(SVM_VMGEXIT_GUEST_REQUEST, 0x80000011ULL);
	assert_string_equal(ghcb_nae_name(0x80000010ULL), "vmgexit_page_state_change");
	assert_string_equal(ghcb_nae_name(0x8000FFFEULL), "vmgexit_termination_request");
	assert_null(ghcb_nae_name(0x80000006ULL));
	assert_int_equal(PSC_ERROR_GENERIC, 0x10000000000ULL);
	assert_int_equal(PSC_ERROR_INVALID_HDR, 0x100000001ULL);
	assert_int_equal(PSC_ERROR_INVALID_ENTRY, 0x100000002ULL);
}

static void test_psc_entry_encoding(void **state)
{
	(void)state;
	assert_int_equal(psc_entry(0x200, PSC_OP_PRIVATE, true, 3), 0x0110000000200003ULL);
	assert_int_equal(psc_entry(0x12345, PSC_OP_SHARED, false, 0), 0x0020000012345000ULL);
}

static void test_psc_good_mixed(void **state)
{
	(void)state;
	d.hdr.cur_entry = 0;
	d.hdr.end_entry = 3;
	d.entries[0] = psc_entry(0x10, PSC_OP_SHARED, false, 0);
	d.entries[1] = psc_entry(0x200, PSC_OP_PRIVATE, true, 0);
	d.entries[2] = psc_entry(0x11, PSC_OP_PRIVATE, false, 0);
	d.entries[3] = psc_entry(0x400, PSC_OP_PSMASH, true, 0);
	assert_int_equal(validate(), 0);
	assert_int_equal(info2, 0);
	assert_int_equal(nr, 4);
	assert_int_equal(r[0].gpa, 0x10000);
	assert_int_equal(r[0].size, 0x1000);
	assert_int_equal(r[0].op, PSC_OP_SHARED);
	assert_false(r[0].huge);
	assert_int_equal(r[1].gpa, 0x200000);
	assert_int_equal(r[1].size, 0x200000);
	assert_true(r[1].huge);
	assert_int_equal(r[1].entry, 1);
	assert_int_equal(r[3].op, PSC_OP_PSMASH);
}

static void test_psc_progress(void **state)
{
	(void)state;
	d.hdr.cur_entry = 1;
	d.hdr.end_entry = 2;
	d.entries[0] = 0xFFFFFFFFFFFFFFFFULL; /* before cur_entry: ignored */
	d.entries[1] = psc_entry(0x200, PSC_OP_SHARED, true, 100);
	d.entries[2] = psc_entry(0x5, PSC_OP_SHARED, false, 1); /* already done */
	assert_int_equal(validate(), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(r[0].gpa, 0x200000 + 100 * 0x1000);
	assert_int_equal(r[0].size, 412 * 0x1000);

	/* the hypervisor advances as it goes */
	assert_int_equal(psc_advance(&d, sizeof(d), 1, 400), 0);
	assert_int_equal(FIELD_GET(PSC_ENTRY_CUR_PAGE, d.entries[1]), 500);
	assert_int_equal(d.hdr.cur_entry, 1);
	assert_int_equal(psc_advance(&d, sizeof(d), 1, 13), -EINVAL); /* overflow */
	assert_int_equal(psc_advance(&d, sizeof(d), 1, 12), 0);
	assert_int_equal(d.hdr.cur_entry, 2);
	assert_int_equal(FIELD_GET(PSC_ENTRY_GFN, d.entries[1]), 0x200); /* rest kept */
	assert_int_equal(psc_advance(&d, sizeof(d), 1, 0), -EINVAL);	 /* behind cur_entry */
	assert_int_equal(psc_advance(&d, sizeof(d), 3, 1), -EINVAL);	 /* past end_entry */
	assert_int_equal(psc_advance(&d, sizeof(d), 2, 0), 0);		 /* done entry */
	assert_int_equal(d.hdr.cur_entry, 3);
	/* all done: cur_entry = end_entry + 1 is a valid, empty request */
	assert_int_equal(validate(), 0);
	assert_int_equal(nr, 0);
	assert_int_equal(info2, 0);
}

static void test_psc_full_buffer(void **state)
{
	(void)state;
	d.hdr.end_entry = PSC_MAX_ENTRIES - 1;
	for (unsigned k = 0; k < PSC_MAX_ENTRIES; k++)
		d.entries[k] = psc_entry(k * 2, PSC_OP_PRIVATE, false, 0);
	assert_int_equal(validate(), 0);
	assert_int_equal(nr, PSC_MAX_ENTRIES);
	assert_int_equal(r[252].gpa, 504 * 0x1000);
}

static void test_psc_bad_header(void **state)
{
	(void)state;
	d.entries[0] = psc_entry(1, PSC_OP_PRIVATE, false, 0);
	d.hdr.end_entry = PSC_MAX_ENTRIES; /* index 253 does not exist */
	expect_err(PSC_ERROR_INVALID_HDR);
	d.hdr.end_entry = 0xFFFF;
	expect_err(PSC_ERROR_INVALID_HDR);
	d.hdr.end_entry = 3;
	d.hdr.cur_entry = 5; /* past end_entry + 1 */
	expect_err(PSC_ERROR_INVALID_HDR);
	d.hdr.cur_entry = 0xFFFF;
	expect_err(PSC_ERROR_INVALID_HDR);
	d.hdr.cur_entry = 0;
	d.hdr.end_entry = 0;
	d.hdr.reserved = 1;
	expect_err(PSC_ERROR_INVALID_HDR);
	d.hdr.reserved = 0;
	/* buffer shorter than the entries it claims */
	d.hdr.end_entry = 1;
	assert_int_equal(psc_validate(&d, 8 + 8, MEM, r, &nr, &info2), -EINVAL);
	assert_int_equal(info2, PSC_ERROR_INVALID_HDR);
	assert_int_equal(psc_validate(&d, 4, MEM, r, &nr, &info2), -EINVAL);
	assert_int_equal(info2, PSC_ERROR_INVALID_HDR);
}

static void test_psc_bad_entries(void **state)
{
	static const u64 bad[] = {
	    0x0000000000010000ULL | (0ULL << 52),  /* operation 0 */
	    0x0000000000010000ULL | (5ULL << 52),  /* operation 5 */
	    0x0000000000010000ULL | (15ULL << 52), /* operation 15 */
	};

	(void)state;
	d.hdr.end_entry = 1;
	d.entries[0] = psc_entry(1, PSC_OP_PRIVATE, false, 0);
	for (size_t k = 0; k < ARRAY_SIZE(bad); k++) {
		d.entries[1] = bad[k];
		expect_err(PSC_ERROR_INVALID_ENTRY);
	}
	d.entries[1] = psc_entry(2, PSC_OP_PRIVATE, false, 0) | BIT(57); /* reserved */
	expect_err(PSC_ERROR_INVALID_ENTRY);
	d.entries[1] = psc_entry(2, PSC_OP_PRIVATE, false, 0) | BIT(63);
	expect_err(PSC_ERROR_INVALID_ENTRY);
	d.entries[1] = psc_entry(2, PSC_OP_PRIVATE, false, 2); /* cur_page past a 4K entry */
	expect_err(PSC_ERROR_INVALID_ENTRY);
	d.entries[1] = psc_entry(0x200, PSC_OP_PRIVATE, true, 513); /* past a 2M entry */
	expect_err(PSC_ERROR_INVALID_ENTRY);
	d.entries[1] = psc_entry(0x201, PSC_OP_PRIVATE, true, 0); /* unaligned 2M GFN */
	expect_err(PSC_ERROR_INVALID_ENTRY);
	d.entries[1] = psc_entry(MEM >> 12, PSC_OP_SHARED, false, 0); /* beyond memory */
	expect_err(PSC_ERROR_INVALID_ENTRY);
	d.entries[1] = psc_entry((MEM >> 12) - 512, PSC_OP_SHARED, true, 0); /* last 2M: fine */
	assert_int_equal(validate(), 0);
	d.entries[1] = psc_entry(0xFFFFFFFFFFULL & ~511ULL, PSC_OP_SHARED, true, 0); /* huge GFN */
	expect_err(PSC_ERROR_INVALID_ENTRY);
	/* overlaps: same 4K twice, 4K inside 2M, partly done 2M vs 4K below */
	d.entries[1] = psc_entry(1, PSC_OP_SHARED, false, 0);
	expect_err(PSC_ERROR_INVALID_ENTRY);
	d.entries[0] = psc_entry(0x200, PSC_OP_PRIVATE, true, 0);
	d.entries[1] = psc_entry(0x3FF, PSC_OP_SHARED, false, 0);
	expect_err(PSC_ERROR_INVALID_ENTRY);
	d.entries[0] = psc_entry(0x200, PSC_OP_PRIVATE, true, 10);
	d.entries[1] = psc_entry(0x205, PSC_OP_SHARED, false, 0); /* in the done part: fine */
	assert_int_equal(validate(), 0);
	assert_int_equal(nr, 2);
	/* an error in the last entry still yields no ranges */
	d.hdr.end_entry = 2;
	d.entries[2] = psc_entry(0x9000, PSC_OP_SHARED, false, 0) | BIT(60);
	expect_err(PSC_ERROR_INVALID_ENTRY);
}

static void test_psc_snapshot(void **state)
{
	/* validation reads the buffer once: a huge count with garbage entries
	 * after a bad one stops at the first bad one, and the caller's buffer
	 * is never written */
	(void)state;
	d.hdr.end_entry = 252;
	memset(d.entries, 0xFF, sizeof(d.entries));
	expect_err(PSC_ERROR_INVALID_ENTRY);
	assert_int_equal(psc_validate(NULL, sizeof(d), MEM, r, &nr, &info2), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_layout_and_valid_bitmap, reset),
	    cmocka_unit_test_setup(test_msr_protocol_golden, reset),
	    cmocka_unit_test_setup(test_nae_codes, reset),
	    cmocka_unit_test_setup(test_psc_entry_encoding, reset),
	    cmocka_unit_test_setup(test_psc_good_mixed, reset),
	    cmocka_unit_test_setup(test_psc_progress, reset),
	    cmocka_unit_test_setup(test_psc_full_buffer, reset),
	    cmocka_unit_test_setup(test_psc_bad_header, reset),
	    cmocka_unit_test_setup(test_psc_bad_entries, reset),
	    cmocka_unit_test_setup(test_psc_snapshot, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
