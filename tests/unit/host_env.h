/* Host-side environment for pure code (see host_env.c). */
#ifndef TESTS_UNIT_HOST_ENV_H
#define TESTS_UNIT_HOST_ENV_H

#include "hv/types.h"

/* Make [base, base+size) of "physical memory" live in buf. One window. */
void host_phys_window(void *buf, spa_t base, u64 size);

#endif
