/* gmem: guest memory transactions over RMP + NPT + IOMMU domains (hv/core/gmem.h).
 *
 * A request (populate, convert, release, batch) runs in steps:
 *   1. validate the guest's input against the ledger (no change on error);
 *   2. plan: one "piece" per ledger record (4K or 2M) the request changes;
 *      a 2M record only partly covered is split first (PSMASH if private);
 *   3. check the RMP agrees with the ledger for every piece (-EIO otherwise);
 *   4. reserve: data frames (populate) and, in per-owner pools, every table
 *      page the NPT and domain operations can need (an upper bound computed per
 *      contiguous run). -ENOMEM here gives everything back: nothing changed;
 *   5. commit, which cannot run out of memory (architecture.md order):
 *        IOMMU unmap (every domain) -> IOTLB invalidation + completion wait
 *        -> NPT unmap -> TLB flush for the ASID
 *        -> RMP (PSMASH, RMPUPDATE to private/shared; release: shared + scrub)
 *        -> map the new view: NPT, trusted domains (private) or all (shared);
 *      populate has no unmap step: frame -> RMP assign -> NPT -> trusted domains.
 *   6. pages no longer referenced (data frames, freed table pages) wait on the
 *      pending list until the flush generations that cover them completed (I7).
 * An RMP instruction failing in step 5 (hardware error; the model's injection)
 * stops the RMP step: pieces already converted keep their new state, the rest
 * is mapped back in its old state, so the structures stay consistent (-EIO).
 *
 * iommu_mode = shared: the NPT is written in pt_fmt_npt_amdv1 and a trusted
 * domain's table IS the NPT (the DTE points to the NPT root): one unmap and
 * one map per change, then both the IOTLB invalidation (every shared domain,
 * the NPT's changed range) and the TLB flush before the RMP changes.
 *
 * Conversion is in place, as SNP does it: the RMP entry flips, the frame and
 * the GPA->SPA translation stay. Leaf sizes are exactly the record size
 * (4K or 2M): NPT leaf <= RMP page size, IOMMU leaf == RMP page size (I2);
 * with iommu_4k own IOMMU tables map every record with 4K leaves (IOMMU
 * leaf <= RMP page size, still I2) while the NPT keeps 2M. */
#include "hv/core/gmem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/mm/pmem.h"
#include "snp/rmp.h"

#define NPT_PROT   (PT_R | PT_W | PT_X)
#define IOMMU_PROT (PT_R | PT_W)
#define POOL_KEEP  64 /* table pages a pool keeps between requests */

#define ST_GONE 2 /* piece state after release */

/* ---- ledger -------------------------------------------------------------- */

static inline u64 *slot(const struct gmem *g, u64 gpa)
{
	return &g->ledger[gpa >> PAGE_SHIFT];
}
static inline spa_t slot_spa(u64 s)
{
	return spa(s & GMEM_L_SPA);
}

int gmem_lookup(const struct gmem *g, gpa_t where, struct gmem_rec *out)
{
	u64 a = gpa_val(where), s, base;

	if (!g || !g->ledger || a >= g->mem_size)
		return -ENOENT;
	s = *slot(g, a);
	if (!(s & GMEM_L_PRESENT))
		return -ENOENT;
	base = s & GMEM_L_HUGE ? ALIGN_DOWN(a, HUGE_SIZE) : ALIGN_DOWN(a, PAGE_SIZE);
	out->gpa = gpa(base);
	out->spa = slot_spa(*slot(g, base));
	out->size = s & GMEM_L_HUGE ? HUGE_SIZE : PAGE_SIZE;
	out->priv = !!(s & GMEM_L_PRIVATE);
	return 0;
}

/* ---- page allocation (the only place gmem asks pmem for memory) ----------- */

static bool fail_injected(struct gmem *g)
{
	return g->fail_alloc && --g->fail_alloc == 0;
}

static int gmem_alloc(struct gmem *g, unsigned order, u8 owner, spa_t *out)
{
	if (fail_injected(g))
		return -ENOMEM;
	return pmem_alloc(order, owner, out);
}

/* A run of 1..max contiguous 4K frames (pmem_alloc_run), each its own allocation. */
static int gmem_alloc_run(struct gmem *g, u64 max, spa_t *out, u64 *got)
{
	if (fail_injected(g))
		return -ENOMEM;
	return pmem_alloc_run(max, g->own_mem, out, got);
}

/* gmem's heap allocations (plans, the pending list): the same test hook. */
static void *gmem_realloc(struct gmem *g, void *p, size_t size)
{
	if (fail_injected(g))
		return NULL;
	return realloc(p, size);
}

static int pool_fill(struct gmem *g, struct gmem_pool *p, u8 owner, u64 want)
{
	spa_t pa;
	int rc;

	while (p->count < want) {
		rc = gmem_alloc(g, PMEM_ORDER_4K, owner, &pa);
		if (rc)
			return rc;
		*(u64 *)phys_ptr(pa) = spa_val(p->head);
		p->head = pa;
		p->count++;
	}
	return 0;
}

static void pool_trim(struct gmem_pool *p, u8 owner, u64 keep)
{
	while (p->count > keep) {
		spa_t pa = p->head;

		p->head = spa(*(u64 *)phys_ptr(pa));
		p->count--;
		*(u64 *)phys_ptr(pa) = 0;
		BUG_ON(pmem_free(pa, PMEM_ORDER_4K, owner));
	}
}

static int mm_alloc(void *ctx, spa_t *out)
{
	struct gmem_mmctx *m = ctx;
	struct gmem_pool *p = m->pool;

	if (p->count) {
		*out = p->head;
		p->head = spa(*(u64 *)phys_ptr(*out));
		p->count--;
		*(u64 *)phys_ptr(*out) = 0;
		return 0;
	}
	if (m->g->in_commit) {
		/* The reservation bound was wrong: a gmem bug, reported by the caller. */
		pr_err("gmem(%s): table page pool empty during commit\n", m->g->name);
		return -ENOMEM;
	}
	return gmem_alloc(m->g, PMEM_ORDER_4K, m->owner, out);
}

/* Entries the pending list may need: one per page allocation the guest
 * holds (record, table page, pool page: each can end up pending or leaked
 * exactly once) plus those already on it, plus `extra` the caller is about to
 * add. Every request that gains pages reserves this first (pend_reserve),
 * where -ENOMEM still changes nothing; release and destroy only move
 * allocations onto the list, so they never need to grow it. */
static u64 pend_need(const struct gmem *g, u64 extra)
{
	return g->nr_pend + g->nr_records + g->npt.table_pages + gmem_iommu_table_pages(g) +
	       g->pool_npt.count + g->pool_iommu.count + extra;
}

static int pend_reserve(struct gmem *g, u64 extra)
{
	u64 need = pend_need(g, extra), cap = g->cap_pend ? g->cap_pend : 64;
	struct gmem_pending *n;

	if (need <= g->cap_pend)
		return 0;
	while (cap < need)
		cap *= 2;
	n = gmem_realloc(g, g->pend, cap * sizeof(*n));
	if (!n) {
		pr_err("gmem(%s): no memory to reserve %llu pending-list entries\n", g->name,
		       (unsigned long long)cap);
		return -ENOMEM;
	}
	g->pend = n;
	g->cap_pend = cap;
	return 0;
}

/* Keeps 2^order frames at pa (owned by `from`) out of pmem for good: their
 * RMP entry is not hypervisor-owned (host writes would fault, the next owner
 * would inherit a guest or firmware page) or a flush that covers them never
 * completed. Moved to own_leak, listed and counted; never fails silently. */
static void leak(struct gmem *g, spa_t pa, unsigned order, u8 from, const char *why)
{
	u64 pages = 1ULL << order;
	int rc = pmem_transfer(pa, order, from, g->own_leak);

	if (rc) {
		pr_err("gmem(%s): cannot keep leaked frame 0x%llx (owner %s): %d\n", g->name,
		       (unsigned long long)spa_val(pa), pmem_owner_name(from), rc);
		return;
	}
	g->st.leaked_pages += pages;
	pr_err("gmem(%s): frame 0x%llx (%llu pages) leaked on purpose: %s\n", g->name,
	       (unsigned long long)spa_val(pa), (unsigned long long)pages, why);
	if (g->nr_pend == g->cap_pend) {
		/* pend_reserve's bound was wrong: a gmem bug. Still counted and owned. */
		pr_err("gmem(%s): pending list full: leaked frame 0x%llx not listed\n", g->name,
		       (unsigned long long)spa_val(pa));
		return;
	}
	g->pend[g->nr_pend++] = (struct gmem_pending){pa, (u8)order, g->own_leak, 0, 0};
}

static void pend_add(struct gmem *g, spa_t pa, unsigned order, u8 owner)
{
	struct gmem_pending *e;

	if (g->nr_pend == g->cap_pend) {
		/* pend_reserve's bound was wrong (a gmem bug): the page cannot be
		 * proven unreferenced without an entry, so it is not freed. */
		pr_err("gmem(%s): pending list full (%llu entries)\n", g->name,
		       (unsigned long long)g->cap_pend);
		leak(g, pa, order, owner, "no pending-list entry for its flush");
		return;
	}
	e = &g->pend[g->nr_pend++];
	e->pa = pa;
	e->order = (u8)order;
	e->owner = owner;
	e->tlb_at = g->cur_tlb_at;
	e->iotlb_at = g->cur_iotlb_at;
}

