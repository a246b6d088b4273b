/* Unit tests of the AMD-Vi driver (iommu/amdvi.c) against a fake IOMMU
 * (tests/unit/fake_amdvi.[ch]: a register model that latches base registers on
 * 8-byte writes, runs the command ring synchronously on tail writes as QEMU
 * does, performs COMPLETION_WAIT stores, records every other command and lets a
 * test append events). Memory is a host buffer window at FAKE_BASE. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/base/mem.h"
#include "iommu/amdvi.h"
#include "tests/unit/fake_amdvi.h"
#include "hv/arch/host/host_env.h"

#define FAKE_BASE 0x100000000ULL
#define FAKE_SIZE (8ULL << 20)
static struct fake_amdvi *F;
static u8 *win;
static u64 bump;
static unsigned allocs, fail_alloc_at;

static int fake_alloc(void *ctx, u64 bytes, u64 align, spa_t *out)
{
	(void)ctx;
	if (++allocs == fail_alloc_at)
		return -ENOMEM;
	bump = ALIGN_UP(bump, align);
	if (bump + bytes > FAKE_SIZE)
		return -ENOMEM;
	*out = spa(FAKE_BASE + bump);
	memset(win + bump, 0xA5, bytes); /* the driver must zero it */
	bump += bytes;
	return 0;
}

static u64 *R(u32 off)
{
	return fake_amdvi_reg(F, off);
}

#define fake_ops	     fake_amdvi_ops
#define fake_read64	     fake_amdvi_read64
#define fake_run()	     fake_amdvi_run(F)
#define fake_push_event(...) fake_amdvi_push_event(F, __VA_ARGS__)

static int setup(void **state)
{
	(void)state;
	F = calloc(1, sizeof(*F));
	win = calloc(1, FAKE_SIZE);
	assert_non_null(F);
	assert_non_null(win);
	host_phys_window(win, spa(FAKE_BASE), FAKE_SIZE);
	fake_amdvi_reset(F, 0x29D3); /* QEMU's EFR: IA set */
	bump = 0;
	allocs = 0;
	fail_alloc_at = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	host_phys_window(NULL, spa(0), 0);
	free(win);
	free(F);
	return 0;
}

static const struct amdvi_config fast = {.poll_limit = 1000};

static void init_enable(struct amdvi *m, u16 max_devid, const struct amdvi_config *cfg)
{
	assert_int_equal(amdvi_init(m, &fake_ops, F, fake_alloc, NULL, max_devid, cfg), 0);
	assert_int_equal(amdvi_enable(m), 0);
}

static const struct amdvi_cmd *last_cmd(void)
{
	return F->ncmds ? &F->cmds[F->ncmds - 1] : NULL;
}

/* ---- init / enable ------------------------------------------------------ */

static void test_init_programs_registers(void **state)
{
	struct amdvi m;
	struct amdvi_dte d, blocked;
	u32 i;

	(void)state;
	assert_int_equal(amdvi_init(&m, &fake_ops, F, fake_alloc, NULL, 0x00FF, NULL), 0);
	/* 256 entries * 32 B = 8 KiB: size field 1. */
	assert_int_equal(*R(MMIO_DEV_TABLE_OFFSET), spa_val(m.dev_table) | 1);
	assert_int_equal(F->devtab, spa_val(m.dev_table));
	assert_int_equal(F->devtab_bytes, 8192);
	/* Default rings: 512 entries, length field 9 in 59:56. */
	assert_int_equal(*R(MMIO_CMD_BUF_OFFSET), spa_val(m.cmd_buf) | (9ULL << 56));
	assert_int_equal(*R(MMIO_EVT_BUF_OFFSET), spa_val(m.evt_log) | (9ULL << 56));
	assert_int_equal(F->cmd_entries, 512);
	assert_int_equal(F->evt_entries, 512);
	assert_true(IS_ALIGNED(spa_val(m.dev_table), 4096));
	assert_true(IS_ALIGNED(spa_val(m.cmd_buf), 4096));
	assert_true(IS_ALIGNED(spa_val(m.evt_log), 4096));
	assert_int_equal(*R(MMIO_CMD_HEAD_OFFSET) | *R(MMIO_CMD_TAIL_OFFSET), 0);
	assert_int_equal(*R(MMIO_EVT_HEAD_OFFSET) | *R(MMIO_EVT_TAIL_OFFSET), 0);
	assert_int_equal(*R(MMIO_EXCL_BASE_OFFSET) | *R(MMIO_EXCL_LIMIT_OFFSET), 0);
	assert_int_equal(m.efr, 0x29D3);
	/* Not enabled yet. */
	assert_int_equal(*R(MMIO_CONTROL_OFFSET) & CONTROL_IOMMU_EN, 0);
	/* Every entry blocks, over the zeroed null root; the rings are zeroed. */
	amdvi_dte_blocked(&blocked, m.null_root);
	assert_int_equal(blocked.data[0], spa_val(m.null_root) | 0x203);
	for (i = 0; i <= 0xFF; i++) {
		assert_int_equal(amdvi_get_dte(&m, (u16)i, &d), 0);
		assert_memory_equal(&d, &blocked, sizeof(d));
	}
	for (i = 0; i < 4096; i++)
		assert_int_equal(((u8 *)phys_ptr(m.null_root))[i], 0);
	for (i = 0; i < 512 * 16; i++)
		assert_int_equal(((u8 *)phys_ptr(m.cmd_buf))[i], 0);
}

