/* libFuzzer target for hv/vm/vpci.c, the virtual PCI a Linux guest drives:
 * the first 256 bytes are the real function's configuration space (its
 * capability list as the device makes it), the rest a guest's port I/O at
 * 0xCF8-0xCFF and 32-bit accesses to BAR0's trapped pages, interleaved with
 * host-vector arrivals. Aborts when the model writes the real function's
 * configuration, when a real MSI-X entry would carry anything but the
 * hypervisor's vector to the hypervisor's APIC, when an unmasked real entry
 * belongs to a masked or refused guest entry, when a delivered vector is not
 * the one the guest programmed for its own APIC, or when BAR0 or a trapped
 * range is misaligned or outside BAR0. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/vm/vpci.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

#define HOST_APIC 7
#define BAR_SIZE  0x4000ULL

static u8 cfg[PCI_CFG_SPACE_SIZE];

static u32 fake_read(void *ctx, u16 bdf, u16 reg, unsigned sz)
{
	u32 v = 0;

	(void)ctx;
	(void)bdf;
	if (reg + sz > sizeof(cfg) || (reg & (sz - 1)))
		abort(); /* the model stays inside the 256 bytes, aligned */
	memcpy(&v, cfg + reg, sz);
	return v;
}

static void fake_write(void *ctx, u16 bdf, u16 reg, unsigned sz, u32 val)
{
	(void)ctx;
	(void)bdf;
	(void)reg;
	(void)sz;
	(void)val;
	abort(); /* the model never writes the real function */
}

static const struct pci_cfg_ops ops = {fake_read, fake_write};
static const struct pci_access fake = {&ops, NULL};

static void check(struct vpci *vp, struct vlapic *l)
{
	const struct vpci_dev *d = &vp->dev[0];
	u64 at, off[2], len[2];
	unsigned n = vpci_trap_ranges(d, off, len);

	if (vpci_bar_live(d, &at) && (at & (BAR_SIZE - 1)))
		abort();
	for (unsigned i = 0; i < n; i++)
		if ((off[i] | len[i]) & (PAGE_SIZE - 1) || off[i] + len[i] > BAR_SIZE || !len[i])
			abort();
	for (unsigned k = 0; k < VPCI_MSIX_MAX; k++) {
		struct vpci_msix_hw hw;

		vpci_msix_hw(d, k, HOST_APIC, &hw);
		if (k < d->msix.nr && (hw.addr_lo != (MSI_ADDR_BASE | HOST_APIC << 12) ||
				       hw.addr_hi || hw.data != d->msix.host_vec[k]))
			abort();
		if (!hw.masked && (vpci_msix_masked(d, k) || !d->msix.host_vec[k] || hw.why))
			abort();
	}
	(void)l;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct vpci vp;
	struct pci_bar bar = {.kind = PCI_BAR_MEM64, .addr = 0xc000000000ULL, .size = BAR_SIZE};
	struct vlapic l;
	size_t i;

	if (size < sizeof(cfg))
		return 0;
	memcpy(cfg, data, sizeof(cfg));
	vpci_init(&vp);
	vlapic_reset(&l, 0);
	l.svr = APIC_SVR_ENABLE | 0xff;
	if (vpci_add(&vp, &fake, 0x18, &bar, 0xe0000000ULL, NULL, 0) != 0)
		return 0;
	for (unsigned k = 0; k < vp.dev[0].msix.nr; k++)
		vp.dev[0].msix.host_vec[k] = (u8)(k % 3 ? 0x40 + k : 0); /* some without one */
	for (i = sizeof(cfg); i + 7 <= size; i += 7) {
		const u8 *op = data + i;
		u32 val;
		unsigned sz = 1u << (op[1] % 3);
		struct vpci_dev *d = &vp.dev[0];

		memcpy(&val, op + 3, 4);
		switch (op[0] % 4) {
		case 0: /* port I/O */
		case 1: {
			u16 port = (u16)(PCI_CONF1_ADDR_PORT + op[2] % 8);

			vpci_pio(&vp, port, sz, op[0] % 4 == 1, &val);
			break;
		}
		case 2: { /* a trapped page */
			u64 off = ((u64)op[2] << 6) & (BAR_SIZE - 4);

			if (!vpci_trapped(d, off))
				break;
			if (op[1] & 0x80)
				vpci_msix_read(d, off);
			else if (vpci_msix_write(d, off, val) >= 0)
				vpci_msix_flush(d, &l);
			break;
		}
		default: { /* the host vector of an entry arrives */
			unsigned k = op[2] % VPCI_MSIX_MAX;
			const struct vpci_msix_entry e = d->msix.e[k];
			u32 before[8];

			memcpy(before, l.irr, sizeof(before));
			if (vpci_msix_fire(d, k, &l) == VPCI_FIRE_DELIVERED) {
				u8 vec = (u8)(e.data & MSI_DATA_VECTOR);

				if (vec < 16 || !(l.irr[vec / 32] & (1u << (vec % 32))) ||
				    (!(e.addr_lo & MSI_ADDR_DM_LOGICAL) &&
				     ((e.addr_lo >> 12) & 0xff) != l.id &&
				     ((e.addr_lo >> 12) & 0xff) != 0xff))
					abort();
			} else if (memcmp(before, l.irr, sizeof(before))) {
				abort(); /* held, refused or dropped: nothing raised */
			}
			break;
		}
		}
		check(&vp, &l);
	}
	return 0;
}
