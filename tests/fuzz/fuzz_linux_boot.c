/* libFuzzer target for hv/vm/linux_boot.c: any bytes are a bzImage (the
 * first 16 bytes pick the guest's RAM size, the initrd size, the command line
 * length and whether the header's magic fields are forced, so that the plan
 * is reached often). Parse must succeed or fail with -EINVAL/-ENOTSUP; a plan
 * must keep every write inside guest RAM, with no two writes overlapping, the
 * kernel aligned and its entry at +0x200. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/vm/linux_boot.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

#define MAX_WRITES 16
struct rec {
	const struct linux_boot_config *cfg;
	u64 base[MAX_WRITES], end[MAX_WRITES];
	unsigned nr;
};

static int rec_write(void *ctx, gpa_t at, const void *src, u64 len)
{
	struct rec *r = ctx;
	u64 a = gpa_val(at);
	bool in_ram = false;

	(void)src;
	for (unsigned i = 0; i < r->cfg->nr_mem; i++) {
		const struct linux_mem_region *m = &r->cfg->mem[i];

		if (m->type == LINUX_E820_RAM && a >= gpa_val(m->base) &&
		    a + len <= gpa_val(m->base) + m->size)
			in_ram = true;
	}
	if (!in_ram || a + len < a)
		abort();
	for (unsigned i = 0; i < r->nr; i++)
		if (a < r->end[i] && r->base[i] < a + len)
			abort();
	if (r->nr == MAX_WRITES)
		abort();
	r->base[r->nr] = a;
	r->end[r->nr++] = a + len;
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 img_buf[65536];
	static char cmdline[4096];
	struct linux_mem_region mem[3];
	struct linux_boot_config cfg;
	struct linux_image img;
	struct linux_boot_plan p;
	struct rec rec = {.cfg = &cfg};
	static const u8 item[24];
	struct linux_setup_item items[1] = {{LINUX_SETUP_RNG_SEED, sizeof(item), item}};
	u64 ram, len;
	int r;

	if (size < 16)
		return 0;
	ram = MiB(2) + ((u64)data[0] << 22) + ((u64)data[1] << 12); /* up to ~1 GiB */
	len = MIN(size - 16, sizeof(img_buf));
	memcpy(img_buf, data + 16, len);
	if ((data[2] & 1) && len >= 0x26C) {
		img_buf[0x1FE] = 0x55, img_buf[0x1FF] = 0xAA;
		memcpy(img_buf + 0x202, "HdrS", 4);
		img_buf[0x236] |= 1;
		img_buf[0x211] |= 1;
		img_buf[0x234] |= 1;
		if (img_buf[0x207] < 2)
			img_buf[0x207] = 2, img_buf[0x206] |= 0x0C;
	}
	r = linux_image_parse(img_buf, len, &img, NULL);
	if (r && r != -EINVAL && r != -ENOTSUP)
		abort();
	if (r)
		return 0;
	if (img.kernel_off + img.kernel_size != len || img.hdr_end > img.kernel_off)
		abort();

	mem[0] = (struct linux_mem_region){gpa(0), 0xA0000, LINUX_E820_RAM};
	mem[1] = (struct linux_mem_region){gpa(0xF0000), 0x10000, LINUX_E820_RESERVED};
	mem[2] = (struct linux_mem_region){gpa(MiB(1)), ram - MiB(1), LINUX_E820_RAM};
	memset(&cfg, 0, sizeof(cfg));
	cfg.mem = mem;
	cfg.nr_mem = 3;
	cfg.boot_area = gpa((u64)(data[3] & 0x1F) << 12 | 0x1000);
	cfg.boot_area_size = PAGE_SIZE * (1 + (data[4] & 3));
	memset(cmdline, 'c', sizeof(cmdline));
	cmdline[((u64)data[5] << 4 | (data[6] & 0xF)) % sizeof(cmdline)] = 0;
	cfg.cmdline = cmdline;
	cfg.initrd_size = ((u64)data[7] << 16) | data[8];
	cfg.initrd_limit = data[9] & 1 ? ((u64)data[10] << 20) : 0;
	cfg.setup = items;
	cfg.nr_setup = data[11] & 1;
	r = linux_boot_plan(&img, &cfg, &p, NULL);
	if (r && r != -EINVAL && r != -ENOSPC && r != -E2BIG)
		abort();
	if (r)
		return 0;
	if (gpa_val(p.kernel_load) % img.hdr.kernel_alignment ||
	    gpa_val(p.entry64) != gpa_val(p.kernel_load) + 0x200 ||
	    p.kernel_span < img.hdr.init_size || p.cmdline_len > img.hdr.cmdline_size)
		abort();
	if (cfg.initrd_size &&
	    (gpa_val(p.initrd) % PAGE_SIZE ||
	     (cfg.initrd_limit && gpa_val(p.initrd) + cfg.initrd_size > cfg.initrd_limit)))
		abort();
	/* The kernel's span must be RAM even where the file does not reach. */
	rec_write(&rec, p.kernel_load, NULL, p.kernel_span);
	rec.nr = 0;
	/* The initrd's content does not matter to the loader: reuse the image. */
	if (cfg.initrd_size > sizeof(img_buf))
		cfg.initrd_size = p.initrd_size = sizeof(img_buf);
	r = linux_boot_write(&img, &cfg, &p, img_buf, rec_write, &rec);
	if (r)
		abort();
	return 0;
}
