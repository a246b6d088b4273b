/* Unit tests of snp/rmp: raw format golden values, sizing, MSR/CPUID parsing
 * of the hardware backend, and every rule of the model backend, one by one,
 * on a table that lives in a host buffer window at a fake SPA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include "snp/rmp.h"
#include "hv/arch/host/host_env.h"

#define COVERED	 MiB(64)
#define TBL_BASE 0x3000000ULL /* 48 MiB: inside the covered range */
#define TBL_SIZE 0x44000ULL   /* (16384 << 4) + 0x4000 */
#define ASID	 5
#define H0	 0x200000ULL /* a 2M region of ordinary memory */

static u8 table_buf[TBL_SIZE] __aligned(4096);
static struct rmp rmp;

static int setup(void **state)
{
	(void)state;
	host_phys_window(table_buf, spa(TBL_BASE), sizeof(table_buf));
	return rmp_init_model(&rmp, spa(TBL_BASE), TBL_SIZE, COVERED);
}

static struct rmpentry st_private(u64 g, u32 asid, bool huge, bool imm)
{
	struct rmpentry e = {
	    .gpa = g,
	    .flags =
		RMPENTRY_ASSIGNED | (huge ? RMPENTRY_PAGESIZE : 0) | (imm ? RMPENTRY_IMMUTABLE : 0),
	    .asid = asid,
	};
	return e;
}

static struct rmp_info lookup(u64 pa)
{
	struct rmp_info i;

	assert_int_equal(rmp_lookup(&rmp, spa(pa), &i, NULL), 0);
	return i;
}

static void priv4k(u64 pa, u64 g)
{
	assert_int_equal(rmp_make_private(&rmp, spa(pa), ASID, gpa(g), RMP_PG_SIZE_4K, false), 0);
}

static void priv2m(u64 pa, u64 g)
{
	assert_int_equal(rmp_make_private(&rmp, spa(pa), ASID, gpa(g), RMP_PG_SIZE_2M, false), 0);
}

/* ---- raw format ---------------------------------------------------------- */

static void test_raw_golden_encode(void **state)
{
	struct rmp_info a = {
	    .assigned = true, .validated = true, .asid = 5, .gpa = gpa(0x12345000)};
	struct rmp_info b = {.assigned = true,
			     .pagesize = RMP_PG_SIZE_2M,
			     .immutable = true,
			     .vmsa = true,
			     .lock = true,
			     .asid = 1023,
			     .gpa = gpa(0x7FFFFFFFFF000ULL),
			     .perms = {0xF, 0x3, 0x1, 0x0}};
	struct rmp_info c = {.subpages = 511};
	struct rmp_raw raw;

	(void)state;
	assert_int_equal(rmp_raw_encode(&a, &raw), 0);
	assert_int_equal(raw.lo, 0x4028000012345001ULL);
	assert_int_equal(raw.hi, 0);
	assert_int_equal(rmp_raw_encode(&b, &raw), 0);
	assert_int_equal(raw.lo, 0xBFFFFFFFFFFFF007ULL);
	assert_int_equal(raw.hi, 0x1030FULL);
	assert_int_equal(rmp_raw_encode(&c, &raw), 0);
	assert_int_equal(raw.lo, 0xFF8ULL);
}

static void test_raw_golden_decode(void **state)
{
	struct rmp_raw raw = {.lo = 0x6028000012345003ULL, .hi = 0x01020300ULL};
	struct rmp_info i;

	(void)state;
	rmp_raw_decode(&raw, &i);
	assert_true(i.assigned);
	assert_int_equal(i.pagesize, RMP_PG_SIZE_2M);
	assert_false(i.immutable);
	assert_int_equal(i.subpages, 0);
	assert_int_equal(gpa_val(i.gpa), 0x12345000);
	assert_int_equal(i.asid, 5);
	assert_true(i.vmsa);
	assert_true(i.validated);
	assert_false(i.lock);
	assert_int_equal(i.perms[0], 0);
	assert_int_equal(i.perms[1], 3);
	assert_int_equal(i.perms[2], 2);
	assert_int_equal(i.perms[3], 1);
}

static void test_raw_roundtrip_and_reject(void **state)
{
	struct rmp_info i = {.assigned = true,
			     .immutable = true,
			     .subpages = 17,
			     .asid = 77,
			     .gpa = gpa(0x40000000),
			     .perms = {0xF, 1, 2, 3}},
			o;
	struct rmp_raw raw;

	(void)state;
	assert_int_equal(rmp_raw_encode(&i, &raw), 0);
	rmp_raw_decode(&raw, &o);
	assert_true(o.assigned && o.immutable && !o.validated && !o.vmsa && !o.lock);
	assert_int_equal(o.pagesize, RMP_PG_SIZE_4K);
	assert_int_equal(o.subpages, 17);
	assert_int_equal(o.asid, 77);
	assert_int_equal(gpa_val(o.gpa), 0x40000000);
	assert_memory_equal(o.perms, i.perms, sizeof(o.perms));
	i.gpa = gpa(0x1001);
	assert_int_equal(rmp_raw_encode(&i, &raw), -EINVAL);
	i.gpa = gpa(BIT(51));
	assert_int_equal(rmp_raw_encode(&i, &raw), -EINVAL);
	i.gpa = gpa(0);
	i.asid = 1024;
	assert_int_equal(rmp_raw_encode(&i, &raw), -EINVAL);
	i.asid = 0;
	i.subpages = 512;
	assert_int_equal(rmp_raw_encode(&i, &raw), -EINVAL);
}