static void test_init_full_bus_range(void **state)
{
	struct amdvi m;
	struct amdvi_config cfg = {.cmd_log2 = 8, .evt_log2 = 15, .passthrough_default = true};
	struct amdvi_dte d;

	(void)state;
	assert_int_equal(amdvi_init(&m, &fake_ops, F, fake_alloc, NULL, 0xFFFF, &cfg), 0);
	/* 65536 entries = 2 MiB: size field 0x1FF. */
	assert_int_equal(*R(MMIO_DEV_TABLE_OFFSET), spa_val(m.dev_table) | 0x1FF);
	assert_int_equal(*R(MMIO_CMD_BUF_OFFSET) >> 56, 8);
	assert_int_equal(*R(MMIO_EVT_BUF_OFFSET) >> 56, 15);
	/* passthrough_default: entries stay V=0. */
	assert_int_equal(amdvi_get_dte(&m, 0xFFFF, &d), 0);
	assert_int_equal(d.data[0], 0);
}

static void test_init_errors(void **state)
{
	struct amdvi m;
	struct amdvi_mmio_ops half = {.read64 = fake_read64};
	struct amdvi_config bad = {.cmd_log2 = 7};

	(void)state;
	assert_int_equal(amdvi_init(&m, NULL, NULL, fake_alloc, NULL, 1, NULL), -EINVAL);
	assert_int_equal(amdvi_init(&m, &half, NULL, fake_alloc, NULL, 1, NULL), -EINVAL);
	assert_int_equal(amdvi_init(&m, &fake_ops, F, NULL, NULL, 1, NULL), -EINVAL);
	assert_int_equal(amdvi_init(&m, &fake_ops, F, fake_alloc, NULL, 1, &bad), -EINVAL);
	bad.cmd_log2 = 16;
	assert_int_equal(amdvi_init(&m, &fake_ops, F, fake_alloc, NULL, 1, &bad), -EINVAL);
	bad.cmd_log2 = 0;
	bad.ctrl_extra = CONTROL_IOMMU_EN;
	assert_int_equal(amdvi_init(&m, &fake_ops, F, fake_alloc, NULL, 1, &bad), -EINVAL);
	allocs = 0;
	fail_alloc_at = 3; /* the event log */
	assert_int_equal(amdvi_init(&m, &fake_ops, F, fake_alloc, NULL, 1, NULL), -ENOMEM);
	/* A failed init leaves nothing usable. */
	assert_int_equal(amdvi_enable(&m), -EINVAL);
	assert_int_equal(amdvi_block_device(&m, 0), -EINVAL);
}

static void test_init_turns_off_firmware_iommu(void **state)
{
	struct amdvi m;

	(void)state;
	*R(MMIO_CONTROL_OFFSET) =
	    CONTROL_IOMMU_EN | CONTROL_CMDBUF_EN | CONTROL_EVT_LOG_EN | CONTROL_COHERENT_EN;
	assert_int_equal(amdvi_init(&m, &fake_ops, F, fake_alloc, NULL, 7, NULL), 0);
	assert_int_equal(*R(MMIO_CONTROL_OFFSET), CONTROL_COHERENT_EN);
}

