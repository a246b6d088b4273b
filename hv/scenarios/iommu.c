/* IOMMU scenarios (tests/qemu/iommu-*.cfg): PCI and the AMD IOMMU brought
 * up from ACPI, DMA through it with QEMU's edu device, invalidation and
 * blocking. Registered in hv/scenarios/scenario.c.
 *
 * The test domains below are scenario-only tables (hv/scenarios/test_domain.h)
 * built with the page-table engine. For guests, gmem (hv/core/gmem.h) is the
 * only owner of domain tables; these scenarios exercise the IOMMU side alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/tsc.h"
#include "hv/arch/x86/machine.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/mm/pmem.h"
#include "hv/base/report.h"
#include "hv/scenarios/test_domain.h"
#include "iommu/edu.h"
#include "iommu/iommu.h"

#define DMA_LEN	 0xFFFu /* the most QEMU 7.2's edu moves from buffer offset 0 */
#define NPAGES	 4
#define PAT_FILL 0xEE

static u8 sc_owner;

static bool up(void)
{
	int ret = iommu_init();

	if (!sc_owner)
		sc_owner = (u8)pmem_owner_register("scenario-iommu");
	return report_check(ret == 0, "iommu.init", "iommu_init() = %d", ret);
}

static int frame(spa_t *out)
{
	return pmem_alloc(PMEM_ORDER_4K, sc_owner, out);
}

static u8 *P(spa_t pa)
{
	return phys_ptr(pa);
}

/* A byte pattern that differs per seed and position. */
static void fill(spa_t pa, u32 len, u8 seed)
{
	u8 *p = P(pa);

	for (u32 i = 0; i < len; i++)
		p[i] = (u8)(seed + i * 7 + (i >> 8));
}