/* pt_mm.free: a table page the engine unlinked may still sit in a TLB's or an
 * IOTLB's page-walk cache until the next flush: defer it (I7). */
static void mm_free(void *ctx, spa_t pa)
{
	struct gmem_mmctx *m = ctx;

	if (m->g->free_direct) /* never visible to any TLB or IOTLB */
		BUG_ON(pmem_free(pa, PMEM_ORDER_4K, m->owner));
	else
		pend_add(m->g, pa, PMEM_ORDER_4K, m->owner);
}

/* Gives back every pending page whose flush generations completed (I7). */
static void pend_drain(struct gmem *g)
{
	u64 i, j = 0;

	if (g->hold_pending)
		return;
	for (i = 0; i < g->nr_pend; i++) {
		struct gmem_pending *e = &g->pend[i];

		if (e->owner != g->own_leak && g->tlb_done > e->tlb_at &&
		    g->iotlb_done > e->iotlb_at) {
			int rc = pmem_free(e->pa, e->order, e->owner);

			/* A frame on our list owned by someone else: broken invariant. */
			BUG_ON(rc);
			continue;
		}
		g->pend[j++] = *e;
	}
	g->nr_pend = j;
}

u64 gmem_pending_pages(const struct gmem *g, u8 owner)
{
	u64 i, n = 0;

	for (i = 0; i < g->nr_pend; i++)
		if (g->pend[i].owner == owner)
			n += 1ULL << g->pend[i].order;
	return n;
}

/* Table pages the domains hold beyond the NPT (shared domains hold none). */
u64 gmem_iommu_table_pages(const struct gmem *g)
{
	u64 n = 0;

	for (unsigned i = 0; i < g->nr_dom; i++)
		if (!g->dom[i].shared)
			n += g->dom[i].pt.table_pages;
	return n;
}

spa_t gmem_domain_root(const struct gmem *g, const struct gmem_domain *d)
{
	return d->shared ? pt_root(&g->npt) : pt_root(&d->pt);
}

void gmem_domain_view(const struct gmem *g, const struct gmem_domain *d, struct pt *out)
{
	*out = d->shared ? g->npt : d->pt;
	if (d->shared)
		out->fmt = &pt_fmt_npt_amdv1_iommu;
}

/* ---- flushes ---------------------------------------------------------------- */

/* Marks the start of a request: pages it frees need flushes that start later. */
static void req_begin(struct gmem *g)
{
	g->cur_tlb_at = g->tlb_done;
	g->cur_iotlb_at = g->iotlb_done;
	for (unsigned i = 0; i < g->nr_dom; i++)
		memset(&g->dom[i].chg, 0, sizeof(g->dom[i].chg));
}

/* One IOTLB round: per domain one invalidation of what changed plus one
 * completion wait. Returns 0 when every domain completed. */
static int iotlb_round(struct gmem *g, bool force)
{
	int err = 0;
	bool all = force || g->full_flush;

	for (unsigned i = 0; i < g->nr_dom; i++) {
		struct gmem_domain *d = &g->dom[i];
		u64 start = 0, size = 1ULL << (d->shared ? g->npt.va_bits : d->pt.va_bits);
		int rc;

		if (!all && !(d->chg.flags & PT_CHANGE_FLUSH))
			continue;
		if (!all && (d->chg.flags & PT_CHANGE_RANGE)) {
			start = d->chg.start;
			size = d->chg.last - d->chg.start + 1;
		}
		memset(&d->chg, 0, sizeof(d->chg));
		if (!d->ops || !d->ops->inv_range || !d->ops->sync)
			continue;
		g->st.iotlb_invs++;
		rc = d->ops->inv_range(d->ctx, d->id, start, size);
		if (!rc) {
			g->st.iotlb_syncs++;
			rc = d->ops->sync(d->ctx);
		}
		if (rc) {
			pr_err("gmem(%s): IOTLB invalidation of domain %u failed (%d)\n", g->name,
			       d->id, rc);
			err = rc;
		}
	}
	if (err) {
		g->full_flush = true;
		return err;
	}
	g->iotlb_done++;
	return 0;
}

static int tlb_round(struct gmem *g, bool needed)
{
	int rc = 0;

	if (needed || g->full_flush) {
		if (g->flush_asid) {
			g->st.tlb_flushes++;
			rc = g->flush_asid(g->flush_ctx, g->asid);
		}
		if (rc) {
			pr_err("gmem(%s): TLB flush of ASID %u failed (%d)\n", g->name, g->asid,
			       rc);
			g->full_flush = true;
			return rc;
		}
	}
	g->tlb_done++;
	return 0;
}

/* End of a request: everything it freed must be flushed before it is reused. */
static int req_end(struct gmem *g)
{
	int rc = 0;
	u64 i;

	for (i = 0; i < g->nr_pend; i++)
		if (g->pend[i].owner != g->own_leak &&
		    !(g->tlb_done > g->pend[i].tlb_at && g->iotlb_done > g->pend[i].iotlb_at))
			break;
	if (i < g->nr_pend) {
		/* Something is still waiting (no flush was due, or one failed). */
		g->st.inv_rounds++;
		rc = iotlb_round(g, g->full_flush);
		if (!rc)
			rc = tlb_round(g, true);
		if (!rc)
			g->full_flush = false;
	}
	pend_drain(g);
	pool_trim(&g->pool_npt, g->own_npt, POOL_KEEP);
	pool_trim(&g->pool_iommu, g->own_iommu, POOL_KEEP);
	return rc;
}

/* ---- init / domains -------------------------------------------------------- */

static int owner_for(const char *name, const char *suffix)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "g%s-%s", name, suffix);
	return pmem_owner_register(buf);
}

int gmem_init(struct gmem *g, const struct gmem_params *p)
{
	int m, n, io, lk, rc;

	if (!g || !p || !p->name || !p->name[0]) {
		pr_err("gmem: init without guest or name\n");
		return -EINVAL;
	}
	memset(g, 0, sizeof(*g));
	if (p->iommu_mode != GMEM_IOMMU_DUPLICATED && p->iommu_mode != GMEM_IOMMU_SHARED) {
		pr_err("gmem(%s): unknown IOMMU mode %d\n", p->name, (int)p->iommu_mode);
		return -EINVAL;
	}
	if (!p->mem_size || !IS_ALIGNED(p->mem_size, PAGE_SIZE) || p->mem_size > GMEM_MAX_MEM) {
		pr_err("gmem(%s): bad memory size 0x%llx\n", p->name,
		       (unsigned long long)p->mem_size);
		return -EINVAL;
	}
	if (p->max_page != PAGE_SIZE && p->max_page != HUGE_SIZE) {
		pr_err("gmem(%s): page size 0x%llx is neither 4K nor 2M\n", p->name,
		       (unsigned long long)p->max_page);
		return -EINVAL;
	}
	if (p->iommu_4k && p->iommu_mode != GMEM_IOMMU_DUPLICATED) {
		/* a shared domain's table is the NPT: its leaves are the NPT's */
		pr_err("gmem(%s): iommu_4k needs duplicated IOMMU tables\n", p->name);
		return -EINVAL;
	}
	if (p->rmp && (!p->asid || p->asid > RMP_ASID_MAX)) {
		pr_err("gmem(%s): ASID %u out of range for SNP\n", p->name, p->asid);
		return -EINVAL;
	}
	snprintf(g->name, sizeof(g->name), "%s", p->name);
	m = owner_for(g->name, "mem");
	n = owner_for(g->name, "npt");
	io = owner_for(g->name, "iommu");
	lk = owner_for(g->name, "leaked");
	if (m < 0 || n < 0 || io < 0 || lk < 0)
		return -ENOSPC;
	g->own_mem = (u8)m;
	g->own_npt = (u8)n;
	g->own_iommu = (u8)io;
	g->own_leak = (u8)lk;
	g->asid = p->asid;
	g->mem_size = p->mem_size;
	g->max_page = p->max_page;
	g->rmp = p->rmp;
	g->iommu_mode = p->iommu_mode;
	g->iommu_4k = p->iommu_4k;
	g->check = p->check;
	g->check_ctx = p->check_ctx;
	g->flush_asid = p->flush_asid;
	g->flush_ctx = p->flush_ctx;
	g->nr_slots = p->mem_size >> PAGE_SHIFT;
	g->ledger = calloc(g->nr_slots, sizeof(u64));
	if (!g->ledger) {
		pr_err("gmem(%s): no memory for the ledger\n", g->name);
		return -ENOMEM;
	}
	g->mm_npt = (struct gmem_mmctx){g, g->own_npt, &g->pool_npt};
	g->mm_iommu = (struct gmem_mmctx){g, g->own_iommu, &g->pool_iommu};
	/* Shared mode: NPT entries the AMD IOMMU can walk too (hv/mm/pt_fmt_shared.c). */
	rc = pt_init(&g->npt, g->iommu_mode == GMEM_IOMMU_SHARED ? &pt_fmt_npt_amdv1 : &pt_fmt_npt,
		     GMEM_NPT_LEVELS, &(struct pt_mm){mm_alloc, mm_free, &g->mm_npt});
	if (!rc) {
		rc = pend_reserve(g, 0);
		if (rc) {
			g->free_direct = true;
			pt_destroy(&g->npt);
			g->free_direct = false;
		}
	}
	if (rc) {
		free(g->ledger);
		g->ledger = NULL;
		return rc;
	}
	g->ready = true;
	return 0;
}

