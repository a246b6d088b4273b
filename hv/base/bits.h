/* Bit and field helpers for hardware words kept as plain u64 values
 * (PTEs, DTEs, commands, events, RMP entries), after Linux's bitfield.h:
 * a field is described by its mask, never by a compiler bitfield. */
#ifndef HV_BITS_H
#define HV_BITS_H

#include "hv/base/types.h"

#define BIT(n) (1ULL << (n))
/* Bits h..l inclusive, h >= l. */
#define GENMASK(h, l) ((~0ULL >> (63 - (h))) & (~0ULL << (l)))

static inline unsigned mask_shift(u64 mask) { return (unsigned)__builtin_ctzll(mask); }

/* Extract the field described by mask from word. */
#define FIELD_GET(mask, word) (((u64)(word) & (mask)) >> mask_shift(mask))
/* Place value in the field described by mask (excess bits are dropped). */
#define FIELD_PREP(mask, val) (((u64)(val) << mask_shift(mask)) & (mask))
/* True if val fits in the field described by mask. */
#define FIELD_FITS(mask, val) ((((u64)(val) << mask_shift(mask)) >> mask_shift(mask)) == (u64)(val) && \
			       (FIELD_PREP(mask, val) >> mask_shift(mask)) == (u64)(val))
/* Replace the field in word. */
#define FIELD_SET(mask, word, val) (((u64)(word) & ~(u64)(mask)) | FIELD_PREP(mask, val))

#endif
