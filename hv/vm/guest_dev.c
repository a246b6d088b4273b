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
 * domain maps it, so there is no peer-to-peer path. Before that, BAR0 as its
 * register reads at assignment must lie inside a PCI window and clear of
 * everything the hypervisor or firmware owns and of every other BAR
 * (iommu/bar_policy.h, the policy built once from the memory map, ACPI, MCFG,
 * IVRS and the PCI list); it is read again after memory decode is enabled,
 * and registered with xcheck as validated for this guest.
 *
 * What a guest may learn of its devices (HC_DEV_INFO) is copied into struct
 * guest (g->devs), where hv/svm/exits.c answers it. HC_DMA_PHASE, which
 * checksums memory around a guest's DMA, is test-only: hv/scenarios/hc_test.c.
 *
 * IOMMU events (48882 2.5: ILLEGAL_DEV_TABLE_ENTRY, IO_PAGE_FAULT, ...) are
 * drained at the end of every DMA phase (hc_test.c), before a guest's devices
 * are released and at the end of the run, and counted per device (DeviceID ->
 * the BDF holding that requester ID) and per guest holding the device. */
#include "hv/vm/guest_dev.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot/boot_info.h"
#include "hv/arch/x86/acpi.h"
#include "hv/arch/x86/cpufeat.h"
#include "hv/arch/x86/machine.h"
#include "hv/core/gmem.h"
#include "hv/core/xcheck.h"
#include "hv/svm/guest.h"
#include "hv/vm/guest_gmem.h"
#include "hv/vm/guest_vpci.h"
#include "hv/abi/hypercall.h"
#include "hv/base/log.h"
#include "hv/base/report.h"
#include "iommu/amdvi_fmt.h"
#include "iommu/bar_policy.h"
#include "iommu/iommu.h"
#include "snp/psp.h"

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
	struct pci_bar vbar; /* BAR0 as validated (live address) */
	spa_t bar;
	u64 bar_size;
	gpa_t bar_gpa;
};

struct gdevs {
	struct guest *g;
	unsigned n;
	struct gdev d[CFG_MAX_DEVICES];
	u16 dom_id[2]; /* [trusted]: 0 = none */
};

static struct gdevs gd[CFG_MAX_GUESTS];
/* Every live guest (with or without devices), for the cross-guest targets
 * and checksums: registered by guest_dev_assign, dropped by guest_dev_put. */
static struct guest *known[CFG_MAX_GUESTS];

struct guest *guest_dev_live(unsigned i)
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

/* ---- where a BAR may lie (docs/devices.md "Which BAR addresses are accepted") ------ */

static struct bar_policy policy;
static bool policy_built;
static struct pci_dev live[IOMMU_MAX_PCI_DEVS];

/* UEFI 2.9 7.2 memory types, folded by the loader (boot/boot_info.h). */
static const char *mem_what(u32 kind, bool *ram)
{
	*ram = kind == BOOT_MEM_USABLE || kind == BOOT_MEM_LOADER || kind == BOOT_MEM_RUNTIME ||
	       kind == BOOT_MEM_ACPI;
	switch (kind) {
	case BOOT_MEM_USABLE:
		return "RAM (conventional memory)";
	case BOOT_MEM_LOADER:
		return "loader/boot-services memory";
	case BOOT_MEM_RUNTIME:
		return "UEFI runtime memory";
	case BOOT_MEM_ACPI:
		return "ACPI reclaim/NVS memory";
	case BOOT_MEM_MMIO:
		return "firmware MMIO (memory map)";
	default:
		return "reserved memory";
	}
}

static void own(u64 base, u64 size, bool ram, const char *what)
{
	if (bar_policy_own(&policy, base, size, ram, what) == -ENOSPC)
		pr_err("devices: the BAR policy is full at %s: every BAR will be refused\n", what);
}

/* Built once, at the first assignment (the IOMMU is up: MCFG, IVRS and the
 * PCI list are known). Specific names first: the first owned range a BAR
 * touches names it in the refusal. */
