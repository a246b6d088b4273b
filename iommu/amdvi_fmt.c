/* AMD-Vi pure encoders and decoders (spec 48882: 2.2.2 device table entry,
 * 2.4 commands, 2.5 event log). See amdvi_fmt.h. */
#include "iommu/amdvi_fmt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hv/base/log.h"

#define SPA_LIMIT BIT(52) /* 2.2.2: pointers are bits 51:12 */

/* Append to buf like snprintf, tracking the total length that was wanted. */
static int __printf(4, 5) put(char *buf, size_t len, int pos, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t off = pos < 0 ? len : (size_t)pos;

	va_start(ap, fmt);
	n = vsnprintf(off < len ? buf + off : NULL, off < len ? len - off : 0, fmt, ap);
	va_end(ap);
	return n < 0 ? pos : pos + n;
}

/* ---- device table entries (2.2.2) --------------------------------------- */

int amdvi_dte_build(struct amdvi_dte *dte, const struct amdvi_dte_info *in)
{
	u64 root = spa_val(in->root), iroot = spa_val(in->int_root);

	if (in->mode > PAGE_MODE_6_LEVEL) {
		pr_err("amdvi: DTE mode %u invalid (0-6)\n", in->mode);
		return -EINVAL;
	}
	if (!IS_ALIGNED(root, PAGE_SIZE) || root >= SPA_LIMIT) {
		pr_err("amdvi: DTE root 0x%llx not a 4K-aligned 52-bit address\n",
		       (unsigned long long)root);
		return -EINVAL;
	}
	if (in->int_tab_len > 11 || in->int_ctl > DTE_INTCTL_REMAP || !IS_ALIGNED(iroot, 128) ||
	    iroot >= SPA_LIMIT) {
		pr_err("amdvi: DTE interrupt fields invalid (len %u ctl %u root 0x%llx)\n",
		       in->int_tab_len, in->int_ctl, (unsigned long long)iroot);
		return -EINVAL;
	}
	memset(dte, 0, sizeof(*dte));
	dte->data[0] = (in->v ? DTE_FLAG_V : 0) | (in->tv ? DTE_FLAG_TV : 0) |
		       FIELD_PREP(DTE_MODE_MASK, in->mode) | (root & DTE_PT_ROOT_MASK) |
		       (in->ir ? DTE_FLAG_IR : 0) | (in->iw ? DTE_FLAG_IW : 0);
	dte->data[1] = FIELD_PREP(DTE_DOMID_MASK, in->domain_id) | (in->se ? DTE_FLAG_SE : 0) |
		       (in->sa ? DTE_FLAG_SA : 0);
	dte->data[2] = (in->iv ? DTE_FLAG_IV : 0) |
		       FIELD_PREP(DTE_INTTABLEN_MASK, in->int_tab_len) |
		       (iroot & DTE_IRT_ROOT_MASK) | FIELD_PREP(DTE_INTCTL_MASK, in->int_ctl);
	return 0;
}

void amdvi_dte_decode(const struct amdvi_dte *dte, struct amdvi_dte_info *out)
{
	u64 w0 = dte->data[0], w1 = dte->data[1], w2 = dte->data[2];

	memset(out, 0, sizeof(*out));
	out->v = w0 & DTE_FLAG_V;
	out->tv = w0 & DTE_FLAG_TV;
	out->mode = (u8)FIELD_GET(DTE_MODE_MASK, w0);
	out->root = spa(w0 & DTE_PT_ROOT_MASK);
	out->ir = w0 & DTE_FLAG_IR;
	out->iw = w0 & DTE_FLAG_IW;
	out->domain_id = (u16)FIELD_GET(DTE_DOMID_MASK, w1);
	out->se = w1 & DTE_FLAG_SE;
	out->sa = w1 & DTE_FLAG_SA;
	out->iv = w2 & DTE_FLAG_IV;
	out->int_tab_len = (u8)FIELD_GET(DTE_INTTABLEN_MASK, w2);
	out->int_ctl = (u8)FIELD_GET(DTE_INTCTL_MASK, w2);
	out->int_root = spa(w2 & DTE_IRT_ROOT_MASK);
}

