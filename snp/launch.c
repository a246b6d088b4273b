/* SNP launch sequence on the PSP driver (see launch.h for the sequence and
 * its sources). */
#include "snp/launch.h"

#include <errno.h>
#include <string.h>

#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/mm/pmem.h"
#include "snp/sev_fw.h"

static int cmd(struct psp *psp, u32 id, void *buf, size_t len, u32 *fw_error)
{
	u32 sts;
	int rc = psp_cmd(psp, id, buf, len, &sts);

	if (fw_error)
		*fw_error = sts;
	return rc;
}

int snp_platform_init(struct psp *psp, u32 *fw_error)
{
	return cmd(psp, SEV_CMD_SNP_INIT, NULL, 0, fw_error);
}

int snp_platform_shutdown(struct psp *psp, u32 *fw_error)
{
	return cmd(psp, SEV_CMD_SNP_SHUTDOWN, NULL, 0, fw_error);
}

/* The hypervisor's RMPUPDATE to the Firmware state (Linux
 * rmp_mark_pages_firmware: assigned, ASID 0, GPA 0, immutable). */
static int make_firmware(struct rmp *rmp, spa_t pa)
{
	return rmp_make_private(rmp, pa, 0, gpa(0), RMP_PG_SIZE_4K, true);
}

int snp_reclaim_page(struct psp *psp, struct rmp *rmp, spa_t pa, u32 *fw_error)
{
	struct sev_data_snp_page_reclaim d = {.paddr = spa_val(pa)};
	int rc;

	rc = cmd(psp, SEV_CMD_SNP_PAGE_RECLAIM, &d, sizeof(d), fw_error);
	if (rc) {
		pr_err("snp: reclaim of %#llx failed; the page is leaked\n",
		       (unsigned long long)spa_val(pa));
		return rc;
	}
	return rmp_make_shared(rmp, pa, RMP_PG_SIZE_4K);
}

int snp_platform_status(struct psp *psp, struct rmp *rmp, spa_t page,
			struct sev_snp_platform_status *out, u32 *fw_error)
{
	struct sev_data_snp_addr d = {.address = spa_val(page)};
	int rc, rc2;

	if (!out || !IS_ALIGNED(spa_val(page), PAGE_SIZE)) {
		pr_err("snp: platform status needs an output and a page-aligned page\n");
		return -EINVAL;
	}
	memset(phys_ptr(page), 0, PAGE_SIZE);
	rc = make_firmware(rmp, page);
	if (rc)
		return rc;
	rc = cmd(psp, SEV_CMD_SNP_PLATFORM_STATUS, &d, sizeof(d), fw_error);
	/* Reclaim first: the host may not read a firmware page. */
	rc2 = snp_reclaim_page(psp, rmp, page, NULL);
	if (!rc && !rc2)
		memcpy(out, phys_ptr(page), sizeof(*out));
	return rc ? rc : rc2;
}

int snp_guest_request(struct psp *psp, struct rmp *rmp, spa_t gctx, spa_t req, spa_t resp,
		      u32 *fw_error)
{
	struct sev_data_snp_guest_request d = {
	    .gctx_paddr = spa_val(gctx), .req_paddr = spa_val(req), .res_paddr = spa_val(resp)};
	int rc, rc2;

	if (fw_error)
		*fw_error = 0;
	if (!IS_ALIGNED(spa_val(req) | spa_val(resp), PAGE_SIZE) || !spa_val(req) ||
	    !spa_val(resp) || spa_val(req) == spa_val(resp)) {
		pr_err("snp: guest request needs two distinct page-aligned pages\n");
		return -EINVAL;
	}
	/* Only a hypervisor page may be written (and then made Firmware): the
	 * memset below on a Firmware or guest page would be an RMP #PF of the
	 * host on hardware, and corrupts it under the model (fuzz_guest_req).
	 * Not the driver's command buffer either: made Firmware, the command
	 * and the reclaim would fail and leak it. */
	if (rmp_page_state(rmp, resp) != RMP_PS_HYPERVISOR ||
	    spa_val(resp) == spa_val(psp->cmdbuf)) {
		pr_err("snp: guest request: response page %#llx is not a hypervisor page\n",
		       (unsigned long long)spa_val(resp));
		return -EINVAL;
	}
	memset(phys_ptr(resp), 0, PAGE_SIZE); /* nothing stale on failure */
	rc = make_firmware(rmp, resp);
	if (rc)
		return rc;
	rc = cmd(psp, SEV_CMD_SNP_GUEST_REQUEST, &d, sizeof(d), fw_error);
	/* back to the hypervisor before anyone reads it */
	rc2 = snp_reclaim_page(psp, rmp, resp, NULL);
	return rc ? rc : rc2;
}

