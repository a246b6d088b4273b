/* libFuzzer target for hv/core/gmem + hv/core/xcheck: the input is a sequence of
 * 8-byte operations (populate / convert / batch / release / injected ENOMEM or
 * RMP failure) on two guests with a trusted and an untrusted domain each; after
 * every operation the checker must find no violation and the accounting must
 * hold. Any error return is fine; a violation or a crash is a bug. */
#include <errno.h>
#include <stdio.h>
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

static u8 *win;
static struct rmp rmp;

static int f_inv(void *c, u16 id, u64 iova, u64 size) { return 0; }
static int f_sync(void *c) { return 0; }
static int f_flush(void *c, u32 asid) { return 0; }
static const struct gmem_iommu_ops ops = {f_inv, f_sync};

static void die(const char *what)
{
	fprintf(stderr, "fuzz_gmem: %s\n", what);
	abort();
}

static void check(struct gmem **gs, unsigned n)
{
	static struct xcheck_report rep;

	if (xcheck_run((const struct gmem *const *)gs, n, &rep) || rep.total) {
		fuzz_print_violations(&rep);
		die("violation");
	}
	for (unsigned i = 0; i < n; i++) {
		const struct gmem *g = gs[i];

		if (pmem_owner_pages(g->own_mem) !=
		    g->st.private_pages + g->st.shared_pages + gmem_pending_pages(g, g->own_mem))
			die("mem accounting");
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct gmem g[2];
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
		struct gmem_params p = {.name = i ? "f1" : "f0", .asid = 1 + i, .mem_size = gmem_mem[i],
					.max_page = i ? PAGE_SIZE : HUGE_SIZE, .rmp = &rmp,
					.flush_asid = f_flush};

		if (gmem_init(&g[i], &p) || gmem_attach_domain(&g[i], 1, 3, true, &ops, NULL) ||
		    gmem_attach_domain(&g[i], 2, 3, false, &ops, NULL))
			die("init");
	}
	/* op: [0] kind/guest, [1] target, [2..3] page index, [4..5] pages, [6] inject, [7] n */
	for (off = 0; off + 8 <= size && off < 8 * 32; off += 8) {
		const u8 *o = data + off;
		struct gmem *x = &g[o[0] & 1];
		u64 mem = gmem_mem[o[0] & 1];
		u64 a = ((u64)(o[2] | o[3] << 8) % (mem >> PAGE_SHIFT)) << PAGE_SHIFT;
		u64 len = ((u64)(o[4] | o[5] << 8) % 128 + 1) << PAGE_SHIFT; /* 2M via the 0x40 flag */
		enum gmem_state st = o[1] & 1 ? GMEM_PRIVATE : GMEM_SHARED;

		if (o[0] & 0x80)
			a = ALIGN_DOWN(a, HUGE_SIZE);
		if (o[0] & 0x40)
			len = ALIGN_UP(len, HUGE_SIZE);
		if (o[6] & 0x80)
			x->fail_alloc = o[6] & 0x3F;
		else if (o[6] & 0x40)
			rmp_model_inject(&rmp, RMP_FAIL_INPUT, o[6] & 3);
		switch ((o[0] >> 1) & 3) {
		case 0:
			gmem_populate(x, gpa(a), len, st);
			break;
		case 1:
			gmem_convert(x, gpa(a), len, st);
			break;
		case 2: {
			struct gmem_range rs[8];
			unsigned n = 1 + (o[7] & 7);

			for (unsigned i = 0; i < n; i++) {
				u64 b = (a + (u64)i * (o[7] | 1) * 0x11000) % mem;

				rs[i] = (struct gmem_range){gpa(ALIGN_DOWN(b, PAGE_SIZE)),
							    PAGE_SIZE << (i & 1),
							    (o[1] >> (i & 7)) & 1 ? GMEM_PRIVATE
										  : GMEM_SHARED};
			}
			gmem_convert_batch(x, rs, n);
			break;
		}
		default:
			gmem_release(x, gpa(a), len);
			break;
		}
		x->fail_alloc = 0;
		rmp_model_inject(&rmp, 0, 0);
		check(gs, 2);
	}
	for (unsigned i = 0; i < 2; i++) {
		u8 m = g[i].own_mem, n = g[i].own_npt, io = g[i].own_iommu;

		gmem_destroy(&g[i]);
		if (pmem_owner_pages(m) || pmem_owner_pages(n) || pmem_owner_pages(io))
			die("leak after destroy");
	}
	return 0;
}
