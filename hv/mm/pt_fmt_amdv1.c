/* AMD IOMMU v1 host I/O page-table entries (AMD IOMMU spec 48882, 2.2.3 "I/O
 * Page Tables for Host Translations"), a format of the engine (hv/mm/pt.h).
 * Names follow Linux's drivers/iommu/amd/amd_iommu_types.h.
 *
 * What snpvisor writes:
 *   table entry: PR | NextLevel = level - 1 | address | IR | IW. The IOMMU
 *     ANDs IR/IW along the walk (QEMU checks them at every level), so tables
 *     grant both and the leaf decides.
 *   leaf: PR | NextLevel 0 | address | IR? | IW? | FC (unless PT_UC). Only
 *     natural sizes: 4K at level 1, 2M at level 2, 1G at level 3.
 *   unmapped: the whole entry zero. QEMU 7.2 translates through a leaf with
 *     PR=0 but IR/IW set, so a "not present" entry with stale bits is
 *     reported as corrupt here.
 * Never written, reported as corrupt by decode: NextLevel 7 (size encoded in
 * the address bits), level skipping (NextLevel < level - 1), natural leaves
 * above level 3 (Linux avoids 512G pages: a hardware erratum), unknown bits.
 * The root of a mode-N table is at level N (DTE Mode, 1..6); the level-6
 * table uses only entries 0..127 (input bits 63:57). */
#include "hv/base/bits.h"
#include "hv/mm/pt.h"

#define IOMMU_PTE_PR   BIT(0)
#define IOMMU_PTE_A    BIT(5)	      /* accessed, set by the IOMMU when enabled */
#define IOMMU_PTE_D    BIT(6)	      /* dirty, set by the IOMMU when enabled */
#define IOMMU_PTE_NL   GENMASK(11, 9) /* "NextLevel" (Linux: PM_LEVEL_ENC) */
#define IOMMU_PTE_ADDR GENMASK(51, 12)
#define IOMMU_PTE_U    BIT(59)
#define IOMMU_PTE_FC   BIT(60)
#define IOMMU_PTE_IR   BIT(61)
#define IOMMU_PTE_IW   BIT(62)

#define IOMMU_NL_LEAF 0
#define IOMMU_NL_SIZE 7

#define AMDV1_KNOWN                                                                                \
	(IOMMU_PTE_PR | IOMMU_PTE_A | IOMMU_PTE_D | IOMMU_PTE_NL | IOMMU_PTE_ADDR | IOMMU_PTE_U |  \
	 IOMMU_PTE_FC | IOMMU_PTE_IR | IOMMU_PTE_IW)

static u64 amdv1_table_entry(spa_t table, unsigned level)
{
	return IOMMU_PTE_PR | FIELD_PREP(IOMMU_PTE_NL, level - 1) |
	       (spa_val(table) & IOMMU_PTE_ADDR) | IOMMU_PTE_IR | IOMMU_PTE_IW;
}

static u64 amdv1_leaf_entry(spa_t pa, unsigned level, u32 prot)
{
	u64 v =
	    IOMMU_PTE_PR | FIELD_PREP(IOMMU_PTE_NL, IOMMU_NL_LEAF) | (spa_val(pa) & IOMMU_PTE_ADDR);

	if (prot & PT_R)
		v |= IOMMU_PTE_IR;
	if (prot & PT_W)
		v |= IOMMU_PTE_IW;
	if (!(prot & PT_UC))
		v |= IOMMU_PTE_FC;
	return v;
}

static struct pt_ent amdv1_decode(u64 pte, unsigned level)
{
	const struct pt_ent bad = {PT_BAD, {0}, 0};
	unsigned nl = (unsigned)FIELD_GET(IOMMU_PTE_NL, pte);
	u64 pa = pte & IOMMU_PTE_ADDR;
	u32 prot = 0;

	if (!pte)
		return (struct pt_ent){PT_NONE, {0}, 0};
	if (!(pte & IOMMU_PTE_PR) || (pte & ~AMDV1_KNOWN))
		return bad;
	if (level > 1 && nl == level - 1) {
		/* Table: what amdv1_table_entry writes (A may be set). */
		if ((pte & ~(IOMMU_PTE_ADDR | IOMMU_PTE_A | IOMMU_PTE_NL)) !=
		    (IOMMU_PTE_PR | IOMMU_PTE_IR | IOMMU_PTE_IW))
			return bad;
		return (struct pt_ent){PT_TABLE, spa(pa), 0};
	}
	/* nl == 7 (encoded size) or a skip (0 < nl < level - 1): never written. */
	if (nl != IOMMU_NL_LEAF || level > 3 || !IS_ALIGNED(pa, pt_level_size(level)))
		return bad;
	if (pte & IOMMU_PTE_U)
		return bad;
	if (pte & IOMMU_PTE_IR)
		prot |= PT_R;
	if (pte & IOMMU_PTE_IW)
		prot |= PT_W;
	if (!(pte & IOMMU_PTE_FC))
		prot |= PT_UC;
	return (struct pt_ent){PT_LEAF, spa(pa), prot};
}

const struct pt_fmt pt_fmt_amdv1 = {
    .name = "amdv1",
    .min_levels = 1,
    .max_levels = 6,
    .leaf_sizes = PT_SZ_ALL,
    .prot_valid = PT_R | PT_W | PT_UC,
    .prot_need = PT_R | PT_W,
    .table_entry = amdv1_table_entry,
    .leaf_entry = amdv1_leaf_entry,
    .decode = amdv1_decode,
};
