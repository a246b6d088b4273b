/* Randomized tests of the page-table engine: long op sequences with fixed
 * seeds, each step checked against a reference model of 4K pages (mapped
 * range and neighbours; the whole table every CHECK_ALL_EVERY steps), with
 * structural checks (no empty table, counters = tables found = pages the
 * allocator handed out), change reports (every changed present page inside
 * [start, last] with FLUSH set), and -ENOMEM injected at every allocation
 * point of every ENOMEM_EVERY-th op. Also measures ops per second. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <time.h>

#include "hv/base/log.h"
#include "tests/unit/test_pt_env.h"

#define WIN_BASE	0x2000000000ULL /* fake SPA of the table pages (128 GiB) */
#define WIN_PAGES	8192
#define VA_WINDOW	GiB(4)
#define CHECK_ALL_EVERY 250
#define ENOMEM_EVERY	32
#define ENOMEM_DENSE	16

static u32 rnd_prot(const struct pt_fmt *fmt)
{
	u32 p;

	do {
		p = (u32)rnd() & fmt->prot_valid;
		/* mostly readable: x86 needs R; the IOMMU takes W-only too */
		if (rnd_below(4))
			p |= PT_R & fmt->prot_valid;
	} while (!(p & fmt->prot_need));
	return p;
}

static void gen_op(const struct pt *pt, struct pt_op *op)
{
	u64 r = rnd_below(100), s = rnd_below(100), align, pa_off;

	memset(op, 0, sizeof(*op));
	op->type = r < 45 ? PT_OP_MAP : r < 70 ? PT_OP_UNMAP : r < 94 ? PT_OP_PROTECT : PT_OP_MERGE;
	if (s < 45) {
		align = PAGE_SIZE;
		op->size = (1 + rnd_below(16)) * PAGE_SIZE;
	} else if (s < 75) {
		align = HUGE_SIZE;
		op->size = (1 + rnd_below(3)) * HUGE_SIZE;
	} else if (s < 80) {
		align = GIGA_SIZE;
		op->size = GIGA_SIZE;
	} else {
		align = PAGE_SIZE;
		op->size = (1 + rnd_below(2048)) * PAGE_SIZE;
	}
	/* a few hot spots make ops overlap */
	if (rnd_below(3) == 0)
		op->va = ALIGN_DOWN(GiB(1 + rnd_below(3)) - MiB(4) + rnd_below(MiB(8)), align);
	else
		op->va = rnd_below((VA_WINDOW - op->size) / align + 1) * align;
	if (op->va + op->size > VA_WINDOW)
		op->va = VA_WINDOW - op->size;
	op->prot = rnd_prot(pt->fmt);
	if (op->type == PT_OP_MAP) {
		/* mostly keep va and pa congruent modulo 1G so large leaves happen */
		if (rnd_below(10) < 7)
			pa_off = GiB(1 + rnd_below(64));
		else
			pa_off = GiB(100) + rnd_below(1ULL << 20) * PAGE_SIZE;
		op->pa = spa(op->va + pa_off);
		switch (rnd_below(6)) {
		case 0:
			op->sizes = PT_SZ_4K;
			break;
		case 1:
			op->sizes = PT_SZ_4K | PT_SZ_2M;
			break;
		case 2:
			if (align >= HUGE_SIZE && IS_ALIGNED(spa_val(op->pa), HUGE_SIZE)) {
				op->sizes = PT_SZ_2M | PT_SZ_1G;
				break;
			}
			/* fallthrough */
		default:
			op->sizes = PT_SZ_ALL;
		}
		if (rnd_below(20) == 0)
			op->flags = PT_OPF_NO_REPLACE;
	} else if (op->type == PT_OP_MERGE) {
		op->sizes = rnd_below(2) ? PT_SZ_ALL : PT_SZ_4K | PT_SZ_2M;
	}
}

