/* Unit tests of iommu/ivrs.c: every shared real IVRS table parses with the
 * facts its README lists; a synthetic QEMU 7.2 table; malformed tables
 * (every truncation, checksum, lengths, ranges, capacities) are rejected
 * cleanly; ivrsdump output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommu/ivrs.h"
#include "hv/arch/host/host_env.h"

static struct ivrs_table tbl;

/* ---- loading the shared tables ----------------------------------------- */

static const char *data_dir(void)
{
	return host_testdata_dir("ivrs");
}

/* Read a file into an exactly sized heap buffer (ASan sees any over-read). */
static u8 *load(const char *name, size_t *len)
{
	char path[4096];
	u8 tmp[65536];
	FILE *f;
	u8 *buf;

	snprintf(path, sizeof(path), "%s/%s", data_dir(), name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	*len = fread(tmp, 1, sizeof(tmp), f);
	fclose(f);
	buf = malloc(*len);
	assert_non_null(buf);
	memcpy(buf, tmp, *len);
	return buf;
}

static void parse_file(const char *name, struct ivrs_table *t)
{
	struct ivrs_error err;
	size_t len;
	u8 *buf = load(name, &len);
	int ret = ivrs_parse(buf, len, t, &err);

	if (ret)
		fail_msg("%s: %d at %u: %s", name, ret, err.offset, err.msg);
	free(buf);
}

/* ---- README facts --------------------------------------------------------- */

struct expect {
	const char *file;
	const char *oem_id, *oem_table_id;
	u8 rev;
	u32 length;
	u8 blocks[10];
	u64 bases[4];
	u8 types[8];
	const char *hids[3];
};

#define END 0xff /* terminator for blocks[] and types[] (FFh is never used) */

static const struct expect expects[] = {
    {"amd-amdtable-asus-rog-zenith-ii-extreme-alpha-trx40.bin",
     "AMD",
     "AmdTable",
     2,
     496,
     {0x10, 0x11, 0x10, 0x11, 0x10, 0x11, 0x10, 0x11, END},
     {0xB3180000, 0xB2180000, 0xFA600000, 0xE2200000},
     {0x00, 0x03, 0x04, 0x43, 0x48, END},
     {NULL}},
    {"amd-amd-ivrs-asus-prime-x399-a.bin",
     "AMD",
     "AMD IVRS",
     2,
     304,
     {0x10, 0x11, 0x10, 0x11, END},
     {0xEFD00000, 0xB7B00000},
     {0x00, 0x03, 0x04, 0x43, 0x48, END},
     {NULL}},
    {"amd-rd890s-supermicro-h8dgu-opteron-server-rev1.bin",
     "AMD",
     "RD890S",
     1,
     176,
     {0x10, END},
     {0xF6000000},
     {0x00, 0x02, 0x03, 0x04, 0x43, 0x48, END},
     {NULL}},
    {"amd-rd890s-asrock-970m-pro3-desktop-rev1.bin",
     "AMD",
     "RD890S",
     1,
     216,
     {0x10, END},
     {0xFEB20000},
     {0x00, 0x02, 0x03, 0x04, 0x43, 0x48, END},
     {NULL}},
    {"amd-bantry-gigabyte-f2a78m-hd2-desktop.bin",
     "AMD",
     "BANTRY",
     2,
     104,
     {0x10, END},
     {0xFEB80000},
     {0x00, 0x03, 0x04, 0x43, 0x48, END},
     {NULL}},
    {"lenovo-tp-r22-thinkpad-t14s-gen3.bin",
     "LENOVO",
     "TP-R22",
     2,
     484,
     {0x10, 0x11, 0x21, 0x40, 0x51, END},
     {0xFE000000},
     {0x00, 0x03, 0x04, 0x43, 0x48, 0xF0, END},
     {"AMDI0020"}},
    {"amd-amdtable-mechrevo-wujie14xa-laptop.bin",
     "AMD",
     "AmdTable",
     2,
     568,
     {0x10, 0x11, 0x22, 0x22, 0x22, 0x22, 0x22, 0x40, END},
     {0xFD200000},
     {0x03, 0x04, 0x43, 0x48, 0xF0, END},
     {"AMDI0020"}},
    {"amd-amdtable-asus-zenbook-s16-um5606wa.bin",
     "AMD",
     "AmdTable",
     2,
     496,
     {0x10, 0x11, 0x21, 0x21, 0x40, END},
     {0xFD200000},
     {0x03, 0x04, 0x43, 0x48, 0xF0, END},
     {"AMDI0020", "MSFT0201"}},
    {"amd-edk2-valve-jupiter-steamdeck.bin",
     "AMD",
     "EDK2",
     2,
     420,
     {0x10, 0x11, 0x40, END},
     {0xA0200000},
     {0x00, 0x03, 0x04, 0x43, 0x48, 0xF0, END},
     {"AMDI0020"}},
    {"lenovo-tp-r11-thinkpad-e495.bin",
     "LENOVO",
     "TP-R11",
     2,
     318,
     {0x10, 0x11, 0x40, END},
     {0xFD100000},
     {0x00, 0x03, 0x04, 0x43, 0x48, 0xF0, END},
     {"PNPD0040"}},
    {"hpqoem-87b7-hp-laptop-14-fq0xxx.bin",
     "HPQOEM",
     "87B7",
     2,
     318,
     {0x10, 0x11, 0x40, END},
     {0xFEB80000},
     {0x00, 0x03, 0x04, 0x43, 0x48, 0xF0, END},
     {"PNP0D40"}},
    {"corev4-coreboot-asrock-x370-killer-sli.bin",
     "COREv4",
     "COREBOOT",
     2,
     390,
     {0x10, 0x11, 0x40, END},
     {0xFD200000},
     {0x02, 0x03, 0x04, 0x48, 0xF0, END},
     {"AMDI0040"}},
    {"amd-amdtable-327b-odd-length.bin",
     "AMD",
     "AmdTable",
     2,
     327,
     {0x10, 0x11, 0x40, END},
     {0xFDF00000},
     {0x00, 0x03, 0x04, 0x43, 0x48, 0xF0, END},
     {"AMDI0022"}},
};

static bool hid_listed(const struct expect *e, const char *hid)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(e->hids) && e->hids[i]; i++)
		if (!strcmp(e->hids[i], hid))
			return true;
	return false;
}

