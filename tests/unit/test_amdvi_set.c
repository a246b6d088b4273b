/* Unit tests of the IOMMU set (iommu/amdvi_set.c): every IOMMU of a real IVRS
 * dump driven at once, each behind its own fake register file
 * (tests/unit/fake_amdvi.[ch]) and a fake PCI config space holding each
 * IOMMU's function with its capability block (48882 3.2.1).
 *
 * Tables (../shared/testdata/ivrs, README there):
 *   Zenith II (TRX40, Rome-class I/O die): 4 IOMMUs, 10h+11h each, listed
 *     60:00.2, 40:00.2, 20:00.2, 00:00.2; 6002h's range 60:01.0-ff:1f.6
 *     overlaps 0002h's alias range ff:00.0-ff:1f.7 (alias 00:14.4);
 *   PRIME X399-A (Threadripper 1st/2nd gen): 2 IOMMUs, 00:00.2 and 40:00.2.
 * No EPYC (Milan/Genoa) dump exists in the shared set; Zenith II has the
 * same one-IOMMU-per-quadrant layout. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/core/gmem.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/mm/pmem.h"
#include "iommu/amdvi_set.h"
#include "iommu/ivrs.h"
#include "iommu/pci.h"
#include "tests/unit/fake_amdvi.h"
#include "hv/arch/host/host_env.h"

#define ZENITH "amd-amdtable-asus-rog-zenith-ii-extreme-alpha-trx40.bin"
#define X399   "amd-amd-ivrs-asus-prime-x399-a.bin"

#define WIN_BASE 0x200000000ULL
#define WIN_SIZE (24ULL << 20)
#define MAXF	 8

/* ---- environment: memory, fake PCI, fake IOMMUs --------------------------- */

static u8 *win;
static u64 bump;
static struct ivrs_table tbl;
static u8 map[65536];
static struct amdvi_set set;
static struct fake_amdvi *fk[AMDVI_SET_MAX];
static unsigned nmapped;

struct fn {
	u16 bdf;
	u8 cfg[256];
};
static struct fn fns[MAXF];
static unsigned nfns;

static int alloc(void *ctx, u64 bytes, u64 align, spa_t *out)
{
	(void)ctx;
	bump = ALIGN_UP(bump, align);
	if (bump + bytes > WIN_SIZE)
		return -ENOMEM;
	*out = spa(WIN_BASE + bump);
	memset(win + bump, 0x5A, bytes); /* the driver must zero it */
	bump += bytes;
	return 0;
}

static u32 cfg_read(void *ctx, u16 bdf, u16 reg, unsigned size)
{
	(void)ctx;
	for (unsigned i = 0; i < nfns; i++)
		if (fns[i].bdf == bdf && reg + size <= 256) {
			u32 v = 0;

			memcpy(&v, fns[i].cfg + reg, size);
			return v;
		}
	return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

static void cfg_write(void *ctx, u16 bdf, u16 reg, unsigned size, u32 val)
{
	(void)ctx;
	(void)bdf;
	(void)reg;
	(void)size;
	(void)val;
	fail_msg("the set must not write config space");
}

static const struct pci_cfg_ops cfg_ops = {cfg_read, cfg_write};
static const struct pci_access pci = {&cfg_ops, NULL};

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

/* An AMD IOMMU function as 48882 3.2.1 lays it out: capability ID 0Fh, type
 * 011b, EFRSup, NpCache, base low/high = the IVHD base with Enable set. */
static void add_iommu_fn(u16 bdf, u8 cap, u64 base)
{
	struct fn *f = &fns[nfns++];

	assert_true(nfns <= MAXF);
	memset(f, 0, sizeof(*f));
	f->bdf = bdf;
	put32(f->cfg + PCI_VENDOR_ID, 0x14811022);
	put32(f->cfg + PCI_COMMAND, (u32)PCI_STATUS_CAP_LIST << 16);
	put32(f->cfg + PCI_CLASS_REVISION, 0x08060000);
	f->cfg[PCI_CAPABILITY_LIST] = cap;
	put32(f->cfg + cap, PCI_CAP_ID_SECURE | FIELD_PREP(IOMMU_CAP_TYPE, IOMMU_CAP_TYPE_IOMMU) |
				IOMMU_CAP_EFR_SUP | IOMMU_CAP_NP_CACHE);
	put32(f->cfg + cap + IOMMU_CAP_BASE_LOW, (u32)base | IOMMU_CAP_BASE_EN);
	put32(f->cfg + cap + IOMMU_CAP_BASE_HIGH, (u32)(base >> 32));
}

static int map_mmio(void *ctx, unsigned unit, spa_t base, u64 size,
		    const struct amdvi_mmio_ops **ops, void **mctx)
{
	(void)ctx;
	assert_true(unit < AMDVI_SET_MAX);
	assert_int_equal(spa_val(base), set.unit[unit].ivhd->base);
	assert_int_equal(size, KiB(16));
	*ops = &fake_amdvi_ops;
	*mctx = fk[unit];
	nmapped++;
	return 0;
}

static const struct amdvi_set_env env = {
    .pci = &pci, .last_bus = 0xFF, .map_mmio = map_mmio, .alloc = alloc, .poll_limit = 1000};

static const char *data_dir(void)
{
	return host_testdata_dir("ivrs");
}

static void parse_file(const char *name, struct ivrs_table *t)
{
	static u8 buf[65536];
	char path[4200];
	struct ivrs_error err;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", data_dir(), name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (ivrs_parse(buf, len, t, &err))
		fail_msg("%s: %s", name, err.msg);
}

/* Parse, map, and give every IOMMU on segment 0 its PCI function and a
 * fake whose EFR is the IVHD's EFR image (| extra). */
static void load(const char *name, u64 efr_extra)
{
	parse_file(name, &tbl);
	assert_int_equal(amdvi_set_map(&set, &tbl, map), 0);
	for (unsigned k = 0; k < set.n; k++) {
		const struct ivrs_ivhd *h = set.unit[k].ivhd;

		add_iommu_fn(h->devid, (u8)h->cap_offset, h->base);
		fake_amdvi_reset(fk[k], h->efr | efr_extra);
	}
}

/* One fake IOMMU register file per possible unit, and the state the
 * callbacks keep: fresh for every test. */
static void fakes_new(void)
{
	for (unsigned k = 0; k < AMDVI_SET_MAX; k++) {
		fk[k] = calloc(1, sizeof(*fk[k]));
		assert_non_null(fk[k]);
	}
	nfns = 0;
	nmapped = 0;
	memset(&set, 0, sizeof(set));
}

static void fakes_free(void)
{
	for (unsigned k = 0; k < AMDVI_SET_MAX; k++)
		free(fk[k]);
}

static int setup(void **state)
{
	(void)state;
	win = calloc(1, WIN_SIZE);
	assert_non_null(win);
	host_phys_window(win, spa(WIN_BASE), WIN_SIZE);
	fakes_new();
	bump = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	host_phys_window(NULL, spa(0), 0);
	fakes_free();
	free(win);
	return 0;
}

static bool ctrl_on(unsigned k)
{
	return *fake_amdvi_reg(fk[k], MMIO_CONTROL_OFFSET) & CONTROL_IOMMU_EN;
}

static unsigned count_op(unsigned k, unsigned op)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fk[k]->ncmds; i++)
		n += amdvi_cmd_opcode(&fk[k]->cmds[i]) == op;
	return n;
}

