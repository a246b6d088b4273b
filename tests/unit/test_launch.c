/* Unit tests of the SNP launch sequence (snp/launch.c) through the real PSP
 * driver and the SNP firmware model, over a fake physical memory window with
 * the RMP model: a whole launch whose digest matches snp/measure and
 * tools/snp-measure, every firmware error path, and teardown. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hv/base/mem.h"
#include "snp/launch.h"
#include "snp/measure.h"
#include "snp/psp.h"
#include "snp/psp_model.h"
#include "snp/rmp.h"
#include "snp/sev_fw.h"
#include "hv/arch/host/host_env.h"
#include "tests/unit/snp_env.h"

#define GCTX	 (WIN_BASE + 0x101000)
#define GCTX2	 (WIN_BASE + 0x102000)
#define STATUSPG (WIN_BASE + 0x103000)
#define GUEST	 (WIN_BASE + 0x200000) /* guest pages from here */
#define ASID	 5
#define POLICY	 (SNP_POLICY_RSVD_MBO | SNP_POLICY_SMT) /* 0x30000 */

static u8 *win;
static struct rmp rmp;
static struct psp_model model;
static struct psp psp;
static struct snp_launch L;

static int setup(void **state)
{
	(void)state;
	return snp_env_setup(&win, 0x5A, &rmp, &model, &psp);
}

static int teardown(void **state)
{
	(void)state;
	snp_env_teardown(&win);
	return 0;
}

/* Raw command through the driver; returns the firmware status. */
static u32 raw(u32 cmd, void *buf, size_t len)
{
	u32 sts;

	psp_cmd(&psp, cmd, buf, len, &sts);
	return sts;
}

static u32 raw_update(u64 gctx, u64 pa, unsigned type, u32 info_extra, u32 perms)
{
	struct sev_data_snp_launch_update d = {
	    .gctx_paddr = gctx,
	    .page_info = (u32)FIELD_PREP(SNP_LU_PAGE_TYPE, type) | info_extra,
	    .address = pa,
	    .perms = perms,
	};
	return raw(SEV_CMD_SNP_LAUNCH_UPDATE, &d, sizeof(d));
}

static void pre_guest(u64 pa, u64 g, u32 asid)
{
	assert_int_equal(rmp_make_private(&rmp, spa(pa), asid, gpa(g), RMP_PG_SIZE_4K, true), 0);
}

static struct psp_model_guest_info info(u64 gctx)
{
	struct psp_model_guest_info gi;

	assert_int_equal(psp_model_guest_info(&model, spa(gctx), &gi), 0);
	return gi;
}

static void begin(void)
{
	assert_int_equal(snp_launch_begin(&L, &psp, &rmp, spa(GCTX), ASID, POLICY), 0);
}

/* No RMP entry in the window is assigned to asid or immutable, except the
 * RMP table's own FIRMWARE pages. */
static void assert_rmp_clean(u32 asid)
{
	for (u64 pa = WIN_BASE + TBL_SIZE; pa < WIN_BASE + WIN_SIZE; pa += PAGE_SIZE) {
		struct rmp_info i;

		assert_int_equal(rmp_lookup(&rmp, spa(pa), &i, NULL), 0);
		if (i.assigned && (i.asid == asid || i.immutable || !i.asid))
			fail_msg("page %#llx still assigned (asid %u imm %d)",
				 (unsigned long long)pa, i.asid, i.immutable);
	}
}

/* ---- the whole launch ------------------------------------------------------ */

#define NR_NORMAL 3
static u8 image[NR_NORMAL * PAGE_SIZE - 100]; /* last page partial */
static u8 vmsa[PAGE_SIZE];

static void fill_inputs(void)
{
	for (size_t k = 0; k < sizeof(image); k++)
		image[k] = (u8)(k * 7 + (k >> 12));
	for (size_t k = 0; k < sizeof(vmsa); k++)
		vmsa[k] = (u8)(0xC3 ^ k);
}