static bool all_bytes(const u8 *p, u32 len, u8 v)
{
	for (u32 i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static u64 checksum(spa_t pa, u64 len)
{
	const volatile u64 *w = phys_ptr(pa);
	u64 h = 0xcbf29ce484222325ULL;

	for (u64 i = 0; i < len / 8; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL;
	return h;
}

static bool find_edu(struct edu *e, unsigned nth)
{
	const struct pci_dev *d = iommu_pci_find(EDU_VENDOR, EDU_DEVICE, nth);
	int ret = d ? edu_probe(e, &iommu.pci, d, tsc_khz()) : -ENODEV;
	char b[8];

	if (!ret)
		ret = iommu_pci_enable_master(d->bdf);
	return report_check(ret == 0, nth ? "edu.probe2" : "edu.probe",
			    "edu #%u %s BAR0 0x%llx (%d)", nth,
			    d ? pci_bdf_str(d->bdf, b) : "absent",
			    ret ? 0ULL : (unsigned long long)spa_val(e->bar0), ret);
}

static void dma_metric(const struct edu *e)
{
	report_metric("edu.dma_time", tsc_ticks_to_ns(e->last_ticks) / 1000, "us");
}

/* ---- iommu-bringup ----------------------------------------------------------- */

static bool bars_restored(unsigned *nbars)
{
	*nbars = 0;
	for (unsigned i = 0; i < iommu.ndevs; i++) {
		const struct pci_dev *d = &iommu.devs[i];

		for (unsigned k = 0; k < d->nbars; k++) {
			const struct pci_bar *b = &d->bars[k];
			u16 reg = (u16)(PCI_BAR0 + 4 * b->index);
			u64 v = pci_read32(&iommu.pci, d->bdf, reg);

			if (b->kind == PCI_BAR_MEM64)
				v |= (u64)pci_read32(&iommu.pci, d->bdf, reg + 4) << 32;
			v &= b->kind == PCI_BAR_IO ? ~3ULL : ~0xFULL;
			if (v != b->addr)
				return false;
			(*nbars)++;
		}
	}
	return true;
}

void scenario_iommu_bringup(void)
{
	const struct pci_dev *edu;
	struct amdvi_dte blocked, dte;
	struct amdvi_unit *u0;
	u32 bad = 0, nblocked = 0, nentries = 0;
	unsigned nbars = 0;
	bool restored;
	u64 ctrl, t0, t1;
	int ret, nev;
	char b[8];
	const int nsync = 200;

	if (!up())
		return;
	/* PCI */
	report_check(iommu.pci_ok && iommu.ecam.end_bus >= iommu.ecam.start_bus, "pci.mcfg",
		     "segment 0 ECAM 0x%llx buses %02x-%02x (%u window(s))",
		     (unsigned long long)spa_val(iommu.ecam.base), iommu.ecam.start_bus,
		     iommu.ecam.end_bus, iommu.mcfg.n);
	report_check(iommu.ndevs > 2 && iommu.devs[0].bdf == 0 && !iommu.enum_stats.truncated,
		     "pci.enumerate", "%u functions, %u buses, host bridge %04x:%04x", iommu.ndevs,
		     iommu.enum_stats.buses, iommu.devs[0].vendor, iommu.devs[0].device);
	edu = iommu_pci_find(EDU_VENDOR, EDU_DEVICE, 0);
	report_check(
	    edu && edu->nbars >= 1 && edu->bars[0].index == 0 &&
		edu->bars[0].kind == PCI_BAR_MEM32 && edu->bars[0].size == MiB(1),
	    "pci.bar_sizing", "edu %s BAR0 %s size 0x%llx", edu ? pci_bdf_str(edu->bdf, b) : "-",
	    edu && edu->nbars ? (edu->bars[0].kind == PCI_BAR_MEM32 ? "mem32" : "other") : "-",
	    edu && edu->nbars ? (unsigned long long)edu->bars[0].size : 0ULL);
	restored = bars_restored(&nbars);
	report_check(restored && nbars > 0, "pci.bars_restored",
		     "%u sized BARs read back as firmware programmed them", nbars);
	/* Every IOMMU of IVRS (QEMU has one; the host tests drive four). */
	report_check(iommu.set.n >= 1 && iommu.set.nr_enabled == iommu.set.n &&
			 iommu.set.n == iommu.ivrs->nr_iommus,
		     "iommu.all_driven", "%u IOMMU(s) in IVRS, %u on segment 0, %u enabled",
		     iommu.ivrs->nr_iommus, iommu.set.n, iommu.set.nr_enabled);
	for (unsigned k = 0; k < iommu.set.n; k++) {
		const struct amdvi_unit *u = &iommu.set.unit[k];

		bad +=
		    !(u->cap_off && u->bdf == u->ivhd->devid && u->cap_off == u->ivhd->cap_offset);
		nblocked += u->cap_base != u->ivhd->base;
	}
	u0 = &iommu.set.unit[0];
	report_check(bad == 0, "pci.iommu_capability",
		     "capability 0Fh at %s+0x%02x; IVRS devid 0x%04x cap 0x%02x (%u IOMMU(s), %u "
		     "mismatch(es))",
		     pci_bdf_str(u0->bdf, b), u0->cap_off, u0->ivhd->devid, u0->ivhd->cap_offset,
		     iommu.set.n, bad);
	report_check(nblocked == 0, "pci.iommu_base_xcheck",
		     "capability block base 0x%llx, IVRS base 0x%llx (%u mismatch(es))",
		     (unsigned long long)u0->cap_base, (unsigned long long)u0->ivhd->base,
		     nblocked);
	/* IVRS */
	report_check(iommu.ivrs->nr_ivhds >= 1 && u0->ivhd->dev_count > 0, "ivrs.parsed",
		     "rev %u, %u IVHD (active type %02xh), %u device entries, max devid 0x%04x",
		     iommu.ivrs->revision, iommu.ivrs->nr_ivhds, u0->ivhd->type,
		     u0->ivhd->dev_count, u0->max_devid);
	/* Driver, per IOMMU */
	bad = 0;
	nblocked = 0;
	ctrl = ~0ULL;
	for (unsigned k = 0; k < iommu.set.n; k++) {
		const struct amdvi_unit *u = &iommu.set.unit[k];

		ctrl &= u->hw.ops->read64(u->hw.ctx, MMIO_CONTROL_OFFSET);
		amdvi_dte_blocked(&blocked, u->hw.null_root);
		for (u32 id = 0; id <= u->max_devid; id++) {
			if (amdvi_get_dte(&u->hw, (u16)id, &dte) ||
			    memcmp(&dte, &blocked, sizeof(dte)))
				bad++;
			else
				nblocked++;
		}
		nentries += u->hw.dev_entries;
	}
	report_check((ctrl & (CONTROL_IOMMU_EN | CONTROL_CMDBUF_EN | CONTROL_EVT_LOG_EN)) ==
			 (CONTROL_IOMMU_EN | CONTROL_CMDBUF_EN | CONTROL_EVT_LOG_EN),
		     "iommu.enabled", "control 0x%llx (AND over %u), EFR 0x%llx, qemu72 %d",
		     (unsigned long long)ctrl, iommu.set.n, (unsigned long long)u0->efr,
		     u0->qemu72);
	report_check(bad == 0 && nblocked == nentries, "iommu.devtab_all_blocked",
		     "%u of %u entries blocked (V=1 TV=1 mode 1 over an empty table, IR=IW=0)",
		     nblocked, nentries);
	report_check(iommu_is_blocked(edu ? edu->bdf : 0), "iommu.edu_blocked",
		     "edu requester 0x%04x starts blocked", iommu_requester_id(edu ? edu->bdf : 0));
	/* Command buffer: COMPLETION_WAIT round trips. */
	ret = 0;
	t0 = rdtsc();
	for (int i = 0; i < nsync && !ret; i++)
		ret = amdvi_sync(&u0->hw);
	t1 = rdtsc();
	report_check(ret == 0 && u0->hw.stats.sync_timeouts == 0, "iommu.completion_wait",
		     "%d round trips, %llu ns each, %llu commands so far", nsync,
		     (unsigned long long)(tsc_ticks_to_ns(t1 - t0) / nsync),
		     (unsigned long long)u0->hw.stats.commands);
	report_metric("iommu.completion_wait_rt", tsc_ticks_to_ns(t1 - t0) / nsync, "ns");
	report_metric("iommu.tsc_khz", tsc_khz(), "kHz");
	report_metric("iommu.count", iommu.set.nr_enabled, "iommus");
	t0 = rdtsc();
	ret = 0;
	for (unsigned k = 0; k < iommu.set.n && !ret; k++)
		ret = amdvi_inv_all(&iommu.set.unit[k].hw);
	t1 = rdtsc();
	report_check(ret == 0, "iommu.inv_all", "INVALIDATE_IOMMU_ALL + wait in %llu ns",
		     (unsigned long long)tsc_ticks_to_ns(t1 - t0));
	/* Event logs: enabled; QEMU 7.2 never writes them (qemu-facts.md). */
	nev = iommu_read_events();
	report_check(nev >= 0 && (ctrl & CONTROL_EVT_LOG_EN), "iommu.event_log",
		     "enabled at 0x%llx, %d event(s) read from %u IOMMU(s)%s",
		     (unsigned long long)spa_val(u0->hw.evt_log), nev, iommu.set.n,
		     iommu.qemu72 ? " (QEMU 7.2 never writes the event log: faults are not "
				    "reported here)"
				  : "");
	iommu_report();
}

/* ---- iommu-dma ------------------------------------------------------------------ */

struct dma_setup {
	struct test_domain *dom;
	spa_t frames[NPAGES];
	u64 iova;    /* IOVA of page 0 */
	spa_t decoy; /* 2M block at SPA == iova: catches untranslated DMA */
};

/* Page i of the domain maps frames[order[i]]: scattered on purpose. */
static const unsigned order[NPAGES] = {2, 0, 3, 1};

/* iova 0: at the SPA of a fresh decoy block. */
static bool build(struct dma_setup *s, unsigned levels, u64 iova, const char *tag)
{
	int ret = 0;

	memset(s, 0, sizeof(*s));
	s->dom = test_domain_alloc(levels);
	if (!s->dom)
		ret = -ENOMEM;
	if (!ret && !iova)
		ret = pmem_alloc(PMEM_ORDER_2M, sc_owner, &s->decoy);
	s->iova = iova ? iova : spa_val(s->decoy);
	for (unsigned i = 0; i < NPAGES && !ret; i++)
		ret = frame(&s->frames[i]);
	for (unsigned i = 0; i < NPAGES && !ret; i++)
		ret = test_domain_map(s->dom, s->iova + i * PAGE_SIZE, s->frames[order[i]],
				      PAGE_SIZE, PT_R | PT_W);
	if (!ret)
		ret = test_domain_flush(s->dom);
	return report_check(ret == 0, tag,
			    "%u-level domain %u: IOVA 0x%llx..+16K -> 4 scattered "
			    "frames (%d)",
			    levels, s->dom ? s->dom->id : 0, (unsigned long long)s->iova, ret);
}

static spa_t fr(const struct dma_setup *s, unsigned page)
{
	return s->frames[order[page]];
}

static void teardown(struct dma_setup *s, u16 bdf)
{
	test_domain_block(bdf);
	if (s->dom)
		test_domain_free(s->dom);
	for (unsigned i = 0; i < NPAGES; i++)
		if (spa_val(s->frames[i]))
			pmem_free(s->frames[i], PMEM_ORDER_4K, sc_owner);
	if (spa_val(s->decoy))
		pmem_free(s->decoy, PMEM_ORDER_2M, sc_owner);
}

void scenario_iommu_dma(void)
{
	struct edu e, e2;
	struct dma_setup s, s2;
	u64 pt_pages0;
	bool have2;
	int r1, r2, r3;

	if (!up() || !find_edu(&e, 0))
		return;
	pt_pages0 = test_domain_table_pages();
	if (!build(&s, 3, 0, "dma.domain"))
		return;
	report_check(!test_domain_attach(e.bdf, s.dom) && test_domain_of(e.bdf) == s.dom,
		     "dma.attach", "edu -> domain %u (root 0x%llx, mode %u)", s.dom->id,
		     (unsigned long long)spa_val(pt_root(&s.dom->pt)), s.dom->levels);

	/* RAM -> device from IOVA page 0, then device -> RAM into page 2. */
	fill(fr(&s, 0), PAGE_SIZE, 0x11);
	r1 = edu_to_device(&e, s.iova, 0, DMA_LEN);
	dma_metric(&e);
	r2 = edu_to_ram(&e, s.iova + 2 * PAGE_SIZE, 0, DMA_LEN);
	report_check(!r1 && !r2 && !memcmp(P(fr(&s, 2)), P(fr(&s, 0)), DMA_LEN) &&
			 all_bytes(P(fr(&s, 1)), PAGE_SIZE, 0) &&
			 all_bytes(P(fr(&s, 3)), PAGE_SIZE, 0),
		     "dma.roundtrip",
		     "page 0 (frame 0x%llx) -> edu -> page 2 (frame 0x%llx): %u "
		     "bytes; pages 1, 3 untouched (%d %d)",
		     (unsigned long long)spa_val(fr(&s, 0)), (unsigned long long)spa_val(fr(&s, 2)),
		     DMA_LEN, r1, r2);
	/* Across a page boundary: IOVA page 2 + 2K .. page 3 + 2K - 1. */
	r3 = edu_to_ram(&e, s.iova + 2 * PAGE_SIZE + 0x800, 0, DMA_LEN);
	report_check(
	    !r3 && !memcmp(P(fr(&s, 2)) + 0x800, P(fr(&s, 0)), 0x800) &&
		!memcmp(P(fr(&s, 3)), P(fr(&s, 0)) + 0x800, DMA_LEN - 0x800) &&
		all_bytes(P(fr(&s, 3)) + (DMA_LEN - 0x800), PAGE_SIZE - (DMA_LEN - 0x800), 0),
	    "dma.cross_page",
	    "a transfer across IOVA pages 2/3 split into frames 0x%llx and "
	    "0x%llx (%d)",
	    (unsigned long long)spa_val(fr(&s, 2)), (unsigned long long)spa_val(fr(&s, 3)), r3);
	report_check(
	    all_bytes(P(s.decoy), HUGE_SIZE, 0), "dma.translated",
	    "nothing reached SPA 0x%llx == IOVA (the DMA was translated, not passed through)",
	    (unsigned long long)spa_val(s.decoy));
	report_check(all_bytes(P(fr(&s, 1)), PAGE_SIZE, 0), "dma.no_stray",
		     "page 1 (frame 0x%llx) still zero", (unsigned long long)spa_val(fr(&s, 1)));

	/* A second edu (if the scenario adds one) in its own 4-level domain with
	 * the same IOVAs: each device's DMA lands in its own frames. */
	have2 = iommu_pci_find(EDU_VENDOR, EDU_DEVICE, 1) != NULL;
	if (have2 && find_edu(&e2, 1) && build(&s2, 4, s.iova, "dma.domain2")) {
		bool ok = !test_domain_attach(e2.bdf, s2.dom);

		fill(fr(&s2, 0), PAGE_SIZE, 0x77);
		ok = ok && !edu_to_device(&e2, s2.iova, 0, DMA_LEN) &&
		     !edu_to_ram(&e2, s2.iova + PAGE_SIZE, 0, DMA_LEN);
		report_check(ok && !memcmp(P(fr(&s2, 1)), P(fr(&s2, 0)), DMA_LEN) &&
				 all_bytes(P(fr(&s, 1)), PAGE_SIZE, 0),
			     "dma.two_domains",
			     "edu2 in domain %u (4 levels) wrote its page 1 "
			     "(frame 0x%llx); edu1's page 1 untouched",
			     s2.dom->id, (unsigned long long)spa_val(fr(&s2, 1)));
		/* edu1 reads edu2's IOVA of page 0 in its own domain: its own data. */
		ok = !edu_to_device(&e, s2.iova, 0, DMA_LEN) &&
		     !edu_to_ram(&e, s.iova + PAGE_SIZE, 0, DMA_LEN);
		report_check(ok && !memcmp(P(fr(&s, 1)), P(fr(&s, 0)), DMA_LEN) &&
				 !memcmp(P(fr(&s2, 1)), P(fr(&s2, 0)), DMA_LEN),
			     "dma.domain_isolation",
			     "edu1 at the same IOVA 0x%llx read and wrote its own domain's frames, "
			     "not edu2's",
			     (unsigned long long)s2.iova);
		teardown(&s2, e2.bdf);
	}
	teardown(&s, e.bdf);
	report_check(test_domain_table_pages() == pt_pages0 && pmem_owner_pages(sc_owner) == 0,
		     "dma.teardown", "I/O page-table pages back to %llu, scenario frames %llu",
		     (unsigned long long)test_domain_table_pages(),
		     (unsigned long long)pmem_owner_pages(sc_owner));
}

/* ---- iommu-invalidate ------------------------------------------------------------ */

void scenario_iommu_invalidate(void)
{
	struct edu e;
	struct dma_setup s;
	spa_t out;
	u64 flushes, t0, t1;
	unsigned deferred;
	bool stale;
	int r;

	if (!up() || !find_edu(&e, 0) || !build(&s, 3, 0, "inv.domain"))
		return;
	test_domain_attach(e.bdf, s.dom);
	/* Touch page 0 (RAM -> device): QEMU caches (edu, page 0) in its IOTLB. */
	fill(fr(&s, 0), PAGE_SIZE, 0x21);
	r = edu_to_device(&e, s.iova, 0, DMA_LEN);
	report_check(!r, "inv.warm", "read IOVA page 0 through the domain (%d)", r);

	/* Unmap pages 0 and 1 without invalidating. Page 0 is cached, page 1
	 * never was. */
	flushes = s.dom->flushes;
	r = test_domain_unmap(s.dom, s.iova, 2 * PAGE_SIZE);
	report_check(!r && (s.dom->pending.flags & PT_CHANGE_FLUSH) && s.dom->flushes == flushes,
		     "inv.unmap_pending",
		     "unmapped 2 pages; flush pending for [0x%llx, 0x%llx], "
		     "none sent (%d)",
		     (unsigned long long)s.dom->pending.start,
		     (unsigned long long)s.dom->pending.last, r);
	r = edu_to_ram(&e, s.iova + 0x800, 0, 0x400) ||
	    edu_to_ram(&e, s.iova + PAGE_SIZE, 0, 0x400);
	stale = !memcmp(P(fr(&s, 0)) + 0x800, P(fr(&s, 0)), 0x400);
	if (iommu.qemu72)
		report_check(!r && stale, "inv.stale_translation_used",
			     "without the invalidation the stale IOTLB entry still let the device "
			     "write frame 0x%llx",
			     (unsigned long long)spa_val(fr(&s, 0)));
	else
		report_check(!r, "inv.stale_translation_used",
			     "stale write %s (an IOTLB may or may not hold it on this IOMMU)",
			     stale ? "landed" : "blocked");
	report_check(!r && all_bytes(P(fr(&s, 1)), PAGE_SIZE, 0), "inv.uncached_page_blocked",
		     "page 1 was never cached: its write was blocked at once");

	/* Now the invalidation (one ranged INVALIDATE_IOMMU_PAGES + wait). */
	deferred = s.dom->ndeferred;
	t0 = rdtsc();
	r = test_domain_flush(s.dom);
	t1 = rdtsc();
	report_check(!r && s.dom->flushes == flushes + 1 && s.dom->ndeferred == 0, "inv.flush",
		     "1 invalidation, %u freed table page(s) released after it, %llu ns", deferred,
		     (unsigned long long)tsc_ticks_to_ns(t1 - t0));
	report_metric("iommu.inv_pages_wait", tsc_ticks_to_ns(t1 - t0), "ns");
	/* Write to page 0 again: dropped. Frame 0 keeps its contents. */
	memset(P(fr(&s, 0)), 0x5C, PAGE_SIZE);
	r = edu_to_ram(&e, s.iova, 0, DMA_LEN);
	report_check(!r && all_bytes(P(fr(&s, 0)), PAGE_SIZE, 0x5C), "inv.write_blocked",
		     "after the invalidation the device's write to the unmapped page was dropped");
	/* Read page 0: blocked reads return zeros; show it through page 2. */
	r = edu_to_device(&e, s.iova, 0, DMA_LEN);
	out = fr(&s, 2);
	memset(P(out), PAT_FILL, PAGE_SIZE);
	r = r || edu_to_ram(&e, s.iova + 2 * PAGE_SIZE, 0, DMA_LEN);
	report_check(!r && all_bytes(P(out), DMA_LEN, iommu.qemu72 ? 0 : P(out)[0]),
		     "inv.read_blocked", "the device read the unmapped page as %s",
		     all_bytes(P(out), DMA_LEN, 0) ? "zeros (QEMU 7.2: blocked read)" : "non-zero");
	/* Remap page 0 to a new frame: the device now reaches the new frame only. */
	{
		spa_t nf;

		r = frame(&nf);
		r = r || test_domain_map(s.dom, s.iova, nf, PAGE_SIZE, PT_R | PT_W) ||
		    test_domain_flush(s.dom);
		fill(fr(&s, 3), PAGE_SIZE, 0x42);
		r = r || edu_to_device(&e, s.iova + 3 * PAGE_SIZE, 0, DMA_LEN) ||
		    edu_to_ram(&e, s.iova, 0, DMA_LEN);
		report_check(!r && !memcmp(P(nf), P(fr(&s, 3)), DMA_LEN) &&
				 all_bytes(P(fr(&s, 0)), PAGE_SIZE, 0x5C),
			     "inv.remap",
			     "page 0 remapped to frame 0x%llx: the write landed there, "
			     "old frame 0x%llx untouched",
			     (unsigned long long)spa_val(nf),
			     (unsigned long long)spa_val(fr(&s, 0)));
		teardown(&s, e.bdf);
		pmem_free(nf, PMEM_ORDER_4K, sc_owner);
	}
}

/* ---- iommu-blocked ---------------------------------------------------------------- */

struct region {
	const char *what;
	spa_t base;
	u64 len;
	u64 sum;
};

void scenario_iommu_blocked(void)
{
	struct edu e;
	struct dma_setup s;
	spa_t secret, victims[4];
	struct region reg[8];
	unsigned nreg = 0, changed = 0;
	int r = 0;

	if (!up() || !find_edu(&e, 0) || !build(&s, 3, 0, "blk.domain"))
		return;
	/* Load the device buffer with a known pattern through a domain, then
	 * block the device (iommu_block also flushes the old domain). */
	test_domain_attach(e.bdf, s.dom);
	fill(fr(&s, 0), PAGE_SIZE, 0x99);
	r = edu_to_device(&e, s.iova, 0, DMA_LEN);
	report_check(!r && !test_domain_block(e.bdf) && !test_domain_of(e.bdf), "blk.block",
		     "edu loaded with a pattern, then blocked (%d)", r);
	report_check(iommu_is_blocked(e.bdf), "blk.dte", "edu's DTE is the blocking form");

	/* Victims: hypervisor image, device table, small IOMMU structures,
	 * fresh pmem frames with data, and the domain's own frames. */
	for (unsigned i = 0; i < ARRAY_SIZE(victims) && !r; i++) {
		r = frame(&victims[i]);
		if (!r)
			fill(victims[i], PAGE_SIZE, (u8)(0x30 + i));
	}
	reg[nreg++] = (struct region){"hv-image", spa(ALIGN_DOWN(hv.bi->image_base, 8)),
				      ALIGN_DOWN(hv.bi->image_size, 8), 0};
	reg[nreg++] = (struct region){"dev-table", iommu.hw.dev_table, iommu.hw.dev_table_bytes, 0};
	reg[nreg++] = (struct region){"cmd-ring", iommu.hw.cmd_buf,
				      (u64)iommu.hw.cmd_entries * CMD_ENTRY_SIZE, 0};
	reg[nreg++] = (struct region){"io-pt-root", pt_root(&s.dom->pt), PAGE_SIZE, 0};
	for (unsigned i = 0; i < ARRAY_SIZE(victims); i++)
		reg[nreg++] = (struct region){"pmem-frame", victims[i], PAGE_SIZE, 0};
	u64 total = 0;

	for (unsigned i = 0; i < nreg; i++) {
		reg[i].sum = checksum(reg[i].base, reg[i].len);
		total += reg[i].len;
	}
	/* Aim writes at all of them: at SPAs (what an untranslated device
	 * would hit) and at the domain's IOVAs. */
	for (unsigned i = 0; i < nreg && !r; i++) {
		r = edu_to_ram(&e, spa_val(reg[i].base), 0, DMA_LEN);
		if (!r && reg[i].len > 2 * PAGE_SIZE)
			r = edu_to_ram(&e, spa_val(reg[i].base) + reg[i].len / 2, 0, DMA_LEN);
	}
	r = r || edu_to_ram(&e, s.iova, 0, DMA_LEN);
	for (unsigned i = 0; i < nreg; i++)
		if (checksum(reg[i].base, reg[i].len) != reg[i].sum) {
			pr_err("blocked DMA changed %s at 0x%llx\n", reg[i].what,
			       (unsigned long long)spa_val(reg[i].base));
			changed++;
		}
	report_check(!r && changed == 0, "blk.writes_dropped",
		     "%u regions, %llu KiB checksummed before/after %u blocked writes: %u changed",
		     nreg, (unsigned long long)(total >> 10), nreg + 3, changed);
	report_metric("blk.checksummed", total >> 10, "KiB");
	report_check(all_bytes(P(fr(&s, 1)), PAGE_SIZE, 0) && all_bytes(P(s.decoy), HUGE_SIZE, 0),
		     "blk.domain_untouched",
		     "the former domain's frames and the decoy stayed zero");

	/* A blocked read of a secret: the device buffer must not get it. */
	r = frame(&secret);
	if (!r)
		fill(secret, PAGE_SIZE, 0xC5);
	r = r || edu_to_device(&e, spa_val(secret), 0, DMA_LEN);
	/* Reattach to read the buffer out into page 2. */
	memset(P(fr(&s, 2)), PAT_FILL, PAGE_SIZE);
	r = r || test_domain_attach(e.bdf, s.dom) ||
	    edu_to_ram(&e, s.iova + 2 * PAGE_SIZE, 0, DMA_LEN);
	report_check(
	    !r && memcmp(P(fr(&s, 2)), P(secret), 64) && memcmp(P(fr(&s, 2)), P(fr(&s, 0)), 64),
	    "blk.read_blocked", "the blocked read of a secret frame left the device with %s",
	    all_bytes(P(fr(&s, 2)), DMA_LEN, 0) ? "zeros (QEMU 7.2)" : "no secret");
	teardown(&s, e.bdf);
	for (unsigned i = 0; i < ARRAY_SIZE(victims); i++)
		pmem_free(victims[i], PMEM_ORDER_4K, sc_owner);
	if (spa_val(secret))
		pmem_free(secret, PMEM_ORDER_4K, sc_owner);
}