static void check_expect(const struct expect *e)
{
	const struct ivrs_table *t = &tbl;
	u64 seen[4] = {0};
	unsigned i, n;

	parse_file(e->file, &tbl);
	assert_string_equal(t->oem_id, e->oem_id);
	assert_string_equal(t->oem_table_id, e->oem_table_id);
	assert_int_equal(t->revision, e->rev);
	assert_int_equal(t->length, e->length);

	for (n = 0; e->blocks[n] != END; n++)
		assert_int_equal(t->blocks[n].type, e->blocks[n]);
	assert_int_equal(t->nr_blocks, n);

	for (n = 0; n < ARRAY_SIZE(e->bases) && e->bases[n]; n++) {
		const struct ivrs_ivhd *h = ivrs_iommu(t, n);

		assert_non_null(h);
		assert_int_equal(h->base, e->bases[n]);
		assert_int_equal(h->pci_seg, 0);
		assert_true(h->active);
	}
	assert_int_equal(t->nr_iommus, n);

	/* Union of entry types over all IVHD blocks, exactly. */
	for (i = 0; i < t->nr_ivhds; i++) {
		for (n = 0; n < 4; n++)
			seen[n] |= t->ivhds[i].types_seen[n];
		/* Every block of an IOMMU has the same base as the active one. */
		assert_int_equal(t->ivhds[i].base, ivrs_iommu(t, t->ivhds[i].iommu)->base);
	}
	for (n = 0; e->types[n] != END; n++) {
		u8 ty = e->types[n];

		assert_true((seen[ty >> 6] >> (ty & 63)) & 1);
		seen[ty >> 6] &= ~BIT(ty & 63);
	}
	for (n = 0; n < 4; n++)
		assert_int_equal(seen[n], 0);

	/* HIDs: every one listed, every listed one present. */
	for (i = 0; i < t->nr_hids; i++)
		if (!hid_listed(e, t->hids[i].hid))
			fail_msg("%s: unexpected HID \"%s\"", e->file, t->hids[i].hid);
	for (n = 0; n < ARRAY_SIZE(e->hids) && e->hids[n]; n++) {
		bool found = false;

		for (i = 0; i < t->nr_hids; i++)
			found |= !strcmp(t->hids[i].hid, e->hids[n]);
		if (!found)
			fail_msg("%s: HID %s missing", e->file, e->hids[n]);
	}
}

static void test_readme_facts(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(expects); i++)
		check_expect(&expects[i]);
}

/* Every .bin in the shared folder parses (also any added later). */
static void test_all_tables_parse(void **state)
{
	DIR *d = opendir(data_dir());
	struct dirent *de;
	unsigned n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 4 || strcmp(de->d_name + l - 4, ".bin"))
			continue;
		parse_file(de->d_name, &tbl);
		assert_true(tbl.nr_iommus >= 1);
		n++;
	}
	closedir(d);
	assert_true(n >= ARRAY_SIZE(expects));
}

/* ---- per-table details ---------------------------------------------------- */

static void test_zenith(void **state)
{
	static const u16 devids[] = {0x6002, 0x4002, 0x2002, 0x0002};
	static const u8 ioapic[] = {0x81, 0x82, 0x83, 0x80};
	const struct ivrs_table *t = &tbl;
	struct ivrs_dev_info info;
	unsigned i, j;

	(void)state;
	parse_file("amd-amdtable-asus-rog-zenith-ii-extreme-alpha-trx40.bin", &tbl);
	assert_int_equal(t->nr_iommus, 4);
	assert_int_equal(t->nr_ivhds, 8);
	for (i = 0; i < 4; i++) {
		const struct ivrs_ivhd *h10 = &t->ivhds[2 * i], *h11 = &t->ivhds[2 * i + 1];
		const struct ivrs_ivhd *a = ivrs_iommu(t, i);
		unsigned ranges = 0, apics = 0;

		assert_int_equal(h10->type, 0x10);
		assert_int_equal(h11->type, 0x11);
		assert_ptr_equal(a, h11); /* the highest type wins */
		assert_false(h10->active);
		assert_int_equal(h10->devid, devids[i]);
		assert_int_equal(h11->devid, devids[i]);
		assert_int_equal(h10->iommu, i);
		/* The 10h and 11h blocks describe the same devices. */
		assert_int_equal(h10->dev_count, h11->dev_count);
		for (j = 0; j < h10->dev_count; j++) {
			const struct ivrs_dev *x = &t->devs[h10->dev_first + j];
			const struct ivrs_dev *y = &t->devs[h11->dev_first + j];

			assert_int_equal(x->type, y->type);
			assert_int_equal(x->first, y->first);
			assert_int_equal(x->last, y->last);
			assert_int_equal(x->dte, y->dte);
		}
		for (j = 0; j < a->dev_count; j++) {
			const struct ivrs_dev *d = &t->devs[a->dev_first + j];

			if (d->type == IVHD_DEV_RANGE_START)
				ranges++;
			if (d->type == IVHD_DEV_SPECIAL &&
			    t->specials[d->aux].variety == IVHD_SPECIAL_IOAPIC) {
				if (!apics)
					assert_int_equal(t->specials[d->aux].handle, ioapic[i]);
				else
					assert_int_equal(t->specials[d->aux].handle, 0x84);
				apics++;
			}
		}
		assert_int_equal(ranges, 1);
		assert_int_equal(apics, i == 3 ? 2 : 1);
	}
	/* IOMMU 6002h's range 6008h-FFFEh overlaps the FF00h-FFFFh alias range
	 * of IOMMU 0002h; 0002h comes later in the table and wins (Linux). */
	assert_int_equal(t->devs[t->ivhds[1].dev_first].first, 0x6008);
	assert_int_equal(t->devs[t->ivhds[1].dev_first].last, 0xFFFE);
	assert_int_equal(ivrs_lookup(t, 0x6008, &info), 0);
	assert_int_equal(info.iommu, 0);
	assert_int_equal(info.alias, 0x6008);
	assert_int_equal(ivrs_lookup(t, 0xFEFF, &info), 0);
	assert_int_equal(info.iommu, 0);
	assert_int_equal(ivrs_lookup(t, 0xFF10, &info), 0);
	assert_int_equal(info.iommu, 3);
	assert_int_equal(info.alias, 0x00A4);
	assert_int_equal(info.dev->type, IVHD_DEV_ALIAS_RANGE);
	assert_int_equal(ivrs_lookup(t, 0xFFFF, &info), 0);
	assert_int_equal(info.iommu, 3);
	assert_int_equal(ivrs_lookup(t, 0x4100, &info), 0);
	assert_int_equal(info.iommu, 1);
	assert_int_equal(ivrs_lookup(t, 0x2100, &info), 0);
	assert_int_equal(info.iommu, 2);
	/* The IOAPIC 00:14.0 special entry carries DTE D7h. */
	assert_int_equal(ivrs_lookup(t, 0x00A0, &info), 0);
	assert_int_equal(info.iommu, 3);
	assert_int_equal(info.dte, 0xD7);
	/* 00:00.0 through 00:00.7 minus the special 00:00.1: not covered
	 * (the range starts at 00:01.0). */
	assert_int_equal(ivrs_lookup(t, 0x0000, &info), -ENOENT);
	assert_int_equal(ivrs_lookup(t, 0x0001, &info), 0);
}

