/* A fake AMD IOMMU register file for host tests (AMD IOMMU 48882 3.4): base
 * registers latched on 8-byte writes, the command ring run synchronously on
 * tail and control writes (as QEMU does), COMPLETION_WAIT stores performed,
 * every other command recorded, events appended on request. One struct per
 * IOMMU: the ops' ctx is the struct fake_amdvi, so several fakes can sit
 * behind several struct amdvi at once. Memory is reached through phys_ptr()
 * (a host_phys_window set up by the test). */
#ifndef TESTS_UNIT_FAKE_AMDVI_H
#define TESTS_UNIT_FAKE_AMDVI_H

#include "iommu/amdvi.h"

#define FAKE_AMDVI_MAX_CMDS 8192
#define FAKE_AMDVI_MAX_CTRL 64

struct fake_amdvi {
	u64 reg[MMIO_REGION_SIZE / 8];
	u64 devtab, cmdbuf, evtlog;
	u32 devtab_bytes, cmd_entries, evt_entries;
	u32 head;	    /* byte offset */
	bool never_store;   /* COMPLETION_WAIT stores are lost */
	bool stalled;	    /* tail writes do not run commands */
	bool qemu_head_bug; /* head register reads entries*16 at the wrap (QEMU 7.2) */
	bool no_w1c;	    /* status cannot be cleared (QEMU 7.2) */
	struct amdvi_cmd cmds[FAKE_AMDVI_MAX_CMDS]; /* non-COMPLETION_WAIT commands, in order */
	unsigned ncmds, nwaits, nexec;
	u64 ctrl_log[FAKE_AMDVI_MAX_CTRL];
	unsigned nctrl;
};

/* ctx = struct fake_amdvi *. */
extern const struct amdvi_mmio_ops fake_amdvi_ops;

/* Zero the fake and set its read-only EFR. */
void fake_amdvi_reset(struct fake_amdvi *f, u64 efr);
u64 *fake_amdvi_reg(struct fake_amdvi *f, u32 off);
u64 fake_amdvi_read64(void *ctx, u32 off);
/* Run the command ring up to the tail (what a tail write does). */
void fake_amdvi_run(struct fake_amdvi *f);
/* Both IOMMU_EN and CMDBUF_EN (resp. EVT_LOG_EN) set in the control register. */
bool fake_amdvi_cmd_running(const struct fake_amdvi *f);
bool fake_amdvi_evt_running(const struct fake_amdvi *f);
/* Append an event as the IOMMU would; false (and overflow) when full. */
bool fake_amdvi_push_event(struct fake_amdvi *f, unsigned type, u16 devid, u32 dom, u16 flags,
			   u64 addr);

#endif
