/* Test environment for the page-table engine, shared by tests/unit/test_pt*.c
 * and tests/fuzz/fuzz_pt.c (static functions, one copy per program):
 *   - a table-page allocator over a host buffer mapped at a fake SPA with
 *     host_phys_window(): counts, fault injection (fail the Nth allocation),
 *     double-free and foreign-free detection, poisoning of freed pages (the
 *     poison decodes as corrupt in every format, so a read after free shows);
 *   - a reference model: one u64 per 4K page of a VA window (pa, prot);
 *   - checks of a table against the model and of its structure. */
#ifndef TESTS_UNIT_TEST_PT_ENV_H
#define TESTS_UNIT_TEST_PT_ENV_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/base/mem.h"
#include "hv/mm/pt.h"
#include "hv/arch/host/host_env.h"

/* Each program uses a subset of these helpers. */
#pragma GCC diagnostic ignored "-Wunused-function"

#define ENV_DIE(...)                                                                               \
	do {                                                                                       \
		fprintf(stderr, "test_pt_env %s:%d: ", __FILE__, __LINE__);                        \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

#define POISON 0xA5A5A5A5A5A5A5A5ULL

/* ---- allocator ------------------------------------------------------------ */

struct talloc {
	u8 *buf;
	u64 base; /* fake SPA of buf */
	u64 npages;
	u8 *used;
	u64 *stack; /* free pages, LIFO (reuse at once: catches use after free) */
	u64 nfree;
	u64 in_use, allocs, frees;
	s64 fail_in; /* fail when it reaches 0 (counts down per alloc); <0: never */
	u64 failed;
};

static struct talloc ta;

static void ta_init(u64 base, u64 npages)
{
	u64 i;

	free(ta.buf);
	free(ta.used);
	free(ta.stack);
	memset(&ta, 0, sizeof(ta));
	ta.buf = aligned_alloc(PAGE_SIZE, npages * PAGE_SIZE);
	ta.used = calloc(npages, 1);
	ta.stack = malloc(npages * sizeof(u64));
	if (!ta.buf || !ta.used || !ta.stack)
		ENV_DIE("out of host memory");
	ta.base = base;
	ta.npages = npages;
	ta.fail_in = -1;
	for (i = 0; i < npages; i++) {
		ta.stack[i] = npages - 1 - i;
		memset(ta.buf + i * PAGE_SIZE, 0xA5, PAGE_SIZE);
	}
	ta.nfree = npages;
	host_phys_window(ta.buf, spa(base), npages * PAGE_SIZE);
}

static void ta_fini(void)
{
	host_phys_window(NULL, spa(0), 0);
	free(ta.buf);
	free(ta.used);
	free(ta.stack);
	memset(&ta, 0, sizeof(ta));
}

static int ta_alloc(void *ctx, spa_t *out)
{
	u64 i;

	(void)ctx;
	if (ta.fail_in >= 0 && ta.fail_in-- == 0) {
		ta.failed++;
		return -ENOMEM;
	}
	if (!ta.nfree)
		return -12;
	i = ta.stack[--ta.nfree];
	ta.used[i] = 1;
	ta.in_use++;
	ta.allocs++;
	*out = spa(ta.base + i * PAGE_SIZE);
	return 0;
}

static void ta_free(void *ctx, spa_t pa)
{
	u64 a = spa_val(pa), i;

	(void)ctx;
	if (a < ta.base || a >= ta.base + ta.npages * PAGE_SIZE || (a & (PAGE_SIZE - 1)))
		ENV_DIE("free of foreign page 0x%llx", (unsigned long long)a);
	i = (a - ta.base) / PAGE_SIZE;
	if (!ta.used[i])
		ENV_DIE("double free of 0x%llx", (unsigned long long)a);
	ta.used[i] = 0;
	memset(ta.buf + i * PAGE_SIZE, 0xA5, PAGE_SIZE);
	ta.stack[ta.nfree++] = i;
	ta.in_use--;
	ta.frees++;
}

static const struct pt_mm ta_mm = {ta_alloc, ta_free, NULL};

/* ---- reference model ---------------------------------------------------- */

/* One u64 per 4K page of [ref.base, ref.base + ref.npages * 4K):
 * 0 = unmapped, else pfn << 8 | prot << 1 | 1. */
struct ref {
	u64 base, npages;
	u64 *pg;
	u64 mapped;
};

static struct ref ref;

static void ref_init(u64 base, u64 npages)
{
	free(ref.pg);
	ref.base = base;
	ref.npages = npages;
	ref.pg = calloc(npages, sizeof(u64));
	ref.mapped = 0;
	if (!ref.pg)
		ENV_DIE("out of host memory");
}

static void ref_fini(void)
{
	free(ref.pg);
	memset(&ref, 0, sizeof(ref));
}

static inline u64 ref_enc(u64 pa, u32 prot)
{
	return (pa >> 12) << 8 | (u64)prot << 1 | 1;
}

/* Applies op to the model. lo and hi (if given) receive the first and last VA
 * of pages that were mapped and changed (hi < lo if none). */
static void ref_apply(const struct pt_op *op, u64 *lo, u64 *hi)
{
	u64 i0 = (op->va - ref.base) / PAGE_SIZE, n = op->size / PAGE_SIZE, i;
	u64 l = ~0ULL, h = 0;

	if (op->va < ref.base || i0 + n > ref.npages)
		ENV_DIE("op outside the reference window");
	for (i = 0; i < n; i++) {
		u64 *p = &ref.pg[i0 + i], was = *p;

		switch (op->type) {
		case PT_OP_MAP:
			*p = ref_enc(spa_val(op->pa) + i * PAGE_SIZE, op->prot);
			break;
		case PT_OP_UNMAP:
			*p = 0;
			break;
		case PT_OP_PROTECT:
			if (was)
				*p = (was & ~0xFFULL) | (u64)op->prot << 1 | 1;
			break;
		default:
			break;
		}
		ref.mapped += (*p != 0) - (was != 0);
		if (was && *p != was) {
			l = MIN(l, op->va + i * PAGE_SIZE);
			h = op->va + i * PAGE_SIZE;
		}
	}
	if (lo)
		*lo = l;
	if (hi)
		*hi = h;
}

/* Number of mapped pages of the model in [va, va + size). */
static u64 ref_count(u64 va, u64 size)
{
	u64 i, n = 0;

	for (i = 0; i < size / PAGE_SIZE; i++) {
		u64 v = va + i * PAGE_SIZE;

		if (v >= ref.base && (v - ref.base) / PAGE_SIZE < ref.npages)
			n += ref.pg[(v - ref.base) / PAGE_SIZE] != 0;
	}
	return n;
}

/* ---- checks ------------------------------------------------------------------ */

struct chk {
	u64 va, last; /* range checked */
	u64 pages;    /* mapped pages seen in range */
	u64 tables;
	u64 empty_tables;
	u64 mergeable; /* tables a merge with every size would fold */
	u64 bad;       /* mismatches against the model */
	u64 hash;
	const struct pt *pt;
	char msg[256];
};

static int chk_leaf(void *vctx, const struct pt_leaf *l)
{
	struct chk *c = vctx;
	u64 a = MAX(l->va, c->va), b = MIN(l->va + (l->size - 1), c->last), v;

	if (!IS_ALIGNED(spa_val(l->pa), l->size) || l->size != pt_level_size(l->level)) {
		c->bad++;
		snprintf(c->msg, sizeof(c->msg), "misaligned leaf va 0x%llx",
			 (unsigned long long)l->va);
	}
	for (v = a & PAGE_MASK;; v += PAGE_SIZE) {
		u64 want, got = ref_enc(spa_val(l->pa) + (v - l->va), l->prot);

		if (v < ref.base || (v - ref.base) / PAGE_SIZE >= ref.npages)
			want = 0;
		else
			want = ref.pg[(v - ref.base) / PAGE_SIZE];
		if (want != got) {
			if (!c->bad)
				snprintf(c->msg, sizeof(c->msg),
					 "va 0x%llx: table 0x%llx, model 0x%llx (leaf level %u)",
					 (unsigned long long)v, (unsigned long long)got,
					 (unsigned long long)want, l->level);
			c->bad++;
		}
		c->pages++;
		if (b - v < PAGE_SIZE)
			break;
	}
	return 0;
}

static bool table_mergeable(const struct pt *pt, spa_t t, unsigned level)
{
	const u64 *p = phys_ptr(t);
	u64 sz = pt_level_size(level);
	struct pt_ent e0 = pt->fmt->decode(p[0], level), e;
	unsigned i;

	if (level >= 3 || level + 1 > pt->levels || e0.kind != PT_LEAF ||
	    !IS_ALIGNED(spa_val(e0.pa), sz * PT_ENTRIES))
		return false;
	for (i = 1; i < PT_ENTRIES; i++) {
		e = pt->fmt->decode(p[i], level);
		if (e.kind != PT_LEAF || spa_val(e.pa) != spa_val(e0.pa) + i * sz ||
		    e.prot != e0.prot)
			return false;
	}
	return true;
}

static int chk_table(void *vctx, spa_t t, unsigned level, u64 va)
{
	struct chk *c = vctx;
	const u64 *p = phys_ptr(t);
	unsigned i, n = 0;

	c->tables++;
	c->hash = (c->hash ^ spa_val(t) ^ level) * 0x100000001b3ULL;
	for (i = 0; i < PT_ENTRIES; i++) {
		n += p[i] != 0;
		c->hash = (c->hash ^ p[i]) * 0x100000001b3ULL;
	}
	if (n == 0 && level != c->pt->levels)
		c->empty_tables++;
	if (table_mergeable(c->pt, t, level))
		c->mergeable++;
	return 0;
}

static const struct pt_walk_ops chk_ops = {chk_leaf, chk_table};

/* Compares [va, va + size) of the table with the model; 0 if they agree. */
static int check_range(const struct pt *pt, u64 va, u64 size, struct chk *c)
{
	u64 model;
	int rc;

	memset(c, 0, sizeof(*c));
	c->pt = pt;
	c->va = va;
	c->last = va + size - 1;
	rc = pt_walk(pt, va, size, &chk_ops, c);
	if (rc) {
		snprintf(c->msg, sizeof(c->msg), "walk failed %d", rc);
		return -1;
	}
	model = ref_count(va, size);
	if (!c->bad && model != c->pages) {
		snprintf(c->msg, sizeof(c->msg),
			 "range 0x%llx+0x%llx: %llu pages mapped, model %llu",
			 (unsigned long long)va, (unsigned long long)size,
			 (unsigned long long)c->pages, (unsigned long long)model);
		return -1;
	}
	return c->bad ? -1 : 0;
}

/* Whole table: model agreement over the window plus nothing mapped outside
 * it, structure (no empty table, counter = tables found = pages in use). */
static int check_all(const struct pt *pt, struct chk *c)
{
	memset(c, 0, sizeof(*c));
	c->pt = pt;
	c->va = 0;
	c->last = ~0ULL;
	if (pt_walk_all(pt, &chk_ops, c)) {
		snprintf(c->msg, sizeof(c->msg), "walk failed");
		return -1;
	}
	if (c->bad)
		return -1;
	if (c->pages != ref.mapped) {
		snprintf(c->msg, sizeof(c->msg), "%llu pages mapped, model %llu",
			 (unsigned long long)c->pages, (unsigned long long)ref.mapped);
		return -1;
	}
	if (c->empty_tables) {
		snprintf(c->msg, sizeof(c->msg), "%llu empty tables left",
			 (unsigned long long)c->empty_tables);
		return -1;
	}
	if (c->tables != pt_table_pages(pt) || c->tables != ta.in_use) {
		snprintf(c->msg, sizeof(c->msg), "tables: walk %llu, counter %llu, allocator %llu",
			 (unsigned long long)c->tables, (unsigned long long)pt_table_pages(pt),
			 (unsigned long long)ta.in_use);
		return -1;
	}
	return 0;
}

/* Hash of every table page (address, level, contents) in walk order. */
static u64 table_hash(const struct pt *pt)
{
	struct chk c;

	memset(&c, 0, sizeof(c));
	c.pt = pt;
	c.hash = 0xcbf29ce484222325ULL;
	if (pt_walk_all(pt, &(struct pt_walk_ops){NULL, chk_table}, &c))
		ENV_DIE("walk failed");
	return c.hash ^ c.tables;
}

/* Applies op with the Nth table-page allocation failing, for N = 0, 1, ...
 * (every N below `dense`, then growing steps) until it no longer fails with
 * -ENOMEM; each failure must leave the tables (every page, byte for byte) and
 * the allocator as they were. Returns the final result; *fails counts the
 * -ENOMEM rounds. */
static int apply_enomem_every_point(struct pt *pt, const struct pt_op *op, struct pt_change *chg,
				    unsigned dense, unsigned *fails)
{
	unsigned n, rounds = 0;

	for (n = 0;; n = n < dense ? n + 1 : n + n / 4) {
		u64 h = table_hash(pt), used = ta.in_use, pages = pt_table_pages(pt);
		int rc;

		ta.fail_in = n;
		rc = pt_apply(pt, op, chg);
		ta.fail_in = -1;
		if (rc != -ENOMEM) {
			if (fails)
				*fails = rounds;
			return rc;
		}
		rounds++;
		if (table_hash(pt) != h || ta.in_use != used || pt_table_pages(pt) != pages)
			ENV_DIE("-ENOMEM at allocation %u changed the tables", n);
	}
}

/* ---- deterministic random numbers (xorshift64*) ----------------------------------- */

static u64 rng_state;

static inline u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static inline u64 rnd_below(u64 n)
{
	return n ? rnd() % n : 0;
}

#endif
