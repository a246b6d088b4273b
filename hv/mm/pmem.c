/* pmem: host physical frame allocator (see hv/mm/pmem.h). Pure code. */
#include "hv/mm/pmem.h"

#include <errno.h>
#include <string.h>

#include "hv/base/log.h"
#include "hv/base/mem.h"

#define FRAMES_PER_2M (HUGE_SIZE / PAGE_SIZE)
#define OWNER_NAME_LEN 24

static struct {
	u64 base_pfn;   /* first frame of the span, 2M aligned */
	u64 nr_frames;  /* span length in frames, multiple of 512 */
	u8 *owner;      /* one byte per frame */
	u16 *blk_free;  /* free frames per 2M block */
	u64 *blk_part;  /* bit per block: 0 < free frames < 512 */
	u64 *blk_whole; /* bit per block: every frame free */
	u64 *zeroed;    /* bit per frame: free and known to hold zeroes */
	u64 nr_blocks;
	u64 cursor;     /* block where the next 4K search starts */
	u64 total, free;
	u64 owner_pages[PMEM_MAX_OWNERS + 1];
	char owner_name[PMEM_MAX_OWNERS + 1][OWNER_NAME_LEN];
	unsigned nr_owners; /* ids 0..nr_owners-1 are in use */
	u64 meta_bytes;     /* owner .. zeroed: contiguous from owner (pmem_state_*) */
	bool ready;
} pm;

static bool frame_in_span(u64 pfn) { return pm.ready && pfn >= pm.base_pfn && pfn - pm.base_pfn < pm.nr_frames; }

#define BITMAP_BYTES(bits) (ALIGN_UP((u64)(bits), 64) / 8)

static inline void bit_set(u64 *m, u64 i) { m[i / 64] |= 1ULL << (i % 64); }
static inline void bit_clear(u64 *m, u64 i) { m[i / 64] &= ~(1ULL << (i % 64)); }

/* Files block b under "partly used" or "whole" from its free count. */
static void blk_index(u64 b)
{
	u16 f = pm.blk_free[b];

	if (f && f < FRAMES_PER_2M)
		bit_set(pm.blk_part, b);
	else
		bit_clear(pm.blk_part, b);
	if (f == FRAMES_PER_2M)
		bit_set(pm.blk_whole, b);
	else
		bit_clear(pm.blk_whole, b);
}

/* First set bit at or after `from` (wrapping), or nbits: a word at a time. */
static u64 bit_find(const u64 *m, u64 nbits, u64 from)
{
	u64 words = (nbits + 63) / 64;

	for (u64 k = 0; k <= words; k++) {
		u64 wi = (from / 64 + k) % words, w = m[wi];

		if (k == 0)
			w &= ~0ULL << (from % 64);
		else if (k == words)
			w &= (1ULL << (from % 64)) - 1;
		if (w) {
			u64 i = wi * 64 + (u64)__builtin_ctzll(w);

			if (i < nbits)
				return i;
		}
	}
	return nbits;
}

static void set_name(unsigned id, const char *name)
{
	strncpy(pm.owner_name[id], name, OWNER_NAME_LEN - 1);
	pm.owner_name[id][OWNER_NAME_LEN - 1] = 0;
}