static void test_arch_entry_layout(void **state)
{
	struct rmpentry e = {.gpa = 0x1122334455667000ULL,
			     .flags = RMPENTRY_ASSIGNED | RMPENTRY_PAGESIZE |
				      RMPENTRY_HPAGE_REGION | RMPENTRY_IMMUTABLE,
			     .asid = 0xA0B};
	const u8 *b = (const u8 *)&e;

	(void)state;
	assert_int_equal(b[0], 0x00);
	assert_int_equal(b[7], 0x11);
	assert_int_equal(b[8], 0x01);  /* assigned */
	assert_int_equal(b[9], 0x03);  /* pagesize | hpage_region_status */
	assert_int_equal(b[10], 0x01); /* immutable */
	assert_int_equal(b[11], 0x00);
	assert_int_equal(b[12], 0x0B);
	assert_int_equal(b[13], 0x0A);
}

/* ---- sizing -------------------------------------------------------------- */

static void test_table_size(void **state)
{
	(void)state;
	assert_int_equal(rmp_table_size(0), 0x4000);
	assert_int_equal(rmp_table_size(16384), TBL_SIZE);
	assert_int_equal(rmp_table_size(1ULL << 20), 0x1004000); /* 4 GiB */
}

static void test_self_cover(void **state)
{
	u64 sz = 0;

	(void)state;
	/* Inside RAM: RAM coverage is enough. */
	assert_int_equal(rmp_table_size_self_cover(spa(TBL_BASE), COVERED, KiB(8), &sz), 0);
	assert_int_equal(sz, TBL_SIZE);
	/* Above RAM: the table must grow to cover itself. */
	assert_int_equal(rmp_table_size_self_cover(spa(MiB(64)), MiB(64), KiB(8), &sz), 0);
	assert_int_equal(sz, 0x46000);
	assert_true(MiB(64) + sz <= ((sz - RMP_BOOKKEEPING_SIZE) / 16) << PAGE_SHIFT);
	assert_int_equal(rmp_table_size_self_cover(spa(MiB(64)), MiB(64), MiB(1), &sz), 0);
	assert_int_equal(sz, MiB(1));
	/* Bad inputs. */
	assert_int_equal(rmp_table_size_self_cover(spa(MiB(64)), MiB(64), KiB(12), &sz), -EINVAL);
	assert_int_equal(rmp_table_size_self_cover(spa(0x3000), MiB(64), KiB(8), &sz), -EINVAL);
	assert_int_equal(rmp_table_size_self_cover(spa(0), MiB(64), KiB(4), &sz), -EINVAL);
}

/* ---- hardware discovery -------------------------------------------------- */

static struct rmp_hw_facts good_facts(void)
{
	struct rmp_hw_facts f = {
	    .max_ext_leaf = 0x80000025,
	    .sev_eax = CPUID_SEV_EAX_SNP | BIT(1) | BIT(0),
	    .syscfg =
		MSR_AMD64_SYSCFG_MEM_ENCRYPT | MSR_AMD64_SYSCFG_SNP_EN | MSR_AMD64_SYSCFG_MFDM,
	    .rmp_base = GiB(4),
	    .rmp_end = GiB(4) + 0x2100000 - 1,
	    .mem_end = GiB(8),
	};
	return f;
}

static void test_hw_parse_good(void **state)
{
	struct rmp_hw_facts f = good_facts();
	struct rmp_hw_layout l;

	(void)state;
	assert_int_equal(rmp_hw_parse(&f, &l), 0);
	assert_int_equal(spa_val(l.base), GiB(4));
	assert_int_equal(l.size, 0x2100000);
	assert_int_equal(l.npfns, (0x2100000 - 0x4000) / 16);
	assert_false(l.has_rmpread);
	f.sev_eax |= CPUID_SEV_EAX_RMPREAD;
	assert_int_equal(rmp_hw_parse(&f, &l), 0);
	assert_true(l.has_rmpread);
	/* Segmented RMP supported but not enabled: the contiguous table is used. */
	f.sev_eax |= CPUID_SEV_EAX_SEGMENTED_RMP;
	assert_int_equal(rmp_hw_parse(&f, &l), 0);
}

static void test_hw_parse_no_snp(void **state)
{
	struct rmp_hw_facts f = good_facts();
	struct rmp_hw_layout l;

	(void)state;
	f.max_ext_leaf = 0x8000001E; /* QEMU EPYC: the 0x8000001F data is garbage */
	assert_int_equal(rmp_hw_parse(&f, &l), -ENODEV);
	f = good_facts();
	f.sev_eax &= ~CPUID_SEV_EAX_SNP;
	assert_int_equal(rmp_hw_parse(&f, &l), -ENODEV);
	f = good_facts();
	f.syscfg &= ~MSR_AMD64_SYSCFG_MEM_ENCRYPT;
	assert_int_equal(rmp_hw_parse(&f, &l), -ENODEV);
	f = good_facts();
	f.syscfg &= ~MSR_AMD64_SYSCFG_SNP_EN;
	assert_int_equal(rmp_hw_parse(&f, &l), -ENODEV);
	f = good_facts();
	f.sev_eax |= CPUID_SEV_EAX_SEGMENTED_RMP;
	f.rmp_cfg = MSR_AMD64_SEG_RMP_ENABLED;
	assert_int_equal(rmp_hw_parse(&f, &l), -EOPNOTSUPP);
}

