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
 * HC_DEV_INFO is answered by hv/svm/exits.c from g->devs, which
 * guest_dev_assign fills; HC_DMA_PHASE is test-only (hv/scenarios/hc_test.c). */
#ifndef HV_GUEST_DEV_H
#define HV_GUEST_DEV_H

#include "hv/base/config.h"
#include "hv/base/types.h"

struct guest;

/* Where a guest finds its devices' BAR0 (docs/devices.md): above 3.5 GiB,
 * or above the guest's RAM rounded up to 1 GiB when that is higher. */
#define GUEST_DEV_BAR_BASE 0xE0000000ULL
#define GUEST_DEV_BAR_SLOT (16ULL << 20)
/* I/O page-table levels of guest domains: 4 = 48-bit IOVAs, more than any
 * DMA mask a device has here (edu: 40 bits), so no IOVA aliases by truncation. */
#define GUEST_DEV_IOMMU_LEVELS 4

/* The guest-physical window [lo, hi) of a guest's BARs (its virtual PCI
 * bus 0 memory window, also in a Linux guest's ACPI _CRS: hv/vm/acpi_guest.c). */
void guest_dev_bar_window(const struct guest *g, u64 *lo, u64 *hi);
/* The same window from the guest's memory size alone (pure: also used by
 * the SNP Linux launch layout and tools/snp-measure, whose DSDT holds it). */
static inline void guest_bar_window(u64 mem_size, u64 *lo, u64 *hi)
{
	*lo = MAX(GUEST_DEV_BAR_BASE, ALIGN_UP(mem_size, GIGA_SIZE));
	*hi = *lo + CFG_MAX_DEVICES * GUEST_DEV_BAR_SLOT;
}

int guest_dev_assign(struct guest *g);
void guest_dev_detach(struct guest *g);
void guest_dev_put(struct guest *g);

/* The live guest with id i (registered by guest_dev_assign, with or without
 * devices, until guest_dev_put), or NULL: for HC_DMA_PHASE's cross-guest
 * targets and checksums (hv/scenarios/hc_test.c). */
struct guest *guest_dev_live(unsigned i);

/* The final IOMMU event table (48882 2.5): every log drained, events per
 * (guest, device) and type, METRIC lines iommu.events.<guest>[.<bdf>].<TYPE>
 * and iommu.events.total. Nothing when the IOMMU is not up. */
void guest_dev_events_report(void);
/* Drains every event log now; own/other: events of g's devices and of any
 * other device (the DMA-phase check of hv/scenarios/hc_test.c). Returns the
 * events read, < 0 if a log could not be read. */
int guest_dev_events_drain(const struct guest *g, u64 *own, u64 *other);
/* The page at pa holds an IOMMU event log (the IOMMU writes it itself). */
bool guest_dev_in_event_log(u64 pa);
u64 guest_dev_event_log_bytes(void);
/* QEMU 7.2's IOMMU: its event log is never written (qemu-facts.md). */
bool guest_dev_event_log_dead(void);

#endif
