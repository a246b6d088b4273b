/* PCI configuration space: MCFG/ECAM, config accessors, capability walk, BAR
 * sizing, enumeration behind bridges. Pure code (see pci.h). */
#include "iommu/pci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/base/log.h"
#include "hv/base/mem.h"

/* ---- MCFG ----------------------------------------------------------------- */

int pci_mcfg_parse(const void *buf, size_t len, struct pci_mcfg *out)
{
	const u8 *p = buf;
	u32 tlen;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!buf || len < MCFG_HEADER_LEN || memcmp(p, "MCFG", 4)) {
		pr_err("pci: MCFG: not an MCFG table (%zu bytes)\n", len);
		return -EINVAL;
	}
	memcpy(&tlen, p + 4, sizeof(tlen));
	if (tlen < MCFG_HEADER_LEN || tlen > len) {
		pr_err("pci: MCFG: length %u outside [%u, %zu]\n", tlen, MCFG_HEADER_LEN, len);
		return -EINVAL;
	}
	/* PCI Firmware 3.2 Table 4-3: entries follow the 44-byte header; a
	 * trailing partial entry is a malformed table. */
	if ((tlen - MCFG_HEADER_LEN) % sizeof(struct mcfg_raw_entry)) {
		pr_err("pci: MCFG: %u bytes of entries is not a multiple of 16\n",
		       tlen - MCFG_HEADER_LEN);
		return -EINVAL;
	}
	for (u32 off = MCFG_HEADER_LEN; off < tlen; off += sizeof(struct mcfg_raw_entry)) {
		struct mcfg_raw_entry e;

		memcpy(&e, p + off, sizeof(e));
		if (!IS_ALIGNED(e.base, MiB(1)) || e.end_bus < e.start_bus) {
			pr_err("pci: MCFG entry at %u: base 0x%llx buses %02x-%02x is malformed\n",
			       off, (unsigned long long)e.base, e.start_bus, e.end_bus);
			return -EINVAL;
		}
		if (out->n == PCI_MAX_ECAM) {
			pr_warn("pci: MCFG has more than %u entries; ignoring the rest\n",
				PCI_MAX_ECAM);
			ret = -ENOSPC;
			break;
		}
		out->ecam[out->n++] =
		    (struct pci_ecam){spa(e.base), e.segment, e.start_bus, e.end_bus};
	}
	return ret;
}

const struct pci_ecam *pci_mcfg_find(const struct pci_mcfg *m, u16 segment, u8 bus)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->ecam[i].segment == segment && bus >= m->ecam[i].start_bus &&
		    bus <= m->ecam[i].end_bus)
			return &m->ecam[i];
	return NULL;
}

int pci_ecam_addr(const struct pci_ecam *e, u16 bdf, u16 reg, spa_t *out)
{
	u8 bus = pci_bdf_bus(bdf);

	if (bus < e->start_bus || bus > e->end_bus || reg >= PCIE_CFG_SPACE_SIZE)
		return -ERANGE;
	/* The MCFG base is the address of bus 0 even when the range starts
	 * later (PCI Firmware 3.2, 4.1.2), so the offset uses the bus itself. */
	*out = spa_add(e->base, pci_ecam_offset(bus, pci_bdf_dev(bdf), pci_bdf_fn(bdf), reg));
	return 0;
}

/* ---- ECAM accessors ------------------------------------------------------- */

static u32 ecam_read(void *ctx, u16 bdf, u16 reg, unsigned size)
{
	spa_t a;

	if (pci_ecam_addr(ctx, bdf, reg, &a))
		return size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
	switch (size) {
	case 1:
		return *(volatile u8 *)phys_ptr(a);
	case 2:
		return *(volatile u16 *)phys_ptr(a);
	default:
		return *(volatile u32 *)phys_ptr(a);
	}
}

static void ecam_write(void *ctx, u16 bdf, u16 reg, unsigned size, u32 val)
{
	spa_t a;

	if (pci_ecam_addr(ctx, bdf, reg, &a))
		return;
	switch (size) {
	case 1:
		*(volatile u8 *)phys_ptr(a) = (u8)val;
		break;
	case 2:
		*(volatile u16 *)phys_ptr(a) = (u16)val;
		break;
	default:
		*(volatile u32 *)phys_ptr(a) = val;
		break;
	}
}

const struct pci_cfg_ops pci_ecam_ops = {.read = ecam_read, .write = ecam_write};