int amdvi_dte_check(const struct amdvi_dte *dte)
{
	if ((dte->data[0] & DTE_W0_RSVD) || (dte->data[1] & DTE_W1_RSVD) ||
	    (dte->data[2] & DTE_W2_RSVD))
		return -EINVAL;
	if (FIELD_GET(DTE_MODE_MASK, dte->data[0]) == 7)
		return -EINVAL;
	return 0;
}

bool amdvi_dte_qemu72_legal(const struct amdvi_dte *dte)
{
	return !(dte->data[0] & QEMU72_DTE_W0_RSVD) && !(dte->data[1] & QEMU72_DTE_W1_RSVD) &&
	       !(dte->data[2] & QEMU72_DTE_W2_RSVD) && !dte->data[3];
}

int amdvi_dte_translate(struct amdvi_dte *dte, u16 domain_id, spa_t root, unsigned levels, bool ir,
			bool iw)
{
	struct amdvi_dte_info in = {
	    .v = true,
	    .tv = true,
	    .root = root,
	    .ir = ir,
	    .iw = iw,
	    .domain_id = domain_id,
	};

	if (levels < PAGE_MODE_1_LEVEL || levels > PAGE_MODE_6_LEVEL) {
		pr_err("amdvi: %u page-table levels invalid (1-6)\n", levels);
		return -EINVAL;
	}
	in.mode = (u8)levels;
	/* 2.2.5: IV=1, IntCtl=00b (target abort) until an interrupt table is set. */
	in.iv = true;
	in.int_ctl = DTE_INTCTL_ABORT;
	return amdvi_dte_build(dte, &in);
}

int amdvi_dte_blocked(struct amdvi_dte *dte, spa_t null_root)
{
	struct amdvi_dte_info in = {
	    .v = true, .tv = true, .root = null_root, .iv = true, .int_ctl = DTE_INTCTL_ABORT};

	in.mode = spa_val(null_root) ? PAGE_MODE_1_LEVEL : PAGE_MODE_NONE;
	return amdvi_dte_build(dte, &in);
}

int amdvi_dte_set_irt(struct amdvi_dte *dte, spa_t irt, u8 len_log2)
{
	u64 root = spa_val(irt);

	if (root && (!IS_ALIGNED(root, IRT_ALIGN) || root >= SPA_LIMIT || !len_log2 ||
		     len_log2 > IRT_LEN_LOG2_MAX)) {
		pr_err("amdvi: interrupt table 0x%llx with 2^%u entries invalid\n",
		       (unsigned long long)root, len_log2);
		return -EINVAL;
	}
	/* 2.2.5: the pass bits (INIT, ExtInt, NMI, LINT0/1) stay 0: those
	 * interrupt types are target-aborted too. */
	dte->data[2] = DTE_FLAG_IV;
	if (root)
		dte->data[2] |= FIELD_PREP(DTE_INTTABLEN_MASK, len_log2) |
				(root & DTE_IRT_ROOT_MASK) |
				FIELD_PREP(DTE_INTCTL_MASK, DTE_INTCTL_REMAP);
	return 0;
}

int amdvi_irte_build(u32 *irte, u8 vector, u32 dest_apic)
{
	if (vector < 16 || dest_apic > 0xff) {
		pr_err("amdvi: IRTE vector 0x%x / APIC ID 0x%x not representable\n", vector,
		       dest_apic);
		return -EINVAL;
	}
	/* 2.2.5.1: RemapEn, fixed, edge (no RqEoi), physical destination. */
	*irte = IRTE_REMAP_EN | (u32)FIELD_PREP(IRTE_INT_TYPE_MASK, IRTE_INT_TYPE_FIXED) |
		(u32)FIELD_PREP(IRTE_DEST_MASK, dest_apic) |
		(u32)FIELD_PREP(IRTE_VECTOR_MASK, vector);
	return 0;
}

bool amdvi_irte_decode(u32 irte, u8 *vector, u8 *dest_apic)
{
	if (!(irte & IRTE_REMAP_EN))
		return false;
	if (vector)
		*vector = (u8)FIELD_GET(IRTE_VECTOR_MASK, irte);
	if (dest_apic)
		*dest_apic = (u8)FIELD_GET(IRTE_DEST_MASK, irte);
	return true;
}

