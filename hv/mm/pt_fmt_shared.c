/* pt_fmt_npt_amdv1: one page table read by two walkers at once, the CPU's
 * nested walk (VMCB nCR3; AMD APM vol 2, 15.25.5, long-mode entries 5.3-5.4)
 * and the AMD IOMMU's v1 host walk (DTE root pointer, DTE Mode = levels;
 * AMD IOMMU spec 48882, 2.2.3) -- iommu_mode = shared, as Jailhouse does on
 * AMD (hypervisor/arch/x86/svm.c: npt_iommu_set_next_pt_l*). See
 * docs/iommu-modes.md for the facts, their sources and the decisions.
 *
 *   bit    CPU (NPT, EFER.NXE=1, CR4.PKE=0)     IOMMU v1
 *   0      P                                    PR            same bit
 *   1      RW                                   ignored
 *   2      US (1 in every NPT entry)            ignored
 *   3, 4   PWT, PCD                             ignored
 *   5, 6   A, D (set by the CPU's walk)         A, D (only with DTE.HAD)
 *   7      PS at levels 2/3 (leaf), MBZ at 4/5  ignored
 *   8      G (never written)                    ignored
 *   11:9   AVL (ignored)                        NextLevel
 *   51:12  address                              address       same field
 *   58:52  AVL                                  reserved, 0
 *   59     AVL / PKEY0 (PKE=0: ignored)         U (leaf; never written)
 *   60     AVL / PKEY1                          FC (leaf)
 *   61,62  AVL / PKEY2,3                        IR, IW
 *   63     NX                                   ignored (Jailhouse writes NX
 *                                               into IOMMU-walked leaves on
 *                                               hardware; QEMU never reads it)
 *
 * Written:
 *   table at level L: P | RW | US | NextLevel = L - 1 | address | IR | IW
 *   leaf at level L:  P | RW? | US | PCD|PWT if UC | PS if L > 1 | NX unless X
 *                     | NextLevel 0 | address | IR | IW if W | FC unless UC
 *   CPU-only leaf (PT_NO_DMA): as a leaf, but IR = IW = FC = 0: the IOMMU
 *                     finds a leaf that grants nothing (48882 2.2.3: access
 *                     denied, IO_PAGE_FAULT). For device MMIO (passed-through
 *                     BARs) the guest maps: in a shared table the trusted
 *                     devices would otherwise reach other devices' BARs (P2P).
 * So both walkers grant everything at table level and decide at the leaf;
 * both see the same output address, leaf size (x86 PS <=> IOMMU NextLevel 0
 * at level 2/3: natural 2M/1G pages) and R/W; PT_UC is PCD|PWT for the CPU
 * and FC=0 for the IOMMU. A leaf always has R (the CPU cannot express
 * write-only, and P is PR), hence IR: a device gets the same R/W as the vCPU.
 *
 * decode (the engine's) accepts exactly what this file writes (plus A/D set
 * by a walker) and only when the two views below agree; the two views model
 * what each walker sees and are used to walk the same table twice (tests,
 * xcheck). */
#include "hv/base/bits.h"
#include "hv/mm/pt.h"

/* x86 long mode / NPT (Linux pgtable_types.h names). */
#define SH_P   BIT(0)
#define SH_RW  BIT(1)
#define SH_US  BIT(2)
#define SH_PWT BIT(3)
#define SH_PCD BIT(4)
#define SH_A   BIT(5) /* also the IOMMU's A */
#define SH_D   BIT(6) /* also the IOMMU's D */
#define SH_PS  BIT(7)
#define SH_G   BIT(8)
#define SH_NX  BIT(63)
/* AMD IOMMU v1 (Linux amd_iommu_types.h names, IOMMU_PTE_PR = SH_P). */
#define SH_IOMMU_NL   GENMASK(11, 9)
#define SH_IOMMU_U    BIT(59)
#define SH_IOMMU_FC   BIT(60)
#define SH_IOMMU_IR   BIT(61)
#define SH_IOMMU_IW   BIT(62)
#define SH_ADDR	      GENMASK(51, 12)
#define SH_IOMMU_RSVD GENMASK(58, 52) /* PTE 58:52, PDE 60:52 (then U, FC too) */

