/* cpuidbench: CPUID exits back to back, in two timed phases (HC_BENCH_MARK):
 * first every exit goes through the hypervisor's full exit dispatch, then the
 * hypervisor answers CPUID from a cache and re-enters at once (bare VMRUN).
 * The hypervisor prints both rates as METRIC bench.<guest>.* (make bench). */
#include "lib/guest.h"

#define ROUNDS_DEFAULT 100000

/* args = "rounds=N" (hv.cfg) overrides the default; the test uses fewer. */
static uint32_t rounds_from_args(void)
{
	const char *a = boot_info()->args, *p;
	uint32_t n = 0;

	for (p = a; *p; p++)
		if (p[0] == 'r' && !__builtin_memcmp(p, "rounds=", 7))
			break;
	if (!*p)
		return ROUNDS_DEFAULT;
	for (p += 7; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (uint32_t)(*p - '0');
	return n ? n : ROUNDS_DEFAULT;
}

static uint32_t loop(uint32_t rounds)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < rounds; i++)
		sum += cpuid2(0, 0).eax;
	return sum;
}

int main(void)
{
	uint32_t max_leaf = cpuid2(0, 0).eax, rounds = rounds_from_args();
	uint32_t full, bare;

	EXPECT("bench.mark0", hypercall(HC_BENCH_MARK, 0, 0, 0, 0) == 0);
	full = loop(rounds);
	EXPECT("bench.mark1", hypercall(HC_BENCH_MARK, 1, 0, 0, 0) == 0);
	bare = loop(rounds);
	EXPECT("bench.mark2", hypercall(HC_BENCH_MARK, 2, 0, 0, 0) == 0);
	EXPECT("bench.bad_mark_refused", hypercall(HC_BENCH_MARK, 7, 0, 0, 0) < 0);
	EXPECT("cpuidbench.full_phase_stable", full == rounds * max_leaf);
	EXPECT("cpuidbench.bare_phase_same_answer", bare == rounds * max_leaf);
	return 0;
}
