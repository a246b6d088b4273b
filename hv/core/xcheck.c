/* xcheck: proves I1-I7 (architecture.md "Invariants") against gmem's ledger.
 *
 * Passes, per guest:
 *   1. tables: pt_walk_tables of the NPT and every domain (the table pages):
 *      each table page must belong to the guest's table owner (I4), not be
 *      free (I7: freed while still linked); every table page of every guest
 *      goes into a set so that a leaf mapping one is caught even without pmem.
 *   2. leaves: each leaf of each structure, 4K by 4K against the ledger:
 *      frame owner (I4 hypervisor/other guest, I5 free), recorded at all (I5),
 *      same SPA (I1), untrusted over private (I6), leaf size vs RMP page size
 *      (I2: NPT <= RMP, IOMMU == RMP for private memory; IOMMU == 4K, i.e.
 *      <= RMP, in own tables of a guest with iommu_4k).
 *   3. ledger: each record: frame owned by the guest (I5), in no other record
 *      of any guest (I5), RMP entry (I2 private / I3 shared), mapped in the
 *      NPT and every domain that should map it (I5; I6 for trusted+private).
 *   4. pending list (I7): frames still owned by their owner until flushed;
 *      frames leaked on purpose (RMP state not hypervisor-owned) still owned
 *      by the guest's "-leaked" owner, never back in pmem (I5).
 *   5. accounting (I5): pmem owner pages == ledger + pending (+ tables + pools);
 *      leaked owner pages == gmem's leaked count.
 *   6. device MMIO (gmem_map_mmio): the only non-RAM leaves accepted, in the
 *      NPT only, exactly as recorded, uncached and not executable, never RAM,
 *      never in a domain (no peer-to-peer), never in two guests (I4); each
 *      record mapped (I5) and inside a BAR the device layer validated for a
 *      device of that guest (I4; xcheck_bar_add, not gmem's own record).
 * iommu_mode = shared: the NPT is walked in its own (strict) format, which
 * refuses an entry the CPU and the IOMMU would read differently; a shared
 * domain is walked again through the IOMMU's view of the same table
 * (gmem_domain_view), so I1 holds by construction but is still checked leaf
 * by leaf, and I6 (no untrusted domain over private memory) as for any domain.
 * Cross-guest: duplicate ASIDs, frames in two guests (one map over all
 * ledgers: struct fmap). Optional full RMP scan (opts.full_rmp).
 * Every leaf or record reports at most one violation: the first rule in the
 * order above, so a corruption is reported once, under its own rule. */
#include "hv/core/xcheck.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/core/gmem.h"
#include "hv/base/log.h"
#include "hv/mm/pmem.h"
#include "hv/mm/pt.h"
#include "snp/rmp.h"

/* ---- scratch memory ----------------------------------------------------------- */

/* A check allocates its sets and bitmaps anew every run; run after every
 * operation (config xcheck = always, the fuzzers) that was a calloc per set
 * and bitmap per run, fresh pages each time under a sanitizer's quarantine.
 * One run at a time borrows this buffer instead and takes its zeroed
 * allocations from it in order; what does not fit comes from calloc as
 * before (and a calloc failing is -ENOMEM as before). After the run the
 * buffer grows to what the run asked for, up to XCHECK_SCRATCH_KEEP (the
 * hypervisor keeps no more than this between runs). A run that finds the
 * buffer in use (another CPU checking) callocs everything. */
#define XCHECK_SCRATCH_KEEP (1u << 20)

struct scratch {
	u8 *buf;
	size_t size, used, demand;
};

static struct scratch scratch;
static int scratch_busy;
static size_t scratch_keep = XCHECK_SCRATCH_KEEP;

void xcheck_scratch_limit(size_t bytes)
{
	scratch_keep = bytes;
}

static struct scratch *scratch_get(void)
{
	if (__atomic_exchange_n(&scratch_busy, 1, __ATOMIC_ACQUIRE))
		return NULL;
	scratch.used = scratch.demand = 0;
	return &scratch;
}

static void scratch_put(struct scratch *sc)
{
	if (!sc)
		return;
	if (sc->size > scratch_keep || (sc->demand > sc->size && sc->demand <= scratch_keep)) {
		free(sc->buf);
		sc->size = sc->demand <= scratch_keep ? ALIGN_UP(sc->demand, 65536) : 0;
		sc->buf = sc->size ? malloc(sc->size) : NULL;
		if (!sc->buf)
			sc->size = 0; /* callocs next time */
	}
	__atomic_store_n(&scratch_busy, 0, __ATOMIC_RELEASE);
}

/* n zeroed elements of sz bytes from sc (NULL: calloc), NULL if no memory. */
static void *sc_zalloc(struct scratch *sc, u64 n, size_t sz)
{
	size_t bytes;
	void *p;

	if (n > (SIZE_MAX - 15) / sz) /* n * sz, rounded up to 16, must fit */
		return NULL;
	bytes = ALIGN_UP(n * sz, 16);
	if (!sc)
		return calloc(n, sz);
	sc->demand += bytes;
	if (bytes > sc->size - sc->used)
		return calloc(n, sz);
	p = sc->buf + sc->used;
	sc->used += bytes;
	memset(p, 0, n * sz);
	return p;
}

static void sc_free(struct scratch *sc, void *p)
{
	if (sc && (u8 *)p >= sc->buf && (u8 *)p < sc->buf + sc->size)
		return; /* the buffer's: given back as a whole by scratch_put */
	free(p);
}

/* ---- a small open-addressing hash: key (nonzero) -> value ------------------ */

struct hset {
	u64 *key;
	u64 *val;
	u64 cap; /* power of two */
	u64 n;
	struct scratch *sc;
};