static void test_enable_sequence(void **state)
{
	struct amdvi m;
	const u64 base = CONTROL_COHERENT_EN | FIELD_PREP(CONTROL_INV_TO_MASK, CTRL_INV_TO_1S) |
			 CONTROL_PASSPW_EN;
	struct amdvi_config cfg = {.ctrl_extra = CONTROL_PASSPW_EN};

	(void)state;
	*R(MMIO_STATUS_OFFSET) = MMIO_STATUS_EVT_OVERFLOW_MASK | MMIO_STATUS_COM_WAIT_INT_MASK;
	init_enable(&m, 0x20, &cfg);
	/* Event log, then command buffer, then IOMMU_EN, each its own write. */
	assert_int_equal(F->nctrl, 4);
	assert_int_equal(F->ctrl_log[0], base);
	assert_int_equal(F->ctrl_log[1], base | CONTROL_EVT_LOG_EN);
	assert_int_equal(F->ctrl_log[2], base | CONTROL_EVT_LOG_EN | CONTROL_CMDBUF_EN);
	assert_int_equal(F->ctrl_log[3],
			 base | CONTROL_EVT_LOG_EN | CONTROL_CMDBUF_EN | CONTROL_IOMMU_EN);
	/* Stale status cleared (W1C); run bits set by the fake. */
	assert_int_equal(*R(MMIO_STATUS_OFFSET),
			 MMIO_STATUS_EVT_RUN_MASK | MMIO_STATUS_CMDBUF_RUN_MASK);
	/* INVALIDATE_IOMMU_ALL then one completion wait. */
	assert_int_equal(F->ncmds, 1);
	assert_int_equal(amdvi_cmd_opcode(&F->cmds[0]), CMD_INV_ALL);
	assert_int_equal(F->nwaits, 1);
	assert_int_equal(m.stats.inv_all, 1);
	assert_int_equal(m.stats.completion_waits, 1);
	assert_int_equal(m.stats.commands, 2);
	/* Enabling twice is a no-op. */
	assert_int_equal(amdvi_enable(&m), 0);
	assert_int_equal(F->nctrl, 4);
}

static void test_enable_fails_cleanly(void **state)
{
	struct amdvi m;

	(void)state;
	F->never_store = true;
	assert_int_equal(amdvi_init(&m, &fake_ops, F, fake_alloc, NULL, 7, &fast), 0);
	assert_int_equal(amdvi_enable(&m), -ETIMEDOUT);
	assert_false(m.enabled);
	assert_int_equal(*R(MMIO_CONTROL_OFFSET) &
			     (CONTROL_IOMMU_EN | CONTROL_CMDBUF_EN | CONTROL_EVT_LOG_EN),
			 0);
}

static void test_disable_reverse_order(void **state)
{
	struct amdvi m;
	u64 c;

	(void)state;
	init_enable(&m, 7, NULL);
	c = F->ctrl_log[3];
	amdvi_disable(&m);
	assert_int_equal(F->nctrl, 7);
	assert_int_equal(F->ctrl_log[4], c & ~CONTROL_IOMMU_EN);
	assert_int_equal(F->ctrl_log[5], c & ~(CONTROL_IOMMU_EN | CONTROL_CMDBUF_EN));
	assert_int_equal(F->ctrl_log[6],
			 c & ~(CONTROL_IOMMU_EN | CONTROL_CMDBUF_EN | CONTROL_EVT_LOG_EN));
	assert_int_equal(amdvi_sync(&m), -EIO);
	assert_int_equal(amdvi_inv_all(&m), -EIO);
}

static void test_inv_all_without_ia(void **state)
{
	struct amdvi m;
	struct amdvi_dte d;
	unsigned i, devtab = 0, pages = 0;

	(void)state;
	*R(MMIO_EXT_FEATURES) = 0x29D3 & ~FEATURE_IA;
	assert_int_equal(amdvi_init(&m, &fake_ops, F, fake_alloc, NULL, 0x3F, NULL), 0);
	amdvi_dte_translate(&d, 9, spa(FAKE_BASE), 3, true, true);
	assert_int_equal(amdvi_set_dte(&m, 0x10, &d), 0); /* disabled: no commands */
	assert_int_equal(F->ncmds, 0);
	assert_int_equal(amdvi_enable(&m), 0);
	for (i = 0; i < F->ncmds; i++) {
		if (amdvi_cmd_opcode(&F->cmds[i]) == CMD_INV_DEV_ENTRY)
			devtab++;
		if (amdvi_cmd_opcode(&F->cmds[i]) == CMD_INV_IOMMU_PAGES) {
			pages++;
			assert_int_equal(FIELD_GET(CMD_DOMID_MASK, F->cmds[i].data[0]), 9);
			assert_int_equal(F->cmds[i].data[1], 0x7FFFFFFFFFFFF003ULL);
		}
	}
	assert_int_equal(devtab, 64);
	assert_int_equal(pages, 1);
	assert_int_equal(F->nwaits, 1);
}

/* ---- device table ------------------------------------------------------- */

