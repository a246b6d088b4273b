/* ACPI IVRS (I/O Virtualization Reporting Structure) parser: decodes the
 * table that describes the AMD IOMMUs, the devices behind them and the
 * memory ranges they must map (AMD IOMMU spec 48882, section 5 "ACPI
 * tables"). The decoded form lives in a caller-provided struct with fixed
 * capacities, so the hypervisor can use it without a heap. See docs/ivrs.md. */
#ifndef IOMMU_IVRS_H
#define IOMMU_IVRS_H

#include "hv/arch/x86/acpi.h" /* struct acpi_header (ACPI 6.x, 5.2.6) */
#include "hv/base/bits.h"
#include "hv/base/types.h"

/* ---- raw layouts (48882 section 5.2) ------------------------------------ */


/* IVRS header: ACPI header, IVinfo, 8 reserved bytes (48882 5.2.1). */
struct ivrs_raw_header {
	struct acpi_header hdr;
	u32 ivinfo;
	u8 reserved[8];
} __packed;
CHECK_SIZE(struct ivrs_raw_header, 48);
CHECK_OFFSET(struct ivrs_raw_header, ivinfo, 36);

/* IVinfo bits (48882 5.2.1). */
#define IVINFO_EFR_SUP	   BIT(0)	   /* IVHD 11h/40h EFR image valid */
#define IVINFO_DMA_REMAP   BIT(1)	   /* pre-boot DMA remapping in use */
#define IVINFO_GVA_SIZE	   GENMASK(7, 5)   /* 010b = 48 bits */
#define IVINFO_PA_SIZE	   GENMASK(14, 8)  /* bits of physical address */
#define IVINFO_VA_SIZE	   GENMASK(21, 15) /* bits of virtual address */
#define IVINFO_HT_ATS_RESV BIT(22)	   /* HT ATS range reserved */

/* Common start of every IVRS block (IVHD, IVMD, unknown). */
struct ivrs_raw_block {
	u8 type;
	u8 flags;
	u16 length;
	u16 devid;
} __packed;
CHECK_SIZE(struct ivrs_raw_block, 6);

/* IVHD header (48882 5.2.2.1): 24 bytes for type 10h, 40 bytes for 11h/40h. */
struct ivrs_raw_ivhd {
	u8 type;
	u8 flags;
	u16 length;
	u16 devid;	/* the IOMMU's own PCI function */
	u16 cap_offset; /* its capability block in PCI config space */
	u64 base;	/* MMIO register base */
	u16 pci_seg;
	u16 iommu_info; /* MSI number, unit ID */
	u32 attr;	/* 10h: IOMMU feature reporting; 11h/40h: attributes */
	u64 efr;	/* 11h/40h only: image of the EFR register */
	u64 efr2;	/* 11h/40h only: EFR2 image (reserved before rev 3.x) */
} __packed;
CHECK_SIZE(struct ivrs_raw_ivhd, 40);
CHECK_OFFSET(struct ivrs_raw_ivhd, base, 8);
CHECK_OFFSET(struct ivrs_raw_ivhd, attr, 20);
CHECK_OFFSET(struct ivrs_raw_ivhd, efr, 24);
#define IVHD10_HDR_LEN 24
#define IVHD11_HDR_LEN 40

/* IVHD flags (48882 5.2.2.1, Linux IVHD_FLAG_* names). */
#define IVHD_FLAG_HT_TUN_EN BIT(0)
#define IVHD_FLAG_PASSPW    BIT(1)
#define IVHD_FLAG_RESPASSPW BIT(2)
#define IVHD_FLAG_ISOC	    BIT(3)
#define IVHD_FLAG_IOTLB_SUP BIT(4)
#define IVHD_FLAG_COHERENT  BIT(5)
#define IVHD_FLAG_PREF_SUP  BIT(6) /* 10h only */
#define IVHD_FLAG_PPR_SUP   BIT(7) /* 10h only */

/* IOMMU info field. */
#define IVHD_INFO_MSI_NUM GENMASK(4, 0)
#define IVHD_INFO_UNIT_ID GENMASK(12, 8)

/* IVMD block (48882 5.2.3), 32 bytes. */
struct ivrs_raw_ivmd {
	u8 type;
	u8 flags;
	u16 length;
	u16 devid; /* 21h: the device; 22h: first device of the range */
	u16 aux;   /* 22h: last device of the range */
	u16 pci_seg;
	u8 reserved[6];
	u64 start;
	u64 size;
} __packed;
CHECK_SIZE(struct ivrs_raw_ivmd, 32);
CHECK_OFFSET(struct ivrs_raw_ivmd, start, 16);

#define IVMD_FLAG_UNITY	     BIT(0)
#define IVMD_FLAG_IR	     BIT(1)
#define IVMD_FLAG_IW	     BIT(2)
#define IVMD_FLAG_EXCL_RANGE BIT(3)

