/* Teardown under failure (docs/gmem.md "Teardown under failure"): release and
 * destroy allocate nothing (an -ENOMEM sweep that fails the k-th allocation
 * for every k loses no page), and a frame whose RMP entry is not
 * hypervisor-owned at release (a failed RMPUPDATE, a firmware page after a
 * failed SNP_DECOMMISSION or SNP_PAGE_RECLAIM) never goes back to pmem: it is
 * kept as "g<name>-leaked", counted, and xcheck flags it if it is mapped or
 * freed. Uses the fake-memory environment of test_gmem.c and the SNP
 * firmware model behind the real PSP driver. */
#define GMEM_ENV_ONLY
#include "tests/unit/test_gmem.c"

#include "snp/launch.h"
#include "snp/psp.h"
#include "snp/psp_model.h"
#include "snp/sev_fw.h"

static int setup(void **state)
{
	(void)state;
	env_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	env_fini();
	return 0;
}

/* Every frame of pmem's span: is its RMP entry assigned? Counts them. */
static u64 rmp_assigned_frames(void)
{
	struct rmp_info info;
	u64 n = 0;

	for (u64 pa = WIN_BASE + RMP_AREA; pa < WIN_BASE + WIN_SIZE; pa += PAGE_SIZE)
		if (!rmp_lookup(&env_rmp, spa(pa), &info, NULL) && info.assigned)
			n++;
	return n;
}

/* A guest with every kind of record: private 2M and 4K, shared 2M and 4K, a
 * 2M record split by a conversion, holes; two domains (trusted, untrusted);
 * mode duplicated or shared (the trusted domain is the NPT). */
static void rich_guest(struct gmem *g, const char *name, enum gmem_iommu_mode mode)
{
	struct gmem_params p = {
	    .name = name,
	    .asid = 21,
	    .mem_size = MiB(16),
	    .max_page = HUGE_SIZE,
	    .rmp = &env_rmp,
	    .iommu_mode = mode,
	    .flush_asid = fake_flush,
	    .flush_ctx = &env_io,
	};

	assert_int_equal(gmem_init(g, &p), 0);
	assert_int_equal(gmem_attach_domain(g, 1, GMEM_NPT_LEVELS, true, &fake_ops, &env_io), 0);
	assert_int_equal(gmem_attach_domain(g, 2, 4, false, &fake_ops, &env_io), 0);
	assert_int_equal(gmem_populate(g, gpa(0), MiB(6), GMEM_PRIVATE), 0);
	assert_int_equal(gmem_populate(g, gpa(MiB(6) + 0x3000), 5 * PAGE_SIZE, GMEM_PRIVATE), 0);
	assert_int_equal(gmem_populate(g, gpa(MiB(8)), MiB(4), GMEM_SHARED), 0);
	assert_int_equal(gmem_convert(g, gpa(MiB(2) + 0x7000), 2 * PAGE_SIZE, GMEM_SHARED), 0);
	assert_int_equal(gmem_convert(g, gpa(MiB(10)), HUGE_SIZE, GMEM_PRIVATE), 0);
	assert_int_equal(check1(g), 0);
	assert_true(g->st.private_pages > 0 && g->st.shared_pages > 0);
}

static void assert_all_back(const struct gmem *g, u64 free0)
{
	assert_int_equal(pmem_owner_pages(g->own_mem), 0);
	assert_int_equal(pmem_owner_pages(g->own_npt), 0);
	assert_int_equal(pmem_owner_pages(g->own_iommu), 0);
	assert_int_equal(pmem_owner_pages(g->own_leak), 0);
	assert_int_equal(g->st.leaked_pages, 0);
	assert_int_equal(pmem_free_pages(), free0);
	assert_int_equal(rmp_assigned_frames(), 0);
}

/* -ENOMEM at the k-th allocation, every k, during destroy: it succeeds and
 * every frame is back in pmem, hypervisor-owned. (It allocates nothing at
 * all: the injection is never reached.) */
