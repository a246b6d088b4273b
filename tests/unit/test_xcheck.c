/* Mutation tests of hv/core/xcheck: build correct guests with gmem, corrupt one
 * structure in one way, and require the checker to report exactly that rule,
 * structure and GPA, and nothing else. */
#define GMEM_ENV_ONLY
#include "tests/unit/test_gmem.c"

#include <sys/wait.h>
#include <unistd.h>

/* Guest A (asid 5, 16 MiB, 2 domains: 1 trusted, 2 untrusted):
 *   [0, 4M)          private, two 2M records
 *   [4M, 6M)         private, 512 4K records (a split 2M frame: contiguous SPAs)
 *   [6M, 8M)         shared 2M
 *   [8M, 8M + 64K)   shared 4K
 * Guest B (asid 6, 8 MiB, 2 domains): [0, 2M) shared, [2M, 4M) private. */
#define A_P4K MiB(4)
#define A_S2M MiB(6)
#define A_S4K MiB(8)

static struct gmem ga, gb;
static struct gmem *gs[2] = {&ga, &gb};
static struct xcheck_report rep, rep_inc, rep_nosc;

/* The GPA spans an operation that made the corruption would have touched
 * (each test names them with TOUCH): every full run is repeated with the
 * incremental checker over them and must report the same violations. */
static struct gmem_span tspan[2][8];
static unsigned tn[2];
#define TOUCH(gi, a, sz) (tspan[gi][tn[gi]++] = (struct gmem_span){(a), (sz)})

