/* Scenario-only I/O page tables (see hv/scenarios/test_domain.h): the pt
 * engine with pt_fmt_amdv1 on pmem, a domain ID and DTEs from iommu/, and
 * the invalidation rules of AMD IOMMU 48882 2.4.3 (INVALIDATE_IOMMU_PAGES)
 * and 3.2.1 (NpCache). Freed table pages wait for the next completed
 * invalidation of their domain (architecture.md I7). */
#include "hv/scenarios/test_domain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/base/log.h"
#include "hv/mm/pmem.h"
#include "iommu/iommu.h"

#define TEST_DOMAIN_MAX_ATTACHED 32

static u8 owner; /* pmem owner "test-iopt", registered by the first alloc */
static struct {
	u16 bdf;
	struct test_domain *dom;
} att[TEST_DOMAIN_MAX_ATTACHED];

static int pt_alloc(void *ctx, spa_t *out)
{
	return pmem_alloc(PMEM_ORDER_4K, owner, out);
}

/* The IOMMU may still walk a freed table until the next invalidation has
 * completed: keep it aside, untouched, until then. */
static void pt_free(void *ctx, spa_t pa)
{
	struct test_domain *d = ctx;

	if (d->ndeferred == d->cap_deferred) {
		unsigned cap = d->cap_deferred ? d->cap_deferred * 2 : 16;
		spa_t *n = realloc(d->deferred, cap * sizeof(*n));

		if (!n) {
			pr_err("iommu: no memory to defer a table page: leaking 0x%llx\n",
			       (unsigned long long)spa_val(pa));
			return;
		}
		d->deferred = n;
		d->cap_deferred = cap;
	}
	d->deferred[d->ndeferred++] = pa;
}

static void release_deferred(struct test_domain *d)
{
	for (unsigned i = 0; i < d->ndeferred; i++)
		pmem_free(d->deferred[i], PMEM_ORDER_4K, owner);
	d->ndeferred = 0;
}

u64 test_domain_table_pages(void)
{
	return owner ? pmem_owner_pages(owner) : 0;
}

struct test_domain *test_domain_alloc(unsigned levels)
{
	struct test_domain *d;
	struct pt_mm mm = {pt_alloc, pt_free, NULL};
	int id, ret;

	if (!iommu.up) {
		pr_err("iommu: domain_alloc before iommu_init\n");
		return NULL;
	}
	if (!owner) {
		ret = pmem_owner_register("test-iopt");
		if (ret < 0)
			return NULL;
		owner = (u8)ret;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	id = iommu_domain_id_alloc();
	if (id < 0) {
		pr_err("iommu: no free domain ID (max %u)\n", iommu.max_domain_id);
		free(d);
		return NULL;
	}
	mm.ctx = d;
	ret = pt_init(&d->pt, &pt_fmt_amdv1, levels, &mm);
	if (ret) {
		pr_err("iommu: cannot build a %u-level I/O page table (%d)\n", levels, ret);
		iommu_domain_id_free((u16)id);
		free(d);
		return NULL;
	}
	d->id = (u16)id;
	d->levels = (u8)levels;
	return d;
}

int test_domain_free(struct test_domain *d)
{
	int ret;

	if (!d)
		return 0;
	if (d->attached) {
		pr_err("iommu: domain %u still has %u device(s) attached\n", d->id, d->attached);
		return -EBUSY;
	}
	pt_destroy(&d->pt);
	ret = iommu_inv_domain_id(d->id);
	if (ret) {
		/* Without a completed flush the pages may still be walked: leak. */
		pr_err("iommu: flush of domain %u failed (%d): its %u table pages are leaked\n",
		       d->id, ret, d->ndeferred);
	} else {
		release_deferred(d);
	}
	iommu_domain_id_free(d->id);
	free(d->deferred);
	free(d);
	return ret;
}

int test_domain_map(struct test_domain *d, u64 iova, spa_t pa, u64 size, u32 prot)
{
	return pt_map(&d->pt, iova, pa, size, prot, PT_SZ_ALL, &d->pending);
}

int test_domain_unmap(struct test_domain *d, u64 iova, u64 size)
{
	return pt_unmap(&d->pt, iova, size, &d->pending);
}

/* Invalidate an explicit range of the domain and wait. */
static int inv_range(struct test_domain *d, u64 iova, u64 size)
{
	d->flushes++;
	return iommu_inv_domain_range(d->id, iova, size);
}

int test_domain_flush(struct test_domain *d)
{
	struct pt_change *c = &d->pending;
	bool need = c->flags & PT_CHANGE_FLUSH;
	int ret = 0;

	/* With NpCache even a new translation may hide behind a cached
	 * not-present entry (48882 3.2.1). */
	if (iommu.np_cache && (c->flags & PT_CHANGE_RANGE))
		need = true;
	if (need) {
		if (c->flags & PT_CHANGE_RANGE)
			ret = inv_range(d, c->start, c->last - c->start + 1);
		else
			ret = inv_range(d, 0, AMDVI_INV_ALL_SIZE);
	}
	if (ret) {
		pr_err("iommu: invalidation of domain %u failed (%d): changes stay pending\n",
		       d->id, ret);
		return ret;
	}
	release_deferred(d);
	memset(c, 0, sizeof(*c));
	return 0;
}

static int att_slot(u16 bdf)
{
	for (int i = 0; i < TEST_DOMAIN_MAX_ATTACHED; i++)
		if (att[i].dom && att[i].bdf == bdf)
			return i;
	return -1;
}

struct test_domain *test_domain_of(u16 bdf)
{
	int s = att_slot(bdf);

	return s < 0 ? NULL : att[s].dom;
}

/* After a DTE switch away from old, drop old's IOTLB entries: on hardware
 * they are tagged by domain; QEMU 7.2 tags them by device and removes them
 * only on a domain invalidation (INVALIDATE_DEVTAB_ENTRY is a no-op there). */
static int detach_old(int slot)
{
	struct test_domain *old = att[slot].dom;

	att[slot].dom = NULL;
	old->attached--;
	return iommu_inv_domain_id(old->id);
}

int test_domain_attach(u16 bdf, struct test_domain *d)
{
	int s = att_slot(bdf), ret;

	if (!iommu.up || !d)
		return -EINVAL;
	if (s >= 0 && att[s].dom == d)
		return 0;
	if (s < 0) {
		for (int i = 0; i < TEST_DOMAIN_MAX_ATTACHED && s < 0; i++)
			if (!att[i].dom)
				s = i;
		if (s < 0) {
			pr_err("iommu: more than %u attached devices\n", TEST_DOMAIN_MAX_ATTACHED);
			return -ENOSPC;
		}
	}
	ret = iommu_attach_table(bdf, d->id, pt_root(&d->pt), d->levels);
	if (ret)
		return ret;
	if (att[s].dom)
		ret = detach_old(s);
	att[s].bdf = bdf;
	att[s].dom = d;
	d->attached++;
	return ret;
}

int test_domain_block(u16 bdf)
{
	int s = att_slot(bdf), ret;

	ret = iommu_block(bdf);
	if (ret)
		return ret;
	return s >= 0 ? detach_old(s) : 0;
}
