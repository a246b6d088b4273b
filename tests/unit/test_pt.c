/* Unit tests of the page-table engine (hv/mm/pt.c) and its formats: golden
 * encodings, map/unmap/protect/lookup over 4K/2M/1G, splitting, merging,
 * freeing, prepare/commit and -ENOMEM at every allocation point.
 * Randomized sequences are in test_pt_random.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "hv/base/bits.h"
#include "hv/base/log.h"
#include "tests/unit/test_pt_env.h"

#define WIN_BASE  0x123400000ULL /* fake SPA of the table pages */
#define WIN_PAGES 4096

static struct pt pt;

static int setup(void **state)
{
	(void)state;
	ta_init(WIN_BASE, WIN_PAGES);
	ref_init(0, 1);
	log_level_max = LOG_ERR;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ta_fini();
	ref_fini();
	return 0;
}

static void init_pt(const struct pt_fmt *fmt, unsigned levels)
{
	assert_int_equal(pt_init(&pt, fmt, levels, &ta_mm), 0);
	assert_int_equal(pt_table_pages(&pt), 1);
}

static void fini_pt(void)
{
	pt_destroy(&pt);
	assert_int_equal(ta.in_use, 0);
	assert_int_equal(ta.allocs, ta.frees);
}

static struct pt_leaf lookup_ok(u64 va)
{
	struct pt_leaf l;

	assert_int_equal(pt_lookup(&pt, va, &l), 0);
	return l;
}

/* ---- golden encodings -------------------------------------------------------- */

static void test_golden_x86(void **state)
{
	const struct pt_fmt *f = &pt_fmt_x86;
	struct pt_ent e;

	(void)state;
	/* 4K RWX: P|RW */
	assert_int_equal(f->leaf_entry(spa(0x1234000), 1, PT_R | PT_W | PT_X), 0x1234003ULL);
	/* 4K read-only, no execute: P|NX */
	assert_int_equal(f->leaf_entry(spa(0x1234000), 1, PT_R), 0x8000000001234001ULL);
	/* 2M RW uncached: P|RW|PWT|PCD|PS|NX */
	assert_int_equal(f->leaf_entry(spa(0x40200000), 2, PT_R | PT_W | PT_UC),
			 0x800000004020009BULL);
	/* 1G RX global user: P|US|PS|G */
	assert_int_equal(f->leaf_entry(spa(0xC0000000), 3, PT_R | PT_X | PT_USER | PT_GLOBAL),
			 0xC0000185ULL);
	/* table: P|RW|US */
	assert_int_equal(f->table_entry(spa(0x5000), 4), 0x5007ULL);
	/* highest address bit 51 */
	assert_int_equal(f->leaf_entry(spa(1ULL << 51), 1, PT_R | PT_X), (1ULL << 51) | 1);

	e = f->decode(0x800000004020009BULL, 2);
	assert_int_equal(e.kind, PT_LEAF);
	assert_int_equal(spa_val(e.pa), 0x40200000);
	assert_int_equal(e.prot, PT_R | PT_W | PT_UC);
	e = f->decode(0x5007 | 0x20, 3); /* accessed table */
	assert_int_equal(e.kind, PT_TABLE);
	assert_int_equal(f->decode(0, 1).kind, PT_NONE);
	assert_int_equal(f->decode(0x1234002, 1).kind, PT_BAD);	 /* P=0, RW=1 */
	assert_int_equal(f->decode(0x40000083, 4).kind, PT_BAD); /* PS at PML4 */
	assert_int_equal(f->decode(0x40201083, 2).kind, PT_BAD); /* 2M not aligned */
	assert_int_equal(f->decode(0x1234083, 1).kind, PT_BAD);	 /* PAT at level 1 */
	assert_int_equal(f->decode(0x1234E01, 1).kind, PT_BAD);	 /* AVL bits */
	assert_int_equal(f->decode(0x5003, 3).kind, PT_BAD);	 /* table without US */
	assert_int_equal(f->decode(0x1234011, 1).kind, PT_BAD);	 /* PCD without PWT */
}

