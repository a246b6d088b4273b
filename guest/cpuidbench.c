/* cpuidbench: 100000 CPUID exits back to back; the hypervisor reports the
 * guest's exit rate as METRIC guest.<name>.exits_per_s. */
#include "lib/guest.h"

int main(void)
{
	uint32_t sum = 0;

	for (int i = 0; i < 100000; i++)
		sum += cpuid2(0, 0).eax;
	EXPECT("cpuidbench.max_leaf_stable", sum == 100000u * cpuid2(0, 0).eax);
	return 0;
}
