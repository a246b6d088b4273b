/* A Linux guest's passed-through functions: the hardware side of the
 * virtual PCI (hv/vm/guest_vpci.h). The model (hv/vm/vpci.c) says what the
 * guest programmed; this file makes the machine follow it:
 * - BAR0 in the NPT (gmem_map_mmio) at the guest's address while its
 *   memory decode is on and the address lies in the guest's BAR window,
 *   except the pages of the MSI-X table and PBA, which stay unmapped so
 *   every access is a nested page fault decoded by hv/svm/exits.c;
 * - bus mastering of the real function as the guest sets it;
 * - each real MSI-X entry (PCI 3.0 6.8.2.6) holds a vector of the
 *   hypervisor's own (GUEST_VPCI_VEC_FIRST..LAST, one per guest entry),
 *   fixed delivery to the BSP, masked whenever the guest's entry is masked
 *   or its message is refused. The guest's address and data never reach
 *   the device, so it cannot aim its device at another APIC or at a vector
 *   of the hypervisor; the host interrupt is translated back into the
 *   vector the guest programmed (vpci_msix_fire -> vlapic_set_irq);
 * - the IOMMU remaps the device's interrupts (48882 2.2.5): its table holds
 *   exactly the host vectors above, IRTE k for entry k, and the real entry's
 *   data is the index k. Any other write the device makes to the interrupt
 *   window 0xFEExxxxx (a DMA the guest aimed there, with any data) names an
 *   IRTE with RemapEn = 0 and is target-aborted. */
#include "hv/vm/guest_vpci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/arch/x86/paging.h"
#include "hv/arch/x86/smp.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/base/report.h"
#include "hv/core/gmem.h"
#include "hv/mm/pmem.h"
#include "hv/svm/svm.h"
#include "hv/vm/guest_gmem.h"
#include "hv/vm/vpci.h"
#include "iommu/iommu.h"

struct gvdev {
	spa_t bar;
	u64 gpa;     /* where BAR0 is mapped now (valid when mapped) */
	bool mapped; /* the ranges outside the trapped pages are in the NPT */
	bool refused_reported, window_reported;
	u16 last_ctrl;
	u64 off[3], len[3]; /* BAR0 minus the trapped pages */
	unsigned nr;
	spa_t irt; /* its interrupt remapping table (iommu_irt_attach), or 0 */
};

struct gvpci {
	struct guest *g;
	struct vpci vp;
	struct gvdev d[VPCI_MAX_DEVS];
	u64 win_lo, win_hi;
	u32 host_apic;
};

static struct gvpci gvs[CFG_MAX_GUESTS];

static struct {
	struct gvpci *gv;
	u8 dev, entry;
} hvec[256];

static u64 stray_irqs;

static struct gvpci *gv_of(const struct guest *g)
{
	return g->id < CFG_MAX_GUESTS && gvs[g->id].g == g ? &gvs[g->id] : NULL;
}

static volatile u32 *bar_reg(const struct gvdev *v, u64 off)
{
	return (volatile u32 *)phys_ptr(spa_add(v->bar, off));
}

/* The real entry k of function i, as the model wants it (masked first:
 * PCI 3.0 6.8.2.9, address and data change only while masked). */