static void test_hw_parse_bad_table(void **state)
{
	struct rmp_hw_facts f = good_facts();
	struct rmp_hw_layout l;

	(void)state;
	f.rmp_base = 0; /* not reserved by the BIOS */
	assert_int_equal(rmp_hw_parse(&f, &l), -EINVAL);
	f = good_facts();
	f.rmp_base |= 0x1000; /* reserved bits 12:0 */
	assert_int_equal(rmp_hw_parse(&f, &l), -EINVAL);
	f = good_facts();
	f.rmp_end = f.rmp_base - 1;
	assert_int_equal(rmp_hw_parse(&f, &l), -EINVAL);
	f = good_facts();
	f.rmp_end = f.rmp_base + 0x3FFF; /* bookkeeping only */
	assert_int_equal(rmp_hw_parse(&f, &l), -EINVAL);
	f = good_facts();
	f.mem_end = GiB(16); /* does not cover RAM */
	assert_int_equal(rmp_hw_parse(&f, &l), -EINVAL);
	f = good_facts();
	f.rmp_base = GiB(8); /* covers RAM (252 MiB) but not itself at 8 GiB */
	f.rmp_end = GiB(8) + MiB(1) - 1;
	f.mem_end = MiB(128);
	assert_int_equal(rmp_hw_parse(&f, &l), -EINVAL);
}

/* ---- model: init, lookups, page states ----------------------------------- */

static void test_model_init_bad(void **state)
{
	struct rmp r;

	(void)state;
	assert_int_equal(rmp_init_model(&r, spa(TBL_BASE + 0x1000), TBL_SIZE, COVERED), -EINVAL);
	assert_int_equal(rmp_init_model(&r, spa(TBL_BASE), TBL_SIZE - 16, COVERED), -EINVAL);
	assert_int_equal(rmp_init_model(&r, spa(TBL_BASE), TBL_SIZE, MiB(48)), -EINVAL);
	assert_int_equal(rmp_init_model(&r, spa(TBL_BASE), TBL_SIZE, COVERED + 0x1000), -EINVAL);
	assert_int_equal(rmp_init_model(NULL, spa(TBL_BASE), TBL_SIZE, COVERED), -EINVAL);
}

static void test_model_init_state(void **state)
{
	(void)state;
	assert_int_equal(rmp_page_state(&rmp, spa(H0)), RMP_PS_HYPERVISOR);
	assert_int_equal(rmp_page_state(&rmp, spa(TBL_BASE)), RMP_PS_FIRMWARE);
	assert_int_equal(rmp_page_state(&rmp, spa(TBL_BASE + TBL_SIZE - 1)), RMP_PS_FIRMWARE);
	assert_int_equal(rmp_page_state(&rmp, spa(TBL_BASE + TBL_SIZE)), RMP_PS_HYPERVISOR);
	assert_int_equal(rmp_page_state(&rmp, spa(COVERED)), RMP_PS_DEFAULT);
	assert_int_equal(rmp_check_host_write(&rmp, spa(TBL_BASE + 0x2000)), -EPERM);
	assert_int_equal(rmp_check_host_write(&rmp, spa(H0)), 0);
	assert_int_equal(rmp_check_host_write(&rmp, spa(COVERED + H0)), 0);
	/* The table's 2M region counts its assigned 4K frames (48 MiB is aligned). */
	assert_int_equal(lookup(TBL_BASE).subpages, TBL_SIZE / PAGE_SIZE - 1);
	assert_int_equal(lookup(H0 + 0x5000).asid, 0);
	assert_int_equal(rmp_lookup(&rmp, spa(COVERED), &(struct rmp_info){0}, NULL), -ERANGE);
}

static void test_state_classify(void **state)
{
	struct rmp_info i = {0};

	(void)state;
	assert_int_equal(rmp_info_state(&i), RMP_PS_HYPERVISOR);
	i.immutable = true;
	assert_int_equal(rmp_info_state(&i), RMP_PS_HV_FIXED);
	i.assigned = true;
	assert_int_equal(rmp_info_state(&i), RMP_PS_FIRMWARE);
	i.immutable = false;
	assert_int_equal(rmp_info_state(&i), RMP_PS_RECLAIM);
	i.asid = 3;
	assert_int_equal(rmp_info_state(&i), RMP_PS_GUEST_INVALID);
	i.validated = true;
	assert_int_equal(rmp_info_state(&i), RMP_PS_GUEST_VALID);
	i.immutable = true;
	assert_int_equal(rmp_info_state(&i), RMP_PS_PRE_SWAP);
	i.validated = false;
	assert_int_equal(rmp_info_state(&i), RMP_PS_PRE_GUEST);
	i.assigned = false;
	assert_int_equal(rmp_info_state(&i), RMP_PS_INVALID); /* unassigned with an ASID */
	assert_string_equal(rmp_page_state_name(RMP_PS_GUEST_VALID), "GUEST_VALID");
	assert_string_equal(rmp_code_name(RMP_FAIL_OVERLAP), "FAIL_OVERLAP");
	assert_string_equal(rmp_code_name(RMP_FAULT_NPF_SIZEM), "#NPF(RMP|SIZEM)");
}

/* ---- model: RMPUPDATE ---------------------------------------------------- */

