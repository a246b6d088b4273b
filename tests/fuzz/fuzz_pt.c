/* libFuzzer target for the page-table engine: the input picks a format and
 * a sequence of map/unmap/protect/merge ops (optionally with the Nth table
 * allocation failing) inside a 2 GiB window; after each op the table must
 * agree with a reference model of 4K pages around the op, a failed op must
 * change nothing, and at the end the whole table is checked, merged, emptied
 * and destroyed without leaking a page. Build: make build/fuzz/fuzz_pt. */
#include <stddef.h>
#include <stdint.h>

#include "hv/base/log.h"
#include "tests/unit/test_pt_env.h"

#define WIN_BASE  0x4000000000ULL
#define WIN_PAGES 2048
#define VA_WINDOW GiB(2)

struct in {
	const u8 *p;
	size_t n;
};

static u64 take(struct in *in, unsigned bytes)
{
	u64 v = 0;

	while (bytes--) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n) {
			in->p++;
			in->n--;
		}
	}
	return v;
}

static const struct {
	const struct pt_fmt *fmt;
	unsigned levels;
} cfgs[] = {
    {&pt_fmt_x86, 4},	{&pt_fmt_npt, 4},   {&pt_fmt_npt, 5},
    {&pt_fmt_amdv1, 3}, {&pt_fmt_amdv1, 4}, {&pt_fmt_amdv1, 6},
};

/* 8 bytes -> one op; returns false when the input is used up. */
static bool decode_op(struct in *in, const struct pt *pt, struct pt_op *op, int *fail_at)
{
	u64 w, align, units;
	unsigned cls;

	if (in->n == 0)
		return false;
	w = take(in, 8);
	memset(op, 0, sizeof(*op));
	op->type = (enum pt_op_type)(w & 3);
	cls = (w >> 2) & 3;
	align = cls == 3 ? GIGA_SIZE : cls == 2 ? HUGE_SIZE : PAGE_SIZE;
	units = cls == 3 ? 1 : 1 + ((w >> 4) & (cls == 1 ? 63 : 3));
	op->size = units * align;
	op->va = (((w >> 10) & 0xFFFFF) * PAGE_SIZE) % VA_WINDOW;
	op->va = ALIGN_DOWN(op->va, align);
	if (op->va + op->size > VA_WINDOW)
		op->va = VA_WINDOW - op->size;
	op->prot = (u32)((w >> 30) & 0x3F) & pt->fmt->prot_valid;
	if (!(op->prot & pt->fmt->prot_need))
		op->prot |= pt->fmt->prot_need & PT_R ? PT_R : PT_W;
	op->sizes = (u32)((w >> 36) & 7) & pt->fmt->leaf_sizes;
	if (!op->sizes)
		op->sizes = PT_SZ_ALL;
	op->pa =
	    spa(op->va + ((w >> 39) & 1 ? GiB((w >> 40) & 15) : ((w >> 40) & 0xFFFF) * PAGE_SIZE));
	/* the smallest allowed size decides the alignment a map needs */
	if (op->type == PT_OP_MAP &&
	    !IS_ALIGNED(op->va | op->size | spa_val(op->pa),
			pt_level_size((unsigned)__builtin_ctz(op->sizes) + 1)))
		op->sizes |= PT_SZ_4K;
	if (op->type == PT_OP_MAP && (w >> 56) & 1)
		op->flags = PT_OPF_NO_REPLACE;
	*fail_at = (w >> 57) & 1 ? (int)((w >> 58) & 31) : -1;
	return true;
}

static void die_if(bool bad, const char *what, const struct pt_op *op, const char *msg)
{
	if (bad)
		ENV_DIE("%s (op %d va 0x%llx size 0x%llx pa 0x%llx prot 0x%x sizes 0x%x): %s", what,
			(int)op->type, (unsigned long long)op->va, (unsigned long long)op->size,
			(unsigned long long)spa_val(op->pa), op->prot, op->sizes, msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;
	struct in in = {data, size};
	struct pt_op op;
	struct pt pt;
	struct chk c;
	unsigned cfg, nops = 0;
	u64 touched_lo = ~0ULL, touched_hi = 0;
	int fail_at;

	if (!once) {
		log_level_max = LOG_ERR;
		ta_init(WIN_BASE, WIN_PAGES);
		ref_init(0, VA_WINDOW / PAGE_SIZE);
		once = true;
	}
	cfg = (unsigned)take(&in, 1) % ARRAY_SIZE(cfgs);
	ta.allocs = ta.frees = 0;
	if (pt_init(&pt, cfgs[cfg].fmt, cfgs[cfg].levels, &ta_mm))
		ENV_DIE("init");
	while (nops++ < 64 && decode_op(&in, &pt, &op, &fail_at)) {
		u64 h = table_hash(&pt), used = ta.in_use, lo, hi, lo_chk, size_chk;
		bool exists = op.type == PT_OP_MAP && (op.flags & PT_OPF_NO_REPLACE) &&
			      ref_count(op.va, op.size);
		struct pt_change chg = {0};
		int rc;

		ta.fail_in = fail_at;
		rc = pt_apply(&pt, &op, &chg);
		ta.fail_in = -1;
		if (rc) {
			die_if(rc != -ENOMEM && !(exists && rc == -EEXIST), "unexpected error", &op,
			       "");
			die_if(table_hash(&pt) != h || ta.in_use != used,
			       "failed op changed tables", &op, "");
			continue;
		}
		die_if(exists, "no-replace map succeeded", &op, "");
		ref_apply(&op, &lo, &hi);
		touched_lo = MIN(touched_lo, op.va);
		touched_hi = MAX(touched_hi, op.va + op.size);
		die_if(hi >= lo && (!(chg.flags & PT_CHANGE_FLUSH) || chg.start > lo ||
				    chg.last < hi + PAGE_SIZE - 1),
		       "change report", &op, "changed pages not covered");
		lo_chk = op.va >= HUGE_SIZE ? ALIGN_DOWN(op.va, HUGE_SIZE) - HUGE_SIZE : 0;
		size_chk =
		    MIN(VA_WINDOW, ALIGN_UP(op.va + op.size, HUGE_SIZE) + HUGE_SIZE) - lo_chk;
		die_if(check_range(&pt, lo_chk, size_chk, &c) != 0, "model mismatch", &op, c.msg);
	}
	die_if(check_all(&pt, &c) != 0, "final check", &op, c.msg);
	if (pt_merge(&pt, 0, VA_WINDOW, PT_SZ_ALL, NULL))
		ENV_DIE("merge");
	die_if(check_all(&pt, &c) != 0 || c.mergeable, "after merge", &op, c.msg);
	if (pt_unmap(&pt, 0, VA_WINDOW, NULL) || pt_table_pages(&pt) != 1 || ta.in_use != 1)
		ENV_DIE("unmap all left %llu tables", (unsigned long long)pt_table_pages(&pt));
	/* empty the model where ops wrote (cheaper than a whole-window unmap) */
	if (touched_hi > touched_lo)
		memset(ref.pg + touched_lo / PAGE_SIZE, 0,
		       (touched_hi - touched_lo) / PAGE_SIZE * sizeof(u64));
	ref.mapped = 0;
	pt_destroy(&pt);
	if (ta.in_use != 0 || ta.allocs != ta.frees)
		ENV_DIE("leak: %llu pages in use", (unsigned long long)ta.in_use);
	return 0;
}