static void test_mechrevo_ivmds(void **state)
{
	const struct ivrs_table *t = &tbl;
	const struct ivrs_ivmd *m;
	unsigned i, pos, n;

	(void)state;
	parse_file("amd-amdtable-mechrevo-wujie14xa-laptop.bin", &tbl);
	assert_int_equal(t->nr_ivmds, 5);
	for (i = 0; i < 5; i++) {
		m = &t->ivmds[i];
		assert_int_equal(m->type, IVRS_TYPE_IVMD_RANGE);
		assert_true(m->flags & IVMD_FLAG_EXCL_RANGE);
		assert_int_equal(m->first, 0x0000);
		assert_int_equal(m->last, 0x0FFF);
		assert_int_equal(m->size, 1);
		assert_true(IS_ALIGNED(m->start, PAGE_SIZE));
	}
	for (n = 0, pos = 0; (m = ivrs_next_ivmd(t, 0x0FFF, &pos)); n++)
		;
	assert_int_equal(n, 5);
	pos = 0;
	assert_null(ivrs_next_ivmd(t, 0x1000, &pos));
}

static void test_zenbook(void **state)
{
	const struct ivrs_table *t = &tbl;
	const struct ivrs_ivmd *m;
	unsigned i, pos = 0, amdi = 0;
	bool msft = false;

	(void)state;
	parse_file("amd-amdtable-asus-zenbook-s16-um5606wa.bin", &tbl);
	assert_int_equal(t->nr_ivmds, 2);
	/* one unity r/w, one exclusion */
	assert_int_equal(t->ivmds[0].type, IVRS_TYPE_IVMD_SEL);
	assert_int_equal(t->ivmds[0].flags & 0xf, IVMD_FLAG_UNITY | IVMD_FLAG_IR | IVMD_FLAG_IW);
	assert_int_equal(t->ivmds[1].type, IVRS_TYPE_IVMD_SEL);
	assert_int_equal(t->ivmds[1].flags & 0xf, IVMD_FLAG_EXCL_RANGE);
	m = ivrs_next_ivmd(t, t->ivmds[0].first, &pos);
	assert_ptr_equal(m, &t->ivmds[0]);
	for (i = 0; i < t->nr_hids; i++) {
		const struct ivrs_hid *h = &t->hids[i];

		if (!strcmp(h->hid, "MSFT0201")) {
			msft = true;
			assert_int_equal(h->uid_format, IVHD_UID_INT);
			assert_int_equal(h->uid_len, 2);
		} else {
			assert_string_equal(h->hid, "AMDI0020");
			assert_int_equal(h->uid_format, IVHD_UID_STRING);
			amdi++;
		}
	}
	assert_true(msft);
	assert_int_equal(amdi, 4);
	/* Only the 40h block is active; F0h entries live only there. */
	assert_int_equal(t->nr_iommus, 1);
	assert_int_equal(ivrs_iommu(t, 0)->type, IVRS_TYPE_IVHD_40);
	assert_int_equal(ivrs_iommu(t, 0)->efr, 0x246577efa2254afaULL);
}

static void test_t14s_unknown_block(void **state)
{
	const struct ivrs_table *t = &tbl;

	(void)state;
	parse_file("lenovo-tp-r22-thinkpad-t14s-gen3.bin", &tbl);
	assert_int_equal(t->blocks[4].type, 0x51);
	assert_int_equal(t->blocks[4].length, 32);
	assert_int_equal(t->blocks[4].index, 0xffff);
	assert_int_equal(t->blocks[4].offset + t->blocks[4].length, t->length);
	assert_int_equal(t->nr_ivmds, 1);
	assert_int_equal(t->ivmds[0].start, 0x7132C000);
	assert_int_equal(t->ivmds[0].size, 0x26000);
}