static u64 table_bound(unsigned levels, u64 a, u64 b);

/* The leaf size of a record of `size` in an own IOMMU table: the record
 * size (IOMMU leaf == RMP page size), or 4K with iommu_4k (IOMMU leaf <=
 * RMP page size, the NPT keeping 2M: docs/experiments/iommu-pagesize). */
static u32 iommu_leaf(const struct gmem *g, u64 size)
{
	return size == HUGE_SIZE && !g->iommu_4k ? PT_SZ_2M : PT_SZ_4K;
}

int gmem_attach_domain(struct gmem *g, u16 domain_id, unsigned levels, bool trusted,
		       const struct gmem_iommu_ops *ops, void *ctx)
{
	struct gmem_domain *d;
	struct gmem_rec r;
	u64 a;
	int rc;

	if (!g || !g->ready)
		return -EINVAL;
	if (g->nr_dom == GMEM_MAX_DOMAINS) {
		pr_err("gmem(%s): too many IOMMU domains\n", g->name);
		return -ENOSPC;
	}
	for (unsigned i = 0; i < g->nr_dom; i++)
		if (g->dom[i].id == domain_id) {
			pr_err("gmem(%s): domain %u attached twice\n", g->name, domain_id);
			return -EEXIST;
		}
	/* The domain must translate every GPA of the guest. */
	if (levels < 1 || levels > PT_MAX_LEVELS ||
	    pt_level_shift(levels) + 9 < 64u - (unsigned)__builtin_clzll(g->mem_size - 1)) {
		pr_err("gmem(%s): %u IOMMU levels cannot cover 0x%llx bytes\n", g->name, levels,
		       (unsigned long long)g->mem_size);
		return -EINVAL;
	}
	d = &g->dom[g->nr_dom];
	memset(d, 0, sizeof(*d));
	if (g->iommu_mode == GMEM_IOMMU_SHARED && trusted) {
		/* The NPT is the table: DTE Mode = NPT levels, nothing to map. A
		 * trusted device sees private memory anyway (I6), so sharing the
		 * one table with the vCPUs gives it nothing more. */
		if (levels != g->npt.levels) {
			pr_err("gmem(%s): shared domain %u needs %u levels (the NPT's), not %u\n",
			       g->name, domain_id, g->npt.levels, levels);
			return -EINVAL;
		}
		d->id = domain_id;
		d->trusted = true;
		d->shared = true;
		d->ops = ops;
		d->ctx = ctx;
		g->nr_dom++;
		return 0;
	}
	if (g->iommu_mode == GMEM_IOMMU_SHARED)
		/* The shared table maps private memory: an untrusted device must
		 * not walk it (I6). It gets a duplicated table of shared pages. */
		pr_info("gmem(%s): untrusted domain %u gets its own table (shared pages only)\n",
			g->name, domain_id);
	/* Every table page the new table can take may later wait for a flush. */
	rc = pend_reserve(g, 1 + table_bound(levels, 0, g->mem_size));
	if (rc)
		return rc;
	rc = pt_init(&d->pt, &pt_fmt_amdv1, levels,
		     &(struct pt_mm){mm_alloc, mm_free, &g->mm_iommu});
	if (rc)
		return rc;
	d->id = domain_id;
	d->trusted = trusted;
	d->ops = ops;
	d->ctx = ctx;
	/* Map what the guest already has (new translations: nothing to flush);
	 * domains are usually attached before the first populate: no record,
	 * nothing to look up page by page. */
	for (a = 0; g->nr_records && a < g->mem_size; a += r.size) {
		if (gmem_lookup(g, gpa(a), &r)) {
			r.size = PAGE_SIZE;
			continue;
		}
		if (r.priv && !trusted)
			continue;
		rc = pt_map(&d->pt, a, r.spa, r.size, IOMMU_PROT, iommu_leaf(g, r.size), NULL);
		if (rc) {
			/* No device has seen this table yet: free it at once. */
			g->free_direct = true;
			pt_destroy(&d->pt);
			g->free_direct = false;
			return rc;
		}
	}
	g->nr_dom++;
	return 0;
}

/* ---- device MMIO (passed-through BARs) -------------------------------------------- */

/* APM vol 2, 15.25.8: with nested paging the effective memory type combines
 * the guest's and the NPT's; UC in the NPT (PCD|PWT) makes the access UC
 * whatever the guest chose. NX keeps the guest from executing device memory. */
#define MMIO_PROT (PT_R | PT_W | PT_UC)

static int run_check(struct gmem *g);
static int run_check_span(struct gmem *g, const struct gmem_span *sp, unsigned n);

const struct gmem_mmio *gmem_mmio_find(const struct gmem *g, u64 a, u64 size)
{
	for (unsigned i = 0; g && i < g->nr_mmio; i++) {
		const struct gmem_mmio *m = &g->mmio[i];

		if (a < gpa_val(m->gpa) + m->size && gpa_val(m->gpa) < a + size)
			return m;
	}
	return NULL;
}

int gmem_map_mmio(struct gmem *g, gpa_t where, spa_t pa, u64 size)
{
	u64 a = gpa_val(where), o;
	int rc;

	if (!g || !g->ready)
		return -EINVAL;
	if (!size || !IS_ALIGNED(a | spa_val(pa) | size, PAGE_SIZE) || a + size < a ||
	    a + size > (1ULL << g->npt.va_bits)) {
		pr_err("gmem(%s): MMIO 0x%llx+0x%llx -> 0x%llx: not page aligned or out of range\n",
		       g->name, (unsigned long long)a, (unsigned long long)size,
		       (unsigned long long)spa_val(pa));
		return -EINVAL;
	}
	if (a < g->mem_size) {
		pr_err("gmem(%s): MMIO at GPA 0x%llx overlaps guest RAM [0, 0x%llx)\n", g->name,
		       (unsigned long long)a, (unsigned long long)g->mem_size);
		return -EINVAL;
	}
	if (gmem_mmio_find(g, a, size)) {
		pr_err("gmem(%s): MMIO at GPA 0x%llx overlaps another MMIO range\n", g->name,
		       (unsigned long long)a);
		return -EEXIST;
	}
	if (g->nr_mmio == GMEM_MAX_MMIO) {
		pr_err("gmem(%s): more than %u MMIO ranges\n", g->name, GMEM_MAX_MMIO);
		return -ENOSPC;
	}
	for (o = 0; o < size; o += PAGE_SIZE)
		if (pmem_owner_of(spa_add(pa, o)) != PMEM_OWNER_NOT_RAM) {
			pr_err("gmem(%s): MMIO SPA 0x%llx is RAM (owner %s): refused (I4)\n",
			       g->name, (unsigned long long)(spa_val(pa) + o),
			       pmem_owner_name(pmem_owner_of(spa_add(pa, o))));
			return -EINVAL;
		}
	rc = pend_reserve(g, table_bound(g->npt.levels, a, a + size));
	if (rc)
		return rc;
	/* Not present -> present: nothing cached to flush (APM vol 2, 15.16). */
	/* Shared mode: the trusted devices walk this table too; the BAR is for
	 * the vCPU only (IR = IW = 0), else it would be peer-to-peer DMA. */
	rc = pt_map(&g->npt, a, pa, size,
		    MMIO_PROT | (g->iommu_mode == GMEM_IOMMU_SHARED ? PT_NO_DMA : 0),
		    PT_SZ_4K | PT_SZ_2M, NULL);
	if (rc) {
		pr_err("gmem(%s): mapping MMIO at GPA 0x%llx failed (%d)\n", g->name,
		       (unsigned long long)a, rc);
		return rc;
	}
	g->mmio[g->nr_mmio++] = (struct gmem_mmio){where, pa, size};
	return run_check(g);
}

int gmem_unmap_mmio(struct gmem *g, gpa_t where)
{
	struct pt_change chg = {0};
	unsigned i;
	int rc;

	if (!g || !g->ready)
		return -EINVAL;
	for (i = 0; i < g->nr_mmio; i++)
		if (gpa_val(g->mmio[i].gpa) == gpa_val(where))
			break;
	if (i == g->nr_mmio)
		return -ENOENT;
	req_begin(g);
	rc = pt_unmap(&g->npt, gpa_val(where), g->mmio[i].size, &chg);
	if (rc) {
		pr_err("gmem(%s): unmapping MMIO at GPA 0x%llx failed (%d)\n", g->name,
		       (unsigned long long)gpa_val(where), rc);
		return rc;
	}
	g->mmio[i] = g->mmio[--g->nr_mmio];
	rc = tlb_round(g, true);
	if (!rc)
		rc = req_end(g);
	return rc ? rc : run_check(g);
}

