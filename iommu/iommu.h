/* The hypervisor's IOMMU glue: PCI (ECAM via MCFG) and every AMD IOMMU of
 * IVRS brought up from ACPI, plus the small domain API the rest of snpvisor
 * plugs into.
 *
 *   iommu_init()                 MCFG -> PCI enumeration (device list) -> IVRS
 *                                -> for EVERY IOMMU on segment 0 (amdvi_set):
 *                                its function by capability 0Fh at the IVHD's
 *                                device ID -> MMIO mapped -> amdvi_init (every
 *                                device BLOCKED); then all enabled, or none
 *   iommu_domain_alloc(levels)   an AMD IOMMU v1 I/O page table (hv/mm/pt.h,
 *                                pt_fmt_amdv1) plus a domain ID
 *   iommu_map/unmap              change the table; the needed invalidation is
 *                                accumulated, not sent
 *   iommu_flush(dom)             one INVALIDATE_IOMMU_PAGES for everything
 *                                accumulated, on every IOMMU with a device of
 *                                dom, + one COMPLETION_WAIT each; only then are
 *                                freed table pages given back (architecture.md I7)
 *   iommu_attach(bdf, dom)       DTE on bdf's IOMMU -> dom (the old domain's
 *                                IOTLB is flushed); one table per domain,
 *                                whichever IOMMUs reference it
 *   iommu_block(bdf)             DTE -> blocked (likewise)
 *
 * gmem is meant to be the only feeder of guest domains: it owns a struct
 * iommu_domain per trusted device set and drives iommu_map/unmap/flush in the
 * same transaction as the RMP and NPT. Hardware-only code (HV_SRCS): MMIO.
 * See docs/iommu.md. */
#ifndef IOMMU_IOMMU_H
#define IOMMU_IOMMU_H

#include "hv/mm/pt.h"
#include "hv/base/types.h"
#include "iommu/amdvi.h"
#include "iommu/amdvi_set.h"
#include "iommu/ivrs.h"
#include "iommu/pci.h"

#define IOMMU_MAX_PCI_DEVS 128
#define IOMMU_MAX_ATTACHED 32

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
	u8 owner, owner_pt; /* pmem owners "iommu" and "iommu-pt" */
	u16 max_domain_id;
	u64 *dom_ids; /* bitmap of domain IDs in use */
	struct {
		u16 bdf;
		struct iommu_domain *dom;
	} att[IOMMU_MAX_ATTACHED];
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

/* Invalidation fan-out by domain ID (gmem's domains, docs/iommu.md): queue
 * INVALIDATE_IOMMU_PAGES on every IOMMU with a DTE in the domain (or owing it
 * one), then one sync round that waits once per IOMMU that got commands.
 * iommu_inv_domain_id() is both, for the whole address space. */
int iommu_inv_queue(u16 dom_id, u64 iova, u64 size);
int iommu_inv_sync(void);
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

/* The domain bdf is attached to, or NULL (blocked). */
struct iommu_domain *iommu_domain_of(u16 bdf);
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