static void test_odd_length(void **state)
{
	const struct ivrs_table *t = &tbl;
	const struct ivrs_ivhd *h;

	(void)state;
	parse_file("amd-amdtable-327b-odd-length.bin", &tbl);
	assert_int_equal(t->length, 327);
	h = ivrs_iommu(t, 0);
	assert_int_equal(h->type, 0x40);
	assert_int_equal(h->length, 0x77);
	assert_int_equal(h->offset + h->length, 327);
	assert_int_equal(t->nr_hids, 1);
	assert_string_equal(t->hids[0].hid, "AMDI0022");
	assert_int_equal(t->hids[0].uid_format, IVHD_UID_STRING);
	assert_int_equal(t->hids[0].uid_len, 9);
	assert_string_equal((const char *)t->hids[0].uid, "\\_SB.FUR0");
}

static void test_rev1_and_coreboot(void **state)
{
	const struct ivrs_table *t = &tbl;
	unsigned i, selects = 0;

	(void)state;
	parse_file("amd-rd890s-asrock-970m-pro3-desktop-rev1.bin", &tbl);
	assert_int_equal(t->nr_ivhds, 1);
	for (i = 0; i < t->nr_devs; i++)
		selects += t->devs[i].type == IVHD_DEV_SELECT;
	assert_true(selects >= 5);

	parse_file("corev4-coreboot-asrock-x370-killer-sli.bin", &tbl);
	for (i = 0; i < t->nr_ivhds; i++) {
		assert_true(ivrs_ivhd_saw(&t->ivhds[i], IVHD_DEV_SELECT));
		assert_false(ivrs_ivhd_saw(&t->ivhds[i], IVHD_DEV_ALIAS_RANGE));
	}
}

/* ---- synthetic tables --------------------------------------------------- */

struct tb {
	u8 b[16384];
	u32 len;
};

static void put(struct tb *tb, const void *p, u32 n)
{
	assert_true(tb->len + n <= sizeof(tb->b));
	memcpy(tb->b + tb->len, p, n);
	tb->len += n;
}

static void put8(struct tb *tb, u8 v)
{
	put(tb, &v, 1);
}
static void put16(struct tb *tb, u16 v)
{
	put(tb, &v, 2);
}
static void put32(struct tb *tb, u32 v)
{
	put(tb, &v, 4);
}
static void put64(struct tb *tb, u64 v)
{
	put(tb, &v, 8);
}

static void tb_header(struct tb *tb, u8 rev, u32 ivinfo)
{
	tb->len = 0;
	put(tb, "IVRS", 4);
	put32(tb, 0); /* length, set by tb_finish */
	put8(tb, rev);
	put8(tb, 0); /* checksum */
	put(tb, "BOCHS ", 6);
	put(tb, "BXPC    ", 8);
	put32(tb, 1);
	put(tb, "BXPC", 4);
	put32(tb, 1);
	put32(tb, ivinfo);
	put64(tb, 0);
}

/* Start an IVHD block; returns its offset for tb_end_block. */
static u32 tb_ivhd(struct tb *tb, u8 type, u8 flags, u16 devid, u64 base)
{
	u32 off = tb->len;

	put8(tb, type);
	put8(tb, flags);
	put16(tb, 0); /* length */
	put16(tb, devid);
	put16(tb, 0x40);
	put64(tb, base);
	put16(tb, 0);
	put16(tb, 0);
	put32(tb, 0);
	if (type != 0x10) {
		put64(tb, 0x29D3);
		put64(tb, 0);
	}
	return off;
}

static void tb_end_block(struct tb *tb, u32 off)
{
	u16 l = (u16)(tb->len - off);

	memcpy(tb->b + off + 2, &l, 2);
}

static void tb_e4(struct tb *tb, u8 type, u16 devid, u8 dte)
{
	put8(tb, type);
	put16(tb, devid);
	put8(tb, dte);
}

static void tb_e8(struct tb *tb, u8 type, u16 devid, u8 dte, u8 b4, u16 w5, u8 b7)
{
	tb_e4(tb, type, devid, dte);
	put8(tb, b4);
	put16(tb, w5);
	put8(tb, b7);
}

static void tb_ivmd(struct tb *tb, u8 type, u8 flags, u16 devid, u16 aux, u64 start, u64 size)
{
	put8(tb, type);
	put8(tb, flags);
	put16(tb, 32);
	put16(tb, devid);
	put16(tb, aux);
	put64(tb, 0);
	put64(tb, start);
	put64(tb, size);
}

static void fix_checksum(u8 *b, u32 len)
{
	u8 sum = 0;
	u32 i;

	b[9] = 0;
	for (i = 0; i < len; i++)
		sum += b[i];
	b[9] = (u8)-sum;
}

static void tb_finish(struct tb *tb)
{
	memcpy(tb->b + 4, &tb->len, 4);
	fix_checksum(tb->b, tb->len);
}

/* Parse tb from an exactly sized heap copy. */
static int tb_parse(struct tb *tb, struct ivrs_error *err)
{
	u8 *copy = malloc(tb->len);
	int ret;

	assert_non_null(copy);
	memcpy(copy, tb->b, tb->len);
	ret = ivrs_parse(copy, tb->len, &tbl, err);
	free(copy);
	return ret;
}

static void expect_error(struct tb *tb, int e, u32 offset, const char *what)
{
	struct ivrs_error err;
	int ret = tb_parse(tb, &err);

	if (ret != e || err.offset != offset || !strstr(err.msg, what))
		fail_msg("expected %d at %u with \"%s\"; got %d at %u: %s", e, offset, what, ret,
			 err.offset, err.msg);
	assert_int_equal(err.err, e);
}

/* QEMU 7.2's table (qemu-facts.md): revision 1, one IVHD 10h at 0xFED80000
 * with entries 02h/03h/04h/43h/01h/48h. */
