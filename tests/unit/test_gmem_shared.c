/* Unit tests of gmem with iommu_mode = shared (one table for the NPT and the
 * trusted devices' IOMMU domains, pt_fmt_npt_amdv1), mirroring the
 * duplicated-mode tests of test_gmem.c (whose environment this file
 * includes): attach rules, populate / convert / batch / split / release with
 * the checker after each, flush counts (one change: IOTLB invalidation of
 * the shared domain AND the TLB flush), -ENOMEM at every allocation point
 * changes nothing, the checker catches a wrong shared table, and the same
 * sequence in both modes (tables used). */
#define GMEM_ENV_ONLY
#include "tests/unit/test_gmem.c"

#define DOM_SHARED    1
#define DOM_UNTRUSTED 2

/* A shared-mode guest; ndom 1: a trusted domain (shared), 2: plus an
 * untrusted one (its own table). */
static void sguest_new(struct gmem *g, const char *name, u32 asid, u64 mem, u64 max_page,
		       unsigned ndom)
{
	struct gmem_params p = {
	    .name = name,
	    .asid = asid,
	    .mem_size = mem,
	    .max_page = max_page,
	    .rmp = &env_rmp,
	    .iommu_mode = GMEM_IOMMU_SHARED,
	    .flush_asid = fake_flush,
	    .flush_ctx = &env_io,
	};

	assert_int_equal(gmem_init(g, &p), 0);
	assert_ptr_equal(g->npt.fmt, &pt_fmt_npt_amdv1);
	if (ndom > 0)
		assert_int_equal(
		    gmem_attach_domain(g, DOM_SHARED, GMEM_NPT_LEVELS, true, &fake_ops, &env_io),
		    0);
	if (ndom > 1)
		assert_int_equal(gmem_attach_domain(g, DOM_UNTRUSTED, 4, false, &fake_ops, &env_io),
				 0);
}

/* digest() of test_gmem.c walks every domain's own table; here a shared
 * domain has none: walk the NPT, the non-shared domains, and the rest. */
static u64 sdigest(const struct gmem *g)
{
	struct pt_walk_ops ops = {dig_leaf, dig_table};
	u64 h = 0xcbf29ce484222325ULL, v[8];

	pt_walk_all(&g->npt, &ops, &h);
	for (unsigned i = 0; i < g->nr_dom; i++)
		if (!g->dom[i].shared)
			pt_walk_all(&g->dom[i].pt, &ops, &h);
	h = fnv(h, g->ledger, g->nr_slots * 8);
	v[0] = pmem_owner_pages(g->own_mem);
	v[1] = pmem_owner_pages(g->own_npt);
	v[2] = pmem_owner_pages(g->own_iommu);
	v[3] = pmem_free_pages();
	v[4] = g->st.private_pages;
	v[5] = g->st.shared_pages;
	v[6] = g->nr_pend;
	v[7] = g->npt.table_pages + gmem_iommu_table_pages(g);
	h = fnv(h, v, sizeof(v));
	h = fnv(h, rmp_raw_slot(&env_rmp, WIN_BASE >> PAGE_SHIFT), (WIN_SIZE >> PAGE_SHIFT) * 16);
	return h;
}

static int setup(void **state)
{
	(void)state;
	env_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	env_fini();
	return 0;
}

/* What the device behind domain i reads at gpa: -ENOENT or the leaf. */
static int dev_lookup(const struct gmem *g, unsigned i, u64 a, struct pt_leaf *l)
{
	struct pt view;

	gmem_domain_view(g, &g->dom[i], &view);
	return pt_lookup(&view, a, l);
}

/* The NPT and the shared domain give the same translation of gpa. */
static void assert_same_view(const struct gmem *g, u64 a, u64 size)
{
	struct pt_leaf n, d;

	assert_int_equal(npt_lookup(&g->npt, gpa(a), &n), 0);
	assert_int_equal(dev_lookup(g, 0, a, &d), 0);
	assert_int_equal(spa_val(n.pa), spa_val(d.pa));
	assert_int_equal(n.size, size);
	assert_int_equal(d.size, size);
	assert_int_equal(n.pte, d.pte); /* one entry, two readers */
	assert_int_equal(d.prot, PT_R | PT_W);
}

/* ---- attach ------------------------------------------------------------------ */

