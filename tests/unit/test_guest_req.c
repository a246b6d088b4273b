/* Unit tests of SNP_GUEST_REQUEST: the real PSP driver (snp/psp.c) and the
 * launch helper snp_guest_request (snp/launch.c) against the firmware
 * model (snp/psp_model.c), with the guest's side built by snp/guest_msg.c
 * (the code the guest library uses). A guest is launched with a secrets
 * page; its VMPCK0 is read back from that page as the guest would. Checked:
 * the attestation report (REPORT_DATA, MEASUREMENT = the launch digest,
 * VMPL, policy, unsigned with SIGNATURE_ALGO set), the sequence numbers,
 * and that every refused request (bad tag, replayed or skipped sequence
 * number, unknown message type, bad VMPCK index, bad header, wrong pages or
 * guest state) returns its firmware status, writes no response and leaves
 * the expected sequence number unchanged. Keys are fresh per guest. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/base/mem.h"
#include "snp/guest_msg.h"
#include "snp/launch.h"
#include "snp/measure.h"
#include "snp/psp.h"
#include "snp/psp_model.h"
#include "snp/rmp.h"
#include "snp/sev_fw.h"
#include "hv/arch/host/host_env.h"
#include "tests/unit/snp_env.h"

#define GCTX	(WIN_BASE + 0x101000)
#define GCTX2	(WIN_BASE + 0x102000)
#define REQPG	(WIN_BASE + 0x103000)
#define RESPPG	(WIN_BASE + 0x104000)
#define GUEST	(WIN_BASE + 0x200000) /* guest pages from here */
#define SECRETS GUEST		      /* the secrets page, GPA 0x8000 */
#define ASID	5
#define POLICY	(SNP_POLICY_RSVD_MBO | SNP_POLICY_SMT)

static u8 *win;
static struct rmp rmp;
static struct psp_model model;
static struct psp psp;
static struct snp_launch L;
static u8 normal[PAGE_SIZE];
static const u8 host_data[32] = {1, 2, 3, 4, [31] = 0x99};

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

/* GCTX: secrets page at GPA 0x8000, one NORMAL page at 0x9000, finished
 * with host_data (secrets = false: no secrets page). */
static void launch(struct snp_launch *l, u64 gctx, u32 asid, u64 pages, bool secrets, bool finish)
{
	for (size_t k = 0; k < sizeof(normal); k++)
		normal[k] = (u8)(k * 13 + 1);
	assert_int_equal(snp_launch_begin(l, &psp, &rmp, spa(gctx), asid, POLICY), 0);
	if (secrets)
		assert_int_equal(
		    snp_launch_page(l, spa(pages), 0x8000, SNP_PAGE_TYPE_SECRETS, NULL, 0, 0, 0, 0),
		    0);
	assert_int_equal(snp_launch_page(l, spa(pages + PAGE_SIZE), 0x9000, SNP_PAGE_TYPE_NORMAL,
					 normal, sizeof(normal), 0, 0, 0),
			 0);
	if (finish)
		assert_int_equal(snp_launch_finish(l, host_data), 0);
}

static const struct snp_secrets_page *secrets(void)
{
	return phys_ptr(spa(SECRETS));
}

static struct snp_guest_msg *req_msg(void)
{
	return phys_ptr(spa(REQPG));
}

static void seal_report_req(const u8 *key, u8 vmpck, u64 seq, u32 vmpl, u8 fill)
{
	struct snp_report_req r;

	memset(&r, 0, sizeof(r));
	memset(r.user_data, fill, sizeof(r.user_data));
	r.user_data[0] = 0xA5;
	r.vmpl = vmpl;
	assert_int_equal(
	    snp_msg_seal(req_msg(), key, vmpck, seq, SNP_MSG_REPORT_REQ, &r, sizeof(r)), 0);
}

/* Sends the request page; returns the firmware status (0 on success). */
static u32 send(void)
{
	u32 fw = 0xDEAD;
	int rc = snp_guest_request(&psp, &rmp, spa(GCTX), spa(REQPG), spa(RESPPG), &fw);

	assert_int_equal(rc, fw ? -EIO : 0);
	/* the response page is the hypervisor's again either way */
	assert_int_equal(rmp_page_state(&rmp, spa(RESPPG)), RMP_PS_HYPERVISOR);
	return fw;
}

static bool resp_page_zero(void)
{
	const u8 *p = phys_ptr(spa(RESPPG));

	for (size_t k = 0; k < PAGE_SIZE; k++)
		if (p[k])
			return false;
	return true;
}

