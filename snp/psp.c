/* PSP SEV mailbox driver (see psp.h for the protocol and its sources). */
#include "snp/psp.h"

#include <errno.h>
#include <string.h>

#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "snp/sev_fw.h"

/* Linux sp-pci.c: sevv1 (C2PMSG_32/56/57 at 0x10500 + n*4) and sevv2
 * (same messages at 0x10900 + n*4). */
const struct psp_sev_regs psp_sev_regs_v1 = {
    .name = "sev-v1", .cmdresp = 0x10580, .cmdbuff_addr_lo = 0x105e0, .cmdbuff_addr_hi = 0x105e4};
const struct psp_sev_regs psp_sev_regs_v2 = {
    .name = "sev-v2", .cmdresp = 0x10980, .cmdbuff_addr_lo = 0x109e0, .cmdbuff_addr_hi = 0x109e4};

/* Linux sp_pci_table: PCI device -> psp_vdata, keeping those with a SEV
 * mailbox (pspv1 -> sevv1; pspv2, pspv4, pspv6 -> sevv2). Devices whose
 * psp_vdata has no .sev (0x15DF, 0x15C7, 0x1649, 0x17E0: client parts with
 * only the TEE/platform-access mailboxes) are absent on purpose. */
static const struct {
	u16 device;
	const struct psp_sev_regs *regs;
} psp_pci_table[] = {
    {0x1456, &psp_sev_regs_v1},
    {0x1486, &psp_sev_regs_v2},
    {0x14CA, &psp_sev_regs_v2},
    {0x156E, &psp_sev_regs_v2},
};

const struct psp_sev_regs *psp_sev_regs_for_pci(u16 vendor, u16 device)
{
	if (vendor != PCI_VENDOR_AMD)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(psp_pci_table); i++)
		if (psp_pci_table[i].device == device)
			return psp_pci_table[i].regs;
	return NULL;
}

static u32 phys_read32(void *ctx, u32 off)
{
	const struct psp_mmio_phys *m = ctx;

	return *(volatile u32 *)phys_ptr(spa_add(m->base, off));
}

static void phys_write32(void *ctx, u32 off, u32 v)
{
	const struct psp_mmio_phys *m = ctx;

	*(volatile u32 *)phys_ptr(spa_add(m->base, off)) = v;
}

static void phys_relax(void *ctx)
{
	(void)ctx;
#if defined(__x86_64__)
	__asm__ volatile("pause" ::: "memory");
#endif
}

const struct psp_mmio_ops psp_mmio_phys_ops = {
    .read32 = phys_read32,
    .write32 = phys_write32,
    .relax = phys_relax,
};

int psp_init(struct psp *p, const struct psp_mmio_ops *ops, void *ctx,
	     const struct psp_sev_regs *regs, spa_t cmdbuf, u32 poll_limit)
{
	if (!p || !ops || !ops->read32 || !ops->write32 || !regs) {
		pr_err("psp: init: missing ops or register table\n");
		return -EINVAL;
	}
	if (!spa_val(cmdbuf) || !IS_ALIGNED(spa_val(cmdbuf), PAGE_SIZE)) {
		pr_err("psp: init: command buffer %#llx must be a page-aligned page\n",
		       (unsigned long long)spa_val(cmdbuf));
		return -EINVAL;
	}
	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->ctx = ctx;
	p->regs = regs;
	p->cmdbuf = cmdbuf;
	p->poll_limit = poll_limit ? poll_limit : PSP_POLL_DEFAULT;
	memset(phys_ptr(cmdbuf), 0, PAGE_SIZE);
	return 0;
}

int psp_cmd(struct psp *p, u32 cmd, void *buf, size_t len, u32 *fw_status)
{
	u64 pa;
	u32 reg = 0, sts;
	u32 n;
	bool done = false;

	if (fw_status)
		*fw_status = PSP_STATUS_NONE;
	if (!p || !p->ops)
		return -ENODEV;
	if (cmd == 0 || !FIELD_FITS(PSP_CMDRESP_CMD, cmd) || len > PSP_CMDBUF_MAX ||
	    (len && !buf)) {
		pr_err("psp: command %#x with a %zu-byte buffer: invalid request\n", cmd, len);
		return -EINVAL;
	}
	if (p->dead) {
		pr_err("psp: command %#x refused: an earlier command timed out\n", cmd);
		return -EBUSY;
	}

	/* 56860 ch. 4: buffer address first, then the command register,
	 * whose write starts the command. */
	pa = len ? spa_val(p->cmdbuf) : 0;
	if (len)
		memcpy(phys_ptr(p->cmdbuf), buf, len);
	p->ops->write32(p->ctx, p->regs->cmdbuff_addr_lo, (u32)pa);
	p->ops->write32(p->ctx, p->regs->cmdbuff_addr_hi, (u32)(pa >> 32));
	p->stats.commands++;
	p->ops->write32(p->ctx, p->regs->cmdresp, (u32)FIELD_PREP(PSP_CMDRESP_CMD, cmd));

	for (n = 0; n < p->poll_limit; n++) {
		reg = p->ops->read32(p->ctx, p->regs->cmdresp);
		if (reg & PSP_CMDRESP_RESP) {
			done = true;
			break;
		}
		if (p->ops->relax)
			p->ops->relax(p->ctx);
	}
	p->stats.polls += n;
	if (!done) {
		p->dead = true;
		p->stats.timeouts++;
		pr_err("psp: command %#x: no response after %u polls; mailbox disabled\n", cmd,
		       p->poll_limit);
		return -ETIMEDOUT;
	}
	if (len)
		memcpy(buf, phys_ptr(p->cmdbuf), len);
	sts = (u32)FIELD_GET(PSP_CMDRESP_STS, reg);
	if (fw_status)
		*fw_status = sts;
	if (sts != SEV_RET_SUCCESS) {
		p->stats.fw_errors++;
		pr_err("psp: command %#x failed: firmware status %#x (%s)\n", cmd, sts,
		       sev_ret_name(sts));
		return -EIO;
	}
	return 0;
}

