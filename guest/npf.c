/* npf: touches a guest-physical address beyond its memory (mapped by its
 * own page tables, not by the NPT). Expect npf. */
#include "lib/guest.h"

int main(void)
{
	uint64_t gpa = boot_info()->mem_size + 0x200000;

	printf("npf: reading GPA 0x%llx, outside my %llu MiB\n", (unsigned long long)gpa,
	       (unsigned long long)(boot_info()->mem_size >> 20));
	(void)*(volatile uint64_t *)(uintptr_t)gpa;
	printf("npf: the read returned\n");
	return 1;
}