static void test_golden_npt(void **state)
{
	const struct pt_fmt *f = &pt_fmt_npt;
	struct pt_ent e;

	(void)state;
	/* NPT: U=1 in every entry (qemu-facts.md, APM 15.25.5) */
	assert_int_equal(f->leaf_entry(spa(0x1234000), 1, PT_R | PT_W | PT_X), 0x1234007ULL);
	assert_int_equal(f->leaf_entry(spa(0x1234000), 1, PT_R), 0x8000000001234005ULL);
	assert_int_equal(f->leaf_entry(spa(0x200000), 2, PT_R | PT_W | PT_X), 0x200087ULL);
	assert_int_equal(f->table_entry(spa(0x7000), 2), 0x7007ULL);
	e = f->decode(0x1234007, 1);
	assert_int_equal(e.kind, PT_LEAF);
	assert_int_equal(e.prot, PT_R | PT_W | PT_X);
	assert_int_equal(f->decode(0x1234003, 1).kind, PT_BAD); /* U=0 */
	assert_int_equal(f->decode(0x1234107, 1).kind, PT_BAD); /* G */
	assert_int_equal(f->prot_valid & PT_USER, 0);
}

static void test_golden_amdv1(void **state)
{
	const struct pt_fmt *f = &pt_fmt_amdv1;
	struct pt_ent e;

	(void)state;
	/* 4K leaf RW: PR | FC | IR | IW, NextLevel 0 */
	assert_int_equal(f->leaf_entry(spa(0x1234000), 1, PT_R | PT_W), 0x7000000001234001ULL);
	/* 2M leaf read-only, no forced coherence: PR | IR */
	assert_int_equal(f->leaf_entry(spa(0x40200000), 2, PT_R | PT_UC), 0x2000000040200001ULL);
	/* 1G leaf write-only */
	assert_int_equal(f->leaf_entry(spa(0x80000000), 3, PT_W), 0x5000000080000001ULL);
	/* table entries: PR | NextLevel = level - 1 | IR | IW */
	assert_int_equal(f->table_entry(spa(0x5000), 2), 0x6000000000005201ULL);
	assert_int_equal(f->table_entry(spa(0x5000), 4), 0x6000000000005601ULL);
	assert_int_equal(f->table_entry(spa(0x5000), 6), 0x6000000000005A01ULL);

	e = f->decode(0x6000000000005601ULL, 4);
	assert_int_equal(e.kind, PT_TABLE);
	assert_int_equal(spa_val(e.pa), 0x5000);
	e = f->decode(0x5000000080000001ULL, 3);
	assert_int_equal(e.kind, PT_LEAF);
	assert_int_equal(e.prot, PT_W);
	/* corrupt or never written */
	assert_int_equal(f->decode(0x6000000001234000ULL, 1).kind, PT_BAD); /* PR=0, IR/IW set */
	assert_int_equal(f->decode(0x6000000000005401ULL, 4).kind, PT_BAD); /* skips a level */
	assert_int_equal(f->decode(0x6000000000001E01ULL, 2).kind, PT_BAD); /* NextLevel 7 */
	assert_int_equal(f->decode(0x4000000000005201ULL, 2).kind, PT_BAD); /* table without IR */
	assert_int_equal(f->decode(0x7000000000000001ULL, 4).kind, PT_BAD); /* 512G leaf */
	assert_int_equal(f->decode(0x7010000001234001ULL, 1).kind, PT_BAD); /* reserved bit 52 */
	assert_int_equal(f->decode(0x7000000001234201ULL, 1).kind, PT_BAD); /* NL at level 1 */
}

/* ---- map / lookup / unmap --------------------------------------------------------- */

