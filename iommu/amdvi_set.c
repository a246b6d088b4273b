/* Every AMD IOMMU of an IVRS table driven together: device -> IOMMU map,
 * all-or-nothing bring-up, DTE routing, invalidation fan-out by domain,
 * event drain, SNP facts (see amdvi_set.h). Spec: AMD IOMMU 48882 3.2.1
 * (capability block), 3.3/3.4 (initialisation, registers), 2.2.2 (DTE),
 * 2.4.1/2.4.3 (COMPLETION_WAIT, INVALIDATE_IOMMU_PAGES), 5.2 (IVRS). */
#include "iommu/amdvi_set.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/base/log.h"

/* ---- the map ------------------------------------------------------------ */

int amdvi_set_map(struct amdvi_set *s, const struct ivrs_table *t, u8 *map)
{
	u8 unit_of_iommu[IVRS_MAX_IOMMUS];

	memset(s, 0, sizeof(*s));
	s->ivrs = t;
	s->dev_unit = map;
	s->failed_unit = -1;
	s->nr_ivrs = t->nr_iommus;
	memset(unit_of_iommu, AMDVI_SET_NONE, sizeof(unit_of_iommu));
	for (unsigned i = 0; i < t->nr_iommus && i < IVRS_MAX_IOMMUS; i++) {
		const struct ivrs_ivhd *h = ivrs_iommu(t, i);
		struct amdvi_unit *u;

		if (h->pci_seg != 0)
			continue; /* counted in nr_ivrs, not driven */
		u = &s->unit[s->n];
		u->ivhd = h;
		u->index = (u8)i;
		u->bdf = h->devid;
		u->mmio_base = spa(h->base);
		unit_of_iommu[i] = (u8)s->n++;
	}
	memset(map, AMDVI_SET_NONE, 65536);
	if (!s->n) {
		pr_err("iommu: IVRS lists %u IOMMU(s), none on PCI segment 0\n", t->nr_iommus);
		return -ENODEV;
	}
	/* 48882 5.2.2.2: device entries in table order, the last one covering an
	 * ID decides (as ivrs_lookup and Linux do). A 48h special or F0h HID
	 * entry covers its one device ID; an alias range (43h) maps its devices
	 * to the IOMMU of the entry, their DTE is the alias's in that table. */
	for (unsigned i = 0; i < t->nr_devs; i++) {
		const struct ivrs_dev *d = &t->devs[i];
		const struct ivrs_ivhd *h = &t->ivhds[d->ivhd];
		u8 k;

		if (!h->active || h->pci_seg != 0 || h->iommu >= IVRS_MAX_IOMMUS)
			continue;
		k = unit_of_iommu[h->iommu];
		for (u32 id = d->first; id <= d->last; id++)
			map[id] = k;
	}
	for (u32 id = 0; id < 65536; id++)
		if (map[id] != AMDVI_SET_NONE)
			s->unit[map[id]].ndevids++;
	return 0;
}

/* With one IOMMU on the segment every requester reaches it, listed in IVRS or
 * not (QEMU lists only what it saw at build time); with several, a device no
 * entry covers has no known IOMMU and is refused. */
struct amdvi_unit *amdvi_set_unit_of(const struct amdvi_set *s, u16 bdf)
{
	u8 k = s->dev_unit ? s->dev_unit[bdf] : AMDVI_SET_NONE;

	if (k == AMDVI_SET_NONE && s->n == 1)
		k = 0;
	return k < s->n ? (struct amdvi_unit *)&s->unit[k] : NULL;
}

struct amdvi_unit *amdvi_set_unit_at(const struct amdvi_set *s, u16 bdf)
{
	for (unsigned k = 0; k < s->n; k++)
		if (s->unit[k].bdf == bdf)
			return (struct amdvi_unit *)&s->unit[k];
	return NULL;
}

/* ---- bring-up -------------------------------------------------------------- */

