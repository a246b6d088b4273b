/* attest: the launch digest read back from an attestation report (docs/snp-guest.md
 * "Attestation"). The guest asks the SNP firmware (the model under the
 * emulation, the PSP on hardware) for a report through SNP_GUEST_REQUEST,
 * sealed with VMPCK0 from its secrets page, and checks REPORT_DATA, VMPL,
 * POLICY and the sequence numbers; it hands the report's MEASUREMENT to the
 * hypervisor (HC_SNP_ATTESTED), which checks it against the launch digest
 * it printed ("snp.<guest>.attested_digest"). Negative cases: a tampered
 * request, a replayed sequence number, and request/response pages that are
 * not shared; after each the next report still works (nothing consumed). */
#include "lib/snp.h"
#include "snp/sev_fw.h"

/* what snpvisor launches SNP guests with (hv/vm/guest_gmem.c GUEST_SNP_POLICY) */
#define POLICY (SNP_POLICY_RSVD_MBO | SNP_POLICY_SMT)

static struct snp_attestation_report rep, rep2;
static struct snp_guest_msg msg, resp;
static uint8_t priv_page[4096] __attribute__((aligned(4096)));
static uint8_t priv_page2[4096] __attribute__((aligned(4096)));

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t k = 0; k < n; k++)
		if (b[k])
			return false;
	return true;
}

static void user_data(uint8_t ud[64], uint8_t salt)
{
	for (unsigned k = 0; k < 64; k++)
		ud[k] = (uint8_t)(salt ^ (k * 7 + 1));
}

/* A sealed MSG_REPORT_REQ with sequence number seq, sent raw. */
static void send_raw(uint64_t seq, bool tamper, uint64_t *i1, uint64_t *i2)
{
	struct snp_report_req r;

	memset(&r, 0, sizeof(r));
	user_data(r.user_data, 0x33);
	snp_msg_seal(&msg, snp_vmpck0(), 0, seq, SNP_MSG_REPORT_REQ, &r, sizeof(r));
	if (tamper)
		msg.payload[17] ^= 0x04;
	memset(&resp, 0xEE, sizeof(resp));
	EXPECT_EQ("raw.sent", snp_guest_req_raw(&msg, &resp, i1, i2), 0);
}

int main(void)
{
	uint8_t ud[64];
	uint64_t i1, i2;
	int64_t hc;
	int rc;

	if (!EXPECT("snp.active", snp_active()))
		return 1;

	/* 1. a report with known user data */
	user_data(ud, 0xA5);
	rc = snp_get_report(ud, &rep);
	EXPECT_EQ("report.ok", rc, 0);
	EXPECT("report.report_data", !memcmp(rep.report_data, ud, sizeof(ud)));
	EXPECT_EQ("report.vmpl", rep.vmpl, 0);
	EXPECT_EQ("report.policy", rep.policy, POLICY);
	EXPECT_EQ("report.signature_algo", rep.signature_algo, SNP_SIG_ALGO_ECDSA_P384);
	EXPECT("report.measurement_nonzero", !all_zero(rep.measurement, sizeof(rep.measurement)));
	EXPECT_EQ("report.seqno", snp_msg_seqno, 2);
	printf("attest: MEASUREMENT ");
	for (unsigned k = 0; k < sizeof(rep.measurement); k++)
		printf("%02x", rep.measurement[k]);
	printf("\n");

	/* 2. the hypervisor compares it with the launch digest it printed */
	hc = hypercall(HC_SNP_ATTESTED, (uint64_t)(uintptr_t)rep.measurement,
		       sizeof(rep.measurement), 0, 0);
	EXPECT_EQ("report.attested_digest", hc, 0);

	/* 3. tampered ciphertext: the firmware's authentication error, no response */
	send_raw(snp_msg_seqno + 1, true, &i1, &i2);
	EXPECT_EQ("tampered.exitinfo1", i1, 0);
	EXPECT_EQ("tampered.fw_error", i2, SEV_RET_BAD_SIGNATURE);
	EXPECT("tampered.no_response", all_zero(&resp, sizeof(resp)));

	/* 4. a replayed sequence number (the first request's) */
	send_raw(1, false, &i1, &i2);
	EXPECT_EQ("replay.exitinfo1", i1, 0);
	EXPECT_EQ("replay.fw_error", i2, SEV_RET_INVALID_PARAM);
	EXPECT("replay.no_response", all_zero(&resp, sizeof(resp)));

	/* 5. private (not shared) request and response pages: refused by the
	 * hypervisor with a GHCB error, nothing read or written */
	memcpy(priv_page, &msg, sizeof(msg));
	i1 = ghcb_nae(SNP_NAE_GUEST_REQUEST, (uint64_t)(uintptr_t)priv_page,
		      (uint64_t)(uintptr_t)priv_page2);
	i2 = snp_ghcb->save.sw_exit_info_2; /* before the next hypercall reuses the GHCB */
	EXPECT_EQ("private_pages.exitinfo1", i1, GHCB_HV_RESP_MALFORMED_INPUT);
	EXPECT_EQ("private_pages.exitinfo2", i2, GHCB_ERR_INVALID_INPUT);
	EXPECT("private_pages.untouched", all_zero(priv_page2, sizeof(priv_page2)));

	/* 6. nothing was consumed: the next report uses sequence number 3 */
	user_data(ud, 0x5A);
	rc = snp_get_report(ud, &rep2);
	EXPECT_EQ("report2.ok", rc, 0);
	EXPECT_EQ("report2.seqno", snp_msg_seqno, 4);
	EXPECT("report2.report_data", !memcmp(rep2.report_data, ud, sizeof(ud)));
	EXPECT("report2.same_measurement",
	       !memcmp(rep2.measurement, rep.measurement, sizeof(rep.measurement)));
	EXPECT("report2.same_report_id", !memcmp(rep2.report_id, rep.report_id, 32));
	printf("attest: %llu guest requests\n", (unsigned long long)snp_guest_requests);
	return 0;
}