static void expected_digest(struct snp_measure *m)
{
	u8 page[PAGE_SIZE];

	snp_measure_init(m);
	for (int k = 0; k < NR_NORMAL; k++) {
		size_t off = (size_t)k * PAGE_SIZE, n = MIN(PAGE_SIZE, sizeof(image) - off);

		memset(page, 0, sizeof(page));
		memcpy(page, image + off, n);
		snp_measure_page(m, 0x100000 + off, SNP_PAGE_TYPE_NORMAL, page, 0, 0, 0, 0);
	}
	snp_measure_page(m, 0x200000, SNP_PAGE_TYPE_ZERO, NULL, 0, 0, 0, 0);
	snp_measure_page(m, SNP_VMSA_GPA, SNP_PAGE_TYPE_VMSA, vmsa, 0, 0, 0, 0);
}

static void launch_small_guest(void)
{
	fill_inputs();
	begin();
	for (int k = 0; k < NR_NORMAL; k++) {
		size_t off = (size_t)k * PAGE_SIZE, n = MIN(PAGE_SIZE, sizeof(image) - off);

		assert_int_equal(snp_launch_page(&L, spa(GUEST + off), 0x100000 + off,
						 SNP_PAGE_TYPE_NORMAL, image + off, n, 0, 0, 0),
				 0);
	}
	assert_int_equal(snp_launch_page(&L, spa(GUEST + 0x10000), 0x200000, SNP_PAGE_TYPE_ZERO,
					 NULL, 0, 0, 0, 0),
			 0);
	assert_int_equal(snp_launch_vmsa(&L, spa(GUEST + 0x11000), vmsa), 0);
}

static void test_whole_launch_digest(void **state)
{
	struct snp_measure want;
	struct psp_model_guest_info gi;
	u8 host_data[32];
	struct rmp_info i;

	(void)state;
	launch_small_guest();
	memset(host_data, 0xAB, sizeof(host_data));
	assert_int_equal(snp_launch_finish(&L, host_data), 0);
	expected_digest(&want);
	gi = info(GCTX);
	assert_int_equal(gi.state, SNP_GSTATE_RUNNING);
	assert_int_equal(gi.asid, ASID);
	assert_int_equal(gi.policy, POLICY);
	assert_int_equal(gi.pages_launched, NR_NORMAL + 2);
	assert_memory_equal(gi.digest.digest, want.digest, SNP_DIGEST_SIZE);
	assert_memory_equal(gi.host_data, host_data, 32);

	/* Guest-Valid after LAUNCH_UPDATE: validated, mutable, at its GPA */
	assert_int_equal(rmp_lookup(&rmp, spa(GUEST), &i, NULL), 0);
	assert_true(i.assigned && i.validated && !i.immutable && !i.vmsa);
	assert_int_equal(i.asid, ASID);
	assert_int_equal(gpa_val(i.gpa), 0x100000);
	assert_int_equal(rmp_page_state(&rmp, spa(GUEST)), RMP_PS_GUEST_VALID);
	assert_int_equal(rmp_lookup(&rmp, spa(GUEST + 0x11000), &i, NULL), 0);
	assert_true(i.vmsa && i.validated);
	assert_int_equal(gpa_val(i.gpa), SNP_VMSA_GPA);
	/* contents: tail of the partial page zero-padded, ZERO page zeroed */
	assert_memory_equal(phys_ptr(spa(GUEST)), image, 100);
	assert_int_equal(((u8 *)phys_ptr(spa(GUEST + 3 * PAGE_SIZE - 1)))[0], 0);
	assert_int_equal(((u8 *)phys_ptr(spa(GUEST + 0x10000)))[77], 0);
	/* the GCTX page is firmware-owned: the host may not write it */
	assert_int_equal(rmp_page_state(&rmp, spa(GCTX)), RMP_PS_FIRMWARE);
	assert_int_equal(rmp_check_host_write(&rmp, spa(GCTX)), -EPERM);
	/* the digest is frozen: further updates are refused */
	pre_guest(GUEST + 0x20000, 0x300000, ASID);
	assert_int_equal(raw_update(GCTX, GUEST + 0x20000, SNP_PAGE_TYPE_NORMAL, 0, 0),
			 SEV_RET_INVALID_GUEST_STATE);
	assert_memory_equal(info(GCTX).digest.digest, want.digest, SNP_DIGEST_SIZE);
}