int snp_launch_begin(struct snp_launch *l, struct psp *psp, struct rmp *rmp, spa_t gctx, u32 asid,
		     u64 policy)
{
	struct sev_data_snp_addr create = {.address = spa_val(gctx)};
	struct sev_data_snp_launch_start start;
	struct sev_data_snp_activate act = {.gctx_paddr = spa_val(gctx), .asid = asid};
	int rc;

	if (!l || !psp || !rmp || !IS_ALIGNED(spa_val(gctx), PAGE_SIZE) || !spa_val(gctx)) {
		pr_err("snp: launch: bad arguments (gctx %#llx)\n",
		       (unsigned long long)spa_val(gctx));
		return -EINVAL;
	}
	memset(l, 0, sizeof(*l));
	l->psp = psp;
	l->rmp = rmp;
	l->gctx = gctx;
	l->asid = asid;
	l->policy = policy;

	if (rmp_page_state(rmp, gctx) != RMP_PS_HYPERVISOR) {
		pr_err("snp: launch: GCTX page %#llx is not hypervisor-owned\n",
		       (unsigned long long)spa_val(gctx));
		return -EBUSY;
	}
	memset(phys_ptr(gctx), 0, PAGE_SIZE);
	rc = make_firmware(rmp, gctx);
	if (rc)
		return rc;
	rc = cmd(psp, SEV_CMD_SNP_GCTX_CREATE, &create, sizeof(create), &l->fw_error);
	if (rc) {
		snp_reclaim_page(psp, rmp, gctx, NULL);
		return rc;
	}
	l->created = true;

	memset(&start, 0, sizeof(start));
	start.gctx_paddr = spa_val(gctx);
	start.policy = policy;
	rc = cmd(psp, SEV_CMD_SNP_LAUNCH_START, &start, sizeof(start), &l->fw_error);
	if (rc)
		return rc;
	l->started = true;

	rc = cmd(psp, SEV_CMD_SNP_ACTIVATE, &act, sizeof(act), &l->fw_error);
	if (rc == -EIO && l->fw_error == SEV_RET_DFFLUSH_REQUIRED) {
		/* The ASID was used since the last flush (KVM snp_bind_asid).
		 * Hardware also wants WBINVD on every CPU first (56860
		 * SNP_DF_FLUSH); that is the caller's job on real hardware. */
		rc = cmd(psp, SEV_CMD_SNP_DF_FLUSH, NULL, 0, &l->fw_error);
		if (!rc)
			rc = cmd(psp, SEV_CMD_SNP_ACTIVATE, &act, sizeof(act), &l->fw_error);
	}
	if (rc)
		return rc;
	l->activated = true;
	return 0;
}

static int launch_one(struct snp_launch *l, spa_t pa, u64 g, enum snp_page_type type,
		      const void *src, size_t len, u8 v1, u8 v2, u8 v3)
{
	struct sev_data_snp_launch_update d;
	struct rmp_info i;
	u8 *page;
	int rc;

	if (!l || !l->activated || l->finished) {
		pr_err("snp: launch update outside a started, activated launch\n");
		return -EINVAL;
	}
	if (!IS_ALIGNED(spa_val(pa), PAGE_SIZE) || !IS_ALIGNED(g, PAGE_SIZE) || len > PAGE_SIZE ||
	    !snp_page_type_name(type)) {
		pr_err(
		    "snp: launch update of %#llx (gpa %#llx, type %d, %zu bytes): bad arguments\n",
		    (unsigned long long)spa_val(pa), (unsigned long long)g, (int)type, len);
		return -EINVAL;
	}
	/* KVM sev_gmem_post_populate: the page must start hypervisor-owned. */
	rc = rmp_lookup(l->rmp, pa, &i, NULL);
	if (rc)
		return rc;
	if (i.assigned) {
		pr_err("snp: launch page %#llx is already assigned (asid %u)\n",
		       (unsigned long long)spa_val(pa), i.asid);
		return -EEXIST;
	}
	page = phys_ptr(pa);
	if (type == SNP_PAGE_TYPE_ZERO || type == SNP_PAGE_TYPE_SECRETS || !src) {
		memset(page, 0, PAGE_SIZE);
	} else {
		memcpy(page, src, len);
		memset(page + len, 0, PAGE_SIZE - len);
	}
	rc = rmp_make_private(l->rmp, pa, l->asid, gpa(g), RMP_PG_SIZE_4K, true);
	if (rc)
		return rc;

	memset(&d, 0, sizeof(d));
	d.gctx_paddr = spa_val(l->gctx);
	d.page_info = (u32)(FIELD_PREP(SNP_LU_PAGE_TYPE, type));
	d.address = spa_val(pa);
	d.perms = (u32)(FIELD_PREP(SNP_LU_VMPL1_PERMS, v1) | FIELD_PREP(SNP_LU_VMPL2_PERMS, v2) |
			FIELD_PREP(SNP_LU_VMPL3_PERMS, v3));
	rc = cmd(l->psp, SEV_CMD_SNP_LAUNCH_UPDATE, &d, sizeof(d), &l->fw_error);
	if (rc) {
		/* Still Pre-Guest (immutable): only the firmware can release it. */
		u32 e;

		if (rc == -EIO)
			snp_reclaim_page(l->psp, l->rmp, pa, &e);
		return rc;
	}
	return 0;
}

