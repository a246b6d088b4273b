/* triple: triple-faults on purpose (an IDT of limit 0, then int3: #BP
 * cannot be delivered -> #GP -> #DF -> shutdown). Expect triple_fault. */
#include "lib/guest.h"

int main(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = {0, 0};

	printf("triple: loading an empty IDT and raising #BP\n");
	asm volatile("lidt %0; int3" ::"m"(empty));
	printf("triple: still alive?\n");
	return 1;
}
