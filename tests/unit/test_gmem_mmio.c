/* Unit tests of gmem_map_mmio / gmem_unmap_mmio (device BARs in a guest's NPT,
 * docs/devices.md) and of the cross-checker's MMIO rules (I4: the only
 * non-RAM leaves accepted are recorded MMIO ranges, in the NPT, uncached, not
 * executable, in one guest; never in an IOMMU domain). */
#define GMEM_ENV_ONLY
#include "tests/unit/test_gmem.c"

#define BAR_SPA 0xC1000000ULL /* outside the fake window: not RAM for pmem */
#define BAR_GPA 0xE0000000ULL
#define BAR_SZ	MiB(1)

static struct gmem ga, gb;
static struct gmem *gs2[2] = {&ga, &gb};
static struct xcheck_report rep;

static int setup(void **state)
{
	(void)state;
	env_init();
	guest_new(&ga, "A", 5, MiB(16), HUGE_SIZE, true, 2);
	guest_new(&gb, "B", 6, MiB(8), HUGE_SIZE, false, 1);
	assert_int_equal(gmem_populate(&ga, gpa(0), MiB(4), GMEM_PRIVATE), 0);
	assert_int_equal(gmem_populate(&ga, gpa(MiB(4)), MiB(2), GMEM_SHARED), 0);
	assert_int_equal(gmem_populate(&gb, gpa(0), MiB(8), GMEM_SHARED), 0);
	/* The device layer validated A's BAR and B's (the next MiB) first. */
	assert_int_equal(xcheck_bar_add(&ga, 0x18, 0, spa(BAR_SPA), BAR_SZ), 0);
	assert_int_equal(xcheck_bar_add(&gb, 0x20, 0, spa(BAR_SPA + MiB(1)), BAR_SZ), 0);
	assert_int_equal(gmem_map_mmio(&ga, gpa(BAR_GPA), spa(BAR_SPA), BAR_SZ), 0);
	assert_int_equal(check_all(gs2, 2, &rep), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	xcheck_bar_drop(&ga);
	xcheck_bar_drop(&gb);
	free(ga.ledger);
	free(gb.ledger);
	free(ga.pend);
	free(gb.pend);
	env_fini();
	return 0;
}

static u64 nviol(unsigned rule, unsigned st, u64 at)
{
	u64 n = 0;

	assert_int_equal(xcheck_run((const struct gmem *const *)gs2, 2, &rep), 0);
	xcheck_print(&rep);
	for (unsigned i = 0; i < rep.n; i++)
		n += rep.v[i].rule == rule && rep.v[i].structure == st && rep.v[i].gpa == at;
	return n;
}

static void test_map_mmio(void **s)
{
	struct pt_leaf l;
	struct gmem_rec r;
	u64 pend0;

	(void)s;
	/* uncached, not executable, exactly the BAR */
	assert_int_equal(pt_lookup(&ga.npt, BAR_GPA + 0x3000, &l), 0);
	assert_int_equal(spa_val(l.pa) + (BAR_GPA + 0x3000 - l.va), BAR_SPA + 0x3000);
	assert_true(l.prot & PT_UC);
	assert_false(l.prot & PT_X);
	assert_true(l.prot & PT_W);
	/* not guest RAM for hypercalls, not in any domain */
	assert_int_equal(gmem_lookup(&ga, gpa(BAR_GPA), &r), -ENOENT);
	for (unsigned i = 0; i < ga.nr_dom; i++)
		assert_int_equal(pt_lookup(&ga.dom[i].pt, BAR_GPA, &l), -ENOENT);
	assert_non_null(gmem_mmio_find(&ga, BAR_GPA + BAR_SZ - 1, 1));
	assert_null(gmem_mmio_find(&ga, BAR_GPA + BAR_SZ, 1));
	/* refusals change nothing */
	assert_int_equal(gmem_map_mmio(&ga, gpa(MiB(8)), spa(BAR_SPA), BAR_SZ), -EINVAL);
	assert_int_equal(gmem_map_mmio(&ga, gpa(BAR_GPA + 0x800), spa(BAR_SPA), BAR_SZ), -EINVAL);
	assert_int_equal(gmem_map_mmio(&ga, gpa(BAR_GPA + MiB(1) - 0x1000), spa(BAR_SPA), BAR_SZ),
			 -EEXIST);
	assert_int_equal(gmem_map_mmio(&ga, gpa(BAR_GPA + MiB(16)), spa(WIN_BASE + MiB(8)),
				       PAGE_SIZE),
			 -EINVAL); /* RAM */
	assert_int_equal(gmem_map_mmio(&ga, gpa(BAR_GPA), spa(BAR_SPA), 0), -EINVAL);
	assert_int_equal(ga.nr_mmio, 1);
	assert_int_equal(check_all(gs2, 2, &rep), 0);
	/* conversions leave MMIO alone */
	assert_int_equal(gmem_convert(&ga, gpa(0x5000), PAGE_SIZE, GMEM_SHARED), 0);
	assert_int_equal(pt_lookup(&ga.npt, BAR_GPA, &l), 0);
	/* unmap: gone, TLB flushed, table pages back after the flush, clean */
	pend0 = ga.st.tlb_flushes;
	assert_int_equal(gmem_unmap_mmio(&ga, gpa(BAR_GPA)), 0);
	assert_true(ga.st.tlb_flushes > pend0);
	assert_int_equal(pt_lookup(&ga.npt, BAR_GPA, &l), -ENOENT);
	assert_int_equal(gmem_unmap_mmio(&ga, gpa(BAR_GPA)), -ENOENT);
	assert_int_equal(ga.nr_mmio, 0);
	assert_int_equal(check_all(gs2, 2, &rep), 0);
	/* destroy with a BAR mapped gives every page back */
	assert_int_equal(gmem_map_mmio(&gb, gpa(BAR_GPA), spa(BAR_SPA + MiB(1)), BAR_SZ), 0);
	gmem_destroy(&gb);
	assert_int_equal(pmem_owner_pages(gb.own_npt), 0);
	assert_int_equal(pmem_owner_pages(gb.own_mem), 0);
	gmem_destroy(&ga);
	assert_int_equal(pmem_owner_pages(ga.own_npt), 0);
}

static void test_xcheck_mmio_in_domain(void **s)
{
	(void)s;
	/* peer-to-peer: the BAR in an IOMMU domain */
	assert_int_equal(
	    pt_map(&ga.dom[1].pt, BAR_GPA, spa(BAR_SPA), PAGE_SIZE, PT_R | PT_W, PT_SZ_4K, NULL), 0);
	assert_int_equal(nviol(XC_I4, XC_IOMMU, BAR_GPA), 1);
	assert_int_equal(rep.total, 1);
}

static void test_xcheck_mmio_executable(void **s)
{
	(void)s;
	assert_int_equal(pt_protect(&ga.npt, BAR_GPA + 0x1000, PAGE_SIZE, PT_R | PT_W | PT_X, NULL),
			 0);
	assert_int_equal(nviol(XC_I4, XC_NPT, BAR_GPA + 0x1000), 1);
	assert_int_equal(rep.total, 1);
}

static void test_xcheck_mmio_wrong_spa(void **s)
{
	(void)s;
	assert_int_equal(pt_unmap(&ga.npt, BAR_GPA + 0x2000, PAGE_SIZE, NULL), 0);
	assert_int_equal(pt_map(&ga.npt, BAR_GPA + 0x2000, spa(BAR_SPA + MiB(4)), PAGE_SIZE,
				PT_R | PT_W | PT_UC, PT_SZ_4K, NULL),
			 0);
	assert_int_equal(nviol(XC_I1, XC_NPT, BAR_GPA + 0x2000), 1);
	assert_int_equal(rep.total, 1);
}

static void test_xcheck_unrecorded_mmio(void **s)
{
	(void)s;
	/* a non-RAM leaf nobody recorded (another device, or B mapping A's BAR) */
	assert_int_equal(pt_map(&ga.npt, BAR_GPA + MiB(2), spa(0xFED80000ULL), PAGE_SIZE,
				PT_R | PT_W | PT_UC, PT_SZ_4K, NULL),
			 0);
	assert_int_equal(pt_map(&gb.npt, BAR_GPA, spa(BAR_SPA), PAGE_SIZE, PT_R | PT_W | PT_UC,
				PT_SZ_4K, NULL),
			 0);
	assert_int_equal(nviol(XC_I4, XC_NPT, BAR_GPA + MiB(2)), 1);
	assert_int_equal(rep.total, 2);
	assert_int_equal(rep.v[1].guest, 1);
	assert_int_equal(rep.v[1].rule, XC_I4);
}

static void test_xcheck_mmio_two_guests_and_missing(void **s)
{
	(void)s;
	/* the same BAR recorded for two guests, and a record whose leaves are gone */
	gb.mmio[gb.nr_mmio++] = (struct gmem_mmio){gpa(BAR_GPA), spa(BAR_SPA), BAR_SZ};
	assert_int_equal(pt_map(&gb.npt, BAR_GPA, spa(BAR_SPA), BAR_SZ, PT_R | PT_W | PT_UC,
				PT_SZ_4K, NULL),
			 0);
	assert_int_equal(pt_unmap(&ga.npt, BAR_GPA, BAR_SZ, NULL), 0);
	assert_int_equal(xcheck_run((const struct gmem *const *)gs2, 2, &rep), 0);
	xcheck_print(&rep);
	assert_int_equal(rep.total, 2);
	assert_int_equal(rep.v[0].rule, XC_I5); /* A: recorded, not mapped */
	assert_int_equal(rep.v[0].guest, 0);
	assert_int_equal(rep.v[1].rule, XC_I4); /* B: A's BAR */
	assert_int_equal(rep.v[1].guest, 1);
}

/* An MMIO record (mapped exactly as gmem_map_mmio would) whose SPA lies in no
 * BAR validated for the guest's devices: I4, once per record. */
static void test_xcheck_mmio_outside_validated_bar(void **s)
{
	struct xcheck_opts o = {.no_bars = true};
	struct xcheck_bar l[4];

	(void)s;
	assert_int_equal(xcheck_bar_list(&ga, l, 4), 1);
	assert_int_equal(spa_val(l[0].spa), BAR_SPA);
	/* the MiB after B's BAR: another device's MMIO, or firmware's */
	assert_int_equal(pt_map(&ga.npt, BAR_GPA + MiB(4), spa(BAR_SPA + MiB(2)), PAGE_SIZE,
				PT_R | PT_W | PT_UC, PT_SZ_4K, NULL),
			 0);
	ga.mmio[ga.nr_mmio++] =
	    (struct gmem_mmio){gpa(BAR_GPA + MiB(4)), spa(BAR_SPA + MiB(2)), PAGE_SIZE};
	assert_int_equal(nviol(XC_I4, XC_NPT, BAR_GPA + MiB(4)), 1);
	assert_int_equal(rep.total, 1);
	assert_string_equal(rep.v[0].found, "no validated BAR");
	/* B's validated BAR mapped into A: another guest's BAR */
	ga.mmio[ga.nr_mmio - 1].spa = spa(BAR_SPA + MiB(1));
	assert_int_equal(pt_unmap(&ga.npt, BAR_GPA + MiB(4), PAGE_SIZE, NULL), 0);
	assert_int_equal(pt_map(&ga.npt, BAR_GPA + MiB(4), spa(BAR_SPA + MiB(1)), PAGE_SIZE,
				PT_R | PT_W | PT_UC, PT_SZ_4K, NULL),
			 0);
	assert_int_equal(nviol(XC_I4, XC_NPT, BAR_GPA + MiB(4)), 1);
	assert_int_equal(rep.total, 1);
	assert_string_equal(rep.v[0].found, "another guest's BAR");
	/* gone again: clean; then A's own BAR once its validation is dropped */
	ga.nr_mmio--;
	assert_int_equal(pt_unmap(&ga.npt, BAR_GPA + MiB(4), PAGE_SIZE, NULL), 0);
	assert_int_equal(nviol(XC_I4, XC_NPT, BAR_GPA + MiB(4)), 0);
	assert_int_equal(rep.total, 0);
	xcheck_bar_drop(&ga);
	assert_int_equal(nviol(XC_I4, XC_NPT, BAR_GPA), 1);
	assert_int_equal(rep.total, 1);
	/* the offline checker, which has no device layer, skips the rule */
	assert_int_equal(xcheck_run_opts((const struct gmem *const *)gs2, 2, &o, &rep), 0);
	assert_int_equal(rep.total, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_map_mmio),
		T(test_xcheck_mmio_in_domain),
		T(test_xcheck_mmio_executable),
		T(test_xcheck_mmio_wrong_spa),
		T(test_xcheck_unrecorded_mmio),
		T(test_xcheck_mmio_two_guests_and_missing),
		T(test_xcheck_mmio_outside_validated_bar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