/* Zenith II unit numbers (IVRS order). */
enum { U6002, U4002, U2002, U0002 };

/* ---- the map -------------------------------------------------------------------- */

/* The painted map agrees with ivrs_lookup for every ID of every shared dump. */
static void test_map_matches_lookup_all_dumps(void **state)
{
	static const char *const files[] = {
	    ZENITH,
	    X399,
	    "amd-amdtable-327b-odd-length.bin",
	    "amd-amdtable-asus-zenbook-s16-um5606wa.bin",
	    "amd-amdtable-mechrevo-wujie14xa-laptop.bin",
	    "amd-bantry-gigabyte-f2a78m-hd2-desktop.bin",
	    "amd-edk2-valve-jupiter-steamdeck.bin",
	    "amd-rd890s-asrock-970m-pro3-desktop-rev1.bin",
	    "amd-rd890s-supermicro-h8dgu-opteron-server-rev1.bin",
	    "corev4-coreboot-asrock-x370-killer-sli.bin",
	    "hpqoem-87b7-hp-laptop-14-fq0xxx.bin",
	    "lenovo-tp-r11-thinkpad-e495.bin",
	    "lenovo-tp-r22-thinkpad-t14s-gen3.bin",
	};

	(void)state;
	for (unsigned f = 0; f < ARRAY_SIZE(files); f++) {
		unsigned covered = 0, sum = 0;

		parse_file(files[f], &tbl);
		assert_int_equal(amdvi_set_map(&set, &tbl, map), 0);
		assert_int_equal(set.n, tbl.nr_iommus); /* all on segment 0 */
		for (u32 id = 0; id < 65536; id++) {
			struct ivrs_dev_info info;

			if (ivrs_lookup(&tbl, (u16)id, &info)) {
				assert_int_equal(map[id], AMDVI_SET_NONE);
				continue;
			}
			assert_int_equal(map[id], info.iommu);
			covered++;
		}
		for (unsigned k = 0; k < set.n; k++)
			sum += set.unit[k].ndevids;
		assert_int_equal(sum, covered);
	}
}

