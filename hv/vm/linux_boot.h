/* Loading an unmodified Linux bzImage through the 64-bit boot protocol
 * (Linux Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header",
 * "Loading The Rest of The Kernel", "64-bit Boot Protocol"; the zero page is
 * Documentation/arch/x86/zero-page.rst). docs/linux.md describes the checks
 * and the layout.
 *
 * Pure: parses the image, computes a placement plan (which bytes go to which
 * GPA) from a guest memory map the caller passes in, and writes through a
 * callback. It knows nothing of gmem or the NPT. */
#ifndef HV_VM_LINUX_BOOT_H
#define HV_VM_LINUX_BOOT_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

/* ---- the setup header (boot.rst "The Real-Mode Kernel Header") ------------ */
#define LINUX_SETUP_HDR_OFF    0x1F1
#define LINUX_BOOT_FLAG	       0xAA55	  /* boot_flag at 0x1FE */
#define LINUX_HDR_MAGIC	       0x53726448 /* "HdrS" at 0x202 */
#define LINUX_MIN_VERSION      0x020C	  /* 2.12: xloadflags, the 64-bit entry flag */
#define LINUX_ENTRY64_OFF      0x200	  /* 64-bit entry: load address + 0x200 */
#define LINUX_LOADER_UNDEFINED 0xFF	  /* type_of_loader: "undefined" loader */

/* loadflags (0x211) */
#define LINUX_LOADED_HIGH   BIT(0) /* protected-mode code at 0x100000 (bzImage) */
#define LINUX_KEEP_SEGMENTS BIT(6)
#define LINUX_CAN_USE_HEAP  BIT(7)

/* xloadflags (0x236, protocol 2.12) */
#define LINUX_XLF_KERNEL_64		 BIT(0) /* has the 64-bit entry at +0x200 */
#define LINUX_XLF_CAN_BE_LOADED_ABOVE_4G BIT(1) /* kernel, zero page, cmdline, initrd */
#define LINUX_XLF_EFI_HANDOVER_32	 BIT(2)
#define LINUX_XLF_EFI_HANDOVER_64	 BIT(3)
#define LINUX_XLF_EFI_KEXEC		 BIT(4)

struct linux_setup_header {
	u8 setup_sects;		   /* 0x1F1 */
	u16 root_flags;		   /* 0x1F2 */
	u32 syssize;		   /* 0x1F4: protected-mode size in 16-byte units */
	u16 ram_size;		   /* 0x1F8 */
	u16 vid_mode;		   /* 0x1FA */
	u16 root_dev;		   /* 0x1FC */
	u16 boot_flag;		   /* 0x1FE: 0xAA55 */
	u16 jump;		   /* 0x200: byte 0x201 = header length - 0x202 */
	u32 header;		   /* 0x202: "HdrS" */
	u16 version;		   /* 0x206 */
	u32 realmode_swtch;	   /* 0x208 */
	u16 start_sys_seg;	   /* 0x20C */
	u16 kernel_version;	   /* 0x20E: string at this + 0x200 in the file */
	u8 type_of_loader;	   /* 0x210 */
	u8 loadflags;		   /* 0x211 */
	u16 setup_move_size;	   /* 0x212 */
	u32 code32_start;	   /* 0x214 */
	u32 ramdisk_image;	   /* 0x218 */
	u32 ramdisk_size;	   /* 0x21C */
	u32 bootsect_kludge;	   /* 0x220 */
	u16 heap_end_ptr;	   /* 0x224 */
	u8 ext_loader_ver;	   /* 0x226 */
	u8 ext_loader_type;	   /* 0x227 */
	u32 cmd_line_ptr;	   /* 0x228 */
	u32 initrd_addr_max;	   /* 0x22C: highest byte address of the initrd */
	u32 kernel_alignment;	   /* 0x230 */
	u8 relocatable_kernel;	   /* 0x234 */
	u8 min_alignment;	   /* 0x235: log2 */
	u16 xloadflags;		   /* 0x236 */
	u32 cmdline_size;	   /* 0x238: max length without the NUL */
	u32 hardware_subarch;	   /* 0x23C */
	u64 hardware_subarch_data; /* 0x240 */
	u32 payload_offset;	   /* 0x248: from the protected-mode start */
	u32 payload_length;	   /* 0x24C */
	u64 setup_data;		   /* 0x250: GPA of the first struct linux_setup_data */
	u64 pref_address;	   /* 0x258 */
	u32 init_size;		   /* 0x260: memory the kernel needs from its load address */
	u32 handover_offset;	   /* 0x264 */
	u32 kernel_info_offset;	   /* 0x268 */
} __packed;
CHECK_SIZE(struct linux_setup_header, 0x26C - 0x1F1);

