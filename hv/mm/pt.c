/* The page-table engine: one radix walker for every format (hv/mm/pt.h).
 *
 * Every mutating operation runs the same recursive walk twice:
 *   - dry (pt_prepare): reads the tables, validates the op against them and
 *     counts the table pages the op will take. Where the real walk would
 *     create a table (an empty slot, or a large leaf to split) the dry walk
 *     descends into a "virtual" table (empty, or full of the split leaves)
 *     without writing anything.
 *   - commit (pt_commit): makes the same decisions, taking pages from the
 *     reserve, then on the way back up merges full tables (map, merge) and
 *     frees empty ones (unmap).
 * Both walks visit O(levels) entries per leaf written and never descend below
 * a leaf they can write whole, so mapping 1G and 2M leaves costs no per-4K work.
 *
 * Ordering for live tables: a split table is filled before it is linked; a
 * table is unlinked (its parent entry rewritten) before its pages go back to
 * mm.free, after which the engine never reads it. */
#include "hv/mm/pt.h"

#include <errno.h>
#include <string.h>

#include "hv/base/bits.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"

/* Output addresses are bits 51:12 in every supported format. */
#define PT_PA_BITS 52

static inline u64 *tbl(spa_t pa)
{
	return phys_ptr(pa);
}

static inline unsigned pt_index(u64 va, unsigned level)
{
	return (unsigned)(va >> pt_level_shift(level)) & (PT_ENTRIES - 1);
}

static inline void write_entry(u64 *p, u64 v)
{
	*(volatile u64 *)p = v;
}

/* ---- tables as the walks see them ---------------------------------------- */

enum vt_kind {
	VT_REAL,  /* a table page */
	VT_EMPTY, /* dry walk: a table that would be created empty */
	VT_SPLIT, /* dry walk: a table that would hold the split of a leaf */
};

struct vtab {
	enum vt_kind kind;
	spa_t pa;   /* VT_REAL */
	spa_t base; /* VT_SPLIT: output of entry 0 */
	u32 prot;   /* VT_SPLIT */
};

struct ctx {
	struct pt *pt;
	const struct pt_op *op;
	bool dry;
	u64 need;		/* dry: table pages needed */
	struct pt_reserve *res; /* commit */
	struct pt_change *chg;	/* commit */
};

static struct pt_ent vt_get(const struct pt *pt, const struct vtab *vt, unsigned level, unsigned i,
			    u64 *raw)
{
	*raw = 0;
	switch (vt->kind) {
	case VT_REAL:
		*raw = tbl(vt->pa)[i];
		/* decode(0) is PT_NONE in every format (hv/mm/pt.h) */
		return *raw ? pt->fmt->decode(*raw, level) : (struct pt_ent){PT_NONE, {0}, 0};
	case VT_SPLIT:
		return (struct pt_ent){PT_LEAF, spa_add(vt->base, (u64)i * pt_level_size(level)),
				       vt->prot};
	default:
		return (struct pt_ent){PT_NONE, spa(0), 0};
	}
}

/* ---- table pages ------------------------------------------------------------ */

static spa_t take_page(struct ctx *c)
{
	struct pt_reserve *res = c->res;
	spa_t p = res->head;

	/* pt_prepare counted every page the commit takes. */
	BUG_ON(res->count == 0);
	res->head = spa(*(u64 *)phys_ptr(p));
	res->count--;
	memset(phys_ptr(p), 0, PAGE_SIZE);
	c->pt->table_pages++;
	c->chg->tables_alloc++;
	return p;
}

static void put_table(struct pt *pt, struct pt_change *chg, spa_t t)
{
	pt->mm.free(pt->mm.ctx, t);
	pt->table_pages--;
	chg->tables_freed++;
	chg->flags |= PT_CHANGE_TABLE_FREED | PT_CHANGE_FLUSH;
}

/* Frees table t (at `level`) and every table below it: children first, each
 * page read before it is freed and never after. */
static void free_subtree(struct pt *pt, struct pt_change *chg, spa_t t, unsigned level)
{
	u64 *p = tbl(t);
	unsigned i;

	if (level > 1) {
		for (i = 0; i < PT_ENTRIES; i++) {
			struct pt_ent e;

			if (!p[i])
				continue;
			e = pt->fmt->decode(p[i], level);
			if (e.kind == PT_TABLE)
				free_subtree(pt, chg, e.pa, level - 1);
		}
	}
	put_table(pt, chg, t);
}

