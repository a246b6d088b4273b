/* Unit tests of iommu/pci.c against a fake configuration space: ECAM address
 * computation and the ECAM accessor over a host window, MCFG parsing, BAR
 * decoding and sizing (restore, decode off while sizing), the capability
 * walk (continuation, loops, bad pointers) and enumeration behind bridges. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/base/mem.h"
#include "iommu/bar_policy.h"
#include "iommu/pci.h"
#include "hv/arch/host/host_env.h"

/* ---- the fake ------------------------------------------------------------------ */

#define MAX_FNS 32

struct ffn {
	u16 bdf;
	u8 cfg[PCI_CFG_SPACE_SIZE];
	u32 wmask[PCI_CFG_SPACE_SIZE / 4]; /* writable bits per dword */
};

static struct ffn fns[MAX_FNS];
static unsigned nfns, ones_while_decoding, writes;
/* A device that moves a BAR once memory decode is enabled. */
static struct {
	u16 bdf, reg;
	u32 val;
} move_on_decode;

static struct ffn *lookup(u16 bdf)
{
	for (unsigned i = 0; i < nfns; i++)
		if (fns[i].bdf == bdf)
			return &fns[i];
	return NULL;
}

static u32 get32(const struct ffn *f, u16 reg)
{
	u32 v;

	memcpy(&v, f->cfg + (reg & ~3u), 4);
	return v;
}

static void put32(struct ffn *f, u16 reg, u32 v)
{
	memcpy(f->cfg + (reg & ~3u), &v, 4);
}

static u32 fake_read(void *ctx, u16 bdf, u16 reg, unsigned size)
{
	const struct ffn *f = lookup(bdf);
	u32 v;

	(void)ctx;
	assert_true(size == 1 || size == 2 || size == 4);
	assert_int_equal(reg % size, 0);
	if (!f || reg >= PCI_CFG_SPACE_SIZE)
		return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
	v = get32(f, reg) >> (8 * (reg & 3));
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void fake_write(void *ctx, u16 bdf, u16 reg, unsigned size, u32 val)
{
	struct ffn *f = lookup(bdf);
	u32 shift = 8 * (reg & 3), lanes = size == 4 ? ~0u : ((1u << (8 * size)) - 1) << shift;
	u32 old, wm;
	u16 cmd;

	(void)ctx;
	assert_int_equal(reg % size, 0);
	writes++;
	if (!f || reg >= PCI_CFG_SPACE_SIZE)
		return;
	old = get32(f, reg);
	wm = f->wmask[reg / 4] & lanes;
	put32(f, reg, (old & ~wm) | ((val << shift) & wm));
	memcpy(&cmd, f->cfg + PCI_COMMAND, 2);
	if (size == 4 && reg >= PCI_BAR0 && reg < PCI_BAR0 + 24 && val == 0xFFFFFFFFu &&
	    (cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO)))
		ones_while_decoding++;
	if (move_on_decode.reg && f->bdf == move_on_decode.bdf && (cmd & PCI_COMMAND_MEMORY))
		put32(f, move_on_decode.reg, move_on_decode.val);
}

static const struct pci_cfg_ops fake_ops = {fake_read, fake_write};
static const struct pci_access fake = {&fake_ops, NULL};

static struct ffn *add_fn(u16 bdf, u16 vendor, u16 device, u32 class_code, u8 hdr)
{
	struct ffn *f = &fns[nfns++];

	assert_true(nfns <= MAX_FNS);
	memset(f, 0, sizeof(*f));
	f->bdf = bdf;
	put32(f, PCI_VENDOR_ID, (u32)device << 16 | vendor);
	put32(f, PCI_CLASS_REVISION, class_code << 8 | 0x01);
	f->cfg[PCI_HEADER_TYPE] = hdr;
	f->wmask[PCI_COMMAND / 4] = 0x0000FFFF; /* command; status RO here */
	return f;
}

/* A BAR of `size` bytes (power of two) with low flag bits `flags`. */
static void add_bar32(struct ffn *f, unsigned i, u32 size, u32 flags, u32 addr)
{
	put32(f, (u16)(PCI_BAR0 + 4 * i), addr | flags);
	f->wmask[(PCI_BAR0 + 4 * i) / 4] = ~(size - 1) & ((flags & 1) ? ~3u : ~0xFu);
}

static void add_bar64(struct ffn *f, unsigned i, u64 size, u32 flags, u64 addr)
{
	u64 m = ~(size - 1);

	put32(f, (u16)(PCI_BAR0 + 4 * i), (u32)addr | flags | 4);
	put32(f, (u16)(PCI_BAR0 + 4 * i + 4), (u32)(addr >> 32));
	f->wmask[(PCI_BAR0 + 4 * i) / 4] = (u32)m & ~0xFu;
	f->wmask[(PCI_BAR0 + 4 * i + 4) / 4] = (u32)(m >> 32);
}

