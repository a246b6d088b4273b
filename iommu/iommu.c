/* IOMMU glue: PCI and the AMD IOMMU brought up from ACPI (MCFG, IVRS), the
 * domain API over the page-table engine, device attach/block. See iommu.h and
 * docs/iommu.md. Spec references: PCI Firmware 3.2 4.1.2 (MCFG), AMD IOMMU
 * 48882 3.2.1 (capability block), 3.3 (initialisation), 2.4.3 (page
 * invalidation), 5.2 (IVRS). */
#include "iommu/iommu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/acpi.h"
#include "hv/cpu.h"
#include "hv/hv.h"
#include "hv/log.h"
#include "hv/mem.h"
#include "hv/paging.h"
#include "hv/pmem.h"

struct iommu_state iommu;

/* 48882 3.2.1: IOMMU capability header bit 26 "NpCache": the IOMMU may cache
 * not-present entries, so new mappings need an invalidation too. */
#define IOMMU_CAP_NP_CACHE BIT(26)
/* 48882 2.4.3: an INVALIDATE_IOMMU_PAGES range covering every address. */
#define IOMMU_INV_ALL_SIZE (1ULL << 52)

/* ---- TSC calibration (PIT channel 2, 8254 mode 0) ----------------------------- */

#define PIT_HZ	      1193182u
#define PIT_CH2	      0x42
#define PIT_MODE      0x43
#define PIT_GATE_PORT 0x61
#define PIT_GATE2     BIT(0)
#define PIT_SPEAKER   BIT(1)
#define PIT_OUT2      BIT(5)
#define CAL_MS	      10