/* How a write changes translations: a split keeps them (nothing to report),
 * a new entry adds some (reported, nothing to flush), anything else replaces
 * or removes what a TLB may hold. */
enum wkind { W_SPLIT, W_NEW, W_CHANGE };

static void set_entry(struct ctx *c, u64 *p, u64 v, unsigned level, u64 e_start, enum wkind k)
{
	struct pt_change *chg = c->chg;
	u64 e_last = e_start + (pt_level_size(level) - 1);

	write_entry(p, v);
	chg->writes++;
	if (k == W_SPLIT)
		return;
	if (!(chg->flags & PT_CHANGE_RANGE)) {
		chg->start = e_start;
		chg->last = e_last;
		chg->flags |= PT_CHANGE_RANGE;
	} else {
		chg->start = MIN(chg->start, e_start);
		chg->last = MAX(chg->last, e_last);
	}
	if (k == W_CHANGE)
		chg->flags |= PT_CHANGE_FLUSH;
}

static bool table_empty(spa_t t)
{
	const u64 *p = tbl(t);
	unsigned i;

	for (i = 0; i < PT_ENTRIES; i++)
		if (p[i])
			return false;
	return true;
}

/* Fills fresh table t (at `level`) with the leaves that together map what
 * one leaf of the level above mapped. */
static void fill_split(struct ctx *c, spa_t t, unsigned level, spa_t base, u32 prot)
{
	const struct pt_fmt *fmt = c->pt->fmt;
	u64 sz = pt_level_size(level), *p = tbl(t);
	unsigned i;

	for (i = 0; i < PT_ENTRIES; i++)
		p[i] = fmt->leaf_entry(spa_add(base, (u64)i * sz), level, prot);
}

/* If child table t (at level - 1) holds 512 contiguous leaves with one prot
 * whose output is aligned for a leaf at `level`, and the op allows that
 * size, replace the parent entry *p by that leaf. */
static void try_merge(struct ctx *c, u64 *p, unsigned level, u64 e_start, spa_t t)
{
	const struct pt_fmt *fmt = c->pt->fmt;
	u64 csz = pt_level_size(level - 1), *ct = tbl(t), base;
	struct pt_ent last, e;
	unsigned i;

	if (!(c->op->sizes & fmt->leaf_sizes & PT_SZ(level)))
		return;
	/* The last entry first: it rejects most partly built tables at once. */
	last = fmt->decode(ct[PT_ENTRIES - 1], level - 1);
	if (last.kind != PT_LEAF || spa_val(last.pa) < (PT_ENTRIES - 1) * csz)
		return;
	base = spa_val(last.pa) - (PT_ENTRIES - 1) * csz;
	if (!IS_ALIGNED(base, pt_level_size(level)))
		return;
	for (i = 0; i < PT_ENTRIES - 1; i++) {
		e = fmt->decode(ct[i], level - 1);
		if (e.kind != PT_LEAF || spa_val(e.pa) != base + i * csz || e.prot != last.prot)
			return;
	}
	set_entry(c, p, fmt->leaf_entry(spa(base), level, last.prot), level, e_start, W_CHANGE);
	put_table(c->pt, c->chg, t);
}

/* ---- the walk -------------------------------------------------------------- */

static int do_range(struct ctx *c, const struct vtab *vt, unsigned level, u64 va, u64 last);

/* Goes below entry i of vt, a table or a leaf to split or an empty slot, for
 * [a, b], then tidies up on the way back (commit). */
