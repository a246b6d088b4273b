/* Unit tests of pt_fmt_npt_amdv1 (hv/mm/pt_fmt_shared.c), the format read by
 * both the CPU's nested walk and the AMD IOMMU v1 walk:
 *   - golden encodings, and every entry is the OR of what pt_fmt_npt and
 *     pt_fmt_amdv1 write for the same table/leaf (each half decodes with its
 *     own format);
 *   - decode of both views and of corrupt entries;
 *   - a table built by the engine, walked twice by two independent models of
 *     the walkers (the CPU's nested walk; QEMU 7.2's amdvi_page_walk, which
 *     follows NextLevel and ANDs IR/IW), with the same translations, and
 *     through the decode-only views with pt_walk;
 *   - random operations against the reference model, -ENOMEM, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "hv/base/bits.h"
#include "hv/base/log.h"
#include "tests/unit/test_pt_env.h"

#define WIN_BASE  0x2340000000ULL /* fake SPA of the table pages */
#define WIN_PAGES 8192

static const struct pt_fmt *const F = &pt_fmt_npt_amdv1;
static struct pt pt;

/* Bits only one walker gives a meaning to. */
#define X86_ONLY   (BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(7) | BIT(63)) /* RW US PWT PCD PS NX */
#define IOMMU_ONLY (GENMASK(11, 9) | BIT(59) | BIT(60) | BIT(61) | BIT(62)) /* NL U FC IR IW */

static int setup(void **state)
{
	(void)state;
	ta_init(WIN_BASE, WIN_PAGES);
	ref_init(0, (GiB(4)) / PAGE_SIZE);
	log_level_max = LOG_ERR;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ta_fini();
	ref_fini();
	return 0;
}

static void fini_pt(void)
{
	pt_destroy(&pt);
	assert_int_equal(ta.in_use, 0);
	assert_int_equal(ta.allocs, ta.frees);
}

/* ---- golden encodings -------------------------------------------------------- */

static void test_golden(void **state)
{
	(void)state;
	/* 4K RWX: P|RW|US | FC|IR|IW, NextLevel 0 */
	assert_int_equal(F->leaf_entry(spa(0x1234000), 1, PT_R | PT_W | PT_X),
			 0x7000000001234007ULL);
	/* 4K read-only, no execute: P|US|NX | FC|IR */
	assert_int_equal(F->leaf_entry(spa(0x1234000), 1, PT_R), 0xB000000001234005ULL);
	/* 2M RW uncached, no execute: P|RW|US|PWT|PCD|PS|NX | IR|IW (FC=0) */
	assert_int_equal(F->leaf_entry(spa(0x40200000), 2, PT_R | PT_W | PT_UC),
			 0xE00000004020009FULL);
	/* 1G RWX: P|RW|US|PS | FC|IR|IW */
	assert_int_equal(F->leaf_entry(spa(0xC0000000), 3, PT_R | PT_W | PT_X),
			 0x70000000C0000087ULL);
	/* tables: P|RW|US | NextLevel = level - 1 | IR|IW */
	assert_int_equal(F->table_entry(spa(0x5000), 2), 0x6000000000005207ULL);
	assert_int_equal(F->table_entry(spa(0x5000), 3), 0x6000000000005407ULL);
	assert_int_equal(F->table_entry(spa(0x5000), 4), 0x6000000000005607ULL);
	assert_int_equal(F->table_entry(spa(0x5000), 5), 0x6000000000005807ULL);
	/* highest address bit 51 */
	assert_int_equal(F->leaf_entry(spa(1ULL << 51), 1, PT_R | PT_X),
			 (1ULL << 51) | 0x3000000000000005ULL);
	assert_int_equal(F->min_levels, 4);
	assert_int_equal(F->max_levels, 5);
	assert_int_equal(F->prot_need, PT_R);
	assert_int_equal(F->prot_valid, PT_R | PT_W | PT_X | PT_UC | PT_NO_DMA);
}

/* Every shared entry is the NPT entry OR the AMD IOMMU v1 entry: the bits one
 * format uses are the bits the other walker ignores. Each half decodes with
 * its own (separately tested) format to what the shared views say. */