static void program_entry(struct gvpci *gv, unsigned i, unsigned k)
{
	struct vpci_dev *d = &gv->vp.dev[i];
	struct gvdev *v = &gv->d[i];
	u64 e = d->msix.table_off + (u64)k * PCI_MSIX_ENTRY_SIZE;
	struct vpci_msix_hw hw;
	char b[8];

	vpci_msix_hw(d, k, gv->host_apic, &hw);
	/* Remapped (48882 2.2.5): data 10:0 is the IRTE index and 10:8 = 000b
	 * (fixed), so k < 256; the IRTE holds the host vector and the APIC. */
	if (spa_val(v->irt))
		hw.data = k;
	*bar_reg(v, e + PCI_MSIX_ENTRY_VECTOR_CTRL) = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	*bar_reg(v, e + PCI_MSIX_ENTRY_LOWER_ADDR) = hw.addr_lo;
	*bar_reg(v, e + PCI_MSIX_ENTRY_UPPER_ADDR) = hw.addr_hi;
	*bar_reg(v, e + PCI_MSIX_ENTRY_DATA) = hw.data;
	if (!hw.masked)
		*bar_reg(v, e + PCI_MSIX_ENTRY_VECTOR_CTRL) = 0;
	if (hw.why && k < d->msix.nr) {
		d->msix.refused++;
		if (!v->refused_reported)
			pr_warn("guest %s: device %s: MSI-X entry %u (address 0x%x:%08x data 0x%x) "
				"refused: %s; the real entry stays masked\n",
				gv->g->name, pci_bdf_str(d->host_bdf, b), k, d->msix.e[k].addr_hi,
				d->msix.e[k].addr_lo, d->msix.e[k].data, hw.why);
		v->refused_reported = true;
	}
}

static void unmap_bar(struct gvpci *gv, unsigned i)
{
	struct gvdev *v = &gv->d[i];
	struct gmem *gm = guest_gmem(gv->g);

	if (!v->mapped)
		return;
	for (unsigned r = 0; r < v->nr; r++)
		if (gm && gmem_unmap_mmio(gm, gpa(v->gpa + v->off[r])))
			pr_err("guest %s: BAR range at GPA 0x%llx was not mapped\n", gv->g->name,
			       (unsigned long long)(v->gpa + v->off[r]));
	v->mapped = false;
}

/* BAR0 where the guest has it now, or nowhere (decode off, outside the
 * window, over another function's BAR). */
static void sync_bar(struct gvpci *gv, unsigned i)
{
	struct vpci_dev *d = &gv->vp.dev[i];
	struct gvdev *v = &gv->d[i];
	struct gmem *gm = guest_gmem(gv->g);
	u64 at;
	bool live = vpci_bar_live(d, &at);
	char b[8];
	int ret = 0;

	if (v->mapped && live && at == v->gpa)
		return;
	unmap_bar(gv, i);
	if (!live || !gm)
		return;
	for (unsigned k = 0; k < gv->vp.n; k++) {
		u64 o;

		if (k != i && gv->d[k].mapped && vpci_bar_live(&gv->vp.dev[k], &o) &&
		    at < o + gv->vp.dev[k].bar_size && o < at + d->bar_size)
			ret = -EBUSY;
	}
	if (at < gv->win_lo || at + d->bar_size > gv->win_hi || ret) {
		if (!v->window_reported)
			pr_warn("guest %s: device %s: BAR0 at GPA 0x%llx is %s: not mapped\n",
				gv->g->name, pci_bdf_str(d->host_bdf, b), (unsigned long long)at,
				ret ? "over another device's BAR"
				    : "outside the guest's BAR window");
		v->window_reported = true;
		return;
	}
	for (unsigned r = 0; r < v->nr && !ret; r++) {
		ret = gmem_map_mmio(gm, gpa(at + v->off[r]), spa_add(v->bar, v->off[r]), v->len[r]);
		if (ret) {
			pr_err("guest %s: device %s: BAR0 range at GPA 0x%llx could not be mapped "
			       "(%d)\n",
			       gv->g->name, pci_bdf_str(d->host_bdf, b),
			       (unsigned long long)(at + v->off[r]), ret);
			for (unsigned q = 0; q < r; q++)
				gmem_unmap_mmio(gm, gpa(at + v->off[q]));
		}
	}
	if (!ret) {
		v->gpa = at;
		v->mapped = true;
	}
}

/* After a configuration write: mapping, bus mastering, and the real entries
 * when MSI-X's Enable or Function Mask changed. */
