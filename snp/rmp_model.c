/* snp/rmp_model: the RMP model backend. A table in the Zen 3/4 raw format
 * lives in hypervisor memory and RMPREAD, RMPUPDATE, PSMASH, PVALIDATE and
 * RMPADJUST are carried out on it in software with the return codes of the
 * APM vol 3 instruction pages (APM vol 2 section 15.36 for the RMP checks).
 * Callers serialise (gmem holds its lock), so FAIL_INUSE only comes from
 * rmp_model_inject(). Rule by rule description: docs/rmp.md. */
#include "snp/rmp.h"

#include <errno.h>
#include <string.h>

#include "hv/base/log.h"
#include "hv/base/mem.h"

static void get(struct rmp *r, u64 pfn, struct rmp_info *i)
{
	rmp_raw_decode(rmp_raw_slot(r, pfn), i);
}

/* Entries written here were checked on the way in; a failure is a model bug. */
static void put(struct rmp *r, u64 pfn, const struct rmp_info *i)
{
	struct rmp_raw raw;

	BUG_ON(rmp_raw_encode(i, &raw));
	*rmp_raw_slot(r, pfn) = raw;
}

static u64 hpfn_of(u64 pfn)
{
	return ALIGN_DOWN(pfn, RMP_PAGES_PER_2M);
}

/* The 2M-aligned entry counts the assigned 4K entries among the other 511
 * (AMD SEV firmware sev_rmp.h "subpage_count"); it gives FAIL_OVERLAP and
 * hpage_region_status without scanning. */
static void count_subpage(struct rmp *r, u64 pfn, bool was, bool now)
{
	struct rmp_info big;
	u64 h = hpfn_of(pfn);

	if (pfn == h || was == now)
		return;
	get(r, h, &big);
	BUG_ON(now ? big.subpages >= RMP_PAGES_PER_2M - 1 : big.subpages == 0);
	big.subpages += now ? 1 : -1;
	put(r, h, &big);
}

static bool injected(struct rmp *r, int *rc)
{
	if (!r->inject_count)
		return false;
	r->inject_count--;
	*rc = r->inject_rc;
	return true;
}

static bool is_2m_assigned(const struct rmp_info *i)
{
	return i->assigned && i->pagesize == RMP_PG_SIZE_2M;
}

/* RMPREAD (APM vol 3): the governing entry in the architectural format;
 * hpage_region_status is set for a 2M-aligned address whose other 511 4K
 * entries include an assigned one. */
static int model_read(struct rmp *r, spa_t pa, struct rmpentry *out)
{
	u64 a = ALIGN_DOWN(spa_val(pa), PAGE_SIZE);
	struct rmp_info i, own;

	if (rmp_lookup(r, spa(a), &i, NULL))
		return RMP_FAIL_INPUT;
	memset(out, 0, sizeof(*out));
	out->gpa = gpa_val(i.gpa);
	out->asid = i.asid;
	out->flags = (i.assigned ? RMPENTRY_ASSIGNED : 0) |
		     (i.pagesize == RMP_PG_SIZE_2M ? RMPENTRY_PAGESIZE : 0) |
		     (i.immutable ? RMPENTRY_IMMUTABLE : 0);
	if (IS_ALIGNED(a, HUGE_SIZE)) {
		get(r, a >> PAGE_SHIFT, &own);
		if (own.subpages)
			out->flags |= RMPENTRY_HPAGE_REGION;
	}
	return RMP_SUCCESS;
}

/* Input checks of RMPUPDATE that need no table access. */
static int update_input_ok(struct rmp *r, u64 a, const struct rmpentry *st)
{
	bool assigned = st->flags & RMPENTRY_ASSIGNED;
	bool huge = st->flags & RMPENTRY_PAGESIZE;
	u64 pgsz = huge ? HUGE_SIZE : PAGE_SIZE;

	if (!IS_ALIGNED(a, pgsz) || !rmp_covers(r, spa(a + pgsz - 1)))
		return RMP_FAIL_INPUT;
	if (st->flags & ~RMPENTRY_UPDATE_FLAGS)
		return RMP_FAIL_INPUT;
	if (assigned &&
	    (st->asid > RMP_ASID_MAX || st->gpa > RMP_GPA_MAX || !IS_ALIGNED(st->gpa, pgsz)))
		return RMP_FAIL_INPUT;
	if (!assigned && (st->asid || st->gpa))
		return RMP_FAIL_INPUT;
	return RMP_SUCCESS;
}

/* RMPUPDATE (APM vol 3): checks in the order input, permission, overlap;
 * then writes the software-controlled fields and clears Validated, VMSA and
 * the VMPL permissions (VMPL0 keeps full access). */