static void test_digest_matches_snp_measure_tool(void **state)
{
	char cmd[1024], out[200] = "", hex[SNP_DIGEST_HEX_LEN + 1];
	const char *root = getenv("SNPV_ROOT");
	char tool[512];
	FILE *f;
	struct psp_model_guest_info gi;

	(void)state;
	snprintf(tool, sizeof(tool), "%s/build/tools/snp-measure", root ? root : ".");
	if (access(tool, X_OK)) {
		snprintf(tool, sizeof(tool), "/tmp/snpb/tools/snp-measure");
		if (access(tool, X_OK))
			skip();
	}
	launch_small_guest();
	assert_int_equal(snp_launch_finish(&L, NULL), 0);
	gi = info(GCTX);
	snp_measure_hex(&gi.digest, hex);

	f = fopen("/tmp/snpv_launch_image.bin", "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(image, 1, sizeof(image), f), sizeof(image));
	fclose(f);
	f = fopen("/tmp/snpv_launch_vmsa.bin", "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(vmsa, 1, sizeof(vmsa), f), sizeof(vmsa));
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "%s --image /tmp/snpv_launch_image.bin --load 0x100000 --page 0x200000:zero "
		 "--page 0x400000:vmsa:/tmp/snpv_launch_vmsa.bin",
		 tool);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, sizeof(out), f));
	assert_int_equal(pclose(f), 0);
	out[strcspn(out, "\n")] = 0;
	assert_string_equal(out, hex);
}

static void test_secrets_and_cpuid_pages(void **state)
{
	struct snp_cpuid_table *t;
	struct snp_measure want;
	u8 tbl[PAGE_SIZE];
	u32 version;
	struct rmp_info i;

	(void)state;
	begin();
	assert_int_equal(
	    snp_launch_page(&L, spa(GUEST), 0x5000, SNP_PAGE_TYPE_SECRETS, NULL, 0, 0, 0, 0), 0);
	memcpy(&version, phys_ptr(spa(GUEST)), 4);
	assert_int_equal(version, 2); /* written by the firmware model */
	assert_int_not_equal(((u8 *)phys_ptr(spa(GUEST)))[0x20] |
				 ((u8 *)phys_ptr(spa(GUEST)))[0x21],
			     0); /* VMPCK0 present (2 zero bytes: 1/65536) */

	/* good CPUID table */
	memset(tbl, 0, sizeof(tbl));
	t = (struct snp_cpuid_table *)tbl;
	t->count = 2;
	t->fn[0].eax_in = 0x80000000;
	t->fn[1].eax_in = 1;
	assert_int_equal(snp_launch_page(&L, spa(GUEST + PAGE_SIZE), 0x6000, SNP_PAGE_TYPE_CPUID,
					 tbl, sizeof(tbl), 0, 0, 0),
			 0);
	/* bad table: firmware fixes it up, fails with INVALID_PARAM, the page is
	 * reclaimed to the hypervisor by the launch code, digest unchanged */
	t->count = 65;
	t->fn[0].reserved = 9;
	assert_int_equal(snp_launch_page(&L, spa(GUEST + 2 * PAGE_SIZE), 0x7000,
					 SNP_PAGE_TYPE_CPUID, tbl, sizeof(tbl), 0, 0, 0),
			 -EIO);
	assert_int_equal(L.fw_error, SEV_RET_INVALID_PARAM);
	assert_int_equal(rmp_page_state(&rmp, spa(GUEST + 2 * PAGE_SIZE)), RMP_PS_HYPERVISOR);
	t = phys_ptr(spa(GUEST + 2 * PAGE_SIZE));
	assert_int_equal(t->count, 64);
	assert_int_equal(t->fn[0].reserved, 0);

	snp_measure_init(&want);
	snp_measure_page(&want, 0x5000, SNP_PAGE_TYPE_SECRETS, NULL, 0, 0, 0, 0);
	snp_measure_page(&want, 0x6000, SNP_PAGE_TYPE_CPUID, NULL, 0, 0, 0, 0);
	assert_memory_equal(info(GCTX).digest.digest, want.digest, SNP_DIGEST_SIZE);

	/* VMPL permissions go to the RMP and into the digest */
	assert_int_equal(snp_launch_page(&L, spa(GUEST + 3 * PAGE_SIZE), 0x8000,
					 SNP_PAGE_TYPE_UNMEASURED, NULL, 0, 0xF, 0x3, 0x1),
			 0);
	assert_int_equal(rmp_lookup(&rmp, spa(GUEST + 3 * PAGE_SIZE), &i, NULL), 0);
	assert_int_equal(i.perms[1], 0xF);
	assert_int_equal(i.perms[2], 0x3);
	assert_int_equal(i.perms[3], 0x1);
	snp_measure_page(&want, 0x8000, SNP_PAGE_TYPE_UNMEASURED, NULL, 0, 0x1, 0x3, 0xF);
	assert_memory_equal(info(GCTX).digest.digest, want.digest, SNP_DIGEST_SIZE);
}

