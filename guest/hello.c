/* hello: the smallest guest. Prints over COM1, reads its boot parameters
 * and passes one check. */
#include "lib/guest.h"

int main(void)
{
	const struct hc_info *bi = boot_info();

	printf("Hello from %s: %llu MiB of memory, loaded at 0x%llx, SNP %s\n", bi->name,
	       (unsigned long long)(bi->mem_size >> 20), (unsigned long long)bi->load_gpa,
	       (bi->flags & HC_INFO_F_SNP) ? "on" : "off");
	EXPECT_EQ("boot_params.abi", bi->abi_version, HC_ABI_VERSION);
	return 0;
}
