/* The page-table engine: one walker for every radix page-table format that
 * snpvisor builds (the hypervisor's own long-mode tables, the NPT, AMD IOMMU
 * v1 I/O page tables). A format is a small descriptor (struct pt_fmt) of
 * encode/decode functions; the engine (hv/mm/pt.c) owns the geometry, the
 * walk, splitting, merging, freeing and the two-phase prepare/commit.
 *
 * Addresses: the input of a table is a u64 ("VA", meaning IOVA, GPA or
 * hypervisor VA depending on the table), the output is an spa_t. Levels are
 * numbered 1 (table of 4K entries) to 6 (AMD IOMMU mode 6); a table of
 * `levels` levels translates `min(64, 12 + 9 * levels)` input bits.
 *
 * The engine never flushes a TLB or IOTLB: each mutating operation adds to a
 * struct pt_change what it modified so that the caller can batch flushes, and
 * table pages go back through pt_mm.free(), which may defer their reuse until
 * the flush is done (architecture.md I7). See docs/pt.md. */
#ifndef HV_PT_H
#define HV_PT_H

#include "hv/base/types.h"

#define PT_MAX_LEVELS 6
#define PT_ENTRIES    512

/* Protection of a leaf, format independent. A format rejects what it cannot
 * express (struct pt_fmt.prot_valid). */
#define PT_R	    (1u << 0) /* readable (x86: present) */
#define PT_W	    (1u << 1) /* writable (x86 RW, IOMMU IW) */
#define PT_X	    (1u << 2) /* executable (x86: NX clear) */
#define PT_USER	    (1u << 3) /* x86 US (host format only; NPT sets it always) */
#define PT_UC	    (1u << 4) /* uncached (x86 PCD|PWT; IOMMU: FC clear) */
#define PT_GLOBAL   (1u << 5) /* x86 G (host format only) */
#define PT_NO_DMA   (1u << 6) /* pt_fmt_npt_amdv1 only: the CPU maps it, the IOMMU may not
				* access it (IR=IW=0): device MMIO in a shared NPT */
#define PT_PROT_ALL (PT_R | PT_W | PT_X | PT_USER | PT_UC | PT_GLOBAL | PT_NO_DMA)

/* Leaf sizes, as a mask of the levels a leaf may sit at. */
#define PT_SZ(level) (1u << ((level)-1))
#define PT_SZ_4K     PT_SZ(1)
#define PT_SZ_2M     PT_SZ(2)
#define PT_SZ_1G     PT_SZ(3)
#define PT_SZ_ALL    (PT_SZ_4K | PT_SZ_2M | PT_SZ_1G)

static inline unsigned pt_level_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}
static inline u64 pt_level_size(unsigned level)
{
	return 1ULL << pt_level_shift(level);
}

/* What a format decoder makes of one entry. */
enum pt_kind {
	PT_NONE,  /* empty (all zero) */
	PT_TABLE, /* points to a table of the next lower level */
	PT_LEAF,  /* maps pt_level_size(level) bytes */
	PT_BAD,	  /* anything the engine never writes: reported as -EIO */
};

struct pt_ent {
	enum pt_kind kind;
	spa_t pa; /* table or leaf base */
	u32 prot; /* leaves only */
};

/* A format: pure functions of one entry; `level` is the level of the table
 * holding the entry. */
struct pt_fmt {
	const char *name;
	u8 min_levels, max_levels;
	u8 leaf_sizes;	/* PT_SZ_* mask of levels that can hold a leaf */
	u32 prot_valid; /* PT_* bits the format can express */
	u32 prot_need;	/* a leaf's prot needs at least one of these */
	u64 (*table_entry)(spa_t table, unsigned level);
	u64 (*leaf_entry)(spa_t pa, unsigned level, u32 prot);
	/* decode(0, level) must be PT_NONE: the walker skips 0 entries */
	struct pt_ent (*decode)(u64 pte, unsigned level);
};