static void test_map_sizes(void **state)
{
	const struct pt_fmt *fmts[] = {&pt_fmt_x86, &pt_fmt_npt, &pt_fmt_amdv1};
	unsigned k;

	(void)state;
	for (k = 0; k < ARRAY_SIZE(fmts); k++) {
		struct pt_change chg = {0};
		struct pt_leaf l;
		u32 rw = PT_R | PT_W;

		init_pt(fmts[k], 4);
		/* 4K: root + 3 tables */
		assert_int_equal(pt_map(&pt, 0x1000, spa(0x777000), PAGE_SIZE, rw, PT_SZ_ALL, &chg),
				 0);
		assert_int_equal(pt_table_pages(&pt), 4);
		assert_int_equal(chg.tables_alloc, 3);
		assert_int_equal(chg.flags & PT_CHANGE_FLUSH, 0); /* nothing was present */
		l = lookup_ok(0x1abc);
		assert_int_equal(l.va, 0x1000);
		assert_int_equal(spa_val(l.pa), 0x777000);
		assert_int_equal(l.level, 1);
		assert_int_equal(l.prot, rw);
		assert_int_equal(pt_lookup(&pt, 0x2000, &l), -ENOENT);
		/* 2M: in the existing PD */
		assert_int_equal(
		    pt_map(&pt, 0x200000, spa(0x40000000), HUGE_SIZE, rw, PT_SZ_ALL, NULL), 0);
		assert_int_equal(pt_table_pages(&pt), 4);
		l = lookup_ok(0x3fffff);
		assert_int_equal(l.level, 2);
		assert_int_equal(l.size, HUGE_SIZE);
		assert_int_equal(spa_val(l.pa), 0x40000000);
		/* 1G + 2M + 4K in one map, largest leaves the alignment allows */
		assert_int_equal(pt_map(&pt, GiB(1), spa(GiB(4)), GiB(1) + HUGE_SIZE + PAGE_SIZE,
					PT_R, PT_SZ_ALL, NULL),
				 0);
		assert_int_equal(lookup_ok(GiB(1) + 5).level, 3);
		assert_int_equal(lookup_ok(GiB(2) + 5).level, 2);
		assert_int_equal(lookup_ok(GiB(2) + HUGE_SIZE).level, 1);
		assert_int_equal(spa_val(lookup_ok(GiB(2) + HUGE_SIZE).pa), GiB(5) + HUGE_SIZE);
		assert_int_equal(pt_table_pages(&pt), 6);
		/* 2M-aligned va but pa only 4K aligned: 4K leaves */
		assert_int_equal(pt_map(&pt, GiB(3), spa(0x1000), HUGE_SIZE, PT_R, PT_SZ_ALL, NULL),
				 0);
		assert_int_equal(lookup_ok(GiB(3)).level, 1);
		/* sizes mask forbids 2M */
		assert_int_equal(
		    pt_map(&pt, GiB(3) + HUGE_SIZE, spa(GiB(8)), HUGE_SIZE, PT_R, PT_SZ_4K, NULL),
		    0);
		assert_int_equal(lookup_ok(GiB(3) + HUGE_SIZE).level, 1);
		/* unmap everything: tables freed, root stays */
		memset(&chg, 0, sizeof(chg));
		assert_int_equal(pt_unmap(&pt, 0, GiB(4), &chg), 0);
		assert_int_equal(pt_table_pages(&pt), 1);
		assert_true(chg.flags & PT_CHANGE_FLUSH);
		assert_true(chg.flags & PT_CHANGE_TABLE_FREED);
		assert_int_equal(chg.start, 0);
		assert_true(chg.last >= GiB(3) + HUGE_SIZE * 2 - 1);
		assert_int_equal(ta.in_use, 1);
		fini_pt();
	}
}

/* ---- split ------------------------------------------------------------------- */

static void test_split_unmap(void **state)
{
	struct pt_change chg = {0};
	struct pt_leaf l;

	(void)state;
	init_pt(&pt_fmt_npt, 4);
	assert_int_equal(pt_map(&pt, GiB(1), spa(GiB(7)), GiB(1), PT_R | PT_X, PT_SZ_ALL, NULL), 0);
	assert_int_equal(pt_table_pages(&pt), 2);
	/* unmap one 4K page in the middle: 1G -> 512 x 2M -> 512 x 4K */
	assert_int_equal(pt_unmap(&pt, GiB(1) + MiB(6) + KiB(8), PAGE_SIZE, &chg), 0);
	assert_int_equal(chg.tables_alloc, 2);
	assert_true(chg.flags & PT_CHANGE_FLUSH);
	assert_int_equal(chg.start, GiB(1) + MiB(6) + KiB(8));
	assert_int_equal(chg.last, GiB(1) + MiB(6) + KiB(12) - 1);
	assert_int_equal(pt_table_pages(&pt), 4);
	assert_int_equal(pt_lookup(&pt, GiB(1) + MiB(6) + KiB(8), &l), -ENOENT);
	l = lookup_ok(GiB(1) + MiB(6) + KiB(12));
	assert_int_equal(l.level, 1);
	assert_int_equal(spa_val(l.pa), GiB(7) + MiB(6) + KiB(12));
	assert_int_equal(l.prot, PT_R | PT_X); /* prot preserved */
	l = lookup_ok(GiB(1) + MiB(2));
	assert_int_equal(l.level, 2);
	assert_int_equal(spa_val(l.pa), GiB(7) + MiB(2));
	l = lookup_ok(GiB(2) - 1);
	assert_int_equal(l.level, 2);
	/* map it back: the PT and PD merge again (sizes allow 2M and 1G) */
	memset(&chg, 0, sizeof(chg));
	assert_int_equal(pt_map(&pt, GiB(1) + MiB(6) + KiB(8), spa(GiB(7) + MiB(6) + KiB(8)),
				PAGE_SIZE, PT_R | PT_X, PT_SZ_ALL, &chg),
			 0);
	assert_int_equal(chg.tables_freed, 2);
	assert_true(chg.flags & PT_CHANGE_TABLE_FREED);
	assert_int_equal(lookup_ok(GiB(1)).level, 3);
	assert_int_equal(pt_table_pages(&pt), 2);
	fini_pt();
}

