/* AMD-Vi pure encoders and decoders: device table entries, commands, event log
 * entries, and the ranged-invalidation address encoding. No state, no MMIO:
 * every function maps values to hardware words or back (spec 48882, 2.2.2,
 * 2.4, 2.5). */
#ifndef IOMMU_AMDVI_FMT_H
#define IOMMU_AMDVI_FMT_H

#include "hv/base/types.h"
#include "iommu/amdvi_hw.h"

/* 2.2.2 one device table entry, as the IOMMU reads it. */
struct amdvi_dte {
	u64 data[4];
} __packed;
CHECK_SIZE(struct amdvi_dte, DEV_TABLE_ENTRY_SIZE);

/* 2.4 one command buffer entry. */
struct amdvi_cmd {
	u64 data[2];
} __packed;
CHECK_SIZE(struct amdvi_cmd, CMD_ENTRY_SIZE);

/* 2.5 one event log entry, raw. */
struct amdvi_evt_entry {
	u64 data[2];
} __packed;
CHECK_SIZE(struct amdvi_evt_entry, EVENT_ENTRY_SIZE);

/* ---- device table entries ----------------------------------------------- */

/* The fields of a DTE this project sets (host translation, v1 tables, no
 * guest/PASID translation). With iv = false interrupts are forwarded
 * unmapped (2.2.5); amdvi_dte_translate and amdvi_dte_blocked never do that. */
struct amdvi_dte_info {
	bool v, tv;
	u8 mode;     /* 0 = no translation, 1-6 = page-table levels */
	spa_t root;  /* v1 page-table root, 4K aligned, < 2^52 */
	bool ir, iw; /* read / write permission at the DTE level */
	u16 domain_id;
	bool se, sa;	/* suppress (repeated / all) page-fault events */
	bool iv;	/* interrupt map valid */
	u8 int_tab_len; /* log2(IRT entries), 0-11 */
	u8 int_ctl;	/* DTE_INTCTL_* */
	spa_t int_root; /* interrupt remapping table, 128-byte aligned */
};

/* Build a DTE from info; -EINVAL (with pr_err) for fields that do not fit. */
int amdvi_dte_build(struct amdvi_dte *dte, const struct amdvi_dte_info *info);
/* Decode the fields above (other bits are ignored). */
void amdvi_dte_decode(const struct amdvi_dte *dte, struct amdvi_dte_info *info);
/* 0 if all reserved bits (spec 2.2.2) are zero, else -EINVAL. */
int amdvi_dte_check(const struct amdvi_dte *dte);
/* True if QEMU 7.2's stricter reserved-bit check would accept dte. */
bool amdvi_dte_qemu72_legal(const struct amdvi_dte *dte);

/* Translate with the v1 table at root (levels 1-6) in domain domain_id. */
int amdvi_dte_translate(struct amdvi_dte *dte, u16 domain_id, spa_t root, unsigned levels, bool ir,
			bool iw);
/* Block all DMA: V=1, TV=1, IR=IW=0. With null_root = a zeroed, never-written
 * 4K page this is Mode 1 over an empty table, which blocks on real hardware,
 * QEMU 7.2 (DTE IR/IW) and QEMU >= 10.2 (leaf P=0; there TV=1/Mode 0 passes
 * through). With spa(0) it is the spec's Mode 0 form. */
int amdvi_dte_blocked(struct amdvi_dte *dte, spa_t null_root);
/* Both forms above carry IV=1, IntCtl=00b: every interrupt the device sends
 * (fixed/arbitrated MSI, and NMI/INIT/ExtInt/LINT with their pass bits 0) is
 * target-aborted (2.2.5) until amdvi_dte_set_irt gives it a table. */
/* Word 2 of dte: irt != 0 -> IV=1, IntCtl=10b (remap) through the table at
 * irt (128-byte aligned) of 2^len_log2 entries (1-11); irt == 0 -> IV=1,
 * IntCtl=00b (abort everything). The pass bits stay 0. */
