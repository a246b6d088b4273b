/* Randomized long run of gmem: thousands of populate / convert / batch /
 * release operations over three guests (one without SNP), random sizes and
 * alignments (2M splits included), one trusted and one untrusted domain per
 * guest; the checker after every step must find nothing, and the pmem
 * accounting identities must hold. Fixed seeds. Prints ops/s and xcheck cost. */
#define GMEM_ENV_ONLY
#include "tests/unit/test_gmem.c"

#include <time.h>

static u64 rng;

static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

/* A random range: 4K-aligned, often 2M-aligned, 1 page to 3 MiB. */
static void rnd_range(const struct gmem *g, u64 *a, u64 *size)
{
	u64 pages = g->mem_size >> PAGE_SHIFT;

	switch (rnd() % 4) {
	case 0: /* 2M aligned, 2M multiple */
		*a = (rnd() % (g->mem_size / HUGE_SIZE)) * HUGE_SIZE;
		*size = HUGE_SIZE * (1 + rnd() % 2);
		break;
	case 1: /* a few pages */
		*a = (rnd() % pages) << PAGE_SHIFT;
		*size = (1 + rnd() % 8) << PAGE_SHIFT;
		break;
	default: /* anything up to 3 MiB */
		*a = (rnd() % pages) << PAGE_SHIFT;
		*size = (1 + rnd() % 768) << PAGE_SHIFT;
		break;
	}
	if (*a + *size > g->mem_size)
		*size = g->mem_size - *a;
}

struct run_stats {
	u64 ops, ok, ns_ops, ns_check, checked_bytes;
};

static void one_op(struct gmem *g, struct run_stats *rs)
{
	u64 a, size, t0;
	int rc = 0, kind = (int)(rnd() % 10);

	rnd_range(g, &a, &size);
	t0 = now_ns();
	if (kind < 3) {
		rc = gmem_populate(g, gpa(a), size,
				   g->rmp && (rnd() & 1) ? GMEM_PRIVATE : GMEM_SHARED);
		if (rc == -EEXIST) { /* populate the holes page by page instead */
			for (u64 x = a; x < a + size && x < a + 64 * PAGE_SIZE; x += PAGE_SIZE)
				gmem_populate(g, gpa(x), PAGE_SIZE, GMEM_SHARED);
			rc = 0;
		}
	} else if (kind < 7 && g->rmp) {
		rc = gmem_convert(g, gpa(a), size, rnd() & 1 ? GMEM_PRIVATE : GMEM_SHARED);
	} else if (kind < 9 && g->rmp) {
		struct gmem_range r[8];
		unsigned n = 1 + (unsigned)(rnd() % 8);

		for (unsigned i = 0; i < n; i++) {
			r[i].gpa = gpa(((rnd() % (g->mem_size >> PAGE_SHIFT)) << PAGE_SHIFT));
			r[i].size = PAGE_SIZE << (rnd() % 3);
			if (gpa_val(r[i].gpa) + r[i].size > g->mem_size)
				r[i].size = PAGE_SIZE;
			r[i].to = rnd() & 1 ? GMEM_PRIVATE : GMEM_SHARED;
		}
		rc = gmem_convert_batch(g, r, n);
	} else {
		rc = gmem_release(g, gpa(a), size);
	}
	rs->ns_ops += now_ns() - t0;
	rs->ops++;
	/* legal failures: not populated, overlapping batch, out of memory */
	if (rc && rc != -ENOENT && rc != -EINVAL && rc != -ENOMEM && rc != -EEXIST)
		fail_msg("op %d on [0x%llx, +0x%llx): %d", kind, (unsigned long long)a,
			 (unsigned long long)size, rc);
	rs->ok += rc == 0;
}