/* ---- validation --------------------------------------------------------------- */

static int check_range(const struct gmem *g, u64 a, u64 size, const char *what)
{
	if (!size || !IS_ALIGNED(a, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE)) {
		pr_err("gmem(%s): %s [0x%llx, +0x%llx): empty or not 4K aligned\n", g->name, what,
		       (unsigned long long)a, (unsigned long long)size);
		return -EINVAL;
	}
	if (a >= g->mem_size || size > g->mem_size - a) {
		pr_err("gmem(%s): %s [0x%llx, +0x%llx) outside guest memory (0x%llx)\n", g->name,
		       what, (unsigned long long)a, (unsigned long long)size,
		       (unsigned long long)g->mem_size);
		return -EINVAL;
	}
	return 0;
}

/* ---- transactions ------------------------------------------------------------------ */

struct piece {
	u64 gpa, size;
	spa_t pa;
	u8 old, new; /* GMEM_SHARED / GMEM_PRIVATE / ST_GONE */
	bool split;  /* first piece of a 2M record that must be split */
	bool done;   /* the RMP/ledger step happened */
};

struct tx {
	struct gmem *g;
	struct piece *p;
	u64 n, cap;
	int err;
	u64 pool_npt0, pool_io0; /* pool sizes before the request (restored on failure) */
};

