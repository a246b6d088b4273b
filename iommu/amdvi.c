/* AMD-Vi MMIO driver for one IOMMU (spec 48882 chapter 3: 3.3 initialisation,
 * 3.4 registers; 2.4 command buffer, 2.5 event log). See amdvi.h for the API
 * and docs/amdvi.md for the QEMU behaviour it is built around. */
#include "iommu/amdvi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/base/log.h"
#include "hv/base/mem.h"

#define DEFAULT_LOG2	    9
#define DEFAULT_POLL_LIMIT  10000000u
#define EVT_UNWRITTEN_POLLS 64 /* erratum 732: tail moved before the entry landed */

/* Control bits the caller may add through cfg->ctrl_extra. */
#define CTRL_EXTRA_ALLOWED                                                                         \
	(CONTROL_HT_TUN_EN | CONTROL_PASSPW_EN | CONTROL_RESPASSPW_EN | CONTROL_ISOC_EN |          \
	 CONTROL_COHERENT_EN | CONTROL_INV_TO_MASK)

/* ---- the real-hardware accessor ----------------------------------------- */

static u64 phys_read64(void *ctx, u32 off)
{
	const struct amdvi_mmio_phys *p = ctx;

	return *(volatile u64 *)phys_ptr(spa_add(p->base, off));
}

static void phys_write64(void *ctx, u32 off, u64 v)
{
	const struct amdvi_mmio_phys *p = ctx;

	*(volatile u64 *)phys_ptr(spa_add(p->base, off)) = v;
}

static void phys_relax(void *ctx)
{
#if defined(__x86_64__)
	__asm__ volatile("pause" ::: "memory");
#endif
}

const struct amdvi_mmio_ops amdvi_mmio_phys_ops = {
    .read64 = phys_read64,
    .write64 = phys_write64,
    .relax = phys_relax,
};

/* ---- helpers ------------------------------------------------------------ */

static u64 rd(const struct amdvi *m, u32 off)
{
	return m->ops->read64(m->ctx, off);
}
static void wr(struct amdvi *m, u32 off, u64 v)
{
	m->ops->write64(m->ctx, off, v);
}

static void relax(const struct amdvi *m)
{
	if (m->ops->relax)
		m->ops->relax(m->ctx);
}

static volatile u64 *qwords(spa_t pa)
{
	return (volatile u64 *)phys_ptr(pa);
}

static int alloc_zeroed(amdvi_alloc_fn alloc, void *actx, u64 bytes, const char *what, spa_t *out)
{
	int ret = alloc(actx, bytes, PAGE_SIZE, out);

	if (ret) {
		pr_err("amdvi: cannot allocate %llu bytes for the %s: %d\n",
		       (unsigned long long)bytes, what, ret);
		return ret < 0 ? ret : -ENOMEM;
	}
	if (!IS_ALIGNED(spa_val(*out), PAGE_SIZE) || spa_val(*out) + bytes > BIT(52)) {
		pr_err("amdvi: %s at 0x%llx is not 4K aligned / below 2^52\n", what,
		       (unsigned long long)spa_val(*out));
		return -EINVAL;
	}
	memset(phys_ptr(*out), 0, bytes);
	return 0;
}