/* Block types (48882 5.2.2, 5.2.3). */
#define IVRS_TYPE_IVHD_10    0x10
#define IVRS_TYPE_IVHD_11    0x11
#define IVRS_TYPE_IVHD_40    0x40
#define IVRS_TYPE_IVMD_ALL   0x20
#define IVRS_TYPE_IVMD_SEL   0x21
#define IVRS_TYPE_IVMD_RANGE 0x22

/* IVHD device entry types (48882 5.2.2.2). The top two bits of types below
 * 80h encode the length: 00b 4 bytes, 01b 8 bytes. */
#define IVHD_DEV_PAD4	     0x00
#define IVHD_DEV_ALL	     0x01
#define IVHD_DEV_SELECT	     0x02
#define IVHD_DEV_RANGE_START 0x03
#define IVHD_DEV_RANGE_END   0x04
#define IVHD_DEV_PAD8	     0x40
#define IVHD_DEV_ALIAS	     0x42
#define IVHD_DEV_ALIAS_RANGE 0x43
#define IVHD_DEV_EXT_SELECT  0x46
#define IVHD_DEV_EXT_RANGE   0x47
#define IVHD_DEV_SPECIAL     0x48
#define IVHD_DEV_ACPI_HID    0xF0

/* 4- and 8-byte device entries share this layout; the meaning of bytes 4..7
 * depends on the type (alias: source devid at 5; ext: u32; special: handle,
 * BDF at 5, variety at 7). */
struct ivhd_raw_entry {
	u8 type;
	u16 devid;
	u8 dte; /* DTE settings byte */
	u8 b4;
	u16 w5;
	u8 b7;
} __packed;
CHECK_SIZE(struct ivhd_raw_entry, 8);
CHECK_OFFSET(struct ivhd_raw_entry, w5, 5);

/* ACPI HID entry, type F0h: 22 fixed bytes then the UID. */
struct ivhd_raw_hid {
	u8 type;
	u16 devid;
	u8 dte;
	char hid[8];
	char cid[8];
	u8 uid_format; /* 0 none, 1 integer, 2 string */
	u8 uid_len;
} __packed;
CHECK_SIZE(struct ivhd_raw_hid, 22);
CHECK_OFFSET(struct ivhd_raw_hid, uid_format, 20);

/* DTE settings byte of a device entry (48882 5.2.2.2, Table "DTE setting"). */
#define IVHD_DTE_INIT_PASS  BIT(0)
#define IVHD_DTE_EINT_PASS  BIT(1)
#define IVHD_DTE_NMI_PASS   BIT(2)
#define IVHD_DTE_SYS_MGT    GENMASK(5, 4)
#define IVHD_DTE_LINT0_PASS BIT(6)
#define IVHD_DTE_LINT1_PASS BIT(7)

/* Extended data of 46h/47h. */
#define IVHD_EXT_ATS_DISABLED BIT(31)

/* Special device variety (48h byte 7). */
#define IVHD_SPECIAL_IOAPIC 1
#define IVHD_SPECIAL_HPET   2

#define IVHD_UID_NONE	0
#define IVHD_UID_INT	1
#define IVHD_UID_STRING 2

/* ---- decoded form ------------------------------------------------------- */

#ifndef IVRS_MAX_BLOCKS
#define IVRS_MAX_BLOCKS 48
#endif
#ifndef IVRS_MAX_IVHDS
#define IVRS_MAX_IVHDS 24
#endif
#ifndef IVRS_MAX_IOMMUS
#define IVRS_MAX_IOMMUS 16
#endif
#ifndef IVRS_MAX_DEVS
#define IVRS_MAX_DEVS 256
#endif
#ifndef IVRS_MAX_SPECIALS
#define IVRS_MAX_SPECIALS 48
#endif
#ifndef IVRS_MAX_HIDS
#define IVRS_MAX_HIDS 32
#endif
#ifndef IVRS_MAX_IVMDS
#define IVRS_MAX_IVMDS 32
#endif
#define IVRS_UID_MAX 32

/* PCI requester ID helpers: bus in 15:8, device 7:3, function 2:0. */
#define BDF_BUS(bdf) (((bdf) >> 8) & 0xff)
#define BDF_DEV(bdf) (((bdf) >> 3) & 0x1f)
#define BDF_FN(bdf)  ((bdf)&0x7)

/* One block of the table, in table order (IVHD, IVMD or unknown). */
struct ivrs_block {
	u32 offset;
	u16 length;
	u8 type;
	u8 flags;
	u16 index; /* into ivhds[] or ivmds[]; 0xffff for an unknown type */
};

/* One IVHD block. An IOMMU described by several blocks (10h and 11h/40h)
 * appears once per block; only the block of the highest type is active. */
struct ivrs_ivhd {
	u32 offset;
	u16 length;
	u8 type;
	u8 flags;
	u16 devid;
	u16 cap_offset;
	u16 pci_seg;
	u16 iommu_info;
	u64 base;
	u32 attr;
	u64 efr;  /* 11h/40h only, else 0 */
	u64 efr2; /* 11h/40h only, else 0 */
	bool active;
	u8 iommu;      /* index into iommu_ivhd[] */
	u16 dev_first; /* its device entries: devs[dev_first .. +dev_count) */
	u16 dev_count;
	u64 types_seen[4]; /* bitmap of device entry types met, pads included */
};

