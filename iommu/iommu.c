/* IOMMU glue: PCI and the AMD IOMMU brought up from ACPI (MCFG, IVRS),
 * domain IDs, device attach (to a table someone else owns) and block,
 * invalidation by domain ID. Owns no page tables. See iommu.h and
 * docs/iommu.md. Spec references: PCI Firmware 3.2 4.1.2 (MCFG), AMD IOMMU
 * 48882 3.2.1 (capability block), 3.3 (initialisation), 2.4.3 (page
 * invalidation), 5.2 (IVRS). */
#include "iommu/iommu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/arch/x86/acpi.h"
#include "hv/arch/x86/machine.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/arch/x86/paging.h"
#include "hv/mm/pmem.h"

struct iommu_state iommu;

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

/* amdvi allocator: 2M blocks for big structures (device tables), a bump
 * region in 2M blocks for the small ones (rings, semaphores, empty tables),
 * shared by every IOMMU. */
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

/* MMIO of IOMMU k (48882 3.4): 16 KiB uncached in the hypervisor's tables,
 * reached with 8-byte volatile accesses. */
static int iommu_map_mmio(void *ctx, unsigned k, spa_t base, u64 size,
			  const struct amdvi_mmio_ops **ops, void **mmio_ctx)
{
	int ret = paging_map_mmio(base, size);

	if (ret)
		return ret;
	iommu.mmio[k].base = base;
	*ops = &amdvi_mmio_phys_ops;
	*mmio_ctx = &iommu.mmio[k];
	return 0;
}

static int parse_ivrs(void)
{
	const struct acpi_table_ref *t;
	struct ivrs_error perr;
	int ret;

	/* IVRS (48882 5.2). */
	if (!(t = acpi_find(&hv.acpi, "IVRS"))) {
		pr_err("iommu: no (valid) ACPI IVRS table: no AMD IOMMU to drive\n");
		return -ENODEV;
	}
	if (!iommu.ivrs)
		iommu.ivrs = malloc(sizeof(*iommu.ivrs));
	if (!iommu.dev_unit)
		iommu.dev_unit = malloc(65536);
	if (!iommu.ivrs || !iommu.dev_unit)
		return -ENOMEM;
	ret = ivrs_parse(phys_ptr(t->addr), t->length, iommu.ivrs, &perr);
	if (ret) {
		iommu.ivrs->nr_iommus = 0;
		pr_err("iommu: IVRS rejected at offset %u: %s (%d)\n", perr.offset, perr.msg, ret);
		return ret;
	}
	ivrs_print(iommu.ivrs);
	if (iommu.ivrs->nr_iommus < 1) {
		pr_err("iommu: IVRS lists no IOMMU\n");
		return -ENODEV;
	}
	return amdvi_set_map(&iommu.set, iommu.ivrs, iommu.dev_unit);
}

int iommu_init(void)
{
	struct amdvi_set_env env = {0};
	int ret;

	if (iommu.up)
		return 0;
	ret = iommu_pci_init();
	if (ret)
		return ret;
	ret = parse_ivrs();
	if (ret)
		return ret;
	pr_info("iommu: %u IOMMU(s) in IVRS, %u on PCI segment 0: bringing up all of them\n",
		iommu.set.nr_ivrs, iommu.set.n);

	if (!iommu.dom_ids)
		iommu.dom_ids = calloc(65536 / 64, sizeof(u64));
	if (!iommu.dom_ids)
		return -ENOMEM;
	iommu.dom_ids[0] |= BIT(0); /* ID 0 is never handed out */
	iommu.owner = (u8)pmem_owner_register("iommu");

	env.pci = &iommu.pci;
	env.last_bus = iommu.ecam.end_bus;
	env.map_mmio = iommu_map_mmio;
	env.alloc = iommu_alloc;
	ret = amdvi_set_init(&iommu.set, &env);
	if (ret) {
		pr_err("iommu: bring-up failed (%d): no IOMMU is enabled\n", ret);
		return ret;
	}
	iommu.qemu72 = iommu.np_cache = false;
	for (unsigned k = 0; k < iommu.set.n; k++) {
		iommu.qemu72 |= iommu.set.unit[k].qemu72;
		iommu.np_cache |= iommu.set.unit[k].np_cache;
	}
	for (unsigned k = 0; k < iommu.set.n; k++) {
		const struct amdvi *hw = &iommu.set.unit[k].hw;
		char b[8];

		pr_info("iommu: enabled: device table 0x%llx (%u entries, all blocked), command "
			"ring 0x%llx (%u), event log 0x%llx (%u) [%s]\n",
			(unsigned long long)spa_val(hw->dev_table), hw->dev_entries,
			(unsigned long long)spa_val(hw->cmd_buf), hw->cmd_entries,
			(unsigned long long)spa_val(hw->evt_log), hw->evt_entries,
			pci_bdf_str(iommu.set.unit[k].bdf, b));
	}
	/* One domain ID space for all IOMMUs: a domain keeps its ID on each. */
	iommu.max_domain_id = iommu.qemu72 ? 0xFF : 0xFFFF;
	pr_info("iommu: %u IOMMU(s) enabled, every device blocked; domain IDs 1..%u\n",
		iommu.set.nr_enabled, iommu.max_domain_id);
	iommu.up = true;
	iommu_report();
	return 0;
}

