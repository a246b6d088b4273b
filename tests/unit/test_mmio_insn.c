/* Unit tests of the MMIO MOV decoder (hv/svm/mmio_insn.c) on the encodings
 * Linux's xAPIC accessors compile to, and on what it must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "hv/svm/mmio_insn.h"

static void dec(const u8 *b, unsigned n, bool l64, int ret, bool write, u8 reg, u8 len)
{
	struct mmio_insn in;

	assert_int_equal(mmio_insn_decode(b, n, l64, &in), ret);
	if (ret)
		return;
	assert_int_equal(in.write, write);
	assert_int_equal(in.reg, reg);
	assert_int_equal(in.len, len);
	assert_int_equal(in.size, 4);
}

static void test_forms(void **state)
{
	/* mov %eax,0xffffffffff5fd0b0 (ModRM 04, SIB 25, disp32) */
	static const u8 st_abs[] = {0x89, 0x04, 0x25, 0xb0, 0xd0, 0x5f, 0xff};
	/* mov 0xffffffffff5fd020,%edx */
	static const u8 ld_abs[] = {0x8b, 0x14, 0x25, 0x20, 0xd0, 0x5f, 0xff};
	/* mov %r9d,0x300(%rax) with REX.R: 44 89 88 00 03 00 00 */
	static const u8 st_rex[] = {0x44, 0x89, 0x88, 0x00, 0x03, 0x00, 0x00};
	/* mov 0x10(%r12),%ecx: 41 8b 4c 24 10 */
	static const u8 ld_sib8[] = {0x41, 0x8b, 0x4c, 0x24, 0x10};
	/* movl $0x0,0xb0(%rdi): c7 87 b0 00 00 00 00 00 00 00 */
	static const u8 st_imm[] = {0xc7, 0x87, 0xb0, 0, 0, 0, 0x78, 0x56, 0x34, 0x12};
	/* mov 0x1234(%rip),%eax: 8b 05 34 12 00 00 */
	static const u8 ld_rip[] = {0x8b, 0x05, 0x34, 0x12, 0, 0};
	/* ds prefix, mov (%rsi),%ebx: 3e 8b 1e */
	static const u8 ld_ds[] = {0x3e, 0x8b, 0x1e};
	static const u8 ld_moffs[] = {0xa1, 0x20, 0, 0xe0, 0xfe, 0, 0, 0, 0};
	struct mmio_insn in;

	(void)state;
	dec(st_abs, sizeof(st_abs), true, 0, true, 0, 7);
	dec(ld_abs, sizeof(ld_abs), true, 0, false, 2, 7);
	dec(st_rex, sizeof(st_rex), true, 0, true, 9, 7);
	dec(ld_sib8, sizeof(ld_sib8), true, 0, false, 1, 5);
	dec(ld_rip, sizeof(ld_rip), true, 0, false, 0, 6);
	dec(ld_ds, sizeof(ld_ds), true, 0, false, 3, 3);
	dec(ld_moffs, sizeof(ld_moffs), true, 0, false, 0, 9);
	dec(ld_moffs, 5, false, 0, false, 0, 5);
	assert_int_equal(mmio_insn_decode(st_imm, sizeof(st_imm), true, &in), 0);
	assert_true(in.write && in.has_imm);
	assert_int_equal(in.imm, 0x12345678);
	assert_int_equal(in.len, 10);
}

