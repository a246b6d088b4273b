/* Unit tests of hv/core/gmem over fake physical memory: a window with pmem over
 * it and the RMP model table in its first MiB (hv/arch/host/host_env.h).
 * The first part (the environment) is shared with test_xcheck.c,
 * test_gmem_random.c and tools' tests: they define GMEM_ENV_ONLY and include
 * this file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/core/gmem.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/mm/pmem.h"
#include "hv/mm/pt.h"
#include "snp/rmp.h"
#include "hv/core/xcheck.h"
#include "hv/arch/host/host_env.h"

#define WIN_BASE (64ULL << 20)
#ifndef WIN_SIZE
#define WIN_SIZE (128ULL << 20)
#endif
#define RMP_AREA (2ULL << 20) /* RMP table at WIN_BASE, outside pmem */

struct fake_iommu {
	unsigned inv, sync, flush;
	int fail_sync; /* next fail_sync syncs fail */
	u64 last_iova, last_size;
};

static u8 *env_win;
static struct rmp env_rmp;
static struct fake_iommu env_io;

static int fake_inv(void *ctx, u16 id, u64 iova, u64 size)
{
	struct fake_iommu *f = ctx;

	(void)id;
	f->inv++;
	f->last_iova = iova;
	f->last_size = size;
	return 0;
}

static int fake_sync(void *ctx)
{
	struct fake_iommu *f = ctx;

	f->sync++;
	if (f->fail_sync) {
		f->fail_sync--;
		return -ETIMEDOUT;
	}
	return 0;
}

static int fake_flush(void *ctx, u32 asid)
{
	struct fake_iommu *f = ctx;

	(void)asid;
	f->flush++;
	return 0;
}

static const struct gmem_iommu_ops fake_ops = {fake_inv, fake_sync};

static void env_init(void)
{
	struct pmem_region r = {spa(WIN_BASE + RMP_AREA), WIN_SIZE - RMP_AREA};
	u64 covered = WIN_BASE + WIN_SIZE;

	if (!env_win)
		env_win = aligned_alloc(HUGE_SIZE, WIN_SIZE);
	assert_non_null(env_win);
	memset(env_win, 0x5A, WIN_SIZE);
	host_phys_window(env_win, spa(WIN_BASE), WIN_SIZE);
	assert_int_equal(pmem_init(&r, 1), 0);
	memset(&env_rmp, 0, sizeof(env_rmp));
	assert_true(rmp_table_size(covered >> PAGE_SHIFT) <= RMP_AREA);
	assert_int_equal(rmp_init_model(&env_rmp, spa(WIN_BASE), RMP_AREA, covered), 0);
	memset(&env_io, 0, sizeof(env_io));
	log_level_max = LOG_ERR;
}

static void env_fini(void)
{
	host_phys_window(NULL, spa(0), 0);
}

/* A guest with one trusted (id 1) and one untrusted (id 2) domain (ndom 0..2). */
static void guest_new(struct gmem *g, const char *name, u32 asid, u64 mem, u64 max_page, bool snp,
		      unsigned ndom)
{
	struct gmem_params p = {
	    .name = name,
	    .asid = asid,
	    .mem_size = mem,
	    .max_page = max_page,
	    .rmp = snp ? &env_rmp : NULL,
	    .flush_asid = fake_flush,
	    .flush_ctx = &env_io,
	};

	assert_int_equal(gmem_init(g, &p), 0);
	if (ndom > 0)
		assert_int_equal(gmem_attach_domain(g, 1, 3, true, &fake_ops, &env_io), 0);
	if (ndom > 1)
		assert_int_equal(gmem_attach_domain(g, 2, 4, false, &fake_ops, &env_io), 0);
}

/* Checks guests; returns the number of violations (printed). */
static u64 check_all(struct gmem **gs, unsigned n, struct xcheck_report *rep)
{
	assert_int_equal(xcheck_run((const struct gmem *const *)gs, n, rep), 0);
	if (rep->total)
		xcheck_print(rep);
	return rep->total;
}

static __unused u64 check1(struct gmem *g)
{
	static struct xcheck_report rep;

	return check_all(&g, 1, &rep);
}

/* ---- a digest of everything a transaction may touch ------------------------- */