const char *sev_ret_name(u32 code)
{
	static const char *const names[] = {
	    [SEV_RET_SUCCESS] = "SUCCESS",
	    [SEV_RET_INVALID_PLATFORM_STATE] = "INVALID_PLATFORM_STATE",
	    [SEV_RET_INVALID_GUEST_STATE] = "INVALID_GUEST_STATE",
	    [SEV_RET_INVALID_CONFIG] = "INVALID_CONFIG",
	    [SEV_RET_INVALID_LEN] = "INVALID_LEN",
	    [SEV_RET_ALREADY_OWNED] = "ALREADY_OWNED",
	    [SEV_RET_INVALID_CERTIFICATE] = "INVALID_CERTIFICATE",
	    [SEV_RET_POLICY_FAILURE] = "POLICY_FAILURE",
	    [SEV_RET_INACTIVE] = "INACTIVE",
	    [SEV_RET_INVALID_ADDRESS] = "INVALID_ADDRESS",
	    [SEV_RET_BAD_SIGNATURE] = "BAD_SIGNATURE",
	    [SEV_RET_BAD_MEASUREMENT] = "BAD_MEASUREMENT",
	    [SEV_RET_ASID_OWNED] = "ASID_OWNED",
	    [SEV_RET_INVALID_ASID] = "INVALID_ASID",
	    [SEV_RET_WBINVD_REQUIRED] = "WBINVD_REQUIRED",
	    [SEV_RET_DFFLUSH_REQUIRED] = "DFFLUSH_REQUIRED",
	    [SEV_RET_INVALID_GUEST] = "INVALID_GUEST",
	    [SEV_RET_INVALID_COMMAND] = "INVALID_COMMAND",
	    [SEV_RET_ACTIVE] = "ACTIVE",
	    [SEV_RET_HWERROR_PLATFORM] = "HWERROR_PLATFORM",
	    [SEV_RET_HWERROR_UNSAFE] = "HWERROR_UNSAFE",
	    [SEV_RET_UNSUPPORTED] = "UNSUPPORTED",
	    [SEV_RET_INVALID_PARAM] = "INVALID_PARAM",
	    [SEV_RET_RESOURCE_LIMIT] = "RESOURCE_LIMIT",
	    [SEV_RET_SECURE_DATA_INVALID] = "SECURE_DATA_INVALID",
	    [SEV_RET_INVALID_PAGE_SIZE] = "INVALID_PAGE_SIZE",
	    [SEV_RET_INVALID_PAGE_STATE] = "INVALID_PAGE_STATE",
	    [SEV_RET_INVALID_MDATA_ENTRY] = "INVALID_MDATA_ENTRY",
	    [SEV_RET_INVALID_PAGE_OWNER] = "INVALID_PAGE_OWNER",
	    [SEV_RET_AEAD_OFLOW] = "AEAD_OFLOW",
	    [SEV_RET_EXIT_RING_BUFFER] = "EXIT_RING_BUFFER",
	    [SEV_RET_RMP_INIT_REQUIRED] = "RMP_INIT_REQUIRED",
	    [SEV_RET_BAD_SVN] = "BAD_SVN",
	    [SEV_RET_BAD_VERSION] = "BAD_VERSION",
	    [SEV_RET_SHUTDOWN_REQUIRED] = "SHUTDOWN_REQUIRED",
	    [SEV_RET_UPDATE_FAILED] = "UPDATE_FAILED",
	    [SEV_RET_RESTORE_REQUIRED] = "RESTORE_REQUIRED",
	    [SEV_RET_RMP_INITIALIZATION_FAILED] = "RMP_INITIALIZATION_FAILED",
	    [SEV_RET_INVALID_KEY] = "INVALID_KEY",
	};

	if (code < ARRAY_SIZE(names) && names[code])
		return names[code];
	return "UNKNOWN";
}
