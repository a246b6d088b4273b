/* Unit tests of iommu/amdvi_fmt.c: golden DTE, command and event encodings
 * worked out by hand from spec 48882 (2.2.2, 2.4, 2.5) and written as hex. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "iommu/amdvi_fmt.h"

/* ---- DTE ---------------------------------------------------------------- */

static void test_dte_translate_golden(void **state)
{
	struct amdvi_dte d;

	(void)state;
	/* V|TV = 0x3, Mode 3 << 9 = 0x600, root 0x12345000, IR bit 61, IW bit 62. */
	assert_int_equal(amdvi_dte_translate(&d, 0x0001, spa(0x12345000), 3, true, true), 0);
	assert_int_equal(d.data[0], 0x6000000012345603ULL);
	assert_int_equal(d.data[1], 0x0000000000000001ULL);
	/* IV bit 0, IntCtl 00b (abort), no table: interrupts aborted (2.2.5). */
	assert_int_equal(d.data[2], 0x1);
	assert_int_equal(d.data[3], 0);

	/* Mode 6 = 0xC00, highest root, IR only, domain 0xFFFF. */
	assert_int_equal(
	    amdvi_dte_translate(&d, 0xFFFF, spa(0x000FFFFFFFFFF000ULL), 6, true, false), 0);
	assert_int_equal(d.data[0], 0x200FFFFFFFFFFC03ULL);
	assert_int_equal(d.data[1], 0xFFFF);

	/* Mode 1, write only. */
	assert_int_equal(amdvi_dte_translate(&d, 0x0010, spa(0x1000), 1, false, true), 0);
	assert_int_equal(d.data[0], 0x4000000000001203ULL);
	assert_int_equal(d.data[1], 0x10);
}

static void test_dte_blocked_golden(void **state)
{
	struct amdvi_dte d;

	(void)state;
	/* Empty-table form: V|TV, Mode 1 (0x200), root 0x7000, IR=IW=0. */
	assert_int_equal(amdvi_dte_blocked(&d, spa(0x7000)), 0);
	assert_int_equal(d.data[0], 0x0000000000007203ULL);
	assert_int_equal(d.data[1] | d.data[3], 0);
	assert_int_equal(d.data[2], 0x1); /* IV=1, IntCtl=abort */
	/* Spec form: V|TV, Mode 0. */
	assert_int_equal(amdvi_dte_blocked(&d, spa(0)), 0);
	assert_int_equal(d.data[0], 0x3);
	assert_int_equal(d.data[1] | d.data[3], 0);
	assert_int_equal(d.data[2], 0x1);
	assert_true(amdvi_dte_qemu72_legal(&d));
}

static void test_dte_interrupt_fields_golden(void **state)
{
	struct amdvi_dte d;
	struct amdvi_dte_info in = {
	    .v = true,
	    .tv = true,
	    .mode = 4,
	    .root = spa(0x5000),
	    .ir = true,
	    .iw = true,
	    .domain_id = 0x0042,
	    .se = true,
	    .sa = true,
	    .iv = true,
	    .int_tab_len = 9,
	    .int_ctl = DTE_INTCTL_REMAP,
	    .int_root = spa(0x1234580),
	};
	struct amdvi_dte_info out;

	(void)state;
	assert_int_equal(amdvi_dte_build(&d, &in), 0);
	assert_int_equal(d.data[0], 0x6000000000005803ULL);
	/* SE bit 33, SA bit 34, DomainID 0x42. */
	assert_int_equal(d.data[1], 0x0000000600000042ULL);
	/* IV bit 0, IntTabLen 9 << 1, root 0x1234580, IntCtl 2 << 60. */
	assert_int_equal(d.data[2], 0x2000000001234593ULL);
	assert_int_equal(d.data[3], 0);

	amdvi_dte_decode(&d, &out);
	assert_true(out.v && out.tv && out.ir && out.iw && out.se && out.sa && out.iv);
	assert_int_equal(out.mode, 4);
	assert_int_equal(spa_val(out.root), 0x5000);
	assert_int_equal(out.domain_id, 0x42);
	assert_int_equal(out.int_tab_len, 9);
	assert_int_equal(out.int_ctl, DTE_INTCTL_REMAP);
	assert_int_equal(spa_val(out.int_root), 0x1234580);
}

