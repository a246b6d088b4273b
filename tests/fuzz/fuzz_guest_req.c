/* libFuzzer target for SNP_GUEST_REQUEST: messages (any header, sequence
 * number, size, tag, key, payload, and page addresses) through the
 * hypervisor's snp_guest_request (snp/launch.c), the real PSP driver
 * (snp/psp.c) and the firmware model (snp/psp_model.c, snp/guest_msg.c) for
 * a launched guest with a secrets page.
 *
 * Checked after every request:
 *  - refused (any error): the model's state is unchanged (its guest
 *    contexts, ASID bindings, keys and counters, the GCTX page with the
 *    message sequence numbers, the whole RMP table) and the response page
 *    holds nothing new (zero, or what it held before);
 *  - accepted: the response opens under the same VMPCK with sequence number
 *    request + 1 (the next request must use request + 2), the RMP table is
 *    unchanged and the response page is the hypervisor's again;
 *  - a request the guest sealed correctly (right key, next sequence number,
 *    a report request with reserved bytes zero, distinct aligned pages) is
 *    accepted; one with a replayed/skipped sequence number, a flipped tag
 *    or ciphertext bit or another key is refused.
 * Each input starts from the same launched platform (the state is restored
 * from a snapshot taken after the launch). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/arch/host/host_env.h"
#include "hv/base/log.h"
#include "hv/base/mem.h"
#include "snp/guest_msg.h"
#include "snp/launch.h"
#include "snp/psp.h"
#include "snp/psp_model.h"
#include "snp/rmp.h"
#include "snp/sev_fw.h"
#include "tests/fuzz/fuzz_common.h"

#define WIN_BASE 0x1000000ULL
#define WIN_SIZE 0x400000ULL
#define COVERED	 0x1400000ULL
#define TBL_SIZE 0x20000ULL
#define CMDBUF	 (WIN_BASE + 0x100000)
#define GCTX	 (WIN_BASE + 0x101000)
#define REQPG	 (WIN_BASE + 0x103000)
#define RESPPG	 (WIN_BASE + 0x104000)
#define GUEST	 (WIN_BASE + 0x200000) /* secrets page (GPA 0x8000), a normal page */
#define ASID	 5
#define POLICY	 (SNP_POLICY_RSVD_MBO | SNP_POLICY_SMT)
#define MAX_REQ	 8

static u8 *win;
static struct rmp rmp;
static struct psp_model model;
static struct psp psp;
static struct snp_launch L;

/* the snapshot every input starts from */
static u8 *win_snap;
static struct rmp rmp_snap;
static struct psp_model model_snap;
static struct psp psp_snap;
static u8 keys[SNP_VMPCK_COUNT][SNP_VMPCK_SIZE];

static void die(const char *what)
{
	fprintf(stderr, "fuzz_guest_req: %s\n", what);
	abort();
}

static void launch_once(void)
{
	static u8 normal[PAGE_SIZE];
	static const u8 host_data[32] = {7};
	const struct snp_secrets_page *sp;
	u32 e;

	win = aligned_alloc(HUGE_SIZE, WIN_SIZE);
	win_snap = malloc(WIN_SIZE);
	if (!win || !win_snap)
		die("alloc");
	memset(win, 0x5a, WIN_SIZE);
	host_phys_window(win, spa(WIN_BASE), WIN_SIZE);
	for (size_t k = 0; k < sizeof(normal); k++)
		normal[k] = (u8)(k * 13 + 1);
	if (rmp_init_model(&rmp, spa(WIN_BASE), TBL_SIZE, COVERED) ||
	    psp_model_init(&model, &rmp, NULL, NULL) ||
	    psp_init(&psp, &psp_model_mmio_ops, &model, &psp_sev_regs_v2, spa(CMDBUF), 1000) ||
	    snp_platform_init(&psp, &e) ||
	    snp_launch_begin(&L, &psp, &rmp, spa(GCTX), ASID, POLICY) ||
	    snp_launch_page(&L, spa(GUEST), 0x8000, SNP_PAGE_TYPE_SECRETS, NULL, 0, 0, 0, 0) ||
	    snp_launch_page(&L, spa(GUEST + PAGE_SIZE), 0x9000, SNP_PAGE_TYPE_NORMAL, normal,
			    sizeof(normal), 0, 0, 0) ||
	    snp_launch_finish(&L, host_data))
		die("platform and launch");
	sp = phys_ptr(spa(GUEST));
	memcpy(keys, sp->vmpck, sizeof(keys));
	memcpy(win_snap, win, WIN_SIZE);
	rmp_snap = rmp;
	model_snap = model;
	psp_snap = psp;
}