static void test_map_zenith(void **state)
{
	(void)state;
	parse_file(ZENITH, &tbl);
	assert_int_equal(amdvi_set_map(&set, &tbl, map), 0);
	/* 8 IVHD blocks, 4 IOMMUs: the 10h/11h pairs are one IOMMU each. */
	assert_int_equal(tbl.nr_ivhds, 8);
	assert_int_equal(set.n, 4);
	assert_int_equal(set.nr_ivrs, 4);
	assert_int_equal(set.unit[U6002].bdf, 0x6002);
	assert_int_equal(set.unit[U4002].bdf, 0x4002);
	assert_int_equal(set.unit[U2002].bdf, 0x2002);
	assert_int_equal(set.unit[U0002].bdf, 0x0002);
	for (unsigned k = 0; k < 4; k++)
		assert_int_equal(set.unit[k].ivhd->type, 0x11);
	assert_int_equal(set.unit[U2002].ivhd->base, 0xFA600000);
	/* Ranges, specials, and the overlap the later 0002h entries win. */
	assert_ptr_equal(amdvi_set_unit_of(&set, 0x6008), &set.unit[U6002]);
	assert_ptr_equal(amdvi_set_unit_of(&set, 0xFEFE), &set.unit[U6002]);
	assert_ptr_equal(amdvi_set_unit_of(&set, 0xFF00), &set.unit[U0002]);
	assert_ptr_equal(amdvi_set_unit_of(&set, 0xFFFF), &set.unit[U0002]);
	assert_ptr_equal(amdvi_set_unit_of(&set, 0x6001), &set.unit[U6002]); /* IOAPIC 81h */
	assert_ptr_equal(amdvi_set_unit_of(&set, 0x4100), &set.unit[U4002]);
	assert_ptr_equal(amdvi_set_unit_of(&set, 0x2100), &set.unit[U2002]);
	assert_ptr_equal(amdvi_set_unit_of(&set, 0x00A0), &set.unit[U0002]); /* HPET, IOAPIC */
	assert_ptr_equal(amdvi_set_unit_of(&set, 0x0008), &set.unit[U0002]);
	/* Not listed (root complexes, the IOMMUs themselves): no IOMMU known. */
	assert_null(amdvi_set_unit_of(&set, 0x0000));
	assert_null(amdvi_set_unit_of(&set, 0x6002));
	assert_null(amdvi_set_unit_of(&set, 0x5FFF));
	assert_ptr_equal(amdvi_set_unit_at(&set, 0x4002), &set.unit[U4002]);
	assert_null(amdvi_set_unit_at(&set, 0x4000));
	/* 6008h-FFFEh minus FF00h-FFFEh, plus 6001h. */
	assert_int_equal(set.unit[U6002].ndevids, (0xFEFF - 0x6008 + 1) + 1);
}

/* ---- bring-up -------------------------------------------------------------------- */

static void check_all_up(unsigned n)
{
	struct amdvi_dte blocked, d;

	assert_true(set.up);
	assert_int_equal(set.n, n);
	assert_int_equal(set.nr_enabled, n);
	assert_int_equal(nmapped, n);
	for (unsigned k = 0; k < n; k++) {
		const struct amdvi_unit *u = &set.unit[k];

		assert_true(u->hw.enabled);
		assert_int_equal(*fake_amdvi_reg(fk[k], MMIO_CONTROL_OFFSET) &
				     (CONTROL_IOMMU_EN | CONTROL_CMDBUF_EN | CONTROL_EVT_LOG_EN),
				 CONTROL_IOMMU_EN | CONTROL_CMDBUF_EN | CONTROL_EVT_LOG_EN);
		/* Its own tables, programmed into its own registers. */
		assert_int_equal(fk[k]->devtab, spa_val(u->hw.dev_table));
		assert_int_equal(fk[k]->cmdbuf, spa_val(u->hw.cmd_buf));
		for (unsigned j = 0; j < k; j++)
			assert_int_not_equal(spa_val(u->hw.dev_table),
					     spa_val(set.unit[j].hw.dev_table));
		assert_int_equal(count_op(k, CMD_INV_ALL), 1);
		assert_int_equal(u->cap_off, u->ivhd->cap_offset);
		assert_int_equal(u->cap_base, u->ivhd->base);
		assert_true(u->np_cache);
		assert_false(u->qemu72);
		assert_int_equal(u->efr, u->ivhd->efr);
		/* Coherent from the IVHD flags (b0h: bit 5). */
		assert_true(u->hw.ctrl & CONTROL_COHERENT_EN);
		/* Every entry of every table blocks. */
		assert_int_equal(u->max_devid, 0xFFFF);
		amdvi_dte_blocked(&blocked, u->hw.null_root);
		for (u32 id = 0; id <= u->max_devid; id++) {
			assert_int_equal(amdvi_get_dte(&u->hw, (u16)id, &d), 0);
			assert_memory_equal(&d, &blocked, sizeof(d));
		}
	}
}

static void test_init_zenith_all_enabled_all_blocked(void **state)
{
	(void)state;
	load(ZENITH, 0);
	assert_int_equal(amdvi_set_init(&set, &env), 0);
	check_all_up(4);
	/* Every device a device entry lists is on its IOMMU, blocked. */
	for (unsigned i = 0; i < tbl.nr_devs; i++) {
		const struct ivrs_dev *d = &tbl.devs[i];
		u16 ids[3] = {d->first, (u16)((d->first + d->last) / 2), d->last};

		if (!tbl.ivhds[d->ivhd].active)
			continue;
		for (unsigned j = 0; j < 3; j++) {
			struct ivrs_dev_info info;

			assert_int_equal(ivrs_lookup(&tbl, ids[j], &info), 0);
			assert_ptr_equal(amdvi_set_unit_of(&set, ids[j]), &set.unit[info.iommu]);
			assert_true(amdvi_set_is_blocked(&set, ids[j], info.alias));
		}
	}
}

