/* hv/vm/linux_boot.c: bzImage checks, placement plan and zero page, against
 * the real Debian kernel of tools/fetch-linux.sh (found through
 * $SNPV_LINUX_KERNEL, $SNPV_BUILD/linux/vmlinuz or $SNPV_ROOT/build/linux/
 * vmlinuz) and against synthetic and malformed images. Offsets are those of
 * Linux Documentation/arch/x86/boot.rst and zero-page.rst, written here as
 * numbers so that the test does not trust the loader's own structs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "hv/vm/linux_boot.h"

static u16 rd16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}
static u32 rd32(const u8 *p)
{
	return (u32)rd16(p) | (u32)rd16(p + 2) << 16;
}
static u64 rd64(const u8 *p)
{
	return (u64)rd32(p) | (u64)rd32(p + 4) << 32;
}
static void wr16(u8 *p, u16 v)
{
	p[0] = (u8)v, p[1] = (u8)(v >> 8);
}
static void wr32(u8 *p, u32 v)
{
	wr16(p, (u16)v), wr16(p + 2, (u16)(v >> 16));
}
static void wr64(u8 *p, u64 v)
{
	wr32(p, (u32)v), wr32(p + 4, (u32)(v >> 32));
}

/* ---- a fake guest: RAM in one buffer, every write recorded ----------------- */
#define MAX_WRITES 32
struct fake_guest {
	u8 *mem;
	u64 size;
	const struct linux_boot_config *cfg;
	struct {
		u64 base, end;
	} w[MAX_WRITES];
	unsigned nr;
};

static int fake_write(void *ctx, gpa_t at, const void *src, u64 len)
{
	struct fake_guest *g = ctx;
	u64 a = gpa_val(at);
	bool in_ram = false;

	for (unsigned i = 0; i < g->cfg->nr_mem; i++) {
		const struct linux_mem_region *r = &g->cfg->mem[i];

		if (r->type == LINUX_E820_RAM && a >= gpa_val(r->base) &&
		    a + len <= gpa_val(r->base) + r->size)
			in_ram = true;
	}
	assert_true(in_ram);
	assert_true(a + len <= g->size);
	for (unsigned i = 0; i < g->nr; i++)
		assert_false(a < g->w[i].end && g->w[i].base < a + len);
	assert_true(g->nr < MAX_WRITES);
	g->w[g->nr].base = a;
	g->w[g->nr].end = a + len;
	g->nr++;
	memcpy(g->mem + a, src, len);
	return 0;
}

/* 0..640K RAM, 960K..1M reserved, 1M..end RAM: a PC-like map. */
static struct linux_mem_region map3[3];
static void make_map(u64 ram)
{
	map3[0] = (struct linux_mem_region){gpa(0), 0xA0000, LINUX_E820_RAM};
	map3[1] = (struct linux_mem_region){gpa(0xF0000), 0x10000, LINUX_E820_RESERVED};
	map3[2] = (struct linux_mem_region){gpa(MiB(1)), ram - MiB(1), LINUX_E820_RAM};
}

static struct linux_boot_config base_cfg(u64 ram, const char *cmdline, u64 initrd_size)
{
	make_map(ram);
	return (struct linux_boot_config){
	    .mem = map3,
	    .nr_mem = 3,
	    .boot_area = gpa(0x10000),
	    .boot_area_size = 0x10000,
	    .cmdline = cmdline,
	    .initrd_size = initrd_size,
	    .acpi_rsdp = gpa(0xE0000),
	};
}

