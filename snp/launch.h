/* snp/launch: the hypervisor's side of an SEV-SNP guest launch and
 * teardown, on top of the PSP driver (snp/psp.h) and the RMP (snp/rmp.h).
 *
 * Sequence (SNP firmware ABI 56860 chapter 8; Linux arch/x86/kvm/svm/sev.c
 * snp_launch_start / sev_gmem_post_populate / snp_launch_finish /
 * snp_decommission_context and drivers/crypto/ccp/sev-dev.c):
 *   begin:  the GCTX page goes to the Firmware state by the hypervisor's own
 *           RMPUPDATE (assigned, ASID 0, immutable), SNP_GCTX_CREATE,
 *           SNP_LAUNCH_START(policy), SNP_ACTIVATE(asid) (on DFFLUSH_REQUIRED
 *           one SNP_DF_FLUSH and a retry, as KVM does);
 *   page:   the page's RMP entry must be unassigned; copy the contents in;
 *           RMPUPDATE to private, immutable, at its GPA (Pre-Guest: done by
 *           the hypervisor, not the firmware); SNP_LAUNCH_UPDATE, after which
 *           the firmware leaves it Guest-Valid (validated, mutable). On a
 *           firmware error the page is still immutable and is reclaimed
 *           (SNP_PAGE_RECLAIM + RMPUPDATE shared);
 *   vmsa:   the same with type VMSA at RMP.GPA = SNP_VMSA_GPA; never a
 *           2M-aligned page (SNP erratum, snp-facts.md);
 *   finish: SNP_LAUNCH_FINISH (no ID block; host_data);
 *   teardown: SNP_DECOMMISSION; every guest page back to the hypervisor
 *           (immutable ones through SNP_PAGE_RECLAIM first, then RMPUPDATE
 *           shared); the GCTX page likewise.
 * The order of launch_page/launch_vmsa calls is the measured order
 * (docs/measure.md, image launch convention). */
#ifndef SNP_LAUNCH_H
#define SNP_LAUNCH_H

#include "hv/base/types.h"
#include "snp/measure.h"
#include "snp/psp.h"
#include "snp/rmp.h"

struct snp_launch {
	struct psp *psp;
	struct rmp *rmp;
	spa_t gctx;
	u32 asid;
	u64 policy;
	bool created, started, activated, finished, decommissioned;
	u32 fw_error; /* firmware status of the last failed command */
};

/* SNP platform bring-up / shutdown (SNP_INIT, SNP_SHUTDOWN) and
 * SNP_PLATFORM_STATUS into a caller page that is made Firmware for the
 * command and reclaimed afterwards. 0 or a negative errno (-EIO: firmware
 * error in *fw_error when given). */
int snp_platform_init(struct psp *psp, u32 *fw_error);
int snp_platform_shutdown(struct psp *psp, u32 *fw_error);
struct sev_snp_platform_status;
int snp_platform_status(struct psp *psp, struct rmp *rmp, spa_t page,
			struct sev_snp_platform_status *out, u32 *fw_error);

/* gctx: a page-aligned hypervisor page the caller owns. */
int snp_launch_begin(struct snp_launch *l, struct psp *psp, struct rmp *rmp, spa_t gctx, u32 asid,
		     u64 policy);
/* One 4K page at SPA pa for GPA gpa. src/len: contents for NORMAL (padded
 * with zeros to 4K), CPUID (the table) and UNMEASURED; ignored for ZERO and
 * SECRETS (the firmware writes those). vmpl perms 0 for ordinary launches. */
int snp_launch_page(struct snp_launch *l, spa_t pa, u64 gpa, enum snp_page_type type,
		    const void *src, size_t len, u8 vmpl1, u8 vmpl2, u8 vmpl3);
/* One vCPU's VMSA: the 4K at vmsa copied to pa (not 2M-aligned). */
int snp_launch_vmsa(struct snp_launch *l, spa_t pa, const void *vmsa);
int snp_launch_finish(struct snp_launch *l, const u8 host_data[32]);

/* SNP_GUEST_REQUEST (56860 8.26) for the running guest whose context is
 * gctx: req holds the guest's encrypted request (a hypervisor page), resp
 * is a hypervisor page that is made Firmware for the command (KVM allocates
 * its response page with snp_alloc_firmware_page) and reclaimed afterwards;
 * on success it then holds the encrypted response. 0; -EIO with the
 * firmware status in *fw_error (the request was refused, resp holds nothing
 * of the guest); -EINVAL; an RMP error. */
int snp_guest_request(struct psp *psp, struct rmp *rmp, spa_t gctx, spa_t req, spa_t resp,
		      u32 *fw_error);

/* SNP_PAGE_RECLAIM of one page, then RMPUPDATE to hypervisor-owned. */
int snp_reclaim_page(struct psp *psp, struct rmp *rmp, spa_t pa, u32 *fw_error);

/* One launched page back to the hypervisor during the launch (a later page
 * of the same request failed): SNP_PAGE_RECLAIM + RMPUPDATE when still
 * immutable (Pre-Guest), a plain RMPUPDATE shared when LAUNCH_UPDATE made it
 * Guest-Valid (mutable: the firmware refuses to reclaim those). 0 or a
 * negative errno (logged); the page's RMP entry tells what happened. */
int snp_launch_unassign(struct snp_launch *l, spa_t pa);

/* After teardown: gives a 4K hypervisor page the launch used (GCTX, VMSA,
 * guest-request pages), owned by `owner`, back to pmem when its RMP entry is
 * hypervisor-owned (unassigned). Otherwise (firmware, VMSA or guest page:
 * a failed SNP_DECOMMISSION or reclaim) it must never be handed out again:
 * it moves to leak_owner for good, logged. 0 freed (or pa 0), 1 leaked,
 * negative errno (-EINVAL: not owned by owner). */
int snp_page_put(struct rmp *rmp, spa_t pa, u8 owner, u8 leak_owner);

/* Decommissions the guest (if created) and returns the n guest pages and
 * the GCTX page to the hypervisor. Pages already unassigned are skipped; a
 * page assigned to another ASID is an error (-EINVAL, left alone). Keeps
 * going after a failure and returns the first error. */
int snp_launch_teardown(struct snp_launch *l, const spa_t *pages, size_t n);

#endif
