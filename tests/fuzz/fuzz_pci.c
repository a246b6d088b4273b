/* libFuzzer target for iommu/pci.c and iommu/bar_policy.c: PCI configuration
 * space and BAR validation as a hostile device or firmware could present them.
 *
 * Input: four functions (00:00.0, 00:01.0, 01:00.0, 02:00.0), each with 256
 * bytes of config space (headers, bridges, capability lists, BAR values), six
 * BAR write masks (the answers to sizing), and a register + value the
 * function writes into itself once memory decode is enabled; then a few
 * owned ranges and the physical address width for the policy. The functions
 * are enumerated (BARs sized, bridges followed), their capability lists
 * walked, and every BAR read back, checked and, when accepted, enabled.
 *
 * Must never crash, and must never accept a BAR that leaves the windows or
 * touches an owned range or another memory BAR (checked here independently,
 * with 128-bit ends); a BAR accepted by bar_enable_decode must still read as
 * validated. */
#include <stdlib.h>
#include <string.h>

#include "iommu/bar_policy.h"
#include "iommu/pci.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

#define NFN 4

struct fn {
	u16 bdf;
	u8 cfg[PCI_CFG_SPACE_SIZE];
	u32 mask[6];
	u8 move_reg;
	u32 move_val;
};

static struct fn fns[NFN];
static const u16 bdfs[NFN] = {0x0000, 0x0008, 0x0100, 0x0200};

static struct fn *find(u16 bdf)
{
	for (unsigned i = 0; i < NFN; i++)
		if (fns[i].bdf == bdf)
			return &fns[i];
	return NULL;
}

static u32 fread_(void *ctx, u16 bdf, u16 reg, unsigned sz)
{
	const struct fn *f = find(bdf);
	u32 v = 0;

	(void)ctx;
	if (!f || reg >= PCI_CFG_SPACE_SIZE || reg % sz)
		return sz == 4 ? 0xFFFFFFFFu : (1u << (8 * sz)) - 1;
	memcpy(&v, f->cfg + reg, sz);
	return v;
}

static void fwrite_(void *ctx, u16 bdf, u16 reg, unsigned sz, u32 val)
{
	struct fn *f = find(bdf);
	u16 cmd;

	(void)ctx;
	if (!f || reg >= PCI_CFG_SPACE_SIZE || reg % sz)
		return;
	if (reg >= PCI_BAR0 && reg < PCI_BAR0 + 24 && sz == 4) {
		u32 m = f->mask[(reg - PCI_BAR0) / 4], old;

		memcpy(&old, f->cfg + reg, 4);
		val = (old & ~m) | (val & m);
		memcpy(f->cfg + reg, &val, 4);
		return;
	}
	if (reg == PCI_COMMAND && sz == 2) {
		cmd = (u16)val;
		memcpy(f->cfg + reg, &cmd, 2);
		if ((cmd & PCI_COMMAND_MEMORY) && f->move_reg >= PCI_BAR0 &&
		    f->move_reg < PCI_BAR0 + 24)
			memcpy(f->cfg + (f->move_reg & ~3u), &f->move_val, 4);
	}
}

static const struct pci_cfg_ops ops = {fread_, fwrite_};
static const struct pci_access pa = {&ops, NULL};

static bool is_mem(const struct pci_bar *b)
{
	return (b->kind == PCI_BAR_MEM32 || b->kind == PCI_BAR_MEM64) && b->size;
}

static bool hits(u64 a, u64 e, u64 b, u64 size)
{
	unsigned __int128 be = (unsigned __int128)b + size;

	return a < be && b < e;
}

