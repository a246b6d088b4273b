/* ACPI IVRS parser (AMD IOMMU spec 48882, section 5): checks every length
 * against the buffer, the table and the enclosing block, and decodes the
 * IVHD, IVMD and device entries into a struct ivrs_table. Pure code: no heap,
 * no floating point. Layout facts are in ivrs.h; design notes in docs/ivrs.md. */
#include "iommu/ivrs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hv/base/log.h"

struct ivrs_parser {
	const u8 *p; /* the table */
	u32 len;     /* its length from the header, checked against the buffer */
	struct ivrs_table *t;
	struct ivrs_error *err;
};

static int __printf(4, 5) fail(struct ivrs_parser *ps, int e, u32 off, const char *fmt, ...)
{
	struct ivrs_error local;
	struct ivrs_error *er = ps->err ? ps->err : &local;
	va_list ap;

	er->err = e;
	er->offset = off;
	va_start(ap, fmt);
	vsnprintf(er->msg, sizeof(er->msg), fmt, ap);
	va_end(ap);
	if (ps->err)
		pr_debug("ivrs: offset %u: %s\n", (unsigned)off, er->msg);
	else
		pr_err("ivrs: offset %u: %s\n", (unsigned)off, er->msg);
	return e;
}

static u16 get_u16(const u8 *p)
{
	return (u16)(p[0] | (p[1] << 8));
}

static u32 get_u32(const u8 *p)
{
	return (u32)get_u16(p) | ((u32)get_u16(p + 2) << 16);
}

/* Copy an n-char ACPI ID and terminate it, dropping trailing spaces and NULs
 * (padding) and turning other non-printable bytes into '?'. */
static void copy_id(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = src[i];

		dst[i] = (c == 0 || (c >= 0x20 && c < 0x7f)) ? c : '?';
	}
	dst[n] = 0;
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == 0))
		dst[--n] = 0;
}

/* Length of the device entry at pos, 0 after an error (48882 5.2.2.2: below
 * 80h the top two type bits give 4 or 8 bytes; F0h carries its UID length
 * at byte 21; other types of 80h and above have no length we could know). */
static u32 entry_length(struct ivrs_parser *ps, u32 pos, u32 end, int *ret)
{
	u8 type = ps->p[pos];

	if (type < 0x80)
		return 4u << (type >> 6);
	if (type == IVHD_DEV_ACPI_HID) {
		if (end - pos < sizeof(struct ivhd_raw_hid)) {
			*ret = fail(ps, -EINVAL, pos,
				    "ACPI HID entry (F0h): its 22 fixed bytes cross the IVHD block "
				    "end at %u",
				    (unsigned)end);
			return 0;
		}
		return sizeof(struct ivhd_raw_hid) + ps->p[pos + 21];
	}
	*ret = fail(ps, -EOPNOTSUPP, pos, "device entry type %02xh: 80h+ type of unknown length",
		    type);
	return 0;
}

static struct ivrs_dev *new_dev(struct ivrs_parser *ps, u32 pos, int *ret)
{
	struct ivrs_table *t = ps->t;
	struct ivrs_dev *d;

	if (t->nr_devs >= IVRS_MAX_DEVS) {
		*ret = fail(ps, -ENOSPC, pos, "more than %u device entries", IVRS_MAX_DEVS);
		return NULL;
	}
	d = &t->devs[t->nr_devs++];
	memset(d, 0, sizeof(*d));
	d->offset = pos;
	d->ivhd = t->nr_ivhds - 1;
	return d;
}

/* 48h: IOAPIC or HPET behind this IOMMU (48882 5.2.2.2, "Special device"). */
static int parse_special(struct ivrs_parser *ps, const struct ivhd_raw_entry *e, u32 pos)
{
	struct ivrs_table *t = ps->t;
	struct ivrs_special *s;
	struct ivrs_dev *d;
	int ret = 0;

	if (t->nr_specials >= IVRS_MAX_SPECIALS)
		return fail(ps, -ENOSPC, pos, "more than %u special device entries",
			    IVRS_MAX_SPECIALS);
	d = new_dev(ps, pos, &ret);
	if (!d)
		return ret;
	s = &t->specials[t->nr_specials];
	s->handle = e->b4;
	s->devid = e->w5;
	s->variety = e->b7;
	s->dte = e->dte;
	s->ivhd = t->nr_ivhds - 1;
	d->type = e->type;
	d->dte = e->dte;
	d->first = d->last = e->w5;
	d->aux = t->nr_specials++;
	return 0;
}