static void test_dte_errors(void **state)
{
	struct amdvi_dte d;
	struct amdvi_dte_info in = {.v = true, .tv = true, .mode = 7};

	(void)state;
	assert_int_equal(amdvi_dte_build(&d, &in), -EINVAL);
	assert_int_equal(amdvi_dte_translate(&d, 1, spa(0x1000), 0, true, true), -EINVAL);
	assert_int_equal(amdvi_dte_translate(&d, 1, spa(0x1000), 7, true, true), -EINVAL);
	assert_int_equal(amdvi_dte_translate(&d, 1, spa(0x1800), 3, true, true), -EINVAL);
	assert_int_equal(amdvi_dte_translate(&d, 1, spa(1ULL << 52), 3, true, true), -EINVAL);
	in.mode = 3;
	in.int_root = spa(0x1040); /* not 128-byte aligned */
	assert_int_equal(amdvi_dte_build(&d, &in), -EINVAL);
	in.int_root = spa(0);
	in.int_tab_len = 12;
	assert_int_equal(amdvi_dte_build(&d, &in), -EINVAL);
}

static void test_dte_check_reserved(void **state)
{
	struct amdvi_dte d;

	(void)state;
	assert_int_equal(amdvi_dte_translate(&d, 0x00FF, spa(0x3000), 4, true, true), 0);
	assert_int_equal(amdvi_dte_check(&d), 0);
	assert_true(amdvi_dte_qemu72_legal(&d));
	d.data[0] |= BIT(2);
	assert_int_equal(amdvi_dte_check(&d), -EINVAL);
	d.data[0] &= ~BIT(2);
	d.data[0] |= BIT(63);
	assert_int_equal(amdvi_dte_check(&d), -EINVAL);
	d.data[0] &= ~BIT(63);
	d.data[2] |= BIT(59);
	assert_int_equal(amdvi_dte_check(&d), -EINVAL);
	d.data[2] = 0;
	d.data[0] |= FIELD_PREP(DTE_MODE_MASK, 7);
	assert_int_equal(amdvi_dte_check(&d), -EINVAL);

	/* QEMU 7.2 treats DomainID bit 8 as reserved; the spec does not. */
	assert_int_equal(amdvi_dte_translate(&d, 0x0100, spa(0x3000), 4, true, true), 0);
	assert_int_equal(amdvi_dte_check(&d), 0);
	assert_false(amdvi_dte_qemu72_legal(&d));
	assert_int_equal(amdvi_dte_translate(&d, 0x0200, spa(0x3000), 4, true, true), 0);
	assert_true(amdvi_dte_qemu72_legal(&d));
	d.data[3] = 1;
	assert_false(amdvi_dte_qemu72_legal(&d));
}

static void test_dte_format(void **state)
{
	struct amdvi_dte d;
	char buf[128];

	(void)state;
	amdvi_dte_translate(&d, 0x0001, spa(0x12345000), 3, true, false);
	amdvi_dte_format(&d, buf, sizeof(buf));
	assert_string_equal(buf, "V=1 TV=1 mode=3 root=0x12345000 IR dom=0x0001 IV abort");
	assert_int_equal(amdvi_dte_set_irt(&d, spa(0x2000), 9), 0);
	amdvi_dte_format(&d, buf, sizeof(buf));
	assert_string_equal(
	    buf, "V=1 TV=1 mode=3 root=0x12345000 IR dom=0x0001 IV len=9 ctl=2 irt=0x2000");
	/* Truncation is safe and reports the wanted length. */
	assert_true(amdvi_dte_format(&d, buf, 8) > 8);
	assert_string_equal(buf, "V=1 TV=");
}

/* ---- interrupt remapping (2.2.5) ---------------------------------------- */

