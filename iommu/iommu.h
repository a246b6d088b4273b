/* The hypervisor's IOMMU glue: PCI (ECAM via MCFG) and the AMD IOMMU brought
 * up from ACPI, plus the small domain API the rest of snpvisor plugs into.
 *
 *   iommu_init()                 MCFG -> PCI enumeration (device list) -> IVRS
 *                                -> IOMMU function by capability 0Fh (cross-
 *                                checked with IVRS) -> MMIO mapped -> amdvi_init
 *                                (every device BLOCKED) -> amdvi_enable
 *   iommu_domain_alloc(levels)   an AMD IOMMU v1 I/O page table (hv/pt.h,
 *                                pt_fmt_amdv1) plus a domain ID
 *   iommu_map/unmap              change the table; the needed invalidation is
 *                                accumulated, not sent
 *   iommu_flush(dom)             one INVALIDATE_IOMMU_PAGES for everything
 *                                accumulated + COMPLETION_WAIT; only then are
 *                                freed table pages given back (architecture.md I7)
 *   iommu_attach(bdf, dom)       DTE -> dom (the old domain's IOTLB is flushed)
 *   iommu_block(bdf)             DTE -> blocked (likewise)
 *
 * gmem is meant to be the only feeder of guest domains: it owns a struct
 * iommu_domain per trusted device set and drives iommu_map/unmap/flush in the
 * same transaction as the RMP and NPT. Hardware-only code (HV_SRCS): MMIO, port
 * I/O for the TSC calibration. See docs/iommu.md. */
#ifndef IOMMU_IOMMU_H
#define IOMMU_IOMMU_H

#include "hv/pt.h"
#include "hv/types.h"
#include "iommu/amdvi.h"
#include "iommu/ivrs.h"
#include "iommu/pci.h"

#define IOMMU_MAX_PCI_DEVS 128
#define IOMMU_MAX_ATTACHED 32
#define IOMMU_QEMU72_EFR   0x29D3ULL /* EFR of QEMU 7.2's amd-iommu (qemu-facts.md) */
#define IOMMU_MMIO_SIZE	   KiB(16)

struct iommu_domain {
	struct pt pt;		  /* pt_fmt_amdv1; input = IOVA (for guests: GPA) */
	u16 id;			  /* DTE DomainID: 1..255 under QEMU 7.2, else 1..65535 */
	u8 levels;		  /* DTE Mode */
	unsigned attached;	  /* devices whose DTE points here */
	struct pt_change pending; /* changes made since the last flush */
	spa_t *deferred;	  /* table pages freed by pt, reused after the flush */
	unsigned ndeferred, cap_deferred;
	u64 flushes;
};

struct iommu_state {
	bool pci_ok, up;
	bool qemu72;   /* QEMU 7.2 quirks in force (EFR == 0x29D3) */
	bool np_cache; /* capability NpCache: not-present entries are cached */
	/* PCI */
	struct pci_mcfg mcfg;
	struct pci_ecam ecam; /* segment 0 window used for all config access */
	struct pci_access pci;
	struct pci_dev *devs;
	unsigned ndevs;
	struct pci_enum_stats enum_stats;
	/* IVRS and the IOMMU function */
	struct ivrs_table *ivrs;
	const struct ivrs_ivhd *ivhd;
	u16 iommu_bdf;
	u8 cap_off;
	u32 cap_header;
	u64 cap_base; /* decoded per 48882 3.2.1 */
	spa_t mmio_base;
	u16 max_devid;
	/* driver */
	struct amdvi_mmio_phys mmio;
	struct amdvi hw;
	u8 owner, owner_pt; /* pmem owners "iommu" and "iommu-pt" */
	u16 max_domain_id;
	u64 *dom_ids; /* bitmap of domain IDs in use */
	struct {
		u16 bdf;
		struct iommu_domain *dom;
	} att[IOMMU_MAX_ATTACHED];
	u64 tsc_khz;
};

extern struct iommu_state iommu;

/* MCFG + enumeration of segment 0 (prints the device list). Idempotent. */
int iommu_pci_init(void);
/* Everything above + IVRS + driver enable. Idempotent; 0 or a negative errno
 * (reported with pr_err; nothing panics). */
int iommu_init(void);

/* Domains. levels 3..6 (3 = 39-bit IOVAs, 4 = 48-bit). NULL on failure. */
struct iommu_domain *iommu_domain_alloc(unsigned levels);
/* -EBUSY while devices are attached. Flushes, frees tables and the ID. */
int iommu_domain_free(struct iommu_domain *dom);
/* prot: PT_R / PT_W (IOMMU IR / IW). Sizes: 4K/2M/1G leaves as alignment
 * allows. No invalidation is sent: call iommu_flush (batching). */
int iommu_map(struct iommu_domain *dom, u64 iova, spa_t pa, u64 size, u32 prot);
int iommu_unmap(struct iommu_domain *dom, u64 iova, u64 size);
/* Invalidate what changed since the last flush (one ranged
 * INVALIDATE_IOMMU_PAGES, PDE=1) and wait for completion; then release the
 * deferred table pages. A no-op when nothing needs it. */
int iommu_flush(struct iommu_domain *dom);
/* Invalidate an explicit range of the domain and wait. */
int iommu_inv_range(struct iommu_domain *dom, u64 iova, u64 size);

/* Device table: the requester ID is resolved through IVRS aliases. */
int iommu_attach(u16 bdf, struct iommu_domain *dom);
int iommu_block(u16 bdf);
/* Tables owned elsewhere (gmem's guest domains, docs/devices.md): a domain ID
 * (1..max_domain_id; 1..255 under QEMU 7.2) and a DTE pointing at the foreign
 * root, for the requester ID and, under QEMU 7.2, the bus-0 alias (refused
 * with -EBUSY when that alias is another device). iommu_block() undoes it;
 * the caller invalidates its domain. -EBUSY too if bdf is attached through
 * iommu_attach(). */
int iommu_domain_id_alloc(void);
void iommu_domain_id_free(u16 id);
int iommu_attach_table(u16 bdf, u16 dom_id, spa_t root, unsigned levels);
/* 0 if bdf can get a DTE of its own (QEMU 7.2 alias free), else -EBUSY. */
int iommu_alias_ok(u16 bdf);

/* The domain bdf is attached to, or NULL (blocked). */
struct iommu_domain *iommu_domain_of(u16 bdf);
/* The requester ID the IOMMU sees for bdf (IVRS alias), = bdf without one. */
u16 iommu_requester_id(u16 bdf);

/* The nth (0-based) enumerated function with this vendor:device, or NULL. */
const struct pci_dev *iommu_pci_find(u16 vendor, u16 device, unsigned nth);
/* Bus mastering on bdf and on every bridge above it. */
int iommu_pci_enable_master(u16 bdf);
/* TSC ticks per millisecond (PIT-calibrated once); 0 if calibration failed. */
u64 iommu_tsc_khz(void);
u64 iommu_ticks_to_ns(u64 ticks);

/* Scenarios (hv/scenario_iommu.c), registered in hv/scenario.c. */
void scenario_iommu_bringup(void);
void scenario_iommu_dma(void);
void scenario_iommu_invalidate(void);
void scenario_iommu_blocked(void);

#endif
