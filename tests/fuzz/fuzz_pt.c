/* libFuzzer target for the page-table engine: the input picks a format and
 * a sequence of map/unmap/protect/merge ops (optionally with the Nth table
 * allocation failing) inside a 2 GiB window; after each op the table must
 * agree with a reference model of 4K pages around the op, a failed op must
 * change nothing, and at the end the whole table is checked, merged, emptied
 * and destroyed without leaking a page. Build: make build/fuzz/fuzz_pt.
 *
 * The reference model here holds runs of pages (extents) rather than
 * test_pt_env.h's one word per 4K page: it says the same thing about every
 * page (output address, protection, mapped or not) and every page is still
 * compared, but a 1G op or a 1G leaf costs a few extents instead of 262,144
 * words (docs/fuzzing.md, throughput).
 *
 * Input: one byte picks the format and level count (cfgs[]: the three formats
 * and the shared NPT/IOMMU one), then 8 bytes
 * per op (decode_op), at most 64 ops. An op is 1 to 64 4K pages, 1 to 4 2M
 * units or one 1G unit in a 2 GiB window, aligned to its unit. A 1G map asks
 * for 2M or 1G leaves only and its output address is a multiple of 2M (or of
 * 1G): it writes at most 512 leaves, where an output 4K aligned or a 4K-only
 * size mask made it write 262,144 4K leaves that the check around it, the
 * whole-table check and the final merge then walked again (one such op in
 * about 32 took almost all of the time). Every path of the engine stays
 * reachable: 4K leaves come from 4K and 2M ops (up to 2,048 per op, across
 * table boundaries), 2M and 1G leaves, the split of a 1G leaf down to 4K, the
 * merge of 4K leaves into 2M and of 2M leaves into 1G, a 1G entry split into
 * a table of 2M leaves by a 1G map, no-replace, allocation failures, and
 * every op kind on every format. */
#include <stddef.h>
#include <stdint.h>

#include "hv/base/log.h"
#include "tests/unit/test_pt_env.h"

#define WIN_BASE  0x4000000000ULL
/* Table pages: the whole window mapped with 4K leaves takes about 1,030;
 * an op may fail for want of pages only when fewer than SNAP_FREE are free. */
#define WIN_PAGES 4096
#define SNAP_FREE 2048
#define VA_WINDOW GiB(2)

struct in {
	const u8 *p;
	size_t n;
};

static u64 take(struct in *in, unsigned bytes)
{
	u64 v = 0;

	while (bytes--) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n) {
			in->p++;
			in->n--;
		}
	}
	return v;
}

static const struct {
	const struct pt_fmt *fmt;
	unsigned levels;
} cfgs[] = {
    {&pt_fmt_x86, 4},	{&pt_fmt_npt, 4},   {&pt_fmt_npt, 5},
    {&pt_fmt_amdv1, 3}, {&pt_fmt_amdv1, 4}, {&pt_fmt_amdv1, 6},
    /* iommu_mode = shared: one table for the NPT and the IOMMU */
    {&pt_fmt_npt_amdv1, 4}, {&pt_fmt_npt_amdv1, 5},
};

