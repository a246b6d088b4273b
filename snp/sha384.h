/* SHA-384 (FIPS 180-4, section 6.5: SHA-512 compression, truncated output).
 * Pure integer C: used by the launch measurement in the hypervisor
 * (-mgeneral-regs-only) and by the host tools. Incremental and one-shot. */
#ifndef SNP_SHA384_H
#define SNP_SHA384_H

#include "hv/base/types.h"

#define SHA384_DIGEST_SIZE 48
#define SHA384_BLOCK_SIZE  128 /* the SHA-512 block */

struct sha384_ctx {
	u64 h[8];  /* working hash value H(i) */
	u64 bytes; /* message length so far, in bytes */
	u32 used;  /* bytes waiting in buf */
	u8 buf[SHA384_BLOCK_SIZE];
};

void sha384_init(struct sha384_ctx *ctx);
void sha384_update(struct sha384_ctx *ctx, const void *data, size_t len);
/* Writes the digest and wipes the context; init again to reuse it. */
void sha384_final(struct sha384_ctx *ctx, u8 out[SHA384_DIGEST_SIZE]);
void sha384(const void *data, size_t len, u8 out[SHA384_DIGEST_SIZE]);

#endif
