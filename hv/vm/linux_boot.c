/* bzImage loader for the 64-bit boot protocol (linux_boot.h, docs/linux.md).
 * Section names below are those of Linux Documentation/arch/x86/boot.rst. */
#include "hv/vm/linux_boot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hv/base/log.h"

#define FOUR_GIB GiB(4)

static int fail(char *why, int err, const char *fmt, ...) __printf(3, 4);

static int fail(char *why, int err, const char *fmt, ...)
{
	char local[LINUX_BOOT_ERR_LEN];
	char *buf = why ? why : local;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, LINUX_BOOT_ERR_LEN, fmt, ap);
	va_end(ap);
	pr_err("linux: %s\n", buf);
	return err;
}

/* ---- the image ("The Real-Mode Kernel Header", "Loading The Rest of The
 * Kernel") ------------------------------------------------------------------- */

int linux_image_parse(const void *data, u64 size, struct linux_image *img, char *why)
{
	const u8 *b = data;
	const struct linux_setup_header *h = &img->hdr;
	u64 setup_sects, need;

	memset(img, 0, sizeof(*img));
	if (why)
		why[0] = 0;
	img->data = b;
	img->size = size;
	if (!b || size < 0x202 + 1)
		return fail(why, -EINVAL,
			    "image truncated: %llu bytes, the setup header needs 0x203",
			    (unsigned long long)size);
	/* "The Real-Mode Kernel Header": the header's length is in byte 0x201
	 * (the jump's offset); copy 0x1F1 up to 0x202 + that byte. */
	img->hdr_end = 0x202 + (u64)b[0x201];
	if (img->hdr_end > size)
		return fail(why, -EINVAL,
			    "image truncated: %llu bytes, the setup header ends at 0x%llx",
			    (unsigned long long)size, (unsigned long long)img->hdr_end);
	memcpy(&img->hdr, b + LINUX_SETUP_HDR_OFF,
	       MIN(img->hdr_end, (u64)0x26C) - LINUX_SETUP_HDR_OFF);
	if (h->boot_flag != LINUX_BOOT_FLAG)
		return fail(why, -EINVAL, "boot_flag (0x1FE) is 0x%04x, not 0xAA55", h->boot_flag);
	if (h->header != LINUX_HDR_MAGIC)
		return fail(why, -EINVAL, "header (0x202) is 0x%08x, not \"HdrS\" (0x53726448)",
			    h->header);
	if (h->version < LINUX_MIN_VERSION)
		return fail(
		    why, -ENOTSUP,
		    "version (0x206) is %u.%02u: the 64-bit boot protocol needs 2.12 (xloadflags)",
		    h->version >> 8, h->version & 0xff);
	/* 2.12 headers reach at least handover_offset (0x264..0x267). */
	if (img->hdr_end < 0x268)
		return fail(
		    why, -EINVAL,
		    "header length (byte 0x201 = 0x%02x) ends the header at 0x%llx, before the "
		    "2.12 fields (0x268)",
		    b[0x201], (unsigned long long)img->hdr_end);
	if (!(h->xloadflags & LINUX_XLF_KERNEL_64))
		return fail(why, -ENOTSUP,
			    "xloadflags (0x236) is 0x%04x: XLF_KERNEL_64 clear, no 64-bit entry",
			    h->xloadflags);
	if (!(h->loadflags & LINUX_LOADED_HIGH))
		return fail(why, -ENOTSUP,
			    "loadflags (0x211) is 0x%02x: LOADED_HIGH clear, not a bzImage",
			    h->loadflags);
	if (!h->relocatable_kernel)
		return fail(
		    why, -ENOTSUP,
		    "relocatable_kernel (0x234) is 0: the kernel cannot be placed by this loader");
	if (h->kernel_alignment < PAGE_SIZE || (h->kernel_alignment & (h->kernel_alignment - 1)))
		return fail(why, -EINVAL,
			    "kernel_alignment (0x230) is 0x%x: not a power of two >= 4 KiB",
			    h->kernel_alignment);
	/* "Loading The Rest of The Kernel": setup_sects 0 means 4. */
	setup_sects = h->setup_sects ? h->setup_sects : 4;
	img->setup_size = (setup_sects + 1) * 512;
	if (img->setup_size >= size)
		return fail(
		    why, -EINVAL,
		    "image truncated: setup_sects (0x1F1) = %llu puts the kernel at 0x%llx, "
		    "the file has %llu bytes",
		    (unsigned long long)setup_sects, (unsigned long long)img->setup_size,
		    (unsigned long long)size);
	if (img->hdr_end > img->setup_size)
		return fail(
		    why, -EINVAL,
		    "setup_sects (0x1F1) = %llu: the setup code (0x%llx bytes) is shorter than "
		    "its header (0x%llx)",
		    (unsigned long long)setup_sects, (unsigned long long)img->setup_size,
		    (unsigned long long)img->hdr_end);
	img->kernel_off = img->setup_size;
	img->kernel_size = size - img->setup_size;
	/* syssize counts 16-byte units of protected-mode code; signed images
	 * carry a signature after it, so the file may be longer, never shorter. */
	need = (u64)h->syssize * 16;
	if (!h->syssize || need > img->kernel_size)
		return fail(why, -EINVAL,
			    "image truncated: syssize (0x1F4) = 0x%x needs 0x%llx bytes of kernel, "
			    "the file has 0x%llx after the setup code",
			    h->syssize, (unsigned long long)need,
			    (unsigned long long)img->kernel_size);
	if ((u64)h->payload_offset + h->payload_length > img->kernel_size)
		return fail(why, -EINVAL,
			    "image truncated: payload_offset (0x248) 0x%x + payload_length (0x24C) "
			    "0x%x beyond the kernel's 0x%llx bytes",
			    h->payload_offset, h->payload_length,
			    (unsigned long long)img->kernel_size);
	if (h->init_size < need)
		return fail(why, -EINVAL,
			    "init_size (0x260) 0x%x is smaller than the kernel (syssize: 0x%llx)",
			    h->init_size, (unsigned long long)need);
	/* kernel_version: a string at this offset + 0x200, if any. */
	if (h->kernel_version && (u64)h->kernel_version + 0x200 < size) {
		const u8 *s = b + h->kernel_version + 0x200;
		u64 i, max = MIN(size - (h->kernel_version + 0x200), sizeof(img->version) - 1);

		for (i = 0; i < max && s[i] >= 0x20 && s[i] < 0x7f; i++)
			img->version[i] = (char)s[i];
		img->version[i] = 0;
	}
	return 0;
}

