/* Guest memory from gmem: the only way guests get memory (architecture.md).
 *
 * guest_mem_gmem (struct guest_mem_ops) backs a guest with hv/core/gmem.c: every
 * frame comes from gmem, every NPT and IOMMU-domain mapping is made by gmem's
 * transactions and checked by hv/core/xcheck.
 *
 * A plain guest (snp = off) is populated shared and its image copied in.
 * An SNP guest is launched through the PSP (snp/launch.c; the firmware model
 * under QEMU) in the measured order of docs/measure.md:
 *   [0, 0x1000)            private, not validated (the guest PVALIDATEs it)
 *   [0x1000, 0x2000)       the boot-params page, SNP_LAUNCH_UPDATE UNMEASURED
 *   [0x2000, 0x8000)       the boot page tables (hv/svm/vmsa.h SNP_BOOT_PT_GPA:
 *                          identity map of [0, 4 GiB), 2M pages), NORMAL
 *   [0x8000, 0x9000)       the secrets page (snp/guest_msg.h SNP_SECRETS_GPA),
 *                          SNP_LAUNCH_UPDATE SECRETS: the firmware writes
 *                          the VMPCKs the guest's attestation requests use
 *   [0x9000, load)         private, not validated
 *   [load, file end)       the image file, SNP_LAUNCH_UPDATE NORMAL, 4K pages
 *   [file end, image end)  .bss and stack up to the image header's memory
 *                          size (snp/measure.h struct snp_image_hdr),
 *                          SNP_LAUNCH_UPDATE ZERO: validated before the
 *                          guest's first write to them
 *   [image end, memory)    private, not validated, 2M pages where aligned
 *   the vCPU's VMSA (hv/svm/vmsa.c: the guest's 64-bit boot state, RIP = entry +
 *   SNP_ENTRY64_OFFSET, CR3 = SNP_BOOT_PT_GPA), SNP_LAUNCH_UPDATE
 *   VMSA, on a frame that is not 2M aligned (SNP erratum)
 * then SNP_LAUNCH_FINISH. The hypervisor measures the same pages itself
 * (snp/measure.c) and checks that the firmware's digest equals its own; it
 * prints the digest as "@@ DIGEST <guest> <hex>" so that the test runner can
 * compare it with tools/snp-measure (--page-tables and --vmsa-boot64 build the
 * same pages). The emulation runs the guest from a plain VMCB whose state
 * equals the launched VMSA (hv/svm/vcpu.c vmcb_load_vmsa; tests/unit/test_vmsa.c); on
 * hardware the VMCB points at the VMSA (hv/svm/sev_vmcb.c, guest_gmem_vmsa).
 *
 * The SNP backend of hv/svm/snp_guest.c (snp_gmem_backend) sends page-state
 * changes to gmem_convert_batch: one invalidation round per request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/svm/cpuid.h"
#include "hv/core/gmem.h"
#include "hv/svm/guest.h"
#include "hv/vm/guest_gmem.h"
#include "hv/arch/x86/machine.h"
#include "hv/abi/hypercall.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/mm/pmem.h"
#include "hv/base/report.h"
#include "hv/svm/snp_guest.h"
#include "snp/platform.h"
#include "hv/svm/svm.h"
#include "snp/guest_msg.h"
#include "snp/launch.h"
#include "snp/measure.h"
#include "snp/rmp.h"
#include "snp/sev_fw.h"
#include "hv/svm/vmsa.h"
#include "hv/vm/guest_linux.h"
#include "hv/vm/linux_snp.h"
#include "hv/core/xcheck.h"

/* SNP guest policy: SMT allowed, bit 17 must be one (SNP ABI 56860, 4.3). */
#define GUEST_SNP_POLICY (SNP_POLICY_RSVD_MBO | SNP_POLICY_SMT)

