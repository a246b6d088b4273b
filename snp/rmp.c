/* snp/rmp: backend-independent part of the RMP: raw entry encode/decode,
 * table sizing, parsing of the RMP MSRs and CPUID, page-state lookups from the
 * raw table, and the dispatch (with Linux's bounded retries) to a backend.
 * APM vol 2 section 15.36 "Secure Nested Paging". */
#include "snp/rmp.h"

#include <errno.h>

#include "hv/base/log.h"
#include "hv/base/mem.h"

void rmp_raw_decode(const struct rmp_raw *raw, struct rmp_info *info)
{
	int v;

	info->assigned = raw->lo & RMP_RAW_ASSIGNED;
	info->pagesize = (raw->lo & RMP_RAW_PAGESIZE) ? RMP_PG_SIZE_2M : RMP_PG_SIZE_4K;
	info->immutable = raw->lo & RMP_RAW_IMMUTABLE;
	info->subpages = (u16)FIELD_GET(RMP_RAW_SUBPAGES, raw->lo);
	info->gpa = gpa(FIELD_GET(RMP_RAW_GPA, raw->lo) << PAGE_SHIFT);
	info->asid = (u32)FIELD_GET(RMP_RAW_ASID, raw->lo);
	info->vmsa = raw->lo & RMP_RAW_VMSA;
	info->validated = raw->lo & RMP_RAW_VALIDATED;
	info->lock = raw->lo & RMP_RAW_LOCK;
	for (v = 0; v < RMP_NR_VMPLS; v++)
		info->perms[v] = (u8)FIELD_GET(RMP_RAW_VMPL_PERMS(v), raw->hi);
}

int rmp_raw_encode(const struct rmp_info *info, struct rmp_raw *raw)
{
	u64 g = gpa_val(info->gpa);
	int v;

	if (!IS_ALIGNED(g, PAGE_SIZE) || g > RMP_GPA_MAX || info->asid > RMP_ASID_MAX ||
	    info->subpages >= RMP_PAGES_PER_2M || info->pagesize > RMP_PG_SIZE_2M) {
		pr_err("rmp: entry does not fit the raw format (gpa %#llx asid %u subpages %u size "
		       "%u)\n",
		       (unsigned long long)g, info->asid, info->subpages, info->pagesize);
		return -EINVAL;
	}
	raw->lo = (info->assigned ? RMP_RAW_ASSIGNED : 0) |
		  (info->pagesize == RMP_PG_SIZE_2M ? RMP_RAW_PAGESIZE : 0) |
		  (info->immutable ? RMP_RAW_IMMUTABLE : 0) |
		  FIELD_PREP(RMP_RAW_SUBPAGES, info->subpages) |
		  FIELD_PREP(RMP_RAW_GPA, g >> PAGE_SHIFT) | FIELD_PREP(RMP_RAW_ASID, info->asid) |
		  (info->vmsa ? RMP_RAW_VMSA : 0) | (info->validated ? RMP_RAW_VALIDATED : 0) |
		  (info->lock ? RMP_RAW_LOCK : 0);
	raw->hi = 0;
	for (v = 0; v < RMP_NR_VMPLS; v++)
		raw->hi |= FIELD_PREP(RMP_RAW_VMPL_PERMS(v), info->perms[v]);
	return 0;
}

/* Page states of the SNP firmware ABI, decided from the governing entry. */
enum rmp_page_state rmp_info_state(const struct rmp_info *i)
{
	if (!i->assigned) {
		if (i->validated || i->vmsa || i->asid)
			return RMP_PS_INVALID;
		return i->immutable ? RMP_PS_HV_FIXED : RMP_PS_HYPERVISOR;
	}
	if (i->asid == 0) {
		if (i->validated)
			return RMP_PS_INVALID;
		return i->immutable ? RMP_PS_FIRMWARE : RMP_PS_RECLAIM;
	}
	if (i->immutable)
		return i->validated ? RMP_PS_PRE_SWAP : RMP_PS_PRE_GUEST;
	return i->validated ? RMP_PS_GUEST_VALID : RMP_PS_GUEST_INVALID;
}

