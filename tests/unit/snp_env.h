/* One SNP platform for host tests: a 16 MiB fake physical window at 16 MiB,
 * the RMP model (table at the window's start) covering 32 MiB, the firmware
 * model behind the real PSP driver (v2 mailbox registers), SNP_INIT done.
 * Shared by the launch, guest-request and SEV-ES VMCB tests. */
#ifndef SNPV_TESTS_UNIT_SNP_ENV_H
#define SNPV_TESTS_UNIT_SNP_ENV_H

#include "hv/base/types.h"
#include "snp/psp.h"
#include "snp/psp_model.h"
#include "snp/rmp.h"

#define WIN_BASE 0x1000000ULL
#define WIN_SIZE 0x1000000ULL
#define COVERED	 0x2000000ULL
#define TBL_SIZE 0x24000ULL
#define CMDBUF	 (WIN_BASE + 0x100000)

/* Allocates the window filled with fill, maps it, brings the platform up.
 * 0 or the first failing step's error. */
int snp_env_setup(u8 **win, u8 fill, struct rmp *rmp, struct psp_model *model, struct psp *psp);
/* Unmaps and frees the window. */
void snp_env_teardown(u8 **win);

#endif