/* ---- the zero page (zero-page.rst) ----------------------------------------- */
#define LINUX_E820_MAX_ZEROPAGE 128
#define LINUX_E820_RAM		1
#define LINUX_E820_RESERVED	2
#define LINUX_E820_ACPI		3
#define LINUX_E820_NVS		4
#define LINUX_E820_UNUSABLE	5

struct linux_e820_entry {
	u64 addr;
	u64 size;
	u32 type;
} __packed;
CHECK_SIZE(struct linux_e820_entry, 20);

struct linux_boot_params {
	u8 screen_info[0x40];	       /* 0x000 */
	u8 apm_bios_info[0x14];	       /* 0x040 */
	u8 _pad2[4];		       /* 0x054 */
	u64 tboot_addr;		       /* 0x058 */
	u8 ist_info[0x10];	       /* 0x060 */
	u64 acpi_rsdp_addr;	       /* 0x070 */
	u8 _pad3[8];		       /* 0x078 */
	u8 hd0_info[16];	       /* 0x080 */
	u8 hd1_info[16];	       /* 0x090 */
	u8 sys_desc_table[0x10];       /* 0x0A0 */
	u8 olpc_ofw_header[0x10];      /* 0x0B0 */
	u32 ext_ramdisk_image;	       /* 0x0C0: bits 63:32 of ramdisk_image */
	u32 ext_ramdisk_size;	       /* 0x0C4 */
	u32 ext_cmd_line_ptr;	       /* 0x0C8 */
	u8 _pad4[112];		       /* 0x0CC */
	u32 cc_blob_address;	       /* 0x13C */
	u8 edid_info[0x80];	       /* 0x140 */
	u8 efi_info[0x20];	       /* 0x1C0 */
	u32 alt_mem_k;		       /* 0x1E0 */
	u32 scratch;		       /* 0x1E4 */
	u8 e820_entries;	       /* 0x1E8 */
	u8 eddbuf_entries;	       /* 0x1E9 */
	u8 edd_mbr_sig_buf_entries;    /* 0x1EA */
	u8 kbd_status;		       /* 0x1EB */
	u8 secure_boot;		       /* 0x1EC */
	u8 _pad5[2];		       /* 0x1ED */
	u8 sentinel;		       /* 0x1EF: must stay 0 */
	u8 _pad6[1];		       /* 0x1F0 */
	struct linux_setup_header hdr; /* 0x1F1 */
	u8 _pad7[0x290 - 0x26C];
	u32 edd_mbr_sig_buffer[16];				     /* 0x290 */
	struct linux_e820_entry e820_table[LINUX_E820_MAX_ZEROPAGE]; /* 0x2D0 */
	u8 _pad8[48];						     /* 0xCD0 */
	u8 eddbuf[0x1EC];					     /* 0xD00 */
	u8 _pad9[276];						     /* 0xEEC */
} __packed;
CHECK_SIZE(struct linux_boot_params, 4096);
CHECK_OFFSET(struct linux_boot_params, acpi_rsdp_addr, 0x070);
CHECK_OFFSET(struct linux_boot_params, ext_ramdisk_image, 0x0C0);
CHECK_OFFSET(struct linux_boot_params, ext_ramdisk_size, 0x0C4);
CHECK_OFFSET(struct linux_boot_params, ext_cmd_line_ptr, 0x0C8);
CHECK_OFFSET(struct linux_boot_params, cc_blob_address, 0x13C);
CHECK_OFFSET(struct linux_boot_params, e820_entries, 0x1E8);
CHECK_OFFSET(struct linux_boot_params, sentinel, 0x1EF);
CHECK_OFFSET(struct linux_boot_params, hdr, 0x1F1);
CHECK_OFFSET(struct linux_boot_params, hdr.type_of_loader, 0x210);
CHECK_OFFSET(struct linux_boot_params, hdr.loadflags, 0x211);
CHECK_OFFSET(struct linux_boot_params, hdr.ramdisk_image, 0x218);
CHECK_OFFSET(struct linux_boot_params, hdr.ramdisk_size, 0x21C);
CHECK_OFFSET(struct linux_boot_params, hdr.cmd_line_ptr, 0x228);
CHECK_OFFSET(struct linux_boot_params, hdr.xloadflags, 0x236);
CHECK_OFFSET(struct linux_boot_params, hdr.setup_data, 0x250);
CHECK_OFFSET(struct linux_boot_params, hdr.init_size, 0x260);
CHECK_OFFSET(struct linux_boot_params, edd_mbr_sig_buffer, 0x290);
CHECK_OFFSET(struct linux_boot_params, e820_table, 0x2D0);
CHECK_OFFSET(struct linux_boot_params, eddbuf, 0xD00);