static void test_union_of_formats(void **state)
{
	static const u32 prots[] = {PT_R,
				    PT_R | PT_W,
				    PT_R | PT_X,
				    PT_R | PT_W | PT_X,
				    PT_R | PT_UC,
				    PT_R | PT_W | PT_UC,
				    PT_R | PT_W | PT_X | PT_UC};
	unsigned level, k;

	(void)state;
	for (level = 1; level <= 3; level++) {
		spa_t pa = spa(pt_level_size(level) * 5);

		for (k = 0; k < ARRAY_SIZE(prots); k++) {
			u32 p = prots[k];
			u64 e = F->leaf_entry(pa, level, p);
			u64 n = pt_fmt_npt.leaf_entry(pa, level, p);
			u64 i = pt_fmt_amdv1.leaf_entry(pa, level, p & ~PT_X);
			struct pt_ent c, m, en, ei;

			assert_int_equal(e, n | i);
			assert_int_equal(e & ~IOMMU_ONLY, n);
			assert_int_equal(e & ~X86_ONLY, i);
			c = pt_fmt_npt_amdv1_cpu.decode(e, level);
			m = pt_fmt_npt_amdv1_iommu.decode(e, level);
			en = pt_fmt_npt.decode(n, level);
			ei = pt_fmt_amdv1.decode(i, level);
			assert_int_equal(c.kind, PT_LEAF);
			assert_int_equal(m.kind, PT_LEAF);
			assert_int_equal(c.prot, en.prot);
			assert_int_equal(m.prot, ei.prot);
			assert_int_equal(spa_val(c.pa), spa_val(en.pa));
			assert_int_equal(spa_val(m.pa), spa_val(ei.pa));
			assert_int_equal(c.prot, p);
			assert_int_equal(F->decode(e, level).prot, p);
			/* A/D set by a walker: still the same entry */
			assert_int_equal(F->decode(e | 0x60, level).kind, PT_LEAF);
		}
	}
	for (level = 2; level <= 5; level++) {
		u64 e = F->table_entry(spa(0x7000), level);

		assert_int_equal(e, pt_fmt_npt.table_entry(spa(0x7000), level) |
					pt_fmt_amdv1.table_entry(spa(0x7000), level));
		assert_int_equal(pt_fmt_npt.decode(e & ~IOMMU_ONLY, level).kind, PT_TABLE);
		assert_int_equal(pt_fmt_amdv1.decode(e & ~X86_ONLY, level).kind, PT_TABLE);
		assert_int_equal(F->decode(e, level).kind, PT_TABLE);
		assert_int_equal(F->decode(e | 0x20, level).kind, PT_TABLE); /* accessed */
	}
}

