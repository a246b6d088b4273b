/* Device passthrough into guests: DMA fed only by gmem (hv/vm/guest_dev.h,
 * docs/devices.md).
 *
 * Model: a guest's devices of one trust class share ONE IOMMU domain that
 * gmem owns and feeds (gmem_attach_domain: a pt_fmt_amdv1 table built from
 * the ledger, changed only inside gmem's transactions). Untrusted domains map
 * shared memory only, trusted ones private memory too (I6). The device's DTE
 * points at gmem's table (AMD IOMMU 48882 2.2.2: V=1, TV=1, Mode, DomainID,
 * IR=IW=1); gmem invalidates through gmem_amdvi_ops (48882 2.4.3
 * INVALIDATE_IOMMU_PAGES queued per domain, 2.4.1 COMPLETION_WAIT as sync).
 * BAR0 goes into the guest's NPT only (gmem_map_mmio: uncached, NX); no
 * domain maps it, so there is no peer-to-peer path.
 *
 * HC_DMA_PHASE: the hypervisor checksums every pmem frame except the running
 * guest's data frames and vCPU pages (its heap, page tables, RMP, IOMMU
 * structures, free frames, other guests' memory and tables) when the guest
 * begins its DMA phase and again when it ends it, and reports what changed.
 * The IOMMUs' event logs are the one exception: the IOMMU itself writes them
 * when it blocks a DMA (48882 2.5).
 *
 * IOMMU events (48882 2.5: ILLEGAL_DEV_TABLE_ENTRY, IO_PAGE_FAULT, ...) are
 * drained at the end of every DMA phase, before a guest's devices are
 * released and at the end of the run, and counted per device (DeviceID ->
 * the BDF holding that requester ID) and per guest holding the device. */
#include "hv/vm/guest_dev.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/core/gmem.h"
#include "hv/svm/guest.h"
#include "hv/vm/guest_gmem.h"
#include "hv/abi/hypercall.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/mm/pmem.h"
#include "hv/base/report.h"
#include "snp/platform.h"
#include "iommu/amdvi_fmt.h"
#include "iommu/iommu.h"

/* ---- gmem -> AMD-Vi ----------------------------------------------------------------- */

/* 48882 2.4.3: INVALIDATE_IOMMU_PAGES for the domain (S/PDE set for a
 * range), queued on every IOMMU with a device of the domain, not waited for:
 * gmem sends one sync per domain per round. */
static int dev_inv_range(void *ctx, u16 domain_id, u64 iova, u64 size)
{
	(void)ctx;
	return iommu_inv_queue(domain_id, iova, size);
}

/* 48882 2.4.1: COMPLETION_WAIT with the store bit, polled, once on each IOMMU
 * that got commands. */
static int dev_sync(void *ctx)
{
	(void)ctx;
	return iommu_inv_sync();
}

static const struct gmem_iommu_ops gmem_amdvi_ops = {dev_inv_range, dev_sync};

/* ---- per-guest state ---------------------------------------------------------------- */

struct gdev {
	u16 bdf;
	bool trusted;
	bool attached, mapped;
	const struct pci_dev *pd;
	spa_t bar;
	u64 bar_size;
	gpa_t bar_gpa;
};

struct gdevs {
	struct guest *g;
	unsigned n;
	struct gdev d[CFG_MAX_DEVICES];
	u16 dom_id[2]; /* [trusted]: 0 = none */
	/* HC_DMA_PHASE */
	bool phase;
	u64 phase_slices;
};

static struct gdevs gd[CFG_MAX_GUESTS];
/* Every live guest (with or without devices), for the cross-guest targets
 * and checksums: registered by guest_dev_assign, dropped by guest_dev_put. */
static struct guest *known[CFG_MAX_GUESTS];

static struct guest *guest_by_index(unsigned i)
{
	return i < CFG_MAX_GUESTS ? known[i] : NULL;
}