/* ---- the plan --------------------------------------------------------------- */

struct range {
	u64 base, end; /* [base, end) */
};

static bool overlaps(u64 b1, u64 e1, u64 b2, u64 e2)
{
	return b1 < e2 && b2 < e1;
}

/* The RAM region holding [base, end), or NULL. */
static const struct linux_mem_region *ram_holding(const struct linux_boot_config *cfg, u64 base,
						  u64 end)
{
	for (unsigned i = 0; i < cfg->nr_mem; i++) {
		const struct linux_mem_region *r = &cfg->mem[i];

		if (r->type == LINUX_E820_RAM && base >= gpa_val(r->base) &&
		    end <= gpa_val(r->base) + r->size)
			return r;
	}
	return NULL;
}

/* The lowest address >= from, aligned, with [a, a + size) inside one RAM
 * region, below limit and off every busy range; 0 if none. */
static u64 place_low(const struct linux_boot_config *cfg, u64 from, u64 size, u64 align, u64 limit,
		     const struct range *busy, unsigned nr_busy)
{
	u64 best = 0;

	for (unsigned i = 0; i < cfg->nr_mem; i++) {
		const struct linux_mem_region *r = &cfg->mem[i];
		u64 a = ALIGN_UP(MAX(gpa_val(r->base), from), align);
		u64 end = MIN(gpa_val(r->base) + r->size, limit);

		if (r->type != LINUX_E820_RAM)
			continue;
		while (a && a + size > a && a + size <= end) {
			unsigned j;

			for (j = 0; j < nr_busy; j++)
				if (overlaps(a, a + size, busy[j].base, busy[j].end))
					break;
			if (j == nr_busy) {
				if (!best || a < best)
					best = a;
				break;
			}
			a = ALIGN_UP(busy[j].end, align);
		}
	}
	return best;
}

/* The highest page-aligned address with [a, a + size) inside one RAM
 * region, ending at or below limit and off every busy range; 0 if none. */