struct gg {
	struct gmem gm;
	struct guest *g;
	/* SNP launch */
	struct snp_launch launch;
	bool launched;
	spa_t gctx;
	spa_t vmsa;		/* the vCPU's launched VMSA page (0: none) */
	struct snp_measure own; /* the hypervisor's own measurement */
	const u8 *src;		/* contents of the page being launched */
	u64 src_len;
	enum snp_page_type type;
	u64 launch_base;    /* GPA of src[0] */
	u8 page[PAGE_SIZE]; /* scratch: the VMSA being built */
	u64 pages_launched;
	spa_t greq[2];	 /* SNP_GUEST_REQUEST request and response pages (0: not yet) */
	u32 cpuid_fixed; /* CPUID page values the firmware corrected (refused page) */
};

static struct gg *gg_of(struct guest *g)
{
	return g->mem_priv;
}

/* Live guests, for the cross-guest checks (I4, I5: no page in two guests). */
static struct gg *live[CFG_MAX_GUESTS];

static void live_add(struct gg *x)
{
	for (unsigned i = 0; i < CFG_MAX_GUESTS; i++)
		if (!live[i]) {
			live[i] = x;
			return;
		}
}

static void live_del(struct gg *x)
{
	for (unsigned i = 0; i < CFG_MAX_GUESTS; i++)
		if (live[i] == x)
			live[i] = NULL;
}

/* gmem asks for a TLB flush of the guest's ASID. The only CPU is in the
 * hypervisor while gmem runs, so the flush is requested for the next VMRUN
 * of the guest's vCPU (TLB_CONTROL, APM vol 2, 15.16.1), before which the
 * guest cannot touch memory: the flush is complete when this returns, as
 * far as the guest can observe. QEMU has no flush-by-ASID: flush all. */
static int flush_asid(void *ctx, u32 asid)
{
	struct guest *g = ctx;

	if (g->vcpu && g->vcpu->vmcb)
		g->vcpu->vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	return 0;
}

/* ---- SNP launch as a gmem fill ------------------------------------------------------ */

/* The firmware refused the CPUID page and returned the corrected one (56860
 * "CPUID Reporting"): name every entry it changed. */
static void cpuid_refused(struct gg *x, const struct snp_cpuid_table *fixed,
			  const struct snp_cpuid_table *sent)
{
	static const char *const reg[4] = {"eax", "ebx", "ecx", "edx"};

	for (u32 k = 0; k < sent->count && k < SNP_CPUID_COUNT_MAX; k++) {
		const u32 a[4] = {sent->fn[k].eax, sent->fn[k].ebx, sent->fn[k].ecx,
				  sent->fn[k].edx};
		const u32 b[4] = {fixed->fn[k].eax, fixed->fn[k].ebx, fixed->fn[k].ecx,
				  fixed->fn[k].edx};

		for (int r = 0; r < 4; r++) {
			if (a[r] == b[r])
				continue;
			x->cpuid_fixed++;
			pr_err("guest %s: CPUID page refused by the firmware: leaf 0x%x.%u %s "
			       "0x%08x is outside the platform's policy, corrected to 0x%08x\n",
			       x->g->name, sent->fn[k].eax_in, sent->fn[k].ecx_in, reg[r], a[r],
			       b[r]);
		}
	}
}

static int launch_assign(void *ctx, spa_t pa, gpa_t where)
{
	struct gg *x = ctx;
	u64 off = 0;
	const u8 *src = NULL;
	size_t len = 0;
	u8 page[PAGE_SIZE];
	int ret;

	if (x->type == SNP_PAGE_TYPE_NORMAL || x->type == SNP_PAGE_TYPE_UNMEASURED ||
	    x->type == SNP_PAGE_TYPE_CPUID) {
		off = (gpa_val(where) & PAGE_MASK) - x->launch_base;
		src = x->src + off;
		len = off < x->src_len ? MIN(x->src_len - off, PAGE_SIZE) : 0;
	}
	ret = snp_launch_page(&x->launch, pa, gpa_val(where), x->type, src, len, 0, 0, 0);
	if (ret && x->type == SNP_PAGE_TYPE_CPUID && src)
		cpuid_refused(x, phys_ptr(pa), (const void *)src);
	if (ret) {
		pr_err("guest %s: SNP_LAUNCH_UPDATE of GPA 0x%llx failed (%d, firmware 0x%x)\n",
		       x->g->name, (unsigned long long)gpa_val(where), ret, x->launch.fw_error);
		return ret;
	}
	memset(page, 0, sizeof(page));
	if (len)
		memcpy(page, src, len);
	snp_measure_page(&x->own, gpa_val(where), x->type,
			 x->type == SNP_PAGE_TYPE_NORMAL ? page : NULL, 0, 0, 0, 0);
	x->pages_launched++;
	return 0;
}