static int setup(void **state)
{
	(void)state;
	tn[0] = tn[1] = 0;
	env_init();
	guest_new(&ga, "A", 5, MiB(16), HUGE_SIZE, true, 2);
	guest_new(&gb, "B", 6, MiB(8), HUGE_SIZE, true, 2);
	assert_int_equal(gmem_populate(&ga, gpa(0), MiB(6), GMEM_PRIVATE), 0);
	assert_int_equal(gmem_convert(&ga, gpa(A_P4K), PAGE_SIZE, GMEM_SHARED), 0);
	assert_int_equal(gmem_convert(&ga, gpa(A_P4K), PAGE_SIZE, GMEM_PRIVATE), 0);
	assert_int_equal(gmem_populate(&ga, gpa(A_S2M), HUGE_SIZE, GMEM_SHARED), 0);
	assert_int_equal(gmem_populate(&ga, gpa(A_S4K), KiB(64), GMEM_SHARED), 0);
	assert_int_equal(gmem_populate(&gb, gpa(0), MiB(2), GMEM_SHARED), 0);
	assert_int_equal(gmem_populate(&gb, gpa(MiB(2)), MiB(2), GMEM_PRIVATE), 0);
	assert_int_equal(check_all(gs, 2, &rep), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* the corrupted structures are not torn down: a fresh pmem follows */
	free(ga.ledger);
	free(gb.ledger);
	free(ga.pend);
	free(gb.pend);
	env_fini();
	return 0;
}

static spa_t spa_of(struct gmem *g, u64 a)
{
	struct gmem_rec r;

	assert_int_equal(gmem_lookup(g, gpa(a), &r), 0);
	return spa_add(r.spa, a - gpa_val(r.gpa));
}

/* The entry translating gpa in the level-`level` table of pt (found with the
 * engine's walk). */
struct find {
	u64 gpa;
	unsigned level;
	u64 *entry;
	spa_t table;
};

static int find_tab(void *ctx, spa_t t, unsigned level, u64 va)
{
	struct find *f = ctx;

	if (level == f->level) {
		f->table = t;
		f->entry = (u64 *)phys_ptr(t) + ((f->gpa >> pt_level_shift(level)) & 511);
	}
	return 0;
}

static u64 *entry_of(const struct pt *pt, u64 a, unsigned level)
{
	struct find f = {a, level, NULL, {0}};
	struct pt_walk_ops ops = {.table = find_tab};

	pt_walk(pt, a, PAGE_SIZE, &ops, &f);
	assert_non_null(f.entry);
	return f.entry;
}

static int vcmp(const void *x, const void *y)
{
	const struct xcheck_violation *a = x, *b = y;
	u64 ka[] = {a->rule,  a->structure, a->structure == XC_IOMMU ? a->domain : 0,
		    a->guest, a->gpa,	    a->spa};
	u64 kb[] = {b->rule,  b->structure, b->structure == XC_IOMMU ? b->domain : 0,
		    b->guest, b->gpa,	    b->spa};

	for (unsigned i = 0; i < ARRAY_SIZE(ka); i++)
		if (ka[i] != kb[i])
			return ka[i] < kb[i] ? -1 : 1;
	return 0;
}

/* The full check into rep; then the incremental one over the TOUCHed spans
 * must find the same rule/structure/domain/guest/GPA/SPA set. */
static int run_both(void)
{
	struct gmem_touched t[2] = {{tspan[0], tn[0]}, {tspan[1], tn[1]}};
	const struct gmem_touched *tp[2] = {tn[0] ? &t[0] : NULL, tn[1] ? &t[1] : NULL};
	static struct xcheck_violation a[XCHECK_MAX_REPORT], b[XCHECK_MAX_REPORT];
	int rc = xcheck_run((const struct gmem *const *)gs, 2, &rep);

	assert_true(tn[0] + tn[1] > 0); /* every mutation test names its spans */
	/* without the kept scratch buffer (every set and bitmap calloc'd): the
	 * same reports, violation for violation */
	xcheck_scratch_limit(0);
	assert_int_equal(xcheck_run((const struct gmem *const *)gs, 2, &rep_inc), rc);
	assert_int_equal(rep_inc.total, rep.total);
	assert_memory_equal(rep_inc.v, rep.v, rep.n * sizeof(rep.v[0]));
	assert_int_equal(xcheck_run_touched((const struct gmem *const *)gs, 2, tp, &rep_inc), 0);
	memcpy(&rep_nosc, &rep_inc, sizeof(rep_inc));
	xcheck_scratch_limit(1u << 20);
	assert_int_equal(xcheck_run_touched((const struct gmem *const *)gs, 2, tp, &rep_inc), 0);
	assert_int_equal(rep_inc.total, rep_nosc.total);
	assert_memory_equal(rep_inc.v, rep_nosc.v, rep_nosc.n * sizeof(rep_nosc.v[0]));
	if (rep_inc.total != rep.total) {
		xcheck_print(&rep);
		xcheck_print(&rep_inc);
	}
	assert_int_equal(rep_inc.total, rep.total);
	assert_int_equal(rep_inc.n, rep.n);
	memcpy(a, rep.v, rep.n * sizeof(*a));
	memcpy(b, rep_inc.v, rep.n * sizeof(*b));
	qsort(a, rep.n, sizeof(*a), vcmp);
	qsort(b, rep.n, sizeof(*b), vcmp);
	for (unsigned i = 0; i < rep.n; i++)
		if (vcmp(&a[i], &b[i]))
			fail_msg(
			    "incremental differs: full %s %s gpa 0x%llx spa 0x%llx, incremental "
			    "%s %s gpa 0x%llx spa 0x%llx",
			    xcheck_rule_name(a[i].rule), xcheck_struct_name(a[i].structure),
			    (unsigned long long)a[i].gpa, (unsigned long long)a[i].spa,
			    xcheck_rule_name(b[i].rule), xcheck_struct_name(b[i].structure),
			    (unsigned long long)b[i].gpa, (unsigned long long)b[i].spa);
	return rc;
}

struct exp {
	u8 rule, st;
	u16 dom;
	u32 guest;
	u64 gpa;
};

/* The report holds exactly these violations (any order). */
static void expect(const struct exp *e, unsigned n)
{
	assert_int_equal(run_both(), 0);
	xcheck_print(&rep);
	assert_int_equal(rep.total, n);
	for (unsigned i = 0; i < n; i++) {
		bool found = false;

		for (unsigned j = 0; j < rep.n && !found; j++) {
			const struct xcheck_violation *v = &rep.v[j];

			found = v->rule == e[i].rule && v->structure == e[i].st &&
				v->guest == e[i].guest && v->gpa == e[i].gpa &&
				(v->structure != XC_IOMMU || v->domain == e[i].dom);
		}
		if (!found)
			fail_msg("missing %s %s dom %u guest %u gpa 0x%llx",
				 xcheck_rule_name(e[i].rule), xcheck_struct_name(e[i].st), e[i].dom,
				 e[i].guest, (unsigned long long)e[i].gpa);
	}
}

#define EXPECT(...)                                                                                \
	do {                                                                                       \
		const struct exp e_[] = {__VA_ARGS__};                                             \
		expect(e_, ARRAY_SIZE(e_));                                                        \
	} while (0)

static void set_addr(u64 *pte, spa_t pa)
{
	*pte = (*pte & ~GENMASK(51, 12)) | spa_val(pa);
}

/* ---- NPT ------------------------------------------------------------------- */

static void test_npt_wrong_spa(void **s)
{
	(void)s;
	TOUCH(0, A_P4K + 0x3000, PAGE_SIZE);
	set_addr(entry_of(&ga.npt, A_P4K + 0x3000, 1), spa_of(&ga, A_P4K + 0x4000));
	EXPECT({XC_I1, XC_NPT, 0, 0, A_P4K + 0x3000});
}

static void test_npt_2m_over_4k_rmp(void **s)
{
	(void)s;
	TOUCH(0, A_P4K, PAGE_SIZE);
	/* one 2M leaf over the 512 4K private records (contiguous frames: I1 holds) */
	*entry_of(&ga.npt, A_P4K, 2) =
	    pt_fmt_npt.leaf_entry(spa_of(&ga, A_P4K), 2, PT_R | PT_W | PT_X);
	EXPECT({XC_I2, XC_NPT, 0, 0, A_P4K});
}

static void test_npt_missing(void **s)
{
	(void)s;
	TOUCH(0, A_P4K + 0x5000, PAGE_SIZE);
	*entry_of(&ga.npt, A_P4K + 0x5000, 1) = 0;
	EXPECT({XC_I5, XC_NPT, 0, 0, A_P4K + 0x5000});
}

static void test_npt_extra(void **s)
{
	(void)s;
	TOUCH(0, MiB(12), PAGE_SIZE);
	assert_int_equal(
	    pt_map(&ga.npt, MiB(12), spa_of(&ga, A_S4K), PAGE_SIZE, PT_R, PT_SZ_4K, NULL), 0);
	EXPECT({XC_I5, XC_NPT, 0, 0, MiB(12)});
}

static void test_npt_maps_hypervisor_memory(void **s)
{
	struct find f = {A_S4K, 1, NULL, {0}};
	struct pt_walk_ops ops = {.table = find_tab};

	(void)s;
	TOUCH(0, A_S4K + 0x1000, 2 * PAGE_SIZE);
	/* a page-table page of the guest's own IOMMU domain */
	pt_walk(&ga.dom[0].pt, A_S4K, PAGE_SIZE, &ops, &f);
	set_addr(entry_of(&ga.npt, A_S4K + 0x1000, 1), f.table);
	/* and the RMP table */
	set_addr(entry_of(&ga.npt, A_S4K + 0x2000, 1), spa(WIN_BASE + 0x5000));
	EXPECT({XC_I4, XC_NPT, 0, 0, A_S4K + 0x1000}, {XC_I4, XC_NPT, 0, 0, A_S4K + 0x2000});
}

static void test_npt_corrupt_entry(void **s)
{
	(void)s;
	TOUCH(0, A_S4K, PAGE_SIZE);
	*entry_of(&ga.npt, A_S4K, 1) |= GENMASK(62, 52) & ~GENMASK(58, 52); /* reserved bits */
	assert_int_equal(run_both(), 0);
	assert_true(rep.total >= 1);
	assert_int_equal(rep.v[0].structure, XC_NPT);
}

/* ---- IOMMU ---------------------------------------------------------------- */

static void test_iommu_wrong_spa(void **s)
{
	(void)s;
	TOUCH(0, A_S4K + 0x1000, PAGE_SIZE);
	set_addr(entry_of(&ga.dom[1].pt, A_S4K + 0x1000, 1), spa_of(&ga, A_S4K + 0x2000));
	EXPECT({XC_I1, XC_IOMMU, 2, 0, A_S4K + 0x1000});
}

static void test_iommu_2m_over_4k_rmp(void **s)
{
	(void)s;
	TOUCH(0, A_P4K, PAGE_SIZE);
	*entry_of(&ga.dom[0].pt, A_P4K, 2) =
	    pt_fmt_amdv1.leaf_entry(spa_of(&ga, A_P4K), 2, PT_R | PT_W);
	EXPECT({XC_I2, XC_IOMMU, 1, 0, A_P4K});
}

static void test_iommu_4k_over_2m_rmp(void **s)
{
	(void)s;
	TOUCH(0, 0, HUGE_SIZE);
	/* split the trusted domain's 2M leaf at 0 into 512 4K leaves (same translations) */
	assert_int_equal(pt_protect(&ga.dom[0].pt, 0, PAGE_SIZE, PT_R, NULL), 0);
	assert_int_equal(run_both(), 0);
	assert_int_equal(rep.total, 512);
	for (unsigned i = 0; i < rep.n; i++) {
		assert_int_equal(rep.v[i].rule, XC_I2);
		assert_int_equal(rep.v[i].structure, XC_IOMMU);
		assert_int_equal(rep.v[i].domain, 1);
		assert_true(rep.v[i].gpa < HUGE_SIZE);
	}
}

static void test_iommu_missing(void **s)
{
	(void)s;
	TOUCH(0, A_P4K + 0x7000, PAGE_SIZE);
	TOUCH(0, A_S4K + 0x7000, PAGE_SIZE);
	*entry_of(&ga.dom[0].pt, A_P4K + 0x7000, 1) = 0; /* trusted, private: policy */
	*entry_of(&ga.dom[1].pt, A_S4K + 0x7000, 1) = 0; /* untrusted, shared */
	EXPECT({XC_I6, XC_IOMMU, 1, 0, A_P4K + 0x7000}, {XC_I5, XC_IOMMU, 2, 0, A_S4K + 0x7000});
}

static void test_iommu_extra(void **s)
{
	(void)s;
	TOUCH(0, A_P4K + 0x9000, PAGE_SIZE);
	TOUCH(0, MiB(12), PAGE_SIZE);
	/* untrusted domain maps a private page at its own GPA */
	assert_int_equal(pt_map(&ga.dom[1].pt, A_P4K + 0x9000, spa_of(&ga, A_P4K + 0x9000),
				PAGE_SIZE, PT_R | PT_W, PT_SZ_4K, NULL),
			 0);
	/* trusted domain maps an unpopulated GPA */
	assert_int_equal(pt_map(&ga.dom[0].pt, MiB(12), spa_of(&ga, A_S4K), PAGE_SIZE, PT_R | PT_W,
				PT_SZ_4K, NULL),
			 0);
	EXPECT({XC_I6, XC_IOMMU, 2, 0, A_P4K + 0x9000}, {XC_I5, XC_IOMMU, 1, 0, MiB(12)});
}

/* ---- RMP -------------------------------------------------------------------- */

static struct rmp_raw *raw_of(struct gmem *g, u64 a)
{
	return rmp_raw_slot(&env_rmp, spa_val(spa_of(g, a)) >> PAGE_SHIFT);
}

static void test_rmp_wrong_asid(void **s)
{
	struct rmp_raw *r = raw_of(&ga, A_P4K + 0x1000);

	(void)s;
	TOUCH(0, A_P4K + 0x1000, PAGE_SIZE);
	r->lo = FIELD_SET(RMP_RAW_ASID, r->lo, 6);
	EXPECT({XC_I2, XC_RMP, 0, 0, A_P4K + 0x1000});
}

static void test_rmp_wrong_gpa(void **s)
{
	struct rmp_raw *r = raw_of(&ga, HUGE_SIZE);

	(void)s;
	TOUCH(0, HUGE_SIZE + 0x5000, PAGE_SIZE); /* inside the 2M record */
	r->lo = FIELD_SET(RMP_RAW_GPA, r->lo, MiB(10) >> PAGE_SHIFT);
	EXPECT({XC_I2, XC_RMP, 0, 0, HUGE_SIZE});
}

static void test_rmp_wrong_size(void **s)
{
	(void)s;
	TOUCH(0, 0x1000, PAGE_SIZE);
	TOUCH(0, A_P4K + 0x2000, PAGE_SIZE);
	raw_of(&ga, 0)->lo &= ~RMP_RAW_PAGESIZE;	     /* 2M record, 4K entry */
	raw_of(&ga, A_P4K + 0x2000)->lo |= RMP_RAW_PAGESIZE; /* 4K record, 2M entry */
	EXPECT({XC_I2, XC_RMP, 0, 0, 0}, {XC_I2, XC_RMP, 0, 0, A_P4K + 0x2000});
}

static void test_rmp_assigned_bit(void **s)
{
	(void)s;
	TOUCH(0, A_P4K + 0x6000, PAGE_SIZE);
	TOUCH(0, A_S4K + 0x6000, PAGE_SIZE);
	raw_of(&ga, A_P4K + 0x6000)->lo &= ~RMP_RAW_ASSIGNED; /* private, unassigned */
	raw_of(&ga, A_S4K + 0x6000)->lo |= RMP_RAW_ASSIGNED;  /* shared, assigned */
	EXPECT({XC_I2, XC_RMP, 0, 0, A_P4K + 0x6000}, {XC_I3, XC_RMP, 0, 0, A_S4K + 0x6000});
}

static void test_rmp_unknown_assigned_full_scan(void **s)
{
	struct xcheck_opts o = {.full_rmp = true};
	spa_t pa;

	(void)s;
	TOUCH(0, MiB(14), PAGE_SIZE);
	/* a free frame assigned to A's ASID behind gmem's back */
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, PMEM_OWNER_META, &pa), 0);
	assert_int_equal(pmem_free(pa, PMEM_ORDER_4K, PMEM_OWNER_META), 0);
	assert_int_equal(rmp_make_private(&env_rmp, pa, 5, gpa(MiB(14)), RMP_PG_SIZE_4K, false), 0);
	EXPECT(); /* not seen without the full scan (documented) */
	assert_int_equal(xcheck_run_opts((const struct gmem *const *)gs, 2, &o, &rep), 0);
	xcheck_print(&rep);
	assert_int_equal(rep.total, 1);
	assert_int_equal(rep.v[0].rule, XC_I5);
	assert_int_equal(rep.v[0].structure, XC_RMP);
	assert_int_equal(rep.v[0].spa, spa_val(pa));
}