static void apply(struct gvpci *gv)
{
	for (unsigned i = 0; i < gv->vp.n; i++) {
		struct vpci_dev *d = &gv->vp.dev[i];
		struct gvdev *v = &gv->d[i];

		sync_bar(gv, i);
		pci_command_update(&iommu.pci, d->host_bdf,
				   (d->cmd & PCI_COMMAND_MASTER) ? 0 : PCI_COMMAND_MASTER,
				   (d->cmd & PCI_COMMAND_MASTER) ? PCI_COMMAND_MASTER : 0);
		if (d->msix.ctrl != v->last_ctrl) {
			v->last_ctrl = d->msix.ctrl;
			for (unsigned k = 0; k < d->msix.nr; k++)
				program_entry(gv, i, k);
			vpci_msix_flush(d, &gv->g->lapic);
		}
	}
}

static int vpci_pio_op(struct guest *g, u16 port, unsigned size, bool in, u32 *val)
{
	struct gvpci *gv = gv_of(g);
	int ret;

	if (!gv)
		return -ENOENT;
	ret = vpci_pio(&gv->vp, port, size, in, val);
	if (!ret && !in && port >= PCI_CONF1_DATA_PORT)
		apply(gv);
	return ret;
}

/* The function and BAR offset of a trapped GPA. */
static int trapped_at(struct gvpci *gv, u64 ga, u64 *off)
{
	for (unsigned i = 0; i < gv->vp.n; i++) {
		const struct gvdev *v = &gv->d[i];

		if (v->mapped && ga >= v->gpa && ga - v->gpa < gv->vp.dev[i].bar_size &&
		    vpci_trapped(&gv->vp.dev[i], ga - v->gpa)) {
			*off = ga - v->gpa;
			return (int)i;
		}
	}
	return -1;
}

static bool vpci_mmio_claims(struct guest *g, u64 ga)
{
	struct gvpci *gv = gv_of(g);
	u64 off;

	return gv && trapped_at(gv, ga, &off) >= 0;
}

static void vpci_mmio_op(struct guest *g, u64 ga, bool write, u32 *val)
{
	struct gvpci *gv = gv_of(g);
	struct vpci_dev *d;
	u64 off;
	int i = gv ? trapped_at(gv, ga, &off) : -1;
	int k;

	if (i < 0) {
		if (!write)
			*val = ~0u;
		return;
	}
	d = &gv->vp.dev[i];
	if (!write) {
		*val = vpci_msix_read(d, off);
		/* pending bits the real function holds for masked entries */
		if (off >= d->msix.pba_off && off < d->msix.pba_off + 8)
			*val |= *bar_reg(&gv->d[i], off) &
				(u32)((BIT(d->msix.nr) - 1) >> (8 * (off - d->msix.pba_off)));
		return;
	}
	k = vpci_msix_write(d, off, *val);
	if (k >= 0) {
		program_entry(gv, (unsigned)i, (unsigned)k);
		vpci_msix_flush(d, &g->lapic);
	}
}

static const struct guest_dev_ops vpci_ops = {
    .pio = vpci_pio_op,
    .mmio_claims = vpci_mmio_claims,
    .mmio = vpci_mmio_op,
};

/* BAR0 minus the trapped pages, as up to three ranges. */
static void split_bar(struct gvdev *v, const struct vpci_dev *d)
{
	u64 to[2], tl[2], at = 0;
	unsigned n = vpci_trap_ranges(d, to, tl);

	v->nr = 0;
	for (unsigned t = 0; t <= n; t++) {
		u64 end = t < n ? to[t] : d->bar_size;

		if (end > at) {
			v->off[v->nr] = at;
			v->len[v->nr++] = end - at;
		}
		if (t < n)
			at = to[t] + tl[t];
	}
}