void iommu_report(void)
{
	char line[384];

	for (unsigned k = 0; k < iommu.set.n; k++) {
		amdvi_set_unit_format(&iommu.set, k, line, sizeof(line));
		pr_info("iommu: %u/%u %s\n", k + 1, iommu.set.n, line);
	}
	pr_info("iommu: %u in IVRS, %u enabled; fan-out rounds=%llu batches=%llu\n",
		iommu.set.nr_ivrs, iommu.set.nr_enabled, (unsigned long long)iommu.set.rounds,
		(unsigned long long)iommu.set.batches);
}

void iommu_snp_facts(struct iommu_snp_facts *f)
{
	struct amdvi_snp_facts sf;

	memset(f, 0, sizeof(*f));
	f->first_missing = 0xFFFF;
	if (!iommu.ivrs)
		return;
	amdvi_set_snp_facts(&iommu.set, &sf);
	f->in_ivrs = sf.in_ivrs;
	f->driven = sf.driven;
	f->all_snp_sup = sf.all_snp_sup;
	f->efr_common = sf.efr_common;
	if (sf.first_missing >= 0)
		f->first_missing = iommu.set.unit[sf.first_missing].bdf;
}

int iommu_read_events(void)
{
	return iommu.up ? amdvi_set_read_events(&iommu.set, NULL, NULL) : -ENODEV;
}

bool iommu_is_iommu_function(u16 bdf)
{
	return amdvi_set_unit_at(&iommu.set, bdf) != NULL;
}

bool iommu_is_blocked(u16 bdf)
{
	return iommu.up && amdvi_set_is_blocked(&iommu.set, bdf, iommu_requester_id(bdf));
}

int iommu_inv_queue(u16 dom_id, u64 iova, u64 size)
{
	int ret;

	if (!iommu.up)
		return -ENODEV;
	ret = amdvi_set_inv_queue(&iommu.set, dom_id, iova, size);
	return ret < 0 ? ret : 0;
}

int iommu_inv_sync(void)
{
	return iommu.up ? amdvi_set_sync(&iommu.set) : -ENODEV;
}

int iommu_inv_domain_range(u16 dom_id, u64 iova, u64 size)
{
	return iommu.up ? amdvi_set_inv_domain(&iommu.set, dom_id, iova, size) : -ENODEV;
}

int iommu_inv_domain_id(u16 dom_id)
{
	return iommu_inv_domain_range(dom_id, 0, AMDVI_INV_ALL_SIZE);
}

/* ---- domains ------------------------------------------------------------------ */

int iommu_domain_id_alloc(void)
{
	if (!iommu.up)
		return -ENODEV;
	for (u32 id = 1; id <= iommu.max_domain_id; id++)
		if (!(iommu.dom_ids[id / 64] & BIT(id % 64))) {
			iommu.dom_ids[id / 64] |= BIT(id % 64);
			return (int)id;
		}
	return -ENOSPC;
}