/* ---- cross-guest, pmem, flushes ----------------------------------------------- */

static void test_page_in_two_guests(void **s)
{
	(void)s;
	TOUCH(1, MiB(6), PAGE_SIZE);
	/* B's NPT maps one of A's pages at an unpopulated GPA of B */
	assert_int_equal(
	    pt_map(&gb.npt, MiB(6), spa_of(&ga, A_S4K), PAGE_SIZE, PT_R, PT_SZ_4K, NULL), 0);
	EXPECT({XC_I4, XC_NPT, 0, 1, MiB(6)});
}

static void test_ledger_double_booking(void **s)
{
	(void)s;
	TOUCH(0, A_S4K + 0x3000, PAGE_SIZE);
	TOUCH(1, 0x3000, PAGE_SIZE);
	/* A's ledger records B's frame too (the tables still map A's own frame) */
	u64 *sl = &ga.ledger[(A_S4K + 0x3000) >> PAGE_SHIFT];

	*sl = (*sl & ~GMEM_L_SPA) | spa_val(spa_of(&gb, 0x3000));
	assert_int_equal(run_both(), 0);
	xcheck_print(&rep);
	/* every report is I5 (ledger) or I1 (the tables no longer agree with it) */
	for (unsigned i = 0; i < rep.n; i++)
		assert_true(rep.v[i].rule == XC_I5 || rep.v[i].rule == XC_I1);
	{
		bool dup = false;

		for (unsigned i = 0; i < rep.n; i++)
			dup |= rep.v[i].rule == XC_I5 && rep.v[i].structure == XC_LEDGER;
		assert_true(dup);
	}
}