static void destroy_sweep(enum gmem_iommu_mode mode, bool trim)
{
	for (u64 k = 1; k <= 6; k++) {
		struct gmem g;
		u64 free0 = pmem_free_pages();

		rich_guest(&g, "d", mode);
		if (trim)
			gmem_trim(&g);
		g.fail_alloc = k;
		assert_int_equal(gmem_destroy(&g), 0);
		assert_int_equal(g.fail_alloc, k); /* no allocation was even tried */
		assert_all_back(&g, free0);
	}
}

static void test_destroy_enomem_sweep(void **state)
{
	(void)state;
	destroy_sweep(GMEM_IOMMU_DUPLICATED, false);
	destroy_sweep(GMEM_IOMMU_DUPLICATED, true);
	destroy_sweep(GMEM_IOMMU_SHARED, false);
}

/* The same for release of whole records (with holes, every kind): success
 * at every k, nothing allocated, the frames back, the rest consistent. */
static void release_sweep(enum gmem_iommu_mode mode)
{
	for (u64 k = 1; k <= 6; k++) {
		struct gmem g;
		u64 free0 = pmem_free_pages(), before;

		rich_guest(&g, "r", mode);
		gmem_trim(&g);
		before = pmem_owner_pages(g.own_mem);
		g.fail_alloc = k;
		/* [2M, 12M): a private 2M split into 4K records, a hole, 4K
		 * private records, shared 2M and a private 2M record */
		assert_int_equal(gmem_release(&g, gpa(MiB(2)), MiB(10)), 0);
		assert_int_equal(g.fail_alloc, k);
		g.fail_alloc = 0;
		/* [2M, 6M) 1024 pages, 5 pages at 6M + 12K, [8M, 12M) 1024 pages */
		assert_int_equal(pmem_owner_pages(g.own_mem), before - 2053);
		assert_int_equal(g.st.leaked_pages, 0);
		assert_int_equal(check1(&g), 0);
		assert_accounting(&g);
		/* the other side of the range is untouched */
		assert_int_equal(gmem_lookup(&g, gpa(MiB(1)), &(struct gmem_rec){0}), 0);
		assert_int_equal(gmem_lookup(&g, gpa(MiB(12)), &(struct gmem_rec){0}), -ENOENT);
		assert_int_equal(gmem_destroy(&g), 0);
		assert_all_back(&g, free0);
	}
}

static void test_release_enomem_sweep(void **state)
{
	(void)state;
	release_sweep(GMEM_IOMMU_DUPLICATED);
	release_sweep(GMEM_IOMMU_SHARED);
}

static bool npt_mapped(const struct gmem *g, spa_t pa, u64 gpa_)
{
	struct pt_leaf l;

	return !pt_lookup(&g->npt, gpa_, &l) && spa_val(l.pa) + (gpa_ - l.va) == spa_val(pa);
}

/* An RMPUPDATE back to shared fails during a release: that record is
 * leaked on purpose (kept, counted, unmapped, still assigned), the rest goes
 * back; xcheck accepts the leaked frame and flags it once it is mapped or
 * freed. */
