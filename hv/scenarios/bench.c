/* iommu_mode experiments (docs/iommu-modes.md), registered in hv/scenarios/scenario.c:
 *
 *   iommu-modes   (make bench, tests/qemu/bench/iommu-modes.cfg) the same gmem
 *                 sequence -- populate, conversions in batches both ways,
 *                 release -- for a guest with one trusted device, once with a
 *                 duplicated AMD IOMMU v1 table and once with the NPT shared
 *                 as the device's table; METRIC lines: table pages, TSC cycles
 *                 per operation, invalidation rounds, TLB flushes, IOTLB
 *                 invalidations. The IOTLB invalidations are real AMD-Vi
 *                 commands (INVALIDATE_IOMMU_PAGES + COMPLETION_WAIT) to the
 *                 domain's ID; the TLB flush is a counter (no vCPU runs here,
 *                 and QEMU flushes its nested TLB on every VMRUN anyway).
 *   iommu-shared  (tests/qemu/iommu-shared.cfg) a trusted edu whose DTE points
 *                 at a shared-mode guest NPT does DMA from private and shared
 *                 guest pages, sees a conversion, loses a released page (the
 *                 IOTLB entry it had is invalidated), and an untrusted edu in
 *                 the same guest gets its own table without private memory;
 *                 the checker runs after every gmem operation.
 * Hardware access: MMIO (edu, AMD-Vi), RDTSC (HV_SRCS). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/tsc.h"
#include "hv/core/gmem.h"
#include "hv/core/xcheck.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/base/report.h"
#include "hv/scenarios/bench.h"
#include "hv/scenarios/test_domain.h"
#include "hv/platform/snp_host.h"
#include "iommu/edu.h"
#include "iommu/iommu.h"

#define BENCH_MEM     MiB(64) /* guest memory populated */
#define BENCH_CONVERT 1024    /* 4K pages converted each way */
#define BENCH_BATCH   64      /* pages per page-state-change request */
#define BENCH_STRIDE  KiB(64) /* one converted page per 64 KiB: 32 per 2M record */
#define BENCH_RUNS    3

/* ---- callbacks ------------------------------------------------------------------- */

struct bench_ctx {
	u16 dom_id;
	u64 tlb_flushes, iotlb_invs;
};

/* INVALIDATE_IOMMU_PAGES for the range and COMPLETION_WAIT (amdvi_inv_pages
 * waits), so sync has nothing left to do. */
static int bench_inv(void *ctx, u16 domain_id, u64 iova, u64 size)
{
	struct bench_ctx *b = ctx;

	b->iotlb_invs++;
	return amdvi_inv_pages(&iommu.hw, domain_id, iova, size);
}

static int bench_sync(void *ctx)
{
	(void)ctx;
	return 0;
}

static const struct gmem_iommu_ops bench_ops = {bench_inv, bench_sync};

/* No vCPU of this guest ever runs: nothing is cached for the ASID. */
static int bench_flush(void *ctx, u32 asid)
{
	struct bench_ctx *b = ctx;

	(void)asid;
	b->tlb_flushes++;
	return 0;
}

static struct rmp *the_rmp(void)
{
	return snp_host.enabled ? &snp_host.rmp : NULL;
}

static int guest_init(struct gmem *g, const char *name, u32 asid, u64 mem,
		      enum gmem_iommu_mode mode, bool xcheck, struct bench_ctx *b)
{
	struct gmem_params p = {
	    .name = name,
	    .asid = asid,
	    .mem_size = mem,
	    .max_page = HUGE_SIZE,
	    .rmp = the_rmp(),
	    .iommu_mode = mode,
	    .check = xcheck ? xcheck_gmem_op : NULL,
	    .flush_asid = bench_flush,
	    .flush_ctx = b,
	};

	return gmem_init(g, &p);
}

/* ---- iommu-modes ---------------------------------------------------------------------- */

struct bench_res {
	u64 pages_populated, pages_converted; /* table pages after populate / conversions */
	u64 populate_cyc, convert_cyc, release_cyc;
	u64 batches;
	struct gmem_stats st;
	int err;
};

static int convert_all(struct gmem *g, enum gmem_state to, u64 *batches)
{
	struct gmem_range r[BENCH_BATCH];
	unsigned n = 0;
	int rc;

	for (u64 i = 0; i < BENCH_CONVERT; i++) {
		r[n++] = (struct gmem_range){gpa(i * BENCH_STRIDE), PAGE_SIZE, to};
		if (n == BENCH_BATCH || i + 1 == BENCH_CONVERT) {
			rc = gmem_convert_batch(g, r, n);
			if (rc)
				return rc;
			(*batches)++;
			n = 0;
		}
	}
	return 0;
}

