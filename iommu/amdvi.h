/* AMD-Vi MMIO driver for one IOMMU: device table, command buffer with
 * completion-wait synchronisation, event log, enable/disable, invalidations.
 *
 * Pure code: registers are reached through struct amdvi_mmio_ops (the
 * hypervisor passes amdvi_mmio_phys_ops over the MMIO base; host tests pass a
 * fake IOMMU), memory through phys_ptr() on SPAs from the caller's allocator.
 * Not thread-safe: one CPU drives one IOMMU (callers serialise).
 *
 * QEMU 7.2 behaviour this driver is built around (docs/amdvi.md):
 * - completion is observed only through the COMPLETION_WAIT store, never the
 *   head register (QEMU's head wraps wrongly); the free space of the command
 *   ring is tracked in software from completed waits;
 * - base registers are written with single 8-byte writes (QEMU latches them
 *   only then);
 * - status bits are written 1-to-clear but never waited on;
 * - a blocked device uses TV=1, Mode 1 over a zeroed table, IR=IW=0.
 */
#ifndef IOMMU_AMDVI_H
#define IOMMU_AMDVI_H

#include "hv/base/types.h"
#include "iommu/amdvi_fmt.h"

/* Register access; off is a byte offset in the MMIO region, always 8-aligned. */
struct amdvi_mmio_ops {
	u64 (*read64)(void *ctx, u32 off);
	void (*write64)(void *ctx, u32 off, u64 v);
	/* Optional: called once per poll iteration (pause, a short delay). */
	void (*relax)(void *ctx);
};

/* Direct volatile access at an SPA (hypervisor: identity-mapped UC MMIO). */
struct amdvi_mmio_phys {
	spa_t base; /* e.g. 0xFED80000 from IVRS */
};
extern const struct amdvi_mmio_ops amdvi_mmio_phys_ops;

/* Allocate bytes of physical memory aligned to align (both powers of two,
 * align >= 4K); 0 or a negative errno. The driver zeroes what it gets. */
typedef int (*amdvi_alloc_fn)(void *ctx, u64 bytes, u64 align, spa_t *out);

struct amdvi_config {
	u8 cmd_log2;		  /* command ring entries, log2, 8-15; 0 = 9 (512, 8 KiB) */
	u8 evt_log2;		  /* event log entries, log2, 8-15; 0 = 9 */
	u32 poll_limit;		  /* completion-wait polls before -ETIMEDOUT; 0 = 10^7 */
	u64 ctrl_extra;		  /* CONTROL_* bits from IVHD flags (HT_TUN_EN, PASSPW, ...) */
	bool passthrough_default; /* leave unattached devices V=0 (unsafe; default: block) */
	bool qemu72;		  /* refuse DTEs QEMU 7.2 rejects (domain IDs with bit 8 set) */
};

struct amdvi_stats {
	u64 commands; /* entries written to the ring, completion waits included */
	u64 completion_waits;
	u64 sync_timeouts;
	u64 inv_pages;
	u64 inv_iotlb;
	u64 inv_devtab;
	u64 inv_irt;
	u64 inv_all;
	u64 ring_wraps;	     /* times the tail wrapped to 0 */
	u64 ring_full_syncs; /* syncs forced because the ring was full */
	u64 dte_writes;
	u64 events;
	u64 evt_overflows;
};

struct amdvi {
	const struct amdvi_mmio_ops *ops;
	void *ctx;
	u16 max_devid;
	u32 dev_entries; /* max_devid + 1 */
	spa_t dev_table;
	u64 dev_table_bytes; /* multiple of 4K */
	spa_t cmd_buf;
	u32 cmd_entries; /* power of two */
	u32 cmd_tail;	 /* next entry to write (index) */
	u32 cmd_done;	 /* entries before this index are known consumed */
	spa_t evt_log;
	u32 evt_entries;
	u32 evt_head; /* next entry to read (index) */
	spa_t sem;    /* 8-byte completion-wait store target */
	u64 sem_seq;
	spa_t null_root; /* zeroed 4K page: the empty table of blocked DTEs */
	u64 efr;
	u64 ctrl; /* last value written to the control register */
	u32 poll_limit;
	bool qemu72;
	bool enabled;
	bool broken; /* a completion wait timed out: queueing may be unsafe */
	struct amdvi_stats stats;
};

