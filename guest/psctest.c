/* psctest: malformed page-state-change requests (56421 4.1.6). Each must get
 * the documented SW_EXITINFO2 error and change nothing: the guest checks its
 * data and the pages' validation state afterwards, and the hypervisor proves
 * with its page-state fingerprint and checker that nothing moved
 * (@@ CHECK snp.<guest>.pagestate_check). docs/snp-guest.md. */
#include "lib/snp.h"

#define PAGE_D	 0x1c4000 /* 4K RMP entries (launch region below 2 MiB) */
#define REGION_E MiB(12)
#define SEED	 0x0badc0ffee0ddf00ULL

static struct psc_desc d;

static void fill(uint64_t va, uint64_t size, uint64_t seed)
{
	for (uint64_t i = 0; i < size; i += 8)
		*(volatile uint64_t *)(uintptr_t)(va + i) = seed ^ i;
}

static bool same(uint64_t va, uint64_t size, uint64_t seed)
{
	for (uint64_t i = 0; i < size; i += 8)
		if (*(volatile uint64_t *)(uintptr_t)(va + i) != (seed ^ i))
			return false;
	return true;
}

static void req(uint16_t cur, uint16_t end, uint32_t rsvd)
{
	memset(&d, 0, sizeof(d));
	d.hdr.cur_entry = cur;
	d.hdr.end_entry = end;
	d.hdr.reserved = rsvd;
}

/* Sends d, expects SW_EXITINFO2 == want and the header untouched unless ok. */
static void send(const char *name, uint64_t want)
{
	struct psc_hdr before = d.hdr;
	uint64_t info1 = 0, e2 = snp_psc_raw(&d, sizeof(d), 0, 0, &info1);

	guest_test(name,
		   e2 == want && info1 == 0 && (want || d.hdr.cur_entry > d.hdr.end_entry) &&
		       (!want || (d.hdr.cur_entry == before.cur_entry &&
				  d.hdr.end_entry == before.end_entry)),
		   "exitinfo2 0x%llx (want 0x%llx) info1 0x%llx cur %u end %u",
		   (unsigned long long)e2, (unsigned long long)want, (unsigned long long)info1,
		   d.hdr.cur_entry, d.hdr.end_entry);
}

/* Still private and validated (CF=1), and holding its data. */
static void unchanged(const char *name)
{
	bool cf1 = false, cf2 = false;
	int r1 = pvalidate(PAGE_D, PV_4K, 1, &cf1), r2 = pvalidate(REGION_E, PV_2M, 1, &cf2);

	guest_test(name,
		   r1 == 0 && cf1 && r2 == 0 && cf2 && same(PAGE_D, PAGE_SIZE, SEED) &&
		       same(REGION_E, HUGE_SIZE, SEED + 1),
		   "page D rc %d cf %d, region E rc %d cf %d, data %d/%d", r1, cf1, r2, cf2,
		   same(PAGE_D, PAGE_SIZE, SEED), same(REGION_E, HUGE_SIZE, SEED + 1));
}

