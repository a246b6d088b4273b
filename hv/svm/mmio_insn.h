/* Decoding the MOV instructions a guest uses on emulated MMIO (the xAPIC
 * page): QEMU 7.2 TCG has no decode assists (CPUID 8000_000A EDX[7] clear,
 * qemu-facts.md), so a nested page fault on an MMIO page gives the GPA but
 * neither the instruction's length nor its register. Pure.
 *
 * Accepted (AMD APM vol 3, "MOV"; operand size 32 bits only, the APIC's
 * register width): 89 /r (MOV r/m32, r32), 8B /r (MOV r32, r/m32),
 * C7 /0 id (MOV r/m32, imm32), A1 / A3 (MOV EAX, moffs64 / MOV moffs64, EAX),
 * with REX (R and B extend the registers; W = 64-bit is refused) and the
 * DS/ES/SS/CS segment prefixes (no effect in 64-bit mode). ModRM with SIB,
 * disp8/disp32 and RIP-relative forms are measured for the length only: the
 * address comes from the fault. Anything else is -ENOTSUP. */
#ifndef HV_SVM_MMIO_INSN_H
#define HV_SVM_MMIO_INSN_H

#include "hv/base/types.h"

#define MMIO_INSN_MAX 15

struct mmio_insn {
	bool write;   /* store to memory */
	bool has_imm; /* the value stored is imm (C7), else register reg */
	u8 reg;	      /* 0 = RAX ... 15 = R15 (x86 encoding order) */
	u8 size;      /* bytes accessed: 4 */
	u8 len;	      /* instruction length */
	u32 imm;
};

/* Decodes bytes[0..n) (n = bytes readable at RIP, at most 15); long64: the
 * vCPU is in 64-bit mode (CS.L, EFER.LMA) — otherwise 32-bit protected
 * mode addressing (no REX, no RIP-relative). 0, -ENOTSUP (not an accepted
 * form), -EINVAL (truncated). */
int mmio_insn_decode(const u8 *bytes, unsigned n, bool long64, struct mmio_insn *out);

/* MOV to/from a control register (AMD APM vol 3, "MOV CRn"): 0F 22 /r
 * (write CRn from a GPR) and 0F 20 /r (read CRn into a GPR); the ModRM mod
 * field is ignored (always a register operand); REX.R and REX.B extend CRn
 * and the GPR (64-bit mode only). Intercepted CR accesses have no decode
 * assists under QEMU TCG either (EXITINFO1 is 0). LOCK (F0, CR8 on AMD) and
 * every other prefix are -ENOTSUP; truncated: -EINVAL. */
struct mov_cr_insn {
	bool write; /* MOV CRn, reg */
	u8 cr;	    /* 0..15 */
	u8 reg;	    /* 0 = RAX ... 15 = R15 */
	u8 len;
};

int mov_cr_decode(const u8 *bytes, unsigned n, bool long64, struct mov_cr_insn *out);

#endif
