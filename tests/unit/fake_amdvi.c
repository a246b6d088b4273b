/* The fake AMD IOMMU register file (see fake_amdvi.h). */
#include "tests/unit/fake_amdvi.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hv/base/mem.h"

u64 *fake_amdvi_reg(struct fake_amdvi *f, u32 off)
{
	return &f->reg[off / 8];
}

void fake_amdvi_reset(struct fake_amdvi *f, u64 efr)
{
	memset(f, 0, sizeof(*f));
	*fake_amdvi_reg(f, MMIO_EXT_FEATURES) = efr;
}

static u64 ctrl_of(const struct fake_amdvi *f)
{
	return f->reg[MMIO_CONTROL_OFFSET / 8];
}

bool fake_amdvi_cmd_running(const struct fake_amdvi *f)
{
	return (ctrl_of(f) & (CONTROL_IOMMU_EN | CONTROL_CMDBUF_EN)) ==
	       (CONTROL_IOMMU_EN | CONTROL_CMDBUF_EN);
}

bool fake_amdvi_evt_running(const struct fake_amdvi *f)
{
	return (ctrl_of(f) & (CONTROL_IOMMU_EN | CONTROL_EVT_LOG_EN)) ==
	       (CONTROL_IOMMU_EN | CONTROL_EVT_LOG_EN);
}

static void fake_exec(struct fake_amdvi *f, const struct amdvi_cmd *c)
{
	f->nexec++;
	if (amdvi_cmd_opcode(c) == CMD_COMPL_WAIT) {
		f->nwaits++;
		if ((c->data[0] & CMD_COMPL_WAIT_STORE_MASK) && !f->never_store)
			*(u64 *)phys_ptr(spa(c->data[0] & CMD_COMPL_WAIT_ADDR_MASK)) = c->data[1];
		return;
	}
	assert_true(f->ncmds < FAKE_AMDVI_MAX_CMDS);
	f->cmds[f->ncmds++] = *c;
}

void fake_amdvi_run(struct fake_amdvi *f)
{
	u32 size = f->cmd_entries * CMD_ENTRY_SIZE;
	u32 tail = (u32)*fake_amdvi_reg(f, MMIO_CMD_TAIL_OFFSET);

	if (!fake_amdvi_cmd_running(f))
		return;
	assert_true(tail < size && IS_ALIGNED(tail, 16));
	while (f->head != tail) {
		struct amdvi_cmd c;

		memcpy(&c, phys_ptr(spa(f->cmdbuf + f->head)), sizeof(c));
		fake_exec(f, &c);
		f->head += CMD_ENTRY_SIZE;
		*fake_amdvi_reg(f, MMIO_CMD_HEAD_OFFSET) = f->head; /* QEMU 7.2 publishes first */
		if (f->head >= size)
			f->head = 0;
		if (!f->qemu_head_bug)
			*fake_amdvi_reg(f, MMIO_CMD_HEAD_OFFSET) = f->head;
	}
}

u64 fake_amdvi_read64(void *ctx, u32 off)
{
	struct fake_amdvi *f = ctx;

	assert_non_null(f);
	assert_true(off < MMIO_REGION_SIZE && IS_ALIGNED(off, 8));
	return *fake_amdvi_reg(f, off);
}

static void fake_status_run_bits(struct fake_amdvi *f)
{
	u64 *st = fake_amdvi_reg(f, MMIO_STATUS_OFFSET);

	*st &= ~(MMIO_STATUS_CMDBUF_RUN_MASK | MMIO_STATUS_EVT_RUN_MASK);
	if (fake_amdvi_cmd_running(f))
		*st |= MMIO_STATUS_CMDBUF_RUN_MASK;
	if (fake_amdvi_evt_running(f) && !(*st & MMIO_STATUS_EVT_OVERFLOW_MASK))
		*st |= MMIO_STATUS_EVT_RUN_MASK;
}

static void fake_write64(void *ctx, u32 off, u64 v)
{
	struct fake_amdvi *f = ctx;

	assert_non_null(f);
	assert_true(off < MMIO_REGION_SIZE && IS_ALIGNED(off, 8));
	switch (off) {
	case MMIO_STATUS_OFFSET:
		if (!f->no_w1c)
			*fake_amdvi_reg(f, off) &=
			    ~(v & (MMIO_STATUS_EVT_OVERFLOW_MASK | MMIO_STATUS_EVT_INT_MASK |
				   MMIO_STATUS_COM_WAIT_INT_MASK));
		fake_status_run_bits(f);
		return;
	case MMIO_EXT_FEATURES:
		return; /* read-only */
	default:
		*fake_amdvi_reg(f, off) = v;
	}
	switch (off) {
	case MMIO_DEV_TABLE_OFFSET:
		f->devtab = v & MMIO_BASE_ADDR_MASK;
		f->devtab_bytes = (u32)(FIELD_GET(MMIO_DEV_TABLE_SIZE_MASK, v) + 1) * 4096;
		break;
	case MMIO_CMD_BUF_OFFSET:
		f->cmdbuf = v & MMIO_BASE_ADDR_MASK;
		f->cmd_entries = 1u << FIELD_GET(MMIO_LOG_LEN_MASK, v);
		f->head = 0;
		break;
	case MMIO_EVT_BUF_OFFSET:
		f->evtlog = v & MMIO_BASE_ADDR_MASK;
		f->evt_entries = 1u << FIELD_GET(MMIO_LOG_LEN_MASK, v);
		break;
	case MMIO_CMD_HEAD_OFFSET:
		f->head = (u32)v;
		break;
	case MMIO_CONTROL_OFFSET:
		assert_true(f->nctrl < FAKE_AMDVI_MAX_CTRL);
		f->ctrl_log[f->nctrl++] = v;
		fake_status_run_bits(f);
		if (!f->stalled)
			fake_amdvi_run(f);
		break;
	case MMIO_CMD_TAIL_OFFSET:
		if (!f->stalled)
			fake_amdvi_run(f);
		break;
	default:
		break;
	}
}

const struct amdvi_mmio_ops fake_amdvi_ops = {.read64 = fake_amdvi_read64, .write64 = fake_write64};

bool fake_amdvi_push_event(struct fake_amdvi *f, unsigned type, u16 devid, u32 dom, u16 flags,
			   u64 addr)
{
	u64 *st = fake_amdvi_reg(f, MMIO_STATUS_OFFSET);
	u32 tail = (u32)*fake_amdvi_reg(f, MMIO_EVT_TAIL_OFFSET) / 16;
	u32 head = (u32)*fake_amdvi_reg(f, MMIO_EVT_HEAD_OFFSET) / 16;
	u32 next = (tail + 1) % f->evt_entries;

	if (!fake_amdvi_evt_running(f) || (*st & MMIO_STATUS_EVT_OVERFLOW_MASK))
		return false;
	if (next == head) {
		*st |= MMIO_STATUS_EVT_OVERFLOW_MASK;
		*st &= ~MMIO_STATUS_EVT_RUN_MASK;
		return false;
	}
	amdvi_event_encode(phys_ptr(spa(f->evtlog + (u64)tail * 16)), type, devid, dom, flags,
			   addr);
	*fake_amdvi_reg(f, MMIO_EVT_TAIL_OFFSET) = (u64)next * 16;
	*st |= MMIO_STATUS_EVT_INT_MASK;
	return true;
}