/* F0h: a device named by its ACPI _HID/_CID/_UID (48882 5.2.2.2). */
static int parse_hid(struct ivrs_parser *ps, u32 pos)
{
	struct ivrs_table *t = ps->t;
	struct ivhd_raw_hid raw;
	struct ivrs_hid *h;
	struct ivrs_dev *d;
	int ret = 0;

	memcpy(&raw, ps->p + pos, sizeof(raw));
	if (raw.uid_format > IVHD_UID_STRING)
		return fail(ps, -EINVAL, pos, "ACPI HID entry: UID format %u is not 0, 1 or 2",
			    raw.uid_format);
	if (raw.uid_len > IVRS_UID_MAX)
		return fail(ps, -ENOSPC, pos, "ACPI HID entry: UID of %u bytes, at most %u kept",
			    raw.uid_len, IVRS_UID_MAX);
	if (t->nr_hids >= IVRS_MAX_HIDS)
		return fail(ps, -ENOSPC, pos, "more than %u ACPI HID entries", IVRS_MAX_HIDS);
	d = new_dev(ps, pos, &ret);
	if (!d)
		return ret;
	h = &t->hids[t->nr_hids];
	memset(h, 0, sizeof(*h));
	copy_id(h->hid, raw.hid, sizeof(raw.hid));
	copy_id(h->cid, raw.cid, sizeof(raw.cid));
	h->uid_format = raw.uid_format;
	h->uid_len = raw.uid_len;
	memcpy(h->uid, ps->p + pos + sizeof(raw), raw.uid_len);
	h->devid = raw.devid;
	h->dte = raw.dte;
	h->ivhd = t->nr_ivhds - 1;
	d->type = raw.type;
	d->dte = raw.dte;
	d->first = d->last = raw.devid;
	d->aux = t->nr_hids++;
	return 0;
}

/* The device entries of one IVHD block, [pos, end). A start-of-range entry
 * (03h, 43h, 47h) must be followed directly by an end-of-range entry (04h);
 * the pair becomes one struct ivrs_dev. */
static int parse_entries(struct ivrs_parser *ps, struct ivrs_ivhd *h, u32 pos, u32 end)
{
	struct ivrs_dev range = {0};
	bool in_range = false;
	int ret = 0;

	while (pos < end) {
		struct ivhd_raw_entry e = {0};
		struct ivrs_dev *d;
		u32 elen = entry_length(ps, pos, end, &ret);

		if (!elen)
			return ret;
		if (elen > end - pos)
			return fail(
			    ps, -EINVAL, pos,
			    "device entry type %02xh (%u bytes) crosses the IVHD block end at %u",
			    ps->p[pos], (unsigned)elen, (unsigned)end);
		memcpy(&e, ps->p + pos, MIN(elen, sizeof(e)));
		h->types_seen[e.type >> 6] |= BIT(e.type & 63);

		if (in_range && e.type != IVHD_DEV_RANGE_END)
			return fail(
			    ps, -EINVAL, pos,
			    "range started by %02xh at offset %u is not ended by 04h (found %02xh)",
			    range.type, (unsigned)range.offset, e.type);

		switch (e.type) {
		case IVHD_DEV_ALL:
		case IVHD_DEV_SELECT:
		case IVHD_DEV_ALIAS:
		case IVHD_DEV_EXT_SELECT:
			d = new_dev(ps, pos, &ret);
			if (!d)
				return ret;
			d->type = e.type;
			d->dte = e.dte;
			d->first = e.type == IVHD_DEV_ALL ? 0 : e.devid;
			d->last = e.type == IVHD_DEV_ALL ? 0xffff : e.devid;
			d->has_alias = e.type == IVHD_DEV_ALIAS;
			d->alias = d->has_alias ? e.w5 : 0;
			d->ext = e.type == IVHD_DEV_EXT_SELECT ? get_u32(ps->p + pos + 4) : 0;
			break;
		case IVHD_DEV_RANGE_START:
		case IVHD_DEV_ALIAS_RANGE:
		case IVHD_DEV_EXT_RANGE:
			memset(&range, 0, sizeof(range));
			range.offset = pos;
			range.type = e.type;
			range.dte = e.dte;
			range.first = e.devid;
			range.has_alias = e.type == IVHD_DEV_ALIAS_RANGE;
			range.alias = range.has_alias ? e.w5 : 0;
			range.ext = e.type == IVHD_DEV_EXT_RANGE ? get_u32(ps->p + pos + 4) : 0;
			in_range = true;
			break;
		case IVHD_DEV_RANGE_END:
			if (!in_range)
				return fail(ps, -EINVAL, pos,
					    "end-of-range entry (04h, device %04x) without a start",
					    e.devid);
			if (e.devid < range.first)
				return fail(ps, -EINVAL, pos,
					    "range ends at device %04x before its start %04x",
					    e.devid, range.first);
			d = new_dev(ps, range.offset, &ret);
			if (!d)
				return ret;
			range.last = e.devid;
			range.ivhd = d->ivhd;
			*d = range;
			in_range = false;
			break;
		case IVHD_DEV_SPECIAL:
			ret = parse_special(ps, &e, pos);
			if (ret)
				return ret;
			break;
		case IVHD_DEV_ACPI_HID:
			ret = parse_hid(ps, pos);
			if (ret)
				return ret;
			break;
		default:
			/* 00h/40h padding and reserved types below 80h: their
			 * length is known, nothing to decode (48882 5.2.2.2). */
			break;
		}
		pos += elen;
	}
	if (in_range)
		return fail(ps, -EINVAL, range.offset,
			    "range started by %02xh is not ended before the IVHD block end at %u",
			    range.type, (unsigned)end);
	return 0;
}