/* One device entry, or a start/end pair merged into a range. */
struct ivrs_dev {
	u32 offset; /* of the (start) entry in the table */
	u8 type;    /* entry type: 01h, 02h, 03h, 42h, 43h, 46h, 47h, 48h, F0h */
	u8 dte;	    /* DTE settings byte */
	u16 first;  /* device IDs covered, inclusive */
	u16 last;
	u16 alias; /* 42h/43h: the source devid used for the whole range */
	bool has_alias;
	u32 ext;  /* 46h/47h extended data */
	u16 ivhd; /* index into ivhds[] */
	u16 aux;  /* 48h: index into specials[]; F0h: index into hids[] */
};

struct ivrs_special {
	u8 handle;  /* IOAPIC ID or HPET number */
	u8 variety; /* IVHD_SPECIAL_IOAPIC or IVHD_SPECIAL_HPET */
	u16 devid;
	u8 dte;
	u16 ivhd;
};

struct ivrs_hid {
	char hid[9]; /* NUL-terminated copies (the table holds 8 bytes) */
	char cid[9];
	u8 uid_format;
	u8 uid_len;
	u8 uid[IVRS_UID_MAX + 1]; /* NUL-terminated when a string */
	u16 devid;
	u8 dte;
	u16 ivhd;
};

struct ivrs_ivmd {
	u32 offset;
	u8 type;
	u8 flags;
	u16 first; /* device IDs covered, inclusive (20h: all) */
	u16 last;
	u16 pci_seg;
	u64 start;
	u64 size;
};

struct ivrs_table {
	/* header */
	char oem_id[7];
	char oem_table_id[9];
	u8 revision;
	u32 length;
	u8 checksum;
	u32 oem_revision;
	u32 ivinfo;

	u16 nr_blocks, nr_ivhds, nr_iommus, nr_devs, nr_specials, nr_hids, nr_ivmds;
	struct ivrs_block blocks[IVRS_MAX_BLOCKS];
	struct ivrs_ivhd ivhds[IVRS_MAX_IVHDS];
	u16 iommu_ivhd[IVRS_MAX_IOMMUS]; /* active ivhds[] index per IOMMU */
	struct ivrs_dev devs[IVRS_MAX_DEVS];
	struct ivrs_special specials[IVRS_MAX_SPECIALS];
	struct ivrs_hid hids[IVRS_MAX_HIDS];
	struct ivrs_ivmd ivmds[IVRS_MAX_IVMDS];
};

/* Why a parse failed: errno, byte offset in the table, and a sentence. */
struct ivrs_error {
	int err;
	u32 offset;
	char msg[128];
};

/* Decode the IVRS table in buf[0..len). Returns 0, or a negative errno:
 * -EINVAL malformed or inconsistent, -EBADMSG bad checksum, -ENOSPC a
 * capacity of struct ivrs_table exceeded, -EOPNOTSUPP unsupported revision or
 * an 80h+ device entry type of unknown length. Never reads outside buf.
 * If err is NULL the reason is logged with pr_err; otherwise it is stored in
 * *err (and only logged at debug level). */
int ivrs_parse(const void *buf, size_t len, struct ivrs_table *t, struct ivrs_error *err);

/* The active IVHD of IOMMU i (0 <= i < nr_iommus). */
const struct ivrs_ivhd *ivrs_iommu(const struct ivrs_table *t, unsigned i);

/* What the table says about one device of PCI segment 0. */
struct ivrs_dev_info {
	u16 iommu;		    /* index of the IOMMU (ivrs_iommu()) */
	u8 dte;			    /* DTE settings byte */
	u16 alias;		    /* requester ID the IOMMU sees (= bdf without an alias) */
	u32 ext;		    /* 46h/47h extended data, else 0 */
	const struct ivrs_dev *dev; /* the deciding entry */
};

/* Find the IOMMU and DTE settings for bdf (segment 0). Device entries of the
 * active IVHDs are applied in table order and the last one that covers bdf
 * wins, as in Linux. Returns 0, or -ENOENT if no entry covers bdf. */
int ivrs_lookup(const struct ivrs_table *t, u16 bdf, struct ivrs_dev_info *info);

/* Iterate over the IVMDs that apply to bdf (segment 0): start with *pos = 0,
 * call until NULL. */
const struct ivrs_ivmd *ivrs_next_ivmd(const struct ivrs_table *t, u16 bdf, unsigned *pos);

/* True if the IVHD saw a device entry of this type. */
static inline bool ivrs_ivhd_saw(const struct ivrs_ivhd *h, u8 type)
{
	return (h->types_seen[type >> 6] >> (type & 63)) & 1;
}

/* Names for output. */
const char *ivrs_block_name(u8 type);
const char *ivrs_dev_name(u8 type);

#define ivrs_for_each_iommu(t, i, h)                                                               \
	for ((i) = 0; (i) < (t)->nr_iommus && ((h) = ivrs_iommu((t), (i))); (i)++)

#endif