static u64 fnv(u64 h, const void *p, size_t n)
{
	const u8 *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static int dig_leaf(void *ctx, const struct pt_leaf *l)
{
	u64 *h = ctx;

	*h = fnv(*h, &l->va, 8);
	*h = fnv(*h, &l->pte, 8);
	*h = fnv(*h, &l->level, 1);
	return 0;
}

static int dig_table(void *ctx, spa_t t, unsigned level, u64 va)
{
	u64 *h = ctx;

	*h = fnv(*h, &t, 8);
	return 0;
}

static __unused u64 digest(const struct gmem *g)
{
	struct pt_walk_ops ops = {dig_leaf, dig_table};
	u64 h = 0xcbf29ce484222325ULL, v[8];

	pt_walk_all(&g->npt, &ops, &h);
	for (unsigned i = 0; i < g->nr_dom; i++)
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
	/* the RMP entries of the whole window */
	h = fnv(h, rmp_raw_slot(&env_rmp, WIN_BASE >> PAGE_SHIFT), (WIN_SIZE >> PAGE_SHIFT) * 16);
	return h;
}

/* pmem accounting identities of a guest (outside a request). */
static __unused void assert_accounting(const struct gmem *g)
{
	assert_int_equal(pmem_owner_pages(g->own_mem), g->st.private_pages + g->st.shared_pages +
							   gmem_pending_pages(g, g->own_mem));
	assert_int_equal(pmem_owner_pages(g->own_npt), g->npt.table_pages + g->pool_npt.count +
							   gmem_pending_pages(g, g->own_npt));
	assert_int_equal(pmem_owner_pages(g->own_iommu), gmem_iommu_table_pages(g) +
							     g->pool_iommu.count +
							     gmem_pending_pages(g, g->own_iommu));
}

/* -ENOMEM at every allocation point leaves everything as it was: the state
 * (dig: a digest of the tables the mode has) and the checker's verdict.
 * Shared by test_gmem_shared.c with its own digest. */
static __unused void enomem_sweep_dig(struct gmem *g, u64 (*dig)(const struct gmem *g),
				      int (*op)(struct gmem *g))
{
	u64 d, k;
	int rc;

	for (k = 1;; k++) {
		gmem_trim(g); /* every table page must come from pmem: more points */
		d = dig(g);
		g->fail_alloc = k;
		rc = op(g);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		assert_int_equal(dig(g), d);
		assert_int_equal(check1(g), 0);
		assert_true(k < 5000);
	}
	g->fail_alloc = 0;
	assert_true(k > 1);
	assert_int_equal(check1(g), 0);
	assert_accounting(g);
}

static __unused int op_pop(struct gmem *g)
{
	return gmem_populate(g, gpa(HUGE_SIZE - 3 * PAGE_SIZE), 2 * HUGE_SIZE, GMEM_PRIVATE);
}

static __unused int op_conv(struct gmem *g)
{
	return gmem_convert(g, gpa(HUGE_SIZE + 0x9000), 3 * PAGE_SIZE, GMEM_SHARED);
}

static __unused int op_batch(struct gmem *g)
{
	struct gmem_range rs[3] = {
	    {gpa(HUGE_SIZE - PAGE_SIZE), PAGE_SIZE, GMEM_SHARED},
	    {gpa(2 * HUGE_SIZE + 0x1000), PAGE_SIZE, GMEM_SHARED},
	    {gpa(HUGE_SIZE + 0x9000), PAGE_SIZE, GMEM_PRIVATE},
	};

	return gmem_convert_batch(g, rs, 3);
}

/* A release that cuts a 2M record (op_rel_prep makes it): the split's table
 * pages are release's only allocation point. Releasing whole records
 * allocates nothing (test_gmem_teardown.c sweeps that). */
#define REL_2M MiB(8)
static __unused void op_rel_prep(struct gmem *g)
{
	struct gmem_rec r;

	assert_int_equal(gmem_populate(g, gpa(REL_2M), HUGE_SIZE, GMEM_PRIVATE), 0);
	assert_int_equal(gmem_lookup(g, gpa(REL_2M + 0x20000), &r), 0);
	assert_int_equal(r.size, HUGE_SIZE);
}

static __unused int op_rel(struct gmem *g)
{
	return gmem_release(g, gpa(REL_2M + 0x20000), PAGE_SIZE);
}

static __unused void enomem_sweep(struct gmem *g, int (*op)(struct gmem *g))
{
	enomem_sweep_dig(g, digest, op);
}

#ifndef GMEM_ENV_ONLY

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

static void assert_rmp(spa_t pa, bool assigned, u32 asid, u64 gpa, int size)
{
	struct rmp_info info;
	spa_t epa;

	assert_int_equal(rmp_lookup(&env_rmp, pa, &info, &epa), 0);
	assert_int_equal(info.assigned, assigned);
	if (!assigned)
		return;
	assert_int_equal(info.asid, asid);
	assert_int_equal(gpa_val(info.gpa) + (spa_val(pa) - spa_val(epa)), gpa);
	assert_int_equal(info.pagesize, size);
}

static void assert_leaf(const struct pt *pt, u64 gpa, spa_t pa, u64 size)
{
	struct pt_leaf l;

	assert_int_equal(pt_lookup(pt, gpa, &l), 0);
	assert_int_equal(spa_val(l.pa) + (gpa - l.va), spa_val(pa));
	assert_int_equal(l.size, size);
}

static void test_init_errors(void **state)
{
	struct gmem g;
	struct gmem_params p = {.name = "e", .asid = 1, .mem_size = MiB(8), .max_page = PAGE_SIZE};

	(void)state;
	p.mem_size = 123;
	assert_int_equal(gmem_init(&g, &p), -EINVAL);
	p.mem_size = MiB(8);
	p.max_page = MiB(1);
	assert_int_equal(gmem_init(&g, &p), -EINVAL);
	p.max_page = PAGE_SIZE;
	p.iommu_mode = (enum gmem_iommu_mode)7;
	assert_int_equal(gmem_init(&g, &p), -EINVAL);
	p.iommu_mode = GMEM_IOMMU_DUPLICATED;
	p.rmp = &env_rmp;
	p.asid = 0;
	assert_int_equal(gmem_init(&g, &p), -EINVAL);
	p.asid = 1;
	assert_int_equal(gmem_init(&g, &p), 0);
	/* 1 level (2 MiB) cannot cover 8 MiB */
	assert_int_equal(gmem_attach_domain(&g, 1, 1, true, &fake_ops, &env_io), -EINVAL);
	assert_int_equal(gmem_attach_domain(&g, 1, 2, true, &fake_ops, &env_io), 0);
	assert_int_equal(gmem_attach_domain(&g, 1, 2, true, &fake_ops, &env_io), -EEXIST);
	gmem_destroy(&g);
}

static void test_populate_private_4k_2m(void **state)
{
	struct gmem g;
	struct gmem_rec r, r2;

	(void)state;
	guest_new(&g, "a", 5, MiB(16), HUGE_SIZE, true, 2);
	/* 4K head, one 2M in the middle, 4K tail */
	assert_int_equal(gmem_populate(&g, gpa(HUGE_SIZE - 2 * PAGE_SIZE),
				       HUGE_SIZE + 4 * PAGE_SIZE, GMEM_PRIVATE),
			 0);
	assert_int_equal(gmem_lookup(&g, gpa(HUGE_SIZE - PAGE_SIZE), &r), 0);
	assert_int_equal(r.size, PAGE_SIZE);
	assert_true(r.priv);
	assert_rmp(r.spa, true, 5, HUGE_SIZE - PAGE_SIZE, RMP_PG_SIZE_4K);
	assert_leaf(&g.npt, HUGE_SIZE - PAGE_SIZE, r.spa, PAGE_SIZE);
	assert_leaf(&g.dom[0].pt, HUGE_SIZE - PAGE_SIZE, r.spa, PAGE_SIZE);
	assert_int_equal(pt_lookup(&g.dom[1].pt, HUGE_SIZE - PAGE_SIZE, &(struct pt_leaf){0}),
			 -ENOENT); /* I6: untrusted never maps private */
	assert_int_equal(gmem_lookup(&g, gpa(HUGE_SIZE + 0x5000), &r2), 0);
	assert_int_equal(r2.size, HUGE_SIZE);
	assert_int_equal(gpa_val(r2.gpa), HUGE_SIZE);
	assert_rmp(r2.spa, true, 5, HUGE_SIZE, RMP_PG_SIZE_2M);
	assert_leaf(&g.npt, HUGE_SIZE, r2.spa, HUGE_SIZE);
	assert_leaf(&g.dom[0].pt, HUGE_SIZE, r2.spa, HUGE_SIZE);
	assert_int_equal(g.st.private_pages, 512 + 4);
	assert_int_equal(env_io.inv + env_io.flush, 0); /* new mappings: nothing to flush */
	assert_int_equal(check1(&g), 0);
	assert_accounting(&g);
	/* populating again is -EEXIST and changes nothing */
	{
		u64 d = digest(&g);

		assert_int_equal(gmem_populate(&g, gpa(HUGE_SIZE), PAGE_SIZE, GMEM_SHARED),
				 -EEXIST);
		assert_int_equal(digest(&g), d);
	}
	gmem_destroy(&g);
}

static void test_populate_shared_and_no_snp(void **state)
{
	struct gmem g, h;
	struct gmem_rec r;
	struct gmem *gs[2] = {&g, &h};
	struct xcheck_report rep;

	(void)state;
	guest_new(&g, "s", 7, MiB(8), PAGE_SIZE, true, 2);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(4), GMEM_SHARED), 0);
	assert_int_equal(gmem_lookup(&g, gpa(MiB(2)), &r), 0);
	assert_int_equal(r.size, PAGE_SIZE); /* policy: 4K max */
	assert_rmp(r.spa, false, 0, 0, 0);
	assert_leaf(&g.dom[1].pt, MiB(2), r.spa, PAGE_SIZE); /* shared: every domain */
	/* plain SVM guest: no RMP, shared only */
	guest_new(&h, "plain", 0, MiB(8), HUGE_SIZE, false, 1);
	assert_int_equal(gmem_populate(&h, gpa(0), MiB(8), GMEM_PRIVATE), -EOPNOTSUPP);
	assert_int_equal(gmem_populate(&h, gpa(0), MiB(8), GMEM_SHARED), 0);
	assert_int_equal(gmem_convert(&h, gpa(0), PAGE_SIZE, GMEM_PRIVATE), -EOPNOTSUPP);
	assert_int_equal(check_all(gs, 2, &rep), 0);
	assert_accounting(&g);
	assert_accounting(&h);
	gmem_destroy(&h);
	gmem_destroy(&g);
}