static void test_split_protect_merge(void **state)
{
	struct pt_change chg = {0};
	struct pt_leaf l;

	(void)state;
	init_pt(&pt_fmt_x86, 4);
	assert_int_equal(
	    pt_map(&pt, HUGE_SIZE, spa(HUGE_SIZE), HUGE_SIZE, PT_R | PT_W, PT_SZ_ALL, NULL), 0);
	assert_int_equal(pt_table_pages(&pt), 3);
	/* read-only for 2 pages: split the 2M leaf */
	assert_int_equal(pt_protect(&pt, HUGE_SIZE + PAGE_SIZE, 2 * PAGE_SIZE, PT_R, &chg), 0);
	assert_int_equal(pt_table_pages(&pt), 4);
	assert_true(chg.flags & PT_CHANGE_FLUSH);
	assert_int_equal(lookup_ok(HUGE_SIZE).prot, PT_R | PT_W);
	l = lookup_ok(HUGE_SIZE + PAGE_SIZE);
	assert_int_equal(l.prot, PT_R);
	assert_int_equal(l.level, 1);
	assert_int_equal(lookup_ok(HUGE_SIZE + 3 * PAGE_SIZE).prot, PT_R | PT_W);
	/* protect to the same prot inside a leaf: no split, no write */
	memset(&chg, 0, sizeof(chg));
	assert_int_equal(pt_protect(&pt, HUGE_SIZE + 8 * PAGE_SIZE, PAGE_SIZE, PT_R | PT_W, &chg),
			 0);
	assert_int_equal(chg.writes, 0);
	/* protect never merges ... */
	assert_int_equal(pt_protect(&pt, HUGE_SIZE, HUGE_SIZE, PT_R | PT_W, NULL), 0);
	assert_int_equal(pt_table_pages(&pt), 4);
	assert_int_equal(lookup_ok(HUGE_SIZE).level, 1);
	/* ... pt_merge does, within the sizes it is given */
	assert_int_equal(pt_merge(&pt, 0, GiB(1), PT_SZ_4K, NULL), 0);
	assert_int_equal(pt_table_pages(&pt), 4);
	memset(&chg, 0, sizeof(chg));
	assert_int_equal(pt_merge(&pt, 0, GiB(1), PT_SZ_4K | PT_SZ_2M, &chg), 0);
	assert_int_equal(pt_table_pages(&pt), 3);
	assert_int_equal(chg.tables_freed, 1);
	l = lookup_ok(HUGE_SIZE + 5);
	assert_int_equal(l.level, 2);
	assert_int_equal(l.prot, PT_R | PT_W);
	fini_pt();
}

static void test_auto_merge_on_map(void **state)
{
	unsigned i;

	(void)state;
	init_pt(&pt_fmt_amdv1, 3);
	/* 512 single pages, in a scattered order, contiguous output */
	for (i = 0; i < 512; i++) {
		u64 k = (i * 37) % 512;

		assert_int_equal(pt_map(&pt, HUGE_SIZE * 3 + k * PAGE_SIZE,
					spa(GiB(2) + k * PAGE_SIZE), PAGE_SIZE, PT_R | PT_W,
					PT_SZ_ALL, NULL),
				 0);
		assert_int_equal(lookup_ok(HUGE_SIZE * 3).level, i == 511 ? 2 : 1);
	}
	assert_int_equal(pt_table_pages(&pt), 2); /* root (level 3) + level-2 table */
	/* the same with 4K only: no merge */
	for (i = 0; i < 512; i++)
		assert_int_equal(pt_map(&pt, HUGE_SIZE * 5 + i * PAGE_SIZE,
					spa(GiB(3) + i * PAGE_SIZE), PAGE_SIZE, PT_R, PT_SZ_4K,
					NULL),
				 0);
	assert_int_equal(lookup_ok(HUGE_SIZE * 5).level, 1);
	assert_int_equal(pt_table_pages(&pt), 3);
	/* differing prot in one entry: no merge */
	assert_int_equal(pt_protect(&pt, HUGE_SIZE * 5 + PAGE_SIZE, PAGE_SIZE, PT_W, NULL), 0);
	assert_int_equal(pt_merge(&pt, 0, GiB(1), PT_SZ_ALL, NULL), 0);
	assert_int_equal(lookup_ok(HUGE_SIZE * 5).level, 1);
	assert_int_equal(pt_protect(&pt, HUGE_SIZE * 5 + PAGE_SIZE, PAGE_SIZE, PT_R, NULL), 0);
	assert_int_equal(pt_merge(&pt, 0, GiB(1), PT_SZ_ALL, NULL), 0);
	assert_int_equal(lookup_ok(HUGE_SIZE * 5).level, 2);
	assert_int_equal(pt_table_pages(&pt), 2);
	fini_pt();
}

