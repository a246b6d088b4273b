/* The virtual PCI of a Linux guest: configuration mechanism #1 (ports
 * 0xCF8/0xCFC), a host bridge at 00:00.0 and the guest's passed-through
 * functions at 00:01.0, 00:02.0, ... with a virtual BAR0, command register
 * and a filtered capability list, and a model of each function's MSI-X
 * table. Pure: the real function is reached through struct pci_access, and
 * the caller (hv/vm/guest_vpci.c) applies what changed (BAR mapping in the
 * NPT, the real MSI-X entries) after each access. docs/devices.md
 * "Linux guests: virtual PCI and MSI-X".
 *
 * Specs: PCI Local Bus 3.0, 3.2.2.3.2 (CONFIG_ADDRESS), 6.1 (header),
 * 6.2.2 (Command), 6.2.5.1 (BARs), 6.7 (capability list), 6.8.2 (MSI-X
 * capability, table and PBA); PCIe Base 5.0 7.5.3 (PCIe capability, shown
 * read-only), 7.7.2 (MSI-X); Intel SDM vol 3A 11.11 / AMD APM vol 2 16.5
 * (the MSI address and data format on x86). */
#ifndef HV_VM_VPCI_H
#define HV_VM_VPCI_H

#include "hv/base/bits.h"
#include "hv/base/types.h"
#include "hv/svm/vlapic.h"
#include "iommu/pci.h"

#define VPCI_MAX_DEVS 4	 /* = CFG_MAX_DEVICES */
#define VPCI_MSIX_MAX 32 /* MSI-X entries offered per function */
#define VPCI_MAX_CAPS 8	 /* capabilities kept per function */

/* The host bridge at 00:00.0: Red Hat's ID for a generic virtual PCIe host
 * bridge, class 06/00/00 (Linux's pci_sanity_check wants a host bridge). */
#define VPCI_HB_VENDOR 0x1b36
#define VPCI_HB_DEVICE 0x0008
#define VPCI_HB_CLASS  0x060000

/* PCI 3.0 3.2.2.3.2: CONFIG_ADDRESS (a 32-bit access at 0xCF8). */
#define PCI_CONF1_ADDR_PORT 0xcf8
#define PCI_CONF1_DATA_PORT 0xcfc
#define PCI_CONF1_ENABLE    BIT(31)
#define PCI_CONF1_EXT_REG   GENMASK(27, 24) /* AMD extended config (ECS): not offered */
#define PCI_CONF1_BUS	    GENMASK(23, 16)
#define PCI_CONF1_DEVFN	    GENMASK(15, 8)
#define PCI_CONF1_REG	    GENMASK(7, 2)

#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_ROM_ADDRESS		0x30
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d
#define PCI_CACHE_LINE_SIZE	0x0c
#define PCI_LATENCY_TIMER	0x0d

/* PCI 3.0 6.8.2: the MSI-X capability, its table entries and the PBA. */
#define PCI_MSIX_FLAGS		    0x02 /* Message Control */
#define PCI_MSIX_FLAGS_QSIZE	    GENMASK(10, 0)
#define PCI_MSIX_FLAGS_MASKALL	    BIT(14)
#define PCI_MSIX_FLAGS_ENABLE	    BIT(15)
#define PCI_MSIX_TABLE		    0x04
#define PCI_MSIX_PBA		    0x08
#define PCI_MSIX_BIR		    GENMASK(2, 0)
#define PCI_MSIX_OFFSET		    GENMASK(31, 3)
#define PCI_MSIX_CAP_LEN	    12
#define PCI_MSIX_ENTRY_SIZE	    16
#define PCI_MSIX_ENTRY_LOWER_ADDR   0x0
#define PCI_MSIX_ENTRY_UPPER_ADDR   0x4
#define PCI_MSIX_ENTRY_DATA	    0x8
#define PCI_MSIX_ENTRY_VECTOR_CTRL  0xc
#define PCI_MSIX_ENTRY_CTRL_MASKBIT BIT(0)

/* x86 MSI address and data (SDM vol 3A 11.11.1, 11.11.2). */
#define MSI_ADDR_BASE	    0xfee00000u
#define MSI_ADDR_BASE_MASK  GENMASK(31, 20)
#define MSI_ADDR_DEST_ID    GENMASK(19, 12)
#define MSI_ADDR_RH	    BIT(3)
#define MSI_ADDR_DM_LOGICAL BIT(2)
#define MSI_DATA_VECTOR	    GENMASK(7, 0)
#define MSI_DATA_DELIVERY   GENMASK(10, 8) /* 0 fixed, 1 lowest priority */
#define MSI_DATA_LEVEL	    BIT(14)
#define MSI_DATA_TRIGGER    BIT(15) /* 1 = level */

struct vpci_msix_entry {
	u32 addr_lo, addr_hi, data, ctrl;
};

/* What the real table entry must hold for a guest entry. */
struct vpci_msix_hw {
	u32 addr_lo, addr_hi, data;
	bool masked;
	const char *why; /* when masked although the guest unmasked it */
};

