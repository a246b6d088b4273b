/* snptest: the SEV-SNP guest protocol end to end (docs/snp-guest.md).
 * Start-up validation, GHCB MSR protocol (SEV info, CPUID, registration,
 * PSC), the GHCB page and its PSC NAE with partial progress, the #VC
 * handler's GHCB paths, and PVALIDATE return codes and CF exactly.
 * Needs >= 32 MiB. args "bench": also measures PVALIDATE and PSC rates. */
#include "lib/snp.h"

#define REGION_A 0x1c0000 /* 4K RMP entries (launch region below 2 MiB) */
#define REGION_B MiB(12)  /* converted as one 2M page */
#define REGION_C MiB(16)  /* 256 4K entries in one request */
#define PATTERN	 0x5a5aa5a5c3c33c3cULL

static bool has_arg(const char *w)
{
	const char *a = boot_info()->args;
	size_t n = strlen(w);

	for (; *a; a++)
		if (!memcmp(a, w, n))
			return true;
	return false;
}

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

/* rc, CF and exception of one PVALIDATE, as one string-friendly check */
static void pv_expect(const char *name, uint64_t va, int size, int validate, int want_rc,
		      int want_cf, int want_vec)
{
	bool cf = false;
	int vec = -1;
	uint64_t err = 0;
	int rc = pvalidate_safe(va, size, validate, &cf, &vec, &err);

	guest_test(name,
		   rc == want_rc && (want_rc < 0 || (int)cf == want_cf) && vec == want_vec &&
		       (want_vec != 29 || err == 0x400),
		   "va 0x%llx size %d validate %d: rc %d cf %d vector %d err 0x%llx (want rc %d cf "
		   "%d vector %d)",
		   (unsigned long long)va, size, validate, rc, cf, vec, (unsigned long long)err,
		   want_rc, want_cf, want_vec);
}

static void test_startup(int ret)
{
	EXPECT_EQ("init", ret, 0);
	guest_test("validate.counts",
		   snp_boot.failures == 0 && snp_boot.pages_2m + snp_boot.pages_4k > 0,
		   "2M %llu, 4K %llu, already 4K %llu / 2M %llu, 4K retries %llu, failures %llu, "
		   "touched %llu",
		   (unsigned long long)snp_boot.pages_2m, (unsigned long long)snp_boot.pages_4k,
		   (unsigned long long)snp_boot.already_4k, (unsigned long long)snp_boot.already_2m,
		   (unsigned long long)snp_boot.retries_4k, (unsigned long long)snp_boot.failures,
		   (unsigned long long)snp_boot.touched);
	/* the launch region (first 2M, 4K entries validated at launch) */
	EXPECT("validate.launch_region_retried_4k", snp_boot.retries_4k >= 1);
	EXPECT("validate.launch_pages_cf1", snp_boot.already_4k > 0);
	EXPECT("validate.touched", snp_boot.touched == snp_boot.pages_2m + snp_boot.pages_4k);
}