static void test_init_x399(void **state)
{
	(void)state;
	load(X399, 0);
	assert_int_equal(amdvi_set_init(&set, &env), 0);
	check_all_up(2);
	assert_int_equal(set.unit[0].bdf, 0x0002);
	assert_int_equal(set.unit[1].bdf, 0x4002);
	/* Here 00:00.2's alias range ff:00.0-ff:1f.7 comes first and 40:00.2's
	 * range 40:01.0-ff:1f.6 later: the later entry wins up to FFFEh. */
	assert_ptr_equal(amdvi_set_unit_of(&set, 0xFEFF), &set.unit[1]);
	assert_ptr_equal(amdvi_set_unit_of(&set, 0xFFFE), &set.unit[1]);
	assert_ptr_equal(amdvi_set_unit_of(&set, 0xFFFF), &set.unit[0]);
}

static void check_none_enabled(unsigned n)
{
	assert_false(set.up);
	assert_int_equal(set.nr_enabled, 0);
	for (unsigned k = 0; k < n; k++) {
		assert_false(ctrl_on(k));
		assert_false(set.unit[k].hw.enabled);
	}
}

/* The third IOMMU's PCI function is missing: nothing is enabled. */
static void test_init_missing_function(void **state)
{
	(void)state;
	load(ZENITH, 0);
	fns[U2002].bdf = 0x2003; /* not where IVRS says */
	assert_int_equal(amdvi_set_init(&set, &env), -ENODEV);
	assert_int_equal(set.failed_unit, U2002);
	check_none_enabled(4);
	/* Not even touched beyond: the fourth IOMMU was never mapped. */
	assert_int_equal(nmapped, 2);
}

/* A function without the IOMMU capability type is refused as well. */
static void test_init_wrong_capability(void **state)
{
	(void)state;
	load(ZENITH, 0);
	fns[U0002].cfg[0x40 + 2] = 0; /* capability type 000b */
	assert_int_equal(amdvi_set_init(&set, &env), -ENODEV);
	assert_int_equal(set.failed_unit, U0002);
	check_none_enabled(4);
}

/* The last IOMMU's completion wait never lands: the three already enabled
 * are disabled again. */
static void test_init_enable_failure_disables_all(void **state)
{
	(void)state;
	load(ZENITH, 0);
	fk[U0002]->never_store = true;
	assert_int_equal(amdvi_set_init(&set, &env), -ETIMEDOUT);
	assert_int_equal(set.failed_unit, U0002);
	check_none_enabled(4);
	/* The first three were on before (their INVALIDATE_IOMMU_ALL ran). */
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(count_op(k, CMD_INV_ALL), 1);
		assert_true(fk[k]->nctrl >= 7); /* 3 enable steps + 3 disable steps + init */
	}
}

/* A firmware-enabled IOMMU is turned off at init, and stays off on failure. */
static void test_init_failure_turns_firmware_iommu_off(void **state)
{
	(void)state;
	load(ZENITH, 0);
	*fake_amdvi_reg(fk[U6002], MMIO_CONTROL_OFFSET) =
	    CONTROL_IOMMU_EN | CONTROL_CMDBUF_EN | CONTROL_EVT_LOG_EN;
	fk[U4002]->never_store = true;
	assert_int_equal(amdvi_set_init(&set, &env), -ETIMEDOUT);
	check_none_enabled(4);
}

/* ---- DTEs, domains, fan-out ------------------------------------------------------- */

static void up_zenith(void)
{
	load(ZENITH, 0);
	assert_int_equal(amdvi_set_init(&set, &env), 0);
	for (unsigned k = 0; k < 4; k++)
		fk[k]->ncmds = fk[k]->nwaits = 0;
}

static spa_t a_root(void)
{
	spa_t r;

	assert_int_equal(alloc(NULL, PAGE_SIZE, PAGE_SIZE, &r), 0);
	memset(phys_ptr(r), 0, PAGE_SIZE);
	return r;
}

static void test_attach_goes_to_the_right_iommu(void **state)
{
	struct amdvi_dte d;
	spa_t root;

	(void)state;
	up_zenith();
	root = a_root();
	/* 41:00.0 is behind 40:00.2. */
	assert_int_equal(amdvi_set_attach(&set, 0x4100, 0x4100, 9, root, 3), 0);
	assert_int_equal(amdvi_get_dte(&set.unit[U4002].hw, 0x4100, &d), 0);
	assert_true(d.data[0] & DTE_FLAG_V);
	assert_true(d.data[0] & DTE_FLAG_TV);
	assert_int_equal(FIELD_GET(DTE_MODE_MASK, d.data[0]), 3);
	assert_int_equal(d.data[0] & DTE_PT_ROOT_MASK, spa_val(root));
	assert_int_equal(FIELD_GET(DTE_DOMID_MASK, d.data[1]), 9);
	/* The same ID stays blocked in every other IOMMU's table. */
	for (unsigned k = 0; k < 4; k++) {
		struct amdvi_dte b;

		if (k == U4002)
			continue;
		amdvi_dte_blocked(&b, set.unit[k].hw.null_root);
		assert_int_equal(amdvi_get_dte(&set.unit[k].hw, 0x4100, &d), 0);
		assert_memory_equal(&d, &b, sizeof(d));
		assert_int_equal(fk[k]->ncmds, 0); /* no DEVTAB invalidation either */
	}
	assert_int_equal(count_op(U4002, CMD_INV_DEV_ENTRY), 1);
	assert_int_equal(amdvi_set_dom_units(&set, 9), 1u << U4002);
	/* No IOMMU for an unlisted device. */
	assert_int_equal(amdvi_set_attach(&set, 0x0000, 0x0000, 9, root, 3), -ENODEV);
	assert_int_equal(amdvi_set_block(&set, 0x6002, 0x6002), -ENODEV);
}