static void test_attach_and_block(void **state)
{
	struct amdvi m;
	struct amdvi_dte d;
	const u16 devid = 0x0018;

	(void)state;
	init_enable(&m, 0xFF, NULL);
	F->ncmds = 0;
	F->nwaits = 0;
	assert_int_equal(amdvi_attach(&m, devid, 0x0001, spa(0x12345000), 3, true, true), 0);
	assert_int_equal(amdvi_get_dte(&m, devid, &d), 0);
	assert_int_equal(d.data[0], 0x6000000012345603ULL);
	assert_int_equal(d.data[1], 1);
	/* The very words the IOMMU reads. */
	assert_int_equal(((u64 *)phys_ptr(spa(F->devtab + devid * 32)))[0], 0x6000000012345603ULL);
	/* INVALIDATE_DEVTAB_ENTRY for it, then a wait. */
	assert_int_equal(F->ncmds, 1);
	assert_int_equal(F->cmds[0].data[0], 0x2000000000000018ULL);
	assert_int_equal(F->nwaits, 1);

	assert_int_equal(amdvi_block_device(&m, devid), 0);
	assert_int_equal(amdvi_get_dte(&m, devid, &d), 0);
	assert_int_equal(d.data[0], spa_val(m.null_root) | 0x203);
	assert_int_equal(d.data[1], 0);
	assert_int_equal(F->ncmds, 2);
	assert_int_equal(m.stats.inv_devtab, 2);
	assert_int_equal(m.stats.dte_writes, 2);
}

/* 48882 2.2.5 / 2.4.5: the interrupt fields of one DTE change, the rest of
 * the entry stays, and both the DTE and the interrupt table are invalidated
 * and waited for; every other device keeps aborting interrupts. */
static void test_intr_table(void **state)
{
	struct amdvi m;
	struct amdvi_dte d;
	const u16 devid = 0x0018;

	(void)state;
	init_enable(&m, 0xFF, NULL);
	/* after init every entry aborts interrupts (IV=1, IntCtl=00b) */
	for (u16 i = 0; i <= 0xFF; i++) {
		assert_int_equal(amdvi_get_dte(&m, i, &d), 0);
		assert_int_equal(d.data[2], DTE_FLAG_IV);
	}
	assert_int_equal(amdvi_attach(&m, devid, 0x0001, spa(0x12345000), 3, true, true), 0);
	F->ncmds = 0;
	F->nwaits = 0;
	assert_int_equal(amdvi_intr_table(&m, devid, spa(0x7780), IRT_LEN_LOG2), 0);
	assert_int_equal(amdvi_get_dte(&m, devid, &d), 0);
	assert_int_equal(d.data[0], 0x6000000012345603ULL);
	assert_int_equal(d.data[1], 1);
	assert_int_equal(d.data[2], 0x2000000000007793ULL);
	assert_int_equal(((u64 *)phys_ptr(spa(F->devtab + devid * 32)))[2], 0x2000000000007793ULL);
	/* INVALIDATE_DEVTAB_ENTRY (opcode 2), INVALIDATE_INTERRUPT_TABLE
	 * (opcode 5), each followed by a COMPLETION_WAIT */
	assert_int_equal(F->ncmds, 2);
	assert_int_equal(F->cmds[0].data[0], 0x2000000000000018ULL);
	assert_int_equal(F->cmds[1].data[0], 0x5000000000000018ULL);
	assert_int_equal(F->cmds[1].data[1], 0);
	assert_int_equal(F->nwaits, 2);
	assert_int_equal(amdvi_get_dte(&m, devid + 1, &d), 0);
	assert_int_equal(d.data[2], DTE_FLAG_IV);

	/* back to abort */
	assert_int_equal(amdvi_intr_table(&m, devid, spa(0), 0), 0);
	assert_int_equal(amdvi_get_dte(&m, devid, &d), 0);
	assert_int_equal(d.data[2], DTE_FLAG_IV);
	assert_int_equal(d.data[0], 0x6000000012345603ULL);
	assert_int_equal(F->ncmds, 4);
	assert_int_equal(F->cmds[3].data[0], 0x5000000000000018ULL);
	/* refused: nothing written, nothing sent */
	assert_int_equal(amdvi_intr_table(&m, devid, spa(0x7740), IRT_LEN_LOG2), -EINVAL);
	assert_int_equal(amdvi_intr_table(&m, 0x100, spa(0x7780), IRT_LEN_LOG2), -ERANGE);
	assert_int_equal(F->ncmds, 4);
	assert_int_equal(amdvi_get_dte(&m, devid, &d), 0);
	assert_int_equal(d.data[2], DTE_FLAG_IV);
	/* a blocked entry keeps aborting */
	assert_int_equal(amdvi_block_device(&m, devid), 0);
	assert_int_equal(amdvi_get_dte(&m, devid, &d), 0);
	assert_int_equal(d.data[2], DTE_FLAG_IV);
}