static int descend(struct ctx *c, const struct vtab *vt, unsigned level, unsigned i,
		   const struct pt_ent *e, u64 e_start, u64 a, u64 b)
{
	const struct pt_fmt *fmt = c->pt->fmt;
	u64 *p = vt->kind == VT_REAL ? &tbl(vt->pa)[i] : NULL;
	struct vtab child = {VT_REAL, e->pa, spa(0), 0};
	int rc;

	BUG_ON(level == 1);
	if (e->kind != PT_TABLE) {
		if (c->dry) {
			c->need++;
			child = (struct vtab){e->kind == PT_NONE ? VT_EMPTY : VT_SPLIT, spa(0),
					      e->pa, e->prot};
		} else {
			child.pa = take_page(c);
			if (e->kind == PT_LEAF) {
				fill_split(c, child.pa, level - 1, e->pa, e->prot);
				c->chg->writes += PT_ENTRIES;
			}
			set_entry(c, p, fmt->table_entry(child.pa, level), level, e_start,
				  e->kind == PT_LEAF ? W_SPLIT : W_NEW);
		}
	}
	rc = do_range(c, &child, level - 1, a, b);
	if (rc || c->dry)
		return rc;
	switch (c->op->type) {
	case PT_OP_MAP:
	case PT_OP_MERGE:
		try_merge(c, p, level, e_start, child.pa);
		break;
	case PT_OP_UNMAP:
		if (table_empty(child.pa)) {
			set_entry(c, p, 0, level, e_start, W_CHANGE);
			put_table(c->pt, c->chg, child.pa);
		}
		break;
	default:
		break;
	}
	return 0;
}

static int do_map(struct ctx *c, const struct vtab *vt, unsigned level, unsigned i,
		  const struct pt_ent *e, u64 e_start, u64 a, u64 b, bool full)
{
	const struct pt_op *op = c->op;
	u64 pa = spa_val(op->pa) + (a - op->va), v;

	bool leaf = full && (op->sizes & PT_SZ(level)) && IS_ALIGNED(pa, pt_level_size(level));

	/* A table holds at least one leaf: no empty table is ever left. */
	if ((op->flags & PT_OPF_NO_REPLACE) &&
	    (e->kind == PT_LEAF || (e->kind == PT_TABLE && leaf))) {
		BUG_ON(!c->dry);
		pr_debug("pt: map 0x%llx: 0x%llx already mapped\n", (unsigned long long)op->va,
			 (unsigned long long)a);
		return -EEXIST;
	}
	if (leaf) {
		if (c->dry)
			return 0;
		if (e->kind == PT_LEAF && spa_val(e->pa) == pa && e->prot == op->prot)
			return 0;
		v = c->pt->fmt->leaf_entry(spa(pa), level, op->prot);
		set_entry(c, tbl(vt->pa) + i, v, level, e_start,
			  e->kind == PT_NONE ? W_NEW : W_CHANGE);
		if (e->kind == PT_TABLE)
			free_subtree(c->pt, c->chg, e->pa, level - 1);
		return 0;
	}
	/* Inside a leaf that already maps this part the same way: done. */
	if (e->kind == PT_LEAF && spa_val(e->pa) + (a - e_start) == pa && e->prot == op->prot)
		return 0;
	return descend(c, vt, level, i, e, e_start, a, b);
}

static int do_entry(struct ctx *c, const struct vtab *vt, unsigned level, u64 a, u64 b)
{
	const struct pt_op *op = c->op;
	u64 e_start = ALIGN_DOWN(a, pt_level_size(level)), raw;
	bool full = a == e_start && b == e_start + (pt_level_size(level) - 1);
	unsigned i = pt_index(a, level);
	struct pt_ent e = vt_get(c->pt, vt, level, i, &raw);

	if (e.kind == PT_BAD) {
		/* The dry walk saw the same tables: a commit never meets one. */
		BUG_ON(!c->dry);
		pr_err("pt(%s): corrupt level-%u entry 0x%llx for 0x%llx\n", c->pt->fmt->name,
		       level, (unsigned long long)raw, (unsigned long long)a);
		return -EIO;
	}
	switch (op->type) {
	case PT_OP_MAP:
		return do_map(c, vt, level, i, &e, e_start, a, b, full);
	case PT_OP_UNMAP:
		if (e.kind == PT_NONE)
			return 0;
		if (!full)
			return descend(c, vt, level, i, &e, e_start, a, b);
		if (!c->dry) {
			set_entry(c, tbl(vt->pa) + i, 0, level, e_start, W_CHANGE);
			if (e.kind == PT_TABLE)
				free_subtree(c->pt, c->chg, e.pa, level - 1);
		}
		return 0;
	case PT_OP_PROTECT:
		if (e.kind == PT_NONE || (e.kind == PT_LEAF && e.prot == op->prot))
			return 0;
		if (e.kind == PT_TABLE || !full)
			return descend(c, vt, level, i, &e, e_start, a, b);
		if (!c->dry)
			set_entry(c, tbl(vt->pa) + i, c->pt->fmt->leaf_entry(e.pa, level, op->prot),
				  level, e_start, W_CHANGE);
		return 0;
	case PT_OP_MERGE:
		if (e.kind != PT_TABLE)
			return 0;
		return descend(c, vt, level, i, &e, e_start, a, b);
	}
	return 0;
}