static void test_dte_set_irt_golden(void **state)
{
	struct amdvi_dte d, before;

	(void)state;
	assert_int_equal(amdvi_dte_translate(&d, 0x0007, spa(0x9000), 4, true, true), 0);
	before = d;
	/* IV bit 0, IntTabLen 9 << 1 = 0x12, root 0x3456000 in 51:6, IntCtl 10b << 60. */
	assert_int_equal(amdvi_dte_set_irt(&d, spa(0x3456000), 9), 0);
	assert_int_equal(d.data[2], 0x2000000003456013ULL);
	/* the rest of the entry is untouched */
	assert_int_equal(d.data[0], before.data[0]);
	assert_int_equal(d.data[1], before.data[1]);
	assert_int_equal(d.data[3], 0);
	assert_int_equal(amdvi_dte_check(&d), 0);
	assert_true(amdvi_dte_qemu72_legal(&d));
	/* 128-byte aligned and 2048 entries is the most */
	assert_int_equal(amdvi_dte_set_irt(&d, spa(0xFFFFFFFFFFF80ULL), 11), 0);
	assert_int_equal(d.data[2], 0x200FFFFFFFFFFF97ULL);
	/* back to abort: IV only; the pass bits were never set */
	assert_int_equal(amdvi_dte_set_irt(&d, spa(0), 0), 0);
	assert_int_equal(d.data[2], 0x1);
	/* refused, entry unchanged */
	d.data[2] = 0x55;
	assert_int_equal(amdvi_dte_set_irt(&d, spa(0x3456040), 9), -EINVAL); /* 64-aligned */
	assert_int_equal(amdvi_dte_set_irt(&d, spa(0x3456000), 12), -EINVAL);
	assert_int_equal(amdvi_dte_set_irt(&d, spa(0x3456000), 0), -EINVAL);
	assert_int_equal(amdvi_dte_set_irt(&d, spa(1ULL << 52), 9), -EINVAL);
	assert_int_equal(d.data[2], 0x55);
}

static void test_irte_golden(void **state)
{
	u32 e = 0xdeadbeef;
	u8 vec = 0, dest = 0;

	(void)state;
	/* RemapEn bit 0, IntType 000b (fixed) 4:2, RqEoi 0, DM 0 (physical),
	 * GuestMode 0, Destination 15:8, Vector 23:16, 31:24 reserved. */
	assert_int_equal(amdvi_irte_build(&e, 0x41, 0), 0);
	assert_int_equal(e, 0x00410001u);
	assert_int_equal(amdvi_irte_build(&e, 0xDF, 0x3A), 0);
	assert_int_equal(e, 0x00DF3A01u);
	assert_true(amdvi_irte_decode(e, &vec, &dest));
	assert_int_equal(vec, 0xDF);
	assert_int_equal(dest, 0x3A);
	assert_int_equal(e & (IRTE_RSVD | IRTE_GUEST_MODE | IRTE_DM | IRTE_RQ_EOI | IRTE_SUP_IOPF |
			      IRTE_INT_TYPE_MASK),
			 0);
	/* not present: RemapEn 0 (target abort) */
	assert_false(amdvi_irte_decode(0x00DF3A00u, &vec, &dest));
	assert_false(amdvi_irte_decode(0, NULL, NULL));
	/* vectors 0-15 are not interrupts; an x2APIC ID does not fit 8 bits */
	e = 0x1234;
	assert_int_equal(amdvi_irte_build(&e, 15, 0), -EINVAL);
	assert_int_equal(amdvi_irte_build(&e, 0x41, 0x100), -EINVAL);
	assert_int_equal(e, 0x1234);
	/* the MSI data that names IRTE k: data 10:0 */
	assert_int_equal(MSI_DATA_IRT_INDEX_MASK, 0x7ff);
	assert_int_equal(BIT(IRT_LEN_LOG2) * IRTE_SIZE, 2048);
}

/* ---- commands ----------------------------------------------------------- */

