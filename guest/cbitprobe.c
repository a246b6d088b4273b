/* cbitprobe: which guest page-table bits does the processor reserve, and is
 * the emulated C-bit one it ignores? (docs/guest-abi.md "C-bit"). On QEMU
 * TCG (physical address width 40) bits 40-51 of a present entry are
 * reserved (#PF with RSVD) and bits 52-62 are ignored, in a 2M leaf (PDE)
 * and in a table entry (PDPTE) alike. The emulated C-bit (CPUID 0x8000001F
 * EBX[5:0]) must be an ignored bit, or no SNP guest could run under the
 * emulation; the bit below it must be a reserved one, or a lower bit would
 * have done. The probe changes one PDE of the boot tables (VA 8 MiB) and
 * PDPTE 1 (an alias of [0, 1 GiB) at 1 GiB), INVLPG / CR3 reload in between. */
#include "lib/snp.h"

#define PROBE_VA MiB(8)
#define ADDR_4K	 0xffffffffff000ULL /* bits 51:12 */

static int read_safe(uint64_t va, uint64_t *v)
{
	uint64_t x = 0;

	exc_last_vector = -1;
	asm volatile("leaq 1f(%%rip), %%rdi\n\t"
		     "movq %%rdi, exc_fixup(%%rip)\n\t"
		     "movq (%1), %0\n"
		     "1:\tmovq $0, exc_fixup(%%rip)"
		     : "+r"(x)
		     : "r"(va)
		     : "rdi", "memory");
	*v = x;
	return exc_last_vector;
}

static void reload_cr3(void)
{
	asm volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
}

/* 0: read fine and the right value; 1: #PF with RSVD; -1 anything else */
static int probe(uint64_t *entry, uint64_t bit, uint64_t va, bool table)
{
	uint64_t save = *entry, v;
	int vec, r;

	*entry ^= bit;
	if (table)
		reload_cr3();
	else
		asm volatile("invlpg (%0)" ::"r"(va) : "memory");
	vec = read_safe(va, &v);
	r = vec < 0 && v == 0x5eedc0de ? 0 : vec == 14 && (exc_last_error & 8) ? 1 : -1;
	*entry = save;
	reload_cr3();
	return r;
}

static const char *verdict(int r)
{
	if (r == 1)
		return "reserved";
	return r ? "?" : "ignored";
}

int main(void)
{
	uint64_t cr3, *pml4, *pdpt, *pd, c = 0;
	unsigned rsvd = 0, ignored = 0, other = 0, cbit = 0;
	bool snp = snp_active();
	uint64_t pdpt1;

	if (snp) {
		EXPECT_EQ("snp.init", snp_init(), 0);
		cbit = snp_cbit;
		c = snp_cbit_mask;
	}
	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	pml4 = (uint64_t *)(uintptr_t)(cr3 & ADDR_4K & ~c);
	pdpt = (uint64_t *)(uintptr_t)(pml4[0] & ADDR_4K & ~c);
	pd = (uint64_t *)(uintptr_t)(pdpt[0] & ADDR_4K & ~c);
	*(volatile uint64_t *)(uintptr_t)PROBE_VA = 0x5eedc0de;
	pdpt1 = pdpt[1];
	pdpt[1] = pdpt[0]; /* VA 1 GiB + x -> GPA x */
	reload_cr3();
	for (unsigned b = 40; b <= 62; b++) {
		int leaf = probe(&pd[PROBE_VA >> 21], 1ULL << b, PROBE_VA, false);
		int table = probe(&pdpt[1], 1ULL << b, GiB(1) + PROBE_VA, true);

		printf("bit %u: leaf %s, table %s\n", b, verdict(leaf), verdict(table));
		if (leaf == 1 && table == 1 && b <= 51)
			rsvd++;
		else if (!leaf && !table && b >= 52)
			ignored++;
		else
			other++;
	}
	guest_test("pte.bits_40_51_reserved_52_62_ignored", rsvd == 12 && ignored == 11 && !other,
		   "%u reserved in 40-51, %u ignored in 52-62, %u otherwise", rsvd, ignored, other);
	if (snp) {
		/* the boot tables run with the C-bit set; flipping it changes nothing */
		EXPECT("cbit.in_boot_tables", (pml4[0] & c) && (pdpt[0] & c) && (pd[4] & c));
		EXPECT_EQ("cbit.leaf_ignored", probe(&pd[PROBE_VA >> 21], c, PROBE_VA, false), 0);
		EXPECT_EQ("cbit.table_ignored", probe(&pdpt[1], c, GiB(1) + PROBE_VA, true), 0);
		EXPECT_EQ("cbit.below_is_reserved",
			  probe(&pd[PROBE_VA >> 21], c >> 1, PROBE_VA, false), 1);
		printf("emulated C-bit %u\n", cbit);
	}
	pdpt[1] = pdpt1;
	reload_cr3();
	return 0;
}