static void test_same_asid(void **s)
{
	(void)s;
	TOUCH(1, 0, MiB(4));
	gb.asid = ga.asid;
	assert_int_equal(run_both(), 0);
	xcheck_print(&rep);
	assert_true(rep.total >= 1);
	assert_int_equal(rep.v[0].rule, XC_I4);
	assert_int_equal(rep.v[0].structure, XC_RMP);
	gb.asid = 6;
}

static void test_freed_page_still_mapped(void **s)
{
	spa_t pa = spa_of(&ga, A_S4K + 0x4000);

	(void)s;
	TOUCH(0, A_S4K + 0x4000, PAGE_SIZE);
	assert_int_equal(pmem_free(pa, PMEM_ORDER_4K, ga.own_mem), 0);
	assert_int_equal(run_both(), 0);
	xcheck_print(&rep);
	/* NPT and both domains map a free page; the ledger's frame is not owned; the
	 * owner count is one short: all I5, nothing else */
	assert_int_equal(rep.total, 5);
	for (unsigned i = 0; i < rep.n; i++)
		assert_int_equal(rep.v[i].rule, XC_I5);
	EXPECT({XC_I5, XC_NPT, 0, 0, A_S4K + 0x4000}, {XC_I5, XC_IOMMU, 1, 0, A_S4K + 0x4000},
	       {XC_I5, XC_IOMMU, 2, 0, A_S4K + 0x4000}, {XC_I5, XC_PMEM, 0, 0, A_S4K + 0x4000},
	       {XC_I5, XC_PMEM, 0, 0, 0});
}