/* ff:00.0 is behind 00:00.2 through the alias 00:14.4 (00A4h): the alias
 * DTE in 00:00.2's table, not in 60:00.2's (whose range also covers ffxx). */
static void test_attach_alias_range(void **state)
{
	struct ivrs_dev_info info;
	struct amdvi_dte d;

	(void)state;
	up_zenith();
	assert_int_equal(ivrs_lookup(&tbl, 0xFF00, &info), 0);
	assert_int_equal(info.alias, 0x00A4);
	assert_int_equal(amdvi_set_attach(&set, 0xFF00, info.alias, 4, a_root(), 4), 0);
	assert_int_equal(amdvi_get_dte(&set.unit[U0002].hw, 0x00A4, &d), 0);
	assert_int_equal(FIELD_GET(DTE_DOMID_MASK, d.data[1]), 4);
	assert_true(amdvi_set_is_blocked(&set, 0x6008, 0x00A4)); /* 60:00.2's table */
	assert_int_equal(amdvi_get_dte(&set.unit[U6002].hw, 0x00A4, &d), 0);
	assert_int_equal(FIELD_GET(DTE_DOMID_MASK, d.data[1]), 0);
	assert_int_equal(fk[U6002]->ncmds, 0);
}

/* A domain with devices behind 60:00.2 and 20:00.2: its invalidation reaches
 * exactly those two, one INVALIDATE_IOMMU_PAGES and one wait each. */
static void test_fanout_two_iommus(void **state)
{
	spa_t root;
	unsigned w[4];

	(void)state;
	up_zenith();
	root = a_root();
	assert_int_equal(amdvi_set_attach(&set, 0x6100, 0x6100, 7, root, 3), 0);
	assert_int_equal(amdvi_set_attach(&set, 0x2100, 0x2100, 7, root, 3), 0);
	assert_int_equal(amdvi_set_attach(&set, 0x2108, 0x2108, 7, root, 3), 0);
	assert_int_equal(amdvi_set_dom_units(&set, 7), (1u << U6002) | (1u << U2002));
	for (unsigned k = 0; k < 4; k++) {
		fk[k]->ncmds = 0;
		w[k] = fk[k]->nwaits;
	}
	assert_int_equal(amdvi_set_inv_domain(&set, 7, 0x200000, 0x3000), 0);
	for (unsigned k = 0; k < 4; k++) {
		bool in = k == U6002 || k == U2002;

		assert_int_equal(fk[k]->ncmds, in ? 1 : 0);
		assert_int_equal(fk[k]->nwaits - w[k], in ? 1 : 0);
		if (in) {
			u64 start;
			u64 sz = amdvi_inv_addr_decode(fk[k]->cmds[0].data[1], &start);

			assert_int_equal(amdvi_cmd_opcode(&fk[k]->cmds[0]), CMD_INV_IOMMU_PAGES);
			assert_int_equal(FIELD_GET(CMD_DOMID_MASK, fk[k]->cmds[0].data[0]), 7);
			assert_true(start <= 0x200000 && start + sz >= 0x203000);
		}
	}
	assert_int_equal(set.rounds, 1);
	assert_int_equal(set.batches, 2);
	assert_int_equal(set.unit[U2002].fanout_invs, 1);
	assert_int_equal(set.unit[U2002].syncs, 1);
	assert_int_equal(set.unit[U4002].syncs, 0);
}

/* gmem's round: two domains queued, one sync: each IOMMU waits once. */
static void test_fanout_one_batch_per_iommu(void **state)
{
	spa_t root;
	unsigned w[4];

	(void)state;
	up_zenith();
	root = a_root();
	assert_int_equal(amdvi_set_attach(&set, 0x6100, 0x6100, 7, root, 3), 0);
	assert_int_equal(amdvi_set_attach(&set, 0x2100, 0x2100, 7, root, 3), 0);
	assert_int_equal(amdvi_set_attach(&set, 0x2200, 0x2200, 8, root, 3), 0);
	assert_int_equal(amdvi_set_attach(&set, 0x4100, 0x4100, 8, root, 3), 0);
	for (unsigned k = 0; k < 4; k++) {
		fk[k]->ncmds = 0;
		w[k] = fk[k]->nwaits;
	}
	assert_int_equal(amdvi_set_inv_queue(&set, 7, 0, AMDVI_INV_ALL_SIZE), 2);
	assert_int_equal(amdvi_set_inv_queue(&set, 8, 0, PAGE_SIZE), 2);
	assert_int_equal(amdvi_set_sync(&set), 0);
	assert_int_equal(fk[U6002]->ncmds, 1);
	assert_int_equal(fk[U4002]->ncmds, 1);
	assert_int_equal(fk[U2002]->ncmds, 2);
	assert_int_equal(fk[U0002]->ncmds, 0);
	for (unsigned k = 0; k < 4; k++)
		assert_int_equal(fk[k]->nwaits - w[k], k == U0002 ? 0 : 1);
	assert_int_equal(set.rounds, 1);
	assert_int_equal(set.batches, 3);
	/* A sync with nothing queued waits nowhere and is no round. */
	assert_int_equal(amdvi_set_sync(&set), 0);
	assert_int_equal(set.rounds, 1);
	/* A domain with no device anywhere costs nothing. */
	assert_int_equal(amdvi_set_inv_queue(&set, 77, 0, PAGE_SIZE), 0);
}