static void add_caps(struct ffn *f, const u8 *ptrs, const u8 *ids, unsigned n)
{
	u16 st;

	memcpy(&st, f->cfg + PCI_STATUS, 2);
	st |= PCI_STATUS_CAP_LIST;
	memcpy(f->cfg + PCI_STATUS, &st, 2);
	f->cfg[PCI_CAPABILITY_LIST] = n ? ptrs[0] : 0;
	for (unsigned i = 0; i < n; i++) {
		f->cfg[ptrs[i]] = ids[i];
		f->cfg[ptrs[i] + 1] = i + 1 < n ? ptrs[i + 1] : 0;
	}
}

static int reset(void **state)
{
	(void)state;
	nfns = 0;
	memset(&move_on_decode, 0, sizeof(move_on_decode));
	ones_while_decoding = 0;
	writes = 0;
	return 0;
}

/* ---- ECAM and MCFG ----------------------------------------------------------- */

static void test_ecam_offset(void **state)
{
	struct pci_ecam e = {spa(0xB0000000), 0, 0x10, 0x1F};
	spa_t a;

	(void)state;
	assert_int_equal(pci_ecam_offset(0, 0, 0, 0), 0);
	assert_int_equal(pci_ecam_offset(1, 2, 3, 0x10), 0x100000 | 0x10000 | 0x3000 | 0x10);
	assert_int_equal(pci_ecam_offset(0xFF, 31, 7, 0xFFC), 0xFFFFFFC);
	/* bus 0x12 of a window starting at 0x10: the base is bus 0's address */
	assert_int_equal(pci_ecam_addr(&e, pci_bdf(0x12, 3, 1), 0x40, &a), 0);
	assert_int_equal(spa_val(a), 0xB0000000 + 0x1200000 + 0x18000 + 0x1000 + 0x40);
	assert_int_equal(pci_ecam_addr(&e, pci_bdf(0x0F, 0, 0), 0, &a), -ERANGE);
	assert_int_equal(pci_ecam_addr(&e, pci_bdf(0x20, 0, 0), 0, &a), -ERANGE);
	assert_int_equal(pci_ecam_addr(&e, pci_bdf(0x10, 0, 0), 0x1000, &a), -ERANGE);
	assert_int_equal(pci_bdf(0x12, 3, 1), 0x1219);
	assert_int_equal(pci_bdf_dev(0x1219), 3);
}

static void test_ecam_ops_window(void **state)
{
	/* Two buses (0x20, 0x21) of ECAM in a host buffer. */
	u8 *win = calloc(1, 2 << 20);
	struct pci_ecam e = {spa(0xE0000000), 0, 0x20, 0x21};
	struct pci_access pa = {&pci_ecam_ops, &e};
	u64 off = pci_ecam_offset(0x21, 5, 2, 0);

	(void)state;
	assert_non_null(win);
	host_phys_window(win, spa(0xE0000000 + (0x20ULL << 20)), 2 << 20);
	off -= 0x20ULL << 20;
	win[off + 0] = 0x34;
	win[off + 1] = 0x12;
	win[off + 2] = 0xE8;
	win[off + 3] = 0x11;
	assert_int_equal(pci_read16(&pa, pci_bdf(0x21, 5, 2), PCI_VENDOR_ID), 0x1234);
	assert_int_equal(pci_read32(&pa, pci_bdf(0x21, 5, 2), 0), 0x11E81234);
	assert_int_equal(pci_read8(&pa, pci_bdf(0x21, 5, 2), 2), 0xE8);
	pci_write16(&pa, pci_bdf(0x21, 5, 2), PCI_COMMAND, 0x0406);
	assert_int_equal(win[off + 4], 0x06);
	assert_int_equal(win[off + 5], 0x04);
	/* outside the bus range: all ones, writes dropped */
	assert_int_equal(pci_read32(&pa, pci_bdf(0x22, 0, 0), 0), 0xFFFFFFFFu);
	assert_int_equal(pci_read16(&pa, pci_bdf(0x1F, 0, 0), 0), 0xFFFF);
	pci_write32(&pa, pci_bdf(0x22, 0, 0), 0, 0);
	host_phys_window(NULL, spa(0), 0);
	free(win);
}

static void put_mcfg(u8 *t, u32 len, const struct mcfg_raw_entry *e, unsigned n)
{
	memset(t, 0, len);
	memcpy(t, "MCFG", 4);
	memcpy(t + 4, &len, 4);
	for (unsigned i = 0; i < n; i++)
		memcpy(t + MCFG_HEADER_LEN + 16 * i, &e[i], 16);
}

