/* malicious: an SNP guest that attacks the hypervisor from inside, one
 * attack class per run (args = "psc", "hc", "pvalidate", "greq",
 * "ghcbkill"). Every attack must end with the request refused (and this
 * guest still able to use the GHCB) or with the guest killed; the other
 * guests of the scenario finish, xcheck stays clean. The table of attacks,
 * expected results and scenarios is in docs/snp-guest.md "Malicious-guest
 * suite"; the scenarios are tests/qemu/malicious-*.cfg. */
#include "lib/snp.h"
#include "snp/sev_fw.h"

/* the RMP GPA of the VMSA (snp/measure.h SNP_VMSA_GPA): not guest memory */
#define VMSA_GFN (0xFFFFFFFFF000ULL >> 12)

static struct psc_desc d;
/* two pages: [0] made shared, [1] stays private */
static uint8_t two[2][4096] __attribute__((aligned(4096)));
static uint8_t victim[4096] __attribute__((aligned(4096)));
static struct snp_guest_msg msg, resp;

static bool has_arg(const char *w)
{
	const char *a = boot_info()->args;
	size_t n = strlen(w);

	for (; *a; a++)
		if (!memcmp(a, w, n) && (a[n] == 0 || a[n] == ' ') &&
		    (a == boot_info()->args || a[-1] == ' '))
			return true;
	return false;
}

static void req(uint16_t end)
{
	memset(&d, 0, sizeof(d));
	d.hdr.end_entry = end;
}

/* The GHCB still answers: a hypercall through it works. */
static void ghcb_alive(const char *name)
{
	struct hc_info info;

	EXPECT_EQ(name, hc_get_info(&info), sizeof(info));
}

/* Sends d raw; SW_EXITINFO2 must be want, the header unchanged. */
static void send(const char *name, uint64_t want)
{
	struct psc_hdr before = d.hdr;
	uint64_t info1 = 0, e2 = snp_psc_raw(&d, sizeof(d), 0, 0, &info1);

	guest_test(name,
		   e2 == want && info1 == 0 && d.hdr.cur_entry == before.cur_entry &&
		       d.hdr.end_entry == before.end_entry,
		   "exitinfo2 0x%llx (want 0x%llx) info1 0x%llx cur %u", (unsigned long long)e2,
		   (unsigned long long)want, (unsigned long long)info1, d.hdr.cur_entry);
}

/* A private, validated page: PVALIDATE again says "no update" (CF=1). */
static bool still_private(uint64_t va)
{
	bool cf = false;
	int rc = pvalidate(va, PV_4K, 1, &cf);

	return rc == 0 && cf;
}

static void attack_psc(void)
{
	uint64_t mem = boot_info()->mem_size, ghcb_gfn = snp_ghcb_gpa >> 12;
	uint64_t v = (uint64_t)(uintptr_t)victim;

	victim[0] = 0x5a;
	/* 1. the registered GHCB to private (the hypervisor's answer would land
	 * in a private page): refused, the whole request, GHCB still shared */
	req(1);
	d.entries[0] = psc_entry(v >> 12, PSC_OP_PRIVATE, false, 0);
	d.entries[1] = psc_entry(ghcb_gfn, PSC_OP_PRIVATE, false, 0);
	send("psc.ghcb_to_private_refused", PSC_ERROR_INVALID_ENTRY);
	ghcb_alive("psc.ghcb_still_works");
	/* the 2M region holding the GHCB, as one 2M entry */
	req(0);
	d.entries[0] = psc_entry(ghcb_gfn & ~511ULL, PSC_OP_PRIVATE, true, 0);
	send("psc.ghcb_2m_to_private_refused", PSC_ERROR_INVALID_ENTRY);
	ghcb_alive("psc.ghcb_still_works_2m");
	/* 2. the VMSA's GPA: not guest memory */
	req(0);
	d.entries[0] = psc_entry(VMSA_GFN, PSC_OP_SHARED, false, 0);
	send("psc.vmsa_refused", PSC_ERROR_INVALID_ENTRY);
	EXPECT("psc.vmsa_msr_refused", snp_msr_psc(VMSA_GFN, false) != 0);
	/* 3. the secrets page to shared: refused in both protocols */
	req(0);
	d.entries[0] = psc_entry(SNP_SECRETS_GPA >> 12, PSC_OP_SHARED, false, 0);
	send("psc.secrets_refused", PSC_ERROR_INVALID_ENTRY);
	EXPECT("psc.secrets_msr_refused", snp_msr_psc(SNP_SECRETS_GPA >> 12, false) != 0);
	EXPECT("psc.secrets_still_private", still_private(SNP_SECRETS_GPA));
	/* 4. outside guest memory */
	req(0);
	d.entries[0] = psc_entry(mem >> 12, PSC_OP_SHARED, false, 0);
	send("psc.outside_memory_refused", PSC_ERROR_INVALID_ENTRY);
	req(0);
	d.entries[0] = psc_entry((1ULL << 40) - 1, PSC_OP_PRIVATE, false, 0);
	send("psc.top_gfn_refused", PSC_ERROR_INVALID_ENTRY);
	/* 5. overlapping and repeated entries */
	req(1);
	d.entries[0] = psc_entry(v >> 12, PSC_OP_SHARED, false, 0);
	d.entries[1] = psc_entry(v >> 12, PSC_OP_SHARED, false, 0);
	send("psc.repeated_refused", PSC_ERROR_INVALID_ENTRY);
	req(1);
	d.entries[0] = psc_entry((v >> 12) & ~511ULL, PSC_OP_SHARED, true, 0);
	d.entries[1] = psc_entry(v >> 12, PSC_OP_PRIVATE, false, 0);
	send("psc.overlap_refused", PSC_ERROR_INVALID_ENTRY);
	EXPECT("psc.victim_unchanged", still_private(v) && victim[0] == 0x5a);
	ghcb_alive("psc.ghcb_still_works_end");
}

