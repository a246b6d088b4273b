/* gmem: guest memory, the ONLY allocator of guest pages (architecture.md
 * "A private page's life").
 *
 * One struct gmem per guest owns: the guest's NPT (pt_fmt_npt), its IOMMU
 * domains (pt_fmt_amdv1, "duplicated" mode), a pointer to the RMP (NULL for a
 * plain SVM guest, snp = off) and the ledger, the truth of which GPA maps which
 * SPA, private or shared, 4K or 2M. Every change is one transaction over RMP +
 * NPT + every IOMMU domain, in the order of architecture.md; a failed
 * allocation leaves all of them, the ledger and pmem accounting unchanged.
 * hv/core/xcheck.h proves I1-I7 against the ledger; gmem runs it only
 * through the check callback its creator passes (xcheck depends on gmem). See docs/gmem.md.
 *
 * Not thread-safe: callers serialise per guest (one lock around every call). */
#ifndef HV_GMEM_H
#define HV_GMEM_H

#include "hv/base/bits.h"
#include "hv/mm/pt.h"
#include "hv/base/types.h"

struct rmp;
struct gmem;

#define GMEM_MAX_DOMAINS 4
#define GMEM_MAX_MMIO	 8	      /* device BARs mapped into the NPT (gmem_map_mmio) */
#define GMEM_BATCH_MAX	 253	      /* GHCB page-state-change request: at most 253 entries */
#define GMEM_NPT_LEVELS	 4	      /* 48-bit guest-physical space */
#define GMEM_MAX_MEM	 (1ULL << 46) /* largest guest (ledger is dense: 8 bytes per 4K) */

enum gmem_state { GMEM_SHARED = 0, GMEM_PRIVATE = 1 };

enum gmem_iommu_mode {
	GMEM_IOMMU_DUPLICATED, /* separate AMD IOMMU v1 tables built from gmem */
	GMEM_IOMMU_SHARED,     /* NPT in pt_fmt_npt_amdv1; trusted domains use it as their table */
};

/* IOTLB invalidation of one domain, plugged in by the hypervisor (AMD-Vi:
 * amdvi_inv_pages + amdvi_sync, i.e. INVALIDATE_IOMMU_PAGES + COMPLETION_WAIT). */
struct gmem_iommu_ops {
	int (*inv_range)(void *ctx, u16 domain_id, u64 iova, u64 size);
	int (*sync)(void *ctx); /* returns once every queued invalidation completed */
};

/* What one operation touched, for the check callback: GPA spans (sorted or
 * not, possibly overlapping), each covering whole records, the tables on
 * their paths, their RMP entries and ledger words. */
struct gmem_span {
	u64 gpa, size;
};
struct gmem_touched {
	const struct gmem_span *span;
	unsigned n;
};

struct gmem_params {
	const char *name; /* owners "g<name>-mem", "g<name>-npt", "g<name>-iommu" */
	u32 asid;
	u64 mem_size;	 /* guest-physical [0, mem_size), 4K aligned */
	u64 max_page;	 /* PAGE_SIZE or HUGE_SIZE: largest page gmem uses */
	struct rmp *rmp; /* NULL: no SNP, every page is plain/shared */
	enum gmem_iommu_mode iommu_mode;
	/* Duplicated mode only: own IOMMU tables map 2M records with 512 4K
	 * leaves (the NPT keeps 2M). The IOMMU leaf stays <= the RMP entry (I2);
	 * the cost is docs/experiments/iommu-pagesize. */
	bool iommu_4k;
	/* Runs after every operation that changed state, its error the
	 * operation's result: xcheck_gmem_op (hv/core/xcheck.h) with config
	 * xcheck = always. t: what the operation touched; NULL when it is not
	 * tracked (attach, MMIO map/unmap): check everything. NULL callback:
	 * nothing runs. gmem itself knows no checker. */
	int (*check)(void *ctx, struct gmem *g, const struct gmem_touched *t);
	void *check_ctx;
	/* TLB flush of every vCPU for the ASID; returns once done. NULL: nothing to flush. */
	int (*flush_asid)(void *ctx, u32 asid);
	void *flush_ctx;
};

struct gmem_domain {
	struct pt pt; /* pt_fmt_amdv1; unused (zero) when shared */
	u16 id;
	bool trusted; /* maps private memory too (I6); untrusted: shared only */
	bool shared;  /* iommu_mode = shared: the guest's NPT is this domain's table */
	const struct gmem_iommu_ops *ops;
	void *ctx;
	struct pt_change chg; /* changes since the last invalidation */
};

/* A page waiting for its flushes before it goes back to pmem (I7), or, with
 * owner == own_leak, a frame leaked on purpose: its RMP entry could not be
 * made hypervisor-owned (or a flush it needs never completed), so it is kept
 * under "g<name>-leaked" for good and never handed out again. The list's
 * capacity is reserved whenever the guest gains pages (records, table
 * pages, pool pages), so release and destroy never allocate to grow it. */