/* A launched page of a request that failed later: Guest-Valid pages are
 * mutable (RMPUPDATE), only Pre-Guest ones need SNP_PAGE_RECLAIM. gmem
 * leaks the frame on purpose if its RMP entry is still assigned after this. */
static void launch_unassign(void *ctx, spa_t pa)
{
	struct gg *x = ctx;
	int ret = snp_launch_unassign(&x->launch, pa);

	if (ret)
		pr_err("guest %s: giving launch page 0x%llx back failed (%d, firmware 0x%x)\n",
		       x->g->name, (unsigned long long)spa_val(pa), ret, x->launch.fw_error);
}

static int populate_private(struct gg *x, u64 a, u64 b)
{
	return b > a ? gmem_populate(&x->gm, gpa(a), b - a, GMEM_PRIVATE) : 0;
}

static int launch_range(struct gg *x, u64 a, u64 len, enum snp_page_type type, const void *src,
			u64 src_len)
{
	const struct gmem_fill fill = {launch_assign, launch_unassign, x};

	x->type = type;
	x->src = src;
	x->src_len = src_len;
	x->launch_base = a;
	return gmem_populate_fill(&x->gm, gpa(a), ALIGN_UP(len, PAGE_SIZE), GMEM_PRIVATE, &fill);
}

/* The vCPU's VMSA: the boot state of docs/guest-abi.md, SNP active. The
 * frame must not be 2M aligned (erratum, snp-facts.md): a 2M-aligned frame
 * is kept aside while another one is taken. */
static int launch_vmsa(struct gg *x, const void *page)
{
	struct guest *g = x->g;
	spa_t pa, aligned = spa(0);
	int ret;

	ret = pmem_alloc(PMEM_ORDER_4K, g->owner, &pa);
	if (!ret && IS_ALIGNED(spa_val(pa), HUGE_SIZE)) {
		aligned = pa;
		ret = pmem_alloc(PMEM_ORDER_4K, g->owner, &pa);
	}
	if (spa_val(aligned))
		pmem_free(aligned, PMEM_ORDER_4K, g->owner);
	if (ret)
		return ret;
	if (page)
		memcpy(x->page, page, PAGE_SIZE);
	else
		vmsa_page_build_boot64(x->page, gpa_val(g->entry), GUEST_BOOT_PARAMS_GPA,
				       SVM_SEV_FEAT_SNP_ACTIVE);
	ret = snp_launch_vmsa(&x->launch, pa, x->page);
	if (ret) {
		pr_err("guest %s: SNP_LAUNCH_UPDATE of the VMSA failed (%d, firmware 0x%x)\n",
		       g->name, ret, x->launch.fw_error);
		pmem_free(pa, PMEM_ORDER_4K, g->owner);
		return ret;
	}
	x->vmsa = pa;
	snp_measure_page(&x->own, 0, SNP_PAGE_TYPE_VMSA, x->page, 0, 0, 0, 0);
	x->pages_launched++;
	return 0;
}