static int hset_init(struct hset *h, u64 expect, struct scratch *sc)
{
	u64 cap = 64;

	while (cap < 2 * expect + 16)
		cap <<= 1;
	h->sc = sc;
	h->key = sc_zalloc(sc, cap, sizeof(u64));
	h->val = h->key ? sc_zalloc(sc, cap, sizeof(u64)) : NULL;
	h->cap = cap;
	h->n = 0;
	if (!h->key || !h->val) {
		sc_free(sc, h->key);
		h->key = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void hset_free(struct hset *h)
{
	sc_free(h->sc, h->key);
	sc_free(h->sc, h->val);
}

static inline u64 hmix(u64 k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static int hset_grow(struct hset *h);

/* Inserts key; returns 1 and the old value in *old if it was there. */
static int hset_put(struct hset *h, u64 key, u64 val, u64 *old)
{
	u64 i;

	if (2 * (h->n + 1) > h->cap && hset_grow(h))
		return -ENOMEM;
	for (i = hmix(key) & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
		if (!h->key[i]) {
			h->key[i] = key;
			h->val[i] = val;
			h->n++;
			return 0;
		}
		if (h->key[i] == key) {
			if (old)
				*old = h->val[i];
			return 1;
		}
	}
}

static bool hset_has(const struct hset *h, u64 key)
{
	for (u64 i = hmix(key) & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
		if (!h->key[i])
			return false;
		if (h->key[i] == key)
			return true;
	}
}

static int hset_grow(struct hset *h)
{
	struct hset n;

	if (hset_init(&n, h->cap, h->sc))
		return -ENOMEM;
	for (u64 i = 0; i < h->cap; i++)
		if (h->key[i])
			hset_put(&n, h->key[i], h->val[i], NULL);
	hset_free(h);
	*h = n;
	return 0;
}

/* ---- frames of every ledger: pfn -> (guest << 48 | gpa >> 12) ------------------ */

/* The full pass puts every guest frame in this map (a frame in two records is
 * an I5 violation naming the first). Guest frames come from pmem in runs, so
 * a dense array over [lo, hi) of the ledgers' frames is read and written
 * nearly in order, where a hash misses the cache on every frame. It is used
 * when the range is at most 4 slots per frame to record (the hash takes 4 u64
 * per frame as well); otherwise, and in the incremental pass, the hash. */
struct fmap {
	u64 lo, n; /* dense: frames [lo, lo + n) */
	u64 *v;	   /* dense: value | FMAP_SET, 0 = none */
	struct hset h;
};

#define FMAP_SET BIT(63)

static int fmap_init(struct fmap *m, const struct gmem *const *gs, unsigned ng, u64 expect,
		     struct scratch *sc)
{
	u64 lo = ~0ULL, hi = 0;

	memset(m, 0, sizeof(*m));
	for (unsigned i = 0; i < ng; i++)
		for (u64 k = 0; k < gs[i]->nr_slots; k++) {
			u64 s = gs[i]->ledger[k];

			if (!(s & GMEM_L_PRESENT))
				continue;
			lo = MIN(lo, (s & GMEM_L_SPA) >> PAGE_SHIFT);
			/* a 2M record's frames follow its first: the slots say so (or
			 * the record is torn: reported, and its frames come from the base) */
			hi = MAX(hi, ((s & GMEM_L_SPA) >> PAGE_SHIFT) + HUGE_SIZE / PAGE_SIZE);
		}
	if (hi > lo && hi - lo <= 4 * expect + HUGE_SIZE / PAGE_SIZE) {
		m->v = sc_zalloc(sc, hi - lo, sizeof(u64));
		m->h.sc = sc;
		if (m->v) {
			m->lo = lo;
			m->n = hi - lo;
			return 0;
		}
	}
	return hset_init(&m->h, expect, sc);
}

static void fmap_free(struct fmap *m)
{
	if (m->v)
		sc_free(m->h.sc, m->v);
	else
		hset_free(&m->h);
}

/* Inserts pfn -> val; returns 1 and the old value in *old if it was there. */
static int fmap_put(struct fmap *m, u64 pfn, u64 val, u64 *old)
{
	if (!m->v)
		return hset_put(&m->h, pfn + 1, val, old);
	if (pfn - m->lo >= m->n) /* outside every ledger: cannot be there */
		return 0;	 /* (nothing to insert that anybody looks up) */
	if (m->v[pfn - m->lo]) {
		if (old)
			*old = m->v[pfn - m->lo] & ~FMAP_SET;
		return 1;
	}
	m->v[pfn - m->lo] = val | FMAP_SET;
	return 0;
}

/* ---- context ---------------------------------------------------------------- */

struct xc {
	struct scratch *sc; /* NULL: calloc and free */
	struct xcheck_report *rep;
	const struct xcheck_opts *o;
	const struct gmem *const *gs;
	unsigned ng;
	unsigned gi;
	const struct gmem *g;
	/* current structure */
	u8 st;
	const struct gmem_domain *d;
	struct hset tables; /* table pages of every structure */
	struct fmap frames; /* frame pfn -> (guest << 48 | gpa >> 12) from every ledger */
	/* per structure of the current guest (0 NPT, 1 + domain), a bit per 4K
	 * that a leaf of the checking walk covers (NULL: pt_lookup): the full
	 * pass, a bit per guest 4K; the incremental one, a bit per 4K of the
	 * spans it walks (msp[k]'s first 4K is bit soff[k]), so that pass 3
	 * asks "is this record mapped?" with a bit test, not a table walk */
	u64 *mapbits[1 + GMEM_MAX_DOMAINS];
	const struct gmem_span *msp; /* incremental: the current guest's spans */
	unsigned nmsp;
	const u64 *soff;
	/* full pass: the table set as a bitmap over [tlo, tlo + tn) (NULL: hash) */
	u64 *tbits, tlo, tn;
	int err;
	/* incremental (xcheck_run_touched): walks of spans, each leaf and table once */
	bool inc;
	unsigned sidx;	  /* structure: 0 NPT, 1 + domain index */
	u64 leaf_end;	  /* end of the last leaf judged in this structure */
	struct hset seen; /* (sidx, table) pairs judged */
};

static void vio(struct xc *c, unsigned rule, unsigned st, u64 gpa, u64 pa, const char *exp,
		const char *fmt, ...) __printf(7, 8);

/* Is frame pfn a table page of some structure (pass 1's set)? */
static bool is_table(const struct xc *c, u64 pfn)
{
	if (!c->tbits)
		return hset_has(&c->tables, pfn + 1);
	return pfn - c->tlo < c->tn && (c->tbits[(pfn - c->tlo) / 64] >> ((pfn - c->tlo) % 64) & 1);
}

/* The full pass asks is_table for every mapped 4K: the set as a bitmap over
 * the table pages' range when that takes no more than a bit per guest frame
 * (+ 64 KiB), so the question is a bit test, not a hash probe. */
static void tables_bitmap(struct xc *c, u64 expect)
{
	u64 lo = ~0ULL, hi = 0;

	for (u64 i = 0; i < c->tables.cap; i++)
		if (c->tables.key[i]) {
			lo = MIN(lo, c->tables.key[i] - 1);
			hi = MAX(hi, c->tables.key[i]);
		}
	if (hi <= lo || (hi - lo) / 8 > expect / 8 + 65536)
		return;
	c->tbits = sc_zalloc(c->sc, (hi - lo + 63) / 64, sizeof(u64));
	if (!c->tbits)
		return; /* the hash answers */
	c->tlo = lo;
	c->tn = hi - lo;
	for (u64 i = 0; i < c->tables.cap; i++)
		if (c->tables.key[i]) {
			u64 b = c->tables.key[i] - 1 - lo;

			c->tbits[b / 64] |= 1ULL << (b % 64);
		}
}

static void vio(struct xc *c, unsigned rule, unsigned st, u64 gpa, u64 pa, const char *exp,
		const char *fmt, ...)
{
	struct xcheck_report *r = c->rep;
	struct xcheck_violation *v;
	va_list ap;

	r->total++;
	if (r->n >= XCHECK_MAX_REPORT)
		return;
	v = &r->v[r->n++];
	memset(v, 0, sizeof(*v));
	v->rule = (u8)rule;
	v->structure = (u8)st;
	v->domain = st == XC_IOMMU && c->d ? c->d->id : 0;
	v->guest = c->gi;
	v->gpa = gpa;
	v->spa = pa;
	snprintf(v->expected, sizeof(v->expected), "%s", exp);
	va_start(ap, fmt);
	vsnprintf(v->found, sizeof(v->found), fmt, ap);
	va_end(ap);
}

static u8 owner_of(const struct xc *c, u64 pa)
{
	return pmem_owner_of(spa(pa));
}

/* Is pa one of another guest's data frames? Returns its index or -1. */
static int other_guest_mem(const struct xc *c, u8 owner)
{
	for (unsigned i = 0; i < c->ng; i++)
		if (i != c->gi && c->gs[i]->own_mem == owner)
			return (int)i;
	return -1;
}

static bool in_rmp_table(const struct xc *c, u64 pa)
{
	const struct rmp *r = c->g->rmp;

	if (r && pa >= spa_val(r->base) && pa - spa_val(r->base) < r->size)
		return true;
	return c->o->rmp_size && pa >= spa_val(c->o->rmp_base) &&
	       pa - spa_val(c->o->rmp_base) < c->o->rmp_size;
}

/* ---- pass 1: table pages ------------------------------------------------------ */

static int tab_collect(void *ctx, spa_t t, unsigned level, u64 va)
{
	struct xc *c = ctx;

	if (hset_put(&c->tables, (spa_val(t) >> PAGE_SHIFT) + 1, 0, NULL) < 0)
		c->err = -ENOMEM;
	return 0;
}

static int tab_check(void *ctx, spa_t t, unsigned level, u64 va)
{
	struct xc *c = ctx;
	/* A shared domain's tables are the NPT's pages. */
	u8 want = c->st == XC_NPT || (c->d && c->d->shared) ? c->g->own_npt : c->g->own_iommu, own;

	if (c->inc) { /* a table on the paths of several spans: judged once */
		int r = hset_put(&c->seen, ((u64)c->sidx << 52 | spa_val(t) >> PAGE_SHIFT) + 1, 0,
				 NULL);

		if (r < 0)
			c->err = -ENOMEM;
		if (r)
			return 0;
	}
	c->rep->tables++;
	if (c->o->no_pmem)
		return 0;
	own = owner_of(c, spa_val(t));
	if (own == want)
		return 0;
	if (own == PMEM_OWNER_FREE)
		vio(c, XC_I7, c->st, va, spa_val(t), "linked table page owned",
		    "level-%u table page free", level);
	else
		vio(c, XC_I4, c->st, va, spa_val(t), pmem_owner_name(want), "table owned by %s",
		    pmem_owner_name(own));
	return 0;
}

/* ---- pass 2: leaves --------------------------------------------------------------- */

static const char *sz_name(u64 sz)
{
	return sz == PAGE_SIZE ? "4K" : sz == HUGE_SIZE ? "2M" : sz == GIGA_SIZE ? "1G" : "?";
}

static bool mapped(const struct pt *pt, u64 a, u64 size);

/* A leaf over a recorded device MMIO range (a passed-through BAR). Returns
 * true when the leaf was judged here (clean or a violation). */
static bool mmio_leaf(struct xc *c, const struct pt_leaf *l)
{
	const struct gmem_mmio *m = gmem_mmio_find(c->g, l->va, l->size);
	u64 pa = spa_val(l->pa), base;

	if (!m)
		return false;
	base = gpa_val(m->gpa);
	/* iommu_mode = shared: the NPT's MMIO leaves are for the CPU only and a
	 * shared domain sees them as leaves that grant the device nothing. */
	if (c->st == XC_IOMMU && c->d && c->d->shared && !(l->prot & (PT_R | PT_W)))
		return true;
	if (c->st == XC_NPT && c->g->iommu_mode == GMEM_IOMMU_SHARED && !(l->prot & PT_NO_DMA)) {
		vio(c, XC_I4, XC_NPT, l->va, pa, "MMIO CPU-only in a shared NPT",
		    "reachable by the shared domains' devices (P2P)");
		return true;
	}
	if (c->st == XC_IOMMU) {
		vio(c, XC_I4, XC_IOMMU, l->va, pa, "no MMIO in a domain", "maps device MMIO (P2P)");
		return true;
	}
	if (l->va < base || l->va + l->size > base + m->size) {
		vio(c, XC_I4, c->st, l->va, pa, "leaf inside MMIO range", "%s leaf crosses it",
		    sz_name(l->size));
		return true;
	}
	if (pa != spa_val(m->spa) + (l->va - base)) {
		vio(c, XC_I1, c->st, l->va, pa, "recorded MMIO SPA", "SPA 0x%llx, want 0x%llx",
		    (unsigned long long)pa, (unsigned long long)(spa_val(m->spa) + (l->va - base)));
		return true;
	}
	if (!(l->prot & PT_UC) || (l->prot & PT_X)) {
		vio(c, XC_I4, c->st, l->va, pa, "MMIO uncached, no exec", "prot 0x%x", l->prot);
		return true;
	}
	if (!c->o->no_pmem)
		for (u64 o = 0; o < l->size; o += PAGE_SIZE)
			if (owner_of(c, pa + o) != PMEM_OWNER_NOT_RAM) {
				vio(c, XC_I4, c->st, l->va + o, pa + o, "device MMIO, not RAM",
				    "RAM owned by %s", pmem_owner_name(owner_of(c, pa + o)));
				return true;
			}
	c->rep->leaves++;
	return true;
}

/* ---- validated device BARs (registered by the device layer) ---------------------- */

static struct xcheck_bar vbars[XCHECK_MAX_BARS];
static unsigned nr_vbars;

int xcheck_bar_add(const struct gmem *g, u16 bdf, u8 index, spa_t spa, u64 size)
{
	if (!g || !size || spa_val(spa) + size < spa_val(spa))
		return -EINVAL;
	if (nr_vbars == XCHECK_MAX_BARS)
		return -ENOSPC;
	vbars[nr_vbars++] = (struct xcheck_bar){g, bdf, index, spa, size};
	return 0;
}

void xcheck_bar_drop(const struct gmem *g)
{
	for (unsigned i = 0; i < nr_vbars;)
		if (vbars[i].g == g)
			vbars[i] = vbars[--nr_vbars];
		else
			i++;
}

unsigned xcheck_bar_list(const struct gmem *g, struct xcheck_bar *out, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < nr_vbars; i++)
		if (vbars[i].g == g && k < n)
			out[k++] = vbars[i];
	return k;
}

/* The validated BAR of guest g holding [s0, s1), else the first one of any
 * guest overlapping it (*other set), else NULL. */
static const struct xcheck_bar *vbar_find(const struct gmem *g, u64 s0, u64 s1, bool *other)
{
	const struct xcheck_bar *o = NULL;

	*other = false;
	for (unsigned i = 0; i < nr_vbars; i++) {
		u64 b0 = spa_val(vbars[i].spa), b1 = b0 + vbars[i].size;

		if (vbars[i].g == g && s0 >= b0 && s1 <= b1)
			return &vbars[i];
		if (!o && vbars[i].g != g && s0 < b1 && b0 < s1)
			o = &vbars[i];
	}
	*other = o != NULL;
	return o;
}

/* Pass 6: each MMIO record mapped in the NPT, inside a BAR validated for one
 * of the guest's devices; no BAR in two guests. */
static void mmio_pass(struct xc *c)
{
	const struct gmem *g = c->g;

	for (unsigned i = 0; i < g->nr_mmio; i++) {
		const struct gmem_mmio *m = &g->mmio[i];
		u64 s0 = spa_val(m->spa), s1 = s0 + m->size;
		bool other;

		c->st = XC_NPT;
		c->d = NULL;
		/* One violation per record: the first of these rules. */
		if (!mapped(&g->npt, gpa_val(m->gpa), m->size)) {
			vio(c, XC_I5, XC_NPT, gpa_val(m->gpa), s0, "MMIO mapped", "not mapped");
			continue;
		}
		if (!c->o->no_bars && (!vbar_find(g, s0, s1, &other) || other)) {
			vio(c, XC_I4, XC_NPT, gpa_val(m->gpa), s0, "MMIO in a validated BAR",
			    other ? "another guest's BAR" : "no validated BAR");
			continue;
		}
		for (unsigned j = 0; j < c->gi; j++)
			for (unsigned k = 0; k < c->gs[j]->nr_mmio; k++) {
				const struct gmem_mmio *o = &c->gs[j]->mmio[k];

				if (s0 < spa_val(o->spa) + o->size && spa_val(o->spa) < s1)
					vio(c, XC_I4, XC_NPT, gpa_val(m->gpa), s0,
					    "MMIO of one guest", "also guest %u's", j);
			}
	}
}

/* The full pass's "mapped" bitmaps: the leaves the checking walk met, so
 * that pass 3 asks "is this record mapped?" with a bit test instead of a
 * table walk per record and structure. Leaves past the guest are not needed:
 * records lie inside it. */
static void map_mark(u64 *bits, u64 va, u64 size, u64 mem)
{
	u64 i, e;

	if (va >= mem)
		return;
	i = va >> PAGE_SHIFT;
	e = MIN(va + size, mem) >> PAGE_SHIFT;
	for (; i < e && (i & 63); i++)
		bits[i / 64] |= 1ULL << (i % 64);
	for (; i + 64 <= e; i += 64)
		bits[i / 64] = ~0ULL;
	for (; i < e; i++)
		bits[i / 64] |= 1ULL << (i % 64);
}

static bool map_all(const u64 *bits, u64 a, u64 size)
{
	u64 i = a >> PAGE_SHIFT, e = (a + size) >> PAGE_SHIFT;

	for (; i < e && (i & 63); i++)
		if (!(bits[i / 64] >> (i % 64) & 1))
			return false;
	for (; i + 64 <= e; i += 64)
		if (bits[i / 64] != ~0ULL)
			return false;
	for (; i < e; i++)
		if (!(bits[i / 64] >> (i % 64) & 1))
			return false;
	return true;
}

/* The first of the incremental pass's spans that ends after x (nmsp: none). */
static unsigned span_find(const struct xc *c, u64 x)
{
	unsigned lo = 0, hi = c->nmsp;

	while (lo < hi) {
		unsigned m = lo + (hi - lo) / 2;

		if (c->msp[m].gpa + c->msp[m].size > x)
			hi = m;
		else
			lo = m + 1;
	}
	return lo;
}

/* Incremental pass: marks what a leaf covers in every span it overlaps (it
 * is judged, and so marked, once: when the walk of the first one meets it). */
static void span_mark(const struct xc *c, u64 *bits, u64 va, u64 size)
{
	for (unsigned k = span_find(c, va); k < c->nmsp && c->msp[k].gpa < va + size; k++) {
		u64 a = MAX(va, c->msp[k].gpa), b = MIN(va + size, c->msp[k].gpa + c->msp[k].size);

		map_mark(bits, (c->soff[k] << PAGE_SHIFT) + (a - c->msp[k].gpa), b - a, ~0ULL);
	}
}

/* Does the checking walk of structure sidx say [a, a + size) is mapped
 * (1 / 0)? -1 when it cannot tell: no bitmap, or (incremental) the range is
 * not inside one walked span. */
static int walked_all(const struct xc *c, unsigned sidx, u64 a, u64 size)
{
	const u64 *bits = c->mapbits[sidx];
	unsigned k;

	if (!bits)
		return -1;
	if (!c->msp)
		return map_all(bits, a, size);
	k = span_find(c, a);
	if (k == c->nmsp || a < c->msp[k].gpa || a + size > c->msp[k].gpa + c->msp[k].size)
		return -1;
	return map_all(bits, (c->soff[k] << PAGE_SHIFT) + (a - c->msp[k].gpa), size);
}

static int leaf_check(void *ctx, const struct pt_leaf *l)
{
	struct xc *c = ctx;
	const struct gmem *g = c->g;
	u64 pa = spa_val(l->pa), o;
	bool any_priv = false, small_priv = false;

	if (c->inc) { /* spans are sorted: a leaf over several is judged once */
		if (l->va + l->size <= c->leaf_end)
			return 0;
		c->leaf_end = l->va + l->size;
	}
	if (c->mapbits[c->sidx] && c->msp)
		span_mark(c, c->mapbits[c->sidx], l->va, l->size);
	else if (c->mapbits[c->sidx])
		map_mark(c->mapbits[c->sidx], l->va, l->size, g->mem_size);
	if (mmio_leaf(c, l))
		return 0;
	c->rep->leaves++;
	c->rep->mapped_bytes += l->size;
	/* I4 / I5: whose frame is it? */
	for (o = 0; o < l->size; o += PAGE_SIZE) {
		u64 f = pa + o;

		if (is_table(c, f >> PAGE_SHIFT)) {
			vio(c, XC_I4, c->st, l->va + o, f, "guest page", "page-table page");
			return 0;
		}
		if (in_rmp_table(c, f)) {
			vio(c, XC_I4, c->st, l->va + o, f, "guest page", "RMP table");
			return 0;
		}
		if (!c->o->no_pmem) {
			u8 own = owner_of(c, f);
			int og;

			if (own == g->own_mem)
				continue;
			if (own == g->own_leak) {
				vio(c, XC_I5, c->st, l->va + o, f, "not mapped (leaked)",
				    "leaked frame mapped");
				return 0;
			}
			if (own == PMEM_OWNER_FREE) {
				vio(c, XC_I5, c->st, l->va + o, f, "guest page", "free page");
				return 0;
			}
			og = other_guest_mem(c, own);
			if (og >= 0)
				vio(c, XC_I4, c->st, l->va + o, f, "own page", "guest %d's page",
				    og);
			else
				vio(c, XC_I4, c->st, l->va + o, f, "guest page",
				    "hypervisor page (%s)", pmem_owner_name(own));
			return 0;
		}
	}
	/* I5 / I1 against the ledger. */
	for (o = 0; o < l->size; o += PAGE_SIZE) {
		u64 a = l->va + o, s;

		if (a >= g->mem_size || !((s = g->ledger[a >> PAGE_SHIFT]) & GMEM_L_PRESENT)) {
			vio(c, XC_I5, c->st, a, pa + o, "unmapped (no record)", "mapped %s leaf",
			    sz_name(l->size));
			return 0;
		}
		if ((s & GMEM_L_SPA) != pa + o) {
			vio(c, XC_I1, c->st, a, pa + o, "ledger SPA", "SPA 0x%llx, ledger 0x%llx",
			    (unsigned long long)(pa + o), (unsigned long long)(s & GMEM_L_SPA));
			return 0;
		}
		if (s & GMEM_L_PRIVATE) {
			any_priv = true;
			if (!(s & GMEM_L_HUGE))
				small_priv = true;
		}
	}
	if (!any_priv)
		return 0;
	if (c->st == XC_IOMMU && !c->d->trusted) {
		vio(c, XC_I6, XC_IOMMU, l->va, pa, "untrusted: no private", "maps private memory");
		return 0;
	}
	/* I2: the record size is the RMP page size (checked against the RMP in pass 3). */
	if (c->st == XC_NPT) {
		if (l->size > HUGE_SIZE || (l->size == HUGE_SIZE && small_priv))
			vio(c, XC_I2, XC_NPT, l->va, pa, "leaf <= RMP page size", "%s leaf over 4K",
			    sz_name(l->size));
	} else if (g->iommu_4k && !c->d->shared) {
		/* gmem_params.iommu_4k: 4K leaves over every record, whatever its
		 * RMP page size (IOMMU leaf <= RMP page size) */
		if (l->size != PAGE_SIZE)
			vio(c, XC_I2, XC_IOMMU, l->va, pa, "4K leaf (iommu_4k)", "%s leaf",
			    sz_name(l->size));
	} else {
		u64 rsz = small_priv ? PAGE_SIZE : HUGE_SIZE;

		if (l->size != rsz || (l->size == HUGE_SIZE && small_priv))
			vio(c, XC_I2, XC_IOMMU, l->va, pa, "leaf == RMP page size",
			    "%s leaf over %s RMP", sz_name(l->size), sz_name(rsz));
	}
	return 0;
}

static int walk(struct xc *c, const struct pt *pt, u8 st, const struct gmem_domain *d,
		unsigned sidx, const struct pt_walk_ops *ops)
{
	int rc;

	c->st = st;
	c->d = d;
	c->sidx = sidx;
	if (!pt->table_pages)
		return 0;
	rc = ops->leaf ? pt_walk_all(pt, ops, c)
		       : pt_walk_tables(pt, 0, pt->va_bits >= 64 ? 0 : 1ULL << pt->va_bits,
					ops->table, c);
	if (rc == -EIO) {
		vio(c, XC_I5, st, 0, spa_val(pt->root), "readable table", "corrupt entry");
		/* the walk stopped: what it did not reach may still be mapped */
		sc_free(c->sc, c->mapbits[sidx]);
		c->mapbits[sidx] = NULL;
	}
	return 0;
}

/* ---- pass 3: ledger ---------------------------------------------------------------- */

/* Is [a, a + size) mapped at all in pt? (what is mapped wrongly is pass 2's job) */
static bool mapped(const struct pt *pt, u64 a, u64 size)
{
	struct pt_leaf l;
	u64 x = a;

	while (x < a + size) {
		if (pt_lookup(pt, x, &l))
			return false;
		x = l.va + l.size;
	}
	return true;
}

static bool dom_mapped(const struct gmem *g, const struct gmem_domain *d, u64 a, u64 size)
{
	struct pt view;

	gmem_domain_view(g, d, &view);
	return mapped(&view, a, size);
}

static void check_rmp(struct xc *c, u64 a, u64 pa, u64 size, bool priv)
{
	const struct gmem *g = c->g;
	struct rmp_info info;
	spa_t epa;
	u64 rsz;

	if (!g->rmp)
		return;
	c->rep->rmp_entries++;
	if (rmp_lookup(g->rmp, spa(pa), &info, &epa)) {
		if (priv)
			vio(c, XC_I2, XC_RMP, a, pa, "covered by the RMP", "not covered");
		return;
	}
	if (!priv) {
		if (info.assigned)
			vio(c, XC_I3, XC_RMP, a, pa, "unassigned", "assigned, asid %u", info.asid);
		/* a 2M shared record: no 4K entry inside may be assigned either */
		for (u64 o = PAGE_SIZE; !info.assigned && o < size; o += PAGE_SIZE) {
			if (!rmp_lookup(g->rmp, spa(pa + o), &info, NULL) && info.assigned)
				vio(c, XC_I3, XC_RMP, a + o, pa + o, "unassigned",
				    "assigned, asid %u", info.asid);
		}
		return;
	}
	rsz = info.pagesize == RMP_PG_SIZE_2M ? HUGE_SIZE : PAGE_SIZE;
	if (!info.assigned)
		vio(c, XC_I2, XC_RMP, a, pa, "assigned", "unassigned");
	else if (info.asid != g->asid)
		vio(c, XC_I2, XC_RMP, a, pa, "guest's ASID", "asid %u, want %u", info.asid,
		    g->asid);
	else if (gpa_val(info.gpa) + (pa - spa_val(epa)) != a)
		vio(c, XC_I2, XC_RMP, a, pa, "ledger GPA", "gpa 0x%llx",
		    (unsigned long long)(gpa_val(info.gpa) + (pa - spa_val(epa))));
	else if (rsz != size || spa_val(epa) != pa)
		vio(c, XC_I2, XC_RMP, a, pa, size == HUGE_SIZE ? "2M entry" : "4K entry",
		    "%s entry", sz_name(rsz));
}

static void check_record(struct xc *c, u64 a, u64 s, u64 size)
{
	const struct gmem *g = c->g;
	u64 pa = s & GMEM_L_SPA, o, old;
	bool priv = s & GMEM_L_PRIVATE;
	bool bad = false;
	int w;

	c->rep->records++;
	/* I5: the frame is the guest's, and in no other record of any guest. */
	for (o = 0; o < size; o += PAGE_SIZE) {
		u64 f = pa + o;
		int r = fmap_put(&c->frames, f >> PAGE_SHIFT,
				 ((u64)c->gi << 48) | ((a + o) >> PAGE_SHIFT), &old);

		if (r < 0) {
			c->err = -ENOMEM;
			return;
		}
		if (r == 1) {
			vio(c, XC_I5, XC_LEDGER, a + o, f, "frame in one record",
			    "also guest %u gpa 0x%llx", (unsigned)(old >> 48),
			    (unsigned long long)((old & GENMASK(47, 0)) << PAGE_SHIFT));
			bad = true;
			break;
		}
	}
	if (!bad && !c->o->no_pmem) {
		for (o = 0; o < size; o += PAGE_SIZE) {
			u8 own = owner_of(c, pa + o);

			if (own != g->own_mem) {
				vio(c, XC_I5, XC_PMEM, a + o, pa + o, pmem_owner_name(g->own_mem),
				    "frame owned by %s", pmem_owner_name(own));
				break;
			}
		}
	}
	check_rmp(c, a, pa, size, priv);
	/* Mapped where recorded. */
	c->st = XC_NPT;
	c->d = NULL;
	w = walked_all(c, 0, a, size);
	if (!(w >= 0 ? w : mapped(&g->npt, a, size)))
		vio(c, XC_I5, XC_NPT, a, pa, "mapped", "not mapped");
	for (unsigned i = 0; i < g->nr_dom; i++) {
		const struct gmem_domain *d = &g->dom[i];

		if (priv && !d->trusted)
			continue;
		c->st = XC_IOMMU;
		c->d = d;
		w = walked_all(c, 1 + i, a, size);
		if (!(w >= 0 ? w : dom_mapped(g, d, a, size)))
			vio(c, priv ? XC_I6 : XC_I5, XC_IOMMU, a, pa, "mapped", "not mapped");
	}
}

/* The ledger record at a (a record boundary), checked and counted; returns
 * the bytes it covers. */
static u64 ledger_one(struct xc *c, u64 a, u64 *npriv, u64 *nshared)
{
	const struct gmem *g = c->g;
	u64 s = g->ledger[a >> PAGE_SHIFT], size;

	if (!(s & GMEM_L_PRESENT))
		return PAGE_SIZE;
	size = PAGE_SIZE;
	if ((s & GMEM_L_HUGE) && IS_ALIGNED(a, HUGE_SIZE) && a + HUGE_SIZE <= g->mem_size)
		size = HUGE_SIZE;
	else if (s & GMEM_L_HUGE)
		vio(c, XC_I5, XC_LEDGER, a, s & GMEM_L_SPA, "2M record whole", "torn");
	if (size == HUGE_SIZE) {
		for (u64 o = PAGE_SIZE; o < HUGE_SIZE; o += PAGE_SIZE) {
			u64 t = g->ledger[(a + o) >> PAGE_SHIFT];

			if (t != s + o) {
				vio(c, XC_I5, XC_LEDGER, a + o, t & GMEM_L_SPA, "2M record whole",
				    "torn");
				break;
			}
		}
	}
	check_record(c, a, s, size);
	if (s & GMEM_L_PRIVATE)
		*npriv += size >> PAGE_SHIFT;
	else
		*nshared += size >> PAGE_SHIFT;
	return size;
}

static void ledger_pass(struct xc *c, u64 *npriv, u64 *nshared)
{
	u64 a = 0;

	*npriv = *nshared = 0;
	while (a < c->g->mem_size)
		a += ledger_one(c, a, npriv, nshared);
}

/* The records overlapping [a, b), from the boundary the full pass would
 * reach them at (every 2M-aligned address is one; inside a 2M block, the
 * block's base when it holds a 2M record, else every 4K), none before *next. */
static void ledger_span(struct xc *c, u64 a, u64 b, u64 *next)
{
	const struct gmem *g = c->g;
	u64 base = ALIGN_DOWN(a, HUGE_SIZE), s = g->ledger[base >> PAGE_SHIFT], np = 0, ns = 0;

	if ((s & GMEM_L_PRESENT) && (s & GMEM_L_HUGE) && base + HUGE_SIZE <= g->mem_size)
		a = base;
	a = MAX(a, *next);
	b = MIN(b, g->mem_size);
	while (a < b)
		a += ledger_one(c, a, &np, &ns);
	*next = MAX(*next, a);
}

/* ---- pass 4 + 5: pending list and accounting ------------------------------------------- */

static u64 pending_owned(struct xc *c, u8 owner)
{
	const struct gmem *g = c->g;
	u64 n = 0;

	for (u64 i = 0; i < g->nr_pend; i++) {
		const struct gmem_pending *e = &g->pend[i];

		if (e->owner != owner)
			continue;
		for (u64 o = 0; o < (PAGE_SIZE << e->order); o += PAGE_SIZE)
			n += owner_of(c, spa_val(e->pa) + o) == owner;
	}
	return n;
}

static void pending_pass(struct xc *c)
{
	const struct gmem *g = c->g;

	for (u64 i = 0; i < g->nr_pend; i++) {
		const struct gmem_pending *e = &g->pend[i];

		for (u64 o = 0; o < (PAGE_SIZE << e->order); o += PAGE_SIZE) {
			u64 f = spa_val(e->pa) + o;
			u8 own = owner_of(c, f);

			if (own != e->owner && e->owner == g->own_leak) {
				vio(c, XC_I5, XC_PMEM, 0, f, "leaked: kept for good", "owned by %s",
				    own == PMEM_OWNER_FREE ? "pmem (free)" : pmem_owner_name(own));
				break;
			}
			if (own != e->owner) {
				vio(c, XC_I7, XC_PMEM, 0, f, "kept until flush",
				    "owned by %s, tlb %llu/%llu", pmem_owner_name(own),
				    (unsigned long long)g->tlb_done,
				    (unsigned long long)e->tlb_at + 1);
				break;
			}
		}
	}
}

static u64 pool_pages(const struct gmem_pool *p)
{
	return p->count;
}

static void accounting(struct xc *c, u64 npriv, u64 nshared)
{
	const struct gmem *g = c->g;
	u64 want, have;

	if (npriv != g->st.private_pages || nshared != g->st.shared_pages)
		vio(c, XC_I5, XC_LEDGER, 0, 0, "counters = ledger", "priv %llu/%llu sh %llu/%llu",
		    (unsigned long long)g->st.private_pages, (unsigned long long)npriv,
		    (unsigned long long)g->st.shared_pages, (unsigned long long)nshared);
	if (c->o->no_pmem)
		return;
	want = npriv + nshared + pending_owned(c, g->own_mem);
	have = pmem_owner_pages(g->own_mem);
	if (want != have)
		vio(c, XC_I5, XC_PMEM, 0, 0, "owner pages = ledger+pending", "%llu, want %llu",
		    (unsigned long long)have, (unsigned long long)want);
	want = g->npt.table_pages + pool_pages(&g->pool_npt) + pending_owned(c, g->own_npt);
	have = pmem_owner_pages(g->own_npt);
	if (want != have)
		vio(c, XC_I5, XC_PMEM, 0, 0, "npt pages = tables+pool+pend", "%llu, want %llu",
		    (unsigned long long)have, (unsigned long long)want);
	want =
	    gmem_iommu_table_pages(g) + pool_pages(&g->pool_iommu) + pending_owned(c, g->own_iommu);
	have = pmem_owner_pages(g->own_iommu);
	if (want != have)
		vio(c, XC_I5, XC_PMEM, 0, 0, "iommu pages = tables+pool+pend", "%llu, want %llu",
		    (unsigned long long)have, (unsigned long long)want);
	want = g->st.leaked_pages;
	have = pmem_owner_pages(g->own_leak);
	if (want != have)
		vio(c, XC_I5, XC_PMEM, 0, 0, "leaked pages kept", "%llu, want %llu",
		    (unsigned long long)have, (unsigned long long)want);
}

/* A "g<name>-leaked" owner (gmem's frames kept on purpose, of a live or a
 * destroyed guest). */
static bool leaked_owner(u8 own)
{
	const char *n = pmem_owner_name(own);
	size_t l = strlen(n);

	return n[0] == 'g' && l > 7 && !strcmp(n + l - 7, "-leaked");
}

/* Optional: every assigned RMP entry in the pmem span belongs to a guest's
 * ledger or is a frame leaked on purpose (I5: no unknown private page, no
 * free page assigned). */
static void full_rmp_scan(struct xc *c)
{
	u64 pfn, first, last;

	for (unsigned i = 0; i < c->ng; i++) {
		const struct gmem *g = c->gs[i];
		struct rmp *r = g->rmp;

		if (!r)
			continue;
		/* once per RMP: the first guest using it */
		for (unsigned j = 0; j < i; j++)
			if (c->gs[j]->rmp == r)
				r = NULL;
		if (!r)
			continue;
		first = spa_val(pmem_span_base()) >> PAGE_SHIFT;
		last = MIN(spa_val(pmem_span_end()) >> PAGE_SHIFT, r->npfns);
		for (pfn = first; pfn < last; pfn++) {
			struct rmp_info info;
			u64 v;
			int k;

			rmp_raw_decode(rmp_raw_slot(r, pfn), &info);
			if (!info.assigned || !info.asid)
				continue; /* firmware pages (ASID 0) are the RMP's own */
			if (leaked_owner(pmem_owner_of(spa(pfn << PAGE_SHIFT))))
				continue; /* kept on purpose: never free, never mapped */
			c->rep->rmp_entries++;
			k = -1;
			for (unsigned j = 0; j < c->ng; j++)
				if (c->gs[j]->rmp == r && c->gs[j]->asid == info.asid)
					k = (int)j;
			c->gi = k < 0 ? 0 : (unsigned)k;
			c->st = XC_RMP;
			if (k < 0 || !fmap_put(&c->frames, pfn, 0, &v)) {
				/* not in any ledger (fmap_put may insert it: fine, we report) */
				vio(c, XC_I5, XC_RMP, gpa_val(info.gpa), pfn << PAGE_SHIFT,
				    "in a ledger", "assigned to asid %u", info.asid);
			}
		}
	}
}

static const char *const rule_names[] = {"?", "I1", "I2", "I3", "I4", "I5", "I6", "I7"};
static const char *const struct_names[] = {"NPT", "IOMMU", "RMP", "ledger", "pmem"};

const char *xcheck_rule_name(unsigned rule)
{
	return rule < ARRAY_SIZE(rule_names) ? rule_names[rule] : "?";
}

const char *xcheck_struct_name(unsigned s)
{
	return s < ARRAY_SIZE(struct_names) ? struct_names[s] : "?";
}

int xcheck_run_opts(const struct gmem *const *gs, unsigned n, const struct xcheck_opts *o,
		    struct xcheck_report *rep)
{
	static const struct xcheck_opts none;
	struct pt_walk_ops collect = {.table = tab_collect};
	struct pt_walk_ops check = {.leaf = leaf_check, .table = tab_check};
	struct xc c = {.rep = rep, .o = o ? o : &none, .gs = gs, .ng = n};
	struct pt view;
	u64 expect = 0, np, ns;
	unsigned i, j;

	if (!rep || (n && !gs))
		return -EINVAL;
	memset(rep, 0, sizeof(*rep));
	for (i = 0; i < n; i++)
		expect += gs[i]->st.private_pages + gs[i]->st.shared_pages;
	c.sc = scratch_get();
	if (hset_init(&c.tables, 256, c.sc)) {
		scratch_put(c.sc);
		return -ENOMEM;
	}
	if (fmap_init(&c.frames, gs, n, expect, c.sc)) {
		hset_free(&c.tables);
		scratch_put(c.sc);
		return -ENOMEM;
	}
	/* pass 1: every table page of every guest */
	for (i = 0; i < n; i++) {
		c.gi = i;
		c.g = gs[i];
		walk(&c, &gs[i]->npt, XC_NPT, NULL, 0, &collect);
		for (j = 0; j < gs[i]->nr_dom; j++) {
			gmem_domain_view(gs[i], &gs[i]->dom[j], &view);
			walk(&c, &view, XC_IOMMU, &gs[i]->dom[j], 1 + j, &collect);
		}
	}
	tables_bitmap(&c, expect);
	rep->total = rep->n = 0; /* corrupt entries are reported by the checking walk */
	for (i = 0; i < n; i++) {
		const struct gmem *g = gs[i];

		c.gi = i;
		c.g = g;
		for (j = 0; j < i; j++)
			if (g->rmp && gs[j]->rmp == g->rmp && gs[j]->asid == g->asid)
				vio(&c, XC_I4, XC_RMP, 0, 0, "unique ASID", "ASID %u also guest %u",
				    g->asid, j);
		/* no bitmap (no memory for it): pass 3 walks the tables per record */
		for (j = 0; j <= g->nr_dom; j++)
			c.mapbits[j] = sc_zalloc(c.sc, (g->nr_slots + 63) / 64 + 1, sizeof(u64));
		walk(&c, &g->npt, XC_NPT, NULL, 0, &check);
		for (j = 0; j < g->nr_dom; j++) {
			gmem_domain_view(g, &g->dom[j], &view);
			walk(&c, &view, XC_IOMMU, &g->dom[j], 1 + j, &check);
		}
		ledger_pass(&c, &np, &ns);
		for (j = 0; j <= g->nr_dom; j++) {
			sc_free(c.sc, c.mapbits[j]);
			c.mapbits[j] = NULL;
		}
		mmio_pass(&c);
		if (!c.o->no_pmem) {
			pending_pass(&c);
			accounting(&c, np, ns);
		}
	}
	if (c.o->full_rmp && !c.o->no_pmem)
		full_rmp_scan(&c);
	sc_free(c.sc, c.tbits);
	hset_free(&c.tables);
	fmap_free(&c.frames);
	scratch_put(c.sc);
	return c.err;
}

static int cmp_span(const void *x, const void *y)
{
	const struct gmem_span *a = x, *b = y;

	return a->gpa < b->gpa ? -1 : a->gpa > b->gpa;
}

/* The spans sorted, merged, clipped to the guest: a new array (free it) or NULL. */
static struct gmem_span *spans_norm(struct scratch *sc, const struct gmem *g,
				    const struct gmem_touched *t, unsigned *n)
{
	struct gmem_span *sp = sc_zalloc(sc, t->n ? t->n : 1, sizeof(*sp));
	unsigned k = 0;

	if (!sp)
		return NULL;
	for (unsigned i = 0; i < t->n; i++) {
		u64 a = ALIGN_DOWN(t->span[i].gpa, PAGE_SIZE);
		u64 b = ALIGN_UP(t->span[i].gpa + t->span[i].size, PAGE_SIZE);

		b = MIN(b, g->mem_size);
		if (a < b)
			sp[k++] = (struct gmem_span){a, b - a};
	}
	qsort(sp, k, sizeof(*sp), cmp_span);
	*n = 0;
	for (unsigned i = 0; i < k; i++) {
		struct gmem_span *l = *n ? &sp[*n - 1] : NULL;

		if (l && sp[i].gpa <= l->gpa + l->size)
			l->size = MAX(l->gpa + l->size, sp[i].gpa + sp[i].size) - l->gpa;
		else
			sp[(*n)++] = sp[i];
	}
	return sp;
}

static void walk_spans(struct xc *c, const struct pt *pt, u8 st, const struct gmem_domain *d,
		       unsigned sidx, const struct pt_walk_ops *ops, const struct gmem_span *sp,
		       unsigned n)
{
	c->st = st;
	c->d = d;
	c->sidx = sidx;
	c->leaf_end = 0;
	if (!pt->table_pages)
		return;
	for (unsigned i = 0; i < n; i++) {
		int rc = ops->leaf ? pt_walk(pt, sp[i].gpa, sp[i].size, ops, c)
				   : pt_walk_tables(pt, sp[i].gpa, sp[i].size, ops->table, c);

		if (rc && ops->leaf) {
			/* the walk stopped: what it did not reach may still be mapped */
			sc_free(c->sc, c->mapbits[sidx]);
			c->mapbits[sidx] = NULL;
		}
		if (rc == -EIO) {
			/* as the full walk: once per structure, at its root */
			vio(c, XC_I5, st, 0, spa_val(pt->root), "readable table", "corrupt entry");
			return;
		}
		c->st = st;
		c->d = d;
	}
}

int xcheck_run_touched(const struct gmem *const *gs, unsigned n,
		       const struct gmem_touched *const *touched, struct xcheck_report *rep)
{
	static const struct xcheck_opts none;
	struct pt_walk_ops collect = {.table = tab_collect};
	struct pt_walk_ops check = {.leaf = leaf_check, .table = tab_check};
	struct xc c = {.rep = rep, .o = &none, .gs = gs, .ng = n, .inc = true};
	struct gmem_span *sp[XCHECK_MAX_TOUCHED] = {0};
	unsigned nsp[XCHECK_MAX_TOUCHED] = {0}, i, j;
	u64 expect = 0, pages[XCHECK_MAX_TOUCHED] = {0};
	u64 *soff;
	struct pt view;

	if (!rep || (n && (!gs || !touched)) || n > XCHECK_MAX_TOUCHED)
		return -EINVAL;
	memset(rep, 0, sizeof(*rep));
	c.sc = scratch_get();
	for (i = 0; i < n; i++) {
		if (!touched[i])
			continue;
		sp[i] = spans_norm(c.sc, gs[i], touched[i], &nsp[i]);
		if (!sp[i]) {
			c.err = -ENOMEM;
			goto out;
		}
		for (j = 0; j < nsp[i]; j++)
			pages[i] += sp[i][j].size >> PAGE_SHIFT;
		expect += pages[i];
	}
	/* few tables lie on the paths of an operation's spans: the sets grow */
	if (hset_init(&c.tables, 64, c.sc)) {
		c.err = -ENOMEM;
		goto out;
	}
	if (hset_init(&c.frames.h, expect, c.sc) || hset_init(&c.seen, 64, c.sc)) {
		hset_free(&c.tables);
		hset_free(&c.frames.h);
		c.err = -ENOMEM;
		goto out;
	}
	/* pass 1: the table pages on the touched paths */
	for (i = 0; i < n; i++) {
		if (!sp[i])
			continue;
		c.gi = i;
		c.g = gs[i];
		walk_spans(&c, &gs[i]->npt, XC_NPT, NULL, 0, &collect, sp[i], nsp[i]);
		for (j = 0; j < gs[i]->nr_dom; j++) {
			gmem_domain_view(gs[i], &gs[i]->dom[j], &view);
			walk_spans(&c, &view, XC_IOMMU, &gs[i]->dom[j], 1 + j, &collect, sp[i],
				   nsp[i]);
		}
	}
	rep->total = rep->n = 0;
	for (i = 0; i < n; i++) {
		const struct gmem *g = gs[i];
		u64 next = 0;

		if (!sp[i])
			continue;
		c.gi = i;
		c.g = g;
		for (j = 0; j < i; j++)
			if (g->rmp && gs[j]->rmp == g->rmp && gs[j]->asid == g->asid)
				vio(&c, XC_I4, XC_RMP, 0, 0, "unique ASID", "ASID %u also guest %u",
				    g->asid, j);
		/* no memory for the bitmaps: pass 3 walks the tables per record */
		soff = sc_zalloc(c.sc, nsp[i] ? nsp[i] : 1, sizeof(u64));
		for (j = 1; soff && j < nsp[i]; j++)
			soff[j] = soff[j - 1] + (sp[i][j - 1].size >> PAGE_SHIFT);
		for (j = 0; soff && j <= g->nr_dom; j++)
			c.mapbits[j] = sc_zalloc(c.sc, pages[i] / 64 + 1, sizeof(u64));
		c.msp = sp[i];
		c.nmsp = nsp[i];
		c.soff = soff;
		walk_spans(&c, &g->npt, XC_NPT, NULL, 0, &check, sp[i], nsp[i]);
		for (j = 0; j < g->nr_dom; j++) {
			gmem_domain_view(g, &g->dom[j], &view);
			walk_spans(&c, &view, XC_IOMMU, &g->dom[j], 1 + j, &check, sp[i], nsp[i]);
		}
		for (j = 0; j < nsp[i]; j++)
			ledger_span(&c, sp[i][j].gpa, sp[i][j].gpa + sp[i][j].size, &next);
		for (j = 0; j <= g->nr_dom; j++) {
			sc_free(c.sc, c.mapbits[j]);
			c.mapbits[j] = NULL;
		}
		sc_free(c.sc, soff);
		c.msp = NULL;
		c.nmsp = 0;
		mmio_pass(&c);
		pending_pass(&c);
		/* the counters stand for the ledger (only the full pass counts it) */
		accounting(&c, g->st.private_pages, g->st.shared_pages);
	}
	hset_free(&c.tables);
	fmap_free(&c.frames);
	hset_free(&c.seen);
out:
	for (i = 0; i < n; i++)
		sc_free(c.sc, sp[i]);
	scratch_put(c.sc);
	return c.err;
}

int xcheck_run(const struct gmem *const *gs, unsigned n, struct xcheck_report *rep)
{
	return xcheck_run_opts(gs, n, NULL, rep);
}

void xcheck_print(const struct xcheck_report *rep)
{
	pr_info("xcheck: %llu violation(s); %llu leaves, %llu tables, %llu records, %llu MiB "
		"mapped, %llu RMP entries\n",
		(unsigned long long)rep->total, (unsigned long long)rep->leaves,
		(unsigned long long)rep->tables, (unsigned long long)rep->records,
		(unsigned long long)(rep->mapped_bytes >> 20),
		(unsigned long long)rep->rmp_entries);
	for (unsigned i = 0; i < rep->n; i++) {
		const struct xcheck_violation *v = &rep->v[i];

		if (v->structure == XC_IOMMU)
			pr_err(
			    "  %s guest %u IOMMU dom %u gpa 0x%llx spa 0x%llx: expected %s, found "
			    "%s\n",
			    xcheck_rule_name(v->rule), v->guest, v->domain,
			    (unsigned long long)v->gpa, (unsigned long long)v->spa, v->expected,
			    v->found);
		else
			pr_err("  %s guest %u %s gpa 0x%llx spa 0x%llx: expected %s, found %s\n",
			       xcheck_rule_name(v->rule), v->guest,
			       xcheck_struct_name(v->structure), (unsigned long long)v->gpa,
			       (unsigned long long)v->spa, v->expected, v->found);
	}
	if (rep->total > rep->n)
		pr_err("  ... %llu more\n", (unsigned long long)(rep->total - rep->n));
}

static int report_gmem(struct gmem *g, int rc, struct xcheck_report *rep)
{
	if (rc == 0 && rep->total) {
		g->st.xcheck_failures++;
		xcheck_print(rep);
		rc = -EIO;
	}
	free(rep);
	return rc;
}

int xcheck_gmem(struct gmem *g)
{
	struct xcheck_report *rep = malloc(sizeof(*rep));
	const struct gmem *gs[1] = {g};

	if (!rep)
		return -ENOMEM;
	g->st.xcheck_runs++;
	return report_gmem(g, xcheck_run(gs, 1, rep), rep);
}

int xcheck_gmem_touched(struct gmem *g, const struct gmem_touched *t)
{
	struct xcheck_report *rep;
	const struct gmem *gs[1] = {g};
	const struct gmem_touched *ts[1] = {t};

	if (!t)
		return xcheck_gmem(g);
	rep = malloc(sizeof(*rep));
	if (!rep)
		return -ENOMEM;
	g->st.xcheck_runs++;
	g->st.xcheck_inc_runs++;
	return report_gmem(g, xcheck_run_touched(gs, 1, ts, rep), rep);
}

int xcheck_gmem_op(void *ctx, struct gmem *g, const struct gmem_touched *t)
{
	(void)ctx;
	return xcheck_gmem_touched(g, t);
}

int xcheck_gmem_op_full(void *ctx, struct gmem *g, const struct gmem_touched *t)
{
	(void)ctx, (void)t;
	return xcheck_gmem(g);
}
