/* cpuidbench: CPUID exits back to back, in two timed phases (HC_BENCH_MARK):
 * first every exit goes through the hypervisor's full exit dispatch, then the
 * hypervisor answers CPUID from a cache and re-enters at once (bare VMRUN).
 * The hypervisor prints both rates as METRIC bench.<guest>.* (make bench). */
#include "lib/guest.h"

#define ROUNDS 100000

static uint32_t loop(void)
{
	uint32_t sum = 0;

	for (int i = 0; i < ROUNDS; i++)
		sum += cpuid2(0, 0).eax;
	return sum;
}

int main(void)
{
	uint32_t max_leaf = cpuid2(0, 0).eax;
	uint32_t full, bare;

	EXPECT("bench.mark0", hypercall(HC_BENCH_MARK, 0, 0, 0, 0) == 0);
	full = loop();
	EXPECT("bench.mark1", hypercall(HC_BENCH_MARK, 1, 0, 0, 0) == 0);
	bare = loop();
	EXPECT("bench.mark2", hypercall(HC_BENCH_MARK, 2, 0, 0, 0) == 0);
	EXPECT("bench.bad_mark_refused", hypercall(HC_BENCH_MARK, 7, 0, 0, 0) < 0);
	EXPECT("cpuidbench.full_phase_stable", full == ROUNDS * max_leaf);
	EXPECT("cpuidbench.bare_phase_same_answer", bare == ROUNDS * max_leaf);
	return 0;
}