struct vpci_msix {
	u8 cap;			/* config offset of the capability; 0 = none */
	u16 nr;			/* entries shown (min(real, VPCI_MSIX_MAX)) */
	u16 nr_real;		/* entries of the real table */
	u32 table_off, pba_off; /* inside BAR0 */
	u16 ctrl;		/* the guest's ENABLE and MASKALL */
	struct vpci_msix_entry e[VPCI_MSIX_MAX];
	u64 pending;		    /* held for a masked guest entry (bit per entry) */
	u8 host_vec[VPCI_MSIX_MAX]; /* the hypervisor's vector per entry; 0 = none */
	u64 delivered, held, refused, dropped;
};

struct vpci_dev {
	u16 host_bdf;
	struct pci_access real;
	u64 bar_size;
	bool bar64, prefetch;
	u32 bar_lo, bar_hi; /* BAR0 (and BAR1 of a 64-bit BAR) as the guest wrote them */
	u16 cmd;	    /* MEMORY, MASTER, INTX_DISABLE as the guest set them */
	u8 intr_line, cache_line, latency;
	u8 nr_caps;
	u8 cap_off[VPCI_MAX_CAPS], cap_len[VPCI_MAX_CAPS];
	struct vpci_msix msix;
	u64 cfg_dropped; /* writes to read-only or hidden registers */
};

struct vpci {
	u32 addr; /* CONFIG_ADDRESS */
	unsigned n;
	struct vpci_dev dev[VPCI_MAX_DEVS]; /* dev[i] is 00:(i + 1).0 */
};

void vpci_init(struct vpci *vp);

/* Adds the real function host_bdf (BAR0 as validated, shown at guest_bar)
 * as the next guest function. Keeps the PCIe capability (read-only) and
 * MSI-X (its table must lie in BAR0); hides every other capability (PM,
 * MSI, vendor specific) and the extended space. Returns the index or
 * -ENOSPC / -EINVAL (why filled). */
int vpci_add(struct vpci *vp, const struct pci_access *real, u16 host_bdf,
	     const struct pci_bar *bar0, u64 guest_bar, char *why, unsigned whylen);

/* Port I/O at 0xCF8-0xCFF (size 1, 2 or 4). 0 handled; -ENOENT another port. */
int vpci_pio(struct vpci *vp, u16 port, unsigned size, bool in, u32 *val);

/* Configuration reads and writes of bus 0 (reg aligned to size). */
u32 vpci_cfg_read(struct vpci *vp, u8 devfn, u16 reg, unsigned size);
void vpci_cfg_write(struct vpci *vp, u8 devfn, u16 reg, unsigned size, u32 val);

/* BAR0's guest address while memory decode is on: true and *gpa. */
bool vpci_bar_live(const struct vpci_dev *d, u64 *gpa);

/* The pages of BAR0 holding the MSI-X table and PBA: up to two page-aligned
 * [off, off + len) ranges (a single one when they share pages). */
unsigned vpci_trap_ranges(const struct vpci_dev *d, u64 off[2], u64 len[2]);
bool vpci_trapped(const struct vpci_dev *d, u64 off);

/* A 32-bit access at offset off of BAR0 inside a trapped page: the table,
 * the PBA (virtual pending bits; the caller ORs in the real PBA) or
 * nothing (reads 0). A write returns the entry it changed, or -1. */
u32 vpci_msix_read(const struct vpci_dev *d, u64 off);
int vpci_msix_write(struct vpci_dev *d, u64 off, u32 val);

/* Whether the guest entry i is masked (its bit, MASKALL, MSI-X off). */
bool vpci_msix_masked(const struct vpci_dev *d, unsigned i);
/* The real entry for guest entry i: the hypervisor's vector host_vec[i]
 * fixed/edge to APIC host_apic; masked when the guest's entry is, when it
 * has no host vector, or when the guest's message is not one this
 * hypervisor delivers (address outside 0xFEExxxxx, upper address set,
 * delivery mode other than fixed/lowest priority, level trigger, vector
 * below 16): never the guest's own address or data. */
void vpci_msix_hw(const struct vpci_dev *d, unsigned i, u32 host_apic, struct vpci_msix_hw *out);

enum vpci_fire { VPCI_FIRE_DELIVERED, VPCI_FIRE_HELD, VPCI_FIRE_REFUSED, VPCI_FIRE_DROPPED };
/* The hypervisor's vector of entry i arrived: the guest's programmed vector
 * goes into l through vlapic_set_irq if the entry is unmasked and its
 * destination is l's APIC (physical ID, or logical flat with l's LDR);
 * a masked entry is held in the pending bit; a refused message or a foreign
 * destination is dropped (counted). */
enum vpci_fire vpci_msix_fire(struct vpci_dev *d, unsigned i, struct vlapic *l);
/* Delivers held entries that are no longer masked; returns how many. */
unsigned vpci_msix_flush(struct vpci_dev *d, struct vlapic *l);

#endif