/* Replacing a mapped range by a larger leaf frees the tables under it. */
static void test_replace_frees(void **state)
{
	struct pt_change chg = {0};
	unsigned i;

	(void)state;
	init_pt(&pt_fmt_npt, 4);
	for (i = 0; i < 8; i++)
		assert_int_equal(pt_map(&pt, GiB(1) + i * MiB(64), spa(GiB(9) + i * PAGE_SIZE),
					PAGE_SIZE, PT_R, PT_SZ_4K, NULL),
				 0);
	assert_int_equal(pt_table_pages(&pt), 3 + 8);
	assert_int_equal(pt_map(&pt, GiB(1), spa(GiB(5)), GiB(1), PT_R | PT_W, PT_SZ_ALL, &chg), 0);
	assert_int_equal(pt_table_pages(&pt), 2);
	assert_int_equal(chg.tables_freed, 9);
	assert_true(chg.flags & PT_CHANGE_FLUSH);
	/* no-replace refuses, and changes nothing */
	{
		struct pt_op op = {.type = PT_OP_MAP,
				   .prot = PT_R,
				   .sizes = PT_SZ_ALL,
				   .flags = PT_OPF_NO_REPLACE,
				   .va = GiB(2) - PAGE_SIZE,
				   .size = 2 * PAGE_SIZE,
				   .pa = spa(0)};

		assert_int_equal(pt_apply(&pt, &op, NULL), -EEXIST);
		assert_int_equal(pt_lookup(&pt, GiB(2), &(struct pt_leaf){0}), -ENOENT);
		op.va = GiB(2);
		assert_int_equal(pt_apply(&pt, &op, NULL), 0);
	}
	fini_pt();
}

/* ---- bad input ----------------------------------------------------------------- */