/* IVHD block, types 10h, 11h, 40h (48882 5.2.2.1). */
static int parse_ivhd(struct ivrs_parser *ps, u32 off, u32 blen)
{
	struct ivrs_table *t = ps->t;
	struct ivrs_raw_ivhd raw = {0};
	u32 hlen = ps->p[off] == IVRS_TYPE_IVHD_10 ? IVHD10_HDR_LEN : IVHD11_HDR_LEN;
	struct ivrs_ivhd *h;
	int ret;

	if (blen < hlen)
		return fail(ps, -EINVAL, off, "IVHD type %02xh: length %u below its %u-byte header",
			    ps->p[off], (unsigned)blen, (unsigned)hlen);
	if (t->nr_ivhds >= IVRS_MAX_IVHDS)
		return fail(ps, -ENOSPC, off, "more than %u IVHD blocks", IVRS_MAX_IVHDS);
	memcpy(&raw, ps->p + off, hlen);
	h = &t->ivhds[t->nr_ivhds++];
	memset(h, 0, sizeof(*h));
	h->offset = off;
	h->length = raw.length;
	h->type = raw.type;
	h->flags = raw.flags;
	h->devid = raw.devid;
	h->cap_offset = raw.cap_offset;
	h->pci_seg = raw.pci_seg;
	h->iommu_info = raw.iommu_info;
	h->base = raw.base;
	h->attr = raw.attr;
	h->efr = raw.efr;
	h->efr2 = raw.efr2;
	h->dev_first = t->nr_devs;
	ret = parse_entries(ps, h, off + hlen, off + blen);
	h->dev_count = t->nr_devs - h->dev_first;
	return ret;
}

/* IVMD block, types 20h, 21h, 22h (48882 5.2.3). */
static int parse_ivmd(struct ivrs_parser *ps, u32 off, u32 blen)
{
	struct ivrs_table *t = ps->t;
	struct ivrs_raw_ivmd raw;
	struct ivrs_ivmd *m;

	if (blen < sizeof(raw))
		return fail(ps, -EINVAL, off, "IVMD type %02xh: length %u below 32", ps->p[off],
			    (unsigned)blen);
	memcpy(&raw, ps->p + off, sizeof(raw));
	if (raw.type == IVRS_TYPE_IVMD_RANGE && raw.aux < raw.devid)
		return fail(ps, -EINVAL, off,
			    "IVMD 22h: device range %04x-%04x ends before it starts", raw.devid,
			    raw.aux);
	if (raw.size && raw.start + (raw.size - 1) < raw.start)
		return fail(ps, -EINVAL, off, "IVMD: memory range %#llx + %#llx wraps around",
			    (unsigned long long)raw.start, (unsigned long long)raw.size);
	if (t->nr_ivmds >= IVRS_MAX_IVMDS)
		return fail(ps, -ENOSPC, off, "more than %u IVMD blocks", IVRS_MAX_IVMDS);
	m = &t->ivmds[t->nr_ivmds++];
	m->offset = off;
	m->type = raw.type;
	m->flags = raw.flags;
	m->pci_seg = raw.pci_seg;
	m->start = raw.start;
	m->size = raw.size;
	switch (raw.type) {
	case IVRS_TYPE_IVMD_ALL:
		m->first = 0;
		m->last = 0xffff;
		break;
	case IVRS_TYPE_IVMD_SEL:
		m->first = m->last = raw.devid;
		break;
	default:
		m->first = raw.devid;
		m->last = raw.aux;
		break;
	}
	return 0;
}

