/* AES-256 (FIPS 197) and GCM (NIST SP 800-38D): see aes_gcm.h. */
#include "snp/aes_gcm.h"

#include <string.h>

/* FIPS 197 figure 7, the S-box. */
static const u8 sbox[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};

/* Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS 197 4.2.1). */
static u8 xtime(u8 b)
{
	return (u8)((b << 1) ^ ((b >> 7) * 0x1b));
}

/* FIPS 197 5.2, Nk = 8, Nr = 14. */
void aes256_init(struct aes256 *a, const u8 key[AES256_KEY_SIZE])
{
	u8 *w = a->rk, t[4], rcon = 1;

	memcpy(w, key, AES256_KEY_SIZE);
	for (unsigned i = 8; i < 4 * (AES256_ROUNDS + 1); i++) {
		memcpy(t, w + 4 * (i - 1), 4);
		if (i % 8 == 0) {
			u8 t0 = t[0];

			t[0] = (u8)(sbox[t[1]] ^ rcon);
			t[1] = sbox[t[2]];
			t[2] = sbox[t[3]];
			t[3] = sbox[t0];
			rcon = xtime(rcon);
		} else if (i % 8 == 4) {
			for (unsigned k = 0; k < 4; k++)
				t[k] = sbox[t[k]];
		}
		for (unsigned k = 0; k < 4; k++)
			w[4 * i + k] = w[4 * (i - 8) + k] ^ t[k];
	}
}

static void add_round_key(u8 s[16], const u8 *rk)
{
	for (unsigned k = 0; k < 16; k++)
		s[k] ^= rk[k];
}

/* SubBytes and ShiftRows (FIPS 197 5.1.1, 5.1.2); the state is column
 * major: s[4 * c + r]. */
static void sub_shift(u8 s[16])
{
	u8 t[16];

	for (unsigned c = 0; c < 4; c++)
		for (unsigned r = 0; r < 4; r++)
			t[4 * c + r] = sbox[s[4 * ((c + r) % 4) + r]];
	memcpy(s, t, 16);
}

/* MixColumns (FIPS 197 5.1.3). */
static void mix_columns(u8 s[16])
{
	for (unsigned c = 0; c < 4; c++) {
		u8 *col = s + 4 * c, a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
		u8 all = a0 ^ a1 ^ a2 ^ a3;

		col[0] = (u8)(a0 ^ all ^ xtime(a0 ^ a1));
		col[1] = (u8)(a1 ^ all ^ xtime(a1 ^ a2));
		col[2] = (u8)(a2 ^ all ^ xtime(a2 ^ a3));
		col[3] = (u8)(a3 ^ all ^ xtime(a3 ^ a0));
	}
}

void aes256_encrypt_block(const struct aes256 *a, const u8 in[AES_BLOCK_SIZE],
			  u8 out[AES_BLOCK_SIZE])
{
	u8 s[16];

	memcpy(s, in, 16);
	add_round_key(s, a->rk);
	for (unsigned r = 1; r < AES256_ROUNDS; r++) {
		sub_shift(s);
		mix_columns(s);
		add_round_key(s, a->rk + 16 * r);
	}
	sub_shift(s);
	add_round_key(s, a->rk + 16 * AES256_ROUNDS);
	memcpy(out, s, 16);
}

/* ---- GCM (SP 800-38D) ------------------------------------------------------ */

static u64 load_be64(const u8 *p)
{
	u64 v = 0;

	for (unsigned k = 0; k < 8; k++)
		v = v << 8 | p[k];
	return v;
}

static void store_be64(u8 *p, u64 v)
{
	for (unsigned k = 0; k < 8; k++)
		p[k] = (u8)(v >> (56 - 8 * k));
}

/* X * H in GF(2^128) (SP 800-38D 6.3, algorithm 1; bit 0 is the MSB of
 * byte 0, R = 11100001 || 0^120). */
static void gf_mult(u8 x[16], const u8 h[16])
{
	u64 zh = 0, zl = 0, vh = load_be64(h), vl = load_be64(h + 8);

	for (unsigned i = 0; i < 128; i++) {
		u64 bit = (x[i / 8] >> (7 - i % 8)) & 1;
		u64 lsb = vl & 1;

		zh ^= vh & (0 - bit);
		zl ^= vl & (0 - bit);
		vl = vl >> 1 | vh << 63;
		vh = (vh >> 1) ^ (0xE100000000000000ULL & (0 - lsb));
	}
	store_be64(x, zh);
	store_be64(x + 8, zl);
}