static void test_bad_input(void **state)
{
	struct pt_leaf l;
	u64 *root, h;

	(void)state;
	assert_int_equal(pt_init(&pt, &pt_fmt_x86, 3, &ta_mm), -EINVAL);
	assert_int_equal(pt_init(&pt, &pt_fmt_amdv1, 7, &ta_mm), -EINVAL);
	init_pt(&pt_fmt_x86, 4);
	assert_int_equal(pt_map(&pt, 0x1001, spa(0), PAGE_SIZE, PT_R, PT_SZ_ALL, NULL), -EINVAL);
	assert_int_equal(pt_map(&pt, 0x1000, spa(0x10), PAGE_SIZE, PT_R, PT_SZ_ALL, NULL), -EINVAL);
	assert_int_equal(pt_map(&pt, 0x1000, spa(0), 0, PT_R, PT_SZ_ALL, NULL), -EINVAL);
	assert_int_equal(pt_map(&pt, 1ULL << 48, spa(0), PAGE_SIZE, PT_R, PT_SZ_ALL, NULL),
			 -EINVAL);
	assert_int_equal(
	    pt_map(&pt, (1ULL << 48) - PAGE_SIZE, spa(0), 2 * PAGE_SIZE, PT_R, PT_SZ_ALL, NULL),
	    -EINVAL);
	assert_int_equal(
	    pt_map(&pt, ~0ULL - PAGE_SIZE + 1, spa(0), PAGE_SIZE, PT_R, PT_SZ_ALL, NULL), -EINVAL);
	assert_int_equal(pt_map(&pt, 0, spa(1ULL << 52), PAGE_SIZE, PT_R, PT_SZ_ALL, NULL),
			 -EINVAL);
	assert_int_equal(pt_map(&pt, 0, spa(0), PAGE_SIZE, PT_W, PT_SZ_ALL, NULL), -EINVAL);
	assert_int_equal(pt_map(&pt, 0, spa(0), PAGE_SIZE, PT_R | (1u << 9), PT_SZ_ALL, NULL),
			 -EINVAL);
	assert_int_equal(pt_map(&pt, 0, spa(0), PAGE_SIZE, PT_R, 0, NULL), -EINVAL);
	assert_int_equal(pt_map(&pt, 0, spa(0), PAGE_SIZE, PT_R, 1u << 3, NULL), -EINVAL);
	/* 2M-only needs 2M alignment */
	assert_int_equal(pt_map(&pt, 0, spa(0), PAGE_SIZE, PT_R, PT_SZ_2M, NULL), -EINVAL);
	assert_int_equal(pt_unmap(&pt, 0, 0, NULL), -EINVAL);
	assert_int_equal(pt_protect(&pt, 0, PAGE_SIZE, PT_X, NULL), -EINVAL);
	assert_int_equal(pt_lookup(&pt, 1ULL << 48, &l), -EINVAL);
	assert_int_equal(ta.in_use, 1);
	assert_int_equal(pt_map(&pt, 0, spa(0x5000), PAGE_SIZE, PT_R, PT_SZ_ALL, NULL), 0);
	/* corrupt an entry on the path: every op through it fails with -EIO and
	 * changes nothing */
	root = phys_ptr(pt_root(&pt));
	h = root[0];
	root[0] |= 1ULL << 55;
	assert_int_equal(pt_lookup(&pt, 0, &l), -EIO);
	assert_int_equal(pt_map(&pt, 0x1000, spa(0), PAGE_SIZE, PT_R, PT_SZ_ALL, NULL), -EIO);
	assert_int_equal(pt_unmap(&pt, 0, PAGE_SIZE, NULL), -EIO);
	assert_int_equal(pt_protect(&pt, 0, PAGE_SIZE, PT_R | PT_W, NULL), -EIO);
	assert_int_equal(pt_walk(&pt, 0, PAGE_SIZE, &chk_ops, &(struct chk){.pt = &pt}), -EIO);
	assert_int_equal(root[0], h | (1ULL << 55));
	root[0] = h;
	assert_int_equal(lookup_ok(0).level, 1);
	fini_pt();
}

/* pt_walk_tables: the same table pages as a whole walk with a table callback,
 * level-1 entries unread (a corrupt one there: -EIO from pt_walk_all, not
 * from pt_walk_tables); one on a higher level still stops it with -EIO. */
struct tabsum {
	u64 n, sum;
};

static int tab_sum(void *ctx, spa_t t, unsigned level, u64 va)
{
	struct tabsum *s = ctx;

	s->n++;
	s->sum += spa_val(t) * 31 + level * 7 + va;
	return 0;
}

static void test_walk_tables(void **state)
{
	struct pt_walk_ops ops = {.table = tab_sum};
	struct tabsum all = {0}, only = {0};
	struct pt_leaf l;
	u64 h;

	(void)state;
	init_pt(&pt_fmt_x86, 4);
	assert_int_equal(pt_map(&pt, 0, spa(0x200000), 4 * HUGE_SIZE, PT_R, PT_SZ_4K, NULL), 0);
	assert_int_equal(pt_map(&pt, 1ULL << 39, spa(0x1000000), HUGE_SIZE, PT_R, PT_SZ_2M, NULL), 0);
	assert_int_equal(pt_walk_all(&pt, &ops, &all), 0);
	assert_int_equal(pt_walk_tables(&pt, 0, 1ULL << 48, tab_sum, &only), 0);
	assert_int_equal(only.n, pt_table_pages(&pt));
	assert_int_equal(only.n, all.n);
	assert_int_equal(only.sum, all.sum);
	memset(&only, 0, sizeof(only));
	assert_int_equal(pt_walk_tables(&pt, HUGE_SIZE, HUGE_SIZE, tab_sum, &only), 0);
	assert_int_equal(only.n, 4); /* root, level 3, level 2, the one leaf table */
	/* a corrupt leaf entry */
	l = lookup_ok(0x3000);
	assert_int_equal(l.level, 1);
	{
		u64 *root = phys_ptr(pt_root(&pt));
		u64 *l3 = phys_ptr(spa(root[0] & GENMASK(51, 12)));
		u64 *l2 = phys_ptr(spa(l3[0] & GENMASK(51, 12)));
		u64 *l1 = phys_ptr(spa(l2[0] & GENMASK(51, 12)));

		h = l1[3];
		l1[3] |= 1ULL << 55;
		memset(&only, 0, sizeof(only));
		assert_int_equal(pt_walk_all(&pt, &ops, &(struct tabsum){0}), -EIO);
		assert_int_equal(pt_walk_tables(&pt, 0, 1ULL << 48, tab_sum, &only), 0);
		assert_int_equal(only.n, pt_table_pages(&pt));
		l1[3] = h;
		/* a corrupt table entry above the leaves still stops it */
		h = l2[0];
		l2[0] |= 1ULL << 55;
		assert_int_equal(pt_walk_tables(&pt, 0, 1ULL << 48, tab_sum, &only), -EIO);
		l2[0] = h;
	}
	fini_pt();
}

