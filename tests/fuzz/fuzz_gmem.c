/* libFuzzer target for hv/core/gmem + hv/core/xcheck: the input is a sequence of
 * 8-byte operations (populate / convert / batch / release / injected ENOMEM or
 * RMP failure) on two guests with a trusted and an untrusted domain each.
 * Checked (docs/fuzzing.md): the full checker (I1-I7, both guests) once the
 * guests are created, on the first input only (setup builds the same state
 * from nothing for every input: pmem, the RMP model and both gmems
 * initialized again, so what held after the first setup holds after every
 * one), the accounting on every input; after every operation the
 * incremental checker over what the operation could have touched (its GPA
 * ranges widened to whole records, plus the spans gmem reports; the full
 * checker when gmem reports none) and the accounting of both guests; the full
 * checker again at the end of the input, then teardown and no frame left
 * owned. Any error return is fine; a violation or a crash is a bug. */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/core/gmem.h"
#include "hv/base/log.h"
#include "hv/mm/pmem.h"
#include "snp/rmp.h"
#include "hv/core/xcheck.h"
#include "hv/arch/host/host_env.h"
#include "tests/fuzz/fuzz_common.h"

/* Small on purpose: pmem and the RMP model are rebuilt for every input (so
 * that each input runs from the same state), at a cost that grows with the
 * window: 2M..32M leaves room for both guests fully populated, 2M pages
 * included, and their tables. */
#define WIN_BASE (2ULL << 20)
#define WIN_SIZE (30ULL << 20)
#define RMP_AREA (256ULL << 10)
/* Guest 0: 2M pages, two of them (splits, 2M boundaries); guest 1: 4K pages
 * only. Each check walks every leaf and record: small guests keep it fast. */
static const u64 gmem_mem[2] = {4ULL << 20, 1ULL << 20};
static const u64 gmem_page[2] = {HUGE_SIZE, PAGE_SIZE}; /* max_page: the largest record */

static u8 *win;
static struct rmp rmp;


static void die(const char *what)
{
	fprintf(stderr, "fuzz_gmem: %s\n", what);
	abort();
}

/* What the current operation touched, per guest: the harness's own spans
 * (the operation's ranges, widened to whole records) and the ones gmem passes
 * to its check callback; `full` when gmem passed none (check everything). */
#define MAX_SPANS 64
struct touched {
	struct gmem_span sp[MAX_SPANS];
	unsigned n;
	bool full;
};
static struct touched tch[2];

static void touch(unsigned gi, u64 a, u64 len)
{
	u64 b = MIN(ALIGN_UP(a + len, gmem_page[gi]), gmem_mem[gi]);
	struct touched *t = &tch[gi];

	a = ALIGN_DOWN(a, gmem_page[gi]);
	if (t->n == MAX_SPANS)
		t->full = true;
	else if (a < b)
		t->sp[t->n++] = (struct gmem_span){a, b - a};
}

/* gmem's check callback (struct gmem_params.check): only records the spans;
 * the checker runs once the operation returned. */
static int rec_touched(void *ctx, struct gmem *g, const struct gmem_touched *t)
{
	unsigned gi = (unsigned)(uintptr_t)ctx;

	if (!t) {
		tch[gi].full = true;
		return 0;
	}
	for (unsigned i = 0; i < t->n; i++)
		touch(gi, t->span[i].gpa, t->span[i].size);
	return 0;
}

/* pmem's pages of each guest's data owner = its ledger + pending pages. */
static void accounting(struct gmem **gs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct gmem *g = gs[i];

		if (pmem_owner_pages(g->own_mem) !=
		    g->st.private_pages + g->st.shared_pages + gmem_pending_pages(g, g->own_mem))
			die("mem accounting");
	}
}