static void open_report(const u8 *key, u8 vmpck, u64 seq, struct snp_report_resp *out)
{
	assert_int_equal(snp_msg_open(phys_ptr(spa(RESPPG)), key, vmpck, seq, SNP_MSG_REPORT_RSP,
				      out, sizeof(*out)),
			 0);
}

static const u8 *info_digest(u64 gctx)
{
	static struct psp_model_guest_info gi;

	assert_int_equal(psp_model_guest_info(&model, spa(gctx), &gi), 0);
	return gi.digest.digest;
}

static void expected_digest(struct snp_measure *m)
{
	snp_measure_init(m);
	snp_measure_page(m, 0x8000, SNP_PAGE_TYPE_SECRETS, NULL, 0, 0, 0, 0);
	snp_measure_page(m, 0x9000, SNP_PAGE_TYPE_NORMAL, normal, 0, 0, 0, 0);
}

static void test_report_roundtrip(void **state)
{
	static struct snp_report_resp r, r2;
	struct snp_measure want;
	const struct snp_attestation_report *a = &r.report;
	u8 key[32], ud[64], ff[32];

	(void)state;
	launch(&L, GCTX, ASID, GUEST, true, true);
	assert_int_equal(secrets()->version, 2);
	memcpy(key, secrets()->vmpck[0], 32);

	seal_report_req(key, 0, 1, 0, 0x3C);
	assert_int_equal(send(), 0);
	open_report(key, 0, 2, &r);
	assert_int_equal(r.status, SNP_REPORT_RSP_SUCCESS);
	assert_int_equal(r.report_size, sizeof(r.report));
	memset(ud, 0x3C, sizeof(ud));
	ud[0] = 0xA5;
	assert_memory_equal(a->report_data, ud, 64);
	expected_digest(&want);
	assert_memory_equal(a->measurement, want.digest, 48);
	assert_memory_equal(a->measurement, info_digest(GCTX), 48);
	assert_int_equal(a->version, SNP_REPORT_VERSION);
	assert_int_equal(a->vmpl, 0);
	assert_int_equal(a->policy, POLICY);
	assert_int_equal(a->signature_algo, SNP_SIG_ALGO_ECDSA_P384);
	assert_memory_equal(a->host_data, host_data, 32);
	memset(ff, 0xFF, sizeof(ff));
	assert_memory_equal(a->report_id_ma, ff, 32);
	assert_int_equal(FIELD_GET(SNP_REPORT_F_SIGNING_KEY, a->flags), SNP_REPORT_SIGNING_VCEK);
	for (size_t k = 0; k < sizeof(a->signature); k++)
		assert_int_equal(a->signature[k], 0); /* the model cannot sign */
	assert_int_equal(a->current_major, 1);
	assert_int_equal(a->current_minor, 55);

	/* the next request uses seqno 3; the response 4; same REPORT_ID */
	seal_report_req(key, 0, 3, 2, 0x11);
	assert_int_equal(send(), 0);
	assert_int_not_equal(
	    snp_msg_open(phys_ptr(spa(RESPPG)), key, 0, 2, SNP_MSG_REPORT_RSP, &r2, sizeof(r2)),
	    0); /* not the old sequence number */
	open_report(key, 0, 4, &r2);
	assert_int_equal(r2.status, SNP_REPORT_RSP_SUCCESS);
	assert_int_equal(r2.report.vmpl, 2);
	assert_memory_equal(r2.report.report_id, a->report_id, 32);
	assert_int_equal(r2.report.report_data[1], 0x11);
}

static void test_tampered_and_replayed(void **state)
{
	static struct snp_report_resp r;
	u8 key[32];

	(void)state;
	launch(&L, GCTX, ASID, GUEST, true, true);
	memcpy(key, secrets()->vmpck[0], 32);

	/* tampered ciphertext, tag, AAD: BAD_SIGNATURE, no response */
	seal_report_req(key, 0, 1, 0, 1);
	req_msg()->payload[5] ^= 0x40;
	assert_int_equal(send(), SEV_RET_BAD_SIGNATURE);
	assert_true(resp_page_zero());
	seal_report_req(key, 0, 1, 0, 1);
	req_msg()->hdr.authtag[15] ^= 1;
	assert_int_equal(send(), SEV_RET_BAD_SIGNATURE);
	seal_report_req(key, 0, 1, 0, 1);
	req_msg()->hdr.msg_type = SNP_MSG_KEY_REQ; /* in the AAD */
	assert_int_equal(send(), SEV_RET_BAD_SIGNATURE);
	assert_true(resp_page_zero());

	/* state unchanged: sequence number 1 is still the expected one */
	seal_report_req(key, 0, 1, 0, 1);
	assert_int_equal(send(), 0);
	open_report(key, 0, 2, &r);

	/* replay of the same request, the response's number, a skip */
	assert_int_equal(send(), SEV_RET_INVALID_PARAM);
	assert_true(resp_page_zero());
	seal_report_req(key, 0, 2, 0, 1);
	assert_int_equal(send(), SEV_RET_INVALID_PARAM);
	seal_report_req(key, 0, 5, 0, 1);
	assert_int_equal(send(), SEV_RET_INVALID_PARAM);
	seal_report_req(key, 0, 3, 0, 1);
	assert_int_equal(send(), 0);
	open_report(key, 0, 4, &r);
	assert_int_equal(r.status, 0);
}