static u64 place_high(const struct linux_boot_config *cfg, u64 size, u64 limit,
		      const struct range *busy, unsigned nr_busy)
{
	u64 best = 0;

	for (unsigned i = 0; i < cfg->nr_mem; i++) {
		const struct linux_mem_region *r = &cfg->mem[i];
		u64 base = gpa_val(r->base);
		u64 end = MIN(base + r->size, limit);

		if (r->type != LINUX_E820_RAM)
			continue;
		while (end > base && end - base >= size) {
			u64 a = ALIGN_DOWN(end - size, PAGE_SIZE);
			unsigned j;

			if (a < base || !a)
				break;
			for (j = 0; j < nr_busy; j++)
				if (overlaps(a, a + size, busy[j].base, busy[j].end))
					break;
			if (j == nr_busy) {
				if (a > best)
					best = a;
				break;
			}
			end = busy[j].base;
		}
	}
	return best;
}

static int check_map(const struct linux_boot_config *cfg, char *why)
{
	if (!cfg->nr_mem || !cfg->mem)
		return fail(why, -EINVAL, "guest memory map is empty");
	if (cfg->nr_mem > LINUX_E820_MAX_ZEROPAGE)
		return fail(why, -E2BIG,
			    "guest memory map has %u regions: the zero page holds %u (e820_table "
			    "0x2D0)",
			    cfg->nr_mem, LINUX_E820_MAX_ZEROPAGE);
	for (unsigned i = 0; i < cfg->nr_mem; i++) {
		const struct linux_mem_region *r = &cfg->mem[i];
		u64 b = gpa_val(r->base);

		if (!r->size || b + r->size < b)
			return fail(why, -EINVAL, "memory region %u at 0x%llx: size 0x%llx", i,
				    (unsigned long long)b, (unsigned long long)r->size);
		if (r->type < LINUX_E820_RAM || r->type > LINUX_E820_UNUSABLE)
			return fail(why, -EINVAL, "memory region %u at 0x%llx: e820 type %u", i,
				    (unsigned long long)b, r->type);
		for (unsigned j = 0; j < i; j++) {
			u64 b2 = gpa_val(cfg->mem[j].base);

			if (overlaps(b, b + r->size, b2, b2 + cfg->mem[j].size))
				return fail(why, -EINVAL,
					    "memory regions %u (0x%llx) and %u (0x%llx) overlap", j,
					    (unsigned long long)b2, i, (unsigned long long)b);
		}
	}
	return 0;
}

int linux_boot_plan(const struct linux_image *img, const struct linux_boot_config *cfg,
		    struct linux_boot_plan *plan, char *why)
{
	const struct linux_setup_header *h = &img->hdr;
	bool above4g = h->xloadflags & LINUX_XLF_CAN_BE_LOADED_ABOVE_4G;
	u64 high = above4g ? ~0ULL : FOUR_GIB;
	u64 ba = gpa_val(cfg->boot_area), need, off, span, load, limit;
	const char *cl = cfg->cmdline ? cfg->cmdline : "";
	struct range busy[2];
	int r;

	memset(plan, 0, sizeof(*plan));
	if (why)
		why[0] = 0;
	r = check_map(cfg, why);
	if (r)
		return r;

	/* Command line: cmdline_size is the longest string without its NUL
	 * ("Details of Header Fields", cmdline_size). */
	plan->cmdline_len = strlen(cl);
	if (plan->cmdline_len > h->cmdline_size)
		return fail(why, -E2BIG,
			    "command line is %llu bytes: cmdline_size (0x238) allows %u",
			    (unsigned long long)plan->cmdline_len, h->cmdline_size);