/* ---- guest context / start / activate errors -------------------------------- */

static void test_context_and_start_errors(void **state)
{
	struct sev_data_snp_addr a = {.address = GCTX2};
	struct sev_data_snp_launch_start st = {.gctx_paddr = GCTX2, .policy = POLICY};

	(void)state;
	/* GCTX page not in the Firmware state / unaligned / unknown guest */
	assert_int_equal(raw(SEV_CMD_SNP_GCTX_CREATE, &a, sizeof(a)), SEV_RET_INVALID_PAGE_STATE);
	a.address = GCTX2 + 0x10;
	assert_int_equal(raw(SEV_CMD_SNP_GCTX_CREATE, &a, sizeof(a)), SEV_RET_INVALID_ADDRESS);
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_START, &st, sizeof(st)), SEV_RET_INVALID_GUEST);
	/* a page the hypervisor fills itself is no guest context */
	assert_int_equal(rmp_make_private(&rmp, spa(GCTX2), 0, gpa(0), RMP_PG_SIZE_4K, true), 0);
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_START, &st, sizeof(st)), SEV_RET_INVALID_GUEST);
	a.address = GCTX2;
	assert_int_equal(raw(SEV_CMD_SNP_GCTX_CREATE, &a, sizeof(a)), SEV_RET_SUCCESS);
	assert_int_equal(raw(SEV_CMD_SNP_GCTX_CREATE, &a, sizeof(a)), SEV_RET_INVALID_PAGE_STATE);

	/* policy checks */
	st.policy = SNP_POLICY_SMT; /* MBO bit 17 missing */
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_START, &st, sizeof(st)), SEV_RET_POLICY_FAILURE);
	st.policy = POLICY | FIELD_PREP(SNP_POLICY_ABI_MAJOR, 2); /* needs ABI 2.0 */
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_START, &st, sizeof(st)), SEV_RET_POLICY_FAILURE);
	st.policy = POLICY | BIT(40);
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_START, &st, sizeof(st)), SEV_RET_INVALID_PARAM);
	st.policy = POLICY;
	st.flags = SNP_LAUNCH_START_MA_EN;
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_START, &st, sizeof(st)), SEV_RET_UNSUPPORTED);
	st.flags = 0;
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_START, &st, sizeof(st)), SEV_RET_SUCCESS);
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_START, &st, sizeof(st)),
			 SEV_RET_INVALID_GUEST_STATE);
	/* the platform cannot shut down under a live guest */
	assert_int_equal(raw(SEV_CMD_SNP_SHUTDOWN, NULL, 0), SEV_RET_ACTIVE);
}

static void test_smt_policy(void **state)
{
	struct psp_model_config cfg = {
	    .api_major = 1, .api_minor = 55, .max_asid = 16, .smt_enabled = true};
	struct snp_launch l2;

	(void)state;
	assert_int_equal(psp_model_init(&model, &rmp, &cfg, NULL), 0);
	assert_int_equal(snp_platform_init(&psp, NULL), 0);
	assert_int_equal(snp_launch_begin(&l2, &psp, &rmp, spa(GCTX), 1, SNP_POLICY_RSVD_MBO),
			 -EIO);
	assert_int_equal(l2.fw_error, SEV_RET_POLICY_FAILURE);
	assert_int_equal(snp_launch_teardown(&l2, NULL, 0), 0);
	assert_rmp_clean(1);
}