struct gmem_pending {
	spa_t pa;
	u8 order;
	u8 owner;
	u64 tlb_at, iotlb_at; /* free once tlb_done > tlb_at and iotlb_done > iotlb_at */
};

struct gmem_stats {
	u64 private_pages, shared_pages; /* 4K units, from the ledger */
	u64 conversions;		 /* 4K pages converted */
	u64 requests;	/* populate/convert/release/batch calls that changed state */
	u64 inv_rounds; /* invalidation rounds (one per request at most) */
	u64 tlb_flushes;
	u64 iotlb_invs; /* inv_range calls */
	u64 iotlb_syncs;
	u64 psmash;
	u64 rmpupdates;
	u64 xcheck_runs, xcheck_failures;
	u64 xcheck_inc_runs; /* of xcheck_runs: incremental (xcheck_gmem_touched) */
	u64 leaked_pages; /* 4K units kept on purpose under own_leak (never freed) */
};

/* Page-table page pool (pages of one owner, chained through their first 8 bytes). */
struct gmem_pool {
	spa_t head;
	u64 count;
};

/* A device MMIO range in the guest's NPT (a passed-through BAR): not RAM,
 * not in the ledger, mapped uncached and never executable, never in any
 * IOMMU domain (no peer-to-peer). xcheck accepts exactly these non-RAM
 * leaves in the NPT (I4) and flags every other one. */
struct gmem_mmio {
	gpa_t gpa;
	spa_t spa;
	u64 size;
};

struct gmem;
struct gmem_mmctx {
	struct gmem *g;
	u8 owner;
	struct gmem_pool *pool;
};

struct gmem {
	char name[16];
	u32 asid;
	u64 mem_size;
	u64 max_page;
	int (*check)(void *ctx, struct gmem *g, const struct gmem_touched *t);
	void *check_ctx;
	bool ready;
	struct rmp *rmp;
	enum gmem_iommu_mode iommu_mode;
	bool iommu_4k; /* own IOMMU tables: 4K leaves only (gmem_params) */
	u8 own_mem, own_npt, own_iommu;
	u8 own_leak; /* "g<name>-leaked": frames whose RMP state is not hypervisor-owned */

	struct pt npt;
	struct gmem_domain dom[GMEM_MAX_DOMAINS];
	unsigned nr_dom;
	struct gmem_mmio mmio[GMEM_MAX_MMIO];
	unsigned nr_mmio;
	int (*flush_asid)(void *ctx, u32 asid);
	void *flush_ctx;

	/* The ledger: one u64 per guest 4K frame (GMEM_L_* below). */
	u64 *ledger;
	u64 nr_slots;
	u64 nr_records; /* ledger records (4K or 2M): bounds the pending list */

	/* I7: flush generations and the pages waiting for them. */
	u64 tlb_done, iotlb_done;     /* completed rounds */
	u64 cur_tlb_at, cur_iotlb_at; /* snapshot for pages freed by the current request */
	bool full_flush;	      /* a flush failed: next round invalidates everything */
	struct gmem_pending *pend;
	u64 nr_pend, cap_pend;

	struct gmem_pool pool_npt, pool_iommu;
	struct gmem_mmctx mm_npt, mm_iommu;
	bool in_commit;
	bool free_direct;

	struct gmem_stats st;
	/* Test hook: when nonzero, the fail_alloc-th allocation from now fails
	 * (pmem pages and gmem's own heap allocations alike). */
	u64 fail_alloc;
	/* Test hook: skip draining the pending list (I7 tests). */
	bool hold_pending;
};

/* Ledger slot encoding (per 4K of guest-physical memory). */
#define GMEM_L_PRESENT BIT(0)
#define GMEM_L_PRIVATE BIT(1)
#define GMEM_L_HUGE    BIT(2) /* part of a 2M record (2M frame, 2M RMP entry when private) */
#define GMEM_L_SPA     GENMASK(51, 12)

/* One ledger record, as gmem_lookup reports it. */
struct gmem_rec {
	gpa_t gpa; /* base of the record */
	spa_t spa;
	u64 size; /* PAGE_SIZE or HUGE_SIZE */
	bool priv;
};

struct gmem_range {
	gpa_t gpa;
	u64 size;
	enum gmem_state to;
};

int gmem_init(struct gmem *g, const struct gmem_params *p);
/* Attaches an IOMMU domain (pt_fmt_amdv1 table of `levels` levels) and maps the
 * guest's current memory into it (shared pages; private ones too if trusted).
 * iommu_mode = shared: a trusted domain gets no table of its own, its table is
 * the NPT (gmem_domain_root; levels must be GMEM_NPT_LEVELS, the DTE Mode);
 * an untrusted one gets its own duplicated table (shared pages only, I6). */