static void test_msr_protocol(void)
{
	struct cpuid_out m, n;
	uint64_t v;

	v = ghcb_msr_call(GHCB_MSR_SEV_INFO_REQ);
	/* one C-bit in SEV info, CPUID (through the MSR protocol) and the
	 * boot params: the one snp_init learned */
	guest_test("msrp.sev_info",
		   (v & 0xfff) == GHCB_MSR_SEV_INFO_RESP &&
		       FIELD_GET(GHCB_MSR_SEV_INFO_CBIT, v) == boot_info()->cbit,
		   "response 0x%llx", (unsigned long long)v);
	/* the hypervisor left the same response in the MSR before the first
	 * instruction (56421 2.3.1.1, as KVM does) */
	EXPECT_EQ("msrp.sev_info_at_entry", snp_boot.ghcb_msr_at_entry, v);
	EXPECT_EQ("msrp.cpuid_ok", snp_msr_cpuid(CPUID_SEV_LEAF, &m), 0);
	EXPECT_EQ("msrp.cpuid_sev_eax", m.eax & 0x1a, 0x1a);
	EXPECT_EQ("msrp.cpuid_cbit", m.ebx & 0x3f, boot_info()->cbit);
	EXPECT_EQ("msrp.cbit_learned", snp_cbit, m.ebx & 0x3f);
	snp_msr_cpuid(0x40000000, &m);
	n = cpuid2(0x40000000, 0); /* #VC -> GHCB CPUID NAE */
	EXPECT("msrp.cpuid_matches_native", m.eax == n.eax && m.ebx == n.ebx && m.ecx == n.ecx);
	/* PSC of a GFN beyond the guest's memory: error, nothing changes */
	EXPECT("msrp.psc_out_of_range", snp_msr_psc((boot_info()->mem_size >> 12) + 5, false) != 0);
	/* registering a private page as GHCB: refused with GFN all ones */
	v = ghcb_msr_call((REGION_A >> 12 << 12) | GHCB_MSR_REG_GPA_REQ);
	guest_test("msrp.register_private_refused",
		   (v & 0xfff) == GHCB_MSR_REG_GPA_RESP && (v >> 12) == 0xfffffffffffffULL,
		   "response 0x%llx", (unsigned long long)v);
}

/* The #VC handler's GHCB paths, fed synthetic frames (on hardware the
 * processor raises the #VC; under emulation CPUID/MSR/IO just exit). */