static void test_convert_2m_whole_and_split(void **state)
{
	struct gmem g;
	struct gmem_rec r, r2;
	spa_t base;

	(void)state;
	guest_new(&g, "c", 9, MiB(8), HUGE_SIZE, true, 2);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(4), GMEM_PRIVATE), 0);
	assert_int_equal(gmem_lookup(&g, gpa(0), &r), 0);
	base = r.spa;
	/* whole 2M to shared: stays one 2M record, same frame (in place) */
	memset(&env_io, 0, sizeof(env_io));
	assert_int_equal(gmem_convert(&g, gpa(0), HUGE_SIZE, GMEM_SHARED), 0);
	assert_int_equal(gmem_lookup(&g, gpa(0), &r2), 0);
	assert_int_equal(r2.size, HUGE_SIZE);
	assert_false(r2.priv);
	assert_int_equal(spa_val(r2.spa), spa_val(base));
	assert_rmp(base, false, 0, 0, 0);
	assert_leaf(&g.dom[1].pt, 0, base, HUGE_SIZE);
	/* one round: one invalidation + sync for the trusted domain (the untrusted one had
	 * nothing mapped), one TLB flush */
	assert_int_equal(env_io.inv, 1);
	assert_int_equal(env_io.sync, 1);
	assert_int_equal(env_io.flush, 1);
	assert_int_equal(check1(&g), 0);
	/* 4K inside the private 2M at 2M..4M: PSMASH + splits */
	assert_int_equal(gmem_lookup(&g, gpa(HUGE_SIZE), &r), 0);
	assert_int_equal(gmem_convert(&g, gpa(HUGE_SIZE + 0x3000), PAGE_SIZE, GMEM_SHARED), 0);
	assert_int_equal(g.st.psmash, 1);
	assert_rmp(spa_add(r.spa, 0x3000), false, 0, 0, 0);
	assert_rmp(spa_add(r.spa, 0x4000), true, 9, HUGE_SIZE + 0x4000, RMP_PG_SIZE_4K);
	assert_rmp(r.spa, true, 9, HUGE_SIZE, RMP_PG_SIZE_4K);
	assert_leaf(&g.npt, HUGE_SIZE + 0x4000, spa_add(r.spa, 0x4000), PAGE_SIZE);
	assert_leaf(&g.dom[0].pt, HUGE_SIZE, r.spa, PAGE_SIZE);
	assert_leaf(&g.dom[1].pt, HUGE_SIZE + 0x3000, spa_add(r.spa, 0x3000), PAGE_SIZE);
	assert_int_equal(gmem_lookup(&g, gpa(HUGE_SIZE + 0x5000), &r2), 0);
	assert_int_equal(r2.size, PAGE_SIZE);
	assert_int_equal(check1(&g), 0);
	/* and back: 4K private again inside the split region */
	assert_int_equal(gmem_convert(&g, gpa(HUGE_SIZE + 0x3000), PAGE_SIZE, GMEM_PRIVATE), 0);
	assert_rmp(spa_add(r.spa, 0x3000), true, 9, HUGE_SIZE + 0x3000, RMP_PG_SIZE_4K);
	assert_int_equal(check1(&g), 0);
	/* a shared 2M split by a 4K conversion to private */
	assert_int_equal(gmem_convert(&g, gpa(0x1000), PAGE_SIZE, GMEM_PRIVATE), 0);
	assert_rmp(spa_add(base, 0x1000), true, 9, 0x1000, RMP_PG_SIZE_4K);
	assert_int_equal(check1(&g), 0);
	assert_int_equal(g.st.private_pages, 512 + 1);
	assert_accounting(&g);
	gmem_destroy(&g);
}

