/* PCI configuration space: ECAM through the ACPI MCFG table, enumeration
 * behind PCI-PCI bridges, capability lists, BAR sizing, command register.
 *
 * Pure code: every config access goes through struct pci_cfg_ops, so host
 * tests run it against a fake config space. pci_ecam_ops reaches an ECAM
 * window with volatile loads and stores through phys_ptr() (in the hypervisor:
 * the identity map, uncached below 4 GiB; map other windows with
 * paging_map_mmio first).
 *
 * Specs: PCI Express Base 5.0, 7.2.2 (ECAM), 7.5.1 (type 0/1 headers), 7.5.1.2.1
 * (BARs); PCI Firmware 3.2, 4.1.2 (MCFG); AMD IOMMU 48882, 3.2.1 (IOMMU
 * capability block). See docs/iommu.md. */
#ifndef IOMMU_PCI_H
#define IOMMU_PCI_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

/* ---- configuration header (PCIe 5.0, 7.5.1.1 common part) ---------------- */
#define PCI_VENDOR_ID	    0x00 /* 16 bits; 0xFFFF: no function */
#define PCI_DEVICE_ID	    0x02
#define PCI_COMMAND	    0x04
#define PCI_STATUS	    0x06
#define PCI_CLASS_REVISION  0x08 /* class code 31:8, revision 7:0 */
#define PCI_HEADER_TYPE	    0x0E
#define PCI_BAR0	    0x10
#define PCI_CAPABILITY_LIST 0x34 /* type 0 and type 1 */
#define PCI_CFG_SPACE_SIZE  0x100
#define PCIE_CFG_SPACE_SIZE 0x1000

/* Type 1 (PCI-PCI bridge) header, PCIe 5.0 7.5.1.3. */
#define PCI_PRIMARY_BUS	    0x18
#define PCI_SECONDARY_BUS   0x19
#define PCI_SUBORDINATE_BUS 0x1A

#define PCI_COMMAND_IO		 BIT(0)
#define PCI_COMMAND_MEMORY	 BIT(1)
#define PCI_COMMAND_MASTER	 BIT(2)
#define PCI_COMMAND_INTX_DISABLE BIT(10)

#define PCI_STATUS_CAP_LIST BIT(4)

#define PCI_HEADER_TYPE_MASK	GENMASK(6, 0)
#define PCI_HEADER_TYPE_MFD	BIT(7) /* multi-function device */
#define PCI_HEADER_TYPE_NORMAL	0
#define PCI_HEADER_TYPE_BRIDGE	1
#define PCI_HEADER_TYPE_CARDBUS 2

#define PCI_CLASS_CODE_MASK GENMASK(31, 8)
#define PCI_REVISION_MASK   GENMASK(7, 0)

/* BAR bits (PCIe 5.0 7.5.1.2.1). */
#define PCI_BAR_SPACE_IO     BIT(0)
#define PCI_BAR_MEM_TYPE     GENMASK(2, 1)
#define PCI_BAR_MEM_TYPE_32  0
#define PCI_BAR_MEM_TYPE_64  2
#define PCI_BAR_MEM_PREFETCH BIT(3)
#define PCI_BAR_MEM_ADDR     GENMASK(31, 4)
#define PCI_BAR_IO_ADDR	     GENMASK(31, 2)

/* Capability list: the pointer's low two bits are reserved (PCI 3.0 6.7). */
#define PCI_CAP_ID	 0x00
#define PCI_CAP_NEXT	 0x01
#define PCI_CAP_PTR_MASK 0xFC
#define PCI_CAP_MAX_WALK 48 /* (256 - 64) / 4 capabilities at most */

#define PCI_CAP_ID_PM	  0x01
#define PCI_CAP_ID_MSI	  0x05
#define PCI_CAP_ID_SECURE 0x0F /* "Secure Device": the AMD IOMMU (48882 3.2.1) */
#define PCI_CAP_ID_EXP	  0x10
#define PCI_CAP_ID_MSIX	  0x11