/* full: xcheck_run over both guests; else xcheck_run_touched over tch[]. */
static void check(struct gmem **gs, unsigned n, bool full)
{
	static struct xcheck_report rep;
	struct gmem_touched t[2];
	const struct gmem_touched *tp[2];
	int rc;

	for (unsigned i = 0; i < n; i++) {
		full |= tch[i].full;
		t[i] = (struct gmem_touched){tch[i].sp, tch[i].n};
		tp[i] = tch[i].n ? &t[i] : NULL;
	}
	if (full)
		rc = xcheck_run((const struct gmem *const *)gs, n, &rep);
	else
		rc = xcheck_run_touched((const struct gmem *const *)gs, n, tp, &rep);
	if (rc || rep.total) {
		fuzz_print_violations(&rep);
		die(full ? "violation (full check)" : "violation (incremental check)");
	}
	accounting(gs, n);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct gmem g[2];
	static bool setup_checked;
	struct gmem *gs[2] = {&g[0], &g[1]};
	struct pmem_region r = {{WIN_BASE + RMP_AREA}, WIN_SIZE - RMP_AREA};
	size_t off;

	if (!win) {
		win = aligned_alloc(HUGE_SIZE, WIN_SIZE);
		fuzz_quiet(); /* errors are expected */
	}
	host_phys_window(win, spa(WIN_BASE), WIN_SIZE);
	if (pmem_init(&r, 1) || rmp_init_model(&rmp, spa(WIN_BASE), RMP_AREA, WIN_BASE + WIN_SIZE))
		die("env");
	for (unsigned i = 0; i < 2; i++) {
		struct gmem_params p = {.name = i ? "f1" : "f0",
					.asid = 1 + i,
					.mem_size = gmem_mem[i],
					.max_page = gmem_page[i],
					.rmp = &rmp,
					.check = rec_touched,
					.check_ctx = (void *)(uintptr_t)i,
					.flush_asid = fuzz_flush};

		if (gmem_init(&g[i], &p) || gmem_attach_domain(&g[i], 1, 3, true, &fuzz_iommu_ops, NULL) ||
		    gmem_attach_domain(&g[i], 2, 3, false, &fuzz_iommu_ops, NULL))
			die("init");
	}
	memset(tch, 0, sizeof(tch));
	if (!setup_checked) { /* the same state after every setup: see the top */
		check(gs, 2, true);
		setup_checked = true;
	} else {
		accounting(gs, 2);
	}
	/* op: [0] kind/guest, [1] target, [2..3] page index, [4..5] pages, [6] inject, [7] n */
	for (off = 0; off + 8 <= size && off < 8 * 32; off += 8) {
		const u8 *o = data + off;
		unsigned gi = o[0] & 1;
		struct gmem *x = &g[gi];
		u64 mem = gmem_mem[o[0] & 1];
		u64 a = ((u64)(o[2] | o[3] << 8) % (mem >> PAGE_SHIFT)) << PAGE_SHIFT;
		u64 len = ((u64)(o[4] | o[5] << 8) % 128 + 1)
			  << PAGE_SHIFT; /* 2M via the 0x40 flag */
		enum gmem_state st = o[1] & 1 ? GMEM_PRIVATE : GMEM_SHARED;

		if (o[0] & 0x80)
			a = ALIGN_DOWN(a, HUGE_SIZE);
		if (o[0] & 0x40)
			len = ALIGN_UP(len, HUGE_SIZE);
		if (o[6] & 0x80)
			x->fail_alloc = o[6] & 0x3F;
		else if (o[6] & 0x40)
			rmp_model_inject(&rmp, RMP_FAIL_INPUT, o[6] & 3);
		memset(tch, 0, sizeof(tch));
		switch ((o[0] >> 1) & 3) {
		case 0:
			touch(gi, a, len);
			gmem_populate(x, gpa(a), len, st);
			break;
		case 1:
			touch(gi, a, len);
			gmem_convert(x, gpa(a), len, st);
			break;
		case 2: {
			struct gmem_range rs[8];
			unsigned n = 1 + (o[7] & 7);

			for (unsigned i = 0; i < n; i++) {
				u64 b = (a + (u64)i * (o[7] | 1) * 0x11000) % mem;

				rs[i] = (struct gmem_range){
				    gpa(ALIGN_DOWN(b, PAGE_SIZE)), PAGE_SIZE << (i & 1),
				    (o[1] >> (i & 7)) & 1 ? GMEM_PRIVATE : GMEM_SHARED};
				touch(gi, gpa_val(rs[i].gpa), rs[i].size);
			}
			gmem_convert_batch(x, rs, n);
			break;
		}
		default:
			touch(gi, a, len);
			gmem_release(x, gpa(a), len);
			break;
		}
		x->fail_alloc = 0;
		rmp_model_inject(&rmp, 0, 0);
		check(gs, 2, false);
	}
	memset(tch, 0, sizeof(tch));
	check(gs, 2, true);
	for (unsigned i = 0; i < 2; i++) {
		u8 m = g[i].own_mem, n = g[i].own_npt, io = g[i].own_iommu;

		gmem_destroy(&g[i]);
		if (pmem_owner_pages(m) || pmem_owner_pages(n) || pmem_owner_pages(io))
			die("leak after destroy");
	}
	return 0;
}