static void die_step(const char *what, unsigned step, const struct pt_op *op, const char *msg)
{
	fail_msg("%s at step %u (op %d va 0x%llx size 0x%llx pa 0x%llx prot 0x%x sizes 0x%x): %s",
		 what, step, (int)op->type, (unsigned long long)op->va,
		 (unsigned long long)op->size, (unsigned long long)spa_val(op->pa), op->prot,
		 op->sizes, msg);
}

struct rstats {
	u64 ops, enomem_rounds, splits_or_tables, max_tables;
};

static void run_random(const struct pt_fmt *fmt, unsigned levels, u64 seed, unsigned nops,
		       struct rstats *st)
{
	struct pt pt;
	struct chk c;
	unsigned step;

	ta_init(WIN_BASE, WIN_PAGES);
	ref_init(0, VA_WINDOW / PAGE_SIZE);
	rng_state = seed;
	assert_int_equal(pt_init(&pt, fmt, levels, &ta_mm), 0);
	for (step = 0; step < nops; step++) {
		struct pt_change chg = {0};
		struct pt_op op;
		u64 lo, hi, lo_chk, size_chk, before;
		unsigned fails = 0;
		bool exists = false;
		int rc;

		gen_op(&pt, &op);
		if (op.type == PT_OP_MAP && (op.flags & PT_OPF_NO_REPLACE))
			exists = ref_count(op.va, op.size) != 0;
		before = pt_table_pages(&pt);
		if (step % ENOMEM_EVERY == 0) {
			rc = apply_enomem_every_point(&pt, &op, &chg, ENOMEM_DENSE, &fails);
			st->enomem_rounds += fails;
		} else {
			rc = pt_apply(&pt, &op, &chg);
		}
		if (rc != (exists ? -EEXIST : 0))
			die_step("unexpected result", step, &op,
				 exists ? "wanted -EEXIST" : "failed");
		if (rc)
			continue;
		ref_apply(&op, &lo, &hi);
		st->ops++;
		st->splits_or_tables += chg.tables_alloc;
		st->max_tables = MAX(st->max_tables, pt_table_pages(&pt));
		if (chg.tables_alloc != 0 &&
		    before + chg.tables_alloc - chg.tables_freed != pt_table_pages(&pt))
			die_step("table counter", step, &op, "alloc/free do not add up");
		if (hi >= lo && (!(chg.flags & PT_CHANGE_FLUSH) || !(chg.flags & PT_CHANGE_RANGE) ||
				 chg.start > lo || chg.last < hi + PAGE_SIZE - 1))
			die_step("change report", step, &op, "changed pages not covered");
		/* the op's range and 2M around it (splits, merges) */
		lo_chk = op.va >= HUGE_SIZE ? ALIGN_DOWN(op.va, HUGE_SIZE) - HUGE_SIZE : 0;
		size_chk =
		    MIN(VA_WINDOW, ALIGN_UP(op.va + op.size, HUGE_SIZE) + HUGE_SIZE) - lo_chk;
		if (check_range(&pt, lo_chk, size_chk, &c))
			die_step("model mismatch", step, &op, c.msg);
		if (step % CHECK_ALL_EVERY == CHECK_ALL_EVERY - 1 && check_all(&pt, &c))
			die_step("full check", step, &op, c.msg);
	}
	if (check_all(&pt, &c))
		die_step("final check", step, &(struct pt_op){0}, c.msg);
	/* after merging everything no table may still be foldable */
	assert_int_equal(pt_merge(&pt, 0, VA_WINDOW, PT_SZ_ALL & ((1u << levels) - 1), NULL), 0);
	if (check_all(&pt, &c))
		die_step("check after merge", step, &(struct pt_op){0}, c.msg);
	assert_int_equal(c.mergeable, 0);
	/* unmapping everything frees every table but the root */
	assert_int_equal(pt_unmap(&pt, 0, VA_WINDOW, NULL), 0);
	ref_apply(&(struct pt_op){.type = PT_OP_UNMAP, .va = 0, .size = VA_WINDOW}, NULL, NULL);
	assert_int_equal(pt_table_pages(&pt), 1);
	assert_int_equal(ta.in_use, 1);
	pt_destroy(&pt);
	assert_int_equal(ta.in_use, 0);
	assert_int_equal(ta.allocs, ta.frees);
	ta_fini();
	ref_fini();
}