static int model_update(struct rmp *r, spa_t pa, const struct rmpentry *st)
{
	u64 a = spa_val(pa), pfn = a >> PAGE_SHIFT, h = hpfn_of(pfn);
	bool huge = st->flags & RMPENTRY_PAGESIZE;
	struct rmp_info old, big, n;
	int rc;

	if (injected(r, &rc))
		return rc;
	rc = update_input_ok(r, a, st);
	if (rc)
		return rc;
	get(r, pfn, &old);
	if (old.immutable)
		return RMP_FAIL_PERMISSION;
	get(r, h, &big);
	/* A 4K entry under an assigned 2M entry (the 2M entry itself included)
	 * conflicts with it: PSMASH first. */
	if (!huge && is_2m_assigned(&big))
		return RMP_FAIL_OVERLAP;
	/* An assigned 2M entry needs the other 511 4K entries unassigned. */
	if (huge && (st->flags & RMPENTRY_ASSIGNED) && big.subpages)
		return RMP_FAIL_OVERLAP;

	memset(&n, 0, sizeof(n));
	n.assigned = st->flags & RMPENTRY_ASSIGNED;
	n.pagesize = huge ? RMP_PG_SIZE_2M : RMP_PG_SIZE_4K;
	n.immutable = st->flags & RMPENTRY_IMMUTABLE;
	n.gpa = gpa(st->gpa);
	n.asid = st->asid;
	n.subpages = old.subpages; /* bookkeeping of the region, not of this page */
	if (n.assigned)
		n.perms[0] = RMP_PERM_ALL;
	put(r, pfn, &n);
	count_subpage(r, pfn, old.assigned, n.assigned);
	return RMP_SUCCESS;
}

/* PSMASH (APM vol 3): an assigned 2M entry becomes 512 4K entries that keep
 * its attributes (validated, immutable, ASID, VMSA, VMPL permissions) with
 * GPAs increasing by 4K. */
static int model_psmash(struct rmp *r, spa_t pa)
{
	u64 a = spa_val(pa), h = a >> PAGE_SHIFT, i;
	struct rmp_info big, e;
	int rc;

	if (injected(r, &rc))
		return rc;
	if (!IS_ALIGNED(a, HUGE_SIZE) || !rmp_covers(r, spa(a + HUGE_SIZE - 1)))
		return RMP_FAIL_INPUT;
	get(r, h, &big);
	if (!is_2m_assigned(&big))
		return RMP_FAIL_BADADDR;
	BUG_ON(big.subpages); /* an assigned 2M entry never has assigned 4K pages */
	e = big;
	e.pagesize = RMP_PG_SIZE_4K;
	for (i = RMP_PAGES_PER_2M; i-- > 0;) {
		e.gpa = gpa(gpa_val(big.gpa) + (i << PAGE_SHIFT));
		e.subpages = i ? 0 : (u16)(RMP_PAGES_PER_2M - 1);
		put(r, h + i, &e);
	}
	return RMP_SUCCESS;
}

static const struct rmp_ops model_ops = {
    .name = "model",
    .is_model = true,
    .read = model_read,
    .update = model_update,
    .psmash = model_psmash,
};

int rmp_init_model(struct rmp *r, spa_t base, u64 table_size, u64 covered_bytes)
{
	u64 b = spa_val(base), npfns = covered_bytes >> PAGE_SHIFT, f;
	struct rmp_info fw = {.assigned = true, .immutable = true};

	if (!r || !IS_ALIGNED(b, KiB(8)) || !IS_ALIGNED(covered_bytes, HUGE_SIZE) || !npfns ||
	    table_size < rmp_table_size(npfns) || b + table_size > covered_bytes) {
		pr_err("rmp: model table at %#llx of %#llx bytes cannot cover %#llx bytes and "
		       "itself\n",
		       (unsigned long long)b, (unsigned long long)table_size,
		       (unsigned long long)covered_bytes);
		return -EINVAL;
	}
	memset(r, 0, sizeof(*r));
	r->base = base;
	r->size = table_size;
	r->npfns = npfns;
	memset(phys_ptr(base), 0, table_size);
	r->ops = &model_ops;
	/* SNP_INIT leaves the RMP's own frames in the FIRMWARE state. */
	for (f = b >> PAGE_SHIFT; f < ALIGN_UP(b + table_size, PAGE_SIZE) >> PAGE_SHIFT; f++) {
		struct rmp_info old;

		get(r, f, &old);
		fw.subpages = old.subpages;
		put(r, f, &fw);
		count_subpage(r, f, false, true);
	}
	pr_debug("rmp: model at %#llx, %#llx bytes, covers %#llx bytes\n", (unsigned long long)b,
		 (unsigned long long)table_size, (unsigned long long)covered_bytes);
	return 0;
}

void rmp_model_inject(struct rmp *r, int rc, u32 count)
{
	if (!r)
		return;
	r->inject_rc = rc;
	r->inject_count = count;
}

int rmp_model_fw_write(struct rmp *r, spa_t pa, const struct rmp_info *info)
{
	u64 pfn = spa_val(pa) >> PAGE_SHIFT;
	struct rmp_info old, n;
	struct rmp_raw raw;

	if (!r || !r->ops || !r->ops->is_model || !info)
		return -EOPNOTSUPP;
	if (!rmp_covers(r, pa) || !IS_ALIGNED(spa_val(pa), PAGE_SIZE) ||
	    (info->pagesize == RMP_PG_SIZE_2M && !IS_ALIGNED(spa_val(pa), HUGE_SIZE))) {
		pr_err("rmp: fw_write at %#llx: not a covered, aligned page\n",
		       (unsigned long long)spa_val(pa));
		return -EINVAL;
	}
	get(r, pfn, &old);
	n = *info;
	n.subpages = old.subpages;
	if (rmp_raw_encode(&n, &raw))
		return -EINVAL;
	*rmp_raw_slot(r, pfn) = raw;
	count_subpage(r, pfn, old.assigned, n.assigned);
	return 0;
}

