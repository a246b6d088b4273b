/* The hypervisor's IOMMU glue: PCI (ECAM via MCFG) and every AMD IOMMU of
 * IVRS brought up from ACPI, plus the small device/domain-ID API the rest of
 * snpvisor plugs into. It owns no page tables: a DTE points at a table its
 * owner built (gmem for guests, hv/scenarios/test_domain.c for the IOMMU
 * scenarios).
 *
 *   iommu_init()                 MCFG -> PCI enumeration (device list) -> IVRS
 *                                -> for EVERY IOMMU on segment 0 (amdvi_set):
 *                                its function by capability 0Fh at the IVHD's
 *                                device ID -> MMIO mapped -> amdvi_init (every
 *                                device BLOCKED); then all enabled, or none
 *   iommu_domain_id_alloc/free   a domain ID (one ID space for every IOMMU)
 *   iommu_attach_table(bdf, id, root, levels)
 *                                DTE on bdf's IOMMU -> the table at root; one
 *                                table per domain, whichever IOMMUs reference it
 *   iommu_block(bdf)             DTE -> blocked
 *   iommu_inv_*                  INVALIDATE_IOMMU_PAGES by domain ID on every
 *                                IOMMU with a device of the domain, then one
 *                                COMPLETION_WAIT each
 *
 * gmem (hv/core/gmem.h) is the only owner of guest domains: it changes its
 * tables in the same transaction as the RMP and NPT and invalidates through
 * iommu_inv_queue/sync. Hardware-only code (HV_SRCS): MMIO. See docs/iommu.md. */
#ifndef IOMMU_IOMMU_H
#define IOMMU_IOMMU_H

#include "hv/base/types.h"
#include "iommu/amdvi.h"
#include "iommu/amdvi_set.h"
#include "iommu/ivrs.h"
#include "iommu/pci.h"

#define IOMMU_MAX_PCI_DEVS 128

struct iommu_state {
	bool pci_ok, up;
	bool qemu72;   /* some IOMMU is QEMU 7.2's (EFR == 0x29D3): domain IDs 1..255 */
	bool np_cache; /* some IOMMU caches not-present entries (capability NpCache) */
	/* PCI */
	struct pci_mcfg mcfg;
	struct pci_ecam ecam; /* segment 0 window used for all config access */
	struct pci_access pci;
	struct pci_dev *devs;
	unsigned ndevs;
	struct pci_enum_stats enum_stats;
	/* IVRS and every IOMMU it lists on segment 0 (iommu/amdvi_set.h) */
	struct ivrs_table *ivrs;
	union {
		struct amdvi_set set;
		/* = set.unit[0].hw, the first IOMMU: only for callers that predate
		 * several IOMMUs (hv/platform/snp_hw.c reads its EFR; the QEMU benchmarks
		 * drive QEMU's single IOMMU). New code goes through set. */
		struct amdvi hw;
	};
	u8 *dev_unit; /* [65536] device ID -> unit (set.dev_unit) */
	struct amdvi_mmio_phys mmio[AMDVI_SET_MAX];
	u8 owner;     /* pmem owner "iommu" */
	u8 irt_owner; /* pmem owner "iommu-irt": interrupt remapping tables */
	unsigned irt_live; /* tables attached now */
	u16 max_domain_id;
	u64 *dom_ids; /* bitmap of domain IDs in use */
};

extern struct iommu_state iommu;

/* Interrupt remapping (48882 2.2.5) for a device the hypervisor programs:
 * a zeroed 4 KiB table from pmem (owner "iommu-irt"), IRTE k = vectors[k]
 * (fixed, physical, to APIC apic; 0 = RemapEn clear) for k < n (n <= 512),
 * the device's DTE (and its QEMU 7.2 alias) set to IV=1, IntTabLen=9,
 * IntCtl=remap, then INVALIDATE_DEVTAB_ENTRY + INVALIDATE_INTERRUPT_TABLE +
 * COMPLETION_WAIT. The device's MSI data must then be the index k. On error
 * nothing stays allocated and the DTE aborts every interrupt. */
int iommu_irt_attach(u16 bdf, const u8 *vectors, unsigned n, u32 apic, spa_t *irt);
/* False when IVRS lists no I/O APIC (special device 48h, variety 01h): the
 * IOMMU does not remap interrupts (QEMU with intremap=off); iommu_irt_attach
 * then returns -EOPNOTSUPP and every DTE keeps aborting interrupts. */