/* Regression (fuzz_guest_req): a response page that is not a hypervisor page
 * (the RMP table, the GCTX, a guest page) or the PSP driver's command
 * buffer is refused before the hypervisor
 * writes it: its contents and every RMP entry stay as they were. */
static void test_resp_not_hypervisor_page(void **state)
{
	static u8 before[PAGE_SIZE], rmp_before[TBL_SIZE];
	const u64 bad[] = {WIN_BASE + 0x14000, GCTX, SECRETS, GUEST + PAGE_SIZE, CMDBUF};
	u8 key[32];
	u32 fw;

	(void)state;
	launch(&L, GCTX, ASID, GUEST, true, true);
	memcpy(key, secrets()->vmpck[0], 32);
	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		seal_report_req(key, 0, 1, 0, 1);
		memcpy(before, phys_ptr(spa(bad[k])), PAGE_SIZE);
		memcpy(rmp_before, phys_ptr(spa(WIN_BASE)), TBL_SIZE);
		fw = 0xDEAD;
		assert_int_equal(snp_guest_request(&psp, &rmp, spa(GCTX), spa(REQPG), spa(bad[k]),
						   &fw),
				 -EINVAL);
		assert_int_equal(fw, 0);
		assert_memory_equal(before, phys_ptr(spa(bad[k])), PAGE_SIZE);
		assert_memory_equal(rmp_before, phys_ptr(spa(WIN_BASE)), TBL_SIZE);
	}
	/* the request was not consumed: sequence number 1 still works */
	seal_report_req(key, 0, 1, 0, 1);
	assert_int_equal(send(), 0);
}

static void test_message_errors(void **state)
{
	static struct snp_report_resp r;
	struct snp_report_req rr;
	u8 key0[32], key1[32];

	(void)state;
	launch(&L, GCTX, ASID, GUEST, true, true);
	memcpy(key0, secrets()->vmpck[0], 32);
	memcpy(key1, secrets()->vmpck[1], 32);
	assert_memory_not_equal(key0, key1, 32);

	/* unknown message type, properly sealed: INVALID_PARAM, no response */
	memset(&rr, 0, sizeof(rr));
	assert_int_equal(snp_msg_seal(req_msg(), key0, 0, 1, SNP_MSG_KEY_REQ, &rr, sizeof(rr)), 0);
	assert_int_equal(send(), SEV_RET_INVALID_PARAM);
	assert_true(resp_page_zero());
	/* wrong payload size for MSG_REPORT_REQ */
	assert_int_equal(
	    snp_msg_seal(req_msg(), key0, 0, 1, SNP_MSG_REPORT_REQ, &rr, sizeof(rr) - 4), 0);
	assert_int_equal(send(), SEV_RET_INVALID_PARAM);
	/* reserved bytes of the request */
	rr.rsvd[3] = 1;
	assert_int_equal(snp_msg_seal(req_msg(), key0, 0, 1, SNP_MSG_REPORT_REQ, &rr, sizeof(rr)),
			 0);
	assert_int_equal(send(), SEV_RET_INVALID_PARAM);

	/* VMPCK index out of range; index 1 with key 0 */
	seal_report_req(key0, 4, 1, 0, 0);
	assert_int_equal(send(), SEV_RET_INVALID_KEY);
	seal_report_req(key0, 1, 1, 0, 0);
	assert_int_equal(send(), SEV_RET_BAD_SIGNATURE);

	/* header fields */
	seal_report_req(key0, 0, 1, 0, 0);
	req_msg()->hdr.algo = SNP_AEAD_INVALID;
	assert_int_equal(send(), SEV_RET_INVALID_PARAM);
	seal_report_req(key0, 0, 1, 0, 0);
	req_msg()->hdr.hdr_sz = 0x40;
	assert_int_equal(send(), SEV_RET_INVALID_PARAM);
	seal_report_req(key0, 0, 1, 0, 0);
	req_msg()->hdr.rsvd3[0] = 1;
	assert_int_equal(send(), SEV_RET_INVALID_PARAM);
	assert_true(resp_page_zero());

	/* none of that consumed a sequence number */
	seal_report_req(key0, 0, 1, 0, 7);
	assert_int_equal(send(), 0);
	open_report(key0, 0, 2, &r);
	assert_int_equal(r.status, 0);

	/* VMPCK1 has its own sequence numbers; VMPL 1 may not ask for VMPL 0 */
	seal_report_req(key1, 1, 1, 0, 7);
	assert_int_equal(send(), 0);
	open_report(key1, 1, 2, &r);
	assert_int_equal(r.status, SNP_REPORT_RSP_INVALID_PARAM);
	assert_int_equal(r.report_size, 0);
	seal_report_req(key1, 1, 3, 1, 7);
	assert_int_equal(send(), 0);
	open_report(key1, 1, 4, &r);
	assert_int_equal(r.status, SNP_REPORT_RSP_SUCCESS);
	assert_int_equal(r.report.vmpl, 1);
	seal_report_req(key0, 0, 3, 4, 7); /* VMPL 4 does not exist */
	assert_int_equal(send(), 0);
	open_report(key0, 0, 4, &r);
	assert_int_equal(r.status, SNP_REPORT_RSP_INVALID_PARAM);
}