/* Allocate and zero the device table (max_devid + 1 entries, every entry a
 * blocking DTE unless cfg->passthrough_default), command ring, event log and
 * completion semaphore; turn the IOMMU off if firmware left it on; program the
 * base registers. cfg may be NULL (defaults). */
int amdvi_init(struct amdvi *iommu, const struct amdvi_mmio_ops *ops, void *mmio_ctx,
	       amdvi_alloc_fn alloc, void *alloc_ctx, u16 max_devid,
	       const struct amdvi_config *cfg);
/* 3.4: program bases (8-byte writes), reset head/tail, clear status (W1C),
 * enable event log, command buffer, then IOMMU_EN; then INVALIDATE_IOMMU_ALL
 * and a completion wait to prove the command path (disables again on failure). */
int amdvi_enable(struct amdvi *iommu);
/* Reverse order: IOMMU_EN, command buffer, event log off. After this DMA is
 * untranslated: only for shutdown or error recovery. */
void amdvi_disable(struct amdvi *iommu);

/* Device table. All of these write the entry, invalidate it and wait. */
int amdvi_set_dte(struct amdvi *iommu, u16 devid, const struct amdvi_dte *dte);
int amdvi_get_dte(const struct amdvi *iommu, u16 devid, struct amdvi_dte *dte);
int amdvi_attach(struct amdvi *iommu, u16 devid, u16 domain_id, spa_t root, unsigned levels,
		 bool ir, bool iw);
int amdvi_block_device(struct amdvi *iommu, u16 devid);
/* Interrupt fields of devid's DTE (48882 2.2.5): irt != 0 -> remap through
 * that table of 2^len_log2 32-bit IRTEs; irt == 0 -> abort every interrupt.
 * The rest of the entry is kept. Then INVALIDATE_DEVTAB_ENTRY and
 * INVALIDATE_INTERRUPT_TABLE, each waited for. */
int amdvi_intr_table(struct amdvi *m, u16 devid, spa_t irt, u8 len_log2);

/* Commands. amdvi_queue() writes one command and moves the tail without
 * waiting; amdvi_sync() appends COMPLETION_WAIT (store) and polls the store
 * (-ETIMEDOUT after poll_limit polls); amdvi_submit() is the batch form: n
 * commands, one tail write, one wait. */
int amdvi_queue(struct amdvi *iommu, const struct amdvi_cmd *cmd);
int amdvi_sync(struct amdvi *iommu);
int amdvi_submit(struct amdvi *iommu, const struct amdvi_cmd *cmds, unsigned n);

/* Invalidate and wait. inv_pages covers [iova, iova+size) of a domain (the
 * minimal aligned block, PDE set); inv_all uses INVALIDATE_IOMMU_ALL or, when
 * EFR lacks IA, per-device and per-domain invalidations. */
int amdvi_inv_pages(struct amdvi *iommu, u16 domain_id, u64 iova, u64 size);
int amdvi_inv_devtab(struct amdvi *iommu, u16 devid);
int amdvi_inv_irt(struct amdvi *iommu, u16 devid);
int amdvi_inv_all(struct amdvi *iommu);

/* Event log: decode each new entry, call cb (NULL: pr_warn the formatted
 * line), advance the head register. Handles overflow by restarting the log.
 * Returns the number of events or a negative errno (bad tail register). */
typedef void (*amdvi_event_cb)(void *ctx, const struct amdvi_event *ev);
int amdvi_read_events(struct amdvi *iommu, amdvi_event_cb cb, void *ctx);

/* One-line summary of the counters (for reports). */
int amdvi_stats_format(const struct amdvi *iommu, char *buf, size_t len);

#endif