static void test_attach_rules(void **state)
{
	struct gmem g;
	struct pt_leaf l;

	(void)state;
	sguest_new(&g, "a", 1, MiB(8), HUGE_SIZE, 0);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(2), GMEM_PRIVATE), 0);
	assert_int_equal(gmem_populate(&g, gpa(MiB(2)), MiB(2), GMEM_SHARED), 0);
	/* a shared domain has the NPT's levels (DTE Mode 4), no other */
	assert_int_equal(gmem_attach_domain(&g, DOM_SHARED, 3, true, &fake_ops, &env_io), -EINVAL);
	assert_int_equal(gmem_attach_domain(&g, DOM_SHARED, 5, true, &fake_ops, &env_io), -EINVAL);
	assert_int_equal(
	    gmem_attach_domain(&g, DOM_SHARED, GMEM_NPT_LEVELS, true, &fake_ops, &env_io), 0);
	assert_true(g.dom[0].shared);
	assert_int_equal(spa_val(gmem_domain_root(&g, &g.dom[0])), spa_val(pt_root(&g.npt)));
	assert_int_equal(gmem_iommu_table_pages(&g), 0);
	assert_int_equal(pmem_owner_pages(g.own_iommu), 0);
	/* it sees what the guest already has, private included */
	assert_same_view(&g, 0, HUGE_SIZE);
	assert_same_view(&g, MiB(2), HUGE_SIZE);
	/* an untrusted device gets its own table with the shared pages only */
	assert_int_equal(gmem_attach_domain(&g, DOM_UNTRUSTED, 3, false, &fake_ops, &env_io), 0);
	assert_false(g.dom[1].shared);
	assert_ptr_equal(g.dom[1].pt.fmt, &pt_fmt_amdv1);
	assert_true(gmem_iommu_table_pages(&g) > 0);
	assert_int_equal(dev_lookup(&g, 1, 0, &l), -ENOENT);
	assert_int_equal(dev_lookup(&g, 1, MiB(2), &l), 0);
	assert_int_equal(gmem_attach_domain(&g, DOM_SHARED, 4, true, &fake_ops, &env_io), -EEXIST);
	assert_int_equal(check1(&g), 0);
	assert_accounting(&g);
	gmem_destroy(&g);
	assert_int_equal(pmem_owner_pages(g.own_npt), 0);
	assert_int_equal(pmem_owner_pages(g.own_iommu), 0);
}

/* ---- populate / convert / split / release ---------------------------------------- */