/* gmem_params.iommu_4k: the trusted domain maps 2M records with 4K leaves
 * while the NPT and the RMP keep 2M; xcheck (full and incremental) accepts
 * that, and flags a 2M IOMMU leaf in such a guest (I2). Refused with
 * shared IOMMU tables. */
static void test_iommu_4k(void **state)
{
	struct gmem g;
	struct gmem_params p = {.name = "f", .asid = 5, .mem_size = MiB(8), .max_page = HUGE_SIZE,
				.rmp = &env_rmp, .iommu_mode = GMEM_IOMMU_SHARED, .iommu_4k = true,
				.flush_asid = fake_flush, .flush_ctx = &env_io};
	struct xcheck_report rep;
	struct gmem *gp = &g;
	struct gmem_rec r;
	struct gmem_span sp = {HUGE_SIZE, HUGE_SIZE};
	struct gmem_touched t = {&sp, 1};
	u64 tables;

	(void)state;
	assert_int_equal(gmem_init(&g, &p), -EINVAL);
	p.iommu_mode = GMEM_IOMMU_DUPLICATED;
	assert_int_equal(gmem_init(&g, &p), 0);
	/* records before the domain: mapped 4K by the attach */
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(2), GMEM_PRIVATE), 0);
	assert_int_equal(gmem_attach_domain(&g, 1, 3, true, &fake_ops, &env_io), 0);
	assert_int_equal(gmem_populate(&g, gpa(MiB(2)), MiB(6), GMEM_PRIVATE), 0);
	for (u64 a = 0; a < MiB(8); a += HUGE_SIZE) {
		assert_int_equal(gmem_lookup(&g, gpa(a), &r), 0);
		assert_int_equal(r.size, HUGE_SIZE);
		assert_rmp(r.spa, true, 5, a, RMP_PG_SIZE_2M);
		assert_leaf(&g.npt, a + 0x5000, spa_add(r.spa, 0x5000), HUGE_SIZE);
		assert_leaf(&g.dom[0].pt, a + 0x5000, spa_add(r.spa, 0x5000), PAGE_SIZE);
	}
	/* one leaf table per 2M in the domain (+ the levels above), none in the NPT */
	tables = gmem_iommu_table_pages(&g);
	assert_true(tables >= 4 + 2);
	assert_true(pt_table_pages(&g.npt) < tables);
	assert_int_equal(check1(&g), 0);
	/* a whole 2M record to shared and back, then a 4K inside one (PSMASH) */
	assert_int_equal(gmem_convert(&g, gpa(HUGE_SIZE), HUGE_SIZE, GMEM_SHARED), 0);
	assert_int_equal(gmem_lookup(&g, gpa(HUGE_SIZE), &r), 0);
	assert_leaf(&g.dom[0].pt, HUGE_SIZE, r.spa, PAGE_SIZE);
	assert_int_equal(gmem_convert(&g, gpa(HUGE_SIZE), HUGE_SIZE, GMEM_PRIVATE), 0);
	assert_int_equal(gmem_convert(&g, gpa(2 * HUGE_SIZE + 0x3000), PAGE_SIZE, GMEM_SHARED), 0);
	assert_int_equal(g.st.psmash, 1);
	assert_int_equal(check1(&g), 0);
	assert_int_equal(xcheck_gmem_touched(&g, &t), 0);
	assert_accounting(&g);
	/* the mutation: a 2M leaf in the domain over the 2M private record at 2M */
	assert_int_equal(gmem_lookup(&g, gpa(HUGE_SIZE), &r), 0);
	assert_int_equal(pt_unmap(&g.dom[0].pt, HUGE_SIZE, HUGE_SIZE, NULL), 0);
	assert_int_equal(pt_map(&g.dom[0].pt, HUGE_SIZE, r.spa, HUGE_SIZE, PT_R | PT_W, PT_SZ_2M,
				NULL),
			 0);
	assert_int_equal(xcheck_run((const struct gmem *const *)&gp, 1, &rep), 0);
	assert_int_equal(rep.total, 1);
	assert_int_equal(rep.v[0].rule, XC_I2);
	assert_int_equal(rep.v[0].structure, XC_IOMMU);
	assert_int_equal(rep.v[0].gpa, HUGE_SIZE);
	assert_int_equal(xcheck_run_touched((const struct gmem *const *)&gp, 1,
					    (const struct gmem_touched *const[]){&t}, &rep),
			 0);
	assert_int_equal(rep.total, 1);
	assert_int_equal(rep.v[0].rule, XC_I2);
	assert_int_equal(rep.v[0].structure, XC_IOMMU);
	assert_int_equal(rep.v[0].gpa, HUGE_SIZE);
	/* back to 4K leaves: clean again */
	assert_int_equal(pt_unmap(&g.dom[0].pt, HUGE_SIZE, HUGE_SIZE, NULL), 0);
	assert_int_equal(pt_map(&g.dom[0].pt, HUGE_SIZE, r.spa, HUGE_SIZE, PT_R | PT_W, PT_SZ_4K,
				NULL),
			 0);
	assert_int_equal(check1(&g), 0);
	assert_int_equal(gmem_release(&g, gpa(0), MiB(8)), 0);
	assert_int_equal(gmem_destroy(&g), 0);
	assert_int_equal(pmem_owner_pages(g.own_mem), 0);
	assert_int_equal(pmem_owner_pages(g.own_iommu), 0);
}

