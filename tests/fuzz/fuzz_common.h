/* Helpers shared by the libFuzzer targets (gmem, xcheck, GHCB, guest requests). */
#ifndef TESTS_FUZZ_COMMON_H
#define TESTS_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#include "hv/base/log.h"
#include "hv/base/types.h"
#include "hv/core/gmem.h"
#include "hv/core/xcheck.h"

/* Product code logs to stdout; most fuzz inputs are refused with an error
 * line. Silence it (libFuzzer reports on stderr) unless FUZZ_VERBOSE is set,
 * e.g. to replay a crash: FUZZ_VERBOSE=1 build/fuzz/fuzz_gmem crash-... */
static inline void fuzz_quiet(void)
{
	log_level_max = LOG_ERR;
	if (!getenv("FUZZ_VERBOSE") && !freopen("/dev/null", "w", stdout))
		abort();
}

/* The violations of rep on stderr (xcheck_print writes to stdout). */
static inline void fuzz_print_violations(const struct xcheck_report *rep)
{
	fprintf(stderr, "xcheck: %llu violation(s)\n", (unsigned long long)rep->total);
	for (unsigned i = 0; i < rep->n; i++) {
		const struct xcheck_violation *v = &rep->v[i];

		fprintf(stderr, "  %s %s guest %u domain %u gpa 0x%llx spa 0x%llx: expected %s, found %s\n",
			xcheck_rule_name(v->rule), xcheck_struct_name(v->structure), v->guest,
			v->domain, (unsigned long long)v->gpa, (unsigned long long)v->spa,
			v->expected, v->found);
	}
}

/* gmem's IOMMU and TLB callbacks for targets without a device or a CPU:
 * every invalidation and flush succeeds at once (failures are injected
 * through gmem's own fail_* fields and the RMP model instead). */
static inline int fuzz_inv(void *c, u16 id, u64 iova, u64 size) { return 0; }
static inline int fuzz_sync(void *c) { return 0; }
static inline int fuzz_flush(void *c, u32 asid) { return 0; }
static const struct gmem_iommu_ops fuzz_iommu_ops = {fuzz_inv, fuzz_sync};

/* The fuzz input, read front to back; past its end, reads give zeros. */
struct fuzz_in {
	const u8 *p;
	size_t n;
};

/* The next `bytes` bytes as a little-endian number. */
static inline u64 fuzz_take(struct fuzz_in *in, unsigned bytes)
{
	u64 v = 0;

	for (unsigned i = 0; i < bytes; i++)
		if (in->n) {
			v |= (u64)in->p[0] << (8 * i);
			in->p++;
			in->n--;
		}
	return v;
}

#endif