static void build_qemu72(struct tb *tb)
{
	u32 h;

	tb_header(tb, 1, 0x00203040); /* VA 64, PA 48, GVA 48 */
	h = tb_ivhd(tb, 0x10, 0xD1, 0x0018, 0xFED80000);
	tb_e4(tb, IVHD_DEV_SELECT, 0x0000, 0);
	tb_e4(tb, IVHD_DEV_SELECT, 0x0008, 0);
	tb_e4(tb, IVHD_DEV_RANGE_START, 0x0010, 0);
	tb_e4(tb, IVHD_DEV_RANGE_END, 0x0017, 0);
	tb_e8(tb, IVHD_DEV_ALIAS_RANGE, 0x0100, 0, 0, 0x00F0, 0);
	tb_e4(tb, IVHD_DEV_RANGE_END, 0x01FF, 0);
	tb_e4(tb, IVHD_DEV_ALL, 0, 0);
	tb_e8(tb, IVHD_DEV_SPECIAL, 0, 0xD7, 0 /* IOAPIC id */, 0x00A0, IVHD_SPECIAL_IOAPIC);
	tb_end_block(tb, h);
	tb_finish(tb);
}

static void test_qemu72(void **state)
{
	static const u8 types[] = {0x01, 0x02, 0x03, 0x04, 0x43, 0x48};
	struct tb tb;
	struct ivrs_dev_info info;
	const struct ivrs_ivhd *h;
	unsigned i, n = 0;

	(void)state;
	build_qemu72(&tb);
	assert_int_equal(tb_parse(&tb, NULL), 0);
	assert_int_equal(tbl.revision, 1);
	assert_string_equal(tbl.oem_id, "BOCHS");
	assert_int_equal(FIELD_GET(IVINFO_VA_SIZE, tbl.ivinfo), 64);
	assert_int_equal(FIELD_GET(IVINFO_PA_SIZE, tbl.ivinfo), 48);
	assert_int_equal(tbl.nr_iommus, 1);
	h = ivrs_iommu(&tbl, 0);
	assert_int_equal(h->base, 0xFED80000);
	assert_int_equal(h->devid, 0x0018);
	for (i = 0; i < 256; i++)
		n += ivrs_ivhd_saw(h, (u8)i);
	assert_int_equal(n, ARRAY_SIZE(types));
	for (i = 0; i < ARRAY_SIZE(types); i++)
		assert_true(ivrs_ivhd_saw(h, types[i]));
	assert_int_equal(tbl.nr_devs, 6); /* 2 selects, 2 ranges, all, special */
	assert_int_equal(tbl.devs[3].first, 0x0100);
	assert_int_equal(tbl.devs[3].last, 0x01FF);
	assert_int_equal(tbl.devs[3].alias, 0x00F0);
	assert_int_equal(tbl.nr_specials, 1);
	assert_int_equal(tbl.specials[0].devid, 0x00A0);
	assert_int_equal(tbl.specials[0].variety, IVHD_SPECIAL_IOAPIC);
	/* 01h comes after the ranges, so it decides for them (last wins)... */
	assert_int_equal(ivrs_lookup(&tbl, 0x0150, &info), 0);
	assert_int_equal(info.dev->type, IVHD_DEV_ALL);
	assert_int_equal(info.alias, 0x0150);
	/* ...and the IOAPIC's special entry decides for 00:14.0. */
	assert_int_equal(ivrs_lookup(&tbl, 0x00A0, &info), 0);
	assert_int_equal(info.dte, 0xD7);
}

static void test_lookup_ext_and_alias(void **state)
{
	struct tb tb;
	struct ivrs_dev_info info;
	u32 h;

	(void)state;
	tb_header(&tb, 2, 0);
	h = tb_ivhd(&tb, 0x11, 0, 0x0002, 0xF0000000);
	tb_e8(&tb, IVHD_DEV_EXT_SELECT, 0x0010, 0x01, 0, 0, 0x80); /* ext = 80000000h */
	tb_e8(&tb, IVHD_DEV_EXT_RANGE, 0x0100, 0x02, 0x34, 0x0012, 0x00);
	tb_e4(&tb, IVHD_DEV_RANGE_END, 0x0107, 0);
	tb_e8(&tb, IVHD_DEV_ALIAS, 0x0200, 0x04, 0, 0x0300, 0);
	tb_e8(&tb, IVHD_DEV_PAD8, 0, 0, 0, 0, 0);
	tb_e4(&tb, 0x05, 0x0400, 0); /* reserved 4-byte type: skipped */
	tb_end_block(&tb, h);
	tb_ivmd(&tb, IVRS_TYPE_IVMD_ALL, IVMD_FLAG_UNITY, 0, 0, 0x1000, 0x1000);
	tb_finish(&tb);
	assert_int_equal(tb_parse(&tb, NULL), 0);
	assert_int_equal(ivrs_lookup(&tbl, 0x0010, &info), 0);
	assert_int_equal(info.ext, 0x80000000);
	assert_true(info.ext & IVHD_EXT_ATS_DISABLED);
	assert_int_equal(info.dte, 0x01);
	assert_int_equal(ivrs_lookup(&tbl, 0x0107, &info), 0);
	assert_int_equal(info.ext, 0x00001234);
	assert_int_equal(ivrs_lookup(&tbl, 0x0108, &info), -ENOENT);
	assert_int_equal(ivrs_lookup(&tbl, 0x0200, &info), 0);
	assert_int_equal(info.alias, 0x0300);
	assert_int_equal(ivrs_lookup(&tbl, 0x0400, &info), -ENOENT);
	assert_true(ivrs_ivhd_saw(ivrs_iommu(&tbl, 0), 0x05));
	assert_int_equal(tbl.nr_ivmds, 1);
	assert_int_equal(tbl.ivmds[0].last, 0xFFFF);
}

/* ---- malformed tables ----------------------------------------------------- */