static void test_batch_one_round(void **state)
{
	struct gmem g;
	struct gmem_range rs[64];
	unsigned i;

	(void)state;
	guest_new(&g, "b", 3, MiB(16), HUGE_SIZE, true, 2);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(16), GMEM_PRIVATE), 0);
	for (i = 0; i < 64; i++)
		rs[i] = (struct gmem_range){gpa((u64)(63 - i) * 0x41000), PAGE_SIZE, GMEM_SHARED};
	memset(&env_io, 0, sizeof(env_io));
	assert_int_equal(gmem_convert_batch(&g, rs, 64), 0);
	assert_int_equal(env_io.inv, 1); /* one per domain that changed (trusted only) */
	assert_int_equal(env_io.sync, 1);
	assert_int_equal(env_io.flush, 1);
	assert_int_equal(g.st.inv_rounds, 1);
	assert_int_equal(g.st.conversions, 64);
	assert_int_equal(check1(&g), 0);
	/* back to private: now both domains map the pages: one round, 2 invalidations */
	for (i = 0; i < 64; i++)
		rs[i].to = GMEM_PRIVATE;
	memset(&env_io, 0, sizeof(env_io));
	assert_int_equal(gmem_convert_batch(&g, rs, 64), 0);
	assert_int_equal(env_io.inv, 2);
	assert_int_equal(env_io.sync, 2);
	assert_int_equal(env_io.flush, 1);
	/* already in the target state: success, nothing done, nothing flushed */
	memset(&env_io, 0, sizeof(env_io));
	assert_int_equal(gmem_convert_batch(&g, rs, 64), 0);
	assert_int_equal(env_io.inv + env_io.sync + env_io.flush, 0);
	assert_int_equal(check1(&g), 0);
	assert_accounting(&g);
	gmem_destroy(&g);
}