static void test_devid_out_of_range(void **state)
{
	struct amdvi m;
	struct amdvi_dte d;
	unsigned cmds;

	(void)state;
	init_enable(&m, 0x3F, NULL);
	cmds = F->ncmds;
	amdvi_dte_blocked(&d, spa(0));
	assert_int_equal(amdvi_attach(&m, 0x40, 1, spa(0x1000), 3, true, true), -ERANGE);
	assert_int_equal(amdvi_block_device(&m, 0x40), -ERANGE);
	assert_int_equal(amdvi_set_dte(&m, 0xFFFF, &d), -ERANGE);
	assert_int_equal(amdvi_get_dte(&m, 0x40, &d), -ERANGE);
	assert_int_equal(amdvi_inv_devtab(&m, 0x40), -ERANGE);
	assert_int_equal(amdvi_inv_irt(&m, 0x40), -ERANGE);
	assert_int_equal(F->ncmds, cmds);
	/* The last valid one works. */
	assert_int_equal(amdvi_attach(&m, 0x3F, 1, spa(0x1000), 3, true, true), 0);
}

static void test_set_dte_rejects_bad_entries(void **state)
{
	struct amdvi m;
	struct amdvi_dte d;
	struct amdvi_config cfg = {.qemu72 = true};

	(void)state;
	init_enable(&m, 0x3F, &cfg);
	amdvi_dte_translate(&d, 1, spa(0x1000), 3, true, true);
	d.data[0] |= BIT(3); /* reserved */
	assert_int_equal(amdvi_set_dte(&m, 1, &d), -EINVAL);
	assert_int_equal(amdvi_attach(&m, 1, 0x0100, spa(0x1000), 3, true, true), -EINVAL);
	assert_int_equal(amdvi_attach(&m, 1, 0x00FF, spa(0x1000), 3, true, true), 0);
	assert_int_equal(amdvi_attach(&m, 1, 0x0200, spa(0x1000), 3, true, true), 0);
	assert_int_equal(amdvi_attach(&m, 1, 1, spa(0x1000), 7, true, true), -EINVAL);
	assert_int_equal(amdvi_attach(&m, 1, 1, spa(0x1001), 3, true, true), -EINVAL);
}

/* ---- command ring ------------------------------------------------------- */

static void test_ring_wraps_many_commands(void **state)
{
	struct amdvi m;
	struct amdvi_config cfg = {.cmd_log2 = 8};
	unsigned i, base;

	(void)state;
	F->qemu_head_bug = true; /* the driver never looks at the head register */
	init_enable(&m, 0x3F, &cfg);
	base = F->ncmds;
	for (i = 0; i < 1000; i++)
		assert_int_equal(amdvi_inv_pages(&m, (u16)(i & 0xFF), (u64)i << 12, 0x1000), 0);
	assert_int_equal(F->ncmds - base, 1000);
	for (i = 0; i < 1000; i++) {
		const struct amdvi_cmd *c = &F->cmds[base + i];

		assert_int_equal(amdvi_cmd_opcode(c), CMD_INV_IOMMU_PAGES);
		assert_int_equal(FIELD_GET(CMD_DOMID_MASK, c->data[0]), i & 0xFF);
		assert_int_equal(c->data[1], ((u64)i << 12) | CMD_INV_IOMMU_PAGES_PDE_MASK);
	}
	/* 2002 entries (with enable's two) through a 256-entry ring. */
	assert_int_equal(m.stats.commands, 2002);
	assert_int_equal(m.stats.ring_wraps, 2002 / 256);
	assert_int_equal(m.stats.completion_waits, 1001);
	assert_int_equal(m.stats.inv_pages, 1000);
	assert_int_equal(m.stats.sync_timeouts, 0);
}

static void test_batch_one_wait(void **state)
{
	static struct amdvi_cmd cmds[600];
	struct amdvi m;
	struct amdvi_config cfg = {.cmd_log2 = 8};
	unsigned i, base, waits;

	(void)state;
	init_enable(&m, 0x3F, &cfg);
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		assert_int_equal(amdvi_cmd_inv_pages(&cmds[i], 3, (u64)i << 21, HUGE_SIZE, true),
				 0);
	base = F->ncmds;
	waits = F->nwaits;
	assert_int_equal(amdvi_submit(&m, cmds, 10), 0);
	assert_int_equal(F->nwaits - waits, 1);
	assert_int_equal(F->ncmds - base, 10);

	/* 600 commands do not fit a 256-entry ring: it drains itself. */
	base = F->ncmds;
	waits = F->nwaits;
	assert_int_equal(amdvi_submit(&m, cmds, 600), 0);
	assert_int_equal(F->ncmds - base, 600);
	for (i = 0; i < 600; i++)
		assert_memory_equal(&F->cmds[base + i], &cmds[i], sizeof(cmds[i]));
	assert_int_equal(m.stats.ring_full_syncs, 2);
	assert_int_equal(F->nwaits - waits, 3);
}

