/* Device assignment: PCI functions named in hv.cfg (`device = bb:dd.f
 * trusted|untrusted`) passed through to guests, their DMA translated by IOMMU
 * domains that gmem alone feeds (docs/devices.md).
 *
 *   guest_dev_assign(g)   after the guest's memory exists: checks every device
 *                         line, one gmem domain per trust class (untrusted:
 *                         shared memory only, I6), DTEs -> gmem's tables, BAR0
 *                         -> the guest's NPT (gmem_map_mmio, uncached, NX) at
 *                         GUEST_DEV_BAR_BASE + n * GUEST_DEV_BAR_SLOT, memory
 *                         decode + bus mastering on. An error finishes the
 *                         guest as "killed" with the guest, BDF and reason.
 *   guest_dev_detach(g)   before the guest's memory goes: bus mastering off,
 *                         DTEs blocked, each domain invalidated and waited
 *                         for, BARs unmapped from the NPT.
 *   guest_dev_put(g)      after gmem was destroyed: domain IDs freed.
 * Hypercalls HC_DEV_INFO and HC_DMA_PHASE reach dev_hc_hook (hv/svm/exits.c is
 * pure code; the hook is set by hv/vm/guest_dev.c in hv.efi only). */
#ifndef HV_GUEST_DEV_H
#define HV_GUEST_DEV_H

#include "hv/base/types.h"

struct guest;
struct vcpu;

/* Where a guest finds its devices' BAR0 (docs/devices.md): above 3.5 GiB,
 * or above the guest's RAM rounded up to 1 GiB when that is higher. */
#define GUEST_DEV_BAR_BASE 0xE0000000ULL
#define GUEST_DEV_BAR_SLOT (16ULL << 20)
/* I/O page-table levels of guest domains: 4 = 48-bit IOVAs, more than any
 * DMA mask a device has here (edu: 40 bits), so no IOVA aliases by truncation. */
#define GUEST_DEV_IOMMU_LEVELS 4

int guest_dev_assign(struct guest *g);
void guest_dev_detach(struct guest *g);
void guest_dev_put(struct guest *g);

/* The final IOMMU event table (48882 2.5): every log drained, events per
 * (guest, device) and type, METRIC lines iommu.events.<guest>[.<bdf>].<TYPE>
 * and iommu.events.total. Nothing when the IOMMU is not up. */
void guest_dev_events_report(void);

/* hv/svm/exits.c: HC_DEV_INFO / HC_DMA_PHASE go here (NULL: HC_ENOSYS). */
extern s64 (*dev_hc_hook)(struct vcpu *v, u64 nr, u64 a1, u64 a2, u64 a3);

#endif