static const u64 seeds[] = {1, 0x9E3779B97F4A7C15ULL, 20261125};

static void run_seeds(const struct pt_fmt *fmt, unsigned levels, unsigned nops)
{
	struct rstats st = {0};
	unsigned k;

	for (k = 0; k < ARRAY_SIZE(seeds); k++)
		run_random(fmt, levels, seeds[k], nops, &st);
	printf("# pt random %s/%u: %llu ops applied, %llu -ENOMEM rounds, %llu tables taken, "
	       "peak %llu tables\n",
	       fmt->name, levels, (unsigned long long)st.ops, (unsigned long long)st.enomem_rounds,
	       (unsigned long long)st.splits_or_tables, (unsigned long long)st.max_tables);
}

static void test_random_x86(void **state)
{
	(void)state;
	run_seeds(&pt_fmt_x86, 4, 2500);
}

static void test_random_npt(void **state)
{
	(void)state;
	run_seeds(&pt_fmt_npt, 4, 2500);
}

static void test_random_amdv1(void **state)
{
	(void)state;
	run_seeds(&pt_fmt_amdv1, 3, 2500);
	run_seeds(&pt_fmt_amdv1, 6, 1000);
}

/* Throughput without the checks (sanitizer build: a lower bound). */
static void test_random_speed(void **state)
{
	struct timespec t0, t1;
	struct pt pt;
	unsigned i, n = 5000;
	u64 maps = 0;
	double dt;

	(void)state;
	ta_init(WIN_BASE, WIN_PAGES);
	rng_state = 42;
	assert_int_equal(pt_init(&pt, &pt_fmt_npt, 4, &ta_mm), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		struct pt_op op;

		gen_op(&pt, &op);
		op.flags = 0;
		assert_int_equal(pt_apply(&pt, &op, NULL), 0);
		maps += op.type == PT_OP_MAP;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# pt speed: %u random ops (%llu maps) in %.3f s: %.0f ops/s\n", n,
	       (unsigned long long)maps, dt, n / dt);
	/* 4K single-page map+unmap pairs on a warm path */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		u64 va = GiB(8) + (u64)(i % 512) * PAGE_SIZE;

		assert_int_equal(pt_map(&pt, va, spa(va), PAGE_SIZE, PT_R, PT_SZ_4K, NULL), 0);
		if (i % 512 == 511)
			assert_int_equal(pt_unmap(&pt, GiB(8), HUGE_SIZE, NULL), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# pt speed: %u 4K maps in %.3f s: %.0f maps/s\n", n, dt, n / dt);
	/* 1 GiB as 262144 4K leaves, then as 512 2M leaves: per-entry cost */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(
	    pt_map(&pt, GiB(16), spa(GiB(16) + PAGE_SIZE), GiB(1), PT_R, PT_SZ_ALL, NULL), 0);
	assert_int_equal(pt_unmap(&pt, GiB(16), GiB(1), NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# pt speed: map+unmap 1 GiB of 4K leaves in %.3f s: %.0f leaves/s\n", dt,
	       262144 / dt);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 100; i++) {
		assert_int_equal(
		    pt_map(&pt, GiB(16), spa(GiB(16) + HUGE_SIZE), GiB(1), PT_R, PT_SZ_ALL, NULL),
		    0);
		assert_int_equal(pt_unmap(&pt, GiB(16), GiB(1), NULL), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# pt speed: 100 x map+unmap 1 GiB of 2M leaves in %.3f s\n", dt);
	pt_destroy(&pt);
	assert_int_equal(ta.in_use, 0);
	ta_fini();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_x86),
	    cmocka_unit_test(test_random_npt),
	    cmocka_unit_test(test_random_amdv1),
	    cmocka_unit_test(test_random_speed),
	};

	log_level_max = LOG_ERR;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
