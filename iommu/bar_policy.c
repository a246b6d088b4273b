/* BAR placement policy for device assignment: windows, owned ranges, the
 * check and the re-read after decode is enabled. Pure code (bar_policy.h). */
#include "iommu/bar_policy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_name[] = {"none", "mem32", "mem64", "io"};

void bar_policy_init(struct bar_policy *p)
{
	memset(p, 0, sizeof(*p));
}

static int add(struct bar_range *r, unsigned *n, unsigned max, bool *overflow, u64 base, u64 size,
	       bool ram, const char *what)
{
	if (!size || base + size < base)
		return -EINVAL;
	if (*n == max) {
		*overflow = true;
		return -ENOSPC;
	}
	r += (*n)++;
	r->base = base;
	r->end = base + size;
	r->ram = ram;
	snprintf(r->what, sizeof(r->what), "%s", what ? what : "?");
	return 0;
}

int bar_policy_own(struct bar_policy *p, u64 base, u64 size, bool ram, const char *what)
{
	return add(p->owned, &p->nowned, BAR_POLICY_MAX_OWNED, &p->overflow, base, size, ram, what);
}

int bar_policy_window(struct bar_policy *p, u64 base, u64 size, const char *what)
{
	return add(p->win, &p->nwin, BAR_POLICY_MAX_WIN, &p->overflow, base, size, false, what);
}

int bar_policy_holes(struct bar_policy *p, unsigned phys_bits)
{
	u64 low_top = 0, top = 0, lim, b;
	int n = 0;

	phys_bits = MIN(MAX(phys_bits, 32u), 52u);
	lim = 1ULL << phys_bits;
	for (unsigned i = 0; i < p->nowned; i++) {
		const struct bar_range *r = &p->owned[i];

		if (!r->ram)
			continue;
		/* RAM reaching past 4 GiB leaves no 32-bit hole below it. */
		if (r->base < GiB(4))
			low_top = MAX(low_top, MIN(r->end, GiB(4)));
		top = MAX(top, r->end);
	}
	b = ALIGN_UP(low_top, MiB(1));
	if (b < BAR_HOLE32_END && !bar_policy_window(p, b, BAR_HOLE32_END - b, "32-bit PCI hole"))
		n++;
	b = MAX(GiB(4), ALIGN_UP(top, GiB(1)));
	if (top <= lim && b < lim && !bar_policy_window(p, b, lim - b, "64-bit PCI hole"))
		n++;
	return n;
}

static bool overlap(u64 a0, u64 a1, u64 b0, u64 b1)
{
	return a0 < b1 && b0 < a1;
}

int bar_check(const struct bar_policy *p, const struct pci_dev *devs, unsigned ndevs, u16 bdf,
	      const struct pci_bar *bar, char *why, size_t len)
{
	u64 a = bar->addr, e = bar->addr + bar->size;
	char o[8];
	bool inside = false;

	if (p->overflow) {
		snprintf(why, len, "BAR%u: the platform's address map did not fit the policy",
			 bar->index);
		return -ENOSPC;
	}
	/* PCI 3.0 6.2.5.1: a memory BAR decodes a naturally aligned power of two. */
	if ((bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64) || bar->size < PAGE_SIZE ||
	    (bar->size & (bar->size - 1)) || !a || !IS_ALIGNED(a, bar->size) || e < a ||
	    (bar->kind == PCI_BAR_MEM32 && e > GiB(4))) {
		snprintf(why, len,
			 "BAR%u %s 0x%llx/0x%llx is not an aligned memory BAR of 4K or more",
			 bar->index, kind_name[bar->kind & 3], (unsigned long long)a,
			 (unsigned long long)bar->size);
		return -EINVAL;
	}
	for (unsigned i = 0; i < p->nowned; i++) {
		const struct bar_range *r = &p->owned[i];

		if (overlap(a, e, r->base, r->end)) {
			snprintf(why, len, "BAR%u [0x%llx, 0x%llx) overlaps %s [0x%llx, 0x%llx)",
				 bar->index, (unsigned long long)a, (unsigned long long)e, r->what,
				 (unsigned long long)r->base, (unsigned long long)r->end);
			return -EEXIST;
		}
	}
	for (unsigned i = 0; i < ndevs; i++)
		for (unsigned k = 0; k < devs[i].nbars && k < PCI_DEV_MAX_BARS; k++) {
			const struct pci_bar *x = &devs[i].bars[k];
			u64 xe = x->addr + x->size;

			if (x->kind != PCI_BAR_MEM32 && x->kind != PCI_BAR_MEM64)
				continue;
			if (!x->size || (devs[i].bdf == bdf && x->index == bar->index))
				continue;
			/* A wrapping BAR covers everything from its base up. */
			if (overlap(a, e, x->addr, xe < x->addr ? ~0ULL : xe)) {
				snprintf(why, len,
					 "BAR%u [0x%llx, 0x%llx) overlaps BAR%u of %s [0x%llx, "
					 "0x%llx)",
					 bar->index, (unsigned long long)a, (unsigned long long)e,
					 x->index, pci_bdf_str(devs[i].bdf, o),
					 (unsigned long long)x->addr, (unsigned long long)xe);
				return -EEXIST;
			}
		}
	for (unsigned i = 0; i < p->nwin && !inside; i++)
		inside = a >= p->win[i].base && e <= p->win[i].end;
	if (!inside) {
		snprintf(why, len, "BAR%u [0x%llx, 0x%llx) is outside the PCI windows", bar->index,
			 (unsigned long long)a, (unsigned long long)e);
		return -ERANGE;
	}
	if (len)
		why[0] = 0;
	return 0;
}