extern const struct pt_fmt pt_fmt_x86;	 /* long mode, hypervisor's own tables */
extern const struct pt_fmt pt_fmt_npt;	 /* AMD nested page tables (U=1 everywhere) */
extern const struct pt_fmt pt_fmt_amdv1; /* AMD IOMMU v1 host I/O page tables */
/* iommu_mode = shared: entries valid for the NPT and the AMD IOMMU v1 at once
 * (hv/mm/pt_fmt_shared.c), and decode-only views of them as each walker sees them. */
extern const struct pt_fmt pt_fmt_npt_amdv1;
extern const struct pt_fmt pt_fmt_npt_amdv1_cpu;
extern const struct pt_fmt pt_fmt_npt_amdv1_iommu;

/* Table memory comes from the caller. alloc returns 0 or a negative errno
 * and one 4K page (the engine zeroes it); free takes back a page the engine
 * no longer references (it never touches the page again). */
struct pt_mm {
	int (*alloc)(void *ctx, spa_t *out);
	void (*free)(void *ctx, spa_t pa);
	void *ctx;
};

struct pt {
	const struct pt_fmt *fmt;
	struct pt_mm mm;
	spa_t root;
	u8 levels;
	u8 va_bits;	 /* input bits translated: min(64, 12 + 9 * levels) */
	u64 table_pages; /* table pages in use, root included */
	u64 gen;	 /* bumped by every commit (checks reserves) */
};

enum pt_op_type { PT_OP_MAP, PT_OP_UNMAP, PT_OP_PROTECT, PT_OP_MERGE };

#define PT_OPF_NO_REPLACE (1u << 0) /* map: -EEXIST if anything is mapped in the range */

/* One operation on [va, va + size): all of va, size, pa 4K aligned at least
 * (aligned to the smallest size in `sizes` for a map). */
struct pt_op {
	enum pt_op_type type;
	u32 prot;  /* map, protect */
	u32 sizes; /* map, merge: PT_SZ_* leaf sizes allowed */
	u32 flags; /* PT_OPF_* */
	u64 va;
	u64 size;
	spa_t pa; /* map: output address of va */
};

/* Pages reserved by pt_prepare, chained through their first 8 bytes. */
struct pt_reserve {
	spa_t head;
	u64 count;
	/* set by pt_prepare, checked by pt_commit */
	bool armed;
	const struct pt *pt;
	u64 gen;
	struct pt_op op;
};

#define PT_CHANGE_FLUSH                                                                            \
	(1u << 0)			/* a present translation changed or went away,             \
					 * or a table page was freed: flush [start, last] */
#define PT_CHANGE_TABLE_FREED (1u << 1) /* a table page went back to mm.free */
#define PT_CHANGE_RANGE	      (1u << 2) /* [start, last] is valid */

/* Accumulates over operations; zero-initialize it. [start, last] (inclusive)
 * covers every entry whose translation was added, changed or removed and
 * every freed table's span; splits (same translations) are not in it. */
struct pt_change {
	u32 flags;
	u64 start, last;
	u64 writes;	  /* entries written (split fills included) */
	u64 tables_alloc; /* table pages taken */
	u64 tables_freed; /* table pages given back */
};

/* One leaf, as lookup and walk report it (never clipped to a range). */
struct pt_leaf {
	u64 va;	  /* base of the leaf */
	spa_t pa; /* base of the leaf */
	u64 size;
	u32 prot;
	u8 level;
	u64 pte; /* raw entry */
};

struct pt_walk_ops {
	/* Called for each leaf overlapping the range; non-zero stops the walk. */
	int (*leaf)(void *ctx, const struct pt_leaf *leaf);
	/* Called for each table page (root included) whose span overlaps the range,
	 * before its entries; non-zero stops the walk. */
	int (*table)(void *ctx, spa_t table, unsigned level, u64 va);
};

int pt_init(struct pt *pt, const struct pt_fmt *fmt, unsigned levels, const struct pt_mm *mm);
/* Frees every table page (root included). */
void pt_destroy(struct pt *pt);

