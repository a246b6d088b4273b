/* The SNP platform fixture of tests/unit/snp_env.h. */
#include "tests/unit/snp_env.h"

#include <stdlib.h>
#include <string.h>

#include "hv/base/mem.h"
#include "snp/launch.h"
#include "hv/arch/host/host_env.h"

int snp_env_setup(u8 **win, u8 fill, struct rmp *rmp, struct psp_model *model, struct psp *psp)
{
	u32 e;
	int ret;

	*win = aligned_alloc(HUGE_SIZE, WIN_SIZE);
	if (!*win)
		return -1;
	memset(*win, fill, WIN_SIZE);
	host_phys_window(*win, spa(WIN_BASE), WIN_SIZE);
	ret = rmp_init_model(rmp, spa(WIN_BASE), TBL_SIZE, COVERED);
	if (!ret)
		ret = psp_model_init(model, rmp, NULL, NULL);
	if (!ret)
		ret =
		    psp_init(psp, &psp_model_mmio_ops, model, &psp_sev_regs_v2, spa(CMDBUF), 1000);
	if (!ret)
		ret = snp_platform_init(psp, &e);
	return ret;
}

void snp_env_teardown(u8 **win)
{
	host_phys_window(NULL, spa(0), 0);
	free(*win);
	*win = NULL;
}