int pmem_init(const struct pmem_region *regions, unsigned n)
{
	u64 lo = ~0ULL, hi = 0, best = 0, best_size = 0, meta_bytes, meta_frames;

	memset(&pm, 0, sizeof(pm));
	for (unsigned i = 0; i < n; i++) {
		u64 b = ALIGN_UP(spa_val(regions[i].base), PAGE_SIZE);
		u64 e = ALIGN_DOWN(spa_val(regions[i].base) + regions[i].size, PAGE_SIZE);

		if (e <= b)
			continue;
		lo = MIN(lo, b);
		hi = MAX(hi, e);
		if (e - b > best_size) {
			best = b;
			best_size = e - b;
		}
	}
	if (!best_size) {
		pr_err("pmem: no usable memory in the %u region(s) given\n", n);
		return -EINVAL;
	}
	lo = ALIGN_DOWN(lo, HUGE_SIZE);
	hi = ALIGN_UP(hi, HUGE_SIZE);
	pm.base_pfn = lo >> PAGE_SHIFT;
	pm.nr_frames = (hi - lo) >> PAGE_SHIFT;
	pm.nr_blocks = pm.nr_frames / FRAMES_PER_2M;
	meta_bytes = ALIGN_UP(pm.nr_frames, 8) + ALIGN_UP(pm.nr_blocks * sizeof(u16), 8) +
		     2 * BITMAP_BYTES(pm.nr_blocks) + BITMAP_BYTES(pm.nr_frames);
	meta_frames = ALIGN_UP(meta_bytes, PAGE_SIZE) >> PAGE_SHIFT;
	if (meta_frames * PAGE_SIZE >= best_size) {
		pr_err("pmem: %llu bytes of metadata do not fit in the largest region (%llu bytes)\n",
		       (unsigned long long)meta_bytes, (unsigned long long)best_size);
		return -ENOMEM;
	}
	pm.owner = phys_ptr(spa(best));
	pm.blk_free = (u16 *)(pm.owner + ALIGN_UP(pm.nr_frames, 8));
	pm.blk_part = (u64 *)((u8 *)pm.blk_free + ALIGN_UP(pm.nr_blocks * sizeof(u16), 8));
	pm.blk_whole = pm.blk_part + BITMAP_BYTES(pm.nr_blocks) / 8;
	pm.zeroed = pm.blk_whole + BITMAP_BYTES(pm.nr_blocks) / 8;
	pm.meta_bytes = meta_bytes;
	memset(pm.owner, PMEM_OWNER_NOT_RAM, pm.nr_frames);
	memset(pm.blk_free, 0, pm.nr_blocks * sizeof(u16));
	memset(pm.blk_part, 0, 2 * BITMAP_BYTES(pm.nr_blocks) + BITMAP_BYTES(pm.nr_frames));
	set_name(PMEM_OWNER_FREE, "free");
	set_name(PMEM_OWNER_META, "pmem-metadata");
	pm.nr_owners = 2;
	pm.ready = true;

	for (unsigned i = 0; i < n; i++) {
		u64 b = ALIGN_UP(spa_val(regions[i].base), PAGE_SIZE) >> PAGE_SHIFT;
		u64 e = ALIGN_DOWN(spa_val(regions[i].base) + regions[i].size, PAGE_SIZE) >> PAGE_SHIFT;

		for (u64 pfn = b; pfn < e; pfn++) {
			u64 idx = pfn - pm.base_pfn;

			if (pm.owner[idx] != PMEM_OWNER_NOT_RAM)
				continue; /* overlapping regions: count once */
			pm.owner[idx] = PMEM_OWNER_FREE;
			pm.blk_free[idx / FRAMES_PER_2M]++;
			pm.total++;
			pm.free++;
		}
	}
	for (u64 b = 0; b < pm.nr_blocks; b++)
		blk_index(b);
	pm.owner_pages[PMEM_OWNER_FREE] = pm.free;
	if (pmem_reserve(spa(best), meta_frames * PAGE_SIZE, PMEM_OWNER_META) != meta_frames) {
		pr_err("pmem: metadata frames were not all free\n");
		return -EINVAL;
	}
	return 0;
}

int pmem_owner_register(const char *name)
{
	for (unsigned i = 2; i < pm.nr_owners; i++)
		if (!strncmp(pm.owner_name[i], name, OWNER_NAME_LEN - 1))
			return (int)i;
	if (pm.nr_owners >= PMEM_MAX_OWNERS) {
		pr_err("pmem: no room for owner \"%s\" (%u owners)\n", name, pm.nr_owners);
		return -ENOSPC;
	}
	set_name(pm.nr_owners, name);
	return (int)pm.nr_owners++;
}

const char *pmem_owner_name(u8 owner)
{
	if (owner == PMEM_OWNER_NOT_RAM)
		return "not-ram";
	return owner < pm.nr_owners ? pm.owner_name[owner] : "?";
}

static bool owner_valid(u8 owner) { return owner >= PMEM_OWNER_META && owner < pm.nr_owners; }

static void take(u64 idx, u8 owner)
{
	u16 f = pm.blk_free[idx / FRAMES_PER_2M]--;

	if (f == FRAMES_PER_2M || f == 1)
		blk_index(idx / FRAMES_PER_2M);
	/* the zero bit stays: alloc reads it and zeroes what is not known zero */
	pm.owner[idx] = owner;
	pm.owner_pages[PMEM_OWNER_FREE]--;
	pm.owner_pages[owner]++;
	pm.free--;
}