/* Two phases: pt_prepare validates the op against the current tables (no
 * change) and reserves every table page the op needs; -ENOMEM (or any error)
 * leaves tables and reserve as they were. pt_commit applies the op and cannot
 * fail. A reserve serves one op on one table: prepare, (prepare other
 * structures), commit; then pt_reserve_release gives back what is left. */
int pt_prepare(struct pt *pt, const struct pt_op *op, struct pt_reserve *res);
void pt_commit(struct pt *pt, const struct pt_op *op, struct pt_reserve *res,
	       struct pt_change *chg);
void pt_reserve_release(struct pt *pt, struct pt_reserve *res);

/* Convenience: prepare + commit + release. chg may be NULL. */
int pt_apply(struct pt *pt, const struct pt_op *op, struct pt_change *chg);
int pt_map(struct pt *pt, u64 va, spa_t pa, u64 size, u32 prot, u32 sizes, struct pt_change *chg);
int pt_unmap(struct pt *pt, u64 va, u64 size, struct pt_change *chg);
int pt_protect(struct pt *pt, u64 va, u64 size, u32 prot, struct pt_change *chg);
/* Replaces tables full of contiguous, aligned, same-prot leaves by one leaf
 * of a size in `sizes`, bottom up. pt_map does the same for the tables it
 * touches (with its own `sizes`); unmap and protect never merge. */
int pt_merge(struct pt *pt, u64 va, u64 size, u32 sizes, struct pt_change *chg);

/* -ENOENT if va is not mapped, -EIO on a corrupt entry. */
int pt_lookup(const struct pt *pt, u64 va, struct pt_leaf *out);
/* The same walk over a table that is not a struct pt and whose table
 * pointers are not SPAs: root and every table address go through
 * xlate(ctx, table, &spa) before they are read (e.g. a guest's own page
 * tables: GPA -> SPA through its NPT). out->va/size/level as pt_lookup;
 * out->pa is the leaf's output address as the entry holds it (untranslated).
 * -ENOENT not mapped, -EFAULT an entry the format calls bad (not logged:
 * the table's owner wrote it), xlate's error as returned, -EINVAL bad call. */
int pt_lookup_xlate(const struct pt_fmt *fmt, u64 root, unsigned levels, u64 va,
		    int (*xlate)(void *ctx, u64 table, spa_t *out), void *ctx,
		    struct pt_leaf *out);
int pt_walk(const struct pt *pt, u64 va, u64 size, const struct pt_walk_ops *ops, void *ctx);
/* The whole input space (2^va_bits bytes). */
int pt_walk_all(const struct pt *pt, const struct pt_walk_ops *ops, void *ctx);
/* The table pages whose span overlaps [va, va + size) (size = 2^va_bits at 0:
 * all), as pt_walk with only a table callback, except that the level-1
 * tables' entries are not read (they hold leaves only), so a corrupt entry
 * there is not reported. For a caller that wants the table set only
 * (xcheck's first pass): a fraction of a whole walk. */
int pt_walk_tables(const struct pt *pt, u64 va, u64 size,
		   int (*table)(void *ctx, spa_t table, unsigned level, u64 va), void *ctx);

static inline u64 pt_table_pages(const struct pt *pt)
{
	return pt->table_pages;
}
static inline spa_t pt_root(const struct pt *pt)
{
	return pt->root;
}

/* Typed wrappers for the NPT (input = guest physical). */
static inline int npt_map(struct pt *pt, gpa_t gpa, spa_t pa, u64 size, u32 prot, u32 sizes,
			  struct pt_change *chg)
{
	return pt_map(pt, gpa_val(gpa), pa, size, prot, sizes, chg);
}
static inline int npt_unmap(struct pt *pt, gpa_t gpa, u64 size, struct pt_change *chg)
{
	return pt_unmap(pt, gpa_val(gpa), size, chg);
}
static inline int npt_lookup(const struct pt *pt, gpa_t gpa, struct pt_leaf *out)
{
	return pt_lookup(pt, gpa_val(gpa), out);
}

#endif