/* The independent judgement of an accepted BAR. */
static void must_be_clean(const struct bar_policy *p, const struct pci_dev *devs, unsigned n,
			  u16 bdf, const struct pci_bar *b)
{
	u64 a = b->addr, e = b->addr + b->size;
	bool in = false;

	if (!is_mem(b) || e <= a || b->size < PAGE_SIZE || (b->size & (b->size - 1)) || a % b->size)
		abort();
	for (unsigned i = 0; i < p->nwin; i++)
		in |= a >= p->win[i].base && e <= p->win[i].end;
	if (!in)
		abort();
	for (unsigned i = 0; i < p->nowned; i++)
		if (hits(a, e, p->owned[i].base, p->owned[i].end - p->owned[i].base))
			abort();
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < devs[i].nbars; k++) {
			const struct pci_bar *x = &devs[i].bars[k];

			if (is_mem(x) && !(devs[i].bdf == bdf && x->index == b->index) &&
			    hits(a, e, x->addr, x->size))
				abort();
		}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct bar_policy p;
	static struct pci_dev devs[16], live[16];
	const size_t per_fn = PCI_CFG_SPACE_SIZE + 24 + 5;
	struct pci_enum_stats st;
	unsigned n;
	size_t o = 0;
	char why[192];

	if (size < NFN * per_fn + 1)
		return 0;
	memset(fns, 0, sizeof(fns));
	for (unsigned i = 0; i < NFN; i++) {
		fns[i].bdf = bdfs[i];
		memcpy(fns[i].cfg, data + o, PCI_CFG_SPACE_SIZE);
		o += PCI_CFG_SPACE_SIZE;
		memcpy(fns[i].mask, data + o, 24);
		o += 24;
		fns[i].move_reg = data[o];
		memcpy(&fns[i].move_val, data + o + 1, 4);
		o += 5;
	}
	/* The policy: what the input adds (base, size, ram), then the holes. */
	bar_policy_init(&p);
	while (size - o >= 17) {
		u64 base, sz;

		memcpy(&base, data + o, 8);
		memcpy(&sz, data + o + 8, 8);
		bar_policy_own(&p, base, sz, data[o + 16] & 1, "fuzz");
		o += 17;
	}
	bar_policy_holes(&p, o < size ? data[o] : 40);

	if (pci_enumerate(&pa, 0, 3, true, devs, 16, &n, &st))
		abort();
	if (n > 16 || st.buses > 4)
		abort();
	for (unsigned i = 0; i < n; i++) {
		pci_find_cap(&pa, devs[i].bdf, PCI_CAP_ID_EXP, 0);
		pci_find_cap(&pa, devs[i].bdf, PCI_CAP_ID_SECURE, 0);
		if (devs[i].nbars > PCI_DEV_MAX_BARS)
			abort();
	}
	/* every BAR as it reads now, as guest_dev builds its live list */
	for (unsigned i = 0; i < n; i++) {
		live[i] = devs[i];
		for (unsigned k = 0; k < live[i].nbars; k++) {
			struct pci_bar now;

			if (!bar_read(&pa, devs[i].bdf, &devs[i].bars[k], &now))
				live[i].bars[k] = now;
		}
	}
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < devs[i].nbars; k++) {
			struct pci_bar now;

			if (bar_read(&pa, devs[i].bdf, &devs[i].bars[k], &now))
				continue;
			if (bar_check(&p, devs, n, devs[i].bdf, &now, why, sizeof(why)) ||
			    bar_check(&p, live, n, devs[i].bdf, &now, why, sizeof(why)))
				continue;
			must_be_clean(&p, devs, n, devs[i].bdf, &now);
			must_be_clean(&p, live, n, devs[i].bdf, &now);
			if (!bar_enable_decode(&pa, devs[i].bdf, &now, why, sizeof(why))) {
				struct pci_bar again;

				if (bar_read(&pa, devs[i].bdf, &devs[i].bars[k], &again) ||
				    again.addr != now.addr)
					abort();
			} else if (pci_read16(&pa, devs[i].bdf, PCI_COMMAND) & PCI_COMMAND_MEMORY) {
				abort(); /* refused but still decoding */
			}
		}
	return 0;
}
