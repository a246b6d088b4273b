/* libFuzzer target for the hypervisor side of the GHCB (hv/svm/snp_guest.c):
 * an SNP guest whose memory is a real gmem (RMP model, NPT, a trusted and an
 * untrusted IOMMU domain) sends any sequence of VMGEXITs: GHCB pages with any
 * contents and exit code (CPUID, MSR, IOIO, VMMCALL, PSC, guest request, HV
 * features, termination, unknown codes), MSR-protocol values (raw or built),
 * PSC requests, RMP #NPFs and PVALIDATE #UDs. The backend is the one of
 * hv/vm/guest_gmem.c rebuilt over the fuzzer's gmem: page-state changes are
 * gmem_convert_batch, splits gmem_split, "shared" is the ledger's word.
 *
 * After setup (the same state for every input: built once, then put back
 * from a snapshot, see below): the full checker (I1-I7), on the first input. After every exit: the
 * incremental checker over what the exit could have touched in gmem (the ranges the hypervisor
 * passed to the backend's page-state change and split, the GPA of an #NPF or a PVALIDATE, each
 * widened to whole 2M records, plus the spans gmem reports; the full checker when gmem reports
 * none; none when the exit reached neither gmem nor the RMP), pmem's accounting matches gmem's
 * ledger, snp_guest.c's own checks (a refused page-state change left the ledger's fingerprint
 * unchanged) counted no failure, and a page the hypervisor wrote is shared. At the end of the input
 * the full checker again (the backend's check when the guest ends), then the guest is torn down and
 * every frame is back in pmem (docs/fuzzing.md), before the snapshot is put back. Any error answer
 * to the guest is fine; a crash, a sanitizer report or one of these checks failing is a bug. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/arch/host/host_env.h"
#include "tests/fuzz/fuzz_common.h"
#include "hv/arch/x86/msr.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "hv/core/gmem.h"
#include "hv/core/xcheck.h"
#include "hv/mm/pmem.h"
#include "hv/svm/guest.h"
#include "hv/svm/snp_guest.h"
#include "hv/svm/svm.h"
#include "hv/svm/vcpu.h"
#undef MSR_AMD64_SEV_ES_GHCB
#include "snp/ghcb.h"
#include "snp/guest_msg.h"
#include "snp/rmp.h"

#define WIN_BASE (2ULL << 20)
#define WIN_SIZE (14ULL << 20)
#define RMP_AREA (128ULL << 10)
#define MEM_SIZE (4ULL << 20) /* [0, 2M) private, [2M, 4M) shared at the start */
#define GHCB_GPA 0xa000ULL
#define ASID	 5
#define MAX_OPS	 24

static u8 *win;
static struct rmp rmp;
static struct gmem gm;
static struct vmcb vmcb;
static struct vcpu vcpu;
static struct guest guest;
static struct cfg_guest gcfg;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_ghcb: %s\n", what);
	abort();
}

/* ---- the backend of hv/vm/guest_gmem.c, over this gmem ---- */

/* What the current exit touched in gmem (GPA spans, whole 2M records) and
 * `full` when gmem reported an operation without spans. */
#define MAX_SPANS 64
static struct gmem_span tspan[MAX_SPANS];
static unsigned ntspan;
static bool tfull;

static void touch(u64 a, u64 len)
{
	u64 b = MIN(ALIGN_UP(a + len, HUGE_SIZE), MEM_SIZE);

	a = ALIGN_DOWN(a, HUGE_SIZE);
	if (ntspan == MAX_SPANS)
		tfull = true;
	else if (a < b)
		tspan[ntspan++] = (struct gmem_span){a, b - a};
}

/* gmem's check callback: records the spans; the checker runs after the exit. */
static int rec_touched(void *ctx, struct gmem *g, const struct gmem_touched *t)
{
	if (!t)
		tfull = true;
	for (unsigned i = 0; t && i < t->n; i++)
		touch(t->span[i].gpa, t->span[i].size);
	return 0;
}

static struct rmp *be_rmp(struct guest *g)
{
	return &rmp;
}

static int be_psc(struct guest *g, const struct gmem_range *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		touch(gpa_val(r[i].gpa), r[i].size);
	return gmem_convert_batch(&gm, r, n);
}

static int be_split(struct guest *g, gpa_t a)
{
	touch(gpa_val(a), PAGE_SIZE);
	return gmem_split(&gm, a);
}