/* AMD IOMMU capability block (48882 3.2.1), offsets from the capability. */
#define IOMMU_CAP_HEADER       0x00
#define IOMMU_CAP_BASE_LOW     0x04
#define IOMMU_CAP_BASE_HIGH    0x08
#define IOMMU_CAP_RANGE	       0x0C
#define IOMMU_CAP_MISC	       0x10
#define IOMMU_CAP_TYPE	       GENMASK(18, 16) /* 011b: IOMMU */
#define IOMMU_CAP_TYPE_IOMMU   3
#define IOMMU_CAP_REV	       GENMASK(23, 19)
#define IOMMU_CAP_EFR_SUP      BIT(27)
#define IOMMU_CAP_BASE_EN      BIT(0)	       /* base low: Enable */
#define IOMMU_CAP_BASE_LO_ADDR GENMASK(31, 14) /* base low: address 31:14 */
#define IOMMU_CAP_RANGE_VALID  BIT(7)
#define IOMMU_CAP_RANGE_BUS    GENMASK(15, 8)
#define IOMMU_CAP_RANGE_FIRST  GENMASK(23, 16)
#define IOMMU_CAP_RANGE_LAST   GENMASK(31, 24)

/* Requester ID / device table index: bus 15:8, device 7:3, function 2:0. */
static inline u16 pci_bdf(u8 bus, u8 dev, u8 fn)
{
	return (u16)((u16)bus << 8 | (u16)(dev & 0x1f) << 3 | (fn & 7));
}
static inline u8 pci_bdf_bus(u16 bdf)
{
	return (u8)(bdf >> 8);
}
static inline u8 pci_bdf_dev(u16 bdf)
{
	return (bdf >> 3) & 0x1f;
}
static inline u8 pci_bdf_fn(u16 bdf)
{
	return bdf & 7;
}

/* ---- MCFG (PCI Firmware 3.2, 4.1.2) --------------------------------------- */

/* One allocation entry: the ECAM window of one segment and bus range. */
struct mcfg_raw_entry {
	u64 base; /* ECAM address of bus 0 of this segment (even if start_bus > 0) */
	u16 segment;
	u8 start_bus;
	u8 end_bus;
	u32 reserved;
} __packed;
CHECK_SIZE(struct mcfg_raw_entry, 16);
#define MCFG_HEADER_LEN 44 /* ACPI header (36) + 8 reserved bytes */

struct pci_ecam {
	spa_t base; /* address of bus 0 (ECAM offset = bus << 20 | dev << 15 | fn << 12) */
	u16 segment;
	u8 start_bus, end_bus;
};

#define PCI_MAX_ECAM 8
struct pci_mcfg {
	unsigned n;
	struct pci_ecam ecam[PCI_MAX_ECAM];
};

/* Decode an MCFG table in buf[0..len). -EINVAL for a bad signature, length or
 * entry (base not 1 MiB aligned, end < start), -ENOSPC beyond PCI_MAX_ECAM
 * (the first ones are kept). The ACPI checksum is the caller's (acpi_find). */
int pci_mcfg_parse(const void *buf, size_t len, struct pci_mcfg *out);
/* The window holding (segment, bus), or NULL. */
const struct pci_ecam *pci_mcfg_find(const struct pci_mcfg *m, u16 segment, u8 bus);

/* ECAM offset of a register (PCIe 5.0 7.2.2, Table 7-1). */
static inline u64 pci_ecam_offset(u8 bus, u8 dev, u8 fn, u16 reg)
{
	return (u64)bus << 20 | (u64)(dev & 0x1f) << 15 | (u64)(fn & 7) << 12 | (reg & 0xfff);
}
/* Address of bdf's register reg in window e: -ERANGE if the bus is outside
 * the window's range or reg >= 4096. */
int pci_ecam_addr(const struct pci_ecam *e, u16 bdf, u16 reg, spa_t *out);

/* ---- config access ------------------------------------------------------ */

/* size is 1, 2 or 4 and reg is aligned to it. Reads of absent functions
 * return all ones (as hardware does). */
struct pci_cfg_ops {
	u32 (*read)(void *ctx, u16 bdf, u16 reg, unsigned size);
	void (*write)(void *ctx, u16 bdf, u16 reg, unsigned size, u32 val);
};

struct pci_access {
	const struct pci_cfg_ops *ops;
	void *ctx;
};

/* ctx = a struct pci_ecam of segment 0 (volatile accesses via phys_ptr). */
extern const struct pci_cfg_ops pci_ecam_ops;