/* ---- AMD IOMMU modes ---------------------------------------------------------------- */

static void test_amdv1_modes(void **state)
{
	struct pt_leaf l;
	unsigned mode;

	(void)state;
	for (mode = 1; mode <= 6; mode++) {
		u64 top = mode == 6 ? ~0ULL - PAGE_SIZE * 2 + 1
				    : (1ULL << (12 + 9 * mode)) - 2 * PAGE_SIZE;

		init_pt(&pt_fmt_amdv1, mode);
		assert_int_equal(pt_map(&pt, 0, spa(0x100000), PAGE_SIZE, PT_R, PT_SZ_4K, NULL), 0);
		assert_int_equal(pt_map(&pt, top, spa(0x200000), PAGE_SIZE, PT_W, PT_SZ_4K, NULL),
				 0);
		assert_int_equal(pt_table_pages(&pt), mode == 1 ? 1 : 1 + 2 * (mode - 1));
		l = lookup_ok(top);
		assert_int_equal(spa_val(l.pa), 0x200000);
		assert_int_equal(l.prot, PT_W);
		if (mode < 6)
			assert_int_equal(pt_map(&pt, top + 2 * PAGE_SIZE, spa(0), PAGE_SIZE, PT_R,
						PT_SZ_4K, NULL),
					 -EINVAL);
		if (mode < 3)
			assert_int_equal(pt_map(&pt, 0, spa(0), PAGE_SIZE, PT_R, PT_SZ_ALL, NULL),
					 -EINVAL);
		assert_int_equal(pt_unmap(&pt, top, PAGE_SIZE, NULL), 0);
		assert_int_equal(pt_unmap(&pt, 0, PAGE_SIZE, NULL), 0);
		assert_int_equal(pt_table_pages(&pt), 1);
		fini_pt();
	}
	/* mode 6: the root's entry for bits 63:57 */
	init_pt(&pt_fmt_amdv1, 6);
	assert_int_equal(
	    pt_map(&pt, 0xFE00000000000000ULL, spa(GiB(1)), GiB(1), PT_R | PT_W, PT_SZ_ALL, NULL),
	    0);
	assert_int_equal(((u64 *)phys_ptr(pt_root(&pt)))[127] & 0xE01, 0xA01); /* NL 5 */
	assert_int_equal(lookup_ok(0xFE00000000001000ULL).level, 3);
	fini_pt();
}

/* ---- prepare / commit --------------------------------------------------------------- */