/* Pages the previous input's requests may have written (a response page
 * anywhere in the window): restored with the rest. */
static u64 dirty[MAX_REQ * 2];
static unsigned nr_dirty;

static void restore(void)
{
	/* what a request can touch: the RMP table, the command buffer, GCTX,
	 * the request and response pages, and pages used as response page */
	memcpy(win, win_snap, TBL_SIZE);
	memcpy(win + (CMDBUF - WIN_BASE), win_snap + (CMDBUF - WIN_BASE), RESPPG + PAGE_SIZE - CMDBUF);
	for (unsigned k = 0; k < nr_dirty; k++)
		memcpy(win + dirty[k], win_snap + dirty[k], PAGE_SIZE);
	nr_dirty = 0;
	rmp = rmp_snap;
	model = model_snap;
	psp = psp_snap;
}


/* The model state a refused request must leave alone (the mailbox
 * registers and the command counters move with every command). */
static bool model_same(const struct psp_model *a, const struct psp_model *b)
{
	return a->rmp == b->rmp && a->state == b->state && a->guest_count == b->guest_count &&
	       !memcmp(a->gctx, b->gctx, sizeof(a->gctx)) &&
	       !memcmp(a->asid_gctx, b->asid_gctx, sizeof(a->asid_gctx)) &&
	       !memcmp(a->asid_dirty, b->asid_dirty, sizeof(a->asid_dirty)) &&
	       !memcmp(a->seed, b->seed, sizeof(a->seed)) && a->rand_counter == b->rand_counter;
}

/* memcmp with a zero page rather than a loop over bytes: this harness's code
 * has coverage callbacks, and one per byte cost more than the request. */