u64 amdvi_ctrl_from_ivhd(u8 flags)
{
	u64 c = 0;

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

/* The IOMMU's own PCI function: capability 0Fh of type 011b (48882 3.2.1) at
 * the IVHD's device ID, preferably at the IVHD's capability offset. */
static int probe_function(struct amdvi_unit *u, const struct pci_access *pa)
{
	const struct ivrs_ivhd *h = u->ivhd;
	char b[8];
	int off = 0, found = -1;

	while ((off = pci_find_cap(pa, u->bdf, PCI_CAP_ID_SECURE, (u8)off)) > 0) {
		u32 hdr = pci_read32(pa, u->bdf, (u16)off);

		if (FIELD_GET(IOMMU_CAP_TYPE, hdr) != IOMMU_CAP_TYPE_IOMMU)
			continue;
		if (found < 0 || off == h->cap_offset)
			found = off;
	}
	if (found < 0) {
		pr_err("iommu: IOMMU %s (IVRS base 0x%llx): %s\n", pci_bdf_str(u->bdf, b),
		       (unsigned long long)h->base,
		       off == -ENODEV
			   ? "its PCI function is not there"
			   : "its PCI function has no IOMMU capability (0Fh, type 011b)");
		return -ENODEV;
	}
	u->cap_off = (u8)found;
	u->cap_header = pci_read32(pa, u->bdf, u->cap_off + IOMMU_CAP_HEADER);
	u->cap_base =
	    (u64)pci_read32(pa, u->bdf, u->cap_off + IOMMU_CAP_BASE_HIGH) << 32 |
	    (pci_read32(pa, u->bdf, u->cap_off + IOMMU_CAP_BASE_LOW) & (u32)IOMMU_CAP_BASE_LO_ADDR);
	u->np_cache = u->cap_header & IOMMU_CAP_NP_CACHE;
	if (u->cap_off != h->cap_offset)
		pr_warn("iommu: %s: IOMMU capability at 0x%02x, IVRS says 0x%02x\n",
			pci_bdf_str(u->bdf, b), u->cap_off, h->cap_offset);
	if (u->cap_base != h->base)
		pr_warn("iommu: %s: capability base 0x%llx differs from IVRS 0x%llx: using IVRS\n",
			pci_bdf_str(u->bdf, b), (unsigned long long)u->cap_base,
			(unsigned long long)h->base);
	return 0;
}

/* Largest device ID of this IOMMU's table: its IVHD entries and the bus
 * range, whichever is larger (a requester ID beyond the table is read from
 * past its end by some emulators). */
static u16 unit_max_devid(const struct amdvi_set *s, const struct amdvi_unit *u, u8 last_bus)
{
	u32 m = ((u32)last_bus << 8) | 0xFF;

	for (unsigned k = 0; k < u->ivhd->dev_count; k++)
		m = MAX(m, s->ivrs->devs[u->ivhd->dev_first + k].last);
	return (u16)MIN(m, 0xFFFFu);
}

static int unit_init(struct amdvi_set *s, struct amdvi_unit *u, unsigned k,
		     const struct amdvi_set_env *env)
{
	struct amdvi_config cfg = {0};
	const struct amdvi_mmio_ops *ops = NULL;
	void *mctx = NULL;
	char b[8];
	int ret;

	ret = probe_function(u, env->pci);
	if (ret)
		return ret;
	if (!spa_val(u->mmio_base) || !IS_ALIGNED(spa_val(u->mmio_base), AMDVI_MMIO_SIZE)) {
		pr_err("iommu: IOMMU %s: MMIO base 0x%llx is not a 16K-aligned address\n",
		       pci_bdf_str(u->bdf, b), (unsigned long long)spa_val(u->mmio_base));
		return -EINVAL;
	}
	ret = env->map_mmio(env->ctx, k, u->mmio_base, AMDVI_MMIO_SIZE, &ops, &mctx);
	if (ret) {
		pr_err("iommu: IOMMU %s: MMIO 0x%llx cannot be mapped (%d)\n",
		       pci_bdf_str(u->bdf, b), (unsigned long long)spa_val(u->mmio_base), ret);
		return ret;
	}
	/* QEMU 7.2 by its fixed EFR (its IVHD 10h has no EFR image): quirks
	 * per IOMMU, so one emulated IOMMU cannot change a real one. */
	u->efr = ops->read64(mctx, MMIO_EXT_FEATURES);
	u->qemu72 = u->efr == AMDVI_QEMU72_EFR;
	u->max_devid = unit_max_devid(s, u, env->last_bus);
	cfg.qemu72 = u->qemu72;
	cfg.poll_limit = env->poll_limit;
	cfg.ctrl_extra = amdvi_ctrl_from_ivhd(u->ivhd->flags);
	ret = amdvi_init(&u->hw, ops, mctx, env->alloc, env->ctx, u->max_devid, &cfg);
	if (ret) {
		pr_err("iommu: IOMMU %s: driver init failed (%d)\n", pci_bdf_str(u->bdf, b), ret);
		return ret;
	}
	pr_info("iommu: %u/%u %s cap 0x%02x base 0x%llx EFR 0x%llx%s%s: device table for IDs "
		"0..0x%04x (all blocked), IVRS gives it %u device ID(s)\n",
		k + 1, s->n, pci_bdf_str(u->bdf, b), u->cap_off,
		(unsigned long long)spa_val(u->mmio_base), (unsigned long long)u->efr,
		u->efr & FEATURE_SNP ? " SNPSup" : "", u->qemu72 ? " (QEMU 7.2: quirks on)" : "",
		u->max_devid, u->ndevids);
	return 0;
}

void amdvi_set_disable(struct amdvi_set *s)
{
	for (unsigned k = 0; k < s->n; k++)
		if (s->unit[k].hw.enabled)
			amdvi_disable(&s->unit[k].hw);
	s->nr_enabled = 0;
	s->up = false;
}

int amdvi_set_init(struct amdvi_set *s, const struct amdvi_set_env *env)
{
	char b[8];
	int ret = 0;
	unsigned k;

	if (!s->n || !env || !env->pci || !env->map_mmio || !env->alloc)
		return -EINVAL;
	if (s->up)
		return 0;
	s->failed_unit = -1;
	/* Everything initialised (tables blocked, IOMMUs off) before any
	 * IOMMU is enabled: a failure then leaves all of them off. */
	for (k = 0; k < s->n && !ret; k++)
		if ((ret = unit_init(s, &s->unit[k], k, env)))
			s->failed_unit = (int)k;
	for (k = 0; k < s->n && !ret; k++) {
		ret = amdvi_enable(&s->unit[k].hw);
		if (!ret) {
			s->nr_enabled++;
		} else {
			s->failed_unit = (int)k;
			pr_err("iommu: IOMMU %s: enable failed (%d)\n",
			       pci_bdf_str(s->unit[k].bdf, b), ret);
		}
	}
	if (ret) {
		pr_err("iommu: IOMMU %s (%d of %u) failed: every IOMMU is left disabled\n",
		       pci_bdf_str(s->unit[s->failed_unit].bdf, b), s->failed_unit + 1, s->n);
		amdvi_set_disable(s);
		return ret;
	}
	if (s->nr_ivrs > s->n)
		pr_warn("iommu: %u IOMMU(s) in IVRS are on other PCI segments: not driven\n",
			s->nr_ivrs - s->n);
	s->up = true;
	return 0;
}

/* ---- DTEs and domains --------------------------------------------------------- */

static struct amdvi_unit_dom *dom_find(struct amdvi_unit *u, u16 dom)
{
	for (unsigned i = 0; i < u->ndoms; i++)
		if (u->doms[i].dom == dom)
			return &u->doms[i];
	return NULL;
}

static struct amdvi_unit_dom *dom_get(struct amdvi_unit *u, u16 dom)
{
	struct amdvi_unit_dom *d = dom_find(u, dom);

	if (d || u->ndoms == AMDVI_SET_MAX_DOMS)
		return d;
	d = &u->doms[u->ndoms++];
	*d = (struct amdvi_unit_dom){.dom = dom};
	return d;
}

static void dom_drop_settled(struct amdvi_unit *u)
{
	unsigned w = 0;

	for (unsigned i = 0; i < u->ndoms; i++)
		if (u->doms[i].live || u->doms[i].owed || u->doms[i].flushing)
			u->doms[w++] = u->doms[i];
	u->ndoms = w;
}

/* The domain a translating DTE names (48882 2.2.2 DomainID), 0 for none: the
 * blocking form is V=1, TV=1 over the empty table with domain 0. */
static u16 dte_domain(const struct amdvi_unit *u, u16 rid)
{
	struct amdvi_dte d;

	if (amdvi_get_dte(&u->hw, rid, &d) || !(d.data[0] & DTE_FLAG_V) ||
	    !(d.data[0] & DTE_FLAG_TV))
		return 0;
	return (u16)FIELD_GET(DTE_DOMID_MASK, d.data[1]);
}

/* rid's DTE left domain old: that IOMMU owes old an invalidation. */
static void dom_leave(struct amdvi_unit *u, u16 old)
{
	struct amdvi_unit_dom *d = old ? dom_find(u, old) : NULL;

	if (!d)
		return;
	if (d->live)
		d->live--;
	d->owed = true;
}

static struct amdvi_unit *unit_for(const struct amdvi_set *s, u16 bdf)
{
	struct amdvi_unit *u = amdvi_set_unit_of(s, bdf);
	char b[8];

	if (!u)
		pr_err("iommu: no IOMMU in IVRS covers %s\n", pci_bdf_str(bdf, b));
	return u;
}

int amdvi_set_attach(struct amdvi_set *s, u16 bdf, u16 rid, u16 dom, spa_t root, unsigned levels)
{
	struct amdvi_unit *u = unit_for(s, bdf);
	struct amdvi_unit_dom *d;
	u16 old;
	int ret;

	if (!u)
		return -ENODEV;
	if (!dom)
		return -EINVAL;
	old = dte_domain(u, rid);
	d = dom_get(u, dom);
	if (!d) {
		pr_err("iommu: IOMMU %04x has %u domains already\n", u->bdf, AMDVI_SET_MAX_DOMS);
		return -ENOSPC;
	}
	ret = amdvi_attach(&u->hw, rid, dom, root, levels, true, true);
	if (ret) {
		dom_drop_settled(u);
		return ret;
	}
	if (old == dom) {
		d->live += !d->live; /* first seen through the set */
		return 0;
	}
	dom_leave(u, old);
	d->live++;
	return 0;
}

int amdvi_set_block(struct amdvi_set *s, u16 bdf, u16 rid)
{
	struct amdvi_unit *u = unit_for(s, bdf);
	u16 old;
	int ret;

	if (!u)
		return -ENODEV;
	old = dte_domain(u, rid);
	ret = amdvi_block_device(&u->hw, rid);
	if (!ret)
		dom_leave(u, old);
	return ret;
}

int amdvi_set_irt(struct amdvi_set *s, u16 bdf, u16 rid, spa_t irt, u8 len_log2)
{
	struct amdvi_unit *u = unit_for(s, bdf);

	return u ? amdvi_intr_table(&u->hw, rid, irt, len_log2) : -ENODEV;
}

int amdvi_set_get_dte(const struct amdvi_set *s, u16 bdf, u16 rid, struct amdvi_dte *dte)
{
	const struct amdvi_unit *u = amdvi_set_unit_of(s, bdf);

	return u ? amdvi_get_dte(&u->hw, rid, dte) : -ENODEV;
}

bool amdvi_set_is_blocked(const struct amdvi_set *s, u16 bdf, u16 rid)
{
	const struct amdvi_unit *u = amdvi_set_unit_of(s, bdf);
	struct amdvi_dte dte, want;

	if (!u || amdvi_get_dte(&u->hw, rid, &dte))
		return false;
	amdvi_dte_blocked(&want, u->hw.null_root);
	return !memcmp(&dte, &want, sizeof(dte));
}

/* ---- invalidation fan-out ------------------------------------------------------ */

u32 amdvi_set_dom_units(const struct amdvi_set *s, u16 dom)
{
	u32 mask = 0;

	for (unsigned k = 0; k < s->n; k++)
		if (dom_find((struct amdvi_unit *)&s->unit[k], dom))
			mask |= 1u << k;
	return mask;
}

int amdvi_set_inv_queue(struct amdvi_set *s, u16 dom, u64 iova, u64 size)
{
	struct amdvi_cmd cmd;
	int ret, n = 0;

	ret = amdvi_cmd_inv_pages(&cmd, dom, iova, size, true);
	if (ret)
		return ret;
	for (unsigned k = 0; k < s->n; k++) {
		struct amdvi_unit *u = &s->unit[k];
		struct amdvi_unit_dom *d = dom_find(u, dom);

		if (!d)
			continue;
		ret = amdvi_queue(&u->hw, &cmd);
		if (ret)
			return ret;
		u->queued = true;
		u->fanout_invs++;
		d->flushing = true;
		n++;
	}
	return n;
}

int amdvi_set_sync(struct amdvi_set *s)
{
	int err = 0;
	bool any = false;

	for (unsigned k = 0; k < s->n; k++) {
		struct amdvi_unit *u = &s->unit[k];
		int ret;

		if (!u->queued)
			continue;
		any = true;
		u->queued = false;
		ret = amdvi_sync(&u->hw);
		if (ret) {
			char b[8];

			pr_err("iommu: IOMMU %s: completion wait failed (%d)\n",
			       pci_bdf_str(u->bdf, b), ret);
			err = err ? err : ret;
			for (unsigned i = 0; i < u->ndoms; i++)
				u->doms[i].flushing = false; /* still owed */
			continue;
		}
		u->syncs++;
		s->batches++;
		for (unsigned i = 0; i < u->ndoms; i++)
			if (u->doms[i].flushing)
				u->doms[i].owed = u->doms[i].flushing = false;
		dom_drop_settled(u);
	}
	if (any)
		s->rounds++;
	return err;
}

int amdvi_set_inv_domain(struct amdvi_set *s, u16 dom, u64 iova, u64 size)
{
	int ret = amdvi_set_inv_queue(s, dom, iova, size);

	if (ret < 0) {
		amdvi_set_sync(s); /* what was queued still gets its wait */
		return ret;
	}
	return amdvi_set_sync(s);
}

/* ---- events, facts, report ------------------------------------------------------ */

struct evt_tramp {
	amdvi_set_event_cb cb;
	void *ctx;
	const struct amdvi_unit *u;
};

static void evt_one(void *ctx, const struct amdvi_event *ev)
{
	struct evt_tramp *t = ctx;
	char line[160], b[8];

	if (t->cb) {
		t->cb(t->ctx, t->u, ev);
		return;
	}
	amdvi_event_format(ev, line, sizeof(line));
	pr_warn("iommu %s: %s\n", pci_bdf_str(t->u->bdf, b), line);
}

int amdvi_set_read_events(struct amdvi_set *s, amdvi_set_event_cb cb, void *ctx)
{
	int total = 0, err = 0;

	for (unsigned k = 0; k < s->n; k++) {
		struct evt_tramp t = {cb, ctx, &s->unit[k]};
		int n;

		if (!s->unit[k].hw.enabled)
			continue;
		n = amdvi_read_events(&s->unit[k].hw, evt_one, &t);
		if (n < 0)
			err = err ? err : n;
		else
			total += n;
	}
	return err ? err : total;
}

void amdvi_set_snp_facts(const struct amdvi_set *s, struct amdvi_snp_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->in_ivrs = s->nr_ivrs;
	f->first_missing = -1;
	f->efr_common = s->nr_enabled ? ~0ULL : 0;
	for (unsigned k = 0; k < s->n; k++) {
		const struct amdvi_unit *u = &s->unit[k];
		bool on = s->up && u->hw.enabled;

		if (on) {
			f->driven++;
			f->efr_common &= u->efr;
		}
		if ((!on || !(u->efr & FEATURE_SNP)) && f->first_missing < 0)
			f->first_missing = (int)k;
	}
	f->all_snp_sup = f->driven > 0 && f->driven == f->in_ivrs && (f->efr_common & FEATURE_SNP);
}

int amdvi_set_unit_format(const struct amdvi_set *s, unsigned k, char *buf, size_t len)
{
	const struct amdvi_unit *u;
	const struct amdvi_stats *st;
	char b[8];

	if (k >= s->n)
		return snprintf(buf, len, "-");
	u = &s->unit[k];
	st = &u->hw.stats;
	return snprintf(buf, len,
			"%s base 0x%llx EFR 0x%llx%s%s IVHD %02xh: %u entries, %u device IDs, "
			"table 0..0x%04x; %s; cmds=%llu waits=%llu inv_pages=%llu "
			"inv_devtab=%llu fanout_invs=%llu batches=%llu events=%llu",
			pci_bdf_str(u->bdf, b), (unsigned long long)spa_val(u->mmio_base),
			(unsigned long long)u->efr, u->efr & FEATURE_SNP ? " SNPSup" : "",
			u->qemu72 ? " qemu72" : "", u->ivhd->type, u->ivhd->dev_count, u->ndevids,
			u->max_devid, u->hw.enabled ? "enabled" : "off",
			(unsigned long long)st->commands, (unsigned long long)st->completion_waits,
			(unsigned long long)st->inv_pages, (unsigned long long)st->inv_devtab,
			(unsigned long long)u->fanout_invs, (unsigned long long)u->syncs,
			(unsigned long long)st->events);
}
