/* SNP launch digest (SNP firmware ABI, AMD 56860, 8.17.2): for each launched
 * page, LD := SHA-384(PAGE_INFO{LD, SHA-384(page) or 0, ..., gpa}). */
#include "snp/measure.h"

#include <errno.h>
#include <string.h>

#include "hv/base/log.h"

static const char *const type_names[] = {
    [SNP_PAGE_TYPE_NORMAL] = "normal",	 [SNP_PAGE_TYPE_VMSA] = "vmsa",
    [SNP_PAGE_TYPE_ZERO] = "zero",	 [SNP_PAGE_TYPE_UNMEASURED] = "unmeasured",
    [SNP_PAGE_TYPE_SECRETS] = "secrets", [SNP_PAGE_TYPE_CPUID] = "cpuid",
};

const char *snp_page_type_name(enum snp_page_type type)
{
	if ((unsigned int)type >= ARRAY_SIZE(type_names))
		return NULL;
	return type_names[type];
}

int snp_page_type_parse(const char *name)
{
	for (unsigned int t = SNP_PAGE_TYPE_NORMAL; t < ARRAY_SIZE(type_names); t++)
		if (!strcmp(name, type_names[t]))
			return t;
	return -EINVAL;
}

bool snp_page_type_has_contents(enum snp_page_type type)
{
	return type == SNP_PAGE_TYPE_NORMAL || type == SNP_PAGE_TYPE_VMSA;
}

void snp_measure_init(struct snp_measure *m)
{
	memset(m->digest, 0, sizeof(m->digest));
}

/* PAGE_INFO from an already computed contents digest. */
static void page_info_fill(struct snp_page_info *pi, const struct snp_measure *m, u64 gpa,
			   enum snp_page_type type, const u8 *contents, u8 imi, u8 vmpl3, u8 vmpl2,
			   u8 vmpl1)
{
	memset(pi, 0, sizeof(*pi));
	memcpy(pi->digest_cur, m->digest, sizeof(pi->digest_cur));
	if (contents)
		memcpy(pi->contents, contents, sizeof(pi->contents));
	pi->length = sizeof(*pi);
	pi->page_type = type;
	pi->imi_page = imi;
	pi->vmpl1_perms = vmpl1;
	pi->vmpl2_perms = vmpl2;
	pi->vmpl3_perms = vmpl3;
	pi->gpa = type == SNP_PAGE_TYPE_VMSA ? SNP_VMSA_GPA : gpa;
}

void snp_page_info_build(struct snp_page_info *pi, const struct snp_measure *m, u64 gpa,
			 enum snp_page_type type, const void *page, u8 imi, u8 vmpl3, u8 vmpl2,
			 u8 vmpl1)
{
	u8 contents[SNP_DIGEST_SIZE];
	bool measured = snp_page_type_has_contents(type);

	BUG_ON(!snp_page_type_name(type));
	if (measured) {
		BUG_ON(!page);
		sha384(page, PAGE_SIZE, contents);
	}
	page_info_fill(pi, m, gpa, type, measured ? contents : NULL, imi, vmpl3, vmpl2, vmpl1);
}

void snp_measure_extend(struct snp_measure *m, const struct snp_page_info *pi)
{
	/* The struct is packed and x86 is little-endian, so its bytes are the
	 * firmware's PAGE_INFO as they stand. */
	sha384(pi, sizeof(*pi), m->digest);
}

void snp_measure_page(struct snp_measure *m, u64 gpa, enum snp_page_type type, const void *page,
		      u8 imi, u8 vmpl3, u8 vmpl2, u8 vmpl1)
{
	struct snp_page_info pi;

	snp_page_info_build(&pi, m, gpa, type, page, imi, vmpl3, vmpl2, vmpl1);
	snp_measure_extend(m, &pi);
}

void snp_measure_hex(const struct snp_measure *m, char out[SNP_DIGEST_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < SNP_DIGEST_SIZE; i++) {
		out[2 * i] = hex[m->digest[i] >> 4];
		out[2 * i + 1] = hex[m->digest[i] & 15];
	}
	out[SNP_DIGEST_HEX_LEN] = '\0';
}

int snp_measure_image(struct snp_measure *m, u64 load_gpa, const void *image, size_t len)
{
	static const u8 zeros[SHA384_BLOCK_SIZE];
	const u8 *p = image;
	struct snp_page_info pi;
	struct sha384_ctx ctx;
	u8 contents[SNP_DIGEST_SIZE];

	if (!IS_ALIGNED(load_gpa, PAGE_SIZE)) {
		pr_err("snp measure: image load GPA %#llx is not 4 KiB aligned\n",
		       (unsigned long long)load_gpa);
		return -EINVAL;
	}
	for (; len >= PAGE_SIZE; len -= PAGE_SIZE, p += PAGE_SIZE, load_gpa += PAGE_SIZE)
		snp_measure_page(m, load_gpa, SNP_PAGE_TYPE_NORMAL, p, 0, 0, 0, 0);
	if (!len)
		return 0;
	/* The last partial page: hash it zero-padded to 4 KiB without a 4 KiB
	 * buffer on the hypervisor stack. */
	sha384_init(&ctx);
	sha384_update(&ctx, p, len);
	for (size_t pad = PAGE_SIZE - len; pad; pad -= MIN(pad, sizeof(zeros)))
		sha384_update(&ctx, zeros, MIN(pad, sizeof(zeros)));
	sha384_final(&ctx, contents);
	page_info_fill(&pi, m, load_gpa, SNP_PAGE_TYPE_NORMAL, contents, 0, 0, 0, 0);
	snp_measure_extend(m, &pi);
	return 0;
}

int snp_image_parse(const void *image, size_t len, u64 *mem_size, const char **why)
{
	struct snp_image_hdr h;

	if (len < SNP_IMAGE_MIN_LEN) {
		*why = "shorter than the 16-byte entry block";
		return -ENOEXEC;
	}
	memcpy(&h, (const u8 *)image + SNP_IMAGE_HDR_OFFSET, sizeof(h));
	if (h.magic != SNP_IMAGE_MAGIC) {
		*why = "no SNP image header (magic at offset 4)";
		return -ENOEXEC;
	}
	if (h.mem_size < len || h.mem_size >= (1ULL << 32)) {
		*why = "header memory size is below the file size or not below 4 GiB";
		return -EINVAL;
	}
	*mem_size = h.mem_size;
	*why = NULL;
	return 0;
}

int snp_measure_snp_image(struct snp_measure *m, u64 load_gpa, const void *image, size_t len)
{
	const char *why;
	u64 mem, a;
	int ret = snp_image_parse(image, len, &mem, &why);

	if (ret) {
		pr_err("snp measure: image: %s\n", why);
		return ret;
	}
	ret = snp_measure_image(m, load_gpa, image, len);
	if (ret)
		return ret;
	for (a = ALIGN_UP(len, PAGE_SIZE); a < ALIGN_UP(mem, PAGE_SIZE); a += PAGE_SIZE)
		snp_measure_page(m, load_gpa + a, SNP_PAGE_TYPE_ZERO, NULL, 0, 0, 0, 0);
	return 0;
}