static void test_vc_paths(void)
{
	static const uint8_t insn_cpuid[] = {0x0f, 0xa2}, insn_rdmsr[] = {0x0f, 0x32},
			     insn_in_dx[] = {0xec}, insn_out_dx[] = {0xee};
	struct exc_frame f;
	const char *s = "vc: output through the GHCB IOIO path\n";
	uint64_t n0 = snp_vc_count;

	memset(&f, 0, sizeof(f));
	f.error = 0x72;
	f.rax = 0x40000000;
	f.rip = (uint64_t)(uintptr_t)insn_cpuid;
	snp_vc_handler(&f);
	EXPECT("vc.cpuid_signature", f.rbx == HC_CPUID_SIG_EBX && f.rcx == HC_CPUID_SIG_ECX &&
					 f.rip == (uint64_t)(uintptr_t)insn_cpuid + 2);
	memset(&f, 0, sizeof(f));
	f.error = 0x7c;
	f.rcx = MSR_AMD64_SEV;
	f.rip = (uint64_t)(uintptr_t)insn_rdmsr;
	snp_vc_handler(&f);
	EXPECT_EQ("vc.rdmsr_sev_status", f.rax, 7);
	memset(&f, 0, sizeof(f));
	f.error = 0x7b;
	f.rdx = 0x3fd;
	f.rax = 0x1234;
	f.rip = (uint64_t)(uintptr_t)insn_in_dx;
	snp_vc_handler(&f);
	EXPECT_EQ("vc.in_lsr", f.rax, 0x1260);
	for (; *s; s++) {
		memset(&f, 0, sizeof(f));
		f.error = 0x7b;
		f.rdx = 0x3f8;
		f.rax = (uint8_t)*s;
		f.rip = (uint64_t)(uintptr_t)insn_out_dx;
		snp_vc_handler(&f);
	}
	EXPECT("vc.out_com1", f.rip == (uint64_t)(uintptr_t)insn_out_dx + 1);
	EXPECT_EQ("vc.count", snp_vc_count - n0,
		  3 + strlen("vc: output through the GHCB IOIO path\n"));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Real #VCs: under the emulation the hypervisor injects them for CPUID,
 * MSR, IOIO and VMMCALL exactly where hardware raises them; the handler
 * answers through the GHCB and moves RIP. Counted per reason. */
static void test_vc_real(void)
{
	uint64_t c0[VC_NR], c1[VC_NR], total0 = snp_vc_count, noerr0 = snp_vc_noerr, v = 0;
	struct cpuid_out r;
	uint8_t lsr;
	int gp, rc;
	int64_t y;

	memcpy(c0, snp_vc_counts, sizeof(c0));
	r = cpuid2(0x40000000, 0);	       /* 1 CPUID */
	gp = rdmsr_safe(0x4b564d00, &v);       /* 1 MSR: #GP through the GHCB */
	rc = rdmsr_safe(MSR_AMD64_SEV, &v);    /* no #VC: not intercepted */
	lsr = inb(0x3fd);		       /* 1 IOIO */
	y = vmmcall_raw(HC_YIELD, 0, 0, 0, 0); /* 1 VMMCALL */
	memcpy(c1, snp_vc_counts, sizeof(c1));
	EXPECT("vc.real_cpuid", r.ebx == HC_CPUID_SIG_EBX && r.ecx == HC_CPUID_SIG_ECX);
	EXPECT_EQ("vc.real_msr_gp", gp, 13);
	EXPECT("vc.sev_status_no_vc", rc == 0 && v == 7);
	EXPECT_EQ("vc.real_in_lsr", lsr & 0x60, 0x60);
	EXPECT_EQ("vc.real_vmmcall_yield", y, 0);
	guest_test("vc.counts_per_reason",
		   c1[VC_CPUID] - c0[VC_CPUID] == 1 && c1[VC_MSR] - c0[VC_MSR] == 1 &&
		       c1[VC_IOIO] - c0[VC_IOIO] == 1 && c1[VC_VMMCALL] - c0[VC_VMMCALL] == 1 &&
		       snp_vc_count - total0 == 4,
		   "cpuid %llu msr %llu ioio %llu vmmcall %llu, total %llu (want 1 1 1 1, 4)",
		   (unsigned long long)(c1[VC_CPUID] - c0[VC_CPUID]),
		   (unsigned long long)(c1[VC_MSR] - c0[VC_MSR]),
		   (unsigned long long)(c1[VC_IOIO] - c0[VC_IOIO]),
		   (unsigned long long)(c1[VC_VMMCALL] - c0[VC_VMMCALL]),
		   (unsigned long long)(snp_vc_count - total0));
	/* how the #VC arrived: hardware pushes the error code; QEMU TCG does
	 * not for vector 29 (all or none, never mixed) */
	guest_test("vc.error_code_delivery",
		   snp_vc_noerr - noerr0 == 0 || snp_vc_noerr - noerr0 == snp_vc_count - total0,
		   "%llu of %llu #VC arrived without an error code",
		   (unsigned long long)(snp_vc_noerr - noerr0),
		   (unsigned long long)(snp_vc_count - total0));
	/* since start-up: every reason seen (printf = IOIO, EXPECT = none:
	 * the library's hypercalls go to the GHCB without a #VC) */
	guest_test(
	    "vc.totals",
	    snp_vc_counts[VC_CPUID] && snp_vc_counts[VC_IOIO] && snp_vc_counts[VC_MSR] &&
		snp_vc_counts[VC_VMMCALL] && !snp_vc_counts[VC_OTHER],
	    "cpuid %llu msr %llu ioio %llu vmmcall %llu npf %llu other %llu, nested %llu, "
	    "no error code %llu",
	    (unsigned long long)snp_vc_counts[VC_CPUID], (unsigned long long)snp_vc_counts[VC_MSR],
	    (unsigned long long)snp_vc_counts[VC_IOIO],
	    (unsigned long long)snp_vc_counts[VC_VMMCALL],
	    (unsigned long long)snp_vc_counts[VC_NPF], (unsigned long long)snp_vc_counts[VC_OTHER],
	    (unsigned long long)snp_vc_nested, (unsigned long long)snp_vc_noerr);
}

/* A #VC while the GHCB is in use (between filling it and reading the
 * answer): the handler keeps the interrupted contents in its backup. */
static void test_vc_nested(void)
{
	static const char mark[] = "ghcb contents of the interrupted user";
	uint64_t n0 = snp_vc_nested;
	struct cpuid_out r;

	snp_ghcb_get();
	memcpy(snp_ghcb->shared_buffer, mark, sizeof(mark));
	snp_ghcb->save.sw_exit_code = 0x1234;
	r = cpuid2(0x40000000, 0); /* #VC: GHCB busy -> backup */
	EXPECT("vc.nested_restored", !memcmp(snp_ghcb->shared_buffer, mark, sizeof(mark)) &&
					 snp_ghcb->save.sw_exit_code == 0x1234);
	snp_ghcb_put();
	EXPECT("vc.nested_result", r.ebx == HC_CPUID_SIG_EBX);
	EXPECT_EQ("vc.nested_count", snp_vc_nested - n0, 1);
}

/* args "vcnest2": a #VC inside a nested #VC (the GHCB and its backup both
 * in use) must end the guest with termination reason set 3 code 3, not
 * corrupt the GHCB: the hook runs CPUID inside the handler of a #VC taken
 * while the GHCB is busy. */
static void nest_cpuid(void)
{
	cpuid2(0, 0);
}

static void test_vc_nested_twice(void)
{
	snp_ghcb_get();
	snp_vc_test_hook = nest_cpuid;
	asm volatile("" ::: "memory"); /* the #VC handler reads the hook */
	cpuid2(0, 0);		       /* #VC 1 (GHCB busy: backup) -> hook -> #VC 2: terminate */
	asm volatile("" ::: "memory");
	snp_vc_test_hook = NULL;
	snp_ghcb_put();
	EXPECT("vcnest2.not_reached", false);
}

/* Hypercalls: through the GHCB with buffers in the shared bounce page; a
 * private GPA handed to the hypervisor directly is refused. */
static void test_hypercalls(void)
{
	static struct hc_info info, priv;
	bool c = true, tc = false;
	uint64_t b0 = snp_hc_bounced;
	int64_t r;
	unsigned i, bad = 0;

	EXPECT("hc.bounce_exists", snp_hc_bounce != NULL);
	snp_pt_query((uint64_t)(uintptr_t)snp_hc_bounce, &c, &tc, NULL);
	guest_test("hc.bounce_shared_c0", !c && tc, "bounce page 0x%llx: leaf C %d tables C %d",
		   (unsigned long long)(uintptr_t)snp_hc_bounce, c, tc);
	r = hc_get_info(&info);
	EXPECT_EQ("hc.get_info_via_bounce", r, sizeof(info));
	EXPECT("hc.get_info_matches", !memcmp(&info, boot_info(), sizeof(info)));
	EXPECT("hc.bounced", snp_hc_bounced > b0);
	/* the hypervisor is handed a PRIVATE GPA: HC_EFAULT, nothing written */
	memset(&priv, 0xa5, sizeof(priv));
	r = snp_hypercall_raw(HC_GET_INFO, (uint64_t)(uintptr_t)&priv, sizeof(priv), 0, 0);
	EXPECT_EQ("hc.private_gpa_efault", r, (uint64_t)HC_EFAULT);
	r = vmmcall_raw(HC_GET_INFO, (uint64_t)(uintptr_t)&priv, sizeof(priv), 0, 0);
	EXPECT_EQ("hc.private_gpa_efault_vc", r, (uint64_t)HC_EFAULT);
	for (i = 0; i < sizeof(priv); i++)
		if (((uint8_t *)&priv)[i] != 0xa5)
			bad++;
	EXPECT_EQ("hc.private_untouched", bad, 0);
	/* the same call into the shared page works (raw, no bounce copy) */
	r = snp_hypercall_raw(HC_GET_INFO, (uint64_t)(uintptr_t)snp_hc_bounce, sizeof(info), 0, 0);
	EXPECT("hc.shared_gpa_ok",
	       r == sizeof(info) && !memcmp(snp_hc_bounce, boot_info(), sizeof(info)));
	/* outside guest memory: refused by the library before any copy */
	EXPECT_EQ("hc.library_bad_pointer", hc_puts((const char *)~0ULL, 8), (uint64_t)HC_EFAULT);
}

/* Cost of one #VC round trip (CPUID: #VC injection, handler, GHCB NAE,
 * VMGEXIT) against one hypercall through the GHCB (no #VC). */
static void bench_vc(void)
{
	const unsigned n = 200;
	uint64_t t0, t1, t2;

	t0 = rdtsc();
	for (unsigned i = 0; i < n; i++)
		cpuid2(0, 0);
	t1 = rdtsc();
	for (unsigned i = 0; i < n; i++)
		snp_hypercall_raw(HC_BENCH_MARK, 9, 0, 0, 0); /* HC_EINVAL: no side effect */
	t2 = rdtsc();
	guest_test("bench.vc_round_trip", t1 > t0 && t2 > t1,
		   "%u CPUID #VC round trips: %llu ticks each; %u GHCB hypercalls: %llu ticks each",
		   n, (unsigned long long)((t1 - t0) / n), n, (unsigned long long)((t2 - t1) / n));
}

/* The C-bit of va's mapping: leaf and tables, and the leaf level. */
static void c_expect(const char *name, uint64_t va, bool want_c, int want_level)
{
	bool c = !want_c, tc = false;
	int level = 0, rc = snp_pt_query(va, &c, &tc, &level);

	guest_test(name, rc == 0 && c == want_c && tc && (!want_level || level == want_level),
		   "va 0x%llx: rc %d leaf C %d tables C %d level %d (want C %d level %d)",
		   (unsigned long long)va, rc, c, tc, level, want_c, want_level);
}

/* PVALIDATE of a SHARED page (the RMP #NPF path) goes through a private
 * mapping, as hardware requires: the test maps it with C=1 around the
 * instruction (accessing it would fault; PVALIDATE only checks the RMP). */
static void pv_expect_shared(const char *name, uint64_t va, int size, int want_vec)
{
	uint64_t span = size == PV_2M ? HUGE_SIZE : PAGE_SIZE;

	snp_pt_set_c(va, span, true);
	pv_expect(name, va, size, 1, -1, 0, want_vec);
	snp_pt_set_c(va, span, false);
}

static void test_cbit(void)
{
	EXPECT("cbit.known", snp_cbit >= 32 && snp_cbit == boot_info()->cbit);
	/* the launched boot tables: C-bit in every entry (docs/guest-abi.md) */
	c_expect("cbit.boot_tables_code", (uint64_t)(uintptr_t)test_cbit, true, 0);
	c_expect("cbit.boot_tables_high", GiB(3) + MiB(6), true, 2);
	/* the GHCB: shared, C=0 in a split 4K table (the rest of its 2M stays C=1) */
	c_expect("cbit.ghcb_shared", snp_ghcb_gpa, false, 1);
	c_expect("cbit.ghcb_neighbour_private", snp_ghcb_gpa ^ PAGE_SIZE, true, 1);
	EXPECT("cbit.split_once", snp_pt_splits >= 1);
}

/* args "cbit0": the guest bug the emulation must catch. A private,
 * validated page is rescinded through a mapping WITHOUT the C-bit; the
 * emulation performs it but counts it, so @@ CHECK FAIL snp.<guest>.cbit. */
static void test_cbit0(void)
{
	uint64_t page = REGION_A + 0x9000;
	bool cf = true;

	EXPECT_EQ("cbit0.clear", snp_pt_set_c(page, PAGE_SIZE, false), 0);
	c_expect("cbit0.mapping_c0", page, false, 1);
	EXPECT_EQ("cbit0.rescind_through_c0", pvalidate(page, PV_4K, 0, &cf), 0);
	EXPECT_EQ("cbit0.restore", snp_pt_set_c(page, PAGE_SIZE, true), 0);
	EXPECT_EQ("cbit0.revalidate", pvalidate(page, PV_4K, 1, &cf), 0);
}

static void test_conversions(void)
{
	uint64_t mem = boot_info()->mem_size, page = REGION_A + 0x3000;
	const uint64_t span = 0x20000;	   /* 32 pages around the test page */
	bool huge = snp_boot.pages_2m > 0; /* 2M RMP entries (page_size = 2M) */
	unsigned exits = 0;
	bool cf;
	int i, bad = 0;

	fill(REGION_A, span, PATTERN);
	/* 4K private -> shared (4K RMP entries: no split needed) */
	EXPECT_EQ("conv.4k_to_shared", snp_make_shared(page, PAGE_SIZE, false), 0);
	c_expect("cbit.4k_shared_c0", page, false, 1);
	c_expect("cbit.4k_neighbour_c1", page + PAGE_SIZE, true, 1);
	pv_expect_shared("pv.validate_shared_page_faults", page, PV_4K, 29);
	fill(page, PAGE_SIZE, 0x1111);
	EXPECT("conv.shared_page_usable", same(page, PAGE_SIZE, 0x1111));
	EXPECT_EQ("conv.4k_to_private", snp_make_private(page, PAGE_SIZE, false), 0);
	c_expect("cbit.4k_private_c1", page, true, 1);
	pv_expect("pv.double_validate_cf1", page, PV_4K, 1, 0, 1, -1);
	pv_expect("pv.rescind", page, PV_4K, 0, 0, 0, -1);
	pv_expect("pv.double_rescind_cf1", page, PV_4K, 0, 0, 1, -1);
	pv_expect("pv.revalidate", page, PV_4K, 1, 0, 0, -1);
	pv_expect("pv.2m_on_split_region_sizemismatch", 0, PV_2M, 1, PV_FAIL_SIZEMISMATCH, 0, -1);
	pv_expect("pv.2m_misaligned_input", REGION_A + PAGE_SIZE, PV_2M, 1, PV_FAIL_INPUT, 0, -1);
	pv_expect("pv.bad_size_input", REGION_A, 2, 1, PV_FAIL_INPUT, 0, -1);
	pv_expect("pv.unmapped_va_pf", 0x100000000000ULL, PV_4K, 1, -1, 0, 14);
	pv_expect("pv.beyond_memory_faults", mem + HUGE_SIZE, PV_4K, 1, -1, 0, 29);
	/* the rest of region A kept its data through the split */
	for (i = 0; i < (int)(span / PAGE_SIZE); i++)
		if (REGION_A + i * PAGE_SIZE != page &&
		    !same(REGION_A + i * PAGE_SIZE, PAGE_SIZE, PATTERN ^ ((uint64_t)i * PAGE_SIZE)))
			bad++;
	EXPECT_EQ("conv.region_data_kept", bad, 0);

	/* a whole 2M region: one 2M entry where the guest has 2M RMP entries,
	 * else 512 4K entries, and a 2M PVALIDATE there is FAIL_SIZEMISMATCH */
	EXPECT_EQ("conv.2m_to_shared", snp_make_shared(REGION_B, HUGE_SIZE, huge), 0);
	c_expect("cbit.2m_shared_c0", REGION_B + MiB(1), false, 2); /* still one 2M leaf */
	pv_expect_shared("pv.validate_shared_2m_faults", REGION_B, PV_2M, 29);
	EXPECT_EQ("conv.2m_to_private", snp_make_private(REGION_B, HUGE_SIZE, huge), 0);
	c_expect("cbit.2m_private_c1", REGION_B, true, 2);
	pv_expect("pv.double_validate_2m", REGION_B, PV_2M, 1, huge ? 0 : PV_FAIL_SIZEMISMATCH,
		  huge, -1);

	if (huge) { /* 4K rescind inside the 2M entry: #NPF SIZEM, the hypervisor splits */
		EXPECT_EQ("conv.4k_in_2m_to_shared",
			  snp_make_shared(REGION_B + 0x5000, PAGE_SIZE, false), 0);
		c_expect("cbit.4k_in_2m_split_c0", REGION_B + 0x5000, false, 1);
		EXPECT_EQ("conv.4k_in_2m_to_private",
			  snp_make_private(REGION_B + 0x5000, PAGE_SIZE, false), 0);
		pv_expect("pv.2m_after_split_sizemismatch", REGION_B, PV_2M, 1,
			  PV_FAIL_SIZEMISMATCH, 0, -1);
		pv_expect("pv.4k_after_split_cf1", REGION_B + 0x6000, PV_4K, 1, 0, 1, -1);
	}
	/* 256 4K entries in one request, several exits (cur_entry advances):
	 * to private over pages that are private already (no change) */
	EXPECT_EQ("psc.256_entries", snp_psc(REGION_C, MiB(1), true, false, &exits), 0);
	guest_test("psc.partial_progress_exits", exits >= 2, "%u exits for 256 entries", exits);
	pv_expect("pv.256_still_validated", REGION_C + MiB(1) - PAGE_SIZE, PV_2M, 1, PV_FAIL_INPUT,
		  0, -1);
	pv_expect("pv.region_c_2m", REGION_C, PV_2M, 1, huge ? 0 : PV_FAIL_SIZEMISMATCH, huge, -1);
	/* 32 4K pages through one PSC request each way */
	EXPECT_EQ("conv.32x4k_to_shared", snp_make_shared(REGION_A, span, false), 0);
	c_expect("cbit.32x4k_shared_c0", REGION_A + span - PAGE_SIZE, false, 1);
	pv_expect_shared("pv.validate_converted_faults", REGION_A + span - PAGE_SIZE, PV_4K, 29);
	EXPECT_EQ("conv.32x4k_to_private", snp_make_private(REGION_A, span, false), 0);
	c_expect("cbit.32x4k_private_c1", REGION_A, true, 1);
	(void)cf;
	/* converting to the state a page is already in is not an error */
	EXPECT_EQ("psc.already_private_ok", snp_psc(REGION_A, PAGE_SIZE, true, false, NULL), 0);
	pv_expect("pv.still_validated", REGION_A, PV_4K, 1, 0, 1, -1);
}

static void bench(void)
{
	uint64_t page = REGION_A + 0x7000, t0, t1, t2;
	unsigned n = 2000, m = 500, bad = 0;
	bool cf;

	t0 = rdtsc();
	for (unsigned i = 0; i < n; i++)
		if (pvalidate(page, PV_4K, i & 1, &cf) || cf)
			bad++;
	t1 = rdtsc();
	for (unsigned i = 0; i < m; i++)
		if (snp_psc(page, PAGE_SIZE, i & 1, false, NULL))
			bad++;
	t2 = rdtsc();
	snp_psc(page, PAGE_SIZE, true, false, NULL);
	pvalidate(page, PV_4K, 1, &cf);
	guest_test("bench.done", bad == 0, "%u PVALIDATE in %llu ticks, %u PSC in %llu ticks", n,
		   (unsigned long long)(t1 - t0), m, (unsigned long long)(t2 - t1));
}

int main(void)
{
	int ret;

	if (!EXPECT("snp.active", snp_active()))
		return 1;
	ret = snp_init();
	test_startup(ret);
	if (ret)
		return 1;
	if (has_arg("bench")) {
		bench_vc();
		bench();
		return 0;
	}
	if (has_arg("vcnest2")) {
		test_vc_nested_twice();
		return 1;
	}
	if (has_arg("cbit0")) {
		test_cbit0();
		return 0;
	}
	test_cbit();
	test_msr_protocol();
	test_vc_paths();
	test_vc_real();
	test_vc_nested();
	test_hypercalls();
	test_conversions();
	printf("snptest: done\n");
	return 0;
}