static void test_frame_reused_before_flush(void **s)
{
	spa_t pa = spa_of(&ga, A_S4K + 0x8000), other;
	int o = pmem_owner_register("thief");

	(void)s;
	TOUCH(0, A_S4K + 0x8000, PAGE_SIZE);
	ga.hold_pending = true; /* the flush "has not completed" */
	assert_int_equal(gmem_release(&ga, gpa(A_S4K + 0x8000), PAGE_SIZE), 0);
	assert_true(ga.nr_pend >= 1);
	ga.tlb_done = ga.pend[0].tlb_at; /* flush generation not reached */
	EXPECT();
	/* the frame goes back to pmem early and someone else gets it */
	assert_int_equal(pmem_free(pa, PMEM_ORDER_4K, ga.own_mem), 0);
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, (u8)o, &other), 0);
	EXPECT({XC_I7, XC_PMEM, 0, 0, 0});
}

static void test_table_page_freed_while_linked(void **s)
{
	struct find f = {0, 2, NULL, {0}};
	struct pt_walk_ops ops = {.table = find_tab};

	(void)s;
	TOUCH(1, 0, PAGE_SIZE);
	pt_walk(&gb.dom[1].pt, 0, PAGE_SIZE, &ops, &f);
	assert_int_equal(pmem_free(f.table, PMEM_ORDER_4K, gb.own_iommu), 0);
	assert_int_equal(run_both(), 0);
	xcheck_print(&rep);
	/* I7 for the table; pmem scrubbed it, so B's shared 2M at 0 is gone from the
	 * domain (I5), and the owner count of the IOMMU tables is short (I5) */
	EXPECT({XC_I7, XC_IOMMU, 2, 1, 0}, {XC_I5, XC_IOMMU, 2, 1, 0}, {XC_I5, XC_PMEM, 0, 1, 0});
}