/* [va, last] lies inside the span of table vt (at `level`). */
static int do_range(struct ctx *c, const struct vtab *vt, unsigned level, u64 va, u64 last)
{
	u64 a = va, b, esz = pt_level_size(level);
	int rc;

	/* A virtual table holds no corrupt entry and, at level 1 or when empty
	 * and not mapped into, needs no page below it. */
	if (vt->kind != VT_REAL &&
	    (level == 1 || (vt->kind == VT_EMPTY && c->op->type != PT_OP_MAP)))
		return 0;
	for (;;) {
		b = MIN(last, ALIGN_DOWN(a, esz) + (esz - 1));
		/* An empty entry is left alone by every op but a map: unmap,
		 * protect and merge of a large range (the whole window, say) skip
		 * it here without a call, the common case in a sparse table. */
		if (c->op->type != PT_OP_MAP && vt->kind == VT_REAL &&
		    !tbl(vt->pa)[pt_index(a, level)])
			rc = 0;
		else
			rc = do_entry(c, vt, level, a, b);
		if (rc || b == last)
			return rc;
		a = b + 1;
	}
}

/* ---- validation ------------------------------------------------------------ */

static int check_range(const struct pt *pt, u64 va, u64 size, const char *what)
{
	u64 last = va + size - 1;

	if (size == 0 || last < va) {
		pr_err("pt: %s: empty or wrapping range 0x%llx+0x%llx\n", what,
		       (unsigned long long)va, (unsigned long long)size);
		return -EINVAL;
	}
	if (pt->va_bits < 64 && (last >> pt->va_bits)) {
		pr_err("pt: %s: 0x%llx+0x%llx beyond the %u-bit input space\n", what,
		       (unsigned long long)va, (unsigned long long)size, pt->va_bits);
		return -EINVAL;
	}
	return 0;
}

static int check_prot(const struct pt *pt, u32 prot)
{
	if ((prot & ~pt->fmt->prot_valid) || !(prot & pt->fmt->prot_need)) {
		pr_err("pt(%s): protection 0x%x not expressible\n", pt->fmt->name, prot);
		return -EINVAL;
	}
	return 0;
}

static int check_sizes(const struct pt *pt, u32 sizes)
{
	u32 ok = pt->fmt->leaf_sizes & (PT_SZ(pt->levels + 1) - 1);

	if (!sizes || (sizes & ~ok)) {
		pr_err("pt(%s): leaf size mask 0x%x not supported (0x%x)\n", pt->fmt->name, sizes,
		       ok);
		return -EINVAL;
	}
	return 0;
}

static int check_op(const struct pt *pt, const struct pt_op *op)
{
	static const char *const names[] = {"map", "unmap", "protect", "merge"};
	const char *what = (unsigned)op->type < ARRAY_SIZE(names) ? names[op->type] : "?";
	u64 align = PAGE_SIZE, pa = spa_val(op->pa);
	int rc;

	if ((unsigned)op->type >= ARRAY_SIZE(names)) {
		pr_err("pt: unknown op %d\n", (int)op->type);
		return -EINVAL;
	}
	rc = check_range(pt, op->va, op->size, what);
	if (rc)
		return rc;
	if (op->type == PT_OP_MAP || op->type == PT_OP_MERGE) {
		rc = check_sizes(pt, op->sizes);
		if (rc)
			return rc;
	}
	if (op->type == PT_OP_MAP || op->type == PT_OP_PROTECT) {
		rc = check_prot(pt, op->prot);
		if (rc)
			return rc;
	}
	if (op->type == PT_OP_MAP) {
		align = pt_level_size((unsigned)__builtin_ctz(op->sizes) + 1);
		if (pa + (op->size - 1) < pa || ((pa + (op->size - 1)) >> PT_PA_BITS)) {
			pr_err("pt: map: output 0x%llx+0x%llx beyond %u bits\n",
			       (unsigned long long)pa, (unsigned long long)op->size, PT_PA_BITS);
			return -EINVAL;
		}
	}
	if (!IS_ALIGNED(op->va | op->size | (op->type == PT_OP_MAP ? pa : 0), align)) {
		pr_err("pt: %s: 0x%llx+0x%llx (pa 0x%llx) not aligned to 0x%llx\n", what,
		       (unsigned long long)op->va, (unsigned long long)op->size,
		       (unsigned long long)pa, (unsigned long long)align);
		return -EINVAL;
	}
	return 0;
}