	/* Boot area: zero page, command line, setup_data chain. */
	if (cfg->nr_setup > LINUX_MAX_SETUP_ITEMS)
		return fail(why, -E2BIG, "%u setup_data items: at most %u", cfg->nr_setup,
			    LINUX_MAX_SETUP_ITEMS);
	off = PAGE_SIZE + plan->cmdline_len + 1;
	for (unsigned i = 0; i < cfg->nr_setup; i++) {
		if (!cfg->setup || (cfg->setup[i].len && !cfg->setup[i].data))
			return fail(why, -EINVAL, "setup_data item %u of type %u has no data", i,
				    cfg->setup ? cfg->setup[i].type : 0);
		off = ALIGN_UP(off, 8);
		if (i == 0)
			plan->setup_data = gpa(ba + off);
		off += sizeof(struct linux_setup_data) + cfg->setup[i].len;
	}
	need = off;
	plan->setup_bytes = cfg->nr_setup ? off - (gpa_val(plan->setup_data) - ba) : 0;
	if (!IS_ALIGNED(ba, PAGE_SIZE) || !ba)
		return fail(why, -EINVAL, "boot area 0x%llx is not a non-zero page-aligned GPA",
			    (unsigned long long)ba);
	if (need > cfg->boot_area_size)
		return fail(
		    why, -ENOSPC,
		    "boot area is 0x%llx bytes: zero page + command line (%llu) + setup_data "
		    "need 0x%llx",
		    (unsigned long long)cfg->boot_area_size, (unsigned long long)plan->cmdline_len,
		    (unsigned long long)need);
	if (!ram_holding(cfg, ba, ba + cfg->boot_area_size) || ba + cfg->boot_area_size > high)
		return fail(why, -EINVAL,
			    "boot area [0x%llx, 0x%llx) is not inside one RAM region%s",
			    (unsigned long long)ba, (unsigned long long)(ba + cfg->boot_area_size),
			    above4g ? "" : " below 4 GiB (XLF_CAN_BE_LOADED_ABOVE_4G clear)");
	plan->zero_page = gpa(ba);
	plan->cmdline = gpa(ba + PAGE_SIZE);
	busy[0] = (struct range){ba, ba + cfg->boot_area_size};

	/* The kernel: aligned to kernel_alignment, init_size bytes free after it
	 * ("Details of Header Fields", init_size, kernel_alignment). Prefer
	 * pref_address, else the lowest fitting address from 1 MiB. */
	span = ALIGN_UP(MAX((u64)h->init_size, img->kernel_size), PAGE_SIZE);
	load = 0;
	if (h->pref_address && IS_ALIGNED(h->pref_address, h->kernel_alignment))
		load = place_low(cfg, h->pref_address, span, h->kernel_alignment, high, busy, 1);
	if (!load)
		load = place_low(cfg, MiB(1), span, h->kernel_alignment, high, busy, 1);
	if (!load) {
		u64 largest = 0;

		for (unsigned i = 0; i < cfg->nr_mem; i++)
			if (cfg->mem[i].type == LINUX_E820_RAM)
				largest = MAX(largest, cfg->mem[i].size);
		return fail(
		    why, -ENOSPC,
		    "init_size (0x260) 0x%x at kernel_alignment (0x230) 0x%x does not fit in "
		    "guest RAM (largest region 0x%llx, boot area excluded)",
		    h->init_size, h->kernel_alignment, (unsigned long long)largest);
	}
	plan->kernel_load = gpa(load);
	plan->kernel_span = span;
	plan->entry64 = gpa(load + LINUX_ENTRY64_OFF);
	busy[1] = (struct range){load, load + span};

	/* The initrd: as high as possible, page aligned, at or below
	 * initrd_addr_max (its highest byte) unless the kernel takes it above
	 * 4 GiB ("Details of Header Fields", initrd_addr_max; xloadflags). */
	if (cfg->initrd_size) {
		limit = cfg->initrd_limit ? cfg->initrd_limit : FOUR_GIB;
		if (!above4g)
			limit = MIN(limit, (u64)h->initrd_addr_max + 1);
		limit = MIN(limit, high);
		if (!above4g && cfg->initrd_size > 0xFFFFFFFFULL)
			return fail(why, -E2BIG, "initrd of 0x%llx bytes: ramdisk_size is 32 bits",
				    (unsigned long long)cfg->initrd_size);
		plan->initrd = gpa(place_high(cfg, cfg->initrd_size, limit, busy, 2));
		if (!gpa_val(plan->initrd))
			return fail(why, -ENOSPC,
				    "initrd of 0x%llx bytes does not fit in RAM below 0x%llx "
				    "(initrd_addr_max (0x22C) 0x%x; kernel at 0x%llx+0x%llx, boot "
				    "area at 0x%llx)",
				    (unsigned long long)cfg->initrd_size, (unsigned long long)limit,
				    h->initrd_addr_max, (unsigned long long)load,
				    (unsigned long long)span, (unsigned long long)ba);
		plan->initrd_size = cfg->initrd_size;
	}
	plan->nr_e820 = cfg->nr_mem;
	return 0;
}