static int be_is_shared(struct guest *g, gpa_t a)
{
	struct gmem_rec r;

	if (gmem_lookup(&gm, a, &r))
		return -EFAULT;
	return r.priv ? -EPERM : 0;
}

static void check(bool full);

/* The backend's check when the guest ends (snp_guest_fini): the harness's
 * full check, which dies on a violation (the end-of-input check). */
static int be_check(struct guest *g)
{
	check(true);
	return 0;
}

static u64 be_fingerprint(struct guest *g)
{
	u64 h = 0xcbf29ce484222325ULL;

	for (u64 i = 0; i < gm.nr_slots; i++)
		h = (h ^ gm.ledger[i]) * 0x100000001b3ULL;
	return h;
}

/* The firmware is fuzz_guest_req's business: here a stand-in whose answer
 * the request's first byte picks (response, firmware error, hypervisor error). */
static int be_guest_request(struct guest *g, const void *req, void *resp, u32 *fw_error)
{
	const u8 *q = req;

	*fw_error = 0;
	switch (q[0] & 3) {
	case 0:
		memset(resp, q[1], PAGE_SIZE);
		return 0;
	case 1:
		*fw_error = q[1] | 1;
		return -EIO;
	case 2:
		return -ENOMEM;
	default:
		return -EIO; /* -EIO without a firmware status */
	}
}

static const struct snp_backend be = {
    .name = "fuzz-gmem",
    .rmp = be_rmp,
    .psc = be_psc,
    .split = be_split,
    .is_shared = be_is_shared,
    .check = be_check,
    .fingerprint = be_fingerprint,
    .guest_request = be_guest_request,
};

static int mem_translate(struct guest *g, gpa_t a, spa_t *out, u64 *contig)
{
	struct gmem_rec r;
	u64 off;

	if (gmem_lookup(&gm, a, &r))
		return -EFAULT;
	off = gpa_val(a) - gpa_val(r.gpa);
	*out = spa_add(r.spa, off);
	*contig = r.size - off;
	return 0;
}

static const struct guest_mem_ops mem_ops = {.name = "fuzz-gmem", .translate = mem_translate};

static void fake_host(u32 leaf, u32 sub, struct cpuid_res *r)
{
	memset(r, 0, sizeof(*r));
	if (leaf == 0x80000000)
		r->eax = 0x8000001f;
	if (leaf == 0x8000001f)
		r->eax = 0x1f, r->ebx = 51;
}

/* ---- the input ---- */

/* The guest's own view of a page (it may write any of its memory). */
static u8 *guest_page(u64 ga)
{
	spa_t pa;
	u64 contig;

	if (mem_translate(&guest, gpa(ga & PAGE_MASK), &pa, &contig))
		return NULL;
	return phys_ptr(pa);
}

static u64 cur_ghcb(void)
{
	struct snp_guest *s = snp_guest_of(&guest);

	return s && s->ghcb_registered ? s->ghcb_gpa : GHCB_GPA;
}

static const u64 nae_codes[] = {
    SVM_EXIT_CPUID,
    SVM_EXIT_MSR,
    SVM_EXIT_IOIO,
    SVM_EXIT_VMMCALL,
    SVM_VMGEXIT_PSC,
    SVM_VMGEXIT_GUEST_REQUEST,
    SVM_VMGEXIT_HV_FEATURES,
    SVM_VMGEXIT_TERM_REQUEST,
    SVM_VMGEXIT_MMIO_READ,
    SVM_VMGEXIT_AP_CREATION,
    SVM_VMGEXIT_EXT_GUEST_REQUEST,
    SVM_VMGEXIT_UNSUPPORTED_EVENT,
};

#define VB(gh, f) ghcb_set_field_valid((gh), GHCB_FIELD_BIT(f))

static bool nae_exit; /* the last exit was a GHCB-page NAE event */

static int vmgexit(u64 msr)
{
	nae_exit = !ghcb_msr_info(msr);
	vmcb.control.ghcb_gpa = msr;
	vmcb.control.exit_code = SVM_EXIT_VMGEXIT;
	return snp_handle_vmgexit(&vcpu);
}

/* A GHCB NAE event: header fields from the input, valid bits set for every
 * field unless the input clears them; the shared buffer keeps what earlier
 * ops wrote. */