static void test_prepare_commit_two_tables(void **state)
{
	struct pt npt, iommu;
	struct pt_reserve rn, ri;
	struct pt_op op = {.type = PT_OP_MAP,
			   .prot = PT_R | PT_W,
			   .sizes = PT_SZ_4K,
			   .va = GiB(3),
			   .size = 4 * PAGE_SIZE,
			   .pa = spa(GiB(1))};
	struct pt_change chg = {0};
	u64 hn, hi;

	(void)state;
	assert_int_equal(pt_init(&npt, &pt_fmt_npt, 4, &ta_mm), 0);
	assert_int_equal(pt_init(&iommu, &pt_fmt_amdv1, 3, &ta_mm), 0);
	hn = table_hash(&npt);
	hi = table_hash(&iommu);
	memset(&rn, 0, sizeof(rn));
	memset(&ri, 0, sizeof(ri));
	/* the NPT op needs 3 pages, the IOMMU op 2; the IOMMU prepare fails */
	assert_int_equal(pt_prepare(&npt, &op, &rn), 0);
	assert_int_equal(rn.count, 3);
	assert_int_equal(pt_prepare(&npt, &op, &rn), -EBUSY);
	ta.fail_in = 1;
	op.va = 0;
	assert_int_equal(pt_prepare(&iommu, &op, &ri), -ENOMEM);
	assert_int_equal(ri.count, 0);
	pt_reserve_release(&npt, &rn);
	assert_int_equal(ta.in_use, 2);
	assert_int_equal(table_hash(&npt), hn);
	assert_int_equal(table_hash(&iommu), hi);
	/* both succeed: commit both */
	ta.fail_in = -1;
	op.va = GiB(3);
	assert_int_equal(pt_prepare(&npt, &op, &rn), 0);
	op.va = 0;
	assert_int_equal(pt_prepare(&iommu, &op, &ri), 0);
	assert_int_equal(ri.count, 2);
	op.va = GiB(3);
	pt_commit(&npt, &op, &rn, &chg);
	op.va = 0;
	pt_commit(&iommu, &op, &ri, &chg);
	assert_int_equal(rn.count + ri.count, 0);
	assert_int_equal(chg.tables_alloc, 5);
	pt_reserve_release(&npt, &rn);
	pt_reserve_release(&iommu, &ri);
	{
		struct pt_leaf l;

		assert_int_equal(pt_lookup(&iommu, PAGE_SIZE, &l), 0);
		assert_int_equal(spa_val(l.pa), GiB(1) + PAGE_SIZE);
		assert_int_equal(pt_lookup(&npt, GiB(3), &l), 0);
	}
	pt_destroy(&npt);
	pt_destroy(&iommu);
	assert_int_equal(ta.in_use, 0);
}

/* ---- -ENOMEM at every allocation point ------------------------------------------------ */

/* Applies op with the Nth allocation failing, for N = 0, 1, ... until it
 * succeeds; every failure must leave tables and allocator unchanged. Returns
 * the number of failures seen. */
static unsigned enomem_every_point(const struct pt_op *op)
{
	unsigned n;

	for (n = 0;; n++) {
		u64 h = table_hash(&pt), used = ta.in_use, pages = pt_table_pages(&pt);
		int rc;

		ta.fail_in = n;
		rc = pt_apply(&pt, op, NULL);
		ta.fail_in = -1;
		if (rc == 0)
			return n;
		assert_int_equal(rc, -ENOMEM);
		assert_int_equal(table_hash(&pt), h);
		assert_int_equal(ta.in_use, used);
		assert_int_equal(pt_table_pages(&pt), pages);
	}
}

static void test_enomem(void **state)
{
	struct pt_op op = {.type = PT_OP_MAP, .prot = PT_R, .sizes = PT_SZ_ALL};

	(void)state;
	init_pt(&pt_fmt_x86, 4);
	/* a fresh path: 3 tables */
	op.va = GiB(5) + PAGE_SIZE;
	op.size = PAGE_SIZE;
	op.pa = spa(0x9000);
	assert_int_equal(enomem_every_point(&op), 3);
	/* 1G leaf, then split it down to 4K for a 4K unmap: 2 tables */
	op.va = GiB(1);
	op.size = GiB(1);
	op.pa = spa(GiB(1));
	assert_int_equal(enomem_every_point(&op), 0);
	op.type = PT_OP_UNMAP;
	op.va = GiB(1) + MiB(4) + PAGE_SIZE;
	op.size = PAGE_SIZE;
	assert_int_equal(enomem_every_point(&op), 2);
	/* protect across two 2M leaves, needing a split on both sides */
	op.type = PT_OP_PROTECT;
	op.prot = PT_R | PT_W;
	op.va = GiB(1) + MiB(2) - PAGE_SIZE;
	op.size = 3 * PAGE_SIZE;
	assert_int_equal(enomem_every_point(&op), 2);
	/* a 4K map over 12 MiB across a 1G boundary: many tables */
	op.type = PT_OP_MAP;
	op.prot = PT_R;
	op.sizes = PT_SZ_4K;
	op.va = GiB(3) - MiB(6);
	op.size = MiB(12);
	op.pa = spa(GiB(20) + PAGE_SIZE);
	assert_int_equal(enomem_every_point(&op), 2 + 6); /* 2 PDs, 6 PTs */
	fini_pt();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden_x86),
	    cmocka_unit_test(test_golden_npt),
	    cmocka_unit_test(test_golden_amdv1),
	    cmocka_unit_test_setup_teardown(test_map_sizes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_split_unmap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_split_protect_merge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auto_merge_on_map, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replace_frees, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_walk_tables, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_amdv1_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prepare_commit_two_tables, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enomem, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