static void test_decode_views(void **state)
{
	struct pt_ent c, i;
	u64 e;

	(void)state;
	/* A leaf the IOMMU may not read (IR=0): the IOMMU view says so, the
	 * CPU view does not care, the engine's decode refuses it (never written). */
	e = 0x5000000001234007ULL; /* P|RW|US, FC|IW */
	c = pt_fmt_npt_amdv1_cpu.decode(e, 1);
	i = pt_fmt_npt_amdv1_iommu.decode(e, 1);
	assert_int_equal(c.kind, PT_LEAF);
	assert_int_equal(c.prot, PT_R | PT_W | PT_X);
	assert_int_equal(i.kind, PT_LEAF);
	assert_int_equal(i.prot, PT_W);
	assert_int_equal(F->decode(e, 1).kind, PT_BAD);
	/* The CPU ignores 11:9 and 62:52 (PKE off), the IOMMU ignores 1-4, 7, 63 */
	assert_int_equal(pt_fmt_npt_amdv1_cpu.decode(0x0000000001234E07ULL, 1).kind, PT_LEAF);
	assert_int_equal(pt_fmt_npt_amdv1_iommu.decode(0x600000000123409FULL | BIT(63), 1).kind,
			 PT_LEAF);
	/* not present in both (P = PR) */
	assert_int_equal(pt_fmt_npt_amdv1_cpu.decode(0x6000000001234006ULL, 1).kind, PT_NONE);
	assert_int_equal(pt_fmt_npt_amdv1_iommu.decode(0x6000000001234006ULL, 1).kind, PT_NONE);

	/* corrupt or never written */
	assert_int_equal(F->decode(0x7000000001234006ULL, 1).kind, PT_BAD);  /* P=0, rest set */
	assert_int_equal(F->decode(0x7000000040200287ULL, 2).kind, PT_BAD);  /* PS=1, NL=1 */
	assert_int_equal(F->decode(0x7000000040200007ULL, 2).kind, PT_BAD);  /* PS=0, NL=0 */
	assert_int_equal(F->decode(0x6000000000005007ULL, 2).kind, PT_BAD);  /* table, NL=0 */
	assert_int_equal(F->decode(0x4000000000005207ULL, 2).kind, PT_BAD);  /* table, no IR */
	assert_int_equal(F->decode(0x6000000000005205ULL, 2).kind, PT_BAD);  /* table, no RW */
	assert_int_equal(F->decode(0x6000000000005203ULL, 2).kind, PT_BAD);  /* table, no US */
	assert_int_equal(F->decode(0x7000000000005207ULL, 2).kind, PT_BAD);  /* table with FC */
	assert_int_equal(F->decode(0xE000000000005207ULL, 2).kind, PT_BAD);  /* table with NX */
	assert_int_equal(F->decode(0x6000000000005407ULL, 4).kind, PT_BAD);  /* level skip */
	assert_int_equal(F->decode(0x7000000000000087ULL, 4).kind, PT_BAD);  /* 512G leaf */
	assert_int_equal(F->decode(0x7000000040201087ULL, 2).kind, PT_BAD);  /* 2M unaligned */
	assert_int_equal(F->decode(0x7000000001234E07ULL, 1).kind, PT_BAD);  /* NL 7 */
	assert_int_equal(F->decode(0x7000000001234207ULL, 1).kind, PT_BAD);  /* NL at level 1 */
	assert_int_equal(F->decode(0x7000000001234087ULL, 1).kind, PT_BAD);  /* PAT at level 1 */
	assert_int_equal(F->decode(0x7800000001234007ULL, 1).kind, PT_BAD);  /* U */
	assert_int_equal(F->decode(0x7080000001234007ULL, 1).kind, PT_BAD);  /* reserved 55 */
	assert_int_equal(F->decode(0x7000000001234107ULL, 1).kind, PT_BAD);  /* G */
	assert_int_equal(F->decode(0x7000000001234003ULL, 1).kind, PT_BAD);  /* US=0 */
	assert_int_equal(F->decode(0x6000000001234017ULL, 1).kind, PT_BAD);  /* PCD w/o PWT */
	assert_int_equal(F->decode(0x7000000001234005ULL, 1).kind, PT_BAD);  /* IW, no RW */
	assert_int_equal(F->decode(0x3000000001234007ULL, 1).kind, PT_BAD);  /* RW, no IW */
	assert_int_equal(F->decode(0x600000000123401FULL, 1).kind, PT_LEAF); /* UC: FC=0 */
	assert_int_equal(F->decode(0x700000000123401FULL, 1).kind, PT_BAD);  /* UC with FC */
	assert_int_equal(F->decode(POISON, 1).kind, PT_BAD);
	assert_int_equal(F->decode(POISON, 3).kind, PT_BAD);
}

/* ---- two independent walkers ------------------------------------------------------ */

struct xl {
	int rc; /* 0 or -ENOENT (fault) */
	u64 pa; /* translated address */
	u32 prot;
	unsigned level; /* level of the leaf */
};

static u64 rd(u64 table, unsigned idx)
{
	return ((const u64 *)phys_ptr(spa(table)))[idx];
}

/* The CPU's nested walk (host long mode, NXE=1, PKE=0, APM 15.25.5): P at
 * every level, RW ANDed, NX ORed, US must be 1, PS at levels 2/3 ends it;
 * the IOMMU's bits are ignored. */
static struct xl cpu_walk(u64 root, unsigned levels, u64 gpa)
{
	struct xl r = {-ENOENT, 0, PT_R | PT_W | PT_X, 0};
	u64 t = root, e = 0;
	unsigned level;

	for (level = levels; level >= 1; level--) {
		e = rd(t, (gpa >> pt_level_shift(level)) & 511);
		if (!(e & BIT(0)) || !(e & BIT(2)))
			return r;
		if (!(e & BIT(1)))
			r.prot &= ~PT_W;
		if (e & BIT(63))
			r.prot &= ~PT_X;
		if (level == 1 || (e & BIT(7)))
			break;
		t = e & GENMASK(51, 12);
	}
	if (e & BIT(4))
		r.prot |= PT_UC;
	r.rc = 0;
	r.level = level;
	r.pa = (e & GENMASK(51, 12) & ~(pt_level_size(level) - 1)) |
	       (gpa & (pt_level_size(level) - 1));
	return r;
}