/* After a successful parse, everything decoded lies inside [0, len). */
static void check_consistent(const struct ivrs_table *t, u32 len)
{
	unsigned i;

	assert_int_equal(t->length, len);
	for (i = 0; i < t->nr_blocks; i++)
		assert_true(t->blocks[i].offset + t->blocks[i].length <= len);
	for (i = 0; i < t->nr_ivhds; i++) {
		const struct ivrs_ivhd *h = &t->ivhds[i];

		assert_true(h->offset + h->length <= len);
		assert_true(h->dev_first + h->dev_count <= t->nr_devs);
		assert_true(h->iommu < t->nr_iommus);
	}
	for (i = 0; i < t->nr_devs; i++) {
		assert_true(t->devs[i].ivhd < t->nr_ivhds);
		assert_true(t->devs[i].first <= t->devs[i].last);
		assert_true(t->devs[i].offset < len);
	}
}

static void truncate_file(const char *name, unsigned *rejected, unsigned *parsed)
{
	struct ivrs_error err;
	size_t len;
	u8 *full = load(name, &len);
	u32 l;

	for (l = 0; l < len; l++) {
		u8 *p = malloc(l ? l : 1);
		u32 l32 = l;
		int ret;

		assert_non_null(p);
		memcpy(p, full, l);
		/* 1: prefix as is, the header still claims the full length. */
		ret = ivrs_parse(p, l, &tbl, &err);
		assert_true(ret < 0);
		assert_int_equal(err.err, ret);
		assert_true(err.msg[0]);
		(*rejected)++;
		if (l >= 10) {
			/* 2: header length patched, checksum now wrong. */
			if (l >= 8)
				memcpy(p + 4, &l32, 4);
			ret = ivrs_parse(p, l, &tbl, &err);
			if (ret) {
				assert_true(err.msg[0]);
				assert_true(err.offset <= l);
				(*rejected)++;
			} else {
				check_consistent(&tbl, l); /* sum happened to be 0 */
				(*parsed)++;
			}
			/* 3: header length patched and checksum fixed. */
			fix_checksum(p, l);
			ret = ivrs_parse(p, l, &tbl, &err);
			if (ret) {
				assert_int_not_equal(ret, -EBADMSG);
				assert_true(err.msg[0]);
				assert_true(err.offset <= l);
				(*rejected)++;
			} else {
				check_consistent(&tbl, l);
				(*parsed)++;
			}
		}
		free(p);
	}
	free(full);
}

static void test_truncations(void **state)
{
	unsigned i, rejected = 0, parsed = 0;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(expects); i++)
		truncate_file(expects[i].file, &rejected, &parsed);
	print_message("truncations: %u rejected, %u parsed consistently\n", rejected, parsed);
	assert_true(rejected > 4000);
	/* Cuts at a block boundary parse: each table has at least one. */
	assert_true(parsed >= ARRAY_SIZE(expects));
}

static void test_bad_checksum(void **state)
{
	struct tb tb;

	(void)state;
	build_qemu72(&tb);
	tb.b[60] ^= 0x10;
	expect_error(&tb, -EBADMSG, 9, "checksum");
}

static void test_bad_header(void **state)
{
	struct tb tb;
	struct ivrs_error err;
	u32 l;

	(void)state;
	assert_int_equal(ivrs_parse(NULL, 0, &tbl, &err), -EINVAL);
	build_qemu72(&tb);
	memcpy(tb.b, "IVRT", 4);
	expect_error(&tb, -EINVAL, 0, "signature");
	build_qemu72(&tb);
	tb.b[8] = 3;
	fix_checksum(tb.b, tb.len);
	expect_error(&tb, -EOPNOTSUPP, 8, "revision 3");
	build_qemu72(&tb);
	l = 40;
	memcpy(tb.b + 4, &l, 4);
	fix_checksum(tb.b, tb.len);
	expect_error(&tb, -EINVAL, 4, "below the 48-byte");
	build_qemu72(&tb);
	l = tb.len + 1;
	memcpy(tb.b + 4, &l, 4);
	expect_error(&tb, -EINVAL, 4, "exceeds");
	/* A buffer longer than the table: only the header's length counts. */
	build_qemu72(&tb);
	memset(tb.b + tb.len, 0xAA, 16);
	tb.len += 16;
	assert_int_equal(tb_parse(&tb, NULL), 0);
	assert_int_equal(tbl.length, tb.len - 16);
}

static void test_block_lengths(void **state)
{
	struct tb tb;
	u16 l;

	(void)state;
	/* block length beyond the table end */
	build_qemu72(&tb);
	l = (u16)(tb.len - 48 + 4);
	memcpy(tb.b + 50, &l, 2);
	fix_checksum(tb.b, tb.len);
	expect_error(&tb, -EINVAL, 48, "crosses the table end");
	/* zero block length must not loop */
	build_qemu72(&tb);
	l = 0;
	memcpy(tb.b + 50, &l, 2);
	fix_checksum(tb.b, tb.len);
	expect_error(&tb, -EINVAL, 48, "length 0");
	/* unknown block type with zero length too */
	build_qemu72(&tb);
	tb.b[48] = 0x51;
	memcpy(tb.b + 50, &l, 2);
	fix_checksum(tb.b, tb.len);
	expect_error(&tb, -EINVAL, 48, "length 0");
	/* IVHD shorter than its header */
	build_qemu72(&tb);
	tb.b[48] = 0x11; /* 40-byte header, block is 24 + 36 = 60: fine... */
	l = 30;
	memcpy(tb.b + 50, &l, 2);
	fix_checksum(tb.b, tb.len);
	expect_error(&tb, -EINVAL, 48, "below its 40-byte header");
	/* trailing bytes too short for a block header */
	build_qemu72(&tb);
	put8(&tb, 0);
	put8(&tb, 0);
	tb_finish(&tb);
	expect_error(&tb, -EINVAL, tb.len - 2, "trailing");
	/* IVMD shorter than 32 */
	tb_header(&tb, 2, 0);
	tb_ivmd(&tb, IVRS_TYPE_IVMD_SEL, 0, 0, 0, 0, 0);
	tb.len -= 8;
	l = 24;
	memcpy(tb.b + 50, &l, 2);
	tb_finish(&tb);
	expect_error(&tb, -EINVAL, 48, "below 32");
}