bool iommu_remaps_interrupts(void);
/* The DTE back to IV=1/IntCtl=abort (invalidated and waited for), then the
 * table freed. */
int iommu_irt_detach(u16 bdf, spa_t irt);
/* True when bdf's DTE (and alias) aborts every interrupt (IV=1, IntCtl=00b). */
bool iommu_irt_aborts(u16 bdf);

/* MCFG + enumeration of segment 0 (prints the device list). Idempotent. */
int iommu_pci_init(void);
/* Everything above + IVRS + driver enable. Idempotent; 0 or a negative errno
 * (reported with pr_err; nothing panics). */
int iommu_init(void);

/* Device table: the requester ID is resolved through IVRS aliases. DTE ->
 * blocked, for the requester ID and, under QEMU 7.2, the bus-0 alias; the
 * caller invalidates the domain the device left. */
int iommu_block(u16 bdf);
/* Tables owned elsewhere (gmem's guest domains, docs/devices.md; the
 * scenarios' test domains): a domain ID (1..max_domain_id; 1..255 under QEMU
 * 7.2) and a DTE pointing at the owner's root, for the requester ID and,
 * under QEMU 7.2, the bus-0 alias (refused with -EBUSY when that alias is
 * another device). On failure both are blocked. iommu_block() undoes it; the
 * caller invalidates its domain. */
int iommu_domain_id_alloc(void);
void iommu_domain_id_free(u16 id);
int iommu_attach_table(u16 bdf, u16 dom_id, spa_t root, unsigned levels);
/* 0 if bdf can get a DTE of its own (QEMU 7.2 alias free), else -EBUSY. */
int iommu_alias_ok(u16 bdf);

/* Invalidation fan-out by domain ID (gmem's domains, docs/iommu.md): queue
 * INVALIDATE_IOMMU_PAGES on every IOMMU with a DTE in the domain (or owing it
 * one), then one sync round that waits once per IOMMU that got commands.
 * iommu_inv_domain_id() is both, for the whole address space. */
int iommu_inv_queue(u16 dom_id, u64 iova, u64 size);
int iommu_inv_sync(void);
/* Queue + sync for one range of one domain; iommu_inv_domain_id: the whole
 * address space. */
int iommu_inv_domain_range(u16 dom_id, u64 iova, u64 size);
int iommu_inv_domain_id(u16 dom_id);
/* True when bdf's DTE (its requester ID, on its IOMMU) is the blocking form. */
bool iommu_is_blocked(u16 bdf);
/* True when bdf is one of the IOMMUs' own PCI functions. */
bool iommu_is_iommu_function(u16 bdf);
/* Drain every IOMMU's event log (each event logged with its IOMMU's BDF). */
int iommu_read_events(void);
/* One "iommu:" line per IOMMU (BDF, MMIO base, EFR, devices, counters) and
 * the fan-out totals. */
void iommu_report(void);

/* What the SNP hardware plan needs (hv/platform/snp_hw.c): valid after iommu_init(),
 * also when it failed. */
struct iommu_snp_facts {
	unsigned in_ivrs;  /* IOMMUs IVRS lists (0 without a valid IVRS) */
	unsigned driven;   /* IOMMUs enabled with every device blocked */
	bool all_snp_sup;  /* driven == in_ivrs > 0 and every EFR has SNPSup (bit 63) */
	u64 efr_common;	   /* AND of the driven IOMMUs' EFRs (0 when none) */
	u16 first_missing; /* BDF of the first IOMMU not driven or without SNPSup, 0xFFFF */
};
void iommu_snp_facts(struct iommu_snp_facts *f);

/* The requester ID the IOMMU sees for bdf (IVRS alias), = bdf without one. */
u16 iommu_requester_id(u16 bdf);

/* The nth (0-based) enumerated function with this vendor:device, or NULL. */
const struct pci_dev *iommu_pci_find(u16 vendor, u16 device, unsigned nth);
/* Bus mastering on bdf and on every bridge above it. */
int iommu_pci_enable_master(u16 bdf);

/* Scenarios (hv/scenarios/iommu.c), registered in hv/scenarios/scenario.c. */
void scenario_iommu_bringup(void);
void scenario_iommu_dma(void);
void scenario_iommu_invalidate(void);
void scenario_iommu_blocked(void);

#endif