int bar_read(const struct pci_access *pa, u16 bdf, const struct pci_bar *sized, struct pci_bar *now)
{
	u16 reg = (u16)(PCI_BAR0 + 4 * sized->index);
	u32 lo, hi = 0;
	enum pci_bar_kind k;

	*now = *sized;
	if (sized->index >= PCI_DEV_MAX_BARS ||
	    (sized->kind == PCI_BAR_MEM64 && sized->index + 1 >= PCI_DEV_MAX_BARS))
		return -EINVAL;
	lo = pci_read32(pa, bdf, reg);
	if (lo & PCI_BAR_SPACE_IO)
		k = PCI_BAR_IO;
	else if (FIELD_GET(PCI_BAR_MEM_TYPE, lo) == PCI_BAR_MEM_TYPE_64)
		k = PCI_BAR_MEM64;
	else if (FIELD_GET(PCI_BAR_MEM_TYPE, lo) == 3)
		k = PCI_BAR_NONE;
	else
		k = PCI_BAR_MEM32;
	/* PCI 3.0 6.2.5.1: the type bits are read-only; a change means the
	 * register is not what was sized. */
	if (k != sized->kind)
		return -EIO;
	if (k == PCI_BAR_IO) {
		now->addr = lo & (u32)PCI_BAR_IO_ADDR;
		return 0;
	}
	if (k == PCI_BAR_MEM64)
		hi = pci_read32(pa, bdf, (u16)(reg + 4));
	now->addr = (u64)hi << 32 | (lo & (u32)PCI_BAR_MEM_ADDR);
	now->prefetch = lo & PCI_BAR_MEM_PREFETCH;
	return 0;
}

int bar_enable_decode(const struct pci_access *pa, u16 bdf, const struct pci_bar *validated,
		      char *why, size_t len)
{
	struct pci_bar now;
	int ret;

	/* PCIe 5.0 7.5.1.1.3: Memory Space Enable makes the device respond to
	 * its memory BARs; what it decodes from then on is what it reads now. */
	pci_command_update(pa, bdf, 0, PCI_COMMAND_MEMORY);
	ret = bar_read(pa, bdf, validated, &now);
	if (!ret && now.addr == validated->addr)
		return 0;
	pci_command_update(pa, bdf, PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER, 0);
	if (ret)
		snprintf(why, len, "BAR%u changed its type after memory decode was enabled",
			 validated->index);
	else
		snprintf(why, len,
			 "BAR%u moved from 0x%llx to 0x%llx after memory decode was enabled",
			 validated->index, (unsigned long long)validated->addr,
			 (unsigned long long)now.addr);
	return -EIO;
}