static void test_entry_errors(void **state)
{
	struct tb tb;
	u32 h;

	(void)state;
	/* 8-byte entry crossing the block end (block cut 4 bytes into it) */
	tb_header(&tb, 2, 0);
	h = tb_ivhd(&tb, 0x10, 0, 2, 0x1000);
	tb_e4(&tb, IVHD_DEV_SELECT, 1, 0);
	tb_e4(&tb, IVHD_DEV_ALIAS, 2, 0); /* first half of an 8-byte entry */
	tb_end_block(&tb, h);
	tb_e4(&tb, 0, 0, 0); /* rest of the table: a few bytes */
	tb_finish(&tb);
	expect_error(&tb, -EINVAL, 48 + 24 + 4, "crosses the IVHD block end");

	/* unterminated range at the block end */
	tb_header(&tb, 2, 0);
	h = tb_ivhd(&tb, 0x10, 0, 2, 0x1000);
	tb_e4(&tb, IVHD_DEV_RANGE_START, 0x10, 0);
	tb_end_block(&tb, h);
	tb_finish(&tb);
	expect_error(&tb, -EINVAL, 48 + 24, "not ended before the IVHD block end");

	/* range start followed by something else */
	tb_header(&tb, 2, 0);
	h = tb_ivhd(&tb, 0x10, 0, 2, 0x1000);
	tb_e8(&tb, IVHD_DEV_ALIAS_RANGE, 0x10, 0, 0, 0x20, 0);
	tb_e4(&tb, IVHD_DEV_SELECT, 0x30, 0);
	tb_end_block(&tb, h);
	tb_finish(&tb);
	expect_error(&tb, -EINVAL, 48 + 24 + 8, "not ended by 04h");

	/* stray end of range */
	tb_header(&tb, 2, 0);
	h = tb_ivhd(&tb, 0x10, 0, 2, 0x1000);
	tb_e4(&tb, IVHD_DEV_SELECT, 0x30, 0);
	tb_e4(&tb, IVHD_DEV_RANGE_END, 0x40, 0);
	tb_end_block(&tb, h);
	tb_finish(&tb);
	expect_error(&tb, -EINVAL, 48 + 24 + 4, "without a start");

	/* range ending before it starts */
	tb_header(&tb, 2, 0);
	h = tb_ivhd(&tb, 0x10, 0, 2, 0x1000);
	tb_e4(&tb, IVHD_DEV_RANGE_START, 0x40, 0);
	tb_e4(&tb, IVHD_DEV_RANGE_END, 0x3F, 0);
	tb_end_block(&tb, h);
	tb_finish(&tb);
	expect_error(&tb, -EINVAL, 48 + 24 + 4, "before its start");

	/* 80h+ type other than F0h */
	tb_header(&tb, 2, 0);
	h = tb_ivhd(&tb, 0x40, 0, 2, 0x1000);
	tb_e8(&tb, 0x80, 0, 0, 0, 0, 0);
	tb_e8(&tb, 0, 0, 0, 0, 0, 0);
	tb_end_block(&tb, h);
	tb_finish(&tb);
	expect_error(&tb, -EOPNOTSUPP, 48 + 40, "80h+");

	/* F0h whose fixed part crosses the block end */
	tb_header(&tb, 2, 0);
	h = tb_ivhd(&tb, 0x40, 0, 2, 0x1000);
	tb_e8(&tb, IVHD_DEV_ACPI_HID, 0xA0, 0, 'A', 0, 0);
	tb_e8(&tb, 0, 0, 0, 0, 0, 0);
	tb_end_block(&tb, h);
	tb_finish(&tb);
	expect_error(&tb, -EINVAL, 48 + 40, "22 fixed bytes");

	/* F0h whose UID crosses the block end */
	tb_header(&tb, 2, 0);
	h = tb_ivhd(&tb, 0x40, 0, 2, 0x1000);
	tb_e4(&tb, IVHD_DEV_ACPI_HID, 0xA0, 0);
	put(&tb, "AMDI0020", 8);
	put64(&tb, 0);
	put8(&tb, IVHD_UID_STRING);
	put8(&tb, 9);
	put(&tb, "\\_SB.FUR", 8); /* one byte short */
	tb_end_block(&tb, h);
	tb_finish(&tb);
	expect_error(&tb, -EINVAL, 48 + 40, "crosses the IVHD block end");
	/* ...and with the missing byte it parses */
	tb.b[tb.len++] = '0';
	tb_end_block(&tb, 48);
	tb_finish(&tb);
	assert_int_equal(tb_parse(&tb, NULL), 0);
	assert_string_equal((const char *)tbl.hids[0].uid, "\\_SB.FUR0");

	/* IVMD 22h device range reversed, memory range wrapping */
	tb_header(&tb, 2, 0);
	tb_ivmd(&tb, IVRS_TYPE_IVMD_RANGE, 0, 0x20, 0x10, 0, 0x1000);
	tb_finish(&tb);
	expect_error(&tb, -EINVAL, 48, "ends before it starts");
	tb_header(&tb, 2, 0);
	tb_ivmd(&tb, IVRS_TYPE_IVMD_SEL, 0, 0x20, 0, ~0ULL - 0xfff, 0x2000);
	tb_finish(&tb);
	expect_error(&tb, -EINVAL, 48, "wraps");

	/* the same IOMMU twice with the same type */
	tb_header(&tb, 2, 0);
	h = tb_ivhd(&tb, 0x11, 0, 2, 0x1000);
	tb_end_block(&tb, h);
	h = tb_ivhd(&tb, 0x11, 0, 2, 0x1000);
	tb_end_block(&tb, h);
	tb_finish(&tb);
	expect_error(&tb, -EINVAL, 48 + 40, "described twice");
}