static void test_update_private_shared(void **state)
{
	struct rmpentry e;

	(void)state;
	priv4k(H0 + 0x3000, 0x7000);
	assert_int_equal(rmp_read(&rmp, spa(H0 + 0x3000), &e), RMP_SUCCESS);
	assert_int_equal(e.gpa, 0x7000);
	assert_int_equal(e.asid, ASID);
	assert_int_equal(e.flags, RMPENTRY_ASSIGNED);
	assert_int_equal(rmp_page_state(&rmp, spa(H0 + 0x3000)), RMP_PS_GUEST_INVALID);
	assert_int_equal(lookup(H0 + 0x3000).perms[0], RMP_PERM_ALL);
	assert_int_equal(rmp_check_host_write(&rmp, spa(H0 + 0x3ff8)), -EPERM);
	assert_int_equal(rmp_make_shared(&rmp, spa(H0 + 0x3000), RMP_PG_SIZE_4K), 0);
	assert_int_equal(rmp_page_state(&rmp, spa(H0 + 0x3000)), RMP_PS_HYPERVISOR);
	assert_int_equal(rmp_check_host_write(&rmp, spa(H0 + 0x3000)), 0);
	assert_int_equal(rmp_read(&rmp, spa(H0 + 0x3000), &e), RMP_SUCCESS);
	assert_int_equal(e.flags, 0);
}

static void test_update_fail_input(void **state)
{
	struct rmpentry e = st_private(0x7000, ASID, false, false);

	(void)state;
	assert_int_equal(rmpupdate(&rmp, spa(H0 + 0x10), &e), RMP_FAIL_INPUT); /* unaligned */
	assert_int_equal(rmpupdate(&rmp, spa(COVERED), &e), RMP_FAIL_INPUT);   /* not covered */
	e.flags |= RMPENTRY_HPAGE_REGION; /* reserved on input */
	assert_int_equal(rmpupdate(&rmp, spa(H0), &e), RMP_FAIL_INPUT);
	e = st_private(0x200000, ASID, true, false);
	assert_int_equal(rmpupdate(&rmp, spa(H0 + 0x1000), &e), RMP_FAIL_INPUT); /* 2M unaligned */
	assert_int_equal(rmpupdate(&rmp, spa(COVERED - HUGE_SIZE / 2), &e), RMP_FAIL_INPUT);
	e.gpa = 0x201000; /* GPA of a 2M page not 2M aligned */
	assert_int_equal(rmpupdate(&rmp, spa(H0), &e), RMP_FAIL_INPUT);
	e = st_private(0x7000, RMP_ASID_MAX + 1, false, false);
	assert_int_equal(rmpupdate(&rmp, spa(H0), &e), RMP_FAIL_INPUT);
	e = st_private(0x7001, ASID, false, false);
	assert_int_equal(rmpupdate(&rmp, spa(H0), &e), RMP_FAIL_INPUT);
	e = (struct rmpentry){.asid = ASID}; /* unassigned with an ASID */
	assert_int_equal(rmpupdate(&rmp, spa(H0), &e), RMP_FAIL_INPUT);
	assert_int_equal(rmp_page_state(&rmp, spa(H0)), RMP_PS_HYPERVISOR); /* nothing changed */
}

static void test_update_fail_permission(void **state)
{
	struct rmpentry e = st_private(0x9000, ASID, false, true);
	struct rmpentry sh = {0};

	(void)state;
	assert_int_equal(rmpupdate(&rmp, spa(H0 + 0x9000), &e), RMP_SUCCESS);
	assert_int_equal(rmp_page_state(&rmp, spa(H0 + 0x9000)), RMP_PS_PRE_GUEST);
	assert_int_equal(rmpupdate(&rmp, spa(H0 + 0x9000), &sh), RMP_FAIL_PERMISSION);
	assert_int_equal(rmp_make_shared(&rmp, spa(H0 + 0x9000), RMP_PG_SIZE_4K), -EIO);
	/* The RMP's own frames are FIRMWARE pages. */
	assert_int_equal(rmpupdate(&rmp, spa(TBL_BASE + 0x4000), &sh), RMP_FAIL_PERMISSION);
}

static void test_update_2m_overlap_with_4k(void **state)
{
	struct rmpentry e = st_private(0x400000, ASID, true, false);

	(void)state;
	priv4k(H0 + 511 * PAGE_SIZE, 0x1000);
	assert_int_equal(rmpupdate(&rmp, spa(H0), &e), RMP_FAIL_OVERLAP);
	assert_int_equal(lookup(H0).pagesize, RMP_PG_SIZE_4K);
	assert_int_equal(rmp_make_shared(&rmp, spa(H0 + 511 * PAGE_SIZE), RMP_PG_SIZE_4K), 0);
	assert_int_equal(lookup(H0).subpages, 0);
	assert_int_equal(rmpupdate(&rmp, spa(H0), &e), RMP_SUCCESS);
	/* The aligned entry's own 4K state does not block the 2M update. */
	assert_int_equal(rmp_make_shared(&rmp, spa(H0), RMP_PG_SIZE_2M), 0);
	priv4k(H0, 0x1000);
	assert_int_equal(rmpupdate(&rmp, spa(H0), &e), RMP_SUCCESS);
}