/* ---- a synthetic bzImage ----------------------------------------------------- */
#define SYN_SIZE	0x20000
#define SYN_SETUP_SECTS 4
#define SYN_KOFF	((SYN_SETUP_SECTS + 1) * 512)
static u8 *syn_image(void)
{
	u8 *b = calloc(1, SYN_SIZE);

	assert_non_null(b);
	b[0x1F1] = SYN_SETUP_SECTS;
	wr32(b + 0x1F4, (SYN_SIZE - SYN_KOFF) / 16);
	wr16(b + 0x1FE, 0xAA55);
	b[0x200] = 0xEB;
	b[0x201] = 0x6A; /* header ends at 0x26C */
	memcpy(b + 0x202, "HdrS", 4);
	wr16(b + 0x206, 0x020F);
	wr16(b + 0x20E, 0x600); /* version string at 0x800 */
	strcpy((char *)b + 0x800, "6.0.0-synthetic (test@snpvisor) #1");
	b[0x211] = 0x01;
	wr32(b + 0x22C, 0x7FFFFFFF);
	wr32(b + 0x230, 0x200000);
	b[0x234] = 1;
	b[0x235] = 21;
	wr16(b + 0x236, 0x3); /* KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
	wr32(b + 0x238, 2047);
	wr32(b + 0x248, 0x100);
	wr32(b + 0x24C, 0x1000);
	wr64(b + 0x258, 0x1000000);
	wr32(b + 0x260, 0x400000);
	for (u64 i = SYN_KOFF; i < SYN_SIZE; i++)
		b[i] = (u8)(i * 7 + 3);
	return b;
}

/* ---- the real kernel ------------------------------------------------------------ */
static u8 *slurp(const char *path, u64 *size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	u8 *b;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || !(b = malloc((size_t)st.st_size + 1))) {
		fclose(f);
		return NULL;
	}
	*size = (u64)st.st_size;
	if (fread(b, 1, *size, f) != *size) {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static char real_dir[4096];
static const char *real_kernel_path(void)
{
	static char path[4200];
	const char *e = getenv("SNPV_LINUX_KERNEL"), *b = getenv("SNPV_BUILD"),
		   *root = getenv("SNPV_ROOT");

	real_dir[0] = 0;
	if (e && *e)
		return e;
	if (b)
		snprintf(real_dir, sizeof(real_dir), "%s/linux", b);
	else
		snprintf(real_dir, sizeof(real_dir), "%s/build/linux", root ? root : ".");
	snprintf(path, sizeof(path), "%s/vmlinuz", real_dir);
	return path;
}

/* Loads the image, plans, writes into a fake guest and checks everything the
 * boot protocol asks for, from the raw bytes. */
static void check_boot(const u8 *b, u64 size, u64 ram, const void *initrd, u64 initrd_size,
		       const char *release)
{
	static const char cmdline[] = "console=ttyS0 panic=-1 rdinit=/init";
	static const u8 blob1[] = {1, 2, 3, 4, 5};
	static const u8 blob2[12] = {0xAA};
	struct linux_setup_item items[2] = {{LINUX_SETUP_RNG_SEED, sizeof(blob1), blob1},
					    {LINUX_SETUP_CC_BLOB, sizeof(blob2), blob2}};
	struct linux_boot_config cfg = base_cfg(ram, cmdline, initrd_size);
	struct fake_guest g = {.size = ram, .cfg = &cfg};
	struct linux_image img;
	struct linux_boot_plan p;
	char why[LINUX_BOOT_ERR_LEN];
	u64 setup_sects = b[0x1F1] ? b[0x1F1] : 4, koff = (setup_sects + 1) * 512;
	u64 align = rd32(b + 0x230), init_size = rd32(b + 0x260), hdr_end = 0x202 + b[0x201];
	u64 load, rd, limit;
	const u8 *zp;

	cfg.setup = items;
	cfg.nr_setup = 2;
	assert_int_equal(linux_image_parse(b, size, &img, why), 0);
	assert_string_equal(why, "");
	assert_int_equal(img.kernel_off, koff);
	assert_int_equal(img.kernel_size, size - koff);
	if (release) {
		size_t n = strlen(release);

		assert_memory_equal(img.version, release, n);
		assert_true(img.version[n] == ' ' || img.version[n] == 0);
	}
	assert_int_equal(linux_boot_plan(&img, &cfg, &p, why), 0);

	/* The kernel: aligned, init_size free and in RAM, entry at +0x200. */
	load = gpa_val(p.kernel_load);
	assert_true(load >= MiB(1) && load % align == 0);
	assert_true(load + init_size <= ram);
	assert_int_equal(gpa_val(p.entry64), load + 0x200);
	if (rd64(b + 0x258) + init_size <= ram) /* pref_address fits: used */
		assert_int_equal(load, rd64(b + 0x258));
	/* The initrd: page aligned, highest fitting, below initrd_addr_max. */
	rd = gpa_val(p.initrd);
	limit = MIN(ram, (u64)rd32(b + 0x22C) + 1);
	if (rd16(b + 0x236) & 2)
		limit = ram;
	if (initrd_size) {
		assert_true(rd % PAGE_SIZE == 0 && rd + initrd_size <= limit);
		assert_true(rd >= load + init_size || rd + initrd_size <= load);
		assert_true(rd + PAGE_SIZE + initrd_size > limit); /* nothing higher fits */
	}

	g.mem = calloc(1, ram);
	assert_non_null(g.mem);
	assert_int_equal(linux_boot_write(&img, &cfg, &p, initrd, fake_write, &g), 0);
	assert_memory_equal(g.mem + load, b + koff, size - koff);
	if (initrd_size)
		assert_memory_equal(g.mem + rd, initrd, initrd_size);

	/* The zero page, read by offset. */
	zp = g.mem + gpa_val(p.zero_page);
	assert_int_equal(gpa_val(p.zero_page), 0x10000);
	for (u64 o = 0x1F1; o < hdr_end; o++) {
		bool changed = (o >= 0x210 && o < 0x212) || (o >= 0x214 && o < 0x220) ||
			       (o >= 0x228 && o < 0x22C) || (o >= 0x250 && o < 0x258);
		if (!changed && zp[o] != b[o])
			fail_msg("zero page byte 0x%llx is 0x%02x, file 0x%02x",
				 (unsigned long long)o, zp[o], b[o]);
	}
	for (u64 o = 0; o < 0x1F1; o++)
		if (o < 0x070 || o >= 0x078)
			if (o < 0x1E8 || o > 0x1E8)
				assert_int_equal(zp[o], 0);
	assert_int_equal(zp[0x210], 0xFF);		      /* type_of_loader */
	assert_true(zp[0x211] & 1);			      /* LOADED_HIGH */
	assert_int_equal(rd64(zp + 0x070), 0xE0000);	      /* acpi_rsdp_addr */
	assert_int_equal(rd32(zp + 0x218), (u32)rd);	      /* ramdisk_image */
	assert_int_equal(rd32(zp + 0x21C), (u32)initrd_size); /* ramdisk_size */
	assert_int_equal(rd32(zp + 0x0C0), (u32)(rd >> 32));
	assert_string_equal((const char *)g.mem + rd32(zp + 0x228), cmdline);
	assert_int_equal(rd32(zp + 0x0C8), 0);
	/* e820 in address order */
	assert_int_equal(zp[0x1E8], 3);
	assert_int_equal(rd64(zp + 0x2D0), 0);
	assert_int_equal(rd64(zp + 0x2D0 + 8), 0xA0000);
	assert_int_equal(rd32(zp + 0x2D0 + 16), 1);
	assert_int_equal(rd64(zp + 0x2D0 + 20), 0xF0000);
	assert_int_equal(rd32(zp + 0x2D0 + 36), 2);
	assert_int_equal(rd64(zp + 0x2D0 + 40), MiB(1));
	assert_int_equal(rd64(zp + 0x2D0 + 48), ram - MiB(1));
	assert_int_equal(rd64(zp + 0x2D0 + 60), 0); /* no 4th entry */
	/* setup_data: two items, linked, 8-byte aligned, last next = 0 */
	{
		u64 sd = rd64(zp + 0x250), sd2;

		assert_true(sd && sd % 8 == 0 && sd > rd32(zp + 0x228));
		assert_int_equal(rd32(g.mem + sd + 8), LINUX_SETUP_RNG_SEED);
		assert_int_equal(rd32(g.mem + sd + 12), sizeof(blob1));
		assert_memory_equal(g.mem + sd + 16, blob1, sizeof(blob1));
		sd2 = rd64(g.mem + sd);
		assert_true(sd2 % 8 == 0 && sd2 >= sd + 16 + sizeof(blob1));
		assert_int_equal(rd32(g.mem + sd2 + 8), LINUX_SETUP_CC_BLOB);
		assert_memory_equal(g.mem + sd2 + 16, blob2, sizeof(blob2));
		assert_int_equal(rd64(g.mem + sd2), 0);
		assert_true(sd2 + 16 + sizeof(blob2) <= 0x10000 + 0x10000);
	}
	free(g.mem);
}

static void test_real_kernel(void **state)
{
	const char *path = real_kernel_path();
	char relpath[4200], release[128] = "";
	u8 *b, *initrd;
	u64 size, isize = 0;
	FILE *f;

	(void)state;
	b = slurp(path, &size);
	if (!b) {
		print_message(
		    "no kernel at %s: run 'make linux-assets' (or set SNPV_LINUX_KERNEL)\n", path);
		skip();
	}
	if (real_dir[0]) {
		snprintf(relpath, sizeof(relpath), "%s/vmlinuz.release", real_dir);
		f = fopen(relpath, "r");
		if (f) {
			if (!fgets(release, sizeof(release), f))
				release[0] = 0;
			release[strcspn(release, "\n")] = 0;
			fclose(f);
		}
		snprintf(relpath, sizeof(relpath), "%s/initramfs.cpio", real_dir);
	}
	initrd = real_dir[0] ? slurp(relpath, &isize) : NULL;
	if (!initrd) {
		isize = MiB(2) + 123;
		initrd = calloc(1, isize);
		assert_non_null(initrd);
		memset(initrd, 0x5A, isize);
	} else {
		assert_memory_equal(initrd, "070701", 6);
	}
	check_boot(b, size, MiB(256), initrd, isize, release[0] ? release : NULL);
	/* The Debian kernel: 64-bit, relocatable, takes everything above 4G. */
	{
		struct linux_image img;

		assert_int_equal(linux_image_parse(b, size, &img, NULL), 0);
		assert_true(img.hdr.version >= 0x020C);
		assert_true(img.hdr.xloadflags & LINUX_XLF_KERNEL_64);
		print_message("real kernel: %s, protocol %u.%02u, init_size 0x%x, align 0x%x\n",
			      img.version, img.hdr.version >> 8, img.hdr.version & 0xff,
			      img.hdr.init_size, img.hdr.kernel_alignment);
		/* Cut anywhere inside the kernel: refused as truncated. */
		for (u64 cut = img.kernel_off + 1; cut < size - 0x10000; cut += size / 7) {
			char why[LINUX_BOOT_ERR_LEN];

			assert_int_equal(linux_image_parse(b, cut, &img, why), -EINVAL);
			assert_non_null(strstr(why, "truncated"));
		}
	}
	free(initrd);
	free(b);
}

/* The nosev test kernel (guest/nosev/, build/guests/nosev-vmlinuz, input of
 * tests/qemu/linux-snp-nosev.cfg): the loader takes it like a real kernel,
 * and its header says what guest/README.md says it does. */
static void test_nosev_kernel(void **state)
{
	const char *b = getenv("SNPV_BUILD"), *root = getenv("SNPV_ROOT");
	char path[4200];
	struct linux_image img;
	u8 *k, rd[4096];
	u64 size;

	(void)state;
	if (b)
		snprintf(path, sizeof(path), "%s/guests/nosev-vmlinuz", b);
	else
		snprintf(path, sizeof(path), "%s/build/guests/nosev-vmlinuz", root ? root : ".");
	k = slurp(path, &size);
	if (!k) {
		print_message("no nosev kernel at %s: run 'make guests'\n", path);
		skip();
	}
	memset(rd, 0x5A, sizeof(rd));
	check_boot(k, size, MiB(64), rd, sizeof(rd), NULL);
	assert_int_equal(linux_image_parse(k, size, &img, NULL), 0);
	assert_string_equal(img.version, "nosev 1.0 (snpvisor test kernel, no SEV support)");
	assert_int_equal(img.hdr.version, 0x020F);
	assert_int_equal(img.hdr.xloadflags, LINUX_XLF_KERNEL_64);
	assert_int_equal(img.hdr.loadflags, LINUX_LOADED_HIGH);
	assert_int_equal(img.hdr.relocatable_kernel, 1);
	assert_int_equal(img.hdr.kernel_alignment, MiB(2));
	assert_int_equal(img.hdr.pref_address, MiB(16));
	assert_int_equal(img.kernel_off, 0x400);
	/* syssize covers the file exactly; init_size adds .bss, page-aligned */
	assert_int_equal((u64)img.hdr.syssize * 16, size - img.kernel_off);
	assert_true(img.hdr.init_size > img.hdr.syssize * 16);
	assert_int_equal(img.hdr.init_size % 4096, 0);
	/* the 64-bit entry at +0x200 starts with cli; cld */
	assert_int_equal(k[img.kernel_off + 0x200], 0xFA);
	assert_int_equal(k[img.kernel_off + 0x201], 0xFC);
	print_message("nosev kernel: %llu bytes, init_size 0x%x\n", (unsigned long long)size,
		      img.hdr.init_size);
	free(k);
}

static void test_synthetic(void **state)
{
	u8 *b = syn_image(), initrd[10000];

	(void)state;
	memset(initrd, 0x3C, sizeof(initrd));
	check_boot(b, SYN_SIZE, MiB(64), initrd, sizeof(initrd), "6.0.0-synthetic");
	/* initrd_addr_max honoured when the kernel cannot take it above 4G. */
	wr16(b + 0x236, 0x1);
	wr32(b + 0x22C, MiB(32) - 1);
	check_boot(b, SYN_SIZE, MiB(64), initrd, sizeof(initrd), NULL);
	/* no initrd at all */
	check_boot(b, SYN_SIZE, MiB(64), NULL, 0, NULL);
	free(b);
}

/* Parse must fail with err and a message containing word. */
static void expect_parse(const u8 *b, u64 size, int err, const char *word)
{
	struct linux_image img;
	char why[LINUX_BOOT_ERR_LEN];

	assert_int_equal(linux_image_parse(b, size, &img, why), err);
	if (!strstr(why, word))
		fail_msg("message '%s' does not name '%s'", why, word);
}

static void test_truncated(void **state)
{
	u8 *b = syn_image();

	(void)state;
	expect_parse(b, 0, -EINVAL, "truncated");
	expect_parse(NULL, 100, -EINVAL, "truncated");
	expect_parse(b, 0x200, -EINVAL, "truncated");
	expect_parse(b, 0x250, -EINVAL, "truncated");	    /* header cut */
	expect_parse(b, SYN_KOFF, -EINVAL, "setup_sects");  /* no kernel */
	expect_parse(b, SYN_SIZE - 16, -EINVAL, "syssize"); /* kernel cut */
	wr32(b + 0x24C, SYN_SIZE);			    /* payload past the end */
	expect_parse(b, SYN_SIZE, -EINVAL, "payload_length");
	free(b);
}

static void test_bad_header(void **state)
{
	u8 *b = syn_image();

	(void)state;
	b[0x202] = 'h';
	expect_parse(b, SYN_SIZE, -EINVAL, "HdrS");
	b[0x202] = 'H';
	wr16(b + 0x1FE, 0x55AA);
	expect_parse(b, SYN_SIZE, -EINVAL, "boot_flag");
	wr16(b + 0x1FE, 0xAA55);
	wr16(b + 0x206, 0x020A);
	expect_parse(b, SYN_SIZE, -ENOTSUP, "2.10");
	wr16(b + 0x206, 0x020F);
	b[0x201] = 0x50; /* header ends at 0x252: no init_size */
	expect_parse(b, SYN_SIZE, -EINVAL, "0x201");
	b[0x201] = 0x6A;
	wr32(b + 0x230, 0x300000);
	expect_parse(b, SYN_SIZE, -EINVAL, "kernel_alignment");
	wr32(b + 0x230, 0x200000);
	wr32(b + 0x260, 0x100);
	expect_parse(b, SYN_SIZE, -EINVAL, "init_size");
	wr32(b + 0x260, 0x400000);
	b[0x211] = 0;
	expect_parse(b, SYN_SIZE, -ENOTSUP, "LOADED_HIGH");
	b[0x211] = 1;
	expect_parse(b, SYN_SIZE, 0, "");
	free(b);
}

static void test_32bit_only(void **state)
{
	u8 *b = syn_image();

	(void)state;
	wr16(b + 0x236, 0x2); /* above 4G but no 64-bit entry */
	expect_parse(b, SYN_SIZE, -ENOTSUP, "XLF_KERNEL_64");
	free(b);
}

static void test_not_relocatable(void **state)
{
	u8 *b = syn_image();

	(void)state;
	b[0x234] = 0;
	expect_parse(b, SYN_SIZE, -ENOTSUP, "relocatable_kernel");
	free(b);
}

static int plan_of(const u8 *b, const struct linux_boot_config *cfg, struct linux_boot_plan *p,
		   char *why)
{
	struct linux_image img;

	assert_int_equal(linux_image_parse(b, SYN_SIZE, &img, NULL), 0);
	return linux_boot_plan(&img, cfg, p, why);
}

static void expect_plan(const u8 *b, const struct linux_boot_config *cfg, int err, const char *word)
{
	struct linux_boot_plan p;
	char why[LINUX_BOOT_ERR_LEN];

	assert_int_equal(plan_of(b, cfg, &p, why), err);
	if (!strstr(why, word))
		fail_msg("message '%s' does not name '%s'", why, word);
}

static void test_init_size_too_large(void **state)
{
	u8 *b = syn_image();
	struct linux_boot_config cfg = base_cfg(MiB(64), "", 0);
	struct linux_boot_plan p;

	(void)state;
	wr32(b + 0x260, MiB(80));
	expect_plan(b, &cfg, -ENOSPC, "init_size");
	/* 62 MiB from 2 MiB up fits in 64 MiB: placed at 2 MiB, not pref_address */
	wr32(b + 0x260, MiB(62));
	assert_int_equal(plan_of(b, &cfg, &p, NULL), 0);
	assert_int_equal(gpa_val(p.kernel_load), MiB(2));
	/* 63 MiB does not (the aligned start is 2 MiB) */
	wr32(b + 0x260, MiB(63));
	expect_plan(b, &cfg, -ENOSPC, "init_size");
	free(b);
}

static void test_initrd_does_not_fit(void **state)
{
	u8 *b = syn_image();
	struct linux_boot_config cfg = base_cfg(MiB(64), "", MiB(48));
	struct linux_boot_plan p;

	(void)state;
	/* kernel at 16M..20M: 44 MiB above it, 15 MiB below */
	expect_plan(b, &cfg, -ENOSPC, "initrd");
	cfg.initrd_size = MiB(44);
	assert_int_equal(plan_of(b, &cfg, &p, NULL), 0);
	assert_int_equal(gpa_val(p.initrd), MiB(20));
	/* a limit leaves only the hole below the kernel */
	cfg.initrd_size = MiB(14);
	cfg.initrd_limit = MiB(18);
	assert_int_equal(plan_of(b, &cfg, &p, NULL), 0);
	assert_int_equal(gpa_val(p.initrd), MiB(2));
	cfg.initrd_size = MiB(16);
	expect_plan(b, &cfg, -ENOSPC, "initrd");
	/* initrd_addr_max when the kernel cannot take it above 4 GiB */
	wr16(b + 0x236, 0x1);
	wr32(b + 0x22C, MiB(8) - 1);
	cfg.initrd_limit = 0;
	cfg.initrd_size = MiB(1);
	assert_int_equal(plan_of(b, &cfg, &p, NULL), 0);
	assert_int_equal(gpa_val(p.initrd), MiB(7));
	cfg.initrd_size = MiB(8);
	expect_plan(b, &cfg, -ENOSPC, "initrd_addr_max");
	free(b);
}

static void test_cmdline_too_long(void **state)
{
	u8 *b = syn_image();
	char *cl = malloc(4000);
	struct linux_boot_config cfg = base_cfg(MiB(64), cl, 0);
	struct linux_boot_plan p;

	(void)state;
	memset(cl, 'x', 2048);
	cl[2048] = 0;
	expect_plan(b, &cfg, -E2BIG, "cmdline_size");
	cl[2047] = 0; /* exactly cmdline_size */
	assert_int_equal(plan_of(b, &cfg, &p, NULL), 0);
	assert_int_equal(p.cmdline_len, 2047);
	/* a boot area too small for zero page + command line */
	cfg.boot_area_size = PAGE_SIZE + 1000;
	expect_plan(b, &cfg, -ENOSPC, "boot area");
	free(cl);
	free(b);
}

static void test_bad_config(void **state)
{
	u8 *b = syn_image();
	struct linux_boot_config cfg = base_cfg(MiB(64), "", 0);

	(void)state;
	map3[1].base = gpa(0x90000); /* overlaps the first RAM region */
	expect_plan(b, &cfg, -EINVAL, "overlap");
	make_map(MiB(64));
	cfg.boot_area = gpa(0xA0000); /* not RAM */
	expect_plan(b, &cfg, -EINVAL, "boot area");
	cfg.boot_area = gpa(0x10800);
	expect_plan(b, &cfg, -EINVAL, "page-aligned");
	cfg.boot_area = gpa(0x10000);
	cfg.nr_mem = 0;
	expect_plan(b, &cfg, -EINVAL, "empty");
	free(b);
}

/* The kernel and the initrd step around the boot area. */
static void test_avoids_boot_area(void **state)
{
	u8 *b = syn_image();
	struct linux_boot_config cfg = base_cfg(MiB(64), "", MiB(1));
	struct linux_boot_plan p;

	(void)state;
	cfg.boot_area = gpa(MiB(64) - 0x10000);
	assert_int_equal(plan_of(b, &cfg, &p, NULL), 0);
	assert_int_equal(gpa_val(p.initrd), MiB(63) - 0x10000);
	cfg.boot_area = gpa(MiB(17));
	assert_int_equal(plan_of(b, &cfg, &p, NULL), 0);
	assert_int_equal(gpa_val(p.kernel_load), MiB(18));
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_kernel),		cmocka_unit_test(test_nosev_kernel),
	    cmocka_unit_test(test_synthetic),		cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_bad_header),		cmocka_unit_test(test_32bit_only),
	    cmocka_unit_test(test_not_relocatable),	cmocka_unit_test(test_init_size_too_large),
	    cmocka_unit_test(test_initrd_does_not_fit), cmocka_unit_test(test_cmdline_too_long),
	    cmocka_unit_test(test_bad_config),		cmocka_unit_test(test_avoids_boot_area),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