/* QEMU 7.2 amdvi_page_walk for DTE Mode = levels: PR and IR/IW checked on
 * every entry that leads further (the root pointer's permissions being the
 * DTE's, here full), the next index taken with the entry's own NextLevel,
 * NextLevel 0 ends the walk with a page of the size of the last level; the
 * leaf's IR/IW give the permissions. Bits 1-4, 7, 63 are not read. */
static struct xl iommu_walk(u64 root, unsigned mode, u64 iova)
{
	struct xl r = {-ENOENT, 0, 0, 0};
	unsigned level = mode, oldlevel = mode;
	u64 e = 0, t = root;

	do {
		e = rd(t, (iova >> pt_level_shift(level)) & 511);
		if (!e)
			return r;
		oldlevel = level;
		level = (unsigned)FIELD_GET(GENMASK(11, 9), e);
		if (level) {
			/* a table entry: present and IR|IW, or the walk faults */
			if (!(e & BIT(0)) || (e & (BIT(61) | BIT(62))) != (BIT(61) | BIT(62)))
				return r;
			t = e & GENMASK(51, 12);
		}
	} while (level > 0 && level < 7);
	if (level == 7 || !(e & BIT(0)))
		return r;
	r.rc = 0;
	r.level = oldlevel;
	r.prot =
	    ((e & BIT(61)) ? PT_R : 0) | ((e & BIT(62)) ? PT_W : 0) | ((e & BIT(60)) ? 0 : PT_UC);
	r.pa = (e & GENMASK(51, 12) & ~(pt_level_size(oldlevel) - 1)) |
	       (iova & (pt_level_size(oldlevel) - 1));
	return r;
}

/* Both walkers translate va the same way, as the engine's lookup and the
 * two decode-only views say. */
static void check_va(u64 va)
{
	struct xl c = cpu_walk(spa_val(pt_root(&pt)), pt.levels, va);
	struct xl i = iommu_walk(spa_val(pt_root(&pt)), pt.levels, va);
	struct pt vc = pt, vi = pt;
	struct pt_leaf l, lc, li;
	int rc = pt_lookup(&pt, va, &l);

	vc.fmt = &pt_fmt_npt_amdv1_cpu;
	vi.fmt = &pt_fmt_npt_amdv1_iommu;
	assert_int_equal(c.rc, i.rc);
	assert_int_equal(rc, c.rc);
	assert_int_equal(pt_lookup(&vc, va, &lc), rc);
	assert_int_equal(pt_lookup(&vi, va, &li), rc);
	if (rc)
		return;
	assert_int_equal(c.pa, i.pa);
	assert_int_equal(c.level, i.level);
	assert_int_equal(c.prot & ~PT_X, i.prot);
	assert_int_equal(c.prot, l.prot);
	assert_int_equal(c.level, l.level);
	assert_int_equal(c.pa, spa_val(l.pa) + (va - l.va));
	assert_int_equal(lc.prot, l.prot);
	assert_int_equal(li.prot, l.prot & ~PT_X);
	assert_int_equal(spa_val(lc.pa), spa_val(li.pa));
}

/* Leaves as the two decode-only views report them through pt_walk. */
struct lv {
	struct pt_leaf *l;
	unsigned n, cap;
};

static int lv_leaf(void *ctx, const struct pt_leaf *l)
{
	struct lv *v = ctx;

	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 1024;
		v->l = realloc(v->l, v->cap * sizeof(*v->l));
		if (!v->l)
			return -ENOMEM;
	}
	v->l[v->n++] = *l;
	return 0;
}