/* take() of all 512 frames of a whole free block, at once. */
static void take_block(u64 b, u8 owner)
{
	memset(pm.owner + b * FRAMES_PER_2M, owner, FRAMES_PER_2M);
	pm.blk_free[b] = 0;
	blk_index(b);
	pm.owner_pages[PMEM_OWNER_FREE] -= FRAMES_PER_2M;
	pm.owner_pages[owner] += FRAMES_PER_2M;
	pm.free -= FRAMES_PER_2M;
}

static void give_back(u64 idx)
{
	pm.owner_pages[pm.owner[idx]]--;
	pm.owner[idx] = PMEM_OWNER_FREE;
	pm.blk_free[idx / FRAMES_PER_2M]++;
	if (pm.blk_free[idx / FRAMES_PER_2M] == 1 || pm.blk_free[idx / FRAMES_PER_2M] == FRAMES_PER_2M)
		blk_index(idx / FRAMES_PER_2M);
	pm.owner_pages[PMEM_OWNER_FREE]++;
	pm.free++;
}

static spa_t idx_spa(u64 idx) { return spa((pm.base_pfn + idx) << PAGE_SHIFT); }

/* Zeroes the frames [idx, idx + n) that are not known to be zero (frames
 * scrubbed by pmem_free are) and clears their zero bits: they are owned now.
 * Runs of frames not known zero are found a bitmap word at a time and each
 * zeroed with one phys_zero. */
static void zero_frames(u64 idx, u64 n)
{
	u64 i = idx, end = idx + n;

	while (i < end) {
		u64 j = i;

		/* [i, j): not known zero */
		while (j < end) {
			u64 w = pm.zeroed[j / 64] >> (j % 64);

			if (w & 1)
				break;
			if (!w) { /* none known zero up to the end of this word */
				j = MIN(end, ALIGN_DOWN(j, 64) + 64);
				continue;
			}
			j = MIN(end, j + (u64)__builtin_ctzll(w));
		}
		if (j > i) {
			phys_zero(idx_spa(i), (j - i) * PAGE_SIZE);
			i = j;
			continue;
		}
		bit_clear(pm.zeroed, i++); /* known zero: taken as it is */
	}
}

/* A free frame of block blk: the owner bytes 8 at a time (free = 0). */
static u64 free_in_block(u64 blk)
{
	const u64 *w = (const u64 *)(pm.owner + blk * FRAMES_PER_2M);

	for (u64 k = 0; k < FRAMES_PER_2M / 8; k++) {
		u64 z = (w[k] - 0x0101010101010101ULL) & ~w[k] & 0x8080808080808080ULL;

		if (z)
			return blk * FRAMES_PER_2M + k * 8 + (u64)__builtin_ctzll(z) / 8;
	}
	panic("pmem: block %llu counts free frames but has none", (unsigned long long)blk);
}

/* A 4K frame: first a partly used block from the cursor on, then a whole
 * free block (split only when no partly used block is left, which keeps 2M
 * blocks for 2M allocations). Both searches go through the block bitmaps. */
static int block_for_4k(u64 *blk)
{
	*blk = bit_find(pm.blk_part, pm.nr_blocks, pm.cursor);
	if (*blk == pm.nr_blocks)
		*blk = bit_find(pm.blk_whole, pm.nr_blocks, pm.cursor);
	if (*blk == pm.nr_blocks)
		return -ENOMEM;
	pm.cursor = *blk;
	return 0;
}

static int alloc_4k(u8 owner, spa_t *out)
{
	u64 blk, idx;

	if (block_for_4k(&blk))
		return -ENOMEM;
	idx = free_in_block(blk);
	take(idx, owner);
	zero_frames(idx, 1);
	*out = idx_spa(idx);
	return 0;
}

int pmem_alloc_run(u64 max, u8 owner, spa_t *out, u64 *got)
{
	u64 blk, idx, n = 1, end;

	if (!pm.ready)
		return -ENODEV;
	if (!owner_valid(owner) || !max)
		return -EINVAL;
	if (block_for_4k(&blk))
		return -ENOMEM;
	idx = free_in_block(blk);
	end = (blk + 1) * FRAMES_PER_2M;
	while (n < max && idx + n < end && pm.owner[idx + n] == PMEM_OWNER_FREE)
		n++;
	for (u64 i = 0; i < n; i++)
		take(idx + i, owner);
	zero_frames(idx, n); /* one run: one streaming zero, not one per frame */
	*out = idx_spa(idx);
	*got = n;
	return 0;
}

