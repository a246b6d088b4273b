/* SNP launch digest: the chain of SHA-384 hashes over PAGE_INFO that the
 * firmware builds on every SNP_LAUNCH_UPDATE (SNP firmware ABI, AMD 56860,
 * 8.17.2 "PAGE_INFO"). The PSP model calls snp_measure_page() once per 4 KiB
 * page it is asked to launch; tools/snp-measure predicts the same value on
 * the host. Conventions and sources: docs/measure.md. */
#ifndef SNP_MEASURE_H
#define SNP_MEASURE_H

#include "hv/base/types.h"
#include "snp/sha384.h"

#define SNP_DIGEST_SIZE	   SHA384_DIGEST_SIZE
#define SNP_DIGEST_HEX_LEN (2 * SNP_DIGEST_SIZE) /* 96, plus NUL for buffers */

/* SNP_LAUNCH_UPDATE PAGE_TYPE (56860, 8.17). The values go into the digest. */
enum snp_page_type {
	SNP_PAGE_TYPE_NORMAL = 1,
	SNP_PAGE_TYPE_VMSA = 2,
	SNP_PAGE_TYPE_ZERO = 3,
	SNP_PAGE_TYPE_UNMEASURED = 4,
	SNP_PAGE_TYPE_SECRETS = 5,
	SNP_PAGE_TYPE_CPUID = 6,
};

/* The firmware measures a VMSA at its RMP.GPA, which the hypervisor sets to
 * (u64)-1: page-aligned and cut to the system physical-address width. This
 * is the 48-bit (Milan) value that public tools and Linux guests use; a
 * 52-bit part (Genoa) measures 0x7FFFFFFFFF000 instead (docs/measure.md). */
#define SNP_VMSA_GPA 0xFFFFFFFFF000ULL

/* PAGE_INFO, 0x70 bytes, little-endian (56860, 8.17.2). The dword at 0x64
 * holds reserved[7:0], VMPL1_PERMS[15:8], VMPL2_PERMS[23:16],
 * VMPL3_PERMS[31:24], the same packing as the LAUNCH_UPDATE command buffer;
 * as bytes that is reserved, vmpl1, vmpl2, vmpl3 (docs/measure.md explains
 * why this differs from the order snp-facts.md lists). */
struct snp_page_info {
	u8 digest_cur[SNP_DIGEST_SIZE]; /* 0x00: launch digest before this page */
	u8 contents[SNP_DIGEST_SIZE];	/* 0x30: SHA-384(page) or zeros */
	u16 length;			/* 0x60: sizeof(struct snp_page_info) */
	u8 page_type;			/* 0x62: enum snp_page_type */
	u8 imi_page;			/* 0x63: IMI_PAGE flag */
	u8 reserved_0x64;		/* 0x64: zero */
	u8 vmpl1_perms;			/* 0x65 */
	u8 vmpl2_perms;			/* 0x66 */
	u8 vmpl3_perms;			/* 0x67 */
	u64 gpa;			/* 0x68: page GPA (SNP_VMSA_GPA for a VMSA) */
} __packed;

CHECK_SIZE(struct snp_page_info, 0x70);
CHECK_OFFSET(struct snp_page_info, digest_cur, 0x00);
CHECK_OFFSET(struct snp_page_info, contents, 0x30);
CHECK_OFFSET(struct snp_page_info, length, 0x60);
CHECK_OFFSET(struct snp_page_info, page_type, 0x62);
CHECK_OFFSET(struct snp_page_info, imi_page, 0x63);
CHECK_OFFSET(struct snp_page_info, reserved_0x64, 0x64);
CHECK_OFFSET(struct snp_page_info, vmpl1_perms, 0x65);
CHECK_OFFSET(struct snp_page_info, vmpl2_perms, 0x66);
CHECK_OFFSET(struct snp_page_info, vmpl3_perms, 0x67);
CHECK_OFFSET(struct snp_page_info, gpa, 0x68);

/* The launch digest of one guest context (GCTX.LD). */
struct snp_measure {
	u8 digest[SNP_DIGEST_SIZE];
};