int gmem_attach_domain(struct gmem *g, u16 domain_id, unsigned levels, bool trusted,
		       const struct gmem_iommu_ops *ops, void *ctx);
int gmem_populate(struct gmem *g, gpa_t gpa, u64 size, enum gmem_state st);

/* Private memory whose RMP assignment is done by someone else: the SNP
 * launch (snp/launch.c copies the contents in, RMPUPDATEs the page private +
 * immutable and issues SNP_LAUNCH_UPDATE, after which the firmware leaves it
 * validated). gmem still allocates the 4K frames, keeps the ledger and maps
 * the NPT and the domains in the same transaction. assign(ctx, frame, gpa)
 * returns 0 or an error; unassign undoes it (firmware reclaim) when a later
 * page of the same request fails. */
struct gmem_fill {
	int (*assign)(void *ctx, spa_t pa, gpa_t gpa);
	void (*unassign)(void *ctx, spa_t pa);
	void *ctx;
};
int gmem_populate_fill(struct gmem *g, gpa_t gpa, u64 size, enum gmem_state st,
		       const struct gmem_fill *fill);
int gmem_convert(struct gmem *g, gpa_t gpa, u64 size, enum gmem_state to);
/* A page-state-change request: up to GMEM_BATCH_MAX ranges, one invalidation
 * round for all. Pages already in the target state are left alone (success). */
int gmem_convert_batch(struct gmem *g, const struct gmem_range *ranges, unsigned n);
/* Splits the 2M record holding gpa into 512 4K records in the same state:
 * PSMASH of the RMP entry when private, 4K leaves in the NPT and every
 * domain, one invalidation round (a 4K PVALIDATE on a 2M RMP entry: the
 * hypervisor's answer to #NPF with SIZEM). 0 also when already 4K. */
int gmem_split(struct gmem *g, gpa_t gpa);
/* Unpopulated pages inside the range are skipped. Allocates nothing unless
 * the range cuts a 2M record (one table page per table for its split;
 * -ENOMEM then changes nothing). A record whose RMP entry cannot be made
 * hypervisor-owned is leaked on purpose (own_leak, st.leaked_pages), never
 * freed: the rest is released and -EIO returned. */
int gmem_release(struct gmem *g, gpa_t gpa, u64 size);
/* Releases every page, frees every table, waits for one last full flush.
 * Never allocates. 0 when every frame went back to pmem hypervisor-owned;
 * -EIO (each cause logged) when frames had to be leaked on purpose: RMP
 * state not hypervisor-owned, or a flush that did not complete; -EINVAL
 * when g is not live. The guest's owners then hold nothing but the leaked
 * frames ("g<name>-leaked"), which stay out of pmem's free pool for good. */
int gmem_destroy(struct gmem *g);
/* Gives the cached table pages (up to 64 per pool) back to pmem. */
void gmem_trim(struct gmem *g);

/* Maps device MMIO [spa, spa + size) at GPA [gpa, gpa + size) in the NPT
 * only: read/write, uncached (PT_UC), not executable, 4K/2M leaves. The GPA
 * range must lie above guest RAM (>= mem_size) and overlap no other MMIO
 * range; every frame must be outside pmem's RAM (PMEM_OWNER_NOT_RAM).
 * Recorded in g->mmio[] for xcheck; guest_read/write (gmem_lookup) never
 * reach it. 0 or a negative errno, nothing changed on error. */
int gmem_map_mmio(struct gmem *g, gpa_t gpa, spa_t spa, u64 size);
/* Unmaps the MMIO range that starts at gpa, flushes the ASID's TLB, drops
 * the record. -ENOENT if there is none. */
int gmem_unmap_mmio(struct gmem *g, gpa_t gpa);
/* The MMIO record overlapping [gpa, gpa + size), or NULL. */
const struct gmem_mmio *gmem_mmio_find(const struct gmem *g, u64 gpa, u64 size);

/* 0 and the record holding gpa, or -ENOENT. */
int gmem_lookup(const struct gmem *g, gpa_t gpa, struct gmem_rec *out);
void gmem_report(const struct gmem *g);
/* Prints the guest's lines of tools/xcheck-dump's ROOTS file (NPT, domains, ledger). */
void gmem_print_roots(const struct gmem *g);

u64 gmem_iommu_table_pages(const struct gmem *g);
/* The table a domain's DTE points to (the NPT's root for a shared domain). */
spa_t gmem_domain_root(const struct gmem *g, const struct gmem_domain *d);
/* The domain's table as its IOMMU walks it: its own table, or for a shared
 * domain the NPT seen through pt_fmt_npt_amdv1_iommu (read-only use). */
void gmem_domain_view(const struct gmem *g, const struct gmem_domain *d, struct pt *out);
/* Pages on the pending-free list, per owner. */
u64 gmem_pending_pages(const struct gmem *g, u8 owner);

#endif