static void check_views_walk(void)
{
	struct lv a = {0}, b = {0};
	struct pt vc = pt, vi = pt;
	const struct pt_walk_ops ops = {lv_leaf, NULL};
	unsigned k;

	vc.fmt = &pt_fmt_npt_amdv1_cpu;
	vi.fmt = &pt_fmt_npt_amdv1_iommu;
	assert_int_equal(pt_walk_all(&vc, &ops, &a), 0);
	assert_int_equal(pt_walk_all(&vi, &ops, &b), 0);
	assert_int_equal(a.n, b.n);
	for (k = 0; k < a.n; k++) {
		assert_int_equal(a.l[k].va, b.l[k].va);
		assert_int_equal(spa_val(a.l[k].pa), spa_val(b.l[k].pa));
		assert_int_equal(a.l[k].size, b.l[k].size);
		assert_int_equal(a.l[k].prot & ~PT_X, b.l[k].prot);
		assert_int_equal(a.l[k].pte, b.l[k].pte); /* one entry, two readers */
	}
	free(a.l);
	free(b.l);
}

static void build_mixed(unsigned levels)
{
	const u32 rwx = PT_R | PT_W | PT_X;

	assert_int_equal(pt_init(&pt, F, levels, &ta_mm), 0);
	/* 1G + 2M + 4K leaves with different prots */
	assert_int_equal(pt_map(&pt, GiB(1), spa(GiB(8)), GiB(1), rwx, PT_SZ_ALL, NULL), 0);
	assert_int_equal(pt_map(&pt, MiB(2), spa(GiB(3)), MiB(6), PT_R | PT_W, PT_SZ_ALL, NULL), 0);
	assert_int_equal(
	    pt_map(&pt, MiB(8) + KiB(4), spa(GiB(5) + KiB(12)), KiB(40), PT_R, PT_SZ_ALL, NULL), 0);
	assert_int_equal(
	    pt_map(&pt, MiB(16), spa(0xFED00000), MiB(2), PT_R | PT_W | PT_UC, PT_SZ_ALL, NULL), 0);
	/* split the 1G leaf: 4K hole, read-only 2M inside, UC 4K page */
	assert_int_equal(pt_unmap(&pt, GiB(1) + MiB(10) + KiB(8), PAGE_SIZE, NULL), 0);
	assert_int_equal(pt_protect(&pt, GiB(1) + MiB(20), MiB(2), PT_R | PT_X, NULL), 0);
	assert_int_equal(pt_protect(&pt, GiB(1) + MiB(30), PAGE_SIZE, PT_R | PT_W | PT_UC, NULL),
			 0);
	if (levels == 5)
		assert_int_equal(pt_map(&pt, 1ULL << 50, spa(GiB(2)), MiB(2), rwx, PT_SZ_ALL, NULL),
				 0);
}

static void test_walk_twice(void **state)
{
	unsigned levels, k;

	(void)state;
	for (levels = 4; levels <= 5; levels++) {
		static const u64 probes[] = {0,
					     MiB(2),
					     MiB(4) + 0x123,
					     MiB(8),
					     MiB(8) + KiB(4),
					     MiB(8) + KiB(44) - 1,
					     MiB(8) + KiB(44),
					     MiB(16) + 0x800,
					     GiB(1),
					     GiB(1) + MiB(10) + KiB(4),
					     GiB(1) + MiB(10) + KiB(8),
					     GiB(1) + MiB(10) + KiB(12),
					     GiB(1) + MiB(21),
					     GiB(1) + MiB(30) + 8,
					     GiB(2) - 1,
					     GiB(2),
					     1ULL << 47,
					     (1ULL << 50) + 0x1000};

		build_mixed(levels);
		for (k = 0; k < ARRAY_SIZE(probes); k++)
			if (probes[k] < (1ULL << (12 + 9 * levels)))
				check_va(probes[k]);
		/* every 4K of the first 2 GiB + 64 KiB */
		for (k = 0; k < (GiB(2) + KiB(64)) / KiB(64); k++)
			check_va((u64)k * KiB(64) + KiB(4) * (k % 16));
		check_views_walk();
		fini_pt();
	}
}

/* CPU-only leaves (PT_NO_DMA, device MMIO in a shared NPT): the CPU
 * translates, the IOMMU finds a leaf that grants nothing. */
