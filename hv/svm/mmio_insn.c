/* MOV decoding for emulated MMIO (hv/svm/mmio_insn.h). Encodings: AMD APM
 * vol 3, 1.2 (legacy and REX prefixes), 1.4 (ModRM, SIB, displacements). */
#include "hv/svm/mmio_insn.h"

#include <errno.h>
#include <string.h>

#define MODRM_MOD(b) ((b) >> 6)
#define MODRM_REG(b) (((b) >> 3) & 7)
#define MODRM_RM(b)  ((b)&7)
#define SIB_BASE(b)  ((b)&7)
#define REX_W	     0x08
#define REX_R	     0x04
#define REX_B	     0x01

/* Length of ModRM (+SIB +displacement) at p; -EINVAL truncated, -ENOTSUP
 * for a register operand (mod = 3: no memory access to emulate). */
static int modrm_len(const u8 *p, unsigned n)
{
	unsigned len = 1, mod, rm;

	if (n < 1)
		return -EINVAL;
	mod = MODRM_MOD(p[0]);
	rm = MODRM_RM(p[0]);
	if (mod == 3)
		return -ENOTSUP;
	if (rm == 4) { /* SIB follows */
		if (n < 2)
			return -EINVAL;
		len++;
		if (mod == 0 && SIB_BASE(p[1]) == 5)
			len += 4; /* no base: disp32 */
	} else if (mod == 0 && rm == 5) {
		len += 4; /* RIP-relative (64-bit) or disp32 (32-bit) */
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len <= n ? (int)len : -EINVAL;
}

int mmio_insn_decode(const u8 *b, unsigned n, bool long64, struct mmio_insn *out)
{
	unsigned i = 0;
	u8 rex = 0, op;
	int ml;

	memset(out, 0, sizeof(*out));
	if (n > MMIO_INSN_MAX)
		n = MMIO_INSN_MAX;
	for (; i < n; i++) { /* legacy prefixes */
		u8 c = b[i];

		if (c == 0x2e || c == 0x36 || c == 0x3e || c == 0x26)
			continue;
		if (c == 0x66 || c == 0x67 || c == 0xf0 || c == 0xf2 || c == 0xf3 || c == 0x64 ||
		    c == 0x65)
			return -ENOTSUP; /* other sizes, FS/GS bases, LOCK, REP */
		break;
	}
	if (i < n && long64 && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i >= n)
		return -EINVAL;
	if (rex & REX_W)
		return -ENOTSUP;
	op = b[i++];
	out->size = 4;
	switch (op) {
	case 0x89: /* MOV r/m32, r32 */
	case 0x8b: /* MOV r32, r/m32 */
		ml = modrm_len(b + i, n - i);
		if (ml < 0)
			return ml;
		out->write = op == 0x89;
		out->reg = (u8)(MODRM_REG(b[i]) | ((rex & REX_R) ? 8 : 0));
		i += (unsigned)ml;
		break;
	case 0xc7: /* MOV r/m32, imm32 (/0) */
		if (i >= n)
			return -EINVAL;
		if (MODRM_REG(b[i]) != 0)
			return -ENOTSUP;
		ml = modrm_len(b + i, n - i);
		if (ml < 0)
			return ml;
		i += (unsigned)ml;
		if (i + 4 > n)
			return -EINVAL;
		out->write = true;
		out->has_imm = true;
		memcpy(&out->imm, b + i, 4);
		i += 4;
		break;
	case 0xa1: /* MOV EAX, moffs */
	case 0xa3: /* MOV moffs, EAX */
		i += long64 ? 8 : 4;
		if (i > n)
			return -EINVAL;
		out->write = op == 0xa3;
		out->reg = 0;
		break;
	default:
		return -ENOTSUP;
	}
	out->len = (u8)i;
	return 0;
}

int mov_cr_decode(const u8 *b, unsigned n, bool long64, struct mov_cr_insn *out)
{
	unsigned i = 0;
	u8 rex = 0;

	memset(out, 0, sizeof(*out));
	if (n > MMIO_INSN_MAX)
		n = MMIO_INSN_MAX;
	if (i < n && long64 && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (n - i < 3)
		return -EINVAL;
	if (b[i] != 0x0f || (b[i + 1] != 0x20 && b[i + 1] != 0x22))
		return -ENOTSUP;
	out->write = b[i + 1] == 0x22;
	out->cr = (u8)(MODRM_REG(b[i + 2]) | ((rex & REX_R) ? 8 : 0));
	out->reg = (u8)(MODRM_RM(b[i + 2]) | ((rex & REX_B) ? 8 : 0));
	out->len = (u8)(i + 3);
	return 0;
}