int guest_vpci_add(struct guest *g, u16 bdf, const struct pci_bar *bar, gpa_t bar_gpa, u64 win_lo,
		   u64 win_hi, char *why, unsigned whylen)
{
	struct gvpci *gv;
	struct vpci_dev *d;
	struct gvdev *v;
	unsigned nvec = 0;
	int i, ret;

	if (g->id >= CFG_MAX_GUESTS)
		return -EINVAL;
	gv = &gvs[g->id];
	if (gv->g != g) {
		memset(gv, 0, sizeof(*gv));
		gv->g = g;
		vpci_init(&gv->vp);
		gv->win_lo = win_lo;
		gv->win_hi = win_hi;
		gv->host_apic = smp_this_apic_id(); /* guests run on the BSP */
		g->dev_ops = &vpci_ops;
	}
	i = vpci_add(&gv->vp, &iommu.pci, bdf, bar, gpa_val(bar_gpa), why, whylen);
	if (i < 0)
		return i;
	d = &gv->vp.dev[i];
	v = &gv->d[i];
	v->bar = spa(bar->addr);
	ret = paging_map_mmio(v->bar, bar->size); /* the real table, from here */
	if (ret) {
		snprintf(why, whylen, "BAR0 could not be mapped for the hypervisor (%d)", ret);
		gv->vp.n--;
		return ret;
	}
	split_bar(v, d);
	for (unsigned k = 0; k < d->msix.nr; k++)
		for (unsigned h = GUEST_VPCI_VEC_FIRST; h <= GUEST_VPCI_VEC_LAST; h++)
			if (!hvec[h].gv) {
				hvec[h].gv = gv;
				hvec[h].dev = (u8)i;
				hvec[h].entry = (u8)k;
				d->msix.host_vec[k] = (u8)h;
				nvec++;
				break;
			}
	/* The IOMMU's table: exactly these vectors, before MSI-X is enabled. */
	ret = iommu_irt_attach(bdf, d->msix.host_vec, d->msix.nr, gv->host_apic, &v->irt);
	if (ret == -EOPNOTSUPP) {
		snprintf(why, whylen,
			 "the IOMMU does not remap interrupts (IVRS lists no I/O APIC, entry 48h), "
			 "so its MSI-X cannot be delivered safely");
		return ret;
	}
	if (ret) {
		snprintf(why, whylen, "its interrupt remapping table could not be set up (%d)",
			 ret);
		return ret; /* guest_vpci_remove frees the vectors */
	}
	/* Every real entry masked, then MSI-X on with Function Mask clear: the
	 * per-entry masks decide from here (PCI 3.0 6.8.2.3). */
	for (unsigned k = 0; k < d->msix.nr_real; k++)
		*bar_reg(v, d->msix.table_off + (u64)k * PCI_MSIX_ENTRY_SIZE +
				PCI_MSIX_ENTRY_VECTOR_CTRL) = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	pci_write16(&iommu.pci, bdf, d->msix.cap + PCI_MSIX_FLAGS,
		    (u16)((pci_read16(&iommu.pci, bdf, d->msix.cap + PCI_MSIX_FLAGS) &
			   ~PCI_MSIX_FLAGS_MASKALL) |
			  PCI_MSIX_FLAGS_ENABLE));
	pci_command_update(&iommu.pci, bdf, 0, PCI_COMMAND_INTX_DISABLE);
	v->last_ctrl = 0xffff; /* program every entry once */
	apply(gv);
	pr_info("guest %s: device %s at guest 00:%02x.0: BAR0 %lluK at GPA 0x%llx (window "
		"[0x%llx, 0x%llx)), MSI-X %u of %u entries (table +0x%x, PBA +0x%x) on host "
		"vectors from 0x%x (%u) through IRT 0x%llx, %u capability(ies) shown\n",
		g->name, pci_bdf_str(bdf, (char[8]){0}), i + 1,
		(unsigned long long)(bar->size >> 10), (unsigned long long)gpa_val(bar_gpa),
		(unsigned long long)win_lo, (unsigned long long)win_hi, d->msix.nr, d->msix.nr_real,
		d->msix.table_off, d->msix.pba_off, d->msix.host_vec[0], nvec,
		(unsigned long long)spa_val(v->irt), d->nr_caps);
	if (nvec < d->msix.nr)
		pr_warn("guest %s: only %u host vectors left for %u MSI-X entries: the rest "
			"stay masked\n",
			g->name, nvec, d->msix.nr);
	return 0;
}