void iommu_domain_id_free(u16 id)
{
	if (iommu.dom_ids && id && id <= iommu.max_domain_id)
		iommu.dom_ids[id / 64] &= ~BIT(id % 64);
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
	const struct amdvi_unit *u = amdvi_set_unit_of(&iommu.set, bdf);
	u16 alias = bdf & 0xFF;

	if (!u || !u->qemu72 || pci_bdf_bus(bdf) == 0)
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

int iommu_block(u16 bdf)
{
	u16 rid = iommu_requester_id(bdf);
	int ret, alias = qemu72_alias(bdf);

	if (!iommu.up)
		return -EINVAL;
	ret = amdvi_set_block(&iommu.set, bdf, rid);
	if (!ret && alias >= 0)
		ret = amdvi_set_block(&iommu.set, bdf, (u16)alias);
	if (ret)
		pr_err("iommu: blocking requester 0x%04x failed (%d)\n", rid, ret);
	return ret;
}

/* ---- interrupt remapping (48882 2.2.5) ------------------------------------ */

static int irt_dte(u16 bdf, spa_t irt)
{
	u16 rid = iommu_requester_id(bdf);
	int ret, alias = qemu72_alias(bdf);

	if (alias == -EBUSY)
		return alias;
	ret = amdvi_set_irt(&iommu.set, bdf, rid, irt, IRT_LEN_LOG2);
	if (!ret && alias >= 0)
		ret = amdvi_set_irt(&iommu.set, bdf, (u16)alias, irt, IRT_LEN_LOG2);
	return ret;
}

bool iommu_remaps_interrupts(void)
{
	/* An IOMMU that remaps interrupts lists the I/O APICs behind it
	 * (48882 5.2, IVHD device entry 48h, variety 01h); QEMU leaves the
	 * entry out exactly when its interrupt remapping is off (intremap=off),
	 * and then refuses every interrupt of a device whose DTE has IV=1. */
	for (unsigned i = 0; iommu.ivrs && i < iommu.ivrs->nr_specials; i++)
		if (iommu.ivrs->specials[i].variety == IVHD_SPECIAL_IOAPIC)
			return true;
	return false;
}

int iommu_irt_attach(u16 bdf, const u8 *vectors, unsigned n, u32 apic, spa_t *irt)
{
	volatile u32 *t;
	spa_t pa;
	int ret, own;

	if (!iommu.up || n > BIT(IRT_LEN_LOG2))
		return -EINVAL;
	if (!iommu_remaps_interrupts())
		return -EOPNOTSUPP;
	if (!iommu.irt_owner) {
		own = pmem_owner_register("iommu-irt");
		if (own < 0)
			return own;
		iommu.irt_owner = (u8)own;
	}
	ret = pmem_alloc(PMEM_ORDER_4K, iommu.irt_owner, &pa); /* zeroed: RemapEn = 0 */
	if (ret)
		return ret;
	t = phys_ptr(pa);
	for (unsigned k = 0; k < n && !ret; k++) {
		u32 e = 0;

		if (vectors[k])
			ret = amdvi_irte_build(&e, vectors[k], apic);
		t[k] = e;
	}
	if (!ret)
		ret = irt_dte(bdf, pa);
	if (ret) {
		pr_err("iommu: interrupt remapping table for %s could not be set up (%d)\n",
		       pci_bdf_str(bdf, (char[8]){0}), ret);
		irt_dte(bdf, spa(0));
		pmem_free(pa, PMEM_ORDER_4K, iommu.irt_owner);
		return ret;
	}
	iommu.irt_live++;
	*irt = pa;
	return 0;
}

int iommu_irt_detach(u16 bdf, spa_t irt)
{
	int ret = irt_dte(bdf, spa(0));

	if (ret) {
		/* The IOMMU may still read it: keep the table (leaked, said so). */
		pr_err("iommu: %s still points at interrupt table 0x%llx (%d): not freed\n",
		       pci_bdf_str(bdf, (char[8]){0}), (unsigned long long)spa_val(irt), ret);
		return ret;
	}
	ret = pmem_free(irt, PMEM_ORDER_4K, iommu.irt_owner);
	if (!ret)
		iommu.irt_live--;
	return ret;
}

static bool dte_aborts(u16 bdf, u16 rid)
{
	struct amdvi_dte d;

	return !amdvi_set_get_dte(&iommu.set, bdf, rid, &d) && (d.data[2] & DTE_FLAG_IV) &&
	       FIELD_GET(DTE_INTCTL_MASK, d.data[2]) == DTE_INTCTL_ABORT &&
	       !(d.data[2] & (DTE_FLAG_INIT_PASS | DTE_FLAG_EINT_PASS | DTE_FLAG_NMI_PASS |
			      DTE_FLAG_LINT0_PASS | DTE_FLAG_LINT1_PASS));
}

bool iommu_irt_aborts(u16 bdf)
{
	int alias = qemu72_alias(bdf);

	return iommu.up && dte_aborts(bdf, iommu_requester_id(bdf)) &&
	       (alias < 0 || dte_aborts(bdf, (u16)alias));
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
	/* 48882 2.2.2: V=1, TV=1, Mode = levels, IR = IW = 1, DomainID. */
	ret = amdvi_set_attach(&iommu.set, bdf, rid, dom_id, root, levels);
	if (!ret && alias >= 0)
		ret = amdvi_set_attach(&iommu.set, bdf, (u16)alias, dom_id, root, levels);
	if (ret) {
		pr_err(
		    "iommu: attaching requester 0x%04x to table 0x%llx (domain %u) failed (%d)\n",
		    rid, (unsigned long long)spa_val(root), dom_id, ret);
		amdvi_set_block(&iommu.set, bdf, rid);
		if (alias >= 0)
			amdvi_set_block(&iommu.set, bdf, (u16)alias);
	}
	return ret;
}