static void test_queue_then_sync(void **state)
{
	struct amdvi m;
	struct amdvi_cmd c;
	unsigned waits;

	(void)state;
	init_enable(&m, 0x3F, NULL);
	waits = F->nwaits;
	amdvi_cmd_inv_irt(&c, 5);
	assert_int_equal(amdvi_queue(&m, &c), 0);
	amdvi_cmd_inv_devtab(&c, 6);
	assert_int_equal(amdvi_queue(&m, &c), 0);
	/* Run on the tail write, but nobody waited. */
	assert_int_equal(F->nwaits, waits);
	assert_int_equal(last_cmd()->data[0], 0x2000000000000006ULL);
	assert_int_equal(amdvi_sync(&m), 0);
	assert_int_equal(F->nwaits, waits + 1);
	assert_int_equal(m.stats.inv_irt, 1);
	/* The store target received the sequence number. */
	assert_int_equal(*(u64 *)phys_ptr(m.sem), m.sem_seq);
}

static void test_sync_times_out_and_recovers(void **state)
{
	struct amdvi m;

	(void)state;
	init_enable(&m, 0x3F, &fast);
	F->never_store = true;
	assert_int_equal(amdvi_sync(&m), -ETIMEDOUT);
	assert_int_equal(amdvi_inv_pages(&m, 1, 0, 0x1000), -ETIMEDOUT);
	assert_int_equal(m.stats.sync_timeouts, 2);
	assert_true(m.broken);
	F->never_store = false;
	assert_int_equal(amdvi_inv_pages(&m, 1, 0, 0x1000), 0);
	assert_false(m.broken);
}

static void test_stalled_iommu_never_overwrites(void **state)
{
	struct amdvi m;
	struct amdvi_config cfg = {.cmd_log2 = 8, .poll_limit = 50};
	struct amdvi_cmd c;
	unsigned i, ok = 0, base;
	int ret = 0;

	(void)state;
	init_enable(&m, 0x3F, &cfg);
	base = F->ncmds;
	F->stalled = true;
	for (i = 0; i < 300; i++) {
		amdvi_cmd_inv_devtab(&c, (u16)(i & 0x3F));
		ret = amdvi_queue(&m, &c);
		if (ret)
			break;
		ok++;
	}
	/* 254 commands fit, then a drain wait times out. */
	assert_int_equal(ok, 254);
	assert_int_equal(ret, -ETIMEDOUT);
	/* The ring is now full (reserved slot used): no more writes at all. */
	assert_int_equal(amdvi_queue(&m, &c), -EBUSY);
	assert_int_equal(amdvi_sync(&m), -EBUSY);
	/* The hardware catches up: every command intact and in order. */
	F->stalled = false;
	fake_run();
	assert_int_equal(F->ncmds - base, 254);
	for (i = 0; i < 254; i++)
		assert_int_equal(F->cmds[base + i].data[0], 0x2000000000000000ULL | (i & 0x3F));
	/* The late store is noticed and the driver carries on. */
	assert_int_equal(amdvi_inv_devtab(&m, 1), 0);
	assert_false(m.broken);
}

static void test_inv_pages_ranged(void **state)
{
	struct amdvi m;

	(void)state;
	init_enable(&m, 0x3F, NULL);
	assert_int_equal(amdvi_inv_pages(&m, 7, 0x1000, 0x2000), 0);
	assert_int_equal(last_cmd()->data[0], 0x3000000700000000ULL);
	assert_int_equal(last_cmd()->data[1], 0x1003ULL); /* 16K at 0, S, PDE */
	assert_int_equal(amdvi_inv_pages(&m, 7, 0x40000000, 0x40000000), 0);
	assert_int_equal(last_cmd()->data[1], 0x5FFFF003ULL);
	assert_int_equal(amdvi_inv_pages(&m, 7, 0x1000, 0), -EINVAL);
}

/* ---- events ------------------------------------------------------------- */

struct seen {
	struct amdvi_event ev[1024];
	unsigned n;
};

static void collect(void *ctx, const struct amdvi_event *ev)
{
	struct seen *s = ctx;

	assert_true(s->n < ARRAY_SIZE(s->ev));
	s->ev[s->n++] = *ev;
}