static void test_populate_convert_split(void **state)
{
	struct gmem g;
	struct gmem_rec r;
	struct pt_leaf l;

	(void)state;
	sguest_new(&g, "c", 2, MiB(16), HUGE_SIZE, 2);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(4) + 3 * PAGE_SIZE, GMEM_PRIVATE), 0);
	assert_same_view(&g, 0, HUGE_SIZE);
	assert_same_view(&g, MiB(4) + PAGE_SIZE, PAGE_SIZE);
	assert_int_equal(dev_lookup(&g, 1, 0, &l), -ENOENT); /* untrusted: no private */
	assert_int_equal(check1(&g), 0);
	assert_int_equal(gmem_lookup(&g, gpa(HUGE_SIZE), &r), 0);
	/* 4K inside a private 2M: PSMASH, 4K leaves in the one table, one round:
	 * the shared domain's IOTLB (the NPT's range) and the TLB */
	memset(&env_io, 0, sizeof(env_io));
	assert_int_equal(gmem_convert(&g, gpa(HUGE_SIZE + 0x3000), PAGE_SIZE, GMEM_SHARED), 0);
	assert_int_equal(g.st.psmash, 1);
	assert_int_equal(env_io.inv, 1);
	assert_int_equal(env_io.sync, 1);
	assert_int_equal(env_io.flush, 1);
	assert_true(env_io.last_iova <= HUGE_SIZE + 0x3000);
	assert_true(env_io.last_iova + env_io.last_size >= HUGE_SIZE + 0x4000);
	assert_same_view(&g, HUGE_SIZE + 0x3000, PAGE_SIZE);
	assert_same_view(&g, HUGE_SIZE, PAGE_SIZE);
	assert_int_equal(dev_lookup(&g, 1, HUGE_SIZE + 0x3000, &l), 0); /* now shared */
	assert_int_equal(spa_val(l.pa), spa_val(r.spa) + 0x3000);
	assert_int_equal(check1(&g), 0);
	assert_accounting(&g);
	/* back to private: both domains lose it, two invalidations, one TLB flush */
	memset(&env_io, 0, sizeof(env_io));
	assert_int_equal(gmem_convert(&g, gpa(HUGE_SIZE + 0x3000), PAGE_SIZE, GMEM_PRIVATE), 0);
	assert_int_equal(env_io.inv, 2);
	assert_int_equal(env_io.flush, 1);
	assert_int_equal(dev_lookup(&g, 1, HUGE_SIZE + 0x3000, &l), -ENOENT);
	assert_same_view(&g, HUGE_SIZE + 0x3000, PAGE_SIZE);
	/* a whole 2M record converted: one 2M leaf, still shared by both readers */
	assert_int_equal(gmem_convert(&g, gpa(0), HUGE_SIZE, GMEM_SHARED), 0);
	assert_same_view(&g, 0, HUGE_SIZE);
	assert_int_equal(check1(&g), 0);
	/* gmem_split of a 2M record */
	memset(&env_io, 0, sizeof(env_io));
	assert_int_equal(gmem_populate(&g, gpa(MiB(8)), HUGE_SIZE, GMEM_PRIVATE), 0);
	assert_int_equal(gmem_split(&g, gpa(MiB(8) + 0x5000)), 0);
	assert_same_view(&g, MiB(8) + 0x1FF000, PAGE_SIZE);
	assert_int_equal(env_io.flush, 1);
	assert_int_equal(env_io.inv, 1);
	assert_int_equal(check1(&g), 0);
	assert_accounting(&g);
	/* release: scrubbed, unmapped from the one table */
	assert_int_equal(gmem_release(&g, gpa(MiB(8)), HUGE_SIZE), 0);
	assert_int_equal(dev_lookup(&g, 0, MiB(8), &l), -ENOENT);
	assert_int_equal(npt_lookup(&g.npt, gpa(MiB(8)), &l), -ENOENT);
	assert_int_equal(check1(&g), 0);
	assert_accounting(&g);
	gmem_destroy(&g);
	assert_int_equal(pmem_owner_pages(g.own_mem), 0);
	assert_int_equal(pmem_owner_pages(g.own_npt), 0);
	assert_int_equal(pmem_owner_pages(g.own_iommu), 0);
}

static void test_batch_one_round(void **state)
{
	struct gmem g;
	struct gmem_range rs[64];
	unsigned i;

	(void)state;
	sguest_new(&g, "b", 3, MiB(16), HUGE_SIZE, 1);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(16), GMEM_PRIVATE), 0);
	for (i = 0; i < 64; i++)
		rs[i] = (struct gmem_range){gpa((u64)(63 - i) * 0x41000), PAGE_SIZE, GMEM_SHARED};
	memset(&env_io, 0, sizeof(env_io));
	assert_int_equal(gmem_convert_batch(&g, rs, 64), 0);
	assert_int_equal(env_io.inv, 1);
	assert_int_equal(env_io.sync, 1);
	assert_int_equal(env_io.flush, 1);
	assert_int_equal(g.st.inv_rounds, 1);
	assert_int_equal(g.st.conversions, 64);
	assert_int_equal(check1(&g), 0);
	for (i = 0; i < 64; i++)
		rs[i].to = GMEM_PRIVATE;
	memset(&env_io, 0, sizeof(env_io));
	assert_int_equal(gmem_convert_batch(&g, rs, 64), 0);
	assert_int_equal(env_io.inv, 1);
	assert_int_equal(env_io.flush, 1);
	memset(&env_io, 0, sizeof(env_io));
	assert_int_equal(gmem_convert_batch(&g, rs, 64), 0); /* already private */
	assert_int_equal(env_io.inv + env_io.sync + env_io.flush, 0);
	assert_int_equal(check1(&g), 0);
	assert_accounting(&g);
	gmem_destroy(&g);
}