static void print_digest(struct guest *g, const u8 d[48], const char *what)
{
	char hex[97];

	for (int i = 0; i < 48; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	pr_info("guest %s: launch digest (%s) %s\n", g->name, what, hex);
	memcpy(g->mem.digest, hex, sizeof(hex));
	if (!strcmp(what, "firmware"))
		printf("@@ DIGEST %s %s\n", g->name, hex);
}

/* An SNP image must carry the header (docs/guest-abi.md "Image header") and
 * its memory (file, .bss, stack) must fit between load and the end of guest
 * RAM: checked before anything is allocated, so a refused guest leaves
 * nothing behind. 0 and *mem_size (bytes from load), or -ENOEXEC/-EINVAL. */
static int snp_image_check(struct guest *g, const void *image, u64 image_size, u64 *mem_size)
{
	const char *img = g->cfg ? g->cfg->image : "?", *why;
	u64 load = gpa_val(g->load);
	int ret = snp_image_parse(image, image_size, mem_size, &why);

	if (ret) {
		pr_err("guest %s: image %s cannot run as an SNP guest: %s (docs/guest-abi.md, "
		       "\"Image header\")\n",
		       g->name, img, why);
		return ret;
	}
	if (load + ALIGN_UP(*mem_size, PAGE_SIZE) > g->mem_size) {
		pr_err("guest %s: image %s needs 0x%llx bytes (file, .bss and stack) at 0x%llx: "
		       "more than its %llu MiB of memory\n",
		       g->name, img, (unsigned long long)*mem_size, (unsigned long long)load,
		       (unsigned long long)(g->mem_size >> 20));
		return -EINVAL;
	}
	return 0;
}

static int launch_end(struct gg *x, int ret);

/* Launch start: the GCTX page, SNP_LAUNCH_START + ACTIVATE. */
static int launch_start(struct gg *x)
{
	struct guest *g = x->g;
	int ret = pmem_alloc(PMEM_ORDER_4K, g->owner, &x->gctx);

	if (ret)
		return ret;
	ret = snp_launch_begin(&x->launch, &g->plat->psp, &g->plat->rmp, x->gctx, g->asid,
			       GUEST_SNP_POLICY);
	if (ret) {
		pr_err("guest %s: SNP launch start failed (%d, firmware 0x%x)\n", g->name, ret,
		       x->launch.fw_error);
		return ret;
	}
	x->launched = true;
	snp_measure_init(&x->own);
	return 0;
}

static int linux_range(void *ctx, const struct linux_snp_seg *r)
{
	struct gg *x = ctx;

	if (r->type == LINUX_SNP_HOLE)
		return populate_private(x, r->gpa, r->gpa + r->len);
	return launch_range(x, r->gpa, r->len, (enum snp_page_type)r->type, r->src, r->src_len);
}

/* An SNP Linux guest (docs/linux.md "Linux as an SNP guest"): the layout of
 * hv/vm/linux_snp.c, every e820 RAM page launched (measured contents, ZERO
 * or the CPUID/secrets types), holes private and not validated, then the
 * VMSA with Linux's entry state. tools/snp-measure --linux walks the same
 * layout. */
static int snp_launch_linux(struct gg *x)
{
	struct guest *g = x->g;
	struct linux_snp_layout *L;
	/* the whole 4 KiB page the launch measures from (linux_snp.c adds
	 * PAGE_SIZE bytes): the table is 3088 bytes, the rest stays zero */
	static union {
		struct snp_cpuid_table t;
		u8 page[PAGE_SIZE];
	} cpuid;
	char why[96] = "";
	int ret;

	guest_linux_cpuid_page(g, &cpuid.t);
	ret = guest_linux_snp_layout(g, cpuid.page, guest_cbit_pos, &L, why);
	if (ret) {
		pr_err("guest %s: SNP launch layout: %s\n", g->name, why);
		guest_linux_snp_done(g);
		return ret;
	}
	ret = launch_start(x);
	if (!ret)
		ret = linux_snp_walk(L, linux_range, x);
	if (!ret)
		ret = launch_vmsa(x, L->vmsa);
	guest_linux_snp_done(g);
	if (ret && x->launch.fw_error) {
		pr_err("guest %s: not started: the SNP firmware refused the launch (status 0x%x)\n",
		       g->name, x->launch.fw_error);
		/* the reason in the guest's outcome (the first one given stays) */
		if (x->cpuid_fixed)
			guest_finish(g, GUEST_KILLED,
				     "SNP launch refused by the firmware (status 0x%x): CPUID page "
				     "with %u value(s) outside the platform's policy",
				     x->launch.fw_error, x->cpuid_fixed);
		else
			guest_finish(g, GUEST_KILLED,
				     "SNP launch refused by the firmware (status 0x%x)",
				     x->launch.fw_error);
	}
	return launch_end(x, ret);
}

static int snp_launch_guest(struct gg *x, const void *image, u64 image_size, u64 mem_size)
{
	struct guest *g = x->g;
	u64 load = gpa_val(g->load), file_end = ALIGN_UP(load + image_size, PAGE_SIZE),
	    img_end = ALIGN_UP(load + mem_size, PAGE_SIZE);
	struct hc_info info;
	static u8 tables[SNP_BOOT_PT_PAGES * PAGE_SIZE];
	int ret;

	_Static_assert(SNP_SECRETS_GPA == SNP_BOOT_PT_END, "secrets page after the page tables");
	if (load < SNP_GUEST_LOAD_MIN) {
		pr_err("guest %s: an SNP guest's image must load at or above 0x%llx (boot page "
		       "tables and secrets page, docs/guest-abi.md)\n",
		       g->name, (unsigned long long)SNP_GUEST_LOAD_MIN);
		return -EINVAL;
	}
	snp_boot_tables_build(tables, guest_cbit_pos);
	ret = launch_start(x);
	if (ret)
		return ret;
	guest_fill_info(g, &info);
	ret = populate_private(x, 0, GUEST_BOOT_PARAMS_GPA);
	if (!ret)
		ret = launch_range(x, GUEST_BOOT_PARAMS_GPA, PAGE_SIZE, SNP_PAGE_TYPE_UNMEASURED,
				   &info, sizeof(info));
	if (!ret)
		ret = launch_range(x, SNP_BOOT_PT_GPA, sizeof(tables), SNP_PAGE_TYPE_NORMAL, tables,
				   sizeof(tables));
	if (!ret)
		ret = launch_range(x, SNP_SECRETS_GPA, PAGE_SIZE, SNP_PAGE_TYPE_SECRETS, NULL, 0);
	if (!ret)
		ret = populate_private(x, SNP_GUEST_LOAD_MIN, load);
	if (!ret)
		ret = launch_range(x, load, image_size, SNP_PAGE_TYPE_NORMAL, image, image_size);
	if (!ret && img_end > file_end)
		ret = launch_range(x, file_end, img_end - file_end, SNP_PAGE_TYPE_ZERO, NULL, 0);
	if (!ret)
		ret = populate_private(x, img_end, g->mem_size);
	if (!ret)
		ret = launch_vmsa(x, NULL);
	return launch_end(x, ret);
}

/* SNP_LAUNCH_FINISH and the digest check, after the VMSA (ret: so far). */
static int launch_end(struct gg *x, int ret)
{
	struct guest *g = x->g;
	struct psp_model_guest_info fw;
	char name[CFG_NAME_MAX + 24];

	if (!ret)
		ret = snp_launch_finish(&x->launch, (const u8[32]){0});
	if (ret) {
		pr_err("guest %s: SNP launch failed (%d, firmware 0x%x)\n", g->name, ret,
		       x->launch.fw_error);
		return ret;
	}
	if (g->plat->hardware) {
		/* The real firmware's digest is only readable from an attestation
		 * report, which the guest requests (SNP_GUEST_REQUEST, encrypted
		 * with its VMPCK0) and hands back (HC_SNP_ATTESTED): print our
		 * own, the guest's report is checked against it. */
		print_digest(g, x->own.digest, "hypervisor");
		return 0;
	}
	ret = psp_model_guest_info(&g->plat->model, x->gctx, &fw);
	if (ret)
		return ret;
	print_digest(g, fw.digest.digest, "firmware");
	snprintf(name, sizeof(name), "snp.%s.digest", g->name);
	report_check(!memcmp(fw.digest.digest, x->own.digest, sizeof(x->own.digest)) &&
			 fw.pages_launched == x->pages_launched,
		     name, "firmware and hypervisor measurements agree over %llu launched pages",
		     (unsigned long long)x->pages_launched);
	return 0;
}

/* ---- guest_mem_ops ----------------------------------------------------------------- */

/* Gives one of the guest's own SNP pages (GCTX, VMSA, request pages) back,
 * or keeps it as leaked when its RMP entry is not hypervisor-owned. */
static void put_page(struct gg *x, spa_t pa, const char *what)
{
	struct guest *g = x->g;
	int rc;

	if (!spa_val(pa) || pmem_owner_of(pa) != g->owner)
		return; /* never allocated, or not one the guest still holds */
	rc = snp_page_put(x->gm.rmp, pa, g->owner, x->gm.own_leak);
	if (rc == 1)
		g->mem.leaked_pages++;
	else if (rc < 0)
		pr_err("guest %s: giving back its %s page 0x%llx failed (%d)\n", g->name, what,
		       (unsigned long long)spa_val(pa), rc);
}

static void gg_destroy(struct guest *g)
{
	struct gg *x = gg_of(g);
	int ret;

	if (!x)
		return;
	live_del(x);
	if (x->launched) {
		/* DECOMMISSION first: then every page may go back (snp/launch.h);
		 * the VMSA page is reclaimed with it. A page the firmware still
		 * holds afterwards is leaked on purpose below, never freed. */
		ret = snp_launch_teardown(&x->launch, spa_val(x->vmsa) ? &x->vmsa : NULL,
					  spa_val(x->vmsa) ? 1 : 0);
		if (ret)
			pr_err("guest %s: SNP teardown failed (%d, firmware 0x%x): pages the "
			       "firmware still holds are leaked on purpose\n",
			       g->name, ret, x->launch.fw_error);
		x->launched = false;
	}
	if (x->gm.ready) {
		ret = gmem_destroy(&x->gm);
		if (ret)
			pr_err("guest %s: memory teardown incomplete (%d): %llu pages leaked on "
			       "purpose as %s\n",
			       g->name, ret, (unsigned long long)x->gm.st.leaked_pages,
			       pmem_owner_name(x->gm.own_leak));
		g->mem.leaked_pages = x->gm.st.leaked_pages;
	}
	put_page(x, x->gctx, "GCTX");
	put_page(x, x->vmsa, "VMSA");
	for (int k = 0; k < 2; k++)
		put_page(x, x->greq[k], "guest-request");
	free(x);
	g->mem_priv = NULL;
}

static int gg_create(struct guest *g, const void *image, u64 image_size)
{
	struct gmem_params p = {
	    .name = g->name,
	    .asid = g->asid,
	    .mem_size = g->mem_size,
	    .max_page = g->cfg && g->cfg->page_size == PAGE_SIZE ? PAGE_SIZE : HUGE_SIZE,
	    .rmp = g->snp ? &g->plat->rmp : NULL,
	    .iommu_mode =
		hv.cfg.iommu_mode == CFG_IOMMU_SHARED ? GMEM_IOMMU_SHARED : GMEM_IOMMU_DUPLICATED,
	    .check = hv.cfg.xcheck == CFG_XCHECK_ALWAYS ? xcheck_gmem_op : NULL,
	    .flush_asid = flush_asid,
	    .flush_ctx = g,
	};
	struct gg *x;
	u64 mem_size = 0;
	int ret;

	if (g->snp && !g->plat->enabled) {
		pr_err("guest %s: snp = on but the SNP platform is not up (hv.cfg [hv] snp)\n",
		       g->name);
		return -ENODEV;
	}
	if (g->snp && !g->is_linux) {
		ret = snp_image_check(g, image, image_size, &mem_size);
		if (ret)
			return ret;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->g = g;
	g->mem_priv = x;
	ret = gmem_init(&x->gm, &p);
	if (ret)
		goto fail;
	live_add(x);
	g->npt_root = pt_root(&x->gm.npt);
	if (g->snp) {
		ret = g->is_linux ? snp_launch_linux(x)
				  : snp_launch_guest(x, image, image_size, mem_size);
		g->mem_loaded = true;
	} else {
		ret = gmem_populate(&x->gm, gpa(0), g->mem_size, GMEM_SHARED);
	}
	if (ret)
		goto fail;
	return 0;
fail:
	gg_destroy(g);
	return ret;
}

static int gg_translate(struct guest *g, gpa_t a, spa_t *out, u64 *contig)
{
	struct gg *x = gg_of(g);
	struct gmem_rec r;

	if (!x || gmem_lookup(&x->gm, a, &r))
		return -EFAULT;
	*out = spa_add(r.spa, gpa_val(a) - gpa_val(r.gpa));
	*contig = gpa_val(r.gpa) + r.size - gpa_val(a);
	return 0;
}

/* RMP entries assigned to the guest's ASID, over its ledger records (cost
 * grows with the guest's memory, not with RAM). */
static void count_rmp(struct gg *x, u64 *n4k, u64 *n2m)
{
	struct rmp_info info;
	struct gmem_rec r;

	*n4k = *n2m = 0;
	if (!x->gm.rmp)
		return;
	for (u64 a = 0; a < x->gm.mem_size; a += r.size) {
		spa_t epa;

		if (gmem_lookup(&x->gm, gpa(a), &r)) {
			r.size = PAGE_SIZE;
			continue;
		}
		if (rmp_lookup(x->gm.rmp, r.spa, &info, &epa) || !info.assigned ||
		    info.asid != x->g->asid)
			continue;
		if (info.pagesize == RMP_PG_SIZE_2M && r.size == HUGE_SIZE)
			(*n2m)++;
		else
			(*n4k)++;
	}
}

static void gg_report(struct guest *g)
{
	struct gg *x = gg_of(g);
	const struct gmem_stats *s;
	struct guest_mem_summary *m = &g->mem;
	char name[CFG_NAME_MAX + 24];
	int chk;

	if (!x || !x->gm.ready)
		return;
	s = &x->gm.st;
	chk = xcheck_gmem(&x->gm);
	m->valid = true;
	m->private_pages = s->private_pages;
	m->shared_pages = s->shared_pages;
	m->npt_tables = pt_table_pages(&x->gm.npt);
	m->iommu_tables = gmem_iommu_table_pages(&x->gm);
	m->conversions = s->conversions;
	m->inv_rounds = s->inv_rounds;
	m->xcheck_runs = s->xcheck_runs + 1;
	m->xcheck_clean = chk == 0 && s->xcheck_failures == 0;
	count_rmp(x, &m->rmp_4k, &m->rmp_2m);
	pr_info(
	    "guest %s memory: %llu private + %llu shared pages, NPT %llu table pages, IOMMU %llu "
	    "table pages, %llu conversions in %llu invalidation rounds, checker %s\n",
	    g->name, (unsigned long long)s->private_pages, (unsigned long long)s->shared_pages,
	    (unsigned long long)pt_table_pages(&x->gm.npt),
	    (unsigned long long)gmem_iommu_table_pages(&x->gm), (unsigned long long)s->conversions,
	    (unsigned long long)s->inv_rounds, chk ? "VIOLATIONS" : "clean");
	/* Totals for expect-metric: 4K pages converted, invalidation rounds,
	 * 2M private records split (PSMASH; tests/qemu/linux-snp-nvme*.cfg) */
	snprintf(name, sizeof(name), "gmem.%s.conversions", g->name);
	report_metric(name, s->conversions, "pages");
	snprintf(name, sizeof(name), "gmem.%s.inv_rounds", g->name);
	report_metric(name, s->inv_rounds, "rounds");
	snprintf(name, sizeof(name), "gmem.%s.psmash", g->name);
	report_metric(name, s->psmash, "splits");
	snprintf(name, sizeof(name), "xcheck.%s", g->name);
	report_check(chk == 0, name,
		     "I1-I7 over RMP, NPT, IOMMU and the ledger (%llu runs, %llu failed)",
		     (unsigned long long)s->xcheck_runs, (unsigned long long)s->xcheck_failures);
}

const struct guest_mem_ops guest_mem_gmem = {
    .name = "gmem",
    .create = gg_create,
    .destroy = gg_destroy,
    .translate = gg_translate,
    .fault = NULL,
    .report = gg_report,
};

struct gmem *guest_gmem(struct guest *g)
{
	struct gg *x = g->mem_ops == &guest_mem_gmem ? gg_of(g) : NULL;

	return x ? &x->gm : NULL;
}

spa_t guest_gmem_vmsa(struct guest *g)
{
	struct gg *x = g->mem_ops == &guest_mem_gmem ? gg_of(g) : NULL;

	return x ? x->vmsa : spa(0);
}

int guest_gmem_xcheck_all(const char *when)
{
	const struct gmem *gs[CFG_MAX_GUESTS];
	struct xcheck_report *rep;
	unsigned n = 0;
	int ret;

	for (unsigned i = 0; i < CFG_MAX_GUESTS; i++)
		if (live[i] && live[i]->gm.ready)
			gs[n++] = &live[i]->gm;
	if (!n)
		return 0;
	rep = malloc(sizeof(*rep));
	if (!rep) {
		report_check(false, "xcheck.all_guests", "%s: no heap for the report (%zu bytes)",
			     when, sizeof(*rep));
		return -ENOMEM;
	}
	ret = xcheck_run(gs, n, rep);
	if (ret)
		pr_err("xcheck: all guests (%s): the checker failed (%d)\n", when, ret);
	if (ret || rep->total)
		xcheck_print(rep);
	report_check(
	    ret == 0 && rep->total == 0, "xcheck.all_guests",
	    "%s: %u guests, %llu leaves, %llu table pages, %llu KiB mapped, %llu violations", when,
	    n, (unsigned long long)rep->leaves, (unsigned long long)rep->tables,
	    (unsigned long long)(rep->mapped_bytes >> 10), (unsigned long long)rep->total);
	ret = rep->total ? -EIO : ret;
	free(rep);
	return ret;
}

/* ---- SNP backend: page-state changes through gmem ------------------------------------ */

static struct rmp *sb_rmp(struct guest *g)
{
	return g->plat->enabled ? &g->plat->rmp : NULL;
}

static int sb_psc(struct guest *g, const struct gmem_range *r, unsigned n)
{
	struct gmem *gm = guest_gmem(g);

	return gm ? gmem_convert_batch(gm, r, n) : -ENODEV;
}

/* A 4K PVALIDATE hit a 2M RMP entry (#NPF with SIZEM on hardware): split the
 * record, RMP (PSMASH), NPT and IOMMU alike, in one gmem transaction. */
static int sb_split(struct guest *g, gpa_t where)
{
	struct gmem *gm = guest_gmem(g);

	return gm ? gmem_split(gm, where) : -ENODEV;
}

static int sb_is_shared(struct guest *g, gpa_t where)
{
	struct gmem *gm = guest_gmem(g);
	struct gmem_rec r;

	if (!gm || gmem_lookup(gm, where, &r))
		return -EFAULT;
	return r.priv ? -EPERM : 0;
}

/* SNP_GUEST_REQUEST for the guest's context: req (4K, the guest's
 * ciphertext) goes to a hypervisor page, the response page is made Firmware
 * for the command and reclaimed (snp/launch.c snp_guest_request). */
static int sb_guest_request(struct guest *g, const void *req, void *resp, u32 *fw_error)
{
	struct gg *x = g->mem_ops == &guest_mem_gmem ? gg_of(g) : NULL;
	int ret;

	*fw_error = 0;
	if (!x || !x->launched || !x->launch.finished)
		return -ENODEV;
	for (int k = 0; k < 2; k++) {
		if (!spa_val(x->greq[k])) {
			ret = pmem_alloc(PMEM_ORDER_4K, g->owner, &x->greq[k]);
			if (ret)
				return ret;
		}
	}
	memcpy(phys_ptr(x->greq[0]), req, PAGE_SIZE);
	ret = snp_guest_request(&g->plat->psp, &g->plat->rmp, x->gctx, x->greq[0], x->greq[1],
				fw_error);
	if (!ret)
		memcpy(resp, phys_ptr(x->greq[1]), PAGE_SIZE);
	return ret;
}

static int sb_check(struct guest *g)
{
	struct gmem *gm = guest_gmem(g);

	return gm ? xcheck_gmem(gm) : -ENODEV;
}

/* FNV-1a over the ledger: equal before and after a rejected request. */
static u64 sb_fingerprint(struct guest *g)
{
	struct gmem *gm = guest_gmem(g);
	u64 h = 0xcbf29ce484222325ULL;

	if (!gm)
		return 0;
	for (u64 i = 0; i < gm->nr_slots; i++) {
		h ^= gm->ledger[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

const struct snp_backend snp_gmem_backend = {
    .name = "gmem",
    .rmp = sb_rmp,
    .psc = sb_psc,
    .split = sb_split,
    .is_shared = sb_is_shared,
    .check = sb_check,
    .fingerprint = sb_fingerprint,
    .guest_request = sb_guest_request,
    .fini = NULL,
};