int amdvi_dte_format(const struct amdvi_dte *dte, char *buf, size_t len)
{
	struct amdvi_dte_info i;
	int n = 0;

	amdvi_dte_decode(dte, &i);
	n = put(buf, len, n, "V=%d TV=%d mode=%u root=0x%llx%s%s dom=0x%04x", i.v, i.tv, i.mode,
		(unsigned long long)spa_val(i.root), i.ir ? " IR" : "", i.iw ? " IW" : "",
		i.domain_id);
	if (i.iv && i.int_ctl == DTE_INTCTL_ABORT && !i.int_tab_len && !spa_val(i.int_root))
		n = put(buf, len, n, " IV abort");
	else if (i.iv)
		n = put(buf, len, n, " IV len=%u ctl=%u irt=0x%llx", i.int_tab_len, i.int_ctl,
			(unsigned long long)spa_val(i.int_root));
	if (amdvi_dte_check(dte))
		n = put(buf, len, n, " RESERVED-SET");
	return n;
}

/* ---- commands (2.4) ----------------------------------------------------- */

static unsigned msb64(u64 v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

u64 amdvi_inv_addr_encode(u64 iova, u64 size)
{
	u64 end, first, last;
	unsigned msb;

	if (!size)
		size = 1;
	end = iova + size - 1;
	if (end < iova) /* wraps: everything */
		return (CMD_INV_IOMMU_ALL_PAGES_ADDRESS & PAGE_MASK) |
		       CMD_INV_IOMMU_PAGES_SIZE_MASK;
	first = iova & PAGE_MASK;
	last = end & PAGE_MASK;
	if (first == last)
		return first;
	/* 2.4.3: with S=1 the lowest zero bit at or above bit 12 gives the size
	 * (2^(bit+1)). The highest bit where first and last differ is 0 in first:
	 * set every bit below it and the block covers [first, last]. */
	msb = msb64(first ^ last);
	if (msb > 51)
		return (CMD_INV_IOMMU_ALL_PAGES_ADDRESS & PAGE_MASK) |
		       CMD_INV_IOMMU_PAGES_SIZE_MASK;
	return ((first | (BIT(msb) - 1)) & PAGE_MASK) | CMD_INV_IOMMU_PAGES_SIZE_MASK;
}

u64 amdvi_inv_addr_decode(u64 word1, u64 *start)
{
	u64 a = (word1 & CMD_INV_ADDR_MASK) | (PAGE_SIZE - 1);
	unsigned fz;

	if (!(word1 & CMD_INV_IOMMU_PAGES_SIZE_MASK)) {
		*start = word1 & CMD_INV_ADDR_MASK;
		return PAGE_SIZE;
	}
	if (a == ~0ULL) {
		*start = 0;
		return 0;
	}
	fz = (unsigned)__builtin_ctzll(~a);
	if (fz >= 51) {
		*start = 0;
		return 0;
	}
	*start = a & ~(BIT(fz + 1) - 1);
	return BIT(fz + 1);
}

static void cmd_init(struct amdvi_cmd *cmd, unsigned op)
{
	cmd->data[0] = FIELD_PREP(CMD_OPCODE_MASK, op);
	cmd->data[1] = 0;
}

int amdvi_cmd_completion_wait(struct amdvi_cmd *cmd, spa_t store_addr, u64 data, bool store,
			      bool intr, bool flush)
{
	u64 a = spa_val(store_addr);

	if (store && (!IS_ALIGNED(a, 8) || a >= SPA_LIMIT)) {
		pr_err(
		    "amdvi: completion-wait store address 0x%llx not 8-byte aligned or too high\n",
		    (unsigned long long)a);
		return -EINVAL;
	}
	cmd_init(cmd, CMD_COMPL_WAIT);
	cmd->data[0] |= (store ? CMD_COMPL_WAIT_STORE_MASK | (a & CMD_COMPL_WAIT_ADDR_MASK) : 0) |
			(intr ? CMD_COMPL_WAIT_INT_MASK : 0) |
			(flush ? CMD_COMPL_WAIT_FLUSH_MASK : 0);
	cmd->data[1] = store ? data : 0;
	return 0;
}

void amdvi_cmd_inv_devtab(struct amdvi_cmd *cmd, u16 devid)
{
	cmd_init(cmd, CMD_INV_DEV_ENTRY);
	cmd->data[0] |= FIELD_PREP(CMD_DEVID_MASK, devid);
}

static int check_range(u64 iova, u64 size)
{
	if (!size || iova + size - 1 < iova) {
		pr_err("amdvi: invalidation range 0x%llx+0x%llx empty or wraps\n",
		       (unsigned long long)iova, (unsigned long long)size);
		return -EINVAL;
	}
	return 0;
}

int amdvi_cmd_inv_pages(struct amdvi_cmd *cmd, u16 domain_id, u64 iova, u64 size, bool pde)
{
	if (check_range(iova, size))
		return -EINVAL;
	cmd_init(cmd, CMD_INV_IOMMU_PAGES);
	cmd->data[0] |= FIELD_PREP(CMD_DOMID_MASK, domain_id);
	cmd->data[1] = amdvi_inv_addr_encode(iova, size) | (pde ? CMD_INV_IOMMU_PAGES_PDE_MASK : 0);
	return 0;
}

int amdvi_cmd_inv_iotlb(struct amdvi_cmd *cmd, u16 devid, u8 maxpend, u64 iova, u64 size)
{
	if (check_range(iova, size))
		return -EINVAL;
	cmd_init(cmd, CMD_INV_IOTLB_PAGES);
	cmd->data[0] |= FIELD_PREP(CMD_DEVID_MASK, devid) |
			FIELD_PREP(CMD_IOTLB_MAXPEND_MASK, maxpend) |
			FIELD_PREP(CMD_IOTLB_QUEUEID_MASK, devid);
	cmd->data[1] = amdvi_inv_addr_encode(iova, size);
	return 0;
}

void amdvi_cmd_inv_irt(struct amdvi_cmd *cmd, u16 devid)
{
	cmd_init(cmd, CMD_INV_IRT);
	cmd->data[0] |= FIELD_PREP(CMD_DEVID_MASK, devid);
}

void amdvi_cmd_inv_all(struct amdvi_cmd *cmd)
{
	cmd_init(cmd, CMD_INV_ALL);
}

int amdvi_cmd_format(const struct amdvi_cmd *cmd, char *buf, size_t len)
{
	u64 w0 = cmd->data[0], w1 = cmd->data[1], start, size;
	unsigned devid = (unsigned)FIELD_GET(CMD_DEVID_MASK, w0);

	switch (amdvi_cmd_opcode(cmd)) {
	case CMD_COMPL_WAIT:
		return put(buf, len, 0, "COMPLETION_WAIT%s%s%s addr=0x%llx data=0x%llx",
			   (w0 & CMD_COMPL_WAIT_STORE_MASK) ? " S" : "",
			   (w0 & CMD_COMPL_WAIT_INT_MASK) ? " I" : "",
			   (w0 & CMD_COMPL_WAIT_FLUSH_MASK) ? " F" : "",
			   (unsigned long long)(w0 & CMD_COMPL_WAIT_ADDR_MASK),
			   (unsigned long long)w1);
	case CMD_INV_DEV_ENTRY:
		return put(buf, len, 0, "INVALIDATE_DEVTAB_ENTRY devid=0x%04x", devid);
	case CMD_INV_IOMMU_PAGES:
		size = amdvi_inv_addr_decode(w1, &start);
		return put(
		    buf, len, 0, "INVALIDATE_IOMMU_PAGES dom=0x%04x start=0x%llx size=0x%llx%s",
		    (unsigned)FIELD_GET(CMD_DOMID_MASK, w0), (unsigned long long)start,
		    (unsigned long long)size, (w1 & CMD_INV_IOMMU_PAGES_PDE_MASK) ? " PDE" : "");
	case CMD_INV_IOTLB_PAGES:
		size = amdvi_inv_addr_decode(w1, &start);
		return put(buf, len, 0,
			   "INVALIDATE_IOTLB_PAGES devid=0x%04x start=0x%llx size=0x%llx", devid,
			   (unsigned long long)start, (unsigned long long)size);
	case CMD_INV_IRT:
		return put(buf, len, 0, "INVALIDATE_INTERRUPT_TABLE devid=0x%04x", devid);
	case CMD_INV_ALL:
		return put(buf, len, 0, "INVALIDATE_IOMMU_ALL");
	default:
		return put(buf, len, 0, "CMD(0x%x) %016llx %016llx", amdvi_cmd_opcode(cmd),
			   (unsigned long long)w0, (unsigned long long)w1);
	}
}

/* ---- events (2.5) ------------------------------------------------------- */

static const char *const event_names[16] = {
    [EVENT_TYPE_ILL_DEV] = "ILLEGAL_DEV_TABLE_ENTRY",
    [EVENT_TYPE_IO_FAULT] = "IO_PAGE_FAULT",
    [EVENT_TYPE_DEV_TAB_ERR] = "DEV_TAB_HARDWARE_ERROR",
    [EVENT_TYPE_PAGE_TAB_ERR] = "PAGE_TAB_HARDWARE_ERROR",
    [EVENT_TYPE_ILL_CMD] = "ILLEGAL_COMMAND_ERROR",
    [EVENT_TYPE_CMD_HARD_ERR] = "COMMAND_HARDWARE_ERROR",
    [EVENT_TYPE_IOTLB_INV_TO] = "IOTLB_INV_TIMEOUT",
    [EVENT_TYPE_INV_DEV_REQ] = "INVALID_DEVICE_REQUEST",
    [EVENT_TYPE_INV_PPR_REQ] = "INVALID_PPR_REQUEST",
    [EVENT_TYPE_CNT_ZERO] = "EVENT_COUNTER_ZERO",
    [EVENT_TYPE_RMP_FAULT] = "RMP_PAGE_FAULT",
    [EVENT_TYPE_RMP_HW_ERR] = "RMP_HW_ERROR",
};

const char *amdvi_event_name(unsigned type)
{
	if (type < ARRAY_SIZE(event_names) && event_names[type])
		return event_names[type];
	return "UNKNOWN";
}

void amdvi_event_decode(const struct amdvi_evt_entry *e, struct amdvi_event *ev)
{
	u64 w0 = e->data[0];

	memset(ev, 0, sizeof(*ev));
	ev->raw[0] = w0;
	ev->raw[1] = e->data[1];
	ev->type = (u8)FIELD_GET(EVENT_TYPE_MASK, w0);
	ev->devid = (u16)FIELD_GET(EVENT_DEVID_MASK, w0);
	ev->domain_id = (u16)FIELD_GET(EVENT_DOMID_MASK, w0);
	ev->pasid = (u32)(FIELD_GET(EVENT_PASID_HI_MASK, w0) << 16) | ev->domain_id;
	ev->flags = (u16)FIELD_GET(EVENT_FLAGS_MASK, w0);
	ev->addr = e->data[1];

	switch (ev->type) {
	case EVENT_TYPE_RMP_FAULT:
		/* 2.5.12: RMP flags in 23:16, VMG tag where the domain ID is. */
		ev->rmp_flags = (u8)FIELD_GET(EVENT_RMP_FLAGS_MASK, w0);
		ev->vmg_tag = ev->domain_id;
		ev->pasid = 0;
		break;
	case EVENT_TYPE_RMP_HW_ERR:
		ev->vmg_tag = ev->domain_id;
		ev->pasid = 0;
		ev->addr &= ~7ULL; /* SPA; low bits are not address */
		break;
	case EVENT_TYPE_INV_PPR_REQ:
		/* 2.5.9: PASID[15:0] in 31:16, PASID[19:16] in 45:42, tag in 41:32. */
		ev->pasid =
		    (u32)((FIELD_GET(GENMASK(45, 42), w0) << 16) | FIELD_GET(GENMASK(31, 16), w0));
		ev->tag = (u16)FIELD_GET(EVENT_PPR_TAG_MASK, w0);
		break;
	default:
		break;
	}
}

void amdvi_event_encode(struct amdvi_evt_entry *e, unsigned type, u16 devid, u32 pasid_or_dom,
			u16 flags, u64 addr)
{
	e->data[0] = FIELD_PREP(EVENT_DEVID_MASK, devid) |
		     FIELD_PREP(EVENT_PASID_HI_MASK, pasid_or_dom >> 16) |
		     FIELD_PREP(EVENT_DOMID_MASK, pasid_or_dom & 0xffff) |
		     FIELD_PREP(EVENT_FLAGS_MASK, flags) | FIELD_PREP(EVENT_TYPE_MASK, type);
	e->data[1] = addr;
}

static int put_flags(char *buf, size_t len, int n, u16 flags)
{
	static const char *const names[] = {"GN", "NX", "US", "I", "PR", "RW", "PE", "RZ", "TR"};
	bool first = true;
	unsigned b;

	n = put(buf, len, n, " flags=0x%03x", flags);
	if (!flags)
		return n;
	n = put(buf, len, n, " [");
	for (b = 0; b < ARRAY_SIZE(names); b++) {
		if (!(flags & BIT(b)))
			continue;
		n = put(buf, len, n, "%s%s", first ? "" : " ", names[b]);
		first = false;
	}
	if (flags >> ARRAY_SIZE(names))
		n = put(buf, len, n, "%s?", first ? "" : " ");
	return put(buf, len, n, "]");
}

static int put_dev(char *buf, size_t len, int n, u16 devid)
{
	return put(buf, len, n, " dev=%02x:%02x.%x", devid >> 8, (devid >> 3) & 0x1f, devid & 7);
}

int amdvi_event_format(const struct amdvi_event *ev, char *buf, size_t len)
{
	unsigned long long addr = ev->addr;
	int n = put(buf, len, 0, "%s", amdvi_event_name(ev->type));

	switch (ev->type) {
	case EVENT_TYPE_IO_FAULT:
	case EVENT_TYPE_PAGE_TAB_ERR:
		n = put_dev(buf, len, n, ev->devid);
		n = put(buf, len, n, " domain=0x%04x addr=0x%llx", ev->domain_id, addr);
		return put_flags(buf, len, n, ev->flags);
	case EVENT_TYPE_ILL_DEV:
	case EVENT_TYPE_INV_DEV_REQ:
		n = put_dev(buf, len, n, ev->devid);
		n = put(buf, len, n, " pasid=0x%05x addr=0x%llx", ev->pasid, addr);
		return put_flags(buf, len, n, ev->flags);
	case EVENT_TYPE_DEV_TAB_ERR:
		n = put_dev(buf, len, n, ev->devid);
		n = put(buf, len, n, " addr=0x%llx", addr);
		return put_flags(buf, len, n, ev->flags);
	case EVENT_TYPE_ILL_CMD:
		return put(buf, len, n, " cmd=0x%llx", addr);
	case EVENT_TYPE_CMD_HARD_ERR:
		n = put(buf, len, n, " cmd=0x%llx", addr);
		return put_flags(buf, len, n, ev->flags);
	case EVENT_TYPE_IOTLB_INV_TO:
		n = put_dev(buf, len, n, ev->devid);
		return put(buf, len, n, " cmd=0x%llx", addr);
	case EVENT_TYPE_INV_PPR_REQ:
		n = put_dev(buf, len, n, ev->devid);
		n = put(buf, len, n, " pasid=0x%05x addr=0x%llx tag=0x%03x", ev->pasid, addr,
			ev->tag);
		return put_flags(buf, len, n, ev->flags);
	case EVENT_TYPE_RMP_FAULT:
		n = put_dev(buf, len, n, ev->devid);
		n = put(buf, len, n, " vmg_tag=0x%04x gpa=0x%llx rmp_flags=0x%02x", ev->vmg_tag,
			addr, ev->rmp_flags);
		return put_flags(buf, len, n, ev->flags);
	case EVENT_TYPE_RMP_HW_ERR:
		n = put_dev(buf, len, n, ev->devid);
		n = put(buf, len, n, " vmg_tag=0x%04x spa=0x%llx", ev->vmg_tag, addr);
		return put_flags(buf, len, n, ev->flags);
	default:
		return put(buf, len, n, "(0x%x) raw=%016llx:%016llx", ev->type,
			   (unsigned long long)ev->raw[0], (unsigned long long)ev->raw[1]);
	}
}