static void bench_one(enum gmem_iommu_mode mode, struct bench_res *res)
{
	static struct gmem g;
	struct bench_ctx b = {0};
	struct test_domain *dom = test_domain_alloc(4); /* its domain ID */
	const char *name = mode == GMEM_IOMMU_SHARED ? "bsh" : "bdup";
	u64 t0, t1;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!dom) {
		res->err = -ENOMEM;
		return;
	}
	rc = guest_init(&g, name, mode == GMEM_IOMMU_SHARED ? 14 : 13, BENCH_MEM, mode, false, &b);
	if (!rc)
		rc = gmem_attach_domain(&g, dom->id, 4, true, &bench_ops, &b);
	if (rc)
		goto out;
	t0 = rdtsc();
	rc = gmem_populate(&g, gpa(0), BENCH_MEM, GMEM_PRIVATE);
	t1 = rdtsc();
	if (rc)
		goto out;
	res->populate_cyc = t1 - t0;
	res->pages_populated = g.npt.table_pages + gmem_iommu_table_pages(&g);
	t0 = rdtsc();
	rc = convert_all(&g, GMEM_SHARED, &res->batches);
	if (!rc)
		rc = convert_all(&g, GMEM_PRIVATE, &res->batches);
	t1 = rdtsc();
	if (rc)
		goto out;
	res->convert_cyc = t1 - t0;
	res->pages_converted = g.npt.table_pages + gmem_iommu_table_pages(&g);
	rc = xcheck_gmem(&g); /* not timed */
	if (rc)
		goto out;
	t0 = rdtsc();
	rc = gmem_release(&g, gpa(0), BENCH_MEM);
	t1 = rdtsc();
	res->release_cyc = t1 - t0;
	if (!rc)
		rc = xcheck_gmem(&g);
out:
	res->st = g.st;
	res->err = rc;
	if (g.ready)
		gmem_destroy(&g);
	test_domain_free(dom);
}

static void bench_report(const char *m, const struct bench_res *r)
{
	char n[64];
	u64 mib = BENCH_MEM >> 20, conv = 2 * BENCH_CONVERT;

#define MET(what, v, unit)                                                                         \
	do {                                                                                       \
		snprintf(n, sizeof(n), "modes.%s.%s", m, what);                                    \
		report_metric(n, (v), unit);                                                       \
	} while (0)
	MET("table_pages.populated", r->pages_populated, "pages");
	MET("table_pages.converted", r->pages_converted, "pages");
	MET("populate.cycles_per_mib", r->populate_cyc / mib, "cycles");
	MET("convert.cycles_per_batch", r->convert_cyc / (r->batches ? r->batches : 1), "cycles");
	MET("convert.cycles_per_page", r->convert_cyc / conv, "cycles");
	MET("release.cycles_per_mib", r->release_cyc / mib, "cycles");
	MET("inv_rounds", r->st.inv_rounds, "rounds");
	MET("tlb_flushes", r->st.tlb_flushes, "flushes");
	MET("iotlb_invalidations", r->st.iotlb_invs, "commands");
	MET("psmash", r->st.psmash, "ops");
#undef MET
}

static void keep_best(struct bench_res *best, const struct bench_res *r, unsigned i)
{
	if (r->err || i == 0) {
		*best = *r;
		return;
	}
	best->populate_cyc = MIN(best->populate_cyc, r->populate_cyc);
	best->convert_cyc = MIN(best->convert_cyc, r->convert_cyc);
	best->release_cyc = MIN(best->release_cyc, r->release_cyc);
}

void scenario_iommu_modes(void)
{
	struct bench_res dup, sh, r;
	int ret = iommu_init();

	if (!report_check(ret == 0, "iommu.init", "iommu_init() = %d", ret))
		return;
	if (!report_check(the_rmp() != NULL, "modes.rmp", "SNP platform (RMP) %s",
			  the_rmp() ? "up" : "off: set [hv] snp = emulated"))
		return;
	/* One unmeasured run of each first (TCG translates the code paths, pmem
	 * warms up), then BENCH_RUNS interleaved runs; cycles: the fastest run
	 * (the least disturbed), counts are the same in every run. */
	bench_one(GMEM_IOMMU_DUPLICATED, &dup);
	bench_one(GMEM_IOMMU_SHARED, &sh);
	for (unsigned i = 0; i < BENCH_RUNS && !dup.err && !sh.err; i++) {
		bench_one(GMEM_IOMMU_DUPLICATED, &r);
		keep_best(&dup, &r, i);
		bench_one(GMEM_IOMMU_SHARED, &r);
		keep_best(&sh, &r, i);
	}
	report_check(dup.err == 0, "modes.duplicated", "sequence %d, xcheck clean", dup.err);
	report_check(sh.err == 0, "modes.shared", "sequence %d, xcheck clean", sh.err);
	if (dup.err || sh.err)
		return;
	bench_report("dup", &dup);
	bench_report("shared", &sh);
	report_check(sh.pages_populated < dup.pages_populated, "modes.shared_fewer_tables",
		     "%llu table pages shared, %llu duplicated",
		     (unsigned long long)sh.pages_populated,
		     (unsigned long long)dup.pages_populated);
	report_check(sh.st.inv_rounds == dup.st.inv_rounds &&
			 sh.st.tlb_flushes == dup.st.tlb_flushes,
		     "modes.same_rounds", "%llu rounds, %llu TLB flushes in both modes",
		     (unsigned long long)sh.st.inv_rounds, (unsigned long long)sh.st.tlb_flushes);
}