static void test_refused(void **state)
{
	static const u8 rexw[] = {0x48, 0x89, 0x04, 0x25, 0, 0, 0, 0}; /* 64-bit store */
	static const u8 opsz[] = {0x66, 0x89, 0x04, 0x25, 0, 0, 0, 0}; /* 16-bit */
	static const u8 lock[] = {0xf0, 0x89, 0x04, 0x25, 0, 0, 0, 0}; /* LOCK */
	static const u8 regop[] = {0x89, 0xc0};			       /* mov %eax,%eax */
	static const u8 xchg[] = {0x87, 0x04, 0x25, 0, 0, 0, 0};       /* xchg */
	static const u8 c7r1[] = {0xc7, 0x08, 0, 0, 0, 0};	       /* c7 /1 */
	static const u8 trunc[] = {0x89, 0x04, 0x25, 0xb0};	       /* disp cut */
	static const u8 gs[] = {0x65, 0x8b, 0x04, 0x25, 0, 0, 0, 0};   /* GS base */
	struct mmio_insn in;

	(void)state;
	assert_int_equal(mmio_insn_decode(rexw, sizeof(rexw), true, &in), -ENOTSUP);
	assert_int_equal(mmio_insn_decode(opsz, sizeof(opsz), true, &in), -ENOTSUP);
	assert_int_equal(mmio_insn_decode(lock, sizeof(lock), true, &in), -ENOTSUP);
	assert_int_equal(mmio_insn_decode(regop, sizeof(regop), true, &in), -ENOTSUP);
	assert_int_equal(mmio_insn_decode(xchg, sizeof(xchg), true, &in), -ENOTSUP);
	assert_int_equal(mmio_insn_decode(c7r1, sizeof(c7r1), true, &in), -ENOTSUP);
	assert_int_equal(mmio_insn_decode(trunc, sizeof(trunc), true, &in), -EINVAL);
	assert_int_equal(mmio_insn_decode(gs, sizeof(gs), true, &in), -ENOTSUP);
	assert_int_equal(mmio_insn_decode(rexw, 0, true, &in), -EINVAL);
	/* outside 64-bit mode 0x48 is DEC EAX, not REX */
	assert_int_equal(mmio_insn_decode(rexw, sizeof(rexw), false, &in), -ENOTSUP);
}

/* MOV to/from CR3 as Linux compiles it, and what is refused. */
static void test_mov_cr(void **state)
{
	static const u8 wr_rax[] = {0x0f, 0x22, 0xd8};	     /* mov %rax,%cr3 */
	static const u8 rd_rax[] = {0x0f, 0x20, 0xd8};	     /* mov %cr3,%rax */
	static const u8 wr_r12[] = {0x41, 0x0f, 0x22, 0xdc}; /* mov %r12,%cr3 */
	static const u8 rd_cr8[] = {0x44, 0x0f, 0x20, 0xc1}; /* mov %cr8,%rcx */
	static const u8 lock[] = {0xf0, 0x0f, 0x22, 0xc0};   /* lock mov %eax,%cr0 = CR8 */
	static const u8 other[] = {0x0f, 0x01, 0xd9};
	struct mov_cr_insn in;

	(void)state;
	assert_int_equal(mov_cr_decode(wr_rax, sizeof(wr_rax), true, &in), 0);
	assert_true(in.write && in.cr == 3 && in.reg == 0 && in.len == 3);
	assert_int_equal(mov_cr_decode(rd_rax, sizeof(rd_rax), true, &in), 0);
	assert_true(!in.write && in.cr == 3 && in.reg == 0 && in.len == 3);
	assert_int_equal(mov_cr_decode(wr_r12, sizeof(wr_r12), true, &in), 0);
	assert_true(in.write && in.cr == 3 && in.reg == 12 && in.len == 4);
	assert_int_equal(mov_cr_decode(rd_cr8, sizeof(rd_cr8), true, &in), 0);
	assert_true(!in.write && in.cr == 8 && in.reg == 1 && in.len == 4);
	/* REX is an INC/DEC outside 64-bit mode */
	assert_int_equal(mov_cr_decode(wr_r12, sizeof(wr_r12), false, &in), -ENOTSUP);
	assert_int_equal(mov_cr_decode(lock, sizeof(lock), true, &in), -ENOTSUP);
	assert_int_equal(mov_cr_decode(other, sizeof(other), true, &in), -ENOTSUP);
	assert_int_equal(mov_cr_decode(wr_rax, 2, true, &in), -EINVAL);
	assert_int_equal(mov_cr_decode(wr_r12, 3, true, &in), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forms),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_mov_cr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
