/* Host-side environment for pure code (see host_env.c). */
#ifndef TESTS_UNIT_HOST_ENV_H
#define TESTS_UNIT_HOST_ENV_H

#include "hv/base/types.h"

/* Make [base, base+size) of "physical memory" live in buf. One window. */
void host_phys_window(void *buf, spa_t base, u64 size);

/* The folder of shared test data sub (e.g. "ivrs"): $SNPV_ROOT/../shared/testdata/sub
 * when the project's shared folder sits beside the checkout, else the copy
 * in $SNPV_ROOT/tests/data/sub (a clone on its own). */
const char *host_testdata_dir(const char *sub);

#endif