static void test_mcfg(void **state)
{
	struct mcfg_raw_entry e[2] = {{0xB0000000, 0, 0, 0xFF, 0},
				      {0x400000000ULL, 1, 0x40, 0x7F, 0}};
	u8 t[MCFG_HEADER_LEN + 32 + 8];
	struct pci_mcfg m;

	(void)state;
	put_mcfg(t, MCFG_HEADER_LEN + 32, e, 2);
	assert_int_equal(pci_mcfg_parse(t, sizeof(t), &m), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(spa_val(m.ecam[1].base), 0x400000000ULL);
	assert_int_equal(m.ecam[1].segment, 1);
	assert_int_equal(m.ecam[1].start_bus, 0x40);
	assert_ptr_equal(pci_mcfg_find(&m, 1, 0x50), &m.ecam[1]);
	assert_null(pci_mcfg_find(&m, 1, 0x3F));
	assert_null(pci_mcfg_find(&m, 2, 0));
	assert_ptr_equal(pci_mcfg_find(&m, 0, 0), &m.ecam[0]);
	/* errors */
	assert_int_equal(pci_mcfg_parse(t, MCFG_HEADER_LEN + 31, &m), -EINVAL); /* len > buf */
	put_mcfg(t, MCFG_HEADER_LEN + 24, e, 1);
	assert_int_equal(pci_mcfg_parse(t, sizeof(t), &m), -EINVAL); /* partial entry */
	e[0].base = 0xB0080000;
	put_mcfg(t, MCFG_HEADER_LEN + 16, e, 1);
	assert_int_equal(pci_mcfg_parse(t, sizeof(t), &m), -EINVAL); /* unaligned */
	e[0].base = 0xB0000000;
	e[0].start_bus = 9;
	e[0].end_bus = 8;
	put_mcfg(t, MCFG_HEADER_LEN + 16, e, 1);
	assert_int_equal(pci_mcfg_parse(t, sizeof(t), &m), -EINVAL); /* reversed */
	memcpy(t, "APIC", 4);
	assert_int_equal(pci_mcfg_parse(t, sizeof(t), &m), -EINVAL);
	assert_int_equal(pci_mcfg_parse(t, 10, &m), -EINVAL);
	/* empty but valid */
	put_mcfg(t, MCFG_HEADER_LEN, e, 0);
	assert_int_equal(pci_mcfg_parse(t, sizeof(t), &m), 0);
	assert_int_equal(m.n, 0);
}

/* ---- BARs ---------------------------------------------------------------------- */

static void test_bar_decode(void **state)
{
	struct pci_bar b;

	(void)state;
	/* 1 MiB 32-bit memory */
	assert_int_equal(pci_bar_decode(0xFEA00000, 0xFFF00000, 0, 0, &b), 1);
	assert_int_equal(b.kind, PCI_BAR_MEM32);
	assert_int_equal(b.size, 0x100000);
	assert_int_equal(b.addr, 0xFEA00000);
	assert_false(b.prefetch);
	/* 8 GiB 64-bit prefetchable above 4G */
	assert_int_equal(pci_bar_decode(0x0000000C, 0x0000000C, 0x4, 0xFFFFFFFE, &b), 2);
	assert_int_equal(b.kind, PCI_BAR_MEM64);
	assert_true(b.prefetch);
	assert_int_equal(b.size, 8ULL << 30);
	assert_int_equal(b.addr, 0x400000000ULL);
	/* 64-bit 16 KiB below 4G */
	assert_int_equal(pci_bar_decode(0xC0004004, 0xFFFFC004, 0, 0xFFFFFFFF, &b), 2);
	assert_int_equal(b.size, 0x4000);
	assert_int_equal(b.addr, 0xC0004000);
	/* 16-bit I/O decoder: upper half reads 0 */
	assert_int_equal(pci_bar_decode(0x6041, 0x0000FFE1, 0, 0, &b), 1);
	assert_int_equal(b.kind, PCI_BAR_IO);
	assert_int_equal(b.size, 32);
	assert_int_equal(b.addr, 0x6040);
	/* 32-bit I/O decoder */
	assert_int_equal(pci_bar_decode(0x1001, 0xFFFFFF01, 0, 0, &b), 1);
	assert_int_equal(b.size, 256);
	/* unimplemented */
	assert_int_equal(pci_bar_decode(0, 0, 0, 0, &b), 1);
	assert_int_equal(b.size, 0);
	assert_int_equal(pci_bar_decode(4, 4, 0, 0, &b), 2);
	assert_int_equal(b.size, 0);
	/* malformed: hole in the mask, reserved type 11b */
	assert_int_equal(pci_bar_decode(0, 0xFF0F0000, 0, 0, &b), -EINVAL);
	assert_int_equal(pci_bar_decode(6, 0xFFF00006, 0, 0, &b), -EINVAL);
	/* 2 GiB: only the top bit writable */
	assert_int_equal(pci_bar_decode(0x80000000, 0x80000000, 0, 0, &b), 1);
	assert_int_equal(b.size, 0x80000000ULL);
}

static void test_size_bars(void **state)
{
	struct ffn *f;
	struct pci_bar bars[6];
	unsigned n;
	u8 before[PCI_CFG_SPACE_SIZE];

	(void)state;
	f = add_fn(0x0018, 0x1234, 0x11E8, 0x00FF00, 0);
	add_bar32(f, 0, 0x100000, 0, 0xC1000000);
	add_bar64(f, 2, 8ULL << 30, 8, 0x800000000ULL);
	add_bar32(f, 4, 32, 1, 0x6040);
	put32(f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	memcpy(before, f->cfg, sizeof(before));
	assert_int_equal(pci_size_bars(&fake, 0x0018, bars, 6, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(bars[0].index, 0);
	assert_int_equal(bars[0].size, 0x100000);
	assert_int_equal(bars[1].index, 2);
	assert_int_equal(bars[1].kind, PCI_BAR_MEM64);
	assert_int_equal(bars[1].size, 8ULL << 30);
	assert_int_equal(bars[1].addr, 0x800000000ULL);
	assert_true(bars[1].prefetch);
	assert_int_equal(bars[2].index, 4);
	assert_int_equal(bars[2].kind, PCI_BAR_IO);
	assert_int_equal(bars[2].size, 32);
	/* decode was off during sizing, everything restored */
	assert_int_equal(ones_while_decoding, 0);
	assert_memory_equal(before, f->cfg, sizeof(before));
	/* bridge header: 2 BARs only; capacity of the output respected */
	f = add_fn(0x0008, 0x1B36, 0x000C, 0x060400, PCI_HEADER_TYPE_BRIDGE);
	add_bar32(f, 0, 0x1000, 0, 0xC2000000);
	add_bar32(f, 2, 0x1000, 0, 0xC3000000); /* beyond a type 1 header's BARs */
	assert_int_equal(pci_size_bars(&fake, 0x0008, bars, 6, &n), 0);
	assert_int_equal(n, 1);
	/* a 64-bit BAR in the last slot has no upper half */
	f = add_fn(0x0020, 0x1234, 0x0001, 0, 0);
	put32(f, PCI_BAR0 + 20, 4);
	f->wmask[(PCI_BAR0 + 20) / 4] = 0xFFFFF000;
	assert_int_equal(pci_size_bars(&fake, 0x0020, bars, 6, &n), -EINVAL);
	assert_int_equal(get32(f, PCI_BAR0 + 20), 4);
}

/* ---- capabilities --------------------------------------------------------------- */

static void test_caps(void **state)
{
	static const u8 ptr[] = {0x40, 0x54, 0x60, 0x70};
	static const u8 id[] = {PCI_CAP_ID_MSI, PCI_CAP_ID_SECURE, PCI_CAP_ID_EXP,
				PCI_CAP_ID_SECURE};
	struct ffn *f;

	(void)state;
	f = add_fn(0x0010, 0x1022, 0x0010, 0x080600, 0);
	assert_int_equal(pci_find_cap(&fake, 0x0010, PCI_CAP_ID_SECURE, 0), -ENOENT); /* no list */
	add_caps(f, ptr, id, 4);
	assert_int_equal(pci_find_cap(&fake, 0x0010, PCI_CAP_ID_MSI, 0), 0x40);
	assert_int_equal(pci_find_cap(&fake, 0x0010, PCI_CAP_ID_SECURE, 0), 0x54);
	assert_int_equal(pci_find_cap(&fake, 0x0010, PCI_CAP_ID_SECURE, 0x54), 0x70);
	assert_int_equal(pci_find_cap(&fake, 0x0010, PCI_CAP_ID_SECURE, 0x70), -ENOENT);
	assert_int_equal(pci_find_cap(&fake, 0x0010, PCI_CAP_ID_MSIX, 0), -ENOENT);
	/* low two bits of a pointer are reserved: ignored */
	f->cfg[0x41] = 0x54 | 3;
	assert_int_equal(pci_find_cap(&fake, 0x0010, PCI_CAP_ID_EXP, 0), 0x60);
	/* loop 0x60 -> 0x40 */
	f->cfg[0x61] = 0x40;
	assert_int_equal(pci_find_cap(&fake, 0x0010, PCI_CAP_ID_MSIX, 0), -EIO);
	/* pointer into the header */
	f->cfg[0x61] = 0x20;
	assert_int_equal(pci_find_cap(&fake, 0x0010, PCI_CAP_ID_MSIX, 0), -EIO);
	/* absent function */
	assert_int_equal(pci_find_cap(&fake, 0x0700, PCI_CAP_ID_MSI, 0), -ENODEV);
}

/* ---- enumeration ---------------------------------------------------------------- */

static struct ffn *bridge(u16 bdf, u8 sec, u8 sub)
{
	struct ffn *f = add_fn(bdf, 0x1B36, 0x000C, 0x060400, PCI_HEADER_TYPE_BRIDGE);

	f->cfg[PCI_PRIMARY_BUS] = pci_bdf_bus(bdf);
	f->cfg[PCI_SECONDARY_BUS] = sec;
	f->cfg[PCI_SUBORDINATE_BUS] = sub;
	f->wmask[PCI_PRIMARY_BUS / 4] = 0x00FFFFFF; /* writable: enumeration must not touch */
	return f;
}

static const struct pci_dev *find(const struct pci_dev *d, unsigned n, u16 bdf)
{
	for (unsigned i = 0; i < n; i++)
		if (d[i].bdf == bdf)
			return &d[i];
	return NULL;
}

static void test_enumerate(void **state)
{
	struct pci_dev devs[16];
	struct pci_enum_stats st;
	const struct pci_dev *d;
	struct ffn *f;
	unsigned n;

	(void)state;
	add_fn(pci_bdf(0, 0, 0), 0x8086, 0x29C0, 0x060000, 0);
	add_fn(pci_bdf(0, 0x1F, 0), 0x8086, 0x2918, 0x060100, PCI_HEADER_TYPE_MFD);
	add_fn(pci_bdf(0, 0x1F, 3), 0x8086, 0x2930, 0x0C0500, 0);
	/* 00:04.0 is single-function: its fn 1 must not be scanned */
	add_fn(pci_bdf(0, 4, 0), 0x1234, 0x0001, 0, 0);
	add_fn(pci_bdf(0, 4, 1), 0x1234, 0x0002, 0, 0);
	bridge(pci_bdf(0, 1, 0), 2, 3);
	bridge(pci_bdf(2, 0, 0), 3, 3);
	f = add_fn(pci_bdf(3, 0, 0), 0x1234, 0x11E8, 0x00FF00, 0);
	add_bar32(f, 0, 0x100000, 0, 0xC1000000);
	bridge(pci_bdf(0, 2, 0), 0, 0);			/* bad: secondary = own bus */
	bridge(pci_bdf(0, 3, 0), 2, 2);			/* bad: bus 2 already claimed */
	bridge(pci_bdf(0, 5, 0), 9, 9);			/* outside the allowed range */
	add_fn(pci_bdf(5, 0, 0), 0x1234, 0x9999, 0, 0); /* a bus nobody leads to */

	assert_int_equal(pci_enumerate(&fake, 0, 7, true, devs, 16, &n, &st), 0);
	assert_int_equal(n, 10);
	assert_int_equal(st.buses, 3);
	assert_int_equal(st.bridges, 2);
	assert_int_equal(st.skipped, 3);
	assert_false(st.truncated);
	assert_non_null(find(devs, n, pci_bdf(0, 0x1F, 3)));
	assert_null(find(devs, n, pci_bdf(0, 4, 1)));
	assert_null(find(devs, n, pci_bdf(5, 0, 0)));
	d = find(devs, n, pci_bdf(3, 0, 0));
	assert_non_null(d);
	assert_int_equal(d->vendor, 0x1234);
	assert_int_equal(d->device, 0x11E8);
	assert_int_equal(d->class_code, 0x00FF00);
	assert_int_equal(d->revision, 1);
	assert_int_equal(d->parent, pci_bdf(2, 0, 0));
	assert_int_equal(d->nbars, 1);
	assert_int_equal(d->bars[0].size, 0x100000);
	d = find(devs, n, pci_bdf(2, 0, 0));
	assert_non_null(d);
	assert_int_equal(d->parent, pci_bdf(0, 1, 0));
	assert_int_equal(d->sec_bus, 3);
	assert_int_equal(find(devs, n, pci_bdf(0, 1, 0))->parent, 0xFFFF);
	/* bus numbers untouched */
	assert_int_equal(lookup(pci_bdf(0, 1, 0))->cfg[PCI_SECONDARY_BUS], 2);
	assert_int_equal(lookup(pci_bdf(0, 2, 0))->cfg[PCI_SECONDARY_BUS], 0);

	/* truncation */
	assert_int_equal(pci_enumerate(&fake, 0, 7, false, devs, 4, &n, &st), 0);
	assert_int_equal(n, 4);
	assert_true(st.truncated);
	/* a range that excludes the bridges' buses */
	assert_int_equal(pci_enumerate(&fake, 0, 1, false, devs, 16, &n, &st), 0);
	assert_int_equal(st.buses, 1);
	assert_int_equal(pci_enumerate(&fake, 3, 2, false, devs, 16, &n, &st), -EINVAL);
}

static void test_format(void **state)
{
	struct pci_dev d = {
	    .bdf = 0x0018, .vendor = 0x1234, .device = 0x11E8, .class_code = 0xFF00, .nbars = 1};
	char buf[160], b[8];

	(void)state;
	d.bars[0] = (struct pci_bar){PCI_BAR_MEM32, false, 0, 0xC1000000, 0x100000};
	pci_dev_format(&d, buf, sizeof(buf));
	assert_string_equal(buf, "00:03.0 1234:11e8 class 00ff00 BAR0 mem32 0xc1000000/1M");
	assert_string_equal(pci_bdf_str(0xFFFF, b), "ff:1f.7");
	/* truncation is safe */
	pci_dev_format(&d, buf, 10);
	assert_int_equal(strlen(buf), 9);
}

/* ---- BAR placement policy (iommu/bar_policy.c) ------------------------------------ */

#define HV_IMAGE 0x1E113000ULL
#define ACPI_TBL 0x1FB7E000ULL

/* A small q35-like platform: RAM below 512 MiB and at [4G, 6G), the
 * hypervisor image and an ACPI table in it, ECAM at 0xB0000000, an IOMMU and
 * a PSP mailbox inside the 32-bit hole (as on AMD parts), firmware flash. */
static void platform(struct bar_policy *p)
{
	bar_policy_init(p);
	assert_int_equal(bar_policy_own(p, HV_IMAGE, 0xC4000, true, "the hypervisor image"), 0);
	assert_int_equal(bar_policy_own(p, ACPI_TBL, 0x100, false, "ACPI table FACP"), 0);
	assert_int_equal(bar_policy_own(p, 0xB0000000, MiB(256), false, "PCI ECAM (MCFG)"), 0);
	assert_int_equal(bar_policy_own(p, 0xFD200000, KiB(512), false, "IOMMU MMIO of 00:00.2"),
			 0);
	assert_int_equal(bar_policy_own(p, 0xFD100000, MiB(1), false, "PSP MMIO (BAR2 of 00:08.1)"),
			 0);
	assert_int_equal(bar_policy_own(p, 0xFEE00000, MiB(1), false, "the LAPIC / MSI window"), 0);
	assert_int_equal(bar_policy_own(p, 0xFEC00000, KiB(4), false, "the IOAPIC"), 0);
	assert_int_equal(bar_policy_own(p, 0, MiB(512), true, "RAM (conventional memory)"), 0);
	assert_int_equal(bar_policy_own(p, GiB(4), GiB(2), true, "RAM (conventional memory)"), 0);
	assert_int_equal(bar_policy_own(p, 0xFFC00000, MiB(4), false, "firmware MMIO"), 0);
	assert_int_equal(bar_policy_holes(p, 40), 2);
}

/* 00:03.0 (BAR0 mem32 1M), 00:04.0 (BAR0 mem32 1M, BAR2 mem64 1M at 32 GiB),
 * enumerated and sized through the fake. */
static void two_devices(struct pci_dev *devs, unsigned *n)
{
	struct ffn *a = add_fn(pci_bdf(0, 3, 0), 0x1234, 0x11e8, 0x00ff00, 0);
	struct ffn *b = add_fn(pci_bdf(0, 4, 0), 0x1234, 0x11e8, 0x00ff00, 0);

	add_bar32(a, 0, MiB(1), 0, 0xC1000000);
	add_bar32(b, 0, MiB(1), 0, 0xC1100000);
	add_bar64(b, 2, MiB(1), 0, GiB(32));
	assert_int_equal(pci_enumerate(&fake, 0, 0, true, devs, 8, n, NULL), 0);
	assert_int_equal(*n, 2);
	assert_int_equal(devs[1].nbars, 2);
	assert_int_equal(devs[1].bars[1].kind, PCI_BAR_MEM64);
}

/* Moves bdf's BAR `bar` to addr in config space, reads it back live (as
 * guest_dev does) and returns bar_check's verdict. */
static int move_and_check(const struct bar_policy *p, const struct pci_dev *devs, unsigned n,
			  unsigned di, unsigned bi, u64 addr, char *why)
{
	const struct pci_bar *sized = &devs[di].bars[bi];
	u16 reg = (u16)(PCI_BAR0 + 4 * sized->index);
	struct pci_bar now;

	pci_write32(&fake, devs[di].bdf, reg,
		    (u32)addr | (sized->kind == PCI_BAR_MEM64 ? PCI_BAR_MEM_TYPE_64 << 1 : 0));
	if (sized->kind == PCI_BAR_MEM64)
		pci_write32(&fake, devs[di].bdf, reg + 4, (u32)(addr >> 32));
	assert_int_equal(bar_read(&fake, devs[di].bdf, sized, &now), 0);
	assert_int_equal(now.addr, addr);
	assert_int_equal(now.size, sized->size);
	return bar_check(p, devs, n, devs[di].bdf, &now, why, 192);
}

static void test_bar_policy_holes(void **state)
{
	static struct bar_policy p;

	(void)state;
	platform(&p);
	assert_int_equal(p.nwin, 2);
	assert_int_equal(p.win[0].base, MiB(512));
	assert_int_equal(p.win[0].end, BAR_HOLE32_END);
	assert_int_equal(p.win[1].base, GiB(6));
	assert_int_equal(p.win[1].end, 1ULL << 40);
	/* RAM up to 4 GiB: no 32-bit hole; phys_bits clamped */
	bar_policy_init(&p);
	assert_int_equal(bar_policy_own(&p, 0, GiB(4) + MiB(1), true, "RAM"), 0);
	assert_int_equal(bar_policy_holes(&p, 99), 1);
	assert_int_equal(p.win[0].base, GiB(5));
	assert_int_equal(p.win[0].end, 1ULL << 52);
	/* empty and wrapping ranges are refused; a full policy refuses everything */
	assert_int_equal(bar_policy_own(&p, 5, 0, false, "x"), -EINVAL);
	assert_int_equal(bar_policy_own(&p, ~0ULL - 5, 4096, false, "x"), -EINVAL);
	while (bar_policy_own(&p, GiB(64), PAGE_SIZE, false, "filler") == 0)
		;
	assert_true(p.overflow);
	{
		struct pci_bar b = {PCI_BAR_MEM64, false, 0, GiB(128), MiB(1)};
		char why[192];

		assert_int_equal(bar_check(&p, NULL, 0, 0x18, &b, why, sizeof(why)), -ENOSPC);
	}
}

static void test_bar_check_accepts(void **state)
{
	static struct bar_policy p;
	struct pci_dev devs[8];
	unsigned n;
	char why[192];

	(void)state;
	platform(&p);
	two_devices(devs, &n);
	/* as firmware placed them, 32- and 64-bit */
	assert_int_equal(move_and_check(&p, devs, n, 0, 0, 0xC1000000, why), 0);
	assert_int_equal(move_and_check(&p, devs, n, 1, 0, 0xC1100000, why), 0);
	assert_int_equal(move_and_check(&p, devs, n, 1, 1, GiB(32), why), 0);
	/* a 64-bit BAR anywhere in the 64-bit hole, and in the 32-bit one */
	assert_int_equal(move_and_check(&p, devs, n, 1, 1, GiB(512) + MiB(7), why), 0);
	assert_int_equal(move_and_check(&p, devs, n, 1, 1, 0xD0000000, why), 0);
}

static void test_bar_check_overlaps(void **state)
{
	static const struct {
		unsigned dev, bar;
		u64 addr;
		int err;
		const char *what;
	} cases[] = {
	    {0, 0, 0x1E100000, -EEXIST, "overlaps the hypervisor image [0x1e113000, 0x1e1d7000)"},
	    {0, 0, 0x1FB00000, -EEXIST, "overlaps ACPI table FACP"},
	    {0, 0, 0x10000000, -EEXIST, "overlaps RAM (conventional memory) [0x0, 0x20000000)"},
	    {0, 0, 0xB7F00000, -EEXIST, "overlaps PCI ECAM (MCFG)"},
	    {0, 0, 0xFD200000, -EEXIST, "overlaps IOMMU MMIO of 00:00.2"},
	    {0, 0, 0xFD100000, -EEXIST, "overlaps PSP MMIO (BAR2 of 00:08.1)"},
	    {0, 0, 0xFEE00000, -EEXIST, "overlaps the LAPIC / MSI window"},
	    {0, 0, 0xFEC00000, -EEXIST, "overlaps the IOAPIC"},
	    {0, 0, 0xFFD00000, -EEXIST, "overlaps firmware MMIO"},
	    {0, 0, 0xC1100000, -EEXIST, "overlaps BAR0 of 00:04.0 [0xc1100000, 0xc1200000)"},
	    {1, 0, 0xC1000000, -EEXIST, "overlaps BAR0 of 00:03.0"},
	    {1, 1, 0xC1000000, -EEXIST, "BAR2 [0xc1000000, 0xc1100000) overlaps BAR0 of 00:03.0"},
	    {1, 1, 0xC1100000, -EEXIST, "BAR2 [0xc1100000, 0xc1200000) overlaps BAR0 of 00:04.0"},
	    {1, 1, GiB(5), -EEXIST, "overlaps RAM (conventional memory) [0x100000000,"},
	    {1, 1, 1ULL << 41, -ERANGE,
	     "BAR2 [0x20000000000, 0x20000100000) is outside the PCI "
	     "windows"},
	    {0, 0, 0xFED00000, -ERANGE, "BAR0 [0xfed00000, 0xfee00000) is outside the PCI windows"},
	    {0, 0, 0xFEB00000, 0, ""},
	};
	static struct bar_policy p;
	struct pci_dev devs[8];
	unsigned n;
	char why[192];

	(void)state;
	platform(&p);
	two_devices(devs, &n);
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = move_and_check(&p, devs, n, cases[i].dev, cases[i].bar, cases[i].addr, why);

		print_message("%#llx: %d %s\n", (unsigned long long)cases[i].addr, r, why);
		assert_int_equal(r, cases[i].err);
		assert_non_null(strstr(why, cases[i].what));
		/* put it back where firmware had it */
		move_and_check(&p, devs, n, cases[i].dev, cases[i].bar,
			       cases[i].dev == 0 ? 0xC1000000
			       : cases[i].bar	 ? GiB(32)
						 : 0xC1100000,
			       why);
	}
	/* a window that covers the chipset range still refuses LAPIC and IOAPIC */
	assert_int_equal(bar_policy_window(&p, 0xC0000000, GiB(1), "the whole top GiB"), 0);
	assert_int_equal(move_and_check(&p, devs, n, 0, 0, 0xFEE00000, why), -EEXIST);
	/* and a hand-made BAR that is not naturally aligned, I/O, or tiny */
	{
		struct pci_bar b = {PCI_BAR_MEM32, false, 0, 0xC2080000, MiB(1)};

		assert_int_equal(bar_check(&p, devs, n, devs[0].bdf, &b, why, sizeof(why)),
				 -EINVAL);
		b.addr = 0xC2000000;
		b.kind = PCI_BAR_IO;
		assert_int_equal(bar_check(&p, devs, n, devs[0].bdf, &b, why, sizeof(why)),
				 -EINVAL);
		b.kind = PCI_BAR_MEM32;
		b.size = 0x800;
		assert_int_equal(bar_check(&p, devs, n, devs[0].bdf, &b, why, sizeof(why)),
				 -EINVAL);
		b.size = MiB(1);
		assert_int_equal(bar_check(&p, devs, n, devs[0].bdf, &b, why, sizeof(why)), 0);
	}
}

static void test_bar_read_type_change(void **state)
{
	struct pci_dev devs[8];
	struct pci_bar now;
	unsigned n;

	(void)state;
	two_devices(devs, &n);
	/* firmware (or the device) turned the 64-bit BAR2 into a 32-bit one */
	put32(lookup(devs[1].bdf), PCI_BAR0 + 8, 0xC3000000);
	assert_int_equal(bar_read(&fake, devs[1].bdf, &devs[1].bars[1], &now), -EIO);
	/* or BAR0 into an I/O BAR */
	put32(lookup(devs[0].bdf), PCI_BAR0, 0x6001);
	assert_int_equal(bar_read(&fake, devs[0].bdf, &devs[0].bars[0], &now), -EIO);
}

static void test_bar_moves_after_decode(void **state)
{
	struct pci_dev devs[8];
	struct pci_bar v;
	unsigned n;
	char why[192];

	(void)state;
	two_devices(devs, &n);
	v = devs[0].bars[0];
	/* a well-behaved device: decode on, BAR unchanged */
	assert_int_equal(bar_enable_decode(&fake, devs[0].bdf, &v, why, sizeof(why)), 0);
	assert_true(pci_read16(&fake, devs[0].bdf, PCI_COMMAND) & PCI_COMMAND_MEMORY);
	/* one that moves BAR0 over the hypervisor once it decodes */
	pci_command_update(&fake, devs[0].bdf, PCI_COMMAND_MEMORY, PCI_COMMAND_MASTER);
	move_on_decode.bdf = devs[0].bdf;
	move_on_decode.reg = PCI_BAR0;
	move_on_decode.val = 0x1E100000;
	assert_int_equal(bar_enable_decode(&fake, devs[0].bdf, &v, why, sizeof(why)), -EIO);
	assert_non_null(strstr(why, "BAR0 moved from 0xc1000000 to 0x1e100000"));
	assert_int_equal(pci_read16(&fake, devs[0].bdf, PCI_COMMAND) &
			     (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_IO),
			 0);
	/* the upper half of a 64-bit BAR moving counts too */
	v = devs[1].bars[1];
	move_on_decode.bdf = devs[1].bdf;
	move_on_decode.reg = PCI_BAR0 + 12;
	move_on_decode.val = 9;
	assert_int_equal(bar_enable_decode(&fake, devs[1].bdf, &v, why, sizeof(why)), -EIO);
	assert_non_null(strstr(why, "to 0x900000000"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_ecam_offset, reset),
	    cmocka_unit_test_setup(test_ecam_ops_window, reset),
	    cmocka_unit_test_setup(test_mcfg, reset),
	    cmocka_unit_test_setup(test_bar_decode, reset),
	    cmocka_unit_test_setup(test_size_bars, reset),
	    cmocka_unit_test_setup(test_caps, reset),
	    cmocka_unit_test_setup(test_enumerate, reset),
	    cmocka_unit_test_setup(test_format, reset),
	    cmocka_unit_test_setup(test_bar_policy_holes, reset),
	    cmocka_unit_test_setup(test_bar_check_accepts, reset),
	    cmocka_unit_test_setup(test_bar_check_overlaps, reset),
	    cmocka_unit_test_setup(test_bar_read_type_change, reset),
	    cmocka_unit_test_setup(test_bar_moves_after_decode, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