static void test_no_dma(void **state)
{
	const u32 mmio = PT_R | PT_W | PT_UC | PT_NO_DMA;
	struct pt_leaf l;
	struct xl c, i;
	struct pt_ent e;

	(void)state;
	/* 4K: P|RW|US|PWT|PCD|NX, no IR/IW/FC */
	assert_int_equal(F->leaf_entry(spa(0xFEB00000), 1, mmio), 0x80000000FEB0001FULL);
	assert_int_equal(F->leaf_entry(spa(0xFEA00000), 2, PT_R | PT_NO_DMA),
			 0x80000000FEA00085ULL);
	e = F->decode(0x80000000FEB0001FULL, 1);
	assert_int_equal(e.kind, PT_LEAF);
	assert_int_equal(e.prot, mmio);
	e = pt_fmt_npt_amdv1_iommu.decode(0x80000000FEB0001FULL, 1);
	assert_int_equal(e.kind, PT_LEAF);
	assert_int_equal(e.prot & (PT_R | PT_W), 0);
	assert_int_equal(F->decode(0x90000000FEB0001FULL, 1).kind, PT_BAD); /* FC alone */
	assert_int_equal(F->decode(0xC0000000FEB0001FULL, 1).kind, PT_BAD); /* IW, no IR */
	/* other formats cannot express it */
	assert_int_not_equal(pt_fmt_npt.prot_valid & PT_NO_DMA, PT_NO_DMA);
	assert_int_not_equal(pt_fmt_amdv1.prot_valid & PT_NO_DMA, PT_NO_DMA);

	assert_int_equal(pt_init(&pt, F, 4, &ta_mm), 0);
	assert_int_equal(pt_map(&pt, 0, spa(GiB(1)), MiB(4), PT_R | PT_W | PT_X, PT_SZ_ALL, NULL),
			 0);
	assert_int_equal(
	    pt_map(&pt, GiB(64), spa(0xFE000000), MiB(2) + KiB(16), mmio, PT_SZ_ALL, NULL), 0);
	assert_int_equal(pt_lookup(&pt, GiB(64) + MiB(2) + KiB(4), &l), 0);
	assert_int_equal(l.prot, mmio);
	c = cpu_walk(spa_val(pt_root(&pt)), 4, GiB(64) + 0x1234);
	i = iommu_walk(spa_val(pt_root(&pt)), 4, GiB(64) + 0x1234);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.pa, 0xFE001234ULL);
	assert_int_equal(c.prot, PT_R | PT_W | PT_UC);
	assert_int_equal(i.rc, 0); /* a leaf, but no read, no write: DMA faults */
	assert_int_equal(i.prot & (PT_R | PT_W), 0);
	/* RAM next to it: both readers as usual */
	c = cpu_walk(spa_val(pt_root(&pt)), 4, MiB(3));
	i = iommu_walk(spa_val(pt_root(&pt)), 4, MiB(3));
	assert_int_equal(c.pa, i.pa);
	assert_int_equal(i.prot, PT_R | PT_W);
	/* split and protect keep it CPU-only */
	assert_int_equal(pt_unmap(&pt, GiB(64) + KiB(8), PAGE_SIZE, NULL), 0);
	assert_int_equal(pt_lookup(&pt, GiB(64) + KiB(12), &l), 0);
	assert_int_equal(l.prot, mmio);
	assert_int_equal(pt_unmap(&pt, 0, GiB(128), NULL), 0);
	fini_pt();
}

/* ---- random operations against the reference model ------------------------------------ */