/* I7 in shared mode: a failed completion wait keeps the frame pending. */
static void test_pending_until_flush(void **state)
{
	struct gmem g;
	struct gmem_rec r;

	(void)state;
	sguest_new(&g, "p", 8, MiB(8), PAGE_SIZE, 2);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(1), GMEM_SHARED), 0);
	assert_int_equal(gmem_lookup(&g, gpa(0x7000), &r), 0);
	env_io.fail_sync = 4;
	assert_true(gmem_release(&g, gpa(0x7000), PAGE_SIZE) < 0);
	assert_true(g.nr_pend > 0);
	assert_int_equal(pmem_owner_of(r.spa), g.own_mem);
	assert_int_equal(check1(&g), 0);
	assert_accounting(&g);
	memset(&env_io, 0, sizeof(env_io));
	assert_int_equal(gmem_populate(&g, gpa(MiB(2)), PAGE_SIZE, GMEM_SHARED), 0);
	assert_int_equal(env_io.inv, 2); /* full invalidation of both domains */
	assert_int_equal(g.nr_pend, 0);
	assert_int_equal(pmem_owner_of(r.spa), PMEM_OWNER_FREE);
	assert_int_equal(check1(&g), 0);
	gmem_destroy(&g);
}

/* ---- -ENOMEM changes nothing ------------------------------------------------------------ */

static void sweep(struct gmem *g, int (*op)(struct gmem *g))
{
	enomem_sweep_dig(g, sdigest, op);
}

static void test_enomem_everywhere(void **state)
{
	struct gmem g;

	(void)state;
	sguest_new(&g, "m", 2, MiB(16), HUGE_SIZE, 2);
	sweep(&g, op_pop);
	sweep(&g, op_conv);
	sweep(&g, op_batch);
	op_rel_prep(&g);
	sweep(&g, op_rel);
	gmem_destroy(&g);
	sguest_new(&g, "m4", 2, MiB(16), PAGE_SIZE, 1);
	sweep(&g, op_pop);
	sweep(&g, op_conv);
	gmem_destroy(&g);
}

/* ---- the checker on a shared table ---------------------------------------------------------- */

static u64 *leaf_slot(const struct gmem *g, u64 a)
{
	struct pt_leaf l;
	u64 *t = phys_ptr(pt_root(&g->npt));
	unsigned level;

	assert_int_equal(npt_lookup(&g->npt, gpa(a), &l), 0);
	for (level = g->npt.levels; level > l.level; level--)
		t = phys_ptr(spa(t[(a >> pt_level_shift(level)) & 511] & GENMASK(51, 12)));
	return &t[(a >> pt_level_shift(level)) & 511];
}

static bool has_rule(const struct xcheck_report *rep, unsigned rule, unsigned st)
{
	for (unsigned i = 0; i < rep->n; i++)
		if (rep->v[i].rule == rule && rep->v[i].structure == st)
			return true;
	return false;
}

static void test_xcheck_shared(void **state)
{
	static struct xcheck_report rep;
	struct gmem g, *gs[1] = {&g};
	u64 *e, old;

	(void)state;
	sguest_new(&g, "x", 5, MiB(8), PAGE_SIZE, 2);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(1), GMEM_PRIVATE), 0);
	assert_int_equal(gmem_populate(&g, gpa(MiB(1)), MiB(1), GMEM_SHARED), 0);
	assert_int_equal(check_all(gs, 1, &rep), 0);
	assert_true(rep.leaves >= 2 * 512 + 256); /* NPT + shared view + untrusted */
	/* the IOMMU's half of an entry lost (IR cleared): the CPU would still
	 * read it, the device not; the NPT's strict format calls it corrupt */
	e = leaf_slot(&g, 0x3000);
	old = *e;
	*e &= ~BIT(61);
	log_level_max = LOG_ERR;
	assert_true(check_all(gs, 1, &rep) > 0);
	assert_true(has_rule(&rep, XC_I5, XC_NPT));
	*e = old;
	/* another frame in the shared entry: I1 in both readers' walks */
	*e = (old & ~GENMASK(51, 12)) | ((old + PAGE_SIZE) & GENMASK(51, 12));
	assert_true(check_all(gs, 1, &rep) > 0);
	assert_true(has_rule(&rep, XC_I1, XC_NPT));
	assert_true(has_rule(&rep, XC_I1, XC_IOMMU));
	*e = old;
	/* a shared domain marked untrusted: it maps private memory (I6) */
	g.dom[0].trusted = false;
	assert_true(check_all(gs, 1, &rep) > 0);
	assert_true(has_rule(&rep, XC_I6, XC_IOMMU));
	g.dom[0].trusted = true;
	log_level_max = LOG_ERR;
	assert_int_equal(check_all(gs, 1, &rep), 0);
	gmem_destroy(&g);
}

