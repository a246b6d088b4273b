/* costbench: guest-visible costs for make bench (tests/qemu/bench/costs.cfg,
 * docs/bench.md), timed by the guest with RDTSC (not intercepted), in many
 * short batches so that a batch spanning a time-slice switch is an outlier,
 * not the figure. Every figure is reported as a check
 *   <guest>:cost.<row>  "med=M p10=A p90=B n=N ops=K exits=E"
 * with M, A, B the median and 10th/90th percentiles over the N batches of
 * TSC ticks per operation (per request for PSC), K operations per batch and
 * E the VMGEXITs per operation (PSC). The runner builds the table.
 *
 * Plain guest (snp = off): the reference first.
 *   cost.cpuid_exit   CPUID exits through the full exit dispatch
 *                     (HC_BENCH_MARK phase 0);
 *   cost.bare_vmrun   CPUID answered from a cache and re-entered at once
 *                     (phase 1, hv/vm/guest.c bench_bare_exit): the bare
 *                     VMRUN round trip.
 * SNP guest (snp = emulated):
 *   cost.vc_cpuid     CPUID through #VC + GHCB (the NAE event, VMGEXIT);
 *   cost.ghcb_hc      a VMMCALL NAE through the GHCB without a #VC;
 *   cost.pvalidate.{4k,2m}  PVALIDATE (emulated), rescind and validate;
 *   cost.psc.{4k,2m}.{1,16,253}  one page-state-change request of that many
 *                     entries through the GHCB, to shared and back to
 *                     private (both timed), every entry a real change.
 * args "quick": few batches (make test's smoke). A 253 x 2M request needs
 * the guest's memory to reach past PSC_2M_BASE + 506 MiB; otherwise that row
 * is skipped (cost.psc.2m.253 says so). */
#include "lib/snp.h"

#define MAX_BATCHES 64
#define PSC_4K_BASE MiB(32) /* 253 4K pages: its 2M records get split */
#define PSC_2M_BASE MiB(64) /* 253 2M pages: stays in 2M records */
#define PV_4K_PAGE  (MiB(34) + 0x3000)
#define PV_2M_PAGE  MiB(36)

static unsigned nb; /* batches per figure */
static uint64_t samples[MAX_BATCHES];

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

static bool has_arg(const char *w)
{
	const char *a = boot_info()->args;
	size_t n = strlen(w);

	for (; *a; a++)
		if (!memcmp(a, w, n))
			return true;
	return false;
}