static void op_nae(struct fuzz_in *in)
{
	u64 ga = cur_ghcb();
	struct ghcb *gh = (struct ghcb *)guest_page(ga);
	u8 sel = (u8)fuzz_take(in, 1), inval = (u8)fuzz_take(in, 1);

	if (!gh)
		return;
	memset(&gh->save, 0, sizeof(gh->save));
	gh->save.sw_exit_code = sel & 0x80
				    ? fuzz_take(in, 8)
				    : nae_codes[sel % (sizeof(nae_codes) / sizeof(nae_codes[0]))];
	gh->save.sw_exit_info_1 = fuzz_take(in, sel & 0x40 ? 8 : 1);
	gh->save.sw_exit_info_2 = fuzz_take(in, sel & 0x20 ? 8 : 1);
	gh->save.sw_scratch = ga + GHCB_SHARED_BUF_OFFSET + (s8)fuzz_take(in, 1) * 8;
	gh->save.rax = fuzz_take(in, sel & 0x10 ? 8 : 4);
	gh->save.rcx = fuzz_take(in, 4);
	gh->save.rdx = fuzz_take(in, 2);
	gh->save.rbx = fuzz_take(in, 2) << 12;
	gh->save.rsi = fuzz_take(in, 2);
	gh->save.cpl = inval & 0x80 ? 3 : 0;
	gh->ghcb_usage = inval & 0x40 ? (u32)fuzz_take(in, 1) : GHCB_USAGE_STANDARD;
	gh->protocol_version = GHCB_PROTOCOL_MAX;
	if (!(inval & 1))
		VB(gh, sw_exit_code);
	if (!(inval & 2))
		VB(gh, sw_exit_info_1);
	if (!(inval & 4))
		VB(gh, sw_exit_info_2);
	if (!(inval & 8))
		VB(gh, sw_scratch);
	if (!(inval & 16))
		VB(gh, rax), VB(gh, rbx), VB(gh, cpl);
	if (!(inval & 32))
		VB(gh, rcx), VB(gh, rdx), VB(gh, rsi);
	vmgexit(inval & 0x40 && sel & 1 ? ga + PAGE_SIZE : ga);
}

/* A PSC request in the shared buffer, sent the way a guest loops on it
 * (until cur_entry passes end_entry, an error, or 4 exits). */
static void op_psc(struct fuzz_in *in)
{
	u64 ga = cur_ghcb();
	struct ghcb *gh = (struct ghcb *)guest_page(ga);
	struct psc_desc *d;
	unsigned n = 1 + (unsigned)fuzz_take(in, 1) % 32, flags = (unsigned)fuzz_take(in, 1);

	if (!gh)
		return;
	d = (struct psc_desc *)gh->shared_buffer;
	d->hdr.cur_entry = flags & 1 ? (u16)fuzz_take(in, 1) : 0;
	d->hdr.end_entry = flags & 2 ? (u16)fuzz_take(in, 2) : (u16)(n - 1);
	d->hdr.reserved = flags & 4 ? (u32)fuzz_take(in, 1) : 0;
	for (unsigned i = 0; i < n; i++) {
		u64 w = fuzz_take(in, 3);
		u64 gfn = (w & 0xfff) % ((MEM_SIZE >> PAGE_SHIFT) + 2);
		unsigned op = (unsigned)(w >> 12) & 7;
		bool huge = w & BIT(15);

		if (huge)
			gfn &= ~0x1ffULL;
		d->entries[i] = flags & 8 ? (w << 40) ^ fuzz_take(in, 5)
					  : psc_entry(gfn, op ? op : PSC_OP_PRIVATE, huge,
						      (unsigned)(w >> 16) & (huge ? 0x3ff : 1));
	}
	for (int k = 0; k < 4 && guest.outcome == GUEST_RUNNING; k++) {
		memset(&gh->save, 0, sizeof(gh->save));
		gh->ghcb_usage = GHCB_USAGE_STANDARD;
		gh->save.sw_exit_code = SVM_VMGEXIT_PSC;
		gh->save.sw_scratch = ga + GHCB_SHARED_BUF_OFFSET;
		VB(gh, sw_exit_code);
		VB(gh, sw_exit_info_1);
		VB(gh, sw_exit_info_2);
		VB(gh, sw_scratch);
		vmgexit(ga);
		gh = (struct ghcb *)guest_page(ga);
		if (!gh || guest.outcome != GUEST_RUNNING || gh->save.sw_exit_info_2 ||
		    gh->save.sw_exit_info_1 || d->hdr.cur_entry > d->hdr.end_entry)
			break;
	}
}