static void test_pages_and_states(void **state)
{
	struct sev_data_snp_guest_request d = {GCTX, REQPG, RESPPG};
	u8 key[32];
	u32 fw;

	(void)state;
	/* before LAUNCH_FINISH */
	launch(&L, GCTX, ASID, GUEST, true, false);
	memcpy(key, secrets()->vmpck[0], 32);
	seal_report_req(key, 0, 1, 0, 0);
	assert_int_equal(send(), SEV_RET_INVALID_GUEST_STATE);
	assert_int_equal(snp_launch_finish(&L, host_data), 0);

	/* response page not in the Firmware state (the raw command) */
	psp_cmd(&psp, SEV_CMD_SNP_GUEST_REQUEST, &d, sizeof(d), &fw);
	assert_int_equal(fw, SEV_RET_INVALID_PAGE_STATE);
	/* request page assigned (here: a guest page) */
	d.req_paddr = SECRETS;
	assert_int_equal(rmp_make_private(&rmp, spa(RESPPG), 0, gpa(0), RMP_PG_SIZE_4K, true), 0);
	psp_cmd(&psp, SEV_CMD_SNP_GUEST_REQUEST, &d, sizeof(d), &fw);
	assert_int_equal(fw, SEV_RET_INVALID_PAGE_STATE);
	/* unknown context */
	d.req_paddr = REQPG;
	d.gctx_paddr = GCTX2;
	psp_cmd(&psp, SEV_CMD_SNP_GUEST_REQUEST, &d, sizeof(d), &fw);
	assert_int_equal(fw, SEV_RET_INVALID_GUEST);
	assert_int_equal(snp_reclaim_page(&psp, &rmp, spa(RESPPG), NULL), 0);
	/* the helper refuses one page for both */
	assert_int_equal(snp_guest_request(&psp, &rmp, spa(GCTX), spa(REQPG), spa(REQPG), &fw),
			 -EINVAL);

	/* still works, sequence number 1 */
	seal_report_req(key, 0, 1, 0, 0);
	assert_int_equal(send(), 0);
}

static void test_no_secrets_page(void **state)
{
	(void)state;
	launch(&L, GCTX, ASID, GUEST, false, true);
	memset(req_msg(), 0, PAGE_SIZE);
	assert_int_equal(send(), SEV_RET_INVALID_GUEST_STATE);
}

/* Fresh keys: two guests of one model, and two models, differ. */
static void test_fresh_keys(void **state)
{
	static struct snp_launch L2;
	u8 a[32], b[32];

	(void)state;
	launch(&L, GCTX, ASID, GUEST, true, true);
	memcpy(a, secrets()->vmpck[0], 32);
	launch(&L2, GCTX2, ASID + 1, GUEST + 0x10000, true, true);
	memcpy(b, ((const struct snp_secrets_page *)phys_ptr(spa(GUEST + 0x10000)))->vmpck[0], 32);
	assert_memory_not_equal(a, b, 32);

	/* a fresh model (platform re-initialised from scratch) on the same
	 * addresses gives other keys */
	teardown(state);
	assert_int_equal(setup(state), 0);
	launch(&L, GCTX, ASID, GUEST, true, true);
	assert_memory_not_equal(a, secrets()->vmpck[0], 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_report_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tampered_and_replayed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_message_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_and_states, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_secrets_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fresh_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resp_not_hypervisor_page, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
