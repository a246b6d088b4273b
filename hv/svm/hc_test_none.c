/* The test-only hypercalls in an image without them (hv/svm/hc_test.h): the
 * hardware image hv.efi and the host library. The test image hv-test.efi
 * links hv/scenarios/hc_test.c instead. */
#include "hv/svm/hc_test.h"

#include "hv/base/log.h"
#include "hv/svm/guest.h"
#include "hv/svm/snp_guest.h"
#include "hv/svm/vcpu.h"

s64 hc_test_call(struct vcpu *v, const struct hc_call *c)
{
	pr_warn("guest %s: hypercall %llu is test-only: not in this image (the test image "
		"hv-test.efi has it); HC_ENOSYS\n",
		v->guest->name, (unsigned long long)c->nr);
	return HC_ENOSYS;
}