u8 pci_read8(const struct pci_access *pa, u16 bdf, u16 reg)
{
	return (u8)pa->ops->read(pa->ctx, bdf, reg, 1);
}
u16 pci_read16(const struct pci_access *pa, u16 bdf, u16 reg)
{
	return (u16)pa->ops->read(pa->ctx, bdf, reg & ~1u, 2);
}
u32 pci_read32(const struct pci_access *pa, u16 bdf, u16 reg)
{
	return pa->ops->read(pa->ctx, bdf, reg & ~3u, 4);
}
void pci_write8(const struct pci_access *pa, u16 bdf, u16 reg, u8 v)
{
	pa->ops->write(pa->ctx, bdf, reg, 1, v);
}
void pci_write16(const struct pci_access *pa, u16 bdf, u16 reg, u16 v)
{
	pa->ops->write(pa->ctx, bdf, reg & ~1u, 2, v);
}
void pci_write32(const struct pci_access *pa, u16 bdf, u16 reg, u32 v)
{
	pa->ops->write(pa->ctx, bdf, reg & ~3u, 4, v);
}

u16 pci_command_update(const struct pci_access *pa, u16 bdf, u16 clear, u16 set)
{
	u16 cmd = (u16)((pci_read16(pa, bdf, PCI_COMMAND) & ~clear) | set);

	pci_write16(pa, bdf, PCI_COMMAND, cmd);
	return pci_read16(pa, bdf, PCI_COMMAND);
}

/* ---- capabilities (PCI 3.0 6.7, PCIe 5.0 7.5.1.1.11) ------------------------ */