static void test_events_decoded_head_advanced(void **state)
{
	static struct seen s;
	struct amdvi m;

	(void)state;
	s.n = 0;
	init_enable(&m, 0x3F, NULL);
	assert_int_equal(amdvi_read_events(&m, collect, &s), 0);
	assert_true(
	    fake_push_event(EVENT_TYPE_IO_FAULT, 0x18, 1, EVENT_FLAG_I | EVENT_FLAG_RW, 0x40000));
	assert_true(fake_push_event(EVENT_TYPE_ILL_DEV, 0x20, 0, 0, 0x1234));
	assert_true(fake_push_event(EVENT_TYPE_RMP_FAULT, 0x08, 0x42, EVENT_FLAG_RW, 0x5000));
	assert_int_equal(amdvi_read_events(&m, collect, &s), 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ev[0].type, EVENT_TYPE_IO_FAULT);
	assert_int_equal(s.ev[0].devid, 0x18);
	assert_int_equal(s.ev[0].domain_id, 1);
	assert_int_equal(s.ev[0].flags, EVENT_FLAG_I | EVENT_FLAG_RW);
	assert_int_equal(s.ev[0].addr, 0x40000);
	assert_int_equal(s.ev[1].type, EVENT_TYPE_ILL_DEV);
	assert_int_equal(s.ev[2].vmg_tag, 0x42);
	assert_int_equal(*R(MMIO_EVT_HEAD_OFFSET), 3 * 16);
	/* The interrupt status bit is cleared, nothing is read twice. */
	assert_int_equal(*R(MMIO_STATUS_OFFSET) & MMIO_STATUS_EVT_INT_MASK, 0);
	assert_int_equal(amdvi_read_events(&m, collect, &s), 0);
	assert_int_equal(m.stats.events, 3);
	/* Default callback just logs. */
	assert_true(fake_push_event(EVENT_TYPE_IO_FAULT, 0x18, 1, 0, 0x1000));
	assert_int_equal(amdvi_read_events(&m, NULL, NULL), 1);
}

static void test_events_consumed_entries_zeroed(void **state)
{
	static struct seen s;
	struct amdvi m;
	struct amdvi_config cfg = {.evt_log2 = 8};
	const u64 *log;
	unsigned i;

	(void)state;
	s.n = 0;
	init_enable(&m, 0x3F, &cfg);
	log = phys_ptr(m.evt_log);
	assert_true(fake_push_event(EVENT_TYPE_IO_FAULT, 0x18, 1, 0, 0x1000));
	assert_true(fake_push_event(EVENT_TYPE_ILL_DEV, 0x20, 0, 0, 0x2000));
	assert_int_equal(amdvi_read_events(&m, collect, &s), 2);
	for (i = 0; i < 4; i++)
		assert_int_equal(log[i], 0);
	/* One lap later (head back at entry 0), the tail moves over entry 0
	 * before the IOMMU wrote it (erratum 732): the read gives code 0 after
	 * the bounded re-reads, not the IO_PAGE_FAULT of the first lap. */
	for (i = 0; i < 254; i++) {
		assert_true(fake_push_event(EVENT_TYPE_IO_FAULT, 1, 2, 0, i));
		if (i == 200) {
			s.n = 0;
			assert_int_equal(amdvi_read_events(&m, collect, &s), 201);
		}
	}
	s.n = 0;
	assert_int_equal(amdvi_read_events(&m, collect, &s), 53);
	assert_int_equal(m.evt_head, 0);
	*R(MMIO_EVT_TAIL_OFFSET) = 16;
	s.n = 0;
	assert_int_equal(amdvi_read_events(&m, collect, &s), 1);
	assert_int_equal(s.ev[0].type, 0);
	assert_int_equal(s.ev[0].raw[0], 0);
}

static void test_events_wrap(void **state)
{
	static struct seen s;
	struct amdvi m;
	struct amdvi_config cfg = {.evt_log2 = 8};
	unsigned i, round;

	(void)state;
	init_enable(&m, 0x3F, &cfg);
	for (round = 0; round < 4; round++) {
		s.n = 0;
		for (i = 0; i < 200; i++)
			assert_true(
			    fake_push_event(EVENT_TYPE_IO_FAULT, 1, 2, 0, round * 1000 + i));
		assert_int_equal(amdvi_read_events(&m, collect, &s), 200);
		for (i = 0; i < 200; i++)
			assert_int_equal(s.ev[i].addr, round * 1000 + i);
	}
	assert_int_equal(m.evt_head, 800 % 256);
	assert_int_equal(m.stats.evt_overflows, 0);
}

