/* xcheck: the cross-checker proving architecture.md's invariants I1-I7 over
 * every guest's NPT, IOMMU domains, the RMP, pmem and gmem's ledger.
 *
 * It walks the tables with the pt engine (pt_walk_all, leaf and table
 * callbacks), reads the RMP through rmp_lookup and classifies frames with
 * pmem_owner_of. Cost grows with what is mapped and recorded (tables, ledger
 * records, pending pages), not with RAM size; see docs/gmem.md for what is
 * and is not covered. Pure code: runs in the hypervisor (config xcheck =
 * always / on demand), in host tests and offline on a memory dump
 * (tools/xcheck-dump). */
#ifndef SNP_XCHECK_H
#define SNP_XCHECK_H

#include "hv/base/types.h"

struct gmem;
struct gmem_touched;

enum xcheck_rule {
	XC_I1 = 1, /* agreement: every structure maps a GPA to the ledger's SPA */
	XC_I2,	   /* private: RMP assigned/ASID/GPA/size; NPT leaf <= RMP; IOMMU leaf == RMP */
	XC_I3,	   /* shared: points at an unassigned page */
	XC_I4,	   /* isolation: no hypervisor memory, no other guest's page */
	XC_I5,	   /* ledger: records mapped where recorded, no extra/free/double pages */
	XC_I6,	   /* devices: untrusted never maps private; trusted maps it */
	XC_I7,	   /* flushes: nothing reused or freed before its flush completed */
};

enum xcheck_struct { XC_NPT, XC_IOMMU, XC_RMP, XC_LEDGER, XC_PMEM };

struct xcheck_violation {
	u8 rule;      /* enum xcheck_rule */
	u8 structure; /* enum xcheck_struct */
	u16 domain;   /* XC_IOMMU: domain id */
	u32 guest;    /* index in the guests array */
	u64 gpa;
	u64 spa;
	char expected[48];
	char found[48];
};

#define XCHECK_MAX_REPORT 64

struct xcheck_report {
	u64 total;  /* violations found (the first XCHECK_MAX_REPORT are kept) */
	unsigned n; /* kept in v[] */
	struct xcheck_violation v[XCHECK_MAX_REPORT];
	/* what was looked at */
	u64 leaves, tables, records, mapped_bytes, rmp_entries;
};

struct xcheck_opts {
	bool no_pmem;	/* pmem state unknown (offline dump): skip owner and accounting checks */
	bool full_rmp;	/* also scan every RMP entry of the pmem span (cost: RAM size / 4K) */
	spa_t rmp_base; /* with no_pmem: the RMP table, to treat as hypervisor memory */
	u64 rmp_size;
	/* validated BARs unknown (offline dump): skip the BAR rule */
	bool no_bars;
};

/* Validated device BARs, per guest: the device layer (hv/vm/guest_dev.c)
 * registers each BAR it validated for a guest's device before gmem maps it,
 * and drops the guest's BARs when its devices go. This is xcheck's own record,
 * kept apart from gmem's MMIO records (gmem knows nothing of it): every MMIO
 * record of a guest must lie inside one of that guest's validated BARs (I4;
 * skipped with opts.no_bars). -EINVAL for an empty or wrapping range,
 * -ENOSPC beyond XCHECK_MAX_BARS. */
#define XCHECK_MAX_BARS 64
struct xcheck_bar {
	const struct gmem *g;
	u16 bdf;
	u8 index;
	spa_t spa;
	u64 size;
};
int xcheck_bar_add(const struct gmem *g, u16 bdf, u8 index, spa_t spa, u64 size);
/* Drops every BAR registered for g. */
void xcheck_bar_drop(const struct gmem *g);
/* The validated BARs registered for g, n at most; returns how many. */
unsigned xcheck_bar_list(const struct gmem *g, struct xcheck_bar *out, unsigned n);

/* Checks all guests at once (cross-guest rules need them together).
 * Returns 0 (report filled, possibly with violations) or -ENOMEM/-EINVAL. */
int xcheck_run(const struct gmem *const *guests, unsigned n, struct xcheck_report *rep);
/* Checks one guest and counts the run in its stats (st.xcheck_runs,
 * st.xcheck_failures); 0 if clean, -EIO (violations printed), -ENOMEM. */
int xcheck_gmem(struct gmem *g);
/* Incremental: only what an operation touched (t's GPA spans): the tables
 * on their paths and the leaves over them in the NPT and every domain, the
 * ledger records overlapping them (frame owner, RMP entry, mapped where
 * recorded), plus the cheap global passes (MMIO records, pending list,
 * pmem accounting against gmem's counters). Finds what the full check finds
 * inside the spans (tests/unit/test_xcheck.c runs every mutation through
 * both). Not covered: anything outside the spans, e.g. a frame recorded
 * twice at two GPAs when only one is in a span (the pmem owner and, when
 * private, the RMP GPA still catch most), counters that disagree with the
 * whole ledger, full_rmp. guests[i] with touched[i] NULL is skipped. */
#define XCHECK_MAX_TOUCHED 16
int xcheck_run_touched(const struct gmem *const *guests, unsigned n,
		       const struct gmem_touched *const *touched, struct xcheck_report *rep);
/* xcheck_run_touched on one guest, counted like xcheck_gmem (and in
 * st.xcheck_inc_runs); t NULL: the full check. */
int xcheck_gmem_touched(struct gmem *g, const struct gmem_touched *t);
/* gmem's check callback (struct gmem_params.check) for config xcheck =
 * always: incremental after each operation (full when the operation gives
 * no spans). ctx is unused. */
int xcheck_gmem_op(void *ctx, struct gmem *g, const struct gmem_touched *t);
/* The same callback, but the full check after every operation. */
int xcheck_gmem_op_full(void *ctx, struct gmem *g, const struct gmem_touched *t);
int xcheck_run_opts(const struct gmem *const *guests, unsigned n, const struct xcheck_opts *o,
		    struct xcheck_report *rep);
void xcheck_print(const struct xcheck_report *rep);
/* A run borrows one buffer for its sets and bitmaps instead of a calloc per
 * set (what does not fit is calloc'd; a run finding it in use, e.g. on
 * another CPU, callocs everything) and the buffer is kept between runs up to
 * this many bytes (default 1 MiB); 0: calloc and free every time, as the
 * unit tests also run it. */
void xcheck_scratch_limit(size_t bytes);
const char *xcheck_rule_name(unsigned rule);
const char *xcheck_struct_name(unsigned s);

#endif