int amdvi_dte_set_irt(struct amdvi_dte *dte, spa_t irt, u8 len_log2);

/* 2.2.5.1 32-bit IRTE: remapped, fixed, edge, physical destination dest_apic
 * (0-255), vector 16-255; -EINVAL otherwise. */
int amdvi_irte_build(u32 *irte, u8 vector, u32 dest_apic);
/* false when RemapEn is 0 (the IOMMU target-aborts that index). */
bool amdvi_irte_decode(u32 irte, u8 *vector, u8 *dest_apic);

/* "V=1 TV=1 mode=3 root=0x... IR IW dom=0x0001" into buf. Returns snprintf's count. */
int amdvi_dte_format(const struct amdvi_dte *dte, char *buf, size_t len);

/* ---- commands ----------------------------------------------------------- */

/* 2.4 encoding of the address + S bit for a range [iova, iova+size): the
 * smallest naturally aligned power-of-two block covering the range, S=0 for a
 * single 4K page, the "everything" address when bit 51 differs. Returns the
 * value of command word 1 without PDE/GN (address | S). size must be > 0. */
u64 amdvi_inv_addr_encode(u64 iova, u64 size);
/* Inverse: the block [*start, *start + return value) that word1 covers. A
 * return of 0 means the whole address space. */
u64 amdvi_inv_addr_decode(u64 word1, u64 *start);

/* 2.4.1 store_addr must be 8-byte aligned and < 2^52. */
int amdvi_cmd_completion_wait(struct amdvi_cmd *cmd, spa_t store_addr, u64 data, bool store,
			      bool intr, bool flush);
void amdvi_cmd_inv_devtab(struct amdvi_cmd *cmd, u16 devid);
/* 2.4.3 pde: also drop cached page-directory entries. -EINVAL for size 0 or wrap. */
int amdvi_cmd_inv_pages(struct amdvi_cmd *cmd, u16 domain_id, u64 iova, u64 size, bool pde);
/* 2.4.4 (remote IOTLB of an ATS device); queue id = devid as Linux does. */
int amdvi_cmd_inv_iotlb(struct amdvi_cmd *cmd, u16 devid, u8 maxpend, u64 iova, u64 size);
void amdvi_cmd_inv_irt(struct amdvi_cmd *cmd, u16 devid);
void amdvi_cmd_inv_all(struct amdvi_cmd *cmd);
static inline unsigned amdvi_cmd_opcode(const struct amdvi_cmd *cmd)
{
	return (unsigned)FIELD_GET(CMD_OPCODE_MASK, cmd->data[0]);
}
int amdvi_cmd_format(const struct amdvi_cmd *cmd, char *buf, size_t len);

/* ---- events ------------------------------------------------------------- */

struct amdvi_event {
	u8 type; /* EVENT_TYPE_* */
	u16 devid;
	u32 pasid;     /* 20 bits: PASID, or the domain ID in the low 16 */
	u16 domain_id; /* low 16 bits of the D/P field */
	u16 flags;     /* 12 bits, EVENT_FLAG_* */
	u8 rmp_flags;  /* RMP_PAGE_FAULT only */
	u16 vmg_tag;   /* RMP events only */
	u16 tag;       /* INVALID_PPR_REQUEST only */
	u64 addr;      /* IOVA, GPA, SPA or command address, per type */
	u64 raw[2];
};

void amdvi_event_decode(const struct amdvi_evt_entry *e, struct amdvi_event *ev);
/* "IO_PAGE_FAULT", ... or "UNKNOWN". */
const char *amdvi_event_name(unsigned type);
/* "IO_PAGE_FAULT dev=00:03.0 domain=0x0001 addr=0x40000 flags=0x028 [I RW]". */
int amdvi_event_format(const struct amdvi_event *ev, char *buf, size_t len);
/* Build a raw entry (used by tests and fakes). */
void amdvi_event_encode(struct amdvi_evt_entry *e, unsigned type, u16 devid, u32 pasid_or_dom,
			u16 flags, u64 addr);

#endif