static struct gdevs *gd_of(struct guest *g)
{
	return g->id < CFG_MAX_GUESTS && gd[g->id].g == g ? &gd[g->id] : NULL;
}

static const struct pci_dev *find_pci(u16 bdf)
{
	for (unsigned i = 0; i < iommu.ndevs; i++)
		if (iommu.devs[i].bdf == bdf)
			return &iommu.devs[i];
	return NULL;
}

/* The live guest (other than g) that holds bdf, or NULL. */
static struct guest *holder_of(u16 bdf, const struct guest *g)
{
	for (unsigned i = 0; i < CFG_MAX_GUESTS; i++) {
		if (!gd[i].g || gd[i].g == g)
			continue;
		for (unsigned k = 0; k < gd[i].n; k++)
			if (gd[i].d[k].bdf == bdf)
				return gd[i].g;
	}
	return NULL;
}

static u64 bar_window(const struct guest *g)
{
	return MAX(GUEST_DEV_BAR_BASE, ALIGN_UP(g->mem_size, GIGA_SIZE));
}

static int refuse(struct guest *g, u16 bdf, int err, const char *why)
{
	char b[8];

	pci_bdf_str(bdf, b);
	pr_err("guest %s: device %s: %s: the guest is not started\n", g->name, b, why);
	guest_finish(g, GUEST_KILLED, "device %s: %s", b, why);
	return err;
}

/* Every device line of g, before anything changes. */
static int validate(struct guest *g, struct gdevs *s)
{
	const struct cfg_guest *c = g->cfg;
	char why[96];

	for (unsigned i = 0; i < c->n_devices; i++) {
		u16 bdf = c->devices[i].bdf;
		const struct pci_dev *pd = find_pci(bdf);
		const struct pci_bar *bar = NULL;
		struct guest *h;

		for (unsigned k = 0; k < i; k++)
			if (c->devices[k].bdf == bdf)
				return refuse(g, bdf, -EINVAL, "listed twice");
		if (!pd)
			return refuse(g, bdf, -ENODEV, "no such PCI function (not enumerated)");
		if (iommu_is_iommu_function(bdf))
			return refuse(g, bdf, -EPERM, "is the IOMMU itself");
		if (pd->hdr_type != PCI_HEADER_TYPE_NORMAL)
			return refuse(g, bdf, -EINVAL, "is a bridge, not an endpoint");
		if ((h = holder_of(bdf, g))) {
			snprintf(why, sizeof(why), "already given to guest %s", h->name);
			return refuse(g, bdf, -EBUSY, why);
		}
		if (iommu_alias_ok(bdf))
			return refuse(g, bdf, -EBUSY,
				      "would DMA as another bus-0 device under QEMU 7.2");
		for (unsigned k = 0; k < pd->nbars; k++)
			if (pd->bars[k].index == 0)
				bar = &pd->bars[k];
		if (!bar || (bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64) ||
		    !bar->addr || bar->size < PAGE_SIZE || bar->size > GUEST_DEV_BAR_SLOT ||
		    !IS_ALIGNED(bar->addr, PAGE_SIZE))
			return refuse(g, bdf, -EINVAL,
				      "BAR0 is not a page-aligned memory BAR of 4K..16M");
		s->d[i] = (struct gdev){
		    .bdf = bdf,
		    .trusted = c->devices[i].trusted,
		    .pd = pd,
		    .bar = spa(bar->addr),
		    .bar_size = bar->size,
		    .bar_gpa = gpa(bar_window(g) + i * GUEST_DEV_BAR_SLOT),
		};
	}
	return 0;
}

static s64 dev_hc(struct vcpu *v, u64 nr, u64 a1, u64 a2, u64 a3);
struct evt_phase;
static int evt_drain(struct evt_phase *ph);

/* DTE Mode of a gmem domain: its own table's, or the NPT's when shared. */
static unsigned dom_levels(const struct gmem *gm, const struct gmem_domain *dom)
{
	return dom->shared ? gm->npt.levels : dom->pt.levels;
}

