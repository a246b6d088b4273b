/* Every AMD IOMMU one IVRS table lists on PCI segment 0, driven together.
 *
 * Real EPYC and Threadripper parts have one IOMMU per I/O hub (NBIO): four per
 * socket. Each gets its own struct amdvi (MMIO window, device table, command
 * ring, event log, completion semaphore). The set adds what only makes sense
 * across IOMMUs:
 *   - the device -> IOMMU map painted from the IVHD device entries (select,
 *     ranges, aliases, special devices, ACPI HIDs; the last entry in table
 *     order wins, as ivrs_lookup() decides);
 *   - all-or-nothing bring-up: every IOMMU's PCI function found and checked
 *     (48882 3.2.1), every driver initialised with every device blocked, then
 *     every IOMMU enabled; any failure disables the ones already on and names
 *     the failing IOMMU by BDF;
 *   - DTE writes routed to the IOMMU behind the device (and its
 *     INVALIDATE_DEVTAB_ENTRY there only);
 *   - invalidation fan-out: a domain's INVALIDATE_IOMMU_PAGES goes to every
 *     IOMMU with a DTE in that domain, or one that had one since its last
 *     completed invalidation there, and to no other; one sync round waits
 *     once per IOMMU that got commands (48882 2.4.1 COMPLETION_WAIT);
 *   - event logs drained from every IOMMU; the facts SNP needs.
 * A domain's I/O page table is one table, shared by every IOMMU whose DTEs
 * point at it (docs/iommu.md "Several IOMMUs").
 *
 * Pure code: PCI config space through struct pci_access, MMIO through the
 * ops env->map_mmio returns, memory from env->alloc; host tests drive it with
 * fake IOMMUs and the real IVRS dumps. Not thread-safe (one CPU drives the
 * IOMMUs). See docs/iommu.md and docs/amdvi.md. */
#ifndef IOMMU_AMDVI_SET_H
#define IOMMU_AMDVI_SET_H

#include "hv/base/types.h"
#include "iommu/amdvi.h"
#include "iommu/ivrs.h"
#include "iommu/pci.h"

#define AMDVI_SET_MAX	   IVRS_MAX_IOMMUS
#define AMDVI_SET_NONE	   0xFF		/* dev_unit[] value: no IVHD entry covers the ID */
#define AMDVI_SET_MAX_DOMS 64		/* domains per IOMMU with DTEs or owed invalidations */
#define AMDVI_QEMU72_EFR   0x29D3ULL	/* EFR of QEMU 7.2's amd-iommu (qemu-facts.md) */
#define AMDVI_MMIO_SIZE	   KiB(16)	/* 48882 3.4: at least 16 KiB of registers */
#define AMDVI_INV_ALL_SIZE (1ULL << 52) /* an INVALIDATE_IOMMU_PAGES range covering all */

/* 48882 3.2.1 capability header bit 26 "NpCache": not-present entries may be
 * cached, so new mappings need an invalidation too. */
#define IOMMU_CAP_NP_CACHE BIT(26)

/* A domain present on one IOMMU: DTEs that point at it, and whether the IOMMU
 * still owes it an invalidation (a DTE left it since the last completed one). */
struct amdvi_unit_dom {
	u16 dom;
	u16 live;      /* DTEs of this IOMMU in the domain */
	bool owed;     /* a DTE left the domain: invalidate before forgetting it */
	bool flushing; /* an invalidation is queued, not yet waited for */
};

struct amdvi_unit {
	struct amdvi hw; /* first: struct iommu_state's `hw` aliases unit 0 */
	const struct ivrs_ivhd *ivhd;
	u8 index;   /* IOMMU number in IVRS (ivrs_iommu()) */
	u16 bdf;    /* its own PCI function (IVHD device ID) */
	u8 cap_off; /* IOMMU capability block (found, = IVHD's unless warned) */
	u32 cap_header;
	u64 cap_base;	 /* capability base register (48882 3.2.1) */
	spa_t mmio_base; /* IVHD base: IVRS wins over the capability */
	u16 max_devid;	 /* device table covers 0..max_devid */
	u64 efr;
	bool qemu72;   /* EFR == AMDVI_QEMU72_EFR: QEMU 7.2 quirks for this IOMMU */
	bool np_cache; /* capability NpCache */
	u32 ndevids;   /* device IDs the IVRS map assigns to it */
	bool queued;   /* commands queued since its last set sync */
	u64 syncs;     /* completion waits of set rounds (one batch each) */
	u64 fanout_invs;
	struct amdvi_unit_dom doms[AMDVI_SET_MAX_DOMS];
	unsigned ndoms;
};

struct amdvi_set_env {
	const struct pci_access *pci; /* segment 0 config space */
	u8 last_bus;		      /* device tables cover at least buses 0..last_bus */
	/* Make the register window [base, base+size) reachable; return its ops
	 * and context. */
	int (*map_mmio)(void *ctx, unsigned unit, spa_t base, u64 size,
			const struct amdvi_mmio_ops **ops, void **mmio_ctx);
	amdvi_alloc_fn alloc; /* device tables, rings, semaphores */
	void *ctx;	      /* for map_mmio and alloc */
	u32 poll_limit;	      /* 0: amdvi's default */
};

