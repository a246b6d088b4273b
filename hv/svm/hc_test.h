/* Test-only hypercalls (docs/guest-abi.md): HC_DMA_PHASE (hands out host
 * physical addresses and checksums all of memory) and HC_BENCH_MARK (make
 * bench). hv/svm/exits.c passes them to hc_test_call(), chosen at link time:
 *   hv-test.efi  hv/scenarios/hc_test.c implements them;
 *   hv.efi       (the image for hardware) and the host library link
 *                hv/svm/hc_test_none.c: HC_ENOSYS and one log line per call.
 * No function pointer: an image holds one definition or the other. */
#ifndef HV_SVM_HC_TEST_H
#define HV_SVM_HC_TEST_H

#include "hv/abi/hypercall.h"
#include "hv/base/types.h"

struct vcpu;
struct hc_call;

static inline bool hc_is_test_only(u64 nr)
{
	return nr == HC_DMA_PHASE || nr == HC_BENCH_MARK;
}

/* c->nr is a test-only hypercall (hc_is_test_only); returns the guest's RAX. */
s64 hc_test_call(struct vcpu *v, const struct hc_call *c);

#endif