static void build_policy(void)
{
	const struct boot_info *bi = hv.bi;
	u64 sp = (u64)(uintptr_t)__builtin_frame_address(0);
	char what[BAR_WHAT_LEN], b[8];
	bool ram;

	if (policy_built)
		return;
	bar_policy_init(&policy);
	own(bi->image_base, bi->image_size, true, "the hypervisor image");
	own(bi->boot_data_base, bi->boot_data_pages * PAGE_SIZE, true, "the boot info");
	for (unsigned i = 0; i < bi->nr_mem; i++)
		if (sp >= bi->mem[i].base && sp - bi->mem[i].base < bi->mem[i].pages * PAGE_SIZE)
			own(bi->mem[i].base, bi->mem[i].pages * PAGE_SIZE, true,
			    "the hypervisor stack");
	for (unsigned i = 0; hv.acpi_ok && i < hv.acpi.nr_tables; i++) {
		snprintf(what, sizeof(what), "ACPI table %s", hv.acpi.tables[i].sig);
		own(spa_val(hv.acpi.tables[i].addr), hv.acpi.tables[i].length, false, what);
	}
	/* PCI Firmware 3.2 4.1.2: each MCFG entry decodes 1 MiB per bus. */
	for (unsigned i = 0; i < iommu.mcfg.n; i++) {
		const struct pci_ecam *e = &iommu.mcfg.ecam[i];

		snprintf(what, sizeof(what), "PCI ECAM (MCFG) seg %u buses %02x-%02x", e->segment,
			 e->start_bus, e->end_bus);
		own(spa_val(e->base) + ((u64)e->start_bus << 20),
		    ((u64)e->end_bus - e->start_bus + 1) << 20, false, what);
	}
	/* AMD IOMMU 48882 3.4: the register file; 512 KiB is the most any IVHD
	 * type decodes (Linux MMIO_REG_END_OFFSET), 16 KiB the least. */
	for (unsigned i = 0; iommu.ivrs && i < iommu.ivrs->nr_ivhds; i++) {
		snprintf(what, sizeof(what), "IOMMU MMIO of %s (IVRS)",
			 pci_bdf_str(iommu.ivrs->ivhds[i].devid, b));
		own(iommu.ivrs->ivhds[i].base, KiB(512), false, what);
	}
	/* The PSP's SEV mailbox is a BAR of an AMD function (snp/psp.h). */
	for (unsigned i = 0; i < iommu.ndevs; i++) {
		const struct pci_dev *d = &iommu.devs[i];

		if (!psp_sev_regs_for_pci(d->vendor, d->device))
			continue;
		for (unsigned k = 0; k < d->nbars; k++) {
			if (d->bars[k].kind == PCI_BAR_IO)
				continue;
			snprintf(what, sizeof(what), "PSP MMIO (BAR%u of %s)", d->bars[k].index,
				 pci_bdf_str(d->bdf, b));
			own(d->bars[k].addr, d->bars[k].size, false, what);
		}
	}
	/* Architectural defaults (Intel SDM / APM: LAPIC at 0xFEE00000, the MSI
	 * address window 0xFEExxxxx; the first IOAPIC at 0xFEC00000). */
	own(0xFEE00000ULL, MiB(1), false, "the LAPIC / MSI window");
	own(0xFEC00000ULL, KiB(4), false, "the IOAPIC");
	for (unsigned i = 0; i < bi->nr_mem; i++) {
		const char *w = mem_what(bi->mem[i].kind, &ram);

		own(bi->mem[i].base, bi->mem[i].pages * PAGE_SIZE, ram, w);
	}
	bar_policy_holes(&policy, cpu.phys_addr_bits ? cpu.phys_addr_bits : 36);
	for (unsigned i = 0; i < policy.nwin; i++)
		pr_info("devices: BAR window %s [0x%llx, 0x%llx)\n", policy.win[i].what,
			(unsigned long long)policy.win[i].base,
			(unsigned long long)policy.win[i].end);
	pr_info("devices: %u owned range(s) no BAR may touch%s\n", policy.nowned,
		policy.overflow ? " (overflowed: every BAR is refused)" : "");
	policy_built = true;
}

/* The enumeration with every BAR's address as its register reads now (a
 * function whose BAR changed type keeps the enumerated value). */
static void refresh_live(void)
{
	for (unsigned i = 0; i < iommu.ndevs && i < IOMMU_MAX_PCI_DEVS; i++) {
		live[i] = iommu.devs[i];
		for (unsigned k = 0; k < live[i].nbars; k++) {
			struct pci_bar now;

			if (!bar_read(&iommu.pci, live[i].bdf, &iommu.devs[i].bars[k], &now))
				live[i].bars[k] = now;
		}
	}
}