u8 pci_read8(const struct pci_access *pa, u16 bdf, u16 reg);
u16 pci_read16(const struct pci_access *pa, u16 bdf, u16 reg);
u32 pci_read32(const struct pci_access *pa, u16 bdf, u16 reg);
void pci_write8(const struct pci_access *pa, u16 bdf, u16 reg, u8 v);
void pci_write16(const struct pci_access *pa, u16 bdf, u16 reg, u16 v);
void pci_write32(const struct pci_access *pa, u16 bdf, u16 reg, u32 v);

/* Command register: clear then set bits (16-bit write: the status register
 * beside it has write-1-to-clear bits). Returns the new value. */
u16 pci_command_update(const struct pci_access *pa, u16 bdf, u16 clear, u16 set);

/* Capability list walk from PCI_CAPABILITY_LIST: offset of the first
 * capability with id after offset `after` (0 = from the start), or -ENOENT.
 * -EIO for a list that loops, points below 0x40 or runs too long; -ENODEV for
 * an absent function. */
int pci_find_cap(const struct pci_access *pa, u16 bdf, u8 id, u8 after);

/* ---- BARs ---------------------------------------------------------------- */

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_MEM32, PCI_BAR_MEM64, PCI_BAR_IO };

struct pci_bar {
	enum pci_bar_kind kind;
	bool prefetch;
	u8 index; /* BAR number (0-5); a 64-bit BAR also occupies index + 1 */
	u64 addr; /* as programmed by firmware */
	u64 size; /* 0: unimplemented */
};

/* Decode one BAR from its original value(s) and the value(s) read back after
 * writing all ones. For a 64-bit BAR pass the upper dword's values too (else
 * 0). Returns the number of BAR registers used (1 or 2), or -EINVAL for a
 * malformed mask (reserved type 11b, non-contiguous size bits). */
int pci_bar_decode(u32 orig_lo, u32 mask_lo, u32 orig_hi, u32 mask_hi, struct pci_bar *bar);

/* Size the BARs of bdf (6 for type 0, 2 for type 1 headers): memory and I/O
 * decode are turned off while the all-ones pattern is in place, each BAR and
 * the command register are restored. Fills bars[0..*n). */
int pci_size_bars(const struct pci_access *pa, u16 bdf, struct pci_bar *bars, unsigned max,
		  unsigned *n);

/* ---- enumeration --------------------------------------------------------- */

#define PCI_DEV_MAX_BARS 6

struct pci_dev {
	u16 bdf;
	u16 vendor, device;
	u32 class_code; /* 24 bits: base class, subclass, prog-if */
	u8 revision;
	u8 hdr_type;	     /* PCI_HEADER_TYPE_* (without MFD) */
	u8 sec_bus, sub_bus; /* bridges only, as firmware programmed them */
	u16 parent;	     /* bdf of the bridge above, 0xFFFF on the root bus */
	u8 nbars;
	struct pci_bar bars[PCI_DEV_MAX_BARS];
};

struct pci_enum_stats {
	unsigned buses;	  /* buses scanned */
	unsigned bridges; /* bridges followed */
	unsigned skipped; /* bridges whose secondary bus was bad or already seen */
	bool truncated;	  /* more functions than the caller's array */
};

/* Scan root_bus, then every bus below a PCI-PCI bridge (secondary bus number
 * as firmware programmed it; nothing is reprogrammed), depth first, at most
 * the buses in [root_bus, last_bus]. BARs are sized if size_bars. A bridge
 * whose secondary bus is <= its own bus, outside the range, or already
 * scanned is reported and skipped. Returns 0 (possibly truncated, see stats). */
int pci_enumerate(const struct pci_access *pa, u8 root_bus, u8 last_bus, bool size_bars,
		  struct pci_dev *devs, unsigned max, unsigned *n, struct pci_enum_stats *st);

/* "00:03.0" into buf (at least 8 bytes). */
const char *pci_bdf_str(u16 bdf, char *buf);
/* One line: "00:03.0 1234:11e8 class 00ff00 hdr 0 BAR0 mem32 0xfea00000/1M". */
int pci_dev_format(const struct pci_dev *d, char *buf, size_t len);

#endif