const char *rmp_page_state_name(enum rmp_page_state s)
{
	static const char *const names[] = {
	    [RMP_PS_INVALID] = "INVALID",
	    [RMP_PS_DEFAULT] = "DEFAULT",
	    [RMP_PS_HYPERVISOR] = "HYPERVISOR",
	    [RMP_PS_HV_FIXED] = "HV_FIXED",
	    [RMP_PS_FIRMWARE] = "FIRMWARE",
	    [RMP_PS_RECLAIM] = "RECLAIM",
	    [RMP_PS_PRE_GUEST] = "PRE_GUEST",
	    [RMP_PS_PRE_SWAP] = "PRE_SWAP",
	    [RMP_PS_GUEST_INVALID] = "GUEST_INVALID",
	    [RMP_PS_GUEST_VALID] = "GUEST_VALID",
	};

	if ((unsigned)s >= ARRAY_SIZE(names))
		return "?";
	return names[s];
}

const char *rmp_code_name(int code)
{
	switch (code) {
	case RMP_SUCCESS:
		return "SUCCESS";
	case RMP_FAIL_INPUT:
		return "FAIL_INPUT";
	case RMP_FAIL_PERMISSION:
		return "FAIL_PERMISSION";
	case RMP_FAIL_INUSE:
		return "FAIL_INUSE";
	case RMP_FAIL_OVERLAP:
		return "FAIL_OVERLAP";
	case RMP_FAIL_SIZEMISMATCH:
		return "FAIL_SIZEMISMATCH";
	case RMP_FAIL_BADADDR:
		return "FAIL_BADADDR";
	case RMP_FAULT_NPF:
		return "#NPF(RMP)";
	case RMP_FAULT_NPF_SIZEM:
		return "#NPF(RMP|SIZEM)";
	case RMP_FAULT_VC_NOT_VALIDATED:
		return "#VC(not validated)";
	default:
		return code < 0 ? "errno" : "unknown";
	}
}

/* ---- sizing (APM vol 2 15.36.3; Linux snp_probe_rmptable_info) ---------- */

u64 rmp_table_size(u64 npfns)
{
	return (npfns << 4) + RMP_BOOKKEEPING_SIZE;
}

int rmp_table_size_self_cover(spa_t base, u64 mem_end, u64 align, u64 *size)
{
	u64 b = spa_val(base), end = mem_end, sz = 0;
	int i;

	if (align < KiB(8) || (align & (align - 1)) || !IS_ALIGNED(b, align) || mem_end > BIT(52)) {
		pr_err("rmp: bad sizing input (base %#llx, mem_end %#llx, align %#llx)\n",
		       (unsigned long long)b, (unsigned long long)mem_end,
		       (unsigned long long)align);
		return -EINVAL;
	}
	/* The table must describe its own frames: grow the covered range to the
	 * table's end until that no longer grows the table (16 B per 4 KiB, so
	 * this settles in a few rounds). */
	for (i = 0; i < 16; i++) {
		u64 npfns = ALIGN_UP(end, PAGE_SIZE) >> PAGE_SHIFT;

		sz = ALIGN_UP(rmp_table_size(npfns), align);
		if (b + sz <= (npfns << PAGE_SHIFT)) {
			*size = sz;
			return 0;
		}
		end = b + sz;
		if (end > BIT(52))
			break;
	}
	pr_err("rmp: no self-covering table size at base %#llx\n", (unsigned long long)b);
	return -EOVERFLOW;
}

/* ---- hardware discovery (APM vol 2 15.36.3-4; CPUID Fn8000_001F) --------- */