static u64 bar_window(const struct guest *g)
{
	u64 lo, hi;

	guest_bar_window(g->mem_size, &lo, &hi);
	return lo;
}

void guest_dev_bar_window(const struct guest *g, u64 *lo, u64 *hi)
{
	guest_bar_window(g->mem_size, lo, hi);
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
	char why[192];

	build_policy();
	refresh_live();
	for (unsigned i = 0; i < c->n_devices; i++) {
		u16 bdf = c->devices[i].bdf;
		const struct pci_dev *pd = find_pci(bdf);
		const struct pci_bar *bar = NULL;
		struct pci_bar now;
		struct guest *h;
		int ret;

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
		/* The register as it reads now, not as it was enumerated, against
		 * the policy and against every other BAR as enumerated and as it
		 * reads now. */
		if (bar_read(&iommu.pci, bdf, bar, &now))
			return refuse(g, bdf, -EIO, "BAR0 changed its type since enumeration");
		ret = bar_check(&policy, iommu.devs, iommu.ndevs, bdf, &now, why, sizeof(why));
		if (!ret)
			ret = bar_check(&policy, live, MIN(iommu.ndevs, IOMMU_MAX_PCI_DEVS), bdf,
					&now, why, sizeof(why));
		if (ret)
			return refuse(g, bdf, ret, why);
		s->d[i] = (struct gdev){
		    .bdf = bdf,
		    .trusted = c->devices[i].trusted,
		    .pd = pd,
		    .vbar = now,
		    .bar = spa(now.addr),
		    .bar_size = now.size,
		    .bar_gpa = gpa(bar_window(g) + i * GUEST_DEV_BAR_SLOT),
		};
	}
	return 0;
}

struct evt_phase;
static int evt_drain(struct evt_phase *ph);

/* DTE Mode of a gmem domain: its own table's, or the NPT's when shared. */
static unsigned dom_levels(const struct gmem *gm, const struct gmem_domain *dom)
{
	return dom->shared ? gm->npt.levels : dom->pt.levels;
}

/* What HC_DEV_INFO tells the guest (hv/svm/exits.c answers from g->devs). */
static void record_dev_info(struct guest *g, const struct gdevs *s)
{
	memset(g->devs, 0, sizeof(g->devs));
	for (unsigned i = 0; i < s->n; i++) {
		const struct gdev *d = &s->d[i];
		struct hc_dev_info *info = &g->devs[i];

		info->bdf = d->bdf;
		info->vendor = d->pd->vendor;
		info->device = d->pd->device;
		info->trusted = d->trusted;
		info->count = s->n;
		info->bar0_gpa = gpa_val(d->bar_gpa);
		info->bar0_size = d->bar_size;
	}
	g->n_devs = s->n;
}

int guest_dev_assign(struct guest *g)
{
	struct gmem *gm = guest_gmem(g);
	struct gdevs *s;
	char b[8], why[192];
	int ret;

	if (g->id < CFG_MAX_GUESTS)
		known[g->id] = g;
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
		/* Memory decode on, BAR0 read again: a device that moved it is
		 * refused with decode off, before anything maps it. */
		ret = bar_enable_decode(&iommu.pci, d->bdf, &d->vbar, why, sizeof(why));
		if (ret)
			return refuse(g, d->bdf, ret, why);
		/* xcheck's own record of what was validated for this guest. */
		ret = xcheck_bar_add(gm, d->bdf, d->vbar.index, d->bar, d->bar_size);
		if (ret)
			return refuse(g, d->bdf, ret, "BAR0 could not be registered with xcheck");
		/* A Linux guest finds it on its virtual PCI bus and programs BAR0,
		 * bus mastering and MSI-X itself (hv/vm/guest_vpci.c). */
		if (!g->is_linux) {
			ret = gmem_map_mmio(gm, d->bar_gpa, d->bar, d->bar_size);
			if (ret)
				return refuse(g, d->bdf, ret,
					      "BAR0 could not be mapped into the NPT");
			d->mapped = true;
		}
		/* Bus mastering on the device and every bridge above. */
		pci_command_update(&iommu.pci, d->bdf, 0, PCI_COMMAND_MASTER);
		iommu_pci_enable_master(d->bdf);
		if (g->is_linux) {
			u64 lo, hi;

			guest_dev_bar_window(g, &lo, &hi);
			ret = guest_vpci_add(g, d->bdf, &d->vbar, d->bar_gpa, lo, hi, why,
					     sizeof(why));
			if (ret)
				return refuse(g, d->bdf, ret, why);
		}
		pr_info("guest %s: device %s (%04x:%04x) %s, domain %u (%u levels, root 0x%llx), "
			"BAR0 0x%llx/%lluK at GPA 0x%llx (uncached, NX)\n",
			g->name, pci_bdf_str(d->bdf, b), d->pd->vendor, d->pd->device,
			d->trusted ? "trusted" : "untrusted", id, dom_levels(gm, dom),
			(unsigned long long)spa_val(gmem_domain_root(gm, dom)),
			(unsigned long long)spa_val(d->bar),
			(unsigned long long)(d->bar_size >> 10),
			(unsigned long long)gpa_val(d->bar_gpa));
	}
	record_dev_info(g, s);
	return 0;
}

