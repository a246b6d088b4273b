/* pmem: the host physical frame allocator, the only owner of RAM.
 *
 * Built from the firmware memory map (usable = EfiConventionalMemory only).
 * Hands out scrubbed 4 KiB (order 0) and 2 MiB (order 9) frames, keeps one
 * owner byte per frame (accounting by owner, double-free and wrong-owner
 * detection) and a free count per 2 MiB block (4K allocations prefer
 * partly used blocks so that whole 2M blocks stay available; two bitmaps
 * index the partly used and the whole free blocks). Frees scrub the frame
 * so that no guest data lingers in free memory; a bit per frame remembers
 * that a free frame is known zero, so an allocation zeroes only frames that
 * were never scrubbed (free at boot). This relies on nothing writing a free
 * frame (I7: xcheck proves that no free frame is mapped or linked).
 * Metadata lives in the first frames of the largest usable region. */
#ifndef HV_PMEM_H
#define HV_PMEM_H

#include "hv/base/types.h"

#define PMEM_ORDER_4K 0
#define PMEM_ORDER_2M 9

#define PMEM_OWNER_FREE 0     /* a free frame */
#define PMEM_OWNER_META 1     /* pmem's own metadata */
#define PMEM_OWNER_NOT_RAM 0xFF /* a hole inside the span: never allocatable */
#define PMEM_MAX_OWNERS 0xFF

struct pmem_region {
	spa_t base;
	u64 size;
};

/* (Re)initialises pmem over the given usable regions (need not be sorted
 * or aligned: partial frames are dropped). Returns 0 or -EINVAL / -ENOMEM. */
int pmem_init(const struct pmem_region *regions, unsigned n);

/* Registers an owner name (copied up to 23 chars); returns its id (>= 2) or
 * -ENOSPC. Registering an existing name returns the existing id. */
int pmem_owner_register(const char *name);
const char *pmem_owner_name(u8 owner);

/* Allocates 2^order zeroed frames, naturally aligned. -ENOMEM when none. */
int pmem_alloc(unsigned order, u8 owner, spa_t *out);
/* Allocates 1 to max physically contiguous zeroed 4K frames where
 * pmem_alloc(PMEM_ORDER_4K) would take the first (the same block policy),
 * as many as are free in a row there: *out the first, *got how many. Each
 * frame is a 4K allocation of its own (freed one by one). -ENOMEM when none. */
int pmem_alloc_run(u64 max, u8 owner, spa_t *out, u64 *got);
/* Allocates nblocks physically contiguous, zeroed 2M blocks. */
int pmem_alloc_blocks(u64 nblocks, u8 owner, spa_t *out);
/* Frees 2^order frames at pa (naturally aligned), each owned by owner.
 * Any frame that is free (double free), not RAM, or owned by someone else is
 * an error (-EINVAL with a message) and nothing is freed. A 2M allocation
 * may be freed as 512 4K frees. */
int pmem_free(spa_t pa, unsigned order, u8 owner);
/* Takes the free frames of [base, base+size) for owner (e.g. the hypervisor
 * image or boot data, in case the firmware reported them as usable). Frames
 * outside pmem or already owned are skipped. Returns frames taken. */
u64 pmem_reserve(spa_t base, u64 size, u8 owner);
/* Gives a frame's ownership to another owner (e.g. free-list accounting of
 * a page-table page that moves to a guest). -EINVAL if not owned by from. */
int pmem_transfer(spa_t pa, unsigned order, u8 from, u8 to);

u8 pmem_owner_of(spa_t pa); /* PMEM_OWNER_NOT_RAM outside the span */
u64 pmem_owner_pages(u8 owner);
u64 pmem_free_pages(void);
u64 pmem_total_pages(void);
u64 pmem_free_2m_blocks(void);
/* Span covered by the metadata (lowest usable frame to highest end). */
spa_t pmem_span_base(void);
spa_t pmem_span_end(void);

/* Prints the accounting table (owner, pages, MiB). */
void pmem_report(void);

/* For test harnesses only (fuzzers that run many inputs from one state):
 * a copy of pmem's whole state (its private bookkeeping and the metadata
 * frames it points to) and putting it back. pmem_state_size() is the buffer
 * size pmem_state_save() needs (0 before pmem_init). pmem_state_restore()
 * returns pmem to exactly the saved state, as if every call since the save
 * had not happened; it does not touch any frame's contents other than the
 * metadata's, so the caller must put back the frames it cares about (a
 * frame free and known zero in the saved state must hold zeroes again: it is
 * handed out without being zeroed). -EINVAL if the buffer was saved from
 * another span (a pmem_init over other memory since). The hypervisor never
 * calls these. */
u64 pmem_state_size(void);
void pmem_state_save(void *buf);
int pmem_state_restore(const void *buf);

#endif