int rmp_hw_parse(const struct rmp_hw_facts *f, struct rmp_hw_layout *out)
{
	u64 size, npfns, covered;

	if (f->max_ext_leaf < CPUID_SEV_LEAF) {
		pr_info("rmp: CPUID 0x8000001F not reported (max extended leaf %#x): no SNP\n",
			f->max_ext_leaf);
		return -ENODEV;
	}
	if (!(f->sev_eax & CPUID_SEV_EAX_SNP)) {
		pr_info("rmp: CPUID 0x8000001F.EAX[4] clear: no SEV-SNP\n");
		return -ENODEV;
	}
	if (!(f->syscfg & MSR_AMD64_SYSCFG_MEM_ENCRYPT)) {
		pr_info("rmp: SYSCFG.MEM_ENCRYPT (bit 23) clear: memory encryption off\n");
		return -ENODEV;
	}
	if (!(f->syscfg & MSR_AMD64_SYSCFG_SNP_EN)) {
		pr_info("rmp: SYSCFG.SNP_EN (bit 24) clear: SNP not enabled on this CPU\n");
		return -ENODEV;
	}
	if ((f->sev_eax & CPUID_SEV_EAX_SEGMENTED_RMP) &&
	    (f->rmp_cfg & MSR_AMD64_SEG_RMP_ENABLED)) {
		pr_err("rmp: segmented RMP enabled (RMP_CFG bit 0): not supported, refusing\n");
		return -EOPNOTSUPP;
	}
	if ((f->rmp_base & ~RMP_ADDR_MASK) || !(f->rmp_base & RMP_ADDR_MASK) ||
	    !(f->rmp_end & RMP_ADDR_MASK)) {
		pr_err("rmp: RMP_BASE %#llx / RMP_END %#llx not set up by firmware\n",
		       (unsigned long long)f->rmp_base, (unsigned long long)f->rmp_end);
		return -EINVAL;
	}
	if (f->rmp_end <= f->rmp_base || !IS_ALIGNED(f->rmp_end + 1, KiB(8))) {
		pr_err("rmp: RMP_END %#llx invalid for RMP_BASE %#llx\n",
		       (unsigned long long)f->rmp_end, (unsigned long long)f->rmp_base);
		return -EINVAL;
	}
	size = f->rmp_end - f->rmp_base + 1;
	if (size <= RMP_BOOKKEEPING_SIZE) {
		pr_err("rmp: RMP of %#llx bytes has no entries\n", (unsigned long long)size);
		return -EINVAL;
	}
	npfns = (size - RMP_BOOKKEEPING_SIZE) / RMP_ENTRY_SIZE;
	covered = npfns << PAGE_SHIFT;
	/* Linux: the RMP must cover all of RAM and itself. */
	if (covered < f->mem_end || covered < f->rmp_end + 1) {
		pr_err("rmp: RMP covers %#llx bytes, needs %#llx (RAM) and %#llx (itself)\n",
		       (unsigned long long)covered, (unsigned long long)f->mem_end,
		       (unsigned long long)(f->rmp_end + 1));
		return -EINVAL;
	}
	if (!IS_ALIGNED(f->rmp_base, MiB(1)) || !IS_ALIGNED(size, MiB(1)))
		pr_warn("rmp: RMP not 1 MiB aligned; SNP firmware (SNP_INIT) will refuse it\n");
	out->base = spa(f->rmp_base);
	out->size = size;
	out->npfns = npfns;
	out->has_rmpread = f->sev_eax & CPUID_SEV_EAX_RMPREAD;
	return 0;
}

/* ---- raw table access ---------------------------------------------------- */

bool rmp_covers(const struct rmp *r, spa_t pa)
{
	return r && r->ops && (spa_val(pa) >> PAGE_SHIFT) < r->npfns;
}

struct rmp_raw *rmp_raw_slot(const struct rmp *r, u64 pfn)
{
	return phys_ptr(spa_add(r->base, RMP_BOOKKEEPING_SIZE + pfn * RMP_ENTRY_SIZE));
}

int rmp_lookup(struct rmp *r, spa_t pa, struct rmp_info *info, spa_t *entry_pa)
{
	u64 pfn = spa_val(pa) >> PAGE_SHIFT, hpfn = ALIGN_DOWN(pfn, RMP_PAGES_PER_2M);
	struct rmp_raw big;

	if (!r || !r->ops || !info)
		return -EINVAL;
	if (!rmp_covers(r, pa))
		return -ERANGE;
	/* APM 15.36.3: a 4K page inside a region whose 2M-aligned entry is an
	 * assigned 2M entry is described by that entry. */
	big = *rmp_raw_slot(r, hpfn);
	if ((big.lo & RMP_RAW_ASSIGNED) && (big.lo & RMP_RAW_PAGESIZE)) {
		rmp_raw_decode(&big, info);
		pfn = hpfn;
	} else {
		rmp_raw_decode(rmp_raw_slot(r, pfn), info);
	}
	if (entry_pa)
		*entry_pa = spa(pfn << PAGE_SHIFT);
	return 0;
}