int snp_launch_page(struct snp_launch *l, spa_t pa, u64 gpa_, enum snp_page_type type,
		    const void *src, size_t len, u8 vmpl1, u8 vmpl2, u8 vmpl3)
{
	if (type == SNP_PAGE_TYPE_VMSA) {
		pr_err("snp: use snp_launch_vmsa() for VMSA pages\n");
		return -EINVAL;
	}
	return launch_one(l, pa, gpa_, type, src, len, vmpl1, vmpl2, vmpl3);
}

int snp_launch_vmsa(struct snp_launch *l, spa_t pa, const void *vmsa)
{
	if (!vmsa || IS_ALIGNED(spa_val(pa), HUGE_SIZE)) {
		pr_err("snp: VMSA at %#llx: missing contents or 2M-aligned (SNP erratum)\n",
		       (unsigned long long)spa_val(pa));
		return -EINVAL;
	}
	return launch_one(l, pa, SNP_VMSA_GPA, SNP_PAGE_TYPE_VMSA, vmsa, PAGE_SIZE, 0, 0, 0);
}

int snp_launch_finish(struct snp_launch *l, const u8 host_data[32])
{
	struct sev_data_snp_launch_finish d;
	int rc;

	if (!l || !l->activated) {
		pr_err("snp: launch finish without an activated launch\n");
		return -EINVAL;
	}
	memset(&d, 0, sizeof(d));
	d.gctx_paddr = spa_val(l->gctx);
	if (host_data)
		memcpy(d.host_data, host_data, sizeof(d.host_data));
	rc = cmd(l->psp, SEV_CMD_SNP_LAUNCH_FINISH, &d, sizeof(d), &l->fw_error);
	if (!rc)
		l->finished = true;
	return rc;
}

static int release_page(struct snp_launch *l, spa_t pa)
{
	struct rmp_info i;
	int rc = rmp_lookup(l->rmp, pa, &i, NULL);

	if (rc)
		return rc;
	if (!i.assigned)
		return 0;
	if (i.pagesize != RMP_PG_SIZE_4K) {
		pr_err("snp: teardown: %#llx is in a 2M RMP entry\n",
		       (unsigned long long)spa_val(pa));
		return -EINVAL;
	}
	if (i.asid && i.asid != l->asid) {
		pr_err("snp: teardown: %#llx belongs to ASID %u, not %u\n",
		       (unsigned long long)spa_val(pa), i.asid, l->asid);
		return -EINVAL;
	}
	if (i.immutable)
		return snp_reclaim_page(l->psp, l->rmp, pa, NULL);
	/* Guest-Valid/Invalid or Reclaim pages are mutable: RMPUPDATE. */
	return rmp_make_shared(l->rmp, pa, RMP_PG_SIZE_4K);
}

int snp_page_put(struct rmp *rmp, spa_t pa, u8 owner, u8 leak_owner)
{
	struct rmp_info i = {0};
	int rc;

	if (!spa_val(pa))
		return 0;
	if (pmem_owner_of(pa) != owner) {
		pr_err("snp: page %#llx is not %s's (owner %s): not given back\n",
		       (unsigned long long)spa_val(pa), pmem_owner_name(owner),
		       pmem_owner_name(pmem_owner_of(pa)));
		return -EINVAL;
	}
	if (!rmp || (!rmp_lookup(rmp, pa, &i, NULL) && !i.assigned))
		return pmem_free(pa, PMEM_ORDER_4K, owner);
	rc = pmem_transfer(pa, PMEM_ORDER_4K, owner, leak_owner);
	if (rc)
		return rc;
	pr_err("snp: page %#llx is not hypervisor-owned in the RMP (assigned %d, asid %u, "
	       "immutable %d): leaked on purpose as %s\n",
	       (unsigned long long)spa_val(pa), i.assigned, i.asid, i.immutable,
	       pmem_owner_name(leak_owner));
	return 1;
}

int snp_launch_unassign(struct snp_launch *l, spa_t pa)
{
	if (!l || !l->rmp)
		return -EINVAL;
	return release_page(l, pa);
}

int snp_launch_teardown(struct snp_launch *l, const spa_t *pages, size_t n)
{
	struct sev_data_snp_addr d;
	int rc, first = 0;

	if (!l || !l->psp || (n && !pages))
		return -EINVAL;
	if (l->created && !l->decommissioned) {
		d.address = spa_val(l->gctx);
		rc = cmd(l->psp, SEV_CMD_SNP_DECOMMISSION, &d, sizeof(d), &l->fw_error);
		if (rc)
			return rc; /* the guest still exists: its pages must stay */
		l->decommissioned = true;
	}
	for (size_t k = 0; k < n; k++) {
		rc = release_page(l, pages[k]);
		if (rc && !first)
			first = rc;
	}
	rc = release_page(l, l->gctx);
	if (rc && !first)
		first = rc;
	return first;
}