/* ---- the offline checker on a dump made here ----------------------------------- */

static int run_tool(const char *dump, const char *roots, char *out, size_t outlen)
{
	const char *root = getenv("SNPV_ROOT");
	char cmd[1024];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "%s/build/tools/xcheck-dump %s %s 2>&1", root ? root : ".", dump,
		 roots);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, outlen - 1, p);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_roots(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "# made by test_xcheck\ndump 0x%llx\nrmp 0x%llx 0x%llx 0x%llx\n",
		(unsigned long long)WIN_BASE, (unsigned long long)spa_val(env_rmp.base),
		(unsigned long long)env_rmp.size, (unsigned long long)env_rmp.npfns);
	for (unsigned i = 0; i < 2; i++) {
		fprintf(f, "guest %s %u 0x%llx 0x%llx\n", gs[i]->name, gs[i]->asid,
			(unsigned long long)gs[i]->mem_size,
			(unsigned long long)spa_val(gs[i]->npt.root));
		for (unsigned d = 0; d < gs[i]->nr_dom; d++)
			fprintf(f, "domain %u 0x%llx %u %d\n", gs[i]->dom[d].id,
				(unsigned long long)spa_val(gs[i]->dom[d].pt.root),
				gs[i]->dom[d].pt.levels, gs[i]->dom[d].trusted);
	}
	fclose(f);
}

