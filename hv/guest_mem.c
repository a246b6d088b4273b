/* Guest memory behind struct guest_mem_ops, and checked guest memory access.
 *
 * guest_mem_flat is the stand-in until gmem exists: guest RAM [0, mem_size)
 * is backed by 2 MiB pmem frames and mapped into the guest's NPT through the
 * pt engine (hv/pt.h, format pt_fmt_npt), with leaves no larger than the
 * guest's page_size. flat_translate answers through the NPT (pt_lookup): a
 * GPA the NPT does not map is -EFAULT, never host memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/guest.h"
#include "hv/log.h"
#include "hv/mem.h"
#include "hv/pmem.h"
#include "hv/pt.h"

#define NPT_LEVELS 4 /* 48-bit guest-physical space */

struct flat_mem {
	u64 nr_frames;
	spa_t frames[]; /* 2 MiB each, frame i backs GPA [i * 2M, (i + 1) * 2M) */
};

static int flat_pt_alloc(void *ctx, spa_t *out)
{
	struct guest *g = ctx;

	return pmem_alloc(PMEM_ORDER_4K, g->owner, out);
}

static void flat_pt_free(void *ctx, spa_t pa)
{
	struct guest *g = ctx;

	pmem_free(pa, PMEM_ORDER_4K, g->owner);
}

static void flat_destroy(struct guest *g)
{
	struct flat_mem *m = g->mem_priv;
	u64 i;

	if (g->npt_ready) {
		pt_destroy(&g->npt);
		g->npt_ready = false;
	}
	if (!m)
		return;
	for (i = 0; i < m->nr_frames; i++)
		if (spa_val(m->frames[i]))
			pmem_free(m->frames[i], PMEM_ORDER_2M, g->owner);
	free(m);
	g->mem_priv = NULL;
}

static int flat_create(struct guest *g)
{
	struct pt_mm mm = {.alloc = flat_pt_alloc, .free = flat_pt_free, .ctx = g};
	u32 sizes = g->cfg && g->cfg->page_size == PAGE_SIZE ? PT_SZ_4K : PT_SZ_4K | PT_SZ_2M;
	struct flat_mem *m;
	u64 i, n;
	int ret;

	if (!g->mem_size || !IS_ALIGNED(g->mem_size, HUGE_SIZE)) {
		pr_err("guest %s: memory size 0x%llx is not a multiple of 2M\n", g->name,
		       (unsigned long long)g->mem_size);
		return -EINVAL;
	}
	n = g->mem_size / HUGE_SIZE;
	m = calloc(1, sizeof(*m) + n * sizeof(spa_t));
	if (!m)
		return -ENOMEM;
	g->mem_priv = m;
	ret = pt_init(&g->npt, &pt_fmt_npt, NPT_LEVELS, &mm);
	if (ret) {
		pr_err("guest %s: cannot create its NPT: %d\n", g->name, ret);
		goto fail;
	}
	g->npt_ready = true;
	for (i = 0; i < n; i++) {
		ret = pmem_alloc(PMEM_ORDER_2M, g->owner, &m->frames[i]);
		if (ret) {
			pr_err("guest %s: out of memory at %llu MiB of %llu MiB\n", g->name,
			       (unsigned long long)(i * 2), (unsigned long long)(n * 2));
			goto fail;
		}
		m->nr_frames = i + 1;
		ret = npt_map(&g->npt, gpa(i * HUGE_SIZE), m->frames[i], HUGE_SIZE,
			      PT_R | PT_W | PT_X, sizes, NULL);
		if (ret) {
			pr_err("guest %s: NPT map of GPA 0x%llx failed: %d\n", g->name,
			       (unsigned long long)(i * HUGE_SIZE), ret);
			goto fail;
		}
	}
	g->npt_root = pt_root(&g->npt);
	return 0;
fail:
	flat_destroy(g);
	return ret;
}

static int flat_translate(struct guest *g, gpa_t a, spa_t *out, u64 *contig)
{
	struct pt_leaf leaf;

	if (!g->npt_ready || gpa_val(a) >= g->mem_size || npt_lookup(&g->npt, a, &leaf))
		return -EFAULT;
	*out = spa_add(leaf.pa, gpa_val(a) - leaf.va);
	*contig = leaf.va + leaf.size - gpa_val(a);
	return 0;
}

const struct guest_mem_ops guest_mem_flat = {
    .name = "flat",
    .create = flat_create,
    .destroy = flat_destroy,
    .translate = flat_translate,
    .fault = NULL,
};