/* How many of the guest's private 4K pages the domain of trust class
 * `trusted` translates to their own frame, and how many shared ones: what
 * a device of that class could reach by DMA (a trusted domain maps private
 * memory too, I6; reported as metrics for the SNP NVMe scenarios). */
static void domain_reach(struct guest *g, struct gmem *gm, bool trusted, u64 *priv, u64 *shared)
{
	struct gmem_rec r;
	struct pt_leaf l;
	struct pt view;
	const struct gmem_domain *dom = NULL;

	*priv = *shared = 0;
	for (unsigned i = 0; i < gm->nr_dom; i++)
		if (gm->dom[i].trusted == trusted)
			dom = &gm->dom[i];
	if (!dom)
		return;
	gmem_domain_view(gm, dom, &view);
	for (u64 a = 0; a < g->mem_size; a += PAGE_SIZE) {
		if (gmem_lookup(gm, gpa(a), &r) || pt_lookup(&view, a, &l))
			continue;
		if (spa_val(l.pa) + (a - l.va) != spa_val(r.spa) + (a - gpa_val(r.gpa)))
			continue;
		(*(r.priv ? priv : shared))++;
	}
}

static void report_reach(struct guest *g, struct gdevs *s, struct gmem *gm)
{
	char b[8], name[80];
	u64 priv, shared;

	for (unsigned i = 0; i < s->n; i++) {
		if (!s->d[i].attached)
			continue;
		domain_reach(g, gm, s->d[i].trusted, &priv, &shared);
		pr_info("guest %s: device %s (%s) can reach %llu private and %llu shared pages\n",
			g->name, pci_bdf_str(s->d[i].bdf, b),
			s->d[i].trusted ? "trusted" : "untrusted", (unsigned long long)priv,
			(unsigned long long)shared);
		snprintf(name, sizeof(name), "dev.%s.%s.private_mapped", g->name, b);
		report_metric(name, priv, "pages");
		snprintf(name, sizeof(name), "dev.%s.%s.shared_mapped", g->name, b);
		report_metric(name, shared, "pages");
	}
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
	if (gm)
		report_reach(g, s, gm);
	guest_vpci_remove(g); /* real MSI-X off, BAR ranges out of the NPT */
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
	if (gm)
		xcheck_bar_drop(gm); /* after the BARs left the NPT */
	for (int t = 0; t < 2; t++)
		if (s->dom_id[t] && iommu_inv_domain_id(s->dom_id[t]))
			pr_err("guest %s: invalidating domain %u failed\n", g->name, s->dom_id[t]);
}

void guest_dev_put(struct guest *g)
{
	struct gdevs *s = gd_of(g);

	if (g->id < CFG_MAX_GUESTS && known[g->id] == g)
		known[g->id] = NULL;
	g->n_devs = 0;
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
bool guest_dev_in_event_log(u64 pa)
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
bool guest_dev_event_log_dead(void)
{
	for (unsigned k = 0; k < iommu.set.n; k++) {
		const struct amdvi_unit *u = &iommu.set.unit[k];

		if (u->qemu72 && u->ivhd && u->ivhd->type == 0x10)
			return true;
	}
	return false;
}

u64 guest_dev_event_log_bytes(void)
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
	       guest_dev_event_log_dead() ? "; QEMU 7.2 never writes its event log" : "");
	report_metric("iommu.events.total", evt.total, "events");
}

int guest_dev_events_drain(const struct guest *g, u64 *own, u64 *other)
{
	struct evt_phase ph = {.g = g};
	int n = evt_drain(&ph);

	*own = ph.own;
	*other = ph.other;
	return n;
}