static void ghash_update(u8 y[16], const u8 h[16], const u8 *data, size_t len)
{
	while (len) {
		size_t n = len < 16 ? len : 16;

		for (size_t k = 0; k < n; k++)
			y[k] ^= data[k];
		gf_mult(y, h);
		data += n;
		len -= n;
	}
}

struct gcm {
	struct aes256 aes;
	u8 h[16];  /* E(K, 0^128) */
	u8 j0[16]; /* IV || 0^31 || 1 */
};

static void gcm_init(struct gcm *g, const u8 key[AES256_KEY_SIZE], const u8 iv[GCM_IV_SIZE])
{
	static const u8 zero[16];

	aes256_init(&g->aes, key);
	aes256_encrypt_block(&g->aes, zero, g->h);
	memcpy(g->j0, iv, GCM_IV_SIZE);
	g->j0[12] = 0;
	g->j0[13] = 0;
	g->j0[14] = 0;
	g->j0[15] = 1;
}

/* GCTR from inc32(J0) (SP 800-38D 6.5). */
static void gctr(const struct gcm *g, const u8 *in, size_t len, u8 *out)
{
	u8 cb[16], ks[16];
	u32 ctr = (u32)g->j0[12] << 24 | (u32)g->j0[13] << 16 | (u32)g->j0[14] << 8 | g->j0[15];

	memcpy(cb, g->j0, 16);
	while (len) {
		size_t n = len < 16 ? len : 16;

		ctr++;
		cb[12] = (u8)(ctr >> 24);
		cb[13] = (u8)(ctr >> 16);
		cb[14] = (u8)(ctr >> 8);
		cb[15] = (u8)ctr;
		aes256_encrypt_block(&g->aes, cb, ks);
		for (size_t k = 0; k < n; k++)
			out[k] = in[k] ^ ks[k];
		in += n;
		out += n;
		len -= n;
	}
}

/* T = E(K, J0) xor GHASH(A || 0 || C || 0 || [len(A)]64 || [len(C)]64). */
static void gcm_tag(const struct gcm *g, const u8 *aad, size_t aad_len, const u8 *c, size_t len,
		    u8 tag[GCM_TAG_SIZE])
{
	u8 y[16], lens[16], ek[16];

	memset(y, 0, sizeof(y));
	ghash_update(y, g->h, aad, aad_len);
	ghash_update(y, g->h, c, len);
	store_be64(lens, (u64)aad_len * 8);
	store_be64(lens + 8, (u64)len * 8);
	ghash_update(y, g->h, lens, 16);
	aes256_encrypt_block(&g->aes, g->j0, ek);
	for (unsigned k = 0; k < GCM_TAG_SIZE; k++)
		tag[k] = y[k] ^ ek[k];
}

void aes256_gcm_encrypt(const u8 key[AES256_KEY_SIZE], const u8 iv[GCM_IV_SIZE], const void *aad,
			size_t aad_len, const void *in, size_t len, void *out, u8 tag[GCM_TAG_SIZE])
{
	struct gcm g;

	gcm_init(&g, key, iv);
	gctr(&g, in, len, out);
	gcm_tag(&g, aad, aad_len, out, len, tag);
	memset(&g, 0, sizeof(g));
}

int aes256_gcm_decrypt(const u8 key[AES256_KEY_SIZE], const u8 iv[GCM_IV_SIZE], const void *aad,
		       size_t aad_len, const void *in, size_t len, void *out,
		       const u8 tag[GCM_TAG_SIZE])
{
	struct gcm g;
	u8 t[GCM_TAG_SIZE], diff = 0;

	gcm_init(&g, key, iv);
	gcm_tag(&g, aad, aad_len, in, len, t);
	for (unsigned k = 0; k < GCM_TAG_SIZE; k++)
		diff |= t[k] ^ tag[k];
	if (!diff)
		gctr(&g, in, len, out);
	memset(&g, 0, sizeof(g));
	return diff ? -1 : 0;
}