static void test_events_overflow(void **state)
{
	static struct seen s;
	struct amdvi m;
	struct amdvi_config cfg = {.evt_log2 = 8};
	unsigned i, pushed = 0, nctrl;

	(void)state;
	s.n = 0;
	init_enable(&m, 0x3F, &cfg);
	for (i = 0; i < 300; i++)
		pushed += fake_push_event(EVENT_TYPE_IO_FAULT, 1, 2, 0, i);
	assert_int_equal(pushed, 255);
	assert_true(*R(MMIO_STATUS_OFFSET) & MMIO_STATUS_EVT_OVERFLOW_MASK);
	nctrl = F->nctrl;
	assert_int_equal(amdvi_read_events(&m, collect, &s), 255);
	assert_int_equal(m.stats.evt_overflows, 1);
	/* Restarted: EVT_LOG_EN off then on, overflow cleared. */
	assert_int_equal(F->nctrl, nctrl + 2);
	assert_int_equal(F->ctrl_log[nctrl] & CONTROL_EVT_LOG_EN, 0);
	assert_true(F->ctrl_log[nctrl + 1] & CONTROL_EVT_LOG_EN);
	assert_int_equal(*R(MMIO_STATUS_OFFSET) & MMIO_STATUS_EVT_OVERFLOW_MASK, 0);
	assert_true(fake_push_event(EVENT_TYPE_IO_FAULT, 1, 2, 0, 999));
	assert_int_equal(amdvi_read_events(&m, collect, &s), 1);
	assert_int_equal(s.ev[255].addr, 999);
}

static void test_events_stuck_status_no_spin(void **state)
{
	static struct seen s;
	struct amdvi m;

	(void)state;
	s.n = 0;
	F->no_w1c = true; /* QEMU 7.2 */
	init_enable(&m, 0x3F, NULL);
	*R(MMIO_STATUS_OFFSET) |= MMIO_STATUS_EVT_OVERFLOW_MASK;
	assert_int_equal(amdvi_read_events(&m, collect, &s), 0);
	assert_int_equal(amdvi_read_events(&m, collect, &s), 0);
	assert_int_equal(m.stats.evt_overflows, 2); /* reported, never waited on */
	assert_int_equal(amdvi_inv_all(&m), 0);
}

static void test_events_bad_tail(void **state)
{
	struct amdvi m;
	struct amdvi_config cfg = {.evt_log2 = 8};

	(void)state;
	init_enable(&m, 0x3F, &cfg);
	*R(MMIO_EVT_TAIL_OFFSET) = 256 * 16;
	assert_int_equal(amdvi_read_events(&m, NULL, NULL), -EIO);
	*R(MMIO_EVT_TAIL_OFFSET) = 0x18;
	assert_int_equal(amdvi_read_events(&m, NULL, NULL), -EIO);
	assert_int_equal(m.evt_head, 0);
}

/* ---- misc --------------------------------------------------------------- */

static void test_stats_format(void **state)
{
	struct amdvi m;
	char buf[512];

	(void)state;
	init_enable(&m, 0x3F, NULL);
	amdvi_stats_format(&m, buf, sizeof(buf));
	assert_non_null(strstr(buf, "cmds=2 waits=1 timeouts=0"));
	assert_non_null(strstr(buf, "inv_all=1"));
}

static void test_mmio_phys_ops(void **state)
{
	struct amdvi_mmio_phys p = {.base = spa(FAKE_BASE + 0x10000)};
	u64 *regs = (u64 *)(win + 0x10000);

	(void)state;
	amdvi_mmio_phys_ops.write64(&p, MMIO_CMD_TAIL_OFFSET, 0x1230);
	assert_int_equal(regs[MMIO_CMD_TAIL_OFFSET / 8], 0x1230);
	regs[MMIO_EXT_FEATURES / 8] = 0x29D3;
	assert_int_equal(amdvi_mmio_phys_ops.read64(&p, MMIO_EXT_FEATURES), 0x29D3);
	amdvi_mmio_phys_ops.relax(&p);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_init_programs_registers),
	    T(test_init_full_bus_range),
	    T(test_init_errors),
	    T(test_init_turns_off_firmware_iommu),
	    T(test_enable_sequence),
	    T(test_enable_fails_cleanly),
	    T(test_disable_reverse_order),
	    T(test_inv_all_without_ia),
	    T(test_attach_and_block),
	    T(test_intr_table),
	    T(test_devid_out_of_range),
	    T(test_set_dte_rejects_bad_entries),
	    T(test_ring_wraps_many_commands),
	    T(test_batch_one_wait),
	    T(test_queue_then_sync),
	    T(test_sync_times_out_and_recovers),
	    T(test_stalled_iommu_never_overwrites),
	    T(test_inv_pages_ranged),
	    T(test_events_decoded_head_advanced),
	    T(test_events_consumed_entries_zeroed),
	    T(test_events_wrap),
	    T(test_events_overflow),
	    T(test_events_stuck_status_no_spin),
	    T(test_events_bad_tail),
	    T(test_stats_format),
	    T(test_mmio_phys_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