#define SH_NL_LEAF 0
#define SH_NL_SIZE 7 /* "page size encoded in the address": never written */

#define SH_TABLE_FLAGS (SH_P | SH_RW | SH_US | SH_IOMMU_IR | SH_IOMMU_IW)
/* Every bit either walker gives a meaning to, as this format uses it. */
#define SH_KNOWN                                                                                   \
	(SH_P | SH_RW | SH_US | SH_PWT | SH_PCD | SH_A | SH_D | SH_PS | SH_NX | SH_ADDR |          \
	 SH_IOMMU_NL | SH_IOMMU_FC | SH_IOMMU_IR | SH_IOMMU_IW)

static const struct pt_ent sh_bad = {PT_BAD, {0}, 0};
static const struct pt_ent sh_none = {PT_NONE, {0}, 0};

static u64 sh_table_entry(spa_t table, unsigned level)
{
	return (spa_val(table) & SH_ADDR) | SH_TABLE_FLAGS | FIELD_PREP(SH_IOMMU_NL, level - 1);
}

static u64 sh_leaf_entry(spa_t pa, unsigned level, u32 prot)
{
	u64 v = (spa_val(pa) & SH_ADDR) | SH_P | SH_US | FIELD_PREP(SH_IOMMU_NL, SH_NL_LEAF);
	bool dma = !(prot & PT_NO_DMA);

	if (dma)
		v |= SH_IOMMU_IR;
	if (prot & PT_W)
		v |= SH_RW | (dma ? SH_IOMMU_IW : 0);
	if (prot & PT_UC)
		v |= SH_PCD | SH_PWT;
	else if (dma)
		v |= SH_IOMMU_FC;
	if (!(prot & PT_X))
		v |= SH_NX;
	if (level > 1)
		v |= SH_PS;
	return v;
}

/* The CPU's nested walk (host long mode, EFER.NXE=1, CR4.PKE=0): bits 11:9
 * and 62:52 are ignored. Tables must grant everything (P|RW|US, no NX: the
 * engine never writes less); leaves give R/W/X/UC. */
static struct pt_ent sh_decode_cpu(u64 pte, unsigned level)
{
	u64 pa = pte & SH_ADDR;
	u32 prot = PT_R;

	if (!(pte & SH_P))
		return sh_none;
	if (pte & SH_G)
		return sh_bad;
	if (level > 1 && !(pte & SH_PS)) {
		if ((pte & (SH_RW | SH_US | SH_NX)) != (SH_RW | SH_US))
			return sh_bad;
		return (struct pt_ent){PT_TABLE, spa(pa), 0};
	}
	/* PS is MBZ at levels 4/5; at level 1 bit 7 is PAT (never set here). */
	if (level > 3 || (level == 1 && (pte & SH_PS)) || !IS_ALIGNED(pa, pt_level_size(level)))
		return sh_bad;
	/* NPT entries are user entries (APM 15.25.5); PCD without PWT is
	 * another memory type this format never writes. */
	if (!(pte & SH_US) || !(pte & SH_PCD) != !(pte & SH_PWT))
		return sh_bad;
	if (pte & SH_RW)
		prot |= PT_W;
	if (!(pte & SH_NX))
		prot |= PT_X;
	if (pte & SH_PCD)
		prot |= PT_UC;
	return (struct pt_ent){PT_LEAF, spa(pa), prot};
}

/* The IOMMU's v1 walk (48882 2.2.3; what QEMU 7.2 amdvi_page_walk reads):
 * PR, NextLevel, address, IR/IW (ANDed along the walk: tables grant both),
 * FC; bits 1-4, 7, 8, 63 are ignored. NextLevel 0 is a natural-size leaf;
 * NextLevel 7 and level skipping are never written. A leaf with IR = IW = 0
 * is a leaf the device may not access (prot without PT_R/PT_W). */