int guest_dev_assign(struct guest *g)
{
	struct gmem *gm = guest_gmem(g);
	struct gdevs *s;
	char b[8];
	int ret;

	if (g->id < CFG_MAX_GUESTS)
		known[g->id] = g;
	dev_hc_hook = dev_hc;
	if (!g->cfg || !g->cfg->n_devices)
		return 0;
	if (g->id >= CFG_MAX_GUESTS || !gm)
		return refuse(g, g->cfg->devices[0].bdf, -EINVAL, "guest has no gmem");
	ret = iommu_init();
	if (ret)
		return refuse(g, g->cfg->devices[0].bdf, ret, "the IOMMU could not be brought up");
	s = &gd[g->id];
	memset(s, 0, sizeof(*s));
	s->g = g;
	ret = validate(g, s);
	if (ret) {
		s->g = NULL;
		return ret;
	}
	s->n = g->cfg->n_devices;
	/* One domain per trust class: untrusted = shared memory only (I6). */
	for (int t = 0; t < 2; t++) {
		bool any = false;
		int id;

		for (unsigned i = 0; i < s->n; i++)
			any |= s->d[i].trusted == (bool)t;
		if (!any)
			continue;
		id = iommu_domain_id_alloc();
		if (id < 0)
			return refuse(g, s->d[0].bdf, id, "no free IOMMU domain ID");
		s->dom_id[t] = (u16)id;
		ret = gmem_attach_domain(gm, (u16)id, GUEST_DEV_IOMMU_LEVELS, t, &gmem_amdvi_ops,
					 NULL);
		if (ret) {
			iommu_domain_id_free((u16)id);
			s->dom_id[t] = 0;
			return refuse(g, s->d[0].bdf, ret, "gmem could not build the IOMMU domain");
		}
	}
	for (unsigned i = 0; i < s->n; i++) {
		struct gdev *d = &s->d[i];
		u16 id = s->dom_id[d->trusted];
		const struct gmem_domain *dom = NULL;

		for (unsigned k = 0; k < gm->nr_dom; k++)
			if (gm->dom[k].id == id)
				dom = &gm->dom[k];
		if (!dom)
			return refuse(g, d->bdf, -EIO, "lost its gmem domain");
		/* iommu_mode = shared: a trusted domain's table is the NPT. */
		ret =
		    iommu_attach_table(d->bdf, id, gmem_domain_root(gm, dom), dom_levels(gm, dom));
		if (ret)
			return refuse(g, d->bdf, ret, "its DTE could not be written");
		d->attached = true;
		/* A reused domain ID: nothing of an earlier owner may stay cached. */
		ret = iommu_inv_domain_id(id);
		if (ret)
			return refuse(g, d->bdf, ret, "the domain invalidation failed");
		ret = gmem_map_mmio(gm, d->bar_gpa, d->bar, d->bar_size);
		if (ret)
			return refuse(g, d->bdf, ret, "BAR0 could not be mapped into the NPT");
		d->mapped = true;
		/* Memory decode for the BAR, bus mastering on it and every bridge above. */
		pci_command_update(&iommu.pci, d->bdf, 0, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		iommu_pci_enable_master(d->bdf);
		pr_info("guest %s: device %s (%04x:%04x) %s, domain %u (%u levels, root 0x%llx), "
			"BAR0 0x%llx/%lluK at GPA 0x%llx (uncached, NX)\n",
			g->name, pci_bdf_str(d->bdf, b), d->pd->vendor, d->pd->device,
			d->trusted ? "trusted" : "untrusted", id, dom_levels(gm, dom),
			(unsigned long long)spa_val(gmem_domain_root(gm, dom)),
			(unsigned long long)spa_val(d->bar),
			(unsigned long long)(d->bar_size >> 10),
			(unsigned long long)gpa_val(d->bar_gpa));
	}
	return 0;
}

void guest_dev_detach(struct guest *g)
{
	struct gdevs *s = gd_of(g);
	struct gmem *gm = guest_gmem(g);
	char b[8], name[64];

	if (!s)
		return;
	/* events while the devices still name their guest */
	if (evt_drain(NULL) < 0)
		pr_err("guest %s: an IOMMU event log could not be read\n", g->name);
	for (unsigned i = 0; i < s->n; i++) {
		struct gdev *d = &s->d[i];
		bool blocked;

		if (!d->attached && !d->mapped)
			continue;
		/* Stop the device first, then block it (48882 2.2.2: TV=1, Mode 0,
		 * IR=IW=0), then invalidate below: only after that may gmem free
		 * memory the device could have reached (I7). */
		pci_command_update(&iommu.pci, d->bdf, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY, 0);
		if (d->attached && iommu_block(d->bdf))
			pr_err("guest %s: device %s could not be blocked\n", g->name,
			       pci_bdf_str(d->bdf, b));
		blocked = iommu_is_blocked(d->bdf);
		snprintf(name, sizeof(name), "dev.%s.%s.blocked", g->name, pci_bdf_str(d->bdf, b));
		report_check(blocked, name,
			     "DTE of requester 0x%04x back to the blocking form "
			     "before the guest's memory is freed",
			     iommu_requester_id(d->bdf));
		d->attached = false;
		if (d->mapped && gm)
			gmem_unmap_mmio(gm, d->bar_gpa);
		d->mapped = false;
	}
	for (int t = 0; t < 2; t++)
		if (s->dom_id[t] && iommu_inv_domain_id(s->dom_id[t]))
			pr_err("guest %s: invalidating domain %u failed\n", g->name, s->dom_id[t]);
}

void guest_dev_put(struct guest *g)
{
	struct gdevs *s = gd_of(g);

	if (g->id < CFG_MAX_GUESTS && known[g->id] == g)
		known[g->id] = NULL;
	if (!s)
		return;
	for (int t = 0; t < 2; t++)
		if (s->dom_id[t])
			iommu_domain_id_free(s->dom_id[t]);
	memset(s, 0, sizeof(*s));
}

/* ---- IOMMU events (48882 2.5) ----------------------------------------------------- */

#define EVT_ROWS  16 /* (guest, device) pairs counted; more go to the last row */
#define EVT_SHOW  4  /* the first events are printed decoded */
#define EVT_TYPES 16 /* event codes are 4 bits (2.5, bits 63:60) */

struct evt_row {
	u16 devid; /* the device's BDF when a guest holds it, else the requester ID */
	char guest[CFG_NAME_MAX + 1]; /* "hv": no guest held the device */
	u64 n[EVT_TYPES];
};

static struct {
	struct evt_row row[EVT_ROWS];
	unsigned nrows;
	u64 total, shown;
} evt;

/* The guest holding the device whose requester ID is devid (the BDF itself
 * or its IVRS / QEMU 7.2 alias), and that device's BDF. */
static struct guest *evt_owner(u16 devid, u16 *bdf)
{
	for (unsigned i = 0; i < CFG_MAX_GUESTS; i++) {
		if (!gd[i].g)
			continue;
		for (unsigned k = 0; k < gd[i].n; k++) {
			u16 b = gd[i].d[k].bdf;

			if (b == devid || iommu_requester_id(b) == devid) {
				*bdf = b;
				return gd[i].g;
			}
		}
	}
	*bdf = devid;
	return NULL;
}

/* A DMA phase's drain: events of the phase's guest's devices and of others. */
struct evt_phase {
	const struct guest *g;
	u64 own, other;
};

static void evt_one(void *ctx, const struct amdvi_unit *u, const struct amdvi_event *ev)
{
	struct evt_phase *ph = ctx; /* NULL outside a DMA phase */
	u16 bdf;
	struct guest *g = evt_owner(ev->devid, &bdf);
	const char *who = g ? g->name : "hv";
	struct evt_row *r = NULL;
	char line[160], b[8];

	for (unsigned i = 0; i < evt.nrows && !r; i++)
		if (evt.row[i].devid == bdf && !strcmp(evt.row[i].guest, who))
			r = &evt.row[i];
	if (!r && evt.nrows < EVT_ROWS) {
		r = &evt.row[evt.nrows++];
		r->devid = bdf;
		snprintf(r->guest, sizeof(r->guest), "%s", who);
	}
	if (!r)
		r = &evt.row[EVT_ROWS - 1];
	r->n[ev->type & (EVT_TYPES - 1)]++;
	evt.total++;
	if (ph && g == ph->g)
		ph->own++;
	else if (ph)
		ph->other++;
	if (evt.shown < EVT_SHOW) {
		evt.shown++;
		amdvi_event_format(ev, line, sizeof(line));
		pr_info("iommu %s: event %s -> %s %s\n", pci_bdf_str(u->bdf, b), line,
			g ? "guest" : "no guest", who);
	}
}

/* Drains every IOMMU's event log into the table; returns the events read
 * (< 0: a log could not be read). */
static int evt_drain(struct evt_phase *ph)
{
	if (!iommu.up)
		return 0;
	return amdvi_set_read_events(&iommu.set, evt_one, ph);
}

/* The page at pa belongs to an IOMMU event log: the IOMMU writes it itself
 * when it blocks a DMA (QEMU >= 10, hardware), so a DMA phase may change it. */
static bool in_event_log(u64 pa)
{
	for (unsigned k = 0; k < iommu.set.n; k++) {
		const struct amdvi *m = &iommu.set.unit[k].hw;
		u64 b = spa_val(m->evt_log), len = (u64)m->evt_entries * EVENT_ENTRY_SIZE;

		if (b && pa >= ALIGN_DOWN(b, PAGE_SIZE) && pa < b + len)
			return true;
	}
	return false;
}

/* QEMU 7.2's IOMMU never writes its event log (qemu-facts.md). It is told
 * by its EFR (0x29D3) AND an IVHD of type 10h: QEMU 11.1 reports the same
 * EFR but describes its IOMMU with an IVHD 11h, and does write the log. */
static bool evt_log_dead(void)
{
	for (unsigned k = 0; k < iommu.set.n; k++) {
		const struct amdvi_unit *u = &iommu.set.unit[k];

		if (u->qemu72 && u->ivhd && u->ivhd->type == 0x10)
			return true;
	}
	return false;
}

static u64 event_log_bytes(void)
{
	u64 n = 0;

	for (unsigned k = 0; k < iommu.set.n; k++)
		n += ALIGN_UP((u64)iommu.set.unit[k].hw.evt_entries * EVENT_ENTRY_SIZE, PAGE_SIZE);
	return n;
}

static const char *const evt_short[EVT_TYPES] = {
    [EVENT_TYPE_ILL_DEV] = "ill-dte",	  [EVENT_TYPE_IO_FAULT] = "io-pf",
    [EVENT_TYPE_DEV_TAB_ERR] = "dte-hw",  [EVENT_TYPE_PAGE_TAB_ERR] = "pt-hw",
    [EVENT_TYPE_ILL_CMD] = "ill-cmd",	  [EVENT_TYPE_CMD_HARD_ERR] = "cmd-hw",
    [EVENT_TYPE_IOTLB_INV_TO] = "inv-to", [EVENT_TYPE_INV_DEV_REQ] = "dev-req",
};

void guest_dev_events_report(void)
{
	u64 per_guest[EVT_ROWS][EVT_TYPES];
	char name[96], b[8];
	int ret;

	if (!iommu.up)
		return;
	ret = evt_drain(NULL);
	if (ret < 0)
		pr_err("iommu: an event log could not be read (%d)\n", ret);
	printf("\n%-15s %-8s", "iommu events", "device");
	for (unsigned t = 1; t <= EVENT_TYPE_INV_DEV_REQ; t++)
		printf(" %7s", evt_short[t]);
	printf(" %7s\n", "other");
	memset(per_guest, 0, sizeof(per_guest));
	for (unsigned i = 0; i < evt.nrows; i++) {
		const struct evt_row *r = &evt.row[i];
		u64 other = 0;
		unsigned gi = i;

		printf("%-15s %-8s", r->guest, pci_bdf_str(r->devid, b));
		for (unsigned t = 1; t < EVT_TYPES; t++) {
			if (t <= EVENT_TYPE_INV_DEV_REQ)
				printf(" %7llu", (unsigned long long)r->n[t]);
			else
				other += r->n[t];
		}
		printf(" %7llu\n", (unsigned long long)(other + r->n[0]));
		/* the guest's first row carries its totals */
		for (unsigned k = 0; k < i; k++)
			if (!strcmp(evt.row[k].guest, r->guest)) {
				gi = k;
				break;
			}
		for (unsigned t = 0; t < EVT_TYPES; t++) {
			per_guest[gi][t] += r->n[t];
			if (!r->n[t])
				continue;
			snprintf(name, sizeof(name), "iommu.events.%s.%s.%s", r->guest,
				 pci_bdf_str(r->devid, b), amdvi_event_name(t));
			report_metric(name, r->n[t], "events");
		}
	}
	for (unsigned i = 0; i < evt.nrows; i++)
		for (unsigned t = 0; t < EVT_TYPES; t++) {
			if (!per_guest[i][t])
				continue;
			snprintf(name, sizeof(name), "iommu.events.%s.%s", evt.row[i].guest,
				 amdvi_event_name(t));
			report_metric(name, per_guest[i][t], "events");
		}
	printf("(%llu events from %u IOMMU(s)%s; \"hv\": a device no guest held)\n\n",
	       (unsigned long long)evt.total, iommu.set.n,
	       evt_log_dead() ? "; QEMU 7.2 never writes its event log" : "");
	report_metric("iommu.events.total", evt.total, "events");
}

/* ---- hypercalls ---------------------------------------------------------------------- */

static s64 hc_dev_info(struct guest *g, u64 n, u64 where, u64 size)
{
	struct gdevs *s = gd_of(g);
	struct hc_dev_info info;
	const struct gdev *d;

	if (!s || n >= s->n)
		return HC_EINVAL;
	d = &s->d[n];
	memset(&info, 0, sizeof(info));
	info.bdf = d->bdf;
	info.vendor = d->pd->vendor;
	info.device = d->pd->device;
	info.trusted = d->trusted;
	info.count = s->n;
	info.bar0_gpa = gpa_val(d->bar_gpa);
	info.bar0_size = d->bar_size;
	size = MIN(size, (u64)sizeof(info));
	if (hc_write(g, HC_DEV_INFO, where, &info, size))
		return HC_EFAULT;
	return (s64)size;
}

/* Per pmem owner: a hash of its frames' contents and how many there are. */
static u64 sum_before[256], sum_after[256], pages_before[256], pages_after[256];

static bool phase_skips(u8 own, u8 skip_mem, u8 skip_vcpu)
{
	return own == PMEM_OWNER_NOT_RAM || own == skip_mem || own == skip_vcpu;
}

/* Page-table pages the CPU walks: the processor sets Accessed/Dirty (bits 5
 * and 6, APM vol 2, 5.4.1 and 15.25.5) on its own; those bits are not DMA. */
static bool ad_masked(u8 own)
{
	const char *n = pmem_owner_name(own);
	size_t l = strlen(n);

	return !strcmp(n, "hv-pagetables") || (l > 4 && !strcmp(n + l - 4, "-npt"));
}

static void checksum_all(u8 skip_mem, u8 skip_vcpu, u64 *sum, u64 *pages)
{
	u64 end = spa_val(pmem_span_end()), mask[256];

	for (unsigned o = 0; o < 256; o++)
		mask[o] = ad_masked((u8)o) ? ~0x60ULL : ~0ULL;

	memset(sum, 0, 256 * sizeof(u64));
	memset(pages, 0, 256 * sizeof(u64));
	for (u64 pa = spa_val(pmem_span_base()); pa < end; pa += PAGE_SIZE) {
		u8 own = pmem_owner_of(spa(pa));
		const u64 *w;
		u64 h = pa;

		if (phase_skips(own, skip_mem, skip_vcpu) || in_event_log(pa))
			continue;
		w = phys_ptr(spa(pa));
		for (unsigned i = 0; i < PAGE_SIZE / 8; i += 4)
			h = (h ^ (w[i] & mask[own]) ^ ((w[i + 1] & mask[own]) << 1) ^
			     ((w[i + 2] & mask[own]) << 2) ^ ((w[i + 3] & mask[own]) << 3)) *
			    0x100000001b3ULL;
		sum[own] = (sum[own] ^ h) * 0xff51afd7ed558ccdULL + pa;
		pages[own]++;
	}
}

/* The addresses a guest may aim its DMA at to prove isolation: hypervisor
 * structures and another guest's frames as IOVAs (SPAs: test ABI, documented),
 * and GPAs beyond its RAM. */
static unsigned fill_targets(struct guest *g, struct hc_dma_targets *t)
{
	struct gmem *gm = guest_gmem(g);
	unsigned n = 0;

#define TGT(a, k, w)                                                                               \
	do {                                                                                       \
		if (n < HC_DMA_TARGETS_MAX) {                                                      \
			t->t[n].addr = (a);                                                        \
			t->t[n].kind = (k);                                                        \
			snprintf(t->t[n].what, sizeof(t->t[n].what), "%s", (w));                   \
			n++;                                                                       \
		}                                                                                  \
	} while (0)
	TGT(g->mem_size, HC_DMA_T_GPA, "gpa-beyond-ram");
	TGT(g->mem_size + 7 * PAGE_SIZE, HC_DMA_T_GPA, "gpa-beyond-ram+7p");
	if (gm) {
		TGT(spa_val(virt_to_phys(hva_from_ptr(gm->ledger))), HC_DMA_T_HV, "hv-heap-ledger");
		TGT(spa_val(pt_root(&gm->npt)), HC_DMA_T_HV, "own-npt-root");
		if (gm->nr_dom)
			TGT(spa_val(gmem_domain_root(gm, &gm->dom[0])), HC_DMA_T_HV,
			    "own-iommu-root");
	}
	TGT(spa_val(iommu.hw.dev_table), HC_DMA_T_HV, "iommu-dev-table");
	TGT(spa_val(iommu.hw.cmd_buf), HC_DMA_T_HV, "iommu-cmd-ring");
	if (g->plat->enabled)
		TGT(spa_val(g->plat->rmp.base), HC_DMA_T_HV, "rmp-table");
	/* Other live guests: a frame of theirs by SPA, and their GPA range beyond
	 * ours in our own address space. */
	for (unsigned i = 0; i < CFG_MAX_GUESTS; i++) {
		struct guest *og = guest_by_index(i);
		struct gmem *ogm;
		struct gmem_rec r;

		if (!og || og == g || !(ogm = guest_gmem(og)))
			continue;
		if (!gmem_lookup(ogm, gpa(HUGE_SIZE), &r))
			TGT(spa_val(r.spa), HC_DMA_T_GUEST, "other-guest-frame");
		if (og->mem_size > g->mem_size)
			TGT(og->mem_size - HUGE_SIZE, HC_DMA_T_GUEST, "other-guest-gpa");
	}
#undef TGT
	t->n = n;
	return n;
}

static s64 hc_dma_phase(struct guest *g, u64 op, u64 where, u64 size)
{
	struct gdevs *s = gd_of(g);
	struct gmem *gm = guest_gmem(g);
	static struct hc_dma_targets t;
	u64 changed = 0, bytes = 0, other = 0, hvb = 0;
	char name[64], first[64] = "";
	struct evt_phase ph = {0};
	int nev;

	if (!s || !gm)
		return HC_EINVAL;
	if (op == HC_DMA_BEGIN) {
		if (s->phase)
			return HC_EINVAL;
		memset(&t, 0, sizeof(t));
		fill_targets(g, &t);
		if (where && hc_write(g, HC_DMA_PHASE, where, &t, MIN(size, (u64)sizeof(t))))
			return HC_EFAULT;
		s->phase = true;
		s->phase_slices = g->slices;
		/* Last: nothing the hypervisor does from here to the guest's next
		 * exit writes the frames summed (no printing, no allocation). */
		checksum_all(gm->own_mem, g->owner, sum_before, pages_before);
		return (s64)t.n;
	}
	if (op != HC_DMA_END || !s->phase)
		return HC_EINVAL;
	checksum_all(gm->own_mem, g->owner, sum_after, pages_after);
	s->phase = false;
	ph.g = g;
	nev = evt_drain(&ph);
	for (unsigned o = 0; o < 256; o++) {
		bool is_guest = false;
		const char *on = pmem_owner_name((u8)o);

		if (!pages_before[o] && !pages_after[o])
			continue;
		bytes += pages_after[o] * PAGE_SIZE;
		/* another guest's frames or tables ("g<name>-...") or vCPU pages */
		for (unsigned i = 0; i < CFG_MAX_GUESTS; i++) {
			struct guest *og = guest_by_index(i);
			struct gmem *ogm;

			if (og && og != g && (ogm = guest_gmem(og)) &&
			    (o == ogm->own_mem || o == ogm->own_npt || o == ogm->own_iommu ||
			     o == og->owner))
				is_guest = true;
		}
		if (is_guest)
			other += pages_after[o] * PAGE_SIZE;
		else
			hvb += pages_after[o] * PAGE_SIZE;
		if (sum_before[o] != sum_after[o] || pages_before[o] != pages_after[o]) {
			changed++;
			if (!first[0])
				snprintf(first, sizeof(first), "%s", on);
		}
	}
	snprintf(name, sizeof(name), "dev.%s.dma_phase_memory_unchanged", g->name);
	report_check(!changed, name,
		     "%llu KiB hypervisor/free + %llu KiB other guests checksummed around the DMA "
		     "phase (%llu owners changed%s%s; %llu slice ends in between; the IOMMU "
		     "event log, %llu KiB, not summed)",
		     (unsigned long long)(hvb >> 10), (unsigned long long)(other >> 10),
		     (unsigned long long)changed, first[0] ? ", first " : "", first,
		     (unsigned long long)(g->slices - s->phase_slices),
		     (unsigned long long)(event_log_bytes() >> 10));
	/* 48882 2.5: what the IOMMU logged while only this guest ran DMA must
	 * name this guest's devices. */
	snprintf(name, sizeof(name), "dev.%s.dma_phase_events_own", g->name);
	report_check(nev >= 0 && !ph.other, name,
		     "%llu IOMMU events during the phase from the guest's devices, %llu from "
		     "others (drain %d)%s",
		     (unsigned long long)ph.own, (unsigned long long)ph.other, nev,
		     evt_log_dead() ? "; QEMU 7.2 never writes its event log" : "");
	report_metric("dev.dma_phase_checksum_bytes", bytes, "bytes");
	return (s64)changed;
}

static s64 dev_hc(struct vcpu *v, u64 nr, u64 a1, u64 a2, u64 a3)
{
	struct guest *g = v->guest;

	switch (nr) {
	case HC_DEV_INFO:
		return hc_dev_info(g, a1, a2, a3);
	case HC_DMA_PHASE:
		return hc_dma_phase(g, a1, a2, a3);
	default:
		return HC_ENOSYS;
	}
}