/* Blocking a device leaves its IOMMU owing the domain an invalidation: the
 * next one still goes there, the one after that no longer. */
static void test_block_owes_invalidation(void **state)
{
	spa_t root;

	(void)state;
	up_zenith();
	root = a_root();
	assert_int_equal(amdvi_set_attach(&set, 0x6100, 0x6100, 7, root, 3), 0);
	assert_int_equal(amdvi_set_attach(&set, 0x2100, 0x2100, 7, root, 3), 0);
	assert_int_equal(amdvi_set_block(&set, 0x2100, 0x2100), 0);
	assert_true(amdvi_set_is_blocked(&set, 0x2100, 0x2100));
	assert_int_equal(amdvi_set_dom_units(&set, 7), (1u << U6002) | (1u << U2002));
	fk[U2002]->ncmds = 0;
	assert_int_equal(amdvi_set_inv_domain(&set, 7, 0, AMDVI_INV_ALL_SIZE), 0);
	assert_int_equal(count_op(U2002, CMD_INV_IOMMU_PAGES), 1);
	assert_int_equal(amdvi_set_dom_units(&set, 7), 1u << U6002);
	/* Moving a device to another domain owes the old one likewise. */
	assert_int_equal(amdvi_set_attach(&set, 0x6100, 0x6100, 8, root, 3), 0);
	assert_int_equal(amdvi_set_dom_units(&set, 7), 1u << U6002);
	assert_int_equal(amdvi_set_dom_units(&set, 8), 1u << U6002);
	assert_int_equal(amdvi_set_inv_domain(&set, 7, 0, AMDVI_INV_ALL_SIZE), 0);
	assert_int_equal(amdvi_set_dom_units(&set, 7), 0);
	/* A failed wait keeps the debt. */
	assert_int_equal(amdvi_set_block(&set, 0x6100, 0x6100), 0);
	fk[U6002]->never_store = true;
	assert_int_equal(amdvi_set_inv_domain(&set, 8, 0, AMDVI_INV_ALL_SIZE), -ETIMEDOUT);
	assert_int_equal(amdvi_set_dom_units(&set, 8), 1u << U6002);
}

/* ---- events, facts, report ------------------------------------------------------- */

struct seen {
	u16 iommu[8], devid[8];
	unsigned n;
};

static void on_event(void *ctx, const struct amdvi_unit *u, const struct amdvi_event *ev)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	s->iommu[s->n] = u->bdf;
	s->devid[s->n++] = ev->devid;
}

static void test_events_from_every_iommu(void **state)
{
	struct seen s = {0};

	(void)state;
	up_zenith();
	assert_true(fake_amdvi_push_event(fk[U4002], EVENT_TYPE_IO_FAULT, 0x4100, 9, 0, 0x1000));
	assert_true(fake_amdvi_push_event(fk[U0002], EVENT_TYPE_IO_FAULT, 0x0100, 3, 0, 0x2000));
	assert_true(fake_amdvi_push_event(fk[U0002], EVENT_TYPE_DEV_TAB_ERR, 0x0108, 0, 0, 0));
	assert_int_equal(amdvi_set_read_events(&set, on_event, &s), 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.iommu[0], 0x4002);
	assert_int_equal(s.devid[0], 0x4100);
	assert_int_equal(s.iommu[1], 0x0002);
	assert_int_equal(s.devid[2], 0x0108);
	/* Drained: nothing the second time, heads advanced on both. */
	assert_int_equal(amdvi_set_read_events(&set, on_event, &s), 0);
	assert_int_equal(*fake_amdvi_reg(fk[U0002], MMIO_EVT_HEAD_OFFSET), 32);
}

static void test_snp_facts(void **state)
{
	struct amdvi_snp_facts f;

	(void)state;
	/* Zenith's real EFR images (Rome-class) have no SNPSup. */
	up_zenith();
	amdvi_set_snp_facts(&set, &f);
	assert_int_equal(f.in_ivrs, 4);
	assert_int_equal(f.driven, 4);
	assert_false(f.all_snp_sup);
	assert_int_equal(f.first_missing, 0);
	assert_int_equal(f.efr_common, 0x058f77ef22294adeULL);
}

static void test_snp_facts_all_snp(void **state)
{
	struct amdvi_snp_facts f;

	(void)state;
	load(ZENITH, FEATURE_SNP);
	assert_int_equal(amdvi_set_init(&set, &env), 0);
	amdvi_set_snp_facts(&set, &f);
	assert_int_equal(f.driven, 4);
	assert_true(f.all_snp_sup);
	assert_int_equal(f.first_missing, -1);
	assert_true(f.efr_common & FEATURE_SNP);
}