static void attack_hc(void)
{
	uint64_t mem = boot_info()->mem_size, a = (uint64_t)(uintptr_t)two[0];

	if (!EXPECT_EQ("hc.setup_shared", snp_make_shared(a, 4096, false), 0))
		return;
	memset(two[0], 0x11, 4096);
	two[1][0] = 0x22;
	/* a result written across from a shared page into a private one */
	EXPECT_EQ("hc.get_info_cross_private",
		  snp_hypercall_raw(HC_GET_INFO, a + 4096 - 16, sizeof(struct hc_info), 0, 0),
		  (uint64_t)HC_EFAULT);
	EXPECT("hc.nothing_written", two[0][4095] == 0x11 && two[1][0] == 0x22);
	/* a text read across into the private page */
	EXPECT_EQ("hc.puts_cross_private", snp_hypercall_raw(HC_PUTS, a + 4000, 200, 0, 0),
		  (uint64_t)HC_EFAULT);
	/* past the end of memory, and wrapping around */
	EXPECT_EQ("hc.get_info_past_end",
		  snp_hypercall_raw(HC_GET_INFO, mem - 8, sizeof(struct hc_info), 0, 0),
		  (uint64_t)HC_EFAULT);
	EXPECT_EQ("hc.puts_past_end", snp_hypercall_raw(HC_PUTS, mem - 16, 100, 0, 0),
		  (uint64_t)HC_EFAULT);
	EXPECT_EQ("hc.puts_wrap", snp_hypercall_raw(HC_PUTS, ~0ULL - 4, 100, 0, 0),
		  (uint64_t)HC_EFAULT);
	EXPECT_EQ("hc.test_result_private_name",
		  snp_hypercall_raw(HC_TEST_RESULT, (uint64_t)(uintptr_t)two[1], 1, 0, 0),
		  (uint64_t)HC_EFAULT);
	/* the test ABI is not enabled for this guest */
	EXPECT_EQ("hc.dma_phase_refused", snp_hypercall_raw(HC_DMA_PHASE, HC_DMA_BEGIN, 0, 0, 0),
		  (uint64_t)HC_EPERM);
	EXPECT_EQ("hc.bench_mark_refused", snp_hypercall_raw(HC_BENCH_MARK, 0, 0, 0, 0),
		  (uint64_t)HC_EPERM);
	ghcb_alive("hc.ghcb_still_works");
}