static void test_cmd_completion_wait_golden(void **state)
{
	struct amdvi_cmd c;

	(void)state;
	/* Opcode 1 in 63:60, store address 0x10000008 in 51:3, S bit 0. */
	assert_int_equal(amdvi_cmd_completion_wait(&c, spa(0x10000008), 0xDEADBEEFCAFEF00DULL, true,
						   false, false),
			 0);
	assert_int_equal(c.data[0], 0x1000000010000009ULL);
	assert_int_equal(c.data[1], 0xDEADBEEFCAFEF00DULL);
	assert_int_equal(amdvi_cmd_opcode(&c), CMD_COMPL_WAIT);
	/* S, I, F. */
	assert_int_equal(
	    amdvi_cmd_completion_wait(&c, spa(0x000FFFFFFFFFFFF8ULL), 1, true, true, true), 0);
	assert_int_equal(c.data[0], 0x100FFFFFFFFFFFFFULL);
	/* Interrupt only: no address, no data. */
	assert_int_equal(amdvi_cmd_completion_wait(&c, spa(0x1000), 5, false, true, false), 0);
	assert_int_equal(c.data[0], 0x1000000000000002ULL);
	assert_int_equal(c.data[1], 0);
	/* Store address must be 8-byte aligned and below 2^52. */
	assert_int_equal(amdvi_cmd_completion_wait(&c, spa(0x1004), 1, true, false, false),
			 -EINVAL);
	assert_int_equal(amdvi_cmd_completion_wait(&c, spa(1ULL << 52), 1, true, false, false),
			 -EINVAL);
}

static void test_cmd_simple_golden(void **state)
{
	struct amdvi_cmd c;

	(void)state;
	amdvi_cmd_inv_devtab(&c, 0x0018);
	assert_int_equal(c.data[0], 0x2000000000000018ULL);
	assert_int_equal(c.data[1], 0);
	amdvi_cmd_inv_irt(&c, 0x00A0);
	assert_int_equal(c.data[0], 0x50000000000000A0ULL);
	assert_int_equal(c.data[1], 0);
	amdvi_cmd_inv_all(&c);
	assert_int_equal(c.data[0], 0x8000000000000000ULL);
	assert_int_equal(c.data[1], 0);
}

static void test_cmd_inv_pages_golden(void **state)
{
	struct amdvi_cmd c;

	(void)state;
	/* One page: DomainID 5 in 47:32, S=0, address 0x40000. */
	assert_int_equal(amdvi_cmd_inv_pages(&c, 5, 0x40000, 0x1000, false), 0);
	assert_int_equal(c.data[0], 0x3000000500000000ULL);
	assert_int_equal(c.data[1], 0x0000000000040000ULL);
	/* Same with PDE (bit 1 of word 1). */
	assert_int_equal(amdvi_cmd_inv_pages(&c, 5, 0x40000, 0x1000, true), 0);
	assert_int_equal(c.data[1], 0x0000000000040002ULL);
	/* 8K at 0x40000: S=1, lowest zero bit 12 -> 8K block at 0x40000. */
	assert_int_equal(amdvi_cmd_inv_pages(&c, 0xABCD, 0x40000, 0x2000, true), 0);
	assert_int_equal(c.data[0], 0x3000ABCD00000000ULL);
	assert_int_equal(c.data[1], 0x0000000000040003ULL);
	/* Errors: empty and wrapping ranges. */
	assert_int_equal(amdvi_cmd_inv_pages(&c, 5, 0x40000, 0, false), -EINVAL);
	assert_int_equal(amdvi_cmd_inv_pages(&c, 5, ~0ULL - 0xFFF, 0x2000, false), -EINVAL);
}

static void test_cmd_inv_iotlb_golden(void **state)
{
	struct amdvi_cmd c;

	(void)state;
	/* DeviceID 0x0100, Maxpend 0x20 in 31:24, QueueID = DeviceID in 47:32. */
	assert_int_equal(amdvi_cmd_inv_iotlb(&c, 0x0100, 0x20, 0x2000, 0x1000), 0);
	assert_int_equal(c.data[0], 0x4000010020000100ULL);
	assert_int_equal(c.data[1], 0x0000000000002000ULL);
	/* 2M at 2M. */
	assert_int_equal(amdvi_cmd_inv_iotlb(&c, 0x0008, 0, 0x200000, 0x200000), 0);
	assert_int_equal(c.data[0], 0x4000000800000008ULL);
	assert_int_equal(c.data[1], 0x00000000002FF001ULL);
}