static void test_update_4k_inside_2m(void **state)
{
	struct rmpentry e = st_private(0x1000, ASID, false, false);

	(void)state;
	priv2m(H0, 0x400000);
	assert_int_equal(rmpupdate(&rmp, spa(H0 + 0x5000), &e), RMP_FAIL_OVERLAP);
	assert_int_equal(rmpupdate(&rmp, spa(H0), &e), RMP_FAIL_OVERLAP); /* the 2M entry itself */
	e = (struct rmpentry){0};
	assert_int_equal(rmpupdate(&rmp, spa(H0 + 0x5000), &e), RMP_FAIL_OVERLAP);
	assert_int_equal(rmp_make_shared(&rmp, spa(H0), RMP_PG_SIZE_2M), 0);
	assert_int_equal(rmpupdate(&rmp, spa(H0 + 0x5000), &e), RMP_SUCCESS);
}

static void test_update_2m_governs(void **state)
{
	struct rmp_info i;
	struct rmpentry e;
	spa_t at;

	(void)state;
	priv2m(H0, 0x400000);
	assert_int_equal(rmp_lookup(&rmp, spa(H0 + 0x1ff000), &i, &at), 0);
	assert_true(i.assigned);
	assert_int_equal(i.pagesize, RMP_PG_SIZE_2M);
	assert_int_equal(spa_val(at), H0);
	assert_int_equal(rmp_page_state(&rmp, spa(H0 + 0x1ff000)), RMP_PS_GUEST_INVALID);
	assert_int_equal(rmp_check_host_write(&rmp, spa(H0 + 0x1ff000)), -EPERM);
	assert_int_equal(rmp_read(&rmp, spa(H0 + 0x1000), &e), RMP_SUCCESS);
	assert_int_equal(e.flags, RMPENTRY_ASSIGNED | RMPENTRY_PAGESIZE);
	assert_int_equal(e.gpa, 0x400000);
	/* The raw 4K slot under it stays unassigned. */
	assert_int_equal(rmp_raw_slot(&rmp, (H0 >> PAGE_SHIFT) + 1)->lo, 0);
}

static void test_unassigned_2m_does_not_govern(void **state)
{
	spa_t at;
	struct rmp_info i;

	(void)state;
	assert_int_equal(rmp_make_shared(&rmp, spa(H0), RMP_PG_SIZE_2M), 0);
	assert_int_equal(lookup(H0).pagesize, RMP_PG_SIZE_2M);
	priv4k(H0 + 0x3000, 0x3000);
	assert_int_equal(rmp_lookup(&rmp, spa(H0 + 0x3000), &i, &at), 0);
	assert_true(i.assigned);
	assert_int_equal(spa_val(at), H0 + 0x3000);
	assert_int_equal(lookup(H0).subpages, 1);
}

static void test_hpage_region_status(void **state)
{
	struct rmpentry e;

	(void)state;
	assert_int_equal(rmp_read(&rmp, spa(H0), &e), RMP_SUCCESS);
	assert_int_equal(e.flags & RMPENTRY_HPAGE_REGION, 0);
	priv4k(H0 + 5 * PAGE_SIZE, 0x5000);
	assert_int_equal(rmp_read(&rmp, spa(H0), &e), RMP_SUCCESS);
	assert_int_not_equal(e.flags & RMPENTRY_HPAGE_REGION, 0);
	assert_int_equal(rmp_read(&rmp, spa(H0 + PAGE_SIZE), &e), RMP_SUCCESS);
	assert_int_equal(e.flags & RMPENTRY_HPAGE_REGION, 0); /* only at the aligned address */
	assert_int_equal(rmp_make_shared(&rmp, spa(H0 + 5 * PAGE_SIZE), RMP_PG_SIZE_4K), 0);
	assert_int_equal(rmp_read(&rmp, spa(H0), &e), RMP_SUCCESS);
	assert_int_equal(e.flags & RMPENTRY_HPAGE_REGION, 0);
}

static void test_update_clears_validated(void **state)
{
	struct rmpentry e = st_private(0x8000, ASID, false, false);
	bool cf;

	(void)state;
	assert_int_equal(rmpupdate(&rmp, spa(H0 + 0x8000), &e), RMP_SUCCESS);
	assert_int_equal(rmp_model_pvalidate(&rmp, ASID, gpa(0x8000), spa(H0 + 0x8000),
					     RMP_PG_SIZE_4K, true, &cf),
			 RMP_SUCCESS);
	assert_int_equal(rmp_model_rmpadjust(&rmp, ASID, 0, gpa(0x8000), spa(H0 + 0x8000),
					     RMP_PG_SIZE_4K, 1, RMP_PERM_READ, true),
			 RMP_SUCCESS);
	assert_true(lookup(H0 + 0x8000).validated);
	assert_true(lookup(H0 + 0x8000).vmsa);
	assert_int_equal(rmpupdate(&rmp, spa(H0 + 0x8000), &e), RMP_SUCCESS); /* same state */
	assert_false(lookup(H0 + 0x8000).validated);
	assert_false(lookup(H0 + 0x8000).vmsa);
	assert_int_equal(lookup(H0 + 0x8000).perms[1], 0);
}

/* ---- model: PSMASH ------------------------------------------------------- */