/* ---- iommu-shared: DMA through a shared table ------------------------------------------ */

#define SH_MEM	  MiB(16)
#define SH_PRIV	  (HUGE_SIZE + 0x3000) /* in a private 2M record */
#define SH_SHARED (MiB(8) + 0x5000)    /* in a shared 2M record */
#define SH_CONV	  (MiB(8) + 0x9000)    /* shared -> private */
#define SH_GONE	  (MiB(10) + 0x7000)   /* released (4K out of a shared 2M) */
#define SH_LEN	  0xFFFu	       /* the most edu moves from offset 0 */

static bool find_edu(struct edu *e, unsigned nth)
{
	const struct pci_dev *d = iommu_pci_find(EDU_VENDOR, EDU_DEVICE, nth);
	int ret = d ? edu_probe(e, &iommu.pci, d, tsc_khz()) : -ENODEV;

	if (!ret)
		ret = iommu_pci_enable_master(d->bdf);
	return report_check(ret == 0, nth ? "shared.edu2" : "shared.edu", "edu #%u (%d)", nth, ret);
}

static u8 *gpa_ptr(const struct gmem *g, u64 a)
{
	struct gmem_rec r;

	if (gmem_lookup(g, gpa(a), &r))
		return NULL;
	return phys_ptr(spa_add(r.spa, a - gpa_val(r.gpa)));
}

static void pattern(u8 *p, u32 len, u8 seed)
{
	for (u32 i = 0; i < len; i++)
		p[i] = (u8)(seed + i * 13 + (i >> 7));
}

static bool is_pattern(const u8 *p, u32 len, u8 seed)
{
	for (u32 i = 0; i < len; i++)
		if (p[i] != (u8)(seed + i * 13 + (i >> 7)))
			return false;
	return true;
}