enum rmp_page_state rmp_page_state(struct rmp *r, spa_t pa)
{
	struct rmp_info info;

	if (!rmp_covers(r, pa))
		return RMP_PS_DEFAULT;
	if (rmp_lookup(r, pa, &info, NULL))
		return RMP_PS_INVALID;
	return rmp_info_state(&info);
}

int rmp_check_host_write(struct rmp *r, spa_t pa)
{
	struct rmp_info info;
	spa_t at;

	/* Frames outside the table are never checked (Default state). */
	if (!rmp_covers(r, pa))
		return 0;
	if (rmp_lookup(r, pa, &info, &at))
		return -EINVAL;
	if (!info.assigned)
		return 0;
	pr_err("rmp: host write to %#llx would fault: assigned to ASID %u (entry %#llx, %s)\n",
	       (unsigned long long)spa_val(pa), info.asid, (unsigned long long)spa_val(at),
	       info.pagesize == RMP_PG_SIZE_2M ? "2M" : "4K");
	return -EPERM;
}

/* ---- dispatch ------------------------------------------------------------ */

int rmp_read(struct rmp *r, spa_t pa, struct rmpentry *out)
{
	if (!r || !r->ops)
		return -ENODEV;
	if (!out)
		return -EINVAL;
	return r->ops->read(r, pa, out);
}

int rmpupdate(struct rmp *r, spa_t pa, const struct rmpentry *st)
{
	int rc, tries = 0;

	if (!r || !r->ops)
		return -ENODEV;
	if (!st)
		return -EINVAL;
	/* Linux retries FAIL_OVERLAP: the firmware may hold the 2M range briefly.
	 * A persistent overlap (a real 4K/2M conflict) ends after the bound. */
	do
		rc = r->ops->update(r, pa, st);
	while (rc == RMP_FAIL_OVERLAP && ++tries < RMP_RETRY_MAX);
	return rc;
}

int psmash(struct rmp *r, spa_t pa)
{
	int rc, tries = 0;

	if (!r || !r->ops)
		return -ENODEV;
	/* Linux/KVM retry PSMASH while another CPU holds the entry. */
	do
		rc = r->ops->psmash(r, pa);
	while (rc == RMP_FAIL_INUSE && ++tries < RMP_RETRY_MAX);
	return rc;
}

static int rmp_update_checked(struct rmp *r, spa_t pa, const struct rmpentry *st, const char *what)
{
	int rc = rmpupdate(r, pa, st);

	if (rc < 0)
		return rc;
	if (rc != RMP_SUCCESS) {
		pr_err("rmp: %s of %#llx failed: RMPUPDATE %s (%d)\n", what,
		       (unsigned long long)spa_val(pa), rmp_code_name(rc), rc);
		return -EIO;
	}
	return 0;
}

int rmp_make_private(struct rmp *r, spa_t pa, u32 asid, gpa_t gpa, int size, bool immutable)
{
	struct rmpentry st = {
	    .gpa = gpa_val(gpa),
	    .flags = RMPENTRY_ASSIGNED | (size == RMP_PG_SIZE_2M ? RMPENTRY_PAGESIZE : 0) |
		     (immutable ? RMPENTRY_IMMUTABLE : 0),
	    .asid = asid,
	};

	if (size != RMP_PG_SIZE_4K && size != RMP_PG_SIZE_2M) {
		pr_err("rmp: make_private: bad page size %d\n", size);
		return -EINVAL;
	}
	return rmp_update_checked(r, pa, &st, "make_private");
}

int rmp_make_shared(struct rmp *r, spa_t pa, int size)
{
	struct rmpentry st = {.flags = size == RMP_PG_SIZE_2M ? RMPENTRY_PAGESIZE : 0};

	if (size != RMP_PG_SIZE_4K && size != RMP_PG_SIZE_2M) {
		pr_err("rmp: make_shared: bad page size %d\n", size);
		return -EINVAL;
	}
	return rmp_update_checked(r, pa, &st, "make_shared");
}