static void test_psmash_rules(void **state)
{
	(void)state;
	assert_int_equal(psmash(&rmp, spa(H0 + PAGE_SIZE)), RMP_FAIL_INPUT);
	assert_int_equal(psmash(&rmp, spa(COVERED)), RMP_FAIL_INPUT);
	assert_int_equal(psmash(&rmp, spa(H0)), RMP_FAIL_BADADDR); /* unassigned 4K */
	priv4k(H0, 0x1000);
	assert_int_equal(psmash(&rmp, spa(H0)), RMP_FAIL_BADADDR); /* assigned 4K */
	assert_int_equal(rmp_make_shared(&rmp, spa(H0), RMP_PG_SIZE_2M), 0);
	assert_int_equal(psmash(&rmp, spa(H0)), RMP_FAIL_BADADDR); /* unassigned 2M */
}

static void test_psmash_split(void **state)
{
	bool cf;
	u64 i;

	(void)state;
	priv2m(H0, 0x600000);
	assert_int_equal(
	    rmp_model_pvalidate(&rmp, ASID, gpa(0x600000), spa(H0), RMP_PG_SIZE_2M, true, &cf),
	    RMP_SUCCESS);
	assert_int_equal(psmash(&rmp, spa(H0)), RMP_SUCCESS);
	for (i = 0; i < 512; i++) {
		struct rmp_info e = lookup(H0 + i * PAGE_SIZE);

		assert_true(e.assigned);
		assert_int_equal(e.pagesize, RMP_PG_SIZE_4K);
		assert_int_equal(gpa_val(e.gpa), 0x600000 + i * PAGE_SIZE);
		assert_int_equal(e.asid, ASID);
		assert_true(e.validated);
		assert_int_equal(e.perms[0], RMP_PERM_ALL);
	}
	assert_int_equal(lookup(H0).subpages, 511);
	/* Now 4K conversions work, and a 2M re-assignment overlaps. */
	assert_int_equal(rmp_make_shared(&rmp, spa(H0 + 0x7000), RMP_PG_SIZE_4K), 0);
	assert_int_equal(lookup(H0).subpages, 510);
	assert_int_equal(
	    rmp_make_private(&rmp, spa(H0), ASID, gpa(0x600000), RMP_PG_SIZE_2M, false), -EIO);
}

/* ---- model: PVALIDATE ---------------------------------------------------- */

static int pval(u32 asid, u64 g, u64 pa, int size, bool v, bool *cf)
{
	return rmp_model_pvalidate(&rmp, asid, gpa(g), spa(pa), size, v, cf);
}

static void test_pvalidate_input(void **state)
{
	bool cf;

	(void)state;
	priv4k(H0, 0x1000);
	assert_int_equal(pval(ASID, 0x1000, H0, 2, true, &cf), RMP_FAIL_INPUT);
	assert_int_equal(pval(ASID, 0x1000, H0, RMP_PG_SIZE_2M, true, &cf), RMP_FAIL_INPUT);
	assert_int_equal(pval(ASID, 0x1008, H0, RMP_PG_SIZE_4K, true, &cf), RMP_FAIL_INPUT);
}

static void test_pvalidate_rmp_check(void **state)
{
	bool cf;

	(void)state;
	assert_int_equal(pval(ASID, 0x1000, H0, RMP_PG_SIZE_4K, true, &cf), RMP_FAULT_NPF);
	priv4k(H0, 0x1000);
	assert_int_equal(pval(ASID + 1, 0x1000, H0, RMP_PG_SIZE_4K, true, &cf), RMP_FAULT_NPF);
	assert_int_equal(pval(ASID, 0x2000, H0, RMP_PG_SIZE_4K, true, &cf), RMP_FAULT_NPF);
	assert_int_equal(pval(ASID, 0x1000, COVERED, RMP_PG_SIZE_4K, true, &cf), RMP_FAULT_NPF);
	assert_int_equal(pval(0, 0, TBL_BASE, RMP_PG_SIZE_4K, true, &cf), RMP_FAULT_NPF);
	assert_false(lookup(H0).validated);
}

static void test_pvalidate_sizes(void **state)
{
	bool cf;

	(void)state;
	priv4k(H0, 0x200000);
	assert_int_equal(pval(ASID, 0x200000, H0, RMP_PG_SIZE_2M, true, &cf),
			 RMP_FAIL_SIZEMISMATCH);
	assert_int_equal(rmp_make_shared(&rmp, spa(H0), RMP_PG_SIZE_4K), 0);
	priv2m(H0, 0x200000);
	assert_int_equal(pval(ASID, 0x203000, H0 + 0x3000, RMP_PG_SIZE_4K, true, &cf),
			 RMP_FAULT_NPF_SIZEM);
	assert_int_equal(pval(ASID, 0x204000, H0 + 0x3000, RMP_PG_SIZE_4K, true, &cf),
			 RMP_FAULT_NPF); /* wrong GPA inside the 2M page */
	assert_int_equal(pval(ASID, 0x200000, H0, RMP_PG_SIZE_2M, true, &cf), RMP_SUCCESS);
	assert_false(cf);
	assert_true(lookup(H0 + 0x1000).validated);
	/* After PSMASH the 4K validation works on the split entries. */
	assert_int_equal(psmash(&rmp, spa(H0)), RMP_SUCCESS);
	assert_int_equal(pval(ASID, 0x203000, H0 + 0x3000, RMP_PG_SIZE_4K, false, &cf),
			 RMP_SUCCESS);
	assert_false(cf);
	assert_false(lookup(H0 + 0x3000).validated);
	assert_true(lookup(H0 + 0x4000).validated);
}