static void test_bad_input_changes_nothing(void **state)
{
	struct gmem g;
	struct gmem_range rs[GMEM_BATCH_MAX + 1];
	u64 d;

	(void)state;
	guest_new(&g, "v", 4, MiB(8), HUGE_SIZE, true, 2);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(4), GMEM_PRIVATE), 0);
	d = digest(&g);
	assert_int_equal(gmem_convert(&g, gpa(0x800), PAGE_SIZE, GMEM_SHARED), -EINVAL);
	assert_int_equal(gmem_convert(&g, gpa(0), 0x800, GMEM_SHARED), -EINVAL);
	assert_int_equal(gmem_convert(&g, gpa(0), 0, GMEM_SHARED), -EINVAL);
	assert_int_equal(gmem_convert(&g, gpa(MiB(8)), PAGE_SIZE, GMEM_SHARED), -EINVAL);
	assert_int_equal(gmem_convert(&g, gpa(~0ULL & PAGE_MASK), PAGE_SIZE, GMEM_SHARED), -EINVAL);
	assert_int_equal(gmem_convert(&g, gpa(MiB(4) - PAGE_SIZE), 2 * PAGE_SIZE, GMEM_SHARED),
			 -ENOENT); /* second page not populated */
	assert_int_equal(gmem_convert(&g, gpa(0), PAGE_SIZE, (enum gmem_state)7), -EINVAL);
	rs[0] = (struct gmem_range){gpa(0), 3 * PAGE_SIZE, GMEM_SHARED};
	rs[1] = (struct gmem_range){gpa(2 * PAGE_SIZE), PAGE_SIZE, GMEM_SHARED};
	assert_int_equal(gmem_convert_batch(&g, rs, 2), -EINVAL); /* overlap */
	assert_int_equal(gmem_convert_batch(&g, rs, 0), -EINVAL);
	for (unsigned i = 0; i <= GMEM_BATCH_MAX; i++)
		rs[i] = (struct gmem_range){gpa((u64)i * PAGE_SIZE), PAGE_SIZE, GMEM_SHARED};
	assert_int_equal(gmem_convert_batch(&g, rs, GMEM_BATCH_MAX + 1), -EINVAL);
	assert_int_equal(gmem_populate(&g, gpa(MiB(6)), MiB(4), GMEM_SHARED), -EINVAL);
	assert_int_equal(gmem_release(&g, gpa(1), PAGE_SIZE), -EINVAL);
	assert_int_equal(digest(&g), d);
	assert_int_equal(check1(&g), 0);
	gmem_destroy(&g);
}

