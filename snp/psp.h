/* snp/psp: driver for the SEV command mailbox of the AMD Platform Security
 * Processor (PSP, "ASP"), the channel to the SEV-SNP firmware.
 *
 * Protocol (SNP firmware ABI 56860 chapter 4 "Command Interface"; register
 * offsets and bits as Linux drivers/crypto/ccp/{sp-pci.c,sev-dev.[ch]} use
 * them): the driver writes the SPA of a command buffer to CMDBUFF_ADDR_LO/HI,
 * then the command id to CMDRESP[26:16]; the firmware sets CMDRESP[31]
 * (RESPONSE) when done, with the status in CMDRESP[15:0]. The buffer is read
 * and written back by the firmware, so it lives in hypervisor memory we own.
 * This driver polls (no interrupt; IOC stays 0), bounded by poll_limit.
 *
 * Pure code: registers go through struct psp_mmio_ops (the hypervisor passes
 * psp_mmio_phys_ops over BAR2 of the PSP PCI function; host tests and QEMU
 * runs pass the PSP model's register file, snp/psp_model.h). Not
 * thread-safe: callers serialise (one command at a time, as on hardware). */
#ifndef SNP_PSP_H
#define SNP_PSP_H

#include "hv/base/bits.h"
#include "hv/base/types.h"

/* CMDRESP register (Linux sev-dev.h SEV_CMDRESP_*, psp.h PSP_CMDRESP_*). */
#define PSP_CMDRESP_STS	     GENMASK(15, 0)  /* firmware status, SEV_RET_* */
#define PSP_CMDRESP_CMD	     GENMASK(26, 16) /* command id */
#define PSP_CMDRESP_IOC	     BIT(0)	     /* interrupt on completion (written) */
#define PSP_CMDRESP_RECOVERY BIT(30)
#define PSP_CMDRESP_RESP     BIT(31) /* set by the firmware when done */

/* SEV mailbox register offsets in BAR2 for one PSP generation (Linux
 * struct sev_vdata in sp-pci.c: sevv1 and sevv2, C2PMSG_32/56/57). */
struct psp_sev_regs {
	const char *name;
	u32 cmdresp;
	u32 cmdbuff_addr_lo;
	u32 cmdbuff_addr_hi;
};
extern const struct psp_sev_regs psp_sev_regs_v1; /* 0x10580 / 0x105e0 / 0x105e4 */
extern const struct psp_sev_regs psp_sev_regs_v2; /* 0x10980 / 0x109e0 / 0x109e4 */

#define PCI_VENDOR_AMD 0x1022
/* The SEV mailbox of an AMD PCI function (Linux sp_pci_table entries whose
 * psp_vdata has .sev), or NULL: 0x1456 -> v1; 0x1486, 0x14CA, 0x156E -> v2. */
const struct psp_sev_regs *psp_sev_regs_for_pci(u16 vendor, u16 device);

struct psp_mmio_ops {
	u32 (*read32)(void *ctx, u32 off);
	void (*write32)(void *ctx, u32 off, u32 v);
	/* Optional: once per poll iteration (pause / short delay). */
	void (*relax)(void *ctx);
};

/* Direct volatile 32-bit access at base + off (hypervisor: identity-mapped,
 * uncached BAR2). */
struct psp_mmio_phys {
	spa_t base;
};
extern const struct psp_mmio_ops psp_mmio_phys_ops;

#define PSP_POLL_DEFAULT 100000000U /* polls before -ETIMEDOUT when 0 is given */
#define PSP_CMDBUF_MAX	 PAGE_SIZE

struct psp {
	const struct psp_mmio_ops *ops; /* NULL: not initialised */
	void *ctx;
	const struct psp_sev_regs *regs;
	spa_t cmdbuf; /* one 4K page of hypervisor memory for command buffers */
	u32 poll_limit;
	bool dead; /* a command timed out: the mailbox state is unknown */
	struct {
		u64 commands;
		u64 fw_errors;
		u64 timeouts;
		u64 polls; /* total poll iterations */
	} stats;
};

/* cmdbuf: a page-aligned 4K page the caller owns (zeroed here). poll_limit 0
 * means PSP_POLL_DEFAULT. 0 or -EINVAL (with a message). */
int psp_init(struct psp *p, const struct psp_mmio_ops *ops, void *ctx,
	     const struct psp_sev_regs *regs, spa_t cmdbuf, u32 poll_limit);

/* Issues command cmd with the len bytes at buf as its command buffer (len 0:
 * no buffer, address registers 0, as Linux does for SNP_INIT/DF_FLUSH).
 * The buffer is copied to the driver's page and copied back after the
 * command (the firmware writes outputs into it). *fw_status (optional)
 * receives the firmware status (SEV_RET_*), or 0xFFFF when none arrived.
 * Returns 0; -EIO (firmware status != 0, logged); -ETIMEDOUT (no response
 * within poll_limit polls: the driver then refuses further commands with
 * -EBUSY, like Linux's psp_dead); -EINVAL (bad arguments); -ENODEV. */
int psp_cmd(struct psp *p, u32 cmd, void *buf, size_t len, u32 *fw_status);

#define PSP_STATUS_NONE 0xFFFF

#endif