static void test_pvalidate_cf(void **state)
{
	bool cf = true;

	(void)state;
	priv4k(H0, 0x1000);
	assert_int_equal(pval(ASID, 0x1000, H0, RMP_PG_SIZE_4K, false, &cf), RMP_SUCCESS);
	assert_true(cf); /* already not validated */
	assert_int_equal(pval(ASID, 0x1000, H0, RMP_PG_SIZE_4K, true, &cf), RMP_SUCCESS);
	assert_false(cf);
	assert_int_equal(rmp_page_state(&rmp, spa(H0)), RMP_PS_GUEST_VALID);
	assert_int_equal(pval(ASID, 0x1000, H0, RMP_PG_SIZE_4K, true, &cf), RMP_SUCCESS);
	assert_true(cf);
	assert_int_equal(pval(ASID, 0x1000, H0, RMP_PG_SIZE_4K, false, &cf), RMP_SUCCESS);
	assert_false(cf);
	assert_int_equal(rmp_page_state(&rmp, spa(H0)), RMP_PS_GUEST_INVALID);
}

/* ---- model: RMPADJUST ---------------------------------------------------- */

static int adj(int caller, u64 g, u64 pa, int size, int target, u8 perms, bool vmsa)
{
	return rmp_model_rmpadjust(&rmp, ASID, caller, gpa(g), spa(pa), size, target, perms, vmsa);
}

static void test_rmpadjust(void **state)
{
	const u8 rw = RMP_PERM_READ | RMP_PERM_WRITE;
	bool cf;

	(void)state;
	priv4k(H0, 0x1000);
	assert_int_equal(adj(0, 0x1000, H0, RMP_PG_SIZE_4K, 1, rw, false),
			 RMP_FAULT_VC_NOT_VALIDATED);
	assert_int_equal(pval(ASID, 0x1000, H0, RMP_PG_SIZE_4K, true, &cf), RMP_SUCCESS);
	assert_int_equal(adj(0, 0x1000, H0, RMP_PG_SIZE_4K, 1, rw, false), RMP_SUCCESS);
	assert_int_equal(lookup(H0).perms[1], rw);
	assert_int_equal(adj(0, 0x1000, H0, RMP_PG_SIZE_4K, 0, rw, false), RMP_FAIL_PERMISSION);
	assert_int_equal(adj(1, 0x1000, H0, RMP_PG_SIZE_4K, 1, rw, false), RMP_FAIL_PERMISSION);
	assert_int_equal(adj(1, 0x1000, H0, RMP_PG_SIZE_4K, 2, RMP_PERM_ALL, false),
			 RMP_FAIL_PERMISSION); /* more than VMPL1 has */
	assert_int_equal(adj(1, 0x1000, H0, RMP_PG_SIZE_4K, 2, RMP_PERM_READ, true), RMP_SUCCESS);
	assert_int_equal(lookup(H0).perms[2], RMP_PERM_READ);
	assert_false(lookup(H0).vmsa); /* VMSA ignored below VMPL0 */
	assert_int_equal(adj(0, 0x1000, H0, RMP_PG_SIZE_4K, 1, 0x10, false), RMP_FAIL_INPUT);
	assert_int_equal(adj(0, 0x1000, H0, RMP_PG_SIZE_4K, 4, rw, false), RMP_FAIL_INPUT);
	assert_int_equal(adj(0, 0x1000, H0, RMP_PG_SIZE_2M, 1, rw, false), RMP_FAIL_INPUT);
	assert_int_equal(adj(0, 0x2000, H0, RMP_PG_SIZE_4K, 1, rw, false), RMP_FAULT_NPF);
	assert_int_equal(adj(0, 0x1000, H0, RMP_PG_SIZE_4K, 1, RMP_PERM_READ, true), RMP_SUCCESS);
	assert_true(lookup(H0).vmsa);
	assert_int_equal(rmp_raw_slot(&rmp, H0 >> PAGE_SHIFT)->lo & RMP_RAW_VMSA, RMP_RAW_VMSA);
}

static void test_rmpadjust_sizes(void **state)
{
	bool cf;

	(void)state;
	priv4k(H0, 0x200000);
	assert_int_equal(pval(ASID, 0x200000, H0, RMP_PG_SIZE_4K, true, &cf), RMP_SUCCESS);
	assert_int_equal(adj(0, 0x200000, H0, RMP_PG_SIZE_2M, 1, RMP_PERM_READ, false),
			 RMP_FAIL_SIZEMISMATCH);
	assert_int_equal(rmp_make_shared(&rmp, spa(H0), RMP_PG_SIZE_4K), 0);
	priv2m(H0, 0x200000);
	assert_int_equal(pval(ASID, 0x200000, H0, RMP_PG_SIZE_2M, true, &cf), RMP_SUCCESS);
	assert_int_equal(adj(0, 0x201000, H0 + 0x1000, RMP_PG_SIZE_4K, 1, RMP_PERM_READ, false),
			 RMP_FAULT_NPF_SIZEM);
	assert_int_equal(adj(0, 0x200000, H0, RMP_PG_SIZE_2M, 1, RMP_PERM_READ, true),
			 RMP_FAIL_INPUT); /* a VMSA is 4K */
	assert_int_equal(adj(0, 0x200000, H0, RMP_PG_SIZE_2M, 3, RMP_PERM_READ, false),
			 RMP_SUCCESS);
	assert_int_equal(lookup(H0 + 0x5000).perms[3], RMP_PERM_READ);
}

