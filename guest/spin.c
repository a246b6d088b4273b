/* spin: spins forever with interrupts off. The preemption timer must let
 * the other guests finish; the hypervisor ends this one (timeout). */
#include "lib/guest.h"

int main(void)
{
	printf("spin: interrupts off, spinning\n");
	asm volatile("cli");
	for (;;)
		asm volatile("" ::: "memory");
	return 1;
}
