/* Scenario-only I/O page tables: a domain of the QEMU IOMMU scenarios and
 * benchmarks (hv/scenarios/iommu.c, bench.c) that they build and map
 * themselves, without a guest. Guests never use it: their domains are
 * gmem's (hv/core/gmem.h, docs/gmem.md), the only owner of guest page
 * tables. iommu/ owns no page tables; this file builds one with the pt
 * engine (pt_fmt_amdv1) on pmem (owner "test-iopt") and hands its root to
 * iommu_attach_table like gmem does. See docs/iommu.md "Test domains". */
#ifndef HV_SCENARIOS_TEST_DOMAIN_H
#define HV_SCENARIOS_TEST_DOMAIN_H

#include "hv/base/types.h"
#include "hv/mm/pt.h"

struct test_domain {
	struct pt pt;		  /* pt_fmt_amdv1; input = IOVA */
	u16 id;			  /* DTE DomainID from iommu_domain_id_alloc() */
	u8 levels;		  /* DTE Mode */
	unsigned attached;	  /* devices whose DTE points here */
	struct pt_change pending; /* changes made since the last flush */
	spa_t *deferred;	  /* table pages freed by pt, reused after the flush */
	unsigned ndeferred, cap_deferred;
	u64 flushes;
};

/* levels 3..6 (3 = 39-bit IOVAs, 4 = 48-bit). NULL on failure. */
struct test_domain *test_domain_alloc(unsigned levels);
/* -EBUSY while devices are attached. Flushes, frees tables and the ID. */
int test_domain_free(struct test_domain *d);
/* prot: PT_R / PT_W (IOMMU IR / IW). Sizes: 4K/2M/1G leaves as alignment
 * allows. No invalidation is sent: call test_domain_flush (batching). */
int test_domain_map(struct test_domain *d, u64 iova, spa_t pa, u64 size, u32 prot);
int test_domain_unmap(struct test_domain *d, u64 iova, u64 size);
/* Invalidate what changed since the last flush (one ranged
 * INVALIDATE_IOMMU_PAGES, PDE=1, on every IOMMU with a device of d) and wait
 * for completion; then release the deferred table pages. A no-op when
 * nothing needs it. */
int test_domain_flush(struct test_domain *d);

/* bdf's DTE -> d (iommu_attach_table); the domain it left is invalidated. */
int test_domain_attach(u16 bdf, struct test_domain *d);
/* bdf's DTE -> blocked (iommu_block); the domain it left is invalidated. */
int test_domain_block(u16 bdf);
/* The test domain bdf is attached to, or NULL. */
struct test_domain *test_domain_of(u16 bdf);
/* Table pages of every test domain in use or awaiting a flush (pmem owner). */
u64 test_domain_table_pages(void);

#endif