static void sort(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* n samples of ticks per operation: the check line the runner reads. */
static void report(const char *row, bool ok, unsigned n, unsigned ops, unsigned exits_x100)
{
	char name[48];

	sort(samples, n);
	snprintf(name, sizeof(name), "cost.%s", row);
	guest_test(name, ok && n > 0, "med=%llu p10=%llu p90=%llu n=%u ops=%u exits=%u.%02u",
		   (unsigned long long)samples[n / 2], (unsigned long long)samples[n / 10],
		   (unsigned long long)samples[n - 1 - n / 10], n, ops, exits_x100 / 100,
		   exits_x100 % 100);
}

static unsigned cpuid_batches(unsigned ops, uint32_t want)
{
	unsigned bad = 0;

	for (unsigned b = 0; b <= nb; b++) { /* batch 0: warm-up, not kept */
		uint64_t t0 = rdtsc();

		for (unsigned i = 0; i < ops; i++)
			bad += cpuid2(0, 0).eax != want;
		if (b)
			samples[b - 1] = (rdtsc() - t0) / ops;
	}
	return bad;
}

static int plain(void)
{
	const unsigned ops = 32;
	uint32_t want = cpuid2(0, 0).eax;
	unsigned bad;

	EXPECT("bench.mark0", hypercall(HC_BENCH_MARK, 0, 0, 0, 0) == 0);
	bad = cpuid_batches(ops, want);
	report("cpuid_exit", bad == 0, nb, ops, 100);
	EXPECT("bench.mark1", hypercall(HC_BENCH_MARK, 1, 0, 0, 0) == 0);
	bad = cpuid_batches(ops, want);
	EXPECT("bench.mark2", hypercall(HC_BENCH_MARK, 2, 0, 0, 0) == 0);
	/* reported after mark 2: the check itself is a full exit */
	report("bare_vmrun", bad == 0, nb, ops, 100);
	return 0;
}

static void pv_bench(const char *row, uint64_t va, int size, unsigned ops)
{
	unsigned bad = 0;
	bool cf;

	for (unsigned b = 0; b <= nb; b++) {
		uint64_t t0 = rdtsc();

		/* pairs: rescind (CF=0), validate (CF=0) */
		for (unsigned i = 0; i < ops; i++)
			if (pvalidate(va, size, i & 1, &cf) || cf)
				bad++;
		if (b)
			samples[b - 1] = (rdtsc() - t0) / ops;
	}
	report(row, bad == 0, nb, ops, 100);
}

/* Converts n pages of size at base to shared and back per round; one
 * sample per request. The pages are rescinded first (Linux's order) and
 * never touched while unvalidated; validated again at the end. */
static void psc_bench(const char *row, uint64_t base, unsigned n, bool huge, unsigned rounds)
{
	uint64_t pg = huge ? HUGE_SIZE : PAGE_SIZE, size = n * pg;
	unsigned bad = 0, exits = 0, k = 0, total = 0;
	bool cf;

	for (unsigned i = 0; i < n; i++)
		bad += pvalidate(base + i * pg, huge ? PV_2M : PV_4K, 0, &cf) != 0;
	for (unsigned r = 0; r <= rounds; r++) { /* round 0: warm-up (splits, TCG) */
		for (unsigned to_private = 0; to_private < 2; to_private++) {
			uint64_t t0 = rdtsc(), t;

			exits = 0;
			bad += snp_psc(base, size, to_private, huge, &exits) != 0;
			t = rdtsc() - t0;
			if (r && k < MAX_BATCHES) {
				samples[k++] = t;
				total += exits;
			}
		}
	}
	for (unsigned i = 0; i < n; i++)
		bad += pvalidate(base + i * pg, huge ? PV_2M : PV_4K, 1, &cf) != 0;
	report(row, bad == 0, k, n, k ? total * 100 / k : 0);
}

static int snp(bool quick)
{
	static const unsigned counts[] = {1, 16, 253};
	uint64_t mem = boot_info()->mem_size;
	const unsigned ops = 16;
	unsigned bad = 0;
	char row[32];

	if (!EXPECT("snp.active", snp_active()) || !EXPECT_EQ("init", snp_init(), 0))
		return 1;
	for (unsigned b = 0; b <= nb; b++) {
		uint64_t t0 = rdtsc();

		for (unsigned i = 0; i < ops; i++)
			bad += cpuid2(0, 0).eax == 0;
		if (b)
			samples[b - 1] = (rdtsc() - t0) / ops;
	}
	report("vc_cpuid", bad == 0, nb, ops, 100);
	for (unsigned b = 0; b <= nb; b++) {
		uint64_t t0 = rdtsc();

		for (unsigned i = 0; i < ops; i++) /* HC_EINVAL: no side effect */
			bad += snp_hypercall_raw(HC_BENCH_MARK, 9, 0, 0, 0) != HC_EINVAL;
		if (b)
			samples[b - 1] = (rdtsc() - t0) / ops;
	}
	report("ghcb_hc", bad == 0, nb, ops, 100);
	pv_bench("pvalidate.4k", PV_4K_PAGE, PV_4K, ops);
	pv_bench("pvalidate.2m", PV_2M_PAGE, PV_2M, 8);
	for (unsigned i = 0; i < 3; i++) {
		unsigned rounds = quick ? 2 : (counts[i] == 253 ? 8 : 20);

		snprintf(row, sizeof(row), "psc.4k.%u", counts[i]);
		psc_bench(row, PSC_4K_BASE, counts[i], false, rounds);
		snprintf(row, sizeof(row), "psc.2m.%u", counts[i]);
		if (PSC_2M_BASE + counts[i] * HUGE_SIZE > mem) {
			snprintf(row, sizeof(row), "cost.psc.2m.%u", counts[i]);
			guest_test(row, true, "skipped: needs %llu MiB of guest memory, has %llu",
				   (unsigned long long)((PSC_2M_BASE + counts[i] * HUGE_SIZE) >> 20),
				   (unsigned long long)(mem >> 20));
			continue;
		}
		psc_bench(row, PSC_2M_BASE, counts[i], true, rounds);
	}
	return 0;
}

int main(void)
{
	bool quick = has_arg("quick");

	nb = quick ? 8 : 48;
	return snp_active() ? snp(quick) : plain();
}
