/* The virtual PCI of a Linux guest (hv/vm/vpci.h): configuration
 * mechanism #1, a host bridge, the passed-through functions' filtered
 * configuration space and their MSI-X tables. Pure. */
#include "hv/vm/vpci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PCI_CAP_EXP_LEN 0x3c /* PCIe Base 5.0 7.5.3: capability version 2 */

void vpci_init(struct vpci *vp)
{
	memset(vp, 0, sizeof(*vp));
}

static int fail(char *why, unsigned len, int err, const char *msg)
{
	if (why && len)
		snprintf(why, len, "%s", msg);
	return err;
}

/* PCI 3.0 6.8.2.4/6.8.2.5: table and PBA through BIR 0 only, inside BAR0. */
static int msix_probe(struct vpci_dev *d, u8 cap, char *why, unsigned len)
{
	struct vpci_msix *m = &d->msix;
	u16 ctrl = pci_read16(&d->real, d->host_bdf, cap + PCI_MSIX_FLAGS);
	u32 t = pci_read32(&d->real, d->host_bdf, cap + PCI_MSIX_TABLE);
	u32 p = pci_read32(&d->real, d->host_bdf, cap + PCI_MSIX_PBA);

	m->cap = cap;
	m->nr_real = (u16)(FIELD_GET(PCI_MSIX_FLAGS_QSIZE, ctrl) + 1);
	m->nr = MIN(m->nr_real, (u16)VPCI_MSIX_MAX);
	m->table_off = (u32)(t & PCI_MSIX_OFFSET);
	m->pba_off = (u32)(p & PCI_MSIX_OFFSET);
	if (FIELD_GET(PCI_MSIX_BIR, t) || FIELD_GET(PCI_MSIX_BIR, p))
		return fail(why, len, -EINVAL, "MSI-X table or PBA is not in BAR0");
	if ((u64)m->table_off + (u64)m->nr_real * PCI_MSIX_ENTRY_SIZE > d->bar_size ||
	    (u64)m->pba_off + ALIGN_UP(m->nr_real, 64) / 8 > d->bar_size)
		return fail(why, len, -EINVAL, "MSI-X table or PBA lies beyond BAR0");
	for (unsigned i = 0; i < VPCI_MSIX_MAX; i++)
		m->e[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT; /* reset: masked */
	return 0;
}

int vpci_add(struct vpci *vp, const struct pci_access *real, u16 host_bdf,
	     const struct pci_bar *bar0, u64 guest_bar, char *why, unsigned whylen)
{
	struct vpci_dev *d;
	u8 off;
	int ret;

	if (vp->n >= VPCI_MAX_DEVS)
		return fail(why, whylen, -ENOSPC, "too many functions for the virtual bus");
	if (bar0->kind != PCI_BAR_MEM32 && bar0->kind != PCI_BAR_MEM64)
		return fail(why, whylen, -EINVAL, "BAR0 is not a memory BAR");
	if (!bar0->size || (bar0->size & (bar0->size - 1)) || (guest_bar & (bar0->size - 1)))
		return fail(why, whylen, -EINVAL, "BAR0 size or guest address misaligned");
	d = &vp->dev[vp->n];
	memset(d, 0, sizeof(*d));
	d->host_bdf = host_bdf;
	d->real = *real;
	d->bar_size = bar0->size;
	d->bar64 = bar0->kind == PCI_BAR_MEM64;
	d->prefetch = bar0->prefetch;
	d->bar_lo = (u32)guest_bar;
	d->bar_hi = d->bar64 ? (u32)(guest_bar >> 32) : 0;
	if (!d->bar64 && guest_bar >> 32)
		return fail(why, whylen, -EINVAL, "a 32-bit BAR0 cannot sit above 4 GiB");
	d->cmd = PCI_COMMAND_MEMORY; /* decode on, as firmware leaves it; no bus mastering */
	/* PCI 3.0 6.7: walk the real list, keep PCIe (read-only) and MSI-X. */
	off = (u8)(pci_read8(real, host_bdf, PCI_CAPABILITY_LIST) & PCI_CAP_PTR_MASK);
	if (!(pci_read16(real, host_bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		off = 0;
	for (unsigned n = 0; off && n < PCI_CAP_MAX_WALK; n++) {
		u8 id = pci_read8(real, host_bdf, off + PCI_CAP_ID);
		u8 len = id == PCI_CAP_ID_EXP	 ? PCI_CAP_EXP_LEN
			 : id == PCI_CAP_ID_MSIX ? PCI_MSIX_CAP_LEN
						 : 0;

		if (off < 0x40 || off + len > PCI_CFG_SPACE_SIZE)
			return fail(why, whylen, -EINVAL,
				    "capability list points outside 0x40-0xFF");
		if (len && d->nr_caps < VPCI_MAX_CAPS) {
			if (id == PCI_CAP_ID_MSIX) {
				ret = msix_probe(d, off, why, whylen);
				if (ret)
					return ret;
			}
			d->cap_off[d->nr_caps] = off;
			d->cap_len[d->nr_caps++] = len;
		}
		off = (u8)(pci_read8(real, host_bdf, off + PCI_CAP_NEXT) & PCI_CAP_PTR_MASK);
	}
	if (off)
		return fail(why, whylen, -EINVAL, "capability list loops");
	if (!d->msix.cap)
		return fail(why, whylen, -EINVAL,
			    "no MSI-X capability: the guest would have no interrupt from it");
	return (int)vp->n++;
}

/* ---- configuration space ------------------------------------------------------------- */

static struct vpci_dev *dev_at(struct vpci *vp, u8 devfn)
{
	unsigned slot = devfn >> 3;

	if ((devfn & 7) || slot < 1 || slot > vp->n)
		return NULL;
	return &vp->dev[slot - 1];
}

static u32 hb_dword(u16 reg)
{
	switch (reg) {
	case PCI_VENDOR_ID:
		return VPCI_HB_VENDOR | (u32)VPCI_HB_DEVICE << 16;
	case PCI_CLASS_REVISION:
		return (u32)VPCI_HB_CLASS << 8;
	default:
		return 0; /* header type 0, no BARs, no capabilities */
	}
}

static u32 bar_lo_read(const struct vpci_dev *d)
{
	u32 type = d->bar64 ? FIELD_PREP(PCI_BAR_MEM_TYPE, PCI_BAR_MEM_TYPE_64) : 0;

	return (d->bar_lo & (u32) ~(d->bar_size - 1) & (u32)PCI_BAR_MEM_ADDR) | type |
	       (d->prefetch ? (u32)PCI_BAR_MEM_PREFETCH : 0);
}

/* The capability kept at or covering reg, or -1. */
static int cap_covering(const struct vpci_dev *d, u16 reg)
{
	for (unsigned k = 0; k < d->nr_caps; k++)
		if (reg >= d->cap_off[k] && reg < d->cap_off[k] + d->cap_len[k])
			return (int)k;
	return -1;
}

/* One byte of the kept capabilities: the real one, with the next pointer
 * relinked over hidden capabilities and MSI-X's control word virtual. */
static u8 cap_byte(const struct vpci_dev *d, u16 reg)
{
	int k = cap_covering(d, reg);
	u16 rel, ctrl;

	if (k < 0)
		return 0; /* a hidden capability or device-specific space */
	rel = reg - d->cap_off[k];
	if (rel == PCI_CAP_NEXT)
		return (unsigned)k + 1 < d->nr_caps ? d->cap_off[k + 1] : 0;
	if (d->cap_off[k] == d->msix.cap && (rel == PCI_MSIX_FLAGS || rel == PCI_MSIX_FLAGS + 1)) {
		ctrl = (u16)((d->msix.nr - 1) | d->msix.ctrl);
		return (u8)(rel == PCI_MSIX_FLAGS ? ctrl : ctrl >> 8);
	}
	return pci_read8(&d->real, d->host_bdf, reg);
}

static u32 dev_dword(const struct vpci_dev *d, u16 reg)
{
	u32 v;
	u16 status;

	switch (reg) {
	case PCI_VENDOR_ID:
	case PCI_CLASS_REVISION:
	case PCI_SUBSYSTEM_VENDOR_ID:
		return pci_read32(&d->real, d->host_bdf, reg);
	case PCI_COMMAND:
		status = pci_read16(&d->real, d->host_bdf, PCI_STATUS) & ~(u16)PCI_STATUS_CAP_LIST;
		if (d->nr_caps)
			status |= PCI_STATUS_CAP_LIST;
		return d->cmd | (u32)status << 16;
	case PCI_CACHE_LINE_SIZE: /* header type 0, single function, no BIST */
		return d->cache_line | (u32)d->latency << 8;
	case PCI_BAR0:
		return bar_lo_read(d);
	case PCI_BAR0 + 4:
		return d->bar64 ? (d->bar_hi & (u32)(~(d->bar_size - 1) >> 32)) : 0;
	case PCI_CAPABILITY_LIST:
		return d->nr_caps ? d->cap_off[0] : 0;
	case PCI_INTERRUPT_LINE: /* pin 0: no INTx (no I/O APIC either) */
		return d->intr_line;
	default:
		if (reg < 0x40)
			return 0; /* other BARs, CIS, ROM: not offered */
		v = 0;
		for (unsigned b = 0; b < 4; b++)
			v |= (u32)cap_byte(d, reg + b) << (8 * b);
		return v;
	}
}

u32 vpci_cfg_read(struct vpci *vp, u8 devfn, u16 reg, unsigned size)
{
	const struct vpci_dev *d = dev_at(vp, devfn);
	u32 v;

	if (reg >= PCI_CFG_SPACE_SIZE || (size != 1 && size != 2 && size != 4) ||
	    (reg & (size - 1)))
		return ~0u;
	if (devfn == 0)
		v = hb_dword(reg & ~3u);
	else if (d)
		v = dev_dword(d, reg & ~3u);
	else
		v = ~0u; /* no function: all ones */
	v >>= 8 * (reg & 3);
	return size == 4 ? v : v & (u32)(BIT(8 * size) - 1);
}

static u32 merge(u32 old, u32 val, u32 lanes)
{
	return (old & ~lanes) | (val & lanes);
}

void vpci_cfg_write(struct vpci *vp, u8 devfn, u16 reg, unsigned size, u32 val)
{
	struct vpci_dev *d = dev_at(vp, devfn);
	u16 r = reg & ~3u;
	u32 shift = 8 * (reg & 3);
	u32 lanes = (size == 4 ? ~0u : (u32)(BIT(8 * size) - 1)) << shift;
	int k;

	if (!d || reg >= PCI_CFG_SPACE_SIZE || (size != 1 && size != 2 && size != 4) ||
	    (reg & (size - 1)))
		return; /* the host bridge and absent functions ignore writes */
	val <<= shift;
	switch (r) {
	case PCI_COMMAND: /* status (RW1C) is the real one's: writes ignored */
		if (lanes & 0xffff)
			d->cmd = (u16)(merge(d->cmd, val, lanes) &
				       (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
					PCI_COMMAND_INTX_DISABLE));
		return;
	case PCI_CACHE_LINE_SIZE:
		d->cache_line = (u8)merge(d->cache_line, val, lanes & 0xff);
		d->latency = (u8)(merge((u32)d->latency << 8, val, lanes & 0xff00) >> 8);
		return;
	case PCI_BAR0:
		d->bar_lo = merge(d->bar_lo, val, lanes);
		return;
	case PCI_BAR0 + 4:
		if (d->bar64)
			d->bar_hi = merge(d->bar_hi, val, lanes);
		return;
	case PCI_INTERRUPT_LINE:
		d->intr_line = (u8)merge(d->intr_line, val, lanes & 0xff);
		return;
	default:
		break;
	}
	k = cap_covering(d, r);
	/* MSI-X Message Control: Enable and Function Mask only (6.8.2.3). */
	if (k >= 0 && d->cap_off[k] == d->msix.cap && (lanes & 0xffff0000u) && r == d->msix.cap) {
		d->msix.ctrl =
		    (u16)(merge((u32)d->msix.ctrl << 16, val, lanes & 0xffff0000u) >> 16) &
		    (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
		return;
	}
	d->cfg_dropped++;
}

/* PCI 3.0 3.2.2.3.2: a 32-bit access at 0xCF8 is CONFIG_ADDRESS; other
 * sizes there are not (they reach nothing here); 0xCFC-0xCFF the data. */
int vpci_pio(struct vpci *vp, u16 port, unsigned size, bool in, u32 *val)
{
	u32 a = vp->addr, ones = size == 4 ? ~0u : (u32)(BIT(8 * size) - 1);
	u16 reg;

	if (port < PCI_CONF1_ADDR_PORT || port + size > PCI_CONF1_DATA_PORT + 4)
		return -ENOENT;
	if (port < PCI_CONF1_DATA_PORT) {
		if (port == PCI_CONF1_ADDR_PORT && size == 4) {
			if (in)
				*val = a;
			else
				vp->addr =
				    *val & (u32)(PCI_CONF1_ENABLE | PCI_CONF1_EXT_REG |
						 PCI_CONF1_BUS | PCI_CONF1_DEVFN | PCI_CONF1_REG);
		} else if (in) {
			*val = ones;
		}
		return 0;
	}
	reg = (u16)(FIELD_GET(PCI_CONF1_REG, a) << 2) + (port - PCI_CONF1_DATA_PORT);
	if (!(a & PCI_CONF1_ENABLE) || FIELD_GET(PCI_CONF1_BUS, a) ||
	    FIELD_GET(PCI_CONF1_EXT_REG, a) || (reg & (size - 1))) {
		if (in)
			*val = ones;
		return 0;
	}
	if (in)
		*val = vpci_cfg_read(vp, (u8)FIELD_GET(PCI_CONF1_DEVFN, a), reg, size);
	else
		vpci_cfg_write(vp, (u8)FIELD_GET(PCI_CONF1_DEVFN, a), reg, size, *val & ones);
	return 0;
}

bool vpci_bar_live(const struct vpci_dev *d, u64 *gpa)
{
	if (!(d->cmd & PCI_COMMAND_MEMORY))
		return false;
	*gpa = ((u64)(d->bar64 ? d->bar_hi : 0) << 32 | d->bar_lo) & ~(d->bar_size - 1) & ~(u64)0xf;
	return true;
}

/* ---- MSI-X table and PBA (PCI 3.0 6.8.2.6-6.8.2.10) ---------------------------------- */

unsigned vpci_trap_ranges(const struct vpci_dev *d, u64 off[2], u64 len[2])
{
	const struct vpci_msix *m = &d->msix;
	u64 t0 = ALIGN_DOWN(m->table_off, PAGE_SIZE);
	u64 t1 = ALIGN_UP((u64)m->table_off + (u64)m->nr_real * PCI_MSIX_ENTRY_SIZE, PAGE_SIZE);
	u64 p0 = ALIGN_DOWN(m->pba_off, PAGE_SIZE);
	u64 p1 = ALIGN_UP((u64)m->pba_off + ALIGN_UP(m->nr_real, 64) / 8, PAGE_SIZE);

	if (!m->cap)
		return 0;
	if (p0 < t1 && t0 < p1) { /* one trapped range covers both */
		off[0] = MIN(t0, p0);
		len[0] = MAX(t1, p1) - off[0];
		return 1;
	}
	off[0] = MIN(t0, p0);
	len[0] = off[0] == t0 ? t1 - t0 : p1 - p0;
	off[1] = off[0] == t0 ? p0 : t0;
	len[1] = off[0] == t0 ? p1 - p0 : t1 - t0;
	return 2;
}

bool vpci_trapped(const struct vpci_dev *d, u64 off)
{
	u64 o[2], l[2];
	unsigned n = vpci_trap_ranges(d, o, l);

	for (unsigned i = 0; i < n; i++)
		if (off >= o[i] && off - o[i] < l[i])
			return true;
	return false;
}

u32 vpci_msix_read(const struct vpci_dev *d, u64 off)
{
	const struct vpci_msix *m = &d->msix;

	if (off >= m->table_off && off < m->table_off + (u64)m->nr * PCI_MSIX_ENTRY_SIZE) {
		const struct vpci_msix_entry *e = &m->e[(off - m->table_off) / PCI_MSIX_ENTRY_SIZE];

		switch ((off - m->table_off) % PCI_MSIX_ENTRY_SIZE) {
		case PCI_MSIX_ENTRY_LOWER_ADDR:
			return e->addr_lo;
		case PCI_MSIX_ENTRY_UPPER_ADDR:
			return e->addr_hi;
		case PCI_MSIX_ENTRY_DATA:
			return e->data;
		default:
			return e->ctrl;
		}
	}
	if (off >= m->pba_off && off < m->pba_off + 8) /* VPCI_MSIX_MAX <= 64 */
		return (u32)(m->pending >> (8 * (off - m->pba_off)));
	return 0; /* entries beyond nr, the rest of the page */
}

int vpci_msix_write(struct vpci_dev *d, u64 off, u32 val)
{
	struct vpci_msix *m = &d->msix;
	struct vpci_msix_entry *e;
	unsigned i;

	if (off < m->table_off || off >= m->table_off + (u64)m->nr * PCI_MSIX_ENTRY_SIZE) {
		m->dropped++; /* the PBA is read-only (6.8.2.10), the rest reaches nothing */
		return -1;
	}
	i = (unsigned)((off - m->table_off) / PCI_MSIX_ENTRY_SIZE);
	e = &m->e[i];
	switch ((off - m->table_off) % PCI_MSIX_ENTRY_SIZE) {
	case PCI_MSIX_ENTRY_LOWER_ADDR:
		e->addr_lo = val & ~3u; /* DWORD aligned (6.8.2.7) */
		break;
	case PCI_MSIX_ENTRY_UPPER_ADDR:
		e->addr_hi = val;
		break;
	case PCI_MSIX_ENTRY_DATA:
		e->data = val;
		break;
	default:
		e->ctrl = val & PCI_MSIX_ENTRY_CTRL_MASKBIT;
		break;
	}
	return (int)i;
}

bool vpci_msix_masked(const struct vpci_dev *d, unsigned i)
{
	const struct vpci_msix *m = &d->msix;

	return i >= m->nr || !(m->ctrl & PCI_MSIX_FLAGS_ENABLE) ||
	       (m->ctrl & PCI_MSIX_FLAGS_MASKALL) || (m->e[i].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

/* A message this hypervisor delivers: to the interrupt address range,
 * fixed or lowest-priority delivery, edge-triggered, a legal vector. */
static const char *msg_refused(const struct vpci_msix_entry *e)
{
	if (e->addr_hi || FIELD_GET(MSI_ADDR_BASE_MASK, e->addr_lo) != MSI_ADDR_BASE >> 20)
		return "address outside the interrupt range 0xFEExxxxx";
	if (FIELD_GET(MSI_DATA_DELIVERY, e->data) > 1)
		return "delivery mode other than fixed or lowest priority";
	if (e->data & MSI_DATA_TRIGGER)
		return "level-triggered";
	if (FIELD_GET(MSI_DATA_VECTOR, e->data) < 16)
		return "vector below 16";
	return NULL;
}

void vpci_msix_hw(const struct vpci_dev *d, unsigned i, u32 host_apic, struct vpci_msix_hw *out)
{
	const struct vpci_msix *m = &d->msix;

	memset(out, 0, sizeof(*out));
	out->masked = true;
	if (i >= m->nr) {
		out->why = "beyond the entries offered to the guest";
		return;
	}
	/* Never the guest's address or data: the hypervisor's vector to the
	 * hypervisor's CPU, fixed delivery, edge, physical destination. */
	out->addr_lo = MSI_ADDR_BASE | (u32)FIELD_PREP(MSI_ADDR_DEST_ID, host_apic);
	out->data = m->host_vec[i];
	if (vpci_msix_masked(d, i))
		return;
	if (!m->host_vec[i]) {
		out->why = "no host vector left";
		return;
	}
	out->why = msg_refused(&m->e[i]);
	out->masked = out->why != NULL;
}

static bool dest_ok(const struct vpci_msix_entry *e, const struct vlapic *l)
{
	u32 dest = (u32)FIELD_GET(MSI_ADDR_DEST_ID, e->addr_lo);

	if (e->addr_lo & MSI_ADDR_DM_LOGICAL)
		return (dest & (l->ldr >> 24)) != 0; /* flat model */
	return dest == l->id || dest == 0xff;
}

enum vpci_fire vpci_msix_fire(struct vpci_dev *d, unsigned i, struct vlapic *l)
{
	struct vpci_msix *m = &d->msix;
	const struct vpci_msix_entry *e = &m->e[i % VPCI_MSIX_MAX];

	if (i >= m->nr) {
		m->dropped++;
		return VPCI_FIRE_DROPPED;
	}
	if (vpci_msix_masked(d, i)) {
		m->pending |= BIT(i);
		m->held++;
		return VPCI_FIRE_HELD;
	}
	if (msg_refused(e)) {
		m->refused++;
		return VPCI_FIRE_REFUSED;
	}
	if (!dest_ok(e, l)) {
		m->dropped++;
		return VPCI_FIRE_DROPPED;
	}
	vlapic_set_irq(l, (u8)FIELD_GET(MSI_DATA_VECTOR, e->data));
	m->delivered++;
	return VPCI_FIRE_DELIVERED;
}

unsigned vpci_msix_flush(struct vpci_dev *d, struct vlapic *l)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->msix.nr; i++) {
		if (!(d->msix.pending & BIT(i)) || vpci_msix_masked(d, i))
			continue;
		d->msix.pending &= ~BIT(i);
		n += vpci_msix_fire(d, i, l) == VPCI_FIRE_DELIVERED;
	}
	return n;
}