/* ---- public API ----------------------------------------------------------- */

int pt_init(struct pt *pt, const struct pt_fmt *fmt, unsigned levels, const struct pt_mm *mm)
{
	spa_t root;
	int rc;

	if (!pt || !fmt || !mm || !mm->alloc || !mm->free) {
		pr_err("pt: init: missing table, format or allocator\n");
		return -EINVAL;
	}
	if (levels < fmt->min_levels || levels > fmt->max_levels) {
		pr_err("pt(%s): %u levels not supported (%u..%u)\n", fmt->name, levels,
		       fmt->min_levels, fmt->max_levels);
		return -EINVAL;
	}
	memset(pt, 0, sizeof(*pt));
	rc = mm->alloc(mm->ctx, &root);
	if (rc) {
		pr_err("pt(%s): no page for the root table (%d)\n", fmt->name, rc);
		return rc < 0 ? rc : -ENOMEM;
	}
	if (!IS_ALIGNED(spa_val(root), PAGE_SIZE)) {
		pr_err("pt: allocator returned unaligned page 0x%llx\n",
		       (unsigned long long)spa_val(root));
		mm->free(mm->ctx, root);
		return -EINVAL;
	}
	memset(phys_ptr(root), 0, PAGE_SIZE);
	pt->fmt = fmt;
	pt->mm = *mm;
	pt->root = root;
	pt->levels = (u8)levels;
	pt->va_bits = (u8)MIN(64u, pt_level_shift(levels) + 9);
	pt->table_pages = 1;
	return 0;
}

void pt_destroy(struct pt *pt)
{
	struct pt_change chg = {0};

	if (!pt || !pt->table_pages)
		return;
	free_subtree(pt, &chg, pt->root, pt->levels);
	BUG_ON(pt->table_pages != 0);
	pt->root = spa(0);
	pt->gen++;
}

static void free_chain(struct pt *pt, spa_t head, u64 n)
{
	while (n--) {
		spa_t next = spa(*(u64 *)phys_ptr(head));

		pt->mm.free(pt->mm.ctx, head);
		head = next;
	}
}

int pt_prepare(struct pt *pt, const struct pt_op *op, struct pt_reserve *res)
{
	struct ctx c = {pt, op, true, 0, NULL, NULL};
	struct vtab root = {VT_REAL, pt->root, spa(0), 0};
	spa_t head = spa(0), tail = spa(0), p;
	u64 n;
	int rc;

	if (res->armed) {
		pr_err("pt: prepare: reserve already holds a prepared op\n");
		return -EBUSY;
	}
	if (res->count && res->pt != pt) {
		pr_err("pt: prepare: reserve holds pages of another table\n");
		return -EINVAL;
	}
	rc = check_op(pt, op);
	if (rc)
		return rc;
	rc = do_range(&c, &root, pt->levels, op->va, op->va + (op->size - 1));
	if (rc)
		return rc;
	/* Reuse what an earlier round left in the reserve, allocate the rest. */
	for (n = res->count; n < c.need; n++) {
		rc = pt->mm.alloc(pt->mm.ctx, &p);
		if (!rc && !IS_ALIGNED(spa_val(p), PAGE_SIZE)) {
			pt->mm.free(pt->mm.ctx, p);
			rc = -EINVAL;
		}
		if (rc) {
			free_chain(pt, head, n - res->count);
			pr_debug("pt(%s): out of table pages (%llu needed)\n", pt->fmt->name,
				 (unsigned long long)c.need);
			return -ENOMEM;
		}
		*(u64 *)phys_ptr(p) = spa_val(head);
		if (n == res->count)
			tail = p;
		head = p;
	}
	if (c.need > res->count) {
		*(u64 *)phys_ptr(tail) = spa_val(res->head);
		res->head = head;
		res->count = c.need;
	}
	res->armed = true;
	res->pt = pt;
	res->gen = pt->gen;
	res->op = *op;
	return 0;
}