static void test_capacity(void **state)
{
	struct tb tb;
	unsigned i;
	u32 h;

	(void)state;
	/* device entries */
	tb_header(&tb, 2, 0);
	h = tb_ivhd(&tb, 0x10, 0, 2, 0x1000);
	for (i = 0; i <= IVRS_MAX_DEVS; i++)
		tb_e4(&tb, IVHD_DEV_SELECT, (u16)i, 0);
	tb_end_block(&tb, h);
	tb_finish(&tb);
	expect_error(&tb, -ENOSPC, 48 + 24 + 4 * IVRS_MAX_DEVS, "device entries");
	/* exactly at capacity is fine */
	tb_header(&tb, 2, 0);
	h = tb_ivhd(&tb, 0x10, 0, 2, 0x1000);
	for (i = 0; i < IVRS_MAX_DEVS; i++)
		tb_e4(&tb, IVHD_DEV_SELECT, (u16)i, 0);
	tb_end_block(&tb, h);
	tb_finish(&tb);
	assert_int_equal(tb_parse(&tb, NULL), 0);
	assert_int_equal(tbl.nr_devs, IVRS_MAX_DEVS);
	/* IVMDs */
	tb_header(&tb, 2, 0);
	for (i = 0; i <= IVRS_MAX_IVMDS; i++)
		tb_ivmd(&tb, IVRS_TYPE_IVMD_ALL, IVMD_FLAG_UNITY, 0, 0, 0x1000 * i, 0x1000);
	tb_finish(&tb);
	expect_error(&tb, -ENOSPC, 48 + 32 * IVRS_MAX_IVMDS, "IVMD");
	/* IOMMUs: distinct device IDs */
	tb_header(&tb, 2, 0);
	for (i = 0; i <= IVRS_MAX_IOMMUS; i++) {
		h = tb_ivhd(&tb, 0x10, 0, (u16)(i << 8 | 2), 0x1000 * i);
		tb_end_block(&tb, h);
	}
	tb_finish(&tb);
	expect_error(&tb, -ENOSPC, 48 + 24 * IVRS_MAX_IOMMUS, "IOMMUs");
	/* a UID longer than we keep */
	tb_header(&tb, 2, 0);
	h = tb_ivhd(&tb, 0x40, 0, 2, 0x1000);
	tb_e4(&tb, IVHD_DEV_ACPI_HID, 0xA0, 0);
	put(&tb, "AMDI0020", 8);
	put64(&tb, 0);
	put8(&tb, IVHD_UID_STRING);
	put8(&tb, IVRS_UID_MAX + 1);
	for (i = 0; i <= IVRS_UID_MAX; i++)
		put8(&tb, 'x');
	tb_end_block(&tb, h);
	tb_finish(&tb);
	expect_error(&tb, -ENOSPC, 48 + 40, "UID");
}

/* NULL error struct: the reason goes to pr_err and the errno is returned. */
static void test_null_err(void **state)
{
	struct tb tb;

	(void)state;
	build_qemu72(&tb);
	tb.b[20] ^= 1;
	assert_int_equal(tb_parse(&tb, NULL), -EBADMSG);
}

/* ---- ivrsdump ------------------------------------------------------------- */

static void test_ivrsdump(void **state)
{
	const char *b = getenv("SNPV_BUILD");
	const char *root = getenv("SNPV_ROOT");
	char tool[4096], cmd[8192], line[512];
	bool hdr = false, hid = false, ioapic = false;
	FILE *p;

	(void)state;
	if (b)
		snprintf(tool, sizeof(tool), "%s/tools/ivrsdump", b);
	else
		snprintf(tool, sizeof(tool), "%s/build/tools/ivrsdump", root ? root : ".");
	if (access(tool, X_OK))
		skip();
	snprintf(cmd, sizeof(cmd), "%s %s/amd-amdtable-asus-zenbook-s16-um5606wa.bin", tool,
		 data_dir());
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		hdr |= !!strstr(line, "OEM \"AMD\" table \"AmdTable\"") &&
		       !!strstr(line, "revision 2 length 496") && !!strstr(line, "checksum ef ok");
		hid |= !!strstr(line, "HID \"MSFT0201\"") && !!strstr(line, "UID 1 (integer");
		ioapic |= !!strstr(line, "00:14.0 dte d7 INITPass EIntPass NMIPass SysMgt=1") &&
			  !!strstr(line, "IOAPIC id 33");
	}
	assert_int_equal(pclose(p), 0);
	assert_true(hdr);
	assert_true(hid);
	assert_true(ioapic);
	/* a bad table: non-zero exit */
	snprintf(cmd, sizeof(cmd), "%s /dev/null 2>/dev/null", tool);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		;
	assert_int_not_equal(pclose(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_readme_facts), cmocka_unit_test(test_all_tables_parse),
	    cmocka_unit_test(test_zenith),	 cmocka_unit_test(test_mechrevo_ivmds),
	    cmocka_unit_test(test_zenbook),	 cmocka_unit_test(test_t14s_unknown_block),
	    cmocka_unit_test(test_odd_length),	 cmocka_unit_test(test_rev1_and_coreboot),
	    cmocka_unit_test(test_qemu72),	 cmocka_unit_test(test_lookup_ext_and_alias),
	    cmocka_unit_test(test_truncations),	 cmocka_unit_test(test_bad_checksum),
	    cmocka_unit_test(test_bad_header),	 cmocka_unit_test(test_block_lengths),
	    cmocka_unit_test(test_entry_errors), cmocka_unit_test(test_capacity),
	    cmocka_unit_test(test_null_err),	 cmocka_unit_test(test_ivrsdump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