static void test_snp_facts_one_without_snp(void **state)
{
	struct amdvi_snp_facts f;

	(void)state;
	load(ZENITH, FEATURE_SNP);
	fake_amdvi_reset(fk[U2002], set.unit[U2002].ivhd->efr); /* no bit 63 */
	assert_int_equal(amdvi_set_init(&set, &env), 0);
	amdvi_set_snp_facts(&set, &f);
	assert_int_equal(f.driven, 4);
	assert_false(f.all_snp_sup);
	assert_int_equal(f.first_missing, U2002);
	assert_false(f.efr_common & FEATURE_SNP);
}

static void test_snp_facts_after_failure(void **state)
{
	struct amdvi_snp_facts f;

	(void)state;
	load(ZENITH, FEATURE_SNP);
	fk[U6002]->never_store = true;
	assert_int_not_equal(amdvi_set_init(&set, &env), 0);
	amdvi_set_snp_facts(&set, &f);
	assert_int_equal(f.in_ivrs, 4);
	assert_int_equal(f.driven, 0);
	assert_false(f.all_snp_sup);
	assert_int_equal(f.efr_common, 0);
}

/* An IOMMU on another PCI segment is counted, not driven, and makes the SNP
 * facts partial. The Zenith table with 20:00.2's two blocks moved to
 * segment 1 (checksum fixed). */
static void test_other_segment_counted_not_driven(void **state)
{
	static u8 buf[65536];
	char path[4200];
	struct amdvi_snp_facts f;
	struct ivrs_error err;
	size_t len;
	FILE *fp;
	u8 sum = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/%s", data_dir(), ZENITH);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_int_equal(ivrs_parse(buf, len, &tbl, &err), 0);
	for (unsigned i = 0; i < tbl.nr_ivhds; i++)
		if (tbl.ivhds[i].devid == 0x2002)
			buf[tbl.ivhds[i].offset + offsetof(struct ivrs_raw_ivhd, pci_seg)] = 1;
	buf[9] = 0;
	for (size_t i = 0; i < len; i++)
		sum = (u8)(sum + buf[i]);
	buf[9] = (u8)-sum;
	assert_int_equal(ivrs_parse(buf, len, &tbl, &err), 0);
	assert_int_equal(amdvi_set_map(&set, &tbl, map), 0);
	assert_int_equal(set.nr_ivrs, 4);
	assert_int_equal(set.n, 3);
	assert_null(amdvi_set_unit_of(&set, 0x2100));
	for (unsigned k = 0; k < set.n; k++) {
		add_iommu_fn(set.unit[k].bdf, 0x40, set.unit[k].ivhd->base);
		fake_amdvi_reset(fk[k], set.unit[k].ivhd->efr | FEATURE_SNP);
	}
	assert_int_equal(amdvi_set_init(&set, &env), 0);
	amdvi_set_snp_facts(&set, &f);
	assert_int_equal(f.in_ivrs, 4);
	assert_int_equal(f.driven, 3);
	assert_false(f.all_snp_sup);
}

static void test_unit_format(void **state)
{
	char line[384];

	(void)state;
	load(ZENITH, FEATURE_SNP);
	assert_int_equal(amdvi_set_init(&set, &env), 0);
	amdvi_set_unit_format(&set, U2002, line, sizeof(line));
	assert_non_null(strstr(line, "20:00.2 base 0xfa600000 EFR 0x858f77ef22294ade SNPSup"));
	assert_non_null(strstr(line, "IVHD 11h: 2 entries, 8184 device IDs"));
	assert_non_null(strstr(line, "enabled"));
}

/* The QEMU 7.2 EFR turns the quirks on for that IOMMU only. */
static void test_qemu72_per_iommu(void **state)
{
	(void)state;
	load(X399, 0);
	fake_amdvi_reset(fk[1], AMDVI_QEMU72_EFR);
	assert_int_equal(amdvi_set_init(&set, &env), 0);
	assert_false(set.unit[0].qemu72);
	assert_true(set.unit[1].qemu72);
	assert_true(set.unit[1].hw.qemu72);
	assert_false(set.unit[0].hw.qemu72);
}

/* ---- gmem feeding one domain seen by two IOMMUs ----------------------------------- */

/* gmem's IOMMU ops over the set, as hv/vm/guest_dev.c plugs them in. */
static int g_inv(void *ctx, u16 id, u64 iova, u64 size)
{
	int ret = amdvi_set_inv_queue(ctx, id, iova, size);

	return ret < 0 ? ret : 0;
}

static int g_sync(void *ctx)
{
	return amdvi_set_sync(ctx);
}

static const struct gmem_iommu_ops g_ops = {g_inv, g_sync};

#define PM_BASE (256ULL << 20)
#define PM_SIZE (64ULL << 20)
static u8 *pm_win;
static u8 pm_owner;

/* As iommu.c does: 2M blocks for device tables, small structures bumped out
 * of a 2M block. */
static spa_t pm_small;
static u64 pm_used;