static bool is_ivhd(u8 type)
{
	return type == IVRS_TYPE_IVHD_10 || type == IVRS_TYPE_IVHD_11 || type == IVRS_TYPE_IVHD_40;
}

static bool is_ivmd(u8 type)
{
	return type >= IVRS_TYPE_IVMD_ALL && type <= IVRS_TYPE_IVMD_RANGE;
}

/* Walk the blocks that follow the 48-byte IVRS header. Unknown block types
 * are recorded and skipped by their length. */
static int parse_blocks(struct ivrs_parser *ps)
{
	struct ivrs_table *t = ps->t;
	u32 off = sizeof(struct ivrs_raw_header);

	while (off < ps->len) {
		struct ivrs_block *b;
		u32 blen;
		u8 type;
		int ret;

		if (ps->len - off < 4)
			return fail(ps, -EINVAL, off,
				    "%u trailing bytes, too short for a block header",
				    (unsigned)(ps->len - off));
		type = ps->p[off];
		blen = get_u16(ps->p + off + 2);
		if (blen < 4)
			return fail(ps, -EINVAL, off, "block type %02xh with length %u", type,
				    (unsigned)blen);
		if (blen > ps->len - off)
			return fail(ps, -EINVAL, off,
				    "block type %02xh of %u bytes crosses the table end at %u",
				    type, (unsigned)blen, (unsigned)ps->len);
		if (t->nr_blocks >= IVRS_MAX_BLOCKS)
			return fail(ps, -ENOSPC, off, "more than %u blocks", IVRS_MAX_BLOCKS);
		b = &t->blocks[t->nr_blocks++];
		b->offset = off;
		b->length = blen;
		b->type = type;
		b->flags = ps->p[off + 1];
		b->index = 0xffff;
		if (is_ivhd(type)) {
			b->index = t->nr_ivhds;
			ret = parse_ivhd(ps, off, blen);
		} else if (is_ivmd(type)) {
			b->index = t->nr_ivmds;
			ret = parse_ivmd(ps, off, blen);
		} else {
			ret = 0;
		}
		if (ret)
			return ret;
		off += blen;
	}
	return 0;
}

/* One IOMMU may be described by a 10h block and an 11h and/or 40h block
 * (48882 5.2.2: the later types are supersets for newer software). Like
 * Linux, use the highest type; the other blocks stay decoded but inactive.
 * IOMMUs are identified by (PCI segment, device ID) and numbered in the
 * order they first appear. */
static int pick_active_ivhds(struct ivrs_parser *ps)
{
	struct ivrs_table *t = ps->t;
	unsigned i, j;

	for (i = 0; i < t->nr_ivhds; i++) {
		struct ivrs_ivhd *h = &t->ivhds[i];
		struct ivrs_ivhd *best = h;
		bool seen = false;

		for (j = 0; j < t->nr_ivhds; j++) {
			struct ivrs_ivhd *o = &t->ivhds[j];

			if (j == i || o->pci_seg != h->pci_seg || o->devid != h->devid)
				continue;
			if (o->type == h->type)
				return fail(ps, -EINVAL, o->offset,
					    "IOMMU %04x:%04x described twice by IVHD type %02xh",
					    h->pci_seg, h->devid, h->type);
			if (j < i)
				seen = true;
			if (o->type > best->type)
				best = o;
		}
		if (!seen) {
			if (t->nr_iommus >= IVRS_MAX_IOMMUS)
				return fail(ps, -ENOSPC, h->offset, "more than %u IOMMUs",
					    IVRS_MAX_IOMMUS);
			best->active = true;
			t->iommu_ivhd[t->nr_iommus] = (u16)(best - t->ivhds);
			t->nr_iommus++;
		}
	}
	/* Every block of an IOMMU records its number. */
	for (i = 0; i < t->nr_iommus; i++) {
		const struct ivrs_ivhd *a = &t->ivhds[t->iommu_ivhd[i]];

		for (j = 0; j < t->nr_ivhds; j++)
			if (t->ivhds[j].pci_seg == a->pci_seg && t->ivhds[j].devid == a->devid)
				t->ivhds[j].iommu = (u8)i;
	}
	return 0;
}