int main(void)
{
	uint64_t mem = boot_info()->mem_size, gfn_d = PAGE_D >> 12, gfn_e = REGION_E >> 12;
	uint64_t info1, e2;
	unsigned i;

	if (!EXPECT("snp.active", snp_active()) || !EXPECT_EQ("init", snp_init(), 0))
		return 1;
	fill(PAGE_D, PAGE_SIZE, SEED);
	fill(REGION_E, HUGE_SIZE, SEED + 1);

	/* header */
	req(0, 0, 1);
	d.entries[0] = psc_entry(gfn_d, PSC_OP_SHARED, false, 0);
	send("hdr.reserved_bits", PSC_ERROR_INVALID_HDR);
	req(0, 253, 0);
	send("hdr.end_entry_253", PSC_ERROR_INVALID_HDR);
	req(0, 0xffff, 0);
	send("hdr.huge_count", PSC_ERROR_INVALID_HDR);
	req(5, 2, 0);
	d.entries[2] = psc_entry(gfn_d, PSC_OP_SHARED, false, 0);
	send("hdr.cur_past_end", PSC_ERROR_INVALID_HDR);
	req(3, 2, 0); /* cur == end + 1: nothing left, success, no change */
	d.entries[2] = psc_entry(gfn_d, PSC_OP_SHARED, false, 0);
	send("hdr.all_done_is_noop", 0);
	unchanged("hdr.nothing_changed");

	/* entries */
	req(0, 0, 0);
	d.entries[0] = psc_entry(mem >> 12, PSC_OP_SHARED, false, 0);
	send("entry.gfn_at_end_of_memory", PSC_ERROR_INVALID_ENTRY);
	req(0, 0, 0);
	d.entries[0] = psc_entry((1ULL << 40) - 1, PSC_OP_SHARED, false, 0);
	send("entry.gfn_hypervisor_memory", PSC_ERROR_INVALID_ENTRY);
	req(0, 0, 0); /* a 2M entry running past the end of memory */
	d.entries[0] = psc_entry((mem - HUGE_SIZE + HUGE_SIZE) >> 12, PSC_OP_SHARED, true, 0);
	send("entry.2m_past_memory", PSC_ERROR_INVALID_ENTRY);
	req(0, 1, 0); /* valid first entry, then a 4K entry inside a 2M entry */
	d.entries[0] = psc_entry(gfn_e, PSC_OP_SHARED, true, 0);
	d.entries[1] = psc_entry(gfn_e + 7, PSC_OP_SHARED, false, 0);
	send("entry.overlap", PSC_ERROR_INVALID_ENTRY);
	req(0, 1, 0);
	d.entries[0] = psc_entry(gfn_d, PSC_OP_SHARED, false, 0);
	d.entries[1] = psc_entry(gfn_d, PSC_OP_PRIVATE, false, 0);
	send("entry.duplicate", PSC_ERROR_INVALID_ENTRY);
	for (i = 0; i < 3; i++) {
		static const unsigned ops[] = {0, 5, 15};
		static const char *const names[] = {"entry.op_0", "entry.op_5", "entry.op_15"};

		req(0, 0, 0);
		d.entries[0] = psc_entry(gfn_d, ops[i], false, 0);
		send(names[i], PSC_ERROR_INVALID_ENTRY);
	}
	req(0, 0, 0);
	d.entries[0] = psc_entry(gfn_d, PSC_OP_SHARED, false, 2);
	send("entry.cur_page_past_4k", PSC_ERROR_INVALID_ENTRY);
	req(0, 0, 0);
	d.entries[0] = psc_entry(gfn_e, PSC_OP_SHARED, true, 513);
	send("entry.cur_page_past_2m", PSC_ERROR_INVALID_ENTRY);
	req(0, 0, 0);
	d.entries[0] = psc_entry(gfn_d, PSC_OP_SHARED, false, 0) | BIT(60);
	send("entry.reserved_bits", PSC_ERROR_INVALID_ENTRY);
	req(0, 0, 0);
	d.entries[0] = psc_entry(gfn_e + 1, PSC_OP_SHARED, true, 0);
	send("entry.2m_unaligned", PSC_ERROR_INVALID_ENTRY);
	req(0, 2, 0); /* two good entries, the last one bad: all refused */
	d.entries[0] = psc_entry(gfn_d, PSC_OP_SHARED, false, 0);
	d.entries[1] = psc_entry(gfn_e, PSC_OP_SHARED, true, 0);
	d.entries[2] = psc_entry(gfn_d + 1, 9, false, 0);
	send("entry.bad_last_refuses_all", PSC_ERROR_INVALID_ENTRY);
	unchanged("entry.nothing_changed");

	/* SW_SCRATCH outside the shared buffer */
	req(0, 0, 0);
	d.entries[0] = psc_entry(gfn_d, PSC_OP_SHARED, false, 0);
	e2 = snp_psc_raw(&d, sizeof(d), 0, snp_ghcb_gpa + 0x100, &info1);
	guest_test("scratch.outside_shared_buffer",
		   info1 == GHCB_HV_RESP_MALFORMED_INPUT && e2 == GHCB_ERR_INVALID_SCRATCH,
		   "info1 0x%llx exitinfo2 0x%llx", (unsigned long long)info1,
		   (unsigned long long)e2);
	e2 = snp_psc_raw(&d, sizeof(d), 0, mem + 0x800, &info1);
	guest_test("scratch.beyond_memory",
		   info1 == GHCB_HV_RESP_MALFORMED_INPUT && e2 == GHCB_ERR_INVALID_SCRATCH,
		   "info1 0x%llx exitinfo2 0x%llx", (unsigned long long)info1,
		   (unsigned long long)e2);
	/* entries running past the end of the shared buffer */
	req(0, 252, 0);
	e2 = snp_psc_raw(&d, sizeof(struct psc_hdr) + 8, GHCB_SHARED_BUF_SIZE - 16, 0, &info1);
	guest_test("hdr.entries_past_buffer", e2 == PSC_ERROR_INVALID_HDR, "exitinfo2 0x%llx",
		   (unsigned long long)e2);

	/* MSR protocol: bad operation, GFN beyond memory */
	EXPECT("msrp.psc_bad_op",
	       ghcb_msr_call((gfn_d << 12) | (7ULL << 52) | GHCB_MSR_PSC_REQ) >> 32);
	EXPECT("msrp.psc_beyond_memory", snp_msr_psc((mem >> 12) + 1, false) != 0);
	unchanged("all.nothing_changed");

	/* and a well-formed request still works afterwards */
	req(0, 0, 0);
	if (pvalidate(PAGE_D, PV_4K, 0, &(bool){0}) == 0) {
		bool c = true;

		d.entries[0] = psc_entry(gfn_d, PSC_OP_SHARED, false, 0);
		send("good.to_shared", 0);
		/* shared now: its mapping loses the C-bit (snp_make_shared's order) */
		EXPECT_EQ("good.clear_cbit", snp_pt_set_c(PAGE_D, PAGE_SIZE, false), 0);
		snp_pt_query(PAGE_D, &c, NULL, NULL);
		EXPECT("good.shared_cbit_clear", !c);
		EXPECT_EQ("good.back_to_private", snp_make_private(PAGE_D, PAGE_SIZE, false), 0);
		snp_pt_query(PAGE_D, &c, NULL, NULL);
		EXPECT("good.private_cbit_set", c);
	}
	printf("psctest: done\n");
	return 0;
}