/* Starts the chain at 48 zero bytes (SNP_LAUNCH_START). */
void snp_measure_init(struct snp_measure *m);

/* Folds one 4 KiB page into the digest. page is the 4096 bytes the firmware
 * sees for NORMAL and VMSA (NULL is not allowed for those) and is ignored
 * for the other types, whose contents field is 48 zero bytes. For VMSA the
 * gpa argument is ignored and SNP_VMSA_GPA measured. The type must be a
 * valid enum snp_page_type: the caller validates PAGE_TYPE before measuring
 * (a bad type or a NULL page here is a hypervisor bug: BUG_ON). */
void snp_measure_page(struct snp_measure *m, u64 gpa, enum snp_page_type type, const void *page,
		      u8 imi, u8 vmpl3, u8 vmpl2, u8 vmpl1);

/* 96 lowercase hex characters and a NUL. */
void snp_measure_hex(const struct snp_measure *m, char out[SNP_DIGEST_HEX_LEN + 1]);

/* The two halves of snp_measure_page(), for tools that show each step:
 * build the PAGE_INFO of a page against the current digest, then hash it
 * into the digest. gpa is written as given except for VMSA (as above). */
void snp_page_info_build(struct snp_page_info *pi, const struct snp_measure *m, u64 gpa,
			 enum snp_page_type type, const void *page, u8 imi, u8 vmpl3, u8 vmpl2,
			 u8 vmpl1);
void snp_measure_extend(struct snp_measure *m, const struct snp_page_info *pi);

/* The image launch convention (docs/measure.md): the len bytes of image are
 * measured as NORMAL pages at load_gpa, load_gpa + 4096, ..., in ascending
 * order, the last partial page padded with zeros; imi and perms 0. Nothing
 * else. load_gpa must be page-aligned (-EINVAL otherwise). */
int snp_measure_image(struct snp_measure *m, u64 load_gpa, const void *image, size_t len);

/* The SNP image header (docs/guest-abi.md "Image header"): 12 bytes at
 * offset 4 of a flat guest image, between the 2-byte jump of the 32-bit
 * entry and the 64-bit entry at SNP_ENTRY64_OFFSET (0x10). The linker fills
 * mem_size = end of .bss - image start: the bytes the guest touches before
 * its own PVALIDATE pass. The file's pages are launched NORMAL, the rest up
 * to mem_size ZERO, so that .bss and the stack are validated at launch. */
#define SNP_IMAGE_HDR_OFFSET 4
#define SNP_IMAGE_MAGIC	     0x49504e53U /* "SNPI" in memory order: 53 4e 50 49 */
#define SNP_IMAGE_MIN_LEN    0x10	 /* the header ends where the 64-bit entry starts */

struct snp_image_hdr {
	u32 magic;    /* +0x04: SNP_IMAGE_MAGIC */
	u64 mem_size; /* +0x08: bytes from the image start to the end of .bss */
} __packed;

CHECK_SIZE(struct snp_image_hdr, 12);
CHECK_OFFSET(struct snp_image_hdr, mem_size, 4);

/* Reads the header of image (len file bytes). 0 and *mem_size, or
 * -ENOEXEC (too short, no magic) / -EINVAL (mem_size below len or not below
 * 4 GiB); *why then says what, for the caller's message. */
int snp_image_parse(const void *image, size_t len, u64 *mem_size, const char **why);

/* The launch of an SNP image with a header: the file's pages NORMAL as
 * snp_measure_image(), then the pages up to ALIGN_UP(mem_size, 4096) ZERO,
 * in ascending GPA order. -ENOEXEC/-EINVAL as snp_image_parse, -EINVAL for
 * an unaligned load_gpa. */
int snp_measure_snp_image(struct snp_measure *m, u64 load_gpa, const void *image, size_t len);

/* "normal", "vmsa", ... for a valid type, NULL otherwise. */
const char *snp_page_type_name(enum snp_page_type type);
/* The type named name (the names above), or -EINVAL. */
int snp_page_type_parse(const char *name);
/* True for the types whose page contents are hashed (NORMAL, VMSA). */
bool snp_page_type_has_contents(enum snp_page_type type);

#endif