static void test_activate_errors(void **state)
{
	struct sev_data_snp_activate act = {.gctx_paddr = GCTX2, .asid = ASID};
	struct sev_data_snp_addr a = {.address = GCTX2};
	struct sev_data_snp_launch_start st = {.gctx_paddr = GCTX2, .policy = POLICY};
	struct snp_launch l2;

	(void)state;
	begin(); /* guest 1 holds ASID 5 */
	assert_int_equal(rmp_make_private(&rmp, spa(GCTX2), 0, gpa(0), RMP_PG_SIZE_4K, true), 0);
	assert_int_equal(raw(SEV_CMD_SNP_GCTX_CREATE, &a, sizeof(a)), SEV_RET_SUCCESS);
	/* before LAUNCH_START */
	assert_int_equal(raw(SEV_CMD_SNP_ACTIVATE, &act, sizeof(act)), SEV_RET_INVALID_GUEST_STATE);
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_START, &st, sizeof(st)), SEV_RET_SUCCESS);
	act.asid = 0;
	assert_int_equal(raw(SEV_CMD_SNP_ACTIVATE, &act, sizeof(act)), SEV_RET_INVALID_ASID);
	act.asid = 101; /* model default max_asid 100 */
	assert_int_equal(raw(SEV_CMD_SNP_ACTIVATE, &act, sizeof(act)), SEV_RET_INVALID_ASID);
	act.asid = ASID; /* owned by guest 1 */
	assert_int_equal(raw(SEV_CMD_SNP_ACTIVATE, &act, sizeof(act)), SEV_RET_ASID_OWNED);
	act.asid = 6;
	assert_int_equal(raw(SEV_CMD_SNP_ACTIVATE, &act, sizeof(act)), SEV_RET_SUCCESS);
	act.asid = 7; /* double activation */
	assert_int_equal(raw(SEV_CMD_SNP_ACTIVATE, &act, sizeof(act)), SEV_RET_ACTIVE);
	assert_int_equal(raw(SEV_CMD_SNP_DECOMMISSION, &a, sizeof(a)), SEV_RET_SUCCESS);

	/* ASID 6 was used: reusing it needs SNP_DF_FLUSH first; launch_begin
	 * flushes and retries like KVM */
	assert_int_equal(snp_reclaim_page(&psp, &rmp, spa(GCTX2), NULL), 0);
	assert_int_equal(rmp_make_private(&rmp, spa(GCTX2), 0, gpa(0), RMP_PG_SIZE_4K, true), 0);
	assert_int_equal(raw(SEV_CMD_SNP_GCTX_CREATE, &a, sizeof(a)), SEV_RET_SUCCESS);
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_START, &st, sizeof(st)), SEV_RET_SUCCESS);
	act.asid = 6;
	assert_int_equal(raw(SEV_CMD_SNP_ACTIVATE, &act, sizeof(act)), SEV_RET_DFFLUSH_REQUIRED);
	assert_int_equal(raw(SEV_CMD_SNP_DECOMMISSION, &a, sizeof(a)), SEV_RET_SUCCESS);
	assert_int_equal(snp_reclaim_page(&psp, &rmp, spa(GCTX2), NULL), 0);
	assert_int_equal(snp_launch_begin(&l2, &psp, &rmp, spa(GCTX2), 6, POLICY), 0);
	assert_true(l2.activated);
	assert_int_equal(info(GCTX2).asid, 6);
}

/* ---- LAUNCH_UPDATE errors ---------------------------------------------------- */