static void attack_pvalidate(void)
{
	uint64_t v = (uint64_t)(uintptr_t)victim, a = (uint64_t)(uintptr_t)two[0];
	bool cf = true;
	int vec = 0, rc;
	uint64_t err = 0;

	victim[0] = 0x5a;
	/* an already validated page: no update (CF=1), data kept */
	rc = pvalidate(v, PV_4K, 1, &cf);
	EXPECT("pv.validated_page_noupdate", rc == 0 && cf && victim[0] == 0x5a);
	rc = pvalidate(v & ~(HUGE_SIZE - 1), PV_2M, 1, &cf);
	guest_test("pv.validated_2m_no_change", rc != 0 || cf, "rc %d cf %d", rc, cf);
	EXPECT("pv.victim_intact", victim[0] == 0x5a && still_private(v));
	/* a shared page: the RMP #NPF, delivered as #VC 0x400 (C=1 around the
	 * instruction, as hardware needs for PVALIDATE) */
	if (!EXPECT_EQ("pv.setup_shared", snp_make_shared(a, 4096, false), 0))
		return;
	snp_pt_set_c(a, 4096, true);
	rc = pvalidate_safe(a, PV_4K, 1, &cf, &vec, &err);
	snp_pt_set_c(a, 4096, false);
	guest_test("pv.shared_page_vc_npf", rc == -1 && vec == 29 && err == 0x400,
		   "rc %d vector %d error 0x%llx", rc, vec, (unsigned long long)err);
	ghcb_alive("pv.ghcb_still_works");
}

static void send_raw(uint64_t seq, uint64_t *i1, uint64_t *i2)
{
	struct snp_report_req r;

	memset(&r, 0, sizeof(r));
	snp_msg_seal(&msg, snp_vmpck0(), 0, seq, SNP_MSG_REPORT_REQ, &r, sizeof(r));
	memset(&resp, 0xEE, sizeof(resp));
	EXPECT_EQ("greq.raw_sent", snp_guest_req_raw(&msg, &resp, i1, i2), 0);
}

static void attack_greq(void)
{
	struct snp_attestation_report rep;
	uint8_t ud[64];
	uint64_t i1, i2, first;

	memset(ud, 0x42, sizeof(ud));
	EXPECT_EQ("greq.report_ok", snp_get_report(ud, &rep), 0);
	first = snp_msg_seqno - 1; /* the request's number */
	/* replayed: the request's sequence number again */
	send_raw(first, &i1, &i2);
	EXPECT("greq.replay_refused", i1 == 0 && i2 == SEV_RET_INVALID_PARAM);
	/* bad sequence numbers: skipping ahead, zero, far away */
	send_raw(snp_msg_seqno + 3, &i1, &i2);
	EXPECT("greq.seq_ahead_refused", i1 == 0 && i2 == SEV_RET_INVALID_PARAM);
	send_raw(0, &i1, &i2);
	EXPECT("greq.seq_zero_refused", i1 == 0 && i2 == SEV_RET_INVALID_PARAM);
	send_raw(~0ULL, &i1, &i2);
	EXPECT("greq.seq_max_refused", i1 == 0 && i2 == SEV_RET_INVALID_PARAM);
	/* nothing consumed: the next good request works */
	EXPECT_EQ("greq.report_after_ok", snp_get_report(ud, &rep), 0);
}

/* The GHCB made private through the MSR protocol (allowed: the answer goes
 * in the MSR), then used: the hypervisor neither reads nor writes it and
 * kills the guest. */
static void attack_ghcbkill(void)
{
	uint64_t ghcb_gfn = snp_ghcb_gpa >> 12;

	printf("malicious: GHCB gfn 0x%llx to private, then a hypercall through it\n",
	       (unsigned long long)ghcb_gfn);
	if (snp_msr_psc(ghcb_gfn, true) != 0) {
		EXPECT("ghcbkill.msr_psc", false);
		return;
	}
	snp_hypercall_raw(HC_YIELD, 0, 0, 0, 0);
	/* not reached: the hypervisor ended the guest (expect = killed) */
	printf("malicious: still running after using a private GHCB\n");
}

int main(void)
{
	if (!EXPECT("snp.active", snp_active()))
		return 1;
	if (has_arg("psc"))
		attack_psc();
	if (has_arg("hc"))
		attack_hc();
	if (has_arg("pvalidate"))
		attack_pvalidate();
	if (has_arg("greq"))
		attack_greq();
	if (has_arg("ghcbkill"))
		attack_ghcbkill();
	printf("malicious: done\n");
	return 0;
}