int pmem_alloc_blocks(u64 nblocks, u8 owner, spa_t *out)
{
	u64 run = 0;

	if (!pm.ready)
		return -ENODEV;
	if (!owner_valid(owner) || !nblocks)
		return -EINVAL;
	if (nblocks == 1) {
		u64 b = bit_find(pm.blk_whole, pm.nr_blocks, 0);

		if (b == pm.nr_blocks)
			return -ENOMEM;
		take_block(b, owner);
		zero_frames(b * FRAMES_PER_2M, FRAMES_PER_2M);
		*out = idx_spa(b * FRAMES_PER_2M);
		return 0;
	}
	for (u64 b = 0; b < pm.nr_blocks; b++) {
		run = pm.blk_free[b] == FRAMES_PER_2M ? run + 1 : 0;
		if (run < nblocks)
			continue;
		u64 first = b + 1 - nblocks;

		for (u64 idx = first * FRAMES_PER_2M; idx < (b + 1) * FRAMES_PER_2M; idx++)
			take(idx, owner);
		zero_frames(first * FRAMES_PER_2M, nblocks * FRAMES_PER_2M);
		*out = idx_spa(first * FRAMES_PER_2M);
		return 0;
	}
	return -ENOMEM;
}

int pmem_alloc(unsigned order, u8 owner, spa_t *out)
{
	if (!pm.ready)
		return -ENODEV;
	if (!owner_valid(owner)) {
		pr_err("pmem: alloc for unregistered owner %u\n", owner);
		return -EINVAL;
	}
	if (order == PMEM_ORDER_4K)
		return alloc_4k(owner, out);
	if (order == PMEM_ORDER_2M)
		return pmem_alloc_blocks(1, owner, out);
	pr_err("pmem: order %u not supported (0 = 4K, 9 = 2M)\n", order);
	return -EINVAL;
}

/* Checks that 2^order frames at pa all belong to owner. */
static int check_owned(spa_t pa, unsigned order, u8 owner, const char *what)
{
	u64 n = 1ULL << order, pfn = spa_val(pa) >> PAGE_SHIFT;

	if ((order != PMEM_ORDER_4K && order != PMEM_ORDER_2M) ||
	    !IS_ALIGNED(spa_val(pa), PAGE_SIZE << order)) {
		pr_err("pmem: %s of 0x%llx order %u: bad order or alignment\n", what,
		       (unsigned long long)spa_val(pa), order);
		return -EINVAL;
	}
	if (!frame_in_span(pfn) || !frame_in_span(pfn + n - 1)) {
		pr_err("pmem: %s of 0x%llx: outside pmem\n", what, (unsigned long long)spa_val(pa));
		return -EINVAL;
	}
	for (u64 i = 0; i < n; i++) {
		u8 o = pm.owner[pfn - pm.base_pfn + i];

		if (o == owner)
			continue;
		pr_err("pmem: %s of 0x%llx by %s: frame 0x%llx is %s%s\n", what,
		       (unsigned long long)spa_val(pa), pmem_owner_name(owner),
		       (unsigned long long)((pfn + i) << PAGE_SHIFT),
		       o == PMEM_OWNER_FREE ? "already free (double free)" : "owned by ",
		       o == PMEM_OWNER_FREE ? "" : pmem_owner_name(o));
		return -EINVAL;
	}
	return 0;
}

int pmem_free(spa_t pa, unsigned order, u8 owner)
{
	int err;

	if (!owner_valid(owner)) {
		pr_err("pmem: free by unregistered owner %u\n", owner);
		return -EINVAL;
	}
	err = check_owned(pa, order, owner, "free");
	if (err)
		return err;
	phys_zero(pa, PAGE_SIZE << order); /* scrub: no data lingers in free memory */
	for (u64 i = 0; i < (1ULL << order); i++) {
		u64 idx = (spa_val(pa) >> PAGE_SHIFT) - pm.base_pfn + i;

		give_back(idx);
		bit_set(pm.zeroed, idx); /* so the next allocation need not zero it again */
	}
	return 0;
}