static bool all_zero(const u8 *p, u32 len)
{
	for (u32 i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* Device buffer <- guest page at a (through the device's table), then
 * guest page at b <- device buffer. */
static int copy_dma(struct edu *e, u64 a, u64 b)
{
	int ret = edu_to_device(e, a, 0, SH_LEN);

	return ret ? ret : edu_to_ram(e, b, 0, SH_LEN);
}

static void shared_dma(struct gmem *g, struct edu *e, struct edu *e2, u16 bdf2)
{
	u8 *src = gpa_ptr(g, SH_PRIV), *dst = gpa_ptr(g, SH_SHARED), *gone;
	struct gmem_rec r;
	spa_t gone_pa;
	int ret;

	/* trusted: private -> device -> shared, through the one table */
	pattern(src, SH_LEN, 0x31);
	memset(dst, 0, SH_LEN);
	ret = copy_dma(e, SH_PRIV, SH_SHARED);
	report_check(!ret && is_pattern(dst, SH_LEN, 0x31), "shared.dma_private_to_shared",
		     "gpa 0x%llx -> 0x%llx through the NPT (%d)", (unsigned long long)SH_PRIV,
		     (unsigned long long)SH_SHARED, ret);
	/* a conversion keeps the frame: the trusted device still reaches it */
	ret = gmem_convert(g, gpa(SH_CONV), PAGE_SIZE, GMEM_PRIVATE);
	if (!ret) {
		memset(gpa_ptr(g, SH_CONV), 0, SH_LEN);
		ret = copy_dma(e, SH_PRIV, SH_CONV);
	}
	report_check(!ret && is_pattern(gpa_ptr(g, SH_CONV), SH_LEN, 0x31), "shared.dma_converted",
		     "gpa 0x%llx now private, written by the trusted device (%d)",
		     (unsigned long long)SH_CONV, ret);
	/* a released page: warm the IOTLB, release (invalidation), DMA again */
	ret = gmem_lookup(g, gpa(SH_GONE), &r);
	gone_pa = spa_add(r.spa, SH_GONE - gpa_val(r.gpa));
	if (!ret)
		ret = edu_to_ram(e, SH_GONE, 0, SH_LEN);
	if (!ret)
		ret = gmem_release(g, gpa(SH_GONE), PAGE_SIZE);
	if (!ret)
		ret = edu_to_ram(e, SH_GONE, 0, SH_LEN);
	gone = phys_ptr(gone_pa);
	report_check(!ret && all_zero(gone, SH_LEN), "shared.dma_after_release",
		     "gpa 0x%llx released: the old frame 0x%llx stays scrubbed (%d)",
		     (unsigned long long)SH_GONE, (unsigned long long)spa_val(gone_pa), ret);
	/* untrusted (own table): shared pages yes, private no */
	if (!e2)
		return;
	memset(dst, 0, SH_LEN);
	ret = copy_dma(e2, SH_PRIV, SH_SHARED);
	report_check(!ret && all_zero(dst, SH_LEN), "shared.untrusted_no_private",
		     "untrusted %04x reads zeros from private gpa 0x%llx (%d)", bdf2,
		     (unsigned long long)SH_PRIV, ret);
	pattern(gpa_ptr(g, MiB(8)), SH_LEN, 0x55);
	ret = copy_dma(e2, MiB(8), SH_SHARED);
	report_check(!ret && is_pattern(dst, SH_LEN, 0x55), "shared.untrusted_shared",
		     "untrusted %04x copies between shared pages (%d)", bdf2, ret);
}

void scenario_iommu_shared(void)
{
	static struct gmem g;
	struct bench_ctx b = {0};
	struct test_domain *d1 = NULL, *d2 = NULL;
	struct edu e, e2;
	bool have2;
	int ret = iommu_init();

	if (!report_check(ret == 0, "iommu.init", "iommu_init() = %d", ret) ||
	    !report_check(the_rmp() != NULL, "shared.rmp", "SNP platform (RMP) up") ||
	    !find_edu(&e, 0))
		return;
	have2 = iommu_pci_find(EDU_VENDOR, EDU_DEVICE, 1) && find_edu(&e2, 1);
	d1 = test_domain_alloc(4);
	d2 = test_domain_alloc(4);
	ret = d1 && d2 ? guest_init(&g, "sh", 15, SH_MEM, GMEM_IOMMU_SHARED, true, &b) : -ENOMEM;
	if (!ret)
		ret = gmem_attach_domain(&g, d1->id, GMEM_NPT_LEVELS, true, &bench_ops, &b);
	if (!ret && have2)
		ret = gmem_attach_domain(&g, d2->id, 4, false, &bench_ops, &b);
	if (!ret)
		ret = gmem_populate(&g, gpa(0), MiB(8), GMEM_PRIVATE);
	if (!ret)
		ret = gmem_populate(&g, gpa(MiB(8)), MiB(8), GMEM_SHARED);
	report_check(!ret && g.nr_dom >= 1 && g.dom[0].shared, "shared.setup",
		     "guest with a trusted domain on its NPT (root 0x%llx) (%d)",
		     ret ? 0ULL : (unsigned long long)spa_val(pt_root(&g.npt)), ret);
	if (ret)
		goto out;
	/* The trusted edu's DTE: the NPT root, Mode 4 (48882 2.2.2). */
	ret = amdvi_attach(&iommu.hw, iommu_requester_id(e.bdf), d1->id,
			   gmem_domain_root(&g, &g.dom[0]), GMEM_NPT_LEVELS, true, true);
	if (!ret && have2)
		ret = amdvi_attach(&iommu.hw, iommu_requester_id(e2.bdf), d2->id,
				   gmem_domain_root(&g, &g.dom[1]), g.dom[1].pt.levels, true, true);
	if (!report_check(ret == 0, "shared.attach", "DTEs written (%d)", ret))
		goto out;
	shared_dma(&g, &e, have2 ? &e2 : NULL, have2 ? e2.bdf : 0);
	report_check(xcheck_gmem(&g) == 0 && g.st.xcheck_failures == 0, "shared.xcheck",
		     "checker clean after %llu runs", (unsigned long long)g.st.xcheck_runs);
	report_metric("shared.iotlb_invalidations", g.st.iotlb_invs, "commands");
	report_metric("shared.tlb_flushes", g.st.tlb_flushes, "flushes");
out:
	test_domain_block(e.bdf);
	if (have2)
		test_domain_block(e2.bdf);
	if (g.ready)
		gmem_destroy(&g);
	if (d1)
		test_domain_free(d1);
	if (d2)
		test_domain_free(d2);
}