static void test_release_rmp_failure_leaks(void **state)
{
	struct gmem g;
	struct gmem_rec r;
	u64 free0 = pmem_free_pages();
	spa_t lost;
	struct rmp_info info;

	(void)state;
	guest_new(&g, "l", 23, MiB(8), PAGE_SIZE, true, 2);
	assert_int_equal(gmem_populate(&g, gpa(0), 16 * PAGE_SIZE, GMEM_PRIVATE), 0);
	assert_int_equal(gmem_lookup(&g, gpa(0), &r), 0);
	lost = r.spa;
	rmp_model_inject(&env_rmp, RMP_FAIL_PERMISSION, 1);
	assert_int_equal(gmem_release(&g, gpa(0), 16 * PAGE_SIZE), -EIO);
	assert_int_equal(g.st.leaked_pages, 1);
	assert_int_equal(pmem_owner_of(lost), g.own_leak);
	assert_int_equal(pmem_owner_pages(g.own_leak), 1);
	assert_int_equal(pmem_owner_pages(g.own_mem), 0);
	assert_int_equal(rmp_lookup(&env_rmp, lost, &info, NULL), 0);
	assert_true(info.assigned); /* the reason it may never go back */
	assert_int_equal(rmp_assigned_frames(), 1);
	assert_false(npt_mapped(&g, lost, 0));
	assert_int_equal(pt_lookup(&g.dom[0].pt, 0, &(struct pt_leaf){0}), -ENOENT);
	assert_int_equal(gmem_lookup(&g, gpa(0), &r), -ENOENT);
	assert_int_equal(check1(&g), 0); /* leaked on purpose: accepted */
	assert_accounting(&g);
	/* xcheck: a leaked frame mapped again is a violation */
	assert_int_equal(pt_map(&g.npt, 0, lost, PAGE_SIZE, PT_R | PT_W, PT_SZ_4K, NULL), 0);
	assert_int_not_equal(check1(&g), 0);
	assert_int_equal(pt_unmap(&g.npt, 0, PAGE_SIZE, NULL), 0);
	assert_int_equal(check1(&g), 0);
	/* ... and so is one handed back to pmem */
	assert_int_equal(pmem_free(lost, PMEM_ORDER_4K, g.own_leak), 0);
	assert_int_not_equal(check1(&g), 0);
	assert_int_equal(pmem_reserve(lost, PAGE_SIZE, g.own_leak), 1);
	assert_int_equal(check1(&g), 0);
	/* destroy leaks nothing more; the leaked frame stays out of pmem */
	assert_int_equal(gmem_destroy(&g), 0);
	assert_int_equal(pmem_owner_of(lost), g.own_leak);
	assert_int_equal(pmem_owner_pages(g.own_mem) + pmem_owner_pages(g.own_npt) +
			     pmem_owner_pages(g.own_iommu),
			 0);
	assert_int_equal(pmem_free_pages(), free0 - 1);
	assert_int_equal(rmp_assigned_frames(), 1);
}

/* RMPUPDATEs failing during destroy: -EIO, every failing record kept as
 * leaked (2M records whole), everything else back and hypervisor-owned. */
static void test_destroy_rmp_failure_leaks(void **state)
{
	struct gmem g;
	u64 free0 = pmem_free_pages();

	(void)state;
	rich_guest(&g, "x", GMEM_IOMMU_DUPLICATED);
	rmp_model_inject(&env_rmp, RMP_FAIL_INPUT, 2); /* the first two: 2M at 0, 4K at 2M */
	assert_int_equal(gmem_destroy(&g), -EIO);
	assert_int_equal(g.st.leaked_pages, 512 + 1);
	assert_int_equal(pmem_owner_pages(g.own_leak), 512 + 1);
	assert_int_equal(pmem_owner_pages(g.own_mem), 0);
	assert_int_equal(pmem_owner_pages(g.own_npt), 0);
	assert_int_equal(pmem_owner_pages(g.own_iommu), 0);
	assert_int_equal(pmem_free_pages(), free0 - 513);
	/* each frame: free and hypervisor-owned, or leaked and still assigned */
	for (u64 pa = WIN_BASE + RMP_AREA; pa < WIN_BASE + WIN_SIZE; pa += PAGE_SIZE) {
		struct rmp_info info;
		u8 own = pmem_owner_of(spa(pa));

		assert_int_equal(rmp_lookup(&env_rmp, spa(pa), &info, NULL), 0);
		if (own == g.own_leak)
			assert_true(info.assigned);
		else
			assert_false(info.assigned);
	}
}

/* ---- SNP launch teardown with failing firmware commands ------------------------------ */

#define FW_ASID	  7
#define FW_POLICY (SNP_POLICY_RSVD_MBO | SNP_POLICY_SMT)

static struct psp_model model;
static struct psp psp;