static int pm_alloc(void *ctx, u64 bytes, u64 align, spa_t *out)
{
	(void)ctx;
	if (bytes >= HUGE_SIZE)
		return pmem_alloc_blocks(ALIGN_UP(bytes, HUGE_SIZE) / HUGE_SIZE, pm_owner, out);
	if (!spa_val(pm_small) || ALIGN_UP(pm_used, align) + bytes > HUGE_SIZE) {
		int ret = pmem_alloc(PMEM_ORDER_2M, pm_owner, &pm_small);

		if (ret)
			return ret;
		pm_used = 0;
	}
	pm_used = ALIGN_UP(pm_used, align);
	*out = spa_add(pm_small, pm_used);
	pm_used += bytes;
	return 0;
}

static int setup_pmem(void **state)
{
	struct pmem_region r = {spa(PM_BASE), PM_SIZE};

	(void)state;
	pm_win = aligned_alloc(HUGE_SIZE, PM_SIZE);
	assert_non_null(pm_win);
	host_phys_window(pm_win, spa(PM_BASE), PM_SIZE);
	assert_int_equal(pmem_init(&r, 1), 0);
	pm_owner = (u8)pmem_owner_register("iommu");
	pm_small = spa(0);
	fakes_new();
	log_level_max = LOG_ERR;
	return 0;
}

static int teardown_pmem(void **state)
{
	(void)state;
	host_phys_window(NULL, spa(0), 0);
	fakes_free();
	free(pm_win);
	return 0;
}

/* One gmem request = one invalidation round = one batch on each IOMMU with a
 * device of the domain (60:00.2 and 20:00.2), none on the others; both DTEs
 * point at the one table gmem feeds. */
static void test_gmem_round_fans_out(void **state)
{
	struct amdvi_set_env penv = env;
	struct gmem_params p = {.name = "f", .asid = 1, .mem_size = MiB(8), .max_page = PAGE_SIZE};
	static struct gmem g;
	struct amdvi_dte d0, d2;
	unsigned w[4], c[4];
	u64 rounds;
	spa_t root;

	(void)state;
	penv.alloc = pm_alloc;
	load(ZENITH, 0);
	assert_int_equal(amdvi_set_init(&set, &penv), 0);
	assert_int_equal(gmem_init(&g, &p), 0);
	assert_int_equal(gmem_attach_domain(&g, 5, 3, false, &g_ops, &set), 0);
	root = gmem_domain_root(&g, &g.dom[0]);
	assert_int_equal(amdvi_set_attach(&set, 0x6100, 0x6100, 5, root, 3), 0);
	assert_int_equal(amdvi_set_attach(&set, 0x2100, 0x2100, 5, root, 3), 0);
	assert_int_equal(amdvi_get_dte(&set.unit[U6002].hw, 0x6100, &d0), 0);
	assert_int_equal(amdvi_get_dte(&set.unit[U2002].hw, 0x2100, &d2), 0);
	assert_int_equal(d0.data[0] & DTE_PT_ROOT_MASK, spa_val(root));
	assert_int_equal(d2.data[0] & DTE_PT_ROOT_MASK, spa_val(root));

	assert_int_equal(gmem_populate(&g, gpa(0), MiB(1), GMEM_SHARED), 0);
	for (unsigned k = 0; k < 4; k++) {
		w[k] = fk[k]->nwaits;
		c[k] = count_op(k, CMD_INV_IOMMU_PAGES);
	}
	rounds = set.rounds;
	/* Releasing mapped pages needs the IOTLB dropped before reuse (I7). */
	assert_int_equal(gmem_release(&g, gpa(PAGE_SIZE), 4 * PAGE_SIZE), 0);
	assert_true(g.st.inv_rounds >= 1);
	assert_int_equal(set.rounds - rounds, 1);
	for (unsigned k = 0; k < 4; k++) {
		bool in = k == U6002 || k == U2002;

		assert_int_equal(fk[k]->nwaits - w[k], in ? 1 : 0);
		assert_int_equal(count_op(k, CMD_INV_IOMMU_PAGES) - c[k], in ? 1 : 0);
	}
	/* A bigger request (2M + 16K across two 2M blocks) is still one round,
	 * one wait per involved IOMMU. */
	{
		assert_int_equal(gmem_populate(&g, gpa(MiB(2)), MiB(4), GMEM_SHARED), 0);
		rounds = set.rounds;
		for (unsigned k = 0; k < 4; k++)
			w[k] = fk[k]->nwaits;
		assert_int_equal(gmem_release(&g, gpa(MiB(2)), MiB(2) + 4 * PAGE_SIZE), 0);
		assert_int_equal(set.rounds - rounds, 1);
		for (unsigned k = 0; k < 4; k++)
			assert_int_equal(fk[k]->nwaits - w[k], (k == U6002 || k == U2002) ? 1 : 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_map_matches_lookup_all_dumps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_zenith, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_zenith_all_enabled_all_blocked, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_init_x399, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_missing_function, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_wrong_capability, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_enable_failure_disables_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_failure_turns_firmware_iommu_off, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_attach_goes_to_the_right_iommu, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_attach_alias_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fanout_two_iommus, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fanout_one_batch_per_iommu, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_block_owes_invalidation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_events_from_every_iommu, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_snp_facts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_snp_facts_all_snp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_snp_facts_one_without_snp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_snp_facts_after_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_segment_counted_not_driven, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unit_format, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_qemu72_per_iommu, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gmem_round_fans_out, setup_pmem, teardown_pmem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