static void op_msr(struct fuzz_in *in)
{
	u8 sel = (u8)fuzz_take(in, 1);
	u64 gfn = fuzz_take(in, 2) % ((MEM_SIZE >> PAGE_SHIFT) + 1);

	switch (sel & 7) {
	case 0:
		vmgexit(fuzz_take(in, 8) | (sel & 8 ? 0 : 1)); /* raw (info 0 only now and then) */
		break;
	case 1:
		vmgexit(ghcb_msr_reg_gpa_req(gfn));
		break;
	case 2:
	case 3:
		vmgexit(ghcb_msr_psc_req(gfn, (sel >> 3) & 3));
		break;
	case 4:
		vmgexit(ghcb_msr_cpuid_req((u32)fuzz_take(in, 4), (sel >> 3) & 3));
		break;
	case 5:
		vmgexit(sel & 8 ? GHCB_MSR_HV_FT_REQ : GHCB_MSR_SEV_INFO_REQ);
		break;
	case 6:
		if (sel & 0x78)
			vmgexit(ghcb_msr_reg_gpa_req(GHCB_GPA >> PAGE_SHIFT));
		else
			vmgexit(ghcb_msr_term_req(sel >> 4, (unsigned)gfn));
		break;
	default:
		vmgexit(cur_ghcb()); /* NAE with whatever the page holds */
		break;
	}
}

/* The guest writes into the GHCB page or its shared buffer (or anywhere in
 * its memory: it may scribble on the page it uses as GHCB). */
static void op_poke(struct fuzz_in *in)
{
	u8 sel = (u8)fuzz_take(in, 1);
	u64 ga = sel & 1 ? (fuzz_take(in, 2) << PAGE_SHIFT) % MEM_SIZE : cur_ghcb();
	unsigned off = (unsigned)fuzz_take(in, 2) & (PAGE_SIZE - 1),
		 len = (unsigned)fuzz_take(in, 1) % 64;
	u8 *p = guest_page(ga);

	if (!p)
		return;
	for (unsigned i = 0; i < len && off + i < PAGE_SIZE; i++)
		p[off + i] = (u8)fuzz_take(in, 1);
}

/* An RMP #NPF (hardware, or the PVALIDATE emulation's SIZEM). */
static void op_npf(struct fuzz_in *in)
{
	u64 bits = fuzz_take(in, 1);

	vmcb.control.exit_code = SVM_EXIT_NPF;
	vmcb.control.exit_info_1 = BIT(31) | (bits & 0x1f) | (bits & 0x20 ? BIT(35) : 0) |
				   (bits & 0x40 ? BIT(36) : 0) | (bits & 0x80 ? BIT(32) : 0);
	vmcb.control.exit_info_2 = (fuzz_take(in, 2) << PAGE_SHIFT) % (MEM_SIZE + HUGE_SIZE);
	touch(vmcb.control.exit_info_2, PAGE_SIZE);
	snp_handle_rmp_npf(&vcpu);
}

/* PVALIDATE at RIP (paging off: VA = GPA), through the #UD intercept. */
static void op_pvalidate(struct fuzz_in *in)
{
	static const u8 pv[] = {0xf2, 0x0f, 0x01, 0xff};
	u8 sel = (u8)fuzz_take(in, 1);
	u64 rip = 0x1000 + (fuzz_take(in, 1) << 4);
	u8 *p = guest_page(rip);

	if (!p)
		return;
	memcpy(p + (rip & (PAGE_SIZE - 1)), pv, sizeof(pv));
	vmcb.save.rip = rip;
	vmcb.save.rax = (fuzz_take(in, 2) << PAGE_SHIFT) % (MEM_SIZE + PAGE_SIZE);
	if (sel & 1)
		vmcb.save.rax &= ~(HUGE_SIZE - 1);
	vcpu.regs.rcx = sel & 2 ? 1 : (sel & 4 ? fuzz_take(in, 8) : 0);
	vcpu.regs.rdx = (sel >> 3) & 1;
	vmcb.control.event_inj = 0;
	vmcb.control.exit_code = SVM_EXIT_EXCP_UD;
	touch(vmcb.save.rax, PAGE_SIZE);
	snp_handle_ud(&vcpu);
}