static void test_release_and_destroy(void **state)
{
	struct gmem g;
	struct gmem_rec r;
	u64 free0 = pmem_free_pages();

	(void)state;
	guest_new(&g, "r", 6, MiB(8), HUGE_SIZE, true, 2);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(8), GMEM_PRIVATE), 0);
	assert_int_equal(gmem_lookup(&g, gpa(HUGE_SIZE), &r), 0);
	memset(phys_ptr(spa_add(r.spa, 0x5000)), 0xEE, 16); /* "guest data" */
	memset(&env_io, 0, sizeof(env_io));
	/* 4K out of a private 2M: PSMASH, the frame goes back scrubbed */
	assert_int_equal(gmem_release(&g, gpa(HUGE_SIZE + 0x5000), PAGE_SIZE), 0);
	assert_int_equal(pmem_owner_of(spa_add(r.spa, 0x5000)), PMEM_OWNER_FREE);
	assert_int_equal(*(u8 *)phys_ptr(spa_add(r.spa, 0x5000)), 0);
	assert_rmp(spa_add(r.spa, 0x5000), false, 0, 0, 0);
	assert_int_equal(gmem_lookup(&g, gpa(HUGE_SIZE + 0x5000), &r), -ENOENT);
	assert_int_equal(env_io.flush, 1);
	assert_int_equal(g.nr_pend, 0);
	assert_int_equal(check1(&g), 0);
	assert_accounting(&g);
	/* releasing a range with holes skips them */
	assert_int_equal(gmem_release(&g, gpa(HUGE_SIZE), HUGE_SIZE), 0);
	assert_int_equal(check1(&g), 0);
	assert_accounting(&g);
	gmem_destroy(&g);
	assert_int_equal(pmem_free_pages(), free0);
	assert_int_equal(pmem_owner_pages(g.own_mem), 0);
	assert_int_equal(pmem_owner_pages(g.own_npt), 0);
	assert_int_equal(pmem_owner_pages(g.own_iommu), 0);
}

/* I7: a failed completion wait keeps freed pages pending; the next request
 * flushes everything and only then gives them back. */
static void test_pending_until_flush(void **state)
{
	struct gmem g;
	struct gmem_rec r;

	(void)state;
	guest_new(&g, "p", 8, MiB(8), PAGE_SIZE, true, 2);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(1), GMEM_SHARED), 0);
	assert_int_equal(gmem_lookup(&g, gpa(0x7000), &r), 0);
	env_io.fail_sync = 4;
	assert_true(gmem_release(&g, gpa(0x7000), PAGE_SIZE) < 0);
	assert_true(g.nr_pend > 0);
	assert_int_equal(pmem_owner_of(r.spa), g.own_mem); /* not reused */
	assert_int_equal(check1(&g), 0);
	assert_accounting(&g);
	env_io.fail_sync = 0;
	memset(&env_io, 0, sizeof(env_io));
	assert_int_equal(gmem_populate(&g, gpa(MiB(2)), PAGE_SIZE, GMEM_SHARED), 0);
	assert_int_equal(env_io.inv, 2); /* full invalidation of both domains */
	assert_int_equal(g.nr_pend, 0);
	assert_int_equal(pmem_owner_of(r.spa), PMEM_OWNER_FREE);
	assert_int_equal(check1(&g), 0);
	assert_accounting(&g);
	gmem_destroy(&g);
}