/* The RMP check a guest access by asid to gpa backed by pa goes through
 * (APM vol 2 15.36.9): assigned to this ASID at this GPA, else #NPF. The
 * 2M/4K size rule is left to the instruction. */
static int guest_check(struct rmp *r, u32 asid, gpa_t g, spa_t pa, struct rmp_info *i, u64 *pfn)
{
	spa_t at;

	if (rmp_lookup(r, pa, i, &at))
		return RMP_FAULT_NPF;
	if (!i->assigned || i->asid != asid || !asid)
		return RMP_FAULT_NPF;
	if (gpa_val(i->gpa) + (spa_val(pa) - spa_val(at)) != gpa_val(g))
		return RMP_FAULT_NPF;
	*pfn = spa_val(at) >> PAGE_SHIFT;
	return RMP_SUCCESS;
}

static int size_input_ok(gpa_t g, spa_t pa, int size)
{
	u64 pgsz = size == RMP_PG_SIZE_2M ? HUGE_SIZE : PAGE_SIZE;

	if (size != RMP_PG_SIZE_4K && size != RMP_PG_SIZE_2M)
		return RMP_FAIL_INPUT;
	if (!IS_ALIGNED(gpa_val(g), pgsz) || !IS_ALIGNED(spa_val(pa), pgsz))
		return RMP_FAIL_INPUT;
	return RMP_SUCCESS;
}

/* Size rule shared by PVALIDATE and RMPADJUST: a 2M request on a 4K entry
 * fails with FAIL_SIZEMISMATCH; a 4K request on a 2M entry faults with
 * #NPF(SIZEM) so that the hypervisor PSMASHes and resumes. */
static int size_rule(const struct rmp_info *i, int size)
{
	if (size == RMP_PG_SIZE_2M && i->pagesize == RMP_PG_SIZE_4K)
		return RMP_FAIL_SIZEMISMATCH;
	if (size == RMP_PG_SIZE_4K && i->pagesize == RMP_PG_SIZE_2M)
		return RMP_FAULT_NPF_SIZEM;
	return RMP_SUCCESS;
}

int rmp_model_pvalidate(struct rmp *r, u32 asid, gpa_t g, spa_t pa, int size, bool validate,
			bool *cf)
{
	struct rmp_info i;
	u64 pfn;
	int rc;

	if (!r || !r->ops || !r->ops->is_model || !cf)
		return -EOPNOTSUPP;
	*cf = false;
	rc = size_input_ok(g, pa, size);
	if (!rc)
		rc = guest_check(r, asid, g, pa, &i, &pfn);
	if (!rc)
		rc = size_rule(&i, size);
	if (rc)
		return rc;
	if (i.validated == validate) {
		*cf = true; /* validated bit unchanged */
		return RMP_SUCCESS;
	}
	i.validated = validate;
	put(r, pfn, &i);
	return RMP_SUCCESS;
}

int rmp_model_rmpadjust(struct rmp *r, u32 asid, int caller_vmpl, gpa_t g, spa_t pa, int size,
			int target_vmpl, u8 perms, bool vmsa)
{
	struct rmp_info i;
	u64 pfn;
	int rc;

	if (!r || !r->ops || !r->ops->is_model)
		return -EOPNOTSUPP;
	if (caller_vmpl < 0 || caller_vmpl >= RMP_NR_VMPLS || target_vmpl < 0 ||
	    target_vmpl >= RMP_NR_VMPLS || (perms & ~RMP_PERM_ALL))
		return RMP_FAIL_INPUT;
	rc = size_input_ok(g, pa, size);
	if (!rc && vmsa && caller_vmpl == 0 && size != RMP_PG_SIZE_4K)
		rc = RMP_FAIL_INPUT; /* a VMSA is a 4K page */
	if (!rc && target_vmpl <= caller_vmpl)
		rc = RMP_FAIL_PERMISSION; /* only less privileged VMPLs */
	if (!rc)
		rc = guest_check(r, asid, g, pa, &i, &pfn);
	if (!rc && !i.validated)
		rc = RMP_FAULT_VC_NOT_VALIDATED;
	if (!rc)
		rc = size_rule(&i, size);
	if (!rc && caller_vmpl && (perms & ~i.perms[caller_vmpl]))
		rc = RMP_FAIL_PERMISSION; /* cannot grant more than it has */
	if (rc)
		return rc;
	i.perms[target_vmpl] = perms;
	if (caller_vmpl == 0)
		i.vmsa = vmsa; /* ignored below VMPL0 */
	put(r, pfn, &i);
	return RMP_SUCCESS;
}