static void dte_write_raw(struct amdvi *m, u16 devid, const struct amdvi_dte *dte)
{
	volatile u64 *slot = qwords(spa_add(m->dev_table, (u64)devid * DEV_TABLE_ENTRY_SIZE));
	struct amdvi_dte block;

	/* 2.2.2: the IOMMU may fetch the entry while we write it. When a valid
	 * entry changes beyond word 0, first make word 0 blocking so that a torn
	 * read can never combine the new root with stale fields or vice versa. */
	if ((slot[0] & DTE_FLAG_V) &&
	    (slot[1] != dte->data[1] || slot[2] != dte->data[2] || slot[3] != dte->data[3])) {
		amdvi_dte_blocked(&block, m->null_root);
		slot[0] = block.data[0];
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	slot[3] = dte->data[3];
	slot[2] = dte->data[2];
	slot[1] = dte->data[1];
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	slot[0] = dte->data[0];
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	m->stats.dte_writes++;
}

/* 3.4.1-3.4.3: bases with single 8-byte writes (QEMU 7.2 latches only those),
 * exclusion range off, ring pointers back to 0. IOMMU must be disabled. */
static void program_regs(struct amdvi *m)
{
	wr(m, MMIO_DEV_TABLE_OFFSET,
	   spa_val(m->dev_table) |
	       FIELD_PREP(MMIO_DEV_TABLE_SIZE_MASK, m->dev_table_bytes / PAGE_SIZE - 1));
	wr(m, MMIO_CMD_BUF_OFFSET,
	   spa_val(m->cmd_buf) |
	       FIELD_PREP(MMIO_LOG_LEN_MASK, (unsigned)__builtin_ctz(m->cmd_entries)));
	wr(m, MMIO_EVT_BUF_OFFSET,
	   spa_val(m->evt_log) |
	       FIELD_PREP(MMIO_LOG_LEN_MASK, (unsigned)__builtin_ctz(m->evt_entries)));
	wr(m, MMIO_EXCL_BASE_OFFSET, 0);
	wr(m, MMIO_EXCL_LIMIT_OFFSET, 0);
	wr(m, MMIO_CMD_HEAD_OFFSET, 0);
	wr(m, MMIO_CMD_TAIL_OFFSET, 0);
	wr(m, MMIO_EVT_HEAD_OFFSET, 0);
	wr(m, MMIO_EVT_TAIL_OFFSET, 0);
	m->cmd_tail = 0;
	m->cmd_done = 0;
	m->evt_head = 0;
}

static int check_log2(u8 v, const char *what)
{
	if (v < MMIO_LOG_LEN_MIN || v > MMIO_LOG_LEN_MAX) {
		pr_err("amdvi: %s size 2^%u entries invalid (2^8..2^15)\n", what, v);
		return -EINVAL;
	}
	return 0;
}

/* ---- init / enable / disable -------------------------------------------- */

int amdvi_init(struct amdvi *m, const struct amdvi_mmio_ops *ops, void *mmio_ctx,
	       amdvi_alloc_fn alloc, void *alloc_ctx, u16 max_devid, const struct amdvi_config *cfg)
{
	static const struct amdvi_config defaults;
	struct amdvi_dte block;
	u8 cmd_log2, evt_log2;
	u64 ctrl;
	u32 i;
	int ret;

	if (!m || !ops || !ops->read64 || !ops->write64 || !alloc) {
		pr_err("amdvi: init needs MMIO ops and an allocator\n");
		return -EINVAL;
	}
	if (!cfg)
		cfg = &defaults;
	cmd_log2 = cfg->cmd_log2 ? cfg->cmd_log2 : DEFAULT_LOG2;
	evt_log2 = cfg->evt_log2 ? cfg->evt_log2 : DEFAULT_LOG2;
	if (check_log2(cmd_log2, "command buffer") || check_log2(evt_log2, "event log"))
		return -EINVAL;
	if (cfg->ctrl_extra & ~CTRL_EXTRA_ALLOWED) {
		pr_err("amdvi: control bits 0x%llx are not the caller's to set\n",
		       (unsigned long long)(cfg->ctrl_extra & ~CTRL_EXTRA_ALLOWED));
		return -EINVAL;
	}

	memset(m, 0, sizeof(*m));
	m->ops = ops;
	m->ctx = mmio_ctx;
	m->max_devid = max_devid;
	m->dev_entries = (u32)max_devid + 1;
	m->dev_table_bytes = ALIGN_UP((u64)m->dev_entries * DEV_TABLE_ENTRY_SIZE, PAGE_SIZE);
	m->cmd_entries = 1u << cmd_log2;
	m->evt_entries = 1u << evt_log2;
	m->poll_limit = cfg->poll_limit ? cfg->poll_limit : DEFAULT_POLL_LIMIT;
	m->qemu72 = cfg->qemu72;
	m->ctrl = CONTROL_COHERENT_EN | FIELD_PREP(CONTROL_INV_TO_MASK, CTRL_INV_TO_1S);
	if (cfg->ctrl_extra & CONTROL_INV_TO_MASK)
		m->ctrl &= ~CONTROL_INV_TO_MASK;
	m->ctrl |= cfg->ctrl_extra;

	ret = alloc_zeroed(alloc, alloc_ctx, m->dev_table_bytes, "device table", &m->dev_table);
	if (!ret)
		ret = alloc_zeroed(alloc, alloc_ctx, (u64)m->cmd_entries * CMD_ENTRY_SIZE,
				   "command buffer", &m->cmd_buf);
	if (!ret)
		ret = alloc_zeroed(alloc, alloc_ctx, (u64)m->evt_entries * EVENT_ENTRY_SIZE,
				   "event log", &m->evt_log);
	if (!ret)
		ret = alloc_zeroed(alloc, alloc_ctx, PAGE_SIZE, "completion semaphore", &m->sem);
	if (!ret)
		ret = alloc_zeroed(alloc, alloc_ctx, PAGE_SIZE, "empty I/O page table",
				   &m->null_root);
	if (ret) {
		m->ops = NULL;
		return ret;
	}

	/* Every device starts blocked: V=1 so DMA is checked, IV=1 with
	 * IntCtl=00b so its interrupts (and any DMA write to the interrupt window
	 * 0xFEE00000-0xFEEFFFFF, which the IOMMU treats as one) are aborted. */
	if (!cfg->passthrough_default) {
		amdvi_dte_blocked(&block, m->null_root);
		for (i = 0; i < m->dev_entries; i++)
			memcpy(phys_ptr(spa_add(m->dev_table, (u64)i * DEV_TABLE_ENTRY_SIZE)),
			       &block, sizeof(block));
	}

	m->efr = rd(m, MMIO_EXT_FEATURES);
	ctrl = rd(m, MMIO_CONTROL_OFFSET);
	if (ctrl & (CONTROL_IOMMU_EN | CONTROL_CMDBUF_EN | CONTROL_EVT_LOG_EN)) {
		pr_warn("amdvi: firmware left the IOMMU on (control 0x%llx): turning it off\n",
			(unsigned long long)ctrl);
		wr(m, MMIO_CONTROL_OFFSET,
		   ctrl & ~(CONTROL_IOMMU_EN | CONTROL_CMDBUF_EN | CONTROL_EVT_LOG_EN));
	}
	program_regs(m);
	pr_debug(
	    "amdvi: devtab 0x%llx (%u entries), cmd 0x%llx (%u), evt 0x%llx (%u), efr 0x%llx\n",
	    (unsigned long long)spa_val(m->dev_table), m->dev_entries,
	    (unsigned long long)spa_val(m->cmd_buf), m->cmd_entries,
	    (unsigned long long)spa_val(m->evt_log), m->evt_entries, (unsigned long long)m->efr);
	return 0;
}

int amdvi_enable(struct amdvi *m)
{
	int ret;

	if (!m->ops) {
		pr_err("amdvi: enable before a successful init\n");
		return -EINVAL;
	}
	if (m->enabled)
		return 0;
	program_regs(m);
	/* 3.4.10: clear stale overflow / interrupt status (RW1C). QEMU 7.2 cannot
	 * clear them; nothing below waits on them. */
	wr(m, MMIO_STATUS_OFFSET,
	   MMIO_STATUS_EVT_OVERFLOW_MASK | MMIO_STATUS_EVT_INT_MASK |
	       MMIO_STATUS_COM_WAIT_INT_MASK);
	wr(m, MMIO_CONTROL_OFFSET, m->ctrl);
	m->ctrl |= CONTROL_EVT_LOG_EN;
	wr(m, MMIO_CONTROL_OFFSET, m->ctrl);
	m->ctrl |= CONTROL_CMDBUF_EN;
	wr(m, MMIO_CONTROL_OFFSET, m->ctrl);
	m->ctrl |= CONTROL_IOMMU_EN;
	wr(m, MMIO_CONTROL_OFFSET, m->ctrl);
	m->enabled = true;
	m->broken = false;

	/* Firmware may have used the IOMMU: drop every cached DTE and
	 * translation, and prove that completion waits work. */
	ret = amdvi_inv_all(m);
	if (ret) {
		pr_err("amdvi: command path does not work after enable (%d): disabling\n", ret);
		amdvi_disable(m);
		return ret;
	}
	return 0;
}

void amdvi_disable(struct amdvi *m)
{
	if (!m->ops)
		return;
	m->ctrl &= ~CONTROL_IOMMU_EN;
	wr(m, MMIO_CONTROL_OFFSET, m->ctrl);
	m->ctrl &= ~CONTROL_CMDBUF_EN;
	wr(m, MMIO_CONTROL_OFFSET, m->ctrl);
	m->ctrl &= ~CONTROL_EVT_LOG_EN;
	wr(m, MMIO_CONTROL_OFFSET, m->ctrl);
	m->enabled = false;
}

/* ---- command ring (2.4) ------------------------------------------------- */

/* Entries written but not known to be consumed. Known-consumed comes only
 * from completed waits, never from the head register (QEMU 7.2 wraps it
 * wrongly). Usable capacity is entries - 1 (tail + 1 == head means full), and
 * one slot stays reserved for the completion wait that drains the ring. */
static u32 ring_used(const struct amdvi *m)
{
	return (m->cmd_tail - m->cmd_done) & (m->cmd_entries - 1);
}

static void count_cmd(struct amdvi *m, unsigned op)
{
	m->stats.commands++;
	switch (op) {
	case CMD_COMPL_WAIT:
		m->stats.completion_waits++;
		break;
	case CMD_INV_IOMMU_PAGES:
		m->stats.inv_pages++;
		break;
	case CMD_INV_IOTLB_PAGES:
		m->stats.inv_iotlb++;
		break;
	case CMD_INV_DEV_ENTRY:
		m->stats.inv_devtab++;
		break;
	case CMD_INV_IRT:
		m->stats.inv_irt++;
		break;
	case CMD_INV_ALL:
		m->stats.inv_all++;
		break;
	default:
		break;
	}
}

static void ring_put(struct amdvi *m, const struct amdvi_cmd *cmd)
{
	volatile u64 *slot = qwords(spa_add(m->cmd_buf, (u64)m->cmd_tail * CMD_ENTRY_SIZE));

	slot[0] = cmd->data[0];
	slot[1] = cmd->data[1];
	m->cmd_tail = (m->cmd_tail + 1) & (m->cmd_entries - 1);
	if (!m->cmd_tail)
		m->stats.ring_wraps++;
	count_cmd(m, amdvi_cmd_opcode(cmd));
}

static void ring_kick(struct amdvi *m)
{
	/* The entries must be in memory before the IOMMU sees the new tail. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr(m, MMIO_CMD_TAIL_OFFSET, (u64)m->cmd_tail * CMD_ENTRY_SIZE);
}

static int wait_store(struct amdvi *m, u64 seq)
{
	volatile u64 *sem = qwords(m->sem);
	u32 i;

	for (i = 0; i < m->poll_limit; i++) {
		if (*sem == seq) {
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			return 0;
		}
		relax(m);
	}
	return -ETIMEDOUT;
}

/* After a timeout, the late store of that wait still proves completion. */
static void recover(struct amdvi *m)
{
	if (m->broken && *qwords(m->sem) == m->sem_seq) {
		m->cmd_done = m->cmd_tail;
		m->broken = false;
	}
}

int amdvi_sync(struct amdvi *m)
{
	struct amdvi_cmd cw;
	u64 seq;
	int ret;

	if (!m->enabled) {
		pr_err("amdvi: sync while the IOMMU is disabled\n");
		return -EIO;
	}
	recover(m);
	if (ring_used(m) >= m->cmd_entries - 1) {
		pr_err("amdvi: command ring full after an earlier timeout\n");
		return -EBUSY;
	}
	seq = ++m->sem_seq;
	ret = amdvi_cmd_completion_wait(&cw, m->sem, seq, true, false, false);
	if (ret)
		return ret;
	ring_put(m, &cw);
	ring_kick(m);
	ret = wait_store(m, seq);
	if (ret) {
		m->stats.sync_timeouts++;
		m->broken = true;
		pr_err("amdvi: completion wait %llu not stored after %u polls (head 0x%llx tail "
		       "0x%llx "
		       "status 0x%llx)\n",
		       (unsigned long long)seq, m->poll_limit,
		       (unsigned long long)rd(m, MMIO_CMD_HEAD_OFFSET),
		       (unsigned long long)rd(m, MMIO_CMD_TAIL_OFFSET),
		       (unsigned long long)rd(m, MMIO_STATUS_OFFSET));
		return ret;
	}
	m->cmd_done = m->cmd_tail;
	m->broken = false;
	return 0;
}

/* Write one command without moving the tail register; drains the ring first
 * if only the reserved slot is left. */
static int ring_add(struct amdvi *m, const struct amdvi_cmd *cmd)
{
	int ret;

	if (!m->enabled) {
		pr_err("amdvi: command while the IOMMU is disabled\n");
		return -EIO;
	}
	recover(m);
	if (ring_used(m) >= m->cmd_entries - 2) {
		m->stats.ring_full_syncs++;
		ret = amdvi_sync(m);
		if (ret)
			return ret;
	}
	ring_put(m, cmd);
	return 0;
}

int amdvi_queue(struct amdvi *m, const struct amdvi_cmd *cmd)
{
	int ret = ring_add(m, cmd);

	if (!ret)
		ring_kick(m);
	return ret;
}

int amdvi_submit(struct amdvi *m, const struct amdvi_cmd *cmds, unsigned n)
{
	unsigned i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = ring_add(m, &cmds[i]);
		if (ret)
			return ret;
	}
	return amdvi_sync(m);
}

/* ---- invalidations ------------------------------------------------------ */

int amdvi_inv_pages(struct amdvi *m, u16 domain_id, u64 iova, u64 size)
{
	struct amdvi_cmd c;

	if (amdvi_cmd_inv_pages(&c, domain_id, iova, size, true))
		return -EINVAL;
	return amdvi_submit(m, &c, 1);
}

static int check_devid(const struct amdvi *m, u16 devid)
{
	if (devid > m->max_devid) {
		pr_err("amdvi: device id 0x%04x beyond the device table (max 0x%04x)\n", devid,
		       m->max_devid);
		return -ERANGE;
	}
	return 0;
}

int amdvi_inv_devtab(struct amdvi *m, u16 devid)
{
	struct amdvi_cmd c;

	if (check_devid(m, devid))
		return -ERANGE;
	amdvi_cmd_inv_devtab(&c, devid);
	return amdvi_submit(m, &c, 1);
}

int amdvi_inv_irt(struct amdvi *m, u16 devid)
{
	struct amdvi_cmd c;

	if (check_devid(m, devid))
		return -ERANGE;
	amdvi_cmd_inv_irt(&c, devid);
	return amdvi_submit(m, &c, 1);
}

/* Without EFR.IA (3.4.6): every device table entry, then every domain that a
 * translating entry names (whole address space, PDE). Blocked entries (the
 * empty null-root table) cache nothing worth a command. */
static int inv_all_emulated(struct amdvi *m)
{
	struct amdvi_cmd c;
	u32 i;
	int ret;

	for (i = 0; i < m->dev_entries; i++) {
		const volatile u64 *e =
		    qwords(spa_add(m->dev_table, (u64)i * DEV_TABLE_ENTRY_SIZE));
		u64 w0 = e[0];

		amdvi_cmd_inv_devtab(&c, (u16)i);
		ret = ring_add(m, &c);
		if (!ret && (w0 & DTE_FLAG_V) && (w0 & DTE_FLAG_TV) &&
		    FIELD_GET(DTE_MODE_MASK, w0) &&
		    (w0 & DTE_PT_ROOT_MASK) != spa_val(m->null_root)) {
			amdvi_cmd_inv_pages(&c, (u16)FIELD_GET(DTE_DOMID_MASK, e[1]), 0, ~0ULL,
					    true);
			ret = ring_add(m, &c);
		}
		if (ret)
			return ret;
	}
	return amdvi_sync(m);
}

int amdvi_inv_all(struct amdvi *m)
{
	struct amdvi_cmd c;

	if (!(m->efr & FEATURE_IA))
		return inv_all_emulated(m);
	amdvi_cmd_inv_all(&c);
	return amdvi_submit(m, &c, 1);
}

/* ---- device table ------------------------------------------------------- */

int amdvi_set_dte(struct amdvi *m, u16 devid, const struct amdvi_dte *dte)
{
	char line[96];

	if (!m->ops) {
		pr_err("amdvi: set_dte before init\n");
		return -EINVAL;
	}
	if (check_devid(m, devid))
		return -ERANGE;
	if (amdvi_dte_check(dte)) {
		amdvi_dte_format(dte, line, sizeof(line));
		pr_err("amdvi: DTE for 0x%04x has reserved bits set: %s\n", devid, line);
		return -EINVAL;
	}
	if (m->qemu72 && !amdvi_dte_qemu72_legal(dte)) {
		amdvi_dte_format(dte, line, sizeof(line));
		pr_err("amdvi: QEMU 7.2 would reject the DTE for 0x%04x (domain IDs must not have "
		       "bit 8 set): %s\n",
		       devid, line);
		return -EINVAL;
	}
	dte_write_raw(m, devid, dte);
	/* Disabled: nothing is cached yet, and enable invalidates everything. */
	if (!m->enabled)
		return 0;
	return amdvi_inv_devtab(m, devid);
}

int amdvi_get_dte(const struct amdvi *m, u16 devid, struct amdvi_dte *dte)
{
	const volatile u64 *e;
	unsigned i;

	if (!m->ops || check_devid(m, devid))
		return -ERANGE;
	e = qwords(spa_add(m->dev_table, (u64)devid * DEV_TABLE_ENTRY_SIZE));
	for (i = 0; i < 4; i++)
		dte->data[i] = e[i];
	return 0;
}

int amdvi_attach(struct amdvi *m, u16 devid, u16 domain_id, spa_t root, unsigned levels, bool ir,
		 bool iw)
{
	struct amdvi_dte dte;

	if (amdvi_dte_translate(&dte, domain_id, root, levels, ir, iw))
		return -EINVAL;
	return amdvi_set_dte(m, devid, &dte);
}

int amdvi_block_device(struct amdvi *m, u16 devid)
{
	struct amdvi_dte dte;

	if (!m->ops)
		return -EINVAL;
	amdvi_dte_blocked(&dte, m->null_root);
	return amdvi_set_dte(m, devid, &dte);
}

int amdvi_intr_table(struct amdvi *m, u16 devid, spa_t irt, u8 len_log2)
{
	struct amdvi_dte dte;
	int ret;

	if (!m->ops)
		return -EINVAL;
	ret = amdvi_get_dte(m, devid, &dte);
	if (!ret)
		ret = amdvi_dte_set_irt(&dte, irt, len_log2);
	if (!ret)
		ret = amdvi_set_dte(m, devid, &dte); /* + INVALIDATE_DEVTAB_ENTRY, wait */
	/* 2.4.5: the table itself (or the one it replaces) may be cached. */
	if (!ret && m->enabled)
		ret = amdvi_inv_irt(m, devid);
	return ret;
}

/* ---- event log (2.5) ---------------------------------------------------- */

static void print_event(void *ctx, const struct amdvi_event *ev)
{
	char line[160];

	amdvi_event_format(ev, line, sizeof(line));
	pr_warn("amdvi: event %s\n", line);
}

static void read_entry(const struct amdvi *m, u32 idx, struct amdvi_evt_entry *e)
{
	volatile u64 *p = qwords(spa_add(m->evt_log, (u64)idx * EVENT_ENTRY_SIZE));
	unsigned tries;

	/* Erratum 732 (Linux): the tail can move before the entry is visible;
	 * an event code of 0 means "not written yet". Bounded re-reads. */
	for (tries = 0; tries < EVT_UNWRITTEN_POLLS; tries++) {
		e->data[0] = p[0];
		e->data[1] = p[1];
		if (FIELD_GET(EVENT_TYPE_MASK, e->data[0]))
			break;
		relax(m);
	}
	/* Consumed: zeroed, so that after the log wraps an entry the IOMMU has
	 * not written yet reads as code 0 again, never as last lap's event. */
	p[0] = 0;
	p[1] = 0;
}

/* 3.4.10: after an overflow the IOMMU stops logging; restart it once the
 * log has been drained. Never waits on status bits (QEMU 7.2 cannot clear
 * them). */
static void evt_overflow(struct amdvi *m, u64 status)
{
	m->stats.evt_overflows++;
	pr_warn("amdvi: event log overflow: events were lost\n");
	if (m->enabled && !(status & MMIO_STATUS_EVT_RUN_MASK)) {
		wr(m, MMIO_CONTROL_OFFSET, m->ctrl & ~CONTROL_EVT_LOG_EN);
		wr(m, MMIO_STATUS_OFFSET, MMIO_STATUS_EVT_OVERFLOW_MASK);
		wr(m, MMIO_CONTROL_OFFSET, m->ctrl);
	} else {
		wr(m, MMIO_STATUS_OFFSET, MMIO_STATUS_EVT_OVERFLOW_MASK);
	}
}

int amdvi_read_events(struct amdvi *m, amdvi_event_cb cb, void *ctx)
{
	struct amdvi_evt_entry e;
	struct amdvi_event ev;
	u64 status, tail_reg;
	u32 tail, n = 0;

	if (!m->ops)
		return -EINVAL;
	if (!cb)
		cb = print_event;
	status = rd(m, MMIO_STATUS_OFFSET);
	tail_reg = rd(m, MMIO_EVT_TAIL_OFFSET);
	if ((tail_reg & ~MMIO_RING_PTR_MASK) || (tail_reg >> 4) >= m->evt_entries) {
		pr_err("amdvi: event tail register 0x%llx outside the %u-entry log\n",
		       (unsigned long long)tail_reg, m->evt_entries);
		return -EIO;
	}
	tail = (u32)(tail_reg >> 4);
	while (m->evt_head != tail && n < m->evt_entries) {
		read_entry(m, m->evt_head, &e);
		amdvi_event_decode(&e, &ev);
		cb(ctx, &ev);
		m->evt_head = (m->evt_head + 1) & (m->evt_entries - 1);
		n++;
	}
	if (n) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		wr(m, MMIO_EVT_HEAD_OFFSET, (u64)m->evt_head * EVENT_ENTRY_SIZE);
		m->stats.events += n;
	}
	if (status & MMIO_STATUS_EVT_OVERFLOW_MASK)
		evt_overflow(m, status);
	if (status & MMIO_STATUS_EVT_INT_MASK)
		wr(m, MMIO_STATUS_OFFSET, MMIO_STATUS_EVT_INT_MASK);
	return (int)n;
}

int amdvi_stats_format(const struct amdvi *m, char *buf, size_t len)
{
	const struct amdvi_stats *s = &m->stats;

	return snprintf(buf, len,
			"cmds=%llu waits=%llu timeouts=%llu inv_pages=%llu inv_iotlb=%llu "
			"inv_devtab=%llu inv_irt=%llu inv_all=%llu wraps=%llu full_syncs=%llu "
			"dte_writes=%llu events=%llu overflows=%llu",
			(unsigned long long)s->commands, (unsigned long long)s->completion_waits,
			(unsigned long long)s->sync_timeouts, (unsigned long long)s->inv_pages,
			(unsigned long long)s->inv_iotlb, (unsigned long long)s->inv_devtab,
			(unsigned long long)s->inv_irt, (unsigned long long)s->inv_all,
			(unsigned long long)s->ring_wraps, (unsigned long long)s->ring_full_syncs,
			(unsigned long long)s->dte_writes, (unsigned long long)s->events,
			(unsigned long long)s->evt_overflows);
}