/* ---- invariants ---- */

/* full: xcheck_run; else xcheck_run_touched over the spans of the exit. */
static void check(bool full)
{
	static struct xcheck_report rep;
	const struct gmem *gs[1] = {&gm};
	struct gmem_touched t = {tspan, ntspan};
	const struct gmem_touched *tp[1] = {&t};
	struct snp_guest *s = snp_guest_of(&guest);
	int rc = 0;

	full |= tfull;
	if (full)
		rc = xcheck_run(gs, 1, &rep);
	else if (ntspan)
		rc = xcheck_run_touched(gs, 1, tp, &rep);
	else
		rep.total = 0; /* the exit reached neither gmem nor the RMP */
	if (rc || rep.total) {
		fuzz_print_violations(&rep);
		die(full ? "xcheck violation (full check)"
			 : "xcheck violation (incremental check)");
	}
	if (pmem_owner_pages(gm.own_mem) !=
	    gm.st.private_pages + gm.st.shared_pages + gmem_pending_pages(&gm, gm.own_mem))
		die("mem accounting");
	if (s->st.check_fail)
		die("snp_guest.c's own check failed (a refused request changed page states, or "
		    "the checker after an accepted one)");
	/* The MSR protocol may make the GHCB private (the answer goes in the
	 * MSR); a NAE event the guest survived was answered in a shared page. */
	if (nae_exit && guest.outcome == GUEST_RUNNING && be_is_shared(&guest, gpa(s->ghcb_gpa)))
		die("the GHCB is not shared after a NAE event the hypervisor answered in it");
}

/* The guest's memory and tables from nothing: pmem, the RMP model and gmem
 * initialized over the window (what every input starts from). */
static void build(void)
{
	struct pmem_region r = {{WIN_BASE + RMP_AREA}, WIN_SIZE - RMP_AREA};
	struct gmem_params p = {.name = "fz",
				.asid = ASID,
				.mem_size = MEM_SIZE,
				.max_page = HUGE_SIZE,
				.rmp = &rmp,
				.check = rec_touched,
				.flush_asid = fuzz_flush};

	if (pmem_init(&r, 1) || rmp_init_model(&rmp, spa(WIN_BASE), RMP_AREA, WIN_BASE + WIN_SIZE))
		die("env");
	if (gmem_init(&gm, &p) || gmem_attach_domain(&gm, 1, 3, true, &fuzz_iommu_ops, NULL) ||
	    gmem_attach_domain(&gm, 2, 3, false, &fuzz_iommu_ops, NULL) ||
	    gmem_populate(&gm, gpa(0), HUGE_SIZE, GMEM_PRIVATE) ||
	    gmem_populate(&gm, gpa(HUGE_SIZE), MEM_SIZE - HUGE_SIZE, GMEM_SHARED) ||
	    gmem_convert(&gm, gpa(GHCB_GPA), PAGE_SIZE, GMEM_SHARED))
		die("gmem");
}

/* ---- the snapshot of what build() makes ----
 *
 * Building the 4 MiB guest and tearing it down was most of an input's time
 * (docs/fuzzing.md, Throughput). build() runs once; its state is saved here
 * and put back before every other input, after that input's predecessor was
 * torn down and checked for leaks as before. What build() determines: pmem's
 * bookkeeping and metadata frames (pmem_state_save), the RMP model (struct
 * and table), the gmem struct with its heap ledger and pending list, and the
 * contents of the window's frames. Frames are put back as follows:
 * - a frame that held anything but zeroes after build() (table pages, pmem
 *   metadata, the RMP table): copied back;
 * - a frame that held zeroes (guest memory, free frames): a frame pmem counts
 *   free after the teardown is zero, since pmem_free scrubs a frame before it
 *   marks it free and nothing writes free frames (I7; a frame never taken
 *   since build() still holds its zeroes); a frame still owned (leaked on
 *   purpose, under "gfz-leaked") is zeroed.
 * FUZZ_GHCB_VERIFY=1 compares, for every input, the state put back with one
 * build() makes afresh over the same window (verify_restore). */
#define NFRAMES (WIN_SIZE / PAGE_SIZE)
_Static_assert(WIN_BASE % HUGE_SIZE == 0 && WIN_SIZE % HUGE_SIZE == 0 && RMP_AREA % PAGE_SIZE == 0,
	       "the window is whole 2M blocks, the RMP table whole frames");