/* 8 bytes -> one op; returns false when the input is used up. */
static bool decode_op(struct in *in, const struct pt *pt, struct pt_op *op, int *fail_at)
{
	u64 w, align, units;
	unsigned cls;
	bool big;

	if (in->n == 0)
		return false;
	w = take(in, 8);
	memset(op, 0, sizeof(*op));
	op->type = (enum pt_op_type)(w & 3);
	cls = (w >> 2) & 3;
	align = cls == 3 ? GIGA_SIZE : cls == 2 ? HUGE_SIZE : PAGE_SIZE;
	units = cls == 3 ? 1 : 1 + ((w >> 4) & (cls == 1 ? 63 : 3));
	op->size = units * align;
	op->va = (((w >> 10) & 0xFFFFF) * PAGE_SIZE) % VA_WINDOW;
	op->va = ALIGN_DOWN(op->va, align);
	if (op->va + op->size > VA_WINDOW)
		op->va = VA_WINDOW - op->size;
	/* bit 63: a CPU-only leaf (PT_NO_DMA, the shared format's) */
	op->prot = ((u32)((w >> 30) & 0x3F) | ((w >> 63) & 1 ? PT_NO_DMA : 0)) &
		   pt->fmt->prot_valid;
	if (!(op->prot & pt->fmt->prot_need))
		op->prot |= pt->fmt->prot_need & PT_R ? PT_R : PT_W;
	op->sizes = (u32)((w >> 36) & 7) & pt->fmt->leaf_sizes;
	/* A 1G-granular map never asks for 4K leaves and its output is 2M
	 * aligned: it writes at most 512 leaves (see the top of the file). */
	big = cls == 3 && op->type == PT_OP_MAP;
	if (big)
		op->sizes &= ~PT_SZ_4K;
	if (!op->sizes)
		op->sizes = big ? PT_SZ_2M | PT_SZ_1G : PT_SZ_ALL;
	op->pa =
	    spa(op->va + ((w >> 39) & 1 ? GiB((w >> 40) & 15)
					: ((w >> 40) & 0xFFFF) * (big ? HUGE_SIZE : PAGE_SIZE)));
	/* the smallest allowed size decides the alignment a map needs */
	if (op->type == PT_OP_MAP &&
	    !IS_ALIGNED(op->va | op->size | spa_val(op->pa),
			pt_level_size((unsigned)__builtin_ctz(op->sizes) + 1)))
		op->sizes |= big ? PT_SZ_2M : PT_SZ_4K;
	if (op->type == PT_OP_MAP && (w >> 56) & 1)
		op->flags = PT_OPF_NO_REPLACE;
	*fail_at = (w >> 57) & 1 ? (int)((w >> 58) & 31) : -1;
	return true;
}

static void die_if(bool bad, const char *what, const struct pt_op *op, const char *msg)
{
	if (bad)
		ENV_DIE("%s (op %d va 0x%llx size 0x%llx pa 0x%llx prot 0x%x sizes 0x%x): %s", what,
			(int)op->type, (unsigned long long)op->va, (unsigned long long)op->size,
			(unsigned long long)spa_val(op->pa), op->prot, op->sizes, msg);
}

/* ---- the reference model: extents ---- */

/* The oracle is built without coverage callbacks (pt-oracle-nocov.txt names
 * its functions), which holds only for code that is not inlined into an
 * instrumented caller: sanitizer coverage runs after inlining. */
#define ORACLE __attribute__((noinline))

/* [va, end) maps to pa + (x - va) with prot; sorted by va, disjoint, never
 * empty. An op adds at most 3 extents, so 64 ops stay below MAX_EXT. */
#define MAX_EXT 256
struct ext {
	u64 va, end, pa;
	u32 prot;
};
static struct ext ex[MAX_EXT];
static unsigned nex;
static u64 ex_mapped; /* pages */