static void test_random(void **state)
{
	unsigned step, fails = 0;
	struct chk c;

	(void)state;
	rng_state = 0x5eed5eed12345ULL;
	assert_int_equal(pt_init(&pt, F, 4, &ta_mm), 0);
	for (step = 0; step < 3000; step++) {
		static const u32 prots[] = {PT_R, PT_R | PT_W, PT_R | PT_X, PT_R | PT_W | PT_X,
					    PT_R | PT_W | PT_UC};
		static const u32 sizes[] = {PT_SZ_4K, PT_SZ_4K | PT_SZ_2M, PT_SZ_ALL};
		struct pt_op op = {0};
		u64 pages = 1 + rnd() % 1024, lo, hi;
		int rc;

		op.type = (enum pt_op_type)(rnd() % 4);
		op.prot = prots[rnd() % ARRAY_SIZE(prots)];
		op.sizes = sizes[rnd() % ARRAY_SIZE(sizes)];
		if (rnd() % 4 == 0)
			pages = (1 + rnd() % 4) * 512;
		op.va = (rnd() % (GiB(4) / PAGE_SIZE - pages)) * PAGE_SIZE;
		if (rnd() % 3 == 0)
			op.va = ALIGN_DOWN(op.va, HUGE_SIZE);
		op.size = pages * PAGE_SIZE;
		op.pa = spa(op.va + GiB(16) * (1 + rnd() % 2));
		if (op.type == PT_OP_MAP || op.type == PT_OP_MERGE) {
			u64 al = pt_level_size((unsigned)__builtin_ctz(op.sizes) + 1);

			if (!IS_ALIGNED(op.va | op.size, al))
				op.sizes = PT_SZ_4K;
		}
		if (step % 64 == 0)
			rc = apply_enomem_every_point(&pt, &op, NULL, 1000, &fails);
		else
			rc = pt_apply(&pt, &op, NULL);
		assert_int_equal(rc, 0);
		ref_apply(&op, &lo, &hi);
		if (check_range(&pt, op.va >= MiB(2) ? op.va - MiB(2) : 0, op.size + MiB(4), &c))
			fail_msg("step %u: %s", step, c.msg);
		if (step % 500 == 499) {
			if (check_all(&pt, &c))
				fail_msg("step %u: %s", step, c.msg);
			check_views_walk();
		}
	}
	for (step = 0; step < 2000; step++)
		check_va((rnd() % (GiB(4) / PAGE_SIZE)) * PAGE_SIZE + rnd() % PAGE_SIZE);
	assert_int_equal(pt_unmap(&pt, 0, GiB(4), NULL), 0);
	assert_int_equal(pt_table_pages(&pt), 1);
	fini_pt();
}

/* ---- bad input and -ENOMEM -------------------------------------------------------------- */

static void test_bad_input(void **state)
{
	unsigned fails = 0;
	struct pt_op op = {.type = PT_OP_MAP,
			   .prot = PT_R | PT_W,
			   .sizes = PT_SZ_4K,
			   .va = GiB(3) - MiB(6),
			   .size = MiB(12),
			   .pa = spa(GiB(20) + PAGE_SIZE)};
	u64 *root, h;

	(void)state;
	assert_int_equal(pt_init(&pt, F, 3, &ta_mm), -EINVAL); /* the CPU needs 4 or 5 */
	assert_int_equal(pt_init(&pt, F, 6, &ta_mm), -EINVAL);
	assert_int_equal(pt_init(&pt, F, 4, &ta_mm), 0);
	assert_int_equal(pt_map(&pt, 0, spa(0), PAGE_SIZE, PT_W, PT_SZ_ALL, NULL), -EINVAL);
	assert_int_equal(pt_map(&pt, 0, spa(0), PAGE_SIZE, PT_R | PT_USER, PT_SZ_ALL, NULL),
			 -EINVAL);
	assert_int_equal(pt_map(&pt, 0, spa(0), PAGE_SIZE, PT_R | PT_GLOBAL, PT_SZ_ALL, NULL),
			 -EINVAL);
	assert_int_equal(pt_map(&pt, 1ULL << 48, spa(0), PAGE_SIZE, PT_R, PT_SZ_ALL, NULL),
			 -EINVAL);
	/* -ENOMEM at every allocation point changes nothing: 2 PDs + 6 PTs + PDPT */
	assert_int_equal(apply_enomem_every_point(&pt, &op, NULL, 100, &fails), 0);
	assert_int_equal(fails, 1 + 2 + 6);
	/* a corrupt entry on the path: -EIO, nothing changed */
	root = phys_ptr(pt_root(&pt));
	h = root[0];
	root[0] |= BIT(59); /* U in a PDE: reserved for the IOMMU */
	assert_int_equal(pt_map(&pt, 0x1000, spa(0), PAGE_SIZE, PT_R, PT_SZ_ALL, NULL), -EIO);
	assert_int_equal(pt_unmap(&pt, GiB(3), PAGE_SIZE, NULL), -EIO);
	assert_int_equal(root[0], h | BIT(59));
	root[0] = h;
	assert_int_equal(pt_unmap(&pt, 0, GiB(4), NULL), 0);
	fini_pt();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden),
	    cmocka_unit_test(test_union_of_formats),
	    cmocka_unit_test(test_decode_views),
	    cmocka_unit_test_setup_teardown(test_walk_twice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_dma, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