/* Device MMIO in a shared NPT: for the vCPU only (PT_NO_DMA), so the
 * trusted devices on the table have no peer-to-peer path; the checker
 * accepts it and catches a BAR the devices could reach. */
#define BAR_SPA 0xC1000000ULL /* outside the fake window: not RAM for pmem */
#define BAR_GPA 0xE0000000ULL

static void test_mmio_cpu_only(void **state)
{
	static struct xcheck_report rep;
	struct gmem g, *gs[1] = {&g};
	struct pt_leaf l;
	u64 *e, old;

	(void)state;
	sguest_new(&g, "io", 12, MiB(8), HUGE_SIZE, 1);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(2), GMEM_PRIVATE), 0);
	assert_int_equal(xcheck_bar_add(&g, 0x18, 0, spa(BAR_SPA), MiB(1)), 0);
	assert_int_equal(gmem_map_mmio(&g, gpa(BAR_GPA), spa(BAR_SPA), MiB(1)), 0);
	assert_int_equal(npt_lookup(&g.npt, gpa(BAR_GPA + 0x1000), &l), 0);
	assert_int_equal(l.prot, PT_R | PT_W | PT_UC | PT_NO_DMA);
	assert_int_equal(dev_lookup(&g, 0, BAR_GPA + 0x1000, &l), 0);
	assert_int_equal(l.prot & (PT_R | PT_W), 0); /* a leaf that grants nothing */
	assert_int_equal(check_all(gs, 1, &rep), 0);
	/* the same BAR reachable by the devices: I4 (P2P) */
	e = leaf_slot(&g, BAR_GPA + 0x1000);
	old = *e;
	*e |= BIT(61) | BIT(62); /* IR, IW: the devices may reach it */
	assert_true(check_all(gs, 1, &rep) > 0);
	assert_true(has_rule(&rep, XC_I4, XC_NPT));
	assert_true(has_rule(&rep, XC_I4, XC_IOMMU));
	*e = old;
	assert_int_equal(gmem_unmap_mmio(&g, gpa(BAR_GPA)), 0);
	assert_int_equal(check_all(gs, 1, &rep), 0);
	xcheck_bar_drop(&g);
	gmem_destroy(&g);
}

/* ---- the same sequence in both modes --------------------------------------------------------- */

static void run_sequence(struct gmem *g)
{
	struct gmem_range rs[32];

	assert_int_equal(gmem_populate(g, gpa(0), MiB(8), GMEM_PRIVATE), 0);
	for (unsigned b = 0; b < 4; b++) {
		for (unsigned i = 0; i < 32; i++)
			rs[i] = (struct gmem_range){gpa((u64)(b * 32 + i) * 0x10000), PAGE_SIZE,
						    GMEM_SHARED};
		assert_int_equal(gmem_convert_batch(g, rs, 32), 0);
	}
	assert_int_equal(check1(g), 0);
}

static void test_modes_compared(void **state)
{
	struct gmem d, s;
	u64 dup_pages, dup_npt, sh_pages;

	(void)state;
	guest_new(&d, "dup", 9, MiB(8), HUGE_SIZE, true, 1); /* trusted, own 3-level table */
	memset(&env_io, 0, sizeof(env_io));
	run_sequence(&d);
	dup_npt = d.npt.table_pages;
	dup_pages = dup_npt + gmem_iommu_table_pages(&d);
	assert_int_equal(env_io.inv, 4);
	assert_int_equal(env_io.flush, 4);
	gmem_destroy(&d);
	sguest_new(&s, "sh", 10, MiB(8), HUGE_SIZE, 1);
	memset(&env_io, 0, sizeof(env_io));
	run_sequence(&s);
	sh_pages = s.npt.table_pages + gmem_iommu_table_pages(&s);
	assert_int_equal(env_io.inv, 4);
	assert_int_equal(env_io.flush, 4);
	assert_int_equal(sh_pages, dup_npt); /* the same NPT, no second table */
	assert_true(sh_pages < dup_pages);
	gmem_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_attach_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_populate_convert_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_one_round, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pending_until_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enomem_everywhere, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_xcheck_shared, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mmio_cpu_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_modes_compared, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