/* setup_data (boot.rst "Details of Header Fields", setup_data): a linked list
 * of these in guest memory, next = GPA of the next one, 0 at the end. */
struct linux_setup_data {
	u64 next;
	u32 type;
	u32 len; /* of data[] */
	u8 data[];
} __packed;
CHECK_SIZE(struct linux_setup_data, 16);
#define LINUX_SETUP_E820_EXT 1
#define LINUX_SETUP_DTB	     2
#define LINUX_SETUP_CC_BLOB  7
#define LINUX_SETUP_RNG_SEED 9

/* ---- the parsed image ------------------------------------------------------ */
struct linux_image {
	const u8 *data; /* the whole bzImage file (borrowed) */
	u64 size;
	struct linux_setup_header hdr; /* copy of 0x1F1..0x26B */
	u64 setup_size;		       /* (setup_sects, 0 means 4, + 1) * 512 */
	u64 kernel_off;		       /* file offset of the protected-mode code */
	u64 kernel_size;	       /* its bytes up to the end of the file */
	u64 hdr_end;		       /* 0x202 + byte 0x201: copied into the zero page */
	char version[128];	       /* kernel_version string, "" if absent */
};

/* Why the last call failed: the field, its value and the rule (also pr_err'd). */
#define LINUX_BOOT_ERR_LEN 200

/* Checks the image (every check names the field and its value) and fills *img.
 * 0, -EINVAL (malformed or truncated), -ENOTSUP (an image this loader cannot
 * boot: no 64-bit entry, not relocatable, protocol too old). */
int linux_image_parse(const void *data, u64 size, struct linux_image *img, char *why);

/* ---- the guest side: memory map in, plan out -------------------------------- */
struct linux_mem_region {
	gpa_t base;
	u64 size;
	u32 type; /* LINUX_E820_* */
};

struct linux_setup_item {
	u32 type;
	u32 len;
	const void *data;
};

#define LINUX_MAX_SETUP_ITEMS 8

struct linux_boot_config {
	const struct linux_mem_region *mem; /* the guest's e820 map, any order */
	unsigned nr_mem;
	/* Page-aligned RAM for the zero page, then the command line, then the
	 * setup_data chain (8-byte aligned items). */
	gpa_t boot_area;
	u64 boot_area_size;
	const char *cmdline;		      /* NULL = "" */
	u64 initrd_size;		      /* 0 = no initrd */
	u64 initrd_limit;		      /* the initrd ends at or below this GPA; 0 = 4 GiB */
	gpa_t acpi_rsdp;		      /* 0 = none */
	const struct linux_setup_item *setup; /* setup_data items, in order */
	unsigned nr_setup;
};

/* The placement plan: every GPA the loader writes. */
struct linux_boot_plan {
	gpa_t kernel_load; /* aligned to kernel_alignment; init_size bytes reserved */
	u64 kernel_span;   /* init_size, >= the file's protected-mode part */
	gpa_t entry64;	   /* kernel_load + 0x200: RIP, with RSI = zero_page */
	gpa_t zero_page;
	gpa_t cmdline;
	u64 cmdline_len;  /* without the NUL */
	gpa_t setup_data; /* first item, 0 if none */
	u64 setup_bytes;  /* bytes after the command line used by the chain */
	gpa_t initrd;	  /* 0 if none */
	u64 initrd_size;
	unsigned nr_e820;
};

/* Computes where everything goes. 0, -EINVAL (bad config), -ENOSPC (does
 * not fit: kernel, initrd, boot area), -E2BIG (command line or map too big). */
int linux_boot_plan(const struct linux_image *img, const struct linux_boot_config *cfg,
		    struct linux_boot_plan *plan, char *why);

/* Fills the 4 KiB zero page of the plan (zeroed first). */
void linux_boot_params_build(const struct linux_image *img, const struct linux_boot_config *cfg,
			     const struct linux_boot_plan *plan, struct linux_boot_params *bp);

/* Writes len bytes at gpa into the guest; 0 or a negative errno. */
typedef int (*linux_write_fn)(void *ctx, gpa_t gpa, const void *src, u64 len);

/* Writes the kernel, the zero page, the command line, the setup_data chain
 * and the initrd (initrd_size bytes of initrd) at the plan's addresses. */
int linux_boot_write(const struct linux_image *img, const struct linux_boot_config *cfg,
		     const struct linux_boot_plan *plan, const void *initrd, linux_write_fn write,
		     void *ctx);

#endif