/* The S=1 range encoding: iova, size -> word 1, and what it decodes to. */
static const struct {
	u64 iova, size, word1, start, block;
} inv_golden[] = {
    {0x0, 0x1000, 0x0, 0x0, 0x1000},	      /* one page, S=0 */
    {0x1234, 0x10, 0x1000, 0x1000, 0x1000},   /* inside one page */
    {0x0fff, 0x2, 0x1, 0x0, 0x2000},	      /* 2 bytes across a page line */
    {0x0, 0x2000, 0x1, 0x0, 0x2000},	      /* 8K at 0 */
    {0x2000, 0x2000, 0x2001, 0x2000, 0x2000}, /* 8K at 8K */
    {0x1000, 0x2000, 0x1001, 0x0, 0x4000},    /* misaligned 8K -> 16K at 0 */
    {0x3000, 0x3000, 0x3001, 0x0, 0x8000},    /* 12K at 12K -> 32K at 0 */
    {0x0, 0x200000, 0xFF001, 0x0, 0x200000},  /* 2M at 0: bits 19:12 set */
    {0x200000, 0x200000, 0x2FF001, 0x200000, 0x200000},
    {0x1FF000, 0x2000, 0x1FF001, 0x0, 0x400000},		  /* across a 2M line -> 4M */
    {0x40000000, 0x40000000, 0x5FFFF001, 0x40000000, 0x40000000}, /* 1G at 1G */
    {0x0, 1ULL << 51, 0x0003FFFFFFFFF001ULL, 0x0, 1ULL << 51},
    {0x0, 1ULL << 52, 0x0007FFFFFFFFF001ULL, 0x0, 0}, /* whole 52-bit space */
    {0x0, 1ULL << 53, 0x7FFFFFFFFFFFF001ULL, 0x0, 0}, /* bit 51+ differs: everything */
    {0x0, ~0ULL, 0x7FFFFFFFFFFFF001ULL, 0x0, 0},
};

static void test_inv_addr_golden(void **state)
{
	unsigned i;
	u64 start;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(inv_golden); i++) {
		u64 w = amdvi_inv_addr_encode(inv_golden[i].iova, inv_golden[i].size);

		assert_int_equal(w, inv_golden[i].word1);
		assert_int_equal(amdvi_inv_addr_decode(w, &start), inv_golden[i].block);
		assert_int_equal(start, inv_golden[i].start);
	}
}

/* Property over many ranges: the decoded block is naturally aligned, covers
 * the range, and is minimal (the range is not inside either half of it). */
static void test_inv_addr_minimal_cover(void **state)
{
	u64 x = 0x9E3779B97F4A7C15ULL, start, block, iova, size, end;
	unsigned i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		iova = (x >> 16) & ((1ULL << (12 + (x % 30))) - 1);
		size = 1 + ((x >> 3) & ((1ULL << (1 + (x >> 58) % 34)) - 1));
		end = iova + size - 1;
		block = amdvi_inv_addr_decode(amdvi_inv_addr_encode(iova, size), &start);
		assert_true(block != 0);
		assert_true(IS_ALIGNED(start, block));
		assert_true(start <= iova && end <= start + block - 1);
		if (block > PAGE_SIZE) {
			u64 mid = start + block / 2;

			assert_true(iova < mid && end >= mid);
		}
	}
}

static void test_cmd_format(void **state)
{
	struct amdvi_cmd c;
	char buf[128];

	(void)state;
	amdvi_cmd_inv_pages(&c, 7, 0x1000, 0x2000, true);
	amdvi_cmd_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "INVALIDATE_IOMMU_PAGES dom=0x0007 start=0x0 size=0x4000 PDE");
	amdvi_cmd_completion_wait(&c, spa(0x8000), 3, true, false, false);
	amdvi_cmd_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "COMPLETION_WAIT S addr=0x8000 data=0x3");
	amdvi_cmd_inv_devtab(&c, 0x18);
	amdvi_cmd_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "INVALIDATE_DEVTAB_ENTRY devid=0x0018");
}