struct amdvi_set {
	struct amdvi_unit unit[AMDVI_SET_MAX]; /* first: see amdvi_unit.hw */
	const struct ivrs_table *ivrs;
	u8 *dev_unit;	     /* [65536] device ID -> unit, AMDVI_SET_NONE */
	unsigned nr_ivrs;    /* IOMMUs IVRS lists (every segment) */
	unsigned n;	     /* units: the IOMMUs on segment 0, in IVRS order */
	unsigned nr_enabled; /* units enabled (n when up, else 0) */
	bool up;
	int failed_unit; /* unit whose bring-up failed last, -1 */
	u64 rounds;	 /* amdvi_set_sync calls that waited on at least one IOMMU */
	u64 batches;	 /* completion waits of those rounds, over all IOMMUs */
};
CHECK_OFFSET(struct amdvi_set, unit, 0);
CHECK_OFFSET(struct amdvi_unit, hw, 0);

/* Units from IVRS (segment 0, one per IOMMU: ivrs.c already folds the 10h,
 * 11h and 40h blocks of one IOMMU into its active block) and the device ->
 * unit map in map[65536], painted from the active IVHDs' device entries in
 * table order. Nothing is touched. 0, or -ENODEV (no IOMMU on segment 0). */
int amdvi_set_map(struct amdvi_set *s, const struct ivrs_table *t, u8 *map);

/* Bring every unit up (after amdvi_set_map): PCI function and capability,
 * MMIO, amdvi_init (every DTE blocked), then amdvi_enable on each. All or
 * nothing: on failure every unit is disabled again, s->failed_unit names the
 * culprit, and the error is returned. */
int amdvi_set_init(struct amdvi_set *s, const struct amdvi_set_env *env);
/* Disable every enabled unit (DMA untranslated afterwards: error paths only). */
void amdvi_set_disable(struct amdvi_set *s);

/* The unit behind device bdf; NULL when no IVHD entry covers it and there
 * are several (with one IOMMU on segment 0, that one). */
struct amdvi_unit *amdvi_set_unit_of(const struct amdvi_set *s, u16 bdf);
/* The unit whose own PCI function is bdf, or NULL. */
struct amdvi_unit *amdvi_set_unit_at(const struct amdvi_set *s, u16 bdf);

/* DTE of requester ID rid in the table of bdf's IOMMU (rid is bdf, its IVRS
 * alias, or a QEMU 7.2 bus-0 alias). attach: V=1, TV=1, Mode=levels,
 * IR=IW=1, dom; block: the blocking form. The domain the DTE left (if any) is
 * owed an invalidation on that IOMMU. -ENODEV: no IOMMU covers bdf. */
int amdvi_set_attach(struct amdvi_set *s, u16 bdf, u16 rid, u16 dom, spa_t root, unsigned levels);
int amdvi_set_block(struct amdvi_set *s, u16 bdf, u16 rid);
/* amdvi_intr_table on the IOMMU behind bdf (requester rid). */
int amdvi_set_irt(struct amdvi_set *s, u16 bdf, u16 rid, spa_t irt, u8 len_log2);
int amdvi_set_get_dte(const struct amdvi_set *s, u16 bdf, u16 rid, struct amdvi_dte *dte);
/* True when rid's DTE on bdf's IOMMU is the blocking form. */
bool amdvi_set_is_blocked(const struct amdvi_set *s, u16 bdf, u16 rid);

/* Bitmask of units an invalidation of dom goes to (DTEs in dom, or owed). */
u32 amdvi_set_dom_units(const struct amdvi_set *s, u16 dom);
/* Queue INVALIDATE_IOMMU_PAGES (range, PDE=1; 48882 2.4.3) on every unit of
 * amdvi_set_dom_units(dom), no wait. Returns how many units got it. */
int amdvi_set_inv_queue(struct amdvi_set *s, u16 dom, u64 iova, u64 size);
/* One round: COMPLETION_WAIT on every unit with queued commands (one batch
 * per IOMMU); settles owed invalidations. 0 or the first error (every unit
 * is still waited for). */
int amdvi_set_sync(struct amdvi_set *s);
/* queue + sync. */
int amdvi_set_inv_domain(struct amdvi_set *s, u16 dom, u64 iova, u64 size);

/* Drain every enabled unit's event log. cb NULL: pr_warn each event with the
 * IOMMU's BDF. Returns the number of events, or the first negative errno. */
typedef void (*amdvi_set_event_cb)(void *ctx, const struct amdvi_unit *u,
				   const struct amdvi_event *ev);
int amdvi_set_read_events(struct amdvi_set *s, amdvi_set_event_cb cb, void *ctx);

/* What SNP_INIT and DMA isolation need to know (48882 3.4.4 EFR bit 63
 * SNPSup; Linux amd_iommu_snp_enable requires it on every IOMMU). */
struct amdvi_snp_facts {
	unsigned in_ivrs;  /* IOMMUs IVRS lists, every segment */
	unsigned driven;   /* enabled by the set, every device blocked */
	bool all_snp_sup;  /* driven == in_ivrs > 0 and every EFR has SNPSup */
	u64 efr_common;	   /* AND of the driven IOMMUs' EFRs (0 if none) */
	int first_missing; /* unit index without SNPSup or not driven, -1 */
};
void amdvi_set_snp_facts(const struct amdvi_set *s, struct amdvi_snp_facts *f);

/* One line per unit: "00:00.2 base 0xfeb80000 EFR 0x... [SNPSup] IVHD 11h,
 * 3 entries, 256 IDs; <amdvi counters>, <set batches>". */
int amdvi_set_unit_format(const struct amdvi_set *s, unsigned k, char *buf, size_t len);

/* 48882 5.2.2.1 IVHD flags -> 3.4.5 control bits (HtTunEn, PassPW,
 * ResPassPW, Isoc, Coherent), as Linux derives them. */
u64 amdvi_ctrl_from_ivhd(u8 flags);

#endif