static struct {
	bool taken;
	u8 *pmem;
	struct rmp rmp;
	struct gmem gm;
	u64 *ledger;
	struct gmem_pending *pend;
	u32 nsaved;		/* frames with contents, in saved_idx order */
	u32 saved_idx[NFRAMES]; /* window frame index of each */
	u8 *saved;		/* nsaved frames */
	u8 *win_copy;		/* the whole window (FUZZ_GHCB_VERIFY) */
} snap;

static bool frame_zero(const u8 *p)
{
	static const u8 zero[PAGE_SIZE];

	return !memcmp(p, zero, PAGE_SIZE);
}

static void *dup_mem(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	if (!q)
		die("out of memory");
	memcpy(q, p, n);
	return q;
}

static void snapshot_take(void)
{
	snap.pmem = malloc(pmem_state_size());
	snap.saved = malloc(WIN_SIZE);
	if (!snap.pmem || !snap.saved)
		die("out of memory");
	pmem_state_save(snap.pmem);
	snap.rmp = rmp;
	snap.gm = gm;
	snap.ledger = dup_mem(gm.ledger, gm.nr_slots * sizeof(*gm.ledger));
	snap.pend = dup_mem(gm.pend, gm.cap_pend * sizeof(*gm.pend));
	snap.nsaved = 0;
	for (u32 i = 0; i < NFRAMES; i++) {
		const u8 *f = win + (u64)i * PAGE_SIZE;

		if (frame_zero(f))
			continue;
		snap.saved_idx[snap.nsaved] = i;
		memcpy(snap.saved + (u64)snap.nsaved++ * PAGE_SIZE, f, PAGE_SIZE);
	}
	if (getenv("FUZZ_GHCB_VERIFY"))
		snap.win_copy = dup_mem(win, WIN_SIZE);
	snap.taken = true;
}

static void snapshot_restore(void)
{
	u32 k = 0;

	/* Zeroes first, while pmem (its metadata is one of the saved frames)
	 * still tells what the teardown left; then the saved contents. */
	for (u32 i = 0; i < NFRAMES; i++) {
		if (k < snap.nsaved && snap.saved_idx[k] == i) {
			k++;
			continue;
		}
		if (pmem_owner_of(spa(WIN_BASE + (u64)i * PAGE_SIZE)) != PMEM_OWNER_FREE)
			memset(win + (u64)i * PAGE_SIZE, 0, PAGE_SIZE); /* RMP table, leaked */
	}
	for (k = 0; k < snap.nsaved; k++)
		memcpy(win + (u64)snap.saved_idx[k] * PAGE_SIZE, snap.saved + (u64)k * PAGE_SIZE,
		       PAGE_SIZE);
	if (pmem_state_restore(snap.pmem))
		die("pmem_state_restore");
	rmp = snap.rmp;
	gm = snap.gm;
	gm.ledger = dup_mem(snap.ledger, snap.gm.nr_slots * sizeof(*gm.ledger));
	gm.pend = dup_mem(snap.pend, snap.gm.cap_pend * sizeof(*gm.pend));
}

static void canon_mmctx(struct gmem_mmctx *m)
{
	struct gmem_mmctx c;

	memset(&c, 0, sizeof(c));
	c.g = m->g;
	c.owner = m->owner;
	c.pool = m->pool;
	memcpy(m, &c, sizeof(c));
}

/* FUZZ_GHCB_VERIFY: the state snapshot_restore() put back against the one
 * build() makes from nothing over the same window (the window was written
 * by the previous input and its teardown). Continues from the fresh state. */