static struct pt_ent sh_decode_iommu(u64 pte, unsigned level)
{
	unsigned nl = (unsigned)FIELD_GET(SH_IOMMU_NL, pte);
	u64 pa = pte & SH_ADDR;
	u32 prot = 0;

	if (!(pte & SH_P))
		return sh_none;
	if (pte & SH_IOMMU_RSVD)
		return sh_bad;
	if (level > 1 && nl == level - 1) {
		/* PDE bits 60:52 are reserved: no U, no FC. */
		if ((pte & (SH_IOMMU_U | SH_IOMMU_FC)) ||
		    (pte & (SH_IOMMU_IR | SH_IOMMU_IW)) != (SH_IOMMU_IR | SH_IOMMU_IW))
			return sh_bad;
		return (struct pt_ent){PT_TABLE, spa(pa), 0};
	}
	if (nl != SH_NL_LEAF || level > 3 || !IS_ALIGNED(pa, pt_level_size(level)) ||
	    (pte & SH_IOMMU_U))
		return sh_bad;
	if (pte & SH_IOMMU_IR)
		prot |= PT_R;
	if (pte & SH_IOMMU_IW)
		prot |= PT_W;
	if (!(pte & SH_IOMMU_FC))
		prot |= PT_UC;
	return (struct pt_ent){PT_LEAF, spa(pa), prot};
}

/* The engine's view: exactly what this file writes (A/D may be set by a
 * walker), and both walkers must see the same thing. */
static struct pt_ent sh_decode(u64 pte, unsigned level)
{
	struct pt_ent c, i;

	if (!pte)
		return sh_none;
	if (!(pte & SH_P) || (pte & ~SH_KNOWN))
		return sh_bad;
	c = sh_decode_cpu(pte, level);
	i = sh_decode_iommu(pte, level);
	if (c.kind == PT_BAD || c.kind != i.kind || spa_val(c.pa) != spa_val(i.pa))
		return sh_bad;
	if (c.kind == PT_TABLE) {
		if ((pte & ~(SH_ADDR | SH_A | SH_IOMMU_NL)) != SH_TABLE_FLAGS)
			return sh_bad;
		return c;
	}
	/* CPU-only leaf: IR = IW = FC = 0. */
	if (!(pte & (SH_IOMMU_IR | SH_IOMMU_IW | SH_IOMMU_FC))) {
		c.prot |= PT_NO_DMA;
		return c;
	}
	/* Same R/W/UC in both views (IR = R = P, IW = W = RW, FC = !UC). */
	if ((c.prot & (PT_R | PT_W | PT_UC)) != i.prot)
		return sh_bad;
	return c;
}

const struct pt_fmt pt_fmt_npt_amdv1 = {
    .name = "npt+amdv1",
    .min_levels = 4, /* nested walk: host long mode, 4 or 5 (LA57) levels; */
    .max_levels = 5, /* DTE Mode 4 or 5 */
    .leaf_sizes = PT_SZ_ALL,
    .prot_valid = PT_R | PT_W | PT_X | PT_UC | PT_NO_DMA,
    .prot_need = PT_R,
    .table_entry = sh_table_entry,
    .leaf_entry = sh_leaf_entry,
    .decode = sh_decode,
};

/* Decode-only views of the same entries, for walking a shared table as the
 * CPU or as the IOMMU sees it (pt_walk / pt_lookup on a struct pt whose fmt
 * is one of these; never used to write). */
const struct pt_fmt pt_fmt_npt_amdv1_cpu = {
    .name = "npt+amdv1(cpu)",
    .min_levels = 4,
    .max_levels = 5,
    .leaf_sizes = PT_SZ_ALL,
    .prot_valid = PT_R | PT_W | PT_X | PT_UC,
    .prot_need = PT_R,
    .decode = sh_decode_cpu,
};

const struct pt_fmt pt_fmt_npt_amdv1_iommu = {
    .name = "npt+amdv1(iommu)",
    .min_levels = 4,
    .max_levels = 5,
    .leaf_sizes = PT_SZ_ALL,
    .prot_valid = PT_R | PT_W | PT_UC,
    .prot_need = PT_R | PT_W,
    .decode = sh_decode_iommu,
};