struct fw_guest {
	struct gmem g;
	struct snp_launch l;
	spa_t gctx, vmsa;
	u8 owner;
	unsigned assigned, fail_at; /* fail_at: the LAUNCH_UPDATE that fails (0: none) */
};

static int fw_assign(void *ctx, spa_t pa, gpa_t where)
{
	struct fw_guest *f = ctx;

	if (++f->assigned == f->fail_at) {
		model.fail_cmd = SEV_CMD_SNP_LAUNCH_UPDATE;
		model.fail_status = SEV_RET_INVALID_PARAM;
	}
	return snp_launch_page(&f->l, pa, gpa_val(where), SNP_PAGE_TYPE_ZERO, NULL, 0, 0, 0, 0);
}

static void fw_unassign(void *ctx, spa_t pa)
{
	struct fw_guest *f = ctx;

	snp_launch_unassign(&f->l, pa);
}

static void fw_env(void)
{
	spa_t cmdbuf;
	u32 e;

	assert_int_equal(psp_model_init(&model, &env_rmp, NULL, NULL), 0);
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, (u8)pmem_owner_register("psp"), &cmdbuf), 0);
	assert_int_equal(
	    psp_init(&psp, &psp_model_mmio_ops, &model, &psp_sev_regs_v2, cmdbuf, 1000), 0);
	assert_int_equal(snp_platform_init(&psp, &e), 0);
}

/* A launched SNP guest: 8 ZERO pages through gmem, a VMSA, LAUNCH_FINISH. */
static int fw_launch(struct fw_guest *f, unsigned fail_at)
{
	const struct gmem_fill fill = {fw_assign, fw_unassign, f};
	static u8 vmsa[PAGE_SIZE];
	int rc;

	memset(f, 0, sizeof(*f));
	f->fail_at = fail_at;
	guest_new(&f->g, "fw", FW_ASID, MiB(4), HUGE_SIZE, true, 1);
	f->owner = (u8)pmem_owner_register("gfw");
	assert_int_equal(pmem_alloc(PMEM_ORDER_4K, f->owner, &f->gctx), 0);
	assert_int_equal(snp_launch_begin(&f->l, &psp, &env_rmp, f->gctx, FW_ASID, FW_POLICY), 0);
	rc = gmem_populate_fill(&f->g, gpa(0x10000), 8 * PAGE_SIZE, GMEM_PRIVATE, &fill);
	if (rc)
		return rc;
	do
		assert_int_equal(pmem_alloc(PMEM_ORDER_4K, f->owner, &f->vmsa), 0);
	while (IS_ALIGNED(spa_val(f->vmsa), HUGE_SIZE));
	assert_int_equal(snp_launch_vmsa(&f->l, f->vmsa, vmsa), 0);
	assert_int_equal(snp_launch_finish(&f->l, NULL), 0);
	assert_int_equal(check1(&f->g), 0);
	return 0;
}

/* Every frame in pmem's span is free and hypervisor-owned, or held by an
 * owner that is not the guest's memory, or leaked and still assigned. */
static void assert_no_silent_loss(const struct fw_guest *f)
{
	for (u64 pa = WIN_BASE + RMP_AREA; pa < WIN_BASE + WIN_SIZE; pa += PAGE_SIZE) {
		struct rmp_info info;
		u8 own = pmem_owner_of(spa(pa));

		assert_int_equal(rmp_lookup(&env_rmp, spa(pa), &info, NULL), 0);
		if (own == f->g.own_leak)
			assert_true(info.assigned);
		else
			assert_false(info.assigned);
	}
	assert_int_equal(pmem_owner_pages(f->g.own_mem), 0);
}

/* SNP_DECOMMISSION fails: the context lives on, so the GCTX page (Firmware)
 * and the VMSA (assigned to the guest) must not go back: both are leaked on
 * purpose. The guest's own pages are mutable and go back. */