int pmem_transfer(spa_t pa, unsigned order, u8 from, u8 to)
{
	int err;

	if (!owner_valid(from) || !owner_valid(to))
		return -EINVAL;
	err = check_owned(pa, order, from, "transfer");
	if (err)
		return err;
	for (u64 i = 0; i < (1ULL << order); i++) {
		u64 idx = (spa_val(pa) >> PAGE_SHIFT) - pm.base_pfn + i;

		pm.owner[idx] = to;
		pm.owner_pages[from]--;
		pm.owner_pages[to]++;
	}
	return 0;
}

u64 pmem_reserve(spa_t base, u64 size, u8 owner)
{
	u64 b = spa_val(base) >> PAGE_SHIFT;
	u64 e = ALIGN_UP(spa_val(base) + size, PAGE_SIZE) >> PAGE_SHIFT;
	u64 taken = 0;

	if (!owner_valid(owner))
		return 0;
	for (u64 pfn = b; pfn < e; pfn++) {
		if (!frame_in_span(pfn) || pm.owner[pfn - pm.base_pfn] != PMEM_OWNER_FREE)
			continue;
		take(pfn - pm.base_pfn, owner);
		bit_clear(pm.zeroed, pfn - pm.base_pfn); /* the new owner may write it */
		taken++;
	}
	return taken;
}

u8 pmem_owner_of(spa_t pa)
{
	u64 pfn = spa_val(pa) >> PAGE_SHIFT;

	return frame_in_span(pfn) ? pm.owner[pfn - pm.base_pfn] : PMEM_OWNER_NOT_RAM;
}

u64 pmem_owner_pages(u8 owner) { return pm.owner_pages[owner]; }
u64 pmem_free_pages(void) { return pm.free; }
u64 pmem_total_pages(void) { return pm.total; }
spa_t pmem_span_base(void) { return spa(pm.base_pfn << PAGE_SHIFT); }
spa_t pmem_span_end(void) { return spa((pm.base_pfn + pm.nr_frames) << PAGE_SHIFT); }

u64 pmem_free_2m_blocks(void)
{
	u64 n = 0;

	for (u64 w = 0; w < BITMAP_BYTES(pm.nr_blocks) / 8; w++)
		n += (u64)__builtin_popcountll(pm.blk_whole[w]);
	return n;
}

void pmem_report(void)
{
	pr_info("pmem: %llu MiB usable in span 0x%llx-0x%llx, %llu MiB free (%llu free 2M blocks)\n",
		(unsigned long long)(pm.total >> 8), (unsigned long long)spa_val(pmem_span_base()),
		(unsigned long long)spa_val(pmem_span_end()), (unsigned long long)(pm.free >> 8),
		(unsigned long long)pmem_free_2m_blocks());
	pr_info("  %-24s %10s %10s\n", "owner", "pages", "KiB");
	for (unsigned i = 0; i < pm.nr_owners; i++)
		pr_info("  %-24s %10llu %10llu\n", pm.owner_name[i],
			(unsigned long long)pm.owner_pages[i], (unsigned long long)pm.owner_pages[i] * 4);
}

/* ---- state save / restore (test harnesses, pmem.h) ---- */

/* The buffer: the bookkeeping struct, then the metadata bytes it points to. */
u64 pmem_state_size(void) { return pm.ready ? sizeof(pm) + pm.meta_bytes : 0; }

void pmem_state_save(void *buf)
{
	if (!pm.ready)
		return;
	memcpy(buf, &pm, sizeof(pm));
	memcpy((u8 *)buf + sizeof(pm), pm.owner, pm.meta_bytes);
}

int pmem_state_restore(const void *buf)
{
	__typeof__(pm) s;

	memcpy(&s, buf, sizeof(s));
	/* The metadata pointers are into the span: only the same span may take
	 * the saved bytes back (after a pmem_init over other memory: refused). */
	if (!s.ready || !pm.ready || s.owner != pm.owner || s.base_pfn != pm.base_pfn ||
	    s.nr_frames != pm.nr_frames || s.meta_bytes != pm.meta_bytes)
		return -EINVAL;
	memcpy(&pm, &s, sizeof(pm));
	memcpy(pm.owner, (const u8 *)buf + sizeof(pm), pm.meta_bytes);
	return 0;
}