static bool page_zero(u64 pa)
{
	static const u8 zero[PAGE_SIZE];

	return !memcmp(phys_ptr(spa(pa)), zero, PAGE_SIZE);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 gctx_before[PAGE_SIZE], resp_before[PAGE_SIZE];
	static struct psp_model m_before;
	static struct snp_report_resp rep;
	u64 next[SNP_VMPCK_COUNT] = {1, 1, 1, 1};
	struct fuzz_in in = {data, size};

	if (!win) {
		fuzz_quiet();
		launch_once();
	}
	restore();
	for (unsigned r = 0; r < MAX_REQ && in.n; r++) {
		struct snp_guest_msg *msg = phys_ptr(spa(REQPG));
		u8 mode = (u8)fuzz_take(&in, 1), mut = (u8)fuzz_take(&in, 1);
		u8 vmpck = (u8)(fuzz_take(&in, 1) & 3), keyk = vmpck;
		u64 seq = next[vmpck], req = REQPG, resp = RESPPG, gctx = GCTX;
		struct snp_report_req rr;
		bool well_formed, must_fail = false;
		u32 fw = 0;
		int rc;

		if (mode & 1) { /* replayed or skipped sequence number */
			seq = next[vmpck] + (s8)fuzz_take(&in, 1);
			must_fail = seq != next[vmpck];
		}
		if (mode & 2) { /* another VMPCK's key */
			keyk = (u8)((vmpck + 1 + (fuzz_take(&in, 1) % 3)) & 3);
			must_fail = true;
		}
		memset(&rr, 0, sizeof(rr));
		rr.user_data[0] = (u8)fuzz_take(&in, 1);
		rr.vmpl = mode & 4 ? (u32)fuzz_take(&in, 4) : (u32)(fuzz_take(&in, 1) & 3);
		if (mode & 8)
			rr.rsvd[fuzz_take(&in, 1) % sizeof(rr.rsvd)] = (u8)fuzz_take(&in, 1) | 1;
		if (mode & 0x80) { /* a raw page from the input */
			memset(msg, 0, PAGE_SIZE);
			for (unsigned k = 0; k < 0x60 + 96 && in.n; k++)
				((u8 *)msg)[k] = (u8)fuzz_take(&in, 1);
			must_fail = false;
		} else if (snp_msg_seal(msg, keys[keyk], vmpck, seq, SNP_MSG_REPORT_REQ, &rr,
					sizeof(rr))) {
			die("seal");
		}
		/* header/tag/ciphertext mutations after sealing, on disjoint bytes
		 * (two flips of one byte would cancel) */
		if (mut & 1) {
			unsigned at = (unsigned)fuzz_take(&in, 1) % SNP_MSG_TAG_SIZE;

			msg->hdr.authtag[at] ^= (u8)(fuzz_take(&in, 1) | 1);
			must_fail = !(mode & 0x80);
		}
		if (mut & 2) {
			unsigned at = (unsigned)fuzz_take(&in, 1) % sizeof(rr);

			msg->payload[at] ^= (u8)(fuzz_take(&in, 1) | 1);
			must_fail = !(mode & 0x80);
		}
		if (mut & 4) { /* a header byte after the tag (AAD or not) */
			unsigned off = SNP_MSG_TAG_SIZE +
				       (unsigned)fuzz_take(&in, 1) % (sizeof(msg->hdr) - SNP_MSG_TAG_SIZE);

			((u8 *)&msg->hdr)[off] ^= (u8)(fuzz_take(&in, 1) | 1);
			if (off >= SNP_MSG_AAD_OFFSET && !(mode & 0x80))
				must_fail = true; /* authenticated data */
		}
		if (mut & 8)
			msg->hdr.msg_sz = (u16)fuzz_take(&in, 2);
		/* the pages: aligned or not, distinct or not, anywhere in the window */
		if (mut & 0x10)
			resp = mut & 0x20 ? req : WIN_BASE + (fuzz_take(&in, 2) << 8) % WIN_SIZE;
		if (mut & 0x40)
			req = WIN_BASE + (fuzz_take(&in, 2) << 8) % WIN_SIZE;
		if (mut & 0x80)
			gctx = WIN_BASE + (fuzz_take(&in, 2) << 12) % WIN_SIZE;
		dirty[nr_dirty++] = (resp - WIN_BASE) & PAGE_MASK;
		dirty[nr_dirty++] = (req - WIN_BASE) & PAGE_MASK;
		well_formed = !(mode & 0x8f) && !(mut & 0xff) && rr.vmpl <= 3;

		memcpy(gctx_before, phys_ptr(spa(GCTX)), PAGE_SIZE);
		memcpy(resp_before, phys_ptr(spa(RESPPG)), PAGE_SIZE);
		m_before = model;
		rc = snp_guest_request(&psp, &rmp, spa(gctx), spa(req), spa(resp), &fw);
		/* the RMP table as after the launch: restore() put it back and no
		 * request of this input changed it (else we died), so this is the
		 * same as comparing with a copy taken before the request */
		if (memcmp(win_snap, phys_ptr(spa(WIN_BASE)), TBL_SIZE))
			die("the RMP changed across a guest request");
		if (rc) {
			if (!model_same(&model, &m_before))
				die("a refused request changed the model's state");
			if (memcmp(gctx_before, phys_ptr(spa(GCTX)), PAGE_SIZE))
				die("a refused request changed the guest context");
			if (resp == RESPPG && !page_zero(RESPPG) &&
			    memcmp(resp_before, phys_ptr(spa(RESPPG)), PAGE_SIZE))
				die("a refused request left new data in the response page");
			if (well_formed)
				die("a well-formed request was refused");
			continue;
		}
		if (must_fail)
			die("a request with a bad sequence number, key, tag or AAD was accepted");
		if (fw)
			die("success with a firmware error");
		/* accepted: only a sealed request of ours can get here */
		if (resp == req || snp_msg_open(phys_ptr(spa(resp)), keys[vmpck], vmpck, seq + 1,
						SNP_MSG_REPORT_RSP, &rep, sizeof(rep)))
			die("the response does not open under the request's key and sequence");
		next[vmpck] = seq + 2;
		if (rmp_page_state(&rmp, spa(resp)) != RMP_PS_HYPERVISOR)
			die("the response page is not the hypervisor's after the request");
	}
	return 0;
}