static void test_launch_update_errors(void **state)
{
	u64 p = GUEST;
	u8 before[SNP_DIGEST_SIZE];
	struct rmp_info i;
	struct sev_data_snp_addr a = {.address = GCTX2};
	struct sev_data_snp_launch_start st = {.gctx_paddr = GCTX2, .policy = POLICY};

	(void)state;
	/* a second guest, started but not activated */
	assert_int_equal(rmp_make_private(&rmp, spa(GCTX2), 0, gpa(0), RMP_PG_SIZE_4K, true), 0);
	assert_int_equal(raw(SEV_CMD_SNP_GCTX_CREATE, &a, sizeof(a)), SEV_RET_SUCCESS);
	assert_int_equal(raw_update(GCTX2, p, SNP_PAGE_TYPE_NORMAL, 0, 0),
			 SEV_RET_INVALID_GUEST_STATE); /* before LAUNCH_START */
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_START, &st, sizeof(st)), SEV_RET_SUCCESS);
	pre_guest(p, 0x1000, 9);
	assert_int_equal(raw_update(GCTX2, p, SNP_PAGE_TYPE_NORMAL, 0, 0), SEV_RET_INACTIVE);
	assert_int_equal(rmp_make_shared(&rmp, spa(p), RMP_PG_SIZE_4K), -EIO); /* immutable */

	begin();
	memcpy(before, info(GCTX).digest.digest, sizeof(before));
	p = GUEST + 0x10000;
	/* page not assigned */
	assert_int_equal(raw_update(GCTX, p, SNP_PAGE_TYPE_NORMAL, 0, 0),
			 SEV_RET_INVALID_PAGE_STATE);
	/* page assigned to another ASID */
	pre_guest(p, 0x1000, ASID + 1);
	assert_int_equal(raw_update(GCTX, p, SNP_PAGE_TYPE_NORMAL, 0, 0),
			 SEV_RET_INVALID_PAGE_OWNER);
	/* page of this guest but mutable (hypervisor skipped immutable) */
	p += PAGE_SIZE;
	assert_int_equal(rmp_make_private(&rmp, spa(p), ASID, gpa(0x2000), RMP_PG_SIZE_4K, false),
			 0);
	assert_int_equal(raw_update(GCTX, p, SNP_PAGE_TYPE_NORMAL, 0, 0),
			 SEV_RET_INVALID_PAGE_STATE);
	/* page already validated (Pre-Swap), made so by the firmware interface */
	p += PAGE_SIZE;
	pre_guest(p, 0x3000, ASID);
	assert_int_equal(rmp_lookup(&rmp, spa(p), &i, NULL), 0);
	i.validated = true;
	assert_int_equal(rmp_model_fw_write(&rmp, spa(p), &i), 0);
	assert_int_equal(raw_update(GCTX, p, SNP_PAGE_TYPE_NORMAL, 0, 0),
			 SEV_RET_INVALID_PAGE_STATE);
	/* firmware page (ASID 0) */
	assert_int_equal(raw_update(GCTX, GCTX2, SNP_PAGE_TYPE_NORMAL, 0, 0),
			 SEV_RET_INVALID_PAGE_STATE);
	/* 2M RMP entry */
	assert_int_equal(rmp_make_private(&rmp, spa(WIN_BASE + 0x400000), ASID, gpa(0x400000),
					  RMP_PG_SIZE_2M, true),
			 0);
	assert_int_equal(raw_update(GCTX, WIN_BASE + 0x400000, SNP_PAGE_TYPE_NORMAL, 0, 0),
			 SEV_RET_INVALID_PAGE_SIZE);

	/* command fields, on a good Pre-Guest page */
	p += PAGE_SIZE;
	pre_guest(p, 0x4000, ASID);
	assert_int_equal(raw_update(GCTX, p, 0, 0, 0), SEV_RET_INVALID_PARAM);
	assert_int_equal(raw_update(GCTX, p, 7, 0, 0), SEV_RET_INVALID_PARAM);
	assert_int_equal(raw_update(GCTX, p, SNP_PAGE_TYPE_NORMAL, BIT(5), 0),
			 SEV_RET_INVALID_PARAM); /* reserved page_info bit */
	assert_int_equal(raw_update(GCTX, p, SNP_PAGE_TYPE_NORMAL, 0, 0x1),
			 SEV_RET_INVALID_PARAM); /* reserved perms byte */
	assert_int_equal(raw_update(GCTX, p, SNP_PAGE_TYPE_NORMAL, 0, 0x1000),
			 SEV_RET_INVALID_PARAM); /* VMPL1 perms beyond R/W/XU/XS */
	assert_int_equal(raw_update(GCTX, p, SNP_PAGE_TYPE_VMSA, 0, 0x100),
			 SEV_RET_INVALID_PARAM); /* VMSA with lower-VMPL access */
	assert_int_equal(raw_update(GCTX, p, SNP_PAGE_TYPE_NORMAL, SNP_LU_PAGE_SIZE, 0),
			 SEV_RET_UNSUPPORTED);
	assert_int_equal(raw_update(GCTX, p + 0x80, SNP_PAGE_TYPE_NORMAL, 0, 0),
			 SEV_RET_INVALID_ADDRESS); /* unaligned */
	assert_int_equal(raw_update(GCTX, COVERED + 0x1000, SNP_PAGE_TYPE_NORMAL, 0, 0),
			 SEV_RET_INVALID_ADDRESS); /* beyond the RMP */
	assert_int_equal(raw_update(GCTX + 8, p, SNP_PAGE_TYPE_NORMAL, 0, 0),
			 SEV_RET_INVALID_ADDRESS);
	assert_int_equal(raw_update(GUEST, p, SNP_PAGE_TYPE_NORMAL, 0, 0), SEV_RET_INVALID_GUEST);
	/* nothing was measured, the page is untouched and still Pre-Guest */
	assert_memory_equal(info(GCTX).digest.digest, before, sizeof(before));
	assert_int_equal(info(GCTX).pages_launched, 0);
	assert_int_equal(rmp_page_state(&rmp, spa(p)), RMP_PS_PRE_GUEST);
	/* then the good one */
	assert_int_equal(raw_update(GCTX, p, SNP_PAGE_TYPE_NORMAL, 0, 0), SEV_RET_SUCCESS);
	assert_int_equal(raw_update(GCTX, p, SNP_PAGE_TYPE_NORMAL, 0, 0),
			 SEV_RET_INVALID_PAGE_STATE); /* twice */
}