/* ---- the zero page (zero-page.rst; boot.rst "64-bit Boot Protocol") ------- */

void linux_boot_params_build(const struct linux_image *img, const struct linux_boot_config *cfg,
			     const struct linux_boot_plan *plan, struct linux_boot_params *bp)
{
	struct linux_setup_header *h = &bp->hdr;
	u64 cl = gpa_val(plan->cmdline), rd = gpa_val(plan->initrd);
	unsigned n = 0;

	/* Zeroed, then the header as the file has it (up to 0x202 + byte 0x201). */
	memset(bp, 0, sizeof(*bp));
	memcpy(h, img->data + LINUX_SETUP_HDR_OFF,
	       MIN(img->hdr_end, (u64)0x26C) - LINUX_SETUP_HDR_OFF);
	h->type_of_loader = LINUX_LOADER_UNDEFINED; /* else the initrd is ignored */
	h->loadflags |= LINUX_LOADED_HIGH;
	h->loadflags &= (u8) ~(LINUX_CAN_USE_HEAP | LINUX_KEEP_SEGMENTS);
	h->code32_start = (u32)gpa_val(plan->kernel_load);
	h->cmd_line_ptr = (u32)cl;
	bp->ext_cmd_line_ptr = (u32)(cl >> 32);
	h->ramdisk_image = (u32)rd;
	bp->ext_ramdisk_image = (u32)(rd >> 32);
	h->ramdisk_size = (u32)plan->initrd_size;
	bp->ext_ramdisk_size = (u32)(plan->initrd_size >> 32);
	h->setup_data = gpa_val(plan->setup_data);
	bp->acpi_rsdp_addr = gpa_val(cfg->acpi_rsdp);

	/* e820 in address order (the kernel sanitizes it, but keep it tidy). */
	for (u64 last = 0, first = 1; n < cfg->nr_mem; n++) {
		const struct linux_mem_region *pick = NULL;

		for (unsigned i = 0; i < cfg->nr_mem; i++) {
			u64 b = gpa_val(cfg->mem[i].base);

			if ((first || b > last) && (!pick || b < gpa_val(pick->base)))
				pick = &cfg->mem[i];
		}
		if (!pick)
			break;
		bp->e820_table[n] = (struct linux_e820_entry){
		    .addr = gpa_val(pick->base), .size = pick->size, .type = pick->type};
		last = gpa_val(pick->base);
		first = 0;
	}
	bp->e820_entries = (u8)n;
}

int linux_boot_write(const struct linux_image *img, const struct linux_boot_config *cfg,
		     const struct linux_boot_plan *plan, const void *initrd, linux_write_fn write,
		     void *ctx)
{
	static struct linux_boot_params bp; /* 4 KiB: not on the firmware's stack */
	const char *cl = cfg->cmdline ? cfg->cmdline : "";
	u64 at = gpa_val(plan->setup_data);
	int r;

	if (plan->initrd_size && !initrd)
		return fail(NULL, -EINVAL, "initrd of %llu bytes planned but no data given",
			    (unsigned long long)plan->initrd_size);
	r = write(ctx, plan->kernel_load, img->data + img->kernel_off, img->kernel_size);
	if (r)
		return r;
	linux_boot_params_build(img, cfg, plan, &bp);
	r = write(ctx, plan->zero_page, &bp, sizeof(bp));
	if (!r)
		r = write(ctx, plan->cmdline, cl, plan->cmdline_len + 1);
	for (unsigned i = 0; !r && i < cfg->nr_setup; i++) {
		const struct linux_setup_item *it = &cfg->setup[i];
		u64 next = ALIGN_UP(at + sizeof(struct linux_setup_data) + it->len, 8);
		struct linux_setup_data sd = {
		    .next = i + 1 < cfg->nr_setup ? next : 0, .type = it->type, .len = it->len};

		r = write(ctx, gpa(at), &sd, sizeof(sd));
		if (!r && it->len)
			r = write(ctx, gpa(at + sizeof(sd)), it->data, it->len);
		at = next;
	}
	if (!r && plan->initrd_size)
		r = write(ctx, plan->initrd, initrd, plan->initrd_size);
	return r;
}