void guest_vpci_remove(struct guest *g)
{
	struct gvpci *gv = gv_of(g);
	char b[8], name[96];

	if (!gv)
		return;
	for (unsigned i = 0; i < gv->vp.n; i++) {
		struct vpci_dev *d = &gv->vp.dev[i];
		struct vpci_msix *m = &d->msix;

		for (unsigned k = 0; k < m->nr_real; k++)
			*bar_reg(&gv->d[i], m->table_off + (u64)k * PCI_MSIX_ENTRY_SIZE +
						PCI_MSIX_ENTRY_VECTOR_CTRL) =
			    PCI_MSIX_ENTRY_CTRL_MASKBIT;
		pci_write16(&iommu.pci, d->host_bdf, m->cap + PCI_MSIX_FLAGS,
			    (u16)(pci_read16(&iommu.pci, d->host_bdf, m->cap + PCI_MSIX_FLAGS) &
				  ~PCI_MSIX_FLAGS_ENABLE));
		unmap_bar(gv, i);
		pci_bdf_str(d->host_bdf, b);
		/* MSI-X is off: the table goes, the DTE aborts interrupts again. */
		if (spa_val(gv->d[i].irt)) {
			u64 before = pmem_owner_pages(iommu.irt_owner);
			int ret = iommu_irt_detach(d->host_bdf, gv->d[i].irt);
			u64 after = pmem_owner_pages(iommu.irt_owner);

			snprintf(name, sizeof(name), "dev.%s.%s.irt_released", g->name, b);
			report_check(
			    !ret && iommu_irt_aborts(d->host_bdf) && after + 1 == before, name,
			    "interrupt remapping table 0x%llx: DTE back to IV=1 IntCtl=abort, "
			    "INVALIDATE_INTERRUPT_TABLE waited for, %llu -> %llu page(s) of "
			    "iommu-irt (%d)",
			    (unsigned long long)spa_val(gv->d[i].irt), (unsigned long long)before,
			    (unsigned long long)after, ret);
			gv->d[i].irt = spa(0);
		}
		pr_info("guest %s: device %s: MSI-X interrupts delivered %llu, held while masked "
			"%llu, refused %llu, dropped %llu; config writes ignored %llu\n",
			g->name, b, (unsigned long long)m->delivered, (unsigned long long)m->held,
			(unsigned long long)m->refused, (unsigned long long)m->dropped,
			(unsigned long long)d->cfg_dropped);
		snprintf(name, sizeof(name), "msix.%s.%s.delivered", g->name, b);
		report_metric(name, m->delivered, "interrupts");
		snprintf(name, sizeof(name), "msix.%s.%s.refused", g->name, b);
		report_metric(name, m->refused, "entries");
		snprintf(name, sizeof(name), "msix.%s.%s.held", g->name, b);
		report_metric(name, m->held, "interrupts");
	}
	for (unsigned h = 0; h < ARRAY_SIZE(hvec); h++)
		if (hvec[h].gv == gv)
			hvec[h].gv = NULL;
	g->dev_ops = NULL;
	memset(gv, 0, sizeof(*gv));
}

void guest_vpci_poll(void)
{
	u8 vec;

	while (svm_host_irq_take(&vec)) {
		struct gvpci *gv = hvec[vec].gv;

		if (!gv || !gv->g || guest_done(gv->g)) {
			if (!stray_irqs++)
				pr_warn("host vector 0x%x arrived with no guest entry behind it\n",
					vec);
			continue;
		}
		vpci_msix_fire(&gv->vp.dev[hvec[vec].dev], hvec[vec].entry, &gv->g->lapic);
	}
}

bool guest_vpci_can_wake(const struct guest *g)
{
	const struct gvpci *gv = gv_of(g);

	for (unsigned i = 0; gv && i < gv->vp.n; i++)
		if (gv->vp.dev[i].msix.ctrl & PCI_MSIX_FLAGS_ENABLE)
			return true;
	return false;
}