static void test_fw_decommission_fails(void **state)
{
	struct fw_guest f;
	u64 free0;

	(void)state;
	fw_env();
	free0 = pmem_free_pages();
	assert_int_equal(fw_launch(&f, 0), 0);
	model.fail_cmd = SEV_CMD_SNP_DECOMMISSION;
	model.fail_status = SEV_RET_HWERROR_PLATFORM;
	assert_int_equal(snp_launch_teardown(&f.l, &f.vmsa, 1), -EIO);
	assert_false(f.l.decommissioned);
	assert_int_equal(gmem_destroy(&f.g), 0);
	assert_int_equal(snp_page_put(&env_rmp, f.gctx, f.owner, f.g.own_leak), 1);
	assert_int_equal(snp_page_put(&env_rmp, f.vmsa, f.owner, f.g.own_leak), 1);
	assert_int_equal(pmem_owner_pages(f.g.own_leak), 2);
	assert_int_equal(pmem_owner_pages(f.owner), 0);
	assert_int_equal(pmem_owner_of(f.gctx), f.g.own_leak);
	assert_int_equal(pmem_owner_of(f.vmsa), f.g.own_leak);
	assert_int_equal(pmem_free_pages(), free0 - 2);
	assert_no_silent_loss(&f);
}

/* SNP_PAGE_RECLAIM of the GCTX page fails after a good DECOMMISSION: the
 * GCTX page stays Firmware and is leaked; the VMSA (mutable) goes back. */
static void test_fw_reclaim_fails(void **state)
{
	struct fw_guest f;
	u64 free0;

	(void)state;
	fw_env();
	free0 = pmem_free_pages();
	assert_int_equal(fw_launch(&f, 0), 0);
	model.fail_cmd = SEV_CMD_SNP_PAGE_RECLAIM;
	model.fail_status = SEV_RET_INVALID_PAGE_STATE;
	assert_int_equal(snp_launch_teardown(&f.l, &f.vmsa, 1), -EIO);
	assert_true(f.l.decommissioned);
	assert_int_equal(gmem_destroy(&f.g), 0);
	assert_int_equal(snp_page_put(&env_rmp, f.vmsa, f.owner, f.g.own_leak), 0);
	assert_int_equal(snp_page_put(&env_rmp, f.gctx, f.owner, f.g.own_leak), 1);
	assert_int_equal(pmem_owner_of(f.gctx), f.g.own_leak);
	assert_int_equal(pmem_owner_pages(f.owner), 0);
	assert_int_equal(pmem_free_pages(), free0 - 1);
	assert_no_silent_loss(&f);
	/* a good teardown after all: nothing leaked, the GCTX back too */
}

/* LAUNCH_UPDATE fails on the 5th page of a fill: the 4 launched pages are
 * Guest-Valid (mutable) and go back with an RMPUPDATE (the firmware would
 * refuse to reclaim them), the failing one was reclaimed: no page lost,
 * nothing leaked. Then the whole teardown succeeds. */
static void test_fw_launch_update_fails(void **state)
{
	struct fw_guest f;
	u64 free0;

	(void)state;
	fw_env();
	free0 = pmem_free_pages();
	assert_int_equal(fw_launch(&f, 5), -EIO);
	assert_int_equal(f.g.st.leaked_pages, 0);
	assert_int_equal(pmem_owner_pages(f.g.own_mem), 0);
	assert_int_equal(check1(&f.g), 0);
	assert_int_equal(snp_launch_teardown(&f.l, NULL, 0), 0);
	assert_int_equal(gmem_destroy(&f.g), 0);
	assert_int_equal(snp_page_put(&env_rmp, f.gctx, f.owner, f.g.own_leak), 0);
	assert_int_equal(pmem_owner_pages(f.g.own_leak), 0);
	assert_int_equal(pmem_free_pages(), free0);
	assert_no_silent_loss(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_destroy_enomem_sweep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_enomem_sweep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_rmp_failure_leaks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_destroy_rmp_failure_leaks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fw_decommission_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fw_reclaim_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fw_launch_update_fails, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