static void test_launch_code_checks(void **state)
{
	u8 data[16] = {1, 2, 3};

	(void)state;
	begin();
	/* the page must start hypervisor-owned */
	pre_guest(GUEST, 0x1000, ASID);
	assert_int_equal(snp_launch_page(&L, spa(GUEST), 0x1000, SNP_PAGE_TYPE_NORMAL, data,
					 sizeof(data), 0, 0, 0),
			 -EEXIST);
	assert_int_equal(snp_launch_page(&L, spa(GUEST + 0x10), 0x1000, SNP_PAGE_TYPE_NORMAL, data,
					 sizeof(data), 0, 0, 0),
			 -EINVAL);
	assert_int_equal(snp_launch_page(&L, spa(GUEST + PAGE_SIZE), 0x1000, SNP_PAGE_TYPE_VMSA,
					 data, sizeof(data), 0, 0, 0),
			 -EINVAL);
	assert_int_equal(snp_launch_page(&L, spa(GUEST + PAGE_SIZE), 0x1000, (enum snp_page_type)9,
					 data, sizeof(data), 0, 0, 0),
			 -EINVAL);
	/* VMSA never 2M-aligned (erratum) */
	assert_int_equal(snp_launch_vmsa(&L, spa(WIN_BASE + 0x600000), vmsa), -EINVAL);
	/* after finish */
	assert_int_equal(snp_launch_finish(&L, NULL), 0);
	assert_int_equal(snp_launch_page(&L, spa(GUEST + PAGE_SIZE), 0x2000, SNP_PAGE_TYPE_NORMAL,
					 data, sizeof(data), 0, 0, 0),
			 -EINVAL);
	assert_int_equal(snp_launch_finish(&L, NULL), -EIO);
	assert_int_equal(L.fw_error, SEV_RET_INVALID_GUEST_STATE);
}

static void test_finish_errors(void **state)
{
	struct sev_data_snp_launch_finish f = {.gctx_paddr = GCTX};

	(void)state;
	begin();
	f.flags = BIT(5);
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_FINISH, &f, sizeof(f)), SEV_RET_INVALID_PARAM);
	f.flags = SNP_LF_AUTH_KEY_EN;
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_FINISH, &f, sizeof(f)), SEV_RET_INVALID_PARAM);
	f.flags = SNP_LF_ID_BLOCK_EN;
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_FINISH, &f, sizeof(f)), SEV_RET_UNSUPPORTED);
	f.flags = 0;
	f.id_block_paddr = 0x1000;
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_FINISH, &f, sizeof(f)), SEV_RET_INVALID_PARAM);
	f.id_block_paddr = 0;
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_FINISH, &f, sizeof(f)), SEV_RET_SUCCESS);
	assert_int_equal(raw(SEV_CMD_SNP_LAUNCH_FINISH, &f, sizeof(f)),
			 SEV_RET_INVALID_GUEST_STATE);
}