static void test_dump_tool(void **s)
{
	char dump[] = "/tmp/snpv-xcheck-dumpXXXXXX", roots[64], out[8192];
	u64 *pte;
	FILE *f;
	int fd;

	(void)s;
	fd = mkstemp(dump);
	assert_true(fd >= 0);
	close(fd);
	snprintf(roots, sizeof(roots), "%s.roots", dump);
	write_roots(roots);
	f = fopen(dump, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(env_win, 1, WIN_SIZE, f), WIN_SIZE);
	fclose(f);
	if (access("build/tools/xcheck-dump", X_OK) && !getenv("SNPV_ROOT"))
		skip();
	assert_int_equal(run_tool(dump, roots, out, sizeof(out)), 0);
	/* corrupt one byte of an NPT entry in the file: A's shared 4K at 8M+4K now
	 * points 8K further; the domains (and the frame's other GPA) disagree */
	pte = entry_of(&ga.npt, A_S4K + 0x1000, 1);
	f = fopen(dump, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)((u8 *)pte - env_win) + 1, SEEK_SET), 0);
	fputc(((u8 *)pte)[1] ^ 0x20, f);
	fclose(f);
	assert_int_equal(run_tool(dump, roots, out, sizeof(out)), 1);
	print_message("%s", out);
	assert_non_null(strstr(out, "I1 guest 0 IOMMU dom 1 gpa 0x801000"));
	assert_non_null(strstr(out, "I1 guest 0 IOMMU dom 2 gpa 0x801000"));
	unlink(dump);
	unlink(roots);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_npt_wrong_spa),
	    T(test_npt_2m_over_4k_rmp),
	    T(test_npt_missing),
	    T(test_npt_extra),
	    T(test_npt_maps_hypervisor_memory),
	    T(test_npt_corrupt_entry),
	    T(test_iommu_wrong_spa),
	    T(test_iommu_2m_over_4k_rmp),
	    T(test_iommu_4k_over_2m_rmp),
	    T(test_iommu_missing),
	    T(test_iommu_extra),
	    T(test_rmp_wrong_asid),
	    T(test_rmp_wrong_gpa),
	    T(test_rmp_wrong_size),
	    T(test_rmp_assigned_bit),
	    T(test_rmp_unknown_assigned_full_scan),
	    T(test_page_in_two_guests),
	    T(test_ledger_double_booking),
	    T(test_same_asid),
	    T(test_freed_page_still_mapped),
	    T(test_frame_reused_before_flush),
	    T(test_table_page_freed_while_linked),
	    T(test_dump_tool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
