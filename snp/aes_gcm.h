/* AES-256 (FIPS 197) and GCM (NIST SP 800-38D) in pure integer C: the AEAD
 * of SEV-SNP guest messages (SNP firmware ABI 56860, "Guest Messages":
 * AES-256-GCM, 96-bit IV, 128-bit tag). One source for the hypervisor's
 * firmware model (built -mgeneral-regs-only: no SSE, no AES-NI), the guest
 * library and the host tests. Table-free GHASH (bitwise GF(2^128) multiply)
 * and byte-wise AES: small and slow, enough for a few 4 KiB messages. Not
 * constant-time with respect to the S-box lookups: fine for an emulation,
 * not for secrets that face a cache side channel. */
#ifndef SNP_AES_GCM_H
#define SNP_AES_GCM_H

#include "hv/base/types.h"

#define AES256_KEY_SIZE 32
#define AES_BLOCK_SIZE	16
#define AES256_ROUNDS	14
#define GCM_IV_SIZE	12
#define GCM_TAG_SIZE	16

struct aes256 {
	u8 rk[(AES256_ROUNDS + 1) * AES_BLOCK_SIZE]; /* expanded round keys */
};

void aes256_init(struct aes256 *a, const u8 key[AES256_KEY_SIZE]);
void aes256_encrypt_block(const struct aes256 *a, const u8 in[AES_BLOCK_SIZE],
			  u8 out[AES_BLOCK_SIZE]);

/* AES-256-GCM with a 96-bit IV. out may equal in. */
void aes256_gcm_encrypt(const u8 key[AES256_KEY_SIZE], const u8 iv[GCM_IV_SIZE], const void *aad,
			size_t aad_len, const void *in, size_t len, void *out,
			u8 tag[GCM_TAG_SIZE]);
/* Checks the tag first (constant-time compare); only then decrypts into out.
 * 0, or -1 with out untouched when the tag does not match. */
int aes256_gcm_decrypt(const u8 key[AES256_KEY_SIZE], const u8 iv[GCM_IV_SIZE], const void *aad,
		       size_t aad_len, const void *in, size_t len, void *out,
		       const u8 tag[GCM_TAG_SIZE]);

#endif