static void verify_restore(void)
{
	u64 psize = pmem_state_size();
	u8 *p_rest = malloc(psize), *p_fresh = malloc(psize);
	u8 *w_rest = dup_mem(win, WIN_SIZE);
	struct rmp r_rest = rmp;
	struct gmem g_rest = gm;

	if (!p_rest || !p_fresh)
		die("out of memory");
	if (memcmp(win, snap.win_copy, WIN_SIZE))
		die("verify: the window put back differs from the one build() left");
	pmem_state_save(p_rest);
	build(); /* gmem_init clears gm: the restored ledger and pending list are in g_rest */
	pmem_state_save(p_fresh);
	if (memcmp(p_rest, p_fresh, psize))
		die("verify: pmem state put back differs from a fresh build");
	if (memcmp(&r_rest, &rmp, sizeof(rmp)))
		die("verify: RMP model put back differs from a fresh build");
	if (memcmp(w_rest, win, WIN_SIZE))
		die("verify: window (RMP table, tables, guest memory, free frames) put back "
		    "differs "
		    "from a fresh build");
	if (g_rest.nr_slots != gm.nr_slots || g_rest.cap_pend != gm.cap_pend ||
	    g_rest.nr_pend != gm.nr_pend ||
	    memcmp(g_rest.ledger, gm.ledger, gm.nr_slots * sizeof(*gm.ledger)) ||
	    memcmp(g_rest.pend, gm.pend, gm.nr_pend * sizeof(*gm.pend)))
		die("verify: gmem ledger or pending list put back differs from a fresh build");
	free(g_rest.ledger);
	free(g_rest.pend);
	g_rest.ledger = gm.ledger;
	g_rest.pend = gm.pend;
	/* gmem_init assigns these from compound literals: their padding bytes
	 * are whatever the stack held, not state */
	canon_mmctx(&g_rest.mm_npt);
	canon_mmctx(&g_rest.mm_iommu);
	canon_mmctx(&gm.mm_npt);
	canon_mmctx(&gm.mm_iommu);
	if (memcmp(&g_rest, &gm, sizeof(gm)))
		die("verify: gmem struct put back differs from a fresh build");
	free(p_rest);
	free(p_fresh);
	free(w_rest);
}

static void setup(void)
{
	if (!win) {
		win = aligned_alloc(HUGE_SIZE, WIN_SIZE);
		if (!win)
			die("out of memory");
		memset(win, 0, WIN_SIZE);
		fuzz_quiet();
	}
	host_phys_window(win, spa(WIN_BASE), WIN_SIZE);
	if (snap.taken) {
		snapshot_restore();
		if (snap.win_copy)
			verify_restore();
	} else {
		build();
		snapshot_take();
	}
	memset(&vmcb, 0, sizeof(vmcb));
	memset(&vcpu, 0, sizeof(vcpu));
	memset(&guest, 0, sizeof(guest));
	strcpy(guest.name, "fz");
	guest.cfg = &gcfg;
	guest.snp = true;
	guest.asid = ASID;
	guest.mem_size = MEM_SIZE;
	guest.mem_ops = &mem_ops;
	guest.outcome = GUEST_RUNNING;
	guest.cpuid.host = fake_host;
	guest.cpuid.snp = true;
	guest.vcpu = &vcpu;
	vcpu.vmcb = &vmcb;
	vcpu.guest = &guest;
	vmcb.save.rip = 0x1000;
	vmcb.save.efer = EFER_SVME;
	if (snp_guest_init(&guest, &be))
		die("snp_guest_init");
	ntspan = 0;
	tfull = false;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static bool setup_checked;
	struct fuzz_in in = {data, size};
	u8 mem_owner, npt_owner, io_owner;

	setup();
	/* every input starts from the state build() made for the first one
	 * (the snapshot put back): checked in full once */
	if (!setup_checked)
		check(true);
	setup_checked = true;
	for (unsigned k = 0; k < MAX_OPS && in.n && guest.outcome == GUEST_RUNNING; k++) {
		u8 op = (u8)fuzz_take(&in, 1);

		vmcb.control.exit_code = 0;
		nae_exit = false;
		ntspan = 0;
		tfull = false;
		switch (op % 8) {
		case 0:
		case 1:
			op_nae(&in);
			break;
		case 2:
			op_psc(&in);
			break;
		case 3:
		case 4:
			op_msr(&in);
			break;
		case 5:
			op_poke(&in);
			break;
		case 6:
			op_npf(&in);
			break;
		default:
			op_pvalidate(&in);
			break;
		}
		check(false);
	}
	nae_exit = false;
	snp_guest_fini(&guest); /* be_check: the full check */
	mem_owner = gm.own_mem;
	npt_owner = gm.own_npt;
	io_owner = gm.own_iommu;
	gmem_destroy(&gm);
	if (pmem_owner_pages(mem_owner) || pmem_owner_pages(npt_owner) ||
	    pmem_owner_pages(io_owner))
		die("leak after destroy");
	return 0;
}