static int tx_add(struct tx *t, u64 gpa, u64 size, spa_t pa, u8 old, u8 new, bool split)
{
	if (t->n == t->cap) {
		u64 cap = t->cap ? 2 * t->cap : 64;
		struct piece *n = gmem_realloc(t->g, t->p, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->p = n;
		t->cap = cap;
	}
	t->p[t->n++] = (struct piece){gpa, size, pa, old, new, split, false};
	return 0;
}

static u8 final_state(const struct piece *p)
{
	return p->done ? p->new : p->old;
}

/* Plans a convert (to = GMEM_SHARED/PRIVATE) of [a, b). */
static int plan_range(struct tx *t, u64 a, u64 b, u8 to)
{
	struct gmem *g = t->g;
	u64 x = a;
	int rc;

	while (x < b) {
		u64 s = *slot(g, x);
		u8 cur = s & GMEM_L_PRIVATE ? GMEM_PRIVATE : GMEM_SHARED;

		if (!(s & GMEM_L_PRESENT)) {
			pr_err("gmem(%s): convert of unpopulated GPA 0x%llx\n", g->name,
			       (unsigned long long)x);
			return -ENOENT;
		}
		if (s & GMEM_L_HUGE) {
			u64 base = ALIGN_DOWN(x, HUGE_SIZE), end = base + HUGE_SIZE;
			u64 stop = MIN(end, b);
			bool first = true;

			if (cur == to) { /* already in the requested state: fine (GHCB/KVM) */
				x = stop;
				continue;
			}
			if (x == base && end <= b) {
				rc = tx_add(t, base, HUGE_SIZE, slot_spa(s), cur, to, false);
				if (rc)
					return rc;
				x = end;
				continue;
			}
			for (; x < stop; x += PAGE_SIZE, first = false) {
				rc = tx_add(t, x, PAGE_SIZE, slot_spa(*slot(g, x)), cur, to, first);
				if (rc)
					return rc;
			}
			continue;
		}
		if (cur != to) {
			rc = tx_add(t, x, PAGE_SIZE, slot_spa(s), cur, to, false);
			if (rc)
				return rc;
		}
		x += PAGE_SIZE;
	}
	return 0;
}

/* RMP precheck: the RMP must say what the ledger says before we touch it. */
static int rmp_agrees(struct gmem *g, const struct piece *p)
{
	struct rmp_info info;
	spa_t epa;
	int rc;

	if (!g->rmp)
		return 0;
	rc = rmp_lookup(g->rmp, p->pa, &info, &epa);
	if (rc)
		return rc;
	if (p->old == GMEM_PRIVATE) {
		u64 rsz = info.pagesize == RMP_PG_SIZE_2M ? HUGE_SIZE : PAGE_SIZE;
		bool huge = (*slot(g, p->gpa) & GMEM_L_HUGE) != 0;
		u64 off = spa_val(p->pa) - spa_val(epa);

		if (info.assigned && info.asid == g->asid && gpa_val(info.gpa) + off == p->gpa &&
		    rsz == (huge ? HUGE_SIZE : PAGE_SIZE))
			return 0;
	} else if (p->old == GMEM_SHARED || p->old == ST_GONE) {
		if (!info.assigned)
			return 0;
	}
	pr_err("gmem(%s): RMP entry of 0x%llx (gpa 0x%llx) disagrees with the ledger\n", g->name,
	       (unsigned long long)spa_val(p->pa), (unsigned long long)p->gpa);
	return -EIO;
}

/* Table pages a map + an unmap of [a, b) in a table of `levels` can take:
 * every table below the root spanning the range, plus a split of a leaf at
 * each end on every level. */
static u64 table_bound(unsigned levels, u64 a, u64 b)
{
	u64 n = 2ULL * (levels - 1);

	for (unsigned k = 1; k < levels; k++) {
		unsigned sh = pt_level_shift(k + 1);

		n += ((b - 1) >> sh) - (a >> sh) + 1;
	}
	return n;
}

/* A GPA outside every run of the request that stays mapped through it: a
 * populated slot (the ledger is what the NPT and every trusted domain map, I5). */
static bool keeps_tables(const struct gmem *g, u64 x)
{
	return x < g->mem_size && (*slot(g, x) & GMEM_L_PRESENT);
}

/* Table pages an unmap + a map back of the already mapped records [a, b) can
 * take in a table that maps every populated record (the NPT, a trusted
 * domain), `splits` 2M records of which are cut into 4K: the unmap frees
 * only tables that it leaves empty, i.e. tables whose span lies inside
 * [a, b) or that stick out only where nothing is populated (a-4K and b are
 * outside every run: runs are maximal), and the map needs back only those,
 * plus one leaf table per split record. Every other table on the path
 * exists (the records are mapped) and stays. */
static u64 table_need_mapped(const struct gmem *g, unsigned levels, u64 a, u64 b, u64 splits)
{
	bool left = a >= PAGE_SIZE && keeps_tables(g, a - PAGE_SIZE), right = keeps_tables(g, b);
	u64 n = splits;

	for (unsigned k = 1; k < levels; k++) {
		u64 span = pt_level_size(k + 1), lo = ALIGN_UP(a, span), hi = ALIGN_DOWN(b, span);
		bool lpart = a & (span - 1), rpart = b & (span - 1);

		n += hi > lo ? (hi - lo) / span : 0;
		if (lpart && rpart && ALIGN_DOWN(a, span) == ALIGN_DOWN(b - 1, span))
			n += !left && !right; /* one table holds both ends */
		else
			n += (lpart && !left) + (rpart && !right);
	}
	return n;
}

/* Reserves what the request's table operations can take, per maximal run of
 * contiguous pieces: table_need_mapped for runs of mapped records in the NPT
 * and trusted domains; table_bound (every table spanning the run + a split
 * at each end per level) for new records (populate) and untrusted domains,
 * where a record that becomes shared is mapped for the first time. */
static int tx_reserve(struct tx *t)
{
	struct gmem *g = t->g;
	u64 need_npt = 0, need_io = 0, i, j;
	int rc;

	t->pool_npt0 = g->pool_npt.count;
	t->pool_io0 = g->pool_iommu.count;

	/* pieces are sorted by GPA */
	i = 0;
	while (i < t->n) {
		u64 a = t->p[i].gpa, b, splits = t->p[i].split;
		bool fresh = t->p[i].old == ST_GONE;

		for (j = i + 1; j < t->n && t->p[j].gpa == t->p[j - 1].gpa + t->p[j - 1].size;
		     j++) {
			splits += t->p[j].split;
			fresh |= t->p[j].old == ST_GONE;
		}
		b = t->p[j - 1].gpa + t->p[j - 1].size;
		need_npt += fresh ? table_bound(g->npt.levels, a, b)
				  : table_need_mapped(g, g->npt.levels, a, b, splits);
		for (unsigned d = 0; d < g->nr_dom; d++) {
			const struct gmem_domain *dm = &g->dom[d];

			if (dm->shared)
				continue;
			need_io += fresh || !dm->trusted
				       ? table_bound(dm->pt.levels, a, b)
				       : table_need_mapped(g, dm->pt.levels, a, b, splits);
		}
		i = j;
	}
	rc = pool_fill(g, &g->pool_npt, g->own_npt, need_npt);
	if (!rc)
		rc = pool_fill(g, &g->pool_iommu, g->own_iommu, need_io);
	return rc;
}

static void tx_unmap_all(struct tx *t, struct pt *pt, struct pt_change *chg)
{
	u64 i = 0, j;

	while (i < t->n) {
		u64 a = t->p[i].gpa, b;
		int rc;

		for (j = i + 1; j < t->n && t->p[j].gpa == t->p[j - 1].gpa + t->p[j - 1].size; j++)
			;
		b = t->p[j - 1].gpa + t->p[j - 1].size;
		rc = pt_unmap(pt, a, b - a, chg);
		if (rc) {
			pr_err("gmem(%s): unmap [0x%llx, 0x%llx) failed (%d)\n", t->g->name,
			       (unsigned long long)a, (unsigned long long)b, rc);
			t->err = -EIO;
		}
		i = j;
	}
}

static bool maps_state(const struct gmem_domain *d, u8 st)
{
	return st == GMEM_SHARED || (st == GMEM_PRIVATE && (!d || d->trusted));
}

/* Maps every piece in its final state: NPT, then every domain that should map it.
 * Consecutive pieces with contiguous GPA and SPA, one size and one state make
 * one pt operation. */
static void tx_map_all(struct tx *t)
{
	struct gmem *g = t->g;
	u64 i = 0, j;

	while (i < t->n) {
		const struct piece *p = &t->p[i];
		u8 st = final_state(p);
		u64 len = p->size;
		int rc;

		for (j = i + 1; j < t->n; j++) {
			const struct piece *q = &t->p[j];

			if (q->size != p->size || final_state(q) != st || q->gpa != p->gpa + len ||
			    spa_val(q->pa) != spa_val(p->pa) + len)
				break;
			len += q->size;
		}
		if (st != ST_GONE) {
			u32 sz = p->size == HUGE_SIZE ? PT_SZ_2M : PT_SZ_4K;

			rc = pt_map(&g->npt, p->gpa, p->pa, len, NPT_PROT, sz, NULL);
			/* A shared domain's table is the NPT: mapped above. */
			for (unsigned d = 0; !rc && d < g->nr_dom; d++)
				if (!g->dom[d].shared && maps_state(&g->dom[d], st))
					rc = pt_map(&g->dom[d].pt, p->gpa, p->pa, len, IOMMU_PROT,
						    iommu_leaf(g, p->size), NULL);
			if (rc) {
				pr_err("gmem(%s): map of [0x%llx, +0x%llx) failed (%d)\n", g->name,
				       (unsigned long long)p->gpa, (unsigned long long)len, rc);
				t->err = -EIO;
			}
		}
		i = j;
	}
}

static void ledger_set(struct gmem *g, u64 gpa, u64 size, spa_t pa, u8 st)
{
	u64 flags = size == HUGE_SIZE ? GMEM_L_HUGE : 0;

	for (u64 o = 0; o < size; o += PAGE_SIZE) {
		u64 *s = slot(g, gpa + o);

		if (st == ST_GONE)
			*s = 0;
		else
			*s = GMEM_L_PRESENT | flags | (st == GMEM_PRIVATE ? GMEM_L_PRIVATE : 0) |
			     ((spa_val(pa) + o) & GMEM_L_SPA);
	}
}

static void count_state(struct gmem *g, u8 st, s64 pages)
{
	if (st == GMEM_PRIVATE)
		g->st.private_pages += (u64)pages;
	else if (st == GMEM_SHARED)
		g->st.shared_pages += (u64)pages;
}

/* Step 5 RMP part for one piece. Returns 0 or -EIO (nothing done for it). */
static int rmp_step(struct tx *t, struct piece *p)
{
	struct gmem *g = t->g;
	int sz = p->size == HUGE_SIZE ? RMP_PG_SIZE_2M : RMP_PG_SIZE_4K;
	int rc = 0;

	if (g->rmp) {
		if (p->old == GMEM_PRIVATE && p->new != GMEM_PRIVATE)
			rc = rmp_make_shared(g->rmp, p->pa, sz);
		else if (p->old != GMEM_PRIVATE && p->new == GMEM_PRIVATE)
			rc = rmp_make_private(g->rmp, p->pa, g->asid, gpa(p->gpa), sz, false);
		if (p->old != p->new)
			g->st.rmpupdates++;
		if (rc)
			return -EIO;
	}
	count_state(g, p->old, -(s64)(p->size >> PAGE_SHIFT));
	count_state(g, p->new, (s64)(p->size >> PAGE_SHIFT));
	if (p->old != p->new)
		g->st.conversions += p->size >> PAGE_SHIFT;
	ledger_set(g, p->gpa, p->size, p->pa, p->new);
	p->done = true;
	return 0;
}

static int run_check_span(struct gmem *g, const struct gmem_span *sp, unsigned n)
{
	struct gmem_touched t = {sp, n};

	if (!g->check)
		return 0;
	return g->check(g->check_ctx, g, sp ? &t : NULL);
}

static int run_check(struct gmem *g)
{
	return run_check_span(g, NULL, 0);
}

/* The check after a convert/split/populate transaction: every maximal run of
 * pieces, and the whole 2M block of every split record (its 512 records
 * and the leaf tables that replaced its leaves). */
static int run_check_tx(struct tx *t)
{
	struct gmem *g = t->g;
	struct gmem_span *sp;
	unsigned n = 0;
	u64 i = 0, j, cap = 0;
	int rc;

	if (!g->check)
		return 0;
	for (i = 0; i < t->n; i++)
		cap += 1 + t->p[i].split;
	sp = malloc((cap ? cap : 1) * sizeof(*sp));
	if (!sp)
		return run_check(g); /* no memory for the list: check everything */
	i = 0;
	while (i < t->n) {
		for (j = i + 1; j < t->n && t->p[j].gpa == t->p[j - 1].gpa + t->p[j - 1].size; j++)
			;
		sp[n++] = (struct gmem_span){t->p[i].gpa,
					     t->p[j - 1].gpa + t->p[j - 1].size - t->p[i].gpa};
		i = j;
	}
	for (i = 0; i < t->n; i++)
		if (t->p[i].split)
			sp[n++] = (struct gmem_span){ALIGN_DOWN(t->p[i].gpa, HUGE_SIZE), HUGE_SIZE};
	rc = run_check_span(g, sp, n);
	free(sp);
	return rc;
}

/* Runs a planned convert/split transaction (pieces sorted by GPA). */
static int tx_commit(struct tx *t)
{
	struct gmem *g = t->g;
	u64 i, cut;
	int rc, flush_failed = 0;

	for (i = 0; i < t->n; i++) {
		rc = rmp_agrees(g, &t->p[i]);
		if (rc)
			return rc;
	}
	rc = tx_reserve(t);
	if (!rc) {
		u64 splits = 0;

		for (i = 0; i < t->n; i++)
			splits += t->p[i].split;
		rc = pend_reserve(g, splits * (HUGE_SIZE / PAGE_SIZE - 1));
	}
	if (rc) {
		pool_trim(&g->pool_npt, g->own_npt, t->pool_npt0);
		pool_trim(&g->pool_iommu, g->own_iommu, t->pool_io0);
		return rc;
	}
	/* Nothing can run out of memory from here on. */
	g->in_commit = true;
	g->st.requests++;
	/* Split 2M records that the request covers only in part (PSMASH the private
	 * ones: RMP 4K entries with the same GPAs, ASID and validated bits). The NPT
	 * and IOMMU 2M leaves are split by the unmaps below. A PSMASH failing cuts the
	 * request before that record. */
	cut = t->n;
	for (i = 0; i < t->n; i++) {
		struct piece *p = &t->p[i];
		u64 base = ALIGN_DOWN(p->gpa, HUGE_SIZE);

		if (!p->split || !(*slot(g, base) & GMEM_L_HUGE))
			continue; /* another range of the batch split it already */
		if (p->old == GMEM_PRIVATE && g->rmp) {
			g->st.psmash++;
			if (psmash(g->rmp, slot_spa(*slot(g, base)))) {
				pr_err("gmem(%s): PSMASH of GPA 0x%llx failed\n", g->name,
				       (unsigned long long)base);
				t->err = -EIO;
				while (i > 0 && ALIGN_DOWN(t->p[i - 1].gpa, HUGE_SIZE) == base)
					i--;
				cut = i;
				break;
			}
		}
		for (u64 o = 0; o < HUGE_SIZE; o += PAGE_SIZE)
			*slot(g, base + o) &= ~GMEM_L_HUGE;
		g->nr_records += HUGE_SIZE / PAGE_SIZE - 1;
	}
	t->n = cut;

	/* IOMMU first: unmap, then one invalidation + completion wait per domain;
	 * then the NPT: unmap, one TLB flush for the ASID. With shared domains the
	 * NPT unmap is their unmap too, so it comes first and its range is what
	 * they invalidate; both flushes still precede the RMP step. */
	g->st.inv_rounds++;
	{
		struct pt_change chg = {0};
		bool sh = false;

		for (unsigned d = 0; d < g->nr_dom; d++) {
			if (g->dom[d].shared)
				sh = true;
			else
				tx_unmap_all(t, &g->dom[d].pt, &g->dom[d].chg);
		}
		if (sh) {
			tx_unmap_all(t, &g->npt, &chg);
			for (unsigned d = 0; d < g->nr_dom; d++)
				if (g->dom[d].shared)
					g->dom[d].chg = chg;
		}
		rc = iotlb_round(g, false);
		if (rc)
			t->err = flush_failed = rc;
		if (!sh)
			tx_unmap_all(t, &g->npt, &chg);
		rc = tlb_round(g, chg.flags & PT_CHANGE_FLUSH);
		if (rc)
			t->err = flush_failed = rc;
	}
	if (flush_failed) {
		/* A flush failed: the old translations may still be cached, so the
		 * RMP must not change. Map everything back as it was. */
		tx_map_all(t);
		goto out;
	}
	/* RMP. */
	for (i = 0; i < t->n; i++) {
		if (rmp_step(t, &t->p[i])) {
			pr_err("gmem(%s): RMPUPDATE of GPA 0x%llx failed; stopping the request\n",
			       g->name, (unsigned long long)t->p[i].gpa);
			t->err = -EIO;
			break;
		}
	}
	/* The new view (and the old one for pieces the RMP step did not reach). */
	tx_map_all(t);
out:
	g->in_commit = false;
	rc = req_end(g);
	if (!t->err)
		t->err = rc;
	rc = run_check_tx(t);
	return t->err ? t->err : rc;
}

static int do_convert(struct gmem *g, const struct gmem_range *r, unsigned n)
{
	struct tx t = {.g = g};
	int rc = 0;

	req_begin(g);
	for (unsigned i = 0; i < n && !rc; i++)
		rc = plan_range(&t, gpa_val(r[i].gpa), gpa_val(r[i].gpa) + r[i].size, (u8)r[i].to);
	if (!rc && t.n)
		rc = tx_commit(&t);
	free(t.p);
	return rc;
}

int gmem_split(struct gmem *g, gpa_t where)
{
	struct tx t = {.g = g};
	u64 base = ALIGN_DOWN(gpa_val(where), HUGE_SIZE), s;
	u8 cur;
	int rc;

	if (!g || !g->ready)
		return -EINVAL;
	rc = check_range(g, base, HUGE_SIZE, "split");
	if (rc)
		return rc;
	s = *slot(g, base);
	if (!(s & GMEM_L_PRESENT) || !(s & GMEM_L_HUGE))
		return 0; /* nothing to split: already 4K records (or a hole) */
	cur = s & GMEM_L_PRIVATE ? GMEM_PRIVATE : GMEM_SHARED;
	/* 512 pieces that keep their state; the first carries the split, so
	 * tx_commit PSMASHes the RMP entry, unmaps the 2M leaves with one
	 * invalidation round and maps 4K leaves back. */
	req_begin(g);
	for (u64 o = 0; o < HUGE_SIZE && !rc; o += PAGE_SIZE)
		rc =
		    tx_add(&t, base + o, PAGE_SIZE, slot_spa(*slot(g, base + o)), cur, cur, o == 0);
	if (!rc)
		rc = tx_commit(&t);
	free(t.p);
	return rc;
}

int gmem_convert(struct gmem *g, gpa_t where, u64 size, enum gmem_state to)
{
	struct gmem_range r = {where, size, to};

	return gmem_convert_batch(g, &r, 1);
}

static int cmp_range(const void *a, const void *b)
{
	const struct gmem_range *x = a, *y = b;

	return gpa_val(x->gpa) < gpa_val(y->gpa) ? -1 : gpa_val(x->gpa) > gpa_val(y->gpa);
}

int gmem_convert_batch(struct gmem *g, const struct gmem_range *ranges, unsigned n)
{
	struct gmem_range *s;
	int rc = 0;

	if (!g || !g->ready || !ranges)
		return -EINVAL;
	if (!g->rmp) {
		pr_err("gmem(%s): page-state change without SNP\n", g->name);
		return -EOPNOTSUPP;
	}
	if (n == 0 || n > GMEM_BATCH_MAX) {
		pr_err("gmem(%s): page-state change of %u entries (1..%u)\n", g->name, n,
		       GMEM_BATCH_MAX);
		return -EINVAL;
	}
	s = gmem_realloc(g, NULL, n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(s, ranges, n * sizeof(*s));
	for (unsigned i = 0; i < n && !rc; i++) {
		rc = check_range(g, gpa_val(s[i].gpa), s[i].size, "convert");
		if (!rc && s[i].to != GMEM_SHARED && s[i].to != GMEM_PRIVATE) {
			pr_err("gmem(%s): bad target state %d\n", g->name, (int)s[i].to);
			rc = -EINVAL;
		}
	}
	if (!rc) {
		qsort(s, n, sizeof(*s), cmp_range);
		for (unsigned i = 1; i < n && !rc; i++)
			if (gpa_val(s[i].gpa) < gpa_val(s[i - 1].gpa) + s[i - 1].size) {
				pr_err("gmem(%s): page-state change entries overlap at 0x%llx\n",
				       g->name, (unsigned long long)gpa_val(s[i].gpa));
				rc = -EINVAL;
			}
	}
	if (!rc)
		rc = do_convert(g, s, n);
	free(s);
	return rc;
}

/* ---- release ------------------------------------------------------------------ */

/* Is every 4K of [pa, pa + size) hypervisor-owned (unassigned) in the RMP? */
static bool rmp_hv_owned(const struct gmem *g, spa_t pa, u64 size)
{
	struct rmp_info info;

	if (!g->rmp)
		return true;
	for (u64 o = 0; o < size; o += PAGE_SIZE)
		if (rmp_lookup(g->rmp, spa_add(pa, o), &info, NULL) || info.assigned)
			return false;
	return true;
}

/* The 2M record that [a, b) cuts at x (x inside it, not its base), or ~0. */
static u64 cut_record(const struct gmem *g, u64 x)
{
	if (x >= g->mem_size || IS_ALIGNED(x, HUGE_SIZE) || !(*slot(g, x) & GMEM_L_HUGE))
		return ~0ULL;
	return ALIGN_DOWN(x, HUGE_SIZE);
}

/* Splits the 2M record at base into 512 4K records in the ledger (PSMASH
 * first when private); the NPT and domain leaves are split by the unmap
 * that follows, from the pool. -EIO if PSMASH failed (nothing changed). */
static int split_ledger(struct gmem *g, u64 base)
{
	u64 s = *slot(g, base);

	if ((s & GMEM_L_PRIVATE) && g->rmp) {
		g->st.psmash++;
		if (psmash(g->rmp, slot_spa(s))) {
			pr_err("gmem(%s): PSMASH of GPA 0x%llx failed: its 2M record is kept\n",
			       g->name, (unsigned long long)base);
			return -EIO;
		}
	}
	for (u64 o = 0; o < HUGE_SIZE; o += PAGE_SIZE)
		*slot(g, base + o) &= ~GMEM_L_HUGE;
	g->nr_records += HUGE_SIZE / PAGE_SIZE - 1;
	return 0;
}

/* Releases every record in [a, b) as one request (architecture.md, "A
 * private page's life" 4): IOMMU unmap + invalidation, NPT unmap + TLB
 * flush, then per record RMP back to hypervisor-owned, scrub, pending free
 * (I7). Holes are skipped. Allocates only when [a, b) cuts a 2M record (the
 * split's table pages, reserved first: -ENOMEM changes nothing); whole
 * records need no table page (leaves are exactly records) and no pending
 * entry beyond the ones pend_reserve set aside when the pages came in. A
 * record whose RMP entry is not hypervisor-owned afterwards (RMPUPDATE
 * failed, or a firmware/immutable page) is leaked on purpose, never freed.
 * force (destroy): no RMP precheck, no check callback. */
static int release_range(struct gmem *g, u64 a, u64 b, bool force)
{
	u64 cut[2] = {cut_record(g, a), cut_record(g, b)}, x, n = 0, npt0, io0;
	unsigned nsplit = 0, ndup = 0;
	struct pt_change chg = {0};
	int rc, err = 0, flush_err = 0;
	bool sh = false;

	if (cut[1] == cut[0])
		cut[1] = ~0ULL;
	/* Plan: what the ledger holds in [a, b) and what the RMP says of it. */
	for (x = a; x < b;) {
		u64 s = *slot(g, x), base = x, size = PAGE_SIZE;

		if (!(s & GMEM_L_PRESENT)) {
			x += PAGE_SIZE;
			continue;
		}
		if (s & GMEM_L_HUGE) {
			base = ALIGN_DOWN(x, HUGE_SIZE);
			size = HUGE_SIZE;
		}
		if (!force) {
			struct piece p = {.gpa = base,
					  .size = size,
					  .pa = slot_spa(*slot(g, base)),
					  .old = s & GMEM_L_PRIVATE ? GMEM_PRIVATE : GMEM_SHARED,
					  .new = ST_GONE};

			rc = rmp_agrees(g, &p);
			if (rc)
				return rc;
		}
		n++;
		x = base + size;
	}
	if (!n)
		return 0;
	for (unsigned i = 0; i < 2; i++)
		nsplit += cut[i] != ~0ULL;
	for (unsigned d = 0; d < g->nr_dom; d++) {
		if (g->dom[d].shared)
			sh = true;
		else
			ndup++;
	}
	/* Reserve (splits only): one leaf table per cut 2M record and table,
	 * and pending entries for the 511 records each split adds. */
	npt0 = g->pool_npt.count;
	io0 = g->pool_iommu.count;
	if (nsplit) {
		rc = pool_fill(g, &g->pool_npt, g->own_npt, npt0 + nsplit);
		if (!rc)
			rc = pool_fill(g, &g->pool_iommu, g->own_iommu, io0 + nsplit * ndup);
		if (!rc)
			rc = pend_reserve(g, nsplit * (HUGE_SIZE / PAGE_SIZE - 1));
		if (rc) {
			pool_trim(&g->pool_npt, g->own_npt, npt0);
			pool_trim(&g->pool_iommu, g->own_iommu, io0);
			return rc;
		}
	}
	/* Nothing can run out of memory from here on. */
	g->in_commit = true;
	g->st.requests++;
	for (unsigned i = 0; i < 2; i++) {
		if (cut[i] == ~0ULL || !split_ledger(g, cut[i]))
			continue;
		/* The record stays whole and mapped: release around it. */
		err = -EIO;
		if (a > cut[i])
			a = cut[i] + HUGE_SIZE;
		else
			b = cut[i];
	}
	/* IOMMU first (unmap, one invalidation + completion wait per domain),
	 * then the NPT (unmap, one TLB flush); with shared domains the NPT is
	 * their table, so its unmap comes first. Whole leaves: no table page. */
	g->st.inv_rounds++;
	for (unsigned d = 0; a < b && d < g->nr_dom; d++) {
		if (g->dom[d].shared)
			continue;
		rc = pt_unmap(&g->dom[d].pt, a, b - a, &g->dom[d].chg);
		if (rc) {
			pr_err("gmem(%s): release: unmap [0x%llx, 0x%llx) from domain %u failed "
			       "(%d)\n",
			       g->name, (unsigned long long)a, (unsigned long long)b, g->dom[d].id,
			       rc);
			err = -EIO;
		}
	}
	if (sh && a < b && (rc = pt_unmap(&g->npt, a, b - a, &chg))) {
		pr_err("gmem(%s): release: NPT unmap failed (%d)\n", g->name, rc);
		err = -EIO;
	}
	for (unsigned d = 0; sh && d < g->nr_dom; d++)
		if (g->dom[d].shared)
			g->dom[d].chg = chg;
	rc = iotlb_round(g, false);
	if (rc)
		flush_err = rc;
	if (!sh && a < b && (rc = pt_unmap(&g->npt, a, b - a, &chg))) {
		pr_err("gmem(%s): release: NPT unmap failed (%d)\n", g->name, rc);
		err = -EIO;
	}
	rc = tlb_round(g, chg.flags & PT_CHANGE_FLUSH);
	if (rc)
		flush_err = rc;
	/* RMP, scrub, pending free; a failed flush keeps the frames pending
	 * until a later full round succeeds (I7). */
	for (x = a; x < b;) {
		u64 s = *slot(g, x), size = s & GMEM_L_HUGE ? HUGE_SIZE : PAGE_SIZE;
		unsigned order = size == HUGE_SIZE ? PMEM_ORDER_2M : PMEM_ORDER_4K;
		u8 st = s & GMEM_L_PRIVATE ? GMEM_PRIVATE : GMEM_SHARED;
		spa_t pa = slot_spa(s);
		bool ok = true;

		if (!(s & GMEM_L_PRESENT)) {
			x += PAGE_SIZE;
			continue;
		}
		if (g->rmp && st == GMEM_PRIVATE) {
			g->st.rmpupdates++;
			if (rmp_make_shared(g->rmp, pa,
					    size == HUGE_SIZE ? RMP_PG_SIZE_2M : RMP_PG_SIZE_4K)) {
				pr_err("gmem(%s): RMPUPDATE to shared of GPA 0x%llx failed\n",
				       g->name, (unsigned long long)x);
				ok = false;
			}
		}
		ok = ok && rmp_hv_owned(g, pa, size);
		count_state(g, st, -(s64)(size >> PAGE_SHIFT));
		ledger_set(g, x, size, pa, ST_GONE);
		g->nr_records--;
		if (ok) {
			/* Scrub once hypervisor-owned (host writes to assigned pages fault). */
			phys_zero(pa, size); /* streaming for a 2M frame */
			pend_add(g, pa, order, g->own_mem);
		} else {
			leak(g, pa, order, g->own_mem,
			     "RMP entry not hypervisor-owned after release");
			err = -EIO;
		}
		x += size;
	}
	g->in_commit = false;
	rc = req_end(g);
	if (!err)
		err = flush_err ? flush_err : rc;
	if (!force) {
		/* the range, and whole the 2M records it cut at either end */
		struct gmem_span sp = {ALIGN_DOWN(a, HUGE_SIZE),
				       MIN(ALIGN_UP(b, HUGE_SIZE), g->mem_size) -
					   ALIGN_DOWN(a, HUGE_SIZE)};

		rc = run_check_span(g, &sp, 1);
	} else {
		rc = 0;
	}
	return err ? err : rc;
}

int gmem_release(struct gmem *g, gpa_t where, u64 size)
{
	int rc;

	if (!g || !g->ready)
		return -EINVAL;
	rc = check_range(g, gpa_val(where), size, "release");
	if (rc)
		return rc;
	req_begin(g);
	return release_range(g, gpa_val(where), gpa_val(where) + size, false);
}

/* ---- populate ------------------------------------------------------------------ */

/* Gives a failed populate's frames back: those it assigned are unassigned
 * first (fill->unassign, the firmware reclaim, or RMPUPDATE shared). A frame
 * whose RMP entry is still not hypervisor-owned afterwards (the reclaim or
 * the RMPUPDATE failed; a fill that failed half-way) is leaked on purpose,
 * never freed: the pending list's room for it was reserved (pend_reserve). */
static void populate_undo(struct tx *t, const struct gmem_fill *fill)
{
	struct gmem *g = t->g;

	for (u64 i = 0; i < t->n; i++) {
		struct piece *p = &t->p[i];
		unsigned order = p->size == HUGE_SIZE ? PMEM_ORDER_2M : PMEM_ORDER_4K;

		if (p->done && fill)
			fill->unassign(fill->ctx, p->pa);
		else if (p->done &&
			 rmp_make_shared(g->rmp, p->pa,
					 p->size == HUGE_SIZE ? RMP_PG_SIZE_2M : RMP_PG_SIZE_4K))
			pr_err("gmem(%s): undoing populate: RMPUPDATE to shared of 0x%llx failed\n",
			       g->name, (unsigned long long)spa_val(p->pa));
		if (!rmp_hv_owned(g, p->pa, p->size)) {
			leak(g, p->pa, order, g->own_mem,
			     "RMP entry not hypervisor-owned after a "
			     "failed populate");
			continue;
		}
		BUG_ON(pmem_free(p->pa, order, g->own_mem));
	}
}

int gmem_populate(struct gmem *g, gpa_t gpa_, u64 size, enum gmem_state st)
{
	return gmem_populate_fill(g, gpa_, size, st, NULL);
}

int gmem_populate_fill(struct gmem *g, gpa_t gpa_, u64 size, enum gmem_state st,
		       const struct gmem_fill *fill)
{
	struct tx t = {.g = g,
		       .pool_npt0 = g ? g->pool_npt.count : 0,
		       .pool_io0 = g ? g->pool_iommu.count : 0};
	u64 a = gpa_val(gpa_), b = a + size, x;
	spa_t pa;
	int rc;

	if (!g || !g->ready)
		return -EINVAL;
	rc = check_range(g, a, size, "populate");
	if (rc)
		return rc;
	if (st != GMEM_SHARED && st != GMEM_PRIVATE) {
		pr_err("gmem(%s): bad page state %d\n", g->name, (int)st);
		return -EINVAL;
	}
	if (st == GMEM_PRIVATE && !g->rmp) {
		pr_err("gmem(%s): private memory without SNP\n", g->name);
		return -EOPNOTSUPP;
	}
	if (fill && (st != GMEM_PRIVATE || !fill->assign || !fill->unassign)) {
		pr_err("gmem(%s): a fill populates private memory with assign and unassign\n",
		       g->name);
		return -EINVAL;
	}
	for (x = a; x < b; x += PAGE_SIZE)
		if (*slot(g, x) & GMEM_L_PRESENT) {
			pr_err("gmem(%s): populate: GPA 0x%llx already populated\n", g->name,
			       (unsigned long long)x);
			return -EEXIST;
		}
	req_begin(g);
	/* Frames: 2M where the policy and the alignment allow and pmem has a whole
	 * block, 4K otherwise (scrubbed by pmem). */
	for (x = a; x < b;) {
		if (!fill && g->max_page == HUGE_SIZE && IS_ALIGNED(x, HUGE_SIZE) &&
		    b - x >= HUGE_SIZE && gmem_alloc(g, PMEM_ORDER_2M, g->own_mem, &pa) == 0) {
			rc = tx_add(&t, x, HUGE_SIZE, pa, ST_GONE, (u8)st, false);
			if (rc) {
				pmem_free(pa, PMEM_ORDER_2M, g->own_mem);
				goto fail;
			}
			x += HUGE_SIZE;
			continue;
		}
		/* 4K frames a run at a time (one zeroing per run), up to the next
		 * 2M boundary where a 2M record may follow */
		{
			u64 stop = !fill && g->max_page == HUGE_SIZE
				       ? MIN(b, ALIGN_DOWN(x, HUGE_SIZE) + HUGE_SIZE)
				       : b;
			u64 got = 0;

			rc = gmem_alloc_run(g, (stop - x) >> PAGE_SHIFT, &pa, &got);
			for (u64 k = 0; !rc && k < got; k++) {
				rc = tx_add(&t, x, PAGE_SIZE, spa(spa_val(pa) + k * PAGE_SIZE),
					    ST_GONE, (u8)st, false);
				if (rc)
					for (; k < got; k++)
						pmem_free(spa(spa_val(pa) + k * PAGE_SIZE),
							  PMEM_ORDER_4K, g->own_mem);
				else
					x += PAGE_SIZE;
			}
		}
		if (rc)
			goto fail;
	}
	for (u64 i = 0; i < t.n; i++) {
		rc = rmp_agrees(g, &t.p[i]);
		if (rc)
			goto fail;
	}
	rc = tx_reserve(&t);
	if (!rc)
		rc = pend_reserve(g, t.n);
	if (rc)
		goto fail;
	/* RMP assign: the only step that can fail now; undone exactly. */
	if (st == GMEM_PRIVATE) {
		for (u64 i = 0; i < t.n; i++) {
			struct piece *p = &t.p[i];

			g->st.rmpupdates++;
			if (fill ? fill->assign(fill->ctx, p->pa, gpa(p->gpa)) != 0
				 : rmp_make_private(g->rmp, p->pa, g->asid, gpa(p->gpa),
						    p->size == HUGE_SIZE ? RMP_PG_SIZE_2M
									 : RMP_PG_SIZE_4K,
						    false) != 0) {
				rc = -EIO;
				goto fail;
			}
			p->done = true;
		}
	}
	g->in_commit = true;
	g->st.requests++;
	for (u64 i = 0; i < t.n; i++) {
		struct piece *p = &t.p[i];

		p->done = true;
		ledger_set(g, p->gpa, p->size, p->pa, (u8)st);
		count_state(g, (u8)st, (s64)(p->size >> PAGE_SHIFT));
		g->nr_records++;
	}
	/* NPT, then the domains (trusted only for private memory). */
	tx_map_all(&t);
	g->in_commit = false;
	rc = req_end(g);
	free(t.p);
	if (t.err)
		return t.err;
	{
		struct gmem_span sp = {a, size};

		return rc ? rc : run_check_span(g, &sp, 1);
	}
fail:
	populate_undo(&t, fill);
	free(t.p);
	pool_trim(&g->pool_npt, g->own_npt, t.pool_npt0);
	pool_trim(&g->pool_iommu, g->own_iommu, t.pool_io0);
	return rc;
}

void gmem_trim(struct gmem *g)
{
	pool_trim(&g->pool_npt, g->own_npt, 0);
	pool_trim(&g->pool_iommu, g->own_iommu, 0);
}

/* ---- destroy / report ------------------------------------------------------------ */

int gmem_destroy(struct gmem *g)
{
	u64 leaked0, kept = 0;
	int rc, err = 0;

	if (!g || !g->ready) {
		pr_err("gmem: destroy of a guest that is not live\n");
		return -EINVAL;
	}
	leaked0 = g->st.leaked_pages;
	/* Every record, as one release (no split: the range is whole records). */
	req_begin(g);
	rc = release_range(g, 0, g->mem_size, true);
	if (rc) {
		pr_err("gmem(%s): destroy: releasing guest memory failed (%d); frames that did "
		       "not go back are leaked on purpose\n",
		       g->name, rc);
		err = rc;
	}
	/* Every table (MMIO leaves included) to the pending list: room reserved. */
	req_begin(g);
	g->in_commit = true;
	for (unsigned d = 0; d < g->nr_dom; d++)
		if (!g->dom[d].shared)
			pt_destroy(&g->dom[d].pt);
	pt_destroy(&g->npt);
	g->in_commit = false;
	/* One last full round, then everything pending may go back (I7). */
	g->hold_pending = false;
	g->full_flush = true;
	g->st.inv_rounds++;
	rc = iotlb_round(g, true);
	if (rc) {
		pr_err("gmem(%s): destroy: final IOTLB invalidation failed (%d)\n", g->name, rc);
		err = err ? err : rc;
	}
	rc = tlb_round(g, true);
	if (rc) {
		pr_err("gmem(%s): destroy: final TLB flush failed (%d)\n", g->name, rc);
		err = err ? err : rc;
	}
	pend_drain(g);
	/* What still waits can never be proven unreferenced: kept for good. */
	for (u64 i = 0; i < g->nr_pend; i++) {
		struct gmem_pending *e = &g->pend[i];

		if (e->owner == g->own_leak)
			continue;
		if (pmem_transfer(e->pa, e->order, e->owner, g->own_leak)) {
			pr_err("gmem(%s): destroy: pending frame 0x%llx not owned by %s\n", g->name,
			       (unsigned long long)spa_val(e->pa), pmem_owner_name(e->owner));
			err = err ? err : -EIO;
			continue;
		}
		g->st.leaked_pages += 1ULL << e->order;
		kept += 1ULL << e->order;
	}
	if (kept)
		pr_err("gmem(%s): destroy: %llu pages still wait for a flush that failed: leaked "
		       "on purpose (a TLB or IOTLB may still reach them)\n",
		       g->name, (unsigned long long)kept);
	pool_trim(&g->pool_npt, g->own_npt, 0);
	pool_trim(&g->pool_iommu, g->own_iommu, 0);
	if (g->st.leaked_pages > leaked0)
		pr_err("gmem(%s): destroy: %llu pages leaked on purpose, kept as %s for good "
		       "(%llu in the guest's life)\n",
		       g->name, (unsigned long long)(g->st.leaked_pages - leaked0),
		       pmem_owner_name(g->own_leak), (unsigned long long)g->st.leaked_pages);
	free(g->pend);
	free(g->ledger);
	g->pend = NULL;
	g->ledger = NULL;
	g->nr_pend = g->cap_pend = 0;
	g->nr_records = 0;
	g->nr_dom = 0;
	g->nr_mmio = 0;
	g->ready = false;
	if (!err && g->st.leaked_pages > leaked0)
		err = -EIO;
	return err;
}

void gmem_print_roots(const struct gmem *g)
{
	pr_info("guest %s %u 0x%llx 0x%llx 0x%llx\n", g->name, g->asid,
		(unsigned long long)g->mem_size, (unsigned long long)spa_val(g->npt.root),
		(unsigned long long)spa_val(virt_to_phys(hva_from_ptr(g->ledger))));
	for (unsigned i = 0; i < g->nr_dom; i++)
		pr_info("domain %u 0x%llx %u %d\n", g->dom[i].id,
			(unsigned long long)spa_val(gmem_domain_root(g, &g->dom[i])),
			g->dom[i].shared ? g->npt.levels : g->dom[i].pt.levels, g->dom[i].trusted);
}

void gmem_report(const struct gmem *g)
{
	const struct gmem_stats *s = &g->st;

	pr_info("gmem(%s): asid %u, %llu MiB, %s pages, rmp %s, %u domain(s), iommu %s\n", g->name,
		g->asid, (unsigned long long)(g->mem_size >> 20),
		g->max_page == HUGE_SIZE ? "2M" : "4K", g->rmp ? "on" : "off", g->nr_dom,
		g->iommu_mode == GMEM_IOMMU_SHARED ? "shared" : "duplicated");
	pr_info("  pages: private %llu shared %llu, tables: npt %llu iommu %llu, pending %llu, "
		"leaked %llu\n",
		(unsigned long long)s->private_pages, (unsigned long long)s->shared_pages,
		(unsigned long long)g->npt.table_pages,
		(unsigned long long)gmem_iommu_table_pages(g),
		(unsigned long long)(gmem_pending_pages(g, g->own_mem) +
				     gmem_pending_pages(g, g->own_npt) +
				     gmem_pending_pages(g, g->own_iommu)),
		(unsigned long long)s->leaked_pages);
	pr_info("  requests %llu conversions %llu inv-rounds %llu tlb-flushes %llu iotlb-invs "
		"%llu psmash %llu rmpupdates %llu xcheck %llu/%llu failed\n",
		(unsigned long long)s->requests, (unsigned long long)s->conversions,
		(unsigned long long)s->inv_rounds, (unsigned long long)s->tlb_flushes,
		(unsigned long long)s->iotlb_invs, (unsigned long long)s->psmash,
		(unsigned long long)s->rmpupdates, (unsigned long long)s->xcheck_runs,
		(unsigned long long)s->xcheck_failures);
}