void pt_commit(struct pt *pt, const struct pt_op *op, struct pt_reserve *res, struct pt_change *chg)
{
	struct pt_change dummy = {0};
	struct ctx c = {pt, op, false, 0, res, chg ? chg : &dummy};
	struct vtab root = {VT_REAL, pt->root, spa(0), 0};

	/* A reserve fits the one op it was prepared for, on the tables as they
	 * were: anything else is a caller bug. */
	BUG_ON(!res->armed || res->pt != pt || res->gen != pt->gen);
	BUG_ON(memcmp(&res->op, op, sizeof(*op)) != 0);
	BUG_ON(do_range(&c, &root, pt->levels, op->va, op->va + (op->size - 1)) != 0);
	res->armed = false;
	pt->gen++;
}

void pt_reserve_release(struct pt *pt, struct pt_reserve *res)
{
	free_chain(pt, res->head, res->count);
	memset(res, 0, sizeof(*res));
}

int pt_apply(struct pt *pt, const struct pt_op *op, struct pt_change *chg)
{
	struct pt_reserve res;
	int rc;

	memset(&res, 0, sizeof(res));
	rc = pt_prepare(pt, op, &res);
	if (rc)
		return rc;
	pt_commit(pt, op, &res, chg);
	pt_reserve_release(pt, &res);
	return 0;
}

int pt_map(struct pt *pt, u64 va, spa_t pa, u64 size, u32 prot, u32 sizes, struct pt_change *chg)
{
	struct pt_op op = {
	    .type = PT_OP_MAP, .prot = prot, .sizes = sizes, .va = va, .size = size, .pa = pa};

	return pt_apply(pt, &op, chg);
}

int pt_unmap(struct pt *pt, u64 va, u64 size, struct pt_change *chg)
{
	struct pt_op op = {.type = PT_OP_UNMAP, .va = va, .size = size};

	return pt_apply(pt, &op, chg);
}

int pt_protect(struct pt *pt, u64 va, u64 size, u32 prot, struct pt_change *chg)
{
	struct pt_op op = {.type = PT_OP_PROTECT, .prot = prot, .va = va, .size = size};

	return pt_apply(pt, &op, chg);
}

int pt_merge(struct pt *pt, u64 va, u64 size, u32 sizes, struct pt_change *chg)
{
	struct pt_op op = {.type = PT_OP_MERGE, .sizes = sizes, .va = va, .size = size};

	return pt_apply(pt, &op, chg);
}

/* ---- reading ------------------------------------------------------------------ */

static void fill_leaf(struct pt_leaf *out, u64 va, unsigned level, const struct pt_ent *e, u64 raw)
{
	out->va = ALIGN_DOWN(va, pt_level_size(level));
	out->pa = e->pa;
	out->size = pt_level_size(level);
	out->prot = e->prot;
	out->level = (u8)level;
	out->pte = raw;
}

/* The one lookup loop. Without xlate, table addresses are SPAs (the
 * hypervisor's own tables); with it, each table address is translated by the
 * caller first (e.g. a guest's tables: GPA -> SPA through its NPT), a bad
 * entry is the table owner's data, not a corruption: -EFAULT, not logged. */
static int lookup_common(const struct pt_fmt *fmt, u64 root, unsigned levels, u64 va,
			 int (*xlate)(void *ctx, u64 table, spa_t *out), void *ctx,
			 struct pt_leaf *out)
{
	u64 t = root;
	unsigned level;
	int ret;

	for (level = levels; level >= 1; level--) {
		spa_t tp = spa(t);
		u64 raw;
		struct pt_ent e;

		if (xlate) {
			ret = xlate(ctx, t, &tp);
			if (ret)
				return ret;
		}
		raw = tbl(tp)[pt_index(va, level)];
		e = fmt->decode(raw, level);
		switch (e.kind) {
		case PT_NONE:
			return -ENOENT;
		case PT_LEAF:
			fill_leaf(out, va, level, &e, raw);
			return 0;
		case PT_TABLE:
			if (level > 1) {
				t = spa_val(e.pa);
				continue;
			}
			/* fallthrough */
		default:
			if (xlate)
				return -EFAULT;
			pr_err("pt(%s): corrupt level-%u entry 0x%llx for 0x%llx\n", fmt->name,
			       level, (unsigned long long)raw, (unsigned long long)va);
			return -EIO;
		}
	}
	return -EIO;
}