static void test_enomem_everywhere(void **state)
{
	struct gmem g;

	(void)state;
	guest_new(&g, "m", 2, MiB(16), HUGE_SIZE, true, 2);
	enomem_sweep(&g, op_pop);
	enomem_sweep(&g, op_conv);
	enomem_sweep(&g, op_batch);
	op_rel_prep(&g);
	enomem_sweep(&g, op_rel);
	gmem_destroy(&g);
	/* 4K policy: every allocation is a 4K frame */
	guest_new(&g, "m4", 2, MiB(16), PAGE_SIZE, true, 2);
	enomem_sweep(&g, op_pop);
	enomem_sweep(&g, op_conv);
	gmem_destroy(&g);
}

/* An RMPUPDATE failing half-way: consistent state, -EIO. */
static void test_rmp_failure_consistent(void **state)
{
	struct gmem g;
	u64 d;

	(void)state;
	guest_new(&g, "f", 11, MiB(8), HUGE_SIZE, true, 2);
	d = digest(&g);
	rmp_model_inject(&env_rmp, RMP_FAIL_INPUT, 1);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(4), GMEM_PRIVATE), -EIO);
	assert_int_equal(digest(&g), d);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(4), GMEM_PRIVATE), 0);
	/* the third RMPUPDATE of a conversion of 8 pages fails */
	rmp_model_inject(&env_rmp, RMP_FAIL_PERMISSION, 1);
	assert_int_equal(gmem_convert(&g, gpa(0), 8 * PAGE_SIZE, GMEM_SHARED), -EIO);
	assert_int_equal(check1(&g), 0);
	assert_accounting(&g);
	assert_int_equal(gmem_convert(&g, gpa(0), 8 * PAGE_SIZE, GMEM_SHARED), 0);
	assert_int_equal(check1(&g), 0);
	gmem_destroy(&g);
}

/* xcheck = always: mode full checks everything after each operation;
 * the incremental callback checks what the operation touched. */
typedef int (*xcheck_fn)(void *, struct gmem *, const struct gmem_touched *);

static void xcheck_always(xcheck_fn fn, bool full)
{
	struct gmem g;
	struct gmem_params p = {.name = "x",
				.asid = 12,
				.mem_size = MiB(4),
				.max_page = HUGE_SIZE,
				.rmp = &env_rmp,
				.check = fn};

	assert_int_equal(gmem_init(&g, &p), 0);
	assert_int_equal(gmem_attach_domain(&g, 1, 3, true, &fake_ops, &env_io), 0);
	assert_int_equal(gmem_populate(&g, gpa(0), MiB(4), GMEM_PRIVATE), 0);
	assert_int_equal(gmem_convert(&g, gpa(0x3000), PAGE_SIZE, GMEM_SHARED), 0);
	assert_int_equal(g.st.xcheck_runs, 2);
	assert_int_equal(g.st.xcheck_inc_runs, full ? 0 : 2);
	assert_int_equal(g.st.xcheck_failures, 0);
	/* corrupt the RMP behind gmem's back: the next operation reports it (the
	 * incremental check when the operation touches that page) */
	rmp_raw_slot(&env_rmp, (g.ledger[5] & GMEM_L_SPA) >> PAGE_SHIFT)->lo ^= RMP_RAW_ASID;
	assert_int_equal(gmem_convert(&g, gpa(0x3000), PAGE_SIZE, GMEM_PRIVATE), full ? -EIO : 0);
	assert_int_equal(g.st.xcheck_failures, full ? 1 : 0);
	if (!full) {
		/* outside the touched page: seen by the full check on demand */
		assert_int_equal(xcheck_gmem(&g), -EIO);
		assert_int_equal(g.st.xcheck_failures, 1);
		/* and by gmem's own RMP precheck once an operation reaches it */
		assert_int_equal(gmem_convert(&g, gpa(0x4000), 2 * PAGE_SIZE, GMEM_SHARED), -EIO);
	}
	gmem_report(&g);
	rmp_raw_slot(&env_rmp, (g.ledger[5] & GMEM_L_SPA) >> PAGE_SHIFT)->lo ^= RMP_RAW_ASID;
	assert_int_equal(xcheck_gmem(&g), 0);
	gmem_destroy(&g);
}

static void test_xcheck_always(void **state)
{
	(void)state;
	xcheck_always(xcheck_gmem_op_full, true);
}

static void test_xcheck_always_incremental(void **state)
{
	(void)state;
	xcheck_always(xcheck_gmem_op, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_populate_private_4k_2m, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_populate_shared_and_no_snp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_convert_2m_whole_and_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_iommu_4k, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_one_round, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_and_destroy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pending_until_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enomem_everywhere, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rmp_failure_consistent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_xcheck_always, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_xcheck_always_incremental, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