int pci_find_cap(const struct pci_access *pa, u16 bdf, u8 id, u8 after)
{
	u8 ptr;

	if (pci_read16(pa, bdf, PCI_VENDOR_ID) == 0xFFFF)
		return -ENODEV; /* absent: the status would read all ones */
	if (!(pci_read16(pa, bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return -ENOENT;
	if (after)
		ptr = pci_read8(pa, bdf, (u16)(after + PCI_CAP_NEXT)) & PCI_CAP_PTR_MASK;
	else
		ptr = pci_read8(pa, bdf, PCI_CAPABILITY_LIST) & PCI_CAP_PTR_MASK;
	for (unsigned i = 0; i < PCI_CAP_MAX_WALK; i++) {
		if (!ptr)
			return -ENOENT;
		if (ptr < 0x40) {
			pr_warn("pci: %02x:%02x.%x: capability pointer 0x%02x inside the header\n",
				pci_bdf_bus(bdf), pci_bdf_dev(bdf), pci_bdf_fn(bdf), ptr);
			return -EIO;
		}
		if (pci_read8(pa, bdf, ptr + PCI_CAP_ID) == id)
			return ptr;
		ptr = pci_read8(pa, bdf, (u16)(ptr + PCI_CAP_NEXT)) & PCI_CAP_PTR_MASK;
	}
	pr_warn("pci: %02x:%02x.%x: capability list longer than %u entries (a loop?)\n",
		pci_bdf_bus(bdf), pci_bdf_dev(bdf), pci_bdf_fn(bdf), PCI_CAP_MAX_WALK);
	return -EIO;
}

/* ---- BARs (PCIe 5.0 7.5.1.2.1) ---------------------------------------------- */

/* size from a read-back mask of `bits` width: the mask must be ones from the
 * top down to the size bit (contiguous). 0 = unimplemented, -1 = malformed. */
static s64 mask_to_size(u64 m, unsigned bits)
{
	u64 all = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
	u64 size;

	m &= all;
	if (!m)
		return 0;
	size = (~m + 1) & all;
	if ((size & (size - 1)) || ((m | (size - 1)) & all) != all)
		return -1;
	return (s64)size;
}

int pci_bar_decode(u32 orig_lo, u32 mask_lo, u32 orig_hi, u32 mask_hi, struct pci_bar *bar)
{
	s64 sz;

	memset(bar, 0, sizeof(*bar));
	if (orig_lo & PCI_BAR_SPACE_IO) {
		u32 m = mask_lo & (u32)PCI_BAR_IO_ADDR;

		bar->kind = PCI_BAR_IO;
		bar->addr = orig_lo & (u32)PCI_BAR_IO_ADDR;
		/* 16-bit I/O decoders return zeros in 31:16 (PCI 3.0 6.2.5.1). */
		if (m && !(m & 0xFFFF0000u))
			m |= 0xFFFF0000u;
		sz = mask_to_size(m, 32);
	} else {
		unsigned type = (unsigned)FIELD_GET(PCI_BAR_MEM_TYPE, orig_lo);
		u64 m = mask_lo & (u32)PCI_BAR_MEM_ADDR;

		bar->prefetch = orig_lo & PCI_BAR_MEM_PREFETCH;
		bar->addr = orig_lo & (u32)PCI_BAR_MEM_ADDR;
		if (type == PCI_BAR_MEM_TYPE_64) {
			bar->kind = PCI_BAR_MEM64;
			bar->addr |= (u64)orig_hi << 32;
			m |= (u64)mask_hi << 32;
			sz = mask_to_size(m, 64);
		} else if (type == 3) {
			return -EINVAL; /* reserved encoding */
		} else {
			bar->kind = PCI_BAR_MEM32; /* 01b: legacy "below 1 MiB", still 32-bit */
			sz = mask_to_size(m, 32);
		}
	}
	if (sz < 0)
		return -EINVAL;
	bar->size = (u64)sz;
	return bar->kind == PCI_BAR_MEM64 ? 2 : 1;
}

int pci_size_bars(const struct pci_access *pa, u16 bdf, struct pci_bar *bars, unsigned max,
		  unsigned *n)
{
	u8 hdr = pci_read8(pa, bdf, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
	unsigned nregs = hdr == PCI_HEADER_TYPE_NORMAL ? 6 : hdr == PCI_HEADER_TYPE_BRIDGE ? 2 : 0;
	u16 cmd = pci_read16(pa, bdf, PCI_COMMAND);
	int ret = 0;

	*n = 0;
	if (!nregs)
		return 0;
	/* Decode off while a BAR holds all ones, so that the device never claims
	 * the address range the pattern spells (PCIe 5.0 7.5.1.2.1 note). */
	if (cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO))
		pci_write16(pa, bdf, PCI_COMMAND, cmd & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_IO));
	for (unsigned i = 0; i < nregs;) {
		u16 reg = (u16)(PCI_BAR0 + 4 * i);
		u32 lo = pci_read32(pa, bdf, reg), mlo, hi = 0, mhi = 0;
		bool is64 = !(lo & PCI_BAR_SPACE_IO) &&
			    FIELD_GET(PCI_BAR_MEM_TYPE, lo) == PCI_BAR_MEM_TYPE_64;
		struct pci_bar b;
		int used;

		pci_write32(pa, bdf, reg, 0xFFFFFFFFu);
		mlo = pci_read32(pa, bdf, reg);
		pci_write32(pa, bdf, reg, lo);
		if (is64 && i + 1 < nregs) {
			hi = pci_read32(pa, bdf, reg + 4);
			pci_write32(pa, bdf, reg + 4, 0xFFFFFFFFu);
			mhi = pci_read32(pa, bdf, reg + 4);
			pci_write32(pa, bdf, reg + 4, hi);
		} else if (is64) {
			pr_warn("pci: %02x:%02x.%x: 64-bit BAR%u has no upper half\n",
				pci_bdf_bus(bdf), pci_bdf_dev(bdf), pci_bdf_fn(bdf), i);
			ret = -EINVAL;
			break;
		}
		used = pci_bar_decode(lo, mlo, hi, mhi, &b);
		if (used < 0) {
			pr_warn("pci: %02x:%02x.%x: BAR%u reads back 0x%08x: malformed, skipped\n",
				pci_bdf_bus(bdf), pci_bdf_dev(bdf), pci_bdf_fn(bdf), i, mlo);
			ret = -EINVAL;
			i++;
			continue;
		}
		b.index = (u8)i;
		if (b.size && *n < max)
			bars[(*n)++] = b;
		i += (unsigned)used;
	}
	if (cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO))
		pci_write16(pa, bdf, PCI_COMMAND, cmd);
	return ret;
}

/* ---- enumeration ------------------------------------------------------------ */

static bool fn_present(const struct pci_access *pa, u16 bdf)
{
	u16 v = pci_read16(pa, bdf, PCI_VENDOR_ID);

	return v != 0xFFFF && v != 0x0000;
}

int pci_enumerate(const struct pci_access *pa, u8 root_bus, u8 last_bus, bool size_bars,
		  struct pci_dev *devs, unsigned max, unsigned *n, struct pci_enum_stats *st)
{
	u64 seen[4] = {0};
	u8 queue[256];
	u16 parent_of[256];
	unsigned qh = 0, qt = 0;
	struct pci_enum_stats local;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	*n = 0;
	if (last_bus < root_bus)
		return -EINVAL;
	/* Breadth first over buses; each bus is queued at most once. */
	queue[qt++] = root_bus;
	parent_of[root_bus] = 0xFFFF;
	seen[root_bus / 64] |= BIT(root_bus % 64);
	while (qh < qt) {
		u8 bus = queue[qh++];

		st->buses++;
		for (u8 dev = 0; dev < 32; dev++) {
			u8 nfn = 1;

			for (u8 fn = 0; fn < nfn; fn++) {
				u16 bdf = pci_bdf(bus, dev, fn);
				u32 cr;
				u8 ht;
				struct pci_dev *d;

				if (!fn_present(pa, bdf))
					continue;
				ht = pci_read8(pa, bdf, PCI_HEADER_TYPE);
				if (fn == 0 && (ht & PCI_HEADER_TYPE_MFD))
					nfn = 8;
				if (*n >= max) {
					st->truncated = true;
					continue;
				}
				d = &devs[(*n)++];
				memset(d, 0, sizeof(*d));
				d->bdf = bdf;
				d->vendor = pci_read16(pa, bdf, PCI_VENDOR_ID);
				d->device = pci_read16(pa, bdf, PCI_DEVICE_ID);
				cr = pci_read32(pa, bdf, PCI_CLASS_REVISION);
				d->class_code = (u32)FIELD_GET(PCI_CLASS_CODE_MASK, cr);
				d->revision = (u8)FIELD_GET(PCI_REVISION_MASK, cr);
				d->hdr_type = ht & PCI_HEADER_TYPE_MASK;
				d->parent = parent_of[bus];
				if (size_bars) {
					unsigned nb;

					pci_size_bars(pa, bdf, d->bars, PCI_DEV_MAX_BARS, &nb);
					d->nbars = (u8)nb;
				}
				if (d->hdr_type != PCI_HEADER_TYPE_BRIDGE)
					continue;
				d->sec_bus = pci_read8(pa, bdf, PCI_SECONDARY_BUS);
				d->sub_bus = pci_read8(pa, bdf, PCI_SUBORDINATE_BUS);
				if (d->sec_bus <= bus || d->sec_bus > last_bus ||
				    (seen[d->sec_bus / 64] & BIT(d->sec_bus % 64))) {
					pr_warn(
					    "pci: bridge %02x:%02x.%x: secondary bus %02x unusable "
					    "(own bus %02x, range %02x-%02x, or seen): not "
					    "followed\n",
					    bus, dev, fn, d->sec_bus, bus, root_bus, last_bus);
					st->skipped++;
					continue;
				}
				seen[d->sec_bus / 64] |= BIT(d->sec_bus % 64);
				parent_of[d->sec_bus] = bdf;
				queue[qt++] = d->sec_bus;
				st->bridges++;
			}
		}
	}
	return 0;
}

const char *pci_bdf_str(u16 bdf, char *buf)
{
	snprintf(buf, 8, "%02x:%02x.%x", pci_bdf_bus(bdf), pci_bdf_dev(bdf), pci_bdf_fn(bdf));
	return buf;
}

static const char *size_str(u64 sz, char *buf, size_t len)
{
	if (sz >= GiB(1) && IS_ALIGNED(sz, GiB(1)))
		snprintf(buf, len, "%lluG", (unsigned long long)(sz >> 30));
	else if (sz >= MiB(1) && IS_ALIGNED(sz, MiB(1)))
		snprintf(buf, len, "%lluM", (unsigned long long)(sz >> 20));
	else if (sz >= KiB(1) && IS_ALIGNED(sz, KiB(1)))
		snprintf(buf, len, "%lluK", (unsigned long long)(sz >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)sz);
	return buf;
}

int pci_dev_format(const struct pci_dev *d, char *buf, size_t len)
{
	static const char *const kind[] = {"none", "mem32", "mem64", "io"};
	char b[8], s[24];
	int o;

	o = snprintf(buf, len, "%s %04x:%04x class %06x", pci_bdf_str(d->bdf, b), d->vendor,
		     d->device, d->class_code);
	if (d->hdr_type == PCI_HEADER_TYPE_BRIDGE && o >= 0 && (size_t)o < len)
		o +=
		    snprintf(buf + o, len - (size_t)o, " bridge %02x-%02x", d->sec_bus, d->sub_bus);
	for (unsigned i = 0; i < d->nbars && o >= 0 && (size_t)o < len; i++)
		o += snprintf(buf + o, len - (size_t)o, " BAR%u %s%s 0x%llx/%s", d->bars[i].index,
			      kind[d->bars[i].kind], d->bars[i].prefetch ? "p" : "",
			      (unsigned long long)d->bars[i].addr,
			      size_str(d->bars[i].size, s, sizeof(s)));
	return o;
}