int pt_lookup(const struct pt *pt, u64 va, struct pt_leaf *out)
{
	if (pt->va_bits < 64 && (va >> pt->va_bits)) {
		pr_err("pt: lookup 0x%llx beyond the %u-bit input space\n", (unsigned long long)va,
		       pt->va_bits);
		return -EINVAL;
	}
	return lookup_common(pt->fmt, spa_val(pt->root), pt->levels, va, NULL, NULL, out);
}

int pt_lookup_xlate(const struct pt_fmt *fmt, u64 root, unsigned levels, u64 va,
		    int (*xlate)(void *ctx, u64 table, spa_t *out), void *ctx,
		    struct pt_leaf *out)
{
	if (!fmt || !fmt->decode || !xlate || levels < 1 || levels > PT_MAX_LEVELS)
		return -EINVAL;
	return lookup_common(fmt, root, levels, va, xlate, ctx, out);
}

static int walk_table(const struct pt *pt, spa_t t, unsigned level, u64 va, u64 last,
		      const struct pt_walk_ops *ops, void *ctx, bool tables_only)
{
	unsigned span = pt_level_shift(level) + 9;
	u64 a = va, b, esz = pt_level_size(level), raw;
	const u64 *p = tbl(t);
	struct pt_leaf leaf;
	struct pt_ent e;
	int rc;

	if (ops->table) {
		rc = ops->table(ctx, t, level, span >= 64 ? 0 : ALIGN_DOWN(va, 1ULL << span));
		if (rc)
			return rc;
	}
	if (level == 1 && tables_only)
		return 0; /* leaves only below here */
	for (;;) {
		b = MIN(last, ALIGN_DOWN(a, esz) + (esz - 1));
		raw = p[pt_index(a, level)];
		/* Every format decodes 0 as PT_NONE: most entries of a sparse
		 * table are 0, and xcheck walks every table after each change. */
		e = raw ? pt->fmt->decode(raw, level) : (struct pt_ent){PT_NONE, {0}, 0};
		rc = 0;
		if (e.kind == PT_LEAF && ops->leaf) {
			fill_leaf(&leaf, a, level, &e, raw);
			rc = ops->leaf(ctx, &leaf);
		} else if (e.kind == PT_TABLE && level > 1) {
			rc = walk_table(pt, e.pa, level - 1, a, b, ops, ctx, tables_only);
		} else if (e.kind == PT_BAD || e.kind == PT_TABLE) {
			pr_err("pt(%s): corrupt level-%u entry 0x%llx for 0x%llx\n", pt->fmt->name,
			       level, (unsigned long long)raw, (unsigned long long)a);
			rc = -EIO;
		}
		if (rc || b == last)
			return rc;
		a = b + 1;
	}
}

int pt_walk(const struct pt *pt, u64 va, u64 size, const struct pt_walk_ops *ops, void *ctx)
{
	int rc = check_range(pt, va, size, "walk");

	if (rc)
		return rc;
	return walk_table(pt, pt->root, pt->levels, va, va + (size - 1), ops, ctx, false);
}

int pt_walk_tables(const struct pt *pt, u64 va, u64 size,
		   int (*table)(void *ctx, spa_t table, unsigned level, u64 va), void *ctx)
{
	struct pt_walk_ops ops = {.table = table};
	u64 last = va + (size - 1);
	int rc;

	if (size && va == 0 && (pt->va_bits >= 64 || size == 1ULL << pt->va_bits))
		last = pt->va_bits >= 64 ? ~0ULL : (1ULL << pt->va_bits) - 1;
	else if ((rc = check_range(pt, va, size, "walk")) != 0)
		return rc;
	return walk_table(pt, pt->root, pt->levels, va, last, &ops, ctx, true);
}

int pt_walk_all(const struct pt *pt, const struct pt_walk_ops *ops, void *ctx)
{
	u64 last = pt->va_bits >= 64 ? ~0ULL : (1ULL << pt->va_bits) - 1;

	return walk_table(pt, pt->root, pt->levels, 0, last, ops, ctx, false);
}