/* ---- retries, injection, firmware writes, helpers ------------------------ */

static void test_retry_overlap_inuse(void **state)
{
	struct rmpentry e = st_private(0x1000, ASID, false, false);

	(void)state;
	rmp_model_inject(&rmp, RMP_FAIL_OVERLAP, 3);
	assert_int_equal(rmpupdate(&rmp, spa(H0), &e), RMP_SUCCESS);
	assert_int_equal(rmp.inject_count, 0);
	rmp_model_inject(&rmp, RMP_FAIL_OVERLAP, RMP_RETRY_MAX + 5);
	assert_int_equal(rmpupdate(&rmp, spa(H0), &e), RMP_FAIL_OVERLAP);
	assert_int_equal(rmp.inject_count, 5);
	rmp_model_inject(&rmp, RMP_FAIL_INUSE, 1);
	assert_int_equal(rmpupdate(&rmp, spa(H0), &e), RMP_FAIL_INUSE); /* not retried */
	assert_int_equal(rmp_make_shared(&rmp, spa(H0), RMP_PG_SIZE_4K), 0);
	priv2m(H0, 0x200000);
	rmp_model_inject(&rmp, RMP_FAIL_INUSE, 7);
	assert_int_equal(psmash(&rmp, spa(H0)), RMP_SUCCESS);
	assert_int_equal(lookup(H0).pagesize, RMP_PG_SIZE_4K);
}

static void test_fw_write(void **state)
{
	struct rmp_info pre = {.assigned = true,
			       .immutable = true,
			       .asid = ASID,
			       .gpa = gpa(0x3000),
			       .perms = {RMP_PERM_ALL}};
	struct rmp_info hv = {0};
	struct rmp other = {0};

	(void)state;
	assert_int_equal(rmp_model_fw_write(&rmp, spa(H0 + 0x3000), &pre), 0);
	assert_int_equal(rmp_page_state(&rmp, spa(H0 + 0x3000)), RMP_PS_PRE_GUEST);
	assert_int_equal(lookup(H0).subpages, 1);
	assert_int_equal(rmp_make_shared(&rmp, spa(H0 + 0x3000), RMP_PG_SIZE_4K), -EIO);
	assert_int_equal(rmp_model_fw_write(&rmp, spa(H0 + 0x3000), &hv), 0);
	assert_int_equal(lookup(H0).subpages, 0);
	assert_int_equal(rmp_model_fw_write(&rmp, spa(H0 + 0x3008), &hv), -EINVAL);
	assert_int_equal(rmp_model_fw_write(&other, spa(H0), &hv), -EOPNOTSUPP);
}

static void test_helpers_errors(void **state)
{
	struct rmp none = {0};
	struct rmpentry e = {0};

	(void)state;
	assert_int_equal(rmp_make_private(&rmp, spa(H0), ASID, gpa(0x1000), 3, false), -EINVAL);
	assert_int_equal(rmp_make_shared(&rmp, spa(H0), -1), -EINVAL);
	assert_int_equal(
	    rmp_make_private(&rmp, spa(H0 + 1), ASID, gpa(0x1000), RMP_PG_SIZE_4K, false), -EIO);
	assert_int_equal(rmpupdate(&none, spa(H0), &e), -ENODEV);
	assert_int_equal(psmash(NULL, spa(H0)), -ENODEV);
	assert_int_equal(rmp_read(&none, spa(H0), &e), -ENODEV);
	assert_int_equal(rmpupdate(&rmp, spa(H0), NULL), -EINVAL);
	assert_int_equal(rmp_read(&rmp, spa(COVERED), &e), RMP_FAIL_INPUT);
	assert_int_equal(rmp_model_pvalidate(&none, ASID, gpa(0), spa(H0), 0, true, &(bool){false}),
			 -EOPNOTSUPP);
	assert_int_equal(rmp_page_state(&none, spa(H0)), RMP_PS_DEFAULT);
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_raw_golden_encode),
	    cmocka_unit_test(test_raw_golden_decode),
	    cmocka_unit_test(test_raw_roundtrip_and_reject),
	    cmocka_unit_test(test_arch_entry_layout),
	    cmocka_unit_test(test_table_size),
	    cmocka_unit_test(test_self_cover),
	    cmocka_unit_test(test_hw_parse_good),
	    cmocka_unit_test(test_hw_parse_no_snp),
	    cmocka_unit_test(test_hw_parse_bad_table),
	    T(test_model_init_bad),
	    T(test_model_init_state),
	    cmocka_unit_test(test_state_classify),
	    T(test_update_private_shared),
	    T(test_update_fail_input),
	    T(test_update_fail_permission),
	    T(test_update_2m_overlap_with_4k),
	    T(test_update_4k_inside_2m),
	    T(test_update_2m_governs),
	    T(test_unassigned_2m_does_not_govern),
	    T(test_hpage_region_status),
	    T(test_update_clears_validated),
	    T(test_psmash_rules),
	    T(test_psmash_split),
	    T(test_pvalidate_input),
	    T(test_pvalidate_rmp_check),
	    T(test_pvalidate_sizes),
	    T(test_pvalidate_cf),
	    T(test_rmpadjust),
	    T(test_rmpadjust_sizes),
	    T(test_retry_overlap_inuse),
	    T(test_fw_write),
	    T(test_helpers_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