/* ---- teardown and reclaim ------------------------------------------------------ */

static void test_teardown_reclaims_everything(void **state)
{
	spa_t pages[NR_NORMAL + 3];
	struct sev_data_snp_page_reclaim r;

	(void)state;
	launch_small_guest();
	/* one page left Pre-Guest (immutable), as after a failed update */
	pre_guest(GUEST + 0x12000, 0x500000, ASID);
	assert_int_equal(snp_launch_finish(&L, NULL), 0);
	for (int k = 0; k < NR_NORMAL; k++)
		pages[k] = spa(GUEST + (u64)k * PAGE_SIZE);
	pages[NR_NORMAL] = spa(GUEST + 0x10000);
	pages[NR_NORMAL + 1] = spa(GUEST + 0x11000);
	pages[NR_NORMAL + 2] = spa(GUEST + 0x12000);

	/* a live guest context cannot be reclaimed; hypervisor pages neither */
	r.paddr = GCTX;
	assert_int_equal(raw(SEV_CMD_SNP_PAGE_RECLAIM, &r, sizeof(r)), SEV_RET_INVALID_PAGE_STATE);
	r.paddr = GUEST + 0x30000;
	assert_int_equal(raw(SEV_CMD_SNP_PAGE_RECLAIM, &r, sizeof(r)), SEV_RET_INVALID_PAGE_STATE);
	r.paddr = WIN_BASE; /* the RMP table */
	assert_int_equal(raw(SEV_CMD_SNP_PAGE_RECLAIM, &r, sizeof(r)), SEV_RET_INVALID_PAGE_STATE);
	r.paddr = GUEST | SNP_RECLAIM_PAGE_SIZE;
	assert_int_equal(raw(SEV_CMD_SNP_PAGE_RECLAIM, &r, sizeof(r)), SEV_RET_UNSUPPORTED);

	assert_int_equal(snp_launch_teardown(&L, pages, ARRAY_SIZE(pages)), 0);
	assert_int_equal(psp_model_guest_info(&model, spa(GCTX), &(struct psp_model_guest_info){0}),
			 -ENOENT);
	assert_rmp_clean(ASID);
	assert_int_equal(rmp_page_state(&rmp, spa(GCTX)), RMP_PS_HYPERVISOR);
	assert_int_equal(model.guest_count, 0);
	/* decommissioned: the context is gone */
	assert_int_equal(raw_update(GCTX, GUEST, SNP_PAGE_TYPE_NORMAL, 0, 0),
			 SEV_RET_INVALID_GUEST);
	/* and the platform may shut down now */
	assert_int_equal(snp_platform_shutdown(&psp, NULL), 0);
}

static void test_teardown_refuses_foreign_pages(void **state)
{
	spa_t pages[1] = {spa(GUEST)};

	(void)state;
	begin();
	pre_guest(GUEST, 0x1000, ASID + 3);
	assert_int_equal(snp_launch_teardown(&L, pages, 1), -EINVAL);
	assert_int_equal(rmp_page_state(&rmp, spa(GUEST)), RMP_PS_PRE_GUEST); /* left alone */
	assert_int_equal(rmp_page_state(&rmp, spa(GCTX)), RMP_PS_HYPERVISOR);
}

static void test_platform_status_helper(void **state)
{
	struct sev_snp_platform_status st;

	(void)state;
	begin();
	assert_int_equal(snp_platform_status(&psp, &rmp, spa(STATUSPG), &st, NULL), 0);
	assert_int_equal(st.state, SNP_PSTATE_INIT);
	assert_int_equal(st.guest_count, 1);
	assert_int_equal(rmp_page_state(&rmp, spa(STATUSPG)), RMP_PS_HYPERVISOR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_whole_launch_digest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_digest_matches_snp_measure_tool, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secrets_and_cpuid_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_context_and_start_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_smt_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_activate_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_launch_update_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_launch_code_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_finish_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_teardown_reclaims_everything, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_teardown_refuses_foreign_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_platform_status_helper, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