static u64 calibrate_tsc_khz(void)
{
	const u32 latch = PIT_HZ * CAL_MS / 1000;
	u8 gate = inb(PIT_GATE_PORT);
	u64 t0, t1;
	u32 i;

	outb(PIT_GATE_PORT, (u8)((gate & ~PIT_SPEAKER) | PIT_GATE2));
	outb(PIT_MODE, 0xB0); /* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2, latch & 0xff);
	outb(PIT_CH2, (u8)(latch >> 8));
	t0 = rdtsc();
	for (i = 0; i < 50000000u && !(inb(PIT_GATE_PORT) & PIT_OUT2); i++)
		;
	t1 = rdtsc();
	outb(PIT_GATE_PORT, gate);
	if (i == 50000000u) {
		pr_warn("iommu: PIT channel 2 never fired: no TSC calibration\n");
		return 0;
	}
	return (t1 - t0) / CAL_MS;
}

u64 iommu_tsc_khz(void)
{
	if (!iommu.tsc_khz)
		iommu.tsc_khz = calibrate_tsc_khz();
	return iommu.tsc_khz;
}

u64 iommu_ticks_to_ns(u64 ticks)
{
	u64 khz = iommu_tsc_khz();

	return khz ? ticks * 1000000ULL / khz : 0;
}

/* ---- PCI ------------------------------------------------------------------ */

int iommu_pci_init(void)
{
	const struct acpi_table_ref *t;
	const struct pci_ecam *e;
	char line[256];
	int ret;

	if (iommu.pci_ok)
		return 0;
	if (!hv.acpi_ok || !(t = acpi_find(&hv.acpi, "MCFG"))) {
		pr_err("iommu: no (valid) ACPI MCFG table: no PCI config access\n");
		return -ENODEV;
	}
	ret = pci_mcfg_parse(phys_ptr(t->addr), t->length, &iommu.mcfg);
	if (ret && ret != -ENOSPC)
		return ret;
	e = pci_mcfg_find(&iommu.mcfg, 0, 0);
	if (!e) {
		pr_err("iommu: MCFG has no window for segment 0 bus 0\n");
		return -ENODEV;
	}
	iommu.ecam = *e;
	pr_info("pci: MCFG %u window(s); segment 0 ECAM 0x%llx buses %02x-%02x\n", iommu.mcfg.n,
		(unsigned long long)spa_val(e->base), e->start_bus, e->end_bus);
	/* The whole window of the bus range, uncached (PCIe 5.0 7.2.2). */
	ret = paging_map_mmio(spa_add(e->base, (u64)e->start_bus << 20),
			      ((u64)e->end_bus - e->start_bus + 1) << 20);
	if (ret)
		return ret;
	iommu.pci = (struct pci_access){&pci_ecam_ops, &iommu.ecam};
	if (!iommu.devs)
		iommu.devs = calloc(IOMMU_MAX_PCI_DEVS, sizeof(*iommu.devs));
	if (!iommu.devs)
		return -ENOMEM;
	ret = pci_enumerate(&iommu.pci, e->start_bus, e->end_bus, true, iommu.devs,
			    IOMMU_MAX_PCI_DEVS, &iommu.ndevs, &iommu.enum_stats);
	if (ret)
		return ret;
	pr_info("pci: %u function(s) on %u bus(es), %u bridge(s) followed, %u skipped%s\n",
		iommu.ndevs, iommu.enum_stats.buses, iommu.enum_stats.bridges,
		iommu.enum_stats.skipped, iommu.enum_stats.truncated ? " (list truncated)" : "");
	for (unsigned i = 0; i < iommu.ndevs; i++) {
		pci_dev_format(&iommu.devs[i], line, sizeof(line));
		pr_info("  %s\n", line);
	}
	iommu.pci_ok = true;
	return 0;
}

const struct pci_dev *iommu_pci_find(u16 vendor, u16 device, unsigned nth)
{
	for (unsigned i = 0; i < iommu.ndevs; i++)
		if (iommu.devs[i].vendor == vendor && iommu.devs[i].device == device && !nth--)
			return &iommu.devs[i];
	return NULL;
}

int iommu_pci_enable_master(u16 bdf)
{
	unsigned hops = 0;

	/* A bridge forwards its secondary side's requests upstream only with its
	 * own Bus Master Enable set (PCI-PCI Bridge 1.2, 3.2.2.3.x; PCIe 5.0
	 * 7.5.1.1.3): set it on the device and on every bridge above it. */
	while (bdf != 0xFFFF && hops++ < 256) {
		const struct pci_dev *d = NULL;

		for (unsigned i = 0; i < iommu.ndevs && !d; i++)
			if (iommu.devs[i].bdf == bdf)
				d = &iommu.devs[i];
		if (!d)
			return -ENODEV;
		pci_command_update(&iommu.pci, bdf, 0, PCI_COMMAND_MASTER);
		bdf = d->parent;
	}
	return 0;
}

/* ---- IVRS and the IOMMU function -------------------------------------------- */

static void ivrs_print(const struct ivrs_table *t)
{
	char b[8], c[8];

	pr_info("ivrs: revision %u OEM '%s' '%s', IVinfo 0x%x (VA %u bits, PA %u bits), %u IVHD, "
		"%u device entries, %u IVMD\n",
		t->revision, t->oem_id, t->oem_table_id, t->ivinfo,
		(unsigned)FIELD_GET(IVINFO_VA_SIZE, t->ivinfo),
		(unsigned)FIELD_GET(IVINFO_PA_SIZE, t->ivinfo), t->nr_ivhds, t->nr_devs,
		t->nr_ivmds);
	for (unsigned i = 0; i < t->nr_ivhds; i++) {
		const struct ivrs_ivhd *h = &t->ivhds[i];

		pr_info("  IVHD %02xh%s: IOMMU %s cap 0x%x base 0x%llx seg %u flags 0x%02x efr "
			"0x%llx\n",
			h->type, h->active ? "" : " (superseded)", pci_bdf_str(h->devid, b),
			h->cap_offset, (unsigned long long)h->base, h->pci_seg, h->flags,
			(unsigned long long)h->efr);
		for (unsigned k = 0; k < h->dev_count; k++) {
			const struct ivrs_dev *d = &t->devs[h->dev_first + k];

			pr_info("    %02xh %-12s %s-%s dte 0x%02x%s\n", d->type,
				ivrs_dev_name(d->type), pci_bdf_str(d->first, b),
				pci_bdf_str(d->last, c), d->dte, d->has_alias ? " (alias)" : "");
		}
	}
}

/* Find the IOMMU's PCI function by capability 0Fh and cross-check it with
 * the IVHD: device ID, capability offset, MMIO base (48882 3.2.1). */
static int find_iommu_function(void)
{
	const struct pci_access *pa = &iommu.pci;
	bool found = false;
	char b[8];

	for (unsigned i = 0; i < iommu.ndevs && !found; i++) {
		u16 bdf = iommu.devs[i].bdf;
		int off = 0;

		while ((off = pci_find_cap(pa, bdf, PCI_CAP_ID_SECURE, (u8)off)) > 0) {
			u32 hdr = pci_read32(pa, bdf, (u16)off);

			if (FIELD_GET(IOMMU_CAP_TYPE, hdr) != IOMMU_CAP_TYPE_IOMMU)
				continue;
			iommu.iommu_bdf = bdf;
			iommu.cap_off = (u8)off;
			iommu.cap_header = hdr;
			found = true;
			break;
		}
	}
	if (!found) {
		pr_err("iommu: no PCI function has an IOMMU capability (ID 0Fh, type 011b)\n");
		return -ENODEV;
	}
	{
		u32 lo = pci_read32(pa, iommu.iommu_bdf, iommu.cap_off + IOMMU_CAP_BASE_LOW);
		u32 hi = pci_read32(pa, iommu.iommu_bdf, iommu.cap_off + IOMMU_CAP_BASE_HIGH);

		iommu.cap_base = (u64)hi << 32 | (lo & (u32)IOMMU_CAP_BASE_LO_ADDR);
		iommu.np_cache = iommu.cap_header & IOMMU_CAP_NP_CACHE;
		pr_info("iommu: PCI function %s, capability at 0x%02x header 0x%08x (rev %u%s%s), "
			"base low 0x%08x high 0x%08x -> 0x%llx\n",
			pci_bdf_str(iommu.iommu_bdf, b), iommu.cap_off, iommu.cap_header,
			(unsigned)FIELD_GET(IOMMU_CAP_REV, iommu.cap_header),
			iommu.cap_header & IOMMU_CAP_EFR_SUP ? ", EFRSup" : "",
			iommu.np_cache ? ", NpCache" : "", lo, hi,
			(unsigned long long)iommu.cap_base);
	}
	return 0;
}

/* Largest device ID to cover: the IVRS device entries of this IOMMU and the
 * MCFG bus range, whichever is larger (a requester ID past the device table is
 * read from beyond it by some emulators). */
static u16 compute_max_devid(void)
{
	u32 m = ((u32)iommu.ecam.end_bus << 8) | 0xFF;

	if (iommu.ivhd)
		for (unsigned k = 0; k < iommu.ivhd->dev_count; k++)
			m = MAX(m, iommu.ivrs->devs[iommu.ivhd->dev_first + k].last);
	return (u16)MIN(m, 0xFFFFu);
}

/* amdvi allocator: 2M blocks for big structures (the device table), a bump
 * region in one 2M block for the small ones (rings, semaphore, empty table). */
static struct {
	spa_t base;
	u64 used;
} small_pool;

static int iommu_alloc(void *ctx, u64 bytes, u64 align, spa_t *out)
{
	int ret;

	if (bytes >= HUGE_SIZE) {
		ret = pmem_alloc_blocks(ALIGN_UP(bytes, HUGE_SIZE) / HUGE_SIZE, iommu.owner, out);
		if (ret)
			pr_err("iommu: no %llu contiguous MiB for an IOMMU structure\n",
			       (unsigned long long)(ALIGN_UP(bytes, HUGE_SIZE) >> 20));
		return ret;
	}
	if (!spa_val(small_pool.base) || ALIGN_UP(small_pool.used, align) + bytes > HUGE_SIZE) {
		ret = pmem_alloc(PMEM_ORDER_2M, iommu.owner, &small_pool.base);
		if (ret)
			return ret;
		small_pool.used = 0;
	}
	small_pool.used = ALIGN_UP(small_pool.used, align);
	*out = spa_add(small_pool.base, small_pool.used);
	small_pool.used += bytes;
	return 0;
}

static u64 ctrl_from_ivhd(u8 flags)
{
	u64 c = 0;

	/* 48882 5.2.2.1 IVHD flags -> 3.4.5 control bits, as Linux does. */
	if (flags & IVHD_FLAG_HT_TUN_EN)
		c |= CONTROL_HT_TUN_EN;
	if (flags & IVHD_FLAG_PASSPW)
		c |= CONTROL_PASSPW_EN;
	if (flags & IVHD_FLAG_RESPASSPW)
		c |= CONTROL_RESPASSPW_EN;
	if (flags & IVHD_FLAG_ISOC)
		c |= CONTROL_ISOC_EN;
	if (flags & IVHD_FLAG_COHERENT)
		c |= CONTROL_COHERENT_EN;
	return c;
}

int iommu_init(void)
{
	const struct acpi_table_ref *t;
	struct amdvi_config cfg = {0};
	struct ivrs_error perr;
	u64 efr;
	int ret;

	if (iommu.up)
		return 0;
	ret = iommu_pci_init();
	if (ret)
		return ret;
	iommu_tsc_khz();

	/* IVRS (48882 5.2). */
	if (!(t = acpi_find(&hv.acpi, "IVRS"))) {
		pr_err("iommu: no (valid) ACPI IVRS table: no AMD IOMMU to drive\n");
		return -ENODEV;
	}
	if (!iommu.ivrs)
		iommu.ivrs = malloc(sizeof(*iommu.ivrs));
	if (!iommu.ivrs)
		return -ENOMEM;
	ret = ivrs_parse(phys_ptr(t->addr), t->length, iommu.ivrs, &perr);
	if (ret) {
		pr_err("iommu: IVRS rejected at offset %u: %s (%d)\n", perr.offset, perr.msg, ret);
		return ret;
	}
	ivrs_print(iommu.ivrs);
	if (iommu.ivrs->nr_iommus < 1) {
		pr_err("iommu: IVRS lists no IOMMU\n");
		return -ENODEV;
	}
	if (iommu.ivrs->nr_iommus > 1)
		pr_warn("iommu: %u IOMMUs in IVRS: only the first is driven\n",
			iommu.ivrs->nr_iommus);
	iommu.ivhd = ivrs_iommu(iommu.ivrs, 0);
	if (iommu.ivhd->pci_seg != 0) {
		pr_err("iommu: the IOMMU is on PCI segment %u: only segment 0 is supported\n",
		       iommu.ivhd->pci_seg);
		return -EOPNOTSUPP;
	}

	ret = find_iommu_function();
	if (ret)
		return ret;
	if (iommu.iommu_bdf != iommu.ivhd->devid || iommu.cap_off != iommu.ivhd->cap_offset)
		pr_warn("iommu: PCI says %02x:%02x.%x cap 0x%x, IVRS says devid 0x%04x cap 0x%x\n",
			pci_bdf_bus(iommu.iommu_bdf), pci_bdf_dev(iommu.iommu_bdf),
			pci_bdf_fn(iommu.iommu_bdf), iommu.cap_off, iommu.ivhd->devid,
			iommu.ivhd->cap_offset);
	if (iommu.cap_base != iommu.ivhd->base)
		pr_warn("iommu: capability base 0x%llx differs from IVRS 0x%llx: using IVRS\n",
			(unsigned long long)iommu.cap_base, (unsigned long long)iommu.ivhd->base);

	/* MMIO (48882 3.4): at least 16 KiB, uncached. */
	iommu.mmio_base = spa(iommu.ivhd->base);
	if (!spa_val(iommu.mmio_base) || !IS_ALIGNED(spa_val(iommu.mmio_base), KiB(16))) {
		pr_err("iommu: MMIO base 0x%llx is not a 16K-aligned address\n",
		       (unsigned long long)spa_val(iommu.mmio_base));
		return -EINVAL;
	}
	ret = paging_map_mmio(iommu.mmio_base, IOMMU_MMIO_SIZE);
	if (ret)
		return ret;
	iommu.mmio.base = iommu.mmio_base;

	/* QEMU 7.2: detect by its EFR value (its IVHD 10h carries no EFR image;
	 * newer QEMU reports other features and 1022:1419 as PCI ID). */
	efr = amdvi_mmio_phys_ops.read64(&iommu.mmio, MMIO_EXT_FEATURES);
	iommu.qemu72 = efr == IOMMU_QEMU72_EFR;
	iommu.max_domain_id = iommu.qemu72 ? 0xFF : 0xFFFF;
	iommu.max_devid = compute_max_devid();
	pr_info("iommu: EFR 0x%llx%s; device table for IDs 0..0x%04x; domain IDs 1..%u\n",
		(unsigned long long)efr, iommu.qemu72 ? " (QEMU 7.2: quirks on)" : "",
		iommu.max_devid, iommu.max_domain_id);

	if (!iommu.dom_ids)
		iommu.dom_ids = calloc(65536 / 64, sizeof(u64));
	if (!iommu.dom_ids)
		return -ENOMEM;
	iommu.dom_ids[0] |= BIT(0); /* ID 0 is never handed out */
	iommu.owner = (u8)pmem_owner_register("iommu");
	iommu.owner_pt = (u8)pmem_owner_register("iommu-pt");

	cfg.qemu72 = iommu.qemu72;
	cfg.ctrl_extra = ctrl_from_ivhd(iommu.ivhd->flags);
	ret = amdvi_init(&iommu.hw, &amdvi_mmio_phys_ops, &iommu.mmio, iommu_alloc, NULL,
			 iommu.max_devid, &cfg);
	if (ret) {
		pr_err("iommu: driver init failed (%d)\n", ret);
		return ret;
	}
	ret = amdvi_enable(&iommu.hw);
	if (ret) {
		pr_err("iommu: enable failed (%d): the IOMMU stays off\n", ret);
		return ret;
	}
	pr_info("iommu: enabled: device table 0x%llx (%u entries, all blocked), command ring "
		"0x%llx (%u), event log 0x%llx (%u)\n",
		(unsigned long long)spa_val(iommu.hw.dev_table), iommu.hw.dev_entries,
		(unsigned long long)spa_val(iommu.hw.cmd_buf), iommu.hw.cmd_entries,
		(unsigned long long)spa_val(iommu.hw.evt_log), iommu.hw.evt_entries);
	iommu.up = true;
	return 0;
}

/* ---- domains ------------------------------------------------------------------ */

static int dom_pt_alloc(void *ctx, spa_t *out)
{
	return pmem_alloc(PMEM_ORDER_4K, iommu.owner_pt, out);
}

/* The IOMMU may still walk a freed table until the next invalidation has
 * completed (architecture.md I7): keep it aside, untouched, until then. */
static void dom_pt_free(void *ctx, spa_t pa)
{
	struct iommu_domain *d = ctx;

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

static void release_deferred(struct iommu_domain *d)
{
	for (unsigned i = 0; i < d->ndeferred; i++)
		pmem_free(d->deferred[i], PMEM_ORDER_4K, iommu.owner_pt);
	d->ndeferred = 0;
}

static int id_alloc(void)
{
	for (u32 id = 1; id <= iommu.max_domain_id; id++)
		if (!(iommu.dom_ids[id / 64] & BIT(id % 64))) {
			iommu.dom_ids[id / 64] |= BIT(id % 64);
			return (int)id;
		}
	return -ENOSPC;
}

int iommu_domain_id_alloc(void)
{
	if (!iommu.up)
		return -ENODEV;
	return id_alloc();
}

void iommu_domain_id_free(u16 id)
{
	if (iommu.dom_ids && id && id <= iommu.max_domain_id)
		iommu.dom_ids[id / 64] &= ~BIT(id % 64);
}

struct iommu_domain *iommu_domain_alloc(unsigned levels)
{
	struct iommu_domain *d;
	struct pt_mm mm = {dom_pt_alloc, dom_pt_free, NULL};
	int id, ret;

	if (!iommu.up) {
		pr_err("iommu: domain_alloc before iommu_init\n");
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	id = id_alloc();
	if (id < 0) {
		pr_err("iommu: no free domain ID (max %u)\n", iommu.max_domain_id);
		free(d);
		return NULL;
	}
	mm.ctx = d;
	ret = pt_init(&d->pt, &pt_fmt_amdv1, levels, &mm);
	if (ret) {
		pr_err("iommu: cannot build a %u-level I/O page table (%d)\n", levels, ret);
		iommu.dom_ids[id / 64] &= ~BIT(id % 64);
		free(d);
		return NULL;
	}
	d->id = (u16)id;
	d->levels = (u8)levels;
	return d;
}

static int inv_domain_all(u16 id)
{
	return amdvi_inv_pages(&iommu.hw, id, 0, IOMMU_INV_ALL_SIZE);
}

int iommu_domain_free(struct iommu_domain *d)
{
	int ret;

	if (!d)
		return 0;
	if (d->attached) {
		pr_err("iommu: domain %u still has %u device(s) attached\n", d->id, d->attached);
		return -EBUSY;
	}
	pt_destroy(&d->pt);
	ret = inv_domain_all(d->id);
	if (ret) {
		/* Without a completed flush the pages may still be walked: leak. */
		pr_err("iommu: flush of domain %u failed (%d): its %u table pages are leaked\n",
		       d->id, ret, d->ndeferred);
	} else {
		release_deferred(d);
	}
	iommu.dom_ids[d->id / 64] &= ~BIT(d->id % 64);
	free(d->deferred);
	free(d);
	return ret;
}

int iommu_map(struct iommu_domain *d, u64 iova, spa_t pa, u64 size, u32 prot)
{
	return pt_map(&d->pt, iova, pa, size, prot, PT_SZ_ALL, &d->pending);
}

int iommu_unmap(struct iommu_domain *d, u64 iova, u64 size)
{
	return pt_unmap(&d->pt, iova, size, &d->pending);
}

int iommu_inv_range(struct iommu_domain *d, u64 iova, u64 size)
{
	d->flushes++;
	return amdvi_inv_pages(&iommu.hw, d->id, iova, size);
}

int iommu_flush(struct iommu_domain *d)
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
			ret = iommu_inv_range(d, c->start, c->last - c->start + 1);
		else
			ret = iommu_inv_range(d, 0, IOMMU_INV_ALL_SIZE);
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

/* ---- devices ------------------------------------------------------------------ */

u16 iommu_requester_id(u16 bdf)
{
	struct ivrs_dev_info info;

	if (iommu.ivrs && !ivrs_lookup(iommu.ivrs, bdf, &info))
		return info.alias;
	return bdf;
}

/* QEMU 7.2 builds a device's IOMMU address space when the device is
 * realized, before firmware numbers the buses, and keeps bus number 0 in it:
 * a function behind a bridge issues DMA as 00:dd.f. Returns that second
 * requester ID, or -1 when there is none (bus 0, or not QEMU 7.2), or -EBUSY
 * when it would hand DMA rights to another function on bus 0 that can master
 * (host bridges cannot, so they are tolerated). */
static int qemu72_alias(u16 bdf)
{
	u16 alias = bdf & 0xFF;

	if (!iommu.qemu72 || pci_bdf_bus(bdf) == 0)
		return -1;
	for (unsigned i = 0; i < iommu.ndevs; i++)
		if (iommu.devs[i].bdf == alias && iommu.devs[i].class_code >> 8 != 0x0600) {
			pr_err(
			    "iommu: %02x:%02x.%x would DMA as %02x:%02x.%x under QEMU 7.2, which "
			    "is another device: refused\n",
			    pci_bdf_bus(bdf), pci_bdf_dev(bdf), pci_bdf_fn(bdf), 0,
			    pci_bdf_dev(alias), pci_bdf_fn(alias));
			return -EBUSY;
		}
	return alias;
}

static int att_slot(u16 bdf)
{
	for (int i = 0; i < IOMMU_MAX_ATTACHED; i++)
		if (iommu.att[i].dom && iommu.att[i].bdf == bdf)
			return i;
	return -1;
}

struct iommu_domain *iommu_domain_of(u16 bdf)
{
	int s = att_slot(bdf);

	return s < 0 ? NULL : iommu.att[s].dom;
}

/* After a DTE switch away from old, drop old's IOTLB entries: on hardware
 * they are tagged by domain; QEMU 7.2 tags them by device and removes them
 * only on a domain invalidation (INVALIDATE_DEVTAB_ENTRY is a no-op there). */
static int detach_old(int slot)
{
	struct iommu_domain *old = iommu.att[slot].dom;

	iommu.att[slot].dom = NULL;
	old->attached--;
	return inv_domain_all(old->id);
}

int iommu_attach(u16 bdf, struct iommu_domain *d)
{
	u16 rid = iommu_requester_id(bdf);
	int s = att_slot(bdf), ret, alias = qemu72_alias(bdf);

	if (!iommu.up || !d)
		return -EINVAL;
	if (s >= 0 && iommu.att[s].dom == d)
		return 0;
	if (alias == -EBUSY)
		return alias;
	if (s < 0) {
		for (int i = 0; i < IOMMU_MAX_ATTACHED && s < 0; i++)
			if (!iommu.att[i].dom)
				s = i;
		if (s < 0) {
			pr_err("iommu: more than %u attached devices\n", IOMMU_MAX_ATTACHED);
			return -ENOSPC;
		}
	}
	ret = amdvi_attach(&iommu.hw, rid, d->id, pt_root(&d->pt), d->levels, true, true);
	if (!ret && alias >= 0)
		ret = amdvi_attach(&iommu.hw, (u16)alias, d->id, pt_root(&d->pt), d->levels, true,
				   true);
	if (ret) {
		pr_err("iommu: attaching requester 0x%04x to domain %u failed (%d)\n", rid, d->id,
		       ret);
		return ret;
	}
	if (iommu.att[s].dom)
		ret = detach_old(s);
	iommu.att[s].bdf = bdf;
	iommu.att[s].dom = d;
	d->attached++;
	return ret;
}

int iommu_block(u16 bdf)
{
	u16 rid = iommu_requester_id(bdf);
	int s = att_slot(bdf), ret, alias = qemu72_alias(bdf);

	if (!iommu.up)
		return -EINVAL;
	ret = amdvi_block_device(&iommu.hw, rid);
	if (!ret && alias >= 0)
		ret = amdvi_block_device(&iommu.hw, (u16)alias);
	if (ret) {
		pr_err("iommu: blocking requester 0x%04x failed (%d)\n", rid, ret);
		return ret;
	}
	return s >= 0 ? detach_old(s) : 0;
}

int iommu_alias_ok(u16 bdf)
{
	return qemu72_alias(bdf) == -EBUSY ? -EBUSY : 0;
}

int iommu_attach_table(u16 bdf, u16 dom_id, spa_t root, unsigned levels)
{
	u16 rid = iommu_requester_id(bdf);
	int ret, alias = qemu72_alias(bdf);

	if (!iommu.up || !dom_id || dom_id > iommu.max_domain_id)
		return -EINVAL;
	if (alias == -EBUSY)
		return alias;
	if (att_slot(bdf) >= 0) {
		pr_err("iommu: %02x:%02x.%x is attached to an iommu_domain already\n",
		       pci_bdf_bus(bdf), pci_bdf_dev(bdf), pci_bdf_fn(bdf));
		return -EBUSY;
	}
	/* 48882 2.2.2: V=1, TV=1, Mode = levels, IR = IW = 1, DomainID. */
	ret = amdvi_attach(&iommu.hw, rid, dom_id, root, levels, true, true);
	if (!ret && alias >= 0)
		ret = amdvi_attach(&iommu.hw, (u16)alias, dom_id, root, levels, true, true);
	if (ret) {
		pr_err("iommu: attaching requester 0x%04x to table 0x%llx (domain %u) failed (%d)\n",
		       rid, (unsigned long long)spa_val(root), dom_id, ret);
		amdvi_block_device(&iommu.hw, rid);
		if (alias >= 0)
			amdvi_block_device(&iommu.hw, (u16)alias);
	}
	return ret;
}
