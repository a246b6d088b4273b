/* x86-64 long-mode page-table entries, for two formats of the engine:
 *   pt_fmt_x86  the hypervisor's own tables (AMD APM vol 2, 5.3.3 / 5.4),
 *   pt_fmt_npt  AMD nested page tables (APM vol 2, 15.25.5): the same
 *               encoding, but every entry is a "user" entry (U=1), since the
 *               nested walk treats guest accesses as user accesses; QEMU's
 *               TCG raises #NPF otherwise (qemu-facts.md).
 * Names follow Linux's arch/x86/include/asm/pgtable_types.h.
 *
 * NX (bit 63) is only valid while EFER.NXE=1; for the NPT the host's EFER.NXE
 * at VMRUN decides (QEMU: nested_pg_mode from the host state; with NXE=0 bit
 * 63 is reserved and faults). snpvisor runs with EFER.NXE=1. */
#include "hv/base/bits.h"
#include "hv/mm/pt.h"

#define _PAGE_PRESENT  BIT(0)
#define _PAGE_RW       BIT(1)
#define _PAGE_USER     BIT(2)
#define _PAGE_PWT      BIT(3)
#define _PAGE_PCD      BIT(4)
#define _PAGE_ACCESSED BIT(5)
#define _PAGE_DIRTY    BIT(6)
#define _PAGE_PSE      BIT(7) /* levels 2, 3: leaf (level 1: PAT, never set here) */
#define _PAGE_GLOBAL   BIT(8)
#define _PAGE_NX       BIT(63)
#define PTE_PFN_MASK   GENMASK(51, 12)

/* Everything else (AVL 11:9, 62:52) is never written: decode calls it bad. */
#define X86_KNOWN                                                                                  \
	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_PWT | _PAGE_PCD | _PAGE_ACCESSED |          \
	 _PAGE_DIRTY | _PAGE_PSE | _PAGE_GLOBAL | _PAGE_NX | PTE_PFN_MASK)

/* A table entry grants everything; the leaf restricts (rights are ANDed
 * along the walk, NX ORed: APM vol 2, 5.6). */
#define X86_TABLE_FLAGS (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER)

static u64 x86_table_entry(spa_t table, unsigned level)
{
	return (spa_val(table) & PTE_PFN_MASK) | X86_TABLE_FLAGS;
}

static u64 leaf_common(spa_t pa, unsigned level, u32 prot)
{
	u64 v = (spa_val(pa) & PTE_PFN_MASK) | _PAGE_PRESENT;

	if (prot & PT_W)
		v |= _PAGE_RW;
	if (prot & PT_UC)
		v |= _PAGE_PCD | _PAGE_PWT;
	if (!(prot & PT_X))
		v |= _PAGE_NX;
	if (level > 1)
		v |= _PAGE_PSE;
	return v;
}

static u64 x86_leaf_entry(spa_t pa, unsigned level, u32 prot)
{
	u64 v = leaf_common(pa, level, prot);

	if (prot & PT_USER)
		v |= _PAGE_USER;
	if (prot & PT_GLOBAL)
		v |= _PAGE_GLOBAL;
	return v;
}

static u64 npt_leaf_entry(spa_t pa, unsigned level, u32 prot)
{
	return leaf_common(pa, level, prot) | _PAGE_USER;
}

static const struct pt_ent bad = {PT_BAD, {0}, 0};

static struct pt_ent decode_common(u64 pte, unsigned level, bool npt)
{
	u64 pa = pte & PTE_PFN_MASK;
	u32 prot = PT_R;

	if (!pte)
		return (struct pt_ent){PT_NONE, {0}, 0};
	if (!(pte & _PAGE_PRESENT) || (pte & ~X86_KNOWN))
		return bad;
	if (level > 1 && !(pte & _PAGE_PSE)) {
		/* Table: exactly what x86_table_entry writes (A may be set). */
		if ((pte & ~(PTE_PFN_MASK | _PAGE_ACCESSED)) != X86_TABLE_FLAGS)
			return bad;
		return (struct pt_ent){PT_TABLE, spa(pa), 0};
	}
	/* PS is reserved above level 3; at level 1 bit 7 is PAT, unused here. */
	if ((level == 1 && (pte & _PAGE_PSE)) || level > 3 || !IS_ALIGNED(pa, pt_level_size(level)))
		return bad;
	if (!(pte & _PAGE_PWT) != !(pte & _PAGE_PCD))
		return bad;
	if (npt && (!(pte & _PAGE_USER) || (pte & _PAGE_GLOBAL)))
		return bad;
	if (pte & _PAGE_RW)
		prot |= PT_W;
	if (!(pte & _PAGE_NX))
		prot |= PT_X;
	if (pte & _PAGE_PCD)
		prot |= PT_UC;
	if (!npt && (pte & _PAGE_USER))
		prot |= PT_USER;
	if (pte & _PAGE_GLOBAL)
		prot |= PT_GLOBAL;
	return (struct pt_ent){PT_LEAF, spa(pa), prot};
}

static struct pt_ent x86_decode(u64 pte, unsigned level)
{
	return decode_common(pte, level, false);
}

static struct pt_ent npt_decode(u64 pte, unsigned level)
{
	return decode_common(pte, level, true);
}

/* 4 levels (CR4.LA57=0) or 5 (LA57=1); 1G leaves need CPUID Page1GB. */
const struct pt_fmt pt_fmt_x86 = {
    .name = "x86",
    .min_levels = 4,
    .max_levels = 5,
    .leaf_sizes = PT_SZ_ALL,
    .prot_valid = PT_R | PT_W | PT_X | PT_USER | PT_UC | PT_GLOBAL,
    .prot_need = PT_R,
    .table_entry = x86_table_entry,
    .leaf_entry = x86_leaf_entry,
    .decode = x86_decode,
};

/* The nested walk uses the host's paging mode: 4 levels, or 5 with LA57. */
const struct pt_fmt pt_fmt_npt = {
    .name = "npt",
    .min_levels = 4,
    .max_levels = 5,
    .leaf_sizes = PT_SZ_ALL,
    .prot_valid = PT_R | PT_W | PT_X | PT_UC,
    .prot_need = PT_R,
    .table_entry = x86_table_entry,
    .leaf_entry = npt_leaf_entry,
    .decode = npt_decode,
};