/* ---- events ------------------------------------------------------------- */

static void decode_raw(u64 w0, u64 w1, struct amdvi_event *ev)
{
	struct amdvi_evt_entry e = {{w0, w1}};

	amdvi_event_decode(&e, ev);
}

static void test_event_io_page_fault(void **state)
{
	struct amdvi_event ev;
	struct amdvi_evt_entry e;
	char buf[160];

	(void)state;
	/* devid 00:03.0, domain 1, flags I|PR|RW (0x038), type 2, IOVA 0x40000. */
	decode_raw(0x2038000100000018ULL, 0x40000, &ev);
	assert_int_equal(ev.type, EVENT_TYPE_IO_FAULT);
	assert_int_equal(ev.devid, 0x0018);
	assert_int_equal(ev.domain_id, 1);
	assert_int_equal(ev.flags, EVENT_FLAG_I | EVENT_FLAG_PR | EVENT_FLAG_RW);
	assert_int_equal(ev.addr, 0x40000);
	amdvi_event_format(&ev, buf, sizeof(buf));
	assert_string_equal(
	    buf, "IO_PAGE_FAULT dev=00:03.0 domain=0x0001 addr=0x40000 flags=0x038 [I PR RW]");

	/* The encoder produces the same words. */
	amdvi_event_encode(&e, EVENT_TYPE_IO_FAULT, 0x18, 1, 0x38, 0x40000);
	assert_int_equal(e.data[0], 0x2038000100000018ULL);
	assert_int_equal(e.data[1], 0x40000);

	/* All named flags, plus an unnamed one. */
	decode_raw(0x2FFF000000000000ULL, 0, &ev);
	amdvi_event_format(&ev, buf, sizeof(buf));
	assert_string_equal(buf, "IO_PAGE_FAULT dev=00:00.0 domain=0x0000 addr=0x0 flags=0xfff "
				 "[GN NX US I PR RW PE RZ TR ?]");
}

static void test_event_rmp(void **state)
{
	struct amdvi_event ev;
	char buf[160];

	(void)state;
	/* RMP_PAGE_FAULT: devid 0x0100, RMP flags 0x05 (23:16), VMG tag 0x42,
	 * flags RW, GPA 0x123456000. */
	decode_raw(0xD020004200050100ULL, 0x123456000ULL, &ev);
	assert_int_equal(ev.type, EVENT_TYPE_RMP_FAULT);
	assert_int_equal(ev.devid, 0x0100);
	assert_int_equal(ev.rmp_flags, 0x05);
	assert_int_equal(ev.vmg_tag, 0x42);
	assert_int_equal(ev.flags, EVENT_FLAG_RW);
	assert_int_equal(ev.addr, 0x123456000ULL);
	amdvi_event_format(&ev, buf, sizeof(buf));
	assert_string_equal(buf, "RMP_PAGE_FAULT dev=01:00.0 vmg_tag=0x0042 gpa=0x123456000 "
				 "rmp_flags=0x05 flags=0x020 [RW]");

	/* RMP_HW_ERROR: SPA low 3 bits are not address. */
	decode_raw(0xE000000700000200ULL, 0xABCDE007ULL, &ev);
	assert_int_equal(ev.type, EVENT_TYPE_RMP_HW_ERR);
	assert_int_equal(ev.devid, 0x0200);
	assert_int_equal(ev.vmg_tag, 7);
	assert_int_equal(ev.addr, 0xABCDE000ULL);
	amdvi_event_format(&ev, buf, sizeof(buf));
	assert_string_equal(buf,
			    "RMP_HW_ERROR dev=02:00.0 vmg_tag=0x0007 spa=0xabcde000 flags=0x000");
}