static void run(u64 seed, unsigned steps)
{
	static struct gmem g[3];
	struct gmem *gs[3] = {&g[0], &g[1], &g[2]};
	static struct xcheck_report rep;
	struct run_stats rs = {0};
	u64 t0;

	env_init();
	rng = seed;
	guest_new(&g[0], "r0", 1, MiB(24), HUGE_SIZE, true, 2);
	guest_new(&g[1], "r1", 2, MiB(16), PAGE_SIZE, true, 2);
	guest_new(&g[2], "r2", 0, MiB(8), HUGE_SIZE, false, 2);
	for (unsigned s = 0; s < steps; s++) {
		struct gmem *x = gs[rnd() % 3];

		one_op(x, &rs);
		t0 = now_ns();
		if (check_all(gs, 3, &rep))
			fail_msg("seed %llu step %u: %llu violations", (unsigned long long)seed, s,
				 (unsigned long long)rep.total);
		rs.ns_check += now_ns() - t0;
		rs.checked_bytes += rep.mapped_bytes;
		for (unsigned i = 0; i < 3; i++)
			assert_accounting(gs[i]);
	}
	print_message("seed %llu: %llu ops (%llu ok), %llu ops/s, xcheck %llu us/MiB mapped\n",
		      (unsigned long long)seed, (unsigned long long)rs.ops,
		      (unsigned long long)rs.ok,
		      (unsigned long long)(rs.ops * 1000000000ULL / (rs.ns_ops + 1)),
		      (unsigned long long)(rs.ns_check / 1000 / ((rs.checked_bytes >> 20) + 1)));
	for (unsigned i = 0; i < 3; i++) {
		u8 m = g[i].own_mem, n = g[i].own_npt, io = g[i].own_iommu;

		gmem_destroy(&g[i]);
		assert_int_equal(pmem_owner_pages(m) + pmem_owner_pages(n) + pmem_owner_pages(io), 0);
	}
	env_fini();
}

static void test_seed1(void **state) { (void)state; run(0x1234567ULL, 1000); }
static void test_seed2(void **state) { (void)state; run(0xfeedbeefULL, 1000); }
static void test_seed3(void **state) { (void)state; run(42, 1000); }

/* Throughput without the checker: populate/convert 4K and 2M on one guest. */
static void test_throughput(void **state)
{
	static struct gmem g;
	u64 t0, n = 0, ns;

	(void)state;
	env_init();
	guest_new(&g, "tp", 9, MiB(64), HUGE_SIZE, true, 2);
	t0 = now_ns();
	for (u64 a = 0; a < MiB(32); a += PAGE_SIZE, n++)
		assert_int_equal(gmem_populate(&g, gpa(a), PAGE_SIZE, GMEM_PRIVATE), 0);
	ns = now_ns() - t0;
	print_message("populate 4K private: %llu ops/s\n",
		      (unsigned long long)(n * 1000000000ULL / ns));
	t0 = now_ns();
	n = 0;
	for (int r = 0; r < 2; r++)
		for (u64 a = 0; a < MiB(32); a += PAGE_SIZE, n++)
			assert_int_equal(gmem_convert(&g, gpa(a), PAGE_SIZE,
						      r ? GMEM_PRIVATE : GMEM_SHARED),
					 0);
	ns = now_ns() - t0;
	print_message("convert 4K: %llu ops/s\n", (unsigned long long)(n * 1000000000ULL / ns));
	t0 = now_ns();
	n = 0;
	for (u64 a = MiB(32); a < MiB(64); a += HUGE_SIZE, n++)
		assert_int_equal(gmem_populate(&g, gpa(a), HUGE_SIZE, GMEM_PRIVATE), 0);
	for (int r = 0; r < 8; r++)
		for (u64 a = MiB(32); a < MiB(64); a += HUGE_SIZE, n++)
			assert_int_equal(gmem_convert(&g, gpa(a), HUGE_SIZE,
						      r & 1 ? GMEM_PRIVATE : GMEM_SHARED),
					 0);
	ns = now_ns() - t0;
	print_message("populate/convert 2M: %llu ops/s\n",
		      (unsigned long long)(n * 1000000000ULL / ns));
	{
		static struct xcheck_report rep;
		struct gmem *gp = &g;

		t0 = now_ns();
		assert_int_equal(check_all(&gp, 1, &rep), 0);
		ns = now_ns() - t0;
		print_message("xcheck: %llu MiB mapped in %llu us (%llu us/MiB; %llu leaves)\n",
			      (unsigned long long)(rep.mapped_bytes >> 20),
			      (unsigned long long)(ns / 1000),
			      (unsigned long long)(ns / 1000 / ((rep.mapped_bytes >> 20) + 1)),
			      (unsigned long long)rep.leaves);
	}
	gmem_destroy(&g);
	env_fini();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed1),
		cmocka_unit_test(test_seed2),
		cmocka_unit_test(test_seed3),
		cmocka_unit_test(test_throughput),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