/* Index of the first extent ending after va (nex if none). */
static unsigned ext_find(u64 va)
{
	unsigned lo = 0, hi = nex;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (ex[mid].end <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void ext_insert(unsigned i, const struct ext *e)
{
	if (nex == MAX_EXT)
		ENV_DIE("reference model: more than %u extents", MAX_EXT);
	memmove(&ex[i + 1], &ex[i], (nex - i) * sizeof(ex[0]));
	ex[i] = *e;
	nex++;
}

/* Makes `at` an extent boundary. */
static void ext_split(u64 at)
{
	unsigned i = ext_find(at);
	struct ext hi;

	if (i == nex || ex[i].va >= at)
		return;
	hi = ex[i];
	hi.pa += at - hi.va;
	hi.va = at;
	ex[i].end = at;
	ext_insert(i + 1, &hi);
}

/* The 4K model word of test_pt_env.h for page v (0: unmapped), for messages. */
static u64 ext_word(u64 v)
{
	unsigned i = ext_find(v);

	return i < nex && ex[i].va <= v ? ref_enc(ex[i].pa + (v - ex[i].va), ex[i].prot) : 0;
}

/* ref_apply of test_pt_env.h on extents: op on the model; lo and hi receive
 * the first and last VA of pages that were mapped and changed (hi < lo if
 * none). A page changes when its output address or its protection does, which
 * is constant over an extent. */
ORACLE static void model_apply(const struct pt_op *op, u64 *lo, u64 *hi)
{
	u64 end = op->va + op->size, l = ~0ULL, h = 0;
	unsigned i0, i1;

	if (end > VA_WINDOW || end <= op->va)
		ENV_DIE("op outside the reference window");
	if (op->type == PT_OP_MERGE) {
		*lo = l;
		*hi = h;
		return;
	}
	ext_split(op->va);
	ext_split(end);
	i0 = ext_find(op->va);
	for (i1 = i0; i1 < nex && ex[i1].va < end; i1++) {
		struct ext *e = &ex[i1];
		bool changed = op->type == PT_OP_UNMAP || e->prot != op->prot ||
			       (op->type == PT_OP_MAP && e->pa - e->va != spa_val(op->pa) - op->va);

		if (changed) {
			l = MIN(l, e->va);
			h = e->end - PAGE_SIZE;
		}
		if (op->type == PT_OP_PROTECT)
			e->prot = op->prot;
		else
			ex_mapped -= (e->end - e->va) / PAGE_SIZE;
	}
	if (op->type != PT_OP_PROTECT) {
		memmove(&ex[i0], &ex[i1], (nex - i1) * sizeof(ex[0]));
		nex -= i1 - i0;
	}
	if (op->type == PT_OP_MAP) {
		ext_insert(i0, &(struct ext){op->va, end, spa_val(op->pa), op->prot});
		ex_mapped += op->size / PAGE_SIZE;
	}
	*lo = l;
	*hi = h;
}

/* Mapped pages of the model in [va, va + size). */
ORACLE static u64 model_count(u64 va, u64 size)
{
	u64 n = 0;

	for (unsigned i = ext_find(va); i < nex && ex[i].va < va + size; i++)
		n += (MIN(ex[i].end, va + size) - MAX(ex[i].va, va)) / PAGE_SIZE;
	return n;
}

/* chk_leaf of test_pt_env.h against the extents: every 4K page of the leaf
 * inside the checked range must be mapped by the model at the leaf's output
 * address for it and with its protection. */
static int leaf_vs_model(void *vctx, const struct pt_leaf *l)
{
	struct chk *c = vctx;
	u64 a = MAX(l->va, c->va), b = MIN(l->va + (l->size - 1), c->last);
	u64 v = a & PAGE_MASK, vend = (b & PAGE_MASK) + PAGE_SIZE, bad_at = 0, nbad = 0;

	if (!IS_ALIGNED(spa_val(l->pa), l->size) || l->size != pt_level_size(l->level)) {
		c->bad++;
		snprintf(c->msg, sizeof(c->msg), "misaligned leaf va 0x%llx",
			 (unsigned long long)l->va);
	}
	c->pages += (vend - v) / PAGE_SIZE;
	for (unsigned i = ext_find(v); v < vend;) {
		/* [v, stop): in ex[i], or in the hole before it */
		u64 stop;
		bool ok;

		if (i < nex && ex[i].va <= v) {
			stop = MIN(vend, ex[i].end);
			ok = ex[i].pa - ex[i].va == spa_val(l->pa) - l->va && ex[i].prot == l->prot;
			i++;
		} else {
			stop = i < nex ? MIN(vend, ex[i].va) : vend;
			ok = false;
		}
		if (!ok) {
			if (!nbad)
				bad_at = v;
			nbad += (stop - v) / PAGE_SIZE;
		}
		v = stop;
	}
	if (nbad) {
		if (!c->bad)
			snprintf(c->msg, sizeof(c->msg),
				 "va 0x%llx: table 0x%llx, model 0x%llx (leaf level %u)",
				 (unsigned long long)bad_at,
				 (unsigned long long)ref_enc(spa_val(l->pa) + (bad_at - l->va),
							     l->prot),
				 (unsigned long long)ext_word(bad_at), l->level);
		c->bad += nbad;
	}
	return 0;
}

/* Set for the check after the final merge, the only one that reads
 * c->mergeable: elsewhere the scan of every table for a possible merge
 * (512 decodes of a table of contiguous leaves) would be wasted. */
static bool want_mergeable;

/* chk_table of test_pt_env.h without the walk-order hash, which nothing here
 * reads, and with table_mergeable only when asked. */
static int table_check(void *vctx, spa_t t, unsigned level, u64 va)
{
	struct chk *c = vctx;
	const u64 *p = phys_ptr(t);
	unsigned n = 0;

	(void)va;
	c->tables++;
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		n += p[i] != 0;
	if (n == 0 && level != c->pt->levels)
		c->empty_tables++;
	if (want_mergeable && table_mergeable(c->pt, t, level))
		c->mergeable++;
	return 0;
}

static const struct pt_walk_ops model_ops = {leaf_vs_model, table_check};

/* check_range of test_pt_env.h: [va, va + size) of the table against the model. */
ORACLE static int model_check_range(const struct pt *pt, u64 va, u64 size, struct chk *c)
{
	u64 model;
	int rc;

	memset(c, 0, sizeof(*c));
	c->pt = pt;
	c->va = va;
	c->last = va + size - 1;
	rc = pt_walk(pt, va, size, &model_ops, c);
	if (rc) {
		snprintf(c->msg, sizeof(c->msg), "walk failed %d", rc);
		return -1;
	}
	model = model_count(va, size);
	if (!c->bad && model != c->pages) {
		snprintf(c->msg, sizeof(c->msg),
			 "range 0x%llx+0x%llx: %llu pages mapped, model %llu",
			 (unsigned long long)va, (unsigned long long)size,
			 (unsigned long long)c->pages, (unsigned long long)model);
		return -1;
	}
	return c->bad ? -1 : 0;
}

/* check_all of test_pt_env.h: the whole table against the model (nothing
 * mapped outside the window), no empty table, counter = tables found = pages
 * in use. */
ORACLE static int model_check_all(const struct pt *pt, struct chk *c)
{
	memset(c, 0, sizeof(*c));
	c->pt = pt;
	c->va = 0;
	c->last = ~0ULL;
	if (pt_walk_all(pt, &model_ops, c)) {
		snprintf(c->msg, sizeof(c->msg), "walk failed");
		return -1;
	}
	if (c->bad)
		return -1;
	if (c->pages != ex_mapped) {
		snprintf(c->msg, sizeof(c->msg), "%llu pages mapped, model %llu",
			 (unsigned long long)c->pages, (unsigned long long)ex_mapped);
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

/* ---- a failed op changes nothing ---- */

/* The table pages in use, copied before an op that may fail (an injected
 * allocation failure, a no-replace map over mapped pages, or fewer than
 * SNAP_FREE free pages), compared byte for byte after it failed: the same
 * pages in use, each with the same bytes, the same root and counter. This is
 * what table_hash() of test_pt_env.h compared before and after every op (and
 * more: pages no walk reaches), without walking and decoding every table. */
static u8 *snap;
static u8 snap_used[WIN_PAGES];
static u64 snap_in_use, snap_tables;
static spa_t snap_root;

ORACLE static void tables_save(const struct pt *pt)
{
	if (!snap && !(snap = malloc(WIN_PAGES * PAGE_SIZE)))
		ENV_DIE("out of host memory");
	memcpy(snap_used, ta.used, WIN_PAGES);
	for (u64 i = 0; i < WIN_PAGES; i++)
		if (snap_used[i])
			memcpy(snap + i * PAGE_SIZE, ta.buf + i * PAGE_SIZE, PAGE_SIZE);
	snap_in_use = ta.in_use;
	snap_tables = pt_table_pages(pt);
	snap_root = pt->root;
}

ORACLE static bool tables_same(const struct pt *pt)
{
	if (ta.in_use != snap_in_use || pt_table_pages(pt) != snap_tables ||
	    spa_val(pt->root) != spa_val(snap_root) || memcmp(snap_used, ta.used, WIN_PAGES))
		return false;
	for (u64 i = 0; i < WIN_PAGES; i++)
		if (snap_used[i] && memcmp(snap + i * PAGE_SIZE, ta.buf + i * PAGE_SIZE, PAGE_SIZE))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;
	struct in in = {data, size};
	struct pt_op op;
	struct pt pt;
	struct chk c;
	unsigned cfg, nops = 0;
	int fail_at;

	if (!once) {
		log_level_max = LOG_ERR;
		ta_init(WIN_BASE, WIN_PAGES);
		once = true;
	}
	cfg = (unsigned)take(&in, 1) % ARRAY_SIZE(cfgs);
	ta.allocs = ta.frees = 0;
	if (pt_init(&pt, cfgs[cfg].fmt, cfgs[cfg].levels, &ta_mm))
		ENV_DIE("init");
	while (nops++ < 64 && decode_op(&in, &pt, &op, &fail_at)) {
		u64 lo, hi, lo_chk, size_chk;
		bool exists = op.type == PT_OP_MAP && (op.flags & PT_OPF_NO_REPLACE) &&
			      model_count(op.va, op.size);
		bool may_fail = fail_at >= 0 || exists || ta.nfree < SNAP_FREE;
		struct pt_change chg = {0};
		int rc;

		if (may_fail)
			tables_save(&pt);
		ta.fail_in = fail_at;
		rc = pt_apply(&pt, &op, &chg);
		ta.fail_in = -1;
		if (rc) {
			die_if(rc != -ENOMEM && !(exists && rc == -EEXIST), "unexpected error", &op,
			       "");
			die_if(!may_fail, "unexpected error", &op,
			       "-ENOMEM with no injected failure and enough free pages");
			die_if(!tables_same(&pt), "failed op changed tables", &op, "");
			continue;
		}
		die_if(exists, "no-replace map succeeded", &op, "");
		model_apply(&op, &lo, &hi);
		die_if(hi >= lo && (!(chg.flags & PT_CHANGE_FLUSH) || chg.start > lo ||
				    chg.last < hi + PAGE_SIZE - 1),
		       "change report", &op, "changed pages not covered");
		lo_chk = op.va >= HUGE_SIZE ? ALIGN_DOWN(op.va, HUGE_SIZE) - HUGE_SIZE : 0;
		size_chk =
		    MIN(VA_WINDOW, ALIGN_UP(op.va + op.size, HUGE_SIZE) + HUGE_SIZE) - lo_chk;
		die_if(model_check_range(&pt, lo_chk, size_chk, &c) != 0, "model mismatch", &op, c.msg);
	}
	die_if(model_check_all(&pt, &c) != 0, "final check", &op, c.msg);
	if (pt_merge(&pt, 0, VA_WINDOW, PT_SZ_ALL, NULL))
		ENV_DIE("merge");
	want_mergeable = true;
	die_if(model_check_all(&pt, &c) != 0 || c.mergeable, "after merge", &op, c.msg);
	want_mergeable = false;
	if (pt_unmap(&pt, 0, VA_WINDOW, NULL) || pt_table_pages(&pt) != 1 || ta.in_use != 1)
		ENV_DIE("unmap all left %llu tables", (unsigned long long)pt_table_pages(&pt));
	nex = 0; /* the model empty again, as the table */
	ex_mapped = 0;
	pt_destroy(&pt);
	if (ta.in_use != 0 || ta.allocs != ta.frees)
		ENV_DIE("leak: %llu pages in use", (unsigned long long)ta.in_use);
	return 0;
}