static void test_event_others(void **state)
{
	struct amdvi_event ev;
	char buf[160];

	(void)state;
	/* ILLEGAL_DEV_TABLE_ENTRY with PASID 0x12345 split 19:16 / 47:32. */
	decode_raw(0x1000234500010018ULL, 0x7000, &ev);
	assert_int_equal(ev.type, EVENT_TYPE_ILL_DEV);
	assert_int_equal(ev.pasid, 0x12345);
	amdvi_event_format(&ev, buf, sizeof(buf));
	assert_string_equal(buf, "ILLEGAL_DEV_TABLE_ENTRY dev=00:03.0 pasid=0x12345 addr=0x7000 "
				 "flags=0x000");

	/* ILLEGAL_COMMAND_ERROR: address of the command. */
	decode_raw(0x5000000000000000ULL, 0x10002030ULL, &ev);
	assert_int_equal(ev.type, EVENT_TYPE_ILL_CMD);
	amdvi_event_format(&ev, buf, sizeof(buf));
	assert_string_equal(buf, "ILLEGAL_COMMAND_ERROR cmd=0x10002030");

	/* INVALID_PPR_REQUEST: PASID 0x5ABCD (31:16 and 45:42), tag 0x1FF (41:32). */
	decode_raw(0x900015FFABCD0008ULL, 0x5000, &ev);
	assert_int_equal(ev.type, EVENT_TYPE_INV_PPR_REQ);
	assert_int_equal(ev.devid, 8);
	assert_int_equal(ev.pasid, 0x5ABCD);
	assert_int_equal(ev.tag, 0x1FF);

	/* Unknown type. */
	decode_raw(0xF000000000000001ULL, 2, &ev);
	amdvi_event_format(&ev, buf, sizeof(buf));
	assert_string_equal(buf, "UNKNOWN(0xf) raw=f000000000000001:0000000000000002");
}

static void test_event_names(void **state)
{
	static const char *const want[16] = {
	    "UNKNOWN",
	    "ILLEGAL_DEV_TABLE_ENTRY",
	    "IO_PAGE_FAULT",
	    "DEV_TAB_HARDWARE_ERROR",
	    "PAGE_TAB_HARDWARE_ERROR",
	    "ILLEGAL_COMMAND_ERROR",
	    "COMMAND_HARDWARE_ERROR",
	    "IOTLB_INV_TIMEOUT",
	    "INVALID_DEVICE_REQUEST",
	    "INVALID_PPR_REQUEST",
	    "EVENT_COUNTER_ZERO",
	    "UNKNOWN",
	    "UNKNOWN",
	    "RMP_PAGE_FAULT",
	    "RMP_HW_ERROR",
	    "UNKNOWN",
	};
	unsigned i;

	(void)state;
	for (i = 0; i < 16; i++)
		assert_string_equal(amdvi_event_name(i), want[i]);
	assert_string_equal(amdvi_event_name(1000), "UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dte_translate_golden),
	    cmocka_unit_test(test_dte_blocked_golden),
	    cmocka_unit_test(test_dte_interrupt_fields_golden),
	    cmocka_unit_test(test_dte_errors),
	    cmocka_unit_test(test_dte_check_reserved),
	    cmocka_unit_test(test_dte_format),
	    cmocka_unit_test(test_dte_set_irt_golden),
	    cmocka_unit_test(test_irte_golden),
	    cmocka_unit_test(test_cmd_completion_wait_golden),
	    cmocka_unit_test(test_cmd_simple_golden),
	    cmocka_unit_test(test_cmd_inv_pages_golden),
	    cmocka_unit_test(test_cmd_inv_iotlb_golden),
	    cmocka_unit_test(test_inv_addr_golden),
	    cmocka_unit_test(test_inv_addr_minimal_cover),
	    cmocka_unit_test(test_cmd_format),
	    cmocka_unit_test(test_event_io_page_fault),
	    cmocka_unit_test(test_event_rmp),
	    cmocka_unit_test(test_event_others),
	    cmocka_unit_test(test_event_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