int ivrs_parse(const void *buf, size_t len, struct ivrs_table *t, struct ivrs_error *err)
{
	struct ivrs_parser ps = {.p = buf, .t = t, .err = err};
	struct ivrs_raw_header raw;
	u8 sum = 0;
	u32 i;
	int ret;

	memset(t, 0, sizeof(*t));
	if (err)
		memset(err, 0, sizeof(*err));
	if (!buf || len < sizeof(struct acpi_header))
		return fail(&ps, -EINVAL, 0, "buffer of %zu bytes cannot hold an ACPI header (36)",
			    buf ? len : 0);
	memcpy(&raw.hdr, buf, sizeof(raw.hdr));
	if (memcmp(raw.hdr.signature, "IVRS", 4))
		return fail(&ps, -EINVAL, 0, "signature is not IVRS");
	if (raw.hdr.length > len)
		return fail(&ps, -EINVAL, 4, "header length %u exceeds the %zu bytes given",
			    (unsigned)raw.hdr.length, len);
	if (raw.hdr.length < sizeof(raw))
		return fail(&ps, -EINVAL, 4, "header length %u below the 48-byte IVRS header",
			    (unsigned)raw.hdr.length);
	ps.len = raw.hdr.length;
	for (i = 0; i < ps.len; i++)
		sum += ps.p[i];
	if (sum)
		return fail(&ps, -EBADMSG, 9, "checksum: bytes sum to %#x, not 0", sum);
	if (raw.hdr.revision != 1 && raw.hdr.revision != 2)
		return fail(&ps, -EOPNOTSUPP, 8, "revision %u (only 1 and 2 are known)",
			    raw.hdr.revision);
	memcpy(&raw, buf, sizeof(raw));

	copy_id(t->oem_id, raw.hdr.oem_id, sizeof(raw.hdr.oem_id));
	copy_id(t->oem_table_id, raw.hdr.oem_table_id, sizeof(raw.hdr.oem_table_id));
	t->revision = raw.hdr.revision;
	t->length = raw.hdr.length;
	t->checksum = raw.hdr.checksum;
	t->oem_revision = raw.hdr.oem_revision;
	t->ivinfo = raw.ivinfo;

	ret = parse_blocks(&ps);
	if (!ret)
		ret = pick_active_ivhds(&ps);
	return ret;
}

const struct ivrs_ivhd *ivrs_iommu(const struct ivrs_table *t, unsigned i)
{
	if (i >= t->nr_iommus)
		return NULL;
	return &t->ivhds[t->iommu_ivhd[i]];
}

int ivrs_lookup(const struct ivrs_table *t, u16 bdf, struct ivrs_dev_info *info)
{
	unsigned i;

	for (i = t->nr_devs; i-- > 0;) {
		const struct ivrs_dev *d = &t->devs[i];
		const struct ivrs_ivhd *h = &t->ivhds[d->ivhd];

		if (!h->active || h->pci_seg != 0 || bdf < d->first || bdf > d->last)
			continue;
		info->iommu = h->iommu;
		info->dte = d->dte;
		info->alias = d->has_alias ? d->alias : bdf;
		info->ext = d->ext;
		info->dev = d;
		return 0;
	}
	return -ENOENT;
}

const struct ivrs_ivmd *ivrs_next_ivmd(const struct ivrs_table *t, u16 bdf, unsigned *pos)
{
	while (*pos < t->nr_ivmds) {
		const struct ivrs_ivmd *m = &t->ivmds[(*pos)++];

		if (m->pci_seg == 0 && bdf >= m->first && bdf <= m->last)
			return m;
	}
	return NULL;
}

const char *ivrs_block_name(u8 type)
{
	switch (type) {
	case IVRS_TYPE_IVHD_10:
	case IVRS_TYPE_IVHD_11:
	case IVRS_TYPE_IVHD_40:
		return "IVHD";
	case IVRS_TYPE_IVMD_ALL:
		return "IVMD all";
	case IVRS_TYPE_IVMD_SEL:
		return "IVMD select";
	case IVRS_TYPE_IVMD_RANGE:
		return "IVMD range";
	default:
		return "unknown";
	}
}

const char *ivrs_dev_name(u8 type)
{
	switch (type) {
	case IVHD_DEV_PAD4:
	case IVHD_DEV_PAD8:
		return "pad";
	case IVHD_DEV_ALL:
		return "all";
	case IVHD_DEV_SELECT:
		return "select";
	case IVHD_DEV_RANGE_START:
		return "range";
	case IVHD_DEV_RANGE_END:
		return "end of range";
	case IVHD_DEV_ALIAS:
		return "alias select";
	case IVHD_DEV_ALIAS_RANGE:
		return "alias range";
	case IVHD_DEV_EXT_SELECT:
		return "ext select";
	case IVHD_DEV_EXT_RANGE:
		return "ext range";
	case IVHD_DEV_SPECIAL:
		return "special";
	case IVHD_DEV_ACPI_HID:
		return "ACPI HID";
	default:
		return "reserved";
	}
}
